//! The shared catalogue on PostgreSQL (≥ 15): what ingest workers on many machines and curators in several
//! offices write to at once, where one `catalog.sqlite` would need a single writer on one disk.
//!
//! The tables mirror the embedded catalogue's (same columns, same JSON manifest, same revision rows) for
//! assets, source files, runs, properties and curated text, plus the work queue that workers claim files
//! from (`SELECT … FOR UPDATE SKIP LOCKED`, leases renewed by heartbeats) and leases on asset ids, so that
//! two machines meeting the same bytes make the asset once.
//!
//! Invariants: an asset row is committed only after every file of the asset is in place (as in the embedded
//! catalogue); a queue row is finished only by the worker that holds its lease; a curated edit names the
//! revision it was made on, and loses to nothing silently (a [`CatalogError::Conflict`] instead).

use std::collections::HashMap;
use std::time::Duration;

use disan_core::{AssetId, AssetKind, AssetManifest};
use postgres::{Client, NoTls, Transaction};

use crate::{
    AssetRecord, CatalogError, DEFAULT_BASE_URL, PUBLIC_BASE_URL, Result, RunCounts, RunFileRow, SourceFileRecord,
};

/// Versioned migrations of the shared schema (appended to, never edited). Column meanings are those of
/// the embedded schema (`schema.rs`); integers are BIGINT, reals DOUBLE PRECISION.
const MIGRATIONS: &[&str] = &[
    // 1: assets, curated text and revisions, source files, runs, properties; the work queue and asset leases.
    r#"
    CREATE TABLE assets (
        id               TEXT PRIMARY KEY,
        kind             TEXT NOT NULL CHECK (kind IN ('photo', 'panorama', 'model')),
        state            TEXT NOT NULL DEFAULT 'draft'
                         CHECK (state IN ('draft', 'in_review', 'published', 'withdrawn')),
        site_id          TEXT,
        source_name      TEXT NOT NULL,
        source_path      TEXT NOT NULL,
        source_bytes     BIGINT NOT NULL,
        blake3           TEXT NOT NULL,
        format           TEXT NOT NULL,
        width            BIGINT,
        height           BIGINT,
        taken_at         TEXT,
        lat              DOUBLE PRECISION,
        lon              DOUBLE PRECISION,
        settings_version BIGINT NOT NULL,
        manifest         TEXT NOT NULL,
        ingested_at      TEXT NOT NULL,
        updated_at       TEXT NOT NULL
    );
    CREATE INDEX assets_kind ON assets(kind);
    CREATE INDEX assets_taken ON assets(taken_at);
    CREATE TABLE asset_text (
        asset_id TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
        field    TEXT NOT NULL,
        lang     TEXT NOT NULL,
        value    TEXT NOT NULL,
        PRIMARY KEY (asset_id, field, lang)
    );
    CREATE TABLE revisions (
        id        BIGSERIAL PRIMARY KEY,
        entity    TEXT NOT NULL CHECK (entity IN ('asset', 'site', 'tour')),
        entity_id TEXT NOT NULL,
        field     TEXT NOT NULL,
        lang      TEXT,
        old       TEXT,
        new       TEXT,
        author    TEXT NOT NULL,
        at        TEXT NOT NULL,
        reverts   BIGINT REFERENCES revisions(id) DEFERRABLE INITIALLY DEFERRED
    );
    CREATE INDEX revisions_entity ON revisions(entity, entity_id);
    CREATE TABLE source_files (
        path             TEXT PRIMARY KEY,
        size             BIGINT NOT NULL,
        mtime_ns         BIGINT NOT NULL,
        asset_id         TEXT NOT NULL,
        settings_version BIGINT NOT NULL
    );
    CREATE TABLE runs (
        id          TEXT PRIMARY KEY,
        started_at  TEXT NOT NULL,
        finished_at TEXT,
        status      TEXT NOT NULL CHECK (status IN ('running', 'ok', 'some_failed', 'interrupted', 'failed')),
        files       BIGINT NOT NULL DEFAULT 0,
        ingested    BIGINT NOT NULL DEFAULT 0,
        unchanged   BIGINT NOT NULL DEFAULT 0,
        duplicates  BIGINT NOT NULL DEFAULT 0,
        failed      BIGINT NOT NULL DEFAULT 0
    );
    CREATE TABLE run_files (
        run_id   TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        path     TEXT NOT NULL,
        outcome  TEXT NOT NULL,
        asset_id TEXT,
        message  TEXT,
        PRIMARY KEY (run_id, path)
    );
    CREATE TABLE properties (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    -- One row per source file to ingest (`disan queue add`). A worker claims pending rows, and rows whose
    -- lease ran out, with FOR UPDATE SKIP LOCKED; it renews its leases while it works and finishes each row
    -- with the file's outcome. `attempts` counts claims: a file that kills every worker fails in the end.
    CREATE TABLE ingest_queue (
        path        TEXT PRIMARY KEY,
        display     TEXT NOT NULL,
        state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'claimed', 'done', 'failed')),
        worker      TEXT,
        lease_until TIMESTAMPTZ,
        attempts    BIGINT NOT NULL DEFAULT 0,
        outcome     TEXT,
        asset_id    TEXT,
        message     TEXT,
        added_at    TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
        finished_at TIMESTAMPTZ
    );
    CREATE INDEX ingest_queue_state ON ingest_queue(state, path);
    -- The worker making an asset holds its id until the row is committed, so that identical bytes met
    -- under two paths on two machines are made once.
    CREATE TABLE asset_leases (
        id          TEXT PRIMARY KEY,
        worker      TEXT NOT NULL,
        lease_until TIMESTAMPTZ NOT NULL
    );
    "#,
    // 2: what curation keeps beside the assets (sites, tours, narration, stories), so that `disan migrate`
    // moves a whole catalogue; the columns are the embedded schema's (migrations 1, 3, 4, 5, 6).
    r#"
    CREATE TABLE sites (
        id          TEXT PRIMARY KEY,
        lat         DOUBLE PRECISION,
        lon         DOUBLE PRECISION,
        province    TEXT,
        rank        TEXT,
        type        TEXT,
        created_at  TEXT NOT NULL,
        confirmed   BIGINT NOT NULL DEFAULT 1,
        merged_into TEXT REFERENCES sites(id) DEFERRABLE INITIALLY DEFERRED
    );
    CREATE TABLE site_text (
        site_id TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
        field   TEXT NOT NULL,
        lang    TEXT NOT NULL,
        value   TEXT NOT NULL,
        PRIMARY KEY (site_id, field, lang)
    );
    CREATE TABLE tours (
        id  TEXT PRIMARY KEY,
        doc TEXT NOT NULL
    );
    CREATE TABLE audio (
        entity    TEXT NOT NULL CHECK (entity IN ('asset', 'tour')),
        entity_id TEXT NOT NULL,
        field     TEXT NOT NULL,
        lang      TEXT NOT NULL,
        value     TEXT NOT NULL,
        PRIMARY KEY (entity, entity_id, field, lang)
    );
    CREATE TABLE stories (
        asset_id TEXT PRIMARY KEY REFERENCES assets(id),
        doc      TEXT NOT NULL
    );
    "#,
    // 3: search. The folded text of each asset (the embedded catalogue's `fold_for_index`: lower case, no
    // diacritics, đ → d, each CJK character a word) in three parts, as tsvectors of the 'simple' configuration
    // (no stemming, no stop words: the folding is done before). Tiers are tested on `t_title` and `t_site`,
    // ranking weighs the title (A) above the site (B) above the rest (D).
    r#"
    CREATE TABLE asset_search (
        asset_id TEXT PRIMARY KEY REFERENCES assets(id) ON DELETE CASCADE,
        title    TEXT NOT NULL,
        site     TEXT NOT NULL,
        body     TEXT NOT NULL,
        t_title  TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', title)) STORED,
        t_site   TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', title || ' ' || site)) STORED,
        doc      TSVECTOR GENERATED ALWAYS AS (setweight(to_tsvector('simple', title), 'A')
                     || setweight(to_tsvector('simple', site), 'B') || setweight(to_tsvector('simple', body), 'D')) STORED
    );
    CREATE INDEX asset_search_doc ON asset_search USING gin (doc);
    "#,
    // 4: search filters. The embedded index's facet tokens (kind, state, site, rank: `search::facet`), matched
    // as words; filled for existing assets by the migration.
    r#"
    ALTER TABLE asset_search ADD COLUMN facets TEXT NOT NULL DEFAULT '';
    ALTER TABLE asset_search ADD COLUMN t_facets TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', facets)) STORED;
    "#,
];

