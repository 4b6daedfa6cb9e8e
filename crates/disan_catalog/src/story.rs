//! Stories: a relic's annotations, in the curator's order. Each annotation is a point on the model's surface
//! (model coordinates, metres, the frame of `model/model.glb` and its LODs), the surface normal there, the
//! camera view that shows it, and a title and text per language; its narration lives in the `audio` table
//! (field `audio:annotation:<id>`). A story is one JSON document per asset in `stories`; every change is a
//! revision of the asset's field `story`, so history and undo work as for text.
//!
//! The catalogue checks what it can without the model (ids, languages, numbers, the view); that the point is
//! on the surface is checked by the caller that holds the mesh (`disan story add`, the viewer's curator mode)
//! with `disan_model::Surface::nearest` before saving.

use crate::db::{Connection, OptionalExtension, params};
use disan_core::{AssetKind, LangText};
use serde::{Deserialize, Serialize};

use crate::curate::{Author, Revision, apply};
use crate::fields::Entity;
use crate::{Catalog, CatalogError, Result};

/// The schema version that added the `stories` table.
const STORY_SCHEMA: u32 = 6;

/// Field of field-of-view limits a view may have, degrees: model-viewer's own lower bound is 25°.
pub const FOV_RANGE: std::ops::RangeInclusive<f64> = 25.0..=60.0;

/// The camera that shows an annotation: it orbits `target` at `distance` (model units), looking from `yaw`
/// degrees around the vertical axis (0 looks at the model's front, +Z) and `pitch` degrees above the
/// horizon, with a vertical field of view `fov`. On the web this is `camera-orbit="{yaw}deg {90 −
/// pitch}deg {distance}m" camera-target="{target}m" field-of-view="{fov}deg"`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoryView {
    pub yaw: f64,
    pub pitch: f64,
    pub fov: f64,
    pub target: [f64; 3],
    pub distance: f64,
}

/// One annotation of a relic.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Annotation {
    /// Short, stable, made of letters, digits, `-` and `_`: names the pin and its narration.
    pub id: String,
    /// The point on the surface, model coordinates.
    pub position: [f64; 3],
    /// The surface's unit normal there (pins facing away from the camera are hidden).
    pub normal: [f64; 3],
    pub view: StoryView,
    #[serde(default, skip_serializing_if = "LangText::is_empty")]
    pub title: LangText,
    #[serde(default, skip_serializing_if = "LangText::is_empty")]
    pub text: LangText,
}

/// A relic's annotations in story order (pin 1 first).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Story {
    pub annotations: Vec<Annotation>,
}

impl Story {
    pub fn get(&self, id: &str) -> Option<&Annotation> {
        self.annotations.iter().find(|a| a.id == id)
    }

    /// Where annotation `id` stands in the story, or what to say when there is none: `no annotation "x" (it
    /// has: a1, a2)`.
    pub fn position_of(&self, id: &str) -> std::result::Result<usize, String> {
        self.annotations.iter().position(|a| a.id == id).ok_or_else(|| {
            let ids: Vec<&str> = self.annotations.iter().map(|a| a.id.as_str()).collect();
            format!("no annotation {id:?} (it has: {})", ids.join(", "))
        })
    }

    /// The 1-based number of an annotation's pin.
    pub fn number(&self, id: &str) -> Option<usize> {
        self.annotations.iter().position(|a| a.id == id).map(|i| i + 1)
    }

    /// A free id `a1`, `a2`, …
    pub fn next_id(&self) -> String {
        (1..)
            .map(|n| format!("a{n}"))
            .find(|id| self.get(id).is_none())
            .unwrap_or_default()
    }

    fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// What is wrong with the story, given the collection's languages.
    pub fn problems(&self, langs: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for a in &self.annotations {
            let who = format!("annotation {:?}", a.id);
            if a.id.is_empty()
                || a.id.len() > 40
                || !a.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                out.push(format!("{who}: an id is 1–40 letters, digits, '-' or '_'"));
            }
            if !seen.insert(a.id.as_str()) {
                out.push(format!("{who}: the id is used twice"));
            }
            let finite = |v: &[f64]| v.iter().all(|x| x.is_finite());
            if !finite(&a.position) || !finite(&a.normal) || !finite(&a.view.target) {
                out.push(format!("{who}: a coordinate is not a finite number"));
            }
            let len = a.normal.iter().map(|x| x * x).sum::<f64>().sqrt();
            if (len - 1.0).abs() > 1e-3 {
                out.push(format!("{who}: the normal is not a unit vector (length {len:.4})"));
            }
            let v = &a.view;
            if !(v.distance.is_finite() && v.distance > 0.0) {
                out.push(format!("{who}: the view's distance must be above 0"));
            }
            if !FOV_RANGE.contains(&v.fov) {
                out.push(format!(
                    "{who}: the view's field of view {} is outside {}–{} degrees",
                    v.fov,
                    FOV_RANGE.start(),
                    FOV_RANGE.end()
                ));
            }
            if !(-89.9..=89.9).contains(&v.pitch) || !v.yaw.is_finite() {
                out.push(format!("{who}: the view's pitch must be within ±89.9 degrees"));
            }
            if a.title.is_empty() {
                out.push(format!("{who}: it needs a title in at least one language"));
            }
            for (lang, _) in a.title.iter().chain(a.text.iter()) {
                if !langs.iter().any(|l| l == lang) {
                    out.push(format!(
                        "{who}: the collection does not use language {lang:?} (it uses {})",
                        langs.join(", ")
                    ));
                }
            }
        }
        out.dedup();
        out
    }
}

