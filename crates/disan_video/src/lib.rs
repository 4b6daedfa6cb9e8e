//! Disan's video writer. RGB frames go in; an MP4 comes out that the platforms accept as it is:
//!
//! - H.264 from OpenH264 (built from its bundled source by the `openh264` crate): Main or High profile,
//!   4:2:0, BT.709 limited range (the colour conversion is ours and the SPS says so), constant 30 fps, a
//!   key frame every two seconds, no skipped frames;
//! - muxed by `muxide` with the index (`moov`) before the samples (`mdat`), so a player starts before the
//!   whole file has arrived;
//! - for 360° video, the spherical video boxes of Google's Spherical Video V2 specification (`st3d` and
//!   `sv3d` in the `avc1` sample entry; no crate writes them) and the V1 `uuid` box beside them, which is what
//!   YouTube reads to show a video as 360°;
//! - a sound track when there is one: AAC-LC at 48 kHz, stereo, from `rusty_aac` (pure Rust);
//! - captions as SubRip (`.srt`) and WebVTT (`.vtt`).
//!
//! The whole file is built in memory (a 20 s 1080p clip is a few megabytes) and handed back as bytes, for
//! the caller to write atomically.

mod audio;
mod captions;
mod mp4;
mod overlay;
mod yuv;

use image::RgbImage;
use openh264::OpenH264API;
use openh264::encoder::{
    BitRate, Complexity, Encoder, EncoderConfig, FrameRate, IntraFramePeriod, Level, Profile, QpRange, RateControlMode,
    UsageType, VuiConfig,
};

pub use audio::{AUDIO_RATE, AudioTrack, PRIMING, encode_aac};
pub use captions::{Cue, srt, vtt};
pub use mp4::{Spherical, add_spherical};
pub use overlay::{Overlay, cross_fade};

/// A frame as the encoder is given it: planar Y'CbCr 4:2:0 (I420: the Y plane, then Cb, then Cr), BT.709
/// limited range, chroma the average of each 2×2 block. For comparing what comes out of the encoder with
/// what went in (`bench/share-video.sh` measures SSIM against it). The sides must be even.
pub fn to_yuv420(rgb: &RgbImage) -> Result<Vec<u8>> {
    let (w, h) = rgb.dimensions();
    if w % 2 == 1 || h % 2 == 1 || w == 0 || h == 0 {
        return Err(VideoError::Size(w, h));
    }
    let mut yuv = yuv::Yuv420::new(w, h);
    yuv.read_rgb(rgb);
    Ok(yuv.into_planes())
}

/// Frames per second of every video Disan makes.
pub const FPS: u32 = 30;

/// Frames from one key (IDR) frame to the next: every two seconds. A writer's first frame is one too, so a video
/// cut at multiples of this can be encoded in parts and joined ([`Encoded::concat`]).
pub const KEY_FRAME_INTERVAL: u32 = 2 * FPS;

/// The largest frame OpenH264 encodes (3840×2160, or 2160×3840 upright).
pub const MAX_LONG_SIDE: u32 = 3840;
pub const MAX_SHORT_SIDE: u32 = 2160;

#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    #[error("a {0}×{1} video cannot be made: the sides must be even, at least 16 and at most 3840×2160")]
    Size(u32, u32),
    #[error("frame {index} is {got_w}×{got_h}, the video is {w}×{h}")]
    FrameSize {
        index: u64,
        got_w: u32,
        got_h: u32,
        w: u32,
        h: u32,
    },
    #[error("the H.264 encoder failed: {0}")]
    Encode(String),
    #[error("the MP4 muxer failed: {0}")]
    Mux(String),
    #[error("no frames to make a video of")]
    Empty,
    #[error("the sound track cannot be encoded: {0}")]
    Audio(String),
    #[error("the MP4 cannot be read: {0}")]
    Mp4(String),
}

pub type Result<T> = std::result::Result<T, VideoError>;

/// What kind of video to make.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VideoSpec {
    pub width: u32,
    pub height: u32,
    /// An equirectangular 360° video: the spherical boxes are written.
    pub spherical: bool,
}

