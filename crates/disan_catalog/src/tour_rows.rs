//! The `tours` table's rows, for the revision core (`curate::current` and `curate::store`), which writes every
//! entity's changes: kept apart from `tours` so that the core does not import the tour model built on it.

use crate::db::{OptionalExtension, params};

/// The stored document of a tour (for `curate::current`).
pub(crate) fn stored(conn: &crate::db::Connection, id: &str) -> crate::db::Result<Option<String>> {
    conn.prepare_cached("SELECT doc FROM tours WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()
}

/// Stores (or, with `None`, deletes) a tour's document (for `curate::store`).
pub(crate) fn store(conn: &crate::db::Connection, id: &str, doc: Option<&str>) -> crate::db::Result<()> {
    match doc {
        Some(d) => conn
            .prepare_cached(
                "INSERT INTO tours (id, doc) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
            )?
            .execute(params![id, d])
            .map(drop),
        None => conn
            .prepare_cached("DELETE FROM tours WHERE id = ?1")?
            .execute([id])
            .map(drop),
    }
}
