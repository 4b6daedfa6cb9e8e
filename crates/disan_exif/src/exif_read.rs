//! EXIF fields through kamadak-exif.

use std::io::Cursor;

use disan_core::{CaptureMetadata, GeoPoint};
use exif::{Exif, In, Tag, Value};

/// Altitudes above this (metres) are not where cameras go; a value this high is a negative number
/// written unsigned by buggy firmware.
const MAX_PLAUSIBLE_ALTITUDE_M: f64 = 20_000.0;

pub(crate) fn read_exif(bytes: &[u8], meta: &mut CaptureMetadata) {
    let exif = match exif::Reader::new().read_from_container(&mut Cursor::new(bytes)) {
        Ok(exif) => exif,
        Err(exif::Error::NotFound(_)) => return,
        // HEIF, BMP, …: not an error of the metadata, the format is judged elsewhere.
        Err(exif::Error::InvalidFormat(msg)) if msg.contains("Unknown image format") => return,
        Err(e) => {
            meta.warnings.push(format!("EXIF unreadable: {e}"));
            return;
        }
    };
    let field = |tag| exif.get_field(tag, In::PRIMARY);

    if let Some(f) = field(Tag::DateTimeOriginal).or_else(|| field(Tag::DateTime)) {
        match date_time(&f.value) {
            Some(dt) => meta.taken_at = Some(dt),
            None => meta
                .warnings
                .push(format!("EXIF {} is not a date: {}", f.tag, f.display_value())),
        }
    }
    meta.taken_offset = ascii(&exif, Tag::OffsetTimeOriginal).filter(|s| is_offset(s));
    meta.make = ascii(&exif, Tag::Make);
    meta.model = ascii(&exif, Tag::Model);
    meta.lens = ascii(&exif, Tag::LensModel);
    meta.exposure_s = rational(&exif, Tag::ExposureTime).filter(|v| *v > 0.0);
    meta.f_number = rational(&exif, Tag::FNumber).filter(|v| *v > 0.0);
    meta.focal_length_mm = rational(&exif, Tag::FocalLength).filter(|v| *v > 0.0);
    meta.iso = field(Tag::PhotographicSensitivity)
        .and_then(|f| f.value.get_uint(0))
        .filter(|v| *v > 0);
    meta.heading_deg = rational(&exif, Tag::GPSImgDirection).filter(|v| (0.0..=360.0).contains(v));
    if let Some(f) = field(Tag::Orientation) {
        match f.value.get_uint(0) {
            Some(o @ 1..=8) => meta.orientation = Some(o as u16),
            other => meta.warnings.push(format!(
                "EXIF Orientation {} is not 1–8; the image is taken as upright",
                other.map_or_else(|| f.display_value().to_string(), |o| o.to_string())
            )),
        }
    }
    read_gps(&exif, meta);
}

fn read_gps(exif: &Exif, meta: &mut CaptureMetadata) {
    let lat = degrees(exif, Tag::GPSLatitude, Tag::GPSLatitudeRef, b'S');
    let lon = degrees(exif, Tag::GPSLongitude, Tag::GPSLongitudeRef, b'W');
    let (Some(lat), Some(lon)) = (lat, lon) else {
        return;
    };
    let mut alt = None;
    if let Some(f) = exif.get_field(Tag::GPSAltitude, In::PRIMARY)
        && let Value::Rational(r) = &f.value
        && let Some(r) = r.first()
        && r.denom != 0
    {
        let mut metres = r.to_f64();
        if metres > MAX_PLAUSIBLE_ALTITUDE_M {
            // A negative altitude stored as an unsigned 32-bit numerator.
            metres = f64::from(r.num as i32) / f64::from(r.denom);
            meta.warnings.push(format!(
                "EXIF GPSAltitude {} m is impossible; read as the signed value {metres} m",
                r.to_f64()
            ));
        }
        let below = exif
            .get_field(Tag::GPSAltitudeRef, In::PRIMARY)
            .and_then(|f| f.value.get_uint(0))
            == Some(1);
        if below && metres > 0.0 {
            metres = -metres;
        }
        alt = Some(metres);
    }
    let point = GeoPoint { lat, lon, alt };
    if point.is_plausible() {
        meta.gps = Some(point);
    } else {
        meta.warnings
            .push(format!("EXIF GPS position {lat}, {lon} is not a fix; ignored"));
    }
}

/// Degrees + minutes + seconds with the sign from the reference tag (`S` or `W` is negative).
fn degrees(exif: &Exif, tag: Tag, ref_tag: Tag, negative: u8) -> Option<f64> {
    let f = exif.get_field(tag, In::PRIMARY)?;
    let Value::Rational(parts) = &f.value else {
        return None;
    };
    if parts.is_empty() || parts.iter().any(|r| r.denom == 0) {
        return None;
    }
    let dms: f64 = parts
        .iter()
        .take(3)
        .zip([1.0, 60.0, 3600.0])
        .map(|(r, div)| r.to_f64() / div)
        .sum();
    let sign = match exif.get_field(ref_tag, In::PRIMARY).map(|f| &f.value) {
        Some(Value::Ascii(v)) if v.first().and_then(|s| s.first()) == Some(&negative) => -1.0,
        _ => 1.0,
    };
    Some(sign * dms)
}

fn ascii(exif: &Exif, tag: Tag) -> Option<String> {
    let f = exif.get_field(tag, In::PRIMARY)?;
    let Value::Ascii(parts) = &f.value else {
        return None;
    };
    let bytes = parts.first()?;
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    (!text.is_empty()).then(|| text.to_owned())
}

fn rational(exif: &Exif, tag: Tag) -> Option<f64> {
    let f = exif.get_field(tag, In::PRIMARY)?;
    match &f.value {
        Value::Rational(v) => v.first().filter(|r| r.denom != 0).map(|r| r.to_f64()),
        Value::SRational(v) => v.first().filter(|r| r.denom != 0).map(|r| r.to_f64()),
        _ => None,
    }
    .filter(|v| v.is_finite())
}

fn date_time(value: &Value) -> Option<String> {
    let Value::Ascii(parts) = value else {
        return None;
    };
    let dt = exif::DateTime::from_ascii(parts.first()?).ok()?;
    if dt.year == 0 || dt.month == 0 || dt.day == 0 {
        return None;
    }
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second
    ))
}

fn is_offset(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 6
        && (b[0] == b'+' || b[0] == b'-')
        && b[1..3].iter().all(u8::is_ascii_digit)
        && b[3] == b':'
        && b[4..6].iter().all(u8::is_ascii_digit)
}
