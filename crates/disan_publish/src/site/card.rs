//! Images made for the website: 1200×630 share images (the page's title over its picture, in the page's
//! language, drawn with the bundled Noto Sans and Droid Sans Fallback) and QR codes of the pages (SVG, PNG).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use image::{Rgb, RgbImage};
use qrcode::{EcLevel, QrCode};

use super::data::{Data, shown};
use super::{Plan, link_key};
use crate::{PublishError, Result};

const NOTO: &[u8] = include_bytes!("../../../../assets/fonts/NotoSans-Regular.ttf");
const DROID: &[u8] = include_bytes!("../../../../assets/fonts/DroidSansFallbackFull.ttf");

/// Share images are this size (Facebook's and Zalo's recommended link image; Twitter's large card).
pub const OG_SIZE: (u32, u32) = (1200, 630);

/// The picture of a page, decoded and fitted to 1200×630 once for all the languages that draw on it.
type Background = Arc<OnceLock<std::result::Result<RgbImage, String>>>;

/// What one share image shows.
struct Card {
    title: String,
    subtitle: String,
    picture: Option<PathBuf>,
    background: Background,
}

impl Card {
    /// What the image is made from: when none of it changed, the image is not made again.
    fn key(&self) -> Result<String> {
        let pic = match &self.picture {
            Some(p) => link_key(p)?,
            None => String::new(),
        };
        Ok(format!(
            "og3 {}",
            super::hash(format!("{}\u{0}{}\u{0}{pic}", self.title, self.subtitle).as_bytes())
        ))
    }
}

/// Plans the share images and QR codes of every page.
pub(super) fn plan(d: &Data, base: &str, plan: &mut Plan) -> Result<()> {
    let first_picture = d
        .assets
        .iter()
        .filter(|a| a.meta.highlighted())
        .chain(d.assets.iter())
        .find_map(|a| d.picture(a))
        .map(|(_, p)| p);
    // One background per page, shared by its languages (made one after the other: same group).
    let mut backgrounds: HashMap<String, Background> = HashMap::new();
    let mut bg = |key: &str| backgrounds.entry(key.to_owned()).or_default().clone();
    for lang in &d.langs {
        let name = shown(&d.name, lang).map(|s| s.text).unwrap_or_default();
        let mut cards: Vec<(String, Card)> = vec![(
            "home".into(),
            Card {
                title: name.clone(),
                subtitle: d.t(lang, "home.intro").to_owned(),
                picture: first_picture.clone(),
                background: bg("home"),
            },
        )];
        for s in &d.sites {
            let picture = d
                .assets_of(&s.id)
                .into_iter()
                .find_map(|a| d.picture(a))
                .map(|(_, p)| p);
            cards.push((
                format!("sites/{}", s.id),
                Card {
                    title: d.site_name(s, lang).text,
                    subtitle: name.clone(),
                    picture,
                    background: bg(&format!("sites/{}", s.id)),
                },
            ));
        }
        for a in &d.assets {
            let subtitle = d.site_of(a).map_or_else(|| name.clone(), |s| d.site_name(s, lang).text);
            cards.push((
                format!("assets/{}", a.manifest.id),
                Card {
                    title: d.asset_title(a, lang).text,
                    subtitle,
                    picture: d.picture(a).map(|(_, p)| p),
                    background: bg(&format!("assets/{}", a.manifest.id)),
                },
            ));
        }
        for t in &d.tours {
            let picture = t
                .scenes
                .first()
                .and_then(|s| d.asset(&s.asset))
                .and_then(|a| d.picture(a));
            cards.push((
                format!("tours/{}", t.id),
                Card {
                    title: d.tour_title(t, lang).text,
                    subtitle: format!("{} · {name}", d.t(lang, "kind.tour")),
                    picture: picture.map(|(_, p)| p),
                    background: bg(&format!("tours/{}", t.id)),
                },
            ));
        }
        for (key, card) in cards {
            let k = card.key()?;
            plan.made(format!("og/{lang}/{key}.jpg"), k, format!("og {key}"), move || {
                share_image(&card)
            });
        }
        // QR codes of the pages a visitor reaches from a sign or a printed label.
        let mut targets: Vec<String> = d.sites.iter().map(|s| format!("sites/{}", s.id)).collect();
        targets.extend(d.assets.iter().map(|a| format!("assets/{}", a.manifest.id)));
        for key in targets {
            let url = format!("{base}/{lang}/{key}/");
            // Made (and kept) only when the URL changes: encoding a QR code is costly at thousands of pages.
            let u = url.clone();
            plan.made(
                format!("qr/{lang}/{key}.svg"),
                format!("qrsvg1 {url}"),
                format!("qr {key}"),
                move || qr_svg(&u).map(String::into_bytes),
            );
            let u = url.clone();
            plan.made(
                format!("qr/{lang}/{key}.png"),
                format!("qr1 {url}"),
                format!("qr {key}"),
                move || qr_png(&u),
            );
        }
    }
    Ok(())
}

