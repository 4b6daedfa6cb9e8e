//! The videos of `disan share`: panorama pans, a 360° turn, photo zooms, model turntables and tour
//! walk-throughs, each a fast-start H.264 MP4 at 30 fps (`disan_video`), with the title and subtitle over the
//! first three seconds and the credit over the last three, and captions timed to the same story.
//!
//! Frames are made on one thread and encoded on another, so rendering and encoding overlap.

use std::f64::consts::PI;
use std::path::Path;
use std::sync::Arc;

use disan_video::{AudioTrack, Cue, Encoded, Mp4Writer, Overlay, VideoSpec};
use image::RgbImage;

use crate::site::card::{self, draw_title};
use crate::{PublishError, Result};

/// The title shows for this long, then fades out over [`FADE`]; the credit fades in as long before the end.
pub(crate) const TITLE_SECONDS: f64 = 3.0;
pub(crate) const FADE: f64 = 0.6;

/// The two shapes of a flat video: 16:9 (YouTube, Facebook) and 9:16 (TikTok, Reels, Zalo video).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    Wide,
    Tall,
}

impl Shape {
    pub(crate) const BOTH: [Shape; 2] = [Shape::Wide, Shape::Tall];

    pub(crate) fn size(self) -> (u32, u32) {
        match self {
            Shape::Wide => (1920, 1080),
            Shape::Tall => (1080, 1920),
        }
    }

    /// `16x9` or `9x16`, for file names.
    pub(crate) fn tag(self) -> &'static str {
        match self {
            Shape::Wide => "16x9",
            Shape::Tall => "9x16",
        }
    }

    /// Horizontal field of view of a panorama pan in this shape (the tall one sees about 86° vertically).
    fn pan_hfov(self) -> f64 {
        match self {
            Shape::Wide => 90.0,
            Shape::Tall => 55.0,
        }
    }
}

