//! XMP packets: finding them in a file and reading the properties Disan uses.

use std::collections::BTreeMap;

use disan_core::{CaptureMetadata, GeoPoint, LangText, PanoInfo};

use crate::DateStamp;

/// Largest XMP packet read. Real packets are a few kilobytes (Photo Sphere ones well under 64 KiB);
/// a larger one is ignored with a warning rather than parsed.
pub const MAX_XMP_BYTES: usize = 4 << 20;

/// Most XML nodes in one packet (guards against packets built to exhaust memory).
const MAX_XMP_NODES: u32 = 200_000;

const NS_GPANO: &str = "http://ns.google.com/photos/1.0/panorama/";
const NS_EXIF: &str = "http://ns.adobe.com/exif/1.0/";
const NS_DC: &str = "http://purl.org/dc/elements/1.1/";
const NS_XMP: &str = "http://ns.adobe.com/xap/1.0/";
const NS_PHOTOSHOP: &str = "http://ns.adobe.com/photoshop/1.0/";
const NS_TIFF: &str = "http://ns.adobe.com/tiff/1.0/";
const NS_RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";

/// Why an XMP packet could not be read.
#[derive(Debug, thiserror::Error)]
pub enum XmpError {
    #[error("packet of {0} bytes is larger than the {MAX_XMP_BYTES}-byte limit")]
    TooLarge(usize),
    #[error("not UTF-8 text: {0}")]
    NotUtf8(#[from] std::str::Utf8Error),
    #[error("not well-formed XML: {0}")]
    Xml(#[from] roxmltree::Error),
}

/// The XMP properties Disan reads, as found in one packet.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct XmpData {
    pub pano: PanoInfo,
    pub gps: Option<GeoPoint>,
    pub title: LangText,
    pub description: LangText,
    /// `exif:DateTimeOriginal`: when the picture was taken (written by editors that keep the EXIF's in XMP).
    pub date_original: Option<DateStamp>,
    /// `photoshop:DateCreated` (IPTC's date created): when the picture was taken, as the curator states it.
    pub date_created: Option<DateStamp>,
    /// `xmp:CreateDate`: when the file's content was made (the capture, for a photo an editor exported).
    pub create_date: Option<DateStamp>,
    /// `tiff:Make`, `tiff:Model`: the camera, where an editor kept it only in XMP.
    pub make: Option<String>,
    pub model: Option<String>,
    /// Values present but unusable (a negative size, a NaN angle, a crop outside the panorama).
    pub warnings: Vec<String>,
}

impl XmpData {
    /// Merges into `meta`: XMP fills what EXIF left empty, and its GPano facts and titles win. (The capture
    /// time is chosen by [`crate::read_metadata`] from all the dates EXIF and XMP give.)
    pub fn apply_to(self, meta: &mut CaptureMetadata) {
        if self.pano != PanoInfo::default() {
            let pano = meta.pano.get_or_insert_with(PanoInfo::default);
            merge_pano(pano, self.pano);
        }
        if meta.gps.is_none() {
            meta.gps = self.gps;
        }
        if meta.make.is_none() {
            meta.make = self.make;
        }
        if meta.model.is_none() {
            meta.model = self.model;
        }
        for (lang, text) in self.title.iter() {
            meta.title.set(lang, text);
        }
        for (lang, text) in self.description.iter() {
            meta.description.set(lang, text);
        }
        meta.warnings.extend(self.warnings);
    }
}

fn merge_pano(into: &mut PanoInfo, from: PanoInfo) {
    macro_rules! take {
        ($($f:ident),*) => { $( if from.$f.is_some() { into.$f = from.$f; } )* };
    }
    take!(
        projection_type,
        full_pano_width,
        full_pano_height,
        cropped_width,
        cropped_height,
        cropped_left,
        cropped_top,
        pose_heading_deg,
        pose_pitch_deg,
        pose_roll_deg
    );
}

/// Finds the XMP packet (`<x:xmpmeta …>…</x:xmpmeta>`) in a file's bytes, whatever the container
/// (JPEG APP1, PNG iTXt, TIFF tag 700, WebP `XMP ` chunk all store it as plain text). In a JPEG only the
/// segments before the scan are searched, where XMP lives (APP1): a photo without XMP is not read to its end
/// twice for nothing.
pub fn find_xmp_packet(bytes: &[u8]) -> Option<&[u8]> {
    let bytes = &bytes[..jpeg_header_len(bytes).unwrap_or(bytes.len())];
    let start = memchr::memmem::find(bytes, b"<x:xmpmeta").or_else(|| memchr::memmem::find(bytes, b"<x:xapmeta"))?;
    let rest = &bytes[start..];
    let end = memchr::memmem::find(rest, b"</x:xmpmeta>")
        .map(|e| e + "</x:xmpmeta>".len())
        .or_else(|| memchr::memmem::find(rest, b"</x:xapmeta>").map(|e| e + "</x:xapmeta>".len()))?;
    Some(&rest[..end])
}

/// Where a JPEG's first scan starts (its SOS marker), walking the segments before it; `None` for anything
/// else, or a JPEG whose segments do not lead to a scan.
fn jpeg_header_len(bytes: &[u8]) -> Option<usize> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut i = 2;
    loop {
        // Fill bytes (0xFF) may precede a marker.
        while bytes.get(i) == Some(&0xFF) && bytes.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        if *bytes.get(i)? != 0xFF {
            return None;
        }
        match *bytes.get(i + 1)? {
            0xDA => return Some(i),
            // Markers without a length.
            0x01 | 0xD0..=0xD7 => i += 2,
            0xD9 => return None,
            _ => {
                let len = usize::from(u16::from_be_bytes([*bytes.get(i + 2)?, *bytes.get(i + 3)?]));
                if len < 2 {
                    return None;
                }
                i += 2 + len;
            }
        }
    }
}

