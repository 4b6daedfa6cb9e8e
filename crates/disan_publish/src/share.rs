//! `disan share`: what the centre posts on Facebook, Zalo, TikTok and YouTube, made from the catalogue for
//! published assets. Per asset and language, a folder of ready-to-post files:
//!
//! - `link.jpg` (1200×630, the link image Facebook and Zalo show), `square.jpg` (1080×1080) and `portrait.jpg`
//!   (1080×1350, Instagram's and Facebook's tallest feed post): the picture filling the frame, darkened towards
//!   the bottom, with the title in that language and the credit drawn with the bundled Noto Sans and Droid Sans
//!   Fallback. A photo's picture is its display image, a panorama's the start view rendered from its tile
//!   pyramid, a model's its thumbnail;
//! - `pano-360.jpg` (panoramas): the whole sphere rebuilt from the pyramid as an equirectangular sRGB JPEG of at
//!   most 6000×3000 with Google's GPano XMP and the camera's EXIF, which is what makes Facebook show a photo as
//!   360°;
//! - `post.txt`: the caption (title, short description, credit, the asset's page on the website, hashtags from
//!   its subjects).
//!
//! - videos (`share_video.rs`): 16:9 and 9:16 pans of a panorama, a YouTube 360° video, a photo's zoom, a
//!   model's turntable, and for `--tour` a walk-through in `<out>/tour-<id>`; SRT and WebVTT captions.
//!
//! Every asset's folder is written beside `<out>/<id>` and swapped in whole, so nothing half-written is left; an asset that cannot be shared
//! (not published, no title in a language asked for, a damaged file) is reported and the others are made.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use disan_catalog::audio::AudioTarget;
use disan_catalog::{Catalog, PublicRecord, vocab};
use disan_core::AssetKind;
use image::RgbImage;
use serde::Serialize;

use crate::share_audio::{self, Narration};
use crate::share_video::{self, ModelRenderer, Shape, ShapedVideos, Texts, WalkScene};
use crate::site::card::{self, draw_title};
use crate::site::data::shown;
use crate::site::text::{self, summary};
use crate::tour::marzipano;
use crate::{PublishError, Result, UnknownChoice};

/// One kind of file `disan share` makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ShareFormat {
    /// `link.jpg`, 1200×630.
    Link,
    /// `square.jpg`, 1080×1080.
    Square,
    /// `portrait.jpg`, 1080×1350.
    Portrait,
    /// `pano-360.jpg`, panoramas only.
    Pano360,
    /// `pan-16x9.mp4` and `pan-9x16.mp4`: a panorama's view turning, with title and credit.
    Pan,
    /// `pano-360.mp4`: a YouTube 360° video of a panorama turning slowly (3840×1920, spherical metadata).
    Video360,
    /// `zoom-16x9.mp4` and `zoom-9x16.mp4`: a slow zoom into a photo.
    Zoom,
    /// `turntable-16x9.mp4` and `turntable-9x16.mp4`: a model turning once.
    Turntable,
    /// `walk-16x9.mp4` and `walk-9x16.mp4`: a tour's walk-through (`--tour`).
    Walk,
    /// `captions.srt` and `captions.vtt`, timed to the videos.
    Captions,
}

impl ShareFormat {
    pub const ALL: [ShareFormat; 10] = [
        Self::Link,
        Self::Square,
        Self::Portrait,
        Self::Pano360,
        Self::Pan,
        Self::Video360,
        Self::Zoom,
        Self::Turntable,
        Self::Walk,
        Self::Captions,
    ];

    /// The file name and size of a titled image.
    fn image(self) -> Option<(&'static str, (u32, u32))> {
        match self {
            Self::Link => Some(("link.jpg", card::OG_SIZE)),
            Self::Square => Some(("square.jpg", (1080, 1080))),
            Self::Portrait => Some(("portrait.jpg", (1080, 1350))),
            _ => None,
        }
    }

    /// A video of an asset (a tour's walk-through is made by `--tour`).
    fn is_video(self) -> bool {
        matches!(self, Self::Pan | Self::Video360 | Self::Zoom | Self::Turntable)
    }
}

impl FromStr for ShareFormat {
    type Err = UnknownChoice;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "link" => Ok(Self::Link),
            "square" => Ok(Self::Square),
            "portrait" => Ok(Self::Portrait),
            "pano360" | "pano-360" => Ok(Self::Pano360),
            "pan" => Ok(Self::Pan),
            "video360" | "video-360" => Ok(Self::Video360),
            "zoom" => Ok(Self::Zoom),
            "turntable" => Ok(Self::Turntable),
            "walk" => Ok(Self::Walk),
            "captions" => Ok(Self::Captions),
            _ => Err(UnknownChoice {
                given: s.to_owned(),
                what: "share formats",
                choices: "link, square, portrait, pano360, pan, video360, zoom, turntable, walk, captions",
            }),
        }
    }
}

/// What to share and where.
#[derive(Clone, Debug)]
pub struct ShareOptions {
    pub out: PathBuf,
    /// vi, en, zh-Hans (all three when empty).
    pub langs: Vec<String>,
    /// The formats wanted (every one that applies when empty).
    pub formats: Vec<ShareFormat>,
    /// The website's address for the captions' links; default: the collection's (`disan publish`).
    pub base_url: Option<String>,
    /// Length of the pans, zooms, turntables and 360° videos (a walk-through gives each scene five seconds).
    pub seconds: f64,
}

/// The lengths `--seconds` accepts: what TikTok, Reels and YouTube Shorts all take, and long enough to read a
/// title.
pub const SECONDS_RANGE: std::ops::RangeInclusive<f64> = 4.0..=60.0;

