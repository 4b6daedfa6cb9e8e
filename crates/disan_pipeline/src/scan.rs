//! Finding the candidate files under the inputs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use disan_model::{ModelFormat, ModelInfo};

use crate::report::{FileReport, Outcome};

/// Extensions taken as captures when a folder is scanned (case-insensitive). Files named explicitly
/// on the command line are always tried, whatever their extension.
pub const CAPTURE_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "jpe", "png", "tif", "tiff", "webp", "heic", "heif", "avif", "dng", "bmp", "gif", "glb", "gltf",
    "obj", "ply",
];

/// A file to identify.
#[derive(Debug)]
pub(crate) struct Candidate {
    pub path: PathBuf,
    /// The path as reported to people (as reached from the inputs they gave).
    pub display: String,
    /// Canonical absolute path: the key of the quick unchanged check.
    pub key: String,
    pub size: u64,
    pub mtime_ns: i64,
    /// For model files: what inspecting them found (resources), or why it failed.
    pub model: Option<Result<ModelInfo, String>>,
}

pub(crate) struct Plan {
    pub candidates: Vec<Candidate>,
    pub ignored: Vec<FileReport>,
    pub bytes: u64,
}

pub(crate) fn scan(inputs: &[PathBuf], collection: &Path) -> Plan {
    let collection = collection.canonicalize().unwrap_or_else(|_| collection.to_owned());
    // BTreeMap by canonical path: each file once, in a stable order, even if inputs overlap.
    let mut found: BTreeMap<PathBuf, (PathBuf, bool)> = BTreeMap::new();
    let mut ignored = Vec::new();
    for input in inputs {
        if input.is_file() {
            let canon = input.canonicalize().unwrap_or_else(|_| input.clone());
            found.entry(canon).or_insert((input.clone(), true));
            continue;
        }
        let walker = walkdir::WalkDir::new(input)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter();
        let walker = walker.filter_entry(|e| {
            let hidden = e.depth() > 0 && e.file_name().to_string_lossy().starts_with('.');
            let is_collection = e.file_type().is_dir() && e.path().canonicalize().is_ok_and(|c| c == collection);
            !hidden && !is_collection
        });
        for entry in walker {
            match entry {
                Ok(e) if e.file_type().is_file() => {
                    let canon = e.path().canonicalize().unwrap_or_else(|_| e.path().to_owned());
                    found.entry(canon).or_insert((e.path().to_owned(), false));
                }
                Ok(_) => {}
                Err(err) => {
                    let path = err.path().map(display).unwrap_or_else(|| display(input));
                    ignored.push(FileReport::new(
                        path,
                        0,
                        Outcome::Failed {
                            reason: format!("cannot read folder entry: {err}"),
                        },
                    ));
                }
            }
        }
    }

    // Inspect models first: the files they reference are part of them, not captures of their own.
    let mut resources: BTreeMap<PathBuf, String> = BTreeMap::new();
    let mut models: BTreeMap<PathBuf, Result<ModelInfo, String>> = BTreeMap::new();
    for (canon, (path, _)) in &found {
        if let Some(format) = ModelFormat::from_extension(path) {
            let dir = path.parent().unwrap_or(Path::new("."));
            let info = std::fs::read(path)
                .map_err(|e| format!("cannot read: {e}"))
                .and_then(|bytes| {
                    crate::guard(|| disan_model::inspect(&bytes, format, dir).map_err(|e| e.to_string()))
                });
            if let Ok(info) = &info {
                for r in &info.resources {
                    let rc = r.path.canonicalize().unwrap_or_else(|_| r.path.clone());
                    resources.entry(rc).or_insert_with(|| display(path));
                }
            }
            models.insert(canon.clone(), info);
        }
    }

    let mut candidates = Vec::new();
    let mut bytes = 0;
    for (canon, (path, explicit)) in found {
        let shown = display(&path);
        if let Some(model) = resources.get(&canon) {
            ignored.push(FileReport::new(
                shown,
                0,
                Outcome::Ignored {
                    reason: format!("resource of model {model}"),
                },
            ));
            continue;
        }
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        if ext == "xmp" && !explicit {
            continue; // sidecars are read with their image
        }
        if !explicit && !CAPTURE_EXTENSIONS.contains(&ext.as_str()) {
            ignored.push(FileReport::new(
                shown,
                0,
                Outcome::Ignored {
                    reason: "not a capture file type".into(),
                },
            ));
            continue;
        }
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                ignored.push(FileReport::new(
                    shown,
                    0,
                    Outcome::Failed {
                        reason: format!("cannot read: {e}"),
                    },
                ));
                continue;
            }
        };
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as i64);
        bytes += meta.len();
        let model = models.remove(&canon);
        candidates.push(Candidate {
            key: canon.to_string_lossy().into_owned(),
            path,
            display: shown,
            size: meta.len(),
            mtime_ns,
            model,
        });
    }
    Plan {
        candidates,
        ignored,
        bytes,
    }
}

pub(crate) fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}
