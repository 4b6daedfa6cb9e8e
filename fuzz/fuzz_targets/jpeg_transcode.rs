//! Deep-zoom tiles cut from a JPEG's coefficients: headers, Huffman tables and entropy-coded data may be
//! anything; reading, cutting and halving must end in tiles or an error, never a panic.
#![no_main]

use disan_imaging::transcode::JpegBlocks;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The pipeline probes a photo against its limits before it cuts; a band is a row of tiles.
    let limits = disan_imaging::DecodeLimits {
        max_pixels: 4_000_000,
        max_alloc: 64 << 20,
        max_stream_pixels: 4_000_000,
    };
    if disan_imaging::probe(data, &limits).is_err() {
        return;
    }
    let Some(mut blocks) = JpegBlocks::open(data, 64) else {
        return;
    };
    let (width, height) = blocks.frame().size();
    let rows = 64 / blocks.frame().mcu_height();
    let mut y = 0;
    while blocks.rows_left() > 0 {
        let Ok(band) = blocks.read_band(rows, None) else {
            return;
        };
        for x in (0..width).step_by(64) {
            let _ = band.encode_tile(x, 64.min(width - x), 64.min(height - y));
        }
        let _ = band.half_rgb();
        y += 64;
    }
});
