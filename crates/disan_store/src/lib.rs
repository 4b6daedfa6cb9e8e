//! Where a collection's asset files live: under `assets/` in the collection folder (the default), or in an
//! S3-compatible bucket (`s3://BUCKET/PREFIX`, any endpoint that speaks S3 with SigV4).
//!
//! An object store has no rename, so an asset is made atomic by order: every file of the asset is uploaded,
//! then its `asset.json`, then (by the caller) its catalogue row. Readers trust only committed rows, and an
//! asset whose `asset.json` is missing is not there. Readers that want files on disk (the website build,
//! the viewer) mirror committed assets into the collection folder first ([`Store::mirror`]).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use rusty_s3::Credentials;
use rusty_s3::actions::{ListObjectsV2, S3Action};
use rusty_s3::{Bucket, UrlStyle};

/// The folder of asset folders, locally and under the bucket prefix.
pub const ASSETS_DIR: &str = "assets";
/// The file written last, whose presence makes an asset complete.
pub const MANIFEST: &str = "asset.json";
/// How long a signed request stays valid.
const SIGNED_FOR: Duration = Duration::from_secs(3600);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Config(String),
    #[error("object store {url}: {reason}")]
    Remote { url: String, reason: String },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Fs(#[from] disan_fs::FsError),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Where the asset files of a collection are.
pub enum Store {
    /// `<collection>/assets/<id>/…`
    Local(PathBuf),
    /// `s3://bucket/prefix/assets/<id>/…`
    S3(Box<S3Store>),
}

impl Store {
    /// The store of the collection at `dir`: its own folder, or the bucket `(s3://…, endpoint, region)`
    /// (key and secret from the environment).
    pub fn open(dir: &Path, s3: Option<(&str, &str, &str)>) -> Result<Self> {
        Ok(match s3 {
            None => Store::Local(dir.to_owned()),
            Some((url, endpoint, region)) => Store::S3(Box::new(S3Store::open(url, endpoint, region)?)),
        })
    }

    /// Whether the asset's folder is complete (its `asset.json` is there).
    pub fn has_asset(&self, id: &str) -> Result<bool> {
        match self {
            Store::Local(dir) => Ok(dir.join(ASSETS_DIR).join(id).join(MANIFEST).is_file()),
            Store::S3(s3) => Ok(s3.get(&format!("{ASSETS_DIR}/{id}/{MANIFEST}"))?.is_some()),
        }
    }

    /// Brings the committed assets `ids` into `<collection>/assets/` (nothing to do for a local store);
    /// returns how many were downloaded.
    pub fn mirror(&self, ids: &[String], collection: &Path) -> Result<u64> {
        match self {
            Store::Local(_) => Ok(0),
            Store::S3(s3) => {
                let dest = collection.join(ASSETS_DIR);
                let mut n = 0;
                for id in ids {
                    n += u64::from(s3.mirror_asset(id, &dest)?);
                }
                Ok(n)
            }
        }
    }

    /// A short description for messages: the folder, or the bucket URL.
    pub fn describe(&self) -> String {
        match self {
            Store::Local(dir) => dir.join(ASSETS_DIR).display().to_string(),
            Store::S3(s3) => s3.describe(),
        }
    }
}

/// An S3-compatible bucket and a key prefix.
pub struct S3Store {
    bucket: Bucket,
    credentials: Credentials,
    /// Key prefix without leading or trailing slash (may be empty).
    prefix: String,
    url: String,
    agent: ureq::Agent,
}

impl std::fmt::Debug for S3Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Store")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Splits `s3://bucket/prefix` into the bucket and the prefix.
pub fn parse_s3_url(url: &str) -> Result<(String, String)> {
    let rest = url
        .strip_prefix("s3://")
        .ok_or_else(|| StoreError::Config(format!("{url:?} is not an s3://BUCKET/PREFIX address")))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(StoreError::Config(format!("{url:?} names no bucket")));
    }
    Ok((bucket.to_owned(), prefix.trim_matches('/').to_owned()))
}

impl S3Store {
    /// Opens `s3://bucket/prefix` at `endpoint` (`https://s3.example.com`, path-style requests) in `region`,
    /// with the key and secret from `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (never from files).
    pub fn open(url: &str, endpoint: &str, region: &str) -> Result<Self> {
        let credentials = Credentials::from_env().ok_or_else(|| {
            StoreError::Config(format!(
                "{url}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to the object store's key and secret"
            ))
        })?;
        Self::open_with(url, endpoint, region, credentials)
    }

