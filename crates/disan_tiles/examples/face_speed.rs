//! Times `render_face` (the finest level of a panorama's pyramid) face by face, on one thread:
//! `cargo run --release -p disan_tiles --example face_speed -- PANORAMA.jpg [REPEAT]`.
//! Prints nanoseconds per output pixel for each face (side faces: bicubic; up and down: footprint samples).

use disan_tiles::{CubeLayout, EquiSource, Face, render_face};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: face_speed PANORAMA.jpg [REPEAT]");
        std::process::exit(2);
    };
    let repeat: u32 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1);
    let settings = disan_core::Settings {
        max_pixels: 1 << 30,
        ..Default::default()
    };
    let limits = disan_imaging::DecodeLimits::from(&settings);
    let src = match disan_imaging::read_rgb8(std::path::Path::new(path), &limits) {
        Ok(src) => src,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    };
    let equi = EquiSource::new(&src, None);
    let size = CubeLayout::for_equirect_width(src.width(), 512).cube_size;
    for face in Face::ALL {
        let start = std::time::Instant::now();
        for _ in 0..repeat {
            std::hint::black_box(render_face(&equi, face, size));
        }
        let ns = start.elapsed().as_nanos() as f64 / f64::from(repeat) / (f64::from(size) * f64::from(size));
        println!("{}: {size}² in {ns:.1} ns/px", face.letter());
    }
}
