//! `disan-viewer COLLECTION [--kiosk | --curate [--author NAME]] [--lang vi|en|zh-Hans] [--no-sound]`

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use disan_viewer::{Collection, Lang, Options, ViewerApp, fonts};

#[derive(Parser)]
#[command(
    name = "disan-viewer",
    version,
    about = "Explore a Disan collection: gallery, search, map, assets."
)]
struct Args {
    /// The collection folder (made by `disan ingest`).
    collection: PathBuf,
    /// Kiosk mode: full screen, published assets only, an attract loop after idle time.
    #[arg(long, conflicts_with = "curate")]
    kiosk: bool,
    /// Curator mode: edit metadata in every language, state, site, history and undo, and place tour
    /// hotspots by clicking in a panorama. Changes are recorded as `--author`.
    #[arg(long)]
    curate: bool,
    /// Who curator-mode changes are recorded as (default: $DISAN_AUTHOR, else $USER).
    #[arg(long, env = "DISAN_AUTHOR")]
    author: Option<String>,
    /// Interface language at start: vi, en or zh-Hans (switchable at any time).
    #[arg(long, default_value = "vi")]
    lang: String,
    /// Seconds without input before kiosk mode shows its attract loop.
    #[arg(long, default_value_t = 90.0)]
    idle: f64,
    /// Narrated tours show their captions only, without sound (a kiosk without speakers).
    #[arg(long)]
    no_sound: bool,
}

fn main() -> ExitCode {
    disan_render::quiet_headless_vulkan();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let Some(lang) = Lang::from_tag(&args.lang) else {
        eprintln!("disan-viewer: unknown language {:?} (vi, en or zh-Hans)", args.lang);
        return ExitCode::from(2);
    };
    let collection = match Collection::open(&args.collection, args.kiosk) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("disan-viewer: {}: {e}", args.collection.display());
            return ExitCode::from(2);
        }
    };
    let options = Options {
        kiosk: args.kiosk,
        curate: args.curate,
        author: args
            .author
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "curator".into()),
        lang,
        idle_secs: args.idle,
        sound: !args.no_sound,
        ..Options::default()
    };
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Disan")
        .with_inner_size([1280.0, 800.0]);
    if args.kiosk {
        viewport = viewport.with_fullscreen(true).with_decorations(false);
    }
    let native = eframe::NativeOptions {
        viewport,
        renderer: eframe::Renderer::Wgpu,
        ..Default::default()
    };
    let result = eframe::run_native(
        "disan-viewer",
        native,
        Box::new(move |cc| {
            fonts::install(&cc.egui_ctx);
            Ok(Box::new(ViewerApp::new(collection, options)))
        }),
    );
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("disan-viewer: {e}");
            ExitCode::from(1)
        }
    }
}
