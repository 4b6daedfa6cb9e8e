//! The viewer on lavapipe (or any wgpu adapter): snapshots of the home grid, search, map and asset views
//! compared with `tests/snapshots/*.png` (`UPDATE_SNAPSHOTS=1` rewrites them), and behaviour checks.

use std::collections::BTreeMap;
use std::path::Path;

use disan_catalog::{Catalog, Entity, WriteLock, fields};
use disan_core::{
    AssetKind, AssetManifest, CaptureMetadata, Derivative, GeoPoint, IiifTiles, ModelSummary, PanoTiles, SourceInfo,
};
use disan_tiles::iiif::IiifLayout;
use disan_tiles::{CubeLayout, EquiSource, Face};
use disan_viewer::{Collection, HomeView, Lang, Options, ViewerApp, fonts};
use egui_kittest::kittest::Queryable;
use egui_kittest::{Harness, SnapshotOptions};

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/samples");

struct Asset {
    id: &'static str,
    kind: AssetKind,
    source: &'static str,
    site: &'static str,
    gps: (f64, f64),
    meta: &'static [&'static str],
}

const ASSETS: &[Asset] = &[
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

const SITES: &[(&str, &[&str])] = &[
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

/// A collection made through the catalogue API, with thumbnails and display images cut from the samples.
fn fixture(dir: &Path) {
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
        let img = image::open(Path::new(SAMPLES).join(a.source)).unwrap();
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
fn write_iiif(img: &image::DynamicImage, dir: &Path) -> IiifTiles {
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
fn write_cube(equi: &image::RgbImage, dir: &Path) -> PanoTiles {
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
fn harness(dir: &Path, options: Options) -> Harness<'static, ViewerApp> {
    let collection = Collection::open(dir, options.kiosk).unwrap();
    let mut harness = Harness::builder()
        .with_size([1100.0, 700.0])
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
fn settle(harness: &mut Harness<'_, ViewerApp>) {
    for _ in 0..500 {
        harness.step();
        if harness.state().textures.pending() == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    harness.run_steps(3);
}

/// Snapshot comparison with one tolerance for every view: a pixel may differ by the default YIQ distance,
/// and a few dozen may differ more (text anti-aliasing between Mesa versions).
fn snapshot(harness: &mut Harness<'_, ViewerApp>, name: &str) {
    harness.snapshot_options(name, &SnapshotOptions::new().threshold(0.6).max_failed_pixels(40));
}

fn english() -> Options {
    Options {
        lang: Lang::En,
        ..Options::default()
    }
}

#[test]
fn home_grid_in_vietnamese() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let mut h = harness(dir.path(), Options::default());
    assert_eq!(h.state().results.len(), ASSETS.len());
    // Titles show in the interface language, with diacritics.
    h.get_by_label("Bản đồ");
    snapshot(&mut h, "home_grid_vi");
}

#[test]
fn search_is_diacritic_blind_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let mut h = harness(dir.path(), english());
    h.state_mut().query = "ha long".into();
    settle(&mut h);
    let mut ids: Vec<&str> = h
        .state()
        .results
        .iter()
        .map(|&i| h.state().collection.items[i].id.as_str())
        .collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        ["a000000000000001", "a000000000000002"],
        "both have Hạ Long in their titles"
    );
    snapshot(&mut h, "search_ha_long_en");
    h.state_mut().query = "dien bien".into();
    settle(&mut h);
    assert_eq!(h.state().results.len(), 1);
    h.state_mut().query.clear();
    h.state_mut().kind = Some(AssetKind::Panorama);
    settle(&mut h);
    assert_eq!(h.state().results.len(), 1);
    h.state_mut().kind = None;
    h.state_mut().rank = Some("special_national".into());
    settle(&mut h);
    assert_eq!(
        h.state().results.len(),
        3,
        "Điện Biên Phủ and Yên Tử (two assets) are special national relics"
    );
}

#[test]
fn map_places_sites_and_a_click_filters() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let mut h = harness(
        dir.path(),
        Options {
            lang: Lang::ZhHans,
            ..Options::default()
        },
    );
    h.state_mut().view = HomeView::Map;
    settle(&mut h);
    snapshot(&mut h, "map_zh");
    // Hạ Long lies east of Điện Biên Phủ on the map.
    let rect = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(800.0, 600.0));
    let placed = disan_viewer::map::layout(&h.state().collection, rect);
    let x_of = |id: &str| {
        placed
            .iter()
            .find(|(i, _)| h.state().collection.sites[*i].id == id)
            .unwrap()
            .1
            .x
    };
    assert!(x_of("ha-long") > x_of("yen-tu") && x_of("yen-tu") > x_of("dien-bien"));
    h.get_by_label("地图");
}

#[test]
fn asset_view_shows_info_with_language_fallback() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let mut h = harness(dir.path(), english());
    let index = h
        .state()
        .collection
        .items
        .iter()
        .position(|i| i.id == "b000000000000003")
        .unwrap();
    h.state_mut().selected = Some(index);
    settle(&mut h);
    h.get_by_label("Hill A1, Dien Bien Phu");
    h.get_by_label("Di tích lịch sử quốc gia đặc biệt.");
    h.get_by_label("Not yet translated; shown in Tiếng Việt.");
    h.get_by_label("Dien Bien Phu battlefield");
    snapshot(&mut h, "asset_info_en");
    // Switching language at any time: the same view in Vietnamese has no fallback note.
    h.get_by_label("Tiếng Việt").click();
    settle(&mut h);
    assert_eq!(h.state().lang, Lang::Vi);
    h.get_by_label("Đồi A1, Điện Biên Phủ");
    assert!(
        h.query_by_label("Chưa có bản dịch; hiển thị bằng Tiếng Việt.")
            .is_none()
    );
}

