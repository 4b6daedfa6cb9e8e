//! EXIF and XMP extraction from any bytes: as a whole file (JPEG, PNG, TIFF, WebP containers, raw EXIF) and
//! as an XMP sidecar.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = disan_exif::read_metadata(data, None);
    let _ = disan_exif::read_metadata(b"", Some(data));
});
