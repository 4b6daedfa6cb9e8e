//! Skins as the Khronos validator links them (`lib/src/base/skin.dart`, `node.dart`). Disan shows skinned
//! meshes in their bind pose, but an invalid skin still makes an invalid file: joints with a common root, a
//! skeleton among those roots, inverse bind matrices (format, byteStride, count, last row), and a skinned
//! node whose mesh has joints.

#[allow(clippy::wildcard_imports)]
use super::*;

impl Ctx<'_> {
    pub(super) fn skins(&mut self) {
        let nodes = self.array("nodes").to_vec();
        let mut parent: Vec<Option<usize>> = vec![None; nodes.len()];
        for (i, n) in nodes.iter().enumerate() {
            for c in n.get("children").and_then(Value::as_array).into_iter().flatten() {
                if let Some(c) = c.as_u64().map(|c| c as usize)
                    && c < nodes.len()
                    && parent[c].is_none()
                {
                    parent[c] = Some(i);
                }
            }
        }
        let skins = self.array("skins").to_vec();
        let mut skin_roots: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); skins.len()];
        for (si, skin) in skins.iter().enumerate() {
            let sp = format!("/skins/{si}");
            let joints: Vec<usize> = skin
                .get("joints")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|j| j.as_u64().map(|j| j as usize))
                .collect();
            let mut roots: Option<BTreeSet<usize>> = None;
            let mut any_joints = false;
            // An empty list is EMPTY_ENTITY and nothing more, as for Khronos.
            if skin
                .get("joints")
                .and_then(Value::as_array)
                .is_some_and(|j| !j.is_empty())
            {
                for &j in joints.iter().filter(|&&j| j < nodes.len()) {
                    any_joints = true;
                    let mut chain = BTreeSet::new();
                    let mut at = Some(j);
                    while let Some(n) = at {
                        if !chain.insert(n) {
                            break;
                        }
                        at = parent[n];
                    }
                    roots = Some(match roots {
                        None => chain,
                        Some(r) => r.intersection(&chain).copied().collect(),
                    });
                }
                if !any_joints || roots.as_ref().is_some_and(BTreeSet::is_empty) {
                    self.err(
                        "SKIN_NO_COMMON_ROOT",
                        format!("{sp}/joints"),
                        "Joints do not have a common root.".into(),
                    );
                }
            }
            skin_roots[si] = roots.clone().unwrap_or_default();
            if let Some(ibm) = skin
                .get("inverseBindMatrices")
                .and_then(Value::as_u64)
                .map(|i| i as usize)
                && self.array("accessors").get(ibm).is_some()
            {
                let at = format!("{sp}/inverseBindMatrices");
                let stride = self
                    .accessor_field(ibm, "bufferView")
                    .and_then(Value::as_u64)
                    .and_then(|v| self.array("bufferViews").get(v as usize))
                    .is_some_and(|v| v.get("byteStride").is_some());
                if stride {
                    self.err(
                        "SKIN_IBM_ACCESSOR_WITH_BYTESTRIDE",
                        at.clone(),
                        "bufferView.byteStride must not be defined for buffer views used by inverse bind matrices accessors.".into(),
                    );
                }
                let format_ok = self.accessor_field(ibm, "type").and_then(Value::as_str) == Some("MAT4")
                    && self.accessor_field(ibm, "componentType").and_then(Value::as_u64) == Some(5126)
                    && self.accessor_field(ibm, "normalized").and_then(Value::as_bool) != Some(true);
                if !format_ok {
                    self.err(
                        "SKIN_IBM_INVALID_FORMAT",
                        at.clone(),
                        "Invalid IBM accessor format. Must be one of ('{MAT4, FLOAT}').".into(),
                    );
                } else if let Some(m) = self.stored(ibm)
                    && m.chunks_exact(16)
                        .any(|m| m[3] != 0.0 || m[7] != 0.0 || m[11] != 0.0 || m[15] != 1.0)
                {
                    self.err(
                        "ACCESSOR_INVALID_IBM",
                        at.clone(),
                        "Matrix element is not a valid inverse bind matrix: its last row must be (0, 0, 0, 1).".into(),
                    );
                }
                let count = self.accessor_field(ibm, "count").and_then(Value::as_u64).unwrap_or(0);
                if skin.get("joints").is_some() && (count as usize) < joints.len() {
                    self.err(
                        "INVALID_IBM_ACCESSOR_COUNT",
                        at,
                        format!("Accessor of count {} expected. Found {count}.", joints.len()),
                    );
                }
            }
            if let Some(skeleton) = skin.get("skeleton").and_then(Value::as_u64).map(|s| s as usize)
                && skeleton < nodes.len()
                && !roots.as_ref().is_some_and(|r| r.contains(&skeleton))
            {
                self.err(
                    "SKIN_SKELETON_INVALID",
                    format!("{sp}/skeleton"),
                    "Skeleton node is not a common root.".into(),
                );
            }
        }
        // A skinned node must be in every scene its skeleton's top root is in.
        let mut scenes_of: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); nodes.len()];
        for (s, scene) in self.array("scenes").iter().enumerate() {
            let mut stack: Vec<usize> = scene
                .get("nodes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|n| n.as_u64().map(|n| n as usize))
                .filter(|&n| n < nodes.len())
                .collect();
            while let Some(n) = stack.pop() {
                if !scenes_of[n].insert(s) {
                    continue;
                }
                for c in nodes[n].get("children").and_then(Value::as_array).into_iter().flatten() {
                    if let Some(c) = c.as_u64().map(|c| c as usize).filter(|&c| c < nodes.len()) {
                        stack.push(c);
                    }
                }
            }
        }
        for (i, n) in nodes.iter().enumerate() {
            let Some(skin) = n
                .get("skin")
                .and_then(Value::as_u64)
                .map(|s| s as usize)
                .filter(|&s| s < skins.len())
            else {
                continue;
            };
            if n.get("mesh").is_none() {
                continue;
            }
            if let Some(top) = skin_roots[skin].iter().find(|&&r| parent[r].is_none())
                && !scenes_of[i].is_subset(&scenes_of[*top])
            {
                self.err(
                    "NODE_SKIN_NO_SCENE",
                    format!("/nodes/{i}"),
                    "A node with a skinned mesh is used in a scene that does not contain joint nodes.".into(),
                );
            }
        }
        // A node's morph weights match its mesh's targets.
        for (i, n) in nodes.iter().enumerate() {
            if let Some(w) = n.get("weights").and_then(Value::as_array)
                && let Some(first) = n
                    .get("mesh")
                    .and_then(Value::as_u64)
                    .and_then(|m| self.array("meshes").get(m as usize))
                    .and_then(|m| m.pointer("/primitives/0"))
                && first.get("targets").and_then(Value::as_array).map(Vec::len) != Some(w.len())
            {
                self.err(
                    "NODE_WEIGHTS_INVALID",
                    format!("/nodes/{i}/weights"),
                    "The length of weights array does not match the number of morph targets.".into(),
                );
            }
        }
        // A skinned node's mesh must have joints in some primitive.
        for (i, n) in nodes.iter().enumerate() {
            let (Some(_), Some(mesh)) = (
                n.get("skin")
                    .and_then(Value::as_u64)
                    .filter(|&s| (s as usize) < skins.len()),
                n.get("mesh")
                    .and_then(Value::as_u64)
                    .and_then(|m| self.array("meshes").get(m as usize)),
            ) else {
                continue;
            };
            let skinned = mesh
                .get("primitives")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .any(|p| {
                    let attrs = p.get("attributes").and_then(Value::as_object);
                    let has = |k: &str| attrs.is_some_and(|a| a.contains_key(k));
                    has("JOINTS_0") && has("WEIGHTS_0")
                });
            if !skinned {
                self.err(
                    "NODE_SKIN_WITH_NON_SKINNED_MESH",
                    format!("/nodes/{i}"),
                    "Node has skin defined, but mesh has no joints data.".into(),
                );
            }
        }
    }
}
