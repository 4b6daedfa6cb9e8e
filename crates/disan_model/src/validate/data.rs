//! Accessors and their data: component types and layouts, buffer view bounds and strides, sparse
//! accessors, min/max against the data, NaN and infinity, index values.

#[allow(clippy::wildcard_imports)]
use super::*;

/// Component byte size.
pub(crate) fn component_size(ct: u64) -> Option<usize> {
    match ct {
        5120 | 5121 => Some(1),
        5122 | 5123 => Some(2),
        5125 | 5126 => Some(4),
        _ => None,
    }
}

/// Components per element.
pub(crate) fn component_count(ty: &str) -> Option<usize> {
    match ty {
        "SCALAR" => Some(1),
        "VEC2" => Some(2),
        "VEC3" => Some(3),
        "VEC4" | "MAT2" => Some(4),
        "MAT3" => Some(9),
        "MAT4" => Some(16),
        _ => None,
    }
}

/// Byte layout of one element: (padded size, size of the last element, column stride for matrices).
pub(crate) fn element_layout(ty: &str, cs: usize) -> Option<(usize, usize)> {
    let cols = match ty {
        "MAT2" => 2,
        "MAT3" => 3,
        "MAT4" => 4,
        other => {
            let n = component_count(other)? * cs;
            return Some((n, n));
        }
    };
    let col = (cols * cs).next_multiple_of(4);
    Some((cols * col, (cols - 1) * col + cols * cs))
}

/// The most components an accessor without a bufferView (zeros plus sparse values) may have: 16M, 128 MiB
/// as f64.
pub(super) const MAX_ZERO_FILLED_COMPONENTS: usize = 1 << 24;

/// Reads an accessor's components as f64, raw (not normalised), row after row; matrix columns are
/// unpadded. `None` when its data cannot be read.
pub(crate) fn read_accessor<'b>(
    doc_json: &Value,
    views: &dyn Fn(usize) -> Option<&'b [u8]>,
    index: usize,
) -> Option<Vec<f64>> {
    let acc = doc_json.get("accessors")?.get(index)?;
    let ct = acc.get("componentType")?.as_u64()?;
    let ty = acc.get("type")?.as_str()?;
    let count = acc.get("count")?.as_u64()? as usize;
    let cs = component_size(ct)?;
    let n = component_count(ty)?;
    let (padded, span) = element_layout(ty, cs)?;
    let total = count.checked_mul(n)?;
    let mut out = Vec::new();
    if let Some(view_index) = acc.get("bufferView").and_then(Value::as_u64) {
        let view = doc_json.get("bufferViews")?.get(view_index as usize)?;
        let data = views(view_index as usize)?;
        let stride = view
            .get("byteStride")
            .and_then(Value::as_u64)
            .map_or(padded, |s| s as usize);
        let offset = acc.get("byteOffset").and_then(Value::as_u64).unwrap_or(0) as usize;
        // The view must hold every element before anything is allocated: a count is only a claim.
        if stride < span
            || count.checked_sub(1).map_or(Some(0), |last| {
                offset.checked_add(last.checked_mul(stride)?)?.checked_add(span)
            })? > data.len()
        {
            return None;
        }
        out.try_reserve_exact(total).ok()?;
        let rows = if n == 4 && ty == "MAT2" || n == 9 || n == 16 {
            (n as f64).sqrt() as usize
        } else {
            n
        };
        let cols = n / rows;
        let col_stride = if cols > 1 { (rows * cs).next_multiple_of(4) } else { 0 };
        for e in 0..count {
            let base = offset.checked_add(e.checked_mul(stride)?)?;
            for c in 0..cols {
                for r in 0..rows {
                    let at = base + c * col_stride + r * cs;
                    out.push(read_component(data.get(at..at + cs)?, ct));
                }
            }
        }
    } else {
        // All zeros (with sparse values on top): nothing in the file bounds the count, so a cap does.
        if total > MAX_ZERO_FILLED_COMPONENTS {
            return None;
        }
        out.try_reserve_exact(total).ok()?;
        out.resize(total, 0.0);
    }
    if let Some(sparse) = acc.get("sparse") {
        let scount = sparse.get("count")?.as_u64()? as usize;
        let idx = sparse.get("indices")?;
        let val = sparse.get("values")?;
        let ict = idx.get("componentType")?.as_u64()?;
        let ics = component_size(ict)?;
        let idata = views(idx.get("bufferView")?.as_u64()? as usize)?;
        let ioff = idx.get("byteOffset").and_then(Value::as_u64).unwrap_or(0) as usize;
        let vdata = views(val.get("bufferView")?.as_u64()? as usize)?;
        let voff = val.get("byteOffset").and_then(Value::as_u64).unwrap_or(0) as usize;
        for s in 0..scount {
            let at = ioff + s * ics;
            let target = read_component(idata.get(at..at + ics)?, ict) as usize;
            if target >= count {
                return None;
            }
            for c in 0..n {
                let at = voff + (s * n + c) * cs;
                out[target * n + c] = read_component(vdata.get(at..at + cs)?, ct);
            }
        }
    }
    Some(out)
}