fn encode_err(what: &str, e: impl std::fmt::Display) -> PublishError {
    PublishError::Encode {
        what: what.to_owned(),
        reason: e.to_string(),
    }
}

/// A QR code of `url` as SVG (medium error correction, a quiet zone of four modules).
pub fn qr_svg(url: &str) -> Result<String> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M).map_err(|e| encode_err(url, e))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}

/// A QR code of `url` as PNG, 10 pixels a module, for print.
pub fn qr_png(url: &str) -> Result<Vec<u8>> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M).map_err(|e| encode_err(url, e))?;
    let n = code.width() as u32;
    let colors = code.to_colors();
    let (module, quiet) = (10u32, 4u32);
    let side = (n + 2 * quiet) * module;
    let img = image::GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = (x / module, y / module);
        let dark = mx >= quiet
            && my >= quiet
            && mx < n + quiet
            && my < n + quiet
            && colors[((my - quiet) * n + (mx - quiet)) as usize] == qrcode::Color::Dark;
        image::Luma([if dark { 0 } else { 255 }])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| encode_err(url, e))?;
    Ok(out.into_inner())
}

/// The fonts: Noto Sans for Latin (Vietnamese included), Droid Sans Fallback for Chinese.
struct Fonts {
    noto: FontRef<'static>,
    droid: FontRef<'static>,
}

fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| Fonts {
        noto: FontRef::try_from_slice(NOTO).expect("the bundled Noto Sans is a font"),
        droid: FontRef::try_from_slice(DROID).expect("the bundled Droid Sans Fallback is a font"),
    })
}

