//! Helpers for bench/models.sh (not part of the product):
//!
//! - `subdivide IN.glb OUT.glb LEVELS`: split every triangle in four, LEVELS times (a dense stand-in for a
//!   photogrammetry scan made from a real model);
//! - `simplify IN.glb OUT.glb RATIO ERROR`: what ingest does for one LOD, timed;
//! - `deviation INPUT.glb OUTPUT.glb`: how far the input's vertices lie from the output's surface (max and
//!   mean, relative to the input's bounding-box diagonal), the same measure for any tool.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use disan_model::scene::{Primitive, Vertex, transform_point};
use disan_model::{Limits, ModelFormat, Scene, read_scene};

fn load(path: &str) -> Scene {
    let bytes = std::fs::read(path).expect("readable model");
    let p = Path::new(path);
    let (report, scene) = read_scene(&bytes, ModelFormat::Glb, path, p.parent().unwrap(), Limits::default());
    scene.unwrap_or_else(|| panic!("{path}: {}", report.error_summary()))
}

fn mid(a: &Vertex, b: &Vertex) -> Vertex {
    let m = |x: f32, y: f32| (x + y) * 0.5;
    Vertex {
        pos: [0, 1, 2].map(|k| m(a.pos[k], b.pos[k])),
        normal: [0, 1, 2].map(|k| m(a.normal[k], b.normal[k])),
        uv0: [0, 1].map(|k| m(a.uv0[k], b.uv0[k])),
        uv1: [0, 1].map(|k| m(a.uv1[k], b.uv1[k])),
        color: [0, 1, 2, 3].map(|k| m(a.color[k], b.color[k])),
        tangent: [0, 1, 2, 3].map(|k| m(a.tangent[k], b.tangent[k])),
    }
}

fn subdivide(p: &mut Primitive) {
    let mut edges: HashMap<(u32, u32), u32> = HashMap::new();
    let mut indices = Vec::with_capacity(p.indices.len() * 4);
    let tris: Vec<[u32; 3]> = p.indices.chunks_exact(3).map(|t| [t[0], t[1], t[2]]).collect();
    for [a, b, c] in tris {
        let mut midpoint = |x: u32, y: u32| {
            let key = (x.min(y), x.max(y));
            *edges.entry(key).or_insert_with(|| {
                let v = mid(&p.vertices[x as usize], &p.vertices[y as usize]);
                p.vertices.push(v);
                p.vertices.len() as u32 - 1
            })
        };
        let (ab, bc, ca) = (midpoint(a, b), midpoint(b, c), midpoint(c, a));
        indices.extend_from_slice(&[a, ab, ca, ab, b, bc, ca, bc, c, ab, bc, ca]);
    }
    p.indices = indices;
}

