//! Picking points on a model's surface: a bounding-volume hierarchy over every drawn triangle in world
//! space (node matrices applied, as the renderers draw it), for casting rays (a click on the model, whether a
//! pin is hidden behind the surface) and for finding the surface point nearest a given point (checking that
//! an annotation's point lies on the model).

use glam::Vec3;

use crate::scene::{Scene, transform_point};

/// Triangles per leaf at most.
const LEAF: usize = 8;

/// A ray's or a point query's answer: where on the surface, its unit geometric normal (facing the ray's
/// origin for a ray, facing the query point's side for a point), the distance, and the triangle.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit {
    pub point: [f32; 3],
    pub normal: [f32; 3],
    /// Along the ray (in units of the direction's length), or from the query point.
    pub distance: f32,
    pub triangle: usize,
}

#[derive(Clone, Copy, Debug)]
struct Node {
    min: Vec3,
    max: Vec3,
    /// Leaf: first triangle in `order` and count; inner: index of the left child (right is `left + 1`), count 0.
    start: u32,
    count: u32,
}

/// Every drawn triangle of a scene, ready for queries.
pub struct Surface {
    tris: Vec<[Vec3; 3]>,
    nodes: Vec<Node>,
    bounds: (Vec3, Vec3),
}

impl Surface {
    /// The surface of everything `scene` draws; `None` when it draws no triangle.
    pub fn new(scene: &Scene) -> Option<Self> {
        let mut tris = Vec::new();
        for (m, world) in scene.instances() {
            for p in &scene.meshes[m].primitives {
                let w: Vec<Vec3> = p
                    .vertices
                    .iter()
                    .map(|v| Vec3::from(transform_point(&world, v.pos)))
                    .collect();
                for t in p.indices.chunks_exact(3) {
                    let g = |i: u32| w.get(i as usize).copied();
                    if let (Some(a), Some(b), Some(c)) = (g(t[0]), g(t[1]), g(t[2]))
                        && a.is_finite()
                        && b.is_finite()
                        && c.is_finite()
                    {
                        tris.push([a, b, c]);
                    }
                }
            }
        }
        Self::from_triangles(tris)
    }

    fn from_triangles(mut tris: Vec<[Vec3; 3]>) -> Option<Self> {
        if tris.is_empty() {
            return None;
        }
        let mut nodes = Vec::with_capacity(2 * tris.len() / LEAF + 1);
        nodes.push(leaf(&tris, 0, tris.len()));
        // Split breadth-first by the median centroid along the longest axis of the node's bounds.
        let mut i = 0;
        while i < nodes.len() {
            let n = nodes[i];
            let (start, count) = (n.start as usize, n.count as usize);
            if count > LEAF {
                let axis = (n.max - n.min).max_position();
                let mid = count / 2;
                let key = |t: &[Vec3; 3]| (t[0][axis] + t[1][axis] + t[2][axis]) / 3.0;
                tris[start..start + count].select_nth_unstable_by(mid, |a, b| key(a).total_cmp(&key(b)));
                let left = nodes.len() as u32;
                nodes.push(leaf(&tris, start, mid));
                nodes.push(leaf(&tris, start + mid, count - mid));
                nodes[i].start = left;
                nodes[i].count = 0;
            }
            i += 1;
        }
        let bounds = (nodes[0].min, nodes[0].max);
        Some(Self { tris, nodes, bounds })
    }

    /// World-space bounds.
    pub fn bounds(&self) -> ([f32; 3], [f32; 3]) {
        (self.bounds.0.to_array(), self.bounds.1.to_array())
    }

    /// Half the bounding box's diagonal: the scale tolerances are stated against.
    pub fn radius(&self) -> f32 {
        (self.bounds.1 - self.bounds.0).length() * 0.5
    }

    pub fn triangles(&self) -> usize {
        self.tris.len()
    }

