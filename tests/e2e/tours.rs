//! Tours through the command line: built from the sample panoramas, exported for Pannellum and opened in
//! it (headless Chromium: the first scene, the info text in the chosen language, a click on a link that
//! changes scene), and a JSON export that imports into another collection unchanged.

use std::path::Path;

use disan_tests::{chromium_dom, disan, ingest, run, serve, web_dir};
use serde_json::Value;

fn ok(collection: &Path, args: &[&str]) -> Value {
    let out = run(disan(collection)
        .env("DISAN_AUTHOR", "curator")
        .arg("--json")
        .args(args));
    assert!(
        out.status.success(),
        "disan {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `disan tour export yen-tu --format FORMAT --out OUT [--lang LANG]`.
fn export(c: &Path, format: &str, out: &Path, lang: Option<&str>) -> Value {
    let mut args = vec![
        "tour",
        "export",
        "yen-tu",
        "--format",
        format,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend(lang.iter().flat_map(|l| ["--lang", l]));
    ok(c, &args)
}

fn panoramas(collection: &Path) -> (String, String) {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/samples/panoramas");
    let (code, report, stderr) = ingest(collection, &[&samples], &[]);
    assert_eq!(code, 0, "{stderr}");
    let id = |name: &str| {
        disan_tests::entry(&report, name)["asset_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    (id("aframe-louvre-gpano.jpg"), id("aframe-lake-partial-gpano.jpg"))
}

fn build_tour(c: &Path, gate: &str, shrine: &str) -> Value {
    ok(
        c,
        &[
            "tour",
            "create",
            "yen-tu",
            "title.vi=Đường lên Yên Tử",
            "title.en=The way up Yen Tu",
        ],
    );
    ok(c, &["tour", "add", "yen-tu", gate, "--yaw", "10"]);
    ok(c, &["tour", "add", "yen-tu", shrine]);
    ok(
        c,
        &["tour", "link", "yen-tu", gate, shrine, "--yaw", "-20", "--pitch", "-5"],
    );
    ok(
        c,
        &[
            "tour",
            "link",
            "yen-tu",
            shrine,
            gate,
            "--yaw",
            "160",
            "--pitch",
            "-5",
            "--target-yaw",
            "30",
        ],
    );
    ok(
        c,
        &[
            "tour",
            "info",
            "yen-tu",
            gate,
            "--yaw",
            "25",
            "--pitch",
            "0",
            "title.vi=Chùa Đồng",
            "title.en=The Bronze Pagoda",
            "text.vi=Đúc bằng đồng năm 2007.",
            "text.en=Cast in bronze in 2007.",
        ],
    )
}

#[test]
fn a_tour_opens_in_pannellum_and_its_links_change_scene() {
    let work = tempfile::tempdir().unwrap();
    let c = work.path().join("c");
    let (gate, shrine) = panoramas(&c);
    let tour = build_tour(&c, &gate, &shrine);
    assert_eq!(tour["scenes"][0]["infos"][0]["title"]["vi"], "Chùa Đồng");
    // The collection holds the document, byte for byte what `tour show` prints.
    let file: Value = serde_json::from_slice(&std::fs::read(c.join("tours/yen-tu.json")).unwrap()).unwrap();
    assert_eq!(file, ok(&c, &["tour", "show", "yen-tu"]));
    assert_eq!(ok(&c, &["tour", "history", "yen-tu"]).as_array().unwrap().len(), 6);

    let web = work.path().join("web-en");
    export(&c, "pannellum", &web, Some("en"));
    for f in [
        "index.html",
        "tour.json",
        "pannellum/pannellum.js",
        &format!("scenes/{gate}/1/f0_0.jpg"),
    ] {
        assert!(web.join(f).is_file(), "{f} missing from the export");
    }
    let base = serve(vec![("/tour".into(), web.clone()), ("/web".into(), web_dir())]);
    let dom = chromium_dom(&format!("{base}/web/tour-check.html"), 60_000);
    let json = dom
        .split("<pre id=\"result\">")
        .nth(1)
        .and_then(|r| r.split("</pre>").next())
        .unwrap_or_else(|| panic!("no result in {dom}"));
    let seen: Value = serde_json::from_str(&json.replace("&quot;", "\"").replace("&amp;", "&"))
        .unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(seen["first"], gate.as_str(), "{seen}");
    assert_eq!(seen["info"][0], "The Bronze Pagoda: Cast in bronze in 2007.", "{seen}");
    assert_eq!(
        seen["second"],
        shrine.as_str(),
        "clicking the link changes scene: {seen}"
    );

    // In Vietnamese, the same point speaks Vietnamese.
    let vi = work.path().join("web-vi");
    export(&c, "pannellum", &vi, None);
    let config: Value = serde_json::from_slice(&std::fs::read(vi.join("tour.json")).unwrap()).unwrap();
    let spots = &config["scenes"][&gate]["hotSpots"];
    let info = spots.as_array().unwrap().iter().find(|h| h["type"] == "info").unwrap();
    assert_eq!(info["text"], "Chùa Đồng: Đúc bằng đồng năm 2007.");
    let link = spots.as_array().unwrap().iter().find(|h| h["type"] == "scene").unwrap();
    assert_eq!(
        (&link["sceneId"], &link["yaw"]),
        (&Value::from(shrine.as_str()), &Value::from(-20.0))
    );
    let back = &config["scenes"][&shrine]["hotSpots"][0];
    assert_eq!(back["targetYaw"], 30.0, "the view to arrive at");
}

#[test]
fn a_tour_exported_and_imported_is_unchanged() {
    let work = tempfile::tempdir().unwrap();
    let (a, b) = (work.path().join("a"), work.path().join("b"));
    let (gate, shrine) = panoramas(&a);
    let original = build_tour(&a, &gate, &shrine);
    let out = work.path().join("json");
    export(&a, "json", &out, None);
    let file = out.join("yen-tu.json");
    assert_eq!(
        std::fs::read(&file).unwrap(),
        std::fs::read(a.join("tours/yen-tu.json")).unwrap()
    );
    // Into another collection of the same panoramas: the same tour, the same bytes on disk.
    panoramas(&b);
    assert_eq!(ok(&b, &["tour", "import", file.to_str().unwrap()]), original);
    assert_eq!(
        std::fs::read(b.join("tours/yen-tu.json")).unwrap(),
        std::fs::read(a.join("tours/yen-tu.json")).unwrap()
    );
    // Into the same collection: nothing changes, not even the history.
    let before = ok(&a, &["tour", "history", "yen-tu"]).as_array().unwrap().len();
    assert_eq!(ok(&a, &["tour", "import", file.to_str().unwrap()]), original);
    assert_eq!(ok(&a, &["tour", "history", "yen-tu"]).as_array().unwrap().len(), before);
}
