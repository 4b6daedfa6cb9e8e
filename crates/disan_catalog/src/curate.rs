//! Curated metadata, workflow state and the append-only revision history.
//!
//! Every curated change, from the CLI, a CSV import, the viewer's curator mode or ingest's site
//! suggestions, goes through [`apply`]: it reads the current value, writes the new one and appends a
//! revision row (author, time, field, language, old, new) in the caller's transaction. Undo applies the
//! old value of a revision as a new revision, so history only ever grows.

use std::collections::HashMap;

use crate::db::{Connection, OptionalExtension, params};
use disan_core::{AssetKind, CaptureMetadata, LangText, Metadata, REQUIRED_LANGS, fold_for_search};
use serde::Serialize;

use crate::fields::{self, Change, Entity};
use crate::search::{self, Filter};
use crate::{Catalog, CatalogError, Result};

/// Workflow states, in order.
pub const STATES: [&str; 4] = ["draft", "in_review", "published", "withdrawn"];

/// Whether the workflow allows moving from one state to another: draft → in review → published, back
/// from review to draft, published → withdrawn (or back to review), and a withdrawn asset to draft or review.
pub fn allowed_transition(from: &str, to: &str) -> bool {
    matches!(
        (from, to),
        ("draft", "in_review")
            | ("in_review", "draft")
            | ("in_review", "published")
            | ("published", "withdrawn")
            | ("published", "in_review")
            | ("withdrawn", "draft")
            | ("withdrawn", "in_review")
    )
}

/// One row of the history.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Revision {
    pub id: i64,
    pub entity: String,
    pub entity_id: String,
    pub field: String,
    pub lang: Option<String>,
    pub old: Option<String>,
    pub new: Option<String>,
    pub author: String,
    pub at: String,
    /// The revision this one undid.
    pub reverts: Option<i64>,
}

impl Revision {
    /// `field` or `field.lang`.
    pub fn key(&self) -> String {
        match &self.lang {
            Some(l) => format!("{}.{l}", self.field),
            None => self.field.clone(),
        }
    }
}

/// The site an asset belongs to, as shown with the asset.
#[derive(Clone, Debug, Serialize)]
pub struct SiteRef {
    pub id: String,
    pub name: LangText,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub relic_type: Option<String>,
}

/// Everything a curator edits about an asset, with the capture facts read at ingest.
#[derive(Clone, Debug, Serialize)]
pub struct AssetMeta {
    pub id: String,
    pub kind: AssetKind,
    pub state: String,
    pub source_name: String,
    pub site: Option<SiteRef>,
    /// Curated Dublin Core fields.
    pub metadata: Metadata,
    /// `metadata.date`, or the capture date when none was set.
    pub date: Option<String>,
    /// What ingest read from the file (EXIF, XMP): never changed by curation.
    pub capture: CaptureMetadata,
}

/// An asset that is not ready for publication, or lacks translations.
#[derive(Clone, Debug, Serialize)]
pub struct PublicationIssue {
    pub id: String,
    pub state: String,
    pub title: LangText,
    /// Fields publication needs (`title.zh-Hans`, `rights`, `site`, …).
    pub missing: Vec<String>,
    /// Multilingual fields given in some languages but not in all of vi, en, zh-Hans.
    pub translations: Vec<String>,
}

