//! libjpeg-turbo, through the `mozjpeg` crate set to libjpeg-turbo's own ("fastest") defaults, so the files
//! are those libjpeg-turbo writes: encoding, decoding at a DCT scale (shrink-on-load), and decoding a
//! JPEG strip by strip ([`JpegRows`]) so that a gigapixel photo never has to be whole in memory.
//!
//! libjpeg reports a fatal error by unwinding (the crate resumes an unwind without calling the panic hook);
//! every call here is wrapped so that such an error comes back as a message, never as a panic.

use std::panic::{AssertUnwindSafe, catch_unwind};

use image::RgbImage;

use crate::{DecodeLimits, ImagingError};

/// Runs libjpeg work, turning its unwinding errors into messages.
pub(crate) fn libjpeg<T>(f: impl FnOnce() -> std::io::Result<T>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(payload) => Err(payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "libjpeg error".to_owned())
            .trim_start_matches("libjpeg fatal error: ")
            .to_owned()),
    }
}

/// Encodes 8-bit RGB pixels (`w`×`h`, rows packed) as a baseline JPEG: 4:2:0 chroma below quality 90,
/// 4:4:4 from 90, Huffman tables of the standard, integer DCT.
pub(crate) fn encode_rgb(pixels: &[u8], w: u32, h: u32, quality: u8) -> Result<Vec<u8>, ImagingError> {
    if w > 65535 || h > 65535 {
        return Err(ImagingError::Encode(format!(
            "{w}×{h} exceeds JPEG's 65535-pixel limit"
        )));
    }
    if w == 0 || h == 0 || pixels.len() != w as usize * h as usize * 3 {
        return Err(ImagingError::Encode(format!("{w}×{h} RGB needs {} bytes", w * h * 3)));
    }
    let quality = quality.clamp(1, 100);
    libjpeg(|| {
        let mut c = mozjpeg::Compress::new(mozjpeg::ColorSpace::JCS_RGB);
        c.set_fastest_defaults();
        c.set_size(w as usize, h as usize);
        c.set_quality(f32::from(quality));
        let chroma = if quality >= 90 { (1, 1) } else { (2, 2) };
        c.set_chroma_sampling_pixel_sizes(chroma, chroma);
        // Room for 6 bits a pixel, a kept buffer where there is one (give it back with `buffers::give_back`).
        let mut out = crate::buffers::take(pixels.len() / 4);
        out.clear();
        let mut started = c.start_compress(out)?;
        started.write_scanlines(pixels)?;
        started.finish()
    })
    .map_err(ImagingError::Encode)
}

/// What a JPEG's headers (up to its first scan) say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct JpegHeader {
    /// The start-of-frame marker: 0xC0 baseline, 0xC1 extended, 0xC2 progressive, …
    pub sof: u8,
    pub width: u32,
    pub height: u32,
    pub components: u8,
    /// The ICC profile from the APP2 `ICC_PROFILE` chunks, joined in order.
    pub icc: Option<Vec<u8>>,
    /// The data ends with an EOI marker (a copy cut short does not).
    pub complete: bool,
}

/// Reads the markers before the first scan; `None` for anything that is not a JPEG with a frame header.
pub(crate) fn read_header(bytes: &[u8]) -> Option<JpegHeader> {
    if bytes.get(..2) != Some(&[0xFF, 0xD8]) {
        return None;
    }
    let mut i = 2;
    let mut frame = None;
    let mut chunks: Vec<(u8, &[u8])> = Vec::new();
    while i + 4 <= bytes.len() {
        if bytes[i] != 0xFF {
            return None;
        }
        let marker = bytes[i + 1];
        if marker == 0xFF {
            i += 1; // fill byte
            continue;
        }
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        let body = bytes.get(i + 4..i + 2 + len)?;
        match marker {
            0xDA => break,
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) && body.len() >= 6 => {
                frame = Some((
                    marker,
                    u32::from(u16::from_be_bytes([body[3], body[4]])),
                    u32::from(u16::from_be_bytes([body[1], body[2]])),
                    body[5],
                ));
            }
            0xE2 if body.len() > 14 && body.starts_with(b"ICC_PROFILE\0") => chunks.push((body[12], &body[14..])),
            _ => {}
        }
        i += 2 + len;
    }
    let (sof, width, height, components) = frame?;
    chunks.sort_by_key(|c| c.0);
    let icc = (!chunks.is_empty()).then(|| chunks.iter().flat_map(|c| c.1.iter().copied()).collect());
    let complete = is_complete(bytes);
    Some(JpegHeader {
        sof,
        width,
        height,
        components,
        icc,
        complete,
    })
}

