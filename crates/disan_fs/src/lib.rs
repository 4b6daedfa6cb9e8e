//! How Disan writes files and which paths it reads: one durable atomic file write, one atomic folder swap,
//! and one confinement rule for paths that come from untrusted files (model URIs, manifests).

use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// What went wrong, with the path it went wrong on.
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// A path from a file that would leave the folder it is relative to.
    #[error("{path:?} is refused: {reason}")]
    Confined { path: String, reason: &'static str },
}

impl FsError {
    /// An IO error on `path`.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> FsError {
        let path = path.into();
        move |source| FsError::Io { path, source }
    }
}

pub type Result<T, E = FsError> = std::result::Result<T, E>;

/// A name no other writer of this process uses at the same time: `.<name>.<what>-<pid>-<n>`.
fn sibling(path: &Path, what: &str) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.{what}-{}-{n}", std::process::id()))
}

fn parent_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Flushes a folder's entries (a rename inside it) to disk. Some file systems cannot open a folder for
/// this; the rename has happened all the same, so that is not an error.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Replaces `path` with `bytes` durably: a temporary file in the same folder (created if needed) is written
/// and flushed, renamed over `path`, and the folder is flushed. A reader sees the old file or the new one,
/// never part of one; after a crash, one of the two is on disk. On failure the temporary file is removed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = parent_of(path);
    std::fs::create_dir_all(dir).map_err(FsError::io(dir))?;
    let tmp = sibling(path, "tmp");
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(source) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(FsError::Io {
            path: path.to_owned(),
            source,
        });
    }
    sync_dir(dir);
    Ok(())
}

/// Moves the complete folder `fresh` to `dest`. An existing `dest` is first renamed to `old` (which must be
/// on the same file system and not exist), then removed once `fresh` is in place; the parent is flushed.
pub fn swap_in(fresh: &Path, dest: &Path, old: &Path) -> Result<()> {
    if dest.exists() {
        std::fs::rename(dest, old).map_err(FsError::io(dest))?;
        std::fs::rename(fresh, dest).map_err(FsError::io(dest))?;
        let _ = std::fs::remove_dir_all(old);
    } else {
        std::fs::rename(fresh, dest).map_err(FsError::io(dest))?;
    }
    sync_dir(parent_of(dest));
    Ok(())
}

/// Writes the folder `out` whole: `fill` writes into an empty folder beside `out`, which is then swapped in
/// for `out` ([`swap_in`]). When `fill` fails, its folder is removed and `out` is left as it was. Returns
/// what `fill` returns.
pub fn replace_dir<T, E: From<FsError>>(out: &Path, fill: impl FnOnce(&Path) -> Result<T, E>) -> Result<T, E> {
    let parent = parent_of(out);
    std::fs::create_dir_all(parent).map_err(FsError::io(parent))?;
    let partial = sibling(out, "partial");
    std::fs::create_dir_all(&partial).map_err(FsError::io(&partial))?;
    let value = match fill(&partial) {
        Ok(v) => v,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&partial);
            return Err(e);
        }
    };
    let old = sibling(out, "old");
    if let Err(e) = swap_in(&partial, out, &old) {
        let _ = std::fs::remove_dir_all(&partial);
        return Err(e.into());
    }
    Ok(value)
}

/// Writes `bytes` to `path` inside a folder being filled (staging, [`replace_dir`]): parent folders are
/// created and nothing is renamed, since the whole folder is swapped in once complete. `sync` flushes the
/// file (a staged asset must be on disk before its catalogue row is).
pub fn write_new(path: &Path, bytes: &[u8], sync: bool) -> Result<()> {
    let dir = parent_of(path);
    std::fs::create_dir_all(dir).map_err(FsError::io(dir))?;
    (|| {
        let mut f = std::fs::File::create(path)?;
        f.write_all(bytes)?;
        if sync {
            f.sync_all()?;
        }
        Ok(())
    })()
    .map_err(FsError::io(path))
}

/// Copies the folder tree `from` into `to` (created), hard-linking each file where the file system allows
/// (tiles never change in place, so a link is as good as a copy) and copying it otherwise. Symlinks and
/// other special files are left out. Returns the files placed.
pub fn link_or_copy_tree(from: &Path, to: &Path) -> Result<u64> {
    std::fs::create_dir_all(to).map_err(FsError::io(to))?;
    let mut files = 0;
    for entry in std::fs::read_dir(from).map_err(FsError::io(from))? {
        let entry = entry.map_err(FsError::io(from))?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type().map_err(FsError::io(&src))?;
        if kind.is_dir() {
            files += link_or_copy_tree(&src, &dst)?;
        } else if kind.is_file() {
            if std::fs::hard_link(&src, &dst).is_err() {
                std::fs::copy(&src, &dst).map_err(FsError::io(&src))?;
            }
            files += 1;
        }
    }
    Ok(files)
}

