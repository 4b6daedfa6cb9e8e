//! The viewer application: home (gallery with search and filters, or the map), an asset's view with its
//! info panel, the language switch, and kiosk mode's attract loop.

use disan_catalog::{Filter, vocab};
use disan_core::AssetKind;
use egui::{Align, Color32, Key, Layout, Pos2, Rect, RichText, Sense, Stroke, Vec2};

use crate::collection::{Collection, Item, pick};
use crate::deepzoom::DeepZoom;
use crate::i18n::{Lang, t, tf};
use crate::map;
use crate::model::ModelView;
use crate::pano::{Hotspot, HotspotKind, PanoView};
use crate::textures::{Slot, Textures, paint_fitted};
use disan_tiles::CubeLayout;
use disan_tiles::iiif::IiifLayout;

/// How the viewer was started.
#[derive(Clone, Debug)]
pub struct Options {
    /// Full screen, published assets only, no editing, an attract loop when idle.
    pub kiosk: bool,
    pub lang: Lang,
    /// Seconds without input before kiosk mode returns to its attract loop.
    pub idle_secs: f64,
    /// Seconds each highlight stays in the attract loop.
    pub attract_secs: f64,
    /// Texture memory the image cache may hold.
    pub texture_budget: usize,
    /// Curator mode: every asset, and a panel to edit metadata, state, site and tours.
    pub curate: bool,
    /// Who curator-mode changes are recorded as.
    pub author: String,
    /// Play narration through the sound card (off: the narrated tour shows its captions only).
    pub sound: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            kiosk: false,
            lang: Lang::Vi,
            idle_secs: 90.0,
            attract_secs: 8.0,
            texture_budget: 256 << 20,
            curate: false,
            author: "curator".into(),
            sound: true,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HomeView {
    Grid,
    Map,
}

/// Gallery thumbnails are decoded to this size at most.
const THUMB_SIDE: u32 = 256;
/// The asset view's image.
const DISPLAY_SIDE: u32 = 2048;
const CARD: Vec2 = Vec2::new(200.0, 190.0);

/// What the results were computed for: the query and the kind, site and rank filters.
type SearchKey = (String, Option<AssetKind>, Option<String>, Option<String>);

pub struct ViewerApp {
    pub collection: Collection,
    pub textures: Textures,
    pub options: Options,
    pub lang: Lang,
    pub query: String,
    pub kind: Option<AssetKind>,
    pub site: Option<String>,
    pub rank: Option<String>,
    pub view: HomeView,
    /// Indexes into the collection's items of what the gallery shows, in order.
    pub results: Vec<usize>,
    /// The asset being viewed.
    pub selected: Option<usize>,
    /// Kiosk attract loop: when it started (seconds of app time).
    pub attract_since: Option<f64>,
    /// The deep-zoom state of the selected photo: (item index, view).
    pub deep_zoom: Option<(usize, DeepZoom)>,
    /// The panorama view of the selected panorama: (item index, view).
    pub pano: Option<(usize, PanoView)>,
    /// The model view of the selected model: (item index, view).
    pub model: Option<(usize, ModelView)>,
    /// An information point of a tour, opened.
    pub info_card: Option<InfoCard>,
    /// The narrated tour being played.
    pub guide: Option<crate::narration::Guide>,
    /// How many narrated tours the kiosk's attract loop has started (the next one is this, modulo their number).
    pub attract_tours: usize,
    /// Curator mode's form and tools.
    pub curator: crate::curator::Curator,
    last_input: f64,
    pub(crate) searched: Option<SearchKey>,
    error: Option<String>,
}

impl ViewerApp {
    pub fn new(collection: Collection, options: Options) -> Self {
        let author = options.author.clone();
        let results = (0..collection.items.len()).collect();
        Self {
            collection,
            textures: Textures::new(options.texture_budget, 2),
            lang: options.lang,
            options,
            query: String::new(),
            kind: None,
            site: None,
            rank: None,
            view: HomeView::Grid,
            results,
            selected: None,
            attract_since: None,
            guide: None,
            attract_tours: 0,
            deep_zoom: None,
            pano: None,
            model: None,
            info_card: None,
            curator: crate::curator::Curator::new(&author),
            last_input: 0.0,
            searched: None,
            error: None,
        }
    }

