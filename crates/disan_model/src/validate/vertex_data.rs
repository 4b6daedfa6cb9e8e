//! Vertex data as the Khronos validator checks it element by element (`validate_accessors.dart`): unit
//! normals and tangents, tangent signs, primitive-restart index values, and skin influences (joint indices
//! within the skin, no joint twice in a vertex, weights not negative and summing to one).

#[allow(clippy::wildcard_imports)]
use super::*;

/// Khronos's tolerance on the length of a unit vector (`unitLengthThresholdVec3`).
const UNIT_LENGTH: f64 = 0.00674;

impl Ctx<'_> {
    /// An accessor's components as stored, when it has data of its own (a bufferView): Khronos checks no
    /// element of an accessor that is all zeros.
    pub(super) fn stored(&self, a: usize) -> Option<Vec<f64>> {
        self.accessor_field(a, "bufferView")?;
        read_accessor(
            self.root,
            &|v| view_bytes(self.root, &self.buffers, &self.decoded, v),
            a,
        )
    }

    /// [`Self::stored`] with normalised integers mapped to floats as glTF says (`max(c / MAX, -1)`).
    pub(super) fn stored_floats(&self, a: usize) -> Option<Vec<f64>> {
        let scale = match (
            self.accessor_field(a, "normalized").and_then(Value::as_bool) == Some(true),
            self.accessor_field(a, "componentType").and_then(Value::as_u64),
        ) {
            (true, Some(5120)) => 127.0,
            (true, Some(5121)) => 255.0,
            (true, Some(5122)) => 32767.0,
            (true, Some(5123)) => 65535.0,
            _ => 1.0,
        };
        Some(self.stored(a)?.into_iter().map(|v| (v / scale).max(-1.0)).collect())
    }

    /// Components per element of an accessor.
    fn width(&self, a: usize) -> Option<usize> {
        component_count(self.accessor_field(a, "type")?.as_str()?)
    }

    pub(super) fn vertex_data(&mut self) {
        // The fewest joints among the skins of the nodes that draw each mesh.
        let mut max_joint: HashMap<usize, usize> = HashMap::new();
        for node in self.array("nodes") {
            let (Some(mesh), Some(skin)) = (
                node.get("mesh").and_then(Value::as_u64),
                node.get("skin")
                    .and_then(Value::as_u64)
                    .and_then(|s| self.array("skins").get(s as usize)),
            ) else {
                continue;
            };
            let joints = skin.get("joints").and_then(Value::as_array).map_or(0, Vec::len);
            let e = max_joint.entry(mesh as usize).or_insert(usize::MAX);
            *e = (*e).min(joints.saturating_sub(1));
        }
        let meshes = self.array("meshes").to_vec();
        for (m, mesh) in meshes.iter().enumerate() {
            for (pi, prim) in items(mesh, "primitives").enumerate() {
                let pp = format!("/meshes/{m}/primitives/{pi}");
                let attr = |name: &str| {
                    prim.pointer(&format!("/attributes/{name}"))
                        .and_then(Value::as_u64)
                        .map(|a| a as usize)
                };
                for name in ["NORMAL", "TANGENT"] {
                    let Some((v, n)) = attr(name).and_then(|a| Some((self.stored_floats(a)?, self.width(a)?))) else {
                        continue;
                    };
                    if n < 3 {
                        continue;
                    }
                    let at = format!("{pp}/attributes/{name}");
                    if v.chunks_exact(n)
                        .any(|e| ((e[0] * e[0] + e[1] * e[1] + e[2] * e[2]).sqrt() - 1.0).abs() > UNIT_LENGTH)
                    {
                        self.err(
                            "ACCESSOR_VECTOR3_NON_UNIT",
                            at.clone(),
                            "Vector3 is not of unit length.".into(),
                        );
                    }
                    if name == "TANGENT" && n == 4 && v.chunks_exact(4).any(|e| e[3] != 1.0 && e[3] != -1.0) {
                        self.err(
                            "ACCESSOR_INVALID_SIGN",
                            at,
                            "Invalid XYZW component sign value. Must be 1.0 or -1.0.".into(),
                        );
                    }
                }
                if let Some(ind) = prim.get("indices").and_then(Value::as_u64).map(|i| i as usize)
                    && let Some(restart) = match self.accessor_field(ind, "componentType").and_then(Value::as_u64) {
                        Some(5121) => Some(255.0),
                        Some(5123) => Some(65535.0),
                        Some(5125) => Some(4_294_967_295.0),
                        _ => None,
                    }
                    && let Some(values) = self.stored(ind)
                    && values.contains(&restart)
                {
                    self.err(
                        "ACCESSOR_INDEX_PRIMITIVE_RESTART",
                        format!("{pp}/indices"),
                        "Indices accessor contains primitive restart value.".into(),
                    );
                }
                self.influences(prim, &pp, max_joint.get(&m).copied());
            }
        }
    }

    fn influences(&mut self, prim: &Value, pp: &str, max_joint: Option<usize>) {
        let Some(max_joint) = max_joint else { return };
        let mut sets = Vec::new();
        for i in 0.. {
            let (Some(j), Some(w)) = (
                prim.pointer(&format!("/attributes/JOINTS_{i}")).and_then(Value::as_u64),
                prim.pointer(&format!("/attributes/WEIGHTS_{i}"))
                    .and_then(Value::as_u64),
            ) else {
                break;
            };
            let (Some((jv, 4)), Some((wv, 4))) = (
                self.stored(j as usize).zip(self.width(j as usize)),
                self.stored_floats(w as usize).zip(self.width(w as usize)),
            ) else {
                return;
            };
            sets.push((jv, wv));
        }
        let Some(vertices) = sets.iter().map(|(j, w)| j.len().min(w.len()) / 4).min() else {
            return;
        };
        let mut found: BTreeSet<(&str, usize)> = BTreeSet::new();
        for v in 0..vertices {
            let mut seen = BTreeSet::new();
            let mut sum = 0f32;
            let mut threshold = 0f64;
            for c in 0..4 {
                for (i, (jv, wv)) in sets.iter().enumerate() {
                    let joint = jv[v * 4 + c];
                    if joint > max_joint as f64 {
                        found.insert(("ACCESSOR_JOINTS_INDEX_OOB", i));
                        continue;
                    }
                    let w = wv[v * 4 + c];
                    if w != 0.0 {
                        let unique = seen.insert(joint as u64);
                        if !unique {
                            found.insert(("ACCESSOR_JOINTS_INDEX_DUPLICATE", i));
                        }
                        if w < 0.0 {
                            found.insert(("ACCESSOR_WEIGHTS_NEGATIVE", i));
                        } else if unique {
                            sum += w as f32;
                            threshold += 2e-7;
                        }
                    }
                }
            }
            if (f64::from(sum) - 1.0).abs() > threshold {
                for i in 0..sets.len() {
                    found.insert(("ACCESSOR_WEIGHTS_NON_NORMALIZED", i));
                }
            }
        }
        for (code, i) in found {
            let set = if code.starts_with("ACCESSOR_JOINTS") {
                "JOINTS"
            } else {
                "WEIGHTS"
            };
            self.err(
                code,
                format!("{pp}/attributes/{set}_{i}"),
                format!("Invalid skin influence ({code})."),
            );
        }
    }
}
