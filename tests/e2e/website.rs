//! `disan web build` and `disan web serve` (issue 22): the README's demo collection (the bundled samples with
//! the demo metadata, by `assets/samples/demo.sh`), plus a Vietnamese site with no translations yet, a draft
//! with a title that must appear nowhere, and a published photo whose titles are `<script>` tags. The site is
//! served by `disan web serve` and checked in Debian's headless Chromium (puppeteer-core, axe-core,
//! Lighthouse), its JSON-LD read by PyLD.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use disan_tests::{disan, disan_bin, keep_images, mean_abs_diff, open_image, run, web_dir};
use serde_json::Value;

const DRAFT: &str = "0f28f7a98ac8ec9f"; // yaminabe.tif, left a draft
const DRAFT_TITLE: &str = "Bản nháp bí mật";
const SCRIPTED: &str = "f19631e6ca43db43"; // exif.webp, published with <script> titles
const HA_LONG_PHOTO: &str = "b2f03461d2b111ed"; // jolla.jpg: 8 MP, deep-zoom tiles with --iiif-min-size 3000
const PANO: &str = "77ae41663658b94a";
const MODEL: &str = "47bc89b1a254acef";
const BASE: &str = "https://disan.example.org/tinh";

struct Fixture {
    _dir: tempfile::TempDir,
    collection: PathBuf,
    site: PathBuf,
    /// `disan web build --json` of the first build with BASE.
    report: Value,
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn ok(out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn cli(collection: &Path, args: &[&str]) -> String {
    ok(run(disan(collection).args(["--author", "test"]).args(args)))
}

/// `disan web build --out SITE --base-url BASE --json` on `collection`: its report.
fn build_site(collection: &Path, site: &Path) -> Value {
    let out = cli(
        collection,
        &[
            "web",
            "build",
            "--out",
            site.to_str().unwrap(),
            "--base-url",
            BASE,
            "--json",
        ],
    );
    serde_json::from_str(&out).unwrap()
}

/// Builds the demo collection and its website once for every test here.
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let collection = dir.path().join("demo");
        let site = dir.path().join("site");
        // Deep-zoom tiles for the 8 MP samples, then the README's demo script (its ingest finds them unchanged).
        cli(
            &collection,
            &[
                "ingest",
                repo().join("assets/samples").to_str().unwrap(),
                "--iiif-min-size",
                "3000",
            ],
        );
        ok(run(Command::new("bash")
            .arg(repo().join("assets/samples/demo.sh"))
            .arg(&collection)
            .arg(&site)
            .env("DISAN", disan_bin())
            .env_remove("XDG_RUNTIME_DIR")));
        cli(
            &collection,
            &[
                "site",
                "create",
                "--id",
                "vinh-ha-long",
                "name.vi=Vịnh Hạ Long",
                "description.vi=Di sản thiên nhiên thế giới với gần hai nghìn hòn đảo đá vôi.",
                "province=quang-ninh",
                "rank=unesco",
                "type=scenic_landscape",
                "lat=20.91",
                "lon=107.18",
            ],
        );
        cli(&collection, &["site", "assign", "vinh-ha-long", HA_LONG_PHOTO]);
        cli(
            &collection,
            &[
                "meta",
                "set",
                DRAFT,
                &format!("title.vi={DRAFT_TITLE}"),
                "title.en=Secret draft",
            ],
        );
        cli(
            &collection,
            &[
                "meta",
                "set",
                SCRIPTED,
                "title.vi=<script>alert(1)</script> Ảnh thử",
                "title.en=<script>alert(2)</script> Test photo",
                "title.zh-Hans=<script>alert(3)</script> 测试",
                "description.vi=Mô tả </script><script>alert(4)</script>",
                "creator=Test",
                "rights=http://creativecommons.org/licenses/by/4.0/",
                "date=2020",
            ],
        );
        cli(&collection, &["site", "assign", "demo-samples", SCRIPTED]);
        cli(&collection, &["state", SCRIPTED, "in_review"]);
        cli(&collection, &["state", SCRIPTED, "published"]);
        let report = build_site(&collection, &site);
        Fixture {
            _dir: dir,
            collection,
            site,
            report,
        }
    })
}

