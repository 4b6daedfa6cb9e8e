//! The viewer on lavapipe (or any wgpu adapter): snapshots of the home grid, search, map and asset views
//! compared with `tests/snapshots/*.png` (`UPDATE_SNAPSHOTS=1` rewrites them), and behaviour checks.

mod fixture;

use std::path::Path;

use disan_core::AssetKind;
use disan_tests::{copy_dir, mean_abs_diff};
use disan_tiles::EquiSource;
use disan_viewer::{HomeView, Lang, Options, ViewerApp};
use egui_kittest::kittest::Queryable;
use egui_kittest::{Harness, SnapshotOptions};
use fixture::{ASSETS, SAMPLES, fixture, harness, harness_sized, open_asset, settle};

/// Snapshot comparison with one tolerance for every view: a pixel may differ by the default YIQ distance,
/// and a few dozen may differ more (text anti-aliasing between Mesa versions).
fn snapshot(harness: &mut Harness<'_, ViewerApp>, name: &str) {
    harness.snapshot_options(name, &SnapshotOptions::new().threshold(0.6).max_failed_pixels(40));
}

fn english() -> Options {
    Options {
        lang: Lang::En,
        ..Options::default()
    }
}

#[test]
fn home_grid_in_vietnamese() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let mut h = harness(dir.path(), Options::default());
    assert_eq!(h.state().results.len(), ASSETS.len());
    // Titles show in the interface language, with diacritics.
    h.get_by_label("Bản đồ");
    snapshot(&mut h, "home_grid_vi");
}

#[test]
fn search_is_diacritic_blind_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let mut h = harness(dir.path(), english());
    h.state_mut().query = "ha long".into();
    settle(&mut h);
    let mut ids: Vec<&str> = h
        .state()
        .results
        .iter()
        .map(|&i| h.state().collection.items[i].id.as_str())
        .collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        ["a000000000000001", "a000000000000002"],
        "both have Hạ Long in their titles"
    );
    snapshot(&mut h, "search_ha_long_en");
    h.state_mut().query = "dien bien".into();
    settle(&mut h);
    assert_eq!(h.state().results.len(), 1);
    h.state_mut().query.clear();
    h.state_mut().kind = Some(AssetKind::Panorama);
    settle(&mut h);
    assert_eq!(h.state().results.len(), 1);
    h.state_mut().kind = None;
    h.state_mut().rank = Some("special_national".into());
    settle(&mut h);
    assert_eq!(
        h.state().results.len(),
        3,
        "Điện Biên Phủ and Yên Tử (two assets) are special national relics"
    );
}

#[test]
fn map_places_sites_and_a_click_filters() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let mut h = harness(
        dir.path(),
        Options {
            lang: Lang::ZhHans,
            ..Options::default()
        },
    );
    h.state_mut().view = HomeView::Map;
    settle(&mut h);
    snapshot(&mut h, "map_zh");
    // Hạ Long lies east of Điện Biên Phủ on the map.
    let rect = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(800.0, 600.0));
    let placed = disan_viewer::map::layout(&h.state().collection, rect);
    let x_of = |id: &str| {
        placed
            .iter()
            .find(|(i, _)| h.state().collection.sites[*i].id == id)
            .unwrap()
            .1
            .x
    };
    assert!(x_of("ha-long") > x_of("yen-tu") && x_of("yen-tu") > x_of("dien-bien"));
    h.get_by_label("地图");
}

#[test]
fn asset_view_shows_info_with_language_fallback() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let mut h = harness(dir.path(), english());
    open_asset(&mut h, "b000000000000003");
    h.get_by_label("Hill A1, Dien Bien Phu");
    h.get_by_label("Di tích lịch sử quốc gia đặc biệt.");
    h.get_by_label("Not yet translated; shown in Tiếng Việt.");
    h.get_by_label("Dien Bien Phu battlefield");
    snapshot(&mut h, "asset_info_en");
    // Switching language at any time: the same view in Vietnamese has no fallback note.
    h.get_by_label("Tiếng Việt").click();
    settle(&mut h);
    assert_eq!(h.state().lang, Lang::Vi);
    h.get_by_label("Đồi A1, Điện Biên Phủ");
    assert!(
        h.query_by_label("Chưa có bản dịch; hiển thị bằng Tiếng Việt.")
            .is_none()
    );
}

#[test]
fn kiosk_shows_published_only_and_returns_to_the_attract_loop() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let mut h = harness(
        dir.path(),
        Options {
            kiosk: true,
            ..Options::default()
        },
    );
    assert_eq!(h.state().collection.items.len(), 1, "only the published asset");
    assert_eq!(h.state().collection.sites.len(), 1, "only sites with published assets");
    h.state_mut().query = "dien bien".into();
    h.run_steps(2);
    assert!(h.state().results.is_empty(), "search never reaches unpublished assets");
    h.state_mut().selected = Some(0);
    // No input for longer than the idle time (each step is a quarter of a second).
    h.state_mut().options.idle_secs = 2.0;
    h.run_steps(12);
    assert!(h.state().attract_since.is_some());
    assert!(h.state().selected.is_none() && h.state().query.is_empty());
    // Any input returns to home.
    h.event(egui::Event::Key {
        key: egui::Key::Space,
        physical_key: None,
        pressed: true,
        repeat: false,
        modifiers: egui::Modifiers::NONE,
    });
    h.run_steps(2);
    assert!(h.state().attract_since.is_none());
}

