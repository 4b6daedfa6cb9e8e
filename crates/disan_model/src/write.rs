//! A [`Scene`] written as one self-contained GLB: only what the default scene draws, textures embedded,
//! one buffer, every accessor tightly packed and 4-byte aligned, POSITION bounds exact.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::scene::{Primitive, Sampler, Scene, TexRef};

struct Bin {
    data: Vec<u8>,
    views: Vec<Value>,
    accessors: Vec<Value>,
}

impl Bin {
    fn view(&mut self, bytes: &[u8], target: Option<u32>) -> usize {
        while !self.data.len().is_multiple_of(4) {
            self.data.push(0);
        }
        let mut v = json!({"buffer": 0, "byteOffset": self.data.len(), "byteLength": bytes.len()});
        if let Some(t) = target {
            v["target"] = json!(t);
        }
        self.data.extend_from_slice(bytes);
        self.views.push(v);
        self.views.len() - 1
    }

    fn floats<const N: usize>(&mut self, values: &[[f32; N]], bounds: bool) -> usize {
        let bytes: Vec<u8> = values
            .iter()
            .flat_map(|v| v.iter().flat_map(|x| x.to_le_bytes()))
            .collect();
        let view = self.view(&bytes, Some(34962));
        let ty = match N {
            2 => "VEC2",
            3 => "VEC3",
            _ => "VEC4",
        };
        let mut a = json!({"bufferView": view, "componentType": 5126, "count": values.len(), "type": ty});
        if bounds {
            let mut min = [f32::INFINITY; N];
            let mut max = [f32::NEG_INFINITY; N];
            for v in values {
                for k in 0..N {
                    min[k] = min[k].min(v[k]);
                    max[k] = max[k].max(v[k]);
                }
            }
            a["min"] = json!(min.iter().map(|&x| f64::from(x)).collect::<Vec<_>>());
            a["max"] = json!(max.iter().map(|&x| f64::from(x)).collect::<Vec<_>>());
        }
        self.accessors.push(a);
        self.accessors.len() - 1
    }

    fn indices(&mut self, indices: &[u32], vertex_count: usize) -> usize {
        let (bytes, ct): (Vec<u8>, u32) = if vertex_count <= 65535 {
            (indices.iter().flat_map(|&i| (i as u16).to_le_bytes()).collect(), 5123)
        } else {
            (indices.iter().flat_map(|i| i.to_le_bytes()).collect(), 5125)
        };
        let view = self.view(&bytes, Some(34963));
        self.accessors
            .push(json!({"bufferView": view, "componentType": ct, "count": indices.len(), "type": "SCALAR"}));
        self.accessors.len() - 1
    }
}

fn unit3(v: [f32; 3]) -> [f32; 3] {
    let l = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    if l > 1e-12 && l.is_finite() {
        [v[0] / l, v[1] / l, v[2] / l]
    } else {
        [0.0, 0.0, 1.0]
    }
}

fn primitive_json(bin: &mut Bin, p: &Primitive, material: Option<usize>) -> Value {
    let mut attrs = Map::new();
    let pos: Vec<[f32; 3]> = p.vertices.iter().map(|v| v.pos).collect();
    attrs.insert("POSITION".into(), json!(bin.floats(&pos, true)));
    if p.attributes.normal {
        let n: Vec<[f32; 3]> = p.vertices.iter().map(|v| unit3(v.normal)).collect();
        attrs.insert("NORMAL".into(), json!(bin.floats(&n, false)));
    }
    if p.attributes.tangent && p.attributes.normal {
        let t: Vec<[f32; 4]> = p
            .vertices
            .iter()
            .map(|v| {
                let [x, y, z] = unit3([v.tangent[0], v.tangent[1], v.tangent[2]]);
                [x, y, z, if v.tangent[3] < 0.0 { -1.0 } else { 1.0 }]
            })
            .collect();
        attrs.insert("TANGENT".into(), json!(bin.floats(&t, false)));
    }
    if p.attributes.uv0 {
        let t: Vec<[f32; 2]> = p.vertices.iter().map(|v| v.uv0).collect();
        attrs.insert("TEXCOORD_0".into(), json!(bin.floats(&t, false)));
    }
    if p.attributes.uv1 {
        let t: Vec<[f32; 2]> = p.vertices.iter().map(|v| v.uv1).collect();
        attrs.insert("TEXCOORD_1".into(), json!(bin.floats(&t, false)));
    }
    if p.attributes.color {
        let c: Vec<[f32; 4]> = p.vertices.iter().map(|v| v.color.map(|x| x.clamp(0.0, 1.0))).collect();
        attrs.insert("COLOR_0".into(), json!(bin.floats(&c, false)));
    }
    let mut prim = json!({"attributes": attrs, "indices": bin.indices(&p.indices, p.vertices.len()), "mode": 4});
    if let Some(m) = material {
        prim["material"] = json!(m);
    }
    prim
}

