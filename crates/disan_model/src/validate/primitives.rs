//! Mesh primitives as the Khronos validator links them (`lib/src/base/mesh.dart`): attribute semantic names,
//! the continuity of indexed semantics, JOINTS/WEIGHTS pairs, accessor formats per semantic (widened by
//! KHR_mesh_quantization), equal counts, index formats, morph targets against their base attributes, and
//! the same number of morph targets in every primitive of a mesh.

#[allow(clippy::wildcard_imports)]
use super::*;

/// An accessor's (type, componentType, normalized).
type Format = (&'static str, u64, bool);

const F: u64 = 5126;
const B: u64 = 5120;
const UB: u64 = 5121;
const S: u64 = 5122;
const US: u64 = 5123;

fn attribute_formats(semantic: &str, quantized: bool) -> Option<Vec<Format>> {
    let mut f: Vec<Format> = match semantic {
        "POSITION" => vec![("VEC3", F, false)],
        "NORMAL" => vec![("VEC3", F, false)],
        "TANGENT" => vec![("VEC4", F, false)],
        "TEXCOORD" => vec![("VEC2", F, false), ("VEC2", UB, true), ("VEC2", US, true)],
        "COLOR" => ["VEC3", "VEC4"]
            .into_iter()
            .flat_map(|t| [(t, F, false), (t, UB, true), (t, US, true)])
            .collect(),
        "JOINTS" => vec![("VEC4", UB, false), ("VEC4", US, false)],
        "WEIGHTS" => vec![("VEC4", F, false), ("VEC4", UB, true), ("VEC4", US, true)],
        _ => return None,
    };
    if quantized {
        match semantic {
            "POSITION" => f.extend(
                [B, UB, S, US]
                    .into_iter()
                    .flat_map(|c| [("VEC3", c, false), ("VEC3", c, true)]),
            ),
            "NORMAL" => f.extend([("VEC3", B, true), ("VEC3", S, true)]),
            "TANGENT" => f.extend([("VEC4", B, true), ("VEC4", S, true)]),
            "TEXCOORD" => f.extend([
                ("VEC2", B, false),
                ("VEC2", B, true),
                ("VEC2", UB, false),
                ("VEC2", S, false),
                ("VEC2", S, true),
                ("VEC2", US, false),
            ]),
            _ => {}
        }
    }
    Some(f)
}

fn morph_formats(semantic: &str, quantized: bool) -> Option<Vec<Format>> {
    let mut f: Vec<Format> = match semantic {
        "POSITION" | "NORMAL" | "TANGENT" => vec![("VEC3", F, false)],
        "TEXCOORD" => std::iter::once(("VEC2", F, false))
            .chain([B, UB, S, US].into_iter().map(|c| ("VEC2", c, true)))
            .collect(),
        "COLOR" => ["VEC3", "VEC4"]
            .into_iter()
            .flat_map(|t| std::iter::once((t, F, false)).chain([B, UB, S, US].into_iter().map(move |c| (t, c, true))))
            .collect(),
        _ => return None,
    };
    if quantized {
        match semantic {
            "POSITION" => f.extend([B, S].into_iter().flat_map(|c| [("VEC3", c, false), ("VEC3", c, true)])),
            "NORMAL" | "TANGENT" => f.extend([("VEC3", B, true), ("VEC3", S, true)]),
            "TEXCOORD" => f.extend([("VEC2", B, false), ("VEC2", S, false)]),
            _ => {}
        }
    }
    Some(f)
}

/// The index of an indexed semantic (`0`, `1`, … with no leading zero), as Khronos parses it.
fn semantic_index(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 1 && s.starts_with('0') || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The texture coordinate set of every texture a material uses (`…Texture` objects with an `index`, in
/// the material or its extensions), as KHR_texture_transform may override it.
fn texcoord_sets(v: &Value, key: &str, out: &mut Vec<u64>) {
    match v {
        Value::Object(o) => {
            if key.ends_with("Texture") && o.contains_key("index") {
                let t = o
                    .get("extensions")
                    .and_then(|e| e.get("KHR_texture_transform"))
                    .and_then(|t| t.get("texCoord"))
                    .or_else(|| o.get("texCoord"))
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
                out.push(t);
            }
            for (k, child) in o {
                if k != "extras" {
                    texcoord_sets(child, k, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| texcoord_sets(i, key, out)),
        _ => {}
    }
}

/// A JSON pointer token.
fn token(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

impl Ctx<'_> {
    pub(super) fn format_of(&self, a: usize) -> Option<(String, u64, bool)> {
        Some((
            self.accessor_field(a, "type")?.as_str()?.to_owned(),
            self.accessor_field(a, "componentType")?.as_u64()?,
            self.accessor_field(a, "normalized")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        ))
    }

    fn format_allowed(&self, a: usize, allowed: &[Format]) -> bool {
        self.format_of(a)
            .is_none_or(|(t, c, n)| allowed.iter().any(|&(at, ac, an)| at == t && ac == c && an == n))
    }

    /// `MESH_PRIMITIVE_ATTRIBUTES_ACCESSOR_INVALID_FORMAT` when a known semantic's accessor has a format not
    /// in `allowed`.
    fn attribute_format(&mut self, a: usize, allowed: Option<Vec<Format>>, at: &str, name: &str) {
        if let Some(allowed) = allowed
            && !self.format_allowed(a, &allowed)
        {
            self.err(
                "MESH_PRIMITIVE_ATTRIBUTES_ACCESSOR_INVALID_FORMAT",
                at.to_owned(),
                format!("Invalid accessor format for the '{name}' attribute."),
            );
        }
    }

    pub(super) fn primitives(&mut self) {
        let quantized = self
            .root
            .get("extensionsUsed")
            .and_then(Value::as_array)
            .is_some_and(|u| u.iter().any(|e| e.as_str() == Some("KHR_mesh_quantization")));
        let meshes = self.array("meshes").to_vec();
        for (m, mesh) in meshes.iter().enumerate() {
            let Some(prims) = mesh.get("primitives").and_then(Value::as_array) else {
                continue;
            };
            let mut target_count = 0;
            if let Some(w) = mesh.get("weights").and_then(Value::as_array)
                && let Some(first) = prims.first()
                && w.len() != first.get("targets").and_then(Value::as_array).map_or(0, Vec::len)
            {
                self.err(
                    "MESH_INVALID_WEIGHTS_COUNT",
                    format!("/meshes/{m}/weights"),
                    "The length of weights array does not match the number of morph targets.".into(),
                );
            }
            for (pi, prim) in prims.iter().enumerate() {
                let pp = format!("/meshes/{m}/primitives/{pi}");
                // As Khronos reads them: a list with an empty or non-object target is no list at all.
                let targets = prim
                    .get("targets")
                    .and_then(Value::as_array)
                    .filter(|t| t.iter().all(|x| x.as_object().is_some_and(|o| !o.is_empty())))
                    .map_or(0, Vec::len);
                if pi == 0 {
                    target_count = targets;
                } else if targets != target_count {
                    let at = if targets > 0 {
                        format!("{pp}/targets")
                    } else {
                        pp.clone()
                    };
                    self.err(
                        "MESH_PRIMITIVES_UNEQUAL_TARGETS_COUNT",
                        at,
                        "All primitives must have the same number of morph targets.".into(),
                    );
                }
                self.primitive(prim, &pp, quantized);
            }
        }
    }

    fn primitive(&mut self, prim: &Value, pp: &str, quantized: bool) {
        let attrs = prim
            .get("attributes")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let ap = format!("{pp}/attributes");
        // Names, continuity, JOINTS/WEIGHTS pairs.
        let mut seen: BTreeMap<&str, (u32, i64)> = BTreeMap::new();
        for name in attrs.keys() {
            if name.starts_with('_') || matches!(name.as_str(), "POSITION" | "NORMAL" | "TANGENT") {
                continue;
            }
            let parts: Vec<&str> = name.split('_').collect();
            let valid = parts.len() == 2 && matches!(parts[0], "COLOR" | "JOINTS" | "TEXCOORD" | "WEIGHTS");
            match (valid, parts.get(1).and_then(|i| semantic_index(i))) {
                (true, Some(i)) => {
                    let e = seen.entry(parts[0]).or_insert((0, -1));
                    e.0 += 1;
                    e.1 = e.1.max(i64::from(i));
                }
                _ => self.err(
                    "MESH_PRIMITIVE_INVALID_ATTRIBUTE",
                    format!("{ap}/{}", token(name)),
                    "Invalid attribute name.".into(),
                ),
            }
        }
        let mut counted = BTreeMap::new();
        for set in ["COLOR", "JOINTS", "WEIGHTS", "TEXCOORD"] {
            let (count, max) = seen.get(set).copied().unwrap_or((0, -1));
            let count = if max + 1 != i64::from(count) {
                self.err(
                    "MESH_PRIMITIVE_INDEXED_SEMANTIC_CONTINUITY",
                    ap.clone(),
                    format!("Indices for indexed attribute semantic '{set}' must start with 0 and be continuous. Total expected indices: {}, total provided indices: {count}.", max + 1),
                );
                0
            } else {
                count
            };
            counted.insert(set, count);
        }
        if counted["JOINTS"] != counted["WEIGHTS"] {
            self.err(
                "MESH_PRIMITIVE_JOINTS_WEIGHTS_MISMATCH",
                ap.clone(),
                format!(
                    "Vertex attribute semantic 'JOINTS' and 'WEIGHTS' count mismatch: {} and {}.",
                    counted["JOINTS"], counted["WEIGHTS"]
                ),
            );
        }
        // Texture coordinates the material's textures use (KHR_texture_transform may pick another set).
        if let Some(material) = prim
            .get("material")
            .and_then(Value::as_u64)
            .and_then(|m| self.array("materials").get(m as usize))
            .cloned()
        {
            // A normal map (or a clearcoat normal map, or an anisotropy texture) needs a tangent space; only
            // the material's own normal map lets a renderer generate one.
            let needs_tangent = material.get("normalTexture").is_some()
                || material
                    .pointer("/extensions/KHR_materials_clearcoat/clearcoatNormalTexture")
                    .is_some()
                || material
                    .pointer("/extensions/KHR_materials_anisotropy/anisotropyTexture")
                    .is_some();
            if needs_tangent
                && material.get("normalTexture").is_none()
                && !(attrs.contains_key("NORMAL") && attrs.contains_key("TANGENT"))
            {
                self.err(
                    "MESH_PRIMITIVE_NO_TANGENT_SPACE",
                    format!("{pp}/material"),
                    "Material requires a tangent space but the mesh primitive does not provide it and the material does not contain a normal map to generate it.".into(),
                );
            }
            let mut sets = Vec::new();
            texcoord_sets(&material, "", &mut sets);
            if sets.iter().any(|&t| t + 1 > u64::from(counted["TEXCOORD"])) {
                self.err(
                    "MESH_PRIMITIVE_TOO_FEW_TEXCOORDS",
                    format!("{pp}/material"),
                    "Material is incompatible with mesh primitive: texture coordinates are missing.".into(),
                );
            }
        }
        // Formats and counts.
        let reference = attrs
            .get("POSITION")
            .or_else(|| attrs.values().next())
            .and_then(Value::as_u64)
            .and_then(|a| self.accessor_field(a as usize, "count"))
            .and_then(Value::as_u64);
        for (name, a) in &attrs {
            let Some(a) = a.as_u64().map(|a| a as usize) else {
                continue;
            };
            if self.array("accessors").get(a).is_none() {
                continue;
            }
            let at = format!("{ap}/{}", token(name));
            let set = name.split('_').next().unwrap_or("");
            self.attribute_format(a, attribute_formats(set, quantized), &at, name);
            let count = self.accessor_field(a, "count").and_then(Value::as_u64);
            if reference.is_some() && count != reference {
                self.err(
                    "MESH_PRIMITIVE_UNEQUAL_ACCESSOR_COUNT",
                    at.clone(),
                    "All accessors of the same primitive must have the same count.".into(),
                );
            }
        }
        // In accessor order: the JSON object's own order is not kept, and exporters write attributes in the
        // order of their accessors, so the second accessor of a shared view is the one Khronos names.
        let mut by_accessor: Vec<(usize, &String)> = attrs
            .iter()
            .filter_map(|(name, a)| Some((a.as_u64()? as usize, name)))
            .filter(|(a, _)| self.array("accessors").get(*a).is_some())
            .collect();
        by_accessor.sort();
        for (a, name) in by_accessor {
            self.shared_view_without_stride(a, &format!("{ap}/{}", token(name)));
        }
        if let Some(ind) = prim.get("indices").and_then(Value::as_u64).map(|i| i as usize)
            && self.array("accessors").get(ind).is_some()
            && !self.format_allowed(
                ind,
                &[("SCALAR", UB, false), ("SCALAR", US, false), ("SCALAR", 5125, false)],
            )
        {
            self.err(
                "MESH_PRIMITIVE_INDICES_ACCESSOR_INVALID_FORMAT",
                format!("{pp}/indices"),
                "Invalid indices accessor format.".into(),
            );
        }
        // Morph targets.
        for (t, target) in items(prim, "targets").enumerate() {
            let tp = format!("{pp}/targets/{t}");
            for (name, a) in target.as_object().into_iter().flatten() {
                let at = format!("{tp}/{}", token(name));
                if !name.starts_with('_') && !matches!(name.as_str(), "POSITION" | "NORMAL" | "TANGENT") {
                    let parts: Vec<&str> = name.split('_').collect();
                    if parts.len() != 2
                        || !matches!(parts[0], "COLOR" | "TEXCOORD")
                        || semantic_index(parts[1]).is_none()
                    {
                        self.err(
                            "MESH_PRIMITIVE_INVALID_ATTRIBUTE",
                            at.clone(),
                            "Invalid attribute name.".into(),
                        );
                    }
                }
                let Some(a) = a.as_u64().map(|a| a as usize) else {
                    continue;
                };
                if self.array("accessors").get(a).is_none() {
                    continue;
                }
                match attrs.get(name).and_then(Value::as_u64) {
                    None => self.err(
                        "MESH_PRIMITIVE_MORPH_TARGET_NO_BASE_ACCESSOR",
                        at.clone(),
                        "The mesh primitive does not define this attribute semantic.".into(),
                    ),
                    Some(base) => {
                        let bc = self.accessor_field(base as usize, "count").and_then(Value::as_u64);
                        let tc = self.accessor_field(a, "count").and_then(Value::as_u64);
                        if bc.is_some() && bc != tc {
                            self.err(
                                "MESH_PRIMITIVE_MORPH_TARGET_INVALID_ATTRIBUTE_COUNT",
                                at.clone(),
                                "Base accessor has different count.".into(),
                            );
                        }
                    }
                }
                if name == "POSITION"
                    && (self.accessor_field(a, "min").is_none() || self.accessor_field(a, "max").is_none())
                {
                    self.err(
                        "MESH_PRIMITIVE_POSITION_ACCESSOR_WITHOUT_BOUNDS",
                        at.clone(),
                        "accessor.min and accessor.max must be defined for POSITION attribute accessor.".into(),
                    );
                }
                let set = name.split('_').next().unwrap_or("");
                self.attribute_format(a, morph_formats(set, quantized), &at, name);
            }
        }
    }

    /// Two vertex accessors in one bufferView with no byteStride: Khronos cannot tell the layout.
    fn shared_view_without_stride(&mut self, a: usize, at: &str) {
        let Some(v) = self.accessor_field(a, "bufferView").and_then(Value::as_u64) else {
            return;
        };
        let v = v as usize;
        if self
            .array("bufferViews")
            .get(v)
            .is_none_or(|bv| bv.get("byteStride").is_some())
        {
            return;
        }
        let users = self.strideless_users.entry(v).or_default();
        if users.insert(a) && users.len() > 1 {
            self.err(
                "MESH_PRIMITIVE_ACCESSOR_WITHOUT_BYTESTRIDE",
                at.to_owned(),
                "bufferView.byteStride must be defined when two or more accessors use the same buffer view.".into(),
            );
        }
    }
}

impl Ctx<'_> {
    /// What each bufferView is used for, in the Khronos validator's link order (bufferViews' `target`,
    /// sparse accessors, images, meshes, skins, animations): a second, different use is
    /// `BUFFER_VIEW_TARGET_OVERRIDE` where it happens. Also the strides a bufferView must not have, and the
    /// sparse counts, which Khronos checks on the same walk.
    pub(super) fn view_usages(&mut self) {
        let mut usage: HashMap<usize, &'static str> = HashMap::new();
        let views = self.array("bufferViews").to_vec();
        for (i, v) in views.iter().enumerate() {
            match v.get("target").and_then(Value::as_u64) {
                Some(34962) => {
                    usage.insert(i, "vertex");
                }
                Some(34963) => {
                    usage.insert(i, "index");
                    if v.get("byteStride").is_some() {
                        self.invalid_stride(format!("/bufferViews/{i}/byteStride"));
                    }
                }
                _ => {}
            }
        }
        let mut uses: Vec<(Option<u64>, &'static str, String)> = Vec::new();
        for (i, a) in self.array("accessors").iter().enumerate() {
            let Some(sparse) = a.get("sparse") else { continue };
            if let (Some(sc), Some(c)) = (
                sparse.get("count").and_then(Value::as_u64),
                a.get("count").and_then(Value::as_u64),
            ) && sc > c
            {
                uses.push((None, "sparse-count", format!("/accessors/{i}/sparse/count")));
            }
            for part in ["indices", "values"] {
                let v = sparse
                    .get(part)
                    .and_then(|p| p.get("bufferView"))
                    .and_then(Value::as_u64);
                uses.push((v, "other-sparse", format!("/accessors/{i}/sparse/{part}/bufferView")));
            }
        }
        for (i, img) in self.array("images").iter().enumerate() {
            uses.push((
                img.get("bufferView").and_then(Value::as_u64),
                "image",
                format!("/images/{i}/bufferView"),
            ));
        }
        let acc_view = |this: &Self, a: Option<&Value>| {
            a.and_then(Value::as_u64)
                .and_then(|a| this.accessor_field(a as usize, "bufferView"))
                .and_then(Value::as_u64)
        };
        for (m, mesh) in self.array("meshes").iter().enumerate() {
            for (p, prim) in items(mesh, "primitives").enumerate() {
                let pp = format!("/meshes/{m}/primitives/{p}");
                for (name, a) in prim.get("attributes").and_then(Value::as_object).into_iter().flatten() {
                    uses.push((
                        acc_view(self, Some(a)),
                        "vertex",
                        format!("{pp}/attributes/{}", token(name)),
                    ));
                }
                uses.push((acc_view(self, prim.get("indices")), "index", format!("{pp}/indices")));
                for (t, target) in items(prim, "targets").enumerate() {
                    for (name, a) in target.as_object().into_iter().flatten() {
                        uses.push((
                            acc_view(self, Some(a)),
                            "vertex",
                            format!("{pp}/targets/{t}/{}", token(name)),
                        ));
                    }
                }
            }
        }
        for (s, skin) in self.array("skins").iter().enumerate() {
            uses.push((
                acc_view(self, skin.get("inverseBindMatrices")),
                "ibm",
                format!("/skins/{s}/inverseBindMatrices"),
            ));
        }
        for (a, anim) in self.array("animations").iter().enumerate() {
            for (s, sampler) in items(anim, "samplers").enumerate() {
                for key in ["input", "output"] {
                    uses.push((
                        acc_view(self, sampler.get(key)),
                        "other",
                        format!("/animations/{a}/samplers/{s}/{key}"),
                    ));
                }
            }
        }
        for (view, kind, at) in uses {
            if kind == "sparse-count" {
                self.err(
                    "ACCESSOR_SPARSE_COUNT_OUT_OF_RANGE",
                    at,
                    "Sparse accessor overrides more elements than the base accessor contains.".into(),
                );
                continue;
            }
            let Some(view) = view.map(|v| v as usize).filter(|&v| v < views.len()) else {
                continue;
            };
            let kind = if kind == "other-sparse" {
                if views[view].get("byteStride").is_some() {
                    self.invalid_stride(at.clone());
                }
                "other"
            } else {
                kind
            };
            match usage.get(&view) {
                None => {
                    usage.insert(view, kind);
                }
                Some(&first) if first != kind => self.err(
                    "BUFFER_VIEW_TARGET_OVERRIDE",
                    at,
                    format!(
                        "Override of previously set bufferView target or usage. Initial: '{first}', new: '{kind}'."
                    ),
                ),
                Some(_) => {}
            }
        }
    }

    fn invalid_stride(&mut self, at: String) {
        self.err(
            "BUFFER_VIEW_INVALID_BYTE_STRIDE",
            at,
            "Only buffer views with raw vertex data can have byteStride.".into(),
        );
    }
}
