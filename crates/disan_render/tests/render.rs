//! Headless mesh rendering on whatever adapter wgpu finds (Mesa's lavapipe in CI), compared with reference
//! images by SSIM. `DISAN_BLESS=1` rewrites the references (look at them before committing).

use std::path::{Path, PathBuf};

use disan_model::{Limits, ModelFormat, Scene, read_scene};
use disan_render::{Gpu, View, render_scene};
use image::RgbaImage;

fn load(rel: &str) -> Scene {
    let path = disan_tests::testdata("models").join(rel);
    let bytes = std::fs::read(&path).unwrap();
    let format = ModelFormat::from_extension(&path).unwrap();
    let (report, scene) = read_scene(&bytes, format, rel, path.parent().unwrap(), Limits::default());
    scene.unwrap_or_else(|| panic!("{rel}: {report:?}"))
}

fn reference(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/reference")
        .join(name)
}

/// SSIM of the two images' RGB, and the mean absolute difference.
fn compare(got: &RgbaImage, want: &RgbaImage) -> (f64, f64) {
    assert_eq!(got.dimensions(), want.dimensions());
    let a = image::DynamicImage::ImageRgba8(got.clone()).to_rgb8();
    let b = image::DynamicImage::ImageRgba8(want.clone()).to_rgb8();
    let ssim = image_compare::rgb_hybrid_compare(&a, &b).unwrap().score;
    let mad = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| f64::from(x.abs_diff(*y)))
        .sum::<f64>()
        / a.as_raw().len() as f64;
    (ssim, mad)
}

fn check(name: &str, got: &RgbaImage) {
    let path = reference(name);
    if std::env::var_os("DISAN_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        got.save(&path).unwrap();
        return;
    }
    let want = disan_tests::open_image(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .to_rgba8();
    let (ssim, mad) = compare(got, &want);
    if ssim < 0.97 || mad > 3.0 {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
        got.save(&out).unwrap();
        panic!(
            "{name}: similarity {ssim:.4}, mean difference {mad:.2}; got {}",
            out.display()
        );
    }
}

#[test]
fn textured_models_match_their_references() {
    let gpu = Gpu::shared().expect("a GPU adapter (lavapipe: apt-get install mesa-vulkan-drivers)");
    for (model, name, yaw, pitch) in [
        ("DamagedHelmet.glb", "helmet.png", 20.0, 10.0),
        ("Duck_glTF/Duck.gltf", "duck.png", 30.0, 20.0),
        ("CesiumMilkTruck_glTF/CesiumMilkTruck.gltf", "truck.png", -40.0, 25.0),
    ] {
        let scene = load(model);
        let view = View {
            width: 256,
            height: 256,
            yaw,
            pitch,
            ..View::default()
        };
        let img = render_scene(&gpu, &scene, &view).unwrap();
        check(name, &img);
    }
}

#[test]
fn shader_passes_naga_validation() {
    let module = naga::front::wgsl::parse_str(disan_render::MESH_SHADER).expect("WGSL parses");
    naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::default(),
    )
    .validate(&module)
    .expect("shader validates");
}

/// Mean absolute difference over the pixels where `full` shows the model (not the background colour).
fn foreground_diff(got: &RgbaImage, full: &RgbaImage) -> f64 {
    let bg = full.get_pixel(0, 0);
    let (mut sum, mut n) = (0.0, 0usize);
    for (a, b) in got.pixels().zip(full.pixels()) {
        if b != bg {
            sum += (0..3).map(|k| f64::from(a[k].abs_diff(b[k]))).sum::<f64>() / 3.0;
            n += 1;
        }
    }
    assert!(n > 1000, "the model covers only {n} pixels");
    sum / n as f64
}