/// Parses one XMP packet (or a whole `.xmp` sidecar file).
pub fn parse_xmp(packet: &[u8]) -> Result<XmpData, XmpError> {
    if packet.len() > MAX_XMP_BYTES {
        return Err(XmpError::TooLarge(packet.len()));
    }
    let text = std::str::from_utf8(packet)?;
    // A sidecar may start with a BOM or an `<?xpacket` processing instruction; both are fine for
    // roxmltree, which also refuses DTDs (and so entity expansion) by default.
    let opts = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_XMP_NODES,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(text.trim_start_matches('\u{feff}'), opts)?;

    // Simple properties, written either as attributes of rdf:Description or as child elements.
    // Keyed by "<namespace URI> <local name>".
    let mut props: BTreeMap<String, String> = BTreeMap::new();
    for node in doc.descendants().filter(|n| n.is_element()) {
        for attr in node.attributes() {
            if let Some(ns) = attr.namespace() {
                props.insert(format!("{ns} {}", attr.name()), attr.value().trim().to_owned());
            }
        }
        let ns = node.tag_name().namespace().unwrap_or("");
        let is_property = node
            .parent_element()
            .is_some_and(|p| p.tag_name().namespace() == Some(NS_RDF) && p.tag_name().name() == "Description");
        if is_property && ns != NS_RDF && node.children().all(|c| c.is_text()) {
            let text: String = node.children().filter_map(|c| c.text()).collect();
            props.insert(format!("{ns} {}", node.tag_name().name()), text.trim().to_owned());
        }
    }

    let mut data = XmpData::default();
    let get = |ns: &str, name: &str| props.get(&format!("{ns} {name}")).map(String::as_str);
    let uint = |name: &str, warnings: &mut Vec<String>| -> Option<u32> {
        let v = get(NS_GPANO, name)?;
        match v.parse::<u32>() {
            Ok(n) if n > 0 || name.starts_with("CroppedArea") && name != "CroppedAreaImageWidthPixels" => Some(n),
            _ => {
                warnings.push(format!(
                    "XMP GPano:{name} {v:?} is not a positive whole number; ignored"
                ));
                None
            }
        }
    };
    let mut warnings = Vec::new();
    data.pano.projection_type = get(NS_GPANO, "ProjectionType").map(str::to_owned);
    data.pano.full_pano_width = uint("FullPanoWidthPixels", &mut warnings);
    data.pano.full_pano_height = uint("FullPanoHeightPixels", &mut warnings);
    data.pano.cropped_width = uint("CroppedAreaImageWidthPixels", &mut warnings);
    data.pano.cropped_height = uint("CroppedAreaImageHeightPixels", &mut warnings);
    data.pano.cropped_left = uint("CroppedAreaLeftPixels", &mut warnings);
    data.pano.cropped_top = uint("CroppedAreaTopPixels", &mut warnings);
    for (name, range, slot) in [
        ("PoseHeadingDegrees", -360.0..=360.0, &mut data.pano.pose_heading_deg),
        ("PosePitchDegrees", -90.0..=90.0, &mut data.pano.pose_pitch_deg),
        ("PoseRollDegrees", -180.0..=180.0, &mut data.pano.pose_roll_deg),
    ] {
        if let Some(v) = get(NS_GPANO, name) {
            match v.parse::<f64>() {
                Ok(d) if d.is_finite() && range.contains(&d) => *slot = Some(d),
                _ => warnings.push(format!("XMP GPano:{name} {v:?} is not an angle in {range:?}; ignored")),
            }
        }
    }
    check_crop(&mut data.pano, &mut warnings);

    let lat = get(NS_EXIF, "GPSLatitude").and_then(xmp_coordinate);
    let lon = get(NS_EXIF, "GPSLongitude").and_then(xmp_coordinate);
    if let (Some(lat), Some(lon)) = (lat, lon) {
        let alt = get(NS_EXIF, "GPSAltitude").and_then(xmp_rational).map(|a| {
            if get(NS_EXIF, "GPSAltitudeRef") == Some("1") {
                -a
            } else {
                a
            }
        });
        let point = GeoPoint { lat, lon, alt };
        if point.is_plausible() {
            data.gps = Some(point);
        }
    }

    for (ns, name, slot) in [
        (NS_EXIF, "DateTimeOriginal", &mut data.date_original),
        (NS_PHOTOSHOP, "DateCreated", &mut data.date_created),
        (NS_XMP, "CreateDate", &mut data.create_date),
    ] {
        if let Some(v) = get(ns, name) {
            match xmp_date(v) {
                Some(stamp) => *slot = stamp,
                None => warnings.push(format!("XMP {name} {v:?} is not an ISO 8601 date; ignored")),
            }
        }
    }
    let text = |ns: &str, name: &str| get(ns, name).filter(|v| !v.is_empty()).map(str::to_owned);
    data.make = text(NS_TIFF, "Make");
    data.model = text(NS_TIFF, "Model");

    data.title = lang_alt(&doc, NS_DC, "title");
    data.description = lang_alt(&doc, NS_DC, "description");
    data.warnings = warnings;
    Ok(data)
}

