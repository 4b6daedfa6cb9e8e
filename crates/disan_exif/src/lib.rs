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

/// A capture time as a file states it: local time (`2008-10-22T16:29:49`) and, when given, the offset from UTC
/// (`+07:00`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateStamp {
    pub local: String,
    pub offset: Option<String>,
}

/// Reads EXIF and the embedded XMP packet of a file's bytes, then lets a sidecar's XMP (if given)
/// override what the file says.
///
/// The capture time (`taken_at`, `taken_offset`) is the first of, in this order: the sidecar's
/// `exif:DateTimeOriginal` and `photoshop:DateCreated` (a curator's correction); EXIF DateTimeOriginal; the
/// embedded XMP's `exif:DateTimeOriginal` and `photoshop:DateCreated`; EXIF DateTimeDigitized; `xmp:CreateDate`
/// (embedded, then sidecar); EXIF DateTime, the file's last change, last. This follows the Metadata Working
/// Group's guidelines (original before digitised before modified), so that a photo an editor exported, whose
/// EXIF was dropped or broken, keeps the time it was taken instead of losing it or getting the export's. A
/// date without a time of day is passed over.
pub fn read_metadata(bytes: &[u8], sidecar_xmp: Option<&[u8]>) -> CaptureMetadata {
    let mut meta = CaptureMetadata::default();
    let exif = exif_read::read_exif(bytes, &mut meta);
    let embedded = find_xmp_packet(bytes).and_then(|packet| read_xmp(packet, "embedded XMP", &mut meta));
    let sidecar = sidecar_xmp.and_then(|packet| read_xmp(packet, "XMP sidecar", &mut meta));
    let (e, s) = (embedded.as_ref(), sidecar.as_ref());
    let taken = [
        s.and_then(|x| x.date_original.clone()),
        s.and_then(|x| x.date_created.clone()),
        exif.original,
        e.and_then(|x| x.date_original.clone()),
        e.and_then(|x| x.date_created.clone()),
        exif.digitized,
        e.and_then(|x| x.create_date.clone()),
        s.and_then(|x| x.create_date.clone()),
        exif.modified,
    ]
    .into_iter()
    .flatten()
    .next();
    if let Some(stamp) = taken {
        meta.taken_at = Some(stamp.local);
        meta.taken_offset = stamp.offset;
    }
    for xmp in [embedded, sidecar].into_iter().flatten() {
        xmp.apply_to(&mut meta);
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

fn read_xmp(packet: &[u8], what: &str, meta: &mut CaptureMetadata) -> Option<XmpData> {
    parse_xmp(packet)
        .map_err(|e| meta.warnings.push(format!("{what} ignored: {e}")))
        .ok()
}
