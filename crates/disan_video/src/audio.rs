//! The sound track of a video: AAC-LC (what YouTube, Facebook, TikTok, Instagram and Zalo all ask for),
//! encoded by `rusty_aac` (pure Rust) and handed to the muxer as ADTS frames.

use rusty_aac::{AacEncoder, AacEncoderConfig, AdtsHeader, write_adts_header};

use crate::{Result, VideoError};

/// The sample rate of every sound track: 48 kHz, YouTube's recommendation, which the others accept.
pub const AUDIO_RATE: u32 = 48_000;

/// Samples an AAC decoder outputs before the first input sample (the encoder's priming frame). Disan writes
/// no edit list, so a player starts the sound this much late: a caller that needs sample accuracy drops this
/// many samples of leading silence from what it encodes.
pub const PRIMING: usize = 1024;

/// Stereo at 128 kbit/s: Facebook's and YouTube's recommendation for stereo AAC-LC. The narration is mono,
/// sent on both channels, which joint stereo codes almost for free.
const BITRATE: u32 = 128_000;
const CHANNELS: u16 = 2;

/// An encoded AAC-LC sound track: one ADTS frame per 1024 samples.
#[derive(Clone, Debug)]
pub struct AudioTrack {
    pub(crate) frames: Vec<Vec<u8>>,
}

impl AudioTrack {
    /// Samples the track lasts, priming included.
    pub fn samples(&self) -> usize {
        self.frames.len() * 1024
    }

    pub fn seconds(&self) -> f64 {
        self.samples() as f64 / f64::from(AUDIO_RATE)
    }
}

/// Encodes mono samples (−1…1) at [`AUDIO_RATE`] into a stereo AAC-LC track.
pub fn encode_aac(mono: &[f32]) -> Result<AudioTrack> {
    if mono.is_empty() {
        return Err(VideoError::Audio("no sound to encode".into()));
    }
    if let Some(i) = mono.iter().position(|s| !s.is_finite()) {
        return Err(VideoError::Audio(format!("sample {i} is not a number")));
    }
    let mut encoder = AacEncoder::new(AacEncoderConfig {
        bitrate_bps: BITRATE,
        ..AacEncoderConfig::default()
    });
    let err = |e: rusty_aac::Error| VideoError::Audio(e.to_string());
    encoder.push_pcm_planar(&[mono, mono], AUDIO_RATE).map_err(err)?;
    encoder.finish();
    let mut frames = Vec::new();
    loop {
        match encoder.next_packet() {
            Ok(p) => {
                let mut frame = write_adts_header(&AdtsHeader {
                    object_type: 2, // AAC-LC
                    sample_rate: AUDIO_RATE,
                    channels: CHANNELS,
                    frame_length: 7 + p.data.len(),
                    header_len: 7,
                });
                frame.extend_from_slice(&p.data);
                frames.push(frame);
            }
            Err(rusty_aac::Error::Eof) => break,
            Err(e) => return Err(err(e)),
        }
    }
    if frames.is_empty() {
        return Err(VideoError::Audio("the AAC encoder gave no frames".into()));
    }
    Ok(AudioTrack { frames })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_of_sound_is_47_frames_with_priming_and_flush() {
        let tone: Vec<f32> = (0..48_000)
            .map(|i| (0.3 * (2.0 * std::f64::consts::PI * 440.0 * f64::from(i) / 48_000.0).sin()) as f32)
            .collect();
        let track = encode_aac(&tone).unwrap();
        // 48 000 samples fill 46.9 frames; the encoder adds the priming frame and flushes the overlap.
        assert!((47..=49).contains(&track.frames.len()), "{}", track.frames.len());
        for f in &track.frames {
            assert_eq!(&f[..2], &[0xff, 0xf1], "ADTS sync word, MPEG-4, no CRC");
            let len = ((usize::from(f[3]) & 3) << 11) | (usize::from(f[4]) << 3) | (usize::from(f[5]) >> 5);
            assert_eq!(len, f.len(), "the header's frame length");
        }
        assert!(encode_aac(&[]).is_err());
        assert!(encode_aac(&[0.0, f32::NAN]).is_err());
    }
}