pub(crate) fn stored(conn: &Connection, id: &str) -> crate::db::Result<Option<String>> {
    conn.prepare_cached("SELECT doc FROM stories WHERE asset_id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()
}

pub(crate) fn store(conn: &Connection, id: &str, doc: Option<&str>) -> crate::db::Result<()> {
    match doc {
        Some(d) => conn
            .prepare_cached(
                "INSERT INTO stories (asset_id, doc) VALUES (?1, ?2)
                 ON CONFLICT (asset_id) DO UPDATE SET doc = excluded.doc",
            )?
            .execute(params![id, d])
            .map(drop),
        None => conn
            .prepare_cached("DELETE FROM stories WHERE asset_id = ?1")?
            .execute([id])
            .map(drop),
    }
}

fn parse(doc: &str) -> Result<Story> {
    serde_json::from_str(doc).map_err(|e| CatalogError::Invalid(format!("a stored story is unreadable: {e}")))
}

impl Catalog {
    /// An asset's story (empty when it has none).
    pub fn story(&self, id: &str) -> Result<Story> {
        if self.schema_version()? < STORY_SCHEMA {
            return Ok(Story::default());
        }
        let doc = self.sql(stored(&self.conn, id))?;
        doc.map_or_else(|| Ok(Story::default()), |d| parse(&d))
    }

    /// Every asset with a story.
    pub fn stories(&self) -> Result<Vec<(String, Story)>> {
        if self.schema_version()? < STORY_SCHEMA {
            return Ok(Vec::new());
        }
        let mut stmt = self.sql(self.conn.prepare("SELECT asset_id, doc FROM stories ORDER BY asset_id"))?;
        let rows: Vec<(String, String)> = self.sql(
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .and_then(|r| r.collect()),
        )?;
        rows.into_iter().map(|(id, d)| Ok((id, parse(&d)?))).collect()
    }

    /// Replaces an asset's story as one revision (an empty story removes it). `before` is the story the
    /// edit started from: when the stored one differs, someone else changed it meanwhile and nothing is
    /// saved. The asset must be a model; the story must pass [`Story::problems`].
    pub fn set_story(&mut self, id: &str, before: &Story, story: &Story, author: &str) -> Result<Option<Revision>> {
        let asset = self.get(id)?;
        if asset.manifest.kind != AssetKind::Model {
            return Err(CatalogError::Invalid(format!(
                "asset {id} is a {}: only models have annotations",
                asset.manifest.kind.as_str()
            )));
        }
        let mut story = story.clone();
        for a in &mut story.annotations {
            // NFC, empty languages dropped.
            let norm = |t: &LangText| {
                let mut n = LangText::new();
                for (l, v) in t.iter() {
                    n.set(l, v.trim());
                }
                n
            };
            a.title = norm(&a.title);
            a.text = norm(&a.text);
        }
        let problems = story.problems(&self.languages()?);
        if !problems.is_empty() {
            return Err(CatalogError::Rejected(problems));
        }
        let author = Author::new(author);
        let err = crate::sql_err(&self.path);
        let tx = crate::begin_immediate(&mut self.conn, &self.path)?;
        let now = stored(&tx, id).map_err(err)?;
        let was = (!before.annotations.is_empty()).then(|| before.to_json());
        let now_story = now.as_deref().map(parse).transpose()?;
        if now_story.map(|s| s.to_json()) != was {
            return Err(CatalogError::Rejected(vec![format!(
                "the story of asset {id} changed while this edit was being made; run it again"
            )]));
        }
        // A removed annotation's narration goes with it (each removal a revision of its own).
        for gone in before.annotations.iter().filter(|a| story.get(&a.id).is_none()) {
            let field = format!("audio:annotation:{}", gone.id);
            let langs: Vec<String> = tx
                .prepare("SELECT lang FROM audio WHERE entity = 'asset' AND entity_id = ?1 AND field = ?2")
                .and_then(|mut s| s.query_map(params![id, field], |r| r.get(0))?.collect())
                .map_err(err)?;
            for lang in langs {
                apply(&tx, &author, Entity::Asset, id, &field, Some(&lang), None, None).map_err(err)?;
            }
        }
        let value = (!story.annotations.is_empty()).then(|| story.to_json());
        let rev = apply(&tx, &author, Entity::Asset, id, "story", None, value.as_deref(), None).map_err(err)?;
        crate::search::reindex_asset(&tx, id).map_err(err)?;
        crate::search::commit(tx).map_err(err)?;
        Ok(rev)
    }
}