/// Key of the advisory lock that serialises migrations (any constant; "disan" in ASCII).
const MIGRATION_LOCK: i64 = 0x0064_6973_616e;
/// Claims of one file before it is given up as failed (each claim after the first means a worker died on it).
pub const MAX_ATTEMPTS: i64 = 3;

/// Maps an error of the shared SQL ([`crate::db`]) on the catalogue `name` to [`CatalogError::Sql`].
fn sql_err(name: &str) -> impl Fn(crate::db::Error) -> CatalogError + '_ {
    move |source| CatalogError::Sql {
        path: name.into(),
        source,
    }
}

/// A connection string with its password replaced, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let auth = &url[s + 3..at];
            match auth.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &auth[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// A file claimed from the queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    /// Canonical absolute path (the queue's key and the source-file record's).
    pub path: String,
    /// The path as it was given to `disan queue add`.
    pub display: String,
    /// 1 for a first claim; more when a worker died holding it.
    pub attempts: i64,
}

/// How many queue rows are in each state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct QueueCounts {
    pub pending: u64,
    pub claimed: u64,
    pub done: u64,
    pub failed: u64,
}

/// A finished queue row, as `disan queue status --json` reports it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct QueueRow {
    pub path: String,
    pub state: String,
    pub attempts: i64,
    pub outcome: Option<String>,
    pub asset_id: Option<String>,
    pub message: Option<String>,
}

/// One curated text value and the revision that set it (`None` for a value no revision set yet).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Versioned {
    pub value: Option<String>,
    pub revision: Option<i64>,
}

/// An open shared catalogue.
pub struct SharedCatalog {
    pub(crate) client: Client,
    /// The connection string without its password.
    name: String,
}

impl SharedCatalog {
    /// Connects and brings the schema up to date (concurrent workers wait on one advisory lock).
    pub fn connect(url: &str) -> Result<Self> {
        let name = redact(url);
        let client = Client::connect(url, NoTls).map_err(|source| CatalogError::Postgres {
            name: name.clone(),
            source,
        })?;
        let mut cat = Self { client, name };
        cat.migrate()?;
        Ok(cat)
    }

    /// The connection, for [`crate::Catalog`] on this database.
    pub(crate) fn into_client(self) -> Client {
        self.client
    }

    /// The catalogue's name for messages (its connection string without the password).
    pub fn name(&self) -> &str {
        &self.name
    }