/// One asset in one language: the files made, or why not.
#[derive(Clone, Debug, Serialize)]
pub struct ShareItem {
    pub id: String,
    pub lang: String,
    /// Paths under `out`.
    pub files: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What was made differently from what was asked (a narration cut at the longest video).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ShareReport {
    pub out: PathBuf,
    pub base_url: String,
    pub items: Vec<ShareItem>,
    /// Items made, and items that failed.
    pub made: usize,
    pub failed: usize,
}

/// Makes the posts of `ids` (full ids or unique prefixes; `sites` adds every published asset of those sites).
/// `progress` hears (assets done, assets in all).
pub fn share(
    catalog: &Catalog,
    (ids, sites, tours): (&[String], &[String], &[String]),
    opts: &ShareOptions,
    renderer: &dyn ModelRenderer,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<ShareReport> {
    let langs = text::languages(&opts.langs)?;
    if !SECONDS_RANGE.contains(&opts.seconds) {
        return Err(PublishError::BadOption(format!(
            "--seconds {} is outside {}–{} seconds",
            opts.seconds,
            SECONDS_RANGE.start(),
            SECONDS_RANGE.end()
        )));
    }
    let base_url = match &opts.base_url {
        Some(u) => crate::base_url::check(u)?,
        None => catalog.public_base_url()?,
    };
    let base_url = base_url.trim_end_matches('/').to_owned();
    let records = catalog.public_records(true)?;
    let site_names = catalog.sites(false)?;
    let mut wanted: Vec<String> = Vec::new();
    let mut items = Vec::new();
    for id in ids {
        let found: Vec<&PublicRecord> = records
            .iter()
            .filter(|r| r.manifest.id.to_string().starts_with(id.as_str()))
            .collect();
        match found.as_slice() {
            [one] => wanted.push(one.manifest.id.to_string()),
            [] => items.push(failed(id, "", format!("no asset {id} in the collection"))),
            _ => items.push(failed(
                id,
                "",
                format!("{id} names {} assets; give more of the id", found.len()),
            )),
        }
    }
    for s in sites {
        if !site_names.iter().any(|x| &x.id == s) {
            items.push(failed(s, "", format!("no site {s} in the collection")));
            continue;
        }
        wanted.extend(
            records
                .iter()
                .filter(|r| r.site.as_deref() == Some(s.as_str()) && r.state == "published")
                .map(|r| r.manifest.id.to_string()),
        );
    }
    // An asset named twice (by id and by its site) is made once.
    let mut seen = std::collections::HashSet::new();
    wanted.retain(|id| seen.insert(id.clone()));
    std::fs::create_dir_all(&opts.out).map_err(disan_fs::FsError::io(&opts.out))?;
    let total = (wanted.len() + tours.len()) as u64;
    for (i, id) in wanted.iter().enumerate() {
        let r = records
            .iter()
            .find(|r| &r.manifest.id.to_string() == id)
            .expect("found above");
        items.extend(share_one(catalog, r, &site_names, &langs, &base_url, opts, renderer));
        progress(i as u64 + 1, total);
    }
    for (i, t) in tours.iter().enumerate() {
        items.extend(share_tour(catalog, t, &records, &langs, &base_url, opts));
        progress((wanted.len() + i) as u64 + 1, total);
    }
    let failed = items.iter().filter(|i| i.error.is_some()).count();
    Ok(ShareReport {
        out: opts.out.clone(),
        base_url,
        made: items.len() - failed,
        failed,
        items,
    })
}

fn failed(id: &str, lang: &str, error: String) -> ShareItem {
    ShareItem {
        id: id.to_owned(),
        lang: lang.to_owned(),
        files: Vec::new(),
        error: Some(error),
        notes: Vec::new(),
    }
}

/// Every language of one asset, written into `<out>/<id>` in one swap.
fn share_one(
    catalog: &Catalog,
    r: &PublicRecord,
    sites: &[disan_catalog::Site],
    langs: &[String],
    base_url: &str,
    opts: &ShareOptions,
    renderer: &dyn ModelRenderer,
) -> Vec<ShareItem> {
    let id = r.manifest.id.to_string();
    if r.state != "published" {
        return vec![failed(
            &id,
            "",
            format!(
                "{id} is {}, not published: only published assets are shared (`disan state {id} published`)",
                r.state
            ),
        )];
    }
    let formats: Vec<ShareFormat> = if opts.formats.is_empty() {
        ShareFormat::ALL.to_vec()
    } else {
        opts.formats.clone()
    };
    let is_pano = r.manifest.kind == AssetKind::Panorama;
    let folder = catalog.collection_dir().join(disan_catalog::ASSETS_DIR).join(&id);
    // The picture every titled image is cut from, made once for all languages.
    let picture = if formats.iter().any(|f| f.image().is_some()) {
        match picture(r, &folder) {
            Ok(p) => Some(p),
            Err(e) => return vec![failed(&id, "", format!("{id}: {e}"))],
        }
    } else {
        None
    };
    let mut items = Vec::new();
    // Each language's narration, for the videos' sound; a narration that cannot be read fails its language.
    let mut narrations: HashMap<String, Narration> = HashMap::new();
    let mut unreadable: HashMap<String, String> = HashMap::new();
    if formats.iter().any(|f| f.is_video()) {
        for lang in langs {
            match share_audio::narration(catalog, &AudioTarget::Asset(id.clone()), lang) {
                Ok(Some(n)) => {
                    narrations.insert(lang.clone(), n);
                }
                Ok(None) => {}
                Err(e) => {
                    unreadable.insert(lang.clone(), e.to_string());
                }
            }
        }
    }
    // The 360° video is made once for every language: as long as the longest narration needs.
    let seconds_360 = narrations
        .values()
        .map(|n| share_audio::video_seconds(opts.seconds, Some(n), *SECONDS_RANGE.end()))
        .fold(opts.seconds, f64::max);
    let mut notes: HashMap<String, Vec<String>> = HashMap::new();
    // Per language: its files, by name.
    let mut made: Vec<(String, Files)> = Vec::new();
    let mut pano_360: Option<Vec<u8>> = None;
    // What every language shares: the 360° video, and the flat videos drawn once for all of them.
    let mut shared = Shared::default();
    let flat = if let Some(p) = r
        .manifest
        .pano_tiles
        .as_ref()
        .filter(|_| formats.contains(&ShareFormat::Pan))
    {
        Some(Ok(Flat::Pan { config: &p.config }))
    } else if r.manifest.kind == AssetKind::Model && formats.contains(&ShareFormat::Turntable) {
        Some(Ok(Flat::Turntable {
            glb: folder.join("model/model.glb"),
            renderer,
        }))
    } else if r.manifest.pano_tiles.is_none()
        && r.manifest.kind != AssetKind::Model
        && formats.contains(&ShareFormat::Zoom)
    {
        Some(zoom_picture(r, &folder).map(|picture| Flat::Zoom {
            picture,
            focus: r.meta.focus_point().unwrap_or((0.5, 0.5)),
        }))
    } else {
        None
    };
    match flat {
        Some(Ok(flat)) => {
            shared.flat = all_flat_videos(r, &folder, &flat, sites, langs, &narrations, &unreadable, opts.seconds);
        }
        Some(Err(e)) => shared.flat = langs.iter().map(|l| (l.clone(), Err(e.to_string()))).collect(),
        None => {}
    }
    for lang in langs {
        let Some(title) = r.meta.title.get(lang) else {
            items.push(failed(
                &id,
                lang,
                format!("{id} has no title in {lang}: give it one (`disan meta set {id} title.{lang}=…`) or leave {lang} out with --lang"),
            ));
            continue;
        };
        if let Some(e) = unreadable.get(lang) {
            items.push(failed(&id, lang, e.clone()));
            continue;
        }
        let narration = narrations.get(lang);
        let seconds = share_audio::video_seconds(opts.seconds, narration, *SECONDS_RANGE.end());
        if let Some(n) = share_audio::cut_note(narration, lang, *SECONDS_RANGE.end()) {
            notes.entry(lang.clone()).or_default().push(n);
        }
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        let texts = texts_of(r, sites, lang, title);
        let (subtitle, credit) = (&texts.subtitle, &texts.credit);
        let result: Result<()> = (|| {
            for f in &formats {
                if let (Some((name, (w, h))), Some(picture)) = (f.image(), &picture) {
                    let mut img = card::fill(picture, w, h);
                    card::darken(&mut img);
                    draw_title(&mut img, title, subtitle);
                    files.push((name.to_owned(), jpeg(&img, 88, &format!("{id}/{lang}/{name}"))?));
                }
            }
            if is_pano && formats.contains(&ShareFormat::Pano360) {
                if pano_360.is_none() {
                    pano_360 = Some(equirect_post(r, &folder)?);
                }
                files.push(("pano-360.jpg".into(), pano_360.clone().expect("made above")));
            }
            let timing = Timing {
                seconds,
                seconds_360,
                narration,
            };
            let videos = make_videos(r, &folder, &formats, &timing, &mut shared, lang)?;
            let any_video = !videos.is_empty();
            files.extend(videos);
            if any_video && formats.contains(&ShareFormat::Captions) {
                let cues = share_video::cues(&texts, seconds);
                files.extend(caption_files(&cues));
            }
            Ok(())
        })();
        if let Err(e) = result {
            items.push(failed(&id, lang, e.to_string()));
            continue;
        }
        let url = format!("{base_url}/{lang}/assets/{id}/");
        files.push(("post.txt".into(), post_text(r, title, lang, credit, &url).into_bytes()));
        made.push((lang.clone(), files));
    }
    let mut written = write_made(&opts.out, &id, made);
    for item in &mut written {
        if item.error.is_none() {
            item.notes = notes.remove(&item.lang).unwrap_or_default();
        }
    }
    items.extend(written);
    items
}

/// What the videos of `r` say in `lang`: the title, under it the credit (or the site's name), the credit again
/// at the end, and the start of the description for the captions.
fn texts_of(r: &PublicRecord, sites: &[disan_catalog::Site], lang: &str, title: &str) -> Texts {
    let strings = text::strings(lang);
    let site_name = r
        .site
        .as_ref()
        .and_then(|s| sites.iter().find(|x| &x.id == s))
        .and_then(|s| shown(&s.name, lang))
        .map(|s| s.text);
    let credit = credit(r, lang, &strings);
    let subtitle = if credit.is_empty() {
        site_name.unwrap_or_default()
    } else {
        credit.clone()
    };
    Texts {
        title: title.to_owned(),
        subtitle,
        credit,
        description: r.meta.description.get(lang).map(|d| summary(d, 280)),
    }
}

/// How long one language's videos of an asset last, and what they say aloud.
struct Timing<'a> {
    /// The flat videos' length: `--seconds`, or longer for the narration.
    seconds: f64,
    /// The 360° video's length, the same in every language.
    seconds_360: f64,
    narration: Option<&'a Narration>,
}

impl Timing<'_> {
    /// The sound track of a video of `seconds` in this language, if it has a narration.
    fn track(&self, seconds: f64, what: &str) -> Result<Option<disan_video::AudioTrack>> {
        self.narration
            .map(|n| share_audio::track(&[(share_audio::NARRATION_START, n)], seconds, what))
            .transpose()
    }
}

