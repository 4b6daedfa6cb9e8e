//! Ingest on many machines: `disan queue add` puts files on the shared catalogue's queue, and any number of
//! `disan worker` processes (on any machines that mount the collection folder and the inputs at the same
//! paths) claim them in batches, make their assets exactly as `disan ingest` does, and commit them.
//!
//! Invariants, besides the single-machine ones (lib.rs):
//! - A worker holds a lease on every file it claimed and on every asset id it is making; a heartbeat thread
//!   renews them. A worker that dies (SIGKILL, power loss) loses them when they run out, and another worker
//!   makes those files again from the start: nothing it left is trusted (its staging folder is removed).
//! - Identical bytes under several paths are made once, from the path that sorts first, whichever machine
//!   meets them and in whatever order: the result is the single-machine result.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::Duration;

use disan_catalog::{Catalog, CollectionConfig, SharedCatalog};
use disan_core::{SETTINGS_VERSION, Settings};
use rayon::prelude::*;

use crate::job::{Context, Hashed};
use crate::report::{FileReport, Outcome, RunReport};
use crate::{
    Event, IngestRequest, PipelineError, Progress, RUNS_DIR, STAGING_DIR, budget, identify, process, report, scan,
};

/// How a worker runs.
#[derive(Clone, Debug)]
pub struct WorkerOptions {
    /// The worker's name in the queue (default: host name, process id and a random suffix).
    pub name: Option<String>,
    /// How long a claim lasts without a heartbeat; heartbeats come every third of it.
    pub lease: Duration,
    /// Files claimed at once (default: two per worker thread).
    pub batch: Option<usize>,
    /// Keep waiting for new files when the queue is empty, instead of stopping.
    pub follow: bool,
    /// How often an idle worker looks at the queue again.
    pub poll: Duration,
    pub settings: Settings,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            name: None,
            lease: Duration::from_secs(60),
            batch: None,
            follow: false,
            poll: Duration::from_millis(200),
            settings: Settings::default(),
        }
    }
}

/// What `disan queue add` did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct QueueAddReport {
    /// Candidate files found under the inputs.
    pub found: u64,
    /// Rows that became pending (new files, and finished files queued again).
    pub queued: u64,
    /// Files already waiting or being worked on.
    pub already_queued: u64,
    /// Files left out (not captures: sidecars, notes), with the reason.
    pub ignored: u64,
    /// Folder entries that could not be read, with the reason.
    pub unreadable: Vec<FileReport>,
}

fn shared(collection: &Path, what: &str) -> Result<SharedCatalog, PipelineError> {
    let config = CollectionConfig::read(collection)?;
    let url = config.postgres_url(what)?;
    Ok(SharedCatalog::connect(url)?)
}

/// Puts the capture files under `inputs` on the collection's queue (`disan queue add`).
pub fn queue_add(collection: &Path, inputs: &[PathBuf]) -> Result<QueueAddReport, PipelineError> {
    for input in inputs {
        if !input.exists() {
            return Err(PipelineError::MissingInput(input.clone()));
        }
    }
    let mut catalog = shared(collection, "disan queue add")?;
    let plan = scan::scan(inputs, collection);
    let rows: Vec<(String, String)> = plan
        .candidates
        .iter()
        .map(|c| (c.key.clone(), c.display.clone()))
        .collect();
    let queued = catalog.enqueue(&rows)?;
    let (unreadable, ignored): (Vec<FileReport>, Vec<FileReport>) = plan
        .ignored
        .into_iter()
        .partition(|r| matches!(r.outcome, Outcome::Failed { .. }));
    Ok(QueueAddReport {
        found: rows.len() as u64,
        queued,
        already_queued: rows.len() as u64 - queued,
        ignored: ignored.len() as u64,
        unreadable,
    })
}

/// A worker's name: host, process and a random part, so that two workers never share one.
fn default_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    let seed = format!("{host}{}{:?}", std::process::id(), std::time::SystemTime::now());
    let salt = blake3::hash(seed.as_bytes()).to_hex();
    let host: String = host
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' })
        .take(40)
        .collect();
    format!("{host}-{}-{}", std::process::id(), &salt[..6])
}

