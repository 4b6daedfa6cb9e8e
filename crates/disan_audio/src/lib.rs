//! Narration audio for Disan: a curator's recording (or a synthesised draft) in, one loudness-normalised
//! web-safe MP3 out.
//!
//! [`prepare`] decodes any accepted file to mono samples ([`decode`]), measures its loudness as EBU R128 does
//! ([`measure`]), applies one gain so that the integrated loudness meets [`TARGET_LUFS`] without the true
//! peak passing [`PEAK_CEILING_DBTP`], and encodes constant-bit-rate MP3 with LAME ([`encode_mp3`]): the one
//! encoding Chromium, Safari and Firefox all play. [`synthesise`] reads a text aloud with espeak-ng for a
//! draft voice. Nothing here knows about the catalogue or the file system rules of a collection.

mod decode;
mod mp3;
mod resample;
mod speech;

pub use decode::{Decoded, decode};
pub use mp3::encode_mp3;
pub use resample::resample;
pub use speech::{espeak_voice, synthesise};

/// The loudness every narration is brought to: −16 LUFS integrated, the usual target for spoken word on the
/// web and on phones (EBU R128's −23 LUFS is for broadcast, too quiet beside other web audio).
pub const TARGET_LUFS: f64 = -16.0;

/// The highest true peak a normalised narration may have, in dB true peak (EBU R128 s1: −1 dBTP).
pub const PEAK_CEILING_DBTP: f64 = -1.0;

/// What a narration may be: longer or larger files are refused before any work is done.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Longest recording, in seconds.
    pub max_seconds: f64,
    /// Largest file, in bytes.
    pub max_bytes: u64,
}

impl Default for Limits {
    /// Ten minutes, 200 MiB: a scene's or a relic's story is told in a few minutes; a longer file is almost
    /// always the wrong file (a whole interview, a video's sound track).
    fn default() -> Self {
        Self {
            max_seconds: 600.0,
            max_bytes: 200 << 20,
        }
    }
}

/// Mono samples in −1…1 at `rate` Hz.
#[derive(Clone, Debug, PartialEq)]
pub struct Pcm {
    pub rate: u32,
    pub samples: Vec<f32>,
}

impl Pcm {
    pub fn seconds(&self) -> f64 {
        self.samples.len() as f64 / f64::from(self.rate.max(1))
    }
}

/// Why a recording was refused or could not be made. Every message names the reason in words a curator can
/// act on; the caller adds the file name.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error("not a recording Disan reads ({0}); give MP3, AAC/M4A, Ogg Vorbis or Opus, FLAC or WAV")]
    Unrecognised(String),
    #[error("broken recording: {0}")]
    Broken(String),
    #[error("truncated: the file says {declared:.1} s but only {decoded:.1} s of sound could be read")]
    Truncated { declared: f64, decoded: f64 },
    #[error("too long: {seconds:.0} s, the limit is {max:.0} s")]
    TooLong { seconds: f64, max: f64 },
    #[error("too large: {bytes} bytes, the limit is {max} bytes")]
    TooLarge { bytes: u64, max: u64 },
    #[error("no sound: the recording is silent")]
    Silent,
    #[error("cannot encode MP3: {0}")]
    Encode(String),
    #[error("cannot synthesise speech: {0}")]
    Speech(String),
    #[error("cannot read: {0}")]
    Unreadable(String),
}

pub type Result<T> = std::result::Result<T, AudioError>;

/// Loudness as EBU R128 / ITU-R BS.1770-4 measures it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Loudness {
    /// Integrated (gated) loudness, LUFS.
    pub integrated_lufs: f64,
    /// Highest true (4× oversampled) peak, dBTP.
    pub true_peak_dbtp: f64,
}

/// Measures the integrated loudness and true peak of `pcm`. [`AudioError::Silent`] when nothing passes the
/// absolute gate (−70 LUFS).
pub fn measure(pcm: &Pcm) -> Result<Loudness> {
    let mode = ebur128::Mode::I | ebur128::Mode::TRUE_PEAK;
    let mut meter = ebur128::EbuR128::new(1, pcm.rate, mode).map_err(|e| AudioError::Broken(e.to_string()))?;
    meter
        .add_frames_f32(&pcm.samples)
        .map_err(|e| AudioError::Broken(e.to_string()))?;
    let integrated = meter.loudness_global().map_err(|e| AudioError::Broken(e.to_string()))?;
    if !integrated.is_finite() || integrated < -70.0 {
        return Err(AudioError::Silent);
    }
    let peak = meter.true_peak(0).map_err(|e| AudioError::Broken(e.to_string()))?;
    Ok(Loudness {
        integrated_lufs: integrated,
        true_peak_dbtp: 20.0 * peak.max(1e-9).log10(),
    })
}

