//! `disan story`: a relic's annotations. A point is picked on the model's surface (a pixel of a rendered
//! view, cast as a ray against the full mesh, or a point in model coordinates that must lie on the surface),
//! saved with the camera view that shows it and a title and text per language, and ordered into a story.
//! `disan render ASSET --annotation ID --pins` renders an annotation's view with the numbered pins.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;
use serde::Serialize;

use disan_catalog::{Annotation, Catalog, Story, StoryView};
use disan_core::LangText;
use disan_model::{Scene, Surface};
use disan_render::{Camera, Orbit, View};

use crate::output::print_json;

/// How far from the surface a given point may be, as a fraction of the model's radius (half its bounding
/// box's diagonal): a point measured on the real relic and typed in is rarely exactly on the mesh.
pub const ON_SURFACE: f32 = 0.005;

#[derive(Subcommand)]
pub enum StoryCommand {
    /// Add an annotation: pick the point with --pixel X,Y on the view given by --yaw/--pitch/--fov/--size
    /// (as `disan render` draws it), or give it with --point X,Y,Z in model coordinates (it must lie on the
    /// surface). The annotation keeps that view (or, for --point, a close view along the surface normal).
    Add {
        asset: String,
        #[arg(long, value_parser = parse_pair, conflicts_with = "point", required_unless_present = "point")]
        pixel: Option<(f32, f32)>,
        #[arg(long, value_parser = parse_triple, allow_hyphen_values = true)]
        point: Option<[f32; 3]>,
        #[arg(long, allow_negative_numbers = true)]
        yaw: Option<f32>,
        #[arg(long, allow_negative_numbers = true)]
        pitch: Option<f32>,
        /// Vertical field of view, degrees (25–60).
        #[arg(long, default_value_t = 30.0)]
        fov: f32,
        /// The size of the view a --pixel is on.
        #[arg(long, default_value = "1024x768", value_parser = crate::parse_size)]
        size: (u32, u32),
        /// Title in one language, LANG=TEXT (repeat per language).
        #[arg(long = "title", value_parser = parse_lang_text, required = true)]
        titles: Vec<(String, String)>,
        /// Text in one language, LANG=TEXT (repeat per language).
        #[arg(long = "text", value_parser = parse_lang_text)]
        texts: Vec<(String, String)>,
        /// The annotation's id (default: a1, a2, …).
        #[arg(long)]
        id: Option<String>,
        /// Its place in the story, from 1 (default: last).
        #[arg(long)]
        at: Option<usize>,
    },
    /// Change an annotation's title or text (LANG= with nothing after it removes a language).
    Edit {
        asset: String,
        id: String,
        #[arg(long = "title", value_parser = parse_lang_text)]
        titles: Vec<(String, String)>,
        #[arg(long = "text", value_parser = parse_lang_text)]
        texts: Vec<(String, String)>,
    },
    /// Move an annotation to another place in the story (from 1).
    Move {
        asset: String,
        id: String,
        #[arg(long)]
        to: usize,
    },
    /// Remove an annotation (and its narration); `disan undo` brings it back.
    Remove { asset: String, id: String },
    /// List a relic's annotations in story order.
    List { asset: String },
}

fn parse_pair(s: &str) -> Result<(f32, f32), String> {
    let v = parse_floats(s, 2)?;
    Ok((v[0], v[1]))
}

fn parse_triple(s: &str) -> Result<[f32; 3], String> {
    let v = parse_floats(s, 3)?;
    Ok([v[0], v[1], v[2]])
}

fn parse_floats(s: &str, n: usize) -> Result<Vec<f32>, String> {
    let v: Vec<f32> = s
        .split(',')
        .map(|p| p.trim().parse::<f32>().map_err(|e| format!("{p:?}: {e}")))
        .collect::<Result<_, _>>()?;
    if v.len() != n || v.iter().any(|x| !x.is_finite()) {
        return Err(format!("{s:?}: expected {n} numbers separated by commas"));
    }
    Ok(v)
}

fn parse_lang_text(s: &str) -> Result<(String, String), String> {
    let (l, t) = s.split_once('=').ok_or_else(|| format!("{s:?}: write LANG=TEXT"))?;
    Ok((l.trim().to_owned(), t.to_owned()))
}

