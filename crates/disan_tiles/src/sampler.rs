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
    /// Whether the stored pixels span pole to pole, so rows past the first and last clamp to them.
    clamps_rows: bool,
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
            clamps_rows: true,
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
        s.clamps_rows = (s.full_h - h).abs() < 1.0;
        s
    }

    /// The same placement on the sphere for `pixels`, a resized copy of this source's pixels (a smaller one
    /// for small renders such as previews and thumbnails, so that their filter footprint stays near a pixel).
    pub fn with_pixels<'b>(&self, pixels: &'b RgbImage) -> EquiSource<'b> {
        let sx = f64::from(pixels.width()) / f64::from(self.pixels.width().max(1));
        let sy = f64::from(pixels.height()) / f64::from(self.pixels.height().max(1));
        EquiSource {
            pixels,
            full_w: self.full_w * sx,
            full_h: self.full_h * sy,
            left: self.left * sx,
            top: self.top * sy,
            wraps: self.wraps,
            rotation: self.rotation,
            clamps_rows: self.clamps_rows,
            fill: self.fill,
        }
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
        let y = if self.clamps_rows { y.clamp(0, h - 1) } else { y };
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

/// Catmull-Rom weights in 10-bit fixed point for the 257 phases 0, 1/256, …, 1 of a position between two
/// source pixels; each set sums to exactly 1024.
static CUBIC_FIXED: std::sync::LazyLock<[[i32; 4]; 257]> = std::sync::LazyLock::new(|| {
    std::array::from_fn(|phase| {
        let mut w = cubic_weights(phase as f32 / 256.0).map(|w| (w * 1024.0).round() as i32);
        // Rounding can leave the sum off by one: the largest weight takes the difference.
        let biggest = (0..4).max_by_key(|&i| w[i]).unwrap_or(1);
        w[biggest] += 1024 - w.iter().sum::<i32>();
        w
    })
});

/// `⌊x⌋` for the positions of a face row, without a call into libm (`f32::floor` is one on x86-64's baseline,
/// which lacks SSE4.1's rounding instruction).
#[inline(always)]
fn floor_i32(x: f32) -> i32 {
    let i = x as i32;
    i - i32::from(x < i as f32)
}

/// `⌈x⌉` within 1..=8: how many samples an axis of a footprint `x` pixels long gets.
#[inline(always)]
fn ceil_count(x: f32) -> u32 {
    let x = x.clamp(1.0, 8.0);
    let i = x as u32;
    i + u32::from((i as f32) < x)
}

/// `atan2(y, x)` to within 3·10⁻⁷ radians (a thousandth of a pixel on a 16384-pixel panorama), branch-free so
/// that a loop of them vectorises: a degree-13 odd minimax polynomial on [0, 1], then the octant's symmetries.
#[inline(always)]
fn atan2_fast(y: f32, x: f32) -> f32 {
    const C: [f32; 7] = [
        0.999_996_1,
        -0.333_173_7,
        0.198_078_16,
        -0.132_333_41,
        0.079_623_66,
        -0.033_604_21,
        0.006_811_791,
    ];
    let (ax, ay) = (x.abs(), y.abs());
    let a = ax.min(ay) / ax.max(ay).max(f32::MIN_POSITIVE);
    let s = a * a;
    let p = C[0] + s * (C[1] + s * (C[2] + s * (C[3] + s * (C[4] + s * (C[5] + s * C[6])))));
    let mut r = a * p;
    r = if ay > ax { std::f32::consts::FRAC_PI_2 - r } else { r };
    r = if x < 0.0 { std::f32::consts::PI - r } else { r };
    r.copysign(y)
}

