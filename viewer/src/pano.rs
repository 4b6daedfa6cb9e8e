//! The panorama view: the cube tile pyramid (Pannellum's multires layout, written by ingest) drawn in
//! perspective. Each visible tile is a textured mesh whose vertices are projected on the CPU, fine enough that
//! the affine texturing within each small triangle is invisible. The level follows the screen's pixel density
//! and the field of view; tiles load through the texture cache, and the one-tile-per-face level 1 is drawn
//! underneath, so the preview shows at once and sharpens as tiles arrive.

use std::path::PathBuf;

use disan_tiles::{CubeLayout, Face};
use egui::{Color32, Mesh, Pos2, Rect, Sense, Shape, Stroke, Vec2};

use crate::textures::{Slot, Textures};

/// Field-of-view limits, degrees.
pub const MIN_HFOV: f64 = 30.0;
pub const MAX_HFOV: f64 = 110.0;

/// Where the camera looks, in Pannellum's terms: yaw 0 is the centre of the source image and grows to the
/// right, pitch grows upward, `hfov` is the horizontal field of view; all in degrees.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Camera {
    pub yaw: f64,
    pub pitch: f64,
    pub hfov: f64,
}

impl Camera {
    /// Right, up and forward unit vectors (x right, y up, z forward at yaw 0).
    fn basis(&self) -> ([f64; 3], [f64; 3], [f64; 3]) {
        let (y, p) = (self.yaw.to_radians(), self.pitch.to_radians());
        let f = disan_tiles::direction(y, p);
        let r = [y.cos(), 0.0, -y.sin()];
        // u = f × r
        let u = [
            f[1] * r[2] - f[2] * r[1],
            f[2] * r[0] - f[0] * r[2],
            f[0] * r[1] - f[1] * r[0],
        ];
        (r, u, f)
    }

    /// Focal length in pixels for a view `width` pixels wide.
    pub fn focal(&self, width: f64) -> f64 {
        width / 2.0 / (self.hfov.to_radians() / 2.0).tan()
    }

    /// Where direction `d` lands in a view of `size` pixels, or `None` behind the camera.
    pub fn project(&self, d: [f64; 3], size: Vec2) -> Option<Pos2> {
        let (r, u, f) = self.basis();
        let dot = |a: [f64; 3]| a[0] * d[0] + a[1] * d[1] + a[2] * d[2];
        let z = dot(f);
        if z <= 1e-3 {
            return None;
        }
        let k = self.focal(size.x as f64) / z;
        Some(Pos2::new(
            (size.x as f64 / 2.0 + dot(r) * k) as f32,
            (size.y as f64 / 2.0 - dot(u) * k) as f32,
        ))
    }

    /// The direction (yaw, pitch in degrees) under point `p` of a view of `size` pixels: the inverse of
    /// [`Self::project`].
    pub fn unproject(&self, p: Pos2, size: Vec2) -> (f64, f64) {
        let (r, u, f) = self.basis();
        let k = self.focal(f64::from(size.x));
        let (x, y) = (
            (f64::from(p.x) - f64::from(size.x) / 2.0) / k,
            (f64::from(size.y) / 2.0 - f64::from(p.y)) / k,
        );
        let d = [0, 1, 2].map(|i| f[i] + r[i] * x + u[i] * y);
        let n = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
        let yaw = d[0].atan2(d[2]).to_degrees();
        let pitch = (d[1] / n).clamp(-1.0, 1.0).asin().to_degrees();
        (yaw, pitch)
    }

    /// The pyramid level to draw in a view `width_px` physical pixels wide: the coarsest whose face
    /// pixels are at least as dense as the screen's at the view centre.
    pub fn level(&self, layout: &CubeLayout, width_px: f64) -> u32 {
        layout.level_for(self.focal(width_px))
    }
}

/// What a hotspot does when clicked.
#[derive(Clone, Debug, PartialEq)]
pub enum HotspotKind {
    /// Leads to another scene (its title is the label).
    Link { label: String },
    /// Opens an information card.
    Info { title: String },
}

