//! Exports for the world outside: IIIF Presentation 3 manifests and a collection, schema.org JSON-LD per
//! site, and a Dublin Core CSV. Published assets only unless asked otherwise. A folder of exports is
//! replaced as a whole, so a withdrawn asset's manifest does not linger.

use std::path::{Path, PathBuf};

use disan_core::{AssetKind, AssetManifest, LangText, Metadata, REQUIRED_LANGS};
use serde::Serialize;
use serde_json::{Value, json};

use crate::csv_io::write_atomic as write_file_atomic;
use crate::curate::load_all_metadata;
use crate::sites::Site;
use crate::{Catalog, CatalogError, Result, vocab};

/// What `disan export` can write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// IIIF Presentation 3: `iiif/<id>.json` per asset and `iiif/collection.json`.
    Iiif,
    /// schema.org JSON-LD: `jsonld/<site>.jsonld` per site.
    Jsonld,
    /// Dublin Core: `dc.csv`.
    Dc,
}

impl std::str::FromStr for ExportFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "iiif" => Ok(Self::Iiif),
            "jsonld" | "json-ld" => Ok(Self::Jsonld),
            "dc" | "dublin-core" => Ok(Self::Dc),
            _ => Err(format!("{s:?}: export formats are iiif, jsonld, dc")),
        }
    }
}

/// What an export wrote.
#[derive(Clone, Debug, Serialize)]
pub struct ExportSummary {
    pub format: ExportFormat,
    /// Files written, relative to the export folder.
    pub files: Vec<String>,
    pub assets: usize,
    pub sites: usize,
}

struct Item {
    manifest: AssetManifest,
    site: Option<String>,
    meta: Metadata,
}

/// A IIIF language map: `{"vi": ["…"], …}`, or `{"none": [fallback]}` when there is no text.
fn lang_map(t: &LangText, fallback: Option<&str>) -> Value {
    let mut m = serde_json::Map::new();
    for (lang, text) in t.iter() {
        m.insert(lang.to_owned(), json!([text]));
    }
    if m.is_empty()
        && let Some(f) = fallback
    {
        m.insert("none".into(), json!([f]));
    }
    Value::Object(m)
}

fn labels(vi: &str, en: &str, zh: &str) -> Value {
    json!({"vi": [vi], "en": [en], "zh-Hans": [zh]})
}

fn term_map(v: &vocab::Vocabulary, id: &str) -> Option<Value> {
    v.get(id).map(|t| lang_map(&t.label, Some(id)))
}

/// JSON-LD language-tagged values.
fn ld_text(t: &LangText) -> Value {
    Value::Array(
        t.iter()
            .map(|(lang, text)| json!({"@value": text, "@language": lang}))
            .collect(),
    )
}

fn mime(format: &str) -> &'static str {
    match format {
        "jpeg" => "image/jpeg",
        "png" => "image/png",
        "tiff" => "image/tiff",
        "webp" => "image/webp",
        "glb" => "model/gltf-binary",
        "gltf" => "model/gltf+json",
        "obj" => "model/obj",
        _ => "application/octet-stream",
    }
}

/// Writes a folder of files next to `dir`, then swaps it in for `dir`.
fn replace_dir(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| CatalogError::Io { path, source }
    };
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("export");
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let fresh = parent.join(format!(".{name}.new-{}", std::process::id()));
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    if fresh.exists() {
        std::fs::remove_dir_all(&fresh).map_err(io(&fresh))?;
    }
    for (rel, bytes) in files {
        let path = fresh.join(rel);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).map_err(io(p))?;
        }
        std::fs::write(&path, bytes).map_err(io(&path))?;
    }
    std::fs::create_dir_all(&fresh).map_err(io(&fresh))?;
    if dir.exists() {
        std::fs::rename(dir, &old).map_err(io(dir))?;
    }
    std::fs::rename(&fresh, dir).map_err(io(dir))?;
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(io(&old))?;
    }
    Ok(())
}

