//! Making one asset: the builder for its kind fills a staging folder, which is renamed into place before
//! the catalogue row is committed.

use disan_core::AssetManifest;
use disan_fs::write_atomic;

use crate::ASSETS_DIR;
use crate::job::{Context, Hashed};
use crate::report::{FileReport, Outcome};

/// Makes one asset: derivatives and manifest into the staging folder, the folder renamed into place,
/// then the catalogue row. Never panics on input; every problem is the file's outcome.
pub(crate) fn make_asset(ctx: &Context<'_>, h: Hashed) -> FileReport {
    let _span = tracing::info_span!("asset", id = %h.id, path = %h.candidate.display).entered();
    let mut warnings = Vec::new();
    let mut validation = None;
    let result = crate::guard(|| build(ctx, &h, &mut warnings, &mut validation)).and_then(|manifest| {
        publish(ctx, &h, &manifest)?;
        Ok(manifest.kind)
    });
    let outcome = match result {
        Ok(kind) => Outcome::Ingested {
            asset_id: h.id.to_string(),
            kind,
        },
        Err(reason) => {
            // Metadata warnings about a file that could not be ingested only bury the reason.
            warnings.clear();
            let _ = std::fs::remove_dir_all(ctx.staging.join(h.id.to_string()));
            tracing::debug!(%reason, "file not ingested");
            Outcome::Failed { reason }
        }
    };
    FileReport {
        warnings,
        validation,
        ..h.report(outcome)
    }
}

fn build(
    ctx: &Context<'_>,
    h: &Hashed,
    warnings: &mut Vec<String>,
    validation: &mut Option<disan_model::Report>,
) -> Result<AssetManifest, String> {
    let c = &h.candidate;
    let stage = ctx.staging.join(h.id.to_string());
    if stage.exists() {
        std::fs::remove_dir_all(&stage).map_err(|e| format!("cannot clear staging folder: {e}"))?;
    }
    std::fs::create_dir_all(&stage).map_err(|e| format!("cannot create staging folder: {e}"))?;
    let file_name = c
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();

    let manifest = if let Some(Ok(model)) = &c.model {
        crate::model::build_model(ctx, h, model, &stage, file_name, warnings, validation)?
    } else {
        let bytes = read_source(&c.path, c.size).map_err(|e| format!("cannot read: {e}"))?;
        if blake3::hash(&bytes).to_hex().as_str() != h.blake3 {
            return Err("file changed while being ingested; run again".into());
        }
        let built = crate::photo::build_image(ctx, h, &bytes, &stage, file_name, warnings);
        disan_imaging::buffers::give_back(bytes);
        built?
    };
    let json = serde_json::to_vec_pretty(&manifest).expect("manifests always serialise");
    write_atomic(&stage.join("asset.json"), &json).map_err(|e| format!("cannot write asset.json: {e}"))?;
    Ok(manifest)
}

/// A source file's bytes. One of photo size is read into a buffer this thread kept from its last photo (no
/// fresh pages to fault in; give it back after); a larger one as `std::fs::read` does, which reports a size it
/// cannot allocate (a sparse file claiming terabytes) as an error instead of aborting.
fn read_source(path: &std::path::Path, size: u64) -> std::io::Result<Vec<u8>> {
    match usize::try_from(size) {
        Ok(len) if len <= disan_imaging::buffers::MAX_KEPT_BYTES => {
            let mut bytes = disan_imaging::buffers::take(len);
            bytes.clear();
            std::io::Read::read_to_end(&mut std::fs::File::open(path)?, &mut bytes)?;
            Ok(bytes)
        }
        _ => std::fs::read(path),
    }
}

/// Renames the staged folder into `assets/<id>` and commits the catalogue row.
fn publish(ctx: &Context<'_>, h: &Hashed, manifest: &AssetManifest) -> Result<(), String> {
    let id = h.id.to_string();
    let stage = ctx.staging.join(&id);
    let dest = ctx.collection.join(ASSETS_DIR).join(&id);
    // A folder already there was made by an older version, or by a run killed before its catalogue
    // commit: it is replaced.
    let old = ctx.staging.join(format!("{id}.old"));
    match ctx.store {
        disan_store::Store::Local(_) => {
            disan_fs::swap_in(&stage, &dest, &old).map_err(|e| format!("cannot move asset into place: {e}"))?;
        }
        // No rename on an object store: every file, then asset.json, then the catalogue row.
        disan_store::Store::S3(s3) => s3.upload_asset(&id, &stage).map_err(|e| e.to_string())?,
    }
    let mut catalog = ctx.catalog.lock().unwrap_or_else(|e| e.into_inner());
    catalog
        .commit_asset(manifest, &h.candidate.key, h.candidate.mtime_ns)
        .map_err(|e| format!("catalogue: {e}"))?;
    if let disan_store::Store::S3(_) = ctx.store {
        let _ = std::fs::remove_dir_all(&stage);
    }
    Ok(())
}