#[test]
fn photo_view_zooms_into_iiif_tiles() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let mut h = harness(dir.path(), english());
    open_asset(&mut h, ASSETS[0].id);
    let (_, zoom) = h
        .state()
        .deep_zoom
        .as_ref()
        .expect("a photo with tiles opens in deep zoom");
    assert_eq!(zoom.layout.scale_factors, [1, 2, 4, 8, 16]);
    // Fitted: the whole image shows, from a coarse level.
    assert!(zoom.zoom < 1.0);
    assert!(zoom.scale_for(zoom.zoom) > 1);
    snapshot(&mut h, "photo_fitted_en");
    // Zoom in on the upper left, as a double-click there would: the finest level, only the tiles in view.
    let (_, zoom) = h.state_mut().deep_zoom.as_mut().unwrap();
    zoom.center = egui::vec2(900.0, 700.0);
    zoom.zoom_by(8.0, egui::Vec2::ZERO, egui::vec2(700.0, 600.0));
    settle(&mut h);
    let (_, zoom) = h.state().deep_zoom.as_ref().unwrap();
    assert_eq!(zoom.scale_for(zoom.zoom), 1);
    snapshot(&mut h, "photo_zoomed_en");
}

#[test]
fn panorama_view_matches_the_rectilinear_view_of_the_source() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let mut h = harness(dir.path(), english());
    open_asset(&mut h, ASSETS[1].id);
    let (yaw, pitch, hfov) = (30.0, 10.0, 75.0);
    {
        let (_, pano) = h
            .state_mut()
            .pano
            .as_mut()
            .expect("a panorama with tiles opens in the panorama view");
        pano.camera = disan_viewer::pano::Camera { yaw, pitch, hfov };
    }
    settle(&mut h);
    snapshot(&mut h, "panorama_en");
    let rect = h.state().pano.as_ref().unwrap().1.last_rect;
    let shot = h.render().unwrap();
    let (x, y, w, hgt) = (
        rect.min.x as u32,
        rect.min.y as u32,
        rect.width() as u32,
        rect.height() as u32,
    );
    let ours = image::DynamicImage::ImageRgba8(image::imageops::crop_imm(&shot, x, y, w, hgt).to_image()).to_rgb8();
    let equi = disan_tests::open_image(Path::new(SAMPLES).join(ASSETS[1].source))
        .unwrap()
        .to_rgb8();
    let src = EquiSource::new(&equi, None);
    let expected = disan_tiles::render_view(&src, yaw, pitch, hfov, w, hgt);
    let turned = disan_tiles::render_view(&src, yaw + 15.0, pitch, hfov, w, hgt);
    let (same, control) = (mean_abs_diff(&ours, &expected), mean_abs_diff(&ours, &turned));
    assert!(
        same < 6.0,
        "the view differs from the source's rectilinear view by {same:.2}"
    );
    assert!(
        control > 3.0 * same,
        "a view turned 15° is not told apart: {control:.2} vs {same:.2}"
    );
}

#[test]
fn model_view_orbits_and_shows_its_size() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let mut h = harness(dir.path(), english());
    fixture::open_kind(&mut h, AssetKind::Model);
    settle_model(&mut h);
    h.get_by_label("46356 triangles · 3.8 MB");
    snapshot(&mut h, "model_en");
    // Orbiting renders again from the new side.
    {
        let (_, model) = h.state_mut().model.as_mut().unwrap();
        assert_eq!(model.lod, 0);
        model.yaw += 90.0;
    }
    settle_model(&mut h);
    snapshot(&mut h, "model_turned_en");
}

