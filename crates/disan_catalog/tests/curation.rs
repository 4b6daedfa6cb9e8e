//! Curation through the catalogue API: metadata, revisions and undo, workflow, sites, search, CSV.

use std::path::Path;

use disan_catalog::{Catalog, CatalogError, Change, Entity, Filter, MatchTier, RANK_WINDOW, WriteLock, fields};
use disan_core::{AssetKind, AssetManifest};
use disan_tests::catalog_fixture::{HA_LONG, collection, make_publishable, manifest, set};

/// Which catalogue a test runs on: every test but the SQLite upgrade one runs on both.
#[derive(Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

/// An empty collection folder whose catalogue is embedded, or on a fresh PostgreSQL database.
fn on(backend: Backend) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    if let Backend::Postgres = backend {
        disan_catalog::CollectionConfig {
            dir: dir.path().to_owned(),
            catalog: disan_catalog::CatalogLocation::Postgres(disan_tests::postgres_db("curation")),
            storage: disan_catalog::StorageLocation::Local,
        }
        .write()
        .unwrap();
    }
    dir
}

/// One test per backend for each test function.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test]
            fn $name() {
                super::$name(super::Backend::Sqlite)
            })*
        }
        mod postgresql {
            $(#[test]
            fn $name() {
                super::$name(super::Backend::Postgres)
            })*
        }
    };
}

on_both!(
    two_curators_on_one_revision_get_one_success_and_one_conflict,
    metadata_round_trips_nfc_and_every_change_is_a_revision,
    reingest_never_overwrites_curated_fields,
    workflow_checks_required_fields,
    broad_searches_list_newest_first,
    search_folds_case_diacritics_and_d,
    sites_are_suggested_confirmed_merged_and_split,
    csv_round_trip_diff_errors_and_all_or_nothing,
    tours_suggest_links_from_gps_and_heading_and_undo,
    stories_are_revised_checked_searched_and_undone,
);

/// Two curators (two connections, as two machines) edit the same field from the same revision at the same
/// instant: one edit is written, the other is refused with a conflict naming the winner; nothing is lost.
fn two_curators_on_one_revision_get_one_success_and_one_conflict(backend: Backend) {
    let dir = on(backend);
    drop(collection(dir.path()));
    let id = "a000000000000001";
    for round in 0..4 {
        let base = Catalog::open(dir.path()).unwrap().latest_revision().unwrap();
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let results: Vec<_> = ["lan", "minh"]
            .map(|who| {
                let (dir, barrier) = (dir.path().to_owned(), barrier.clone());
                std::thread::spawn(move || {
                    let mut cat = Catalog::open_for_edit(&dir).unwrap();
                    let change =
                        fields::parse_assignment(Entity::Asset, &format!("title.vi=Vịnh Hạ Long ({who} {round})"))
                            .unwrap();
                    barrier.wait();
                    (who, cat.set_meta_based_on(&[id.to_owned()], &[change], who, Some(base)))
                })
            })
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
        let winners: Vec<&str> = results.iter().filter(|(_, r)| r.is_ok()).map(|(w, _)| *w).collect();
        assert_eq!(winners.len(), 1, "round {round}: {results:?}");
        let loser = results.iter().find(|(_, r)| r.is_err()).unwrap();
        match &loser.1 {
            Err(CatalogError::Conflict { what, by, .. }) => {
                assert_eq!(by, winners[0]);
                assert!(what.contains("title.vi") && what.contains(id), "{what}");
            }
            other => panic!("round {round}: {other:?}"),
        }
        let cat = Catalog::open(dir.path()).unwrap();
        assert_eq!(
            cat.metadata(id).unwrap().title.get("vi"),
            Some(format!("Vịnh Hạ Long ({} {round})", winners[0]).as_str())
        );
        // The loser, reloaded, edits again from the new revision and is written.
        let mut again = Catalog::open_for_edit(dir.path()).unwrap();
        let base = again.latest_revision().unwrap();
        let change = fields::parse_assignment(
            Entity::Asset,
            &format!("title.vi=Vịnh Hạ Long ({} {round}, again)", loser.0),
        )
        .unwrap();
        again
            .set_meta_based_on(&[id.to_owned()], &[change], loser.0, Some(base))
            .unwrap();
    }
    // An edit of another field, based on an older revision, is not a conflict.
    let mut cat = Catalog::open_for_edit(dir.path()).unwrap();
    let change = fields::parse_assignment(Entity::Asset, "creator=Trung tâm").unwrap();
    cat.set_meta_based_on(&[id.to_owned()], &[change], "lan", Some(0))
        .unwrap();
    // Every edit is in the history: 4 winners and 4 second tries, then the creator.
    let h = cat.history(Entity::Asset, id).unwrap();
    assert_eq!(h.iter().filter(|r| r.field == "title").count(), 8);
}

fn ids(hits: &[disan_catalog::SearchHit]) -> Vec<&str> {
    hits.iter().map(|h| h.id.as_str()).collect()
}

