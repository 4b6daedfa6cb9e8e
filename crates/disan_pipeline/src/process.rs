//! Identifying candidates and making assets.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use disan_catalog::{Catalog, SourceFileRecord};
use disan_core::{AssetId, AssetKind, AssetManifest, Derivative, SETTINGS_VERSION, Settings, SourceInfo};
use disan_imaging::{DecodeLimits, fit_within};

use crate::budget::MemoryBudget;
use crate::report::{FileReport, Outcome};
use crate::scan::Candidate;
use crate::{ASSETS_DIR, STAGING_DIR};

pub(crate) enum Identified {
    /// Settled without hashing (unchanged by size and time) or failed.
    Done(FileReport),
    Hashed(Hashed),
}

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

fn failed(c: &Candidate, reason: impl Into<String>) -> FileReport {
    FileReport::new(c.display.clone(), c.size, Outcome::Failed { reason: reason.into() })
}

/// What the catalogue knew at the start of the run.
pub(crate) struct Known<'a> {
    pub files: HashMap<String, SourceFileRecord>,
    pub assets: HashMap<String, u32>,
    pub collection: &'a Path,
}

impl Known<'_> {
    /// The asset is in the catalogue, made with the current settings, and its folder is complete on disk
    /// (`asset.json` is the last file moved into place): nothing to do. A folder deleted or damaged by hand
    /// is made again.
    pub fn complete(&self, id: &str) -> bool {
        self.assets.get(id) == Some(&SETTINGS_VERSION)
            && self.collection.join(ASSETS_DIR).join(id).join("asset.json").is_file()
    }
}

/// The quick unchanged check (same path, size and modification time as an asset made with the current
/// settings), else a BLAKE3 hash of the content.
pub(crate) fn identify(c: Candidate, known: &Known, settings: &Settings) -> Identified {
    if let Some(rec) = known.files.get(&c.key)
        && rec.size == c.size
        && rec.mtime_ns == c.mtime_ns
        && rec.settings_version == SETTINGS_VERSION
        && known.complete(&rec.asset_id)
    {
        let id = rec.asset_id.clone();
        return Identified::Done(FileReport::new(c.display, c.size, Outcome::Unchanged { asset_id: id }));
    }
    if c.size > settings.max_file_bytes {
        return Identified::Done(failed(
            &c,
            format!(
                "file is {} bytes, more than the {}-byte limit (raise --max-file-mib)",
                c.size, settings.max_file_bytes
            ),
        ));
    }
    let mut hasher = blake3::Hasher::new();
    let mut total = 0u64;
    match hash_file(&c.path, &mut hasher) {
        Ok(n) => total += n,
        Err(e) => return Identified::Done(failed(&c, format!("cannot read: {e}"))),
    }
    // A model's identity covers every resource it references, in order.
    match &c.model {
        Some(Err(reason)) => return Identified::Done(failed(&c, format!("model unreadable: {reason}"))),
        Some(Ok(info)) => {
            for r in &info.resources {
                match hash_file(&r.path, &mut hasher) {
                    Ok(n) => total += n,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        return Identified::Done(failed(
                            &c,
                            format!(
                                "model resource {:?} is missing ({}): copy it next to the model",
                                r.uri,
                                r.path.display()
                            ),
                        ));
                    }
                    Err(e) => {
                        return Identified::Done(failed(&c, format!("cannot read model resource {:?}: {e}", r.uri)));
                    }
                }
            }
        }
        None => {}
    }
    let digest = hasher.finalize();
    Identified::Hashed(Hashed {
        id: AssetId::from_digest(digest.as_bytes()),
        blake3: digest.to_hex().to_string(),
        total_bytes: total,
        candidate: c,
    })
}

fn hash_file(path: &Path, hasher: &mut blake3::Hasher) -> std::io::Result<u64> {
    let mut file = std::fs::File::open(path)?;
    std::io::copy(&mut file, hasher)
}

