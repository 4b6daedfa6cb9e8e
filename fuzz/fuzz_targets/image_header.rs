//! Image probing and decoding under limits: a header may claim any size; nothing may allocate past the
//! limits or panic.
#![no_main]

use disan_imaging::DecodeLimits;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = DecodeLimits {
        max_pixels: 4_000_000,
        max_alloc: 64 << 20,
        max_stream_pixels: 4_000_000,
    };
    if disan_imaging::probe(data, &limits).is_ok() {
        let _ = disan_imaging::decode_rgb8(data, &limits);
    }
});
