//! `runs/<run-id>.html`: the run as one self-contained offline page for the field team. Counts; every
//! failure with its reason and what to do; a contact sheet of what came in (thumbnails embedded, kind
//! badges, capture time); a map of the run's GPS points and the collection's sites over a plain graticule;
//! warnings grouped by kind; duplicates, unchanged and ignored files folded. No script, no network: the
//! page opens from a USB stick or an e-mail. Labels come from `i18n/run_page.json` in the collection's
//! first language.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use base64::Engine as _;
use disan_core::{AssetKind, AssetManifest};
use rayon::prelude::*;

use crate::report::{FileReport, Outcome, RunReport};

/// Labels in every language the catalogue uses (`vi`, `en`, `zh-Hans`).
const LABELS: &str = include_str!("../i18n/run_page.json");
/// Long side of a contact-sheet thumbnail, pixels.
const THUMB_SIDE: u32 = 192;

/// A site drawn on the map.
pub struct MapSite {
    pub name: String,
    pub lat: f64,
    pub lon: f64,
}

struct Labels(serde_json::Value, String);

impl Labels {
    fn new(lang: &str) -> Self {
        let all: serde_json::Value = serde_json::from_str(LABELS).expect("run_page.json is valid JSON");
        let lang = if all.get(lang).is_some() { lang } else { "en" };
        Self(all, lang.to_owned())
    }

    fn get(&self, key: &str) -> String {
        self.0[&self.1][key]
            .as_str()
            .or_else(|| self.0["en"][key].as_str())
            .unwrap_or(key)
            .to_owned()
    }
}

/// HTML-escapes text for element content and attribute values.
pub use disan_core::html_escape as esc;

/// One file that made (or already was) an asset, with what the page shows of it.
struct Item<'a> {
    file: &'a FileReport,
    manifest: Option<AssetManifest>,
    thumb: Option<String>,
}

/// Writes the page next to the JSON report. A failure here is the run's failure to write its page, never
/// a file's: the caller reports it and the run stands.
pub fn write(report: &RunReport, collection: &Path, sites: &[MapSite], lang: &str) -> std::io::Result<String> {
    let html = render(report, collection, sites, lang);
    let rel = format!("{}/{}.html", crate::RUNS_DIR, report.run_id);
    disan_fs::write_atomic(&collection.join(&rel), html.as_bytes()).map_err(std::io::Error::other)?;
    Ok(rel)
}

