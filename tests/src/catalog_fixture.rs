//! A small catalogue for tests of the catalogue and of what reads it (exports, the website): four assets
//! with GPS at Hạ Long and Điện Biên Phủ, and the metadata that publication needs.

use std::collections::BTreeMap;
use std::path::Path;

use disan_catalog::{Catalog, CatalogError, Change, Entity, WriteLock, fields};
use disan_core::{AssetKind, AssetManifest, CaptureMetadata, Derivative, GeoPoint, SourceInfo};

pub const HA_LONG: (f64, f64) = (20.9101, 107.1839);
pub const DIEN_BIEN: (f64, f64) = (21.3856, 103.0169);

pub fn manifest(id: &str, kind: AssetKind, name: &str, gps: Option<(f64, f64)>) -> AssetManifest {
    let mut derivatives = BTreeMap::new();
    derivatives.insert(
        "thumb".to_owned(),
        Derivative {
            path: "thumb.jpg".into(),
            width: Some(512),
            height: Some(384),
            bytes: 1000,
        },
    );
    derivatives.insert(
        "display".to_owned(),
        Derivative {
            path: "display.jpg".into(),
            width: Some(2048),
            height: Some(1536),
            bytes: 9000,
        },
    );
    AssetManifest {
        id: id.parse().unwrap(),
        kind,
        source: SourceInfo {
            file_name: name.into(),
            bytes: 10,
            blake3: "00".into(),
            format: "jpeg".into(),
        },
        width: Some(4000),
        height: Some(3000),
        icc_profile: None,
        metadata: CaptureMetadata {
            taken_at: Some("2024-05-17T08:30:00".into()),
            gps: gps.map(|(lat, lon)| GeoPoint { lat, lon, alt: None }),
            ..Default::default()
        },
        derivatives,
        model: None,
        pano_tiles: None,
        iiif: None,
        settings_version: 1,
    }
}

/// A catalogue with four assets: two at Hạ Long (300 m apart), one at Điện Biên Phủ, one without GPS.
pub fn collection(dir: &Path) -> Catalog {
    let lock = WriteLock::acquire(dir).unwrap();
    let mut cat = Catalog::open_or_create(dir, &lock).unwrap();
    let assets = [
        ("a000000000000001", AssetKind::Photo, "bay1.jpg", Some(HA_LONG)),
        (
            "a000000000000002",
            AssetKind::Panorama,
            "bay-pano.jpg",
            Some((HA_LONG.0 + 0.0027, HA_LONG.1)),
        ),
        ("b000000000000003", AssetKind::Photo, "a1-hill.jpg", Some(DIEN_BIEN)),
        ("c000000000000004", AssetKind::Model, "stele.glb", None),
    ];
    for (id, kind, name, gps) in assets {
        cat.commit_asset(&manifest(id, kind, name, gps), &format!("/captures/{name}"), 1)
            .unwrap();
    }
    drop(cat);
    drop(lock);
    Catalog::open_for_edit(dir).unwrap()
}

pub fn set(cat: &mut Catalog, id: &str, assignments: &[&str]) -> Result<Vec<disan_catalog::Revision>, CatalogError> {
    let changes: Vec<Change> = assignments
        .iter()
        .map(|a| fields::parse_assignment(Entity::Asset, a).unwrap())
        .collect();
    cat.set_meta(&[id.to_owned()], &changes, "tester")
}

pub fn make_publishable(cat: &mut Catalog, id: &str, site: &str) {
    set(
        cat,
        id,
        &[
            "title.vi=Vịnh Hạ Long",
            "title.en=Ha Long Bay",
            "title.zh-Hans=下龙湾",
            "description.vi=Di sản thiên nhiên thế giới",
            "creator=Trung tâm Truyền thông",
            "rights=https://creativecommons.org/licenses/by-sa/4.0/",
        ],
    )
    .unwrap();
    cat.assign_site(Some(site), &[id.to_owned()], "tester").unwrap();
}
