//! Large photos to IIIF Image API 3 level-0 pyramids (layout in [`disan_tiles::iiif`]).
//!
//! Level by level, largest first: every tile of the level is cut and encoded over the rayon pool while the
//! next level (the current one halved, Lanczos3) is computed beside it, so both cores stay busy and only
//! two levels are in memory at once. `info.json` is written last: a folder without it is incomplete.

use std::path::Path;

use disan_core::{IiifTiles, Settings};
use disan_tiles::iiif::IiifLayout;
use image::RgbImage;
use rayon::prelude::*;

use disan_fs::write_atomic;

use crate::FileError;

/// What [`write_iiif`] made.
pub(crate) struct IiifOutput {
    pub tiles: IiifTiles,
    /// The smallest level at least `settings.display_size` on its longer side (the full image when it is
    /// smaller): the best start for the display and thumbnail derivatives.
    pub display_source: RgbImage,
}

/// Writes the pyramid of an upright sRGB image into `dir` (created), with `id` as the service id.
/// `sync`: flush every file to disk before returning (inside a collection; `disan tiles` does not).
pub(crate) fn write_iiif(
    image: RgbImage,
    settings: &Settings,
    dir: &Path,
    id: &str,
    sync: bool,
) -> Result<IiifOutput, String> {
    let (width, height) = image.dimensions();
    let layout = IiifLayout::new(width, height, settings.tile_size, settings.display_size);
    let write = |rel: &str, img: &RgbImage, quality: u8| -> Result<(), String> {
        let jpeg = disan_imaging::encode_jpeg(img, quality).map_err(|e| e.to_string())?;
        disan_fs::write_new(&dir.join(rel), &jpeg, sync).map_err(|e| format!("cannot write iiif/{rel}: {e}"))
    };

    let mut level = image;
    let mut display_source = None;
    for (i, &scale) in layout.scale_factors.iter().enumerate() {
        let next_size = layout.scale_factors.get(i + 1).map(|&s| layout.level_size(s));
        let tiles = layout.tiles(scale);
        let quality = level_quality(settings.tile_quality, i);
        let (written, next) = rayon::join(
            || {
                tiles.par_iter().try_for_each(|t| {
                    let (x, y) = (t.col * layout.tile_size, t.row * layout.tile_size);
                    let tile = disan_imaging::crop_rgb(&level, x, y, t.size.0, t.size.1);
                    write(&layout.tile_path(t), &tile, quality)
                })
            },
            || next_size.map(|(w, h)| disan_imaging::resize_rgb(&level, w, h)),
        );
        written?;
        let size = level.dimensions();
        // A one-tile level's tile is already `full/{w},{h}`.
        if layout.sizes.contains(&size) && tiles.len() > 1 {
            write(&layout.full_path(size), &level, quality)?;
            if size == layout.max_size() && size != (width, height) {
                write("full/max/0/default.jpg", &level, quality)?;
            }
        }
        let Some(next) = next else {
            display_source.get_or_insert(level);
            break;
        };
        if display_source.is_none() && next.width().max(next.height()) < settings.display_size {
            display_source = Some(level);
        }
        level = next;
    }

    let info = layout.info_json(id);
    let json = serde_json::to_vec_pretty(&info).expect("info.json always serialises");
    if sync {
        write_atomic(&dir.join("info.json"), &json)
    } else {
        disan_fs::write_new(&dir.join("info.json"), &json, false)
    }
    .map_err(|e| format!("cannot write iiif/info.json: {e}"))?;
    Ok(IiifOutput {
        tiles: IiifTiles {
            info: "iiif/info.json".into(),
            tile_size: layout.tile_size,
            scale_factors: layout.scale_factors.clone(),
            sizes: layout.sizes.iter().map(|&(w, h)| [w, h]).collect(),
            tiles: layout.tile_count(),
        },
        display_source: display_source.expect("the loop ends by setting it"),
    })
}

