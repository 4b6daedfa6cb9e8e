//! A relic's story in the viewer (issue 24, annotated relics): numbered pins on the model's surface that
//! hide behind it, annotations that fly the camera to their saved view with their text as the caption, and
//! curator mode's annotation picked by a click on the surface and saved with the view.

#[allow(clippy::wildcard_imports)]
use super::*;

const HELMET: &str = "d000000000000005";

/// The helmet's surface, as `disan story` reads it.
fn surface(root: &Path) -> disan_model::Surface {
    let path = root.join(format!("assets/{HELMET}/model/model.glb"));
    let bytes = std::fs::read(&path).unwrap();
    let (_, scene) = disan_model::read_scene(
        &bytes,
        disan_model::ModelFormat::Glb,
        "model.glb",
        path.parent().unwrap(),
        disan_model::Limits::default(),
    );
    disan_model::Surface::new(&scene.unwrap()).unwrap()
}

/// The annotation picked at the centre of the default view from `yaw` (pitch 10), saved with that view.
fn annotation(s: &disan_model::Surface, id: &str, yaw: f32, title: &str, text: &str) -> disan_catalog::Annotation {
    let view = disan_render::View {
        width: 400,
        height: 300,
        yaw,
        pitch: 10.0,
        ..Default::default()
    };
    let cam = disan_render::Camera::new(s.bounds(), &view);
    let (o, d) = cam.ray(200.0, 150.0);
    let hit = s.ray(o, d).expect("the centre of the view is on the helmet");
    let orbit = cam.orbit();
    let mut a = disan_catalog::Annotation {
        id: id.into(),
        position: hit.point.map(f64::from),
        normal: hit.normal.map(f64::from),
        view: disan_catalog::StoryView {
            yaw: f64::from(yaw),
            pitch: 10.0,
            fov: 30.0,
            target: orbit.target.map(f64::from),
            distance: f64::from(orbit.distance) * 0.7,
        },
        title: Default::default(),
        text: Default::default(),
    };
    a.title.set("en", title);
    a.text.set("en", text);
    a
}

/// Two annotations: the visor seen from the front right, the left side seen from the left.
fn storied(root: &Path) -> disan_catalog::Story {
    let s = surface(root);
    let story = disan_catalog::Story {
        annotations: vec![
            annotation(&s, "visor", 30.0, "The visor", "Scratched by years of use."),
            annotation(&s, "side", -100.0, "The left side", "Where the breathing tube joins."),
        ],
    };
    let mut cat = disan_catalog::Catalog::open_for_edit(root).unwrap();
    cat.set_story(HELMET, &Default::default(), &story, "test").unwrap();
    story
}

