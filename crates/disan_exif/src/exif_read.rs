//! EXIF fields through kamadak-exif.

use std::io::Cursor;

use disan_core::{CaptureMetadata, GeoPoint};

use crate::DateStamp;
use exif::{Exif, In, Tag, Value};

/// Altitudes above this (metres) are not where cameras go; a value this high is a negative number
/// written unsigned by buggy firmware.
const MAX_PLAUSIBLE_ALTITUDE_M: f64 = 20_000.0;

/// The capture dates EXIF holds, for [`crate::read_metadata`] to choose from with XMP's.
#[derive(Default)]
pub(crate) struct ExifDates {
    /// DateTimeOriginal with OffsetTimeOriginal: when the picture was taken.
    pub original: Option<DateStamp>,
    /// DateTimeDigitized with OffsetTimeDigitized: when it was stored (the same for a digital camera).
    pub digitized: Option<DateStamp>,
    /// DateTime with OffsetTime: when the file was last changed (the capture time for old cameras that
    /// write nothing else).
    pub modified: Option<DateStamp>,
}

/// Reads EXIF into `meta` (everything but the capture time, which is returned for [`crate::read_metadata`]
/// to weigh against XMP's). A broken part of the EXIF (a sub-IFD pointer past the data, a field of the
/// wrong type, as a game console or an old editor writes them) costs that part, with a warning, not the
/// whole: the readable fields are kept, as exiftool keeps them.
pub(crate) fn read_exif(bytes: &[u8], meta: &mut CaptureMetadata) -> ExifDates {
    let mut dates = ExifDates::default();
    let exif = match exif::Reader::new()
        .continue_on_error(true)
        .read_from_container(&mut Cursor::new(bytes))
    {
        Ok(exif) => exif,
        Err(exif::Error::NotFound(_)) => return dates,
        // HEIF, BMP, …: not an error of the metadata, the format is judged elsewhere.
        Err(exif::Error::InvalidFormat(msg)) if msg.contains("Unknown image format") => return dates,
        Err(exif::Error::PartialResult(partial)) => {
            let (exif, errors) = partial.into_inner();
            let reasons: Vec<String> = errors.iter().map(ToString::to_string).collect();
            let kept = exif.fields().count();
            if kept == 0 {
                meta.warnings.push(format!("EXIF unreadable: {}", reasons.join("; ")));
                return dates;
            }
            meta.warnings.push(format!(
                "EXIF partly unreadable ({}); the {kept} readable fields are kept",
                reasons.join("; ")
            ));
            exif
        }
        Err(e) => {
            meta.warnings.push(format!("EXIF unreadable: {e}"));
            return dates;
        }
    };
    let field = |tag| exif.get_field(tag, In::PRIMARY);

    // A date that is not one is worth a warning only where no better EXIF date was found before it (a
    // camera's blank "    :  :     " DateTimeDigitized beside a good DateTimeOriginal is noise).
    let mut found = false;
    for (tag, offset_tag, slot) in [
        (Tag::DateTimeOriginal, Tag::OffsetTimeOriginal, &mut dates.original),
        (Tag::DateTimeDigitized, Tag::OffsetTimeDigitized, &mut dates.digitized),
        (Tag::DateTime, Tag::OffsetTime, &mut dates.modified),
    ] {
        let Some(f) = field(tag) else { continue };
        match date_time(&f.value) {
            Some(local) => {
                *slot = Some(DateStamp {
                    local,
                    offset: ascii(&exif, offset_tag).filter(|s| is_offset(s)),
                });
                found = true;
            }
            None if !found => meta
                .warnings
                .push(format!("EXIF {} is not a date: {}", f.tag, f.display_value())),
            None => {}
        }
    }
    meta.make = ascii(&exif, Tag::Make);
    meta.model = ascii(&exif, Tag::Model);
    meta.lens = ascii(&exif, Tag::LensModel);
    meta.exposure_s = rational(&exif, Tag::ExposureTime).filter(|v| *v > 0.0);
    meta.f_number = rational(&exif, Tag::FNumber).filter(|v| *v > 0.0);
    meta.focal_length_mm = rational(&exif, Tag::FocalLength).filter(|v| *v > 0.0);
    meta.iso = rational(&exif, Tag::PhotographicSensitivity)
        .filter(|v| *v >= 1.0 && *v <= f64::from(u32::MAX))
        .map(|v| v.round() as u32);
    meta.heading_deg = rational(&exif, Tag::GPSImgDirection).filter(|v| (0.0..=360.0).contains(v));
    if let Some(f) = field(Tag::Orientation) {
        match first(&f.value) {
            Some(o) if (1.0..=8.0).contains(&o) && o.fract() == 0.0 => meta.orientation = Some(o as u16),
            other => meta.warnings.push(format!(
                "EXIF Orientation {} is not 1–8; the image is taken as upright",
                other.map_or_else(|| f.display_value().to_string(), |o| o.to_string())
            )),
        }
    }
    read_gps(&exif, meta);
    dates
}

