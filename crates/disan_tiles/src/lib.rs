//! Equirectangular panoramas to cube faces and Pannellum multires tile pyramids; the layout and
//! `info.json` of IIIF level-0 deep-zoom pyramids for large photos ([`iiif`]); Marzipano's cube levels
//! for tour exports ([`marzipano`]).
//!
//! Conventions (Pannellum's, so its viewer opens our folders unchanged): directions are `x` right, `y` up,
//! `z` forward; yaw 0 is the centre of the source image and grows to the right, pitch grows upward. Faces
//! come in Pannellum's cube-map order front, right, back, left, up, down with letters `f r b l u d`; a face
//! image's rows run top to bottom as seen from inside the cube. Level arithmetic follows Pannellum's
//! `generate.py`: face size `8·⌊W/π/8⌋`, `maxLevel = ⌈log2(size/tile)⌉ + 1`, each coarser level the finer
//! one halved (integer division), tiles `<level>/<face><row>_<col>.jpg`.
//!
//! Work is cut into face bands ([`render_face_rows`]) and tiles so the caller can spread it over a pool.

pub mod iiif;
pub mod marzipano;
mod sampler;

use disan_core::PanoInfo;
use image::RgbImage;
use serde_json::json;

pub use sampler::EquiSource;

/// The most tiles a manifest may claim for one asset before readers refuse it (a 100k-pixel-wide
/// panorama at 512-pixel tiles has about 30,000).
pub const MAX_MANIFEST_TILES: u64 = 1_000_000;

/// A cube face, in Pannellum's cube-map order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Face {
    Front,
    Right,
    Back,
    Left,
    Up,
    Down,
}

impl Face {
    pub const ALL: [Face; 6] = [Face::Front, Face::Right, Face::Back, Face::Left, Face::Up, Face::Down];

    /// Pannellum's face letter.
    pub fn letter(self) -> char {
        match self {
            Face::Front => 'f',
            Face::Right => 'r',
            Face::Back => 'b',
            Face::Left => 'l',
            Face::Up => 'u',
            Face::Down => 'd',
        }
    }

    /// The (unnormalised) direction through the face at `u`, `v` ∈ [−1, 1]: `u` to the right of the face
    /// image, `v` down it.
    pub fn direction(self, u: f64, v: f64) -> [f64; 3] {
        match self {
            Face::Front => [u, -v, 1.0],
            Face::Right => [1.0, -v, -u],
            Face::Back => [-u, -v, -1.0],
            Face::Left => [-1.0, -v, u],
            Face::Up => [u, 1.0, v],
            Face::Down => [u, -1.0, -v],
        }
    }
}

/// Yaw and pitch (radians) of a direction.
pub fn yaw_pitch(d: [f64; 3]) -> (f64, f64) {
    (d[0].atan2(d[2]), d[1].atan2(d[0].hypot(d[2])))
}

/// The direction (unit) of a yaw and pitch in radians.
pub fn direction(yaw: f64, pitch: f64) -> [f64; 3] {
    [pitch.cos() * yaw.sin(), pitch.sin(), pitch.cos() * yaw.cos()]
}

/// The sizes of a cube tile pyramid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CubeLayout {
    /// Face size at the finest level (`cubeResolution`).
    pub cube_size: u32,
    /// Tile size (`tileResolution`).
    pub tile_size: u32,
    /// Number of levels; level `max_level` is the finest, level 1 fits in one tile.
    pub max_level: u32,
}

impl CubeLayout {
    /// Pannellum's layout for a full panorama `equi_width` pixels wide.
    pub fn for_equirect_width(equi_width: u32, tile_size: u32) -> Self {
        let cube_size = (8 * (f64::from(equi_width) / std::f64::consts::PI / 8.0) as u32).max(8);
        Self::new(cube_size, tile_size)
    }