/// Makes the video of each shape at once, each on a thread of its own: one H.264 encoder keeps one core busy
/// and drawing the frames takes less than the other, so two videos side by side use both cores of a field
/// laptop instead of one and a half (a 20 s pan in both shapes: 51 s alone, about 40 s together).
pub(crate) fn both_shapes<T: Send>(make: impl Fn(Shape) -> Result<T> + Sync) -> Result<Vec<(Shape, T)>> {
    let make = &make;
    std::thread::scope(|scope| {
        let running: Vec<_> = Shape::BOTH
            .iter()
            .map(|&shape| (shape, scope.spawn(move || make(shape))))
            .collect();
        running
            .into_iter()
            .map(|(shape, thread)| match thread.join() {
                Ok(made) => made.map(|video| (shape, video)),
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// What a video says: the title card and the credit.
#[derive(Clone, Debug)]
pub(crate) struct Texts {
    pub title: String,
    /// Under the title: the credit, or the site's name.
    pub subtitle: String,
    pub credit: String,
    /// A short description for the captions.
    pub description: Option<String>,
}

/// Slow at both ends: 0 → 0, 1 → 1.
pub(crate) fn ease(u: f64) -> f64 {
    (1.0 - (PI * u.clamp(0.0, 1.0)).cos()) / 2.0
}

pub(crate) fn frame_count(seconds: f64) -> u64 {
    (seconds * f64::from(disan_video::FPS)).round() as u64
}

/// The title and credit overlays of a `w`×`h` video.
struct Overlays {
    title: Overlay,
    credit: Option<Overlay>,
}

impl Overlays {
    /// In a tall video the text sits above the bottom 28 %, which TikTok, Reels and Zalo cover with their
    /// own captions and buttons.
    fn new(w: u32, h: u32, texts: &Texts) -> Self {
        let text_h = if h > w { h * 72 / 100 } else { h };
        let mut shade = card::shade_rows(text_h);
        let last = shade.last().copied().unwrap_or(1.0);
        shade.resize(h as usize, last);
        let mask_of = |title: &str, subtitle: &str| {
            let mut text = RgbImage::new(w, text_h);
            draw_title(&mut text, title, subtitle);
            let mut mask = RgbImage::new(w, h);
            image::imageops::replace(&mut mask, &text, 0, 0);
            mask
        };
        let title = Overlay::new(&mask_of(&texts.title, &texts.subtitle), shade.clone());
        let credit = (!texts.credit.is_empty()).then(|| {
            // Only the bottom, lightly: the picture stays the subject.
            let light = shade.iter().map(|k| 1.0 - (1.0 - k) * 0.6).collect();
            Overlay::new(&mask_of("", &texts.credit), light)
        });
        Self { title, credit }
    }

    fn apply(&self, frame: &mut RgbImage, t: f64, seconds: f64) {
        let title = 1.0 - ((t - TITLE_SECONDS) / FADE).clamp(0.0, 1.0);
        self.title.apply(frame, title as f32);
        if let Some(c) = &self.credit {
            let from = (seconds - TITLE_SECONDS - FADE).max(TITLE_SECONDS + FADE);
            let credit = ((t - from) / FADE).clamp(0.0, 1.0);
            c.apply(frame, credit as f32);
        }
    }
}

/// Captions for a video of `seconds`: the title, the description's sentences spread over the middle, the
/// credit at the end.
pub(crate) fn cues(texts: &Texts, seconds: f64) -> Vec<Cue> {
    let mut cues = vec![Cue {
        start: 0.0,
        end: TITLE_SECONDS + FADE,
        text: texts.title.clone(),
    }];
    let (from, to) = (TITLE_SECONDS + FADE, seconds - TITLE_SECONDS - FADE);
    if let Some(d) = texts.description.as_deref().filter(|_| to > from) {
        let sentences = sentences(d);
        let total: usize = sentences.iter().map(|s| s.chars().count()).sum::<usize>().max(1);
        let mut at = from;
        for s in sentences {
            let len = (to - from) * s.chars().count() as f64 / total as f64;
            cues.push(Cue {
                start: at,
                end: at + len,
                text: s,
            });
            at += len;
        }
    }
    if !texts.credit.is_empty() {
        cues.push(Cue {
            start: (seconds - TITLE_SECONDS - FADE).max(TITLE_SECONDS + FADE),
            end: seconds,
            text: texts.credit.clone(),
        });
    }
    cues
}

/// `text` split after `.`, `!`, `?` and their CJK forms, each piece trimmed.
fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        cur.push(c);
        if matches!(c, '.' | '!' | '?' | '。' | '！' | '？') {
            let s = cur.trim().to_owned();
            if !s.is_empty() {
                out.push(s);
            }
            cur.clear();
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_owned());
    }
    out
}

fn video_err(what: &str) -> impl Fn(disan_video::VideoError) -> PublishError + Copy + '_ {
    move |e| PublishError::Encode {
        what: what.to_owned(),
        reason: e.to_string(),
    }
}

/// A video of `seconds` whose frame at time `t` is `frame(t)`, without overlays, not yet in a file: one video
/// alone (the 360° one) uses every core by being cut into parts at key frames, each made and encoded on a thread
/// of its own, and joined (the same stream one encoder would make; `disan_video::Encoded::concat`).
fn encode_frames(
    what: &str,
    spec: VideoSpec,
    seconds: f64,
    frame: &(dyn Fn(f64) -> Result<RgbImage> + Sync),
) -> Result<Encoded> {
    let err = video_err(what);
    let n = frame_count(seconds);
    let key = u64::from(disan_video::KEY_FRAME_INTERVAL);
    let threads = std::thread::available_parallelism()
        .map_or(2, |t| t.get() as u64)
        .min(4);
    let per_part = (n.div_ceil(threads).div_ceil(key) * key).max(key);
    let parts: Vec<std::ops::Range<u64>> = (0..n)
        .step_by(per_part as usize)
        .map(|s| s..(s + per_part).min(n))
        .collect();
    let encoded = std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|range| {
                scope.spawn(move || -> Result<Encoded> {
                    let mut writer = Mp4Writer::new(spec).map_err(err)?;
                    for i in range {
                        writer
                            .push(&frame(i as f64 / f64::from(disan_video::FPS))?)
                            .map_err(err)?;
                    }
                    writer.into_encoded().map_err(err)
                })
            })
            .collect();
        join_encoders(handles).into_iter().collect::<Result<Vec<Encoded>>>()
    })?;
    Encoded::concat(encoded).map_err(err)
}

