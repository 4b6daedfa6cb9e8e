//! Images of any format the `image` crate reads, for what is not a capture: model textures, the viewer's
//! thumbnails and tiles, the CLI's renders from tiles. The same limits apply as for captures: the header is
//! read and checked before any pixel is decoded, and the decoder is held to the allocation cap.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader, RgbImage, RgbaImage};

use crate::{DecodeLimits, ImagingError, check_size, sniff};

/// Largest texture side read (16K covers 8K photogrammetry atlases with room to spare).
pub const MAX_TEXTURE_SIDE: u32 = 16384;

impl DecodeLimits {
    /// Limits for textures and display images: at most [`MAX_TEXTURE_SIDE`]² pixels, and that as RGBA plus
    /// 64 MiB of decoder state.
    pub const fn textures() -> Self {
        let side = MAX_TEXTURE_SIDE as u64;
        Self {
            max_pixels: side * side,
            max_alloc: side * side * 4 + (64 << 20),
            max_stream_pixels: side * side,
        }
    }
}

fn decoder<'b>(bytes: &'b [u8], limits: &DecodeLimits) -> Result<impl ImageDecoder + 'b, ImagingError> {
    if bytes.is_empty() {
        return Err(ImagingError::EmptyFile);
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ImagingError::Decode(e.into()))?;
    if reader.format().is_none() {
        return Err(ImagingError::Unsupported(sniff(bytes)));
    }
    reader.limits(limits.image_limits());
    let decoder = reader.into_decoder()?;
    let (width, height) = decoder.dimensions();
    check_size(width, height, limits)?;
    Ok(decoder)
}

/// Width and height from the header, checked against the limits; no pixel is decoded.
pub fn dimensions(bytes: &[u8], limits: &DecodeLimits) -> Result<(u32, u32), ImagingError> {
    Ok(decoder(bytes, limits)?.dimensions())
}

/// Decodes any format the `image` crate reads, as stored (no orientation, no colour conversion).
pub fn decode_any(bytes: &[u8], limits: &DecodeLimits) -> Result<DynamicImage, ImagingError> {
    let decoder = decoder(bytes, limits)?;
    Ok(DynamicImage::from_decoder(decoder)?)
}

/// [`decode_any`] as 8-bit RGBA.
pub fn decode_rgba8(bytes: &[u8], limits: &DecodeLimits) -> Result<RgbaImage, ImagingError> {
    Ok(decode_any(bytes, limits)?.into_rgba8())
}

/// A file read and decoded with [`decode_any`], as 8-bit RGBA (the viewer's images).
pub fn read_rgba8(path: &std::path::Path, limits: &DecodeLimits) -> Result<RgbaImage, ImagingError> {
    let bytes = std::fs::read(path).map_err(|e| ImagingError::Decode(e.into()))?;
    decode_rgba8(&bytes, limits)
}

/// A file read and decoded with [`decode_any`], as 8-bit RGB (tiles, renders, test references).
pub fn read_rgb8(path: &std::path::Path, limits: &DecodeLimits) -> Result<RgbImage, ImagingError> {
    let bytes = std::fs::read(path).map_err(|e| ImagingError::Decode(e.into()))?;
    Ok(decode_any(&bytes, limits)?.into_rgb8())
}