    /// The layout a manifest's `pano_tiles` describes, if it is one Disan could have written: sizes in
    /// range, at most [`MAX_MANIFEST_TILES`] tiles, and the level and tile counts agreeing with the
    /// arithmetic. Readers (the viewer) plan tile requests from it, so a tampered manifest must not make
    /// them plan billions of tiles or files that are not there.
    pub fn from_manifest(t: &disan_core::PanoTiles) -> Option<Self> {
        if !(16..=8192).contains(&t.tile_resolution)
            || !(1..=1 << 17).contains(&t.cube_resolution)
            || t.tiles > MAX_MANIFEST_TILES
        {
            return None;
        }
        let layout = Self::new(t.cube_resolution, t.tile_resolution);
        (layout.max_level == t.max_level && layout.tile_count() == t.tiles).then_some(layout)
    }

    pub fn new(cube_size: u32, tile_size: u32) -> Self {
        let tile_size = tile_size.max(1);
        let ratio = f64::from(cube_size) / f64::from(tile_size);
        let max_level = if ratio <= 1.0 {
            1
        } else {
            ratio.log2().ceil() as u32 + 1
        };
        Self {
            cube_size,
            tile_size,
            max_level,
        }
    }

    /// Face size at `level` (1 ..= max_level).
    pub fn level_size(&self, level: u32) -> u32 {
        let mut size = self.cube_size;
        for _ in level..self.max_level {
            size /= 2;
        }
        size.max(1)
    }

    /// Tiles per row (and per column) of a face at `level`.
    pub fn tiles_per_side(&self, level: u32) -> u32 {
        self.level_size(level).div_ceil(self.tile_size)
    }

    /// Total number of tile files over all faces and levels.
    pub fn tile_count(&self) -> u64 {
        (1..=self.max_level)
            .map(|l| 6 * u64::from(self.tiles_per_side(l)).pow(2))
            .sum()
    }

    /// The level to draw a view whose focal length is `focal_px` pixels (per unit of tangent, so
    /// `width / 2 / tan(hfov / 2)`): the coarsest whose face pixels are at least as dense as the view's at its
    /// centre (a face of S pixels spans tangent −1..1), else the finest.
    pub fn level_for(&self, focal_px: f64) -> u32 {
        (1..=self.max_level)
            .find(|&l| f64::from(self.level_size(l)) / 2.0 >= focal_px * 0.999)
            .unwrap_or(self.max_level)
    }

    /// A tile's path relative to the pyramid folder.
    pub fn tile_path(level: u32, face: Face, row: u32, col: u32) -> String {
        format!("{level}/{}{row}_{col}.jpg", face.letter())
    }
}

/// Renders rows `rows` of `face` at `size`×`size` into `out` (RGB, `size·3` bytes a row).
///
/// Every pixel's source position is exact (a vectorised pass of fast `atan2`s per row, see
/// [`EquiSource`]'s `project_line`), and so is its footprint: the step to the next pixel right and to the
/// same pixel one row down. The filter is [`EquiSource::sample_linear`]'s (bicubic, or bilinear samples over
/// the footprint where the source is denser), in fixed point.
pub fn render_face_rows(src: &EquiSource<'_>, face: Face, size: u32, rows: std::ops::Range<u32>, out: &mut [u8]) {
    let s = f64::from(size);
    let n = size as usize;
    // Positions of this row and the next, one column past the last for the last pixel's step right.
    let (mut xs, mut ys) = (vec![0f32; n + 1], vec![0f32; n + 1]);
    let (mut xs_below, mut ys_below) = (vec![0f32; n + 1], vec![0f32; n + 1]);
    let project = |y: u32, xs: &mut [f32], ys: &mut [f32]| {
        let v = 2.0 * (f64::from(y) + 0.5) / s - 1.0;
        let base = face.direction(1.0 / s - 1.0, v);
        let next = face.direction(3.0 / s - 1.0, v);
        src.project_line(base, std::array::from_fn(|k| next[k] - base[k]), xs, ys);
    };
    if rows.is_empty() {
        return;
    }
    project(rows.start, &mut xs, &mut ys);
    for (i, y) in rows.enumerate() {
        project(y + 1, &mut xs_below, &mut ys_below);
        let row = &mut out[i * n * 3..(i + 1) * n * 3];
        for (x, px) in row.chunks_exact_mut(3).enumerate() {
            let p = (xs[x], ys[x]);
            let jx = (src.dx_f32(p.0, xs[x + 1]), ys[x + 1] - p.1);
            let jy = (src.dx_f32(p.0, xs_below[x]), ys_below[x] - p.1);
            px.copy_from_slice(&src.sample_fast(p, jx, jy));
        }
        std::mem::swap(&mut xs, &mut xs_below);
        std::mem::swap(&mut ys, &mut ys_below);
    }
}