/// Steps until the model is loaded and rendered.
fn settle_model(h: &mut Harness<'_, ViewerApp>) {
    for _ in 0..2000 {
        h.step();
        if h.state().model.as_ref().is_some_and(|(_, m)| !m.busy()) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    h.run_steps(3);
    assert!(h.state().model.as_ref().unwrap().1.error.is_none());
}

/// A collection edited by hand or by an attacker: manifests naming files outside the collection, absurd tile
/// counts, an unreadable manifest, garbage in `asset.json` and the Pannellum `config.json`. The viewer opens
/// the rest, never reads outside the collection, never plans the absurd pyramids, and does not panic.
#[test]
fn a_tampered_collection_opens_without_leaving_it() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let root = dir.path();
    let db = rusqlite::Connection::open(root.join("catalog.sqlite")).unwrap();
    let manifest = |id: &str| -> serde_json::Value {
        let text: String = db
            .query_row("SELECT manifest FROM assets WHERE id = ?1", [id], |r| r.get(0))
            .unwrap();
        serde_json::from_str(&text).unwrap()
    };
    let store = |id: &str, m: &serde_json::Value| {
        db.execute("UPDATE assets SET manifest = ?2 WHERE id = ?1", [id, &m.to_string()])
            .unwrap();
    };
    // The IIIF photo: derivatives outside the folder, by `..` and absolutely, and a billion-tile pyramid.
    let mut photo = manifest(ASSETS[0].id);
    photo["derivatives"]["thumb"]["path"] = "../../../../etc/passwd".into();
    photo["derivatives"]["display"]["path"] = "/etc/passwd".into();
    photo["iiif"]["tiles"] = 1_000_000_000u64.into();
    store(ASSETS[0].id, &photo);
    // The panorama: a pyramid of zero-pixel tiles, and a config outside the folder.
    let mut pano = manifest(ASSETS[1].id);
    pano["pano_tiles"]["tile_resolution"] = 0.into();
    store(ASSETS[1].id, &pano);
    let mut pano_elsewhere = pano.clone();
    pano_elsewhere["pano_tiles"]["tile_resolution"] = manifest(ASSETS[1].id)["pano_tiles"]["tile_resolution"].clone();
    pano_elsewhere["pano_tiles"]["config"] = "../../pano/config.json".into();
    // A photo whose manifest is not JSON at all, and one that claims to be another asset.
    db.execute("UPDATE assets SET manifest = '{\"id\": ' WHERE id = ?1", [ASSETS[2].id])
        .unwrap();
    let mut other = manifest(ASSETS[3].id);
    other["id"] = ASSETS[4].id.into();
    store(ASSETS[3].id, &other);
    // Files the viewer does not read but a tamperer might try: garbage asset.json and config.json.
    for a in ASSETS {
        std::fs::write(root.join(format!("assets/{}/asset.json", a.id)), b"\xff\xfe garbage").unwrap();
    }
    std::fs::write(
        root.join(format!("assets/{}/pano/config.json", ASSETS[1].id)),
        b"{\"multiRes\": 7",
    )
    .unwrap();
    drop(db);

    let collection = disan_viewer::Collection::open(root, false).unwrap();
    let ids: Vec<&str> = collection.items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids.len(), 3, "the two unreadable entries are left out: {ids:?}");
    assert!(!ids.contains(&ASSETS[2].id) && !ids.contains(&ASSETS[3].id));
    assert_eq!(collection.skipped.len(), 2, "{:?}", collection.skipped);
    assert!(collection.skipped.iter().any(|s| s.contains(ASSETS[2].id)));
    let photo = collection.items.iter().find(|i| i.id == ASSETS[0].id).unwrap();
    assert_eq!((photo.thumb.as_ref(), photo.display.as_ref()), (None, None));
    let (_, tiles) = photo.iiif.as_ref().unwrap();
    assert!(disan_tiles::iiif::IiifLayout::from_manifest(photo.width.unwrap(), photo.height.unwrap(), tiles).is_none());
    let pano_item = collection.items.iter().find(|i| i.id == ASSETS[1].id).unwrap();
    assert!(disan_tiles::CubeLayout::from_manifest(&pano_item.pano.as_ref().unwrap().1).is_none());
    for item in &collection.items {
        for p in item
            .thumb
            .iter()
            .chain(&item.display)
            .chain(item.model.iter().map(|l| &l.path))
        {
            assert!(p.starts_with(root), "{} leaves the collection", p.display());
        }
    }
    drop(collection);

    // Open every remaining asset in the app: placeholders, no panic.
    let mut h = harness(root, english());
    for i in 0..h.state().collection.items.len() {
        h.state_mut().selected = Some(i);
        settle(&mut h);
        assert!(h.state().selected.is_some());
    }
    // A config outside the folder is not followed either.
    let db = rusqlite::Connection::open(root.join("catalog.sqlite")).unwrap();
    db.execute(
        "UPDATE assets SET manifest = ?2 WHERE id = ?1",
        [ASSETS[1].id, &pano_elsewhere.to_string()],
    )
    .unwrap();
    drop(db);
    let collection = disan_viewer::Collection::open(root, false).unwrap();
    let pano_item = collection.items.iter().find(|i| i.id == ASSETS[1].id).unwrap();
    assert!(pano_item.pano.is_none());
}

