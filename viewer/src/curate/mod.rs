//! Curator mode (`disan-viewer --curate`): beside the asset being viewed, its metadata in every language
//! with the catalogue's own validation, its workflow state, its site (confirmed, edited, split or merged), its
//! history with undo, and for a panorama its tours: joined or started, the scene moved in the walk, the view
//! on screen taken as its start view or as where a link arrives; hotspots placed by clicking, dragged, edited
//! (an information point's texts in every language and what it opens, a link's arrival view) or removed;
//! links suggested from GPS and compass accepted or rejected. Every change goes through the same catalogue
//! API as the `disan` command line (and writes the same revisions), so an edit made in one shows in the other.

mod narration;
mod sites;
mod story;
mod tours;

use disan_catalog::{Catalog, Entity, STATES, allowed_transition, fields};
use egui::RichText;

use crate::app::ViewerApp;
use crate::collection::{Collection, Item};
#[allow(clippy::wildcard_imports)]
use crate::curator::*;
use crate::i18n::{t, tf};

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

/// The website's `highlight` flag as a checkbox over a form's `"true"` / `""` value.
pub(crate) fn highlight_box(ui: &mut egui::Ui, form: &mut std::collections::BTreeMap<String, String>, label: &str) {
    let mut on = form.get("highlight").is_some_and(|v| v == "true");
    if ui.checkbox(&mut on, label).changed() {
        form.insert("highlight".into(), if on { "true" } else { "" }.into());
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

    /// Saves metadata edits made on the values this collection showed. When another curator changed one
    /// of the fields meanwhile (on this machine or another), nothing is written: the collection is read
    /// again so the form shows their value, and the curator is told whose change it was.
    fn save_meta(&mut self, id: String, changes: Vec<String>) {
        let base = self.collection.revision;
        let mut conflict = None;
        self.act("curate.saved", |cat, who| {
            let parsed = changes
                .iter()
                .map(|a| fields::parse_assignment(Entity::Asset, a))
                .collect::<Result<Vec<_>, _>>()?;
            match cat.set_meta_based_on(&[id], &parsed, who, Some(base)) {
                Err(e @ disan_catalog::CatalogError::Conflict { .. }) => {
                    conflict = Some(e.to_string());
                    Err(e)
                }
                r => Ok(r?.len()),
            }
        });
        if let Some(e) = conflict {
            self.reload();
            self.curator.message = Some((false, format!("{}\n{e}", t(self.lang, "curate.conflict"))));
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
            (Tab::Story, "curate.story"),
            (Tab::History, "curate.history"),
        ];
        let offered = |tab: Tab| match tab {
            Tab::Tours => item.pano.is_some(),
            Tab::Story => !item.model.is_empty(),
            _ => true,
        };
        if !offered(self.curator.tab) {
            self.curator.tab = Tab::Metadata;
        }
        ui.horizontal_wrapped(|ui| {
            for (tab, key) in tabs {
                if offered(tab) {
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
            Tab::Story => self.story_tab(ui, item),
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
        highlight_box(ui, &mut self.curator.form, t(lang, "field.highlight"));
        if item.kind == disan_core::AssetKind::Photo {
            self.focus_row(ui);
        }
        let changes = self.curator.changes();
        if ui
            .add_enabled(!changes.is_empty(), egui::Button::new(t(lang, "curate.save")))
            .clicked()
        {
            self.save_meta(item.id.clone(), changes);
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
        self.narration_tools(ui, disan_catalog::audio::AudioTarget::Asset(item.id.clone()));
    }

    /// A photo's video focus: typed, or the point at the centre of the deep-zoom view (pan and zoom to the
    /// detail, then take it); saved with the form.
    fn focus_row(&mut self, ui: &mut egui::Ui) {
        let lang = self.lang;
        let centre = self
            .deep_zoom
            .as_ref()
            .filter(|(i, _)| self.selected == Some(*i))
            .map(|(_, z)| {
                (
                    f64::from(z.center.x) / f64::from(z.layout.width.max(1)),
                    f64::from(z.center.y) / f64::from(z.layout.height.max(1)),
                )
            });
        ui.horizontal_wrapped(|ui| {
            let label = ui.label(t(lang, "field.focus"));
            let value = self.curator.form.entry("focus".into()).or_default();
            ui.add(egui::TextEdit::singleline(value).desired_width(90.0))
                .labelled_by(label.id)
                .on_hover_text(t(lang, "curate.focus_hint"));
            if ui
                .add_enabled(centre.is_some(), egui::Button::new(t(lang, "curate.focus_view")))
                .clicked()
                && let Some((x, y)) = centre
            {
                *value = format!("{:.3},{:.3}", x.clamp(0.0, 1.0), y.clamp(0.0, 1.0));
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
