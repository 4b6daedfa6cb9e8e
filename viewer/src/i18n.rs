//! Interface text in Vietnamese, English and Chinese, from the translation files in `viewer/i18n/`.

use std::collections::HashMap;
use std::sync::OnceLock;

/// An interface language. Content falls back through the others when a translation is missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    Vi,
    En,
    ZhHans,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Vi, Lang::En, Lang::ZhHans];

    /// The BCP 47 tag, as the catalogue stores content.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
            Lang::ZhHans => "zh-Hans",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.tag().eq_ignore_ascii_case(tag))
    }

    /// Content languages to try, this one first.
    pub fn fallbacks(self) -> [&'static str; 3] {
        match self {
            Lang::Vi => ["vi", "en", "zh-Hans"],
            Lang::En => ["en", "vi", "zh-Hans"],
            Lang::ZhHans => ["zh-Hans", "en", "vi"],
        }
    }
}

const FILES: [(Lang, &str); 3] = [
    (Lang::Vi, include_str!("../i18n/vi.json")),
    (Lang::En, include_str!("../i18n/en.json")),
    (Lang::ZhHans, include_str!("../i18n/zh-Hans.json")),
];

fn tables() -> &'static HashMap<Lang, HashMap<String, String>> {
    static TABLES: OnceLock<HashMap<Lang, HashMap<String, String>>> = OnceLock::new();
    TABLES.get_or_init(|| {
        FILES
            .iter()
            .map(|(lang, text)| {
                // The files are compiled in and checked by a test; a broken one shows keys, not a crash.
                (*lang, serde_json::from_str(text).unwrap_or_default())
            })
            .collect()
    })
}

/// The interface text for `key` in `lang`, else in English, else the key itself.
pub fn t(lang: Lang, key: &str) -> &str {
    let t = tables();
    t.get(&lang)
        .and_then(|m| m.get(key))
        .or_else(|| t.get(&Lang::En).and_then(|m| m.get(key)))
        .map_or(key, String::as_str)
}

/// [`t`] with `{name}` placeholders filled.
pub fn tf(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let mut s = t(lang, key).to_owned();
    for (name, value) in args {
        s = s.replace(&format!("{{{name}}}"), value);
    }
    s
}

/// Every key of every translation file, for the completeness test.
pub fn keys(lang: Lang) -> Vec<&'static str> {
    let mut k: Vec<&str> = tables()[&lang].keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_parses_and_has_every_key() {
        for (lang, text) in FILES {
            let parsed: HashMap<String, String> = serde_json::from_str(text).expect("valid JSON");
            assert!(!parsed.is_empty(), "{lang:?}");
        }
        let en = keys(Lang::En);
        for lang in Lang::ALL {
            assert_eq!(keys(lang), en, "{lang:?} has the same keys as English");
        }
        assert_eq!(t(Lang::Vi, "view.map"), "Bản đồ");
        assert_eq!(t(Lang::ZhHans, "view.map"), "地图");
        assert_eq!(t(Lang::Vi, "no.such.key"), "no.such.key");
        assert_eq!(tf(Lang::En, "results.count", &[("n", "3")]), "3 items");
    }

    #[test]
    fn vietnamese_text_is_nfc() {
        for lang in Lang::ALL {
            for k in keys(lang) {
                let v = t(lang, k);
                assert_eq!(disan_core::nfc(v), v, "{lang:?} {k}");
            }
        }
    }
}
