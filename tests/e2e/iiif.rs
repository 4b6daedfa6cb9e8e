//! IIIF level-0 deep zoom for large photos: every level reassembles to the source downscaled, real clients
//! (OpenSeadragon in headless Chromium, iiif-prezi3 in Python) read what `disan` writes, EXIF orientation and
//! colour are applied to the tiles, and `disan publish` moves the service ids to another host.

use std::path::{Path, PathBuf};

use disan_tests::{
    chromium_screenshot, disan, ingest, keep_images, mean_abs_diff, outcomes, psnr, run, serve, testdata, web_dir,
};
use image::RgbImage;
use serde_json::Value;

/// A real-content photo larger than the 4096 px deep-zoom threshold: two real 3264×2448 photos side by side
/// (6528×2448), JPEG quality 95. Returns its path and its decoded pixels.
fn large_photo(dir: &Path) -> (PathBuf, RgbImage) {
    large_photo_at(dir, 95)
}

/// [`large_photo`] saved at JPEG `quality` (4:2:0 below 90).
fn large_photo_at(dir: &Path, quality: u8) -> (PathBuf, RgbImage) {
    let a = disan_tests::open_image(testdata("photos/jolla.jpg"))
        .unwrap()
        .into_rgb8();
    let b = disan_tests::open_image(testdata("photos/iphone_hdr_YES.jpg"))
        .unwrap()
        .into_rgb8();
    let mut joined = RgbImage::new(a.width() + b.width(), a.height().max(b.height()));
    image::imageops::replace(&mut joined, &a, 0, 0);
    image::imageops::replace(&mut joined, &b, i64::from(a.width()), 0);
    let path = dir.join("stele.jpg");
    std::fs::write(&path, disan_imaging::encode_jpeg(&joined, quality).unwrap()).unwrap();
    let decoded = disan_tests::open_image(&path).unwrap().into_rgb8();
    (path, decoded)
}