fn load_item<'a>(file: &'a FileReport, collection: &Path) -> Item<'a> {
    let Some(id) = file.outcome.asset_id() else {
        return Item {
            file,
            manifest: None,
            thumb: None,
        };
    };
    let dir = collection.join(disan_catalog::ASSETS_DIR).join(id);
    let manifest: Option<AssetManifest> = std::fs::read(dir.join("asset.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let thumb = manifest
        .as_ref()
        .and_then(|m| m.derivatives.get("thumb"))
        .and_then(|d| small_thumb(&dir.join(&d.path)));
    Item { file, manifest, thumb }
}

/// The asset's thumbnail, made small enough to embed (a few kilobytes), as a `data:` URI.
fn small_thumb(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    let img = disan_imaging::decode_rgb8(&bytes, &disan_imaging::DecodeLimits::textures())
        .ok()?
        .image;
    let (w, h) = disan_imaging::fit_within(img.width(), img.height(), THUMB_SIDE);
    let small = if (w, h) == img.dimensions() {
        img
    } else {
        disan_imaging::resize_rgb(&img, w, h)
    };
    let jpeg = disan_imaging::encode_jpeg(&small, 80).ok()?;
    Some(format!(
        "data:image/jpeg;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(jpeg)
    ))
}

fn kind_label(kind: AssetKind, l: &Labels) -> String {
    l.get(match kind {
        AssetKind::Photo => "kind_photo",
        AssetKind::Panorama => "kind_panorama",
        AssetKind::Model => "kind_model",
    })
}

fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// What a warning is about, so that a thousand "no GPS" lines make one group: the text with its numbers
/// and quoted names taken out, cut at the first colon when there is one.
pub fn warning_kind(warning: &str) -> String {
    let head = warning.split_once(": ").map_or(warning, |(h, _)| h);
    let mut out = String::new();
    let mut in_quote = false;
    for c in head.chars() {
        match c {
            '"' => {
                in_quote = !in_quote;
                if in_quote {
                    out.push('…');
                }
            }
            _ if in_quote => {}
            c if c.is_ascii_digit() => {
                if !out.ends_with('#') {
                    out.push('#');
                }
            }
            c => out.push(c),
        }
    }
    out.trim().to_owned()
}

/// What the field team does about a failure, by its class.
fn advice(reason: &str, l: &Labels) -> String {
    let r = reason.to_ascii_lowercase();
    let key = if r.contains("validation error") || r.contains("draws nothing") {
        "do_model"
    } else if r.contains("missing") || r.contains("outside") || r.contains("..") {
        "do_missing"
    } else if r.contains("pixel") || r.contains("too large") || r.contains("limit") {
        "do_limit"
    } else if r.contains("internal error") {
        "do_report"
    } else if r.contains("empty")
        || r.contains("cannot read")
        || r.contains("truncated")
        || r.contains("decode")
        || r.contains("not a")
    {
        "do_copy"
    } else {
        "do_other"
    };
    l.get(key)
}

pub fn render(report: &RunReport, collection: &Path, sites: &[MapSite], lang: &str) -> String {
    let l = Labels::new(lang);
    let mut h = String::new();
    let title = format!("{} {}", l.get("title"), report.run_id);
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">\
         <title>{}</title><style>{CSS}</style></head><body><main>\n<h1>{}</h1>\n",
        esc(&l.1),
        esc(&title),
        esc(&title)
    );
    let _ = writeln!(
        h,
        "<p class=\"meta\">{} {} · {} {} · {}: {}</p>",
        esc(&l.get("started")),
        esc(&report.started_at),
        esc(&l.get("finished")),
        esc(&report.finished_at),
        esc(&l.get("inputs")),
        esc(&report.inputs.join(", "))
    );

    // Counts
    let s = &report.summary;
    h.push_str("<ul class=\"counts\">");
    for (key, n, class) in [
        ("files", s.files, ""),
        ("ingested", s.ingested, "ok"),
        ("failed", s.failed, if s.failed > 0 { "bad" } else { "" }),
        ("unchanged", s.unchanged, ""),
        ("duplicates", s.duplicates, ""),
        ("ignored", s.ignored, ""),
    ] {
        let _ = write!(
            h,
            "<li class=\"{class}\" data-count=\"{key}\"><b>{n}</b> {}</li>",
            esc(&l.get(key))
        );
    }
    h.push_str("</ul>\n");

    // Failures first: they are what needs doing.
    let failures: Vec<&FileReport> = report
        .files
        .iter()
        .filter(|f| matches!(f.outcome, Outcome::Failed { .. }))
        .collect();
    if !failures.is_empty() {
        let _ = write!(
            h,
            "<section id=\"failures\"><h2>{} ({})</h2><ol class=\"failures\">",
            esc(&l.get("failures")),
            failures.len()
        );
        for f in &failures {
            let Outcome::Failed { reason } = &f.outcome else {
                continue;
            };
            let _ = write!(
                h,
                "<li><div class=\"path\">{}</div><div class=\"reason\">{}</div><div class=\"todo\"><b>{}</b> {}</div>",
                esc(&f.path),
                esc(reason),
                esc(&l.get("what_to_do")),
                esc(&advice(reason, &l))
            );
            if let Some(v) = &f.validation {
                h.push_str("<details><summary>");
                h.push_str(&esc(&l.get("validation")));
                h.push_str("</summary><ul class=\"issues\">");
                for m in v.issues.messages.iter().take(50) {
                    let at = m
                        .pointer
                        .clone()
                        .or_else(|| m.offset.map(|o| o.to_string()))
                        .unwrap_or_default();
                    let _ = write!(
                        h,
                        "<li><code>{}</code> <code>{}</code> {}</li>",
                        esc(&m.code),
                        esc(&at),
                        esc(&m.message)
                    );
                }
                h.push_str("</ul></details>");
            }
            h.push_str("</li>");
        }
        h.push_str("</ol></section>\n");
    }

    // Contact sheet of what came in this run.
    // Thumbnails are decoded and shrunk on the pool: a day's run has hundreds.
    let items: Vec<Item> = report
        .files
        .par_iter()
        .filter(|f| matches!(f.outcome, Outcome::Ingested { .. }))
        .map(|f| load_item(f, collection))
        .collect();
    let _ = write!(
        h,
        "<section id=\"sheet\"><h2>{} ({})</h2><ul class=\"sheet\">",
        esc(&l.get("contact_sheet")),
        items.len()
    );
    for it in &items {
        let name = file_name(&it.file.path);
        let (kind, taken) = match &it.manifest {
            Some(m) => (
                Some(m.kind),
                m.metadata.taken_at.as_ref().map(|t| t.replacen('T', " ", 1)),
            ),
            None => (None, None),
        };
        h.push_str("<li>");
        match &it.thumb {
            Some(src) => {
                let _ = write!(h, "<img src=\"{src}\" alt=\"{}\" loading=\"eager\">", esc(name));
            }
            None => {
                let _ = write!(h, "<div class=\"nothumb\">{}</div>", esc(&l.get("no_thumbnail")));
            }
        }
        if let Some(k) = kind {
            let _ = write!(
                h,
                "<span class=\"badge {}\">{}</span>",
                k.as_str(),
                esc(&kind_label(k, &l))
            );
        }
        let _ = write!(
            h,
            "<div class=\"name\" title=\"{}\">{}</div>",
            esc(&it.file.path),
            esc(name)
        );
        let _ = write!(
            h,
            "<div class=\"time\">{}</div>",
            esc(&taken.unwrap_or_else(|| l.get("no_time")))
        );
        if !it.file.warnings.is_empty() {
            let _ = write!(
                h,
                "<div class=\"warn\">{} {}</div>",
                it.file.warnings.len(),
                esc(&l.get("warnings_short"))
            );
        }
        h.push_str("</li>");
    }
    h.push_str("</ul></section>\n");

    // Map
    let points: Vec<(f64, f64, String)> = items
        .iter()
        .filter_map(|it| {
            let g = it.manifest.as_ref()?.metadata.gps.as_ref()?;
            Some((g.lat, g.lon, file_name(&it.file.path).to_owned()))
        })
        .collect();
    let _ = write!(
        h,
        "<section id=\"map\"><h2>{} ({} {})</h2>",
        esc(&l.get("map")),
        points.len(),
        esc(&l.get("gps_points"))
    );
    if points.is_empty() {
        let _ = write!(h, "<p>{}</p>", esc(&l.get("no_gps")));
    } else {
        h.push_str(&map_svg(&points, sites, &l));
    }
    h.push_str("</section>\n");

    // Warnings grouped by kind
    let mut groups: BTreeMap<String, Vec<(&str, &str)>> = BTreeMap::new();
    for f in &report.files {
        for w in &f.warnings {
            groups.entry(warning_kind(w)).or_default().push((&f.path, w));
        }
    }
    if !groups.is_empty() {
        let _ = write!(h, "<section id=\"warnings\"><h2>{}</h2>", esc(&l.get("warnings")));
        for (kind, list) in &groups {
            let _ = write!(
                h,
                "<details class=\"wgroup\"><summary>{} <b>×{}</b></summary><ul>",
                esc(kind),
                list.len()
            );
            for (path, w) in list {
                let _ = write!(h, "<li><span class=\"path\">{}</span>: {}</li>", esc(path), esc(w));
            }
            h.push_str("</ul></details>");
        }
        h.push_str("</section>\n");
    }

    // Folded: unchanged, duplicates, ignored
    for (key, pick) in [("unchanged", 0u8), ("duplicates", 1), ("ignored", 2)] {
        let rows: Vec<String> = report
            .files
            .iter()
            .filter_map(|f| match (&f.outcome, pick) {
                (Outcome::Unchanged { asset_id }, 0) => Some(format!("{} → {}", esc(&f.path), esc(asset_id))),
                (Outcome::Duplicate { of, .. }, 1) => Some(format!("{} = {}", esc(&f.path), esc(of))),
                (Outcome::Ignored { reason }, 2) => Some(format!("{}: {}", esc(&f.path), esc(reason))),
                _ => None,
            })
            .collect();
        if rows.is_empty() {
            continue;
        }
        let _ = write!(
            h,
            "<details class=\"folded\" id=\"{key}\"><summary>{} ({})</summary><ul>",
            esc(&l.get(key)),
            rows.len()
        );
        for r in rows {
            let _ = write!(h, "<li>{r}</li>");
        }
        h.push_str("</ul></details>\n");
    }
    let _ = writeln!(
        h,
        "<footer>{} · {}</footer></main></body></html>",
        esc(&report.relative_path()),
        esc(&l.get("made_by"))
    );
    h
}