/// A point in the panorama a tour places: at (yaw, pitch) in degrees.
#[derive(Clone, Debug, PartialEq)]
pub struct Hotspot {
    pub id: String,
    pub yaw: f64,
    pub pitch: f64,
    pub kind: HotspotKind,
}

/// How close (in points) a click must land to a hotspot's centre to press it.
const HOTSPOT_RADIUS: f32 = 22.0;

/// A panorama being viewed.
pub struct PanoView {
    pub layout: CubeLayout,
    /// The pyramid folder (`assets/<id>/pano/`).
    pub dir: PathBuf,
    pub camera: Camera,
    /// Compass direction of yaw 0, degrees from north, when the capture recorded it.
    pub heading: Option<f64>,
    /// Degrees per second of automatic turning; `None` when off.
    pub auto_rotate: Option<f64>,
    /// Yaw and pitch speed after a drag, degrees per second, decaying.
    velocity: (f64, f64),
    /// Where the view was last drawn, in points.
    pub last_rect: Rect,
    /// The tour's hotspots in this scene.
    pub hotspots: Vec<Hotspot>,
    /// The hotspot clicked in the last frame, for the app to act on.
    pub clicked: Option<String>,
    /// Where a click that hit no hotspot landed (yaw, pitch), for placing hotspots.
    pub clicked_at: Option<(f64, f64)>,
    /// When the scene appeared (app time), to fade it in after a move along a tour.
    pub fade_from: Option<f64>,
    /// Curator mode: hotspots can be dragged to a new place.
    pub edit_hotspots: bool,
    /// The hotspot being dragged.
    dragging: Option<String>,
    /// A hotspot dropped at a new (yaw, pitch) in the last frame, for the app to save.
    pub moved: Option<(String, f64, f64)>,
    /// A turn under way (the narrated tour turning to a point): from, to, and when it started (app time; set
    /// at the first frame).
    turn: Option<(Camera, Camera, Option<f64>)>,
}

/// Seconds a turn of the narrated tour takes (as the website's player: Pannellum's `lookAt` over 1.5 s).
pub const TURN_SECS: f64 = 1.5;

impl PanoView {
    pub fn new(layout: CubeLayout, dir: PathBuf, heading: Option<f64>) -> Self {
        Self {
            layout,
            dir,
            camera: Camera {
                yaw: 0.0,
                pitch: 0.0,
                hfov: 90.0,
            },
            heading,
            auto_rotate: None,
            velocity: (0.0, 0.0),
            last_rect: Rect::NOTHING,
            hotspots: Vec::new(),
            clicked: None,
            clicked_at: None,
            fade_from: None,
            turn: None,
            edit_hotspots: false,
            dragging: None,
            moved: None,
        }
    }

    /// Where a hotspot is drawn on screen (in points), when it is in front of the camera.
    pub fn hotspot_pos(&self, h: &Hotspot) -> Option<Pos2> {
        let d = disan_tiles::direction(h.yaw.to_radians(), h.pitch.to_radians());
        let p = self.camera.project(d, self.last_rect.size())?;
        let p = p + self.last_rect.min.to_vec2();
        self.last_rect.contains(p).then_some(p)
    }

    /// Draws the hotspots: links as a ring with an arrow pointing on and the next scene's name, info
    /// points as a ring with an "i".
    fn draw_hotspots(&self, painter: &egui::Painter, hovered: Option<&str>) {
        for h in &self.hotspots {
            let Some(c) = self.hotspot_pos(h) else { continue };
            let hot = hovered == Some(h.id.as_str());
            let fill = Color32::from_black_alpha(if hot { 200 } else { 150 });
            painter.circle(c, 16.0, fill, Stroke::new(2.0, Color32::WHITE));
            match &h.kind {
                HotspotKind::Link { label } => {
                    let arrow = vec![
                        c + Vec2::new(0.0, -9.0),
                        c + Vec2::new(8.0, 5.0),
                        c + Vec2::new(-8.0, 5.0),
                    ];
                    painter.add(Shape::convex_polygon(arrow, Color32::WHITE, Stroke::NONE));
                    let galley =
                        painter.layout_no_wrap(label.clone(), egui::FontId::proportional(14.0), Color32::WHITE);
                    let at = c + Vec2::new(-galley.size().x / 2.0, 22.0);
                    painter.rect_filled(
                        Rect::from_min_size(at, galley.size()).expand(4.0),
                        4.0,
                        Color32::from_black_alpha(160),
                    );
                    painter.galley(at, galley, Color32::WHITE);
                }
                HotspotKind::Info { .. } => {
                    painter.text(
                        c,
                        egui::Align2::CENTER_CENTER,
                        "i",
                        egui::FontId::proportional(20.0),
                        Color32::WHITE,
                    );
                }
            }
        }
    }

