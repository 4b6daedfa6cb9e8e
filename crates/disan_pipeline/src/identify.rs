//! Which candidates need work: the quick unchanged check (path, size, modification time), else a BLAKE3 hash
//! of the file and every resource a model references.

use std::collections::HashMap;
use std::path::Path;

use disan_catalog::SourceFileRecord;
use disan_core::{AssetId, SETTINGS_VERSION, Settings};

use crate::job::Hashed;
use crate::report::{FileReport, Outcome};
use crate::scan::Candidate;

pub(crate) enum Identified {
    /// Settled without hashing (unchanged by size and time) or failed.
    Done(FileReport),
    Hashed(Hashed),
}

fn failed(c: &Candidate, reason: impl Into<String>) -> FileReport {
    FileReport::new(c.display.clone(), c.size, Outcome::Failed { reason: reason.into() })
}

/// What the catalogue knew at the start of the run.
pub(crate) struct Known<'a> {
    pub files: HashMap<String, SourceFileRecord>,
    pub assets: HashMap<String, u32>,
    pub store: &'a disan_store::Store,
}

impl Known<'_> {
    /// The asset is in the catalogue, made with the current settings, and its folder is complete on disk
    /// (`asset.json` is the last file moved into place): nothing to do. A folder deleted or damaged by hand
    /// is made again.
    pub fn complete(&self, id: &str) -> bool {
        // A store that cannot be asked is taken as missing the asset: making it again reports the reason.
        self.assets.get(id) == Some(&SETTINGS_VERSION) && self.store.has_asset(id).unwrap_or(false)
    }
}

/// The quick unchanged check (same path, size and modification time as an asset made with the current
/// settings), else a BLAKE3 hash of the content.
pub(crate) fn identify(c: Candidate, known: &Known, settings: &Settings) -> Identified {
    if let Some(rec) = known.files.get(&c.key)
        && rec.size == c.size
        && rec.mtime_ns == c.mtime_ns
        && rec.settings_version == SETTINGS_VERSION
        && known.complete(&rec.asset_id)
    {
        let id = rec.asset_id.clone();
        return Identified::Done(FileReport::new(c.display, c.size, Outcome::Unchanged { asset_id: id }));
    }
    if c.size > settings.max_file_bytes {
        return Identified::Done(failed(
            &c,
            format!(
                "file is {} bytes, more than the {}-byte limit (raise --max-file-mib)",
                c.size, settings.max_file_bytes
            ),
        ));
    }
    let mut hasher = blake3::Hasher::new();
    let mut total = 0u64;
    match hash_file(&c.path, &mut hasher) {
        Ok(n) => total += n,
        Err(e) => return Identified::Done(failed(&c, format!("cannot read: {e}"))),
    }
    // A model's identity covers every resource it references, in order.
    match &c.model {
        Some(Err(reason)) => return Identified::Done(failed(&c, format!("model unreadable: {reason}"))),
        Some(Ok(info)) => {
            for r in &info.resources {
                match hash_file(&r.path, &mut hasher) {
                    Ok(n) => total += n,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        return Identified::Done(failed(
                            &c,
                            format!(
                                "model resource {:?} is missing ({}): copy it next to the model",
                                r.uri,
                                r.path.display()
                            ),
                        ));
                    }
                    Err(e) => {
                        return Identified::Done(failed(&c, format!("cannot read model resource {:?}: {e}", r.uri)));
                    }
                }
            }
        }
        None => {}
    }
    let digest = hasher.finalize();
    Identified::Hashed(Hashed {
        id: AssetId::from_digest(digest.as_bytes()),
        blake3: digest.to_hex().to_string(),
        total_bytes: total,
        candidate: c,
    })
}

/// Hashes a file read 256 KiB at a time: `std::io::copy`'s own 8 KiB reads cost a system call each and hand
/// BLAKE3 too little to hash 16 chunks at once with AVX-512 (`copy` uses a `BufReader`'s buffer as it is).
fn hash_file(path: &Path, hasher: &mut blake3::Hasher) -> std::io::Result<u64> {
    let file = std::fs::File::open(path)?;
    std::io::copy(&mut std::io::BufReader::with_capacity(256 << 10, file), hasher)
}
