//! glTF 2.0 validation over the raw JSON and the bytes it points at, with issue codes, severities and
//! JSON pointers as the Khronos glTF-Validator reports them.
//!
//! The `gltf` crate's own validation rejects legitimate extensions (KHR_mesh_quantization,
//! EXT_meshopt_compression) and misses real errors, so this module reads the document itself. What it
//! checks is listed in [`COVERED_CODES`]; the end-to-end tests run the Khronos validator on the shared test
//! models and require that every error it reports under one of these codes is reported here too.
//!
//! Resources are resolved inside the model's folder only (see [`crate::resolve`]): `..`, absolute paths
//! and URLs are errors and are never read.

mod animations;
mod data;
mod ext_objects;
mod extensions;
mod glb;
mod primitives;
mod references;
mod resources;
mod skins;
mod structure;
mod vertex_data;

#[allow(unused_imports)]
use {data::*, extensions::*, references::*, resources::*};

pub(crate) use data::{component_count, component_size};
pub(crate) use resources::parse_data_uri;
pub use resources::sniff_image;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::{Map, Value};

use crate::report::{Issue, Report, Severity};

/// Khronos issue codes this validator implements in full (every case the Khronos validator raises, it
/// raises too). Other codes it emits are partial or Disan's own (`DISAN_…`).
pub const COVERED_CODES: &[&str] = &[
    // GLB container
    "GLB_INVALID_MAGIC",
    "GLB_INVALID_VERSION",
    "GLB_LENGTH_MISMATCH",
    "GLB_CHUNK_TOO_BIG",
    "GLB_EMPTY_CHUNK",
    "GLB_UNEXPECTED_END_OF_HEADER",
    "GLB_UNEXPECTED_END_OF_CHUNK_HEADER",
    "GLB_UNEXPECTED_FIRST_CHUNK",
    "GLB_CHUNK_LENGTH_UNALIGNED",
    "GLB_LENGTH_TOO_SMALL",
    "GLB_DUPLICATE_CHUNK",
    "GLB_UNEXPECTED_BIN_CHUNK",
    "GLB_UNEXPECTED_END_OF_CHUNK_DATA",
    "BUFFER_MISSING_GLB_DATA",
    "INVALID_JSON",
    // structure
    "UNDEFINED_PROPERTY",
    "EMPTY_ENTITY",
    "TYPE_MISMATCH",
    "ARRAY_TYPE_MISMATCH",
    "UNRESOLVED_REFERENCE",
    "UNSATISFIED_DEPENDENCY",
    "VALUE_MULTIPLE_OF",
    "UNKNOWN_ASSET_MAJOR_VERSION",
    "ASSET_MIN_VERSION_GREATER_THAN_VERSION",
    // extensions bookkeeping
    "DUPLICATE_ELEMENTS",
    "UNDECLARED_EXTENSION",
    "UNUSED_EXTENSION_REQUIRED",
    // resources
    "INVALID_URI",
    "BUFFER_DATA_URI_MIME_TYPE_INVALID",
    "IO_ERROR",
    "IMAGE_MIME_TYPE_INVALID",
    "IMAGE_BUFFER_VIEW_WITH_BYTESTRIDE",
    // buffer views and accessors
    "BUFFER_VIEW_TOO_LONG",
    "BUFFER_VIEW_TOO_BIG_BYTE_STRIDE",
    "ACCESSOR_TOO_LONG",
    "ACCESSOR_OFFSET_ALIGNMENT",
    "ACCESSOR_TOTAL_OFFSET_ALIGNMENT",
    "ACCESSOR_SMALL_BYTESTRIDE",
    "ACCESSOR_MATRIX_ALIGNMENT",
    "ACCESSOR_NORMALIZED_INVALID",
    "ACCESSOR_MIN_MISMATCH",
    "ACCESSOR_MAX_MISMATCH",
    "ACCESSOR_ELEMENT_OUT_OF_MIN_BOUND",
    "ACCESSOR_ELEMENT_OUT_OF_MAX_BOUND",
    "ACCESSOR_INVALID_FLOAT",
    "ACCESSOR_INDEX_OOB",
    "ACCESSOR_NON_CLAMPED",
    // meshes
    "MESH_PRIMITIVE_ATTRIBUTES_ACCESSOR_UNSIGNED_INT",
    "MESH_PRIMITIVE_INDICES_ACCESSOR_WITH_BYTESTRIDE",
    "MESH_PRIMITIVE_ACCESSOR_UNALIGNED",
    "MESH_PRIMITIVE_POSITION_ACCESSOR_WITHOUT_BOUNDS",
    // nodes and scenes
    "NODE_LOOP",
    "NODE_PARENT_OVERRIDE",
    "SCENE_NON_ROOT_NODE",
    "NODE_MATRIX_TRS",
    "NODE_MATRIX_NON_TRS",
    "ROTATION_NON_UNIT",
    // cameras
    "CAMERA_ZFAR_LEQUAL_ZNEAR",
    "CAMERA_XMAG_YMAG_ZERO",
];

