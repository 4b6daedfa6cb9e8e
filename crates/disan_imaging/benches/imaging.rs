//! The photo hot path on a real 8 MP capture: header probe, decode, Lanczos3 resample to the display
//! and thumbnail sizes, JPEG encode. `cargo bench -p disan_imaging`.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use disan_core::Settings;
use disan_imaging::{DecodeLimits, decode_rgb8, encode_jpeg, fit_within, probe, resize_rgb};

fn testdata(rel: &str) -> PathBuf {
    std::env::var_os("DISAN_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata"))
        .join(rel)
}

fn photo_path(c: &mut Criterion) {
    let bytes = std::fs::read(testdata("photos/jolla.jpg")).expect("../shared/testdata/photos/jolla.jpg");
    let limits = DecodeLimits::from(&Settings::default());
    let decoded = decode_rgb8(&bytes, &limits).unwrap().image;
    let (w, h) = decoded.dimensions();
    let (dw, dh) = fit_within(w, h, 2048);
    let display = resize_rgb(&decoded, dw, dh);

    let mut g = c.benchmark_group("jolla_8mp");
    g.sample_size(10);
    g.bench_function("probe", |b| b.iter(|| probe(black_box(&bytes), &limits).unwrap()));
    g.bench_function("decode", |b| {
        b.iter(|| decode_rgb8(black_box(&bytes), &limits).unwrap())
    });
    g.bench_function("resize_to_2048", |b| b.iter(|| resize_rgb(black_box(&decoded), dw, dh)));
    g.bench_function("encode_2048_q85", |b| {
        b.iter(|| encode_jpeg(black_box(&display), 85).unwrap())
    });
    g.finish();
}

criterion_group!(benches, photo_path);
criterion_main!(benches);