/// The model of an asset, read, and its surface.
pub fn load(collection: &Path, cat: &Catalog, asset: &str) -> anyhow::Result<(Scene, Surface)> {
    let a = cat.get(asset)?;
    let path = collection.join("assets").join(a.id()).join("model/model.glb");
    anyhow::ensure!(
        a.manifest.kind == disan_core::AssetKind::Model,
        "asset {} is a {}: only models have annotations",
        a.id(),
        a.manifest.kind.as_str()
    );
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let (report, scene) = disan_model::read_scene(
        &bytes,
        disan_model::ModelFormat::Glb,
        &path.display().to_string(),
        path.parent().unwrap_or(Path::new(".")),
        disan_model::Limits::default(),
    );
    let scene = scene.ok_or_else(|| anyhow::anyhow!("{}: {}", path.display(), report.error_summary()))?;
    let surface =
        Surface::new(&scene).ok_or_else(|| anyhow::anyhow!("{}: the model draws no triangle", path.display()))?;
    Ok((scene, surface))
}

/// The render view of an annotation's camera.
pub fn render_view(v: &StoryView, (width, height): (u32, u32)) -> View {
    View {
        width,
        height,
        yaw: v.yaw as f32,
        pitch: v.pitch as f32,
        fov: v.fov as f32,
        orbit: Some(Orbit {
            target: v.target.map(|x| x as f32),
            distance: v.distance as f32,
        }),
        ..View::default()
    }
}

/// The annotation view of a render view's camera.
pub fn story_view(view: &View, cam: &Camera) -> StoryView {
    let o = cam.orbit();
    StoryView {
        yaw: round(view.yaw),
        pitch: round(view.pitch),
        fov: round(view.fov),
        target: o.target.map(round),
        distance: round(o.distance),
    }
}

/// Six significant decimals: what f32 holds, without its binary noise in the JSON.
fn round(x: f32) -> f64 {
    (f64::from(x) * 1e6).round() / 1e6
}

/// A pin as an image shows it.
#[derive(Clone, Debug, Serialize)]
pub struct PinAt {
    pub id: String,
    pub number: usize,
    pub x: f32,
    pub y: f32,
    /// In front of the camera, inside the image and not hidden behind the surface.
    pub visible: bool,
}

/// Where each annotation's pin lands in the image of `view`, and whether it is seen.
pub fn pins(story: &Story, surface: &Surface, cam: &Camera) -> Vec<PinAt> {
    story
        .annotations
        .iter()
        .enumerate()
        .filter_map(|(i, a)| {
            let p = a.position.map(|x| x as f32);
            let [x, y] = cam.project(p)?;
            let inside = x >= 0.0 && y >= 0.0 && x < cam.width as f32 && y < cam.height as f32;
            Some(PinAt {
                id: a.id.clone(),
                number: i + 1,
                x,
                y,
                visible: inside && surface.visible_from(cam.eye.to_array(), p),
            })
        })
        .collect()
}

/// Draws the visible pins: a dark disc with a white ring and the number.
pub fn draw_pins(img: &mut image::RgbaImage, pins: &[PinAt]) {
    for p in pins.iter().filter(|p| p.visible) {
        let r = 11.0f32;
        let (cx, cy) = (p.x, p.y);
        let (x0, x1) = ((cx - r - 1.0).max(0.0) as u32, ((cx + r + 1.0) as u32).min(img.width()));
        let (y0, y1) = (
            (cy - r - 1.0).max(0.0) as u32,
            ((cy + r + 1.0) as u32).min(img.height()),
        );
        for y in y0..y1 {
            for x in x0..x1 {
                let d = ((x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2)).sqrt();
                if d <= r - 2.0 {
                    img.put_pixel(x, y, image::Rgba([20, 24, 30, 255]));
                } else if d <= r {
                    img.put_pixel(x, y, image::Rgba([255, 255, 255, 255]));
                }
            }
        }
        let digits = p.number.to_string();
        let scale = 2;
        let w = digits.len() as i32 * 4 * scale - scale;
        let (mut x, y) = (cx as i32 - w / 2, cy as i32 - 5 * scale / 2);
        for d in digits.bytes() {
            let glyph = DIGITS[usize::from(d - b'0')];
            for (row, bits) in glyph.iter().enumerate() {
                for col in 0..3 {
                    if bits & (4 >> col) != 0 {
                        for dy in 0..scale {
                            for dx in 0..scale {
                                let (px, py) = (x + col * scale + dx, y + row as i32 * scale + dy);
                                if px >= 0 && py >= 0 && (px as u32) < img.width() && (py as u32) < img.height() {
                                    img.put_pixel(px as u32, py as u32, image::Rgba([255, 255, 255, 255]));
                                }
                            }
                        }
                    }
                }
            }
            x += 4 * scale;
        }
    }
}

