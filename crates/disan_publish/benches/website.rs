//! `disan web build` on a generated collection of 5,000 published photos in 50 sites: the full build, a
//! rebuild with nothing changed (target: < 2 s), a rebuild after one title changed, the site's size and the
//! home page's transfer size before images (target: ≤ 300 KB).
//!
//! `cargo bench -p disan_publish --bench website [-- ASSETS]`. Each asset has a real 512 px thumbnail and a
//! 2048 px display image (made once from a bundled sample photo and hard-linked), as ingest writes them.

use std::path::Path;
use std::time::Instant;

use disan_catalog::{Catalog, Change, Entity, WriteLock, fields};
use disan_core::AssetKind;
use disan_tests::catalog_fixture::manifest;

fn change(entity: Entity, a: &str) -> Change {
    fields::parse_assignment(entity, a).unwrap()
}

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(5000);
    let dir = tempfile::tempdir().unwrap();
    let collection = dir.path().join("c");
    std::fs::create_dir_all(&collection).unwrap();
    // The pictures: one real photo at the two sizes ingest writes.
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/samples/photos/DSCN0010.jpg");
    let limits = disan_imaging::DecodeLimits::from(&disan_core::Settings::default());
    let photo = image::DynamicImage::ImageRgb8(
        disan_imaging::decode_rgb8(&std::fs::read(&sample).unwrap(), &limits)
            .unwrap()
            .image,
    );
    let pics = dir.path().join("pics");
    std::fs::create_dir_all(&pics).unwrap();
    photo
        .resize(512, 512, image::imageops::FilterType::Triangle)
        .save(pics.join("thumb.jpg"))
        .unwrap();
    photo
        .resize(2048, 2048, image::imageops::FilterType::Triangle)
        .save(pics.join("display.jpg"))
        .unwrap();

    let t = Instant::now();
    let lock = WriteLock::acquire(&collection).unwrap();
    let mut cat = Catalog::open_or_create(&collection, &lock).unwrap();
    let mut items = Vec::new();
    for i in 0..n {
        let id = format!("{:016x}", 0xd15a_0000_0000_0000u64 + i as u64);
        let site = i % 50;
        let gps = (20.0 + site as f64 * 0.05, 105.0 + site as f64 * 0.04);
        let m = manifest(&id, AssetKind::Photo, &format!("p{i}.jpg"), Some(gps));
        let folder = collection.join("assets").join(&id);
        std::fs::create_dir_all(&folder).unwrap();
        for f in ["thumb.jpg", "display.jpg"] {
            std::fs::hard_link(pics.join(f), folder.join(f)).unwrap();
        }
        items.push((m, format!("/captures/p{i}.jpg")));
    }
    cat.commit_assets(&items).unwrap();
    drop(cat);
    drop(lock);
    let mut cat = Catalog::open_for_edit(&collection).unwrap();
    for s in 0..50 {
        let changes = [
            change(Entity::Site, &format!("name.vi=Di tích số {s}")),
            change(Entity::Site, &format!("name.en=Site {s}")),
            change(Entity::Site, &format!("lat={}", 20.0 + s as f64 * 0.05)),
            change(Entity::Site, &format!("lon={}", 105.0 + s as f64 * 0.04)),
        ];
        cat.create_site(Some(&format!("site-{s}")), &changes, "bench").unwrap();
    }
    for (i, (m, _)) in items.iter().enumerate() {
        let id = m.id.to_string();
        let changes = [
            change(Entity::Asset, &format!("title.vi=Ảnh số {i} ở Vịnh Hạ Long")),
            change(Entity::Asset, &format!("title.en=Photo {i} of Ha Long Bay")),
            change(Entity::Asset, &format!("title.zh-Hans=下龙湾照片 {i}")),
            change(Entity::Asset, "description.vi=Di sản thiên nhiên thế giới."),
            change(Entity::Asset, "creator=Trung tâm Truyền thông"),
            change(Entity::Asset, "rights=http://creativecommons.org/licenses/by-sa/4.0/"),
        ];
        cat.set_meta(std::slice::from_ref(&id), &changes, "bench").unwrap();
        cat.assign_site(Some(&format!("site-{}", i % 50)), std::slice::from_ref(&id), "bench")
            .unwrap();
    }
    let ids: Vec<String> = items.iter().map(|(m, _)| m.id.to_string()).collect();
    cat.set_state(&ids, "in_review", "bench").unwrap();
    cat.set_state(&ids, "published", "bench").unwrap();
    eprintln!(
        "collection of {n} published photos made in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let out = dir.path().join("site");
    let opts = disan_publish::SiteOptions {
        out: out.clone(),
        base_url: Some("https://disan.example.org".into()),
        langs: Vec::new(),
    };
    let quiet = |_: &str, _: u64, _: u64| {};
    let mut rows = Vec::new();
    let mut time = |name: &str, cat: &Catalog| {
        let (t, cpu) = (Instant::now(), cpu_seconds());
        let r = disan_publish::build_site(cat, &opts, &quiet).unwrap();
        let (wall, cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - cpu);
        eprintln!(
            "{name}: {wall:.2} s wall, {cpu:.2} s CPU, {} written, {} unchanged",
            r.written, r.unchanged
        );
        rows.push((name.to_owned(), wall, cpu, r.written, r.files));
    };
    time("full build", &cat);
    for _ in 0..3 {
        time("rebuild, nothing changed", &cat);
    }
    cat.set_meta(&ids[..1], &[change(Entity::Asset, "title.en=Renamed")], "bench")
        .unwrap();
    time("rebuild, one title changed", &cat);

    let mut size = 0u64;
    let mut files = 0u64;
    for e in walkdir_files(&out) {
        size += std::fs::metadata(&e).map(|m| m.len()).unwrap_or(0);
        files += 1;
    }
    // The home page before images: its HTML, the stylesheet and the script.
    let home: u64 = ["vi/index.html", "static/site.css", "static/site.js"]
        .iter()
        .map(|f| std::fs::metadata(out.join(f)).unwrap().len())
        .sum();
    let mut rebuilds: Vec<f64> = rows.iter().filter(|r| r.0.contains("nothing")).map(|r| r.1).collect();
    rebuilds.sort_by(f64::total_cmp);
    println!("| run | wall (s) | CPU (s) | files written |");
    println!("|---|---|---|---|");
    for (name, wall, cpu, written, _) in &rows {
        println!("| {name} | {wall:.2} | {cpu:.2} | {written} |");
    }
    println!(
        "\n{n} assets: {files} files, {:.1} MB (media are hard links: their bytes are the collection's); \
         median no-change rebuild {:.2} s; home page before images {:.1} KB",
        size as f64 / 1e6,
        rebuilds[rebuilds.len() / 2],
        home as f64 / 1e3
    );
}

fn walkdir_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// CPU time of this process so far (user + system), from /proc.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks: f64 = fields
        .get(11..13)
        .map_or(0.0, |f| f.iter().filter_map(|x| x.parse::<f64>().ok()).sum());
    ticks / 100.0
}