    fn migrate(&mut self) -> Result<()> {
        let name = self.name.clone();
        let err = |source| CatalogError::Postgres {
            name: name.clone(),
            source,
        };
        let mut tx = self.client.transaction().map_err(err)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map_err(err)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)",
        )
        .map_err(err)?;
        let current: i64 = tx
            .query_one("SELECT coalesce(max(version), 0) FROM schema_version", &[])
            .map_err(err)?
            .get(0);
        let known = MIGRATIONS.len() as i64;
        if current > known {
            return Err(CatalogError::TooNew {
                path: self.name.clone().into(),
                found: current as u32,
                known: known as u32,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            tx.batch_execute(sql).map_err(err)?;
            tx.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)",
                &[&(i as i64 + 1), &crate::now()],
            )
            .map_err(err)?;
            if i + 1 == 4 {
                let ids: Vec<String> = tx
                    .query("SELECT id FROM assets", &[])
                    .map_err(err)?
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                for id in &ids {
                    reindex(&mut tx, id).map_err(sql_err(&name))?;
                }
            }
            tracing::info!(version = i + 1, catalogue = %self.name, "shared catalogue migrated");
        }
        tx.commit().map_err(err)
    }

    /// The schema version the shared catalogue is at.
    pub fn schema_version(&mut self) -> Result<u32> {
        let v: i64 = self
            .client
            .query_one("SELECT coalesce(max(version), 0) FROM schema_version", &[])
            .map_err(self.err_owned())?
            .get(0);
        Ok(v as u32)
    }

    fn err_owned(&self) -> impl Fn(postgres::Error) -> CatalogError + use<> {
        let name = self.name.clone();
        move |source| CatalogError::Postgres {
            name: name.clone(),
            source,
        }
    }

    /// What the catalogue remembers of each of `paths` that it knows, by path (one query for a batch).
    pub fn source_files(&mut self, paths: &[String]) -> Result<HashMap<String, SourceFileRecord>> {
        let err = self.err_owned();
        let rows = self
            .client
            .query(
                "SELECT path, size, mtime_ns, asset_id, settings_version FROM source_files WHERE path = ANY($1)",
                &[&paths],
            )
            .map_err(err)?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    r.get(0),
                    SourceFileRecord {
                        size: r.get::<_, i64>(1) as u64,
                        mtime_ns: r.get(2),
                        asset_id: r.get(3),
                        settings_version: r.get::<_, i64>(4) as u32,
                    },
                )
            })
            .collect())
    }

    /// What the catalogue remembers of the file at `path`.
    pub fn source_file(&mut self, path: &str) -> Result<Option<SourceFileRecord>> {
        Ok(self.source_files(&[path.to_owned()])?.remove(path))
    }

    /// The settings version of each of `ids` that is in the catalogue.
    pub fn asset_settings_versions(&mut self, ids: &[String]) -> Result<HashMap<String, u32>> {
        let err = self.err_owned();
        let rows = self
            .client
            .query("SELECT id, settings_version FROM assets WHERE id = ANY($1)", &[&ids])
            .map_err(err)?;
        Ok(rows
            .iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1) as u32))
            .collect())
    }

    /// The source path an asset was last made from, if it is in the catalogue.
    pub fn asset_source_path(&mut self, id: &str) -> Result<Option<String>> {
        let err = self.err_owned();
        let row = self
            .client
            .query_opt("SELECT source_path FROM assets WHERE id = $1", &[&id])
            .map_err(err)?;
        Ok(row.map(|r| r.get(0)))
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
        let err = self.err_owned();
        self.client
            .execute(
                SOURCE_FILE_UPSERT,
                &[
                    &path,
                    &(size as i64),
                    &mtime_ns,
                    &id.to_string(),
                    &(settings_version as i64),
                ],
            )
            .map_err(err)
            .map(drop)
    }

    /// Inserts or updates an asset from its manifest, with its source-file record, in one transaction.
    /// Curated fields (state, site, curated text) of an existing asset are left as they are.
    pub fn commit_asset(&mut self, m: &AssetManifest, source_path: &str, mtime_ns: i64) -> Result<()> {
        let err = self.err_owned();
        let name = self.name.clone();
        let mut tx = self.client.transaction().map_err(&err)?;
        upsert_asset(&mut tx, m, source_path, &crate::now()).map_err(&err)?;
        tx.execute(
            SOURCE_FILE_UPSERT,
            &[
                &source_path,
                &(m.source.bytes as i64),
                &mtime_ns,
                &m.id.to_string(),
                &(m.settings_version as i64),
            ],
        )
        .map_err(&err)?;
        reindex(&mut tx, &m.id.to_string()).map_err(sql_err(&name))?;
        tx.commit().map_err(err)
    }

    /// Rebuilds the search rows of every asset (after `disan migrate`); returns how many.
    pub fn reindex_all(&mut self) -> Result<usize> {
        let err = self.err_owned();
        let name = self.name.clone();
        let mut tx = self.client.transaction().map_err(&err)?;
        let ids: Vec<String> = tx
            .query("SELECT id FROM assets ORDER BY id", &[])
            .map_err(&err)?
            .iter()
            .map(|r| r.get(0))
            .collect();
        for id in &ids {
            reindex(&mut tx, id).map_err(sql_err(&name))?;
        }
        tx.commit().map_err(err)?;
        Ok(ids.len())
    }

    /// All assets, optionally of one kind, ordered by capture time then id (as [`crate::Catalog::list`]).
    pub fn list(&mut self, kind: Option<AssetKind>) -> Result<Vec<AssetRecord>> {
        let err = self.err_owned();
        let rows = self
            .client
            .query(
                "SELECT id, kind, state, site_id, source_path, ingested_at, updated_at, manifest FROM assets
                 WHERE $1::TEXT IS NULL OR kind = $1 ORDER BY taken_at IS NULL, taken_at, id",
                &[&kind.map(AssetKind::as_str)],
            )
            .map_err(err)?;
        rows.iter().map(|r| crate::record(row_parts(r))).collect()
    }

    /// One asset by id or by a unique prefix of at least 4 digits (as [`crate::Catalog::get`]).
    pub fn get(&mut self, id_or_prefix: &str) -> Result<AssetRecord> {
        let q = id_or_prefix.trim().to_ascii_lowercase();
        if q.len() < 4 || !q.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(CatalogError::NotFound(id_or_prefix.to_owned()));
        }
        let err = self.err_owned();
        let rows = self
            .client
            .query(
                "SELECT id, kind, state, site_id, source_path, ingested_at, updated_at, manifest FROM assets
                 WHERE starts_with(id, $1) ORDER BY id LIMIT 5",
                &[&q],
            )
            .map_err(err)?;
        match rows.len() {
            0 => Err(CatalogError::NotFound(id_or_prefix.to_owned())),
            1 => crate::record(row_parts(&rows[0])),
            _ => Err(CatalogError::Ambiguous(
                id_or_prefix.to_owned(),
                rows.iter()
                    .map(|r| r.get::<_, String>(0))
                    .collect::<Vec<_>>()
                    .join(", "),
            )),
        }
    }

    /// A collection-wide setting.
    pub fn property(&mut self, key: &str) -> Result<Option<String>> {
        let err = self.err_owned();
        let row = self
            .client
            .query_opt("SELECT value FROM properties WHERE key = $1", &[&key])
            .map_err(err)?;
        Ok(row.map(|r| r.get(0)))
    }

    /// Sets a collection-wide setting.
    pub fn set_property(&mut self, key: &str, value: &str) -> Result<()> {
        let err = self.err_owned();
        self.client
            .execute(
                "INSERT INTO properties (key, value) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[&key, &value],
            )
            .map_err(err)
            .map(drop)
    }

    /// The URL the collection folder is served from.
    pub fn public_base_url(&mut self) -> Result<String> {
        Ok(self
            .property(PUBLIC_BASE_URL)?
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned()))
    }

    /// Starts a worker's run.
    pub fn begin_run(&mut self, run_id: &str, started_at: &str) -> Result<()> {
        let err = self.err_owned();
        self.client
            .execute(
                "INSERT INTO runs (id, started_at, status) VALUES ($1, $2, 'running')",
                &[&run_id, &started_at],
            )
            .map_err(err)
            .map(drop)
    }

    /// Finishes a run with its per-file outcomes, in one transaction.
    pub fn finish_run(&mut self, run_id: &str, status: &str, counts: RunCounts, files: &[RunFileRow]) -> Result<()> {
        let err = self.err_owned();
        let mut tx = self.client.transaction().map_err(&err)?;
        for f in files {
            tx.execute(
                "INSERT INTO run_files (run_id, path, outcome, asset_id, message) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (run_id, path) DO UPDATE SET outcome = $3, asset_id = $4, message = $5",
                &[&run_id, &f.path, &f.outcome, &f.asset_id, &f.message],
            )
            .map_err(&err)?;
        }
        tx.execute(
            "UPDATE runs SET finished_at = $2, status = $3, files = $4, ingested = $5, unchanged = $6,
                 duplicates = $7, failed = $8 WHERE id = $1",
            &[
                &run_id,
                &crate::now(),
                &status,
                &(counts.files as i64),
                &(counts.ingested as i64),
                &(counts.unchanged as i64),
                &(counts.duplicates as i64),
                &(counts.failed as i64),
            ],
        )
        .map_err(&err)?;
        tx.commit().map_err(err)
    }

    // ---- the work queue ----

    /// Adds files to the queue: (canonical path, path as given). A file already queued is queued again
    /// only when it is finished (its outcome is then replaced by the next worker's); returns how many rows
    /// became pending.
    pub fn enqueue(&mut self, files: &[(String, String)]) -> Result<u64> {
        let err = self.err_owned();
        let mut tx = self.client.transaction().map_err(&err)?;
        let stmt = tx
            .prepare(
                "INSERT INTO ingest_queue (path, display) VALUES ($1, $2)
                 ON CONFLICT (path) DO UPDATE SET state = 'pending', display = excluded.display, worker = NULL,
                     lease_until = NULL, attempts = 0, outcome = NULL, asset_id = NULL, message = NULL,
                     finished_at = NULL
                 WHERE ingest_queue.state IN ('done', 'failed')",
            )
            .map_err(&err)?;
        let mut added = 0;
        for (path, display) in files {
            added += tx.execute(&stmt, &[path, display]).map_err(&err)?;
        }
        tx.commit().map_err(err)?;
        Ok(added)
    }

    /// Claims up to `n` files for `worker` for `lease`: pending files first in path order, then files whose
    /// lease ran out (their worker died). Rows other workers are claiming at this moment are skipped, not
    /// waited for. A file claimed [`MAX_ATTEMPTS`] times already is finished as failed instead.
    pub fn claim(&mut self, worker: &str, n: usize, lease: Duration) -> Result<Vec<Claim>> {
        let err = self.err_owned();
        let mut tx = self.client.transaction().map_err(&err)?;
        tx.execute(
            "UPDATE ingest_queue SET state = 'failed', outcome = 'failed', worker = NULL, lease_until = NULL,
                 finished_at = clock_timestamp(),
                 message = 'the worker processing it stopped ' || attempts || ' times (killed, or out of memory?); '
                     || 'check the file, then `disan queue add` it again'
             WHERE path IN (SELECT path FROM ingest_queue WHERE state = 'claimed' AND lease_until < clock_timestamp()
                            AND attempts >= $1 FOR UPDATE SKIP LOCKED)",
            &[&MAX_ATTEMPTS],
        )
        .map_err(&err)?;
        let rows = tx
            .query(
                "UPDATE ingest_queue q SET state = 'claimed', worker = $1,
                     lease_until = clock_timestamp() + make_interval(secs => $2), attempts = q.attempts + 1
                 FROM (SELECT path FROM ingest_queue
                       WHERE state = 'pending' OR (state = 'claimed' AND lease_until < clock_timestamp())
                       ORDER BY state = 'claimed', path LIMIT $3 FOR UPDATE SKIP LOCKED) c
                 WHERE q.path = c.path
                 RETURNING q.path, q.display, q.attempts",
                &[&worker, &lease.as_secs_f64(), &(n as i64)],
            )
            .map_err(&err)?;
        tx.commit().map_err(&err)?;
        let mut claims: Vec<Claim> = rows
            .iter()
            .map(|r| Claim {
                path: r.get(0),
                display: r.get(1),
                attempts: r.get(2),
            })
            .collect();
        claims.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(claims)
    }

    /// Renews every lease `worker` holds (queue rows and asset ids); returns how many queue rows it holds.
    pub fn heartbeat(&mut self, worker: &str, lease: Duration) -> Result<u64> {
        let err = self.err_owned();
        let secs = lease.as_secs_f64();
        let mut tx = self.client.transaction().map_err(&err)?;
        let n = tx
            .execute(
                "UPDATE ingest_queue SET lease_until = clock_timestamp() + make_interval(secs => $2)
                 WHERE worker = $1 AND state = 'claimed'",
                &[&worker, &secs],
            )
            .map_err(&err)?;
        tx.execute(
            "UPDATE asset_leases SET lease_until = clock_timestamp() + make_interval(secs => $2) WHERE worker = $1",
            &[&worker, &secs],
        )
        .map_err(&err)?;
        tx.commit().map_err(err)?;
        Ok(n)
    }

    /// Finishes a claimed file with its outcome. Returns false when `worker` no longer holds it (its lease
    /// ran out and another worker claimed it): the other worker's outcome stands.
    pub fn finish(
        &mut self,
        worker: &str,
        path: &str,
        outcome: &str,
        asset_id: Option<&str>,
        message: Option<&str>,
    ) -> Result<bool> {
        let err = self.err_owned();
        let state = if outcome == "failed" { "failed" } else { "done" };
        let n = self
            .client
            .execute(
                "UPDATE ingest_queue SET state = $3, outcome = $4, asset_id = $5, message = $6, worker = NULL,
                     lease_until = NULL, finished_at = clock_timestamp()
                 WHERE path = $1 AND worker = $2 AND state = 'claimed'",
                &[&path, &worker, &state, &outcome, &asset_id, &message],
            )
            .map_err(err)?;
        Ok(n == 1)
    }

    /// Puts a claimed file back (a worker stopping before it got to it).
    pub fn release(&mut self, worker: &str, path: &str) -> Result<()> {
        let err = self.err_owned();
        self.client
            .execute(
                "UPDATE ingest_queue SET state = 'pending', worker = NULL, lease_until = NULL,
                     attempts = greatest(attempts - 1, 0)
                 WHERE path = $1 AND worker = $2 AND state = 'claimed'",
                &[&path, &worker],
            )
            .map_err(err)
            .map(drop)
    }

    /// Takes the lease on asset `id` for `worker` if nobody holds it (or their lease ran out).
    pub fn lease_asset(&mut self, worker: &str, id: &str, lease: Duration) -> Result<bool> {
        let err = self.err_owned();
        let row = self
            .client
            .query_opt(
                "INSERT INTO asset_leases (id, worker, lease_until)
                 VALUES ($1, $2, clock_timestamp() + make_interval(secs => $3))
                 ON CONFLICT (id) DO UPDATE SET worker = excluded.worker, lease_until = excluded.lease_until
                 WHERE asset_leases.lease_until < clock_timestamp() OR asset_leases.worker = excluded.worker
                 RETURNING worker",
                &[&id, &worker, &lease.as_secs_f64()],
            )
            .map_err(err)?;
        Ok(row.is_some())
    }

    /// Gives up the lease on asset `id`.
    pub fn release_asset(&mut self, worker: &str, id: &str) -> Result<()> {
        let err = self.err_owned();
        self.client
            .execute(
                "DELETE FROM asset_leases WHERE id = $1 AND worker = $2",
                &[&id, &worker],
            )
            .map_err(err)
            .map(drop)
    }

    /// Workers that hold a live lease on some queue row.
    pub fn live_workers(&mut self) -> Result<Vec<String>> {
        let err = self.err_owned();
        let rows = self
            .client
            .query(
                "SELECT DISTINCT worker FROM ingest_queue WHERE state = 'claimed' AND lease_until >= clock_timestamp()
                 UNION SELECT DISTINCT worker FROM asset_leases WHERE lease_until >= clock_timestamp()",
                &[],
            )
            .map_err(err)?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// How many queue rows are in each state.
    pub fn queue_counts(&mut self) -> Result<QueueCounts> {
        let err = self.err_owned();
        let rows = self
            .client
            .query("SELECT state, count(*) FROM ingest_queue GROUP BY state", &[])
            .map_err(err)?;
        let mut c = QueueCounts::default();
        for r in rows {
            let n = r.get::<_, i64>(1) as u64;
            match r.get::<_, &str>(0) {
                "pending" => c.pending = n,
                "claimed" => c.claimed = n,
                "done" => c.done = n,
                _ => c.failed = n,
            }
        }
        Ok(c)
    }

    /// Every queue row, in path order.
    pub fn queue_rows(&mut self) -> Result<Vec<QueueRow>> {
        let err = self.err_owned();
        let rows = self
            .client
            .query(
                "SELECT display, state, attempts, outcome, asset_id, message FROM ingest_queue ORDER BY path",
                &[],
            )
            .map_err(err)?;
        Ok(rows
            .iter()
            .map(|r| QueueRow {
                path: r.get(0),
                state: r.get(1),
                attempts: r.get(2),
                outcome: r.get(3),
                asset_id: r.get(4),
                message: r.get(5),
            })
            .collect())
    }

    // ---- curated text, with optimistic concurrency ----

    /// A curated text value of an asset and the revision that set it: pass the revision back to
    /// [`Self::set_text`] to change the value only if nobody changed it since.
    pub fn text(&mut self, asset: &str, field: &str, lang: &str) -> Result<Versioned> {
        let err = self.err_owned();
        let value = self
            .client
            .query_opt(
                "SELECT value FROM asset_text WHERE asset_id = $1 AND field = $2 AND lang = $3",
                &[&asset, &field, &lang],
            )
            .map_err(&err)?
            .map(|r| r.get(0));
        let revision = self
            .client
            .query_one(
                "SELECT max(id) FROM revisions WHERE entity = 'asset' AND entity_id = $1 AND field = $2 AND lang = $3",
                &[&asset, &field, &lang],
            )
            .map_err(err)?
            .get(0);
        Ok(Versioned { value, revision })
    }

    /// Sets a curated multilingual field of an asset (validated and NFC-normalised as in the embedded
    /// catalogue; an empty value clears it) and records the revision, in one transaction that holds the
    /// asset's row lock. `expected` is the revision the curator's value was read at ([`Self::text`]): when
    /// another revision of the field has been committed since, nothing is written and the error is
    /// [`CatalogError::Conflict`], naming who changed it. Returns the new revision's id.
    pub fn set_text(
        &mut self,
        asset: &str,
        field: &str,
        lang: &str,
        value: &str,
        author: &str,
        expected: Option<i64>,
    ) -> Result<i64> {
        let (field, lang_checked) = crate::fields::parse_key(crate::Entity::Asset, &format!("{field}.{lang}"))?;
        let lang = lang_checked.unwrap_or_else(|| lang.to_owned());
        let value = crate::fields::normalise_value(crate::Entity::Asset, &field, value)?;
        let err = self.err_owned();
        let mut tx = self.client.transaction().map_err(&err)?;
        // The asset's row lock orders concurrent edits of it: the second waits here, then sees the first.
        if tx
            .query_opt("SELECT id FROM assets WHERE id = $1 FOR UPDATE", &[&asset])
            .map_err(&err)?
            .is_none()
        {
            return Err(CatalogError::NotFound(asset.to_owned()));
        }
        let last = tx
            .query_one(
                "SELECT id, author, at FROM revisions WHERE id = (SELECT max(id) FROM revisions
                     WHERE entity = 'asset' AND entity_id = $1 AND field = $2 AND lang = $3)
                 UNION ALL SELECT NULL, NULL, NULL LIMIT 1",
                &[&asset, &field, &lang],
            )
            .map_err(&err)?;
        let last_id: Option<i64> = last.get(0);
        if last_id != expected {
            return Err(CatalogError::Conflict {
                what: format!("{asset} {field}.{lang}"),
                revision: last_id.unwrap_or_default(),
                by: last.get::<_, Option<String>>(1).unwrap_or_default(),
                at: last.get::<_, Option<String>>(2).unwrap_or_default(),
            });
        }
        let old: Option<String> = tx
            .query_opt(
                "SELECT value FROM asset_text WHERE asset_id = $1 AND field = $2 AND lang = $3",
                &[&asset, &field, &lang],
            )
            .map_err(&err)?
            .map(|r| r.get(0));
        let new = (!value.is_empty()).then_some(value);
        if new.is_some() {
            tx.execute(
                "INSERT INTO asset_text (asset_id, field, lang, value) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (asset_id, field, lang) DO UPDATE SET value = excluded.value",
                &[&asset, &field, &lang, &new],
            )
            .map_err(&err)?;
        } else {
            tx.execute(
                "DELETE FROM asset_text WHERE asset_id = $1 AND field = $2 AND lang = $3",
                &[&asset, &field, &lang],
            )
            .map_err(&err)?;
        }
        let id: i64 = tx
            .query_one(
                "INSERT INTO revisions (entity, entity_id, field, lang, old, new, author, at)
                 VALUES ('asset', $1, $2, $3, $4, $5, $6, $7) RETURNING id",
                &[&asset, &field, &lang, &old, &new, &author, &crate::now()],
            )
            .map_err(&err)?
            .get(0);
        tx.execute(
            "UPDATE assets SET updated_at = $2 WHERE id = $1",
            &[&asset, &crate::now()],
        )
        .map_err(&err)?;
        tx.commit().map_err(err)?;
        Ok(id)
    }

    /// The revisions of an asset's curated fields, oldest first.
    pub fn history(&mut self, asset: &str) -> Result<Vec<crate::Revision>> {
        let err = self.err_owned();
        let rows = self
            .client
            .query(
                "SELECT id, entity, entity_id, field, lang, old, new, author, at, reverts FROM revisions
                 WHERE entity = 'asset' AND entity_id = $1 ORDER BY id",
                &[&asset],
            )
            .map_err(err)?;
        Ok(rows
            .iter()
            .map(|r| crate::Revision {
                id: r.get(0),
                entity: r.get(1),
                entity_id: r.get(2),
                field: r.get(3),
                lang: r.get(4),
                old: r.get(5),
                new: r.get(6),
                author: r.get(7),
                at: r.get(8),
                reverts: r.get(9),
            })
            .collect())
    }
}

