//! Curator mode's story tab for a relic: its annotations in order (each selected to edit its title and text in
//! every language, moved up or down, given the view on screen, or removed), and a new one placed by a click on
//! the model's surface (a ray cast against the full mesh), saved with the view it was picked in. Every change
//! is one revision of the asset's story, through the same catalogue call as `disan story`.

use disan_catalog::{Annotation, Story};
use disan_core::LangText;
use egui::RichText;

use crate::app::ViewerApp;
use crate::collection::Item;
use crate::curator::{HotspotForm, LANGS};
use crate::i18n::t;

/// What the list asks for.
enum Action {
    Edit(usize),
    Up(usize),
    Down(usize),
    Remove(usize),
}

fn lang_text(form: &std::collections::BTreeMap<String, String>) -> LangText {
    let mut t = LangText::new();
    for (l, v) in form {
        t.set(l, v.trim());
    }
    t
}

impl ViewerApp {
    pub(super) fn story_tab(&mut self, ui: &mut egui::Ui, item: &Item) {
        let lang = self.lang;
        let before = self.collection.story(&item.id).cloned().unwrap_or_default();
        let order = lang.fallbacks();
        let mut action = None;
        for (i, a) in before.annotations.iter().enumerate() {
            let title = crate::collection::pick(&a.title, &order).map_or(a.id.as_str(), |(_, s)| s);
            ui.horizontal_wrapped(|ui| {
                let editing = self.curator.annotation.as_deref() == Some(a.id.as_str());
                if ui.selectable_label(editing, format!("{}. {title}", i + 1)).clicked() {
                    action = Some(Action::Edit(i));
                }
                if i > 0 && ui.small_button(t(lang, "curate.story_up")).clicked() {
                    action = Some(Action::Up(i));
                }
                if i + 1 < before.annotations.len() && ui.small_button(t(lang, "curate.story_down")).clicked() {
                    action = Some(Action::Down(i));
                }
                if ui.small_button(t(lang, "curate.story_remove")).clicked() {
                    action = Some(Action::Remove(i));
                }
            });
        }
        let mut after = before.clone();
        match action {
            Some(Action::Edit(i)) => {
                let a = &before.annotations[i];
                self.curator.annotation = Some(a.id.clone());
                self.curator.annotation_form = HotspotForm::of_texts(&a.title, &a.text);
                if let Some((_, m)) = self.model.as_mut() {
                    (m.picking, m.picked) = (false, None);
                    m.fly_to(a.view);
                }
            }
            Some(Action::Up(i)) => after.annotations.swap(i, i - 1),
            Some(Action::Down(i)) => after.annotations.swap(i, i + 1),
            Some(Action::Remove(i)) => {
                after.annotations.remove(i);
                self.curator.annotation = None;
            }
            None => {}
        }
        if after != before {
            self.save_story(&item.id, &before, &after);
            return;
        }
        ui.separator();
        let Some((_, model)) = self.model.as_mut() else { return };
        let label = if model.picking {
            t(lang, "curate.story_picking")
        } else {
            t(lang, "curate.story_pick")
        };
        if ui.button(label).clicked() {
            model.picking = !model.picking;
            model.picked = None;
            model.pick_missed = false;
            self.curator.annotation = None;
            self.curator.annotation_form = HotspotForm::default();
        }
        if model.picking && model.surface.is_none() {
            ui.label(RichText::new(t(lang, "curate.story_loading")).weak());
        }
        if model.pick_missed {
            ui.label(RichText::new(t(lang, "curate.story_missed")).color(egui::Color32::LIGHT_RED));
        }
        let picked = model.picked.clone();
        let current_view = model.story_view();
        let editing = self.curator.annotation.clone();
        if picked.is_none() && editing.is_none() {
            return;
        }
        if let Some(p) = &picked {
            ui.label(format!(
                "{} ({:.3}, {:.3}, {:.3})",
                t(lang, "curate.story_picked"),
                p.position[0],
                p.position[1],
                p.position[2]
            ));
        }
        let form = &mut self.curator.annotation_form;
        egui::Grid::new("curate-story").num_columns(2).show(ui, |ui| {
            for (key, texts) in [
                ("curate.story_title", &mut form.title),
                ("curate.story_text", &mut form.text),
            ] {
                for l in LANGS {
                    let label = ui.label(format!("{} ({l})", t(lang, key)));
                    let value = texts.entry((*l).to_owned()).or_default();
                    let edit = if key.ends_with("text") {
                        egui::TextEdit::multiline(value).desired_rows(2)
                    } else {
                        egui::TextEdit::singleline(value)
                    };
                    ui.add(edit.desired_width(200.0)).labelled_by(label.id);
                    ui.end_row();
                }
            }
        });
        let (title, text) = (lang_text(&form.title), lang_text(&form.text));
        ui.horizontal_wrapped(|ui| {
            let save = ui.add_enabled(!title.is_empty(), egui::Button::new(t(lang, "curate.story_save")));
            let use_view = editing.is_some() && ui.button(t(lang, "curate.story_use_view")).clicked();
            let mut after = before.clone();
            match (&editing, &picked) {
                (Some(id), _) => {
                    if let Some(a) = after.annotations.iter_mut().find(|a| &a.id == id) {
                        a.title = title.clone();
                        a.text = text.clone();
                        if use_view && let Some(v) = current_view {
                            a.view = v;
                        }
                    }
                }
                (None, Some(p)) => after.annotations.push(Annotation {
                    id: before.next_id(),
                    position: p.position,
                    normal: p.normal,
                    view: p.view,
                    title: title.clone(),
                    text: text.clone(),
                }),
                (None, None) => {}
            }
            if (save.clicked() || use_view) && after != before {
                let id = item.id.clone();
                self.save_story(&id, &before, &after);
                if let Some((_, m)) = self.model.as_mut() {
                    m.picked = None;
                }
            }
        });
        if let Some(annotation) = editing {
            let target = disan_catalog::audio::AudioTarget::Annotation {
                asset: item.id.clone(),
                annotation,
            };
            self.narration_tools(ui, target);
        }
    }

    fn save_story(&mut self, asset: &str, before: &Story, after: &Story) {
        let (asset, before, after) = (asset.to_owned(), before.clone(), after.clone());
        self.act("curate.saved", move |cat, who| {
            Ok(usize::from(cat.set_story(&asset, &before, &after, who)?.is_some()))
        });
    }
}
