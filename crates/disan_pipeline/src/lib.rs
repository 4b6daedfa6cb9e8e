//! The ingest pipeline: scan → identify (BLAKE3) → plan → process (rayon, memory budget) → atomic
//! writes → catalogue → run report.
//!
//! Architecture invariants:
//! - Originals are only ever read.
//! - An asset's files are written under `assets/.staging/<id>/` and the folder is renamed into place
//!   before its catalogue row is committed; a killed run leaves nothing half-written that a reader sees,
//!   and the next run removes the staging area and redoes the work.
//! - Output bytes depend only on input bytes and settings: no timestamps in asset files, results sorted
//!   by path before anything is written, duplicates resolved by path order rather than by scheduling.
//! - One bad file never stops the run: every file gets an outcome in the report.

mod budget;
mod guard;
mod identify;
mod iiif;
mod job;
mod model;
mod pano;
mod photo;
mod process;
mod report;
pub mod run_page;
mod scan;
mod worker;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use disan_catalog::{Catalog, WriteLock};
use disan_core::{AssetId, SETTINGS_VERSION, Settings};
use rayon::prelude::*;

pub use iiif::{TilesSummary, tile_photo_file, tile_photo_files};
pub use pano::tile_panorama_file;
pub use report::{FileReport, Outcome, RunReport, RunStatus};
pub use scan::CAPTURE_EXTENSIONS;
pub use worker::{QueueAddReport, WorkerOptions, queue_add, work};

pub use disan_catalog::ASSETS_DIR;
/// Where assets are assembled before being renamed into `assets/`.
pub const STAGING_DIR: &str = "assets/.staging";
/// Folder of run reports.
pub const RUNS_DIR: &str = "runs";

/// Errors that stop a whole run (per-file problems are outcomes in the report instead).
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Catalog(#[from] disan_catalog::CatalogError),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("input {0} does not exist")]
    MissingInput(PathBuf),
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Fs(#[from] disan_fs::FsError),
    #[error(transparent)]
    Store(#[from] disan_store::StoreError),
}

/// Opens where the collection's asset files live, as its `collection.toml` says.
pub fn open_store(config: &disan_catalog::CollectionConfig) -> Result<disan_store::Store, PipelineError> {
    Ok(disan_store::Store::open(&config.dir, config.s3())?)
}

/// Why one file given to `disan tiles` or `disan pano` was not tiled: the file, and the reason with what to do
/// (as a run report gives it).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct FileError {
    pub file: PathBuf,
    pub reason: String,
}

impl FileError {
    fn of(file: &Path) -> impl FnOnce(String) -> Self + '_ {
        move |reason| Self {
            file: file.to_owned(),
            reason,
        }
    }
}

/// What to ingest, where, and how.
#[derive(Clone, Debug)]
pub struct IngestRequest {
    /// Files and folders (searched recursively).
    pub inputs: Vec<PathBuf>,
    /// The collection folder (created if missing).
    pub collection: PathBuf,
    pub settings: Settings,
}

/// Progress of a run, for a progress bar or a machine reader.
#[derive(Clone, Debug)]
pub enum Event<'a> {
    /// Scanning finished: this many files and bytes are candidates.
    Planned { files: u64, bytes: u64 },
    /// A file is finished, whatever its outcome.
    FileDone {
        path: &'a str,
        bytes: u64,
        outcome: &'a Outcome,
    },
}

/// Receives [`Event`]s from any worker thread.
pub trait Progress: Sync {
    fn event(&self, event: Event<'_>);
}

/// A [`Progress`] that ignores everything.
pub struct NoProgress;

impl Progress for NoProgress {
    fn event(&self, _: Event<'_>) {}
}

pub(crate) use guard::guard;
/// Runs one ingest. Per-file failures are in the report; `Err` means the run could not proceed.
pub use guard::install_panic_hook;

/// Runs one ingest.
pub fn ingest(req: &IngestRequest, progress: &dyn Progress) -> Result<RunReport, PipelineError> {
    install_panic_hook();
    for input in &req.inputs {
        if !input.exists() {
            return Err(PipelineError::MissingInput(input.clone()));
        }
    }
    let collection = &req.collection;
    let lock = WriteLock::acquire(collection)?;
    let mut catalog = Catalog::open_or_create(collection, &lock)?;
    let store = open_store(&disan_catalog::CollectionConfig::read(collection)?)?;
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| PipelineError::Io { path, source }
    };
    // Whatever a killed run left half-made is discarded: it is not in the catalogue.
    let staging = collection.join(STAGING_DIR);
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
    }
    std::fs::create_dir_all(&staging).map_err(io(&staging))?;
    std::fs::create_dir_all(collection.join(RUNS_DIR)).map_err(io(&collection.join(RUNS_DIR)))?;

    let started_at = disan_catalog::now();
    let run_id = report::run_id(&started_at);
    catalog.begin_run(&run_id, &started_at)?;
    let _span = tracing::info_span!("ingest", run = %run_id).entered();

    let plan = scan::scan(&req.inputs, collection);
    progress.event(Event::Planned {
        files: plan.candidates.len() as u64,
        bytes: plan.bytes,
    });
    let mut files: Vec<FileReport> = plan.ignored;

