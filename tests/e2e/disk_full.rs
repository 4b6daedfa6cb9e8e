//! A collection on a full disk: a small tmpfs holds the collection, the run fails cleanly (each file that
//! could not be written says so, nothing panics), the collection stays consistent, and once there is room
//! again the next run finishes the work to the same result as a run that never ran out.

use std::path::{Path, PathBuf};
use std::process::Command;

use disan_tests::{assert_consistent, catalog_snapshot, ingest, tree_snapshot};

/// A tmpfs mounted for the test (needs root, as CI runs; the test says so plainly otherwise), unmounted on
/// drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Self {
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "this test mounts a small tmpfs to fill it and needs root (CAP_SYS_ADMIN): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Self(dir.to_owned())
    }

    fn resize(&self, size: &str) {
        let out = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

const ARGS: &[&str] = &["--jobs", "1", "--iiif-min-size", "3000"];

#[test]
fn a_full_disk_fails_cleanly_and_the_next_run_finishes() {
    let input = disan_tests::photo_input(false);

    let reference = tempfile::tempdir().unwrap();
    let (code, _, _) = ingest(reference.path(), &[input.path()], ARGS);
    assert_eq!(code, 0);
    let used: u64 = disan_tests::files_under(reference.path())
        .iter()
        .map(|p| p.metadata().unwrap().len())
        .sum();

    let mount = tempfile::tempdir().unwrap();
    // Room for about a third of what the run writes.
    let fs = Tmpfs::mount(mount.path(), &format!("{}k", used / 3 / 1024));
    let col = mount.path().join("collection");
    let (code, report, stderr) = ingest(&col, &[input.path()], ARGS);
    assert_eq!(code, 2, "a run that could not write everything exits 2\n{stderr}");
    let failed: Vec<&serde_json::Value> = disan_tests::outcomes(&report, "failed");
    assert!(!failed.is_empty());
    for f in &failed {
        let reason = f["reason"].as_str().unwrap();
        assert!(reason.contains("No space left on device"), "{}: {reason}", f["path"]);
    }
    assert!(
        !disan_tests::outcomes(&report, "ingested").is_empty(),
        "what fitted was ingested"
    );
    assert_consistent(&col);
    // No staging leftovers beyond what the next run clears, and no half-written asset folder.
    for e in std::fs::read_dir(col.join("assets")).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with('.') || p.join("asset.json").is_file(),
            "{name} is half-written"
        );
    }

    // Room again: the next run finishes, to the same files and catalogue as the uninterrupted run.
    fs.resize(&format!("{}k", used * 3 / 1024));
    let (code, _, stderr) = ingest(&col, &[input.path()], ARGS);
    assert_eq!(code, 0, "{stderr}");
    assert_consistent(&col);
    assert_eq!(tree_snapshot(&col), tree_snapshot(reference.path()));
    assert_eq!(catalog_snapshot(&col), catalog_snapshot(reference.path()));
}
