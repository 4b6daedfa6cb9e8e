//! The Tours tab of a panorama: joining or starting a tour, the scene's place in the walk, its start view and
//! the views links arrive at, hotspots placed, dragged, edited and removed, and suggested links.

#[allow(clippy::wildcard_imports)]
use super::*;
use crate::pano::{MAX_HFOV, MIN_HFOV};

impl ViewerApp {
    /// Adding this panorama to a tour, or starting a new tour with it.
    pub(super) fn join_tour_form(&mut self, ui: &mut egui::Ui, item: &Item) {
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
            cat.add_scene(tour, &asset, Default::default(), Default::default(), who)
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
    pub(super) fn scene_tools(&mut self, ui: &mut egui::Ui, item: &Item) {
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
                cat.move_scene(&tour_id, &scene, to, who)?;
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
            let scene = item.id.clone();
            self.act("curate.saved", move |cat, who| {
                match link {
                    None => cat.set_start_view(&tour_id, &scene, view, who)?,
                    Some((_, id)) => cat.set_arrival_view(&tour_id, &id, Some(view), who)?,
                };
                Ok(1)
            });
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
                                        save = Some((id.clone(), form.clone(), start.is_some()));
                                    }
                                    if ui.small_button(t(lang, "curate.remove")).clicked() {
                                        remove = Some(id.clone());
                                    }
                                });
                            });
                    }
                });
        }
        if let Some((id, form, is_link)) = save {
            self.act("curate.saved", move |cat, who| {
                if is_link {
                    cat.set_arrival_view(&tour_id, &id, form.arrive, who)?;
                } else {
                    cat.edit_info(&tour_id, &id, (&form.title, &form.text), form.opens, who)?;
                }
                Ok(1)
            });
            return;
        }
        if let Some(id) = remove {
            self.act("curate.saved", move |cat, who| {
                cat.remove_hotspot(&tour_id, &id, who)?;
                Ok(1)
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
                cat.reject_suggestion(&tour_id, &from, &to, who)?;
                Ok(1)
            });
            return;
        }
        if let Some((to, yaw)) = accept {
            let from = item.id.clone();
            self.add_hotspot(&tour_id, &from, yaw, -10.0, Place::Link(to));
            return;
        }
        // The narration of the scene in this tour, or of one of its information points.
        let infos: Vec<(String, String)> = spots
            .iter()
            .filter(|(_, _, start)| start.is_none())
            .map(|(id, text, _)| (id.clone(), text.clone()))
            .collect();
        if self
            .curator
            .narrate_info
            .as_ref()
            .is_some_and(|i| !infos.iter().any(|(id, _)| id == i))
        {
            self.curator.narrate_info = None;
        }
        let scene_label = t(lang, "curate.narration_scene").to_owned();
        let shown = self
            .curator
            .narrate_info
            .as_ref()
            .and_then(|i| infos.iter().find(|(id, _)| id == i))
            .map_or(scene_label.clone(), |(_, text)| text.clone());
        ui.separator();
        egui::ComboBox::from_label(t(lang, "curate.narration_of"))
            .selected_text(shown)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut self.curator.narrate_info, None, scene_label);
                for (id, text) in &infos {
                    ui.selectable_value(&mut self.curator.narrate_info, Some(id.clone()), text);
                }
            });
        let target = match self.curator.narrate_info.clone() {
            Some(info) => disan_catalog::audio::AudioTarget::Info {
                tour: tour_id,
                scene: item.id.clone(),
                info,
            },
            None => disan_catalog::audio::AudioTarget::Scene {
                tour: tour_id,
                scene: item.id.clone(),
            },
        };
        self.narration_tools(ui, target);
    }

    /// Adds a hotspot of the kind chosen to this scene of the tour at (yaw, pitch).
    pub(super) fn add_hotspot(&mut self, tour: &str, scene: &str, yaw: f64, pitch: f64, place: Place) {
        let (lang, title, text) = (
            self.lang.tag().to_owned(),
            self.curator.info_title.clone(),
            self.curator.info_text.clone(),
        );
        let (tour, scene) = (tour.to_owned(), scene.to_owned());
        self.act("curate.saved", move |cat, who| {
            match place {
                Place::Nothing => {}
                Place::Info => {
                    let mut point = disan_catalog::InfoPoint {
                        yaw,
                        pitch,
                        ..Default::default()
                    };
                    point.title.set(&lang, &title);
                    point.text.set(&lang, &text);
                    cat.add_info(&tour, &scene, point, who)?;
                }
                Place::Link(target) => {
                    let arrival = disan_catalog::Arrival::default();
                    cat.add_link(&tour, (&scene, &target), (yaw, pitch), arrival, who)?;
                }
            }
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
        let tour = tour.id.clone();
        self.act("curate.saved", move |cat, who| {
            cat.move_hotspot(&tour, &id, (yaw, pitch), who)?;
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
