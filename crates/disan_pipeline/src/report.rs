//! The run report: `runs/<run-id>.json`, one entry per file, sorted by path.

use std::path::Path;

use disan_catalog::{RunCounts, RunFileRow};
use disan_core::{AssetKind, SETTINGS_VERSION, Settings};
use serde::{Deserialize, Serialize};

use crate::{IngestRequest, PipelineError, RUNS_DIR};

/// What happened to one file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Made (or remade) into an asset.
    Ingested { asset_id: String, kind: AssetKind },
    /// Already in the collection, made with the current settings: nothing done.
    Unchanged { asset_id: String },
    /// The same bytes as another file of this run or of the collection.
    Duplicate { asset_id: String, of: String },
    /// Not ingested; `reason` says why and what to do.
    Failed { reason: String },
    /// Not a capture (a text file, a model's texture): deliberately left alone.
    Ignored { reason: String },
}

impl Outcome {
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Ingested { .. } => "ingested",
            Outcome::Unchanged { .. } => "unchanged",
            Outcome::Duplicate { .. } => "duplicate",
            Outcome::Failed { .. } => "failed",
            Outcome::Ignored { .. } => "ignored",
        }
    }

    pub fn asset_id(&self) -> Option<&str> {
        match self {
            Outcome::Ingested { asset_id, .. }
            | Outcome::Unchanged { asset_id }
            | Outcome::Duplicate { asset_id, .. } => Some(asset_id),
            _ => None,
        }
    }
}

/// One file's line in the report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileReport {
    pub path: String,
    pub bytes: u64,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Problems that did not stop the file (unreadable EXIF, an ICC profile that could not be applied).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Models that failed validation: the whole report (Khronos glTF-Validator shape).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<disan_model::Report>,
}

impl FileReport {
    pub fn new(path: String, bytes: u64, outcome: Outcome) -> Self {
        Self {
            path,
            bytes,
            outcome,
            warnings: Vec::new(),
            validation: None,
        }
    }
}

/// How the run went as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Every candidate is in the collection.
    Ok,
    /// Some files failed; the others are in.
    SomeFailed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Ok => "ok",
            RunStatus::SomeFailed => "some_failed",
        }
    }
}

/// Counts by outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub files: u64,
    pub ingested: u64,
    pub unchanged: u64,
    pub duplicates: u64,
    pub failed: u64,
    pub ignored: u64,
}

/// `runs/<run-id>.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunReport {
    pub run_id: String,
    pub started_at: String,
    pub finished_at: String,
    pub collection: String,
    pub inputs: Vec<String>,
    pub settings_version: u32,
    pub settings: Settings,
    pub status: RunStatus,
    pub summary: Counts,
    /// Sites suggested for the captures with GPS (see `disan site suggest`).
    #[serde(default)]
    pub sites: disan_catalog::SuggestReport,
    /// The run as a page for people (`runs/<run-id>.html`), relative to the collection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    pub files: Vec<FileReport>,
}

impl RunReport {
    pub(crate) fn new(run_id: String, started_at: String, req: &IngestRequest, files: Vec<FileReport>) -> Self {
        let mut c = Counts::default();
        for f in &files {
            match f.outcome {
                Outcome::Ingested { .. } => c.ingested += 1,
                Outcome::Unchanged { .. } => c.unchanged += 1,
                Outcome::Duplicate { .. } => c.duplicates += 1,
                Outcome::Failed { .. } => c.failed += 1,
                Outcome::Ignored { .. } => c.ignored += 1,
            }
        }
        c.files = files.len() as u64;
        Self {
            run_id,
            started_at,
            finished_at: disan_catalog::now(),
            collection: req.collection.to_string_lossy().into_owned(),
            inputs: req.inputs.iter().map(|p| p.to_string_lossy().into_owned()).collect(),
            settings_version: SETTINGS_VERSION,
            settings: req.settings.clone(),
            status: if c.failed > 0 {
                RunStatus::SomeFailed
            } else {
                RunStatus::Ok
            },
            summary: c,
            sites: Default::default(),
            page: None,
            files,
        }
    }

    pub fn failures(&self) -> impl Iterator<Item = (&str, &str)> {
        self.files.iter().filter_map(|f| match &f.outcome {
            Outcome::Failed { reason } => Some((f.path.as_str(), reason.as_str())),
            _ => None,
        })
    }

    pub(crate) fn counts(&self) -> RunCounts {
        let s = &self.summary;
        RunCounts {
            files: s.files,
            ingested: s.ingested,
            unchanged: s.unchanged,
            duplicates: s.duplicates,
            failed: s.failed,
        }
    }

    pub(crate) fn catalog_rows(&self) -> Vec<RunFileRow> {
        self.files
            .iter()
            .map(|f| RunFileRow {
                path: f.path.clone(),
                outcome: f.outcome.label().to_owned(),
                asset_id: f.outcome.asset_id().map(str::to_owned),
                message: match &f.outcome {
                    Outcome::Failed { reason } | Outcome::Ignored { reason } => Some(reason.clone()),
                    Outcome::Duplicate { of, .. } => Some(format!("same content as {of}")),
                    _ if !f.warnings.is_empty() => Some(f.warnings.join("; ")),
                    _ => None,
                },
            })
            .collect()
    }

    /// Path of this report inside the collection.
    pub fn relative_path(&self) -> String {
        format!("{RUNS_DIR}/{}.json", self.run_id)
    }

    /// Writes the run page (`runs/<run-id>.html`, with the map's sites and in `lang`) and then this report.
    pub(crate) fn write_with_page(
        &mut self,
        collection: &Path,
        sites: &[crate::run_page::MapSite],
        lang: &str,
    ) -> Result<(), PipelineError> {
        let page = crate::run_page::write(self, collection, sites, lang).map_err(|source| PipelineError::Io {
            path: collection.join(RUNS_DIR),
            source,
        })?;
        self.page = Some(page);
        self.write(collection)
    }

    pub(crate) fn write(&self, collection: &Path) -> Result<(), PipelineError> {
        let path = collection.join(self.relative_path());
        let json = serde_json::to_vec_pretty(self).expect("reports always serialise");
        Ok(disan_fs::write_atomic(&path, &json)?)
    }
}

/// A run id that sorts by time: `20261123T104800Z-3fa2`.
pub(crate) fn run_id(started_at: &str) -> String {
    let compact: String = started_at
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(15)
        .collect();
    let salt = blake3::hash(format!("{started_at}{}", std::process::id()).as_bytes()).to_hex();
    format!("{compact}Z-{}", &salt[..4])
}