/// What publication requires and what translations are missing, for one asset's values.
///
/// `site` is the asset's site and whether a curator has confirmed it (a site ingest suggested is not
/// enough for the public).
pub(crate) fn publication_gaps(
    m: &Metadata,
    site: Option<(&str, bool)>,
    taken_at: Option<&str>,
) -> (Vec<String>, Vec<String>) {
    let mut missing = Vec::new();
    for lang in REQUIRED_LANGS {
        if m.title.get(lang).is_none() {
            missing.push(format!("title.{lang}"));
        }
    }
    if m.description.get("vi").is_none() {
        missing.push("description.vi".into());
    }
    for f in ["creator", "rights"] {
        if m.get(f, None).is_none() {
            missing.push(f.into());
        }
    }
    if m.date.is_none() && taken_at.is_none() {
        missing.push("date".into());
    }
    match site {
        None => missing.push("site".into()),
        Some((_, false)) => missing.push("site (suggested by ingest: confirm it)".into()),
        Some((_, true)) => {}
    }
    let mut translations = Vec::new();
    for f in Metadata::MULTILINGUAL {
        let t = m.text(f).expect("multilingual field");
        if t.is_empty() || f == "title" {
            continue;
        }
        for lang in REQUIRED_LANGS {
            let key = format!("{f}.{lang}");
            if t.get(lang).is_none() && !missing.contains(&key) {
                translations.push(key);
            }
        }
    }
    (missing, translations)
}

/// The stored value of one field.
pub(crate) fn current(
    conn: &Connection,
    entity: Entity,
    id: &str,
    field: &str,
    lang: Option<&str>,
) -> crate::db::Result<Option<String>> {
    let one = |sql: &str| -> crate::db::Result<Option<String>> {
        Ok(conn
            .prepare_cached(sql)?
            .query_row([id], |r| r.get::<_, Option<String>>(0))
            .optional()?
            .flatten())
    };
    if crate::audio::is_audio_field(entity, field) {
        return crate::audio::stored(conn, entity, id, field, lang.unwrap_or(""));
    }
    match (entity, field) {
        (Entity::Asset, "story") => crate::story::stored(conn, id),
        (Entity::Asset, "state") => one("SELECT state FROM assets WHERE id = ?1"),
        (Entity::Asset, "site") => one("SELECT site_id FROM assets WHERE id = ?1"),
        (Entity::Asset, _) => conn
            .prepare_cached("SELECT value FROM asset_text WHERE asset_id = ?1 AND field = ?2 AND lang = ?3")?
            .query_row(params![id, field, lang.unwrap_or("")], |r| r.get(0))
            .optional(),
        (Entity::Site, "name" | "description" | "highlight") => conn
            .prepare_cached("SELECT value FROM site_text WHERE site_id = ?1 AND field = ?2 AND lang = ?3")?
            .query_row(params![id, field, lang.unwrap_or("")], |r| r.get(0))
            .optional(),
        (Entity::Site, "province") => one("SELECT province FROM sites WHERE id = ?1"),
        (Entity::Site, "rank") => one("SELECT rank FROM sites WHERE id = ?1"),
        (Entity::Site, "type") => one("SELECT type FROM sites WHERE id = ?1"),
        (Entity::Site, "merged_into") => one("SELECT merged_into FROM sites WHERE id = ?1"),
        (Entity::Site, "lat" | "lon") => Ok(conn
            .query_row(
                if field == "lat" {
                    "SELECT lat FROM sites WHERE id = ?1"
                } else {
                    "SELECT lon FROM sites WHERE id = ?1"
                },
                [id],
                |r| r.get::<_, Option<f64>>(0),
            )
            .optional()?
            .flatten()
            .map(|v| format!("{v}"))),
        (Entity::Site, "confirmed") => Ok(conn
            .prepare_cached("SELECT confirmed FROM sites WHERE id = ?1")?
            .query_row([id], |r| r.get::<_, bool>(0))
            .optional()?
            .map(|c| c.to_string())),
        (Entity::Site, _) => Ok(None),
        (Entity::Tour, _) => crate::tour_rows::stored(conn, id),
    }
}

/// Sets one language of a multilingual field in `table` (`asset_text`, `site_text`), or deletes it (`None`).
fn store_text(
    conn: &Connection,
    table: &str,
    owner: &str,
    (id, field, lang): (&str, &str, &str),
    value: Option<&str>,
) -> crate::db::Result<()> {
    match value {
        Some(v) => conn
            .prepare_cached(&format!(
                "INSERT INTO {table} ({owner}, field, lang, value) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT ({owner}, field, lang) DO UPDATE SET value = excluded.value"
            ))?
            .execute(params![id, field, lang, v])
            .map(drop),
        None => conn
            .prepare_cached(&format!(
                "DELETE FROM {table} WHERE {owner} = ?1 AND field = ?2 AND lang = ?3"
            ))?
            .execute(params![id, field, lang])
            .map(drop),
    }
}

