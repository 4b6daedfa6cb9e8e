//! Sites: the places assets belong to. Ingest suggests them by GPS proximity; curators confirm,
//! rename, merge and split them. Every change is a revision, like asset metadata.

use crate::db::{Connection, OptionalExtension, params};
use disan_core::{GeoPoint, LangText, REQUIRED_LANGS, fold_for_search};
use serde::Serialize;

use crate::curate::{Author, Revision, SiteRef, apply, record};
use crate::fields::{self, Change, Entity};
use crate::{Catalog, CatalogError, Result, search};

/// A site as listed and shown.
#[derive(Clone, Debug, Serialize)]
pub struct Site {
    pub id: String,
    pub name: LangText,
    pub description: LangText,
    pub province: Option<String>,
    pub rank: Option<String>,
    #[serde(rename = "type")]
    pub relic_type: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// False for a site ingest suggested that no curator has confirmed yet.
    pub confirmed: bool,
    /// Set when the site was merged into another.
    pub merged_into: Option<String>,
    /// A curator features the site on the website's home page (`highlight=yes`).
    pub highlight: bool,
    /// Number of assets in the site.
    pub assets: u64,
    pub created_at: String,
}

impl Site {
    /// The name in `lang`, else in another language, else the id.
    pub fn display_name(&self, lang: &str) -> String {
        self.name
            .get_or_fallback(lang, &REQUIRED_LANGS)
            .map(|(_, t)| t.to_owned())
            .unwrap_or_else(|| self.id.clone())
    }
}

/// What a site suggestion pass did.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct SuggestReport {
    /// Assets placed in an existing site: (asset, site).
    pub assigned: Vec<(String, String)>,
    /// Sites created for clusters of assets far from every site: (site, number of assets).
    pub created: Vec<(String, usize)>,
}

fn load_site(conn: &Connection, id: &str) -> crate::db::Result<Option<Site>> {
    let site = conn
        .prepare_cached(
            "SELECT id, province, rank, type, lat, lon, confirmed, merged_into, created_at,
                    (SELECT count(*) FROM assets WHERE site_id = sites.id)
             FROM sites WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok(Site {
                id: r.get(0)?,
                name: LangText::new(),
                description: LangText::new(),
                province: r.get(1)?,
                rank: r.get(2)?,
                relic_type: r.get(3)?,
                lat: r.get(4)?,
                lon: r.get(5)?,
                confirmed: r.get(6)?,
                merged_into: r.get(7)?,
                highlight: false,
                created_at: r.get(8)?,
                assets: r.get::<_, i64>(9)? as u64,
            })
        })
        .optional()?;
    let Some(mut site) = site else { return Ok(None) };
    let mut stmt = conn.prepare_cached("SELECT field, lang, value FROM site_text WHERE site_id = ?1")?;
    let mut rows = stmt.query([id])?;
    while let Some(r) = rows.next()? {
        let (field, lang, value): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        match field.as_str() {
            "name" => site.name.set(&lang, &value),
            "description" => site.description.set(&lang, &value),
            "highlight" => site.highlight = value == "true",
            _ => {}
        }
    }
    Ok(Some(site))
}

/// A readable id from a name: folded, ASCII letters and digits joined by `-` ("Hạ Long" → "ha-long").
pub fn slug(name: &str) -> String {
    let folded = fold_for_search(name);
    let mut out = String::new();
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').chars().take(48).collect()
}

