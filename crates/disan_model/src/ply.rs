//! PLY, the Stanford polygon format as scanners and photogrammetry tools write it (Artec, EinScan, Metashape,
//! MeshLab, CloudCompare, Blender), converted to a [`Scene`]: one mesh with positions, normals, vertex colours
//! and texture coordinates (per vertex, or per face corner as MeshLab writes them), and the texture a
//! `comment TextureFile` line names (resolved inside the model's folder, as an OBJ's). ASCII and both binary
//! byte orders. A file without faces (a point cloud, a 3D Gaussian splat) is refused with what to do.
//!
//! The header is checked against the file's length before anything is allocated, so a header that claims
//! billions of vertices is an error, not an out-of-memory.

use std::path::Path;

use crate::ModelError;
use crate::scene::{Attributes, IDENTITY, Material, Mesh, Node, Primitive, Scene, TexRef, Vertex};

/// Longest header read; real ones are a few hundred bytes.
const MAX_HEADER: usize = 64 << 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Ascii,
    LittleEndian,
    BigEndian,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    F32,
    F64,
}

impl Ty {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "char" | "int8" => Self::I8,
            "uchar" | "uint8" => Self::U8,
            "short" | "int16" => Self::I16,
            "ushort" | "uint16" => Self::U16,
            "int" | "int32" => Self::I32,
            "uint" | "uint32" => Self::U32,
            "float" | "float32" => Self::F32,
            "double" | "float64" => Self::F64,
            _ => return None,
        })
    }

    fn size(self) -> usize {
        match self {
            Self::I8 | Self::U8 => 1,
            Self::I16 | Self::U16 => 2,
            Self::I32 | Self::U32 | Self::F32 => 4,
            Self::F64 => 8,
        }
    }

    /// What an integer colour channel's full intensity is (floats are 0–1 already).
    fn full_scale(self) -> f64 {
        match self {
            Self::I8 => 127.0,
            Self::U8 => 255.0,
            Self::I16 => 32767.0,
            Self::U16 => 65535.0,
            Self::I32 => 2_147_483_647.0,
            Self::U32 => 4_294_967_295.0,
            Self::F32 | Self::F64 => 1.0,
        }
    }
}

#[derive(Debug)]
enum Property {
    Scalar(Ty, String),
    List(Ty, Ty, String),
}

impl Property {
    fn name(&self) -> &str {
        match self {
            Self::Scalar(_, n) | Self::List(_, _, n) => n,
        }
    }
}

#[derive(Debug)]
struct Element {
    name: String,
    count: usize,
    properties: Vec<Property>,
}

#[derive(Debug)]
struct Header {
    format: Format,
    elements: Vec<Element>,
    texture_files: Vec<String>,
    body: usize,
}

fn fail(msg: impl std::fmt::Display) -> ModelError {
    ModelError::Ply(format!("PLY: {msg}"))
}

