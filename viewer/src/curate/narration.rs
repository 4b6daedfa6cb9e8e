//! Curator mode's narration tools for one target (the asset, an annotation of its story, a tour scene): per
//! language what is there (a recording or a draft voice, and its length), a recording added from a file
//! (decoded, loudness-normalised, the original kept), a draft voice synthesised from the texts, or the
//! narration removed. The same calls as `disan audio` (`disan_audio` encodes, `Catalog::store_narration`
//! stores), one revision each.

use disan_catalog::CatalogError;
use disan_catalog::audio::{AudioTarget, Encoded};
use egui::RichText;

use crate::app::ViewerApp;
use crate::curator::LANGS;
use crate::i18n::{t, tf};

enum Action {
    Add(&'static str),
    Draft(&'static str),
    Remove(&'static str),
}

impl ViewerApp {
    pub(super) fn narration_tools(&mut self, ui: &mut egui::Ui, target: AudioTarget) {
        let lang = self.lang;
        ui.separator();
        ui.label(RichText::new(t(lang, "curate.narration")).strong());
        let mut action = None;
        for l in LANGS {
            let rec = self.collection.narration(&target, l);
            ui.horizontal_wrapped(|ui| {
                let what = match rec {
                    Some(r) => {
                        let key = if r.draft {
                            "curate.narration_is_draft"
                        } else {
                            "curate.narration_is_recording"
                        };
                        tf(lang, key, &[("s", &format!("{:.1}", r.seconds))])
                    }
                    None => t(lang, "curate.narration_none").to_owned(),
                };
                ui.label(format!("{l}: {what}"));
                if ui
                    .small_button(format!("{} ({l})", t(lang, "curate.narration_add")))
                    .clicked()
                {
                    action = Some(Action::Add(l));
                }
                if ui
                    .small_button(format!("{} ({l})", t(lang, "curate.narration_draft")))
                    .clicked()
                {
                    action = Some(Action::Draft(l));
                }
                if rec.is_some()
                    && ui
                        .small_button(format!("{} ({l})", t(lang, "curate.narration_remove")))
                        .clicked()
                {
                    action = Some(Action::Remove(l));
                }
            });
        }
        let label = ui.label(t(lang, "curate.narration_file"));
        ui.add(egui::TextEdit::singleline(&mut self.curator.audio_path).desired_width(260.0))
            .labelled_by(label.id);
        match action {
            Some(Action::Add(l)) => {
                let path = std::path::PathBuf::from(self.curator.audio_path.trim());
                self.act("curate.saved", move |cat, who| {
                    cat.check_audio_lang(l)?;
                    let r = disan_audio::prepare_file(&path, &disan_audio::Limits::default())
                        .map_err(|e| CatalogError::Invalid(format!("{}: {e}", path.display())))?;
                    let p = &r.prepared;
                    let e = Encoded {
                        mp3: &p.mp3,
                        original: Some((&r.bytes, r.extension.as_deref().unwrap_or("bin"))),
                        seconds: p.seconds,
                        lufs: p.result.integrated_lufs,
                        peak_dbtp: p.result.true_peak_dbtp,
                        source_lufs: Some(p.source.integrated_lufs),
                        source_codec: Some(p.source_codec.into()),
                        voice: None,
                    };
                    cat.store_narration(&target, l, &e, who)?;
                    Ok(1)
                });
            }
            Some(Action::Draft(l)) => self.act("curate.saved", move |cat, who| {
                if !cat.draft_voices_allowed()? {
                    return Err(CatalogError::Invalid(
                        "draft voices are turned off for this collection".into(),
                    ));
                }
                let text = cat
                    .narration_text(&target, l)?
                    .ok_or_else(|| CatalogError::Invalid(format!("no title or text in {l} to read")))?;
                let (p, voice) =
                    disan_audio::draft_voice(&text, l).map_err(|e| CatalogError::Invalid(e.to_string()))?;
                let e = Encoded {
                    mp3: &p.mp3,
                    original: None,
                    seconds: p.seconds,
                    lufs: p.result.integrated_lufs,
                    peak_dbtp: p.result.true_peak_dbtp,
                    source_lufs: None,
                    source_codec: None,
                    voice: Some(voice),
                };
                cat.store_narration(&target, l, &e, who)?;
                Ok(1)
            }),
            Some(Action::Remove(l)) => self.act("curate.saved", move |cat, who| {
                cat.set_audio(&target, l, None, who)?;
                Ok(1)
            }),
            None => {}
        }
    }
}
