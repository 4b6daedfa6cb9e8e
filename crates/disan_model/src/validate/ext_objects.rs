//! The objects of the extensions Khronos validates whose data Disan does not keep: KHR_lights_punctual
//! (lights at the root, a light per node) and KHR_materials_variants (variants at the root, mappings per
//! primitive). Disan drops them; an invalid one still makes an invalid file.

#[allow(clippy::wildcard_imports)]
use super::*;

impl Ctx<'_> {
    pub(super) fn extension_objects(&mut self) {
        self.lights();
        self.variants();
        self.animation_pointers();
    }

    /// KHR_animation_pointer on a channel target: a JSON pointer, the target's `path` "pointer" and no `node`.
    fn animation_pointers(&mut self) {
        const EXT: &str = "KHR_animation_pointer";
        let animations = self.array("animations").to_vec();
        for (a, anim) in animations.iter().enumerate() {
            for (c, ch) in items(anim, "channels").enumerate() {
                let Some(target) = ch.get("target") else { continue };
                let Some(ext) = target.pointer(&format!("/extensions/{EXT}")).and_then(Value::as_object) else {
                    continue;
                };
                let p = format!("/animations/{a}/channels/{c}/target/extensions/{EXT}");
                if self.must_have(ext, "pointer", &p)
                    && let Some(ptr) = ext["pointer"].as_str()
                    && !pointer_syntax_ok(ptr)
                {
                    self.err(
                        "PATTERN_MISMATCH",
                        format!("{p}/pointer"),
                        format!("Value '{ptr}' does not match regexp pattern '^(?:\\/(?:[^/~]|~0|~1)*)*$'."),
                    );
                }
                if target.get("node").is_some() {
                    self.err(
                        "KHR_ANIMATION_POINTER_ANIMATION_CHANNEL_TARGET_NODE",
                        p.clone(),
                        "This extension requires the animation channel target node to be undefined.".into(),
                    );
                }
                if let Some(path) = target.get("path").and_then(Value::as_str)
                    && path != "pointer"
                {
                    self.err(
                        "KHR_ANIMATION_POINTER_ANIMATION_CHANNEL_TARGET_PATH",
                        p,
                        format!("This extension requires the animation channel target path to be 'pointer'. Found '{path}' instead."),
                    );
                }
            }
        }
    }

    /// `o[key]` must be defined: `UNDEFINED_PROPERTY` at `p`.
    fn must_have(&mut self, o: &Map<String, Value>, key: &str, p: &str) -> bool {
        let has = o.contains_key(key);
        if !has {
            self.err(
                "UNDEFINED_PROPERTY",
                p.to_owned(),
                format!("Property '{key}' must be defined."),
            );
        }
        has
    }

    /// A root extension's array (`lights`, `variants`): defined, an array, not empty. Its length.
    fn root_list(&mut self, ext: &str, key: &str) -> Option<usize> {
        let root = self.root.pointer(&format!("/extensions/{ext}"))?.as_object()?.clone();
        let p = format!("/extensions/{ext}");
        if !self.must_have(&root, key, &p) {
            return Some(0);
        }
        match root[key].as_array() {
            Some(a) if a.is_empty() => {
                self.err("EMPTY_ENTITY", format!("{p}/{key}"), "Entity cannot be empty.".into());
                Some(0)
            }
            Some(a) => Some(a.len()),
            None => {
                self.type_mismatch(format!("{p}/{key}"), &root[key], "array");
                Some(0)
            }
        }
    }

    fn lights(&mut self) {
        const EXT: &str = "KHR_lights_punctual";
        let count = self.root_list(EXT, "lights");
        let lights = self
            .root
            .pointer(&format!("/extensions/{EXT}/lights"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (i, light) in lights.iter().enumerate() {
            let p = format!("/extensions/{EXT}/lights/{i}");
            let Some(light) = light.as_object() else { continue };
            if !self.must_have(light, "type", &p) {
                continue;
            }
            if light.get("type").and_then(Value::as_str) == Some("spot") && self.must_have(light, "spot", &p) {
                let spot = &light["spot"];
                let inner = spot.get("innerConeAngle").and_then(Value::as_f64).unwrap_or(0.0);
                let outer = spot
                    .get("outerConeAngle")
                    .and_then(Value::as_f64)
                    .unwrap_or(std::f64::consts::FRAC_PI_4);
                if outer <= inner {
                    self.err(
                        "KHR_LIGHTS_PUNCTUAL_LIGHT_SPOT_ANGLES",
                        format!("{p}/spot/outerConeAngle"),
                        format!("outerConeAngle ({outer}) is less than or equal to innerConeAngle ({inner})."),
                    );
                }
            }
        }
        let nodes = self.array("nodes").to_vec();
        for (i, node) in nodes.iter().enumerate() {
            let Some(ext) = node.pointer(&format!("/extensions/{EXT}")).and_then(Value::as_object) else {
                continue;
            };
            let p = format!("/nodes/{i}/extensions/{EXT}");
            let has_light = self.must_have(ext, "light", &p);
            match count {
                None => self.err(
                    "UNSATISFIED_DEPENDENCY",
                    p.clone(),
                    format!("Dependency failed. '/extensions/{EXT}' must be defined."),
                ),
                Some(n) if has_light => {
                    if let Some(l) = ext["light"].as_u64()
                        && l as usize >= n
                    {
                        self.err(
                            "UNRESOLVED_REFERENCE",
                            format!("{p}/light"),
                            format!("Unresolved reference: {l}."),
                        );
                    }
                }
                Some(_) => {}
            }
        }
    }

    fn variants(&mut self) {
        const EXT: &str = "KHR_materials_variants";
        let count = self.root_list(EXT, "variants");
        let variants = self
            .root
            .pointer(&format!("/extensions/{EXT}/variants"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (i, v) in variants.iter().enumerate() {
            if let Some(name) = v.get("name")
                && !name.is_string()
            {
                self.type_mismatch(format!("/extensions/{EXT}/variants/{i}/name"), name, "string");
            }
        }
        let materials = self.array("materials").len();
        let meshes = self.array("meshes").to_vec();
        for (m, mesh) in meshes.iter().enumerate() {
            for (pi, prim) in items(mesh, "primitives").enumerate() {
                let Some(ext) = prim.pointer(&format!("/extensions/{EXT}")).and_then(Value::as_object) else {
                    continue;
                };
                let p = format!("/meshes/{m}/primitives/{pi}/extensions/{EXT}");
                if !self.must_have(ext, "mappings", &p) {
                    continue;
                }
                let Some(mappings) = ext["mappings"].as_array() else {
                    continue;
                };
                if mappings.is_empty() {
                    self.err(
                        "EMPTY_ENTITY",
                        format!("{p}/mappings"),
                        "Entity cannot be empty.".into(),
                    );
                }
                let mut used = BTreeSet::new();
                for (k, mapping) in mappings.iter().enumerate() {
                    let mp = format!("{p}/mappings/{k}");
                    let Some(mapping) = mapping.as_object() else { continue };
                    let has_variants = self.must_have(mapping, "variants", &mp);
                    let has_material = self.must_have(mapping, "material", &mp);
                    if count.is_none() {
                        self.err(
                            "UNSATISFIED_DEPENDENCY",
                            mp.clone(),
                            format!("Dependency failed. '/extensions/{EXT}' must be defined."),
                        );
                    }
                    if has_material
                        && let Some(mat) = mapping["material"].as_u64()
                        && mat as usize >= materials
                    {
                        self.err(
                            "UNRESOLVED_REFERENCE",
                            format!("{mp}/material"),
                            format!("Unresolved reference: {mat}."),
                        );
                    }
                    if !has_variants {
                        continue;
                    }
                    let Some(list) = mapping["variants"].as_array() else {
                        continue;
                    };
                    if list.is_empty() {
                        self.err(
                            "EMPTY_ENTITY",
                            format!("{mp}/variants"),
                            "Entity cannot be empty.".into(),
                        );
                    }
                    for (j, v) in list.iter().enumerate() {
                        let Some(v) = v.as_u64() else { continue };
                        let vp = format!("{mp}/variants/{j}");
                        if let Some(n) = count
                            && v as usize >= n
                        {
                            self.err(
                                "UNRESOLVED_REFERENCE",
                                vp.clone(),
                                format!("Unresolved reference: {v}."),
                            );
                        }
                        if !used.insert(v) {
                            self.err(
                                "KHR_MATERIALS_VARIANTS_NON_UNIQUE_VARIANT",
                                vp,
                                "This variant is used more than once for this mesh primitive.".into(),
                            );
                        }
                    }
                }
            }
        }
    }
}

/// Khronos's pattern for a JSON pointer, `^(?:\/(?:[^/~]|~0|~1)*)*$`: empty, or `/`-led tokens in which `~`
/// is only `~0` or `~1`.
fn pointer_syntax_ok(p: &str) -> bool {
    if p.is_empty() {
        return true;
    }
    let b = p.as_bytes();
    b[0] == b'/'
        && b.iter()
            .enumerate()
            .all(|(i, &c)| c != b'~' || matches!(b.get(i + 1), Some(b'0' | b'1')))
}