fn metadata_round_trips_nfc_and_every_change_is_a_revision(backend: Backend) {
    let dir = on(backend);
    let mut cat = collection(dir.path());
    // Decomposed input (as some keyboards type it) is stored composed.
    let revs = set(
        &mut cat,
        "a000000000000001",
        &[
            "title.vi=Vi\u{323}nh Ha\u{323} Long",
            "title.zh-Hans=下龙湾",
            "creator=Trung tâm",
        ],
    )
    .unwrap();
    assert_eq!(revs.len(), 3);
    let meta = cat.asset_meta("a000000000000001").unwrap();
    assert_eq!(meta.metadata.title.get("vi"), Some("Vịnh Hạ Long"));
    assert_eq!(meta.metadata.title.get("vi").unwrap().chars().count(), 12);
    assert_eq!(meta.metadata.title.get("zh-Hans"), Some("下龙湾"));
    assert_eq!(
        meta.date.as_deref(),
        Some("2024-05-17"),
        "date falls back to the capture date"
    );
    // Setting the same value again writes nothing.
    assert!(
        set(&mut cat, "a000000000000001", &["title.vi=Vịnh Hạ Long"])
            .unwrap()
            .is_empty()
    );
    let r = set(&mut cat, "a000000000000001", &["title.vi=Vịnh Hạ Long kỳ vĩ"]).unwrap();
    assert_eq!(r[0].old.as_deref(), Some("Vịnh Hạ Long"));
    assert_eq!(r[0].new.as_deref(), Some("Vịnh Hạ Long kỳ vĩ"));
    let history = cat.history(Entity::Asset, "a000000000000001").unwrap();
    assert_eq!(history.len(), 4);
    assert!(history.iter().all(|h| h.author == "tester" && !h.at.is_empty()));
    assert_eq!(history[0].key(), "title.vi");
    // Undo writes a new revision with the old value.
    let undone = cat.undo(&[r[0].id], "other", false).unwrap();
    assert_eq!(undone[0].reverts, Some(r[0].id));
    assert_eq!(
        cat.metadata("a000000000000001").unwrap().title.get("vi"),
        Some("Vịnh Hạ Long")
    );
    assert_eq!(cat.history(Entity::Asset, "a000000000000001").unwrap().len(), 5);
    // Undoing a revision whose field changed since is refused.
    let e = cat.undo(&[r[0].id], "other", false).unwrap_err();
    assert!(e.to_string().contains("changed since"), "{e}");
    // Undoing the undo redoes.
    cat.undo(&[undone[0].id], "other", false).unwrap();
    assert_eq!(
        cat.metadata("a000000000000001").unwrap().title.get("vi"),
        Some("Vịnh Hạ Long kỳ vĩ")
    );
    // The first revision (the title typed) can be undone over later ones only when forced.
    let first = history[0].id;
    assert!(cat.undo(&[first], "other", false).is_err());
    cat.undo(&[first], "other", true).unwrap();
    assert_eq!(cat.metadata("a000000000000001").unwrap().title.get("vi"), None);
    // Bad values are refused before anything is written.
    let before = cat.history(Entity::Asset, "a000000000000001").unwrap().len();
    assert!(fields::parse_assignment(Entity::Asset, "rights=all rights reserved").is_err());
    let bad = Change {
        field: "date".into(),
        lang: None,
        value: "last May".into(),
    };
    assert!(cat.set_meta(&["a000000000000001".into()], &[bad], "t").is_err());
    assert_eq!(cat.history(Entity::Asset, "a000000000000001").unwrap().len(), before);
}

fn reingest_never_overwrites_curated_fields(backend: Backend) {
    let dir = on(backend);
    let mut cat = collection(dir.path());
    set(
        &mut cat,
        "a000000000000001",
        &[
            "title.vi=Vịnh Hạ Long",
            "rights=http://creativecommons.org/licenses/by/4.0/",
        ],
    )
    .unwrap();
    drop(cat);
    let lock = WriteLock::acquire(dir.path()).unwrap();
    let mut ingest = Catalog::open_or_create(dir.path(), &lock).unwrap();
    ingest
        .commit_asset(
            &manifest("a000000000000001", AssetKind::Photo, "bay1-renamed.jpg", Some(HA_LONG)),
            "/x/bay1-renamed.jpg",
            2,
        )
        .unwrap();
    let meta = ingest.asset_meta("a000000000000001").unwrap();
    assert_eq!(meta.metadata.title.get("vi"), Some("Vịnh Hạ Long"));
    assert_eq!(
        meta.metadata.rights.as_deref(),
        Some("http://creativecommons.org/licenses/by/4.0/")
    );
    assert_eq!(meta.source_name, "bay1-renamed.jpg");
}

fn workflow_checks_required_fields(backend: Backend) {
    let dir = on(backend);
    let mut cat = collection(dir.path());
    let id = "a000000000000001".to_owned();
    let e = cat.set_state(std::slice::from_ref(&id), "published", "t").unwrap_err();
    assert!(e.to_string().contains("cannot go from draft to published"), "{e}");
    cat.set_state(std::slice::from_ref(&id), "in_review", "t").unwrap();
    let e = cat
        .set_state(std::slice::from_ref(&id), "published", "t")
        .unwrap_err()
        .to_string();
    for missing in [
        "title.vi",
        "title.en",
        "title.zh-Hans",
        "description.vi",
        "creator",
        "rights",
        "site",
    ] {
        assert!(e.contains(missing), "{missing} in {e}");
    }
    assert!(!e.contains("date"), "the capture date counts: {e}");
    let (site, _) = cat
        .create_site(
            None,
            &[fields::parse_assignment(Entity::Site, "name.vi=Vịnh Hạ Long").unwrap()],
            "t",
        )
        .unwrap();
    make_publishable(&mut cat, &id, &site.id);
    // The report lists translations still missing, without blocking publication.
    let report = cat.publication_report().unwrap();
    let mine = report.iter().find(|r| r.id == id).unwrap();
    assert!(mine.missing.is_empty(), "{:?}", mine.missing);
    assert_eq!(mine.translations, ["description.en", "description.zh-Hans"]);
    assert!(
        report
            .iter()
            .any(|r| r.id == "b000000000000003" && r.missing.contains(&"title.vi".to_string()))
    );
    cat.set_state(std::slice::from_ref(&id), "published", "t").unwrap();
    assert_eq!(cat.asset_meta(&id).unwrap().state, "published");
    // A published asset keeps its required fields.
    let e = set(&mut cat, &id, &["title.en="]).unwrap_err().to_string();
    assert!(e.contains("published") && e.contains("title.en"), "{e}");
    assert_eq!(cat.metadata(&id).unwrap().title.get("en"), Some("Ha Long Bay"));
    // Withdraw, and undo the withdrawal.
    let w = cat.set_state(std::slice::from_ref(&id), "withdrawn", "t").unwrap();
    cat.undo(&[w[0].id], "t", false).unwrap();
    assert_eq!(cat.asset_meta(&id).unwrap().state, "published");
    // Batches are all or nothing.
    let e = cat
        .set_state(&[id.clone(), "b000000000000003".into()], "withdrawn", "t")
        .unwrap_err();
    assert!(matches!(e, CatalogError::Rejected(ref p) if p.len() == 1), "{e}");
    assert_eq!(cat.asset_meta(&id).unwrap().state, "published");
}

