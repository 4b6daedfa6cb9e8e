//! Resampling through fast_image_resize (SIMD convolution).

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::{RgbImage, RgbaImage};

/// The size of a `width`×`height` image scaled to fit within `long_side` on its longer side,
/// never enlarged, never below 1 pixel.
pub fn fit_within(width: u32, height: u32, long_side: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= long_side {
        return (width, height);
    }
    let scale = f64::from(long_side) / f64::from(long);
    let w = ((f64::from(width) * scale).round() as u32).clamp(1, long_side);
    let h = ((f64::from(height) * scale).round() as u32).clamp(1, long_side);
    (w, h)
}

/// Lanczos3 resampling of 8-bit RGB to exactly `width`×`height`.
pub fn resize_rgb(image: &RgbImage, width: u32, height: u32) -> RgbImage {
    if image.dimensions() == (width, height) {
        return image.clone();
    }
    let (sw, sh) = image.dimensions();
    let src = ImageRef::new(sw, sh, image.as_raw(), PixelType::U8x3)
        .expect("an RgbImage buffer holds exactly width×height×3 bytes");
    let pixels = crate::buffers::take(width as usize * height as usize * 3);
    let mut dst =
        Image::from_vec_u8(width, height, pixels, PixelType::U8x3).expect("a buffer of exactly width×height×3 bytes");
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    with_resizer(|resizer| resizer.resize(&src, &mut dst, &options))
        .expect("source and destination are both RGB8 with non-zero sizes");
    RgbImage::from_raw(width, height, dst.into_vec()).expect("the resizer fills width×height×3 bytes")
}

thread_local! {
    /// The resizer keeps its scratch buffers (the horizontal pass of a 24 MP photo's display is 12 MB) from one
    /// call to the next on the same thread, instead of faulting fresh pages in each time.
    static RESIZER: std::cell::Cell<Option<Resizer>> = const { std::cell::Cell::new(None) };
}

/// Runs `f` with this thread's kept resizer. It is taken out while in use, not borrowed: the resizer works in
/// parallel on the rayon pool, and a rayon thread waiting for that work may run another image's resize meanwhile,
/// which then gets a resizer of its own.
fn with_resizer<T>(f: impl FnOnce(&mut Resizer) -> T) -> T {
    let mut resizer = RESIZER.take().unwrap_or_default();
    let result = f(&mut resizer);
    RESIZER.set(Some(resizer));
    result
}

/// Lanczos3 resampling of the rectangle `(left, top, width, height)` of 8-bit RGB (fractional pixels) to
/// exactly `out_w`×`out_h`. Pixels outside the rectangle but inside the image feed the filter as in a whole-image
/// resize, so an image cut into bands with a few pixels' margin resamples band by band exactly as whole.
pub fn resize_rgb_region(
    image: &RgbImage,
    (left, top, width, height): (f64, f64, f64, f64),
    out_w: u32,
    out_h: u32,
) -> RgbImage {
    let (sw, sh) = image.dimensions();
    let src = ImageRef::new(sw, sh, image.as_raw(), PixelType::U8x3)
        .expect("an RgbImage buffer holds exactly width×height×3 bytes");
    let mut dst = Image::new(out_w, out_h, PixelType::U8x3);
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
        .crop(left, top, width, height);
    with_resizer(|resizer| resizer.resize(&src, &mut dst, &options))
        .expect("source and destination are both RGB8 with non-zero sizes");
    RgbImage::from_raw(out_w, out_h, dst.into_vec()).expect("the resizer fills width×height×3 bytes")
}

/// Lanczos3 resampling of 8-bit RGBA to exactly `width`×`height` (alpha is not premultiplied first:
/// textures keep their colour under transparent texels).
pub fn resize_rgba(image: &RgbaImage, width: u32, height: u32) -> RgbaImage {
    if image.dimensions() == (width, height) {
        return image.clone();
    }
    let (sw, sh) = image.dimensions();
    let src = ImageRef::new(sw, sh, image.as_raw(), PixelType::U8x4)
        .expect("an RgbaImage buffer holds exactly width×height×4 bytes");
    let mut dst = Image::new(width, height, PixelType::U8x4);
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
        .use_alpha(false);
    Resizer::new()
        .resize(&src, &mut dst, &options)
        .expect("source and destination are both RGBA8 with non-zero sizes");
    RgbaImage::from_raw(width, height, dst.into_vec()).expect("the resizer fills width×height×4 bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits() {
        assert_eq!(fit_within(4000, 3000, 512), (512, 384));
        assert_eq!(fit_within(3000, 4000, 512), (384, 512));
        assert_eq!(fit_within(100, 50, 512), (100, 50));
        assert_eq!(fit_within(100_000, 1, 512), (512, 1));
    }

    /// A resize with a resizer and an output buffer of its own, nothing kept.
    fn fresh_resize(image: &RgbImage, width: u32, height: u32) -> Vec<u8> {
        let (sw, sh) = image.dimensions();
        let src = ImageRef::new(sw, sh, image.as_raw(), PixelType::U8x3).unwrap();
        let mut dst = Image::new(width, height, PixelType::U8x3);
        let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
        Resizer::new().resize(&src, &mut dst, &options).unwrap();
        dst.into_vec()
    }

    fn noise(width: u32, height: u32, seed: u32) -> RgbImage {
        let mut state = seed.wrapping_mul(2_654_435_761).max(1);
        RgbImage::from_fn(width, height, |_, _| {
            let mut next = || {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state >> 24) as u8
            };
            image::Rgb([next(), next(), next()])
        })
    }

    #[test]
    fn kept_buffers_and_resizer_give_the_same_pixels_as_fresh_ones() {
        // The first resize leaves its (different) pixels in the buffer given back; the second reuses that buffer
        // and the resizer's scratch, and must overwrite every byte.
        let first = resize_rgb(&noise(1500, 1000, 1), 1024, 683);
        crate::buffers::give_back(first.into_raw());
        let source = noise(1400, 950, 2);
        let again = resize_rgb(&source, 1024, 683);
        assert_eq!(again.as_raw(), &fresh_resize(&source, 1024, 683));
    }

    #[test]
    fn resizes_running_at_once_on_the_rayon_pool_match_one_by_one() {
        use rayon::prelude::*;
        // Each resize works in parallel itself; a rayon thread waiting for that work runs another image's
        // resize meanwhile, which must not find the thread's resizer in use.
        // More threads than images at a time make such nesting happen on any machine.
        let pool = rayon::ThreadPoolBuilder::new().num_threads(8).build().unwrap();
        let sources: Vec<RgbImage> = (0..24).map(|i| noise(1300 + 37 * i, 1000, i)).collect();
        let together: Vec<Vec<u8>> = pool.install(|| {
            sources
                .par_iter()
                .map(|s| {
                    let out = resize_rgb(s, 1024, 768);
                    let pixels = out.as_raw().clone();
                    crate::buffers::give_back(out.into_raw());
                    pixels
                })
                .collect()
        });
        for (source, pixels) in sources.iter().zip(&together) {
            assert_eq!(pixels, &fresh_resize(source, 1024, 768));
        }
    }
}