pub(super) fn read_component(b: &[u8], ct: u64) -> f64 {
    match ct {
        5120 => f64::from(b[0] as i8),
        5121 => f64::from(b[0]),
        5122 => f64::from(i16::from_le_bytes([b[0], b[1]])),
        5123 => f64::from(u16::from_le_bytes([b[0], b[1]])),
        5125 => f64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        _ => f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
    }
}

impl Document {
    /// The bytes of a bufferView (decoded if meshopt-compressed).
    pub fn view(&self, index: usize) -> Option<&[u8]> {
        view_bytes(&self.json, &self.buffers, &self.decoded_views, index)
    }

    /// An accessor's raw components (see [`read_accessor`]).
    pub fn accessor(&self, index: usize) -> Option<Vec<f64>> {
        read_accessor(&self.json, &|v| self.view(v), index)
    }
}

pub(super) fn view_bytes<'a>(
    json: &Value,
    buffers: &'a [Option<Vec<u8>>],
    decoded: &'a HashMap<usize, Vec<u8>>,
    index: usize,
) -> Option<&'a [u8]> {
    if let Some(d) = decoded.get(&index) {
        return Some(d);
    }
    let view = json.get("bufferViews")?.get(index)?;
    let buffer = buffers.get(view.get("buffer")?.as_u64()? as usize)?.as_ref()?;
    let offset = view.get("byteOffset").and_then(Value::as_u64).unwrap_or(0) as usize;
    let len = view.get("byteLength")?.as_u64()? as usize;
    buffer.get(offset..offset.checked_add(len)?)
}

