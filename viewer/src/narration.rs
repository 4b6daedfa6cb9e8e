//! The narrated tour player of the viewer and the kiosk: the tour scene by scene, turning to each
//! information point, with its narration in the chosen language and its text as the caption, then the link
//! to the next scene. The same steps as the website's player (`disan_publish`'s `tour::guide`).
//!
//! Time drives the steps (each lasts its narration's length, or the time its caption takes to read), so the
//! player behaves the same with or without a sound card; the sound, when there is an output device, is
//! played through cpal from the narration's MP3 decoded by `disan_audio`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use disan_catalog::audio::AudioTarget;

use crate::collection::Collection;
use crate::i18n::Lang;

/// One step of the narrated tour.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// The scene's item index in the collection.
    pub scene: usize,
    pub yaw: f64,
    pub pitch: f64,
    pub hfov: f64,
    pub title: String,
    pub text: String,
    /// The narration's MP3, its length in seconds, and whether it is a synthesised draft.
    pub audio: Option<(PathBuf, f64, bool)>,
    /// A turn to the link to this next scene (an item index), which then loads.
    pub go: Option<usize>,
    /// A relic's annotation: the model's camera flies to this view (yaw/pitch/hfov unused).
    pub model: Option<disan_catalog::StoryView>,
}

impl Step {
    /// How long the step lasts: its narration and a breath, the time to read its caption, or the turn.
    pub fn seconds(&self) -> f64 {
        if self.go.is_some() {
            return 2.0;
        }
        match &self.audio {
            Some((_, s, _)) => s + 0.8,
            None => (0.07 * (self.title.chars().count() + self.text.chars().count()) as f64).max(4.0),
        }
    }
}

/// The steps of `tour` (by id) in `lang`: each scene from its start view with the scene's narration (caption:
/// its title and the panorama's description), each information point (its title and text), then a turn to
/// the link to the next scene.
pub fn steps(collection: &Collection, tour: &str, lang: Lang) -> Vec<Step> {
    let Some(t) = collection.tours.iter().find(|t| t.id == tour) else {
        return Vec::new();
    };
    let order = lang.fallbacks();
    let pick = |x: &disan_core::LangText| text_in(x, &order);
    let title_of = |index: usize| {
        let item = &collection.items[index];
        crate::collection::pick(&item.meta.title, &order).map_or_else(|| item.file_name.clone(), |(_, s)| s.to_owned())
    };
    let audio = |target: AudioTarget| {
        let r = collection.narration(&target, lang.tag())?;
        Some((disan_fs::confine(&collection.root, &r.file).ok()?, r.seconds, r.draft))
    };
    let mut out = Vec::new();
    for (n, s) in t.scenes.iter().enumerate() {
        let Some(index) = collection.index_of(&s.asset) else {
            continue;
        };
        let item = &collection.items[index];
        let title = crate::collection::pick(&s.title, &order)
            .map(|(_, s)| s.to_owned())
            .unwrap_or_else(|| title_of(index));
        out.push(Step {
            scene: index,
            yaw: s.view.yaw,
            pitch: s.view.pitch,
            hfov: s.view.hfov,
            title,
            text: pick(&item.meta.description),
            audio: audio(AudioTarget::Scene {
                tour: t.id.clone(),
                scene: s.asset.clone(),
            }),
            go: None,
            model: None,
        });
        for i in &s.infos {
            out.push(Step {
                scene: index,
                yaw: i.yaw,
                pitch: i.pitch,
                hfov: s.view.hfov,
                title: pick(&i.title),
                text: pick(&i.text),
                audio: audio(AudioTarget::Info {
                    tour: t.id.clone(),
                    scene: s.asset.clone(),
                    info: i.id.clone(),
                }),
                go: None,
                model: None,
            });
        }
        if let Some(next) = t.scenes.get(n + 1)
            && let Some(next_index) = collection.index_of(&next.asset)
        {
            let link = s.links.iter().find(|l| l.target == next.asset);
            out.push(Step {
                scene: index,
                yaw: link.map_or(s.view.yaw, |l| l.yaw),
                pitch: link.map_or(s.view.pitch, |l| l.pitch),
                hfov: s.view.hfov,
                title: title_of(next_index),
                text: String::new(),
                audio: None,
                go: Some(next_index),
                model: None,
            });
        }
    }
    out
}