/// The frames an encoder thread is handed: each with its time, the picture shared by every video made from it.
type FrameFeed = std::sync::mpsc::SyncSender<(f64, Arc<RgbImage>)>;

/// Starts an encoder of `spec` on a thread of `scope`: each picture it is handed becomes this video's frame by
/// `place` (its own copy), gets `overlays` at its time and is encoded; the thread ends when the feed is dropped.
fn spawn_encoder<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    what: String,
    spec: VideoSpec,
    overlays: Overlays,
    seconds: f64,
    place: impl Fn(Arc<RgbImage>) -> RgbImage + Send + 'scope,
) -> (FrameFeed, std::thread::ScopedJoinHandle<'scope, Result<Encoded>>) {
    let (tx, rx) = std::sync::mpsc::sync_channel::<(f64, Arc<RgbImage>)>(2);
    let encoder = scope.spawn(move || {
        let err = video_err(&what);
        let mut writer = Mp4Writer::new(spec).map_err(err)?;
        for (t, picture) in rx {
            let mut frame = place(picture);
            overlays.apply(&mut frame, t, seconds);
            writer.push(&frame).map_err(err)?;
        }
        writer.into_encoded().map_err(err)
    });
    (tx, encoder)
}

/// What each encoder thread made, in order (a panic in one is raised again here).
fn join_encoders(encoders: Vec<std::thread::ScopedJoinHandle<'_, Result<Encoded>>>) -> Vec<Result<Encoded>> {
    encoders
        .into_iter()
        .map(|encoder| match encoder.join() {
            Ok(encoded) => encoded,
            Err(panic) => std::panic::resume_unwind(panic),
        })
        .collect()
}

/// One video per version (a language's title, credit and sound) of `seconds` whose frame at time `t` is
/// `frame(t)`: each frame is made once, here, and handed to every version's encoder, each on a thread of its
/// own, which lays its overlays over its copy. Returned in the order of `versions`.
pub(crate) fn encode_versions(
    what: &dyn Fn(usize) -> String,
    spec: VideoSpec,
    seconds: f64,
    versions: &[(&Texts, Option<&AudioTrack>)],
    frame: &(dyn Fn(f64) -> Result<RgbImage> + Sync),
) -> Result<Vec<Vec<u8>>> {
    let n = frame_count(seconds);
    let encoded = std::thread::scope(|scope| -> Result<Vec<Encoded>> {
        let mut senders = Vec::new();
        let mut encoders = Vec::new();
        for (v, (texts, _)) in versions.iter().enumerate() {
            let overlays = Overlays::new(spec.width, spec.height, texts);
            let (tx, encoder) = spawn_encoder(scope, what(v), spec, overlays, seconds, Arc::unwrap_or_clone);
            senders.push(tx);
            encoders.push(encoder);
        }
        let mut made = Ok(());
        'frames: for i in 0..n {
            let t = i as f64 / f64::from(disan_video::FPS);
            match frame(t) {
                Ok(img) => {
                    let img = Arc::new(img);
                    for tx in &senders {
                        if tx.send((t, img.clone())).is_err() {
                            // The encoder stopped on an error, reported below.
                            break 'frames;
                        }
                    }
                }
                Err(e) => {
                    made = Err(e);
                    break;
                }
            }
        }
        drop(senders);
        let joined = join_encoders(encoders);
        made?;
        joined.into_iter().collect()
    })?;
    encoded
        .iter()
        .zip(versions)
        .enumerate()
        .map(|(v, (e, (_, audio)))| e.mp4(*audio).map_err(video_err(&what(v))))
        .collect()
}

/// The six faces of a panorama's pyramid as dense as a view `width` pixels wide over `hfov` degrees needs (the
/// level `disan render` draws the same view from).
pub(crate) fn faces_for(asset: &str, folder: &Path, config: &str, width: u32, hfov: f64) -> Result<[RgbImage; 6]> {
    let pyramid = crate::tour::pyramid_in(folder, config)?;
    let focal = f64::from(width) / 2.0 / (hfov / 2.0).to_radians().tan();
    crate::tour::marzipano::cube_faces(asset, &pyramid, (2.0 * focal * 0.999).ceil() as u32)
}

