//! Controlled vocabularies, kept as data files in `assets/vocab/` and compiled in: heritage ranks, relic
//! types, provinces (current and before the 2025 merger) and rights statements.

use std::sync::OnceLock;

use disan_core::LangText;
use serde::Deserialize;

/// One term of a vocabulary: a stable id and its label per language.
#[derive(Clone, Debug, Deserialize)]
pub struct Term {
    pub id: String,
    pub label: LangText,
    /// Provinces: `province` or `city` (centrally run).
    #[serde(default)]
    pub kind: Option<String>,
    /// Provinces: in use today.
    #[serde(default)]
    pub current: Option<bool>,
    #[serde(default)]
    pub valid_from: Option<String>,
    #[serde(default)]
    pub valid_to: Option<String>,
    /// Former provinces: the current one they became part of.
    #[serde(default)]
    pub merged_into: Option<String>,
    #[serde(default)]
    pub formed_from: Vec<String>,
}

/// A vocabulary file.
#[derive(Clone, Debug, Deserialize)]
pub struct Vocabulary {
    pub vocabulary: String,
    pub description: String,
    pub terms: Vec<Term>,
}

impl Vocabulary {
    pub fn get(&self, id: &str) -> Option<&Term> {
        self.terms.iter().find(|t| t.id == id)
    }

    /// The ids, for error messages.
    pub fn ids(&self) -> String {
        self.terms.iter().map(|t| t.id.as_str()).collect::<Vec<_>>().join(", ")
    }

    /// Finds a term by id or by a label in any language, ignoring case and diacritics.
    pub fn lookup(&self, text: &str) -> Option<&Term> {
        let folded = disan_core::fold_for_search(text.trim());
        self.get(text.trim()).or_else(|| {
            self.terms
                .iter()
                .find(|t| t.label.iter().any(|(_, l)| disan_core::fold_for_search(l) == folded))
        })
    }
}

fn parse(name: &str, text: &str) -> Vocabulary {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("assets/vocab/{name} is compiled in and must parse: {e}"))
}

macro_rules! vocab {
    ($fn:ident, $file:literal) => {
        pub fn $fn() -> &'static Vocabulary {
            static V: OnceLock<Vocabulary> = OnceLock::new();
            V.get_or_init(|| parse($file, include_str!(concat!("../../../assets/vocab/", $file))))
        }
    };
}

vocab!(ranks, "ranks.json");
vocab!(relic_types, "relic_types.json");
vocab!(provinces, "provinces.json");
vocab!(rights, "rights.json");

/// The canonical form of a rights URI (`http`, trailing slash) if it is a known statement.
pub fn canonical_rights(uri: &str) -> Option<&'static str> {
    let uri = uri.trim();
    let rest = uri.strip_prefix("https://").or_else(|| uri.strip_prefix("http://"))?;
    let mut canonical = format!("http://{rest}");
    if !canonical.ends_with('/') {
        canonical.push('/');
    }
    rights().get(&canonical).map(|t| t.id.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabularies_load() {
        assert_eq!(ranks().terms.len(), 4);
        assert_eq!(relic_types().terms.len(), 4);
        let p = provinces();
        assert_eq!(p.terms.iter().filter(|t| t.current == Some(true)).count(), 34);
        // Every former province points at a current one that lists it.
        for t in p.terms.iter().filter(|t| t.current == Some(false)) {
            let into = p.get(t.merged_into.as_deref().unwrap()).unwrap();
            assert!(into.formed_from.contains(&t.id), "{}", t.id);
            assert!(t.valid_to.is_some());
        }
        for t in ranks().terms.iter().chain(&relic_types().terms).chain(&p.terms) {
            for lang in ["vi", "en", "zh-Hans"] {
                assert!(t.label.get(lang).is_some(), "{} lacks {lang}", t.id);
            }
        }
    }

    #[test]
    fn lookup_ignores_diacritics() {
        assert_eq!(provinces().lookup("quang ninh").unwrap().id, "quang-ninh");
        assert_eq!(provinces().lookup("Điện Biên").unwrap().id, "dien-bien");
        assert_eq!(
            provinces().lookup("Hà Giang").unwrap().merged_into.as_deref(),
            Some("tuyen-quang")
        );
        assert_eq!(ranks().lookup("Special national relic").unwrap().id, "special_national");
        assert!(relic_types().lookup("castle").is_none());
    }

    #[test]
    fn rights_are_canonical() {
        assert_eq!(
            canonical_rights("https://creativecommons.org/licenses/by-sa/4.0"),
            Some("http://creativecommons.org/licenses/by-sa/4.0/")
        );
        assert_eq!(
            canonical_rights("http://rightsstatements.org/vocab/InC/1.0/"),
            Some("http://rightsstatements.org/vocab/InC/1.0/")
        );
        assert_eq!(canonical_rights("all rights reserved"), None);
        assert_eq!(canonical_rights("https://example.com/licence"), None);
    }
}
