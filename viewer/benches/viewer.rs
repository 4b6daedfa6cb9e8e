//! Viewer timings on whatever wgpu adapter is found (lavapipe on the CI machine): launch to first frame for a
//! 5,000-asset collection, frame times of the panorama and model views at 1920×1080, and the texture cache's
//! memory. `cargo bench -p disan_viewer --bench viewer`; `DISAN_BENCH_ASSETS` changes the collection size.
//!
//! A frame here is one egui pass plus drawing it and reading it back (egui_kittest's `render`): the readback
//! makes these numbers an upper bound on what a window would take.

#[path = "../tests/fixture.rs"]
mod fixture;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use disan_catalog::{Catalog, WriteLock};
use disan_core::{AssetKind, AssetManifest, CaptureMetadata, Derivative, SourceInfo};
use disan_viewer::{Collection, Lang, Options, ViewerApp, fonts};
use egui_kittest::Harness;

const HD: [f32; 2] = [1920.0, 1080.0];

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

fn stats(mut t: Vec<Duration>) -> String {
    t.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mean = t.iter().map(|d| ms(*d)).sum::<f64>() / t.len() as f64;
    format!(
        "mean {mean:.1} ms, p50 {:.1} ms, p95 {:.1} ms ({} frames)",
        ms(t[t.len() / 2]),
        ms(t[(t.len() - 1) * 95 / 100]),
        t.len()
    )
}

/// A collection of `n` photos, each with a thumbnail (hard links to one real thumbnail).
fn big_collection(dir: &Path, n: usize) {
    let lock = WriteLock::acquire(dir).unwrap();
    let mut cat = Catalog::open_or_create(dir, &lock).unwrap();
    let thumb = dir.join("thumb-source.jpg");
    disan_tests::open_image(Path::new(fixture::SAMPLES).join("photos/DSCN0010.jpg"))
        .unwrap()
        .thumbnail(256, 256)
        .to_rgb8()
        .save(&thumb)
        .unwrap();
    let mut items = Vec::with_capacity(n);
    for i in 0..n {
        let id = format!("{:016x}", 0x1000_0000_0000_0000u64 + i as u64);
        let folder = dir.join("assets").join(&id);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::hard_link(&thumb, folder.join("thumb.jpg")).unwrap();
        let mut derivatives = BTreeMap::new();
        derivatives.insert(
            "thumb".to_owned(),
            Derivative {
                path: "thumb.jpg".into(),
                width: Some(256),
                height: Some(192),
                bytes: 0,
            },
        );
        items.push((
            AssetManifest {
                id: id.parse().unwrap(),
                kind: AssetKind::Photo,
                source: SourceInfo {
                    file_name: format!("IMG_{i:05}.jpg"),
                    bytes: 0,
                    blake3: id.clone(),
                    format: "jpeg".into(),
                },
                width: Some(640),
                height: Some(480),
                icc_profile: None,
                metadata: CaptureMetadata::default(),
                derivatives,
                model: None,
                pano_tiles: None,
                iiif: None,
                settings_version: 1,
            },
            format!("/captures/IMG_{i:05}.jpg"),
        ));
    }
    cat.commit_assets(&items).unwrap();
}

