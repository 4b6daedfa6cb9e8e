//! The model view: a relic's `model.glb` (or a lighter LOD when it is small on screen) drawn by
//! `disan_render` off the UI thread, and shown as a texture. Each LOD is read and uploaded to the GPU once
//! (`disan_render::prepare_scene`); turning the model then only draws it again. Drag orbits, right-drag (or shift-drag) pans,
//! scroll zooms, double-click or `0` resets.
//!
//! A relic's story shows as numbered pins on the surface, projected with the camera of the image on screen
//! and hidden when the full mesh (`disan_model::Surface`, built once off the UI thread) lies between the
//! camera and the pin; a click on a pin selects its annotation; [`ModelView::fly_to`] eases the camera to an
//! annotation's saved view. In curator mode a click on the model picks a point on the full mesh.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

use disan_catalog::StoryView;
use disan_model::Surface;
use disan_render::{Camera, Orbit, Prepared, View};
use egui::{Color32, ColorImage, Sense, TextureHandle, TextureOptions, Vec2};

use crate::i18n::{Lang, t, tf};
use crate::textures::paint_fitted;

/// One level of detail: the file, and the triangles it draws.
#[derive(Clone, Debug)]
pub struct Lod {
    pub path: PathBuf,
    pub triangles: u64,
    /// Size of the file.
    pub bytes: u64,
}

/// Which LOD to draw: the full model when it covers at least `FULL_PX` pixels on its shorter side, the
/// first reduction above `LOD1_PX`, the lightest below.
const FULL_PX: f32 = 700.0;
const LOD1_PX: f32 = 300.0;

enum Msg {
    Loaded(usize, Result<Arc<Prepared>, String>),
    Rendered(View, ([f32; 3], [f32; 3]), Result<ColorImage, String>),
    Surface(Result<Arc<Surface>, String>),
}

/// A pin of the relic's story.
#[derive(Clone, Debug, PartialEq)]
pub struct Pin {
    pub id: String,
    pub position: [f32; 3],
}

/// A point a curator picked on the surface, with the view it was picked in.
#[derive(Clone, Debug, PartialEq)]
pub struct Picked {
    pub position: [f64; 3],
    pub normal: [f64; 3],
    pub view: StoryView,
}

/// Seconds a flight to an annotation's view takes.
const FLIGHT_SECS: f64 = 1.2;

/// A camera on its way from one view to another (eased).
#[derive(Clone, Copy, Debug)]
struct Flight {
    from: StoryView,
    to: StoryView,
    start: Option<f64>,
}

/// A model being viewed.
pub struct ModelView {
    /// Full model first, then lighter ones.
    pub lods: Vec<Lod>,
    pub yaw: f32,
    pub pitch: f32,
    pub zoom: f32,
    pub pan: [f32; 2],
    /// Vertical field of view, degrees.
    pub fov: f32,
    /// An explicit camera (after a flight to an annotation): orbit this point at this distance.
    pub orbit: Option<Orbit>,
    /// The story's pins, in order (pin 1 first), and the one being told.
    pub pins: Vec<Pin>,
    pub active: Option<usize>,
    /// A pin clicked since the owner last looked.
    pub clicked_pin: Option<usize>,
    /// Where the last frame drew the view, and each pin it showed (index, centre).
    pub screen: egui::Rect,
    pub drawn: Vec<(usize, egui::Pos2)>,
    /// Curator mode's picking tool: the next click on the model picks a point (`picked`), or says it missed.
    pub picking: bool,
    pub picked: Option<Picked>,
    pub pick_missed: bool,
    /// The full mesh, for picking and for hiding pins behind the surface.
    pub surface: Option<Arc<Surface>>,
    surface_loading: bool,
    flight: Option<Flight>,
    /// Bounds of the first loaded LOD (for the camera before a render), and of the one on screen.
    bounds: Option<([f32; 3], [f32; 3])>,
    shown_bounds: Option<([f32; 3], [f32; 3])>,
    scenes: Vec<Option<Arc<Prepared>>>,
    loading: Vec<bool>,
    /// The LOD the last frame drew.
    pub lod: usize,
    texture: Option<TextureHandle>,
    shown: Option<View>,
    in_flight: Option<View>,
    pub error: Option<String>,
    tx: Sender<Msg>,
    rx: Receiver<Msg>,
}

