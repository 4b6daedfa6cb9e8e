use serde::{Deserialize, Serialize};

use crate::LangText;

/// The languages every published asset is expected to have: Vietnamese, English, Simplified Chinese.
pub const REQUIRED_LANGS: [&str; 3] = ["vi", "en", "zh-Hans"];

/// Curated, descriptive metadata of an asset, with Dublin Core meanings. Multilingual fields are
/// [`LangText`] (NFC); the others are language-neutral. What ingest read from the file (EXIF, XMP) is in
/// [`crate::CaptureMetadata`] and is never overwritten by this.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// `dc:title`.
    #[serde(default, skip_serializing_if = "LangText::is_empty")]
    pub title: LangText,
    /// `dc:description`.
    #[serde(default, skip_serializing_if = "LangText::is_empty")]
    pub description: LangText,
    /// `dc:subject`: tags, separated by `; `.
    #[serde(default, skip_serializing_if = "LangText::is_empty")]
    pub subject: LangText,
    /// `dc:coverage`: place or period the asset is about.
    #[serde(default, skip_serializing_if = "LangText::is_empty")]
    pub coverage: LangText,
    /// `dc:creator`: photographer, team or institution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator: Option<String>,
    /// `dc:date`: ISO 8601 (`2024`, `2024-05`, `2024-05-17`, a timestamp, or a `start/end` interval).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// `dc:rights`: a Creative Commons or RightsStatements.org URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rights: Option<String>,
    /// `highlight`: `"true"` when a curator features the asset on the website's home page (not Dublin Core).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub highlight: Option<String>,
    /// `focus`: the point of a photo a video zooms into, `x,y` as fractions of its width and height from the
    /// top left (`0.5,0.5` is the centre; not Dublin Core).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focus: Option<String>,
}

impl Metadata {
    /// The names of the multilingual fields, in display order.
    pub const MULTILINGUAL: [&str; 4] = ["title", "description", "subject", "coverage"];
    /// The names of the language-neutral fields, in display order.
    pub const PLAIN: [&str; 5] = ["creator", "date", "rights", "highlight", "focus"];

    /// A multilingual field by name.
    pub fn text(&self, field: &str) -> Option<&LangText> {
        match field {
            "title" => Some(&self.title),
            "description" => Some(&self.description),
            "subject" => Some(&self.subject),
            "coverage" => Some(&self.coverage),
            _ => None,
        }
    }

    fn text_mut(&mut self, field: &str) -> Option<&mut LangText> {
        match field {
            "title" => Some(&mut self.title),
            "description" => Some(&mut self.description),
            "subject" => Some(&mut self.subject),
            "coverage" => Some(&mut self.coverage),
            _ => None,
        }
    }

    fn plain_mut(&mut self, field: &str) -> Option<&mut Option<String>> {
        match field {
            "creator" => Some(&mut self.creator),
            "date" => Some(&mut self.date),
            "rights" => Some(&mut self.rights),
            "highlight" => Some(&mut self.highlight),
            "focus" => Some(&mut self.focus),
            _ => None,
        }
    }

    /// The value of `field` (in `lang` for multilingual fields).
    pub fn get(&self, field: &str, lang: Option<&str>) -> Option<&str> {
        match (self.text(field), lang) {
            (Some(t), Some(lang)) => t.get(lang),
            (Some(_), None) => None,
            (None, _) => match field {
                "creator" => self.creator.as_deref(),
                "date" => self.date.as_deref(),
                "rights" => self.rights.as_deref(),
                "highlight" => self.highlight.as_deref(),
                "focus" => self.focus.as_deref(),
                _ => None,
            },
        }
    }

    /// Sets `field` (in `lang` for multilingual fields); an empty value clears it. Unknown fields are ignored.
    pub fn set(&mut self, field: &str, lang: Option<&str>, value: &str) {
        if let (Some(t), Some(lang)) = (self.text_mut(field), lang) {
            t.set(lang, value);
        } else if let Some(p) = self.plain_mut(field) {
            *p = (!value.is_empty()).then(|| crate::nfc(value));
        }
    }

    /// Whether a curator features the asset (`highlight=true`).
    pub fn highlighted(&self) -> bool {
        self.highlight.as_deref() == Some("true")
    }

    /// The zoom point `focus` holds (fractions of width and height), when it is set and well formed.
    pub fn focus_point(&self) -> Option<(f64, f64)> {
        parse_focus(self.focus.as_deref()?)
    }

    /// Tags of `subject` in one language.
    pub fn tags(&self, lang: &str) -> Vec<&str> {
        self.subject
            .get(lang)
            .map(|s| s.split(';').map(str::trim).filter(|t| !t.is_empty()).collect())
            .unwrap_or_default()
    }
}

/// `x,y` with both in 0–1.
pub fn parse_focus(s: &str) -> Option<(f64, f64)> {
    let (x, y) = s.split_once(',')?;
    let (x, y): (f64, f64) = (x.trim().parse().ok()?, y.trim().parse().ok()?);
    ((0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y)).then_some((x, y))
}

#[cfg(test)]
mod tests {
    #[test]
    fn focus_points_are_fractions() {
        assert_eq!(parse_focus("0.25, 0.7"), Some((0.25, 0.7)));
        assert_eq!(parse_focus("1,0"), Some((1.0, 0.0)));
        for bad in ["", "0.5", "1.5,0.5", "a,b", "0.5;0.5", "-0.1,0.2", "NaN,0.5"] {
            assert_eq!(parse_focus(bad), None, "{bad}");
        }
    }

    use super::*;

    #[test]
    fn set_and_get() {
        let mut m = Metadata::default();
        m.set("title", Some("vi"), "Vịnh Hạ Long");
        m.set("creator", None, "Trung tâm Truyền thông");
        m.set("subject", Some("en"), "bay; karst ;  ");
        assert_eq!(m.get("title", Some("vi")), Some("Vịnh Hạ Long"));
        assert_eq!(m.get("title", None), None);
        assert_eq!(m.get("creator", None), Some("Trung tâm Truyền thông"));
        assert_eq!(m.tags("en"), ["bay", "karst"]);
        m.set("creator", None, "");
        assert_eq!(m.creator, None);
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<Metadata>(&json).unwrap(), m);
    }
}
