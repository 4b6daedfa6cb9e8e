//! Virtual tours: panoramas of a site strung into a walk. A tour is one JSON document (scenes with a start
//! view, link hotspots to other scenes, info hotspots with multilingual text), stored in the catalogue and
//! mirrored to `tours/<id>.json`. Every change is a revision of the whole document (entity `tour`, field
//! `tour`), so history and undo work as for other metadata.

use std::collections::BTreeSet;

use crate::db::OptionalExtension;
use disan_core::{AssetKind, GeoPoint, LangText};
use serde::{Deserialize, Serialize};

use crate::curate::{Author, Revision, apply};
use crate::fields::Entity;
use crate::{Catalog, CatalogError, Result};

/// Folder of the tour files inside a collection.
pub const TOURS_DIR: &str = "tours";

/// A direction to look in, as Pannellum means it: yaw 0 is the panorama's centre and grows to the right,
/// pitch grows upward, hfov is the horizontal field of view; all in degrees.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TourView {
    pub yaw: f64,
    pub pitch: f64,
    #[serde(default = "default_hfov")]
    pub hfov: f64,
}

fn default_hfov() -> f64 {
    100.0
}

impl Default for TourView {
    fn default() -> Self {
        Self {
            yaw: 0.0,
            pitch: 0.0,
            hfov: default_hfov(),
        }
    }
}

/// A link to another scene of the tour, placed at (yaw, pitch) in this one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkHotspot {
    pub id: String,
    pub yaw: f64,
    pub pitch: f64,
    /// The asset id of the scene it leads to.
    pub target: String,
    /// The view to arrive at; the target scene's start view when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrive: Option<TourView>,
}

/// A point of information: a title and text in several languages, optionally opening a photo or model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InfoHotspot {
    pub id: String,
    pub yaw: f64,
    pub pitch: f64,
    #[serde(default, skip_serializing_if = "LangText::is_empty")]
    pub title: LangText,
    #[serde(default, skip_serializing_if = "LangText::is_empty")]
    pub text: LangText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset: Option<String>,
}

/// One panorama of a tour.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TourScene {
    /// The panorama's asset id.
    pub asset: String,
    /// Overrides the asset's title in the tour when set.
    #[serde(default, skip_serializing_if = "LangText::is_empty")]
    pub title: LangText,
    #[serde(default)]
    pub view: TourView,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<LinkHotspot>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub infos: Vec<InfoHotspot>,
}

/// `tours/<id>.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Tour {
    pub id: String,
    #[serde(default, skip_serializing_if = "LangText::is_empty")]
    pub title: LangText,
    /// The first scene is where the tour starts.
    #[serde(default)]
    pub scenes: Vec<TourScene>,
    /// Suggested links a curator turned down: [`Catalog::suggest_links`] marks them, nothing accepts them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rejected: Vec<RejectedLink>,
}

/// A suggested link from one scene to another that a curator rejected.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RejectedLink {
    pub from: String,
    pub to: String,
}

impl Tour {
    pub fn scene(&self, asset: &str) -> Option<&TourScene> {
        self.scenes.iter().find(|s| s.asset == asset)
    }

    pub fn scene_mut(&mut self, asset: &str) -> Option<&mut TourScene> {
        self.scenes.iter_mut().find(|s| s.asset == asset)
    }

    /// Turns down the suggested link `from` → `to` (both scenes of the tour).
    pub fn reject_link(&mut self, from: &str, to: &str) -> Result<()> {
        for a in [from, to] {
            if self.scene(a).is_none() {
                return Err(CatalogError::Invalid(format!(
                    "{a} is not a scene of tour {} (`disan tour add`)",
                    self.id
                )));
            }
        }
        self.rejected.push(RejectedLink {
            from: from.to_owned(),
            to: to.to_owned(),
        });
        Ok(())
    }

    /// Whether the link `from` → `to` was turned down.
    pub fn is_rejected(&self, from: &str, to: &str) -> bool {
        self.rejected.iter().any(|r| r.from == from && r.to == to)
    }

    /// An error unless the tour has a scene to open on (the web exports need one).
    pub fn require_scenes(&self) -> Result<()> {
        if self.scenes.is_empty() {
            return Err(CatalogError::Invalid(format!(
                "tour {} has no scenes yet (`disan tour add {} PANORAMA`)",
                self.id, self.id
            )));
        }
        Ok(())
    }