fn world_positions(scene: &Scene) -> Vec<[f32; 3]> {
    let mut out = Vec::new();
    for (m, world) in scene.instances() {
        for p in &scene.meshes[m].primitives {
            out.extend(p.vertices.iter().map(|v| transform_point(&world, v.pos)));
        }
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("subdivide") => {
            let mut scene = load(&args[2]);
            let levels: u32 = args[4].parse().unwrap();
            for p in scene.meshes.iter_mut().flat_map(|m| m.primitives.iter_mut()) {
                for _ in 0..levels {
                    subdivide(p);
                }
            }
            std::fs::write(&args[3], disan_model::write::write_glb(&scene, "lod_bench subdivide")).unwrap();
            println!("{} triangles", scene.triangles());
        }
        Some("simplify") => {
            let t = Instant::now();
            let mut scene = load(&args[2]);
            let ratio: f32 = args[4].parse().unwrap();
            let error: f32 = args[5].parse().unwrap();
            disan_model::lod::optimize(&mut scene);
            let (lod, stats) = disan_model::lod::simplify(&scene, ratio, error);
            std::fs::write(&args[3], disan_model::write::write_glb(&lod, "lod_bench")).unwrap();
            println!(
                "triangles {} -> {} meshopt_error {:.5} seconds {:.2}",
                stats.triangles_before,
                stats.triangles_after,
                stats.error,
                t.elapsed().as_secs_f64()
            );
        }
        Some("deviation") => {
            let input = world_positions(&load(&args[2]));
            let out_scene = load(&args[3]);
            let mut tris: Vec<[[f32; 3]; 3]> = Vec::new();
            for (m, world) in out_scene.instances() {
                for p in &out_scene.meshes[m].primitives {
                    for t in p.indices.chunks_exact(3) {
                        tris.push([0, 1, 2].map(|k| transform_point(&world, p.vertices[t[k] as usize].pos)));
                    }
                }
            }
            let (mut min, mut max) = ([f32::INFINITY; 3], [f32::NEG_INFINITY; 3]);
            for p in &input {
                for k in 0..3 {
                    min[k] = min[k].min(p[k]);
                    max[k] = max[k].max(p[k]);
                }
            }
            let diag = (0..3).map(|k| (max[k] - min[k]).powi(2)).sum::<f32>().sqrt();
            // Output triangles binned in a uniform grid; each input vertex searches rings of cells.
            let cell = diag / 128.0;
            let key = |p: [f32; 3]| [0, 1, 2].map(|k| ((p[k] - min[k]) / cell).floor() as i32);
            let mut grid: HashMap<[i32; 3], Vec<usize>> = HashMap::new();
            for (i, t) in tris.iter().enumerate() {
                let lo = key([0, 1, 2].map(|k| t[0][k].min(t[1][k]).min(t[2][k])));
                let hi = key([0, 1, 2].map(|k| t[0][k].max(t[1][k]).max(t[2][k])));
                for x in lo[0]..=hi[0] {
                    for y in lo[1]..=hi[1] {
                        for z in lo[2]..=hi[2] {
                            grid.entry([x, y, z]).or_default().push(i);
                        }
                    }
                }
            }
            let (mut worst, mut sum) = (0.0f32, 0.0f64);
            for q in &input {
                let c = key(*q);
                let mut best = f32::INFINITY;
                for r in 0..128i32 {
                    for dx in -r..=r {
                        for dy in -r..=r {
                            for dz in -r..=r {
                                if dx.abs().max(dy.abs()).max(dz.abs()) != r {
                                    continue;
                                }
                                for &t in grid.get(&[c[0] + dx, c[1] + dy, c[2] + dz]).into_iter().flatten() {
                                    best = best.min(point_triangle(*q, &tris[t]));
                                }
                            }
                        }
                    }
                    if best <= r as f32 * cell {
                        break;
                    }
                }
                worst = worst.max(best);
                sum += f64::from(best);
            }
            println!(
                "input-to-output distance: max {:.5} mean {:.6} (of the diagonal)",
                worst / diag,
                sum / input.len() as f64 / f64::from(diag)
            );
        }
        _ => eprintln!("usage: lod_bench subdivide|simplify|deviation …"),
    }
}

/// Distance from `p` to triangle `t` (closest point by region, after Ericson's Real-Time Collision Detection).
fn point_triangle(p: [f32; 3], t: &[[f32; 3]; 3]) -> f32 {
    let sub = |a: [f32; 3], b: [f32; 3]| [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
    let dot = |a: [f32; 3], b: [f32; 3]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    let at = |a: [f32; 3], d: [f32; 3], s: f32| [a[0] + d[0] * s, a[1] + d[1] * s, a[2] + d[2] * s];
    let [a, b, c] = *t;
    let (ab, ac, ap) = (sub(b, a), sub(c, a), sub(p, a));
    let (d1, d2) = (dot(ab, ap), dot(ac, ap));
    let closest = if d1 <= 0.0 && d2 <= 0.0 {
        a
    } else {
        let bp = sub(p, b);
        let (d3, d4) = (dot(ab, bp), dot(ac, bp));
        let cp = sub(p, c);
        let (d5, d6) = (dot(ab, cp), dot(ac, cp));
        let vc = d1 * d4 - d3 * d2;
        let vb = d5 * d2 - d1 * d6;
        let va = d3 * d6 - d5 * d4;
        if d3 >= 0.0 && d4 <= d3 {
            b
        } else if d6 >= 0.0 && d5 <= d6 {
            c
        } else if vc <= 0.0 && d1 >= 0.0 && d3 <= 0.0 {
            at(a, ab, d1 / (d1 - d3))
        } else if vb <= 0.0 && d2 >= 0.0 && d6 <= 0.0 {
            at(a, ac, d2 / (d2 - d6))
        } else if va <= 0.0 && (d4 - d3) >= 0.0 && (d5 - d6) >= 0.0 {
            at(b, sub(c, b), (d4 - d3) / ((d4 - d3) + (d5 - d6)))
        } else {
            let denom = 1.0 / (va + vb + vc);
            let (v, w) = (vb * denom, vc * denom);
            at(at(a, ab, v), ac, w)
        }
    };
    let d = sub(p, closest);
    dot(d, d).sqrt()
}