    /// As [`Self::open`], with the key and secret given.
    pub fn open_with(url: &str, endpoint: &str, region: &str, credentials: Credentials) -> Result<Self> {
        let (name, prefix) = parse_s3_url(url)?;
        let endpoint: url::Url = endpoint
            .parse()
            .map_err(|e| StoreError::Config(format!("endpoint {endpoint:?}: {e}")))?;
        let bucket = Bucket::new(endpoint, UrlStyle::Path, name, region.to_owned())
            .map_err(|e| StoreError::Config(format!("bucket in {url:?}: {e}")))?;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(600)))
            .build()
            .into();
        Ok(Self {
            bucket,
            credentials,
            prefix,
            url: url.trim_end_matches('/').to_owned(),
            agent,
        })
    }

    pub fn describe(&self) -> String {
        format!("{} at {}", self.url, self.bucket.base_url())
    }

    fn key(&self, rel: &str) -> String {
        if self.prefix.is_empty() {
            rel.to_owned()
        } else {
            format!("{}/{rel}", self.prefix)
        }
    }

    fn remote(&self, reason: impl std::fmt::Display) -> StoreError {
        StoreError::Remote {
            url: self.url.clone(),
            reason: reason.to_string(),
        }
    }

    fn check(
        &self,
        what: &str,
        mut resp: ureq::http::Response<ureq::Body>,
    ) -> Result<ureq::http::Response<ureq::Body>> {
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let body = resp.body_mut().read_to_string().unwrap_or_default();
        let code = body
            .split("<Code>")
            .nth(1)
            .and_then(|s| s.split("</Code>").next())
            .unwrap_or("");
        Err(self.remote(format!("{what}: HTTP {status} {code}")))
    }

    /// Creates the bucket if it does not exist (for a new deployment or a test server).
    pub fn ensure_bucket(&self) -> Result<()> {
        let head = self.bucket.head_bucket(Some(&self.credentials)).sign(SIGNED_FOR);
        let resp = self.agent.head(head.as_str()).call().map_err(|e| self.remote(e))?;
        if resp.status().is_success() {
            return Ok(());
        }
        let create = self.bucket.create_bucket(&self.credentials);
        let url = create.sign(SIGNED_FOR);
        let resp = self
            .agent
            .put(url.as_str())
            .send(create.body())
            .map_err(|e| self.remote(e))?;
        self.check("create bucket", resp).map(drop)
    }

    /// Uploads `bytes` to `rel` under the prefix.
    pub fn put(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        let url = self
            .bucket
            .put_object(Some(&self.credentials), &self.key(rel))
            .sign(SIGNED_FOR);
        let resp = self.agent.put(url.as_str()).send(bytes).map_err(|e| self.remote(e))?;
        self.check(&format!("upload {rel}"), resp).map(drop)
    }

    /// The object at `rel`, or `None` when there is none.
    pub fn get(&self, rel: &str) -> Result<Option<Vec<u8>>> {
        let url = self
            .bucket
            .get_object(Some(&self.credentials), &self.key(rel))
            .sign(SIGNED_FOR);
        let resp = self.agent.get(url.as_str()).call().map_err(|e| self.remote(e))?;
        if resp.status() == 404 {
            return Ok(None);
        }
        let mut resp = self.check(&format!("download {rel}"), resp)?;
        let mut bytes = Vec::new();
        resp.body_mut()
            .as_reader()
            .read_to_end(&mut bytes)
            .map_err(|e| self.remote(format!("download {rel}: {e}")))?;
        Ok(Some(bytes))
    }

    /// Every object under `rel` (a folder, with or without the trailing slash): key relative to the prefix,
    /// and size.
    pub fn list(&self, rel: &str) -> Result<Vec<(String, u64)>> {
        let prefix = format!("{}/", self.key(rel.trim_end_matches('/')));
        let strip = if self.prefix.is_empty() {
            0
        } else {
            self.prefix.len() + 1
        };
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut action = ListObjectsV2::new(&self.bucket, Some(&self.credentials));
            action.with_prefix(prefix.as_str());
            if let Some(t) = &token {
                action.with_continuation_token(t.as_str());
            }
            let url = action.sign(SIGNED_FOR);
            let resp = self.agent.get(url.as_str()).call().map_err(|e| self.remote(e))?;
            let mut resp = self.check(&format!("list {rel}"), resp)?;
            let text = resp
                .body_mut()
                .with_config()
                .limit(64 << 20)
                .read_to_string()
                .map_err(|e| self.remote(format!("list {rel}: {e}")))?;
            let page = ListObjectsV2::parse_response(&text).map_err(|e| self.remote(format!("list {rel}: {e}")))?;
            out.extend(
                page.contents
                    .into_iter()
                    .map(|c| (c.key[strip.min(c.key.len())..].to_owned(), c.size.unwrap_or(0))),
            );
            match page.next_continuation_token {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        out.sort();
        Ok(out)
    }

    /// Deletes the object at `rel` (nothing if there is none).
    pub fn delete(&self, rel: &str) -> Result<()> {
        let url = self
            .bucket
            .delete_object(Some(&self.credentials), &self.key(rel))
            .sign(SIGNED_FOR);
        let resp = self.agent.delete(url.as_str()).call().map_err(|e| self.remote(e))?;
        if resp.status() == 404 {
            return Ok(());
        }
        self.check(&format!("delete {rel}"), resp).map(drop)
    }

    /// Uploads a finished asset folder as `assets/<id>/…`: every file but `asset.json` first, then
    /// `asset.json`, so that the asset is complete the moment its manifest is there. Files a previous version
    /// of the asset had and this one lacks are deleted after.
    pub fn upload_asset(&self, id: &str, folder: &Path) -> Result<()> {
        let base = format!("{ASSETS_DIR}/{id}");
        let before = self.list(&base)?;
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(folder).sort_by_file_name() {
            let entry = entry.map_err(|e| StoreError::Io {
                path: folder.to_owned(),
                source: e.into(),
            })?;
            if entry.file_type().is_file() {
                let rel = entry
                    .path()
                    .strip_prefix(folder)
                    .expect("walked under the folder")
                    .to_string_lossy()
                    .replace('\\', "/");
                files.push((rel, entry.path().to_owned()));
            }
        }
        // The manifest goes last.
        files.sort_by_key(|(rel, _)| rel == MANIFEST);
        for (rel, path) in &files {
            let bytes = std::fs::read(path).map_err(|source| StoreError::Io {
                path: path.clone(),
                source,
            })?;
            self.put(&format!("{base}/{rel}"), &bytes)?;
        }
        for (key, _) in before {
            let rel = key.strip_prefix(&format!("{base}/")).unwrap_or(&key);
            if !files.iter().any(|(r, _)| r == rel) {
                self.delete(&key)?;
            }
        }
        Ok(())
    }

    /// Uploads the committed assets `ids` of the collection folder `collection` (`assets/<id>/`) with
    /// [`Self::upload_asset`], skipping those whose stored `asset.json` equals the local one (so a move that
    /// was interrupted goes on where it stopped). Returns how many were uploaded; a missing local folder is an
    /// error naming it (nothing is guessed).
    pub fn upload_collection(&self, collection: &Path, ids: &[String], mut done: impl FnMut(&str)) -> Result<u64> {
        let mut n = 0;
        for id in ids {
            let folder = collection.join(ASSETS_DIR).join(id);
            let manifest = std::fs::read(folder.join(MANIFEST)).map_err(|source| StoreError::Io {
                path: folder.join(MANIFEST),
                source,
            })?;
            if self.get(&format!("{ASSETS_DIR}/{id}/{MANIFEST}"))?.as_deref() != Some(manifest.as_slice()) {
                self.upload_asset(id, &folder)?;
                n += 1;
            }
            done(id);
        }
        Ok(n)
    }

    /// Downloads asset `id` into `dest/<id>` unless the local copy's `asset.json` equals the stored one:
    /// the files go into a folder beside it, which then replaces it. Returns whether it downloaded.
    pub fn mirror_asset(&self, id: &str, dest: &Path) -> Result<bool> {
        let base = format!("{ASSETS_DIR}/{id}");
        let Some(manifest) = self.get(&format!("{base}/{MANIFEST}"))? else {
            return Err(self.remote(format!("asset {id} is in the catalogue but has no {base}/{MANIFEST}")));
        };
        let local = dest.join(id);
        if std::fs::read(local.join(MANIFEST)).is_ok_and(|m| m == manifest) {
            return Ok(false);
        }
        let files = self.list(&base)?;
        disan_fs::replace_dir(&local, |tmp| -> Result<()> {
            for (key, _) in &files {
                let rel = key.strip_prefix(&format!("{base}/")).unwrap_or(key);
                if rel == MANIFEST {
                    continue;
                }
                let bytes = self
                    .get(key)?
                    .ok_or_else(|| self.remote(format!("{key} vanished while being mirrored")))?;
                disan_fs::write_atomic(&tmp.join(rel), &bytes)?;
            }
            disan_fs::write_atomic(&tmp.join(MANIFEST), &manifest)?;
            Ok(())
        })?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_addresses_are_checked() {
        assert_eq!(
            parse_s3_url("s3://heritage/qn/2026").unwrap(),
            ("heritage".into(), "qn/2026".into())
        );
        assert_eq!(
            parse_s3_url("s3://heritage").unwrap(),
            ("heritage".into(), String::new())
        );
        assert_eq!(
            parse_s3_url("s3://heritage/").unwrap(),
            ("heritage".into(), String::new())
        );
        assert!(parse_s3_url("http://heritage/x").is_err());
        assert!(parse_s3_url("s3:///x").is_err());
    }

    fn store(name: &str) -> S3Store {
        let (endpoint, key, secret, url) = disan_tests::s3_bucket(name);
        let s3 = S3Store::open_with(&url, &endpoint, "us-east-1", Credentials::new(key, secret)).unwrap();
        s3.ensure_bucket().unwrap();
        s3
    }

    #[test]
    fn an_asset_goes_up_manifest_last_and_mirrors_back_byte_for_byte() {
        let s3 = store("roundtrip");
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("made");
        disan_fs::write_atomic(&folder.join("asset.json"), br#"{"id":"a1"}"#).unwrap();
        disan_fs::write_atomic(&folder.join("thumb.jpg"), &[0xff, 0xd8, 1, 2, 3]).unwrap();
        disan_fs::write_atomic(&folder.join("pano/1/f/0_0.jpg"), b"tile").unwrap();
        let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        disan_fs::write_atomic(&folder.join("display.jpg"), &big).unwrap();
        let store = Store::S3(Box::new(s3));
        let Store::S3(s3) = &store else { unreachable!() };
        assert!(!store.has_asset("a000000000000001").unwrap());
        s3.upload_asset("a000000000000001", &folder).unwrap();
        assert!(store.has_asset("a000000000000001").unwrap());
        let listed: Vec<String> = s3
            .list("assets/a000000000000001")
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            listed,
            [
                "assets/a000000000000001/asset.json",
                "assets/a000000000000001/display.jpg",
                "assets/a000000000000001/pano/1/f/0_0.jpg",
                "assets/a000000000000001/thumb.jpg"
            ]
        );
        // A new version without a file removes it from the bucket.
        std::fs::remove_file(folder.join("thumb.jpg")).unwrap();
        s3.upload_asset("a000000000000001", &folder).unwrap();
        assert_eq!(s3.list("assets/a000000000000001").unwrap().len(), 3);
        assert_eq!(s3.get("assets/a000000000000001/thumb.jpg").unwrap(), None);

        let col = dir.path().join("collection");
        assert_eq!(store.mirror(&["a000000000000001".into()], &col).unwrap(), 1);
        let local = col.join("assets/a000000000000001");
        assert_eq!(std::fs::read(local.join("display.jpg")).unwrap(), big);
        assert_eq!(std::fs::read(local.join("pano/1/f/0_0.jpg")).unwrap(), b"tile");
        assert!(!local.join("thumb.jpg").exists());
        // Mirroring again downloads nothing; an asset without its manifest is an error naming it.
        assert_eq!(store.mirror(&["a000000000000001".into()], &col).unwrap(), 0);
        let e = store
            .mirror(&["b000000000000002".into()], &col)
            .unwrap_err()
            .to_string();
        assert!(e.contains("b000000000000002") && e.contains("asset.json"), "{e}");
    }

    #[test]
    fn a_wrong_secret_is_a_clear_error() {
        let (endpoint, key, _, url) = disan_tests::s3_bucket("auth");
        let s3 = S3Store::open_with(&url, &endpoint, "us-east-1", Credentials::new(key, "wrong")).unwrap();
        let e = s3.ensure_bucket().unwrap_err().to_string();
        assert!(e.contains("s3://") && e.contains("403"), "{e}");
    }
}
