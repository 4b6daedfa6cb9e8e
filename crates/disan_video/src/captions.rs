//! Captions: SubRip (`.srt`) for Facebook and YouTube uploads, WebVTT (`.vtt`) for the web.

/// One caption: shown from `start` to `end` (seconds).
#[derive(Clone, Debug, PartialEq)]
pub struct Cue {
    pub start: f64,
    pub end: f64,
    pub text: String,
}

fn stamp(t: f64, sep: char) -> String {
    let ms = (t.max(0.0) * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02}{sep}{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// A cue's text with no blank line (which would end the cue) and no arrow (which would start a timing).
fn clean(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
        .replace("-->", "→")
}

pub fn srt(cues: &[Cue]) -> String {
    let mut out = String::new();
    for (i, c) in cues.iter().enumerate() {
        out.push_str(&format!(
            "{}\n{} --> {}\n{}\n\n",
            i + 1,
            stamp(c.start, ','),
            stamp(c.end, ','),
            clean(&c.text)
        ));
    }
    out
}

pub fn vtt(cues: &[Cue]) -> String {
    let mut out = String::from("WEBVTT\n\n");
    for c in cues {
        let text = clean(&c.text)
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        out.push_str(&format!(
            "{} --> {}\n{text}\n\n",
            stamp(c.start, '.'),
            stamp(c.end, '.')
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_formats_time_and_escape_cues() {
        let cues = [
            Cue {
                start: 0.0,
                end: 4.5,
                text: "Vịnh Hạ Long".into(),
            },
            Cue {
                start: 4.5,
                end: 3725.25,
                text: "Ảnh: A <b> & B\n\nsecond --> line".into(),
            },
        ];
        assert_eq!(
            srt(&cues),
            "1\n00:00:00,000 --> 00:00:04,500\nVịnh Hạ Long\n\n2\n00:00:04,500 --> 01:02:05,250\nẢnh: A <b> & B\nsecond → line\n\n"
        );
        assert_eq!(
            vtt(&cues),
            "WEBVTT\n\n00:00:00.000 --> 00:00:04.500\nVịnh Hạ Long\n\n00:00:04.500 --> 01:02:05.250\nẢnh: A &lt;b&gt; &amp; B\nsecond → line\n\n"
        );
    }
}
