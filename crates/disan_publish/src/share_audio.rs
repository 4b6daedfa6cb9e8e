//! The sound of `disan share`'s videos: the narration a curator added (a recording or a draft voice, `disan
//! audio`) laid on the video's timeline and encoded as its AAC sound track. A video without a narration in
//! its language has no sound track, which every platform accepts.

use disan_catalog::Catalog;
use disan_catalog::audio::AudioTarget;
use disan_video::{AUDIO_RATE, AudioTrack, PRIMING};

use crate::{PublishError, Result};

/// An asset's narration starts this long into its video: under the title card, once it has appeared.
pub(crate) const NARRATION_START: f64 = 1.0;
/// Quiet after the narration before the video ends (the credit shows over it).
pub(crate) const NARRATION_TAIL: f64 = 1.5;
/// A tour scene's narration starts this long into the scene.
pub(crate) const SCENE_NARRATION_START: f64 = 0.5;
/// A narration cut by the video's end fades out over this long.
const FADE_OUT: f64 = 1.0;

/// A narration, mono at the sound track's rate.
pub(crate) struct Narration {
    pub samples: Vec<f32>,
}

impl Narration {
    pub fn seconds(&self) -> f64 {
        self.samples.len() as f64 / f64::from(AUDIO_RATE)
    }
}

/// The narration of `target` in `lang`, decoded and brought to 48 kHz; none when there is none.
pub(crate) fn narration(catalog: &Catalog, target: &AudioTarget, lang: &str) -> Result<Option<Narration>> {
    let Some(record) = catalog.audio(target, lang)? else {
        return Ok(None);
    };
    let path = catalog.collection_dir().join(&record.file);
    let bad = |reason: String| PublishError::BadFile {
        path: path.clone(),
        reason: format!("the {lang} narration of {}: {reason}", target.label()),
    };
    let bytes = std::fs::read(&path).map_err(|e| bad(e.to_string()))?;
    let decoded =
        disan_audio::decode(&bytes, Some("mp3"), &disan_audio::Limits::default()).map_err(|e| bad(e.to_string()))?;
    let pcm = disan_audio::resample(&decoded.pcm, AUDIO_RATE);
    Ok(Some(Narration { samples: pcm.samples }))
}

/// Seconds a video of `seconds` asked for lasts with `narration` in it: long enough for the narration from
/// [`NARRATION_START`] and [`NARRATION_TAIL`] after it, up to `max`; whole frames.
pub(crate) fn video_seconds(seconds: f64, narration: Option<&Narration>, max: f64) -> f64 {
    seconds_to_tell(seconds, NARRATION_START, narration, max)
}

/// Seconds a video (or a tour scene) of `seconds` lasts to tell `narration` from `start` with
/// [`NARRATION_TAIL`] after it, up to `max`; whole frames.
pub(crate) fn seconds_to_tell(seconds: f64, start: f64, narration: Option<&Narration>, max: f64) -> f64 {
    let need = narration.map_or(0.0, |n| start + n.seconds() + NARRATION_TAIL);
    let s = seconds.max(need).min(max.max(seconds));
    (s * f64::from(disan_video::FPS)).ceil() / f64::from(disan_video::FPS)
}

/// The sound track of a `seconds` video with each clip starting at its time (seconds), mixed; a clip running
/// past the end fades out over its last second. The encoder's priming is taken off the front, so a clip placed
/// at `t` is heard at `t` exactly.
pub(crate) fn track(clips: &[(f64, &Narration)], seconds: f64, what: &str) -> Result<AudioTrack> {
    let rate = f64::from(AUDIO_RATE);
    let total = (seconds * rate).round() as usize;
    let mut mix = vec![0.0f32; total];
    let fade_from = ((seconds - FADE_OUT) * rate).max(0.0) as usize;
    for (at, clip) in clips {
        let start = (at * rate).round() as usize;
        for (i, s) in clip.samples.iter().enumerate() {
            let Some(m) = mix.get_mut(start + i) else { break };
            let j = start + i;
            let fade = if j >= fade_from && start + clip.samples.len() > total {
                1.0 - (j - fade_from) as f32 / (total - fade_from).max(1) as f32
            } else {
                1.0
            };
            *m += s * fade;
        }
    }
    for m in &mut mix {
        *m = m.clamp(-1.0, 1.0);
    }
    let from = PRIMING.min(mix.len().saturating_sub(1));
    disan_video::encode_aac(&mix[from..]).map_err(|e| PublishError::Encode {
        what: what.to_owned(),
        reason: e.to_string(),
    })
}

/// What to tell the curator when `narration` does not fit a video of at most `max` seconds.
pub(crate) fn cut_note(narration: Option<&Narration>, lang: &str, max: f64) -> Option<String> {
    let n = narration?;
    (NARRATION_START + n.seconds() + NARRATION_TAIL > max).then(|| {
        format!(
            "the {lang} narration ({:.0} s) is longer than a {max:.0} s video: it fades out at the end",
            n.seconds()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clip(seconds: f64) -> Narration {
        Narration {
            samples: vec![0.5; (seconds * f64::from(AUDIO_RATE)) as usize],
        }
    }

    #[test]
    fn videos_grow_to_hold_their_narration_up_to_the_limit() {
        assert_eq!(video_seconds(20.0, None, 60.0), 20.0);
        assert_eq!(video_seconds(20.0, Some(&clip(5.0)), 60.0), 20.0);
        let s = video_seconds(20.0, Some(&clip(30.0)), 60.0);
        assert!((s - 32.5).abs() < 1.0 / 30.0 + 1e-9, "{s}");
        assert_eq!((s * 30.0).fract(), 0.0, "whole frames");
        assert_eq!(video_seconds(20.0, Some(&clip(300.0)), 60.0), 60.0);
        assert!(cut_note(Some(&clip(300.0)), "vi", 60.0).unwrap().contains("300 s"));
        assert!(cut_note(Some(&clip(30.0)), "vi", 60.0).is_none());
    }

    #[test]
    fn the_track_lasts_the_video_less_nothing() {
        let track = track(&[(NARRATION_START, &clip(2.0))], 4.0, "t").unwrap();
        // 4 s less the priming, in 1024-sample frames, plus the priming frame and the flush.
        let frames = (4.0 * 48_000.0 - 1024.0) / 1024.0;
        assert!(
            (track.samples() as f64 / 1024.0 - frames).abs() <= 3.0,
            "{}",
            track.samples()
        );
    }
}
