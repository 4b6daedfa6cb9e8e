//! Inputs the fuzzers (`fuzz/`) found, kept as regression tests. This binary counts every allocation, so
//! it can check that a file's claims (a count, a byteLength) do not turn into memory before its bytes are
//! checked.

use std::alloc::System;
use std::path::Path;

use cap::Cap;
use disan_model::{Limits, ModelFormat, read_scene};

#[global_allocator]
static ALLOC: Cap<System> = Cap::new(System, usize::MAX);

fn found(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz").join(name)).unwrap()
}

/// `fuzz/` target `gltf`, out of memory: an accessor of 333,333,333 VEC3 floats over a "4 GB" data: URI
/// of 36 bytes made the validator reserve 8 GB for the values before reading them.
#[test]
fn an_accessor_count_is_not_an_allocation() {
    let bytes = found("oom-data-uri-claims-gigabytes.gltf");
    let dir = tempfile::tempdir().unwrap();
    let (report, scene) = read_scene(&bytes, ModelFormat::Gltf, "claims.gltf", dir.path(), Limits::default());
    assert!(scene.is_none());
    assert!(report.issues.num_errors > 0, "{report:?}");
    // Everything this process ever held at once, test harness included.
    let peak = ALLOC.max_allocated();
    assert!(peak < 256 << 20, "peak allocation {} MiB", peak >> 20);
}

/// `fuzz/` target `gltf`, panic: an unreadable `data:` URI with a multi-byte character around byte 80 was cut
/// there for the error message, inside the character.
#[test]
fn a_bad_uri_is_quoted_without_cutting_a_character() {
    let bytes = found("crash-uri-cut-inside-a-character.gltf");
    let dir = tempfile::tempdir().unwrap();
    let (report, _) = read_scene(&bytes, ModelFormat::Gltf, "uri.gltf", dir.path(), Limits::default());
    assert!(
        report.errors().any(|m| m.code == "INVALID_URI"),
        "{:?}",
        report.errors().map(|m| &m.code).collect::<Vec<_>>()
    );
}

/// `fuzz/` target `gltf`, abort: an EXT_meshopt_compression bufferView in TRIANGLES mode with a count not
/// divisible by 3 reached meshoptimizer's decoder, whose C assertion aborts the whole process (no panic to
/// catch, so one such file would end a whole ingest).
#[test]
fn a_meshopt_triangle_count_is_checked_before_decoding() {
    let bytes = found("crash-meshopt-triangles-not-divisible-by-3.glb");
    let dir = tempfile::tempdir().unwrap();
    let format = if bytes.starts_with(b"glTF") {
        ModelFormat::Glb
    } else {
        ModelFormat::Gltf
    };
    let (report, _) = read_scene(&bytes, format, "meshopt.gltf", dir.path(), Limits::default());
    assert!(
        report.errors().any(|m| m.message.contains("divisible by 3")),
        "{:?}",
        report.errors().map(|m| &m.message).collect::<Vec<_>>()
    );
}