impl Fonts {
    /// The font that has `c`.
    fn for_char(&self, c: char) -> &FontRef<'static> {
        if self.noto.glyph_id(c).0 != 0 || self.droid.glyph_id(c).0 == 0 {
            &self.noto
        } else {
            &self.droid
        }
    }

    fn advance(&self, c: char, px: f32) -> f32 {
        let f = self.for_char(c);
        f.as_scaled(PxScale::from(px)).h_advance(f.glyph_id(c))
    }

    fn width(&self, s: &str, px: f32) -> f32 {
        s.chars().map(|c| self.advance(c, px)).sum()
    }

    /// `text` broken into lines no wider than `max`: at spaces, and between any two CJK characters.
    fn wrap(&self, text: &str, px: f32, max: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        let mut word = String::new();
        let flush = |line: &mut String, word: &mut String, lines: &mut Vec<String>| {
            if word.is_empty() {
                return;
            }
            let candidate = format!("{line}{word}");
            if self.width(candidate.trim_end(), px) <= max || line.is_empty() {
                *line = candidate;
            } else {
                lines.push(line.trim_end().to_owned());
                *line = word.clone();
            }
            word.clear();
        };
        for c in text.chars() {
            let cjk = ('\u{2E80}'..='\u{9FFF}').contains(&c) || ('\u{F900}'..='\u{FAFF}').contains(&c);
            word.push(c);
            if c == ' ' || cjk {
                flush(&mut line, &mut word, &mut lines);
            }
        }
        flush(&mut line, &mut word, &mut lines);
        if !line.trim().is_empty() {
            lines.push(line.trim_end().to_owned());
        }
        lines
    }

    /// Draws `text` with its baseline at `y`, from `x`, blending `color` over the image.
    fn draw(&self, img: &mut RgbImage, text: &str, x: f32, y: f32, px: f32, color: [u8; 3]) {
        let mut pen = x;
        for c in text.chars() {
            let font = self.for_char(c);
            let scaled = font.as_scaled(PxScale::from(px));
            let glyph = font.glyph_id(c).with_scale_and_position(px, point(pen, y));
            pen += scaled.h_advance(font.glyph_id(c));
            let Some(outline) = font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outline.px_bounds();
            outline.draw(|gx, gy, coverage| {
                let (px_, py_) = (bounds.min.x as i64 + gx as i64, bounds.min.y as i64 + gy as i64);
                if px_ < 0 || py_ < 0 || px_ >= img.width() as i64 || py_ >= img.height() as i64 {
                    return;
                }
                let p = img.get_pixel_mut(px_ as u32, py_ as u32);
                let a = coverage.clamp(0.0, 1.0);
                for (c, &want) in p.0.iter_mut().zip(&color) {
                    *c = (*c as f32 * (1.0 - a) + want as f32 * a).round() as u8;
                }
            });
        }
    }
}

/// The picture filling 1200×630, darkened towards the bottom so white text reads on any picture
/// (contrast ≥ 4.5:1 over the text area); a plain dark colour without a picture.
fn background(picture: Option<&PathBuf>) -> std::result::Result<RgbImage, String> {
    backdrop(picture.map(PathBuf::as_path), OG_SIZE.0, OG_SIZE.1)
}

/// The picture at `path` (a JPEG Disan wrote) filling `w`×`h` (centred crop, Lanczos3), darkened towards the
/// bottom third so white text reads on any picture; a plain dark colour without a picture.
pub(crate) fn backdrop(picture: Option<&Path>, w: u32, h: u32) -> std::result::Result<RgbImage, String> {
    let mut img = match picture {
        Some(p) => {
            let bytes = std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
            let limits = disan_imaging::DecodeLimits::from(&disan_core::Settings::default());
            let pic = disan_imaging::decode_rgb8_at_least(&bytes, &limits, w, h)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .image;
            fill(&pic, w, h)
        }
        None => RgbImage::from_pixel(w, h, Rgb([18, 52, 59])),
    };
    darken(&mut img);
    Ok(img)
}

/// Darkens `img` from a third of its height down (to 18 % at the bottom), so white text reads on any picture.
pub(crate) fn darken(img: &mut RgbImage) {
    let (w, h) = img.dimensions();
    for (y, k) in (0..h).zip(shade_rows(h)) {
        for x in 0..w {
            let p = img.get_pixel_mut(x, y);
            for c in &mut p.0 {
                *c = (*c as f32 * k) as u8;
            }
        }
    }
}

/// What [`darken`] multiplies each of `h` rows by.
pub(crate) fn shade_rows(h: u32) -> Vec<f32> {
    let start = h as f32 / 3.0;
    (0..h)
        .map(|y| {
            let t = ((y as f32 - start) / (h as f32 - start)).clamp(0.0, 1.0);
            1.0 - 0.82 * t.powf(0.7)
        })
        .collect()
}

/// `pic` cropped about its centre to the shape of `w`×`h` and resampled to that size.
pub(crate) fn fill(pic: &RgbImage, w: u32, h: u32) -> RgbImage {
    let (pw, ph) = pic.dimensions();
    let (cw, ch) = if u64::from(pw) * u64::from(h) > u64::from(ph) * u64::from(w) {
        (((u64::from(ph) * u64::from(w)) / u64::from(h)).max(1) as u32, ph)
    } else {
        (pw, ((u64::from(pw) * u64::from(h)) / u64::from(w)).max(1) as u32)
    };
    let crop = image::imageops::crop_imm(pic, (pw - cw) / 2, (ph - ch) / 2, cw, ch).to_image();
    disan_imaging::resize_rgb(&crop, w, h)
}

