//! Image work on one image, from bytes: probe a header under explicit limits, decode, orient, convert
//! to sRGB, resample and encode.
//!
//! Every decode goes through [`DecodeLimits`], built from one [`disan_core::Settings`] value: the header
//! is read first and an image claiming more pixels than allowed is refused before anything is
//! allocated ([`ImagingError::TooLarge`]).

mod color;
mod resize;

use std::io::Cursor;

use disan_core::Settings;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbImage, metadata::Orientation};

pub use color::icc_description;
pub use resize::{fit_within, resize_rgb};

/// Why an image could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ImagingError {
    #[error("not an image format Disan reads ({0}); convert it to JPEG, PNG, TIFF or WebP")]
    Unsupported(String),
    #[error(
        "image claims {width}×{height} pixels, more than the {max_pixels}-pixel limit \
         (a possible decompression bomb; raise --max-pixels if the image is genuine)"
    )]
    TooLarge { width: u32, height: u32, max_pixels: u64 },
    #[error("file is empty (0 bytes); copy it again from the camera or card")]
    EmptyFile,
    #[error("file is truncated: {0}; copy it again from the camera or card")]
    Truncated(&'static str),
    #[error("image has no pixels ({width}×{height})")]
    Empty { width: u32, height: u32 },
    #[error("cannot decode image: {0}")]
    Decode(#[from] image::ImageError),
    #[error("cannot encode JPEG: {0}")]
    Encode(String),
}

/// Limits applied to every decode.
#[derive(Clone, Copy, Debug)]
pub struct DecodeLimits {
    pub max_pixels: u64,
    pub max_alloc: u64,
}

impl From<&Settings> for DecodeLimits {
    fn from(s: &Settings) -> Self {
        Self {
            max_pixels: s.max_pixels,
            max_alloc: s.max_decode_alloc(),
        }
    }
}

impl DecodeLimits {
    fn image_limits(&self) -> image::Limits {
        // Dimensions are checked by `check_size` right after the header, with a clearer message; the
        // decoder itself is held to the allocation cap.
        let mut limits = image::Limits::default();
        limits.max_alloc = Some(self.max_alloc);
        limits
    }
}

/// What an image's header says, read without decoding pixels.
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    /// `jpeg`, `png`, `tiff` or `webp`: detected from the bytes, not the file name.
    pub format: &'static str,
    /// Stored (not upright) dimensions.
    pub width: u32,
    pub height: u32,
    pub icc_profile: Option<Vec<u8>>,
}

/// Reads the header of an image and checks it against the limits.
pub fn probe(bytes: &[u8], limits: &DecodeLimits) -> Result<Probe, ImagingError> {
    let (probe, _) = open_checked(bytes, limits)?;
    Ok(probe)
}

/// Opens a decoder, reads the header and checks it: the one way in for both probing and decoding.
fn open_checked<'b>(
    bytes: &'b [u8],
    limits: &DecodeLimits,
) -> Result<(Probe, Box<dyn ImageDecoder + 'b>), ImagingError> {
    let (format, mut decoder) = open_decoder(bytes, limits)?;
    let (width, height) = decoder.dimensions();
    check_size(width, height, limits)?;
    let icc_profile = decoder.icc_profile().ok().flatten();
    Ok((
        Probe {
            format,
            width,
            height,
            icc_profile,
        },
        decoder,
    ))
}

/// A decoded image: 8-bit RGB in the source's colour space, as stored (not yet oriented).
pub struct Decoded {
    pub image: RgbImage,
    pub icc_profile: Option<Vec<u8>>,
}

/// Decodes to 8-bit RGB (16-bit sources are scaled, alpha is composited over white).
pub fn decode_rgb8(bytes: &[u8], limits: &DecodeLimits) -> Result<Decoded, ImagingError> {
    let (probe, decoder) = open_checked(bytes, limits)?;
    let image = DynamicImage::from_decoder(decoder)?;
    Ok(Decoded {
        image: to_rgb8(image),
        icc_profile: probe.icc_profile,
    })
}

fn open_decoder<'b>(
    bytes: &'b [u8],
    limits: &DecodeLimits,
) -> Result<(&'static str, Box<dyn ImageDecoder + 'b>), ImagingError> {
    if bytes.is_empty() {
        return Err(ImagingError::EmptyFile);
    }
    let format = image::guess_format(bytes).map_err(|_| ImagingError::Unsupported(sniff(bytes)))?;
    let name = match format {
        ImageFormat::Jpeg => "jpeg",
        ImageFormat::Png => "png",
        ImageFormat::Tiff => "tiff",
        ImageFormat::WebP => "webp",
        other => {
            return Err(ImagingError::Unsupported(format!("{other:?}").to_lowercase()));
        }
    };
    if format == ImageFormat::Jpeg && !jpeg_is_complete(bytes) {
        // The decoder would fill the missing part with grey and say nothing.
        return Err(ImagingError::Truncated("the JPEG ends before its end-of-image marker"));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits.image_limits());
    let mut decoder: Box<dyn ImageDecoder> = Box::new(reader.into_decoder()?);
    decoder.set_limits(limits.image_limits())?;
    Ok((name, decoder))
}

