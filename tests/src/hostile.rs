//! The hostile corpus: broken and malicious inputs made from small images and models generated here, each
//! with what `disan ingest` must make of it. The e2e test `hostile` ingests them together with good files;
//! `fuzz/` uses the same files as seeds (`cargo run -p disan_tests --bin hostile-corpus -- DIR`).

use std::io::Cursor;
use std::path::Path;

/// What ingest must do with a case.
#[derive(Clone, Debug, PartialEq)]
pub enum Expect {
    /// Fails alone, with a reason containing every one of these (lower-case) fragments.
    Fails(&'static [&'static str]),
    /// Is ingested (the pixels are sound); the metadata problem becomes a warning containing this.
    IngestedWithWarning(&'static str),
    /// Is ingested.
    Ingested,
}

pub struct Case {
    /// Path relative to the input folder.
    pub name: String,
    pub bytes: Vec<u8>,
    pub expect: Expect,
}

fn case(name: &str, bytes: Vec<u8>, expect: Expect) -> Case {
    Case {
        name: name.to_owned(),
        bytes,
        expect,
    }
}

/// A small photo-like image (a gradient with some texture), so encoders produce real, decodable files.
fn picture(w: u32, h: u32) -> image::RgbImage {
    image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, ((x ^ y) & 0xff) as u8])
    })
}

fn encode(img: &image::RgbImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    if format == image::ImageFormat::WebP {
        // The WebP encoder wants RGBA or RGB; lossless either way.
        image::DynamicImage::ImageRgb8(img.clone())
            .write_to(&mut out, format)
            .unwrap();
    } else {
        img.write_to(&mut out, format).unwrap();
    }
    out.into_inner()
}

