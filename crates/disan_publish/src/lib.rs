//! Disan's exports, in one place: IIIF Presentation 3, schema.org JSON-LD and Dublin Core from the
//! catalogue (`exports`), tours for the web (`tour`), the collection's public base URL (`base_url`) and the
//! bundled web viewers (`web`), and the collection as a website (`site`: `disan web build|serve`). Every export folder is replaced whole ([`disan_fs::replace_dir`]).

mod base_url;
mod exports;
mod share;
mod share_audio;
mod share_video;
pub mod site;
mod tour;
pub mod web;

pub use base_url::{BaseUrlReport, set_base_url};
pub use exports::{ExportFormat, ExportSummary, default_dir as default_export_dir, export};
pub use share::{ShareFormat, ShareItem, ShareOptions, ShareReport, share};
pub use share_video::ModelRenderer;
pub use site::{ServeOptions, SiteOptions, SiteReport, build_site, serve};
pub use tour::{ScenePyramid, TourFormat, export_tour, html_escape, pick as pick_text, scene_pyramid, scene_title};

use std::path::PathBuf;

use disan_catalog::CatalogError;
use disan_fs::FsError;

/// What can stop an export.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Fs(#[from] FsError),
    /// A file of the collection that an export reads is damaged or not what Disan wrote.
    #[error("{path}: {reason}")]
    BadFile { path: PathBuf, reason: String },
    /// A panorama's tile pyramid cannot be used as it is.
    #[error("{asset}: {reason}")]
    BadPyramid { asset: String, reason: String },
    #[error("{0} has no panorama tiles")]
    NoPyramid(String),
    #[error("{what}: cannot encode: {reason}")]
    Encode { what: String, reason: String },
    #[error("{what}: cannot render: {reason}")]
    Render { what: String, reason: String },
    #[error("base URL {0:?} must be an absolute http:// or https:// URL without query or fragment")]
    BadBaseUrl(String),
    #[error("{0:?}: the website's languages are vi, en and zh-Hans")]
    BadLanguage(String),
    #[error("{0}")]
    BadOption(String),
    /// What stopped a video made in one pass with other languages' (a turntable drawn once for all of them),
    /// as reported for each of them.
    #[error("{0}")]
    Together(String),
}

pub type Result<T, E = PublishError> = std::result::Result<T, E>;

/// A name given on the command line that is not one of the choices.
#[derive(Debug, thiserror::Error)]
#[error("{given:?}: {what} are {choices}")]
pub struct UnknownChoice {
    pub given: String,
    pub what: &'static str,
    pub choices: &'static str,
}