/// One whole face.
pub fn render_face(src: &EquiSource<'_>, face: Face, size: u32) -> RgbImage {
    let mut out = vec![0u8; size as usize * size as usize * 3];
    render_face_rows(src, face, size, 0..size, &mut out);
    RgbImage::from_raw(size, size, out).expect("size·size·3 bytes")
}

/// A rectilinear (pinhole) view: `yaw`, `pitch` and horizontal field of view `hfov` in degrees, as
/// Pannellum means them.
pub fn render_view(src: &EquiSource<'_>, yaw: f64, pitch: f64, hfov: f64, width: u32, height: u32) -> RgbImage {
    let ray = view_ray(yaw, pitch, hfov, width, height);
    par_image(width, height, |x, y| {
        let (px, py) = (f64::from(x) + 0.5, f64::from(y) + 0.5);
        sample_projected(src, |dx, dy| ray(px + dx, py + dy))
    })
}

/// An image whose pixels `pixel(x, y)` are computed row by row over the caller's rayon pool.
fn par_image(width: u32, height: u32, pixel: impl Fn(u32, u32) -> [u8; 3] + Sync) -> RgbImage {
    use rayon::prelude::*;
    let mut raw = vec![0u8; width as usize * height as usize * 3];
    raw.par_chunks_mut((width as usize * 3).max(1))
        .enumerate()
        .for_each(|(y, row)| {
            for (x, px) in row.chunks_exact_mut(3).enumerate() {
                px.copy_from_slice(&pixel(x as u32, y as u32));
            }
        });
    RgbImage::from_raw(width, height, raw).expect("width·height·3 bytes")
}

/// The direction through pixel position (`px`, `py`) of a `width`×`height` rectilinear view (angles in degrees,
/// as Pannellum means them).
fn view_ray(yaw: f64, pitch: f64, hfov: f64, width: u32, height: u32) -> impl Fn(f64, f64) -> [f64; 3] {
    let (w, h) = (f64::from(width), f64::from(height));
    let half = (hfov.to_radians() / 2.0).tan();
    let (sy, cy) = yaw.to_radians().sin_cos();
    let (sp, cp) = pitch.to_radians().sin_cos();
    move |px: f64, py: f64| {
        let x = (2.0 * px / w - 1.0) * half;
        let y = -(2.0 * py / h - 1.0) * half * h / w;
        // Pitch about x, then yaw about y.
        let (y1, z1) = (y * cp + sp, -y * sp + cp);
        [x * cy + z1 * sy, y1, -x * sy + z1 * cy]
    }
}

/// The cube face a direction passes through, and where on it: `u` to the right of the face image and `v`
/// down it, both in [−1, 1] (the inverse of [`Face::direction`]).
pub fn face_uv(d: [f64; 3]) -> (Face, f64, f64) {
    let [x, y, z] = d;
    let (ax, ay, az) = (x.abs(), y.abs(), z.abs());
    if az >= ax && az >= ay {
        if z > 0.0 {
            (Face::Front, x / z, -y / z)
        } else {
            (Face::Back, x / z, y / z)
        }
    } else if ax >= ay {
        if x > 0.0 {
            (Face::Right, -z / x, -y / x)
        } else {
            (Face::Left, -z / x, y / x)
        }
    } else if y > 0.0 {
        (Face::Up, x / y, z / y)
    } else {
        (Face::Down, -x / y, z / y)
    }
}

