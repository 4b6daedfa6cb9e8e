//! The exports, read back: IIIF Presentation 3, schema.org JSON-LD and Dublin Core from a small catalogue.

use disan_catalog::{Entity, fields};
use disan_publish::ExportFormat;
use disan_tests::catalog_fixture::{collection, make_publishable};

#[test]
fn exports_follow_their_formats() {
    let dir = tempfile::tempdir().unwrap();
    let mut cat = collection(dir.path());
    let (site, _) = cat
        .create_site(
            Some("vinh-ha-long"),
            &[
                "name.vi=Vịnh Hạ Long",
                "name.en=Ha Long Bay",
                "name.zh-Hans=下龙湾",
                "lat=20.91",
                "lon=107.18",
                "province=quang-ninh",
                "rank=unesco",
                "type=scenic_landscape",
            ]
            .map(|a| fields::parse_assignment(Entity::Site, a).unwrap()),
            "t",
        )
        .unwrap();
    make_publishable(&mut cat, "a000000000000001", &site.id);
    cat.set_state(&["a000000000000001".into()], "in_review", "t").unwrap();
    cat.set_state(&["a000000000000001".into()], "published", "t").unwrap();
    let out = dir.path().join("exports");
    let s = disan_publish::export(&cat, ExportFormat::Iiif, &out, false).unwrap();
    assert_eq!(s.assets, 1, "published only");
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("iiif/a000000000000001.json")).unwrap()).unwrap();
    assert_eq!(m["type"], "Manifest");
    assert_eq!(m["label"]["vi"][0], "Vịnh Hạ Long");
    assert_eq!(m["label"]["zh-Hans"][0], "下龙湾");
    assert_eq!(m["rights"], "http://creativecommons.org/licenses/by-sa/4.0/");
    assert_eq!(m["items"][0]["items"][0]["items"][0]["body"]["width"], 2048);
    assert!(out.join("iiif/collection.json").is_file());
    // Everything, drafts included, on request; the folder is replaced as a whole.
    assert_eq!(
        disan_publish::export(&cat, ExportFormat::Iiif, &out, true)
            .unwrap()
            .assets,
        4
    );
    disan_publish::export(&cat, ExportFormat::Iiif, &out, false).unwrap();
    assert!(!out.join("iiif/b000000000000003.json").exists());
    let s = disan_publish::export(&cat, ExportFormat::Jsonld, &out, false).unwrap();
    assert_eq!(s.files, ["jsonld/vinh-ha-long.jsonld"]);
    let ld: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("jsonld/vinh-ha-long.jsonld")).unwrap()).unwrap();
    assert_eq!(ld["@type"][0], "TouristAttraction");
    assert_eq!(ld["geo"]["latitude"], 20.91);
    assert_eq!(ld["address"]["addressRegion"], "Quảng Ninh");
    assert_eq!(ld["availableLanguage"], serde_json::json!(["vi", "en", "zh-Hans"]));
    disan_publish::export(&cat, ExportFormat::Dc, &out, false).unwrap();
    let dc = std::fs::read_to_string(out.join("dc.csv")).unwrap();
    assert!(
        dc.starts_with("\u{feff}dc:identifier,dc:type,dc:format,dc:source,dc:title@vi"),
        "{dc}"
    );
    assert!(
        dc.contains("a000000000000001,StillImage,image/jpeg,bay1.jpg,Vịnh Hạ Long"),
        "{dc}"
    );
}
