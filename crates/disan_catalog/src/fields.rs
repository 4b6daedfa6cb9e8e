//! The curated fields of assets and sites: names, `field.lang` keys, and the validation every value
//! passes before it is stored (CLI, CSV import and the viewer's curator mode all come through here).

use disan_core::{Metadata, nfc};

use crate::vocab;

/// What a field belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entity {
    Asset,
    Site,
    Tour,
}

impl Entity {
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Asset => "asset",
            Entity::Site => "site",
            Entity::Tour => "tour",
        }
    }
}

/// Longest text accepted in one field, in characters.
pub const MAX_TEXT_CHARS: usize = 20_000;

/// Multilingual fields of a site.
pub const SITE_MULTILINGUAL: [&str; 2] = ["name", "description"];
/// Language-neutral fields of a site.
pub const SITE_PLAIN: [&str; 6] = ["province", "rank", "type", "lat", "lon", "highlight"];

/// One assignment: `title.vi=Vịnh Hạ Long`, `rights=http://…`. An empty value clears the field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub field: String,
    pub lang: Option<String>,
    pub value: String,
}

impl Change {
    /// `field` or `field.lang`.
    pub fn key(&self) -> String {
        match &self.lang {
            Some(l) => format!("{}.{l}", self.field),
            None => self.field.clone(),
        }
    }
}

fn is_multilingual(entity: Entity, field: &str) -> Option<bool> {
    match entity {
        Entity::Asset if Metadata::MULTILINGUAL.contains(&field) => Some(true),
        Entity::Asset if Metadata::PLAIN.contains(&field) => Some(false),
        Entity::Site if SITE_MULTILINGUAL.contains(&field) => Some(true),
        Entity::Site if SITE_PLAIN.contains(&field) => Some(false),
        _ => None,
    }
}

/// Why a field name, language or value was refused. The message names the field, the value and what to write.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("{0:?} is not a language tag (e.g. vi, en, zh-Hans)")]
    LanguageTag(String),
    #[error("unknown {entity} field {field:?}; fields are {names}")]
    UnknownField {
        entity: &'static str,
        field: String,
        names: String,
    },
    #[error("{0} is multilingual: give a language, e.g. {0}.vi, {0}.en, {0}.zh-Hans")]
    NeedsLanguage(String),
    #[error("{0} has no languages: write {0}=…")]
    NoLanguages(String),
    #[error("{0:?}: expected FIELD=VALUE or FIELD.LANG=VALUE")]
    NotAssignment(String),
    /// A value the field does not take; `reason` quotes the value and says what is allowed.
    #[error("{field}: {reason}")]
    Value { field: String, reason: String },
}

fn value_error(field: &str, reason: String) -> FieldError {
    FieldError::Value {
        field: field.to_owned(),
        reason,
    }
}