fn pretty(v: &Value) -> Vec<u8> {
    let mut s = serde_json::to_vec_pretty(v).expect("JSON values serialise");
    s.push(b'\n');
    s
}

impl Catalog {
    fn export_items(&self, include_all: bool) -> Result<Vec<Item>> {
        let all = self.sql(load_all_metadata(&self.conn))?;
        let mut stmt = self
            .sql(self.conn.prepare(
                "SELECT id, state, site_id, manifest FROM assets WHERE ?1 OR state = 'published' ORDER BY id",
            ))?;
        let rows = self.sql(stmt.query_map([include_all], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
            ))
        }))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, _state, site, manifest) = self.sql(row)?;
            let manifest: AssetManifest = serde_json::from_str(&manifest)
                .map_err(|source| CatalogError::BadManifest { id: id.clone(), source })?;
            out.push(Item {
                meta: all.get(&id).cloned().unwrap_or_default(),
                manifest,
                site,
            });
        }
        Ok(out)
    }

    /// Writes an export into `out` (usually `<collection>/exports`). Only published assets unless
    /// `include_all`; URLs start with the collection's public base URL (`disan publish`).
    pub fn export(&self, format: ExportFormat, out: &Path, include_all: bool) -> Result<ExportSummary> {
        let items = self.export_items(include_all)?;
        let base = self.public_base_url()?.trim_end_matches('/').to_owned();
        let sites: Vec<Site> = self.sites(false)?;
        match format {
            ExportFormat::Iiif => self.export_iiif(&items, &sites, &base, out),
            ExportFormat::Jsonld => export_jsonld(&items, &sites, &base, out),
            ExportFormat::Dc => self.export_dc(&items, &sites, out),
        }
    }

    fn export_iiif(&self, items: &[Item], sites: &[Site], base: &str, out: &Path) -> Result<ExportSummary> {
        let root = format!("{base}/exports/iiif");
        let mut files = Vec::new();
        let mut entries = Vec::new();
        for it in items {
            let manifest = iiif_manifest(it, sites, base, &root);
            entries.push(json!({
                "id": manifest["id"],
                "type": "Manifest",
                "label": manifest["label"],
                "thumbnail": manifest["thumbnail"],
            }));
            files.push((format!("{}.json", it.manifest.id), pretty(&manifest)));
        }
        let name = self
            .property("collection_name")?
            .or_else(|| {
                out.parent()
                    .and_then(|p| p.canonicalize().ok())
                    .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            })
            .unwrap_or_else(|| "Disan".into());
        let collection = json!({
            "@context": "http://iiif.io/api/presentation/3/context.json",
            "id": format!("{root}/collection.json"),
            "type": "Collection",
            "label": {"none": [name]},
            "items": entries,
        });
        files.push(("collection.json".into(), pretty(&collection)));
        replace_dir(&out.join("iiif"), &files)?;
        Ok(ExportSummary {
            format: ExportFormat::Iiif,
            files: files.iter().map(|(f, _)| format!("iiif/{f}")).collect(),
            assets: items.len(),
            sites: 0,
        })
    }

    fn export_dc(&self, items: &[Item], sites: &[Site], out: &Path) -> Result<ExportSummary> {
        let langs = self.languages()?;
        let mut header = vec![
            "dc:identifier".to_owned(),
            "dc:type".into(),
            "dc:format".into(),
            "dc:source".into(),
        ];
        let ml = ["title", "description", "subject", "coverage"];
        for f in ml {
            header.extend(langs.iter().map(|l| format!("dc:{f}@{l}")));
        }
        header.extend(["dc:creator", "dc:date", "dc:rights", "dc:relation"].map(String::from));
        let mut w = csv::WriterBuilder::new().from_writer(b"\xEF\xBB\xBF".to_vec());
        let csv_err = |e: csv::Error| CatalogError::Invalid(format!("dc.csv: {e}"));
        w.write_record(&header).map_err(csv_err)?;
        for it in items {
            let m = &it.manifest;
            let mut rec = vec![
                m.id.to_string(),
                match m.kind {
                    AssetKind::Model => "InteractiveResource".into(),
                    _ => "StillImage".into(),
                },
                mime(&m.source.format).to_owned(),
                m.source.file_name.clone(),
            ];
            for f in ml {
                for l in &langs {
                    rec.push(it.meta.get(f, Some(l)).unwrap_or_default().to_owned());
                }
            }
            let date = it
                .meta
                .date
                .clone()
                .or_else(|| m.metadata.taken_at.as_deref().map(|t| t.chars().take(10).collect()));
            let site = it.site.as_ref().and_then(|s| sites.iter().find(|x| &x.id == s));
            rec.extend([
                it.meta.creator.clone().unwrap_or_default(),
                date.unwrap_or_default(),
                it.meta.rights.clone().unwrap_or_default(),
                site.map(|s| s.display_name("vi")).unwrap_or_default(),
            ]);
            w.write_record(&rec).map_err(csv_err)?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| CatalogError::Invalid(format!("dc.csv: {e}")))?;
        write_file_atomic(&out.join("dc.csv"), &bytes)?;
        Ok(ExportSummary {
            format: ExportFormat::Dc,
            files: vec!["dc.csv".into()],
            assets: items.len(),
            sites: 0,
        })
    }
}

