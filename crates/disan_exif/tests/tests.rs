//! EXIF and XMP read from the real captures in ../shared/testdata. Expected values were taken once
//! with `exiftool -n -j` (12.57) on the same files.

use disan_tests::{files_under, testdata};

use disan_core::CaptureMetadata;

fn read(rel: &str) -> CaptureMetadata {
    let path = testdata(rel);
    let bytes = std::fs::read(&path).unwrap();
    let sidecar = disan_exif::sidecar_path(&path).map(|p| std::fs::read(p).unwrap());
    disan_exif::read_metadata(&bytes, sidecar.as_deref())
}

#[track_caller]
fn close(actual: Option<f64>, expected: f64, tol: f64) {
    let a = actual.unwrap_or_else(|| panic!("missing value, expected {expected}"));
    assert!((a - expected).abs() <= tol, "{a} != {expected} (±{tol})");
}

struct Case {
    file: &'static str,
    taken_at: Option<&'static str>,
    gps: Option<(f64, f64, Option<f64>)>,
    heading: Option<f64>,
    make: Option<&'static str>,
    model: Option<&'static str>,
    lens: Option<&'static str>,
    exposure: f64,
    f_number: f64,
    iso: Option<u32>,
    focal: f64,
    orientation: Option<u16>,
}

const CASES: &[Case] = &[
    Case {
        file: "photos/DSCN0010.jpg",
        taken_at: Some("2008-10-22T16:28:39"),
        gps: Some((43.4674483333333, 11.8851266666639, None)),
        heading: None,
        make: Some("NIKON"),
        model: Some("COOLPIX P6000"),
        lens: None,
        exposure: 0.01333333333,
        f_number: 5.9,
        iso: Some(64),
        focal: 24.0,
        orientation: Some(1),
    },
    Case {
        file: "photos/iphone_hdr_YES.jpg",
        taken_at: Some("2015-04-10T20:12:23"),
        gps: Some((40.4469722222222, -3.72475277777778, Some(639.6111111))),
        heading: Some(211.2013423),
        make: Some("Apple"),
        model: Some("iPhone 6"),
        lens: Some("iPhone 6 back camera 4.15mm f/2.2"),
        exposure: 0.025,
        f_number: 2.2,
        iso: Some(32),
        focal: 4.15,
        orientation: Some(1),
    },
    Case {
        file: "photos/exiftool/GoPro.jpg",
        taken_at: Some("2017-10-03T10:58:29"),
        gps: Some((40.6584191999722, -73.9933542999722, Some(-3.983))),
        heading: None,
        make: Some("GoPro"),
        model: Some("HERO6 Black"),
        lens: None,
        exposure: 0.0008298755187,
        f_number: 2.8,
        iso: Some(100),
        focal: 3.0,
        orientation: Some(1),
    },
    Case {
        file: "photos/photoprism/smallFiji.JPG",
        taken_at: Some("2004-06-17T09:04:12"),
        gps: Some((-17.7732777777778, 177.36575, Some(1.0))),
        heading: None,
        make: Some("Canon"),
        model: Some("Canon PowerShot A70"),
        lens: None,
        exposure: 0.001,
        f_number: 5.0,
        // exiftool's ISO 50 is a Composite from Canon maker notes; EXIF itself has none.
        iso: None,
        focal: 9.40625,
        orientation: Some(1),
    },
    Case {
        file: "photos/photoprism/Iceland-P3.jpg",
        taken_at: Some("2012-08-08T22:07:18"),
        gps: Some((65.0555777777778, -16.6257027777778, Some(904.1))),
        heading: Some(235.3),
        make: Some("NIKON CORPORATION"),
        model: Some("NIKON D800E"),
        lens: None,
        exposure: 0.125,
        f_number: 8.0,
        iso: Some(200),
        focal: 16.0,
        orientation: Some(1),
    },
    Case {
        file: "photos/photoprism/out-of-range-500.jpg",
        taken_at: Some("2017-04-09T18:33:44"),
        gps: None,
        heading: None,
        make: Some("Apple"),
        model: Some("iPhone 5s"),
        lens: Some("iPhone 5s back camera 4.15mm f/2.2"),
        exposure: 0.002583979328,
        f_number: 2.2,
        iso: Some(32),
        focal: 4.15,
        orientation: Some(3),
    },
    Case {
        file: "photos/exiftool/GPS.jpg",
        taken_at: Some("2002-07-13T15:58:28"),
        gps: Some((54.9896666666667, -1.91416666666667, None)),
        heading: None,
        make: Some("FUJIFILM"),
        model: Some("FinePixS1Pro"),
        lens: None,
        exposure: f64::NAN,
        f_number: 0.640234375,
        // exiftool shows ISO 0 and FocalLength 0: "unknown", which we leave empty.
        iso: None,
        focal: f64::NAN,
        orientation: Some(1),
    },
];

