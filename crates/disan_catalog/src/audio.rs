//! Narration in the catalogue: one recording per target (an asset, a tour scene, an information hotspot of a
//! scene) and language. The row holds an [`AudioRecord`] (where the web MP3 and the original are, how long,
//! how loud, whether it is a synthesised draft); every change is a revision of the owning asset or tour with
//! the field `audio`, `audio:scene:<scene>`, `audio:info:<scene>/<hotspot>` or `audio:annotation:<id>`, so
//! `disan history` and `disan undo` work as for text. [`Catalog::store_narration`] writes the files (encoded by
//! the caller with `disan_audio`) into the collection, named by their content so an undo finds the old file
//! still there, before the row changes.

use crate::db::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::curate::{Author, Revision, apply};
use crate::fields::Entity;
use crate::{Catalog, CatalogError, Result};

/// The schema version that added the `audio` table.
const AUDIO_SCHEMA: u32 = 5;

/// Collection property that turns synthesised draft voices off (`off`) for a collection.
pub const DRAFT_VOICES_PROPERTY: &str = "draft_voices";

/// What was narrated: an asset, a scene of a tour, or an information hotspot in a scene of a tour.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum AudioTarget {
    Asset(String),
    Scene {
        tour: String,
        scene: String,
    },
    Info {
        tour: String,
        scene: String,
        info: String,
    },
    /// An annotation of a relic's story.
    Annotation {
        asset: String,
        annotation: String,
    },
}

impl AudioTarget {
    /// The revision entity, its id and field.
    pub fn key(&self) -> (Entity, &str, String) {
        match self {
            AudioTarget::Asset(id) => (Entity::Asset, id, "audio".into()),
            AudioTarget::Scene { tour, scene } => (Entity::Tour, tour, format!("audio:scene:{scene}")),
            AudioTarget::Info { tour, scene, info } => (Entity::Tour, tour, format!("audio:info:{scene}/{info}")),
            AudioTarget::Annotation { asset, annotation } => {
                (Entity::Asset, asset, format!("audio:annotation:{annotation}"))
            }
        }
    }

    fn from_key(entity: &str, id: &str, field: &str) -> Option<Self> {
        match (entity, field) {
            ("asset", "audio") => Some(AudioTarget::Asset(id.into())),
            ("asset", f) => Some(AudioTarget::Annotation {
                asset: id.into(),
                annotation: f.strip_prefix("audio:annotation:")?.into(),
            }),
            ("tour", f) => {
                if let Some(scene) = f.strip_prefix("audio:scene:") {
                    Some(AudioTarget::Scene {
                        tour: id.into(),
                        scene: scene.into(),
                    })
                } else {
                    let (scene, info) = f.strip_prefix("audio:info:")?.split_once('/')?;
                    Some(AudioTarget::Info {
                        tour: id.into(),
                        scene: scene.into(),
                        info: info.into(),
                    })
                }
            }
            _ => None,
        }
    }

    /// As the command line writes it: `<asset>`, `<asset>#<annotation>`, `tour:<tour>/<scene>`,
    /// `tour:<tour>/<scene>/<hotspot>`.
    pub fn label(&self) -> String {
        match self {
            AudioTarget::Asset(id) => id.clone(),
            AudioTarget::Scene { tour, scene } => format!("tour:{tour}/{scene}"),
            AudioTarget::Info { tour, scene, info } => format!("tour:{tour}/{scene}/{info}"),
            AudioTarget::Annotation { asset, annotation } => format!("{asset}#{annotation}"),
        }
    }

    /// A name made only of safe characters, for the audio files' names.
    pub fn file_stem(&self) -> String {
        let clean = |s: &str| -> String {
            s.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect()
        };
        match self {
            AudioTarget::Asset(_) => "asset".into(),
            AudioTarget::Scene { scene, .. } => clean(scene),
            AudioTarget::Info { scene, info, .. } => format!("{}-{}", clean(scene), clean(info)),
            AudioTarget::Annotation { annotation, .. } => format!("annotation-{}", clean(annotation)),
        }
    }
}

