//! Sampling an equirectangular source (full or partial, possibly tilted) in any direction.

use disan_core::PanoInfo;
use image::RgbImage;

/// An equirectangular image placed on the sphere.
pub struct EquiSource<'a> {
    pixels: &'a RgbImage,
    /// The full panorama the stored pixels are part of, and where they sit in it.
    full_w: f64,
    full_h: f64,
    left: f64,
    top: f64,
    /// Whether the stored pixels span the full 360°, so sampling wraps horizontally.
    wraps: bool,
    /// Rotation from levelled world directions to the source's frame (GPano pitch and roll).
    rotation: Option<[[f64; 3]; 3]>,
    fill: [f32; 3],
}

/// Neutral grey for the part of the sphere a partial panorama does not cover.
pub const FILL: [u8; 3] = [128, 128, 128];

impl<'a> EquiSource<'a> {
    /// Places `pixels` as GPano describes them (crop within a full panorama, pose), or as a full
    /// panorama when there is no usable GPano.
    pub fn new(pixels: &'a RgbImage, pano: Option<&PanoInfo>) -> Self {
        let (w, h) = (f64::from(pixels.width()), f64::from(pixels.height()));
        let mut s = Self {
            pixels,
            full_w: w,
            full_h: w / 2.0,
            left: 0.0,
            top: (w / 2.0 - h) / 2.0,
            wraps: true,
            rotation: None,
            fill: FILL.map(f32::from),
        };
        if let Some(p) = pano {
            if let (Some(fw), Some(fh)) = (p.full_pano_width, p.full_pano_height)
                && fw > 0
                && fh > 0
            {
                // Crop sizes are in the full panorama's pixels; the stored image may be scaled.
                let cw = f64::from(p.cropped_width.unwrap_or(pixels.width()).max(1));
                let scale = w / cw;
                s.full_w = f64::from(fw) * scale;
                s.full_h = f64::from(fh) * scale;
                s.left = f64::from(p.cropped_left.unwrap_or(0)) * scale;
                s.top = f64::from(p.cropped_top.unwrap_or(0)) * scale;
                s.wraps = (w - s.full_w).abs() < 1.0;
            }
            let pitch = p.pose_pitch_deg.unwrap_or(0.0).to_radians();
            let roll = p.pose_roll_deg.unwrap_or(0.0).to_radians();
            if pitch != 0.0 || roll != 0.0 {
                s.rotation = Some(rotation(pitch, roll));
            }
        }
        s
    }

    /// Width of the full panorama in source pixels.
    pub fn full_width(&self) -> f64 {
        self.full_w
    }

    /// Where a direction lands in the stored pixels (continuous coordinates, pixel centres at +0.5).
    pub fn source_position(&self, d: [f64; 3]) -> (f64, f64) {
        let d = match &self.rotation {
            Some(r) => [
                r[0][0] * d[0] + r[0][1] * d[1] + r[0][2] * d[2],
                r[1][0] * d[0] + r[1][1] * d[1] + r[1][2] * d[2],
                r[2][0] * d[0] + r[2][1] * d[1] + r[2][2] * d[2],
            ],
            None => d,
        };
        let (yaw, pitch) = crate::yaw_pitch(d);
        let x = (yaw / std::f64::consts::TAU + 0.5) * self.full_w - self.left;
        let y = (0.5 - pitch / std::f64::consts::PI) * self.full_h - self.top;
        (x, y)
    }

    /// The colour of one output pixel from its source position `p` and the source offsets of one output
    /// pixel step right (`jx`) and down (`jy`): a bicubic sample where the source is no denser than the
    /// output, else the average of n×n bilinear samples spread over the pixel's footprint (positions from
    /// the local linear map, so no projection per sample).
    pub fn sample_linear(&self, p: (f64, f64), jx: (f64, f64), jy: (f64, f64)) -> [u8; 3] {
        let footprint = jx.0.abs().max(jx.1.abs()).max(jy.0.abs()).max(jy.1.abs());
        let n = footprint.ceil().clamp(1.0, 8.0) as u32;
        let c = if n == 1 {
            self.bicubic(p.0, p.1)
        } else {
            let mut acc = [0.0f32; 3];
            let step = 1.0 / f64::from(n);
            for j in 0..n {
                let dv = (f64::from(j) + 0.5) * step - 0.5;
                for i in 0..n {
                    let du = (f64::from(i) + 0.5) * step - 0.5;
                    let s = self.bilinear(p.0 + du * jx.0 + dv * jy.0, p.1 + du * jx.1 + dv * jy.1);
                    for k in 0..3 {
                        acc[k] += s[k];
                    }
                }
            }
            let inv = 1.0 / (n * n) as f32;
            acc.map(|a| a * inv)
        };
        c.map(|v| v.round().clamp(0.0, 255.0) as u8)
    }

