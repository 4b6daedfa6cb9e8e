//! Large photos to IIIF Image API 3 level-0 pyramids (layout in [`disan_tiles::iiif`]).
//!
//! Built from row strips, top to bottom: a decoder thread hands over strips while each finished row of tiles
//! is cut and encoded over the rayon pool, and the next level (the current one halved, Lanczos3) is made
//! band by band from the rows its filter needs, so memory grows with the width, not the area, and decoding
//! overlaps encoding. `info.json` is written last: a folder without it is incomplete.

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
    write_iiif_streamed(width, height, settings, dir, id, sync, move |send| {
        let mut y = 0;
        while y < height {
            let rows = STRIP_ROWS.min(height - y);
            if !send(disan_imaging::crop_rgb(&image, 0, y, width, rows)) {
                break;
            }
            y += rows;
        }
        Ok(())
    })
}

/// Writes the pyramid of an upright JPEG decoded strip by strip ([`disan_imaging::JpegRows`]), converted to
/// sRGB by its profile strip by strip; the photo is never whole in memory (see [`stream_bytes`]). The caller
/// has checked that it streams (`JpegRows::size_of`) and needs no EXIF rotation. A profile that cannot be
/// applied leaves the colours as decoded, with a warning.
pub(crate) fn write_iiif_jpeg(
    bytes: &[u8],
    settings: &Settings,
    dir: &Path,
    id: &str,
    sync: bool,
    warnings: &mut Vec<String>,
) -> Result<IiifOutput, String> {
    let limits = disan_imaging::DecodeLimits::from(settings);
    let probe = disan_imaging::probe_for_tiles(bytes, &limits).map_err(|e| e.to_string())?;
    let mut icc = probe.icc_profile;
    if let Some(profile) = &icc {
        if let Err(w) = disan_imaging::to_srgb(&mut RgbImage::new(1, 1), Some(profile)) {
            warnings.push(w.to_string());
            icc = None;
        } else if disan_imaging::icc_is_srgb(profile) {
            // An sRGB profile (as many cameras and editors embed): there are no colours to convert.
            icc = None;
        }
    }
    // Full resolution cut from the coefficients where that is exact (no colours to convert) and not finer than
    // the tiles would be: the source's own pixels, in fewer bytes than encoding them again. (Its headers and
    // Huffman tables are only read then.)
    let blocks = icc
        .is_none()
        .then(|| disan_imaging::transcode::JpegBlocks::open(bytes, settings.tile_size))
        .flatten()
        .filter(|b| {
            b.frame().size() == (probe.width, probe.height)
                && b.frame().luma_quantisation()
                    >= disan_imaging::transcode::standard_luma_quantisation(settings.tile_quality)
        });
    if let Some(blocks) = blocks {
        match write_iiif_cut(blocks, settings, dir, id, sync) {
            Ok(Some(out)) => return Ok(out),
            Ok(None) => {}
            // Damage our reader refuses may still decode through libjpeg-turbo, which skips over some: the
            // pyramid is made again from its pixels (every file written again).
            Err(e) => warnings.push(format!(
                "deep zoom could not be cut from the JPEG's coefficients ({e}); made from its pixels instead"
            )),
        }
    }
    write_iiif_streamed(probe.width, probe.height, settings, dir, id, sync, move |send| {
        let mut rows = disan_imaging::JpegRows::open(bytes, &limits)
            .map_err(|e| e.to_string())?
            .ok_or("the JPEG cannot be decoded strip by strip")?;
        while rows.remaining() > 0 {
            let mut strip = rows.read(STRIP_ROWS).map_err(|e| e.to_string())?;
            disan_imaging::to_srgb(&mut strip, icc.as_deref()).map_err(|e| e.to_string())?;
            if !send(strip) {
                break;
            }
        }
        Ok(())
    })
}

/// Bytes that [`write_iiif_jpeg`] holds at its peak for a photo `width` pixels wide: every level's rows in
/// reach (under twice the full-resolution level's: about two rows of tiles and the filter's reach), the strips
/// in flight, and the small levels kept whole; or, for a JPEG cut from its coefficients, three bands of them
/// (read, cut, kept for reuse; up to 6 bytes a pixel at 4:4:4) in place of the full-resolution rows.
pub(crate) fn stream_bytes(width: u32, settings: &Settings) -> u64 {
    let rows = 4 * u64::from(settings.tile_size) + 16 * u64::from(STRIP_ROWS);
    let coefficients = 3 * 6 * u64::from(settings.tile_size);
    3 * (u64::from(width) * rows + 8 * u64::from(settings.display_size).pow(2)) + u64::from(width) * coefficients
}

