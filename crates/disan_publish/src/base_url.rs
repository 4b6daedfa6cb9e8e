//! `disan publish --base-url`: the URL the collection folder is served from, recorded in the catalogue and
//! written into every IIIF `info.json`.

use std::path::Path;

use disan_catalog::{ASSETS_DIR, CATALOG_FILE, Catalog, CatalogError, PUBLIC_BASE_URL, WriteLock};

use crate::{PublishError, Result};

/// What `disan publish` did.
#[derive(Debug, serde::Serialize)]
pub struct BaseUrlReport {
    pub base_url: String,
    /// IIIF services whose `info.json` now names the new base URL.
    pub iiif_services: u64,
    /// The assets whose `info.json` was rewritten (to upload where the files live in object storage).
    #[serde(skip)]
    pub assets: Vec<String>,
}

/// `base_url` without its trailing `/`, if it is an absolute http(s) URL without query or fragment.
pub(crate) fn check(base_url: &str) -> Result<String> {
    let base = base_url.trim().trim_end_matches('/');
    let valid = (base.starts_with("http://") || base.starts_with("https://"))
        && base.len() > "https://".len()
        && !base
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '"' | '<' | '>' | '\\'));
    if !valid {
        return Err(PublishError::BadBaseUrl(base_url.to_owned()));
    }
    Ok(base.to_owned())
}

/// Records the URL the collection folder will be served from and rewrites the `id` of every IIIF
/// `info.json` to `<base>/assets/<id>/iiif`. Each file is replaced atomically; running it again (after an
/// interruption, or with another URL) is always safe.
pub fn set_base_url(collection: &Path, base_url: &str) -> Result<BaseUrlReport> {
    let base = check(base_url)?;
    let base = base.as_str();
    let embedded = disan_catalog::CollectionConfig::read(collection)?.catalog == disan_catalog::CatalogLocation::Sqlite;
    if embedded && !collection.join(CATALOG_FILE).is_file() {
        return Err(CatalogError::NoCollection(collection.to_owned()).into());
    }
    let _lock = WriteLock::acquire(collection)?;
    let mut catalog = Catalog::open_for_edit(collection)?;
    catalog.set_property(PUBLIC_BASE_URL, base)?;
    let mut assets = Vec::new();
    for asset in catalog.list(None)? {
        let Some(iiif) = &asset.manifest.iiif else {
            continue;
        };
        let id = asset.id();
        let path = disan_fs::confine(&collection.join(ASSETS_DIR).join(&id), &iiif.info)?;
        let bad = |reason: String| PublishError::BadFile {
            path: path.clone(),
            reason,
        };
        let text = std::fs::read(&path).map_err(disan_fs::FsError::io(&path))?;
        let mut info: serde_json::Value = serde_json::from_slice(&text).map_err(|e| bad(e.to_string()))?;
        disan_tiles::iiif::rewrite_info_id(&mut info, &format!("{base}/assets/{id}/iiif"))
            .map_err(|e| bad(e.to_string()))?;
        let json = serde_json::to_vec_pretty(&info).expect("JSON values serialise");
        disan_fs::write_atomic(&path, &json)?;
        assets.push(id);
    }
    Ok(BaseUrlReport {
        base_url: base.to_owned(),
        iiif_services: assets.len() as u64,
        assets,
    })
}