    /// The first surface the ray `origin + t·dir` (t > 0) meets.
    pub fn ray(&self, origin: [f32; 3], dir: [f32; 3]) -> Option<Hit> {
        let (o, d) = (Vec3::from(origin), Vec3::from(dir));
        if !o.is_finite() || !d.is_finite() || d.length_squared() == 0.0 {
            return None;
        }
        let inv = d.recip();
        let mut best: Option<(f32, usize)> = None;
        let mut stack = vec![0usize];
        while let Some(i) = stack.pop() {
            let n = &self.nodes[i];
            let limit = best.map_or(f32::INFINITY, |b| b.0);
            if !slab(o, inv, n.min, n.max, limit) {
                continue;
            }
            if n.count == 0 {
                stack.push(n.start as usize);
                stack.push(n.start as usize + 1);
                continue;
            }
            for k in n.start as usize..(n.start + n.count) as usize {
                if let Some(t) = intersect(o, d, &self.tris[k])
                    && t < best.map_or(f32::INFINITY, |b| b.0)
                {
                    best = Some((t, k));
                }
            }
        }
        best.map(|(t, k)| {
            let [a, b, c] = self.tris[k];
            let mut normal = (b - a).cross(c - a).normalize_or_zero();
            if normal.dot(d) > 0.0 {
                normal = -normal;
            }
            Hit {
                point: (o + d * t).to_array(),
                normal: normal.to_array(),
                distance: t,
                triangle: k,
            }
        })
    }

    /// The surface point nearest `point`.
    pub fn nearest(&self, point: [f32; 3]) -> Option<Hit> {
        let p = Vec3::from(point);
        if !p.is_finite() {
            return None;
        }
        let mut best: Option<(f32, usize, Vec3)> = None;
        let mut stack = vec![0usize];
        while let Some(i) = stack.pop() {
            let n = &self.nodes[i];
            let box_d2 = (n.min - p).max(p - n.max).max(Vec3::ZERO).length_squared();
            if best.is_some_and(|b| box_d2 >= b.0) {
                continue;
            }
            if n.count == 0 {
                // Visit the nearer child first.
                let (l, r) = (n.start as usize, n.start as usize + 1);
                let d = |c: usize| {
                    let c = &self.nodes[c];
                    (c.min - p).max(p - c.max).max(Vec3::ZERO).length_squared()
                };
                if d(l) < d(r) {
                    stack.push(r);
                    stack.push(l);
                } else {
                    stack.push(l);
                    stack.push(r);
                }
                continue;
            }
            for k in n.start as usize..(n.start + n.count) as usize {
                let q = closest_on_triangle(p, &self.tris[k]);
                let d2 = (q - p).length_squared();
                if best.is_none_or(|b| d2 < b.0) {
                    best = Some((d2, k, q));
                }
            }
        }
        best.map(|(d2, k, q)| {
            let [a, b, c] = self.tris[k];
            let mut normal = (b - a).cross(c - a).normalize_or_zero();
            if (p - q).dot(normal) < 0.0 {
                normal = -normal;
            }
            Hit {
                point: q.to_array(),
                normal: normal.to_array(),
                distance: d2.sqrt(),
                triangle: k,
            }
        })
    }

    /// Whether `point` (on the surface) can be seen from `eye`: nothing of the model lies between them. A
    /// point within `1e-3` of the model's radius of the first hit counts as seen.
    pub fn visible_from(&self, eye: [f32; 3], point: [f32; 3]) -> bool {
        let (e, p) = (Vec3::from(eye), Vec3::from(point));
        let d = p - e;
        let len = d.length();
        if len == 0.0 {
            return true;
        }
        match self.ray(eye, (d / len).to_array()) {
            Some(hit) => hit.distance >= len - self.radius() * 1e-3,
            None => true,
        }
    }
}