/// A rectilinear view rendered from six cube faces (in [`Face::ALL`] order, square, the same size), with
/// bilinear sampling: what `disan render` draws from a panorama's tile pyramid. For many views of the same
/// faces (a video's frames), make a [`CubeFaces`] once and call [`CubeFaces::render`].
pub fn render_cube_view(faces: &[RgbImage; 6], yaw: f64, pitch: f64, hfov: f64, width: u32, height: u32) -> RgbImage {
    CubeFaces::new(faces).render(yaw, pitch, hfov, width, height)
}

/// Six cube faces in one buffer, ready for fast views ([`CubeFaces::render`]).
///
/// This is the inner loop of every video frame `disan share` draws, so it is written for speed. Along a row
/// the ray is linear in x; in runs of 64 pixels a branch-free pass the compiler vectorises finds each lookup's
/// face and position (the face chosen by selects, one reciprocal, 8-bit fixed-point weights), then a gather
/// pass blends the four neighbours of each lookup with all three channels in one 64-bit word (SWAR). The faces
/// sit end to end with a padding row, so a neighbour past a face's last row or column (weight 0) is always a
/// readable byte and the gather needs no edge tests. It agrees with [`render_cube_view_reference`] (the plain
/// per-pixel form) to within one level.
pub struct CubeFaces {
    raw: Vec<u8>,
    /// The side of every face, in pixels.
    size: usize,
}

/// The low byte of each 16-bit lane of a [`CubeFaces`] blend word, and ½ (of 256) in each.
const LANES_BYTE: u64 = 0x00ff_00ff_00ff_00ff;
const LANES_HALF: u64 = 0x0080_0080_0080_0080;

impl CubeFaces {
    /// Copies the faces into one buffer (faces of another size than the first are resized to it).
    pub fn new(faces: &[RgbImage; 6]) -> Self {
        // Every pixel index fits an i32 (6 · 16384² < 2³¹).
        let size = faces[0].width().clamp(1, 16384);
        let face_bytes = size as usize * size as usize * 3;
        // A neighbour below the last face's last row, or right of its last pixel, and the fourth byte of a
        // 32-bit read: weight 0, but read.
        let len = 6 * face_bytes + 3 * size as usize + 8;
        let mut raw = Vec::with_capacity(len);
        for face in faces {
            if face.dimensions() == (size, size) {
                raw.extend_from_slice(face.as_raw());
            } else if face.width() == 0 || face.height() == 0 {
                // Nothing to resize: black.
                raw.resize(raw.len() + face_bytes, 0);
            } else {
                let fitted = image::imageops::resize(face, size, size, image::imageops::FilterType::Triangle);
                raw.extend_from_slice(fitted.as_raw());
            }
        }
        raw.resize(len, 0);
        Self {
            raw,
            size: size as usize,
        }
    }

    /// The view `yaw`, `pitch`, `hfov` (degrees, as Pannellum means them) at `width`×`height`.
    pub fn render(&self, yaw: f64, pitch: f64, hfov: f64, width: u32, height: u32) -> RgbImage {
        use rayon::prelude::*;
        let (w, h) = (f64::from(width), f64::from(height));
        let half = (hfov.to_radians() / 2.0).tan();
        let (sy, cy) = yaw.to_radians().sin_cos();
        let (sp, cp) = pitch.to_radians().sin_cos();
        let mut img = RgbImage::new(width, height);
        let row_len = 3 * width.max(1) as usize;
        img.as_mut().par_chunks_mut(row_len).enumerate().for_each(|(py, row)| {
            let y = -(2.0 * (py as f64 + 0.5) / h - 1.0) * half * h / w;
            let (y1, z1) = (y * cp + sp, -y * sp + cp);
            // The ray at x: (bx + x·ax, y1, bz + x·az).
            let ray = RowRay {
                bx: (z1 * sy) as f32,
                y: y1 as f32,
                bz: (z1 * cy) as f32,
                ax: cy as f32,
                az: -sy as f32,
                x0: ((1.0 / w - 1.0) * half) as f32,
                step: (2.0 / w * half) as f32,
            };
            self.render_row(&ray, row);
        });
        img
    }

