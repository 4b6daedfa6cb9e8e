//! Our validator against the Khronos glTF-Validator's own reports, shipped beside each invalid model in
//! the shared test data (KhronosGroup/glTF-Validator test/base/data). For every code we claim to cover,
//! every error the Khronos validator reports (code and JSON pointer or byte offset) we report too. The
//! end-to-end tests run the current npm release of the validator on the same files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use disan_model::{COVERED_CODES, Limits, validate::validate};

fn models() -> PathBuf {
    disan_tests::testdata("models")
}

fn key(m: &serde_json::Value) -> (String, String) {
    let at = m
        .get("pointer")
        .and_then(|p| p.as_str().map(str::to_owned))
        .or_else(|| m.get("offset").map(|o| o.to_string()))
        .unwrap_or_default();
    (m["code"].as_str().unwrap_or("").to_owned(), at)
}

/// (code, location) of every error in a Khronos-shaped report.
pub fn errors(report: &serde_json::Value) -> BTreeSet<(String, String)> {
    report["issues"]["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["severity"] == 0)
        .map(key)
        .collect()
}

fn ours(path: &Path) -> serde_json::Value {
    let bytes = std::fs::read(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy();
    let (report, _) = validate(&bytes, &name, path.parent().unwrap(), Limits::default());
    serde_json::to_value(&report).unwrap()
}

#[test]
fn every_covered_error_khronos_reports_we_report() {
    let mut checked = 0;
    let mut missing = Vec::new();
    let mut codes_seen = BTreeSet::new();
    for entry in walkdir::WalkDir::new(models().join("invalid")).sort_by_file_name() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(model) = name.strip_suffix(".report.json") else {
            continue;
        };
        let model_path = entry.path().with_file_name(model);
        let expected: serde_json::Value = serde_json::from_slice(&std::fs::read(entry.path()).unwrap()).unwrap();
        let got = errors(&ours(&model_path));
        for (code, at) in errors(&expected) {
            if !COVERED_CODES.contains(&code.as_str()) {
                continue;
            }
            codes_seen.insert(code.clone());
            checked += 1;
            if !got.contains(&(code.clone(), at.clone())) {
                missing.push(format!("{}: {code} at {at:?}", model_path.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "errors the Khronos validator reports that we miss:\n{}",
        missing.join("\n")
    );
    assert!(checked > 150, "only {checked} errors compared");
    assert!(
        codes_seen.len() > 40,
        "only {} covered codes exercised",
        codes_seen.len()
    );
}

#[test]
fn valid_sample_models_have_no_errors() {
    for rel in [
        "Box.glb",
        "BoxMeshopt.glb",
        "DamagedHelmet.glb",
        "ShapeCollection.glb",
        "Box_glTF/Box.gltf",
        "Box_glTF-Embedded/Box.gltf",
        "BoxTextured_glTF/BoxTextured.gltf",
        "BoxTextured_glTF-Embedded/BoxTextured.gltf",
        "CesiumMilkTruck_glTF/CesiumMilkTruck.gltf",
        "Duck_glTF/Duck.gltf",
        "SimpleSparseAccessor_glTF/SimpleSparseAccessor.gltf",
    ] {
        let report = ours(&models().join(rel));
        assert_eq!(report["issues"]["numErrors"], 0, "{rel}: {report:#}");
    }
}

#[test]
fn broken_models_are_refused_with_the_reason() {
    let cases = [
        ("invalid-assimp/BoxWithInfinites.glb", "ACCESSOR_INVALID_FLOAT"),
        (
            "invalid-assimp/IndexOutOfRange/IndexOutOfRange.gltf",
            "ACCESSOR_INDEX_OOB",
        ),
        ("invalid-assimp/RecursiveNodes.gltf", "NODE_LOOP"),
        ("BoxDraco-missing-buffer.gltf", "IO_ERROR"),
        ("Box_Draco.glb", "DISAN_UNSUPPORTED_EXTENSION"),
        ("BoxMetaDraco_glTF/BoxMetaDraco.gltf", "DISAN_UNSUPPORTED_EXTENSION"),
    ];
    for (rel, code) in cases {
        let report = ours(&models().join(rel));
        let codes: Vec<&str> = report["issues"]["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["severity"] == 0)
            .map(|m| m["code"].as_str().unwrap())
            .collect();
        assert!(codes.contains(&code), "{rel}: expected {code}, got {codes:?}");
    }
    let draco = ours(&models().join("Box_Draco.glb"));
    let text = draco.to_string();
    assert!(text.contains("re-export it without Draco"), "{text}");
}
