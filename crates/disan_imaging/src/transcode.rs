//! Full-resolution deep-zoom tiles cut from a JPEG without decoding it to pixels: the quantised DCT
//! coefficients of a baseline JPEG are read band by band (Huffman decoding only) and each tile's blocks are
//! written again as a JPEG of their own (Huffman encoding only), as `jpegtran -crop` does. A tile is then the
//! source's own pixels, with no second loss, and costs a fraction of a decode and an encode: the inverse and
//! forward DCTs, colour conversion and quantisation are never run.
//!
//! Only what can be cut exactly is accepted ([`JpegBlocks::open`]): a complete baseline (or extended
//! sequential, 8-bit) Huffman JPEG in one scan, greyscale or YCbCr (an Adobe segment must say YCbCr, as
//! Photoshop's do; RGB or another transform is not cut), whose MCU divides the tile size. Everything else goes
//! the usual way (decode, encode). Tiles carry the source's quantisation tables and sampling, and the Huffman
//! tables of the standard (Annex K), which code every symbol an 8-bit baseline JPEG can hold.

use std::sync::Arc;

use rayon::prelude::*;

/// Bits of a Huffman code looked up at once.
const LOOKUP_BITS: u32 = 9;

/// A JPEG's frame: what every band and tile needs, shared between the reading thread and the encoders.
pub struct Frame {
    width: u32,
    height: u32,
    components: Vec<Component>,
    /// MCU size in pixels.
    mcu_width: u32,
    mcu_height: u32,
    mcus_x: u32,
    mcus_y: u32,
    /// Quantisation tables by id, in the zigzag order of the file.
    qtables: [Option<[u8; 64]>; 4],
    /// The source's Huffman tables as the components use them, for tiles whose entropy-coded data is copied
    /// from the source ([`Band::encode_tile`]); `None` when the source has restart markers (its data is then
    /// not one run of bits, and tiles are coded again with the standard tables).
    source_tables: Option<SourceTables>,
}

/// Huffman tables of the source: as stored (class and id, counts, values) and for encoding.
struct SourceTables {
    stored: Vec<(u8, [u8; 16], Vec<u8>)>,
    dc: [Option<EncodeTable>; 4],
    ac: [Option<EncodeTable>; 4],
}

#[derive(Clone, Copy, Debug)]
struct Component {
    id: u8,
    h: u8,
    v: u8,
    tq: u8,
    dc: usize,
    ac: usize,
}

impl Frame {
    /// Width and height in pixels.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Rows of pixels in each band that [`JpegBlocks::read_band`] returns for `mcu_rows` MCU rows.
    pub fn mcu_height(&self) -> u32 {
        self.mcu_height
    }

    /// The sum of the luma (first component's) quantisation table: larger is coarser.
    pub fn luma_quantisation(&self) -> u32 {
        let tq = usize::from(self.components[0].tq);
        self.qtables[tq].map_or(0, |t| t.iter().map(|&q| u32::from(q)).sum())
    }
}

/// The sum of the luma quantisation table libjpeg(-turbo) writes at `quality` (its standard table scaled as
/// `jpeg_set_quality` does): compare with [`Frame::luma_quantisation`] to tell whether a JPEG is coarser.
pub fn standard_luma_quantisation(quality: u8) -> u32 {
    const LUMA: [u32; 64] = [
        16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29,
        51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121,
        120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
    ];
    let q = u32::from(quality.clamp(1, 100));
    let scale = if q < 50 { 5000 / q } else { 200 - 2 * q };
    LUMA.iter().map(|&b| ((b * scale + 50) / 100).clamp(1, 255)).sum()
}

/// A Huffman table for decoding.
struct DecodeTable {
    /// As stored: codes per length 1..=16.
    counts: [u8; 16],
    /// Indexed by the next [`LOOKUP_BITS`] bits: `length << 8 | symbol`, 0 for a longer code.
    lookup: Vec<u16>,
    /// For each length 1..=16: the largest code of that length (−1 for none), the first code, and the index
    /// of its first symbol.
    maxcode: [i32; 17],
    mincode: [i32; 17],
    valptr: [i32; 17],
    values: Vec<u8>,
    /// For AC tables, indexed like `lookup` where a code and its value fit in [`LOOKUP_BITS`]:
    /// `value << 16 | run << 8 | bits`, 0 otherwise.
    fast_ac: Vec<i32>,
}

impl DecodeTable {
    fn new(counts: &[u8; 16], values: &[u8]) -> Result<Self, String> {
        let mut maxcode = [-1i32; 17];
        let mut mincode = [0i32; 17];
        let mut valptr = [0i32; 17];
        let mut lookup = vec![0u16; 1 << LOOKUP_BITS];
        let (mut code, mut k) = (0i32, 0usize);
        for len in 1..=16usize {
            let n = usize::from(counts[len - 1]);
            valptr[len] = k as i32;
            mincode[len] = code;
            if n > 0 {
                if code + n as i32 > 1 << len {
                    return Err("a Huffman table holds more codes than its lengths allow".into());
                }
                maxcode[len] = code + n as i32 - 1;
            }
            for _ in 0..n {
                let symbol = *values.get(k).ok_or("a Huffman table is shorter than its counts")?;
                if len as u32 <= LOOKUP_BITS {
                    let shift = LOOKUP_BITS - len as u32;
                    let first = (code as usize) << shift;
                    lookup[first..first + (1 << shift)].fill((len as u16) << 8 | u16::from(symbol));
                }
                code += 1;
                k += 1;
            }
            code <<= 1;
        }
        let fast_ac = lookup
            .iter()
            .enumerate()
            .map(|(index, &entry)| {
                let (len, rs) = (u32::from(entry >> 8), entry as u8);
                let (run, s) = (i32::from(rs >> 4), u32::from(rs & 15));
                if entry == 0 || s == 0 || len + s > LOOKUP_BITS {
                    return 0;
                }
                let v = ((index as u32 >> (LOOKUP_BITS - len - s)) & ((1 << s) - 1)) as i32;
                let value = if v < 1 << (s - 1) { v - (1 << s) + 1 } else { v };
                value << 16 | run << 8 | (len + s) as i32
            })
            .collect();
        Ok(Self {
            counts: *counts,
            lookup,
            fast_ac,
            maxcode,
            mincode,
            valptr,
            values: values[..k].to_vec(),
        })
    }
}

/// Entropy-coded data read bit by bit, byte stuffing removed; a marker ends it (zeros are read after it).
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    /// The next bits, most significant first; `count` of them are valid.
    acc: u64,
    count: u32,
    /// The marker that ended the data, once reached.
    marker: Option<u8>,
    /// Zero bits appended after the marker or the end: reading into them means the data ended early.
    padded: u32,
    /// Every byte fed to `acc`, unstuffed, from the start of the band being read (`unstuffed_base`: its index
    /// in the whole unstuffed data), when `record` is set.
    record: bool,
    unstuffed: Vec<u8>,
    unstuffed_base: u64,
}

