//! What the website shows, read from the catalogue once: published assets, the sites they belong to, the tours
//! made of published panoramas, and the texts each page shows in each language.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use disan_catalog::audio::{AudioRecord, AudioTarget};
use disan_catalog::{Catalog, PublicRecord, Site, Tour};
use disan_core::{AssetKind, LangText, REQUIRED_LANGS};

use super::Strings;
use super::text;
use crate::Result;

/// A text as a page shows it: in the page's language, or in another one (`lang` says which) until a
/// translation exists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Shown {
    pub text: String,
    /// The language of `text`.
    pub lang: String,
    /// True when `text` stands in for a translation the page's language lacks.
    pub fallback: bool,
}

impl Shown {
    fn own(text: String, lang: &str) -> Self {
        Self {
            text,
            lang: lang.to_owned(),
            fallback: false,
        }
    }
}

/// `t` in `lang`, else in the first of vi, en, zh-Hans (then any other) that has it.
pub(crate) fn shown(t: &LangText, lang: &str) -> Option<Shown> {
    if let Some(s) = t.get(lang) {
        return Some(Shown::own(s.to_owned(), lang));
    }
    let (l, s) = t.get_or_fallback(lang, &REQUIRED_LANGS)?;
    Some(Shown {
        text: s.to_owned(),
        lang: l.to_owned(),
        fallback: true,
    })
}

/// Everything the website is built from.
pub(crate) struct Data {
    pub name: LangText,
    pub langs: Vec<String>,
    /// Interface texts by language.
    pub strings: HashMap<String, Strings>,
    /// Published assets, by id.
    pub assets: Vec<PublicRecord>,
    /// Sites with at least one published asset, by id.
    pub sites: Vec<Site>,
    /// Tours with their scenes reduced to published panoramas (and links between them); tours left with no
    /// scene are not shown.
    pub tours: Vec<Tour>,
    pub collection: PathBuf,
    /// Narration of what the site shows (published assets, shown tour scenes and their hotspots), by target
    /// and language.
    pub narration: HashMap<(AudioTarget, String), AudioRecord>,
    /// The annotations of published models, by asset id.
    pub stories: HashMap<String, disan_catalog::Story>,
    by_id: HashMap<String, usize>,
    site_by_id: HashMap<String, usize>,
}

impl Data {
    pub fn load(catalog: &Catalog, langs: &[String]) -> Result<Self> {
        let assets = catalog.public_records(false)?;
        let by_id: HashMap<String, usize> = assets
            .iter()
            .enumerate()
            .map(|(i, a)| (a.manifest.id.to_string(), i))
            .collect();
        let mut with_assets: BTreeMap<&str, ()> = BTreeMap::new();
        for a in &assets {
            if let Some(s) = &a.site {
                with_assets.insert(s, ());
            }
        }
        let sites: Vec<Site> = catalog
            .sites(false)?
            .into_iter()
            .filter(|s| with_assets.contains_key(s.id.as_str()))
            .collect();
        let site_by_id = sites.iter().enumerate().map(|(i, s)| (s.id.clone(), i)).collect();
        let mut tours = Vec::new();
        for id in catalog.tours()? {
            let mut tour = catalog.tour(&id)?;
            tour.scenes.retain(|s| {
                by_id
                    .get(&s.asset)
                    .is_some_and(|&i| assets[i].manifest.pano_tiles.is_some())
            });
            let kept: Vec<String> = tour.scenes.iter().map(|s| s.asset.clone()).collect();
            for s in &mut tour.scenes {
                s.links.retain(|l| kept.contains(&l.target));
                s.infos
                    .iter_mut()
                    .for_each(|i| i.asset = i.asset.take().filter(|a| by_id.contains_key(a)));
            }
            if !tour.scenes.is_empty() {
                tours.push(tour);
            }
        }
        let shown_scene =
            |tour: &str, scene: &str| tours.iter().any(|t: &Tour| t.id == tour && t.scene(scene).is_some());
        let narration = catalog
            .audio_list()?
            .into_iter()
            .filter(|e| match &e.target {
                AudioTarget::Asset(id) | AudioTarget::Annotation { asset: id, .. } => by_id.contains_key(id),
                AudioTarget::Scene { tour, scene } | AudioTarget::Info { tour, scene, .. } => shown_scene(tour, scene),
            })
            .map(|e| ((e.target, e.lang), e.record))
            .collect();
        let stories = catalog
            .stories()?
            .into_iter()
            .filter(|(id, s)| by_id.contains_key(id) && !s.annotations.is_empty())
            .collect();
        let mut name = LangText::new();
        match catalog.property("collection_name")? {
            Some(n) => {
                for l in langs {
                    name.set(l, &n);
                }
            }
            None => {
                for l in langs {
                    name.set(l, &text::strings(l)["site.name"]);
                }
            }
        }
        Ok(Self {
            name,
            langs: langs.to_vec(),
            strings: langs.iter().map(|l| (l.clone(), text::strings(l))).collect(),
            assets,
            sites,
            tours,
            collection: catalog.collection_dir().to_owned(),
            narration,
            stories,
            by_id,
            site_by_id,
        })
    }

