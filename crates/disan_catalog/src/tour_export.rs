//! Tour exports for the web: a folder any static web server can serve, with the panoramas' tiles, the tour
//! configuration and the viewer's own files.
//!
//! - `pannellum`: `tour.json` (a Pannellum multi-scene configuration: scenes of type `multires`, `hotSpots`
//!   of type `scene` and `info`), `index.html`, Pannellum 2.5.7 in `pannellum/`, and each panorama's pyramid
//!   in `scenes/<asset>/`.
//! - `marzipano`: resamples every pyramid to Marzipano's levels, so it is written by
//!   `disan_pipeline::export_tour`, from the pieces here ([`export_atomically`], [`Catalog::scene_pyramid`],
//!   [`Catalog::scene_title`]).
//! - `json`: the tour document itself (`tours/<id>.json`), which `disan tour import` reads back.

use std::path::{Path, PathBuf};

use disan_core::LangText;
use serde_json::{Value, json};

use crate::tours::Tour;
use crate::{Catalog, CatalogError, Result};

/// What `disan tour export` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TourFormat {
    Pannellum,
    Marzipano,
    Json,
}

impl std::str::FromStr for TourFormat {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "pannellum" => Ok(Self::Pannellum),
            "marzipano" => Ok(Self::Marzipano),
            "json" => Ok(Self::Json),
            _ => Err(format!("{s:?}: tour export formats are pannellum, marzipano, json")),
        }
    }
}

/// A panorama's tile pyramid in the collection: its folder and its Pannellum `config.json`.
#[derive(Clone, Debug)]
pub struct ScenePyramid {
    pub dir: PathBuf,
    pub config: Value,
}

/// Writes an export folder whole: `write` fills a folder beside `out`, which then replaces `out`. A failed
/// or interrupted export leaves `out` as it was (and a `.partial-<pid>` folder the next export of the same
/// process id clears). Returns what `write` returns (the files written).
pub fn export_atomically(out: &Path, write: impl FnOnce(&Path) -> Result<u64>) -> Result<u64> {
    let partial = PathBuf::from(format!("{}.partial-{}", out.display(), std::process::id()));
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(&partial).map_err(io(&partial))?;
    let written = match write(&partial) {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&partial);
            return Err(e);
        }
    };
    if out.exists() {
        std::fs::remove_dir_all(out).map_err(io(out))?;
    }
    std::fs::rename(&partial, out).map_err(io(out))?;
    Ok(written)
}

const PANNELLUM_JS: &[u8] = include_bytes!("../../../assets/web/pannellum/pannellum.js");
const PANNELLUM_CSS: &[u8] = include_bytes!("../../../assets/web/pannellum/pannellum.css");
const PANNELLUM_COPYING: &[u8] = include_bytes!("../../../assets/web/pannellum/COPYING");

/// Text in `lang`, else in the first of the required languages that has it.
pub fn pick(text: &LangText, lang: &str) -> Option<String> {
    text.get_or_fallback(lang, &["vi", "en", "zh-Hans"])
        .map(|(_, t)| t.to_owned())
}

pub(crate) fn io(path: &Path) -> impl Fn(std::io::Error) -> CatalogError + '_ {
    move |source| CatalogError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Copies a folder tree (hard links where the file system allows, since tiles never change in place).
fn copy_tree(from: &Path, to: &Path) -> Result<u64> {
    std::fs::create_dir_all(to).map_err(io(to))?;
    let mut files = 0;
    for entry in std::fs::read_dir(from).map_err(io(from))? {
        let entry = entry.map_err(io(from))?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type().map_err(io(&src))?;
        if kind.is_dir() {
            files += copy_tree(&src, &dst)?;
        } else if kind.is_file() {
            if std::fs::hard_link(&src, &dst).is_err() {
                std::fs::copy(&src, &dst).map_err(io(&src))?;
            }
            files += 1;
        }
    }
    Ok(files)
}

impl Catalog {
    /// Writes a tour for the web into `out` (replaced as a whole: written beside it, then swapped in).
    /// Texts are in `lang`, with the first of vi, en, zh-Hans that has one standing in. Returns the files
    /// written.
    pub fn export_tour(&self, id: &str, format: TourFormat, out: &Path, lang: &str) -> Result<u64> {
        let tour = self.tour(id)?;
        match format {
            TourFormat::Json => export_atomically(out, |dir| {
                crate::csv_io::write_atomic(&dir.join(format!("{id}.json")), tour.to_json().as_bytes())?;
                Ok(1)
            }),
            TourFormat::Pannellum => {
                tour.require_scenes()?;
                export_atomically(out, |dir| self.write_pannellum(&tour, dir, lang))
            }
            TourFormat::Marzipano => Err(CatalogError::Invalid(
                "the Marzipano export resamples tiles: it is written by disan_pipeline::export_tour".into(),
            )),
        }
    }

