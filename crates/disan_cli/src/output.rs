//! What the commands print: progress, summaries, tables, JSON.

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use disan_catalog::AssetRecord;
use disan_pipeline::{Event, Outcome, Progress, RunReport};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

pub fn print_json<T: Serialize + ?Sized>(value: &T) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)
}

/// A progress bar over bytes with a files count on a terminal; JSON lines on stderr with `--json`.
pub struct IngestProgress {
    bar: Option<ProgressBar>,
    json: bool,
    files_total: AtomicU64,
    files_done: AtomicU64,
    stderr: Mutex<()>,
}

impl IngestProgress {
    pub fn new(bar: bool, json: bool) -> Self {
        let bar = bar.then(|| {
            let pb = ProgressBar::new(0);
            pb.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {msg} files  {bytes}/{total_bytes}  {bytes_per_sec}  ETA {eta}",
                )
                .expect("valid template"),
            );
            pb
        });
        Self {
            bar,
            json,
            files_total: 0.into(),
            files_done: 0.into(),
            stderr: Mutex::new(()),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Progress for IngestProgress {
    fn event(&self, event: Event<'_>) {
        match event {
            Event::Planned { files, bytes } => {
                self.files_total.store(files, Ordering::Relaxed);
                if let Some(bar) = &self.bar {
                    bar.set_length(bytes);
                    bar.set_message(format!("0/{files}"));
                }
                if self.json {
                    let _g = self.stderr.lock();
                    eprintln!(
                        "{}",
                        serde_json::json!({ "event": "planned", "files": files, "bytes": bytes })
                    );
                }
            }
            Event::FileDone { path, bytes, outcome } => {
                let done = self.files_done.fetch_add(1, Ordering::Relaxed) + 1;
                if let Some(bar) = &self.bar {
                    bar.inc(bytes);
                    bar.set_message(format!("{done}/{}", self.files_total.load(Ordering::Relaxed)));
                    if let Outcome::Failed { reason } = outcome {
                        bar.println(format!("failed: {path}: {reason}"));
                    }
                }
                if self.json {
                    let _g = self.stderr.lock();
                    eprintln!(
                        "{}",
                        serde_json::json!({ "event": "file_done", "path": path, "bytes": bytes, "outcome": outcome.label() })
                    );
                }
            }
        }
    }
}

pub fn print_ingest_summary(report: &RunReport, collection: &Path) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    for (path, reason) in report.failures() {
        eprintln!("failed: {path}: {reason}");
    }
    for f in &report.files {
        for w in &f.warnings {
            eprintln!("warning: {}: {w}", f.path);
        }
    }
    let s = &report.summary;
    writeln!(
        out,
        "{} ingested, {} unchanged, {} duplicates, {} failed, {} ignored ({} files) in {}",
        s.ingested,
        s.unchanged,
        s.duplicates,
        s.failed,
        s.ignored,
        s.files,
        collection.display()
    )?;
    writeln!(out, "report: {}", collection.join(report.relative_path()).display())?;
    if let Some(page) = &report.page {
        writeln!(out, "run page: {}", collection.join(page).display())?;
    }
    Ok(())
}

pub fn print_list(assets: &[AssetRecord]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    println!(
        "{:<16}  {:<8}  {:>11}  {:<19}  {:<22}  {:<20}  FILE",
        "ID", "KIND", "SIZE", "TAKEN", "GPS", "CAMERA"
    );
    for a in assets {
        let m = &a.manifest;
        let size = match (m.width, m.height) {
            (Some(w), Some(h)) => format!("{w}×{h}"),
            _ => "-".into(),
        };
        let gps = m
            .metadata
            .gps
            .map_or_else(|| "-".into(), |g| format!("{:.5},{:.5}", g.lat, g.lon));
        writeln!(
            out,
            "{:<16}  {:<8}  {:>11}  {:<19}  {:<22}  {:<20}  {}",
            a.id(),
            a.kind().as_str(),
            size,
            m.metadata.taken_at.as_deref().unwrap_or("-"),
            gps,
            truncate(&camera(a).unwrap_or_else(|| "-".into()), 20),
            m.source.file_name
        )?;
    }
    writeln!(out, "{} assets", assets.len())
}

fn camera(a: &AssetRecord) -> Option<String> {
    let m = &a.manifest.metadata;
    match (&m.make, &m.model) {
        (Some(make), Some(model)) if model.starts_with(make.as_str()) => Some(model.clone()),
        (Some(make), Some(model)) => Some(format!("{make} {model}")),
        (a, b) => a.clone().or_else(|| b.clone()),
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        s.chars().take(n - 1).chain(['…']).collect()
    }
}

