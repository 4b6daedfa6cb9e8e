//! Curator mode: every edit through the catalogue's API, as a revision, pressed through accesskit.

#[allow(clippy::wildcard_imports)]
use super::*;

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
    let dir = fixture_dir();
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
    type_and_press(&mut h, "Date", "not a date", "Save");
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

    // The website's highlight: ticked and saved, a revision; unticked and saved, gone again.
    assert!(!meta.highlighted());
    h.get_by_role_and_label(egui::accesskit::Role::CheckBox, "Highlight on the website's home page")
        .click();
    h.run_steps(2);
    assert_eq!(h.state().curator.changes(), vec!["highlight=true".to_owned()]);
    press(&mut h, "Save");
    let cat = disan_catalog::Catalog::open(root).unwrap();
    assert!(cat.metadata(id).unwrap().highlighted());
    let last = cat.history(disan_catalog::Entity::Asset, id).unwrap().pop().unwrap();
    assert_eq!(
        (last.key(), last.author.as_str()),
        ("highlight".to_owned(), "biên tập viên")
    );
    h.get_by_role_and_label(egui::accesskit::Role::CheckBox, "Highlight on the website's home page")
        .click();
    h.run_steps(2);
    press(&mut h, "Save");
    assert!(
        !disan_catalog::Catalog::open(root)
            .unwrap()
            .metadata(id)
            .unwrap()
            .highlighted()
    );
}

