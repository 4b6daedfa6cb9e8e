//! 3D models: glTF / GLB / OBJ reading with a Khronos-style validation report, resources confined to the
//! model's folder, and packing into one optimised GLB with simplified levels of detail.
//!
//! [`inspect`] finds a model's resources (for hashing); [`read_scene`] validates and loads it;
//! [`package`] makes `model.glb`, `lod1.glb`, `lod2.glb` and the statistics.

use std::path::{Path, PathBuf};

use disan_core::{LodSummary, ModelSummary};

mod draco;
mod load;
pub mod lod;
mod meshopt_decode;
pub mod obj;
pub mod pick;
pub mod ply;
pub mod report;
pub mod scene;
pub mod textures;
pub mod validate;
pub mod write;

pub use lod::{LOD_TARGETS, LodTarget};
pub use pick::{Hit, Surface};
pub use report::{Issue, Report, Severity};
pub use scene::Scene;
pub use validate::{COVERED_CODES, Document, Limits};

/// Why a model could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("not a glTF/GLB file: {0}")]
    Gltf(String),
    #[error("resource {uri:?} is refused: {reason}")]
    Confinement { uri: String, reason: &'static str },
    #[error("resource {uri:?} is missing ({path}): copy it next to the model or re-export it embedded")]
    MissingResource { uri: String, path: PathBuf },
    #[error("cannot read resource {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("model file is not UTF-8 text (OBJ and MTL must be)")]
    NotText,
    #[error("GLB container is broken: {0}; re-export the model")]
    Glb(String),
    /// An OBJ or MTL that cannot be read as a mesh.
    #[error("{0}")]
    Obj(String),
    /// A PLY that cannot be read as a mesh (a point cloud, a header the data does not match, …).
    #[error("{0}")]
    Ply(String),
    #[error("texture {name:?}: {source}")]
    Texture {
        name: String,
        source: textures::TextureError,
    },
}

/// Model container formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelFormat {
    Glb,
    Gltf,
    Obj,
    Ply,
}

impl ModelFormat {
    /// From a file extension (case-insensitive).
    pub fn from_extension(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "glb" => Some(Self::Glb),
            "gltf" => Some(Self::Gltf),
            "obj" => Some(Self::Obj),
            "ply" => Some(Self::Ply),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Glb => "glb",
            Self::Gltf => "gltf",
            Self::Obj => "obj",
            Self::Ply => "ply",
        }
    }
}

/// A resource a model references, resolved inside the model's folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resource {
    /// As written in the model.
    pub uri: String,
    /// Where it is on disk.
    pub path: PathBuf,
}

/// What reading a model gives.
#[derive(Clone, Debug)]
pub struct ModelInfo {
    pub format: ModelFormat,
    pub summary: ModelSummary,
    /// External resources in the order the model references them (each once).
    pub resources: Vec<Resource>,
}

/// Reads a model file and finds (but does not read) its resources.
pub fn read_model(path: &Path) -> Result<(Vec<u8>, ModelInfo), ModelError> {
    let bytes = std::fs::read(path).map_err(|source| ModelError::Io {
        path: path.to_owned(),
        source,
    })?;
    let format = ModelFormat::from_extension(path).unwrap_or(ModelFormat::Glb);
    let dir = path.parent().unwrap_or(Path::new("."));
    let info = inspect(&bytes, format, dir)?;
    Ok((bytes, info))
}

/// Inspects a model's bytes; `dir` is the folder its relative URIs resolve against. For OBJ, the MTL
/// files it names are read (from inside `dir`) to find their textures.
pub fn inspect(bytes: &[u8], format: ModelFormat, dir: &Path) -> Result<ModelInfo, ModelError> {
    match format {
        ModelFormat::Glb | ModelFormat::Gltf => inspect_gltf(bytes, format, dir),
        ModelFormat::Obj => inspect_obj(bytes, dir),
        ModelFormat::Ply => inspect_ply(bytes, dir),
    }
}