    // Kept out of line: one call a row costs nothing, and profiles then name the sampler.
    #[inline(never)]
    fn render_row(&self, ray: &RowRay, row: &mut [u8]) {
        const RUN: usize = 64;
        let s = self.size as f32;
        // u ∈ [−1, 1] to 1/256 pixel: ((u + 1)·s/2 − ½)·256.
        let (scale, offset) = (s * 128.0, (s * 0.5 - 0.5) * 256.0);
        let max = (self.size as i32 - 1) * 256;
        let maxf = max as f32;
        let size = self.size as i32;
        // Per lookup: the top-left neighbour's pixel index in the buffer, and the weights of the right and
        // lower neighbours in 1/256.
        let mut index = [0i32; RUN];
        let mut tx = [0i32; RUN];
        let mut ty = [0i32; RUN];
        for (run, pixels) in row.chunks_mut(3 * RUN).enumerate() {
            let first = (run * RUN) as f32;
            for i in 0..RUN {
                let x = ray.x0 + (first + i as f32) * ray.step;
                let (dx, dy, dz) = (ray.bx + x * ray.ax, ray.y, ray.bz + x * ray.az);
                let (ax, ay, az) = (dx.abs(), dy.abs(), dz.abs());
                let z_major = az >= ax && az >= ay;
                let x_major = !z_major && ax >= ay;
                let r = 1.0
                    / if z_major {
                        az
                    } else if x_major {
                        ax
                    } else {
                        ay
                    };
                // Front x/z, −y/|z|; Back the same with z < 0; Right/Left −z/x, −y/|x|; Up/Down x/|y|, z/y.
                let nu = if z_major {
                    flip(dx, dz)
                } else if x_major {
                    -flip(dz, dx)
                } else {
                    dx
                };
                let nv = if z_major || x_major { -dy } else { flip(dz, dy) };
                let fx = to_int(nu * r * scale + offset, maxf);
                let fy = to_int(nv * r * scale + offset, maxf);
                let face = if z_major {
                    if dz > 0.0 { 0 } else { 2 }
                } else if x_major {
                    if dx > 0.0 { 1 } else { 3 }
                } else if dy > 0.0 {
                    4
                } else {
                    5
                };
                index[i] = (face * size + (fy >> 8)) * size + (fx >> 8);
                tx[i] = fx & 255;
                ty[i] = fy & 255;
            }
            for (i, out) in pixels.chunks_exact_mut(3).enumerate() {
                out.copy_from_slice(&self.bilinear(index[i] as usize * 3, tx[i] as u64, ty[i] as u64));
            }
        }
    }

    /// The blend of the four pixels from byte `at` (its right, lower and lower right neighbours), `tx` and
    /// `ty` (0–255) of the way right and down.
    #[inline(always)]
    fn bilinear(&self, at: usize, tx: u64, ty: u64) -> [u8; 3] {
        let stride = 3 * self.size;
        let Some(block) = self.raw.get(at..at + stride + 7) else {
            return [0; 3];
        };
        let word = |i: usize| spread(u32::from_le_bytes(block[i..i + 4].try_into().unwrap_or_default()));
        // Each step ≤ 255·256 + 128 < 2¹⁶ a lane, rounded back to 8 bits.
        let lerp = |a: u64, b: u64, t: u64| ((a * (256 - t) + b * t + LANES_HALF) >> 8) & LANES_BYTE;
        let top = lerp(word(0), word(3), tx);
        let bottom = lerp(word(stride), word(stride + 3), tx);
        let v = lerp(top, bottom, ty);
        [v as u8, (v >> 32) as u8, (v >> 16) as u8]
    }
}

/// One row of a view: the ray through pixel x is (bx + X·ax, y, bz + X·az) with X = x0 + x·step.
struct RowRay {
    bx: f32,
    y: f32,
    bz: f32,
    ax: f32,
    az: f32,
    x0: f32,
    step: f32,
}