impl VideoSpec {
    /// A flat video of `width`×`height`.
    pub fn flat(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            spherical: false,
        }
    }

    /// An equirectangular 360° video (width = 2 × height).
    pub fn spherical(width: u32) -> Self {
        Self {
            width,
            height: width / 2,
            spherical: true,
        }
    }
}

/// The quantiser of every frame: constant quality, not a bit rate. Platforms re-encode what is uploaded, so the
/// upload should be clean. Given the same frames of a real panorama pan, 18 is above libx264 `-preset medium`
/// at its default CRF 23 in SSIM (Y 0.9875 against 0.9843, All 0.9890 against 0.9863) at about 8 Mbit/s for
/// 1080p, YouTube's recommended upload rate (docs/BENCHMARKS.md: `bench/share-video.sh`'s equal-input rows).
const QP: u8 = 18;
/// The 360° video's quantiser: four times the pixels of a 1080p frame, turning slowly; 20 keeps it near the
/// bit rates YouTube recommends for 4K uploads.
const QP_360: u8 = 20;

/// Whether `spec` needs more than level 4.1 (1080p): the 360° video, or any frame over 8,192 macroblocks.
fn spherical_or_large(spec: VideoSpec) -> bool {
    spec.spherical || spec.width.div_ceil(16) * spec.height.div_ceil(16) > 8192
}

/// Encodes frames one at a time into an MP4 held in memory.
pub struct Mp4Writer {
    spec: VideoSpec,
    encoder: Encoder,
    yuv: yuv::Yuv420,
    /// H.264 access units (Annex B) and whether each is a key frame.
    samples: Vec<(Vec<u8>, bool)>,
}

impl Mp4Writer {
    pub fn new(spec: VideoSpec) -> Result<Self> {
        let (long, short) = (spec.width.max(spec.height), spec.width.min(spec.height));
        if spec.width % 2 == 1 || spec.height % 2 == 1 || short < 16 || long > MAX_LONG_SIDE || short > MAX_SHORT_SIDE {
            return Err(VideoError::Size(spec.width, spec.height));
        }
        // Level 4.1 holds 1080p at 30 fps (and up to 62.5 Mbit/s in High profile), 5.1 the 3840×1920 360° video;
        // OpenH264 would raise the level to fit a higher bit rate than the one given here (which this rate
        // control does not aim at).
        let (qp, ceiling, level) = if spherical_or_large(spec) {
            (QP_360, 200_000_000, Level::Level_5_1)
        } else {
            (QP, 50_000_000, Level::Level_4_1)
        };
        let config = EncoderConfig::new()
            .max_frame_rate(FrameRate::from_hz(FPS as f32))
            // Constant quality: one quantiser for every frame. OpenH264 takes it only from the rate control's
            // range (with the rate control off it codes key frames at its own base quantiser, 26), so the range
            // is that one value, in the buffer-based mode: the one that neither skips frames (constant frame
            // rate) nor warns that the bit rate is not controlled. Its quantiser rises at a detected scene
            // change; these videos have none (cuts are cross-fades), so detection is off.
            .rate_control_mode(RateControlMode::Bufferbased)
            .qp(QpRange::new(qp, qp))
            .scene_change_detect(false)
            // Background detection codes the macroblocks it takes for unchanged background with less care; on a
            // pan nothing is unchanged, and with it on a pan's luma SSIM was 0.983 at quantiser 16 where it is
            // 0.991 without it, in a smaller file.
            .background_detection(false)
            .bitrate(BitRate::from_bps(ceiling))
            .level(level)
            .skip_frames(false)
            .usage_type(UsageType::CameraVideoRealTime)
            .profile(Profile::High)
            .complexity(Complexity::Medium)
            .intra_frame_period(IntraFramePeriod::from_num_frames(KEY_FRAME_INTERVAL))
            .vui(VuiConfig::bt709());
        let encoder = Encoder::with_api_config(OpenH264API::from_source(), config)
            .map_err(|e| VideoError::Encode(e.to_string()))?;
        Ok(Self {
            spec,
            encoder,
            yuv: yuv::Yuv420::new(spec.width, spec.height),
            samples: Vec::new(),
        })
    }

    pub fn spec(&self) -> VideoSpec {
        self.spec
    }