impl Bits<'_> {
    fn refill(&mut self) {
        while self.count <= 56 {
            // As many whole bytes as fit at once, where none of the next eight is 0xFF (which would need
            // unstuffing or be a marker).
            if self.marker.is_none()
                && let Some(next) = self.data.get(self.pos..self.pos + 8)
            {
                let word = u64::from_be_bytes(next.try_into().expect("8 bytes"));
                let inverted = !word;
                if inverted.wrapping_sub(0x0101_0101_0101_0101) & !inverted & 0x8080_8080_8080_8080 == 0 {
                    let take = (64 - self.count) / 8;
                    self.acc |= (word >> (64 - 8 * take)) << (64 - 8 * take - self.count);
                    if self.record {
                        self.unstuffed.extend_from_slice(&next[..take as usize]);
                    }
                    self.count += 8 * take;
                    self.pos += take as usize;
                    continue;
                }
            }
            let byte = if self.marker.is_some() {
                self.padded += 8;
                0
            } else {
                match self.data.get(self.pos) {
                    Some(0xFF) => match self.data.get(self.pos + 1) {
                        Some(0) => {
                            self.pos += 2;
                            0xFF
                        }
                        Some(&0xFF) => {
                            // Fill bytes before a marker.
                            self.pos += 1;
                            continue;
                        }
                        next => {
                            self.marker = Some(next.copied().unwrap_or(0));
                            self.padded += 8;
                            0
                        }
                    },
                    Some(&b) => {
                        self.pos += 1;
                        b
                    }
                    None => {
                        self.marker = Some(0);
                        self.padded += 8;
                        0
                    }
                }
            };
            self.acc |= u64::from(byte) << (56 - self.count);
            self.count += 8;
            if self.record {
                self.unstuffed.push(byte);
            }
        }
    }

    /// Bits read so far in the whole unstuffed data (when recording).
    fn position(&self) -> u64 {
        (self.unstuffed_base + self.unstuffed.len() as u64) * 8 - u64::from(self.count)
    }

    #[inline]
    fn consume(&mut self, n: u32) {
        self.acc <<= n;
        self.count -= n;
    }

    #[inline]
    fn symbol(&mut self, table: &DecodeTable) -> Result<u8, String> {
        if self.count < 16 {
            self.refill();
        }
        let entry = table.lookup[(self.acc >> (64 - LOOKUP_BITS)) as usize];
        if entry != 0 {
            self.consume(u32::from(entry >> 8));
            return Ok(entry as u8);
        }
        for len in LOOKUP_BITS as usize + 1..=16 {
            let code = (self.acc >> (64 - len)) as i32;
            if code <= table.maxcode[len] {
                self.consume(len as u32);
                let index = table.valptr[len] + code - table.mincode[len];
                return table
                    .values
                    .get(index as usize)
                    .copied()
                    .ok_or_else(|| "a Huffman code points past its table".into());
            }
        }
        Err("a Huffman code that is in no table".into())
    }

    /// The `s`-bit value that follows a symbol, sign-extended as JPEG codes it.
    #[inline]
    fn value(&mut self, s: u32) -> i32 {
        if s == 0 {
            return 0;
        }
        if self.count < s {
            self.refill();
        }
        let v = (self.acc >> (64 - s)) as i32;
        self.consume(s);
        if v < 1 << (s - 1) { v - (1 << s) + 1 } else { v }
    }

    fn ran_out(&self) -> bool {
        self.count < self.padded
    }
}

/// A baseline JPEG read as quantised DCT coefficients, a band of MCU rows at a time.
pub struct JpegBlocks<'a> {
    frame: Arc<Frame>,
    dc: [Option<DecodeTable>; 4],
    ac: [Option<DecodeTable>; 4],
    restart_interval: u32,
    bits: Bits<'a>,
    next_row: u32,
    mcus_done: u64,
    next_restart: u8,
    predictions: [i32; 3],
}

/// Quantised DCT coefficients of some MCU rows, in the zigzag order of the file: for each component, its
/// blocks row by row (`mcus_x · h` blocks a row, `rows · v` rows), 64 coefficients each.
pub struct Band {
    frame: Arc<Frame>,
    /// First MCU row and the number of rows.
    first_row: u32,
    rows: u32,
    blocks: Vec<Vec<i16>>,
    /// For each component and block: one past its last coefficient that is not zero (1 for DC only).
    ends: Vec<Vec<u8>>,
    /// With the source's tables: the band's unstuffed entropy-coded data (from the byte its first MCU starts
    /// in, 8 zero bytes after it), and where each MCU starts in it, in bits (one more for the end).
    stream: Vec<u8>,
    offsets: Vec<u64>,
}

