//! `disan`: turn field captures into a catalogued collection. Parses arguments, sets up logging and the
//! thread pool, prints results, and maps them to exit codes (0 all good, 2 some files failed, 1 the
//! command could not proceed).

mod audio;
mod curate;
mod output;
mod share;
mod shared;
mod story;
mod tour;
mod web;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use disan_core::{AssetKind, Settings};

#[derive(Parser)]
#[command(
    name = "disan",
    version,
    about = "Catalogue and tile captures of heritage sites",
    max_term_width = 100
)]
struct Cli {
    /// The collection folder.
    #[arg(long, global = true, env = "DISAN_COLLECTION", default_value = ".")]
    collection: PathBuf,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Who is making curated changes, recorded in every revision (default: $USER).
    #[arg(long, global = true, env = "DISAN_AUTHOR")]
    author: Option<String>,
    #[command(subcommand)]
    command: Command,
}

/// The ingest settings `disan ingest` and `disan worker` take (every worker of a collection should be given
/// the same).
#[derive(clap::Args, Clone, Debug)]
pub(crate) struct SettingsArgs {
    /// Largest image to decode, in megapixels; larger headers are refused as decompression bombs.
    #[arg(long, default_value_t = Settings::default().max_pixels as f64 / 1e6)]
    pub max_megapixels: f64,
    /// Largest photo tiled for deep zoom strip by strip (a sequential, upright JPEG), in megapixels:
    /// memory grows with its width only, so this can be far above --max-megapixels.
    #[arg(long, default_value_t = Settings::default().max_stream_pixels as f64 / 1e6)]
    pub max_stream_megapixels: f64,
    /// Largest file to read, in MiB.
    #[arg(long, default_value_t = Settings::default().max_file_bytes >> 20)]
    pub max_file_mib: u64,
    /// Decoded pixels allowed in memory at once across all workers, in MiB.
    #[arg(long, default_value_t = Settings::default().memory_budget_bytes >> 20)]
    pub memory_budget_mib: u64,
    /// Photos at least this long (pixels, longer side) also get IIIF deep-zoom tiles.
    #[arg(long, default_value_t = Settings::default().iiif_min_size)]
    pub iiif_min_size: u32,
    /// Captures with GPS within this many metres of a site are suggested for it; captures within it of
    /// each other form a new suggested site.
    #[arg(long, default_value_t = Settings::default().site_radius_m)]
    pub site_radius: f64,
}