/// Rows a source hands over at a time.
pub(crate) const STRIP_ROWS: u32 = 64;

/// Writes the pyramid of a `width`×`height` upright sRGB image whose rows `produce` hands to `send` in strips,
/// top to bottom (any number of rows each; `send` returns false when the pyramid has stopped on an error,
/// and `produce` should then stop too). `produce` runs on its own thread, so decoding overlaps tiling.
///
/// Memory stays flat as the image grows: each level keeps only the rows that its current row of tiles and
/// the next level's Lanczos3 filter still need (about one tile row plus the filter's reach), so a
/// 40000×25000 image needs a few hundred MB, not the 3 GB of its pixels. Levels whose whole image is
/// written (`full/` sizes) or returned (the display source) are small and kept whole.
pub(crate) fn write_iiif_streamed<P>(
    width: u32,
    height: u32,
    settings: &Settings,
    dir: &Path,
    id: &str,
    sync: bool,
    produce: P,
) -> Result<IiifOutput, String>
where
    P: FnOnce(&mut dyn FnMut(RgbImage) -> bool) -> Result<(), String> + Send,
{
    let layout = IiifLayout::new(width, height, settings.tile_size, settings.display_size);
    let mut pyramid = Pyramid::new(&layout, settings, dir, sync);
    let (tx, rx) = std::sync::mpsc::sync_channel::<RgbImage>(4);
    std::thread::scope(|scope| {
        let producer = scope.spawn(move || {
            let tx = tx;
            produce(&mut |strip| tx.send(strip).is_ok())
        });
        let mut built = Ok(());
        for strip in rx.iter() {
            built = pyramid.push(0, strip);
            if built.is_err() {
                break;
            }
        }
        drop(rx);
        let produced = producer
            .join()
            .unwrap_or_else(|_| Err("the decoder stopped unexpectedly".into()));
        produced.and(built)
    })?;
    finish(pyramid, &layout, dir, id, sync)
}

/// Writes the whole-image sizes and, last, `info.json` of a pyramid whose every level is complete.
fn finish(pyramid: Pyramid<'_>, layout: &IiifLayout, dir: &Path, id: &str, sync: bool) -> Result<IiifOutput, String> {
    let display_source = pyramid.finish()?;

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
        display_source,
    })
}

/// Writes the pyramid of a baseline JPEG from its quantised DCT coefficients
/// ([`disan_imaging::transcode`]), never decoding it at full size: each row of full-resolution tiles is cut
/// from the coefficients (the source's own pixels, no second loss, Huffman coding only), and the half-size
/// level is made from the same coefficients by a scaled inverse DCT, from which the coarser levels follow as
/// usual. The next band of coefficients is read while the current one is cut and halved. `Ok(None)`, with
/// nothing written, when the pyramid needs the full-size pixels (a full-size level written whole or used
/// for the display) or its half-size level is not the JPEG's.
fn write_iiif_cut(
    mut blocks: disan_imaging::transcode::JpegBlocks<'_>,
    settings: &Settings,
    dir: &Path,
    id: &str,
    sync: bool,
) -> Result<Option<IiifOutput>, String> {
    let (width, height) = blocks.frame().size();
    let layout = IiifLayout::new(width, height, settings.tile_size, settings.display_size);
    let mut pyramid = Pyramid::new(&layout, settings, dir, sync);
    let half = (width.div_ceil(2), height.div_ceil(2));
    if pyramid.levels.len() < 2
        || pyramid.levels[0].whole.is_some()
        || (pyramid.levels[1].width, pyramid.levels[1].height) != half
    {
        return Ok(None);
    }
    pyramid.levels[0].received = height;
    let tile = layout.tile_size;
    let mcu_height = blocks.frame().mcu_height();
    let rows = tile / mcu_height;
    let tiles = layout.tiles(layout.scale_factors[0]);
    let mut band = blocks.read_band(rows, None)?;
    let mut spare = None;
    let mut halved = 0;
    loop {
        let (next, done) = rayon::join(
            || (blocks.rows_left() > 0).then(|| blocks.read_band(rows, spare.take())),
            || -> Result<(), String> {
                let row = band.rows().0 * mcu_height / tile;
                let (cut, (w, h, pixels)) = rayon::join(
                    || {
                        tiles.par_iter().filter(|t| t.row == row).try_for_each(|t| {
                            let jpeg = band.encode_tile(t.col * tile, t.size.0, t.size.1)?;
                            let rel = layout.tile_path(t);
                            disan_fs::write_new(&dir.join(&rel), &jpeg, sync)
                                .map_err(|e| format!("cannot write iiif/{rel}: {e}"))
                        })
                    },
                    || band.half_rgb(),
                );
                cut?;
                // The last band's MCUs reach past the image.
                let keep = h.min(half.1 - halved);
                let mut pixels = pixels;
                pixels.truncate(keep as usize * w as usize * 3);
                halved += keep;
                pyramid.push(1, RgbImage::from_raw(w, keep, pixels).expect("w·keep·3 bytes"))
            },
        );
        done?;
        match next {
            Some(next) => spare = Some(std::mem::replace(&mut band, next?)),
            None => break,
        }
    }
    finish(pyramid, &layout, dir, id, sync).map(Some)
}