    /// The interface text `key` in `lang` (the key itself if the translation file lacks it).
    pub fn t<'a>(&'a self, lang: &str, key: &'a str) -> &'a str {
        self.strings
            .get(lang)
            .and_then(|s| s.get(key))
            .map_or(key, String::as_str)
    }

    pub fn asset(&self, id: &str) -> Option<&PublicRecord> {
        self.by_id.get(id).map(|&i| &self.assets[i])
    }

    pub fn site(&self, id: &str) -> Option<&Site> {
        self.site_by_id.get(id).map(|&i| &self.sites[i])
    }

    pub fn site_of(&self, a: &PublicRecord) -> Option<&Site> {
        a.site.as_deref().and_then(|s| self.site(s))
    }

    /// The kind's name in `lang`: what the public sees where an asset has no title in any language and no site.
    pub fn kind_label(&self, kind: AssetKind, lang: &str) -> String {
        self.t(
            lang,
            match kind {
                AssetKind::Photo => "kind.photo",
                AssetKind::Panorama => "kind.panorama",
                AssetKind::Model => "kind.model",
            },
        )
        .to_owned()
    }

    /// An asset's title for the public (issue 22, item 6): its title in `lang`, else in another language,
    /// else its site's name, else the kind's name. Never an id or a file name.
    pub fn asset_title(&self, a: &PublicRecord, lang: &str) -> Shown {
        shown(&a.meta.title, lang)
            .or_else(|| self.site_of(a).and_then(|s| shown(&s.name, lang)))
            .unwrap_or_else(|| Shown::own(self.kind_label(a.manifest.kind, lang), lang))
    }

    /// A site's name for the public: in `lang`, else another language, else "Site".
    pub fn site_name(&self, s: &Site, lang: &str) -> Shown {
        shown(&s.name, lang).unwrap_or_else(|| Shown::own(self.t(lang, "kind.site").to_owned(), lang))
    }

    /// A tour scene's title: the tour's own for the scene, else the asset's public title.
    pub fn scene_title(&self, tour: &Tour, asset: &str, lang: &str) -> Shown {
        tour.scene(asset)
            .and_then(|s| shown(&s.title, lang))
            .or_else(|| self.asset(asset).map(|a| self.asset_title(a, lang)))
            .unwrap_or_else(|| Shown::own(self.kind_label(AssetKind::Panorama, lang), lang))
    }

    pub fn tour_title(&self, tour: &Tour, lang: &str) -> Shown {
        shown(&tour.title, lang)
            .or_else(|| Some(self.scene_title(tour, &tour.scenes.first()?.asset, lang)))
            .unwrap_or_else(|| Shown::own(self.t(lang, "kind.tour").to_owned(), lang))
    }

    /// Assets of a site, in id order.
    pub fn assets_of(&self, site: &str) -> Vec<&PublicRecord> {
        self.assets.iter().filter(|a| a.site.as_deref() == Some(site)).collect()
    }

    /// Tours that show `asset`.
    pub fn tours_with(&self, asset: &str) -> Vec<&Tour> {
        self.tours.iter().filter(|t| t.scene(asset).is_some()).collect()
    }

    /// The narration of `target` in `lang`, if a curator added one (a recording or a draft voice).
    pub fn narration(&self, target: &AudioTarget, lang: &str) -> Option<&AudioRecord> {
        self.narration.get(&(target.clone(), lang.to_owned()))
    }

    /// Where a narration's MP3 is in the site: `media/narration/` and its path in the collection.
    pub fn narration_path(record: &AudioRecord) -> String {
        format!("media/narration/{}", record.file)
    }

    /// The folder of an asset's files in the collection.
    pub fn asset_dir(&self, a: &PublicRecord) -> PathBuf {
        self.collection
            .join(disan_catalog::ASSETS_DIR)
            .join(a.manifest.id.to_string())
    }

    /// The asset's picture for cards and share images: its display image, else its thumbnail.
    pub fn picture(&self, a: &PublicRecord) -> Option<(String, PathBuf)> {
        let m = &a.manifest;
        let d = m
            .derivatives
            .get("display")
            .or_else(|| m.derivatives.get("pano_preview"))
            .or_else(|| m.derivatives.get("thumb"))?;
        let path = disan_fs::confine(&self.asset_dir(a), &d.path).ok()?;
        Some((d.path.clone(), path))
    }
}