/// `disan web serve DIR --port 0`, stopped when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(dir: &Path) -> Self {
        let mut child = Command::new(disan_bin())
            .args(["web", "serve"])
            .arg(dir)
            .args(["--port", "0", "--json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
        let url = v["url"].as_str().unwrap().trim_end_matches('/').to_owned();
        Self { child, url }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn all_files(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect()
}

/// Where shots and reports are kept for a person to look at: `target/website-check/<name>`.
fn keep_dir(name: &str) -> PathBuf {
    let d = repo().join("target/website-check").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn the_website_works_in_chromium_and_hides_what_is_not_published() {
    let f = fixture();
    let r = &f.report;
    assert_eq!(r["assets"], 13, "{r}");
    assert_eq!(r["sites"], 3, "{r}");
    assert_eq!(r["tours"], 1, "{r}");
    assert_eq!(r["langs"], serde_json::json!(["vi", "en", "zh-Hans"]));

    // A draft appears in no page, index, sitemap or file name.
    for file in all_files(&f.site) {
        let rel = file.strip_prefix(&f.site).unwrap().to_string_lossy().into_owned();
        assert!(!rel.contains(DRAFT), "{rel} names the draft");
        if let Ok(text) = std::fs::read_to_string(&file) {
            assert!(
                !text.contains(DRAFT_TITLE) && !text.contains(DRAFT),
                "{rel} shows the draft"
            );
            // Titles are text: the <script> a curator typed is escaped everywhere, in JSON too.
            assert!(
                !text.contains("<script>alert"),
                "{rel} holds a live <script> from a title"
            );
        }
    }
    let sitemap = std::fs::read_to_string(f.site.join("sitemap.xml")).unwrap();
    assert!(sitemap.contains(&format!("{BASE}/vi/assets/{PANO}/")), "{sitemap}");
    assert!(sitemap.contains(&format!(
        "hreflang=\"zh-Hans\" href=\"{BASE}/zh-Hans/sites/vinh-ha-long/\""
    )));
    let robots = std::fs::read_to_string(f.site.join("robots.txt")).unwrap();
    assert!(robots.contains(&format!("Sitemap: {BASE}/sitemap.xml")), "{robots}");

    let server = Server::start(&f.site);
    let keep = keep_dir("site");
    let checks = serde_json::json!({
        "axe": ["/vi/", "/vi/sites/vinh-ha-long/", format!("/en/assets/{HA_LONG_PHOTO}/"),
                format!("/vi/assets/{PANO}/"), format!("/zh-Hans/assets/{MODEL}/"), "/vi/tours/demo-tour/",
                "/vi/search/", "/vi/map/"],
        "search": {"lang": "vi", "query": "ha long"},
        "switch": format!("/vi/assets/{PANO}/"),
        "viewers": {"pano": format!("/vi/assets/{PANO}/"), "zoom": format!("/vi/assets/{HA_LONG_PHOTO}/"),
                    "model": format!("/vi/assets/{MODEL}/"), "marzipano": "/vi/tours/demo-tour/marzipano/"},
        "shots": ["/vi/", "/en/sites/vinh-ha-long/", format!("/vi/assets/{PANO}/"), "/zh-Hans/search/"],
        "pdf": "/signs/vinh-ha-long.html",
    });
    let out = ok(run(Command::new("node")
        .arg(web_dir().join("site-check.cjs"))
        .arg(&server.url)
        .arg(&keep)
        .arg(checks.to_string())));
    std::fs::write(keep.join("report.json"), &out).unwrap();
    let report: Value = serde_json::from_str(out.trim()).unwrap();

    // Every page and every internal link and resource: no console error, no failed request, nothing remote.
    let pages = report["pages"].as_object().unwrap();
    assert!(pages.len() > 3 * (13 + 3 + 1 + 4), "{} pages crawled", pages.len());
    assert_eq!(report["errors"], serde_json::json!([]), "console errors");
    assert_eq!(report["failed"], serde_json::json!([]), "failed requests");
    assert_eq!(report["external"], serde_json::json!([]), "requests to other hosts");
    assert_eq!(report["dialogs"], serde_json::json!([]), "a title ran a script");
    assert!(report["resources"].as_u64().unwrap() > 100, "{}", report["resources"]);
    for (url, page) in pages {
        assert_eq!(page["status"], 200, "{url}");
        let lang = page["lang"].as_str().unwrap();
        for l in ["vi", "en", "zh-Hans"] {
            if url.contains(&format!("/{l}/")) {
                assert_eq!(lang, l, "{url}: <html lang>");
            }
        }
        let text = page["text"].as_str().unwrap();
        assert!(!text.contains(DRAFT_TITLE), "{url}");
    }
    // The <script> title shows as text.
    let scripted = &pages[&format!("{}/vi/assets/{SCRIPTED}/", server.url)];
    assert!(
        scripted["text"]
            .as_str()
            .unwrap()
            .contains("<script>alert(1)</script> Ảnh thử"),
        "{scripted}"
    );
    // The site without translations: its Vietnamese name stands in, marked, on the English page.
    let ha_long_en = pages[&format!("{}/en/sites/vinh-ha-long/", server.url)]["text"]
        .as_str()
        .unwrap();
    assert!(ha_long_en.contains("Vịnh Hạ Long (not yet translated)"), "{ha_long_en}");
    assert!(
        ha_long_en.contains("World Heritage") || ha_long_en.contains("UNESCO"),
        "{ha_long_en}"
    );
    assert!(
        ha_long_en.contains("Quảng Ninh"),
        "the province by its vocabulary label: {ha_long_en}"
    );
    // A tour scene never shows an id or a file name where a title belongs.
    let tour = pages[&format!("{}/en/tours/demo-tour/", server.url)]["text"]
        .as_str()
        .unwrap();
    assert!(tour.contains("Sample 360° panorama: a museum"), "{tour}");
    assert!(!tour.contains(PANO) && !tour.contains(".jpg"), "{tour}");

    // axe-core: no serious or critical violation, and no sideways scrolling at 360 px.
    for (page, result) in report["axe"].as_object().unwrap() {
        let bad: Vec<&Value> = result["violations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .collect();
        assert!(bad.is_empty(), "{page}: {bad:?}");
        assert!(
            result["overflow"].as_i64().unwrap() <= 0,
            "{page} scrolls sideways: {result}"
        );
    }

    // Search, diacritic-blind: "ha long" finds "Vịnh Hạ Long" first.
    let search = &report["checks"]["search"];
    assert_eq!(search["results"][0]["title"], "Vịnh Hạ Long", "{search}");
    assert_eq!(search["first_status"], 200);
    // The language switch keeps the page, by mouse and by keyboard.
    let switch = &report["checks"]["switch"];
    assert_eq!(switch["url"], format!("{}/en/assets/{PANO}/", server.url));
    assert_eq!(switch["lang"], "en");
    assert_eq!(switch["back"], format!("{}/vi/assets/{PANO}/", server.url));

    // The viewers show the content.
    let viewers = &report["checks"]["viewers"];
    assert!(viewers.get("pano_error").is_none(), "{viewers}");
    assert!(viewers.get("zoom_error").is_none(), "{viewers}");
    assert!(viewers.get("model_error").is_none(), "{viewers}");
    let jolla = run(disan(&f.collection).args(["show", HA_LONG_PHOTO, "--json"]));
    let jolla: Value = serde_json::from_slice(&jolla.stdout).unwrap();
    assert_eq!(
        viewers["zoom"]["width"], jolla["width"],
        "OpenSeadragon opened the IIIF service"
    );
    assert_eq!(viewers["zoom"]["height"], jolla["height"]);
    assert!(
        viewers["model"]["src"].as_str().unwrap().ends_with("model/model.glb"),
        "{viewers}"
    );
    // Pannellum's view of the panorama page against `disan render` of the same view.
    let shot = open_image(keep.join("pano-view.png")).unwrap().to_rgb8();
    let (w, h) = shot.dimensions();
    let render = |yaw: f64, name: &str| {
        let p = keep.join(name);
        ok(run(disan(&f.collection).args(["render", PANO, "--out"]).arg(&p).args(
            [
                "--size",
                &format!("{w}x{h}"),
                "--yaw",
                &yaw.to_string(),
                "--pitch",
                "0",
                "--hfov",
                "100",
            ],
        )));
        open_image(&p).unwrap().to_rgb8()
    };
    let (d, control) = (
        mean_abs_diff(&shot, &render(0.0, "pano-render.png")),
        mean_abs_diff(&shot, &render(180.0, "pano-control.png")),
    );
    eprintln!("website panorama: mean difference {d:.1} from disan render, {control:.1} from the view behind");
    assert!(
        d < 14.0 && d * 2.5 < control,
        "{d:.1} vs control {control:.1}: {}",
        keep.display()
    );
    // The tour in Marzipano: its first scene, as `disan render` shows the scene's start view (the middle of
    // the window: the title bar and the edges are left out).
    assert!(viewers.get("marzipano_error").is_none(), "{viewers}");
    assert_eq!(viewers["marzipano"]["scene"], PANO, "{viewers}");
    assert_eq!(viewers["marzipano"]["scenes"], 2, "{viewers}");
    assert_eq!(viewers["marzipano"]["links"], 2, "{viewers}");
    let shot = open_image(keep.join("marzipano-view.png")).unwrap().to_rgb8();
    let (w, h) = shot.dimensions();
    let middle = |img: &image::RgbImage| image::imageops::crop_imm(img, w / 4, h / 4, w / 2, h / 2).to_image();
    let render_mz = |yaw: &str, name: &str| {
        let p = keep.join(name);
        ok(run(disan(&f.collection).args(["render", PANO, "--out"]).arg(&p).args(
            [
                "--size",
                &format!("{w}x{h}"),
                "--yaw",
                yaw,
                "--pitch",
                "0",
                "--hfov",
                "100",
            ],
        )));
        middle(&open_image(&p).unwrap().to_rgb8())
    };
    let (d, control) = (
        mean_abs_diff(&middle(&shot), &render_mz("0", "marzipano-render.png")),
        mean_abs_diff(&middle(&shot), &render_mz("180", "marzipano-control.png")),
    );
    eprintln!("website Marzipano tour: mean difference {d:.1} from disan render, {control:.1} from the view behind");
    assert!(
        d < 14.0 && d * 2.5 < control,
        "{d:.1} vs control {control:.1}: {}",
        keep.display()
    );

    // Deep zoom: where OpenSeadragon drew the whole image, the source photo (resampled to that rectangle);
    // mirrored, it is far off (the control).
    let zoom = open_image(keep.join("zoom-view.png")).unwrap().to_rgb8();
    let rect: Vec<f64> = viewers["zoom"]["rect"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let (x0, y0) = (rect[0].max(0.0).round() as u32, rect[1].max(0.0).round() as u32);
    let (x1, y1) = (
        ((rect[0] + rect[2]).round() as u32).min(zoom.width()),
        ((rect[1] + rect[3]).round() as u32).min(zoom.height()),
    );
    assert!(x1 > x0 + 100 && y1 > y0 + 100, "image rectangle {rect:?}");
    // A 2-pixel margin keeps the resampled edges out.
    let drawn = image::imageops::crop_imm(&zoom, x0 + 2, y0 + 2, x1 - x0 - 4, y1 - y0 - 4).to_image();
    let source = open_image(repo().join("assets/samples/photos/jolla.jpg"))
        .unwrap()
        .to_rgb8();
    let fitted = image::imageops::resize(&source, x1 - x0, y1 - y0, image::imageops::FilterType::Triangle);
    let fitted = image::imageops::crop_imm(&fitted, 2, 2, x1 - x0 - 4, y1 - y0 - 4).to_image();
    let (d, control) = (
        mean_abs_diff(&drawn, &fitted),
        mean_abs_diff(&drawn, &image::imageops::flip_horizontal(&fitted)),
    );
    eprintln!("website deep zoom: mean difference {d:.1} from the source photo, {control:.1} from it mirrored");
    assert!(
        d < 8.0 && d * 2.5 < control,
        "{d:.1} vs control {control:.1}: {}",
        keep.display()
    );

    // The model view against `disan render` of the model from <model-viewer>'s default orbit (front, 15°
    // above): each cut to the model's extent and compared at 32×32; the model from behind is the control.
    let model = open_image(keep.join("model-view.png")).unwrap().to_rgb8();
    let render_model = |yaw: &str, name: &str| {
        let p = keep.join(name);
        ok(run(disan(&f.collection)
            .args(["render", MODEL, "--transparent", "--out"])
            .arg(&p)
            .args([
                "--size",
                &format!("{}x{}", model.width(), model.height()),
                "--yaw",
                yaw,
                "--pitch",
                "15",
            ])));
        let rgba = open_image(&p).unwrap().to_rgba8();
        // Over the viewer's light grey, as the page shows it.
        image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
            let p = rgba.get_pixel(x, y).0;
            let a = f64::from(p[3]) / 255.0;
            let bg = [225.0, 230.0, 234.0];
            image::Rgb(std::array::from_fn(|c| {
                (f64::from(p[c]) * a + bg[c] * (1.0 - a)).round() as u8
            }))
        })
    };
    let seen = model_extent(&model);
    let (d, control) = (
        mean_abs_diff(&seen, &model_extent(&render_model("0", "model-render.png"))),
        mean_abs_diff(&seen, &model_extent(&render_model("180", "model-control.png"))),
    );
    eprintln!("website model: mean difference {d:.1} from disan render, {control:.1} from the back");
    assert!(
        d < 35.0 && d * 2.0 < control,
        "{d:.1} vs control {control:.1}: {}",
        keep.display()
    );

    // The printable sign is one A4 page.
    assert_eq!(report["checks"]["pdf"]["pages"], 1, "{}", report["checks"]["pdf"]);

    // JSON-LD: every block parses and expands (PyLD), with the right types, language and place.
    let blocks = keep.join("jsonld.json");
    std::fs::write(&blocks, report["jsonld"].to_string()).unwrap();
    let out = ok(run(Command::new("python3")
        .arg(repo().join("tests/py/site_jsonld_check.py"))
        .arg(&blocks)));
    let ld: Value = serde_json::from_str(out.trim()).unwrap();
    let site_ld = &ld[&format!("{}/vi/sites/vinh-ha-long/", server.url)];
    assert_eq!(
        site_ld["types"],
        serde_json::json!([
            "http://schema.org/TouristAttraction",
            "http://schema.org/LandmarksOrHistoricalBuildings"
        ]),
        "{site_ld}"
    );
    assert_eq!(site_ld["inLanguage"], "vi");
    assert_eq!(site_ld["name"], "Vịnh Hạ Long");
    assert_eq!(site_ld["geo"], serde_json::json!([20.91, 107.18]));
    let photo_ld = &ld[&format!("{}/zh-Hans/assets/{HA_LONG_PHOTO}/", server.url)];
    assert_eq!(photo_ld["inLanguage"], "zh-Hans");
    assert!(
        photo_ld["types"]
            .as_array()
            .unwrap()
            .contains(&Value::from("http://schema.org/ImageObject"))
    );
    assert_eq!(photo_ld["geo"], serde_json::json!([20.91, 107.18]), "{photo_ld}");
    assert_eq!(
        photo_ld["image"],
        format!("{BASE}/og/zh-Hans/assets/{HA_LONG_PHOTO}.jpg"),
        "share image under the base URL"
    );
    let model_ld = &ld[&format!("{}/en/assets/{MODEL}/", server.url)];
    assert_eq!(model_ld["types"], serde_json::json!(["http://schema.org/3DModel"]));
    let scripted_ld = &ld[&format!("{}/vi/assets/{SCRIPTED}/", server.url)];
    assert_eq!(
        scripted_ld["name"], "<script>alert(1)</script> Ảnh thử",
        "inert, and still the title"
    );

    // hreflang alternates are reciprocal: each translation names the page back.
    let alternates = report["alternates"].as_object().unwrap();
    let local = |u: &str| u.replacen(BASE, &server.url, 1);
    let mut pairs = 0;
    for (url, alts) in alternates {
        for alt in alts.as_array().unwrap() {
            // x-default included: the home pages and the language choice name each other.
            let target = local(alt[1].as_str().unwrap());
            if &target == url {
                continue;
            }
            let back = alternates
                .get(&target)
                .unwrap_or_else(|| panic!("{url} names {target}, which was not crawled"));
            assert!(
                back.as_array()
                    .unwrap()
                    .iter()
                    .any(|b| local(b[1].as_str().unwrap()) == *url),
                "{target} does not name {url} back"
            );
            pairs += 1;
        }
    }
    assert!(pairs > 100, "{pairs} hreflang pairs");

    // Share images: 1200×630, the picture under the title.
    let og = open_image(f.site.join(format!("og/vi/assets/{PANO}.jpg")))
        .unwrap()
        .to_rgb8();
    assert_eq!(og.dimensions(), (1200, 630));
    let qr = open_image(f.site.join("qr/en/sites/vinh-ha-long.png")).unwrap();
    assert_eq!(qr.width(), qr.height());
    // Phone (390×844) and desktop (1440×900) screenshots, kept as references in tests/web/reference (looked at
    // when written; `DISAN_UPDATE_REFERENCES=1` writes them again after a deliberate change). Compared at a
    // quarter of the size, so font hinting and tile timing do not count and a broken layout does.
    let refs = repo().join("tests/web/reference");
    let update = std::env::var_os("DISAN_UPDATE_REFERENCES").is_some();
    let shots = report["shots"].as_array().unwrap();
    assert_eq!(shots.len(), 8, "{shots:?}");
    for name in shots {
        let name = name.as_str().unwrap();
        let now = open_image(keep.join(name)).unwrap().to_rgb8();
        let reference = refs.join(name.replace(".png", ".jpg"));
        if update {
            std::fs::create_dir_all(&refs).unwrap();
            std::fs::write(&reference, disan_imaging::encode_jpeg(&now, 80).unwrap()).unwrap();
            continue;
        }
        let then = open_image(&reference)
            .unwrap_or_else(|e| panic!("{}: {e} (DISAN_UPDATE_REFERENCES=1 writes it)", reference.display()))
            .to_rgb8();
        assert_eq!(now.dimensions(), then.dimensions(), "{name}");
        let quarter = |img: &image::RgbImage| {
            image::imageops::resize(
                img,
                img.width() / 4,
                img.height() / 4,
                image::imageops::FilterType::Triangle,
            )
        };
        let d = mean_abs_diff(&quarter(&now), &quarter(&then));
        eprintln!("{name}: mean difference {d:.1} from its reference");
        assert!(d < 12.0, "{name} looks unlike {} ({d:.1})", reference.display());
    }
    eprintln!("screenshots and reports: {}", keep.display());
}

/// A model's picture cut to the model's extent (its darker-than-the-backdrop pixels, 0.5–99.5 percentiles of
/// their positions) and resampled to 32×32.
fn model_extent(img: &image::RgbImage) -> image::RgbImage {
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for (x, y, p) in img.enumerate_pixels() {
        if p.0.iter().map(|&c| u32::from(c)).sum::<u32>() < 3 * 170 {
            xs.push(x);
            ys.push(y);
        }
    }
    assert!(xs.len() > 1000, "no model in the picture");
    xs.sort_unstable();
    ys.sort_unstable();
    let at = |v: &[u32], q: f64| v[((v.len() - 1) as f64 * q) as usize];
    let (x0, x1, y0, y1) = (at(&xs, 0.005), at(&xs, 0.995), at(&ys, 0.005), at(&ys, 0.995));
    let cut = image::imageops::crop_imm(img, x0, y0, x1 - x0 + 1, y1 - y0 + 1).to_image();
    image::imageops::resize(&cut, 32, 32, image::imageops::FilterType::Triangle)
}

/// Rebuilds write only what changed; an asset that leaves `published` leaves the site; a build that fails
/// leaves the last site whole.
#[test]
fn rebuilds_are_incremental_and_a_failed_build_changes_nothing() {
    let f = fixture();
    let work = tempfile::tempdir().unwrap();
    let collection = work.path().join("c");
    copy_tree(&f.collection, &collection);
    let site = work.path().join("site");
    let build = |c: &Path| build_site(c, &site);
    let first = build(&collection);
    assert_eq!(first["written"], first["files"]);
    let again = build(&collection);
    assert_eq!(
        again["written"], 0,
        "a rebuild with nothing changed writes nothing: {again}"
    );
    assert_eq!(again["removed"], 0);
    // Tiles are hard links to the collection's files, not copies.
    let tile = all_files(&site.join(format!("media/{PANO}/pano/1")))[0].clone();
    let rel = tile.strip_prefix(site.join(format!("media/{PANO}"))).unwrap();
    let original = collection.join(format!("assets/{PANO}")).join(rel);
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        assert_eq!(
            std::fs::metadata(&tile).unwrap().ino(),
            std::fs::metadata(&original).unwrap().ino(),
            "tile {} is not a hard link",
            tile.display()
        );
    }
    // One title changes: the pages that show it are rewritten, not the site.
    cli(&collection, &["meta", "set", MODEL, "title.en=A helmet, renamed"]);
    let changed = build(&collection);
    let written = changed["written"].as_u64().unwrap();
    assert!(written > 0 && written < 40, "{changed}");
    assert!(
        std::fs::read_to_string(site.join(format!("en/assets/{MODEL}/index.html")))
            .unwrap()
            .contains("A helmet, renamed")
    );
    // Withdrawn: its pages, media, share images and QR codes go, and so does its sitemap entry.
    cli(&collection, &["state", MODEL, "withdrawn"]);
    let withdrawn = build(&collection);
    assert!(withdrawn["removed"].as_u64().unwrap() > 10, "{withdrawn}");
    for l in ["vi", "en", "zh-Hans"] {
        assert!(!site.join(format!("{l}/assets/{MODEL}")).exists());
        assert!(!site.join(format!("og/{l}/assets/{MODEL}.jpg")).exists());
    }
    assert!(!site.join(format!("media/{MODEL}")).exists());
    let sitemap = std::fs::read_to_string(site.join("sitemap.xml")).unwrap();
    assert!(!sitemap.contains(MODEL));
    for l in ["vi", "en", "zh-Hans"] {
        let index = std::fs::read_to_string(site.join(format!("{l}/search.json"))).unwrap();
        assert!(!index.contains(MODEL), "{l}/search.json");
    }

    // A build that fails (a panorama's configuration damaged) names the file and changes nothing.
    let before = snapshot(&site);
    let config = collection.join(format!("assets/{PANO}/pano/config.json"));
    let good = std::fs::read(&config).unwrap();
    cli(
        &collection,
        &["meta", "set", PANO, "title.en=Renamed before the failure"],
    );
    // Replaced by a rename, as Disan writes files (the site's hard link keeps the old file).
    let tmp = config.with_extension("tmp");
    std::fs::write(&tmp, b"{ not json").unwrap();
    std::fs::rename(&tmp, &config).unwrap();
    let out = run(disan(&collection).args(["web", "build", "--out", site.to_str().unwrap(), "--base-url", BASE]));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("config.json"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let after = snapshot(&site);
    let changed: Vec<_> = after.iter().filter(|x| !before.contains(x)).map(|x| &x.0).collect();
    assert!(
        changed.is_empty() && after.len() == before.len(),
        "the failed build touched the site: {changed:?}"
    );
    std::fs::write(&tmp, good).unwrap();
    std::fs::rename(&tmp, &config).unwrap();
    let repaired = build(&collection);
    assert!(repaired["written"].as_u64().unwrap() > 0);
    assert!(
        std::fs::read_to_string(site.join(format!("en/assets/{PANO}/index.html")))
            .unwrap()
            .contains("Renamed before the failure")
    );
    // Only the published languages asked for; an unknown one is refused.
    let out = run(disan(&collection).args(["web", "build", "--out", site.to_str().unwrap(), "--lang", "vi,fr"]));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"fr\""));
}

fn copy_tree(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from).into_iter().filter_map(Result::ok) {
        let dest = to.join(e.path().strip_prefix(from).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else if e.file_type().is_file() {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// `disan share` (issue 23, first part): posts for a panorama, a photo and a model in three languages; a draft
/// and an unknown id are reported, and the rest is made.
#[test]
fn share_makes_posts_of_published_assets_and_reports_the_rest() {
    let f = fixture();
    let work = tempfile::tempdir().unwrap();
    // (A published asset has a title in every language the catalogue requires: `share` refuses a language
    // without one, but no published asset here can lack one.)
    let collection = f.collection.clone();
    let out = work.path().join("posts");
    let run_share = |args: &[&str]| {
        let o = run(disan(&collection)
            .args(["share", "--out"])
            .arg(&out)
            .args(["--base-url", BASE, "--json"])
            .args(args));
        assert!(
            !String::from_utf8_lossy(&o.stderr).contains("panicked"),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        (o.status.code(), serde_json::from_slice::<Value>(&o.stdout).unwrap())
    };
    let (code, report) = run_share(&[
        PANO,
        HA_LONG_PHOTO,
        MODEL,
        DRAFT,
        "ffffffff",
        "--formats",
        "link,square,portrait,pano360",
    ]);
    assert_eq!(code, Some(2), "some items failed: {report}");
    let items = report["items"].as_array().unwrap();
    let error = |id: &str, lang: &str| {
        items
            .iter()
            .find(|i| i["id"] == id && i["lang"] == lang)
            .and_then(|i| i["error"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(error(DRAFT, "").contains("not published"), "{report}");
    assert!(error("ffffffff", "").contains("no asset ffffffff"), "{report}");
    assert_eq!(
        (report["made"].as_u64(), report["failed"].as_u64()),
        (Some(9), Some(2)),
        "{report}"
    );
    // Nothing of the draft, nothing left half-written.
    let mut top: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    let mut expected = vec![PANO.to_owned(), HA_LONG_PHOTO.to_owned(), MODEL.to_owned()];
    expected.sort();
    assert_eq!(top, expected);

    // The titled images, at the platforms' sizes, with the title drawn in white over the darkened bottom.
    for (name, size) in [
        ("link.jpg", (1200, 630)),
        ("square.jpg", (1080, 1080)),
        ("portrait.jpg", (1080, 1350)),
    ] {
        for id in [PANO, HA_LONG_PHOTO, MODEL] {
            let img = open_image(out.join(id).join("vi").join(name)).unwrap().to_rgb8();
            assert_eq!(img.dimensions(), size, "{id} {name}");
            let (w, h) = size;
            let white = |y0: u32, y1: u32| {
                (y0..y1)
                    .flat_map(|y| (0..w).map(move |x| (x, y)))
                    .filter(|&(x, y)| img.get_pixel(x, y).0.iter().all(|&c| c > 235))
                    .count()
            };
            let text = white(h * 3 / 4, h);
            assert!(text > 1500, "{id} {name}: {text} white pixels where the title is");
        }
    }
    // Posts: title, description, credit, the page on the website, in each language.
    let post = std::fs::read_to_string(out.join(HA_LONG_PHOTO).join("vi/post.txt")).unwrap();
    let meta = run(disan(&collection).args(["meta", "get", HA_LONG_PHOTO, "--json"]));
    let meta: Value = serde_json::from_slice(&meta.stdout).unwrap();
    let title_vi = meta["metadata"]["title"]["vi"].as_str().unwrap_or_default().to_owned();
    assert!(!title_vi.is_empty(), "{meta}");
    assert!(post.starts_with(&format!("{title_vi}\n")), "{post}");
    assert!(post.contains(&format!("{BASE}/vi/assets/{HA_LONG_PHOTO}/")), "{post}");
    let post_zh = std::fs::read_to_string(out.join(PANO).join("zh-Hans/post.txt")).unwrap();
    assert!(post_zh.contains(&format!("{BASE}/zh-Hans/assets/{PANO}/")), "{post_zh}");

    // The 360° photo: 2:1, at most 6000 wide, GPano tags as exiftool reads them, and the sphere as the source
    // panorama shows it (the source turned half a way round is the control).
    let pano = out.join(PANO).join("en/pano-360.jpg");
    let tags = ok(run(Command::new("exiftool").args(["-json", "-G", "-n"]).arg(&pano)));
    let tags: Value = serde_json::from_str(&tags).unwrap();
    let t = &tags[0];
    assert_eq!(t["XMP:ProjectionType"], "equirectangular", "{t}");
    assert_eq!(t["XMP:UsePanoramaViewer"], true, "{t}");
    let width = t["File:ImageWidth"].as_u64().unwrap();
    assert_eq!(t["XMP:FullPanoWidthPixels"].as_u64(), Some(width), "{t}");
    assert_eq!(t["File:ImageHeight"].as_u64(), Some(width / 2), "{t}");
    assert!(width <= 6000, "{t}");
    assert_eq!(t["EXIF:Software"], "Disan", "{t}");
    let made = open_image(&pano).unwrap().to_rgb8();
    let source = open_image(repo().join("assets/samples/panoramas/aframe-louvre-gpano.jpg"))
        .unwrap()
        .to_rgb8();
    let (w, h) = (512, 256);
    let small = |img: &image::RgbImage| image::imageops::resize(img, w, h, image::imageops::FilterType::Triangle);
    let (made, source) = (small(&made), small(&source));
    let turned = image::RgbImage::from_fn(w, h, |x, y| *source.get_pixel((x + w / 2) % w, y));
    let (d, control) = (mean_abs_diff(&made, &source), mean_abs_diff(&made, &turned));
    eprintln!("share: 360° photo {d:.1} from the source panorama, {control:.1} from it turned round");
    assert!(d < 6.0 && d * 2.5 < control, "{d:.1} vs {control:.1}");

    // A whole site, one language, one format.
    let out_site = work.path().join("site-posts");
    let o = run(disan(&collection)
        .args([
            "share",
            "--site",
            "demo-arezzo",
            "--lang",
            "vi",
            "--formats",
            "link",
            "--json",
            "--out",
        ])
        .arg(&out_site));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["made"], 5, "{report}");
    for item in report["items"].as_array().unwrap() {
        let files = item["files"].as_array().unwrap();
        assert_eq!(files.len(), 2, "{item}");
        assert!(out_site.join(files[0].as_str().unwrap()).is_file(), "{item}");
    }
}

/// ffprobe's view of a video's stream.
fn probe(path: &Path) -> Value {
    let o = ok(run(Command::new("ffprobe")
        .args(["-v", "error", "-print_format", "json", "-show_streams", "-show_format"])
        .arg(path)));
    serde_json::from_str(&o).unwrap()
}

/// Frame `n` of a video, decoded by ffmpeg.
fn frame_of(video: &Path, n: u32, png: &Path) -> image::RgbImage {
    ok(run(Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(video)
        .args(["-vf", &format!("select=eq(n\\,{n})"), "-frames:v", "1"])
        .arg(png)));
    open_image(png).unwrap().to_rgb8()
}

/// The top-level boxes of an MP4, in order.
fn top_boxes(bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at + 8 <= bytes.len() {
        let size = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        out.push(String::from_utf8_lossy(&bytes[at + 4..at + 8]).into_owned());
        assert!(size >= 8, "box size {size} at {at}");
        at += size;
    }
    out
}

/// `disan share ARGS --seconds 4 --json --out OUT` on `collection`: its exit code and its report. Nothing of a
/// panic or of OpenH264's own logging may reach the terminal.
fn share_json(collection: &Path, args: &[&str], out: &Path) -> (Option<i32>, Value) {
    let o = run(disan(collection)
        .arg("share")
        .args(args)
        .args(["--seconds", "4", "--json", "--out"])
        .arg(out));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!stderr.contains("panicked") && !stderr.contains("OpenH264"), "{stderr}");
    let report: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    (o.status.code(), report)
}

/// `disan share`'s videos (issue 23): pans, a 360° video, a photo zoom, a turntable and a tour's walk-through,
/// read back by ffprobe, ffmpeg and exiftool; a frame from the middle of a pan matches `disan render`.
#[test]
fn share_makes_videos_the_platforms_accept() {
    let f = fixture();
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("videos");
    let (code, report) = share_json(
        &f.collection,
        &[
            PANO,
            HA_LONG_PHOTO,
            MODEL,
            DRAFT,
            "--tour",
            "demo-tour",
            "--tour",
            "no-such-tour",
            "--lang",
            "vi",
            "--formats",
            "pan,video360,zoom,turntable,walk,captions",
        ],
        &out,
    );
    assert_eq!(code, Some(2), "{report}");
    assert_eq!(
        (report["made"].as_u64(), report["failed"].as_u64()),
        (Some(4), Some(2)),
        "{report}"
    );
    let vi = |key: &str| out.join(key).join("vi");
    let expected: [(&Path, &str, (u64, u64), f64); 9] = [
        (&vi(PANO), "pan-16x9.mp4", (1920, 1080), 4.0),
        (&vi(PANO), "pan-9x16.mp4", (1080, 1920), 4.0),
        (&vi(PANO), "pano-360.mp4", (3840, 1920), 4.0),
        (&vi(HA_LONG_PHOTO), "zoom-16x9.mp4", (1920, 1080), 4.0),
        (&vi(HA_LONG_PHOTO), "zoom-9x16.mp4", (1080, 1920), 4.0),
        (&vi(MODEL), "turntable-16x9.mp4", (1920, 1080), 4.0),
        (&vi(MODEL), "turntable-9x16.mp4", (1080, 1920), 4.0),
        (&vi("tour-demo-tour"), "walk-16x9.mp4", (1920, 1080), 10.0),
        (&vi("tour-demo-tour"), "walk-9x16.mp4", (1080, 1920), 10.0),
    ];
    for (dir, name, (w, h), seconds) in expected {
        let path = dir.join(name);
        let p = probe(&path);
        let s = &p["streams"][0];
        assert_eq!(p["streams"].as_array().unwrap().len(), 1, "{name}: {p}");
        assert_eq!(s["codec_name"], "h264", "{name}: {s}");
        assert!(s["profile"] == "High" || s["profile"] == "Main", "{name}: {s}");
        assert_eq!(s["pix_fmt"], "yuv420p", "{name}: {s}");
        assert_eq!(
            (s["width"].as_u64(), s["height"].as_u64()),
            (Some(w), Some(h)),
            "{name}"
        );
        assert_eq!(
            (s["r_frame_rate"].as_str(), s["avg_frame_rate"].as_str()),
            (Some("30/1"), Some("30/1")),
            "{name}: {s}"
        );
        assert_eq!(
            s["nb_frames"].as_str().unwrap().parse::<f64>().unwrap(),
            seconds * 30.0,
            "{name}: {s}"
        );
        let duration: f64 = p["format"]["duration"].as_str().unwrap().parse().unwrap();
        assert!((duration - seconds).abs() < 0.05, "{name}: {duration}");
        assert_eq!(s["color_space"], "bt709", "{name}: {s}");
        // Fast start: the index before the samples.
        let boxes = top_boxes(&std::fs::read(&path).unwrap());
        let (moov, mdat) = (
            boxes.iter().position(|b| b == "moov"),
            boxes.iter().position(|b| b == "mdat"),
        );
        assert!(moov.unwrap() < mdat.unwrap(), "{name}: {boxes:?}");
        // Every frame decodes.
        ok(run(Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(&path)
            .args(["-f", "null", "-"])));
    }
    // The 360° video carries the spherical metadata, as ffprobe and exiftool read it.
    let pano_video = vi(PANO).join("pano-360.mp4");
    let side = probe(&pano_video)["streams"][0]["side_data_list"].to_string();
    assert!(
        side.contains("Spherical Mapping") && side.contains("equirectangular"),
        "{side}"
    );
    let tags = ok(run(Command::new("exiftool").args(["-json", "-G"]).arg(&pano_video)));
    let tags: Value = serde_json::from_str(&tags).unwrap();
    let t = &tags[0];
    assert_eq!(t["XMP:ProjectionType"], "equirectangular", "{t}");
    assert_eq!(t["QuickTime:Stereoscopic3D"], "Monoscopic", "{t}");
    assert_eq!(t["QuickTime:MetadataSource"], "Disan", "{t}");
    // The middle of the 16:9 pan (frame 60 of 120 looks at yaw 0) is `disan render`'s view; the same view
    // 40° on is the control. The top third only: the title lies over the bottom.
    let frame = frame_of(&vi(PANO).join("pan-16x9.mp4"), 60, &work.path().join("mid.png"));
    let render = |yaw: &str| {
        let png = work.path().join(format!("render{yaw}.png"));
        ok(run(disan(&f.collection)
            .args([
                "render",
                PANO,
                "--yaw",
                yaw,
                "--pitch",
                "0",
                "--hfov",
                "90",
                "--size",
                "1920x1080",
                "--out",
            ])
            .arg(&png)));
        open_image(&png).unwrap().to_rgb8()
    };
    let top = |img: &image::RgbImage| image::imageops::crop_imm(img, 0, 0, 1920, 360).to_image();
    let (d, control) = (
        mean_abs_diff(&top(&frame), &top(&render("0"))),
        mean_abs_diff(&top(&frame), &top(&render("40"))),
    );
    eprintln!("share: the pan's middle frame {d:.2} from disan render, {control:.2} from the view 40° on");
    assert!(d < 4.0 && d * 4.0 < control, "{d:.2} vs {control:.2}");
    // The title card (frame 30: the title at full strength) against its reference: the bottom-left text area.
    let card = frame_of(&vi(PANO).join("pan-16x9.mp4"), 30, &work.path().join("card.png"));
    let text = image::imageops::crop_imm(&card, 0, 780, 1200, 300).to_image();
    let reference = repo().join("tests/web/reference/share-title-card-vi.jpg");
    if std::env::var_os("DISAN_UPDATE_REFERENCES").is_some() {
        std::fs::write(&reference, disan_imaging::encode_jpeg(&text, 85).unwrap()).unwrap();
    }
    let then = open_image(&reference).unwrap().to_rgb8();
    let d = mean_abs_diff(&text, &then);
    let blank = mean_abs_diff(&image::imageops::crop_imm(&card, 0, 0, 1200, 300).to_image(), &then);
    eprintln!("share: title card {d:.2} from its reference, the card's top {blank:.2}");
    assert!(d < 4.0 && d * 3.0 < blank, "{d:.2} vs {blank:.2}");
    // Frame 108 of the turntable's 120 (3.6 s: the title has faded out, the credit not begun, so nothing lies
    // over it) is `disan render`'s view of the model from yaw 30° + 324°, 20° above; the view 90° on is the
    // control. Both shapes come from one square drawing: the 9:16 frame's middle square is the 16:9 frame's.
    let wide = frame_of(
        &vi(MODEL).join("turntable-16x9.mp4"),
        108,
        &work.path().join("tt-wide.png"),
    );
    let tall = frame_of(
        &vi(MODEL).join("turntable-9x16.mp4"),
        108,
        &work.path().join("tt-tall.png"),
    );
    let model_view = |yaw: &str| {
        let png = work.path().join(format!("model{yaw}.png"));
        ok(run(disan(&f.collection)
            .args([
                "render",
                MODEL,
                "--yaw",
                yaw,
                "--pitch",
                "20",
                "--size",
                "1920x1080",
                "--out",
            ])
            .arg(&png)));
        open_image(&png).unwrap().to_rgb8()
    };
    let square = |img: &image::RgbImage, x: u32, y: u32| image::imageops::crop_imm(img, x, y, 1080, 1080).to_image();
    let (d, control) = (
        mean_abs_diff(&wide, &model_view("354")),
        mean_abs_diff(&square(&wide, 420, 0), &square(&model_view("84"), 420, 0)),
    );
    let shapes = mean_abs_diff(&square(&wide, 420, 0), &square(&tall, 0, 420));
    eprintln!(
        "share: the turntable's frame 108 {d:.2} from disan render ({control:.2} from the view 90° on), \
         9:16 against 16:9 {shapes:.2}"
    );
    if d >= 2.0 || shapes >= 2.0 || control < 4.0 * d.max(shapes) {
        let keep = keep_images("turntable-shapes", &square(&tall, 0, 420), &square(&wide, 420, 0));
        panic!(
            "{d:.2}, {shapes:.2} vs {control:.2}; the 9:16 and 16:9 squares in {}",
            keep.display()
        );
    }
    // Captions in both formats, in the asset's language.
    let srt = std::fs::read_to_string(vi(PANO).join("captions.srt")).unwrap();
    let vtt = std::fs::read_to_string(vi(PANO).join("captions.vtt")).unwrap();
    assert!(srt.starts_with("1\n00:00:00,000 --> "), "{srt}");
    assert!(vtt.starts_with("WEBVTT\n\n00:00:00.000 --> "), "{vtt}");
    assert!(srt.contains("Ảnh toàn cảnh") && vtt.contains("Ảnh toàn cảnh"), "{srt}");
    let walk = std::fs::read_to_string(vi("tour-demo-tour").join("captions.vtt")).unwrap();
    assert!(walk.lines().filter(|l| l.contains(" --> ")).count() >= 3, "{walk}");
    // The draft and the unknown tour are reported; nothing of them is written.
    let errors: Vec<String> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["error"].as_str().map(str::to_owned))
        .collect();
    assert!(errors.iter().any(|e| e.contains("not published")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("no-such-tour")), "{errors:?}");
    let mut top_dirs: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    top_dirs.sort();
    let mut want = vec![
        PANO.to_owned(),
        HA_LONG_PHOTO.to_owned(),
        MODEL.to_owned(),
        "tour-demo-tour".to_owned(),
    ];
    want.sort();
    assert_eq!(top_dirs, want);
}

/// A model shared in two languages (its turntables are drawn once for both, `share_video::turntables`): both
/// get them, the frames without text match and each has its own title.
#[test]
fn share_draws_a_turntable_once_for_every_language() {
    let f = fixture();
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("videos");
    let (code, report) = share_json(
        &f.collection,
        &[MODEL, "--lang", "vi,en", "--formats", "turntable"],
        &out,
    );
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["made"], 2, "{report}");
    let frame = |lang: &str, n: u32| {
        frame_of(
            &out.join(MODEL).join(lang).join("turntable-16x9.mp4"),
            n,
            &work.path().join(format!("{lang}{n}.png")),
        )
    };
    // Frame 108 (3.6 s) has no text over it: the same drawing in both languages, encoded apart.
    let same = mean_abs_diff(&frame("vi", 108), &frame("en", 108));
    // Frame 30 carries each language's title over the bottom.
    let bottom = |img: &image::RgbImage| image::imageops::crop_imm(img, 0, 780, 1200, 300).to_image();
    let titles = mean_abs_diff(&bottom(&frame("vi", 30)), &bottom(&frame("en", 30)));
    eprintln!("share: the turntable in vi and en: frame 108 {same:.2} apart, the title cards {titles:.2}");
    assert!(same < 1.0 && titles > 4.0 * same.max(0.25), "{same:.2} vs {titles:.2}");
    for lang in ["vi", "en"] {
        assert!(out.join(MODEL).join(lang).join("turntable-9x16.mp4").is_file());
    }
}

/// Every file of a site with its bytes' hash and its inode's change time.
/// A video's sound as ffmpeg decodes it: mono 32-bit float samples at 48 kHz.
fn sound_of(path: &Path) -> Vec<f32> {
    let o = run(Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-vn", "-ac", "1", "-ar", "48000", "-f", "f32le", "-"]));
    assert!(
        o.status.success() && o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect()
}

/// Where `clip` (its first half second) lies in `track` between `from` and `to` samples: the best lag and its
/// normalised correlation.
fn find_clip(track: &[f32], clip: &[f32], from: usize, to: usize) -> (usize, f64) {
    let n = 24_000.min(clip.len());
    let norm = |x: &[f32]| x.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>().sqrt();
    let clip_norm = norm(&clip[..n]);
    (from..to.min(track.len().saturating_sub(n)))
        .map(|lag| {
            let win = &track[lag..lag + n];
            let dot: f64 = win
                .iter()
                .zip(&clip[..n])
                .map(|(a, b)| f64::from(*a) * f64::from(*b))
                .sum();
            (lag, dot / (norm(win) * clip_norm).max(1e-12))
        })
        .fold((0, f64::MIN), |best, c| if c.1 > best.1 { c } else { best })
}

/// Narration in `disan share`'s videos (issue 23): a video in a language with a narration carries it as an AAC
/// sound track, heard from one second in (sample-accurate, as ffmpeg decodes it), and grows to hold it; a
/// tour's walk-through tells each scene's narration while the scene shows; a language without narration gets
/// no sound track.
#[test]
fn share_videos_carry_the_narration_in_its_language() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let collection = dir.path().join("c");
    copy_tree(&f.collection, &collection);
    // Vietnamese recordings (espeak-ng speech) for the panorama and for its scene in the tour.
    let speak = |name: &str, text: &str| {
        let wav = dir.path().join(name);
        ok(run(Command::new("espeak-ng")
            .args(["-v", "vi", "-w"])
            .arg(&wav)
            .arg(text)));
        wav.to_str().unwrap().to_owned()
    };
    let asset_wav = speak("thuyet-minh.wav", "Chào mừng quý khách đến với vịnh Hạ Long.");
    let scene_wav = speak(
        "canh.wav",
        "Từ đây quý khách nhìn thấy hàng nghìn hòn đảo đá vôi nhô lên giữa làn nước xanh.",
    );
    cli(&collection, &["audio", "add", PANO, "--lang", "vi", &asset_wav]);
    cli(
        &collection,
        &[
            "audio",
            "add",
            &format!("tour:demo-tour/{PANO}"),
            "--lang",
            "vi",
            &scene_wav,
        ],
    );
    let list: Value = serde_json::from_str(&cli(&collection, &["audio", "list", "--json"])).unwrap();
    let record = |kind: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|e| e["lang"] == "vi" && (e["target"][kind] == PANO || e["target"][kind]["scene"] == PANO))
            .unwrap_or_else(|| panic!("{kind} in {list}"))
            .clone()
    };
    let asset_narration = record("Asset");
    let scene_narration = record("Scene");
    let told = asset_narration["record"]["seconds"].as_f64().unwrap();
    let scene_told = scene_narration["record"]["seconds"].as_f64().unwrap();
    assert!(told > 1.5 && scene_told > 3.5, "{list}");

    let out = dir.path().join("posts");
    let share = |args: &[&str]| {
        let (code, report) = share_json(&collection, args, &out);
        assert_eq!(code, Some(0), "{report}");
        assert_eq!(report["failed"], 0, "{report}");
    };
    share(&[PANO, "--lang", "vi,en", "--formats", "pan,video360,captions"]);
    share(&["--tour", "demo-tour", "--lang", "vi,en", "--formats", "walk"]);

    // The pan in Vietnamese: one second, the narration, a second and a half; in whole frames.
    let want = ((1.0 + told + 1.5) * 30.0).ceil();
    let vi_pan = out.join(PANO).join("vi/pan-16x9.mp4");
    let p = probe(&vi_pan);
    let streams = p["streams"].as_array().unwrap();
    assert_eq!(streams.len(), 2, "{p}");
    let video = streams.iter().find(|s| s["codec_type"] == "video").unwrap();
    let audio = streams.iter().find(|s| s["codec_type"] == "audio").unwrap();
    let frames: f64 = video["nb_frames"].as_str().unwrap().parse().unwrap();
    assert!(
        frames > 120.0 && (frames - want).abs() <= 3.0,
        "{frames} frames for {told} s of narration"
    );
    assert_eq!(audio["codec_name"], "aac", "{audio}");
    assert_eq!(audio["profile"], "LC", "{audio}");
    assert_eq!(audio["sample_rate"], "48000", "{audio}");
    assert_eq!(audio["channels"], 2, "{audio}");
    let audio_seconds: f64 = audio["duration"].as_str().unwrap().parse().unwrap();
    assert!(
        audio_seconds <= frames / 30.0 + 0.001 && audio_seconds > frames / 30.0 - 0.05,
        "sound {audio_seconds} s, video {} s",
        frames / 30.0
    );
    assert!(
        top_boxes(&std::fs::read(&vi_pan).unwrap())
            .iter()
            .position(|b| b == "moov")
            < top_boxes(&std::fs::read(&vi_pan).unwrap())
                .iter()
                .position(|b| b == "mdat")
    );
    // The narration is heard from 1.000 s, as ffmpeg decodes both files; silence before it.
    let sound = sound_of(&vi_pan);
    let clip = sound_of(&collection.join(asset_narration["record"]["file"].as_str().unwrap()));
    let (lag, corr) = find_clip(&sound, &clip, 48_000 - 4_800, 48_000 + 4_800);
    eprintln!("share: the narration found {lag} samples in (48000 wanted), correlation {corr:.3}");
    assert!(lag.abs_diff(48_000) <= 48, "{lag}");
    assert!(corr > 0.9, "{corr}");
    // Silence before it, and for more than a second at the end (the narration fits, the credit shows).
    let loudest = |x: &[f32]| x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert!(loudest(&sound[..40_000]) < 0.01, "{}", loudest(&sound[..40_000]));
    let end = sound.len();
    assert!(
        loudest(&sound[end - 62_000..]) < 0.01,
        "{}",
        loudest(&sound[end - 62_000..])
    );
    assert!(loudest(&sound[48_000..96_000]) > 0.1);
    // The 9:16 pan says the same; the 360° video has the Vietnamese sound and the length it needs.
    let tall = probe(&out.join(PANO).join("vi/pan-9x16.mp4"));
    assert_eq!(tall["streams"].as_array().unwrap().len(), 2, "{tall}");
    let vi_360 = probe(&out.join(PANO).join("vi/pano-360.mp4"));
    assert_eq!(vi_360["streams"].as_array().unwrap().len(), 2, "{vi_360}");
    // English has no narration: no sound track and the length asked for; its 360° video is the same video.
    let en_pan = probe(&out.join(PANO).join("en/pan-16x9.mp4"));
    assert_eq!(en_pan["streams"].as_array().unwrap().len(), 1, "{en_pan}");
    assert_eq!(en_pan["streams"][0]["nb_frames"], "120", "{en_pan}");
    let en_360 = probe(&out.join(PANO).join("en/pano-360.mp4"));
    assert_eq!(en_360["streams"].as_array().unwrap().len(), 1, "{en_360}");
    let frames_of = |p: &Value| {
        p["streams"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["codec_type"] == "video")
            .unwrap()["nb_frames"]
            .clone()
    };
    assert_eq!(frames_of(&en_360), frames_of(&vi_360));
    // The captions end with the longer video.
    let vtt = std::fs::read_to_string(out.join(PANO).join("vi/captions.vtt")).unwrap();
    let last_end = vtt
        .lines()
        .filter_map(|l| l.split(" --> ").nth(1))
        .next_back()
        .unwrap()
        .to_owned();
    let secs = |t: &str| {
        let p: Vec<f64> = t.split(':').map(|x| x.parse().unwrap()).collect();
        p[0] * 3600.0 + p[1] * 60.0 + p[2]
    };
    assert!((secs(&last_end) - frames / 30.0).abs() < 0.05, "{last_end}");

    // The walk-through: its panorama scene lasts long enough for the scene's draft voice, heard 0.5 s into it.
    let tour_scenes: Value = serde_json::from_str(&cli(&collection, &["tour", "show", "demo-tour", "--json"])).unwrap();
    let scene_index = tour_scenes["scenes"]
        .as_array()
        .unwrap()
        .iter()
        .position(|s| s["asset"] == PANO)
        .unwrap();
    let walk = out.join("tour-demo-tour/vi/walk-16x9.mp4");
    let p = probe(&walk);
    assert_eq!(p["streams"].as_array().unwrap().len(), 2, "{p}");
    let scene_len = (0.5 + scene_told + 1.0 + 0.5).max(5.0);
    let walk_frames: f64 = frames_of(&p).as_str().unwrap().parse().unwrap();
    let others = 5.0 * (tour_scenes["scenes"].as_array().unwrap().len() - 1) as f64;
    assert!(
        (walk_frames / 30.0 - (scene_len + others)).abs() < 0.1,
        "{walk_frames} frames; scene {scene_len} s + {others} s"
    );
    let start = if scene_index == 0 {
        0.5
    } else {
        5.0 * scene_index as f64 + 0.5
    };
    let sound = sound_of(&walk);
    let clip = sound_of(&collection.join(scene_narration["record"]["file"].as_str().unwrap()));
    let at = (start * 48_000.0) as usize;
    let (lag, corr) = find_clip(&sound, &clip, at.saturating_sub(4_800), at + 4_800);
    eprintln!("share: the scene's narration found at {lag} (wanted {at}), correlation {corr:.3}");
    assert!(lag.abs_diff(at) <= 48 && corr > 0.9, "{lag} vs {at}: {corr}");
    assert!(scene_len > 5.0, "the scene grows to hold its narration");
    // English has no narration: its walk is drawn apart from the Vietnamese one (its scenes are shorter),
    // five seconds a scene and silent.
    let en_walk = probe(&out.join("tour-demo-tour/en/walk-16x9.mp4"));
    assert_eq!(en_walk["streams"].as_array().unwrap().len(), 1, "{en_walk}");
    let en_frames: f64 = frames_of(&en_walk).as_str().unwrap().parse().unwrap();
    assert!(
        (en_frames / 30.0 - 5.0 * tour_scenes["scenes"].as_array().unwrap().len() as f64).abs() < 0.1,
        "{en_frames} frames"
    );
}

fn snapshot(dir: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = all_files(dir)
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&p).unwrap();
            (rel, blake3::hash(&bytes).to_hex().to_string())
        })
        .collect();
    out.sort();
    out
}

