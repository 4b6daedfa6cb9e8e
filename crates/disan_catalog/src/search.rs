//! Full-text search over every language of an asset's text, its site and its vocabulary labels.
//!
//! The FTS5 table holds a folded copy of the text ([`fold_for_index`]); queries are folded the same way,
//! so "ha long", "Ha Long" and "Hạ Long" find the same assets. Ranking is BM25 with the title weighted
//! above the site, and the site above the rest.

use disan_core::{AssetKind, LangText, fold_for_search};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::curate::Filter;
use crate::{Catalog, Result, vocab};

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

/// The FTS5 query for what a person typed: every word must match; the last one may be unfinished
/// (prefix match); CJK runs match as phrases. `None` when nothing searchable was typed.
pub(crate) fn fts_query(typed: &str) -> Option<String> {
    let folded = fold_for_search(typed);
    let mut terms: Vec<(String, bool)> = Vec::new(); // (fts term, may take a prefix *)
    let mut word = String::new();
    let mut cjk: Vec<char> = Vec::new();
    let flush_word = |word: &mut String, terms: &mut Vec<(String, bool)>| {
        if !word.is_empty() {
            terms.push((format!("\"{word}\""), true));
            word.clear();
        }
    };
    let flush_cjk = |cjk: &mut Vec<char>, terms: &mut Vec<(String, bool)>| {
        if !cjk.is_empty() {
            let phrase: Vec<String> = cjk.iter().map(char::to_string).collect();
            terms.push((format!("\"{}\"", phrase.join(" ")), false));
            cjk.clear();
        }
    };
    for c in folded.chars() {
        if is_cjk(c) {
            flush_word(&mut word, &mut terms);
            cjk.push(c);
        } else if c.is_alphanumeric() {
            flush_cjk(&mut cjk, &mut terms);
            word.push(c);
        } else {
            flush_word(&mut word, &mut terms);
            flush_cjk(&mut cjk, &mut terms);
        }
    }
    flush_word(&mut word, &mut terms);
    flush_cjk(&mut cjk, &mut terms);
    let last = terms.len().checked_sub(1)?;
    Some(
        terms
            .into_iter()
            .enumerate()
            .map(|(i, (t, prefix))| if i == last && prefix { format!("{t}*") } else { t })
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

/// Rewrites the index row of one asset from what the catalogue holds now.
pub(crate) fn reindex_asset(conn: &Connection, id: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT OR IGNORE INTO search_rows (asset_id) VALUES (?1)")?
        .execute([id])?;
    let n: i64 = conn
        .prepare_cached("SELECT n FROM search_rows WHERE asset_id = ?1")?
        .query_row([id], |r| r.get(0))?;
    let (kind, source_name, site_id, state): (String, String, Option<String>, String) = conn
        .prepare_cached("SELECT kind, source_name, site_id, state FROM assets WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    let mut facets = format!("{} {}", facet('k', &kind), facet('s', &state));
    let (mut title, mut body, mut site) = (String::new(), String::new(), String::new());
    let mut stmt = conn.prepare_cached("SELECT field, value FROM asset_text WHERE asset_id = ?1")?;
    let mut rows = stmt.query([id])?;
    while let Some(r) = rows.next()? {
        let field: String = r.get(0)?;
        let value: String = r.get(1)?;
        let to = if field == "title" { &mut title } else { &mut body };
        // Rights URIs and dates are not words anybody searches for.
        if field != "rights" && field != "date" {
            to.push_str(&value);
            to.push('\n');
        }
    }
    body.push_str(&source_name);
    body.push('\n');
    body.push_str(&kind);
    if let Some(site_id) = site_id {
        let mut stmt = conn.prepare_cached("SELECT value FROM site_text WHERE site_id = ?1 AND field = 'name'")?;
        let mut rows = stmt.query([&site_id])?;
        while let Some(r) = rows.next()? {
            site.push_str(&r.get::<_, String>(0)?);
            site.push('\n');
        }
        let facts: Option<(Option<String>, Option<String>, Option<String>)> = conn
            .prepare_cached("SELECT province, rank, type FROM sites WHERE id = ?1")?
            .query_row([&site_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        facets.push(' ');
        facets.push_str(&facet('x', &site_id));
        if let Some((province, rank, kind)) = facts {
            if let Some(r) = &rank {
                facets.push(' ');
                facets.push_str(&facet('r', r));
            }
            push_labels(&mut site, vocab::provinces(), province.as_deref());
            push_labels(&mut site, vocab::ranks(), rank.as_deref());
            push_labels(&mut site, vocab::relic_types(), kind.as_deref());
        }
    }
    conn.prepare_cached("DELETE FROM asset_search WHERE rowid = ?1")?
        .execute([n])?;
    conn.prepare_cached("INSERT INTO asset_search (rowid, title, body, site, facets) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![
            n,
            fold_for_index(&title),
            fold_for_index(&body),
            fold_for_index(&site),
            facets
        ])?;
    Ok(())
}

/// Batches that rewrite at least this many index rows merge the index afterwards.
pub(crate) const OPTIMIZE_AFTER: usize = 2_000;

/// Merges the index into one segment: after a large batch (a CSV import, a site pass) the rows rewritten
/// leave many small segments and deleted entries that slow every query down.
pub(crate) fn optimize(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute("INSERT INTO asset_search (asset_search) VALUES ('optimize')", [])
        .map(drop)
}

/// Reindexes every asset of a site (after its name, province or rank changed).
pub(crate) fn reindex_site(conn: &Connection, site_id: &str) -> rusqlite::Result<()> {
    let ids: Vec<String> = conn
        .prepare("SELECT id FROM assets WHERE site_id = ?1")?
        .query_map([site_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    ids.iter().try_for_each(|id| reindex_asset(conn, id))
}

/// Rebuilds the whole index.
pub(crate) fn reindex_all(conn: &Connection) -> rusqlite::Result<()> {
    let ids: Vec<String> = conn
        .prepare("SELECT id FROM assets ORDER BY id")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    ids.iter().try_for_each(|id| reindex_asset(conn, id))
}

/// One search result.
#[derive(Clone, Debug, Serialize)]
pub struct SearchHit {
    pub id: String,
    pub kind: AssetKind,
    pub state: String,
    pub site_id: Option<String>,
    pub title: LangText,
    /// BM25 score: lower is a better match (0 when no query was given).
    pub score: f64,
}

impl Catalog {
    /// Assets matching `query` (every word, in any language, ignoring case and diacritics) and `filter`,
    /// best first, at most `limit`. An empty query lists the filtered assets by id.
    pub fn search(&self, query: &str, filter: &Filter, limit: usize) -> Result<Vec<SearchHit>> {
        let site = filter.site.as_deref().map(|s| self.resolve_site(s)).transpose()?;
        // Filters are facet tokens ANDed to the text query, so FTS5 does all the work and ranks only
        // what matches both.
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
        let facet_query = (!facets.is_empty()).then(|| format!("facets : ({})", facets.join(" AND ")));
        let fts = match (fts_query(query), facet_query) {
            (Some(q), Some(f)) => Some(format!("({q}) AND {f}")),
            (Some(q), None) => Some(q),
            (None, Some(f)) => Some(f),
            (None, None) => None,
        };
        let limit = limit.min(i64::MAX as usize) as i64;
        let sql = if fts.is_some() {
            "SELECT a.id, a.kind, a.state, a.site_id, m.rank FROM
                (SELECT rowid, rank FROM asset_search WHERE asset_search MATCH ?1 ORDER BY rank LIMIT ?2) m
             JOIN search_rows r ON r.n = m.rowid JOIN assets a ON a.id = r.asset_id ORDER BY m.rank, a.id"
        } else {
            "SELECT a.id, a.kind, a.state, a.site_id, 0.0 FROM assets a WHERE ?1 IS NULL ORDER BY a.id LIMIT ?2"
        };
        let mut stmt = self.sql(self.conn.prepare_cached(sql))?;
        let rows = self.sql(stmt.query_map(params![fts, limit], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, f64>(4)?,
            ))
        }))?;
        let mut hits = Vec::new();
        for row in rows {
            let (id, kind, state, site_id, score) = self.sql(row)?;
            let title = self.text_of(&id, "title")?;
            hits.push(SearchHit {
                kind: kind
                    .parse()
                    .map_err(|_| crate::CatalogError::Invalid(format!("asset {id}: kind {kind}")))?,
                id,
                state,
                site_id,
                title,
                score,
            });
        }
        Ok(hits)
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
        let tx = self.conn.transaction().map_err(err)?;
        tx.execute("DELETE FROM asset_search", []).map_err(err)?;
        reindex_all(&tx).map_err(err)?;
        let n: i64 = tx
            .query_row("SELECT count(*) FROM search_rows", [], |r| r.get(0))
            .map_err(err)?;
        tx.commit().map_err(err)?;
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
