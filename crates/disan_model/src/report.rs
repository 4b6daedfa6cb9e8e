//! The validation report, in the shape of the Khronos glTF-Validator's JSON output so that tools reading
//! one read the other: `issues.messages[]` of `{code, message, severity, pointer | offset}`.

use serde::{Deserialize, Serialize};

/// Khronos severities: 0 error, 1 warning, 2 information, 3 hint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub enum Severity {
    Error,
    Warning,
    Info,
    Hint,
}

impl From<Severity> for u8 {
    fn from(s: Severity) -> u8 {
        s as u8
    }
}

impl TryFrom<u8> for Severity {
    type Error = String;
    fn try_from(v: u8) -> Result<Self, String> {
        Ok(match v {
            0 => Self::Error,
            1 => Self::Warning,
            2 => Self::Info,
            3 => Self::Hint,
            _ => return Err(format!("severity {v}")),
        })
    }
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    pub code: String,
    pub message: String,
    pub severity: Severity,
    /// JSON pointer into the glTF JSON (`""` for the whole document).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// Byte offset, for GLB container problems.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

/// All findings with their counts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Issues {
    pub num_errors: usize,
    pub num_warnings: usize,
    pub num_infos: usize,
    pub num_hints: usize,
    pub messages: Vec<Issue>,
    pub truncated: bool,
}

/// A validation report (`report.json`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub uri: String,
    pub mime_type: String,
    pub validator_version: String,
    pub issues: Issues,
}

/// Messages kept per (code, pointer): a million bad vertices make one line each, not a million.
pub const MAX_PER_POINTER: usize = 8;
/// Messages kept in all.
pub const MAX_MESSAGES: usize = 2000;

impl Report {
    pub fn new(uri: &str, mime_type: &str) -> Self {
        Self {
            uri: uri.to_owned(),
            mime_type: mime_type.to_owned(),
            validator_version: concat!("disan ", env!("CARGO_PKG_VERSION")).to_owned(),
            issues: Issues::default(),
        }
    }

    pub fn push(&mut self, issue: Issue) {
        match issue.severity {
            Severity::Error => self.issues.num_errors += 1,
            Severity::Warning => self.issues.num_warnings += 1,
            Severity::Info => self.issues.num_infos += 1,
            Severity::Hint => self.issues.num_hints += 1,
        }
        let same = self
            .issues
            .messages
            .iter()
            .filter(|m| m.code == issue.code && m.pointer == issue.pointer && m.offset == issue.offset)
            .count();
        if same >= MAX_PER_POINTER || self.issues.messages.len() >= MAX_MESSAGES {
            self.issues.truncated = true;
            return;
        }
        self.issues.messages.push(issue);
    }

    pub fn has_errors(&self) -> bool {
        self.issues.num_errors > 0
    }

    pub fn errors(&self) -> impl Iterator<Item = &Issue> {
        self.issues.messages.iter().filter(|m| m.severity == Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Issue> {
        self.issues.messages.iter().filter(|m| m.severity == Severity::Warning)
    }

    /// One line naming the first errors, for a run report.
    pub fn error_summary(&self) -> String {
        let mut parts: Vec<String> = self.errors().take(3).map(Issue::short).collect();
        if self.issues.num_errors > 3 {
            parts.push(format!("and {} more", self.issues.num_errors - 3));
        }
        format!("{} validation error(s): {}", self.issues.num_errors, parts.join("; "))
    }
}

impl Issue {
    /// `CODE at /pointer: message`.
    pub fn short(&self) -> String {
        match (&self.pointer, self.offset) {
            (Some(p), _) if !p.is_empty() => format!("{} at {p}: {}", self.code, self.message),
            (_, Some(o)) => format!("{} at byte {o}: {}", self.code, self.message),
            _ => format!("{}: {}", self.code, self.message),
        }
    }
}
