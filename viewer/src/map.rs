//! The offline map: sites placed by their coordinates on an equirectangular projection (longitude scaled
//! by the cosine of the middle latitude), over the coastlines the website's map draws (Natural Earth, with
//! Vietnam's islands). No tile server, no network.

use egui::{Color32, Pos2, Rect, Sense, Stroke, Vec2};

use crate::collection::Collection;
use crate::i18n::{Lang, t};

/// The map's projection of the collection's sites into a rectangle.
struct Projection {
    lon0: f64,
    lat1: f64,
    k: f64,
    scale: f64,
    origin: Pos2,
}

impl Projection {
    fn at(&self, lat: f64, lon: f64) -> Pos2 {
        let x = (lon - self.lon0) * self.k * self.scale;
        let y = (self.lat1 - lat) * self.scale;
        self.origin + Vec2::new(x as f32, y as f32)
    }
}

fn site_points(collection: &Collection) -> Vec<(usize, f64, f64)> {
    collection
        .sites
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Some((i, s.lat?, s.lon?)))
        .filter(|(_, lat, lon)| lat.is_finite() && lon.is_finite())
        .collect()
}

fn projection(points: &[(usize, f64, f64)], rect: Rect) -> Option<Projection> {
    if points.is_empty() {
        return None;
    }
    let (mut lat0, mut lat1, mut lon0, mut lon1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(_, lat, lon) in points {
        (lat0, lat1, lon0, lon1) = (lat0.min(lat), lat1.max(lat), lon0.min(lon), lon1.max(lon));
    }
    // At least a tenth of a degree each way, so a single site sits in the middle.
    let pad = 0.05_f64.max((lat1 - lat0).max(lon1 - lon0) * 0.08);
    (lat0, lat1, lon0, lon1) = (lat0 - pad, lat1 + pad, lon0 - pad, lon1 + pad);
    let k = ((lat0 + lat1) / 2.0).to_radians().cos();
    let (w, h) = ((lon1 - lon0) * k, lat1 - lat0);
    let scale = (rect.width() as f64 / w).min(rect.height() as f64 / h);
    let origin = rect.center() - Vec2::new((w * scale / 2.0) as f32, (h * scale / 2.0) as f32);
    Some(Projection {
        lon0,
        lat1,
        k,
        scale,
        origin,
    })
}

/// Where sites with coordinates land in `rect`: (site index, position).
pub fn layout(collection: &Collection, rect: Rect) -> Vec<(usize, Pos2)> {
    let points = site_points(collection);
    let Some(p) = projection(&points, rect) else {
        return Vec::new();
    };
    points.into_iter().map(|(i, lat, lon)| (i, p.at(lat, lon))).collect()
}

/// One outline of land: its points (lon, lat), its bounding box (west, south, east, north), and for each
/// point whether the segment from it to the next is a coast (not a cut line where the outlines were pieced).
type Ring = (Vec<(f64, f64)>, [f64; 4], Vec<bool>);

/// The land the website's map draws (`assets/web/land/`: Natural Earth, the world at 1:110m and Vietnam
/// with its islands at 1:10m), read once.
fn land() -> &'static [Ring] {
    static LAND: std::sync::OnceLock<Vec<Ring>> = std::sync::OnceLock::new();
    LAND.get_or_init(|| {
        let mut rings = Vec::new();
        for text in [
            include_str!("../../assets/web/land/land-world.json"),
            include_str!("../../assets/web/land/land-vn.json"),
        ] {
            let v: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
            let cuts = |k: &str| -> Vec<f64> {
                v[k].as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|x| x.as_f64())
                    .collect()
            };
            let (cut_lon, cut_lat) = (cuts("cut_lon"), cuts("cut_lat"));
            for ring in v["rings"].as_array().into_iter().flatten() {
                let pts: Vec<(f64, f64)> = ring
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| Some((p[0].as_f64()?, p[1].as_f64()?)))
                    .collect();
                let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
                for &(lon, lat) in &pts {
                    b = [b[0].min(lon), b[1].min(lat), b[2].max(lon), b[3].max(lat)];
                }
                let coast = (0..pts.len())
                    .map(|i| {
                        let (a, c) = (pts[i], pts[(i + 1) % pts.len()]);
                        !(cut_lon.iter().any(|&x| a.0 == x && c.0 == x)
                            || cut_lat.iter().any(|&y| a.1 == y && c.1 == y))
                    })
                    .collect();
                if pts.len() >= 3 {
                    rings.push((pts, b, coast));
                }
            }
        }
        rings
    })
}

/// Draws the coastlines of the land that falls in `rect`.
fn draw_land(painter: &egui::Painter, p: &Projection, rect: Rect) {
    let stroke = Stroke::new(1.2, Color32::from_rgb(120, 140, 105));
    for (pts, b, coast) in land() {
        let (nw, se) = (p.at(b[3], b[0]), p.at(b[1], b[2]));
        if se.x < rect.left() || nw.x > rect.right() || se.y < rect.top() || nw.y > rect.bottom() {
            continue;
        }
        // Runs of coast as polylines, broken where a segment is a cut line.
        let mut run: Vec<Pos2> = Vec::new();
        for i in 0..pts.len() {
            let (a, c) = (pts[i], pts[(i + 1) % pts.len()]);
            if coast[i] {
                if run.is_empty() {
                    run.push(p.at(a.1, a.0));
                }
                run.push(p.at(c.1, c.0));
            } else if !run.is_empty() {
                painter.add(egui::Shape::line(std::mem::take(&mut run), stroke));
            }
        }
        if !run.is_empty() {
            painter.add(egui::Shape::line(run, stroke));
        }
    }
}

/// Draws the map; returns the id of a site that was clicked.
pub fn show(ui: &mut egui::Ui, collection: &Collection, lang: Lang) -> Option<String> {
    let (rect, response) = ui.allocate_exact_size(ui.available_size(), Sense::click());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, Color32::from_rgb(214, 230, 240));
    let points = site_points(collection);
    if let Some(p) = projection(&points, rect.shrink(40.0)) {
        draw_land(&painter, &p, rect);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn on_land(lat: f64, lon: f64) -> bool {
        land().iter().any(|(pts, b, _)| {
            if lon < b[0] || lon > b[2] || lat < b[1] || lat > b[3] {
                return false;
            }
            // Even-odd rule.
            let mut inside = false;
            let mut j = pts.len() - 1;
            for i in 0..pts.len() {
                let ((xi, yi), (xj, yj)) = (pts[i], pts[j]);
                if (yi > lat) != (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi {
                    inside = !inside;
                }
                j = i;
            }
            inside
        })
    }

    #[test]
    fn the_map_knows_vietnams_land_and_islands() {
        // Hà Nội, Huế, Cần Thơ; Phú Quốc and Côn Đảo; the islands Natural Earth lacks, added.
        for (name, lat, lon) in [
            ("Hà Nội", 21.03, 105.85),
            ("Huế", 16.46, 107.59),
            ("Cần Thơ", 10.03, 105.77),
            ("Phú Quốc", 10.23, 103.96),
            ("Bạch Long Vĩ", 20.133, 107.727),
            ("Lý Sơn", 15.381, 109.12),
            ("Thổ Chu", 9.298, 103.478),
            ("Arezzo (the world at 1:110m)", 43.46, 11.88),
        ] {
            assert!(on_land(lat, lon), "{name} is not on land");
        }
        // The Gulf of Tonkin and the open sea are not.
        for (lat, lon) in [(20.0, 107.0), (14.0, 111.0), (8.0, 106.0)] {
            assert!(!on_land(lat, lon), "({lat}, {lon}) drawn as land");
        }
    }
}