/// Extensions whose data Disan reads (or can safely ignore for display).
pub const SUPPORTED_EXTENSIONS: &[&str] = &[
    "KHR_mesh_quantization",
    "EXT_meshopt_compression",
    "KHR_draco_mesh_compression",
    "KHR_materials_unlit",
    "KHR_texture_transform",
    "KHR_materials_emissive_strength",
];

/// What validation keeps for the loader: the JSON and every buffer's bytes (bufferViews compressed with
/// EXT_meshopt_compression already decoded).
#[derive(Debug)]
pub struct Document {
    pub json: Value,
    pub buffers: Vec<Option<Vec<u8>>>,
    /// Decoded EXT_meshopt_compression bufferViews by index.
    pub decoded_views: HashMap<usize, Vec<u8>>,
    pub dir: PathBuf,
}

/// Limits on what validation reads.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest external or embedded resource, and largest decoded bufferView.
    pub max_resource_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_resource_bytes: 2 << 30,
        }
    }
}

/// Validates a glTF or GLB; `dir` is the folder relative URIs resolve in. The document is returned
/// whenever its JSON could be read, even with errors, so callers can still summarise it.
pub fn validate(bytes: &[u8], name: &str, dir: &Path, limits: Limits) -> (Report, Option<Document>) {
    let glb = bytes.starts_with(b"glTF") || name.to_ascii_lowercase().ends_with(".glb");
    let mime = if glb { "model/gltf-binary" } else { "model/gltf+json" };
    let mut report = Report::new(name, mime);
    let (json_bytes, bin) = if glb {
        match glb::read_glb(bytes, &mut report) {
            Some(parts) => parts,
            None => return (report, None),
        }
    } else {
        (bytes, None)
    };
    // Khronos's GLB reader hands an empty JSON chunk to its JSON parser only when more data follows it.
    if glb && json_bytes.is_empty() && bytes.len() <= 20 {
        return (report, None);
    }
    let json = match parse_json(json_bytes) {
        Ok(v) => v,
        Err(message) => {
            report.push(issue("INVALID_JSON", Severity::Error, "", message));
            return (report, None);
        }
    };
    if !json.is_object() {
        let found = match &json {
            Value::Array(_) => "[]".to_owned(),
            other => other.to_string(),
        };
        report.push(issue(
            "TYPE_MISMATCH",
            Severity::Error,
            "",
            format!("Type mismatch. Property value {found} is not a 'object'."),
        ));
        return (report, None);
    }
    let mut ctx = Ctx {
        root: &json,
        report,
        buffers: Vec::new(),
        decoded: HashMap::new(),
        dir,
        limits,
        strideless_users: HashMap::new(),
    };
    ctx.structure();
    ctx.resources(bin);
    ctx.decode_meshopt();
    ctx.accessors_layout();
    ctx.meshes();
    ctx.primitives();
    ctx.view_usages();
    ctx.animations();
    ctx.skins();
    ctx.extension_objects();
    ctx.nodes();
    ctx.cameras();
    ctx.images();
    ctx.accessor_data();
    ctx.vertex_data();
    let Ctx {
        report,
        buffers,
        decoded,
        ..
    } = ctx;
    let doc = Document {
        buffers,
        decoded_views: decoded,
        dir: dir.to_owned(),
        json,
    };
    (report, Some(doc))
}

/// The elements of the array `v[key]`; none when it is missing or not an array (reported elsewhere).
pub(crate) fn items<'v>(v: &'v Value, key: &str) -> impl Iterator<Item = &'v Value> {
    v.get(key).and_then(Value::as_array).into_iter().flatten()
}

fn issue(code: &str, severity: Severity, pointer: &str, message: String) -> Issue {
    Issue {
        code: code.to_owned(),
        message,
        severity,
        pointer: Some(pointer.to_owned()),
        offset: None,
    }
}

fn glb_issue(code: &str, offset: u64, message: String) -> Issue {
    Issue {
        code: code.to_owned(),
        message,
        severity: Severity::Error,
        pointer: None,
        offset: Some(offset),
    }
}