/// Drops crop values that cannot describe a part of the full panorama.
fn check_crop(p: &mut PanoInfo, warnings: &mut Vec<String>) {
    let fits = |off: Option<u32>, len: Option<u32>, full: Option<u32>| match (off, len, full) {
        (o, Some(l), Some(f)) => u64::from(o.unwrap_or(0)) + u64::from(l) <= u64::from(f),
        _ => true,
    };
    if !fits(p.cropped_left, p.cropped_width, p.full_pano_width)
        || !fits(p.cropped_top, p.cropped_height, p.full_pano_height)
    {
        warnings.push(format!(
            "XMP GPano crop {:?}×{:?} at ({:?}, {:?}) lies outside the {:?}×{:?} panorama; crop ignored",
            p.cropped_width, p.cropped_height, p.cropped_left, p.cropped_top, p.full_pano_width, p.full_pano_height
        ));
        p.cropped_width = None;
        p.cropped_height = None;
        p.cropped_left = None;
        p.cropped_top = None;
    }
}

/// An XMP `rdf:Alt` language alternative (`dc:title`), or a plain value taken as `x-default`.
fn lang_alt(doc: &roxmltree::Document<'_>, ns: &str, name: &str) -> LangText {
    let mut text = LangText::new();
    let Some(prop) = doc
        .descendants()
        .find(|n| n.tag_name().namespace() == Some(ns) && n.tag_name().name() == name)
    else {
        return text;
    };
    let items: Vec<_> = prop.descendants().filter(|n| n.tag_name().name() == "li").collect();
    if items.is_empty()
        && let Some(t) = prop.text()
    {
        text.set("x-default", t.trim());
    }
    for li in items {
        let lang = li
            .attribute(("http://www.w3.org/XML/1998/namespace", "lang"))
            .unwrap_or("x-default");
        if let Some(t) = li.text() {
            text.set(lang, t.trim());
        }
    }
    text
}