    /// A hotspot id not used yet in this tour: `prefix` and the next number.
    pub fn next_hotspot_id(&self, prefix: &str) -> String {
        let used: BTreeSet<&str> = self
            .scenes
            .iter()
            .flat_map(|s| {
                s.links
                    .iter()
                    .map(|l| l.id.as_str())
                    .chain(s.infos.iter().map(|i| i.id.as_str()))
            })
            .collect();
        (1..)
            .map(|n| format!("{prefix}{n}"))
            .find(|id| !used.contains(id.as_str()))
            .expect("some number is free")
    }

    /// The document as stored: pretty JSON with a final newline, the same bytes for the same tour.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a tour serialises");
        s.push('\n');
        s
    }

    /// Checks the tour's own consistency (not the catalogue's): a slug id, unique scenes and hotspot ids,
    /// links between scenes of the tour, angles in range, text in NFC.
    pub fn check(&self) -> std::result::Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if !is_slug(&self.id) {
            problems.push(format!(
                "tour id {:?}: use lower-case ASCII letters, digits and '-'",
                self.id
            ));
        }
        let scenes: BTreeSet<&str> = self.scenes.iter().map(|s| s.asset.as_str()).collect();
        if scenes.len() != self.scenes.len() {
            problems.push("a panorama appears twice among the scenes".into());
        }
        let mut ids = BTreeSet::new();
        let angle = |what: String, yaw: f64, pitch: f64, problems: &mut Vec<String>| {
            if !(-180.0..=360.0).contains(&yaw) || !(-90.0..=90.0).contains(&pitch) {
                problems.push(format!(
                    "{what}: yaw {yaw} / pitch {pitch} out of range (yaw −180…360, pitch −90…90)"
                ));
            }
        };
        for s in &self.scenes {
            angle(
                format!("scene {} start view", s.asset),
                s.view.yaw,
                s.view.pitch,
                &mut problems,
            );
            if !(s.view.hfov > 0.0 && s.view.hfov < 180.0) {
                problems.push(format!("scene {}: hfov {} out of range (0…180)", s.asset, s.view.hfov));
            }
            for l in &s.links {
                angle(format!("link {}", l.id), l.yaw, l.pitch, &mut problems);
                if !ids.insert(l.id.clone()) {
                    problems.push(format!("hotspot id {} is used twice", l.id));
                }
                if !scenes.contains(l.target.as_str()) {
                    problems.push(format!(
                        "link {} leads to {}, which is not a scene of this tour",
                        l.id, l.target
                    ));
                }
                if l.target == s.asset {
                    problems.push(format!("link {} leads back to its own scene", l.id));
                }
            }
            for i in &s.infos {
                angle(format!("info {}", i.id), i.yaw, i.pitch, &mut problems);
                if !ids.insert(i.id.clone()) {
                    problems.push(format!("hotspot id {} is used twice", i.id));
                }
            }
        }
        if problems.is_empty() { Ok(()) } else { Err(problems) }
    }

    /// The same tour with every text normalised to NFC.
    fn normalised(mut self) -> Self {
        let nfc = |t: &mut LangText| {
            let pairs: Vec<(String, String)> = t.iter().map(|(l, v)| (l.to_owned(), v.to_owned())).collect();
            let mut out = LangText::new();
            for (l, v) in pairs {
                out.set(&l, &v);
            }
            *t = out;
        };
        nfc(&mut self.title);
        // Rejections of scenes no longer in the tour go with them; each is kept once, in order.
        let scenes: BTreeSet<String> = self.scenes.iter().map(|s| s.asset.clone()).collect();
        self.rejected
            .retain(|r| r.from != r.to && scenes.contains(&r.from) && scenes.contains(&r.to));
        self.rejected.sort();
        self.rejected.dedup();
        for s in &mut self.scenes {
            nfc(&mut s.title);
            for i in &mut s.infos {
                nfc(&mut i.title);
                nfc(&mut i.text);
            }
        }
        self
    }
}

fn is_slug(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
}

/// A link hotspot proposed from GPS and compass: the curator accepts or moves it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LinkSuggestion {
    pub from: String,
    pub to: String,
    pub distance_m: f64,
    /// Compass bearing from `from` to `to`.
    pub bearing_deg: f64,
    /// Where `to` lies in `from`'s panorama: bearing − the panorama's heading, in −180…180.
    pub yaw: f64,
    /// Already linked.
    pub exists: bool,
    /// Turned down by a curator ([`Tour::reject_link`]).
    pub rejected: bool,
}

/// Yaw in −180…180.
pub fn wrap_yaw(yaw: f64) -> f64 {
    let y = (yaw + 180.0).rem_euclid(360.0) - 180.0;
    if y == -180.0 { 180.0 } else { y }
}

