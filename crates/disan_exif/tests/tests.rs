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
