//! The test collection: real samples cut into the files ingest writes, through the catalogue API; and the
//! one way tests and benchmarks build the viewer.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

use disan_catalog::{Catalog, Entity, WriteLock, fields};
use disan_core::{
    AssetKind, AssetManifest, CaptureMetadata, Derivative, GeoPoint, IiifTiles, ModelSummary, PanoTiles, SourceInfo,
};
use disan_tiles::iiif::IiifLayout;
use disan_tiles::{CubeLayout, EquiSource, Face};
use disan_viewer::{Collection, Options, ViewerApp, fonts};
use egui_kittest::Harness;

pub const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/samples");

pub struct Asset {
    pub id: &'static str,
    pub kind: AssetKind,
    pub source: &'static str,
    pub site: &'static str,
    pub gps: (f64, f64),
    pub meta: &'static [&'static str],
}

pub const ASSETS: &[Asset] = &[
    Asset {
        id: "a000000000000001",
        kind: AssetKind::Photo,
        source: "photos/iphone_hdr_YES.jpg",
        site: "ha-long",
        gps: (20.9101, 107.1839),
        meta: &[
            "title.vi=Vịnh Hạ Long lúc bình minh",
            "title.en=Ha Long Bay at dawn",
            "title.zh-Hans=下龙湾的黎明",
            "description.vi=Những đảo đá vôi nhô lên giữa làn nước xanh.",
            "description.en=Limestone islands rising from green water.",
            "creator=Trung tâm Truyền thông và Du lịch",
            "rights=http://creativecommons.org/licenses/by/4.0/",
        ],
    },
    Asset {
        id: "a000000000000002",
        kind: AssetKind::Panorama,
        source: "panoramas/aframe-louvre-gpano.jpg",
        site: "ha-long",
        gps: (20.9120, 107.1850),
        meta: &[
            "title.vi=Toàn cảnh bến thuyền Hạ Long",
            "title.en=Ha Long boat pier, 360°",
        ],
    },
    Asset {
        id: "b000000000000003",
        kind: AssetKind::Photo,
        source: "photos/DSCN0025.jpg",
        site: "dien-bien",
        gps: (21.3856, 103.0169),
        // No English description: the info panel falls back to Vietnamese and says so.
        meta: &[
            "title.vi=Đồi A1, Điện Biên Phủ",
            "title.en=Hill A1, Dien Bien Phu",
            "title.zh-Hans=奠边府A1高地",
            "description.vi=Di tích lịch sử quốc gia đặc biệt.",
        ],
    },
    Asset {
        id: "c000000000000004",
        kind: AssetKind::Photo,
        source: "photos/jolla.jpg",
        site: "yen-tu",
        gps: (21.1560, 106.7190),
        meta: &["title.vi=Chùa Đồng, Yên Tử", "title.zh-Hans=安子山铜寺"],
    },
    Asset {
        id: "d000000000000005",
        kind: AssetKind::Model,
        source: "models/DamagedHelmet.glb",
        site: "yen-tu",
        gps: (21.1565, 106.7195),
        meta: &["title.vi=Mũ trụ đồng", "title.en=Bronze helmet", "title.zh-Hans=铜盔"],
    },
];

pub const SITES: &[(&str, &[&str])] = &[
    (
        "ha-long",
        &[
            "name.vi=Vịnh Hạ Long",
            "name.en=Ha Long Bay",
            "name.zh-Hans=下龙湾",
            "province=quang-ninh",
            "rank=unesco",
            "lat=20.91",
            "lon=107.18",
        ],
    ),
    (
        "dien-bien",
        &[
            "name.vi=Di tích Điện Biên Phủ",
            "name.en=Dien Bien Phu battlefield",
            "name.zh-Hans=奠边府遗址",
            "province=dien-bien",
            "rank=special_national",
            "lat=21.386",
            "lon=103.017",
        ],
    ),
    (
        "yen-tu",
        &[
            "name.vi=Yên Tử",
            "name.en=Yen Tu",
            "name.zh-Hans=安子山",
            "province=quang-ninh",
            "rank=special_national",
            "lat=21.156",
            "lon=106.719",
        ],
    ),
];

