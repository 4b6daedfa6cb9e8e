//! Animations as the Khronos validator links them (`lib/src/base/animation.dart`). Disan shows relics still
//! and drops animations, but an invalid file is still invalid: sampler input and output accessors (format,
//! bounds, byteStride, counts), channel targets (a node with a matrix, weights without morph targets,
//! duplicate targets), and the input times and rotation outputs in the data.

#[allow(clippy::wildcard_imports)]
use super::*;

const OUTPUT_FORMATS_ROTATION: &[(&str, u64, bool)] = &[
    ("VEC4", 5126, false),
    ("VEC4", 5121, true),
    ("VEC4", 5120, true),
    ("VEC4", 5123, true),
    ("VEC4", 5122, true),
];
const OUTPUT_FORMATS_WEIGHTS: &[(&str, u64, bool)] = &[
    ("SCALAR", 5126, false),
    ("SCALAR", 5121, true),
    ("SCALAR", 5120, true),
    ("SCALAR", 5123, true),
    ("SCALAR", 5122, true),
];

impl Ctx<'_> {
    fn has_stride(&self, a: usize) -> bool {
        self.accessor_field(a, "bufferView")
            .and_then(Value::as_u64)
            .and_then(|v| self.array("bufferViews").get(v as usize))
            .is_some_and(|v| v.get("byteStride").is_some())
    }

    fn accessor_exists(&self, a: Option<u64>) -> Option<usize> {
        let a = a? as usize;
        self.array("accessors").get(a).map(|_| a)
    }

    pub(super) fn animations(&mut self) {
        let animations = self.array("animations").to_vec();
        for (ai, anim) in animations.iter().enumerate() {
            let (Some(samplers), Some(channels)) = (
                anim.get("samplers").and_then(Value::as_array),
                anim.get("channels").and_then(Value::as_array),
            ) else {
                continue;
            };
            let ap = format!("/animations/{ai}");
            for (si, s) in samplers.iter().enumerate() {
                let sp = format!("{ap}/samplers/{si}");
                let cubic = s.get("interpolation").and_then(Value::as_str) == Some("CUBICSPLINE");
                if let Some(input) = self.accessor_exists(s.get("input").and_then(Value::as_u64)) {
                    let at = format!("{sp}/input");
                    if self.has_stride(input) {
                        self.err(
                            "ANIMATION_SAMPLER_ACCESSOR_WITH_BYTESTRIDE",
                            at.clone(),
                            "bufferView.byteStride must not be defined for buffer views used by animation sampler accessors.".into(),
                        );
                    }
                    let format = self.format_of(input);
                    if format
                        .as_ref()
                        .is_some_and(|(t, c, n)| !(t == "SCALAR" && *c == 5126 && !n))
                    {
                        self.err(
                            "ANIMATION_SAMPLER_INPUT_ACCESSOR_INVALID_FORMAT",
                            at.clone(),
                            "Invalid Animation sampler input accessor format. Must be one of ('{SCALAR, FLOAT}')."
                                .into(),
                        );
                    } else if format.is_some() {
                        self.animation_input_data(input, &at);
                    }
                    if self.accessor_field(input, "min").is_none() || self.accessor_field(input, "max").is_none() {
                        self.err(
                            "ANIMATION_SAMPLER_INPUT_ACCESSOR_WITHOUT_BOUNDS",
                            at.clone(),
                            "accessor.min and accessor.max must be defined for animation input accessor.".into(),
                        );
                    }
                    let count = self.accessor_field(input, "count").and_then(Value::as_u64).unwrap_or(0);
                    if cubic && count < 2 {
                        self.err(
                            "ANIMATION_SAMPLER_INPUT_ACCESSOR_TOO_FEW_ELEMENTS",
                            at,
                            format!("Animation sampler with CUBICSPLINE interpolation must have at least 2 elements, got {count}."),
                        );
                    }
                }
                if let Some(output) = self.accessor_exists(s.get("output").and_then(Value::as_u64))
                    && self.has_stride(output)
                {
                    self.err(
                        "ANIMATION_SAMPLER_ACCESSOR_WITH_BYTESTRIDE",
                        format!("{sp}/output"),
                        "bufferView.byteStride must not be defined for buffer views used by animation sampler accessors.".into(),
                    );
                }
            }
            for (ci, ch) in channels.iter().enumerate() {
                let cp = format!("{ap}/channels/{ci}");
                let target = ch.get("target");
                let path = target.and_then(|t| t.get("path")).and_then(Value::as_str);
                let node = target
                    .and_then(|t| t.get("node"))
                    .and_then(Value::as_u64)
                    .and_then(|n| self.array("nodes").get(n as usize).cloned());
                let morph_targets = node
                    .as_ref()
                    .and_then(|n| n.get("mesh"))
                    .and_then(Value::as_u64)
                    .and_then(|m| self.array("meshes").get(m as usize))
                    .and_then(|m| m.pointer("/primitives/0/targets"))
                    .and_then(Value::as_array)
                    .map(Vec::len);
                if let Some(node) = &node {
                    match path {
                        Some("translation" | "rotation" | "scale") if node.get("matrix").is_some() => self.err(
                            "ANIMATION_CHANNEL_TARGET_NODE_MATRIX",
                            format!("{cp}/target"),
                            "Animation channel cannot target TRS properties of a node with defined matrix.".into(),
                        ),
                        Some("weights") if morph_targets.is_none() => self.err(
                            "ANIMATION_CHANNEL_TARGET_NODE_WEIGHTS_NO_MORPHS",
                            format!("{cp}/target"),
                            "Animation channel cannot target WEIGHTS when mesh does not have morph targets.".into(),
                        ),
                        _ => {}
                    }
                }
                let sampler = ch
                    .get("sampler")
                    .and_then(Value::as_u64)
                    .and_then(|s| samplers.get(s as usize));
                if let (Some(sampler), Some(path)) = (sampler, path) {
                    self.channel_output(sampler, path, morph_targets, &format!("{cp}/sampler"));
                }
                for other in &channels[ci + 1..] {
                    let same = |t: Option<&Value>| {
                        t.map(|t| {
                            (
                                t.get("node").cloned(),
                                t.get("path").cloned(),
                                t.get("extensions").cloned(),
                            )
                        })
                    };
                    let aimed = target.is_some_and(|t| t.get("node").is_some() || t.get("extensions").is_some());
                    if aimed && same(target) == same(other.get("target")) {
                        self.err(
                            "ANIMATION_DUPLICATE_TARGETS",
                            format!("{cp}/target"),
                            "Animation channel has the same target as channel.".into(),
                        );
                    }
                }
            }
        }
    }

    fn channel_output(&mut self, sampler: &Value, path: &str, morph_targets: Option<usize>, at: &str) {
        let Some(output) = self.accessor_exists(sampler.get("output").and_then(Value::as_u64)) else {
            return;
        };
        let cubic = sampler.get("interpolation").and_then(Value::as_str) == Some("CUBICSPLINE");
        let allowed: &[(&str, u64, bool)] = match path {
            "translation" | "scale" => &[("VEC3", 5126, false)],
            "rotation" => OUTPUT_FORMATS_ROTATION,
            "weights" => OUTPUT_FORMATS_WEIGHTS,
            _ => &[],
        };
        let format = self.format_of(output);
        if !allowed.is_empty()
            && let Some((t, c, n)) = &format
            && !allowed.iter().any(|(at, ac, an)| at == t && ac == c && an == n)
        {
            self.err(
                "ANIMATION_SAMPLER_OUTPUT_ACCESSOR_INVALID_FORMAT",
                at.to_owned(),
                format!("Invalid animation sampler output accessor format for path '{path}'."),
            );
        }
        let input_count = self
            .accessor_exists(sampler.get("input").and_then(Value::as_u64))
            .and_then(|i| self.accessor_field(i, "count"))
            .and_then(Value::as_u64);
        let output_count = self.accessor_field(output, "count").and_then(Value::as_u64);
        if let (Some(ic), Some(oc)) = (input_count, output_count) {
            let mut expected = ic * if cubic { 3 } else { 1 };
            match path {
                "weights" => expected *= morph_targets.unwrap_or(0) as u64,
                "translation" | "rotation" | "scale" => {}
                _ => expected = 0,
            }
            if expected != 0 && expected != oc {
                self.err(
                    "ANIMATION_SAMPLER_OUTPUT_ACCESSOR_INVALID_COUNT",
                    at.to_owned(),
                    format!("Animation sampler output accessor of count {expected} expected. Found {oc}."),
                );
            }
        }
        if path == "rotation" && format.as_ref().is_some_and(|(t, _, _)| t == "VEC4") {
            self.rotation_output_data(output, cubic, at);
        }
    }

    /// Input times: not negative, strictly increasing.
    fn animation_input_data(&mut self, input: usize, at: &str) {
        let Some(times) = self.stored(input) else {
            return;
        };
        let mut negative = false;
        let mut non_increasing = false;
        for (i, t) in times.iter().enumerate() {
            if *t < 0.0 && !negative {
                negative = true;
                self.err(
                    "ACCESSOR_ANIMATION_INPUT_NEGATIVE",
                    at.to_owned(),
                    format!("Animation input accessor element at index {i} is negative: {t}."),
                );
            }
            if i > 0 && *t <= times[i - 1] && !non_increasing {
                non_increasing = true;
                self.err(
                    "ACCESSOR_ANIMATION_INPUT_NON_INCREASING",
                    at.to_owned(),
                    format!(
                        "Animation input accessor element at index {i} is less than or equal to previous: {t} <= {}.",
                        times[i - 1]
                    ),
                );
            }
        }
    }

    /// Rotation keyframes must be unit quaternions (the tangents of a cubic spline are skipped).
    fn rotation_output_data(&mut self, output: usize, cubic: bool, at: &str) {
        let Some(values) = self.stored_floats(output) else {
            return;
        };
        for (e, q) in values.chunks_exact(4).enumerate() {
            if cubic && e % 3 != 1 {
                continue;
            }
            let len2: f64 = q.iter().map(|c| c * c).sum();
            if (len2.sqrt() - 1.0).abs() > 0.000_5 {
                self.err(
                    "ACCESSOR_ANIMATION_SAMPLER_OUTPUT_NON_NORMALIZED_QUATERNION",
                    at.to_owned(),
                    format!(
                        "Animation sampler output accessor element at index {} is not of unit length: {:.6}.",
                        e * 4,
                        len2.sqrt()
                    ),
                );
                return;
            }
        }
    }
}