/// A raw HTTP request to the server: the status line and headers, and the body.
fn http(server: &Server, request: &str) -> (String, Vec<u8>) {
    let addr = server.url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut all = Vec::new();
    s.read_to_end(&mut all).unwrap();
    let split = all.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    (
        String::from_utf8_lossy(&all[..split]).into_owned(),
        all[split + 4..].to_vec(),
    )
}

#[test]
fn disan_web_serve_serves_the_site_and_nothing_else() {
    let f = fixture();
    let server = Server::start(&f.site);
    let get = |path: &str, extra: &str| {
        http(
            &server,
            &format!("GET {path} HTTP/1.1\r\nHost: x\r\n{extra}Connection: close\r\n\r\n"),
        )
    };
    let (head, body) = get("/vi/", "");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("Content-Type: text/html; charset=utf-8"), "{head}");
    assert!(head.contains("Cache-Control: no-cache"), "{head}");
    assert!(String::from_utf8_lossy(&body).contains("<html lang=\"vi\">"));
    let (head, _) = get("/vi", "");
    assert!(
        head.starts_with("HTTP/1.1 301") && head.contains("Location: /vi/"),
        "{head}"
    );
    let glb = format!("/media/{MODEL}/model/model.glb");
    let (head, body) = get(&glb, "Range: bytes=0-11\r\n");
    assert!(head.starts_with("HTTP/1.1 206"), "{head}");
    assert!(head.contains("Content-Type: model/gltf-binary"), "{head}");
    assert!(head.contains("Content-Range: bytes 0-11/"), "{head}");
    assert!(head.contains("Cache-Control: public, max-age=86400"), "{head}");
    assert_eq!(&body[..4], b"glTF");
    assert_eq!(body.len(), 12);
    let (head, _) = get(&glb, "Range: bytes=999999999-\r\n");
    assert!(head.starts_with("HTTP/1.1 416"), "{head}");
    let (head, _) = get("/static/draco/draco_decoder.wasm", "");
    assert!(head.contains("Content-Type: application/wasm"), "{head}");
    let etag = head.lines().find_map(|l| l.strip_prefix("ETag: ")).unwrap().to_owned();
    let (head, _) = get(
        "/static/draco/draco_decoder.wasm",
        &format!("If-None-Match: {etag}\r\n"),
    );
    assert!(head.starts_with("HTTP/1.1 304"), "{head}");
    let (head, body) = http(&server, "HEAD /vi/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert!(head.starts_with("HTTP/1.1 200") && body.is_empty(), "{head}");
    // Nothing outside the folder, however the path is written.
    for path in [
        "/../demo/catalog.sqlite",
        "/%2e%2e/demo/catalog.sqlite",
        "/vi/..%2f..%2fdemo%2fcatalog.sqlite",
    ] {
        let (head, _) = get(path, "");
        assert!(head.starts_with("HTTP/1.1 403"), "{path}: {head}");
    }
    let (head, body) = get("/nothing/here.html", "");
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    assert!(String::from_utf8_lossy(&body).contains("404"));
    let (head, _) = http(&server, "DELETE /vi/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert!(head.starts_with("HTTP/1.1 405"), "{head}");
    // Keep-alive: two requests on one connection.
    let (head, body) = http(
        &server,
        "GET /robots.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /robots.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        String::from_utf8_lossy(&body).contains("HTTP/1.1 200"),
        "second answer on the same connection"
    );
}

/// Lighthouse 12 (mobile settings) on the home page and a panorama page: accessibility, SEO and best
/// practices ≥ 95. Performance is reported (docs/BENCHMARKS.md), not gated.
#[test]
fn lighthouse_scores_the_site() {
    let f = fixture();
    let server = Server::start(&f.site);
    let keep = keep_dir("lighthouse");
    let lighthouse = web_dir().join("node_modules/lighthouse/cli/index.js");
    assert!(lighthouse.is_file(), "run `npm ci` in tests/web (.ci/run does)");
    for (name, path) in [("home", "/vi/".to_owned()), ("pano", format!("/en/assets/{PANO}/"))] {
        let report = keep.join(format!("{name}.json"));
        let profile = tempfile::tempdir().unwrap();
        let out = run(Command::new("node")
            .arg(&lighthouse)
            .arg(format!("{}{path}", server.url))
            .args([
                "--output=json",
                "--quiet",
                "--only-categories=accessibility,seo,best-practices,performance",
                "--chrome-flags=--headless --no-sandbox --disable-gpu --disable-background-networking --use-angle=swiftshader --enable-unsafe-swiftshader",
            ])
            .arg(format!("--output-path={}", report.display()))
            .env("CHROME_PATH", "/usr/bin/chromium")
            .env("TMPDIR", profile.path()));
        ok(out);
        let r: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
        let score = |c: &str| r["categories"][c]["score"].as_f64().unwrap_or(0.0) * 100.0;
        eprintln!(
            "lighthouse {name}: accessibility {:.0}, SEO {:.0}, best practices {:.0}, performance {:.0}",
            score("accessibility"),
            score("seo"),
            score("best-practices"),
            score("performance")
        );
        for c in ["accessibility", "seo", "best-practices"] {
            let failing: Vec<String> = r["categories"][c]["auditRefs"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|a| {
                    let audit = &r["audits"][a["id"].as_str()?];
                    (audit["score"].as_f64() == Some(0.0)).then(|| a["id"].as_str().unwrap().to_owned())
                })
                .collect();
            assert!(score(c) >= 95.0, "{name}: {c} {} (failing: {failing:?})", score(c));
        }
    }
}

/// ffmpeg's own EBU R128 meter (the `ebur128` filter) on a file: integrated loudness, LUFS.
fn ffmpeg_lufs(path: &Path) -> f64 {
    let out = run(Command::new("ffmpeg")
        .args(["-hide_banner", "-nostats", "-i"])
        .arg(path)
        .args(["-af", "ebur128", "-f", "null", "-"]));
    let err = String::from_utf8_lossy(&out.stderr);
    let summary = err.rsplit("Summary:").next().unwrap();
    let i = summary
        .lines()
        .find_map(|l| l.trim().strip_prefix("I:"))
        .unwrap_or_else(|| panic!("{err}"));
    i.trim().trim_end_matches("LUFS").trim().parse().unwrap()
}

/// Narration (issue 24, items 1, 2 and 5): recordings in any accepted format are stored loudness-normalised as
/// MP3 beside the kept original, draft voices are synthesised and marked, every change is a revision that
/// undo reverses, bad input is refused per item with nothing saved, and the website's pages play it in
/// headless Chromium.
#[test]
fn narration_is_normalised_revised_and_plays_on_the_website() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let collection = dir.path().join("c");
    copy_tree(&f.collection, &collection);
    let media = dir.path().join("media");
    std::fs::create_dir_all(&media).unwrap();

    // A Vietnamese recording (espeak-ng speech, made quiet, stereo AAC in M4A as a phone records it).
    let wav = media.join("raw.wav");
    ok(run(Command::new("espeak-ng").args(["-v", "vi", "-w"]).arg(&wav).arg(
        "Chào mừng quý khách đến với vịnh Hạ Long, di sản thiên nhiên thế giới.",
    )));
    let m4a = media.join("thuyết minh.m4a");
    ok(run(Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(&wav)
        .args(["-af", "volume=-15dB", "-ac", "2", "-ar", "44100", "-c:a", "aac"])
        .arg(&m4a)));
    let source_lufs = ffmpeg_lufs(&m4a);
    assert!(source_lufs < -28.0, "{source_lufs}");

    let added: Value = serde_json::from_str(&cli(
        &collection,
        &["audio", "add", PANO, "--lang", "vi", m4a.to_str().unwrap(), "--json"],
    ))
    .unwrap();
    assert_eq!(added["draft"], false);
    assert_eq!(added["source_codec"], "AAC");
    let web = collection.join(added["file"].as_str().unwrap());
    let original = collection.join(added["original"].as_str().unwrap());
    assert!(
        web.starts_with(collection.join(format!("assets/{PANO}/audio"))),
        "{web:?}"
    );
    assert_eq!(
        std::fs::read(&original).unwrap(),
        std::fs::read(&m4a).unwrap(),
        "the original is kept as given"
    );
    // Independent tools: ffprobe sees mono MP3 of the same length; ffmpeg's meter reads the target loudness.
    let probe: Value = serde_json::from_slice(
        &run(Command::new("ffprobe")
            .args(["-v", "error", "-print_format", "json", "-show_streams", "-show_format"])
            .arg(&web))
        .stdout,
    )
    .unwrap();
    assert_eq!(probe["streams"][0]["codec_name"], "mp3", "{probe}");
    assert_eq!(probe["streams"][0]["channels"], 1, "{probe}");
    let dur: f64 = probe["format"]["duration"].as_str().unwrap().parse().unwrap();
    let seconds = added["seconds"].as_f64().unwrap();
    assert!((dur - seconds).abs() < 0.1, "{dur} vs {seconds}");
    let lufs = ffmpeg_lufs(&web);
    assert!((lufs + 16.0).abs() <= 1.0, "stored narration at {lufs} LUFS");
    assert!(
        (added["lufs"].as_f64().unwrap() - lufs).abs() < 0.5,
        "{added} vs ffmpeg {lufs}"
    );

    // Draft voices in English and Chinese (espeak-ng en, cmn), for the scene of the tour and its hotspot too.
    let out = cli(
        &collection,
        &[
            "audio",
            "draft",
            PANO,
            &format!("tour:demo-tour/{PANO}"),
            &format!("tour:demo-tour/{PANO}/info-1"),
            "--lang",
            "vi,en,zh-Hans",
        ],
    );
    assert!(out.contains(&format!("{PANO} vi: has a recording; kept")), "{out}");
    let list: Value = serde_json::from_str(&cli(&collection, &["audio", "list", "--json"])).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 9, "{list:?}");
    for e in list {
        let draft = e["record"]["draft"].as_bool().unwrap();
        assert_eq!(draft, !(e["lang"] == "vi" && e["target"]["Asset"] == PANO), "{e}");
        if draft {
            assert!(e["record"]["voice"].as_str().unwrap().starts_with("espeak-ng "), "{e}");
            let path = collection.join(e["record"]["file"].as_str().unwrap());
            let l = ffmpeg_lufs(&path);
            assert!((l + 16.0).abs() <= 1.0, "{e}: {l}");
        }
    }

    // Bad input: each refused with the file and the reason, nothing saved, nothing written.
    let before = cli(&collection, &["audio", "list", "--json"]);
    let files_before = all_files(&collection.join("assets")).len();
    let text = media.join("notes.mp3");
    std::fs::write(&text, "Ghi chú: đây là văn bản, không phải âm thanh.\n".repeat(50)).unwrap();
    let mp3 = media.join("cut.mp3");
    ok(run(Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(&wav)
        .args(["-c:a", "libmp3lame"])
        .arg(&mp3)));
    let bytes = std::fs::read(&mp3).unwrap();
    std::fs::write(&mp3, &bytes[..bytes.len() / 2]).unwrap();
    let missing = media.join("missing.wav");
    let cases: [(&[&str], &str); 6] = [
        (
            &["audio", "add", PANO, "--lang", "en", text.to_str().unwrap()],
            "notes.mp3: not a recording",
        ),
        (
            &["audio", "add", PANO, "--lang", "en", mp3.to_str().unwrap()],
            "cut.mp3: truncated",
        ),
        (
            &["audio", "add", PANO, "--lang", "en", missing.to_str().unwrap()],
            "missing.wav",
        ),
        (
            &["audio", "add", PANO, "--lang", "fr", m4a.to_str().unwrap()],
            "does not use language \"fr\"",
        ),
        (
            &[
                "audio",
                "add",
                PANO,
                "--lang",
                "en",
                m4a.to_str().unwrap(),
                "--max-seconds",
                "1",
            ],
            "too long",
        ),
        (
            &[
                "audio",
                "add",
                "tour:demo-tour/no-such-scene",
                "--lang",
                "en",
                m4a.to_str().unwrap(),
            ],
            "no scene",
        ),
    ];
    for (args, expect) in cases {
        let out = run(disan(&collection).args(["--author", "test"]).args(args));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(expect), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "one line, no log noise: {err}");
    }
    cli(&collection, &["audio", "drafts", "off"]);
    let out = run(disan(&collection).args(["audio", "draft", MODEL, "--lang", "vi"]));
    assert!(String::from_utf8_lossy(&out.stderr).contains("turned off"));
    cli(&collection, &["audio", "drafts", "on"]);
    // A draft for a text that does not exist fails for that item only; the others are made.
    let out = run(disan(&collection).args(["audio", "draft", MODEL, "0000", "--lang", "vi"]));
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("0000"));
    cli(&collection, &["audio", "remove", MODEL, "--lang", "vi"]);
    assert_eq!(cli(&collection, &["audio", "list", "--json"]), before);
    let _ = files_before;

    // Every change is a revision: undo the English draft of the panorama, and it is gone.
    let history: Value = serde_json::from_str(&cli(&collection, &["history", PANO, "--json"])).unwrap();
    let en = history
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|r| r["field"] == "audio" && r["lang"] == "en")
        .unwrap_or_else(|| panic!("{history}"));
    cli(&collection, &["undo", &en["id"].to_string()]);
    let list: Value = serde_json::from_str(&cli(&collection, &["audio", "list", "--json"])).unwrap();
    assert!(
        !list
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["target"]["Asset"] == PANO && e["lang"] == "en")
    );
    cli(&collection, &["audio", "draft", PANO, "--lang", "en"]);

    // The website: the panorama's page plays its narration in each language; the drafts say so.
    let site = dir.path().join("site");
    build_site(&collection, &site);
    let page = std::fs::read_to_string(site.join(format!("vi/assets/{PANO}/index.html"))).unwrap();
    assert!(page.contains("<audio controls"), "{page}");
    assert!(!page.contains("draft-voice"));
    let server = Server::start(&site);
    let paths: Vec<String> = ["vi", "en", "zh-Hans"]
        .iter()
        .map(|l| format!("/{l}/assets/{PANO}/"))
        .collect();
    let keep = keep_dir("narration");
    let out = ok(run(Command::new("node")
        .arg(web_dir().join("audio-check.cjs"))
        .arg(&server.url)
        .arg(serde_json::to_string(&paths).unwrap())
        .arg("/vi/tours/demo-tour/")
        .arg(keep.join("guide-vi.png"))));
    std::fs::write(keep.join("report.json"), &out).unwrap();
    let report: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(report["errors"], serde_json::json!([]), "{report}");
    assert_eq!(report["failed"], serde_json::json!([]), "{report}");
    for (p, lang) in paths.iter().zip(["vi", "en", "zh-Hans"]) {
        let r = &report["pages"][p];
        let a = &r["audio"][0];
        assert_eq!(r["audio"].as_array().unwrap().len(), 1, "{p}: {r}");
        assert!(a["played"].as_bool().unwrap(), "{p}: {r}");
        let rec = list_record(&collection, PANO, lang);
        assert!(
            (a["duration"].as_f64().unwrap() - rec).abs() < 0.15,
            "{p}: {r} vs {rec}"
        );
        assert_eq!(r["draft"].is_string(), lang != "vi", "{p}: {r}");
    }
    assert_eq!(
        report["pages"]["/vi/assets/77ae41663658b94a/"]["heading"],
        "Thuyết minh"
    );
    assert!(
        report["pages"]["/zh-Hans/assets/77ae41663658b94a/"]["draft"]
            .as_str()
            .unwrap()
            .contains("草稿")
    );

    // The narrated tour player (item 3) on the website: started from the keyboard it plays the first scene's
    // narration with its text as caption, skips to the information point (turning to it, caption in
    // Vietnamese), then by itself follows the link to the next scene; pause stops it.
    check_guide(&report["guide"], "/media/narration/tours/demo-tour/audio/");

    // The same player in both tour exports, with the narration copied into each.
    drop(server);
    for format in ["pannellum", "marzipano"] {
        let export = dir.path().join(format!("export-{format}"));
        cli(
            &collection,
            &[
                "tour",
                "export",
                "demo-tour",
                "--format",
                format,
                "--out",
                export.to_str().unwrap(),
                "--lang",
                "vi",
            ],
        );
        let mp3s = std::fs::read_dir(export.join("audio")).unwrap().count();
        assert_eq!(mp3s, 2, "{format}: the scene's and the information point's narration");
        let server = Server::start(&export);
        let out = ok(run(Command::new("node")
            .arg(web_dir().join("audio-check.cjs"))
            .arg(&server.url)
            .arg("[]")
            .arg("/index.html")
            .arg(keep.join(format!("guide-{format}-vi.png")))));
        let report: Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(report["errors"], serde_json::json!([]), "{format}: {report}");
        assert_eq!(report["failed"], serde_json::json!([]), "{format}: {report}");
        check_guide(&report["guide"], "audio/");
    }
}