fn iiif_manifest(it: &Item, sites: &[Site], base: &str, root: &str) -> Value {
    let m = &it.manifest;
    let id = m.id.to_string();
    let asset = format!("{base}/assets/{id}");
    let manifest_id = format!("{root}/{id}.json");
    let canvas = format!("{root}/{id}/canvas/1");
    let deriv = |k: &str| m.derivatives.get(k);
    let thumb = deriv("thumb").map(|d| {
        json!([{
            "id": format!("{asset}/{}", d.path),
            "type": "Image",
            "format": "image/jpeg",
            "width": d.width,
            "height": d.height,
        }])
    });
    // What the canvas shows, and its size.
    let (body, w, h) = match (&m.iiif, deriv("display"), deriv("pano_preview"), deriv("thumb")) {
        (Some(_), ..) if m.width.is_some() => {
            let (w, h) = (m.width.unwrap_or(1), m.height.unwrap_or(1));
            (
                json!({
                    "id": format!("{asset}/iiif/full/max/0/default.jpg"),
                    "type": "Image",
                    "format": "image/jpeg",
                    "width": w,
                    "height": h,
                    "service": [{"id": format!("{asset}/iiif"), "type": "ImageService3", "profile": "level0"}],
                }),
                w,
                h,
            )
        }
        (None, Some(d), ..) | (None, None, Some(d), _) | (None, None, None, Some(d)) => {
            let (w, h) = (d.width.unwrap_or(1), d.height.unwrap_or(1));
            (
                json!({"id": format!("{asset}/{}", d.path), "type": "Image", "format": "image/jpeg", "width": w, "height": h}),
                w,
                h,
            )
        }
        _ => (Value::Null, 1, 1),
    };
    let mut metadata = Vec::new();
    let site = it.site.as_ref().and_then(|s| sites.iter().find(|x| &x.id == s));
    if let Some(s) = site {
        metadata.push(json!({"label": labels("Di tích", "Site", "遗址"), "value": lang_map(&s.name, Some(&s.id))}));
        if let Some(v) = s.rank.as_deref().and_then(|r| term_map(vocab::ranks(), r)) {
            metadata.push(json!({"label": labels("Cấp xếp hạng", "Heritage rank", "遗产等级"), "value": v}));
        }
        if let Some(v) = s.relic_type.as_deref().and_then(|r| term_map(vocab::relic_types(), r)) {
            metadata.push(json!({"label": labels("Loại hình", "Type", "类型"), "value": v}));
        }
        if let Some(v) = s.province.as_deref().and_then(|r| term_map(vocab::provinces(), r)) {
            metadata.push(json!({"label": labels("Tỉnh/thành phố", "Province", "省份"), "value": v}));
        }
    }
    let date = it
        .meta
        .date
        .clone()
        .or_else(|| m.metadata.taken_at.as_deref().map(|t| t.chars().take(10).collect()));
    if let Some(d) = &date {
        metadata.push(json!({"label": labels("Ngày", "Date", "日期"), "value": {"none": [d]}}));
    }
    if let Some(c) = &it.meta.creator {
        metadata.push(json!({"label": labels("Tác giả", "Creator", "作者"), "value": {"none": [c]}}));
    }
    for (field, l) in [
        ("subject", labels("Chủ đề", "Subject", "主题")),
        ("coverage", labels("Phạm vi", "Coverage", "范围")),
    ] {
        if let Some(t) = it.meta.text(field).filter(|t| !t.is_empty()) {
            metadata.push(json!({"label": l, "value": lang_map(t, None)}));
        }
    }
    let mut v = json!({
        "@context": "http://iiif.io/api/presentation/3/context.json",
        "id": manifest_id,
        "type": "Manifest",
        "label": lang_map(&it.meta.title, Some(&m.source.file_name)),
        "metadata": metadata,
        "items": [{
            "id": canvas,
            "type": "Canvas",
            "width": w.max(1),
            "height": h.max(1),
            "items": [{
                "id": format!("{canvas}/page/1"),
                "type": "AnnotationPage",
                "items": [{
                    "id": format!("{canvas}/page/1/annotation/1"),
                    "type": "Annotation",
                    "motivation": "painting",
                    "body": body,
                    "target": canvas,
                }],
            }],
        }],
    });
    if !it.meta.description.is_empty() {
        v["summary"] = lang_map(&it.meta.description, None);
    }
    if let Some(r) = &it.meta.rights {
        v["rights"] = json!(r);
    }
    if let Some(c) = &it.meta.creator {
        v["requiredStatement"] = json!({"label": labels("Ghi nguồn", "Attribution", "署名"), "value": {"none": [c]}});
    }
    if let Some(t) = thumb {
        v["thumbnail"] = t;
    }
    let mut rendering = Vec::new();
    if let Some(d) = deriv("pano_config") {
        rendering.push(json!({
            "id": format!("{asset}/{}", d.path),
            "type": "Dataset",
            "label": labels("Ảnh toàn cảnh 360° (Pannellum)", "360° panorama (Pannellum)", "360°全景（Pannellum）"),
            "format": "application/json",
        }));
    }
    if m.kind == AssetKind::Model {
        rendering.push(json!({
            "id": format!("{asset}/model/model.glb"),
            "type": "Model",
            "label": labels("Mô hình 3D (glTF)", "3D model (glTF)", "三维模型（glTF）"),
            "format": "model/gltf-binary",
        }));
    }
    if !rendering.is_empty() {
        v["rendering"] = Value::Array(rendering);
    }
    v
}