/// A temporary folder holding the fixture collection.
pub fn fixture_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    dir
}

/// A collection made through the catalogue API, with thumbnails and display images cut from the samples.
pub fn fixture(dir: &Path) {
    let lock = WriteLock::acquire(dir).unwrap();
    let mut cat = Catalog::open_or_create(dir, &lock).unwrap();
    let mut items = Vec::new();
    for a in ASSETS {
        let folder = dir.join("assets").join(a.id);
        std::fs::create_dir_all(&folder).unwrap();
        let mut derivatives = BTreeMap::new();
        if a.kind == AssetKind::Model {
            std::fs::create_dir_all(folder.join("model")).unwrap();
            std::fs::copy(Path::new(SAMPLES).join(a.source), folder.join("model/model.glb")).unwrap();
            let m = AssetManifest {
                id: a.id.parse().unwrap(),
                kind: a.kind,
                source: SourceInfo {
                    file_name: "DamagedHelmet.glb".into(),
                    bytes: 0,
                    blake3: a.id.into(),
                    format: "glb".into(),
                },
                width: None,
                height: None,
                icc_profile: None,
                metadata: CaptureMetadata::default(),
                derivatives,
                model: Some(ModelSummary {
                    triangles: 46_356,
                    ..Default::default()
                }),
                pano_tiles: None,
                iiif: None,
                settings_version: 1,
            };
            items.push((m, format!("/captures/{}", a.source)));
            continue;
        }
        let img = disan_tests::open_image(Path::new(SAMPLES).join(a.source)).unwrap();
        for (name, side) in [("thumb", 256), ("display", 1024)] {
            let small = img.thumbnail(side, side).to_rgb8();
            let path = format!("{name}.jpg");
            small.save(folder.join(&path)).unwrap();
            derivatives.insert(
                name.to_owned(),
                Derivative {
                    path,
                    width: Some(small.width()),
                    height: Some(small.height()),
                    bytes: 0,
                },
            );
        }
        let iiif = (a.id == ASSETS[0].id).then(|| write_iiif(&img, &folder.join("iiif")));
        let pano_tiles = (a.kind == AssetKind::Panorama).then(|| write_cube(&img.to_rgb8(), &folder.join("pano")));
        let m = AssetManifest {
            id: a.id.parse().unwrap(),
            kind: a.kind,
            source: SourceInfo {
                file_name: a.source.rsplit('/').next().unwrap().into(),
                bytes: 0,
                blake3: a.id.into(),
                format: "jpeg".into(),
            },
            width: Some(img.width()),
            height: Some(img.height()),
            icc_profile: None,
            metadata: CaptureMetadata {
                taken_at: Some("2025-03-14T07:30:00".into()),
                gps: Some(GeoPoint {
                    lat: a.gps.0,
                    lon: a.gps.1,
                    alt: None,
                }),
                ..Default::default()
            },
            derivatives,
            model: None,
            pano_tiles,
            iiif,
            settings_version: 1,
        };
        items.push((m, format!("/captures/{}", a.source)));
    }
    cat.commit_assets(&items).unwrap();
    for (id, changes) in SITES {
        let changes: Vec<_> = changes
            .iter()
            .map(|c| fields::parse_assignment(Entity::Site, c).unwrap())
            .collect();
        cat.create_site(Some(id), &changes, "test").unwrap();
    }
    for a in ASSETS {
        cat.assign_site(Some(a.site), &[a.id.into()], "test").unwrap();
        let changes: Vec<_> = a
            .meta
            .iter()
            .map(|c| fields::parse_assignment(Entity::Asset, c).unwrap())
            .collect();
        cat.set_meta(&[a.id.into()], &changes, "test").unwrap();
    }
    // Only the first is published: kiosk mode shows it alone.
    let id = ASSETS[0].id.to_owned();
    cat.set_state(std::slice::from_ref(&id), "in_review", "test").unwrap();
    cat.set_state(std::slice::from_ref(&id), "published", "test").unwrap();
}

