//! Tours through the command line: built from the sample panoramas, exported for Pannellum and for
//! Marzipano and opened in each (headless Chromium: the first scene, the info text in the chosen language, a
//! click on a link that changes scene; for Marzipano also views compared with the source and the view a link
//! arrives at), and a JSON export that imports into another collection unchanged.

use std::path::Path;

use disan_tests::{chromium_dom, chromium_screenshot, disan, ingest, keep_images, mean_abs_diff, run, serve, web_dir};
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

/// The JSON a check page leaves in its `<pre id="result">`.
fn page_result(dom: &str) -> Value {
    let json = dom
        .split("<pre id=\"result\">")
        .nth(1)
        .and_then(|r| r.split("</pre>").next())
        .unwrap_or_else(|| panic!("no result in {dom}"));
    serde_json::from_str(&json.replace("&quot;", "\"").replace("&amp;", "&")).unwrap_or_else(|e| panic!("{e}: {json}"))
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
    let seen = page_result(&dom);
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
    build_tour(&a, &gate, &shrine);
    // A rejected suggestion travels with the document too.
    let original = ok(&a, &["tour", "reject", "yen-tu", &gate[..8], &shrine[..8]]);
    assert_eq!(original["rejected"], serde_json::json!([{"from": gate, "to": shrine}]));
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

/// `APP_DATA` of a Marzipano export's `data.js`.
fn app_data(web: &Path) -> Value {
    let js = std::fs::read_to_string(web.join("data.js")).unwrap();
    let json = js
        .split_once("var APP_DATA = ")
        .and_then(|(_, rest)| rest.trim_end().strip_suffix(';'))
        .unwrap_or_else(|| panic!("data.js is not `var APP_DATA = {{…}};`: {js}"));
    serde_json::from_str(json).unwrap()
}

#[test]
fn a_tour_opens_in_marzipano_as_the_source_looks_and_its_links_change_scene() {
    let work = tempfile::tempdir().unwrap();
    let c = work.path().join("c");
    let (gate, shrine) = panoramas(&c);
    build_tour(&c, &gate, &shrine);
    let web = work.path().join("marzipano-en");
    let reply = export(&c, "marzipano", &web, Some("en"));

    // Marzipano's layout: every level it is told of is on disk, tile for tile, and nothing else is.
    let data = app_data(&web);
    let mut expected_files = 5; // index.html, data.js, marzipano.js and its licence, guide.js (the narrated tour)
    for scene in data["scenes"].as_array().unwrap() {
        let id = scene["id"].as_str().unwrap();
        let dir = web.join("tiles").join(id);
        assert!(dir.join("preview.jpg").is_file());
        let preview = disan_tests::open_image(dir.join("preview.jpg")).unwrap();
        assert_eq!((preview.width(), preview.height()), (256, 6 * 256), "six faces stacked");
        expected_files += 1;
        let levels = scene["levels"].as_array().unwrap();
        assert_eq!(levels[0]["fallbackOnly"], true);
        assert_eq!(scene["faceSize"], levels.last().unwrap()["size"]);
        for (z, level) in levels.iter().enumerate().skip(1) {
            let (size, tile) = (level["size"].as_u64().unwrap(), level["tileSize"].as_u64().unwrap());
            assert_eq!(size % tile, 0, "{level}");
            let n = size / tile;
            for face in ["f", "r", "b", "l", "u", "d"] {
                for (row, col) in [(0, 0), (n - 1, n - 1)] {
                    let f = dir.join(format!("{z}/{face}/{row}/{col}.jpg"));
                    let img = disan_tests::open_image(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
                    assert_eq!((u64::from(img.width()), u64::from(img.height())), (tile, tile));
                }
            }
            expected_files += 6 * n * n;
        }
    }
    assert_eq!(reply["files"], expected_files);
    assert_eq!(disan_tests::files_under(&web).len() as u64, expected_files);

    // The npm package shows each view as `disan render` draws it from the collection's own pyramid (itself
    // checked against the source image): the face letters, orientations and angle conventions agree.
    let base = serve(vec![("/tour".into(), web.clone()), ("/web".into(), web_dir())]);
    let (w, h) = (480u32, 360u32);
    for (yaw, pitch, hfov) in disan_tests::VIEWS_INTO_EVERY_FACE {
        let shot_path = work.path().join(format!("marzipano_{yaw}_{pitch}.png"));
        let url = format!("{base}/web/marzipano-view.html?scene={gate}&yaw={yaw}&pitch={pitch}&hfov={hfov}");
        let shot = chromium_screenshot(&url, w, h, &shot_path);
        let render = |yaw: f64, pitch: f64| {
            let out = work.path().join(format!("render_{yaw}_{pitch}.png"));
            let args = [
                "--yaw".to_owned(),
                yaw.to_string(),
                "--pitch".to_owned(),
                pitch.to_string(),
                "--hfov".to_owned(),
                hfov.to_string(),
                "--size".to_owned(),
                format!("{w}x{h}"),
            ];
            let status = run(disan(&c).args(["render", &gate, "--out"]).arg(&out).args(args));
            assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
            disan_tests::open_image(&out).unwrap().to_rgb8()
        };
        let expected = render(yaw, pitch);
        let d = mean_abs_diff(&shot, &expected);
        // Metric: mean absolute difference per channel value (0–255). Marzipano draws resampled JPEG tiles
        // with its own filtering and level choice; measured 0.6–2.6. The control is the view half a turn
        // away: a wrong face letter, a flipped face or a sign error in an angle lands near it.
        let control = mean_abs_diff(&shot, &render(yaw + 180.0, -pitch));
        eprintln!("marzipano yaw {yaw} pitch {pitch} hfov {hfov}: mean difference {d:.1}, control {control:.1}");
        if d >= 12.0 || d * 3.0 >= control {
            let keep = keep_images(&format!("marzipano-{yaw}-{pitch}"), &shot, &expected);
            panic!(
                "yaw {yaw} pitch {pitch}: mean difference {d:.1} (control {control:.1}); images in {}",
                keep.display()
            );
        }
    }

    // Our page on the export: first scene, info point in English, link arrow to the shrine, and the link back
    // arrives at the view it names (yaw 30°).
    let seen = page_result(&chromium_dom(&format!("{base}/web/marzipano-tour-check.html"), 60_000));
    assert_eq!(seen["first"], gate.as_str(), "{seen}");
    assert_eq!(seen["title"], "The way up Yen Tu", "{seen}");
    assert_eq!(seen["infoTitles"][0], "The Bronze Pagoda", "{seen}");
    assert_eq!(seen["textHidden"][0], true, "the text opens on a click: {seen}");
    assert_eq!(seen["infoTexts"][0], "Cast in bronze in 2007.", "{seen}");
    assert_eq!(
        seen["second"],
        shrine.as_str(),
        "clicking the link changes scene: {seen}"
    );
    assert_eq!(seen["secondYaw"], 0, "the shrine's start view: {seen}");
    assert_eq!(
        (&seen["arrivedYaw"], &seen["arrivedPitch"]),
        (&Value::from(30), &Value::from(0)),
        "{seen}"
    );

    // In Vietnamese, the same point speaks Vietnamese; angles are Marzipano's (radians, pitch downward).
    let vi = work.path().join("marzipano-vi");
    export(&c, "marzipano", &vi, None);
    let data = app_data(&vi);
    let first = &data["scenes"][0];
    assert_eq!(data["name"], "Đường lên Yên Tử");
    assert_eq!(first["infoHotspots"][0]["title"], "Chùa Đồng");
    assert_eq!(first["infoHotspots"][0]["text"], "Đúc bằng đồng năm 2007.");
    let link = &first["linkHotspots"][0];
    assert_eq!(link["target"], shrine.as_str());
    assert!((link["yaw"].as_f64().unwrap() - (-20f64).to_radians()).abs() < 1e-9);
    assert!(
        (link["pitch"].as_f64().unwrap() - 5f64.to_radians()).abs() < 1e-9,
        "5° down"
    );
    assert!((first["initialViewParameters"]["yaw"].as_f64().unwrap() - 10f64.to_radians()).abs() < 1e-9);
}

/// A damaged tile stops a Marzipano export with the file and the reason, and the export already in the
/// folder stays as it was (the new one is written beside it and swapped in only when whole).
#[test]
fn a_damaged_tile_fails_the_marzipano_export_and_keeps_the_last_one() {
    let work = tempfile::tempdir().unwrap();
    let c = work.path().join("c");
    let (gate, shrine) = panoramas(&c);
    build_tour(&c, &gate, &shrine);
    let web = work.path().join("web");
    export(&c, "marzipano", &web, Some("en"));
    let before = disan_tests::tree_snapshot(&web);

    let config: Value =
        serde_json::from_slice(&std::fs::read(c.join(format!("assets/{shrine}/pano/config.json"))).unwrap()).unwrap();
    let finest = config["multiRes"]["maxLevel"].as_u64().unwrap();
    for level in 1..=finest {
        let tile = c.join(format!("assets/{shrine}/pano/{level}/u0_0.jpg"));
        let bytes = std::fs::read(&tile).unwrap();
        std::fs::write(&tile, &bytes[..bytes.len() / 3]).unwrap();
    }

    let out = run(disan(&c)
        .args(["tour", "export", "yen-tu", "--format", "marzipano", "--out"])
        .arg(&web));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!("{shrine}/pano/"))
            && stderr.contains("u0_0.jpg")
            && stderr.contains("truncated")
            && stderr.contains("ingest its original again"),
        "{stderr}"
    );
    assert_eq!(disan_tests::tree_snapshot(&web), before, "the last export is untouched");
    let leftovers: Vec<_> = std::fs::read_dir(work.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".partial-"))
        .collect();
    assert!(leftovers.is_empty(), "the partial export is removed");
}
