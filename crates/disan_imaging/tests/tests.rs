//! disan_imaging on the real files in ../shared/testdata.

use disan_tests::{files_under, mean_abs_diff, psnr, testdata};

use disan_core::Settings;
use disan_imaging::{DecodeLimits, ImagingError, decode_rgb8, orient, probe};
use image::RgbImage;

fn limits() -> DecodeLimits {
    DecodeLimits::from(&Settings::default())
}

fn load(rel: &str) -> (Vec<u8>, RgbImage, Option<u16>) {
    let bytes = std::fs::read(testdata(rel)).unwrap();
    let meta = disan_exif::read_metadata(&bytes, None);
    let decoded = decode_rgb8(&bytes, &limits()).unwrap();
    (bytes, decoded.image, meta.orientation)
}

/// EXIF orientation applied by hand: for each upright pixel (x, y), where it is stored.
fn orient_by_hand(stored: &RgbImage, orientation: u16) -> RgbImage {
    let (sw, sh) = stored.dimensions();
    let (w, h) = if orientation >= 5 { (sh, sw) } else { (sw, sh) };
    RgbImage::from_fn(w, h, |x, y| {
        let (sx, sy) = match orientation {
            1 => (x, y),
            2 => (sw - 1 - x, y),
            3 => (sw - 1 - x, sh - 1 - y),
            4 => (x, sh - 1 - y),
            5 => (y, x),
            6 => (y, sh - 1 - x),
            7 => (sw - 1 - y, sh - 1 - x),
            8 => (sw - 1 - y, x),
            _ => unreachable!(),
        };
        *stored.get_pixel(sx, sy)
    })
}

#[test]
fn all_eight_orientations_come_out_upright() {
    for kind in ["landscape", "portrait"] {
        let (_, reference, o1) = load(&format!("photos/orientation/{kind}_1.jpg"));
        assert_eq!(o1, Some(1));
        for n in 1..=8u16 {
            let (_, stored, o) = load(&format!("photos/orientation/{kind}_{n}.jpg"));
            assert_eq!(o, Some(n));
            let upright = orient(stored.clone(), o);
            // Exactly what applying the orientation by hand gives.
            assert_eq!(upright, orient_by_hand(&stored, n), "{kind}_{n}");
            // And the same picture as the sample stored upright. Each sample has its own number painted
            // on it, so they differ a little; the mirror image of the right answer differs far more.
            let d = mean_abs_diff(&upright, &reference);
            let mirrored = image::imageops::flip_horizontal(&upright);
            let d_wrong = mean_abs_diff(&mirrored, &reference);
            assert!(
                d < 20.0 && d * 2.0 < d_wrong,
                "{kind}_{n}: {d} from {kind}_1, mirror {d_wrong}"
            );
        }
    }
}

