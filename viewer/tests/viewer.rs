//! The viewer on lavapipe (or any wgpu adapter): snapshots of the home grid, search, map and asset views
//! compared with `tests/snapshots/*.png` (`UPDATE_SNAPSHOTS=1` rewrites them), and behaviour checks.

#[path = "viewer/curator.rs"]
mod curator;
mod fixture;
#[path = "viewer/story.rs"]
mod story;

use std::path::Path;

use disan_core::AssetKind;
use disan_tests::{copy_dir, mean_abs_diff};
use disan_tiles::EquiSource;
use disan_viewer::{HomeView, Lang, Options, ViewerApp};
use egui_kittest::kittest::Queryable;
use egui_kittest::{Harness, SnapshotOptions};
use fixture::{ASSETS, SAMPLES, fixture_dir, harness, harness_sized, open_asset, settle};

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
    let dir = fixture_dir();
    let mut h = harness(dir.path(), Options::default());
    assert_eq!(h.state().results.len(), ASSETS.len());
    // Titles show in the interface language, with diacritics.
    h.get_by_label("Bản đồ");
    snapshot(&mut h, "home_grid_vi");
}

#[test]
fn search_is_diacritic_blind_and_filters() {
    let dir = fixture_dir();
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
    let dir = fixture_dir();
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
    let dir = fixture_dir();
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
    let dir = fixture_dir();
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
    press_space(&mut h);
    h.run_steps(2);
    assert!(h.state().attract_since.is_none());
}