    /// Runs the search again when the query or a filter changed.
    pub fn refresh(&mut self) {
        let key = (self.query.clone(), self.kind, self.site.clone(), self.rank.clone());
        if self.searched.as_ref() == Some(&key) {
            return;
        }
        let filter = Filter {
            kind: self.kind,
            site: self.site.clone(),
            rank: self.rank.clone(),
            ..Default::default()
        };
        match self.collection.search(&self.query, &filter) {
            Ok(r) => {
                self.results = r;
                self.error = None;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
        self.searched = Some(key);
    }

    /// A tour scene's name: its own title in the interface language (or a fallback), else its asset's
    /// (`index` in the collection).
    pub(crate) fn scene_name(&self, scene: &disan_catalog::TourScene, index: usize) -> String {
        pick(&scene.title, &self.lang.fallbacks())
            .map(|(_, t)| t.to_owned())
            .unwrap_or_else(|| self.title_of(&self.collection.items[index]).0.to_owned())
    }

    pub(crate) fn title_of<'a>(&self, item: &'a Item) -> (&'a str, Option<&'a str>) {
        match pick(&item.meta.title, &self.lang.fallbacks()) {
            Some((lang, text)) => (text, (lang != self.lang.tag()).then_some(lang)),
            None => (item.file_name.as_str(), None),
        }
    }

    fn site_name(&self, id: &str) -> String {
        self.collection
            .site(id)
            .map_or_else(|| id.to_owned(), |s| s.display_name(self.lang.tag()))
    }

    fn top_bar(&mut self, ui: &mut egui::Ui) {
        let lang = self.lang;
        ui.horizontal(|ui| {
            ui.heading(t(lang, "app.title"));
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                for l in Lang::ALL.into_iter().rev() {
                    ui.selectable_value(&mut self.lang, l, t(l, &format!("lang.{}", l.tag())));
                }
            });
        });
        ui.horizontal_wrapped(|ui| {
            let search = ui.add(
                egui::TextEdit::singleline(&mut self.query)
                    .hint_text(t(lang, "search.hint"))
                    .desired_width(260.0),
            );
            if search.changed() {
                self.selected = None;
            }
            let any = t(lang, "filter.any").to_owned();
            let kind_label = |k: Option<AssetKind>| match k {
                None => any.clone(),
                Some(k) => t(lang, &format!("kind.{}", k.as_str())).to_owned(),
            };
            let label = ui.label(t(lang, "filter.kind"));
            egui::ComboBox::from_id_salt("kind")
                .selected_text(kind_label(self.kind))
                .show_ui(ui, |ui| {
                    for k in [
                        None,
                        Some(AssetKind::Photo),
                        Some(AssetKind::Panorama),
                        Some(AssetKind::Model),
                    ] {
                        ui.selectable_value(&mut self.kind, k, kind_label(k));
                    }
                })
                .response
                .labelled_by(label.id);
            let site_text = self.site.as_deref().map_or(any.clone(), |s| self.site_name(s));
            let sites = self.collection.site_names(lang.tag());
            let label = ui.label(t(lang, "filter.site"));
            egui::ComboBox::from_id_salt("site")
                .selected_text(site_text)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.site, None, any.clone());
                    for (id, name) in sites {
                        ui.selectable_value(&mut self.site, Some(id), name);
                    }
                })
                .response
                .labelled_by(label.id);
            let rank_label = |r: Option<&str>| {
                r.and_then(|r| vocab::ranks().get(r))
                    .and_then(|term| pick(&term.label, &lang.fallbacks()).map(|(_, l)| l.to_owned()))
                    .unwrap_or_else(|| any.clone())
            };
            let label = ui.label(t(lang, "filter.rank"));
            egui::ComboBox::from_id_salt("rank")
                .selected_text(rank_label(self.rank.as_deref()))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.rank, None, any.clone());
                    for term in &vocab::ranks().terms {
                        ui.selectable_value(&mut self.rank, Some(term.id.clone()), rank_label(Some(&term.id)));
                    }
                })
                .response
                .labelled_by(label.id);
            ui.separator();
            ui.selectable_value(&mut self.view, HomeView::Grid, t(lang, "view.grid"));
            ui.selectable_value(&mut self.view, HomeView::Map, t(lang, "view.map"));
        });
    }

    fn grid(&mut self, ui: &mut egui::Ui) {
        let lang = self.lang;
        if let Some(e) = &self.error {
            ui.colored_label(Color32::RED, e);
        }
        ui.label(tf(lang, "results.count", &[("n", &self.results.len().to_string())]));
        if self.results.is_empty() {
            ui.add_space(24.0);
            ui.vertical_centered(|ui| ui.label(RichText::new(t(lang, "results.none")).size(18.0)));
            return;
        }
        let cols = ((ui.available_width() / CARD.x).floor() as usize).max(1);
        let rows = self.results.len().div_ceil(cols);
        let mut clicked = None;
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show_rows(ui, CARD.y, rows, |ui, range| {
                for row in range {
                    ui.horizontal(|ui| {
                        for col in 0..cols {
                            let Some(&index) = self.results.get(row * cols + col) else {
                                break;
                            };
                            if self.card(ui, index).clicked() {
                                clicked = Some(index);
                            }
                        }
                    });
                }
            });
        if clicked.is_some() {
            self.selected = clicked;
        }
    }

    /// One gallery card: the thumbnail (fitted, loaded lazily) and the title.
    fn card(&mut self, ui: &mut egui::Ui, index: usize) -> egui::Response {
        let (rect, response) = ui.allocate_exact_size(CARD - Vec2::splat(8.0), Sense::click());
        let item = &self.collection.items[index];
        let (title, _) = self.title_of(item);
        let title = title.to_owned();
        let kind = item.kind;
        let thumb_path = item.thumb.clone();
        let painter = ui.painter_at(rect);
        let fill = if response.hovered() {
            ui.visuals().widgets.hovered.bg_fill
        } else {
            ui.visuals().faint_bg_color
        };
        painter.rect_filled(rect, 6.0, fill);
        let image_rect = Rect::from_min_size(rect.min + Vec2::splat(6.0), Vec2::new(rect.width() - 12.0, 130.0));
        draw_image(ui, &mut self.textures, thumb_path.as_deref(), image_rect, THUMB_SIDE);
        let badge = match kind {
            AssetKind::Photo => "",
            AssetKind::Panorama => "360°",
            AssetKind::Model => "3D",
        };
        if !badge.is_empty() {
            painter.text(
                image_rect.left_top() + Vec2::new(6.0, 4.0),
                egui::Align2::LEFT_TOP,
                badge,
                egui::FontId::proportional(13.0),
                Color32::WHITE,
            );
        }
        let galley = ui.painter().layout(
            title,
            egui::FontId::proportional(14.0),
            ui.visuals().text_color(),
            rect.width() - 12.0,
        );
        let text_pos = Pos2::new(rect.left() + 6.0, image_rect.bottom() + 6.0);
        painter
            .with_clip_rect(Rect::from_min_max(text_pos, rect.right_bottom() - Vec2::splat(4.0)))
            .galley(text_pos, galley, ui.visuals().text_color());
        response
    }

    fn asset_view(&mut self, ui: &mut egui::Ui, index: usize) {
        let lang = self.lang;
        if ui.button(t(lang, "back")).clicked() || ui.input(|i| i.key_pressed(Key::Escape)) {
            self.selected = None;
            self.guide = None;
            return;
        }
        let item = self.collection.items[index].clone();
        // Leaving the tour (another asset) ends its narrated tour.
        if self.guide.as_ref().is_some_and(|g| match &g.tour {
            Some(tour) => self.collection.tour_scene(&item.id).is_none_or(|(t, _)| &t.id != tour),
            None => g.step().is_none_or(|s| s.scene != index),
        }) {
            self.guide = None;
        }
        if self.guide.is_some() {
            let now = ui.input(|i| i.time);
            if self.guide.as_mut().is_some_and(|g| g.tick(now)) {
                self.apply_guide_step(now);
            }
            egui::Panel::bottom("guide").show(ui, |ui| self.guide_panel(ui));
            ui.ctx().request_repaint_after(std::time::Duration::from_millis(100));
        }
        let index = self.selected.unwrap_or(index);
        let item = self.collection.items[index].clone();
        egui::Panel::right("info").default_size(360.0).show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                self.info_panel(ui, &item);
                self.narration_button(ui, index);
                self.story_panel(ui, index);
                self.tour_overview(ui, &item);
                if self.options.curate {
                    self.curator_panel(ui, &item);
                }
            });
        });
        if self.deep_zoom.as_ref().is_none_or(|(i, _)| *i != index) {
            self.deep_zoom = deep_zoom_for(&item).map(|z| (index, z));
        }
        if self.pano.as_ref().is_none_or(|(i, _)| *i != index) {
            self.pano = self.tour_pano(index, None);
        }
        if self.model.as_ref().is_none_or(|(i, _)| *i != index) {
            self.model = (!item.model.is_empty()).then(|| (index, ModelView::new(item.model.clone())));
        }
        // The story's pins (read again after a curator's change), and the one being told.
        let pins = self.collection.story(&item.id).map_or_else(Vec::new, |s| {
            s.annotations
                .iter()
                .map(|a| crate::model::Pin {
                    id: a.id.clone(),
                    position: a.position.map(|x| x as f32),
                })
                .collect()
        });
        let telling = self
            .guide
            .as_ref()
            .filter(|g| g.tour.is_none() && g.step().is_some_and(|s| s.model.is_some()));
        let active = telling.map(|g| g.index);
        if let Some((_, m)) = self.model.as_mut() {
            if m.pins != pins {
                m.pins = pins;
            }
            m.active = active;
        }
        let lang = self.lang;
        self.show_info_card(ui);
        egui::CentralPanel::default().show(ui, |ui| match (&mut self.model, &mut self.pano, &mut self.deep_zoom) {
            (Some((_, model)), _, _) => model.show(ui, lang),
            (None, Some((_, pano)), _) => pano.show(ui, &mut self.textures),
            (None, None, Some((_, zoom))) => zoom.show(ui, &mut self.textures),
            (None, None, None) => {
                let rect = ui.available_rect_before_wrap();
                draw_image(ui, &mut self.textures, item.display.as_deref(), rect, DISPLAY_SIDE);
            }
        });
        let clicked = self.pano.as_mut().and_then(|(_, p)| p.clicked.take());
        if let Some(hotspot) = clicked {
            let now = ui.input(|i| i.time);
            self.follow_hotspot(index, &hotspot, now);
        } else {
            self.place_clicked(index);
        }
        self.save_moved(index);
    }

    /// The panorama view of item `index`, with its tour's hotspots and start view (or `arrive`).
    pub fn tour_pano(&self, index: usize, arrive: Option<disan_catalog::TourView>) -> Option<(usize, PanoView)> {
        let item = &self.collection.items[index];
        let mut view = pano_view_for(item)?;
        view.edit_hotspots = self.options.curate;
        if let Some((tour, scene)) = self.collection.tour_scene(&item.id) {
            let order = self.lang.fallbacks();
            let start = arrive.unwrap_or(scene.view);
            view.camera.yaw = start.yaw;
            view.camera.pitch = start.pitch;
            view.camera.hfov = start.hfov.clamp(crate::pano::MIN_HFOV, crate::pano::MAX_HFOV);
            for l in &scene.links {
                let label = tour
                    .scene(&l.target)
                    .zip(self.collection.index_of(&l.target))
                    .map_or_else(|| l.target.clone(), |(t, i)| self.scene_name(t, i));
                view.hotspots.push(Hotspot {
                    id: l.id.clone(),
                    yaw: l.yaw,
                    pitch: l.pitch,
                    kind: HotspotKind::Link { label },
                });
            }
            for i in &scene.infos {
                view.hotspots.push(Hotspot {
                    id: i.id.clone(),
                    yaw: i.yaw,
                    pitch: i.pitch,
                    kind: HotspotKind::Info {
                        title: pick(&i.title, &order).map(|(_, s)| s.to_owned()).unwrap_or_default(),
                    },
                });
            }
        }
        Some((index, view))
    }

    /// Acts on a clicked hotspot of item `index`'s tour scene: a link moves to the next scene (fading in,
    /// looking where the link says), an information point opens its card.
    pub fn follow_hotspot(&mut self, index: usize, hotspot: &str, now: f64) {
        let Some((tour, scene)) = self.collection.tour_scene(&self.collection.items[index].id) else {
            return;
        };
        if let Some(l) = scene.links.iter().find(|l| l.id == hotspot) {
            let Some(target) = self.collection.index_of(&l.target) else {
                return;
            };
            let arrive = l.arrive.or_else(|| tour.scene(&l.target).map(|s| s.view));
            self.info_card = None;
            self.selected = Some(target);
            self.pano = self.tour_pano(target, arrive).map(|(i, mut v)| {
                v.fade_from = Some(now);
                (i, v)
            });
        } else if let Some(i) = scene.infos.iter().find(|i| i.id == hotspot) {
            let order = self.lang.fallbacks();
            let text_of = |t: &disan_core::LangText| pick(t, &order).map(|(_, s)| s.to_owned()).unwrap_or_default();
            self.info_card = Some(InfoCard {
                title: text_of(&i.title),
                text: text_of(&i.text),
                asset: i.asset.as_deref().and_then(|a| self.collection.index_of(a)),
            });
        }
    }

    fn show_info_card(&mut self, ui: &mut egui::Ui) {
        let Some(card) = self.info_card.clone() else { return };
        let lang = self.lang;
        let mut open = true;
        let mut go = None;
        egui::Window::new(RichText::new(&card.title).strong())
            .collapsible(false)
            .resizable(false)
            .default_width(320.0)
            .anchor(egui::Align2::LEFT_TOP, Vec2::new(24.0, 80.0))
            .open(&mut open)
            .show(ui.ctx(), |ui| {
                ui.label(&card.text);
                if let Some(a) = card.asset
                    && ui.button(t(lang, "tour.open")).clicked()
                {
                    go = Some(a);
                }
            });
        if !open {
            self.info_card = None;
        }
        if let Some(a) = go {
            self.info_card = None;
            self.selected = Some(a);
        }
    }

    /// "Listen to the narration" when the asset has one in the interface language: plays it with its
    /// description as the caption, in the narrated tour's bar.
    fn narration_button(&mut self, ui: &mut egui::Ui, index: usize) {
        if self.guide.is_some() {
            return;
        }
        let Some(step) = crate::narration::asset_step(&self.collection, index, self.lang) else {
            return;
        };
        if ui.button(t(self.lang, "guide.listen")).clicked() {
            self.guide = Some(crate::narration::Guide::new(None, vec![step], self.options.sound));
        }
    }

    /// A relic's story in the info panel: "Play the story", and each annotation's title, which plays the story
    /// from there (the model flies to its view); a click on a pin does the same.
    fn story_panel(&mut self, ui: &mut egui::Ui, index: usize) {
        let steps = crate::narration::story_steps(&self.collection, index, self.lang);
        if steps.is_empty() {
            return;
        }
        let lang = self.lang;
        ui.separator();
        ui.heading(t(lang, "story.title"));
        let at = self
            .guide
            .as_ref()
            .filter(|g| g.tour.is_none() && g.step().is_some_and(|s| s.model.is_some()))
            .map(|g| g.index);
        let mut start = None;
        if at.is_none() && ui.button(t(lang, "story.play")).clicked() {
            start = Some(0);
        }
        for (i, s) in steps.iter().enumerate() {
            if ui
                .selectable_label(at == Some(i), format!("{}. {}", i + 1, s.title))
                .clicked()
            {
                start = Some(i);
            }
        }
        if let Some(i) = self.model.as_mut().and_then(|(_, m)| m.clicked_pin.take()) {
            start = Some(i);
        }
        if let Some(i) = start {
            let mut g = crate::narration::Guide::new(None, steps, self.options.sound);
            g.go_to(i);
            self.guide = Some(g);
            let now = ui.input(|i| i.time);
            self.apply_guide_step(now);
        }
    }

    /// Starts the narrated tour of `tour` in the interface language, at its first step.
    pub fn start_guide(&mut self, tour: &str, now: f64) {
        let steps = crate::narration::steps(&self.collection, tour, self.lang);
        if steps.is_empty() {
            return;
        }
        self.guide = Some(crate::narration::Guide::new(Some(tour), steps, self.options.sound));
        self.apply_guide_step(now);
    }

    /// Shows the narrated tour's current step: its scene (loaded, fading in, when it is another one) turned
    /// to the step's view.
    fn apply_guide_step(&mut self, now: f64) {
        // A relic's story flies the model to each annotation; an asset's own narration leaves the view as it is.
        if let Some(g) = self.guide.as_ref().filter(|g| g.tour.is_none()) {
            let (index, view) = (g.index, g.step().and_then(|s| s.model));
            if let (Some(view), Some((_, m))) = (view, self.model.as_mut()) {
                m.fly_to(view);
                m.active = Some(index);
            }
            return;
        }
        let Some(step) = self
            .guide
            .as_ref()
            .filter(|g| g.tour.is_some())
            .and_then(|g| g.step())
            .cloned()
        else {
            return;
        };
        self.info_card = None;
        let view = disan_catalog::TourView {
            yaw: step.yaw,
            pitch: step.pitch,
            hfov: step.hfov,
        };
        match &mut self.pano {
            Some((i, pano)) if *i == step.scene && self.selected == Some(step.scene) => {
                pano.turn_to(crate::pano::Camera {
                    yaw: view.yaw,
                    pitch: view.pitch,
                    hfov: view.hfov.clamp(crate::pano::MIN_HFOV, crate::pano::MAX_HFOV),
                });
            }
            _ => {
                self.selected = Some(step.scene);
                self.pano = self.tour_pano(step.scene, Some(view)).map(|(i, mut v)| {
                    v.fade_from = Some(now);
                    (i, v)
                });
            }
        }
    }

    /// The narrated tour's controls and caption: play/pause (also Space), previous, next, replay, end, volume;
    /// the step, the draft-voice note, and the text being read.
    fn guide_panel(&mut self, ui: &mut egui::Ui) {
        let lang = self.lang;
        let now = ui.input(|i| i.time);
        let space = ui.input(|i| i.key_pressed(Key::Space)) && ui.ctx().memory(|m| m.focused().is_none());
        let Some(g) = self.guide.as_mut() else { return };
        let mut moved = false;
        let mut end = false;
        ui.horizontal_wrapped(|ui| {
            let label = if g.playing {
                t(lang, "guide.pause")
            } else {
                t(lang, "guide.play")
            };
            if ui.button(label).clicked() || space {
                g.toggle();
                moved = g.elapsed == 0.0;
            }
            if ui.button(t(lang, "guide.prev")).clicked() {
                g.go_to(g.index.saturating_sub(1));
                moved = true;
            }
            if ui.button(t(lang, "guide.next")).clicked() && g.index + 1 < g.steps.len() {
                g.go_to(g.index + 1);
                moved = true;
            }
            if ui.button(t(lang, "guide.replay")).clicked() {
                g.go_to(g.index);
                g.playing = true;
                moved = true;
            }
            if ui.button(t(lang, "guide.stop")).clicked() {
                end = true;
            }
            ui.add(egui::Slider::new(&mut g.volume, 0.0..=1.0).text(t(lang, "guide.volume")));
        });
        let n = g.steps.len().to_string();
        let i = (g.index + 1).to_string();
        let mut status = tf(lang, "guide.step", &[("i", &i), ("n", &n)]);
        if let Some(step) = g.step() {
            if step.audio.as_ref().is_some_and(|a| a.2) {
                status.push_str(" · ");
                status.push_str(t(lang, "guide.draft"));
            }
            if !g.has_sound() {
                status.push_str(" · ");
                status.push_str(t(lang, "guide.silent"));
            }
            ui.label(RichText::new(status).weak());
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(&step.title).strong().size(17.0));
                ui.label(RichText::new(&step.text).size(17.0));
            });
        }
        if end {
            self.guide = None;
        } else if moved {
            self.apply_guide_step(now);
        }
    }

    /// The tour this panorama belongs to, as a list of its scenes to jump between.
    fn tour_overview(&mut self, ui: &mut egui::Ui, item: &Item) {
        let Some((tour, _)) = self.collection.tour_scene(&item.id) else {
            return;
        };
        let order = self.lang.fallbacks();
        ui.separator();
        let title = pick(&tour.title, &order).map_or(tour.id.as_str(), |(_, s)| s);
        ui.label(RichText::new(format!("{}: {title}", t(self.lang, "tour.heading"))).strong());
        if self.guide.is_none() && ui.button(t(self.lang, "guide.start")).clicked() {
            let (id, now) = (tour.id.clone(), ui.input(|i| i.time));
            self.start_guide(&id, now);
            return;
        }
        let mut go = None;
        for (n, s) in tour.scenes.iter().enumerate() {
            let Some(i) = self.collection.index_of(&s.asset) else {
                continue;
            };
            let name = self.scene_name(s, i);
            if ui
                .selectable_label(s.asset == item.id, format!("{}. {name}", n + 1))
                .clicked()
                && s.asset != item.id
            {
                go = Some(i);
            }
        }
        if let Some(i) = go {
            self.info_card = None;
            self.selected = Some(i);
        }
    }

    /// Title, description, site, rank, capture date and place, creator, rights, in the chosen language,
    /// saying so where another language stands in for a missing translation.
    pub fn info_panel(&self, ui: &mut egui::Ui, item: &Item) {
        let lang = self.lang;
        let order = lang.fallbacks();
        let fallback_note = |ui: &mut egui::Ui, used: &str| {
            if used != lang.tag() {
                let name =
                    Lang::from_tag(used).map_or(used.to_owned(), |l| t(l, &format!("lang.{}", l.tag())).to_owned());
                ui.label(
                    RichText::new(tf(lang, "info.fallback", &[("lang", &name)]))
                        .italics()
                        .weak(),
                );
            }
        };
        let (title, title_lang) = self.title_of(item);
        ui.heading(title);
        if let Some(l) = title_lang {
            fallback_note(ui, l);
        }
        if let Some((used, text)) = pick(&item.meta.description, &order) {
            ui.label(text);
            fallback_note(ui, used);
        }
        ui.separator();
        egui::Grid::new("facts")
            .num_columns(2)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                let mut row = |key: &str, value: String| {
                    ui.label(RichText::new(t(lang, key)).strong());
                    ui.label(value);
                    ui.end_row();
                };
                let label_of = |v: &vocab::Vocabulary, id: &str| {
                    v.get(id)
                        .and_then(|term| pick(&term.label, &order).map(|(_, l)| l.to_owned()))
                        .unwrap_or_else(|| id.to_owned())
                };
                if let Some(site) = item.site_id.as_deref().and_then(|s| self.collection.site(s)) {
                    row("info.site", site.display_name(lang.tag()));
                    if let Some(r) = &site.rank {
                        row("info.rank", label_of(vocab::ranks(), r));
                    }
                    if let Some(p) = &site.province {
                        row("info.province", label_of(vocab::provinces(), p));
                    }
                }
                if let Some(d) = item.meta.date.as_ref().or(item.taken_at.as_ref()) {
                    row("info.taken", d.replace('T', " "));
                }
                if let Some((lat, lon)) = item.gps {
                    row(
                        "info.place",
                        format!(
                            "{:.5}°{}, {:.5}°{}",
                            lat.abs(),
                            if lat >= 0.0 { "N" } else { "S" },
                            lon.abs(),
                            if lon >= 0.0 { "E" } else { "W" }
                        ),
                    );
                }
                if let Some(c) = &item.meta.creator {
                    row("info.creator", c.clone());
                }
                if let Some(r) = &item.meta.rights {
                    let label = vocab::rights()
                        .get(r)
                        .and_then(|term| pick(&term.label, &order).map(|(_, l)| l.to_owned()));
                    row("info.rights", label.unwrap_or_else(|| r.clone()));
                }
                if let Some(full) = item.model.first() {
                    row(
                        "info.model",
                        format!(
                            "{} · {:.1} MB",
                            tf(lang, "model.triangles", &[("n", &full.triangles.to_string())]),
                            full.bytes as f64 / 1e6
                        ),
                    );
                }
                if let (Some(w), Some(h)) = (item.width, item.height) {
                    row("info.size", format!("{w} × {h}"));
                }
            });
    }

    fn kiosk_attract(&mut self, ui: &mut egui::Ui, since: f64) {
        let now = ui.input(|i| i.time);
        let n = self.collection.items.len();
        // After one round of the highlights, the next highlighted narrated tour plays (with captions, and
        // sound where the kiosk has it); the loop goes on when it ends.
        let tours = self.collection.narrated_tours(self.lang.tag());
        if !tours.is_empty() && now - since >= n.max(1) as f64 * self.options.attract_secs {
            let tour = tours[self.attract_tours % tours.len()].clone();
            self.attract_tours += 1;
            self.attract_since = None;
            self.pano = None;
            self.start_guide(&tour, now);
            if let Some(g) = &mut self.guide {
                g.attract = true;
            }
            ui.ctx().request_repaint();
            return;
        }
        let rect = ui.max_rect();
        ui.painter().rect_filled(rect, 0.0, Color32::BLACK);
        if n > 0 {
            let step = ((now - since) / self.options.attract_secs).floor() as usize;
            let index = step % n;
            let item = self.collection.items[index].clone();
            if self.pano.as_ref().is_none_or(|(i, _)| *i != index) {
                // Panoramas turn slowly; other highlights drift.
                self.pano = pano_view_for(&item).map(|mut v| {
                    v.auto_rotate = Some(6.0);
                    v.camera.hfov = 100.0;
                    (index, v)
                });
            }
            if let Some((_, pano)) = &mut self.pano {
                pano.show(ui, &mut self.textures);
            } else {
                let phase = ((now - since) % self.options.attract_secs / self.options.attract_secs) as f32;
                let zoomed = rect
                    .expand2(rect.size() * 0.04)
                    .translate(Vec2::new((phase - 0.5) * rect.width() * 0.06, 0.0));
                draw_image(ui, &mut self.textures, item.display.as_deref(), zoomed, DISPLAY_SIDE);
            }
            let (title, _) = self.title_of(&item);
            ui.painter().text(
                rect.left_bottom() + Vec2::new(40.0, -80.0),
                egui::Align2::LEFT_BOTTOM,
                title,
                egui::FontId::proportional(36.0),
                Color32::WHITE,
            );
        }
        ui.painter().text(
            rect.center_bottom() + Vec2::new(0.0, -30.0),
            egui::Align2::CENTER_BOTTOM,
            t(self.lang, "kiosk.touch"),
            egui::FontId::proportional(22.0),
            Color32::from_white_alpha(220),
        );
        ui.ctx().request_repaint();
    }
}

