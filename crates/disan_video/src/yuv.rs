//! sRGB to Y'CbCr 4:2:0, BT.709 matrix, limited range (16–235, 16–240): what HD players assume and what the
//! SPS's colour description says. Chroma is the average of each 2×2 block.

use image::RgbImage;
use openh264::formats::YUVSource;
use rayon::prelude::*;

/// BT.709 in 16.16 fixed point, rows Y, Cb, Cr; each chroma row sums to 0 so grey has no colour.
const Y: [i32; 3] = [11966, 40254, 4064];
const CB: [i32; 3] = [-6596, -22188, 28784];
const CR: [i32; 3] = [28784, -26145, -2639];

pub struct Yuv420 {
    width: usize,
    height: usize,
    y: Vec<u8>,
    u: Vec<u8>,
    v: Vec<u8>,
}

impl Yuv420 {
    /// Even sides only (the writer checks).
    pub fn new(width: u32, height: u32) -> Self {
        let (w, h) = (width as usize, height as usize);
        Self {
            width: w,
            height: h,
            y: vec![0; w * h],
            u: vec![0; w * h / 4],
            v: vec![0; w * h / 4],
        }
    }

    pub fn read_rgb(&mut self, rgb: &RgbImage) {
        let (w, cw) = (self.width, self.width / 2);
        let src = rgb.as_raw();
        // Two luma rows and one chroma row per task.
        self.y
            .par_chunks_mut(2 * w)
            .zip(self.u.par_chunks_mut(cw).zip(self.v.par_chunks_mut(cw)))
            .enumerate()
            .for_each(|(row, (ys, (us, vs)))| {
                let top = &src[2 * row * w * 3..(2 * row + 1) * w * 3];
                let bottom = &src[(2 * row + 1) * w * 3..(2 * row + 2) * w * 3];
                let (y0, y1) = ys.split_at_mut(w);
                for (line, out) in [(top, y0), (bottom, y1)] {
                    for (p, o) in line.chunks_exact(3).zip(out.iter_mut()) {
                        *o = luma(p[0], p[1], p[2]);
                    }
                }
                for x in 0..cw {
                    let at = 6 * x;
                    let mut sum = [0i32; 3];
                    for line in [top, bottom] {
                        for c in 0..3 {
                            sum[c] += i32::from(line[at + c]) + i32::from(line[at + 3 + c]);
                        }
                    }
                    // The block's average, in 16.16 times 4.
                    us[x] = chroma(&CB, sum);
                    vs[x] = chroma(&CR, sum);
                }
            });
    }
}

fn luma(r: u8, g: u8, b: u8) -> u8 {
    let v = Y[0] * i32::from(r) + Y[1] * i32::from(g) + Y[2] * i32::from(b);
    (16 + ((v + 32768) >> 16)) as u8
}

/// `sum` holds four pixels' R, G, B.
fn chroma(k: &[i32; 3], sum: [i32; 3]) -> u8 {
    let v = k[0] * sum[0] + k[1] * sum[1] + k[2] * sum[2];
    (128 + ((v + 131072) >> 18)).clamp(16, 240) as u8
}

impl Yuv420 {
    /// Y, Cb and Cr one after the other (I420).
    pub fn into_planes(self) -> Vec<u8> {
        let mut planes = self.y;
        planes.extend_from_slice(&self.u);
        planes.extend_from_slice(&self.v);
        planes
    }
}

impl YUVSource for Yuv420 {
    fn dimensions(&self) -> (usize, usize) {
        (self.width, self.height)
    }

    fn strides(&self) -> (usize, usize, usize) {
        (self.width, self.width / 2, self.width / 2)
    }

    fn y(&self) -> &[u8] {
        &self.y
    }

    fn u(&self) -> &[u8] {
        &self.u
    }

    fn v(&self) -> &[u8] {
        &self.v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bt709_limited_range_levels() {
        assert_eq!(luma(0, 0, 0), 16);
        assert_eq!(luma(255, 255, 255), 235);
        assert_eq!(chroma(&CB, [4 * 128; 3]), 128);
        assert_eq!(chroma(&CR, [4 * 255; 3]), 128);
        // Pure blue and red reach the top of the chroma range.
        assert_eq!(chroma(&CB, [0, 0, 4 * 255]), 240);
        assert_eq!(chroma(&CR, [4 * 255, 0, 0]), 240);
        let mut img = RgbImage::new(4, 2);
        img.put_pixel(0, 0, image::Rgb([255, 255, 255]));
        let mut yuv = Yuv420::new(4, 2);
        yuv.read_rgb(&img);
        assert_eq!(yuv.y, vec![235, 16, 16, 16, 16, 16, 16, 16]);
        assert_eq!((yuv.u.clone(), yuv.v.clone()), (vec![128, 128], vec![128, 128]));
    }

    #[test]
    fn planes_come_out_in_i420_order() {
        let mut img = RgbImage::from_pixel(4, 2, image::Rgb([0, 0, 255]));
        img.put_pixel(3, 1, image::Rgb([255, 255, 255]));
        let planes = crate::to_yuv420(&img).unwrap();
        let blue = luma(0, 0, 255);
        assert_eq!(planes.len(), 4 * 2 + 2 + 2);
        assert_eq!(&planes[..8], &[blue, blue, blue, blue, blue, blue, blue, 235]);
        // Cb: pure blue on the left block; three blue pixels and a white one on the right.
        let right_cb = chroma(&CB, [255, 255, 3 * 255 + 255]);
        assert_eq!(&planes[8..10], &[240, right_cb]);
        assert!(right_cb < 240 && right_cb > 128);
        assert_eq!(planes[10], chroma(&CR, [0, 0, 4 * 255]));
        assert!(matches!(
            crate::to_yuv420(&RgbImage::new(3, 2)),
            Err(crate::VideoError::Size(3, 2))
        ));
    }
}
