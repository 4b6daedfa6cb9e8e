//! A title or a credit laid over moving frames: a coverage mask of the text (drawn once) and a shade per
//! row that darkens the picture under it, both faded in and out with one strength.

use image::RgbImage;
use rayon::prelude::*;

pub struct Overlay {
    width: u32,
    height: u32,
    /// Text coverage, 0–255, row by row.
    mask: Vec<u8>,
    /// What each row is multiplied by at full strength (1 keeps it, 0 blacks it out).
    shade: Vec<f32>,
    /// The first row the overlay changes (above it the shade is 1 and there is no text): a title over the
    /// bottom third leaves two thirds of every frame untouched.
    first_row: usize,
}

impl Overlay {
    /// `mask`: white text drawn on black at the frame's size (its red channel is the coverage); `shade`: one
    /// factor per row.
    pub fn new(mask: &RgbImage, shade: Vec<f32>) -> Self {
        assert_eq!(shade.len(), mask.height() as usize, "one shade per row");
        let mask: Vec<u8> = mask.pixels().map(|p| p.0[0]).collect();
        let w = mask.len() / shade.len().max(1);
        let first_row = (0..shade.len())
            .find(|&y| shade[y] != 1.0 || mask[y * w..(y + 1) * w].iter().any(|&m| m != 0))
            .unwrap_or(shade.len());
        Self {
            width: mask.len().checked_div(shade.len()).map_or(0, |w| w as u32),
            height: shade.len() as u32,
            mask,
            shade,
            first_row,
        }
    }

    /// Lays the overlay over `frame` at `strength` (0 leaves it as it is, 1 is the full overlay).
    pub fn apply(&self, frame: &mut RgbImage, strength: f32) {
        let s = strength.clamp(0.0, 1.0);
        if s == 0.0 || frame.dimensions() != (self.width, self.height) {
            return;
        }
        let w = self.width as usize;
        let from = self.first_row;
        // In integers: the text's cover `a` and the row's darkening `k` in 1/256, from a table of the 256
        // coverages at this strength.
        let cover: [u32; 256] = std::array::from_fn(|m| (s * m as f32 / 255.0 * 256.0 + 0.5) as u32);
        frame.as_mut()[3 * w * from..]
            .par_chunks_mut(3 * w)
            .zip(self.mask[w * from..].par_chunks(w))
            .zip(self.shade[from..].par_iter())
            .for_each(|((row, mask), &shade)| {
                let k = ((1.0 - s * (1.0 - shade)) * 256.0 + 0.5) as u32;
                for (p, &m) in row.chunks_exact_mut(3).zip(mask) {
                    let a = cover[usize::from(m)];
                    for c in p {
                        // dark = c·k (8.8 fixed); dark + (255 − dark)·a, rounded.
                        let dark = u32::from(*c) * k;
                        *c = ((dark * (256 - a) + 255 * 256 * a + (1 << 15)) >> 16).min(255) as u8;
                    }
                }
            });
    }
}

/// `frame` moved `a` (0–1) of the way towards `other` (the same size): a cross-fade.
pub fn cross_fade(frame: &mut RgbImage, other: &RgbImage, a: f32) {
    let a = (a.clamp(0.0, 1.0) * 256.0) as u32;
    frame
        .as_mut()
        .par_chunks_mut(1 << 16)
        .zip(other.as_raw().par_chunks(1 << 16))
        .for_each(|(p, q)| {
            for (p, &q) in p.iter_mut().zip(q) {
                *p = ((u32::from(*p) * (256 - a) + u32::from(q) * a + 128) >> 8) as u8;
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strength_fades_the_shade_and_the_text() {
        let mut mask = RgbImage::new(2, 2);
        mask.put_pixel(0, 1, image::Rgb([255, 255, 255]));
        let o = Overlay::new(&mask, vec![1.0, 0.5]);
        let base = RgbImage::from_pixel(2, 2, image::Rgb([100, 100, 100]));
        let mut f = base.clone();
        o.apply(&mut f, 0.0);
        assert_eq!(f, base);
        o.apply(&mut f, 1.0);
        assert_eq!(f.get_pixel(0, 0).0, [100; 3]); // unshaded row, no text
        assert_eq!(f.get_pixel(1, 1).0, [50; 3]); // shaded row
        assert_eq!(f.get_pixel(0, 1).0, [255; 3]); // text
        let mut half = base.clone();
        o.apply(&mut half, 0.5);
        assert_eq!(half.get_pixel(1, 1).0, [75; 3]);
        let mut fade = base.clone();
        cross_fade(&mut fade, &RgbImage::from_pixel(2, 2, image::Rgb([200, 0, 100])), 0.25);
        assert_eq!(fade.get_pixel(0, 0).0, [125, 75, 100]);
    }
}