/// An XMP date (ISO 8601 as the XMP specification restricts it: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, then
/// `Thh:mm`, `:ss`, `.s…` and a zone `Z` or `±hh:mm`). `Some(None)` for a valid date without a time of day
/// (a capture time is not made up from it), `None` for anything else.
///
/// Lenient where writers are known to stray and the meaning is plain, as exiftool is: EXIF's `YYYY:MM:DD
/// hh:mm:ss` form, and an offset hour of one digit (`+1:00`).
fn xmp_date(v: &str) -> Option<Option<DateStamp>> {
    let mut v = v.trim().to_owned();
    if v.len() >= 10 && v.as_bytes()[4] == b':' && v.as_bytes()[7] == b':' {
        v.replace_range(4..5, "-");
        v.replace_range(7..8, "-");
        if v.as_bytes().get(10) == Some(&b' ') {
            v.replace_range(10..11, "T");
        }
    }
    let (date, time) = match v.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (v.as_str(), None),
    };
    let digits = |s: &str, n: usize| {
        (s.len() == n && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let mut parts = date.split('-');
    let year = digits(parts.next()?, 4)?;
    let month = parts.next().map(|m| digits(m, 2)).unwrap_or(Some(1))?;
    let day = parts.next().map(|d| digits(d, 2)).unwrap_or(Some(1))?;
    if parts.next().is_some() || year == 0 || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let Some(time) = time else {
        return Some(None);
    };
    if date.len() != 10 {
        return None;
    }
    let (clock, offset) = match time.find(['Z', '+', '-']) {
        None => (time, None),
        Some(i) => {
            let zone = match &time[i..] {
                "Z" => "+00:00".to_owned(),
                // `+1:00`: the hour of one digit.
                z if z.len() == 5 => format!("{}0{}", &z[..1], &z[1..]),
                z => z.to_owned(),
            };
            if !crate::exif_read::is_offset(&zone) {
                return None;
            }
            (&time[..i], Some(zone))
        }
    };
    let clock = clock.split_once('.').map_or(clock, |(whole, fraction)| {
        if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            ""
        } else {
            whole
        }
    });
    let mut hms = clock.split(':');
    let hour = digits(hms.next()?, 2)?;
    let minute = digits(hms.next()?, 2)?;
    let second = hms.next().map(|s| digits(s, 2)).unwrap_or(Some(0))?;
    if hms.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some(Some(DateStamp {
        local: format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}"),
        offset,
    }))
}

/// XMP GPS coordinates: `DDD,MM,SSk` or `DDD,MM.mmk` with k one of N, S, E, W.
fn xmp_coordinate(v: &str) -> Option<f64> {
    let v = v.trim();
    let (body, dir) = v.split_at(v.len().checked_sub(1)?);
    let sign = match dir {
        "N" | "E" => 1.0,
        "S" | "W" => -1.0,
        _ => return None,
    };
    let parts: Vec<f64> = body
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .ok()?;
    let value = match parts.as_slice() {
        [d, m] => d + m / 60.0,
        [d, m, s] => d + m / 60.0 + s / 3600.0,
        _ => return None,
    };
    value.is_finite().then_some(sign * value)
}