/// Clicks at a point of the window (a press and a release).
fn click_at(h: &mut Harness<'_, ViewerApp>, p: egui::Pos2) {
    h.event(egui::Event::PointerMoved(p));
    for pressed in [true, false] {
        h.event(egui::Event::PointerButton {
            pos: p,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
    }
    h.run_steps(3);
}

/// The second panorama of the tour fixture.
const BOAT: &str = "a000000000000006";

/// Adds a second panorama (the pier's pyramid under another id) and a tour "ha-long" of the two: a link
/// each way and an information point at the pier. Returns (pier, boat).
fn with_tour(root: &Path) -> (&'static str, &'static str) {
    let (pier, boat) = (ASSETS[1].id, BOAT);
    // A second panorama: the pier's pyramid under another id.
    let cat = disan_catalog::Catalog::open_for_edit(root).unwrap();
    let mut m = cat.get(pier).unwrap().manifest;
    m.id = boat.parse().unwrap();
    m.source.file_name = "boat.jpg".into();
    drop(cat);
    copy_dir(&root.join("assets").join(pier), &root.join("assets").join(boat));
    {
        let lock = disan_catalog::WriteLock::acquire(root).unwrap();
        let mut cat = disan_catalog::Catalog::open_or_create(root, &lock).unwrap();
        cat.commit_asset(&m, "/captures/boat.jpg", 1).unwrap();
    }
    let mut cat = disan_catalog::Catalog::open_for_edit(root).unwrap();
    let text = |pairs: &[(&str, &str)]| {
        let mut t = disan_core::LangText::new();
        for (l, v) in pairs {
            t.set(l, v);
        }
        t
    };
    cat.create_tour(
        "ha-long",
        text(&[("vi", "Dạo bến Hạ Long"), ("en", "Ha Long pier walk")]),
        "test",
    )
    .unwrap();
    cat.update_tour("ha-long", "test", |_, t| {
        let scene = |asset: &str, title: disan_core::LangText| disan_catalog::TourScene {
            asset: asset.into(),
            title,
            view: Default::default(),
            links: vec![],
            infos: vec![],
        };
        t.scenes.push(scene(pier, Default::default()));
        t.scenes
            .push(scene(boat, text(&[("vi", "Trên thuyền"), ("en", "On the boat")])));
        t.scenes[0].links.push(disan_catalog::LinkHotspot {
            id: "l1".into(),
            yaw: 20.0,
            pitch: -5.0,
            target: boat.into(),
            arrive: Some(disan_catalog::TourView {
                yaw: 90.0,
                pitch: 0.0,
                hfov: 80.0,
            }),
        });
        t.scenes[1].links.push(disan_catalog::LinkHotspot {
            id: "l2".into(),
            yaw: -160.0,
            pitch: -5.0,
            target: pier.into(),
            arrive: None,
        });
        t.scenes[0].infos.push(disan_catalog::InfoHotspot {
            id: "i1".into(),
            yaw: -25.0,
            pitch: 5.0,
            title: text(&[("vi", "Bến thuyền"), ("en", "Boat pier")]),
            text: text(&[
                ("vi", "Thuyền ra vịnh lúc bình minh."),
                ("en", "Boats leave for the bay at dawn."),
            ]),
            asset: Some(ASSETS[0].id.into()),
        });
        Ok(())
    })
    .unwrap();
    drop(cat);

    (pier, boat)
}

/// A tour of two panoramas: the link hotspot moves to the next scene looking where it says, the way back
/// returns, and the information point opens its card in English.
#[test]
fn a_tour_moves_between_scenes_and_opens_information() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let root = dir.path();
    let (pier, boat) = with_tour(root);
    let mut h = harness(root, english());
    open_asset(&mut h, pier);
    let hotspot = |h: &Harness<'_, ViewerApp>, id: &str| {
        let (_, pano) = h.state().pano.as_ref().unwrap();
        let spot = pano.hotspots.iter().find(|s| s.id == id).unwrap();
        pano.hotspot_pos(spot).unwrap()
    };
    assert_eq!(h.state().pano.as_ref().unwrap().1.hotspots.len(), 2);
    h.get_by_label("2. On the boat");
    h.get_by_label("Tour: Ha Long pier walk");
    h.snapshot("tour_hotspots_en");

    // The link leads to the boat, arriving at yaw 90.
    let p = hotspot(&h, "l1");
    click_at(&mut h, p);
    let boat_index = h.state().collection.index_of(boat).unwrap();
    assert_eq!(h.state().selected, Some(boat_index));
    let (shown, pano) = h.state().pano.as_ref().unwrap();
    assert_eq!(*shown, boat_index);
    assert!((pano.camera.yaw - 90.0).abs() < 1e-6 && (pano.camera.hfov - 80.0).abs() < 1e-6);
    settle(&mut h);

    // And back, to the pier's start view; its information point opens a card in English.
    h.state_mut().pano.as_mut().unwrap().1.camera.yaw = -160.0;
    h.run_steps(2);
    let p = hotspot(&h, "l2");
    click_at(&mut h, p);
    assert_eq!(h.state().selected, h.state().collection.index_of(pier));
    settle(&mut h);
    h.state_mut().pano.as_mut().unwrap().1.camera.yaw = -25.0;
    h.run_steps(2);
    let p = hotspot(&h, "i1");
    click_at(&mut h, p);
    let card = h.state().info_card.clone().expect("the card is open");
    assert_eq!(card.title, "Boat pier");
    h.get_by_label("Boats leave for the bay at dawn.");
    // Its button opens the photo it names.
    h.get_by_label("Open").click();
    h.run_steps(2);
    assert_eq!(h.state().selected, h.state().collection.index_of(ASSETS[0].id));
}

/// The viewer in curator mode (1280×1000), showing asset `id`.
fn curating(root: &Path, id: &str) -> Harness<'static, ViewerApp> {
    let mut h = harness_sized(root, curator(), [1280.0, 1000.0]);
    open_asset(&mut h, id);
    h
}

/// The newest revision of tour "ha-long" is the curator's.
fn assert_last_tour_change_by_the_curator(root: &Path) {
    let history = disan_catalog::Catalog::open(root)
        .unwrap()
        .tour_history("ha-long")
        .unwrap();
    assert_eq!(history.last().unwrap().author, "biên tập viên");
}

fn curator() -> Options {
    Options {
        curate: true,
        author: "biên tập viên".into(),
        ..english()
    }
}

