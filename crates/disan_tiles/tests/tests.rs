//! Tiling on the real panoramas in ../shared/testdata.

use disan_core::{PanoInfo, Settings};
use disan_imaging::{DecodeLimits, decode_rgb8, encode_jpeg};
use disan_tests::{mean_abs_diff, testdata};
use disan_tiles::{CubeLayout, EquiSource, Face, render_face};
use image::RgbImage;

fn load(rel: &str) -> RgbImage {
    let bytes = std::fs::read(testdata(rel)).unwrap();
    decode_rgb8(&bytes, &DecodeLimits::from(&Settings::default()))
        .unwrap()
        .image
}

/// Which face a direction falls on, and where (u, v ∈ [−1, 1]): the inverse of `Face::direction`.
fn locate(d: [f64; 3]) -> (Face, f64, f64) {
    let [x, y, z] = d;
    let (ax, ay, az) = (x.abs(), y.abs(), z.abs());
    if az >= ax && az >= ay {
        if z > 0.0 {
            (Face::Front, x / az, -y / az)
        } else {
            (Face::Back, -x / az, -y / az)
        }
    } else if ax >= ay {
        if x > 0.0 {
            (Face::Right, -z / ax, -y / ax)
        } else {
            (Face::Left, z / ax, -y / ax)
        }
    } else if y > 0.0 {
        (Face::Up, x / ay, z / ay)
    } else {
        (Face::Down, x / ay, -z / ay)
    }
}

fn face_index(f: Face) -> usize {
    Face::ALL.iter().position(|g| *g == f).unwrap()
}

/// A small deterministic generator (no rand dependency; the same directions every run).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[test]
fn faces_are_pannellums_faces() {
    // Pannellum's own faces of the same panorama (made by its generate.py from a larger original) are the
    // reference for orientation and face letters: ours match each one far better than any flip or turn.
    let src = load("panoramas/pannellum-examplepano.jpg");
    let s = EquiSource::new(&src, None);
    for (i, face) in Face::ALL.into_iter().enumerate() {
        let ours = render_face(&s, face, 1584);
        let reference = load(&format!("panoramas/pannellum-examplepano-cube/examplepanocube{i}.jpg"));
        let right = mean_abs_diff(&ours, &reference);
        let wrong = [
            image::imageops::flip_horizontal(&ours),
            image::imageops::flip_vertical(&ours),
            image::imageops::rotate90(&ours),
            image::imageops::rotate180(&ours),
            image::imageops::rotate270(&ours),
        ]
        .iter()
        .map(|v| mean_abs_diff(v, &reference))
        .fold(f64::INFINITY, f64::min);
        // Measured: 0.6–9.7 for the right orientation, 26–97 for the others.
        assert!(
            right < 12.0 && right * 2.5 < wrong,
            "{face:?}: {right:.1} vs best wrong {wrong:.1}"
        );
    }
}

#[test]
fn shared_face_edges_agree() {
    let src = load("panoramas/aframe-lake.jpg");
    let s = EquiSource::new(&src, None);
    let n = 256u32;
    let faces: Vec<RgbImage> = Face::ALL.iter().map(|&f| render_face(&s, f, n)).collect();
    let mut across = (0.0, 0usize);
    let mut inside = (0.0, 0usize);
    let nf = f64::from(n);
    for (fi, &face) in Face::ALL.iter().enumerate() {
        for i in 0..n {
            let t = 2.0 * (f64::from(i) + 0.5) / nf - 1.0;
            // Each edge pixel, and the direction one pixel beyond it, on the neighbouring face.
            for (u, v, du, dv) in [
                (1.0 - 1.0 / nf, t, 1.0, 0.0),
                (-1.0 + 1.0 / nf, t, -1.0, 0.0),
                (t, 1.0 - 1.0 / nf, 0.0, 1.0),
                (t, -1.0 + 1.0 / nf, 0.0, -1.0),
            ] {
                let px = |u: f64| (((u + 1.0) / 2.0 * nf) as u32).min(n - 1);
                let here = faces[fi].get_pixel(px(u), px(v)).0;
                let (g, gu, gv) = locate(face.direction(u + du * 2.0 / nf, v + dv * 2.0 / nf));
                assert_ne!(g, face);
                let there = faces[face_index(g)].get_pixel(px(gu), px(gv)).0;
                let inner = faces[fi].get_pixel(px(u - du * 2.0 / nf), px(v - dv * 2.0 / nf)).0;
                for k in 0..3 {
                    across.0 += f64::from(here[k].abs_diff(there[k]));
                    inside.0 += f64::from(here[k].abs_diff(inner[k]));
                }
                across.1 += 3;
                inside.1 += 3;
            }
        }
    }
    let (a, b) = (across.0 / across.1 as f64, inside.0 / inside.1 as f64);
    // A seam (a wrong neighbour, a shifted edge) would make neighbours across an edge differ far more than
    // neighbours inside a face.
    assert!(a < b * 1.3 + 0.5, "across edges {a:.2}, inside faces {b:.2}");
}