/// A IIIF level-0 pyramid of `img` in 256 px tiles, laid out as ingest writes it.
pub fn write_iiif(img: &image::DynamicImage, dir: &Path) -> IiifTiles {
    let layout = IiifLayout::new(img.width(), img.height(), 256, 512);
    let save = |rel: String, im: image::DynamicImage| {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        im.to_rgb8().save(path).unwrap();
    };
    for &scale in &layout.scale_factors {
        for tile in layout.tiles(scale) {
            let (x, y, w, h) = tile.region;
            let part =
                img.crop_imm(x, y, w, h)
                    .resize_exact(tile.size.0, tile.size.1, image::imageops::FilterType::Triangle);
            save(layout.tile_path(&tile), part);
        }
    }
    for &size in &layout.sizes {
        save(
            layout.full_path(size),
            img.resize_exact(size.0, size.1, image::imageops::FilterType::Triangle),
        );
    }
    IiifTiles {
        info: "iiif/info.json".into(),
        tile_size: layout.tile_size,
        scale_factors: layout.scale_factors.clone(),
        sizes: layout.sizes.iter().map(|&(w, h)| [w, h]).collect(),
        tiles: layout.tile_count(),
    }
}

/// A Pannellum multires cube pyramid of a full equirectangular panorama, laid out as ingest writes it.
pub fn write_cube(equi: &image::RgbImage, dir: &Path) -> PanoTiles {
    let layout = CubeLayout::for_equirect_width(equi.width(), 512);
    let src = EquiSource::new(equi, None);
    for level in 1..=layout.max_level {
        let size = layout.level_size(level);
        for face in Face::ALL {
            let img = disan_tiles::render_face(&src, face, size);
            let n = layout.tiles_per_side(level);
            for row in 0..n {
                for col in 0..n {
                    let (x, y) = (col * layout.tile_size, row * layout.tile_size);
                    let (w, h) = (layout.tile_size.min(size - x), layout.tile_size.min(size - y));
                    let path = dir.join(CubeLayout::tile_path(level, face, row, col));
                    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                    image::imageops::crop_imm(&img, x, y, w, h)
                        .to_image()
                        .save(path)
                        .unwrap();
                }
            }
        }
    }
    PanoTiles {
        cube_resolution: layout.cube_size,
        tile_resolution: layout.tile_size,
        max_level: layout.max_level,
        tiles: layout.tile_count(),
        config: "pano/config.json".into(),
    }
}

/// The one way tests build the viewer: fonts, wgpu renderer, a fixed size, and every image decoded.
pub fn harness(dir: &Path, options: Options) -> Harness<'static, ViewerApp> {
    harness_sized(dir, options, [1100.0, 700.0])
}

/// [`harness`] at another window size.
pub fn harness_sized(dir: &Path, options: Options, size: [f32; 2]) -> Harness<'static, ViewerApp> {
    let collection = Collection::open(dir, options.kiosk).unwrap();
    let mut harness = Harness::builder()
        .with_size(size)
        .with_pixels_per_point(1.0)
        .wgpu()
        .build_eframe(move |cc| {
            fonts::install(&cc.egui_ctx);
            ViewerApp::new(collection, options)
        });
    settle(&mut harness);
    harness
}

/// Steps until no image is being decoded and the UI is still.
pub fn settle(harness: &mut Harness<'_, ViewerApp>) {
    for _ in 0..500 {
        harness.step();
        if harness.state().textures.pending() == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    harness.run_steps(3);
}

/// Opens the asset with `id` in the viewer and waits for its images.
pub fn open_asset(harness: &mut Harness<'_, ViewerApp>, id: &str) {
    open_where(harness, |i| i.id == id);
}

/// Opens the first asset of `kind` and waits for its images.
pub fn open_kind(harness: &mut Harness<'_, ViewerApp>, kind: AssetKind) {
    open_where(harness, |i| i.kind == kind);
}

fn open_where(harness: &mut Harness<'_, ViewerApp>, pick: impl Fn(&disan_viewer::collection::Item) -> bool) {
    let index = harness.state().collection.items.iter().position(pick).unwrap();
    harness.state_mut().selected = Some(index);
    settle(harness);
}
