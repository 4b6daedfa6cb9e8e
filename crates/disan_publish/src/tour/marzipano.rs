//! A tour as a Marzipano folder. A Marzipano export is the layout of Marzipano's own tool, so its app (or ours) opens it on any static
//! web server: `data.js` (`var APP_DATA = {scenes, name, settings}`: per scene `id`, `name`, `levels`,
//! `faceSize`, `initialViewParameters`, `linkHotspots`, `infoHotspots`, angles in radians),
//! `tiles/<asset>/preview.jpg` (the six faces stacked, `bdflru`), `tiles/<asset>/<z>/<face>/<row>/<col>.jpg`,
//! Marzipano 0.10.2 in `marzipano/`, and `index.html`, our page: link arrows that change scene with a
//! cross-fade and arrive at the link's view, info points that open their text.
//!
//! Each Marzipano level of a face is resampled (Lanczos3) from the coarsest Pannellum level at least as large,
//! one row of tiles at a time from the source rows it needs plus the filter's margin, so the bands join exactly
//! as a whole-face resize would; memory holds one band of source and one of output, not a face (issue 21:
//! the 16K panorama's export peaked at 320 MB with whole faces). Tiles of a band are encoded in parallel.

use std::path::Path;

use disan_catalog::{Catalog, Tour};
use disan_core::Settings;
use disan_imaging::{DecodeLimits, crop_rgb, decode_rgb8, encode_jpeg, resize_rgb, resize_rgb_region};
use disan_tiles::marzipano::{self, MarzipanoLayout, PREVIEW_FACE_ORDER, PREVIEW_SIZE, TILE_SIZE};
use disan_tiles::{CubeLayout, Face};
use image::RgbImage;
use rayon::prelude::*;
use serde_json::{Value, json};

use super::{ScenePyramid, pick as pick_text, scene_pyramid, scene_title};
use crate::{PublishError, Result, html_escape, web};

/// Aspect ratio assumed for `initialViewParameters.fov` (vertical), which Marzipano's own app reads; our
/// `index.html` converts the horizontal field of view for the real window instead.
const ASSUMED_ASPECT: f64 = 16.0 / 9.0;

