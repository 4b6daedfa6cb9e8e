//! Fonts that cover Vietnamese diacritics and Chinese: Noto Sans (OFL-1.1) first, Droid Sans Fallback
//! (Apache-2.0) for CJK, both bundled from `assets/fonts/` (egui's own font lacks both).

use std::sync::Arc;

use egui::{FontData, FontDefinitions, FontFamily};

const NOTO_SANS: &[u8] = include_bytes!("../../assets/fonts/NotoSans-Regular.ttf");
const DROID_FALLBACK: &[u8] = include_bytes!("../../assets/fonts/DroidSansFallbackFull.ttf");

/// egui's fonts with Noto Sans in front and Droid Sans Fallback behind, for both families.
pub fn definitions() -> FontDefinitions {
    let mut fonts = FontDefinitions::default();
    fonts
        .font_data
        .insert("noto-sans".into(), Arc::new(FontData::from_static(NOTO_SANS)));
    fonts
        .font_data
        .insert("droid-fallback".into(), Arc::new(FontData::from_static(DROID_FALLBACK)));
    for family in [FontFamily::Proportional, FontFamily::Monospace] {
        let list = fonts.families.entry(family.clone()).or_default();
        if family == FontFamily::Proportional {
            list.insert(0, "noto-sans".into());
        } else {
            list.push("noto-sans".into());
        }
        list.push("droid-fallback".into());
    }
    fonts
}

/// Installs [`definitions`] in a context.
pub fn install(ctx: &egui::Context) {
    ctx.set_fonts(definitions());
}