impl Ctx<'_> {
    pub(super) fn view_len(&self, v: usize) -> Option<u64> {
        self.array("bufferViews").get(v)?.get("byteLength")?.as_u64()
    }

    pub(super) fn accessors_layout(&mut self) {
        let accessors = self.array("accessors").to_vec();
        for (i, a) in accessors.iter().enumerate() {
            let p = format!("/accessors/{i}");
            let (Some(ct), Some(ty), Some(count)) = (
                a.get("componentType").and_then(Value::as_u64),
                a.get("type").and_then(Value::as_str),
                a.get("count").and_then(Value::as_u64),
            ) else {
                continue;
            };
            let (Some(cs), Some((padded, last))) = (
                component_size(ct),
                component_size(ct).and_then(|cs| element_layout(ty, cs)),
            ) else {
                continue;
            };
            let Some(view_index) = a.get("bufferView").and_then(Value::as_u64).map(|v| v as usize) else {
                continue;
            };
            let Some(view) = self.array("bufferViews").get(view_index).cloned() else {
                continue;
            };
            let offset = a.get("byteOffset").and_then(Value::as_u64).unwrap_or(0);
            let view_offset = view.get("byteOffset").and_then(Value::as_u64).unwrap_or(0);
            if ty.starts_with("MAT") && cs < 4 && offset % 4 != 0 {
                self.err(
                    "ACCESSOR_MATRIX_ALIGNMENT",
                    format!("{p}/byteOffset"),
                    "Matrix accessors must be aligned to 4-byte boundaries.".into(),
                );
            } else if offset % cs as u64 != 0 {
                self.err(
                    "ACCESSOR_OFFSET_ALIGNMENT",
                    format!("{p}/byteOffset"),
                    format!("Offset {offset} is not a multiple of componentType length {cs}."),
                );
            }
            if (offset + view_offset) % cs as u64 != 0 {
                self.err(
                    "ACCESSOR_TOTAL_OFFSET_ALIGNMENT",
                    p.clone(),
                    format!(
                        "Accessor's total byteOffset {} isn't a multiple of componentType length {cs}.",
                        offset + view_offset
                    ),
                );
            }
            let stride = view.get("byteStride").and_then(Value::as_u64);
            if let Some(s) = stride
                && (s as usize) < padded
            {
                self.err(
                    "ACCESSOR_SMALL_BYTESTRIDE",
                    p.clone(),
                    format!(
                        "Referenced bufferView's byteStride value {s} is less than accessor element's length {padded}."
                    ),
                );
            }
            let step = stride.unwrap_or(padded as u64);
            let length = step.saturating_mul(count.saturating_sub(1)).saturating_add(last as u64);
            if let Some(vlen) = self.view_len(view_index)
                && offset.saturating_add(length) > vlen
            {
                let at = if offset >= vlen {
                    format!("{p}/byteOffset")
                } else {
                    p.clone()
                };
                self.err(
                    "ACCESSOR_TOO_LONG",
                    at,
                    format!("Accessor (offset: {offset}, length: {length}) does not fit referenced bufferView [{view_index}] length {vlen}."),
                );
            }
        }
    }

    pub(super) fn accessor_field(&self, i: usize, key: &str) -> Option<&Value> {
        self.array("accessors").get(i)?.get(key)
    }

    pub(super) fn accessor_data(&mut self) {
        let accessors = self.array("accessors").to_vec();
        // Which accessors are colours, and the vertex count each indices accessor may address.
        let mut colours = Vec::new();
        let mut index_uses = Vec::new();
        for (m, mesh) in self.array("meshes").iter().enumerate() {
            for (pi, prim) in items(mesh, "primitives").enumerate() {
                let pp = format!("/meshes/{m}/primitives/{pi}");
                let attrs = prim.get("attributes").and_then(Value::as_object);
                let mut vertices: Option<u64> = None;
                for (name, a) in attrs.into_iter().flatten() {
                    let Some(a) = a.as_u64() else { continue };
                    if let Some(c) = self.accessor_field(a as usize, "count").and_then(Value::as_u64) {
                        vertices = Some(vertices.map_or(c, |v| v.min(c)));
                    }
                    // Checked once per accessor, at its first use (as the Khronos validator does).
                    if name.starts_with("COLOR_") && !colours.iter().any(|(c, _)| *c == a as usize) {
                        colours.push((a as usize, format!("{pp}/attributes/{name}")));
                    }
                }
                if let (Some(i), Some(v)) = (prim.get("indices").and_then(Value::as_u64), vertices) {
                    index_uses.push((i as usize, v, format!("{pp}/indices")));
                }
            }
        }
        let errors_before = self.report.issues.num_errors;
        let _ = errors_before;
        for (i, a) in accessors.iter().enumerate() {
            // Without a bufferView or sparse values the data comes from an extension (Draco) or is all
            // zeros; there is nothing of the file's own to check.
            if self.layout_broken(i) || (a.get("bufferView").is_none() && a.get("sparse").is_none()) {
                continue;
            }
            let Some(values) = read_accessor(
                self.root,
                &|v| view_bytes(self.root, &self.buffers, &self.decoded, v),
                i,
            ) else {
                continue;
            };
            let p = format!("/accessors/{i}");
            let ct = a.get("componentType").and_then(Value::as_u64).unwrap_or(5126);
            let n = a
                .get("type")
                .and_then(Value::as_str)
                .and_then(component_count)
                .unwrap_or(1);
            let float = ct == 5126;
            if float {
                for (k, v) in values.iter().enumerate() {
                    if !v.is_finite() {
                        let what = if v.is_nan() {
                            "NaN".to_owned()
                        } else if *v > 0.0 {
                            "Infinity".into()
                        } else {
                            "-Infinity".into()
                        };
                        self.err(
                            "ACCESSOR_INVALID_FLOAT",
                            p.clone(),
                            format!("Accessor element at index {k} is {what}."),
                        );
                    }
                }
            }
            for (key, is_min) in [("min", true), ("max", false)] {
                let Some(declared) = a.get(key).and_then(Value::as_array) else {
                    continue;
                };
                if declared.len() != n {
                    continue;
                }
                for (c, d) in declared.iter().enumerate() {
                    let Some(d) = d.as_f64() else { continue };
                    let d = if float { f64::from(d as f32) } else { d };
                    let column = values.iter().skip(c).step_by(n).copied().filter(|v| v.is_finite());
                    let actual = if is_min {
                        column.clone().fold(f64::INFINITY, f64::min)
                    } else {
                        column.clone().fold(f64::NEG_INFINITY, f64::max)
                    };
                    if !actual.is_finite() {
                        continue;
                    }
                    let fmt = |x: f64| if float { format!("{x:?}") } else { format!("{x}") };
                    let cp = format!("{p}/{key}/{c}");
                    let ((mismatch, word), (out_of_bound, beyond)) = if is_min {
                        (
                            ("ACCESSOR_MIN_MISMATCH", "minimum"),
                            ("ACCESSOR_ELEMENT_OUT_OF_MIN_BOUND", "less than declared minimum"),
                        )
                    } else {
                        (
                            ("ACCESSOR_MAX_MISMATCH", "maximum"),
                            ("ACCESSOR_ELEMENT_OUT_OF_MAX_BOUND", "greater than declared maximum"),
                        )
                    };
                    if actual != d {
                        self.err(
                            mismatch,
                            cp.clone(),
                            format!(
                                "Declared {word} value for this component ({}) does not match actual {word} ({}).",
                                fmt(d),
                                fmt(actual)
                            ),
                        );
                    }
                    let outside = column.filter(|&v| if is_min { v < d } else { v > d }).count();
                    if outside > 0 {
                        self.err(
                            out_of_bound,
                            cp,
                            format!("Accessor contains {outside} element(s) {beyond} value {}.", fmt(d)),
                        );
                    }
                }
            }
            for (acc, pointer) in colours.iter().filter(|(acc, _)| *acc == i) {
                let _ = acc;
                if float {
                    for (k, v) in values.iter().enumerate() {
                        if !(0.0..=1.0).contains(v) && v.is_finite() {
                            self.err(
                                "ACCESSOR_NON_CLAMPED",
                                pointer.clone(),
                                format!("Accessor element at index {k} is not clamped to 0..1 range: {v:?}."),
                            );
                        }
                    }
                }
            }
            for (acc, vertices, pointer) in index_uses.iter().filter(|(acc, _, _)| *acc == i) {
                let _ = acc;
                for (k, v) in values.iter().enumerate() {
                    if *v >= *vertices as f64 {
                        self.err(
                            "ACCESSOR_INDEX_OOB",
                            pointer.clone(),
                            format!(
                                "Indices accessor element at index {k} has value {v} that is greater than the maximum vertex index available ({}).",
                                vertices.saturating_sub(1)
                            ),
                        );
                    }
                }
            }
        }
    }

    /// Whether an accessor's layout was already reported broken (its data is not read).
    pub(super) fn layout_broken(&self, i: usize) -> bool {
        let p = format!("/accessors/{i}");
        self.report.errors().any(|m| {
            m.pointer
                .as_deref()
                .is_some_and(|mp| mp == p || mp.starts_with(&format!("{p}/")))
                && matches!(
                    m.code.as_str(),
                    "ACCESSOR_TOO_LONG"
                        | "UNRESOLVED_REFERENCE"
                        | "UNDEFINED_PROPERTY"
                        | "VALUE_NOT_IN_LIST"
                        | "ACCESSOR_SMALL_BYTESTRIDE"
                )
        })
    }
}