    /// Frames written so far.
    pub fn frames(&self) -> u64 {
        self.samples.len() as u64
    }

    /// Encodes one frame (sRGB, the video's size).
    pub fn push(&mut self, frame: &RgbImage) -> Result<()> {
        if frame.dimensions() != (self.spec.width, self.spec.height) {
            return Err(VideoError::FrameSize {
                index: self.frames(),
                got_w: frame.width(),
                got_h: frame.height(),
                w: self.spec.width,
                h: self.spec.height,
            });
        }
        self.yuv.read_rgb(frame);
        let stream = self
            .encoder
            .encode(&self.yuv)
            .map_err(|e| VideoError::Encode(e.to_string()))?;
        let key = matches!(stream.frame_type(), openh264::encoder::FrameType::IDR);
        let bytes = stream.to_vec();
        if bytes.is_empty() {
            return Err(VideoError::Encode(format!(
                "frame {} came out empty (a skipped frame breaks the constant frame rate)",
                self.frames()
            )));
        }
        self.samples.push((bytes, key));
        Ok(())
    }

    /// The finished MP4 without sound: fast start, and the spherical boxes for a 360° video.
    pub fn finish(self) -> Result<Vec<u8>> {
        self.into_encoded()?.mp4(None)
    }

    /// The encoded frames, to be muxed once or several times (one video, a sound track per language).
    pub fn into_encoded(self) -> Result<Encoded> {
        if self.samples.is_empty() {
            return Err(VideoError::Empty);
        }
        Ok(Encoded {
            spec: self.spec,
            samples: self.samples,
        })
    }
}

/// A video's encoded frames, not yet in a file.
pub struct Encoded {
    spec: VideoSpec,
    samples: Vec<(Vec<u8>, bool)>,
}

impl Encoded {
    /// One video of `parts` one after another, each encoded by a writer of its own from a frame that is a multiple
    /// of [`KEY_FRAME_INTERVAL`]: each starts with a key frame where the whole video's encoder would have put one,
    /// and with the same quantiser for every frame nothing else carries over. The stream is a single writer's but
    /// for the key frames' `idr_pic_id` (each part counts from 0; H.264 asks only consecutive IDR pictures to
    /// differ), and decodes to the same pictures.
    pub fn concat(parts: Vec<Encoded>) -> Result<Encoded> {
        let mut parts = parts.into_iter();
        let mut whole = parts.next().ok_or(VideoError::Empty)?;
        for part in parts {
            if part.spec != whole.spec {
                return Err(VideoError::Encode("parts of one video must have the same size".into()));
            }
            if !whole.samples.len().is_multiple_of(KEY_FRAME_INTERVAL as usize)
                || !part.samples.first().is_some_and(|(_, key)| *key)
            {
                return Err(VideoError::Encode(format!(
                    "a part must begin with a key frame at a multiple of {KEY_FRAME_INTERVAL} frames (frame {})",
                    whole.samples.len()
                )));
            }
            whole.samples.extend(part.samples);
        }
        Ok(whole)
    }

    /// Seconds the video lasts.
    pub fn seconds(&self) -> f64 {
        self.samples.len() as f64 / f64::from(FPS)
    }

