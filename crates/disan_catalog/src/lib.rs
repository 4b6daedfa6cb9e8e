//! The catalogue of a collection: `catalog.sqlite` (WAL, versioned migrations), assets, ingest runs,
//! and the writer lock.
//!
//! Architecture invariant: an asset row is written only after every file of the asset is complete on
//! disk, in one transaction with its source-file record, so a reader never sees half an asset.

pub mod audio;
pub mod collection;
mod csv_io;
mod curate;
pub mod db;
pub mod fields;
pub mod migrate;
mod records;
mod schema;
mod search;
pub mod shared;
mod sites;
pub mod story;
mod tour_edit;
mod tour_rows;
pub mod tours;
pub mod vocab;

pub use collection::{COLLECTION_FILE, CatalogLocation, CollectionConfig, StorageLocation};
pub use csv_io::{CellChange, CellError, ImportReport};
pub use curate::{AssetMeta, PublicationIssue, Revision, STATES, SiteRef, allowed_transition};
pub use fields::{Change, Entity};
pub use records::PublicRecord;
pub use search::{Filter, MatchTier, RANK_WINDOW, SearchHit, fold_for_index};
pub use shared::{Claim, QueueCounts, QueueRow, SharedCatalog, Versioned};
pub use sites::{Site, SuggestReport, slug};
pub use story::{Annotation, Story, StoryView};
pub use tour_edit::{Arrival, InfoPoint};
pub use tours::{InfoHotspot, LinkHotspot, LinkSuggestion, RejectedLink, TOURS_DIR, Tour, TourScene, TourView};

use std::fs::File;
use std::path::{Path, PathBuf};

use db::{Connection, OptionalExtension, params};
use disan_core::{AssetId, AssetKind, AssetManifest};
use serde::Serialize;

/// The catalogue's file name inside a collection.
pub const CATALOG_FILE: &str = "catalog.sqlite";
/// The folder of the asset folders inside a collection.
pub const ASSETS_DIR: &str = "assets";
/// The lock file a writer holds for the whole of its work.
pub const LOCK_FILE: &str = ".disan.lock";

/// Catalogue errors.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("no collection at {0} (no {CATALOG_FILE}); run `disan ingest` to create one")]
    NoCollection(PathBuf),
    #[error("catalogue {path}: {source}")]
    Sql { path: PathBuf, source: db::Error },
    #[error("catalogue {path} has schema version {found}, newer than this disan understands ({known}); upgrade disan")]
    TooNew { path: PathBuf, found: u32, known: u32 },
    #[error("another disan process is writing to {0}; wait for it to finish (lock file {LOCK_FILE})")]
    Locked(PathBuf),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("no asset matches {0:?}")]
    NotFound(String),
    #[error("{0:?} matches several assets ({1}); give more digits")]
    Ambiguous(String, String),
    #[error("{0}")]
    Invalid(String),
    /// Several problems, one per line (CSV import, batch state changes); nothing was changed.
    #[error("{} problem(s), nothing changed:\n  {}", .0.len(), .0.join("\n  "))]
    Rejected(Vec<String>),
    #[error("no site matches {0:?}; `disan site list` shows them")]
    NoSite(String),
    #[error("no revision {0}")]
    NoRevision(i64),
    #[error("asset {id}: stored manifest is unreadable: {source}")]
    BadManifest { id: String, source: serde_json::Error },
    #[error(transparent)]
    Fs(#[from] disan_fs::FsError),
    #[error(transparent)]
    Field(#[from] fields::FieldError),
    #[error("shared catalogue {name}: {source}")]
    Postgres { name: String, source: postgres::Error },
    /// A curated edit was made on an old revision: someone else's change would have been lost.
    #[error(
        "{what} was changed by {by} at {at} (revision {revision}) since you read it; nothing was written: reload and edit again"
    )]
    Conflict {
        what: String,
        revision: i64,
        by: String,
        at: String,
    },
    /// What a shared (PostgreSQL) collection cannot do yet.
    #[error("{0}")]
    Unsupported(String),
    /// A tour edit names a scene or hotspot the tour does not have.
    #[error("{what} is not in tour {tour} (`disan tour show {tour}` lists its scenes and hotspots)")]
    NotInTour { tour: String, what: String },
}

