//! The GLB container: header, chunk lengths and types, the JSON and BIN chunks.

#[allow(clippy::wildcard_imports)]
use super::*;

pub(super) const CHUNK_JSON: u32 = 0x4E4F_534A;
pub(super) const CHUNK_BIN: u32 = 0x004E_4942;

/// Reads the GLB container: the JSON chunk and the BIN chunk, reporting what lies. Follows the Khronos
/// validator's reader (`lib/src/glb_reader.dart`) step by step, so that codes and byte offsets agree:
/// chunks follow each other with no padding of their own, a chunk that runs past the end of the file or a
/// cut chunk header stops the reading (nothing is validated further), bytes after the declared length are
/// a warning.
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
    let declared = u32_at(8).unwrap_or(0) as usize;
    if declared <= 12 {
        report.push(glb_issue(
            "GLB_LENGTH_TOO_SMALL",
            8,
            format!("Declared GLB length ({declared}) is too small."),
        ));
    }
    let mut json = None;
    let mut bin = None;
    let mut offset = 12usize;
    let mut index = 0;
    while offset < bytes.len() {
        if offset == declared {
            report.push(Issue {
                severity: Severity::Warning,
                ..glb_issue(
                    "GLB_EXTRA_DATA",
                    offset as u64,
                    "Extra data after the end of GLB stream.".into(),
                )
            });
            return finish(json, bin, report);
        }
        let (Some(len), Some(kind)) = (u32_at(offset), u32_at(offset + 4)) else {
            report.push(glb_issue(
                "GLB_UNEXPECTED_END_OF_CHUNK_HEADER",
                bytes.len() as u64,
                "Unexpected end of chunk header.".into(),
            ));
            return None;
        };
        let header_at = offset as u64;
        let len = len as usize;
        offset += 8;
        if !len.is_multiple_of(4) {
            report.push(glb_issue(
                "GLB_CHUNK_LENGTH_UNALIGNED",
                header_at,
                format!("Length of 0x{kind:08x} chunk is not aligned to 4-byte boundaries."),
            ));
        }
        if offset + len > declared {
            report.push(glb_issue(
                "GLB_CHUNK_TOO_BIG",
                header_at,
                format!("Chunk (0x{kind:08x}) length ({len}) does not fit total GLB length."),
            ));
        }
        if index == 0 && kind != CHUNK_JSON {
            report.push(glb_issue(
                "GLB_UNEXPECTED_FIRST_CHUNK",
                header_at,
                format!("First chunk must be of JSON type. Found 0x{kind:08x} instead."),
            ));
        }
        if kind == CHUNK_BIN && index > 1 && bin.is_none() {
            report.push(glb_issue(
                "GLB_UNEXPECTED_BIN_CHUNK",
                header_at,
                format!("BIN chunk must be the second chunk. Found 0x{kind:08x} instead."),
            ));
        }
        let end = offset + len;
        let data = bytes.get(offset..end);
        let duplicate = |report: &mut Report| {
            report.push(glb_issue(
                "GLB_DUPLICATE_CHUNK",
                header_at,
                format!("Chunk of type 0x{kind:08x} has already been used."),
            ));
        };
        match kind {
            CHUNK_JSON => {
                if len == 0 {
                    report.push(glb_issue(
                        "GLB_EMPTY_CHUNK",
                        header_at,
                        format!("Chunk (0x{kind:08x}) cannot have zero length."),
                    ));
                }
                if json.is_some() {
                    duplicate(report);
                } else {
                    json = Some(data);
                }
            }
            CHUNK_BIN => {
                if len == 0 {
                    report.push(Issue {
                        severity: Severity::Info,
                        ..glb_issue(
                            "GLB_EMPTY_BIN_CHUNK",
                            header_at,
                            "Empty BIN chunk should be omitted.".into(),
                        )
                    });
                }
                if bin.is_some() {
                    duplicate(report);
                } else {
                    bin = Some(data);
                }
            }
            _ => report.push(Issue {
                severity: Severity::Warning,
                ..glb_issue(
                    "GLB_UNKNOWN_CHUNK_TYPE",
                    header_at,
                    format!("Unknown GLB chunk type: 0x{kind:08x}."),
                )
            }),
        }
        index += 1;
        if end > bytes.len() {
            if len > 0 {
                report.push(glb_issue(
                    "GLB_UNEXPECTED_END_OF_CHUNK_DATA",
                    bytes.len() as u64,
                    "Unexpected end of chunk data.".into(),
                ));
            }
            return None;
        }
        offset = end;
    }
    if declared != offset {
        report.push(glb_issue(
            "GLB_LENGTH_MISMATCH",
            offset as u64,
            format!("Declared length ({declared}) does not match GLB length ({offset})."),
        ));
    }
    finish(json, bin, report)
}

fn finish<'a>(
    json: Option<Option<&'a [u8]>>,
    bin: Option<Option<&'a [u8]>>,
    report: &mut Report,
) -> Option<(&'a [u8], Option<&'a [u8]>)> {
    let (json, bin) = (json.flatten(), bin.flatten());
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