/// A tier broader than the ranking window lists its newest matches first and stays cheap; a narrower one,
/// or a limit that covers it, is ranked by BM25.
fn broad_searches_list_newest_first(backend: Backend) {
    let dir = on(backend);
    let mut cat = collection(dir.path());
    let n = RANK_WINDOW + 100;
    let items: Vec<(AssetManifest, String)> = (0..n)
        .map(|i| {
            let name = format!("pagoda-{i:04}.jpg");
            (
                manifest(&format!("d{i:015}"), AssetKind::Photo, &name, None),
                format!("/captures/{name}"),
            )
        })
        .collect();
    cat.commit_assets(&items).unwrap();
    let ids_all: Vec<String> = items.iter().map(|(m, _)| m.id.to_string()).collect();
    // Titles share the words; one title is longer, so BM25 can tell them apart.
    for (i, id) in ids_all.iter().enumerate() {
        let title = if i == 7 {
            format!("title.vi=Chùa Một Cột {i}")
        } else {
            format!("title.vi=Chùa Một Cột, cổng chính {i}")
        };
        set(&mut cat, id, &[&title]).unwrap();
    }
    set(
        &mut cat,
        "c000000000000004",
        &["description.vi=Bia đá trong chùa Một Cột"],
    )
    .unwrap();
    let f = Filter::default();
    let hits = cat.search("chua mot cot", &f, 10).unwrap();
    assert_eq!(ids(&hits), ids_all.iter().rev().take(10).cloned().collect::<Vec<_>>());
    assert!(
        hits.iter()
            .all(|h| h.tier == Some(MatchTier::Title) && h.score.is_none())
    );
    // A narrow query is ranked.
    let hits = cat.search("7 chua mot cot", &f, 10).unwrap();
    assert_eq!(ids(&hits), [ids_all[7].clone()]);
    assert!(hits[0].score.is_some());
    // A limit past the window ranks the whole tier: the short title first, the description match last.
    let hits = cat.search("chua mot cot", &f, n + 10).unwrap();
    assert_eq!(hits.len(), n + 1);
    assert_eq!(hits[0].id, ids_all[7]);
    assert!(
        hits[..n]
            .iter()
            .all(|h| h.tier == Some(MatchTier::Title) && h.score.is_some())
    );
    assert_eq!(hits[n].id, "c000000000000004");
    assert_eq!(hits[n].tier, Some(MatchTier::Text));
    // Filters without a query list by id, up to the limit.
    let photos = Filter {
        kind: Some(AssetKind::Photo),
        ..Default::default()
    };
    let listed = cat.search("", &photos, 5).unwrap();
    assert_eq!(
        ids(&listed),
        [
            "a000000000000001",
            "b000000000000003",
            "d000000000000000",
            "d000000000000001",
            "d000000000000002"
        ]
    );
    assert!(listed.iter().all(|h| h.tier.is_none()));
}

