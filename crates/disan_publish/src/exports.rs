//! Exports for the world outside: IIIF Presentation 3 manifests and a collection, schema.org JSON-LD per
//! site, and a Dublin Core CSV. Published assets only unless asked otherwise. A folder of exports is
//! replaced as a whole, so a withdrawn asset's manifest does not linger.

use std::path::{Path, PathBuf};

use disan_core::{AssetKind, LangText, REQUIRED_LANGS};
use serde::Serialize;
use serde_json::{Value, json};

use disan_catalog::{Catalog, PublicRecord as Item, Site, vocab};

use crate::{PublishError, Result, UnknownChoice};

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
    type Err = UnknownChoice;
    fn from_str(s: &str) -> Result<Self, UnknownChoice> {
        match s.to_ascii_lowercase().as_str() {
            "iiif" => Ok(Self::Iiif),
            "jsonld" | "json-ld" => Ok(Self::Jsonld),
            "dc" | "dublin-core" => Ok(Self::Dc),
            _ => Err(UnknownChoice {
                given: s.to_owned(),
                what: "export formats",
                choices: "iiif, jsonld, dc",
            }),
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

/// A story as schema.org: one `Comment` per annotation (name = title, text, position = its number), its point
/// in model coordinates as three `PropertyValue`s in metres.
pub fn story_ld(story: &disan_catalog::Story, model: &str) -> Value {
    Value::Array(
        story
            .annotations
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let point: Vec<Value> = ["x", "y", "z"]
                    .iter()
                    .zip(a.position)
                    .map(|(k, v)| json!({"@type": "PropertyValue", "propertyID": k, "value": v, "unitCode": "MTR"}))
                    .collect();
                let mut c = json!({
                    "@type": "Comment",
                    "@id": format!("{model}#annotation-{}", a.id),
                    "identifier": a.id,
                    "position": i + 1,
                    "name": ld_text(&a.title),
                    "additionalProperty": point,
                });
                if !a.text.is_empty() {
                    c["text"] = ld_text(&a.text);
                }
                c
            })
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
        "ply" => "application/ply",
        _ => "application/octet-stream",
    }
}

/// Writes a folder of files next to `dir`, then swaps it in for `dir`.
fn replace_dir(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    disan_fs::replace_dir(dir, |fresh| {
        for (rel, bytes) in files {
            disan_fs::write_new(&fresh.join(rel), bytes, false)?;
        }
        Ok(())
    })
}

fn pretty(v: &Value) -> Vec<u8> {
    let mut s = serde_json::to_vec_pretty(v).expect("JSON values serialise");
    s.push(b'\n');
    s
}

/// Writes an export into `out` (usually `<collection>/exports`). Only published assets unless
/// `include_all`; URLs start with the collection's public base URL (`disan publish`).
pub fn export(catalog: &Catalog, format: ExportFormat, out: &Path, include_all: bool) -> Result<ExportSummary> {
    let items = catalog.public_records(include_all)?;
    let base = catalog.public_base_url()?.trim_end_matches('/').to_owned();
    let sites: Vec<Site> = catalog.sites(false)?;
    match format {
        ExportFormat::Iiif => export_iiif(catalog, &items, &sites, &base, out),
        ExportFormat::Jsonld => export_jsonld(catalog, &items, &sites, &base, out),
        ExportFormat::Dc => export_dc(catalog, &items, &sites, out),
    }
}

fn export_iiif(catalog: &Catalog, items: &[Item], sites: &[Site], base: &str, out: &Path) -> Result<ExportSummary> {
    let root = format!("{base}/exports/iiif");
    let mut files = Vec::new();
    let mut entries = Vec::new();
    let audio = catalog.audio_list()?;
    for it in items {
        let mut manifest = iiif_manifest(it, sites, base, &root);
        if it.manifest.kind == AssetKind::Model {
            let id = it.manifest.id.to_string();
            let story = catalog.story(&id)?;
            if !story.annotations.is_empty() {
                let model = format!("{base}/assets/{id}/model/model.glb");
                manifest["annotations"] = json!([story_page(
                    &story,
                    &format!("{root}/{id}/annotations"),
                    &model,
                    base,
                    &id,
                    &audio
                )]);
            }
        }
        entries.push(json!({
            "id": manifest["id"],
            "type": "Manifest",
            "label": manifest["label"],
            "thumbnail": manifest["thumbnail"],
        }));
        files.push((format!("{}.json", it.manifest.id), pretty(&manifest)));
    }
    let name = catalog
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

fn export_dc(catalog: &Catalog, items: &[Item], sites: &[Site], out: &Path) -> Result<ExportSummary> {
    let langs = catalog.languages()?;
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
    let csv_err = |e: csv::Error| PublishError::Encode {
        what: "dc.csv".into(),
        reason: e.to_string(),
    };
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
    let bytes = w.into_inner().map_err(|e| PublishError::Encode {
        what: "dc.csv".into(),
        reason: e.to_string(),
    })?;
    disan_fs::write_atomic(&out.join("dc.csv"), &bytes)?;
    Ok(ExportSummary {
        format: ExportFormat::Dc,
        files: vec!["dc.csv".into()],
        assets: items.len(),
        sites: 0,
    })
}

/// A relic's story as a IIIF annotation page: one `describing` annotation per annotation, in story order,
/// whose target is the point on the model (a `SpecificResource` of the glTF with a `PointSelector` carrying
/// x, y and z in the model's coordinates, as the IIIF 3D drafts do), whose label is the title and whose bodies
/// are the text in each language (`TextualBody`) and the narration in each language (`Sound`).
fn story_page(
    story: &disan_catalog::Story,
    page_id: &str,
    model: &str,
    base: &str,
    asset: &str,
    audio: &[disan_catalog::audio::AudioEntry],
) -> Value {
    let items: Vec<Value> = story
        .annotations
        .iter()
        .map(|a| {
            let mut body: Vec<Value> = a
                .text
                .iter()
                .map(|(lang, text)| json!({"type": "TextualBody", "value": text, "language": lang, "format": "text/plain"}))
                .collect();
            for e in audio {
                if let disan_catalog::audio::AudioTarget::Annotation { asset: x, annotation } = &e.target
                    && x == asset
                    && annotation == &a.id
                {
                    body.push(json!({
                        "id": format!("{base}/{}", e.record.file),
                        "type": "Sound",
                        "format": "audio/mpeg",
                        "duration": (e.record.seconds * 1000.0).round() / 1000.0,
                        "language": e.lang,
                    }));
                }
            }
            let [x, y, z] = a.position;
            let mut v = json!({
                "id": format!("{page_id}/{}", a.id),
                "type": "Annotation",
                "motivation": "describing",
                "label": lang_map(&a.title, Some(&a.id)),
                "target": {
                    "type": "SpecificResource",
                    "source": {"id": model, "type": "Model", "format": "model/gltf-binary"},
                    "selector": [{"type": "PointSelector", "x": x, "y": y, "z": z}],
                },
            });
            if !body.is_empty() {
                v["body"] = Value::Array(body);
            }
            v
        })
        .collect();
    json!({"id": page_id, "type": "AnnotationPage", "items": items})
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

fn export_jsonld(catalog: &Catalog, items: &[Item], sites: &[Site], base: &str, out: &Path) -> Result<ExportSummary> {
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
                // The relic's story: each annotation a Comment on the model, in order, with its point.
                let story = catalog.story(&it.manifest.id.to_string()).unwrap_or_default();
                if !story.annotations.is_empty() {
                    o["comment"] = story_ld(&story, &format!("{asset}/model/model.glb"));
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