impl Catalog {
    /// Tour ids, sorted.
    pub fn tours(&self) -> Result<Vec<String>> {
        let mut stmt = self.sql(self.conn.prepare("SELECT id FROM tours ORDER BY id"))?;
        self.sql(stmt.query_map([], |r| r.get(0)).and_then(|r| r.collect()))
    }

    /// One tour.
    pub fn tour(&self, id: &str) -> Result<Tour> {
        let doc: Option<String> = self.sql(
            self.conn
                .query_row("SELECT doc FROM tours WHERE id = ?1", [id], |r| r.get(0))
                .optional(),
        )?;
        let doc = doc.ok_or_else(|| CatalogError::Invalid(format!("no tour {id:?} (see `disan tour list`)")))?;
        serde_json::from_str(&doc)
            .map_err(|e| CatalogError::Invalid(format!("tour {id}: stored document unreadable: {e}")))
    }

    /// Creates an empty tour.
    pub fn create_tour(&mut self, id: &str, title: LangText, author: &str) -> Result<Tour> {
        if self.tours()?.iter().any(|t| t == id) {
            return Err(CatalogError::Invalid(format!("a tour {id:?} exists already")));
        }
        let tour = Tour {
            id: id.to_owned(),
            title,
            ..Tour::default()
        };
        self.write_tour(None, tour, author)
    }

    /// Changes a tour: `edit` gets the stored document and the result is checked and written as one
    /// revision, in one transaction that re-reads the document (so two curators' edits never overwrite
    /// each other unseen).
    pub fn update_tour(
        &mut self,
        id: &str,
        author: &str,
        edit: impl FnOnce(&Catalog, &mut Tour) -> Result<()>,
    ) -> Result<Tour> {
        let mut tour = self.tour(id)?;
        let before = tour.clone();
        edit(self, &mut tour)?;
        self.write_tour(Some(before), tour, author)
    }

    /// Replaces a tour by a document (`disan tour import`), creating it if needed.
    pub fn import_tour(&mut self, tour: Tour, author: &str) -> Result<Tour> {
        let before = self.tour(&tour.id).ok();
        self.write_tour(before, tour, author)
    }

