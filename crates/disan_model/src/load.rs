//! A validated glTF document read into a [`Scene`]: accessors of any component type (quantized and
//! meshopt-decoded included), sparse accessors, strips and fans as triangle lists, embedded or
//! external images.

use serde_json::Value;

use crate::scene::{Attributes, IDENTITY, Material, Mesh, Node, Primitive, Sampler, Scene, TexRef, Texture, Vertex};
use crate::validate::{Document, parse_data_uri};

fn u(v: Option<&Value>) -> Option<usize> {
    v.and_then(Value::as_u64).map(|x| x as usize)
}

fn f32s<const N: usize>(v: Option<&Value>, default: [f32; N]) -> [f32; N] {
    let Some(a) = v.and_then(Value::as_array) else {
        return default;
    };
    if a.len() != N {
        return default;
    }
    let mut out = default;
    for (o, x) in out.iter_mut().zip(a) {
        *o = x.as_f64().unwrap_or(0.0) as f32;
    }
    out
}

/// Reads a document that validated without errors.
pub fn load(doc: &Document) -> Result<Scene, String> {
    let j = &doc.json;
    let arr = |k: &str| j.get(k).and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    let mut scene = Scene {
        generator: j.pointer("/asset/generator").and_then(Value::as_str).map(str::to_owned),
        copyright: j.pointer("/asset/copyright").and_then(Value::as_str).map(str::to_owned),
        stated_scale: ["units", "unit", "scale", "realWorldScale"].iter().find_map(|k| {
            j.pointer(&format!("/asset/extras/{k}")).map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
        }),
        ..Scene::default()
    };
    if !arr("animations").is_empty() {
        scene.warnings.push(format!(
            "{} animation(s) not kept: relics are shown still",
            arr("animations").len()
        ));
    }
    if !arr("skins").is_empty() {
        scene
            .warnings
            .push("skins not kept: skinned meshes are shown in their bind pose".into());
    }
    if !arr("cameras").is_empty() {
        scene
            .warnings
            .push("cameras not kept: the viewer frames the model itself".into());
    }
    for ext in ["KHR_texture_transform", "KHR_materials_emissive_strength"] {
        if arr("extensionsUsed").iter().any(|e| e.as_str() == Some(ext)) {
            scene.warnings.push(format!("{ext} is ignored"));
        }
    }
    for e in arr("extensionsUsed").iter().filter_map(Value::as_str) {
        if !crate::validate::SUPPORTED_EXTENSIONS.contains(&e) {
            scene.warnings.push(format!("optional extension {e} is not kept"));
        }
    }

    // Nodes
    for n in arr("nodes") {
        let matrix = if let Some(m) = n.get("matrix") {
            f32s(Some(m), IDENTITY)
        } else {
            trs(
                f32s(n.get("translation"), [0.0; 3]),
                f32s(n.get("rotation"), [0.0, 0.0, 0.0, 1.0]),
                f32s(n.get("scale"), [1.0; 3]),
            )
        };
        scene.nodes.push(Node {
            name: n.get("name").and_then(Value::as_str).map(str::to_owned),
            matrix,
            mesh: u(n.get("mesh")),
            children: n
                .get("children")
                .and_then(Value::as_array)
                .map(|c| c.iter().filter_map(|x| u(Some(x))).collect())
                .unwrap_or_default(),
        });
    }
    let scene_index = u(j.get("scene")).unwrap_or(0);
    scene.roots = match arr("scenes").get(scene_index) {
        Some(s) => s
            .get("nodes")
            .and_then(Value::as_array)
            .map(|c| c.iter().filter_map(|x| u(Some(x))).collect())
            .unwrap_or_default(),
        None => {
            // No scene: every node that is nobody's child.
            let mut child = vec![false; scene.nodes.len()];
            for n in &scene.nodes {
                for &c in &n.children {
                    if let Some(x) = child.get_mut(c) {
                        *x = true;
                    }
                }
            }
            (0..scene.nodes.len()).filter(|&i| !child[i]).collect()
        }
    };

    // Meshes
    for (mi, m) in arr("meshes").iter().enumerate() {
        let mut mesh = Mesh {
            name: m.get("name").and_then(Value::as_str).map(str::to_owned),
            primitives: Vec::new(),
        };
        for (pi, p) in crate::validate::items(m, "primitives").enumerate() {
            match primitive(doc, p) {
                Ok(Some(prim)) => mesh.primitives.push(prim),
                Ok(None) => scene
                    .warnings
                    .push(format!("mesh {mi} primitive {pi}: points or lines are not kept")),
                Err(e) => return Err(format!("mesh {mi} primitive {pi}: {e}")),
            }
            if p.get("targets").is_some() {
                scene
                    .warnings
                    .push(format!("mesh {mi} primitive {pi}: morph targets not kept"));
            }
        }
        scene.meshes.push(mesh);
    }

    // Materials, textures, images
    let tex = |t: Option<&Value>, scale_key: &str| -> Option<TexRef> {
        let t = t?;
        Some(TexRef {
            texture: u(t.get("index"))?,
            tex_coord: u(t.get("texCoord")).unwrap_or(0) as u32,
            scale: t.get(scale_key).and_then(Value::as_f64).unwrap_or(1.0) as f32,
        })
    };
    for m in arr("materials") {
        let pbr = m.get("pbrMetallicRoughness");
        let pget = |k: &str| pbr.and_then(|p| p.get(k));
        scene.materials.push(Material {
            name: m.get("name").and_then(Value::as_str).map(str::to_owned),
            base_color: f32s(pget("baseColorFactor"), [1.0; 4]),
            base_color_texture: tex(pget("baseColorTexture"), ""),
            metallic: pget("metallicFactor").and_then(Value::as_f64).unwrap_or(1.0) as f32,
            roughness: pget("roughnessFactor").and_then(Value::as_f64).unwrap_or(1.0) as f32,
            metallic_roughness_texture: tex(pget("metallicRoughnessTexture"), ""),
            normal_texture: tex(m.get("normalTexture"), "scale"),
            occlusion_texture: tex(m.get("occlusionTexture"), "strength"),
            emissive: f32s(m.get("emissiveFactor"), [0.0; 3]),
            emissive_texture: tex(m.get("emissiveTexture"), ""),
            alpha_mode: m
                .get("alphaMode")
                .and_then(Value::as_str)
                .unwrap_or("OPAQUE")
                .to_owned(),
            alpha_cutoff: m.get("alphaCutoff").and_then(Value::as_f64).map(|x| x as f32),
            double_sided: m.get("doubleSided").and_then(Value::as_bool).unwrap_or(false),
            unlit: m.pointer("/extensions/KHR_materials_unlit").is_some(),
        });
    }
    let samplers = arr("samplers");
    for t in arr("textures") {
        let source = u(t.get("source"))
            .or_else(|| u(t.pointer("/extensions/EXT_texture_webp/source")))
            .ok_or("a texture has no image source Disan can read")?;
        let sampler = u(t.get("sampler"))
            .and_then(|s| samplers.get(s))
            .map(|s| Sampler {
                mag_filter: s.get("magFilter").and_then(Value::as_u64).map(|x| x as u32),
                min_filter: s.get("minFilter").and_then(Value::as_u64).map(|x| x as u32),
                wrap_s: s.get("wrapS").and_then(Value::as_u64).map(|x| x as u32),
                wrap_t: s.get("wrapT").and_then(Value::as_u64).map(|x| x as u32),
            })
            .unwrap_or_default();
        scene.textures.push(Texture { image: source, sampler });
    }
    for (i, img) in arr("images").iter().enumerate() {
        let bytes = if let Some(uri) = img.get("uri").and_then(Value::as_str) {
            if uri.starts_with("data:") {
                parse_data_uri(uri).map_err(|e| format!("image {i}: {e}"))?.1
            } else {
                let r = crate::resolve(&doc.dir, uri).map_err(|e| format!("image {i}: {e}"))?;
                std::fs::read(&r.path).map_err(|e| format!("image {i} ({uri}): {e}"))?
            }
        } else if let Some(v) = u(img.get("bufferView")) {
            doc.view(v)
                .ok_or(format!("image {i}: its bufferView is unreadable"))?
                .to_vec()
        } else {
            return Err(format!("image {i} has neither uri nor bufferView"));
        };
        scene.images.push(
            crate::textures::normalise_image(img.get("name").and_then(Value::as_str), bytes)
                .map_err(|e| format!("image {i}: {e}"))?,
        );
    }
    for t in &scene.textures {
        if t.image >= scene.images.len() {
            return Err("a texture names a missing image".into());
        }
    }
    Ok(scene)
}

