//! ICC profiles to sRGB through moxcms, in bands of rows over the rayon pool so a 100 MP image needs no
//! second full-size buffer.

use image::{ImageBuffer, Rgb, RgbImage};
use moxcms::{ColorProfile, DataColorSpace, Layout, ProfileText, TransformOptions};
use rayon::prelude::*;

/// Rows converted as one unit of work.
const BAND_ROWS: usize = 64;

/// A human-readable name for an ICC profile ("Display P3", "Adobe RGB (1998)", …), in English where the
/// profile has several languages.
pub fn icc_description(icc: &[u8]) -> Option<String> {
    let profile = ColorProfile::new_from_slice(icc).ok()?;
    let text = match profile.description? {
        ProfileText::PlainString(s) => s,
        ProfileText::Localizable(v) => {
            let en = v.iter().position(|s| s.language.eq_ignore_ascii_case("en"));
            v.into_iter().nth(en.unwrap_or(0))?.value
        }
        ProfileText::Description(d) => {
            if d.ascii_string.is_empty() {
                d.unicode_string
            } else {
                d.ascii_string
            }
        }
    };
    let text = text.trim_matches(char::from(0)).trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// Whether an ICC profile is an sRGB profile ("sRGB IEC61966-2.1" as cameras and editors embed it, "GIMP
/// built-in sRGB", …): converting to sRGB leaves such an image's pixels as they are.
pub fn icc_is_srgb(icc: &[u8]) -> bool {
    matches!(rgb_profile(icc), Ok(None))
}

/// Reads an RGB profile, or says why it cannot be used. `Ok(None)`: the profile is sRGB already.
fn rgb_profile(icc: &[u8]) -> Result<Option<ColorProfile>, String> {
    let src = ColorProfile::new_from_slice(icc).map_err(|e| format!("ICC profile unreadable: {e:?}"))?;
    if src.color_space != DataColorSpace::Rgb {
        return Err(format!(
            "ICC profile is for {:?} data, not RGB; colours were left as decoded",
            src.color_space
        ));
    }
    if icc_description(icc).is_some_and(|d| d.to_ascii_lowercase().contains("srgb")) {
        return Ok(None);
    }
    Ok(Some(src))
}

pub(crate) fn convert_to_srgb(image: &mut RgbImage, icc: &[u8]) -> Result<(), String> {
    let Some(src) = rgb_profile(icc)? else {
        return Ok(());
    };
    let transform = src
        .create_transform_8bit(
            Layout::Rgb,
            &ColorProfile::new_srgb(),
            Layout::Rgb,
            TransformOptions::default(),
        )
        .map_err(|e| format!("ICC profile cannot be converted to sRGB: {e:?}"))?;
    let stride = image.width() as usize * 3;
    image
        .par_chunks_mut(stride * BAND_ROWS)
        .try_for_each_init(Vec::new, |scratch, band| {
            scratch.resize(band.len(), 0u8);
            transform.transform(band, scratch)?;
            band.copy_from_slice(scratch);
            Ok(())
        })
        .map_err(|e: moxcms::CmsError| format!("ICC conversion failed: {e:?}"))
}

/// Converts 16-bit RGB in the colour space of `icc` to 8-bit sRGB: the transform runs on 16-bit values and
/// only its result is rounded, so wide-gamut sources (ProPhoto) keep smooth gradients.
pub(crate) fn convert16_to_srgb8(image: &ImageBuffer<Rgb<u16>, Vec<u16>>, icc: &[u8]) -> Result<RgbImage, String> {
    let (w, h) = image.dimensions();
    let Some(src) = rgb_profile(icc)? else {
        return Ok(reduce16(image));
    };
    let transform = src
        .create_transform_16bit(
            Layout::Rgb,
            &ColorProfile::new_srgb(),
            Layout::Rgb,
            TransformOptions::default(),
        )
        .map_err(|e| format!("ICC profile cannot be converted to sRGB: {e:?}"))?;
    let stride = w as usize * 3;
    let mut out = vec![0u8; stride * h as usize];
    out.par_chunks_mut(stride * BAND_ROWS)
        .zip(image.as_raw().par_chunks(stride * BAND_ROWS))
        .try_for_each_init(Vec::new, |scratch, (dst, src)| {
            scratch.resize(src.len(), 0u16);
            transform.transform(src, scratch)?;
            for (d, s) in dst.iter_mut().zip(scratch.iter()) {
                *d = to8(*s);
            }
            Ok(())
        })
        .map_err(|e: moxcms::CmsError| format!("ICC conversion failed: {e:?}"))?;
    Ok(RgbImage::from_raw(w, h, out).expect("w·h·3 bytes"))
}

/// Converts CMYK samples (4 per pixel, as stored: 0 = no ink) to 8-bit sRGB through the CMYK profile.
pub(crate) fn cmyk_to_srgb8(cmyk: &[u8], width: u32, height: u32, icc: &[u8]) -> Result<RgbImage, String> {
    let src = ColorProfile::new_from_slice(icc).map_err(|e| format!("ICC profile unreadable: {e:?}"))?;
    if src.color_space != DataColorSpace::Cmyk {
        return Err(format!(
            "a CMYK image carries an ICC profile for {:?} data",
            src.color_space
        ));
    }
    let transform = src
        .create_transform_8bit(
            Layout::Rgba,
            &ColorProfile::new_srgb(),
            Layout::Rgb,
            TransformOptions::default(),
        )
        .map_err(|e| format!("CMYK profile cannot be converted to sRGB: {e:?}"))?;
    let (w, h) = (width as usize, height as usize);
    if cmyk.len() != w * h * 4 {
        return Err(format!("decoder returned {} CMYK bytes for {w}×{h}", cmyk.len()));
    }
    let mut out = vec![0u8; w * h * 3];
    out.par_chunks_mut(w * 3 * BAND_ROWS)
        .zip(cmyk.par_chunks(w * 4 * BAND_ROWS))
        .try_for_each(|(dst, src)| transform.transform(src, dst))
        .map_err(|e| format!("CMYK conversion failed: {e:?}"))?;
    Ok(RgbImage::from_raw(width, height, out).expect("w·h·3 bytes"))
}

/// 16-bit to 8-bit with rounding: `round(v · 255 / 65535)`.
pub(crate) fn to8(v: u16) -> u8 {
    ((u32::from(v) * 255 + 32767) / 65535) as u8
}

pub(crate) fn reduce16(image: &ImageBuffer<Rgb<u16>, Vec<u16>>) -> RgbImage {
    let (w, h) = image.dimensions();
    let out = image.as_raw().par_iter().map(|&v| to8(v)).collect();
    RgbImage::from_raw(w, h, out).expect("w·h·3 bytes")
}

#[cfg(test)]
mod tests {
    use super::to8;

    #[test]
    fn sixteen_to_eight_rounds() {
        assert_eq!(to8(0), 0);
        assert_eq!(to8(65535), 255);
        assert_eq!(to8(257 * 100), 100);
        assert_eq!(to8(257 * 100 + 128), 100);
        assert_eq!(to8(257 * 100 + 129), 101);
        for v in 0..=u16::MAX {
            let exact = f64::from(v) * 255.0 / 65535.0;
            assert!((f64::from(to8(v)) - exact).abs() <= 0.5 + 1e-9, "{v}");
        }
    }
}