/// What [`prepare`] made.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The web encoding: mono constant-bit-rate MP3 with a LAME/Xing header.
    pub mp3: Vec<u8>,
    pub seconds: f64,
    /// The codec the original was in, as people name it ("MP3", "AAC", "Opus", …).
    pub source_codec: &'static str,
    pub source_channels: u16,
    pub source_rate: u32,
    /// Loudness of the original (mixed to mono).
    pub source: Loudness,
    /// Gain applied, dB.
    pub gain_db: f64,
    /// Loudness of the MP3 as decoded again: what a listener hears.
    pub result: Loudness,
}

/// Brings every sample under `ceiling` (linear) with a gain that never jumps: the gain needed at each sample
/// is spread over ±5 ms (a running minimum over the window, then a moving average over it, which can only
/// be lower than what each sample needs), so peaks are turned down smoothly instead of clipped.
pub fn limit_peaks(pcm: &mut Pcm, ceiling: f32) {
    let n = pcm.samples.len();
    if n == 0 || pcm.samples.iter().all(|s| s.abs() <= ceiling) {
        return;
    }
    let half = (pcm.rate as usize / 200).max(1);
    let need: Vec<f32> = pcm
        .samples
        .iter()
        .map(|s| if s.abs() > ceiling { ceiling / s.abs() } else { 1.0 })
        .collect();
    // Running minimum over [i − half, i + half] with a monotone deque.
    let mut mins = vec![1.0f32; n];
    let mut q: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
    let mut next = 0;
    for (i, m) in mins.iter_mut().enumerate() {
        while next < n && next <= i + half {
            while q.back().is_some_and(|&b| need[b] >= need[next]) {
                q.pop_back();
            }
            q.push_back(next);
            next += 1;
        }
        while q.front().is_some_and(|&f| f + half < i) {
            q.pop_front();
        }
        *m = q.front().map_or(1.0, |&f| need[f]);
    }
    // Moving average over the same window (samples past the ends count as 1: no gain reduction there).
    let mut prefix = Vec::with_capacity(n + 1);
    prefix.push(0f64);
    for &m in &mins {
        prefix.push(prefix[prefix.len() - 1] + f64::from(m));
    }
    let width = (2 * half + 1) as f64;
    for (i, s) in pcm.samples.iter_mut().enumerate() {
        let lo = i.saturating_sub(half);
        let hi = (i + half + 1).min(n);
        let outside = width - (hi - lo) as f64;
        let g = ((prefix[hi] - prefix[lo] + outside) / width) as f32;
        *s = (*s * g).clamp(-ceiling, ceiling);
    }
}

/// A recording file read and prepared: its bytes as given, its extension (lower case, when it has a plain one)
/// and the web encoding.
#[derive(Clone, Debug)]
pub struct Recording {
    pub bytes: Vec<u8>,
    pub extension: Option<String>,
    pub prepared: Prepared,
}

/// Reads the recording at `path` (refused before reading when it is larger than [`Limits::max_bytes`]) and
/// [`prepare`]s it.
pub fn prepare_file(path: &std::path::Path, limits: &Limits) -> Result<Recording> {
    let unreadable = |e: std::io::Error| AudioError::Unreadable(e.to_string());
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    if !meta.is_file() {
        return Err(AudioError::Unreadable("not a file".into()));
    }
    if meta.len() > limits.max_bytes {
        return Err(AudioError::TooLarge {
            bytes: meta.len(),
            max: limits.max_bytes,
        });
    }
    let bytes = std::fs::read(path).map_err(unreadable)?;
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .filter(|e| !e.is_empty() && e.len() <= 8 && e.bytes().all(|b| b.is_ascii_alphanumeric()));
    let prepared = prepare(&bytes, extension.as_deref(), limits)?;
    Ok(Recording {
        bytes,
        extension,
        prepared,
    })
}

/// A draft voice reading `text` in `lang` (espeak-ng), prepared like a recording; with the voice's name
/// (`espeak-ng vi`).
pub fn draft_voice(text: &str, lang: &str) -> Result<(Prepared, String)> {
    let voice = espeak_voice(lang);
    let wav = synthesise(text, voice)?;
    Ok((
        prepare(&wav, Some("wav"), &Limits::default())?,
        format!("espeak-ng {voice}"),
    ))
}

