//! The web encoding: mono constant-bit-rate MP3 by LAME 3.100 (built from source by `mp3lame-sys`).
//!
//! MP3 is the one format every browser Disan targets plays (Chromium, Firefox, Safari on iOS and macOS, and
//! the in-app browsers of Facebook and Zalo); constant bit rate keeps `audio.duration` exact before the whole
//! file has loaded, and the LAME/Xing header carries the encoder delay for gapless playback.

use mp3lame_encoder::{Bitrate, Builder, FlushNoGap, Mode, MonoPcm, Quality};

use crate::{AudioError, Pcm, Result};

/// Sample rates an MP3 can carry; anything else is resampled by LAME to the nearest one it chooses.
const MP3_RATES: [u32; 9] = [8_000, 11_025, 12_000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000];

/// Encodes `pcm` (mono, −1…1). 96 kbit/s at 32 kHz and above, 64 kbit/s below (speech synthesisers write
/// 22.05 kHz): transparent for speech, about 0.7 MB a minute.
pub fn encode_mp3(pcm: &Pcm) -> Result<Vec<u8>> {
    let err = |e: &dyn std::fmt::Display| AudioError::Encode(e.to_string());
    let in_rate = pcm.rate;
    let out_rate = if MP3_RATES.contains(&in_rate) {
        in_rate
    } else if in_rate > 48_000 {
        48_000
    } else {
        44_100
    };
    let bitrate = if out_rate >= 32_000 {
        Bitrate::Kbps96
    } else {
        Bitrate::Kbps64
    };
    let mut b = Builder::new().ok_or_else(|| AudioError::Encode("LAME did not start".into()))?;
    b.set_num_channels(1).map_err(|e| err(&e))?;
    b.set_sample_rate(in_rate).map_err(|e| err(&e))?;
    b.set_output_sample_rate(std::num::NonZeroU32::new(out_rate))
        .map_err(|e| err(&e))?;
    b.set_mode(Mode::Mono).map_err(|e| err(&e))?;
    b.set_brate(bitrate).map_err(|e| err(&e))?;
    b.set_quality(Quality::NearBest).map_err(|e| err(&e))?;
    b.set_to_write_vbr_tag(true).map_err(|e| err(&e))?;
    let mut enc = b.build().map_err(|e| err(&e))?;
    let samples: Vec<i16> = pcm
        .samples
        .iter()
        .map(|&s| (s.clamp(-1.0, 1.0) * 32767.0).round() as i16)
        .collect();
    let mut out = Vec::with_capacity(pcm.samples.len() / 4 + 8192);
    for chunk in samples.chunks(1 << 16) {
        out.reserve(mp3lame_encoder::max_required_buffer_size(chunk.len()));
        enc.encode_to_vec(MonoPcm(chunk), &mut out).map_err(|e| err(&e))?;
    }
    out.reserve(7200);
    enc.flush_to_vec::<FlushNoGap>(&mut out).map_err(|e| err(&e))?;
    // The LAME tag (duration, encoder delay and padding) goes into the first frame, which LAME left blank.
    let mut tag = Vec::with_capacity(enc.lame_tag_size().max(1));
    if let Some(n) = enc.lame_tag_encode_to_vec(&mut tag) {
        let n = n.get();
        let skip = enc.id3v2_tag_size();
        if out.len() >= skip + n {
            out[skip..skip + n].copy_from_slice(&tag[..n]);
        }
    }
    Ok(out)
}
