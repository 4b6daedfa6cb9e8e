//! The model view: a relic's `model.glb` (or a lighter LOD when it is small on screen) drawn by
//! `disan_render` off the UI thread, and shown as a texture. Each LOD is read and uploaded to the GPU once
//! (`disan_render::prepare_scene`); turning the model then only draws it again. Drag orbits, right-drag (or shift-drag) pans,
//! scroll zooms, double-click or `0` resets.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

use disan_render::Prepared;
use disan_render::View;
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
    Rendered(View, Result<ColorImage, String>),
}

/// A model being viewed.
pub struct ModelView {
    /// Full model first, then lighter ones.
    pub lods: Vec<Lod>,
    pub yaw: f32,
    pub pitch: f32,
    pub zoom: f32,
    pub pan: [f32; 2],
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
    }

    /// Work still under way (loading or rendering).
    pub fn busy(&self) -> bool {
        self.in_flight.is_some() || self.loading.iter().any(|l| *l)
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
            let result = std::fs::read(&path).map_err(|e| e.to_string()).and_then(|bytes| {
                let dir = path.parent().unwrap_or(std::path::Path::new("."));
                let (report, scene) = disan_model::read_scene(
                    &bytes,
                    disan_model::ModelFormat::Glb,
                    &path.display().to_string(),
                    dir,
                    disan_model::Limits::default(),
                );
                let scene = scene.ok_or_else(|| report.error_summary())?;
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
        let (tx, ctx) = (self.tx.clone(), ctx.clone());
        std::thread::spawn(move || {
            let result = disan_render::Gpu::shared()
                .map_err(|e| e.to_string())
                .and_then(|gpu| disan_render::render_prepared(&gpu, &scene, &view).map_err(|e| e.to_string()))
                .map(|img| {
                    ColorImage::from_rgba_unmultiplied([img.width() as usize, img.height() as usize], img.as_raw())
                });
            let _ = tx.send(Msg::Rendered(view, result));
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
                    self.scenes[i] = Some(scene);
                }
                Msg::Loaded(i, Err(e)) => {
                    self.loading[i] = false;
                    self.error = Some(e);
                }
                Msg::Rendered(view, result) => {
                    self.in_flight = None;
                    match result {
                        Ok(image) => {
                            self.texture = Some(ctx.load_texture("model-view", image, TextureOptions::LINEAR));
                            self.shown = Some(view);
                        }
                        Err(e) => self.error = Some(e),
                    }
                }
            }
        }
        let shift = ui.input(|i| i.modifiers.shift);
        if response.dragged_by(egui::PointerButton::Secondary) || (response.dragged() && shift) {
            let d = response.drag_delta() / rect.height().max(1.0) * 2.0 / self.zoom;
            self.pan = [self.pan[0] - d.x, self.pan[1] + d.y];
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
        self.zoom = (self.zoom * (scroll / 300.0).exp() * pinch).clamp(0.5, 8.0);
        if response.double_clicked() || ui.input(|i| i.key_pressed(egui::Key::Num0)) {
            self.reset();
        }

        let ppp = ctx.pixels_per_point();
        let (w, h) = (
            ((rect.width() * ppp) as u32).clamp(16, 1920),
            ((rect.height() * ppp) as u32).clamp(16, 1080),
        );
        self.lod = self.lod_for(w.min(h) as f32 * self.zoom);
        let view = View {
            width: w,
            height: h,
            yaw: self.yaw,
            pitch: self.pitch,
            zoom: self.zoom,
            pan: self.pan,
            ..View::default()
        };
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
}
