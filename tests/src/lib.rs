//! Helpers for Disan's end-to-end tests: where the binary and the test data are, temporary
//! collections, and snapshots of a collection to compare runs by.
//!
//! Every test works in its own temporary folder and never writes beside the fixtures.

pub mod catalog_fixture;
pub mod hostile;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `../shared/testdata` beside the repository (or `DISAN_TESTDATA`).
pub fn testdata(rel: &str) -> PathBuf {
    let root = std::env::var_os("DISAN_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata"));
    let p = root.join(rel);
    assert!(
        p.exists(),
        "test data {} is missing: set DISAN_TESTDATA to shared/testdata",
        p.display()
    );
    p
}

/// The `disan` binary built by `cargo test --workspace` (beside this test's own executable).
pub fn disan_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe.parent().and_then(Path::parent).expect("target/<profile>/deps");
    let bin = dir.join(format!("disan{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} not built: run `cargo test --workspace` (or `cargo build -p disan_cli`)",
        bin.display()
    );
    bin
}

/// A `disan` command on `collection`.
pub fn disan(collection: &Path) -> Command {
    let mut cmd = Command::new(disan_bin());
    cmd.arg("--collection")
        .arg(collection)
        .env_remove("DISAN_COLLECTION")
        // Headless, as on a server: Mesa must print nothing (issue 20, "no stray lines").
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("NODEVICE_SELECT")
        .env("RUST_BACKTRACE", "1");
    cmd
}

/// Runs `disan ingest <inputs> --json` and returns the exit code and the parsed run report.
pub fn ingest(collection: &Path, inputs: &[&Path], extra: &[&str]) -> (i32, serde_json::Value, String) {
    let out = disan(collection)
        .arg("ingest")
        .args(inputs)
        .args(extra)
        .arg("--json")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "disan panicked:\n{stderr}");
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e}); status {:?}\nstdout: {}\nstderr: {stderr}",
            out.status,
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (out.status.code().unwrap_or(-1), report, stderr)
}

/// An input folder of real photos: the eight EXIF orientations, an 8 MP iPhone photo and an 8 MP Jolla photo
/// (both big enough for deep-zoom pyramids with `--iiif-min-size 3000`), and with `photoprism` its
/// GPS and date oddities too.
pub fn photo_input(photoprism: bool) -> tempfile::TempDir {
    let input = tempfile::tempdir().unwrap();
    copy_dir(&testdata("photos/orientation"), &input.path().join("orientation"));
    if photoprism {
        copy_dir(&testdata("photos/photoprism"), &input.path().join("photoprism"));
    }
    std::fs::copy(testdata("photos/iphone_hdr_YES.jpg"), input.path().join("iphone.jpg")).unwrap();
    std::fs::copy(testdata("photos/jolla.jpg"), input.path().join("jolla.jpg")).unwrap();
    input
}

/// Runs a command to the end and returns its output with its peak resident memory in KiB (`VmHWM` from
/// `/proc`, read every 10 ms while it runs, so a spike in its last milliseconds may be missed).
pub fn run_measured(cmd: &mut Command) -> (Output, u64) {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let pipe = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            r.read_to_end(&mut buf).unwrap();
            buf
        })
    };
    let stdout = pipe(Box::new(child.stdout.take().unwrap()));
    let stderr = pipe(Box::new(child.stderr.take().unwrap()));
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if let Ok(text) = std::fs::read_to_string(&status_file)
            && let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak = peak.max(kib);
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    let out = Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    (out, peak)
}

/// Every asset the catalogue lists is complete on disk, and the catalogue file is sound.
pub fn assert_consistent(collection: &Path) {
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

/// Output of any disan command, asserting it did not panic.
pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "disan panicked:\n{stderr}");
    out
}

/// The files of a collection (path → BLAKE3), leaving out what legitimately differs between two runs
/// over the same input: run reports, the catalogue file (compared through [`catalog_snapshot`]) and the
/// lock file.
pub fn tree_snapshot(collection: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    walk(collection, collection, &mut out);
    out
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        let rel = p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
        if rel == "runs" || rel.starts_with("catalog.sqlite") || rel == ".disan.lock" || rel == "collection.toml" {
            continue;
        }
        if p.is_dir() {
            walk(root, &p, out);
        } else {
            out.insert(rel, blake3::hash(&std::fs::read(&p).unwrap()).to_hex().to_string());
        }
    }
}