impl SettingsArgs {
    pub(crate) fn settings(&self) -> Settings {
        Settings {
            max_pixels: (self.max_megapixels.max(0.0) * 1e6) as u64,
            max_stream_pixels: (self.max_stream_megapixels.max(0.0) * 1e6) as u64,
            max_file_bytes: self.max_file_mib.saturating_mul(1 << 20),
            memory_budget_bytes: self.memory_budget_mib.saturating_mul(1 << 20),
            iiif_min_size: self.iiif_min_size.max(1),
            site_radius_m: if self.site_radius.is_finite() {
                self.site_radius.max(0.0)
            } else {
                0.0
            },
            ..Settings::default()
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Ingest photos, panoramas and models from files and folders (recursively) into the collection.
    Ingest {
        /// Files and folders to ingest.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Worker threads (default: one per CPU core).
        #[arg(long, short = 'j')]
        jobs: Option<usize>,
        #[command(flatten)]
        settings: SettingsArgs,
        /// No progress bar.
        #[arg(long)]
        no_progress: bool,
    },
    /// Make DIR a collection with a shared catalogue on PostgreSQL (writes DIR/collection.toml): then
    /// `disan queue add` and `disan worker` ingest into it from many machines (docs/SCALING.md).
    Init {
        /// The collection folder (default: --collection).
        dir: Option<PathBuf>,
        /// `postgresql://user@host:port/database` (a password is better in ~/.pgpass or PGPASSWORD), or
        /// `sqlite` for the embedded catalogue.
        #[arg(long)]
        catalog: String,
        /// Keep the asset files in S3-compatible object storage, `s3://BUCKET/PREFIX`, instead of DIR/assets
        /// (key and secret from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).
        #[arg(long, requires = "endpoint")]
        storage: Option<String>,
        /// The object store's address, e.g. https://s3.ap-southeast-1.amazonaws.com or http://minio:9000.
        #[arg(long)]
        endpoint: Option<String>,
        /// The object store's region.
        #[arg(long, default_value = "us-east-1")]
        region: String,
    },
    /// Download the assets of a collection whose files are in object storage into its folder (what the
    /// viewer opens; `disan web build` does this itself). Only assets the catalogue has committed.
    Mirror,
    /// The shared catalogue's ingest queue: `add PATH...` queues capture files, `status` counts them.
    Queue {
        #[command(subcommand)]
        command: shared::QueueCommand,
    },
    /// Ingest files from the shared catalogue's queue until it is empty (or forever with --follow). Run
    /// any number, on any machines that mount the collection folder and the inputs at the same paths.
    Worker(shared::WorkerArgs),
    /// Move the collection's catalogue to a shared PostgreSQL database (`--to postgresql://…`, an empty
    /// database) or back into catalog.sqlite (`--to sqlite`); the asset files stay where they are.
    Migrate {
        /// The catalogue: `postgresql://…` (an empty database) or `sqlite` (back into catalog.sqlite).
        #[arg(long, required_unless_present = "storage")]
        to: Option<String>,
        /// The asset files: `s3://BUCKET/PREFIX` (uploads every committed asset, then points the collection
        /// at the bucket; the local files stay as its mirror) or `local` (downloads them all, then points the
        /// collection at its folder).
        #[arg(long, value_name = "s3://BUCKET/PREFIX|local")]
        storage: Option<String>,
        /// The object store's endpoint (with `--storage s3://…`).
        #[arg(long, requires = "storage")]
        endpoint: Option<String>,
        /// The object store's region.
        #[arg(long, default_value = "us-east-1", requires = "storage")]
        region: String,
    },
    /// Make IIIF Image API 3 level-0 deep-zoom tiles for photos, without a collection.
    Tiles {
        /// Photos (JPEG, PNG, TIFF, WebP). One file goes straight into --out; several go into
        /// --out/<file name without extension>/ each.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output folder (created): info.json, tiles, full/ sizes.
        #[arg(long)]
        out: PathBuf,
        /// URL the output folder will be served from (the IIIF service id; `disan publish` for collections).
        #[arg(long, default_value = disan_catalog::DEFAULT_BASE_URL)]
        base_url: String,
        /// Worker threads (default: one per CPU core).
        #[arg(long, short = 'j')]
        jobs: Option<usize>,
        /// No progress bar.
        #[arg(long)]
        no_progress: bool,
    },
    /// Set the URL the collection folder is served from, rewriting every IIIF info.json to match.
    Publish {
        /// Absolute http(s) URL of the collection folder, e.g. https://heritage.example.vn/collection
        #[arg(long)]
        base_url: String,
    },
    /// Validate glTF, GLB and OBJ models; reports are in the Khronos glTF-Validator's JSON shape.
    Validate {
        /// Model files (.glb, .gltf, .obj).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Render a model (a file, or a model asset's id in the collection) to a PNG or JPEG, headless.
    Render {
        /// A model file, or the id (or unique prefix) of a model or panorama asset in --collection.
        target: String,
        /// Output image (.png or .jpg).
        #[arg(long)]
        out: PathBuf,
        /// Image size, WIDTHxHEIGHT.
        #[arg(long, default_value = "1024x768", value_parser = parse_size)]
        size: (u32, u32),
        /// Degrees around the vertical axis; models: 0 looks at the front (+Z), positive turns right
        /// (default 30); panoramas: 0 is the centre of the source image, growing to the right (default 0).
        #[arg(long, allow_negative_numbers = true)]
        yaw: Option<f32>,
        /// Degrees above the horizon (models: default 20; panoramas: 0).
        #[arg(long, allow_negative_numbers = true)]
        pitch: Option<f32>,
        /// Panoramas: horizontal field of view in degrees, as Pannellum means it.
        #[arg(long, default_value_t = 90.0)]
        hfov: f32,
        /// Transparent background (PNG only).
        #[arg(long)]
        transparent: bool,
        /// Models: render the view saved with this annotation of the model's story.
        #[arg(long)]
        annotation: Option<String>,
        /// Models: draw the story's numbered pins (those seen from the view) and report where each lands.
        #[arg(long)]
        pins: bool,
    },
    /// List the assets in the collection.
    List {
        /// Only assets of this kind (photo, panorama, model).
        #[arg(long)]
        kind: Option<AssetKind>,
    },
    /// Show everything the catalogue knows about one asset (id or a unique prefix of 4+ digits).
    Show { id: String },
    /// Curated metadata: get, set (also in batches by filter), CSV export and import, publication report.
    Meta {
        #[command(subcommand)]
        command: curate::MetaCommand,
    },
    /// The revision history of an asset: who changed which field, when, from what to what.
    History { id: String },
    /// Undo revisions by writing their old values as new revisions.
    Undo {
        /// Revision numbers (from `disan history`).
        #[arg(required = true)]
        revisions: Vec<i64>,
        /// Undo even if the field has changed since.
        #[arg(long)]
        force: bool,
    },
    /// Move assets through the workflow: `disan state ID... STATE`, or `disan state --site S STATE`.
    /// States: draft, in_review, published, withdrawn; publishing checks the required fields.
    State {
        #[arg(required = true, value_name = "ID|STATE")]
        args: Vec<String>,
        #[command(flatten)]
        filter: curate::FilterArgs,
    },
    /// Search titles, descriptions, tags, sites and file names in every language, ignoring case and
    /// diacritics ("ha long" finds "Hạ Long").
    Search {
        query: Vec<String>,
        /// Only this site (id or exact name).
        #[arg(long)]
        site: Option<String>,
        /// Only this kind.
        #[arg(long)]
        kind: Option<AssetKind>,
        /// Only sites of this heritage rank (provincial, national, special_national, unesco).
        #[arg(long)]
        rank: Option<String>,
        /// Only this workflow state.
        #[arg(long)]
        state: Option<String>,
        /// At most this many results.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Language of the titles shown.
        #[arg(long, default_value = "vi")]
        lang: String,
    },
    /// Sites: list, show, create, set, confirm, assign, merge, split, suggest, history.
    Site {
        #[command(subcommand)]
        command: curate::SiteCommand,
    },
    /// Narration: add a recording, draft a synthesised voice, list, remove (per asset, tour scene or
    /// information hotspot, and language).
    Audio {
        #[command(subcommand)]
        command: audio::AudioCommand,
    },
    /// A relic's story: annotations pinned to the model's surface, each with a view, a title and text per
    /// language, in order (add, edit, move, remove, list).
    Story {
        #[command(subcommand)]
        command: story::StoryCommand,
    },
    /// Virtual tours: create, add, link, info, move, remove, show, suggest, history, export, import.
    Tour {
        #[command(subcommand)]
        command: tour::TourCommand,
    },
    /// The published collection as a website: `build --out DIR` writes it, `serve DIR` serves it.
    Web {
        #[command(subcommand)]
        command: web::WebCommand,
    },
    /// Posts for social media from published assets: per asset and language a folder with a 1200×630 link
    /// image, 1080×1080 and 1080×1350 post images (title and credit drawn in), for panoramas a Facebook-ready
    /// 360° JPEG (GPano), and post.txt (caption, link to the asset's web page, hashtags).
    Share(share::ShareArgs),
    /// Export for other tools into <collection>/exports: iiif (Presentation 3 manifests and a
    /// collection), jsonld (schema.org per site), dc (Dublin Core CSV). Published assets only.
    Export {
        format: disan_publish::ExportFormat,
        /// Export folder (default: <collection>/exports).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Include assets that are not published.
        #[arg(long)]
        all: bool,
    },
    /// The controlled vocabularies: ranks, types, provinces, rights.
    Vocab { name: Option<String> },
    /// Tile one equirectangular panorama into a Pannellum multires folder, without a collection.
    Pano {
        /// The panorama (JPEG, PNG, TIFF, WebP; GPano XMP honoured).
        file: PathBuf,
        /// Output folder (created): config.json, tiles, fallback/, preview.jpg, thumb.jpg.
        #[arg(long)]
        out: PathBuf,
        /// Worker threads (default: one per CPU core).
        #[arg(long, short = 'j')]
        jobs: Option<usize>,
    },
}

/// Errors of ours only: the audio decoders log what they then return as an error, which we report per file.
const QUIET_LOGS: &str = "error,symphonia_core=off,symphonia_bundle_mp3=off,symphonia_codec_aac=off,\
                          symphonia_format_isomp4=off,symphonia_format_ogg=off,symphonia_codec_vorbis=off,\
                          symphonia_bundle_flac=off,symphonia_format_wav=off,symphonia_codec_pcm=off";

fn main() -> ExitCode {
    // Before any thread starts: no stray Mesa lines on a headless terminal.
    disan_render::quiet_headless_vulkan();
    // Before anything can panic: one readable line, never a backtrace hint, on the terminal.
    disan_pipeline::install_panic_hook();
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| QUIET_LOGS.into()))
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(code) => code,
        // The reader went away (`disan list | head`): not an error of ours.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            // Someone else changed what was being edited: nothing was written (docs/cli.md, exit codes).
            if matches!(
                e.downcast_ref::<disan_catalog::CatalogError>(),
                Some(disan_catalog::CatalogError::Conflict { .. })
            ) {
                ExitCode::from(3)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s
        .split_once(['x', 'X', '×'])
        .ok_or_else(|| format!("{s:?}: expected WIDTHxHEIGHT, e.g. 1024x768"))?;
    let parse = |v: &str| v.trim().parse::<u32>().ok().filter(|&n| (1..=16384).contains(&n));
    match (parse(w), parse(h)) {
        (Some(w), Some(h)) => Ok((w, h)),
        _ => Err(format!("{s:?}: width and height must be 1 to 16384")),
    }
}

fn build_pool(jobs: Option<usize>) -> anyhow::Result<()> {
    if let Some(n) = jobs {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
            .context("cannot set up the worker pool")?;
    }
    Ok(())
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let author = cli
        .author
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .filter(|a| !a.trim().is_empty())
        .unwrap_or_else(|| "curator".into());
    match cli.command {
        Command::Ingest {
            paths,
            jobs,
            settings,
            no_progress,
        } => {
            build_pool(jobs)?;
            let settings = settings.settings();
            if shared::is_shared(&cli.collection)? {
                return shared::ingest(&cli.collection, &paths, settings, !no_progress, cli.json);
            }
            let req = disan_pipeline::IngestRequest {
                inputs: paths,
                collection: cli.collection,
                settings,
            };
            let show_bar = !no_progress && !cli.json && std::io::stderr().is_terminal();
            let progress = output::IngestProgress::new(show_bar, cli.json);
            let report = disan_pipeline::ingest(&req, &progress)?;
            progress.finish();
            if cli.json {
                output::print_json(&report)?;
            } else {
                output::print_ingest_summary(&report, &req.collection)?;
            }
            Ok(if report.summary.failed > 0 {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Pano { file, out, jobs } => {
            build_pool(jobs)?;
            let tiles = disan_pipeline::tile_panorama_file(&file, &out, &Settings::default())
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            if cli.json {
                output::print_json(&tiles)?;
            } else {
                println!(
                    "{}: {} levels, face {} px, {} tiles of {} px -> {}",
                    file.display(),
                    tiles.max_level,
                    tiles.cube_resolution,
                    tiles.tiles,
                    tiles.tile_resolution,
                    out.join("config.json").display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Tiles {
            files,
            out,
            base_url,
            jobs,
            no_progress,
        } => {
            build_pool(jobs)?;
            let show_bar = !no_progress && !cli.json && std::io::stderr().is_terminal() && files.len() > 1;
            let bar = output::file_bar(show_bar, files.len() as u64);
            let results =
                disan_pipeline::tile_photo_files(&files, &out, &base_url, &Settings::default(), &|_, _| bar.inc(1));
            bar.finish_and_clear();
            output::print_tiles(&files, &results, cli.json)?;
            Ok(if results.iter().any(Result::is_err) {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Publish { base_url } => {
            // Asset files in object storage: rewrite the mirror's info.json files, then upload those assets.
            let config = disan_catalog::CollectionConfig::read(&cli.collection)?;
            shared::mirror_assets(&cli.collection)?;
            let report = disan_publish::set_base_url(&cli.collection, &base_url)?;
            if let disan_catalog::StorageLocation::S3 { url, endpoint, region } = &config.storage {
                let store = disan_store::S3Store::open(url, endpoint, region)?;
                for id in &report.assets {
                    store.upload_asset(id, &cli.collection.join(disan_catalog::ASSETS_DIR).join(id))?;
                }
            }
            if cli.json {
                output::print_json(&report)?;
            } else {
                println!(
                    "{}: served from {} ({} IIIF services updated)",
                    cli.collection.display(),
                    report.base_url,
                    report.iiif_services
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate { files } => {
            let reports: Vec<disan_model::Report> = files.iter().map(|f| output::validate_file(f)).collect();
            if cli.json {
                if reports.len() == 1 {
                    output::print_json(&reports[0])?;
                } else {
                    output::print_json(&reports)?;
                }
            } else {
                output::print_validation(&reports)?;
            }
            Ok(if reports.iter().any(disan_model::Report::has_errors) {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Render {
            target,
            out,
            size,
            yaw,
            pitch,
            hfov,
            transparent,
            annotation,
            pins,
        } => {
            let story = output::StoryOptions { annotation, pins };
            let placed = output::render(
                &cli.collection,
                &target,
                &out,
                size,
                (yaw, pitch, hfov),
                transparent,
                &story,
            )?;
            if !cli.json {
                println!("{} ({}×{})", out.display(), size.0, size.1);
                for p in &placed {
                    println!(
                        "  pin {} {}: ({:.1}, {:.1}){}",
                        p.number,
                        p.id,
                        p.x,
                        p.y,
                        if p.visible { "" } else { " hidden" }
                    );
                }
            } else {
                output::print_json(
                    &serde_json::json!({"out": out, "width": size.0, "height": size.1, "pins": placed}),
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Init {
            dir,
            catalog,
            storage,
            endpoint,
            region,
        } => shared::init(
            dir.as_deref().unwrap_or(&cli.collection),
            &catalog,
            storage.map(|url| disan_catalog::StorageLocation::S3 {
                url,
                endpoint: endpoint.unwrap_or_default(),
                region,
            }),
        ),
        Command::Mirror => shared::mirror(&cli.collection, cli.json),
        Command::Queue { command } => shared::queue(&cli.collection, command, cli.json),
        Command::Worker(args) => shared::worker(&cli.collection, args, cli.json),
        Command::Migrate {
            to,
            storage,
            endpoint,
            region,
        } => {
            let storage = storage
                .map(|s| match s.as_str() {
                    "local" => Ok(disan_catalog::StorageLocation::Local),
                    url if url.starts_with("s3://") => Ok(disan_catalog::StorageLocation::S3 {
                        url: url.to_owned(),
                        endpoint: endpoint.clone().unwrap_or_default(),
                        region: region.clone(),
                    }),
                    other => Err(anyhow::anyhow!("--storage {other:?}: give s3://BUCKET/PREFIX or local")),
                })
                .transpose()?;
            shared::migrate(&cli.collection, to.as_deref(), storage, cli.json)
        }
        Command::List { kind } => {
            let catalog = disan_catalog::Catalog::open(&cli.collection)?;
            let assets = catalog.list(kind)?;
            if cli.json {
                output::print_json(&assets)?;
            } else {
                output::print_list(&assets)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Meta { command } => curate::meta(&cli.collection, command, cli.json, &author),
        Command::History { id } => curate::history(&cli.collection, &id, cli.json),
        Command::Undo { revisions, force } => curate::undo(&cli.collection, &revisions, force, cli.json, &author),
        Command::State { args, filter } => curate::state(&cli.collection, &args, &filter, cli.json, &author),
        Command::Search {
            query,
            site,
            kind,
            rank,
            state,
            limit,
            lang,
        } => curate::search(
            &cli.collection,
            curate::SearchArgs {
                query,
                filter: disan_catalog::Filter {
                    site,
                    kind,
                    tag: None,
                    state,
                    rank,
                },
                limit,
            },
            cli.json,
            &lang,
        ),
        Command::Site { command } => curate::site(&cli.collection, command, cli.json, &author),
        Command::Audio { command } => audio::run(&cli.collection, command, cli.json, &author),
        Command::Story { command } => story::run(&cli.collection, command, cli.json, &author),
        Command::Tour { command } => tour::run(&cli.collection, command, cli.json, &author),
        Command::Web { command } => web::run(&cli.collection, command, cli.json),
        Command::Share(args) => share::run(&cli.collection, args, cli.json),
        Command::Export { format, out, all } => curate::export(&cli.collection, format, out, all, cli.json),
        Command::Vocab { name } => curate::vocab_list(name.as_deref(), cli.json),
        Command::Show { id } => {
            let catalog = disan_catalog::Catalog::open(&cli.collection)?;
            let asset = catalog.get(&id)?;
            if cli.json {
                output::print_json(&asset)?;
            } else {
                output::print_asset(&asset)?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
