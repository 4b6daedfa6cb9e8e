//! Curation end to end through `disan`: sites suggested at ingest, multilingual metadata typed in any
//! Unicode form, revisions and undo, the workflow, diacritic-blind search, the CSV round-trip, re-ingest
//! keeping curated fields, and exports read by outside libraries (iiif-prezi3, PyLD).

use std::path::Path;
use std::process::Output;

use disan_tests::{disan, ingest, run, testdata};
use serde_json::Value;

fn ok(out: Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "status {:?}\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn cli(c: &Path, args: &[&str]) -> Output {
    run(disan(c).env("DISAN_AUTHOR", "Lan (curator)").args(args))
}

fn json(c: &Path, args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.push("--json");
    serde_json::from_str(&ok(cli(c, &a))).unwrap()
}

fn hit_ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The five Cortona photos (GPS within 300 m of each other), the iPhone photo in Madrid and the two GPano panoramas.
fn curated_collection(dir: &Path) -> (std::path::PathBuf, Value) {
    let c = dir.join("c");
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/samples");
    let (code, report, stderr) = ingest(
        &c,
        &[&samples.join("photos"), &samples.join("panoramas")],
        &["--iiif-min-size", "3000"],
    );
    assert_eq!(code, 0, "{stderr}");
    (c, report)
}