#[test]
fn exif_matches_exiftool() {
    for c in CASES {
        let m = read(c.file);
        eprintln!("{}: {m:?}", c.file);
        assert_eq!(m.taken_at.as_deref(), c.taken_at, "{}", c.file);
        match (c.gps, m.gps) {
            (None, None) => {}
            (Some((lat, lon, alt)), Some(g)) => {
                close(Some(g.lat), lat, 1e-7);
                close(Some(g.lon), lon, 1e-7);
                match alt {
                    Some(a) => close(g.alt, a, 1e-3),
                    None => assert_eq!(g.alt, None, "{}", c.file),
                }
            }
            (want, got) => panic!("{}: gps {got:?}, expected {want:?}", c.file),
        }
        match c.heading {
            Some(h) => close(m.heading_deg, h, 1e-6),
            None => assert_eq!(m.heading_deg, None, "{}", c.file),
        }
        assert_eq!(m.make.as_deref(), c.make, "{}", c.file);
        assert_eq!(m.model.as_deref(), c.model, "{}", c.file);
        assert_eq!(m.lens.as_deref(), c.lens, "{}", c.file);
        for (got, want) in [
            (m.exposure_s, c.exposure),
            (m.f_number, c.f_number),
            (m.focal_length_mm, c.focal),
        ] {
            if want.is_nan() {
                assert_eq!(got, None, "{}", c.file);
            } else {
                close(got, want, 1e-6);
            }
        }
        assert_eq!(m.iso, c.iso, "{}", c.file);
        assert_eq!(m.orientation, c.orientation, "{}", c.file);
    }
}

#[test]
fn orientation_samples_carry_their_number() {
    for kind in ["landscape", "portrait"] {
        for n in 1..=8u16 {
            let m = read(&format!("photos/orientation/{kind}_{n}.jpg"));
            assert_eq!(m.orientation, Some(n), "{kind}_{n}");
        }
    }
}

#[test]
fn primary_ifd_orientation_wins_over_thumbnail() {
    // IFD0 says 1, IFD1 (the thumbnail) says 6.
    let m = read("photos/photoprism/orientation.jpg");
    assert_eq!(m.orientation, Some(1));
    close(m.gps.map(|g| g.lat), 43.6958333333333, 1e-7);
    close(m.gps.map(|g| g.lon), 7.27138888888889, 1e-7);
    // The XMP title is non-ASCII and survives as NFC text.
    let title = m.title.get("x-default").expect("XMP dc:title");
    assert!(title.contains("Côte d'Azur"), "{title}");
}

#[test]
fn implausible_values_are_flagged_not_trusted() {
    // GPS exactly 0,0 is "no fix".
    let m = read("photos/photoprism/image-2011.jpg");
    assert_eq!(m.gps, None);
    assert!(m.warnings.iter().any(|w| w.contains("not a fix")), "{:?}", m.warnings);

    // Orientation 0 is invalid: taken as upright, with a warning.
    let m = read("photos/photoprism/huawei-gps-error.jpg");
    assert_eq!(m.orientation, None);
    assert!(m.warnings.iter().any(|w| w.contains("Orientation")), "{:?}", m.warnings);
    close(m.gps.map(|g| g.lat), 48.3027777777778, 1e-7);
    close(m.gps.map(|g| g.lon), 8.9275, 1e-7);

    // An altitude of 4294967284 m is −12 m written unsigned.
    let m = read("photos/photoprism/altitude.jpg");
    close(m.gps.and_then(|g| g.alt), -12.0, 1e-9);
    assert!(m.warnings.iter().any(|w| w.contains("GPSAltitude")), "{:?}", m.warnings);
}