fn export_jsonld(items: &[Item], sites: &[Site], base: &str, out: &Path) -> Result<ExportSummary> {
    let mut files = Vec::new();
    let mut count = 0;
    for s in sites {
        let mine: Vec<&Item> = items
            .iter()
            .filter(|i| i.site.as_deref() == Some(s.id.as_str()))
            .collect();
        if mine.is_empty() {
            continue;
        }
        count += 1;
        let mut langs: Vec<String> = Vec::new();
        for t in [&s.name, &s.description] {
            for (l, _) in t.iter() {
                if !langs.iter().any(|x| x == l) {
                    langs.push(l.to_owned());
                }
            }
        }
        for it in &mine {
            for (l, _) in it.meta.title.iter().chain(it.meta.description.iter()) {
                if !langs.iter().any(|x| x == l) {
                    langs.push(l.to_owned());
                }
            }
        }
        langs.sort_by_key(|l| (REQUIRED_LANGS.iter().position(|r| r == l).unwrap_or(9), l.clone()));
        let images: Vec<Value> = mine
            .iter()
            .filter_map(|it| {
                let m = &it.manifest;
                let asset = format!("{base}/assets/{}", m.id);
                let main = m.derivatives.get("display").or_else(|| m.derivatives.get("thumb"))?;
                let mut img = json!({
                    "@type": "ImageObject",
                    "@id": format!("{asset}#image"),
                    "contentUrl": format!("{asset}/{}", main.path),
                    "encodingFormat": "image/jpeg",
                });
                if let Some(t) = m.derivatives.get("thumb") {
                    img["thumbnailUrl"] = json!(format!("{asset}/{}", t.path));
                }
                if let (Some(w), Some(h)) = (main.width, main.height) {
                    img["width"] = json!(w);
                    img["height"] = json!(h);
                }
                if !it.meta.title.is_empty() {
                    img["name"] = ld_text(&it.meta.title);
                }
                if let Some(r) = &it.meta.rights {
                    img["license"] = json!(r);
                }
                if let Some(c) = &it.meta.creator {
                    img["creator"] = json!({"@type": "Organization", "name": c});
                    img["creditText"] = json!(c);
                }
                Some(img)
            })
            .collect();
        let models: Vec<Value> = mine
            .iter()
            .filter(|it| it.manifest.kind == AssetKind::Model)
            .map(|it| {
                let asset = format!("{base}/assets/{}", it.manifest.id);
                let mut o = json!({
                    "@type": "3DModel",
                    "contentUrl": format!("{asset}/model/model.glb"),
                    "encodingFormat": "model/gltf-binary",
                });
                if !it.meta.title.is_empty() {
                    o["name"] = ld_text(&it.meta.title);
                }
                o
            })
            .collect();
        let mut doc = json!({
            "@context": "https://schema.org",
            "@type": ["TouristAttraction", "LandmarksOrHistoricalBuildings"],
            "@id": format!("{base}/exports/jsonld/{}.jsonld#site", s.id),
            "identifier": s.id,
            "availableLanguage": langs,
            "image": images,
        });
        if !s.name.is_empty() {
            doc["name"] = ld_text(&s.name);
        } else {
            doc["name"] = json!(s.id);
        }
        if !s.description.is_empty() {
            doc["description"] = ld_text(&s.description);
        }
        if let (Some(lat), Some(lon)) = (s.lat, s.lon) {
            doc["geo"] = json!({"@type": "GeoCoordinates", "latitude": lat, "longitude": lon});
        }
        if let Some(p) = s.province.as_deref().and_then(|p| vocab::provinces().get(p)) {
            // A former province is shown with the one it became part of.
            let current = p
                .merged_into
                .as_deref()
                .and_then(|c| vocab::provinces().get(c))
                .unwrap_or(p);
            doc["address"] = json!({
                "@type": "PostalAddress",
                "addressRegion": current.label.get("vi"),
                "addressCountry": "VN",
            });
        }
        let mut props = Vec::new();
        if let Some(r) = s.rank.as_deref().and_then(|r| vocab::ranks().get(r)) {
            props.push(json!({"@type": "PropertyValue", "name": "heritageRank", "value": r.id, "description": ld_text(&r.label)}));
        }
        if let Some(t) = s.relic_type.as_deref().and_then(|r| vocab::relic_types().get(r)) {
            props.push(
                json!({"@type": "PropertyValue", "name": "relicType", "value": t.id, "description": ld_text(&t.label)}),
            );
        }
        if !props.is_empty() {
            doc["additionalProperty"] = Value::Array(props);
        }
        if !models.is_empty() {
            doc["subjectOf"] = Value::Array(models);
        }
        files.push((format!("{}.jsonld", s.id), pretty(&doc)));
    }
    replace_dir(&out.join("jsonld"), &files)?;
    Ok(ExportSummary {
        format: ExportFormat::Jsonld,
        files: files.iter().map(|(f, _)| format!("jsonld/{f}")).collect(),
        assets: items.len(),
        sites: count,
    })
}

/// The default export folder of a collection.
pub fn default_dir(collection: &Path) -> PathBuf {
    collection.join("exports")
}