/// Rows kept beyond what the Lanczos3 filter reaches, against rounding in the resizer's bounds.
const FILTER_MARGIN: u32 = 4;
/// Rows of the next level made at a time, at least (fewer at the end): each call of the resizer computes the
/// filter's weights for the whole width again (`sin` was 13 % of the CPU with bands of 32 rows).
const NEXT_ROWS: u32 = 128;

/// One level being built: the rows received and not yet needed any more, and how far its tiles and the next
/// level have got.
struct Level {
    scale: u32,
    width: u32,
    height: u32,
    quality: u8,
    /// Rows `window_start..received`, packed RGB.
    window: Vec<u8>,
    window_start: u32,
    received: u32,
    tile_rows_done: u32,
    /// Rows of the next level made so far.
    next_made: u32,
    /// Every row, for levels written whole or returned as the display source.
    whole: Option<Vec<u8>>,
}

struct Pyramid<'a> {
    layout: &'a IiifLayout,
    dir: &'a Path,
    sync: bool,
    levels: Vec<Level>,
    display_level: usize,
}

impl<'a> Pyramid<'a> {
    fn new(layout: &'a IiifLayout, settings: &Settings, dir: &'a Path, sync: bool) -> Self {
        let long = |s: u32| {
            let (w, h) = layout.level_size(s);
            w.max(h)
        };
        // The smallest level at least the display size (the full image when that is smaller).
        let display_level = layout
            .scale_factors
            .iter()
            .rposition(|&s| long(s) >= settings.display_size)
            .unwrap_or(0);
        let levels = layout
            .scale_factors
            .iter()
            .enumerate()
            .map(|(i, &scale)| {
                let (width, height) = layout.level_size(scale);
                let written_whole = layout.sizes.contains(&(width, height)) && layout.tiles(scale).len() > 1;
                Level {
                    scale,
                    width,
                    height,
                    quality: level_quality(settings.tile_quality, i),
                    window: Vec::new(),
                    window_start: 0,
                    received: 0,
                    tile_rows_done: 0,
                    next_made: 0,
                    whole: (written_whole || i == display_level).then(Vec::new),
                }
            })
            .collect();
        Self {
            layout,
            dir,
            sync,
            levels,
            display_level,
        }
    }

    fn write(&self, rel: &str, img: &RgbImage, quality: u8) -> Result<(), String> {
        let jpeg = disan_imaging::encode_jpeg(img, quality).map_err(|e| e.to_string())?;
        disan_fs::write_new(&self.dir.join(rel), &jpeg, self.sync).map_err(|e| format!("cannot write iiif/{rel}: {e}"))
    }

