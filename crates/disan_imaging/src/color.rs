//! ICC profiles to sRGB through moxcms.

use image::RgbImage;
use moxcms::{ColorProfile, DataColorSpace, Layout, ProfileText, TransformOptions};

/// A human-readable name for an ICC profile ("Display P3", "Adobe RGB (1998)", …).
pub fn icc_description(icc: &[u8]) -> Option<String> {
    let profile = ColorProfile::new_from_slice(icc).ok()?;
    let text = match profile.description? {
        ProfileText::PlainString(s) => s,
        ProfileText::Localizable(v) => v.into_iter().next()?.value,
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

pub(crate) fn convert_to_srgb(image: &mut RgbImage, icc: &[u8]) -> Result<(), String> {
    let src = ColorProfile::new_from_slice(icc).map_err(|e| format!("ICC profile unreadable: {e:?}"))?;
    if src.color_space != DataColorSpace::Rgb {
        return Err(format!(
            "ICC profile is for {:?} data, not RGB; colours were left as decoded",
            src.color_space
        ));
    }
    if icc_description(icc).is_some_and(|d| d.to_ascii_lowercase().contains("srgb")) {
        return Ok(());
    }
    let dst = ColorProfile::new_srgb();
    let transform = src
        .create_transform_8bit(Layout::Rgb, &dst, Layout::Rgb, TransformOptions::default())
        .map_err(|e| format!("ICC profile cannot be converted to sRGB: {e:?}"))?;
    let mut out = vec![0u8; image.as_raw().len()];
    transform
        .transform(image.as_raw(), &mut out)
        .map_err(|e| format!("ICC conversion failed: {e:?}"))?;
    image.copy_from_slice(&out);
    Ok(())
}
