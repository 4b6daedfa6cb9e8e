//! IIIF Image API 3.0 level-0 static tiles: which files a level-0 client requests and the `info.json`
//! that announces them.
//!
//! A level-0 service has no server logic: every URL a client builds from `info.json` must exist as a
//! file. Clients build them from `tiles` (tile width and scale factors) and `sizes` (whole-image sizes):
//!
//! - the image at scale factor `s` is `⌈W/s⌉ × ⌈H/s⌉`;
//! - the tile at column `c`, row `r` covers the source region `x = c·t·s`, `y = r·t·s`,
//!   `w = min(t·s, W − x)`, `h = min(t·s, H − y)` and is `⌈w/s⌉ × ⌈h/s⌉` pixels, at
//!   `{x},{y},{w},{h}/{⌈w/s⌉},{⌈h/s⌉}/0/default.jpg`;
//! - canonical forms (Image API 3.0 §4.7, and what OpenSeadragon requests): a region covering the whole
//!   image is `full`, a size equal to the full image is `max`;
//! - every entry of `sizes` is a whole image at `full/{w},{h}/0/default.jpg`, and `full/max/0/default.jpg`
//!   (which level 0 must serve) is the largest of them. When that is smaller than the image, `maxWidth` and
//!   `maxHeight` say so, as the specification provides, so no full-resolution single JPEG is written.

use serde_json::{Value, json};

/// Context of Image API 3 documents.
pub const IMAGE3_CONTEXT: &str = "http://iiif.io/api/image/3/context.json";

/// The files of a level-0 pyramid for one image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IiifLayout {
    pub width: u32,
    pub height: u32,
    pub tile_size: u32,
    /// 1, 2, 4, … up to the first factor at which the whole image fits in one tile.
    pub scale_factors: Vec<u32>,
    /// Whole-image sizes written under `full/`, smallest first: every level whose longer side is at most
    /// the `max_full_size` given to [`IiifLayout::new`] (always at least the smallest level).
    pub sizes: Vec<(u32, u32)>,
}

/// One tile of one level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IiifTile {
    pub scale: u32,
    pub col: u32,
    pub row: u32,
    /// Source region: x, y, width, height in full-resolution pixels.
    pub region: (u32, u32, u32, u32),
    /// Pixel size of the tile image.
    pub size: (u32, u32),
}

impl IiifLayout {
    /// The layout a manifest's `iiif` describes for a `width`×`height` photo, if it is one Disan could have
    /// written: sizes in range, at most [`crate::MAX_MANIFEST_TILES`] tiles, and scale factors and tile
    /// count agreeing with the arithmetic (see [`crate::CubeLayout::from_manifest`]).
    pub fn from_manifest(width: u32, height: u32, t: &disan_core::IiifTiles) -> Option<Self> {
        const MAX_SIDE: u32 = 1 << 20;
        if !(1..=MAX_SIDE).contains(&width)
            || !(1..=MAX_SIDE).contains(&height)
            || !(16..=8192).contains(&t.tile_size)
            || t.tiles > crate::MAX_MANIFEST_TILES
        {
            return None;
        }
        let max_full = t.sizes.last().map_or(0, |[w, h]| (*w).max(*h));
        let layout = Self::new(width, height, t.tile_size, max_full);
        (layout.scale_factors == t.scale_factors && layout.tile_count() == t.tiles && !layout.sizes.is_empty())
            .then_some(layout)
    }

    /// The layout for a `width`×`height` image with square tiles of `tile_size`, writing whole images up to
    /// `max_full_size` on the longer side.
    pub fn new(width: u32, height: u32, tile_size: u32, max_full_size: u32) -> Self {
        assert!(
            width > 0 && height > 0 && tile_size > 0,
            "an image and its tiles have pixels"
        );
        let mut scale_factors = vec![1u32];
        while {
            let s = *scale_factors.last().expect("starts with 1");
            width.div_ceil(s) > tile_size || height.div_ceil(s) > tile_size
        } {
            let s = scale_factors.last().expect("starts with 1") * 2;
            scale_factors.push(s);
        }
        let max_full = max_full_size.max(tile_size);
        let mut sizes: Vec<(u32, u32)> = scale_factors
            .iter()
            .rev()
            .map(|&s| (width.div_ceil(s), height.div_ceil(s)))
            .filter(|&(w, h)| w.max(h) <= max_full)
            .collect();
        sizes.dedup();
        Self {
            width,
            height,
            tile_size,
            scale_factors,
            sizes,
        }
    }

    /// The image size at scale factor `scale`.
    pub fn level_size(&self, scale: u32) -> (u32, u32) {
        (self.width.div_ceil(scale), self.height.div_ceil(scale))
    }

    /// Columns and rows of tiles at scale factor `scale`.
    pub fn grid(&self, scale: u32) -> (u32, u32) {
        let span = self.tile_size * scale;
        (self.width.div_ceil(span), self.height.div_ceil(span))
    }

    /// Every tile of the level at `scale`, row by row.
    pub fn tiles(&self, scale: u32) -> Vec<IiifTile> {
        let (cols, rows) = self.grid(scale);
        let span = self.tile_size * scale;
        (0..rows)
            .flat_map(|row| (0..cols).map(move |col| (col, row)))
            .map(|(col, row)| {
                let (x, y) = (col * span, row * span);
                let (w, h) = (span.min(self.width - x), span.min(self.height - y));
                IiifTile {
                    scale,
                    col,
                    row,
                    region: (x, y, w, h),
                    size: (w.div_ceil(scale), h.div_ceil(scale)),
                }
            })
            .collect()
    }

