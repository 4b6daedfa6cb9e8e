use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// Text in several languages: a BCP 47 language tag (`vi`, `en`, `zh-Hans`, …) → text.
///
/// Every value is stored in Unicode NFC so Vietnamese text round-trips exactly whatever the
/// keyboard or file produced it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LangText(BTreeMap<String, String>);

impl LangText {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the text for `lang`, normalised to NFC; an empty text removes the language.
    pub fn set(&mut self, lang: &str, text: &str) {
        let text = nfc(text);
        if text.is_empty() {
            self.0.remove(lang);
        } else {
            self.0.insert(lang.to_owned(), text);
        }
    }

    pub fn get(&self, lang: &str) -> Option<&str> {
        self.0.get(lang).map(String::as_str)
    }

    /// The text in `lang`, else in the first of `fallbacks` that has one, with the language used.
    pub fn get_or_fallback<'a>(&'a self, lang: &str, fallbacks: &[&str]) -> Option<(&'a str, &'a str)> {
        std::iter::once(lang)
            .chain(fallbacks.iter().copied())
            .find_map(|l| self.0.get_key_value(l))
            .or_else(|| self.0.iter().next())
            .map(|(l, t)| (l.as_str(), t.as_str()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(l, t)| (l.as_str(), t.as_str()))
    }
}

/// `text` in Unicode Normalization Form C.
pub fn nfc(text: &str) -> String {
    text.nfc().collect()
}

/// The folded form used for search: lower case, decomposed with combining marks removed, and
/// `đ`/`Đ` mapped to `d`, so "ha long" matches "Hạ Long" and "dien bien phu" matches "Điện Biên Phủ".
pub fn fold_for_search(text: &str) -> String {
    // Character by character: the marks that NFD would reorder are dropped anyway, and ASCII (most of
    // any text) needs no decomposition table lookup. Search indexing folds every text it stores.
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            decompose_canonical(c, |d| {
                if !is_combining_mark(d) {
                    out.extend(d.to_lowercase().map(|l| if l == 'đ' { 'd' } else { l }));
                }
            });
        }
    }
    out
}

/// Text made safe for HTML element content and attribute values (`&`, `<`, `>`, `"`, `'`): the one escape every
/// page Disan writes uses (run pages, tour exports, the website).
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_nfc() {
        // "Hạ Long" typed as base letters + combining dot below (NFD).
        let decomposed = "Ha\u{323} Long";
        let mut t = LangText::new();
        t.set("vi", decomposed);
        assert_eq!(t.get("vi"), Some("H\u{1EA1} Long"));
        assert_eq!(t.get("vi").unwrap().chars().count(), 7);
    }

    #[test]
    fn folds_vietnamese() {
        assert_eq!(fold_for_search("Vịnh Hạ Long"), "vinh ha long");
        assert_eq!(fold_for_search("ĐIỆN BIÊN PHỦ"), "dien bien phu");
        assert_eq!(fold_for_search("Yên Tử"), "yen tu");
        // Chinese is untouched apart from case folding (there is none).
        assert_eq!(fold_for_search("下龙湾"), "下龙湾");
        // The same as decomposing the whole text, dropping marks and lower-casing, for any text.
        for t in [
            "Vịnh Hạ Long",
            "Ha\u{323} Long",
            "ĐỒI A1",
            "Ǆemal Ωμέγα",
            "한국어",
            "Straße ǅ",
        ] {
            let whole: String = t
                .nfd()
                .filter(|c| !is_combining_mark(*c))
                .flat_map(char::to_lowercase)
                .map(|c| if c == 'đ' { 'd' } else { c })
                .collect();
            assert_eq!(fold_for_search(t), whole, "{t}");
        }
    }

    #[test]
    fn fallback_language() {
        let mut t = LangText::new();
        t.set("en", "Ha Long Bay");
        assert_eq!(t.get_or_fallback("vi", &["en"]), Some(("en", "Ha Long Bay")));
        t.set("en", "");
        assert!(t.is_empty());
        assert_eq!(t.get_or_fallback("vi", &["en"]), None);
    }

    #[test]
    fn html_escape_leaves_no_markup() {
        assert_eq!(
            html_escape("<script>alert('Hạ Long & \"Yên Tử\"')</script>"),
            "&lt;script&gt;alert(&#39;Hạ Long &amp; &quot;Yên Tử&quot;&#39;)&lt;/script&gt;"
        );
    }
}