    /// `b − a` in source x, taking the horizontal wrap of a full panorama into account.
    pub fn dx(&self, a: f64, b: f64) -> f64 {
        let mut d = b - a;
        if self.wraps {
            if d > self.full_w / 2.0 {
                d -= self.full_w;
            } else if d < -self.full_w / 2.0 {
                d += self.full_w;
            }
        }
        d
    }

    /// The stored pixel at integer coordinates, wrapping horizontally for full panoramas; `None`
    /// outside the stored area (vertical edges clamp, as the poles are single points).
    fn texel(&self, x: i64, y: i64) -> Option<[f32; 3]> {
        let (w, h) = (i64::from(self.pixels.width()), i64::from(self.pixels.height()));
        let x = if self.wraps { x.rem_euclid(w) } else { x };
        let covers_full_height = (self.full_h - f64::from(self.pixels.height())).abs() < 1.0;
        let y = if covers_full_height { y.clamp(0, h - 1) } else { y };
        if !(0..w).contains(&x) || !(0..h).contains(&y) {
            return None;
        }
        Some(self.pixels.get_pixel(x as u32, y as u32).0.map(f32::from))
    }

    fn bilinear(&self, x: f64, y: f64) -> [f32; 3] {
        let (fx, fy) = (x - 0.5, y - 0.5);
        let (x0, y0) = (fx.floor(), fy.floor());
        let (tx, ty) = ((fx - x0) as f32, (fy - y0) as f32);
        let (x0, y0) = (x0 as i64, y0 as i64);
        let mut out = [0.0f32; 3];
        for (dy, wy) in [(0, 1.0 - ty), (1, ty)] {
            for (dx, wx) in [(0, 1.0 - tx), (1, tx)] {
                let p = self.texel(x0 + dx, y0 + dy).unwrap_or(self.fill);
                for k in 0..3 {
                    out[k] += p[k] * wx * wy;
                }
            }
        }
        out
    }

    /// Catmull-Rom bicubic (a = −0.5) around continuous position (x, y).
    fn bicubic(&self, x: f64, y: f64) -> [f32; 3] {
        let (fx, fy) = (x - 0.5, y - 0.5);
        let (x0, y0) = (fx.floor(), fy.floor());
        let (tx, ty) = ((fx - x0) as f32, (fy - y0) as f32);
        let (x0, y0) = (x0 as i64, y0 as i64);
        let (wx, wy) = (cubic_weights(tx), cubic_weights(ty));
        let mut out = [0.0f32; 3];
        for (j, wyj) in wy.iter().enumerate() {
            for (i, wxi) in wx.iter().enumerate() {
                let p = self.texel(x0 - 1 + i as i64, y0 - 1 + j as i64).unwrap_or(self.fill);
                let w = wxi * wyj;
                for k in 0..3 {
                    out[k] += p[k] * w;
                }
            }
        }
        out
    }
}

fn cubic_weights(t: f32) -> [f32; 4] {
    let a = -0.5f32;
    let w = |x: f32| {
        let x = x.abs();
        if x <= 1.0 {
            (a + 2.0) * x * x * x - (a + 3.0) * x * x + 1.0
        } else if x < 2.0 {
            a * x * x * x - 5.0 * a * x * x + 8.0 * a * x - 4.0 * a
        } else {
            0.0
        }
    };
    [w(1.0 + t), w(t), w(1.0 - t), w(2.0 - t)]
}

/// Levelled-world → source rotation for a capture pitched up by `pitch` and rolled by `roll` (radians), in
/// GPano's sense: the image centre looks `pitch` above the horizon, and a positive roll turns the horizon
/// counterclockwise in the image. The camera (source → world) is `Rx(pitch) · Rz(roll)`; this is its transpose.
/// `gpano_pitch_and_roll_level_the_horizon` checks both signs on synthetic scenes.
fn rotation(pitch: f64, roll: f64) -> [[f64; 3]; 3] {
    let (sp, cp) = pitch.sin_cos();
    let (sr, cr) = roll.sin_cos();
    // Transposes of the camera's rotations: Rx(pitch)ᵀ and Rz(roll)ᵀ.
    let rx_t = [[1.0, 0.0, 0.0], [0.0, cp, -sp], [0.0, sp, cp]];
    let rz_t = [[cr, -sr, 0.0], [sr, cr, 0.0], [0.0, 0.0, 1.0]];
    let mut m = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            m[i][j] = (0..3).map(|k| rz_t[i][k] * rx_t[k][j]).sum();
        }
    }
    m
}
