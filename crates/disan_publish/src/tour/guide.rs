//! The narrated tour player, shared by the website's tour pages and the Pannellum tour export: its steps (each
//! scene from its start view with the scene's narration, each information point turned to with its own, then
//! a turn to the link to the next scene), its controls (native buttons and a volume slider, so the keyboard
//! works; the caption, the text being read, is live for screen readers) and its script (`guide.js`).

use disan_catalog::Tour;
use disan_catalog::audio::{AudioRecord, AudioTarget};
use serde_json::{Value, json};

use crate::html_escape as esc;

/// The player's script: `disanGuide(viewer, steps)` drives a Pannellum viewer through `steps`.
pub(crate) const GUIDE_JS: &str = include_str!("guide.js");

/// What differs between the places the player is written.
pub(crate) struct GuideParts<'a> {
    /// A scene's title, by asset id.
    pub title: &'a dyn Fn(&str) -> String,
    /// The text read at a scene (the panorama's description), by asset id.
    pub scene_text: &'a dyn Fn(&str) -> String,
    /// A text in the page's language.
    pub text: &'a dyn Fn(&disan_core::LangText) -> String,
    /// The narration of a target in the page's language.
    pub audio: &'a dyn Fn(&AudioTarget) -> Option<AudioRecord>,
    /// Where a narration's file is, from the page.
    pub src: &'a dyn Fn(&AudioRecord) -> String,
}

/// The steps of the narrated tour, as the script reads them.
pub(crate) fn steps(t: &Tour, p: &GuideParts<'_>) -> Value {
    let audio = |target: AudioTarget| {
        (p.audio)(&target).map_or(
            Value::Null,
            |r| json!({"src": (p.src)(&r), "seconds": r.seconds, "draft": r.draft}),
        )
    };
    let mut steps = Vec::new();
    for (i, s) in t.scenes.iter().enumerate() {
        steps.push(json!({
            "scene": s.asset, "yaw": s.view.yaw, "pitch": s.view.pitch, "hfov": s.view.hfov,
            "title": (p.title)(&s.asset), "text": (p.scene_text)(&s.asset),
            "audio": audio(AudioTarget::Scene { tour: t.id.clone(), scene: s.asset.clone() }),
        }));
        for info in &s.infos {
            steps.push(json!({
                "scene": s.asset, "yaw": info.yaw, "pitch": info.pitch, "hfov": s.view.hfov,
                "title": (p.text)(&info.title), "text": (p.text)(&info.text),
                "audio": audio(AudioTarget::Info { tour: t.id.clone(), scene: s.asset.clone(), info: info.id.clone() }),
            }));
        }
        if let Some(next) = t.scenes.get(i + 1) {
            let link = s.links.iter().find(|l| l.target == next.asset);
            steps.push(json!({
                "scene": s.asset,
                "yaw": link.map_or(s.view.yaw, |l| l.yaw), "pitch": link.map_or(s.view.pitch, |l| l.pitch),
                "hfov": s.view.hfov, "go": next.asset, "title": (p.title)(&next.asset),
            }));
        }
    }
    Value::Array(steps)
}

/// The player's markup in `lang` (interface texts from the website's translations), the steps in a JSON
/// script block with id `guide-steps`.
pub(crate) fn controls(lang: &str, steps: &Value) -> String {
    let s = crate::site::interface_strings(lang);
    let t = |k: &str| esc(s.get(k).map_or(k, String::as_str));
    let button = |id: &str, key: &str| format!("<button type=\"button\" id=\"{id}\">{}</button>", t(key));
    format!(
        "<section class=\"guide\" aria-labelledby=\"h-guide\"><h2 id=\"h-guide\">{}</h2>\
         <script type=\"application/json\" id=\"guide-steps\">{}</script>\
         <div class=\"guide-controls\">{}{}{}{}<label>{} <input type=\"range\" id=\"guide-volume\" min=\"0\" max=\"1\" step=\"0.1\" value=\"1\"></label></div>\
         <p class=\"guide-status\" id=\"guide-status\" data-step=\"{}\" data-pause=\"{}\" data-play=\"{}\" data-draft=\"{}\"></p>\
         <p class=\"guide-caption\" id=\"guide-caption\" aria-live=\"polite\"></p>\
         <audio id=\"guide-audio\" preload=\"none\"></audio><p class=\"hint\">{}</p></section>\n",
        t("guide.title"),
        crate::site::text::json_in_html(steps),
        button("guide-play", "guide.play"),
        button("guide-prev", "guide.prev"),
        button("guide-next", "guide.next"),
        button("guide-replay", "guide.replay"),
        t("guide.volume"),
        t("guide.step"),
        t("guide.pause"),
        t("guide.play"),
        t("narration.draft"),
        t("guide.hint"),
    )
}

/// The narrated tour player of a tour export: the narration in `lang` copied into `dir/audio/`, the player's
/// script as `dir/guide.js`; returns the player's controls (with the steps) for the page, and the files
/// copied.
pub(crate) fn export_player(
    catalog: &disan_catalog::Catalog,
    tour: &Tour,
    dir: &std::path::Path,
    lang: &str,
) -> crate::Result<(String, u64)> {
    use disan_catalog::audio::{AudioRecord, AudioTarget};
    use std::path::Path;
    let mut files = 0;
    // The narrated tour player: the narration in `lang` copied into `audio/`, the player's script.
    let narration = std::cell::RefCell::new(std::collections::BTreeMap::new());
    let audio = |target: &AudioTarget| catalog.audio(target, lang).ok().flatten();
    let src = |r: &AudioRecord| {
        let name = Path::new(&r.file)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        format!("audio/{name}")
    };
    let parts = GuideParts {
        title: &|a| super::scene_title(catalog, tour, a, lang),
        scene_text: &|a| {
            catalog
                .metadata(a)
                .ok()
                .and_then(|m| super::pick(&m.description, lang))
                .unwrap_or_default()
        },
        text: &|t| super::pick(t, lang).unwrap_or_default(),
        audio: &|t| {
            let r = audio(t)?;
            narration.borrow_mut().insert(src(&r), r.file.clone());
            Some(r)
        },
        src: &src,
    };
    let steps = steps(tour, &parts);
    for (rel, file) in narration.take() {
        let from = disan_fs::confine(catalog.collection_dir(), &file)?;
        let bytes = std::fs::read(&from).map_err(disan_fs::FsError::io(&from))?;
        super::write(dir, &rel, &bytes)?;
        files += 1;
    }
    super::write(dir, "guide.js", GUIDE_JS.as_bytes())?;
    files += 1;
    Ok((controls(lang, &steps), files))
}