fn search_folds_case_diacritics_and_d(backend: Backend) {
    let dir = on(backend);
    let mut cat = collection(dir.path());
    set(
        &mut cat,
        "a000000000000001",
        &["title.vi=Vịnh Hạ Long", "title.zh-Hans=下龙湾", "subject.en=bay; karst"],
    )
    .unwrap();
    set(
        &mut cat,
        "a000000000000002",
        &["description.vi=Toàn cảnh vịnh nhìn từ đảo Ti Tốp, gần Hạ Long"],
    )
    .unwrap();
    set(
        &mut cat,
        "b000000000000003",
        &["title.vi=Đồi A1, Điện Biên Phủ", "title.en=Hill A1, Dien Bien Phu"],
    )
    .unwrap();
    let f = Filter::default();
    let a = cat.search("ha long", &f, 10).unwrap();
    assert_eq!(
        ids(&a),
        ["a000000000000001", "a000000000000002"],
        "title match ranks first"
    );
    assert_eq!(
        a.iter().map(|h| (h.tier, h.score.is_some())).collect::<Vec<_>>(),
        [(Some(MatchTier::Title), true), (Some(MatchTier::Text), true)]
    );
    for q in ["Ha Long", "Hạ Long", "HẠ LONG", "hạ lo"] {
        assert_eq!(ids(&cat.search(q, &f, 10).unwrap()), ids(&a), "{q}");
    }
    assert_eq!(ids(&cat.search("dien bien phu", &f, 10).unwrap()), ["b000000000000003"]);
    assert_eq!(ids(&cat.search("ĐIỆN BIÊN", &f, 10).unwrap()), ["b000000000000003"]);
    assert_eq!(ids(&cat.search("下龙", &f, 10).unwrap()), ["a000000000000001"]);
    assert_eq!(ids(&cat.search("karst", &f, 10).unwrap()), ["a000000000000001"]);
    assert_eq!(
        ids(&cat.search("stele", &f, 10).unwrap()),
        ["c000000000000004"],
        "file names are searched"
    );
    assert!(cat.search("angkor", &f, 10).unwrap().is_empty());
    let panoramas = Filter {
        kind: Some(AssetKind::Panorama),
        ..Default::default()
    };
    assert_eq!(
        ids(&cat.search("ha long", &panoramas, 10).unwrap()),
        ["a000000000000002"]
    );
    // A site's name, province and rank are searchable through its assets, and filter.
    let (site, _) = cat
        .create_site(
            None,
            &["name.vi=Vịnh Hạ Long", "province=quang-ninh", "rank=unesco"]
                .map(|a| fields::parse_assignment(Entity::Site, a).unwrap()),
            "t",
        )
        .unwrap();
    cat.assign_site(Some(&site.id), &["a000000000000002".into()], "t")
        .unwrap();
    assert_eq!(ids(&cat.search("quang ninh", &f, 10).unwrap()), ["a000000000000002"]);
    let a = cat.search("ha long", &f, 10).unwrap();
    assert_eq!(
        a.iter().map(|h| h.tier).collect::<Vec<_>>(),
        [Some(MatchTier::Title), Some(MatchTier::Site)],
        "a match in the site's name comes before one in a description"
    );
    let unesco = Filter {
        rank: Some("unesco".into()),
        ..Default::default()
    };
    assert_eq!(ids(&cat.search("", &unesco, 10).unwrap()), ["a000000000000002"]);
    assert_eq!(
        ids(&cat
            .search(
                "vinh",
                &Filter {
                    site: Some("Vịnh Hạ Long".into()),
                    ..Default::default()
                },
                10
            )
            .unwrap()),
        ["a000000000000002"]
    );
    // Renaming the site reindexes its assets.
    cat.set_site(
        &site.id,
        &[fields::parse_assignment(Entity::Site, "name.en=Ha Long Bay heritage").unwrap()],
        "t",
    )
    .unwrap();
    assert_eq!(ids(&cat.search("heritage", &f, 10).unwrap()), ["a000000000000002"]);
    // Tags select assets for batch edits, in any language, without diacritics.
    let tagged = cat
        .select(&Filter {
            tag: Some("KARST".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(tagged, ["a000000000000001"]);
}

fn sites_are_suggested_confirmed_merged_and_split(backend: Backend) {
    let dir = on(backend);
    let mut cat = collection(dir.path());
    let report = cat.suggest_sites(500.0, "disan ingest").unwrap();
    // The two Hạ Long captures (300 m apart) form one site, Điện Biên another; the model has no GPS.
    assert!(report.assigned.is_empty());
    let mut created: Vec<usize> = report.created.iter().map(|c| c.1).collect();
    created.sort();
    assert_eq!(created, [1, 2]);
    let sites = cat.sites(false).unwrap();
    assert_eq!(sites.len(), 2);
    assert!(sites.iter().all(|s| !s.confirmed));
    let bay = sites.iter().find(|s| s.assets == 2).unwrap().id.clone();
    let hill = sites.iter().find(|s| s.assets == 1).unwrap().id.clone();
    let bay_site = cat.site(&bay).unwrap();
    assert!((bay_site.lat.unwrap() - (HA_LONG.0 + 0.00135)).abs() < 1e-9);
    // A second pass changes nothing; a new capture near a site joins it.
    assert!(cat.suggest_sites(500.0, "disan ingest").unwrap().created.is_empty());
    // Publishing needs the suggested site confirmed.
    make_publishable(&mut cat, "a000000000000001", &bay);
    cat.set_state(&["a000000000000001".into()], "in_review", "c").unwrap();
    let e = cat
        .set_state(&["a000000000000001".into()], "published", "c")
        .unwrap_err()
        .to_string();
    assert!(e.contains("confirm"), "{e}");
    // A curator names and confirms.
    cat.set_site(
        &bay,
        &[
            "name.vi=Vịnh Hạ Long",
            "rank=unesco",
            "type=scenic_landscape",
            "province=Quảng Ninh",
        ]
        .map(|a| fields::parse_assignment(Entity::Site, a).unwrap()),
        "c",
    )
    .unwrap();
    cat.confirm_site(&bay, "c").unwrap();
    let s = cat.site("vinh ha long").unwrap();
    assert!(s.confirmed);
    cat.set_state(&["a000000000000001".into()], "published", "c").unwrap();
    assert_eq!(s.province.as_deref(), Some("quang-ninh"));
    // Split the panorama off into its own site, then merge it back.
    let (split, _) = cat
        .split_site(
            &bay,
            &["a000000000000002".into()],
            &[fields::parse_assignment(Entity::Site, "name.en=Ti Top island").unwrap()],
            "c",
        )
        .unwrap();
    assert_eq!(split.assets, 1);
    assert_eq!(split.rank.as_deref(), Some("unesco"), "inherits the rank");
    assert!((split.lat.unwrap() - (HA_LONG.0 + 0.0027)).abs() < 1e-9);
    assert_eq!(cat.site(&bay).unwrap().assets, 1);
    cat.merge_sites(&bay, std::slice::from_ref(&split.id), "c").unwrap();
    let merged = cat.site(&bay).unwrap();
    assert_eq!(merged.assets, 2);
    assert_eq!(
        merged.name.get("en"),
        Some("Ti Top island"),
        "missing names come from the merged site"
    );
    assert_eq!(cat.site(&split.id).unwrap().merged_into.as_deref(), Some(bay.as_str()));
    assert_eq!(cat.sites(false).unwrap().len(), 2);
    // A curator removing an asset from a site is respected by later suggestions.
    cat.assign_site(None, &["b000000000000003".into()], "c").unwrap();
    let again = cat.suggest_sites(500.0, "disan ingest").unwrap();
    assert!(again.assigned.is_empty() && again.created.is_empty());
    assert!(cat.asset_meta("b000000000000003").unwrap().site.is_none());
    let _ = hill;
}

fn csv_round_trip_diff_errors_and_all_or_nothing(backend: Backend) {
    let dir = on(backend);
    let mut cat = collection(dir.path());
    set(
        &mut cat,
        "a000000000000001",
        &["title.vi=Vịnh Hạ Long", "description.en=The bay, \"in\" fog,\nat dawn"],
    )
    .unwrap();
    set(&mut cat, "b000000000000003", &["title.fr=Colline A1"]).unwrap();
    let csv = dir.path().join("meta.csv");
    assert_eq!(cat.export_csv(&csv).unwrap(), 4);
    let bytes = std::fs::read(&csv).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM for Excel");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let header = text.lines().next().unwrap();
    assert!(
        header.starts_with("id,kind,state,site,source,taken_at,lat,lon,title.vi,title.en,title.zh-Hans,title.fr,"),
        "{header}"
    );
    // Unchanged: nothing to do, nothing written.
    let revs = cat.history(Entity::Asset, "a000000000000001").unwrap().len();
    let r = cat.import_csv(&csv, false, "t").unwrap();
    assert_eq!((r.rows, r.changes.len(), r.errors.len(), r.applied), (4, 0, 0, false));
    assert_eq!(cat.history(Entity::Asset, "a000000000000001").unwrap().len(), revs);

    // Edit two cells as a spreadsheet would (re-encoded, cells re-quoted).
    let mut rows: Vec<csv::StringRecord> = csv::Reader::from_reader(&bytes[3..])
        .records()
        .map(Result::unwrap)
        .collect();
    let cols: Vec<String> = csv::Reader::from_reader(&bytes[3..])
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let col = |n: &str| cols.iter().position(|c| c == n).unwrap();
    let edit = |rows: &mut Vec<csv::StringRecord>, row: usize, c: usize, v: &str| {
        let mut cells: Vec<String> = rows[row].iter().map(str::to_owned).collect();
        cells[c] = v.to_owned();
        rows[row] = csv::StringRecord::from(cells);
    };
    edit(&mut rows, 0, col("title.en"), "Ha Long Bay");
    edit(&mut rows, 2, col("title.vi"), "Đồi A1");
    let write = |rows: &[csv::StringRecord], path: &Path| {
        let mut w = csv::WriterBuilder::new()
            .quote_style(csv::QuoteStyle::Always)
            .from_path(path)
            .unwrap();
        w.write_record(&cols).unwrap();
        for r in rows {
            w.write_record(r).unwrap();
        }
    };
    let edited = dir.path().join("edited.csv");
    write(&rows, &edited);
    let dry = cat.import_csv(&edited, true, "t").unwrap();
    assert_eq!(dry.changes.len(), 2);
    assert!(!dry.applied);
    assert_eq!(dry.changes[0].row, 2);
    assert_eq!(dry.changes[0].column, "title.en");
    assert_eq!(dry.changes[1].new.as_deref(), Some("Đồi A1"));
    assert_eq!(
        cat.metadata("a000000000000001").unwrap().title.get("en"),
        None,
        "dry run changes nothing"
    );
    let applied = cat.import_csv(&edited, false, "t").unwrap();
    assert!(applied.applied);
    assert_eq!(applied.revisions, 2);
    assert_eq!(
        cat.metadata("a000000000000001").unwrap().title.get("en"),
        Some("Ha Long Bay")
    );
    assert_eq!(
        cat.metadata("a000000000000001").unwrap().description.get("en"),
        Some("The bay, \"in\" fog,\nat dawn"),
        "quotes and newlines survive"
    );
    // Errors name row and column; one bad cell means nothing is applied.
    edit(&mut rows, 0, col("title.en"), "Vịnh (changed again)");
    edit(&mut rows, 1, col("rights"), "all rights reserved");
    edit(&mut rows, 3, col("date"), "yesterday");
    edit(&mut rows, 2, col("state"), "approved");
    write(&rows, &edited);
    let bad = cat.import_csv(&edited, false, "t").unwrap();
    assert!(!bad.applied);
    let msgs: Vec<String> = bad.errors.iter().map(ToString::to_string).collect();
    assert_eq!(msgs.len(), 3, "{msgs:?}");
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("row 3, column rights (") && m.contains("Creative Commons")),
        "{msgs:?}"
    );
    assert!(msgs.iter().any(|m| m.starts_with("row 5, column date (")), "{msgs:?}");
    assert!(
        msgs.iter().any(|m| m.starts_with("row 4, column state (C)")),
        "{msgs:?}"
    );
    assert_eq!(
        cat.metadata("a000000000000001").unwrap().title.get("en"),
        Some("Ha Long Bay")
    );
    // Broken quoting, invalid UTF-8, unknown ids and columns.
    let broken = dir.path().join("broken.csv");
    std::fs::write(
        &broken,
        b"id,title.vi\na000000000000001,\"unclosed\nb000000000000003,x\n",
    )
    .unwrap();
    let r = cat.import_csv(&broken, false, "t").unwrap();
    assert!(!r.applied && !r.errors.is_empty());
    std::fs::write(
        &broken,
        b"id,title.vi,colour\na000000000000001,H\xe1 Long,red\nffff000000000000,x,y\n",
    )
    .unwrap();
    let r = cat.import_csv(&broken, false, "t").unwrap();
    let msgs: Vec<String> = r.errors.iter().map(ToString::to_string).collect();
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("row 1, column colour (C): unknown asset field")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("row 2, column title.vi (B): not valid UTF-8")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter().any(|m| m.starts_with("row 3, column id (A): no asset")),
        "{msgs:?}"
    );
}

