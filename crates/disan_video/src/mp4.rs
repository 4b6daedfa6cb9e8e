//! The spherical video boxes, written into an MP4 that muxide made.
//!
//! Google's Spherical Video V2 specification puts `st3d` (stereo mode) and `sv3d` (`svhd` metadata source,
//! `proj` with `prhd` pose and `equi` bounds) at the end of the video's sample entry (`avc1`); the older V1
//! specification puts a `uuid` box holding GSpherical XML at the end of the video track. YouTube and ffprobe
//! read V2, exiftool both, older tools V1; Disan writes both. Every box around the insertions grows by
//! what was inserted and, as the index (`moov`) comes before the samples (`mdat`), every chunk offset in
//! `stco`/`co64` moves by the bytes added in front of them.

use crate::{Result, VideoError};

/// The V1 box's type: `ffcc8263-f855-4a93-8814-587a02521fdd`.
const V1_UUID: [u8; 16] = [
    0xff, 0xcc, 0x82, 0x63, 0xf8, 0x55, 0x4a, 0x93, 0x88, 0x14, 0x58, 0x7a, 0x02, 0x52, 0x1f, 0xdd,
];

/// The pose of the sphere relative to the frame (degrees), as `prhd` carries it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Spherical {
    pub yaw: f64,
    pub pitch: f64,
    pub roll: f64,
}

/// One box: its type, where it starts, where its payload starts and where it ends (absolute offsets).
#[derive(Clone, Copy, Debug)]
struct Atom {
    kind: [u8; 4],
    start: usize,
    body: usize,
    end: usize,
}

fn bad(what: &str) -> VideoError {
    VideoError::Mp4(what.to_owned())
}

/// The boxes in `buf[start..end]`.
fn atoms(buf: &[u8], start: usize, end: usize) -> Result<Vec<Atom>> {
    let mut out = Vec::new();
    let mut at = start;
    while at + 8 <= end {
        let size = u32::from_be_bytes(buf[at..at + 4].try_into().expect("4 bytes")) as usize;
        let kind: [u8; 4] = buf[at + 4..at + 8].try_into().expect("4 bytes");
        let (body, size) = match size {
            0 => (at + 8, end - at),
            1 => {
                if at + 16 > end {
                    return Err(bad("a box's 64-bit size is cut off"));
                }
                let big = u64::from_be_bytes(buf[at + 8..at + 16].try_into().expect("8 bytes"));
                (at + 16, usize::try_from(big).map_err(|_| bad("a box is too large"))?)
            }
            s => (at + 8, s),
        };
        if size < body - at || at + size > end {
            return Err(bad(&format!(
                "the {} box at byte {at} runs past its parent",
                String::from_utf8_lossy(&kind)
            )));
        }
        out.push(Atom {
            kind,
            start: at,
            body,
            end: at + size,
        });
        at += size;
    }
    Ok(out)
}

fn child(buf: &[u8], parent: &Atom, kind: &[u8; 4]) -> Result<Atom> {
    atoms(buf, parent.body, parent.end)?
        .into_iter()
        .find(|a| &a.kind == kind)
        .ok_or_else(|| {
            bad(&format!(
                "no {} box in {}",
                String::from_utf8_lossy(kind),
                String::from_utf8_lossy(&parent.kind)
            ))
        })
}

fn full_box(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut body = vec![0u8; 4]; // version 0, flags 0
    body.extend_from_slice(payload);
    plain_box(kind, &body)
}

fn plain_box(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut out = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(payload);
    out
}

fn fixed_16_16(deg: f64) -> [u8; 4] {
    ((deg * 65536.0).round() as i32).to_be_bytes()
}

/// `st3d` + `sv3d` for a monoscopic equirectangular video.
fn v2_boxes(pose: &Spherical) -> Vec<u8> {
    let mut out = full_box(b"st3d", &[0]); // monoscopic
    let svhd = full_box(b"svhd", b"Disan\0");
    let mut pose_bytes = Vec::new();
    for v in [pose.yaw, pose.pitch, pose.roll] {
        pose_bytes.extend_from_slice(&fixed_16_16(v));
    }
    let prhd = full_box(b"prhd", &pose_bytes);
    let equi = full_box(b"equi", &[0; 16]); // the whole frame: no bounds cut off
    let proj = plain_box(b"proj", &[prhd, equi].concat());
    out.extend(plain_box(b"sv3d", &[svhd, proj].concat()));
    out
}

/// The V1 `uuid` box with its GSpherical XML.
fn v1_box(pose: &Spherical) -> Vec<u8> {
    let xml = format!(
        "<?xml version=\"1.0\"?><rdf:SphericalVideo xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" \
         xmlns:GSpherical=\"http://ns.google.com/videos/1.0/spherical/\">\
         <GSpherical:Spherical>true</GSpherical:Spherical><GSpherical:Stitched>true</GSpherical:Stitched>\
         <GSpherical:StitchingSoftware>Disan</GSpherical:StitchingSoftware>\
         <GSpherical:ProjectionType>equirectangular</GSpherical:ProjectionType>\
         <GSpherical:InitialViewHeadingDegrees>{:.0}</GSpherical:InitialViewHeadingDegrees>\
         </rdf:SphericalVideo>",
        pose.yaw
    );
    let mut payload = V1_UUID.to_vec();
    payload.extend_from_slice(xml.as_bytes());
    plain_box(b"uuid", &payload)
}

