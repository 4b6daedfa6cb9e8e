//! meshoptimizer passes: vertex welding, vertex-cache and vertex-fetch order, and simplification into
//! levels of detail with a stated triangle target and error bound.

use rayon::prelude::*;

use crate::scene::{Primitive, Scene, Vertex, max_scale};

/// One level of detail: the share of triangles aimed at, the largest geometric error allowed (relative
/// to the model's bounding-box diagonal), and how textures shrink (a share of their side, capped).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LodTarget {
    pub name: &'static str,
    pub ratio: f32,
    pub max_error: f32,
    pub texture_scale: f32,
    pub texture_side: u32,
}

impl LodTarget {
    /// The longest side a `width`×`height` texture gets in this level (never below 16 px, never enlarged).
    pub fn texture_side_for(&self, width: u32, height: u32) -> u32 {
        let long = width.max(height);
        ((long as f32 * self.texture_scale) as u32)
            .min(self.texture_side)
            .max(16)
            .min(long)
    }
}

/// `lod1.glb`: a quarter of the triangles within 1 % of the model's size, textures at half their side
/// (at most 2048 px). `lod2.glb`: a twentieth within 5 %, textures at a quarter (at most 1024 px).
pub const LOD_TARGETS: [LodTarget; 2] = [
    LodTarget {
        name: "lod1",
        ratio: 0.25,
        max_error: 0.01,
        texture_scale: 0.5,
        texture_side: 2048,
    },
    LodTarget {
        name: "lod2",
        ratio: 0.05,
        max_error: 0.05,
        texture_scale: 0.25,
        texture_side: 1024,
    },
];

/// Welds identical vertices, then orders triangles for the vertex cache and vertices for fetch.
pub fn optimize_primitive(p: &mut Primitive) {
    if p.indices.is_empty() || p.vertices.is_empty() {
        return;
    }
    let (unique, remap) = meshopt::generate_vertex_remap(&p.vertices, Some(&p.indices));
    let mut indices = meshopt::remap_index_buffer(Some(&p.indices), unique, &remap);
    let vertices = meshopt::remap_vertex_buffer(&p.vertices, unique, &remap);
    meshopt::optimize_vertex_cache_in_place(&mut indices, vertices.len());
    p.vertices = meshopt::optimize_vertex_fetch(&mut indices, &vertices);
    p.indices = indices;
}

/// Optimises every primitive (in parallel).
pub fn optimize(scene: &mut Scene) {
    scene
        .meshes
        .par_iter_mut()
        .flat_map(|m| m.primitives.par_iter_mut())
        .for_each(optimize_primitive);
}

/// What simplification achieved.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Simplified {
    pub triangles_before: u64,
    pub triangles_after: u64,
    /// Largest error meshoptimizer reports, relative to the model's bounding-box diagonal.
    pub error: f32,
}

/// Simplifies every mesh towards `ratio` of its triangles, never beyond `max_error` (relative to the
/// whole model's diagonal, so every part is held to the same absolute tolerance).
pub fn simplify(scene: &Scene, ratio: f32, max_error: f32) -> (Scene, Simplified) {
    let mut out = scene.clone();
    let Some((min, max)) = scene.bounds() else {
        return (out, Simplified::default());
    };
    let diagonal = ((max[0] - min[0]).powi(2) + (max[1] - min[1]).powi(2) + (max[2] - min[2]).powi(2)).sqrt();
    if diagonal <= 0.0 || !diagonal.is_finite() {
        return (out, Simplified::default());
    }
    // Each mesh's vertices are in its own units: the tolerance is scaled by its largest instance scale.
    let mut mesh_scale = vec![0.0f32; scene.meshes.len()];
    for (m, world) in scene.instances() {
        mesh_scale[m] = mesh_scale[m].max(max_scale(&world));
    }
    let results: Vec<(u64, u64, f32)> = out
        .meshes
        .par_iter_mut()
        .enumerate()
        .flat_map(|(mi, mesh)| {
            let scale = if mesh_scale[mi] > 0.0 { mesh_scale[mi] } else { 1.0 };
            mesh.primitives.par_iter_mut().map(move |p| {
                let before = p.triangles() as u64;
                let target = ((before as f32 * ratio).round() as usize).max(1) * 3;
                let abs_error = max_error * diagonal / scale;
                let mut err = 0.0f32;
                let simplified = meshopt::simplify_decoder(
                    &p.indices,
                    &p.vertices,
                    target,
                    abs_error,
                    meshopt::SimplifyOptions::ErrorAbsolute,
                    Some(&mut err),
                );
                p.indices = simplified;
                compact(p);
                (before, p.triangles() as u64, err * scale / diagonal)
            })
        })
        .collect();
    let stats = Simplified {
        triangles_before: results.iter().map(|r| r.0).sum(),
        triangles_after: results.iter().map(|r| r.1).sum(),
        error: results.iter().map(|r| r.2).fold(0.0, f32::max),
    };
    (out, stats)
}

/// Drops vertices no triangle uses and re-optimises order.
fn compact(p: &mut Primitive) {
    if p.indices.is_empty() {
        p.vertices.clear();
        return;
    }
    meshopt::optimize_vertex_cache_in_place(&mut p.indices, p.vertices.len());
    let vertices: Vec<Vertex> = meshopt::optimize_vertex_fetch(&mut p.indices, &p.vertices);
    p.vertices = vertices;
}
