//! Buffers and images: URIs resolved inside the model's folder, `data:` URIs, the GLB BIN chunk, meshopt
//! compressed views, and image MIME types against their bytes.

#[allow(clippy::wildcard_imports)]
use super::*;

/// Recognises an image format from its first bytes.
pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"\xABKTX 20\xBB\r\n\x1a\n") {
        Some("image/ktx2")
    } else if bytes.starts_with(b"GIF8") {
        Some("image/gif")
    } else {
        None
    }
}

/// A parsed `data:` URI: media type and decoded bytes.
pub(crate) fn parse_data_uri(uri: &str) -> Result<(String, Vec<u8>), String> {
    let rest = &uri[5..];
    let Some(comma) = rest.find(',') else {
        return Err("Expecting ','".into());
    };
    let (head, data) = (&rest[..comma], &rest[comma + 1..]);
    let mut parts = head.split(';');
    let media = parts.next().unwrap_or("").to_owned();
    let params: Vec<&str> = parts.collect();
    let base64 = params.last() == Some(&"base64");
    for p in &params[..params.len().saturating_sub(usize::from(base64))] {
        if !p.contains('=') {
            return Err("Expecting '='".into());
        }
    }
    if !base64 {
        return Ok((media, percent_encoding::percent_decode_str(data).collect()));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.trim_end())
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(data.trim_end()))
        .map_err(|e| format!("Invalid base64 data: {e}"))?;
    Ok((media, bytes))
}