/// The fields of an entity, for messages.
pub fn field_names(entity: Entity) -> String {
    let (ml, plain): (&[&str], &[&str]) = match entity {
        Entity::Asset => (&Metadata::MULTILINGUAL, &Metadata::PLAIN),
        Entity::Site => (&SITE_MULTILINGUAL, &SITE_PLAIN),
        // A tour changes as one document (`disan tour …`), not field by field.
        Entity::Tour => (&[], &["tour"]),
    };
    ml.iter()
        .map(|f| format!("{f}.LANG"))
        .chain(plain.iter().map(|f| f.to_string()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A BCP 47 language tag in canonical case (`zh-hans` → `zh-Hans`), or why it is not one.
pub fn language_tag(tag: &str) -> Result<String, FieldError> {
    let parts: Vec<&str> = tag.split('-').collect();
    let ok = parts[0].len() >= 2
        && parts[0].len() <= 3
        && parts[0].bytes().all(|b| b.is_ascii_alphabetic())
        && parts[1..]
            .iter()
            .all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    if !ok {
        return Err(FieldError::LanguageTag(tag.to_owned()));
    }
    Ok(parts
        .iter()
        .enumerate()
        .map(|(i, p)| match (i, p.len()) {
            (0, _) => p.to_ascii_lowercase(),
            (_, 4) if p.bytes().all(|b| b.is_ascii_alphabetic()) => {
                let mut s = p.to_ascii_lowercase();
                s[..1].make_ascii_uppercase();
                s
            }
            (_, 2) => p.to_ascii_uppercase(),
            _ => p.to_ascii_lowercase(),
        })
        .collect::<Vec<_>>()
        .join("-"))
}

/// Parses a `field` or `field.lang` key.
pub fn parse_key(entity: Entity, key: &str) -> Result<(String, Option<String>), FieldError> {
    let key = key.trim();
    let (field, lang) = match key.split_once('.') {
        Some((f, l)) => (f, Some(l)),
        None => (key, None),
    };
    match (is_multilingual(entity, field), lang) {
        (None, _) => Err(FieldError::UnknownField {
            entity: entity.as_str(),
            field: field.to_owned(),
            names: field_names(entity),
        }),
        (Some(true), None) => Err(FieldError::NeedsLanguage(field.to_owned())),
        (Some(false), Some(_)) => Err(FieldError::NoLanguages(field.to_owned())),
        (Some(true), Some(l)) => Ok((field.to_owned(), Some(language_tag(l)?))),
        (Some(false), None) => Ok((field.to_owned(), None)),
    }
}

/// Parses `key=value`.
pub fn parse_assignment(entity: Entity, text: &str) -> Result<Change, FieldError> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| FieldError::NotAssignment(text.to_owned()))?;
    let (field, lang) = parse_key(entity, key)?;
    let value = normalise_value(entity, &field, value)?;
    Ok(Change { field, lang, value })
}

/// Checks a value and returns it as stored: NFC, trimmed, canonical for vocabularies and URIs.
pub fn normalise_value(entity: Entity, field: &str, value: &str) -> Result<String, FieldError> {
    let value = nfc(value.trim());
    if value.is_empty() {
        return Ok(value);
    }
    if value.chars().count() > MAX_TEXT_CHARS {
        return Err(value_error(field, format!("longer than {MAX_TEXT_CHARS} characters")));
    }
    if let Some(c) = value.chars().find(|c| c.is_control() && *c != '\n' && *c != '\t') {
        return Err(value_error(
            field,
            format!("contains the control character U+{:04X}", c as u32),
        ));
    }
    match (entity, field) {
        (Entity::Asset, "rights") => vocab::canonical_rights(&value).map(str::to_owned).ok_or_else(|| {
            value_error(
                "rights",
                format!(
                    "{value:?} is not a Creative Commons or RightsStatements.org URI (e.g. \
                     http://creativecommons.org/licenses/by/4.0/); `disan vocab rights` lists them"
                ),
            )
        }),
        (Entity::Asset, "date") => check_date(&value).map(|()| value),
        (Entity::Asset, "subject") => Ok(value
            .split(';')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join("; ")),
        (Entity::Site, "province") => term(vocab::provinces(), "province", &value),
        (Entity::Site, "rank") => term(vocab::ranks(), "rank", &value),
        (Entity::Site, "type") => term(vocab::relic_types(), "type", &value),
        (Entity::Site, "lat") => coordinate(&value, 90.0, "lat"),
        (Entity::Site, "lon") => coordinate(&value, 180.0, "lon"),
        (_, "highlight") => flag(&value, "highlight"),
        (Entity::Asset, "focus") => disan_core::parse_focus(&value)
            .map(|(x, y)| format!("{x},{y}"))
            .ok_or_else(|| {
                value_error(
                    "focus",
                    format!("{value:?} is not a point x,y with both from 0 to 1 (0.5,0.5 is the centre of the photo)"),
                )
            }),
        _ => Ok(value),
    }
}

/// A yes/no field: stored as `true`, or cleared for no.
fn flag(value: &str, field: &str) -> Result<String, FieldError> {
    match value.to_lowercase().as_str() {
        "true" | "yes" | "1" | "có" | "是" => Ok("true".into()),
        "false" | "no" | "0" | "không" | "否" => Ok(String::new()),
        _ => Err(value_error(field, format!("{value:?} is not yes or no (true/false)"))),
    }
}

fn term(v: &vocab::Vocabulary, field: &str, value: &str) -> Result<String, FieldError> {
    v.lookup(value)
        .map(|t| t.id.clone())
        .ok_or_else(|| value_error(field, format!("{value:?} is not one of {}", v.ids())))
}

fn coordinate(value: &str, max: f64, field: &str) -> Result<String, FieldError> {
    match value.parse::<f64>() {
        Ok(v) if v.is_finite() && v.abs() <= max => Ok(format!("{v}")),
        _ => Err(value_error(
            field,
            format!("{value:?} is not a number from -{max} to {max}"),
        )),
    }
}

/// ISO 8601 dates as Dublin Core uses them: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, a date-time, or `start/end`.
fn check_date(value: &str) -> Result<(), FieldError> {
    let one = |s: &str| -> bool {
        let b = s.as_bytes();
        match s.len() {
            4 => b.iter().all(u8::is_ascii_digit),
            7 => {
                b[4] == b'-'
                    && s[..4].bytes().all(|c| c.is_ascii_digit())
                    && s[5..].parse::<u8>().is_ok_and(|m| (1..=12).contains(&m))
            }
            10 => s.parse::<jiff::civil::Date>().is_ok(),
            _ => s.parse::<jiff::civil::DateTime>().is_ok() || s.parse::<jiff::Timestamp>().is_ok(),
        }
    };
    let ok = match value.split_once('/') {
        Some((a, b)) => one(a) && one(b) && a <= b,
        None => one(value),
    };
    if ok {
        Ok(())
    } else {
        Err(value_error(
            "date",
            format!("{value:?} is not an ISO 8601 date (YYYY, YYYY-MM, YYYY-MM-DD, a date-time, or START/END)"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(
            parse_key(Entity::Asset, "title.zh-hans").unwrap(),
            ("title".into(), Some("zh-Hans".into()))
        );
        assert_eq!(parse_key(Entity::Asset, "creator").unwrap(), ("creator".into(), None));
        let refusal = |key: &str| parse_key(Entity::Asset, key).unwrap_err().to_string();
        assert!(refusal("title").contains("title.vi"));
        assert!(parse_key(Entity::Asset, "creator.vi").is_err());
        assert!(refusal("colour").contains("title.LANG"));
        assert!(parse_key(Entity::Asset, "title.v!").is_err());
        assert_eq!(parse_key(Entity::Site, "name.EN").unwrap().1.as_deref(), Some("en"));
    }

    #[test]
    fn values() {
        let a = parse_assignment(Entity::Asset, "title.vi=  Ha\u{323} Long ").unwrap();
        assert_eq!(a.value, "H\u{1EA1} Long");
        assert_eq!(
            parse_assignment(Entity::Asset, "rights=https://creativecommons.org/licenses/by/4.0")
                .unwrap()
                .value,
            "http://creativecommons.org/licenses/by/4.0/"
        );
        assert!(parse_assignment(Entity::Asset, "rights=CC-BY").is_err());
        assert_eq!(
            parse_assignment(Entity::Asset, "focus= 0.25 ,0.70").unwrap().value,
            "0.25,0.7"
        );
        let bad = parse_assignment(Entity::Asset, "focus=center").unwrap_err().to_string();
        assert!(bad.contains("focus") && bad.contains("0.5,0.5"), "{bad}");
        assert_eq!(parse_assignment(Entity::Asset, "focus=").unwrap().value, "");
        for ok in [
            "1954",
            "1954-05",
            "1954-05-07",
            "1954-03-13/1954-05-07",
            "2024-05-17T08:30:00",
        ] {
            assert!(check_date(ok).is_ok(), "{ok}");
        }
        for bad in ["May 1954", "1954-13", "1954-02-30", "1955/1954", "19540"] {
            assert!(check_date(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_assignment(Entity::Asset, "subject.en=bay;; karst ;")
                .unwrap()
                .value,
            "bay; karst"
        );
        assert_eq!(
            parse_assignment(Entity::Site, "rank=UNESCO World Heritage")
                .unwrap()
                .value,
            "unesco"
        );
        assert_eq!(
            parse_assignment(Entity::Site, "province=Quảng Ninh").unwrap().value,
            "quang-ninh"
        );
        assert!(parse_assignment(Entity::Site, "lat=91").is_err());
        assert!(parse_assignment(Entity::Site, "lat=NaN").is_err());
        assert!(parse_assignment(Entity::Asset, "title.vi=a\u{7}b").is_err());
        assert_eq!(parse_assignment(Entity::Asset, "creator=").unwrap().value, "");
    }
}
