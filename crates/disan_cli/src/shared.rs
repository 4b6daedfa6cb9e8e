//! The commands of a collection with a shared catalogue (PostgreSQL): `init`, `queue`, `worker`, and the
//! shared forms of `ingest`, `list` and `show`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Subcommand;
use disan_catalog::{CatalogLocation, CollectionConfig, SharedCatalog, StorageLocation};
use disan_core::Settings;

use crate::{SettingsArgs, build_pool, output};

#[derive(Subcommand)]
pub enum QueueCommand {
    /// Queue capture files and folders (searched recursively) for the workers.
    Add {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// How many files wait, are being worked on, are done and failed (with --json: every file).
    Status,
}

#[derive(clap::Args)]
pub struct WorkerArgs {
    /// Worker threads (default: one per CPU core).
    #[arg(long, short = 'j')]
    jobs: Option<usize>,
    /// Keep waiting for new files when the queue is empty.
    #[arg(long)]
    follow: bool,
    /// Seconds a claim lasts without a heartbeat: a worker that dies loses its files after this long.
    #[arg(long, default_value_t = 60.0)]
    lease_seconds: f64,
    /// Files claimed at once (default: two per thread).
    #[arg(long)]
    batch: Option<usize>,
    /// The worker's name in the queue (default: host, process id and a random part).
    #[arg(long)]
    name: Option<String>,
    #[command(flatten)]
    settings: SettingsArgs,
    /// No progress bar.
    #[arg(long)]
    no_progress: bool,
}

/// Whether the collection's catalogue is a shared one.
pub fn is_shared(collection: &Path) -> anyhow::Result<bool> {
    Ok(matches!(
        CollectionConfig::read(collection)?.catalog,
        CatalogLocation::Postgres(_)
    ))
}

fn connect(collection: &Path, what: &str) -> anyhow::Result<SharedCatalog> {
    let config = CollectionConfig::read(collection)?;
    Ok(SharedCatalog::connect(config.postgres_url(what)?)?)
}

pub fn init(dir: &Path, catalog: &str, storage: Option<StorageLocation>) -> anyhow::Result<ExitCode> {
    let location = if catalog == "sqlite" {
        CatalogLocation::Sqlite
    } else {
        CatalogLocation::Postgres(catalog.to_owned())
    };
    if let Some(StorageLocation::S3 { url, endpoint, region }) = &storage {
        // Check the address, the credentials and the bucket before writing anything.
        disan_store::S3Store::open(url, endpoint, region)?.ensure_bucket()?;
    }
    let config = CollectionConfig::init(dir, location, storage.unwrap_or_default())?;
    if let CatalogLocation::Postgres(url) = &config.catalog {
        // Connecting creates (or updates) the schema, and proves the connection string works.
        let mut cat = SharedCatalog::connect(url)?;
        let schema = cat.schema_version()?;
        println!(
            "{}: shared catalogue {} (schema {}); asset files in {}",
            dir.join(disan_catalog::COLLECTION_FILE).display(),
            cat.name(),
            schema,
            dir.join(disan_catalog::ASSETS_DIR).display()
        );
    } else {
        println!(
            "{}: embedded catalogue",
            dir.join(disan_catalog::COLLECTION_FILE).display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn queue(collection: &Path, command: QueueCommand, json: bool) -> anyhow::Result<ExitCode> {
    match command {
        QueueCommand::Add { paths } => {
            let report = disan_pipeline::queue_add(collection, &paths)?;
            for r in &report.unreadable {
                if let disan_pipeline::Outcome::Failed { reason } = &r.outcome {
                    eprintln!("failed: {}: {reason}", r.path);
                }
            }
            if json {
                output::print_json(&report)?;
            } else {
                println!(
                    "{} file(s) found: {} queued, {} already queued",
                    report.found, report.queued, report.already_queued
                );
            }
            Ok(if report.unreadable.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        QueueCommand::Status => {
            let mut cat = connect(collection, "disan queue status")?;
            if json {
                output::print_json(&serde_json::json!({
                    "counts": cat.queue_counts()?,
                    "files": cat.queue_rows()?,
                }))?;
            } else {
                let c = cat.queue_counts()?;
                println!(
                    "{} pending, {} being worked on, {} done, {} failed",
                    c.pending, c.claimed, c.done, c.failed
                );
                for r in cat.queue_rows()?.into_iter().filter(|r| r.state == "failed") {
                    println!("failed: {}: {}", r.path, r.message.unwrap_or_default());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn run_worker(
    collection: &Path,
    opts: &disan_pipeline::WorkerOptions,
    bar: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let show_bar = bar && !json && std::io::stderr().is_terminal();
    let progress = output::IngestProgress::new(show_bar, json);
    let report = disan_pipeline::work(collection, opts, &progress)?;
    progress.finish();
    if json {
        output::print_json(&report)?;
    } else {
        output::print_ingest_summary(&report, collection)?;
    }
    Ok(if report.summary.failed > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

pub fn worker(collection: &Path, args: WorkerArgs, json: bool) -> anyhow::Result<ExitCode> {
    build_pool(args.jobs)?;
    if !(args.lease_seconds.is_finite() && args.lease_seconds >= 1.0) {
        anyhow::bail!("--lease-seconds must be at least 1");
    }
    let opts = disan_pipeline::WorkerOptions {
        name: args.name,
        lease: Duration::from_secs_f64(args.lease_seconds),
        batch: args.batch,
        follow: args.follow,
        settings: args.settings.settings(),
        ..Default::default()
    };
    run_worker(collection, &opts, !args.no_progress, json)
}

/// `disan ingest` on a shared collection: queue the inputs, then work until the queue is empty, like one
/// worker (other workers may help).
pub fn ingest(
    collection: &Path,
    paths: &[PathBuf],
    settings: Settings,
    bar: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let added = disan_pipeline::queue_add(collection, paths)?;
    for r in &added.unreadable {
        if let disan_pipeline::Outcome::Failed { reason } = &r.outcome {
            eprintln!("failed: {}: {reason}", r.path);
        }
    }
    let opts = disan_pipeline::WorkerOptions {
        settings,
        ..Default::default()
    };
    let code = run_worker(collection, &opts, bar, json)?;
    Ok(if added.unreadable.is_empty() {
        code
    } else {
        ExitCode::from(2)
    })
}

pub fn migrate(
    collection: &Path,
    to: Option<&str>,
    storage: Option<StorageLocation>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let report = match to {
        None => None,
        Some("sqlite") => Some(disan_catalog::migrate::to_sqlite(collection)?),
        Some(url) if disan_catalog::collection::is_postgres_url(url) => {
            Some(disan_catalog::migrate::to_postgres(collection, url)?)
        }
        Some(other) => anyhow::bail!("--to {other:?}: give a postgresql:// connection string or `sqlite`"),
    };
    let moved = match storage {
        Some(target) => Some(migrate_storage(
            collection,
            target,
            !json && std::io::stderr().is_terminal(),
        )?),
        None => None,
    };
    if json {
        output::print_json(&serde_json::json!({
            "tables": report.as_ref().map(|r| &r.tables),
            "assets_moved": moved,
        }))?;
    } else {
        if let Some(report) = &report {
            for (table, rows) in &report.tables {
                println!("{table:>12}  {rows} row(s)");
            }
        }
        let config = CollectionConfig::read(collection)?;
        println!(
            "{} now uses {}{}; asset files in {}",
            collection.display(),
            match &config.catalog {
                CatalogLocation::Sqlite => "its embedded catalogue (catalog.sqlite)".to_owned(),
                CatalogLocation::Postgres(url) =>
                    format!("the shared catalogue {}", disan_catalog::shared::redact(url)),
            },
            moved.map(|n| format!(" ({n} asset(s) moved)")).unwrap_or_default(),
            match &config.storage {
                StorageLocation::Local => collection.join(disan_catalog::ASSETS_DIR).display().to_string(),
                StorageLocation::S3 { url, .. } => url.clone(),
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Moves a collection's asset files to `target`: up into object storage (every committed asset, manifest
/// last, those already there skipped), or down into the folder (`mirror`); `collection.toml` is rewritten
/// only when every asset is there. Returns how many assets were copied.
fn migrate_storage(collection: &Path, target: StorageLocation, show_bar: bool) -> anyhow::Result<u64> {
    let config = CollectionConfig::read(collection)?;
    let ids: Vec<String> = disan_catalog::Catalog::open(collection)?
        .list(None)?
        .iter()
        .map(disan_catalog::AssetRecord::id)
        .collect();
    let moved = match (&config.storage, &target) {
        (StorageLocation::Local, StorageLocation::Local) => 0,
        (StorageLocation::Local, StorageLocation::S3 { url, endpoint, region }) => {
            let store = disan_store::S3Store::open(url, endpoint, region)?;
            store.ensure_bucket()?;
            let bar = output::file_bar(show_bar, ids.len() as u64);
            let n = store.upload_collection(collection, &ids, |_| bar.inc(1))?;
            bar.finish_and_clear();
            n
        }
        (StorageLocation::S3 { .. }, StorageLocation::Local) => {
            disan_pipeline::open_store(&config)?.mirror(&ids, collection)?
        }
        (StorageLocation::S3 { url: from, .. }, StorageLocation::S3 { url: to, .. }) if from == to => 0,
        (StorageLocation::S3 { url: from, .. }, StorageLocation::S3 { url: to, .. }) => anyhow::bail!(
            "{} keeps its files in {from}; move them home first (`--storage local`), then to {to}",
            collection.display()
        ),
    };
    CollectionConfig {
        storage: target,
        ..config
    }
    .write()?;
    Ok(moved)
}

/// Downloads the committed assets of an object-storage collection into its folder; returns how many came.
pub fn mirror_assets(collection: &Path) -> anyhow::Result<u64> {
    let config = CollectionConfig::read(collection)?;
    if config.storage == StorageLocation::Local {
        return Ok(0);
    }
    let store = disan_pipeline::open_store(&config)?;
    let ids: Vec<String> = disan_catalog::Catalog::open(collection)?
        .list(None)?
        .iter()
        .map(disan_catalog::AssetRecord::id)
        .collect();
    Ok(store.mirror(&ids, collection)?)
}

pub fn mirror(collection: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let n = mirror_assets(collection)?;
    if json {
        output::print_json(&serde_json::json!({ "downloaded": n }))?;
    } else {
        println!(
            "{n} asset(s) downloaded into {}",
            collection.join(disan_catalog::ASSETS_DIR).display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
