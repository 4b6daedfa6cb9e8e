//! Writes a picture as the encoder is given it (planar 4:2:0, BT.709 limited range, Disan's own conversion):
//! `cargo run --release -p disan_video --example to_yuv -- IN.ppm OUT.yuv` (binary PPM, `P6`, 8 bits: any
//! tool writes it losslessly, and this crate decodes nothing else). `bench/share-video.sh` compares decoded
//! frames with this, so that SSIM measures the encoder and not two colour conversions.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        return Err("usage: to_yuv IN.ppm OUT.yuv".into());
    };
    let bytes = std::fs::read(input)?;
    let rgb = read_ppm(&bytes).ok_or_else(|| format!("{input}: not an 8-bit binary PPM (P6)"))?;
    std::fs::write(output, disan_video::to_yuv420(&rgb)?)?;
    Ok(())
}

/// A `P6` file: magic, width, height and maximum (255) separated by white space (comments allowed), one
/// white-space byte, then the pixels.
fn read_ppm(bytes: &[u8]) -> Option<image::RgbImage> {
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while bytes.get(at)?.is_ascii_whitespace() || *bytes.get(at)? == b'#' {
            if bytes[at] == b'#' {
                at += bytes[at..].iter().position(|&b| b == b'\n')?;
            }
            at += 1;
        }
        let start = at;
        while !bytes.get(at)?.is_ascii_whitespace() {
            at += 1;
        }
        fields.push(std::str::from_utf8(&bytes[start..at]).ok()?);
    }
    let (w, h) = (fields[1].parse().ok()?, fields[2].parse().ok()?);
    if fields[0] != "P6" || fields[3] != "255" {
        return None;
    }
    let pixels = bytes.get(at + 1..)?;
    let len = usize::try_from(u64::from(w) * u64::from(h) * 3).ok()?;
    image::RgbImage::from_raw(w, h, pixels.get(..len)?.to_vec())
}