/// Catmull-Rom bicubic sample of the source in f64, wrapping horizontally: the reference.
fn bicubic_reference(img: &RgbImage, x: f64, y: f64) -> [f64; 3] {
    let weights = |t: f64| {
        let w = |x: f64| {
            let x = x.abs();
            if x <= 1.0 {
                1.5 * x * x * x - 2.5 * x * x + 1.0
            } else if x < 2.0 {
                -0.5 * x * x * x + 2.5 * x * x - 4.0 * x + 2.0
            } else {
                0.0
            }
        };
        [w(1.0 + t), w(t), w(1.0 - t), w(2.0 - t)]
    };
    let (w, h) = (i64::from(img.width()), i64::from(img.height()));
    let (fx, fy) = (x - 0.5, y - 0.5);
    let (x0, y0) = (fx.floor(), fy.floor());
    let (wx, wy) = (weights(fx - x0), weights(fy - y0));
    let mut out = [0.0; 3];
    for (j, wyj) in wy.iter().enumerate() {
        for (i, wxi) in wx.iter().enumerate() {
            let px = (x0 as i64 - 1 + i as i64).rem_euclid(w);
            let py = (y0 as i64 - 1 + j as i64).clamp(0, h - 1);
            let p = img.get_pixel(px as u32, py as u32).0;
            for k in 0..3 {
                out[k] += f64::from(p[k]) * wxi * wyj;
            }
        }
    }
    out
}

/// PSNR of the finest level (as a viewer gets it, through JPEG at `quality`; `None`: before encoding)
/// against the source sampled at each tile pixel's own direction, over `count` random directions.
fn psnr_against_source(src: &RgbImage, quality: Option<u8>, count: u32) -> f64 {
    let s = EquiSource::new(src, None);
    let layout = CubeLayout::for_equirect_width(src.width(), 512);
    let faces: Vec<RgbImage> = Face::ALL
        .iter()
        .map(|&f| {
            let face = render_face(&s, f, layout.cube_size);
            match quality {
                Some(q) => {
                    let jpeg = encode_jpeg(&face, q).unwrap();
                    decode_rgb8(&jpeg, &DecodeLimits::from(&Settings::default()))
                        .unwrap()
                        .image
                }
                None => face,
            }
        })
        .collect();
    let (w, h) = (f64::from(src.width()), f64::from(src.height()));
    let c = f64::from(layout.cube_size);
    let mut rng = Lcg(42);
    let mut se = 0.0;
    for _ in 0..count {
        // Uniform on the sphere, short of the poles' last rows where the source is degenerate.
        let yaw = (rng.next() - 0.5) * std::f64::consts::TAU;
        let pitch = (2.0 * rng.next() - 1.0).asin().clamp(-1.4, 1.4);
        let (face, u, v) = locate(disan_tiles::direction(yaw, pitch));
        // The tile pixel that direction falls in, and that pixel's own direction.
        let (px, py) = (
            (((u + 1.0) / 2.0 * c) as u32).min(layout.cube_size - 1),
            (((v + 1.0) / 2.0 * c) as u32).min(layout.cube_size - 1),
        );
        let ours = faces[face_index(face)].get_pixel(px, py).0;
        // The ideal of the filter the tiles claim: a bicubic sample where the source is no denser than the
        // face, else the average of the source over the pixel's footprint, from 16×16 bicubic sub-samples.
        let at = |du: f64, dv: f64| {
            let d = face.direction(
                2.0 * (f64::from(px) + 0.5 + du) / c - 1.0,
                2.0 * (f64::from(py) + 0.5 + dv) / c - 1.0,
            );
            let (yaw, pitch) = disan_tiles::yaw_pitch(d);
            (
                (yaw / std::f64::consts::TAU + 0.5) * w,
                (0.5 - pitch / std::f64::consts::PI) * h,
            )
        };
        let (x0, y0) = at(0.0, 0.0);
        let footprint = [at(1.0, 0.0), at(0.0, 1.0)]
            .iter()
            .map(|&(x, y)| {
                let dx = (x - x0).abs();
                dx.min(w - dx).max((y - y0).abs())
            })
            .fold(0.0, f64::max);
        let reference = if footprint.ceil() <= 1.0 {
            bicubic_reference(src, x0, y0)
        } else {
            let k = 16;
            let mut acc = [0.0; 3];
            for j in 0..k {
                for i in 0..k {
                    let (x, y) = at(
                        (f64::from(i) + 0.5) / f64::from(k) - 0.5,
                        (f64::from(j) + 0.5) / f64::from(k) - 0.5,
                    );
                    let p = bicubic_reference(src, x, y);
                    for c in 0..3 {
                        acc[c] += p[c] / f64::from(k * k);
                    }
                }
            }
            acc
        };
        se += (0..3)
            .map(|k| (f64::from(ours[k]) - reference[k].clamp(0.0, 255.0)).powi(2))
            .sum::<f64>()
            / 3.0;
    }
    10.0 * (255.0f64.powi(2) / (se / f64::from(count))).log10()
}