/// Curator mode writes through the catalogue like the command line: a Vietnamese title typed and saved is a
/// revision by the curator, undo restores the old title, and a state change follows the workflow.
#[test]
fn curator_mode_edits_with_revisions_and_undo() {
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let root = dir.path();
    let id = ASSETS[2].id;
    let mut h = curating(root, id);
    let before = disan_catalog::Catalog::open(root).unwrap().metadata(id).unwrap().title;
    let title = "Đồi A1, Điện Biên Phủ lúc hoàng hôn";
    let field = h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Title (vi)");
    field.focus();
    field.type_text(" lúc hoàng hôn");
    h.run_steps(2);
    assert_eq!(h.state().curator.changes(), vec![format!("title.vi={title}")]);
    press(&mut h, "Save");
    let cat = disan_catalog::Catalog::open(root).unwrap();
    assert_eq!(cat.metadata(id).unwrap().title.get("vi"), Some(title));
    let revs = cat.history(disan_catalog::Entity::Asset, id).unwrap();
    let last = revs.last().unwrap();
    assert_eq!(
        (last.author.as_str(), last.key(), last.new.as_deref()),
        ("biên tập viên", "title.vi".to_owned(), Some(title))
    );
    assert!(h.state().curator.message.as_ref().is_some_and(|(ok, _)| *ok));
    // The viewer holds the new title (it reads the collection again), and the form shows it.
    let index = h.state().collection.index_of(id).unwrap();
    assert_eq!(h.state().collection.items[index].meta.title.get("vi"), Some(title));
    assert_eq!(h.state().curator.form["title.vi"], title);

    // Undo the newest revision from the history tab.
    press(&mut h, "History");
    press(&mut h, "Undo");
    let cat = disan_catalog::Catalog::open(root).unwrap();
    assert_eq!(cat.metadata(id).unwrap().title, before);
    assert_eq!(
        cat.history(disan_catalog::Entity::Asset, id)
            .unwrap()
            .last()
            .unwrap()
            .reverts,
        Some(last.id)
    );

    // Draft → in review.
    press(&mut h, "Metadata");
    press(&mut h, "» In review");
    assert_eq!(
        disan_catalog::Catalog::open(root).unwrap().get(id).unwrap().state,
        "in_review"
    );
    // A value the catalogue refuses is reported, and nothing is written.
    let field = h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Date");
    field.focus();
    field.type_text("not a date");
    h.run_steps(2);
    press(&mut h, "Save");
    assert!(h.state().curator.message.as_ref().is_some_and(|(ok, _)| !*ok));
    assert_eq!(
        disan_catalog::Catalog::open(root).unwrap().metadata(id).unwrap().date,
        None
    );
    // Every multilingual field is in the form, in every language: a subject in Chinese.
    // (The refused date is cleared from the form first.)
    h.state_mut().curator.form.insert("date".into(), String::new());
    let field = h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Subject (zh-Hans)");
    field.focus();
    field.type_text("历史遗迹");
    h.run_steps(2);
    assert_eq!(h.state().curator.changes(), vec!["subject.zh-Hans=历史遗迹".to_owned()]);
    press(&mut h, "Save");
    let meta = disan_catalog::Catalog::open(root).unwrap().metadata(id).unwrap();
    assert_eq!(meta.subject.get("zh-Hans"), Some("历史遗迹"));
}

/// In a tour's panorama a curator places an information point by clicking where it belongs.
#[test]
fn curator_mode_places_a_hotspot_by_clicking() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let root = dir.path();
    let (pier, _) = with_tour(root);
    let mut h = curating(root, pier);
    press(&mut h, "Tours");
    press(&mut h, "An information point");
    h.state_mut().curator.info_title = "Cột cờ".into();
    h.state_mut().curator.info_text = "Nơi thuyền cập bến.".into();
    // Click 100 points right of the view's centre.
    let (rect, camera) = {
        let (_, p) = h.state().pano.as_ref().unwrap();
        (p.last_rect, p.camera)
    };
    let at = rect.center() + egui::Vec2::new(100.0, 0.0);
    click_at(&mut h, at);
    let tour = disan_catalog::Catalog::open(root).unwrap().tour("ha-long").unwrap();
    let infos = &tour.scene(pier).unwrap().infos;
    assert_eq!(infos.len(), 2, "{infos:?}");
    let placed = &infos[1];
    let want = camera.unproject(
        egui::Pos2::new(rect.width() / 2.0 + 100.0, rect.height() / 2.0),
        rect.size(),
    );
    assert!(
        (placed.yaw - want.0).abs() < 0.5 && (placed.pitch - want.1).abs() < 0.5,
        "{placed:?} vs {want:?}"
    );
    assert!(placed.yaw > camera.yaw, "to the right of the centre");
    assert_eq!(placed.title.get("en"), Some("Cột cờ"));
    // It is drawn at once, and is a revision of the tour by the curator.
    assert_eq!(h.state().pano.as_ref().unwrap().1.hotspots.len(), 3);
    assert_last_tour_change_by_the_curator(root);
}

/// In curator mode a hotspot dragged to a new place is saved there (a drag elsewhere still turns the view).
#[test]
fn curator_mode_drags_a_hotspot() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let root = dir.path();
    let (pier, _) = with_tour(root);
    let mut h = curating(root, pier);
    h.state_mut().pano.as_mut().unwrap().1.camera.yaw = -25.0;
    h.run_steps(2);
    let (from, rect, camera) = {
        let (_, p) = h.state().pano.as_ref().unwrap();
        let spot = p.hotspots.iter().find(|s| s.id == "i1").unwrap();
        (p.hotspot_pos(spot).unwrap(), p.last_rect, p.camera)
    };
    let to = from + egui::Vec2::new(120.0, 60.0);
    h.event(egui::Event::PointerMoved(from));
    h.event(egui::Event::PointerButton {
        pos: from,
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: egui::Modifiers::NONE,
    });
    h.run_steps(1);
    for k in 1..=6 {
        h.event(egui::Event::PointerMoved(from + (to - from) * (k as f32 / 6.0)));
        h.run_steps(1);
    }
    h.event(egui::Event::PointerButton {
        pos: to,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: egui::Modifiers::NONE,
    });
    h.run_steps(3);
    let tour = disan_catalog::Catalog::open(root).unwrap().tour("ha-long").unwrap();
    let info = &tour.scene(pier).unwrap().infos[0];
    let want = camera.unproject(to - rect.min.to_vec2(), rect.size());
    assert!(
        (info.yaw - want.0).abs() < 0.5 && (info.pitch - want.1).abs() < 0.5,
        "{info:?} vs {want:?}; {:?}; hotspots now {:?}",
        h.state().curator.message,
        h.state().pano.as_ref().unwrap().1.hotspots
    );
    let (_, pano) = h.state().pano.as_ref().unwrap();
    assert!((pano.camera.yaw - camera.yaw).abs() < 1e-6, "the view did not turn");
}