/// The catalogue's assets as `disan list --json` gives them, without the ingest timestamps.
pub fn catalog_snapshot(collection: &Path) -> Vec<serde_json::Value> {
    let out = run(disan(collection).args(["list", "--json"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut assets: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    for a in &mut assets {
        let o = a.as_object_mut().unwrap();
        o.remove("ingested_at");
        o.remove("updated_at");
    }
    assets
}

/// Every file under `dir`, recursively, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Mean absolute difference per channel value of two same-sized RGB images.
pub fn mean_abs_diff(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let sum: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    sum as f64 / a.as_raw().len() as f64
}

/// PSNR in dB of two same-sized RGB images (a very large value for identical ones).
pub fn psnr(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let se: f64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum();
    let mse = se / a.as_raw().len() as f64;
    10.0 * (255.0f64.powi(2) / mse.max(1e-12)).log10()
}

/// Copies a folder tree.
pub fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let p = e.unwrap().path();
        let to = dst.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &to);
        } else {
            std::fs::copy(&p, &to).unwrap();
        }
    }
}

/// Files of a report with a given outcome, by file name.
pub fn outcomes<'a>(report: &'a serde_json::Value, outcome: &str) -> Vec<&'a serde_json::Value> {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["outcome"] == outcome)
        .collect()
}

/// The report entry for the file whose path ends with `name`.
pub fn entry<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with(name))
        .unwrap_or_else(|| panic!("{name} not in the report"))
}

/// A static file server on 127.0.0.1 for browser tests: each `(prefix, folder)` serves `folder` under the URL
/// path `prefix`. It answers until the test process ends. Returns the base URL.
pub fn serve(mounts: Vec<(String, PathBuf)>) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mounts = mounts.clone();
            std::thread::spawn(move || {
                let mut line = String::new();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                if reader.read_line(&mut line).is_err() {
                    return;
                }
                // Drain the headers.
                let mut header = String::new();
                while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                    header.clear();
                }
                let path = line
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or("/")
                    .split('?')
                    .next()
                    .unwrap_or("/");
                let file = mounts.iter().find_map(|(prefix, dir)| {
                    let rest = path.strip_prefix(prefix.as_str())?;
                    (!rest.split('/').any(|c| c == "..")).then(|| dir.join(rest.trim_start_matches('/')))
                });
                let response = match file.and_then(|f| std::fs::read(&f).ok().map(|b| (f, b))) {
                    Some((f, body)) => {
                        let mime = match f.extension().and_then(|e| e.to_str()) {
                            Some("html") => "text/html; charset=utf-8",
                            Some("js") => "text/javascript",
                            Some("css") => "text/css",
                            Some("json") => "application/json",
                            Some("jpg") => "image/jpeg",
                            Some("png") => "image/png",
                            _ => "application/octet-stream",
                        };
                        let mut r = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: {mime}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        )
                        .into_bytes();
                        r.extend_from_slice(&body);
                        r
                    }
                    None => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
                };
                let _ = stream.write_all(&response);
            });
        }
    });
    format!("http://127.0.0.1:{port}")
}

