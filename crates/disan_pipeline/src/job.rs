//! What every asset builder (photo, panorama, model) is given: the identified file and the run's context.

use std::path::Path;
use std::sync::Mutex;

use disan_catalog::AssetSink;
use disan_core::{AssetId, Settings};

use crate::budget::MemoryBudget;
use crate::report::{FileReport, Outcome};
use crate::scan::Candidate;

/// A candidate identified by its content.
pub(crate) struct Hashed {
    pub candidate: Candidate,
    pub id: AssetId,
    pub blake3: String,
    /// Bytes of the file plus its resources.
    pub total_bytes: u64,
}

impl Hashed {
    pub(crate) fn report(&self, outcome: Outcome) -> FileReport {
        FileReport::new(self.candidate.display.clone(), self.candidate.size, outcome)
    }
}

/// The run, as every builder sees it.
pub(crate) struct Context<'a> {
    pub collection: &'a Path,
    pub settings: &'a Settings,
    pub budget: &'a MemoryBudget,
    /// Where assets are assembled before being renamed into `assets/` (one folder per worker).
    pub staging: &'a Path,
    /// Where finished assets go (the collection folder, or object storage).
    pub store: &'a disan_store::Store,
    pub catalog: &'a Mutex<dyn AssetSink + 'a>,
    /// Where the collection is served from: IIIF service ids start with it.
    pub base_url: &'a str,
}