/// Level `s` reassembled from its tiles, and the source at that size: itself at full resolution, resized by the
/// `image` crate's own Lanczos3 (an implementation independent of ours) straight from full size otherwise.
fn level_and_reference(dir: &Path, info: &Value, src: &RgbImage, s: u32) -> (RgbImage, RgbImage) {
    let level = reassemble(dir, info, s);
    let reference = if s == 1 {
        src.clone()
    } else {
        image::imageops::resize(
            src,
            level.width(),
            level.height(),
            image::imageops::FilterType::Lanczos3,
        )
    };
    (level, reference)
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The image at scale factor `s` put back together from its tiles, with the tile paths worked out from
/// `info.json` by the Image API 3.0 rules (not by Disan's layout code).
fn reassemble(dir: &Path, info: &Value, s: u32) -> RgbImage {
    let (w, h) = (
        info["width"].as_u64().unwrap() as u32,
        info["height"].as_u64().unwrap() as u32,
    );
    let t = info["tiles"][0]["width"].as_u64().unwrap() as u32;
    let mut out = RgbImage::new(w.div_ceil(s), h.div_ceil(s));
    for y in (0..h).step_by((t * s) as usize) {
        for x in (0..w).step_by((t * s) as usize) {
            let (rw, rh) = ((t * s).min(w - x), (t * s).min(h - y));
            let (sw, sh) = (rw.div_ceil(s), rh.div_ceil(s));
            let region = if (x, y, rw, rh) == (0, 0, w, h) {
                "full".to_owned()
            } else {
                format!("{x},{y},{rw},{rh}")
            };
            let size = if (sw, sh) == (w, h) {
                "max".to_owned()
            } else {
                format!("{sw},{sh}")
            };
            let path = dir.join(format!("{region}/{size}/0/default.jpg"));
            let tile = disan_tests::open_image(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
                .into_rgb8();
            assert_eq!(tile.dimensions(), (sw, sh), "{}", path.display());
            image::imageops::replace(&mut out, &tile, i64::from(x / s), i64::from(y / s));
        }
    }
    out
}

/// PSNR over the 4-pixel-wide bands on both sides of every internal tile edge: where a seam or an offset by
/// one pixel would show.
fn seam_psnr(a: &RgbImage, b: &RgbImage, tile: u32) -> f64 {
    let (w, h) = a.dimensions();
    let near_edge = |v: u32| {
        (1..)
            .map(|k| k * tile)
            .take_while(|&e| e < v.max(1))
            .any(|e| v + 4 > e && v < e + 4)
    };
    let (mut se, mut n) = (0.0, 0u64);
    for y in 0..h {
        for x in 0..w {
            if near_edge(x) || near_edge(y) {
                for c in 0..3 {
                    se += (f64::from(a.get_pixel(x, y)[c]) - f64::from(b.get_pixel(x, y)[c])).powi(2);
                }
                n += 3;
            }
        }
    }
    if n == 0 {
        return f64::INFINITY;
    }
    10.0 * (255.0f64.powi(2) / (se / n as f64).max(1e-12)).log10()
}

#[test]
fn tiles_of_every_level_reassemble_to_the_downscaled_source() {
    let work = tempfile::tempdir().unwrap();
    let (photo, src) = large_photo(work.path());
    let out_dir = work.path().join("tiles");
    let out = run(disan(work.path())
        .arg("tiles")
        .arg(&photo)
        .arg("--out")
        .arg(&out_dir)
        .args(["--base-url", "https://heritage.example.vn/iiif/stele", "--json"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary[0]["width"], 6528);

    let info = read_json(&out_dir.join("info.json"));
    assert_eq!(info["@context"], "http://iiif.io/api/image/3/context.json");
    assert_eq!(info["id"], "https://heritage.example.vn/iiif/stele");
    assert_eq!(info["type"], "ImageService3");
    assert_eq!(info["protocol"], "http://iiif.io/api/image");
    assert_eq!(info["profile"], "level0");
    assert_eq!(
        (info["width"].as_u64(), info["height"].as_u64()),
        (Some(6528), Some(2448))
    );
    assert_eq!(info["tiles"][0]["width"], 512);
    let factors: Vec<u32> = info["tiles"][0]["scaleFactors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u32)
        .collect();
    assert_eq!(
        factors,
        [1, 2, 4, 8, 16],
        "down to the level that fits one tile (408×153)"
    );

    // Quality: each level against the source resized by the `image` crate's own Lanczos3 (an implementation
    // independent of ours), straight from full resolution. Measured 41.4–48.1 dB overall and 41.1–48.0 dB along
    // the tile edges (JPEG quality 92); the bound is 40 dB for both.
    for &s in &factors {
        let (level, reference) = level_and_reference(&out_dir, &info, &src, s);
        let (p, seams) = (psnr(&level, &reference), seam_psnr(&level, &reference, 512));
        eprintln!(
            "scale {s}: {}×{} PSNR {p:.1} dB, at tile edges {seams:.1} dB",
            level.width(),
            level.height()
        );
        assert!(p >= 40.0, "scale {s}: PSNR {p:.1} dB");
        assert!(seams >= 40.0, "scale {s}: PSNR {seams:.1} dB along tile edges");
        // Control: the same level shifted by one pixel is clearly worse, so the bound would catch an offset.
        let shifted = image::imageops::crop_imm(&level, 1, 0, level.width() - 1, level.height()).to_image();
        let refcut = image::imageops::crop_imm(&reference, 0, 0, level.width() - 1, level.height()).to_image();
        assert!(
            psnr(&shifted, &refcut) < p - 3.0,
            "scale {s}: a one-pixel offset must cost PSNR"
        );
    }

    // Whole-image sizes: every `sizes` entry is there, the largest is also `full/max`, and maxWidth says so.
    let sizes = info["sizes"].as_array().unwrap();
    assert!(!sizes.is_empty());
    for size in sizes {
        let (w, h) = (size["width"].as_u64().unwrap(), size["height"].as_u64().unwrap());
        let img = disan_tests::open_image(out_dir.join(format!("full/{w},{h}/0/default.jpg"))).unwrap();
        assert_eq!((u64::from(img.width()), u64::from(img.height())), (w, h));
    }
    let max = disan_tests::open_image(out_dir.join("full/max/0/default.jpg")).unwrap();
    assert_eq!(u64::from(max.width()), info["maxWidth"].as_u64().unwrap());
    assert_eq!(u64::from(max.height()), info["maxHeight"].as_u64().unwrap());
}

/// The quantisation tables of a JPEG (its DQT segments' contents, joined), as stored.
fn quantisation_tables(jpeg: &[u8]) -> Vec<u8> {
    let mut tables = Vec::new();
    let mut i = 2;
    while i + 4 <= jpeg.len() && jpeg[i] == 0xFF && jpeg[i + 1] != 0xDA {
        let len = usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
        if jpeg[i + 1] == 0xDB {
            tables.extend_from_slice(&jpeg[i + 4..i + 2 + len]);
        }
        i += 2 + len;
    }
    tables
}

#[test]
fn a_jpeg_no_finer_than_the_tiles_is_cut_without_a_second_loss() {
    // The same real photos saved at quality 85 (coarser than the tiles' 92): full resolution is cut from the
    // JPEG's own coefficients, so its tiles carry the source's quantisation and decode to the source's
    // pixels; the half-size level comes from a scaled inverse DCT of the same coefficients.
    let work = tempfile::tempdir().unwrap();
    let (photo, src) = large_photo_at(work.path(), 85);
    let out_dir = work.path().join("tiles");
    let out = run(disan(work.path()).arg("tiles").arg(&photo).arg("--out").arg(&out_dir));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let info = read_json(&out_dir.join("info.json"));
    let source_tables = quantisation_tables(&std::fs::read(&photo).unwrap());
    let tile = std::fs::read(out_dir.join("512,512,512,512/512,512/0/default.jpg")).unwrap();
    assert_eq!(
        quantisation_tables(&tile),
        source_tables,
        "full-resolution tiles keep the source's tables"
    );
    let coarser = std::fs::read(out_dir.join("1024,0,1024,1024/512,512/0/default.jpg")).unwrap();
    assert_ne!(
        quantisation_tables(&coarser),
        source_tables,
        "the half-size level is encoded at its quality"
    );

    // Measured: 69.6 dB at full resolution (only the chroma within 2 pixels of tile edges differs, where
    // the decoder's smooth upsampling reads the neighbouring tile); 44.9 / 42.1 / 43.8 / 43.3 dB at scale
    // 2 / 4 / 8 / 16 against the `image` crate's Lanczos3 from full size (the Q95 source re-encoded:
    // 49.6 / 45.1 / 42.1 / 43.9 / 43.4).
    for s in [1, 2, 4, 8, 16] {
        let (level, reference) = level_and_reference(&out_dir, &info, &src, s);
        let p = psnr(&level, &reference);
        eprintln!("scale {s}: {p:.1} dB");
        assert!(p >= if s == 1 { 60.0 } else { 40.0 }, "scale {s}: PSNR {p:.1} dB");
    }
}

/// `jpeg` with the ICC profile of `donor` (its APP2 `ICC_PROFILE` segments, as stored) right after its SOI.
fn with_profile_of(jpeg: &[u8], donor: &[u8]) -> Vec<u8> {
    let mut segments = Vec::new();
    let mut i = 2;
    while i + 4 <= donor.len() && donor[i] == 0xFF && donor[i + 1] != 0xDA {
        let len = usize::from(u16::from_be_bytes([donor[i + 2], donor[i + 3]]));
        if donor[i + 1] == 0xE2 && donor[i + 4..].starts_with(b"ICC_PROFILE\0") {
            segments.extend_from_slice(&donor[i..i + 2 + len]);
        }
        i += 2 + len;
    }
    assert!(!segments.is_empty(), "the donor has a profile");
    [&jpeg[..2], &segments, &jpeg[2..]].concat()
}

#[test]
fn a_jpeg_with_an_srgb_profile_is_cut_and_one_with_another_profile_is_converted() {
    // The Q85 photo carrying the sRGB profile a real Canon 40D embeds: converting to sRGB changes nothing, so
    // its tiles are cut from the coefficients (the source's tables, its pixels). With the Display P3 profile
    // of a real photo instead, the colours are converted and every tile encoded again.
    let work = tempfile::tempdir().unwrap();
    let (photo, src) = large_photo_at(work.path(), 85);
    let plain = std::fs::read(&photo).unwrap();
    for (donor, cut) in [
        ("photos/Canon_40D.jpg", true),
        ("photos/photoprism/Iceland-P3.jpg", false),
    ] {
        let bytes = with_profile_of(&plain, &std::fs::read(testdata(donor)).unwrap());
        std::fs::write(&photo, &bytes).unwrap();
        let out_dir = work.path().join(if cut { "srgb" } else { "p3" });
        let out = run(disan(work.path()).arg("tiles").arg(&photo).arg("--out").arg(&out_dir));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let tile = std::fs::read(out_dir.join("512,512,512,512/512,512/0/default.jpg")).unwrap();
        assert_eq!(
            quantisation_tables(&tile) == quantisation_tables(&bytes),
            cut,
            "{donor}"
        );
        let info = read_json(&out_dir.join("info.json"));
        let (level, reference) = level_and_reference(&out_dir, &info, &src, 1);
        let p = psnr(&level, &reference);
        eprintln!("{donor}: full resolution {p:.1} dB from the source's pixels");
        if cut {
            assert!(p >= 60.0, "{donor}: PSNR {p:.1} dB");
        } else {
            // Display P3 to sRGB moves the colours: far from the unconverted pixels.
            assert!(p < 40.0, "{donor}: PSNR {p:.1} dB: not converted?");
        }
    }
}

#[test]
fn a_jpeg_whose_coefficients_cannot_be_read_is_tiled_from_its_pixels_with_a_warning() {
    // The Q85 photo with a stray marker in the middle of its scan: our reader stops there, libjpeg-turbo
    // skips the damage (as it did before tiles were cut), so the pyramid is made from the decoded pixels and
    // the summary says why.
    let work = tempfile::tempdir().unwrap();
    let (photo, _) = large_photo_at(work.path(), 85);
    let mut bytes = std::fs::read(&photo).unwrap();
    let scan = bytes.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
    let at = scan + (bytes.len() - scan) / 3;
    bytes[at..at + 2].copy_from_slice(&[0xFF, 0x17]);
    std::fs::write(&photo, &bytes).unwrap();
    let out_dir = work.path().join("tiles");
    let out = run(disan(work.path())
        .arg("tiles")
        .arg(&photo)
        .arg("--out")
        .arg(&out_dir)
        .arg("--json"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let warnings = summary[0]["warnings"].to_string();
    assert!(
        warnings.contains("could not be cut from the JPEG's coefficients") && warnings.contains("ends early"),
        "{summary}"
    );
    let info = read_json(&out_dir.join("info.json"));
    let full = reassemble(&out_dir, &info, 1);
    assert_eq!(full.dimensions(), (6528, 2448));
    let tile = std::fs::read(out_dir.join("512,512,512,512/512,512/0/default.jpg")).unwrap();
    assert_ne!(
        quantisation_tables(&tile),
        quantisation_tables(&bytes),
        "full resolution encoded again from the pixels"
    );
}

#[test]
fn orientation_and_colour_apply_to_tiles() {
    // Real phone photos with every EXIF orientation, and a Display P3 photo: with the deep-zoom threshold
    // lowered, their tiles come out upright and in sRGB, the same as their display derivative.
    let work = tempfile::tempdir().unwrap();
    let collection = work.path().join("c");
    let inputs = [
        testdata("photos/orientation/landscape_6.jpg"),
        testdata("photos/orientation/portrait_8.jpg"),
        testdata("photos/orientation/landscape_3.jpg"),
        testdata("photos/photoprism/Iceland-P3.jpg"),
    ];
    let refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    let (code, report, stderr) = ingest(&collection, &refs, &["--iiif-min-size", "300"]);
    assert_eq!(code, 0, "{stderr}");
    for entry in outcomes(&report, "ingested") {
        let id = entry["asset_id"].as_str().unwrap();
        let asset_dir = collection.join("assets").join(id);
        let manifest = read_json(&asset_dir.join("asset.json"));
        let (w, h) = (
            manifest["width"].as_u64().unwrap() as u32,
            manifest["height"].as_u64().unwrap() as u32,
        );
        let info = read_json(&asset_dir.join("iiif/info.json"));
        assert_eq!(
            (info["width"].as_u64(), info["height"].as_u64()),
            (Some(u64::from(w)), Some(u64::from(h)))
        );
        let full = reassemble(&asset_dir.join("iiif"), &info, 1);
        let display = disan_tests::open_image(asset_dir.join("display.jpg"))
            .unwrap()
            .into_rgb8();
        // display.jpg is upright and sRGB (tested against hand-rotated and Little CMS pixels elsewhere). It is
        // JPEG quality 85 with 4:2:0 chroma, the tiles 92 with 4:4:4: both are compared at an eighth of the
        // size, where that noise averages out and orientation and colour remain.
        let small = |img: &RgbImage| {
            image::imageops::resize(
                img,
                (w / 8).max(1),
                (h / 8).max(1),
                image::imageops::FilterType::Triangle,
            )
        };
        let (tiles, expected) = (small(&full), small(&display));
        let d = mean_abs_diff(&tiles, &expected);
        let control = mean_abs_diff(&image::imageops::rotate180(&tiles), &expected);
        eprintln!(
            "{}: {w}×{h} tiles vs display {d:.2}, rotated control {control:.2}",
            entry["path"]
        );
        assert!(
            d < 1.5 && control > 10.0 * d,
            "{}: {d:.2} (control {control:.2})",
            entry["path"]
        );
        if entry["path"].as_str().unwrap().ends_with("Iceland-P3.jpg") {
            // The P3 values taken as sRGB, the other way a pyramid could go wrong.
            let raw = small(
                &disan_tests::open_image(entry["path"].as_str().unwrap())
                    .unwrap()
                    .into_rgb8(),
            );
            let unconverted = mean_abs_diff(&tiles, &raw);
            eprintln!("  unconverted control {unconverted:.2}");
            assert!(
                unconverted > 3.0 * d,
                "tiles look unconverted: {unconverted:.2} vs {d:.2}"
            );
        }
    }
}

/// A collection with the large photo, served on localhost after `disan publish`: the server's base URL, the
/// asset's service folder and the source pixels.
fn published_collection(work: &Path) -> (String, PathBuf, RgbImage, String) {
    let collection = work.join("c");
    let (photo, src) = large_photo(work);
    let (code, report, stderr) = ingest(&collection, &[&photo], &[]);
    assert_eq!(code, 0, "{stderr}");
    let id = outcomes(&report, "ingested")[0]["asset_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let service_dir = collection.join("assets").join(&id).join("iiif");
    assert_eq!(
        read_json(&service_dir.join("info.json"))["id"],
        format!("http://localhost:8000/assets/{id}/iiif")
    );

    let base = serve(vec![("/web".into(), web_dir()), ("/c".into(), collection.clone())]);
    let out = run(disan(&collection).args(["publish", "--base-url", &format!("{base}/c/"), "--json"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let published: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(published["iiif_services"], 1);
    let info = read_json(&service_dir.join("info.json"));
    assert_eq!(info["id"], format!("{base}/c/assets/{id}/iiif"));
    let service = format!("{base}/c/assets/{id}/iiif");
    (base, service_dir, src, service)
}

#[test]
fn openseadragon_shows_full_resolution_regions_as_the_source() {
    let work = tempfile::tempdir().unwrap();
    let (base, _, src, service) = published_collection(work.path());
    let (w, h) = (640u32, 400u32);
    // Regions across tile edges (x 3072, y 1024 and 1536) and at the right edge of the image.
    for (x, y) in [(2900u32, 900u32), (5888, 1400), (400, 2000)] {
        let url = format!("{base}/web/deepzoom.html?info={service}/info.json&x={x}&y={y}&w={w}&h={h}");
        let shot = chromium_screenshot(&url, w, h, &work.path().join(format!("osd_{x}_{y}.png")));
        let expected = image::imageops::crop_imm(&src, x, y, w, h.min(src.height() - y)).to_image();
        let shot = image::imageops::crop_imm(&shot, 0, 0, expected.width(), expected.height()).to_image();
        let d = mean_abs_diff(&shot, &expected);
        // Control: the region next to it (a level or offset mix-up lands there, not here).
        let nx = if x > 1000 { x - 300 } else { x + 300 };
        let control = mean_abs_diff(
            &shot,
            &image::imageops::crop_imm(&src, nx, y, expected.width(), expected.height()).to_image(),
        );
        eprintln!("OpenSeadragon at {x},{y}: mean difference {d:.2}, control {control:.2}");
        if d >= 4.0 || control < 4.0 * d {
            let keep = keep_images(&format!("osd-{x}-{y}"), &shot, &expected);
            panic!(
                "OpenSeadragon at {x},{y}: {d:.2} (control {control:.2}); images in {}",
                keep.display()
            );
        }
    }
}

#[test]
fn iiif_prezi3_reads_the_service_and_every_level0_url_is_served() {
    let work = tempfile::tempdir().unwrap();
    let (_, _, _, service) = published_collection(work.path());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("py/iiif_level0_check.py");
    let out = run(std::process::Command::new("python3")
        .arg(script)
        .arg(format!("{service}/info.json")));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}\n(iiif-prezi3 missing? .ci/run installs it)",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(result["canvas"], serde_json::json!([6528, 2448]));
    assert!(result["urls_checked"].as_u64().unwrap() > 80, "{result}");
}

#[test]
fn publish_refuses_a_relative_base_url() {
    let work = tempfile::tempdir().unwrap();
    let out = run(disan(work.path()).args(["publish", "--base-url", "assets/here"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("absolute http"));
    // A good URL on a folder that is not a collection: refused, and no collection is made there.
    let out = run(disan(work.path()).args(["publish", "--base-url", "https://example.vn/c"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no collection"),
        "{out:?}"
    );
    assert!(!work.path().join("catalog.sqlite").exists());
}

#[test]
fn tiles_over_several_files_goes_on_past_a_broken_one() {
    let work = tempfile::tempdir().unwrap();
    let out_dir = work.path().join("out");
    let good = testdata("photos/orientation/portrait_6.jpg");
    let broken = testdata("corrupt/zune-image/incomplete_image.jpg");
    let out = run(disan(work.path())
        .arg("tiles")
        .arg(&good)
        .arg(&broken)
        .arg("--out")
        .arg(&out_dir)
        .args(["--base-url", "https://example.vn/t/", "--json"]));
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        rows[0]["width"], 450,
        "upright: portrait_6 is stored 600×450 with Orientation 6"
    );
    assert!(rows[1]["error"].as_str().unwrap().contains("truncated"), "{}", rows[1]);
    let info = read_json(&out_dir.join("portrait_6/info.json"));
    assert_eq!(info["id"], "https://example.vn/t/portrait_6");
    assert!(!out_dir.join("incomplete_image/info.json").exists());
}

#[test]
fn photos_over_the_pixel_limit_are_tiled_in_strips_when_they_can_be() {
    // With the whole-decode limit at 0.1 MP and deep zoom from 500 px, ingest still tiles an upright sequential
    // JPEG (DSCN0010, 640×480), strip by strip, and its tiles are the photo; one that needs an EXIF quarter turn
    // (portrait_6, stored 600×450) must be decoded whole, so it is refused, naming the limit. A limit on strips
    // (--max-stream-megapixels) refuses the first one too.
    let work = tempfile::tempdir().unwrap();
    let collection = work.path().join("c");
    let upright = testdata("photos/DSCN0010.jpg");
    let turned = testdata("photos/orientation/portrait_6.jpg");
    let (code, report, stderr) = ingest(
        &collection,
        &[&upright, &turned],
        &["--max-megapixels", "0.1", "--iiif-min-size", "500"],
    );
    assert_eq!(code, 2, "{stderr}");
    let ok = disan_tests::entry(&report, "DSCN0010.jpg");
    assert_eq!(ok["outcome"], "ingested", "{ok}");
    let bad = disan_tests::entry(&report, "portrait_6.jpg");
    assert_eq!(bad["outcome"], "failed", "{bad}");
    assert!(bad.to_string().contains("100000-pixel limit"), "{bad}");

    let asset_dir = collection.join("assets").join(ok["asset_id"].as_str().unwrap());
    let info = read_json(&asset_dir.join("iiif/info.json"));
    assert_eq!(
        (info["width"].as_u64(), info["height"].as_u64()),
        (Some(640), Some(480))
    );
    let full = reassemble(&asset_dir.join("iiif"), &info, 1);
    let source = disan_tests::open_image(&upright).unwrap().into_rgb8();
    let p = psnr(&full, &source);
    assert!(p >= 40.0, "tiles against the photo: {p:.1} dB");
    assert!(asset_dir.join("display.jpg").exists() && asset_dir.join("thumb.jpg").exists());

    let (code, report, stderr) = ingest(
        &work.path().join("c2"),
        &[&upright],
        &[
            "--max-megapixels",
            "0.1",
            "--max-stream-megapixels",
            "0.2",
            "--iiif-min-size",
            "500",
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    let bad = disan_tests::entry(&report, "DSCN0010.jpg");
    assert!(bad.to_string().contains("200000-pixel limit"), "{bad}");
}