impl ModelView {
    pub fn new(lods: Vec<Lod>) -> Self {
        let (tx, rx) = channel();
        let n = lods.len();
        Self {
            lods,
            yaw: 30.0,
            pitch: 20.0,
            zoom: 1.0,
            pan: [0.0, 0.0],
            fov: 30.0,
            orbit: None,
            pins: Vec::new(),
            active: None,
            clicked_pin: None,
            screen: egui::Rect::NOTHING,
            drawn: Vec::new(),
            picking: false,
            picked: None,
            pick_missed: false,
            surface: None,
            surface_loading: false,
            flight: None,
            bounds: None,
            shown_bounds: None,
            scenes: vec![None; n],
            loading: vec![false; n],
            lod: 0,
            texture: None,
            shown: None,
            in_flight: None,
            error: None,
            tx,
            rx,
        }
    }

    pub fn reset(&mut self) {
        (self.yaw, self.pitch, self.zoom, self.pan) = (30.0, 20.0, 1.0, [0.0, 0.0]);
        (self.fov, self.orbit, self.flight) = (30.0, None, None);
    }

    /// Work still under way (loading, rendering, building the surface, or flying).
    pub fn busy(&self) -> bool {
        self.in_flight.is_some() || self.loading.iter().any(|l| *l) || self.surface_loading || self.flight.is_some()
    }

    /// The view a render of `width`×`height` pixels would use now.
    pub fn view(&self, width: u32, height: u32) -> View {
        View {
            width,
            height,
            yaw: self.yaw,
            pitch: self.pitch,
            fov: self.fov,
            zoom: self.zoom,
            pan: self.pan,
            orbit: self.orbit,
            ..View::default()
        }
    }

    /// The camera now, as an annotation's view (once a LOD has loaded).
    pub fn story_view(&self) -> Option<StoryView> {
        let bounds = self.bounds?;
        let view = self.view(4, 3);
        let o = Camera::new(bounds, &view).orbit();
        let r = |x: f32| (f64::from(x) * 1e6).round() / 1e6;
        Some(StoryView {
            yaw: r(self.yaw),
            pitch: r(self.pitch),
            fov: r(self.fov),
            target: o.target.map(r),
            distance: r(o.distance),
        })
    }

    /// Eases the camera to `to` over a second or so (at once before the model has loaded).
    pub fn fly_to(&mut self, to: StoryView) {
        match self.story_view() {
            Some(from) => self.flight = Some(Flight { from, to, start: None }),
            None => self.set_story_view(&to),
        }
    }

    fn set_story_view(&mut self, v: &StoryView) {
        self.yaw = v.yaw as f32;
        self.pitch = v.pitch as f32;
        self.fov = v.fov as f32;
        self.orbit = Some(Orbit {
            target: v.target.map(|x| x as f32),
            distance: v.distance as f32,
        });
    }

    /// Moves a flight on to time `now`.
    fn fly(&mut self, now: f64) {
        let Some(f) = self.flight.as_mut() else { return };
        let start = *f.start.get_or_insert(now);
        let t = ((now - start) / FLIGHT_SECS).clamp(0.0, 1.0);
        // Smoothstep: slow off, slow in.
        let e = t * t * (3.0 - 2.0 * t);
        let (a, b) = (f.from, f.to);
        let lerp = |x: f64, y: f64| x + (y - x) * e;
        // The shorter way round.
        let dyaw = ((b.yaw - a.yaw + 540.0).rem_euclid(360.0)) - 180.0;
        let v = StoryView {
            yaw: a.yaw + dyaw * e,
            pitch: lerp(a.pitch, b.pitch),
            fov: lerp(a.fov, b.fov),
            target: [0, 1, 2].map(|k| lerp(a.target[k], b.target[k])),
            // Geometric: a zoom in feels even.
            distance: a.distance * (b.distance / a.distance.max(1e-9)).powf(e),
        };
        let done = t >= 1.0;
        self.set_story_view(if done { &b } else { &v });
        if done {
            self.flight = None;
        }
    }

