//! The JSON structure: top-level arrays, required properties and value types of every object, texture infos.

#[allow(clippy::wildcard_imports)]
use super::*;

impl Ctx<'_> {
    pub(super) fn structure(&mut self) {
        let root = self.root.as_object().expect("checked by the caller");
        let mut infinite = Vec::new();
        infinite_numbers(self.root, String::new(), &mut infinite);
        for at in infinite {
            self.err("VALUE_NOT_IN_RANGE", at, "Value Infinity is out of range.".into());
        }
        self.check_required(root, "root", "/");
        // asset
        if let Some(asset) = self.sub_object(root, "asset", "asset", "")
            && let Some(v) = asset.get("version").and_then(Value::as_str)
        {
            {
                let parse = |s: &str| -> Option<(u32, u32)> {
                    let (a, b) = s.split_once('.')?;
                    Some((a.parse().ok()?, b.parse().ok()?))
                };
                match parse(v) {
                    Some((major, _)) if major != 2 => self.err(
                        "UNKNOWN_ASSET_MAJOR_VERSION",
                        "/asset/version".into(),
                        format!("Unknown glTF major asset version: {major}."),
                    ),
                    None => self.err(
                        "PATTERN_MISMATCH",
                        "/asset/version".into(),
                        format!("Value '{v}' does not match regexp pattern '^[0-9]+\\.[0-9]+$'."),
                    ),
                    _ => {}
                }
                if let Some(min) = asset.get("minVersion").and_then(Value::as_str)
                    && let (Some(a), Some(b)) = (parse(min), parse(v))
                    && a > b
                {
                    self.err(
                        "ASSET_MIN_VERSION_GREATER_THAN_VERSION",
                        "/asset/minVersion".into(),
                        format!("Asset minVersion '{min}' is greater than version '{v}'."),
                    );
                }
            }
        }
        // top-level arrays
        for (key, kind) in TOP_LEVEL {
            let Some(v) = root.get(*key) else { continue };
            let Some(items) = v.as_array() else {
                self.type_mismatch(format!("/{key}"), v, "array");
                continue;
            };
            if items.is_empty() {
                self.err("EMPTY_ENTITY", format!("/{key}"), "Entity cannot be empty.".into());
            }
            for (i, item) in items.iter().enumerate() {
                let p = format!("/{key}/{i}");
                match item.as_object() {
                    Some(o) => {
                        self.check_required(o, kind, &p);
                        self.object(kind, o, &p);
                    }
                    None => self.type_mismatch(p, item, "object"),
                }
            }
        }
        self.check_ref(root.get("scene"), "scenes", "/scene".into());
        self.extensions(root);
    }

    /// Kind-specific structure and references of one top-level object.
    pub(super) fn object(&mut self, kind: &str, o: &Map<String, Value>, p: &str) {
        match kind {
            "accessor" => {
                self.check_ref(o.get("bufferView"), "bufferViews", format!("{p}/bufferView"));
                self.requires(o, "byteOffset", "bufferView", p);
                let bad_component = o
                    .get("componentType")
                    .and_then(Value::as_u64)
                    .filter(|&ct| component_size(ct).is_none())
                    .map(|ct| ("componentType", format!("{ct}"), "(5120, 5121, 5122, 5123, 5125, 5126)"));
                let bad_type = o
                    .get("type")
                    .and_then(Value::as_str)
                    .filter(|ty| component_count(ty).is_none())
                    .map(|ty| {
                        (
                            "type",
                            format!("'{ty}'"),
                            "('SCALAR', 'VEC2', 'VEC3', 'VEC4', 'MAT2', 'MAT3', 'MAT4')",
                        )
                    });
                // An unknown type is a warning to Khronos (a later version may add one); Disan's loader
                // refuses an accessor it cannot read only where a mesh uses it.
                if let Some((key, value, valid)) = bad_component {
                    self.err(
                        "VALUE_NOT_IN_LIST",
                        format!("{p}/{key}"),
                        format!("Invalid value {value}. Valid values are {valid}."),
                    );
                }
                if let Some((key, value, valid)) = bad_type {
                    self.warn(
                        "VALUE_NOT_IN_LIST",
                        format!("{p}/{key}"),
                        format!("Invalid value {value}. Valid values are {valid}."),
                    );
                }
                if o.get("normalized").and_then(Value::as_bool) == Some(true)
                    && matches!(o.get("componentType").and_then(Value::as_u64), Some(5125 | 5126))
                {
                    self.err(
                        "ACCESSOR_NORMALIZED_INVALID",
                        format!("{p}/normalized"),
                        "Only (u)byte and (u)short accessors can be normalized.".into(),
                    );
                }
                self.at_least_one(o, "count", p);
                if let Some(sparse) = self.sub_object(o, "sparse", "sparse", p) {
                    let sp = format!("{p}/sparse");
                    if let Some(idx) = self.sub_object(sparse, "indices", "sparse.indices", &sp) {
                        self.check_ref(idx.get("bufferView"), "bufferViews", format!("{sp}/indices/bufferView"));
                    }
                    if let Some(val) = self.sub_object(sparse, "values", "sparse.values", &sp) {
                        self.check_ref(val.get("bufferView"), "bufferViews", format!("{sp}/values/bufferView"));
                    }
                }
            }
            "animation" => {
                self.each_object(o, "channels", p, "channel", |this, cp, ch| {
                    let samplers = o.get("samplers").and_then(Value::as_array).map_or(0, Vec::len);
                    if let Some(s) = ch.get("sampler")
                        && s.as_u64().is_none_or(|s| s as usize >= samplers)
                    {
                        this.err(
                            "UNRESOLVED_REFERENCE",
                            format!("{cp}/sampler"),
                            format!("Unresolved reference: {s}."),
                        );
                    }
                    if let Some(t) = this.sub_object(ch, "target", "target", &cp) {
                        this.check_ref(t.get("node"), "nodes", format!("{cp}/target/node"));
                    }
                });
                self.each_object(o, "samplers", p, "animation.sampler", |this, sp, s| {
                    this.check_ref(s.get("input"), "accessors", format!("{sp}/input"));
                    this.check_ref(s.get("output"), "accessors", format!("{sp}/output"));
                });
            }
            "buffer" => self.at_least_one(o, "byteLength", p),
            "bufferView" => {
                self.check_ref(o.get("buffer"), "buffers", format!("{p}/buffer"));
                self.at_least_one(o, "byteLength", p);
                if let Some(s) = o.get("byteStride").and_then(Value::as_u64) {
                    if !(4..=252).contains(&s) {
                        self.err(
                            "VALUE_NOT_IN_RANGE",
                            format!("{p}/byteStride"),
                            format!("Value {s} is out of range."),
                        );
                    } else if s % 4 != 0 {
                        self.err(
                            "VALUE_MULTIPLE_OF",
                            format!("{p}/byteStride"),
                            format!("Value {s} is not a multiple of 4."),
                        );
                    }
                    if let Some(l) = o.get("byteLength").and_then(Value::as_u64)
                        && s > l
                    {
                        self.err(
                            "BUFFER_VIEW_TOO_BIG_BYTE_STRIDE",
                            format!("{p}/byteStride"),
                            format!("Buffer view's byteStride ({s}) is greater than byteLength ({l})."),
                        );
                    }
                }
            }
            "camera" => {
                if o.contains_key("perspective") && o.contains_key("orthographic") {
                    self.err(
                        "ONE_OF_MISMATCH",
                        p.to_owned(),
                        "Exactly one of ('orthographic', 'perspective') properties must be defined.".into(),
                    );
                }
                if let Some(ty) = o.get("type").and_then(Value::as_str) {
                    match ty {
                        "perspective" | "orthographic" => {
                            if !o.contains_key(ty) {
                                self.err(
                                    "UNDEFINED_PROPERTY",
                                    p.to_owned(),
                                    format!("Property '{ty}' must be defined."),
                                );
                            }
                        }
                        other => self.warn(
                            "VALUE_NOT_IN_LIST",
                            format!("{p}/type"),
                            format!("Invalid value '{other}'. Valid values are ('orthographic', 'perspective')."),
                        ),
                    }
                }
                self.sub_object(o, "perspective", "perspective", p);
                self.sub_object(o, "orthographic", "orthographic", p);
            }
            "image" => {
                if o.contains_key("uri") == o.contains_key("bufferView") {
                    self.err(
                        "ONE_OF_MISMATCH",
                        p.to_owned(),
                        "Exactly one of ('bufferView', 'uri') properties must be defined.".into(),
                    );
                }
                self.check_ref(o.get("bufferView"), "bufferViews", format!("{p}/bufferView"));
                self.requires(o, "bufferView", "mimeType", p);
            }
            "material" => {
                self.material_extension_ranges(o, p);
                let pbr = self.sub_object(o, "pbrMetallicRoughness", "", p);
                let pp = format!("{p}/pbrMetallicRoughness");
                if let Some(pbr) = pbr {
                    for t in ["baseColorTexture", "metallicRoughnessTexture"] {
                        self.texture_info(pbr, t, &pp);
                    }
                }
                for t in ["normalTexture", "occlusionTexture", "emissiveTexture"] {
                    self.texture_info(o, t, p);
                }
            }
            "mesh" => {
                if let Some(prims) = self.sub_array(o, "primitives", p, true) {
                    for (i, prim) in prims.iter().enumerate() {
                        let Some(prim) = prim.as_object() else { continue };
                        let pp = format!("{p}/primitives/{i}");
                        self.check_required(prim, "primitive", &pp);
                        if let Some(attrs) = self.sub_object(prim, "attributes", "", &pp) {
                            self.accessor_map(attrs, &format!("{pp}/attributes"));
                        }
                        self.check_ref(prim.get("indices"), "accessors", format!("{pp}/indices"));
                        self.draco(prim, &pp);
                        self.check_ref(prim.get("material"), "materials", format!("{pp}/material"));
                        if let Some(targets) = self.sub_array(prim, "targets", &pp, true) {
                            for (t, target) in targets.iter().enumerate() {
                                if let Some(target) = target.as_object() {
                                    self.accessor_map(target, &format!("{pp}/targets/{t}"));
                                }
                            }
                        }
                    }
                }
            }
            "node" => {
                self.check_ref(o.get("mesh"), "meshes", format!("{p}/mesh"));
                self.check_ref(o.get("camera"), "cameras", format!("{p}/camera"));
                self.check_ref(o.get("skin"), "skins", format!("{p}/skin"));
                self.requires(o, "skin", "mesh", p);
                self.requires(o, "weights", "mesh", p);
                if let Some(children) = self.sub_array(o, "children", p, false) {
                    for (i, c) in children.iter().enumerate() {
                        self.check_ref(Some(c), "nodes", format!("{p}/children/{i}"));
                    }
                }
            }
            "scene" => {
                if let Some(nodes) = self.sub_array(o, "nodes", p, false) {
                    for (i, n) in nodes.iter().enumerate() {
                        self.check_ref(Some(n), "nodes", format!("{p}/nodes/{i}"));
                    }
                }
            }
            "skin" => {
                self.check_ref(
                    o.get("inverseBindMatrices"),
                    "accessors",
                    format!("{p}/inverseBindMatrices"),
                );
                self.check_ref(o.get("skeleton"), "nodes", format!("{p}/skeleton"));
                if let Some(joints) = self.sub_array(o, "joints", p, false) {
                    for (i, j) in joints.iter().enumerate() {
                        self.check_ref(Some(j), "nodes", format!("{p}/joints/{i}"));
                    }
                }
            }
            "texture" => {
                self.check_ref(o.get("sampler"), "samplers", format!("{p}/sampler"));
                self.check_ref(o.get("source"), "images", format!("{p}/source"));
            }
            _ => {}
        }
    }

    pub(super) fn texture_info(&mut self, o: &Map<String, Value>, key: &str, base: &str) {
        if let Some(t) = self.sub_object(o, key, "textureInfo", base) {
            self.check_ref(t.get("index"), "textures", format!("{base}/{key}/index"));
        }
    }
}

