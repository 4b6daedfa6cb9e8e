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

/// BM25 weights of the `title`, `body` and `site` columns.
const WEIGHTS: &str = "bm25(asset_search, 10.0, 1.0, 4.0)";

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
    conn.execute("INSERT OR IGNORE INTO search_rows (asset_id) VALUES (?1)", [id])?;
    let n: i64 = conn.query_row("SELECT n FROM search_rows WHERE asset_id = ?1", [id], |r| r.get(0))?;
    let (kind, source_name, site_id): (String, String, Option<String>) = conn.query_row(
        "SELECT kind, source_name, site_id FROM assets WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
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
            .query_row(
                "SELECT province, rank, type FROM sites WHERE id = ?1",
                [&site_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        if let Some((province, rank, kind)) = facts {
            push_labels(&mut site, vocab::provinces(), province.as_deref());
            push_labels(&mut site, vocab::ranks(), rank.as_deref());
            push_labels(&mut site, vocab::relic_types(), kind.as_deref());
        }
    }
    conn.execute("DELETE FROM asset_search WHERE rowid = ?1", [n])?;
    conn.execute(
        "INSERT INTO asset_search (rowid, title, body, site) VALUES (?1, ?2, ?3, ?4)",
        params![n, fold_for_index(&title), fold_for_index(&body), fold_for_index(&site)],
    )?;
    Ok(())
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
        let fts = fts_query(query);
        let conditions = "(?2 IS NULL OR a.site_id = ?2) AND (?3 IS NULL OR a.kind = ?3)
             AND (?4 IS NULL OR s.rank = ?4) AND (?5 IS NULL OR a.state = ?5)";
        let sql = if fts.is_some() {
            format!(
                "SELECT a.id, a.kind, a.state, a.site_id, {WEIGHTS} AS score
                 FROM asset_search JOIN search_rows r ON r.n = asset_search.rowid
                 JOIN assets a ON a.id = r.asset_id LEFT JOIN sites s ON s.id = a.site_id
                 WHERE asset_search MATCH ?1 AND {conditions} ORDER BY score, a.id LIMIT ?6"
            )
        } else {
            format!(
                "SELECT a.id, a.kind, a.state, a.site_id, 0.0 FROM assets a LEFT JOIN sites s ON s.id = a.site_id
                 WHERE ?1 IS NULL AND {conditions} ORDER BY a.id LIMIT ?6"
            )
        };
        let mut stmt = self.sql(self.conn.prepare_cached(&sql))?;
        let rows = self.sql(stmt.query_map(
            params![
                fts,
                site,
                filter.kind.map(AssetKind::as_str),
                filter.rank,
                filter.state,
                limit.min(i64::MAX as usize) as i64
            ],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, f64>(4)?,
                ))
            },
        ))?;
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
