use std::path::Path;

use disan_tests::{chromium_console, chromium_dom, chromium_screenshot, entry, ingest, serve, testdata, web_dir};

/// A JPEG whose main frame header claims `w`×`h` pixels.
fn jpeg_claiming(w: u16, h: u16) -> Vec<u8> {
    let mut bytes = std::fs::read(testdata("photos/DSCN0010.jpg")).unwrap();
    // Walk the segments to the main image's SOF0 (the EXIF thumbnail has its own).
    let mut i = 2;
    loop {
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        if bytes[i + 1] == 0xC0 {
            bytes[i + 5..i + 7].copy_from_slice(&h.to_be_bytes());
            bytes[i + 7..i + 9].copy_from_slice(&w.to_be_bytes());
            return bytes;
        }
        i += 2 + len;
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).unwrap();
}

#[test]
fn bad_files_fail_alone_and_the_batch_goes_on() {
    let col = tempfile::tempdir().unwrap();
    let input = tempfile::tempdir().unwrap();
    let d = input.path();
    let good = std::fs::read(testdata("photos/DSCN0010.jpg")).unwrap();
    write(d, "good.jpg", &good);
    // The same bytes again (folded on the run page) and a relic model (its thumbnail is rendered).
    write(d, "copy-of-good.jpg", &good);
    write(d, "stele.glb", &std::fs::read(testdata("models/Box.glb")).unwrap());
    write(d, "zero.jpg", b"");
    write(d, "truncated.jpg", &good[..good.len() / 2]);
    write(d, "text.jpg", b"this is a note, not a photo\n");
    write(d, "bomb.jpg", &jpeg_claiming(60000, 60000));
    // A PNG with a .jpg name: the content decides.
    write(
        d,
        "mislabelled.jpg",
        &std::fs::read(testdata("photos/exiftool/PNG.png")).unwrap(),
    );
    // Broken EXIF, sound pixels: ingested, with the EXIF problem noted.
    write(
        d,
        "wrong-type-exif.jpg",
        &std::fs::read(testdata("corrupt/mapillary/corrupt_exif_trusted_wrong_type.jpg")).unwrap(),
    );
    write(d, "notes.txt", b"field notes");
    std::fs::create_dir(d.join("unreadable")).unwrap();

    let (code, report, _) = ingest(col.path(), &[d], &[]);
    assert_eq!(code, 2);
    assert_eq!(entry(&report, "stele.glb")["outcome"], "ingested");
    assert_eq!(report["summary"]["duplicates"], 1);
    let reason = |name: &str| entry(&report, name)["reason"].as_str().unwrap_or_default().to_owned();
    assert_eq!(entry(&report, "good.jpg")["outcome"], "ingested");
    assert_eq!(entry(&report, "mislabelled.jpg")["outcome"], "ingested");
    assert_eq!(entry(&report, "wrong-type-exif.jpg")["outcome"], "ingested");
    assert!(reason("zero.jpg").contains("empty"), "{}", reason("zero.jpg"));
    assert!(
        reason("truncated.jpg").contains("truncated"),
        "{}",
        reason("truncated.jpg")
    );
    assert!(
        reason("text.jpg").contains("not an image format"),
        "{}",
        reason("text.jpg")
    );
    let bomb = reason("bomb.jpg");
    assert!(
        bomb.contains("60000×60000") && bomb.contains("decompression bomb"),
        "{bomb}"
    );
    assert_eq!(entry(&report, "notes.txt")["outcome"], "ignored");
    assert_eq!(report["summary"]["failed"], 4);

    let id = entry(&report, "mislabelled.jpg")["asset_id"].as_str().unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(col.path().join(format!("assets/{id}/asset.json"))).unwrap()).unwrap();
    assert_eq!(manifest["source"]["format"], "png");
    // Nothing of a failed file is left in the collection.
    let assets = std::fs::read_dir(col.path().join("assets")).unwrap().count();
    assert_eq!(assets, 4, "four asset folders and no staging left over");
    run_page_shows_the_run(col.path(), &report);
}