    /// Adds the next rows of level `i`: writes every row of tiles they complete, makes the rows of the next
    /// level they allow, and lets go of rows no longer needed.
    fn push(&mut self, i: usize, strip: RgbImage) -> Result<(), String> {
        let tile = self.layout.tile_size;
        {
            let level = &mut self.levels[i];
            if strip.width() != level.width || level.received + strip.height() > level.height {
                return Err(format!(
                    "level {i}: {}×{} rows do not fit a {}×{} level at row {}",
                    strip.width(),
                    strip.height(),
                    level.width,
                    level.height,
                    level.received
                ));
            }
            if level.window.capacity() == 0 {
                // Room for a row of tiles, the next level's band and a strip, so the buffer rarely grows.
                let rows = (tile + 4 * NEXT_ROWS + 2 * STRIP_ROWS).min(level.height);
                level.window.reserve(rows as usize * level.width as usize * 3);
            }
            level.window.extend_from_slice(strip.as_raw());
            if let Some(whole) = &mut level.whole {
                whole.extend_from_slice(strip.as_raw());
            }
            level.received += strip.height();
        }
        drop(strip);

        // Rows of tiles now complete.
        loop {
            let level = &self.levels[i];
            let y0 = level.tile_rows_done * tile;
            let y1 = (y0 + tile).min(level.height);
            if y0 >= level.height || level.received < y1 {
                break;
            }
            self.write_tile_row(i)?;
            self.levels[i].tile_rows_done += 1;
        }

        // Rows of the next level whose filter reach is received.
        if let Some(&(next_w, next_h)) = self.levels.get(i + 1).map(|l| (l.width, l.height)).as_ref() {
            loop {
                let level = &self.levels[i];
                let ratio = f64::from(level.height) / f64::from(next_h);
                let ready = if level.received == level.height {
                    next_h
                } else {
                    // Row j's filter centre is (j + ½)·ratio − ½ and it reaches 3·ratio either side.
                    let last = (f64::from(level.received) - f64::from(FILTER_MARGIN) + 0.5) / ratio - 3.5;
                    (last.floor().max(0.0) as u32).min(next_h)
                };
                let todo = ready.saturating_sub(level.next_made);
                if todo == 0 || (todo < NEXT_ROWS && ready < next_h) {
                    break;
                }
                let count = todo.min(2 * NEXT_ROWS);
                let first = level.next_made;
                let rows_in_window = level.received - level.window_start;
                let window =
                    RgbImage::from_raw(level.width, rows_in_window, std::mem::take(&mut self.levels[i].window))
                        .expect("the window holds whole rows");
                let level = &self.levels[i];
                let top = f64::from(first) * ratio - f64::from(level.window_start);
                let rows = disan_imaging::resize_rgb_region(
                    &window,
                    // (ratio × rows can round past the last row by a hair.)
                    (
                        0.0,
                        top,
                        f64::from(level.width),
                        (f64::from(count) * ratio).min(f64::from(rows_in_window) - top),
                    ),
                    next_w,
                    count,
                );
                let level = &mut self.levels[i];
                level.window = window.into_raw();
                level.next_made = first + count;
                self.push(i + 1, rows)?;
            }
        }

        // Let go of rows that neither the tiles nor the next level will read again.
        let level = &mut self.levels[i];
        let mut keep_from = (level.tile_rows_done * tile).min(level.received);
        if let Some(next_h) = self
            .layout
            .scale_factors
            .get(i + 1)
            .map(|&s| self.layout.level_size(s).1)
        {
            let ratio = f64::from(level.height) / f64::from(next_h);
            let first_reach = (f64::from(level.next_made) + 0.5) * ratio - 0.5 - 3.0 * ratio - f64::from(FILTER_MARGIN);
            keep_from = keep_from.min(first_reach.floor().max(0.0) as u32);
        }
        // Dropping rows moves the rest to the front of the buffer: done a tile's height at a time, not per strip.
        if keep_from >= level.window_start + tile.min(256)
            || (keep_from > level.window_start && level.received == level.height)
        {
            let drop_bytes = (keep_from - level.window_start) as usize * level.width as usize * 3;
            level.window.drain(..drop_bytes);
            level.window_start = keep_from;
        }
        Ok(())
    }

    /// Cuts and writes the tiles of level `i`'s next row of tiles, in parallel.
    fn write_tile_row(&self, i: usize) -> Result<(), String> {
        let level = &self.levels[i];
        let row = level.tile_rows_done;
        let tiles: Vec<_> = self
            .layout
            .tiles(level.scale)
            .into_iter()
            .filter(|t| t.row == row)
            .collect();
        let stride = level.width as usize * 3;
        let y0 = (row * self.layout.tile_size - level.window_start) as usize;
        tiles.par_iter().try_for_each(|t| {
            let (w, h) = (t.size.0 as usize, t.size.1 as usize);
            let x0 = (t.col * self.layout.tile_size) as usize * 3;
            let mut pixels = Vec::with_capacity(w * h * 3);
            for r in y0..y0 + h {
                pixels.extend_from_slice(&level.window[r * stride + x0..r * stride + x0 + w * 3]);
            }
            let img = RgbImage::from_raw(t.size.0, t.size.1, pixels).expect("w·h·3 bytes");
            self.write(&self.layout.tile_path(t), &img, level.quality)
        })
    }