impl<'a> JpegBlocks<'a> {
    /// Reads the headers of `bytes`; `None` when its tiles cannot be cut from its coefficients exactly (see
    /// the module documentation) or when `tile` is not a whole number of its MCUs.
    pub fn open(bytes: &'a [u8], tile: u32) -> Option<Self> {
        if bytes.get(..2) != Some(&[0xFF, 0xD8]) || !crate::jpeg::is_complete(bytes) {
            return None;
        }
        let mut qtables = [None; 4];
        let mut dc: [Option<DecodeTable>; 4] = Default::default();
        let mut ac: [Option<DecodeTable>; 4] = Default::default();
        let mut restart_interval = 0u32;
        let mut adobe_transform = None;
        let mut frame: Option<(u32, u32, Vec<Component>)> = None;
        let mut i = 2;
        loop {
            if bytes.get(i)? != &0xFF {
                return None;
            }
            let marker = *bytes.get(i + 1)?;
            if marker == 0xFF {
                i += 1;
                continue;
            }
            let len = usize::from(u16::from_be_bytes([*bytes.get(i + 2)?, *bytes.get(i + 3)?]));
            let body = bytes.get(i + 4..i + 2 + len)?;
            i += 2 + len;
            match marker {
                // Baseline or extended sequential Huffman, 8-bit.
                0xC0 | 0xC1 => {
                    let (&[precision, h0, h1, w0, w1, n], rest) = body.split_first_chunk::<6>()?;
                    if precision != 8 || !matches!(n, 1 | 3) || rest.len() < 3 * usize::from(n) {
                        return None;
                    }
                    let components = rest
                        .chunks_exact(3)
                        .take(usize::from(n))
                        .map(|c| Component {
                            id: c[0],
                            h: c[1] >> 4,
                            v: c[1] & 15,
                            tq: c[2],
                            dc: 0,
                            ac: 0,
                        })
                        .collect::<Vec<_>>();
                    let size = (
                        u32::from(u16::from_be_bytes([w0, w1])),
                        u32::from(u16::from_be_bytes([h0, h1])),
                    );
                    if size.0 == 0 || size.1 == 0 {
                        return None;
                    }
                    frame = Some((size.0, size.1, components));
                }
                // Progressive, lossless, arithmetic coding, hierarchical: not cut.
                0xC2 | 0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return None,
                0xC4 => {
                    let mut t = body;
                    while let Some((&[class_id], rest)) = t.split_first_chunk::<1>() {
                        let counts: [u8; 16] = rest.get(..16)?.try_into().ok()?;
                        let n = counts.iter().map(|&c| usize::from(c)).sum::<usize>();
                        let values = rest.get(16..16 + n)?;
                        let table = DecodeTable::new(&counts, values).ok()?;
                        let id = usize::from(class_id & 15);
                        match class_id >> 4 {
                            0 if id < 4 => dc[id] = Some(table),
                            1 if id < 4 => ac[id] = Some(table),
                            _ => return None,
                        }
                        t = &rest[16 + n..];
                    }
                }
                0xDB => {
                    let mut t = body;
                    while let Some((&[pq_id], rest)) = t.split_first_chunk::<1>() {
                        // 16-bit tables cannot be written in a baseline frame.
                        if pq_id >> 4 != 0 || pq_id & 15 > 3 {
                            return None;
                        }
                        qtables[usize::from(pq_id & 15)] = Some(rest.get(..64)?.try_into().ok()?);
                        t = &rest[64..];
                    }
                }
                0xDD => restart_interval = u32::from(u16::from_be_bytes(body.get(..2)?.try_into().ok()?)),
                // Adobe's segment says how three channels are coded (byte 11: 0 none, RGB; 1 YCbCr; 2 YCCK).
                // Tiles carry a JFIF segment, which means YCbCr: only that is cut (Photoshop's usual).
                0xEE if body.starts_with(b"Adobe") => adobe_transform = Some(*body.get(11)?),
                0xDA => {
                    let (width, height, mut components) = frame?;
                    let n = usize::from(*body.first()?);
                    if n != components.len() || body.len() < 1 + 2 * n + 3 {
                        return None;
                    }
                    if n == 3 && adobe_transform.is_some_and(|t| t != 1) {
                        return None;
                    }
                    for (k, c) in body[1..1 + 2 * n].chunks_exact(2).enumerate() {
                        let comp = components.get_mut(k).filter(|comp| comp.id == c[0])?;
                        comp.dc = usize::from(c[1] >> 4);
                        comp.ac = usize::from(c[1] & 15);
                        if comp.dc > 3
                            || comp.ac > 3
                            || dc[comp.dc].is_none()
                            || ac[comp.ac].is_none()
                            || qtables.get(usize::from(comp.tq))?.is_none()
                        {
                            return None;
                        }
                    }
                    if body[1 + 2 * n..1 + 2 * n + 3] != [0, 63, 0] {
                        return None;
                    }
                    if components.len() == 1 {
                        // A single component is coded one block at a time whatever its sampling factors.
                        components[0].h = 1;
                        components[0].v = 1;
                    }
                    if components
                        .iter()
                        .any(|c| !(1..=2).contains(&c.h) || !(1..=2).contains(&c.v))
                    {
                        return None;
                    }
                    let hmax = u32::from(components.iter().map(|c| c.h).max()?);
                    let vmax = u32::from(components.iter().map(|c| c.v).max()?);
                    let (mcu_width, mcu_height) = (8 * hmax, 8 * vmax);
                    if tile == 0 || !tile.is_multiple_of(mcu_width) || !tile.is_multiple_of(mcu_height) {
                        return None;
                    }
                    let copy = restart_interval == 0;
                    let source_tables = copy.then(|| {
                        let mut stored = Vec::new();
                        let mut enc_dc: [Option<EncodeTable>; 4] = Default::default();
                        let mut enc_ac: [Option<EncodeTable>; 4] = Default::default();
                        for c in &components {
                            for (class, id) in [(0u8, c.dc), (1, c.ac)] {
                                if stored
                                    .iter()
                                    .any(|t: &(u8, [u8; 16], Vec<u8>)| t.0 == class << 4 | id as u8)
                                {
                                    continue;
                                }
                                let table = if class == 0 { &dc[id] } else { &ac[id] }
                                    .as_ref()
                                    .expect("checked above");
                                let enc = EncodeTable::new(&table.counts, &table.values);
                                if class == 0 {
                                    enc_dc[id] = Some(enc);
                                } else {
                                    enc_ac[id] = Some(enc);
                                }
                                stored.push((class << 4 | id as u8, table.counts, table.values.clone()));
                            }
                        }
                        SourceTables {
                            stored,
                            dc: enc_dc,
                            ac: enc_ac,
                        }
                    });
                    let frame = Frame {
                        width,
                        height,
                        components,
                        mcu_width,
                        mcu_height,
                        mcus_x: width.div_ceil(mcu_width),
                        mcus_y: height.div_ceil(mcu_height),
                        qtables,
                        source_tables,
                    };
                    return Some(Self {
                        frame: Arc::new(frame),
                        dc,
                        ac,
                        restart_interval,
                        bits: Bits {
                            data: bytes.get(i..)?,
                            pos: 0,
                            acc: 0,
                            count: 0,
                            marker: None,
                            padded: 0,
                            record: copy,
                            unstuffed: Vec::new(),
                            unstuffed_base: 0,
                        },
                        next_row: 0,
                        mcus_done: 0,
                        next_restart: 0,
                        predictions: [0; 3],
                    });
                }
                _ => {}
            }
        }
    }

    /// The frame, shared with the bands.
    pub fn frame(&self) -> &Arc<Frame> {
        &self.frame
    }

    /// MCU rows not yet read.
    pub fn rows_left(&self) -> u32 {
        self.frame.mcus_y - self.next_row
    }