#[test]
fn gps_only_in_xmp_is_found() {
    let m = read("photos/mapillary/adobe_coords.jpg");
    let g = m.gps.expect("GPS from XMP");
    close(Some(g.lat), -0.0702668333333333, 1e-7);
    close(Some(g.lon), 34.3819351666667, 1e-7);
    close(g.alt, 1361.69, 1e-6);
    let pano = m.pano.expect("GPano");
    assert!(pano.is_equirectangular());
    assert_eq!(pano.full_pano_width, Some(7776));
}

#[test]
fn gpano_from_real_panoramas() {
    let m = read("panoramas/aframe-louvre-gpano.jpg");
    let pano = m.pano.expect("GPano XMP");
    assert!(pano.is_equirectangular());
    assert_eq!(pano.pose_heading_deg, Some(90.0));

    let m = read("panoramas/aframe-lake-partial-gpano.jpg");
    let pano = m.pano.expect("GPano XMP");
    assert_eq!((pano.full_pano_width, pano.full_pano_height), (Some(4096), Some(2048)));
    assert_eq!((pano.cropped_width, pano.cropped_height), (Some(4096), Some(1024)));
    assert_eq!((pano.cropped_left, pano.cropped_top), (Some(0), Some(512)));

    assert_eq!(read("panoramas/aframe-lake.jpg").pano, None);
}

#[test]
fn xmp_is_looked_for_before_a_jpegs_scan() {
    use disan_exif::find_xmp_packet;
    // Real GPano panoramas: the packet is in APP1, found.
    let gpano = std::fs::read(testdata("panoramas/aframe-louvre-gpano.jpg")).unwrap();
    let packet = find_xmp_packet(&gpano).expect("XMP in APP1");
    assert!(packet.starts_with(b"<x:xmpmeta") && packet.ends_with(b"</x:xmpmeta>"));
    // The same packet after the end of a JPEG without XMP is not the photo's metadata; the same bytes
    // after something that is not a JPEG, or after a JPEG whose segments do not lead to its scan, are
    // searched whole, as before.
    let plain = std::fs::read(testdata("panoramas/aframe-lake.jpg")).unwrap();
    assert!(find_xmp_packet(&plain).is_none());
    let trailer = [plain.as_slice(), packet].concat();
    assert!(find_xmp_packet(&trailer).is_none());
    let not_jpeg = [b"II*\0".as_slice(), packet].concat();
    assert_eq!(find_xmp_packet(&not_jpeg), Some(packet));
    let mut broken = trailer.clone();
    broken[2..4].copy_from_slice(b"xx");
    assert_eq!(find_xmp_packet(&broken), Some(packet));
}

