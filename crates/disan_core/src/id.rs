use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An asset's identity: the first 16 hex digits of the BLAKE3 hash of its original bytes.
///
/// The same capture ingested twice is the same asset.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AssetId([u8; 8]);

/// A string that is not 16 lower-case hex digits.
#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not an asset id (16 hex digits)")]
pub struct ParseIdError(pub String);

impl AssetId {
    /// The id for content whose full BLAKE3 digest is `digest`.
    pub fn from_digest(digest: &[u8; 32]) -> Self {
        let mut id = [0u8; 8];
        id.copy_from_slice(&digest[..8]);
        Self(id)
    }
}

impl fmt::Display for AssetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for AssetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AssetId({self})")
    }
}

impl FromStr for AssetId {
    type Err = ParseIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ParseIdError(s.to_owned());
        if s.len() != 16 || !s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(bad());
        }
        let mut id = [0u8; 8];
        for (i, byte) in id.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(Self(id))
    }
}

impl TryFrom<String> for AssetId {
    type Error = ParseIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<AssetId> for String {
    fn from(id: AssetId) -> Self {
        id.to_string()
    }
}

/// What a capture is, which decides what the pipeline makes of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AssetKind {
    /// An ordinary photo.
    Photo,
    /// A 360° (or partial) equirectangular panorama.
    Panorama,
    /// A 3D model (glTF, GLB, OBJ).
    Model,
}

impl AssetKind {
    pub const ALL: [AssetKind; 3] = [AssetKind::Photo, AssetKind::Panorama, AssetKind::Model];

    pub fn as_str(self) -> &'static str {
        match self {
            AssetKind::Photo => "photo",
            AssetKind::Panorama => "panorama",
            AssetKind::Model => "model",
        }
    }
}

impl fmt::Display for AssetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not an asset kind.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown asset kind {0:?} (expected photo, panorama or model)")]
pub struct UnknownKind(pub String);

impl FromStr for AssetKind {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownKind(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_round_trips_through_text_and_json() {
        let mut digest = [0u8; 32];
        digest[..8].copy_from_slice(&[0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]);
        let id = AssetId::from_digest(&digest);
        assert_eq!(id.to_string(), "0123456789abcdef");
        assert_eq!("0123456789abcdef".parse::<AssetId>().unwrap(), id);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"0123456789abcdef\"");
        assert_eq!(serde_json::from_str::<AssetId>(&json).unwrap(), id);
    }

    #[test]
    fn id_rejects_bad_text() {
        for bad in ["", "0123", "0123456789ABCDEF", "0123456789abcdeg", "0123456789abcdef0"] {
            assert!(bad.parse::<AssetId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn kind_parses() {
        assert_eq!("panorama".parse::<AssetKind>().unwrap(), AssetKind::Panorama);
        assert!("video".parse::<AssetKind>().is_err());
    }
}
