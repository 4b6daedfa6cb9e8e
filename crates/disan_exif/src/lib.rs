//! Capture metadata extraction: EXIF through `kamadak-exif`, XMP (GPano, Dublin Core, XMP GPS) through
//! `roxmltree`, from the file's own packet and from a `.xmp` sidecar.
//!
//! Nothing here decodes pixels, and nothing fails a file: unreadable or implausible metadata becomes a
//! warning in [`CaptureMetadata::warnings`]. Every entry point that takes a path has a twin that takes
//! bytes.

mod exif_read;
mod xmp;

use std::path::{Path, PathBuf};

use disan_core::CaptureMetadata;

pub use xmp::{MAX_XMP_BYTES, XmpData, XmpError, find_xmp_packet, parse_xmp};

/// Reads EXIF and the embedded XMP packet of a file's bytes, then lets a sidecar's XMP (if given)
/// override what the file says.
pub fn read_metadata(bytes: &[u8], sidecar_xmp: Option<&[u8]>) -> CaptureMetadata {
    let mut meta = CaptureMetadata::default();
    exif_read::read_exif(bytes, &mut meta);
    if let Some(packet) = find_xmp_packet(bytes) {
        apply_xmp(packet, "embedded XMP", &mut meta);
    }
    if let Some(sidecar) = sidecar_xmp {
        apply_xmp(sidecar, "XMP sidecar", &mut meta);
    }
    meta
}

/// The `.xmp` sidecar next to `path`, if there is one: `IMG_1.jpg.xmp` or `IMG_1.xmp` (either case).
pub fn sidecar_path(path: &Path) -> Option<PathBuf> {
    let mut candidates = Vec::new();
    for ext in ["xmp", "XMP"] {
        let mut with_full = path.as_os_str().to_owned();
        with_full.push(".");
        with_full.push(ext);
        candidates.push(PathBuf::from(with_full));
        candidates.push(path.with_extension(ext));
    }
    candidates.into_iter().find(|p| p != path && p.is_file())
}

fn apply_xmp(packet: &[u8], what: &str, meta: &mut CaptureMetadata) {
    match parse_xmp(packet) {
        Ok(xmp) => xmp.apply_to(meta),
        Err(e) => meta.warnings.push(format!("{what} ignored: {e}")),
    }
}