#[test]
fn decompression_bomb_is_refused_from_the_header() {
    let mut bytes = std::fs::read(testdata("photos/DSCN0010.jpg")).unwrap();
    // Patch the main image's SOF0 frame header (not the EXIF thumbnail's) to claim 60000×60000.
    let sof = sof0_offset(&bytes);
    bytes[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]);
    match probe(&bytes, &limits()) {
        Err(ImagingError::TooLarge {
            width: 60000,
            height: 60000,
            max_pixels,
        }) => {
            assert_eq!(max_pixels, Settings::default().max_pixels)
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    assert!(matches!(
        decode_rgb8(&bytes, &limits()),
        Err(ImagingError::TooLarge { .. })
    ));

    // A genuine 20000×10000 panorama header is within the default limit.
    bytes[sof + 5..sof + 9].copy_from_slice(&[0x27, 0x10, 0x4E, 0x20]);
    let p = probe(&bytes, &limits()).unwrap();
    assert_eq!((p.width, p.height), (20000, 10000));

    // A lower limit refuses an ordinary photo.
    let small = DecodeLimits {
        max_pixels: 1000,
        max_alloc: 1 << 20,
        max_stream_pixels: 1000,
    };
    let real = std::fs::read(testdata("photos/DSCN0010.jpg")).unwrap();
    assert!(probe(&real, &limits()).is_ok());
    assert!(matches!(
        probe(&real, &small),
        Err(ImagingError::TooLarge {
            width: 640,
            height: 480,
            ..
        })
    ));
}

#[test]
fn unsupported_formats_say_so() {
    let heic = std::fs::read(testdata("photos/IMG_5195.HEIC")).unwrap();
    let e = probe(&heic, &limits()).unwrap_err();
    assert!(matches!(e, ImagingError::Unsupported(_)), "{e:?}");
    assert!(e.to_string().contains("HEIC"), "{e}");
    let e = probe(&[], &limits()).unwrap_err();
    assert!(matches!(e, ImagingError::EmptyFile), "{e}");
    assert!(e.to_string().contains("empty"), "{e}");
}

#[test]
fn truncated_jpegs_are_refused() {
    let bytes = std::fs::read(testdata("photos/DSCN0010.jpg")).unwrap();
    assert!(probe(&bytes, &limits()).is_ok());
    for cut in [bytes.len() / 3, bytes.len() * 2 / 3, bytes.len() - 2] {
        let e = probe(&bytes[..cut], &limits()).unwrap_err();
        assert!(matches!(e, ImagingError::Truncated(_)), "cut at {cut}: {e}");
    }
    // Bytes after the end marker (maker trailers) are fine.
    let mut trailer = bytes.clone();
    trailer.extend_from_slice(b"SEFT trailer data");
    assert!(probe(&trailer, &limits()).is_ok());
    // The real truncated sample (image would fill it with grey).
    let cut = std::fs::read(testdata("corrupt/zune-image/incomplete_image.jpg")).unwrap();
    assert!(matches!(decode_rgb8(&cut, &limits()), Err(ImagingError::Truncated(_))));
}

#[test]
fn formats_are_detected_from_content() {
    for (rel, format) in [
        ("photos/DSCN0010.jpg", "jpeg"),
        ("photos/BSG1.tiff", "tiff"),
        ("photos/exiftool/PNG.png", "png"),
        ("photos/kamadak-exif/exif.webp", "webp"),
    ] {
        let bytes = std::fs::read(testdata(rel)).unwrap();
        assert_eq!(probe(&bytes, &limits()).unwrap().format, format, "{rel}");
        // Also under a wrong name: detection never looks at it.
        let d = decode_rgb8(&bytes, &limits()).unwrap();
        assert!(d.image.width() > 0);
    }
}

#[test]
fn display_p3_is_converted_to_srgb() {
    let bytes = std::fs::read(testdata("photos/photoprism/Iceland-P3.jpg")).unwrap();
    let p = probe(&bytes, &limits()).unwrap();
    let icc = p.icc_profile.expect("embedded profile");
    let name = disan_imaging::icc_description(&icc).unwrap();
    assert!(name.contains("P3"), "{name}");

    // Grey stays grey; a saturated P3 colour becomes more extreme in the smaller sRGB gamut.
    let mut img = RgbImage::from_raw(2, 1, vec![128, 128, 128, 200, 100, 100]).unwrap();
    disan_imaging::to_srgb(&mut img, Some(&icc)).unwrap();
    let grey = img.get_pixel(0, 0).0;
    assert!(grey.iter().all(|c| c.abs_diff(128) <= 1), "{grey:?}");
    let red = img.get_pixel(1, 0).0;
    assert!(red[0] > 205 && red[1] < 98 && red[2] < 98, "{red:?}");
}

#[test]
fn sixteen_bit_and_alpha_reduce_to_rgb8() {
    // A 16-bit RGBA PNG made here from a real photo: 16-bit values and half transparency.
    let (_, src, _) = load("photos/DSCN0010.jpg");
    let rgba16 = image::ImageBuffer::<image::Rgba<u16>, _>::from_fn(64, 48, |x, y| {
        let p = src.get_pixel(x * 10, y * 10).0;
        image::Rgba([
            u16::from(p[0]) * 257,
            u16::from(p[1]) * 257,
            u16::from(p[2]) * 257,
            65535,
        ])
    });
    let mut png = Vec::new();
    image::DynamicImage::ImageRgba16(rgba16)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let d = decode_rgb8(&png, &limits()).unwrap();
    assert_eq!(d.image.get_pixel(3, 4).0, src.get_pixel(30, 40).0);

    let half = image::RgbaImage::from_pixel(2, 2, image::Rgba([0, 0, 0, 128]));
    let mut png = Vec::new();
    half.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let d = decode_rgb8(&png, &limits()).unwrap();
    assert_eq!(d.image.get_pixel(0, 0).0, [127, 127, 127]);
}

#[test]
fn jpeg_round_trip() {
    let (_, src, _) = load("photos/DSCN0010.jpg");
    let small = disan_imaging::resize_rgb(&src, 320, 240);
    // Quality 85 (the default) uses 4:2:0 chroma, 95 uses 4:4:4. Foliage at 320×240 is a hard case:
    // a few levels of mean error; a broken encode/decode pair gives ~100.
    for (q, max) in [(85, 8.0), (95, 3.0)] {
        let jpeg = disan_imaging::encode_jpeg(&small, q).unwrap();
        let back = decode_rgb8(&jpeg, &limits()).unwrap().image;
        assert_eq!(back.dimensions(), (320, 240));
        let d = mean_abs_diff(&back, &small);
        assert!(d < max, "JPEG at q{q} differs by {d}");
        // Deterministic: the same pixels give the same bytes.
        assert_eq!(jpeg, disan_imaging::encode_jpeg(&small, q).unwrap());
    }
}

/// Offset of the main image's SOF0 marker, walking the JPEG segments (skipping APP1's thumbnail).
fn sof0_offset(bytes: &[u8]) -> usize {
    let mut i = 2;
    while i + 4 <= bytes.len() {
        assert_eq!(bytes[i], 0xFF);
        let marker = bytes[i + 1];
        if marker == 0xC0 {
            return i;
        }
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        i += 2 + len;
    }
    panic!("no SOF0");
}

#[test]
fn corrupt_files_give_errors_not_panics() {
    let mut files = 0;
    for path in files_under(&testdata("corrupt")) {
        let bytes = std::fs::read(&path).unwrap();
        files += 1;
        let result = decode_rgb8(&bytes, &limits());
        let name = path.file_name().unwrap().to_string_lossy();
        // Every broken PNG, the short BMP and the fuzzed JPEG are refused with a reason. The others
        // have broken EXIF but decodable pixels (or, for truncated JPEGs, pixels image fills in).
        let must_fail = path.extension().is_some_and(|e| e == "png" || e == "bmp") || name == "oss-fuzz-36829.jpeg";
        if must_fail {
            let e = result.err().unwrap_or_else(|| panic!("{name} decoded"));
            assert!(!e.to_string().is_empty());
        }
    }
    assert!(files >= 30, "{files}");
}

/// Decodes a fixture of `tests/data/colour` (made by its make.sh with libvips and Little CMS) to sRGB the
/// way the pipeline does: decode, then the remaining profile.
fn colour_fixture(name: &str) -> (disan_imaging::Decoded, RgbImage) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/colour");
    let bytes = std::fs::read(dir.join(name)).unwrap();
    let mut d = decode_rgb8(&bytes, &limits()).unwrap();
    if let Some(icc) = d.icc_profile.clone() {
        disan_imaging::to_srgb(&mut d.image, Some(&icc)).unwrap();
    }
    let reference = disan_tests::open_image(dir.join("reference.png")).unwrap().into_rgb8();
    (d, reference)
}