fn inspect_gltf(bytes: &[u8], format: ModelFormat, dir: &Path) -> Result<ModelInfo, ModelError> {
    // A GLB is recognised by its magic whatever the extension says.
    let format = if bytes.starts_with(b"glTF") {
        ModelFormat::Glb
    } else {
        format
    };
    if format == ModelFormat::Glb {
        check_glb_container(bytes)?;
    }
    // The model's own JSON, read once here for its resources and summary; `validate` reads it again in full.
    let json = gltf_json(bytes, format).map_err(ModelError::Gltf)?;
    let array = |key: &str| {
        json.get(key)
            .and_then(serde_json::Value::as_array)
            .map_or(&[][..], Vec::as_slice)
    };
    let uri = |v: &serde_json::Value| v.get("uri").and_then(serde_json::Value::as_str).map(str::to_owned);
    let uris: Vec<String> = array("buffers").iter().chain(array("images")).filter_map(uri).collect();
    let mut resources = Vec::new();
    for uri in uris {
        if uri.starts_with("data:") {
            continue;
        }
        let r = resolve(dir, &uri)?;
        if !resources.contains(&r) {
            resources.push(r);
        }
    }
    let strings = |v: Option<&serde_json::Value>| -> Vec<String> {
        v.and_then(serde_json::Value::as_array)
            .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    };
    let summary = ModelSummary {
        meshes: array("meshes").len() as u32,
        primitives: array("meshes")
            .iter()
            .map(|m| {
                m.get("primitives")
                    .and_then(serde_json::Value::as_array)
                    .map_or(0, |p| p.len() as u32)
            })
            .sum(),
        nodes: array("nodes").len() as u32,
        materials: array("materials").len() as u32,
        textures: array("textures").len() as u32,
        resources: resources.iter().map(|r| r.uri.clone()).collect(),
        extensions_required: strings(json.get("extensionsRequired")),
        generator: json
            .get("asset")
            .and_then(|a| a.get("generator"))
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned),
        ..ModelSummary::default()
    };
    Ok(ModelInfo {
        format,
        summary,
        resources,
    })
}

fn inspect_obj(bytes: &[u8], dir: &Path) -> Result<ModelInfo, ModelError> {
    let text = std::str::from_utf8(bytes).map_err(|_| ModelError::NotText)?;
    let mut summary = ModelSummary::default();
    let mut resources: Vec<Resource> = Vec::new();
    let push = |r: Resource, resources: &mut Vec<Resource>| {
        if !resources.contains(&r) {
            resources.push(r);
        }
    };
    let mut objects = 0u32;
    let mut groups = 0u32;
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("mtllib ") {
            let mtl = resolve(dir, rest.trim())?;
            let mtl_text = std::fs::read(&mtl.path).map_err(|source| match source.kind() {
                std::io::ErrorKind::NotFound => ModelError::MissingResource {
                    uri: mtl.uri.clone(),
                    path: mtl.path.clone(),
                },
                _ => ModelError::Io {
                    path: mtl.path.clone(),
                    source,
                },
            })?;
            let mtl_text = String::from_utf8(mtl_text).map_err(|_| ModelError::NotText)?;
            let mtl_dir = mtl.path.parent().unwrap_or(dir).to_owned();
            push(mtl, &mut resources);
            for l in mtl_text.lines() {
                let l = l.trim();
                if l.starts_with("newmtl ") {
                    summary.materials += 1;
                }
                let is_map =
                    l.starts_with("map_") || l.starts_with("bump ") || l.starts_with("disp ") || l.starts_with("norm ");
                if let (true, Some(file)) = (is_map, l.split_whitespace().last()) {
                    // The texture is resolved against the MTL's folder, which lies inside `dir`.
                    let tex = resolve(&mtl_dir, file)?;
                    if !tex.path.starts_with(dir) {
                        return Err(ModelError::Confinement {
                            uri: file.to_owned(),
                            reason: "outside the model's folder",
                        });
                    }
                    summary.textures += 1;
                    push(tex, &mut resources);
                }
            }
        } else if line.starts_with("o ") {
            objects += 1;
        } else if line.starts_with("g ") {
            groups += 1;
        }
    }
    summary.meshes = objects.max(groups).max(1);
    summary.primitives = summary.meshes;
    summary.nodes = summary.meshes;
    summary.resources = resources.iter().map(|r| r.uri.clone()).collect();
    Ok(ModelInfo {
        format: ModelFormat::Obj,
        summary,
        resources,
    })
}