/// Accessor values as f32, normalised when the accessor says so.
fn floats(doc: &Document, index: usize) -> Result<(Vec<f32>, usize), String> {
    let acc = doc
        .json
        .get("accessors")
        .and_then(|a| a.get(index))
        .ok_or(format!("accessor {index} missing"))?;
    let raw = doc.accessor(index).ok_or(format!("accessor {index} is unreadable"))?;
    let n = acc
        .get("type")
        .and_then(Value::as_str)
        .and_then(crate::validate::component_count)
        .unwrap_or(1);
    let ct = acc.get("componentType").and_then(Value::as_u64).unwrap_or(5126);
    let normalized = acc.get("normalized").and_then(Value::as_bool).unwrap_or(false);
    let scale = match (normalized, ct) {
        (true, 5120) => Some(127.0),
        (true, 5121) => Some(255.0),
        (true, 5122) => Some(32767.0),
        (true, 5123) => Some(65535.0),
        _ => None,
    };
    let out = raw
        .into_iter()
        .map(|v| match scale {
            Some(s) => (v / s).max(-1.0) as f32,
            None => v as f32,
        })
        .collect();
    Ok((out, n))
}

fn primitive(doc: &Document, p: &Value) -> Result<Option<Primitive>, String> {
    let mode = p.get("mode").and_then(Value::as_u64).unwrap_or(4);
    if mode < 4 {
        return Ok(None);
    }
    let attrs = p.get("attributes").and_then(Value::as_object).ok_or("no attributes")?;
    let pos_acc = u(attrs.get("POSITION")).ok_or("no POSITION attribute")?;
    let (pos, n) = floats(doc, pos_acc)?;
    if n != 3 {
        return Err("POSITION is not VEC3".into());
    }
    let count = pos.len() / 3;
    let mut vertices: Vec<Vertex> = (0..count)
        .map(|i| Vertex {
            pos: [pos[i * 3], pos[i * 3 + 1], pos[i * 3 + 2]],
            color: [1.0; 4],
            ..Vertex::default()
        })
        .collect();
    let mut has = Attributes::default();
    let mut fill = |name: &str, want: &[usize], set: &mut dyn FnMut(&mut Vertex, &[f32])| -> Result<bool, String> {
        let Some(a) = u(attrs.get(name)) else { return Ok(false) };
        let (vals, n) = floats(doc, a)?;
        if !want.contains(&n) || vals.len() / n < count {
            return Err(format!("{name} has the wrong type or too few elements"));
        }
        for (v, chunk) in vertices.iter_mut().zip(vals.chunks_exact(n)) {
            set(v, chunk);
        }
        Ok(true)
    };
    has.normal = fill("NORMAL", &[3], &mut |v, c| v.normal = [c[0], c[1], c[2]])?;
    has.uv0 = fill("TEXCOORD_0", &[2], &mut |v, c| v.uv0 = [c[0], c[1]])?;
    has.uv1 = fill("TEXCOORD_1", &[2], &mut |v, c| v.uv1 = [c[0], c[1]])?;
    has.tangent = fill("TANGENT", &[4], &mut |v, c| v.tangent = [c[0], c[1], c[2], c[3]])?;
    has.color = fill("COLOR_0", &[3, 4], &mut |v, c| {
        v.color = [c[0], c[1], c[2], c.get(3).copied().unwrap_or(1.0)]
    })?;
    let raw: Vec<u32> = match u(p.get("indices")) {
        Some(i) => doc
            .accessor(i)
            .ok_or("indices are unreadable")?
            .into_iter()
            .map(|x| x as u32)
            .collect(),
        None => (0..count as u32).collect(),
    };
    if raw.iter().any(|&i| i as usize >= count) {
        return Err("an index is past the vertex count".into());
    }
    let indices = match mode {
        4 => raw[..raw.len() - raw.len() % 3].to_vec(),
        5 => (2..raw.len())
            .flat_map(|i| {
                if i % 2 == 0 {
                    [raw[i - 2], raw[i - 1], raw[i]]
                } else {
                    [raw[i - 1], raw[i - 2], raw[i]]
                }
            })
            .collect(),
        6 => (2..raw.len()).flat_map(|i| [raw[0], raw[i - 1], raw[i]]).collect(),
        other => return Err(format!("unknown primitive mode {other}")),
    };
    Ok(Some(Primitive {
        vertices,
        indices,
        attributes: has,
        material: u(p.get("material")),
    }))
}

/// Column-major matrix from translation, rotation (x, y, z, w) and scale.
pub fn trs(t: [f32; 3], r: [f32; 4], s: [f32; 3]) -> [f32; 16] {
    let [x, y, z, w] = r;
    let len = (x * x + y * y + z * z + w * w).sqrt().max(f32::MIN_POSITIVE);
    let (x, y, z, w) = (x / len, y / len, z / len, w / len);
    [
        (1.0 - 2.0 * (y * y + z * z)) * s[0],
        (2.0 * (x * y + z * w)) * s[0],
        (2.0 * (x * z - y * w)) * s[0],
        0.0,
        (2.0 * (x * y - z * w)) * s[1],
        (1.0 - 2.0 * (x * x + z * z)) * s[1],
        (2.0 * (y * z + x * w)) * s[1],
        0.0,
        (2.0 * (x * z + y * w)) * s[2],
        (2.0 * (y * z - x * w)) * s[2],
        (1.0 - 2.0 * (x * x + y * y)) * s[2],
        0.0,
        t[0],
        t[1],
        t[2],
        1.0,
    ]
}