fn store(
    conn: &Connection,
    entity: Entity,
    id: &str,
    field: &str,
    lang: Option<&str>,
    value: Option<&str>,
) -> crate::db::Result<()> {
    let lang = lang.unwrap_or("");
    if crate::audio::is_audio_field(entity, field) {
        return crate::audio::store(conn, entity, id, field, lang, value);
    }
    let column = |sql: &str| conn.prepare_cached(sql)?.execute(params![id, value]).map(drop);
    match (entity, field) {
        (Entity::Asset, "story") => crate::story::store(conn, id, value),
        (Entity::Asset, "state") => column("UPDATE assets SET state = ?2 WHERE id = ?1"),
        (Entity::Asset, "site") => column("UPDATE assets SET site_id = ?2 WHERE id = ?1"),
        (Entity::Asset, _) => store_text(conn, "asset_text", "asset_id", (id, field, lang), value),
        (Entity::Site, "name" | "description" | "highlight") => {
            store_text(conn, "site_text", "site_id", (id, field, lang), value)
        }
        (Entity::Site, "province") => column("UPDATE sites SET province = ?2 WHERE id = ?1"),
        (Entity::Site, "rank") => column("UPDATE sites SET rank = ?2 WHERE id = ?1"),
        (Entity::Site, "type") => column("UPDATE sites SET type = ?2 WHERE id = ?1"),
        (Entity::Site, "merged_into") => column("UPDATE sites SET merged_into = ?2 WHERE id = ?1"),
        (Entity::Site, "lat" | "lon") => {
            let v: Option<f64> = value.and_then(|v| v.parse().ok());
            let sql = if field == "lat" {
                "UPDATE sites SET lat = ?2 WHERE id = ?1"
            } else {
                "UPDATE sites SET lon = ?2 WHERE id = ?1"
            };
            conn.execute(sql, params![id, v]).map(drop)
        }
        (Entity::Site, "confirmed") => conn
            .prepare_cached("UPDATE sites SET confirmed = ?2 WHERE id = ?1")?
            .execute(params![id, value == Some("true")])
            .map(drop),
        (Entity::Site, _) => Ok(()),
        (Entity::Tour, _) => crate::tour_rows::store(conn, id, value),
    }
}

/// Who changes what, and when: one per command, so a command's revisions share a time.
pub(crate) struct Author<'a> {
    pub name: &'a str,
    pub at: String,
}

impl<'a> Author<'a> {
    pub fn new(name: &'a str) -> Self {
        Self { name, at: crate::now() }
    }
}

/// Sets one field and appends its revision; `None` when the value is already that.
#[allow(clippy::too_many_arguments)]
pub(crate) fn apply(
    conn: &Connection,
    author: &Author<'_>,
    entity: Entity,
    id: &str,
    field: &str,
    lang: Option<&str>,
    new: Option<&str>,
    reverts: Option<i64>,
) -> crate::db::Result<Option<Revision>> {
    let old = current(conn, entity, id, field, lang)?;
    write(conn, author, entity, id, field, lang, old, new, reverts)
}

