use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{AssetId, AssetKind, CaptureMetadata};

/// Where an asset came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// The original's file name (no folder: folders differ between machines).
    pub file_name: String,
    /// Size of the original in bytes (for a `.gltf`, of the file and every resource it references).
    pub bytes: u64,
    /// Full BLAKE3 digest, hex.
    pub blake3: String,
    /// Detected container format (`jpeg`, `png`, `tiff`, `webp`, `glb`, `gltf`, `obj`).
    pub format: String,
}

/// One file the pipeline made for an asset, relative to the asset's folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Derivative {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    pub bytes: u64,
}

/// What a model file holds, counted without validation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelSummary {
    pub meshes: u32,
    pub primitives: u32,
    pub nodes: u32,
    pub materials: u32,
    pub textures: u32,
    /// Resources the model references (buffers, images, material libraries), in order.
    pub resources: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extensions_required: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator: Option<String>,
    /// Triangles drawn by `model.glb` (after welding; instances counted each time).
    #[serde(default)]
    pub triangles: u64,
    /// Vertices stored in `model.glb`.
    #[serde(default)]
    pub vertices: u64,
    /// Width and height of each embedded texture image.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub texture_sizes: Vec<[u32; 2]>,
    /// Estimated GPU memory for `model.glb`: vertex and index buffers plus RGBA8 textures with mipmaps.
    #[serde(default)]
    pub gpu_bytes: u64,
    /// World-space bounding box `[min, max]`, in the model's units (metres, by the glTF convention).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bounds: Option<[[f32; 3]; 2]>,
    /// A real-world scale or unit the file states (glTF `asset.extras`), as written there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stated_scale: Option<String>,
    /// The simplified levels of detail, finest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lods: Vec<LodSummary>,
    /// Validation findings kept in `model/report.json`.
    #[serde(default)]
    pub validation_warnings: u32,
}

/// One level of detail (`model/lod1.glb`, …).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LodSummary {
    /// File name inside `model/`.
    pub file: String,
    /// Share of the triangles aimed at, and the error bound (relative to the bounding-box diagonal).
    pub target_ratio: f32,
    pub max_error: f32,
    pub triangles: u64,
    pub vertices: u64,
    /// Error meshoptimizer reports for the result, relative to the bounding-box diagonal.
    pub error: f32,
    /// Longest texture side in this level.
    pub texture_side: u32,
    pub bytes: u64,
}

/// The tile pyramid of a panorama (`pano/`), as Pannellum's multires configuration describes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PanoTiles {
    /// Face size at the finest level.
    pub cube_resolution: u32,
    pub tile_resolution: u32,
    pub max_level: u32,
    /// Tile files over all faces and levels.
    pub tiles: u64,
    /// Pannellum configuration, relative to the asset folder (to the output folder for `disan pano`).
    pub config: String,
}

/// The IIIF Image API 3 level-0 service of a large photo (`iiif/`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IiifTiles {
    /// `info.json`, relative to the asset folder (to the output folder for `disan tiles`).
    pub info: String,
    pub tile_size: u32,
    pub scale_factors: Vec<u32>,
    /// Whole-image sizes under `full/`, smallest first; the last is also `full/max`.
    pub sizes: Vec<[u32; 2]>,
    /// Tile files over all levels.
    pub tiles: u64,
}

/// `assets/<id>/asset.json`: the manifest of one asset (a contract, see docs/cli.md).
///
/// It holds nothing that changes between two runs over the same input with the same settings (no
/// timestamps), so an interrupted and resumed run writes the same bytes as an uninterrupted one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AssetManifest {
    pub id: AssetId,
    pub kind: AssetKind,
    pub source: SourceInfo,
    /// Upright dimensions (after EXIF orientation) for images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Embedded colour profile description, when the source had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icc_profile: Option<String>,
    pub metadata: CaptureMetadata,
    /// Derivatives by role (`thumb`, `display`, …).
    pub derivatives: BTreeMap<String, Derivative>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelSummary>,
    /// Panoramas: the cube tile pyramid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pano_tiles: Option<PanoTiles>,
    /// Large photos: the IIIF deep-zoom service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iiif: Option<IiifTiles>,
    /// The pipeline settings version the derivatives were made with.
    pub settings_version: u32,
}

#[cfg(test)]
mod fuzz_regressions {
    use super::AssetManifest;

    /// `fuzz/` target `manifest`: a longitude of 11.885394999997224 read back as …223 and so wrote different
    /// bytes, because serde_json's default float parser is not correctly rounded. The workspace enables its
    /// `float_roundtrip` feature; a manifest read and written again must not change.
    #[test]
    fn manifests_round_trip_exactly() {
        let text = include_str!("../tests/fuzz/manifest-float-roundtrip.json");
        let m: AssetManifest = serde_json::from_str(text).unwrap();
        let again: AssetManifest = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(again, m);
    }
}