const SOURCE_FILE_UPSERT: &str = "INSERT INTO source_files (path, size, mtime_ns, asset_id, settings_version)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (path) DO UPDATE SET size = $2, mtime_ns = $3, asset_id = $4, settings_version = $5";

/// As the embedded catalogue's `upsert_asset`: ingest's columns only, never the curated ones.
fn upsert_asset(
    tx: &mut Transaction<'_>,
    m: &AssetManifest,
    source_path: &str,
    now: &str,
) -> Result<(), postgres::Error> {
    let manifest = serde_json::to_string(m).expect("manifests always serialise");
    tx.execute(
        "INSERT INTO assets (id, kind, source_name, source_path, source_bytes, blake3, format, width, height,
                             taken_at, lat, lon, settings_version, manifest, ingested_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)
         ON CONFLICT (id) DO UPDATE SET kind = $2, source_name = $3, source_path = $4, source_bytes = $5,
             blake3 = $6, format = $7, width = $8, height = $9, taken_at = $10, lat = $11, lon = $12,
             settings_version = $13, manifest = $14, updated_at = $15",
        &[
            &m.id.to_string(),
            &m.kind.as_str(),
            &m.source.file_name,
            &source_path,
            &(m.source.bytes as i64),
            &m.source.blake3,
            &m.source.format,
            &m.width.map(i64::from),
            &m.height.map(i64::from),
            &m.metadata.taken_at,
            &m.metadata.gps.map(|g| g.lat),
            &m.metadata.gps.map(|g| g.lon),
            &(m.settings_version as i64),
            &manifest,
            &now,
        ],
    )
    .map(drop)
}