#[test]
fn an_older_catalogue_is_migrated_and_indexed() {
    let dir = tempfile::tempdir().unwrap();
    drop(collection(dir.path()));
    // Take the catalogue back to version 2, as an older disan left it.
    let conn = rusqlite::Connection::open(dir.path().join("catalog.sqlite")).unwrap();
    conn.execute_batch(
        "DROP TABLE asset_search; DROP TABLE search_rows; DROP INDEX assets_state; DROP INDEX revisions_field;
         ALTER TABLE sites DROP COLUMN confirmed; ALTER TABLE sites DROP COLUMN merged_into;
         DROP TABLE tours; DROP TABLE audio; DROP TABLE stories;
         DELETE FROM schema_version WHERE version >= 3;
         INSERT INTO asset_text VALUES ('b000000000000003', 'title', 'vi', 'Điện Biên Phủ');",
    )
    .unwrap();
    drop(conn);
    // Read-only, it has no narration (and no table for it) and says so without failing.
    let old = Catalog::open(dir.path()).unwrap();
    assert_eq!(old.schema_version().unwrap(), 2);
    assert!(old.audio_list().unwrap().is_empty());
    assert!(old.stories().unwrap().is_empty());
    drop(old);
    let cat = Catalog::open_for_edit(dir.path()).unwrap();
    assert_eq!(cat.schema_version().unwrap(), 6);
    assert!(cat.stories().unwrap().is_empty(), "the stories table is there");
    assert!(cat.tours().unwrap().is_empty(), "the tours table is back");
    assert!(cat.audio_list().unwrap().is_empty(), "the narration table is there");
    assert_eq!(
        ids(&cat.search("dien bien", &Filter::default(), 5).unwrap()),
        ["b000000000000003"]
    );
}

