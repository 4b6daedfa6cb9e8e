fn main() {
    let a: Vec<String> = std::env::args().collect();
    let bytes = std::fs::read(&a[1]).unwrap();
    let limits = disan_imaging::DecodeLimits {
        max_pixels: 400_000_000,
        max_alloc: 4 << 30,
    };
    let d = disan_imaging::decode_rgb8(&bytes, &limits).unwrap();
    println!("{:?}", d.notes);
    d.image.save(&a[2]).unwrap();
}