/// Fills `dir` with the Marzipano export of `tour`. Returns the files written.
pub(super) fn fill(
    catalog: &Catalog,
    tour: &Tour,
    dir: &Path,
    lang: &str,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<u64> {
    let settings = Settings::default();
    let total = 6 * tour.scenes.len() as u64;
    let mut files = 0;
    let mut scenes = Vec::new();
    for (i, s) in tour.scenes.iter().enumerate() {
        let pyramid = scene_pyramid(catalog, &s.asset)?;
        let scene_dir = dir.join("tiles").join(&s.asset);
        let (layout, written) = scene_tiles(&s.asset, &pyramid, &settings, &mut |j, tiles| {
            for (rel, jpeg) in tiles {
                put(&scene_dir.join(rel), &jpeg)?;
            }
            progress(6 * i as u64 + j, total);
            Ok(())
        })?;
        files += written;
        scenes.push(scene_json(tour, s, &layout, lang, &|a| {
            scene_title(catalog, tour, a, lang)
        }));
    }
    let name = pick_text(&tour.title, lang).unwrap_or_else(|| tour.id.clone());
    let js = data_js(
        scenes,
        &name,
        "// Written by `disan tour export --format marzipano`: the tour as Marzipano's own tool lays it out.\n",
    );
    put(&dir.join("data.js"), js.as_bytes())?;
    for (rel, bytes) in web::MARZIPANO {
        put(&dir.join(rel), bytes)?;
    }
    // The narrated tour player, as in the Pannellum export.
    let (controls, copied) = super::guide::export_player(catalog, tour, dir, lang)?;
    let title = pick_text(&tour.title, lang).unwrap_or_else(|| tour.id.clone());
    put(
        &dir.join("index.html"),
        index_html(&title, lang, "marzipano/marzipano.js", None, &controls).as_bytes(),
    )?;
    Ok(files + copied + 4)
}

fn put(path: &Path, bytes: &[u8]) -> Result<()> {
    Ok(disan_fs::write_new(path, bytes, false)?)
}

fn encode_error(path: &Path) -> impl Fn(disan_imaging::ImagingError) -> PublishError + '_ {
    move |e| PublishError::Encode {
        what: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// The Pannellum pyramid a manifest's config describes, checked against Disan's level arithmetic.
fn pannellum_layout(asset: &str, pyramid: &ScenePyramid) -> Result<CubeLayout> {
    let bad = |reason: String| PublishError::BadPyramid {
        asset: asset.to_owned(),
        reason,
    };
    let m = &pyramid.config["multiRes"];
    let number = |key: &str| {
        m[key]
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| bad(format!("tile config has no multiRes.{key}")))
    };
    let (cube, tile, max_level) = (
        number("cubeResolution")?,
        number("tileResolution")?,
        number("maxLevel")?,
    );
    let layout = CubeLayout::new(cube, tile);
    let plausible = (16..=8192).contains(&tile) && (8..=1 << 17).contains(&cube) && layout.max_level == max_level;
    if !plausible {
        return Err(bad(format!(
            "tile config (cube {cube}, tile {tile}, {max_level} levels) is not one Disan writes"
        )));
    }
    Ok(layout)
}

/// `data.js`: `var APP_DATA = {scenes, name, settings}`, after a first comment line `header`.
pub(crate) fn data_js(scenes: Vec<Value>, name: &str, header: &str) -> String {
    let data = json!({
        "scenes": scenes,
        "name": name,
        "settings": {
            "mouseViewMode": "drag",
            "autorotateEnabled": false,
            "fullscreenButton": true,
            "viewControlButtons": false,
        },
    });
    let mut js = String::from(header);
    js.push_str(
        "// Angles are radians; pitch grows downward. `disanView` and `targetView` carry the horizontal field\n\
         // of view, which index.html converts for the window.\n",
    );
    js.push_str("var APP_DATA = ");
    js.push_str(&serde_json::to_string_pretty(&data).expect("data serialises"));
    js.push_str(";\n");
    js
}

/// A tile: its path under the scene's folder, and the JPEG.
pub(crate) type Tile = (String, Vec<u8>);

/// The Marzipano layout of a panorama's Pannellum pyramid.
pub(crate) fn layout_of(asset: &str, pyramid: &ScenePyramid) -> Result<MarzipanoLayout> {
    Ok(MarzipanoLayout::for_cube_size(
        pannellum_layout(asset, pyramid)?.cube_size,
    ))
}

/// Makes the Marzipano tiles of one panorama from its Pannellum pyramid, a face at a time: `sink` hears
/// (faces done, the face's tiles as (path under the scene's folder, JPEG))), and last (6, `preview.jpg`).
/// Returns the layout and the number of files.
pub(crate) fn scene_tiles(
    asset: &str,
    pyramid: &ScenePyramid,
    settings: &Settings,
    sink: &mut dyn FnMut(u64, Vec<Tile>) -> Result<()>,
) -> Result<(MarzipanoLayout, u64)> {
    let source = pannellum_layout(asset, pyramid)?;
    let layout = MarzipanoLayout::for_cube_size(source.cube_size);
    let mut preview = RgbImage::new(PREVIEW_SIZE, 6 * PREVIEW_SIZE);
    for (j, face) in Face::ALL.into_iter().enumerate() {
        let (tiles, small) = face_tiles(&pyramid.dir, &source, &layout, face, settings)?;
        let slot = PREVIEW_FACE_ORDER.iter().position(|&f| f == face).expect("all faces") as i64;
        image::imageops::replace(&mut preview, &small, 0, slot * i64::from(PREVIEW_SIZE));
        sink(j as u64 + 1, tiles)?;
    }
    let jpeg = encode_jpeg(&preview, settings.jpeg_quality).map_err(encode_error(Path::new("preview.jpg")))?;
    sink(6, vec![("preview.jpg".to_owned(), jpeg)])?;
    let files = layout.tile_count() + 1;
    Ok((layout, files))
}

/// Every level of one face as (path, JPEG), and the face at the preview size. Each level is resampled from
/// the coarsest Pannellum level at least as large, one row of tiles at a time from only the source rows it
/// needs (with the filter's margin, so bands join exactly): memory holds a band, not a face.
fn face_tiles(
    pyramid: &Path,
    source: &CubeLayout,
    layout: &MarzipanoLayout,
    face: Face,
    settings: &Settings,
) -> Result<(Vec<Tile>, RgbImage)> {
    let level_for = |size: u32| {
        (1..=source.max_level)
            .find(|&l| source.level_size(l) >= size)
            .unwrap_or(source.max_level)
    };
    let mut out = Vec::new();
    for z in (1..=layout.sizes.len()).rev() {
        let size = layout.sizes[z - 1];
        let level = level_for(size);
        let src_size = source.level_size(level);
        let scale = f64::from(src_size) / f64::from(size);
        // Lanczos3 reaches 3 source pixels (3 output pixels' worth when shrinking) each side.
        let margin = (3.0 * scale.max(1.0)).ceil() as u32 + 2;
        for row in 0..layout.tiles_per_side(z) {
            let top = f64::from(row * TILE_SIZE) * scale;
            let height = f64::from(TILE_SIZE) * scale;
            let y0 = (top.floor() as u32).saturating_sub(margin);
            let y1 = ((top + height).ceil() as u32 + margin).min(src_size);
            let band = stitch_rows(pyramid, source, level, face, y0, y1)?;
            let img = resize_rgb_region(
                &band,
                (0.0, top - f64::from(y0), f64::from(src_size), height),
                size,
                TILE_SIZE,
            );
            let encoded = (0..layout.tiles_per_side(z))
                .into_par_iter()
                .map(|col| {
                    let tile = crop_rgb(&img, col * TILE_SIZE, 0, TILE_SIZE, TILE_SIZE);
                    let rel = MarzipanoLayout::tile_path(z, face, row, col);
                    let jpeg = encode_jpeg(&tile, settings.tile_quality).map_err(encode_error(Path::new(&rel)))?;
                    Ok((rel, jpeg))
                })
                .collect::<Result<Vec<_>>>()?;
            out.extend(encoded);
        }
    }
    let small = stitch(pyramid, source, level_for(PREVIEW_SIZE), face)?;
    Ok((out, resize_rgb(&small, PREVIEW_SIZE, PREVIEW_SIZE)))
}

/// The six faces (in [`Face::ALL`] order) of a panorama's pyramid at the coarsest level at least `min_size`
/// on a side (else the finest).
pub(crate) fn cube_faces(asset: &str, pyramid: &ScenePyramid, min_size: u32) -> Result<[RgbImage; 6]> {
    let layout = pannellum_layout(asset, pyramid)?;
    let level = (1..=layout.max_level)
        .find(|&l| layout.level_size(l) >= min_size)
        .unwrap_or(layout.max_level);
    let faces = Face::ALL
        .into_iter()
        .map(|f| stitch(&pyramid.dir, &layout, level, f))
        .collect::<Result<Vec<_>>>()?;
    Ok(faces.try_into().expect("six faces"))
}

/// One face of a Pannellum level, its tiles decoded in parallel and put together.
fn stitch(pyramid: &Path, layout: &CubeLayout, level: u32, face: Face) -> Result<RgbImage> {
    stitch_rows(pyramid, layout, level, face, 0, layout.level_size(level))
}

/// Rows `y0..y1` of one face of a Pannellum level: the tiles crossing them decoded in parallel and put
/// together.
fn stitch_rows(pyramid: &Path, layout: &CubeLayout, level: u32, face: Face, y0: u32, y1: u32) -> Result<RgbImage> {
    let size = layout.level_size(level);
    let (t, n) = (layout.tile_size, layout.tiles_per_side(level));
    let limits = DecodeLimits::from(&Settings::default());
    let rows = (y0 / t)..(y1.max(y0 + 1) - 1) / t + 1;
    let tiles: Vec<(u32, u32)> = rows.flat_map(|r| (0..n).map(move |c| (r, c))).collect();
    let decoded = tiles
        .par_iter()
        .map(|&(row, col)| {
            let path = pyramid.join(CubeLayout::tile_path(level, face, row, col));
            let bytes = std::fs::read(&path).map_err(disan_fs::FsError::io(&path))?;
            let tile = decode_rgb8(&bytes, &limits)
                .map_err(|e| {
                    // The decoder's advice is for captures; a collection's own tile is remade by ingest.
                    let reason = e.to_string();
                    let reason = reason.split("; copy it again").next().unwrap_or_default();
                    PublishError::BadFile {
                        path: path.clone(),
                        reason: format!(
                            "damaged tile ({reason}); remove the asset's folder and ingest its original again to \
                             remake it"
                        ),
                    }
                })?
                .image;
            let want = ((size - col * t).min(t), (size - row * t).min(t));
            if tile.dimensions() != want {
                return Err(PublishError::BadFile {
                    path: path.clone(),
                    reason: format!(
                        "{}×{} pixels, expected {}×{}",
                        tile.width(),
                        tile.height(),
                        want.0,
                        want.1
                    ),
                });
            }
            Ok(((row, col), tile))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut img = RgbImage::new(size, y1 - y0);
    for ((row, col), tile) in decoded {
        image::imageops::replace(&mut img, &tile, i64::from(col * t), i64::from(row * t) - i64::from(y0));
    }
    Ok(img)
}

fn view_json(yaw: f64, pitch: f64, hfov: f64) -> Value {
    let (yaw, pitch) = marzipano::angles(yaw, pitch);
    json!({"yaw": yaw, "pitch": pitch, "hfov": hfov.to_radians()})
}

/// A scene of `data.js`; `title` names a scene by its asset id.
pub(crate) fn scene_json(
    tour: &Tour,
    s: &disan_catalog::TourScene,
    layout: &MarzipanoLayout,
    lang: &str,
    title: &dyn Fn(&str) -> String,
) -> Value {
    let (yaw, pitch) = marzipano::angles(s.view.yaw, s.view.pitch);
    let links: Vec<Value> = s
        .links
        .iter()
        .map(|l| {
            let (yaw, pitch) = marzipano::angles(l.yaw, l.pitch);
            let arrive = l
                .arrive
                .or_else(|| tour.scene(&l.target).map(|t| t.view))
                .unwrap_or_default();
            json!({
                "id": l.id,
                "yaw": yaw,
                "pitch": pitch,
                "rotation": 0,
                "target": l.target,
                "title": title(&l.target),
                "targetView": view_json(arrive.yaw, arrive.pitch, arrive.hfov),
            })
        })
        .collect();
    let infos: Vec<Value> = s
        .infos
        .iter()
        .map(|i| {
            let (yaw, pitch) = marzipano::angles(i.yaw, i.pitch);
            let mut h = json!({
                "id": i.id,
                "yaw": yaw,
                "pitch": pitch,
                "title": pick_text(&i.title, lang).unwrap_or_default(),
                "text": pick_text(&i.text, lang).unwrap_or_default(),
            });
            if let Some(a) = &i.asset {
                h["disanAsset"] = json!(a);
            }
            h
        })
        .collect();
    json!({
        "id": s.asset,
        "name": title(&s.asset),
        "levels": layout.levels_json(),
        "faceSize": layout.face_size(),
        "initialViewParameters": {
            "yaw": yaw,
            "pitch": pitch,
            "fov": marzipano::vfov(s.view.hfov, ASSUMED_ASPECT),
        },
        "disanView": view_json(s.view.yaw, s.view.pitch, s.view.hfov),
        "linkHotspots": links,
        "infoHotspots": infos,
    })
}

/// The page that opens the tour, loading Marzipano from `lib`; `csp` is the policy to state (the website's
/// copy states one). A scene's tiles are under `tiles/<asset>/` unless its `tiles` says where.
/// `window.disanTour` is the tour, for scripts and tests: `viewer`, `scenes` (by asset id: `data`,
/// `scene`, `view`), `current()`, `go(id, view)`. `guide` is the narrated tour player's controls and steps
/// (`guide.js` beside the page drives it through a Pannellum-like adapter, `window.disanViewer`), or empty.
pub(crate) fn index_html(title: &str, lang: &str, lib: &str, csp: Option<&str>, guide: &str) -> String {
    let meta = csp
        .map(|c| {
            format!(
                "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n",
                html_escape(c)
            )
        })
        .unwrap_or_default();
    // The template's fields are filled before the guide goes in, so no text of the tour is read as one.
    let fill = |part: &str| {
        part.replace("{lang}", &html_escape(lang))
            .replace("{csp}", &meta)
            .replace("{lib}", &html_escape(lib))
            .replace(
                "{guide_script}",
                if guide.is_empty() {
                    ""
                } else {
                    "<script src=\"guide.js\"></script>\n"
                },
            )
            .replace("{title}", &html_escape(title))
    };
    let (before, after) = INDEX_HTML.split_once("{guide}").unwrap_or((INDEX_HTML, ""));
    format!("{}{guide}{}", fill(before), fill(after))
}

const INDEX_HTML: &str = r##"<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{csp}<title>{title}</title>
<link rel="icon" href="data:,">
<style>
html, body, #pano { margin: 0; width: 100%; height: 100%; overflow: hidden; background: #000; }
body { font: 15px/1.4 "Noto Sans", "Segoe UI", sans-serif; }
#title { position: absolute; top: 0; left: 0; right: 0; padding: 8px 14px; color: #fff;
  background: rgba(0, 0, 0, 0.45); pointer-events: none; }
.link-hotspot { width: 52px; height: 52px; margin: -26px 0 0 -26px; cursor: pointer; }
.link-hotspot .arrow { width: 52px; height: 52px; border-radius: 50%; background: rgba(0, 0, 0, 0.55);
  border: 2px solid #fff; box-sizing: border-box; position: relative; }
.link-hotspot .arrow::after { content: ""; position: absolute; left: 16px; top: 19px; width: 14px; height: 14px;
  border-left: 4px solid #fff; border-top: 4px solid #fff; transform: rotate(45deg); }
.link-hotspot .label, .info-hotspot .text { display: none; position: absolute; left: 50%; top: 58px;
  transform: translateX(-50%); min-width: 160px; max-width: 320px; padding: 6px 10px; color: #fff;
  background: rgba(0, 0, 0, 0.75); border-radius: 4px; }
.link-hotspot:hover .label { display: block; white-space: nowrap; }
.info-hotspot { margin: -18px 0 0 -18px; cursor: pointer; }
.info-hotspot .head { display: flex; align-items: center; gap: 8px; color: #fff; }
.info-hotspot .icon { width: 36px; height: 36px; border-radius: 50%; background: #1f6feb; color: #fff;
  font: bold 20px/36px serif; text-align: center; border: 2px solid #fff; box-sizing: border-box; }
.info-hotspot .title { background: rgba(0, 0, 0, 0.6); padding: 2px 8px; border-radius: 4px; white-space: nowrap; }
.info-hotspot.open .text { display: block; left: 18px; top: 42px; transform: none; }
.guide { position: absolute; left: 0; right: 0; bottom: 0; padding: .4rem 1rem .8rem; color: #f4f4f4;
  background: rgba(0, 0, 0, 0.78); }
.guide h2 { font-size: 1.05em; margin: .2rem 0; }
.guide-controls { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
.guide-controls button { font: inherit; min-height: 40px; padding: .3rem .9rem; border-radius: 6px;
  border: 1px solid #aaa; background: #222; color: #fff; }
.guide-controls button:focus-visible { outline: 3px solid #ffb15c; outline-offset: 2px; }
.guide-caption { min-height: 2.5em; margin: .3rem 0; }
.guide-status, .hint { color: #c8c8c8; font-size: .9em; margin: .2rem 0; }
</style>
<script src="{lib}"></script>
<script src="data.js"></script>
{guide_script}</head>
<body>
<div id="pano"></div>
<div id="title"></div>
{guide}
<script>
(function () {
  var data = window.APP_DATA;
  var element = document.getElementById("pano");
  var viewer = new Marzipano.Viewer(element, { controls: { mouseViewMode: data.settings.mouseViewMode } });
  var fov = function (hfov) {
    return Marzipano.util.convertFov.htov(hfov, element.clientWidth || 16, element.clientHeight || 9);
  };
  var scenes = {};
  data.scenes.forEach(function (s) {
    var base = s.tiles || "tiles/" + s.id + "/";
    var source = Marzipano.ImageUrlSource.fromString(base + "{z}/{f}/{y}/{x}.jpg",
      { cubeMapPreviewUrl: base + "preview.jpg" });
    var geometry = new Marzipano.CubeGeometry(s.levels);
    var limiter = Marzipano.RectilinearView.limit.traditional(s.faceSize, 100 * Math.PI / 180, 120 * Math.PI / 180);
    var view = new Marzipano.RectilinearView(s.initialViewParameters, limiter);
    var scene = viewer.createScene({ source: source, geometry: geometry, view: view, pinFirstLevel: true });
    var entry = { data: s, scene: scene, view: view, hfov: s.disanView.hfov, w: 0, h: 0 };
    // Like Pannellum, keep the horizontal field of view when the window changes shape (Marzipano keeps
    // the vertical one); the first sizing of a view is such a change.
    view.addEventListener("change", function () {
      if (view.width() === entry.w && view.height() === entry.h && entry.w > 0) {
        entry.hfov = Marzipano.util.convertFov.vtoh(view.fov(), entry.w, entry.h);
      }
    });
    view.addEventListener("resize", function () {
      entry.w = view.width();
      entry.h = view.height();
      if (entry.w > 0 && entry.h > 0) view.setFov(Marzipano.util.convertFov.htov(entry.hfov, entry.w, entry.h));
    });
    scenes[s.id] = entry;
  });
  var current = null;
  function go(id, arrive) {
    var target = scenes[id];
    var v = arrive || target.data.disanView;
    target.hfov = v.hfov;
    target.view.setParameters({ yaw: v.yaw, pitch: v.pitch, fov: fov(v.hfov) });
    target.scene.switchTo({ transitionDuration: current === null ? 0 : 800 });
    current = id;
    document.getElementById("title").textContent = target.data.name;
  }
  data.scenes.forEach(function (s) {
    var container = scenes[s.id].scene.hotspotContainer();
    s.linkHotspots.forEach(function (h) {
      if (!scenes[h.target]) return;
      var e = document.createElement("div");
      e.className = "link-hotspot";
      e.dataset.scene = s.id;
      e.dataset.target = h.target;
      e.innerHTML = '<div class="arrow"></div><div class="label"></div>';
      e.querySelector(".label").textContent = h.title;
      e.addEventListener("click", function () { go(h.target, h.targetView); });
      container.createHotspot(e, { yaw: h.yaw, pitch: h.pitch });
    });
    s.infoHotspots.forEach(function (h) {
      var e = document.createElement("div");
      e.className = "info-hotspot";
      e.dataset.scene = s.id;
      e.innerHTML = '<div class="head"><div class="icon">i</div><div class="title"></div></div><div class="text"></div>';
      e.querySelector(".title").textContent = h.title;
      e.querySelector(".text").textContent = h.text;
      if (!h.title) e.querySelector(".title").style.display = "none";
      e.addEventListener("click", function () { e.classList.toggle("open"); });
      container.createHotspot(e, { yaw: h.yaw, pitch: h.pitch });
    });
  });
  go(data.scenes[0].id);
  window.disanTour = { viewer: viewer, scenes: scenes, current: function () { return current; }, go: go };
  // The narrated tour player (guide.js) speaks Pannellum: degrees, pitch up, horizontal field of view.
  var stepsEl = document.getElementById("guide-steps");
  if (stepsEl && window.disanGuidePlayer) {
    var steps = JSON.parse(stepsEl.textContent);
    var toMarzipano = function (yaw, pitch, hfov) {
      var y = ((yaw + 180) % 360 + 360) % 360 - 180;
      return { yaw: y * Math.PI / 180, pitch: -pitch * Math.PI / 180, hfov: hfov * Math.PI / 180 };
    };
    var adapter = {
      isLoaded: function () { return current !== null; },
      getScene: function () { return current; },
      getYaw: function () { return scenes[current].view.yaw() * 180 / Math.PI; },
      getPitch: function () { return -scenes[current].view.pitch() * 180 / Math.PI; },
      loadScene: function (id, pitch, yaw, hfov) { go(id, toMarzipano(yaw, pitch, hfov)); },
      lookAt: function (pitch, yaw, hfov, ms) {
        var t = scenes[current];
        var v = toMarzipano(yaw, pitch, hfov);
        t.hfov = v.hfov;
        t.scene.lookTo({ yaw: v.yaw, pitch: v.pitch, fov: fov(v.hfov) }, { transitionDuration: ms });
      }
    };
    window.disanViewer = adapter;
    if (steps.length) window.disanGuidePlayer(adapter, steps);
  }
})();
</script>
</body>
</html>
"##;
