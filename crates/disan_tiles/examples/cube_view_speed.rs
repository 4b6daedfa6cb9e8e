//! Times `render_cube_view` (the frames of `disan share`'s pans) against its per-pixel reference:
//! `cargo run --release -p disan_tiles --example cube_view_speed -- [FRAMES] [WIDTH HEIGHT]`.
//! Faces of $FACE px (default 1304, the finest level of the demo panorama's pyramid) from its real
//! 4096×2048 source, the pan's 90° view turning.

use disan_tiles::{CubeFaces, EquiSource, Face, render_cube_view_reference, render_face};

fn main() {
    let args: Vec<u32> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let frames = args.first().copied().unwrap_or(120);
    let (w, h) = (
        args.get(1).copied().unwrap_or(1920),
        args.get(2).copied().unwrap_or(1080),
    );
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/samples/panoramas/aframe-louvre-gpano.jpg");
    let limits = disan_imaging::DecodeLimits::from(&disan_core::Settings::default());
    let src = disan_imaging::read_rgb8(&path, &limits).expect("the demo panorama");
    let equi = EquiSource::new(&src, None);
    let face = std::env::var("FACE").ok().and_then(|f| f.parse().ok()).unwrap_or(1304);
    let faces: [image::RgbImage; 6] = std::array::from_fn(|i| render_face(&equi, Face::ALL[i], face));
    let threads = rayon::current_num_threads();
    let prepared = CubeFaces::new(&faces);
    let fast = |_: &[image::RgbImage; 6], yaw, pitch, hfov, w, h| prepared.render(yaw, pitch, hfov, w, h);
    let reference = |faces: &[image::RgbImage; 6], yaw, pitch, hfov, w, h| {
        render_cube_view_reference(faces, yaw, pitch, hfov, w, h)
    };
    type Render<'a> = &'a dyn Fn(&[image::RgbImage; 6], f64, f64, f64, u32, u32) -> image::RgbImage;
    for (name, f) in [("fast", &fast as Render<'_>), ("reference", &reference)] {
        if std::env::var_os("ONLY_FAST").is_some() && name != "fast" {
            continue;
        }
        let t = std::time::Instant::now();
        let mut sum = 0u64;
        for i in 0..frames {
            let img = f(&faces, -40.0 + 80.0 * f64::from(i) / f64::from(frames), 0.0, 90.0, w, h);
            sum += u64::from(img.as_raw()[img.as_raw().len() / 2]);
        }
        let s = t.elapsed().as_secs_f64();
        let px = f64::from(frames) * f64::from(w) * f64::from(h);
        println!(
            "{name:>9}: {frames} frames {w}×{h} in {s:.2} s: {:.1} ms a frame, {:.2} ns a pixel per thread ({threads} threads) [{sum}]",
            1000.0 * s / f64::from(frames),
            s * 1e9 * threads as f64 / px
        );
    }
}