/// An information point's card: its title and text in the chosen language, and the asset it opens.
#[derive(Clone, Debug, PartialEq)]
pub struct InfoCard {
    pub title: String,
    pub text: String,
    pub asset: Option<usize>,
}

/// The panorama view of a panorama with cube tiles (none when the manifest's numbers are not sane).
fn pano_view_for(item: &Item) -> Option<PanoView> {
    let (dir, tiles) = item.pano.as_ref()?;
    let layout = CubeLayout::from_manifest(tiles)?;
    Some(PanoView::new(layout, dir.clone(), item.heading))
}

/// The deep-zoom view of a photo with IIIF tiles (none when the manifest's numbers are not sane).
fn deep_zoom_for(item: &Item) -> Option<DeepZoom> {
    let (dir, tiles) = item.iiif.as_ref()?;
    let layout = IiifLayout::from_manifest(item.width?, item.height?, tiles)?;
    Some(DeepZoom::new(layout, dir.clone()))
}

/// Draws an image fitted (letterboxed) into `rect`, or a placeholder while it loads.
fn draw_image(ui: &egui::Ui, textures: &mut Textures, path: Option<&std::path::Path>, rect: Rect, max_side: u32) {
    let painter = ui.painter_at(rect);
    let placeholder = |painter: &egui::Painter| {
        painter.rect_filled(rect, 4.0, ui.visuals().extreme_bg_color);
    };
    let Some(path) = path else {
        placeholder(&painter);
        return;
    };
    match textures.get(ui.ctx(), path, max_side) {
        Slot::Ready(tex) => paint_fitted(&painter, tex.id(), tex.size_vec2(), rect),
        Slot::Loading => placeholder(&painter),
        Slot::Failed => {
            placeholder(&painter);
            painter.line_segment([rect.left_top(), rect.right_bottom()], Stroke::new(1.0, Color32::GRAY));
        }
    }
}

