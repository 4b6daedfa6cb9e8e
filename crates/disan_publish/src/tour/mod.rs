//! Tour exports for the web: a folder any static web server can serve, with the panoramas' tiles, the tour
//! configuration and the viewer's own files.
//!
//! - `pannellum`: `tour.json` (a Pannellum multi-scene configuration: scenes of type `multires`, `hotSpots`
//!   of type `scene` and `info`), `index.html`, Pannellum 2.5.7 in `pannellum/`, and each panorama's pyramid
//!   in `scenes/<asset>/` (hard links where the file system allows).
//! - `marzipano`: every pyramid resampled to Marzipano's levels, in the layout of Marzipano's own tool.
//! - `json`: the tour document itself (`tours/<id>.json`), which `disan tour import` reads back.

pub(crate) mod guide;
pub(crate) mod marzipano;
pub(crate) mod pannellum;

use std::path::{Path, PathBuf};

use disan_catalog::{Catalog, Tour};
use disan_core::LangText;
use serde_json::Value;

use crate::{PublishError, Result, UnknownChoice};

/// What `disan tour export` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TourFormat {
    Pannellum,
    Marzipano,
    Json,
}

impl std::str::FromStr for TourFormat {
    type Err = UnknownChoice;
    fn from_str(s: &str) -> std::result::Result<Self, UnknownChoice> {
        match s.to_ascii_lowercase().as_str() {
            "pannellum" => Ok(Self::Pannellum),
            "marzipano" => Ok(Self::Marzipano),
            "json" => Ok(Self::Json),
            _ => Err(UnknownChoice {
                given: s.to_owned(),
                what: "tour export formats",
                choices: "pannellum, marzipano, json",
            }),
        }
    }
}

/// A panorama's tile pyramid in the collection: its folder and its Pannellum `config.json`.
#[derive(Clone, Debug)]
pub struct ScenePyramid {
    pub dir: PathBuf,
    pub config: Value,
}

/// Writes tour `id` for the web in `format` into `out` (replaced whole: written beside it, then swapped in),
/// texts in `lang` with the first of vi, en, zh-Hans that has one standing in. `progress` hears (faces done,
/// faces in all) during a Marzipano export. Returns the files written.
pub fn export_tour(
    catalog: &Catalog,
    id: &str,
    format: TourFormat,
    out: &Path,
    lang: &str,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<u64> {
    let tour = catalog.tour(id)?;
    match format {
        TourFormat::Json => disan_fs::replace_dir(out, |dir| {
            disan_fs::write_new(&dir.join(format!("{id}.json")), tour.to_json().as_bytes(), false)?;
            Ok(1)
        }),
        TourFormat::Pannellum => {
            tour.require_scenes()?;
            disan_fs::replace_dir(out, |dir| pannellum::fill(catalog, &tour, dir, lang))
        }
        TourFormat::Marzipano => {
            tour.require_scenes()?;
            disan_fs::replace_dir(out, |dir| marzipano::fill(catalog, &tour, dir, lang, progress))
        }
    }
}

/// Text in `lang`, else in the first of the required languages that has it.
pub fn pick(text: &LangText, lang: &str) -> Option<String> {
    text.get_or_fallback(lang, &["vi", "en", "zh-Hans"])
        .map(|(_, t)| t.to_owned())
}

pub use disan_core::html_escape;

/// The tile pyramid of a panorama asset, from its manifest (the config path confined to the asset).
pub fn scene_pyramid(catalog: &Catalog, asset: &str) -> Result<ScenePyramid> {
    let record = catalog.get(asset)?;
    let tiles = record
        .manifest
        .pano_tiles
        .as_ref()
        .ok_or_else(|| PublishError::NoPyramid(asset.to_owned()))?;
    let folder = catalog.collection_dir().join(&record.folder);
    let config_path = disan_fs::confine(&folder, &tiles.config)?;
    let text = std::fs::read(&config_path).map_err(disan_fs::FsError::io(&config_path))?;
    let config: Value = serde_json::from_slice(&text).map_err(|e| PublishError::BadFile {
        path: config_path.clone(),
        reason: e.to_string(),
    })?;
    let dir = config_path.parent().expect("a file in a folder").to_owned();
    Ok(ScenePyramid { dir, config })
}

/// The Pannellum configuration of a pyramid at `config` inside the asset folder `dir`.
/// The tile pyramid under an asset folder `dir`, its `config.json` at `config` (relative, confined to `dir`).
pub(crate) fn pyramid_in(dir: &Path, config: &str) -> Result<ScenePyramid> {
    let value = scene_pyramid_at(dir, config)?;
    let folder = Path::new(config).parent().unwrap_or(Path::new(""));
    Ok(ScenePyramid {
        dir: disan_fs::confine(dir, &folder.to_string_lossy())?,
        config: value,
    })
}

pub(crate) fn scene_pyramid_at(dir: &Path, config: &str) -> Result<Value> {
    let path = disan_fs::confine(dir, config)?;
    let text = std::fs::read(&path).map_err(disan_fs::FsError::io(&path))?;
    serde_json::from_slice(&text).map_err(|e| PublishError::BadFile {
        path: path.clone(),
        reason: e.to_string(),
    })
}

/// A scene's title in `lang`, as the public may see it: the tour's own for the scene, else the asset's (in
/// `lang` or another language), else its site's name, else "360° panorama" in `lang`; never an id.
pub fn scene_title(catalog: &Catalog, tour: &Tour, asset: &str, lang: &str) -> String {
    tour.scene(asset)
        .and_then(|s| pick(&s.title, lang))
        .or_else(|| pick(&catalog.metadata(asset).ok()?.title, lang))
        .or_else(|| {
            let site = catalog.get(asset).ok()?.site_id?;
            pick(&catalog.site(&site).ok()?.name, lang)
        })
        .unwrap_or_else(|| {
            let strings = crate::site::interface_strings(lang);
            strings
                .get("kind.panorama")
                .cloned()
                .unwrap_or_else(|| "360° panorama".into())
        })
}

/// Writes `bytes` at `rel` inside an export folder being filled.
fn write(dir: &Path, rel: &str, bytes: &[u8]) -> Result<()> {
    Ok(disan_fs::write_new(&dir.join(rel), bytes, false)?)
}
