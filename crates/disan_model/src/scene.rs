//! The in-memory model every input becomes and every output is written from: nodes with matrices,
//! triangle meshes with one vertex layout, metallic-roughness materials and encoded images.

/// One vertex; attributes a primitive lacks stay zero and are not written.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
pub struct Vertex {
    pub pos: [f32; 3],
    pub normal: [f32; 3],
    pub uv0: [f32; 2],
    pub uv1: [f32; 2],
    pub color: [f32; 4],
    pub tangent: [f32; 4],
}

impl meshopt::DecodePosition for Vertex {
    fn decode_position(&self) -> [f32; 3] {
        self.pos
    }
}

/// Which attributes a primitive carries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Attributes {
    pub normal: bool,
    pub uv0: bool,
    pub uv1: bool,
    pub color: bool,
    pub tangent: bool,
}

/// A triangle list.
#[derive(Clone, Debug, Default)]
pub struct Primitive {
    pub vertices: Vec<Vertex>,
    pub indices: Vec<u32>,
    pub attributes: Attributes,
    pub material: Option<usize>,
}

impl Primitive {
    pub fn triangles(&self) -> usize {
        self.indices.len() / 3
    }
}

#[derive(Clone, Debug, Default)]
pub struct Mesh {
    pub name: Option<String>,
    pub primitives: Vec<Primitive>,
}

#[derive(Clone, Debug)]
pub struct Node {
    pub name: Option<String>,
    /// Local transform, column-major.
    pub matrix: [f32; 16],
    pub mesh: Option<usize>,
    pub children: Vec<usize>,
}

pub const IDENTITY: [f32; 16] = [1., 0., 0., 0., 0., 1., 0., 0., 0., 0., 1., 0., 0., 0., 0., 1.];

/// A texture slot of a material.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TexRef {
    pub texture: usize,
    pub tex_coord: u32,
    /// Normal scale or occlusion strength; 1 otherwise.
    pub scale: f32,
}

#[derive(Clone, Debug)]
pub struct Material {
    pub name: Option<String>,
    pub base_color: [f32; 4],
    pub base_color_texture: Option<TexRef>,
    pub metallic: f32,
    pub roughness: f32,
    pub metallic_roughness_texture: Option<TexRef>,
    pub normal_texture: Option<TexRef>,
    pub occlusion_texture: Option<TexRef>,
    pub emissive: [f32; 3],
    pub emissive_texture: Option<TexRef>,
    /// `OPAQUE`, `MASK` or `BLEND`.
    pub alpha_mode: String,
    pub alpha_cutoff: Option<f32>,
    pub double_sided: bool,
    pub unlit: bool,
}

impl Default for Material {
    fn default() -> Self {
        Self {
            name: None,
            base_color: [1.0; 4],
            base_color_texture: None,
            metallic: 1.0,
            roughness: 1.0,
            metallic_roughness_texture: None,
            normal_texture: None,
            occlusion_texture: None,
            emissive: [0.0; 3],
            emissive_texture: None,
            alpha_mode: "OPAQUE".into(),
            alpha_cutoff: None,
            double_sided: false,
            unlit: false,
        }
    }
}

/// Sampler settings as glTF numbers (`None` = not given).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Sampler {
    pub mag_filter: Option<u32>,
    pub min_filter: Option<u32>,
    pub wrap_s: Option<u32>,
    pub wrap_t: Option<u32>,
}

#[derive(Clone, Debug)]
pub struct Texture {
    pub image: usize,
    pub sampler: Sampler,
}