/// Draws `title` (up to three lines, smaller when long) and `subtitle` (one line) in white at the bottom left
/// of `img`, sized to its width (as on a 1200 px share image: 68 px title, 32 px subtitle, 64 px margin).
pub(crate) fn draw_title(img: &mut RgbImage, title: &str, subtitle: &str) {
    let (w, h) = img.dimensions();
    let unit = w as f32 / 1200.0;
    let f = fonts();
    let margin = 64.0 * unit;
    let max = w as f32 - 2.0 * margin;
    let mut px = 68.0 * unit;
    let mut lines = f.wrap(title, px, max);
    while lines.len() > 3 && px > 40.0 * unit {
        px -= 6.0 * unit;
        lines = f.wrap(title, px, max);
    }
    if lines.len() > 3 {
        lines.truncate(3);
        if let Some(last) = lines.last_mut() {
            last.push('…');
        }
    }
    let sub_px = 32.0 * unit;
    let subtitle = f.wrap(subtitle, sub_px, max).into_iter().next().unwrap_or_default();
    let line_h = px * 1.22;
    let bottom = if subtitle.is_empty() { 0.0 } else { sub_px * 1.6 };
    let mut y = h as f32 - margin - bottom - (lines.len() as f32 - 1.0) * line_h;
    for line in &lines {
        f.draw(img, line, margin, y, px, [255, 255, 255]);
        y += line_h;
    }
    if !subtitle.is_empty() {
        f.draw(img, &subtitle, margin, h as f32 - margin, sub_px, [235, 235, 235]);
    }
}

fn share_image(card: &Card) -> Result<Vec<u8>> {
    let mut img = card
        .background
        .get_or_init(|| background(card.picture.as_ref()))
        .clone()
        .map_err(|e| encode_err("share image", e))?;
    draw_title(&mut img, &card.title, &card.subtitle);
    disan_imaging::encode_jpeg(&img, 86).map_err(|e| encode_err("share image", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_words_and_breaks_chinese_anywhere() {
        let f = fonts();
        let lines = f.wrap("Vịnh Hạ Long và quần đảo Cát Bà", 68.0, 500.0);
        assert!(lines.len() >= 2, "{lines:?}");
        assert_eq!(lines.join(" "), "Vịnh Hạ Long và quần đảo Cát Bà");
        let zh = f.wrap("下龙湾和吉婆群岛是越南的世界自然遗产", 68.0, 500.0);
        assert!(zh.len() >= 2, "{zh:?}");
        assert_eq!(zh.concat(), "下龙湾和吉婆群岛是越南的世界自然遗产");
        // Chinese comes from the fallback font, Vietnamese letters from Noto Sans.
        assert!(std::ptr::eq(f.for_char('龙'), &f.droid));
        assert!(std::ptr::eq(f.for_char('ạ'), &f.noto));
    }

    #[test]
    fn qr_codes_encode_the_url() {
        let svg = qr_svg("https://example.org/vi/sites/ha-long/").unwrap();
        assert!(svg.starts_with("<?xml") && svg.contains("<svg"), "{svg}");
        let png = qr_png("https://example.org/vi/sites/ha-long/").unwrap();
        let limits = disan_imaging::DecodeLimits::from(&disan_core::Settings::default());
        let img = disan_imaging::decode_any(&png, &limits).unwrap().into_luma8();
        assert_eq!(img.width(), img.height());
        // The top-left finder pattern: dark at 4 modules in, light in the quiet zone.
        assert_eq!(img.get_pixel(45, 45).0[0], 0);
        assert_eq!(img.get_pixel(5, 5).0[0], 255);
    }
}
