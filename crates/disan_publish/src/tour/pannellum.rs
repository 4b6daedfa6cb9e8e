//! A tour as a Pannellum folder: `tour.json`, `index.html`, Pannellum and each scene's pyramid.

use std::path::Path;

use disan_catalog::{Catalog, Tour};
use serde_json::json;

use super::{ScenePyramid, pick, scene_pyramid, scene_title};
use crate::{Result, html_escape, web};

/// Fills `dir` with the Pannellum export of `tour`. Returns the files written.
pub(super) fn fill(catalog: &Catalog, tour: &Tour, dir: &Path, lang: &str) -> Result<u64> {
    let mut files = 0;
    let mut scenes = serde_json::Map::new();
    for s in &tour.scenes {
        let ScenePyramid { dir: pano_dir, config } = scene_pyramid(catalog, &s.asset)?;
        files += disan_fs::link_or_copy_tree(&pano_dir, &dir.join("scenes").join(&s.asset))?;
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
                "text": scene_title(catalog, tour, &l.target, lang),
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
            "title": scene_title(catalog, tour, &s.asset, lang),
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
    let mut text = serde_json::to_string_pretty(&config).expect("a config serialises");
    text.push('\n');
    super::write(dir, "tour.json", text.as_bytes())?;
    for (rel, bytes) in web::PANNELLUM {
        super::write(dir, rel, bytes)?;
    }
    let title = pick(&tour.title, lang).unwrap_or_else(|| tour.id.clone());
    super::write(dir, "index.html", index_html(&title, lang).as_bytes())?;
    Ok(files + 5)
}

/// The page that opens the tour: Pannellum over the whole window, the configuration from `tour.json`.
/// `window.disanViewer` is the viewer, for scripts and tests.
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
