//! Narration files in a collection: a recording decoded, loudness-normalised and stored as one web MP3 beside
//! the kept original (`disan_audio`), or a draft voice synthesised from the target's texts with espeak-ng.
//! Files are named by their content and written atomically before the catalogue row changes, so a failure
//! leaves nothing half-saved and an undo finds the previous recording still there. Shared by `disan audio`
//! and the viewer's curator mode.

use std::path::Path;

use disan_catalog::Catalog;
use disan_catalog::audio::{AudioRecord, AudioTarget};

/// Why a narration could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum NarrationError {
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("{0}: not a file")]
    NotAFile(String),
    #[error(transparent)]
    Fs(#[from] disan_fs::FsError),
    #[error(transparent)]
    Audio(#[from] disan_audio::AudioError),
    #[error(transparent)]
    Catalog(#[from] disan_catalog::CatalogError),
    #[error("no title or text in {0} to read")]
    NoText(String),
}

type Result<T> = std::result::Result<T, NarrationError>;

/// The folder a target's audio goes in, relative to the collection.
pub fn folder(t: &AudioTarget) -> String {
    match t {
        AudioTarget::Asset(id) | AudioTarget::Annotation { asset: id, .. } => format!("assets/{id}/audio"),
        AudioTarget::Scene { tour, .. } | AudioTarget::Info { tour, .. } => {
            format!("{}/{tour}/audio", disan_catalog::TOURS_DIR)
        }
    }
}

/// Writes `bytes` as `<folder>/<name>` unless the same content is there already; returns the relative path.
fn put(collection: &Path, rel: String, bytes: &[u8]) -> Result<String> {
    let path = collection.join(&rel);
    if std::fs::read(&path).is_ok_and(|b| b == bytes) {
        return Ok(rel);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| NarrationError::Io(dir.display().to_string(), e))?;
    }
    disan_fs::write_atomic(&path, bytes)?;
    Ok(rel)
}

fn store(
    collection: &Path,
    t: &AudioTarget,
    lang: &str,
    p: &disan_audio::Prepared,
    original: Option<(&[u8], &str)>,
) -> Result<(String, Option<String>)> {
    let dir = folder(t);
    let stem = format!("{}-{lang}", t.file_stem());
    let hash = |b: &[u8]| blake3::hash(b).to_hex()[..12].to_string();
    let orig = match original {
        Some((bytes, ext)) => Some(put(
            collection,
            format!("{dir}/original/{stem}-{}.{ext}", hash(bytes)),
            bytes,
        )?),
        None => None,
    };
    let file = put(collection, format!("{dir}/{stem}-{}.mp3", hash(&p.mp3)), &p.mp3)?;
    Ok((file, orig))
}

/// Decodes, normalises and stores the recording `file` for `t` in `lang` (the catalogue row is the caller's).
pub fn add_recording(
    collection: &Path,
    t: &AudioTarget,
    lang: &str,
    file: &Path,
    limits: &disan_audio::Limits,
) -> Result<AudioRecord> {
    let io = |e| NarrationError::Io(file.display().to_string(), e);
    let meta = std::fs::metadata(file).map_err(io)?;
    if !meta.is_file() {
        return Err(NarrationError::NotAFile(file.display().to_string()));
    }
    if meta.len() > limits.max_bytes {
        return Err(disan_audio::AudioError::TooLarge {
            bytes: meta.len(),
            max: limits.max_bytes,
        }
        .into());
    }
    let bytes = std::fs::read(file).map_err(io)?;
    let ext = file
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .filter(|e| !e.is_empty() && e.len() <= 8 && e.bytes().all(|b| b.is_ascii_alphanumeric()));
    let p = disan_audio::prepare(&bytes, ext.as_deref(), limits)?;
    let (web, orig) = store(collection, t, lang, &p, Some((&bytes, ext.as_deref().unwrap_or("bin"))))?;
    Ok(AudioRecord {
        file: web,
        original: orig,
        seconds: round(p.seconds, 3),
        lufs: round(p.result.integrated_lufs, 2),
        peak_dbtp: round(p.result.true_peak_dbtp, 2),
        source_lufs: Some(round(p.source.integrated_lufs, 2)),
        source_codec: Some(p.source_codec.into()),
        draft: false,
        voice: None,
    })
}

/// Synthesises and stores a draft voice for `t` in `lang` from its texts, and records it (one revision); a
/// recording is kept (`None`) unless `replace`.
pub fn draft_voice(
    collection: &Path,
    cat: &mut Catalog,
    t: &AudioTarget,
    lang: &str,
    replace: bool,
    who: &str,
) -> Result<Option<AudioRecord>> {
    cat.check_audio_lang(lang)?;
    if let Some(old) = cat.audio(t, lang)?
        && !old.draft
        && !replace
    {
        return Ok(None);
    }
    let text = cat
        .narration_text(t, lang)?
        .ok_or_else(|| NarrationError::NoText(lang.to_owned()))?;
    let voice = disan_audio::espeak_voice(lang);
    let wav = disan_audio::synthesise(&text, voice)?;
    let p = disan_audio::prepare(&wav, Some("wav"), &disan_audio::Limits::default())?;
    let (web, _) = store(collection, t, lang, &p, None)?;
    let rec = AudioRecord {
        file: web,
        original: None,
        seconds: round(p.seconds, 3),
        lufs: round(p.result.integrated_lufs, 2),
        peak_dbtp: round(p.result.true_peak_dbtp, 2),
        source_lufs: None,
        source_codec: None,
        draft: true,
        voice: Some(format!("espeak-ng {voice}")),
    };
    cat.set_audio(t, lang, Some(&rec), who)?;
    Ok(Some(rec))
}

fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}