fn read_header(bytes: &[u8]) -> Result<Header, ModelError> {
    let head = &bytes[..bytes.len().min(MAX_HEADER)];
    let end = head
        .windows(10)
        .position(|w| w == b"end_header")
        .ok_or_else(|| fail("no end_header line in the first 64 KiB: not a PLY file, or cut short"))?;
    // The body starts after the end_header line's line break (\n or \r\n).
    let mut body = end + 10;
    while matches!(bytes.get(body), Some(b' ' | b'\t' | b'\r')) {
        body += 1;
    }
    if bytes.get(body) == Some(&b'\n') {
        body += 1;
    }
    let text = std::str::from_utf8(&bytes[..end]).map_err(|_| fail("the header is not text"))?;
    let mut lines = text.lines().map(str::trim);
    if lines.next() != Some("ply") {
        return Err(fail("the file does not start with \"ply\""));
    }
    let mut format = None;
    let mut elements: Vec<Element> = Vec::new();
    let mut texture_files = Vec::new();
    for line in lines {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [] => {}
            ["format", f, version] => {
                if !version.starts_with('1') {
                    return Err(fail(format!("format version {version} (1.0 is read)")));
                }
                format = Some(match *f {
                    "ascii" => Format::Ascii,
                    "binary_little_endian" => Format::LittleEndian,
                    "binary_big_endian" => Format::BigEndian,
                    other => return Err(fail(format!("unknown format {other:?}"))),
                });
            }
            ["comment", "TextureFile", name @ ..] if !name.is_empty() => texture_files.push(name.join(" ")),
            ["comment" | "obj_info", ..] => {}
            ["element", name, count] => {
                let count = count
                    .parse::<usize>()
                    .map_err(|_| fail(format!("element {name} has count {count:?}")))?;
                elements.push(Element {
                    name: (*name).to_owned(),
                    count,
                    properties: Vec::new(),
                });
            }
            ["property", "list", count_ty, item_ty, name] => {
                let (Some(c), Some(i)) = (Ty::parse(count_ty), Ty::parse(item_ty)) else {
                    return Err(fail(format!("property list {count_ty} {item_ty} {name}: unknown type")));
                };
                let element = elements
                    .last_mut()
                    .ok_or_else(|| fail("a property before any element"))?;
                element.properties.push(Property::List(c, i, (*name).to_owned()));
            }
            ["property", ty, name] => {
                let ty = Ty::parse(ty).ok_or_else(|| fail(format!("property {ty} {name}: unknown type")))?;
                let element = elements
                    .last_mut()
                    .ok_or_else(|| fail("a property before any element"))?;
                element.properties.push(Property::Scalar(ty, (*name).to_owned()));
            }
            _ => return Err(fail(format!("header line {line:?} is not PLY"))),
        }
    }
    let format = format.ok_or_else(|| fail("no format line"))?;
    // Every element needs at least a byte (ASCII) or its scalars' bytes (binary) per item: a count the file
    // cannot hold is refused before anything is allocated for it.
    let mut need = 0usize;
    for e in &elements {
        let per = match format {
            Format::Ascii => e.properties.len().max(1),
            _ => e
                .properties
                .iter()
                .map(|p| match p {
                    Property::Scalar(t, _) => t.size(),
                    Property::List(c, _, _) => c.size(),
                })
                .sum::<usize>()
                .max(1),
        };
        need = need.saturating_add(e.count.saturating_mul(per));
    }
    let have = bytes.len() - body;
    if need > have {
        return Err(fail(format!(
            "the header claims more data ({need} bytes at least) than the file holds ({have} bytes after the header)"
        )));
    }
    Ok(Header {
        format,
        elements,
        texture_files,
        body,
    })
}

/// A face's corners (vertex indices) and, when the file gives them per corner, their texture coordinates.
type Face = (Vec<u32>, Option<Vec<[f32; 2]>>);

/// The values of a PLY body, read one at a time whatever its format.
struct Body<'a> {
    bytes: &'a [u8],
    at: usize,
    format: Format,
}

impl Body<'_> {
    fn value(&mut self, ty: Ty) -> Result<f64, ModelError> {
        if self.format == Format::Ascii {
            let rest = &self.bytes[self.at..];
            let start = rest
                .iter()
                .position(|b| !b.is_ascii_whitespace())
                .ok_or_else(|| fail("the data ends before the header's last element"))?;
            let len = rest[start..]
                .iter()
                .position(u8::is_ascii_whitespace)
                .unwrap_or(rest.len() - start);
            let token = &rest[start..start + len];
            self.at += start + len;
            return std::str::from_utf8(token)
                .ok()
                .and_then(|t| t.parse::<f64>().ok())
                .ok_or_else(|| fail(format!("{:?} is not a number", String::from_utf8_lossy(token))));
        }
        let n = ty.size();
        let raw = self
            .bytes
            .get(self.at..self.at + n)
            .ok_or_else(|| fail("the data ends before the header's last element"))?;
        self.at += n;
        let le = self.format == Format::LittleEndian;
        macro_rules! num {
            ($t:ty) => {{
                let a = raw.try_into().unwrap_or_default();
                f64::from(if le {
                    <$t>::from_le_bytes(a)
                } else {
                    <$t>::from_be_bytes(a)
                })
            }};
        }
        Ok(match ty {
            Ty::I8 => num!(i8),
            Ty::U8 => num!(u8),
            Ty::I16 => num!(i16),
            Ty::U16 => num!(u16),
            Ty::I32 => num!(i32),
            Ty::U32 => num!(u32),
            Ty::F32 => num!(f32),
            Ty::F64 => num!(f64),
        })
    }

    /// A list's length: a whole number the rest of the file can hold.
    fn count(&mut self, ty: Ty, item: Ty) -> Result<usize, ModelError> {
        let n = self.value(ty)?;
        let room = (self.bytes.len() - self.at) / if self.format == Format::Ascii { 1 } else { item.size() };
        if n < 0.0 || n.fract() != 0.0 || n > room as f64 {
            return Err(fail(format!(
                "a list of {n} values where the file has room for {room} at most"
            )));
        }
        Ok(n as usize)
    }
}

