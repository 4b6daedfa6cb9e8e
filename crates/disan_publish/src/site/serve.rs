//! `disan web serve DIR`: a small static HTTP/1.1 server for previews, kiosks and a LAN without internet.
//! GET and HEAD, MIME types by extension, single byte ranges (`206`, `416`), `ETag` / `If-None-Match`,
//! cache headers (pages revalidate; tiles, images and models are cached a day), `index.html` for folders,
//! the site's `404.html`. Only files under DIR are served: `..`, encoded or not, is refused, and so is a
//! symbolic link that leads outside.
//!
//! Internet scale is the static folder on a CDN or an object store, not this server.

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::{PublishError, Result};

/// Where and what to serve.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub dir: PathBuf,
    pub addr: SocketAddr,
}

/// Binds `opts.addr` and serves `opts.dir` until the process ends. `ready` hears the bound address (port 0
/// picks a free one) before the first request is taken.
pub fn serve(opts: &ServeOptions, ready: impl FnOnce(SocketAddr)) -> Result<()> {
    let root = opts.dir.canonicalize().map_err(disan_fs::FsError::io(&opts.dir))?;
    if !root.is_dir() {
        return Err(PublishError::BadFile {
            path: opts.dir.clone(),
            reason: "not a folder".into(),
        });
    }
    let listener = TcpListener::bind(opts.addr).map_err(|e| PublishError::BadFile {
        path: opts.dir.clone(),
        reason: format!("cannot listen on {}: {e}", opts.addr),
    })?;
    ready(listener.local_addr().map_err(disan_fs::FsError::io(&opts.dir))?);
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let root = root.clone();
        std::thread::spawn(move || {
            let _ = connection(stream, &root);
        });
    }
    Ok(())
}

/// Answers requests on one connection until the client closes it (keep-alive) or 30 s pass idle.
fn connection(stream: TcpStream, root: &Path) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
                break;
            }
            if headers.len() < 100 {
                headers.push(h);
            }
        }
        let header = |name: &str| {
            headers.iter().find_map(|h| {
                let (k, v) = h.split_once(':')?;
                k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
            })
        };
        let mut parts = line.split_whitespace();
        let (method, target, version) = (
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
        );
        let keep_alive =
            version == "HTTP/1.1" && !header("connection").is_some_and(|c| c.eq_ignore_ascii_case("close"));
        let request = Request {
            head: method == "HEAD",
            range: header("range"),
            if_none_match: header("if-none-match"),
        };
        if method != "GET" && method != "HEAD" {
            simple(&mut out, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n", keep_alive)?;
        } else {
            respond(&mut out, root, target, &request, keep_alive)?;
        }
        out.flush()?;
        if !keep_alive {
            return Ok(());
        }
    }
}

struct Request {
    head: bool,
    range: Option<String>,
    if_none_match: Option<String>,
}

fn simple(out: &mut TcpStream, code: u16, reason: &str, extra: &str, keep_alive: bool) -> std::io::Result<()> {
    let body = format!("{code} {reason}\n");
    write!(
        out,
        "HTTP/1.1 {code} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n{extra}{}\r\n{body}",
        body.len(),
        if keep_alive { "" } else { "Connection: close\r\n" }
    )
}

/// The file a request path names under `root`, or why not: `Err(403)` for paths that try to leave it.
pub(crate) fn resolve(root: &Path, target: &str) -> std::result::Result<Resolved, u16> {
    let path = target.split(['?', '#']).next().unwrap_or("");
    if !path.starts_with('/') {
        return Err(400);
    }
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .map_err(|_| 400u16)?;
    let mut rel = PathBuf::new();
    for part in decoded.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(403),
            p if p.contains('\\') || p.contains('\0') || p.contains(':') => return Err(403),
            p => rel.push(p),
        }
    }
    let full = root.join(&rel);
    // A symbolic link inside the folder must not lead out of it.
    let real = match full.canonicalize() {
        Ok(r) => r,
        Err(_) => return Err(404),
    };
    if !real.starts_with(root) {
        return Err(403);
    }
    if real.is_dir() {
        if !decoded.ends_with('/') {
            return Ok(Resolved::Redirect(format!("{path}/")));
        }
        let index = real.join("index.html");
        return if index.is_file() {
            Ok(Resolved::File(index))
        } else {
            Err(404)
        };
    }
    Ok(Resolved::File(real))
}

pub(crate) enum Resolved {
    File(PathBuf),
    Redirect(String),
}

fn mime(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "jsonld" => "application/ld+json",
        "xml" => "application/xml",
        "txt" | "md" => "text/plain; charset=utf-8",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "glb" => "model/gltf-binary",
        "gltf" => "model/gltf+json",
        "wasm" => "application/wasm",
        "mp4" => "video/mp4",
        "mp3" => "audio/mpeg",
        "m4a" => "audio/mp4",
        "ogg" | "opus" => "audio/ogg",
        "vtt" => "text/vtt; charset=utf-8",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

/// Pages and indexes change with every build: revalidate them. Media and viewers: a day.
fn cache_control(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" | "json" | "xml" | "txt" => "no-cache",
        _ => "public, max-age=86400",
    }
}