pub type Result<T, E = CatalogError> = std::result::Result<T, E>;

/// Property key: the URL the collection folder is served from; IIIF service ids start with it.
pub const PUBLIC_BASE_URL: &str = "public_base_url";
/// Base URL until one is published: the collection served by `python3 -m http.server` from its folder.
pub const DEFAULT_BASE_URL: &str = "http://localhost:8000";

/// Maps a SQLite error on the catalogue at `path` to [`CatalogError::Sql`].
pub(crate) fn sql_err(path: &Path) -> impl Fn(db::Error) -> CatalogError + Copy + '_ {
    move |source| CatalogError::Sql {
        path: path.to_owned(),
        source,
    }
}

/// A write transaction that takes the database's write lock at once (SQLite's `BEGIN IMMEDIATE`), so what
/// it reads stays true until it commits.
pub(crate) fn begin_immediate<'c>(conn: &'c mut Connection, path: &Path) -> Result<db::Transaction<'c>> {
    conn.transaction_immediate().map_err(sql_err(path))
}

/// A number that changes whenever another connection commits to the catalogue: SQLite's `data_version`;
/// on PostgreSQL the newest revision id (what every curated edit adds).
pub(crate) fn data_version(conn: &Connection) -> db::Result<i64> {
    match conn.backend() {
        db::Backend::Sqlite => conn.query_row("PRAGMA data_version", [], |r| r.get(0)),
        db::Backend::Postgres => conn.query_row("SELECT coalesce(max(id), 0) FROM revisions", [], |r| r.get(0)),
    }
}

/// The current time as an RFC 3339 UTC timestamp.
pub fn now() -> String {
    jiff::Timestamp::now().to_string()
}

/// Exclusive right to write to a collection, held until dropped. Readers do not need it.
pub struct WriteLock {
    _file: File,
}

impl WriteLock {
    /// Takes the lock or fails at once with [`CatalogError::Locked`].
    pub fn acquire(collection: &Path) -> Result<Self> {
        std::fs::create_dir_all(collection).map_err(|source| CatalogError::Io {
            path: collection.to_owned(),
            source,
        })?;
        let path = collection.join(LOCK_FILE);
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| CatalogError::Io {
                path: path.clone(),
                source,
            })?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(CatalogError::Locked(collection.to_owned())),
            Err(std::fs::TryLockError::Error(source)) => Err(CatalogError::Io { path, source }),
        }
    }
}

/// What the catalogue remembers of a source file, for the quick unchanged check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFileRecord {
    pub size: u64,
    pub mtime_ns: i64,
    pub asset_id: String,
    pub settings_version: u32,
}

/// The per-file result of a run, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RunFileRow {
    pub path: String,
    pub outcome: String,
    pub asset_id: Option<String>,
    pub message: Option<String>,
}

/// Counts of a finished run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RunCounts {
    pub files: u64,
    pub ingested: u64,
    pub unchanged: u64,
    pub duplicates: u64,
    pub failed: u64,
}

/// An asset as `disan list` and `disan show` present it (field names are documented in docs/cli.md).
#[derive(Clone, Debug, Serialize)]
pub struct AssetRecord {
    pub state: String,
    pub site_id: Option<String>,
    /// Path of the original as last ingested.
    pub source_path: String,
    pub ingested_at: String,
    pub updated_at: String,
    /// Folder of the asset's files, relative to the collection.
    pub folder: String,
    /// Everything in `asset.json` (id, kind, source, dimensions, metadata, derivatives, …).
    #[serde(flatten)]
    pub manifest: AssetManifest,
}

impl AssetRecord {
    pub fn id(&self) -> String {
        self.manifest.id.to_string()
    }

    pub fn kind(&self) -> AssetKind {
        self.manifest.kind
    }
}

/// An open catalogue: the embedded SQLite file, or the shared PostgreSQL database a collection's
/// `collection.toml` names. Every method works on both (see [`db`]).
pub struct Catalog {
    conn: Connection,
    /// The catalogue's name in messages: the SQLite file, or the connection string without its password.
    path: PathBuf,
    /// The collection folder.
    dir: PathBuf,
}

