use serde::{Deserialize, Serialize};

/// Bumped whenever a change to the pipeline changes the bytes it writes for the same input; an
/// asset made with an older version is redone on the next ingest.
pub const SETTINGS_VERSION: u32 = 5;

/// Ingest settings. One value each; every decoder limit derives from them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Largest image, in pixels, that will be decoded. A header that claims more is refused as a
    /// possible decompression bomb. Default: 250 MP (a 20000×10000 panorama is 200 MP).
    pub max_pixels: u64,
    /// Largest single file read, in bytes.
    pub max_file_bytes: u64,
    /// Bytes of decoded pixels allowed in flight across all workers; bounds peak memory.
    pub memory_budget_bytes: u64,
    /// Long side of `thumb.jpg`.
    pub thumb_size: u32,
    /// Long side of `display.jpg`.
    pub display_size: u32,
    /// JPEG quality of derivatives (1–100).
    pub jpeg_quality: u8,
    /// A 2:1 image at least this wide is taken for an equirectangular panorama without GPano XMP.
    pub pano_min_width: u32,
    /// Tile size of panorama pyramids.
    pub tile_size: u32,
    /// JPEG quality of panorama tiles (1–100). 92 keeps tiles within 40 dB PSNR of the source on the real
    /// test panoramas (90 does not: see docs/BENCHMARKS.md).
    pub tile_quality: u8,
    /// Photos at least this long on their longer side (upright) also get IIIF deep-zoom tiles (`iiif/`),
    /// with `tile_size` tiles at `tile_quality` for full resolution, 2 more per coarser level up to 98.
    pub iiif_min_size: u32,
    /// Ingest places a capture with GPS in the nearest site within this many metres, and clusters captures
    /// within it of each other into a new suggested site. Curation only: no effect on the files written.
    #[serde(default = "default_site_radius")]
    pub site_radius_m: f64,
    /// Largest photo, in pixels, tiled for deep zoom strip by strip (a sequential, upright JPEG): its memory
    /// grows with the width only, so this bounds time and disk rather than memory. Default: 2000 MP (a
    /// 60000×30000 stitched map or mural). Other photos are decoded whole and stay under `max_pixels`.
    #[serde(default = "default_max_stream_pixels")]
    pub max_stream_pixels: u64,
}

fn default_max_stream_pixels() -> u64 {
    2_000_000_000
}

fn default_site_radius() -> f64 {
    500.0
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            max_pixels: 250_000_000,
            max_file_bytes: 2 << 30,
            memory_budget_bytes: 3 << 30,
            thumb_size: 512,
            display_size: 2048,
            jpeg_quality: 85,
            pano_min_width: 4000,
            tile_size: 512,
            tile_quality: 92,
            iiif_min_size: 4096,
            site_radius_m: default_site_radius(),
            max_stream_pixels: default_max_stream_pixels(),
        }
    }
}

impl Settings {
    /// Largest decoder allocation: four 8-bit channels of `max_pixels` plus headroom for 16-bit
    /// sources decoded before conversion.
    pub fn max_decode_alloc(&self) -> u64 {
        self.max_pixels.saturating_mul(8)
    }
}