pub(crate) struct Context<'a> {
    pub collection: &'a Path,
    pub settings: &'a Settings,
    pub budget: &'a MemoryBudget,
    pub catalog: &'a Mutex<Catalog>,
    /// Where the collection is served from: IIIF service ids start with it.
    pub base_url: &'a str,
}

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
            let _ = std::fs::remove_dir_all(ctx.collection.join(STAGING_DIR).join(h.id.to_string()));
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
    let stage = ctx.collection.join(STAGING_DIR).join(h.id.to_string());
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
        let bytes = std::fs::read(&c.path).map_err(|e| format!("cannot read: {e}"))?;
        if blake3::hash(&bytes).to_hex().as_str() != h.blake3 {
            return Err("file changed while being ingested; run again".into());
        }
        build_image(ctx, h, &bytes, &stage, file_name, warnings)?
    };
    let json = serde_json::to_vec_pretty(&manifest).expect("manifests always serialise");
    write_atomic(&stage.join("asset.json"), &json).map_err(|e| format!("cannot write asset.json: {e}"))?;
    Ok(manifest)
}

fn build_image(
    ctx: &Context<'_>,
    h: &Hashed,
    bytes: &[u8],
    stage: &Path,
    file_name: String,
    warnings: &mut Vec<String>,
) -> Result<AssetManifest, String> {
    let s = ctx.settings;
    let sidecar = disan_exif::sidecar_path(&h.candidate.path).and_then(|p| match std::fs::read(&p) {
        Ok(b) => Some(b),
        Err(e) => {
            warnings.push(format!("XMP sidecar {} unreadable: {e}", p.display()));
            None
        }
    });
    let mut metadata = disan_exif::read_metadata(bytes, sidecar.as_deref());
    warnings.append(&mut metadata.warnings);
    let id = h.id.to_string();

    let limits = DecodeLimits::from(s);
    let probe = disan_imaging::probe(bytes, &limits).map_err(|e| e.to_string())?;
    let is_pano = metadata.pano.as_ref().is_some_and(|p| p.is_equirectangular())
        || (probe.width == 2 * probe.height && probe.width >= s.pano_min_width);
    let kind = if is_pano { AssetKind::Panorama } else { AssetKind::Photo };
    // Panoramas are stored upright by definition; their orientation tag is not applied.
    let orientation = if is_pano { None } else { metadata.orientation };
    let swap = disan_imaging::swaps_axes(orientation);
    let (up_w, up_h) = if swap {
        (probe.height, probe.width)
    } else {
        (probe.width, probe.height)
    };

    let deep_zoom = !is_pano && up_w.max(up_h) >= s.iiif_min_size;
    // Decoded pixels plus the resampled copies stay within the memory budget.
    let area = u64::from(probe.width) * u64::from(probe.height);
    let mut bytes_needed = probe.decode_bytes() + area;
    if is_pano {
        // Six faces of (width/π)² at the finest level, beside the source.
        bytes_needed += 6 * (u64::from(probe.width) / 3).pow(2) * 3;
    }
    if deep_zoom && swap {
        // A quarter turn copies the full image.
        bytes_needed += area * 3;
    }
    let _reservation = ctx.budget.reserve(bytes_needed);
    let mut decoded = disan_imaging::decode_rgb8(bytes, &limits).map_err(|e| e.to_string())?;
    warnings.append(&mut decoded.notes);

    let mut derivatives = BTreeMap::new();
    let mut put = |role: &str, name: &str, img: &image::RgbImage| -> Result<(), String> {
        let jpeg = disan_imaging::encode_jpeg(img, s.jpeg_quality).map_err(|e| e.to_string())?;
        write_atomic(&stage.join(name), &jpeg).map_err(|e| format!("cannot write {name}: {e}"))?;
        derivatives.insert(
            role.to_owned(),
            Derivative {
                path: name.to_owned(),
                width: Some(img.width()),
                height: Some(img.height()),
                bytes: jpeg.len() as u64,
            },
        );
        Ok(())
    };
    let mut pano_tiles = None;
    let mut iiif = None;
    if deep_zoom {
        // Tiles need every pixel upright and in sRGB; the display derivatives come from a pyramid level.
        let mut full = disan_imaging::orient(decoded.image, orientation);
        if let Err(w) = disan_imaging::to_srgb(&mut full, decoded.icc_profile.as_deref()) {
            warnings.push(w);
        }
        let service = format!("{}/assets/{id}/iiif", ctx.base_url.trim_end_matches('/'));
        let out = crate::iiif::write_iiif(full, s, &stage.join("iiif"), &service, true)?;
        let (dw, dh) = fit_within(up_w, up_h, s.display_size);
        let display = disan_imaging::resize_rgb(&out.display_source, dw, dh);
        drop(out.display_source);
        let (tw, th) = fit_within(dw, dh, s.thumb_size);
        put("thumb", "thumb.jpg", &disan_imaging::resize_rgb(&display, tw, th))?;
        put("display", "display.jpg", &display)?;
        let bytes = std::fs::metadata(stage.join("iiif/info.json"))
            .map(|m| m.len())
            .unwrap_or(0);
        derivatives.insert(
            "iiif_info".to_owned(),
            Derivative {
                path: "iiif/info.json".into(),
                width: Some(up_w),
                height: Some(up_h),
                bytes,
            },
        );
        iiif = Some(out.tiles);
    } else if is_pano {
        // Tiles need every source pixel in sRGB.
        if let Err(w) = disan_imaging::to_srgb(&mut decoded.image, decoded.icc_profile.as_deref()) {
            warnings.push(w);
        }
        let mut out = crate::pano::write_pyramid(&decoded.image, metadata.pano.as_ref(), s, &stage.join("pano"))?;
        out.tiles.config = "pano/config.json".into();
        drop(decoded);
        put("thumb", "thumb.jpg", &out.thumb)?;
        for (role, path) in [
            ("pano_preview", "pano/preview.jpg"),
            ("pano_config", "pano/config.json"),
        ] {
            let bytes = std::fs::metadata(stage.join(path)).map(|m| m.len()).unwrap_or(0);
            derivatives.insert(
                role.to_owned(),
                Derivative {
                    path: path.to_owned(),
                    width: None,
                    height: None,
                    bytes,
                },
            );
        }
        pano_tiles = Some(out.tiles);
    } else {
        // Resample first, then orient and convert colour on the small image: same result, far less work.
        let (dw, dh) = fit_within(up_w, up_h, s.display_size);
        let (sw, sh) = if swap { (dh, dw) } else { (dw, dh) };
        let mut display = disan_imaging::orient(disan_imaging::resize_rgb(&decoded.image, sw, sh), orientation);
        drop(decoded.image);
        if let Err(w) = disan_imaging::to_srgb(&mut display, decoded.icc_profile.as_deref()) {
            warnings.push(w);
        }
        let (tw, th) = fit_within(dw, dh, s.thumb_size);
        let thumb = disan_imaging::resize_rgb(&display, tw, th);
        put("thumb", "thumb.jpg", &thumb)?;
        put("display", "display.jpg", &display)?;
    }
    Ok(AssetManifest {
        id: h.id,
        kind,
        source: SourceInfo {
            file_name,
            bytes: h.total_bytes,
            blake3: h.blake3.clone(),
            format: probe.format.into(),
        },
        width: Some(up_w),
        height: Some(up_h),
        icc_profile: probe
            .icc_profile
            .as_deref()
            .map(|icc| disan_imaging::icc_description(icc).unwrap_or_else(|| "unnamed".into())),
        metadata,
        derivatives,
        model: None,
        pano_tiles,
        iiif,
        settings_version: SETTINGS_VERSION,
    })
}