#[test]
fn wide_gamut_profiles_and_cmyk_come_out_as_the_srgb_original() {
    // Each fixture is the reference photo converted by Little CMS into another colour space. 16-bit ones are
    // lossless and must come back exactly; 8-bit JPEGs must come back as Little CMS itself brings them back
    // (`*.lcms.png`: the JPEG loss is in both). Read as if it were sRGB, every one is far off: the control.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/colour");
    for (name, profile, lcms_within, naive_beyond) in [
        ("adobe-rgb.jpg", "Adobe RGB (1998)", 0.3, 5.0),
        ("display-p3.jpg", "Display P3", 0.3, 5.0),
        ("cmyk.jpg", "CMYK", 0.8, 5.0),
        ("prophoto-16.tif", "ProPhoto", 0.0, 15.0),
        ("adobe-rgb-16.png", "Adobe RGB (1998)", 0.0, 5.0),
    ] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let icc = probe(&bytes, &limits()).unwrap().icc_profile.expect("embedded profile");
        let description = disan_imaging::icc_description(&icc).unwrap();
        assert!(description.contains(profile), "{name}: {description}");

        let (d, reference) = colour_fixture(name);
        assert!(d.notes.is_empty(), "{name}: {:?}", d.notes);
        let expected = match name.strip_suffix(".jpg") {
            Some(stem) => disan_tests::open_image(dir.join(format!("{stem}.lcms.png")))
                .unwrap()
                .into_rgb8(),
            None => reference.clone(),
        };
        let diff = mean_abs_diff(&d.image, &expected);
        assert!(
            diff <= lcms_within + 0.05,
            "{name}: {diff:.3} from the expected sRGB pixels"
        );

        let raw = disan_imaging::decode_any(&bytes, &limits()).unwrap().into_rgb8();
        let naive = mean_abs_diff(&raw, &reference);
        assert!(
            naive > naive_beyond,
            "{name}: unconverted only {naive:.2} off, the test proves nothing"
        );
    }
}

#[test]
fn sixteen_bit_prophoto_is_converted_before_rounding() {
    // Converting the 16-bit values and rounding once is closer to the original than rounding to 8 bits
    // first and converting 8-bit ProPhoto (a narrow-gamut-per-code space) afterwards.
    let (d, reference) = colour_fixture("prophoto-16.tif");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/colour");
    let bytes = std::fs::read(dir.join("prophoto-16.tif")).unwrap();
    let icc = probe(&bytes, &limits()).unwrap().icc_profile.unwrap();
    let mut eight_first = disan_imaging::decode_any(&bytes, &limits()).unwrap().into_rgb8();
    disan_imaging::to_srgb(&mut eight_first, Some(&icc)).unwrap();
    let (ours, late) = (
        mean_abs_diff(&d.image, &reference),
        mean_abs_diff(&eight_first, &reference),
    );
    assert!(ours < late, "16-bit path {ours:.3} vs 8-bit path {late:.3}");
}

#[test]
fn cmyk_without_a_profile_is_converted_with_a_note() {
    let bytes = std::fs::read(testdata("photos/zune-image/cymk.jpg")).unwrap();
    let d = decode_rgb8(&bytes, &limits()).unwrap();
    assert_eq!(d.image.dimensions(), (600, 397));
    assert!(d.icc_profile.is_none());
    assert!(
        d.notes.iter().any(|n| n.contains("CMYK") && n.contains("approximate")),
        "{:?}",
        d.notes
    );
}