/// [`apply`] for a caller that has just read the value the field holds (`old`) in the same transaction.
#[allow(clippy::too_many_arguments)]
pub(crate) fn write(
    conn: &Connection,
    author: &Author<'_>,
    entity: Entity,
    id: &str,
    field: &str,
    lang: Option<&str>,
    old: Option<String>,
    new: Option<&str>,
    reverts: Option<i64>,
) -> crate::db::Result<Option<Revision>> {
    let new = new.filter(|v| !v.is_empty());
    if old.as_deref() == new {
        return Ok(None);
    }
    store(conn, entity, id, field, lang, new)?;
    let rev_id = conn.insert_id(
        "INSERT INTO revisions (entity, entity_id, field, lang, old, new, author, at, reverts)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            entity.as_str(),
            id,
            field,
            lang,
            old,
            new,
            author.name,
            author.at,
            reverts
        ],
    )?;
    Ok(Some(Revision {
        id: rev_id,
        entity: entity.as_str().into(),
        entity_id: id.into(),
        field: field.into(),
        lang: lang.map(str::to_owned),
        old,
        new: new.map(str::to_owned),
        author: author.name.into(),
        at: author.at.clone(),
        reverts,
    }))
}

/// Appends a revision that records an event (a site created) without a field value before it.
pub(crate) fn record(
    conn: &Connection,
    author: &Author<'_>,
    entity: Entity,
    id: &str,
    field: &str,
    new: &str,
) -> crate::db::Result<Revision> {
    let rev_id = conn.insert_id(
        "INSERT INTO revisions (entity, entity_id, field, new, author, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![entity.as_str(), id, field, new, author.name, author.at],
    )?;
    Ok(Revision {
        id: rev_id,
        entity: entity.as_str().into(),
        entity_id: id.into(),
        field: field.into(),
        lang: None,
        old: None,
        new: Some(new.into()),
        author: author.name.into(),
        at: author.at.clone(),
        reverts: None,
    })
}

pub(crate) fn load_metadata(conn: &Connection, id: &str) -> crate::db::Result<Metadata> {
    let mut stmt = conn.prepare_cached("SELECT field, lang, value FROM asset_text WHERE asset_id = ?1")?;
    let mut rows = stmt.query([id])?;
    let mut m = Metadata::default();
    while let Some(r) = rows.next()? {
        let (field, lang, value): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        m.set(&field, (!lang.is_empty()).then_some(lang.as_str()), &value);
    }
    Ok(m)
}