/// The GPS points and the sites near them on a plain graticule (no map data, no network): an
/// equirectangular view of their bounding box, north up, longitudes scaled by the cosine of the latitude
/// so that distances look right.
fn map_svg(points: &[(f64, f64, String)], sites: &[MapSite], l: &Labels) -> String {
    let (mut lat0, mut lat1, mut lon0, mut lon1) = (90f64, -90f64, 180f64, -180f64);
    for (lat, lon, _) in points {
        lat0 = lat0.min(*lat);
        lat1 = lat1.max(*lat);
        lon0 = lon0.min(*lon);
        lon1 = lon1.max(*lon);
    }
    // At least about 2 km across, plus a margin.
    let pad = ((lat1 - lat0).max(lon1 - lon0) * 0.15).max(0.01);
    lat0 -= pad;
    lat1 += pad;
    lon0 -= pad;
    lon1 += pad;
    let near: Vec<&MapSite> = sites
        .iter()
        .filter(|s| s.lat >= lat0 && s.lat <= lat1 && s.lon >= lon0 && s.lon <= lon1)
        .collect();
    let k = ((lat0 + lat1) / 2.0).to_radians().cos().max(0.05);
    let (w, hgt) = (800.0, 500.0);
    let scale = (w / ((lon1 - lon0) * k)).min(hgt / (lat1 - lat0));
    let ox = (w - (lon1 - lon0) * k * scale) / 2.0;
    let oy = (hgt - (lat1 - lat0) * scale) / 2.0;
    let x = |lon: f64| ox + (lon - lon0) * k * scale;
    let y = |lat: f64| oy + (lat1 - lat) * scale;
    // The graticule covers the whole drawing, not only the points' box.
    let (vlon0, vlon1) = (lon0 - ox / (k * scale), lon0 + (w - ox) / (k * scale));
    let (vlat0, vlat1) = (lat1 - (hgt - oy) / scale, lat1 + oy / scale);
    let mut s = format!(
        "<svg class=\"map\" viewBox=\"0 0 {w} {hgt}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">\
         <rect width=\"{w}\" height=\"{hgt}\" fill=\"#f4f1ea\"/>",
        esc(&l.get("map"))
    );
    // Graticule at a round step: 10 lines or so across the larger side.
    let span = (vlat1 - vlat0).max(vlon1 - vlon0);
    let step = [
        0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0,
    ]
    .into_iter()
    .find(|st| span / st <= 10.0)
    .unwrap_or(20.0);
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10()).ceil() as usize
    };
    let mut v = (vlon0 / step).ceil() * step;
    while v <= vlon1 {
        let _ = write!(
            s,
            "<line x1=\"{0:.1}\" y1=\"0\" x2=\"{0:.1}\" y2=\"{hgt}\" class=\"grat\"/>\
             <text x=\"{1:.1}\" y=\"{2}\" class=\"gl\">{3:.4$}°E</text>",
            x(v),
            x(v) + 3.0,
            hgt - 4.0,
            v,
            decimals
        );
        v += step;
    }
    let mut v = (vlat0 / step).ceil() * step;
    while v <= vlat1 {
        let _ = write!(
            s,
            "<line x1=\"0\" y1=\"{0:.1}\" x2=\"{w}\" y2=\"{0:.1}\" class=\"grat\"/>\
             <text x=\"3\" y=\"{1:.1}\" class=\"gl\">{2:.3$}°N</text>",
            y(v),
            y(v) - 3.0,
            v,
            decimals
        );
        v += step;
    }
    for site in &near {
        let _ = write!(
            s,
            "<g class=\"site\"><rect x=\"{:.1}\" y=\"{:.1}\" width=\"12\" height=\"12\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{}</text></g>",
            x(site.lon) - 6.0,
            y(site.lat) - 6.0,
            x(site.lon) + 9.0,
            y(site.lat) + 4.0,
            esc(&site.name)
        );
    }
    for (lat, lon, name) in points {
        let _ = write!(
            s,
            "<circle class=\"pt\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\"><title>{} ({lat:.5}, {lon:.5})</title></circle>",
            x(*lon),
            y(*lat),
            esc(name)
        );
    }
    s.push_str("</svg>");
    let _ = write!(
        s,
        "<p class=\"legend\"><span class=\"lpt\"></span> {} <span class=\"lsite\"></span> {}</p>",
        esc(&l.get("legend_point")),
        esc(&l.get("legend_site"))
    );
    s
}

