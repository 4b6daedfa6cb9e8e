//! EXT_meshopt_compression bufferViews decoded with the `meshopt` crate (meshoptimizer's own decoder).

/// One vertex of `N` bytes, so the decoder can be told the stride as a type.
#[derive(Clone)]
struct Stride<const N: usize>([u8; N]);

impl<const N: usize> Default for Stride<N> {
    fn default() -> Self {
        Self([0; N])
    }
}

fn vertices<const N: usize>(src: &[u8], count: usize) -> Result<Vec<u8>, String> {
    let v: Vec<Stride<N>> = meshopt::decode_vertex_buffer(src, count).map_err(|e| e.to_string())?;
    Ok(v.into_iter().flat_map(|s| s.0).collect())
}

macro_rules! by_stride {
    ($stride:expr, $src:expr, $count:expr; $($n:literal)*) => {
        match $stride {
            $($n => vertices::<$n>($src, $count),)*
            other => Err(format!("byteStride {other} is not a multiple of 4 up to 256")),
        }
    };
}

/// Decodes `count` elements of `stride` bytes from `src`.
pub fn decode(src: &[u8], stride: usize, count: usize, mode: &str, filter: &str) -> Result<Vec<u8>, String> {
    match mode {
        "ATTRIBUTES" => {
            let mut out = by_stride!(stride, src, count;
                4 8 12 16 20 24 28 32 36 40 44 48 52 56 60 64 68 72 76 80 84 88 92 96 100 104 108 112 116 120
                124 128 132 136 140 144 148 152 156 160 164 168 172 176 180 184 188 192 196 200 204 208 212 216
                220 224 228 232 236 240 244 248 252 256)?;
            apply_filter(&mut out, stride, filter)?;
            Ok(out)
        }
        "TRIANGLES" | "INDICES" => {
            if filter != "NONE" {
                return Err(format!("filter {filter} is not allowed for {mode}"));
            }
            let seq = mode == "INDICES";
            // meshoptimizer asserts (aborting the process) on a triangle list of another length.
            if !seq && !count.is_multiple_of(3) {
                return Err(format!("TRIANGLES mode needs a count divisible by 3, not {count}"));
            }
            match stride {
                2 => {
                    let v: Vec<u16> = if seq {
                        meshopt::decode_index_sequence(src, count)
                    } else {
                        meshopt::decode_index_buffer(src, count)
                    }
                    .map_err(|e| e.to_string())?;
                    Ok(v.into_iter().flat_map(u16::to_le_bytes).collect())
                }
                4 => {
                    let v: Vec<u32> = if seq {
                        meshopt::decode_index_sequence(src, count)
                    } else {
                        meshopt::decode_index_buffer(src, count)
                    }
                    .map_err(|e| e.to_string())?;
                    Ok(v.into_iter().flat_map(u32::to_le_bytes).collect())
                }
                other => Err(format!("index byteStride {other} is not 2 or 4")),
            }
        }
        other => Err(format!("unknown mode {other:?}")),
    }
}

fn apply_filter(data: &mut [u8], stride: usize, filter: &str) -> Result<(), String> {
    match (filter, stride) {
        ("NONE", _) => {}
        ("OCTAHEDRAL", 4) => {
            let mut v: Vec<[i8; 4]> = data
                .chunks_exact(4)
                .map(|c| [c[0] as i8, c[1] as i8, c[2] as i8, c[3] as i8])
                .collect();
            meshopt::decode_filter_oct(&mut v);
            for (d, s) in data.chunks_exact_mut(4).zip(v) {
                d.copy_from_slice(&s.map(|b| b as u8));
            }
        }
        ("OCTAHEDRAL", 8) | ("QUATERNION", 8) => {
            let mut v: Vec<[i16; 4]> = data.chunks_exact(8).map(read_i16x4).collect();
            if filter == "OCTAHEDRAL" {
                meshopt::decode_filter_oct(&mut v);
            } else {
                meshopt::decode_filter_quat(&mut v);
            }
            for (d, s) in data.chunks_exact_mut(8).zip(v) {
                for (k, x) in s.iter().enumerate() {
                    d[k * 2..k * 2 + 2].copy_from_slice(&x.to_le_bytes());
                }
            }
        }
        ("EXPONENTIAL", s) if s % 4 == 0 => {
            // Each 32-bit component decodes on its own.
            let mut v: Vec<[u32; 1]> = data
                .chunks_exact(4)
                .map(|c| [u32::from_le_bytes([c[0], c[1], c[2], c[3]])])
                .collect();
            meshopt::decode_filter_exp(&mut v);
            for (d, s) in data.chunks_exact_mut(4).zip(v) {
                d.copy_from_slice(&s[0].to_le_bytes());
            }
        }
        ("COLOR", 4) => {
            let mut v: Vec<[u8; 4]> = data.chunks_exact(4).map(|c| [c[0], c[1], c[2], c[3]]).collect();
            meshopt::decode_filter_color(&mut v);
            for (d, s) in data.chunks_exact_mut(4).zip(v) {
                d.copy_from_slice(&s);
            }
        }
        ("COLOR", 8) => {
            let mut v: Vec<[u16; 4]> = data.chunks_exact(8).map(|c| read_i16x4(c).map(|x| x as u16)).collect();
            meshopt::decode_filter_color(&mut v);
            for (d, s) in data.chunks_exact_mut(8).zip(v) {
                for (k, x) in s.iter().enumerate() {
                    d[k * 2..k * 2 + 2].copy_from_slice(&x.to_le_bytes());
                }
            }
        }
        (f, s) => return Err(format!("filter {f} with byteStride {s} is not defined")),
    }
    Ok(())
}

fn read_i16x4(c: &[u8]) -> [i16; 4] {
    [0, 1, 2, 3].map(|k| i16::from_le_bytes([c[k * 2], c[k * 2 + 1]]))
}