/// Writes the search row of one asset from what the shared catalogue holds now ([`crate::search::index_row`],
/// as the embedded catalogue's index).
fn reindex(tx: &mut Transaction<'_>, id: &str) -> Result<(), crate::db::Error> {
    let Some(row) = crate::search::index_row(tx, id, &mut HashMap::new())? else {
        return Ok(());
    };
    tx.execute(
        "INSERT INTO asset_search (asset_id, title, site, body, facets) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (asset_id) DO UPDATE SET title = $2, site = $3, body = $4, facets = $5",
        &[&id, &row.title, &row.site, &row.body, &row.facets],
    )?;
    Ok(())
}

/// The assets matching what a person typed and every facet token ([`crate::search::facet`]), best first,
/// at most `limit`, as the embedded search: matches in the title first, then in the site's names, then
/// elsewhere; a tier with at most `window` matches is ranked by `ts_rank` (title 1.0, site 0.4, other text
/// 0.1; divided by 1 + the log of the length, so shorter texts come first as with BM25; higher is better),
/// a broader one lists its newest matches first without a score. Returns (asset
/// id, tier, score).
pub(crate) fn search(
    client: &mut Client,
    query: &str,
    facets: &[String],
    limit: usize,
    window: usize,
) -> Result<Vec<(String, crate::MatchTier, Option<f64>)>, postgres::Error> {
    let Some(q) = ts_query(query) else {
        return Ok(Vec::new());
    };
    let facets = facets.join(" & ");
    let window = window.max(limit).min(i64::MAX as usize) as i64;
    let mut found = Vec::new();
    for (tier, cond) in [
        (crate::MatchTier::Title, "s.t_title @@ q"),
        (crate::MatchTier::Site, "s.t_site @@ q AND NOT s.t_title @@ q"),
        (crate::MatchTier::Text, "NOT s.t_site @@ q"),
    ] {
        let want = limit - found.len();
        if want == 0 {
            break;
        }
        let from = format!(
            "FROM asset_search s JOIN assets a ON a.id = s.asset_id, to_tsquery('simple', $1) q
             WHERE s.doc @@ q AND {cond} AND ($3 = '' OR s.t_facets @@ to_tsquery('simple', $3))"
        );
        let newest: Vec<String> = client
            .query(
                &format!("SELECT s.asset_id {from} ORDER BY a.ingested_at DESC, s.asset_id DESC LIMIT $2"),
                &[&q, &window, &facets],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        if (newest.len() as i64) < window {
            let ranked = client.query(
                &format!(
                    "SELECT s.asset_id, ts_rank('{{0.1, 0, 0.4, 1.0}}', s.doc, q, 1) AS score {from}
                     ORDER BY score DESC, a.ingested_at DESC, s.asset_id DESC LIMIT $2"
                ),
                &[&q, &(want as i64), &facets],
            )?;
            found.extend(
                ranked
                    .iter()
                    .map(|r| (r.get(0), tier, Some(f64::from(r.get::<_, f32>(1))))),
            );
        } else {
            found.extend(newest.into_iter().take(want).map(|id| (id, tier, None)));
        }
    }
    Ok(found)
}

/// The tsquery for what a person typed, as the embedded catalogue's FTS5 query: every folded word must
/// match, the last one as a prefix; a run of CJK characters matches as a phrase. `None` when nothing
/// searchable was typed.
fn ts_query(typed: &str) -> Option<String> {
    let terms = crate::search::query_terms(typed);
    let last = terms.len().checked_sub(1)?;
    Some(
        terms
            .iter()
            .enumerate()
            .map(|(i, (tokens, prefix))| {
                let term = tokens
                    .iter()
                    .map(|w| format!("'{w}'"))
                    .collect::<Vec<_>>()
                    .join(" <-> ");
                if i == last && *prefix {
                    format!("{term}:*")
                } else if tokens.len() > 1 {
                    format!("({term})")
                } else {
                    term
                }
            })
            .collect::<Vec<_>>()
            .join(" & "),
    )
}

fn row_parts(r: &postgres::Row) -> crate::RowParts {
    (
        r.get(0),
        r.get(1),
        r.get(2),
        r.get(3),
        r.get(4),
        r.get(5),
        r.get(6),
        r.get(7),
    )
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Barrier};

    use super::*;
    use crate::tests::manifest;
    use crate::{Catalog, WriteLock};

    #[test]
    fn queries_fold_as_the_embedded_ones_do() {
        assert_eq!(ts_query("Hạ Long").as_deref(), Some("'ha' & 'long':*"));
        assert_eq!(ts_query("ĐIỆN biên, phủ").as_deref(), Some("'dien' & 'bien' & 'phu':*"));
        assert_eq!(ts_query("下龙湾").as_deref(), Some("('下' <-> '龙' <-> '湾')"));
        assert_eq!(ts_query("Yên Tử 寺").as_deref(), Some("'yen' & 'tu' & '寺'"));
        assert_eq!(ts_query("\"a\" OR b*").as_deref(), Some("'a' & 'or' & 'b':*"));
        assert_eq!(ts_query("  -- "), None);
    }

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgresql://disan:s3cret@db:5432/h"),
            "postgresql://disan:***@db:5432/h"
        );
        assert_eq!(redact("postgresql://disan@db/h"), "postgresql://disan@db/h");
        assert_eq!(redact("postgresql://db/h"), "postgresql://db/h");
    }

    fn without_times(mut v: serde_json::Value) -> serde_json::Value {
        let o = v.as_object_mut().unwrap();
        o.remove("ingested_at");
        o.remove("updated_at");
        v
    }

    #[test]
    fn the_shared_catalogue_lists_and_finds_assets_as_the_embedded_one_does() {
        let url = disan_tests::postgres_db("assets");
        // Workers starting together migrate once: the others wait on the advisory lock.
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let url = url.clone();
                std::thread::spawn(move || SharedCatalog::connect(&url).map(|mut c| c.schema_version().unwrap()))
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap().unwrap(), MIGRATIONS.len() as u32);
        }
        let mut pg = SharedCatalog::connect(&url).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let lock = WriteLock::acquire(dir.path()).unwrap();
        let mut lite = Catalog::open_or_create(dir.path(), &lock).unwrap();
        let mut with_gps = manifest("aaaa000000000001", Some("2020-01-01T00:00:00"));
        with_gps.metadata.gps = Some(disan_core::GeoPoint {
            lat: 20.9101,
            lon: 107.1839,
            alt: None,
        });
        let items = [
            (with_gps, "/in/ha-long.jpg"),
            (manifest("aaaa000000000002", Some("2019-01-01T00:00:00")), "/in/b.jpg"),
            (manifest("bbbb000000000003", None), "/in/c.jpg"),
        ];
        for (m, path) in &items {
            pg.commit_asset(m, path, 7).unwrap();
            lite.commit_asset(m, path, 7).unwrap();
        }
        let json = |r: Vec<AssetRecord>| -> Vec<serde_json::Value> {
            r.into_iter()
                .map(|a| without_times(serde_json::to_value(a).unwrap()))
                .collect()
        };
        assert_eq!(json(pg.list(None).unwrap()), json(lite.list(None).unwrap()));
        assert_eq!(pg.list(None).unwrap().len(), 3);
        assert!(pg.list(Some(AssetKind::Model)).unwrap().is_empty());
        assert_eq!(
            without_times(serde_json::to_value(pg.get("bbbb").unwrap()).unwrap()),
            without_times(serde_json::to_value(lite.get("bbbb").unwrap()).unwrap())
        );
        assert!(matches!(pg.get("aaaa"), Err(CatalogError::Ambiguous(..))));
        assert!(matches!(pg.get("cccc"), Err(CatalogError::NotFound(_))));
        assert_eq!(
            pg.source_file("/in/b.jpg").unwrap(),
            lite.source_file("/in/b.jpg").unwrap()
        );
        assert_eq!(pg.public_base_url().unwrap(), DEFAULT_BASE_URL);
        pg.set_property(PUBLIC_BASE_URL, "https://a.example/c").unwrap();
        pg.set_property(PUBLIC_BASE_URL, "https://b.example/c").unwrap();
        assert_eq!(pg.public_base_url().unwrap(), "https://b.example/c");
        // Re-ingest keeps what curators set.
        let rev = pg
            .set_text("aaaa000000000002", "title", "vi", "Chùa Đồng, Yên Tử", "curator", None)
            .unwrap();
        pg.commit_asset(&items[1].0, "/in/b.jpg", 8).unwrap();
        let t = pg.text("aaaa000000000002", "title", "vi").unwrap();
        assert_eq!(t.value.as_deref(), Some("Chùa Đồng, Yên Tử"));
        assert_eq!(t.revision, Some(rev));
        assert_eq!(pg.source_file("/in/b.jpg").unwrap().unwrap().mtime_ns, 8);
        let versions = pg
            .asset_settings_versions(&["aaaa000000000001".into(), "ffff000000000000".into()])
            .unwrap();
        assert_eq!(versions.len(), 1);
    }

    #[test]
    fn the_queue_gives_each_file_to_one_worker_and_takes_back_a_dead_workers_files() {
        let url = disan_tests::postgres_db("queue");
        let mut cat = SharedCatalog::connect(&url).unwrap();
        let files: Vec<(String, String)> = (0..60)
            .map(|i| (format!("/in/{i:03}.jpg"), format!("in/{i:03}.jpg")))
            .collect();
        assert_eq!(cat.enqueue(&files).unwrap(), 60);
        // Queued twice while pending: still one row.
        assert_eq!(cat.enqueue(&files[..5]).unwrap(), 0);
        let lease = Duration::from_secs(60);
        let start = Arc::new(Barrier::new(4));
        let handles: Vec<_> = (0..4)
            .map(|w| {
                let (url, start) = (url.clone(), start.clone());
                std::thread::spawn(move || {
                    let mut c = SharedCatalog::connect(&url).unwrap();
                    let worker = format!("w{w}");
                    start.wait();
                    let mut mine = Vec::new();
                    loop {
                        let claims = c.claim(&worker, 3, lease).unwrap();
                        if claims.is_empty() {
                            return mine;
                        }
                        for cl in claims {
                            assert_eq!(cl.attempts, 1);
                            assert!(c.finish(&worker, &cl.path, "ingested", Some("0000"), None).unwrap());
                            mine.push(cl.path);
                        }
                    }
                })
            })
            .collect();
        let mut all: Vec<String> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
        all.sort();
        let expected: Vec<String> = files.iter().map(|f| f.0.clone()).collect();
        assert_eq!(all, expected, "every file exactly once");
        assert_eq!(cat.queue_counts().unwrap().done, 60);

        // A worker that stops renewing its leases loses its files to the next worker.
        cat.enqueue(&[("/in/z1.jpg".into(), "z1".into()), ("/in/z2.jpg".into(), "z2".into())])
            .unwrap();
        let dead = cat.claim("dead", 10, Duration::from_millis(300)).unwrap();
        assert_eq!(dead.len(), 2);
        assert!(cat.claim("alive", 10, lease).unwrap().is_empty(), "leases still held");
        assert!(cat.live_workers().unwrap().contains(&"dead".to_owned()));
        // Heartbeats keep them held.
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(cat.heartbeat("dead", Duration::from_millis(300)).unwrap(), 2);
        std::thread::sleep(Duration::from_millis(200));
        assert!(
            cat.claim("alive", 10, lease).unwrap().is_empty(),
            "renewed leases still held"
        );
        std::thread::sleep(Duration::from_millis(250));
        let taken = cat.claim("alive", 10, lease).unwrap();
        assert_eq!(taken.iter().map(|c| c.attempts).collect::<Vec<_>>(), [2, 2]);
        assert!(
            !cat.finish("dead", "/in/z1.jpg", "ingested", None, None).unwrap(),
            "the dead worker's finish is refused"
        );
        assert!(cat.finish("alive", "/in/z1.jpg", "ingested", None, None).unwrap());
        // A file put back unprocessed does not count as an attempt.
        cat.release("alive", "/in/z2.jpg").unwrap();
        assert_eq!(cat.claim("alive", 10, lease).unwrap()[0].attempts, 2);
        // A file every worker dies on fails in the end, with a reason, instead of killing workers forever.
        let short = Duration::from_millis(50);
        cat.enqueue(&[("/in/z3.jpg".into(), "z3".into())]).unwrap();
        for _ in 0..MAX_ATTEMPTS {
            std::thread::sleep(Duration::from_millis(60));
            assert_eq!(cat.claim("doomed", 1, short).unwrap().len(), 1);
        }
        std::thread::sleep(Duration::from_millis(60));
        assert!(cat.claim("next", 1, lease).unwrap().is_empty());
        let row = cat.queue_rows().unwrap().into_iter().find(|r| r.path == "z3").unwrap();
        assert_eq!(row.state, "failed");
        assert!(row.message.unwrap().contains("stopped 3 times"));
        // Finished files are queued again on request.
        assert_eq!(cat.enqueue(&[("/in/z3.jpg".into(), "z3".into())]).unwrap(), 1);
    }

    #[test]
    fn an_asset_lease_keeps_a_second_machine_off_the_same_bytes() {
        let url = disan_tests::postgres_db("leases");
        let mut cat = SharedCatalog::connect(&url).unwrap();
        let lease = Duration::from_millis(300);
        assert!(cat.lease_asset("a", "aaaa000000000001", lease).unwrap());
        assert!(
            cat.lease_asset("a", "aaaa000000000001", lease).unwrap(),
            "its holder may renew"
        );
        assert!(!cat.lease_asset("b", "aaaa000000000001", lease).unwrap());
        cat.release_asset("a", "aaaa000000000001").unwrap();
        assert!(cat.lease_asset("b", "aaaa000000000001", lease).unwrap());
        std::thread::sleep(Duration::from_millis(350));
        assert!(
            cat.lease_asset("a", "aaaa000000000001", lease).unwrap(),
            "an expired lease is taken over"
        );
    }

    #[test]
    fn two_curators_editing_one_field_get_one_success_and_one_conflict() {
        let url = disan_tests::postgres_db("edits");
        let mut cat = SharedCatalog::connect(&url).unwrap();
        cat.commit_asset(&manifest("aaaa000000000001", None), "/in/a.jpg", 1)
            .unwrap();
        for round in 0..5 {
            // Both read the field, then both write it at the same moment from their own connections.
            let read = cat.text("aaaa000000000001", "title", "vi").unwrap();
            let start = Arc::new(Barrier::new(2));
            let handles: Vec<_> = ["Lan", "Minh"]
                .into_iter()
                .map(|who| {
                    let (url, start, expected) = (url.clone(), start.clone(), read.revision);
                    std::thread::spawn(move || {
                        let mut c = SharedCatalog::connect(&url).unwrap();
                        start.wait();
                        let value = format!("Vịnh Hạ Long ({who} {round})");
                        c.set_text("aaaa000000000001", "title", "vi", &value, who, expected)
                            .map(|rev| (rev, value))
                    })
                })
                .collect();
            let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
            let wins: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
            let conflicts: Vec<_> = results
                .iter()
                .filter_map(|r| r.as_ref().err())
                .filter(|e| matches!(e, CatalogError::Conflict { .. }))
                .collect();
            assert_eq!((wins.len(), conflicts.len()), (1, 1), "{results:?}");
            let now = cat.text("aaaa000000000001", "title", "vi").unwrap();
            assert_eq!(now.value.as_ref(), Some(&wins[0].1), "the stored value is the winner's");
            assert_eq!(now.revision, Some(wins[0].0));
            let msg = conflicts[0].to_string();
            assert!(msg.contains("title.vi") && msg.contains("reload"), "{msg}");
        }
        // Every success is one revision; the history chains old → new without a gap.
        let history = cat.history("aaaa000000000001").unwrap();
        assert_eq!(history.len(), 5);
        for pair in history.windows(2) {
            assert_eq!(pair[1].old, pair[0].new);
        }
        // The value is stored NFC, as everywhere.
        let decomposed = "Vi\u{0323}nh Ha\u{0323} Long";
        let last = cat.text("aaaa000000000001", "title", "vi").unwrap().revision;
        cat.set_text("aaaa000000000001", "title", "vi", decomposed, "Lan", last)
            .unwrap();
        assert_eq!(
            cat.text("aaaa000000000001", "title", "vi").unwrap().value.as_deref(),
            Some("Vịnh Hạ Long")
        );
        assert!(matches!(
            cat.set_text("ffff000000000000", "title", "vi", "x", "Lan", None),
            Err(CatalogError::NotFound(_))
        ));
    }
}