/// Where a pan looks at `u` (0 → 1): from 40° left of `yaw` to 40° right of it, eased.
pub(crate) fn pan_yaw(yaw: f64, u: f64) -> f64 {
    yaw - 40.0 + 80.0 * ease(u)
}

/// A panorama pan in each of `versions` (a language's texts and sound): the view turning 80° about `yaw` over
/// `seconds`, rendered from the pyramid once for all of them.
#[allow(clippy::too_many_arguments)]
pub(crate) fn pano_pan(
    what: &dyn Fn(usize) -> String,
    asset: &str,
    folder: &Path,
    config: &str,
    shape: Shape,
    (yaw, pitch): (f64, f64),
    seconds: f64,
    versions: &[(&Texts, Option<&AudioTrack>)],
) -> Result<Vec<Vec<u8>>> {
    let (w, h) = shape.size();
    let hfov = shape.pan_hfov();
    let faces = disan_tiles::CubeFaces::new(&faces_for(asset, folder, config, w, hfov)?);
    encode_versions(what, VideoSpec::flat(w, h), seconds, versions, &|t| {
        let yaw = pan_yaw(yaw, t / seconds);
        Ok(faces.render(yaw, pitch, hfov, w, h))
    })
}

/// The degrees a 360° video turns over its length.
pub(crate) const TURN_360: f64 = 90.0;

/// A YouTube 360° video: the whole sphere (3840×1920) turning [`TURN_360`]° over `seconds`; encoded once, put
/// in a file per language with that language's sound.
pub(crate) fn pano_360_video(what: &str, asset: &str, folder: &Path, config: &str, seconds: f64) -> Result<Encoded> {
    const WIDTH: u32 = 3840;
    // Faces as dense as the equirectangular image at the equator (a quarter of its width per face).
    let faces = faces_for(asset, folder, config, WIDTH / 4, 90.0)?;
    let equi = disan_tiles::render_cube_equirect(&faces, WIDTH);
    encode_frames(what, VideoSpec::spherical(WIDTH), seconds, &|t| {
        let shift = TURN_360 * ease(t / seconds) / 360.0 * f64::from(WIDTH);
        Ok(disan_tiles::turn_equirect(&equi, shift))
    })
}

/// How far a photo zoom goes: the last frame shows 1/2.5 of the first one's width.
pub(crate) const ZOOM: f64 = 2.5;

/// A region of a picture, in its pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

/// The crop of a `pw`×`ph` picture shown at `u` (0 → 1) of a zoom into `focus` (fractions of the picture: x,
/// y of the centre): from the whole picture cut to the video's shape to a [`ZOOM`] times closer view, its
/// centre moving from the picture's centre to the focus, kept inside the picture.
pub(crate) fn zoom_rect(pw: f64, ph: f64, (vw, vh): (u32, u32), focus: (f64, f64), u: f64) -> Rect {
    let aspect = f64::from(vw) / f64::from(vh);
    let (w0, h0) = if pw / ph > aspect {
        (ph * aspect, ph)
    } else {
        (pw, pw / aspect)
    };
    let e = ease(u);
    let scale = ZOOM.powf(e); // even speed on a log scale
    let (w, h) = (w0 / scale, h0 / scale);
    let (cx, cy) = (
        pw / 2.0 + (focus.0 * pw - pw / 2.0) * e,
        ph / 2.0 + (focus.1 * ph - ph / 2.0) * e,
    );
    Rect {
        x: (cx - w / 2.0).clamp(0.0, pw - w),
        y: (cy - h / 2.0).clamp(0.0, ph - h),
        w,
        h,
    }
}

/// A photo zoom in each of `versions` (a language's texts and sound): `picture` (the photo, or as much of it as
/// the zoom's last frame needs to be sharp), zoomed into `focus` over `seconds`, each frame made once for all.
pub(crate) fn photo_zoom(
    what: &dyn Fn(usize) -> String,
    picture: &RgbImage,
    focus: (f64, f64),
    shape: Shape,
    seconds: f64,
    versions: &[(&Texts, Option<&AudioTrack>)],
) -> Result<Vec<Vec<u8>>> {
    let (vw, vh) = shape.size();
    let (pw, ph) = (f64::from(picture.width()), f64::from(picture.height()));
    encode_versions(what, VideoSpec::flat(vw, vh), seconds, versions, &|t| {
        let r = zoom_rect(pw, ph, (vw, vh), focus, t / seconds);
        Ok(disan_imaging::resize_rgb_region(picture, (r.x, r.y, r.w, r.h), vw, vh))
    })
}