/// Renames the staged folder into `assets/<id>` and commits the catalogue row.
fn publish(ctx: &Context<'_>, h: &Hashed, manifest: &AssetManifest) -> Result<(), String> {
    let id = h.id.to_string();
    let stage = ctx.collection.join(STAGING_DIR).join(&id);
    let dest = ctx.collection.join(ASSETS_DIR).join(&id);
    if dest.exists() {
        // Made by an older version, or by a run killed before its catalogue commit: replace it.
        let old = ctx.collection.join(STAGING_DIR).join(format!("{id}.old"));
        std::fs::rename(&dest, &old).map_err(|e| format!("cannot move old {}: {e}", dest.display()))?;
        std::fs::rename(&stage, &dest).map_err(|e| format!("cannot move asset into place: {e}"))?;
        let _ = std::fs::remove_dir_all(&old);
    } else {
        std::fs::rename(&stage, &dest).map_err(|e| format!("cannot move asset into place: {e}"))?;
    }
    sync_dir(&ctx.collection.join(ASSETS_DIR));
    let mut catalog = ctx.catalog.lock().unwrap_or_else(|e| e.into_inner());
    catalog
        .commit_asset(manifest, &h.candidate.key, h.candidate.mtime_ns)
        .map_err(|e| format!("catalogue: {e}"))
}

/// Writes `bytes` to a temporary file beside `path`, flushes it to disk and renames it into place.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}
