//! Encodes raw RGB frames exactly as `disan share` does (OpenH264, its quantiser, BT.709 limited range):
//! `cargo run --release -p disan_video --example encode_rgb -- W H IN.rgb OUT.mp4 [GIVEN.yuv]`.
//!
//! `IN.rgb` is frames of W×H `rgb24` one after another (`ffmpeg … -f rawvideo -pix_fmt rgb24`). With
//! `GIVEN.yuv` it also writes every frame as the encoder was given it (I420, Disan's own conversion), so that
//! `bench/share-video.sh` can hand libx264 exactly the same pictures and measure both encoders against them.
use std::io::{Read, Write};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (w, h, input, output, given) = match args.as_slice() {
        [w, h, i, o] => (w, h, i, o, None),
        [w, h, i, o, y] => (w, h, i, o, Some(y)),
        _ => return Err("usage: encode_rgb W H IN.rgb OUT.mp4 [GIVEN.yuv]".into()),
    };
    let (w, h): (u32, u32) = (w.parse()?, h.parse()?);
    let mut input = std::io::BufReader::with_capacity(1 << 22, std::fs::File::open(input)?);
    let mut given = given
        .map(|path| std::fs::File::create(path).map(|f| std::io::BufWriter::with_capacity(1 << 22, f)))
        .transpose()?;
    let mut writer = disan_video::Mp4Writer::new(disan_video::VideoSpec::flat(w, h))?;
    let mut buf = vec![0u8; w as usize * h as usize * 3];
    loop {
        match input.read_exact(&mut buf) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(e.into()),
        }
        let frame = image::RgbImage::from_raw(w, h, std::mem::take(&mut buf)).ok_or("frame size")?;
        writer.push(&frame)?;
        if let Some(out) = given.as_mut() {
            out.write_all(&disan_video::to_yuv420(&frame)?)?;
        }
        buf = frame.into_raw();
    }
    let frames = writer.frames();
    std::fs::write(output, writer.finish()?)?;
    if let Some(mut out) = given {
        out.flush()?;
    }
    eprintln!("{frames} frames {w}x{h} encoded");
    Ok(())
}