/// Debian's Chromium, headless with software WebGL (SwiftShader): a screenshot of `url` at `width`×`height`
/// after 30 s of (virtual) page time, or up to 120 s while the view still shows missing tiles.
///
/// One Chromium at a time: two at once on a 2-core machine slow tile loading past the page-time budget.
/// Chromium's command, and a guard that keeps to one Chromium at a time (each is memory-hungry).
fn chromium() -> (&'static str, std::sync::MutexGuard<'static, ()>) {
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let chromium = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|c| {
            Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("Chromium is missing: run .ci/run, which installs Debian's chromium package");
    (chromium, turn)
}

/// The page's DOM after its scripts ran for up to `budget_ms` of virtual time (headless Chromium's
/// `--dump-dom`).
pub fn chromium_dom(url: &str, budget_ms: u32) -> String {
    let (chromium, _turn) = chromium();
    let (mut cmd, _profile) = headless(chromium, budget_ms);
    let out = cmd
        .arg("--window-size=1024,768")
        .arg("--dump-dom")
        .arg(url)
        .stderr(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "chromium failed on {url}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What the page writes to the browser console (errors, CSP violations), one line per message: headless
/// Chromium's own log on stderr, filtered to the page's console.
pub fn chromium_console(url: &str, budget_ms: u32) -> Vec<String> {
    let (chromium, _turn) = chromium();
    let (mut cmd, _profile) = headless(chromium, budget_ms);
    let out = cmd
        .args([
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1024,768",
            "--dump-dom",
        ])
        .arg(url)
        .output()
        .unwrap();
    assert!(out.status.success(), "chromium failed on {url}");
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_owned)
        .collect()
}

pub fn chromium_screenshot(url: &str, width: u32, height: u32, out: &Path) -> image::RgbImage {
    let (chromium, _turn) = chromium();
    // A view still loading shows the pages' black background where tiles are missing: take the screenshot
    // again with more page time (the budget is virtual time, but tile fetches from a busy machine are real).
    let mut shot = None;
    for budget_ms in [30_000, 60_000, 120_000] {
        let img = chromium_run(chromium, url, width, height, out, budget_ms);
        let black = img.pixels().filter(|p| p.0.iter().all(|&c| c <= 2)).count();
        let loaded = black * 100 < img.pixels().len();
        shot = Some(img);
        if loaded {
            break;
        }
    }
    shot.expect("at least one attempt")
}

/// Headless Chromium as root without a GPU (WebGL on SwiftShader), with a fresh profile (kept alive by the
/// returned folder) and `budget_ms` of virtual time for the page.
fn headless(chromium: &str, budget_ms: u32) -> (Command, tempfile::TempDir) {
    let profile = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--use-angle=swiftshader",
        "--enable-unsafe-swiftshader",
    ])
    .arg(format!("--virtual-time-budget={budget_ms}"))
    .arg(format!("--user-data-dir={}", profile.path().display()));
    (cmd, profile)
}

fn chromium_run(chromium: &str, url: &str, width: u32, height: u32, out: &Path, budget_ms: u32) -> image::RgbImage {
    let (mut cmd, _profile) = headless(chromium, budget_ms);
    let status = cmd
        .arg("--hide-scrollbars")
        .arg(format!("--window-size={width},{height}"))
        .arg(format!("--screenshot={}", out.display()))
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "chromium failed on {url}");
    open_image(out).unwrap().into_rgb8()
}

/// Saves a failing comparison's images as `<temp>/disan-<name>/{actual,expected}.png` for a person to look
/// at, and returns the folder.
pub fn keep_images(name: &str, actual: &image::RgbImage, expected: &image::RgbImage) -> PathBuf {
    let keep = std::env::temp_dir().join(format!("disan-{name}"));
    std::fs::create_dir_all(&keep).unwrap();
    actual.save(keep.join("actual.png")).unwrap();
    expected.save(keep.join("expected.png")).unwrap();
    keep
}

/// The web clients installed by `npm ci` in `tests/web` (Pannellum, OpenSeadragon).
pub fn web_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("web");
    for client in [
        "pannellum/build/pannellum.js",
        "openseadragon/build/openseadragon/openseadragon.min.js",
        "gltf-validator/index.js",
    ] {
        assert!(
            dir.join("node_modules").join(client).is_file(),
            "{client} is missing: run `npm ci` in tests/web (.ci/run does)"
        );
    }
    dir
}

