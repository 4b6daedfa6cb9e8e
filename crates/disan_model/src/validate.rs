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

use std::collections::{BTreeSet, HashMap};
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
        match read_glb(bytes, &mut report) {
            Some(parts) => parts,
            None => return (report, None),
        }
    } else {
        (bytes, None)
    };
    if glb && json_bytes.is_empty() && report.has_errors() {
        // GLB_EMPTY_CHUNK already says it.
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
        report.push(issue(
            "INVALID_JSON_ROOT_OBJECT",
            Severity::Error,
            "",
            "JSON root is not an object.".into(),
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
        view_usage: HashMap::new(),
    };
    ctx.structure();
    ctx.resources(bin);
    ctx.decode_meshopt();
    ctx.accessors_layout();
    ctx.meshes();
    ctx.nodes();
    ctx.cameras();
    ctx.images();
    ctx.accessor_data();
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
    serde_json::from_slice(bytes).map_err(|e| format!("Invalid JSON data. Parser output: {e}"))
}

const CHUNK_JSON: u32 = 0x4E4F_534A;
const CHUNK_BIN: u32 = 0x004E_4942;

/// Reads the GLB container: the JSON chunk and the BIN chunk, reporting what lies.
fn read_glb<'a>(bytes: &'a [u8], report: &mut Report) -> Option<(&'a [u8], Option<&'a [u8]>)> {
    let u32_at = |o: usize| {
        bytes
            .get(o..o + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    if bytes.len() < 12 {
        report.push(glb_issue(
            "GLB_UNEXPECTED_END_OF_HEADER",
            bytes.len() as u64,
            "Unexpected end of header.".into(),
        ));
        return None;
    }
    let magic = u32_at(0).unwrap_or(0);
    if magic != 0x4654_6C67 {
        report.push(glb_issue(
            "GLB_INVALID_MAGIC",
            0,
            format!("Invalid GLB magic value ({magic})."),
        ));
        return None;
    }
    let version = u32_at(4).unwrap_or(0);
    if version != 2 {
        report.push(glb_issue(
            "GLB_INVALID_VERSION",
            4,
            format!("Invalid GLB version value {version}."),
        ));
        return None;
    }
    let declared = u32_at(8).unwrap_or(0) as u64;
    let actual = bytes.len() as u64;
    let mut json = None;
    let mut bin = None;
    let mut offset = 12usize;
    let mut index = 0;
    while offset < bytes.len() {
        let (Some(len), Some(kind)) = (u32_at(offset), u32_at(offset + 4)) else {
            report.push(glb_issue(
                "GLB_UNEXPECTED_END_OF_CHUNK_HEADER",
                offset as u64,
                "Unexpected end of chunk header.".into(),
            ));
            break;
        };
        let start = offset + 8;
        let end = start as u64 + u64::from(len);
        if len == 0 {
            report.push(glb_issue(
                "GLB_EMPTY_CHUNK",
                offset as u64,
                format!("Chunk (0x{kind:08x}) cannot have zero length."),
            ));
        }
        if len % 4 != 0 {
            report.push(glb_issue(
                "GLB_CHUNK_LENGTH_UNALIGNED",
                offset as u64,
                format!("Length of 0x{kind:08x} chunk is not aligned to 4-byte boundaries."),
            ));
        }
        if end > declared.min(actual) {
            report.push(glb_issue(
                "GLB_CHUNK_TOO_BIG",
                offset as u64,
                format!("Chunk (0x{kind:08x}) length ({len}) does not fit total GLB length."),
            ));
            break;
        }
        let data = &bytes[start..end as usize];
        match (index, kind) {
            (0, CHUNK_JSON) => json = Some(data),
            (0, _) => {
                report.push(glb_issue(
                    "GLB_UNEXPECTED_FIRST_CHUNK",
                    offset as u64,
                    format!("First chunk must be of JSON type. Found 0x{kind:08x} instead."),
                ));
                break;
            }
            (_, CHUNK_JSON) => report.push(glb_issue(
                "GLB_DUPLICATE_CHUNK",
                offset as u64,
                "Chunk of type 0x4e4f534a has already been used.".into(),
            )),
            (_, CHUNK_BIN) if bin.is_none() => bin = Some(data),
            (_, CHUNK_BIN) => report.push(glb_issue(
                "GLB_DUPLICATE_CHUNK",
                offset as u64,
                "Chunk of type 0x004e4942 has already been used.".into(),
            )),
            (_, _) => report.push(Issue {
                severity: Severity::Warning,
                ..glb_issue(
                    "GLB_UNKNOWN_CHUNK_TYPE",
                    offset as u64,
                    format!("Unknown GLB chunk type: 0x{kind:08x}."),
                )
            }),
        }
        // Chunks are 4-byte aligned; an unaligned length was reported above.
        offset = (end as usize).next_multiple_of(4);
        index += 1;
    }
    if declared != actual {
        report.push(glb_issue(
            "GLB_LENGTH_MISMATCH",
            actual,
            format!("Declared length ({declared}) does not match GLB length ({actual})."),
        ));
    }
    match json {
        Some(j) => Some((j, bin)),
        None => {
            if !report.has_errors() {
                report.push(glb_issue("GLB_MISSING_JSON_CHUNK", 12, "JSON chunk is missing.".into()));
            }
            None
        }
    }
}

/// Component byte size.
pub(crate) fn component_size(ct: u64) -> Option<usize> {
    match ct {
        5120 | 5121 => Some(1),
        5122 | 5123 => Some(2),
        5125 | 5126 => Some(4),
        _ => None,
    }
}

/// Components per element.
pub(crate) fn component_count(ty: &str) -> Option<usize> {
    match ty {
        "SCALAR" => Some(1),
        "VEC2" => Some(2),
        "VEC3" => Some(3),
        "VEC4" | "MAT2" => Some(4),
        "MAT3" => Some(9),
        "MAT4" => Some(16),
        _ => None,
    }
}

/// Byte layout of one element: (padded size, size of the last element, column stride for matrices).
pub(crate) fn element_layout(ty: &str, cs: usize) -> Option<(usize, usize)> {
    let cols = match ty {
        "MAT2" => 2,
        "MAT3" => 3,
        "MAT4" => 4,
        other => {
            let n = component_count(other)? * cs;
            return Some((n, n));
        }
    };
    let col = (cols * cs).next_multiple_of(4);
    Some((cols * col, (cols - 1) * col + cols * cs))
}

/// The most components an accessor without a bufferView (zeros plus sparse values) may have: 16M, 128 MiB
/// as f64.
const MAX_ZERO_FILLED_COMPONENTS: usize = 1 << 24;

/// Reads an accessor's components as f64, raw (not normalised), row after row; matrix columns are
/// unpadded. `None` when its data cannot be read.
pub(crate) fn read_accessor<'b>(
    doc_json: &Value,
    views: &dyn Fn(usize) -> Option<&'b [u8]>,
    index: usize,
) -> Option<Vec<f64>> {
    let acc = doc_json.get("accessors")?.get(index)?;
    let ct = acc.get("componentType")?.as_u64()?;
    let ty = acc.get("type")?.as_str()?;
    let count = acc.get("count")?.as_u64()? as usize;
    let cs = component_size(ct)?;
    let n = component_count(ty)?;
    let (padded, span) = element_layout(ty, cs)?;
    let total = count.checked_mul(n)?;
    let mut out = Vec::new();
    if let Some(view_index) = acc.get("bufferView").and_then(Value::as_u64) {
        let view = doc_json.get("bufferViews")?.get(view_index as usize)?;
        let data = views(view_index as usize)?;
        let stride = view
            .get("byteStride")
            .and_then(Value::as_u64)
            .map_or(padded, |s| s as usize);
        let offset = acc.get("byteOffset").and_then(Value::as_u64).unwrap_or(0) as usize;
        // The view must hold every element before anything is allocated: a count is only a claim.
        if stride < span
            || count.checked_sub(1).map_or(Some(0), |last| {
                offset.checked_add(last.checked_mul(stride)?)?.checked_add(span)
            })? > data.len()
        {
            return None;
        }
        out.try_reserve_exact(total).ok()?;
        let rows = if n == 4 && ty == "MAT2" || n == 9 || n == 16 {
            (n as f64).sqrt() as usize
        } else {
            n
        };
        let cols = n / rows;
        let col_stride = if cols > 1 { (rows * cs).next_multiple_of(4) } else { 0 };
        for e in 0..count {
            let base = offset.checked_add(e.checked_mul(stride)?)?;
            for c in 0..cols {
                for r in 0..rows {
                    let at = base + c * col_stride + r * cs;
                    out.push(read_component(data.get(at..at + cs)?, ct));
                }
            }
        }
    } else {
        // All zeros (with sparse values on top): nothing in the file bounds the count, so a cap does.
        if total > MAX_ZERO_FILLED_COMPONENTS {
            return None;
        }
        out.try_reserve_exact(total).ok()?;
        out.resize(total, 0.0);
    }
    if let Some(sparse) = acc.get("sparse") {
        let scount = sparse.get("count")?.as_u64()? as usize;
        let idx = sparse.get("indices")?;
        let val = sparse.get("values")?;
        let ict = idx.get("componentType")?.as_u64()?;
        let ics = component_size(ict)?;
        let idata = views(idx.get("bufferView")?.as_u64()? as usize)?;
        let ioff = idx.get("byteOffset").and_then(Value::as_u64).unwrap_or(0) as usize;
        let vdata = views(val.get("bufferView")?.as_u64()? as usize)?;
        let voff = val.get("byteOffset").and_then(Value::as_u64).unwrap_or(0) as usize;
        for s in 0..scount {
            let at = ioff + s * ics;
            let target = read_component(idata.get(at..at + ics)?, ict) as usize;
            if target >= count {
                return None;
            }
            for c in 0..n {
                let at = voff + (s * n + c) * cs;
                out[target * n + c] = read_component(vdata.get(at..at + cs)?, ct);
            }
        }
    }
    Some(out)
}

fn read_component(b: &[u8], ct: u64) -> f64 {
    match ct {
        5120 => f64::from(b[0] as i8),
        5121 => f64::from(b[0]),
        5122 => f64::from(i16::from_le_bytes([b[0], b[1]])),
        5123 => f64::from(u16::from_le_bytes([b[0], b[1]])),
        5125 => f64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        _ => f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
    }
}

impl Document {
    /// The bytes of a bufferView (decoded if meshopt-compressed).
    pub fn view(&self, index: usize) -> Option<&[u8]> {
        view_bytes(&self.json, &self.buffers, &self.decoded_views, index)
    }

    /// An accessor's raw components (see [`read_accessor`]).
    pub fn accessor(&self, index: usize) -> Option<Vec<f64>> {
        read_accessor(&self.json, &|v| self.view(v), index)
    }
}

fn view_bytes<'a>(
    json: &Value,
    buffers: &'a [Option<Vec<u8>>],
    decoded: &'a HashMap<usize, Vec<u8>>,
    index: usize,
) -> Option<&'a [u8]> {
    if let Some(d) = decoded.get(&index) {
        return Some(d);
    }
    let view = json.get("bufferViews")?.get(index)?;
    let buffer = buffers.get(view.get("buffer")?.as_u64()? as usize)?.as_ref()?;
    let offset = view.get("byteOffset").and_then(Value::as_u64).unwrap_or(0) as usize;
    let len = view.get("byteLength")?.as_u64()? as usize;
    buffer.get(offset..offset.checked_add(len)?)
}

