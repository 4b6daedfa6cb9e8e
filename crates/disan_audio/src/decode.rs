//! Any accepted recording → mono samples, in pure Rust: symphonia reads the containers (MP3, MP4/M4A, Ogg,
//! FLAC, WAV) and decodes MP3, AAC-LC, Vorbis, FLAC and PCM; Opus packets from Ogg go to `opus-decoder`.

use std::io::Cursor;

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{CODEC_TYPE_NULL, CODEC_TYPE_OPUS, CodecType, DecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use crate::{AudioError, Limits, Pcm, Result};

/// A decoded recording, mixed down to mono.
#[derive(Clone, Debug)]
pub struct Decoded {
    pub pcm: Pcm,
    /// "MP3", "AAC", "Vorbis", "Opus", "FLAC" or "PCM".
    pub codec: &'static str,
    pub channels: u16,
    pub rate: u32,
}

/// More undecodable packets than this (or more than 1 % of them) and the file is refused as broken.
const MAX_BAD_PACKETS: usize = 8;

fn codec_name(c: CodecType) -> &'static str {
    use symphonia::core::codecs as k;
    #[allow(unused_qualifications)]
    match c {
        k::CODEC_TYPE_MP3 | k::CODEC_TYPE_MP2 | k::CODEC_TYPE_MP1 => "MP3",
        k::CODEC_TYPE_AAC => "AAC",
        k::CODEC_TYPE_VORBIS => "Vorbis",
        k::CODEC_TYPE_OPUS => "Opus",
        k::CODEC_TYPE_FLAC => "FLAC",
        _ => "PCM",
    }
}