/// One stored narration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AudioRecord {
    /// The web encoding (MP3), relative to the collection.
    pub file: String,
    /// The file as the curator gave it, relative to the collection; none for a synthesised draft.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original: Option<String>,
    pub seconds: f64,
    /// Integrated loudness of the web encoding, LUFS.
    pub lufs: f64,
    /// Its true peak, dBTP.
    pub peak_dbtp: f64,
    /// Loudness of the original, LUFS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_lufs: Option<f64>,
    /// The original's codec ("MP3", "AAC", "Opus", …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_codec: Option<String>,
    /// A synthesised voice, to be replaced by a recording: shown as a draft wherever it plays.
    #[serde(default)]
    pub draft: bool,
    /// The synthesiser and voice of a draft (`espeak-ng vi`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<String>,
}

/// A narration encoded for the web by the caller (`disan_audio::prepare`), ready to be stored.
#[derive(Clone, Debug)]
pub struct Encoded<'a> {
    /// The web MP3.
    pub mp3: &'a [u8],
    /// The recording as the curator gave it, and its extension; none for a synthesised draft.
    pub original: Option<(&'a [u8], &'a str)>,
    pub seconds: f64,
    pub lufs: f64,
    pub peak_dbtp: f64,
    pub source_lufs: Option<f64>,
    pub source_codec: Option<String>,
    /// The synthesiser and voice of a draft (`espeak-ng vi`); none for a recording.
    pub voice: Option<String>,
}

/// A narration with what it narrates.
#[derive(Clone, Debug, Serialize)]
pub struct AudioEntry {
    pub target: AudioTarget,
    pub lang: String,
    pub record: AudioRecord,
}

pub(crate) fn is_audio_field(entity: Entity, field: &str) -> bool {
    match entity {
        Entity::Asset => field == "audio" || field.starts_with("audio:annotation:"),
        Entity::Tour => field.starts_with("audio:"),
        Entity::Site => false,
    }
}

pub(crate) fn stored(
    conn: &Connection,
    entity: Entity,
    id: &str,
    field: &str,
    lang: &str,
) -> crate::db::Result<Option<String>> {
    conn.prepare_cached("SELECT value FROM audio WHERE entity = ?1 AND entity_id = ?2 AND field = ?3 AND lang = ?4")?
        .query_row(params![entity.as_str(), id, field, lang], |r| r.get(0))
        .optional()
}