    /// The hotspot under `p`, if any.
    fn hotspot_at(&self, p: Pos2) -> Option<&Hotspot> {
        self.hotspots
            .iter()
            .filter_map(|h| Some((h, self.hotspot_pos(h)?.distance(p))))
            .filter(|(_, d)| *d <= HOTSPOT_RADIUS)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(h, _)| h)
    }

    /// Tiles of `level` facing the camera: (face, row, col).
    pub fn visible_tiles(&self, level: u32, size: Vec2) -> Vec<(Face, u32, u32)> {
        let n = self.layout.tiles_per_side(level);
        let s = f64::from(self.layout.level_size(level));
        let t = f64::from(self.layout.tile_size);
        let view = Rect::from_min_size(Pos2::ZERO, size);
        let mut out = Vec::new();
        for face in Face::ALL {
            for row in 0..n {
                for col in 0..n {
                    let (x0, y0) = (f64::from(col) * t, f64::from(row) * t);
                    let (x1, y1) = ((x0 + t).min(s), (y0 + t).min(s));
                    // Sample the tile's edges; it is visible if any sample lands in the view, or the view's
                    // centre direction passes through it.
                    let mut bbox = Rect::NOTHING;
                    let steps = 4;
                    for i in 0..=steps {
                        for j in 0..=steps {
                            let x = x0 + (x1 - x0) * f64::from(i) / f64::from(steps);
                            let y = y0 + (y1 - y0) * f64::from(j) / f64::from(steps);
                            let d = face.direction(2.0 * x / s - 1.0, 2.0 * y / s - 1.0);
                            if let Some(p) = self.camera.project(d, size) {
                                bbox.extend_with(p);
                            }
                        }
                    }
                    if bbox.is_positive() && bbox.intersects(view) {
                        out.push((face, row, col));
                    }
                }
            }
        }
        out
    }

    /// A tile as a mesh in view coordinates (origin at `offset`), `grid`×`grid` quads.
    #[allow(clippy::too_many_arguments)]
    fn tile_mesh(
        &self,
        level: u32,
        face: Face,
        row: u32,
        col: u32,
        texture: egui::TextureId,
        size: Vec2,
        offset: Vec2,
        grid: u32,
    ) -> Mesh {
        let s = f64::from(self.layout.level_size(level));
        let t = f64::from(self.layout.tile_size);
        let (x0, y0) = (f64::from(col) * t, f64::from(row) * t);
        let (x1, y1) = ((x0 + t).min(s), (y0 + t).min(s));
        let mut mesh = Mesh::with_texture(texture);
        let mut index = vec![None; ((grid + 1) * (grid + 1)) as usize];
        for j in 0..=grid {
            for i in 0..=grid {
                let (fu, fv) = (f64::from(i) / f64::from(grid), f64::from(j) / f64::from(grid));
                let (x, y) = (x0 + (x1 - x0) * fu, y0 + (y1 - y0) * fv);
                let d = face.direction(2.0 * x / s - 1.0, 2.0 * y / s - 1.0);
                if let Some(p) = self.camera.project(d, size) {
                    index[(j * (grid + 1) + i) as usize] = Some(mesh.vertices.len() as u32);
                    mesh.vertices.push(egui::epaint::Vertex {
                        pos: p + offset,
                        uv: Pos2::new(fu as f32, fv as f32),
                        color: Color32::WHITE,
                    });
                }
            }
        }
        for j in 0..grid {
            for i in 0..grid {
                let at = |i: u32, j: u32| index[(j * (grid + 1) + i) as usize];
                if let (Some(a), Some(b), Some(c), Some(d)) = (at(i, j), at(i + 1, j), at(i, j + 1), at(i + 1, j + 1)) {
                    mesh.add_triangle(a, b, d);
                    mesh.add_triangle(a, d, c);
                }
            }
        }
        mesh
    }

    /// Draws the view in the space left in `ui` and handles drag (with inertia), arrow keys, scroll/pinch
    /// zoom within limits and auto-rotation (`R` toggles it).
    /// Turns the view to `to` smoothly (eased, the shorter way round) over [`TURN_SECS`].
    pub fn turn_to(&mut self, to: Camera) {
        self.turn = Some((self.camera, to, None));
        self.velocity = (0.0, 0.0);
    }

    /// Whether a turn is under way.
    pub fn turning(&self) -> bool {
        self.turn.is_some()
    }

    pub fn show(&mut self, ui: &mut egui::Ui, textures: &mut Textures) {
        let (rect, response) = ui.allocate_exact_size(ui.available_size(), Sense::click_and_drag());
        self.last_rect = rect;
        let size = rect.size();
        let dt = f64::from(ui.input(|i| i.stable_dt).min(0.1));
        let deg_per_px = self.camera.hfov / f64::from(size.x.max(1.0));
        // In curator mode a drag that starts on a hotspot moves the hotspot, not the view.
        // Where the press began decides, not where the pointer is once it has moved far enough to drag.
        if self.edit_hotspots
            && response.drag_started()
            && let Some(p) = ui.input(|i| i.pointer.press_origin())
        {
            self.dragging = self.hotspot_at(p).map(|h| h.id.clone());
        }
        if let Some(id) = self.dragging.clone() {
            if let Some(p) = response.interact_pointer_pos() {
                let (yaw, pitch) = self.camera.unproject(p - rect.min.to_vec2(), size);
                if let Some(h) = self.hotspots.iter_mut().find(|h| h.id == id) {
                    (h.yaw, h.pitch) = (yaw, pitch);
                }
            }
            if response.drag_stopped() || !response.dragged() {
                self.dragging = None;
                if let Some(h) = self.hotspots.iter().find(|h| h.id == id) {
                    self.moved = Some((id, h.yaw, h.pitch));
                }
            }
        } else if response.dragged() {
            self.turn = None;
            let d = response.drag_delta();
            self.camera.yaw -= f64::from(d.x) * deg_per_px;
            self.camera.pitch += f64::from(d.y) * deg_per_px;
            if dt > 0.0 {
                self.velocity = (-f64::from(d.x) * deg_per_px / dt, f64::from(d.y) * deg_per_px / dt);
            }
            self.auto_rotate = None;
        } else if self.velocity != (0.0, 0.0) {
            self.camera.yaw += self.velocity.0 * dt;
            self.camera.pitch += self.velocity.1 * dt;
            let decay = (-4.0 * dt).exp();
            self.velocity = (self.velocity.0 * decay, self.velocity.1 * decay);
            if self.velocity.0.hypot(self.velocity.1) < 0.5 {
                self.velocity = (0.0, 0.0);
            }
        }
        let (left, right, up, down, scroll, pinch, toggle) = ui.input(|i| {
            (
                i.key_down(egui::Key::ArrowLeft),
                i.key_down(egui::Key::ArrowRight),
                i.key_down(egui::Key::ArrowUp),
                i.key_down(egui::Key::ArrowDown),
                if response.hovered() {
                    i.smooth_scroll_delta.y
                } else {
                    0.0
                },
                i.zoom_delta(),
                i.key_pressed(egui::Key::R),
            )
        });
        let speed = 60.0 * dt;
        self.camera.yaw += (f64::from(u8::from(right)) - f64::from(u8::from(left))) * speed;
        self.camera.pitch += (f64::from(u8::from(up)) - f64::from(u8::from(down))) * speed;
        if toggle {
            self.auto_rotate = if self.auto_rotate.is_some() { None } else { Some(4.0) };
        }
        if let Some(rate) = self.auto_rotate {
            self.camera.yaw += rate * dt;
        }
        let zoom = (-f64::from(scroll) / 300.0).exp() / f64::from(pinch);
        self.camera.hfov = (self.camera.hfov * zoom).clamp(MIN_HFOV, MAX_HFOV);
        self.camera.pitch = self.camera.pitch.clamp(-90.0, 90.0);
        self.camera.yaw = (self.camera.yaw + 180.0).rem_euclid(360.0) - 180.0;
        if self.velocity != (0.0, 0.0) || self.auto_rotate.is_some() || left || right || up || down {
            ui.ctx().request_repaint();
        }

        if let Some((from, to, start)) = self.turn.as_mut() {
            let now = ui.input(|i| i.time);
            let t = ((now - *start.get_or_insert(now)) / TURN_SECS).clamp(0.0, 1.0);
            let e = t * t * (3.0 - 2.0 * t);
            let dyaw = (to.yaw - from.yaw + 540.0).rem_euclid(360.0) - 180.0;
            self.camera = Camera {
                yaw: (from.yaw + dyaw * e + 180.0).rem_euclid(360.0) - 180.0,
                pitch: from.pitch + (to.pitch - from.pitch) * e,
                hfov: from.hfov + (to.hfov - from.hfov) * e,
            };
            if t >= 1.0 {
                self.camera = *to;
                self.turn = None;
            }
            ui.ctx().request_repaint();
        }

        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 0.0, Color32::BLACK);
        let offset = rect.min.to_vec2();
        // Level 1 underneath (one tile a face), then the level the screen needs.
        let want = self
            .camera
            .level(&self.layout, f64::from(size.x * ui.ctx().pixels_per_point()));
        let levels: &[u32] = if want > 1 { &[1, want] } else { &[1] };
        for &level in levels {
            let grid = if level == 1 { 24 } else { 8 };
            for (face, row, col) in self.visible_tiles(level, size) {
                let path = self.dir.join(CubeLayout::tile_path(level, face, row, col));
                if let Slot::Ready(tex) = textures.get(ui.ctx(), &path, u32::MAX) {
                    let mesh = self.tile_mesh(level, face, row, col, tex.id(), size, offset, grid);
                    painter.add(Shape::mesh(mesh));
                }
            }
        }
        let pointer = response.hover_pos();
        let hovered = pointer.and_then(|p| self.hotspot_at(p)).map(|h| h.id.clone());
        self.draw_hotspots(&painter, hovered.as_deref());
        if response.clicked()
            && let Some(p) = response.interact_pointer_pos()
        {
            match self.hotspot_at(p) {
                Some(h) => self.clicked = Some(h.id.clone()),
                None => self.clicked_at = Some(self.camera.unproject(p - rect.min.to_vec2(), size)),
            }
        }
        if hovered.is_some() {
            ui.ctx().set_cursor_icon(egui::CursorIcon::PointingHand);
        }
        if let Some(heading) = self.heading {
            compass(&painter, rect, heading + self.camera.yaw);
        }
        // A scene reached along a tour fades in from black.
        if let Some(start) = self.fade_from {
            let t = (ui.input(|i| i.time) - start) / 0.5;
            if t >= 1.0 {
                self.fade_from = None;
            } else {
                painter.rect_filled(rect, 0.0, Color32::from_black_alpha((255.0 * (1.0 - t.max(0.0))) as u8));
                ui.ctx().request_repaint();
            }
        }
    }
}