pub fn print_asset(a: &AssetRecord) -> std::io::Result<()> {
    let m = &a.manifest;
    let md = &m.metadata;
    let mut lines: Vec<(String, String)> = Vec::new();
    let mut row = |k: &str, v: String| lines.push((k.to_owned(), v));
    row("id", a.id());
    row("kind", a.kind().as_str().into());
    row("state", a.state.clone());
    row(
        "source",
        format!("{} ({} bytes, {})", m.source.file_name, m.source.bytes, m.source.format),
    );
    row("source path", a.source_path.clone());
    row("blake3", m.source.blake3.clone());
    if let (Some(w), Some(h)) = (m.width, m.height) {
        row(
            "dimensions",
            format!("{w} × {h} ({:.1} MP)", f64::from(w) * f64::from(h) / 1e6),
        );
    }
    if let Some(t) = &md.taken_at {
        row("taken", format!("{t}{}", md.taken_offset.as_deref().unwrap_or("")));
    }
    if let Some(g) = md.gps {
        let alt = g.alt.map(|a| format!(", {a:.1} m")).unwrap_or_default();
        row("gps", format!("{:.6}, {:.6}{alt}", g.lat, g.lon));
    }
    if let Some(h) = md.heading_deg {
        row("heading", format!("{h:.1}°"));
    }
    if let Some(c) = camera(a) {
        row("camera", c);
    }
    if let Some(l) = &md.lens {
        row("lens", l.clone());
    }
    let mut exposure = Vec::new();
    if let Some(t) = md.exposure_s {
        exposure.push(if t < 1.0 {
            format!("1/{:.0} s", 1.0 / t)
        } else {
            format!("{t} s")
        });
    }
    if let Some(f) = md.f_number {
        exposure.push(format!("f/{f}"));
    }
    if let Some(i) = md.iso {
        exposure.push(format!("ISO {i}"));
    }
    if let Some(f) = md.focal_length_mm {
        exposure.push(format!("{f} mm"));
    }
    if !exposure.is_empty() {
        row("exposure", exposure.join("  "));
    }
    if let Some(o) = md.orientation {
        row("orientation", o.to_string());
    }
    if let Some(icc) = &m.icc_profile {
        row("colour", format!("{icc} (derivatives converted to sRGB)"));
    }
    if let Some(p) = &md.pano {
        row("panorama", serde_json::to_string(p).unwrap_or_default());
    }
    for (lang, t) in md.title.iter() {
        row("title", format!("[{lang}] {t}"));
    }
    if let Some(t) = &m.pano_tiles {
        row(
            "pano tiles",
            format!(
                "{} levels, face {} px, {} tiles of {} px ({}/{})",
                t.max_level, t.cube_resolution, t.tiles, t.tile_resolution, a.folder, t.config
            ),
        );
    }
    if let Some(model) = &m.model {
        row(
            "model",
            format!(
                "{} meshes, {} primitives, {} nodes, {} materials, {} textures",
                model.meshes, model.primitives, model.nodes, model.materials, model.textures
            ),
        );
        if !model.resources.is_empty() {
            row("resources", model.resources.join(", "));
        }
        if !model.extensions_required.is_empty() {
            row("extensions", model.extensions_required.join(", "));
        }
    }
    for (role, d) in &m.derivatives {
        let size = match (d.width, d.height) {
            (Some(w), Some(h)) => format!("  {w}×{h}"),
            _ => String::new(),
        };
        row(role, format!("{}/{}{size}  {} bytes", a.folder, d.path, d.bytes));
    }
    for w in &md.warnings {
        row("warning", w.clone());
    }
    row("ingested", a.ingested_at.clone());
    row("updated", a.updated_at.clone());
    let mut out = std::io::stdout().lock();
    for (k, v) in lines {
        writeln!(out, "{k:<13} {v}")?;
    }
    Ok(())
}

/// A bar over files (hidden unless `show`).
pub fn file_bar(show: bool, files: u64) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(files);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} files  {elapsed_precise} (eta {eta})")
            .expect("static template"),
    );
    bar
}

/// A bar over cube faces (hidden unless `show`): the Marzipano tour export resamples six per scene.
pub fn face_bar(show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} faces  {elapsed_precise} (eta {eta})")
            .expect("static template"),
    );
    bar
}