fn inspect_ply(bytes: &[u8], dir: &Path) -> Result<ModelInfo, ModelError> {
    let mut resources = Vec::new();
    for file in ply::texture_files(bytes)? {
        let r = resolve(dir, &file)?;
        if !r.path.is_file() {
            return Err(ModelError::MissingResource {
                uri: r.uri,
                path: r.path,
            });
        }
        if !resources.contains(&r) {
            resources.push(r);
        }
    }
    let summary = ModelSummary {
        meshes: 1,
        primitives: 1,
        nodes: 1,
        materials: 1,
        textures: resources.len() as u32,
        resources: resources.iter().map(|r| r.uri.clone()).collect(),
        ..ModelSummary::default()
    };
    Ok(ModelInfo {
        format: ModelFormat::Ply,
        summary,
        resources,
    })
}

/// Reads the model file at `path` (format from its extension, GLB when it has none of ours) with the files
/// it refers to beside it, and loads it when it has no errors: the scene, or a message naming the file and
/// saying why (it cannot be read, or the report's errors).
pub fn read_scene_file(path: &Path, limits: Limits) -> Result<Scene, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let format = ModelFormat::from_extension(path).unwrap_or(ModelFormat::Glb);
    let name = path.display().to_string();
    let dir = path.parent().unwrap_or(Path::new("."));
    let (report, scene) = read_scene(&bytes, format, &name, dir, limits);
    scene.ok_or_else(|| format!("{name}: {}", report.error_summary()))
}

/// Validates a model and, when it has no errors, loads it. The report always comes back; the scene only
/// when there are no errors. `name` is how the report names the file.
pub fn read_scene(
    bytes: &[u8],
    format: ModelFormat,
    name: &str,
    dir: &Path,
    limits: Limits,
) -> (Report, Option<Scene>) {
    if matches!(format, ModelFormat::Obj | ModelFormat::Ply) && !bytes.starts_with(b"glTF") {
        let (mime, loaded, invalid) = if format == ModelFormat::Obj {
            ("model/obj", obj::load_obj(bytes, dir), "DISAN_OBJ_INVALID")
        } else {
            ("application/ply", ply::load_ply(bytes, dir), "DISAN_PLY_INVALID")
        };
        let mut report = Report::new(name, mime);
        let scene = match loaded {
            Ok(s) => Some(s),
            Err(e) => {
                let code = if matches!(e, ModelError::Confinement { .. }) {
                    "DISAN_URI_OUTSIDE_FOLDER"
                } else {
                    invalid
                };
                report.push(Issue {
                    code: code.into(),
                    message: e.to_string(),
                    severity: Severity::Error,
                    pointer: Some(String::new()),
                    offset: None,
                });
                None
            }
        };
        if let Some(s) = &scene {
            for w in &s.warnings {
                report.push(warning(w));
            }
        }
        return draws_something(report, scene);
    }
    let (mut report, doc) = validate::validate(bytes, name, dir, limits);
    if report.has_errors() {
        return (report, None);
    }
    let Some(mut doc) = doc else { return (report, None) };
    // Draco primitives become plain accessors here: validation (like Khronos's) does not decode them.
    if let Err(e) = draco::expand(&mut doc, limits.max_resource_bytes) {
        report.push(Issue {
            code: "DISAN_DRACO_DECODE_FAILED".into(),
            message: format!("Draco-compressed mesh cannot be decoded: {e}"),
            severity: Severity::Error,
            pointer: Some(String::new()),
            offset: None,
        });
        return (report, None);
    }
    match load::load(&doc) {
        Ok(scene) => {
            for w in &scene.warnings {
                report.push(warning(w));
            }
            draws_something(report, Some(scene))
        }
        Err(e) => {
            report.push(Issue {
                code: "DISAN_LOAD_FAILED".into(),
                message: e,
                severity: Severity::Error,
                pointer: Some(String::new()),
                offset: None,
            });
            (report, None)
        }
    }
}

