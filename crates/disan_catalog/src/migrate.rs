//! `disan migrate`: moves a collection's catalogue from the embedded SQLite file to a shared PostgreSQL
//! database and back, every table row for row (the search index is rebuilt on the way back), in one
//! transaction on the receiving side. The asset files stay where they are (`DIR/assets/`).

use std::path::Path;

use crate::db::Value;
use postgres::types::ToSql;

use crate::collection::{CatalogLocation, CollectionConfig};
use crate::{CATALOG_FILE, Catalog, CatalogError, Result, SharedCatalog, WriteLock};

/// The tables both catalogues hold, parents before children. The embedded catalogue's search tables are
/// derived from these and rebuilt; `schema_version` is each side's own.
pub const TABLES: &[&str] = &[
    "sites",
    "site_text",
    "assets",
    "asset_text",
    "revisions",
    "source_files",
    "runs",
    "run_files",
    "properties",
    "tours",
    "audio",
    "stories",
];

/// Rows moved per table, in [`TABLES`] order.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct MigrateReport {
    pub tables: Vec<(String, u64)>,
}

/// The columns of an embedded table.
fn columns(conn: &crate::db::Connection, table: &str) -> crate::db::Result<Vec<String>> {
    conn.prepare(&format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid"))?
        .query_map([], |r| r.get(0))?
        .collect()
}

/// Moves the embedded catalogue of `collection` into the empty shared database at `url`, then points
/// `collection.toml` at it. `catalog.sqlite` is left as it was (a backup; the settings file decides which
/// catalogue is used).
pub fn to_postgres(collection: &Path, url: &str) -> Result<MigrateReport> {
    let config = CollectionConfig::read(collection)?;
    if config.catalog != CatalogLocation::Sqlite {
        return Err(CatalogError::Invalid(format!(
            "{} already uses a shared catalogue; `disan migrate --to sqlite` brings it back first",
            collection.display()
        )));
    }
    let _lock = WriteLock::acquire(collection)?;
    let cat = Catalog::open_for_edit(collection)?;
    let mut shared = SharedCatalog::connect(url)?;
    let name = shared.name().to_owned();
    let err = |source| CatalogError::Postgres {
        name: name.clone(),
        source,
    };
    let mut tx = shared.client.transaction().map_err(err)?;
    for table in ["assets", "sites", "revisions"] {
        let n: i64 = tx
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .map_err(err)?
            .get(0);
        if n > 0 {
            return Err(CatalogError::Invalid(format!(
                "{name} already holds a catalogue ({n} rows in {table}); migrate into an empty database"
            )));
        }
    }
    let mut report = MigrateReport::default();
    for &table in TABLES {
        let cols = columns(&cat.conn, table).map_err(crate::sql_err(&cat.path))?;
        let names: Vec<&str> = cols.iter().map(String::as_str).collect();
        let placeholders: Vec<String> = (1..=cols.len()).map(|i| format!("${i}")).collect();
        let insert = tx
            .prepare(&format!(
                "INSERT INTO {table} ({}) VALUES ({})",
                names.join(", "),
                placeholders.join(", ")
            ))
            .map_err(err)?;
        let mut stmt = cat
            .conn
            .prepare(&format!("SELECT {} FROM {table}", names.join(", ")))
            .map_err(crate::sql_err(&cat.path))?;
        let mut rows = stmt.query([]).map_err(crate::sql_err(&cat.path))?;
        let mut n = 0u64;
        while let Some(row) = rows.next().map_err(crate::sql_err(&cat.path))? {
            let values: Vec<Value> = (0..cols.len())
                .map(|i| row.get::<_, Value>(i))
                .collect::<crate::db::Result<_>>()
                .map_err(crate::sql_err(&cat.path))?;
            let refs: Vec<crate::db::ValueRef<'_>> = values.iter().map(Value::as_ref).collect();
            let params: Vec<&(dyn ToSql + Sync)> = refs.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
            tx.execute(&insert, &params).map_err(err)?;
            n += 1;
        }
        report.tables.push((table.to_owned(), n));
    }
    // New revisions continue after the copied ones.
    tx.execute(
        "SELECT setval(pg_get_serial_sequence('revisions', 'id'), coalesce(max(id), 0) + 1, false) FROM revisions",
        &[],
    )
    .map_err(err)?;
    tx.commit().map_err(err)?;
    shared.reindex_all()?;
    CollectionConfig {
        catalog: CatalogLocation::Postgres(url.to_owned()),
        ..config
    }
    .write()?;
    Ok(report)
}

/// Moves the shared catalogue of `collection` back into an embedded `catalog.sqlite` (replacing the one
/// there, atomically), rebuilds the search index, and points `collection.toml` at it. The shared database
/// is left as it was.
pub fn to_sqlite(collection: &Path) -> Result<MigrateReport> {
    let config = CollectionConfig::read(collection)?;
    let url = config.postgres_url("disan migrate --to sqlite")?.to_owned();
    let _lock = WriteLock::acquire(collection)?;
    let mut shared = SharedCatalog::connect(&url)?;
    let name = shared.name().to_owned();
    let err = |source| CatalogError::Postgres {
        name: name.clone(),
        source,
    };
    let work = collection.join(".migrate");
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| CatalogError::Io { path, source }
    };
    if work.exists() {
        std::fs::remove_dir_all(&work).map_err(io(&work))?;
    }
    let report = {
        let lock = WriteLock::acquire(&work)?;
        let mut cat = Catalog::open_or_create(&work, &lock)?;
        let path = cat.path.clone();
        let tx = cat.conn.transaction().map_err(crate::sql_err(&path))?;
        // Rows that point at rows of their own table (merged sites, undo revisions) may come in any order.
        tx.execute_batch("PRAGMA defer_foreign_keys = ON")
            .map_err(crate::sql_err(&path))?;
        let mut report = MigrateReport::default();
        for &table in TABLES {
            let cat_cols = columns(&tx, table).map_err(crate::sql_err(&path))?;
            let names: Vec<&str> = cat_cols.iter().map(String::as_str).collect();
            let rows = shared
                .client
                .query(&format!("SELECT {} FROM {table}", names.join(", ")), &[])
                .map_err(err)?;
            let placeholders: Vec<String> = (1..=names.len()).map(|i| format!("?{i}")).collect();
            let mut insert = tx
                .prepare(&format!(
                    "INSERT INTO {table} ({}) VALUES ({})",
                    names.join(", "),
                    placeholders.join(", ")
                ))
                .map_err(crate::sql_err(&path))?;
            for row in &rows {
                let values: Vec<Value> = (0..names.len())
                    .map(|i| row.try_get::<_, Value>(i))
                    .collect::<std::result::Result<_, _>>()
                    .map_err(err)?;
                insert.execute(values).map_err(crate::sql_err(&path))?;
            }
            report.tables.push((table.to_owned(), rows.len() as u64));
        }
        crate::search::reindex_all(&tx).map_err(crate::sql_err(&path))?;
        crate::search::commit(tx).map_err(crate::sql_err(&path))?;
        report
    };
    // The connection is closed (its WAL checkpointed into the file): move the file into place.
    let dest = collection.join(CATALOG_FILE);
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(collection.join(format!("{CATALOG_FILE}{suffix}")));
    }
    std::fs::rename(work.join(CATALOG_FILE), &dest).map_err(io(&dest))?;
    std::fs::remove_dir_all(&work).map_err(io(&work))?;
    CollectionConfig {
        catalog: CatalogLocation::Sqlite,
        ..config
    }
    .write()?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use disan_core::LangText;
    use disan_tests::catalog_fixture::{collection, make_publishable, set};

    use super::*;
    use crate::{Entity, Filter};

    /// Everything a reader of the catalogue sees, as JSON, without the time of the last ingest write.
    fn snapshot(dir: &Path) -> serde_json::Value {
        let cat = Catalog::open(dir).unwrap();
        let assets = cat.list(None).unwrap();
        let history: Vec<_> = assets
            .iter()
            .map(|a| serde_json::to_value(cat.history(Entity::Asset, &a.id()).unwrap()).unwrap())
            .collect();
        let hits: Vec<String> = cat
            .search("ha long", &Filter::default(), 10)
            .unwrap()
            .into_iter()
            .map(|h| h.id)
            .collect();
        serde_json::json!({
            "assets": serde_json::to_value(&assets).unwrap(),
            "history": history,
            "sites": serde_json::to_value(cat.sites(true).unwrap()).unwrap(),
            "tours": cat.tours().unwrap().iter().map(|t| cat.tour(t).unwrap()).collect::<Vec<_>>(),
            "search": hits,
            "meta": serde_json::to_value(cat.all_metadata().unwrap().into_iter().collect::<std::collections::BTreeMap<_, _>>()).unwrap(),
            "base_url": cat.public_base_url().unwrap(),
        })
    }

    #[test]
    fn a_catalogue_moves_to_postgresql_and_back_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let mut cat = collection(dir.path());
        cat.suggest_sites(500.0, "ingest").unwrap();
        let sites = cat.sites(false).unwrap();
        assert!(!sites.is_empty());
        make_publishable(&mut cat, "a000000000000001", &sites[0].id);
        set(
            &mut cat,
            "b000000000000003",
            &["title.vi=Đồi A1, Điện Biên Phủ", "title.en=Hill A1"],
        )
        .unwrap();
        let revs = set(&mut cat, "b000000000000003", &["title.en=A1 Hill"]).unwrap();
        cat.undo(&[revs[0].id], "tester", false).unwrap();
        let mut title = LangText::default();
        title.set("vi", "Hành trình Hạ Long");
        cat.create_tour("ha-long", title, "tester").unwrap();
        cat.set_property(crate::PUBLIC_BASE_URL, "https://disan.example.vn/c")
            .unwrap();
        drop(cat);
        let before = snapshot(dir.path());

        let url = disan_tests::postgres_db("migrate");
        let report = to_postgres(dir.path(), &url).unwrap();
        let moved: std::collections::HashMap<_, _> = report.tables.iter().cloned().collect();
        assert_eq!(moved["assets"], 4);
        assert!(
            moved["revisions"] >= 10 && moved["sites"] >= 2 && moved["tours"] == 1,
            "{report:?}"
        );
        // The collection now uses the shared catalogue, which holds the same assets and text.
        assert_eq!(
            CollectionConfig::read(dir.path()).unwrap().catalog,
            CatalogLocation::Postgres(url.clone())
        );
        // Every reader sees the same catalogue through the same interface (history, sites, tours, search,
        // curated metadata, base URL).
        assert_eq!(snapshot(dir.path()), before);
        let mut shared = SharedCatalog::connect(&url).unwrap();
        assert_eq!(
            serde_json::to_value(shared.list(None).unwrap()).unwrap(),
            before["assets"]
        );
        // Search finds the same assets in the same tiers, with or without diacritics, in every language.
        let lite_dir = tempfile::tempdir().unwrap();
        std::fs::copy(dir.path().join(CATALOG_FILE), lite_dir.path().join(CATALOG_FILE)).unwrap();
        let lite = Catalog::open(lite_dir.path()).unwrap();
        let on_pg = Catalog::connect(&url, dir.path()).unwrap();
        let tiers = |hits: Vec<crate::SearchHit>| {
            let mut v: Vec<(String, String)> = hits.into_iter().map(|h| (format!("{:?}", h.tier), h.id)).collect();
            v.sort();
            v
        };
        for q in [
            "ha long",
            "Hạ Long",
            "HẠ LONG",
            "vinh",
            "下龙",
            "dien bien",
            "Đồi",
            "a1",
            "bay1",
            "photo",
            "hill a",
            "zzz",
        ] {
            let expected = tiers(lite.search(q, &Filter::default(), 50).unwrap());
            assert_eq!(
                tiers(on_pg.search(q, &Filter::default(), 50).unwrap()),
                expected,
                "query {q:?}"
            );
            if !["zzz"].contains(&q) {
                assert!(!expected.is_empty(), "{q:?} finds something");
            }
        }
        let t = shared.text("b000000000000003", "title", "en").unwrap();
        assert_eq!(t.value.as_deref(), Some("Hill A1"), "the undo came along");
        // Edits on the shared catalogue continue the revision numbers.
        let rev = shared
            .set_text(
                "b000000000000003",
                "title",
                "en",
                "Hill A1 (Eliane 2)",
                "tester",
                t.revision,
            )
            .unwrap();
        assert!(rev > t.revision.unwrap());
        // A second migration into a database that has a catalogue is refused.
        let other = tempfile::tempdir().unwrap();
        drop(collection(other.path()));
        let e = to_postgres(other.path(), &url).unwrap_err().to_string();
        assert!(e.contains("empty database"), "{e}");

        // And back: the same catalogue, with the edit made on PostgreSQL, and a working search index.
        let back = to_sqlite(dir.path()).unwrap();
        assert_eq!(
            back.tables,
            report
                .tables
                .iter()
                .map(|(t, n)| (t.clone(), n + u64::from(t == "revisions")))
                .collect::<Vec<_>>()
        );
        assert_eq!(
            CollectionConfig::read(dir.path()).unwrap().catalog,
            CatalogLocation::Sqlite
        );
        let mut after = snapshot(dir.path());
        let mut expected = before.clone();
        let cat = Catalog::open(dir.path()).unwrap();
        assert_eq!(cat.integrity_check().unwrap(), "ok");
        assert_eq!(
            cat.metadata("b000000000000003").unwrap().title.get("en"),
            Some("Hill A1 (Eliane 2)")
        );
        // Leave out what the PostgreSQL edit changed; everything else is as it was.
        for v in [&mut after, &mut expected] {
            let o = v.as_object_mut().unwrap();
            o.remove("meta");
            o.remove("history");
            for a in o["assets"].as_array_mut().unwrap() {
                a.as_object_mut().unwrap().remove("updated_at");
            }
        }
        assert_eq!(after, expected);
        assert_eq!(
            cat.history(Entity::Asset, "b000000000000003").unwrap().len(),
            before["history"][2].as_array().unwrap().len() + 1
        );
    }
}