/// Draws a model from any side: what the command line gives `disan share` for turntables (`disan_render`
/// on the GPU, or Mesa's lavapipe). `disan_publish` must not depend on the renderer itself.
pub trait ModelRenderer: Sync {
    /// The model at `glb` drawn at `width`×`height` from each `(yaw, pitch)` (degrees), in order, each frame
    /// handed to `frame` as it is drawn.
    fn render(
        &self,
        glb: &Path,
        views: &[(f32, f32)],
        width: u32,
        height: u32,
        frame: &mut dyn FnMut(RgbImage) -> std::result::Result<(), String>,
    ) -> std::result::Result<(), String>;
}

/// Where a turntable looks at `u` (0 → 1): one full, even turn from the model view's default side, 20° above.
pub(crate) fn turntable_view(u: f64) -> (f32, f32) {
    ((30.0 + 360.0 * u) as f32, 20.0)
}

/// The side of the square each turntable frame is drawn in: the narrower side of both shapes.
pub(crate) const TURNTABLE_SIDE: u32 = 1080;

/// MP4s by shape.
pub(crate) type ShapedVideos = Vec<(Shape, Vec<u8>)>;

/// Turntables in both shapes and in each of `versions` (a language's title, credit and sound): the model
/// turning once over `seconds`, drawn by `renderer` once per frame for all of them. The model view frames the
/// model's bounding sphere in the narrower field of view, so a 1920×1080 view draws it inside its middle
/// 1080×1080 square with nothing but the background at the sides; that square is drawn alone and set in the
/// middle of each shape's frame on its own background (read from its corner, which the sphere never reaches).
/// The 16:9 video is the same as drawing each frame whole; the 9:16 one shows the model as the 16:9 one does
/// (before, it was drawn from 2 % closer, to fill its width). One drawing instead of two per language: on
/// Mesa's lavapipe the drawing is most of a turntable's time. Each video is encoded on a thread of its own
/// while the next frame is drawn. Returned per version, both shapes each.
pub(crate) fn turntables(
    what: &dyn Fn(usize, Shape) -> String,
    renderer: &dyn ModelRenderer,
    glb: &Path,
    seconds: f64,
    versions: &[(&Texts, Option<&AudioTrack>)],
) -> Result<Vec<ShapedVideos>> {
    let n = frame_count(seconds);
    let views: Vec<(f32, f32)> = (0..n).map(|i| turntable_view(i as f64 / n as f64)).collect();
    let side = TURNTABLE_SIDE;
    let videos: Vec<(usize, Shape)> = (0..versions.len())
        .flat_map(|v| Shape::BOTH.map(|shape| (v, shape)))
        .collect();
    let encoded = std::thread::scope(|scope| -> Result<Vec<Encoded>> {
        let mut senders = Vec::new();
        let mut encoders = Vec::new();
        for &(v, shape) in &videos {
            let (w, h) = shape.size();
            let overlays = Overlays::new(w, h, versions[v].0);
            let place = move |square: Arc<RgbImage>| centred(&square, (w, h));
            let (tx, encoder) = spawn_encoder(scope, what(v, shape), VideoSpec::flat(w, h), overlays, seconds, place);
            senders.push(tx);
            encoders.push(encoder);
        }
        let mut i = 0u64;
        let mut encoder_stopped = false;
        let drawn = renderer.render(glb, &views, side, side, &mut |square| {
            let t = i as f64 / f64::from(disan_video::FPS);
            i += 1;
            let square = Arc::new(square);
            for tx in &senders {
                if tx.send((t, square.clone())).is_err() {
                    // The encoder stopped on an error, reported below.
                    encoder_stopped = true;
                    return Err("the encoder stopped".to_owned());
                }
            }
            Ok(())
        });
        drop(senders);
        let joined = join_encoders(encoders);
        // What stopped first is reported: the drawing (no device, a broken model), unless it stopped because
        // an encoder had.
        if let Err(reason) = drawn
            && !encoder_stopped
        {
            return Err(PublishError::Render {
                what: what(0, Shape::Wide),
                reason,
            });
        }
        joined.into_iter().collect()
    })?;
    let mut out: Vec<ShapedVideos> = versions.iter().map(|_| Vec::new()).collect();
    for ((v, shape), e) in videos.into_iter().zip(encoded) {
        let mp4 = e.mp4(versions[v].1).map_err(video_err(&what(v, shape)))?;
        out[v].push((shape, mp4));
    }
    Ok(out)
}