#[test]
fn shrink_on_load_decodes_no_larger_than_needed_and_matches_a_full_decode() {
    use disan_imaging::decode_rgb8_at_least;
    // DSCN0010 is 640×480: asking for 300×200 takes the 1/2 scale (320×240), the smallest covering it.
    let bytes = std::fs::read(testdata("photos/DSCN0010.jpg")).unwrap();
    let full = decode_rgb8(&bytes, &limits()).unwrap().image;
    let small = decode_rgb8_at_least(&bytes, &limits(), 300, 200).unwrap().image;
    assert_eq!(small.dimensions(), (320, 240));
    // A 1/2 DCT scale averages each 2×2 block of the full decode (within the two decoders' rounding and
    // chroma upsampling); the same average one pixel off is far from it (the control).
    let average = |dx0: u32| {
        RgbImage::from_fn(319, 240, |x, y| {
            let mut s = [0u32; 3];
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                let p = full.get_pixel(2 * x + dx + dx0, 2 * y + dy);
                for c in 0..3 {
                    s[c] += u32::from(p[c]);
                }
            }
            image::Rgb(s.map(|v| ((v + 2) / 4) as u8))
        })
    };
    let small_cut = image::imageops::crop_imm(&small, 0, 0, 319, 240).to_image();
    let diff = mean_abs_diff(&small_cut, &average(0));
    assert!(diff < 2.5, "{diff:.2} from the 2×2 average of the full decode");
    let off = mean_abs_diff(&small_cut, &average(1));
    assert!(
        off > diff * 2.0,
        "{off:.2}: the comparison would not see a shifted image"
    );
    // 230×170 is covered by 3/8 (240×180), which is libjpeg's exact DCT reduction: no further from a Lanczos3
    // resample of the full decode than the 1/2 scale is from one at its size (this photo's fine detail keeps
    // both a few levels away: 3.8 and 4.4), far from the resample of the image shifted by five pixels.
    let three_eighths = decode_rgb8_at_least(&bytes, &limits(), 230, 170).unwrap().image;
    assert_eq!(three_eighths.dimensions(), (240, 180));
    let lanczos = disan_imaging::resize_rgb(&full, 240, 180);
    let diff = mean_abs_diff(&three_eighths, &lanczos);
    let half_diff = mean_abs_diff(&small, &disan_imaging::resize_rgb(&full, 320, 240));
    assert!(
        diff < 5.0 && diff <= half_diff * 1.1,
        "{diff:.2} from a Lanczos3 resample of the full decode (1/2: {half_diff:.2})"
    );
    let shifted = image::imageops::crop_imm(&full, 5, 0, 635, 480).to_image();
    let off = mean_abs_diff(&three_eighths, &disan_imaging::resize_rgb(&shifted, 240, 180));
    assert!(
        off > diff * 2.0,
        "{off:.2}: the comparison would not see a shifted image"
    );
    // A request no smaller DCT scale covers is decoded at full size, by libjpeg-turbo too (faster than
    // zune-jpeg behind decode_rgb8, into a kept buffer): the same image within the two decoders' rounding.
    let same = decode_rgb8_at_least(&bytes, &limits(), 400, 300).unwrap().image;
    assert_eq!(same.dimensions(), full.dimensions());
    let diff = mean_abs_diff(&same, &full);
    let shifted = image::imageops::crop_imm(&full, 1, 0, 639, 480).to_image();
    let off = mean_abs_diff(&image::imageops::crop_imm(&same, 0, 0, 639, 480).to_image(), &shifted);
    assert!(
        diff < 0.5 && off > 10.0 * diff,
        "{diff:.3} from zune-jpeg's decode ({off:.2} one pixel off)"
    );
    let eighth = decode_rgb8_at_least(&bytes, &limits(), 10, 10).unwrap().image;
    assert_eq!(eighth.dimensions(), (80, 60));
    // The wide-gamut JPEG keeps its profile for to_srgb, as decode_rgb8 does.
    let p3 = std::fs::read(testdata("photos/photoprism/Iceland-P3.jpg")).unwrap();
    let d = decode_rgb8_at_least(&p3, &limits(), 64, 64).unwrap();
    // (read from the JPEG's own headers on this path: the same bytes `image` finds)
    assert!(d.icc_profile.is_some());
    assert_eq!(d.icc_profile, probe(&p3, &limits()).unwrap().icc_profile);
    assert!(d.image.width() < probe(&p3, &limits()).unwrap().width);
    // Truncated files, CMYK and limits behave as in decode_rgb8.
    let cut = std::fs::read(testdata("corrupt/zune-image/incomplete_image.jpg")).unwrap();
    assert!(matches!(
        decode_rgb8_at_least(&cut, &limits(), 16, 16),
        Err(ImagingError::Truncated(_))
    ));
    assert!(matches!(
        decode_rgb8_at_least(&bytes[..bytes.len() / 2], &limits(), 16, 16),
        Err(ImagingError::Truncated(_))
    ));
    let small_limits = DecodeLimits {
        max_pixels: 1000,
        ..limits()
    };
    assert!(matches!(
        decode_rgb8_at_least(&bytes, &small_limits, 16, 16),
        Err(ImagingError::TooLarge { .. })
    ));
    let (cmyk, reference) = colour_fixture("cmyk.jpg");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/colour");
    let scaled = decode_rgb8_at_least(&std::fs::read(dir.join("cmyk.jpg")).unwrap(), &limits(), 8, 8).unwrap();
    assert_eq!(
        scaled.image.dimensions(),
        cmyk.image.dimensions(),
        "CMYK is decoded the usual way"
    );
    assert_eq!(cmyk.image.dimensions(), reference.dimensions());
}