fn leaf(tris: &[[Vec3; 3]], start: usize, count: usize) -> Node {
    let (mut min, mut max) = (Vec3::splat(f32::INFINITY), Vec3::splat(f32::NEG_INFINITY));
    for t in &tris[start..start + count] {
        for v in t {
            min = min.min(*v);
            max = max.max(*v);
        }
    }
    Node {
        min,
        max,
        start: start as u32,
        count: count as u32,
    }
}

/// Whether the ray enters the box before `limit`.
fn slab(o: Vec3, inv: Vec3, min: Vec3, max: Vec3, limit: f32) -> bool {
    let (t1, t2) = ((min - o) * inv, (max - o) * inv);
    // NaN (a zero direction component on a box face) compares false and drops out of min/max.
    let near = t1.min(t2).max_element().max(0.0);
    let far = t1.max(t2).min_element().min(limit);
    near <= far
}

/// Möller–Trumbore, both faces.
fn intersect(o: Vec3, d: Vec3, [a, b, c]: &[Vec3; 3]) -> Option<f32> {
    let (e1, e2) = (*b - *a, *c - *a);
    let p = d.cross(e2);
    let det = e1.dot(p);
    if det.abs() < f32::EPSILON * e1.length() * e2.length() * d.length() {
        return None;
    }
    let inv = 1.0 / det;
    let s = o - *a;
    let u = s.dot(p) * inv;
    if !(0.0..=1.0).contains(&u) {
        return None;
    }
    let q = s.cross(e1);
    let v = d.dot(q) * inv;
    if v < 0.0 || u + v > 1.0 {
        return None;
    }
    let t = e2.dot(q) * inv;
    (t > 0.0).then_some(t)
}

/// Ericson, Real-Time Collision Detection 5.1.5.
fn closest_on_triangle(p: Vec3, [a, b, c]: &[Vec3; 3]) -> Vec3 {
    let (a, b, c) = (*a, *b, *c);
    let (ab, ac, ap) = (b - a, c - a, p - a);
    let (d1, d2) = (ab.dot(ap), ac.dot(ap));
    if d1 <= 0.0 && d2 <= 0.0 {
        return a;
    }
    let bp = p - b;
    let (d3, d4) = (ab.dot(bp), ac.dot(bp));
    if d3 >= 0.0 && d4 <= d3 {
        return b;
    }
    let vc = d1 * d4 - d3 * d2;
    if vc <= 0.0 && d1 >= 0.0 && d3 <= 0.0 {
        return a + ab * (d1 / (d1 - d3));
    }
    let cp = p - c;
    let (d5, d6) = (ab.dot(cp), ac.dot(cp));
    if d6 >= 0.0 && d5 <= d6 {
        return c;
    }
    let vb = d5 * d2 - d1 * d6;
    if vb <= 0.0 && d2 >= 0.0 && d6 <= 0.0 {
        return a + ac * (d2 / (d2 - d6));
    }
    let va = d3 * d6 - d5 * d4;
    if va <= 0.0 && (d4 - d3) >= 0.0 && (d5 - d6) >= 0.0 {
        return b + (c - b) * ((d4 - d3) / ((d4 - d3) + (d5 - d6)));
    }
    let denom = 1.0 / (va + vb + vc);
    let (v, w) = (vb * denom, vc * denom);
    if !(v.is_finite() && w.is_finite()) {
        return a;
    }
    a + ab * v + ac * w
}

#[cfg(test)]
mod tests {
    use super::*;

    fn helmet() -> Surface {
        let path = disan_tests::testdata("models/DamagedHelmet.glb");
        let bytes = std::fs::read(&path).unwrap();
        let (report, scene) = crate::read_scene(
            &bytes,
            crate::ModelFormat::Glb,
            "DamagedHelmet.glb",
            path.parent().unwrap(),
            crate::Limits::default(),
        );
        Surface::new(&scene.unwrap_or_else(|| panic!("{}", report.error_summary()))).unwrap()
    }

