//! The photo view: deep zoom over an asset's IIIF level-0 tiles (`iiif/`, written by ingest). The level is
//! chosen so a tile pixel is never smaller than a screen pixel; tiles load through the texture cache, and
//! until they arrive the smallest whole image stands in, so panning and zooming never show holes.

use std::path::PathBuf;

use disan_tiles::iiif::{IiifLayout, IiifTile};
use egui::{Color32, Pos2, Rect, Sense, Vec2};

use crate::textures::{Slot, Textures};

/// Zoom limits: from the whole image fitted to the view up to this many screen pixels per image pixel.
const MAX_ZOOM: f32 = 2.0;

/// A deep-zoom view of one image.
pub struct DeepZoom {
    pub layout: IiifLayout,
    /// The IIIF service folder (`assets/<id>/iiif/`).
    pub dir: PathBuf,
    /// Screen points per image pixel, and where it is heading (zoom eases towards its target).
    pub zoom: f32,
    target_zoom: f32,
    /// The image point at the centre of the view.
    pub center: Vec2,
    fitted: bool,
}

impl DeepZoom {
    pub fn new(layout: IiifLayout, dir: PathBuf) -> Self {
        let center = Vec2::new(layout.width as f32, layout.height as f32) / 2.0;
        Self {
            layout,
            dir,
            zoom: 1.0,
            target_zoom: 1.0,
            center,
            fitted: false,
        }
    }

    /// The zoom at which the whole image fits `view`.
    pub fn fit_zoom(&self, view: Vec2) -> f32 {
        (view.x / self.layout.width as f32).min(view.y / self.layout.height as f32)
    }

    /// The level to draw at `zoom` screen pixels per image pixel: the coarsest whose pixels are no
    /// smaller than a screen pixel.
    pub fn scale_for(&self, zoom: f32) -> u32 {
        self.layout
            .scale_factors
            .iter()
            .copied()
            .filter(|&s| (s as f32) * zoom <= 1.0 + 1e-3)
            .max()
            .unwrap_or(1)
    }

    /// The tiles of level `scale` that intersect the image region `visible` (in image pixels).
    pub fn visible_tiles(&self, scale: u32, visible: Rect) -> Vec<IiifTile> {
        self.layout
            .tiles(scale)
            .into_iter()
            .filter(|t| {
                let (x, y, w, h) = t.region;
                Rect::from_min_size(Pos2::new(x as f32, y as f32), Vec2::new(w as f32, h as f32)).intersects(visible)
            })
            .collect()
    }

    /// Zooms by `factor` keeping the image point under `anchor` (a screen offset from the view centre) still.
    pub fn zoom_by(&mut self, factor: f32, anchor: Vec2, view: Vec2) {
        let min = self.fit_zoom(view).min(MAX_ZOOM);
        let new = (self.target_zoom * factor).clamp(min, MAX_ZOOM);
        // The image point under the anchor before and after must coincide.
        self.center += anchor / self.target_zoom - anchor / new;
        self.target_zoom = new;
    }

    fn clamp_center(&mut self) {
        let size = Vec2::new(self.layout.width as f32, self.layout.height as f32);
        self.center = self.center.clamp(Vec2::ZERO, size);
    }