impl Catalog {
    /// Opens a collection's catalogue, creating the collection and migrating the schema as needed.
    /// Call with the [`WriteLock`] held.
    pub fn open_or_create(collection: &Path, _lock: &WriteLock) -> Result<Self> {
        if let Some(cat) = Self::open_shared(collection)? {
            return Ok(cat);
        }
        let path = collection.join(CATALOG_FILE);
        let conn = rusqlite::Connection::open(&path).map_err(|source| CatalogError::Sql {
            path: path.clone(),
            source: source.into(),
        })?;
        let mut cat = Self {
            conn: Connection::sqlite(conn),
            path,
            dir: collection.to_owned(),
        };
        cat.configure()?;
        cat.migrate()?;
        Ok(cat)
    }

    /// Opens an existing catalogue for reading and curated writes (no migration beyond what exists).
    pub fn open(collection: &Path) -> Result<Self> {
        if let Some(cat) = Self::open_shared(collection)? {
            return Ok(cat);
        }
        let path = collection.join(CATALOG_FILE);
        if !path.is_file() {
            return Err(CatalogError::NoCollection(collection.to_owned()));
        }
        let conn = rusqlite::Connection::open(&path).map_err(|source| CatalogError::Sql {
            path: path.clone(),
            source: source.into(),
        })?;
        let cat = Self {
            conn: Connection::sqlite(conn),
            path,
            dir: collection.to_owned(),
        };
        cat.configure()?;
        let found = cat.schema_version()?;
        let known = schema::MIGRATIONS.len() as u32;
        if found > known {
            return Err(CatalogError::TooNew {
                path: cat.path.clone(),
                found,
                known,
            });
        }
        Ok(cat)
    }

    /// The shared catalogue of a collection whose `collection.toml` names one (connected, schema migrated).
    fn open_shared(collection: &Path) -> Result<Option<Self>> {
        let CatalogLocation::Postgres(url) = CollectionConfig::read(collection)?.catalog else {
            return Ok(None);
        };
        Ok(Some(Self::connect(&url, collection)?))
    }

    /// Opens the shared catalogue at `url` for the collection folder `collection` (its asset files, or the
    /// mirror of them), migrating its schema as needed.
    pub fn connect(url: &str, collection: &Path) -> Result<Self> {
        let shared = SharedCatalog::connect(url)?;
        let path = PathBuf::from(shared.name());
        Ok(Self {
            conn: Connection::postgres(shared.into_client()),
            path,
            dir: collection.to_owned(),
        })
    }

    /// Which database holds this catalogue.
    pub fn backend(&self) -> db::Backend {
        self.conn.backend()
    }

    fn sql<T>(&self, r: db::Result<T>) -> Result<T> {
        r.map_err(|source| CatalogError::Sql {
            path: self.path.clone(),
            source,
        })
    }

    fn configure(&self) -> Result<()> {
        let Some(conn) = self.conn.as_sqlite() else {
            return Ok(());
        };
        let err = |source: rusqlite::Error| CatalogError::Sql {
            path: self.path.clone(),
            source: source.into(),
        };
        conn.busy_timeout(std::time::Duration::from_secs(30)).map_err(err)?;
        conn.execute_batch(
            // 64 MiB of page cache: curated batches touch pages all over a large catalogue.
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
                     PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;",
        )
        .map_err(err)?;
        // Curated batches run a few dozen distinct statements per row; keep them all prepared.
        conn.set_prepared_statement_cache_capacity(64);
        conn.execute_batch(search::STAGE_TABLE).map_err(err)
    }

    /// A number that changes whenever another connection commits to the catalogue: SQLite's
    /// `data_version`; on PostgreSQL the newest revision id (what a curated edit changes).
    pub(crate) fn data_version(&self) -> Result<i64> {
        self.sql(data_version(&self.conn))
    }