fn settle_story(h: &mut Harness<'_, ViewerApp>) {
    for _ in 0..3000 {
        h.step();
        let m = &h.state().model.as_ref().unwrap().1;
        if !m.busy() && m.surface.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    h.run_steps(3);
}

#[test]
fn a_relic_story_pins_the_surface_and_flies_to_each_annotation() {
    let dir = fixture_dir();
    let root = dir.path();
    let story = storied(root);
    let mut h = silent(root);
    open_asset(&mut h, HELMET);
    settle_story(&mut h);
    h.get_by_label("The relic's story");
    h.get_by_label("1. The visor");
    // From the default view (yaw 30) the visor's pin shows; the left side's is behind the helmet.
    let drawn: Vec<usize> = h
        .state()
        .model
        .as_ref()
        .unwrap()
        .1
        .drawn
        .iter()
        .map(|(i, _)| *i)
        .collect();
    assert_eq!(drawn, [0], "only the visor's pin is seen from the front right");
    snapshot(&mut h, "model_story_en");

    // The second annotation: the camera flies to its view, its pin becomes the one told and its text the
    // caption; the visor's pin is now behind the helmet.
    h.get_by_label("2. The left side").click();
    h.run_steps(2);
    assert!(
        h.state()
            .guide
            .as_ref()
            .is_some_and(|g| g.index == 1 && g.tour.is_none())
    );
    settle_story(&mut h);
    let m = &h.state().model.as_ref().unwrap().1;
    let v = m.story_view().unwrap();
    let want = story.annotations[1].view;
    assert!(
        (v.yaw - want.yaw).abs() < 1e-3 && (v.pitch - want.pitch).abs() < 1e-3,
        "{v:?} vs {want:?}"
    );
    assert!((v.distance - want.distance).abs() < 1e-4 && (v.target[0] - want.target[0]).abs() < 1e-4);
    assert_eq!(m.active, Some(1));
    let drawn: Vec<usize> = m.drawn.iter().map(|(i, _)| *i).collect();
    assert_eq!(drawn, [1]);
    // The pin sits where the camera projects the annotation's point: the centre of the image, since the
    // view was picked through its centre and keeps its target.
    let (_, at) = m.drawn[0];
    let centre = m.screen.center();
    assert!(at.distance(centre) < 2.0, "{at:?} vs the view's centre {centre:?}");
    h.get_by_label("Where the breathing tube joins.");
    snapshot(&mut h, "model_story_side_en");

    // A click on a pin tells its annotation: back to the visor.
    h.state_mut().guide = None;
    h.run_steps(2);
    h.get_by_label("1. The visor").click();
    h.run_steps(1);
    h.state_mut().guide.as_mut().unwrap().playing = false;
    settle_story(&mut h);
    assert_eq!(h.state().guide.as_ref().map(|g| g.index), Some(0));
    let (_, at) = h.state().model.as_ref().unwrap().1.drawn[0];
    h.state_mut().guide.as_mut().unwrap().go_to(1);
    click_at(&mut h, at);
    h.run_steps(2);
    assert_eq!(
        h.state().guide.as_ref().unwrap().index,
        0,
        "the pin clicked is the visor's"
    );
}

#[test]
fn a_curator_picks_a_point_on_the_surface_and_saves_it_with_the_view() {
    use egui_kittest::kittest::Queryable as _;
    let dir = fixture_dir();
    let root = dir.path();
    let mut h = harness_sized(
        root,
        Options {
            curate: true,
            sound: false,
            author: "biên tập viên".into(),
            ..english()
        },
        [1280.0, 1000.0],
    );
    open_asset(&mut h, HELMET);
    h.get_by_label("Story").click();
    h.run_steps(2);
    h.get_by_label("Add an annotation: click the model").click();
    h.run_steps(2);
    settle_story(&mut h);
    // A click on the background misses the model and says so.
    let screen = h.state().model.as_ref().unwrap().1.screen;
    click_at(&mut h, screen.left_top() + egui::vec2(8.0, 8.0));
    assert!(h.state().model.as_ref().unwrap().1.pick_missed);
    h.get_by_label("That click missed the model; click its surface.");
    click_at(&mut h, screen.center());
    let picked = h
        .state()
        .model
        .as_ref()
        .unwrap()
        .1
        .picked
        .clone()
        .expect("a point picked");
    let view = h.state().model.as_ref().unwrap().1.story_view().unwrap();
    h.get_by_label("Title (en)").click();
    h.run_steps(1);
    h.get_by_label("Title (en)").type_text("Visor");
    h.get_by_label("Title (vi)").click();
    h.run_steps(1);
    h.get_by_label("Title (vi)").type_text("Kính che mặt");
    h.run_steps(2);
    h.get_by_label("Save the annotation").click();
    h.run_steps(3);
    let cat = disan_catalog::Catalog::open(root).unwrap();
    let story = cat.story(HELMET).unwrap();
    assert_eq!(story.annotations.len(), 1, "{story:?}");
    let a = &story.annotations[0];
    assert_eq!(a.title.get("vi"), Some("Kính che mặt"));
    assert_eq!(a.position, picked.position);
    // On the surface, and saved with the view it was picked in.
    let s = surface(root);
    let off = s.nearest(a.position.map(|x| x as f32)).unwrap().distance;
    assert!(off < 1e-4, "{off}");
    assert!((a.view.yaw - view.yaw).abs() < 1e-6 && (a.view.distance - view.distance).abs() < 1e-4);
    let rev = cat.history(disan_catalog::Entity::Asset, HELMET).unwrap();
    assert_eq!(rev.last().unwrap().field, "story");
    assert_eq!(rev.last().unwrap().author, "biên tập viên");
    drop(cat);

    // Its narration, from curator mode: a recording added from a file, a draft voice, one removed.
    h.get_all_by_label("1. Visor").last().unwrap().click();
    h.run_steps(3);
    let tone = disan_audio::Pcm {
        rate: 22_050,
        samples: (0..44_100).map(|i| 0.3 * (i as f32 * 0.05).sin()).collect(),
    };
    let recording = root.join("thuyết minh.mp3");
    std::fs::write(&recording, disan_audio::encode_mp3(&tone).unwrap()).unwrap();
    h.get_by_label("Recording file (MP3, M4A, Ogg, FLAC, WAV)").click();
    h.run_steps(1);
    h.get_by_label("Recording file (MP3, M4A, Ogg, FLAC, WAV)")
        .type_text(recording.to_str().unwrap());
    h.run_steps(1);
    h.get_by_label("Add the file (en)").click();
    h.run_steps(3);
    h.get_all_by_label("1. Visor").last().unwrap().click();
    h.run_steps(3);
    h.get_by_label("Draft voice (vi)").click();
    h.run_steps(3);
    let cat = disan_catalog::Catalog::open(root).unwrap();
    let target = cat.audio_target(&format!("{HELMET}#a1")).unwrap();
    let en = cat.audio(&target, "en").unwrap().expect("the recording");
    assert!(!en.draft && (en.seconds - 2.0).abs() < 0.1, "{en:?}");
    assert!(root.join(&en.file).is_file() && en.original.is_some());
    let vi = cat.audio(&target, "vi").unwrap().expect("the draft voice");
    assert!(vi.draft && vi.voice.as_deref() == Some("espeak-ng vi"), "{vi:?}");
    drop(cat);
    h.get_all_by_label("1. Visor").last().unwrap().click();
    h.run_steps(3);
    h.get_by_label("Remove (vi)").click();
    h.run_steps(3);
    let cat = disan_catalog::Catalog::open(root).unwrap();
    assert!(cat.audio(&target, "vi").unwrap().is_none());
    drop(cat);
    // Removing it is a revision too.
    h.run_steps(2);
    h.get_by_label("Remove").click();
    h.run_steps(3);
    let cat = disan_catalog::Catalog::open(root).unwrap();
    assert!(cat.story(HELMET).unwrap().annotations.is_empty());
}