/// Each material map changes the picture: the helmet rendered without one of them differs from the full
/// render where that map has detail (normal bumps, metal, cavities, lit displays).
#[test]
fn every_material_map_is_used() {
    let gpu = Gpu::shared().expect("a GPU adapter (lavapipe: apt-get install mesa-vulkan-drivers)");
    let scene = load("DamagedHelmet.glb");
    let view = View {
        width: 320,
        height: 320,
        yaw: 20.0,
        pitch: 10.0,
        zoom: 1.6,
        ..View::default()
    };
    let full = render_scene(&gpu, &scene, &view).unwrap();
    let without = |strip: fn(&mut disan_model::scene::Material)| {
        let mut s = scene.clone();
        s.materials.iter_mut().for_each(strip);
        foreground_diff(&render_scene(&gpu, &s, &view).unwrap(), &full)
    };
    let normal = without(|m| m.normal_texture = None);
    let mr = without(|m| m.metallic_roughness_texture = None);
    let occlusion = without(|m| m.occlusion_texture = None);
    let emissive = without(|m| {
        m.emissive_texture = None;
        m.emissive = [0.0; 3];
    });
    eprintln!(
        "mean difference without normal {normal:.2}, metallic-roughness {mr:.2}, occlusion {occlusion:.2}, emissive {emissive:.2}"
    );
    // A re-render of the same scene is identical, so any difference is the map's.
    assert_eq!(compare(&render_scene(&gpu, &scene, &view).unwrap(), &full).1, 0.0);
    for (name, d) in [
        ("normal", normal),
        ("metallic-roughness", mr),
        ("occlusion", occlusion),
        ("emissive", emissive),
    ] {
        assert!(d > 0.5, "dropping the {name} map changed almost nothing ({d:.2})");
    }
}

/// A scene uploaded once draws the same from many views as rendering it afresh; and the render targets kept
/// from one render for the next of the same size (what a turntable's frames do) leave nothing of the last
/// frame behind: renders alternating between two sizes, on a device of their own, match each other and
/// renders on the shared device.
#[test]
fn a_prepared_scene_renders_like_a_fresh_one() {
    let gpu = Gpu::shared().expect("a GPU adapter (lavapipe: apt-get install mesa-vulkan-drivers)");
    let own = Gpu::new().expect("a second device");
    let scene = load("Duck_glTF/Duck.gltf");
    let prepared = disan_render::prepare_scene(&own, &scene).unwrap();
    let mut first = Vec::new();
    for round in 0..2 {
        for (i, yaw) in [0.0, 90.0, 200.0].into_iter().enumerate() {
            let (width, height) = if i % 2 == 0 { (128, 96) } else { (96, 128) };
            let view = View {
                width,
                height,
                yaw,
                ..View::default()
            };
            let a = disan_render::render_prepared(&own, &prepared, &view).unwrap();
            let b = render_scene(&gpu, &scene, &view).unwrap();
            assert_eq!(a.dimensions(), (width, height));
            assert_eq!(compare(&a, &b).1, 0.0, "yaw {yaw}");
            if round == 0 {
                first.push(a);
            } else {
                assert_eq!(a, first[i], "yaw {yaw} drawn again");
            }
        }
    }
}

/// glTF's alpha modes: a MASK material draws where its alpha reaches the cutoff and nothing (the background)
/// where it falls below; an OPAQUE one ignores alpha, and a BLEND one lets the background through.
#[test]
fn alpha_mask_drops_what_falls_below_the_cutoff() {
    let gpu = Gpu::shared().expect("a GPU adapter");
    let scene = load("Box.glb");
    let view = View {
        width: 96,
        height: 96,
        ..View::default()
    };
    let with = |mode: &str, alpha: f32| {
        let mut s = scene.clone();
        for m in &mut s.materials {
            m.alpha_mode = mode.to_owned();
            m.alpha_cutoff = Some(0.5);
            m.base_color[3] = alpha;
        }
        render_scene(&gpu, &s, &view).unwrap()
    };
    let opaque = with("OPAQUE", 1.0);
    let bg = *opaque.get_pixel(0, 0);
    let covered = |img: &RgbaImage| img.pixels().filter(|p| **p != bg).count();
    assert!(covered(&opaque) > 1000, "the box covers {} pixels", covered(&opaque));
    assert_eq!(covered(&with("MASK", 0.3)), 0, "a masked-out box drew something");
    assert_eq!(
        compare(&with("MASK", 0.7), &opaque).1,
        0.0,
        "a box above the cutoff differs"
    );
    assert_eq!(
        compare(&with("OPAQUE", 0.3), &opaque).1,
        0.0,
        "alpha changed an opaque box"
    );
    let blended = with("BLEND", 0.3);
    assert!(covered(&blended) > 1000);
    let centre = |img: &RgbaImage| *img.get_pixel(48, 48);
    assert_ne!(centre(&blended), centre(&opaque), "a blended box hid the background");
}