/// Every strip of a JPEG read through `JpegRows`, joined.
fn stream_whole(bytes: &[u8], limits: &DecodeLimits, strip: u32) -> Result<Option<RgbImage>, ImagingError> {
    let Some(mut rows) = disan_imaging::JpegRows::open(bytes, limits)? else {
        return Ok(None);
    };
    let (w, h) = (rows.width(), rows.height());
    let mut pixels = Vec::new();
    while rows.remaining() > 0 {
        let s = rows.read(strip)?;
        assert!(s.height() <= strip && s.width() == w);
        pixels.extend_from_slice(s.as_raw());
    }
    assert_eq!(rows.read(strip)?.height(), 0, "nothing after the last row");
    Ok(RgbImage::from_raw(w, h, pixels))
}

#[test]
fn jpegs_stream_strip_by_strip_as_they_decode_whole() {
    // Real camera JPEGs (baseline, 4:2:2 and 4:2:0, with EXIF): the strips, whatever their height, join into
    // the image that a whole decode gives (another decoder, zune-jpeg: within its different chroma upsampling).
    for rel in [
        "photos/DSCN0010.jpg",
        "photos/Canon_40D.jpg",
        "panoramas/aframe-lake.jpg",
    ] {
        let bytes = std::fs::read(testdata(rel)).unwrap();
        let whole = decode_rgb8(&bytes, &limits()).unwrap().image;
        assert_eq!(
            disan_imaging::JpegRows::size_of(&bytes),
            Some(whole.dimensions()),
            "{rel}"
        );
        let a = stream_whole(&bytes, &limits(), 7).unwrap().unwrap();
        let b = stream_whole(&bytes, &limits(), 64).unwrap().unwrap();
        assert!(a == b, "{rel}: strips of 7 and 64 rows differ");
        assert_eq!(a.dimensions(), whole.dimensions(), "{rel}");
        let diff = mean_abs_diff(&a, &whole);
        assert!(diff < 1.5, "{rel}: mean difference {diff} from a whole decode");
    }
    // The ICC profile comes from the APP2 chunks, as the whole decode reads it.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/colour");
    let p3 = std::fs::read(dir.join("display-p3.jpg")).unwrap();
    let rows = disan_imaging::JpegRows::open(&p3, &limits()).unwrap().unwrap();
    assert_eq!(
        rows.icc_profile(),
        probe(&p3, &limits()).unwrap().icc_profile.as_deref()
    );
    assert!(rows.icc_profile().is_some());
}