/// Presses the first control labelled `label` through its accessibility action, as a screen reader would:
/// the curator's panel is taller than the test window, and a pointer click below its edge would miss.
fn press(h: &mut Harness<'_, ViewerApp>, label: &str) {
    use egui_kittest::kittest::Queryable as _;
    h.get_all_by_label(label).next().unwrap().click_accesskit();
    h.run_steps(3);
}

/// A link suggested from GPS and compass is accepted with one click, or rejected: a rejected one is kept in
/// the tour and no longer offered.
#[test]
fn curator_mode_accepts_and_rejects_suggested_links() {
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let root = dir.path();
    let (pier, boat) = with_tour(root);
    let unlink = || {
        let mut cat = disan_catalog::Catalog::open_for_edit(root).unwrap();
        cat.update_tour("ha-long", "test", |_, t| {
            t.scene_mut(pier).unwrap().links.clear();
            Ok(())
        })
        .unwrap();
    };
    // Both panoramas face east (GPano heading 90°) from the same spot, and the pier no longer links to the boat.
    for id in [pier, boat] {
        let lock = disan_catalog::WriteLock::acquire(root).unwrap();
        let mut cat = disan_catalog::Catalog::open_or_create(root, &lock).unwrap();
        let mut m = cat.get(id).unwrap().manifest;
        m.metadata.heading_deg = Some(90.0);
        cat.commit_asset(&m, &format!("/captures/{id}.jpg"), 1).unwrap();
    }
    unlink();
    let mut h = curating(root, pier);
    press(&mut h, "Tours");
    press(&mut h, "Accept");
    let tour = disan_catalog::Catalog::open(root).unwrap().tour("ha-long").unwrap();
    let links = &tour.scene(pier).unwrap().links;
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!((links[0].target.as_str(), links[0].pitch), (boat, -10.0));
    assert!(
        h.query_by_label("Accept").is_none(),
        "linked now, so no longer suggested"
    );
    drop(h);

    unlink();
    let mut h = curating(root, pier);
    press(&mut h, "Tours");
    press(&mut h, "Reject");
    let tour = disan_catalog::Catalog::open(root).unwrap().tour("ha-long").unwrap();
    assert!(tour.scene(pier).unwrap().links.is_empty());
    assert!(tour.is_rejected(pier, boat), "{:?}", tour.rejected);
    assert!(h.query_by_label("Accept").is_none() && h.query_by_label("Reject").is_none());
    assert_last_tour_change_by_the_curator(root);
}

