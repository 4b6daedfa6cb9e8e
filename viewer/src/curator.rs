//! Curator mode's state, apart from the panel that draws it (`curate`): which tab is open, the metadata and
//! site forms as loaded and as edited, the hotspot forms, and the placing tool. The viewer owns it; `curate`
//! reads and changes it.

use std::collections::{BTreeMap, BTreeSet};

use disan_catalog::{InfoHotspot, LinkHotspot};

use crate::collection::Item;

/// The fields the form edits: multilingual ones per language, then plain ones.
pub const FORM_FIELDS: &[&str] = &[
    "title.vi",
    "title.en",
    "title.zh-Hans",
    "description.vi",
    "description.en",
    "description.zh-Hans",
    "subject.vi",
    "subject.en",
    "subject.zh-Hans",
    "coverage.vi",
    "coverage.en",
    "coverage.zh-Hans",
    "creator",
    "date",
    "rights",
];

/// The fields of the asset's site that the panel edits.
pub const SITE_FORM_FIELDS: &[&str] = &["name.vi", "name.en", "name.zh-Hans", "province", "rank", "type"];

/// The curator panel's tabs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tab {
    #[default]
    Metadata,
    Site,
    /// Only for a panorama.
    Tours,
    /// Only for a model: its annotations.
    Story,
    History,
}

/// What a click in a tour's panorama places.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Place {
    #[default]
    Nothing,
    /// An information point with the title and text typed in the panel.
    Info,
    /// A link to this scene.
    Link(String),
}

/// The curator's working state.
#[derive(Clone, Debug, Default)]
pub struct Curator {
    /// Recorded in every revision.
    pub author: String,
    /// The tab shown; it stays as the curator moves between assets.
    pub tab: Tab,
    /// The asset the form holds, and the values as loaded.
    pub asset: Option<String>,
    pub form: BTreeMap<String, String>,
    pub(crate) loaded: BTreeMap<String, String>,
    /// The outcome of the last action: (succeeded, message).
    pub message: Option<(bool, String)>,
    pub place: Place,
    pub info_title: String,
    pub info_text: String,
    /// The asset's revisions and its tour's link suggestions, read when the form loads (not every frame).
    pub(crate) history: Vec<disan_catalog::Revision>,
    pub(crate) suggestions: Vec<disan_catalog::LinkSuggestion>,
    /// The asset's site as loaded (`None` without one): its editable fields and whether it is confirmed.
    pub(crate) site: Option<(disan_catalog::Site, BTreeMap<String, String>)>,
    pub site_form: BTreeMap<String, String>,
    /// The name, in the interface language, of a site to create for this asset.
    pub new_site: String,
    /// Other assets of the asset's site picked to move with it into the new site (a split of several).
    pub split_with: BTreeSet<String>,
    /// The site picked to merge the asset's site into.
    pub merge_into: Option<String>,
    /// Every tour id (with empty tours, which the collection leaves out), read when the form loads.
    pub(crate) tour_ids: Vec<String>,
    /// The tour picked to add this panorama to, and the title of a new tour for it.
    pub join_tour: Option<String>,
    pub new_tour: String,
    /// The scene's hotspots as the panel edits them, by hotspot id: (as loaded, as edited).
    pub hotspots: BTreeMap<String, (HotspotForm, HotspotForm)>,
    /// The annotation the story form edits (`None`: a new one, placed by a click on the model), and its title
    /// and text in every language of `LANGS`.
    pub annotation: Option<String>,
    pub annotation_form: HotspotForm,
    /// The recording file the narration tools add.
    pub audio_path: String,
    /// In the Tours tab: the information point whose narration the tools show (the scene's when `None`).
    pub narrate_info: Option<String>,
}

/// The editable part of one hotspot. An information point has its title and text in every language of
/// `LANGS` and optionally an asset it opens; a link has the view it arrives at (the target's start view
/// when `None`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HotspotForm {
    pub title: BTreeMap<String, String>,
    pub text: BTreeMap<String, String>,
    pub opens: Option<String>,
    pub arrive: Option<disan_catalog::TourView>,
}

/// The languages the panel edits.
pub const LANGS: &[&str] = &["vi", "en", "zh-Hans"];

