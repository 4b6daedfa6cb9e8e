//! Images decoded off the UI thread and kept as textures in a least-recently-used cache with a memory
//! budget: the gallery asks for what is on screen, every frame, and never waits.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};

use egui::{Color32, ColorImage, Pos2, Rect, TextureHandle, TextureOptions, Vec2};

/// Where one image stands.
pub enum Slot<'a> {
    Ready(&'a TextureHandle),
    Loading,
    Failed,
}

enum Entry {
    Loading,
    Ready {
        texture: TextureHandle,
        bytes: usize,
        used: u64,
    },
    Failed,
}

type Decoded = (PathBuf, u32, Result<ColorImage, disan_imaging::ImagingError>);

/// The texture cache and its decoding workers.
pub struct Textures {
    entries: HashMap<(PathBuf, u32), Entry>,
    tx: Sender<Decoded>,
    rx: Receiver<Decoded>,
    pool: rayon::ThreadPool,
    budget: usize,
    resident: usize,
    frame: u64,
    in_flight: usize,
}

impl Textures {
    /// A cache holding at most `budget` bytes of texture memory (RGBA8), decoding on `threads` workers.
    pub fn new(budget: usize, threads: usize) -> Self {
        let (tx, rx) = channel();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .thread_name(|i| format!("disan-decode-{i}"))
            .build()
            .expect("a thread pool of a few threads can be made");
        Self {
            entries: HashMap::new(),
            tx,
            rx,
            pool,
            budget,
            resident: 0,
            frame: 0,
            in_flight: 0,
        }
    }

    /// Images still being decoded.
    pub fn pending(&self) -> usize {
        self.in_flight
    }

    /// Bytes of texture memory held.
    pub fn resident_bytes(&self) -> usize {
        self.resident
    }

    /// Takes in what the workers decoded and evicts what was not used lately; call once per frame.
    pub fn begin_frame(&mut self, ctx: &egui::Context) {
        self.frame += 1;
        while let Ok((path, max_side, result)) = self.rx.try_recv() {
            self.in_flight = self.in_flight.saturating_sub(1);
            let key = (path, max_side);
            let entry = match result {
                Ok(image) => {
                    let bytes = image.pixels.len() * 4;
                    self.resident += bytes;
                    let texture = ctx.load_texture(key.0.to_string_lossy(), image, TextureOptions::LINEAR);
                    Entry::Ready {
                        texture,
                        bytes,
                        used: self.frame,
                    }
                }
                Err(e) => {
                    tracing::warn!("{}: {e}", key.0.display());
                    Entry::Failed
                }
            };
            self.entries.insert(key, entry);
        }
        if self.resident > self.budget {
            let mut ready: Vec<(u64, (PathBuf, u32))> = self
                .entries
                .iter()
                .filter_map(|(k, e)| match e {
                    // What was drawn in the last frame stays.
                    Entry::Ready { used, .. } if *used + 1 < self.frame => Some((*used, k.clone())),
                    _ => None,
                })
                .collect();
            ready.sort();
            for (_, key) in ready {
                if self.resident <= self.budget {
                    break;
                }
                if let Some(Entry::Ready { bytes, .. }) = self.entries.remove(&key) {
                    self.resident -= bytes;
                }
            }
        }
    }

    /// The image at `path`, scaled to fit `max_side`: ready, or queued for decoding now.
    pub fn get(&mut self, ctx: &egui::Context, path: &Path, max_side: u32) -> Slot<'_> {
        let key = (path.to_owned(), max_side);
        if !self.entries.contains_key(&key) {
            self.entries.insert(key.clone(), Entry::Loading);
            self.in_flight += 1;
            let tx = self.tx.clone();
            let ctx = ctx.clone();
            self.pool.spawn(move || {
                let result = decode(&key.0, max_side);
                // The receiver is gone only when the viewer is closing.
                let _ = tx.send((key.0, key.1, result));
                ctx.request_repaint();
            });
        }
        let frame = self.frame;
        match self.entries.get_mut(&(path.to_owned(), max_side)) {
            Some(Entry::Ready { texture, used, .. }) => {
                *used = frame;
                Slot::Ready(texture)
            }
            Some(Entry::Failed) => Slot::Failed,
            _ => Slot::Loading,
        }
    }
}

/// Decodes an image file and scales it to fit `max_side`, with limits against hostile files.
pub fn decode(path: &Path, max_side: u32) -> Result<ColorImage, disan_imaging::ImagingError> {
    let img = disan_imaging::read_rgba8(path, &disan_imaging::DecodeLimits::textures())?;
    let rgba = if img.width().max(img.height()) > max_side {
        image::DynamicImage::ImageRgba8(img)
            .thumbnail(max_side, max_side)
            .into_rgba8()
    } else {
        img
    };
    Ok(ColorImage::from_rgba_unmultiplied(
        [rgba.width() as usize, rgba.height() as usize],
        rgba.as_raw(),
    ))
}

/// Paints a texture of `size` points letterboxed into `rect`, keeping its aspect ratio.
pub fn paint_fitted(painter: &egui::Painter, texture: egui::TextureId, size: Vec2, rect: Rect) {
    let scale = (rect.width() / size.x).min(rect.height() / size.y);
    let fitted = Rect::from_center_size(rect.center(), size * scale);
    painter.image(
        texture,
        fitted,
        Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0)),
        Color32::WHITE,
    );
}
