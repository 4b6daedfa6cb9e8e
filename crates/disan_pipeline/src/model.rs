//! Models: validate, pack into `model/model.glb` with `lod1.glb`/`lod2.glb`, keep `model/report.json`,
//! and render `thumb.jpg` headless.

use std::collections::BTreeMap;
use std::path::Path;

use disan_core::{AssetKind, AssetManifest, Derivative, ModelSummary, SETTINGS_VERSION, SourceInfo};
use disan_model::{Limits, ModelInfo, Report};

use crate::job::{Context, Hashed};
use disan_fs::write_atomic;

/// Warnings copied into the run report (all of them stay in `report.json`).
const MAX_WARNINGS: usize = 8;

/// Makes a model asset in `stage`. On a validation failure the report comes back in `validation`.
pub(crate) fn build_model(
    ctx: &Context<'_>,
    h: &Hashed,
    model: &ModelInfo,
    stage: &Path,
    file_name: String,
    warnings: &mut Vec<String>,
    validation: &mut Option<Report>,
) -> Result<AssetManifest, String> {
    let c = &h.candidate;
    let bytes = std::fs::read(&c.path).map_err(|e| format!("cannot read: {e}"))?;
    let dir = c.path.parent().unwrap_or(Path::new("."));
    // Geometry and textures decoded take several times the file's size.
    let _reservation = ctx.budget.reserve(h.total_bytes.saturating_mul(6));
    let limits = Limits {
        max_resource_bytes: ctx.settings.max_file_bytes,
    };
    let (report, scene) = disan_model::read_scene(&bytes, model.format, &file_name, dir, limits);
    drop(bytes);
    let Some(scene) = scene else {
        let summary = report.error_summary();
        *validation = Some(report);
        return Err(summary);
    };
    let model_dir = stage.join("model");
    std::fs::create_dir_all(&model_dir).map_err(|e| format!("cannot create model folder: {e}"))?;
    let notes: Vec<String> = report.warnings().map(disan_model::Issue::short).collect();
    for w in notes.iter().take(MAX_WARNINGS) {
        warnings.push(w.clone());
    }
    if notes.len() > MAX_WARNINGS {
        warnings.push(format!(
            "and {} more warnings in model/report.json",
            notes.len() - MAX_WARNINGS
        ));
    }
    let generator = concat!("Disan ", env!("CARGO_PKG_VERSION"));
    let package = disan_model::package(scene, generator).map_err(|e| e.to_string())?;

    let mut derivatives = BTreeMap::new();
    let mut put = |role: &str, name: &str, data: &[u8]| -> Result<(), String> {
        write_atomic(&stage.join(name), data).map_err(|e| format!("cannot write {name}: {e}"))?;
        derivatives.insert(
            role.to_owned(),
            Derivative {
                path: name.to_owned(),
                width: None,
                height: None,
                bytes: data.len() as u64,
            },
        );
        Ok(())
    };
    put("model", "model/model.glb", &package.model)?;
    for (file, data, _) in &package.lods {
        let role = format!("model_{}", file.trim_end_matches(".glb"));
        put(&role, &format!("model/{file}"), data)?;
    }
    let report_json = serde_json::to_vec_pretty(&report).expect("reports serialise");
    put("model_report", "model/report.json", &report_json)?;

    // The thumbnail is drawn from the first LOD: the same look, far less to upload.
    let thumb_scene = package.lods.first().map_or(&package.scene, |(_, _, s)| s);
    match render_thumb(thumb_scene, ctx.settings.thumb_size) {
        Ok(img) => {
            let jpeg = disan_imaging::encode_jpeg(&img, ctx.settings.jpeg_quality).map_err(|e| e.to_string())?;
            write_atomic(&stage.join("thumb.jpg"), &jpeg).map_err(|e| format!("cannot write thumb.jpg: {e}"))?;
            derivatives.insert(
                "thumb".into(),
                Derivative {
                    path: "thumb.jpg".into(),
                    width: Some(img.width()),
                    height: Some(img.height()),
                    bytes: jpeg.len() as u64,
                },
            );
        }
        Err(e) => warnings.push(format!("no thumbnail: {e}")),
    }

    let summary = ModelSummary {
        triangles: package.triangles,
        vertices: package.vertices,
        texture_sizes: package.texture_sizes.clone(),
        gpu_bytes: package.gpu_bytes,
        bounds: package.bounds,
        stated_scale: package.scene.stated_scale.clone(),
        lods: package.lod_summaries.clone(),
        validation_warnings: report.issues.num_warnings as u32,
        materials: package.scene.materials.len() as u32,
        ..model.summary.clone()
    };
    Ok(AssetManifest {
        id: h.id,
        kind: AssetKind::Model,
        source: SourceInfo {
            file_name,
            bytes: h.total_bytes,
            blake3: h.blake3.clone(),
            format: model.format.as_str().into(),
        },
        width: None,
        height: None,
        icc_profile: None,
        metadata: Default::default(),
        derivatives,
        model: Some(summary),
        pano_tiles: None,
        iiif: None,
        settings_version: SETTINGS_VERSION,
    })
}

/// A square thumbnail on a neutral background, camera framed on the bounds.
pub(crate) fn render_thumb(scene: &disan_model::Scene, size: u32) -> Result<image::RgbImage, String> {
    let gpu = disan_render::Gpu::shared().map_err(|e| e.to_string())?;
    let view = disan_render::View {
        width: size,
        height: size,
        ..Default::default()
    };
    let rgba = disan_render::render_scene(&gpu, scene, &view).map_err(|e| e.to_string())?;
    Ok(image::DynamicImage::ImageRgba8(rgba).to_rgb8())
}