/// Sites in curator mode: a site suggested by ingest is confirmed, its names and fields are edited with the
/// catalogue's validation, a new site is split off for the asset and one of its site's photos and then merged
/// into another, every change a revision.
#[test]
fn curator_mode_manages_sites() {
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let root = dir.path();
    let (_, boat) = with_tour(root);
    // The boat's panorama has GPS and no site: ingest's suggestion makes an unconfirmed site for it.
    let suggested = {
        let mut cat = disan_catalog::Catalog::open_for_edit(root).unwrap();
        cat.suggest_sites(100.0, "disan ingest").unwrap();
        let suggested = cat.get(boat).unwrap().site_id.expect("a suggested site");
        // Two photos join it, so that splitting it can take one along and leave the other.
        cat.assign_site(Some(&suggested), &[ASSETS[0].id.into(), ASSETS[2].id.into()], "test")
            .unwrap();
        suggested
    };
    let site = |id: &str| disan_catalog::Catalog::open(root).unwrap().site(id).unwrap();
    assert!(!site(&suggested).confirmed);
    let mut h = harness_sized(root, curator(), [1280.0, 1100.0]);
    open_asset(&mut h, boat);
    assert!(h.query_by_label("Confirm site").is_none(), "on its own tab");
    press(&mut h, "Site details");
    press(&mut h, "Confirm site");
    assert!(site(&suggested).confirmed);

    let field = h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Site name (vi)");
    field.focus();
    field.type_text("Bến thuyền Hạ Long");
    h.run_steps(2);
    assert_eq!(
        h.state().curator.site_changes(),
        vec!["name.vi=Bến thuyền Hạ Long".to_owned()]
    );
    press(&mut h, "Save site");
    assert_eq!(site(&suggested).name.get("vi"), Some("Bến thuyền Hạ Long"));
    let revs = disan_catalog::Catalog::open(root)
        .unwrap()
        .history(disan_catalog::Entity::Site, &suggested)
        .unwrap();
    assert_eq!(revs.last().unwrap().author, "biên tập viên");

    // A rank outside the vocabulary is refused with a message, and nothing changes.
    let field = h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Rank");
    field.focus();
    field.type_text("not-a-rank");
    h.run_steps(2);
    press(&mut h, "Save site");
    assert!(h.state().curator.message.as_ref().is_some_and(|(ok, _)| !*ok));
    assert_eq!(site(&suggested).rank, None);

    // A new site for the asset, named in the interface language: split off from the suggested site, it takes
    // that site's province. (The refused rank is cleared from the form first.)
    h.state_mut().curator.site_form.insert("rank".into(), String::new());
    let field = h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Province");
    field.focus();
    field.type_text("quang-ninh");
    h.run_steps(2);
    press(&mut h, "Save site");
    assert_eq!(site(&suggested).province.as_deref(), Some("quang-ninh"));
    let field = h.get_by_role_and_label(egui::accesskit::Role::TextInput, "New site");
    field.focus();
    field.type_text("Hang Sửng Sốt");
    h.run_steps(2);
    // The first photo goes along with the panorama (ticked in the list of the site's other assets).
    h.get_by_role_and_label(egui::accesskit::Role::CheckBox, "Ha Long Bay at dawn")
        .click();
    h.run_steps(2);
    assert!(h.state().curator.split_with.contains(ASSETS[0].id));
    press(&mut h, "Create and assign");
    let cat = disan_catalog::Catalog::open(root).unwrap();
    let now = cat.get(boat).unwrap().site_id.unwrap();
    assert_ne!(now, suggested);
    assert_eq!(cat.get(ASSETS[0].id).unwrap().site_id.as_deref(), Some(now.as_str()));
    assert_eq!(
        cat.get(ASSETS[2].id).unwrap().site_id.as_deref(),
        Some(suggested.as_str())
    );
    drop(cat);
    assert_eq!(site(&now).name.get("en"), Some("Hang Sửng Sốt"));
    assert_eq!(site(&now).province.as_deref(), Some("quang-ninh"));
    assert!(site(&now).confirmed);

    // The new site merged into Ha Long Bay: the asset moves there, and the site records where it went.
    assert!(
        h.query_by(|n| n.label().as_deref() == Some("Merge") && n.is_disabled())
            .is_some(),
        "nothing to merge into is picked yet"
    );
    h.state_mut().curator.merge_into = Some("ha-long".into());
    h.run_steps(1);
    press(&mut h, "Merge");
    let cat = disan_catalog::Catalog::open(root).unwrap();
    assert_eq!(cat.get(boat).unwrap().site_id.as_deref(), Some("ha-long"));
    assert_eq!(cat.get(ASSETS[0].id).unwrap().site_id.as_deref(), Some("ha-long"));
    assert_eq!(site(&now).merged_into.as_deref(), Some("ha-long"));
    assert_eq!(
        cat.history(disan_catalog::Entity::Site, &now)
            .unwrap()
            .last()
            .unwrap()
            .author,
        "biên tập viên"
    );
}

/// Tours from the curator's panel: a panorama joins an existing (empty) tour, starts a new one named in
/// the interface language, and a hotspot is removed from its scene, each a revision.
#[test]
fn curator_mode_adds_to_tours_and_removes_hotspots() {
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let root = dir.path();
    let pier = ASSETS[1].id;
    disan_catalog::Catalog::open_for_edit(root)
        .unwrap()
        .create_tour("vinh", Default::default(), "test")
        .unwrap();
    let tour = |id: &str| disan_catalog::Catalog::open(root).unwrap().tour(id).unwrap();
    let mut h = curating(root, pier);
    assert!(h.query_by_label("Add to tour").is_none(), "on its own tab");
    press(&mut h, "Tours");
    // The tour picked in the drop-down (egui's combo box offers no label to find it by).
    h.state_mut().curator.join_tour = Some("vinh".into());
    h.run_steps(1);
    press(&mut h, "Add to tour");
    assert_eq!(tour("vinh").scenes.len(), 1);
    assert_eq!(tour("vinh").scenes[0].asset, pier);

    // A change reloads the form; the section stays open (egui remembers it).
    let field = h.get_by_role_and_label(egui::accesskit::Role::TextInput, "New tour");
    field.focus();
    field.type_text("Dạo bến Hạ Long");
    h.run_steps(2);
    press(&mut h, "Create tour");
    let new = tour("dao-ben-ha-long");
    assert_eq!(new.title.get("en"), Some("Dạo bến Hạ Long"));
    assert_eq!(new.scenes[0].asset, pier);
    assert_eq!(
        disan_catalog::Catalog::open(root)
            .unwrap()
            .tour_history("dao-ben-ha-long")
            .unwrap()
            .len(),
        2,
        "created, then the scene added"
    );
    drop(h);

    // The tour of with_tour: the pier links to the boat (l1) and has an information point (i1).
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let root = dir.path();
    let (pier, _) = with_tour(root);
    let mut h = curating(root, pier);
    press(&mut h, "Tours");
    press(&mut h, "Hotspots");
    press(&mut h, "» On the boat");
    press(&mut h, "Remove");
    let t = disan_catalog::Catalog::open(root).unwrap().tour("ha-long").unwrap();
    let scene = t.scene(pier).unwrap();
    assert!(scene.links.is_empty(), "{:?}", scene.links);
    assert_eq!(scene.infos.len(), 1);
    assert_eq!(h.state().pano.as_ref().unwrap().1.hotspots.len(), 1, "drawn without it");
}

