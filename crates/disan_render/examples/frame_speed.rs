//! How long `disan_render` takes to draw one frame of a turntable (what `disan share` asks of it), after the
//! scene is uploaded: `cargo run --release -p disan_render --example frame_speed -- MODEL.glb [FRAMES] [WxH]`.
//! On a machine without a GPU this measures Mesa's lavapipe (set `WGPU_BACKEND=vulkan`).

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: frame_speed MODEL.glb [FRAMES] [WxH]")?;
    let frames: u32 = args.next().map_or(Ok(30), |a| a.parse())?;
    let (width, height) = match args.next() {
        Some(s) => {
            let (w, h) = s.split_once('x').ok_or("size is WxH")?;
            (w.parse()?, h.parse()?)
        }
        None => (1920, 1080),
    };
    let path = std::path::Path::new(&path);
    let scene = disan_model::read_scene_file(path, disan_model::Limits::default())?;
    let gpu = disan_render::Gpu::new()?;
    let prepared = disan_render::prepare_scene(&gpu, &scene)?;
    let start = Instant::now();
    let mut checksum = 0u64;
    for i in 0..frames {
        let view = disan_render::View {
            width,
            height,
            yaw: 30.0 + 360.0 * i as f32 / frames as f32,
            pitch: 20.0,
            ..Default::default()
        };
        let img = disan_render::render_prepared(&gpu, &prepared, &view)?;
        checksum = checksum.wrapping_add(img.as_raw().iter().map(|&v| u64::from(v)).sum::<u64>());
    }
    let per = start.elapsed().as_secs_f64() * 1000.0 / f64::from(frames);
    println!(
        "{}: {frames} frames at {width}x{height} on {}: {per:.1} ms a frame (checksum {checksum})",
        path.display(),
        gpu.adapter_name
    );
    Ok(())
}
