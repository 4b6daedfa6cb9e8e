//! 3D models: glTF / GLB / OBJ reading, the resources a model references (confined to its folder), and
//! a summary of what it holds.
//!
//! Entry points take bytes plus the model's folder (for resources); [`read_model`] is the path twin.

use std::path::{Component, Path, PathBuf};

use disan_core::ModelSummary;

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
}

/// Model container formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelFormat {
    Glb,
    Gltf,
    Obj,
}

impl ModelFormat {
    /// From a file extension (case-insensitive).
    pub fn from_extension(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "glb" => Some(Self::Glb),
            "gltf" => Some(Self::Gltf),
            "obj" => Some(Self::Obj),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Glb => "glb",
            Self::Gltf => "gltf",
            Self::Obj => "obj",
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
    let gltf = gltf::Gltf::from_slice_without_validation(bytes).map_err(|e| ModelError::Gltf(e.to_string()))?;
    let doc = &gltf.document;
    let mut uris = Vec::new();
    for buffer in doc.buffers() {
        if let gltf::buffer::Source::Uri(uri) = buffer.source() {
            uris.push(uri.to_owned());
        }
    }
    for image in doc.images() {
        if let gltf::image::Source::Uri { uri, .. } = image.source() {
            uris.push(uri.to_owned());
        }
    }
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
    let json = doc.as_json();
    let summary = ModelSummary {
        meshes: doc.meshes().len() as u32,
        primitives: doc.meshes().map(|m| m.primitives().len() as u32).sum(),
        nodes: doc.nodes().len() as u32,
        materials: doc.materials().len() as u32,
        textures: doc.textures().len() as u32,
        resources: resources.iter().map(|r| r.uri.clone()).collect(),
        extensions_required: json.extensions_required.clone(),
        generator: json.asset.generator.clone(),
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
    let decoded = percent_decode(uri);
    if decoded.contains('\0') {
        return refuse("contains a NUL character");
    }
    let rel = Path::new(&decoded);
    for c in rel.components() {
        match c {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => return refuse("it leaves the model's folder (`..`)"),
            Component::RootDir | Component::Prefix(_) => return refuse("an absolute path"),
        }
    }
    if decoded.is_empty() || decoded.starts_with('\\') || decoded.contains("\\..") {
        return refuse("an absolute or escaping path");
    }
    Ok(Resource {
        uri: uri.to_owned(),
        path: dir.join(rel),
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(v) = u8::from_str_radix(hex, 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
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
