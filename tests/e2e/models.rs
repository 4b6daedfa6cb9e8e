//! Relic models end to end: our validator against the Khronos glTF-Validator (npm) on the shared test
//! models, and ingest of glTF/GLB/OBJ into `model.glb` + LODs that the Khronos validator passes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use disan_tests::{copy_dir, disan, files_under, ingest, khronos_validate, run, testdata};

fn model_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = files_under(&testdata("models"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "gltf" || e == "glb"))
        .collect();
    files.sort();
    files
}

/// (code, pointer or byte offset) of every error.
fn errors(report: &serde_json::Value) -> BTreeSet<(String, String)> {
    report["issues"]["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["severity"] == 0)
        .map(|m| {
            let at = m["pointer"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| m["offset"].to_string());
            (m["code"].as_str().unwrap().to_owned(), at)
        })
        .collect()
}

#[test]
fn every_error_the_khronos_validator_reports_under_a_covered_code_we_report_too() {
    let files = model_files();
    assert!(files.len() > 100, "{} models", files.len());
    let theirs = khronos_validate(&files);
    let out = run(disan(Path::new("/nonexistent"))
        .arg("validate")
        .arg("--json")
        .args(&files));
    assert_eq!(out.status.code(), Some(2), "invalid models make exit status 2");
    let ours: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(ours.len(), files.len());
    let mut compared = 0;
    let mut codes = BTreeSet::new();
    let mut missing = Vec::new();
    for ((file, t), o) in files.iter().zip(&theirs).zip(&ours) {
        if t.get("error").is_some() {
            // The validator could not even detect a glTF (zero bytes, a wrong magic): we must refuse it too.
            assert!(
                o["issues"]["numErrors"].as_u64().unwrap() > 0,
                "{}: {o:#}",
                file.display()
            );
            continue;
        }
        let mine = errors(o);
        for e in errors(t) {
            if !disan_model::COVERED_CODES.contains(&e.0.as_str()) {
                continue;
            }
            compared += 1;
            codes.insert(e.0.clone());
            if !mine.contains(&e) {
                missing.push(format!("{}: {} at {:?}", file.display(), e.0, e.1));
            }
        }
        // A model the Khronos validator passes without errors, we pass too (except what Disan cannot
        // decode, which it reports as its own DISAN_ codes).
        if t["issues"]["numErrors"] == 0 {
            let ours_only: Vec<_> = mine.iter().filter(|(c, _)| !c.starts_with("DISAN_")).collect();
            assert!(ours_only.is_empty(), "{}: we report {ours_only:?}", file.display());
        }
    }
    assert!(missing.is_empty(), "missed errors:\n{}", missing.join("\n"));
    assert!(
        compared > 150 && codes.len() > 40,
        "{compared} errors over {} codes",
        codes.len()
    );
}

#[test]
fn models_are_ingested_into_glb_and_lods_that_the_khronos_validator_passes() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("relics");
    std::fs::create_dir_all(&input).unwrap();
    let models = testdata("models");
    for f in ["Box.glb", "BoxMeshopt.glb", "DamagedHelmet.glb", "Box_Draco.glb"] {
        std::fs::copy(models.join(f), input.join(f)).unwrap();
    }
    for d in [
        "Duck_glTF",
        "BoxTextured_glTF",
        "Box_glTF-Embedded",
        "SimpleSparseAccessor_glTF",
        "CesiumMilkTruck_glTF",
    ] {
        copy_dir(&models.join(d), &input.join(d));
    }
    copy_dir(&models.join("invalid-assimp"), &input.join("invalid-assimp"));
    // Draco-compressed models from other tools (tests/data/models/draco/SOURCES.md).
    let draco = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/models/draco");
    for f in ["DenseSphere.glb", "DracoSparseMesh.gltf", "DracoSparseMesh.bin"] {
        std::fs::copy(draco.join(f), input.join(f)).unwrap();
    }
    copy_dir(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/models/stele_obj"),
        &input.join("stele_obj"),
    );
    // A model that draws nothing (one primitive of points, from the Khronos validator's suite, which
    // passes it as valid glTF) is not an asset.
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/gltf-validator/base/data/mesh/invalid_tangent.gltf"),
        input.join("points_only.gltf"),
    )
    .unwrap();
    // A glTF whose buffer lies outside its folder: refused, and the file is never read.
    std::fs::write(tmp.path().join("secret.bin"), [0u8; 36]).unwrap();
    std::fs::create_dir_all(input.join("escape")).unwrap();
    std::fs::write(
        input.join("escape/escape.gltf"),
        r#"{"asset":{"version":"2.0"},"buffers":[{"uri":"../../secret.bin","byteLength":36}]}"#,
    )
    .unwrap();

    let collection = tmp.path().join("collection");
    let (code, report, stderr) = ingest(&collection, &[&input], &["--no-progress"]);
    assert_eq!(code, 2, "broken models make the run exit 2: {report:#}");
    // Thumbnails were rendered with Vulkan, headless: no line of Mesa's on the terminal.
    assert!(!stderr.contains("XDG_RUNTIME_DIR"), "stray lines: {stderr}");
    let files = report["files"].as_array().unwrap();
    let by_name = |name: &str| {
        files
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("{name} not in {report:#}"))
    };
    // Failures name the reason and keep the whole validation report.
    for (name, code) in [
        ("BoxWithInfinites.glb", "ACCESSOR_INVALID_FLOAT"),
        ("IndexOutOfRange.gltf", "ACCESSOR_INDEX_OOB"),
        ("RecursiveNodes.gltf", "NODE_LOOP"),
    ] {
        let f = by_name(name);
        assert_eq!(f["outcome"], "failed", "{f:#}");
        assert!(f["reason"].as_str().unwrap().contains(code), "{f:#}");
        let codes: Vec<&str> = f["validation"]["issues"]["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["code"].as_str().unwrap())
            .collect();
        assert!(codes.contains(&code), "{name}: {codes:?}");
    }
    // Draco models come in, decoded (Google's decoder is the oracle in disan_model's tests).
    for name in ["Box_Draco.glb", "DenseSphere.glb", "DracoSparseMesh.gltf"] {
        assert_eq!(by_name(name)["outcome"], "ingested", "{:#}", by_name(name));
    }
    let points = by_name("points_only.gltf");
    assert_eq!(points["outcome"], "failed", "{points:#}");
    assert!(
        points["reason"].as_str().unwrap().contains("draws nothing"),
        "{points:#}"
    );
    let escape = by_name("escape.gltf");
    assert_eq!(escape["outcome"], "failed");
    assert!(escape["reason"].as_str().unwrap().contains(".."), "{escape:#}");
    // Warnings are kept and shown.
    let truck = by_name("CesiumMilkTruck.gltf");
    assert_eq!(truck["outcome"], "ingested");
    assert!(
        truck["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("animation")),
        "{truck:#}"
    );

    let ingested: Vec<&serde_json::Value> = files.iter().filter(|f| f["outcome"] == "ingested").collect();
    assert_eq!(ingested.len(), 12, "{report:#}");
    let mut outputs = Vec::new();
    for f in &ingested {
        let id = f["asset_id"].as_str().unwrap();
        let dir = collection.join("assets").join(id);
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("asset.json")).unwrap()).unwrap();
        let m = &manifest["model"];
        let tris = m["triangles"].as_u64().unwrap();
        assert!(tris > 0 && m["vertices"].as_u64().unwrap() > 0, "{manifest:#}");
        assert!(m["bounds"].is_array() && m["gpu_bytes"].as_u64().unwrap() > 0);
        let lods = m["lods"].as_array().unwrap();
        assert_eq!(lods.len(), 2);
        let mut previous = tris;
        for lod in lods {
            let t = lod["triangles"].as_u64().unwrap();
            assert!(t <= previous, "{manifest:#}");
            assert!(lod["error"].as_f64().unwrap() <= lod["max_error"].as_f64().unwrap() + 1e-6);
            previous = t;
        }
        // Thumbnails are rendered, square, on the neutral background.
        let thumb = disan_tests::open_image(dir.join("thumb.jpg")).unwrap().to_rgb8();
        assert_eq!(thumb.dimensions(), (512, 512));
        let corner = thumb.get_pixel(2, 2).0;
        assert!(corner.iter().all(|&c| (40..=66).contains(&c)), "background {corner:?}");
        let drawn = thumb
            .pixels()
            .filter(|p| p.0.iter().zip(corner).any(|(a, b)| a.abs_diff(b) > 8))
            .count();
        assert!(drawn > 512 * 512 / 50, "{id}: only {drawn} pixels drawn");
        let report: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("model/report.json")).unwrap()).unwrap();
        assert_eq!(report["issues"]["numErrors"], 0);
        for name in ["model.glb", "lod1.glb", "lod2.glb"] {
            outputs.push(dir.join("model").join(name));
        }
    }
    // The real helmet: 15 452 triangles, simplified well below that, textures shrunk per level.
    let helmet = by_name("DamagedHelmet.glb")["asset_id"].as_str().unwrap().to_owned();
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(collection.join("assets").join(&helmet).join("asset.json")).unwrap())
            .unwrap();
    let m = &m["model"];
    assert_eq!(m["triangles"], 15452);
    assert_eq!(m["texture_sizes"].as_array().unwrap().len(), 5);
    assert!(m["lods"][0]["triangles"].as_u64().unwrap() < 15452 / 2, "{m:#}");
    assert_eq!(m["lods"][0]["texture_side"], 1024);
    assert_eq!(m["lods"][1]["texture_side"], 512);
    // OBJ became glTF with its texture.
    let stele = by_name("stele.obj")["asset_id"].as_str().unwrap().to_owned();
    let glb = std::fs::read(collection.join("assets").join(&stele).join("model/model.glb")).unwrap();
    assert!(glb.starts_with(b"glTF"));
    assert!(glb.windows(4).any(|w| w == b"\x89PNG"), "texture embedded");

    // Every output passes the Khronos validator with zero errors.
    let reports = khronos_validate(&outputs);
    for (path, r) in outputs.iter().zip(&reports) {
        assert_eq!(r["issues"]["numErrors"], 0, "{}: {r:#}", path.display());
    }

    // The same renderer behind `disan render`, by asset id.
    let png = tmp.path().join("helmet.png");
    let out = run(disan(&collection)
        .args(["render", &helmet[..8], "--out"])
        .arg(&png)
        .args(["--size", "320x200", "--yaw", "-30", "--pitch", "10"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let img = disan_tests::open_image(&png).unwrap();
    assert_eq!((img.width(), img.height()), (320, 200));
}

/// The npm release of the Khronos validator on a sample of its own test suite (every fourth file of
/// `tests/data/gltf-validator`): it and `disan validate` find the same errors, code and place, file by file
/// (the whole suite runs against its expected reports in disan_model's tests).
#[test]
fn the_npm_validator_and_disan_agree_on_a_sample_of_the_khronos_suite() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/gltf-validator");
    let mut files: Vec<PathBuf> = files_under(&root)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "gltf" || e == "glb"))
        .collect();
    files.sort();
    let sample: Vec<PathBuf> = files.into_iter().step_by(4).collect();
    assert!(sample.len() > 80, "{} files", sample.len());
    let theirs = khronos_validate(&sample);
    let out = run(disan(Path::new("/nonexistent"))
        .arg("validate")
        .arg("--json")
        .args(&sample));
    let ours: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut differ = Vec::new();
    for ((file, t), o) in sample.iter().zip(&theirs).zip(&ours) {
        let rel = file.strip_prefix(&root).unwrap().display();
        if t.get("error").is_some() {
            continue;
        }
        let mine: BTreeSet<_> = errors(o)
            .into_iter()
            .filter(|(c, _)| !c.starts_with("DISAN_"))
            .collect();
        let khronos = errors(t);
        if mine != khronos {
            differ.push(format!("{rel}: Khronos {khronos:?}, Disan {mine:?}"));
        }
    }
    assert!(
        differ.is_empty(),
        "{} files differ:\n{}",
        differ.len(),
        differ.join("\n")
    );
}