impl Ctx<'_> {
    /// Each object in the array `o[key]` (checked by [`Ctx::sub_array`]), its required properties checked
    /// as `kind`, then `f` with its pointer.
    fn each_object<'v>(
        &mut self,
        o: &'v Map<String, Value>,
        key: &str,
        p: &str,
        kind: &str,
        mut f: impl FnMut(&mut Self, String, &'v Map<String, Value>),
    ) {
        let Some(items) = self.sub_array(o, key, p, true) else {
            return;
        };
        for (i, item) in items.iter().enumerate() {
            let Some(item) = item.as_object() else { continue };
            let ip = format!("{p}/{key}/{i}");
            self.check_required(item, kind, &ip);
            f(self, ip, item);
        }
    }

    /// The ranges the Khronos validator checks in the material extensions it knows.
    fn material_extension_ranges(&mut self, o: &Map<String, Value>, p: &str) {
        /// (extension, property, min, min exclusive, max, a value allowed outside the range)
        type Range = (&'static str, &'static str, f64, bool, f64, Option<f64>);
        const RANGES: &[Range] = &[
            ("KHR_materials_anisotropy", "anisotropyStrength", 0.0, false, 1.0, None),
            (
                "KHR_materials_dispersion",
                "dispersion",
                0.0,
                false,
                f64::INFINITY,
                None,
            ),
            (
                "KHR_materials_emissive_strength",
                "emissiveStrength",
                0.0,
                false,
                f64::INFINITY,
                None,
            ),
            ("KHR_materials_ior", "ior", 1.0, false, f64::INFINITY, Some(0.0)),
            ("KHR_materials_specular", "specularFactor", 0.0, false, 1.0, None),
            (
                "KHR_materials_specular",
                "specularColorFactor",
                0.0,
                false,
                f64::INFINITY,
                None,
            ),
            (
                "KHR_materials_volume",
                "thicknessFactor",
                0.0,
                false,
                f64::INFINITY,
                None,
            ),
            (
                "KHR_materials_volume",
                "attenuationDistance",
                0.0,
                true,
                f64::INFINITY,
                None,
            ),
            ("KHR_materials_volume", "attenuationColor", 0.0, false, 1.0, None),
            ("KHR_materials_clearcoat", "clearcoatFactor", 0.0, false, 1.0, None),
            (
                "KHR_materials_clearcoat",
                "clearcoatRoughnessFactor",
                0.0,
                false,
                1.0,
                None,
            ),
            ("KHR_materials_sheen", "sheenColorFactor", 0.0, false, 1.0, None),
            ("KHR_materials_sheen", "sheenRoughnessFactor", 0.0, false, 1.0, None),
            (
                "KHR_materials_transmission",
                "transmissionFactor",
                0.0,
                false,
                1.0,
                None,
            ),
        ];
        let Some(exts) = o.get("extensions").and_then(Value::as_object) else {
            return;
        };
        for &(ext, key, min, exclusive, max, special) in RANGES {
            let Some(v) = exts.get(ext).and_then(|e| e.get(key)) else {
                continue;
            };
            let base = format!("{p}/extensions/{ext}/{key}");
            let values: Vec<(String, f64)> = match v {
                Value::Array(items) => items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, x)| Some((format!("{base}/{i}"), x.as_f64()?)))
                    .collect(),
                x => x.as_f64().map(|f| vec![(base.clone(), f)]).unwrap_or_default(),
            };
            for (at, f) in values {
                let below = if exclusive { f <= min } else { f < min };
                if (below || f > max) && special != Some(f) {
                    self.err("VALUE_NOT_IN_RANGE", at, format!("Value {f} is out of range."));
                }
            }
        }
    }

    /// `VALUE_NOT_IN_RANGE` when `o[key]` is present but not an integer of at least 1.
    fn at_least_one(&mut self, o: &Map<String, Value>, key: &str, p: &str) {
        if let Some(v) = o.get(key)
            && v.as_u64().is_none_or(|n| n < 1)
        {
            self.err(
                "VALUE_NOT_IN_RANGE",
                format!("{p}/{key}"),
                format!("Value {v} is out of range."),
            );
        }
    }

    /// `UNSATISFIED_DEPENDENCY` at `key` when `o` has `key` but not `needed`.
    fn requires(&mut self, o: &Map<String, Value>, key: &str, needed: &str, p: &str) {
        if o.contains_key(key) && !o.contains_key(needed) {
            self.err(
                "UNSATISFIED_DEPENDENCY",
                format!("{p}/{key}"),
                format!("Dependency failed. '{needed}' must be defined."),
            );
        }
    }

    /// A `KHR_draco_mesh_compression` object: a bufferView and a map from the primitive's attribute names
    /// to Draco attribute ids (decoded by the loader, `crate::draco`).
    fn draco(&mut self, prim: &Map<String, Value>, pp: &str) {
        let Some(ext) = prim.get("extensions").and_then(|e| e.get("KHR_draco_mesh_compression")) else {
            return;
        };
        let p = format!("{pp}/extensions/KHR_draco_mesh_compression");
        let Some(ext) = ext.as_object() else {
            self.type_mismatch(p, ext, "object");
            return;
        };
        for key in ["bufferView", "attributes"] {
            if !ext.contains_key(key) {
                self.err(
                    "UNDEFINED_PROPERTY",
                    p.clone(),
                    format!("Property '{key}' must be defined."),
                );
            }
        }
        self.check_ref(ext.get("bufferView"), "bufferViews", format!("{p}/bufferView"));
        let Some(attrs) = ext.get("attributes") else { return };
        let Some(attrs) = attrs.as_object() else {
            self.type_mismatch(format!("{p}/attributes"), attrs, "object");
            return;
        };
        let plain = prim.get("attributes").and_then(Value::as_object);
        for (name, id) in attrs {
            let ap = format!("{p}/attributes/{name}");
            if id.as_u64().is_none() {
                self.type_mismatch(ap.clone(), id, "integer");
            }
            if !plain.is_some_and(|a| a.contains_key(name)) {
                self.err(
                    "DISAN_DRACO_ATTRIBUTE_UNDECLARED",
                    ap,
                    format!("Draco attribute '{name}' is not among the primitive's attributes."),
                );
            }
        }
    }

    /// A map of attribute names to accessors (a primitive's `attributes`, a morph target): not empty, and
    /// every value a valid accessor index.
    fn accessor_map(&mut self, map: &Map<String, Value>, pointer: &str) {
        if map.is_empty() {
            self.err("EMPTY_ENTITY", pointer.to_owned(), "Entity cannot be empty.".into());
        }
        for (name, a) in map {
            self.check_ref(Some(a), "accessors", format!("{pointer}/{}", name.replace('/', "~1")));
        }
    }
}

/// Pointers of the numbers that were too large for a double in the text (see `clamp_infinite_numbers`).
fn infinite_numbers(v: &Value, pointer: String, out: &mut Vec<String>) {
    match v {
        Value::Number(n) if n.as_f64().is_some_and(|f| f.abs() == INFINITE) => out.push(pointer),
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                infinite_numbers(x, format!("{pointer}/{i}"), out);
            }
        }
        Value::Object(map) => {
            for (k, x) in map {
                if k != "extras" {
                    infinite_numbers(x, format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1")), out);
                }
            }
        }
        _ => {}
    }
}
