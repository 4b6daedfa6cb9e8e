use std::time::Instant;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let limits = disan_imaging::DecodeLimits {
        max_pixels: 400_000_000,
        max_alloc: 4 << 30,
    };
    let t = Instant::now();
    let d = disan_imaging::decode_rgb8(&bytes, &limits).unwrap();
    println!("decode {:?} {:?}", t.elapsed(), d.image.dimensions());
    let img = d.image;
    let t = Instant::now();
    let mut n = 0;
    let mut total = 0;
    for y in (0..img.height().min(4096)).step_by(512) {
        for x in (0..img.width()).step_by(512) {
            let w = 512.min(img.width() - x);
            let h = 512.min(img.height() - y);
            let tile = image::imageops::crop_imm(&img, x, y, w, h).to_image();
            total += disan_imaging::encode_jpeg(&tile, 92).unwrap().len();
            n += 1;
        }
    }
    let el = t.elapsed();
    println!(
        "encode {n} tiles {:?} ({:.1} MP/s) {total} bytes",
        el,
        n as f64 * 0.262144 / el.as_secs_f64()
    );
    let t = Instant::now();
    let half = disan_imaging::resize_rgb(&img, img.width().div_ceil(2), img.height().div_ceil(2));
    println!("resize half {:?}", t.elapsed());
    let t = Instant::now();
    let mut v = Vec::new();
    for y in (0..img.height().min(4096)).step_by(512) {
        for x in (0..img.width()).step_by(512) {
            let w = 512.min(img.width() - x);
            let h = 512.min(img.height() - y);
            v.push(image::imageops::crop_imm(&img, x, y, w, h).to_image());
        }
    }
    println!("crop {} {:?}", v.len(), t.elapsed());
    drop(half);
}