/// `mp4` with the spherical boxes in its (first) video track.
pub fn add_spherical(mp4: &[u8], pose: &Spherical) -> Result<Vec<u8>> {
    let top = atoms(mp4, 0, mp4.len())?;
    let moov = *top
        .iter()
        .find(|a| &a.kind == b"moov")
        .ok_or_else(|| bad("no moov box"))?;
    let mdat = top
        .iter()
        .find(|a| &a.kind == b"mdat")
        .ok_or_else(|| bad("no mdat box"))?;
    let trak = atoms(mp4, moov.body, moov.end)?
        .into_iter()
        .filter(|a| &a.kind == b"trak")
        .find(|t| {
            (|| -> Result<bool> {
                let hdlr = child(mp4, &child(mp4, t, b"mdia")?, b"hdlr")?;
                Ok(mp4.get(hdlr.body + 8..hdlr.body + 12) == Some(b"vide"))
            })()
            .unwrap_or(false)
        })
        .ok_or_else(|| bad("no video track"))?;
    let mdia = child(mp4, &trak, b"mdia")?;
    let minf = child(mp4, &mdia, b"minf")?;
    let stbl = child(mp4, &minf, b"stbl")?;
    let stsd = child(mp4, &stbl, b"stsd")?;
    // stsd: version/flags, entry count, then the sample entries; avc1's own fields are 78 bytes.
    let entry = *atoms(mp4, stsd.body + 8, stsd.end)?
        .first()
        .ok_or_else(|| bad("no sample entry in stsd"))?;
    if &entry.kind != b"avc1" {
        return Err(bad("the video track is not H.264 (avc1)"));
    }
    let v2 = v2_boxes(pose);
    let v1 = v1_box(pose);
    let mut out = mp4.to_vec();
    let grow = |out: &mut Vec<u8>, a: &Atom, by: usize| -> Result<()> {
        if a.body - a.start != 8 {
            return Err(bad("a 64-bit box size around the video track"));
        }
        let size = u32::from_be_bytes(out[a.start..a.start + 4].try_into().expect("4 bytes")) as usize + by;
        out[a.start..a.start + 4]
            .copy_from_slice(&u32::try_from(size).map_err(|_| bad("moov too large"))?.to_be_bytes());
        Ok(())
    };
    for a in [&entry, &stsd, &stbl, &minf, &mdia] {
        grow(&mut out, a, v2.len())?;
    }
    for a in [&trak, &moov] {
        grow(&mut out, a, v2.len() + v1.len())?;
    }
    // Chunk offsets move by what is inserted before the samples.
    if mdat.start > moov.start {
        let shift = (v2.len() + v1.len()) as u64;
        for t in atoms(mp4, moov.body, moov.end)?.iter().filter(|a| &a.kind == b"trak") {
            let stbl = child(mp4, &child(mp4, &child(mp4, t, b"mdia")?, b"minf")?, b"stbl")?;
            for table in atoms(mp4, stbl.body, stbl.end)? {
                let width = match &table.kind {
                    b"stco" => 4,
                    b"co64" => 8,
                    _ => continue,
                };
                let count = u32::from_be_bytes(
                    mp4.get(table.body + 4..table.body + 8)
                        .ok_or_else(|| bad("a chunk offset table is cut off"))?
                        .try_into()
                        .expect("4 bytes"),
                ) as usize;
                let first = table.body + 8;
                if first + count * width > table.end {
                    return Err(bad("a chunk offset table is cut off"));
                }
                for i in 0..count {
                    let at = first + i * width;
                    if width == 4 {
                        let v = u64::from(u32::from_be_bytes(out[at..at + 4].try_into().expect("4 bytes"))) + shift;
                        let v = u32::try_from(v).map_err(|_| bad("a chunk offset passes 4 GB; use co64"))?;
                        out[at..at + 4].copy_from_slice(&v.to_be_bytes());
                    } else {
                        let v = u64::from_be_bytes(out[at..at + 8].try_into().expect("8 bytes")) + shift;
                        out[at..at + 8].copy_from_slice(&v.to_be_bytes());
                    }
                }
            }
        }
    }
    // Insert from the back so the earlier offset stays right.
    out.splice(trak.end..trak.end, v1);
    out.splice(entry.end..entry.end, v2);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_boxes_follow_the_specification() {
        let v2 = v2_boxes(&Spherical {
            yaw: 90.0,
            pitch: 0.0,
            roll: 0.0,
        });
        // st3d: size 13, monoscopic.
        assert_eq!(&v2[..13], &[0, 0, 0, 13, b's', b't', b'3', b'd', 0, 0, 0, 0, 0]);
        let sv3d = atoms(&v2, 13, v2.len()).unwrap();
        assert_eq!(&sv3d[0].kind, b"sv3d");
        let inner: Vec<[u8; 4]> = atoms(&v2, sv3d[0].body, sv3d[0].end)
            .unwrap()
            .iter()
            .map(|a| a.kind)
            .collect();
        assert_eq!(inner, vec![*b"svhd", *b"proj"]);
        // prhd carries the yaw as 16.16.
        let at = v2.windows(4).position(|w| w == b"prhd").unwrap();
        assert_eq!(&v2[at + 8..at + 12], &(90i32 << 16).to_be_bytes());
        let v1 = v1_box(&Spherical::default());
        assert_eq!(&v1[8..24], &V1_UUID);
        assert!(String::from_utf8_lossy(&v1).contains("<GSpherical:ProjectionType>equirectangular<"));
    }

    #[test]
    fn a_file_that_is_not_mp4_is_refused() {
        assert!(add_spherical(b"not an mp4 at all", &Spherical::default()).is_err());
        assert!(add_spherical(&[0, 0, 0, 200, b'm', b'o', b'o', b'v'], &Spherical::default()).is_err());
    }
}