/// `disan tiles` results: one line per file (or a JSON array of `{file, ok, …}` / `{file, error}`).
pub fn print_tiles(
    files: &[std::path::PathBuf],
    results: &[Result<disan_pipeline::TilesSummary, disan_pipeline::FileError>],
    json: bool,
) -> std::io::Result<()> {
    if json {
        let rows: Vec<serde_json::Value> = files
            .iter()
            .zip(results)
            .map(|(f, r)| match r {
                Ok(t) => {
                    let mut v = serde_json::to_value(t).expect("summaries serialise");
                    v["file"] = f.display().to_string().into();
                    v
                }
                Err(e) => serde_json::json!({"file": f.display().to_string(), "error": e.reason}),
            })
            .collect();
        return print_json(&rows);
    }
    let mut out = std::io::stdout().lock();
    for (f, r) in files.iter().zip(results) {
        match r {
            Ok(t) => {
                writeln!(
                    out,
                    "{}: {}×{}, {} levels, {} tiles of {} px",
                    f.display(),
                    t.width,
                    t.height,
                    t.tiles.scale_factors.len(),
                    t.tiles.tiles,
                    t.tiles.tile_size
                )?;
                for w in &t.warnings {
                    writeln!(out, "  warning: {w}")?;
                }
            }
            Err(e) => eprintln!("{}: failed: {e}", f.display()),
        }
    }
    Ok(())
}

/// Validates one model file; unreadable files become a report with one `IO_ERROR`.
pub fn validate_file(path: &Path) -> disan_model::Report {
    let name = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            let mut r = disan_model::Report::new(&name, "");
            r.push(disan_model::Issue {
                code: "IO_ERROR".into(),
                message: format!("cannot read: {e}"),
                severity: disan_model::Severity::Error,
                pointer: Some(String::new()),
                offset: None,
            });
            return r;
        }
    };
    let format = disan_model::ModelFormat::from_extension(path).unwrap_or(disan_model::ModelFormat::Gltf);
    let dir = path.parent().unwrap_or(Path::new("."));
    disan_model::read_scene(&bytes, format, &name, dir, disan_model::Limits::default()).0
}

pub fn print_validation(reports: &[disan_model::Report]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    for r in reports {
        let i = &r.issues;
        writeln!(
            out,
            "{}: {} error(s), {} warning(s), {} info(s)",
            r.uri, i.num_errors, i.num_warnings, i.num_infos
        )?;
        for m in &i.messages {
            let level = match m.severity {
                disan_model::Severity::Error => "error",
                disan_model::Severity::Warning => "warning",
                disan_model::Severity::Info => "info",
                disan_model::Severity::Hint => "hint",
            };
            writeln!(out, "  {level}: {}", m.short())?;
        }
        if i.truncated {
            writeln!(out, "  (repeated messages left out)")?;
        }
    }
    Ok(())
}

/// `disan render`: a model file, or a model asset's `model/model.glb`, drawn to an image; or a rectilinear view
/// of a panorama asset from its cube tile pyramid. `angles` are yaw, pitch (defaults by kind) and hfov.
/// What of a model's story `disan render` shows.
#[derive(Default)]
pub struct StoryOptions {
    /// Render this annotation's saved view.
    pub annotation: Option<String>,
    /// Draw the numbered pins.
    pub pins: bool,
}