/// `v` clamped to [0, `max`] (`max` < 2²²) and rounded to an integer, as float arithmetic and a bit mask: unlike
/// `as i32` (which saturates), this vectorises.
#[inline(always)]
fn to_int(v: f32, max: f32) -> i32 {
    // 1.5 · 2²³: adding it leaves the integer part in the low 22 bits of the mantissa.
    const MAGIC: f32 = 12_582_912.0;
    ((v.clamp(0.0, max) + MAGIC).to_bits() & 0x3f_ffff) as i32
}

/// `a` with its sign flipped where `b` is negative (a·sign b, branch-free).
#[inline(always)]
fn flip(a: f32, b: f32) -> f32 {
    f32::from_bits(a.to_bits() ^ (b.to_bits() & 0x8000_0000))
}

/// The four bytes `p` (R, G, B of a pixel and the next byte) as the 16-bit lanes R, B, G, (next) of a blend
/// word: two shifts and a mask, no byte-by-byte unpacking.
#[inline(always)]
fn spread(p: u32) -> u64 {
    let p = u64::from(p);
    (p | (p << 24)) & LANES_BYTE
}

/// [`render_cube_view`] pixel by pixel in `f64`: the definition the fast form is tested against.
pub fn render_cube_view_reference(
    faces: &[RgbImage; 6],
    yaw: f64,
    pitch: f64,
    hfov: f64,
    width: u32,
    height: u32,
) -> RgbImage {
    let ray = view_ray(yaw, pitch, hfov, width, height);
    par_from_fn(width, height, |x, y| {
        sample_cube(faces, ray(f64::from(x) + 0.5, f64::from(y) + 0.5))
    })
}

/// `RgbImage::from_fn`, rows in parallel.
fn par_from_fn(width: u32, height: u32, f: impl Fn(u32, u32) -> [u8; 3] + Sync) -> RgbImage {
    use rayon::prelude::*;
    let mut img = RgbImage::new(width, height);
    img.as_mut()
        .par_chunks_mut(3 * width.max(1) as usize)
        .enumerate()
        .for_each(|(y, row)| {
            for (x, p) in row.chunks_exact_mut(3).enumerate() {
                p.copy_from_slice(&f(x as u32, y as u32));
            }
        });
    img
}

/// The whole sphere as an equirectangular image `width`×`width/2` (yaw 0 at the centre, as the source image
/// was), from six cube faces as in [`render_cube_view`], with bilinear sampling: a panorama rebuilt from its
/// tile pyramid (for a 360° post, where the pyramid is all the collection keeps at full size).
pub fn render_cube_equirect(faces: &[RgbImage; 6], width: u32) -> RgbImage {
    let height = (width / 2).max(1);
    let (w, h) = (f64::from(width), f64::from(height));
    par_from_fn(width, height, |x, y| {
        let yaw = ((f64::from(x) + 0.5) / w - 0.5) * std::f64::consts::TAU;
        let pitch = (0.5 - (f64::from(y) + 0.5) / h) * std::f64::consts::PI;
        sample_cube(faces, direction(yaw, pitch))
    })
}

/// The cube faces' colour in direction `d`, bilinear within the face.
fn sample_cube(faces: &[RgbImage; 6], d: [f64; 3]) -> [u8; 3] {
    let (face, u, v) = face_uv(d);
    let img = &faces[face as usize];
    let (w, h) = (img.width(), img.height());
    let s = f64::from(w);
    // Pixel centres sit at half-pixel positions.
    let fx = ((u + 1.0) * 0.5 * s - 0.5).clamp(0.0, s - 1.0);
    let fy = ((v + 1.0) * 0.5 * s - 0.5).clamp(0.0, f64::from(h) - 1.0);
    // Both are ≥ 0: truncation is floor. Weights in 1/256ths, summed in integers (exact to ½ of a level).
    let (x0, y0) = (fx as u32, fy as u32);
    let dx = usize::from(x0 + 1 < w) * 3;
    let dy = if y0 + 1 < h { 3 * w as usize } else { 0 };
    let tx = ((fx - f64::from(x0)) * 256.0 + 0.5) as u32;
    let ty = ((fy - f64::from(y0)) * 256.0 + 0.5) as u32;
    let raw = img.as_raw();
    let at = (y0 as usize * w as usize + x0 as usize) * 3;
    let (a, b, c, d) = (
        &raw[at..at + 3],
        &raw[at + dx..at + dx + 3],
        &raw[at + dy..at + dy + 3],
        &raw[at + dy + dx..at + dy + dx + 3],
    );
    let mut out = [0u8; 3];
    for (i, o) in out.iter_mut().enumerate() {
        let top = u32::from(a[i]) * (256 - tx) + u32::from(b[i]) * tx;
        let bottom = u32::from(c[i]) * (256 - tx) + u32::from(d[i]) * tx;
        *o = ((top * (256 - ty) + bottom * ty + (1 << 15)) >> 16) as u8;
    }
    out
}

