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
    let mut dst = Image::new(width, height, PixelType::U8x3);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    Resizer::new()
        .resize(&src, &mut dst, &options)
        .expect("source and destination are both RGB8 with non-zero sizes");
    RgbImage::from_raw(width, height, dst.into_vec()).expect("the resizer fills width×height×3 bytes")
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
    Resizer::new()
        .resize(&src, &mut dst, &options)
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
}
