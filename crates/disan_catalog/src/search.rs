//! Full-text search over every language of an asset's text, its site and its vocabulary labels.
//!
//! The FTS5 table holds a folded copy of the text ([`fold_for_index`]); queries are folded the same way,
//! so "ha long", "Ha Long" and "Hạ Long" find the same assets. Ranking is BM25 with the title weighted
//! above the site, and the site above the rest.

use disan_core::{AssetKind, LangText, fold_for_search};
use std::collections::HashMap;

use crate::db::{Backend, Connection, Row, ToValue, Value, ValueRef, params};
use serde::Serialize;

use crate::{Catalog, Result, vocab};

/// Which assets a batch edit or a search applies to. Empty fields do not filter.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// A site id (or a site's exact name in any language).
    pub site: Option<String>,
    pub kind: Option<AssetKind>,
    /// A tag of `subject`, in any language, ignoring case and diacritics.
    pub tag: Option<String>,
    pub state: Option<String>,
    /// A heritage rank id (`national`, `unesco`, …) of the asset's site.
    pub rank: Option<String>,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        self.site.is_none() && self.kind.is_none() && self.tag.is_none() && self.state.is_none() && self.rank.is_none()
    }
}

/// The facet token of a filter value: one alphanumeric token (hex for ids with separators).
pub(crate) fn facet(prefix: char, value: &str) -> String {
    let mut t = String::with_capacity(1 + value.len() * 2);
    t.push(prefix);
    for b in value.bytes() {
        t.push_str(&format!("{b:02x}"));
    }
    t
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xAC00..=0xD7AF | 0x20000..=0x2FFFF)
}