/// In a tour's panorama a curator places an information point by clicking where it belongs.
#[test]
fn curator_mode_places_a_hotspot_by_clicking() {
    let (dir, pier, _) = toured();
    let root = dir.path();
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
    let tour = stored_tour(root);
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
    let (dir, pier, _) = toured();
    let root = dir.path();
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
    let tour = stored_tour(root);
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

/// Two curators on one shared catalogue (PostgreSQL): the viewer's edit of a field another curator changed
/// after the viewer read it is not written; the viewer says whose change it was, reads the collection again
/// (the form shows their value), and the next save, made on what is now shown, is written.
#[test]
fn curator_mode_on_a_shared_catalogue_reloads_on_a_conflicting_edit() {
    use egui_kittest::kittest::Queryable as _;
    let dir = fixture_dir();
    let root = dir.path();
    disan_catalog::migrate::to_postgres(root, &disan_tests::postgres_db("viewer")).unwrap();
    let id = ASSETS[2].id;
    let mut h = curating(root, id);
    let field = h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Title (vi)");
    field.focus();
    field.type_text(" lúc hoàng hôn");
    h.run_steps(2);
    // Meanwhile, on another machine: the same field.
    let theirs = "Đồi A1 (Điện Biên Phủ)";
    let change =
        disan_catalog::fields::parse_assignment(disan_catalog::Entity::Asset, &format!("title.vi={theirs}")).unwrap();
    disan_catalog::Catalog::open_for_edit(root)
        .unwrap()
        .set_meta(&[id.to_owned()], &[change], "minh")
        .unwrap();
    press(&mut h, "Save");
    let (ok, message) = h.state().curator.message.clone().unwrap();
    assert!(!ok, "{message}");
    assert!(
        message.contains("Another curator changed this asset") && message.contains("minh"),
        "{message}"
    );
    let cat = disan_catalog::Catalog::open(root).unwrap();
    assert_eq!(
        cat.metadata(id).unwrap().title.get("vi"),
        Some(theirs),
        "their edit stays"
    );
    assert_eq!(h.state().curator.form["title.vi"], theirs, "the form shows it");
    // Edited again on what is shown: written.
    let field = h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Title (vi)");
    field.focus();
    field.type_text(" lúc hoàng hôn");
    h.run_steps(2);
    press(&mut h, "Save");
    assert!(h.state().curator.message.as_ref().is_some_and(|(ok, _)| *ok));
    let cat = disan_catalog::Catalog::open(root).unwrap();
    let mine = format!("{theirs} lúc hoàng hôn");
    assert_eq!(cat.metadata(id).unwrap().title.get("vi"), Some(mine.as_str()));
    let last = cat.history(disan_catalog::Entity::Asset, id).unwrap().pop().unwrap();
    assert_eq!(
        (last.author.as_str(), last.old.as_deref()),
        ("biên tập viên", Some(theirs))
    );
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
    let (dir, pier, boat) = toured();
    let root = dir.path();
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
    let tour = stored_tour(root);
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
    let tour = stored_tour(root);
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
    let (dir, _, boat) = toured();
    let root = dir.path();
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
    // Featured on the website's home page, by its checkbox.
    assert!(!site(&suggested).highlight);
    h.get_by_role_and_label(
        egui::accesskit::Role::CheckBox,
        "Highlight this site on the website's home page",
    )
    .click();
    h.run_steps(2);
    assert_eq!(h.state().curator.site_changes(), vec!["highlight=true".to_owned()]);
    press(&mut h, "Save site");
    assert!(site(&suggested).highlight);
    let revs = disan_catalog::Catalog::open(root)
        .unwrap()
        .history(disan_catalog::Entity::Site, &suggested)
        .unwrap();
    assert_eq!(revs.last().unwrap().author, "biên tập viên");

    // A rank outside the vocabulary is refused with a message, and nothing changes.
    type_and_press(&mut h, "Rank", "not-a-rank", "Save site");
    assert!(h.state().curator.message.as_ref().is_some_and(|(ok, _)| !*ok));
    assert_eq!(site(&suggested).rank, None);

    // A new site for the asset, named in the interface language: split off from the suggested site, it takes
    // that site's province. (The refused rank is cleared from the form first.)
    h.state_mut().curator.site_form.insert("rank".into(), String::new());
    type_and_press(&mut h, "Province", "quang-ninh", "Save site");
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
    let dir = fixture_dir();
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
    type_and_press(&mut h, "New tour", "Dạo bến Hạ Long", "Create tour");
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
    let (dir, pier, _) = toured();
    let root = dir.path();
    let mut h = curating(root, pier);
    press(&mut h, "Tours");
    press(&mut h, "Hotspots");
    press(&mut h, "» On the boat");
    press(&mut h, "Remove");
    let t = stored_tour(root);
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
    let (dir, pier, boat) = toured();
    let root = dir.path();
    let scene = || stored_tour(root).scene(pier).unwrap().clone();
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
    let (dir, pier, boat) = toured();
    let root = dir.path();
    let order = || {
        stored_tour(root)
            .scenes
            .iter()
            .map(|s| s.asset.clone())
            .collect::<Vec<_>>()
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
    let (dir, pier, boat) = toured();
    let root = dir.path();
    let tour = || stored_tour(root);
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

/// Types `text` into the text field labelled `field`, then presses `button`.
fn type_and_press(h: &mut Harness<'_, ViewerApp>, field: &str, text: &str, button: &str) {
    let input = h.get_by_role_and_label(egui::accesskit::Role::TextInput, field);
    input.focus();
    input.type_text(text);
    h.run_steps(2);
    press(h, button);
}

/// Narration from the Tours tab (issue 24, item 1): the scene's by default, an information point's once it
/// is chosen; a draft voice for each goes to its own target.
#[test]
fn curator_mode_narrates_a_scene_and_its_information_point() {
    let (dir, pier, _) = toured();
    let root = dir.path();
    let mut h = curating(root, pier);
    press(&mut h, "Tours");
    press(&mut h, "Draft voice (en)");
    press(&mut h, "Narration of");
    press(&mut h, "i Boat pier");
    press(&mut h, "Draft voice (vi)");
    let cat = disan_catalog::Catalog::open(root).unwrap();
    let scene = cat.audio_target(&format!("tour:ha-long/{pier}")).unwrap();
    let info = cat.audio_target(&format!("tour:ha-long/{pier}/i1")).unwrap();
    assert!(cat.audio(&scene, "en").unwrap().is_some_and(|r| r.draft));
    assert!(cat.audio(&scene, "vi").unwrap().is_none());
    let vi = cat
        .audio(&info, "vi")
        .unwrap()
        .expect("the information point's draft voice");
    assert_eq!(vi.voice.as_deref(), Some("espeak-ng vi"));
    assert!(root.join(&vi.file).is_file());
}

/// A photo's video focus (issue 23): panned to a detail in deep zoom, the centre of the view is taken with a
/// button and saved as the `focus` field (a revision by the curator), which `disan share`'s zoom videos end
/// on; a value the catalogue refuses is reported and nothing is saved.
#[test]
fn curator_mode_sets_a_photos_video_focus_from_the_view() {
    let dir = fixture_dir();
    let root = dir.path();
    let id = ASSETS[0].id;
    let mut h = curating(root, id);
    h.run_steps(3);
    {
        let (_, zoom) = h.state_mut().deep_zoom.as_mut().expect("the photo opens in deep zoom");
        let (w, ht) = (zoom.layout.width as f32, zoom.layout.height as f32);
        zoom.center = egui::vec2(w * 0.25, ht * 0.7);
    }
    press(&mut h, "Use the centre of the view");
    assert_eq!(h.state().curator.form["focus"], "0.250,0.700");
    snapshot(&mut h, "curator_focus_en");
    assert_eq!(h.state().curator.changes(), vec!["focus=0.250,0.700".to_owned()]);
    press(&mut h, "Save");
    let cat = disan_catalog::Catalog::open(root).unwrap();
    let meta = cat.metadata(id).unwrap();
    assert_eq!(meta.focus_point(), Some((0.25, 0.7)));
    let last = cat.history(disan_catalog::Entity::Asset, id).unwrap().pop().unwrap();
    assert_eq!(
        (last.author.as_str(), last.key()),
        ("biên tập viên", "focus".to_owned())
    );
    // The reloaded form shows the saved focus (as the catalogue stores it); a malformed value is refused with
    // the reason.
    assert_eq!(h.state().curator.form["focus"], "0.25,0.7");
    let field = h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Video focus (x,y)");
    field.focus();
    field.type_text(",1");
    h.run_steps(2);
    press(&mut h, "Save");
    let message = h.state().curator.message.clone().unwrap();
    assert!(!message.0 && message.1.contains("focus"), "{message:?}");
    let cat = disan_catalog::Catalog::open(root).unwrap();
    assert_eq!(cat.metadata(id).unwrap().focus_point(), Some((0.25, 0.7)));
    // A panorama has no focus to set.
    open_asset(&mut h, ASSETS[1].id);
    h.run_steps(3);
    use egui_kittest::kittest::Queryable as _;
    assert!(h.query_by_label("Use the centre of the view").is_none());
}
