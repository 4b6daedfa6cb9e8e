//! Catalogue at scale: a generated collection of 100,000 assets in 2,000 sites with Vietnamese, English and
//! Chinese metadata. Measures search latency (p50/p95/max over a mix of queries, with and without
//! diacritics, prefixes, Chinese, filters), and CSV export and import of every row.
//!
//! `cargo bench -p disan_catalog --bench catalog` (`DISAN_BENCH_ASSETS` and `DISAN_BENCH_SITES` change the size;
//! `DISAN_BENCH_KEEP=1` keeps the generated collection for a closer look).
//! Targets (issue 6): search p95 < 20 ms; CSV export and import of all rows < 10 s each.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use disan_catalog::{Catalog, Entity, Filter, WriteLock, fields};
use disan_core::{AssetKind, AssetManifest, CaptureMetadata, Derivative, GeoPoint, SourceInfo};

const PLACES: &[(&str, &str, &str)] = &[
    ("Vịnh Hạ Long", "Ha Long Bay", "下龙湾"),
    ("Chùa Yên Tử", "Yen Tu pagoda", "安子寺"),
    ("Đồi A1 Điện Biên Phủ", "Hill A1, Dien Bien Phu", "奠边府A1高地"),
    ("Đền Hùng", "Hung Kings temple", "雄王庙"),
    ("Hoàng thành Thăng Long", "Thang Long imperial citadel", "升龙皇城"),
    ("Phố cổ Hội An", "Hoi An ancient town", "会安古镇"),
    ("Cố đô Huế", "Hue imperial city", "顺化古都"),
    ("Thánh địa Mỹ Sơn", "My Son sanctuary", "美山圣地"),
    ("Tràng An", "Trang An landscape", "长安名胜"),
    ("Động Phong Nha", "Phong Nha cave", "风牙洞"),
    ("Chùa Một Cột", "One Pillar pagoda", "独柱寺"),
    ("Văn Miếu", "Temple of Literature", "文庙"),
];
const THINGS: &[(&str, &str, &str)] = &[
    ("cổng tam quan", "three-entrance gate", "三关门"),
    ("bia đá", "stone stele", "石碑"),
    ("toàn cảnh", "panorama", "全景"),
    ("tượng Phật", "Buddha statue", "佛像"),
    ("hang động", "cave", "洞穴"),
    ("bến thuyền", "boat pier", "码头"),
    ("mái đình", "communal house roof", "亭顶"),
    ("lễ hội", "festival", "节日"),
];
const RANKS: &[&str] = &["provincial", "national", "special_national", "unesco"];

fn lcg(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *state >> 33
}

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let v = f();
    let d = t.elapsed();
    println!("{what:<48} {:>9.2} s", d.as_secs_f64());
    (v, d)
}