fn unique_id(conn: &Connection, base: &str) -> crate::db::Result<String> {
    let exists = |id: &str| -> crate::db::Result<bool> {
        conn.prepare_cached("SELECT count(*) > 0 FROM sites WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
    };
    if !exists(base)? {
        return Ok(base.to_owned());
    }
    for n in 2.. {
        let id = format!("{base}-{n}");
        if !exists(&id)? {
            return Ok(id);
        }
    }
    unreachable!("some suffix is free")
}

fn insert_site(conn: &Connection, author: &Author<'_>, id: &str, confirmed: bool) -> crate::db::Result<Revision> {
    conn.prepare_cached("INSERT INTO sites (id, created_at, confirmed) VALUES (?1, ?2, ?3)")?
        .execute(params![id, author.at, confirmed])?;
    record(
        conn,
        author,
        Entity::Site,
        id,
        "created",
        if confirmed { "created" } else { "suggested by ingest" },
    )
}

fn validate_site_changes(changes: &[Change]) -> Result<Vec<Change>> {
    changes
        .iter()
        .map(|c| {
            let (field, lang) = fields::parse_key(Entity::Site, &c.key())?;
            let value = fields::normalise_value(Entity::Site, &field, &c.value)?;
            Ok(Change { field, lang, value })
        })
        .collect()
}

fn apply_site_changes(
    conn: &Connection,
    author: &Author<'_>,
    id: &str,
    changes: &[Change],
) -> crate::db::Result<Vec<Revision>> {
    let mut out = Vec::new();
    for c in changes {
        out.extend(apply(
            conn,
            author,
            Entity::Site,
            id,
            &c.field,
            c.lang.as_deref(),
            Some(&c.value),
            None,
        )?);
    }
    if !out.is_empty() {
        search::reindex_site(conn, id)?;
    }
    Ok(out)
}

fn move_assets(
    conn: &Connection,
    author: &Author<'_>,
    ids: &[String],
    site: Option<&str>,
) -> crate::db::Result<Vec<Revision>> {
    let mut out = Vec::new();
    for id in ids {
        if let Some(r) = apply(conn, author, Entity::Asset, id, "site", None, site, None)? {
            search::reindex_asset(conn, id)?;
            out.push(r);
        }
    }
    Ok(out)
}

/// Mean position of the assets with GPS among `ids`.
fn centroid(conn: &Connection, ids: &[String]) -> crate::db::Result<Option<(f64, f64)>> {
    let (mut lat, mut lon, mut n) = (0.0, 0.0, 0.0);
    for id in ids {
        let p: Option<(Option<f64>, Option<f64>)> = conn
            .prepare_cached("SELECT lat, lon FROM assets WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some((Some(a), Some(o))) = p {
            lat += a;
            lon += o;
            n += 1.0;
        }
    }
    Ok((n > 0.0).then(|| (lat / n, lon / n)))
}

impl Catalog {
    /// The id of a site given by id, or by its exact name in any language (ignoring case and diacritics).
    pub fn resolve_site(&self, q: &str) -> Result<String> {
        let q = q.trim();
        let by_id: Option<String> = self.sql(
            self.conn
                .query_row("SELECT id FROM sites WHERE id = ?1", [q], |r| r.get(0))
                .optional(),
        )?;
        if let Some(id) = by_id {
            return Ok(id);
        }
        let want = fold_for_search(q);
        let mut stmt = self.sql(
            self.conn
                .prepare("SELECT DISTINCT site_id, value FROM site_text WHERE field = 'name'"),
        )?;
        let rows = self.sql(stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))))?;
        let mut found: Vec<String> = Vec::new();
        for row in rows {
            let (id, name) = self.sql(row)?;
            if fold_for_search(&name) == want && !found.contains(&id) {
                found.push(id);
            }
        }
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => Err(CatalogError::NoSite(q.to_owned())),
            _ => Err(CatalogError::Ambiguous(q.to_owned(), found.join(", "))),
        }
    }

    pub(crate) fn site_ref(&self, id: &str) -> Result<SiteRef> {
        let s = self.site(id)?;
        Ok(SiteRef {
            id: s.id,
            name: s.name,
            province: s.province,
            rank: s.rank,
            relic_type: s.relic_type,
        })
    }

    /// One site by id or name.
    pub fn site(&self, q: &str) -> Result<Site> {
        let id = self.resolve_site(q)?;
        self.sql(load_site(&self.conn, &id))?.ok_or(CatalogError::NoSite(id))
    }

    /// All sites (merged ones too when `with_merged`), by id.
    pub fn sites(&self, with_merged: bool) -> Result<Vec<Site>> {
        let ids: Vec<String> = self.sql(
            self.conn
                .prepare("SELECT id FROM sites WHERE ?1 OR merged_into IS NULL ORDER BY id")
                .and_then(|mut s| s.query_map([with_merged], |r| r.get(0))?.collect()),
        )?;
        ids.iter()
            .map(|id| {
                self.sql(load_site(&self.conn, id))
                    .map(|s| s.expect("listed site exists"))
            })
            .collect()
    }

    /// Creates a confirmed site. Its id is `id`, or made from its Vietnamese (else English) name.
    pub fn create_site(&mut self, id: Option<&str>, changes: &[Change], author: &str) -> Result<(Site, Vec<Revision>)> {
        let changes = validate_site_changes(changes)?;
        let name = ["vi", "en", "zh-Hans"].iter().find_map(|l| {
            changes
                .iter()
                .find(|c| c.field == "name" && c.lang.as_deref() == Some(*l) && !c.value.is_empty())
        });
        if name.is_none() && id.is_none() {
            return Err(CatalogError::Invalid(
                "a new site needs a name, e.g. name.vi=\"Vịnh Hạ Long\"".into(),
            ));
        }
        let base = match id {
            Some(id) => {
                let s = slug(id);
                if s != id || s.is_empty() {
                    return Err(CatalogError::Invalid(format!(
                        "site id {id:?}: use lower-case ASCII letters, digits and '-' (e.g. {s:?})"
                    )));
                }
                s
            }
            None => Some(slug(&name.expect("checked").value))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "site".into()),
        };
        let author = Author::new(author);
        let err = crate::sql_err(&self.path);
        let tx = self.conn.transaction().map_err(err)?;
        let id = if id.is_some() {
            if load_site(&tx, &base).map_err(err)?.is_some() {
                return Err(CatalogError::Invalid(format!("a site {base:?} exists already")));
            }
            base
        } else {
            unique_id(&tx, &base).map_err(err)?
        };
        let mut revs = vec![insert_site(&tx, &author, &id, true).map_err(err)?];
        revs.extend(apply_site_changes(&tx, &author, &id, &changes).map_err(err)?);
        search::commit(tx).map_err(err)?;
        Ok((self.site(&id)?, revs))
    }

    /// Changes fields of a site (name, description, province, rank, type, lat, lon).
    pub fn set_site(&mut self, q: &str, changes: &[Change], author: &str) -> Result<Vec<Revision>> {
        let id = self.resolve_site(q)?;
        let changes = validate_site_changes(changes)?;
        let author = Author::new(author);
        let err = crate::sql_err(&self.path);
        let tx = self.conn.transaction().map_err(err)?;
        let revs = apply_site_changes(&tx, &author, &id, &changes).map_err(err)?;
        search::commit(tx).map_err(err)?;
        Ok(revs)
    }

    /// Marks a suggested site as confirmed by a curator.
    pub fn confirm_site(&mut self, q: &str, author: &str) -> Result<Vec<Revision>> {
        let id = self.resolve_site(q)?;
        let author = Author::new(author);
        let tx = self.conn.transaction().map_err(|source| CatalogError::Sql {
            path: self.path.clone(),
            source,
        })?;
        let revs = apply(&tx, &author, Entity::Site, &id, "confirmed", None, Some("true"), None)
            .and_then(|r| search::commit(tx).map(|()| r))
            .map_err(|source| CatalogError::Sql {
                path: self.path.clone(),
                source,
            })?;
        Ok(revs.into_iter().collect())
    }

    /// Puts assets in a site (`None`: in no site).
    pub fn assign_site(&mut self, site: Option<&str>, ids: &[String], author: &str) -> Result<Vec<Revision>> {
        let site = site.map(|s| self.resolve_site(s)).transpose()?;
        if let Some(s) = &site
            && let Some(into) = self.site(s)?.merged_into
        {
            return Err(CatalogError::Invalid(format!(
                "site {s} was merged into {into}; use that"
            )));
        }
        let ids: Vec<String> = ids.iter().map(|i| self.resolve_id(i)).collect::<Result<_>>()?;
        let author = Author::new(author);
        let err = crate::sql_err(&self.path);
        let tx = self.conn.transaction().map_err(err)?;
        let revs = move_assets(&tx, &author, &ids, site.as_deref()).map_err(err)?;
        search::commit(tx).map_err(err)?;
        Ok(revs)
    }

    /// Merges sites into `into`: their assets move, and each merged site records where it went. Names
    /// and descriptions of `into` that are missing in a language are taken from the merged sites.
    pub fn merge_sites(&mut self, into: &str, from: &[String], author: &str) -> Result<Vec<Revision>> {
        let into = self.resolve_site(into)?;
        let from: Vec<String> = from.iter().map(|s| self.resolve_site(s)).collect::<Result<_>>()?;
        if from.contains(&into) {
            return Err(CatalogError::Invalid(format!("cannot merge {into} into itself")));
        }
        let target = self.site(&into)?;
        if let Some(m) = &target.merged_into {
            return Err(CatalogError::Invalid(format!(
                "{into} was merged into {m}; merge into that"
            )));
        }
        let sources: Vec<Site> = from.iter().map(|s| self.site(s)).collect::<Result<_>>()?;
        let author = Author::new(author);
        let err = crate::sql_err(&self.path);
        let tx = self.conn.transaction().map_err(err)?;
        let mut revs = Vec::new();
        let (mut name, mut description) = (target.name.clone(), target.description.clone());
        for s in &sources {
            let ids: Vec<String> = tx
                .prepare("SELECT id FROM assets WHERE site_id = ?1 ORDER BY id")
                .and_then(|mut st| st.query_map([&s.id], |r| r.get(0))?.collect())
                .map_err(err)?;
            revs.extend(move_assets(&tx, &author, &ids, Some(&into)).map_err(err)?);
            for (field, have, theirs) in [
                ("name", &mut name, &s.name),
                ("description", &mut description, &s.description),
            ] {
                for (lang, text) in theirs.iter() {
                    if have.get(lang).is_none() {
                        have.set(lang, text);
                        revs.extend(
                            apply(&tx, &author, Entity::Site, &into, field, Some(lang), Some(text), None)
                                .map_err(err)?,
                        );
                    }
                }
            }
            revs.extend(
                apply(
                    &tx,
                    &author,
                    Entity::Site,
                    &s.id,
                    "merged_into",
                    None,
                    Some(&into),
                    None,
                )
                .map_err(err)?,
            );
        }
        search::reindex_site(&tx, &into).map_err(err)?;
        search::commit(tx).map_err(err)?;
        Ok(revs)
    }

    /// Splits assets out of a site into a new one with the given fields (a name at least). The new site
    /// takes the province, rank and type of the old one unless given, and the assets' mean position.
    pub fn split_site(
        &mut self,
        q: &str,
        assets: &[String],
        changes: &[Change],
        author: &str,
    ) -> Result<(Site, Vec<Revision>)> {
        let old = self.site(q)?;
        let ids: Vec<String> = assets.iter().map(|i| self.resolve_id(i)).collect::<Result<_>>()?;
        for id in &ids {
            let site: Option<String> = self.sql(self.conn.query_row(
                "SELECT site_id FROM assets WHERE id = ?1",
                [id],
                |r| r.get(0),
            ))?;
            if site.as_deref() != Some(old.id.as_str()) {
                return Err(CatalogError::Invalid(format!("asset {id} is not in site {}", old.id)));
            }
        }
        if ids.is_empty() {
            return Err(CatalogError::Invalid("name the assets to split off".into()));
        }
        let mut all = validate_site_changes(changes)?;
        let given = |f: &str| all.iter().any(|c| c.field == f);
        let mut inherit = Vec::new();
        for (f, v) in [
            ("province", &old.province),
            ("rank", &old.rank),
            ("type", &old.relic_type),
        ] {
            if let Some(v) = v
                && !given(f)
            {
                inherit.push(Change {
                    field: f.into(),
                    lang: None,
                    value: v.clone(),
                });
            }
        }
        if !given("lat")
            && !given("lon")
            && let Some((lat, lon)) = self.sql(centroid(&self.conn, &ids))?
        {
            inherit.push(Change {
                field: "lat".into(),
                lang: None,
                value: format!("{lat}"),
            });
            inherit.push(Change {
                field: "lon".into(),
                lang: None,
                value: format!("{lon}"),
            });
        }
        all.extend(inherit);
        let (site, mut revs) = self.create_site(None, &all, author)?;
        revs.extend(self.assign_site(Some(&site.id), &ids, author)?);
        Ok((self.site(&site.id)?, revs))
    }

    /// Places assets with GPS and no site yet (and never placed or removed by a curator) in the nearest
    /// site within `radius_m`; the rest are clustered (assets within `radius_m` of each other, chained)
    /// into new, unconfirmed sites at their mean position.
    pub fn suggest_sites(&mut self, radius_m: f64, author: &str) -> Result<SuggestReport> {
        let author = Author::new(author);
        let err = crate::sql_err(&self.path);
        let tx = self.conn.transaction().map_err(err)?;
        let candidates: Vec<(String, GeoPoint)> = tx
            .prepare(
                "SELECT id, lat, lon FROM assets a WHERE site_id IS NULL AND lat IS NOT NULL AND lon IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM revisions r WHERE r.entity = 'asset' AND r.entity_id = a.id AND r.field = 'site')
                 ORDER BY id",
            )
            .and_then(|mut s| {
                s.query_map([], |r| {
                    Ok((r.get(0)?, GeoPoint { lat: r.get(1)?, lon: r.get(2)?, alt: None }))
                })?
                .collect()
            })
            .map_err(err)?;
        let sites: Vec<(String, GeoPoint)> = tx
            .prepare("SELECT id, lat, lon FROM sites WHERE merged_into IS NULL AND lat IS NOT NULL AND lon IS NOT NULL ORDER BY id")
            .and_then(|mut s| {
                s.query_map([], |r| {
                    Ok((r.get(0)?, GeoPoint { lat: r.get(1)?, lon: r.get(2)?, alt: None }))
                })?
                .collect()
            })
            .map_err(err)?;
        let mut report = SuggestReport::default();
        let mut far = Vec::new();
        // Sites sorted by latitude: only those within the radius in latitude are measured.
        let mut sites = sites;
        sites.sort_by(|a, b| a.1.lat.total_cmp(&b.1.lat));
        let dlat = radius_m / 111_000.0 * 1.01;
        for (id, p) in candidates {
            let start = sites.partition_point(|(_, q)| q.lat < p.lat - dlat);
            let nearest = sites[start..]
                .iter()
                .take_while(|(_, q)| q.lat <= p.lat + dlat)
                .map(|(s, q)| (s, p.distance_m(q)))
                .filter(|(_, d)| *d <= radius_m)
                .min_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(b.0)));
            match nearest {
                Some((site, _)) => {
                    move_assets(&tx, &author, std::slice::from_ref(&id), Some(site)).map_err(err)?;
                    report.assigned.push((id, site.clone()));
                }
                None => far.push((id, p)),
            }
        }
        // Single-linkage clusters: union-find over pairs within the radius, swept in latitude order.
        let mut parent: Vec<usize> = (0..far.len()).collect();
        fn root(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            i
        }
        let mut order: Vec<usize> = (0..far.len()).collect();
        order.sort_by(|&a, &b| far[a].1.lat.total_cmp(&far[b].1.lat));
        for (k, &i) in order.iter().enumerate() {
            for &j in &order[k + 1..] {
                if far[j].1.lat - far[i].1.lat > dlat {
                    break;
                }
                if far[i].1.distance_m(&far[j].1) <= radius_m {
                    let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
        let mut clusters: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
        for i in 0..far.len() {
            let r = root(&mut parent, i);
            clusters.entry(r).or_default().push(i);
        }
        for members in clusters.values() {
            let ids: Vec<String> = members.iter().map(|&i| far[i].0.clone()).collect();
            let first = ids.iter().min().expect("non-empty cluster");
            let site = unique_id(&tx, &format!("site-{}", &first[..first.len().min(8)])).map_err(err)?;
            insert_site(&tx, &author, &site, false).map_err(err)?;
            let n = members.len() as f64;
            let lat = members.iter().map(|&i| far[i].1.lat).sum::<f64>() / n;
            let lon = members.iter().map(|&i| far[i].1.lon).sum::<f64>() / n;
            apply(
                &tx,
                &author,
                Entity::Site,
                &site,
                "lat",
                None,
                Some(&format!("{lat}")),
                None,
            )
            .map_err(err)?;
            apply(
                &tx,
                &author,
                Entity::Site,
                &site,
                "lon",
                None,
                Some(&format!("{lon}")),
                None,
            )
            .map_err(err)?;
            move_assets(&tx, &author, &ids, Some(&site)).map_err(err)?;
            report.created.push((site, ids.len()));
        }
        search::commit(tx).map_err(err)?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slug("Vịnh Hạ Long"), "vinh-ha-long");
        assert_eq!(slug("  Đền Hùng (Phú Thọ) "), "den-hung-phu-tho");
        assert_eq!(slug("下龙湾"), "");
    }
}