/// An equirectangular image turned by `shift` pixels to the left (yaw grows by `shift` / width × 360°),
/// wrapping round, linearly between two columns: a 360° video's slow turn, frame by frame.
pub fn turn_equirect(equi: &RgbImage, shift: f64) -> RgbImage {
    use rayon::prelude::*;
    let (w, h) = equi.dimensions();
    let whole = shift.floor();
    let frac = ((shift - whole) * 256.0).round() as u32;
    let base = (whole as i64).rem_euclid(i64::from(w.max(1))) as usize;
    let (w, row_len) = (w as usize, 3 * w as usize);
    let src = equi.as_raw();
    let mut out = RgbImage::new(w as u32, h);
    out.as_mut()
        .par_chunks_mut(row_len.max(1))
        .zip(src.par_chunks(row_len.max(1)))
        .for_each(|(row, line)| {
            for x in 0..w {
                let a = (x + base) % w * 3;
                let b = (x + base + 1) % w * 3;
                for c in 0..3 {
                    let v = u32::from(line[a + c]) * (256 - frac) + u32::from(line[b + c]) * frac;
                    row[x * 3 + c] = ((v + 128) >> 8) as u8;
                }
            }
        });
    out
}

/// One output pixel through a projection `ray(dx, dy)` (offsets in output pixels): three projections for
/// the position and its local linear map, then [`EquiSource::sample_linear`].
fn sample_projected(src: &EquiSource<'_>, ray: impl Fn(f64, f64) -> [f64; 3]) -> [u8; 3] {
    let p = src.source_position(ray(0.0, 0.0));
    let right = src.source_position(ray(1.0, 0.0));
    let down = src.source_position(ray(0.0, 1.0));
    src.sample_linear(
        p,
        (src.dx(p.0, right.0), right.1 - p.1),
        (src.dx(p.0, down.0), down.1 - p.1),
    )
}

/// The equirectangular preview: the whole sphere at `width`×`width/2`, missing areas filled.
pub fn render_equirect(src: &EquiSource<'_>, width: u32) -> RgbImage {
    let height = (width / 2).max(1);
    let (w, h) = (f64::from(width), f64::from(height));
    par_image(width, height, |x, y| {
        let ray = |du: f64, dv: f64| {
            let yaw = ((f64::from(x) + 0.5 + du) / w - 0.5) * std::f64::consts::TAU;
            let pitch = (0.5 - (f64::from(y) + 0.5 + dv) / h) * std::f64::consts::PI;
            direction(yaw, pitch)
        };
        sample_projected(src, ray)
    })
}