    /// Decodes the next `rows` MCU rows (fewer at the end), into the memory of `recycle` where given (a band
    /// no longer needed). An error names what is wrong with the data.
    pub fn read_band(&mut self, rows: u32, recycle: Option<Band>) -> Result<Band, String> {
        let frame = Arc::clone(&self.frame);
        let rows = rows.min(self.rows_left());
        let (mut blocks, mut ends, mut stream, mut offsets) = recycle
            .map(|band| (band.blocks, band.ends, band.stream, band.offsets))
            .unwrap_or_default();
        let record = self.bits.record;
        let base_byte = if record { self.bits.position() / 8 } else { 0 };
        offsets.clear();
        blocks.resize_with(frame.components.len(), Vec::new);
        ends.resize_with(frame.components.len(), Vec::new);
        for ((c, b), e) in frame.components.iter().zip(&mut blocks).zip(&mut ends) {
            let n = frame.mcus_x as usize * usize::from(c.h) * rows as usize * usize::from(c.v);
            // Each block is zeroed as it is decoded (in cache, not in a pass over the band first).
            b.resize(n * 64, 0);
            e.clear();
            e.resize(n, 1);
        }
        for r in 0..rows {
            for mx in 0..frame.mcus_x {
                if self.restart_interval > 0
                    && self.mcus_done > 0
                    && self.mcus_done.is_multiple_of(u64::from(self.restart_interval))
                {
                    self.restart()?;
                }
                if record {
                    offsets.push(self.bits.position() - base_byte * 8);
                }
                for (k, c) in frame.components.iter().enumerate() {
                    let per_row = frame.mcus_x as usize * usize::from(c.h);
                    for by in 0..usize::from(c.v) {
                        for bx in 0..usize::from(c.h) {
                            let row = r as usize * usize::from(c.v) + by;
                            let col = mx as usize * usize::from(c.h) + bx;
                            let at = row * per_row + col;
                            let block: &mut [i16; 64] = (&mut blocks[k][at * 64..at * 64 + 64])
                                .try_into()
                                .expect("64 coefficients");
                            ends[k][at] = self.block(k, c, block)?;
                        }
                    }
                }
                self.mcus_done += 1;
            }
            if self.bits.ran_out() {
                return Err(format!(
                    "the JPEG data ends early, in MCU row {} of {}",
                    self.next_row + r + 1,
                    frame.mcus_y
                ));
            }
        }
        stream.clear();
        if record {
            let end = self.bits.position();
            offsets.push(end - base_byte * 8);
            let bits = &mut self.bits;
            stream.extend_from_slice(&bits.unstuffed[(base_byte - bits.unstuffed_base) as usize..]);
            stream.extend_from_slice(&[0; 8]);
            // Keep what the next band starts in.
            bits.unstuffed.drain(..(end / 8 - bits.unstuffed_base) as usize);
            bits.unstuffed_base = end / 8;
        }
        let first_row = self.next_row;
        self.next_row += rows;
        Ok(Band {
            frame,
            first_row,
            rows,
            blocks,
            ends,
            stream,
            offsets,
        })
    }

    fn restart(&mut self) -> Result<(), String> {
        // What is left in the bit buffer is the padding of the interval just ended.
        let bits = &mut self.bits;
        bits.acc = 0;
        bits.count = 0;
        if bits.padded > 0 && bits.marker != Some(0xD0 + self.next_restart) {
            return Err("a restart marker is missing or out of order".into());
        }
        if bits.marker.is_none() {
            // The buffer stopped short of the marker: it must come next.
            while bits.data.get(bits.pos) == Some(&0xFF) && bits.data.get(bits.pos + 1) == Some(&0xFF) {
                bits.pos += 1;
            }
            if bits.data.get(bits.pos..bits.pos + 2) != Some(&[0xFF, 0xD0 + self.next_restart]) {
                return Err("a restart marker is missing or out of order".into());
            }
        }
        bits.pos += 2;
        bits.marker = None;
        bits.padded = 0;
        self.next_restart = (self.next_restart + 1) & 7;
        self.predictions = [0; 3];
        Ok(())
    }

    #[inline]
    /// Decodes one block into `out`; returns one past its last coefficient that is not zero.
    fn block(&mut self, k: usize, c: &Component, out: &mut [i16; 64]) -> Result<u8, String> {
        out.fill(0);
        let dc_table = self.dc[c.dc].as_ref().expect("checked when opened");
        let ac_table = self.ac[c.ac].as_ref().expect("checked when opened");
        let bits = &mut self.bits;
        let s = u32::from(bits.symbol(dc_table)?);
        if s > 11 {
            return Err("a DC difference larger than 8-bit samples allow".into());
        }
        let dc = self.predictions[k] + bits.value(s);
        // 8-bit samples give −1024..=1016 at quantiser 1; a tile's first difference is the value itself, and
        // the standard tables code differences up to ±2047.
        if !(-1024..=1023).contains(&dc) {
            return Err("a DC coefficient outside what 8-bit samples allow".into());
        }
        self.predictions[k] = dc;
        out[0] = dc as i16;
        let mut i = 1usize;
        let mut end = 1usize;
        while i < 64 {
            if bits.count < 26 {
                bits.refill();
            }
            let fast = ac_table.fast_ac[(bits.acc >> (64 - LOOKUP_BITS)) as usize];
            if fast != 0 {
                bits.consume((fast & 0xFF) as u32);
                i += ((fast >> 8) & 0xFF) as usize;
                if i > 63 {
                    return Err("a block with more than 64 coefficients".into());
                }
                out[i] = (fast >> 16) as i16;
                i += 1;
                end = i;
                continue;
            }
            let rs = bits.symbol(ac_table)?;
            let (run, s) = (usize::from(rs >> 4), u32::from(rs & 15));
            if s == 0 {
                if run != 15 {
                    break;
                }
                i += 16;
                continue;
            }
            if s > 10 {
                return Err("an AC coefficient larger than 8-bit samples allow".into());
            }
            i += run;
            if i > 63 {
                return Err("a block with more than 64 coefficients".into());
            }
            out[i] = bits.value(s) as i16;
            i += 1;
            end = i;
        }
        if i > 64 {
            return Err("a block with more than 64 coefficients".into());
        }
        Ok(end as u8)
    }
}

/// A Huffman table for encoding: code and length by symbol.
struct EncodeTable {
    code: [u16; 256],
    len: [u8; 256],
}

impl EncodeTable {
    const fn new(counts: &[u8; 16], values: &[u8]) -> Self {
        let mut code = [0u16; 256];
        let mut len = [0u8; 256];
        let (mut c, mut k, mut l) = (0u16, 0usize, 0usize);
        while l < 16 {
            let mut n = 0;
            while n < counts[l] {
                code[values[k] as usize] = c;
                len[values[k] as usize] = l as u8 + 1;
                c += 1;
                k += 1;
                n += 1;
            }
            c <<= 1;
            l += 1;
        }
        Self { code, len }
    }
}

