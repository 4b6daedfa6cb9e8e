//! `collection.toml`: which catalogue a collection folder uses. Without the file (every collection made
//! before issue 25, and every one made by `disan ingest` alone) the catalogue is the embedded
//! `catalog.sqlite` beside it. `disan init DIR --catalog postgresql://…` writes the file for a shared
//! catalogue on PostgreSQL; the asset files stay under `DIR/assets/`, which every worker mounts.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{CatalogError, Result};

/// The settings file of a collection folder.
pub const COLLECTION_FILE: &str = "collection.toml";

/// Where a collection's catalogue lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CatalogLocation {
    /// `catalog.sqlite` in the collection folder (the default).
    Sqlite,
    /// A PostgreSQL database (`postgresql://user@host:port/db`), shared by curators and workers.
    Postgres(String),
}

/// Where a collection's asset files live.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum StorageLocation {
    /// `assets/` in the collection folder (the default).
    #[default]
    Local,
    /// An S3-compatible bucket: `s3://BUCKET/PREFIX` at `endpoint` (path-style requests) in `region`. The key
    /// and secret come from `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`, never from this file.
    S3 {
        url: String,
        endpoint: String,
        region: String,
    },
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct File {
    /// `sqlite` or a `postgres://` / `postgresql://` connection string.
    catalog: Option<String>,
    /// `local` or `s3://BUCKET/PREFIX`.
    #[serde(skip_serializing_if = "Option::is_none")]
    storage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<String>,
}

/// A collection folder and the backends it names.
#[derive(Clone, Debug)]
pub struct CollectionConfig {
    pub dir: PathBuf,
    pub catalog: CatalogLocation,
    pub storage: StorageLocation,
}

/// Whether `s` is a PostgreSQL connection string.
pub fn is_postgres_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

impl CollectionConfig {
    /// Reads `DIR/collection.toml`; a folder without one uses the embedded SQLite catalogue.
    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(COLLECTION_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self {
                    dir: dir.to_owned(),
                    catalog: CatalogLocation::Sqlite,
                    storage: StorageLocation::Local,
                });
            }
            Err(source) => return Err(CatalogError::Io { path, source }),
        };
        let file: File =
            toml::from_str(&text).map_err(|e| CatalogError::Invalid(format!("{}: {}", path.display(), e.message())))?;
        let catalog = match file.catalog.as_deref() {
            None | Some("sqlite") => CatalogLocation::Sqlite,
            Some(url) if is_postgres_url(url) => CatalogLocation::Postgres(url.to_owned()),
            Some(other) => {
                return Err(CatalogError::Invalid(format!(
                    "{}: catalog = {other:?} is neither \"sqlite\" nor a postgresql:// connection string",
                    path.display()
                )));
            }
        };
        let storage = match file.storage.as_deref() {
            None | Some("local") => StorageLocation::Local,
            Some(url) if url.starts_with("s3://") => StorageLocation::S3 {
                url: url.to_owned(),
                endpoint: file.endpoint.clone().ok_or_else(|| {
                    CatalogError::Invalid(format!(
                        "{}: storage = {url:?} needs endpoint = \"https://…\" (the S3 service's address)",
                        path.display()
                    ))
                })?,
                region: file.region.clone().unwrap_or_else(|| "us-east-1".to_owned()),
            },
            Some(other) => {
                return Err(CatalogError::Invalid(format!(
                    "{}: storage = {other:?} is neither \"local\" nor an s3://BUCKET/PREFIX address",
                    path.display()
                )));
            }
        };
        Ok(Self {
            dir: dir.to_owned(),
            catalog,
            storage,
        })
    }

    /// Writes `DIR/collection.toml` (atomically), creating the folder. Refuses to point a collection that
    /// already has assets in one catalogue at another: `disan migrate` moves them.
    pub fn init(dir: &Path, catalog: CatalogLocation, storage: StorageLocation) -> Result<Self> {
        if let CatalogLocation::Postgres(url) = &catalog
            && !is_postgres_url(url)
        {
            return Err(CatalogError::Invalid(format!(
                "{url:?} is not a postgresql:// connection string"
            )));
        }
        let current = Self::read(dir)?;
        if current.catalog != catalog
            && current.catalog == CatalogLocation::Sqlite
            && dir.join(crate::CATALOG_FILE).exists()
        {
            return Err(CatalogError::Invalid(format!(
                "{} already has a catalogue ({}); `disan migrate --to …` moves it to PostgreSQL",
                dir.display(),
                crate::CATALOG_FILE
            )));
        }
        if current.storage != storage && dir.join(crate::ASSETS_DIR).is_dir() {
            return Err(CatalogError::Invalid(format!(
                "{} already has asset files in {}; a collection's storage is chosen when it is made",
                dir.display(),
                dir.join(crate::ASSETS_DIR).display()
            )));
        }
        let config = Self {
            dir: dir.to_owned(),
            catalog,
            storage,
        };
        config.write()?;
        Ok(config)
    }

    /// The bucket, endpoint and region when the asset files are in object storage.
    pub fn s3(&self) -> Option<(&str, &str, &str)> {
        match &self.storage {
            StorageLocation::Local => None,
            StorageLocation::S3 { url, endpoint, region } => Some((url, endpoint, region)),
        }
    }

    /// The connection string of a shared catalogue, or an error saying the command needs one.
    pub fn postgres_url(&self, what: &str) -> Result<&str> {
        match &self.catalog {
            CatalogLocation::Postgres(url) => Ok(url),
            CatalogLocation::Sqlite => Err(CatalogError::Invalid(format!(
                "{what} needs a shared catalogue: {} uses the embedded one (catalog.sqlite). `disan init {} \
                 --catalog postgresql://…` makes a shared collection; `disan ingest` does this work on one machine",
                self.dir.display(),
                self.dir.display()
            ))),
        }
    }
}