    /// Reads the full model's surface off the UI thread, once.
    fn load_surface(&mut self, ctx: &egui::Context) {
        if self.surface.is_some() || self.surface_loading || self.lods.is_empty() {
            return;
        }
        self.surface_loading = true;
        let (tx, ctx, path) = (self.tx.clone(), ctx.clone(), self.lods[0].path.clone());
        std::thread::spawn(move || {
            let result = disan_model::read_scene_file(&path, disan_model::Limits::default()).and_then(|scene| {
                Surface::new(&scene)
                    .map(Arc::new)
                    .ok_or_else(|| "the model draws nothing".to_owned())
            });
            let _ = tx.send(Msg::Surface(result));
            ctx.request_repaint();
        });
    }

    /// The LOD for a model that covers `px` pixels on its shorter side.
    pub fn lod_for(&self, px: f32) -> usize {
        let want = if px >= FULL_PX {
            0
        } else if px >= LOD1_PX {
            1
        } else {
            2
        };
        want.min(self.lods.len().saturating_sub(1))
    }

    fn load(&mut self, i: usize, ctx: &egui::Context) {
        if self.scenes[i].is_some() || self.loading[i] {
            return;
        }
        self.loading[i] = true;
        let (tx, ctx, path) = (self.tx.clone(), ctx.clone(), self.lods[i].path.clone());
        std::thread::spawn(move || {
            let result = disan_model::read_scene_file(&path, disan_model::Limits::default()).and_then(|scene| {
                let gpu = disan_render::Gpu::shared().map_err(|e| e.to_string())?;
                disan_render::prepare_scene(&gpu, &scene)
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            });
            let _ = tx.send(Msg::Loaded(i, result));
            ctx.request_repaint();
        });
    }

    fn render(&mut self, scene: Arc<Prepared>, view: View, ctx: &egui::Context) {
        self.in_flight = Some(view);
        let bounds = scene.bounds();
        let (tx, ctx) = (self.tx.clone(), ctx.clone());
        std::thread::spawn(move || {
            let result = disan_render::Gpu::shared()
                .map_err(|e| e.to_string())
                .and_then(|gpu| disan_render::render_prepared(&gpu, &scene, &view).map_err(|e| e.to_string()))
                .map(|img| {
                    ColorImage::from_rgba_unmultiplied([img.width() as usize, img.height() as usize], img.as_raw())
                });
            let _ = tx.send(Msg::Rendered(view, bounds, result));
            ctx.request_repaint();
        });
    }