/// Whether a JPEG's main image is whole: an end-of-image marker in its last 64 bytes (the usual case, and a
/// short maker trailer), else one after the start of its scan data, with something else after it: a phone's
/// motion photo (Google's and Samsung's append the video to the JPEG), a long maker trailer. The scan data is
/// followed marker by marker to the end marker ([`scans_end`]), so a copy cut short is found out even when
/// other bytes follow the cut. Walking the segments first skips an EXIF thumbnail's own markers.
pub(crate) fn is_complete(bytes: &[u8]) -> bool {
    if bytes.len() > 4 && bytes.windows(2).rev().take(64).any(|w| w == [0xFF, 0xD9]) {
        return true;
    }
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
            return scans_end(bytes, i + 2 + len);
        }
        i += 2 + len;
    }
    false
}

/// Whether the scan data from `i` on reaches an end-of-image marker as a JPEG's does: in entropy-coded data
/// an `FF` is followed by `00` (a stuffed byte), a restart marker or a fill byte; between the scans of a
/// progressive JPEG come table, restart-interval, comment and application segments and the next scan's header.
/// Anything else (the bytes of a video after a copy cut short, say) is not the rest of a JPEG.
fn scans_end(bytes: &[u8], mut i: usize) -> bool {
    while let Some(at) = bytes.get(i..).and_then(|rest| rest.iter().position(|&b| b == 0xFF)) {
        let at = i + at;
        match bytes.get(at + 1) {
            Some(0x00 | 0xD0..=0xD7 | 0xFF) => i = at + 1,
            Some(0xD9) => return true,
            Some(0xC4 | 0xCC | 0xDA | 0xDB | 0xDD | 0xE0..=0xEF | 0xFE) => {
                let Some(len) = bytes.get(at + 2..at + 4) else {
                    return false;
                };
                i = at + 2 + usize::from(u16::from_be_bytes([len[0], len[1]]));
            }
            _ => return false,
        }
    }
    false
}

/// Decodes at `num`/8 of the full size (libjpeg-turbo's DCT scaling: the IDCT computes only the pixels
/// kept). `None` when libjpeg cannot (the caller decodes the usual way and reports what is wrong).
pub(crate) fn decode_scaled(bytes: &[u8], num: u8) -> Option<RgbImage> {
    libjpeg(|| {
        let mut d = mozjpeg::Decompress::new_mem(bytes)?;
        d.scale(num);
        let mut started = d.rgb()?;
        let (w, h) = (started.width(), started.height());
        let mut pixels = crate::buffers::take(w * h * 3);
        started.read_scanlines_into::<[u8; 3]>(as_pixels(&mut pixels))?;
        started.finish()?;
        Ok(RgbImage::from_raw(w as u32, h as u32, pixels))
    })
    .ok()
    .flatten()
}

fn as_pixels(bytes: &mut [u8]) -> &mut [[u8; 3]] {
    bytes.as_chunks_mut::<3>().0
}

/// A JPEG decoded a strip of rows at a time, in the order stored (no EXIF orientation applied), as
/// 8-bit RGB. Only sequential JPEGs stream (a progressive one needs all its coefficients before the first
/// row, as much memory as its pixels), and only complete ones in YCbCr, RGB or greyscale; see
/// [`JpegRows::open`]. Memory: libjpeg's few rows of state plus the strip asked for.
pub struct JpegRows<'a> {
    decoder: mozjpeg::decompress::DecompressStarted<&'a [u8]>,
    width: u32,
    height: u32,
    next: u32,
    icc: Option<Vec<u8>>,
}