#[test]
fn kiosk_shows_published_only_and_returns_to_the_attract_loop() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let mut h = harness(
        dir.path(),
        Options {
            kiosk: true,
            ..Options::default()
        },
    );
    assert_eq!(h.state().collection.items.len(), 1, "only the published asset");
    assert_eq!(h.state().collection.sites.len(), 1, "only sites with published assets");
    h.state_mut().query = "dien bien".into();
    h.run_steps(2);
    assert!(h.state().results.is_empty(), "search never reaches unpublished assets");
    h.state_mut().selected = Some(0);
    // No input for longer than the idle time (each step is a quarter of a second).
    h.state_mut().options.idle_secs = 2.0;
    h.run_steps(12);
    assert!(h.state().attract_since.is_some());
    assert!(h.state().selected.is_none() && h.state().query.is_empty());
}

#[test]
fn photo_view_zooms_into_iiif_tiles() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let mut h = harness(dir.path(), english());
    let index = h
        .state()
        .collection
        .items
        .iter()
        .position(|i| i.id == ASSETS[0].id)
        .unwrap();
    h.state_mut().selected = Some(index);
    settle(&mut h);
    let (_, zoom) = h
        .state()
        .deep_zoom
        .as_ref()
        .expect("a photo with tiles opens in deep zoom");
    assert_eq!(zoom.layout.scale_factors, [1, 2, 4, 8, 16]);
    // Fitted: the whole image shows, from a coarse level.
    assert!(zoom.zoom < 1.0);
    assert!(zoom.scale_for(zoom.zoom) > 1);
    snapshot(&mut h, "photo_fitted_en");
    // Zoom in on the upper left, as a double-click there would: the finest level, only the tiles in view.
    let (_, zoom) = h.state_mut().deep_zoom.as_mut().unwrap();
    zoom.center = egui::vec2(900.0, 700.0);
    zoom.zoom_by(8.0, egui::Vec2::ZERO, egui::vec2(700.0, 600.0));
    settle(&mut h);
    let (_, zoom) = h.state().deep_zoom.as_ref().unwrap();
    assert_eq!(zoom.scale_for(zoom.zoom), 1);
    snapshot(&mut h, "photo_zoomed_en");
}

/// Mean absolute difference per channel of two equally sized RGB images.
fn mean_diff(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    let sum: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    sum as f64 / a.as_raw().len() as f64
}

#[test]
fn panorama_view_matches_the_rectilinear_view_of_the_source() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let mut h = harness(dir.path(), english());
    let index = h
        .state()
        .collection
        .items
        .iter()
        .position(|i| i.id == ASSETS[1].id)
        .unwrap();
    h.state_mut().selected = Some(index);
    settle(&mut h);
    let (yaw, pitch, hfov) = (30.0, 10.0, 75.0);
    {
        let (_, pano) = h
            .state_mut()
            .pano
            .as_mut()
            .expect("a panorama with tiles opens in the panorama view");
        pano.camera = disan_viewer::pano::Camera { yaw, pitch, hfov };
    }
    settle(&mut h);
    snapshot(&mut h, "panorama_en");
    let rect = h.state().pano.as_ref().unwrap().1.last_rect;
    let shot = h.render().unwrap();
    let (x, y, w, hgt) = (
        rect.min.x as u32,
        rect.min.y as u32,
        rect.width() as u32,
        rect.height() as u32,
    );
    let ours = image::DynamicImage::ImageRgba8(image::imageops::crop_imm(&shot, x, y, w, hgt).to_image()).to_rgb8();
    let equi = image::open(Path::new(SAMPLES).join(ASSETS[1].source))
        .unwrap()
        .to_rgb8();
    let src = EquiSource::new(&equi, None);
    let expected = disan_tiles::render_view(&src, yaw, pitch, hfov, w, hgt);
    let turned = disan_tiles::render_view(&src, yaw + 15.0, pitch, hfov, w, hgt);
    let (same, control) = (mean_diff(&ours, &expected), mean_diff(&ours, &turned));
    assert!(
        same < 6.0,
        "the view differs from the source's rectilinear view by {same:.2}"
    );
    assert!(
        control > 3.0 * same,
        "a view turned 15° is not told apart: {control:.2} vs {same:.2}"
    );
}

#[test]
fn model_view_orbits_and_shows_its_size() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let mut h = harness(dir.path(), english());
    let index = h
        .state()
        .collection
        .items
        .iter()
        .position(|i| i.kind == AssetKind::Model)
        .unwrap();
    h.state_mut().selected = Some(index);
    settle_model(&mut h);
    h.get_by_label("46356 triangles · 3.8 MB");
    snapshot(&mut h, "model_en");
    // Orbiting renders again from the new side.
    {
        let (_, model) = h.state_mut().model.as_mut().unwrap();
        assert_eq!(model.lod, 0);
        model.yaw += 90.0;
    }
    settle_model(&mut h);
    snapshot(&mut h, "model_turned_en");
}

/// Steps until the model is loaded and rendered.
fn settle_model(h: &mut Harness<'_, ViewerApp>) {
    for _ in 0..2000 {
        h.step();
        if h.state().model.as_ref().is_some_and(|(_, m)| !m.busy()) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    h.run_steps(3);
    assert!(h.state().model.as_ref().unwrap().1.error.is_none());
}