/// Writes the scene as GLB bytes. `generator` goes into `asset.generator`.
pub fn write_glb(scene: &Scene, generator: &str) -> Vec<u8> {
    let mut bin = Bin {
        data: Vec::new(),
        views: Vec::new(),
        accessors: Vec::new(),
    };
    // What the default scene reaches, renumbered in visiting order.
    let mut node_map: HashMap<usize, usize> = HashMap::new();
    let mut order = Vec::new();
    let mut stack: Vec<usize> = scene.roots.iter().rev().copied().collect();
    while let Some(n) = stack.pop() {
        if n >= scene.nodes.len() || node_map.contains_key(&n) {
            continue;
        }
        node_map.insert(n, order.len());
        order.push(n);
        stack.extend(scene.nodes[n].children.iter().rev());
    }
    let mut mesh_map: HashMap<usize, usize> = HashMap::new();
    let mut mat_map: HashMap<usize, usize> = HashMap::new();
    let mut tex_map: HashMap<usize, usize> = HashMap::new();
    let mut img_map: HashMap<usize, usize> = HashMap::new();
    let mut sampler_map: HashMap<Sampler, usize> = HashMap::new();
    let (mut meshes, mut materials, mut textures, mut images, mut samplers) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut unlit = false;

    let mut texture_ref = |t: &TexRef,
                           scale_key: Option<&str>,
                           bin: &mut Bin,
                           textures: &mut Vec<Value>,
                           images: &mut Vec<Value>,
                           samplers: &mut Vec<Value>|
     -> Option<Value> {
        let tex = scene.textures.get(t.texture)?;
        let image = scene.images.get(tex.image)?;
        let ti = match tex_map.get(&t.texture) {
            Some(&i) => i,
            None => {
                let ii = *img_map.entry(tex.image).or_insert_with(|| {
                    let view = bin.view(&image.bytes, None);
                    let mut v = json!({"bufferView": view, "mimeType": image.mime});
                    if let Some(n) = &image.name {
                        v["name"] = json!(n);
                    }
                    images.push(v);
                    images.len() - 1
                });
                let si = *sampler_map.entry(tex.sampler).or_insert_with(|| {
                    let mut s = Map::new();
                    let s_ = tex.sampler;
                    for (k, v) in [
                        ("magFilter", s_.mag_filter),
                        ("minFilter", s_.min_filter),
                        ("wrapS", s_.wrap_s),
                        ("wrapT", s_.wrap_t),
                    ] {
                        if let Some(v) = v {
                            s.insert(k.into(), json!(v));
                        }
                    }
                    samplers.push(Value::Object(s));
                    samplers.len() - 1
                });
                textures.push(json!({"source": ii, "sampler": si}));
                tex_map.insert(t.texture, textures.len() - 1);
                textures.len() - 1
            }
        };
        let mut v = json!({"index": ti});
        if t.tex_coord != 0 {
            v["texCoord"] = json!(t.tex_coord);
        }
        if let Some(k) = scale_key
            && t.scale != 1.0
        {
            v[k] = json!(t.scale);
        }
        Some(v)
    };

    let mut nodes = Vec::new();
    for &n in &order {
        let node = &scene.nodes[n];
        let mut v = Map::new();
        if let Some(name) = &node.name {
            v.insert("name".into(), json!(name));
        }
        if node.matrix != crate::scene::IDENTITY {
            v.insert("matrix".into(), json!(node.matrix.map(f64::from)));
        }
        let children: Vec<usize> = node.children.iter().filter_map(|c| node_map.get(c).copied()).collect();
        if !children.is_empty() {
            v.insert("children".into(), json!(children));
        }
        if let Some(m) = node.mesh
            && let Some(mesh) = scene.meshes.get(m)
            && !mesh.primitives.is_empty()
        {
            let mi = match mesh_map.get(&m) {
                Some(&i) => i,
                None => {
                    let mut prims = Vec::new();
                    for p in &mesh.primitives {
                        if p.indices.is_empty() {
                            continue;
                        }
                        let material = p.material.and_then(|mat| {
                            if let Some(&i) = mat_map.get(&mat) {
                                return Some(i);
                            }
                            let src = scene.materials.get(mat)?;
                            let mut pbr = json!({
                                "baseColorFactor": src.base_color.map(f64::from),
                                "metallicFactor": src.metallic,
                                "roughnessFactor": src.roughness,
                            });
                            if let Some(t) = &src.base_color_texture
                                && let Some(v) =
                                    texture_ref(t, None, &mut bin, &mut textures, &mut images, &mut samplers)
                            {
                                pbr["baseColorTexture"] = v;
                            }
                            if let Some(t) = &src.metallic_roughness_texture
                                && let Some(v) =
                                    texture_ref(t, None, &mut bin, &mut textures, &mut images, &mut samplers)
                            {
                                pbr["metallicRoughnessTexture"] = v;
                            }
                            let mut m = json!({"pbrMetallicRoughness": pbr});
                            if let Some(n) = &src.name {
                                m["name"] = json!(n);
                            }
                            for (key, t, scale) in [
                                ("normalTexture", &src.normal_texture, Some("scale")),
                                ("occlusionTexture", &src.occlusion_texture, Some("strength")),
                                ("emissiveTexture", &src.emissive_texture, None),
                            ] {
                                if let Some(t) = t
                                    && let Some(v) =
                                        texture_ref(t, scale, &mut bin, &mut textures, &mut images, &mut samplers)
                                {
                                    m[key] = v;
                                }
                            }
                            if src.emissive != [0.0; 3] {
                                m["emissiveFactor"] = json!(src.emissive.map(f64::from));
                            }
                            if src.alpha_mode != "OPAQUE" {
                                m["alphaMode"] = json!(src.alpha_mode);
                                if src.alpha_mode == "MASK"
                                    && let Some(c) = src.alpha_cutoff
                                {
                                    m["alphaCutoff"] = json!(c);
                                }
                            }
                            if src.double_sided {
                                m["doubleSided"] = json!(true);
                            }
                            if src.unlit {
                                m["extensions"] = json!({"KHR_materials_unlit": {}});
                                unlit = true;
                            }
                            materials.push(m);
                            mat_map.insert(mat, materials.len() - 1);
                            Some(materials.len() - 1)
                        });
                        prims.push(primitive_json(&mut bin, p, material));
                    }
                    let mut mv = json!({"primitives": prims});
                    if let Some(n) = &mesh.name {
                        mv["name"] = json!(n);
                    }
                    meshes.push(mv);
                    mesh_map.insert(m, meshes.len() - 1);
                    meshes.len() - 1
                }
            };
            v.insert("mesh".into(), json!(mi));
        }
        nodes.push(Value::Object(v));
    }
    while !bin.data.len().is_multiple_of(4) {
        bin.data.push(0);
    }
    let roots: Vec<usize> = scene.roots.iter().filter_map(|r| node_map.get(r).copied()).collect();
    let mut asset = json!({"version": "2.0", "generator": generator});
    if let Some(c) = &scene.copyright {
        asset["copyright"] = json!(c);
    }
    let mut root = json!({"asset": asset, "scene": 0, "scenes": [{"nodes": roots}]});
    let mut put = |k: &str, v: Vec<Value>| {
        if !v.is_empty() {
            root[k] = Value::Array(v);
        }
    };
    put("nodes", nodes);
    put("meshes", meshes);
    put("materials", materials);
    put("textures", textures);
    put("images", images);
    put("samplers", samplers);
    put("accessors", bin.accessors);
    put("bufferViews", bin.views);
    if !bin.data.is_empty() {
        root["buffers"] = json!([{"byteLength": bin.data.len()}]);
    }
    if unlit {
        root["extensionsUsed"] = json!(["KHR_materials_unlit"]);
    }
    // Empty `roots` would be an empty array: a scene with nothing is still a scene object.
    if roots_empty(&root) {
        root["scenes"] = json!([{}]);
    }
    glb(&serde_json::to_vec(&root).expect("JSON values serialise"), &bin.data)
}

fn roots_empty(root: &Value) -> bool {
    root.pointer("/scenes/0/nodes")
        .and_then(Value::as_array)
        .is_some_and(Vec::is_empty)
}

/// GLB container around a JSON and a BIN chunk.
fn glb(json: &[u8], bin: &[u8]) -> Vec<u8> {
    let json_len = json.len().next_multiple_of(4);
    let total = 12 + 8 + json_len + if bin.is_empty() { 0 } else { 8 + bin.len() };
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(b"glTF");
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out.extend_from_slice(&(json_len as u32).to_le_bytes());
    out.extend_from_slice(&0x4E4F_534Au32.to_le_bytes());
    out.extend_from_slice(json);
    out.resize(20 + json_len, b' ');
    if !bin.is_empty() {
        out.extend_from_slice(&(bin.len() as u32).to_le_bytes());
        out.extend_from_slice(&0x004E_4942u32.to_le_bytes());
        out.extend_from_slice(bin);
    }
    out
}