/// A model whose default scene has no triangles (only points or lines, or nothing) is not an asset:
/// nothing of it would show in any viewer. A valid glTF may be empty; a Disan asset may not.
fn draws_something(mut report: Report, scene: Option<Scene>) -> (Report, Option<Scene>) {
    match scene {
        Some(scene) if scene.triangles() == 0 => {
            report.push(Issue {
                code: NO_TRIANGLES.into(),
                message: "the model draws nothing: its default scene has no triangles (points and lines are \
                          not kept); export the surface as a triangle mesh"
                    .into(),
                severity: Severity::Error,
                pointer: Some(String::new()),
                offset: None,
            });
            (report, None)
        }
        scene => (report, scene),
    }
}

/// The report code of a model with no triangles in its default scene.
pub const NO_TRIANGLES: &str = "DISAN_NO_TRIANGLES";

fn warning(message: &str) -> Issue {
    Issue {
        code: "DISAN_NOT_KEPT".into(),
        message: message.to_owned(),
        severity: Severity::Warning,
        pointer: Some(String::new()),
        offset: None,
    }
}

/// What packaging a model produces.
pub struct Package {
    /// `model.glb`: the whole model, optimised.
    pub model: Vec<u8>,
    /// `(file name, bytes, scene)` per level of detail, finest first.
    pub lods: Vec<(String, Vec<u8>, Scene)>,
    /// The optimised full model.
    pub scene: Scene,
    /// Statistics to merge into the asset's [`ModelSummary`].
    pub triangles: u64,
    pub vertices: u64,
    pub texture_sizes: Vec<[u32; 2]>,
    pub gpu_bytes: u64,
    pub bounds: Option<[[f32; 3]; 2]>,
    pub lod_summaries: Vec<LodSummary>,
}

/// Optimises the scene, writes it as one GLB and simplifies it into [`LOD_TARGETS`] with textures
/// reduced for each level.
pub fn package(mut scene: Scene, generator: &str) -> Result<Package, textures::TextureError> {
    lod::optimize(&mut scene);
    let model = write::write_glb(&scene, generator);
    let mut lods = Vec::new();
    let mut lod_summaries = Vec::new();
    for target in LOD_TARGETS {
        let (mut lod_scene, stats) = lod::simplify(&scene, target.ratio, target.max_error);
        lod_scene.images = {
            use rayon::prelude::*;
            lod_scene
                .images
                .par_iter()
                .map(|img| textures::shrink(img, target.texture_side_for(img.width, img.height)))
                .collect::<Result<Vec<_>, _>>()?
        };
        let bytes = write::write_glb(&lod_scene, generator);
        lod_summaries.push(LodSummary {
            file: format!("{}.glb", target.name),
            target_ratio: target.ratio,
            max_error: target.max_error,
            triangles: lod_scene.triangles(),
            vertices: lod_scene.vertices(),
            error: stats.error,
            texture_side: lod_scene
                .images
                .iter()
                .map(|i| i.width.max(i.height))
                .max()
                .unwrap_or(0),
            bytes: bytes.len() as u64,
        });
        lods.push((format!("{}.glb", target.name), bytes, lod_scene));
    }
    let texture_sizes: Vec<[u32; 2]> = scene.images.iter().map(|i| [i.width, i.height]).collect();
    Ok(Package {
        triangles: scene.triangles(),
        vertices: scene.vertices(),
        gpu_bytes: gpu_bytes(&scene),
        bounds: scene.bounds().map(|(a, b)| [a, b]),
        texture_sizes,
        model,
        lods,
        scene,
        lod_summaries,
    })
}

