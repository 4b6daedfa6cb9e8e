//! Times the encoder alone: `cargo run --release -p disan_video --example encode_speed -- W H FRAMES`.
fn main() {
    let a: Vec<u32> = std::env::args().skip(1).map(|s| s.parse().expect("numbers")).collect();
    let (w, h, n) = (a[0], a[1], u64::from(a[2]));
    let base = image::RgbImage::from_fn(w * 2, h, |x, y| {
        let v = ((x * 7 + y * 13) ^ (x * y / 97)) as u8;
        image::Rgb([v, v.wrapping_mul(3), v.wrapping_add((x / 5) as u8)])
    });
    let t = std::time::Instant::now();
    let frames: Vec<image::RgbImage> = (0..n)
        .map(|i| image::imageops::crop_imm(&base, (i * 4) as u32 % w, 0, w, h).to_image())
        .collect();
    eprintln!("frames made in {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let mut i = 0;
    let mp4 = disan_video::encode(
        disan_video::VideoSpec::flat(w, h),
        n,
        |_| {
            i += 1;
            frames[i - 1].clone()
        },
        &|_, _| {},
    )
    .unwrap();
    let s = t.elapsed().as_secs_f64();
    eprintln!(
        "{n} frames {w}x{h}: {s:.2} s, {:.1} fps, {} bytes",
        n as f64 / s,
        mp4.len()
    );
}
