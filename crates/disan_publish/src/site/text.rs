//! The website's interface texts (`i18n/site.json`, vi, en and zh-Hans) and text made safe for HTML, JSON in
//! HTML and XML.

use disan_core::REQUIRED_LANGS;

use super::Strings;
use crate::{PublishError, Result};

const SITE_JSON: &str = include_str!("../../i18n/site.json");

/// The interface texts of `lang` (vi, en or zh-Hans), with `site.name` added.
pub(crate) fn strings(lang: &str) -> Strings {
    let all: serde_json::Value = serde_json::from_str(SITE_JSON).expect("i18n/site.json is valid JSON");
    let mut s: Strings = serde_json::from_value(all[lang].clone()).unwrap_or_default();
    s.entry("site.name".into()).or_insert_with(|| "Disan".into());
    s
}

/// The page languages asked for, checked: vi, en and zh-Hans (the ones the interface is translated into).
pub(crate) fn languages(asked: &[String]) -> Result<Vec<String>> {
    if asked.is_empty() {
        return Ok(REQUIRED_LANGS.iter().map(|l| l.to_string()).collect());
    }
    let mut out: Vec<String> = Vec::new();
    for l in asked {
        let canonical = REQUIRED_LANGS
            .iter()
            .find(|r| r.eq_ignore_ascii_case(l.trim()))
            .ok_or_else(|| PublishError::BadLanguage(l.clone()))?;
        if !out.iter().any(|o| o == canonical) {
            out.push(canonical.to_string());
        }
    }
    Ok(out)
}

/// Text made safe for HTML content and attribute values.
pub(crate) use disan_core::html_escape as esc;

/// JSON for a `<script type="application/…json">` block: `<`, `>` and `&` escaped, so no text in it can
/// close the element (a title containing `</script>` stays text).
pub(crate) fn json_in_html(v: &serde_json::Value) -> String {
    serde_json::to_string(v)
        .expect("JSON values serialise")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// `{n}` in a template replaced.
pub(crate) fn fill(template: &str, key: &str, value: &str) -> String {
    template.replace(&format!("{{{key}}}"), value)
}

/// The first sentence (or the first 155 characters) of a text, for meta descriptions.
pub(crate) fn summary(s: &str, max_chars: usize) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() <= max_chars {
        return s;
    }
    let cut: String = s.chars().take(max_chars - 1).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > max_chars / 2 => cut[..i].to_owned(),
        _ => cut,
    };
    format!("{cut}…")
}

/// A URL component percent-encoded (for share links).
pub(crate) fn url_component(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}