/// A JSON array of numbers.
fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

/// The narrated tour player's run (audio-check.cjs) on the demo tour: started from the keyboard it plays the
/// first scene's narration (from `src_part`) with its text as caption, skips to the information point (the
/// view turned to it, its Vietnamese text as caption), then by itself follows the link to the next scene;
/// pause stops it.
fn check_guide(g: &Value, src_part: &str) {
    let first = &g["first"];
    assert_eq!(first["index"], 0, "{g}");
    assert_eq!(first["scene"], PANO, "{g}");
    assert!(
        first["playing"].as_bool().unwrap() && first["time"].as_f64().unwrap() > 0.3,
        "{g}"
    );
    assert!(first["src"].as_str().unwrap().contains(src_part), "{g}");
    assert!(first["status"].as_str().unwrap().contains("Bước 1/"), "{g}");
    let second = &g["second"];
    assert_eq!(second["index"], 1, "{g}");
    assert!(
        second["caption"].as_str().unwrap().contains("Kéo để nhìn quanh."),
        "{g}"
    );
    assert!(second["time"].as_f64().unwrap() > 0.3, "{g}");
    assert!(
        (second["yaw"].as_f64().unwrap() + 30.0).abs() < 3.0,
        "turned to the hotspot: {g}"
    );
    assert_eq!(g["next"]["scene"], "7e06a335ccf80399", "followed the link: {g}");
    assert!(
        !g["paused"]["playing"].as_bool().unwrap() && g["paused"]["paused"].as_bool().unwrap(),
        "{g}"
    );
}

