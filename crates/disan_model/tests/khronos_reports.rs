//! Our validator against the Khronos glTF-Validator's own reports, shipped beside each invalid model in
//! the shared test data (KhronosGroup/glTF-Validator test/base/data). For every code we claim to cover,
//! every error the Khronos validator reports (code and JSON pointer or byte offset) we report too. The
//! end-to-end tests run the current npm release of the validator on the same files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use disan_model::{COVERED_CODES, Limits, validate::validate};

/// Draco decoding, in this binary too (one test binary per crate links faster).
#[path = "parts/draco.rs"]
mod draco;

/// PLY from other tools, in this binary too.
#[path = "parts/ply.rs"]
mod ply;

/// Runs an oracle script of tests/py on `path` and parses the JSON it prints; `package` is the PyPI package
/// the script needs (.ci/run installs it).
fn python_oracle(script: &str, path: &Path, package: &str) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/py")
        .join(script);
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(path)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{package} failed (pip install {package}; .ci/run does): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

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
    // Draco models are valid: the loader decodes them (tests in parts/draco.rs).
    for rel in ["Box_Draco.glb", "BoxMetaDraco_glTF/BoxMetaDraco.gltf"] {
        assert_eq!(ours(&models().join(rel))["issues"]["numErrors"], 0, "{rel}");
    }
}

/// The Khronos glTF-Validator's whole test suite (its `test/` folder, vendored in `tests/data/gltf-validator`
/// with the validator's own expected report beside each file), run as data: for every file, the errors it
/// expects (code and JSON pointer or byte offset) against ours. Prints a table per code (matched, missed) and
/// the files wrongly accepted or wrongly refused.
mod suite {
    use super::*;
    use std::collections::BTreeMap;

    pub fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/gltf-validator")
    }

    #[derive(Default)]
    pub struct Tally {
        /// code → (matched, missed)
        pub codes: BTreeMap<String, (usize, usize)>,
        pub missed: Vec<String>,
        /// Errors we report that Khronos does not (Disan's own `DISAN_…` codes aside).
        pub extra: Vec<String>,
        pub wrongly_accepted: Vec<String>,
        pub wrongly_refused: Vec<String>,
        /// Files Khronos passes that Disan refuses by its own policy (`DISAN_…` codes: a URL it will not
        /// fetch, an extension it cannot keep): not validation errors, listed apart.
        pub policy: Vec<String>,
        pub files: usize,
    }

    pub fn run() -> Tally {
        let mut t = Tally::default();
        for entry in walkdir::WalkDir::new(root()).sort_by_file_name() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(model) = name.strip_suffix(".report.json") else {
                continue;
            };
            let model_path = entry.path().with_file_name(model);
            let rel = model_path.strip_prefix(root()).unwrap().display().to_string();
            let expected: serde_json::Value = serde_json::from_slice(&std::fs::read(entry.path()).unwrap()).unwrap();
            let want = errors(&expected);
            let report = ours(&model_path);
            let got = errors(&report);
            t.files += 1;
            for (code, at) in &want {
                let row = t.codes.entry(code.clone()).or_default();
                if got.contains(&(code.clone(), at.clone())) {
                    row.0 += 1;
                } else {
                    row.1 += 1;
                    t.missed.push(format!("{rel}: {code} at {at:?}"));
                }
            }
            for (code, at) in got.difference(&want) {
                if !code.starts_with("DISAN_") {
                    t.extra.push(format!("{rel}: {code} at {at:?}"));
                }
            }
            if !want.is_empty() && got.is_empty() {
                t.wrongly_accepted.push(rel.clone());
            }
            let (policy, khronos): (Vec<_>, Vec<_>) = got.iter().partition(|(c, _)| c.starts_with("DISAN_"));
            if want.is_empty() && !khronos.is_empty() {
                t.wrongly_refused.push(format!("{rel}: {khronos:?}"));
            } else if want.is_empty() && !policy.is_empty() {
                t.policy.push(format!("{rel}: {policy:?}"));
            }
        }
        t
    }

    pub fn table(t: &Tally) -> String {
        let mut s = format!("{:<58} {:>8} {:>7}\n", "code", "matched", "missed");
        for (code, (m, x)) in &t.codes {
            s += &format!("{code:<58} {m:>8} {x:>7}\n");
        }
        let matched: usize = t.codes.values().map(|c| c.0).sum();
        s += &format!(
            "{} files; errors matched {matched}, missed {}, extra {}; files wrongly accepted {}, wrongly refused {}; \
             refused by Disan policy {}\n",
            t.files,
            t.missed.len(),
            t.extra.len(),
            t.wrongly_accepted.len(),
            t.wrongly_refused.len(),
            t.policy.len()
        );
        s
    }
}

#[test]
fn khronos_validator_suite() {
    let t = suite::run();
    println!("{}", suite::table(&t));
    for f in &t.policy {
        println!("refused by Disan policy: {f}");
    }
    assert!(t.files > 350, "only {} files in the suite", t.files);
    assert!(
        t.missed.is_empty(),
        "errors the Khronos validator reports that we miss:\n{:#?}",
        t.missed
    );
    assert!(
        t.extra.is_empty(),
        "errors we report that the Khronos validator does not:\n{:#?}",
        t.extra
    );
    assert!(
        t.wrongly_accepted.is_empty(),
        "files Khronos refuses that we accept:\n{:#?}",
        t.wrongly_accepted
    );
    assert!(
        t.wrongly_refused.is_empty(),
        "files Khronos accepts that we refuse:\n{:#?}",
        t.wrongly_refused
    );
    // The one policy refusal: a buffer at an http: URL, which Disan never fetches (docs/RELIABILITY.md).
    assert!(
        t.policy.iter().all(|p| p.contains("DISAN_URI_OUTSIDE_FOLDER")) && t.policy.len() <= 1,
        "{:#?}",
        t.policy
    );
}

/// `read_scene_file`: a real model loads with the files beside it; a file that is not there and one with
/// errors each give a message naming the file and the reason.
#[test]
fn scene_files_load_or_say_which_file_failed_and_why() {
    let limits = Limits::default;
    let duck = disan_model::read_scene_file(&models().join("Duck_glTF/Duck.gltf"), limits()).unwrap();
    assert!(
        !duck.meshes.is_empty() && !duck.images.is_empty(),
        "the Duck's mesh and texture"
    );
    let missing = models().join("no-such-model.glb");
    let err = disan_model::read_scene_file(&missing, limits()).unwrap_err();
    assert!(err.starts_with(&format!("cannot read {}", missing.display())), "{err}");
    let broken = models().join("invalid/glb/chunk_too_big.glb");
    let err = disan_model::read_scene_file(&broken, limits()).unwrap_err();
    assert!(
        err.starts_with(&format!("{}: ", broken.display())) && err.len() > broken.as_os_str().len() + 10,
        "{err}"
    );
}