impl eframe::App for ViewerApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        self.textures.begin_frame(&ctx);
        let (now, active) = ctx.input(|i| (i.time, !i.events.is_empty() || i.pointer.is_moving()));
        let attract_guide = self.guide.as_ref().is_some_and(|g| g.attract);
        if active {
            self.last_input = now;
            if self.attract_since.take().is_some() {
                self.pano = None;
            }
            // A touch during the attract loop's narrated tour returns to home.
            if attract_guide {
                (self.guide, self.selected, self.pano) = (None, None, None);
            }
        } else if attract_guide && self.guide.as_ref().is_some_and(|g| g.finished()) {
            // The attract loop's narrated tour has ended: the loop goes on.
            (self.guide, self.selected, self.pano) = (None, None, None);
            self.attract_since = Some(now);
        }
        let attract_guide = self.guide.as_ref().is_some_and(|g| g.attract);
        if self.options.kiosk
            && !attract_guide
            && self.attract_since.is_none()
            && now - self.last_input > self.options.idle_secs
        {
            self.attract_since = Some(now);
            self.selected = None;
            self.query.clear();
            (self.kind, self.site, self.rank) = (None, None, None);
        }
        if self.options.kiosk {
            // Wake up to check the idle time even when nothing happens.
            ctx.request_repaint_after(std::time::Duration::from_secs(1));
        }
        if let Some(since) = self.attract_since {
            egui::CentralPanel::no_frame().show(ui, |ui| self.kiosk_attract(ui, since));
            return;
        }
        self.refresh();
        egui::Panel::top("top").show(ui, |ui| self.top_bar(ui));
        if let Some(index) = self.selected {
            egui::CentralPanel::default().show(ui, |ui| self.asset_view(ui, index));
            return;
        }
        egui::CentralPanel::default().show(ui, |ui| match self.view {
            HomeView::Grid => self.grid(ui),
            HomeView::Map => {
                if let Some(site) = map::show(ui, &self.collection, self.lang) {
                    self.site = Some(site);
                    self.view = HomeView::Grid;
                }
            }
        });
    }
}