    /// Tile files over all levels.
    pub fn tile_count(&self) -> u64 {
        self.scale_factors
            .iter()
            .map(|&s| {
                let (c, r) = self.grid(s);
                u64::from(c) * u64::from(r)
            })
            .sum()
    }

    /// The canonical request path of a tile, relative to the service folder.
    pub fn tile_path(&self, tile: &IiifTile) -> String {
        let (x, y, w, h) = tile.region;
        let region = if (x, y, w, h) == (0, 0, self.width, self.height) {
            "full".to_owned()
        } else {
            format!("{x},{y},{w},{h}")
        };
        format!("{region}/{}/0/default.jpg", self.size_segment(tile.size))
    }

    /// The path of a whole image at one of [`IiifLayout::sizes`].
    pub fn full_path(&self, size: (u32, u32)) -> String {
        format!("full/{}/0/default.jpg", self.size_segment(size))
    }

    /// The `max` size: the largest entry of `sizes`.
    pub fn max_size(&self) -> (u32, u32) {
        *self.sizes.last().expect("the smallest level is always listed")
    }

    fn size_segment(&self, (w, h): (u32, u32)) -> String {
        if (w, h) == (self.width, self.height) {
            "max".to_owned()
        } else {
            format!("{w},{h}")
        }
    }

    /// `info.json` for the service at `id` (the URL of the folder, without a trailing slash).
    pub fn info_json(&self, id: &str) -> Value {
        let mut info = json!({
            "@context": IMAGE3_CONTEXT,
            "id": id.trim_end_matches('/'),
            "type": "ImageService3",
            "protocol": "http://iiif.io/api/image",
            "profile": "level0",
            "width": self.width,
            "height": self.height,
        });
        let (mw, mh) = self.max_size();
        if (mw, mh) != (self.width, self.height) {
            info["maxWidth"] = json!(mw);
            info["maxHeight"] = json!(mh);
        }
        info["sizes"] = self
            .sizes
            .iter()
            .map(|&(width, height)| json!({"width": width, "height": height}))
            .collect();
        info["tiles"] = json!([{
            "width": self.tile_size,
            "height": self.tile_size,
            "scaleFactors": self.scale_factors,
        }]);
        info
    }
}

/// Why an `info.json` cannot be given a new id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InfoError {
    #[error("info.json is not a JSON object")]
    NotAnObject,
    #[error("info.json is not an ImageService3 document")]
    NotImageService3,
}

/// Sets the `id` of an `info.json` document; the rest is left byte for byte as it was parsed.
pub fn rewrite_info_id(info: &mut Value, id: &str) -> Result<(), InfoError> {
    let obj = info.as_object_mut().ok_or(InfoError::NotAnObject)?;
    if obj.get("type").and_then(Value::as_str) != Some("ImageService3") {
        return Err(InfoError::NotImageService3);
    }
    obj.insert("id".into(), Value::String(id.trim_end_matches('/').to_owned()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_end_when_one_tile_holds_the_image() {
        let l = IiifLayout::new(11520, 8640, 512, 2048);
        assert_eq!(l.scale_factors, [1, 2, 4, 8, 16, 32]);
        assert_eq!(l.level_size(32), (360, 270));
        assert_eq!(l.sizes, [(360, 270), (720, 540), (1440, 1080)]);
        assert_eq!(l.grid(1), (23, 17));
        let small = IiifLayout::new(300, 200, 512, 2048);
        assert_eq!(small.scale_factors, [1]);
        assert_eq!(small.sizes, [(300, 200)]);
        assert_eq!(small.tile_path(&small.tiles(1)[0]), "full/max/0/default.jpg");
    }

    #[test]
    fn tiles_cover_each_level_exactly() {
        for (w, h) in [(4097, 3001), (5000, 5000), (513, 1), (12345, 678)] {
            let l = IiifLayout::new(w, h, 512, 2048);
            for &s in &l.scale_factors {
                let tiles = l.tiles(s);
                let (lw, lh) = l.level_size(s);
                let (cols, rows) = l.grid(s);
                let width: u32 = tiles.iter().filter(|t| t.row == 0).map(|t| t.size.0).sum();
                let height: u32 = tiles.iter().filter(|t| t.col == 0).map(|t| t.size.1).sum();
                assert_eq!((width, height), (lw, lh), "{w}×{h} at {s}");
                assert_eq!(tiles.len() as u32, cols * rows);
                let area: u64 = tiles
                    .iter()
                    .map(|t| u64::from(t.region.2) * u64::from(t.region.3))
                    .sum();
                assert_eq!(area, u64::from(w) * u64::from(h));
            }
        }
    }

    #[test]
    fn canonical_paths() {
        let l = IiifLayout::new(4096, 3072, 512, 2048);
        assert_eq!(l.scale_factors, [1, 2, 4, 8]);
        let t = &l.tiles(1)[9];
        assert_eq!(l.tile_path(t), "512,512,512,512/512,512/0/default.jpg");
        // The last level is one tile over the whole image: region `full`.
        assert_eq!(l.tile_path(&l.tiles(8)[0]), "full/512,384/0/default.jpg");
        let edge = l.tiles(4).into_iter().last().expect("tiles");
        assert_eq!(l.tile_path(&edge), "2048,2048,2048,1024/512,256/0/default.jpg");
        let info = l.info_json("https://example.org/iiif/x/");
        assert_eq!(info["id"], "https://example.org/iiif/x");
        assert_eq!(info["maxWidth"], 2048);
        assert_eq!(info["tiles"][0]["scaleFactors"], json!([1, 2, 4, 8]));
        assert_eq!(l.full_path(l.max_size()), "full/2048,1536/0/default.jpg");
    }
}
