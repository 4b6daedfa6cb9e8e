//! Every accepted container and codec, made from real speech (espeak-ng) and a tone (sox) by ffmpeg, decoded
//! here and measured; broken, cut-off, silent and over-long files are refused with their reason.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{AudioError, Limits, TARGET_LUFS, decode, measure, prepare, synthesise};

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Vietnamese speech (espeak-ng) at a deliberately low level, stereo 44.1 kHz, as WAV.
fn speech(dir: &Path) -> PathBuf {
    let raw = dir.join("speech-raw.wav");
    std::fs::write(
        &raw,
        synthesise(
            "Vịnh Hạ Long là di sản thiên nhiên thế giới. Chào mừng quý khách.",
            "vi",
        )
        .unwrap(),
    )
    .unwrap();
    let wav = dir.join("speech.wav");
    run(Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(&raw)
        .args(["-af", "volume=-14dB", "-ac", "2", "-ar", "44100"])
        .arg(&wav));
    wav
}

fn convert(src: &Path, dst: &Path, codec: &[&str]) {
    run(Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(src)
        .args(codec)
        .arg(dst));
}

#[test]
fn every_accepted_format_decodes_to_the_same_speech_and_normalises_to_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let wav = speech(dir.path());
    let reference = decode(&std::fs::read(&wav).unwrap(), Some("wav"), &Limits::default()).unwrap();
    assert_eq!(
        (reference.codec, reference.channels, reference.rate),
        ("PCM", 2, 44_100)
    );
    let seconds = reference.pcm.seconds();
    assert!(seconds > 2.0, "{seconds}");
    let level = measure(&reference.pcm).unwrap();
    assert!(level.integrated_lufs < -25.0, "{level:?}");

    let cases: [(&str, &[&str], &str); 6] = [
        ("speech.mp3", &["-c:a", "libmp3lame", "-b:a", "128k"], "MP3"),
        ("speech.m4a", &["-c:a", "aac", "-b:a", "128k"], "AAC"),
        ("speech.ogg", &["-c:a", "libvorbis", "-q:a", "4"], "Vorbis"),
        ("speech.opus", &["-c:a", "libopus", "-b:a", "64k"], "Opus"),
        ("speech.flac", &["-c:a", "flac"], "FLAC"),
        ("speech-24.wav", &["-c:a", "pcm_s24le", "-ar", "48000"], "PCM"),
    ];
    for (name, args, codec) in cases {
        let path = dir.path().join(name);
        convert(&wav, &path, args);
        let bytes = std::fs::read(&path).unwrap();
        let ext = name.rsplit('.').next();
        let d = decode(&bytes, ext, &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(d.codec, codec, "{name}");
        assert_eq!(d.channels, 2, "{name}");
        // Same length within a codec frame or two of priming, same loudness within a fraction of a LU.
        assert!(
            (d.pcm.seconds() - seconds).abs() < 0.08,
            "{name}: {} vs {seconds}",
            d.pcm.seconds()
        );
        let l = measure(&d.pcm).unwrap();
        assert!(
            (l.integrated_lufs - level.integrated_lufs).abs() < 0.5,
            "{name}: {l:?} vs {level:?}"
        );
        // The extension is only a hint: a right file under a wrong name still decodes.
        let d2 = decode(&bytes, Some("bin"), &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(d2.pcm.samples.len(), d.pcm.samples.len(), "{name}");

        let p = prepare(&bytes, ext, &Limits::default()).unwrap();
        assert!(
            (p.result.integrated_lufs - TARGET_LUFS).abs() < 0.5,
            "{name}: {:?}",
            p.result
        );
        assert!(p.result.true_peak_dbtp <= -0.7, "{name}: {:?}", p.result);
        assert!(p.gain_db > 9.0, "{name}: {}", p.gain_db);
        // What was encoded reads back (through our own decoder) at the target and the same length.
        let back = decode(&p.mp3, Some("mp3"), &Limits::default()).unwrap();
        assert_eq!((back.codec, back.channels), ("MP3", 1));
        assert!(
            (back.pcm.seconds() - seconds).abs() < 0.08,
            "{name}: {}",
            back.pcm.seconds()
        );
        let lb = measure(&back.pcm).unwrap();
        assert!((lb.integrated_lufs - TARGET_LUFS).abs() < 0.6, "{name}: {lb:?}");
    }
}

#[test]
fn broken_cut_silent_and_long_files_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let wav = speech(dir.path());
    let mp3 = dir.path().join("speech.mp3");
    convert(&wav, &mp3, &["-c:a", "libmp3lame", "-b:a", "128k"]);
    let bytes = std::fs::read(&mp3).unwrap();
    let limits = Limits::default();

    // Cut off at 60 %: the Xing header says how long it should be.
    let cut = &bytes[..bytes.len() * 6 / 10];
    match decode(cut, Some("mp3"), &limits) {
        Err(AudioError::Truncated { declared, decoded }) => assert!(decoded < declared * 0.7),
        other => panic!("cut MP3: {other:?}"),
    }
    // A FLAC cut off: STREAMINFO declares the length.
    let flac = dir.path().join("speech.flac");
    convert(&wav, &flac, &["-c:a", "flac"]);
    let fb = std::fs::read(&flac).unwrap();
    assert!(matches!(
        decode(&fb[..fb.len() / 2], Some("flac"), &limits),
        Err(AudioError::Truncated { .. } | AudioError::Broken(_))
    ));
    // Text named .mp3.
    let text = "Đây không phải là âm thanh.\n".repeat(40);
    let e = decode(text.as_bytes(), Some("mp3"), &limits).unwrap_err();
    assert!(
        matches!(e, AudioError::Unrecognised(_) | AudioError::Broken(_)),
        "{e:?}"
    );
    assert!(!e.to_string().is_empty());
    // Silence (sox).
    let silence = dir.path().join("silence.wav");
    run(Command::new("sox")
        .args(["-n", "-r", "44100", "-c", "1"])
        .arg(&silence)
        .args(["trim", "0", "3"]));
    let e = prepare(&std::fs::read(&silence).unwrap(), Some("wav"), &limits).unwrap_err();
    assert!(matches!(e, AudioError::Silent), "{e:?}");
    // Longer than the limit: refused from the header, before decoding.
    let short = Limits {
        max_seconds: 1.0,
        ..limits
    };
    let e = decode(&bytes, Some("mp3"), &short).unwrap_err();
    assert!(matches!(e, AudioError::TooLong { .. }), "{e:?}");
    assert!(e.to_string().starts_with("too long"), "{e}");
    let tiny = Limits {
        max_bytes: 1000,
        ..limits
    };
    assert!(matches!(decode(&bytes, None, &tiny), Err(AudioError::TooLarge { .. })));
}