/// Tours: panoramas with GPS and compass headings get link suggestions at yaw = bearing − heading; every
/// edit is a revision, undo restores the document and `tours/<id>.json` follows.
fn tours_suggest_links_from_gps_and_heading_and_undo(backend: Backend) {
    let dir = on(backend);
    let lock = WriteLock::acquire(dir.path()).unwrap();
    let mut cat = Catalog::open_or_create(dir.path(), &lock).unwrap();
    // The gate, and the shrine 100 m due east of it; the gate's panorama centre faces north (heading 0),
    // the shrine's faces east (heading 90).
    let gate = (21.1500, 106.7200);
    let shrine = (21.1500, 106.7200 + 100.0 / (111_320.0 * 21.15f64.to_radians().cos()));
    let far = (21.2000, 106.7200);
    for (id, gps, heading) in [
        ("e000000000000001", gate, 0.0),
        ("e000000000000002", shrine, 90.0),
        ("e000000000000003", far, 0.0),
    ] {
        let mut m = manifest(id, AssetKind::Panorama, &format!("{id}.jpg"), Some(gps));
        m.metadata.heading_deg = Some(heading);
        m.pano_tiles = Some(disan_core::PanoTiles {
            cube_resolution: 1296,
            tile_resolution: 512,
            max_level: 3,
            tiles: 6 * (1 + 4 + 9),
            config: "pano/config.json".into(),
        });
        cat.commit_asset(&m, &format!("/captures/{id}.jpg"), 1).unwrap();
    }
    drop(cat);
    drop(lock);
    let mut cat = Catalog::open_for_edit(dir.path()).unwrap();
    let mut title = disan_core::LangText::new();
    title.set("vi", "Đường lên Yên Tử");
    cat.create_tour("yen-tu", title, "curator").unwrap();
    for id in ["e000000000000001", "e000000000000002", "e000000000000003"] {
        cat.add_scene("yen-tu", id, Default::default(), Default::default(), "curator")
            .unwrap();
    }
    let s = cat.suggest_links("yen-tu", 150.0).unwrap();
    assert_eq!(s.len(), 2, "only the two within 150 m: {s:?}");
    let (there, back) = (&s[0], &s[1]);
    assert_eq!(
        (there.from.as_str(), there.to.as_str()),
        ("e000000000000001", "e000000000000002")
    );
    assert!((there.distance_m - 100.0).abs() < 1.0, "{there:?}");
    // East of a north-facing panorama is 90° to the right; west of an east-facing one is behind it.
    assert!((there.yaw - 90.0).abs() < 0.1, "{there:?}");
    assert!((back.yaw.abs() - 180.0).abs() < 0.1, "{back:?}");

    // A link that leads outside the tour is refused, and nothing is written.
    let bad = cat.update_tour("yen-tu", "curator", |_, t| {
        t.scenes[0].links.push(disan_catalog::LinkHotspot {
            id: "l1".into(),
            yaw: 0.0,
            pitch: 0.0,
            target: "a000000000000009".into(),
            arrive: None,
        });
        Ok(())
    });
    assert!(matches!(bad, Err(CatalogError::Rejected(_))), "{bad:?}");
    let (linked, id) = cat
        .add_link(
            "yen-tu",
            (&there.from, &there.to),
            (there.yaw, -10.0),
            Default::default(),
            "curator",
        )
        .unwrap();
    assert_eq!(id, "l1");
    assert!(cat.suggest_links("yen-tu", 150.0).unwrap()[0].exists);
    let file = dir.path().join("tours/yen-tu.json");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), linked.to_json());

    // Five revisions (create, three scenes, the link); undoing the link restores the document and the file.
    let history = cat.tour_history("yen-tu").unwrap();
    assert_eq!(history.len(), 5);
    assert!(history.iter().all(|r| r.author == "curator" && r.entity == "tour"));
    cat.undo(&[history[4].id], "curator", false).unwrap();
    let now = cat.tour("yen-tu").unwrap();
    assert!(now.scenes[0].links.is_empty());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), now.to_json());
    assert_eq!(now.title.get("vi"), Some("Đường lên Yên Tử"));

    // The curator turns the link back down: it stays suggested, marked rejected, in the document and the file.
    let (from, to) = (back.from.clone(), back.to.clone());
    let rejected = cat.reject_suggestion("yen-tu", &from, &to, "curator").unwrap();
    assert_eq!(rejected.rejected.len(), 1);
    let s = cat.suggest_links("yen-tu", 150.0).unwrap();
    assert_eq!(
        s.iter().map(|s| (s.rejected, s.exists)).collect::<Vec<_>>(),
        vec![(false, false), (true, false)],
        "{s:?}"
    );
    assert!(std::fs::read_to_string(&file).unwrap().contains("\"rejected\""));
    let outside = cat.reject_suggestion("yen-tu", &from, "a000000000000009", "curator");
    assert!(matches!(outside, Err(CatalogError::NotInTour { .. })), "{outside:?}");
    // A rejection goes with a scene taken out of the tour.
    let fewer = cat.remove_scene("yen-tu", &to, "curator").unwrap();
    assert!(fewer.rejected.is_empty(), "{fewer:?}");

    // Every other edit is one catalogue call and one revision; what is not in the tour is one error.
    let revisions = |cat: &Catalog| cat.tour_history("yen-tu").unwrap().len();
    let n = revisions(&cat);
    let mut point = disan_catalog::InfoPoint {
        yaw: 30.0,
        pitch: -5.0,
        ..Default::default()
    };
    point.title.set("vi", "Cổng tam quan");
    let (_, info) = cat.add_info("yen-tu", &from, point, "curator").unwrap();
    let view = disan_catalog::TourView {
        yaw: 45.0,
        pitch: 5.0,
        hfov: 80.0,
    };
    cat.set_start_view("yen-tu", &from, view, "curator").unwrap();
    cat.move_hotspot("yen-tu", &info, (35.0, -4.0), "curator").unwrap();
    let texts = [("en".to_owned(), "Three-entrance gate".to_owned())]
        .into_iter()
        .collect();
    cat.edit_info("yen-tu", &info, (&texts, &Default::default()), None, "curator")
        .unwrap();
    cat.add_scene("yen-tu", &to, Default::default(), Default::default(), "curator")
        .unwrap();
    let (_, link) = cat
        .add_link("yen-tu", (&to, &from), (10.0, 0.0), Default::default(), "curator")
        .unwrap();
    cat.set_arrival_view("yen-tu", &link, Some(view), "curator").unwrap();
    let t = cat.move_scene("yen-tu", &to, 0, "curator").unwrap();
    assert_eq!(revisions(&cat), n + 8);
    assert_eq!(t.scenes[0].asset, to);
    assert_eq!(t.scenes[0].links[0].arrive, Some(view));
    let gate = t.scene(&from).unwrap();
    assert_eq!(gate.view, view);
    let i = &gate.infos[0];
    assert_eq!((i.yaw, i.pitch), (35.0, -4.0));
    assert_eq!(
        (i.title.get("vi"), i.title.get("en")),
        (Some("Cổng tam quan"), Some("Three-entrance gate"))
    );
    // The information point has narration; removing the point removes it too (its own revision).
    let narrated = cat.audio_target(&format!("tour:yen-tu/{from}/{info}")).unwrap();
    let record = narration_record("tours/yen-tu/audio/x.mp3", None);
    cat.set_audio(&narrated, "vi", Some(&record), "curator").unwrap();
    let scene_narration = cat.audio_target(&format!("tour:yen-tu/{from}")).unwrap();
    cat.set_audio(&scene_narration, "vi", Some(&record), "curator").unwrap();
    assert_eq!(revisions(&cat), n + 10);
    cat.remove_hotspot("yen-tu", &info, "curator").unwrap();
    assert!(
        cat.audio(&narrated, "vi").unwrap().is_none(),
        "the point's narration went with it"
    );
    assert!(
        cat.audio(&scene_narration, "vi").unwrap().is_some(),
        "the scene's stays"
    );
    assert_eq!(revisions(&cat), n + 12, "the tour's and the narration's removal");
    let n = n + 3;
    for result in [
        cat.remove_hotspot("yen-tu", &info, "curator"),
        cat.move_hotspot("yen-tu", "l99", (0.0, 0.0), "curator"),
        cat.set_arrival_view("yen-tu", "l99", None, "curator"),
        cat.set_start_view("yen-tu", "a000000000000009", view, "curator"),
        cat.move_scene("yen-tu", "a000000000000009", 0, "curator"),
        cat.remove_scene("yen-tu", "a000000000000009", "curator"),
    ] {
        assert!(matches!(result, Err(CatalogError::NotInTour { .. })), "{result:?}");
    }
    assert_eq!(revisions(&cat), n + 9, "a refused edit writes nothing");
}