/// 3×5 digits, one row per byte (bit 2 is the left column).
const DIGITS: [[u8; 5]; 10] = [
    [7, 5, 5, 5, 7],
    [2, 6, 2, 2, 7],
    [7, 1, 7, 4, 7],
    [7, 1, 7, 1, 7],
    [5, 5, 7, 1, 1],
    [7, 4, 7, 1, 7],
    [7, 4, 7, 5, 7],
    [7, 1, 1, 1, 1],
    [7, 5, 7, 5, 7],
    [7, 5, 7, 1, 7],
];

/// Picks the annotation's point and view: a pixel of a view (ray cast against the full mesh), or a point that
/// must lie on the surface.
#[allow(clippy::too_many_arguments)]
pub fn place(
    scene: &Scene,
    surface: &Surface,
    pixel: Option<(f32, f32)>,
    point: Option<[f32; 3]>,
    (yaw, pitch, fov): (Option<f32>, Option<f32>, f32),
    size: (u32, u32),
) -> anyhow::Result<([f64; 3], [f64; 3], StoryView)> {
    anyhow::ensure!(
        disan_catalog::story::FOV_RANGE.contains(&f64::from(fov)),
        "--fov {fov} is outside 25–60 degrees"
    );
    let bounds = scene
        .bounds()
        .ok_or_else(|| anyhow::anyhow!("the model draws nothing"))?;
    let (hit, view) = if let Some((x, y)) = pixel {
        let view = View {
            width: size.0,
            height: size.1,
            yaw: yaw.unwrap_or(30.0),
            pitch: pitch.unwrap_or(20.0),
            fov,
            ..View::default()
        };
        anyhow::ensure!(
            x >= 0.0 && y >= 0.0 && x < size.0 as f32 && y < size.1 as f32,
            "pixel ({x}, {y}) is outside the {}×{} view",
            size.0,
            size.1
        );
        let cam = Camera::new(bounds, &view);
        let (o, d) = cam.ray(x, y);
        let hit = surface.ray(o, d).ok_or_else(|| {
            anyhow::anyhow!(
                "pixel ({x}, {y}) of the view from yaw {} pitch {} shows the background, not the model",
                view.yaw,
                view.pitch
            )
        })?;
        (hit, story_view(&view, &cam))
    } else {
        let p = point.unwrap_or_default();
        let hit = surface
            .nearest(p)
            .ok_or_else(|| anyhow::anyhow!("the model has no surface"))?;
        let allowed = surface.radius() * ON_SURFACE;
        if hit.distance > allowed {
            bail!(
                "the point ({}, {}, {}) is not on the model: it is {:.4} from the surface (at most {:.4} allowed)",
                p[0],
                p[1],
                p[2],
                hit.distance,
                allowed
            );
        }
        // Look at the point along its normal (unless told where from), close enough to see it in context.
        let n = hit.normal;
        let yaw = yaw.unwrap_or_else(|| n[0].atan2(n[2]).to_degrees());
        let pitch = pitch.unwrap_or_else(|| n[1].clamp(-1.0, 1.0).asin().to_degrees().clamp(-60.0, 60.0));
        let distance = surface.radius() / (fov.to_radians() * 0.5).sin() * 0.6;
        let view = View {
            width: size.0,
            height: size.1,
            yaw,
            pitch,
            fov,
            orbit: Some(Orbit {
                target: hit.point,
                distance,
            }),
            ..View::default()
        };
        let cam = Camera::new(bounds, &view);
        (hit, story_view(&view, &cam))
    };
    // The pin must be seen from its own view.
    let cam = Camera::new(bounds, &render_view(&view, size));
    if !surface.visible_from(cam.eye.to_array(), hit.point) {
        bail!(
            "the point ({:.4}, {:.4}, {:.4}) is hidden behind the model from the view at yaw {} pitch {}: give --yaw/--pitch",
            hit.point[0],
            hit.point[1],
            hit.point[2],
            view.yaw,
            view.pitch
        );
    }
    Ok((hit.point.map(round), normalised(hit.normal), view))
}