/// Files of one language: name and bytes.
type Files = Vec<(String, Vec<u8>)>;

/// `captions.srt` and `captions.vtt` of `cues`.
fn caption_files(cues: &[disan_video::Cue]) -> Files {
    vec![
        ("captions.srt".into(), disan_video::srt(cues).into_bytes()),
        ("captions.vtt".into(), disan_video::vtt(cues).into_bytes()),
    ]
}

fn jpeg(img: &RgbImage, quality: u8, what: &str) -> Result<Vec<u8>> {
    disan_imaging::encode_jpeg(img, quality).map_err(|e| PublishError::Encode {
        what: what.to_owned(),
        reason: e.to_string(),
    })
}

/// What the languages of one asset share: made once, on first need.
#[derive(Default)]
struct Shared {
    video_360: Option<disan_video::Encoded>,
    /// The flat videos (pans, zooms or turntables) by language, or why they could not be made.
    flat: HashMap<String, std::result::Result<Files, String>>,
}

/// Which flat videos an asset gets, and what they are drawn from.
enum Flat<'a> {
    Pan {
        config: &'a str,
    },
    Zoom {
        picture: RgbImage,
        focus: (f64, f64),
    },
    Turntable {
        glb: PathBuf,
        renderer: &'a dyn ModelRenderer,
    },
}