impl HotspotForm {
    pub(crate) fn of_info(i: &InfoHotspot) -> Self {
        let text = |t: &disan_core::LangText| {
            LANGS
                .iter()
                .map(|l| ((*l).to_owned(), t.get(l).unwrap_or_default().to_owned()))
                .collect()
        };
        Self {
            title: text(&i.title),
            text: text(&i.text),
            opens: i.asset.clone(),
            arrive: None,
        }
    }

    /// A title and a text, as an annotation of a relic's story has them.
    pub(crate) fn of_texts(title: &disan_core::LangText, text: &disan_core::LangText) -> Self {
        let per_lang = |t: &disan_core::LangText| {
            LANGS
                .iter()
                .map(|l| ((*l).to_owned(), t.get(l).unwrap_or_default().to_owned()))
                .collect()
        };
        Self {
            title: per_lang(title),
            text: per_lang(text),
            ..Default::default()
        }
    }

    pub(crate) fn of_link(l: &LinkHotspot) -> Self {
        Self {
            arrive: l.arrive,
            ..Default::default()
        }
    }
}

impl Curator {
    pub fn new(author: &str) -> Self {
        Self {
            author: author.to_owned(),
            ..Default::default()
        }
    }

    pub(crate) fn load(&mut self, item: &Item) {
        let m = &item.meta;
        let mut form = BTreeMap::new();
        for key in FORM_FIELDS {
            let value = match key.split_once('.') {
                Some((field, l)) => m.text(field).and_then(|t| t.get(l)).map(str::to_owned),
                None => match *key {
                    "creator" => m.creator.clone(),
                    "date" => m.date.clone(),
                    "rights" => m.rights.clone(),
                    _ => None,
                },
            };
            form.insert((*key).to_owned(), value.unwrap_or_default());
        }
        // A checkbox, not a text field: "true" or "".
        form.insert("highlight".into(), m.highlight.clone().unwrap_or_default());
        // A photo's video focus (`x,y`, fractions), edited beside the view.
        form.insert("focus".into(), m.focus.clone().unwrap_or_default());
        self.asset = Some(item.id.clone());
        self.loaded = form.clone();
        self.form = form;
        self.place = Place::Nothing;
        self.hotspots.clear();
        self.annotation = None;
        self.annotation_form = HotspotForm::default();
    }

    /// Loads the hotspots of the tour scene being curated into their forms.
    pub(crate) fn load_hotspots(&mut self, scene: &disan_catalog::TourScene) {
        let forms = scene
            .links
            .iter()
            .map(|l| (l.id.clone(), HotspotForm::of_link(l)))
            .chain(scene.infos.iter().map(|i| (i.id.clone(), HotspotForm::of_info(i))));
        self.hotspots = forms.map(|(id, f)| (id, (f.clone(), f))).collect();
    }

    /// The fields changed in the form, as `FIELD[.LANG]=VALUE` assignments.
    pub fn changes(&self) -> Vec<String> {
        changed(&self.form, &self.loaded)
    }

    pub(crate) fn load_site(&mut self, site: Option<disan_catalog::Site>) {
        self.site = site.map(|site| {
            let form = SITE_FORM_FIELDS
                .iter()
                .map(|key| {
                    let value = match key.split_once('.') {
                        Some((_, l)) => site.name.get(l).map(str::to_owned),
                        None => match *key {
                            "province" => site.province.clone(),
                            "rank" => site.rank.clone(),
                            _ => site.relic_type.clone(),
                        },
                    };
                    ((*key).to_owned(), value.unwrap_or_default())
                })
                .collect::<BTreeMap<_, _>>();
            let mut form = form;
            form.insert("highlight".into(), if site.highlight { "true" } else { "" }.into());
            (site, form)
        });
        self.site_form = self.site.as_ref().map(|(_, f)| f.clone()).unwrap_or_default();
        self.new_site.clear();
        self.split_with.clear();
    }

    /// The site fields changed in the panel, as assignments.
    pub fn site_changes(&self) -> Vec<String> {
        self.site
            .as_ref()
            .map(|(_, loaded)| changed(&self.site_form, loaded))
            .unwrap_or_default()
    }
}

pub(crate) fn changed(form: &BTreeMap<String, String>, loaded: &BTreeMap<String, String>) -> Vec<String> {
    form.iter()
        .filter(|(k, v)| loaded.get(*k) != Some(v))
        .map(|(k, v)| format!("{k}={v}"))
        .collect()
}
