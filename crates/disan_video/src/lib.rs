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
//! - captions as SubRip (`.srt`) and WebVTT (`.vtt`).
//!
//! The whole file is built in memory (a 20 s 1080p clip is a few megabytes) and handed back as bytes, for
//! the caller to write atomically.

mod captions;
mod mp4;
mod overlay;
mod yuv;

use image::RgbImage;
use openh264::OpenH264API;
use openh264::encoder::{
    Complexity, Encoder, EncoderConfig, FrameRate, IntraFramePeriod, Profile, QpRange, RateControlMode, UsageType,
    VuiConfig,
};

pub use captions::{Cue, srt, vtt};
pub use mp4::{Spherical, add_spherical};
pub use overlay::{Overlay, cross_fade};

/// Frames per second of every video Disan makes.
pub const FPS: u32 = 30;

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

/// The quantiser range: constant quality, not a bit rate. Platforms re-encode what is uploaded, so the upload
/// should be clean; 20–26 keeps fine stone and foliage without the size of a near-lossless file (a 20 s
/// 1080p pan of a real panorama is about 15–30 MB).
const QP: (u8, u8) = (20, 26);

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
        let config = EncoderConfig::new()
            .max_frame_rate(FrameRate::from_hz(FPS as f32))
            // Constant quality: no rate control, so no frame is ever skipped (constant frame rate).
            .rate_control_mode(RateControlMode::Off)
            .qp(QpRange::new(QP.0, QP.1))
            .skip_frames(false)
            .usage_type(UsageType::CameraVideoRealTime)
            .profile(Profile::High)
            .complexity(Complexity::Medium)
            .intra_frame_period(IntraFramePeriod::from_num_frames(2 * FPS))
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

    /// The finished MP4: fast start, and the spherical boxes for a 360° video.
    pub fn finish(self) -> Result<Vec<u8>> {
        if self.samples.is_empty() {
            return Err(VideoError::Empty);
        }
        let mut out = Vec::new();
        {
            let mut muxer = muxide::api::MuxerBuilder::new(&mut out)
                .video(
                    muxide::api::VideoCodec::H264,
                    self.spec.width,
                    self.spec.height,
                    f64::from(FPS),
                )
                .with_fast_start(true)
                .build()
                .map_err(|e| VideoError::Mux(e.to_string()))?;
            for (i, (bytes, key)) in self.samples.iter().enumerate() {
                muxer
                    .write_video(i as f64 / f64::from(FPS), bytes, *key)
                    .map_err(|e| VideoError::Mux(e.to_string()))?;
            }
            muxer.finish().map_err(|e| VideoError::Mux(e.to_string()))?;
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