/// `square` in the middle of a `w`×`h` frame filled with the square's corner colour.
pub(crate) fn centred(square: &RgbImage, (w, h): (u32, u32)) -> RgbImage {
    let background = *square.get_pixel(0, 0);
    let mut frame = RgbImage::from_pixel(w, h, background);
    let x = i64::from(w.saturating_sub(square.width()) / 2);
    let y = i64::from(h.saturating_sub(square.height()) / 2);
    image::imageops::replace(&mut frame, square, x, y);
    frame
}

/// One scene of a walk-through: its pyramid, where it starts looking and where it turns to (its link to the
/// next scene).
pub(crate) struct WalkScene {
    pub asset: String,
    pub folder: std::path::PathBuf,
    pub config: String,
    pub from: (f64, f64),
    pub to: (f64, f64),
}

type Faces = Arc<disan_tiles::CubeFaces>;

/// Seconds per scene of a walk-through (longer when the scene's narration needs it), and of the cross-fade
/// into the next.
pub(crate) const SCENE_SECONDS: f64 = 5.0;
pub(crate) const CROSS_FADE: f64 = 1.0;

/// When each scene of a walk-through starts, given each one's length; the last entry is the walk's end.
pub(crate) fn walk_starts(lengths: &[f64]) -> Vec<f64> {
    let mut starts = vec![0.0];
    for l in lengths {
        starts.push(starts.last().copied().unwrap_or(0.0) + l);
    }
    starts
}

/// The view of a scene `length` seconds long at `s` seconds into it: turning from its start view to its link,
/// eased.
fn walk_view(scene: &WalkScene, s: f64, length: f64) -> (f64, f64) {
    let e = ease(s / (length - CROSS_FADE));
    let mut dy = (scene.to.0 - scene.from.0).rem_euclid(360.0);
    if dy > 180.0 {
        dy -= 360.0;
    }
    (scene.from.0 + dy * e, scene.from.1 + (scene.to.1 - scene.from.1) * e)
}

/// A tour walk-through in each of `versions` (a language's texts and sound): each scene (`lengths` seconds
/// each) turned towards its link to the next, cross-faded into it, each frame drawn once for all of them.
/// Scenes' faces are loaded as the walk reaches them, and at most two scenes' are held (the one showing and
/// the next). Returned in the order of `versions`.
pub(crate) fn walk(
    what: &dyn Fn(usize) -> String,
    scenes: &[&WalkScene],
    lengths: &[f64],
    shape: Shape,
    versions: &[(&Texts, Option<&AudioTrack>)],
) -> Result<Vec<Vec<u8>>> {
    let (w, h) = shape.size();
    let hfov = shape.pan_hfov();
    let starts = walk_starts(lengths);
    let seconds = starts.last().copied().unwrap_or(0.0);
    let cache: std::sync::Mutex<Vec<(usize, Faces)>> = std::sync::Mutex::new(Vec::new());
    let faces = |i: usize| -> Result<Faces> {
        let mut cache = cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, f)) = cache.iter().find(|(j, _)| *j == i) {
            return Ok(f.clone());
        }
        let f: Faces = Arc::new(disan_tiles::CubeFaces::new(&walk_faces(scenes[i])?));
        cache.retain(|(j, _)| *j + 1 >= i);
        cache.push((i, f.clone()));
        Ok(f)
    };
    encode_versions(what, VideoSpec::flat(w, h), seconds, versions, &|t| {
        let i = starts[1..].iter().position(|&end| t < end).unwrap_or(scenes.len() - 1);
        let s = t - starts[i];
        let (yaw, pitch) = walk_view(scenes[i], s, lengths[i]);
        let mut img = faces(i)?.render(yaw, pitch, hfov, w, h);
        let fade_at = lengths[i] - CROSS_FADE;
        if s > fade_at && i + 1 < scenes.len() {
            let (y2, p2) = walk_view(scenes[i + 1], 0.0, lengths[i + 1]);
            let other = faces(i + 1)?.render(y2, p2, hfov, w, h);
            let a = ((s - fade_at) / CROSS_FADE).clamp(0.0, 1.0) as f32;
            disan_video::cross_fade(&mut img, &other, a);
        }
        Ok(img)
    })
}

