//! Extensions: `extensionsUsed` and `extensionsRequired` bookkeeping, and those Disan cannot read.

#[allow(clippy::wildcard_imports)]
use super::*;

impl Ctx<'_> {
    pub(super) fn extensions(&mut self, root: &Map<String, Value>) {
        let mut used = BTreeSet::new();
        for key in ["extensionsUsed", "extensionsRequired"] {
            let Some(list) = root.get(key).and_then(Value::as_array) else {
                continue;
            };
            let mut seen = BTreeSet::new();
            for (i, e) in list.iter().enumerate() {
                let Some(name) = e.as_str() else { continue };
                if !seen.insert(name) {
                    self.err("DUPLICATE_ELEMENTS", format!("/{key}/{i}"), "Duplicate element.".into());
                }
                if key == "extensionsUsed" {
                    used.insert(name.to_owned());
                }
            }
        }
        if let Some(req) = root.get("extensionsRequired").and_then(Value::as_array) {
            if !root.contains_key("extensionsUsed") {
                self.err(
                    "UNSATISFIED_DEPENDENCY",
                    "/extensionsRequired".into(),
                    "Dependency failed. 'extensionsUsed' must be defined.".into(),
                );
            }
            for (i, e) in req.iter().enumerate() {
                let Some(name) = e.as_str() else { continue };
                if !used.contains(name) {
                    self.err(
                        "UNUSED_EXTENSION_REQUIRED",
                        format!("/extensionsRequired/{i}"),
                        format!("Unused extension '{name}' cannot be required."),
                    );
                }
                if let Some(advice) = unsupported_advice(name) {
                    self.err(
                        "DISAN_UNSUPPORTED_EXTENSION",
                        format!("/extensionsRequired/{i}"),
                        advice,
                    );
                }
            }
        }
        // Every `extensions` object anywhere must name declared extensions.
        let mut found = Vec::new();
        collect_extensions(self.root, String::new(), &mut found);
        for (pointer, name) in found {
            if !used.contains(&name) {
                self.err(
                    "UNDECLARED_EXTENSION",
                    pointer.clone(),
                    "Extension is not declared in extensionsUsed.".into(),
                );
            }
            if let Some(v) = self.root.pointer(&pointer)
                && !v.is_object()
            {
                self.type_mismatch(pointer.clone(), v, "object");
            }
            let owner = pointer
                .strip_suffix(&format!("/extensions/{name}"))
                .map(object_kind)
                .unwrap_or("unknown");
            if let Some(allowed) = extension_places(&name)
                && !allowed.contains(&owner)
            {
                self.err(
                    "UNEXPECTED_EXTENSION_OBJECT",
                    pointer,
                    "Unexpected location for this extension.".into(),
                );
            }
        }
        // Extensions that change how data is read must be required (Khronos: KHR_mesh_quantization).
        if let Some(list) = root.get("extensionsUsed").and_then(Value::as_array) {
            let required = |n: &str| {
                root.get("extensionsRequired")
                    .and_then(Value::as_array)
                    .is_some_and(|r| r.iter().any(|e| e.as_str() == Some(n)))
            };
            for (i, e) in list.iter().enumerate() {
                if e.as_str() == Some("KHR_mesh_quantization") && !required("KHR_mesh_quantization") {
                    self.err(
                        "NON_REQUIRED_EXTENSION",
                        format!("/extensionsUsed/{i}"),
                        "Extension 'KHR_mesh_quantization' cannot be optional.".into(),
                    );
                }
            }
        }
        for name in &used {
            if !SUPPORTED_EXTENSIONS.contains(&name.as_str())
                && !root
                    .get("extensionsRequired")
                    .and_then(Value::as_array)
                    .is_some_and(|r| r.iter().any(|e| e.as_str() == Some(name)))
            {
                self.report.push(issue(
                    "UNSUPPORTED_EXTENSION",
                    Severity::Info,
                    "/extensionsUsed",
                    format!("Cannot validate an extension as it is not supported by the validator: '{name}'."),
                ));
            }
        }
    }
}

/// Where the Khronos validator allows each extension it knows; `None` for extensions it does not know (those
/// are not checked).
fn extension_places(name: &str) -> Option<&'static [&'static str]> {
    Some(match name {
        "KHR_lights_punctual" => &["root", "node"],
        "KHR_materials_variants" => &["root", "primitive"],
        "KHR_texture_transform" => &["textureInfo"],
        "EXT_texture_webp" | "KHR_texture_basisu" | "EXT_texture_avif" => &["texture"],
        "KHR_mesh_quantization" => &[],
        "KHR_node_visibility" => &["node"],
        "KHR_animation_pointer" => &["channelTarget"],
        n if n.starts_with("KHR_materials_") => &["material"],
        _ => return None,
    })
}

/// The glTF object type at a JSON pointer (`/materials/0/normalTexture` is a textureInfo).
pub(super) fn object_kind(pointer: &str) -> &'static str {
    let parts: Vec<&str> = pointer.split('/').skip(1).collect();
    let last = parts.last().copied().unwrap_or("");
    if parts.is_empty() {
        return "root";
    }
    if last.ends_with("Texture") && parts.first() == Some(&"materials") {
        return "textureInfo";
    }
    match parts.as_slice() {
        [top, _] => match *top {
            "accessors" => "accessor",
            "animations" => "animation",
            "buffers" => "buffer",
            "bufferViews" => "bufferView",
            "cameras" => "camera",
            "images" => "image",
            "materials" => "material",
            "meshes" => "mesh",
            "nodes" => "node",
            "samplers" => "sampler",
            "scenes" => "scene",
            "skins" => "skin",
            "textures" => "texture",
            _ => "unknown",
        },
        ["meshes", _, "primitives", _] => "primitive",
        ["animations", _, "channels", _] => "channel",
        ["animations", _, "channels", _, "target"] => "channelTarget",
        ["animations", _, "samplers", _] => "animationSampler",
        ["materials", _, "pbrMetallicRoughness"] => "pbrMetallicRoughness",
        _ => "unknown",
    }
}

/// Codes of extensions Disan cannot read, with what to do instead.
pub(super) fn unsupported_advice(name: &str) -> Option<String> {
    if SUPPORTED_EXTENSIONS.contains(&name) {
        return None;
    }
    Some(match name {
        "KHR_texture_basisu" => "The model's textures are KTX2/Basis Universal (KHR_texture_basisu), which Disan does not decode: re-export it with PNG or JPEG textures.".into(),
        other => format!("The model requires extension '{other}', which Disan cannot read: re-export it without that extension."),
    })
}

/// Every `extensions` object's keys, with the pointer of each.
pub(super) fn collect_extensions(v: &Value, pointer: String, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let p = format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1"));
                if k == "extensions"
                    && let Some(exts) = child.as_object()
                {
                    for name in exts.keys() {
                        out.push((format!("{p}/{name}"), name.clone()));
                    }
                }
                if k != "extras" {
                    collect_extensions(child, p, out);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                collect_extensions(child, format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}