const CSS: &str = "body{font-family:'Noto Sans',system-ui,sans-serif;margin:0;background:#fafafa;color:#1d1d1d}\
main{max-width:1100px;margin:0 auto;padding:16px}h1{font-size:1.5rem;margin:.2em 0}\
h2{font-size:1.15rem;border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:1.6em}\
.meta{color:#444;font-size:.9rem}.counts{display:flex;flex-wrap:wrap;gap:8px;list-style:none;padding:0}\
.counts li{background:#fff;border:1px solid #ccc;border-radius:6px;padding:8px 14px}.counts b{font-size:1.3rem;display:block}\
.counts .ok{border-color:#2e7d32}.counts .bad{border-color:#b71c1c;background:#fdecea}\
.failures li{background:#fdecea;border-left:4px solid #b71c1c;margin:6px 0;padding:8px;list-style-position:inside}\
.path{font-family:monospace;word-break:break-all}.reason{margin:4px 0}.todo{color:#333}\
.sheet{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:10px;list-style:none;padding:0}\
.sheet li{background:#fff;border:1px solid #ddd;border-radius:6px;padding:6px;position:relative;font-size:.85rem}\
.sheet img{width:100%;height:140px;object-fit:cover;display:block;background:#333}\
.nothumb{height:140px;display:flex;align-items:center;justify-content:center;background:#eee;color:#555}\
.badge{position:absolute;top:10px;left:10px;color:#fff;border-radius:4px;padding:1px 6px;font-size:.75rem;background:#37474f}\
.badge.panorama{background:#1565c0}.badge.model{background:#6a1b9a}.badge.photo{background:#2e7d32}\
.name{font-weight:600;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}.time{color:#555}.warn{color:#8a5300}\
.map{width:100%;max-width:800px;height:auto;border:1px solid #ccc;display:block}.grat{stroke:#cfc8b8;stroke-width:1}.gl{font-size:11px;fill:#6b6355}\
.pt{fill:#c62828;stroke:#fff;stroke-width:1.5}.site rect{fill:#1565c0;stroke:#fff}.site text{font-size:12px;fill:#0d2a4a}\
.legend .lpt,.legend .lsite{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}\
.legend .lpt{background:#c62828;border-radius:50%}.legend .lsite{background:#1565c0}\
details{background:#fff;border:1px solid #ddd;border-radius:6px;margin:6px 0;padding:6px 10px}\
summary{cursor:pointer}summary:focus-visible{outline:3px solid #1565c0}footer{margin-top:2em;color:#555;font-size:.8rem}";