    /// The tile pyramid of a panorama asset, from its manifest (the config path confined to the asset).
    pub fn scene_pyramid(&self, asset: &str) -> Result<ScenePyramid> {
        let collection = self.path.parent().unwrap_or(Path::new("."));
        let record = self.get(asset)?;
        let tiles = record
            .manifest
            .pano_tiles
            .as_ref()
            .ok_or_else(|| CatalogError::Invalid(format!("{asset} has no panorama tiles")))?;
        let config_rel = disan_core::confined(&tiles.config).ok_or_else(|| {
            CatalogError::Invalid(format!("{asset}: tile config path {:?} leaves the asset", tiles.config))
        })?;
        let config_path = collection.join(&record.folder).join(config_rel);
        let config: Value = serde_json::from_slice(&std::fs::read(&config_path).map_err(io(&config_path))?)
            .map_err(|e| CatalogError::Invalid(format!("{}: {e}", config_path.display())))?;
        let dir = config_path.parent().expect("a file in a folder").to_owned();
        Ok(ScenePyramid { dir, config })
    }

    /// A scene's title in `lang`: the tour's own for the scene, else the asset's, else the asset id.
    pub fn scene_title(&self, tour: &Tour, asset: &str, lang: &str) -> String {
        tour.scene(asset)
            .and_then(|s| pick(&s.title, lang))
            .or_else(|| pick(&self.metadata(asset).ok()?.title, lang))
            .unwrap_or_else(|| asset.to_owned())
    }

    fn write_pannellum(&self, tour: &Tour, dir: &Path, lang: &str) -> Result<u64> {
        let mut files = 0;
        let mut scenes = serde_json::Map::new();
        for s in &tour.scenes {
            let ScenePyramid { dir: pano_dir, config } = self.scene_pyramid(&s.asset)?;
            files += copy_tree(&pano_dir, &dir.join("scenes").join(&s.asset))?;
            let mut multires = config.get("multiRes").cloned().unwrap_or_else(|| json!({}));
            multires["basePath"] = json!(format!("scenes/{}", s.asset));
            let mut hotspots = Vec::new();
            for l in &s.links {
                let arrive = l
                    .arrive
                    .or_else(|| tour.scene(&l.target).map(|t| t.view))
                    .unwrap_or_default();
                hotspots.push(json!({
                    "id": l.id,
                    "type": "scene",
                    "yaw": l.yaw,
                    "pitch": l.pitch,
                    "sceneId": l.target,
                    "text": self.scene_title(tour, &l.target, lang),
                    "targetYaw": arrive.yaw,
                    "targetPitch": arrive.pitch,
                    "targetHfov": arrive.hfov,
                }));
            }
            for i in &s.infos {
                let title = pick(&i.title, lang).unwrap_or_default();
                let body = pick(&i.text, lang).unwrap_or_default();
                let text = match (title.is_empty(), body.is_empty()) {
                    (false, false) => format!("{title}: {body}"),
                    (false, true) => title,
                    _ => body,
                };
                let mut h = json!({"id": i.id, "type": "info", "yaw": i.yaw, "pitch": i.pitch, "text": text});
                if let Some(a) = &i.asset {
                    h["disanAsset"] = json!(a);
                }
                hotspots.push(h);
            }
            let mut scene = json!({
                "title": self.scene_title(tour, &s.asset, lang),
                "type": "multires",
                "multiRes": multires,
                "yaw": s.view.yaw,
                "pitch": s.view.pitch,
                "hfov": s.view.hfov,
                "hotSpots": hotspots,
            });
            if config.get("preview").is_some() {
                scene["preview"] = json!(format!("scenes/{}/preview.jpg", s.asset));
            }
            scenes.insert(s.asset.clone(), scene);
        }
        let config = json!({
            "default": {
                "firstScene": tour.scenes[0].asset,
                "sceneFadeDuration": 800,
                "autoLoad": true,
                "compass": false,
            },
            "scenes": scenes,
        });
        let write = |name: &str, bytes: &[u8]| crate::csv_io::write_atomic(&dir.join(name), bytes);
        let mut text = serde_json::to_string_pretty(&config).expect("a config serialises");
        text.push('\n');
        write("tour.json", text.as_bytes())?;
        std::fs::create_dir_all(dir.join("pannellum")).map_err(io(dir))?;
        write("pannellum/pannellum.js", PANNELLUM_JS)?;
        write("pannellum/pannellum.css", PANNELLUM_CSS)?;
        write("pannellum/COPYING", PANNELLUM_COPYING)?;
        let title = pick(&tour.title, lang).unwrap_or_else(|| tour.id.clone());
        write("index.html", index_html(&title, lang).as_bytes())?;
        Ok(files + 5)
    }
}

/// The page that opens the tour: Pannellum over the whole window, the configuration from `tour.json`.
/// `window.disanViewer` is the viewer, for scripts and tests.
/// Text made safe for HTML content and attribute values.
pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn index_html(title: &str, lang: &str) -> String {
    let escape = html_escape;
    format!(
        r#"<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="pannellum/pannellum.css">
<script src="pannellum/pannellum.js"></script>
<style>html, body, #tour {{ margin: 0; width: 100%; height: 100%; background: #000; }}</style>
</head>
<body>
<div id="tour"></div>
<script>
fetch("tour.json").then(function (r) {{ return r.json(); }}).then(function (config) {{
  window.disanViewer = pannellum.viewer("tour", config);
}});
</script>
</body>
</html>
"#,
        lang = escape(lang),
        title = escape(title)
    )
}