// The tables of the standard (ITU T.81 Annex K.3), as libjpeg writes by default.
const DC_LUMA_COUNTS: [u8; 16] = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
const DC_CHROMA_COUNTS: [u8; 16] = [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
const DC_VALUES: [u8; 12] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const AC_LUMA_COUNTS: [u8; 16] = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D];
const AC_LUMA_VALUES: [u8; 162] = [
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22, 0x71, 0x14,
    0x32, 0x81, 0x91, 0xA1, 0x08, 0x23, 0x42, 0xB1, 0xC1, 0x15, 0x52, 0xD1, 0xF0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09,
    0x0A, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2A, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A,
    0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63, 0x64, 0x65,
    0x66, 0x67, 0x68, 0x69, 0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88,
    0x89, 0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8, 0xA9,
    0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xCA,
    0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xE1, 0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA,
    0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9, 0xFA,
];
const AC_CHROMA_COUNTS: [u8; 16] = [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77];
const AC_CHROMA_VALUES: [u8; 162] = [
    0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13, 0x22, 0x32,
    0x81, 0x08, 0x14, 0x42, 0x91, 0xA1, 0xB1, 0xC1, 0x09, 0x23, 0x33, 0x52, 0xF0, 0x15, 0x62, 0x72, 0xD1, 0x0A, 0x16,
    0x24, 0x34, 0xE1, 0x25, 0xF1, 0x17, 0x18, 0x19, 0x1A, 0x26, 0x27, 0x28, 0x29, 0x2A, 0x35, 0x36, 0x37, 0x38, 0x39,
    0x3A, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63, 0x64,
    0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x82, 0x83, 0x84, 0x85, 0x86,
    0x87, 0x88, 0x89, 0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7,
    0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8,
    0xC9, 0xCA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9,
    0xEA, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9, 0xFA,
];
static DC_LUMA: EncodeTable = EncodeTable::new(&DC_LUMA_COUNTS, &DC_VALUES);
static DC_CHROMA: EncodeTable = EncodeTable::new(&DC_CHROMA_COUNTS, &DC_VALUES);
static AC_LUMA: EncodeTable = EncodeTable::new(&AC_LUMA_COUNTS, &AC_LUMA_VALUES);
static AC_CHROMA: EncodeTable = EncodeTable::new(&AC_CHROMA_COUNTS, &AC_CHROMA_VALUES);

/// Bits written most significant first, with 0xFF bytes stuffed.
struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    count: u32,
}

impl BitWriter {
    /// Appends the low `n` bits of `bits` (the rest must be zero; `n` ≤ 32).
    #[inline(always)]
    fn put(&mut self, bits: u32, n: u32) {
        self.acc = (self.acc << n) | u64::from(bits);
        self.count += n;
        if self.count >= 32 {
            self.count -= 32;
            let word = (self.acc >> self.count) as u32;
            // Four bytes at once unless one is 0xFF, which takes a stuffed zero after it.
            let inverted = !word;
            if inverted.wrapping_sub(0x0101_0101) & !inverted & 0x8080_8080 == 0 {
                self.out.extend_from_slice(&word.to_be_bytes());
            } else {
                for byte in word.to_be_bytes() {
                    self.out.push(byte);
                    if byte == 0xFF {
                        self.out.push(0);
                    }
                }
            }
        }
    }

    /// Appends bits `from..to` of `src` (most significant first; `src` has 8 bytes to spare after `to`).
    fn copy(&mut self, src: &[u8], from: u64, to: u64) {
        let mut at = from;
        while at < to {
            let n = (to - at).min(32) as u32;
            let byte = (at / 8) as usize;
            let word = u64::from_be_bytes(src[byte..byte + 8].try_into().expect("8 bytes"));
            self.put(((word << (at % 8)) >> (64 - n)) as u32, n);
            at += u64::from(n);
        }
    }

    fn finish(mut self) -> Vec<u8> {
        let pad = (8 - self.count % 8) % 8;
        self.acc = (self.acc << pad) | ((1 << pad) - 1);
        self.count += pad;
        while self.count >= 8 {
            self.count -= 8;
            let byte = (self.acc >> self.count) as u8;
            self.out.push(byte);
            if byte == 0xFF {
                self.out.push(0);
            }
        }
        self.out
    }
}

/// JPEG's size category of a value and its bits (the low `s` bits only).
#[inline(always)]
fn category(v: i32) -> (u32, u32) {
    let s = 32 - v.unsigned_abs().leading_zeros();
    let bits = if v < 0 { v - 1 } else { v } as u32;
    (s, bits & ((1u32 << s) - 1))
}

#[inline]
fn encode_block(w: &mut BitWriter, block: &[i16], end: u8, prediction: &mut i32, dc: &EncodeTable, ac: &EncodeTable) {
    let value = i32::from(block[0]);
    let (s, bits) = category(value - *prediction);
    *prediction = value;
    w.put(
        u32::from(dc.code[s as usize]) << s | bits,
        u32::from(dc.len[s as usize]) + s,
    );
    // Bit k set for each coefficient k > 0 that is not zero: eight 0/1 bytes packed into bits by one multiply.
    let mut nonzero = 0u64;
    for (j, eight) in block.chunks_exact(8).take(usize::from(end).div_ceil(8)).enumerate() {
        let mut flags = [0u8; 8];
        for (f, &c) in flags.iter_mut().zip(eight) {
            *f = u8::from(c != 0);
        }
        nonzero |= (u64::from_le_bytes(flags).wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * j);
    }
    nonzero &= !1;
    let mut last = 0u32;
    while nonzero != 0 {
        let k = nonzero.trailing_zeros();
        nonzero &= nonzero - 1;
        let mut run = k - last - 1;
        while run > 15 {
            w.put(u32::from(ac.code[0xF0]), u32::from(ac.len[0xF0]));
            run -= 16;
        }
        let (s, bits) = category(i32::from(block[k as usize]));
        let symbol = (run << 4 | s) as usize;
        w.put(u32::from(ac.code[symbol]) << s | bits, u32::from(ac.len[symbol]) + s);
        last = k;
    }
    if last != 63 {
        w.put(u32::from(ac.code[0]), u32::from(ac.len[0]));
    }
}

fn segment(out: &mut Vec<u8>, marker: u8, body: &[u8]) {
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&(body.len() as u16 + 2).to_be_bytes());
    out.extend_from_slice(body);
}

fn huffman_segment(body: &mut Vec<u8>, class_id: u8, counts: &[u8; 16], values: &[u8]) {
    body.push(class_id);
    body.extend_from_slice(counts);
    body.extend_from_slice(values);
}

impl Band {
    /// First MCU row and number of MCU rows.
    pub fn rows(&self) -> (u32, u32) {
        (self.first_row, self.rows)
    }