    /// Checks every level is complete, writes the whole-image sizes, and returns the display source.
    fn finish(mut self) -> Result<RgbImage, String> {
        let mut display = None;
        for i in 0..self.levels.len() {
            let level = &self.levels[i];
            if level.received != level.height {
                return Err(format!(
                    "the image ended after {} of its {} rows",
                    level.received, level.height
                ));
            }
            let size = (level.width, level.height);
            let Some(whole) = self.levels[i].whole.take() else {
                continue;
            };
            let whole = RgbImage::from_raw(size.0, size.1, whole).expect("every row kept");
            let level = &self.levels[i];
            if self.layout.sizes.contains(&size) && self.layout.tiles(level.scale).len() > 1 {
                self.write(&self.layout.full_path(size), &whole, level.quality)?;
                if size == self.layout.max_size() && size != (self.layout.width, self.layout.height) {
                    self.write("full/max/0/default.jpg", &whole, level.quality)?;
                }
            }
            if i == self.display_level {
                display = Some(whole);
            }
        }
        Ok(display.expect("the display level is kept whole"))
    }
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
    let orientation = disan_exif::read_metadata(&bytes, None).orientation;
    tile_photo_bytes(&bytes, orientation, out, id, settings).map_err(FileError::of(path))
}

/// `orientation`: the photo's EXIF orientation (read once by the caller, which also sizes the memory for it).
fn tile_photo_bytes(
    bytes: &[u8],
    orientation: Option<u16>,
    out: &Path,
    id: &str,
    settings: &Settings,
) -> Result<TilesSummary, String> {
    let limits = disan_imaging::DecodeLimits::from(settings);
    let mut warnings = Vec::new();
    let ((width, height), result) = if disan_imaging::is_upright(orientation)
        && let Some(size) = disan_imaging::JpegRows::size_of(bytes)
    {
        // A sequential JPEG that needs no turn: tiled strip by strip.
        std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
        (size, write_iiif_jpeg(bytes, settings, out, id, false, &mut warnings)?)
    } else {
        let decoded = disan_imaging::decode_rgb8(bytes, &limits).map_err(|e| e.to_string())?;
        warnings = decoded.notes;
        let mut image = disan_imaging::orient(decoded.image, orientation);
        if let Err(w) = disan_imaging::to_srgb(&mut image, decoded.icc_profile.as_deref()) {
            warnings.push(w.to_string());
        }
        let size = image.dimensions();
        std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
        (size, write_iiif(image, settings, out, id, false)?)
    };
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
                let probe = disan_imaging::probe_for_tiles(&bytes, &disan_imaging::DecodeLimits::from(settings))
                    .map_err(|e| e.to_string())?;
                // Strips in reach, or the decode and the pyramid's second level; beside the file's bytes.
                let orientation = disan_exif::read_metadata(&bytes, None).orientation;
                let streams =
                    disan_imaging::JpegRows::size_of(&bytes).is_some() && disan_imaging::is_upright(orientation);
                let pixels = if streams {
                    stream_bytes(probe.width, settings)
                } else {
                    probe.decode_bytes() * 3 / 2
                };
                let _reservation = budget.reserve(pixels + bytes.len() as u64);
                tile_photo_bytes(&bytes, orientation, &dir, &id, settings)
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
    use super::{level_quality, write_iiif_streamed};
    use disan_core::Settings;
    use image::RgbImage;
    use std::collections::BTreeMap;
    use std::path::Path;

    /// A real photo (640×480, Nikon COOLPIX), decoded.
    fn photo() -> RgbImage {
        let path = disan_tests::testdata("photos/DSCN0010.jpg");
        disan_imaging::read_rgb8(&path, &disan_imaging::DecodeLimits::from(&Settings::default())).unwrap()
    }

    fn psnr(a: &[u8], b: &[u8]) -> f64 {
        let mse = a
            .iter()
            .zip(b)
            .map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
            .sum::<f64>()
            / a.len() as f64;
        10.0 * (255.0f64.powi(2) / mse.max(1e-9)).log10()
    }

    fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        let mut stack = vec![dir.to_owned()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.insert(
                        p.strip_prefix(dir).unwrap().display().to_string(),
                        std::fs::read(&p).unwrap(),
                    );
                }
            }
        }
        out
    }

    fn pyramid(image: &RgbImage, strip: u32, dir: &Path, settings: &Settings) -> RgbImage {
        let (w, h) = image.dimensions();
        let out = write_iiif_streamed(w, h, settings, dir, "https://example.org/x", false, |send| {
            let mut y = 0;
            while y < h {
                let rows = strip.min(h - y);
                assert!(send(disan_imaging::crop_rgb(image, 0, y, w, rows)));
                y += rows;
            }
            Ok(())
        })
        .unwrap();
        out.display_source
    }

    #[test]
    fn the_pyramid_does_not_depend_on_the_strips_it_is_fed() {
        // Tiles of 64 px over a 640×480 photo: five levels, edge tiles, and strips that divide nothing. Strips
        // of 7 rows, of 100 rows and the whole image at once give the same files: byte for byte at full
        // resolution, and within the resizer's fixed-point rounding (a band's weights are rounded on their
        // own, ±1 level) below it.
        let settings = Settings {
            tile_size: 64,
            display_size: 150,
            ..Settings::default()
        };
        let image = photo();
        assert_eq!(image.dimensions(), (640, 480));
        let tmp = tempfile::tempdir().unwrap();
        let mut outputs = Vec::new();
        for (k, strip) in [480u32, 7, 100].into_iter().enumerate() {
            let dir = tmp.path().join(k.to_string());
            let display = pyramid(&image, strip, &dir, &settings);
            outputs.push((files(&dir), display));
        }
        let (whole, display) = &outputs[0];
        assert!(whole.len() > 90, "{} files", whole.len());
        assert!(whole.contains_key("info.json") && whole.contains_key("full/max/0/default.jpg"));
        // The display source is the smallest level at least 150 px: 640/4 → 160×120.
        assert_eq!(display.dimensions(), (160, 120));
        for (files, d) in &outputs[1..] {
            assert_eq!(files.keys().collect::<Vec<_>>(), whole.keys().collect::<Vec<_>>());
            for (name, bytes) in files {
                if name.ends_with("/64,64/0/default.jpg") && name.split(',').nth(2) == Some("64") {
                    assert!(bytes == &whole[name], "full-resolution tile {name} differs");
                }
                let limits = disan_imaging::DecodeLimits::from(&settings);
                let a = disan_imaging::decode_rgb8(bytes, &limits).map(|d| d.image);
                let b = disan_imaging::decode_rgb8(&whole[name], &limits).map(|d| d.image);
                if let (Ok(a), Ok(b)) = (a, b) {
                    let p = psnr(a.as_raw(), b.as_raw());
                    assert!(p > 45.0, "{name}: {p:.1} dB");
                }
            }
            assert!(psnr(d.as_raw(), display.as_raw()) > 50.0);
        }
        // The second level is the whole photo halved by Lanczos3, as before strips: same bytes for the first
        // row of tiles, which one band makes.
        let half = disan_imaging::resize_rgb(&image, 320, 240);
        let tile = disan_imaging::crop_rgb(&half, 64, 0, 64, 64);
        let expected = disan_imaging::encode_jpeg(&tile, level_quality(92, 1)).unwrap();
        assert!(whole["128,0,128,128/64,64/0/default.jpg"] == expected);
        assert!(outputs[1].0["128,0,128,128/64,64/0/default.jpg"] == expected);
    }

    #[test]
    fn a_short_source_is_an_error_not_a_pyramid() {
        let settings = Settings {
            tile_size: 128,
            ..Settings::default()
        };
        let image = disan_imaging::crop_rgb(&photo(), 0, 0, 300, 200);
        let tmp = tempfile::tempdir().unwrap();
        let err = write_iiif_streamed(300, 250, &settings, tmp.path(), "x", false, |send| {
            send(image.clone());
            Ok(())
        })
        .err()
        .unwrap();
        assert!(err.contains("200 of its 250 rows"), "{err}");
        assert!(!tmp.path().join("info.json").exists());
    }

    #[test]
    fn quality_rises_two_per_level_up_to_98() {
        let q: Vec<u8> = (0..6).map(|i| level_quality(92, i)).collect();
        assert_eq!(q, [92, 94, 96, 98, 98, 98]);
        assert_eq!(level_quality(99, 3), 99, "never below the base");
        assert_eq!(level_quality(70, 1), 72);
    }
}
