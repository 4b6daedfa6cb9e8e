use std::path::Path;

use disan_tests::{catalog_snapshot, disan, entry, ingest, outcomes, run, testdata, tree_snapshot};

fn show(collection: &Path, id: &str) -> serde_json::Value {
    let out = run(disan(collection).args(["show", id, "--json"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn close(v: &serde_json::Value, expected: f64, tol: f64) {
    let a = v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"));
    assert!((a - expected).abs() <= tol, "{a} != {expected}");
}

#[test]
fn photos_and_corrupt_files_in_one_run() {
    let col = tempfile::tempdir().unwrap();
    let (code, report, _) = ingest(col.path(), &[&testdata("photos"), &testdata("corrupt")], &[]);
    assert_eq!(code, 2, "some files failed, the others are in");
    assert_eq!(report["status"], "some_failed");

    // Every broken PNG, the short BMP, the fuzzed and the truncated JPEG and the HEICs fail with a reason.
    let failed: Vec<&str> = outcomes(&report, "failed")
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    for f in outcomes(&report, "failed") {
        assert!(f["reason"].as_str().is_some_and(|r| r.len() > 10), "{f}");
    }
    for dir in ["corrupt/image-png", "corrupt/pngsuite"] {
        for e in std::fs::read_dir(testdata(dir)).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            assert!(failed.iter().any(|p| p.ends_with(&name)), "{name} should have failed");
        }
    }
    for name in [
        "Bad_shortfile.bmp",
        "oss-fuzz-36829.jpeg",
        "incomplete_image.jpg",
        "IMG_5195.HEIC",
    ] {
        assert!(failed.iter().any(|p| p.ends_with(name)), "{name} should have failed");
    }
    assert!(
        entry(&report, "IMG_5195.HEIC")["reason"]
            .as_str()
            .unwrap()
            .contains("HEIC")
    );
    assert!(
        entry(&report, "incomplete_image.jpg")["reason"]
            .as_str()
            .unwrap()
            .contains("truncated")
    );

    // The good files of the same run are in, including those with broken EXIF but sound pixels.
    for name in [
        "DSCN0010.jpg",
        "iphone_hdr_YES.jpg",
        "BSG1.tiff",
        "corrupt_exif.jpg",
        "36-memory_error.jpg",
        "exif.webp",
    ] {
        assert_eq!(entry(&report, name)["outcome"], "ingested", "{name}");
    }
    let ingested = outcomes(&report, "ingested").len();
    assert_eq!(report["summary"]["ingested"], ingested);
    assert_eq!(catalog_snapshot(col.path()).len(), ingested);

    // Metadata as exiftool reports it, through `show --json`.
    let id = entry(&report, "DSCN0010.jpg")["asset_id"].as_str().unwrap().to_owned();
    let a = show(col.path(), &id[..6]);
    assert_eq!(a["id"], id);
    assert_eq!(a["kind"], "photo");
    assert_eq!(a["source"]["file_name"], "DSCN0010.jpg");
    assert_eq!(a["source"]["bytes"], 161713);
    assert_eq!((a["width"].as_u64(), a["height"].as_u64()), (Some(640), Some(480)));
    assert_eq!(a["metadata"]["taken_at"], "2008-10-22T16:28:39");
    close(&a["metadata"]["gps"]["lat"], 43.4674483333333, 1e-7);
    close(&a["metadata"]["gps"]["lon"], 11.8851266666639, 1e-7);
    assert_eq!(a["metadata"]["make"], "NIKON");
    assert_eq!(a["metadata"]["model"], "COOLPIX P6000");
    assert_eq!(a["metadata"]["orientation"], 1);
    assert_eq!(a["state"], "draft");

    // Derivatives exist, decode, and have the sizes the manifest states.
    let big = entry(&report, "iphone_hdr_YES.jpg")["asset_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = show(col.path(), &big);
    for (role, long) in [("thumb", 512), ("display", 2048)] {
        let d = &a["derivatives"][role];
        let path = col
            .path()
            .join(a["folder"].as_str().unwrap())
            .join(d["path"].as_str().unwrap());
        let img = disan_tests::open_image(&path).unwrap();
        assert_eq!(img.width(), d["width"].as_u64().unwrap() as u32);
        assert_eq!(img.height(), d["height"].as_u64().unwrap() as u32);
        assert_eq!(img.width().max(img.height()), long, "{role} of a 3264×2448 photo");
    }
    // The manifest on disk is what the catalogue holds.
    let on_disk: serde_json::Value =
        serde_json::from_slice(&std::fs::read(col.path().join(format!("assets/{big}/asset.json"))).unwrap()).unwrap();
    assert_eq!(on_disk["metadata"], a["metadata"]);
    assert_eq!(on_disk["derivatives"], a["derivatives"]);

    // The run report on disk equals the one printed.
    let run_id = report["run_id"].as_str().unwrap();
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(col.path().join(format!("runs/{run_id}.json"))).unwrap()).unwrap();
    assert_eq!(saved, report);
}

#[test]
fn second_run_changes_nothing() {
    let col = tempfile::tempdir().unwrap();
    let inputs = [
        testdata("photos/orientation"),
        testdata("photos/photoprism"),
        testdata("panoramas/aframe-lake.jpg"),
    ];
    let inputs: Vec<&Path> = inputs.iter().map(|p| p.as_path()).collect();
    let (code, first, _) = ingest(col.path(), &inputs, &[]);
    assert_eq!(code, 0, "{first}");
    let files = tree_snapshot(col.path());
    let catalog = catalog_snapshot(col.path());
    assert!(files.len() > 40);

    let (code, second, _) = ingest(col.path(), &inputs, &[]);
    assert_eq!(code, 0);
    assert_eq!(second["summary"]["ingested"], 0);
    assert_eq!(second["summary"]["unchanged"], first["summary"]["ingested"]);
    assert_eq!(tree_snapshot(col.path()), files);
    assert_eq!(catalog_snapshot(col.path()), catalog);
    // Two reports and two run pages, one of each per run.
    let runs: Vec<String> = std::fs::read_dir(col.path().join("runs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(runs.iter().filter(|f| f.ends_with(".json")).count(), 2, "{runs:?}");
    assert_eq!(runs.iter().filter(|f| f.ends_with(".html")).count(), 2, "{runs:?}");
}

#[test]
fn thumbnails_are_upright_for_all_eight_orientations() {
    let col = tempfile::tempdir().unwrap();
    let (code, report, _) = ingest(col.path(), &[&testdata("photos/orientation")], &[]);
    assert_eq!(code, 0);
    let thumb = |name: &str| {
        let id = entry(&report, name)["asset_id"].as_str().unwrap().to_owned();
        disan_tests::open_image(col.path().join(format!("assets/{id}/thumb.jpg")))
            .unwrap()
            .into_rgb8()
    };
    let diff = disan_tests::mean_abs_diff;
    for kind in ["landscape", "portrait"] {
        let reference = thumb(&format!("{kind}_1.jpg"));
        let (w, h) = reference.dimensions();
        assert_eq!(w > h, kind == "landscape", "{kind}_1 is {w}×{h}");
        for n in 2..=8 {
            let t = thumb(&format!("{kind}_{n}.jpg"));
            // Each sample has its own number painted on it; the mirror image of the right answer
            // differs far more than that.
            let d = diff(&t, &reference);
            let mirrored = diff(&image::imageops::flip_horizontal(&t), &reference);
            assert!(d < 20.0 && 2.0 * d < mirrored, "{kind}_{n}: {d} vs mirror {mirrored}");
        }
    }
}

#[test]
fn models_and_panoramas_are_catalogued() {
    let col = tempfile::tempdir().unwrap();
    let input = tempfile::tempdir().unwrap();
    // A model whose buffer lies outside its folder: refused, the outside file never read.
    let evil = input.path().join("evil");
    std::fs::create_dir_all(&evil).unwrap();
    std::fs::write(
        evil.join("escape.gltf"),
        r#"{"asset":{"version":"2.0"},"buffers":[{"uri":"../secret.bin","byteLength":4}]}"#,
    )
    .unwrap();
    std::fs::write(input.path().join("secret.bin"), b"1234").unwrap();
    let (code, report, _) = ingest(
        col.path(),
        &[
            &testdata("models/Box.glb"),
            &testdata("models/Box_glTF"),
            &testdata("models/BoxTextured_glTF"),
            &testdata("models/BoxDraco-missing-buffer.gltf"),
            &testdata("panoramas/aframe-louvre-gpano.jpg"),
            &testdata("panoramas/aframe-lake.jpg"),
            &testdata("panoramas/aframe-lake-partial-gpano.jpg"),
            &evil,
        ],
        &[],
    );
    assert_eq!(code, 2);
    for name in ["Box.glb", "Box.gltf", "BoxTextured.gltf"] {
        assert_eq!(entry(&report, name)["outcome"], "ingested", "{name}");
        assert_eq!(entry(&report, name)["kind"], "model", "{name}");
    }
    // Resources are part of their model, not captures of their own.
    assert!(
        entry(&report, "Box0.bin")["reason"]
            .as_str()
            .unwrap()
            .contains("resource of model")
    );
    assert!(
        entry(&report, "CesiumLogoFlat.png")["reason"]
            .as_str()
            .unwrap()
            .contains("resource of model")
    );
    let id = entry(&report, "Box.gltf")["asset_id"].as_str().unwrap();
    let out = run(disan(col.path()).args(["show", id, "--json"]));
    let box_gltf: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(box_gltf["model"]["resources"], serde_json::json!(["Box0.bin"]));
    assert_eq!(box_gltf["model"]["meshes"], 1);
    // The id covers the .gltf and its .bin.
    let gltf_len = std::fs::metadata(testdata("models/Box_glTF/Box.gltf")).unwrap().len();
    let bin_len = std::fs::metadata(testdata("models/Box_glTF/Box0.bin")).unwrap().len();
    assert_eq!(box_gltf["source"]["bytes"], gltf_len + bin_len);

    let missing = entry(&report, "BoxDraco-missing-buffer.gltf");
    assert_eq!(missing["outcome"], "failed");
    assert!(missing["reason"].as_str().unwrap().contains("0.bin"), "{missing}");
    let escape = entry(&report, "escape.gltf");
    assert_eq!(escape["outcome"], "failed");
    assert!(
        escape["reason"].as_str().unwrap().contains("leaves the model's folder"),
        "{escape}"
    );
    // The file outside the model's folder was neither read nor listed.
    let files = report["files"].as_array().unwrap();
    assert!(
        !files
            .iter()
            .any(|f| f["path"].as_str().unwrap().ends_with("secret.bin"))
    );

    for name in [
        "aframe-louvre-gpano.jpg",
        "aframe-lake.jpg",
        "aframe-lake-partial-gpano.jpg",
    ] {
        assert_eq!(entry(&report, name)["kind"], "panorama", "{name}");
    }
    let id = entry(&report, "aframe-louvre-gpano.jpg")["asset_id"].as_str().unwrap();
    let out = run(disan(col.path()).args(["show", id, "--json"]));
    let pano: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(pano["metadata"]["pano"]["pose_heading_deg"], 90.0);
    assert_eq!(pano["metadata"]["pano"]["projection_type"], "equirectangular");
    // A Pannellum multires pyramid: config, every tile its layout promises, fallback faces, preview.
    let folder = col.path().join(pano["folder"].as_str().unwrap());
    let tiles = &pano["pano_tiles"];
    assert_eq!(
        (tiles["cube_resolution"].as_u64(), tiles["max_level"].as_u64()),
        (Some(1296), Some(3))
    );
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join("pano/config.json")).unwrap()).unwrap();
    assert_eq!(config["type"], "multires");
    assert_eq!(config["multiRes"]["cubeResolution"], 1296);
    assert_eq!(config["multiRes"]["path"], "/%l/%s%y_%x");
    assert_eq!(config["northOffset"], 90.0);
    let mut count = 0;
    for level in 1..=3u32 {
        let size: u32 = 1296 >> (3 - level);
        let n = size.div_ceil(512);
        for face in ["f", "r", "b", "l", "u", "d"] {
            for row in 0..n {
                for col in 0..n {
                    let tile =
                        disan_tests::open_image(folder.join(format!("pano/{level}/{face}{row}_{col}.jpg"))).unwrap();
                    let expect = |i: u32| 512.min(size - i * 512);
                    assert_eq!(
                        (tile.width(), tile.height()),
                        (expect(col), expect(row)),
                        "{level}/{face}{row}_{col}"
                    );
                    count += 1;
                }
            }
        }
    }
    assert_eq!(count, tiles["tiles"].as_u64().unwrap());
    for face in ["f", "r", "b", "l", "u", "d"] {
        assert_eq!(
            disan_tests::open_image(folder.join(format!("pano/fallback/{face}.jpg")))
                .unwrap()
                .width(),
            1024
        );
    }
    assert_eq!(
        disan_tests::open_image(folder.join("pano/preview.jpg"))
            .unwrap()
            .width(),
        1024
    );
    // The gallery thumbnail is a rectilinear view, not the squashed 2:1 strip.
    let thumb = disan_tests::open_image(folder.join("thumb.jpg")).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (512, 384));

    let list = run(disan(col.path()).args(["list", "--kind", "model", "--json"]));
    let models: Vec<serde_json::Value> = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(models.len(), 3);
}

#[test]
fn the_same_content_twice_is_one_asset() {
    let col = tempfile::tempdir().unwrap();
    let input = tempfile::tempdir().unwrap();
    for name in ["a.jpg", "b.jpg", "c/copy.jpg"] {
        let p = input.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::copy(testdata("photos/DSCN0012.jpg"), p).unwrap();
    }
    let (code, report, _) = ingest(col.path(), &[input.path()], &[]);
    assert_eq!(code, 0);
    assert_eq!(report["summary"]["ingested"], 1);
    assert_eq!(report["summary"]["duplicates"], 2);
    // Deterministic: the first path in sorted order is the original.
    assert_eq!(entry(&report, "a.jpg")["outcome"], "ingested");
    assert!(entry(&report, "b.jpg")["of"].as_str().unwrap().ends_with("a.jpg"));
    assert_eq!(catalog_snapshot(col.path()).len(), 1);
}

#[test]
fn text_output_names_the_file_and_the_reason() {
    let col = tempfile::tempdir().unwrap();
    let input = tempfile::tempdir().unwrap();
    std::fs::copy(testdata("photos/DSCN0021.jpg"), input.path().join("good.jpg")).unwrap();
    std::fs::write(input.path().join("empty.jpg"), b"").unwrap();
    let out = run(disan(col.path()).arg("ingest").arg(input.path()));
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("empty.jpg: file is empty"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("1 ingested") && stdout.contains("1 failed"), "{stdout}");

    let list = run(disan(col.path()).arg("list"));
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(
        text.contains("good.jpg") && text.contains("NIKON COOLPIX P6000") && text.contains("1 assets"),
        "{text}"
    );
    let id = text.lines().nth(1).unwrap().split_whitespace().next().unwrap();
    let show = run(disan(col.path()).args(["show", id]));
    let text = String::from_utf8_lossy(&show.stdout);
    for needle in [
        "camera        NIKON COOLPIX P6000",
        "gps",
        "thumb",
        "display",
        "2008-10-22T16:38:20",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
}

/// A phone's motion photo (the JPEG, then its video: Google's `*.MP.jpg`, Samsung's motion photos) is
/// ingested as the photo it holds: the same display, thumbnail and deep-zoom tiles, byte for byte, as the JPEG
/// alone, without a warning. The video is a real H.264 MP4 made by ffmpeg.
#[test]
fn a_motion_photo_gives_the_photos_own_files() {
    let input = tempfile::tempdir().unwrap();
    let photo = std::fs::read(testdata("photos/iphone_hdr_YES.jpg")).unwrap();
    let clip = input.path().join("clip.mp4");
    let made = run(std::process::Command::new("ffmpeg")
        .args([
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=640x360:rate=30",
            "-t",
            "2",
        ])
        .args(["-pix_fmt", "yuv420p", "-c:v", "libx264", "-movflags", "+faststart"])
        .arg(&clip));
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let video = std::fs::read(&clip).unwrap();
    std::fs::remove_file(&clip).unwrap();
    for (dir, bytes) in [("plain", photo.clone()), ("motion", [photo, video].concat())] {
        std::fs::create_dir(input.path().join(dir)).unwrap();
        std::fs::write(input.path().join(dir).join("PXL_20240517.MP.jpg"), bytes).unwrap();
    }
    let mut files = Vec::new();
    for dir in ["plain", "motion"] {
        let col = tempfile::tempdir().unwrap();
        let (code, report, _) = ingest(col.path(), &[&input.path().join(dir)], &["--iiif-min-size", "3000"]);
        assert_eq!(code, 0, "{report}");
        let e = entry(&report, "PXL_20240517.MP.jpg");
        assert_eq!(e["outcome"], "ingested", "{e}");
        assert!(e["warnings"].as_array().is_none_or(Vec::is_empty), "{e}");
        let folder = col.path().join("assets").join(e["asset_id"].as_str().unwrap());
        let mut made: Vec<(String, Vec<u8>)> = disan_tests::files_under(&folder)
            .into_iter()
            .filter(|p| p.extension().is_some_and(|x| x == "jpg"))
            .map(|p| {
                (
                    p.strip_prefix(&folder).unwrap().display().to_string(),
                    std::fs::read(&p).unwrap(),
                )
            })
            .collect();
        made.sort();
        files.push(made);
    }
    assert!(files[0].len() > 20, "display, thumbnail and tiles: {}", files[0].len());
    assert!(files[0] == files[1], "the motion photo's files differ from the photo's");
}
