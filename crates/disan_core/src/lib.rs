//! Disan domain types: asset ids and kinds, multilingual text, capture metadata, the asset manifest
//! and ingest settings. Pure data; no IO.

mod capture;
mod id;
mod manifest;
mod metadata;
mod settings;
mod text;

pub use capture::{CaptureMetadata, GeoPoint, PanoInfo};
pub use id::{AssetId, AssetKind, ParseIdError, UnknownKind};
pub use manifest::{AssetManifest, Derivative, IiifTiles, LodSummary, ModelSummary, PanoTiles, SourceInfo};
pub use metadata::{Metadata, REQUIRED_LANGS, parse_focus};
pub use settings::{SETTINGS_VERSION, Settings};
pub use text::{LangText, fold_for_search, html_escape, nfc};