/// An asset's own narration in `lang` as a one-step player (caption: its title and description).
pub fn asset_step(collection: &Collection, index: usize, lang: Lang) -> Option<Step> {
    let item = collection.items.get(index)?;
    let r = collection.narration(&AudioTarget::Asset(item.id.clone()), lang.tag())?;
    let order = lang.fallbacks();
    let pick = |x: &disan_core::LangText| text_in(x, &order);
    Some(Step {
        scene: index,
        yaw: 0.0,
        pitch: 0.0,
        hfov: 100.0,
        title: crate::collection::pick(&item.meta.title, &order)
            .map_or_else(|| item.file_name.clone(), |(_, s)| s.to_owned()),
        text: pick(&item.meta.description),
        audio: Some((disan_fs::confine(&collection.root, &r.file).ok()?, r.seconds, r.draft)),
        go: None,
        model: None,
    })
}

/// A relic's story in `lang`: one step per annotation, in order (caption: its title and text), each flying
/// the model to the annotation's view and playing its narration.
pub fn story_steps(collection: &Collection, index: usize, lang: Lang) -> Vec<Step> {
    let Some(item) = collection.items.get(index) else {
        return Vec::new();
    };
    let Some(story) = collection.story(&item.id) else {
        return Vec::new();
    };
    let order = lang.fallbacks();
    let pick = |x: &disan_core::LangText| text_in(x, &order);
    story
        .annotations
        .iter()
        .map(|a| {
            let target = AudioTarget::Annotation {
                asset: item.id.clone(),
                annotation: a.id.clone(),
            };
            let audio = collection
                .narration(&target, lang.tag())
                .and_then(|r| Some((disan_fs::confine(&collection.root, &r.file).ok()?, r.seconds, r.draft)));
            Step {
                scene: index,
                yaw: a.view.yaw,
                pitch: a.view.pitch,
                hfov: a.view.fov,
                title: pick(&a.title),
                text: pick(&a.text),
                audio,
                go: None,
                model: Some(a.view),
            }
        })
        .collect()
}

/// `x` in the first language of `order` that has it, else nothing.
fn text_in(x: &disan_core::LangText, order: &[&str]) -> String {
    crate::collection::pick(x, order)
        .map(|(_, s)| s.to_owned())
        .unwrap_or_default()
}

/// The player's state.
pub struct Guide {
    /// The tour played; none for an asset's own narration.
    pub tour: Option<String>,
    /// Started by the kiosk's attract loop: any input ends it, and the loop goes on when it finishes.
    pub attract: bool,
    pub steps: Vec<Step>,
    /// The step shown.
    pub index: usize,
    pub playing: bool,
    /// Seconds of the step played so far.
    pub elapsed: f64,
    pub volume: f32,
    last: Option<f64>,
    /// The output device: opened when the first narration plays (a tour without narration never touches the
    /// sound system); `Some(None)` once it turned out there is none.
    sound: Option<Option<Sound>>,
    /// The step whose sound is loaded.
    loaded: Option<usize>,
}

impl Guide {
    /// A player of `steps` at the first step, playing; `sound: false` never opens the sound card.
    pub fn new(tour: Option<&str>, steps: Vec<Step>, sound: bool) -> Self {
        Self {
            tour: tour.map(str::to_owned),
            attract: false,
            steps,
            index: 0,
            playing: true,
            elapsed: 0.0,
            volume: 1.0,
            last: None,
            sound: if sound { None } else { Some(None) },
            loaded: None,
        }
    }

    pub fn step(&self) -> Option<&Step> {
        self.steps.get(self.index)
    }

    /// Whether a sound card plays the narration (else the player runs silent, captions only).
    pub fn has_sound(&self) -> bool {
        !matches!(self.sound, Some(None))
    }

    /// Moves to step `k` (clamped), from its start.
    pub fn go_to(&mut self, k: usize) {
        self.index = k.min(self.steps.len().saturating_sub(1));
        self.elapsed = 0.0;
        self.loaded = None;
    }

    /// The last step has played to its end.
    pub fn finished(&self) -> bool {
        !self.playing && self.index + 1 >= self.steps.len() && self.elapsed >= self.step().map_or(0.0, Step::seconds)
    }

    /// Play or pause.
    pub fn toggle(&mut self) {
        self.playing = !self.playing;
        if self.playing && self.index + 1 >= self.steps.len() && self.elapsed >= self.step().map_or(0.0, Step::seconds)
        {
            self.go_to(0);
        }
    }

    /// Advances time to `now` (seconds of app time). Returns true when the step changed, so the caller turns
    /// the view or loads the scene.
    pub fn tick(&mut self, now: f64) -> bool {
        let dt = self.last.map_or(0.0, |l| (now - l).clamp(0.0, 0.5));
        self.last = Some(now);
        let mut changed = false;
        if self.playing {
            self.elapsed += dt;
            let len = self.step().map_or(0.0, Step::seconds);
            if self.elapsed >= len {
                if self.index + 1 < self.steps.len() {
                    self.go_to(self.index + 1);
                    changed = true;
                } else {
                    self.playing = false;
                }
            }
        }
        self.sync_sound();
        changed
    }