impl Ctx<'_> {
    pub(super) fn resources(&mut self, bin: Option<&[u8]>) {
        let buffers = self.array("buffers").to_vec();
        let glb = bin.is_some() || self.report.mime_type == "model/gltf-binary";
        for (i, b) in buffers.iter().enumerate() {
            let p = format!("/buffers/{i}");
            let declared = b.get("byteLength").and_then(Value::as_u64).unwrap_or(0);
            let data = match b.get("uri").and_then(Value::as_str) {
                Some(uri) => self.load_uri(uri, &format!("{p}/uri"), true),
                None if i == 0 && glb => match bin {
                    Some(bin) => Some(bin.to_vec()),
                    None => {
                        self.err(
                            "BUFFER_MISSING_GLB_DATA",
                            p.clone(),
                            "Buffer refers to an unresolved GLB binary chunk.".into(),
                        );
                        None
                    }
                },
                None => {
                    // A meshopt fallback buffer holds no data: the views using it are decoded.
                    let fallback = b
                        .pointer("/extensions/EXT_meshopt_compression/fallback")
                        .and_then(Value::as_bool)
                        == Some(true);
                    if !fallback {
                        self.warn(
                            "DISAN_BUFFER_WITHOUT_DATA",
                            p.clone(),
                            "Buffer has no uri and is not the GLB binary chunk: nothing that uses it can be read."
                                .into(),
                        );
                    }
                    None
                }
            };
            if let Some(d) = &data
                && (d.len() as u64) < declared
            {
                self.err(
                    "BUFFER_BYTE_LENGTH_MISMATCH",
                    p.clone(),
                    format!(
                        "Actual data byte length ({}) is less than the declared buffer byte length ({declared}).",
                        d.len()
                    ),
                );
            }
            self.buffers.push(data);
        }
        // bufferViews against their buffers
        let views = self.array("bufferViews").to_vec();
        for (i, v) in views.iter().enumerate() {
            let (Some(b), Some(len)) = (
                v.get("buffer").and_then(Value::as_u64),
                v.get("byteLength").and_then(Value::as_u64),
            ) else {
                continue;
            };
            let Some(buffer) = self.array("buffers").get(b as usize) else {
                continue;
            };
            let Some(blen) = buffer.get("byteLength").and_then(Value::as_u64) else {
                continue;
            };
            let off = v.get("byteOffset").and_then(Value::as_u64).unwrap_or(0);
            if off >= blen || off + len > blen {
                let key = if off >= blen { "byteOffset" } else { "byteLength" };
                self.err(
                    "BUFFER_VIEW_TOO_LONG",
                    format!("/bufferViews/{i}/{key}"),
                    format!("BufferView does not fit buffer ({b}) byteLength ({blen})."),
                );
            }
        }
    }

    /// Reads a buffer or image URI: a `data:` URI, or a file inside the model's folder.
    pub(super) fn load_uri(&mut self, uri: &str, pointer: &str, buffer: bool) -> Option<Vec<u8>> {
        if uri.starts_with(':') {
            self.err(
                "INVALID_URI",
                pointer.to_owned(),
                format!("Invalid URI '{uri}'. Parser output: Invalid empty scheme."),
            );
            return None;
        }
        if let Some(rest) = uri.strip_prefix("data:") {
            let _ = rest;
            return match parse_data_uri(uri) {
                Ok((media, bytes)) => {
                    let media_lower = media.to_ascii_lowercase();
                    if buffer
                        && !matches!(
                            media_lower.as_str(),
                            "application/octet-stream" | "application/gltf-buffer"
                        )
                    {
                        self.err(
                            "BUFFER_DATA_URI_MIME_TYPE_INVALID",
                            pointer.to_owned(),
                            format!("Data URI media type must be 'application/octet-stream' or 'application/gltf-buffer'. Found '{media}' instead."),
                        );
                    }
                    if !buffer
                        && let Some(sniffed) = sniff_image(&bytes)
                        && media.starts_with("image/")
                        && media != sniffed
                    {
                        self.err(
                            "INVALID_URI",
                            pointer.to_owned(),
                            format!(
                                "Invalid URI '{}…'. The declared mediatype does not match the embedded content.",
                                &uri[..uri.floor_char_boundary(40)]
                            ),
                        );
                    }
                    Some(bytes)
                }
                Err(e) => {
                    self.err(
                        "INVALID_URI",
                        pointer.to_owned(),
                        format!(
                            "Invalid URI '{}'. Parser output: {e}",
                            &uri[..uri.floor_char_boundary(80)]
                        ),
                    );
                    None
                }
            };
        }
        let resource = match crate::resolve(self.dir, uri) {
            Ok(r) => r,
            Err(e) => {
                self.err(
                    "DISAN_URI_OUTSIDE_FOLDER",
                    pointer.to_owned(),
                    format!("{e}; it is not read."),
                );
                return None;
            }
        };
        let path = &resource.path;
        match std::fs::metadata(path) {
            Ok(m) if m.len() > self.limits.max_resource_bytes => {
                self.err(
                    "DISAN_RESOURCE_TOO_LARGE",
                    pointer.to_owned(),
                    format!(
                        "'{uri}' is {} bytes, above the {}-byte limit.",
                        m.len(),
                        self.limits.max_resource_bytes
                    ),
                );
                None
            }
            Ok(_) => match std::fs::read(path) {
                Ok(b) => Some(b),
                Err(e) => {
                    self.err("IO_ERROR", pointer.to_owned(), format!("Cannot read '{uri}': {e}."));
                    None
                }
            },
            Err(e) => {
                self.err(
                    "IO_ERROR",
                    pointer.to_owned(),
                    format!("Cannot read '{uri}' ({}): {e}.", path.display()),
                );
                None
            }
        }
    }

    pub(super) fn decode_meshopt(&mut self) {
        let views = self.array("bufferViews").to_vec();
        for (i, v) in views.iter().enumerate() {
            let Some(ext) = v.pointer("/extensions/EXT_meshopt_compression") else {
                continue;
            };
            let p = format!("/bufferViews/{i}/extensions/EXT_meshopt_compression");
            let get = |k: &str| ext.get(k).and_then(Value::as_u64);
            let (Some(buffer), Some(len), Some(stride), Some(count)) =
                (get("buffer"), get("byteLength"), get("byteStride"), get("count"))
            else {
                self.err(
                    "UNDEFINED_PROPERTY",
                    p,
                    "buffer, byteLength, byteStride and count must be defined.".into(),
                );
                continue;
            };
            let offset = get("byteOffset").unwrap_or(0) as usize;
            let decoded_len = stride.saturating_mul(count);
            if decoded_len > self.limits.max_resource_bytes || decoded_len > 1024 * len.max(1 << 20) {
                self.err(
                    "DISAN_RESOURCE_TOO_LARGE",
                    p,
                    format!("decoding {count}×{stride} bytes from {len} compressed bytes is refused"),
                );
                continue;
            }
            let Some(src) = self
                .buffers
                .get(buffer as usize)
                .and_then(Option::as_ref)
                .and_then(|b| b.get(offset..offset.checked_add(len as usize)?))
            else {
                self.err(
                    "DISAN_MESHOPT_DATA",
                    p,
                    "compressed data lies outside its buffer or the buffer is unread".into(),
                );
                continue;
            };
            let mode = ext.get("mode").and_then(Value::as_str).unwrap_or("");
            let filter = ext.get("filter").and_then(Value::as_str).unwrap_or("NONE");
            match crate::meshopt_decode::decode(src, stride as usize, count as usize, mode, filter) {
                Ok(bytes) => {
                    self.decoded.insert(i, bytes);
                }
                Err(e) => self.err("DISAN_MESHOPT_DATA", p, format!("cannot decode: {e}")),
            }
        }
    }

    pub(super) fn images(&mut self) {
        let images = self.array("images").to_vec();
        let webp_enabled = self
            .root
            .get("extensionsUsed")
            .and_then(Value::as_array)
            .is_some_and(|u| u.iter().any(|e| e.as_str() == Some("EXT_texture_webp")));
        // Each image's MIME type as Khronos takes it: `mimeType`, else the data: URI's, else the bytes'.
        let mut mimes: Vec<Option<String>> = vec![None; images.len()];
        for (i, img) in images.iter().enumerate() {
            let p = format!("/images/{i}");
            let declared = img.get("mimeType").and_then(Value::as_str);
            mimes[i] = declared.map(str::to_owned).or_else(|| {
                img.get("uri")
                    .and_then(Value::as_str)
                    .filter(|u| u.starts_with("data:"))
                    .and_then(|u| u[5..].split([';', ',']).next())
                    .filter(|m| !m.is_empty())
                    .map(str::to_owned)
            });
            let (bytes, at) = if let Some(uri) = img.get("uri").and_then(Value::as_str) {
                (self.load_uri(uri, &format!("{p}/uri"), false), format!("{p}/uri"))
            } else if let Some(v) = img.get("bufferView").and_then(Value::as_u64) {
                let view = self.array("bufferViews").get(v as usize);
                if view.and_then(|v| v.get("byteStride")).is_some() {
                    self.err(
                        "IMAGE_BUFFER_VIEW_WITH_BYTESTRIDE",
                        format!("{p}/bufferView"),
                        "bufferView.byteStride must not be defined for buffer views containing image data.".into(),
                    );
                }
                let bytes = view_bytes(self.root, &self.buffers, &self.decoded, v as usize).map(<[u8]>::to_vec);
                (bytes, format!("{p}/bufferView"))
            } else {
                continue;
            };
            let Some(bytes) = bytes else {
                self.image_mime_enabled(mimes[i].as_deref(), webp_enabled, &p);
                continue;
            };
            if mimes[i].is_none() {
                mimes[i] = sniff_image(&bytes).map(str::to_owned);
            }
            self.image_mime_enabled(mimes[i].as_deref(), webp_enabled, &p);
            if let Some((code, message)) = image_header_problem(&bytes) {
                self.err(code, p.clone(), message.into());
            }
            match sniff_image(&bytes) {
                Some(found) => {
                    if let Some(d) = declared
                        && d != found
                    {
                        self.err(
                            "IMAGE_MIME_TYPE_INVALID",
                            at,
                            format!("Recognized image format '{found}' does not match declared image format '{d}'."),
                        );
                    }
                }
                None => self.warn("IMAGE_UNRECOGNIZED_FORMAT", at, "Image format not recognized.".into()),
            }
        }
        self.texture_sources(&mimes);
    }

    fn image_mime_enabled(&mut self, mime: Option<&str>, webp_enabled: bool, p: &str) {
        if mime == Some("image/webp") && !webp_enabled {
            self.err(
                "IMAGE_NON_ENABLED_MIME_TYPE",
                p.to_owned(),
                "'image/webp' MIME type requires an extension.".into(),
            );
        }
    }

    /// A texture's `source` must be a PNG or JPEG image; EXT_texture_webp's `source` a WebP one.
    fn texture_sources(&mut self, mimes: &[Option<String>]) {
        let textures = self.array("textures").to_vec();
        for (t, tex) in textures.iter().enumerate() {
            let check = |this: &mut Self, source: Option<&Value>, at: String, valid: &[&str]| {
                let Some(s) = source.and_then(Value::as_u64) else {
                    return;
                };
                match mimes.get(s as usize) {
                    None => this.err("UNRESOLVED_REFERENCE", at, format!("Unresolved reference: {s}.")),
                    Some(Some(m)) if !valid.contains(&m.as_str()) => this.err(
                        "TEXTURE_INVALID_IMAGE_MIME_TYPE",
                        at,
                        format!("Invalid MIME type '{m}' for the texture source. Valid MIME types are {valid:?}."),
                    ),
                    Some(_) => {}
                }
            };
            if tex
                .get("source")
                .is_some_and(|s| s.as_u64().is_some_and(|s| (s as usize) < mimes.len()))
            {
                check(
                    self,
                    tex.get("source"),
                    format!("/textures/{t}/source"),
                    &["image/jpeg", "image/png"],
                );
            }
            if let Some(webp) = tex.pointer("/extensions/EXT_texture_webp") {
                check(
                    self,
                    webp.get("source"),
                    format!("/textures/{t}/extensions/EXT_texture_webp/source"),
                    &["image/webp"],
                );
            }
        }
    }
}