impl EquiSource<'_> {
    /// Source positions (as [`EquiSource::source_position`], in `f32`) of the directions `base + i·step` for
    /// `i` in `0..xs.len()`: one face row. Branch-free, so the compiler vectorises it.
    pub(crate) fn project_line(&self, base: [f64; 3], step: [f64; 3], xs: &mut [f32], ys: &mut [f32]) {
        let (base, step) = match &self.rotation {
            Some(r) => (mat_vec(r, base), mat_vec(r, step)),
            None => (base, step),
        };
        let (b, s) = (base.map(|v| v as f32), step.map(|v| v as f32));
        let kx = (self.full_w / std::f64::consts::TAU) as f32;
        let cx = (0.5 * self.full_w - self.left) as f32;
        let ky = (self.full_h / std::f64::consts::PI) as f32;
        let cy = (0.5 * self.full_h - self.top) as f32;
        for (i, (x, y)) in xs.iter_mut().zip(ys.iter_mut()).enumerate() {
            let t = i as f32;
            let (dx, dy, dz) = (b[0] + t * s[0], b[1] + t * s[1], b[2] + t * s[2]);
            *x = atan2_fast(dx, dz) * kx + cx;
            *y = cy - atan2_fast(dy, (dx * dx + dz * dz).sqrt()) * ky;
        }
    }

    /// `b − a` in source x, wrapped for full panoramas ([`EquiSource::dx`] in `f32`).
    #[inline(always)]
    pub(crate) fn dx_f32(&self, a: f32, b: f32) -> f32 {
        let d = b - a;
        if !self.wraps {
            return d;
        }
        let (w, half) = (self.full_w as f32, (self.full_w / 2.0) as f32);
        if d > half {
            d - w
        } else if d < -half {
            d + w
        } else {
            d
        }
    }

    /// [`EquiSource::sample_linear`] in fixed point: the same filter (bicubic where the source is no denser
    /// than the output, else n×n bilinear samples over the footprint, n per axis of the footprint), with
    /// positions to 1/256 of a pixel and 10-bit weights. Pixels whose filter reaches past the stored image
    /// (the horizontal wrap, the poles' rows, the edges of a partial panorama) take the exact path.
    #[inline]
    pub(crate) fn sample_fast(&self, p: (f32, f32), jx: (f32, f32), jy: (f32, f32)) -> [u8; 3] {
        let na = jx.0.abs().max(jx.1.abs());
        let nb = jy.0.abs().max(jy.1.abs());
        if na.max(nb) <= 1.0 {
            self.bicubic_fixed(p.0, p.1)
        } else {
            self.supersample_fixed(p, jx, jy, na, nb)
        }
    }

    fn bicubic_fixed(&self, x: f32, y: f32) -> [u8; 3] {
        let (fx, fy) = (x - 0.5, y - 0.5);
        let (x0, y0) = (floor_i32(fx), floor_i32(fy));
        let (w, h) = (self.pixels.width() as i32, self.pixels.height() as i32);
        if x0 < 1 || y0 < 1 || x0 + 2 >= w || y0 + 2 >= h {
            return self
                .bicubic(f64::from(x), f64::from(y))
                .map(|v| v.round().clamp(0.0, 255.0) as u8);
        }
        let tx = ((fx - x0 as f32) * 256.0 + 0.5) as usize;
        let ty = ((fy - y0 as f32) * 256.0 + 0.5) as usize;
        let (wx, wy) = (&CUBIC_FIXED[tx.min(256)], &CUBIC_FIXED[ty.min(256)]);
        let raw = self.pixels.as_raw().as_slice();
        let stride = w as usize * 3;
        let at = (y0 as usize - 1) * stride + (x0 as usize - 1) * 3;
        let mut acc = [0i32; 3];
        for (j, wyj) in wy.iter().enumerate() {
            let r = &raw[at + j * stride..at + j * stride + 12];
            let mut hsum = [0i32; 3];
            for (i, wxi) in wx.iter().enumerate() {
                for c in 0..3 {
                    hsum[c] += wxi * i32::from(r[i * 3 + c]);
                }
            }
            for c in 0..3 {
                acc[c] += wyj * hsum[c];
            }
        }
        let px = |a: i32| ((a + (1 << 19)) >> 20).clamp(0, 255) as u8;
        [px(acc[0]), px(acc[1]), px(acc[2])]
    }

    fn supersample_fixed(&self, p: (f32, f32), jx: (f32, f32), jy: (f32, f32), na: f32, nb: f32) -> [u8; 3] {
        let (na, nb) = (ceil_count(na), ceil_count(nb));
        // Sample (i, j) is at base + i·a + j·b.
        let a = (jx.0 / na as f32, jx.1 / na as f32);
        let b = (jy.0 / nb as f32, jy.1 / nb as f32);
        let base = (
            p.0 - 0.5 * (jx.0 + jy.0 - a.0 - b.0) - 0.5,
            p.1 - 0.5 * (jx.1 + jy.1 - a.1 - b.1) - 0.5,
        );
        let (w, h) = (self.pixels.width() as i32, self.pixels.height() as i32);
        // The corners of the samples' span: when all four cells lie inside the stored pixels (with a column
        // to spare for the 8-byte reads), no sample needs a wrap, a clamp or the fill.
        let (na1, nb1) = ((na - 1) as f32, (nb - 1) as f32);
        let xs = [
            base.0,
            base.0 + na1 * a.0,
            base.0 + nb1 * b.0,
            base.0 + na1 * a.0 + nb1 * b.0,
        ];
        let ys = [
            base.1,
            base.1 + na1 * a.1,
            base.1 + nb1 * b.1,
            base.1 + na1 * a.1 + nb1 * b.1,
        ];
        let inside =
            xs.iter().all(|&x| x >= 0.0 && x < (w - 3) as f32) && ys.iter().all(|&y| y >= 0.0 && y < (h - 1) as f32);
        let mut acc = [0u32; 3];
        if inside {
            let raw = self.pixels.as_raw().as_slice();
            let stride = self.pixels.width() as usize * 3;
            for j in 0..nb {
                let (mut x, mut y) = (base.0 + j as f32 * b.0, base.1 + j as f32 * b.1);
                for _ in 0..na {
                    // Non-negative here, so truncation is the floor.
                    let (x0, y0) = (x as usize, y as usize);
                    let tx = ((x - x0 as f32) * 256.0 + 0.5) as u64;
                    let ty = ((y - y0 as f32) * 256.0 + 0.5) as u64;
                    let at = y0 * stride + x0 * 3;
                    let top = lerp_pair(eight(raw, at), tx);
                    let bottom = lerp_pair(eight(raw, at + stride), tx);
                    // Both rows at 8 bits, then the vertical blend, ×256 in each 16-bit lane.
                    let v = top * (256 - ty) + bottom * ty;
                    acc[0] += (v & 0xffff) as u32;
                    acc[1] += ((v >> 16) & 0xffff) as u32;
                    acc[2] += ((v >> 32) & 0xffff) as u32;
                    x += a.0;
                    y += a.1;
                }
            }
            let scale = 1.0 / (na * nb * 256) as f32;
            let px = |a: u32| (a as f32 * scale + 0.5).min(255.0) as u8;
            return [px(acc[0]), px(acc[1]), px(acc[2])];
        }
        let raw = self.pixels.as_raw().as_slice();
        let stride = w as usize * 3;
        // Each sample adds its colour × 65536.
        for j in 0..nb {
            for i in 0..na {
                let (fx, fy) = (
                    base.0 + i as f32 * a.0 + j as f32 * b.0,
                    base.1 + i as f32 * a.1 + j as f32 * b.1,
                );
                let (x0, y0) = (floor_i32(fx), floor_i32(fy));
                let Some((xa, xb, ya, yb)) = self.bilinear_cells(x0, y0, w, h) else {
                    let c = self.bilinear(f64::from(fx) + 0.5, f64::from(fy) + 0.5);
                    for k in 0..3 {
                        acc[k] += (c[k] * 65536.0 + 0.5) as u32;
                    }
                    continue;
                };
                let tx = ((fx - x0 as f32) * 256.0 + 0.5) as u32;
                let ty = ((fy - y0 as f32) * 256.0 + 0.5) as u32;
                let (tx, ty) = (tx.min(256), ty.min(256));
                let (top, bottom) = (ya * stride, yb * stride);
                let (tl, tr) = (
                    &raw[top + xa * 3..top + xa * 3 + 3],
                    &raw[top + xb * 3..top + xb * 3 + 3],
                );
                let (bl, br) = (
                    &raw[bottom + xa * 3..bottom + xa * 3 + 3],
                    &raw[bottom + xb * 3..bottom + xb * 3 + 3],
                );
                for k in 0..3 {
                    let t = u32::from(tl[k]) * (256 - tx) + u32::from(tr[k]) * tx;
                    let b = u32::from(bl[k]) * (256 - tx) + u32::from(br[k]) * tx;
                    acc[k] += t * (256 - ty) + b * ty;
                }
            }
        }
        // A multiplication, not three 64-bit divisions (which had cost more than the samples).
        let scale = 1.0 / (na * nb * 65536) as f32;
        let px = |a: u32| (a as f32 * scale + 0.5).min(255.0) as u8;
        [px(acc[0]), px(acc[1]), px(acc[2])]
    }
}