/// Every language's flat videos of an asset (a panorama's pans, a model's turntables, a photo's zooms), each
/// frame drawn once for all the languages whose videos last as long (a narration can make a language's longer)
/// and encoded with each language's title, credit and sound: by language, its two videos (16:9 and 9:16) or
/// why they could not be made. Languages without a title or with an unreadable narration get nothing: they fail
/// before their videos.
#[allow(clippy::too_many_arguments)]
fn all_flat_videos(
    r: &PublicRecord,
    folder: &Path,
    flat: &Flat<'_>,
    sites: &[disan_catalog::Site],
    langs: &[String],
    narrations: &HashMap<String, Narration>,
    unreadable: &HashMap<String, String>,
    seconds: f64,
) -> HashMap<String, std::result::Result<Files, String>> {
    let id = r.manifest.id.to_string();
    let kind = match flat {
        Flat::Pan { .. } => "pan",
        Flat::Zoom { .. } => "zoom",
        Flat::Turntable { .. } => "turntable",
    };
    let name = |shape: Shape| format!("{kind}-{}.mp4", shape.tag());
    let mut out = HashMap::new();
    type Version = (String, Texts, Option<disan_video::AudioTrack>);
    let mut by_length: Vec<(f64, Vec<Version>)> = Vec::new();
    for lang in langs {
        let Some(title) = r.meta.title.get(lang) else {
            continue;
        };
        if unreadable.contains_key(lang) {
            continue;
        }
        let narration = narrations.get(lang);
        let length = share_audio::video_seconds(seconds, narration, *SECONDS_RANGE.end());
        let timing = Timing {
            seconds: length,
            seconds_360: length,
            narration,
        };
        let sound = match timing.track(length, &format!("{id}/{lang}/sound")) {
            Ok(sound) => sound,
            Err(e) => {
                out.insert(lang.clone(), Err(e.to_string()));
                continue;
            }
        };
        let version = (lang.clone(), texts_of(r, sites, lang, title), sound);
        push_grouped(&mut by_length, length, version);
    }
    for (length, group) in by_length {
        let versions: Vec<(&Texts, Option<&disan_video::AudioTrack>)> =
            group.iter().map(|(_, texts, sound)| (texts, sound.as_ref())).collect();
        let what = |v: usize, shape: Shape| format!("{id}/{}/{}", group[v].0, name(shape));
        let made: Result<Vec<ShapedVideos>> = match flat {
            Flat::Pan { config } => share_video::both_shapes(|shape| {
                let what = |v: usize| what(v, shape);
                share_video::pano_pan(&what, &id, folder, config, shape, (0.0, 0.0), length, &versions)
            })
            .map(per_version),
            Flat::Zoom { picture, focus } => share_video::both_shapes(|shape| {
                let what = |v: usize| what(v, shape);
                share_video::photo_zoom(&what, picture, *focus, shape, length, &versions)
            })
            .map(per_version),
            // Both shapes from one drawing.
            Flat::Turntable { glb, renderer } => share_video::turntables(&what, *renderer, glb, length, &versions),
        };
        match made {
            Ok(made) => {
                for ((lang, _, _), videos) in group.iter().zip(made) {
                    let files = videos.into_iter().map(|(shape, v)| (name(shape), v)).collect();
                    out.insert(lang.clone(), Ok(files));
                }
            }
            Err(e) => {
                for (lang, _, _) in &group {
                    out.insert(lang.clone(), Err(e.to_string()));
                }
            }
        }
    }
    out
}

/// Videos by shape, each with one per version, as videos by version, each with both shapes.
fn per_version(by_shape: Vec<(Shape, Vec<Vec<u8>>)>) -> Vec<ShapedVideos> {
    let mut out: Vec<ShapedVideos> = Vec::new();
    for (shape, videos) in by_shape {
        for (v, mp4) in videos.into_iter().enumerate() {
            if out.len() <= v {
                out.push(Vec::new());
            }
            out[v].push((shape, mp4));
        }
    }
    out
}

/// The videos of one asset in one language.
fn make_videos(
    r: &PublicRecord,
    folder: &Path,
    formats: &[ShareFormat],
    timing: &Timing,
    shared: &mut Shared,
    lang: &str,
) -> Result<Files> {
    let m = &r.manifest;
    let id = m.id.to_string();
    let mut files = Files::new();
    let what = |name: &str| format!("{id}/{lang}/{name}");
    let seconds = timing.seconds;
    // Pans, zooms and turntables were made for every language at once (`all_flat_videos`).
    match shared.flat.remove(lang) {
        Some(Ok(videos)) => files.extend(videos),
        Some(Err(reason)) => return Err(PublishError::Together(reason)),
        None => {}
    }
    if let Some(p) = &m.pano_tiles
        && formats.contains(&ShareFormat::Video360)
    {
        let sound = timing.track(seconds, &what("sound"))?;
        let sound = sound.as_ref();
        if shared.video_360.is_none() {
            shared.video_360 = Some(share_video::pano_360_video(
                &format!("{id}/pano-360.mp4"),
                &id,
                folder,
                &p.config,
                timing.seconds_360,
            )?);
        }
        let video = shared.video_360.as_ref().expect("made above");
        // The flat videos' sound serves when the 360° video is as long; else one of its length.
        let own = if (video.seconds() - seconds).abs() < 1e-6 {
            None
        } else {
            timing.track(video.seconds(), &what("pano-360.mp4"))?
        };
        let mp4 = video.mp4(own.as_ref().or(sound)).map_err(|e| PublishError::Encode {
            what: what("pano-360.mp4"),
            reason: e.to_string(),
        })?;
        files.push(("pano-360.mp4".into(), mp4));
    }
    Ok(files)
}