/// `Camera` (projection, rays through pixels) is the camera the rasteriser draws with: on the Damaged Helmet
/// seen from an explicit orbit, every pixel whose ray hits the surface is drawn (alpha) and every pixel whose
/// ray misses shows the transparent background, away from the one-pixel silhouette; a hit projects back to
/// its own pixel; and the default framing's orbit gives the same image when stated explicitly.
#[test]
fn the_camera_projects_as_the_rasteriser_draws() {
    let gpu = Gpu::shared().expect("a GPU adapter");
    let scene = load("DamagedHelmet.glb");
    let surface = disan_model::Surface::new(&scene).unwrap();
    let bounds = scene.bounds().unwrap();
    let centre = [0, 1, 2].map(|k| (bounds.0[k] + bounds.1[k]) * 0.5);
    let view = View {
        width: 160,
        height: 120,
        yaw: -35.0,
        pitch: 15.0,
        fov: 30.0,
        background: [0.0; 4],
        orbit: Some(disan_render::Orbit {
            target: [centre[0] + 0.2, centre[1] - 0.1, centre[2]],
            distance: surface.radius() * 3.2,
        }),
        ..View::default()
    };
    let img = render_scene(&gpu, &scene, &view).unwrap();
    let cam = disan_render::Camera::new(bounds, &view);
    let covered = |x: u32, y: u32| img.get_pixel(x, y)[3] > 0;
    let (mut agree, mut checked) = (0, 0);
    for y in 1..view.height - 1 {
        for x in 1..view.width - 1 {
            // Only pixels whose whole 3×3 neighbourhood is inside or outside the drawn silhouette.
            let n: Vec<bool> = (0..9).map(|k| covered(x + k % 3 - 1, y + k / 3 - 1)).collect();
            if n.iter().any(|c| *c != n[0]) {
                continue;
            }
            let (o, d) = cam.ray(x as f32 + 0.5, y as f32 + 0.5);
            let hit = surface.ray(o, d);
            checked += 1;
            agree += usize::from(hit.is_some() == n[0]);
            if let Some(h) = hit {
                let p = cam.project(h.point).unwrap();
                assert!(
                    (p[0] - x as f32 - 0.5).abs() < 1e-2 && (p[1] - y as f32 - 0.5).abs() < 1e-2,
                    "{p:?} vs ({x}, {y})"
                );
            }
        }
    }
    assert!(checked > 15_000, "{checked}");
    // Back faces hidden by no front face are few; allow a handful.
    assert!(
        agree as f64 >= checked as f64 * 0.999,
        "{agree} of {checked} pixels agree"
    );
    let covered_px = img.pixels().filter(|p| p[3] > 0).count();
    assert!(covered_px > 2_000 && covered_px < 19_000, "{covered_px}");

    let framed = View {
        width: 160,
        height: 120,
        background: [0.0; 4],
        ..View::default()
    };
    let orbit = disan_render::Camera::new(bounds, &framed).orbit();
    let explicit = View {
        orbit: Some(orbit),
        ..framed
    };
    let (a, b) = (
        render_scene(&gpu, &scene, &framed).unwrap(),
        render_scene(&gpu, &scene, &explicit).unwrap(),
    );
    assert_eq!(
        compare(&a, &b).1,
        0.0,
        "the default framing stated as an orbit draws the same image"
    );
}
