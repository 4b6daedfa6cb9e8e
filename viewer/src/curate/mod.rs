//! Curator mode (`disan-viewer --curate`): beside the asset being viewed, its metadata in every language
//! with the catalogue's own validation, its workflow state, its site (confirmed, edited, split or merged), its
//! history with undo, and for a panorama its tours: joined or started, the scene moved in the walk, the view
//! on screen taken as its start view or as where a link arrives; hotspots placed by clicking, dragged, edited
//! (an information point's texts in every language and what it opens, a link's arrival view) or removed;
//! links suggested from GPS and compass accepted or rejected. Every change goes through the same catalogue
//! API as the `disan` command line (and writes the same revisions), so an edit made in one shows in the other.

mod sites;
mod tours;

use std::collections::{BTreeMap, BTreeSet};

use disan_catalog::{Catalog, Entity, InfoHotspot, LinkHotspot, STATES, allowed_transition, fields};
use egui::RichText;

use crate::app::ViewerApp;
use crate::collection::{Collection, Item};
use crate::i18n::{t, tf};

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
    loaded: BTreeMap<String, String>,
    /// The outcome of the last action: (succeeded, message).
    pub message: Option<(bool, String)>,
    pub place: Place,
    pub info_title: String,
    pub info_text: String,
    /// The asset's revisions and its tour's link suggestions, read when the form loads (not every frame).
    history: Vec<disan_catalog::Revision>,
    suggestions: Vec<disan_catalog::LinkSuggestion>,
    /// The asset's site as loaded (`None` without one): its editable fields and whether it is confirmed.
    site: Option<(disan_catalog::Site, BTreeMap<String, String>)>,
    pub site_form: BTreeMap<String, String>,
    /// The name, in the interface language, of a site to create for this asset.
    pub new_site: String,
    /// Other assets of the asset's site picked to move with it into the new site (a split of several).
    pub split_with: BTreeSet<String>,
    /// The site picked to merge the asset's site into.
    pub merge_into: Option<String>,
    /// Every tour id (with empty tours, which the collection leaves out), read when the form loads.
    tour_ids: Vec<String>,
    /// The tour picked to add this panorama to, and the title of a new tour for it.
    pub join_tour: Option<String>,
    pub new_tour: String,
    /// The scene's hotspots as the panel edits them, by hotspot id: (as loaded, as edited).
    pub hotspots: BTreeMap<String, (HotspotForm, HotspotForm)>,
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
    fn of_info(i: &InfoHotspot) -> Self {
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

    fn of_link(l: &LinkHotspot) -> Self {
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

    fn load(&mut self, item: &Item) {
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
        self.asset = Some(item.id.clone());
        self.loaded = form.clone();
        self.form = form;
        self.place = Place::Nothing;
        self.hotspots.clear();
    }

    /// Loads the hotspots of the tour scene being curated into their forms.
    fn load_hotspots(&mut self, scene: &disan_catalog::TourScene) {
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

    fn load_site(&mut self, site: Option<disan_catalog::Site>) {
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

fn changed(form: &BTreeMap<String, String>, loaded: &BTreeMap<String, String>) -> Vec<String> {
    form.iter()
        .filter(|(k, v)| loaded.get(*k) != Some(v))
        .map(|(k, v)| format!("{k}={v}"))
        .collect()
}

/// A label for a form field in the interface language: "Title (vi)".
fn field_label(lang: crate::i18n::Lang, key: &str) -> String {
    match key.split_once('.') {
        Some((f, l)) => format!("{} ({l})", t(lang, &format!("field.{f}"))),
        None => t(lang, &format!("field.{key}")).to_owned(),
    }
}

/// A label for a site field: "Site name (vi)", "Province".
fn site_field_label(lang: crate::i18n::Lang, key: &str) -> String {
    match key.split_once('.') {
        Some((f, l)) => format!("{} ({l})", t(lang, &format!("site_field.{f}"))),
        None => t(lang, &format!("site_field.{key}")).to_owned(),
    }
}

impl ViewerApp {
    fn edit_catalog(&self) -> Result<Catalog, String> {
        Catalog::open_for_edit(&self.collection.root).map_err(|e| e.to_string())
    }

    /// Reads the collection again after a change, keeping the asset in view and the panorama's camera.
    fn reload(&mut self) {
        let selected = self.selected.map(|i| self.collection.items[i].id.clone());
        let camera = self.pano.as_ref().map(|(_, p)| p.camera);
        match Collection::open(&self.collection.root, self.collection.published_only) {
            Ok(c) => self.collection = c,
            Err(e) => {
                self.curator.message = Some((false, e.to_string()));
                return;
            }
        }
        self.searched = None;
        self.selected = selected.and_then(|id| self.collection.index_of(&id));
        if let (Some(i), Some(camera)) = (self.selected, camera) {
            self.pano = self.tour_pano(i, None).map(|(i, mut v)| {
                v.camera = camera;
                (i, v)
            });
        }
        self.curator.asset = None;
    }

    /// Runs a change against the catalogue, reports how it went, and reloads on success.
    fn act(&mut self, done: &str, change: impl FnOnce(&mut Catalog, &str) -> disan_catalog::Result<usize>) {
        let author = self.curator.author.clone();
        let result = self
            .edit_catalog()
            .and_then(|mut cat| change(&mut cat, &author).map_err(|e| e.to_string()));
        match result {
            Ok(n) => {
                let message = tf(self.lang, done, &[("n", &n.to_string())]);
                self.reload();
                self.curator.message = Some((true, message));
            }
            Err(e) => self.curator.message = Some((false, e)),
        }
    }

    /// The curator's panel for `item`: form, state, site, history, and the tour tools for a panorama.
    pub fn curator_panel(&mut self, ui: &mut egui::Ui, item: &Item) {
        let lang = self.lang;
        if self.curator.asset.as_deref() != Some(item.id.as_str()) {
            self.curator.load(item);
            // Read once per load; every change reloads, so they stay current.
            let tour = self.collection.tour_scene(&item.id).map(|(t, _)| t.id.clone());
            let (history, suggestions, site, tour_ids) = match self.edit_catalog() {
                Ok(c) => (
                    c.history(Entity::Asset, &item.id).unwrap_or_default(),
                    tour.and_then(|t| c.suggest_links(&t, 150.0).ok()).unwrap_or_default(),
                    item.site_id.as_deref().and_then(|s| c.site(s).ok()),
                    c.tours().unwrap_or_default(),
                ),
                Err(_) => Default::default(),
            };
            (self.curator.history, self.curator.suggestions) = (history, suggestions);
            (self.curator.tour_ids, self.curator.join_tour) = (tour_ids, None);
            self.curator.new_tour.clear();
            self.curator.load_site(site);
            if let Some((_, scene)) = self.collection.tour_scene(&item.id) {
                self.curator.load_hotspots(scene);
            }
        }
        ui.separator();
        ui.heading(t(lang, "curate.heading"));
        if let Some((ok, m)) = &self.curator.message {
            let color = if *ok {
                egui::Color32::LIGHT_GREEN
            } else {
                egui::Color32::LIGHT_RED
            };
            ui.label(RichText::new(m).color(color));
        }
        // One tab at a time keeps the panel within a laptop's screen.
        let tabs = [
            (Tab::Metadata, "curate.tab_metadata"),
            (Tab::Site, "curate.site_details"),
            (Tab::Tours, "curate.tours"),
            (Tab::History, "curate.history"),
        ];
        if item.pano.is_none() && self.curator.tab == Tab::Tours {
            self.curator.tab = Tab::Metadata;
        }
        ui.horizontal_wrapped(|ui| {
            for (tab, key) in tabs {
                if tab != Tab::Tours || item.pano.is_some() {
                    ui.selectable_value(&mut self.curator.tab, tab, t(lang, key));
                }
            }
        });
        ui.separator();
        match self.curator.tab {
            Tab::Metadata => self.metadata_tab(ui, item),
            Tab::Site => self.site_tab(ui, item),
            Tab::Tours => {
                self.join_tour_form(ui, item);
                self.scene_tools(ui, item);
            }
            Tab::History => self.history_tab(ui),
        }
    }

    /// The asset's metadata in every language, and its workflow state.
    fn metadata_tab(&mut self, ui: &mut egui::Ui, item: &Item) {
        let lang = self.lang;
        egui::Grid::new("curate-form").num_columns(2).show(ui, |ui| {
            for key in FORM_FIELDS {
                let label = ui.label(field_label(lang, key));
                let value = self.curator.form.entry((*key).to_owned()).or_default();
                let edit = if key.starts_with("description") {
                    egui::TextEdit::multiline(value).desired_rows(2)
                } else {
                    egui::TextEdit::singleline(value)
                };
                ui.add(edit.desired_width(220.0)).labelled_by(label.id);
                ui.end_row();
            }
        });
        let changes = self.curator.changes();
        if ui
            .add_enabled(!changes.is_empty(), egui::Button::new(t(lang, "curate.save")))
            .clicked()
        {
            let id = item.id.clone();
            self.act("curate.saved", |cat, who| {
                let parsed = changes
                    .iter()
                    .map(|a| fields::parse_assignment(Entity::Asset, a))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(cat.set_meta(&[id], &parsed, who)?.len())
            });
        }

        // Workflow state: the moves allowed from here.
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(t(lang, "curate.state")).strong());
            ui.label(t(lang, &format!("state.{}", item.state)));
            for to in STATES.iter().filter(|to| allowed_transition(&item.state, to)) {
                if ui.button(format!("» {}", t(lang, &format!("state.{to}")))).clicked() {
                    let (id, to) = (item.id.clone(), (*to).to_owned());
                    self.act("curate.saved", |cat, who| Ok(cat.set_state(&[id], &to, who)?.len()));
                }
            }
        });
    }

    /// The asset's revisions, newest first, each with its undo.
    fn history_tab(&mut self, ui: &mut egui::Ui) {
        let lang = self.lang;
        let mut undo = None;
        for r in self.curator.history.iter().rev().take(40) {
            ui.horizontal_wrapped(|ui| {
                ui.label(
                    RichText::new(format!(
                        "#{} {} {}: {}",
                        r.id,
                        r.author,
                        r.key(),
                        r.new.as_deref().unwrap_or("—")
                    ))
                    .small(),
                );
                if ui.small_button(t(lang, "curate.undo")).clicked() {
                    undo = Some(r.id);
                }
            });
        }
        if let Some(rev) = undo {
            self.act("curate.saved", |cat, who| Ok(cat.undo(&[rev], who, false)?.len()));
        }
    }
}

/// A combo box that sets `chosen` to one of `options` (id, name shown), showing "—" until one is chosen;
/// `label` names it for screen readers and tests.
fn choose(ui: &mut egui::Ui, salt: &str, label: egui::Id, options: &[(String, String)], chosen: &mut Option<String>) {
    let shown = options
        .iter()
        .find(|(id, _)| Some(id) == chosen.as_ref())
        .map_or("—".to_owned(), |(_, n)| n.clone());
    egui::ComboBox::from_id_salt(salt)
        .selected_text(shown)
        .show_ui(ui, |ui| {
            for (id, name) in options {
                ui.selectable_value(chosen, Some(id.clone()), name);
            }
        })
        .response
        .labelled_by(label);
}