fn main() {
    let n: usize = std::env::var("DISAN_BENCH_ASSETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    println!("viewer benchmark, window {}×{}", HD[0], HD[1]);

    // Launch to first frame.
    let big = tempfile::tempdir().unwrap();
    big_collection(big.path(), n);
    let t = Instant::now();
    let collection = Collection::open(big.path(), false).unwrap();
    let opened = t.elapsed();
    let mut h = Harness::builder().with_size(HD).wgpu().build_eframe(move |cc| {
        fonts::install(&cc.egui_ctx);
        ViewerApp::new(collection, Options::default())
    });
    h.step();
    h.render().unwrap();
    let first = t.elapsed();
    while h.state().textures.pending() > 0 {
        h.step();
        std::thread::sleep(Duration::from_millis(1));
    }
    h.step();
    h.render().unwrap();
    let thumbs = t.elapsed();
    println!(
        "launch, {n} assets: catalogue read {:.0} ms, first frame {:.0} ms, visible thumbnails drawn {:.0} ms ({} thumbnails, {:.1} MiB of textures)",
        opened.as_secs_f64() * 1e3,
        first.as_secs_f64() * 1e3,
        thumbs.as_secs_f64() * 1e3,
        h.state().textures.resident_bytes() / (256 * 192 * 4),
        h.state().textures.resident_bytes() as f64 / (1 << 20) as f64
    );
    // Typing searches: each frame a new query (file-name number prefixes), new results, new thumbnails.
    let (mut typed, mut drawn) = (Vec::new(), Vec::new());
    for i in 0..60 {
        let t = Instant::now();
        h.state_mut().query = format!("{:03}", i * 7 % 100);
        h.step();
        typed.push(t.elapsed());
        let t = Instant::now();
        h.render().unwrap();
        drawn.push(t.elapsed());
    }
    fixture::settle(&mut h);
    println!(
        "search as you type, 60 queries over {n} assets: UI pass {}; drawing and readback {}; textures held {:.1} MiB (budget {} MiB), process RSS {:.0} MiB",
        stats(typed),
        stats(drawn),
        h.state().textures.resident_bytes() as f64 / (1 << 20) as f64,
        Options::default().texture_budget >> 20,
        rss_mib()
    );
    drop(h);

    // Panorama and model views on the test collection.
    let dir = tempfile::tempdir().unwrap();
    fixture::fixture(dir.path());
    let english = Options {
        lang: Lang::En,
        ..Options::default()
    };
    let mut h = fixture::harness_sized(dir.path(), english.clone(), HD);
    fixture::open_kind(&mut h, AssetKind::Panorama);
    let (mut frames, mut drawn) = (Vec::new(), Vec::new());
    for i in 0..60 {
        {
            let (_, view) = h.state_mut().pano.as_mut().unwrap();
            view.camera.yaw = f64::from(i) * 6.0;
        }
        let t = Instant::now();
        h.step();
        frames.push(t.elapsed());
        let t = Instant::now();
        h.render().unwrap();
        drawn.push(t.elapsed());
    }
    fixture::settle(&mut h);
    println!(
        "panorama view, a turn in 6° steps: UI pass (projecting the tiles) {}; drawing and readback {}; textures held {:.1} MiB, process RSS {:.0} MiB",
        stats(frames),
        stats(drawn),
        h.state().textures.resident_bytes() as f64 / (1 << 20) as f64,
        rss_mib()
    );
    let model = h
        .state()
        .collection
        .items
        .iter()
        .position(|i| i.kind == AssetKind::Model)
        .unwrap();
    h.state_mut().selected = Some(model);
    let mut frames = Vec::new();
    for i in 0..30 {
        {
            if let Some((_, view)) = h.state_mut().model.as_mut() {
                view.yaw = i as f32 * 12.0;
            }
        }
        let t = Instant::now();
        // A frame with a new camera: render the model, upload it, draw the UI.
        loop {
            h.step();
            if h.state().model.as_ref().is_some_and(|(_, m)| !m.busy()) {
                break;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        h.step();
        h.render().unwrap();
        if i > 0 {
            frames.push(t.elapsed());
        }
    }
    println!("model view (46,356 triangles), a turn in 12° steps: {}", stats(frames));
    // Of which the offscreen render and readback by disan_render alone:
    let path = Path::new(fixture::SAMPLES).join("models/DamagedHelmet.glb");
    let bytes = std::fs::read(&path).unwrap();
    let (_, scene) = disan_model::read_scene(
        &bytes,
        disan_model::ModelFormat::Glb,
        "helmet",
        path.parent().unwrap(),
        disan_model::Limits::default(),
    );
    let scene = scene.unwrap();
    let gpu = disan_render::Gpu::shared().unwrap();
    let t = Instant::now();
    let prepared = disan_render::prepare_scene(&gpu, &scene).unwrap();
    println!(
        "  uploading the helmet once (meshes, five 2048² material maps with mips): {:.0} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );
    let mut renders = Vec::new();
    for i in 0..10 {
        let view = disan_render::View {
            width: 1920,
            height: 1080,
            yaw: i as f32 * 12.0,
            ..Default::default()
        };
        let t = Instant::now();
        disan_render::render_prepared(&gpu, &prepared, &view).unwrap();
        renders.push(t.elapsed());
    }
    println!(
        "  of which disan_render::render_prepared at 1920×1080 with readback: {}",
        stats(renders)
    );
}