pub(crate) fn store(
    conn: &Connection,
    entity: Entity,
    id: &str,
    field: &str,
    lang: &str,
    value: Option<&str>,
) -> crate::db::Result<()> {
    match value {
        Some(v) => conn
            .prepare_cached(
                "INSERT INTO audio (entity, entity_id, field, lang, value) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (entity, entity_id, field, lang) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![entity.as_str(), id, field, lang, v])
            .map(drop),
        None => conn
            .prepare_cached("DELETE FROM audio WHERE entity = ?1 AND entity_id = ?2 AND field = ?3 AND lang = ?4")?
            .execute(params![entity.as_str(), id, field, lang])
            .map(drop),
    }
}

impl Catalog {
    /// Reads a target as the command line writes it (see [`AudioTarget::label`]; an asset id may be a unique
    /// prefix, as may a scene's) and checks that it exists.
    pub fn audio_target(&self, spec: &str) -> Result<AudioTarget> {
        let Some(rest) = spec.strip_prefix("tour:") else {
            if let Some((asset, annotation)) = spec.split_once('#') {
                let asset = self.resolve_id(asset)?;
                let story = self.story(&asset)?;
                story
                    .position_of(annotation)
                    .map_err(|why| CatalogError::Invalid(format!("{spec}: asset {asset} has {why}")))?;
                return Ok(AudioTarget::Annotation {
                    asset,
                    annotation: annotation.into(),
                });
            }
            return Ok(AudioTarget::Asset(self.resolve_id(spec)?));
        };
        let mut parts = rest.splitn(3, '/');
        let tour_id = parts.next().unwrap_or_default();
        let tour = self.tour(tour_id)?;
        let scene_q = parts.next().filter(|s| !s.is_empty()).ok_or_else(|| {
            CatalogError::Invalid(format!(
                "{spec}: name a scene of tour {tour_id}: tour:{tour_id}/<scene>[/<hotspot>]"
            ))
        })?;
        let scene = tour
            .scenes
            .iter()
            .find(|s| s.asset == scene_q)
            .or_else(|| {
                let mut m = tour.scenes.iter().filter(|s| s.asset.starts_with(scene_q));
                match (m.next(), m.next()) {
                    (Some(one), None) if scene_q.len() >= 4 => Some(one),
                    _ => None,
                }
            })
            .ok_or_else(|| CatalogError::Invalid(format!("{spec}: tour {tour_id} has no scene {scene_q}")))?;
        match parts.next() {
            None | Some("") => Ok(AudioTarget::Scene {
                tour: tour.id.clone(),
                scene: scene.asset.clone(),
            }),
            Some(info) => {
                if !scene.infos.iter().any(|i| i.id == info) {
                    return Err(CatalogError::Invalid(format!(
                        "{spec}: scene {} has no information hotspot {info:?} (it has: {})",
                        scene.asset,
                        scene.infos.iter().map(|i| i.id.as_str()).collect::<Vec<_>>().join(", ")
                    )));
                }
                Ok(AudioTarget::Info {
                    tour: tour.id.clone(),
                    scene: scene.asset.clone(),
                    info: info.into(),
                })
            }
        }
    }

    /// The narration of `target` in `lang`.
    pub fn audio(&self, target: &AudioTarget, lang: &str) -> Result<Option<AudioRecord>> {
        if !self.has_audio_table()? {
            return Ok(None);
        }
        let (entity, id, field) = target.key();
        let v = self.sql(stored(&self.conn, entity, id, &field, lang))?;
        v.map(|v| parse(&v)).transpose()
    }

    /// Every narration, by target and language.
    pub fn audio_list(&self) -> Result<Vec<AudioEntry>> {
        if !self.has_audio_table()? {
            return Ok(Vec::new());
        }
        let mut stmt = self.sql(self.conn.prepare(
            "SELECT entity, entity_id, field, lang, value FROM audio ORDER BY entity, entity_id, field, lang",
        ))?;
        let rows: Vec<(String, String, String, String, String)> = self.sql(
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
                .and_then(|r| r.collect()),
        )?;
        rows.into_iter()
            .filter_map(|(e, id, f, lang, v)| {
                let target = AudioTarget::from_key(&e, &id, &f)?;
                Some(parse(&v).map(|record| AudioEntry { target, lang, record }))
            })
            .collect()
    }

    /// A catalogue opened read-only from before schema version 5 has no narration (and no table for it).
    fn has_audio_table(&self) -> Result<bool> {
        Ok(self.schema_version()? >= AUDIO_SCHEMA)
    }

    /// Sets (or, with `None`, removes) the narration of `target` in `lang`, as one revision. The language must
    /// be one the collection uses ([`Catalog::languages`]).
    pub fn set_audio(
        &mut self,
        target: &AudioTarget,
        lang: &str,
        record: Option<&AudioRecord>,
        author: &str,
    ) -> Result<Option<Revision>> {
        self.check_audio_lang(lang)?;
        let (entity, id, field) = target.key();
        let value = record
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| CatalogError::Invalid(e.to_string()))?;
        let author = Author::new(author);
        let err = crate::sql_err(&self.path);
        let tx = crate::begin_immediate(&mut self.conn, &self.path)?;
        let rev = apply(&tx, &author, entity, id, &field, Some(lang), value.as_deref(), None).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(rev)
    }

    /// The folder a target's audio files go in, relative to the collection.
    pub fn audio_folder(target: &AudioTarget) -> String {
        match target {
            AudioTarget::Asset(id) | AudioTarget::Annotation { asset: id, .. } => format!("assets/{id}/audio"),
            AudioTarget::Scene { tour, .. } | AudioTarget::Info { tour, .. } => {
                format!("{}/{tour}/audio", crate::TOURS_DIR)
            }
        }
    }

    /// Stores a narration of `target` in `lang`: the web MP3 (and the original, when there is one) written
    /// atomically into the target's audio folder under names made of the target, the language and a hash of
    /// the content (`<folder>/<stem>-<lang>-<hash>.mp3`, `<folder>/original/…`), then the row, as one revision.
    pub fn store_narration(
        &mut self,
        target: &AudioTarget,
        lang: &str,
        e: &Encoded<'_>,
        author: &str,
    ) -> Result<AudioRecord> {
        self.check_audio_lang(lang)?;
        let folder = Self::audio_folder(target);
        let stem = format!("{}-{lang}", target.file_stem());
        let hash = |b: &[u8]| blake3::hash(b).to_hex()[..12].to_string();
        let root = self.collection_dir().to_owned();
        let put = |rel: String, bytes: &[u8]| -> Result<String> {
            let path = root.join(&rel);
            if std::fs::read(&path).is_ok_and(|b| b == bytes) {
                return Ok(rel);
            }
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|source| CatalogError::Io {
                    path: dir.to_owned(),
                    source,
                })?;
            }
            disan_fs::write_atomic(&path, bytes)?;
            Ok(rel)
        };
        let original = match e.original {
            Some((bytes, ext)) => Some(put(format!("{folder}/original/{stem}-{}.{ext}", hash(bytes)), bytes)?),
            None => None,
        };
        let file = put(format!("{folder}/{stem}-{}.mp3", hash(e.mp3)), e.mp3)?;
        let round = |v: f64, digits: i32| {
            let f = 10f64.powi(digits);
            (v * f).round() / f
        };
        let record = AudioRecord {
            file,
            original,
            seconds: round(e.seconds, 3),
            lufs: round(e.lufs, 2),
            peak_dbtp: round(e.peak_dbtp, 2),
            source_lufs: e.source_lufs.map(|l| round(l, 2)),
            source_codec: e.source_codec.clone(),
            draft: e.voice.is_some(),
            voice: e.voice.clone(),
        };
        self.set_audio(target, lang, Some(&record), author)?;
        Ok(record)
    }

    /// Refuses a language the collection does not use.
    pub fn check_audio_lang(&self, lang: &str) -> Result<()> {
        let langs = self.languages()?;
        if !langs.iter().any(|l| l == lang) {
            return Err(CatalogError::Invalid(format!(
                "the collection does not use language {lang:?} (it uses {})",
                langs.join(", ")
            )));
        }
        Ok(())
    }

    /// Whether synthesised draft voices are allowed (the default) or turned off for this collection.
    pub fn draft_voices_allowed(&self) -> Result<bool> {
        Ok(self.property(DRAFT_VOICES_PROPERTY)?.as_deref() != Some("off"))
    }

    /// The text a draft voice reads for `target` in `lang`: an asset's title and description; a scene's
    /// title (the tour's, else the asset's) and the asset's description; a hotspot's title and text.
    pub fn narration_text(&self, target: &AudioTarget, lang: &str) -> Result<Option<String>> {
        let join = |parts: [Option<&str>; 2]| -> Option<String> {
            let t: Vec<&str> = parts
                .into_iter()
                .flatten()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            (!t.is_empty()).then(|| {
                t.iter()
                    .map(|s| {
                        if s.ends_with(['.', '!', '?', '。', '！', '？']) {
                            s.to_string()
                        } else {
                            format!("{s}.")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
        };
        Ok(match target {
            AudioTarget::Asset(id) => {
                let m = self.metadata(id)?;
                join([m.title.get(lang), m.description.get(lang)])
            }
            AudioTarget::Scene { tour, scene } => {
                let t = self.tour(tour)?;
                let m = self.metadata(scene)?;
                let title = t.scene(scene).and_then(|s| s.title.get(lang)).or(m.title.get(lang));
                join([title, m.description.get(lang)])
            }
            AudioTarget::Info { tour, scene, info } => {
                let t = self.tour(tour)?;
                let i = t.scene(scene).and_then(|s| s.infos.iter().find(|i| &i.id == info));
                join([i.and_then(|i| i.title.get(lang)), i.and_then(|i| i.text.get(lang))])
            }
            AudioTarget::Annotation { asset, annotation } => {
                let story = self.story(asset)?;
                let a = story.get(annotation);
                join([a.and_then(|a| a.title.get(lang)), a.and_then(|a| a.text.get(lang))])
            }
        })
    }
}

fn parse(v: &str) -> Result<AudioRecord> {
    serde_json::from_str(v).map_err(|e| CatalogError::Invalid(format!("stored narration unreadable: {e}")))
}
