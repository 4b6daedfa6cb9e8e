use std::path::Path;

use disan_tests::{entry, ingest, testdata};

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
    assert_eq!(assets, 3, "three asset folders and no staging left over");
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
