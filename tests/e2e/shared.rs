//! A shared catalogue on a real PostgreSQL server (issue 25): workers on the queue, one killed mid-run, give
//! the single-machine result; `disan ingest`, `list` and `show` on a shared collection; clear refusals.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use disan_tests::{catalog_snapshot, copy_dir, disan, ingest, postgres_db, run, s3_bucket, testdata, tree_snapshot};

/// The test object store: a new bucket, and `disan` commands that carry its key and secret.
struct Bucket {
    endpoint: String,
    key: String,
    secret: String,
    url: String,
}

impl Bucket {
    fn new(name: &str) -> Self {
        let (endpoint, key, secret, url) = s3_bucket(name);
        Self {
            endpoint,
            key,
            secret,
            url,
        }
    }

    fn disan(&self, collection: &Path) -> Command {
        let mut cmd = disan(collection);
        cmd.env("AWS_ACCESS_KEY_ID", &self.key)
            .env("AWS_SECRET_ACCESS_KEY", &self.secret);
        cmd
    }

    fn init(&self, collection: &Path, catalog: &str) {
        let out = run(self.disan(collection).args([
            "init",
            "--catalog",
            catalog,
            "--storage",
            &self.url,
            "--endpoint",
            &self.endpoint,
        ]));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }

    /// The objects in the bucket under the collection's prefix.
    fn objects(&self) -> Vec<String> {
        let store = disan_store::S3Store::open_with(
            &self.url,
            &self.endpoint,
            "us-east-1",
            disan_store::Credentials::new(self.key.clone(), self.secret.clone()),
        )
        .unwrap();
        store.list("assets").unwrap().into_iter().map(|(k, _)| k).collect()
    }
}

/// The captures both runs ingest: real photos (two HEIC files among them fail), two panoramas, three
/// models, and a photo copied under a path that sorts first (identical bytes: one asset, made from it).
fn inputs(root: &Path) -> std::path::PathBuf {
    let input = root.join("in");
    copy_dir(&testdata("photos"), &input.join("photos"));
    std::fs::create_dir_all(input.join("panos")).unwrap();
    for p in ["aframe-lake.jpg", "pannellum-examplepano.jpg"] {
        std::fs::copy(testdata(&format!("panoramas/{p}")), input.join("panos").join(p)).unwrap();
    }
    std::fs::create_dir_all(input.join("models")).unwrap();
    std::fs::copy(testdata("models/Box.glb"), input.join("models/Box.glb")).unwrap();
    std::fs::copy(
        testdata("models/DamagedHelmet.glb"),
        input.join("models/DamagedHelmet.glb"),
    )
    .unwrap();
    copy_dir(&testdata("models/Duck_glTF"), &input.join("models/Duck_glTF"));
    std::fs::create_dir_all(input.join("0-copies")).unwrap();
    std::fs::copy(testdata("photos/exiftool/GPS.jpg"), input.join("0-copies/GPS.jpg")).unwrap();
    input
}

/// `disan list --json`, with the sites ingest suggested (the last worker to finish suggests them, as a
/// single-machine ingest does at its end).
fn assets(collection: &Path) -> Vec<serde_json::Value> {
    catalog_snapshot(collection)
}