#[test]
fn photo_view_zooms_into_iiif_tiles() {
    let dir = fixture_dir();
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
    let dir = fixture_dir();
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
    let dir = fixture_dir();
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
    let dir = fixture_dir();
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

/// The tour "ha-long" as the catalogue holds it now.
fn stored_tour(root: &Path) -> disan_catalog::Tour {
    disan_catalog::Catalog::open(root).unwrap().tour("ha-long").unwrap()
}

/// A fixture collection with the tour of [`with_tour`]: its folder, the pier and the boat.
fn toured() -> (tempfile::TempDir, &'static str, &'static str) {
    let dir = fixture_dir();
    let (pier, boat) = with_tour(dir.path());
    (dir, pier, boat)
}

/// A tour of two panoramas: the link hotspot moves to the next scene looking where it says, the way back
/// returns, and the information point opens its card in English.
#[test]
fn a_tour_moves_between_scenes_and_opens_information() {
    let (dir, pier, boat) = toured();
    let root = dir.path();
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

/// The narrated tour (issue 24, item 3) in the viewer: started from the tour panel it shows the pier with its
/// (draft) narration and caption, turns to the information point when the narration ends and shows its text,
/// turns to the link and loads the next scene by itself; Space pauses, Previous goes back, End closes it.
/// Time drives it (each kittest step is a quarter of a second), with or without a sound card.
#[test]
fn a_narrated_tour_plays_scene_by_scene_with_captions() {
    let (dir, pier, boat) = toured();
    let root = dir.path();
    narrate_pier(root, pier);

    let mut h = silent(root);
    open_asset(&mut h, pier);
    h.get_by_label("Play the narrated tour").click();
    h.run_steps(2);
    {
        let g = h.state().guide.as_ref().expect("the narrated tour plays");
        // The pier, its information point, the turn to the boat, the boat.
        assert_eq!(g.steps.len(), 4);
        assert_eq!((g.index, g.playing), (0, true));
        assert!(
            g.steps[0]
                .audio
                .as_ref()
                .is_some_and(|a| a.0.ends_with("pier-en.mp3") && a.2)
        );
        assert!(
            g.steps[1].audio.is_none(),
            "no narration for the information point in English"
        );
    }
    h.get_by_label_contains("Step 1 of 4 · Draft voice");
    // The narration (2 s and a breath: 11–12 steps) ends: the view turns to the information point (eased over
    // 1.5 s), its text is the caption.
    let index = |h: &Harness<'_, ViewerApp>| h.state().guide.as_ref().unwrap().index;
    let turning = |h: &Harness<'_, ViewerApp>| h.state().pano.as_ref().is_some_and(|(_, p)| p.turning());
    let steps_until = |h: &mut Harness<'_, ViewerApp>, done: &dyn Fn(&Harness<'_, ViewerApp>) -> bool| {
        (0..40).find(|_| {
            h.step();
            done(h)
        })
    };
    let took = steps_until(&mut h, &|h| index(h) == 1).expect("the next step");
    assert!((10..=13).contains(&took), "{took} steps");
    assert!(turning(&h), "the view turns, it does not jump");
    let (_, pano) = h.state().pano.as_ref().unwrap();
    assert!((pano.camera.yaw + 25.0).abs() > 1.0, "{}", pano.camera.yaw);
    let took = steps_until(&mut h, &|h| !turning(h)).unwrap();
    assert!((5..=7).contains(&took), "the turn took {took} steps");
    let (shown, pano) = h.state().pano.as_ref().unwrap();
    assert_eq!(*shown, h.state().collection.index_of(pier).unwrap());
    assert!((pano.camera.yaw + 25.0).abs() < 1e-9 && (pano.camera.pitch - 5.0).abs() < 1e-9);
    h.get_by_label("Boats leave for the bay at dawn.");
    h.get_by_label_contains("Step 2 of 4");
    // Without narration the caption stays for its reading time (4 s), then the view turns to the link…
    steps_until(&mut h, &|h| index(h) == 2).expect("the turn to the link");
    steps_until(&mut h, &|h| !turning(h)).unwrap();
    assert!((h.state().pano.as_ref().unwrap().1.camera.yaw - 20.0).abs() < 1e-9);
    // …and the next scene loads by itself.
    steps_until(&mut h, &|h| index(h) == 3).expect("the next scene");
    h.run_steps(2);
    let boat_index = h.state().collection.index_of(boat).unwrap();
    assert_eq!(h.state().selected, Some(boat_index));
    h.get_by_label("On the boat");
    settle(&mut h);
    h.snapshot("narrated_tour_en");
    // Space pauses; Previous goes back to the turn; End closes the player.
    press_space(&mut h);
    h.run_steps(2);
    assert!(!h.state().guide.as_ref().unwrap().playing);
    h.get_by_label("Previous").click();
    h.run_steps(2);
    assert_eq!(h.state().guide.as_ref().unwrap().index, 2);
    assert_eq!(h.state().selected, h.state().collection.index_of(pier));
    h.get_by_label("End").click();
    h.run_steps(2);
    assert!(h.state().guide.is_none());
}

/// Two seconds of draft narration for the pier scene of tour "ha-long" in English, stored as `disan audio`
/// stores it.
fn narrate_pier(root: &Path, pier: &str) {
    let target = format!("tour:ha-long/{pier}");
    add_narration(root, &target, "tours/ha-long/audio/pier-en.mp3", true);
}

/// Two seconds of narration in English for `target` (as `disan audio` names it), stored at `file` as
/// `disan audio` stores it; `draft` marks a synthesised voice.
fn add_narration(root: &Path, target: &str, file: &str, draft: bool) {
    let tone = disan_audio::Pcm {
        rate: 22_050,
        samples: (0..44_100).map(|i| 0.3 * (i as f32 * 0.05).sin()).collect(),
    };
    std::fs::create_dir_all(root.join(file).parent().unwrap()).unwrap();
    std::fs::write(root.join(file), disan_audio::encode_mp3(&tone).unwrap()).unwrap();
    let mut cat = disan_catalog::Catalog::open_for_edit(root).unwrap();
    let target = cat.audio_target(target).unwrap();
    let record = disan_catalog::audio::AudioRecord {
        file: file.into(),
        original: None,
        seconds: 2.0,
        lufs: -16.0,
        peak_dbtp: -1.0,
        source_lufs: None,
        source_codec: None,
        draft,
        voice: draft.then(|| "espeak-ng en".into()),
    };
    cat.set_audio(&target, "en", Some(&record), "test").unwrap();
}

/// The English viewer without sound (there is no sound card here nor in CI, and snapshots must not depend on
/// one).
fn silent(root: &Path) -> Harness<'static, ViewerApp> {
    harness(
        root,
        Options {
            sound: false,
            ..english()
        },
    )
}