fn main() {
    let n_assets: usize = std::env::var("DISAN_BENCH_ASSETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let n_sites: usize = std::env::var("DISAN_BENCH_SITES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let dir = tempfile::tempdir().unwrap();
    let lock = WriteLock::acquire(dir.path()).unwrap();
    let mut cat = Catalog::open_or_create(dir.path(), &lock).unwrap();
    println!(
        "catalogue of {n_assets} assets in {n_sites} sites ({})",
        dir.path().display()
    );
    let mut rng = 42u64;

    // Sites spread over Vietnam, 2 km or more apart.
    let mut site_pos = Vec::new();
    timed("create sites", || {
        for s in 0..n_sites {
            let (vi, en, zh) = PLACES[s % PLACES.len()];
            let lat = 8.6 + (s / 50) as f64 * 0.35 + (lcg(&mut rng) % 100) as f64 * 1e-4;
            let lon = 102.2 + (s % 50) as f64 * 0.12 + (lcg(&mut rng) % 100) as f64 * 1e-4;
            site_pos.push((lat, lon));
            let changes = [
                format!("name.vi={vi} {}", s + 1),
                format!("name.en={en} {}", s + 1),
                format!("name.zh-Hans={zh}{}", s + 1),
                format!("rank={}", RANKS[s % RANKS.len()]),
                format!("lat={lat}"),
                format!("lon={lon}"),
            ]
            .map(|a| fields::parse_assignment(Entity::Site, &a).unwrap());
            cat.create_site(Some(&format!("s{s:05}")), &changes, "bench").unwrap();
        }
    });

    // Assets within 200 m of their site.
    let manifests: Vec<(AssetManifest, String)> = (0..n_assets)
        .map(|i| {
            let s = i % n_sites;
            let (lat, lon) = site_pos[s];
            let id = format!("{:016x}", blake3_like(i as u64));
            let mut derivatives = BTreeMap::new();
            derivatives.insert(
                "thumb".into(),
                Derivative {
                    path: "thumb.jpg".into(),
                    width: Some(512),
                    height: Some(341),
                    bytes: 30_000,
                },
            );
            let m = AssetManifest {
                id: id.parse().unwrap(),
                kind: [
                    AssetKind::Photo,
                    AssetKind::Photo,
                    AssetKind::Panorama,
                    AssetKind::Model,
                ][i % 4],
                source: SourceInfo {
                    file_name: format!("IMG_{i:06}.jpg"),
                    bytes: 8_000_000,
                    blake3: id.clone(),
                    format: "jpeg".into(),
                },
                width: Some(6000),
                height: Some(4000),
                icc_profile: None,
                metadata: CaptureMetadata {
                    taken_at: Some(format!("2025-{:02}-{:02}T08:00:00", 1 + i % 12, 1 + i % 28)),
                    gps: Some(GeoPoint {
                        lat: lat + (lcg(&mut rng) % 100) as f64 * 1.5e-5,
                        lon: lon + (lcg(&mut rng) % 100) as f64 * 1.5e-5,
                        alt: None,
                    }),
                    ..Default::default()
                },
                derivatives,
                model: None,
                pano_tiles: None,
                iiif: None,
                settings_version: 3,
            };
            (m, format!("/captures/day{}/IMG_{i:06}.jpg", i % 30))
        })
        .collect();
    timed("commit assets (one transaction)", || {
        cat.commit_assets(&manifests).unwrap()
    });
    let (report, _) = timed("suggest sites (nearest within 500 m)", || {
        cat.suggest_sites(500.0, "bench").unwrap()
    });
    assert_eq!(report.assigned.len(), n_assets, "every asset is near its site");
    drop(cat);
    drop(lock);
    let mut cat = Catalog::open_for_edit(dir.path()).unwrap();

    // Metadata for every asset, through a CSV import (the way a curation team fills a catalogue).
    let csv_path = dir.path().join("all.csv");
    let (rows, export_empty) = timed("CSV export, all rows (empty metadata)", || {
        cat.export_csv(&csv_path).unwrap()
    });
    assert_eq!(rows, n_assets);
    let filled = fill(&csv_path, |i, col, cell| {
        let (vi, en, zh) = PLACES[(i % n_sites) % PLACES.len()];
        let (tvi, ten, tzh) = THINGS[i % THINGS.len()];
        match col {
            "title.vi" => *cell = format!("{vi}: {tvi} {i}"),
            "title.en" => *cell = format!("{en}: {ten} {i}"),
            "title.zh-Hans" => *cell = format!("{zh}：{tzh}{i}"),
            "description.vi" => *cell = format!("Ảnh {tvi} tại {vi}, chụp trong đợt khảo sát năm 2025."),
            "subject.vi" => *cell = format!("{tvi}; di tích"),
            "creator" => *cell = "Trung tâm Truyền thông và Du lịch".into(),
            "rights" => *cell = "http://creativecommons.org/licenses/by/4.0/".into(),
            _ => {}
        }
    });
    let (r, import_fill) = timed("CSV import, all rows (7 cells each, first fill)", || {
        cat.import_csv(&filled, false, "bench").unwrap()
    });
    assert!(
        r.errors.is_empty() && r.applied,
        "{:?}",
        &r.errors[..r.errors.len().min(3)]
    );
    let (rows, export_full) = timed("CSV export, all rows (full metadata)", || {
        cat.export_csv(&csv_path).unwrap()
    });
    assert_eq!(rows, n_assets);
    let (r, import_same) = timed("CSV import, all rows unchanged", || {
        cat.import_csv(&csv_path, false, "bench").unwrap()
    });
    assert!(r.changes.is_empty());
    let edited = fill(&csv_path, |i, col, cell| {
        if col == "title.en" {
            *cell = format!("{cell} (rev. {})", i % 7);
        }
    });
    let (r, import_edit) = timed("CSV import, all rows with one edit each", || {
        cat.import_csv(&edited, false, "bench").unwrap()
    });
    assert_eq!(r.changes.len(), n_assets);

    // Search latency.
    let queries: Vec<(String, Filter)> = {
        let mut q = Vec::new();
        for (vi, en, zh) in PLACES {
            q.push((vi.to_string(), Filter::default()));
            q.push((disan_core::fold_for_search(vi), Filter::default()));
            q.push((en.to_uppercase(), Filter::default()));
            q.push((zh.chars().take(2).collect(), Filter::default()));
            q.push((
                disan_core::fold_for_search(vi).chars().take(5).collect(),
                Filter::default(),
            ));
        }
        for (tvi, ten, _) in THINGS {
            q.push((tvi.to_string(), Filter::default()));
            q.push((
                ten.to_string(),
                Filter {
                    kind: Some(AssetKind::Panorama),
                    ..Default::default()
                },
            ));
            q.push((
                disan_core::fold_for_search(tvi),
                Filter {
                    rank: Some("unesco".into()),
                    ..Default::default()
                },
            ));
        }
        q.push(("chua yen tu 1234".into(), Filter::default()));
        q.push(("di tich".into(), Filter::default()));
        q.push((
            "".into(),
            Filter {
                site: Some("s00042".into()),
                ..Default::default()
            },
        ));
        q
    };
    let mut times = Vec::new();
    let mut hits = 0;
    for _ in 0..3 {
        for (q, f) in &queries {
            let t = Instant::now();
            hits += cat.search(q, f, 20).unwrap().len();
            times.push(t.elapsed());
        }
    }
    times.sort();
    let pct = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    println!(
        "search: {} queries (top 20), p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms, {} hits",
        times.len(),
        pct(0.5).as_secs_f64() * 1e3,
        pct(0.95).as_secs_f64() * 1e3,
        times.last().unwrap().as_secs_f64() * 1e3,
        hits
    );
    let size = std::fs::metadata(dir.path().join("catalog.sqlite"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!("catalogue file: {:.0} MB", size as f64 / 1e6);
    println!();
    println!("| measure | result | target |");
    println!("|---|---|---|");
    println!(
        "| search p95 ({} queries) | {:.2} ms | < 20 ms |",
        times.len(),
        pct(0.95).as_secs_f64() * 1e3
    );
    for (what, d) in [
        ("CSV export, all rows, empty metadata", export_empty),
        ("CSV export, all rows, full metadata", export_full),
        ("CSV import, first fill (7 cells/row)", import_fill),
        ("CSV import, unchanged", import_same),
        ("CSV import, one edit per row", import_edit),
    ] {
        println!("| {what} | {:.2} s | < 10 s |", d.as_secs_f64());
    }
    if std::env::var_os("DISAN_BENCH_KEEP").is_some() {
        println!("kept {}", dir.keep().display());
    }
}

/// A spread of 64-bit ids (SplitMix64).
fn blake3_like(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E3779B97F4A7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
    z ^ (z >> 31)
}

/// Rewrites a metadata CSV cell by cell.
fn fill(path: &std::path::Path, mut f: impl FnMut(usize, &str, &mut String)) -> std::path::PathBuf {
    let bytes = std::fs::read(path).unwrap();
    let mut r = csv::Reader::from_reader(&bytes[3..]);
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    let out = path.with_extension("edited.csv");
    let mut w = csv::Writer::from_path(&out).unwrap();
    w.write_record(&header).unwrap();
    for (i, rec) in r.records().enumerate() {
        let mut cells: Vec<String> = rec.unwrap().iter().map(str::to_owned).collect();
        for (c, name) in header.iter().enumerate() {
            f(i, name, &mut cells[c]);
        }
        w.write_record(&cells).unwrap();
    }
    out
}