fn respond(out: &mut TcpStream, root: &Path, target: &str, req: &Request, keep_alive: bool) -> std::io::Result<()> {
    let conn = if keep_alive { "" } else { "Connection: close\r\n" };
    let file = match resolve(root, target) {
        Ok(Resolved::File(f)) => f,
        Ok(Resolved::Redirect(to)) => {
            return write!(
                out,
                "HTTP/1.1 301 Moved Permanently\r\nLocation: {to}\r\nContent-Length: 0\r\n{conn}\r\n"
            );
        }
        Err(404) => {
            let page = std::fs::read(root.join("404.html")).unwrap_or_else(|_| b"404 Not Found\n".to_vec());
            write!(
                out,
                "HTTP/1.1 404 Not Found\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n{conn}\r\n",
                page.len()
            )?;
            if !req.head {
                out.write_all(&page)?;
            }
            return Ok(());
        }
        Err(403) => return simple(out, 403, "Forbidden", "", keep_alive),
        Err(_) => return simple(out, 400, "Bad Request", "", keep_alive),
    };
    let Ok(mut f) = std::fs::File::open(&file) else {
        return simple(out, 404, "Not Found", "", keep_alive);
    };
    let meta = f.metadata()?;
    let len = meta.len();
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    let etag = format!("\"{len:x}-{mtime:x}\"");
    let common = format!(
        "Content-Type: {}\r\nCache-Control: {}\r\nETag: {etag}\r\nAccept-Ranges: bytes\r\nX-Content-Type-Options: nosniff\r\n{conn}",
        mime(&file),
        cache_control(&file)
    );
    if req
        .if_none_match
        .as_deref()
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        return write!(out, "HTTP/1.1 304 Not Modified\r\n{common}\r\n");
    }
    let (status, start, end) = match req.range.as_deref().map(|r| byte_range(r, len)) {
        None | Some(RangeAsk::Ignore) => ("200 OK", 0, len),
        Some(RangeAsk::Satisfiable(a, b)) => ("206 Partial Content", a, b),
        Some(RangeAsk::Unsatisfiable) => {
            return write!(
                out,
                "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{len}\r\nContent-Length: 0\r\n{conn}\r\n"
            );
        }
    };
    let mut head = format!("HTTP/1.1 {status}\r\n{common}Content-Length: {}\r\n", end - start);
    if status.starts_with("206") {
        head.push_str(&format!("Content-Range: bytes {start}-{}/{len}\r\n", end - 1));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    if req.head {
        return Ok(());
    }
    f.seek(SeekFrom::Start(start))?;
    std::io::copy(&mut f.take(end - start), out)?;
    Ok(())
}

#[derive(Debug, PartialEq, Eq)]
enum RangeAsk {
    /// Bytes `start..end`.
    Satisfiable(u64, u64),
    Unsatisfiable,
    /// Not a single byte range we serve (several ranges, other units): the whole file.
    Ignore,
}

/// A `Range` header against a file of `len` bytes.
fn byte_range(header: &str, len: u64) -> RangeAsk {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return RangeAsk::Ignore;
    };
    if spec.contains(',') {
        return RangeAsk::Ignore;
    }
    let Some((a, b)) = spec.split_once('-') else {
        return RangeAsk::Ignore;
    };
    let (a, b) = (a.trim(), b.trim());
    let parsed = match (a.is_empty(), b.is_empty()) {
        (true, false) => b.parse::<u64>().ok().map(|n| (len.saturating_sub(n), len, n > 0)),
        (false, true) => a.parse::<u64>().ok().map(|s| (s, len, s < len)),
        (false, false) => match (a.parse::<u64>(), b.parse::<u64>()) {
            (Ok(s), Ok(e)) if s <= e => Some((s, (e + 1).min(len), s < len)),
            _ => None,
        },
        (true, true) => None,
    };
    match parsed {
        Some((s, e, true)) => RangeAsk::Satisfiable(s, e),
        Some((_, _, false)) => RangeAsk::Unsatisfiable,
        None => RangeAsk::Ignore,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(byte_range("bytes=0-9", 100), RangeAsk::Satisfiable(0, 10));
        assert_eq!(byte_range("bytes=90-", 100), RangeAsk::Satisfiable(90, 100));
        assert_eq!(byte_range("bytes=-10", 100), RangeAsk::Satisfiable(90, 100));
        assert_eq!(byte_range("bytes=50-500", 100), RangeAsk::Satisfiable(50, 100));
        assert_eq!(byte_range("bytes=100-", 100), RangeAsk::Unsatisfiable);
        assert_eq!(byte_range("bytes=0-1,5-6", 100), RangeAsk::Ignore);
        assert_eq!(byte_range("items=0-1", 100), RangeAsk::Ignore);
    }

    #[test]
    fn paths_stay_inside() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("vi")).unwrap();
        std::fs::write(root.join("vi/index.html"), "x").unwrap();
        std::fs::write(root.join("a b.txt"), "x").unwrap();
        assert!(matches!(resolve(&root, "/vi/"), Ok(Resolved::File(f)) if f.ends_with("vi/index.html")));
        assert!(matches!(resolve(&root, "/vi"), Ok(Resolved::Redirect(to)) if to == "/vi/"));
        assert!(matches!(resolve(&root, "/a%20b.txt?x=1"), Ok(Resolved::File(_))));
        assert_eq!(resolve(&root, "/../etc/passwd").err(), Some(403));
        assert_eq!(resolve(&root, "/%2e%2e/etc/passwd").err(), Some(403));
        assert_eq!(resolve(&root, "/vi/..%2f..%2fetc").err(), Some(403));
        assert_eq!(resolve(&root, "/nothing.html").err(), Some(404));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/etc", root.join("out")).unwrap();
            assert_eq!(resolve(&root, "/out/hostname").err(), Some(403));
        }
    }
}
