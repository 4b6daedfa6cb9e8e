//! A run killed with SIGKILL at many points and run again ends with the same files and the same
//! catalogue as an uninterrupted run, and the catalogue never shows half an asset.

use std::io::{BufRead, BufReader};

use disan_tests::{assert_consistent, catalog_snapshot, disan, ingest, tree_snapshot};

/// One worker, and IIIF pyramids for the two 8 MP photos too, so kills also land inside pyramid writing.
const ARGS: &[&str] = &["--jobs", "1", "--iiif-min-size", "3000"];

#[test]
fn killed_runs_resume_to_the_same_collection() {
    let input = disan_tests::photo_input(true);

    let reference = tempfile::tempdir().unwrap();
    let (code, report, _) = ingest(reference.path(), &[input.path()], ARGS);
    assert_eq!(code, 0);
    let files = report["summary"]["files"].as_u64().unwrap();
    let ref_files = tree_snapshot(reference.path());
    let pyramids = ref_files.keys().filter(|k| k.ends_with("iiif/info.json")).count();
    assert_eq!(pyramids, 2, "the two 8 MP photos get deep-zoom pyramids");
    let ref_catalog = catalog_snapshot(reference.path());

    // Twelve kill points spread over the run, keyed to progress (after the k-th file is done) rather than
    // to time, so they land mid-run however loaded the machine is.
    for i in 0..12u64 {
        let after = i * files / 12;
        let col = tempfile::tempdir().unwrap();
        let mut child = disan(col.path())
            .arg("ingest")
            .args(ARGS)
            .arg("--json")
            .arg(input.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let events = BufReader::new(child.stderr.take().unwrap());
        let mut done = 0;
        for line in events.lines() {
            let line = line.unwrap();
            if line.contains("\"event\":\"file_done\"") {
                done += 1;
            }
            if (line.contains("\"event\":\"planned\"") && after == 0) || (done == after && after > 0) {
                break;
            }
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "kill point {i} came after the run ended"
        );
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        if col.path().join("catalog.sqlite").exists() {
            assert_consistent(col.path());
        }

        let (code, report, _) = ingest(col.path(), &[input.path()], ARGS);
        assert_eq!(code, 0, "resumed run after {after} files: {report}");
        assert_consistent(col.path());
        assert_eq!(
            tree_snapshot(col.path()),
            ref_files,
            "files after a kill after {after} files"
        );
        assert_eq!(
            catalog_snapshot(col.path()),
            ref_catalog,
            "catalogue after a kill after {after} files"
        );
    }
}