/// A placed hotspot is edited in the panel: an information point gets its title in another language, new
/// text and no longer opens a photo; a link arrives at the target's start view, then at a view of its own.
/// Each save is one revision of the tour by the curator.
#[test]
fn curator_mode_edits_hotspots() {
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let root = dir.path();
    let (pier, boat) = with_tour(root);
    let scene = || {
        let t = disan_catalog::Catalog::open(root).unwrap().tour("ha-long").unwrap();
        t.scene(pier).unwrap().clone()
    };
    let revisions = || {
        disan_catalog::Catalog::open(root)
            .unwrap()
            .tour_history("ha-long")
            .unwrap()
            .len()
    };
    let before = revisions();
    let mut h = curating(root, pier);
    press(&mut h, "Tours");
    press(&mut h, "Hotspots");
    press(&mut h, "i Boat pier");
    let field = h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Point title (zh-Hans)");
    field.focus();
    field.type_text("码头");
    h.run_steps(2);
    h.state_mut().curator.hotspots.get_mut("i1").unwrap().1.opens = None;
    h.run_steps(1);
    press(&mut h, "Save hotspot");
    let info = scene().infos[0].clone();
    assert_eq!(info.title.get("zh-Hans"), Some("码头"));
    assert_eq!(info.title.get("vi"), Some("Bến thuyền"), "the other languages are kept");
    assert_eq!(info.text.get("en"), Some("Boats leave for the bay at dawn."));
    assert_eq!(info.asset, None);
    assert_eq!((info.yaw, info.pitch), (-25.0, 5.0), "it stays where it was");
    assert_eq!(revisions(), before + 1);
    assert_last_tour_change_by_the_curator(root);

    // The link to the boat: first the boat's start view, then a view of its own.
    press(&mut h, "» On the boat");
    press(&mut h, "Arrive at a view of its own");
    assert_eq!(h.state().curator.hotspots["l1"].1.arrive, None);
    press_enabled(&mut h, "Save hotspot");
    assert_eq!(scene().links[0].arrive, None);
    press(&mut h, "Arrive at a view of its own");
    let start = disan_catalog::Catalog::open(root)
        .unwrap()
        .tour("ha-long")
        .unwrap()
        .scene(boat)
        .unwrap()
        .view;
    assert_eq!(
        h.state().curator.hotspots["l1"].1.arrive,
        Some(start),
        "starts from the start view"
    );
    h.state_mut()
        .curator
        .hotspots
        .get_mut("l1")
        .unwrap()
        .1
        .arrive
        .as_mut()
        .unwrap()
        .yaw = 45.0;
    h.run_steps(1);
    press_enabled(&mut h, "Save hotspot");
    assert_eq!(scene().links[0].arrive.map(|v| v.yaw), Some(45.0));
    assert_eq!(revisions(), before + 3);
}

/// A scene moves later or earlier in its tour (the first scene is where the tour starts), as a revision.
/// The Tours tab is also compared with its reference image.
#[test]
fn curator_mode_reorders_scenes() {
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let root = dir.path();
    let (pier, boat) = with_tour(root);
    let order = || {
        let t = disan_catalog::Catalog::open(root).unwrap().tour("ha-long").unwrap();
        t.scenes.iter().map(|s| s.asset.clone()).collect::<Vec<_>>()
    };
    let mut h = curating(root, pier);
    press(&mut h, "Tours");
    h.get_by_label("Scene 1 of 2");
    snapshot(&mut h, "curator_tours_en");
    press_enabled(&mut h, "Later");
    assert_eq!(order(), [boat, pier]);
    h.get_by_label("Scene 2 of 2");
    assert!(
        h.query_all_by(|n| n.label().as_deref() == Some("Later") && !n.is_disabled())
            .next()
            .is_none(),
        "the last scene cannot move later"
    );
    assert_last_tour_change_by_the_curator(root);
    press_enabled(&mut h, "Earlier");
    assert_eq!(order(), [pier, boat]);
}

/// The view on screen becomes the scene's start view, or the view a link from another scene arrives at.
#[test]
fn curator_mode_takes_views_from_the_screen() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let root = dir.path();
    let (pier, boat) = with_tour(root);
    let tour = || disan_catalog::Catalog::open(root).unwrap().tour("ha-long").unwrap();
    let mut h = curating(root, boat);
    let want = disan_catalog::TourView {
        yaw: -50.0,
        pitch: 10.0,
        hfov: 70.0,
    };
    {
        let camera = &mut h.state_mut().pano.as_mut().unwrap().1.camera;
        (camera.yaw, camera.pitch, camera.hfov) = (want.yaw + 360.0, want.pitch, want.hfov);
    }
    press(&mut h, "Tours");
    press(&mut h, "Arrive here from Ha Long boat pier, 360° at this view");
    let arrive = tour().scene(pier).unwrap().links[0].arrive.unwrap();
    assert!(
        (arrive.yaw - want.yaw).abs() < 1e-9 && arrive.pitch == want.pitch && arrive.hfov == want.hfov,
        "{arrive:?}: yaw within −180…180"
    );
    press(&mut h, "Start the scene at this view");
    let view = tour().scene(boat).unwrap().view;
    assert!((view.yaw - want.yaw).abs() < 1e-9 && view.hfov == want.hfov, "{view:?}");
    assert_last_tour_change_by_the_curator(root);
}

/// Presses the first enabled control labelled `label` (several hotspots can be open, each with its Save).
fn press_enabled(h: &mut Harness<'_, ViewerApp>, label: &str) {
    use egui_kittest::kittest::Queryable as _;
    h.get_all_by(move |n| n.label().as_deref() == Some(label) && !n.is_disabled())
        .next()
        .unwrap()
        .click_accesskit();
    h.run_steps(3);
}