/// Renews the worker's leases every third of the lease until dropped.
struct Heartbeat {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Heartbeat {
    fn start(url: &str, worker: &str, lease: Duration) -> Result<Self, PipelineError> {
        let mut catalog = SharedCatalog::connect(url)?;
        let (stop, stopped) = mpsc::channel::<()>();
        let worker = worker.to_owned();
        let thread = std::thread::spawn(move || {
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(lease / 3) {
                if let Err(e) = catalog.heartbeat(&worker, lease) {
                    // The claims will run out and go to another worker; this one's commits still count.
                    tracing::warn!(%e, "heartbeat failed");
                }
            }
        });
        Ok(Self {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Runs a worker on the collection's queue until it is empty (or forever with `follow`), and returns the
/// report of the files this worker finished (also written to `runs/`).
pub fn work(collection: &Path, opts: &WorkerOptions, progress: &dyn Progress) -> Result<RunReport, PipelineError> {
    crate::install_panic_hook();
    let config = CollectionConfig::read(collection)?;
    let url = config.postgres_url("disan worker")?.to_owned();
    let mut catalog = SharedCatalog::connect(&url)?;
    let store = crate::open_store(&config)?;
    let name = opts.name.clone().unwrap_or_else(default_name);
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| PipelineError::Io { path, source }
    };
    let staging_root = collection.join(STAGING_DIR);
    let staging = staging_root.join(format!("w-{name}"));
    remove_stale_staging(&staging_root, &mut catalog)?;
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
    }
    std::fs::create_dir_all(&staging).map_err(io(&staging))?;
    std::fs::create_dir_all(collection.join(RUNS_DIR)).map_err(io(&collection.join(RUNS_DIR)))?;

    let started_at = disan_catalog::now();
    let run_id = format!(
        "{}-{}",
        report::run_id(&started_at),
        &blake3::hash(name.as_bytes()).to_hex()[..4]
    );
    catalog.begin_run(&run_id, &started_at)?;
    let _span = tracing::info_span!("worker", worker = %name, run = %run_id).entered();
    let heartbeat = Heartbeat::start(&url, &name, opts.lease)?;
    let batch = opts.batch.unwrap_or(2 * rayon::current_num_threads()).max(1);
    let base_url = catalog.public_base_url()?;
    let budget = budget::MemoryBudget::new(opts.settings.memory_budget_bytes);
    let catalog = Mutex::new(catalog);
    let lock = || catalog.lock().unwrap_or_else(|e| e.into_inner());
    let mut files: Vec<FileReport> = Vec::new();
    let mut sites = disan_catalog::SuggestReport::default();
    let mut placed = 0;
    loop {
        let claims = lock().claim(&name, batch, opts.lease)?;
        if claims.is_empty() {
            let counts = lock().queue_counts()?;
            let drained = counts.pending == 0 && counts.claimed == 0;
            // Every queued file is committed: suggest sites for the new captures with GPS, over everything
            // not yet placed, as a single-machine ingest does at its end (whichever worker gets here first
            // places them; the others find nothing left).
            if drained && placed < files.len() {
                placed = files.len();
                let found =
                    Catalog::connect(&url, collection)?.suggest_sites(opts.settings.site_radius_m, "disan ingest")?;
                sites.created.extend(found.created);
                sites.assigned.extend(found.assigned);
            }
            // Files other workers hold come back to the queue if those workers die: wait for them.
            if drained && !opts.follow {
                break;
            }
            std::thread::sleep(opts.poll);
            continue;
        }
        let ctx = Context {
            collection,
            settings: &opts.settings,
            staging: &staging,
            store: &store,
            budget: &budget,
            catalog: &catalog,
            base_url: &base_url,
        };
        let done = work_batch(&ctx, &catalog, &name, opts, &claims, progress)?;
        for f in &done {
            let key = claims
                .iter()
                .find(|c| c.display == f.path)
                .map_or(f.path.as_str(), |c| c.path.as_str());
            let (asset_id, message) = match &f.outcome {
                Outcome::Failed { reason } => (None, Some(reason.clone())),
                Outcome::Duplicate { asset_id, of } => (Some(asset_id.clone()), Some(format!("same bytes as {of}"))),
                o => (o.asset_id().map(str::to_owned), None),
            };
            if !lock().finish(&name, key, f.outcome.label(), asset_id.as_deref(), message.as_deref())? {
                tracing::warn!(path = %f.path, "lease lost before the file was finished; another worker redoes it");
            }
        }
        files.extend(done);
    }
    drop(heartbeat);
    let mut catalog = catalog.into_inner().unwrap_or_else(|e| e.into_inner());
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let req = IngestRequest {
        inputs: Vec::new(),
        collection: collection.to_owned(),
        settings: opts.settings.clone(),
    };
    let mut report = RunReport::new(run_id, started_at, &req, files);
    report.sites = sites;
    report.write_with_page(collection, &[], "en")?;
    catalog.finish_run(
        &report.run_id,
        report.status.as_str(),
        report.counts(),
        &report.catalog_rows(),
    )?;
    let _ = std::fs::remove_dir_all(&staging);
    // What workers killed during this run left, now that their leases have run out.
    remove_stale_staging(&staging_root, &mut catalog)?;
    let _ = std::fs::remove_dir(&staging_root);
    Ok(report)
}

/// Removes the staging folders of workers that hold no lease any more (killed ones).
fn remove_stale_staging(root: &Path, catalog: &mut SharedCatalog) -> Result<(), PipelineError> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Ok(());
    };
    let live = catalog.live_workers()?;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(worker) = name.strip_prefix("w-")
            && !live.iter().any(|l| l == worker)
        {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
    Ok(())
}

/// Identifies and makes one batch of claimed files; returns their reports.
fn work_batch(
    ctx: &Context<'_>,
    catalog: &Mutex<SharedCatalog>,
    name: &str,
    opts: &WorkerOptions,
    claims: &[disan_catalog::Claim],
    progress: &dyn Progress,
) -> Result<Vec<FileReport>, PipelineError> {
    let lock = || catalog.lock().unwrap_or_else(|e| e.into_inner());
    let paths: Vec<PathBuf> = claims.iter().map(|c| PathBuf::from(&c.path)).collect();
    let mut reports = Vec::new();
    let mut candidates = Vec::new();
    for (claim, path) in claims.iter().zip(&paths) {
        if !path.is_file() {
            reports.push(FileReport::new(
                claim.display.clone(),
                0,
                Outcome::Failed {
                    reason: "file not found: it was moved or deleted after `disan queue add`, or this machine \
                             does not mount it at the same path"
                        .into(),
                },
            ));
            continue;
        }
        let plan = scan::scan(std::slice::from_ref(path), ctx.collection);
        for r in plan.ignored {
            reports.push(FileReport {
                path: claim.display.clone(),
                ..r
            });
        }
        for mut c in plan.candidates {
            c.display = claim.display.clone();
            candidates.push(c);
        }
    }
    // What the catalogue knows of these files and of the assets they held.
    let mut known = identify::Known {
        files: Default::default(),
        assets: Default::default(),
        store: ctx.store,
    };
    {
        let mut cat = lock();
        let keys: Vec<String> = candidates.iter().map(|c| c.key.clone()).collect();
        known.files = cat.source_files(&keys)?;
        let ids: Vec<String> = known.files.values().map(|r| r.asset_id.clone()).collect();
        known.assets = cat.asset_settings_versions(&ids)?;
    }
    let identified: Vec<identify::Identified> = candidates
        .into_par_iter()
        .map(|c| identify::identify(c, &known, ctx.settings))
        .collect();
    let mut hashed = Vec::new();
    for item in identified {
        match item {
            identify::Identified::Done(r) => reports.push(r),
            identify::Identified::Hashed(h) => hashed.push(h),
        }
    }
    for r in &reports {
        progress.event(Event::FileDone {
            path: &r.path,
            bytes: r.bytes,
            outcome: &r.outcome,
        });
    }
    let made: Vec<Result<FileReport, PipelineError>> = hashed
        .into_par_iter()
        .map(|h| {
            let r = make_leased(ctx, catalog, name, opts, h)?;
            progress.event(Event::FileDone {
                path: &r.path,
                bytes: r.bytes,
                outcome: &r.outcome,
            });
            Ok(r)
        })
        .collect();
    for r in made {
        reports.push(r?);
    }
    Ok(reports)
}

/// Makes one asset under the lease on its id: waits while another worker makes the same bytes, then makes
/// it only if it is still missing, or was made from a path that sorts after this one.
fn make_leased(
    ctx: &Context<'_>,
    catalog: &Mutex<SharedCatalog>,
    name: &str,
    opts: &WorkerOptions,
    h: Hashed,
) -> Result<FileReport, PipelineError> {
    let lock = || catalog.lock().unwrap_or_else(|e| e.into_inner());
    let id = h.id.to_string();
    while !lock().lease_asset(name, &id, opts.lease)? {
        std::thread::sleep(Duration::from_millis(200).min(opts.poll));
    }
    let result = (|| {
        let existing = lock().asset_source_path(&id)?;
        let versions = lock().asset_settings_versions(std::slice::from_ref(&id))?;
        let known = identify::Known {
            files: Default::default(),
            assets: versions,
            store: ctx.store,
        };
        let made_here = existing.as_deref() == Some(h.candidate.key.as_str());
        match existing {
            Some(first) if known.complete(&id) && first.as_str() <= h.candidate.key.as_str() => {
                lock().record_source_file(
                    &h.candidate.key,
                    h.candidate.size,
                    h.candidate.mtime_ns,
                    &h.id,
                    SETTINGS_VERSION,
                )?;
                let outcome = if made_here {
                    Outcome::Unchanged { asset_id: id.clone() }
                } else {
                    Outcome::Duplicate {
                        asset_id: id.clone(),
                        of: first,
                    }
                };
                Ok(h.report(outcome))
            }
            _ => Ok(process::make_asset(ctx, h)),
        }
    })();
    lock().release_asset(name, &id)?;
    result
}