    /// Draws the view in the space left in `ui` and handles drag, scroll, double-click and +/- keys.
    pub fn show(&mut self, ui: &mut egui::Ui, textures: &mut Textures) {
        let (rect, response) = ui.allocate_exact_size(ui.available_size(), Sense::click_and_drag());
        if !self.fitted && rect.width() > 1.0 {
            self.zoom = self.fit_zoom(rect.size());
            self.target_zoom = self.zoom;
            self.fitted = true;
        }
        if response.dragged() {
            self.center -= response.drag_delta() / self.zoom;
        }
        if response.hovered() {
            let (scroll, pinch, pointer) =
                ui.input(|i| (i.smooth_scroll_delta.y, i.zoom_delta(), i.pointer.hover_pos()));
            let anchor = pointer.map_or(Vec2::ZERO, |p| p - rect.center());
            if scroll != 0.0 {
                self.zoom_by((scroll / 200.0).exp(), anchor, rect.size());
            }
            if pinch != 1.0 {
                self.zoom_by(pinch, anchor, rect.size());
            }
        }
        if response.double_clicked() {
            let anchor = response
                .interact_pointer_pos()
                .map_or(Vec2::ZERO, |p| p - rect.center());
            self.zoom_by(2.0, anchor, rect.size());
        }
        let (plus, minus) = ui.input(|i| {
            (
                i.key_pressed(egui::Key::Plus) || i.key_pressed(egui::Key::Equals),
                i.key_pressed(egui::Key::Minus),
            )
        });
        if plus {
            self.zoom_by(1.5, Vec2::ZERO, rect.size());
        }
        if minus {
            self.zoom_by(1.0 / 1.5, Vec2::ZERO, rect.size());
        }
        // Ease towards the target zoom.
        let dt = ui.input(|i| i.stable_dt).min(0.1);
        if (self.zoom - self.target_zoom).abs() > self.target_zoom * 1e-3 {
            self.zoom += (self.target_zoom - self.zoom) * (dt * 12.0).min(1.0);
            ui.ctx().request_repaint();
        } else {
            self.zoom = self.target_zoom;
        }
        self.clamp_center();

        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 0.0, Color32::from_gray(16));
        let to_screen = |x: f32, y: f32| rect.center() + (Vec2::new(x, y) - self.center) * self.zoom;
        let full = Rect::from_min_max(
            to_screen(0.0, 0.0),
            to_screen(self.layout.width as f32, self.layout.height as f32),
        );
        let uv = Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0));
        // The smallest whole image underneath everything.
        let smallest = self.layout.sizes[0];
        let path = self.dir.join(self.layout.full_path(smallest));
        if let Slot::Ready(tex) = textures.get(ui.ctx(), &path, u32::MAX) {
            painter.image(tex.id(), full, uv, Color32::WHITE);
        }
        let visible = Rect::from_min_max(
            (self.center + (rect.min - rect.center()) / self.zoom).to_pos2(),
            (self.center + (rect.max - rect.center()) / self.zoom).to_pos2(),
        );
        let scale = self.scale_for(self.zoom);
        for tile in self.visible_tiles(scale, visible) {
            let path = self.dir.join(self.layout.tile_path(&tile));
            if let Slot::Ready(tex) = textures.get(ui.ctx(), &path, u32::MAX) {
                let (x, y, w, h) = tile.region;
                let r = Rect::from_min_max(to_screen(x as f32, y as f32), to_screen((x + w) as f32, (y + h) as f32));
                painter.image(tex.id(), r, uv, Color32::WHITE);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> DeepZoom {
        // 6000×4000 in 512 px tiles: scale factors 1, 2, 4, 8, 16.
        DeepZoom::new(IiifLayout::new(6000, 4000, 512, 1024), PathBuf::new())
    }

    #[test]
    fn level_follows_zoom() {
        let z = view();
        assert_eq!(z.layout.scale_factors, [1, 2, 4, 8, 16]);
        assert_eq!(z.scale_for(1.0), 1);
        assert_eq!(z.scale_for(2.0), 1, "past native size the finest level stretches");
        assert_eq!(z.scale_for(0.5), 2);
        assert_eq!(z.scale_for(0.3), 2, "a tile pixel is never smaller than a screen pixel");
        assert_eq!(z.scale_for(0.2), 4);
        assert_eq!(z.scale_for(0.01), 16);
    }

    #[test]
    fn only_visible_tiles_are_asked_for() {
        let z = view();
        let all = z.layout.tiles(1).len();
        assert_eq!(all, 12 * 8);
        let corner = z.visible_tiles(1, Rect::from_min_size(Pos2::ZERO, Vec2::new(1000.0, 600.0)));
        assert_eq!(corner.len(), 2 * 2);
        assert!(corner.iter().all(|t| t.col < 2 && t.row < 2));
    }

    #[test]
    fn zoom_keeps_the_anchor_still_and_stays_in_limits() {
        let mut z = view();
        let view_size = Vec2::new(1200.0, 800.0);
        z.target_zoom = 0.5;
        let before = z.center + Vec2::new(100.0, 50.0) / z.target_zoom;
        z.zoom_by(2.0, Vec2::new(100.0, 50.0), view_size);
        let after = z.center + Vec2::new(100.0, 50.0) / z.target_zoom;
        assert!((before - after).length() < 1e-3);
        z.zoom_by(100.0, Vec2::ZERO, view_size);
        assert_eq!(z.target_zoom, MAX_ZOOM);
        z.zoom_by(1e-6, Vec2::ZERO, view_size);
        assert_eq!(z.target_zoom, z.fit_zoom(view_size));
    }
}