/// JPEG quality of the level `halvings` below full resolution: `base` there, 2 more per halving, at most
/// 98 (never below `base`). A coarse level packs more detail into each pixel, so the same quality loses
/// more there (measured on real photos: 44 / 39.5 / 37.4 / 35.9 dB at scale 2 / 4 / 8 / 16 at quality 92,
/// 45.1 / 42.1 / 43.9 / 43.4 dB with this rule); the coarse levels are a small part of the bytes.
pub(crate) fn level_quality(base: u8, halvings: usize) -> u8 {
    let q = usize::from(base) + 2 * halvings;
    q.min(98).max(usize::from(base)) as u8
}

/// `disan tiles`: the pyramid of one photo, without a collection, in `out` with `id` as the service id.
/// The photo is made upright (EXIF orientation) and converted to sRGB first, as in a collection.
pub fn tile_photo_file(path: &Path, out: &Path, id: &str, settings: &Settings) -> Result<TilesSummary, FileError> {
    let bytes = std::fs::read(path).map_err(|e| FileError::of(path)(format!("cannot read: {e}")))?;
    tile_photo_bytes(&bytes, out, id, settings).map_err(FileError::of(path))
}

fn tile_photo_bytes(bytes: &[u8], out: &Path, id: &str, settings: &Settings) -> Result<TilesSummary, String> {
    let limits = disan_imaging::DecodeLimits::from(settings);
    let meta = disan_exif::read_metadata(bytes, None);
    let decoded = disan_imaging::decode_rgb8(bytes, &limits).map_err(|e| e.to_string())?;
    let mut warnings = decoded.notes;
    let mut image = disan_imaging::orient(decoded.image, meta.orientation);
    if let Err(w) = disan_imaging::to_srgb(&mut image, decoded.icc_profile.as_deref()) {
        warnings.push(w.to_string());
    }
    let (width, height) = image.dimensions();
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let result = write_iiif(image, settings, out, id, false)?;
    Ok(TilesSummary {
        width,
        height,
        tiles: IiifTiles {
            info: "info.json".into(),
            ..result.tiles
        },
        warnings,
    })
}

/// `disan tiles` over several files at once: each into its own folder `out/<name>` (the file name without
/// its extension) with id `<base>/<name>`, or straight into `out` with id `<base>` when there is one file.
/// Files run in parallel within the memory budget; `done` hears of each as it finishes.
pub fn tile_photo_files(
    files: &[std::path::PathBuf],
    out: &Path,
    base_url: &str,
    settings: &Settings,
    done: &(dyn Fn(&Path, &Result<TilesSummary, FileError>) + Sync),
) -> Vec<Result<TilesSummary, FileError>> {
    let budget = crate::budget::MemoryBudget::new(settings.memory_budget_bytes);
    let base = base_url.trim_end_matches('/');
    let single = files.len() == 1;
    files
        .par_iter()
        .map(|file| {
            let name = file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "image".into());
            let (dir, id) = if single {
                (out.to_owned(), base.to_owned())
            } else {
                (out.join(&name), format!("{base}/{name}"))
            };
            let result = crate::guard(|| {
                let bytes = std::fs::read(file).map_err(|e| format!("cannot read: {e}"))?;
                let probe = disan_imaging::probe(&bytes, &disan_imaging::DecodeLimits::from(settings))
                    .map_err(|e| e.to_string())?;
                // The decode and the pyramid's second level, beside the file's bytes.
                let _reservation = budget.reserve(probe.decode_bytes() * 3 / 2 + bytes.len() as u64);
                tile_photo_bytes(&bytes, &dir, &id, settings)
            })
            .map_err(FileError::of(file));
            done(file, &result);
            result
        })
        .collect()
}

/// What `disan tiles` made of one file.
#[derive(Debug, serde::Serialize)]
pub struct TilesSummary {
    pub width: u32,
    pub height: u32,
    #[serde(flatten)]
    pub tiles: IiifTiles,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::level_quality;

    #[test]
    fn quality_rises_two_per_level_up_to_98() {
        let q: Vec<u8> = (0..6).map(|i| level_quality(92, i)).collect();
        assert_eq!(q, [92, 94, 96, 98, 98, 98]);
        assert_eq!(level_quality(99, 3), 99, "never below the base");
        assert_eq!(level_quality(70, 1), 72);
    }
}