fn xmp_rational(v: &str) -> Option<f64> {
    let (n, d) = v.split_once('/').unwrap_or((v, "1"));
    let (n, d) = (n.trim().parse::<f64>().ok()?, d.trim().parse::<f64>().ok()?);
    (d != 0.0).then_some(n / d).filter(|x| x.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GPANO_ATTRS: &str = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
      <rdf:Description rdf:about="" xmlns:GPano="http://ns.google.com/photos/1.0/panorama/"
        GPano:ProjectionType="equirectangular" GPano:FullPanoWidthPixels="4096" GPano:FullPanoHeightPixels="2048"
        GPano:CroppedAreaImageWidthPixels="4096" GPano:CroppedAreaImageHeightPixels="1024"
        GPano:CroppedAreaLeftPixels="0" GPano:CroppedAreaTopPixels="512" GPano:PoseHeadingDegrees="90"/>
      </rdf:RDF></x:xmpmeta>"#;

    #[test]
    fn gpano_as_attributes() {
        let x = parse_xmp(GPANO_ATTRS.as_bytes()).unwrap();
        assert!(x.pano.is_equirectangular());
        assert_eq!(x.pano.full_pano_width, Some(4096));
        assert_eq!(x.pano.cropped_top, Some(512));
        assert_eq!(x.pano.cropped_left, Some(0));
        assert_eq!(x.pano.pose_heading_deg, Some(90.0));
        assert!(x.warnings.is_empty());
    }

    #[test]
    fn gpano_as_elements_and_titles() {
        let xmp = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
          <rdf:Description rdf:about="" xmlns:GPano="http://ns.google.com/photos/1.0/panorama/" xmlns:dc="http://purl.org/dc/elements/1.1/">
            <GPano:ProjectionType>equirectangular</GPano:ProjectionType>
            <GPano:PosePitchDegrees>NaN</GPano:PosePitchDegrees>
            <GPano:FullPanoWidthPixels>-5</GPano:FullPanoWidthPixels>
            <dc:title><rdf:Alt><rdf:li xml:lang="vi">Vịnh Hạ Long</rdf:li><rdf:li xml:lang="en">Ha Long Bay</rdf:li></rdf:Alt></dc:title>
          </rdf:Description></rdf:RDF></x:xmpmeta>"#;
        let x = parse_xmp(xmp.as_bytes()).unwrap();
        assert!(x.pano.is_equirectangular());
        assert_eq!(x.pano.pose_pitch_deg, None);
        assert_eq!(x.pano.full_pano_width, None);
        assert_eq!(x.warnings.len(), 2, "{:?}", x.warnings);
        assert_eq!(x.title.get("vi"), Some("Vịnh Hạ Long"));
        assert_eq!(x.title.get("en"), Some("Ha Long Bay"));
    }

    #[test]
    fn crop_outside_panorama_is_dropped() {
        let xmp = GPANO_ATTRS.replace("CroppedAreaTopPixels=\"512\"", "CroppedAreaTopPixels=\"1900\"");
        let x = parse_xmp(xmp.as_bytes()).unwrap();
        assert_eq!(x.pano.cropped_top, None);
        assert_eq!(x.warnings.len(), 1);
    }

    #[test]
    fn finds_packet_in_bytes() {
        let mut file = b"\xff\xd8\xff\xe1junk".to_vec();
        file.extend_from_slice(GPANO_ATTRS.as_bytes());
        file.extend_from_slice(b"\xff\xd9");
        assert_eq!(find_xmp_packet(&file).unwrap(), GPANO_ATTRS.as_bytes());
        assert!(find_xmp_packet(b"<x:xmpmeta never closed").is_none());
    }

    #[test]
    fn rejects_hostile_packets() {
        let dtd = r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x:xmpmeta xmlns:x="adobe:ns:meta/">&a;</x:xmpmeta>"#;
        assert!(parse_xmp(dtd.as_bytes()).is_err());
        let huge = vec![b' '; MAX_XMP_BYTES + 1];
        assert!(matches!(parse_xmp(&huge), Err(XmpError::TooLarge(_))));
        assert!(parse_xmp(b"\xff\xfe not utf8").is_err());
    }

    #[test]
    fn xmp_dates() {
        let stamp = |v: &str| xmp_date(v).flatten().map(|d| (d.local, d.offset));
        let at = |l: &str, o: Option<&str>| Some((l.to_owned(), o.map(str::to_owned)));
        assert_eq!(
            stamp("2005-09-07T15:07:40-07:00"),
            at("2005-09-07T15:07:40", Some("-07:00"))
        );
        assert_eq!(stamp("2011-09-23T12:43:03Z"), at("2011-09-23T12:43:03", Some("+00:00")));
        assert_eq!(stamp("2008-10-22T16:28"), at("2008-10-22T16:28:00", None));
        assert_eq!(
            stamp("2012-07-14T16:30:12.25+07:00"),
            at("2012-07-14T16:30:12", Some("+07:00"))
        );
        // Lenient as exiftool: EXIF's form, an offset hour of one digit.
        assert_eq!(stamp("2012:07:14 16:30:12"), at("2012-07-14T16:30:12", None));
        assert_eq!(
            stamp("2008-05-25T19:31:26.0+1:00"),
            at("2008-05-25T19:31:26", Some("+01:00"))
        );
        // Valid, but no time of day: not a capture time.
        for v in ["2003-08-31", "2003-08", "2003"] {
            assert_eq!(xmp_date(v), Some(None), "{v}");
        }
        for v in [
            "",
            "31/08/2003",
            "2003-13-01",
            "2003-08-31T25:00",
            "2003-08-31T10:00+7",
            "2003-8-31T10:00",
            "2003-08-31T10:00:00.x",
            "2003-08-31T10:00Zulu",
            "0000-00-00T00:00:00",
        ] {
            assert_eq!(xmp_date(v), None, "{v}");
        }
        // Every prefix of real dates, and every character swapped for ones that trip byte slicing: no panic.
        for date in [
            "2005:09:07 15:07:40-07:00",
            "2008-05-25T19:31:26.0+1:00",
            "2011-09-23T12:43:03Z",
        ] {
            for end in 0..=date.len() {
                let _ = xmp_date(&date[..end]);
            }
            for (at, _) in date.char_indices() {
                for c in ["é", "٣", "+", ":", "T", " ", "", "Z-"] {
                    let _ = xmp_date(&format!("{}{c}{}", &date[..at], &date[at + 1..]));
                }
            }
        }
    }

    #[test]
    fn xmp_coordinates() {
        assert!((xmp_coordinate("0,4.218S").unwrap() + 0.0703).abs() < 1e-4);
        assert!((xmp_coordinate("34,22.914E").unwrap() - 34.3819).abs() < 1e-4);
        assert!((xmp_coordinate("21,9,30N").unwrap() - 21.158_333).abs() < 1e-5);
        assert_eq!(xmp_coordinate("abc"), None);
        assert_eq!(xmp_coordinate(""), None);
    }
}