fn worker(bucket: &Bucket, collection: &Path, extra: &[&str]) -> Child {
    bucket
        .disan(collection)
        .args(["worker", "-j", "1", "--no-progress", "--lease-seconds", "2"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn queue_states(url: &str) -> (i64, i64, i64) {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let r = c
        .query_one(
            "SELECT count(*) FILTER (WHERE state = 'done'), count(*) FILTER (WHERE state = 'claimed'),
                    count(*) FILTER (WHERE state = 'failed') FROM ingest_queue",
            &[],
        )
        .unwrap();
    (r.get(0), r.get(1), r.get(2))
}

#[test]
fn three_workers_one_killed_mid_run_give_the_single_machine_result() {
    let root = tempfile::tempdir().unwrap();
    let input = inputs(root.path());

    // The reference: one machine, the embedded catalogue.
    let single = root.path().join("single");
    let (code, _, stderr) = ingest(&single, &[&input], &[]);
    assert_eq!(code, 2, "the HEIC files fail: {stderr}");

    // Many machines: the catalogue on PostgreSQL, the asset files in an object store.
    let url = postgres_db("workers");
    let bucket = Bucket::new("workers");
    let shared = root.path().join("shared");
    bucket.init(&shared, &url);
    let out = run(bucket.disan(&shared).args(["queue", "add"]).arg(&input).arg("--json"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let added: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let queued = added["queued"].as_u64().unwrap();
    assert!(queued >= 60, "{added}");

    // The first worker takes small batches; once it has finished some files, it is frozen (SIGSTOP) at a
    // moment it holds claims, and killed (SIGKILL) there.
    let mut first = worker(&bucket, &shared, &["--batch", "2", "--name", "doomed"]);
    let pid = first.id().to_string();
    let signal = |sig: &str| {
        assert!(Command::new("kill").args([sig, &pid]).status().unwrap().success());
    };
    let t0 = Instant::now();
    loop {
        assert!(
            t0.elapsed() < Duration::from_secs(120),
            "the first worker made no progress"
        );
        assert!(
            first.try_wait().unwrap().is_none(),
            "the first worker finished before it could be killed"
        );
        let (done, _, _) = queue_states(&url);
        if done >= 6 {
            signal("-STOP");
            if queue_states(&url).1 > 0 {
                break;
            }
            signal("-CONT");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    first.kill().unwrap();
    first.wait().unwrap();
    let (done_at_kill, held_at_kill, _) = queue_states(&url);
    assert!(held_at_kill > 0 && (done_at_kill as u64) < queued);

    // Two more workers finish the queue, the dead worker's files included once its leases run out.
    let others = [worker(&bucket, &shared, &[]), worker(&bucket, &shared, &[])];
    for w in others {
        let out = w.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(matches!(out.status.code(), Some(0 | 2)), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let (done, claimed, failed) = queue_states(&url);
    assert_eq!((done + failed) as u64, queued);
    assert_eq!((claimed, failed), (0, 2), "only the two HEIC files fail");
    let status = run(disan(&shared).args(["queue", "status", "--json"]));
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    let files = status["files"].as_array().unwrap();
    assert!(
        files.iter().any(|f| f["attempts"] == 2),
        "some file the killed worker held was claimed again: {status}"
    );
    for f in files.iter().filter(|f| f["state"] == "failed") {
        assert!(f["path"].as_str().unwrap().to_lowercase().ends_with(".heic"), "{f}");
        assert!(f["message"].as_str().unwrap().contains("HEIC"), "{f}");
    }

    // Every asset in the bucket is whole (its manifest is there), and nothing is on the workers' disks.
    let objects = bucket.objects();
    let folders: std::collections::BTreeSet<&str> = objects.iter().map(|k| &k[7..23]).collect();
    for f in &folders {
        assert!(
            objects.contains(&format!("assets/{f}/asset.json")),
            "{f} has no manifest"
        );
    }
    assert!(!shared.join("assets").exists() || tree_snapshot(&shared.join("assets")).is_empty());
    // Mirrored down, the same assets, byte for byte, and the same catalogue rows as the single-machine run.
    let out = run(bucket.disan(&shared).args(["mirror", "--json"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mirrored: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(mirrored["downloaded"].as_u64().unwrap() as usize, folders.len());
    assert_eq!(tree_snapshot(&shared), tree_snapshot(&single));
    let (a, b) = (assets(&shared), assets(&single));
    assert_eq!(a.len(), b.len());
    assert_eq!(a, b);
    // Including the sites suggested from GPS, and the sites themselves.
    assert!(
        a.iter().any(|x| x["site_id"].is_string()),
        "some capture was placed in a site"
    );
    let site_list = |c: &Path| {
        let out = run(disan(c).args(["site", "list", "--all", "--json"]));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        for site in v.as_array_mut().unwrap() {
            site.as_object_mut().unwrap().remove("created_at");
        }
        v
    };
    assert_eq!(site_list(&shared), site_list(&single));
    let copy = a
        .iter()
        .find(|x| x["source_path"].as_str().unwrap().contains("0-copies"))
        .expect("the copy that sorts first made the shared asset");
    assert_eq!(copy["source"]["file_name"], "GPS.jpg");
}

#[test]
fn one_machine_with_its_files_in_an_object_store_gives_the_same_collection() {
    let root = tempfile::tempdir().unwrap();
    let input = root.path().join("in");
    copy_dir(&testdata("photos/exiftool"), &input.join("exiftool"));
    std::fs::copy(testdata("panoramas/aframe-lake.jpg"), input.join("aframe-lake.jpg")).unwrap();
    let local = root.path().join("local");
    let (code, _, stderr) = ingest(&local, &[&input], &[]);
    assert!(matches!(code, 0 | 2), "{stderr}");

    let bucket = Bucket::new("single");
    let col = root.path().join("col");
    bucket.init(&col, "sqlite");
    let out = run(bucket.disan(&col).arg("ingest").arg(&input).arg("--json"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{stderr}");
    let objects = bucket.objects();
    let assets = catalog_snapshot(&col);
    assert_eq!(assets, catalog_snapshot(&local));
    for a in &assets {
        assert!(objects.contains(&format!("assets/{}/asset.json", a["id"].as_str().unwrap())));
    }
    assert!(!col.join("assets").exists() || tree_snapshot(&col.join("assets")).is_empty());
    // Again: nothing is made twice; the quick check asks the store.
    let out = run(bucket.disan(&col).arg("ingest").arg(&input).arg("--json"));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["summary"]["ingested"], 0, "{report}");
    assert_eq!(bucket.objects(), objects);
    let out = run(bucket.disan(&col).arg("mirror"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(tree_snapshot(&col), tree_snapshot(&local));
    // Without the key and secret the store is not reached, and the message says what to set.
    let out = run(disan(&col).arg("ingest").arg(&input));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("AWS_ACCESS_KEY_ID"), "{stderr}");
}

#[test]
fn every_command_works_on_a_shared_catalogue_and_concurrent_edits_conflict() {
    let root = tempfile::tempdir().unwrap();
    let input = root.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    for p in ["exiftool/GPS.jpg", "photoprism/smallFiji.JPG"] {
        std::fs::copy(
            testdata(&format!("photos/{p}")),
            input.join(Path::new(p).file_name().unwrap()),
        )
        .unwrap();
    }
    let url = postgres_db("ingest");
    let col = root.path().join("col");
    assert!(run(disan(&col).args(["init", "--catalog", &url])).status.success());
    let (code, report, stderr) = ingest(&col, &[&input], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["summary"]["ingested"], 2, "{report}");
    // Again: nothing to do, by the quick check against the shared catalogue.
    let (code, report, stderr) = ingest(&col, &[&input], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["summary"]["unchanged"], 2, "{report}");
    let list = catalog_snapshot(&col);
    assert_eq!(list.len(), 2);
    let id = list[0]["id"].as_str().unwrap();
    let out = run(disan(&col).args(["show", &id[..6], "--json"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["id"], id);
    assert!(col.join("assets").join(id).join("asset.json").is_file());

    // Search works on the shared catalogue, diacritic-blind: the GPS photo's EXIF title is not curated text,
    // but its file name is searchable.
    let out = run(disan(&col).args(["search", "smallfiji", "--json"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let hits: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(hits.as_array().unwrap().len(), 1, "{hits}");
    assert_eq!(hits[0]["tier"], "text");
    // Curation works on the shared catalogue as on the embedded one: sites, metadata, workflow, filtered
    // search, history and undo.
    let ok = |out: std::process::Output| {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    let json = |out: std::process::Output| -> serde_json::Value { serde_json::from_slice(&ok(out)).unwrap() };
    ok(run(disan(&col).args([
        "site",
        "create",
        "name.vi=Vịnh Hạ Long",
        "name.en=Ha Long Bay",
        "province=quang-ninh",
        "rank=unesco",
    ])));
    let sites = json(run(disan(&col).args(["site", "list", "--json"])));
    let sites = sites.as_array().unwrap();
    // Ingest suggested a site for each of the two GPS photos (far apart), unconfirmed, beside the new one.
    assert_eq!(sites.iter().filter(|s| s["confirmed"] == false).count(), 2, "{sites:?}");
    assert!(
        sites.iter().any(|s| s["id"] == "vinh-ha-long" && s["rank"] == "unesco"),
        "{sites:?}"
    );
    ok(run(disan(&col).args(["meta", "set", id, "title.vi=Đảo Fiji nhỏ"])));
    ok(run(disan(&col).args(["site", "assign", "vinh-ha-long", id])));
    ok(run(disan(&col).args(["state", id, "in_review"])));
    let hits = json(run(disan(&col).args([
        "search",
        "dao fiji",
        "--rank",
        "unesco",
        "--state",
        "in_review",
        "--json",
    ])));
    assert_eq!(hits.as_array().unwrap().len(), 1, "{hits}");
    assert_eq!(
        (hits[0]["id"].as_str(), hits[0]["tier"].as_str()),
        (Some(id), Some("title"))
    );
    let none = json(run(disan(&col).args([
        "search",
        "dao fiji",
        "--state",
        "published",
        "--json",
    ])));
    assert_eq!(none.as_array().unwrap().len(), 0, "{none}");

    // Two curators on two machines set the same field from the same revision at the same time: one edit is
    // written, the other exits 3 naming the winner; nothing is lost silently.
    let history = json(run(disan(&col).args(["history", id, "--json"])));
    let base = history.as_array().unwrap().last().unwrap()["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let children: Vec<_> = ["lan", "minh"]
        .iter()
        .map(|who| {
            disan(&col)
                .args([
                    "meta",
                    "set",
                    id,
                    &format!("title.en=Small Fiji ({who})"),
                    "--base-revision",
                    &base,
                ])
                .env("DISAN_AUTHOR", who)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<_> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    let codes: Vec<_> = outs.iter().map(|o| o.status.code()).collect();
    assert!(codes.contains(&Some(0)) && codes.contains(&Some(3)), "{codes:?}");
    let (winner, loser) = if codes[0] == Some(0) { ("lan", 1) } else { ("minh", 0) };
    let stderr = String::from_utf8_lossy(&outs[loser].stderr);
    assert!(
        stderr.contains(&format!("changed by {winner}")) && stderr.contains("nothing was written"),
        "{stderr}"
    );
    let meta = json(run(disan(&col).args(["meta", "get", id, "--json"])));
    assert_eq!(
        meta["metadata"]["title"]["en"],
        format!("Small Fiji ({winner})"),
        "{meta}"
    );
    // Undo through the shared catalogue.
    let history = json(run(disan(&col).args(["history", id, "--json"])));
    let last = history.as_array().unwrap().last().unwrap()["id"]
        .as_i64()
        .unwrap()
        .to_string();
    ok(run(disan(&col).args(["undo", &last])));
    let meta = json(run(disan(&col).args(["meta", "get", id, "--json"])));
    assert!(meta["metadata"]["title"]["en"].is_null(), "{meta}");
    // The website is built from the shared catalogue (one asset published).
    ok(run(disan(&col).args([
        "meta",
        "set",
        id,
        "title.en=Small Fiji",
        "title.zh-Hans=斐济小岛",
        "description.vi=Ảnh mẫu",
        "creator=Trung tâm",
        "rights=http://creativecommons.org/licenses/by/4.0/",
        "date=2024-05-17",
    ])));
    ok(run(disan(&col).args(["site", "confirm", "vinh-ha-long"])));
    ok(run(disan(&col).args(["state", id, "published"])));
    let list = catalog_snapshot(&col);
    // The public base URL is recorded in the shared catalogue.
    let published = json(run(disan(&col).args([
        "publish",
        "--base-url",
        "https://disan.example.vn/c/",
        "--json",
    ])));
    assert_eq!(published["base_url"], "https://disan.example.vn/c", "{published}");
    let site_pg = root.path().join("site-pg");
    ok(run(disan(&col).args(["web", "build", "--out"]).arg(&site_pg)));
    let pages = |dir: &Path| {
        let mut t = tree_snapshot(dir);
        t.remove(".disan-site.json");
        t
    };
    let built = pages(&site_pg);
    assert!(
        built.keys().any(|k| k == &format!("vi/assets/{id}/index.html")),
        "{:?}",
        built.keys()
    );
    // `disan migrate --to sqlite` brings the catalogue home: the same assets and curation, the same website.
    let out = run(disan(&col).args(["migrate", "--to", "sqlite"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(catalog_snapshot(&col), list);
    let site_lite = root.path().join("site-lite");
    ok(run(disan(&col).args(["web", "build", "--out"]).arg(&site_lite)));
    assert_eq!(pages(&site_lite), built);
    assert!(run(disan(&col).args(["site", "list"])).status.success());
    // The queue needs a shared catalogue: an embedded collection is told how to make one.
    let lite = root.path().join("lite");
    let out = run(disan(&lite).args(["queue", "add"]).arg(&input));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("disan init") && stderr.contains("--catalog"),
        "{stderr}"
    );
    // A catalogue that cannot be reached is a clear error, not a hang or a panic.
    let bad = root.path().join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(
        bad.join("collection.toml"),
        "catalog = \"postgresql://nobody:secret@127.0.0.1:1/none?connect_timeout=5\"\n",
    )
    .unwrap();
    let out = run(Command::new(disan_tests::disan_bin())
        .args(["--collection"])
        .arg(&bad)
        .arg("list"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("shared catalogue") && !stderr.contains("secret"),
        "{stderr}"
    );
}

/// A laptop collection moves into the shared setup with one command (`disan migrate --to postgresql://…
/// --storage s3://…`): every committed asset is uploaded (manifest last), the catalogue copied, and the
/// collection then reads the same from anywhere; `--to sqlite --storage local` brings everything home.
#[test]
fn a_laptop_collection_moves_to_postgresql_and_object_storage_and_back() {
    let root = tempfile::tempdir().unwrap();
    let input = root.path().join("in");
    copy_dir(&testdata("photos/exiftool"), &input.join("exiftool"));
    std::fs::copy(testdata("panoramas/aframe-lake.jpg"), input.join("aframe-lake.jpg")).unwrap();
    let col = root.path().join("col");
    let (code, _, stderr) = ingest(&col, &[&input], &[]);
    assert!(matches!(code, 0 | 2), "{stderr}");
    let (assets_before, files_before) = (catalog_snapshot(&col), tree_snapshot(&col));
    assert!(assets_before.len() >= 5);

    let bucket = Bucket::new("move");
    let url = postgres_db("move");
    let out = run(bucket.disan(&col).args([
        "migrate",
        "--to",
        &url,
        "--storage",
        &bucket.url,
        "--endpoint",
        &bucket.endpoint,
        "--json",
    ]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["assets_moved"], assets_before.len(), "{report}");
    let config = disan_catalog::CollectionConfig::read(&col).unwrap();
    assert_eq!(config.catalog, disan_catalog::CatalogLocation::Postgres(url.clone()));
    assert!(matches!(&config.storage, disan_catalog::StorageLocation::S3 { url, .. } if *url == bucket.url));
    // Every asset file is in the bucket, byte for byte.
    let objects = bucket.objects();
    let local_assets: Vec<String> = files_before
        .keys()
        .filter(|k| k.starts_with("assets/"))
        .cloned()
        .collect();
    assert_eq!(objects, local_assets);
    assert_eq!(catalog_snapshot(&col), assets_before);
    // Another machine (an empty folder with the same collection.toml) mirrors the same files down.
    let other = root.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::copy(col.join("collection.toml"), other.join("collection.toml")).unwrap();
    let out = run(bucket.disan(&other).args(["mirror", "--json"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let other_files: std::collections::BTreeMap<_, _> = tree_snapshot(&other)
        .into_iter()
        .filter(|(k, _)| k.starts_with("assets/"))
        .collect();
    assert_eq!(other_files.keys().cloned().collect::<Vec<_>>(), local_assets);
    assert!(other_files.iter().all(|(k, v)| files_before[k] == *v));
    // Run again: nothing is uploaded twice.
    let out = run(bucket
        .disan(&col)
        .args(["migrate", "--storage", &bucket.url, "--endpoint", &bucket.endpoint]));
    assert!(!out.status.success() || String::from_utf8_lossy(&out.stdout).contains("0 asset(s) moved"));

    // And home: the catalogue back into catalog.sqlite, the files into the folder of a machine without them.
    let out = run(bucket
        .disan(&other)
        .args(["migrate", "--to", "sqlite", "--storage", "local", "--json"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let toml = std::fs::read_to_string(other.join("collection.toml")).unwrap();
    let config = disan_catalog::CollectionConfig::read(&other).unwrap();
    assert_eq!(config.catalog, disan_catalog::CatalogLocation::Sqlite, "{toml}");
    assert_eq!(config.storage, disan_catalog::StorageLocation::Local, "{toml}");
    assert_eq!(catalog_snapshot(&other), assets_before);
    let home: std::collections::BTreeMap<_, _> = tree_snapshot(&other)
        .into_iter()
        .filter(|(k, _)| k.starts_with("assets/"))
        .collect();
    assert!(home.iter().all(|(k, v)| files_before.get(k) == Some(v)) && home.len() == local_assets.len());
}