/// The kiosk's attract loop (issue 24, item 3): after a round of the highlights it plays a highlighted
/// narrated tour by itself; a touch returns to home, and when the tour ends the loop goes on.
#[test]
fn the_kiosk_attract_loop_plays_a_highlighted_narrated_tour() {
    let (dir, pier, _) = toured();
    let root = dir.path();
    narrate_pier(root, pier);
    let mut cat = disan_catalog::Catalog::open_for_edit(root).unwrap();
    let highlight = disan_catalog::Change {
        field: "highlight".into(),
        lang: None,
        value: "yes".into(),
    };
    cat.set_meta(&[pier.to_owned()], &[highlight], "test").unwrap();
    drop(cat);
    let mut h = silent(root);
    {
        let o = &mut h.state_mut().options;
        (o.kiosk, o.idle_secs, o.attract_secs) = (true, 1.0, 0.5);
    }
    assert_eq!(h.state().collection.narrated_tours("en"), ["ha-long"]);
    assert!(
        h.state().collection.narrated_tours("vi").is_empty(),
        "no Vietnamese narration"
    );
    h.run_steps(6);
    assert!(h.state().attract_since.is_some(), "idle: the attract loop");
    assert!(h.state().guide.is_none(), "first a round of the highlights");
    let round = h.state().collection.items.len() * 2;
    h.run_steps(round + 2);
    let g = h.state().guide.as_ref().expect("then the narrated tour");
    assert!(g.attract && g.playing && g.index == 0);
    assert_eq!(h.state().selected, h.state().collection.index_of(pier));
    assert!(h.state().attract_since.is_none());
    // It plays to its end (its steps' time, at a quarter of a second a step), and the loop goes on.
    let total: f64 = g.steps.iter().map(disan_viewer::narration::Step::seconds).sum();
    h.run_steps((total / 0.25).ceil() as usize + 4);
    assert!(h.state().guide.is_none());
    assert!(h.state().attract_since.is_some() && h.state().selected.is_none());
    // The next round plays it again; a touch returns to home.
    h.run_steps(round + 2);
    assert!(h.state().guide.as_ref().is_some_and(|g| g.attract));
    press_space(&mut h);
    h.run_steps(2);
    assert!(h.state().guide.is_none() && h.state().selected.is_none() && h.state().attract_since.is_none());
}

/// An asset's own narration (issue 24): "Listen to the narration" in its panel plays it with the asset's
/// title as the caption, leaves the view as it is, and ends with the narration; none in another language.
#[test]
fn an_asset_plays_its_own_narration() {
    let dir = fixture_dir();
    let root = dir.path();
    let photo = ASSETS[0].id;
    add_narration(root, photo, &format!("assets/{photo}/audio/asset-en.mp3"), false);
    let mut h = silent(root);
    open_asset(&mut h, photo);
    h.get_by_label("Listen to the narration").click();
    h.run_steps(2);
    let g = h.state().guide.as_ref().expect("playing");
    assert!(g.tour.is_none() && g.playing && g.steps.len() == 1);
    let title = g.steps[0].title.clone();
    assert!(!title.is_empty());
    // The title shows in the info panel and, bold, as the caption.
    assert_eq!(h.get_all_by_label(&title).count(), 2);
    h.get_by_label_contains("Step 1 of 1");
    h.run_steps(14);
    assert!(h.state().guide.as_ref().unwrap().finished());
    assert_eq!(h.state().selected, h.state().collection.index_of(photo));
    // In Vietnamese there is no narration: no button.
    h.state_mut().guide = None;
    h.state_mut().lang = Lang::Vi;
    h.run_steps(2);
    assert!(h.query_by_label("Nghe thuyết minh").is_none());
}

/// A press of the space bar.
fn press_space(h: &mut Harness<'_, ViewerApp>) {
    h.event(egui::Event::Key {
        key: egui::Key::Space,
        physical_key: None,
        pressed: true,
        repeat: false,
        modifiers: egui::Modifiers::NONE,
    });
}
