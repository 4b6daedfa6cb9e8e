//! Panoramas to Pannellum multires pyramids, one face at a time (one face's pyramid beside the source), with
//! the work spread over the rayon pool: face bands first, then every tile of a level.

use std::path::Path;

use disan_core::{PanoInfo, PanoTiles, Settings};
use disan_tiles::{CubeLayout, EquiSource, Face};
use image::RgbImage;
use rayon::prelude::*;

use disan_fs::write_atomic;

/// Rows of a face rendered as one unit of work.
const BAND: u32 = 32;
/// Fallback faces (for browsers without enough texture size) are at most this size.
const FALLBACK: u32 = 1024;
/// Width of the equirectangular `preview.jpg`.
const PREVIEW_WIDTH: u32 = 1024;

/// What [`write_pyramid`] wrote, besides the tiles.
pub(crate) struct PanoOutput {
    pub tiles: PanoTiles,
    pub thumb: RgbImage,
}

/// Writes a pyramid folder (config.json, tiles, fallback faces, preview.jpg) at `pano_dir` and returns the
/// summary and a rectilinear thumbnail.
pub(crate) fn write_pyramid(
    equirect: &RgbImage,
    pano: Option<&PanoInfo>,
    settings: &Settings,
    pano_dir: &Path,
) -> Result<PanoOutput, String> {
    let src = EquiSource::new(equirect, pano);
    let layout = CubeLayout::for_equirect_width(src.full_width().round() as u32, settings.tile_size);
    let write = |rel: &str, img: &RgbImage, quality: u8| -> Result<(), String> {
        let jpeg = disan_imaging::encode_jpeg(img, quality).map_err(|e| e.to_string())?;
        // Tiles are flushed but not renamed: in a collection the staging folder is renamed whole.
        disan_fs::write_new(&pano_dir.join(rel), &jpeg, true).map_err(|e| format!("cannot write {rel}: {e}"))
    };

    // One face at a time, so that one face's pyramid is in memory beside the source, not six (a 16384×8192
    // panorama: 81 MB against 488 MB): the finest level resampled straight from the source in bands over the
    // pool, its fallback face, then each level's tiles in parallel and a filtered 2× reduction for the next.
    let size = layout.cube_size;
    let t = layout.tile_size;
    for &face in &Face::ALL {
        let mut buf = vec![0u8; size as usize * size as usize * 3];
        buf.par_chunks_mut(BAND as usize * size as usize * 3)
            .enumerate()
            .for_each(|(i, chunk)| {
                let y0 = i as u32 * BAND;
                let y1 = (y0 + BAND).min(size);
                disan_tiles::render_face_rows(&src, face, size, y0..y1, chunk);
            });
        let mut img = RgbImage::from_raw(size, size, buf).expect("size·size·3 bytes");
        let s = size.min(FALLBACK);
        write(
            &format!("fallback/{}.jpg", face.letter()),
            &disan_imaging::resize_rgb(&img, s, s),
            settings.tile_quality,
        )?;
        for level in (1..=layout.max_level).rev() {
            let n = layout.tiles_per_side(level);
            let jobs: Vec<(u32, u32)> = (0..n).flat_map(|r| (0..n).map(move |c| (r, c))).collect();
            jobs.par_iter().try_for_each(|&(row, col)| {
                let (x, y) = (col * t, row * t);
                let (w, h) = (t.min(img.width() - x), t.min(img.height() - y));
                let tile = disan_imaging::crop_rgb(&img, x, y, w, h);
                write(
                    &CubeLayout::tile_path(level, face, row, col),
                    &tile,
                    settings.tile_quality,
                )
            })?;
            if level > 1 {
                let next = layout.level_size(level - 1);
                img = disan_imaging::resize_rgb(&img, next, next);
            }
        }
    }

    // The preview and the thumbnail are small: drawn from a copy of the source shrunk to twice the preview's
    // width, so each of their pixels is a few source samples rather than up to 64.
    let small = (equirect.width() > 2 * PREVIEW_WIDTH).then(|| {
        let h = (u64::from(equirect.height()) * u64::from(2 * PREVIEW_WIDTH) / u64::from(equirect.width())).max(1);
        disan_imaging::resize_rgb(equirect, 2 * PREVIEW_WIDTH, h as u32)
    });
    let small_src = small.as_ref().map(|img| src.with_pixels(img));
    let view_src = small_src.as_ref().unwrap_or(&src);
    let preview = disan_tiles::render_equirect(view_src, PREVIEW_WIDTH);
    write("preview.jpg", &preview, settings.jpeg_quality)?;
    let config = disan_tiles::pannellum_config(&layout, pano, true, true);
    let json = serde_json::to_vec_pretty(&config).expect("configs always serialise");
    write_atomic(&pano_dir.join("config.json"), &json).map_err(|e| format!("cannot write config.json: {e}"))?;

    // A natural view for the gallery: straight ahead, 100° wide, 4:3.
    let (tw, th) = (settings.thumb_size, settings.thumb_size * 3 / 4);
    let thumb = disan_tiles::render_view(view_src, 0.0, 0.0, 100.0, tw, th);
    Ok(PanoOutput {
        tiles: PanoTiles {
            cube_resolution: layout.cube_size,
            tile_resolution: layout.tile_size,
            max_level: layout.max_level,
            tiles: layout.tile_count(),
            config: "config.json".into(),
        },
        thumb,
    })
}

/// `disan pano`: the same pyramid for one file, without a collection. Returns the summary.
pub fn tile_panorama_file(path: &Path, out: &Path, settings: &Settings) -> Result<PanoTiles, crate::FileError> {
    tile_panorama(path, out, settings).map_err(crate::FileError::of(path))
}

fn tile_panorama(path: &Path, out: &Path, settings: &Settings) -> Result<PanoTiles, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let limits = disan_imaging::DecodeLimits::from(settings);
    let meta = disan_exif::read_metadata(
        &bytes,
        disan_exif::sidecar_path(path)
            .and_then(|p| std::fs::read(p).ok())
            .as_deref(),
    );
    let mut decoded = disan_imaging::decode_rgb8(&bytes, &limits).map_err(|e| e.to_string())?;
    drop(bytes);
    if let Err(w) = disan_imaging::to_srgb(&mut decoded.image, decoded.icc_profile.as_deref()) {
        tracing::warn!("{}: {w}", path.display());
    }
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let result = write_pyramid(&decoded.image, meta.pano.as_ref(), settings, out)?;
    let thumb = disan_imaging::encode_jpeg(&result.thumb, settings.jpeg_quality).map_err(|e| e.to_string())?;
    write_atomic(&out.join("thumb.jpg"), &thumb).map_err(|e| format!("cannot write thumb.jpg: {e}"))?;
    Ok(result.tiles)
}
