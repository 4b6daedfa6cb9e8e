//! Draft voices: a text read aloud by espeak-ng (Debian's `espeak-ng`, with Vietnamese and Mandarin voices),
//! so that a tour has sound before a speaker records it. The result is marked as a draft by the caller.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::{AudioError, Result};

/// The espeak-ng voice for a content language: `vi` (northern Vietnamese), `en` (`en-gb`'s default English),
/// `cmn` for Chinese (Mandarin; `zh`, `zh-Hans`, `zh-CN`); any other tag is passed through as espeak-ng's.
pub fn espeak_voice(lang: &str) -> &str {
    match lang {
        "zh" | "zh-Hans" | "zh-CN" | "zh-Hant" | "cmn" => "cmn",
        "vi" | "vi-VN" => "vi",
        "en" | "en-GB" => "en",
        other => other,
    }
}

/// Reads `text` aloud with espeak-ng in `voice` and returns the WAV it wrote (22.05 kHz mono).
pub fn synthesise(text: &str, voice: &str) -> Result<Vec<u8>> {
    if text.trim().is_empty() {
        return Err(AudioError::Speech("no text to read".into()));
    }
    // espeak-ng falls back to its default voice, silently, for a name it does not know: ask it first.
    if !voice_exists(voice)? {
        return Err(AudioError::Speech(format!(
            "espeak-ng has no voice {voice:?} (`espeak-ng --voices` lists them)"
        )));
    }
    let dir = tempfile::tempdir().map_err(|e| AudioError::Speech(e.to_string()))?;
    let wav = dir.path().join("speech.wav");
    let mut child = Command::new("espeak-ng")
        .arg("-v")
        .arg(voice)
        .arg("-b")
        .arg("1") // the text is UTF-8
        .arg("-s")
        .arg("150")
        .arg("-w")
        .arg(&wav)
        .arg("--stdin")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(not_started)?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(text.as_bytes())
            .map_err(|e| AudioError::Speech(format!("espeak-ng: {e}")))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| AudioError::Speech(format!("espeak-ng: {e}")))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    // espeak-ng exits 0 even for an unknown voice; it says so on stderr and writes nothing.
    if !out.status.success() || stderr.contains("not found") || stderr.contains("Failed") {
        return Err(AudioError::Speech(format!(
            "espeak-ng voice {voice}: {}",
            stderr.trim().lines().next().unwrap_or("failed")
        )));
    }
    let bytes = std::fs::read(&wav).map_err(|e| AudioError::Speech(format!("espeak-ng wrote nothing: {e}")))?;
    if bytes.len() <= 44 {
        return Err(AudioError::Speech(format!("espeak-ng voice {voice} wrote no sound")));
    }
    Ok(bytes)
}

/// Whether espeak-ng knows `voice` as a language, a voice file or another name of a language.
fn voice_exists(voice: &str) -> Result<bool> {
    let out = Command::new("espeak-ng")
        .arg("--voices")
        .stderr(Stdio::null())
        .output()
        .map_err(not_started)?;
    let v = voice.to_ascii_lowercase();
    Ok(String::from_utf8_lossy(&out.stdout).lines().skip(1).any(|line| {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let lang = cols.get(1).is_some_and(|l| l.eq_ignore_ascii_case(&v));
        let file = cols
            .get(4)
            .and_then(|f| f.rsplit('/').next())
            .is_some_and(|f| f.eq_ignore_ascii_case(&v));
        let other = line.contains(&format!("({v} "));
        lang || file || other
    }))
}

/// espeak-ng could not be started: not installed, or another reason.
fn not_started(e: std::io::Error) -> AudioError {
    AudioError::Speech(if e.kind() == std::io::ErrorKind::NotFound {
        "espeak-ng is not installed (Debian: apt install espeak-ng)".into()
    } else {
        format!("espeak-ng: {e}")
    })
}
