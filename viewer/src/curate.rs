//! Curator mode (`disan-viewer --curate`): beside the asset being viewed, its metadata in every language
//! with the catalogue's own validation, its workflow state, its site (confirmed, edited, split or merged), its
//! history with undo, and for a panorama its tours: joined or started, the scene moved in the walk, the view
//! on screen taken as its start view or as where a link arrives; hotspots placed by clicking, dragged, edited
//! (an information point's texts in every language and what it opens, a link's arrival view) or removed;
//! links suggested from GPS and compass accepted or rejected. Every change goes through the same catalogue
//! API as the `disan` command line (and writes the same revisions), so an edit made in one shows in the other.

use std::collections::{BTreeMap, BTreeSet};

use disan_catalog::{Catalog, Entity, InfoHotspot, LinkHotspot, STATES, allowed_transition, fields};
use egui::RichText;

use crate::app::ViewerApp;
use crate::collection::{Collection, Item};
use crate::i18n::{t, tf};
use crate::pano::{MAX_HFOV, MIN_HFOV};

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

    /// Writes the form into the hotspot `id` of `scene`, whichever kind it is.
    fn apply(&self, id: &str, scene: &mut disan_catalog::TourScene) {
        for l in scene.links.iter_mut().filter(|l| l.id == id) {
            l.arrive = self.arrive;
        }
        for i in scene.infos.iter_mut().filter(|i| i.id == id) {
            for (lang, value) in &self.title {
                i.title.set(lang, value.trim());
            }
            for (lang, value) in &self.text {
                i.text.set(lang, value.trim());
            }
            i.asset.clone_from(&self.opens);
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
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(disan_catalog::CatalogError::Invalid)?;
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

    /// The asset's site: which one it is in, and that site's own details.
    fn site_tab(&mut self, ui: &mut egui::Ui, item: &Item) {
        let lang = self.lang;
        let current = item.site_id.clone();
        let mut chosen = current.clone();
        let sites = self.collection.site_names(lang.tag());
        ui.horizontal(|ui| {
            let label = ui.label(RichText::new(t(lang, "info.site")).strong());
            choose(ui, "curate-site", label.id, &sites, &mut chosen);
        });
        if chosen != current {
            let (id, site) = (item.id.clone(), chosen);
            self.act("curate.saved", |cat, who| {
                Ok(cat.assign_site(site.as_deref(), &[id], who)?.len())
            });
        }
        ui.separator();
        self.site_form(ui, item);
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

    /// The site's names and vocabulary fields, confirming a suggested site, and a new site for the asset.
    fn site_form(&mut self, ui: &mut egui::Ui, item: &Item) {
        let lang = self.lang;
        if let Some((site, _)) = &self.curator.site {
            let (site_id, confirmed) = (site.id.clone(), site.confirmed);
            egui::Grid::new("curate-site-form").num_columns(2).show(ui, |ui| {
                for key in SITE_FORM_FIELDS {
                    let label = ui.label(site_field_label(lang, key));
                    let value = self.curator.site_form.entry((*key).to_owned()).or_default();
                    ui.add(egui::TextEdit::singleline(value).desired_width(220.0))
                        .labelled_by(label.id);
                    ui.end_row();
                }
            });
            let changes = self.curator.site_changes();
            ui.horizontal(|ui| {
                let save = ui.add_enabled(!changes.is_empty(), egui::Button::new(t(lang, "curate.save_site")));
                let confirm = !confirmed && ui.button(t(lang, "curate.confirm_site")).clicked();
                if save.clicked() {
                    let id = site_id.clone();
                    self.act("curate.saved", move |cat, who| {
                        let parsed = changes
                            .iter()
                            .map(|a| fields::parse_assignment(Entity::Site, a))
                            .collect::<Result<Vec<_>, _>>()
                            .map_err(disan_catalog::CatalogError::Invalid)?;
                        Ok(cat.set_site(&id, &parsed, who)?.len())
                    });
                } else if confirm {
                    let id = site_id.clone();
                    self.act("curate.saved", move |cat, who| Ok(cat.confirm_site(&id, who)?.len()));
                }
            });
        }
        // The other assets of its site, to split off together with it.
        let others: Vec<(String, String)> = match &item.site_id {
            Some(site) => self
                .collection
                .items
                .iter()
                .filter(|i| i.site_id.as_ref() == Some(site) && i.id != item.id)
                .map(|i| (i.id.clone(), self.title_of(i).0.to_owned()))
                .collect(),
            None => Vec::new(),
        };
        if !others.is_empty() {
            ui.label(t(lang, "curate.split_with"));
            for (id, title) in &others {
                let mut on = self.curator.split_with.contains(id);
                if ui.checkbox(&mut on, title).changed() {
                    if on {
                        self.curator.split_with.insert(id.clone());
                    } else {
                        self.curator.split_with.remove(id);
                    }
                }
            }
        }
        ui.horizontal(|ui| {
            let label = ui.label(t(lang, "curate.new_site"));
            ui.add(egui::TextEdit::singleline(&mut self.curator.new_site).desired_width(160.0))
                .labelled_by(label.id);
            let name = self.curator.new_site.trim().to_owned();
            if ui
                .add_enabled(!name.is_empty(), egui::Button::new(t(lang, "curate.create_site")))
                .clicked()
            {
                let (tag, from) = (lang.tag(), item.site_id.clone());
                let mut assets = vec![item.id.clone()];
                assets.extend(
                    others
                        .iter()
                        .filter(|(id, _)| self.curator.split_with.contains(id))
                        .map(|(id, _)| id.clone()),
                );
                self.act("curate.saved", move |cat, who| {
                    let change = fields::parse_assignment(Entity::Site, &format!("name.{tag}={name}"))
                        .map_err(disan_catalog::CatalogError::Invalid)?;
                    // Split off from its site with the assets picked (taking the site's province, rank and
                    // type), or a site of its own.
                    if let Some(from) = from {
                        return Ok(cat.split_site(&from, &assets, &[change], who)?.1.len());
                    }
                    let (site, revs) = cat.create_site(None, &[change], who)?;
                    Ok(revs.len() + cat.assign_site(Some(&site.id), &assets, who)?.len())
                });
            }
        });
        // Merging this site into another: its assets move there, and it records where it went.
        let Some(current) = item.site_id.clone() else {
            return;
        };
        let targets: Vec<(String, String)> = self
            .collection
            .sites
            .iter()
            .filter(|s| s.id != current && s.merged_into.is_none())
            .map(|s| (s.id.clone(), s.display_name(lang.tag())))
            .collect();
        let mut merge = None;
        ui.horizontal(|ui| {
            let label = ui.label(t(lang, "curate.merge_into"));
            let chosen = &mut self.curator.merge_into;
            choose(ui, "curate-merge-into", label.id, &targets, chosen);
            let button = egui::Button::new(t(lang, "curate.merge_site"));
            if ui.add_enabled(chosen.is_some(), button).clicked() {
                merge = chosen.take();
            }
        });
        if let Some(into) = merge {
            self.act("curate.saved", move |cat, who| {
                Ok(cat.merge_sites(&into, &[current], who)?.len())
            });
        }
    }

    /// Adding this panorama to a tour, or starting a new tour with it.
    fn join_tour_form(&mut self, ui: &mut egui::Ui, item: &Item) {
        let lang = self.lang;
        let open: Vec<String> = self
            .curator
            .tour_ids
            .iter()
            .filter(|id| {
                !self
                    .collection
                    .tours
                    .iter()
                    .any(|t| &t.id == *id && t.scene(&item.id).is_some())
            })
            .cloned()
            .collect();
        let mut add = None;
        if !open.is_empty() {
            ui.horizontal(|ui| {
                egui::ComboBox::from_id_salt("curate-join-tour")
                    .selected_text(self.curator.join_tour.clone().unwrap_or_else(|| "—".into()))
                    .show_ui(ui, |ui| {
                        for id in &open {
                            ui.selectable_value(&mut self.curator.join_tour, Some(id.clone()), id);
                        }
                    });
                let chosen = self.curator.join_tour.clone();
                if ui
                    .add_enabled(chosen.is_some(), egui::Button::new(t(lang, "curate.add_to_tour")))
                    .clicked()
                {
                    add = chosen;
                }
            });
        }
        let mut create = None;
        ui.horizontal(|ui| {
            let label = ui.label(t(lang, "curate.new_tour"));
            ui.add(egui::TextEdit::singleline(&mut self.curator.new_tour).desired_width(160.0))
                .labelled_by(label.id);
            let title = self.curator.new_tour.trim().to_owned();
            let id = disan_catalog::slug(&title);
            if ui
                .add_enabled(!id.is_empty(), egui::Button::new(t(lang, "curate.create_tour")))
                .clicked()
            {
                create = Some((id, title));
            }
        });
        let asset = item.id.clone();
        let add_scene = move |cat: &mut Catalog, tour: &str, who: &str| {
            cat.update_tour(tour, who, |_, t| {
                t.scenes.push(disan_catalog::TourScene {
                    asset,
                    title: Default::default(),
                    view: Default::default(),
                    links: vec![],
                    infos: vec![],
                });
                Ok(())
            })
        };
        if let Some(tour) = add {
            self.act("curate.saved", move |cat, who| add_scene(cat, &tour, who).map(|_| 1));
        } else if let Some((id, title)) = create {
            let tag = lang.tag();
            self.act("curate.saved", move |cat, who| {
                let mut text = disan_core::LangText::new();
                text.set(tag, &title);
                cat.create_tour(&id, text, who)?;
                add_scene(cat, &id, who).map(|_| 2)
            });
        }
    }

    /// In the tour of this panorama: placing hotspots, listing and removing them, and suggested links.
    fn scene_tools(&mut self, ui: &mut egui::Ui, item: &Item) {
        let lang = self.lang;
        let Some((tour, scene)) = self.collection.tour_scene(&item.id) else {
            return;
        };
        let (tour_id, others): (String, Vec<(String, String)>) = (
            tour.id.clone(),
            tour.scenes
                .iter()
                .filter(|s| s.asset != scene.asset)
                .filter_map(|s| {
                    let i = self.collection.index_of(&s.asset)?;
                    Some((s.asset.clone(), self.scene_name(s, i)))
                })
                .collect(),
        );
        ui.separator();
        // The scene's place in the walk (the first scene is where the tour starts).
        let (position, count) = (
            tour.scenes.iter().position(|s| s.asset == item.id).unwrap_or(0),
            tour.scenes.len(),
        );
        let mut shift = None;
        ui.horizontal(|ui| {
            ui.label(tf(
                lang,
                "curate.scene_position",
                &[("n", &(position + 1).to_string()), ("count", &count.to_string())],
            ));
            if ui
                .add_enabled(position > 0, egui::Button::new(t(lang, "curate.scene_earlier")).small())
                .clicked()
            {
                shift = Some(position - 1);
            }
            if ui
                .add_enabled(
                    position + 1 < count,
                    egui::Button::new(t(lang, "curate.scene_later")).small(),
                )
                .clicked()
            {
                shift = Some(position + 1);
            }
        });
        if let Some(to) = shift {
            let scene = item.id.clone();
            self.act("curate.saved", move |cat, who| {
                cat.update_tour(&tour_id, who, |_, t| {
                    let from =
                        t.scenes.iter().position(|s| s.asset == scene).ok_or_else(|| {
                            disan_catalog::CatalogError::Invalid(format!("{scene} is not in the tour"))
                        })?;
                    let s = t.scenes.remove(from);
                    t.scenes.insert(to.min(t.scenes.len()), s);
                    Ok(())
                })?;
                Ok(1)
            });
            return;
        }
        // The view on screen as the scene's start view, or as where links from other scenes arrive.
        let incoming: Vec<(String, String, String)> = tour
            .scenes
            .iter()
            .flat_map(|s| s.links.iter().map(move |l| (s, l)))
            .filter(|(_, l)| l.target == item.id)
            .map(|(s, l)| {
                let name = others
                    .iter()
                    .find(|(a, _)| *a == s.asset)
                    .map_or(s.asset.clone(), |(_, n)| n.clone());
                (s.asset.clone(), l.id.clone(), name)
            })
            .collect();
        let mut use_view = None;
        if let Some(camera) = self.pano.as_ref().map(|(_, p)| p.camera) {
            // The pano view keeps pitch and field of view in range; only yaw runs on past ±180.
            let view = disan_catalog::TourView {
                yaw: (camera.yaw + 180.0).rem_euclid(360.0) - 180.0,
                pitch: camera.pitch,
                hfov: camera.hfov,
            };
            ui.horizontal_wrapped(|ui| {
                if ui.small_button(t(lang, "curate.start_here")).clicked() {
                    use_view = Some((None, view));
                }
                for (from, link, name) in &incoming {
                    let text = tf(lang, "curate.arrive_here", &[("scene", name)]);
                    if ui.small_button(text).clicked() {
                        use_view = Some((Some((from.clone(), link.clone())), view));
                    }
                }
            });
        }
        if let Some((link, view)) = use_view {
            match link {
                None => self.edit_scene(&tour_id, &item.id, move |s| s.view = view),
                Some((from, id)) => self.edit_scene(&tour_id, &from, move |s| {
                    for l in s.links.iter_mut().filter(|l| l.id == id) {
                        l.arrive = Some(view);
                    }
                }),
            }
            return;
        }
        ui.label(RichText::new(t(lang, "curate.place")).strong());
        ui.radio_value(&mut self.curator.place, Place::Nothing, t(lang, "curate.place_none"));
        ui.radio_value(&mut self.curator.place, Place::Info, t(lang, "curate.place_info"));
        if self.curator.place == Place::Info {
            for (key, value) in [
                ("field.title", &mut self.curator.info_title),
                ("curate.info_text", &mut self.curator.info_text),
            ] {
                ui.horizontal(|ui| {
                    let label = ui.label(format!("{} ({})", t(lang, key), lang.tag()));
                    ui.text_edit_singleline(value).labelled_by(label.id);
                });
            }
        }
        for (asset, name) in &others {
            ui.radio_value(
                &mut self.curator.place,
                Place::Link(asset.clone()),
                tf(lang, "curate.place_link", &[("scene", name)]),
            );
        }
        // The scene's hotspots, each folded, to edit or remove.
        // (id, label, for a link the target's start view).
        let spots: Vec<(String, String, Option<disan_catalog::TourView>)> = scene
            .links
            .iter()
            .map(|l| {
                let name = others
                    .iter()
                    .find(|(a, _)| *a == l.target)
                    .map_or(l.target.clone(), |(_, n)| n.clone());
                let start = tour.scenes.iter().find(|s| s.asset == l.target).map(|s| s.view);
                (l.id.clone(), format!("» {name}"), Some(start.unwrap_or_default()))
            })
            .chain(scene.infos.iter().map(|i| {
                let title = i
                    .title
                    .get_or_fallback(lang.tag(), &lang.fallbacks())
                    .map_or(String::new(), |(_, t)| t.to_owned());
                (i.id.clone(), format!("i {title}"), None)
            }))
            .collect();
        // What an information point can open: the collection's photos and models.
        let openable: Vec<(String, String)> = self
            .collection
            .items
            .iter()
            .filter(|i| i.pano.is_none())
            .map(|i| (i.id.clone(), self.title_of(i).0.to_owned()))
            .collect();
        let (mut remove, mut save) = (None, None);
        if !spots.is_empty() {
            egui::CollapsingHeader::new(t(lang, "curate.hotspots"))
                .id_salt("curate-hotspots")
                .show(ui, |ui| {
                    for (id, text, start) in &spots {
                        egui::CollapsingHeader::new(text)
                            .id_salt(("curate-hotspot", id))
                            .show(ui, |ui| {
                                let Some((loaded, form)) = self.curator.hotspots.get_mut(id) else {
                                    return;
                                };
                                if let Some(start) = start {
                                    arrive_form(ui, lang, *start, &mut form.arrive);
                                } else {
                                    info_form(ui, lang, id, form, &openable);
                                }
                                ui.horizontal(|ui| {
                                    let changed = form != loaded;
                                    let button = egui::Button::new(t(lang, "curate.save_hotspot"));
                                    if ui.add_enabled(changed, button).clicked() {
                                        save = Some((id.clone(), form.clone()));
                                    }
                                    if ui.small_button(t(lang, "curate.remove")).clicked() {
                                        remove = Some(id.clone());
                                    }
                                });
                            });
                    }
                });
        }
        if let Some((id, form)) = save {
            self.edit_scene(&tour_id, &item.id, move |s| form.apply(&id, s));
            return;
        }
        if let Some(id) = remove {
            self.edit_scene(&tour_id, &item.id, move |s| {
                s.links.retain(|l| l.id != id);
                s.infos.retain(|i| i.id != id);
            });
            return;
        }
        // Links proposed from GPS and heading.
        let (mut accept, mut reject) = (None, None);
        for s in self
            .curator
            .suggestions
            .iter()
            .filter(|s| s.from == item.id && !s.exists && !s.rejected)
        {
            ui.horizontal(|ui| {
                let name = others
                    .iter()
                    .find(|(a, _)| *a == s.to)
                    .map_or(s.to.as_str(), |(_, n)| n);
                ui.label(tf(
                    lang,
                    "curate.suggested",
                    &[("scene", name), ("m", &format!("{:.0}", s.distance_m))],
                ));
                if ui.small_button(t(lang, "curate.accept")).clicked() {
                    accept = Some((s.to.clone(), s.yaw));
                }
                if ui.small_button(t(lang, "curate.reject")).clicked() {
                    reject = Some(s.to.clone());
                }
            });
        }
        if let Some(to) = reject {
            let from = item.id.clone();
            self.act("curate.saved", move |cat, who| {
                cat.update_tour(&tour_id, who, |_, t| t.reject_link(&from, &to))?;
                Ok(1)
            });
            return;
        }
        if let Some((to, yaw)) = accept {
            let from = item.id.clone();
            self.add_hotspot(&tour_id, &from, yaw, -10.0, Place::Link(to));
        }
    }

    /// Adds a hotspot of the kind chosen to this scene of the tour at (yaw, pitch).
    fn add_hotspot(&mut self, tour: &str, scene: &str, yaw: f64, pitch: f64, place: Place) {
        let (lang, title, text) = (
            self.lang.tag().to_owned(),
            self.curator.info_title.clone(),
            self.curator.info_text.clone(),
        );
        let (tour, scene) = (tour.to_owned(), scene.to_owned());
        self.act("curate.saved", move |cat, who| {
            cat.update_tour(&tour, who, |_, t| {
                let id = t.next_hotspot_id(if matches!(place, Place::Info) { "i" } else { "l" });
                let s = t
                    .scene_mut(&scene)
                    .ok_or_else(|| disan_catalog::CatalogError::Invalid(format!("{scene} is not in the tour")))?;
                match place {
                    Place::Nothing => {}
                    Place::Info => {
                        let mut info = InfoHotspot {
                            id,
                            yaw,
                            pitch,
                            title: Default::default(),
                            text: Default::default(),
                            asset: None,
                        };
                        info.title.set(&lang, &title);
                        info.text.set(&lang, &text);
                        s.infos.push(info);
                    }
                    Place::Link(target) => s.links.push(LinkHotspot {
                        id,
                        yaw,
                        pitch,
                        target,
                        arrive: None,
                    }),
                }
                Ok(())
            })?;
            Ok(1)
        });
    }

    /// A hotspot dragged to a new place in the panorama is saved there.
    pub fn save_moved(&mut self, index: usize) {
        let Some((id, yaw, pitch)) = self.pano.as_mut().and_then(|(_, p)| p.moved.take()) else {
            return;
        };
        let item = &self.collection.items[index];
        let Some((tour, _)) = self.collection.tour_scene(&item.id) else {
            return;
        };
        let (tour, scene) = (tour.id.clone(), item.id.clone());
        self.edit_scene(&tour, &scene, move |s| {
            for l in s.links.iter_mut().filter(|l| l.id == id) {
                (l.yaw, l.pitch) = (yaw, pitch);
            }
            for i in s.infos.iter_mut().filter(|i| i.id == id) {
                (i.yaw, i.pitch) = (yaw, pitch);
            }
        });
    }

    /// Changes one scene of a tour, as a revision by the curator.
    fn edit_scene(&mut self, tour: &str, scene: &str, edit: impl FnOnce(&mut disan_catalog::TourScene)) {
        let (tour, scene) = (tour.to_owned(), scene.to_owned());
        self.act("curate.saved", move |cat, who| {
            cat.update_tour(&tour, who, |_, t| {
                let s = t
                    .scene_mut(&scene)
                    .ok_or_else(|| disan_catalog::CatalogError::Invalid(format!("{scene} is not in the tour")))?;
                edit(s);
                Ok(())
            })?;
            Ok(1)
        });
    }

    /// A click in the panorama while a placing tool is chosen puts the hotspot there.
    pub fn place_clicked(&mut self, index: usize) {
        let Some(at) = self.pano.as_mut().and_then(|(_, p)| p.clicked_at.take()) else {
            return;
        };
        if !self.options.curate || self.curator.place == Place::Nothing {
            return;
        }
        let item = &self.collection.items[index];
        let Some((tour, _)) = self.collection.tour_scene(&item.id) else {
            return;
        };
        let (tour, scene, place) = (tour.id.clone(), item.id.clone(), self.curator.place.clone());
        self.add_hotspot(&tour, &scene, at.0, at.1, place);
    }
}

/// A link's arrival view: the target scene's start view, or a view of its own (yaw, pitch and field of view
/// in degrees, as Pannellum means them), which starts from the start view.
fn arrive_form(
    ui: &mut egui::Ui,
    lang: crate::i18n::Lang,
    start: disan_catalog::TourView,
    arrive: &mut Option<disan_catalog::TourView>,
) {
    let mut own = arrive.is_some();
    if ui.checkbox(&mut own, t(lang, "curate.arrive_own")).changed() {
        *arrive = own.then_some(start);
    }
    if let Some(view) = arrive {
        egui::Grid::new("curate-arrive").num_columns(2).show(ui, |ui| {
            for (key, value, range) in [
                ("curate.arrive_yaw", &mut view.yaw, -180.0..=180.0),
                ("curate.arrive_pitch", &mut view.pitch, -90.0..=90.0),
                ("curate.arrive_hfov", &mut view.hfov, MIN_HFOV..=MAX_HFOV),
            ] {
                // Edits stay within what the viewer shows; a view set elsewhere (the CLI) is shown as it is,
                // not clamped into a change nobody made.
                let label = ui.label(t(lang, key));
                let drag = egui::DragValue::new(value).range(range).clamp_existing_to_range(false);
                ui.add(drag.suffix("°")).labelled_by(label.id);
                ui.end_row();
            }
        });
    }
}

/// An information point's title and text in every language, and the photo or model it opens.
fn info_form(
    ui: &mut egui::Ui,
    lang: crate::i18n::Lang,
    id: &str,
    form: &mut HotspotForm,
    openable: &[(String, String)],
) {
    egui::Grid::new(("curate-info", id)).num_columns(2).show(ui, |ui| {
        for (key, texts) in [
            ("curate.info_title", &mut form.title),
            ("curate.info_text", &mut form.text),
        ] {
            for l in LANGS {
                let label = ui.label(format!("{} ({l})", t(lang, key)));
                let value = texts.entry((*l).to_owned()).or_default();
                ui.add(egui::TextEdit::singleline(value).desired_width(200.0))
                    .labelled_by(label.id);
                ui.end_row();
            }
        }
        let label = ui.label(t(lang, "curate.info_opens"));
        let name = |id: &Option<String>| {
            id.as_ref().map_or("—".to_owned(), |id| {
                openable
                    .iter()
                    .find(|(a, _)| a == id)
                    .map_or(id.clone(), |(_, n)| n.clone())
            })
        };
        egui::ComboBox::from_id_salt(("curate-info-opens", id))
            .selected_text(name(&form.opens))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut form.opens, None, "—");
                for (asset, title) in openable {
                    ui.selectable_value(&mut form.opens, Some(asset.clone()), title);
                }
            })
            .response
            .labelled_by(label.id);
        ui.end_row();
    });
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