/// The eight bytes at `at`: two RGB pixels side by side and two more bytes.
#[inline(always)]
fn eight(raw: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&raw[at..at + 8]);
    u64::from_le_bytes(b)
}

/// The horizontal blend of the two RGB pixels in the low six bytes of `v`, with weight `t`/256 on the
/// second: R, G, B rounded to 8 bits in the 16-bit lanes 0, 1, 2.
#[inline(always)]
fn lerp_pair(v: u64, t: u64) -> u64 {
    let spread = |q: u64| (q & 0xff) | ((q & 0xff00) << 8) | ((q & 0xff_0000) << 16);
    let blended = spread(v) * (256 - t) + spread(v >> 24) * t;
    ((blended + 0x0080_0080_0080) >> 8) & 0x00ff_00ff_00ff
}

impl EquiSource<'_> {
    /// The columns and rows of a bilinear sample's four pixels from its top-left cell (`x0`, `y0`): wrapped
    /// around a full panorama, rows clamped where the stored pixels span pole to pole; `None` where a pixel
    /// is outside the stored area (a partial panorama's fill colour: the exact path).
    #[inline(always)]
    fn bilinear_cells(&self, x0: i32, y0: i32, w: i32, h: i32) -> Option<(usize, usize, usize, usize)> {
        let (mut xa, mut xb) = (x0, x0 + 1);
        if xa < 0 || xb >= w {
            if !self.wraps {
                return None;
            }
            xa = xa.rem_euclid(w);
            xb = xb.rem_euclid(w);
        }
        let (mut ya, mut yb) = (y0, y0 + 1);
        if ya < 0 || yb >= h {
            if !self.clamps_rows {
                return None;
            }
            ya = ya.clamp(0, h - 1);
            yb = yb.clamp(0, h - 1);
        }
        Some((xa as usize, xb as usize, ya as usize, yb as usize))
    }
}

fn mat_vec(r: &[[f64; 3]; 3], d: [f64; 3]) -> [f64; 3] {
    std::array::from_fn(|i| r[i][0] * d[0] + r[i][1] * d[1] + r[i][2] * d[2])
}