/// What [`crate::probe`] says, for a JPEG that [`JpegRows`] can stream, held to `max_stream_pixels`
/// instead of `max_pixels`; `Ok(None)` for a JPEG that cannot stream.
pub(crate) fn probe_stream(bytes: &[u8], limits: &DecodeLimits) -> Result<Option<crate::Probe>, ImagingError> {
    let Some(header) = read_header(bytes).filter(streams) else {
        return Ok(None);
    };
    let (width, height) = (header.width, header.height);
    let stream_limits = DecodeLimits {
        max_pixels: limits.max_stream_pixels,
        ..*limits
    };
    crate::check_size(width, height, &stream_limits)?;
    Ok(Some(crate::Probe {
        format: "jpeg",
        width,
        height,
        icc_profile: header.icc,
        bytes_per_pixel: 3,
    }))
}

/// Sequential (baseline, extended, arithmetic), complete, and greyscale or three-component.
fn streams(header: &JpegHeader) -> bool {
    matches!(header.sof, 0xC0 | 0xC1 | 0xC9) && header.complete && matches!(header.components, 1 | 3)
}

impl<'a> JpegRows<'a> {
    /// Starts decoding `bytes` if it is a JPEG that can stream (`Ok(None)` when it is not: not a JPEG,
    /// progressive, CMYK, or cut short; decode it whole instead). The pixel count is checked against
    /// `limits.max_stream_pixels`, not `max_pixels`: streaming memory grows with the width, not the area.
    pub fn open(bytes: &'a [u8], limits: &DecodeLimits) -> Result<Option<Self>, ImagingError> {
        let Some(probe) = probe_stream(bytes, limits)? else {
            return Ok(None);
        };
        let (width, height) = (probe.width, probe.height);
        let decoder = libjpeg(|| mozjpeg::Decompress::new_mem(bytes)?.rgb()).map_err(ImagingError::Jpeg)?;
        if (decoder.width(), decoder.height()) != (width as usize, height as usize) {
            return Err(ImagingError::Jpeg(
                "frame header and decoder disagree on the size".into(),
            ));
        }
        Ok(Some(Self {
            decoder,
            width,
            height,
            next: 0,
            icc: probe.icc_profile,
        }))
    }

    /// The stored size of a JPEG that [`JpegRows::open`] would stream, from its headers alone; `None` for
    /// one it would not.
    pub fn size_of(bytes: &[u8]) -> Option<(u32, u32)> {
        read_header(bytes).filter(streams).map(|h| (h.width, h.height))
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    /// The embedded ICC profile, if any (apply [`crate::to_srgb`] to each strip).
    pub fn icc_profile(&self) -> Option<&[u8]> {
        self.icc.as_deref()
    }

    /// Rows not read yet.
    pub fn remaining(&self) -> u32 {
        self.height - self.next
    }

    /// The next `rows` rows (fewer at the end of the image; none after it).
    pub fn read(&mut self, rows: u32) -> Result<RgbImage, ImagingError> {
        let rows = rows.min(self.remaining());
        let mut pixels = vec![0u8; self.width as usize * rows as usize * 3];
        let decoder = &mut self.decoder;
        let got = libjpeg(|| Ok(decoder.read_scanlines_into::<[u8; 3]>(as_pixels(&mut pixels))?.len()))
            .map_err(ImagingError::Jpeg)?;
        if got != self.width as usize * rows as usize {
            return Err(ImagingError::Jpeg(format!(
                "rows {}–{} could not be decoded",
                self.next,
                self.next + rows
            )));
        }
        self.next += rows;
        Ok(RgbImage::from_raw(self.width, rows, pixels).expect("width·rows·3 bytes"))
    }
}
