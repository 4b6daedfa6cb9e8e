//! What the viewer shows of a collection: its assets and sites, read once from the catalogue.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use disan_catalog::{Catalog, Filter, Site};
use disan_core::{AssetKind, IiifTiles, LangText, Metadata, PanoTiles};

use crate::model::Lod;

/// One asset as the gallery and the info panel show it.
#[derive(Clone, Debug)]
pub struct Item {
    pub id: String,
    pub kind: AssetKind,
    pub state: String,
    pub site_id: Option<String>,
    pub meta: Metadata,
    /// The original's file name, the title of last resort.
    pub file_name: String,
    pub taken_at: Option<String>,
    pub gps: Option<(f64, f64)>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Absolute paths of the small and the screen-sized image, where the pipeline made them.
    pub thumb: Option<PathBuf>,
    pub display: Option<PathBuf>,
    /// The IIIF deep-zoom service of a large photo: its folder and layout.
    pub iiif: Option<(PathBuf, IiifTiles)>,
    /// The cube tile pyramid of a panorama: its folder and layout.
    pub pano: Option<(PathBuf, PanoTiles)>,
    /// A model's levels of detail, full model first.
    pub model: Vec<Lod>,
    /// Compass direction of the image centre (GPano pose heading, else the EXIF image direction).
    pub heading: Option<f64>,
}