#[test]
fn jpegs_that_cannot_stream_say_so_and_limits_hold() {
    let limits = limits();
    // Progressive (Pannellum's example panorama), CMYK, truncated, and not a JPEG at all: decode them whole.
    let progressive = std::fs::read(testdata("panoramas/pannellum-examplepano.jpg")).unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/colour");
    let cmyk = std::fs::read(dir.join("cmyk.jpg")).unwrap();
    let camera = std::fs::read(testdata("photos/DSCN0010.jpg")).unwrap();
    let truncated = camera[..camera.len() / 2].to_vec();
    let png_path = files_under(&testdata("photos/image-png"))
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "png"))
        .unwrap();
    let png = std::fs::read(png_path).unwrap();
    for (name, bytes) in [
        ("progressive", &progressive),
        ("cmyk", &cmyk),
        ("truncated", &truncated),
        ("png", &png),
    ] {
        assert!(
            disan_imaging::JpegRows::open(bytes, &limits).unwrap().is_none(),
            "{name}"
        );
        assert!(disan_imaging::JpegRows::size_of(bytes).is_none(), "{name}");
    }
    // The streaming limit is its own: 640×480 is refused under 1000 pixels, and allowed beyond max_pixels.
    let small = DecodeLimits {
        max_stream_pixels: 1000,
        ..limits
    };
    assert!(matches!(
        disan_imaging::JpegRows::open(&camera, &small),
        Err(ImagingError::TooLarge { max_pixels: 1000, .. })
    ));
    let beyond = DecodeLimits {
        max_pixels: 1000,
        max_stream_pixels: 1_000_000,
        ..limits
    };
    assert!(matches!(probe(&camera, &beyond), Err(ImagingError::TooLarge { .. })));
    let p = disan_imaging::probe_for_tiles(&camera, &beyond).unwrap();
    assert_eq!((p.format, p.width, p.height), ("jpeg", 640, 480));
    assert!(stream_whole(&camera, &beyond, 100).unwrap().is_some());
    // Scan data damaged in the middle (the headers intact, the end marker kept): rows or an error, never a
    // panic.
    let mut damaged = camera.clone();
    let sos = damaged.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
    for i in (sos + 600..damaged.len() - 2).step_by(97) {
        damaged[i] = 0xFF;
    }
    match stream_whole(&damaged, &limits, 32) {
        Ok(Some(img)) => assert_eq!(img.dimensions(), (640, 480)),
        Ok(None) => panic!("a complete baseline JPEG streams"),
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

/// Cuts every 512 px tile of a real photo from its coefficients and checks each against the whole photo
/// decoded the usual way; returns the half-size image made from the same coefficients.
fn cut_and_halve(rel: &str) -> (RgbImage, RgbImage) {
    use disan_imaging::transcode::JpegBlocks;
    let (bytes, whole, _) = load(rel);
    let mut blocks = JpegBlocks::open(&bytes, 512).unwrap_or_else(|| panic!("{rel} can be cut"));
    let (w, h) = blocks.frame().size();
    assert_eq!((w, h), whole.dimensions());
    let rows = 512 / blocks.frame().mcu_height();
    let mut half = Vec::new();
    let mut y = 0;
    while blocks.rows_left() > 0 {
        let band = blocks.read_band(rows, None).unwrap();
        let th = 512.min(h - y);
        for x in (0..w).step_by(512) {
            let tw = 512.min(w - x);
            let tile = decode_rgb8(&band.encode_tile(x, tw, th).unwrap(), &limits())
                .unwrap()
                .image;
            assert_eq!(tile.dimensions(), (tw, th));
            // Exactly the whole photo's pixels, but within 2 pixels of a tile's edge, where the decoder's
            // smooth chroma upsampling reads the neighbouring tile's chroma.
            let inner = |t: u32, n: u32| (2..n.saturating_sub(2)).contains(&t);
            for (tx, ty, p) in tile.enumerate_pixels() {
                if inner(tx, tw) && inner(ty, th) {
                    assert_eq!(p, whole.get_pixel(x + tx, y + ty), "{rel}: ({}, {})", x + tx, y + ty);
                }
            }
        }
        let (hw, hh, pixels) = band.half_rgb();
        assert_eq!(hw, w.div_ceil(2));
        half.extend_from_slice(&pixels[..(hw * hh.min(h.div_ceil(2) - (y / 2))) as usize * 3]);
        y += th;
    }
    assert_eq!(y, h);
    let half = RgbImage::from_raw(w.div_ceil(2), h.div_ceil(2), half).unwrap();
    (whole, half)
}

#[test]
fn tiles_cut_from_the_coefficients_are_the_photos_own_pixels() {
    // Jolla: one run of entropy-coded data, tiles copy it (with the camera's own Huffman tables).
    // iPhone 6: restart markers every few MCUs, so tiles are coded again with the standard tables.
    // Nikon COOLPIX P6000: 4:2:2 chroma, at half size averaged in pairs down the rows.
    // Iceland-P3: saved by Photoshop, whose Adobe segment says YCbCr, with restart markers.
    for rel in [
        "photos/jolla.jpg",
        "photos/iphone_hdr_YES.jpg",
        "photos/DSCN0010.jpg",
        "photos/photoprism/Iceland-P3.jpg",
    ] {
        let (whole, half) = cut_and_halve(rel);
        // The half-size image straight from the coefficients against the `image` crate's Lanczos3 from full
        // size, beside libjpeg-turbo's own DCT scaling to 1/2 (shrink-on-load, as libvips and browsers make
        // JPEG thumbnails): measured 49.5 / 50.0 / 35.1 dB against 49.7 / 50.5 / 32.6 (the Nikon photo is
        // 640×480 of fine detail, where any two filters differ more; its 2×2 average, libvips's levels: 34.4),
        // so within 1 dB of libjpeg-turbo's or better. A one-pixel shift costs clearly more.
        let reference = image::imageops::resize(
            &whole,
            half.width(),
            half.height(),
            image::imageops::FilterType::Lanczos3,
        );
        let bytes = std::fs::read(testdata(rel)).unwrap();
        let libjpeg = disan_imaging::decode_rgb8_at_least(&bytes, &limits(), half.width(), half.height())
            .unwrap()
            .image;
        assert_eq!(
            libjpeg.dimensions(),
            half.dimensions(),
            "{rel}: libjpeg-turbo's 1/2 scale"
        );
        let (p, p_libjpeg) = (psnr(&half, &reference), psnr(&libjpeg, &reference));
        eprintln!("{rel}: half size {p:.1} dB against Lanczos3, libjpeg-turbo's 1/2 scale {p_libjpeg:.1} dB");
        assert!(
            p >= 34.0 && p >= p_libjpeg - 1.0,
            "{rel}: {p:.1} dB, libjpeg-turbo's {p_libjpeg:.1} dB"
        );
        let shifted = image::imageops::crop_imm(&half, 1, 0, half.width() - 1, half.height()).to_image();
        let cut = image::imageops::crop_imm(&reference, 0, 0, half.width() - 1, half.height()).to_image();
        assert!(
            psnr(&shifted, &cut) < p - 3.0,
            "{rel}: a one-pixel offset must cost PSNR"
        );
    }
}

#[test]
fn only_what_can_be_cut_exactly_is_opened() {
    use disan_imaging::transcode::JpegBlocks;
    for (rel, why) in [
        ("panoramas/pannellum-examplepano.jpg", "progressive"),
        ("photos/zune-image/cymk.jpg", "four components"),
        ("photos/mapillary/adobe_coords.jpg", "progressive, from Photoshop"),
        ("corrupt/zune-image/incomplete_image.jpg", "cut short"),
    ] {
        let bytes = std::fs::read(testdata(rel)).unwrap();
        assert!(JpegBlocks::open(&bytes, 512).is_none(), "{rel} ({why}) must not be cut");
    }
    // A Photoshop file (Adobe segment: YCbCr) is cut; the same file saying its channels are RGB (transform
    // 0) is not, since tiles are JFIF, which means YCbCr.
    let mut bytes = std::fs::read(testdata("photos/photoprism/Iceland-P3.jpg")).unwrap();
    assert!(JpegBlocks::open(&bytes, 512).is_some());
    // The file's own segment, walked to (its Photoshop resources hold a thumbnail with one of its own).
    let mut adobe = 2;
    while bytes[adobe + 1] != 0xEE {
        adobe += 2 + usize::from(u16::from_be_bytes([bytes[adobe + 2], bytes[adobe + 3]]));
    }
    assert_eq!(&bytes[adobe + 4..adobe + 9], b"Adobe");
    assert_eq!(bytes[adobe + 15], 1, "Photoshop's transform: YCbCr");
    bytes[adobe + 15] = 0;
    assert!(
        JpegBlocks::open(&bytes, 512).is_none(),
        "an Adobe RGB-coded file must not be cut"
    );
}

/// Reads a JPEG through the deep-zoom cutter as deep zoom does: band by band (`tile` pixels high), every tile
/// cut and every band halved. `None` when `JpegBlocks::open` refuses the file; else the bands read and whether
/// a band's error ended the file (damaged data). A tile that cannot be made panics unless `tile_errors_allowed`
/// (the soak's mutated headers may make one fail, which is an error, not a panic).
fn cut_every_band(data: &[u8], tile: u32, tile_errors_allowed: bool) -> Option<(u32, bool)> {
    let mut blocks = disan_imaging::transcode::JpegBlocks::open(data, tile)?;
    let (width, height) = blocks.frame().size();
    let rows = tile / blocks.frame().mcu_height();
    let (mut y, mut bands) = (0, 0);
    while blocks.rows_left() > 0 {
        let Ok(band) = blocks.read_band(rows, None) else {
            return Some((bands, true));
        };
        for x in (0..width).step_by(tile as usize) {
            let made = band.encode_tile(x, tile.min(width - x), tile.min(height.saturating_sub(y)).max(1));
            if let Err(e) = made {
                assert!(tile_errors_allowed, "tile at {x},{y}: {e}");
            }
        }
        let (half_width, _, _) = band.half_rgb();
        assert_eq!(half_width, width.div_ceil(2));
        y += tile;
        bands += 1;
    }
    Some((bands, false))
}

#[test]
fn every_jpeg_of_the_corpus_is_cut_or_refused_without_a_panic() {
    // The hostile corpus and every real capture: whatever opens is read band by band, every tile cut and
    // every band halved; a file whose data is damaged ends in an error, not a panic.
    let mut opened = 0;
    for path in files_under(&testdata("")) {
        if !matches!(path.extension().and_then(|e| e.to_str()), Some("jpg" | "jpeg" | "JPG")) {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        if probe(&bytes, &limits()).is_err() {
            continue;
        }
        if cut_every_band(&bytes, 64, false).is_some() {
            opened += 1;
        }
    }
    assert!(opened >= 20, "only {opened} JPEGs could be cut");
}

#[test]
fn damaged_entropy_coded_data_is_an_error_or_tiles_never_a_panic() {
    // A real photo with bytes of its scan overwritten at 400 pseudo-random places, one damage at a time.
    let original = std::fs::read(testdata("photos/DSCN0010.jpg")).unwrap();
    let scan = original.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap() + 16;
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let (mut errors, mut cut) = (0, 0);
    for _ in 0..400 {
        let mut bytes = original.clone();
        for _ in 0..1 + next() % 4 {
            let at = scan + (next() % (bytes.len() - scan - 2) as u64) as usize;
            bytes[at] = next() as u8;
        }
        let Some((_, failed)) = cut_every_band(&bytes, 64, false) else {
            continue;
        };
        errors += usize::from(failed);
        cut += 1;
    }
    eprintln!("{cut} damaged copies read, {errors} of them refused");
    assert!(cut > 300 && errors > 0);
}

/// The deep-zoom cutter (`JpegBlocks`: its own Huffman decoder over a JPEG's coefficients) on thousands of
/// mutated copies of real camera JPEGs, as the fuzz target `jpeg_transcode` does but in every test run; wider
/// than the test above: flipped header bytes, bytes overwritten in the scan, stray markers, cut-short files.
/// Each copy is cut into tiles or refused with an error; none panics. The unmutated files cut, and most mutated
/// ones get past `open` into the decoder, so the soak reaches the code it is for.
#[test]
fn mutated_real_jpegs_are_cut_or_refused_never_a_panic() {
    const COPIES: usize = 1000;
    let limits = DecodeLimits {
        max_pixels: 4_000_000,
        max_alloc: 64 << 20,
        max_stream_pixels: 4_000_000,
    };
    // Bands cut, or None where `probe` or `open` refused the file; an error from a band ends the file.
    let cut = |data: &[u8]| -> Option<u32> {
        probe(data, &limits).ok()?;
        cut_every_band(data, 64, true).map(|(bands, _)| bands)
    };
    // Baseline 4:2:0 and 4:4:4 from four cameras, and two Photoshop files with restart markers.
    let files = [
        "photos/Canon_40D.jpg",
        "photos/Nikon_D70.jpg",
        "photos/Pentax_K10D.jpg",
        "photos/mapillary/r_canon.jpg",
        "photos/photoprism/Iceland-P3.jpg",
        "photos/BlueSquare_xmp.jpg",
    ];
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let (mut panics, mut reached, mut total) = (Vec::new(), 0, 0);
    for name in files {
        let original = std::fs::read(testdata(name)).unwrap();
        assert!(
            cut(&original).is_some_and(|b| b > 0),
            "{name}: the unmutated file does not cut"
        );
        let scan = original.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
        for copy in 0..COPIES {
            let mut data = original.clone();
            match copy % 5 {
                // Headers: a few bytes before the scan flipped.
                0 => {
                    for _ in 0..1 + next(4) {
                        let at = next(scan + 2);
                        data[at] ^= 1 << next(8);
                    }
                }
                // Entropy-coded data: bytes overwritten anywhere after the scan header.
                1 => {
                    for _ in 0..1 + next(16) {
                        let at = scan + 2 + next(data.len() - scan - 2);
                        data[at] = next(256) as u8;
                    }
                }
                // A stray marker (a restart, the end, another scan) inside the data.
                2 => {
                    let at = scan + 2 + next(data.len() - scan - 4);
                    let marker = [0xD0 + next(8) as u8, 0xD9, 0xDA, 0xC4, 0x00][next(5)];
                    data[at] = 0xFF;
                    data[at + 1] = marker;
                }
                // Cut short, with or without an end marker.
                3 => {
                    data.truncate(scan + next(data.len() - scan));
                    if next(2) == 0 {
                        data.extend_from_slice(&[0xFF, 0xD9]);
                    }
                }
                // A run of the file repeated or dropped.
                _ => {
                    let at = scan + next(data.len() - scan);
                    let len = 1 + next(512).min(data.len() - at - 1);
                    if next(2) == 0 {
                        let run = data[at..at + len].to_vec();
                        data.splice(at..at, run);
                    } else {
                        data.drain(at..at + len);
                    }
                }
            }
            total += 1;
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cut(&data))) {
                Ok(Some(_)) => reached += 1,
                Ok(None) => {}
                Err(_) => panics.push(format!("{name} copy {copy}")),
            }
        }
    }
    eprintln!(
        "{total} mutated copies: {reached} opened and read, {} panics",
        panics.len()
    );
    assert!(panics.is_empty(), "panicked on: {}", panics.join(", "));
    assert!(
        reached * 2 > total,
        "only {reached} of {total} copies reached the decoder"
    );
}

