//! `disan-viewer`: the desktop viewer for tourists and kiosks (eframe/egui on wgpu). It reads a collection
//! folder through `disan_catalog` and never depends on the pipeline.

pub mod app;
pub mod collection;
pub mod curate;
pub mod curator;
pub mod deepzoom;
pub mod fonts;
pub mod i18n;
pub mod map;
pub mod model;
pub mod narration;
pub mod pano;
pub mod textures;

pub use app::{HomeView, Options, ViewerApp};
pub use collection::Collection;
pub use i18n::Lang;