/// An open collection: the catalogue (for search) and what the views list.
pub struct Collection {
    pub root: PathBuf,
    catalog: Catalog,
    pub items: Vec<Item>,
    pub sites: Vec<Site>,
    site_index: HashMap<String, usize>,
    /// Item id → index into `items`, for mapping search hits.
    item_index: HashMap<String, usize>,
    /// Only published assets are listed (kiosk mode).
    pub published_only: bool,
    /// Assets left out because their catalogue entry is unreadable or tampered with, and why.
    pub skipped: Vec<String>,
    /// Tours, with only the scenes (and links to scenes) this collection shows.
    pub tours: Vec<disan_catalog::Tour>,
    /// Narration by target and language, read once when the collection opens (the player and the kiosk
    /// look it up every frame).
    narration: HashMap<(disan_catalog::audio::AudioTarget, String), disan_catalog::audio::AudioRecord>,
    /// The relics' stories (annotations pinned to the model), by asset id.
    stories: HashMap<String, disan_catalog::Story>,
    /// The newest revision when the collection was read (read first): curator edits of what it shows are
    /// based on it, so an edit made meanwhile by someone else is a conflict, not overwritten.
    pub revision: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum CollectionError {
    #[error(transparent)]
    Catalog(#[from] disan_catalog::CatalogError),
    #[error(transparent)]
    Store(#[from] disan_store::StoreError),
}

impl Collection {
    /// Opens a collection folder read-only. With `published_only`, drafts and withdrawn assets are hidden.
    pub fn open(root: &Path, published_only: bool) -> Result<Self, CollectionError> {
        let catalog = Catalog::open(root)?;
        let revision = catalog.latest_revision()?;
        let mut meta = catalog.all_metadata()?;
        let mut items = Vec::new();
        let (records, unreadable) = catalog.list_readable(None)?;
        // Asset files in object storage: the committed assets come down into the folder first (only what
        // changed since the last time), and are read from there.
        let config = disan_catalog::CollectionConfig::read(root)?;
        if let Some(s3) = config.s3() {
            let ids: Vec<String> = records.iter().map(disan_catalog::AssetRecord::id).collect();
            disan_store::Store::open(root, Some(s3))?.mirror(&ids, root)?;
        }
        let mut skipped: Vec<String> = unreadable.iter().map(ToString::to_string).collect();
        let collection = disan_fs::Root::new(root);
        for r in records {
            if published_only && r.state != "published" {
                continue;
            }
            let Ok(folder) = collection.confine(&r.folder) else {
                skipped.push(format!("asset {}: folder {:?} leaves the collection", r.id(), r.folder));
                continue;
            };
            // Every path a manifest names must stay inside the asset's folder (`disan_fs::confine`).
            let asset = disan_fs::Root::new(&folder);
            let inside = |rel: &str| asset.confine(rel).ok();
            let path_of = |name: &str| r.manifest.derivatives.get(name).and_then(|d| inside(&d.path));
            let m = &r.manifest;
            items.push(Item {
                id: r.id(),
                kind: r.kind(),
                state: r.state.clone(),
                site_id: r.site_id.clone(),
                meta: meta.remove(&r.id()).unwrap_or_default(),
                file_name: m.source.file_name.clone(),
                taken_at: m.metadata.taken_at.clone(),
                gps: m.metadata.gps.as_ref().map(|g| (g.lat, g.lon)),
                width: m.width,
                height: m.height,
                thumb: path_of("thumb"),
                display: path_of("display").or_else(|| path_of("thumb")),
                pano: m.pano_tiles.as_ref().and_then(|t| {
                    let config = inside(&t.config)?;
                    Some((config.parent()?.to_owned(), t.clone()))
                }),
                model: m.model.as_ref().map_or_else(Vec::new, |summary| {
                    let dir = folder.join("model");
                    std::iter::once(("model.glb", summary.triangles))
                        .chain(
                            summary
                                .lods
                                .iter()
                                .filter(|l| is_plain_name(&l.file))
                                .map(|l| (l.file.as_str(), l.triangles)),
                        )
                        .map(|(file, triangles)| {
                            let path = dir.join(file);
                            let bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
                            Lod { path, triangles, bytes }
                        })
                        .collect()
                }),
                heading: m
                    .metadata
                    .pano
                    .as_ref()
                    .and_then(|p| p.pose_heading_deg)
                    .or(m.metadata.heading_deg)
                    .filter(|h| h.is_finite()),
                iiif: m.iiif.as_ref().and_then(|t| {
                    let info = inside(&t.info)?;
                    Some((info.parent()?.to_owned(), t.clone()))
                }),
            });
        }
        let sites: Vec<Site> = catalog
            .sites(false)?
            .into_iter()
            .filter(|s| !published_only || items.iter().any(|i| i.site_id.as_deref() == Some(&s.id)))
            .collect();
        let site_index = sites.iter().enumerate().map(|(i, s)| (s.id.clone(), i)).collect();
        let item_index: HashMap<String, usize> = items.iter().enumerate().map(|(i, it)| (it.id.clone(), i)).collect();
        let shown = |id: &str| item_index.get(id).is_some_and(|&i| items[i].pano.is_some());
        let mut tours = Vec::new();
        for id in catalog.tours()? {
            match catalog.tour(&id) {
                Ok(mut t) => {
                    t.scenes.retain(|s| shown(&s.asset));
                    for s in &mut t.scenes {
                        s.links.retain(|l| shown(&l.target));
                        for i in &mut s.infos {
                            i.asset = i.asset.take().filter(|a| item_index.contains_key(a));
                        }
                    }
                    if !t.scenes.is_empty() {
                        tours.push(t);
                    }
                }
                Err(e) => skipped.push(format!("tour {id}: {e}")),
            }
        }
        let narration = match catalog.audio_list() {
            Ok(all) => all.into_iter().map(|e| ((e.target, e.lang), e.record)).collect(),
            Err(e) => {
                skipped.push(format!("narration: {e}"));
                HashMap::new()
            }
        };
        let stories = match catalog.stories() {
            Ok(all) => all.into_iter().filter(|(id, _)| item_index.contains_key(id)).collect(),
            Err(e) => {
                skipped.push(format!("stories: {e}"));
                HashMap::new()
            }
        };
        for s in &skipped {
            eprintln!("disan-viewer: left out {s}");
        }
        Ok(Self {
            revision,
            skipped,
            tours,
            narration,
            stories,
            root: root.to_owned(),
            catalog,
            items,
            sites,
            site_index,
            item_index,
            published_only,
        })
    }

    /// The index in [`Self::items`] of an asset.
    /// The story of the relic `id` (its annotations in order), when it has one.
    pub fn story(&self, id: &str) -> Option<&disan_catalog::Story> {
        self.stories.get(id).filter(|s| !s.annotations.is_empty())
    }

    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.item_index.get(id).copied()
    }

    /// The narration of `target` in `lang`, when the catalogue has one (none in a catalogue from before
    /// narration existed, or when it could not be read).
    pub fn narration(
        &self,
        target: &disan_catalog::audio::AudioTarget,
        lang: &str,
    ) -> Option<&disan_catalog::audio::AudioRecord> {
        self.narration.get(&(target.clone(), lang.to_owned()))
    }

    /// Tours the kiosk's attract loop plays: those whose first scene is a highlighted asset
    /// (`highlight=yes`) and that have narration in `lang` for a scene or an information point.
    pub fn narrated_tours(&self, lang: &str) -> Vec<String> {
        use disan_catalog::audio::AudioTarget;
        self.tours
            .iter()
            .filter(|t| {
                let highlighted = t.scenes.first().is_some_and(|s| {
                    self.index_of(&s.asset)
                        .is_some_and(|i| self.items[i].meta.highlight.as_deref() == Some("true"))
                });
                let narrated = t.scenes.iter().any(|s| {
                    let scene = AudioTarget::Scene {
                        tour: t.id.clone(),
                        scene: s.asset.clone(),
                    };
                    self.narration(&scene, lang).is_some()
                        || s.infos.iter().any(|i| {
                            let info = AudioTarget::Info {
                                tour: t.id.clone(),
                                scene: s.asset.clone(),
                                info: i.id.clone(),
                            };
                            self.narration(&info, lang).is_some()
                        })
                });
                highlighted && narrated
            })
            .map(|t| t.id.clone())
            .collect()
    }

    /// The first tour that has this panorama as a scene, and the scene.
    pub fn tour_scene(&self, asset: &str) -> Option<(&disan_catalog::Tour, &disan_catalog::TourScene)> {
        self.tours.iter().find_map(|t| Some((t, t.scene(asset)?)))
    }

    /// Every site as (id, name in `lang`), for pickers.
    pub fn site_names(&self, lang: &str) -> Vec<(String, String)> {
        self.sites
            .iter()
            .map(|s| (s.id.clone(), s.display_name(lang)))
            .collect()
    }

    pub fn site(&self, id: &str) -> Option<&Site> {
        self.site_index.get(id).map(|&i| &self.sites[i])
    }

    /// Indexes into [`Self::items`] of what matches `query` and `filter`, best first (the catalogue's
    /// diacritic-blind search); every item in gallery order when both are empty.
    pub fn search(&self, query: &str, filter: &Filter) -> Result<Vec<usize>, CollectionError> {
        let mut filter = filter.clone();
        if self.published_only {
            filter.state = Some("published".into());
        }
        if query.trim().is_empty() && filter.kind.is_none() && filter.site.is_none() && filter.rank.is_none() {
            return Ok((0..self.items.len()).collect());
        }
        let hits = self.catalog.search(query, &filter, self.items.len().max(1))?;
        Ok(hits
            .iter()
            .filter_map(|h| self.item_index.get(&h.id).copied())
            .collect())
    }
}

/// The text of a multilingual field in the first language of `order` that has it, with the language used.
pub fn pick<'a>(text: &'a LangText, order: &[&str]) -> Option<(&'a str, &'a str)> {
    let (first, rest) = order.split_first()?;
    text.get_or_fallback(first, rest)
}

/// A file name with no folder part: what a manifest may name inside an asset's folder (a tampered one must not
/// send the viewer elsewhere).
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(['/', '\\']) && name != ".." && name != "."
}
