//! Two processes on one collection: a second ingest is refused clearly while the first goes on, and a
//! curator's edit made while an ingest runs (even one remaking the edited asset) survives it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};

use disan_tests::{copy_dir, disan, ingest, run, testdata};

/// An ingest running in the background; killed if a test fails before it ends.
struct Running {
    child: Child,
    events: BufReader<std::process::ChildStderr>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `disan ingest --json` and waits until it has finished `files` files (0: until it has planned).
fn start_ingest(collection: &Path, input: &Path, files: usize) -> Running {
    let mut child = disan(collection)
        .args(["ingest", "--jobs", "1", "--iiif-min-size", "3000", "--json"])
        .arg(input)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let events = BufReader::new(child.stderr.take().unwrap());
    let mut running = Running { child, events };
    let (mut done, mut line) = (0, String::new());
    loop {
        line.clear();
        assert!(
            running.events.read_line(&mut line).unwrap() > 0,
            "the ingest ended early"
        );
        done += usize::from(line.contains("\"event\":\"file_done\""));
        if (files == 0 && line.contains("\"event\":\"planned\"")) || (files > 0 && done == files) {
            return running;
        }
    }
}

/// Waits for the ingest to end and returns its exit code.
fn finish(mut running: Running) -> i32 {
    let rest: Vec<String> = (&mut running.events).lines().map(Result::unwrap).collect();
    assert!(!rest.iter().any(|l| l.contains("panicked")), "{rest:?}");
    running.child.wait().unwrap().code().unwrap()
}

#[test]
fn a_second_ingest_is_refused_while_the_first_goes_on() {
    let (col, input) = (tempfile::tempdir().unwrap(), disan_tests::photo_input(false));
    let first = start_ingest(col.path(), input.path(), 0);
    let out = run(disan(col.path()).arg("ingest").arg(input.path()));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("another disan process is writing"), "{stderr}");
    assert_eq!(finish(first), 0, "the first ingest is not disturbed");
    let catalog = disan_catalog::Catalog::open(col.path()).unwrap();
    assert_eq!(catalog.integrity_check().unwrap(), "ok");
    // Everything was ingested once, by the first run.
    let (code, report, _) = ingest(col.path(), &[input.path()], &["--iiif-min-size", "3000"]);
    assert_eq!(code, 0);
    assert_eq!(report["summary"]["ingested"], 0, "{}", report["summary"]);
}

#[test]
fn a_curator_edit_during_an_ingest_survives_it() {
    let (col, input) = (tempfile::tempdir().unwrap(), disan_tests::photo_input(false));
    let (code, report, _) = ingest(col.path(), &[input.path()], &["--iiif-min-size", "3000"]);
    assert_eq!(code, 0);
    let id = disan_tests::entry(&report, "iphone.jpg")["asset_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The asset's files go missing, so the next run remakes it (and its catalogue row) while the curator
    // edits it; more photos make the run long enough to edit in the middle.
    std::fs::remove_file(col.path().join(format!("assets/{id}/asset.json"))).unwrap();
    copy_dir(&testdata("photos/photoprism"), &input.path().join("photoprism"));
    let mut running = start_ingest(col.path(), input.path(), 1);
    let title = "Vịnh Hạ Long lúc bình minh";
    let out = run(disan(col.path())
        .args(["--author", "curator", "meta", "set", &id])
        .arg(format!("title.vi={title}"))
        .arg("creator=Trung tâm Truyền thông"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        running.child.try_wait().unwrap().is_none(),
        "the edit is meant to land while the ingest runs"
    );
    assert_eq!(finish(running), 0);

    let catalog = disan_catalog::Catalog::open(col.path()).unwrap();
    assert_eq!(catalog.integrity_check().unwrap(), "ok");
    let shown: serde_json::Value =
        serde_json::from_slice(&run(disan(col.path()).args(["--json", "meta", "get", &id])).stdout).unwrap();
    assert_eq!(shown["metadata"]["title"]["vi"], title, "{shown}");
    assert_eq!(shown["metadata"]["creator"], "Trung tâm Truyền thông");
    let history: serde_json::Value =
        serde_json::from_slice(&run(disan(col.path()).args(["--json", "history", &id])).stdout).unwrap();
    let edit = history
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["field"] == "title" && r["lang"] == "vi")
        .unwrap_or_else(|| panic!("no title revision in {history}"));
    assert_eq!(
        (&edit["author"], &edit["new"]),
        (&"curator".into(), &title.into()),
        "{edit}"
    );
    assert!(
        col.path().join(format!("assets/{id}/asset.json")).is_file(),
        "the asset was remade"
    );
}