/// A compass rose in the top right corner; `view_heading` is the compass direction the view faces.
fn compass(painter: &egui::Painter, rect: Rect, view_heading: f64) {
    let c = rect.right_top() + Vec2::new(-40.0, 40.0);
    painter.circle(
        c,
        26.0,
        Color32::from_black_alpha(140),
        Stroke::new(1.5, Color32::WHITE),
    );
    // North is `view_heading` degrees to the left of straight up.
    let a = (-view_heading).to_radians() as f32;
    let tip = c + Vec2::new(a.sin(), -a.cos()) * 20.0;
    let tail = c - Vec2::new(a.sin(), -a.cos()) * 12.0;
    painter.line_segment([c, tip], Stroke::new(3.0, Color32::from_rgb(220, 50, 40)));
    painter.line_segment([c, tail], Stroke::new(3.0, Color32::WHITE));
    painter.text(
        tip + (tip - c).normalized() * 8.0,
        egui::Align2::CENTER_CENTER,
        "N",
        egui::FontId::proportional(12.0),
        Color32::WHITE,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_follows_pannellum_conventions() {
        let cam = Camera {
            yaw: 0.0,
            pitch: 0.0,
            hfov: 90.0,
        };
        let size = Vec2::new(800.0, 600.0);
        // Straight ahead is the centre; 45° right is the right edge at hfov 90.
        let c = cam.project(disan_tiles::direction(0.0, 0.0), size).unwrap();
        assert!((c - Pos2::new(400.0, 300.0)).length() < 1e-3);
        let r = cam
            .project(disan_tiles::direction(45f64.to_radians(), 0.0), size)
            .unwrap();
        assert!((r.x - 800.0).abs() < 1e-2 && (r.y - 300.0).abs() < 1e-3);
        // Up is up on screen; behind is not drawn.
        let u = cam
            .project(disan_tiles::direction(0.0, 20f64.to_radians()), size)
            .unwrap();
        assert!(u.y < 300.0);
        assert!(
            cam.project(disan_tiles::direction(180f64.to_radians(), 0.0), size)
                .is_none()
        );
        // Turning right brings what was to the right into the centre.
        let turned = Camera { yaw: 45.0, ..cam };
        let c = turned
            .project(disan_tiles::direction(45f64.to_radians(), 0.0), size)
            .unwrap();
        assert!((c - Pos2::new(400.0, 300.0)).length() < 1e-3);
    }

    #[test]
    fn unproject_inverts_project() {
        let cam = Camera {
            yaw: 30.0,
            pitch: -10.0,
            hfov: 75.0,
        };
        let size = Vec2::new(900.0, 500.0);
        for (yaw, pitch) in [(30.0, -10.0), (50.0, 5.0), (0.0, -30.0), (10.0, 12.0)] {
            let p = cam
                .project(
                    disan_tiles::direction(f64::to_radians(yaw), f64::to_radians(pitch)),
                    size,
                )
                .unwrap();
            let (y, pt) = cam.unproject(p, size);
            assert!(
                (y - yaw).abs() < 1e-3 && (pt - pitch).abs() < 1e-3,
                "{yaw},{pitch} → {y},{pt}"
            );
        }
    }

    #[test]
    fn level_follows_pixel_density_and_fov() {
        // 4096 px faces in 512 px tiles: levels 1 (512) … 4 (4096).
        let layout = CubeLayout::new(4096, 512);
        assert_eq!(layout.max_level, 4);
        let wide = Camera {
            yaw: 0.0,
            pitch: 0.0,
            hfov: 100.0,
        };
        let narrow = Camera { hfov: 30.0, ..wide };
        assert!(wide.level(&layout, 800.0) < narrow.level(&layout, 800.0));
        assert!(wide.level(&layout, 800.0) <= wide.level(&layout, 3200.0));
        assert_eq!(narrow.level(&layout, 3840.0), 4, "past the finest level, the finest");
        // At hfov 90 on a 1024 px view the focal length is 512: faces of 1024 px suffice.
        let ninety = Camera { hfov: 90.0, ..wide };
        assert_eq!(layout.level_size(ninety.level(&layout, 1024.0)), 1024);
    }

    #[test]
    fn only_tiles_in_view_are_drawn() {
        let view = PanoView::new(CubeLayout::new(2048, 256), PathBuf::new(), None);
        let size = Vec2::new(800.0, 600.0);
        let tiles = view.visible_tiles(4, size);
        assert!(!tiles.is_empty());
        assert!(
            tiles
                .iter()
                .all(|(f, _, _)| matches!(f, Face::Front | Face::Left | Face::Right | Face::Up | Face::Down))
        );
        assert!(tiles.iter().all(|(f, _, _)| *f != Face::Back), "behind the camera");
        assert!(tiles.len() < 6 * 8 * 8 / 2);
    }
}