/// PLY from other tools (Blender, MeshLab's VCGLIB; tests/data/models/ply/SOURCES.md) and a MeshLab-style
/// textured PLY are ingested as relic models: a GLB that the Khronos validator passes, with the file's
/// triangles, colours and texture, and a thumbnail with the model in it. A point cloud fails alone, saying what
/// to do; the batch goes on.
#[test]
fn ply_models_are_ingested_and_packed() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("scans");
    copy_dir(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/models/ply"),
        &input,
    );
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/models/stele_obj/stone.png"),
        input.join("tablet.png"),
    )
    .unwrap();
    std::fs::write(
        input.join("tablet.ply"),
        "ply\nformat ascii 1.0\ncomment TextureFile tablet.png\nelement vertex 4\nproperty float x\nproperty float y\n\
         property float z\nelement face 2\nproperty list uchar int vertex_indices\nproperty list uchar float texcoord\n\
         end_header\n0 0 0\n1 0 0\n1 1.5 0\n0 1.5 0\n3 0 1 2 6 0 0 1 0 1 1\n3 0 2 3 6 0 0 1 1 0 1\n",
    )
    .unwrap();
    let cube = std::fs::read_to_string(input.join("cube.ply")).unwrap();
    std::fs::write(
        input.join("cloud.ply"),
        cube.replace("element face 6", "element face 0"),
    )
    .unwrap();

    let collection = tmp.path().join("c");
    let (code, report, _) = ingest(&collection, &[&input], &[]);
    assert_eq!(code, 2, "the point cloud fails, the rest are in: {report:#}");
    let cloud = disan_tests::entry(&report, "cloud.ply");
    assert_eq!(cloud["outcome"], "failed");
    assert!(
        cloud["reason"].as_str().unwrap().contains("point cloud (8 points"),
        "{cloud}"
    );

    let mut outputs = Vec::new();
    for (name, triangles) in [
        ("cube.ply", 12),
        ("cube_uv.ply", 12),
        ("float-color.ply", 1),
        ("tablet.ply", 2),
    ] {
        let f = disan_tests::entry(&report, name);
        assert_eq!(f["outcome"], "ingested", "{f}");
        assert_eq!(f["kind"], "model");
        let folder = collection.join("assets").join(f["asset_id"].as_str().unwrap());
        let asset: serde_json::Value =
            serde_json::from_slice(&std::fs::read(folder.join("asset.json")).unwrap()).unwrap();
        assert_eq!(asset["source"]["format"], "ply", "{name}");
        assert_eq!(asset["model"]["triangles"], triangles, "{name}");
        let thumb = disan_tests::open_image(folder.join("thumb.jpg")).unwrap().to_rgb8();
        let lum: Vec<f64> = thumb
            .pixels()
            .map(|p| f64::from(p[0]) + f64::from(p[1]) + f64::from(p[2]))
            .collect();
        let mean = lum.iter().sum::<f64>() / lum.len() as f64;
        let spread = lum.iter().map(|l| (l - mean).abs()).sum::<f64>() / lum.len() as f64;
        assert!(spread > 5.0, "{name}: the thumbnail shows nothing ({spread:.1})");
        outputs.push(folder.join("model/model.glb"));
    }
    let tablet = std::fs::read(&outputs[3]).unwrap();
    assert!(tablet.windows(4).any(|w| w == b"\x89PNG"), "texture embedded");
    for (path, r) in outputs.iter().zip(khronos_validate(&outputs)) {
        assert_eq!(r["issues"]["numErrors"], 0, "{}: {r:#}", path.display());
    }
}