/// The texture files a PLY names (`comment TextureFile …`), as written.
pub fn texture_files(bytes: &[u8]) -> Result<Vec<String>, ModelError> {
    Ok(read_header(bytes)?.texture_files)
}

/// Reads a PLY file; `dir` is its folder (where its texture is looked for).
pub fn load_ply(bytes: &[u8], dir: &Path) -> Result<Scene, ModelError> {
    let header = read_header(bytes)?;
    let mut body = Body {
        bytes,
        at: header.body,
        format: header.format,
    };
    let mut vertices: Vec<Vertex> = Vec::new();
    let mut has = Attributes::default();
    let mut faces: Vec<Face> = Vec::new();
    let mut splat = false;
    for element in &header.elements {
        let find = |names: &[&str]| element.properties.iter().position(|p| names.contains(&p.name()));
        match element.name.as_str() {
            "vertex" => {
                let (Some(x), Some(y), Some(z)) = (find(&["x"]), find(&["y"]), find(&["z"])) else {
                    return Err(fail("the vertices have no x, y and z"));
                };
                let normal = [find(&["nx"]), find(&["ny"]), find(&["nz"])];
                let colour = [
                    find(&["red", "r", "diffuse_red"]),
                    find(&["green", "g", "diffuse_green"]),
                    find(&["blue", "b", "diffuse_blue"]),
                    find(&["alpha", "a", "diffuse_alpha"]),
                ];
                let uv = [
                    find(&["s", "u", "texture_u", "texture_s"]),
                    find(&["t", "v", "texture_v", "texture_t"]),
                ];
                has.normal = normal.iter().all(Option::is_some);
                has.color = colour[..3].iter().all(Option::is_some);
                has.uv0 = uv.iter().all(Option::is_some);
                splat = find(&["f_dc_0"]).is_some() && find(&["opacity"]).is_some();
                let scale = |i: Option<usize>| match i.map(|i| &element.properties[i]) {
                    Some(Property::Scalar(t, _)) => t.full_scale(),
                    _ => 1.0,
                };
                let colour_scale = colour.map(scale);
                vertices.reserve(element.count.min(bytes.len() / 3));
                let mut values = vec![0.0f64; element.properties.len()];
                for _ in 0..element.count {
                    for (slot, p) in values.iter_mut().zip(&element.properties) {
                        *slot = match p {
                            Property::Scalar(t, _) => body.value(*t)?,
                            Property::List(c, item, _) => {
                                for _ in 0..body.count(*c, *item)? {
                                    body.value(*item)?;
                                }
                                0.0
                            }
                        };
                    }
                    let get = |i: Option<usize>| i.map_or(0.0, |i| values[i]) as f32;
                    let pos = [get(Some(x)), get(Some(y)), get(Some(z))];
                    if pos.iter().any(|v| !v.is_finite()) {
                        return Err(fail(format!("vertex {} is not a finite position", vertices.len())));
                    }
                    let mut color = [1.0f32; 4];
                    if has.color {
                        for c in 0..4 {
                            if let Some(i) = colour[c] {
                                color[c] = (values[i] / colour_scale[c]).clamp(0.0, 1.0) as f32;
                            }
                        }
                    }
                    vertices.push(Vertex {
                        pos,
                        normal: if has.normal { normal.map(get) } else { [0.0; 3] },
                        // PLY's texture v runs upward, glTF's downward.
                        uv0: if has.uv0 {
                            [get(uv[0]), 1.0 - get(uv[1])]
                        } else {
                            [0.0; 2]
                        },
                        color,
                        ..Vertex::default()
                    });
                }
            }
            "face" => {
                let Some(indices) = element.properties.iter().position(|p| {
                    matches!(p, Property::List(..)) && matches!(p.name(), "vertex_indices" | "vertex_index")
                }) else {
                    return Err(fail("the faces have no vertex_indices list"));
                };
                let corner_uv = element
                    .properties
                    .iter()
                    .position(|p| matches!(p, Property::List(..)) && p.name() == "texcoord");
                faces.reserve(element.count.min(bytes.len() / 4));
                for _ in 0..element.count {
                    let mut polygon = Vec::new();
                    let mut uvs = None;
                    for (i, p) in element.properties.iter().enumerate() {
                        match p {
                            Property::Scalar(t, _) => {
                                body.value(*t)?;
                            }
                            Property::List(c, item, _) => {
                                let n = body.count(*c, *item)?;
                                let mut list = Vec::with_capacity(n);
                                for _ in 0..n {
                                    list.push(body.value(*item)?);
                                }
                                if i == indices {
                                    polygon = list
                                        .iter()
                                        .map(|&v| {
                                            (v >= 0.0 && v.fract() == 0.0 && v < vertices.len() as f64)
                                                .then_some(v as u32)
                                                .ok_or_else(|| {
                                                    fail(format!(
                                                        "face {} refers to vertex {v} of {}",
                                                        faces.len(),
                                                        vertices.len()
                                                    ))
                                                })
                                        })
                                        .collect::<Result<_, _>>()?;
                                } else if Some(i) == corner_uv {
                                    uvs =
                                        Some(list.chunks_exact(2).map(|c| [c[0] as f32, 1.0 - c[1] as f32]).collect());
                                }
                            }
                        }
                    }
                    faces.push((polygon, uvs));
                }
            }
            _ => {
                // Edges, materials, a scanner's own elements: read past.
                for _ in 0..element.count {
                    for p in &element.properties {
                        match p {
                            Property::Scalar(t, _) => {
                                body.value(*t)?;
                            }
                            Property::List(c, item, _) => {
                                for _ in 0..body.count(*c, *item)? {
                                    body.value(*item)?;
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    if faces.iter().all(|(p, _)| p.len() < 3) {
        return Err(fail(if splat {
            format!(
                "a 3D Gaussian splat ({} splats), not a mesh: Disan shows meshes; export a mesh from the capture app",
                vertices.len()
            )
        } else {
            format!(
                "a point cloud ({} points, no faces), not a mesh: make a mesh of it first (Poisson surface \
                 reconstruction in MeshLab or CloudCompare) and export that",
                vertices.len()
            )
        }));
    }
    let mut scene = Scene::default();
    let corner_uvs = faces
        .iter()
        .all(|(p, uv)| p.len() < 3 || uv.as_ref().is_some_and(|uv| uv.len() == p.len()));
    let mut indices = Vec::new();
    let mut out_vertices = Vec::new();
    let mut skipped = 0;
    for (polygon, uvs) in &faces {
        if polygon.len() < 3 {
            skipped += 1;
            continue;
        }
        // A fan over the polygon (scanners write triangles, Blender quads).
        for k in 1..polygon.len() - 1 {
            for c in [0, k, k + 1] {
                if corner_uvs {
                    let mut v = vertices[polygon[c] as usize];
                    v.uv0 = uvs.as_ref().map_or([0.0; 2], |uv| uv[c]);
                    indices.push(out_vertices.len() as u32);
                    out_vertices.push(v);
                } else {
                    indices.push(polygon[c]);
                }
            }
        }
    }
    if skipped > 0 {
        scene
            .warnings
            .push(format!("{skipped} faces with fewer than 3 corners were left out"));
    }
    if corner_uvs {
        has.uv0 = true;
    } else {
        out_vertices = vertices;
    }

    let texture = match header.texture_files.first() {
        Some(file) if has.uv0 => {
            let r = crate::resolve(dir, file)?;
            let bytes = std::fs::read(&r.path).map_err(|source| match source.kind() {
                std::io::ErrorKind::NotFound => ModelError::MissingResource {
                    uri: file.clone(),
                    path: r.path.clone(),
                },
                _ => ModelError::Io {
                    path: r.path.clone(),
                    source,
                },
            })?;
            Some(TexRef {
                texture: scene.push_texture_file(file, bytes)?,
                tex_coord: 0,
                scale: 1.0,
            })
        }
        Some(file) => {
            scene.warnings.push(format!(
                "texture {file:?} is named but the mesh has no texture coordinates: it is shown without it"
            ));
            None
        }
        None => None,
    };
    scene.materials.push(Material {
        base_color_texture: texture,
        metallic: 0.0,
        roughness: 1.0,
        ..Material::default()
    });
    scene.meshes.push(Mesh {
        name: None,
        primitives: vec![Primitive {
            vertices: out_vertices,
            indices,
            attributes: has,
            material: Some(0),
        }],
    });
    scene.nodes.push(Node {
        name: None,
        matrix: IDENTITY,
        mesh: Some(0),
        children: Vec::new(),
    });
    scene.roots.push(0);
    Ok(scene)
}