/// Runs the Khronos glTF-Validator (npm `gltf-validator`, through tests/web/validate-gltf.cjs) on each
/// file and returns its reports in order.
pub fn khronos_validate(files: &[PathBuf]) -> Vec<serde_json::Value> {
    let web = web_dir();
    let mut all = Vec::new();
    // A few hundred paths per node process keeps the command line short.
    for chunk in files.chunks(200) {
        let out = Command::new("node")
            .arg(web.join("validate-gltf.cjs"))
            .args(chunk)
            .output()
            .expect("node runs (apt-get install nodejs)");
        assert!(
            out.status.success(),
            "gltf-validator failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let reports: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("validator JSON");
        assert_eq!(reports.len(), chunk.len());
        all.extend(reports);
    }
    all
}

/// Panorama views (yaw, pitch, hfov in degrees, as Pannellum means them) that look into every cube face, across
/// face edges and near both poles: the web viewer tests compare each with the source.
pub const VIEWS_INTO_EVERY_FACE: [(f64, f64, f64); 6] = [
    (0.0, 0.0, 90.0),
    (35.0, 12.0, 75.0),
    (-100.0, -25.0, 100.0),
    (180.0, 5.0, 60.0),
    (60.0, 70.0, 90.0),
    (-30.0, -75.0, 90.0),
];

/// Reads an image file for a test to look at, through `disan_imaging`'s one decode entry (the default
/// ingest limits), as Disan reads everything.
pub fn open_image(path: impl AsRef<Path>) -> Result<image::DynamicImage, disan_imaging::ImagingError> {
    let limits = disan_imaging::DecodeLimits::from(&disan_core::Settings::default());
    let bytes = std::fs::read(path.as_ref()).map_err(|e| disan_imaging::ImagingError::Decode(e.into()))?;
    disan_imaging::decode_any(&bytes, &limits)
}

/// A new, empty PostgreSQL database for one test, and its connection string. The server is the one
/// `DISAN_TEST_PG` names (`.ci/run` starts it); without it, `tests/services/postgres.sh` starts a private one
/// (PostgreSQL must be installed: Debian's `postgresql`).
pub fn postgres_db(name: &str) -> String {
    static SERVER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let server = SERVER.get_or_init(|| {
        if let Ok(url) = std::env::var("DISAN_TEST_PG") {
            return url;
        }
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("services/postgres.sh");
        let out = run(Command::new("bash").arg(script).arg("start"));
        assert!(
            out.status.success(),
            "cannot start PostgreSQL for the tests: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        line.trim_start_matches("export DISAN_TEST_PG=").to_owned()
    });
    let db = format!(
        "disan_{name}_{}_{}",
        std::process::id(),
        SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let mut client = postgres::Client::connect(server, postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL at {server}: {e}"));
    client.batch_execute(&format!("DROP DATABASE IF EXISTS {db}")).unwrap();
    client.batch_execute(&format!("CREATE DATABASE {db}")).unwrap();
    let (base, _) = server
        .rsplit_once('/')
        .expect("a connection string ends with /database");
    format!("{base}/{db}")
}

/// The test object store (an S3-compatible server) and a new bucket on it for one test: (endpoint, key,
/// secret, `s3://bucket/prefix`). The server is the one `DISAN_TEST_S3` names (`.ci/run` starts it); without
/// it, `tests/services/s3.sh` starts s3s-fs (installed, or named by `S3S_FS`).
pub fn s3_bucket(name: &str) -> (String, String, String, String) {
    static SERVER: std::sync::OnceLock<(String, String, String)> = std::sync::OnceLock::new();
    static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let (endpoint, key, secret) = SERVER.get_or_init(|| {
        let vars = match std::env::var("DISAN_TEST_S3") {
            Ok(_) => ["DISAN_TEST_S3", "DISAN_TEST_S3_KEY", "DISAN_TEST_S3_SECRET"]
                .map(|v| std::env::var(v).unwrap_or_else(|_| panic!("{v} is not set"))),
            Err(_) => {
                let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("services/s3.sh");
                let out = run(Command::new("bash").arg(script).arg("start"));
                assert!(
                    out.status.success(),
                    "cannot start the test object store: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let line = String::from_utf8_lossy(&out.stdout)
                    .trim()
                    .trim_start_matches("export ")
                    .to_owned();
                let get = |k: &str| {
                    line.split(' ')
                        .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
                        .unwrap_or_else(|| panic!("{k} missing from {line}"))
                        .to_owned()
                };
                [
                    get("DISAN_TEST_S3"),
                    get("DISAN_TEST_S3_KEY"),
                    get("DISAN_TEST_S3_SECRET"),
                ]
            }
        };
        let [a, b, c] = vars;
        (a, b, c)
    });
    let bucket = format!(
        "{}-{}-{}",
        name.replace('_', "-"),
        std::process::id(),
        SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    (
        endpoint.clone(),
        key.clone(),
        secret.clone(),
        format!("s3://{bucket}/collection"),
    )
}