/// Whether a JPEG has an end-of-image marker after the start of its main image's scan data. Walking
/// the segments first skips an EXIF thumbnail's own markers; bytes after the end marker (maker
/// trailers) are allowed.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let mut i = 2;
    while i + 4 <= bytes.len() {
        if bytes[i] != 0xFF {
            return false;
        }
        let marker = bytes[i + 1];
        if marker == 0xFF {
            i += 1; // fill byte
            continue;
        }
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        if marker == 0xDA {
            let scan = i + 2 + len;
            return bytes
                .get(scan..)
                .is_some_and(|rest| rest.windows(2).any(|w| w == [0xFF, 0xD9]));
        }
        i += 2 + len;
    }
    false
}

fn check_size(width: u32, height: u32, limits: &DecodeLimits) -> Result<(), ImagingError> {
    if width == 0 || height == 0 {
        return Err(ImagingError::Empty { width, height });
    }
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(ImagingError::TooLarge {
            width,
            height,
            max_pixels: limits.max_pixels,
        });
    }
    Ok(())
}

/// Names formats that `image` does not decode, for a useful message.
fn sniff(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "empty file".into();
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        let brand = String::from_utf8_lossy(&bytes[8..12]).into_owned();
        return format!("ISO media, brand {brand:?}: HEIC/HEIF/AVIF");
    }
    if bytes.starts_with(b"BM") {
        return "BMP".into();
    }
    if bytes.starts_with(b"GIF8") {
        return "GIF".into();
    }
    "unrecognised content".into()
}

fn to_rgb8(image: DynamicImage) -> RgbImage {
    match image {
        DynamicImage::ImageRgb8(rgb) => rgb,
        img if img.color().has_alpha() => {
            let rgba = img.into_rgba8();
            let (w, h) = rgba.dimensions();
            let mut out = RgbImage::new(w, h);
            for (o, p) in out.pixels_mut().zip(rgba.pixels()) {
                let a = u16::from(p[3]);
                for c in 0..3 {
                    // Over white: c·a + 255·(1 − a), rounded.
                    o[c] = ((u16::from(p[c]) * a + 255 * (255 - a) + 127) / 255) as u8;
                }
            }
            out
        }
        img => img.into_rgb8(),
    }
}

/// Applies an EXIF orientation (1–8) so the image is upright; anything else leaves it as it is.
pub fn orient(image: RgbImage, exif_orientation: Option<u16>) -> RgbImage {
    let Some(orientation) = exif_orientation.and_then(|o| Orientation::from_exif(o as u8)) else {
        return image;
    };
    let mut dynamic = DynamicImage::ImageRgb8(image);
    dynamic.apply_orientation(orientation);
    dynamic.into_rgb8()
}

/// Whether an EXIF orientation swaps width and height (5–8: a quarter turn).
pub fn swaps_axes(exif_orientation: Option<u16>) -> bool {
    matches!(exif_orientation, Some(5..=8))
}

/// Converts pixels in the colour space of `icc` to sRGB in place. A profile that cannot be read or
/// converted leaves the pixels as they are and says why.
pub fn to_srgb(image: &mut RgbImage, icc: Option<&[u8]>) -> Result<(), String> {
    match icc {
        Some(icc) => color::convert_to_srgb(image, icc),
        None => Ok(()),
    }
}

/// Encodes 8-bit RGB as a baseline JPEG (4:2:0 chroma below quality 90, 4:4:4 from 90).
///
/// Optimised Huffman tables stay off: with 4:2:0 chroma, jpeg-encoder 0.7.1's optimised tables come
/// out as stripes through zune-jpeg (the `image` crate's decoder, and so our viewer), though libjpeg
/// reads them. `jpeg_round_trip` in the tests guards this.
pub fn encode_jpeg(image: &RgbImage, quality: u8) -> Result<Vec<u8>, ImagingError> {
    let (w, h) = image.dimensions();
    let (w16, h16) = (
        u16::try_from(w).map_err(|_| ImagingError::Encode(format!("width {w} exceeds 65535")))?,
        u16::try_from(h).map_err(|_| ImagingError::Encode(format!("height {h} exceeds 65535")))?,
    );
    let mut out = Vec::with_capacity(image.as_raw().len() / 8);
    let encoder = jpeg_encoder::Encoder::new(&mut out, quality.clamp(1, 100));
    encoder
        .encode(image.as_raw(), w16, h16, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| ImagingError::Encode(e.to_string()))?;
    Ok(out)
}
