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
    let want = image::open(&path)
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
