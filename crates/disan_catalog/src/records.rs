//! Assets as the exports and the website read them: manifest, state, site and curated metadata in one pass.

use disan_core::{AssetManifest, Metadata};

use crate::curate::load_all_metadata;
use crate::{Catalog, CatalogError, Result};

/// One asset with everything an export shows of it.
#[derive(Clone, Debug)]
pub struct PublicRecord {
    pub manifest: AssetManifest,
    pub state: String,
    /// The site's id.
    pub site: Option<String>,
    pub meta: Metadata,
    /// When the asset first entered the catalogue (RFC 3339).
    pub ingested_at: String,
}

impl Catalog {
    /// Published assets (every asset with `include_all`), by id.
    pub fn public_records(&self, include_all: bool) -> Result<Vec<PublicRecord>> {
        let all = self.sql(load_all_metadata(&self.conn))?;
        let mut stmt = self.sql(self.conn.prepare(
            "SELECT id, state, site_id, manifest, ingested_at FROM assets WHERE ?1 OR state = 'published' ORDER BY id",
        ))?;
        let rows = self.sql(stmt.query_map([include_all], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        }))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, state, site, manifest, ingested_at) = self.sql(row)?;
            let manifest: AssetManifest = serde_json::from_str(&manifest)
                .map_err(|source| CatalogError::BadManifest { id: id.clone(), source })?;
            out.push(PublicRecord {
                meta: all.get(&id).cloned().unwrap_or_default(),
                manifest,
                state,
                site,
                ingested_at,
            });
        }
        Ok(out)
    }
}