#[test]
fn curation_from_the_command_line() {
    let work = tempfile::tempdir().unwrap();
    let (c, report) = curated_collection(work.path());
    let assets = json(&c, &["list"]);
    let by_name = |name: &str| -> String {
        assets
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["source"]["file_name"] == name)
            .unwrap_or_else(|| panic!("{name} not ingested"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let cortona = [
        "DSCN0010.jpg",
        "DSCN0012.jpg",
        "DSCN0021.jpg",
        "DSCN0025.jpg",
        "DSCN0027.jpg",
    ]
    .map(by_name);
    let iphone = by_name("iphone_hdr_YES.jpg");

    // Ingest suggested one site for the Cortona photos and another for the iPhone photo.
    let created = report["sites"]["created"].as_array().unwrap();
    let sites = json(&c, &["site", "list"]);
    let cortona_site = json(&c, &["meta", "get", &cortona[0]])["site"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for id in &cortona {
        assert_eq!(
            json(&c, &["meta", "get", id])["site"]["id"],
            cortona_site.as_str(),
            "{id}"
        );
    }
    assert!(
        created.iter().any(|s| s[0] == cortona_site.as_str() && s[1] == 5),
        "{created:?}"
    );
    assert!(sites.as_array().unwrap().iter().all(|s| s["confirmed"] == false));

    // The curator names the site in three languages, from Vietnamese typed decomposed (NFD).
    ok(cli(
        &c,
        &[
            "site",
            "set",
            &cortona_site,
            "name.vi=Tha\u{300}nh pho\u{302}\u{301} co\u{302}\u{309} Cortona",
            "name.en=Cortona old town",
            "name.zh-Hans=科尔托纳古城",
            "rank=national",
            "type=architectural_artistic",
        ],
    ));
    ok(cli(&c, &["site", "confirm", &cortona_site]));
    let site = json(&c, &["site", "show", "thanh pho co cortona"]);
    assert_eq!(site["name"]["vi"], "Thành phố cổ Cortona");
    assert_eq!(site["confirmed"], true);

    // Batch edit by filter: every photo of the site gets creator and rights.
    let revs = json(
        &c,
        &[
            "meta",
            "set",
            "--site",
            &cortona_site,
            "--kind",
            "photo",
            "creator=Trung tâm Truyền thông",
            "rights=https://creativecommons.org/licenses/by-sa/4.0",
        ],
    );
    assert_eq!(revs.as_array().unwrap().len(), 10);
    assert!(revs.as_array().unwrap().iter().all(|r| r["author"] == "Lan (curator)"));

    // One photo gets titles and a description; NFD input is stored NFC.
    let id = &cortona[0];
    ok(cli(
        &c,
        &[
            "meta",
            "set",
            id,
            "title.vi=Đie\u{302}\u{323}n Bie\u{302}n Phu\u{309} nhìn từ đồi",
            "title.en=Dien Bien Phu from the hill",
            "title.zh-Hans=从山丘看奠边府",
            "description.vi=Ảnh chụp buổi chiều.",
            "subject.vi=đồi; chiến trường",
        ],
    ));
    let meta = json(&c, &["meta", "get", id]);
    assert_eq!(meta["metadata"]["title"]["vi"], "Điện Biên Phủ nhìn từ đồi");
    assert_eq!(
        meta["metadata"]["rights"],
        "http://creativecommons.org/licenses/by-sa/4.0/"
    );
    assert_eq!(meta["date"], "2008-10-22", "capture date from EXIF");
    assert_eq!(meta["capture"]["make"], "NIKON");

    // Search with and without diacritics, in any case, finds the same assets.
    let expected = hit_ids(&json(&c, &["search", "Điện Biên Phủ"]));
    assert_eq!(expected, std::slice::from_ref(id));
    for q in [
        &["dien", "bien", "phu"][..],
        &["DIEN BIEN PHU"],
        &["điện biên"],
        &["奠边府"],
    ] {
        let mut args = vec!["search"];
        args.extend_from_slice(q);
        assert_eq!(hit_ids(&json(&c, &args)), expected, "{q:?}");
    }
    // The site's name finds all of its assets; filters narrow.
    assert_eq!(hit_ids(&json(&c, &["search", "cortona"])).len(), 5);
    assert_eq!(
        hit_ids(&json(&c, &["search", "thanh pho co", "--rank", "national"])).len(),
        5
    );
    assert!(hit_ids(&json(&c, &["search", "cortona", "--kind", "panorama"])).is_empty());
    assert_eq!(
        hit_ids(&json(&c, &["search", "chien truong"])),
        std::slice::from_ref(id)
    );

    // History, then undo writes a new revision.
    let history = json(&c, &["history", id]);
    let title_rev = history
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["field"] == "title" && r["lang"] == "en")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let undone = json(&c, &["undo", &title_rev.to_string()]);
    assert_eq!(undone[0]["reverts"], title_rev);
    assert_eq!(json(&c, &["meta", "get", id])["metadata"]["title"]["en"], Value::Null);
    assert_eq!(
        json(&c, &["history", id]).as_array().unwrap().len(),
        history.as_array().unwrap().len() + 1
    );
    let redo = undone[0]["id"].as_i64().unwrap().to_string();
    ok(cli(&c, &["undo", &redo]));
    assert_eq!(
        json(&c, &["meta", "get", id])["metadata"]["title"]["en"],
        "Dien Bien Phu from the hill"
    );

    // Workflow: straight to published is refused; publication checks fields.
    let out = cli(&c, &["state", id, "published"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot go from draft to published"));
    ok(cli(&c, &["state", id, &cortona[1], "in_review"]));
    let out = cli(&c, &["state", id, &cortona[1], "published"]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        err.contains(&format!("{}: cannot publish, missing title.vi", cortona[1])),
        "{err}"
    );
    assert_eq!(json(&c, &["meta", "get", id])["state"], "in_review", "all or nothing");
    ok(cli(&c, &["state", id, "published"]));
    let report = json(&c, &["meta", "report"]);
    assert!(
        report
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == cortona[1].as_str())
    );
    let mine = report
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id.as_str())
        .unwrap();
    assert_eq!(mine["missing"], serde_json::json!([]));
    assert_eq!(
        mine["translations"],
        serde_json::json!(["description.en", "description.zh-Hans", "subject.en", "subject.zh-Hans"])
    );

    // Re-ingest remaking an edited asset keeps every curated field.
    std::fs::remove_file(c.join("assets").join(id).join("asset.json")).unwrap();
    let (code, again, stderr) = ingest(&c, &[&testdata("photos/DSCN0010.jpg")], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(again["summary"]["ingested"], 1);
    let after = json(&c, &["meta", "get", id]);
    assert_eq!(
        after["metadata"],
        meta["metadata"].clone().tap_title_en("Dien Bien Phu from the hill")
    );
    assert_eq!(after["state"], "published");
    assert_eq!(after["site"]["id"], cortona_site.as_str());

    // Exports, read by iiif-prezi3 and PyLD.
    let _ = iphone;
    ok(cli(&c, &["export", "iiif"]));
    ok(cli(&c, &["export", "jsonld"]));
    ok(cli(&c, &["export", "dc"]));
    let checked = check_exports(&c.join("exports"));
    let m = &checked["manifests"][id.as_str()];
    assert_eq!(m["label"]["vi"][0], "Điện Biên Phủ nhìn từ đồi");
    assert_eq!(m["label"]["zh-Hans"][0], "从山丘看奠边府");
    assert_eq!(m["rights"], "http://creativecommons.org/licenses/by-sa/4.0/");
    assert_eq!(
        checked["manifests"].as_object().unwrap().len(),
        1,
        "published assets only"
    );
    assert_eq!(checked["collection"]["items"], 1);
    let ld = &checked["jsonld"][cortona_site.as_str()];
    assert_eq!(
        ld["types"],
        serde_json::json!([
            "http://schema.org/TouristAttraction",
            "http://schema.org/LandmarksOrHistoricalBuildings"
        ])
    );
    assert_eq!(ld["names"]["vi"], "Thành phố cổ Cortona");
    assert!((ld["latitude"].as_f64().unwrap() - 43.4675).abs() < 0.01);
    assert_eq!(ld["images"], 1);
    let dc = std::fs::read_to_string(c.join("exports/dc.csv")).unwrap();
    assert!(dc.contains("Điện Biên Phủ nhìn từ đồi"), "{dc}");
}

trait TapTitle {
    fn tap_title_en(self, v: &str) -> Self;
}
impl TapTitle for Value {
    fn tap_title_en(mut self, v: &str) -> Self {
        self["title"]["en"] = Value::from(v);
        self
    }
}

fn check_exports(dir: &Path) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("py/exports_check.py");
    let out = run(std::process::Command::new("python3").arg(script).arg(dir));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}\n(iiif-prezi3 or PyLD missing? .ci/run installs them)",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap()
}

#[test]
fn iiif_export_carries_the_deep_zoom_service() {
    let work = tempfile::tempdir().unwrap();
    let (c, _) = curated_collection(work.path());
    ok(cli(&c, &["export", "iiif", "--all"]));
    let checked = check_exports(&c.join("exports"));
    let manifests = checked["manifests"].as_object().unwrap();
    assert_eq!(manifests.len(), json(&c, &["list"]).as_array().unwrap().len());
    // Photos of 3000 px and more were tiled at ingest: their canvas points at the level-0 service.
    let tiled: Vec<&Value> = manifests
        .values()
        .filter(|m| !m["service"].as_array().unwrap().is_empty())
        .collect();
    assert!(!tiled.is_empty());
    for m in tiled {
        let service = m["service"][0].as_str().unwrap();
        assert!(
            service.starts_with("http://localhost:8000/assets/") && service.ends_with("/iiif"),
            "{service}"
        );
    }
    // Panoramas link their Pannellum configuration.
    assert!(manifests.values().any(|m| m["rendering"][0] == "application/json"));
}

#[test]
fn csv_round_trip_through_the_command_line() {
    let work = tempfile::tempdir().unwrap();
    let (c, _) = curated_collection(work.path());
    let csv_path = work.path().join("meta.csv");
    ok(cli(&c, &["meta", "export", "--csv", csv_path.to_str().unwrap()]));
    let bytes = std::fs::read(&csv_path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    // Unchanged: nothing to do.
    let out = ok(cli(&c, &["meta", "import", csv_path.to_str().unwrap()]));
    assert!(out.contains("0 change(s), no changes"), "{out}");

    // A spreadsheet edit: Vietnamese and Chinese titles on the first two rows.
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let mut rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    rows[0][col("title.vi")] = "Vịnh Hạ Long lúc bình minh".into();
    rows[1][col("title.zh-Hans")] = "下龙湾".into();
    let mut w = csv::Writer::from_path(&csv_path).unwrap();
    w.write_record(&header).unwrap();
    for r in &rows {
        w.write_record(r).unwrap();
    }
    drop(w);
    let dry = json(&c, &["meta", "import", csv_path.to_str().unwrap(), "--dry-run"]);
    assert_eq!(dry["changes"].as_array().unwrap().len(), 2);
    assert_eq!(dry["applied"], false);
    assert_eq!(dry["changes"][0]["row"], 2);
    assert_eq!(dry["changes"][0]["new"], "Vịnh Hạ Long lúc bình minh");
    assert!(
        hit_ids(&json(&c, &["search", "binh minh"])).is_empty(),
        "a dry run changes nothing"
    );
    let applied = json(&c, &["meta", "import", csv_path.to_str().unwrap()]);
    assert_eq!(applied["applied"], true);
    assert_eq!(
        hit_ids(&json(&c, &["search", "ha long binh minh"])),
        [rows[0][0].clone()]
    );
    // Importing the same file again changes nothing.
    assert_eq!(
        json(&c, &["meta", "import", csv_path.to_str().unwrap()])["changes"],
        serde_json::json!([])
    );

    // A bad cell: exit status 2, row and column named, nothing applied.
    rows[2][col("rights")] = "© all rights reserved".into();
    rows[0][col("title.vi")] = "changed again".into();
    let mut w = csv::Writer::from_path(&csv_path).unwrap();
    w.write_record(&header).unwrap();
    for r in &rows {
        w.write_record(r).unwrap();
    }
    drop(w);
    let out = cli(&c, &["meta", "import", csv_path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    let letter = (b'A' + col("rights") as u8) as char;
    assert!(
        text.contains(&format!(
            "row 4, column rights ({letter}): rights: \"© all rights reserved\" is not a Creative Commons"
        )),
        "{text}"
    );
    assert!(text.contains("nothing applied"), "{text}");
    assert_eq!(hit_ids(&json(&c, &["search", "binh minh"])), [rows[0][0].clone()]);
}
