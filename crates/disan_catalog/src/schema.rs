//! Versioned migrations. Each entry moves the schema from version `i` to `i + 1`; applied migrations are
//! recorded in `schema_version` and never edited afterwards: change the schema by appending one.

pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: assets, capture facts, curated text, sites, revisions, source files, runs.
    r#"
    CREATE TABLE schema_version (
        version    INTEGER PRIMARY KEY,
        applied_at TEXT NOT NULL
    );
    CREATE TABLE sites (
        id         TEXT PRIMARY KEY,
        lat        REAL,
        lon        REAL,
        province   TEXT,
        rank       TEXT,
        type       TEXT,
        created_at TEXT NOT NULL
    );
    -- Multilingual site fields (name, description): one row per field and language, NFC text.
    CREATE TABLE site_text (
        site_id TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
        field   TEXT NOT NULL,
        lang    TEXT NOT NULL,
        value   TEXT NOT NULL,
        PRIMARY KEY (site_id, field, lang)
    );
    -- One row per asset. Columns are what ingest knows; `manifest` is the asset.json written with it.
    CREATE TABLE assets (
        id               TEXT PRIMARY KEY,
        kind             TEXT NOT NULL CHECK (kind IN ('photo', 'panorama', 'model')),
        state            TEXT NOT NULL DEFAULT 'draft'
                         CHECK (state IN ('draft', 'in_review', 'published', 'withdrawn')),
        site_id          TEXT REFERENCES sites(id) ON DELETE SET NULL,
        source_name      TEXT NOT NULL,
        source_path      TEXT NOT NULL,
        source_bytes     INTEGER NOT NULL,
        blake3           TEXT NOT NULL,
        format           TEXT NOT NULL,
        width            INTEGER,
        height           INTEGER,
        taken_at         TEXT,
        lat              REAL,
        lon              REAL,
        settings_version INTEGER NOT NULL,
        manifest         TEXT NOT NULL,
        ingested_at      TEXT NOT NULL,
        updated_at       TEXT NOT NULL
    );
    CREATE INDEX assets_kind ON assets(kind);
    CREATE INDEX assets_site ON assets(site_id);
    CREATE INDEX assets_taken ON assets(taken_at);
    -- Curated multilingual fields (Dublin Core title, description, creator, rights, …) by language.
    -- Written by curators only: ingest never touches this table, so re-ingest cannot lose an edit.
    CREATE TABLE asset_text (
        asset_id TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
        field    TEXT NOT NULL,
        lang     TEXT NOT NULL,
        value    TEXT NOT NULL,
        PRIMARY KEY (asset_id, field, lang)
    );
    -- Append-only history of every curated change; an undo is a new row that `reverts` an old one.
    CREATE TABLE revisions (
        id        INTEGER PRIMARY KEY AUTOINCREMENT,
        entity    TEXT NOT NULL CHECK (entity IN ('asset', 'site', 'tour')),
        entity_id TEXT NOT NULL,
        field     TEXT NOT NULL,
        lang      TEXT,
        old       TEXT,
        new       TEXT,
        author    TEXT NOT NULL,
        at        TEXT NOT NULL,
        reverts   INTEGER REFERENCES revisions(id)
    );
    CREATE INDEX revisions_entity ON revisions(entity, entity_id);
    -- Where each asset's original was last seen, for the quick unchanged-file check.
    CREATE TABLE source_files (
        path             TEXT PRIMARY KEY,
        size             INTEGER NOT NULL,
        mtime_ns         INTEGER NOT NULL,
        asset_id         TEXT NOT NULL,
        settings_version INTEGER NOT NULL
    );
    CREATE TABLE runs (
        id          TEXT PRIMARY KEY,
        started_at  TEXT NOT NULL,
        finished_at TEXT,
        status      TEXT NOT NULL CHECK (status IN ('running', 'ok', 'some_failed', 'interrupted', 'failed')),
        files       INTEGER NOT NULL DEFAULT 0,
        ingested    INTEGER NOT NULL DEFAULT 0,
        unchanged   INTEGER NOT NULL DEFAULT 0,
        duplicates  INTEGER NOT NULL DEFAULT 0,
        failed      INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE run_files (
        run_id   TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        path     TEXT NOT NULL,
        outcome  TEXT NOT NULL,
        asset_id TEXT,
        message  TEXT,
        PRIMARY KEY (run_id, path)
    );
    "#,
    // 2: collection-wide settings, such as the public base URL that IIIF service ids start with.
    r#"
    CREATE TABLE properties (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    "#,
    // 3: curation. Sites suggested by ingest wait for a curator's confirmation; merged sites point at the
    // site they became part of. `search_rows` gives each asset a stable integer key for the FTS5 index of
    // its folded text (lower case, no diacritics, đ → d, CJK characters as single tokens).
    r#"
    ALTER TABLE sites ADD COLUMN confirmed INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE sites ADD COLUMN merged_into TEXT REFERENCES sites(id);
    CREATE INDEX assets_state ON assets(state);
    CREATE INDEX revisions_field ON revisions(entity, field);
    CREATE TABLE search_rows (
        n        INTEGER PRIMARY KEY AUTOINCREMENT,
        asset_id TEXT NOT NULL UNIQUE REFERENCES assets(id) ON DELETE CASCADE
    );
    -- Contentless: the index keeps tokens only. `facets` holds one token per filterable fact (kind, state,
    -- site, rank) so filters are part of the full-text match; ranking is BM25 with the title weighted
    -- above the site, the site above the rest, and the facets not at all.
    CREATE VIRTUAL TABLE asset_search USING fts5(
        title, body, site, facets,
        content = '', contentless_delete = 1,
        tokenize = 'unicode61 remove_diacritics 0'
    );
    INSERT INTO asset_search (asset_search, rank) VALUES ('rank', 'bm25(10.0, 1.0, 4.0, 0.0)');
    "#,
    // 4: virtual tours. One JSON document per tour (scenes, link and info hotspots); every change is a
    // revision of entity 'tour', field 'tour'. `tours/<id>.json` mirrors the document.
    r#"
    CREATE TABLE tours (
        id  TEXT PRIMARY KEY,
        doc TEXT NOT NULL
    );
    "#,
    // 5: narration. One row per target and language; `value` is the JSON of an `AudioRecord` (the web MP3,
    // the kept original, duration, loudness, draft voice or not). Every change is a revision of the owning
    // asset or tour with field `audio…`, so history and undo work as for text.
    r#"
    CREATE TABLE audio (
        entity    TEXT NOT NULL CHECK (entity IN ('asset', 'tour')),
        entity_id TEXT NOT NULL,
        field     TEXT NOT NULL,
        lang      TEXT NOT NULL,
        value     TEXT NOT NULL,
        PRIMARY KEY (entity, entity_id, field, lang)
    );
    "#,
    // 6: stories. A relic's annotations (points on the model with a view, a title and text per language) as
    // one JSON document per asset; every change is a revision of the asset's field `story`.
    r#"
    CREATE TABLE stories (
        asset_id TEXT PRIMARY KEY REFERENCES assets(id),
        doc      TEXT NOT NULL
    );
    "#,
];
