//! Writes a picture as the encoder is given it (planar 4:2:0, BT.709 limited range, Disan's own conversion):
//! `cargo run --release -p disan_video --example to_yuv -- IN.png OUT.yuv`. `bench/share-video.sh` compares
//! decoded frames with this, so that SSIM measures the encoder and not two colour conversions.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        return Err("usage: to_yuv IN.png OUT.yuv".into());
    };
    let rgb = image::ImageReader::open(input)?
        .with_guessed_format()?
        .decode()?
        .to_rgb8();
    std::fs::write(output, disan_video::to_yuv420(&rgb)?)?;
    Ok(())
}