/// The run's page (`runs/<run-id>.html`) in headless Chromium: every count, every failure with what to do,
/// a thumbnail that loads for every new asset, the GPS point on the map, folded duplicates, no script and
/// nothing on the console; and a screenshot to look at.
fn run_page_shows_the_run(collection: &Path, report: &serde_json::Value) {
    let page = collection.join(report["page"].as_str().expect("the report names its page"));
    assert!(page.is_file(), "{}", page.display());
    let served = tempfile::tempdir().unwrap();
    std::fs::copy(&page, served.path().join("page.html")).unwrap();
    let base = serve(vec![
        ("/run".into(), served.path().to_owned()),
        ("/web".into(), web_dir()),
    ]);
    let dom = chromium_dom(&format!("{base}/web/run-page-check.html"), 30_000);
    let json = dom
        .split("<pre id=\"result\">")
        .nth(1)
        .and_then(|r| r.split("</pre>").next())
        .unwrap_or_else(|| panic!("no result in {dom}"));
    let seen: serde_json::Value = serde_json::from_str(&json.replace("&quot;", "\"").replace("&amp;", "&"))
        .unwrap_or_else(|e| panic!("{e}: {json}"));
    for key in ["files", "ingested", "failed", "unchanged", "duplicates", "ignored"] {
        assert_eq!(seen["counts"][key], report["summary"][key], "{key}: {seen}");
    }
    let failures: Vec<&str> = seen["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(failures.len(), 4, "{seen}");
    assert!(failures.iter().any(|f| f.ends_with("bomb.jpg")), "{seen}");
    assert!(
        seen["todo"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t.as_str().unwrap().len() > 20),
        "{seen}"
    );
    // One thumbnail per new asset, each loaded; kind badges for photo and model.
    assert_eq!(seen["images"], 4, "{seen}");
    assert_eq!(seen["broken"].as_array().unwrap().len(), 0, "{seen}");
    let badges = seen["badges"].to_string();
    assert!(badges.contains("model") && badges.contains("photo"), "{seen}");
    // DSCN0010.jpg carries a GPS position.
    assert_eq!(seen["points"], 1, "{seen}");
    assert!(seen["folded"].to_string().contains("duplicates"), "{seen}");
    assert_eq!(seen["scripts"], 0, "{seen}");
    let console = chromium_console(&format!("{base}/run/page.html"), 5_000);
    assert!(console.is_empty(), "console: {console:#?}");
    let shot = served.path().join("run-page.png");
    let img = chromium_screenshot(&format!("{base}/run/page.html"), 1100, 1400, &shot);
    let keep = std::env::temp_dir().join("disan-run-page.png");
    img.save(&keep).unwrap();
    let white = img.pixels().filter(|p| p.0.iter().all(|&c| c >= 245)).count();
    assert!(
        white < img.pixels().len() * 95 / 100,
        "the page draws something: {}",
        keep.display()
    );
}

#[test]
fn a_lower_pixel_limit_refuses_large_images() {
    let col = tempfile::tempdir().unwrap();
    let (code, report, _) = ingest(
        col.path(),
        &[&testdata("photos/DSCN0010.jpg"), &testdata("photos/Canon_40D.jpg")],
        &["--max-megapixels", "0.1"],
    );
    assert_eq!(code, 2);
    assert!(
        entry(&report, "DSCN0010.jpg")["reason"]
            .as_str()
            .unwrap()
            .contains("640×480")
    );
}

#[test]
fn a_second_writer_is_refused_clearly() {
    let col = tempfile::tempdir().unwrap();
    let _held = disan_catalog::WriteLock::acquire(col.path()).unwrap();
    let out = disan_tests::run(
        disan_tests::disan(col.path())
            .arg("ingest")
            .arg(testdata("photos/DSCN0010.jpg")),
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("another disan process is writing"), "{stderr}");
}