    /// Draws the view in the space left in `ui` and handles the camera controls.
    pub fn show(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let (rect, response) = ui.allocate_exact_size(ui.available_size(), Sense::click_and_drag());
        let ctx = ui.ctx().clone();
        while let Ok(msg) = self.rx.try_recv() {
            match msg {
                Msg::Loaded(i, Ok(scene)) => {
                    self.loading[i] = false;
                    self.bounds.get_or_insert(scene.bounds());
                    self.scenes[i] = Some(scene);
                }
                Msg::Surface(result) => {
                    self.surface_loading = false;
                    match result {
                        Ok(s) => self.surface = Some(s),
                        Err(e) => self.error = Some(e),
                    }
                }
                Msg::Loaded(i, Err(e)) => {
                    self.loading[i] = false;
                    self.error = Some(e);
                }
                Msg::Rendered(view, bounds, result) => {
                    self.in_flight = None;
                    match result {
                        Ok(image) => {
                            self.texture = Some(ctx.load_texture("model-view", image, TextureOptions::LINEAR));
                            self.shown = Some(view);
                            self.shown_bounds = Some(bounds);
                        }
                        Err(e) => self.error = Some(e),
                    }
                }
            }
        }
        let shift = ui.input(|i| i.modifiers.shift);
        let dragging = response.dragged() || response.dragged_by(egui::PointerButton::Secondary);
        if dragging {
            self.flight = None;
        }
        if response.dragged_by(egui::PointerButton::Secondary) || (response.dragged() && shift) {
            let d = response.drag_delta() / rect.height().max(1.0) * 2.0;
            match (self.orbit, self.bounds) {
                (Some(o), Some(bounds)) => {
                    // Move the point looked at across the view, by what the drag covers at its distance.
                    let cam = Camera::new(bounds, &self.view(4, 3));
                    let side = (cam.target - cam.eye).cross(cam.up).normalize_or_zero();
                    let up = side.cross(cam.target - cam.eye).normalize_or_zero();
                    let span = o.distance * (self.fov.to_radians() * 0.5).tan();
                    let t = glam::Vec3::from(o.target) - side * d.x * span + up * d.y * span;
                    self.orbit = Some(Orbit {
                        target: t.to_array(),
                        ..o
                    });
                }
                _ => {
                    let d = d / self.zoom;
                    self.pan = [self.pan[0] - d.x, self.pan[1] + d.y];
                }
            }
        } else if response.dragged() {
            let d = response.drag_delta();
            self.yaw -= d.x * 0.4;
            self.pitch = (self.pitch + d.y * 0.4).clamp(-89.0, 89.0);
        }
        let scroll = if response.hovered() {
            ui.input(|i| i.smooth_scroll_delta.y)
        } else {
            0.0
        };
        let pinch = ui.input(|i| i.zoom_delta());
        let factor = (scroll / 300.0).exp() * pinch;
        match self.orbit.as_mut() {
            Some(o) if factor != 1.0 => {
                self.flight = None;
                o.distance /= factor;
            }
            Some(_) => {}
            None => self.zoom = (self.zoom * factor).clamp(0.5, 8.0),
        }
        if response.double_clicked() || ui.input(|i| i.key_pressed(egui::Key::Num0)) {
            self.reset();
        }
        let now = ui.input(|i| i.time);
        if self.flight.is_some() {
            self.fly(now);
            ctx.request_repaint();
        }
        if !self.pins.is_empty() || self.picking {
            self.load_surface(&ctx);
        }

        let ppp = ctx.pixels_per_point();
        let (w, h) = (
            ((rect.width() * ppp) as u32).clamp(16, 1920),
            ((rect.height() * ppp) as u32).clamp(16, 1080),
        );
        let view = self.view(w, h);
        // How large the model is on screen: the framing's zoom, or the bounding sphere at the orbit's distance.
        let size = match (self.orbit, self.bounds) {
            (Some(o), Some((min, max))) => {
                let radius = (glam::Vec3::from(max) - glam::Vec3::from(min)).length() * 0.5;
                let half = (self.fov.to_radians() * 0.5).tan();
                h as f32 * radius / (o.distance * half).max(1e-6)
            }
            _ => w.min(h) as f32 * self.zoom,
        };
        self.lod = self.lod_for(size);
        // Draw the wanted LOD once loaded; until then, whichever is.
        self.load(self.lod, &ctx);
        let scene = self.scenes[self.lod]
            .clone()
            .or_else(|| self.scenes.iter().flatten().next().cloned());
        if self.lods.len() > 1 && self.scenes.iter().all(Option::is_none) {
            self.load(self.lods.len() - 1, &ctx);
        }
        if let Some(scene) = scene {
            let stale = self.shown != Some(view) && self.in_flight.is_none();
            if stale && self.error.is_none() {
                self.render(scene, view, &ctx);
            }
        }

        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 0.0, Color32::from_rgb(48, 52, 58));
        if let Some(tex) = &self.texture {
            paint_fitted(&painter, tex.id(), tex.size_vec2() / ppp, rect);
        }
        self.screen = rect;
        self.drawn.clear();
        self.story_overlay(&painter, &response, rect, ppp);
        if let Some(e) = &self.error {
            painter.text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                e,
                egui::FontId::proportional(14.0),
                Color32::LIGHT_RED,
            );
        }
        let lod = &self.lods[self.lod];
        painter.text(
            rect.left_bottom() + Vec2::new(10.0, -10.0),
            egui::Align2::LEFT_BOTTOM,
            format!(
                "{} · {}\n{}",
                tf(lang, "model.triangles", &[("n", &lod.triangles.to_string())]),
                tf(lang, "model.lod", &[("n", &self.lod.to_string())]),
                t(lang, "model.help")
            ),
            egui::FontId::proportional(13.0),
            Color32::from_white_alpha(200),
        );
    }

    /// Where the image on screen maps: its camera and the screen rectangle it is painted in.
    fn shown_camera(&self, rect: egui::Rect, ppp: f32) -> Option<(Camera, egui::Rect)> {
        let (view, bounds) = (self.shown?, self.shown_bounds?);
        let size = Vec2::new(view.width as f32, view.height as f32) / ppp;
        let scale = (rect.width() / size.x).min(rect.height() / size.y);
        let fitted = egui::Rect::from_center_size(rect.center(), size * scale);
        Some((Camera::new(bounds, &view), fitted))
    }

    /// The pins (those seen from the camera), a click on one, and the picking tool's click.
    fn story_overlay(&mut self, painter: &egui::Painter, response: &egui::Response, rect: egui::Rect, ppp: f32) {
        let Some((cam, fitted)) = self.shown_camera(rect, ppp) else {
            return;
        };
        let to_screen = |[x, y]: [f32; 2]| {
            egui::pos2(
                fitted.min.x + x / cam.width as f32 * fitted.width(),
                fitted.min.y + y / cam.height as f32 * fitted.height(),
            )
        };
        let click = response.clicked().then(|| response.interact_pointer_pos()).flatten();
        let mut hit_pin = None;
        for (i, pin) in self.pins.iter().enumerate() {
            let Some(p) = cam.project(pin.position) else { continue };
            let at = to_screen(p);
            if !fitted.contains(at) {
                continue;
            }
            if self
                .surface
                .as_ref()
                .is_some_and(|s| !s.visible_from(cam.eye.to_array(), pin.position))
            {
                continue;
            }
            let active = self.active == Some(i);
            let fill = if active {
                Color32::from_rgb(194, 84, 0)
            } else {
                Color32::from_rgb(20, 24, 30)
            };
            painter.circle(at, 12.0, fill, egui::Stroke::new(2.0, Color32::WHITE));
            self.drawn.push((i, at));
            painter.text(
                at,
                egui::Align2::CENTER_CENTER,
                (i + 1).to_string(),
                egui::FontId::proportional(13.0),
                Color32::WHITE,
            );
            if click.is_some_and(|c| c.distance(at) <= 13.0) {
                hit_pin = Some(i);
            }
        }
        if let Some(i) = hit_pin {
            self.clicked_pin = Some(i);
            return;
        }
        if let (true, Some(c), Some(surface)) = (self.picking, click, self.surface.as_ref()) {
            let x = (c.x - fitted.min.x) / fitted.width() * cam.width as f32;
            let y = (c.y - fitted.min.y) / fitted.height() * cam.height as f32;
            let (o, d) = cam.ray(x, y);
            match surface.ray(o, d) {
                Some(hit) => {
                    let r = |x: f32| (f64::from(x) * 1e6).round() / 1e6;
                    let n = glam::Vec3::from(hit.normal).normalize_or_zero();
                    let orbit = cam.orbit();
                    let view = self.shown.unwrap_or_default();
                    self.picked = Some(Picked {
                        position: hit.point.map(r),
                        normal: n.to_array().map(r),
                        view: StoryView {
                            yaw: r(view.yaw),
                            pitch: r(view.pitch),
                            fov: r(view.fov),
                            target: orbit.target.map(r),
                            distance: r(orbit.distance),
                        },
                    });
                    self.picking = false;
                    self.pick_missed = false;
                }
                None => self.pick_missed = true,
            }
        }
    }
}