/// Decodes `bytes` (the file's extension, if any, helps to recognise it), refuses what [`Limits`] or a broken
/// or silent file rule out, normalises the loudness and encodes the MP3.
pub fn prepare(bytes: &[u8], extension: Option<&str>, limits: &Limits) -> Result<Prepared> {
    let decoded = decode(bytes, extension, limits)?;
    let source = measure(&decoded.pcm)?;
    // One gain to the target, then a peak limiter so that speech (whose peaks stand 15–20 dB above its
    // loudness) keeps the target without its true peak passing the ceiling. The limiter costs a little
    // loudness, so the gain is raised by what it took and the pair run again (twice is always enough here).
    let mut gain_db = TARGET_LUFS - source.integrated_lufs;
    let mut ceiling_db = PEAK_CEILING_DBTP - 0.5;
    let mut best: Option<(Pcm, Loudness, f64)> = None;
    for _ in 0..4 {
        let mut pcm = decoded.pcm.clone();
        let g = 10f64.powf(gain_db / 20.0) as f32;
        for s in &mut pcm.samples {
            *s *= g;
        }
        limit_peaks(&mut pcm, 10f64.powf(ceiling_db / 20.0) as f32);
        let l = measure(&pcm)?;
        let short = TARGET_LUFS - l.integrated_lufs;
        let over = l.true_peak_dbtp - PEAK_CEILING_DBTP;
        let done = short.abs() < 0.2 && over <= 0.0;
        if over <= 0.0 {
            best = Some((pcm, l, gain_db));
        }
        if done {
            break;
        }
        gain_db += short.clamp(-6.0, 6.0);
        if over > 0.0 {
            ceiling_db -= over + 0.1;
        }
    }
    let (pcm, _, gain_db) = match best {
        Some(b) => b,
        None => {
            // Never reached: a limiter at −1.5 dBFS leaves at most a few tenths of inter-sample overshoot.
            let mut pcm = decoded.pcm.clone();
            let g = 10f64.powf((gain_db - 3.0) / 20.0) as f32;
            pcm.samples.iter_mut().for_each(|s| *s = (*s * g).clamp(-0.8, 0.8));
            let l = measure(&pcm)?;
            (pcm, l, gain_db - 3.0)
        }
    };
    let mut mp3 = encode_mp3(&pcm)?;
    // What listeners hear is the MP3: its low-pass takes some of the (K-weighted, treble-heavy) loudness of
    // bright voices. Measure it decoded and, when it misses the target, encode once more with the difference.
    let mut result = measure(&decode(&mp3, Some("mp3"), &Limits::default())?.pcm)?;
    let miss = TARGET_LUFS - result.integrated_lufs;
    let mut gain_db = gain_db;
    if miss.abs() > 0.2 && result.true_peak_dbtp + miss <= PEAK_CEILING_DBTP + 0.3 {
        let g = 10f64.powf(miss / 20.0) as f32;
        let mut again = pcm.clone();
        again.samples.iter_mut().for_each(|s| *s *= g);
        limit_peaks(&mut again, 10f64.powf((PEAK_CEILING_DBTP - 0.5) / 20.0) as f32);
        let second = encode_mp3(&again)?;
        let r2 = measure(&decode(&second, Some("mp3"), &Limits::default())?.pcm)?;
        if (TARGET_LUFS - r2.integrated_lufs).abs() < miss.abs() && r2.true_peak_dbtp <= PEAK_CEILING_DBTP + 0.3 {
            mp3 = second;
            result = r2;
            gain_db += miss;
        }
    }
    Ok(Prepared {
        mp3,
        seconds: pcm.seconds(),
        source_codec: decoded.codec,
        source_channels: decoded.channels,
        source_rate: decoded.rate,
        source,
        gain_db,
        result,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, seconds: f64, amplitude: f32) -> Pcm {
        let n = (f64::from(rate) * seconds) as usize;
        Pcm {
            rate,
            samples: (0..n)
                .map(|i| amplitude * (i as f32 * 1000.0 * std::f32::consts::TAU / rate as f32).sin())
                .collect(),
        }
    }

    #[test]
    fn a_full_scale_sine_measures_as_bs1770_says() {
        // BS.1770: a 0 dBFS 1 kHz sine in one channel reads −3.01 LUFS.
        let l = measure(&tone(48_000, 5.0, 1.0)).unwrap();
        assert!((l.integrated_lufs + 3.01).abs() < 0.1, "{l:?}");
        assert!(l.true_peak_dbtp.abs() < 0.2, "{l:?}");
        let quiet = measure(&tone(48_000, 5.0, 0.1)).unwrap();
        assert!((quiet.integrated_lufs + 23.01).abs() < 0.1, "{quiet:?}");
    }

    #[test]
    fn silence_is_refused() {
        let pcm = Pcm {
            rate: 44_100,
            samples: vec![0.0; 44_100 * 3],
        };
        assert!(matches!(measure(&pcm), Err(AudioError::Silent)));
    }
}

#[cfg(test)]
mod formats_tests;