    /// Keeps the sound in step with the player: the step's narration loaded, playing or paused, at the volume.
    fn sync_sound(&mut self) {
        if self.sound.is_none() && self.step().is_some_and(|s| s.audio.is_some()) {
            self.sound = Some(Sound::open());
        }
        let Some(Some(sound)) = &self.sound else { return };
        if self.loaded != Some(self.index) {
            self.loaded = Some(self.index);
            let samples = self
                .step()
                .and_then(|s| s.audio.as_ref())
                .and_then(|(path, _, _)| std::fs::read(path).ok())
                .and_then(|bytes| disan_audio::decode(&bytes, Some("mp3"), &disan_audio::Limits::default()).ok())
                .map(|d| resample(&d.pcm.samples, d.pcm.rate, sound.rate));
            sound.load(samples.unwrap_or_default());
        }
        sound.set(self.playing, self.volume);
    }
}

impl Drop for Guide {
    fn drop(&mut self) {
        if let Some(Some(s)) = &self.sound {
            s.load(Vec::new());
        }
    }
}

/// Linear resampling (speech, one channel): enough for narration through a sound card.
fn resample(samples: &[f32], from: u32, to: u32) -> Vec<f32> {
    if from == to || samples.is_empty() {
        return samples.to_vec();
    }
    let n = (samples.len() as f64 * f64::from(to) / f64::from(from)) as usize;
    let step = f64::from(from) / f64::from(to);
    (0..n)
        .map(|i| {
            let x = i as f64 * step;
            let j = x as usize;
            let f = (x - j as f64) as f32;
            let a = samples[j.min(samples.len() - 1)];
            let b = samples[(j + 1).min(samples.len() - 1)];
            a + (b - a) * f
        })
        .collect()
}

/// What the audio callback reads.
#[derive(Default)]
struct Shared {
    samples: Vec<f32>,
    pos: usize,
    playing: bool,
    volume: f32,
}

/// The default output device, playing one mono buffer on every channel.
struct Sound {
    _stream: cpal::Stream,
    shared: Arc<Mutex<Shared>>,
    rate: u32,
}

impl Sound {
    /// The default output device, or none (no sound card, no audio server: the player runs silent).
    fn open() -> Option<Self> {
        use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
        let device = cpal::default_host().default_output_device()?;
        let config = device.default_output_config().ok()?;
        let channels = usize::from(config.channels().max(1));
        let rate = config.sample_rate().0;
        let shared = Arc::new(Mutex::new(Shared::default()));
        let s = shared.clone();
        let fill = move |out: &mut [f32]| {
            let Ok(mut sh) = s.lock() else { return };
            for frame in out.chunks_mut(channels) {
                let v = if sh.playing && sh.pos < sh.samples.len() {
                    sh.pos += 1;
                    sh.samples[sh.pos - 1] * sh.volume
                } else {
                    0.0
                };
                frame.fill(v);
            }
        };
        let stream = match config.sample_format() {
            cpal::SampleFormat::F32 => device
                .build_output_stream(&config.config(), move |out: &mut [f32], _| fill(out), |_| {}, None)
                .ok()?,
            cpal::SampleFormat::I16 => {
                let mut buf = Vec::new();
                device
                    .build_output_stream(
                        &config.config(),
                        move |out: &mut [i16], _| {
                            buf.resize(out.len(), 0.0);
                            fill(&mut buf);
                            for (o, v) in out.iter_mut().zip(&buf) {
                                *o = (v.clamp(-1.0, 1.0) * 32767.0) as i16;
                            }
                        },
                        |_| {},
                        None,
                    )
                    .ok()?
            }
            _ => return None,
        };
        stream.play().ok()?;
        Some(Self {
            _stream: stream,
            shared,
            rate,
        })
    }

    fn load(&self, samples: Vec<f32>) {
        if let Ok(mut s) = self.shared.lock() {
            s.samples = samples;
            s.pos = 0;
        }
    }

    fn set(&self, playing: bool, volume: f32) {
        if let Ok(mut s) = self.shared.lock() {
            s.playing = playing;
            s.volume = volume;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resampling_keeps_the_length_in_time() {
        let s: Vec<f32> = (0..22_050).map(|i| (i as f32 / 100.0).sin()).collect();
        let r = resample(&s, 22_050, 48_000);
        assert_eq!(r.len(), 48_000);
        assert!((r[48_000 / 2] - s[22_050 / 2]).abs() < 0.02);
    }
}