/// The picture a photo zoom is cut from: for a photo with deep zoom, the coarsest level of its IIIF
/// pyramid that keeps the zoom's last frame sharp in either shape (stitched from the tiles); else its
/// display image.
fn zoom_picture(r: &PublicRecord, folder: &Path) -> Result<RgbImage> {
    let m = &r.manifest;
    let (Some(t), Some(w), Some(h)) = (&m.iiif, m.width, m.height) else {
        return picture(r, folder);
    };
    let layout = disan_tiles::iiif::IiifLayout::from_manifest(w, h, t).ok_or_else(|| PublishError::BadFile {
        path: folder.join(&t.info),
        reason: "the IIIF pyramid is not one Disan wrote".into(),
    })?;
    // Pixels of the full image the last frame spans, for the tighter of the two shapes.
    let need = Shape::BOTH
        .iter()
        .map(|s| {
            let (vw, vh) = s.size();
            let r = share_video::zoom_rect(f64::from(w), f64::from(h), (vw, vh), (0.5, 0.5), 1.0);
            f64::from(vw) / r.w
        })
        .fold(0.0, f64::max);
    // The coarsest level at least that dense (scale factors are powers of two, 1 the finest).
    let scale = layout
        .scale_factors
        .iter()
        .copied()
        .filter(|&s| 1.0 / f64::from(s) >= need * 0.999)
        .max()
        .unwrap_or(1);
    let dir = folder
        .join(&t.info)
        .parent()
        .map(Path::to_owned)
        .unwrap_or_else(|| folder.to_owned());
    let (lw, lh) = layout.level_size(scale);
    let limits = disan_imaging::DecodeLimits::from(&disan_core::Settings::default());
    let tiles = layout.tiles(scale);
    use rayon::prelude::*;
    let decoded = tiles
        .par_iter()
        .map(|tile| {
            let path = dir.join(layout.tile_path(tile));
            disan_imaging::read_rgb8(&path, &limits).map_err(|e| PublishError::BadFile {
                path: path.clone(),
                reason: e.to_string(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut img = RgbImage::new(lw, lh);
    for (tile, pic) in tiles.iter().zip(decoded) {
        image::imageops::replace(
            &mut img,
            &pic,
            i64::from(tile.region.0 / scale),
            i64::from(tile.region.1 / scale),
        );
    }
    Ok(img)
}

/// A tour's walk-through, link image and caption in each language, in `<out>/tour-<id>`.
fn share_tour(
    catalog: &Catalog,
    tour_id: &str,
    records: &[PublicRecord],
    langs: &[String],
    base_url: &str,
    opts: &ShareOptions,
) -> Vec<ShareItem> {
    let key = format!("tour-{tour_id}");
    let tour = match catalog.tour(tour_id) {
        Ok(t) => t,
        Err(e) => return vec![failed(&key, "", format!("tour {tour_id}: {e}"))],
    };
    if tour.scenes.is_empty() {
        return vec![failed(&key, "", format!("tour {tour_id} has no scenes"))];
    }
    let formats: Vec<ShareFormat> = if opts.formats.is_empty() {
        ShareFormat::ALL.to_vec()
    } else {
        opts.formats.clone()
    };
    // Every scene must be a published panorama.
    let mut scenes = Vec::new();
    for (i, sc) in tour.scenes.iter().enumerate() {
        let Some(r) = records.iter().find(|r| r.manifest.id.to_string() == sc.asset) else {
            return vec![failed(
                &key,
                "",
                format!(
                    "tour {tour_id}: scene {} ({}) is not in the collection",
                    i + 1,
                    sc.asset
                ),
            )];
        };
        if r.state != "published" {
            return vec![failed(
                &key,
                "",
                format!(
                    "tour {tour_id}: scene {} ({}) is {}, not published",
                    i + 1,
                    sc.asset,
                    r.state
                ),
            )];
        }
        let Some(p) = &r.manifest.pano_tiles else {
            return vec![failed(
                &key,
                "",
                format!("tour {tour_id}: scene {} ({}) has no panorama tiles", i + 1, sc.asset),
            )];
        };
        let folder = catalog.collection_dir().join(disan_catalog::ASSETS_DIR).join(&sc.asset);
        // The pyramid must be readable now; its faces are loaded while the videos are made, two at a time.
        if let Err(e) = crate::tour::pyramid_in(&folder, &p.config) {
            return vec![failed(&key, "", format!("tour {tour_id}: {e}"))];
        }
        // Turn towards the link to the next scene (else the first link, else 60° to the right).
        let next = tour.scenes.get(i + 1).map(|n| n.asset.as_str());
        let link = sc
            .links
            .iter()
            .find(|l| Some(l.target.as_str()) == next)
            .or_else(|| sc.links.first());
        let from = (sc.view.yaw, sc.view.pitch);
        let to = link.map_or((sc.view.yaw + 60.0, sc.view.pitch), |l| {
            (l.yaw, l.pitch.clamp(-30.0, 30.0))
        });
        scenes.push((
            r,
            WalkScene {
                asset: sc.asset.clone(),
                folder,
                config: p.config.clone(),
                from,
                to,
            },
        ));
    }
    let walk_scenes: Vec<&WalkScene> = scenes.iter().map(|(_, w)| w).collect();
    // Each language's files but its walk-throughs: the link picture before them, the captions and the post
    // after, and what its walk needs (its texts, each scene's length, its sound).
    struct Prepared {
        lang: String,
        before: Files,
        after: Files,
        texts: Texts,
        lengths: Vec<f64>,
        sound: Option<disan_video::AudioTrack>,
    }
    let mut items = Vec::new();
    let mut prepared: Vec<Prepared> = Vec::new();
    for lang in langs {
        let Some(title) = tour.title.get(lang) else {
            items.push(failed(
                &key,
                lang,
                format!("tour {tour_id} has no title in {lang}: give it one or leave {lang} out with --lang"),
            ));
            continue;
        };
        let strings = text::strings(lang);
        let mut credits: Vec<String> = Vec::new();
        for (r, _) in &scenes {
            let c = credit(r, lang, &strings);
            if !c.is_empty() && !credits.contains(&c) {
                credits.push(c);
            }
        }
        let credit = credits.join("; ");
        let texts = Texts {
            title: title.to_owned(),
            subtitle: credit.clone(),
            credit: credit.clone(),
            description: None,
        };
        let result: Result<Prepared> = (|| {
            // Each scene's narration in this language, if any: its scene lasts long enough to tell it.
            let mut told = Vec::new();
            if formats.contains(&ShareFormat::Walk) {
                for sc in &tour.scenes {
                    let target = AudioTarget::Scene {
                        tour: tour_id.to_owned(),
                        scene: sc.asset.clone(),
                    };
                    told.push(share_audio::narration(catalog, &target, lang)?);
                }
            }
            // The cross-fade and half a second more follow each scene's narration (`NARRATION_TAIL`).
            let lengths: Vec<f64> = (0..walk_scenes.len())
                .map(|i| {
                    let told = told.get(i).and_then(Option::as_ref);
                    let start = share_audio::SCENE_NARRATION_START;
                    share_audio::seconds_to_tell(share_video::SCENE_SECONDS, start, told, f64::INFINITY)
                })
                .collect();
            let starts = share_video::walk_starts(&lengths);
            let walk_end = starts.last().copied().unwrap_or(0.0);
            let mut before = Files::new();
            let mut after = Files::new();
            if formats.contains(&ShareFormat::Link) {
                let (w, h) = card::OG_SIZE;
                let first = &walk_scenes[0];
                let faces = share_video::walk_faces(first)?;
                let mut img = disan_tiles::render_cube_view(&faces, first.from.0, first.from.1, 100.0, w, h);
                card::darken(&mut img);
                draw_title(&mut img, title, &credit);
                before.push(("link.jpg".into(), jpeg(&img, 88, &format!("{key}/{lang}/link.jpg"))?));
            }
            let mut sound = None;
            if formats.contains(&ShareFormat::Walk) {
                let clips: Vec<(f64, &Narration)> = told
                    .iter()
                    .enumerate()
                    .filter_map(|(i, n)| n.as_ref().map(|n| (starts[i] + share_audio::SCENE_NARRATION_START, n)))
                    .collect();
                sound = (!clips.is_empty())
                    .then(|| share_audio::track(&clips, walk_end, &format!("{key}/{lang}/sound")))
                    .transpose()?;
                if formats.contains(&ShareFormat::Captions) {
                    // The tour's title, then each scene's title while it shows, then the credit.
                    let mut cues = vec![disan_video::Cue {
                        start: 0.0,
                        end: share_video::TITLE_SECONDS,
                        text: title.to_owned(),
                    }];
                    for (i, (r, _)) in scenes.iter().enumerate() {
                        let sc = &tour.scenes[i];
                        let name = sc
                            .title
                            .get(lang)
                            .or_else(|| r.meta.title.get(lang))
                            .unwrap_or_default()
                            .to_owned();
                        let start = starts[i].max(share_video::TITLE_SECONDS);
                        let end = starts[i + 1];
                        if !name.is_empty() && end > start {
                            cues.push(disan_video::Cue { start, end, text: name });
                        }
                    }
                    after.extend(caption_files(&cues));
                }
            }
            let url = format!("{base_url}/{lang}/tours/{tour_id}/");
            let mut post = format!("{title}\n");
            if !credit.is_empty() {
                post.push_str(&format!("\n{credit}\n"));
            }
            post.push_str(&format!("{url}\n"));
            after.push(("post.txt".into(), post.into_bytes()));
            Ok(Prepared {
                lang: lang.clone(),
                before,
                after,
                texts,
                lengths,
                sound,
            })
        })();
        match result {
            Ok(p) => prepared.push(p),
            Err(e) => items.push(failed(&key, lang, e.to_string())),
        }
    }
    // The walk-throughs: each frame drawn once for all the languages whose scenes last as long (a narration
    // can make a scene longer in one language), encoded with each one's title, credit and sound.
    let mut walks: HashMap<String, std::result::Result<Files, String>> = HashMap::new();
    if formats.contains(&ShareFormat::Walk) {
        let mut groups: Vec<(&[f64], Vec<&Prepared>)> = Vec::new();
        for p in &prepared {
            push_grouped(&mut groups, &p.lengths, p);
        }
        let name = |shape: Shape| format!("walk-{}.mp4", shape.tag());
        for (lengths, group) in groups {
            let versions: Vec<(&Texts, Option<&disan_video::AudioTrack>)> =
                group.iter().map(|p| (&p.texts, p.sound.as_ref())).collect();
            let made = share_video::both_shapes(|shape| {
                let what = |v: usize| format!("{key}/{}/{}", group[v].lang, name(shape));
                share_video::walk(&what, &walk_scenes, lengths, shape, &versions)
            })
            .map(per_version);
            match made {
                Ok(made) => {
                    for (p, videos) in group.iter().zip(made) {
                        let files = videos.into_iter().map(|(shape, v)| (name(shape), v)).collect();
                        walks.insert(p.lang.clone(), Ok(files));
                    }
                }
                Err(e) => {
                    for p in &group {
                        walks.insert(p.lang.clone(), Err(e.to_string()));
                    }
                }
            }
        }
    }
    let mut made: Vec<(String, Files)> = Vec::new();
    for p in prepared {
        let mut files = p.before;
        match walks.remove(&p.lang) {
            Some(Ok(videos)) => files.extend(videos),
            Some(Err(e)) => {
                items.push(failed(&key, &p.lang, e));
                continue;
            }
            None => {}
        }
        files.extend(p.after);
        made.push((p.lang, files));
    }
    items.extend(write_made(&opts.out, &key, made));
    items
}

/// Writes each language's files into `<out>/<key>/<lang>/` in one folder swap, and reports them.
fn write_made(out: &Path, key: &str, made: Vec<(String, Files)>) -> Vec<ShareItem> {
    if made.is_empty() {
        return Vec::new();
    }
    let dest = out.join(key);
    let written = disan_fs::replace_dir(&dest, |dir| {
        let mut n = 0;
        for (lang, files) in &made {
            for (name, bytes) in files {
                disan_fs::write_new(&dir.join(lang).join(name), bytes, false)?;
                n += 1;
            }
        }
        Ok::<u64, PublishError>(n)
    });
    match written {
        Ok(_) => made
            .into_iter()
            .map(|(lang, files)| ShareItem {
                id: key.to_owned(),
                lang: lang.clone(),
                files: files.iter().map(|(n, _)| format!("{key}/{lang}/{n}")).collect(),
                error: None,
                notes: Vec::new(),
            })
            .collect(),
        Err(e) => made
            .into_iter()
            .map(|(lang, _)| failed(key, &lang, format!("cannot write {}: {e}", dest.display())))
            .collect(),
    }
}

/// The picture the titled images are cut from.
fn picture(r: &PublicRecord, folder: &Path) -> Result<RgbImage> {
    let m = &r.manifest;
    if let Some(p) = &m.pano_tiles {
        // The start view, wide, from the pyramid (what a visitor sees first).
        let pyramid = crate::tour::pyramid_in(folder, &p.config)?;
        let faces = marzipano::cube_faces(&m.id.to_string(), &pyramid, 1024)?;
        return Ok(disan_tiles::render_cube_view(&faces, 0.0, 0.0, 100.0, 1600, 1350));
    }
    let der = m
        .derivatives
        .get("display")
        .or_else(|| m.derivatives.get("thumb"))
        .ok_or_else(|| PublishError::BadFile {
            path: folder.to_owned(),
            reason: "the asset has no display image or thumbnail to post (a model needs its thumbnail)".into(),
        })?;
    let path = disan_fs::confine(folder, &der.path)?;
    let bytes = std::fs::read(&path).map_err(disan_fs::FsError::io(&path))?;
    let limits = disan_imaging::DecodeLimits::from(&disan_core::Settings::default());
    Ok(disan_imaging::decode_rgb8(&bytes, &limits)
        .map_err(|e| PublishError::BadFile {
            path: path.clone(),
            reason: e.to_string(),
        })?
        .image)
}

/// The largest width Facebook takes for a 360° photo (6000×3000).
const PANO_MAX_WIDTH: u32 = 6000;

/// The whole sphere from the pyramid, ≤ 6000×3000, with GPano XMP and the camera's EXIF.
fn equirect_post(r: &PublicRecord, folder: &Path) -> Result<Vec<u8>> {
    let m = &r.manifest;
    let id = m.id.to_string();
    let p = m
        .pano_tiles
        .as_ref()
        .ok_or_else(|| PublishError::NoPyramid(id.clone()))?;
    let pyramid = crate::tour::pyramid_in(folder, &p.config)?;
    // A face of the sphere's quarter width: the finest needed for 6000 px.
    let cube = p.cube_resolution;
    let width = (4 * cube).min(PANO_MAX_WIDTH) & !1;
    let faces = marzipano::cube_faces(&id, &pyramid, width / 4)?;
    let img = disan_tiles::render_cube_equirect(&faces, width);
    let jpeg = jpeg(&img, 90, &format!("{id}/pano-360.jpg"))?;
    let heading = m.metadata.heading_deg;
    Ok(with_pano_metadata(
        &jpeg,
        img.width(),
        img.height(),
        heading,
        m.metadata.make.as_deref(),
        m.metadata.model.as_deref(),
    ))
}

/// `jpeg` with an EXIF segment (Make, Model, Software) and a GPano XMP segment after its SOI marker.
pub(crate) fn with_pano_metadata(
    jpeg: &[u8],
    width: u32,
    height: u32,
    heading: Option<f64>,
    make: Option<&str>,
    model: Option<&str>,
) -> Vec<u8> {
    let heading = heading.map_or(String::new(), |h| {
        format!("\n   GPano:PoseHeadingDegrees=\"{:.1}\"", h.rem_euclid(360.0))
    });
    let xmp = format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n\
         <x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n  \
         <rdf:Description rdf:about=\"\" xmlns:GPano=\"http://ns.google.com/photos/1.0/panorama/\"\n   \
         GPano:ProjectionType=\"equirectangular\"\n   GPano:UsePanoramaViewer=\"True\"\n   \
         GPano:FullPanoWidthPixels=\"{width}\"\n   GPano:FullPanoHeightPixels=\"{height}\"\n   \
         GPano:CroppedAreaImageWidthPixels=\"{width}\"\n   GPano:CroppedAreaImageHeightPixels=\"{height}\"\n   \
         GPano:CroppedAreaLeftPixels=\"0\"\n   GPano:CroppedAreaTopPixels=\"0\"{heading}/>\n \
         </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>"
    );
    let mut xmp_payload = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    xmp_payload.extend_from_slice(xmp.as_bytes());
    let exif = exif_segment(make, model);
    let mut out = Vec::with_capacity(jpeg.len() + xmp_payload.len() + exif.len() + 8);
    out.extend_from_slice(&jpeg[..2]); // SOI
    for payload in [exif, xmp_payload] {
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&payload);
    }
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// An `Exif\0\0` APP1 payload: a little-endian TIFF with one IFD holding Make, Model (when known) and
/// Software.
fn exif_segment(make: Option<&str>, model: Option<&str>) -> Vec<u8> {
    let mut entries: Vec<(u16, Vec<u8>)> = Vec::new();
    for (tag, value) in [(0x010F_u16, make), (0x0110, model), (0x0131, Some("Disan"))] {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            let mut bytes = v.as_bytes().to_vec();
            bytes.push(0);
            entries.push((tag, bytes));
        }
    }
    let mut tiff = b"II*\0\x08\0\0\0".to_vec();
    let ifd_len = 2 + 12 * entries.len() + 4;
    let mut data_at = 8 + ifd_len;
    let mut data = Vec::new();
    tiff.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, bytes) in &entries {
        tiff.extend_from_slice(&tag.to_le_bytes());
        tiff.extend_from_slice(&2u16.to_le_bytes()); // ASCII
        tiff.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        if bytes.len() <= 4 {
            let mut inline = bytes.clone();
            inline.resize(4, 0);
            tiff.extend_from_slice(&inline);
        } else {
            tiff.extend_from_slice(&(data_at as u32).to_le_bytes());
            data.extend_from_slice(bytes);
            if bytes.len() % 2 == 1 {
                data.push(0);
            }
            data_at = 8 + ifd_len + data.len();
        }
    }
    tiff.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    tiff.extend_from_slice(&data);
    let mut out = b"Exif\0\0".to_vec();
    out.extend_from_slice(&tiff);
    out
}

/// "Creator · licence" in `lang` (either may be missing).
fn credit(r: &PublicRecord, lang: &str, strings: &crate::site::Strings) -> String {
    let mut parts = Vec::new();
    if let Some(c) = &r.meta.creator {
        parts.push(format!("{}: {c}", strings["label.creator"]));
    }
    if let Some(rights) = &r.meta.rights {
        let label = vocab::rights()
            .get(rights)
            .and_then(|t| shown(&t.label, lang))
            .map_or_else(|| rights.clone(), |s| s.text);
        parts.push(label);
    }
    parts.join(" · ")
}

/// The caption: title, a short description, the credit, the page, hashtags from the subjects.
fn post_text(r: &PublicRecord, title: &str, lang: &str, credit: &str, url: &str) -> String {
    let mut out = format!("{title}\n");
    if let Some(d) = r.meta.description.get(lang) {
        out.push_str(&format!("\n{}\n", summary(d, 280)));
    }
    if !credit.is_empty() {
        out.push_str(&format!("\n{credit}\n"));
    }
    out.push_str(&format!("{url}\n"));
    let tags: Vec<String> = r
        .meta
        .subject
        .get(lang)
        .unwrap_or_default()
        .split(';')
        .map(hashtag)
        .filter(|t| t.chars().count() > 1)
        .collect();
    if !tags.is_empty() {
        out.push_str(&format!("\n{}\n", tags.join(" ")));
    }
    out
}

/// `#` and the words of `s` run together, letters and digits only ("Vịnh Hạ Long" → "#VịnhHạLong").
fn hashtag(s: &str) -> String {
    let mut tag = String::from("#");
    for word in s.split(|c: char| !c.is_alphanumeric()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            tag.extend(first.to_uppercase());
            tag.push_str(chars.as_str());
        }
    }
    tag
}

/// Adds `item` to the group of `key` (in the order keys first appear): the languages whose videos last as
/// long share one drawing.
fn push_grouped<K: PartialEq, T>(groups: &mut Vec<(K, Vec<T>)>, key: K, item: T) {
    match groups.iter_mut().find(|(k, _)| *k == key) {
        Some((_, group)) => group.push(item),
        None => groups.push((key, vec![item])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn videos_by_shape_become_videos_by_language() {
        let by_shape = vec![
            (Shape::Wide, vec![b"vi wide".to_vec(), b"en wide".to_vec()]),
            (Shape::Tall, vec![b"vi tall".to_vec(), b"en tall".to_vec()]),
        ];
        assert_eq!(
            per_version(by_shape),
            vec![
                vec![(Shape::Wide, b"vi wide".to_vec()), (Shape::Tall, b"vi tall".to_vec())],
                vec![(Shape::Wide, b"en wide".to_vec()), (Shape::Tall, b"en tall".to_vec())],
            ]
        );
    }

    #[test]
    fn hashtags_keep_diacritics_and_drop_spaces() {
        assert_eq!(hashtag(" Vịnh Hạ Long "), "#VịnhHạLong");
        assert_eq!(hashtag("di sản thế giới"), "#DiSảnThếGiới");
        assert_eq!(hashtag("下龙湾"), "#下龙湾");
        assert_eq!(hashtag("  "), "#");
    }

    #[test]
    fn the_360_jpeg_carries_gpano_and_the_camera() {
        let img = RgbImage::from_pixel(64, 32, image::Rgb([90, 120, 200]));
        let jpeg = disan_imaging::encode_jpeg(&img, 90).unwrap();
        let tagged = with_pano_metadata(&jpeg, 64, 32, Some(-10.0), Some("RICOH"), Some("RICOH THETA Z1"));
        let meta = disan_exif::read_metadata(&tagged, None);
        assert_eq!(meta.make.as_deref(), Some("RICOH"));
        assert_eq!(meta.model.as_deref(), Some("RICOH THETA Z1"));
        let pano = meta.pano.expect("GPano read back");
        assert!(pano.is_equirectangular(), "{pano:?}");
        // Still a JPEG with the same pixels.
        let limits = disan_imaging::DecodeLimits::from(&disan_core::Settings::default());
        let back = disan_imaging::decode_rgb8(&tagged, &limits).unwrap().image;
        assert_eq!(back, disan_imaging::decode_rgb8(&jpeg, &limits).unwrap().image);
        // Without a camera, no make or model is invented.
        let bare = disan_exif::read_metadata(&with_pano_metadata(&jpeg, 64, 32, None, None, None), None);
        assert_eq!((bare.make, bare.model), (None, None));
    }
}