impl CollectionConfig {
    /// Writes `DIR/collection.toml` (atomically), creating the folder.
    pub fn write(&self) -> Result<()> {
        write(&self.dir, &self.catalog, &self.storage)
    }
}

fn write(dir: &Path, catalog: &CatalogLocation, storage: &StorageLocation) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| CatalogError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let (storage, endpoint, region) = match storage {
        StorageLocation::Local => (None, None, None),
        StorageLocation::S3 { url, endpoint, region } => {
            (Some(url.clone()), Some(endpoint.clone()), Some(region.clone()))
        }
    };
    let file = File {
        catalog: Some(match catalog {
            CatalogLocation::Sqlite => "sqlite".to_owned(),
            CatalogLocation::Postgres(url) => url.clone(),
        }),
        storage,
        endpoint,
        region,
    };
    let text = format!(
        "# Disan collection settings (docs/SCALING.md). catalog: \"sqlite\" (catalog.sqlite here) or a\n\
         # postgresql:// connection string; the asset files are always under assets/ in this folder.\n{}",
        toml::to_string(&file).expect("the settings serialise")
    );
    disan_fs::write_atomic(&dir.join(COLLECTION_FILE), text.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_without_settings_is_sqlite_and_init_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            CollectionConfig::read(dir.path()).unwrap().catalog,
            CatalogLocation::Sqlite
        );
        let url = "postgresql://disan@db.example:5432/heritage";
        let s3 = StorageLocation::S3 {
            url: "s3://heritage/qn".into(),
            endpoint: "https://s3.example.vn".into(),
            region: "vn-north-1".into(),
        };
        CollectionConfig::init(dir.path(), CatalogLocation::Postgres(url.into()), s3.clone()).unwrap();
        let read = CollectionConfig::read(dir.path()).unwrap();
        assert_eq!(read.catalog, CatalogLocation::Postgres(url.into()));
        assert_eq!(read.storage, s3);
        std::fs::write(dir.path().join(COLLECTION_FILE), "storage = \"s3://b/p\"\n").unwrap();
        let e = CollectionConfig::read(dir.path()).unwrap_err().to_string();
        assert!(e.contains("endpoint"), "{e}");
        assert_eq!(read.postgres_url("x").unwrap(), url);
        std::fs::write(dir.path().join(COLLECTION_FILE), "catalog = \"mysql://x\"\n").unwrap();
        let e = CollectionConfig::read(dir.path()).unwrap_err().to_string();
        assert!(e.contains("collection.toml") && e.contains("mysql://x"), "{e}");
        std::fs::write(dir.path().join(COLLECTION_FILE), "catalogue = \"sqlite\"\n").unwrap();
        let e = CollectionConfig::read(dir.path()).unwrap_err().to_string();
        assert!(e.contains("catalogue"), "{e}");
    }

    #[test]
    fn a_collection_with_an_embedded_catalogue_is_not_silently_repointed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(crate::CATALOG_FILE), b"").unwrap();
        let e = CollectionConfig::init(
            dir.path(),
            CatalogLocation::Postgres("postgresql://h/d".into()),
            StorageLocation::Local,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("disan migrate"), "{e}");
        let e = CollectionConfig::init(
            dir.path(),
            CatalogLocation::Postgres("http://h/d".into()),
            StorageLocation::Local,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("postgresql://"), "{e}");
    }
}