/// Decodes a whole recording held in memory. `extension` (without the dot) helps to recognise the container;
/// the content decides. Refuses files over `limits`, files no decoder recognises, files with broken packets,
/// and files that end before the length their header declares (a cut-off upload).
pub fn decode(bytes: &[u8], extension: Option<&str>, limits: &Limits) -> Result<Decoded> {
    if bytes.len() as u64 > limits.max_bytes {
        return Err(AudioError::TooLarge {
            bytes: bytes.len() as u64,
            max: limits.max_bytes,
        });
    }
    let mut hint = Hint::new();
    if let Some(e) = extension {
        hint.with_extension(&e.to_ascii_lowercase());
    }
    let mss = MediaSourceStream::new(Box::new(Cursor::new(bytes.to_vec())), Default::default());
    let fmt = FormatOptions {
        enable_gapless: true,
        ..Default::default()
    };
    let probed = symphonia::default::get_probe()
        .format(&hint, mss, &fmt, &MetadataOptions::default())
        .map_err(|e| match e {
            SymError::Unsupported(_) | SymError::IoError(_) => {
                AudioError::Unrecognised("its content matches no audio format".into())
            }
            other => AudioError::Unrecognised(short(&other)),
        })?;
    let mut format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| AudioError::Unrecognised("no audio track".into()))?
        .clone();
    let params = &track.codec_params;
    let rate = params
        .sample_rate
        .filter(|r| (1_000..=384_000).contains(r))
        .ok_or_else(|| AudioError::Broken("no sample rate".into()))?;
    let mut channels = params.channels.map(|c| c.count() as u16).unwrap_or(1).max(1);
    let declared = params.n_frames.map(|n| n as f64 / f64::from(rate));
    if let Some(d) = declared
        && d > limits.max_seconds
    {
        return Err(AudioError::TooLong {
            seconds: d,
            max: limits.max_seconds,
        });
    }
    let max_samples = (limits.max_seconds * f64::from(rate)) as usize + 1;
    let codec = codec_name(params.codec);

    let mut mono: Vec<f32> = Vec::new();
    let mut push = |interleaved: &[f32], ch: usize| -> Result<()> {
        let ch = ch.max(1);
        mono.extend(interleaved.chunks_exact(ch).map(|f| f.iter().sum::<f32>() / ch as f32));
        if mono.len() > max_samples {
            return Err(AudioError::TooLong {
                seconds: mono.len() as f64 / f64::from(rate),
                max: limits.max_seconds,
            });
        }
        Ok(())
    };
    let mut packets = 0usize;
    let mut bad = 0usize;
    let mut bad_reason = String::new();

    if params.codec == CODEC_TYPE_OPUS {
        let mut dec = opus_decoder::OpusDecoder::new(48_000, usize::from(channels.min(2)))
            .map_err(|e| AudioError::Broken(format!("Opus: {e}")))?;
        if channels > 2 {
            return Err(AudioError::Unrecognised(format!(
                "Opus with {channels} channels; give mono or stereo"
            )));
        }
        let mut buf = vec![0f32; 5760 * 2];
        let mut skip = params.delay.unwrap_or(0) as usize;
        loop {
            let packet = match format.next_packet() {
                Ok(p) => p,
                Err(e) if is_end(&e) => break,
                Err(e) => return Err(AudioError::Broken(short(&e))),
            };
            if packet.track_id() != track.id {
                continue;
            }
            packets += 1;
            match dec.decode_float(&packet.data, &mut buf, false) {
                Ok(n) => {
                    let ch = usize::from(channels);
                    let mut frames = &buf[..n * ch];
                    let drop = skip.min(n);
                    skip -= drop;
                    frames = &frames[drop * ch..];
                    push(frames, ch)?;
                }
                Err(e) => {
                    bad += 1;
                    bad_reason = e.to_string();
                }
            }
        }
    } else {
        let mut dec = symphonia::default::get_codecs()
            .make(params, &DecoderOptions::default())
            .map_err(|e| AudioError::Unrecognised(short(&e)))?;
        let mut sample_buf: Option<SampleBuffer<f32>> = None;
        loop {
            let packet = match format.next_packet() {
                Ok(p) => p,
                Err(e) if is_end(&e) => break,
                Err(SymError::ResetRequired) => break,
                Err(e) => return Err(AudioError::Broken(short(&e))),
            };
            if packet.track_id() != track.id {
                continue;
            }
            packets += 1;
            match dec.decode(&packet) {
                Ok(audio) => {
                    let spec = *audio.spec();
                    let cap = audio.capacity() as u64;
                    let sb = match &mut sample_buf {
                        Some(sb) if sb.capacity() as u64 >= cap * spec.channels.count() as u64 => sb,
                        _ => sample_buf.insert(SampleBuffer::new(cap, spec)),
                    };
                    sb.copy_interleaved_ref(audio);
                    // Containers may leave the channel count to the codec (MP4's AAC does).
                    channels = spec.channels.count() as u16;
                    push(sb.samples(), spec.channels.count())?;
                }
                Err(SymError::DecodeError(e)) => {
                    bad += 1;
                    bad_reason = e.to_string();
                }
                Err(e) if is_end(&e) => break,
                Err(e) => return Err(AudioError::Broken(short(&e))),
            }
        }
    }
    if packets == 0 || mono.is_empty() {
        return Err(AudioError::Broken("no sound could be decoded".into()));
    }
    if bad > MAX_BAD_PACKETS || bad * 100 > packets {
        return Err(AudioError::Broken(format!(
            "{bad} of {packets} packets could not be decoded ({bad_reason})"
        )));
    }
    let decoded = mono.len() as f64 / f64::from(rate);
    if let Some(d) = declared
        && decoded < d * 0.98 - 0.05
    {
        return Err(AudioError::Truncated { declared: d, decoded });
    }
    Ok(Decoded {
        pcm: Pcm { rate, samples: mono },
        codec,
        channels,
        rate,
    })
}

fn is_end(e: &SymError) -> bool {
    matches!(e, SymError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof)
}

/// symphonia's messages, without its own prefixes repeated.
fn short(e: &SymError) -> String {
    match e {
        SymError::Unsupported(s) => format!("unsupported: {s}"),
        SymError::IoError(io) => io.to_string(),
        other => other.to_string(),
    }
}
