//! `disan audio`: narration per asset, tour scene and information hotspot, per language. A recording is
//! decoded, loudness-normalised and stored as one web MP3 beside the kept original (`disan_audio`); a draft
//! voice is synthesised from the texts with espeak-ng and marked as a draft. Files are named by their content
//! and written atomically before the catalogue row changes, so a failure leaves nothing half-saved and an
//! undo finds the previous recording still there.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;
use serde::Serialize;

use disan_catalog::Catalog;
use disan_catalog::audio::{AudioRecord, AudioTarget, DRAFT_VOICES_PROPERTY};

use crate::output::print_json;

#[derive(Subcommand)]
pub enum AudioCommand {
    /// Attach a recording (MP3, AAC/M4A, Ogg Vorbis/Opus, FLAC, WAV) to an asset, an annotation of a relic
    /// (`ASSET#ANNOTATION`), a tour scene (`tour:TOUR/SCENE`) or an information hotspot
    /// (`tour:TOUR/SCENE/HOTSPOT`), in one language.
    Add {
        target: String,
        #[arg(long)]
        lang: String,
        file: PathBuf,
        /// Longest recording accepted, in seconds.
        #[arg(long, default_value_t = disan_audio::Limits::default().max_seconds)]
        max_seconds: f64,
    },
    /// Synthesise a draft voice (espeak-ng) from the target's texts, for each language given, where no
    /// recording exists. Marked as a draft everywhere it plays.
    Draft {
        #[arg(required = true)]
        targets: Vec<String>,
        /// Languages, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "vi,en,zh-Hans")]
        lang: Vec<String>,
        /// Replace recordings too, not only missing narration and older drafts.
        #[arg(long)]
        replace: bool,
    },
    /// List the narration: target, language, length, loudness, draft or recording.
    List,
    /// Remove a narration (a revision: `disan undo` brings it back).
    Remove {
        target: String,
        #[arg(long)]
        lang: String,
    },
    /// Allow (`on`, the default) or forbid (`off`) synthesised draft voices in this collection.
    Drafts { setting: String },
}

pub fn run(collection: &Path, cmd: AudioCommand, json: bool, who: &str) -> anyhow::Result<ExitCode> {
    let mut cat = Catalog::open_for_edit(collection)?;
    match cmd {
        AudioCommand::Add {
            target,
            lang,
            file,
            max_seconds,
        } => {
            let t = cat.audio_target(&target)?;
            cat.check_audio_lang(&lang)?;
            let limits = disan_audio::Limits {
                max_seconds,
                ..Default::default()
            };
            let r = disan_audio::prepare_file(&file, &limits).with_context(|| file.display().to_string())?;
            let rec = cat.store_narration(&t, &lang, &recording(&r), who)?;
            report(&t, &lang, &rec, json)?;
        }
        AudioCommand::Draft { targets, lang, replace } => {
            if !cat.draft_voices_allowed()? {
                bail!("draft voices are turned off for this collection (`disan audio drafts on` allows them)");
            }
            let mut failed = 0;
            for spec in &targets {
                let t = match cat.audio_target(spec) {
                    Ok(t) => t,
                    Err(e) => {
                        eprintln!("error: {spec}: {e}");
                        failed += 1;
                        continue;
                    }
                };
                for l in &lang {
                    match draft(&mut cat, &t, l, replace, who) {
                        Ok(Some(rec)) => report(&t, l, &rec, json)?,
                        Ok(None) => {
                            if !json {
                                println!("{} {l}: has a recording; kept (--replace to replace it)", t.label());
                            }
                        }
                        Err(e) => {
                            eprintln!("error: {} {l}: {e:#}", t.label());
                            failed += 1;
                        }
                    }
                }
            }
            if failed > 0 {
                return Ok(ExitCode::from(2));
            }
        }
        AudioCommand::List => {
            let all = cat.audio_list()?;
            if json {
                print_json(&all)?;
            } else {
                for e in &all {
                    println!(
                        "{}  {}  {:.1} s  {:.1} LUFS  {}  {}",
                        e.target.label(),
                        e.lang,
                        e.record.seconds,
                        e.record.lufs,
                        if e.record.draft { "draft voice" } else { "recording" },
                        e.record.file
                    );
                }
            }
        }
        AudioCommand::Remove { target, lang } => {
            let t = cat.audio_target(&target)?;
            if cat.audio(&t, &lang)?.is_none() {
                bail!("{} has no narration in {lang}", t.label());
            }
            cat.set_audio(&t, &lang, None, who)?;
            if !json {
                println!("{} {lang}: removed", t.label());
            }
        }
        AudioCommand::Drafts { setting } => {
            let v = match setting.as_str() {
                "on" => "on",
                "off" => "off",
                other => bail!("{other:?}: say on or off"),
            };
            cat.set_property(DRAFT_VOICES_PROPERTY, v)?;
            if !json {
                println!("draft voices: {v}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct Added<'a> {
    target: String,
    lang: &'a str,
    #[serde(flatten)]
    record: &'a AudioRecord,
}

fn report(t: &AudioTarget, lang: &str, rec: &AudioRecord, json: bool) -> anyhow::Result<()> {
    if json {
        print_json(&Added {
            target: t.label(),
            lang,
            record: rec,
        })?;
    } else {
        println!(
            "{} {lang}: {:.1} s, {:.1} LUFS (was {}), peak {:.1} dBTP{} → {}",
            t.label(),
            rec.seconds,
            rec.lufs,
            rec.source_lufs.map(|l| format!("{l:.1}")).unwrap_or_else(|| "-".into()),
            rec.peak_dbtp,
            if rec.draft { ", draft voice" } else { "" },
            rec.file
        );
    }
    Ok(())
}

/// A prepared recording as the catalogue stores it (the original kept beside the web MP3).
pub(crate) fn recording(r: &disan_audio::Recording) -> disan_catalog::audio::Encoded<'_> {
    let p = &r.prepared;
    disan_catalog::audio::Encoded {
        mp3: &p.mp3,
        original: Some((&r.bytes, r.extension.as_deref().unwrap_or("bin"))),
        seconds: p.seconds,
        lufs: p.result.integrated_lufs,
        peak_dbtp: p.result.true_peak_dbtp,
        source_lufs: Some(p.source.integrated_lufs),
        source_codec: Some(p.source_codec.into()),
        voice: None,
    }
}

/// A draft voice for `t` in `lang`, read from its texts, where no recording exists (or with `replace`).
fn draft(
    cat: &mut Catalog,
    t: &AudioTarget,
    lang: &str,
    replace: bool,
    who: &str,
) -> anyhow::Result<Option<AudioRecord>> {
    cat.check_audio_lang(lang)?;
    if let Some(old) = cat.audio(t, lang)?
        && !old.draft
        && !replace
    {
        return Ok(None);
    }
    let text = cat
        .narration_text(t, lang)?
        .with_context(|| format!("no title or text in {lang} to read"))?;
    let (p, voice) = disan_audio::draft_voice(&text, lang)?;
    let e = disan_catalog::audio::Encoded {
        mp3: &p.mp3,
        original: None,
        seconds: p.seconds,
        lufs: p.result.integrated_lufs,
        peak_dbtp: p.result.true_peak_dbtp,
        source_lufs: None,
        source_codec: None,
        voice: Some(voice),
    };
    Ok(Some(cat.store_narration(t, lang, &e, who)?))
}