/// Stories: a model's annotations are one revision per change, checked (ids, languages, numbers, view),
/// searchable in any language with or without diacritics, refused on a photo, and undone like text; a stale
/// edit is refused; removing an annotation removes its narration.
fn stories_are_revised_checked_searched_and_undone(backend: Backend) {
    use disan_catalog::audio::AudioTarget;
    use disan_catalog::{Annotation, Story, StoryView};
    let dir = on(backend);
    let mut cat = collection(dir.path());
    let model = "c000000000000004";
    let view = StoryView {
        yaw: 20.0,
        pitch: 10.0,
        fov: 30.0,
        target: [0.1, 0.2, 0.3],
        distance: 1.5,
    };
    let mut a1 = Annotation {
        id: "a1".into(),
        position: [0.1, 0.2, 0.3],
        normal: [0.0, 0.0, 1.0],
        view,
        title: Default::default(),
        text: Default::default(),
    };
    a1.title.set("vi", "Văn bia tiến sĩ");
    a1.title.set("en", "Doctors' stele");
    a1.text.set("vi", "Khắc năm Hồng Đức thứ 15 (1484).");
    let mut story = Story {
        annotations: vec![a1.clone()],
    };
    let rev = cat
        .set_story(model, &Story::default(), &story, "curator")
        .unwrap()
        .unwrap();
    assert_eq!((rev.entity.as_str(), rev.field.as_str()), ("asset", "story"));
    assert_eq!(cat.story(model).unwrap(), story);
    assert_eq!(ids(&cat.search("hong duc", &Filter::default(), 5).unwrap()), [model]);

    // Refusals, each with its reason, and nothing saved.
    let bad = |edit: &dyn Fn(&mut Annotation)| {
        let mut a = a1.clone();
        a.id = "a2".into();
        edit(&mut a);
        let mut s = story.clone();
        s.annotations.push(a);
        s
    };
    type Edit<'a> = &'a dyn Fn(&mut Annotation);
    let cases: [(Edit, &str); 6] = [
        (&|a| a.id = "a1".into(), "used twice"),
        (&|a| a.id = "bad id".into(), "an id is"),
        (&|a| a.title.set("fr", "Stèle"), "does not use language \"fr\""),
        (&|a| a.normal = [0.0, 2.0, 0.0], "not a unit vector"),
        (&|a| a.view.fov = 5.0, "field of view"),
        (&|a| a.position[1] = f64::NAN, "finite"),
    ];
    for (edit, why) in cases {
        match cat.set_story(model, &story, &bad(edit), "curator") {
            Err(CatalogError::Rejected(p)) => assert!(p.iter().any(|p| p.contains(why)), "{why}: {p:?}"),
            other => panic!("{why}: {other:?}"),
        }
    }
    assert!(matches!(
        cat.set_story("a000000000000001", &Story::default(), &story, "curator"),
        Err(CatalogError::Invalid(m)) if m.contains("only models")
    ));
    // An edit that started from an older story is refused.
    assert!(matches!(
        cat.set_story(model, &Story::default(), &story, "curator"),
        Err(CatalogError::Rejected(m)) if m[0].contains("changed while")
    ));
    assert_eq!(cat.story(model).unwrap(), story);

    // A second annotation with narration; removing it removes the narration too.
    let mut a2 = a1.clone();
    a2.id = story.next_id();
    assert_eq!(a2.id, "a2");
    a2.title = Default::default();
    a2.title.set("zh-Hans", "龟趺");
    a2.text = Default::default();
    let before = story.clone();
    story.annotations.push(a2);
    cat.set_story(model, &before, &story, "curator").unwrap();
    let target = cat.audio_target(&format!("{}#a2", &model[..6])).unwrap();
    assert_eq!(target.label(), format!("{model}#a2"));
    assert!(cat.audio_target(&format!("{model}#a9")).is_err());
    assert_eq!(
        cat.narration_text(&target, "zh-Hans").unwrap().as_deref(),
        Some("龟趺.")
    );
    let record = narration_record("assets/x/audio/annotation-a2-zh-Hans.mp3", Some("espeak-ng cmn"));
    cat.set_audio(&target, "zh-Hans", Some(&record), "curator").unwrap();
    assert_eq!(cat.audio_list().unwrap().len(), 1);
    assert!(
        matches!(&cat.audio_list().unwrap()[0].target, AudioTarget::Annotation { annotation, .. } if annotation == "a2")
    );
    let with_two = story.clone();
    story.annotations.truncate(1);
    let removed = cat.set_story(model, &with_two, &story, "curator").unwrap().unwrap();
    assert!(
        cat.audio_list().unwrap().is_empty(),
        "the removed annotation's narration went with it"
    );

    // Undo brings the second annotation back; history lists every story revision.
    cat.undo(&[removed.id], "curator", false).unwrap();
    assert_eq!(cat.story(model).unwrap(), with_two);
    let story_revs = cat
        .history(Entity::Asset, model)
        .unwrap()
        .into_iter()
        .filter(|r| r.field == "story")
        .count();
    assert_eq!(story_revs, 4);
    // An empty story removes the row.
    cat.set_story(model, &with_two, &Story::default(), "curator").unwrap();
    assert!(cat.stories().unwrap().is_empty());
}

/// A stored narration of one second at the target loudness: a draft when `voice` names the synthesiser.
fn narration_record(file: &str, voice: Option<&str>) -> disan_catalog::audio::AudioRecord {
    disan_catalog::audio::AudioRecord {
        file: file.into(),
        original: None,
        seconds: 1.0,
        lufs: -16.0,
        peak_dbtp: -2.0,
        source_lufs: None,
        source_codec: None,
        draft: voice.is_some(),
        voice: voice.map(str::to_owned),
    }
}