    /// The MP4: fast start, the spherical boxes for a 360° video, and `audio` as its sound track when given.
    /// The sound is cut at the video's end; a shorter sound track ends early (silence after it).
    pub fn mp4(&self, audio: Option<&AudioTrack>) -> Result<Vec<u8>> {
        let mux = |e: muxide::api::MuxerError| VideoError::Mux(e.to_string());
        let mut out = Vec::new();
        {
            let mut builder = muxide::api::MuxerBuilder::new(&mut out)
                .video(
                    muxide::api::VideoCodec::H264,
                    self.spec.width,
                    self.spec.height,
                    f64::from(FPS),
                )
                .with_fast_start(true);
            if audio.is_some() {
                builder = builder.audio(muxide::api::AudioCodec::Aac(muxide::api::AacProfile::Lc), AUDIO_RATE, 2);
            }
            let mut muxer = builder.build().map_err(mux)?;
            // Audio frames interleaved with the video by time, none past the video's end.
            let end = self.seconds();
            let frames = audio.map_or(&[][..], |a| &a.frames[..]);
            let frame_seconds = 1024.0 / f64::from(AUDIO_RATE);
            let mut next_audio = 0usize;
            // Each video frame, then the sound up to the next frame (the muxer wants a video frame first).
            for (i, (bytes, key)) in self.samples.iter().enumerate() {
                muxer.write_video(i as f64 / f64::from(FPS), bytes, *key).map_err(mux)?;
                let until = ((i + 1) as f64 / f64::from(FPS)).min(end);
                while next_audio < frames.len() {
                    let at = next_audio as f64 * frame_seconds;
                    if at >= until || at + frame_seconds > end + 1e-9 {
                        break;
                    }
                    muxer.write_audio(at, &frames[next_audio]).map_err(mux)?;
                    next_audio += 1;
                }
            }
            muxer.finish().map_err(mux)?;
        }
        if self.spec.spherical {
            out = add_spherical(&out, &Spherical::default())?;
        }
        Ok(out)
    }
}

/// Encodes `frames` (made on demand, in order) into an MP4. `progress` hears (frames done, frames in all).
pub fn encode(
    spec: VideoSpec,
    count: u64,
    mut frame: impl FnMut(u64) -> RgbImage,
    progress: &dyn Fn(u64, u64),
) -> Result<Vec<u8>> {
    let mut w = Mp4Writer::new(spec)?;
    for i in 0..count {
        w.push(&frame(i))?;
        progress(i + 1, count);
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Frame `i` of a picture moving to the right, detailed enough to need real coding.
    fn frame(i: u32) -> RgbImage {
        RgbImage::from_fn(128, 96, |x, y| {
            let v = (((x + 3 * i) * 7 + y * 13) ^ ((x + 3 * i) * y / 9)) as u8;
            image::Rgb([v, v.wrapping_mul(3), v.wrapping_add(y as u8)])
        })
    }

    fn encode_range(range: std::ops::Range<u32>) -> Encoded {
        let mut w = Mp4Writer::new(VideoSpec::flat(128, 96)).unwrap();
        for i in range {
            w.push(&frame(i)).unwrap();
        }
        w.into_encoded().unwrap()
    }

    /// Every frame of `video` decoded (by OpenH264's decoder), as RGB.
    fn decoded(video: &Encoded) -> Vec<Vec<u8>> {
        let mut decoder = openh264::decoder::Decoder::new().unwrap();
        let mut frames = Vec::new();
        for (bytes, _) in &video.samples {
            let yuv = decoder.decode(bytes).unwrap().expect("one picture per access unit");
            let mut rgb = vec![0u8; 128 * 96 * 3];
            yuv.write_rgb8(&mut rgb);
            frames.push(rgb);
        }
        frames
    }

    #[test]
    fn a_video_encoded_in_parts_is_the_video_encoded_whole() {
        let n = 2 * KEY_FRAME_INTERVAL + 30;
        let whole = encode_range(0..n);
        let k = KEY_FRAME_INTERVAL;
        let joined = Encoded::concat(vec![encode_range(0..k), encode_range(k..2 * k), encode_range(2 * k..n)]).unwrap();
        // The same access units, but that the whole video's key frames count up in their slice headers
        // (`idr_pic_id`), where each part's first is 0: H.264 asks only consecutive IDR pictures to differ.
        assert_eq!(joined.samples.len(), whole.samples.len());
        for (i, (a, b)) in joined.samples.iter().zip(&whole.samples).enumerate() {
            assert_eq!(a.1, b.1, "frame {i}: key or not");
            if !a.1 {
                assert!(a.0 == b.0, "frame {i} differs");
            }
        }
        // And the same pictures come out of a decoder.
        let (a, b) = (decoded(&joined), decoded(&whole));
        assert_eq!(a.len(), n as usize);
        assert!(a == b, "the joined video decodes to other pictures");
        // A part that does not begin at a key frame's place is refused.
        let e = Encoded::concat(vec![encode_range(0..k + 1), encode_range(k + 1..n)])
            .err()
            .unwrap();
        assert!(e.to_string().contains("key frame"), "{e}");
    }
}