#[test]
fn sidecar_overrides_embedded() {
    let dir = tempfile_dir();
    let photo = dir.join("IMG_1.jpg");
    std::fs::copy(testdata("photos/DSCN0010.jpg"), &photo).unwrap();
    std::fs::write(
        dir.join("IMG_1.xmp"),
        r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
        <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
        <dc:title><rdf:Alt><rdf:li xml:lang="vi">Điện Biên Phủ</rdf:li></rdf:Alt></dc:title>
        </rdf:Description></rdf:RDF></x:xmpmeta>"#,
    )
    .unwrap();
    assert_eq!(disan_exif::sidecar_path(&photo), Some(dir.join("IMG_1.xmp")));
    let bytes = std::fs::read(&photo).unwrap();
    let sidecar = std::fs::read(dir.join("IMG_1.xmp")).unwrap();
    let m = disan_exif::read_metadata(&bytes, Some(&sidecar));
    assert_eq!(m.title.get("vi"), Some("Điện Biên Phủ"));
    assert_eq!(m.make.as_deref(), Some("NIKON"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn corrupt_files_never_panic() {
    let root = testdata("corrupt");
    let mut seen = 0;
    for entry in files_under(&root) {
        let bytes = std::fs::read(&entry).unwrap();
        let m = disan_exif::read_metadata(&bytes, None);
        let _ = serde_json::to_string(&m).unwrap();
        seen += 1;
    }
    assert!(seen >= 20, "only {seen} corrupt files found");
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("disan-exif-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A JPEG (SOI, one EXIF APP1, EOI) whose GPS IFD holds `entries`: (tag, TIFF type, count, value bytes,
/// little-endian), written in the order given.
fn exif_jpeg(entries: &[(u16, u16, u32, Vec<u8>)]) -> Vec<u8> {
    let gps_ifd = 8 + 2 + 12 + 4;
    let mut data_at = gps_ifd + 2 + 12 * entries.len() + 4;
    let mut tiff = b"II*\0".to_vec();
    tiff.extend(8u32.to_le_bytes());
    tiff.extend(1u16.to_le_bytes());
    tiff.extend([0x25, 0x88, 4, 0]); // GPSInfo, LONG
    tiff.extend(1u32.to_le_bytes());
    tiff.extend((gps_ifd as u32).to_le_bytes());
    tiff.extend(0u32.to_le_bytes());
    let mut data: Vec<u8> = Vec::new();
    tiff.extend((entries.len() as u16).to_le_bytes());
    for (tag, ty, count, bytes) in entries {
        tiff.extend(tag.to_le_bytes());
        tiff.extend(ty.to_le_bytes());
        tiff.extend(count.to_le_bytes());
        if bytes.len() <= 4 {
            let mut inline = bytes.clone();
            inline.resize(4, 0);
            tiff.extend(inline);
        } else {
            tiff.extend((data_at as u32).to_le_bytes());
            data.extend(bytes);
            data_at += bytes.len();
        }
    }
    tiff.extend(0u32.to_le_bytes());
    tiff.extend(data);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff);
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE1];
    jpeg.extend(((app1.len() + 2) as u16).to_be_bytes());
    jpeg.extend(app1);
    jpeg.extend([0xFF, 0xD9]);
    jpeg
}

/// `(type, bytes)` of three numbers in each numeric TIFF type.
fn typed(ty: u16, values: [f64; 3]) -> (u16, u32, Vec<u8>) {
    let mut b = Vec::new();
    for v in values {
        match ty {
            1 | 7 => b.push(v as u8),
            6 => b.push(v as i8 as u8),
            3 => b.extend((v as u16).to_le_bytes()),
            8 => b.extend((v as i16).to_le_bytes()),
            4 => b.extend((v as u32).to_le_bytes()),
            9 => b.extend((v as i32).to_le_bytes()),
            5 => b.extend(
                ((v * 100.0).round() as u32)
                    .to_le_bytes()
                    .into_iter()
                    .chain(100u32.to_le_bytes()),
            ),
            10 => b.extend(
                ((v * 100.0).round() as i32)
                    .to_le_bytes()
                    .into_iter()
                    .chain(100i32.to_le_bytes()),
            ),
            11 => b.extend((v as f32).to_le_bytes()),
            12 => b.extend(v.to_le_bytes()),
            _ => unreachable!(),
        }
    }
    (ty, 3, b)
}

fn ascii(text: &str) -> (u16, u32, Vec<u8>) {
    let mut b = text.as_bytes().to_vec();
    b.push(0);
    (2, b.len() as u32, b)
}

/// GPS position and altitude in every numeric TIFF type a camera may use, with the tags out of order (as a
/// 2022 Android phone writes them): read as exiftool reads them (`exiftool -n` gives the same numbers for
/// the same entries).
#[test]
fn gps_numbers_of_every_tiff_type_are_read() {
    // 21° 1' 30" N (Hạ Long: 20° 54' 36"), 107° 2' 15" E; whole seconds so that integer types can hold them.
    let (lat, lon) = ([21.0, 1.0, 30.0], [107.0, 2.0, 15.0]);
    for (ty, name) in [
        (1, "BYTE"),
        (3, "SHORT"),
        (4, "LONG"),
        (5, "RATIONAL"),
        (6, "SBYTE"),
        (7, "UNDEFINED"),
        (8, "SSHORT"),
        (9, "SLONG"),
        (10, "SRATIONAL"),
        (11, "FLOAT"),
        (12, "DOUBLE"),
    ] {
        let l = |v| {
            let (t, c, b) = typed(ty, v);
            (t, c, b)
        };
        let (lat_t, lat_c, lat_b) = l(lat);
        let (lon_t, lon_c, lon_b) = l(lon);
        let (alt_t, _, alt_b) = typed(ty, [35.0, 0.0, 0.0]);
        let alt_len = alt_b.len() / 3;
        let jpeg = exif_jpeg(&[
            // Longitude before latitude, and the references last: out of the order the standard gives.
            (4, lon_t, lon_c, lon_b),
            (2, lat_t, lat_c, lat_b),
            (6, alt_t, 1, alt_b[..alt_len].to_vec()),
            {
                let (t, c, b) = ascii("N");
                (1, t, c, b)
            },
            {
                let (t, c, b) = ascii("E");
                (3, t, c, b)
            },
            (5, 1, 1, vec![0]), // GPSAltitudeRef: above sea level
        ]);
        let m = disan_exif::read_metadata(&jpeg, None);
        let gps = m
            .gps
            .unwrap_or_else(|| panic!("{name}: no position; warnings {:?}", m.warnings));
        close(Some(gps.lat), 21.0 + 1.0 / 60.0 + 30.0 / 3600.0, 1e-9);
        close(Some(gps.lon), 107.0 + 2.0 / 60.0 + 15.0 / 3600.0, 1e-9);
        close(gps.alt, 35.0, 1e-9);
        assert!(m.warnings.is_empty(), "{name}: {:?}", m.warnings);
    }
}

/// South and west come from the references, or from a signed rational written negative; a position whose
/// numbers cannot be read is a warning, never a silent loss.
#[test]
fn gps_signs_and_unreadable_positions() {
    let (lat_t, lat_c, lat_b) = typed(10, [-8.0, 30.0, 0.0]);
    let (lon_t, lon_c, lon_b) = typed(5, [115.0, 15.0, 0.0]);
    let (west_t, west_c, west_b) = ascii("W");
    let jpeg = exif_jpeg(&[
        (2, lat_t, lat_c, lat_b),
        (4, lon_t, lon_c, lon_b),
        (3, west_t, west_c, west_b),
    ]);
    let m = disan_exif::read_metadata(&jpeg, None);
    let gps = m.gps.unwrap();
    close(Some(gps.lat), -8.5, 1e-9);
    close(Some(gps.lon), -115.25, 1e-9);

    let (text_t, text_c, text_b) = ascii("21 deg 1' 30\" N");
    let (lon_t, lon_c, lon_b) = typed(5, [107.0, 2.0, 15.0]);
    let mut zero = typed(5, [21.0, 1.0, 30.0]).2;
    zero[4..8].copy_from_slice(&0u32.to_le_bytes()); // degrees 2100/0
    for (what, entry) in [
        ("text", (2, text_t, text_c, text_b)),
        ("zero denominator", (2, 5, 3, zero)),
    ] {
        let jpeg = exif_jpeg(&[entry, (4, lon_t, lon_c, lon_b.clone())]);
        let m = disan_exif::read_metadata(&jpeg, None);
        assert_eq!(m.gps, None, "{what}");
        assert!(
            m.warnings
                .iter()
                .any(|w| w.contains("GPSLatitude") && w.contains("no usable number")),
            "{what}: {:?}",
            m.warnings
        );
    }
}

/// exiftool's choice of capture time under the Metadata Working Group's rules (`-use MWG`: its
/// DateTimeOriginal, else CreateDate, else ModifyDate), to the second, for each file; `None` where it finds
/// no date with a time of day.
fn exiftool_mwg_times(files: &[std::path::PathBuf]) -> Vec<Option<String>> {
    let out = std::process::Command::new("exiftool")
        .args([
            "-use",
            "MWG",
            "-json",
            "-MWG:DateTimeOriginal",
            "-MWG:CreateDate",
            "-MWG:ModifyDate",
        ])
        .args(files)
        .output()
        .expect("exiftool is needed for this test (Debian: libimage-exiftool-perl)");
    let tags: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("exiftool -json");
    assert_eq!(tags.len(), files.len(), "{}", String::from_utf8_lossy(&out.stderr));
    tags.iter()
        .map(|t| {
            ["DateTimeOriginal", "CreateDate", "ModifyDate"].iter().find_map(|k| {
                let v = t[k].as_str()?;
                let b = v.as_bytes();
                // `YYYY:MM:DD hh:mm:ss`, perhaps with fractions and a zone after it.
                (b.len() >= 19 && b[10] == b' ' && !v.starts_with("0000"))
                    .then(|| format!("{}-{}-{}T{}", &v[..4], &v[5..7], &v[8..10], &v[11..19]))
            })
        })
        .collect()
}

/// Every real photo's capture time is the one exiftool chooses under the MWG rules: the time it was taken,
/// else when it was digitised (an editor's `xmp:CreateDate`), and the file's last change only when nothing
/// else is known. Before, a 2011 photo edited in 2020 (`image-2011.jpg`, no DateTimeOriginal) was dated 2020
/// and Photoshop's XMP dates were not read at all.
#[test]
fn capture_time_is_exiftools_mwg_choice_on_every_real_photo() {
    let files: Vec<_> = files_under(&testdata("photos"))
        .into_iter()
        .filter(|p| !p.extension().is_some_and(|e| e.eq_ignore_ascii_case("heic")))
        .collect();
    assert!(files.len() >= 50, "{} photos", files.len());
    let expected = exiftool_mwg_times(&files);
    let mut dated = 0;
    for (file, want) in files.iter().zip(&expected) {
        let m = disan_exif::read_metadata(&std::fs::read(file).unwrap(), None);
        assert_eq!(m.taken_at.as_ref(), want.as_ref(), "{}", file.display());
        dated += usize::from(want.is_some());
    }
    assert!(dated >= 25, "only {dated} dated photos");
    // The three that changed, and the zone an XMP date carries.
    let m = read("photos/photoprism/image-2011.jpg");
    assert_eq!(m.taken_at.as_deref(), Some("2011-07-19T11:36:38"));
    let m = read("photos/BlueSquare_xmp.jpg");
    assert_eq!(m.taken_at.as_deref(), Some("2005-09-07T15:07:40"));
    assert_eq!(m.taken_offset.as_deref(), Some("-07:00"));
    let m = read("photos/image-rs/exif-xmp-metadata.jpg");
    assert_eq!(m.taken_at.as_deref(), Some("2025-11-03T00:31:13"));
    assert_eq!(m.taken_offset.as_deref(), Some("+00:00"));
}

/// Where IFD0's entry for `tag` is in a JPEG's EXIF: (offset of the entry in the file, little-endian?).
fn ifd0_entry(jpeg: &[u8], tag: u16) -> (usize, bool) {
    let tiff = jpeg.windows(6).position(|w| w == b"Exif\0\0").expect("EXIF APP1") + 6;
    let le = &jpeg[tiff..tiff + 2] == b"II";
    let u16_at = |i: usize| {
        let b = [jpeg[i], jpeg[i + 1]];
        if le {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        }
    };
    let u32_at = |i: usize| {
        let b = [jpeg[i], jpeg[i + 1], jpeg[i + 2], jpeg[i + 3]];
        if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        }
    };
    let ifd0 = tiff + u32_at(tiff + 4) as usize;
    let entry = (0..usize::from(u16_at(ifd0)))
        .map(|i| ifd0 + 2 + 12 * i)
        .find(|&e| u16_at(e) == tag)
        .unwrap_or_else(|| panic!("no tag {tag:#x} in IFD0"));
    (entry, le)
}

/// A broken part of a real camera's EXIF costs that part, not the whole (the GPS IFD pointing past the data,
/// as in a game console's screenshot; the EXIF IFD's pointer written as text, as an old editor did): the
/// rest is read as exiftool reads it, with a warning. Before, one bad pointer lost the camera and the date.
#[test]
fn a_broken_sub_ifd_costs_that_part_only() {
    let original = std::fs::read(testdata("photos/DSCN0010.jpg")).unwrap();
    let dir = tempfile_dir().join("broken-ifd");
    std::fs::create_dir_all(&dir).unwrap();

    let mut gps_past_end = original.clone();
    let (e, le) = ifd0_entry(&gps_past_end, 0x8825);
    let far: u32 = 0x00FF_FFF0;
    gps_past_end[e + 8..e + 12].copy_from_slice(&if le { far.to_le_bytes() } else { far.to_be_bytes() });
    let mut exif_ifd_as_text = original.clone();
    let (e, le) = ifd0_entry(&exif_ifd_as_text, 0x8769);
    exif_ifd_as_text[e + 2..e + 4].copy_from_slice(&if le { 2u16.to_le_bytes() } else { 2u16.to_be_bytes() });

    let files = [dir.join("gps-past-end.jpg"), dir.join("exif-ifd-as-text.jpg")];
    std::fs::write(&files[0], &gps_past_end).unwrap();
    std::fs::write(&files[1], &exif_ifd_as_text).unwrap();
    let expected = exiftool_mwg_times(&files);

    let m = disan_exif::read_metadata(&gps_past_end, None);
    assert_eq!(m.gps, None);
    assert_eq!(
        (m.make.as_deref(), m.model.as_deref()),
        (Some("NIKON"), Some("COOLPIX P6000"))
    );
    assert_eq!(m.taken_at.as_deref(), Some("2008-10-22T16:28:39"));
    assert_eq!(m.taken_at, expected[0]);
    close(m.f_number, 5.9, 1e-9);
    assert!(
        m.warnings.iter().any(|w| w.contains("EXIF partly unreadable")),
        "{:?}",
        m.warnings
    );

    // The EXIF IFD (exposure, DateTimeOriginal) is lost; IFD0's camera and last-change time remain, and
    // that time is what exiftool falls back on too.
    let m = disan_exif::read_metadata(&exif_ifd_as_text, None);
    assert_eq!(m.model.as_deref(), Some("COOLPIX P6000"));
    assert_eq!(m.f_number, None);
    assert_eq!(m.taken_at.as_deref(), Some("2008-11-01T21:15:07"));
    assert_eq!(m.taken_at, expected[1]);
    close(m.gps.map(|g| g.lat), 43.46744833333334, 1e-9);
    assert!(
        m.warnings.iter().any(|w| w.contains("EXIF partly unreadable")),
        "{:?}",
        m.warnings
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// A curator's capture time in a sidecar (Lightroom's "Edit Capture Time" writes `exif:DateTimeOriginal`,
/// IPTC editors `photoshop:DateCreated`) wins over the camera's clock; an `xmp:CreateDate` there does not.
#[test]
fn a_sidecar_capture_time_corrects_the_cameras() {
    let bytes = std::fs::read(testdata("photos/DSCN0010.jpg")).unwrap();
    let sidecar = |props: &str| {
        format!(
            r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
            <rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/"
              xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" {props}/>
            </rdf:RDF></x:xmpmeta>"#
        )
    };
    let taken = |props: &str| {
        let m = disan_exif::read_metadata(&bytes, Some(sidecar(props).as_bytes()));
        (m.taken_at, m.taken_offset, m.warnings)
    };
    assert_eq!(
        taken(r#"exif:DateTimeOriginal="2008-10-22T17:28:39+07:00""#),
        (Some("2008-10-22T17:28:39".into()), Some("+07:00".into()), vec![])
    );
    assert_eq!(
        taken(r#"photoshop:DateCreated="2008-10-22T17:28:39.50""#),
        (Some("2008-10-22T17:28:39".into()), None, vec![])
    );
    // Not a capture time: the camera's stays.
    for props in [
        r#"xmp:CreateDate="2020-01-01T00:00:00Z""#,
        r#"photoshop:DateCreated="2008-10-22""#,
    ] {
        assert_eq!(taken(props).0.as_deref(), Some("2008-10-22T16:28:39"), "{props}");
    }
    let (at, _, warnings) = taken(r#"photoshop:DateCreated="22/10/2008 17:28""#);
    assert_eq!(at.as_deref(), Some("2008-10-22T16:28:39"));
    assert!(warnings.iter().any(|w| w.contains("DateCreated")), "{warnings:?}");
}