/// An encoded image (PNG or JPEG once loaded).
#[derive(Clone, Debug)]
pub struct Image {
    pub name: Option<String>,
    pub mime: String,
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

#[derive(Clone, Debug, Default)]
pub struct Scene {
    pub nodes: Vec<Node>,
    pub roots: Vec<usize>,
    pub meshes: Vec<Mesh>,
    pub materials: Vec<Material>,
    pub textures: Vec<Texture>,
    pub images: Vec<Image>,
    pub generator: Option<String>,
    pub copyright: Option<String>,
    /// A real-world scale the file states (`asset.extras`), as written.
    pub stated_scale: Option<String>,
    /// What loading dropped or changed (animations, skins, ignored extensions…).
    pub warnings: Vec<String>,
}

impl Scene {
    /// Adds a texture file's bytes (OBJ's and PLY's textures) as an image and a texture with the default
    /// sampler; `name` is the file as the model names it. Returns the texture's index.
    pub(crate) fn push_texture_file(&mut self, name: &str, bytes: Vec<u8>) -> Result<usize, crate::ModelError> {
        let image =
            crate::textures::normalise_image(Some(name), bytes).map_err(|source| crate::ModelError::Texture {
                name: name.to_owned(),
                source,
            })?;
        self.images.push(image);
        self.textures.push(Texture {
            image: self.images.len() - 1,
            sampler: Sampler::default(),
        });
        Ok(self.textures.len() - 1)
    }
}

pub fn mat_mul(a: &[f32; 16], b: &[f32; 16]) -> [f32; 16] {
    let mut r = [0.0; 16];
    for c in 0..4 {
        for row in 0..4 {
            r[c * 4 + row] = (0..4).map(|k| a[k * 4 + row] * b[c * 4 + k]).sum();
        }
    }
    r
}

pub fn transform_point(m: &[f32; 16], p: [f32; 3]) -> [f32; 3] {
    [0, 1, 2].map(|r| m[r] * p[0] + m[4 + r] * p[1] + m[8 + r] * p[2] + m[12 + r])
}

/// Largest axis scale of a matrix.
pub fn max_scale(m: &[f32; 16]) -> f32 {
    (0..3)
        .map(|c| (m[c * 4].powi(2) + m[c * 4 + 1].powi(2) + m[c * 4 + 2].powi(2)).sqrt())
        .fold(0.0, f32::max)
}

impl Scene {
    /// Every (mesh, world matrix) drawn, walking from the roots (each node once, loops ignored).
    pub fn instances(&self) -> Vec<(usize, [f32; 16])> {
        let mut out = Vec::new();
        let mut seen = vec![false; self.nodes.len()];
        let mut stack: Vec<(usize, [f32; 16])> = self.roots.iter().rev().map(|&r| (r, IDENTITY)).collect();
        while let Some((n, parent)) = stack.pop() {
            if n >= self.nodes.len() || std::mem::replace(&mut seen[n], true) {
                continue;
            }
            let node = &self.nodes[n];
            let world = mat_mul(&parent, &node.matrix);
            if let Some(m) = node.mesh
                && m < self.meshes.len()
            {
                out.push((m, world));
            }
            for &c in node.children.iter().rev() {
                stack.push((c, world));
            }
        }
        out
    }

    /// World-space bounds of everything drawn.
    pub fn bounds(&self) -> Option<([f32; 3], [f32; 3])> {
        let mut min = [f32::INFINITY; 3];
        let mut max = [f32::NEG_INFINITY; 3];
        for (m, world) in self.instances() {
            for p in &self.meshes[m].primitives {
                for v in &p.vertices {
                    let w = transform_point(&world, v.pos);
                    for k in 0..3 {
                        min[k] = min[k].min(w[k]);
                        max[k] = max[k].max(w[k]);
                    }
                }
            }
        }
        (min[0] <= max[0]).then_some((min, max))
    }

    /// Triangles drawn (instances counted each time).
    pub fn triangles(&self) -> u64 {
        self.instances()
            .iter()
            .map(|(m, _)| {
                self.meshes[*m]
                    .primitives
                    .iter()
                    .map(|p| p.triangles() as u64)
                    .sum::<u64>()
            })
            .sum()
    }

    /// Vertices stored.
    pub fn vertices(&self) -> u64 {
        self.meshes
            .iter()
            .flat_map(|m| &m.primitives)
            .map(|p| p.vertices.len() as u64)
            .sum()
    }
}
