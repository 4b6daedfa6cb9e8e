//! Photos and panoramas: decode under the memory budget, resample, orient, convert to sRGB, and write the
//! derivatives (and the panorama pyramid or IIIF tiles) into the staging folder.

use std::collections::BTreeMap;
use std::path::Path;

use disan_core::{AssetKind, AssetManifest, Derivative, SETTINGS_VERSION, SourceInfo};
use disan_fs::write_atomic;
use disan_imaging::{DecodeLimits, fit_within};

use crate::job::{Context, Hashed};

pub(crate) fn build_image(
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
    // A sequential JPEG may exceed `max_pixels` when it is tiled strip by strip (checked below).
    let probe = disan_imaging::probe_for_tiles(bytes, &limits).map_err(|e| e.to_string())?;
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
    // Deep zoom of an upright sequential JPEG decodes it strip by strip, never whole.
    let stream =
        deep_zoom && disan_imaging::is_upright(orientation) && disan_imaging::JpegRows::size_of(bytes).is_some();
    let area = u64::from(probe.width) * u64::from(probe.height);
    if !stream && area > s.max_pixels {
        return Err(disan_imaging::ImagingError::TooLarge {
            width: probe.width,
            height: probe.height,
            max_pixels: s.max_pixels,
        }
        .to_string());
    }
    if stream {
        let _reservation = ctx.budget.reserve(crate::iiif::stream_bytes(probe.width, s));
        let service = format!("{}/assets/{id}/iiif", ctx.base_url.trim_end_matches('/'));
        let out = crate::iiif::write_iiif_jpeg(bytes, s, &stage.join("iiif"), &service, true, warnings)?;
        let mut derivatives = BTreeMap::new();
        deep_zoom_derivatives(&out, (up_w, up_h), s, stage, &mut derivatives)?;
        return Ok(manifest(
            h,
            kind,
            file_name,
            &probe,
            (up_w, up_h),
            metadata,
            derivatives,
            None,
            Some(out.tiles),
        ));
    }
    // Decoded pixels plus the resampled copies stay within the memory budget.
    let mut bytes_needed = probe.decode_bytes() + area;
    if is_pano {
        // One face of (width/π)² at the finest level and its next level, beside the source (faces go one at a
        // time).
        bytes_needed += 2 * (u64::from(probe.width) / 3).pow(2) * 3;
    }
    if deep_zoom && swap {
        // A quarter turn copies the full image.
        bytes_needed += area * 3;
    }
    let _reservation = ctx.budget.reserve(bytes_needed);
    // A photo that gets only its display and thumbnail is decoded no larger than the display needs where a
    // DCT scale of 1/2, 3/8, 1/4 or 1/8 covers it (shrink-on-load; a 2048 px display from a 24 MP capture with deep
    // zoom turned off), else whole by libjpeg-turbo as well (an 8–12 MP phone photo); tiles need every pixel.
    let mut decoded = if deep_zoom || is_pano {
        disan_imaging::decode_rgb8(bytes, &limits)
    } else {
        let (dw, dh) = fit_within(up_w, up_h, s.display_size);
        let (sw, sh) = if swap { (dh, dw) } else { (dw, dh) };
        disan_imaging::decode_rgb8_at_least(bytes, &limits, sw, sh)
    }
    .map_err(|e| e.to_string())?;
    warnings.append(&mut decoded.notes);

    let mut derivatives = BTreeMap::new();
    let mut put = |role: &str, name: &str, img: &image::RgbImage| put_jpeg(stage, s, &mut derivatives, role, name, img);
    let mut pano_tiles = None;
    let mut iiif = None;
    if deep_zoom {
        // Tiles need every pixel upright and in sRGB; the display derivatives come from a pyramid level.
        let mut full = disan_imaging::orient(decoded.image, orientation);
        if let Err(w) = disan_imaging::to_srgb(&mut full, decoded.icc_profile.as_deref()) {
            warnings.push(w.to_string());
        }
        let service = format!("{}/assets/{id}/iiif", ctx.base_url.trim_end_matches('/'));
        let out = crate::iiif::write_iiif(full, s, &stage.join("iiif"), &service, true)?;
        deep_zoom_derivatives(&out, (up_w, up_h), s, stage, &mut derivatives)?;
        iiif = Some(out.tiles);
    } else if is_pano {
        // Tiles need every source pixel in sRGB.
        if let Err(w) = disan_imaging::to_srgb(&mut decoded.image, decoded.icc_profile.as_deref()) {
            warnings.push(w.to_string());
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
        disan_imaging::buffers::give_back(decoded.image.into_raw());
        if let Err(w) = disan_imaging::to_srgb(&mut display, decoded.icc_profile.as_deref()) {
            warnings.push(w.to_string());
        }
        let (tw, th) = fit_within(dw, dh, s.thumb_size);
        let thumb = disan_imaging::resize_rgb(&display, tw, th);
        put("thumb", "thumb.jpg", &thumb)?;
        put("display", "display.jpg", &display)?;
        disan_imaging::buffers::give_back(display.into_raw());
    }
    Ok(manifest(
        h,
        kind,
        file_name,
        &probe,
        (up_w, up_h),
        metadata,
        derivatives,
        pano_tiles,
        iiif,
    ))
}

/// Encodes a derivative at the derivative quality, writes it atomically into the stage and records it.
fn put_jpeg(
    stage: &Path,
    s: &disan_core::Settings,
    derivatives: &mut BTreeMap<String, Derivative>,
    role: &str,
    name: &str,
    img: &image::RgbImage,
) -> Result<(), String> {
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
    disan_imaging::buffers::give_back(jpeg);
    Ok(())
}

/// The display and thumbnail from a deep-zoom pyramid's display level, and the `iiif_info` entry.
fn deep_zoom_derivatives(
    out: &crate::iiif::IiifOutput,
    (up_w, up_h): (u32, u32),
    s: &disan_core::Settings,
    stage: &Path,
    derivatives: &mut BTreeMap<String, Derivative>,
) -> Result<(), String> {
    let (dw, dh) = fit_within(up_w, up_h, s.display_size);
    let display = disan_imaging::resize_rgb(&out.display_source, dw, dh);
    let (tw, th) = fit_within(dw, dh, s.thumb_size);
    put_jpeg(
        stage,
        s,
        derivatives,
        "thumb",
        "thumb.jpg",
        &disan_imaging::resize_rgb(&display, tw, th),
    )?;
    put_jpeg(stage, s, derivatives, "display", "display.jpg", &display)?;
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
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn manifest(
    h: &Hashed,
    kind: AssetKind,
    file_name: String,
    probe: &disan_imaging::Probe,
    (up_w, up_h): (u32, u32),
    metadata: disan_core::CaptureMetadata,
    derivatives: BTreeMap<String, Derivative>,
    pano_tiles: Option<disan_core::PanoTiles>,
    iiif: Option<disan_core::IiifTiles>,
) -> AssetManifest {
    AssetManifest {
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
    }
}