fn parse_json(bytes: &[u8]) -> Result<Value, String> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Err("Invalid JSON data. Parser output: BOM found at the beginning of UTF-8 stream.".into());
    }
    let mut value: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        // A literal such as 1e309 is Infinity to the Khronos validator (a range error, not a syntax error).
        Err(e) if e.to_string().contains("number out of range") => {
            serde_json::from_slice(&clamp_infinite_numbers(bytes))
                .map_err(|_| format!("Invalid JSON data. Parser output: {e}"))?
        }
        Err(e) => return Err(format!("Invalid JSON data. Parser output: {e}")),
    };
    integers_written_as_floats(&mut value);
    Ok(value)
}

/// Stands for a number literal too large for a double (`1e309`): validation reports it where it is.
pub(super) const INFINITE: f64 = f64::MAX;

/// The JSON text with every number literal that overflows a double replaced by ±[`INFINITE`].
fn clamp_infinite_numbers(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let (mut i, mut in_string) = (0, false);
    while i < bytes.len() {
        let c = bytes[i];
        if in_string {
            out.push(c);
            if c == b'\\' && i + 1 < bytes.len() {
                out.push(bytes[i + 1]);
                i += 1;
            } else if c == b'"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        if c == b'"' {
            in_string = true;
        }
        if c == b'-' || c.is_ascii_digit() {
            let end = bytes[i..]
                .iter()
                .position(|b| !matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                .map_or(bytes.len(), |n| i + n);
            let token = &bytes[i..end];
            match std::str::from_utf8(token).ok().and_then(|t| t.parse::<f64>().ok()) {
                Some(f) if f.is_infinite() => out.extend_from_slice(format!("{:e}", INFINITE.copysign(f)).as_bytes()),
                _ => out.extend_from_slice(token),
            }
            i = end;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// JSON has one number type: `1.0` is the integer 1 to the Khronos validator (and to every loader), so an
/// index or count written with a fraction of zero is read as the integer it is.
fn integers_written_as_floats(v: &mut Value) {
    match v {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
                *v = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integers_written_as_floats),
        Value::Object(map) => map.values_mut().for_each(integers_written_as_floats),
        _ => {}
    }
}

struct Ctx<'a> {
    root: &'a Value,
    report: Report,
    buffers: Vec<Option<Vec<u8>>>,
    decoded: HashMap<usize, Vec<u8>>,
    dir: &'a Path,
    limits: Limits,
    /// Vertex accessors per bufferView without byteStride (two or more is an error).
    strideless_users: HashMap<usize, BTreeSet<usize>>,
}

/// Required properties per object kind.
fn required(kind: &str) -> &'static [&'static str] {
    match kind {
        "root" => &["asset"],
        "asset" => &["version"],
        "accessor" => &["componentType", "count", "type"],
        "sparse" => &["count", "indices", "values"],
        "sparse.indices" => &["bufferView", "componentType"],
        "sparse.values" => &["bufferView"],
        "animation" => &["channels", "samplers"],
        "channel" => &["sampler", "target"],
        "target" => &["path"],
        "animation.sampler" => &["input", "output"],
        "buffer" => &["byteLength"],
        "bufferView" => &["buffer", "byteLength"],
        "camera" => &["type"],
        "perspective" => &["yfov", "znear"],
        "orthographic" => &["xmag", "ymag", "zfar", "znear"],
        "mesh" => &["primitives"],
        "primitive" => &["attributes"],
        "skin" => &["joints"],
        "textureInfo" => &["index"],
        _ => &[],
    }
}

const TOP_LEVEL: &[(&str, &str)] = &[
    ("accessors", "accessor"),
    ("animations", "animation"),
    ("buffers", "buffer"),
    ("bufferViews", "bufferView"),
    ("cameras", "camera"),
    ("images", "image"),
    ("materials", "material"),
    ("meshes", "mesh"),
    ("nodes", "node"),
    ("samplers", "sampler"),
    ("scenes", "scene"),
    ("skins", "skin"),
    ("textures", "texture"),
];

fn type_name(v: &Value) -> String {
    match v {
        Value::String(s) => format!("'{s}'"),
        other => other.to_string(),
    }
}

impl Ctx<'_> {
    pub(super) fn err(&mut self, code: &str, pointer: String, message: String) {
        self.report.push(issue(code, Severity::Error, &pointer, message));
    }

    pub(super) fn warn(&mut self, code: &str, pointer: String, message: String) {
        self.report.push(issue(code, Severity::Warning, &pointer, message));
    }

    /// Top-level array `key`, as a slice of objects (non-objects skipped after being reported).
    pub(super) fn array(&self, key: &str) -> &[Value] {
        self.root.get(key).and_then(Value::as_array).map_or(&[], Vec::as_slice)
    }

    pub(super) fn len(&self, key: &str) -> usize {
        self.array(key).len()
    }

    pub(super) fn check_required(&mut self, obj: &Map<String, Value>, kind: &str, pointer: &str) {
        for prop in required(kind) {
            if !obj.contains_key(*prop) {
                self.err(
                    "UNDEFINED_PROPERTY",
                    pointer.to_owned(),
                    format!("Property '{prop}' must be defined."),
                );
            }
        }
    }

    /// `TYPE_MISMATCH`: the value at `pointer` is not of the `expected` JSON type.
    pub(super) fn type_mismatch(&mut self, pointer: String, v: &Value, expected: &str) {
        self.err(
            "TYPE_MISMATCH",
            pointer,
            format!("Type mismatch. Property value {} is not a '{expected}'.", type_name(v)),
        );
    }

    /// A reference property: must be a valid index into `target`.
    pub(super) fn check_ref(&mut self, value: Option<&Value>, target: &str, pointer: String) -> Option<usize> {
        let v = value?;
        match v.as_u64() {
            Some(i) if (i as usize) < self.len(target) => Some(i as usize),
            _ => {
                self.err(
                    "UNRESOLVED_REFERENCE",
                    pointer,
                    format!("Unresolved reference: {}.", type_name(v)),
                );
                None
            }
        }
    }

    /// An object-valued property: `TYPE_MISMATCH` if it is not an object, its required properties.
    pub(super) fn sub_object<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        key: &str,
        kind: &str,
        base: &str,
    ) -> Option<&'v Map<String, Value>> {
        let v = obj.get(key)?;
        let p = format!("{base}/{key}");
        match v.as_object() {
            Some(o) => {
                self.check_required(o, kind, &p);
                Some(o)
            }
            None => {
                self.type_mismatch(p, v, "object");
                None
            }
        }
    }

    /// An array-valued property: type, emptiness, and element objects.
    pub(super) fn sub_array<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        key: &str,
        base: &str,
        objects: bool,
    ) -> Option<&'v [Value]> {
        let v = obj.get(key)?;
        let p = format!("{base}/{key}");
        let Some(a) = v.as_array() else {
            self.type_mismatch(p, v, "array");
            return None;
        };
        if a.is_empty() {
            self.err("EMPTY_ENTITY", p.clone(), "Entity cannot be empty.".into());
        }
        if objects && let Some(bad) = a.iter().find(|e| !e.is_object()) {
            self.err(
                "ARRAY_TYPE_MISMATCH",
                p,
                format!("Type mismatch. Array element {} is not a 'object'.", type_name(bad)),
            );
        }
        Some(a)
    }
}