/// Inserts `segment` (marker and payload) right after a JPEG's SOI.
fn jpeg_with_segment(jpeg: &[u8], marker: u8, payload: &[u8]) -> Vec<u8> {
    let len = u16::try_from(payload.len() + 2).expect("a JPEG segment holds at most 64 KiB");
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A JPEG whose frame header claims `w`×`h`.
fn jpeg_claiming(jpeg: &[u8], w: u16, h: u16) -> Vec<u8> {
    let mut bytes = jpeg.to_vec();
    let mut i = 2;
    while i + 9 < bytes.len() {
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        if matches!(bytes[i + 1], 0xC0..=0xC2) {
            bytes[i + 5..i + 7].copy_from_slice(&h.to_be_bytes());
            bytes[i + 7..i + 9].copy_from_slice(&w.to_be_bytes());
            return bytes;
        }
        i += 2 + len;
    }
    panic!("no frame header");
}

/// A PNG whose IHDR claims `w`×`h` (with its CRC fixed, so only the size is wrong).
fn png_claiming(png: &[u8], w: u32, h: u32) -> Vec<u8> {
    let mut bytes = png.to_vec();
    bytes[16..20].copy_from_slice(&w.to_be_bytes());
    bytes[20..24].copy_from_slice(&h.to_be_bytes());
    let crc = crc32fast::hash(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

/// A little-endian TIFF whose ImageWidth and ImageLength claim `w`×`h`.
fn tiff_claiming(tiff: &[u8], w: u32, h: u32) -> Vec<u8> {
    let mut bytes = tiff.to_vec();
    assert_eq!(&bytes[..4], b"II*\0");
    let ifd = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    let count = usize::from(u16::from_le_bytes([bytes[ifd], bytes[ifd + 1]]));
    for e in 0..count {
        let at = ifd + 2 + e * 12;
        let tag = u16::from_le_bytes([bytes[at], bytes[at + 1]]);
        let value = match tag {
            256 => w,
            257 => h,
            _ => continue,
        };
        bytes[at + 2..at + 4].copy_from_slice(&4u16.to_le_bytes()); // LONG
        bytes[at + 4..at + 8].copy_from_slice(&1u32.to_le_bytes());
        bytes[at + 8..at + 12].copy_from_slice(&value.to_le_bytes());
    }
    bytes
}

/// A WebP with an extended header (VP8X) whose canvas claims `w`×`h` around a small lossless image.
fn webp_claiming(webp: &[u8], w: u32, h: u32) -> Vec<u8> {
    assert_eq!(&webp[8..12], b"WEBP");
    let mut body = b"WEBPVP8X".to_vec();
    body.extend_from_slice(&10u32.to_le_bytes());
    body.extend_from_slice(&[0, 0, 0, 0]);
    body.extend_from_slice(&(w - 1).to_le_bytes()[..3]);
    body.extend_from_slice(&(h - 1).to_le_bytes()[..3]);
    body.extend_from_slice(&webp[12..]);
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// An APP1 EXIF payload (little-endian TIFF) with one IFD0 entry (Orientation) and the given next-IFD offset
/// and GPS IFD pointer.
fn exif_payload(next_ifd: u32, gps_pointer: Option<u32>) -> Vec<u8> {
    let mut t = b"Exif\0\0II*\0".to_vec();
    t.extend_from_slice(&8u32.to_le_bytes());
    let entries: u16 = if gps_pointer.is_some() { 2 } else { 1 };
    t.extend_from_slice(&entries.to_le_bytes());
    // Orientation, SHORT, 1 value: 1.
    t.extend_from_slice(&0x0112u16.to_le_bytes());
    t.extend_from_slice(&3u16.to_le_bytes());
    t.extend_from_slice(&1u32.to_le_bytes());
    t.extend_from_slice(&[1, 0, 0, 0]);
    if let Some(p) = gps_pointer {
        t.extend_from_slice(&0x8825u16.to_le_bytes());
        t.extend_from_slice(&4u16.to_le_bytes());
        t.extend_from_slice(&1u32.to_le_bytes());
        t.extend_from_slice(&p.to_le_bytes());
    }
    t.extend_from_slice(&next_ifd.to_le_bytes());
    t
}

fn xmp_app1(packet: &str) -> Vec<u8> {
    let mut p = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    p.extend_from_slice(packet.as_bytes());
    p
}

fn gpano_packet(attrs: &str) -> String {
    format!(
        r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:GPano="http://ns.google.com/photos/1.0/panorama/" GPano:ProjectionType="equirectangular" {attrs}/></rdf:RDF></x:xmpmeta>"#
    )
}

/// A PNG with an iTXt XMP chunk of `size` bytes (a packet padded with whitespace, as XMP allows).
fn png_with_xmp(png: &[u8], size: usize) -> Vec<u8> {
    let head = gpano_packet("");
    let (open, close) = head.split_at(head.len() - "</x:xmpmeta>".len());
    let mut data = b"XML:com.adobe.xmp\0\0\0\0\0".to_vec();
    data.extend_from_slice(open.as_bytes());
    data.resize(size - close.len(), b' ');
    data.extend_from_slice(close.as_bytes());
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    let typed_start = chunk.len();
    chunk.extend_from_slice(b"iTXt");
    chunk.extend_from_slice(&data);
    let crc = crc32fast::hash(&chunk[typed_start..]);
    chunk.extend_from_slice(&crc.to_be_bytes());
    // After the 8-byte signature and the 25-byte IHDR chunk.
    let mut out = png[..33].to_vec();
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&png[33..]);
    out
}

/// A valid one-triangle glTF with an embedded buffer; `edit` changes its JSON before it is written.
fn gltf(edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    use base64::Engine as _;
    let positions: Vec<u8> = [0f32, 0., 0., 1., 0., 0., 0., 1., 0.]
        .iter()
        .flat_map(|f| f.to_le_bytes())
        .collect();
    let mut doc = serde_json::json!({
        "asset": {"version": "2.0", "generator": "disan hostile corpus"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}}]}],
        "accessors": [{"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3",
                       "min": [0, 0, 0], "max": [1, 1, 0]}],
        "bufferViews": [{"buffer": 0, "byteLength": 36}],
        "buffers": [{"byteLength": 36, "uri": format!("data:application/octet-stream;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(&positions))}],
    });
    edit(&mut doc);
    serde_json::to_vec_pretty(&doc).unwrap()
}

/// The triangle as a GLB whose chunk lengths are rewritten by `edit` (JSON length, BIN length).
fn glb(edit: impl FnOnce(&mut u32, &mut u32)) -> Vec<u8> {
    let bin: Vec<u8> = [0f32, 0., 0., 1., 0., 0., 0., 1., 0.]
        .iter()
        .flat_map(|f| f.to_le_bytes())
        .collect();
    let mut json = serde_json::to_vec(&serde_json::json!({
        "asset": {"version": "2.0"},
        "scene": 0, "scenes": [{"nodes": [0]}], "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}}]}],
        "accessors": [{"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3",
                       "min": [0, 0, 0], "max": [1, 1, 0]}],
        "bufferViews": [{"buffer": 0, "byteLength": 36}],
        "buffers": [{"byteLength": 36}],
    }))
    .unwrap();
    while !json.len().is_multiple_of(4) {
        json.push(b' ');
    }
    let (mut json_len, mut bin_len) = (json.len() as u32, bin.len() as u32);
    edit(&mut json_len, &mut bin_len);
    let total = 12 + 8 + json.len() + 8 + bin.len();
    let mut out = b"glTF".to_vec();
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out.extend_from_slice(&json_len.to_le_bytes());
    out.extend_from_slice(b"JSON");
    out.extend_from_slice(&json);
    out.extend_from_slice(&bin_len.to_le_bytes());
    out.extend_from_slice(b"BIN\0");
    out.extend_from_slice(&bin);
    out
}

/// Every hostile case, plus the good files that must still be ingested beside them. `outside` is a file
/// outside the input folder that some cases try to reach (by `..` and by absolute path).
pub fn corpus(outside: &Path) -> Vec<Case> {
    use Expect::*;
    use image::ImageFormat as F;
    let img = picture(96, 64);
    let jpeg = encode(&img, F::Jpeg);
    let png = encode(&img, F::Png);
    let tiff = encode(&img, F::Tiff);
    let webp = encode(&img, F::WebP);
    let half = |b: &[u8]| b[..b.len() / 2].to_vec();
    let outside_abs = outside.display().to_string();
    let mut cases = vec![
        // Good files: the batch goes on around the bad ones.
        case("good/photo.jpg", jpeg.clone(), Ingested),
        case("good/photo.png", png.clone(), Ingested),
        case("good/photo.tif", tiff.clone(), Ingested),
        case("good/photo.webp", webp.clone(), Ingested),
        case("good/triangle.gltf", gltf(|_| {}), Ingested),
        // Wrong extensions: the content decides.
        case("mislabelled/jpeg.png", encode(&picture(90, 60), F::Jpeg), Ingested),
        case("mislabelled/tiff.webp", encode(&picture(80, 60), F::Tiff), Ingested),
        // Zero-byte and truncated files.
        case("empty/zero.jpg", Vec::new(), Fails(&["empty"])),
        case("empty/zero.png", Vec::new(), Fails(&["empty"])),
        case("empty/zero.tif", Vec::new(), Fails(&["empty"])),
        case("empty/zero.webp", Vec::new(), Fails(&["empty"])),
        case("truncated/half.jpg", half(&jpeg), Fails(&["truncated"])),
        case("truncated/half.png", half(&png), Fails(&[])),
        case("truncated/half.tif", half(&tiff), Fails(&[])),
        case("truncated/half.webp", half(&webp), Fails(&[])),
        // Headers claiming enormous images (decompression bombs).
        case(
            "bombs/huge.jpg",
            jpeg_claiming(&jpeg, 65500, 65500),
            Fails(&["65500×65500", "bomb"]),
        ),
        case(
            "bombs/huge.png",
            png_claiming(&png, 100_000, 100_000),
            Fails(&["100000×100000", "bomb"]),
        ),
        // The TIFF decoder already refuses strips that cannot hold the claimed size.
        case(
            "bombs/huge.tif",
            tiff_claiming(&tiff, 100_000, 100_000),
            Fails(&["tiff"]),
        ),
        case(
            "bombs/huge.webp",
            webp_claiming(&webp, 100_000, 100_000),
            Fails(&["too large"]),
        ),
        // EXIF whose IFD chain loops back on itself, or points past the segment: pixels are fine.
        case(
            "exif/loop.jpg",
            jpeg_with_segment(&jpeg, 0xE1, &exif_payload(8, None)),
            IngestedWithWarning("exif"),
        ),
        case(
            "exif/out-of-range.jpg",
            jpeg_with_segment(&jpeg, 0xE1, &exif_payload(0xFFFF_FF00, Some(0x7FFF_FFF0))),
            IngestedWithWarning("exif"),
        ),
        // A 50 MB XMP packet: refused as metadata, the image is still ingested.
        case(
            "xmp/50mb.png",
            png_with_xmp(&png, 50 << 20),
            IngestedWithWarning("larger than"),
        ),
        // GPano values that make no sense, on a 2:1 image that would otherwise be a panorama.
        case(
            "gpano/nan.jpg",
            jpeg_with_segment(
                &encode(&picture(256, 128), F::Jpeg),
                0xE1,
                &xmp_app1(&gpano_packet(
                    r#"GPano:FullPanoWidthPixels="NaN" GPano:FullPanoHeightPixels="-128" GPano:PoseHeadingDegrees="NaN""#,
                )),
            ),
            Ingested,
        ),
        case(
            "gpano/crop-too-large.jpg",
            jpeg_with_segment(
                &encode(&picture(256, 128), F::Jpeg),
                0xE1,
                &xmp_app1(&gpano_packet(
                    r#"GPano:FullPanoWidthPixels="256" GPano:FullPanoHeightPixels="128" GPano:CroppedAreaImageWidthPixels="4096" GPano:CroppedAreaImageHeightPixels="-5" GPano:CroppedAreaLeftPixels="9000" GPano:CroppedAreaTopPixels="0""#,
                )),
            ),
            IngestedWithWarning("crop"),
        ),
        // glTF pointing outside its folder, or claiming more than it holds.
        case(
            "models/escape-dotdot.gltf",
            gltf(|d| d["buffers"][0]["uri"] = "../../outside/secret.bin".into()),
            Fails(&["..", "leaves"]),
        ),
        case(
            "models/escape-absolute.gltf",
            gltf(|d| d["buffers"][0]["uri"] = outside_abs.clone().into()),
            Fails(&["absolute"]),
        ),
        case(
            "models/escape-http.gltf",
            gltf(|d| d["buffers"][0]["uri"] = "http://example.invalid/secret.bin".into()),
            Fails(&["http"]),
        ),
        case(
            "models/huge-accessor.gltf",
            gltf(|d| d["accessors"][0]["count"] = (1u64 << 31).into()),
            Fails(&["accessor"]),
        ),
        case(
            "models/view-past-buffer.gltf",
            gltf(|d| {
                d["bufferViews"][0]["byteOffset"] = 24.into();
            }),
            Fails(&["buffer"]),
        ),
        case(
            "models/node-cycle.gltf",
            gltf(|d| {
                d["nodes"] = serde_json::json!([{"mesh": 0, "children": [1]}, {"children": [0]}]);
            }),
            Fails(&["node loop"]),
        ),
        case(
            "models/data-uri-gigabytes.gltf",
            gltf(|d| {
                d["buffers"][0]["byteLength"] = 4_000_000_000u64.into();
                d["bufferViews"][0]["byteLength"] = 4_000_000_000u64.into();
                d["accessors"][0]["count"] = 333_333_333.into();
            }),
            Fails(&["buffer"]),
        ),
        case(
            "models/lying-json-chunk.glb",
            glb(|j, _| *j = 1 << 30),
            Fails(&["chunk"]),
        ),
        case(
            "models/lying-bin-chunk.glb",
            glb(|_, b| *b = 1 << 30),
            Fails(&["chunk"]),
        ),
        case(
            "models/index-out-of-range.obj",
            b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 99\n".to_vec(),
            Fails(&["index out of bounds"]),
        ),
        case(
            "models/negative-index.obj",
            b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf -1 -2 -40\n".to_vec(),
            Fails(&["index out of bounds"]),
        ),
    ];
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

/// Writes the corpus under `dir`.
pub fn write_corpus(dir: &Path, outside: &Path) -> Vec<Case> {
    let cases = corpus(outside);
    for c in &cases {
        let path = dir.join(&c.name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, &c.bytes).unwrap();
    }
    cases
}