/// Recognises an image format from its first bytes.
pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"\xABKTX 20\xBB\r\n\x1a\n") {
        Some("image/ktx2")
    } else if bytes.starts_with(b"GIF8") {
        Some("image/gif")
    } else {
        None
    }
}

/// A parsed `data:` URI: media type and decoded bytes.
pub(crate) fn parse_data_uri(uri: &str) -> Result<(String, Vec<u8>), String> {
    let rest = &uri[5..];
    let Some(comma) = rest.find(',') else {
        return Err("Expecting ','".into());
    };
    let (head, data) = (&rest[..comma], &rest[comma + 1..]);
    let mut parts = head.split(';');
    let media = parts.next().unwrap_or("").to_owned();
    let params: Vec<&str> = parts.collect();
    let base64 = params.last() == Some(&"base64");
    for p in &params[..params.len().saturating_sub(usize::from(base64))] {
        if !p.contains('=') {
            return Err("Expecting '='".into());
        }
    }
    if !base64 {
        return Ok((media, crate::percent_decode(data).into_bytes()));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.trim_end())
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(data.trim_end()))
        .map_err(|e| format!("Invalid base64 data: {e}"))?;
    Ok((media, bytes))
}

struct Ctx<'a> {
    root: &'a Value,
    report: Report,
    buffers: Vec<Option<Vec<u8>>>,
    decoded: HashMap<usize, Vec<u8>>,
    dir: &'a Path,
    limits: Limits,
    /// bufferView index → how it is used (for stride rules).
    view_usage: HashMap<usize, &'static str>,
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
    fn err(&mut self, code: &str, pointer: String, message: String) {
        self.report.push(issue(code, Severity::Error, &pointer, message));
    }

    fn warn(&mut self, code: &str, pointer: String, message: String) {
        self.report.push(issue(code, Severity::Warning, &pointer, message));
    }

    /// Top-level array `key`, as a slice of objects (non-objects skipped after being reported).
    fn array(&self, key: &str) -> &[Value] {
        self.root.get(key).and_then(Value::as_array).map_or(&[], Vec::as_slice)
    }

    fn len(&self, key: &str) -> usize {
        self.array(key).len()
    }

    fn check_required(&mut self, obj: &Map<String, Value>, kind: &str, pointer: &str) {
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

    /// A reference property: must be a valid index into `target`.
    fn check_ref(&mut self, value: Option<&Value>, target: &str, pointer: String) -> Option<usize> {
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
    fn sub_object<'v>(
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
                self.err(
                    "TYPE_MISMATCH",
                    p,
                    format!("Type mismatch. Property value {} is not a 'object'.", type_name(v)),
                );
                None
            }
        }
    }

    /// An array-valued property: type, emptiness, and element objects.
    fn sub_array<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        key: &str,
        base: &str,
        objects: bool,
    ) -> Option<&'v [Value]> {
        let v = obj.get(key)?;
        let p = format!("{base}/{key}");
        let Some(a) = v.as_array() else {
            self.err(
                "TYPE_MISMATCH",
                p,
                format!("Type mismatch. Property value {} is not a 'array'.", type_name(v)),
            );
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

    fn structure(&mut self) {
        let root = self.root.as_object().expect("checked by the caller");
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
                self.err(
                    "TYPE_MISMATCH",
                    format!("/{key}"),
                    format!("Type mismatch. Property value {} is not a 'array'.", type_name(v)),
                );
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
                    None => self.err(
                        "TYPE_MISMATCH",
                        p,
                        format!("Type mismatch. Property value {} is not a 'object'.", type_name(item)),
                    ),
                }
            }
        }
        self.check_ref(root.get("scene"), "scenes", "/scene".into());
        self.extensions(root);
    }

    /// Kind-specific structure and references of one top-level object.
    fn object(&mut self, kind: &str, o: &Map<String, Value>, p: &str) {
        match kind {
            "accessor" => {
                self.check_ref(o.get("bufferView"), "bufferViews", format!("{p}/bufferView"));
                if o.contains_key("byteOffset") && !o.contains_key("bufferView") {
                    self.err(
                        "UNSATISFIED_DEPENDENCY",
                        format!("{p}/byteOffset"),
                        "Dependency failed. 'bufferView' must be defined.".into(),
                    );
                }
                if let Some(ct) = o.get("componentType").and_then(Value::as_u64)
                    && component_size(ct).is_none()
                {
                    self.err(
                        "VALUE_NOT_IN_LIST",
                        format!("{p}/componentType"),
                        format!("Invalid value {ct}. Valid values are (5120, 5121, 5122, 5123, 5125, 5126)."),
                    );
                }
                if let Some(ty) = o.get("type").and_then(Value::as_str)
                    && component_count(ty).is_none()
                {
                    self.err(
                        "VALUE_NOT_IN_LIST",
                        format!("{p}/type"),
                        format!("Invalid value '{ty}'. Valid values are ('SCALAR', 'VEC2', 'VEC3', 'VEC4', 'MAT2', 'MAT3', 'MAT4')."),
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
                if let Some(c) = o.get("count")
                    && c.as_u64().is_none_or(|c| c < 1)
                {
                    self.err(
                        "VALUE_NOT_IN_RANGE",
                        format!("{p}/count"),
                        format!("Value {c} is out of range."),
                    );
                }
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
                if let Some(chs) = self.sub_array(o, "channels", p, true) {
                    for (i, ch) in chs.iter().enumerate() {
                        let Some(ch) = ch.as_object() else { continue };
                        let cp = format!("{p}/channels/{i}");
                        self.check_required(ch, "channel", &cp);
                        let samplers = o.get("samplers").and_then(Value::as_array).map_or(0, Vec::len);
                        if let Some(s) = ch.get("sampler")
                            && s.as_u64().is_none_or(|s| s as usize >= samplers)
                        {
                            self.err(
                                "UNRESOLVED_REFERENCE",
                                format!("{cp}/sampler"),
                                format!("Unresolved reference: {s}."),
                            );
                        }
                        if let Some(t) = self.sub_object(ch, "target", "target", &cp) {
                            self.check_ref(t.get("node"), "nodes", format!("{cp}/target/node"));
                        }
                    }
                }
                if let Some(ss) = self.sub_array(o, "samplers", p, true) {
                    for (i, s) in ss.iter().enumerate() {
                        let Some(s) = s.as_object() else { continue };
                        let sp = format!("{p}/samplers/{i}");
                        self.check_required(s, "animation.sampler", &sp);
                        self.check_ref(s.get("input"), "accessors", format!("{sp}/input"));
                        self.check_ref(s.get("output"), "accessors", format!("{sp}/output"));
                    }
                }
            }
            "bufferView" => {
                self.check_ref(o.get("buffer"), "buffers", format!("{p}/buffer"));
                if let Some(l) = o.get("byteLength")
                    && l.as_u64().is_none_or(|l| l < 1)
                {
                    self.err(
                        "VALUE_NOT_IN_RANGE",
                        format!("{p}/byteLength"),
                        format!("Value {l} is out of range."),
                    );
                }
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
                self.check_ref(o.get("bufferView"), "bufferViews", format!("{p}/bufferView"));
                if o.contains_key("bufferView") && !o.contains_key("mimeType") {
                    self.err(
                        "UNSATISFIED_DEPENDENCY",
                        format!("{p}/bufferView"),
                        "Dependency failed. 'mimeType' must be defined.".into(),
                    );
                }
            }
            "material" => {
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
                            if attrs.is_empty() {
                                self.err(
                                    "EMPTY_ENTITY",
                                    format!("{pp}/attributes"),
                                    "Entity cannot be empty.".into(),
                                );
                            }
                            for (name, a) in attrs {
                                self.check_ref(
                                    Some(a),
                                    "accessors",
                                    format!("{pp}/attributes/{}", name.replace('/', "~1")),
                                );
                            }
                        }
                        self.check_ref(prim.get("indices"), "accessors", format!("{pp}/indices"));
                        self.check_ref(prim.get("material"), "materials", format!("{pp}/material"));
                        if let Some(targets) = self.sub_array(prim, "targets", &pp, true) {
                            for (t, target) in targets.iter().enumerate() {
                                if let Some(target) = target.as_object() {
                                    if target.is_empty() {
                                        self.err(
                                            "EMPTY_ENTITY",
                                            format!("{pp}/targets/{t}"),
                                            "Entity cannot be empty.".into(),
                                        );
                                    }
                                    for (name, a) in target {
                                        self.check_ref(Some(a), "accessors", format!("{pp}/targets/{t}/{name}"));
                                    }
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

    fn texture_info(&mut self, o: &Map<String, Value>, key: &str, base: &str) {
        if let Some(t) = self.sub_object(o, key, "textureInfo", base) {
            self.check_ref(t.get("index"), "textures", format!("{base}/{key}/index"));
        }
    }

    fn extensions(&mut self, root: &Map<String, Value>) {
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
                    pointer,
                    "Extension is not declared in extensionsUsed.".into(),
                );
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

    fn resources(&mut self, bin: Option<&[u8]>) {
        let buffers = self.array("buffers").to_vec();
        let glb = bin.is_some() || self.report.mime_type == "model/gltf-binary";
        for (i, b) in buffers.iter().enumerate() {
            let p = format!("/buffers/{i}");
            let declared = b.get("byteLength").and_then(Value::as_u64).unwrap_or(0);
            let data = match b.get("uri").and_then(Value::as_str) {
                Some(uri) => self.load_uri(uri, &format!("{p}/uri"), true),
                None if i == 0 && glb => match bin {
                    Some(bin) => Some(bin.to_vec()),
                    None => {
                        self.err(
                            "BUFFER_MISSING_GLB_DATA",
                            p.clone(),
                            "Buffer refers to an unresolved GLB binary chunk.".into(),
                        );
                        None
                    }
                },
                None => {
                    // A meshopt fallback buffer holds no data: the views using it are decoded.
                    let fallback = b
                        .pointer("/extensions/EXT_meshopt_compression/fallback")
                        .and_then(Value::as_bool)
                        == Some(true);
                    if !fallback {
                        self.warn(
                            "DISAN_BUFFER_WITHOUT_DATA",
                            p.clone(),
                            "Buffer has no uri and is not the GLB binary chunk: nothing that uses it can be read."
                                .into(),
                        );
                    }
                    None
                }
            };
            if let Some(d) = &data
                && (d.len() as u64) < declared
            {
                self.err(
                    "BUFFER_EXTERNAL_BYTELENGTH_MISMATCH",
                    format!("{p}/byteLength"),
                    format!(
                        "Actual data length {} is less than the declared buffer byteLength {declared}.",
                        d.len()
                    ),
                );
            }
            self.buffers.push(data);
        }
        // bufferViews against their buffers
        let views = self.array("bufferViews").to_vec();
        for (i, v) in views.iter().enumerate() {
            let (Some(b), Some(len)) = (
                v.get("buffer").and_then(Value::as_u64),
                v.get("byteLength").and_then(Value::as_u64),
            ) else {
                continue;
            };
            let Some(buffer) = self.array("buffers").get(b as usize) else {
                continue;
            };
            let Some(blen) = buffer.get("byteLength").and_then(Value::as_u64) else {
                continue;
            };
            let off = v.get("byteOffset").and_then(Value::as_u64).unwrap_or(0);
            if off + len > blen {
                self.err(
                    "BUFFER_VIEW_TOO_LONG",
                    format!("/bufferViews/{i}/byteLength"),
                    format!("BufferView does not fit buffer ({b}) byteLength ({blen})."),
                );
            }
        }
    }

    /// Reads a buffer or image URI: a `data:` URI, or a file inside the model's folder.
    fn load_uri(&mut self, uri: &str, pointer: &str, buffer: bool) -> Option<Vec<u8>> {
        if uri.starts_with(':') {
            self.err(
                "INVALID_URI",
                pointer.to_owned(),
                format!("Invalid URI '{uri}'. Parser output: Invalid empty scheme."),
            );
            return None;
        }
        if let Some(rest) = uri.strip_prefix("data:") {
            let _ = rest;
            return match parse_data_uri(uri) {
                Ok((media, bytes)) => {
                    let media_lower = media.to_ascii_lowercase();
                    if buffer
                        && !matches!(
                            media_lower.as_str(),
                            "application/octet-stream" | "application/gltf-buffer"
                        )
                    {
                        self.err(
                            "BUFFER_DATA_URI_MIME_TYPE_INVALID",
                            pointer.to_owned(),
                            format!("Data URI media type must be 'application/octet-stream' or 'application/gltf-buffer'. Found '{media}' instead."),
                        );
                    }
                    if !buffer
                        && let Some(sniffed) = sniff_image(&bytes)
                        && media.starts_with("image/")
                        && media != sniffed
                    {
                        self.err(
                            "INVALID_URI",
                            pointer.to_owned(),
                            format!(
                                "Invalid URI '{}…'. The declared mediatype does not match the embedded content.",
                                &uri[..uri.floor_char_boundary(40)]
                            ),
                        );
                    }
                    Some(bytes)
                }
                Err(e) => {
                    self.err(
                        "INVALID_URI",
                        pointer.to_owned(),
                        format!(
                            "Invalid URI '{}'. Parser output: {e}",
                            &uri[..uri.floor_char_boundary(80)]
                        ),
                    );
                    None
                }
            };
        }
        let resource = match crate::resolve(self.dir, uri) {
            Ok(r) => r,
            Err(e) => {
                self.err(
                    "DISAN_URI_OUTSIDE_FOLDER",
                    pointer.to_owned(),
                    format!("{e}; it is not read."),
                );
                return None;
            }
        };
        let path = &resource.path;
        match std::fs::metadata(path) {
            Ok(m) if m.len() > self.limits.max_resource_bytes => {
                self.err(
                    "DISAN_RESOURCE_TOO_LARGE",
                    pointer.to_owned(),
                    format!(
                        "'{uri}' is {} bytes, above the {}-byte limit.",
                        m.len(),
                        self.limits.max_resource_bytes
                    ),
                );
                None
            }
            Ok(_) => match std::fs::read(path) {
                Ok(b) => Some(b),
                Err(e) => {
                    self.err("IO_ERROR", pointer.to_owned(), format!("Cannot read '{uri}': {e}."));
                    None
                }
            },
            Err(e) => {
                self.err(
                    "IO_ERROR",
                    pointer.to_owned(),
                    format!("Cannot read '{uri}' ({}): {e}.", path.display()),
                );
                None
            }
        }
    }

    fn decode_meshopt(&mut self) {
        let views = self.array("bufferViews").to_vec();
        for (i, v) in views.iter().enumerate() {
            let Some(ext) = v.pointer("/extensions/EXT_meshopt_compression") else {
                continue;
            };
            let p = format!("/bufferViews/{i}/extensions/EXT_meshopt_compression");
            let get = |k: &str| ext.get(k).and_then(Value::as_u64);
            let (Some(buffer), Some(len), Some(stride), Some(count)) =
                (get("buffer"), get("byteLength"), get("byteStride"), get("count"))
            else {
                self.err(
                    "UNDEFINED_PROPERTY",
                    p,
                    "buffer, byteLength, byteStride and count must be defined.".into(),
                );
                continue;
            };
            let offset = get("byteOffset").unwrap_or(0) as usize;
            let decoded_len = stride.saturating_mul(count);
            if decoded_len > self.limits.max_resource_bytes || decoded_len > 1024 * len.max(1 << 20) {
                self.err(
                    "DISAN_RESOURCE_TOO_LARGE",
                    p,
                    format!("decoding {count}×{stride} bytes from {len} compressed bytes is refused"),
                );
                continue;
            }
            let Some(src) = self
                .buffers
                .get(buffer as usize)
                .and_then(Option::as_ref)
                .and_then(|b| b.get(offset..offset.checked_add(len as usize)?))
            else {
                self.err(
                    "DISAN_MESHOPT_DATA",
                    p,
                    "compressed data lies outside its buffer or the buffer is unread".into(),
                );
                continue;
            };
            let mode = ext.get("mode").and_then(Value::as_str).unwrap_or("");
            let filter = ext.get("filter").and_then(Value::as_str).unwrap_or("NONE");
            match crate::meshopt_decode::decode(src, stride as usize, count as usize, mode, filter) {
                Ok(bytes) => {
                    self.decoded.insert(i, bytes);
                }
                Err(e) => self.err("DISAN_MESHOPT_DATA", p, format!("cannot decode: {e}")),
            }
        }
    }

    fn view_len(&self, v: usize) -> Option<u64> {
        self.array("bufferViews").get(v)?.get("byteLength")?.as_u64()
    }

    fn accessors_layout(&mut self) {
        let accessors = self.array("accessors").to_vec();
        for (i, a) in accessors.iter().enumerate() {
            let p = format!("/accessors/{i}");
            let (Some(ct), Some(ty), Some(count)) = (
                a.get("componentType").and_then(Value::as_u64),
                a.get("type").and_then(Value::as_str),
                a.get("count").and_then(Value::as_u64),
            ) else {
                continue;
            };
            let (Some(cs), Some((padded, last))) = (
                component_size(ct),
                component_size(ct).and_then(|cs| element_layout(ty, cs)),
            ) else {
                continue;
            };
            let Some(view_index) = a.get("bufferView").and_then(Value::as_u64).map(|v| v as usize) else {
                continue;
            };
            let Some(view) = self.array("bufferViews").get(view_index).cloned() else {
                continue;
            };
            let offset = a.get("byteOffset").and_then(Value::as_u64).unwrap_or(0);
            let view_offset = view.get("byteOffset").and_then(Value::as_u64).unwrap_or(0);
            if ty.starts_with("MAT") && cs < 4 && offset % 4 != 0 {
                self.err(
                    "ACCESSOR_MATRIX_ALIGNMENT",
                    format!("{p}/byteOffset"),
                    "Matrix accessors must be aligned to 4-byte boundaries.".into(),
                );
            } else if offset % cs as u64 != 0 {
                self.err(
                    "ACCESSOR_OFFSET_ALIGNMENT",
                    format!("{p}/byteOffset"),
                    format!("Offset {offset} is not a multiple of componentType length {cs}."),
                );
            }
            if (offset + view_offset) % cs as u64 != 0 {
                self.err(
                    "ACCESSOR_TOTAL_OFFSET_ALIGNMENT",
                    p.clone(),
                    format!(
                        "Accessor's total byteOffset {} isn't a multiple of componentType length {cs}.",
                        offset + view_offset
                    ),
                );
            }
            let stride = view.get("byteStride").and_then(Value::as_u64);
            if let Some(s) = stride
                && (s as usize) < padded
            {
                self.err(
                    "ACCESSOR_SMALL_BYTESTRIDE",
                    p.clone(),
                    format!(
                        "Referenced bufferView's byteStride value {s} is less than accessor element's length {padded}."
                    ),
                );
            }
            let step = stride.unwrap_or(padded as u64);
            let length = step.saturating_mul(count.saturating_sub(1)).saturating_add(last as u64);
            if let Some(vlen) = self.view_len(view_index)
                && offset.saturating_add(length) > vlen
            {
                let at = if offset >= vlen {
                    format!("{p}/byteOffset")
                } else {
                    p.clone()
                };
                self.err(
                    "ACCESSOR_TOO_LONG",
                    at,
                    format!("Accessor (offset: {offset}, length: {length}) does not fit referenced bufferView [{view_index}] length {vlen}."),
                );
            }
        }
    }

    fn accessor_field(&self, i: usize, key: &str) -> Option<&Value> {
        self.array("accessors").get(i)?.get(key)
    }

    fn meshes(&mut self) {
        let meshes = self.array("meshes").to_vec();
        for (m, mesh) in meshes.iter().enumerate() {
            let Some(prims) = mesh.get("primitives").and_then(Value::as_array) else {
                continue;
            };
            for (pi, prim) in prims.iter().enumerate() {
                let pp = format!("/meshes/{m}/primitives/{pi}");
                let attrs = prim
                    .get("attributes")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                for (name, a) in &attrs {
                    let Some(a) = a.as_u64().map(|a| a as usize) else {
                        continue;
                    };
                    let ap = format!("{pp}/attributes/{name}");
                    if self.accessor_field(a, "componentType").and_then(Value::as_u64) == Some(5125) {
                        self.err(
                            "MESH_PRIMITIVE_ATTRIBUTES_ACCESSOR_UNSIGNED_INT",
                            ap.clone(),
                            "Mesh attributes cannot use UNSIGNED_INT component type.".into(),
                        );
                    }
                    if let Some(v) = self.accessor_field(a, "bufferView").and_then(Value::as_u64) {
                        self.view_usage.insert(v as usize, "vertex");
                        let view = self.array("bufferViews").get(v as usize);
                        let total = self
                            .accessor_field(a, "byteOffset")
                            .and_then(Value::as_u64)
                            .unwrap_or(0)
                            + view
                                .and_then(|v| v.get("byteOffset"))
                                .and_then(Value::as_u64)
                                .unwrap_or(0);
                        let stride = view
                            .and_then(|v| v.get("byteStride"))
                            .and_then(Value::as_u64)
                            .unwrap_or(0);
                        if !total.is_multiple_of(4) || !stride.is_multiple_of(4) {
                            self.err(
                                "MESH_PRIMITIVE_ACCESSOR_UNALIGNED",
                                ap.clone(),
                                "Vertex attribute data must be aligned to 4-byte boundaries.".into(),
                            );
                        }
                    }
                    if name == "POSITION"
                        && (self.accessor_field(a, "min").is_none() || self.accessor_field(a, "max").is_none())
                    {
                        self.err(
                            "MESH_PRIMITIVE_POSITION_ACCESSOR_WITHOUT_BOUNDS",
                            ap.clone(),
                            "accessor.min and accessor.max must be defined for POSITION attribute accessor.".into(),
                        );
                    }
                }
                if let Some(ind) = prim.get("indices").and_then(Value::as_u64)
                    && let Some(v) = self.accessor_field(ind as usize, "bufferView").and_then(Value::as_u64)
                {
                    if self
                        .array("bufferViews")
                        .get(v as usize)
                        .and_then(|v| v.get("byteStride"))
                        .is_some()
                    {
                        self.err(
                            "MESH_PRIMITIVE_INDICES_ACCESSOR_WITH_BYTESTRIDE",
                            format!("{pp}/indices"),
                            "bufferView.byteStride must not be defined for indices accessor.".into(),
                        );
                    }
                    self.view_usage.insert(v as usize, "index");
                }
            }
        }
    }

    fn nodes(&mut self) {
        let nodes = self.array("nodes").to_vec();
        let n = nodes.len();
        let mut parent: Vec<Option<usize>> = vec![None; n];
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, node) in nodes.iter().enumerate() {
            let p = format!("/nodes/{i}");
            for (j, c) in node
                .get("children")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let Some(c) = c.as_u64().map(|c| c as usize).filter(|&c| c < n) else {
                    continue;
                };
                children[i].push(c);
                if parent[c].is_some() {
                    self.err(
                        "NODE_PARENT_OVERRIDE",
                        format!("{p}/children/{j}"),
                        format!("Value overrides parent of node {c}."),
                    );
                } else {
                    parent[c] = Some(i);
                }
            }
            let has_trs = ["translation", "rotation", "scale"]
                .iter()
                .any(|k| node.get(*k).is_some());
            if let Some(m) = node.get("matrix").and_then(Value::as_array) {
                if has_trs {
                    self.err(
                        "NODE_MATRIX_TRS",
                        format!("{p}/matrix"),
                        "A node can have either a matrix or any combination of translation/rotation/scale (TRS) properties.".into(),
                    );
                } else {
                    let m: Vec<f64> = m.iter().filter_map(Value::as_f64).collect();
                    if m.len() == 16 && !decomposable(&m) {
                        self.err(
                            "NODE_MATRIX_NON_TRS",
                            format!("{p}/matrix"),
                            "Matrix must be decomposable to TRS.".into(),
                        );
                    }
                }
            }
            if let Some(r) = node.get("rotation").and_then(Value::as_array) {
                let q: Vec<f64> = r.iter().filter_map(Value::as_f64).collect();
                if q.len() == 4 && (1.0 - q.iter().map(|x| x * x).sum::<f64>().sqrt()).abs() > 0.000_005 {
                    self.err(
                        "ROTATION_NON_UNIT",
                        format!("{p}/rotation"),
                        "Rotation quaternion must be unit.".into(),
                    );
                }
            }
        }
        // A node is in a loop when it belongs to a cycle of the children graph (Tarjan's SCC).
        for i in in_cycles(&children) {
            self.err(
                "NODE_LOOP",
                format!("/nodes/{i}"),
                "Node is a part of a node loop.".into(),
            );
        }
        let scenes = self.array("scenes").to_vec();
        for (s, scene) in scenes.iter().enumerate() {
            for (k, node) in scene
                .get("nodes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                if let Some(i) = node.as_u64().map(|i| i as usize).filter(|&i| i < n)
                    && parent[i].is_some()
                {
                    self.err(
                        "SCENE_NON_ROOT_NODE",
                        format!("/scenes/{s}/nodes/{k}"),
                        format!("Node {i} is not a root node."),
                    );
                }
            }
        }
    }

    fn cameras(&mut self) {
        let cams = self.array("cameras").to_vec();
        for (i, c) in cams.iter().enumerate() {
            let p = format!("/cameras/{i}");
            if let Some(per) = c.get("perspective") {
                let znear = per.get("znear").and_then(Value::as_f64);
                let zfar = per.get("zfar").and_then(Value::as_f64);
                if let (Some(n), Some(f)) = (znear, zfar)
                    && f <= n
                {
                    self.err(
                        "CAMERA_ZFAR_LEQUAL_ZNEAR",
                        format!("{p}/perspective"),
                        "zfar must be greater than znear.".into(),
                    );
                }
            }
            if let Some(o) = c.get("orthographic") {
                for k in ["xmag", "ymag"] {
                    if o.get(k).and_then(Value::as_f64) == Some(0.0) {
                        self.err(
                            "CAMERA_XMAG_YMAG_ZERO",
                            format!("{p}/orthographic/{k}"),
                            "xmag and ymag must not be zero.".into(),
                        );
                    }
                }
                if let (Some(n), Some(f)) = (
                    o.get("znear").and_then(Value::as_f64),
                    o.get("zfar").and_then(Value::as_f64),
                ) && f <= n
                {
                    self.err(
                        "CAMERA_ZFAR_LEQUAL_ZNEAR",
                        format!("{p}/orthographic"),
                        "zfar must be greater than znear.".into(),
                    );
                }
            }
        }
    }

    fn images(&mut self) {
        let images = self.array("images").to_vec();
        for (i, img) in images.iter().enumerate() {
            let p = format!("/images/{i}");
            let declared = img.get("mimeType").and_then(Value::as_str);
            let (bytes, at) = if let Some(uri) = img.get("uri").and_then(Value::as_str) {
                (self.load_uri(uri, &format!("{p}/uri"), false), format!("{p}/uri"))
            } else if let Some(v) = img.get("bufferView").and_then(Value::as_u64) {
                let view = self.array("bufferViews").get(v as usize);
                if view.and_then(|v| v.get("byteStride")).is_some() {
                    self.err(
                        "IMAGE_BUFFER_VIEW_WITH_BYTESTRIDE",
                        format!("{p}/bufferView"),
                        "bufferView.byteStride must not be defined for buffer views containing image data.".into(),
                    );
                }
                let bytes = view_bytes(self.root, &self.buffers, &self.decoded, v as usize).map(<[u8]>::to_vec);
                (bytes, format!("{p}/bufferView"))
            } else {
                continue;
            };
            let Some(bytes) = bytes else { continue };
            match sniff_image(&bytes) {
                Some(found) => {
                    if let Some(d) = declared
                        && d != found
                    {
                        self.err(
                            "IMAGE_MIME_TYPE_INVALID",
                            at,
                            format!("Recognized image format '{found}' does not match declared image format '{d}'."),
                        );
                    }
                }
                None => self.warn("IMAGE_UNRECOGNIZED_FORMAT", at, "Image format not recognized.".into()),
            }
        }
    }

    fn accessor_data(&mut self) {
        let accessors = self.array("accessors").to_vec();
        // Which accessors are colours, and the vertex count each indices accessor may address.
        let mut colours = Vec::new();
        let mut index_uses = Vec::new();
        for (m, mesh) in self.array("meshes").iter().enumerate() {
            for (pi, prim) in mesh
                .get("primitives")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let pp = format!("/meshes/{m}/primitives/{pi}");
                let attrs = prim.get("attributes").and_then(Value::as_object);
                let mut vertices: Option<u64> = None;
                for (name, a) in attrs.into_iter().flatten() {
                    let Some(a) = a.as_u64() else { continue };
                    if let Some(c) = self.accessor_field(a as usize, "count").and_then(Value::as_u64) {
                        vertices = Some(vertices.map_or(c, |v| v.min(c)));
                    }
                    // Checked once per accessor, at its first use (as the Khronos validator does).
                    if name.starts_with("COLOR_") && !colours.iter().any(|(c, _)| *c == a as usize) {
                        colours.push((a as usize, format!("{pp}/attributes/{name}")));
                    }
                }
                if let (Some(i), Some(v)) = (prim.get("indices").and_then(Value::as_u64), vertices) {
                    index_uses.push((i as usize, v, format!("{pp}/indices")));
                }
            }
        }
        let errors_before = self.report.issues.num_errors;
        let _ = errors_before;
        for (i, a) in accessors.iter().enumerate() {
            // Without a bufferView or sparse values the data comes from an extension (Draco) or is all
            // zeros; there is nothing of the file's own to check.
            if self.layout_broken(i) || (a.get("bufferView").is_none() && a.get("sparse").is_none()) {
                continue;
            }
            let Some(values) = read_accessor(
                self.root,
                &|v| view_bytes(self.root, &self.buffers, &self.decoded, v),
                i,
            ) else {
                continue;
            };
            let p = format!("/accessors/{i}");
            let ct = a.get("componentType").and_then(Value::as_u64).unwrap_or(5126);
            let n = a
                .get("type")
                .and_then(Value::as_str)
                .and_then(component_count)
                .unwrap_or(1);
            let float = ct == 5126;
            if float {
                for (k, v) in values.iter().enumerate() {
                    if !v.is_finite() {
                        let what = if v.is_nan() {
                            "NaN".to_owned()
                        } else if *v > 0.0 {
                            "Infinity".into()
                        } else {
                            "-Infinity".into()
                        };
                        self.err(
                            "ACCESSOR_INVALID_FLOAT",
                            p.clone(),
                            format!("Accessor element at index {k} is {what}."),
                        );
                    }
                }
            }
            for (key, is_min) in [("min", true), ("max", false)] {
                let Some(declared) = a.get(key).and_then(Value::as_array) else {
                    continue;
                };
                if declared.len() != n {
                    continue;
                }
                for (c, d) in declared.iter().enumerate() {
                    let Some(d) = d.as_f64() else { continue };
                    let d = if float { f64::from(d as f32) } else { d };
                    let column = values.iter().skip(c).step_by(n).copied().filter(|v| v.is_finite());
                    let actual = if is_min {
                        column.clone().fold(f64::INFINITY, f64::min)
                    } else {
                        column.clone().fold(f64::NEG_INFINITY, f64::max)
                    };
                    if !actual.is_finite() {
                        continue;
                    }
                    let fmt = |x: f64| if float { format!("{x:?}") } else { format!("{x}") };
                    let cp = format!("{p}/{key}/{c}");
                    if actual != d {
                        let (code, word) = if is_min {
                            ("ACCESSOR_MIN_MISMATCH", "minimum")
                        } else {
                            ("ACCESSOR_MAX_MISMATCH", "maximum")
                        };
                        self.err(
                            code,
                            cp.clone(),
                            format!(
                                "Declared {word} value for this component ({}) does not match actual {word} ({}).",
                                fmt(d),
                                fmt(actual)
                            ),
                        );
                    }
                    let outside = column.filter(|&v| if is_min { v < d } else { v > d }).count();
                    if outside > 0 {
                        let (code, word) = if is_min {
                            ("ACCESSOR_ELEMENT_OUT_OF_MIN_BOUND", "less than declared minimum")
                        } else {
                            ("ACCESSOR_ELEMENT_OUT_OF_MAX_BOUND", "greater than declared maximum")
                        };
                        self.err(
                            code,
                            cp,
                            format!("Accessor contains {outside} element(s) {word} value {}.", fmt(d)),
                        );
                    }
                }
            }
            for (acc, pointer) in colours.iter().filter(|(acc, _)| *acc == i) {
                let _ = acc;
                if float {
                    for (k, v) in values.iter().enumerate() {
                        if !(0.0..=1.0).contains(v) && v.is_finite() {
                            self.err(
                                "ACCESSOR_NON_CLAMPED",
                                pointer.clone(),
                                format!("Accessor element at index {k} is not clamped to 0..1 range: {v:?}."),
                            );
                        }
                    }
                }
            }
            for (acc, vertices, pointer) in index_uses.iter().filter(|(acc, _, _)| *acc == i) {
                let _ = acc;
                for (k, v) in values.iter().enumerate() {
                    if *v >= *vertices as f64 {
                        self.err(
                            "ACCESSOR_INDEX_OOB",
                            pointer.clone(),
                            format!(
                                "Indices accessor element at index {k} has value {v} that is greater than the maximum vertex index available ({}).",
                                vertices.saturating_sub(1)
                            ),
                        );
                    }
                }
            }
        }
    }

    /// Whether an accessor's layout was already reported broken (its data is not read).
    fn layout_broken(&self, i: usize) -> bool {
        let p = format!("/accessors/{i}");
        self.report.errors().any(|m| {
            m.pointer
                .as_deref()
                .is_some_and(|mp| mp == p || mp.starts_with(&format!("{p}/")))
                && matches!(
                    m.code.as_str(),
                    "ACCESSOR_TOO_LONG"
                        | "UNRESOLVED_REFERENCE"
                        | "UNDEFINED_PROPERTY"
                        | "VALUE_NOT_IN_LIST"
                        | "ACCESSOR_SMALL_BYTESTRIDE"
                )
        })
    }
}

/// Codes of extensions Disan cannot read, with what to do instead.
fn unsupported_advice(name: &str) -> Option<String> {
    if SUPPORTED_EXTENSIONS.contains(&name) {
        return None;
    }
    Some(match name {
        "KHR_draco_mesh_compression" => "The model uses Draco mesh compression (KHR_draco_mesh_compression), which Disan does not decode: re-export it without Draco compression (or with meshopt compression, EXT_meshopt_compression).".into(),
        "KHR_texture_basisu" => "The model's textures are KTX2/Basis Universal (KHR_texture_basisu), which Disan does not decode: re-export it with PNG or JPEG textures.".into(),
        other => format!("The model requires extension '{other}', which Disan cannot read: re-export it without that extension."),
    })
}

/// Every `extensions` object's keys, with the pointer of each.
fn collect_extensions(v: &Value, pointer: String, out: &mut Vec<(String, String)>) {
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

/// Whether a column-major 4×4 matrix is a translation × rotation × scale (no shear, no projection).
fn decomposable(m: &[f64]) -> bool {
    if m[3] != 0.0 || m[7] != 0.0 || m[11] != 0.0 || m[15] != 1.0 {
        return false;
    }
    let col = |c: usize| [m[c * 4], m[c * 4 + 1], m[c * 4 + 2]];
    let (a, b, c) = (col(0), col(1), col(2));
    let len = |v: [f64; 3]| (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    let (sa, sb, sc) = (len(a), len(b), len(c));
    if sa == 0.0 || sb == 0.0 || sc == 0.0 {
        return false;
    }
    let dot = |u: [f64; 3], v: [f64; 3]| u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
    let tol = 1e-5;
    (dot(a, b) / (sa * sb)).abs() < tol && (dot(a, c) / (sa * sc)).abs() < tol && (dot(b, c) / (sb * sc)).abs() < tol
}

/// Nodes that lie on a cycle of the graph (iterative Tarjan).
fn in_cycles(children: &[Vec<usize>]) -> Vec<usize> {
    let n = children.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut next = 0;
    let mut result = Vec::new();
    for start in 0..n {
        if index[start] != usize::MAX {
            continue;
        }
        let mut work = vec![(start, 0usize)];
        while let Some(&mut (v, ref mut ci)) = work.last_mut() {
            if *ci == 0 && index[v] == usize::MAX {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = children[v].get(*ci) {
                *ci += 1;
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut members = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    members.push(w);
                    if w == v {
                        break;
                    }
                }
                if members.len() > 1 || children[v].contains(&v) {
                    result.extend(members);
                }
            }
        }
    }
    result.sort_unstable();
    result
}

#[cfg(test)]
mod tests {
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
    }
}