    /// The embedded schema version the catalogue is at (0 for a new file). A shared catalogue has every
    /// table of the newest embedded schema (its own migrations are counted separately, in `shared.rs`).
    pub fn schema_version(&self) -> Result<u32> {
        if self.backend() == db::Backend::Postgres {
            return Ok(schema::MIGRATIONS.len() as u32);
        }
        let exists: bool = self.sql(self.conn.query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
            [],
            |r| r.get(0),
        ))?;
        if !exists {
            return Ok(0);
        }
        self.sql(
            self.conn
                .query_row("SELECT coalesce(max(version), 0) FROM schema_version", [], |r| r.get(0)),
        )
    }

    fn migrate(&mut self) -> Result<()> {
        if self.backend() == db::Backend::Postgres {
            // Migrated when connected, under an advisory lock (`SharedCatalog::connect`).
            return Ok(());
        }
        let current = self.schema_version()?;
        let known = schema::MIGRATIONS.len() as u32;
        if current > known {
            return Err(CatalogError::TooNew {
                path: self.path.clone(),
                found: current,
                known,
            });
        }
        for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(current as usize) {
            let version = i as u32 + 1;
            let path = self.path.clone();
            let err = |source| CatalogError::Sql {
                path: path.clone(),
                source,
            };
            // IMMEDIATE: a second process migrating at the same moment waits, then finds the work done.
            let tx = begin_immediate(&mut self.conn, &self.path)?;
            let has_table: bool = tx
                .query_row(
                    "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
                    [],
                    |r| r.get(0),
                )
                .map_err(err)?;
            let now_at: u32 = if has_table {
                tx.query_row("SELECT coalesce(max(version), 0) FROM schema_version", [], |r| r.get(0))
                    .map_err(err)?
            } else {
                0
            };
            if now_at >= version {
                continue;
            }
            tx.execute_batch(sql).map_err(err)?;
            if version == 3 {
                // Index what earlier versions stored.
                search::reindex_all(&tx).map_err(err)?;
            }
            tx.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)",
                params![version, now()],
            )
            .map_err(err)?;
            search::commit(tx).map_err(err)?;
            tracing::info!(version, "catalogue migrated");
        }
        Ok(())
    }

    /// Opens an existing catalogue for curated writes (metadata, sites, workflow), migrating its schema
    /// if it is older. Needs no [`WriteLock`]: curated writes are short transactions, and ingest never
    /// touches curated fields, so a curator can edit while an ingest runs.
    pub fn open_for_edit(collection: &Path) -> Result<Self> {
        let mut cat = Self::open(collection)?;
        cat.migrate()?;
        Ok(cat)
    }

    /// What the catalogue remembers of the file at `path` (as the ingest named it).
    pub fn source_file(&self, path: &str) -> Result<Option<SourceFileRecord>> {
        self.sql(
            self.conn
                .query_row(
                    "SELECT size, mtime_ns, asset_id, settings_version FROM source_files WHERE path = ?1",
                    [path],
                    |r| {
                        Ok(SourceFileRecord {
                            size: r.get::<_, i64>(0)? as u64,
                            mtime_ns: r.get(1)?,
                            asset_id: r.get(2)?,
                            settings_version: r.get(3)?,
                        })
                    },
                )
                .optional(),
        )
    }

    /// Every source-file record, by path: the quick unchanged check reads this once per run.
    pub fn source_files(&self) -> Result<std::collections::HashMap<String, SourceFileRecord>> {
        let mut stmt = self.sql(
            self.conn
                .prepare("SELECT path, size, mtime_ns, asset_id, settings_version FROM source_files"),
        )?;
        let rows = self.sql(stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                SourceFileRecord {
                    size: r.get::<_, i64>(1)? as u64,
                    mtime_ns: r.get(2)?,
                    asset_id: r.get(3)?,
                    settings_version: r.get(4)?,
                },
            ))
        }))?;
        rows.map(|r| self.sql(r)).collect()
    }

    /// Every asset's settings version, by id.
    pub fn asset_settings_versions(&self) -> Result<std::collections::HashMap<String, u32>> {
        let mut stmt = self.sql(self.conn.prepare("SELECT id, settings_version FROM assets"))?;
        let rows = self.sql(stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))))?;
        rows.map(|r| self.sql(r)).collect()
    }

    /// Records that the file at `path` (size, mtime) holds asset `id`.
    pub fn record_source_file(
        &mut self,
        path: &str,
        size: u64,
        mtime_ns: i64,
        id: &AssetId,
        settings_version: u32,
    ) -> Result<()> {
        self.sql(self.conn.execute(
            "INSERT INTO source_files (path, size, mtime_ns, asset_id, settings_version) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (path) DO UPDATE SET size = ?2, mtime_ns = ?3, asset_id = ?4, settings_version = ?5",
            params![path, size as i64, mtime_ns, id.to_string(), settings_version],
        ))
        .map(drop)
    }

    /// Inserts or updates an asset from its manifest, with its source-file record, in one transaction.
    /// Curated fields (state, site, curated text) of an existing asset are left as they are.
    pub fn commit_asset(&mut self, m: &AssetManifest, source_path: &str, mtime_ns: i64) -> Result<()> {
        let now = now();
        let err = sql_err(&self.path);
        let tx = self.conn.transaction().map_err(err)?;
        upsert_asset(&tx, m, source_path, &now).map_err(err)?;
        tx.execute(
            "INSERT INTO source_files (path, size, mtime_ns, asset_id, settings_version) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (path) DO UPDATE SET size = ?2, mtime_ns = ?3, asset_id = ?4, settings_version = ?5",
            params![
                source_path,
                m.source.bytes as i64,
                mtime_ns,
                m.id.to_string(),
                m.settings_version
            ],
        )
        .map_err(err)?;
        search::reindex_asset(&tx, &m.id.to_string()).map_err(err)?;
        search::commit(tx).map_err(err)
    }

    /// Commits many assets in one transaction (generated catalogues, bulk imports), without source-file
    /// records; see [`Self::commit_asset`].
    pub fn commit_assets(&mut self, items: &[(AssetManifest, String)]) -> Result<()> {
        let err = sql_err(&self.path);
        let tx = self.conn.transaction().map_err(err)?;
        let now = now();
        for (m, source_path) in items {
            upsert_asset(&tx, m, source_path, &now).map_err(err)?;
        }
        let ids: Vec<String> = items.iter().map(|(m, _)| m.id.to_string()).collect();
        search::reindex_assets(&tx, ids.iter().map(String::as_str)).map_err(err)?;
        search::commit(tx).map_err(err)
    }

    /// Starts a run; runs left `running` by a killed process are marked `interrupted`.
    pub fn begin_run(&mut self, run_id: &str, started_at: &str) -> Result<()> {
        self.sql(
            self.conn
                .execute("UPDATE runs SET status = 'interrupted' WHERE status = 'running'", []),
        )?;
        self.sql(self.conn.execute(
            "INSERT INTO runs (id, started_at, status) VALUES (?1, ?2, 'running')",
            params![run_id, started_at],
        ))
        .map(drop)
    }

    /// Finishes a run with its per-file outcomes, in one transaction.
    pub fn finish_run(&mut self, run_id: &str, status: &str, counts: RunCounts, files: &[RunFileRow]) -> Result<()> {
        let err = sql_err(&self.path);
        let tx = self.conn.transaction().map_err(err)?;
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO run_files (run_id, path, outcome, asset_id, message) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (run_id, path) DO UPDATE SET outcome = excluded.outcome,
                     asset_id = excluded.asset_id, message = excluded.message",
                )
                .map_err(err)?;
            for f in files {
                stmt.execute(params![run_id, f.path, f.outcome, f.asset_id, f.message])
                    .map_err(err)?;
            }
        }
        tx.execute(
            "UPDATE runs SET finished_at = ?2, status = ?3, files = ?4, ingested = ?5, unchanged = ?6,
                 duplicates = ?7, failed = ?8 WHERE id = ?1",
            params![
                run_id,
                now(),
                status,
                counts.files as i64,
                counts.ingested as i64,
                counts.unchanged as i64,
                counts.duplicates as i64,
                counts.failed as i64
            ],
        )
        .map_err(err)?;
        search::commit(tx).map_err(err)
    }

    /// All assets, optionally of one kind, ordered by capture time then id.
    pub fn list(&self, kind: Option<AssetKind>) -> Result<Vec<AssetRecord>> {
        let (good, bad) = self.list_readable(kind)?;
        match bad.into_iter().next() {
            Some(e) => Err(e),
            None => Ok(good),
        }
    }

    /// Like [`Self::list`], but a row whose manifest does not read (a hand-edited or tampered catalogue) is
    /// left out and returned as an error beside the others, so a reader can show the rest.
    pub fn list_readable(&self, kind: Option<AssetKind>) -> Result<(Vec<AssetRecord>, Vec<CatalogError>)> {
        let mut stmt = self.sql(self.conn.prepare(
            "SELECT id, kind, state, site_id, source_path, ingested_at, updated_at, manifest FROM assets
             WHERE CAST(?1 AS TEXT) IS NULL OR kind = ?1 ORDER BY taken_at IS NULL, taken_at, id",
        ))?;
        let rows = self.sql(stmt.query_map([kind.map(AssetKind::as_str)], row_parts))?;
        let (mut good, mut bad) = (Vec::new(), Vec::new());
        for row in rows {
            match record(self.sql(row)?) {
                Ok(r) => good.push(r),
                Err(e) => bad.push(e),
            }
        }
        Ok((good, bad))
    }

    /// One asset by id or by a unique prefix of at least 4 digits.
    pub fn get(&self, id_or_prefix: &str) -> Result<AssetRecord> {
        let q = id_or_prefix.trim().to_ascii_lowercase();
        if q.len() < 4 || !q.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(CatalogError::NotFound(id_or_prefix.to_owned()));
        }
        let mut stmt = self.sql(self.conn.prepare(
            "SELECT id, kind, state, site_id, source_path, ingested_at, updated_at, manifest FROM assets
             WHERE substr(id, 1, length(CAST(?1 AS TEXT))) = ?1 ORDER BY id LIMIT 5",
        ))?;
        let rows: Vec<_> = self.sql(
            stmt.query_map([&q], row_parts)
                .and_then(|r| r.collect::<db::Result<Vec<_>>>()),
        )?;
        match rows.len() {
            0 => Err(CatalogError::NotFound(id_or_prefix.to_owned())),
            1 => record(rows.into_iter().next().expect("one row")),
            _ => Err(CatalogError::Ambiguous(
                id_or_prefix.to_owned(),
                rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>().join(", "),
            )),
        }
    }

    /// The per-file outcomes recorded for a run.
    pub fn run_files(&self, run_id: &str) -> Result<Vec<RunFileRow>> {
        let mut stmt = self.sql(
            self.conn
                .prepare("SELECT path, outcome, asset_id, message FROM run_files WHERE run_id = ?1 ORDER BY path"),
        )?;
        let rows = self.sql(stmt.query_map([run_id], |r| {
            Ok(RunFileRow {
                path: r.get(0)?,
                outcome: r.get(1)?,
                asset_id: r.get(2)?,
                message: r.get(3)?,
            })
        }))?;
        rows.map(|r| self.sql(r)).collect()
    }

    /// Runs, newest first: (id, status, counts).
    pub fn runs(&self) -> Result<Vec<(String, String, RunCounts)>> {
        let mut stmt = self.sql(self.conn.prepare(
            "SELECT id, status, files, ingested, unchanged, duplicates, failed FROM runs ORDER BY started_at DESC, id DESC",
        ))?;
        let rows = self.sql(stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                RunCounts {
                    files: r.get::<_, i64>(2)? as u64,
                    ingested: r.get::<_, i64>(3)? as u64,
                    unchanged: r.get::<_, i64>(4)? as u64,
                    duplicates: r.get::<_, i64>(5)? as u64,
                    failed: r.get::<_, i64>(6)? as u64,
                },
            ))
        }))?;
        rows.map(|r| self.sql(r)).collect()
    }

    /// A collection-wide setting (see [`PUBLIC_BASE_URL`]).
    pub fn property(&self, key: &str) -> Result<Option<String>> {
        self.sql(
            self.conn
                .query_row("SELECT value FROM properties WHERE key = ?1", [key], |r| r.get(0))
                .optional(),
        )
    }

    /// Sets a collection-wide setting.
    pub fn set_property(&mut self, key: &str, value: &str) -> Result<()> {
        self.sql(self.conn.execute(
            "INSERT INTO properties (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        ))
        .map(|_| ())
    }

    /// The URL the collection folder is served from ([`DEFAULT_BASE_URL`] until `disan publish` sets one).
    pub fn public_base_url(&self) -> Result<String> {
        Ok(self
            .property(PUBLIC_BASE_URL)?
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned()))
    }

    /// `PRAGMA integrity_check`: "ok" for a sound file (PostgreSQL checks its own pages: always "ok").
    pub fn integrity_check(&self) -> Result<String> {
        if self.backend() == db::Backend::Postgres {
            return Ok("ok".into());
        }
        self.sql(self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)))
    }

    /// The collection folder this catalogue belongs to.
    pub fn collection_dir(&self) -> &Path {
        &self.dir
    }

    /// The underlying connection, for crates that add their own queries on this schema.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// Where ingest commits the assets it makes: the embedded catalogue or the shared one.