fn read_gps(exif: &Exif, meta: &mut CaptureMetadata) {
    let lat = degrees(exif, Tag::GPSLatitude, Tag::GPSLatitudeRef, b'S', &mut meta.warnings);
    let lon = degrees(exif, Tag::GPSLongitude, Tag::GPSLongitudeRef, b'W', &mut meta.warnings);
    let (Some(lat), Some(lon)) = (lat, lon) else {
        return;
    };
    let mut alt = None;
    if let Some(f) = exif.get_field(Tag::GPSAltitude, In::PRIMARY) {
        let Some(mut metres) = first(&f.value) else {
            meta.warnings.push(unreadable(f));
            return set_position(meta, lat, lon, None);
        };
        if let Value::Rational(r) = &f.value
            && metres > MAX_PLAUSIBLE_ALTITUDE_M
        {
            // A negative altitude stored as an unsigned 32-bit numerator.
            let r = r[0];
            metres = f64::from(r.num as i32) / f64::from(r.denom);
            meta.warnings.push(format!(
                "EXIF GPSAltitude {} m is impossible; read as the signed value {metres} m",
                r.to_f64()
            ));
        }
        let below = exif
            .get_field(Tag::GPSAltitudeRef, In::PRIMARY)
            .and_then(|f| first(&f.value))
            == Some(1.0);
        if below && metres > 0.0 {
            metres = -metres;
        }
        alt = Some(metres);
    }
    set_position(meta, lat, lon, alt);
}

fn set_position(meta: &mut CaptureMetadata, lat: f64, lon: f64, alt: Option<f64>) {
    let point = GeoPoint { lat, lon, alt };
    if point.is_plausible() {
        meta.gps = Some(point);
    } else {
        meta.warnings
            .push(format!("EXIF GPS position {lat}, {lon} is not a fix; ignored"));
    }
}

/// Degrees + minutes + seconds, of any numeric type, with the sign from the reference tag (`S` or `W` is
/// negative) or from the value itself (a signed rational written negative). A field that is there but holds no
/// usable number gives a warning: a position is never dropped silently.
fn degrees(exif: &Exif, tag: Tag, ref_tag: Tag, negative: u8, warnings: &mut Vec<String>) -> Option<f64> {
    let f = exif.get_field(tag, In::PRIMARY)?;
    let Some(parts) = numbers(&f.value) else {
        warnings.push(unreadable(f));
        return None;
    };
    let dms: f64 = parts
        .iter()
        .take(3)
        .zip([1.0, 60.0, 3600.0])
        .map(|(v, div)| v.abs() / div)
        .sum();
    let reference = exif.get_field(ref_tag, In::PRIMARY).map(|f| &f.value);
    let said_negative = match reference {
        Some(Value::Ascii(v)) => v.first().and_then(|s| s.first()).map(u8::to_ascii_uppercase) == Some(negative),
        _ => false,
    };
    let sign = if said_negative || parts[0] < 0.0 { -1.0 } else { 1.0 };
    Some(sign * dms)
}

/// The warning for a field whose value is not a number Disan can use.
fn unreadable(f: &exif::Field) -> String {
    format!(
        "EXIF {} holds no usable number ({}); it is ignored",
        f.tag,
        f.display_value()
    )
}

/// Every number of a field, whatever numeric TIFF type the camera wrote it in, as exiftool reads them: BYTE,
/// SHORT, LONG, RATIONAL, SBYTE, SSHORT, SLONG, SRATIONAL, FLOAT, DOUBLE, and UNDEFINED bytes (which some
/// cameras use for GPSAltitudeRef and GPSVersionID). `None` for text, an empty field, a zero denominator or a
/// value that is not finite.
fn numbers(value: &Value) -> Option<Vec<f64>> {
    let v: Vec<f64> = match value {
        Value::Byte(v) | Value::Undefined(v, _) => v.iter().map(|&x| f64::from(x)).collect(),
        Value::SByte(v) => v.iter().map(|&x| f64::from(x)).collect(),
        Value::Short(v) => v.iter().map(|&x| f64::from(x)).collect(),
        Value::SShort(v) => v.iter().map(|&x| f64::from(x)).collect(),
        Value::Long(v) => v.iter().map(|&x| f64::from(x)).collect(),
        Value::SLong(v) => v.iter().map(|&x| f64::from(x)).collect(),
        Value::Rational(v) if v.iter().all(|r| r.denom != 0) => v.iter().map(exif::Rational::to_f64).collect(),
        Value::SRational(v) if v.iter().all(|r| r.denom != 0) => v.iter().map(exif::SRational::to_f64).collect(),
        Value::Float(v) => v.iter().map(|&x| f64::from(x)).collect(),
        Value::Double(v) => v.clone(),
        _ => return None,
    };
    (!v.is_empty() && v.iter().all(|x| x.is_finite())).then_some(v)
}

/// The first number of a field ([`numbers`]).
fn first(value: &Value) -> Option<f64> {
    numbers(value).map(|v| v[0])
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

/// The first number of a tag, of any numeric type ([`numbers`]).
fn rational(exif: &Exif, tag: Tag) -> Option<f64> {
    first(&exif.get_field(tag, In::PRIMARY)?.value)
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

pub(crate) fn is_offset(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 6
        && (b[0] == b'+' || b[0] == b'-')
        && b[1..3].iter().all(u8::is_ascii_digit)
        && b[3] == b':'
        && b[4..6].iter().all(u8::is_ascii_digit)
}