    /// The JPEG of the tile whose left edge is at pixel `x` (a whole number of MCUs) and which is `width`
    /// pixels wide and as tall as `height` pixels of this band (from its first row).
    pub fn encode_tile(&self, x: u32, width: u32, height: u32) -> Result<Vec<u8>, String> {
        let f = &self.frame;
        if !x.is_multiple_of(f.mcu_width)
            || x + width > f.width
            || width == 0
            || height == 0
            || height > self.rows * f.mcu_height
        {
            return Err(format!(
                "a {width}×{height} tile at column {x} cannot be cut from MCUs of {}×{} in rows of {}",
                f.mcu_width, f.mcu_height, self.rows
            ));
        }
        let (mx0, mcus_x, mcus_y) = (
            x / f.mcu_width,
            width.div_ceil(f.mcu_width),
            height.div_ceil(f.mcu_height),
        );
        if let Some(tables) = &f.source_tables
            && let Some(jpeg) = self.copy_tile(tables, (mx0, mcus_x, mcus_y), (width, height))
        {
            return Ok(jpeg);
        }
        let mut dht = Vec::new();
        huffman_segment(&mut dht, 0x00, &DC_LUMA_COUNTS, &DC_VALUES);
        huffman_segment(&mut dht, 0x10, &AC_LUMA_COUNTS, &AC_LUMA_VALUES);
        if f.components.len() > 1 {
            huffman_segment(&mut dht, 0x01, &DC_CHROMA_COUNTS, &DC_VALUES);
            huffman_segment(&mut dht, 0x11, &AC_CHROMA_COUNTS, &AC_CHROMA_VALUES);
        }
        let selectors: Vec<u8> = (0..f.components.len())
            .map(|k| if k == 0 { 0x00 } else { 0x11 })
            .collect();
        let mut w = self.tile_header((width, height), &dht, &selectors, (mcus_x * mcus_y) as usize);
        let mut predictions = [0i32; 3];
        for my in 0..mcus_y as usize {
            for mx in mx0 as usize..(mx0 + mcus_x) as usize {
                for (k, c) in f.components.iter().enumerate() {
                    let (dc, ac) = if k == 0 {
                        (&DC_LUMA, &AC_LUMA)
                    } else {
                        (&DC_CHROMA, &AC_CHROMA)
                    };
                    self.encode_mcu_blocks(&mut w, k, c, (mx, my), &mut predictions[k], dc, ac);
                }
            }
        }
        let mut out = w.finish();
        out.extend_from_slice(&[0xFF, 0xD9]);
        Ok(out)
    }

    /// A tile's JPEG with the source's Huffman tables, its entropy-coded data copied from the source: in each
    /// row of MCUs only the first MCU is coded again (its DC differences start from the tile's own previous
    /// blocks), the rest is the source's bits as they are. `None` when the source's DC table cannot code one
    /// of those new differences (a table optimised for the source may lack a size); the caller codes the
    /// tile again with the standard tables.
    fn copy_tile(
        &self,
        tables: &SourceTables,
        (mx0, mcus_x, mcus_y): (u32, u32, u32),
        size: (u32, u32),
    ) -> Option<Vec<u8>> {
        let f = &self.frame;
        let mut dht = Vec::new();
        for (class_id, counts, values) in &tables.stored {
            huffman_segment(&mut dht, *class_id, counts, values);
        }
        let selectors: Vec<u8> = f.components.iter().map(|c| (c.dc as u8) << 4 | c.ac as u8).collect();
        let mut w = self.tile_header(size, &dht, &selectors, (mcus_x * mcus_y) as usize);
        let mut predictions = [0i32; 3];
        for my in 0..mcus_y as usize {
            let mx = mx0 as usize;
            for (k, c) in f.components.iter().enumerate() {
                let dc = tables.dc[c.dc].as_ref().expect("every table a component uses");
                let ac = tables.ac[c.ac].as_ref().expect("every table a component uses");
                // The first block's difference is new; the others in this MCU are the source's.
                let per_row = f.mcus_x as usize * usize::from(c.h);
                let first = my * usize::from(c.v) * per_row + mx * usize::from(c.h);
                let (s, _) = category(i32::from(self.blocks[k][first * 64]) - predictions[k]);
                if dc.len[s as usize] == 0 {
                    return None;
                }
                self.encode_mcu_blocks(&mut w, k, c, (mx, my), &mut predictions[k], dc, ac);
            }
            let row = my * f.mcus_x as usize;
            if mcus_x > 1 {
                w.copy(
                    &self.stream,
                    self.offsets[row + mx + 1],
                    self.offsets[row + mx + mcus_x as usize],
                );
                // The next row's first MCU follows the last block of each component in this row's last MCU.
                let last_mx = mx + mcus_x as usize - 1;
                for (k, c) in f.components.iter().enumerate() {
                    let (h, v) = (usize::from(c.h), usize::from(c.v));
                    let at = (my * v + v - 1) * f.mcus_x as usize * h + last_mx * h + h - 1;
                    predictions[k] = i32::from(self.blocks[k][at * 64]);
                }
            }
        }
        let mut out = w.finish();
        out.extend_from_slice(&[0xFF, 0xD9]);
        Some(out)
    }