/// The lexical half of the confinement rule: `rel` is relative and made only of plain names (`.` allowed),
/// with no `..`, root, drive prefix, backslash or NUL. A tampered file naming `../../etc/passwd` or
/// `/etc/passwd` is refused before anything is opened.
pub fn plain_relative(rel: &str) -> Result<&Path> {
    let refuse = |reason| {
        Err(FsError::Confined {
            path: rel.to_owned(),
            reason,
        })
    };
    if rel.is_empty() {
        return refuse("empty");
    }
    if rel.contains('\0') {
        return refuse("it contains a NUL character");
    }
    if rel.contains('\\') {
        return refuse("it contains a backslash (an absolute or escaping Windows path)");
    }
    let path = Path::new(rel);
    let mut names = 0;
    for c in path.components() {
        match c {
            Component::Normal(_) => names += 1,
            Component::CurDir => {}
            Component::ParentDir => return refuse("it leaves its folder (`..`)"),
            Component::RootDir | Component::Prefix(_) => return refuse("an absolute path"),
        }
    }
    if names == 0 {
        return refuse("it names no file");
    }
    Ok(path)
}

/// The confinement rule: `rel` joined to `base`, if it passes [`plain_relative`] and no existing part of it
/// is a symlink that resolves outside `base` (or nowhere). What does not exist yet cannot escape, so it is
/// allowed: the caller's open fails on its own. For many paths under one base, use a [`Root`].
pub fn confine(base: &Path, rel: &str) -> Result<PathBuf> {
    Root::new(base).confine(rel)
}

/// A folder paths are confined to, with its canonical form resolved once for all of them.
pub struct Root {
    base: PathBuf,
    /// `None` when the folder does not exist: nothing under it can escape.
    canonical: Option<PathBuf>,
}

impl Root {
    pub fn new(base: &Path) -> Self {
        Self {
            base: base.to_owned(),
            canonical: base.canonicalize().ok(),
        }
    }

    /// [`confine`] under this root.
    pub fn confine(&self, rel: &str) -> Result<PathBuf> {
        let relative = plain_relative(rel)?;
        let joined = self.base.join(relative);
        let Some(canonical_base) = &self.canonical else {
            return Ok(joined);
        };
        let mut at = self.base.clone();
        for c in relative.components() {
            at.push(c);
            match std::fs::symlink_metadata(&at) {
                Ok(m) if m.file_type().is_symlink() => {
                    let inside = at.canonicalize().is_ok_and(|t| t.starts_with(canonical_base));
                    if !inside {
                        return Err(FsError::Confined {
                            path: rel.to_owned(),
                            reason: "a symbolic link that leads out of its folder",
                        });
                    }
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        Ok(joined)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths_pass() {
        for ok in ["thumb.jpg", "pano/config.json", "./iiif/info.json", "a/b/c.png"] {
            assert!(plain_relative(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            ".",
            "/etc/passwd",
            "../secret",
            "pano/../../x",
            "a\\..\\b",
            "nul\0.jpg",
            "C:\\x",
        ] {
            assert!(matches!(plain_relative(bad), Err(FsError::Confined { .. })), "{bad:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_out_of_the_folder_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().join("model");
        std::fs::create_dir_all(base.join("tex")).unwrap();
        std::fs::write(tmp.path().join("secret.png"), b"x").unwrap();
        std::fs::write(base.join("tex/a.png"), b"x").unwrap();
        std::os::unix::fs::symlink(tmp.path().join("secret.png"), base.join("out.png")).unwrap();
        std::os::unix::fs::symlink(tmp.path(), base.join("up")).unwrap();
        std::os::unix::fs::symlink("tex/a.png", base.join("in.png")).unwrap();
        std::os::unix::fs::symlink("nowhere.png", base.join("dangling.png")).unwrap();
        assert_eq!(confine(&base, "tex/a.png").unwrap(), base.join("tex/a.png"));
        assert_eq!(confine(&base, "in.png").unwrap(), base.join("in.png"));
        assert_eq!(confine(&base, "missing.png").unwrap(), base.join("missing.png"));
        for bad in ["out.png", "up/secret.png", "dangling.png"] {
            let err = confine(&base, bad).unwrap_err().to_string();
            assert!(err.contains("symbolic link"), "{bad}: {err}");
        }
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary_file() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("sub/a.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(tmp.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["a.json"]);
        // A target that cannot be replaced (a folder) fails and leaves no temporary file behind.
        std::fs::create_dir_all(tmp.path().join("d/x")).unwrap();
        std::fs::write(tmp.path().join("d/x/f"), b"").unwrap();
        assert!(write_atomic(&tmp.path().join("d/x"), b"y").is_err());
        assert_eq!(std::fs::read_dir(tmp.path().join("d")).unwrap().count(), 1);
    }

    #[test]
    fn a_failed_folder_fill_leaves_the_old_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("export");
        replace_dir(&out, |d| write_new(&d.join("a"), b"1", false)).unwrap();
        let failed: Result<()> = replace_dir(&out, |d| {
            write_new(&d.join("b"), b"2", false)?;
            Err(FsError::Confined {
                path: "x".into(),
                reason: "test",
            })
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read(out.join("a")).unwrap(), b"1");
        assert!(!out.join("b").exists());
        replace_dir(&out, |d| write_new(&d.join("b"), b"2", false)).unwrap();
        assert!(!out.join("a").exists());
        assert_eq!(
            std::fs::read_dir(tmp.path()).unwrap().count(),
            1,
            "no partial or old folder left"
        );
    }
}
