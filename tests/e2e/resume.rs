//! A run killed with SIGKILL at many points and run again ends with the same files and the same
//! catalogue as an uninterrupted run, and the catalogue never shows half an asset.

use std::path::Path;
use std::time::{Duration, Instant};

use disan_tests::{catalog_snapshot, copy_dir, disan, ingest, testdata, tree_snapshot};

/// Every asset the catalogue lists is complete on disk, and the catalogue file is sound.
fn assert_consistent(collection: &Path) {
    let catalog = disan_catalog::Catalog::open(collection).unwrap();
    assert_eq!(catalog.integrity_check().unwrap(), "ok");
    for asset in catalog.list(None).unwrap() {
        let folder = collection.join(&asset.folder);
        assert!(
            folder.join("asset.json").is_file(),
            "{} listed without asset.json",
            asset.folder
        );
        for d in asset.manifest.derivatives.values() {
            assert!(
                folder.join(&d.path).is_file(),
                "{} listed without {}",
                asset.folder,
                d.path
            );
        }
    }
    // Every asset folder is complete, even one renamed into place just before the kill.
    for e in std::fs::read_dir(collection.join("assets")).unwrap() {
        let p = e.unwrap().path();
        if !p.file_name().unwrap().to_string_lossy().starts_with('.') {
            assert!(p.join("asset.json").is_file(), "{} is incomplete", p.display());
        }
    }
}

#[test]
fn killed_runs_resume_to_the_same_collection() {
    let input = tempfile::tempdir().unwrap();
    copy_dir(&testdata("photos/orientation"), &input.path().join("orientation"));
    copy_dir(&testdata("photos/photoprism"), &input.path().join("photoprism"));
    std::fs::copy(testdata("photos/iphone_hdr_YES.jpg"), input.path().join("iphone.jpg")).unwrap();
    std::fs::copy(testdata("photos/jolla.jpg"), input.path().join("jolla.jpg")).unwrap();

    let reference = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let (code, _, _) = ingest(reference.path(), &[input.path()], &["--jobs", "1"]);
    let full = started.elapsed();
    assert_eq!(code, 0);
    let ref_files = tree_snapshot(reference.path());
    let ref_catalog = catalog_snapshot(reference.path());

    // Kill points spread over the whole run (one run takes `full`).
    let mut interrupted = 0;
    for i in 0..12u32 {
        let col = tempfile::tempdir().unwrap();
        let delay = full.mul_f64(f64::from(i) / 12.0 + 0.02);
        let mut child = disan(col.path())
            .args(["ingest", "--jobs", "1", "--no-progress"])
            .arg(input.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            interrupted += 1;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        if col.path().join("catalog.sqlite").exists() {
            assert_consistent(col.path());
        }

        let (code, report, _) = ingest(col.path(), &[input.path()], &["--jobs", "1"]);
        assert_eq!(code, 0, "resumed run after {delay:?}: {report}");
        assert_consistent(col.path());
        assert_eq!(tree_snapshot(col.path()), ref_files, "files after a kill at {delay:?}");
        assert_eq!(
            catalog_snapshot(col.path()),
            ref_catalog,
            "catalogue after a kill at {delay:?}"
        );
    }
    assert!(
        interrupted >= 8,
        "only {interrupted} of 12 kills landed mid-run (a run took {full:?})"
    );
    let _ = Duration::ZERO;
}
