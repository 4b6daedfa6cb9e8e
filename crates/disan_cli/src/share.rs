//! `disan share`: ready-to-post files for social media, from published assets.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use disan_catalog::Catalog;
use indicatif::{ProgressBar, ProgressStyle};

use crate::output::print_json;

#[derive(Args)]
pub struct ShareArgs {
    /// Asset ids (or unique prefixes).
    ids: Vec<String>,
    /// Every published asset of this site (repeatable).
    #[arg(long = "site")]
    sites: Vec<String>,
    /// A tour's walk-through (repeatable): <out>/tour-<id>/<lang>/.
    #[arg(long = "tour")]
    tours: Vec<String>,
    /// The folder the posts go into: <out>/<asset>/<lang>/.
    #[arg(long)]
    out: PathBuf,
    /// Languages, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "vi,en,zh-Hans")]
    lang: Vec<String>,
    /// Which files, comma-separated: link, square, portrait, pano360, pan, video360, zoom, turntable, walk,
    /// captions (default: all that apply).
    #[arg(long, value_delimiter = ',')]
    formats: Vec<disan_publish::ShareFormat>,
    /// The website's address for the captions' links (default: the collection's, `disan publish`).
    #[arg(long)]
    base_url: Option<String>,
    /// Length of pans, zooms, turntables and 360° videos, 4–60 s (a walk-through gives each scene 5 s).
    #[arg(long, default_value_t = 20.0)]
    seconds: f64,
}

/// Turntables drawn with `disan_render` (the model view's lighting), on the GPU or Mesa's lavapipe.
struct Renderer;

impl disan_publish::ModelRenderer for Renderer {
    fn render(
        &self,
        glb: &Path,
        views: &[(f32, f32)],
        width: u32,
        height: u32,
        frame: &mut dyn FnMut(image::RgbImage) -> Result<(), String>,
    ) -> Result<(), String> {
        let scene = disan_model::read_scene_file(glb, disan_model::Limits::default())?;
        let gpu = disan_render::Gpu::shared().map_err(|e| {
            format!("no renderer for the turntable (a Vulkan device or Mesa's lavapipe is needed): {e}")
        })?;
        let prepared = disan_render::prepare_scene(&gpu, &scene).map_err(|e| e.to_string())?;
        for &(yaw, pitch) in views {
            let view = disan_render::View {
                width,
                height,
                yaw,
                pitch,
                ..Default::default()
            };
            let img = disan_render::render_prepared(&gpu, &prepared, &view).map_err(|e| e.to_string())?;
            frame(image::DynamicImage::ImageRgba8(img).to_rgb8())?;
        }
        Ok(())
    }
}

pub fn run(collection: &Path, args: ShareArgs, json: bool) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        !args.ids.is_empty() || !args.sites.is_empty() || !args.tours.is_empty(),
        "name the assets to share (ids), --site SITE or --tour TOUR"
    );
    let catalog = Catalog::open(collection)?;
    let bar = if !json && std::io::stderr().is_terminal() {
        ProgressBar::new(0)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("share {bar:40} {pos}/{len}  {elapsed_precise}").expect("static template"),
    );
    let opts = disan_publish::ShareOptions {
        out: args.out.clone(),
        langs: args.lang,
        formats: args.formats,
        base_url: args.base_url,
        seconds: args.seconds,
    };
    let targets = (args.ids.as_slice(), args.sites.as_slice(), args.tours.as_slice());
    let report = disan_publish::share(&catalog, targets, &opts, &Renderer, &|done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .with_context(|| format!("cannot make posts in {}", args.out.display()))?;
    bar.finish_and_clear();
    if json {
        print_json(&report)?;
    } else {
        for item in &report.items {
            match &item.error {
                None => {
                    println!("{} {}: {}", item.id, item.lang, item.files.join(", "));
                    for n in &item.notes {
                        eprintln!("note: {} {}: {n}", item.id, item.lang);
                    }
                }
                Some(e) => eprintln!("error: {e}"),
            }
        }
        println!(
            "{}: {} made, {} failed",
            report.out.display(),
            report.made,
            report.failed
        );
    }
    Ok(if report.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