/// What the Khronos validator finds wrong in a PNG or JPEG header (it reads headers for the image size, as
/// a renderer would before decoding): the stream ending before the size (`IMAGE_UNEXPECTED_EOS`) or a
/// header that is not one (`IMAGE_DATA_INVALID`). Other formats, and sound headers, give `None`.
pub(super) fn image_header_problem(b: &[u8]) -> Option<(&'static str, &'static str)> {
    const EOS: (&str, &str) = ("IMAGE_UNEXPECTED_EOS", "Unexpected end of image stream.");
    if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        if b.len() < 33 {
            return Some(EOS);
        }
        if &b[12..16] != b"IHDR" || b[8..12] != [0, 0, 0, 13] {
            return Some(("IMAGE_DATA_INVALID", "Image data is invalid. Invalid PNG header."));
        }
        return None;
    }
    if !b.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut i = 2;
    loop {
        if i >= b.len() {
            return Some(EOS);
        }
        if b[i] != 0xFF {
            return Some(("IMAGE_DATA_INVALID", "Image data is invalid. Invalid JPEG marker."));
        }
        while i < b.len() && b[i] == 0xFF {
            i += 1;
        }
        let Some(&marker) = b.get(i) else { return Some(EOS) };
        i += 1;
        if marker == 0x01 || (0xD0..=0xD8).contains(&marker) {
            continue;
        }
        let Some(len) = b.get(i..i + 2).map(|l| usize::from(u16::from_be_bytes([l[0], l[1]]))) else {
            return Some(EOS);
        };
        if len < 2 {
            return Some((
                "IMAGE_DATA_INVALID",
                "Image data is invalid. Invalid JPEG marker segment length.",
            ));
        }
        let sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if sof {
            return if i + 7 > b.len() { Some(EOS) } else { None };
        }
        if marker == 0xD9 || marker == 0xDA {
            // Scan data or the end before any frame header.
            return Some(("IMAGE_DATA_INVALID", "Image data is invalid. No JPEG frame header."));
        }
        i += len;
    }
}