fn normalised(n: [f32; 3]) -> [f64; 3] {
    let v = n.map(f64::from);
    let len = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt().max(1e-12);
    v.map(|x| ((x / len) * 1e6).round() / 1e6)
}

fn texts(pairs: &[(String, String)], into: &mut LangText) {
    for (l, t) in pairs {
        into.set(l, t.trim());
    }
}

#[derive(Serialize)]
struct Listed<'a> {
    asset: &'a str,
    number: usize,
    #[serde(flatten)]
    annotation: &'a Annotation,
}

pub fn run(collection: &Path, cmd: StoryCommand, json: bool, who: &str) -> anyhow::Result<ExitCode> {
    let mut cat = Catalog::open_for_edit(collection)?;
    let asset = match &cmd {
        StoryCommand::Add { asset, .. }
        | StoryCommand::Edit { asset, .. }
        | StoryCommand::Move { asset, .. }
        | StoryCommand::Remove { asset, .. }
        | StoryCommand::List { asset } => cat.resolve_id(asset)?,
    };
    let before = cat.story(&asset)?;
    let mut story = before.clone();
    let find = |story: &Story, id: &str| -> anyhow::Result<usize> {
        story
            .position_of(id)
            .map_err(|why| anyhow::anyhow!("asset {asset} has {why}"))
    };
    let changed = match cmd {
        StoryCommand::Add {
            pixel,
            point,
            yaw,
            pitch,
            fov,
            size,
            titles,
            texts: body,
            id,
            at,
            ..
        } => {
            let (scene, surface) = load(collection, &cat, &asset)?;
            let (position, normal, view) = place(&scene, &surface, pixel, point, (yaw, pitch, fov), size)?;
            let id = id.unwrap_or_else(|| story.next_id());
            let mut a = Annotation {
                id: id.clone(),
                position,
                normal,
                view,
                title: LangText::new(),
                text: LangText::new(),
            };
            texts(&titles, &mut a.title);
            texts(&body, &mut a.text);
            let at = at
                .unwrap_or(story.annotations.len() + 1)
                .clamp(1, story.annotations.len() + 1);
            story.annotations.insert(at - 1, a);
            Some(id)
        }
        StoryCommand::Edit {
            id,
            titles,
            texts: body,
            ..
        } => {
            let i = find(&story, &id)?;
            texts(&titles, &mut story.annotations[i].title);
            texts(&body, &mut story.annotations[i].text);
            Some(id)
        }
        StoryCommand::Move { id, to, .. } => {
            let i = find(&story, &id)?;
            anyhow::ensure!(
                (1..=story.annotations.len()).contains(&to),
                "--to {to}: the story has {} annotations",
                story.annotations.len()
            );
            let a = story.annotations.remove(i);
            story.annotations.insert(to - 1, a);
            Some(id)
        }
        StoryCommand::Remove { id, .. } => {
            let i = find(&story, &id)?;
            story.annotations.remove(i);
            None
        }
        StoryCommand::List { .. } => {
            let all: Vec<Listed> = story
                .annotations
                .iter()
                .enumerate()
                .map(|(i, a)| Listed {
                    asset: &asset,
                    number: i + 1,
                    annotation: a,
                })
                .collect();
            if json {
                print_json(&all)?;
            } else {
                for l in &all {
                    let a = l.annotation;
                    println!(
                        "{}. {}  ({:.4}, {:.4}, {:.4})  {}",
                        l.number,
                        a.id,
                        a.position[0],
                        a.position[1],
                        a.position[2],
                        a.title
                            .iter()
                            .map(|(l, t)| format!("{l}: {t}"))
                            .collect::<Vec<_>>()
                            .join(" · ")
                    );
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
    };
    let rev = cat.set_story(&asset, &before, &story, who)?;
    if json {
        print_json(&serde_json::json!({
            "asset": asset,
            "annotation": changed.as_deref().and_then(|id| story.get(id)),
            "number": changed.as_deref().and_then(|id| story.number(id)),
            "revision": rev.map(|r| r.id),
        }))?;
    } else if let Some(id) = changed {
        let a = story.get(&id).map(|a| a.position).unwrap_or_default();
        println!(
            "{asset}: annotation {id} (pin {}) at ({:.4}, {:.4}, {:.4})",
            story.number(&id).unwrap_or(0),
            a[0],
            a[1],
            a[2]
        );
    } else {
        println!("{asset}: {} annotations", story.annotations.len());
    }
    Ok(ExitCode::SUCCESS)
}
