//! The HTML pages, the search indexes, the sitemap and the site's static files.

use disan_catalog::audio::{AudioRecord, AudioTarget};
use disan_catalog::{PublicRecord, Site, Tour, vocab};
use disan_core::{AssetKind, LangText, fold_for_search};
use rayon::prelude::*;
use serde_json::{Value, json};

use super::data::{Data, Shown, shown};
use super::text::{esc, fill, json_in_html, summary};
use super::{PageKind, Plan, page_path};
use crate::tour::{guide, marzipano, pannellum};
use crate::{Result, web};
use disan_tiles::marzipano::MarzipanoLayout;
use std::collections::HashMap;

/// Stands for the way up to the site root (`../../`) in what a page is made of, replaced once the page is
/// whole. A control character: no catalogue text can hold one (fields refuse them).
const ROOT: &str = "\u{1}";

const SITE_CSS: &str = include_str!("static/site.css");
const SITE_JS: &str = include_str!("static/site.js");

/// Plans every page and static file; returns the number of HTML pages.
pub(super) fn plan(d: &Data, base: &str, plan: &mut Plan) -> Result<usize> {
    static_files(plan);
    let layouts = marzipano_tiles(d, plan)?;
    let mut pages = 0;
    let mut sitemap: Vec<String> = Vec::new();
    for lang in &d.langs {
        let p = Pages { d, base, lang };
        let mut add = |kind: PageKind<'_>, html: String| {
            plan.bytes(format!("{lang}/{}index.html", page_path(kind)), html);
            pages += 1;
        };
        add(PageKind::Home, p.home());
        add(PageKind::Sites, p.sites());
        add(PageKind::Map, p.map());
        add(PageKind::Search, p.search());
        for s in &d.sites {
            add(PageKind::Site(&s.id), p.site(s));
        }
        // Asset pages, the bulk of a site, are made over the thread pool.
        let asset_pages: Vec<String> = d.assets.par_iter().map(|a| p.asset(a)).collect::<Result<_>>()?;
        for (a, html) in d.assets.iter().zip(asset_pages) {
            add(PageKind::Asset(&a.manifest.id.to_string()), html);
        }
        for t in &d.tours {
            add(PageKind::Tour(&t.id), p.tour(t)?);
        }
        // Each tour in Marzipano too: the tour export's page (not one of the site's pages: not in the sitemap).
        for t in &d.tours {
            let (html, js) = p.marzipano_tour(t, &layouts)?;
            plan.bytes(format!("{lang}/tours/{}/marzipano/index.html", t.id), html);
            plan.bytes(format!("{lang}/tours/{}/marzipano/data.js", t.id), js);
        }
        plan.bytes(format!("{lang}/search.json"), p.search_index());
    }
    // The sitemap: one entry per page, with its translations as alternates.
    let mut keys: Vec<String> = vec![
        page_path(PageKind::Home),
        page_path(PageKind::Sites),
        page_path(PageKind::Map),
    ];
    keys.extend(d.sites.iter().map(|s| page_path(PageKind::Site(&s.id))));
    keys.extend(
        d.assets
            .iter()
            .map(|a| page_path(PageKind::Asset(&a.manifest.id.to_string()))),
    );
    keys.extend(d.tours.iter().map(|t| page_path(PageKind::Tour(&t.id))));
    for key in &keys {
        for lang in &d.langs {
            let mut entry = format!("<url><loc>{}</loc>", esc(&format!("{base}/{lang}/{key}")));
            for alt in &d.langs {
                entry.push_str(&format!(
                    "<xhtml:link rel=\"alternate\" hreflang=\"{alt}\" href=\"{}\"/>",
                    esc(&format!("{base}/{alt}/{key}"))
                ));
            }
            entry.push_str(&format!(
                "<xhtml:link rel=\"alternate\" hreflang=\"x-default\" href=\"{}\"/></url>",
                esc(&x_default(base, &d.langs[0], key))
            ));
            sitemap.push(entry);
        }
    }
    plan.bytes(
        "sitemap.xml",
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" \
             xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n{}\n</urlset>\n",
            sitemap.join("\n")
        ),
    );
    plan.bytes(
        "robots.txt",
        format!("User-agent: *\nAllow: /\nSitemap: {base}/sitemap.xml\n"),
    );
    plan.bytes("index.html", root_page(d, base));
    plan.bytes("404.html", not_found_page(d));
    for s in &d.sites {
        plan.bytes(format!("signs/{}.html", s.id), sign_page(d, base, s));
    }
    media(d, base, plan)?;
    Ok(pages)
}

/// The Marzipano tiles of every tour scene, under `media/<asset>/marzipano/`: made from the scene's Pannellum
/// pyramid (a face at a time, as `disan tour export --format marzipano` makes them) only when that pyramid
/// changed, all of a scene's tiles by one thread in one go. Returns each scene's layout.
fn marzipano_tiles(d: &Data, plan: &mut Plan) -> Result<HashMap<String, MarzipanoLayout>> {
    use std::sync::{Arc, Mutex};
    type Tiles = Arc<Mutex<Option<HashMap<String, Vec<u8>>>>>;
    let mut layouts = HashMap::new();
    for s in d.tours.iter().flat_map(|t| &t.scenes) {
        if layouts.contains_key(&s.asset) {
            continue;
        }
        let a = d.asset(&s.asset).expect("tours keep published scenes only");
        let p = a.manifest.pano_tiles.as_ref().expect("tours keep panoramas only");
        let dir = d.asset_dir(a);
        let pyramid = crate::tour::pyramid_in(&dir, &p.config)?;
        let layout = marzipano::layout_of(&s.asset, &pyramid)?;
        let key = format!(
            "marzipano 1 q{} {}",
            disan_core::Settings::default().tile_quality,
            super::hash(pyramid.config.to_string().as_bytes())
        );
        let mut rels = vec!["preview.jpg".to_owned()];
        for z in 1..=layout.sizes.len() {
            let n = layout.tiles_per_side(z);
            for face in disan_tiles::Face::ALL {
                for row in 0..n {
                    for col in 0..n {
                        rels.push(MarzipanoLayout::tile_path(z, face, row, col));
                    }
                }
            }
        }
        let tiles: Tiles = Arc::default();
        for rel in rels {
            let (tiles, pyramid, asset) = (tiles.clone(), pyramid.clone(), s.asset.clone());
            plan.made(
                format!("media/{}/marzipano/{rel}", s.asset),
                format!("{key} {rel}"),
                format!("marzipano {}", s.asset),
                move || {
                    let mut made = tiles.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    if made.is_none() {
                        let mut all = HashMap::new();
                        let settings = disan_core::Settings::default();
                        marzipano::scene_tiles(&asset, &pyramid, &settings, &mut |_, t| {
                            all.extend(t);
                            Ok(())
                        })?;
                        *made = Some(all);
                    }
                    made.as_mut()
                        .and_then(|m| m.remove(&rel))
                        .ok_or_else(|| crate::PublishError::BadPyramid {
                            asset: asset.clone(),
                            reason: format!("no Marzipano tile {rel}"),
                        })
                },
            );
        }
        layouts.insert(s.asset.clone(), layout);
    }
    Ok(layouts)
}

/// The bundled viewers and the site's own CSS and JavaScript.
fn static_files(plan: &mut Plan) {
    plan.bytes("static/site.css", SITE_CSS);
    plan.bytes("static/site.js", SITE_JS);
    plan.bytes("static/guide.js", guide::GUIDE_JS);
    for (rel, bytes) in web::PANNELLUM
        .iter()
        .chain(web::OPENSEADRAGON.iter())
        .chain(web::MODEL_VIEWER.iter())
        .chain(web::LAND.iter())
        .chain(web::MARZIPANO.iter())
    {
        plan.bytes(format!("static/{rel}"), *bytes);
    }
    plan.bytes("static/LICENSES.txt", web::LICENSES_TXT);
}

