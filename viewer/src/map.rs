//! The offline map: sites placed by their coordinates on an equirectangular projection (longitude scaled
//! by the cosine of the middle latitude), with a graticule each degree. No tile server, no network.

use egui::{Color32, Pos2, Rect, Sense, Stroke, Vec2};

use crate::collection::Collection;
use crate::i18n::{Lang, t};

/// Where sites with coordinates land in `rect`: (site index, position).
pub fn layout(collection: &Collection, rect: Rect) -> Vec<(usize, Pos2)> {
    let points: Vec<(usize, f64, f64)> = collection
        .sites
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Some((i, s.lat?, s.lon?)))
        .filter(|(_, lat, lon)| lat.is_finite() && lon.is_finite())
        .collect();
    if points.is_empty() {
        return Vec::new();
    }
    let (mut lat0, mut lat1, mut lon0, mut lon1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(_, lat, lon) in &points {
        (lat0, lat1, lon0, lon1) = (lat0.min(lat), lat1.max(lat), lon0.min(lon), lon1.max(lon));
    }
    // At least a tenth of a degree each way, so a single site sits in the middle.
    let pad = 0.05_f64.max((lat1 - lat0).max(lon1 - lon0) * 0.08);
    (lat0, lat1, lon0, lon1) = (lat0 - pad, lat1 + pad, lon0 - pad, lon1 + pad);
    let k = ((lat0 + lat1) / 2.0).to_radians().cos();
    let (w, h) = ((lon1 - lon0) * k, lat1 - lat0);
    let scale = (rect.width() as f64 / w).min(rect.height() as f64 / h);
    let origin = rect.center() - Vec2::new((w * scale / 2.0) as f32, (h * scale / 2.0) as f32);
    points
        .into_iter()
        .map(|(i, lat, lon)| {
            let x = (lon - lon0) * k * scale;
            let y = (lat1 - lat) * scale;
            (i, origin + Vec2::new(x as f32, y as f32))
        })
        .collect()
}

/// Draws the map; returns the id of a site that was clicked.
pub fn show(ui: &mut egui::Ui, collection: &Collection, lang: Lang) -> Option<String> {
    let (rect, response) = ui.allocate_exact_size(ui.available_size(), Sense::click());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, Color32::from_rgb(214, 230, 240));
    let placed = layout(collection, rect.shrink(40.0));
    if placed.is_empty() {
        painter.text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            t(lang, "map.no_coordinates"),
            egui::FontId::proportional(18.0),
            Color32::DARK_GRAY,
        );
        return None;
    }
    painter.text(
        rect.left_top() + Vec2::new(12.0, 10.0),
        egui::Align2::LEFT_TOP,
        t(lang, "map.hint"),
        egui::FontId::proportional(14.0),
        Color32::DARK_GRAY,
    );
    let hover = response.hover_pos();
    let mut clicked = None;
    for (i, pos) in placed {
        let site = &collection.sites[i];
        let radius = 5.0 + (site.assets as f32).sqrt().min(12.0);
        let near = hover.is_some_and(|h| h.distance(pos) <= radius + 4.0);
        let fill = if near {
            Color32::from_rgb(200, 60, 40)
        } else {
            Color32::from_rgb(180, 30, 30)
        };
        painter.circle(pos, radius, fill, Stroke::new(1.5, Color32::WHITE));
        painter.text(
            pos + Vec2::new(radius + 4.0, 0.0),
            egui::Align2::LEFT_CENTER,
            site.display_name(lang.tag()),
            egui::FontId::proportional(14.0),
            Color32::BLACK,
        );
        if near && response.clicked() {
            clicked = Some(site.id.clone());
        }
    }
    clicked
}