#[allow(clippy::too_many_arguments)]
pub fn render(
    collection: &Path,
    target: &str,
    out: &Path,
    (width, height): (u32, u32),
    (yaw, pitch, hfov): (Option<f32>, Option<f32>, f32),
    transparent: bool,
    story_opts: &StoryOptions,
) -> anyhow::Result<Vec<crate::story::PinAt>> {
    use anyhow::Context as _;
    let wants_story = story_opts.annotation.is_some() || story_opts.pins;
    let mut story = None;
    let path = if Path::new(target).is_file() {
        anyhow::ensure!(
            !wants_story,
            "--annotation and --pins need a model asset of the collection"
        );
        Path::new(target).to_owned()
    } else {
        let catalog = disan_catalog::Catalog::open(collection)
            .with_context(|| format!("{target:?} is not a file, and there is no collection to look it up in"))?;
        let asset = catalog.get(target)?;
        let folder = collection.join("assets").join(asset.id());
        if let Some(tiles) = asset.manifest.pano_tiles.as_ref() {
            anyhow::ensure!(!transparent, "a panorama view has no transparent background");
            anyhow::ensure!((1.0..=179.0).contains(&hfov), "--hfov {hfov} is outside 1–179 degrees");
            let img = pano_view(
                &folder,
                tiles,
                (
                    f64::from(yaw.unwrap_or(0.0)),
                    f64::from(pitch.unwrap_or(0.0)),
                    f64::from(hfov),
                ),
                (width, height),
            )?;
            anyhow::ensure!(!wants_story, "--annotation and --pins are for models");
            save_rgb(out, &img)?;
            return Ok(Vec::new());
        }
        anyhow::ensure!(
            asset.manifest.kind == disan_core::AssetKind::Model,
            "asset {} is a {} without a model or a panorama pyramid to render",
            asset.id(),
            asset.manifest.kind.as_str()
        );
        if wants_story {
            story = Some(catalog.story(&asset.id())?);
        }
        folder.join("model/model.glb")
    };
    let (yaw, pitch) = (yaw.unwrap_or(30.0), pitch.unwrap_or(20.0));
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let format = disan_model::ModelFormat::from_extension(&path).unwrap_or(disan_model::ModelFormat::Glb);
    let dir = path.parent().unwrap_or(Path::new("."));
    let (report, scene) = disan_model::read_scene(
        &bytes,
        format,
        &path.display().to_string(),
        dir,
        disan_model::Limits::default(),
    );
    let scene = scene.ok_or_else(|| anyhow::anyhow!("{}: {}", path.display(), report.error_summary()))?;
    let gpu = disan_render::Gpu::shared()?;
    let mut view = disan_render::View {
        width,
        height,
        yaw,
        pitch,
        ..Default::default()
    };
    if let (Some(id), Some(story)) = (&story_opts.annotation, &story) {
        let at = story
            .position_of(id)
            .map_err(|why| anyhow::anyhow!("the model has {why}"))?;
        let a = &story.annotations[at];
        view = crate::story::render_view(&a.view, (width, height));
    }
    let png = out.extension().is_some_and(|e| e.eq_ignore_ascii_case("png"));
    if transparent {
        anyhow::ensure!(png, "--transparent needs a .png output");
        view.background = [0.0; 4];
    }
    let mut img = disan_render::render_scene(&gpu, &scene, &view)?;
    let mut placed = Vec::new();
    if let Some(story) = story.as_ref().filter(|_| story_opts.pins) {
        let surface = disan_model::Surface::new(&scene).ok_or_else(|| anyhow::anyhow!("the model draws nothing"))?;
        let bounds = scene
            .bounds()
            .ok_or_else(|| anyhow::anyhow!("the model draws nothing"))?;
        placed = crate::story::pins(story, &surface, &disan_render::Camera::new(bounds, &view));
        crate::story::draw_pins(&mut img, &placed);
    }
    if png {
        img.save(out)
            .with_context(|| format!("cannot write {}", out.display()))?;
    } else {
        save_rgb(out, &image::DynamicImage::ImageRgba8(img).to_rgb8())?;
    }
    Ok(placed)
}

/// Writes an RGB image as PNG or JPEG (quality 92) by the output's extension.
fn save_rgb(out: &Path, img: &image::RgbImage) -> anyhow::Result<()> {
    use anyhow::Context as _;
    if out.extension().is_some_and(|e| e.eq_ignore_ascii_case("png")) {
        img.save(out).with_context(|| format!("cannot write {}", out.display()))
    } else {
        let jpeg = disan_imaging::encode_jpeg(img, 92)?;
        std::fs::write(out, jpeg).with_context(|| format!("cannot write {}", out.display()))
    }
}

/// A rectilinear view of a panorama from the finest level of its tile pyramid (`pano/`).
fn pano_view(
    folder: &Path,
    tiles: &disan_core::PanoTiles,
    (yaw, pitch, hfov): (f64, f64, f64),
    (width, height): (u32, u32),
) -> anyhow::Result<image::RgbImage> {
    use anyhow::Context as _;
    use disan_tiles::{CubeLayout, Face};
    let layout = CubeLayout::new(tiles.cube_resolution, tiles.tile_resolution);
    anyhow::ensure!(
        layout.max_level == tiles.max_level && tiles.tile_resolution >= 16 && tiles.cube_resolution <= 16_384,
        "the panorama's manifest does not describe a pyramid Disan wrote"
    );
    let dir = folder
        .join(&tiles.config)
        .parent()
        .map(Path::to_owned)
        .context("the panorama's manifest names no config folder")?;
    // The level as dense as the view: finer ones would alias under bilinear sampling.
    let level = layout.level_for(f64::from(width) / 2.0 / (hfov / 2.0).to_radians().tan());
    let size = layout.level_size(level);
    let face = |face: Face| -> anyhow::Result<image::RgbImage> {
        let mut img = image::RgbImage::new(size, size);
        let n = layout.tiles_per_side(level);
        for row in 0..n {
            for col in 0..n {
                let path = dir.join(CubeLayout::tile_path(level, face, row, col));
                let tile = disan_imaging::read_rgb8(&path, &disan_imaging::DecodeLimits::textures())
                    .with_context(|| format!("cannot read tile {}", path.display()))?;
                image::imageops::replace(
                    &mut img,
                    &tile,
                    i64::from(col * layout.tile_size),
                    i64::from(row * layout.tile_size),
                );
            }
        }
        Ok(img)
    };
    let faces = [
        face(Face::Front)?,
        face(Face::Right)?,
        face(Face::Back)?,
        face(Face::Left)?,
        face(Face::Up)?,
        face(Face::Down)?,
    ];
    Ok(disan_tiles::render_cube_view(&faces, yaw, pitch, hfov, width, height))
}
