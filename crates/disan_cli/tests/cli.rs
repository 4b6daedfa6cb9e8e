//! The binary's own contract: help, argument errors and exit codes. (End-to-end behaviour over real
//! captures is tested in the workspace's `tests/` package.)

use std::process::Command;

fn disan() -> Command {
    Command::new(env!("CARGO_BIN_EXE_disan"))
}

#[test]
fn help_lists_the_commands() {
    let out = disan().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for cmd in ["ingest", "list", "show", "--collection", "--json"] {
        assert!(text.contains(cmd), "{cmd} missing from:\n{text}");
    }
}

#[test]
fn reading_a_missing_collection_fails_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let out = disan()
        .args(["list", "--collection"])
        .arg(dir.path().join("none"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("no collection at") && err.contains("disan ingest"),
        "{err}"
    );
}

#[test]
fn missing_input_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = disan()
        .args(["ingest", "does-not-exist", "--collection"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stderr).unwrap().contains("does-not-exist"));
}

#[test]
fn collection_comes_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let out = disan()
        .arg("list")
        .env("DISAN_COLLECTION", dir.path().join("env-col"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stderr).unwrap().contains("env-col"));
}
