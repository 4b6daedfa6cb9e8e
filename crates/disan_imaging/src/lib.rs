//! Image work on one image, from bytes: probe a header under explicit limits, decode, orient, convert
//! to sRGB, resample and encode.
//!
//! Every decode goes through [`DecodeLimits`], built from one [`disan_core::Settings`] value: the header
//! is read first and an image claiming more pixels than allowed is refused before anything is
//! allocated ([`ImagingError::TooLarge`]).

// This crate is the one place that may call the `image` crate's decoders (clippy.toml refuses them everywhere
// else): each call here is behind a header check against `DecodeLimits`.
#![allow(clippy::disallowed_methods)]

mod any;
pub mod buffers;
mod color;
mod jpeg;
mod resize;
pub mod transcode;

use std::io::Cursor;

use disan_core::Settings;
use image::{DynamicImage, ImageBuffer, ImageDecoder, ImageFormat, ImageReader, Rgb, RgbImage, metadata::Orientation};

pub use any::{MAX_TEXTURE_SIDE, decode_any, decode_rgba8, dimensions, read_rgb8, read_rgba8};
pub use color::{icc_description, icc_is_srgb};
pub use jpeg::JpegRows;
pub use resize::{fit_within, resize_rgb, resize_rgb_region, resize_rgba};

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
    #[error("cannot decode JPEG: {0}")]
    Jpeg(String),
    #[error("cannot encode JPEG: {0}")]
    Encode(String),
    /// An embedded colour profile that cannot be applied: the pixels are left as decoded.
    #[error("{0}")]
    ColourProfile(String),
}

/// Limits applied to every decode.
#[derive(Clone, Copy, Debug)]
pub struct DecodeLimits {
    pub max_pixels: u64,
    pub max_alloc: u64,
    /// Largest image decoded strip by strip ([`JpegRows`]), whose memory grows with the width only.
    pub max_stream_pixels: u64,
}