#[test]
fn a_loud_tone_is_turned_down_and_peaks_stay_under_the_ceiling() {
    let dir = tempfile::tempdir().unwrap();
    let tone = dir.path().join("tone.flac");
    run(Command::new("sox")
        .args(["-n", "-r", "48000", "-c", "1", "-b", "16"])
        .arg(&tone)
        .args(["synth", "2", "sine", "440", "vol", "0.99"]));
    let p = prepare(&std::fs::read(&tone).unwrap(), Some("flac"), &Limits::default()).unwrap();
    assert_eq!(p.source_codec, "FLAC");
    assert!(p.gain_db < -10.0, "{}", p.gain_db);
    assert!((p.result.integrated_lufs - TARGET_LUFS).abs() < 0.2, "{:?}", p.result);
    assert!((p.seconds - 2.0).abs() < 0.01);
}

#[test]
fn espeak_refuses_an_unknown_voice_and_an_empty_text() {
    assert!(matches!(
        synthesise("xin chào", "no-such-voice"),
        Err(AudioError::Speech(_))
    ));
    assert!(matches!(synthesise("  ", "vi"), Err(AudioError::Speech(_))));
    for voice in ["vi", "en", "cmn"] {
        let wav = synthesise("Hạ Long 下龙湾 Ha Long Bay", voice).unwrap();
        let d = decode(&wav, Some("wav"), &Limits::default()).unwrap();
        assert!(d.pcm.seconds() > 1.0, "{voice}");
    }
}