/// The folded text the index stores: [`fold_for_search`], with every CJK character a token of its own
/// (Chinese has no spaces; a character-level index finds "下龙" in "下龙湾").
pub fn fold_for_index(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in fold_for_search(text).chars() {
        if is_cjk(c) {
            out.push(' ');
            out.push(c);
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// The terms of what a person typed, folded: each a word (its one token; may be unfinished, so a prefix) or a
/// run of CJK characters (one token each, matched as a phrase). Both search backends build their queries
/// from these.
pub(crate) fn query_terms(typed: &str) -> Vec<(Vec<String>, bool)> {
    let folded = fold_for_search(typed);
    let mut terms: Vec<(Vec<String>, bool)> = Vec::new(); // (tokens, may take a prefix)
    let mut word = String::new();
    let mut cjk: Vec<String> = Vec::new();
    for c in folded.chars() {
        let (is_cjk, is_word) = (is_cjk(c), c.is_alphanumeric());
        if (!is_word || is_cjk) && !word.is_empty() {
            terms.push((vec![std::mem::take(&mut word)], true));
        }
        if !is_cjk && !cjk.is_empty() {
            terms.push((std::mem::take(&mut cjk), false));
        }
        if is_cjk {
            cjk.push(c.to_string());
        } else if is_word {
            word.push(c);
        }
    }
    if !word.is_empty() {
        terms.push((vec![word], true));
    }
    if !cjk.is_empty() {
        terms.push((cjk, false));
    }
    terms
}

/// The FTS5 query for what a person typed: every word must match; the last one may be unfinished
/// (prefix match); CJK runs match as phrases. `None` when nothing searchable was typed.
pub(crate) fn fts_query(typed: &str) -> Option<String> {
    let terms = query_terms(typed);
    let last = terms.len().checked_sub(1)?;
    Some(
        terms
            .into_iter()
            .enumerate()
            .map(|(i, (tokens, prefix))| {
                let t = format!("\"{}\"", tokens.join(" "));
                if i == last && prefix { format!("{t}*") } else { t }
            })
            .collect::<Vec<_>>()
            .join(" "),
    )
}

fn push_labels(out: &mut String, v: &vocab::Vocabulary, id: Option<&str>) {
    if let Some(t) = id.and_then(|id| v.get(id)) {
        for (_, l) in t.label.iter() {
            out.push_str(l);
            out.push('\n');
        }
    }
}

/// The connection's staging table for index rows (see [`reindex_asset`] and [`commit`]).
pub(crate) const STAGE_TABLE: &str = "CREATE TEMP TABLE IF NOT EXISTS search_stage (n INTEGER PRIMARY KEY, title TEXT, body TEXT, site TEXT, facets TEXT)";

/// Reads rows for [`index_row`]: a catalogue connection of either backend, or a PostgreSQL transaction.
pub(crate) trait Reader {
    fn rows(&mut self, sql: &str, params: &[ValueRef<'_>]) -> crate::db::Result<Vec<Row<'static>>>;

    /// Calls `f` on each row (in place where the backend can).
    fn for_each(
        &mut self,
        sql: &str,
        params: &[ValueRef<'_>],
        f: &mut dyn FnMut(&Row<'_>) -> crate::db::Result<()>,
    ) -> crate::db::Result<()> {
        self.rows(sql, params)?.iter().try_for_each(f)
    }
}

impl Reader for &Connection {
    fn rows(&mut self, sql: &str, params: &[ValueRef<'_>]) -> crate::db::Result<Vec<Row<'static>>> {
        self.prepare_cached(sql)?
            .query_map(params.to_vec(), |r| r.to_owned_row())?
            .collect()
    }

    fn for_each(
        &mut self,
        sql: &str,
        params: &[ValueRef<'_>],
        f: &mut dyn FnMut(&Row<'_>) -> crate::db::Result<()>,
    ) -> crate::db::Result<()> {
        self.prepare_cached(sql)?
            .query_map(params.to_vec(), |r| f(r))?
            .collect()
    }
}

impl Reader for postgres::Transaction<'_> {
    fn rows(&mut self, sql: &str, params: &[ValueRef<'_>]) -> crate::db::Result<Vec<Row<'static>>> {
        let bind: Vec<&(dyn postgres::types::ToSql + Sync)> = params
            .iter()
            .map(|v| v as &(dyn postgres::types::ToSql + Sync))
            .collect();
        self.query(&crate::db::postgres_sql(sql), &bind)?
            .iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| r.try_get::<_, Value>(i))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Row::new)
                    .map_err(Into::into)
            })
            .collect()
    }
}

/// The folded text of one asset's index row, in the parts each backend ranks by.
pub(crate) struct IndexRow {
    pub title: String,
    pub body: String,
    /// The site's names and vocabulary labels.
    pub site: String,
    /// Filter tokens (kind, state, site, rank), separated by spaces.
    pub facets: String,
}

/// The index row of one asset from what the catalogue holds now (`None` for an unknown asset): titles; the
/// other curated text but rights and dates; the story's annotations, file name and kind; the site's names
/// and labels. `sites` caches site terms across a batch.
pub(crate) fn index_row(
    r: &mut impl Reader,
    id: &str,
    sites: &mut HashMap<String, (String, String)>,
) -> crate::db::Result<Option<IndexRow>> {
    let Some(asset) = r
        .rows(
            "SELECT kind, source_name, site_id, state FROM assets WHERE id = ?1",
            &[id.to_value()],
        )?
        .pop()
    else {
        return Ok(None);
    };
    let (kind, source_name, site_id, state): (String, String, Option<String>, String) =
        (asset.get(0)?, asset.get(1)?, asset.get(2)?, asset.get(3)?);
    let mut facets = format!("{} {}", facet('k', &kind), facet('s', &state));
    let (mut title, mut body) = (String::new(), String::new());
    r.for_each(
        "SELECT field, value FROM asset_text WHERE asset_id = ?1 ORDER BY field, lang",
        &[id.to_value()],
        &mut |row| {
            let field: String = row.get(0)?;
            // Rights URIs and dates are not words anybody searches for.
            if field != "rights" && field != "date" {
                let to = if field == "title" { &mut title } else { &mut body };
                to.push_str(&row.get::<_, String>(1)?);
                to.push('\n');
            }
            Ok(())
        },
    )?;
    // A relic's annotations are part of what it is about.
    // (A catalogue indexed by an older migration has no stories table yet.)
    let story = r
        .rows("SELECT doc FROM stories WHERE asset_id = ?1", &[id.to_value()])
        .unwrap_or_default();
    if let Some(doc) = story.first().and_then(|row| row.get::<_, String>(0).ok())
        && let Ok(story) = serde_json::from_str::<crate::story::Story>(&doc)
    {
        for a in &story.annotations {
            for (_, t) in a.title.iter().chain(a.text.iter()) {
                body.push_str(t);
                body.push('\n');
            }
        }
    }
    body.push_str(&source_name);
    body.push('\n');
    body.push_str(&kind);
    let site = match site_id {
        Some(site_id) => {
            if !sites.contains_key(&site_id) {
                let entry = site_terms(r, &site_id)?;
                sites.insert(site_id.clone(), entry);
            }
            let (text, site_facets) = &sites[&site_id];
            facets.push_str(site_facets);
            text.clone()
        }
        None => String::new(),
    };
    Ok(Some(IndexRow {
        title: fold_for_index(&title),
        body: fold_for_index(&body),
        site,
        facets,
    }))
}

/// Stages the index row of one asset, computed from what the catalogue holds now; [`commit`] writes the
/// staged rows. FTS5 flushes its pending terms at every statement boundary inside a transaction, so a row
/// written per statement costs a segment each; staged rows go in with one statement per batch. On
/// PostgreSQL the row is written at once.
pub(crate) fn reindex_asset(conn: &Connection, id: &str) -> crate::db::Result<()> {
    reindex_assets(conn, [id])
}

/// [`reindex_asset`] for many assets, reading each site's names and labels once.
pub(crate) fn reindex_assets<'a>(conn: &Connection, ids: impl IntoIterator<Item = &'a str>) -> crate::db::Result<()> {
    // Site id → (folded names and labels, facet tokens).
    let mut sites: HashMap<String, (String, String)> = HashMap::new();
    for id in ids {
        let Some(row) = index_row(&mut &*conn, id, &mut sites)? else {
            continue;
        };
        if conn.backend() == Backend::Postgres {
            conn.prepare_cached(
                "INSERT INTO asset_search (asset_id, title, site, body, facets) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (asset_id) DO UPDATE SET title = excluded.title, site = excluded.site,
                 body = excluded.body, facets = excluded.facets",
            )?
            .execute(params![id, row.title, row.site, row.body, row.facets])?;
            continue;
        }
        conn.prepare_cached("INSERT OR IGNORE INTO search_rows (asset_id) VALUES (?1)")?
            .execute([id])?;
        let n: i64 = conn
            .prepare_cached("SELECT n FROM search_rows WHERE asset_id = ?1")?
            .query_row([id], |r| r.get(0))?;
        conn.prepare_cached(
            "INSERT OR REPLACE INTO temp.search_stage (n, title, body, site, facets) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![n, row.title, row.body, row.site, row.facets])?;
    }
    Ok(())
}

/// A site's folded names and vocabulary labels, and its facet tokens (each after a space).
fn site_terms(r: &mut impl Reader, site_id: &str) -> crate::db::Result<(String, String)> {
    let mut text = String::new();
    for row in r.rows(
        "SELECT value FROM site_text WHERE site_id = ?1 AND field = 'name' ORDER BY lang",
        &[site_id.to_value()],
    )? {
        text.push_str(&row.get::<_, String>(0)?);
        text.push('\n');
    }
    let facts = r
        .rows(
            "SELECT province, rank, type FROM sites WHERE id = ?1",
            &[site_id.to_value()],
        )?
        .pop();
    let mut facets = format!(" {}", facet('x', site_id));
    if let Some(f) = facts {
        let (province, rank, kind): (Option<String>, Option<String>, Option<String>) =
            (f.get(0)?, f.get(1)?, f.get(2)?);
        if let Some(r) = &rank {
            facets.push(' ');
            facets.push_str(&facet('r', r));
        }
        push_labels(&mut text, vocab::provinces(), province.as_deref());
        push_labels(&mut text, vocab::ranks(), rank.as_deref());
        push_labels(&mut text, vocab::relic_types(), kind.as_deref());
    }
    Ok((fold_for_index(&text), facets))
}

/// Batches that rewrite at least this many index rows merge the index afterwards.
pub(crate) const OPTIMIZE_AFTER: usize = 2_000;

/// Writes the staged index rows (one DELETE and one INSERT for the whole batch) and merges the index after
/// a large batch. Returns how many rows were written.
pub(crate) fn flush(conn: &Connection) -> crate::db::Result<usize> {
    if conn.backend() == Backend::Postgres {
        return Ok(0);
    }
    let n: i64 = conn
        .prepare_cached("SELECT count(*) FROM temp.search_stage")?
        .query_row([], |r| r.get(0))?;
    if n == 0 {
        return Ok(0);
    }
    conn.prepare_cached("DELETE FROM asset_search WHERE rowid IN (SELECT n FROM temp.search_stage)")?
        .execute([])?;
    conn.prepare_cached(
        "INSERT INTO asset_search (rowid, title, body, site, facets) SELECT n, title, body, site, facets FROM temp.search_stage",
    )?
    .execute([])?;
    conn.prepare_cached("DELETE FROM temp.search_stage")?.execute([])?;
    if n as usize >= OPTIMIZE_AFTER {
        optimize(conn)?;
    }
    Ok(n as usize)
}

/// Commits a transaction that may have staged index rows: every write path commits through here, so the
/// index never lags the catalogue.
pub(crate) fn commit(tx: crate::db::Transaction<'_>) -> crate::db::Result<()> {
    flush(&tx)?;
    tx.commit()
}

/// Merges the index into one segment: after a large batch (a CSV import, a site pass) the rows rewritten
/// leave many small segments and deleted entries that slow every query down.
pub(crate) fn optimize(conn: &Connection) -> crate::db::Result<()> {
    if conn.backend() == Backend::Postgres {
        return Ok(());
    }
    conn.execute("INSERT INTO asset_search (asset_search) VALUES ('optimize')", [])
        .map(drop)
}

/// Reindexes every asset of a site (after its name, province or rank changed).
pub(crate) fn reindex_site(conn: &Connection, site_id: &str) -> crate::db::Result<()> {
    let ids: Vec<String> = conn
        .prepare("SELECT id FROM assets WHERE site_id = ?1")?
        .query_map([site_id], |r| r.get(0))?
        .collect::<crate::db::Result<_>>()?;
    reindex_assets(conn, ids.iter().map(String::as_str))
}

/// Rebuilds the whole index.
pub(crate) fn reindex_all(conn: &Connection) -> crate::db::Result<()> {
    let ids: Vec<String> = conn
        .prepare("SELECT id FROM assets ORDER BY id")?
        .query_map([], |r| r.get(0))?
        .collect::<crate::db::Result<_>>()?;
    reindex_assets(conn, ids.iter().map(String::as_str))
}

/// Where the words of a query were found; results come in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchTier {
    /// Every word is in the title.
    Title,
    /// Every word is in the title or the site's names and labels.
    Site,
    /// Elsewhere: descriptions, tags, coverage, creator, file name.
    Text,
}

/// One search result.
#[derive(Clone, Debug, Serialize)]
pub struct SearchHit {
    pub id: String,
    pub kind: AssetKind,
    pub state: String,
    pub site_id: Option<String>,
    pub title: LangText,
    /// Where the query matched (`None` when no query was given, only filters).
    pub tier: Option<MatchTier>,
    /// The score within the tier: BM25 on the embedded catalogue (lower is better), `ts_rank` on PostgreSQL
    /// (higher is better); `None` where the tier was too broad to rank (more than [`RANK_WINDOW`] matches:
    /// those come newest first).
    pub score: Option<f64>,
}

/// A tier with at most this many matches (or the limit asked for, if larger) is ranked by BM25; a
/// broader one lists its newest matches first. Ranking costs about a microsecond per match, listing stops
/// at the limit: so a query that matches every asset of a 100,000-asset catalogue answers in milliseconds.
pub const RANK_WINDOW: usize = 500;

/// The FTS5 expression of one tier: `q` is the folded query, `facets` the filter tokens.
fn tier_expr(tier: MatchTier, q: &str, facets: Option<&str>) -> String {
    let expr = match tier {
        MatchTier::Title => format!("title : ({q})"),
        MatchTier::Site => format!("{{title site}} : ({q}) NOT title : ({q})"),
        MatchTier::Text => format!("{{title body site}} : ({q}) NOT {{title site}} : ({q})"),
    };
    match facets {
        Some(f) => format!("({expr}) AND {f}"),
        None => expr,
    }
}

impl Catalog {
    /// Assets matching `query` (every word, in any language, ignoring case and diacritics) and `filter`,
    /// best first, at most `limit`. Matches in the title come first, then matches in the site, then the
    /// rest ([`MatchTier`]); within a tier, BM25 ranks (title words 10, site 4, other text 1) when the tier
    /// has at most [`RANK_WINDOW`] matches, and newer assets come first otherwise. An empty query lists the
    /// filtered assets by id (the tag filter applies only then).
    pub fn search(&self, query: &str, filter: &Filter, limit: usize) -> Result<Vec<SearchHit>> {
        let site = filter.site.as_deref().map(|s| self.resolve_site(s)).transpose()?;
        let Some(q) = fts_query(query) else {
            return self
                .select_up_to(filter, limit)?
                .iter()
                .map(|id| self.hit(id))
                .collect();
        };
        // Filters are facet tokens ANDed to the text query, so FTS5 does all the work.
        let mut facets = Vec::new();
        if let Some(k) = filter.kind {
            facets.push(facet('k', k.as_str()));
        }
        if let Some(s) = &filter.state {
            facets.push(facet('s', s));
        }
        if let Some(s) = &site {
            facets.push(facet('x', s));
        }
        if let Some(r) = &filter.rank {
            facets.push(facet('r', r));
        }
        if self.backend() == Backend::Postgres {
            let found = self
                .conn
                .with_postgres(|c| Ok(crate::shared::search(c, query, &facets, limit, RANK_WINDOW)?))
                .unwrap_or(Ok(Vec::new()));
            let mut hits = Vec::new();
            for (id, tier, score) in self.sql(found)? {
                let mut hit = self.hit(&id)?;
                hit.tier = Some(tier);
                hit.score = score;
                hits.push(hit);
            }
            return Ok(hits);
        }
        let facets = (!facets.is_empty()).then(|| format!("facets : ({})", facets.join(" AND ")));
        let window = RANK_WINDOW.max(limit).min(i64::MAX as usize) as i64;
        let mut found: Vec<(i64, MatchTier, Option<f64>)> = Vec::new();
        for tier in [MatchTier::Title, MatchTier::Site, MatchTier::Text] {
            let want = limit - found.len();
            if want == 0 {
                break;
            }
            let expr = tier_expr(tier, &q, facets.as_deref());
            let newest: Vec<i64> = self.sql(
                self.sql(self.conn.prepare_cached(
                    "SELECT rowid FROM asset_search WHERE asset_search MATCH ?1 ORDER BY rowid DESC LIMIT ?2",
                ))?
                .query_map(params![expr, window], |r| r.get(0))
                .and_then(Iterator::collect),
            )?;
            if (newest.len() as i64) < window {
                let ranked: Vec<(i64, f64)> = self.sql(
                    self.sql(self.conn.prepare_cached(
                        "SELECT rowid, rank FROM asset_search WHERE asset_search MATCH ?1 ORDER BY rank, rowid DESC LIMIT ?2",
                    ))?
                    .query_map(params![expr, want as i64], |r| Ok((r.get(0)?, r.get(1)?)))
                    .and_then(Iterator::collect),
                )?;
                found.extend(ranked.into_iter().map(|(n, score)| (n, tier, Some(score))));
            } else {
                found.extend(newest.into_iter().take(want).map(|n| (n, tier, None)));
            }
        }
        let mut hits = Vec::with_capacity(found.len());
        for (n, tier, score) in found {
            let id: String = self.sql(
                self.sql(
                    self.conn
                        .prepare_cached("SELECT asset_id FROM search_rows WHERE n = ?1"),
                )?
                .query_row([n], |r| r.get(0)),
            )?;
            let mut hit = self.hit(&id)?;
            hit.tier = Some(tier);
            hit.score = score;
            hits.push(hit);
        }
        Ok(hits)
    }

    /// A search hit for one asset, without tier or score.
    fn hit(&self, id: &str) -> Result<SearchHit> {
        let (kind, state, site_id): (String, String, Option<String>) = self.sql(
            self.sql(
                self.conn
                    .prepare_cached("SELECT kind, state, site_id FROM assets WHERE id = ?1"),
            )?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))),
        )?;
        Ok(SearchHit {
            kind: kind
                .parse()
                .map_err(|_| crate::CatalogError::Invalid(format!("asset {id}: kind {kind}")))?,
            id: id.to_owned(),
            state,
            site_id,
            title: self.text_of(id, "title")?,
            tier: None,
            score: None,
        })
    }

    /// One multilingual field of an asset.
    pub(crate) fn text_of(&self, id: &str, field: &str) -> Result<LangText> {
        let mut stmt = self.sql(
            self.conn
                .prepare_cached("SELECT lang, value FROM asset_text WHERE asset_id = ?1 AND field = ?2"),
        )?;
        let mut t = LangText::new();
        let rows = self.sql(stmt.query_map([id, field], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))))?;
        for row in rows {
            let (lang, value) = self.sql(row)?;
            t.set(&lang, &value);
        }
        Ok(t)
    }

    /// Rebuilds the search index from the catalogue (`disan search --reindex`).
    pub fn reindex(&mut self) -> Result<usize> {
        let path = self.path.clone();
        let err = |source| crate::CatalogError::Sql {
            path: path.clone(),
            source,
        };
        let postgres = self.backend() == Backend::Postgres;
        let tx = self.conn.transaction().map_err(err)?;
        tx.execute_batch(if postgres {
            "DELETE FROM asset_search"
        } else {
            "INSERT INTO asset_search (asset_search) VALUES ('delete-all')"
        })
        .map_err(err)?;
        reindex_all(&tx).map_err(err)?;
        let n: i64 = tx
            .query_row(
                if postgres {
                    "SELECT count(*) FROM asset_search"
                } else {
                    "SELECT count(*) FROM search_rows"
                },
                [],
                |r| r.get(0),
            )
            .map_err(err)?;
        commit(tx).map_err(err)?;
        Ok(n as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries() {
        assert_eq!(fts_query("Hạ Long").as_deref(), Some("\"ha\" \"long\"*"));
        assert_eq!(
            fts_query("ĐIỆN biên, phủ").as_deref(),
            Some("\"dien\" \"bien\" \"phu\"*")
        );
        assert_eq!(fts_query("下龙湾").as_deref(), Some("\"下 龙 湾\""));
        assert_eq!(fts_query("Yên Tử 寺").as_deref(), Some("\"yen\" \"tu\" \"寺\""));
        // Quotes and FTS operators typed by a person are only separators.
        assert_eq!(fts_query("\"a\" OR b*").as_deref(), Some("\"a\" \"or\" \"b\"*"));
        assert_eq!(fts_query("  -- "), None);
        assert_eq!(fold_for_index("Vịnh 下龙湾"), "vinh  下  龙  湾 ");
    }
}