#[test]
fn tiles_match_the_source_in_random_directions() {
    for rel in [
        "panoramas/pannellum-examplepano.jpg",
        "panoramas/aframe-lake.jpg",
        "panoramas/aframe-louvre-gpano.jpg",
        "panoramas/egjs-view360/equi-3800x1900.jpg",
    ] {
        let src = load(rel);
        let exact = psnr_against_source(&src, None, 5000);
        let tiles = psnr_against_source(&src, Some(Settings::default().tile_quality), 5000);
        eprintln!("{rel}: PSNR {exact:.1} dB resampled, {tiles:.1} dB through JPEG tiles");
        // Measured: examplepano 49.6 dB resampled, 41.2 dB through Q92 tiles (48.7 / 41.0 before every position
        // was exact; 39.7 at Q90); lake 53.9 / 43.8.
        assert!(
            exact >= 40.0 && tiles >= 40.0,
            "{rel}: {exact:.1} dB resampled, {tiles:.1} dB through tiles"
        );
    }
}

#[test]
fn partial_panoramas_are_placed_by_gpano() {
    let full = load("panoramas/aframe-lake.jpg");
    let partial = load("panoramas/aframe-lake-partial-gpano.jpg");
    let bytes = std::fs::read(testdata("panoramas/aframe-lake-partial-gpano.jpg")).unwrap();
    let pano: PanoInfo = disan_exif::read_metadata(&bytes, None).pano.unwrap();
    let (a, b) = (EquiSource::new(&full, None), EquiSource::new(&partial, Some(&pano)));
    // The band covers pitch −45°..45°: the side faces' middle rows match the full panorama's.
    let n = 128;
    let fa = render_face(&a, Face::Front, n);
    let fb = render_face(&b, Face::Front, n);
    let middle = |img: &RgbImage| image::imageops::crop_imm(img, 0, 40, n, 48).to_image();
    let d = mean_abs_diff(&middle(&fa), &middle(&fb));
    assert!(d < 1.0, "covered area differs by {d}");
    // The zenith is outside the band: neutral fill.
    let up = render_face(&b, Face::Up, n);
    assert_eq!(up.get_pixel(n / 2, n / 2).0, [128, 128, 128]);
}

#[test]
fn a_180_degree_capture_covers_half_the_sphere() {
    // The left half of the real lake panorama (yaw −180°..0°), described by GPano as a crop of the full one.
    let full = load("panoramas/aframe-lake.jpg");
    let half = image::imageops::crop_imm(&full, 0, 0, 2048, 2048).to_image();
    let pano = PanoInfo {
        projection_type: Some("equirectangular".into()),
        full_pano_width: Some(4096),
        full_pano_height: Some(2048),
        cropped_width: Some(2048),
        cropped_height: Some(2048),
        cropped_left: Some(0),
        cropped_top: Some(0),
        ..Default::default()
    };
    let (a, b) = (EquiSource::new(&full, None), EquiSource::new(&half, Some(&pano)));
    let n = 128;
    // The left face (yaw −90°) lies inside the capture: as in the full panorama.
    let d = mean_abs_diff(&render_face(&a, Face::Left, n), &render_face(&b, Face::Left, n));
    assert!(d < 1.0, "left face differs by {d}");
    // The right face (yaw 90°) lies outside: all fill, without wrapping the left half round.
    let right = render_face(&b, Face::Right, n);
    assert!(right.pixels().all(|p| p.0 == [128, 128, 128]));
    // The front face is split down the middle: the left half matches, the right half is fill.
    let front = render_face(&b, Face::Front, n);
    let reference = render_face(&a, Face::Front, n);
    let left = |img: &RgbImage| image::imageops::crop_imm(img, 0, 0, n / 2 - 2, n).to_image();
    assert!(mean_abs_diff(&left(&front), &left(&reference)) < 1.0);
    assert_eq!(front.get_pixel(n - 4, n / 2).0, [128, 128, 128]);
}