/// Every asset's curated metadata, in one pass (CSV export, reports).
pub(crate) fn load_all_metadata(conn: &Connection) -> crate::db::Result<HashMap<String, Metadata>> {
    let mut stmt = conn.prepare("SELECT asset_id, field, lang, value FROM asset_text")?;
    let mut rows = stmt.query([])?;
    let mut all: HashMap<String, Metadata> = HashMap::new();
    while let Some(r) = rows.next()? {
        let (id, field, lang, value): (String, String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        all.entry(id)
            .or_default()
            .set(&field, (!lang.is_empty()).then_some(lang.as_str()), &value);
    }
    Ok(all)
}

/// Why an asset cannot be (or stay) published, from what the catalogue holds now.
pub(crate) fn unpublishable(conn: &Connection, id: &str) -> crate::db::Result<Vec<String>> {
    let (site, confirmed, taken): (Option<String>, Option<bool>, Option<String>) = conn.prepare_cached("SELECT a.site_id, s.confirmed, a.taken_at FROM assets a LEFT JOIN sites s ON s.id = a.site_id WHERE a.id = ?1")?.query_row(
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let site = site.as_deref().map(|s| (s, confirmed.unwrap_or(false)));
    Ok(publication_gaps(&load_metadata(conn, id)?, site, taken.as_deref()).0)
}

fn reindex_for(conn: &Connection, rev: &Revision) -> crate::db::Result<()> {
    match (rev.entity.as_str(), rev.field.as_str()) {
        ("asset", _) => search::reindex_asset(conn, &rev.entity_id),
        ("site", "name" | "province" | "rank" | "type") => search::reindex_site(conn, &rev.entity_id),
        _ => Ok(()),
    }
}

impl Catalog {
    /// The full id of an asset given by id or a unique prefix of at least 4 digits.
    pub fn resolve_id(&self, id_or_prefix: &str) -> Result<String> {
        let q = id_or_prefix.trim().to_ascii_lowercase();
        if q.len() < 4 || !q.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(CatalogError::NotFound(id_or_prefix.to_owned()));
        }
        let mut stmt = self.sql(self.conn.prepare_cached(
            "SELECT id FROM assets WHERE id >= ?1 AND substr(id, 1, length(CAST(?1 AS TEXT))) = ?1 ORDER BY id LIMIT 5",
        ))?;
        let ids: Vec<String> = self.sql(
            stmt.query_map([&q], |r| r.get(0))
                .and_then(|r| r.collect::<crate::db::Result<_>>()),
        )?;
        match ids.len() {
            0 => Err(CatalogError::NotFound(id_or_prefix.to_owned())),
            1 => Ok(ids.into_iter().next().expect("one")),
            _ => Err(CatalogError::Ambiguous(id_or_prefix.to_owned(), ids.join(", "))),
        }
    }

    /// Every asset's curated metadata in one pass (the viewer's gallery, reports).
    pub fn all_metadata(&self) -> Result<HashMap<String, Metadata>> {
        self.sql(load_all_metadata(&self.conn))
    }

    /// Curated metadata of one asset.
    pub fn metadata(&self, id: &str) -> Result<Metadata> {
        self.sql(load_metadata(&self.conn, id))
    }

    /// Everything a curator sees of one asset.
    pub fn asset_meta(&self, id_or_prefix: &str) -> Result<AssetMeta> {
        let record = self.get(id_or_prefix)?;
        let id = record.id();
        let metadata = self.metadata(&id)?;
        let site = record.site_id.as_deref().map(|s| self.site_ref(s)).transpose()?;
        let capture = record.manifest.metadata.clone();
        Ok(AssetMeta {
            date: metadata
                .date
                .clone()
                .or_else(|| capture.taken_at.as_deref().map(|t| t.chars().take(10).collect())),
            id,
            kind: record.kind(),
            state: record.state,
            source_name: record.manifest.source.file_name,
            site,
            metadata,
            capture,
        })
    }

    /// Sets fields of one or more assets in one transaction. Values are validated first
    /// ([`fields::normalise_value`]); a published asset must keep every field publication needs.
    pub fn set_meta(&mut self, ids: &[String], changes: &[Change], author: &str) -> Result<Vec<Revision>> {
        self.set_meta_based_on(ids, changes, author, None)
    }

    /// The newest revision id (0 when there is none): an editor that shows values read after this number
    /// passes it to [`Self::set_meta_based_on`].
    pub fn latest_revision(&self) -> Result<i64> {
        self.sql(
            self.conn
                .query_row("SELECT coalesce(max(id), 0) FROM revisions", [], |r| r.get(0)),
        )
    }

    /// [`Self::set_meta`] for an edit made on values read at revision `base` (the newest revision id then,
    /// [`Self::latest_revision`]): when one of the fields it sets was changed by a later revision, by
    /// someone on another machine or in another window, nothing is written and the answer is
    /// [`CatalogError::Conflict`] naming who changed it and when. Checked and written under the
    /// catalogue's write lock (SQLite's, or the shared catalogue's advisory lock), so of two edits based
    /// on the same revision exactly one is written.
    pub fn set_meta_based_on(
        &mut self,
        ids: &[String],
        changes: &[Change],
        author: &str,
        base: Option<i64>,
    ) -> Result<Vec<Revision>> {
        let ids: Vec<String> = ids.iter().map(|i| self.resolve_id(i)).collect::<Result<_>>()?;
        let mut checked = Vec::with_capacity(changes.len());
        for c in changes {
            let (field, lang) = fields::parse_key(Entity::Asset, &c.key())?;
            let value = fields::normalise_value(Entity::Asset, &field, &c.value)?;
            checked.push(Change { field, lang, value });
        }
        let author = Author::new(author);
        let err = crate::sql_err(&self.path);
        let tx = crate::begin_immediate(&mut self.conn, &self.path)?;
        if let Some(base) = base {
            for id in &ids {
                for c in &checked {
                    let later: Option<(i64, String, String)> = tx
                        .prepare_cached(
                            "SELECT id, author, at FROM revisions WHERE entity = 'asset' AND entity_id = ?1
                             AND field = ?2 AND coalesce(lang, '') = ?3 AND id > ?4 ORDER BY id DESC LIMIT 1",
                        )
                        .and_then(|mut s| {
                            s.query_row(params![id, c.field, c.lang.as_deref().unwrap_or(""), base], |r| {
                                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                            })
                        })
                        .optional()
                        .map_err(err)?;
                    if let Some((revision, by, at)) = later {
                        return Err(CatalogError::Conflict {
                            what: format!("{} of asset {id}", c.key()),
                            revision,
                            by,
                            at,
                        });
                    }
                }
            }
        }
        let mut revisions = Vec::new();
        let mut problems = Vec::new();
        for id in &ids {
            let before = revisions.len();
            for c in &checked {
                if let Some(r) = apply(
                    &tx,
                    &author,
                    Entity::Asset,
                    id,
                    &c.field,
                    c.lang.as_deref(),
                    Some(&c.value),
                    None,
                )
                .map_err(err)?
                {
                    revisions.push(r);
                }
            }
            if revisions.len() > before {
                search::reindex_asset(&tx, id).map_err(err)?;
                let state: String = tx
                    .query_row("SELECT state FROM assets WHERE id = ?1", [id], |r| r.get(0))
                    .map_err(err)?;
                if state == "published" {
                    let missing = unpublishable(&tx, id).map_err(err)?;
                    if !missing.is_empty() {
                        problems.push(format!(
                            "{id} is published and would lack {}; withdraw it first or give a value",
                            missing.join(", ")
                        ));
                    }
                }
            }
        }
        if !problems.is_empty() {
            return Err(CatalogError::Rejected(problems));
        }
        search::commit(tx).map_err(err)?;
        Ok(revisions)
    }

    /// Ids of the assets a filter selects, in id order.
    pub fn select(&self, filter: &Filter) -> Result<Vec<String>> {
        self.select_up_to(filter, usize::MAX)
    }

    /// The first `limit` ids (in id order) of the assets a filter selects.
    pub(crate) fn select_up_to(&self, filter: &Filter, limit: usize) -> Result<Vec<String>> {
        let site = filter.site.as_deref().map(|s| self.resolve_site(s)).transpose()?;
        let mut stmt = self.sql(self.conn.prepare_cached(
            "SELECT a.id FROM assets a LEFT JOIN sites s ON s.id = a.site_id
             WHERE (CAST(?1 AS TEXT) IS NULL OR a.site_id = ?1) AND (CAST(?2 AS TEXT) IS NULL OR a.kind = ?2)
               AND (CAST(?3 AS TEXT) IS NULL OR a.state = ?3) AND (CAST(?4 AS TEXT) IS NULL OR s.rank = ?4) ORDER BY a.id LIMIT ?5",
        ))?;
        // The tag filter runs afterwards, so it needs every row.
        let sql_limit = if filter.tag.is_some() {
            i64::MAX
        } else {
            limit.min(i64::MAX as usize) as i64
        };
        let mut ids: Vec<String> = self.sql(
            stmt.query_map(
                params![
                    site,
                    filter.kind.map(AssetKind::as_str),
                    filter.state,
                    filter.rank,
                    sql_limit
                ],
                |r| r.get(0),
            )
            .and_then(|r| r.collect::<crate::db::Result<_>>()),
        )?;
        if let Some(tag) = &filter.tag {
            let want = fold_for_search(tag.trim());
            let mut stmt = self.sql(
                self.conn
                    .prepare("SELECT asset_id, value FROM asset_text WHERE field = 'subject'"),
            )?;
            let mut tagged = std::collections::HashSet::new();
            let rows = self.sql(stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))))?;
            for row in rows {
                let (id, value) = self.sql(row)?;
                if value.split(';').any(|t| fold_for_search(t.trim()) == want) {
                    tagged.insert(id);
                }
            }
            ids.retain(|id| tagged.contains(id));
            ids.truncate(limit);
        }
        Ok(ids)
    }

    /// Moves assets to a workflow state, all or none: every transition must be allowed and, to publish,
    /// every required field present.
    pub fn set_state(&mut self, ids: &[String], state: &str, author: &str) -> Result<Vec<Revision>> {
        if !STATES.contains(&state) {
            return Err(CatalogError::Invalid(format!(
                "{state:?} is not a state; states are {}",
                STATES.join(", ")
            )));
        }
        let ids: Vec<String> = ids.iter().map(|i| self.resolve_id(i)).collect::<Result<_>>()?;
        let author = Author::new(author);
        let err = crate::sql_err(&self.path);
        let tx = self.conn.transaction().map_err(err)?;
        let mut revisions = Vec::new();
        let mut problems = Vec::new();
        for id in &ids {
            let from: String = tx
                .query_row("SELECT state FROM assets WHERE id = ?1", [id], |r| r.get(0))
                .map_err(err)?;
            if from == state {
                continue;
            }
            if !allowed_transition(&from, state) {
                problems.push(format!("{id}: cannot go from {from} to {state}"));
                continue;
            }
            if state == "published" {
                let missing = unpublishable(&tx, id).map_err(err)?;
                if !missing.is_empty() {
                    problems.push(format!("{id}: cannot publish, missing {}", missing.join(", ")));
                    continue;
                }
            }
            if let Some(r) = apply(&tx, &author, Entity::Asset, id, "state", None, Some(state), None).map_err(err)? {
                search::reindex_asset(&tx, id).map_err(err)?;
                revisions.push(r);
            }
        }
        if !problems.is_empty() {
            return Err(CatalogError::Rejected(problems));
        }
        search::commit(tx).map_err(err)?;
        Ok(revisions)
    }

    /// The revisions of one asset or site, oldest first.
    pub fn history(&self, entity: Entity, id: &str) -> Result<Vec<Revision>> {
        let id = match entity {
            Entity::Asset => self.resolve_id(id)?,
            Entity::Site => self.resolve_site(id)?,
            Entity::Tour => id.to_owned(),
        };
        let mut stmt = self.sql(self.conn.prepare(
            "SELECT id, entity, entity_id, field, lang, old, new, author, at, reverts FROM revisions
             WHERE entity = ?1 AND entity_id = ?2 ORDER BY id",
        ))?;
        self.sql(
            stmt.query_map(params![entity.as_str(), id], revision_row)
                .and_then(|r| r.collect()),
        )
    }

    /// One revision.
    pub fn revision(&self, id: i64) -> Result<Revision> {
        self.sql(
            self.conn
                .query_row(
                    "SELECT id, entity, entity_id, field, lang, old, new, author, at, reverts FROM revisions WHERE id = ?1",
                    [id],
                    revision_row,
                )
                .optional(),
        )?
        .ok_or(CatalogError::NoRevision(id))
    }

    /// Undoes revisions by writing their old values as new revisions, in one transaction. A field changed
    /// again since is left alone unless `force`. Undoing an undo redoes.
    pub fn undo(&mut self, ids: &[i64], author: &str, force: bool) -> Result<Vec<Revision>> {
        let revs: Vec<Revision> = ids.iter().map(|&i| self.revision(i)).collect::<Result<_>>()?;
        let author = Author::new(author);
        let err = crate::sql_err(&self.path);
        let tx = self.conn.transaction().map_err(err)?;
        let mut out = Vec::new();
        let mut problems = Vec::new();
        for rev in &revs {
            let entity = match rev.entity.as_str() {
                "site" => Entity::Site,
                "tour" => Entity::Tour,
                _ => Entity::Asset,
            };
            if rev.field == "created" {
                problems.push(format!(
                    "revision {} created site {}: sites are not deleted; merge it into another (`disan site merge`)",
                    rev.id, rev.entity_id
                ));
                continue;
            }
            let now = current(&tx, entity, &rev.entity_id, &rev.field, rev.lang.as_deref()).map_err(err)?;
            if now != rev.new && !force {
                problems.push(format!(
                    "revision {}: {} {} {} has changed since (now {}); undo the later revision first, or use --force",
                    rev.id,
                    rev.entity,
                    rev.entity_id,
                    rev.key(),
                    now.as_deref()
                        .map(|v| format!("{v:?}"))
                        .unwrap_or_else(|| "empty".into())
                ));
                continue;
            }
            if entity == Entity::Asset
                && rev.field == "state"
                && let Some(to) = rev.old.as_deref().filter(|s| *s == "published")
            {
                let missing = unpublishable(&tx, &rev.entity_id).map_err(err)?;
                if !missing.is_empty() {
                    problems.push(format!(
                        "revision {}: cannot go back to {to}, missing {}",
                        rev.id,
                        missing.join(", ")
                    ));
                    continue;
                }
            }
            if let Some(r) = apply(
                &tx,
                &author,
                entity,
                &rev.entity_id,
                &rev.field,
                rev.lang.as_deref(),
                rev.old.as_deref(),
                Some(rev.id),
            )
            .map_err(err)?
            {
                reindex_for(&tx, &r).map_err(err)?;
                out.push(r);
            }
        }
        if !problems.is_empty() {
            return Err(CatalogError::Rejected(problems));
        }
        // An undo that leaves a published asset without a required field is refused too.
        for r in &out {
            if r.entity == "asset" && r.field != "state" {
                let state: String = tx
                    .query_row("SELECT state FROM assets WHERE id = ?1", [&r.entity_id], |row| {
                        row.get(0)
                    })
                    .map_err(err)?;
                let missing = unpublishable(&tx, &r.entity_id).map_err(err)?;
                if state == "published" && !missing.is_empty() {
                    problems.push(format!(
                        "{} is published and would lack {}; withdraw it first",
                        r.entity_id,
                        missing.join(", ")
                    ));
                }
            }
        }
        if !problems.is_empty() {
            return Err(CatalogError::Rejected(problems));
        }
        search::commit(tx).map_err(err)?;
        for r in out.iter().filter(|r| r.entity == "tour") {
            self.sync_tour_file(&r.entity_id)?;
        }
        Ok(out)
    }

    /// Assets missing a required field for publication or a translation, by id.
    pub fn publication_report(&self) -> Result<Vec<PublicationIssue>> {
        let all = self.sql(load_all_metadata(&self.conn))?;
        let mut stmt = self.sql(self.conn.prepare(
            "SELECT a.id, a.state, a.site_id, a.taken_at, s.confirmed FROM assets a
                     LEFT JOIN sites s ON s.id = a.site_id WHERE a.state != 'withdrawn' ORDER BY a.id",
        ))?;
        let rows = self.sql(stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<bool>>(4)?,
            ))
        }))?;
        let empty = Metadata::default();
        let mut out = Vec::new();
        for row in rows {
            let (id, state, site, taken, confirmed) = self.sql(row)?;
            let m = all.get(&id).unwrap_or(&empty);
            let site = site.as_deref().map(|s| (s, confirmed.unwrap_or(false)));
            let (missing, translations) = publication_gaps(m, site, taken.as_deref());
            if !missing.is_empty() || !translations.is_empty() {
                out.push(PublicationIssue {
                    title: m.title.clone(),
                    id,
                    state,
                    missing,
                    translations,
                });
            }
        }
        Ok(out)
    }
}

fn revision_row(r: &crate::db::Row) -> crate::db::Result<Revision> {
    Ok(Revision {
        id: r.get(0)?,
        entity: r.get(1)?,
        entity_id: r.get(2)?,
        field: r.get(3)?,
        lang: r.get(4)?,
        old: r.get(5)?,
        new: r.get(6)?,
        author: r.get(7)?,
        at: r.get(8)?,
        reverts: r.get(9)?,
    })
}