/// What Pannellum's `config.json` says for a pyramid written by this crate.
pub fn pannellum_config(
    layout: &CubeLayout,
    pano: Option<&PanoInfo>,
    fallback: bool,
    preview: bool,
) -> serde_json::Value {
    let mut multires = json!({
        "basePath": ".",
        "path": "/%l/%s%y_%x",
        "extension": "jpg",
        "tileResolution": layout.tile_size,
        "maxLevel": layout.max_level,
        "cubeResolution": layout.cube_size,
    });
    if fallback {
        multires["fallbackPath"] = json!("/fallback/%s");
    }
    let mut config = json!({ "type": "multires", "multiRes": multires });
    if preview {
        config["preview"] = json!("preview.jpg");
    }
    if let Some(heading) = pano.and_then(|p| p.pose_heading_deg) {
        config["northOffset"] = json!(heading);
    }
    config
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_turn_wraps_round_the_sphere() {
        let mut equi = RgbImage::new(4, 1);
        for x in 0..4 {
            equi.put_pixel(x, 0, image::Rgb([x as u8 * 10; 3]));
        }
        assert_eq!(turn_equirect(&equi, 1.0).as_raw()[..3], [10, 10, 10]);
        assert_eq!(turn_equirect(&equi, 3.0).as_raw()[3..6], [0, 0, 0]);
        assert_eq!(turn_equirect(&equi, 0.5).as_raw()[..3], [5, 5, 5]);
        assert_eq!(turn_equirect(&equi, -1.0).as_raw()[..3], [30, 30, 30]);
    }

    use super::*;

    #[test]
    fn the_fast_cube_view_matches_the_reference_within_a_level() {
        // Faces of real photographic detail (a demo panorama's cube), views across face edges and the poles.
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../assets/samples/panoramas/aframe-louvre-gpano.jpg");
        let src = disan_imaging::read_rgb8(
            &path,
            &disan_imaging::DecodeLimits::from(&disan_core::Settings::default()),
        )
        .unwrap();
        let src = image::imageops::resize(&src, 1024, 512, image::imageops::FilterType::Triangle);
        let equi = EquiSource::new(&src, None);
        let faces: [RgbImage; 6] = std::array::from_fn(|i| render_face(&equi, Face::ALL[i], 384));
        for (yaw, pitch, hfov, w, h) in [
            (0.0, 0.0, 90.0, 320, 180),
            (45.0, 10.0, 100.0, 200, 300),
            (-135.0, 80.0, 70.0, 240, 240),
            (170.0, -89.0, 120.0, 300, 200),
        ] {
            let fast = render_cube_view(&faces, yaw, pitch, hfov, w, h);
            let slow = render_cube_view_reference(&faces, yaw, pitch, hfov, w, h);
            let (mut worst, mut over_one) = (0u8, 0usize);
            for (a, b) in fast.as_raw().iter().zip(slow.as_raw()) {
                let d = a.abs_diff(*b);
                worst = worst.max(d);
                over_one += usize::from(d > 1);
            }
            // f32 against f64 moves a few lookups across a 1/256-pixel step; nothing else differs.
            assert!(
                over_one * 1000 <= fast.as_raw().len() && worst <= 8,
                "view {yaw},{pitch}: worst {worst}, {over_one} values off by more than one"
            );
        }
    }

    #[test]
    fn cube_faces_of_odd_sizes_render_without_panicking() {
        // A face of another size is resized to the first's; an empty one is black.
        let grey = RgbImage::from_pixel(16, 16, image::Rgb([100, 100, 100]));
        let faces: [RgbImage; 6] = std::array::from_fn(|i| match i {
            1 => RgbImage::from_pixel(7, 9, image::Rgb([100, 100, 100])),
            2 => RgbImage::new(0, 0),
            _ => grey.clone(),
        });
        let cube = CubeFaces::new(&faces);
        let front = cube.render(0.0, 0.0, 60.0, 32, 18);
        assert!(front.pixels().all(|p| p.0 == [100, 100, 100]), "the front face is grey");
        let back = cube.render(180.0, 0.0, 60.0, 32, 18);
        assert!(back.pixels().all(|p| p.0 == [0, 0, 0]), "the empty back face is black");
        let right = cube.render(90.0, 0.0, 60.0, 32, 18);
        assert!(right.pixels().all(|p| p.0 == [100, 100, 100]), "the resized right face");
    }

    #[test]
    fn face_uv_inverts_face_direction() {
        for face in Face::ALL {
            for (u, v) in [(0.0, 0.0), (0.5, -0.25), (-0.9, 0.7), (0.99, 0.99)] {
                let (f, u2, v2) = face_uv(face.direction(u, v));
                assert_eq!(f, face);
                assert!(
                    (u - u2).abs() < 1e-12 && (v - v2).abs() < 1e-12,
                    "{face:?} {u} {v}: {u2} {v2}"
                );
            }
        }
    }
}
