//! The hostile corpus (`disan_tests::hostile`, plus ../shared/testdata/corrupt) in one run with good files:
//! every bad file fails alone with a reason, the good ones are ingested, nothing panics, memory stays bounded,
//! and nothing outside the input and the collection is read or written.

use std::path::Path;

use disan_tests::hostile::{Expect, write_corpus};
use disan_tests::{copy_dir, disan, entry, files_under, run_measured, testdata, tree_snapshot};

/// Peak resident memory allowed for the whole run (the largest honest input here is a 50 MB file).
const MAX_RSS_KIB: u64 = 1024 * 1024;

const SECRET: &[u8] = b"DISAN-HOSTILE-SECRET-MARKER";

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    files_under(dir)
        .into_iter()
        .map(|p| {
            (
                p.strip_prefix(dir).unwrap().display().to_string(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn hostile_inputs_fail_alone_and_never_leave_their_folders() {
    let base = tempfile::tempdir().unwrap();
    let (input, col, outside) = (
        base.path().join("input"),
        base.path().join("collection"),
        base.path().join("outside"),
    );
    std::fs::create_dir_all(&outside).unwrap();
    let secret = outside.join("secret.bin");
    std::fs::write(&secret, SECRET.repeat(2)).unwrap();
    let cases = write_corpus(&input, &secret);
    copy_dir(&testdata("corrupt"), &input.join("shared-corrupt"));
    let (input_before, outside_before) = (snapshot(&input), snapshot(&outside));

    let (out, peak_kib) = run_measured(disan(&col).arg("ingest").arg("--json").arg(&input));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "disan panicked:\n{stderr}");
    assert_eq!(out.status.code(), Some(2), "a run with failures exits 2\n{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    eprintln!("peak memory {} MiB", peak_kib / 1024);
    assert!(peak_kib > 0 && peak_kib < MAX_RSS_KIB, "peak memory {peak_kib} KiB");

    let catalog = disan_catalog::Catalog::open(&col).unwrap();
    assert_eq!(catalog.integrity_check().unwrap(), "ok");
    let mut wrong = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            wrong.push(what);
        }
    };
    for c in &cases {
        let e = entry(&report, &c.name);
        let reason = e["reason"].as_str().unwrap_or_default().to_lowercase();
        match &c.expect {
            Expect::Fails(fragments) => {
                check(e["outcome"] == "failed", format!("{}: {e}", c.name));
                check(!reason.is_empty(), format!("{}: no reason", c.name));
                for f in *fragments {
                    check(
                        reason.contains(&f.to_lowercase()),
                        format!("{}: {f:?} not in {reason:?}", c.name),
                    );
                }
                check(
                    e["asset_id"].is_null(),
                    format!("{}: a failed file left an asset", c.name),
                );
            }
            Expect::Ingested | Expect::IngestedWithWarning(_) => {
                check(e["outcome"] == "ingested", format!("{}: {e}", c.name));
                if let Expect::IngestedWithWarning(w) = &c.expect {
                    let warnings = e["warnings"].to_string().to_lowercase();
                    check(
                        warnings.contains(w),
                        format!("{}: {w:?} not in the warnings {warnings:?}", c.name),
                    );
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The shared corrupt files: each either ingested or failed with a reason, never anything else.
    for f in report["files"].as_array().unwrap() {
        if f["path"].as_str().unwrap().contains("shared-corrupt") && f["outcome"] == "failed" {
            assert!(!f["reason"].as_str().unwrap_or_default().is_empty(), "{f}");
        }
    }

    // Nothing read from outside: the secret is in no file of the collection. Nothing written outside: the
    // input and the outside folder are unchanged, and nothing new sits beside them.
    for p in files_under(&col) {
        let bytes = std::fs::read(&p).unwrap();
        assert!(
            !bytes.windows(SECRET.len()).any(|w| w == SECRET),
            "{} holds the secret",
            p.display()
        );
    }
    assert!(snapshot(&input) == input_before, "the input changed");
    assert!(snapshot(&outside) == outside_before, "the outside folder changed");
    let mut beside: Vec<_> = std::fs::read_dir(base.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    beside.sort();
    assert_eq!(beside, ["collection", "input", "outside"]);
    assert!(!tree_snapshot(&col).is_empty());
}