    /// The markers of a tile up to its scan, in a writer for its entropy-coded data.
    fn tile_header(&self, (width, height): (u32, u32), dht: &[u8], selectors: &[u8], mcus: usize) -> BitWriter {
        let f = &self.frame;
        let blocks: usize = f.components.iter().map(|c| usize::from(c.h * c.v)).sum();
        let mut out = Vec::with_capacity(1024 + mcus * blocks * 24);
        out.extend_from_slice(&[0xFF, 0xD8]);
        segment(&mut out, 0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        let mut dqt = Vec::new();
        for tq in 0..4u8 {
            if f.components.iter().any(|c| c.tq == tq) {
                dqt.push(tq);
                dqt.extend_from_slice(f.qtables[usize::from(tq)].as_ref().expect("checked when opened"));
            }
        }
        segment(&mut out, 0xDB, &dqt);
        let mut sof = vec![8];
        sof.extend_from_slice(&(height as u16).to_be_bytes());
        sof.extend_from_slice(&(width as u16).to_be_bytes());
        sof.push(f.components.len() as u8);
        for c in &f.components {
            sof.extend_from_slice(&[c.id, c.h << 4 | c.v, c.tq]);
        }
        segment(&mut out, 0xC0, &sof);
        segment(&mut out, 0xC4, dht);
        let mut sos = vec![f.components.len() as u8];
        for (c, &selector) in f.components.iter().zip(selectors) {
            sos.extend_from_slice(&[c.id, selector]);
        }
        sos.extend_from_slice(&[0, 63, 0]);
        segment(&mut out, 0xDA, &sos);
        BitWriter { out, acc: 0, count: 0 }
    }

    /// Codes component `k`'s blocks of the MCU at `(mx, my)` (row within the band).
    #[allow(clippy::too_many_arguments)]
    fn encode_mcu_blocks(
        &self,
        w: &mut BitWriter,
        k: usize,
        c: &Component,
        (mx, my): (usize, usize),
        prediction: &mut i32,
        dc: &EncodeTable,
        ac: &EncodeTable,
    ) {
        let (h, v) = (usize::from(c.h), usize::from(c.v));
        let per_row = self.frame.mcus_x as usize * h;
        for by in 0..v {
            for bx in 0..h {
                let at = (my * v + by) * per_row + mx * h + bx;
                let block = &self.blocks[k][at * 64..at * 64 + 64];
                encode_block(w, block, self.ends[k][at], prediction, dc, ac);
            }
        }
    }
}

/// The zigzag index of each position of an 8×8 block (row × 8 + column).
const ZIGZAG: [u8; 64] = [
    0, 1, 5, 6, 14, 15, 27, 28, 2, 4, 7, 13, 16, 26, 29, 42, 3, 8, 12, 17, 25, 30, 41, 43, 9, 11, 18, 24, 31, 40, 44,
    53, 10, 19, 23, 32, 39, 45, 52, 54, 20, 22, 33, 38, 46, 51, 55, 60, 21, 34, 37, 47, 50, 56, 59, 61, 35, 36, 48, 49,
    57, 58, 62, 63,
];

/// The inverse DCT of a block's lowest `N`×`N` frequencies onto `N`×`N` samples: the block at `N`/8 of its size
/// (libjpeg's DCT scaling), indexed [frequency u][sample x]. Each axis is `½·C(u)·cos((2x+1)uπ/2N)` whatever
/// `N`, so that the mean is kept.
fn idct_matrix<const N: usize>() -> [[f32; N]; N] {
    let mut m = [[0f32; N]; N];
    for (u, row) in m.iter_mut().enumerate() {
        for (x, v) in row.iter_mut().enumerate() {
            let c = if u == 0 { std::f64::consts::FRAC_1_SQRT_2 } else { 1.0 };
            *v = (0.5 * c * ((2 * x + 1) as f64 * u as f64 * std::f64::consts::PI / (2 * N) as f64).cos()) as f32;
        }
    }
    m
}

/// One block's samples at `N`/8 scale into `out` (`stride` apart), dequantised by `q` (zigzag order); `end`
/// is one past the block's last coefficient that is not zero.
fn idct_scaled<const N: usize>(block: &[i16], end: u8, q: &[u8; 64], m: &[[f32; N]; N], out: &mut [u8], stride: usize) {
    if end <= 1 {
        // A flat block (most of them, in smooth areas and in chroma).
        let value = (f32::from(block[0]) * f32::from(q[0]) / 8.0 + 128.5).clamp(0.0, 255.0) as u8;
        for y in 0..N {
            out[y * stride..y * stride + N].fill(value);
        }
        return;
    }
    // The first 10 coefficients of the zigzag order are all within the lowest 4×4 frequencies.
    if N == 4 || end <= 10 {
        idct_frequencies::<N, 4>(block, q, m, out, stride);
    } else {
        idct_frequencies::<N, 8>(block, q, m, out, stride);
    }
}

/// [`idct_scaled`] from the lowest `K`×`K` frequencies, in fixed-size loops that the compiler unrolls and
/// vectorises.
#[inline(always)]
fn idct_frequencies<const N: usize, const K: usize>(
    block: &[i16],
    q: &[u8; 64],
    m: &[[f32; N]; N],
    out: &mut [u8],
    stride: usize,
) {
    let mut f = [[0f32; K]; K];
    for (v, row) in f.iter_mut().enumerate() {
        for (u, x) in row.iter_mut().enumerate() {
            let z = usize::from(ZIGZAG[v * 8 + u]);
            *x = f32::from(block[z]) * f32::from(q[z]);
        }
    }
    // Rows, then columns; `m` is indexed [frequency][sample].
    let mut t = [[0f32; N]; K];
    for (tv, fv) in t.iter_mut().zip(&f) {
        for (&c, mu) in fv.iter().zip(m) {
            for (tx, &mx) in tv.iter_mut().zip(mu) {
                *tx += mx * c;
            }
        }
    }
    // + ½ in the start value and truncation: rounding without a call to `roundf` (not an instruction on
    // baseline x86-64).
    let mut acc = [[128.5f32; N]; N];
    for (tv, mv) in t.iter().zip(m) {
        for (row, &my) in acc.iter_mut().zip(mv) {
            for (a, &tx) in row.iter_mut().zip(tv) {
                *a += my * tx;
            }
        }
    }
    for (y, row) in acc.iter().enumerate() {
        for (o, &a) in out[y * stride..y * stride + N].iter_mut().zip(row) {
            *o = a.clamp(0.0, 255.0) as u8;
        }
    }
}

impl Band {
    /// This band at half the size, as 8-bit RGB straight from the coefficients (each block's inverse DCT
    /// at the size the half-size image needs, then YCbCr to RGB as JFIF defines it): `(width, rows, pixels)`,
    /// `⌈w/2⌉` wide and half the band's MCU rows tall (the caller drops rows past `⌈h/2⌉`). Chroma stored at
    /// half resolution comes out at its own resolution, with no upsampling.
    pub fn half_rgb(&self) -> (u32, u32, Vec<u8>) {
        let f = &self.frame;
        let (hmax, vmax) = (f.mcu_width as usize / 8, f.mcu_height as usize / 8);
        let plane_w = f.mcus_x as usize * 4 * hmax;
        let plane_h = self.rows as usize * 4 * vmax;
        let m4 = idct_matrix::<4>();
        let m8 = idct_matrix::<8>();
        // Components over the rayon pool (the band is otherwise one task while the next band is read).
        let planes: Vec<Vec<u8>> = f
            .components
            .par_iter()
            .zip(self.blocks.par_iter().zip(self.ends.par_iter()))
            .map(|(c, (blocks, ends))| {
                let (h, v) = (usize::from(c.h), usize::from(c.v));
                // Samples a block gives at half size: 4 where the component is at full resolution, 8 where it
                // is stored at half.
                let (n_x, n_y) = (4 * hmax / h, 4 * vmax / v);
                let q = f.qtables[usize::from(c.tq)].as_ref().expect("checked when opened");
                let per_row = f.mcus_x as usize * h;
                let mut plane = vec![0u8; plane_w * plane_h];
                for (i, (block, &end)) in blocks.chunks_exact(64).zip(ends).enumerate() {
                    let (bx, by) = (i % per_row, i / per_row);
                    let at = by * n_y * plane_w + bx * n_x;
                    match (n_x, n_y) {
                        (4, 4) => idct_scaled::<4>(block, end, q, &m4, &mut plane[at..], plane_w),
                        (8, 8) => idct_scaled::<8>(block, end, q, &m8, &mut plane[at..], plane_w),
                        // 4:2:2 or 4:4:0 chroma: the 8×8 samples, each pair along the full-resolution axis
                        // averaged.
                        _ => {
                            let mut full = [0u8; 64];
                            idct_scaled::<8>(block, end, q, &m8, &mut full, 8);
                            let (sx, sy) = (8 / n_x, 8 / n_y);
                            for y in 0..n_y {
                                for x in 0..n_x {
                                    let (a, b) =
                                        (full[y * sy * 8 + x * sx], full[(y * sy + sy - 1) * 8 + x * sx + sx - 1]);
                                    plane[at + y * plane_w + x] = (u16::from(a) + u16::from(b)).div_ceil(2) as u8;
                                }
                            }
                        }
                    }
                }
                plane
            })
            .collect();
        let width = f.width.div_ceil(2) as usize;
        let mut rgb = vec![0u8; width * plane_h * 3];
        rgb.par_chunks_exact_mut(width * 3).enumerate().for_each(|(y, out)| {
            let row = |k: usize| &planes[k][y * plane_w..y * plane_w + width];
            if planes.len() == 1 {
                for (o, &l) in out.chunks_exact_mut(3).zip(row(0)) {
                    o.fill(l);
                }
                return;
            }
            for (o, ((&l, &cb), &cr)) in out.chunks_exact_mut(3).zip(row(0).iter().zip(row(1)).zip(row(2))) {
                // libjpeg's fixed point (16 fraction bits) for JFIF's YCbCr.
                let (l, cb, cr) = (i32::from(l), i32::from(cb) - 128, i32::from(cr) - 128);
                let r = l + ((91_881 * cr + 32_768) >> 16);
                let g = l + ((-22_554 * cb - 46_802 * cr + 32_768) >> 16);
                let b = l + ((116_130 * cb + 32_768) >> 16);
                o[0] = r.clamp(0, 255) as u8;
                o[1] = g.clamp(0, 255) as u8;
                o[2] = b.clamp(0, 255) as u8;
            }
        });
        (width as u32, plane_h as u32, rgb)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(width: u32, height: u32, quality: u8) -> (image::RgbImage, Vec<u8>) {
        let img = image::RgbImage::from_fn(width, height, |x, y| {
            let v = ((x * 7 + y * 3) ^ (x * y / 5)) as u8;
            image::Rgb([
                v,
                v.wrapping_mul(3) ^ (y as u8),
                (x as u8).wrapping_add((y as u8).wrapping_mul(2)),
            ])
        });
        let bytes = crate::jpeg::encode_rgb(img.as_raw(), width, height, quality).unwrap();
        (img, bytes)
    }

    fn decode(bytes: &[u8]) -> image::RgbImage {
        crate::decode_rgb8(bytes, &crate::DecodeLimits::textures())
            .unwrap()
            .image
    }

    #[test]
    fn the_standard_tables_are_what_libjpeg_writes() {
        // Quality 90 and up keeps 4:4:4; under it 4:2:0 — both cut.
        for quality in [75, 92] {
            let (_, bytes) = jpeg(64, 48, quality);
            let blocks = JpegBlocks::open(&bytes, 16).unwrap();
            assert_eq!(blocks.frame().luma_quantisation(), standard_luma_quantisation(quality));
        }
    }

    #[test]
    fn a_tile_decodes_to_the_pixels_of_the_whole() {
        for quality in [75, 92] {
            let (_, bytes) = jpeg(100, 70, quality);
            let whole = decode(&bytes);
            let mut blocks = JpegBlocks::open(&bytes, 32).unwrap();
            let mut y = 0;
            while blocks.rows_left() > 0 {
                let band = blocks.read_band(32 / blocks.frame().mcu_height(), None).unwrap();
                let h = 32.min(70 - y);
                for x in (0..100).step_by(32) {
                    let w = 32.min(100 - x);
                    let tile = decode(&band.encode_tile(x, w, h).unwrap());
                    assert_eq!(tile.dimensions(), (w, h));
                    // Inside the tile, away from edges that 4:2:0's smooth upsampling blends with the
                    // neighbour's chroma, the pixels are the whole image's exactly.
                    let m = if quality < 90 { 2 } else { 0 };
                    for ty in m..h.saturating_sub(m) {
                        for tx in m..w.saturating_sub(m) {
                            assert_eq!(
                                tile.get_pixel(tx, ty),
                                whole.get_pixel(x + tx, y + ty),
                                "q{quality} ({x}+{tx}, {y}+{ty})"
                            );
                        }
                    }
                }
                y += h;
            }
            assert_eq!(y, 70);
        }
    }

    #[test]
    fn what_cannot_be_cut_exactly_is_refused() {
        let (_, bytes) = jpeg(64, 48, 75);
        // 4:2:0's 16-pixel MCU does not divide 24-pixel tiles.
        assert!(JpegBlocks::open(&bytes, 24).is_none());
        // Cut short: no end marker.
        assert!(JpegBlocks::open(&bytes[..bytes.len() / 2], 16).is_none());
        assert!(JpegBlocks::open(b"not a jpeg", 16).is_none());
    }

    #[test]
    fn data_that_ends_early_is_an_error_not_a_panic() {
        let (_, bytes) = jpeg(256, 256, 92);
        let mut short = bytes[..bytes.len() / 2].to_vec();
        short.extend_from_slice(&[0xFF, 0xD9]);
        let mut blocks = JpegBlocks::open(&short, 64).unwrap();
        let mut error = None;
        while blocks.rows_left() > 0 && error.is_none() {
            error = blocks.read_band(8, None).err();
        }
        assert!(error.unwrap().contains("ends early"));
    }

    #[test]
    fn a_tile_whose_first_difference_the_source_tables_cannot_code_is_coded_with_the_standard_ones() {
        // Mid grey at the left edge, brightening smoothly to the right: tables optimised for this image code
        // only small DC differences, but the first block of the right-hand tile differs from 0 by a lot. One
        // row of MCUs (4:4:4 at quality 90), so that the left-hand tile starts as the source does.
        let (w, h) = (1024u32, 8u32);
        let img = image::RgbImage::from_fn(w, h, |x, _| {
            let v = (128 + x * 127 / w) as u8;
            image::Rgb([v, v, v])
        });
        let bytes = crate::jpeg::libjpeg(|| {
            let mut c = mozjpeg::Compress::new(mozjpeg::ColorSpace::JCS_RGB);
            c.set_fastest_defaults();
            c.set_size(w as usize, h as usize);
            c.set_quality(90.0);
            c.set_optimize_coding(true);
            let mut started = c.start_compress(Vec::new())?;
            started.write_scanlines(img.as_raw())?;
            started.finish()
        })
        .unwrap();
        let whole = decode(&bytes);
        let mut blocks = JpegBlocks::open(&bytes, 512).unwrap();
        let band = blocks.read_band(512, None).unwrap();
        let standard_dc = {
            let mut v = vec![0x00];
            v.extend_from_slice(&DC_LUMA_COUNTS);
            v
        };
        let has_standard_tables = |jpeg: &[u8]| jpeg.windows(standard_dc.len()).any(|win| win == standard_dc);
        let left = band.encode_tile(0, 512, h).unwrap();
        let right = band.encode_tile(512, 512, h).unwrap();
        assert!(
            !has_standard_tables(&left),
            "the left tile copies the source's data and tables"
        );
        assert!(
            has_standard_tables(&right),
            "the right tile falls back to the standard tables"
        );
        for (x, jpeg) in [(0, left), (512, right)] {
            let tile = decode(&jpeg);
            for (tx, ty, p) in tile.enumerate_pixels() {
                if (2..510).contains(&tx) {
                    assert_eq!(p, whole.get_pixel(x + tx, ty));
                }
            }
        }
    }
}
