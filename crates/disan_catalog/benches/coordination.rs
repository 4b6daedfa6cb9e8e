//! Coordination overhead per asset (issue 25): what the catalogue costs a worker for each file, on the
//! embedded SQLite catalogue and on a shared PostgreSQL one (a local server: the network round trip of a
//! real deployment comes on top, once per statement). Median of 3 rounds of `DISAN_BENCH_N` (default 1000)
//! assets each.
//!
//! `cargo bench -p disan_catalog --bench coordination` (PostgreSQL from `DISAN_TEST_PG`, or the private
//! server `tests/services/postgres.sh` starts). Printed per asset, in microseconds.

use std::time::{Duration, Instant};

use disan_catalog::{Catalog, SharedCatalog, WriteLock};
use disan_core::{AssetKind, AssetManifest, CaptureMetadata, SourceInfo};

fn manifest(i: usize) -> AssetManifest {
    AssetManifest {
        id: format!("{i:016x}").parse().unwrap(),
        kind: AssetKind::Photo,
        source: SourceInfo {
            file_name: format!("IMG_{i:05}.JPG"),
            bytes: 8_000_000,
            blake3: "ab".repeat(32),
            format: "jpeg".into(),
        },
        width: Some(6000),
        height: Some(4000),
        icc_profile: None,
        metadata: CaptureMetadata {
            taken_at: Some("2026-11-30T08:00:00".into()),
            ..Default::default()
        },
        derivatives: Default::default(),
        model: None,
        pano_tiles: None,
        iiif: None,
        settings_version: 4,
    }
}

/// Median of three rounds of `f(round)`, as µs per asset.
fn median(n: usize, mut f: impl FnMut(usize) -> Duration) -> f64 {
    let mut v: Vec<f64> = (0..3).map(|r| f(r).as_secs_f64() * 1e6 / n as f64).collect();
    v.sort_by(f64::total_cmp);
    v[1]
}

fn main() {
    let n: usize = std::env::var("DISAN_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let lease = Duration::from_secs(60);
    let mut rows: Vec<(&str, f64)> = Vec::new();

    rows.push((
        "SQLite: commit an asset (row + source file + search index)",
        median(n, |_| {
            let dir = tempfile::tempdir().unwrap();
            let lock = WriteLock::acquire(dir.path()).unwrap();
            let mut cat = Catalog::open_or_create(dir.path(), &lock).unwrap();
            let t = Instant::now();
            for i in 0..n {
                cat.commit_asset(&manifest(i), &format!("/in/{i}.jpg"), 1).unwrap();
            }
            t.elapsed()
        }),
    ));
    let dbs: Vec<String> = (0..3).map(|_| disan_tests::postgres_db("bench")).collect();
    rows.push((
        "PostgreSQL: commit an asset (row + source file + search row)",
        median(n, |r| {
            let mut cat = SharedCatalog::connect(&dbs[r]).unwrap();
            let t = Instant::now();
            for i in 0..n {
                cat.commit_asset(&manifest(i), &format!("/in/{i}.jpg"), 1).unwrap();
            }
            t.elapsed()
        }),
    ));
    let files: Vec<(String, String)> = (0..n)
        .map(|i| (format!("/in/{i:06}.jpg"), format!("{i:06}.jpg")))
        .collect();
    for batch in [1usize, 16] {
        let label = if batch == 1 {
            "PostgreSQL: claim 1 file + finish it"
        } else {
            "PostgreSQL: claim 16 files at once + finish each"
        };
        rows.push((
            label,
            median(n, |_| {
                let mut cat = SharedCatalog::connect(&disan_tests::postgres_db("bench")).unwrap();
                cat.enqueue(&files).unwrap();
                let t = Instant::now();
                loop {
                    let claims = cat.claim("w", batch, lease).unwrap();
                    if claims.is_empty() {
                        break;
                    }
                    for c in claims {
                        cat.finish("w", &c.path, "ingested", Some("0"), None).unwrap();
                    }
                }
                t.elapsed()
            }),
        ));
    }
    rows.push((
        "PostgreSQL: lease + release an asset id",
        median(n, |r| {
            let mut cat = SharedCatalog::connect(&dbs[r]).unwrap();
            let t = Instant::now();
            for i in 0..n {
                let id = format!("{i:016x}");
                assert!(cat.lease_asset("w", &id, lease).unwrap());
                cat.release_asset("w", &id).unwrap();
            }
            t.elapsed()
        }),
    ));
    rows.push((
        "PostgreSQL: one heartbeat (per worker, every lease/3)",
        median(n, |r| {
            let mut cat = SharedCatalog::connect(&dbs[r]).unwrap();
            let t = Instant::now();
            for _ in 0..n {
                cat.heartbeat("w", lease).unwrap();
            }
            t.elapsed()
        }),
    ));
    rows.push((
        "PostgreSQL: enqueue a file (`disan queue add`)",
        median(n, |_| {
            let mut cat = SharedCatalog::connect(&disan_tests::postgres_db("bench")).unwrap();
            let t = Instant::now();
            cat.enqueue(&files).unwrap();
            t.elapsed()
        }),
    ));
    // A curator's save: one field, checked against the revision it was based on, written with its revision
    // and search row, under the write lock (SQLite's, or the advisory lock on PostgreSQL).
    let edit = |cat: &mut Catalog| {
        let t = Instant::now();
        for i in 0..n {
            let change = disan_catalog::fields::parse_assignment(
                disan_catalog::Entity::Asset,
                &format!("title.vi=Vịnh Hạ Long {i}"),
            )
            .unwrap();
            let base = cat.latest_revision().unwrap();
            cat.set_meta_based_on(&[format!("{i:016x}")], &[change], "bench", Some(base))
                .unwrap();
        }
        t.elapsed()
    };
    rows.push((
        "SQLite: a curated edit (read base revision, check, write, reindex)",
        median(n, |_| {
            let dir = tempfile::tempdir().unwrap();
            let lock = WriteLock::acquire(dir.path()).unwrap();
            let mut cat = Catalog::open_or_create(dir.path(), &lock).unwrap();
            let items: Vec<_> = (0..n).map(|i| (manifest(i), format!("/in/{i}.jpg"))).collect();
            cat.commit_assets(&items).unwrap();
            edit(&mut cat)
        }),
    ));
    rows.push((
        "PostgreSQL: the same curated edit (Catalog on the shared catalogue)",
        median(n, |r| {
            let dir = tempfile::tempdir().unwrap();
            edit(&mut Catalog::connect(&dbs[r], dir.path()).unwrap())
        }),
    ));
    println!("coordination per asset, {n} assets, median of 3 (µs):");
    for (label, us) in rows {
        println!("  {label:<70} {us:>8.0}");
    }
}