/// A phone's motion photo (Google's `MP.jpg`, Samsung's motion photos) is a JPEG with its video appended after
/// the end-of-image marker. Such a file is the same photo as the JPEG alone on every path: the shrink-on-load
/// decode (it used to go the slow full-size way, its end marker not being at the end of the file), strip
/// streaming, and the tiles cut from the coefficients (it used to be decoded and re-encoded). The same
/// capture cut short before its end marker is still refused, video after it or not.
#[test]
fn a_motion_photo_is_the_photo_on_every_path() {
    use disan_imaging::transcode::JpegBlocks;
    let photo = std::fs::read(testdata("photos/Canon_40D.jpg")).unwrap();
    // An ISO base media file as phones append it: `ftyp`, then the movie's data, here 300 kB of noise,
    // which like coded video holds end-of-image markers by chance.
    let mut video = Vec::new();
    video.extend_from_slice(&[0, 0, 0, 24]);
    video.extend_from_slice(b"ftypmp42\0\0\0\0mp42isom");
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..300_000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        video.push((state >> 40) as u8);
    }
    assert!(video.windows(2).any(|w| w == [0xFF, 0xD9]));
    let motion = [photo.as_slice(), &video].concat();

    let small = |bytes: &[u8]| {
        disan_imaging::decode_rgb8_at_least(bytes, &limits(), 100, 60)
            .unwrap()
            .image
    };
    let (plain, with_video) = (small(&photo), small(&motion));
    assert!(plain.width() < 200, "shrink-on-load: {}", plain.width());
    assert_eq!(plain, with_video);

    assert_eq!(
        stream_whole(&photo, &limits(), 64).unwrap(),
        stream_whole(&motion, &limits(), 64).unwrap()
    );

    let tiles = |bytes: &[u8]| {
        let mut blocks = JpegBlocks::open(bytes, 64).expect("cut from the coefficients");
        let (w, h) = blocks.frame().size();
        let mut out = Vec::new();
        let mut y = 0;
        while blocks.rows_left() > 0 {
            let band = blocks.read_band(64 / blocks.frame().mcu_height(), None).unwrap();
            for x in (0..w).step_by(64) {
                out.push(band.encode_tile(x, 64.min(w - x), 64.min(h - y)).unwrap());
            }
            y += 64;
        }
        out
    };
    assert_eq!(tiles(&photo), tiles(&motion));

    let end = photo.len() - 2;
    let cut_short = [&photo[..end - 1000], video.as_slice()].concat();
    assert!(JpegBlocks::open(&cut_short, 64).is_none());
    assert!(matches!(
        decode_rgb8(&cut_short, &limits()),
        Err(ImagingError::Truncated(_))
    ));
}
