//! A tour as a Pannellum folder: `tour.json`, `index.html`, Pannellum and each scene's pyramid.

use std::path::Path;

use disan_catalog::{Catalog, Tour, TourScene};
use serde_json::{Value, json};

use super::{ScenePyramid, guide, pick, scene_pyramid, scene_title};
use crate::{Result, html_escape, web};

/// Fills `dir` with the Pannellum export of `tour`. Returns the files written.
pub(super) fn fill(catalog: &Catalog, tour: &Tour, dir: &Path, lang: &str) -> Result<u64> {
    let mut files = 0;
    let mut scenes = serde_json::Map::new();
    for s in &tour.scenes {
        let ScenePyramid { dir: pano_dir, config } = scene_pyramid(catalog, &s.asset)?;
        files += disan_fs::link_or_copy_tree(&pano_dir, &dir.join("scenes").join(&s.asset))?;
        let parts = SceneParts {
            base_path: format!("scenes/{}", s.asset),
            title: &|a| scene_title(catalog, tour, a, lang),
            text: &|t| pick(t, lang).unwrap_or_default(),
            info_asset: &|a| ("disanAsset", json!(a)),
        };
        scenes.insert(s.asset.clone(), scene_json(tour, s, &config, &parts));
    }
    let config = tour_json(tour, scenes);
    let mut text = serde_json::to_string_pretty(&config).expect("a config serialises");
    text.push('\n');
    super::write(dir, "tour.json", text.as_bytes())?;
    for (rel, bytes) in web::PANNELLUM {
        super::write(dir, rel, bytes)?;
    }
    let (controls, copied) = guide::export_player(catalog, tour, dir, lang)?;
    files += copied;
    let title = pick(&tour.title, lang).unwrap_or_else(|| tour.id.clone());
    super::write(dir, "index.html", index_html(&title, lang, &controls).as_bytes())?;
    Ok(files + 6)
}

/// What differs between the places a tour's Pannellum configuration is written (the export, the website).
pub(crate) struct SceneParts<'a> {
    /// Where the scene's pyramid is, from the page.
    pub base_path: String,
    /// A scene's title, by its asset id.
    pub title: &'a dyn Fn(&str) -> String,
    /// A text in the page's language.
    pub text: &'a dyn Fn(&disan_core::LangText) -> String,
    /// How an information point names the asset it opens: a key and its value.
    pub info_asset: &'a dyn Fn(&str) -> (&'static str, Value),
}

/// One scene of a Pannellum tour configuration: the pyramid of `pano` (its `config.json`) under
/// `parts.base_path`, the start view, link arrows that arrive at their view, information points.
pub(crate) fn scene_json(tour: &Tour, s: &TourScene, pano: &Value, parts: &SceneParts<'_>) -> Value {
    let mut multires = pano.get("multiRes").cloned().unwrap_or_else(|| json!({}));
    multires["basePath"] = json!(parts.base_path);
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
            "text": (parts.title)(&l.target),
            "targetYaw": arrive.yaw,
            "targetPitch": arrive.pitch,
            "targetHfov": arrive.hfov,
        }));
    }
    for i in &s.infos {
        let (title, body) = ((parts.text)(&i.title), (parts.text)(&i.text));
        let text = match (title.is_empty(), body.is_empty()) {
            (false, false) => format!("{title}: {body}"),
            (false, true) => title,
            _ => body,
        };
        let mut h = json!({"id": i.id, "type": "info", "yaw": i.yaw, "pitch": i.pitch, "text": text});
        if let Some(a) = &i.asset {
            let (key, value) = (parts.info_asset)(a);
            h[key] = value;
        }
        hotspots.push(h);
    }
    let mut scene = json!({
        "title": (parts.title)(&s.asset),
        "type": "multires",
        "multiRes": multires,
        "yaw": s.view.yaw,
        "pitch": s.view.pitch,
        "hfov": s.view.hfov,
        "hotSpots": hotspots,
    });
    if let Some(prev) = pano.get("preview").and_then(Value::as_str) {
        scene["preview"] = json!(format!("{}/{prev}", parts.base_path));
    }
    // A partial panorama's extent and orientation, as its own configuration states them.
    for k in ["northOffset", "haov", "vaov", "vOffset"] {
        if let Some(v) = pano.get(k) {
            scene[k] = v.clone();
        }
    }
    scene
}

/// A Pannellum tour configuration of `scenes`, opening on the tour's first scene.
pub(crate) fn tour_json(tour: &Tour, scenes: serde_json::Map<String, Value>) -> Value {
    json!({
        "default": {
            "firstScene": tour.scenes[0].asset,
            "sceneFadeDuration": 800,
            "autoLoad": true,
            "compass": false,
        },
        "scenes": scenes,
    })
}

/// The page that opens the tour: Pannellum over most of the window, the configuration from `tour.json`, and
/// the narrated tour player under it. `window.disanViewer` is the viewer, for scripts and tests.
fn index_html(title: &str, lang: &str, guide: &str) -> String {
    let escape = html_escape;
    format!(
        r#"<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="pannellum/pannellum.css">
<link rel="icon" href="data:,">
<script src="pannellum/pannellum.js"></script>
<script src="guide.js"></script>
<style>
html, body {{ margin: 0; height: 100%; background: #000; color: #f4f4f4; font: 16px/1.5 system-ui, "Noto Sans", "Droid Sans Fallback", sans-serif; }}
body {{ display: flex; flex-direction: column; }}
#tour {{ flex: 1; min-height: 60vh; }}
.guide {{ padding: .5rem 1rem 1rem; }}
.guide h2 {{ font-size: 1.1em; margin: .3rem 0; }}
.guide-controls {{ display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }}
.guide-controls button {{ font: inherit; min-height: 40px; padding: .3rem .9rem; border-radius: 6px; border: 1px solid #aaa; background: #222; color: #fff; }}
.guide-controls button:focus-visible {{ outline: 3px solid #ffb15c; outline-offset: 2px; }}
.guide-caption {{ min-height: 2.5em; margin: .3rem 0; }}
.guide-status, .hint {{ color: #c8c8c8; font-size: .9em; margin: .2rem 0; }}
</style>
</head>
<body>
<div id="tour"></div>
{guide}<script>
fetch("tour.json").then(function (r) {{ return r.json(); }}).then(function (config) {{
  window.disanViewer = pannellum.viewer("tour", config);
  var steps = JSON.parse(document.getElementById("guide-steps").textContent);
  if (steps.length) window.disanGuidePlayer(window.disanViewer, steps);
}});
</script>
</body>
</html>
"#,
        lang = escape(lang),
        title = escape(title)
    )
}