impl From<&Settings> for DecodeLimits {
    fn from(s: &Settings) -> Self {
        Self {
            max_pixels: s.max_pixels,
            max_alloc: s.max_decode_alloc(),
            max_stream_pixels: s.max_stream_pixels.max(s.max_pixels),
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
    /// Bytes per pixel of the decoder's output (6 for 16-bit RGB): with the dimensions, what a decode
    /// allocates before conversion to 8-bit RGB.
    pub bytes_per_pixel: u8,
}

impl Probe {
    /// Bytes a full decode holds at its peak (decoder output plus the 8-bit RGB result).
    pub fn decode_bytes(&self) -> u64 {
        let pixels = u64::from(self.width) * u64::from(self.height);
        let out = u64::from(self.bytes_per_pixel);
        pixels * if out == 3 { 3 } else { out + 3 }
    }
}

/// Reads the header of an image and checks it against the limits.
pub fn probe(bytes: &[u8], limits: &DecodeLimits) -> Result<Probe, ImagingError> {
    let (probe, _) = open_checked(bytes, limits)?;
    Ok(probe)
}

/// [`probe`] for a photo that may be tiled strip by strip: a JPEG that [`JpegRows`] streams is held to
/// `max_stream_pixels` (its memory grows with its width only); any other image to `max_pixels`, as in
/// [`probe`]. Whether it then streams also depends on its orientation: see [`is_upright`].
pub fn probe_for_tiles(bytes: &[u8], limits: &DecodeLimits) -> Result<Probe, ImagingError> {
    match jpeg::probe_stream(bytes, limits)? {
        Some(probe) => Ok(probe),
        None => probe(bytes, limits),
    }
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
    let bytes_per_pixel = decoder.color_type().bytes_per_pixel();
    Ok((
        Probe {
            format,
            width,
            height,
            icc_profile,
            bytes_per_pixel,
        },
        decoder,
    ))
}

/// A decoded image: 8-bit RGB, as stored (not yet oriented).
pub struct Decoded {
    pub image: RgbImage,
    /// The RGB profile the pixels are still in (apply [`to_srgb`]); `None` when they are sRGB already,
    /// untagged, or were converted during decoding (16-bit and CMYK sources).
    pub icc_profile: Option<Vec<u8>>,
    /// What the decode had to approximate (an unusable profile, CMYK without one), for the file's warnings.
    pub notes: Vec<String>,
}

/// Decodes to 8-bit RGB. Alpha is composited over white. 16-bit sources with a profile are converted to
/// sRGB at 16 bits and then rounded to 8; without one they are rounded (`round(v·255/65535)`). CMYK JPEGs
/// are converted through their embedded CMYK profile; without one, by the decoder's generic formula
/// with a note that colours are approximate.
pub fn decode_rgb8(bytes: &[u8], limits: &DecodeLimits) -> Result<Decoded, ImagingError> {
    let (probe, mut decoder) = open_checked(bytes, limits)?;
    let mut notes = Vec::new();
    let cmyk = probe.format == "jpeg" && jpeg_is_cmyk(bytes);
    if cmyk {
        match probe.icc_profile.as_deref() {
            Some(icc) => match decode_cmyk(bytes, &probe, icc) {
                Ok(image) => {
                    return Ok(Decoded {
                        image,
                        icc_profile: None,
                        notes,
                    });
                }
                Err(e) => notes.push(format!("{e}; converted without it, colours are approximate")),
            },
            None => notes.push(
                "CMYK JPEG without a colour profile: converted by a generic formula, colours are approximate".into(),
            ),
        }
        // The generic conversion, from a fresh decoder (the first may have been read from).
        decoder = open_checked(bytes, limits)?.1;
    }
    let image = DynamicImage::from_decoder(decoder)?;
    let is_16bit = matches!(
        image,
        DynamicImage::ImageRgb16(_)
            | DynamicImage::ImageRgba16(_)
            | DynamicImage::ImageLuma16(_)
            | DynamicImage::ImageLumaA16(_)
    );
    if !is_16bit {
        // After a CMYK conversion the (CMYK) profile no longer describes the pixels.
        let icc_profile = if cmyk { None } else { probe.icc_profile };
        return Ok(Decoded {
            image: to_rgb8(image),
            icc_profile,
            notes,
        });
    }
    let rgb16 = to_rgb16(image);
    let image = match probe.icc_profile {
        Some(icc) => color::convert16_to_srgb8(&rgb16, &icc).unwrap_or_else(|e| {
            notes.push(e);
            color::reduce16(&rgb16)
        }),
        None => color::reduce16(&rgb16),
    };
    Ok(Decoded {
        image,
        icc_profile: None,
        notes,
    })
}

/// Decodes to 8-bit RGB at least `min_width`×`min_height` where that is much smaller than the image: a plain
/// (YCbCr or greyscale, complete) JPEG is decoded by libjpeg-turbo at the smallest of the scales 1/8, 1/4, 3/8
/// and 1/2 that still covers the request (shrink-on-load: the IDCT computes only the pixels kept), else at full
/// size. 3/8 has no SIMD IDCT but costs no more than 1/2 (a 6000×4000 photo: 74 against 76 ms), and the image
/// it gives is 44 % smaller to resample: it serves a 2048 px display from a 24 MP capture. 5/8 and up are
/// slower than a full decode (3264×2448: full 30 ms; 1/2 15 ms, 1/8 11 ms; 5/8 31 ms, 7/8 51 ms). The full
/// size by libjpeg-turbo rather than zune-jpeg (behind [`decode_rgb8`]) serves the 8–12 MP phone photo, whose
/// display no smaller scale covers: 14 % less time over 60 of them, and its buffer kept for the next photo
/// (215 → 123 MB). Everything else, a CMYK JPEG, a truncated one, and a JPEG libjpeg-turbo refuses go through
/// [`decode_rgb8`], so limits, errors, CMYK and 16-bit handling stay the same. The profile is returned as
/// `decode_rgb8` does.
pub fn decode_rgb8_at_least(
    bytes: &[u8],
    limits: &DecodeLimits,
    min_width: u32,
    min_height: u32,
) -> Result<Decoded, ImagingError> {
    // A complete YCbCr or greyscale JPEG is judged from its own headers; opening it through `image` to probe
    // would first copy the whole file (the decoder behind it wants it all in one buffer).
    let probe = match jpeg::read_header(bytes).filter(|h| h.complete && matches!(h.components, 1 | 3)) {
        Some(header) => {
            check_size(header.width, header.height, limits)?;
            Probe {
                format: "jpeg",
                width: header.width,
                height: header.height,
                icc_profile: header.icc,
                bytes_per_pixel: header.components,
            }
        }
        None => {
            let probe = probe(bytes, limits)?;
            if probe.format != "jpeg" || !jpeg::is_complete(bytes) || jpeg_is_cmyk(bytes) {
                return decode_rgb8(bytes, limits);
            }
            probe
        }
    };
    match decode_jpeg_scaled(bytes, &probe, min_width.max(1), min_height.max(1)) {
        Some(image) => Ok(Decoded {
            image,
            icc_profile: probe.icc_profile,
            notes: Vec::new(),
        }),
        None => decode_rgb8(bytes, limits),
    }
}

/// libjpeg-turbo at the smallest of 1/8, 1/4, 3/8, 1/2, 8/8 covering `min_w`×`min_h`; `None` when none does or it
/// cannot (the caller decodes the usual way and reports what is wrong).
fn decode_jpeg_scaled(bytes: &[u8], probe: &Probe, min_w: u32, min_h: u32) -> Option<RgbImage> {
    // libjpeg's scaled size: ⌈size·num/8⌉.
    let scaled = |size: u32, num: u32| (size * num).div_ceil(8);
    let num = [1u8, 2, 3, 4, 8]
        .into_iter()
        .find(|&n| scaled(probe.width, u32::from(n)) >= min_w && scaled(probe.height, u32::from(n)) >= min_h)?;
    let image = jpeg::decode_scaled(bytes, num)?;
    (image.dimensions()
        == (
            scaled(probe.width, u32::from(num)),
            scaled(probe.height, u32::from(num)),
        ))
        .then_some(image)
}

/// Whether a JPEG carries an APP14 "Adobe" segment before its scan.
fn jpeg_has_adobe_marker(bytes: &[u8]) -> bool {
    let mut i = 2;
    while i + 4 <= bytes.len() && bytes[i] == 0xFF {
        let marker = bytes[i + 1];
        if marker == 0xDA {
            return false;
        }
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        if marker == 0xEE && bytes.get(i + 4..i + 9) == Some(b"Adobe") {
            return true;
        }
        i += 2 + len;
    }
    false
}

/// Whether a JPEG's frame holds CMYK or YCCK (four components), from its headers.
fn jpeg_is_cmyk(bytes: &[u8]) -> bool {
    use zune_core::{bytestream::ZCursor, colorspace::ColorSpace};
    let mut decoder = zune_jpeg::JpegDecoder::new(ZCursor::new(bytes));
    decoder.decode_headers().is_ok() && matches!(decoder.input_colorspace(), Some(ColorSpace::CMYK | ColorSpace::YCCK))
}

/// CMYK samples straight from zune-jpeg (the decoder behind `image`), converted through the profile.
fn decode_cmyk(bytes: &[u8], probe: &Probe, icc: &[u8]) -> Result<RgbImage, String> {
    use zune_core::{bytestream::ZCursor, colorspace::ColorSpace, options::DecoderOptions};
    let options = DecoderOptions::default()
        .jpeg_set_out_colorspace(ColorSpace::CMYK)
        .set_strict_mode(false)
        .set_max_width(probe.width as usize)
        .set_max_height(probe.height as usize);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    let mut cmyk = decoder
        .decode()
        .map_err(|e| format!("CMYK JPEG could not be decoded: {e:?}"))?;
    if jpeg_has_adobe_marker(bytes) {
        // Adobe's CMYK JPEGs (Photoshop, libvips, most of the world) store the samples inverted.
        for v in &mut cmyk {
            *v = 255 - *v;
        }
    }
    color::cmyk_to_srgb8(&cmyk, probe.width, probe.height, icc)
}

/// Any 16-bit image as 16-bit RGB, alpha composited over white.
fn to_rgb16(image: DynamicImage) -> ImageBuffer<Rgb<u16>, Vec<u16>> {
    if !image.color().has_alpha() {
        return image.into_rgb16();
    }
    let rgba = image.into_rgba16();
    let (w, h) = rgba.dimensions();
    let mut out = ImageBuffer::<Rgb<u16>, Vec<u16>>::new(w, h);
    for (o, p) in out.pixels_mut().zip(rgba.pixels()) {
        let a = u64::from(p[3]);
        for c in 0..3 {
            o[c] = ((u64::from(p[c]) * a + 65535 * (65535 - a) + 32767) / 65535) as u16;
        }
    }
    out
}

/// A copy of the `w`×`h` rectangle at `x`, `y` (row by row; the rectangle must lie inside the image).
pub fn crop_rgb(image: &RgbImage, x: u32, y: u32, w: u32, h: u32) -> RgbImage {
    assert!(
        x + w <= image.width() && y + h <= image.height(),
        "crop inside the image"
    );
    let stride = image.width() as usize * 3;
    let (x0, row) = (x as usize * 3, w as usize * 3);
    let mut out = Vec::with_capacity(row * h as usize);
    for r in y as usize..(y + h) as usize {
        out.extend_from_slice(&image.as_raw()[r * stride + x0..r * stride + x0 + row]);
    }
    RgbImage::from_raw(w, h, out).expect("w·h·3 bytes")
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
    if format == ImageFormat::Jpeg && !jpeg::is_complete(bytes) {
        // The decoder would fill the missing part with grey and say nothing.
        return Err(ImagingError::Truncated("the JPEG ends before its end-of-image marker"));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits.image_limits());
    let mut decoder: Box<dyn ImageDecoder> = Box::new(reader.into_decoder()?);
    decoder.set_limits(limits.image_limits())?;
    Ok((name, decoder))
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

/// Whether an EXIF orientation leaves the image as stored (none, 1, or a value that is not an orientation).
pub fn is_upright(exif_orientation: Option<u16>) -> bool {
    // As `orient` reads it.
    exif_orientation
        .and_then(|o| Orientation::from_exif(o as u8))
        .is_none_or(|o| o == Orientation::NoTransforms)
}

/// Whether an EXIF orientation swaps width and height (5–8: a quarter turn).
pub fn swaps_axes(exif_orientation: Option<u16>) -> bool {
    matches!(exif_orientation, Some(5..=8))
}

/// Converts pixels in the colour space of `icc` to sRGB in place. A profile that cannot be read or
/// converted leaves the pixels as they are and says why.
pub fn to_srgb(image: &mut RgbImage, icc: Option<&[u8]>) -> Result<(), ImagingError> {
    match icc {
        Some(icc) => color::convert_to_srgb(image, icc).map_err(ImagingError::ColourProfile),
        None => Ok(()),
    }
}

/// Encodes 8-bit RGB as a baseline JPEG (4:2:0 chroma below quality 90, 4:4:4 from 90) with libjpeg-turbo's
/// code and defaults (through the `mozjpeg` crate, see `jpeg.rs`): 3× the speed of the pure-Rust encoders we
/// measured (docs/BENCHMARKS.md), and the encoder is the largest part of every tiling job.
pub fn encode_jpeg(image: &RgbImage, quality: u8) -> Result<Vec<u8>, ImagingError> {
    let (w, h) = image.dimensions();
    jpeg::encode_rgb(image.as_raw(), w, h, quality)
}
