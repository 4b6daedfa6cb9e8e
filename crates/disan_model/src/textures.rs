//! Texture images: recognised, kept as PNG/JPEG (others re-encoded to PNG), and reduced for LODs.

use std::io::Cursor;

use disan_imaging::DecodeLimits;
use image::{DynamicImage, ImageFormat, RgbaImage};

use crate::scene::Image;

pub use disan_imaging::MAX_TEXTURE_SIDE;

const LIMITS: DecodeLimits = DecodeLimits::textures();

/// Why a texture cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TextureError {
    #[error("texture is {width}×{height}, above {MAX_TEXTURE_SIDE} px a side")]
    TooLarge { width: u32, height: u32 },
    #[error("KTX2 textures are not decoded: re-export with PNG or JPEG textures")]
    Ktx2,
    #[error("texture is neither PNG nor JPEG (nor anything else recognised)")]
    Unrecognised,
    #[error("{0}")]
    Image(#[from] disan_imaging::ImagingError),
    #[error("cannot encode the texture as PNG: {0}")]
    Png(#[from] image::ImageError),
}

/// An image as a glTF texture: PNG and JPEG kept byte for byte, WebP/GIF re-encoded to PNG.
pub fn normalise_image(name: Option<&str>, bytes: Vec<u8>) -> Result<Image, TextureError> {
    let name = name.map(str::to_owned);
    match crate::validate::sniff_image(&bytes) {
        Some(mime @ ("image/png" | "image/jpeg")) => {
            let (width, height) = disan_imaging::dimensions(&bytes, &LIMITS)?;
            if width > MAX_TEXTURE_SIDE || height > MAX_TEXTURE_SIDE {
                return Err(TextureError::TooLarge { width, height });
            }
            Ok(Image {
                name,
                mime: mime.to_owned(),
                bytes,
                width,
                height,
            })
        }
        Some("image/ktx2") => Err(TextureError::Ktx2),
        Some(_) => {
            let img = disan_imaging::decode_any(&bytes, &LIMITS)?;
            let (width, height) = (img.width(), img.height());
            Ok(Image {
                name,
                mime: "image/png".into(),
                bytes: encode_png(&img.to_rgba8())?,
                width,
                height,
            })
        }
        None => Err(TextureError::Unrecognised),
    }
}

fn encode_png(img: &RgbaImage) -> Result<Vec<u8>, TextureError> {
    let mut out = Vec::new();
    let dynamic = DynamicImage::ImageRgba8(img.clone());
    // Drop an alpha channel that is fully opaque: smaller files, and no blending needed.
    let opaque = img.pixels().all(|p| p.0[3] == 255);
    let result = if opaque {
        dynamic.to_rgb8().write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
    } else {
        dynamic.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
    };
    result?;
    Ok(out)
}

/// The image scaled to fit `max_side` (never enlarged). Opaque images become JPEG at quality 90;
/// images with transparency stay PNG.
pub fn shrink(image: &Image, max_side: u32) -> Result<Image, TextureError> {
    if image.width.max(image.height) <= max_side {
        return Ok(image.clone());
    }
    let (w, h) = disan_imaging::fit_within(image.width, image.height, max_side);
    let rgba = disan_imaging::decode_rgba8(&image.bytes, &LIMITS)?;
    let small = disan_imaging::resize_rgba(&rgba, w, h);
    let opaque = small.pixels().all(|p| p.0[3] == 255);
    let (mime, bytes) = if opaque {
        let rgb = DynamicImage::ImageRgba8(small).to_rgb8();
        ("image/jpeg", disan_imaging::encode_jpeg(&rgb, 90)?)
    } else {
        ("image/png", encode_png(&small)?)
    };
    Ok(Image {
        name: image.name.clone(),
        mime: mime.into(),
        bytes,
        width: w,
        height: h,
    })
}