pub trait AssetSink: Send {
    /// Inserts or updates an asset with its source-file record, in one transaction.
    fn commit_asset(&mut self, m: &AssetManifest, source_path: &str, mtime_ns: i64) -> Result<()>;
}

impl AssetSink for Catalog {
    fn commit_asset(&mut self, m: &AssetManifest, source_path: &str, mtime_ns: i64) -> Result<()> {
        Catalog::commit_asset(self, m, source_path, mtime_ns)
    }
}

impl AssetSink for SharedCatalog {
    fn commit_asset(&mut self, m: &AssetManifest, source_path: &str, mtime_ns: i64) -> Result<()> {
        SharedCatalog::commit_asset(self, m, source_path, mtime_ns)
    }
}

/// Inserts an asset row, or updates what ingest knows of an existing one (never its curated fields).
fn upsert_asset(conn: &Connection, m: &AssetManifest, source_path: &str, now: &str) -> db::Result<()> {
    let manifest = serde_json::to_string(m).expect("manifests always serialise");
    conn.prepare_cached(
        "INSERT INTO assets (id, kind, source_name, source_path, source_bytes, blake3, format, width, height,
                             taken_at, lat, lon, settings_version, manifest, ingested_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15)
         ON CONFLICT (id) DO UPDATE SET kind = ?2, source_name = ?3, source_path = ?4, source_bytes = ?5,
             blake3 = ?6, format = ?7, width = ?8, height = ?9, taken_at = ?10, lat = ?11, lon = ?12,
             settings_version = ?13, manifest = ?14, updated_at = ?15",
    )?
    .execute(params![
        m.id.to_string(),
        m.kind.as_str(),
        m.source.file_name,
        source_path,
        m.source.bytes as i64,
        m.source.blake3,
        m.source.format,
        m.width,
        m.height,
        m.metadata.taken_at,
        m.metadata.gps.map(|g| g.lat),
        m.metadata.gps.map(|g| g.lon),
        m.settings_version,
        manifest,
        now,
    ])
    .map(drop)
}

