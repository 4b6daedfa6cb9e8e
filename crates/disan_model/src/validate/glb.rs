//! The GLB container: header, chunk lengths and types, the JSON and BIN chunks.

#[allow(clippy::wildcard_imports)]
use super::*;

pub(super) const CHUNK_JSON: u32 = 0x4E4F_534A;
pub(super) const CHUNK_BIN: u32 = 0x004E_4942;

/// Reads the GLB container: the JSON chunk and the BIN chunk, reporting what lies.
pub(super) fn read_glb<'a>(bytes: &'a [u8], report: &mut Report) -> Option<(&'a [u8], Option<&'a [u8]>)> {
    let u32_at = |o: usize| {
        bytes
            .get(o..o + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    if bytes.len() < 12 {
        report.push(glb_issue(
            "GLB_UNEXPECTED_END_OF_HEADER",
            bytes.len() as u64,
            "Unexpected end of header.".into(),
        ));
        return None;
    }
    let (magic, version) = (u32_at(0).unwrap_or(0), u32_at(4).unwrap_or(0));
    let bad_header = if magic != 0x4654_6C67 {
        Some(("GLB_INVALID_MAGIC", 0, format!("Invalid GLB magic value ({magic}).")))
    } else if version != 2 {
        Some((
            "GLB_INVALID_VERSION",
            4,
            format!("Invalid GLB version value {version}."),
        ))
    } else {
        None
    };
    if let Some((code, offset, message)) = bad_header {
        report.push(glb_issue(code, offset, message));
        return None;
    }
    let declared = u32_at(8).unwrap_or(0) as u64;
    let actual = bytes.len() as u64;
    let mut json = None;
    let mut bin = None;
    let mut offset = 12usize;
    let mut index = 0;
    while offset < bytes.len() {
        let (Some(len), Some(kind)) = (u32_at(offset), u32_at(offset + 4)) else {
            report.push(glb_issue(
                "GLB_UNEXPECTED_END_OF_CHUNK_HEADER",
                offset as u64,
                "Unexpected end of chunk header.".into(),
            ));
            break;
        };
        let start = offset + 8;
        let end = start as u64 + u64::from(len);
        if len == 0 {
            report.push(glb_issue(
                "GLB_EMPTY_CHUNK",
                offset as u64,
                format!("Chunk (0x{kind:08x}) cannot have zero length."),
            ));
        }
        if len % 4 != 0 {
            report.push(glb_issue(
                "GLB_CHUNK_LENGTH_UNALIGNED",
                offset as u64,
                format!("Length of 0x{kind:08x} chunk is not aligned to 4-byte boundaries."),
            ));
        }
        if end > declared.min(actual) {
            report.push(glb_issue(
                "GLB_CHUNK_TOO_BIG",
                offset as u64,
                format!("Chunk (0x{kind:08x}) length ({len}) does not fit total GLB length."),
            ));
            break;
        }
        let data = &bytes[start..end as usize];
        match (index, kind) {
            (0, CHUNK_JSON) => json = Some(data),
            (0, _) => {
                report.push(glb_issue(
                    "GLB_UNEXPECTED_FIRST_CHUNK",
                    offset as u64,
                    format!("First chunk must be of JSON type. Found 0x{kind:08x} instead."),
                ));
                break;
            }
            (_, CHUNK_JSON) => report.push(glb_issue(
                "GLB_DUPLICATE_CHUNK",
                offset as u64,
                "Chunk of type 0x4e4f534a has already been used.".into(),
            )),
            (_, CHUNK_BIN) if bin.is_none() => bin = Some(data),
            (_, CHUNK_BIN) => report.push(glb_issue(
                "GLB_DUPLICATE_CHUNK",
                offset as u64,
                "Chunk of type 0x004e4942 has already been used.".into(),
            )),
            (_, _) => report.push(Issue {
                severity: Severity::Warning,
                ..glb_issue(
                    "GLB_UNKNOWN_CHUNK_TYPE",
                    offset as u64,
                    format!("Unknown GLB chunk type: 0x{kind:08x}."),
                )
            }),
        }
        // Chunks are 4-byte aligned; an unaligned length was reported above.
        offset = (end as usize).next_multiple_of(4);
        index += 1;
    }
    if declared != actual {
        report.push(glb_issue(
            "GLB_LENGTH_MISMATCH",
            actual,
            format!("Declared length ({declared}) does not match GLB length ({actual})."),
        ));
    }
    match json {
        Some(j) => Some((j, bin)),
        None => {
            if !report.has_errors() {
                report.push(glb_issue("GLB_MISSING_JSON_CHUNK", 12, "JSON chunk is missing.".into()));
            }
            None
        }
    }
}
