//! Pannellum itself (npm `pannellum` 2.5.7, in Debian's headless Chromium) opens what `disan pano` writes, and
//! shows at each yaw/pitch/hfov what a rectilinear camera sees in the source panorama: proof that our face
//! letters, orientations and level sizes are Pannellum's, not just self-consistent.

use disan_core::Settings;
use disan_imaging::{DecodeLimits, decode_rgb8};
use disan_tests::{chromium_screenshot, disan, keep_images, mean_abs_diff, run, serve, testdata, web_dir};
use disan_tiles::{EquiSource, render_view};

#[test]
fn pannellum_shows_our_pyramid_as_the_source() {
    let work = tempfile::tempdir().unwrap();
    let base = serve(vec![
        ("/web".into(), web_dir()),
        ("/out".into(), work.path().to_owned()),
    ]);
    let (w, h) = (480u32, 360u32);
    for (rel, name) in [
        ("panoramas/pannellum-examplepano.jpg", "example"),
        ("panoramas/aframe-lake.jpg", "lake"),
    ] {
        let out = run(disan(work.path())
            .args(["pano"])
            .arg(testdata(rel))
            .arg("--out")
            .arg(work.path().join(name)));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let bytes = std::fs::read(testdata(rel)).unwrap();
        let src = decode_rgb8(&bytes, &DecodeLimits::from(&Settings::default()))
            .unwrap()
            .image;
        let source = EquiSource::new(&src, None);
        for (yaw, pitch, hfov) in disan_tests::VIEWS_INTO_EVERY_FACE {
            let url =
                format!("{base}/web/view.html?config=/out/{name}/config.json&yaw={yaw}&pitch={pitch}&hfov={hfov}");
            let shot_path = work.path().join(format!("{name}_{yaw}_{pitch}.png"));
            let shot = chromium_screenshot(&url, w, h, &shot_path);
            assert_eq!(shot.dimensions(), (w, h));
            let expected = render_view(&source, yaw, pitch, hfov, w, h);
            let d = mean_abs_diff(&shot, &expected);
            // Metric: mean absolute difference per channel value (0–255) between Pannellum's screenshot and the view
            // computed from the source. Measured 0.2–7.8 (JPEG tiles, Pannellum's level choice and its own
            // texture filtering account for it); the threshold is 12.
            // Control: the view half a turn away (measured 49–100). A wrong face letter, a flipped face or a mixed-up level
            // lands near the control, not near the expected view.
            let control = mean_abs_diff(&shot, &render_view(&source, yaw + 180.0, -pitch, hfov, w, h));
            eprintln!("{name} yaw {yaw} pitch {pitch} hfov {hfov}: mean difference {d:.1}, control {control:.1}");
            if d >= 12.0 || d * 3.0 >= control {
                let keep = keep_images(&format!("pannellum-{name}-{yaw}-{pitch}"), &shot, &expected);
                panic!(
                    "{name} at yaw {yaw} pitch {pitch} hfov {hfov}: mean difference {d:.1} (control {control:.1}); images in {}",
                    keep.display()
                );
            }
        }
    }
}

/// `disan render <ID> --yaw --pitch --hfov` draws a panorama asset's view from its tile pyramid, with the angles
/// meaning what they mean in Pannellum: it matches the view computed from the source image.
#[test]
fn disan_render_draws_panorama_views_from_the_pyramid() {
    let work = tempfile::tempdir().unwrap();
    let collection = work.path().join("c");
    let rel = "panoramas/pannellum-examplepano.jpg";
    let (code, report, stderr) = disan_tests::ingest(&collection, &[&testdata(rel)], &[]);
    assert_eq!(code, 0, "{stderr}");
    let id = disan_tests::entry(&report, "pannellum-examplepano.jpg")["asset_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bytes = std::fs::read(testdata(rel)).unwrap();
    let src = decode_rgb8(&bytes, &DecodeLimits::from(&Settings::default()))
        .unwrap()
        .image;
    let source = EquiSource::new(&src, None);
    let (w, h) = (320u32, 240u32);
    for (yaw, pitch, hfov) in [
        (0.0, 0.0, 90.0),
        (35.0, 12.0, 75.0),
        (-100.0, -25.0, 100.0),
        (60.0, 70.0, 90.0),
    ] {
        let out_path = work.path().join(format!("view_{yaw}_{pitch}.png"));
        let out = run(disan(&collection)
            .args(["render", &id, "--out"])
            .arg(&out_path)
            .args(["--size", &format!("{w}x{h}")])
            .args([
                "--yaw",
                &yaw.to_string(),
                "--pitch",
                &pitch.to_string(),
                "--hfov",
                &hfov.to_string(),
            ]));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let ours = disan_tests::open_image(&out_path).unwrap().to_rgb8();
        assert_eq!(ours.dimensions(), (w, h));
        let expected = render_view(&source, yaw, pitch, hfov, w, h);
        let control = render_view(&source, yaw + 20.0, pitch, hfov, w, h);
        let (d, c) = (mean_abs_diff(&ours, &expected), mean_abs_diff(&ours, &control));
        // Measured 0.3–3.7 (JPEG tiles, bilinear from the level as dense as the view); controls 5.5–40.
        eprintln!("render yaw {yaw} pitch {pitch} hfov {hfov}: mean difference {d:.2}, control (20° off) {c:.2}");
        assert!(
            d < 6.0 && c > 3.0 * d,
            "yaw {yaw} pitch {pitch}: {d:.2} vs control {c:.2}"
        );
    }
}