/// A scene's faces, as dense as a 16:9 walk needs.
pub(crate) fn walk_faces(scene: &WalkScene) -> Result<[RgbImage; 6]> {
    let (w, _) = Shape::Wide.size();
    faces_for(&scene.asset, &scene.folder, &scene.config, w, Shape::Wide.pan_hfov())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn easing_and_pans_start_and_end_where_they_should() {
        assert_eq!(ease(0.0), 0.0);
        assert!((ease(1.0) - 1.0).abs() < 1e-12);
        assert!((ease(0.5) - 0.5).abs() < 1e-12);
        assert_eq!(pan_yaw(10.0, 0.0), -30.0);
        assert!((pan_yaw(10.0, 1.0) - 50.0).abs() < 1e-9);
        assert_eq!(frame_count(20.0), 600);
    }

    /// Draws a disc whose shade follows the yaw on a slate background, or fails at once.
    struct Disc {
        fail: bool,
        sides: std::sync::Mutex<Vec<(u32, u32)>>,
    }

    impl ModelRenderer for Disc {
        fn render(
            &self,
            _glb: &Path,
            views: &[(f32, f32)],
            width: u32,
            height: u32,
            frame: &mut dyn FnMut(RgbImage) -> std::result::Result<(), String>,
        ) -> std::result::Result<(), String> {
            if self.fail {
                return Err("no Vulkan device".into());
            }
            self.sides.lock().unwrap().push((width, height));
            for &(yaw, _) in views {
                let shade = (yaw.rem_euclid(360.0) / 360.0 * 200.0) as u8 + 40;
                let r = f64::from(width.min(height)) * 0.45;
                frame(RgbImage::from_fn(width, height, |x, y| {
                    let (dx, dy) = (
                        f64::from(x) - f64::from(width) / 2.0,
                        f64::from(y) - f64::from(height) / 2.0,
                    );
                    if dx.hypot(dy) < r {
                        image::Rgb([shade, 200, 255 - shade])
                    } else {
                        image::Rgb([48, 52, 58])
                    }
                }))?;
            }
            Ok(())
        }
    }

    fn texts(title: &str) -> Texts {
        Texts {
            title: title.into(),
            subtitle: String::new(),
            credit: String::new(),
            description: None,
        }
    }

    #[test]
    fn both_turntables_come_from_one_drawing_per_frame() {
        let disc = Disc {
            fail: false,
            sides: Default::default(),
        };
        let (vi, en) = (texts("Bia đá"), texts("Stone stele"));
        let made = turntables(
            &|v, s| format!("m/{v}/{}", s.tag()),
            &disc,
            Path::new("m.glb"),
            0.2,
            &[(&vi, None), (&en, None)],
        )
        .unwrap();
        // One square drawing of each frame for both languages, as wide as the narrower side of both shapes.
        assert_eq!(*disc.sides.lock().unwrap(), vec![(TURNTABLE_SIDE, TURNTABLE_SIDE)]);
        assert_eq!(made.len(), 2);
        for videos in &made {
            assert_eq!(videos.iter().map(|(s, _)| *s).collect::<Vec<_>>(), Shape::BOTH);
            for (_, mp4) in videos {
                assert!(mp4.len() > 1000 && &mp4[4..8] == b"ftyp");
            }
        }
        // Each language's own title: the two languages' videos differ.
        assert_ne!(made[0][0].1, made[1][0].1);
    }

    #[test]
    fn each_frame_is_made_once_for_every_language() {
        let made = std::sync::atomic::AtomicUsize::new(0);
        let (vi, en) = (texts("Vịnh Hạ Long"), texts("Ha Long Bay"));
        let videos = encode_versions(
            &|v| format!("p/{v}/pan.mp4"),
            VideoSpec::flat(320, 180),
            0.5,
            &[(&vi, None), (&en, None)],
            &|t| {
                made.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Ok(RgbImage::from_pixel(320, 180, image::Rgb([(t * 400.0) as u8, 90, 160])))
            },
        )
        .unwrap();
        assert_eq!(made.into_inner(), frame_count(0.5) as usize);
        assert_eq!(videos.len(), 2);
        assert!(videos.iter().all(|mp4| &mp4[4..8] == b"ftyp"));
        assert_ne!(videos[0], videos[1], "each language's own title");
        // A frame that cannot be made stops every version, with its reason.
        let err = encode_versions(
            &|v| format!("p/{v}/pan.mp4"),
            VideoSpec::flat(320, 180),
            0.5,
            &[(&vi, None), (&en, None)],
            &|t| {
                if t > 0.2 {
                    Err(PublishError::NoPyramid("p".into()))
                } else {
                    Ok(RgbImage::new(320, 180))
                }
            },
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "p has no panorama tiles");
    }

    #[test]
    fn the_square_sits_in_the_middle_of_each_shape_on_its_own_background() {
        let mut square = RgbImage::from_pixel(4, 4, image::Rgb([48, 52, 58]));
        square.put_pixel(1, 2, image::Rgb([255, 0, 0]));
        let wide = centred(&square, (8, 4));
        assert_eq!(*wide.get_pixel(3, 2), image::Rgb([255, 0, 0]));
        assert_eq!(*wide.get_pixel(0, 0), image::Rgb([48, 52, 58]));
        assert_eq!(*wide.get_pixel(7, 3), image::Rgb([48, 52, 58]));
        let tall = centred(&square, (4, 8));
        assert_eq!(*tall.get_pixel(1, 4), image::Rgb([255, 0, 0]));
        assert_eq!(tall.pixels().filter(|p| p.0 == [255, 0, 0]).count(), 1);
    }

    #[test]
    fn a_turntable_without_a_renderer_says_so() {
        let disc = Disc {
            fail: true,
            sides: Default::default(),
        };
        let vi = texts("Bia đá");
        let err = turntables(
            &|_, s| format!("m/vi/turntable-{}.mp4", s.tag()),
            &disc,
            Path::new("m.glb"),
            0.2,
            &[(&vi, None)],
        )
        .unwrap_err()
        .to_string();
        assert_eq!(err, "m/vi/turntable-16x9.mp4: cannot render: no Vulkan device");
    }

    #[test]
    fn zooms_stay_inside_the_picture_and_reach_the_focus() {
        let (pw, ph) = (4000.0, 3000.0);
        let first = zoom_rect(pw, ph, (1920, 1080), (0.9, 0.1), 0.0);
        assert_eq!((first.x, first.w), (0.0, 4000.0));
        assert!((first.h - 2250.0).abs() < 1e-9);
        let last = zoom_rect(pw, ph, (1920, 1080), (0.9, 0.1), 1.0);
        assert!((last.w - 1600.0).abs() < 1e-6, "{last:?}");
        // The focus is near the corner: the view stops at the picture's edge.
        assert!((last.x + last.w - pw).abs() < 1e-6 && last.y == 0.0, "{last:?}");
        let tall = zoom_rect(pw, ph, (1080, 1920), (0.5, 0.5), 0.0);
        assert!((tall.w - 3000.0 * 1080.0 / 1920.0).abs() < 1e-6 && tall.h == 3000.0);
    }

    #[test]
    fn captions_follow_the_video() {
        let texts = Texts {
            title: "Vịnh Hạ Long".into(),
            subtitle: String::new(),
            credit: "Ảnh: Trung tâm".into(),
            description: Some("Một. Hai ba bốn năm.".into()),
        };
        let cues = cues(&texts, 20.0);
        let texts: Vec<&str> = cues.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["Vịnh Hạ Long", "Một.", "Hai ba bốn năm.", "Ảnh: Trung tâm"]);
        assert_eq!(cues[3].end, 20.0);
        for pair in cues.windows(2) {
            assert!(pair[0].end <= pair[1].start + 1e-9, "{pair:?}");
        }
    }
}