#[cfg(test)]
mod tests {
    use super::references::{decomposable, in_cycles};
    use super::*;

    #[test]
    fn cycles() {
        let g = vec![vec![0], vec![2], vec![1], vec![4], vec![5], vec![4]];
        assert_eq!(in_cycles(&g), vec![0, 1, 2, 4, 5]);
        assert!(in_cycles(&[vec![1], vec![2], vec![]]).is_empty());
    }

    #[test]
    fn matrices() {
        let id = [1.0, 0., 0., 0., 0., 1., 0., 0., 0., 0., 1., 0., 5., 6., 7., 1.];
        assert!(decomposable(&id));
        let mut shear = id;
        shear[4] = 0.5;
        assert!(!decomposable(&shear));
    }

    #[test]
    fn data_uris() {
        assert_eq!(
            parse_data_uri("data:application/octet-stream;base64,AAE=").unwrap().1,
            vec![0, 1]
        );
        assert!(parse_data_uri("data:").is_err());
        assert!(parse_data_uri("data:application/octet-stream;;base64,AA==").is_err());
        assert!(parse_data_uri("data:image/png;base64,`").is_err());
        // Percent-encoded bytes of a plain (not base64) URI are bytes, not UTF-8 text: 0x80 and above survive.
        assert_eq!(
            parse_data_uri("data:application/octet-stream,%00%7F%80%FFA").unwrap().1,
            vec![0x00, 0x7F, 0x80, 0xFF, b'A']
        );
    }
}