/// Vertex buffers (only the attributes present), index buffers, and textures as RGBA8 with a full mip
/// chain (4/3 of the top level).
pub fn gpu_bytes(scene: &Scene) -> u64 {
    let mut total = 0u64;
    for p in scene.meshes.iter().flat_map(|m| &m.primitives) {
        let a = p.attributes;
        let stride = 12
            + if a.normal { 12 } else { 0 }
            + if a.uv0 { 8 } else { 0 }
            + if a.uv1 { 8 } else { 0 }
            + if a.color { 16 } else { 0 }
            + if a.tangent { 16 } else { 0 };
        let index = if p.vertices.len() <= 65535 { 2 } else { 4 };
        total += p.vertices.len() as u64 * stride + p.indices.len() as u64 * index;
    }
    for i in &scene.images {
        total += u64::from(i.width) * u64::from(i.height) * 4 * 4 / 3;
    }
    total
}

const GLB_JSON: u32 = 0x4E4F_534A;
const GLB_BIN: u32 = 0x004E_4942;

/// Checks a GLB header and chunk lengths against the bytes, before any parser trusts them.
pub fn check_glb_container(bytes: &[u8]) -> Result<(), ModelError> {
    let bad = |m: String| Err(ModelError::Glb(m));
    let u32_at = |o: usize| {
        bytes
            .get(o..o + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    if bytes.len() < 20 || !bytes.starts_with(b"glTF") {
        return bad(format!(
            "{} bytes, too short for a GLB header and JSON chunk",
            bytes.len()
        ));
    }
    let version = u32_at(4).unwrap_or(0);
    if version != 2 {
        return bad(format!("version {version}, only glTF 2.0 is read"));
    }
    let length = u32_at(8).unwrap_or(0) as usize;
    if length > bytes.len() {
        return bad(format!(
            "header says {length} bytes but the file has {} (truncated?)",
            bytes.len()
        ));
    }
    if length < 20 {
        return bad(format!("header length {length} is smaller than a header and one chunk"));
    }
    let mut offset = 12;
    let mut index = 0;
    while offset < length {
        let (Some(chunk_len), Some(chunk_type)) = (u32_at(offset), u32_at(offset + 4)) else {
            return bad(format!("chunk {index} header at byte {offset} runs past the end"));
        };
        let end = offset as u64 + 8 + u64::from(chunk_len);
        if end > length as u64 {
            return bad(format!(
                "chunk {index} claims {chunk_len} bytes, past the {length}-byte file"
            ));
        }
        match (index, chunk_type) {
            (0, GLB_JSON) | (1, GLB_BIN) => {}
            (0, t) => return bad(format!("first chunk has type 0x{t:08X}, not JSON")),
            (1, GLB_JSON) => return bad("a second JSON chunk".into()),
            _ => {} // unknown chunks after the first two are allowed and skipped
        }
        offset = end as usize;
        index += 1;
    }
    Ok(())
}

/// The JSON of a glTF (the whole file) or a GLB (its first chunk, the container already checked): an object,
/// or why not.
fn gltf_json(bytes: &[u8], format: ModelFormat) -> Result<serde_json::Value, String> {
    let text = match format {
        ModelFormat::Glb => {
            let len = u32::from_le_bytes(bytes[12..16].try_into().expect("4 bytes")) as usize;
            &bytes[20..20 + len]
        }
        _ => bytes,
    };
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    match serde_json::from_slice::<serde_json::Value>(text) {
        Ok(v) if v.is_object() => Ok(v),
        Ok(_) => Err("the JSON is not an object".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// Resolves a relative URI inside `dir`. Remote URLs, absolute paths and any `..` are refused.
pub fn resolve(dir: &Path, uri: &str) -> Result<Resource, ModelError> {
    let refuse = |reason| {
        Err(ModelError::Confinement {
            uri: uri.to_owned(),
            reason,
        })
    };
    if uri.starts_with(':') {
        return refuse("not a file name");
    }
    if let Some(colon) = uri.find(':') {
        let scheme = &uri[..colon];
        if scheme.len() > 1 && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
            return refuse("a URL; only files beside the model are read");
        }
        return refuse("an absolute path");
    }
    let decoded = percent_encoding::percent_decode_str(uri).decode_utf8_lossy();
    if decoded.is_empty() || decoded.starts_with('\\') || decoded.contains("\\..") {
        return refuse("an absolute or escaping path");
    }
    let path = disan_fs::confine(dir, &decoded).map_err(|e| ModelError::Confinement {
        uri: uri.to_owned(),
        reason: match e {
            disan_fs::FsError::Confined { reason, .. } if reason.contains("`..`") => {
                "it leaves the model's folder (`..`)"
            }
            disan_fs::FsError::Confined { reason, .. } => reason,
            disan_fs::FsError::Io { .. } => "it cannot be read",
        },
    })?;
    Ok(Resource {
        uri: uri.to_owned(),
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glb_lengths_that_lie_are_refused() {
        let mut glb = b"glTF".to_vec();
        glb.extend_from_slice(&2u32.to_le_bytes());
        glb.extend_from_slice(&28u32.to_le_bytes());
        glb.extend_from_slice(&8u32.to_le_bytes());
        glb.extend_from_slice(&GLB_JSON.to_le_bytes());
        glb.extend_from_slice(b"{}      ");
        assert!(check_glb_container(&glb).is_ok());
        let mut lying = glb.clone();
        lying[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(check_glb_container(&lying), Err(ModelError::Glb(_))));
        let mut long = glb.clone();
        long[8..12].copy_from_slice(&1000u32.to_le_bytes());
        assert!(check_glb_container(&long).is_err());
        assert!(check_glb_container(&glb[..15]).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_texture_outside_the_folder_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("relic");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(tmp.path().join("secret.png"), b"not yours").unwrap();
        std::fs::write(dir.join("inside.png"), b"png").unwrap();
        std::os::unix::fs::symlink(tmp.path().join("secret.png"), dir.join("texture.png")).unwrap();
        std::os::unix::fs::symlink("inside.png", dir.join("alias.png")).unwrap();
        let gltf = r#"{"asset":{"version":"2.0"},"images":[{"uri":"texture.png"}]}"#;
        let refused = inspect(gltf.as_bytes(), ModelFormat::Gltf, &dir).unwrap_err();
        assert!(
            matches!(&refused, ModelError::Confinement { uri, reason } if uri == "texture.png" && reason.contains("symbolic link")),
            "{refused}"
        );
        // A link that stays inside the folder is a resource like any other.
        let ok = r#"{"asset":{"version":"2.0"},"images":[{"uri":"alias.png"}]}"#;
        let info = inspect(ok.as_bytes(), ModelFormat::Gltf, &dir).unwrap();
        assert_eq!(info.summary.resources, ["alias.png"]);
    }

    #[test]
    fn confinement() {
        let dir = Path::new("/models/relic");
        assert_eq!(resolve(dir, "tex/a%20b.png").unwrap().path, dir.join("tex/a b.png"));
        for bad in [
            "../secret.bin",
            "a/../../x",
            "/etc/passwd",
            "http://example.com/x.bin",
            "file:///etc/passwd",
            "C:/x.bin",
            "%2e%2e/x",
            "",
        ] {
            assert!(
                matches!(resolve(dir, bad), Err(ModelError::Confinement { .. })),
                "{bad}"
            );
        }
    }
}