    // Identify every candidate (quick unchanged check, else hash) in parallel.
    let known = identify::Known {
        files: catalog.source_files()?,
        assets: catalog.asset_settings_versions()?,
        store: &store,
    };
    let identified: Vec<identify::Identified> = plan
        .candidates
        .into_par_iter()
        .map(|c| identify::identify(c, &known, &req.settings))
        .collect();

    // Decide what to make, deterministically: identical content found under several paths is made
    // once, from the first path in sorted order.
    let mut work = Vec::new();
    let mut first_path: std::collections::HashMap<AssetId, String> = Default::default();
    for item in identified {
        match item {
            identify::Identified::Done(report) => {
                progress.event(Event::FileDone {
                    path: &report.path,
                    bytes: report.bytes,
                    outcome: &report.outcome,
                });
                files.push(report);
            }
            identify::Identified::Hashed(h) => {
                if let Some(first) = first_path.get(&h.id) {
                    let report = h.report(Outcome::Duplicate {
                        asset_id: h.id.to_string(),
                        of: first.clone(),
                    });
                    progress.event(Event::FileDone {
                        path: &report.path,
                        bytes: report.bytes,
                        outcome: &report.outcome,
                    });
                    files.push(report);
                    continue;
                }
                first_path.insert(h.id, h.candidate.display.clone());
                if known.complete(&h.id.to_string()) {
                    catalog.record_source_file(
                        &h.candidate.key,
                        h.candidate.size,
                        h.candidate.mtime_ns,
                        &h.id,
                        SETTINGS_VERSION,
                    )?;
                    let report = h.report(Outcome::Unchanged {
                        asset_id: h.id.to_string(),
                    });
                    progress.event(Event::FileDone {
                        path: &report.path,
                        bytes: report.bytes,
                        outcome: &report.outcome,
                    });
                    files.push(report);
                } else {
                    work.push(h);
                }
            }
        }
    }

    // Make the assets in parallel; the catalogue takes one transaction per asset.
    let budget = budget::MemoryBudget::new(req.settings.memory_budget_bytes);
    let base_url = catalog.public_base_url()?;
    let catalog = Mutex::new(catalog);
    let ctx = job::Context {
        collection,
        settings: &req.settings,
        staging: &staging,
        store: &store,
        budget: &budget,
        catalog: &catalog,
        base_url: &base_url,
    };
    // Largest first, each worker taking the next file as it finishes one (a queue, not halves of the list):
    // a big capture is not left to run alone at the end while the other workers wait. Reports are sorted by
    // path below, so the order of the work shows only in when each asset's catalogue row is committed.
    work.sort_by(|a, b| {
        b.total_bytes
            .cmp(&a.total_bytes)
            .then_with(|| a.candidate.key.cmp(&b.candidate.key))
    });
    let made: Vec<FileReport> = work
        .into_iter()
        .par_bridge()
        .map(|h| {
            let report = process::make_asset(&ctx, h);
            progress.event(Event::FileDone {
                path: &report.path,
                bytes: report.bytes,
                outcome: &report.outcome,
            });
            report
        })
        .collect();
    files.extend(made);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    fail_duplicates_of_failures(&mut files);

    let mut catalog = catalog.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut report = RunReport::new(run_id, started_at, req, files);
    // Suggest sites for new captures with GPS; curators confirm them. Runs over everything not yet
    // placed, so an interrupted run's assets are placed by the run that finishes the work.
    report.sites = catalog.suggest_sites(req.settings.site_radius_m, "disan ingest")?;
    let languages = catalog.languages()?;
    let lang = languages.first().map_or("en", String::as_str);
    let fallbacks: Vec<&str> = languages.iter().map(String::as_str).collect();
    let sites: Vec<run_page::MapSite> = catalog
        .sites(false)?
        .into_iter()
        .filter_map(|s| {
            let name = s
                .name
                .get_or_fallback(lang, &fallbacks)
                .map_or_else(|| s.id.clone(), |(_, t)| t.to_owned());
            Some(run_page::MapSite {
                name,
                lat: s.lat?,
                lon: s.lon?,
            })
        })
        .collect();
    report.write_with_page(collection, &sites, lang)?;
    catalog.finish_run(
        &report.run_id,
        report.status.as_str(),
        report.counts(),
        &report.catalog_rows(),
    )?;
    let _ = std::fs::remove_dir(&staging);
    Ok(report)
}

/// A file with the same bytes as one that failed fails too, for the same reason: its report must not name
/// an asset that was never made (every zero-byte file, say, is a "duplicate" of the first).
fn fail_duplicates_of_failures(files: &mut [FileReport]) {
    let failed: std::collections::HashMap<String, String> = files
        .iter()
        .filter_map(|f| match &f.outcome {
            Outcome::Failed { reason } => Some((f.path.clone(), reason.clone())),
            _ => None,
        })
        .collect();
    for f in files.iter_mut() {
        if let Outcome::Duplicate { of, .. } = &f.outcome
            && let Some(reason) = failed.get(of)
        {
            f.outcome = Outcome::Failed {
                reason: format!("{reason} (the same bytes as {of})"),
            };
        }
    }
}