/// The asset files the pages show, linked from the collection; IIIF `info.json` with the site's own URL.
fn media(d: &Data, base: &str, plan: &mut Plan) -> Result<()> {
    for rec in d.narration.values() {
        let from = disan_fs::confine(&d.collection, &rec.file)?;
        plan.link(Data::narration_path(rec), from);
    }
    for a in &d.assets {
        let id = a.manifest.id.to_string();
        let dir = d.asset_dir(a);
        let m = &a.manifest;
        for key in ["thumb", "display", "model", "model_lod2"] {
            if let Some(der) = m.derivatives.get(key) {
                let from = disan_fs::confine(&dir, &der.path)?;
                plan.link(format!("media/{id}/{}", der.path), from);
            }
        }
        let mut trees: Vec<String> = Vec::new();
        if let Some(p) = &m.pano_tiles
            && let Some(folder) = std::path::Path::new(&p.config).parent()
        {
            trees.push(folder.to_string_lossy().into_owned());
        }
        if let Some(i) = &m.iiif
            && let Some(folder) = std::path::Path::new(&i.info).parent()
        {
            trees.push(folder.to_string_lossy().into_owned());
        }
        for tree in trees {
            let root = disan_fs::confine(&dir, &tree)?;
            for entry in walkdir::WalkDir::new(&root).sort_by_file_name() {
                let entry = entry.map_err(|e| crate::PublishError::BadFile {
                    path: root.clone(),
                    reason: e.to_string(),
                })?;
                if !entry.file_type().is_file() {
                    continue;
                }
                let rel = entry.path().strip_prefix(&dir).expect("under the asset folder");
                let rel = rel.to_string_lossy().replace('\\', "/");
                plan.link(format!("media/{id}/{rel}"), entry.path().to_owned());
            }
        }
        if let Some(i) = &m.iiif {
            let path = disan_fs::confine(&dir, &i.info)?;
            let text = std::fs::read(&path).map_err(disan_fs::FsError::io(&path))?;
            let mut info: Value = serde_json::from_slice(&text).map_err(|e| crate::PublishError::BadFile {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            let folder = std::path::Path::new(&i.info)
                .parent()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            disan_tiles::iiif::rewrite_info_id(&mut info, &format!("{base}/media/{id}/{folder}")).map_err(|e| {
                crate::PublishError::BadFile {
                    path: path.clone(),
                    reason: e.to_string(),
                }
            })?;
            plan.bytes(format!("media/{id}/{}", i.info), serde_json::to_vec_pretty(&info)?);
        }
    }
    Ok(())
}

/// What one language's pages share.
struct Pages<'a> {
    d: &'a Data,
    base: &'a str,
    lang: &'a str,
}

/// The head of a page: what search engines and share previews read.
struct Head {
    kind: &'static str,
    path: String,
    title: String,
    description: String,
    og_image: Option<String>,
    og_alt: String,
    jsonld: Option<Value>,
    css: Vec<&'static str>,
    scripts: Vec<&'static str>,
    modules: Vec<&'static str>,
}

impl Head {
    fn new(path: String, title: String, description: String) -> Self {
        Self {
            kind: "website",
            path,
            title,
            description,
            og_image: None,
            og_alt: String::new(),
            jsonld: None,
            css: Vec::new(),
            scripts: Vec::new(),
            modules: Vec::new(),
        }
    }
}

impl Pages<'_> {
    fn t<'k>(&'k self, key: &'k str) -> &'k str {
        self.d.t(self.lang, key)
    }

    /// `../` up to the site root from a page at `path` (relative to the language folder).
    fn root(path: &str) -> String {
        "../".repeat(path.matches('/').count() + 1)
    }

    fn url(&self, lang: &str, path: &str) -> String {
        format!("{}/{lang}/{path}", self.base)
    }

    /// A shown text, with its language marked and "not yet translated" when it stands in for a translation.
    fn shown(&self, s: &Shown) -> String {
        if s.fallback {
            format!(
                "<span lang=\"{}\">{}</span> <small class=\"untranslated\">({})</small>",
                esc(&s.lang),
                esc(&s.text),
                esc(self.t("untranslated"))
            )
        } else {
            esc(&s.text)
        }
    }

    fn page(&self, head: Head, body: &str) -> String {
        let d = self.d;
        let root = Self::root(&head.path);
        let lang = self.lang;
        let canonical = self.url(lang, &head.path);
        let name = shown(&d.name, lang).map(|s| s.text).unwrap_or_default();
        let full_title = if head.path.is_empty() {
            head.title.clone()
        } else {
            format!("{} · {name}", head.title)
        };
        let mut h = String::with_capacity(8192);
        h.push_str(&format!(
            "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
             <title>{}</title>\n<meta name=\"description\" content=\"{}\">\n\
             <link rel=\"canonical\" href=\"{}\">\n",
            CSP,
            esc(&full_title),
            esc(&head.description),
            esc(&canonical)
        ));
        for alt in &d.langs {
            h.push_str(&format!(
                "<link rel=\"alternate\" hreflang=\"{alt}\" href=\"{}\">\n",
                esc(&self.url(alt, &head.path))
            ));
        }
        h.push_str(&format!(
            "<link rel=\"alternate\" hreflang=\"x-default\" href=\"{}\">\n",
            esc(&x_default(self.base, &d.langs[0], &head.path))
        ));
        // Open Graph and Twitter cards.
        let og_locale = match lang {
            "vi" => "vi_VN",
            "en" => "en_US",
            _ => "zh_CN",
        };
        h.push_str(&format!(
            "<meta property=\"og:type\" content=\"{}\">\n<meta property=\"og:title\" content=\"{}\">\n\
             <meta property=\"og:description\" content=\"{}\">\n<meta property=\"og:url\" content=\"{}\">\n\
             <meta property=\"og:site_name\" content=\"{}\">\n<meta property=\"og:locale\" content=\"{og_locale}\">\n",
            head.kind,
            esc(&head.title),
            esc(&head.description),
            esc(&canonical),
            esc(&name)
        ));
        if let Some(img) = &head.og_image {
            let url = format!("{}/{img}", self.base);
            h.push_str(&format!(
                "<meta property=\"og:image\" content=\"{0}\">\n<meta property=\"og:image:width\" content=\"1200\">\n\
                 <meta property=\"og:image:height\" content=\"630\">\n<meta property=\"og:image:alt\" content=\"{1}\">\n\
                 <meta name=\"twitter:card\" content=\"summary_large_image\">\n<meta name=\"twitter:image\" content=\"{0}\">\n\
                 <meta name=\"twitter:image:alt\" content=\"{1}\">\n",
                esc(&url),
                esc(&head.og_alt)
            ));
        } else {
            h.push_str("<meta name=\"twitter:card\" content=\"summary\">\n");
        }
        h.push_str(&format!(
            "<meta name=\"twitter:title\" content=\"{}\">\n<meta name=\"twitter:description\" content=\"{}\">\n",
            esc(&head.title),
            esc(&head.description)
        ));
        h.push_str(&format!(
            "<link rel=\"stylesheet\" href=\"{root}static/site.css\">\n<link rel=\"icon\" href=\"data:,\">\n"
        ));
        for css in &head.css {
            h.push_str(&format!("<link rel=\"stylesheet\" href=\"{root}static/{css}\">\n"));
        }
        // site.js first: it tells model-viewer where its decoders are before that module loads.
        h.push_str(&format!("<script src=\"{root}static/site.js\" defer></script>\n"));
        for js in &head.scripts {
            h.push_str(&format!("<script src=\"{root}static/{js}\" defer></script>\n"));
        }
        for js in &head.modules {
            h.push_str(&format!(
                "<script type=\"module\" src=\"{root}static/{js}\"></script>\n"
            ));
        }
        if let Some(ld) = &head.jsonld {
            h.push_str(&format!(
                "<script type=\"application/ld+json\">{}</script>\n",
                json_in_html(ld)
            ));
        }
        h.push_str("</head>\n<body>\n");
        h.push_str(&format!(
            "<a class=\"skip\" href=\"#main\">{}</a>\n<header class=\"top\">\n<a class=\"brand\" href=\"{root}{lang}/\">{}</a>\n\
             <nav aria-label=\"{}\"><ul class=\"nav\">",
            esc(self.t("skip")),
            esc(&name),
            esc(self.t("nav.label"))
        ));
        for (kind, key) in [
            (PageKind::Home, "nav.home"),
            (PageKind::Sites, "nav.sites"),
            (PageKind::Map, "nav.map"),
            (PageKind::Search, "nav.search"),
        ] {
            let p = page_path(kind);
            let current = if p == head.path { " aria-current=\"page\"" } else { "" };
            h.push_str(&format!(
                "<li><a href=\"{root}{lang}/{p}\"{current}>{}</a></li>",
                esc(self.t(key))
            ));
        }
        h.push_str(&format!(
            "</ul></nav>\n<nav class=\"langs\" aria-label=\"{}\"><ul>",
            esc(self.t("lang.choose"))
        ));
        for alt in &d.langs {
            let label = d.t(alt, "lang.name");
            if alt == lang {
                h.push_str(&format!(
                    "<li><a href=\"{root}{alt}/{}\" lang=\"{alt}\" hreflang=\"{alt}\" aria-current=\"true\">{}</a></li>",
                    head.path,
                    esc(label)
                ));
            } else {
                h.push_str(&format!(
                    "<li><a href=\"{root}{alt}/{}\" lang=\"{alt}\" hreflang=\"{alt}\">{}</a></li>",
                    head.path,
                    esc(label)
                ));
            }
        }
        h.push_str("</ul></nav>\n</header>\n<main id=\"main\">\n");
        h.push_str(body);
        h.push_str(&format!(
            "\n</main>\n<footer class=\"foot\"><p>{} · <a href=\"{root}static/LICENSES.txt\">{}</a></p></footer>\n</body>\n</html>\n",
            esc(self.t("footer.made")),
            esc(self.t("footer.licences"))
        ));
        // The placeholder also stands in JSON blocks, where serde_json wrote it as an escape.
        h.replace(ROOT, &root).replace("\\u0001", &root)
    }

    fn og(&self, key: &str) -> Option<String> {
        Some(format!("og/{}/{key}.jpg", self.lang))
    }

    /// A card linking to an asset page, for grids.
    fn asset_card(&self, a: &PublicRecord) -> String {
        let id = a.manifest.id.to_string();
        let title = self.d.asset_title(a, self.lang);
        let thumb = a.manifest.derivatives.get("thumb");
        let img = match thumb {
            Some(t) => format!(
                "<img src=\"{ROOT}media/{id}/{}\" alt=\"\" loading=\"lazy\" decoding=\"async\"{}>",
                esc(&t.path),
                size_attrs(t.width, t.height)
            ),
            None => "<span class=\"noimg\"></span>".into(),
        };
        format!(
            "<li class=\"card\"><a href=\"{ROOT}{}/assets/{id}/\">{img}<span class=\"card-title\">{}</span>\
             <span class=\"card-kind\">{}</span></a></li>",
            self.lang,
            self.shown(&title),
            esc(&self.d.kind_label(a.manifest.kind, self.lang))
        )
    }

    fn site_card(&self, s: &Site) -> String {
        let d = self.d;
        let first = d
            .assets_of(&s.id)
            .into_iter()
            .find(|a| a.manifest.derivatives.contains_key("thumb"));
        let img = match first.and_then(|a| Some((a.manifest.id.to_string(), a.manifest.derivatives.get("thumb")?))) {
            Some((id, t)) => format!(
                "<img src=\"{ROOT}media/{id}/{}\" alt=\"\" loading=\"lazy\" decoding=\"async\"{}>",
                esc(&t.path),
                size_attrs(t.width, t.height)
            ),
            None => "<span class=\"noimg\"></span>".into(),
        };
        let n = d.assets_of(&s.id).len();
        let mut kind = d.t(self.lang, "kind.site").to_owned();
        if let Some(t) = s.relic_type.as_deref().and_then(|t| vocab::relic_types().get(t))
            && let Some(l) = shown(&t.label, self.lang)
        {
            kind = l.text;
        }
        format!(
            "<li class=\"card\"><a href=\"{ROOT}{}/sites/{}/\">{img}<span class=\"card-title\">{}</span>\
             <span class=\"card-kind\">{} · {n}</span></a></li>",
            self.lang,
            esc(&s.id),
            self.shown(&d.site_name(s, self.lang)),
            esc(&kind)
        )
    }

    /// The map widget: land drawn from the bundled outlines, the sites as points, and the same sites as a
    /// list of links (the map's keyboard- and screen-reader-friendly twin).
    fn map_widget(&self, sites: &[&Site], big: bool) -> String {
        let points: Vec<Value> = sites
            .iter()
            .filter_map(|s| {
                let (lat, lon) = (s.lat?, s.lon?);
                Some(json!({
                    "name": self.d.site_name(s, self.lang).text,
                    "url": format!("{ROOT}{}/sites/{}/", self.lang, s.id),
                    "lat": lat,
                    "lon": lon,
                }))
            })
            .collect();
        let list: String = sites
            .iter()
            .filter(|s| s.lat.is_some() && s.lon.is_some())
            .map(|s| {
                format!(
                    "<li><a href=\"{ROOT}{}/sites/{}/\">{}</a></li>",
                    self.lang,
                    esc(&s.id),
                    self.shown(&self.d.site_name(s, self.lang))
                )
            })
            .collect();
        let class = if big { "map map-big" } else { "map" };
        format!(
            "<div class=\"{class}\" data-land=\"{ROOT}static/land/\">\
             <canvas class=\"map-canvas\" tabindex=\"0\" role=\"img\" aria-label=\"{}\"></canvas>\
             <div class=\"map-buttons\"><button type=\"button\" class=\"map-in\" aria-label=\"{}\">+</button>\
             <button type=\"button\" class=\"map-out\" aria-label=\"{}\">−</button>\
             <button type=\"button\" class=\"map-reset\">{}</button></div>\
             <script type=\"application/json\" class=\"map-data\">{}</script></div>\
             <p class=\"hint\">{} {}</p>\n<h3 class=\"map-list-title\">{}</h3><ul class=\"map-list\">{list}</ul>",
            esc(&format!("{} {}", self.t("map.title"), self.t("map.help"))),
            esc(self.t("map.zoom_in")),
            esc(self.t("map.zoom_out")),
            esc(self.t("map.reset")),
            json_in_html(&Value::Array(points)),
            esc(self.t("map.help")),
            esc(self.t("map.credit")),
            esc(self.t("map.list")),
        )
    }

    fn search_form(&self) -> String {
        format!(
            "<form class=\"search\" role=\"search\" action=\"{ROOT}{}/search/\" method=\"get\">\
             <label for=\"q\">{}</label><div class=\"search-row\"><input id=\"q\" name=\"q\" type=\"search\" autocomplete=\"off\">\
             <button type=\"submit\">{}</button></div><p class=\"hint\">{}</p></form>",
            self.lang,
            esc(self.t("search.label")),
            esc(self.t("search.button")),
            esc(self.t("search.hint"))
        )
    }

    fn home(&self) -> String {
        let d = self.d;
        let name = shown(&d.name, self.lang).map(|s| s.text).unwrap_or_default();
        let mut body = format!(
            "<h1>{}</h1>\n<p class=\"lead\">{}</p>\n{}\n",
            esc(&name),
            esc(self.t("home.intro")),
            self.search_form()
        );
        let hi_sites: Vec<&Site> = d.sites.iter().filter(|s| s.highlight).collect();
        let hi_assets: Vec<&PublicRecord> = d.assets.iter().filter(|a| a.meta.highlighted()).collect();
        if !hi_sites.is_empty() || !hi_assets.is_empty() {
            body.push_str(&format!(
                "<section aria-labelledby=\"h-hi\"><h2 id=\"h-hi\">{}</h2><ul class=\"cards\">",
                esc(self.t("home.highlights"))
            ));
            for s in hi_sites {
                body.push_str(&self.site_card(s));
            }
            for a in hi_assets {
                body.push_str(&self.asset_card(a));
            }
            body.push_str("</ul></section>\n");
        }
        let mut newest = newest_first(&d.assets);
        newest.truncate(12);
        if !newest.is_empty() {
            body.push_str(&format!(
                "<section aria-labelledby=\"h-new\"><h2 id=\"h-new\">{}</h2><ul class=\"cards\">",
                esc(self.t("home.newest"))
            ));
            for a in newest {
                body.push_str(&self.asset_card(a));
            }
            body.push_str("</ul></section>\n");
        }
        if !d.sites.is_empty() {
            body.push_str(&format!(
                "<section aria-labelledby=\"h-map\"><h2 id=\"h-map\">{}</h2>{}</section>\n",
                esc(self.t("home.map")),
                self.map_widget(&d.sites.iter().collect::<Vec<_>>(), false)
            ));
        }
        let mut head = Head::new(String::new(), name.clone(), self.t("home.intro").to_owned());
        head.og_image = self.og("home");
        head.og_alt = name.clone();
        head.jsonld = Some(json!({
            "@context": "https://schema.org",
            "@type": "WebSite",
            "name": name,
            "url": self.url(self.lang, ""),
            "inLanguage": self.lang,
            "potentialAction": {
                "@type": "SearchAction",
                "target": format!("{}search/?q={{search_term_string}}", self.url(self.lang, "")),
                "query-input": "required name=search_term_string",
            },
        }));
        self.page(head, &body)
    }

    fn sites(&self) -> String {
        let d = self.d;
        let mut body = format!("<h1>{}</h1>\n", esc(self.t("home.all_sites")));
        if d.sites.is_empty() {
            body.push_str(&format!("<p>{}</p>", esc(self.t("site.none"))));
        } else {
            body.push_str("<ul class=\"cards\">");
            for s in &d.sites {
                body.push_str(&self.site_card(s));
            }
            body.push_str("</ul>\n");
        }
        if !d.tours.is_empty() {
            body.push_str(&format!(
                "<section aria-labelledby=\"h-tours\"><h2 id=\"h-tours\">{}</h2><ul class=\"links\">",
                esc(self.t("nav.tours"))
            ));
            for t in &d.tours {
                body.push_str(&format!(
                    "<li><a href=\"{ROOT}{}/tours/{}/\">{}</a></li>",
                    self.lang,
                    esc(&t.id),
                    self.shown(&d.tour_title(t, self.lang))
                ));
            }
            body.push_str("</ul></section>\n");
        }
        let mut head = Head::new(
            page_path(PageKind::Sites),
            self.t("home.all_sites").to_owned(),
            self.t("home.intro").to_owned(),
        );
        head.og_image = self.og("home");
        head.og_alt = head.title.clone();
        self.page(head, &body)
    }

    fn map(&self) -> String {
        let d = self.d;
        let body = format!(
            "<h1>{}</h1>\n{}",
            esc(self.t("map.title")),
            self.map_widget(&d.sites.iter().collect::<Vec<_>>(), true)
        );
        let mut head = Head::new(
            page_path(PageKind::Map),
            self.t("map.title").to_owned(),
            self.t("home.intro").to_owned(),
        );
        head.og_image = self.og("home");
        head.og_alt = head.title.clone();
        self.page(head, &body)
    }

    fn search(&self) -> String {
        let body = format!(
            "<h1>{}</h1>\n{}\n<p id=\"search-status\" class=\"status\" role=\"status\" aria-live=\"polite\"></p>\n\
             <ul id=\"results\" class=\"cards\" data-index=\"{ROOT}{}/search.json\" data-results=\"{}\" data-none=\"{}\"></ul>",
            esc(self.t("nav.search")),
            self.search_form(),
            self.lang,
            esc(self.t("search.results")),
            esc(self.t("search.none"))
        );
        let head = Head::new(
            page_path(PageKind::Search),
            self.t("nav.search").to_owned(),
            self.t("search.label").to_owned(),
        );
        self.page(head, &body)
    }

    /// The search index of one language: what each result shows and the folded text it is found by.
    fn search_index(&self) -> Vec<u8> {
        let d = self.d;
        let mut items = Vec::new();
        let all_langs = |t: &LangText| t.iter().map(|(_, s)| s.to_owned()).collect::<Vec<_>>().join(" ");
        for s in &d.sites {
            let mut words = vec![all_langs(&s.name), all_langs(&s.description)];
            for (v, id) in [
                (vocab::provinces(), &s.province),
                (vocab::ranks(), &s.rank),
                (vocab::relic_types(), &s.relic_type),
            ] {
                if let Some(term) = id.as_deref().and_then(|i| v.get(i)) {
                    words.push(all_langs(&term.label));
                }
            }
            let thumb = d.assets_of(&s.id).into_iter().find_map(|a| {
                Some(format!(
                    "media/{}/{}",
                    a.manifest.id,
                    a.manifest.derivatives.get("thumb")?.path
                ))
            });
            items.push(json!({
                "u": format!("sites/{}/", s.id),
                "t": d.site_name(s, self.lang).text,
                "k": self.t("kind.site"),
                "i": thumb,
                "n": fold_for_search(&d.site_name(s, self.lang).text),
                "f": fold_for_search(&words.join(" ")),
            }));
        }
        for a in &d.assets {
            let m = &a.meta;
            let mut words = vec![
                all_langs(&m.title),
                all_langs(&m.description),
                all_langs(&m.subject),
                all_langs(&m.coverage),
            ];
            if let Some(s) = d.site_of(a) {
                words.push(all_langs(&s.name));
            }
            if let Some(c) = &m.creator {
                words.push(c.clone());
            }
            let title = d.asset_title(a, self.lang);
            items.push(json!({
                "u": format!("assets/{}/", a.manifest.id),
                "t": title.text,
                "k": d.kind_label(a.manifest.kind, self.lang),
                "i": a.manifest.derivatives.get("thumb").map(|t| format!("media/{}/{}", a.manifest.id, t.path)),
                "n": fold_for_search(&title.text),
                "f": fold_for_search(&words.join(" ")),
            }));
        }
        for t in &d.tours {
            items.push(json!({
                "u": format!("tours/{}/", t.id),
                "t": d.tour_title(t, self.lang).text,
                "k": self.t("kind.tour"),
                "i": Value::Null,
                "n": fold_for_search(&d.tour_title(t, self.lang).text),
                "f": fold_for_search(&all_langs(&t.title)),
            }));
        }
        // Escaped as in a page: the index holds curators' text, and `<` stays harmless wherever it lands.
        json_in_html(&Value::Array(items)).into_bytes()
    }

    fn site(&self, s: &Site) -> String {
        let d = self.d;
        let lang = self.lang;
        let name = d.site_name(s, lang);
        let path = page_path(PageKind::Site(&s.id));
        let mut body = format!(
            "<nav class=\"crumbs\" aria-label=\"breadcrumb\"><a href=\"{ROOT}{lang}/\">{}</a> › <a href=\"{ROOT}{lang}/sites/\">{}</a></nav>\n<h1>{}</h1>\n",
            esc(self.t("nav.home")),
            esc(self.t("nav.sites")),
            self.shown(&name)
        );
        let mut facts = String::new();
        for (label, v, id) in [
            ("label.province", vocab::provinces(), &s.province),
            ("label.rank", vocab::ranks(), &s.rank),
            ("label.type", vocab::relic_types(), &s.relic_type),
        ] {
            if let Some(term) = id.as_deref().and_then(|i| v.get(i))
                && let Some(l) = shown(&term.label, lang)
            {
                facts.push_str(&format!("<dt>{}</dt><dd>{}</dd>", esc(self.t(label)), self.shown(&l)));
            }
        }
        if !facts.is_empty() {
            body.push_str(&format!("<dl class=\"facts\">{facts}</dl>\n"));
        }
        let description = shown(&s.description, lang);
        if let Some(desc) = &description {
            body.push_str(&paragraphs(self, desc));
        }
        let assets = d.assets_of(&s.id);
        body.push_str(&format!(
            "<section aria-labelledby=\"h-assets\"><h2 id=\"h-assets\">{}</h2><ul class=\"cards\">",
            esc(self.t("site.assets"))
        ));
        for a in &assets {
            body.push_str(&self.asset_card(a));
        }
        body.push_str("</ul></section>\n");
        let tours: Vec<&Tour> = d
            .tours
            .iter()
            .filter(|t| {
                t.scenes
                    .iter()
                    .any(|sc| d.asset(&sc.asset).and_then(|a| a.site.as_deref()) == Some(&s.id))
            })
            .collect();
        if !tours.is_empty() {
            body.push_str(&format!(
                "<section aria-labelledby=\"h-tours\"><h2 id=\"h-tours\">{}</h2><ul class=\"links\">",
                esc(self.t("site.tours"))
            ));
            for t in tours {
                body.push_str(&format!(
                    "<li><a href=\"{ROOT}{lang}/tours/{}/\">{}</a></li>",
                    esc(&t.id),
                    self.shown(&d.tour_title(t, lang))
                ));
            }
            body.push_str("</ul></section>\n");
        }
        if s.lat.is_some() && s.lon.is_some() {
            body.push_str(&format!(
                "<section aria-labelledby=\"h-map\"><h2 id=\"h-map\">{}</h2>{}</section>\n",
                esc(self.t("site.on_map")),
                self.map_widget(&[s], false)
            ));
        }
        body.push_str(&self.share(&path, &format!("sites/{}", s.id)));
        body.push_str(&format!(
            "<p><a href=\"{ROOT}signs/{}.html\">{}</a></p>\n",
            esc(&s.id),
            esc(self.t("site.sign"))
        ));
        let desc_text = description
            .as_ref()
            .map(|x| summary(&x.text, 155))
            .unwrap_or_else(|| format!("{} · {}", name.text, self.t("home.intro")));
        let mut head = Head::new(path.clone(), name.text.clone(), desc_text.clone());
        head.kind = "article";
        head.og_image = self.og(&format!("sites/{}", s.id));
        head.og_alt = name.text.clone();
        let mut ld = json!({
            "@context": "https://schema.org",
            "@type": ["TouristAttraction", "LandmarksOrHistoricalBuildings"],
            "@id": format!("{}#place", self.url(lang, &path)),
            "name": name.text,
            "url": self.url(lang, &path),
            "inLanguage": lang,
            "image": format!("{}/og/{lang}/sites/{}.jpg", self.base, s.id),
        });
        if let Some(desc) = &description {
            ld["description"] = json!(desc.text);
        }
        if let (Some(lat), Some(lon)) = (s.lat, s.lon) {
            ld["geo"] = json!({"@type": "GeoCoordinates", "latitude": lat, "longitude": lon});
        }
        if let Some(p) = s.province.as_deref().and_then(|p| vocab::provinces().get(p)) {
            ld["address"] = json!({
                "@type": "PostalAddress",
                "addressRegion": shown(&p.label, lang).map(|x| x.text),
                "addressCountry": "VN",
            });
        }
        head.jsonld = Some(ld);
        self.page(head, &body)
    }

    /// A narration player: the browser's own audio controls (keyboard operable, labelled), the length, and a
    /// note when the voice is a synthesised draft. The page's text is the transcript.
    fn narration(&self, rec: &AudioRecord) -> String {
        let draft = if rec.draft {
            format!("<p class=\"draft-voice\">{}</p>", esc(self.t("narration.draft")))
        } else {
            String::new()
        };
        format!(
            "<section class=\"narration\" aria-labelledby=\"h-narration\"><h2 id=\"h-narration\">{}</h2>\
             <audio controls preload=\"metadata\" src=\"{ROOT}{}\" aria-labelledby=\"h-narration\" data-seconds=\"{:.1}\"{}></audio>{draft}</section>\n",
            esc(self.t("narration.title")),
            esc(&Data::narration_path(rec)),
            rec.seconds,
            if rec.draft { " data-draft=\"true\"" } else { "" },
        )
    }

    /// The model viewer's part of a story: camera limits wide enough for every saved view (model-viewer clamps
    /// its camera to them) and one numbered pin per annotation, placed on the surface with its normal (the
    /// viewer hides pins facing away; site.js hides pins behind the surface).
    fn story_pins(&self, story: &disan_catalog::Story, lang: &str) -> (String, String) {
        let far = story.annotations.iter().map(|a| a.view.distance).fold(0.0, f64::max);
        let limits = format!(
            " min-camera-orbit=\"auto 0.5deg 0m\" max-camera-orbit=\"auto 179.5deg {}m\" min-field-of-view=\"{}deg\" max-field-of-view=\"{}deg\"",
            num(far * 2.0),
            disan_catalog::story::FOV_RANGE.start(),
            disan_catalog::story::FOV_RANGE.end()
        );
        let mut pins = String::new();
        for (i, a) in story.annotations.iter().enumerate() {
            let title = shown(&a.title, lang).map(|t| t.text).unwrap_or_default();
            let [x, y, z] = a.position;
            let [nx, ny, nz] = a.normal;
            pins.push_str(&format!(
                "<button type=\"button\" class=\"pin\" slot=\"hotspot-{id}\" data-annotation=\"{id}\" data-position=\"{}m {}m {}m\" \
                 data-normal=\"{}m {}m {}m\" data-visibility-attribute=\"visible\" aria-label=\"{} {}: {}\">{}</button>",
                num(x),
                num(y),
                num(z),
                num(nx),
                num(ny),
                num(nz),
                esc(self.t("story.pin")),
                i + 1,
                esc(&title),
                i + 1,
                id = esc(&a.id),
            ));
        }
        (limits, pins)
    }

    /// The story under the model: each annotation's title (a button that flies the camera to its view), text
    /// and narration, in order, with previous/next and a button back to the whole model.
    fn story(&self, d: &Data, asset: &str, story: &disan_catalog::Story, lang: &str) -> String {
        let mut items = String::new();
        for (i, a) in story.annotations.iter().enumerate() {
            let v = &a.view;
            let title = shown(&a.title, lang).map(|t| self.shown(&t)).unwrap_or_default();
            let text = shown(&a.text, lang).map(|t| paragraphs(self, &t)).unwrap_or_default();
            let target = AudioTarget::Annotation {
                asset: asset.to_owned(),
                annotation: a.id.clone(),
            };
            let audio = d
                .narration(&target, lang)
                .map(|rec| {
                    let draft = if rec.draft {
                        format!("<p class=\"draft-voice\">{}</p>", esc(self.t("narration.draft")))
                    } else {
                        String::new()
                    };
                    format!(
                        "<audio controls preload=\"none\" src=\"{ROOT}{}\" aria-label=\"{}\" data-seconds=\"{:.1}\"{}></audio>{draft}",
                        esc(&Data::narration_path(rec)),
                        esc(self.t("narration.title")),
                        rec.seconds,
                        if rec.draft { " data-draft=\"true\"" } else { "" },
                    )
                })
                .unwrap_or_default();
            items.push_str(&format!(
                "<li id=\"annotation-{id}\" data-annotation=\"{id}\" data-orbit=\"{}deg {}deg {}m\" data-target=\"{}m {}m {}m\" data-fov=\"{}deg\">\
                 <h3><button type=\"button\" class=\"story-go\"><span class=\"pin-number\" aria-hidden=\"true\">{}</span> {title}</button></h3>{text}{audio}</li>",
                num(v.yaw),
                num(90.0 - v.pitch),
                num(v.distance),
                num(v.target[0]),
                num(v.target[1]),
                num(v.target[2]),
                num(v.fov),
                i + 1,
                id = esc(&a.id),
            ));
        }
        format!(
            "<section class=\"story\" id=\"story\" aria-labelledby=\"h-story\" data-status=\"{}\"><h2 id=\"h-story\">{}</h2>\
             <div class=\"story-nav\"><button type=\"button\" class=\"story-prev\">{}</button> \
             <button type=\"button\" class=\"story-next\">{}</button> <button type=\"button\" class=\"story-all\">{}</button> \
             <span class=\"status story-status\" role=\"status\" aria-live=\"polite\"></span></div>\
             <ol class=\"story-list\">{items}</ol></section>\n",
            esc(self.t("story.status")),
            esc(self.t("story.title")),
            esc(self.t("story.previous")),
            esc(self.t("story.next")),
            esc(self.t("story.all")),
        )
    }

    fn share(&self, path: &str, key: &str) -> String {
        let url = self.url(self.lang, path);
        format!(
            "<section class=\"share\" aria-labelledby=\"h-share\"><h2 id=\"h-share\">{}</h2><ul class=\"share-links\">\
             <li><a href=\"https://www.facebook.com/sharer/sharer.php?u={}\" rel=\"noopener\" target=\"_blank\">{}</a></li>\
             <li><button type=\"button\" class=\"share-device\" data-url=\"{}\" hidden>{}</button></li>\
             <li><button type=\"button\" class=\"share-copy\" data-url=\"{}\" data-done=\"{}\">{}</button></li>\
             <li><a href=\"{ROOT}qr/{}/{key}.png\" download>{} (PNG)</a> · <a href=\"{ROOT}qr/{}/{key}.svg\">SVG</a></li></ul>\
             <img class=\"qr\" src=\"{ROOT}qr/{}/{key}.svg\" width=\"120\" height=\"120\" alt=\"{}\" loading=\"lazy\">\
             <p class=\"status share-status\" role=\"status\" aria-live=\"polite\"></p></section>\n",
            esc(self.t("share.title")),
            super::text::url_component(&url),
            esc(self.t("share.facebook")),
            esc(&url),
            esc(self.t("share.device")),
            esc(&url),
            esc(self.t("share.copied")),
            esc(self.t("share.copy")),
            self.lang,
            esc(self.t("share.qr")),
            self.lang,
            self.lang,
            esc(&format!("{}: {url}", self.t("share.qr"))),
        )
    }

    fn asset(&self, a: &PublicRecord) -> Result<String> {
        let d = self.d;
        let lang = self.lang;
        let m = &a.manifest;
        let id = m.id.to_string();
        let path = page_path(PageKind::Asset(&id));
        let title = d.asset_title(a, lang);
        let description = shown(&a.meta.description, lang);
        let alt = match &description {
            Some(desc) => format!("{}: {}", title.text, summary(&desc.text, 120)),
            None => title.text.clone(),
        };
        let mut head = Head::new(
            path.clone(),
            title.text.clone(),
            description
                .as_ref()
                .map(|x| summary(&x.text, 155))
                .unwrap_or_else(|| format!("{} · {}", d.kind_label(m.kind, lang), title.text)),
        );
        head.kind = "article";
        head.og_image = self.og(&format!("assets/{id}"));
        head.og_alt = alt.clone();
        let mut body = format!(
            "<nav class=\"crumbs\" aria-label=\"breadcrumb\"><a href=\"{ROOT}{lang}/\">{}</a>",
            esc(self.t("nav.home"))
        );
        let site = d.site_of(a);
        if let Some(s) = site {
            body.push_str(&format!(
                " › <a href=\"{ROOT}{lang}/sites/{}/\">{}</a>",
                esc(&s.id),
                self.shown(&d.site_name(s, lang))
            ));
        }
        body.push_str(&format!("</nav>\n<h1>{}</h1>\n", self.shown(&title)));
        let der = |k: &str| m.derivatives.get(k);
        let media = format!("{ROOT}media/{id}");
        match m.kind {
            AssetKind::Photo => {
                let display = der("display").or_else(|| der("thumb"));
                let mut srcset = Vec::new();
                for k in ["thumb", "display"] {
                    if let Some(x) = der(k)
                        && let Some(w) = x.width
                    {
                        srcset.push(format!("{media}/{} {w}w", x.path));
                    }
                }
                let img = display.map(|x| {
                    format!(
                        "<img class=\"photo\" src=\"{media}/{}\" srcset=\"{}\" sizes=\"(max-width: 1000px) 100vw, 1000px\" alt=\"{}\"{}>",
                        esc(&x.path),
                        esc(&srcset.join(", ")),
                        esc(&alt),
                        size_attrs(x.width, x.height)
                    )
                });
                match (&m.iiif, img) {
                    (Some(i), img) => {
                        head.scripts.push("openseadragon/openseadragon.min.js");
                        body.push_str(&format!(
                            "<div class=\"zoom\" id=\"zoom\" data-info=\"{media}/{}\" data-prefix=\"{ROOT}static/openseadragon/images/\" \
                             data-label=\"{}\">{}</div>\n<p class=\"hint\">{}</p>\n",
                            esc(&i.info),
                            esc(&alt),
                            img.unwrap_or_default(),
                            esc(self.t("photo.zoom"))
                        ));
                    }
                    (None, Some(img)) => body.push_str(&format!("<figure class=\"figure\">{img}</figure>\n")),
                    (None, None) => {}
                }
            }
            AssetKind::Panorama => {
                if let Some(p) = &m.pano_tiles {
                    let pano = crate::tour::scene_pyramid_at(&d.asset_dir(a), &p.config)?;
                    let folder = std::path::Path::new(&p.config)
                        .parent()
                        .map(|f| f.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let mut config = json!({
                        "type": "multires",
                        "autoLoad": true,
                        "showFullscreenCtrl": true,
                        "compass": false,
                        "multiRes": pano.get("multiRes").cloned().unwrap_or_else(|| json!({})),
                    });
                    config["multiRes"]["basePath"] = json!(format!("{media}/{folder}"));
                    if let Some(prev) = pano.get("preview").and_then(Value::as_str) {
                        config["preview"] = json!(format!("{media}/{folder}/{prev}"));
                    }
                    for k in ["northOffset", "haov", "vaov", "vOffset", "minPitch", "maxPitch"] {
                        if let Some(v) = pano.get(k) {
                            config[k] = v.clone();
                        }
                    }
                    head.css.push("pannellum/pannellum.css");
                    head.scripts.push("pannellum/pannellum.js");
                    body.push_str(&format!(
                        "<div class=\"pano\" id=\"pano\" tabindex=\"0\" role=\"application\" aria-label=\"{}\"></div>\n\
                         <script type=\"application/json\" id=\"pano-config\">{}</script>\n<p class=\"hint\">{}</p>\n",
                        esc(&alt),
                        json_in_html(&config),
                        esc(self.t("pano.hint"))
                    ));
                }
            }
            AssetKind::Model => {
                let full = der("model");
                let first = der("model_lod2").or(full);
                if let (Some(first), Some(full)) = (first, full) {
                    head.modules.push("model-viewer/model-viewer.min.js");
                    let poster = der("thumb")
                        .map(|t| format!(" poster=\"{media}/{}\"", esc(&t.path)))
                        .unwrap_or_default();
                    let (limits, pins) = match d.stories.get(id.as_str()) {
                        Some(story) => self.story_pins(story, lang),
                        None => (String::new(), String::new()),
                    };
                    body.push_str(&format!(
                        "<model-viewer class=\"model\" id=\"model\" src=\"{media}/{}\" data-full=\"{media}/{}\"{poster} alt=\"{}\" \
                         camera-controls touch-action=\"pan-y\" shadow-intensity=\"0.6\" exposure=\"1\" interaction-prompt=\"none\"{limits}>{pins}</model-viewer>\n\
                         <p class=\"hint\">{}</p>\n",
                        esc(&first.path),
                        esc(&full.path),
                        esc(&alt),
                        esc(self.t("model.hint"))
                    ));
                }
            }
        }
        if let Some(desc) = &description {
            body.push_str(&paragraphs(self, desc));
        }
        if let Some(rec) = d.narration(&AudioTarget::Asset(id.clone()), lang) {
            body.push_str(&self.narration(rec));
        }
        if let Some(story) = d.stories.get(id.as_str()).filter(|_| m.kind == AssetKind::Model) {
            body.push_str(&self.story(d, &id, story, lang));
        }
        // The metadata panel.
        let mut dl = String::new();
        let mut row = |label: &str, value: String| {
            dl.push_str(&format!("<dt>{}</dt><dd>{value}</dd>", esc(self.t(label))));
        };
        row("label.kind", esc(&d.kind_label(m.kind, lang)));
        if let Some(s) = site {
            row(
                "label.site",
                format!(
                    "<a href=\"{ROOT}{lang}/sites/{}/\">{}</a>",
                    esc(&s.id),
                    self.shown(&d.site_name(s, lang))
                ),
            );
        }
        let date = a
            .meta
            .date
            .clone()
            .or_else(|| m.metadata.taken_at.as_deref().map(|t| t.chars().take(10).collect()));
        if let Some(date) = &date {
            row("label.date", esc(date));
        }
        if let Some(c) = &a.meta.creator {
            row("label.creator", esc(c));
        }
        if let Some(r) = &a.meta.rights {
            let label = vocab::rights()
                .get(r)
                .and_then(|t| shown(&t.label, lang))
                .map_or_else(|| r.clone(), |s| s.text);
            row(
                "label.rights",
                format!("<a href=\"{}\" rel=\"license\">{}</a>", esc(r), esc(&label)),
            );
        }
        for (field, label) in [("subject", "label.subject"), ("coverage", "label.coverage")] {
            if let Some(t) = a.meta.text(field).and_then(|t| shown(t, lang)) {
                row(label, self.shown(&t));
            }
        }
        if let (Some(w), Some(h)) = (m.width, m.height) {
            row("label.size", format!("{w} × {h} px"));
        }
        body.push_str(&format!(
            "<section aria-labelledby=\"h-details\"><h2 id=\"h-details\">{}</h2><dl class=\"facts\">{dl}</dl></section>\n",
            esc(self.t("label.details"))
        ));
        let tours = d.tours_with(&id);
        if !tours.is_empty() {
            body.push_str(&format!(
                "<section aria-labelledby=\"h-tours\"><h2 id=\"h-tours\">{}</h2><ul class=\"links\">",
                esc(self.t("tour.in"))
            ));
            for t in tours {
                body.push_str(&format!(
                    "<li><a href=\"{ROOT}{lang}/tours/{}/#{id}\">{}</a> · <a href=\"{ROOT}{lang}/tours/{}/marzipano/\">{}</a></li>",
                    esc(&t.id),
                    self.shown(&d.tour_title(t, lang)),
                    esc(&t.id),
                    esc(self.t("tour.marzipano")),
                ));
            }
            body.push_str("</ul></section>\n");
        }
        body.push_str(&self.share(&path, &format!("assets/{id}")));
        // JSON-LD: the asset, and the place it shows.
        let asset_url = format!("{}/media/{id}", self.base);
        let types = match m.kind {
            AssetKind::Photo => json!(["ImageObject", "Photograph"]),
            AssetKind::Panorama => json!("ImageObject"),
            AssetKind::Model => json!("3DModel"),
        };
        let mut ld = json!({
            "@context": "https://schema.org",
            "@type": types,
            "@id": format!("{}#asset", self.url(lang, &path)),
            "name": title.text,
            "url": self.url(lang, &path),
            "inLanguage": lang,
            "image": format!("{}/og/{lang}/assets/{id}.jpg", self.base),
        });
        if let Some(desc) = &description {
            ld["description"] = json!(desc.text);
        }
        let content = match m.kind {
            AssetKind::Model => der("model").map(|x| (x.path.clone(), "model/gltf-binary")),
            _ => der("display").map(|x| (x.path.clone(), "image/jpeg")),
        };
        if let Some((p, mime)) = content {
            ld["contentUrl"] = json!(format!("{asset_url}/{p}"));
            ld["encodingFormat"] = json!(mime);
        }
        if let Some(t) = der("thumb") {
            ld["thumbnailUrl"] = json!(format!("{asset_url}/{}", t.path));
        }
        if let (Some(story), Some(model)) = (d.stories.get(id.as_str()), der("model")) {
            ld["comment"] = crate::exports::story_ld(story, &format!("{asset_url}/{}", model.path));
        }
        if let Some(c) = &a.meta.creator {
            ld["creator"] = json!({"@type": "Organization", "name": c});
            ld["creditText"] = json!(c);
        }
        if let Some(r) = &a.meta.rights {
            ld["license"] = json!(r);
        }
        if let Some(date) = &date {
            ld["dateCreated"] = json!(date);
        }
        if let Some(s) = site {
            let mut place = json!({
                "@type": ["TouristAttraction", "LandmarksOrHistoricalBuildings"],
                "@id": format!("{}#place", self.url(lang, &page_path(PageKind::Site(&s.id)))),
                "name": d.site_name(s, lang).text,
                "url": self.url(lang, &page_path(PageKind::Site(&s.id))),
            });
            if let (Some(lat), Some(lon)) = (s.lat, s.lon) {
                place["geo"] = json!({"@type": "GeoCoordinates", "latitude": lat, "longitude": lon});
            }
            ld["contentLocation"] = place;
        } else if let Some(g) = &m.metadata.gps {
            ld["contentLocation"] =
                json!({"@type": "Place", "geo": {"@type": "GeoCoordinates", "latitude": g.lat, "longitude": g.lon}});
        }
        head.jsonld = Some(ld);
        Ok(self.page(head, &body))
    }

    /// The tour's Marzipano page and its `data.js` (`<lang>/tours/<id>/marzipano/`).
    fn marzipano_tour(&self, t: &Tour, layouts: &HashMap<String, MarzipanoLayout>) -> Result<(String, String)> {
        let (d, lang) = (self.d, self.lang);
        let root = "../../../../";
        let scenes = t
            .scenes
            .iter()
            .map(|s| {
                let layout = &layouts[&s.asset];
                let mut scene = marzipano::scene_json(t, s, layout, lang, &|a| d.scene_title(t, a, lang).text);
                scene["tiles"] = json!(format!("{root}media/{}/marzipano/", s.asset));
                scene
            })
            .collect();
        let title = d.tour_title(t, lang).text;
        let js = marzipano::data_js(
            scenes,
            &title,
            "// Written by `disan web build`: the tour as `disan tour export --format marzipano` lays it out.\n",
        );
        let html = marzipano::index_html(
            &title,
            lang,
            &format!("{root}static/marzipano/marzipano.js"),
            Some(MARZIPANO_CSP),
            "",
        );
        Ok((html, js))
    }

    /// The narrated tour player (`tour::guide`), with this page's texts and narration.
    fn guide(&self, t: &Tour) -> String {
        let d = self.d;
        let lang = self.lang;
        let parts = guide::GuideParts {
            title: &|asset| d.scene_title(t, asset, lang).text,
            scene_text: &|asset| {
                d.asset(asset)
                    .and_then(|a| shown(&a.meta.description, lang))
                    .map(|x| x.text)
                    .unwrap_or_default()
            },
            text: &|text| shown(text, lang).map(|x| x.text).unwrap_or_default(),
            audio: &|target| d.narration(target, lang).cloned(),
            src: &|r| format!("{ROOT}{}", Data::narration_path(r)),
        };
        guide::controls(lang, &guide::steps(t, &parts))
    }

    fn tour(&self, t: &Tour) -> Result<String> {
        let d = self.d;
        let lang = self.lang;
        let path = page_path(PageKind::Tour(&t.id));
        let title = d.tour_title(t, lang);
        let mut scenes = serde_json::Map::new();
        for s in &t.scenes {
            let a = d.asset(&s.asset).expect("tours keep published scenes only");
            let p = a.manifest.pano_tiles.as_ref().expect("tours keep panoramas only");
            let pano = crate::tour::scene_pyramid_at(&d.asset_dir(a), &p.config)?;
            let folder = std::path::Path::new(&p.config)
                .parent()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            let parts = pannellum::SceneParts {
                base_path: format!("{ROOT}media/{}/{folder}", s.asset),
                title: &|asset| d.scene_title(t, asset, lang).text,
                text: &|text| shown(text, lang).map(|x| x.text).unwrap_or_default(),
                info_asset: &|asset| ("URL", json!(format!("{ROOT}{lang}/assets/{asset}/"))),
            };
            scenes.insert(s.asset.clone(), pannellum::scene_json(t, s, &pano, &parts));
        }
        let config = pannellum::tour_json(t, scenes);
        let mut list = String::new();
        for s in &t.scenes {
            list.push_str(&format!(
                "<li><a href=\"{ROOT}{lang}/assets/{}/\">{}</a></li>",
                esc(&s.asset),
                self.shown(&d.scene_title(t, &s.asset, lang))
            ));
        }
        let guide = self.guide(t);
        let body = format!(
            "<h1>{}</h1>\n<div class=\"pano tour\" id=\"tour\" tabindex=\"0\" role=\"application\" aria-label=\"{}\"></div>\n\
             <script type=\"application/json\" id=\"tour-config\">{}</script>\n<p class=\"hint\">{}</p>\n\
             {guide}<p><a href=\"marzipano/\">{}</a></p>\n<h2>{}</h2><ol class=\"links\">{list}</ol>\n",
            self.shown(&title),
            esc(&title.text),
            json_in_html(&config),
            esc(self.t("pano.hint")),
            esc(self.t("tour.marzipano")),
            esc(&fill(self.t("tour.scenes"), "n", &t.scenes.len().to_string())),
        );
        let mut head = Head::new(
            path.clone(),
            title.text.clone(),
            format!("{} · {}", self.t("kind.tour"), title.text),
        );
        head.css.push("pannellum/pannellum.css");
        head.scripts.push("pannellum/pannellum.js");
        head.scripts.push("guide.js");
        head.og_image = self.og(&format!("tours/{}", t.id));
        head.og_alt = title.text.clone();
        head.jsonld = Some(json!({
            "@context": "https://schema.org",
            "@type": "CreativeWork",
            "name": title.text,
            "url": self.url(lang, &path),
            "inLanguage": lang,
            "image": format!("{}/og/{lang}/tours/{}.jpg", self.base, t.id),
        }));
        Ok(self.page(head, &body))
    }
}

/// The home page's "newest": the assets added on the latest day first, and those of one day by when they were
/// captured, latest first (one ingest run adds its files in an order of its own: the largest first), then
/// without a capture time, then by when they were added and by id.
fn newest_first(assets: &[PublicRecord]) -> Vec<&PublicRecord> {
    fn day(r: &PublicRecord) -> &str {
        r.ingested_at.get(..10).unwrap_or(&r.ingested_at)
    }
    let mut newest: Vec<&PublicRecord> = assets.iter().collect();
    newest.sort_by(|a, b| {
        day(b)
            .cmp(day(a))
            .then(b.manifest.metadata.taken_at.cmp(&a.manifest.metadata.taken_at))
            .then(b.ingested_at.cmp(&a.ingested_at))
            .then(a.manifest.id.cmp(&b.manifest.id))
    });
    newest
}

/// The page for visitors whose language is none of the site's: the language choice for the home page,
/// else the page in the first language.
fn x_default(base: &str, first: &str, path: &str) -> String {
    if path.is_empty() {
        format!("{base}/")
    } else {
        format!("{base}/{first}/{path}")
    }
}

fn size_attrs(w: Option<u32>, h: Option<u32>) -> String {
    match (w, h) {
        (Some(w), Some(h)) => format!(" width=\"{w}\" height=\"{h}\""),
        _ => String::new(),
    }
}

/// A text as paragraphs (blank lines separate them), marked when it stands in for a translation.
/// A number for an HTML attribute: up to six decimals, no exponent, no trailing zeros.
fn num(x: f64) -> String {
    let s = format!("{:.6}", if x.is_finite() { x } else { 0.0 });
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

fn paragraphs(p: &Pages<'_>, s: &Shown) -> String {
    let mut out = String::from("<div class=\"text\"");
    if s.fallback {
        out.push_str(&format!(" lang=\"{}\"", esc(&s.lang)));
    }
    out.push('>');
    for para in s.text.split("\n\n").map(str::trim).filter(|x| !x.is_empty()) {
        out.push_str(&format!("<p>{}</p>", esc(para).replace('\n', "<br>")));
    }
    if s.fallback {
        out.push_str(&format!(
            "<p><small class=\"untranslated\" lang=\"{}\">({})</small></p>",
            esc(p.lang),
            esc(p.t("untranslated"))
        ));
    }
    out.push_str("</div>\n");
    out
}

/// What scripts a page may run: its own files only (the viewers are bundled), WebAssembly for model-viewer's
/// decoders, workers and images from blobs (three.js), and nothing remote.
const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
                   img-src 'self' data: blob:; connect-src 'self' data: blob:; worker-src 'self' blob:; \
                   media-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'";

/// The Marzipano page's policy: its script is inline (it is the tour export's page), nothing remote.
const MARZIPANO_CSP: &str = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; \
                             img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'self'";

/// `index.html` at the root: a language choice.
fn root_page(d: &Data, base: &str) -> String {
    let mut links = String::new();
    let mut alternates = String::new();
    for l in &d.langs {
        let name = shown(&d.name, l).map(|s| s.text).unwrap_or_default();
        links.push_str(&format!(
            "<li><a href=\"{l}/\" lang=\"{l}\" hreflang=\"{l}\"><span class=\"card-title\">{}</span><span class=\"card-kind\">{}</span></a></li>",
            esc(d.t(l, "lang.name")),
            esc(&name)
        ));
        alternates.push_str(&format!(
            "<link rel=\"alternate\" hreflang=\"{l}\" href=\"{}\">\n",
            esc(&format!("{base}/{l}/"))
        ));
    }
    let first = &d.langs[0];
    let name = shown(&d.name, first).map(|s| s.text).unwrap_or_default();
    format!(
        "<!DOCTYPE html>\n<html lang=\"{first}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n<title>{}</title>\n\
         <meta name=\"description\" content=\"{}\">\n<link rel=\"canonical\" href=\"{}\">\n{alternates}\
         <link rel=\"alternate\" hreflang=\"x-default\" href=\"{}\">\n\
         <link rel=\"stylesheet\" href=\"static/site.css\">\n<link rel=\"icon\" href=\"data:,\">\n</head>\n<body>\n\
         <main id=\"main\" class=\"choose\">\n<h1>{}</h1>\n<p class=\"lead\">{}</p>\n<nav aria-label=\"{}\"><ul class=\"cards langs-big\">{links}</ul></nav>\n</main>\n</body>\n</html>\n",
        esc(&name),
        esc(d.t(first, "home.intro")),
        esc(&format!("{base}/")),
        esc(&format!("{base}/")),
        esc(&name),
        esc(d.t(first, "home.intro")),
        esc(d.t(first, "lang.choose")),
    )
}

fn not_found_page(d: &Data) -> String {
    let mut links = String::new();
    for l in &d.langs {
        links.push_str(&format!(
            "<li><a href=\"/{l}/\" lang=\"{l}\">{}</a></li>",
            esc(d.t(l, "nav.home"))
        ));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>404</title>\n<link rel=\"stylesheet\" href=\"/static/site.css\">\n</head>\n<body>\n<main id=\"main\" class=\"choose\"><h1>404</h1><ul class=\"links\">{links}</ul></main>\n</body>\n</html>\n",
        d.langs[0]
    )
}

/// A printable A4 sign for a site: its name in every language, a QR code per language, a short text and
/// the credits.
fn sign_page(d: &Data, base: &str, s: &Site) -> String {
    let mut names = String::new();
    let mut codes = String::new();
    for l in &d.langs {
        let n = d.site_name(s, l);
        if !n.fallback {
            names.push_str(&format!("<p class=\"sign-name\" lang=\"{l}\">{}</p>", esc(&n.text)));
        }
        codes.push_str(&format!(
            "<figure lang=\"{l}\"><img src=\"../qr/{l}/sites/{}.svg\" width=\"200\" height=\"200\" alt=\"{}\">\
             <figcaption>{}<br><small>{}</small></figcaption></figure>",
            esc(&s.id),
            esc(&format!("{}: {base}/{l}/sites/{}/", d.t(l, "share.qr"), s.id)),
            esc(d.t(l, "sign.scan")),
            esc(&format!("{base}/{l}/sites/{}/", s.id)),
        ));
    }
    let first = &d.langs[0];
    let intro = shown(&s.description, first)
        .map(|x| summary(&x.text, 280))
        .unwrap_or_default();
    let mut credits: Vec<String> = d
        .assets_of(&s.id)
        .iter()
        .filter_map(|a| a.meta.creator.clone())
        .collect();
    credits.sort();
    credits.dedup();
    let credit = if credits.is_empty() {
        String::new()
    } else {
        format!(
            "<p class=\"sign-credit\">{}</p>",
            esc(&fill(d.t(first, "credit.by"), "who", &credits.join(", ")))
        )
    };
    let title = d.site_name(s, first).text;
    format!(
        "<!DOCTYPE html>\n<html lang=\"{first}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n<title>{}</title>\n<link rel=\"stylesheet\" href=\"../static/site.css\">\n\
         <link rel=\"icon\" href=\"data:,\">\n</head>\n<body class=\"sign\">\n<main id=\"main\" class=\"sign-page\">\n<h1 class=\"sign-title\">{}</h1>\n{names}\n\
         <p class=\"sign-text\">{}</p>\n<div class=\"sign-codes\">{codes}</div>\n{credit}\n</main>\n</body>\n</html>\n",
        esc(&title),
        esc(&title),
        esc(&intro),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, ingested_at: &str, taken_at: Option<&str>) -> PublicRecord {
        let mut manifest: disan_core::AssetManifest = serde_json::from_value(json!({
            "id": id,
            "kind": "photo",
            "source": {"file_name": "a.jpg", "bytes": 1, "blake3": "", "format": "jpeg"},
            "metadata": {},
            "derivatives": {},
            "settings_version": 1
        }))
        .unwrap();
        manifest.metadata.taken_at = taken_at.map(str::to_owned);
        PublicRecord {
            manifest,
            state: "published".into(),
            site: None,
            meta: Default::default(),
            ingested_at: ingested_at.into(),
        }
    }

    #[test]
    fn newest_is_the_latest_day_then_the_latest_capture() {
        let assets = [
            record("1111111111111111", "2026-12-01T09:00:00Z", Some("2024-05-01T10:00:00")),
            // One run the next day, committed largest first: the capture time orders it.
            record("2222222222222222", "2026-12-02T08:00:01Z", Some("2019-03-02T07:00:00")),
            record("3333333333333333", "2026-12-02T08:00:03Z", Some("2025-01-01T12:00:00")),
            record("4444444444444444", "2026-12-02T08:00:02Z", None),
            record("5555555555555555", "2026-12-02T08:00:00Z", Some("2025-01-01T13:00:00")),
        ];
        let order: Vec<String> = newest_first(&assets)
            .iter()
            .map(|r| r.manifest.id.to_string()[..1].to_owned())
            .collect();
        assert_eq!(order, ["5", "3", "2", "4", "1"]);
    }
}