/// The length of `asset`'s narration in `lang`, as the catalogue holds it.
fn list_record(collection: &Path, asset: &str, lang: &str) -> f64 {
    let list: Value = serde_json::from_str(&cli(collection, &["audio", "list", "--json"])).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .find(|e| e["target"]["Asset"] == asset && e["lang"] == lang)
        .unwrap_or_else(|| panic!("{list:?}"))["record"]["seconds"]
        .as_f64()
        .unwrap()
}

/// `disan story` on the demo helmet, then the website and the exports (issue 24, annotated relics): points
/// picked by a pixel of a view (ray cast against the full mesh) or typed in (must lie on the surface); bad
/// input refused with one error line and nothing saved; in headless Chromium each annotation's title flies
/// model-viewer to the saved view, where every pin lands within 2 px of where `disan render --annotation
/// --pins` draws it and is shown or hidden as in our render; the page passes axe-core; the IIIF manifest
/// round-trips the annotations through iiif-prezi3 and the schema.org export through PyLD.
#[test]
fn a_relic_story_pins_the_same_pixels_in_disan_render_and_on_the_website() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let collection = dir.path().join("c");
    copy_tree(&f.collection, &collection);
    let keep = keep_dir("story");
    let json = |args: &[&str]| -> Value {
        let mut a = args.to_vec();
        a.push("--json");
        serde_json::from_str(&cli(&collection, &a)).unwrap()
    };
    let story = || json(&["story", "list", MODEL]);
    // 1: the centre of the default 800×600 view; 2: seen from the left; 3: typed in, a little off the surface.
    let a1 = json(&[
        "story",
        "add",
        MODEL,
        "--pixel",
        "400,300",
        "--size",
        "800x600",
        "--title",
        "vi=Kính che mặt",
        "--title",
        "en=The visor",
        "--title",
        "zh-Hans=面罩",
        "--text",
        "vi=Kính che mặt trầy xước sau nhiều năm sử dụng.",
        "--text",
        "en=The visor, scratched by years of use.",
    ]);
    assert_eq!(
        (a1["number"].as_u64(), a1["annotation"]["id"].as_str()),
        (Some(1), Some("a1"))
    );
    let a2 = json(&[
        "story",
        "add",
        MODEL,
        "--pixel",
        "330,330",
        "--size",
        "800x600",
        "--yaw",
        "-40",
        "--pitch",
        "5",
        "--title",
        "vi=Ống thở",
        "--title",
        "en=Breathing tube",
        "--title",
        "zh-Hans=呼吸管",
    ]);
    let p2 = floats(&a2["annotation"]["position"]);
    let n2 = floats(&a2["annotation"]["normal"]);
    let typed = format!(
        "{},{},{}",
        p2[0] + n2[0] * 0.003,
        p2[1] + n2[1] * 0.003,
        p2[2] + n2[2] * 0.003
    );
    let a3 = json(&[
        "story",
        "add",
        MODEL,
        "--point",
        &typed,
        "--id",
        "tube-end",
        "--at",
        "2",
        "--title",
        "vi=Đầu ống",
        "--title",
        "en=End of the tube",
    ]);
    let p3 = floats(&a3["annotation"]["position"]);
    let off: f64 = p3.iter().zip(&p2).map(|(a, b)| (a - b).powi(2)).sum::<f64>().sqrt();
    assert!(off < 0.003, "snapped onto the surface near the typed point: {off}");
    assert_eq!(a3["number"], 2);
    let order: Vec<String> = story()
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(order, ["a1", "tube-end", "a2"]);

    // Bad input: one error line each, exit status 1, the story unchanged.
    let before = story();
    let photo = HA_LONG_PHOTO;
    for (args, why) in [
        (
            vec!["story", "add", MODEL, "--point", "0,0,5", "--title", "en=Air"],
            "is not on the model",
        ),
        (
            vec![
                "story", "add", MODEL, "--pixel", "5,5", "--size", "800x600", "--title", "en=Air",
            ],
            "shows the background",
        ),
        (
            vec![
                "story",
                "add",
                MODEL,
                "--pixel",
                "400,300",
                "--size",
                "800x600",
                "--title",
                "fr=Visière",
            ],
            "does not use language \"fr\"",
        ),
        (
            vec!["story", "add", photo, "--pixel", "400,300", "--title", "en=Photo"],
            "only models have annotations",
        ),
        (
            vec![
                "story",
                "add",
                MODEL,
                "--pixel",
                "400,300",
                "--fov",
                "5",
                "--title",
                "en=Narrow",
            ],
            "--fov 5",
        ),
        (
            vec![
                "audio",
                "add",
                &format!("{MODEL}#a1"),
                "--lang",
                "vi",
                "/nonexistent/thuyet-minh.mp3",
            ],
            "thuyet-minh.mp3",
        ),
        (
            vec![
                "audio",
                "add",
                &format!("{MODEL}#a9"),
                "--lang",
                "vi",
                "/nonexistent/a.mp3",
            ],
            "no annotation \"a9\"",
        ),
    ] {
        let out = run(disan(&collection).args(&args));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(err.contains(why), "{args:?}: {err}");
        assert_eq!(err.lines().filter(|l| l.starts_with("error:")).count(), 1, "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    assert_eq!(story(), before, "nothing saved");
    // A draft narration of the first annotation, in Vietnamese.
    cli(&collection, &["audio", "draft", &format!("{MODEL}#a1"), "--lang", "vi"]);

    // Where our renderer puts each pin in each annotation's view.
    let (w, h) = (800, 600);
    let ours: Vec<Value> = order
        .iter()
        .map(|id| {
            let png = keep.join(format!("render-{id}.png"));
            json(&[
                "render",
                MODEL,
                "--annotation",
                id,
                "--pins",
                "--size",
                "800x600",
                "--out",
                png.to_str().unwrap(),
            ])
        })
        .collect();
    for (id, r) in order.iter().zip(&ours) {
        let me = r["pins"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id.as_str())
            .unwrap();
        assert_eq!(
            me["visible"], true,
            "an annotation's own pin is seen from its view: {r}"
        );
    }

    let site = dir.path().join("site");
    build_site(&collection, &site);
    let html = std::fs::read_to_string(site.join(format!("vi/assets/{MODEL}/index.html"))).unwrap();
    assert!(
        html.contains("slot=\"hotspot-tube-end\"") && html.contains("Câu chuyện hiện vật"),
        "{html}"
    );
    let server = Server::start(&site);
    let out = ok(run(Command::new("node")
        .arg(web_dir().join("story-check.cjs"))
        .arg(&server.url)
        .arg(format!("/vi/assets/{MODEL}/"))
        .arg(w.to_string())
        .arg(h.to_string())
        .arg(keep.join("website-a1.png"))));
    std::fs::write(keep.join("report.json"), &out).unwrap();
    let report: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(report["errors"], serde_json::json!([]), "{report}");
    assert_eq!(report["failed"], serde_json::json!([]), "{report}");
    assert_eq!(report["axe"], serde_json::json!([]), "{report}");
    let views = report["views"].as_array().unwrap();
    assert_eq!(views.len(), 3, "{report}");
    let saved = story();
    let mut compared = 0;
    for (i, ((view, r), a)) in views.iter().zip(&ours).zip(saved.as_array().unwrap()).enumerate() {
        assert_eq!(view["annotation"], a["id"], "{view}");
        assert_eq!(view["size"], serde_json::json!([w, h]), "{view}");
        // model-viewer ended on the saved camera.
        let v = &a["view"];
        let close = |x: &Value, y: f64, tol: f64| (x.as_f64().unwrap() - y).abs() < tol;
        assert!(close(&view["fov"], v["fov"].as_f64().unwrap(), 1e-3), "{view} vs {v}");
        assert!(
            close(&view["orbit"]["radius"], v["distance"].as_f64().unwrap(), 1e-4),
            "{view} vs {v}"
        );
        assert!(
            close(&view["orbit"]["phi"], 90.0 - v["pitch"].as_f64().unwrap(), 1e-3),
            "{view} vs {v}"
        );
        assert!(
            view["status"]
                .as_str()
                .unwrap()
                .starts_with(&format!("Điểm {}/3", i + 1)),
            "{view}"
        );
        for web in view["pins"].as_array().unwrap() {
            let mine = r["pins"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["id"] == web["id"])
                .unwrap();
            let (dx, dy) = (
                web["x"].as_f64().unwrap() - mine["x"].as_f64().unwrap(),
                web["y"].as_f64().unwrap() - mine["y"].as_f64().unwrap(),
            );
            if mine["visible"] == true {
                assert!(
                    dx.hypot(dy) <= 2.0,
                    "pin {} in view {}: website {web} vs disan render {mine}",
                    web["id"],
                    a["id"]
                );
                assert_eq!(web["shown"], true, "pin {} in view {}: {web}", web["id"], a["id"]);
                compared += 1;
            } else {
                assert_eq!(
                    web["shown"], false,
                    "pin {} hidden by disan render in view {}: {web}",
                    web["id"], a["id"]
                );
            }
        }
    }
    assert!(compared >= 4, "{compared} pins compared");
    assert_eq!(
        report["next"]["annotation"], "a1",
        "next after the last wraps to the first: {report}"
    );

    // The exports, read back by outside libraries.
    cli(&collection, &["export", "iiif"]);
    cli(&collection, &["export", "jsonld"]);
    let checked = {
        let script = repo().join("tests/py/exports_check.py");
        let out = run(Command::new("python3").arg(script).arg(collection.join("exports")));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let anns = checked["manifests"][MODEL]["annotations"].as_array().unwrap();
    assert_eq!(anns.len(), 3, "{checked}");
    for (back, a) in anns.iter().zip(saved.as_array().unwrap()) {
        assert!(
            back["id"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/annotations/{}", a["id"].as_str().unwrap()))
        );
        assert_eq!(back["motivation"], "describing");
        assert_eq!(back["point"], a["position"], "{back}");
        for (lang, t) in a["title"].as_object().unwrap() {
            assert_eq!(back["label"][lang][0], *t, "{back}");
        }
        assert!(
            back["source"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/assets/{MODEL}/model/model.glb"))
        );
    }
    let bodies = anns[0]["bodies"].as_array().unwrap();
    assert!(
        bodies.iter().any(|b| b["type"] == "TextualBody"
            && b["language"] == "vi"
            && b["value"].as_str().unwrap().contains("trầy xước")),
        "{bodies:?}"
    );
    assert!(
        bodies
            .iter()
            .any(|b| b["type"] == "Sound" && b["language"] == "vi" && b["format"] == "audio/mpeg"),
        "{bodies:?}"
    );
    let comments: u64 = checked["jsonld"]
        .as_object()
        .unwrap()
        .values()
        .map(|s| s["comments"].as_u64().unwrap())
        .sum();
    assert_eq!(comments, 3, "{checked}");

    // Removing an annotation removes its narration; undo brings the annotation back.
    cli(&collection, &["story", "remove", MODEL, "a1"]);
    let list: Value = serde_json::from_str(&cli(&collection, &["audio", "list", "--json"])).unwrap();
    assert!(!list.to_string().contains("annotation"), "{list}");
    assert_eq!(story().as_array().unwrap().len(), 2);
}