pub(crate) type RowParts = (String, String, String, Option<String>, String, String, String, String);

fn row_parts(r: &db::Row) -> db::Result<RowParts> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

pub(crate) fn record(
    (id, kind, state, site_id, source_path, ingested_at, updated_at, manifest): RowParts,
) -> Result<AssetRecord> {
    let manifest: AssetManifest =
        serde_json::from_str(&manifest).map_err(|source| CatalogError::BadManifest { id: id.clone(), source })?;
    // A row whose columns disagree with its manifest was edited by hand: refuse it rather than guess.
    if kind != manifest.kind.as_str() || id != manifest.id.to_string() {
        return Err(CatalogError::BadManifest {
            id: id.clone(),
            source: serde::de::Error::custom(format!(
                "the row says {kind} {id}, its manifest {} {}",
                manifest.kind.as_str(),
                manifest.id
            )),
        });
    }
    Ok(AssetRecord {
        folder: format!("assets/{id}"),
        state,
        site_id,
        source_path,
        ingested_at,
        updated_at,
        manifest,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;

    use disan_core::{CaptureMetadata, SourceInfo};

    use super::*;

    pub(crate) fn manifest(id: &str, taken: Option<&str>) -> AssetManifest {
        AssetManifest {
            id: id.parse().unwrap(),
            kind: AssetKind::Photo,
            source: SourceInfo {
                file_name: "a.jpg".into(),
                bytes: 10,
                blake3: "00".into(),
                format: "jpeg".into(),
            },
            width: Some(4),
            height: Some(3),
            icc_profile: None,
            metadata: CaptureMetadata {
                taken_at: taken.map(str::to_owned),
                ..Default::default()
            },
            derivatives: BTreeMap::new(),
            model: None,
            pano_tiles: None,
            iiif: None,
            settings_version: 1,
        }
    }

    #[test]
    fn create_commit_list_get() {
        let dir = tempfile::tempdir().unwrap();
        let lock = WriteLock::acquire(dir.path()).unwrap();
        let mut cat = Catalog::open_or_create(dir.path(), &lock).unwrap();
        assert_eq!(cat.schema_version().unwrap(), 6);
        assert_eq!(cat.public_base_url().unwrap(), DEFAULT_BASE_URL);
        cat.set_property(PUBLIC_BASE_URL, "https://a.example/c").unwrap();
        cat.set_property(PUBLIC_BASE_URL, "https://b.example/c").unwrap();
        assert_eq!(cat.public_base_url().unwrap(), "https://b.example/c");
        cat.commit_asset(&manifest("aaaa000000000001", Some("2020-01-01T00:00:00")), "x/a.jpg", 5)
            .unwrap();
        cat.commit_asset(&manifest("aaaa000000000002", Some("2019-01-01T00:00:00")), "x/b.jpg", 5)
            .unwrap();
        cat.commit_asset(&manifest("bbbb000000000003", None), "x/c.jpg", 5)
            .unwrap();
        let ids: Vec<_> = cat.list(None).unwrap().into_iter().map(|a| a.id()).collect();
        assert_eq!(ids, ["aaaa000000000002", "aaaa000000000001", "bbbb000000000003"]);
        assert!(cat.list(Some(AssetKind::Model)).unwrap().is_empty());
        assert_eq!(cat.get("bbbb").unwrap().source_path, "x/c.jpg");
        assert!(matches!(cat.get("aaaa"), Err(CatalogError::Ambiguous(..))));
        assert!(matches!(cat.get("cccc"), Err(CatalogError::NotFound(_))));
        assert_eq!(cat.source_file("x/a.jpg").unwrap().unwrap().mtime_ns, 5);
        assert_eq!(cat.integrity_check().unwrap(), "ok");
        drop(cat);
        // Reopening does not migrate again.
        let cat = Catalog::open(dir.path()).unwrap();
        assert_eq!(cat.schema_version().unwrap(), 6);
    }

    #[test]
    fn second_writer_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let _lock = WriteLock::acquire(dir.path()).unwrap();
        assert!(matches!(WriteLock::acquire(dir.path()), Err(CatalogError::Locked(_))));
    }

    #[test]
    fn missing_collection_is_explained() {
        let dir = tempfile::tempdir().unwrap();
        let e = Catalog::open(&dir.path().join("nope")).err().unwrap();
        assert!(e.to_string().contains("disan ingest"), "{e}");
    }

    #[test]
    fn reingest_keeps_curated_state() {
        let dir = tempfile::tempdir().unwrap();
        let lock = WriteLock::acquire(dir.path()).unwrap();
        let mut cat = Catalog::open_or_create(dir.path(), &lock).unwrap();
        let m = manifest("aaaa000000000001", None);
        cat.commit_asset(&m, "a.jpg", 1).unwrap();
        cat.connection()
            .execute("UPDATE assets SET state = 'published'", [])
            .unwrap();
        cat.connection()
            .execute(
                "INSERT INTO asset_text VALUES ('aaaa000000000001', 'title', 'vi', 'Vịnh Hạ Long')",
                [],
            )
            .unwrap();
        cat.commit_asset(&m, "a.jpg", 2).unwrap();
        assert_eq!(cat.get("aaaa000000000001").unwrap().state, "published");
        let title: String = cat
            .connection()
            .query_row("SELECT value FROM asset_text", [], |r| r.get(0))
            .unwrap();
        assert_eq!(title, "Vịnh Hạ Long");
    }
}