    /// Brute force over every triangle, to check the hierarchy against.
    fn brute_ray(s: &Surface, o: Vec3, d: Vec3) -> Option<f32> {
        s.tris.iter().filter_map(|t| intersect(o, d, t)).min_by(f32::total_cmp)
    }

    #[test]
    fn rays_through_the_hierarchy_match_every_triangle_on_a_real_model() {
        let s = helmet();
        assert!(s.triangles() > 15_000, "{}", s.triangles());
        let (min, max) = s.bounds;
        let centre = (min + max) * 0.5;
        let r = s.radius();
        let (mut hits, mut misses) = (0, 0);
        // Rays from a sphere around the model towards points scattered around its centre.
        for i in 0..200 {
            let f = i as f32;
            let dir_out = Vec3::new((f * 1.7).sin(), (f * 0.61).cos() * 0.9, (f * 2.3).cos()).normalize();
            let o = centre + dir_out * r * 3.0;
            let aim = centre + Vec3::new((f * 0.37).sin(), (f * 0.53).cos(), (f * 0.71).sin()) * r * 0.8;
            let d = (aim - o).normalize();
            let fast = s.ray(o.to_array(), d.to_array()).map(|h| h.distance);
            let slow = brute_ray(&s, o, d);
            match (fast, slow) {
                (Some(a), Some(b)) => {
                    assert!((a - b).abs() < 1e-4 * r, "ray {i}: {a} vs {b}");
                    hits += 1;
                }
                (None, None) => misses += 1,
                other => panic!("ray {i}: hierarchy {:?}, every triangle {:?}", other.0, other.1),
            }
        }
        assert!(hits > 40 && misses > 0, "{hits} hits, {misses} misses");
    }

    #[test]
    fn a_hit_is_on_the_surface_and_seen_only_from_its_side() {
        let s = helmet();
        let (min, max) = s.bounds;
        let centre = (min + max) * 0.5;
        let eye = centre + Vec3::Z * s.radius() * 3.0;
        let hit = s
            .ray(eye.to_array(), (-Vec3::Z).to_array())
            .expect("the front of the helmet");
        // The normal faces the camera; the nearest surface point to the hit is the hit itself.
        assert!(Vec3::from(hit.normal).dot(Vec3::Z) > 0.0);
        let near = s.nearest(hit.point).unwrap();
        assert!(near.distance < 1e-5 * s.radius(), "{}", near.distance);
        assert!(s.visible_from(eye.to_array(), hit.point));
        // From behind the helmet the same point is hidden by the helmet itself.
        let behind = centre - Vec3::Z * s.radius() * 3.0;
        assert!(!s.visible_from(behind.to_array(), hit.point));
        // A point floating in front of the face is a measurable distance off the surface.
        let off = Vec3::from(hit.point) + Vec3::Z * s.radius() * 0.2;
        let d = s.nearest(off.to_array()).unwrap().distance;
        assert!(d > s.radius() * 0.1 && d <= s.radius() * 0.2 + 1e-4, "{d}");
    }

    #[test]
    fn nothing_to_pick_in_an_empty_scene() {
        assert!(Surface::from_triangles(Vec::new()).is_none());
        let tri = [[Vec3::ZERO, Vec3::X, Vec3::Y]];
        let s = Surface::from_triangles(tri.to_vec()).unwrap();
        assert!(s.ray([0.2, 0.2, 1.0], [0.0, 0.0, 0.0]).is_none());
        assert!(s.ray([0.2, 0.2, f32::NAN], [0.0, 0.0, -1.0]).is_none());
        let h = s.ray([0.2, 0.2, 1.0], [0.0, 0.0, -1.0]).unwrap();
        assert_eq!(h.point, [0.2, 0.2, 0.0]);
        assert_eq!(s.nearest([2.0, 0.0, 0.0]).unwrap().point, [1.0, 0.0, 0.0]);
    }
}