#[test]
fn layout_follows_pannellums_arithmetic() {
    let l = CubeLayout::for_equirect_width(4096, 512);
    assert_eq!((l.cube_size, l.max_level), (1296, 3));
    assert_eq!((1..=3).map(|i| l.level_size(i)).collect::<Vec<_>>(), [324, 648, 1296]);
    assert_eq!(l.tile_count(), 6 * (1 + 4 + 9));
    let l = CubeLayout::for_equirect_width(16384, 512);
    assert_eq!((l.cube_size, l.max_level), (5208, 5));
    assert_eq!(
        (1..=5).map(|i| l.level_size(i)).collect::<Vec<_>>(),
        [325, 651, 1302, 2604, 5208]
    );
    let l = CubeLayout::for_equirect_width(1000, 512);
    assert_eq!((l.cube_size, l.max_level, l.level_size(1)), (312, 1, 312));
    assert_eq!(CubeLayout::tile_path(3, Face::Up, 1, 2), "3/u1_2.jpg");
}

/// A synthetic 1024×512 panorama of a world with sky (white) above the horizon and ground (black) below,
/// seen by a camera whose frame relates to the world by `to_world` (source direction → world direction).
fn horizon_scene(to_world: impl Fn([f64; 3]) -> [f64; 3]) -> RgbImage {
    let (w, h) = (1024u32, 512u32);
    RgbImage::from_fn(w, h, |x, y| {
        let yaw = ((f64::from(x) + 0.5) / f64::from(w) - 0.5) * std::f64::consts::TAU;
        let pitch = (0.5 - (f64::from(y) + 0.5) / f64::from(h)) * std::f64::consts::PI;
        let world = to_world(disan_tiles::direction(yaw, pitch));
        if world[1] > 0.0 {
            image::Rgb([255, 255, 255])
        } else {
            image::Rgb([0, 0, 0])
        }
    })
}

/// The row where each column of a levelled equirectangular render turns from sky to ground.
fn horizon_rows(src: &RgbImage, pano: &PanoInfo) -> Vec<u32> {
    let levelled = disan_tiles::render_equirect(&EquiSource::new(src, Some(pano)), 512);
    (0..512)
        .map(|x| (0..256).find(|&y| levelled.get_pixel(x, y)[0] < 128).unwrap_or(256))
        .collect()
}

#[test]
fn gpano_pitch_and_roll_level_the_horizon() {
    let p = 12f64.to_radians();
    // GPano PosePitchDegrees: "pitch, measured in degrees above the horizon, for the center in the image".
    // The image centre (0, 0, 1) looks 12° up: source → world rotates forward toward up by 12°.
    let pitched = horizon_scene(|[x, y, z]| [x, y * p.cos() + z * p.sin(), -y * p.sin() + z * p.cos()]);
    // GPano PoseRollDegrees: "as roll increases, the horizon rotates counterclockwise in the image": the world's
    // right-hand horizon point shows in the image 12° up, at (cos, sin, 0).
    let rolled = horizon_scene(|[x, y, z]| [x * p.cos() + y * p.sin(), -x * p.sin() + y * p.cos(), z]);
    for (name, src, pano) in [
        (
            "pitch",
            &pitched,
            PanoInfo {
                pose_pitch_deg: Some(12.0),
                ..Default::default()
            },
        ),
        (
            "roll",
            &rolled,
            PanoInfo {
                pose_roll_deg: Some(12.0),
                ..Default::default()
            },
        ),
    ] {
        // Unlevelled, the horizon wanders by up to 12° (≈ 17 rows of 256)…
        let raw = horizon_rows(src, &PanoInfo::default());
        assert!(
            raw.iter().any(|&r| r.abs_diff(128) > 10),
            "{name}: the scene is not tilted"
        );
        // …levelled, it is the middle row all the way round.
        let rows = horizon_rows(src, &pano);
        let worst = rows.iter().map(|&r| r.abs_diff(128)).max().unwrap();
        assert!(worst <= 1, "{name}: horizon off by up to {worst} rows: {rows:?}");
    }
}
