//! Marzipano's cube geometry, for tour exports: level sizes, tile paths, the preview strip and the angle
//! conventions of its `data.js`.
//!
//! Marzipano (`CubeGeometry`) refuses a level whose face size is not a multiple of its tile size, or of the
//! level before it, or whose tile count is not a multiple of the level before's. Pannellum's levels (each
//! the one above halved, partial tiles at the edge) break all three, so an export resamples the finest face
//! to [`TILE_SIZE`]·2ᵏ levels. Face letters and face image orientation are Pannellum's (checked in Chromium
//! against the source, `tests/e2e/tours.rs`). Tiles are `<z>/<face>/<row>/<col>.jpg`; level `z = 0` is
//! the fallback-only preview, read from one strip image of the six faces in [`PREVIEW_FACE_ORDER`].

use serde_json::{Value, json};

use crate::Face;

/// Tile size of every selectable level.
pub const TILE_SIZE: u32 = 512;
/// Face size of the preview level (`fallbackOnly`), one strip image of six faces.
pub const PREVIEW_SIZE: u32 = 256;
/// Largest face an export writes (Marzipano's own tool stops well below it).
pub const MAX_FACE_SIZE: u32 = TILE_SIZE << 5;
/// The order of faces, top to bottom, in the preview strip (Marzipano's `cubeMapPreviewFaceOrder` default).
pub const PREVIEW_FACE_ORDER: [Face; 6] = [Face::Back, Face::Down, Face::Front, Face::Left, Face::Right, Face::Up];

/// The selectable levels of an exported panorama: face sizes `TILE_SIZE`·2ᵏ, coarsest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarzipanoLayout {
    /// Face size of level `z = i + 1`.
    pub sizes: Vec<u32>,
}

impl MarzipanoLayout {
    /// Levels for a pyramid whose finest face is `cube_size` pixels: up to the power-of-two multiple of the
    /// tile size nearest to it (so at most a third is lost or invented), at least one tile.
    pub fn for_cube_size(cube_size: u32) -> Self {
        let ratio = f64::from(cube_size) / f64::from(TILE_SIZE);
        let steps = if ratio <= 1.0 {
            0
        } else {
            (ratio.log2().round() as u32).min(MAX_FACE_SIZE.ilog2() - TILE_SIZE.ilog2())
        };
        Self {
            sizes: (0..=steps).map(|k| TILE_SIZE << k).collect(),
        }
    }

    /// The finest face size (`faceSize` in `data.js`).
    pub fn face_size(&self) -> u32 {
        *self.sizes.last().expect("at least one level")
    }

    /// Tiles per side of a face at level `z` (1-based; 0 is the preview).
    pub fn tiles_per_side(&self, z: usize) -> u32 {
        self.sizes[z - 1] / TILE_SIZE
    }

    /// Tile files over all levels and faces (the preview strip not counted).
    pub fn tile_count(&self) -> u64 {
        self.sizes.iter().map(|s| 6 * u64::from(s / TILE_SIZE).pow(2)).sum()
    }

    /// `levels` as `new Marzipano.CubeGeometry(levels)` takes them, preview first.
    pub fn levels_json(&self) -> Value {
        let mut levels = vec![json!({"tileSize": PREVIEW_SIZE, "size": PREVIEW_SIZE, "fallbackOnly": true})];
        levels.extend(self.sizes.iter().map(|&s| json!({"tileSize": TILE_SIZE, "size": s})));
        Value::Array(levels)
    }

    /// A tile's path relative to the scene's folder, as the URL template `{z}/{f}/{y}/{x}.jpg` makes it.
    pub fn tile_path(z: usize, face: Face, row: u32, col: u32) -> String {
        format!("{z}/{}/{row}/{col}.jpg", face.letter())
    }
}

/// Marzipano's yaw and pitch in radians for Pannellum's degrees: yaw alike (to the right), pitch the other
/// way (Marzipano's grows downward). Yaw is brought into −π..π.
pub fn angles(yaw_deg: f64, pitch_deg: f64) -> (f64, f64) {
    let yaw = (yaw_deg + 180.0).rem_euclid(360.0) - 180.0;
    (yaw.to_radians(), (-pitch_deg).to_radians())
}

/// The vertical field of view (radians, Marzipano's `fov`) of a horizontal one in degrees (Pannellum's
/// `hfov`) on a view `aspect` = width / height.
pub fn vfov(hfov_deg: f64, aspect: f64) -> f64 {
    2.0 * ((hfov_deg.to_radians() / 2.0).tan() / aspect).atan()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `CubeGeometry` checks between each level and the one before it.
    fn marzipano_accepts(levels: &Value) -> bool {
        let levels: Vec<(u64, u64)> = levels
            .as_array()
            .unwrap()
            .iter()
            .map(|l| (l["size"].as_u64().unwrap(), l["tileSize"].as_u64().unwrap()))
            .collect();
        levels.iter().all(|(s, t)| s % t == 0)
            && levels
                .windows(2)
                .all(|w| w[1].0 % w[0].0 == 0 && (w[1].0 / w[1].1) % (w[0].0 / w[0].1) == 0)
    }

    #[test]
    fn levels_are_ones_marzipano_accepts_and_near_the_source() {
        for cube in [8, 300, 512, 700, 800, 1000, 1528, 2048, 3000, 6366, 40_000] {
            let layout = MarzipanoLayout::for_cube_size(cube);
            assert!(marzipano_accepts(&layout.levels_json()), "{cube}: {layout:?}");
            let face = f64::from(layout.face_size());
            if (TILE_SIZE..=MAX_FACE_SIZE).contains(&cube) {
                let ratio = face / f64::from(cube);
                assert!((0.7..=1.42).contains(&ratio), "{cube} → {face}");
            }
            assert!(layout.face_size() <= MAX_FACE_SIZE);
        }
        assert_eq!(MarzipanoLayout::for_cube_size(1528).sizes, vec![512, 1024, 2048]);
        assert_eq!(MarzipanoLayout::for_cube_size(1400).sizes, vec![512, 1024]);
        assert_eq!(MarzipanoLayout::for_cube_size(1528).tile_count(), 6 * (1 + 4 + 16));
    }

    #[test]
    fn angles_follow_marzipano() {
        let (yaw, pitch) = angles(190.0, 30.0);
        assert!((yaw - (-170f64).to_radians()).abs() < 1e-12);
        assert!((pitch + 30f64.to_radians()).abs() < 1e-12);
        // A square view has equal fields of view; a wide one a narrower vertical one.
        assert!((vfov(90.0, 1.0) - std::f64::consts::FRAC_PI_2).abs() < 1e-12);
        assert!(vfov(90.0, 16.0 / 9.0) < std::f64::consts::FRAC_PI_2);
    }
}