    fn write_tour(&mut self, before: Option<Tour>, tour: Tour, author: &str) -> Result<Tour> {
        let tour = tour.normalised();
        tour.check().map_err(CatalogError::Rejected)?;
        self.check_tour_assets(&tour)?;
        let author = Author::new(author);
        let err = crate::sql_err(&self.path);
        let tx = crate::begin_immediate(&mut self.conn, &self.path)?;
        let stored: Option<String> = tx
            .query_row("SELECT doc FROM tours WHERE id = ?1", [&tour.id], |r| r.get(0))
            .optional()
            .map_err(err)?;
        if stored != before.as_ref().map(Tour::to_json) {
            return Err(CatalogError::Rejected(vec![format!(
                "tour {} changed while this edit was being made; run it again",
                tour.id
            )]));
        }
        apply(
            &tx,
            &author,
            Entity::Tour,
            &tour.id,
            "tour",
            None,
            Some(&tour.to_json()),
            None,
        )
        .map_err(err)?;
        // The narration of a scene or an information point the tour no longer has goes with it (each
        // language a revision of its own), so no narration is left pointing at nothing.
        let rows: Vec<(String, String)> = tx
            .prepare("SELECT field, lang FROM audio WHERE entity = 'tour' AND entity_id = ?1")
            .and_then(|mut q| q.query_map([&tour.id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
            .map_err(err)?;
        for (field, lang) in rows {
            let kept = if let Some(scene) = field.strip_prefix("audio:scene:") {
                tour.scene(scene).is_some()
            } else if let Some((scene, info)) = field.strip_prefix("audio:info:").and_then(|x| x.split_once('/')) {
                tour.scene(scene).is_some_and(|s| s.infos.iter().any(|i| i.id == info))
            } else {
                true
            };
            if !kept {
                apply(&tx, &author, Entity::Tour, &tour.id, &field, Some(&lang), None, None).map_err(err)?;
            }
        }
        tx.commit().map_err(err)?;
        self.sync_tour_file(&tour.id)?;
        Ok(tour)
    }

    /// Every scene is a panorama of the catalogue; info hotspots open assets that exist.
    fn check_tour_assets(&self, tour: &Tour) -> Result<()> {
        let mut problems = Vec::new();
        for s in &tour.scenes {
            match self.get(&s.asset) {
                Ok(a) if a.manifest.kind == AssetKind::Panorama && a.manifest.pano_tiles.is_some() => {}
                Ok(_) => problems.push(format!("{} is not a tiled panorama", s.asset)),
                Err(_) => problems.push(format!("no asset {}", s.asset)),
            }
            for i in &s.infos {
                if let Some(a) = &i.asset
                    && self.get(a).is_err()
                {
                    problems.push(format!("info {} opens {a}, which is not in the catalogue", i.id));
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(CatalogError::Rejected(problems))
        }
    }

    /// Writes `tours/<id>.json` from the catalogue (or removes it when the tour is gone).
    pub(crate) fn sync_tour_file(&self, id: &str) -> Result<()> {
        let path = self.collection_dir().join(TOURS_DIR).join(format!("{id}.json"));
        match self.tour(id) {
            Ok(t) => Ok(disan_fs::write_atomic(&path, t.to_json().as_bytes())?),
            Err(_) => match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(CatalogError::Io { path, source: e }),
                _ => Ok(()),
            },
        }
    }

    /// The revisions of a tour, oldest first.
    pub fn tour_history(&self, id: &str) -> Result<Vec<Revision>> {
        self.history(Entity::Tour, id)
    }

    /// Link hotspots proposed between the tour's panoramas that have GPS and a heading: every pair within
    /// `radius_m`, at yaw = bearing − heading.
    pub fn suggest_links(&self, id: &str, radius_m: f64) -> Result<Vec<LinkSuggestion>> {
        let tour = self.tour(id)?;
        let mut placed: Vec<(String, GeoPoint, f64)> = Vec::new();
        for s in &tour.scenes {
            let m = self.get(&s.asset)?.manifest;
            let heading = m
                .metadata
                .pano
                .as_ref()
                .and_then(|p| p.pose_heading_deg)
                .or(m.metadata.heading_deg)
                .filter(|h| h.is_finite());
            if let (Some(gps), Some(h)) = (m.metadata.gps.filter(GeoPoint::is_plausible), heading) {
                placed.push((s.asset.clone(), gps, h));
            }
        }
        let mut out = Vec::new();
        for (a, pa, heading) in &placed {
            for (b, pb, _) in &placed {
                if a == b {
                    continue;
                }
                let d = pa.distance_m(pb);
                if d > radius_m {
                    continue;
                }
                let bearing = pa.bearing_deg(pb);
                let exists = tour.scene(a).is_some_and(|s| s.links.iter().any(|l| &l.target == b));
                out.push(LinkSuggestion {
                    from: a.clone(),
                    to: b.clone(),
                    distance_m: d,
                    bearing_deg: bearing,
                    yaw: wrap_yaw(bearing - heading),
                    exists,
                    rejected: tour.is_rejected(a, b),
                });
            }
        }
        out.sort_by(|x, y| (&x.from, &x.to).cmp(&(&y.from, &y.to)));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaw_wraps_into_range() {
        for (y, want) in [
            (0.0, 0.0),
            (190.0, -170.0),
            (-190.0, 170.0),
            (540.0, 180.0),
            (-180.0, 180.0),
        ] {
            assert_eq!(wrap_yaw(y), want, "{y}");
        }
    }

    #[test]
    fn a_tour_checks_its_links_and_ids() {
        let scene = |a: &str| TourScene {
            asset: a.into(),
            title: LangText::new(),
            view: TourView::default(),
            links: vec![],
            infos: vec![],
        };
        let mut t = Tour {
            id: "yen-tu".into(),
            title: LangText::new(),
            scenes: vec![scene("a"), scene("b")],
            ..Tour::default()
        };
        assert!(t.check().is_ok());
        t.scenes[0].links.push(LinkHotspot {
            id: "l1".into(),
            yaw: 10.0,
            pitch: 0.0,
            target: "c".into(),
            arrive: None,
        });
        t.scenes[1].infos.push(InfoHotspot {
            id: "l1".into(),
            yaw: 400.0,
            pitch: 0.0,
            title: LangText::new(),
            text: LangText::new(),
            asset: None,
        });
        let problems = t.check().unwrap_err().join("\n");
        assert!(problems.contains("not a scene of this tour"), "{problems}");
        assert!(problems.contains("used twice"), "{problems}");
        assert!(problems.contains("out of range"), "{problems}");
        assert_eq!(t.next_hotspot_id("l"), "l2");
        t.id = "Yên Tử".into();
        assert!(t.check().unwrap_err()[0].contains("tour id"));
    }
}
