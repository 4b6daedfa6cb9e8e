//! What objects say of each other: meshes and their primitives' attributes, the node hierarchy (loops,
//! parents, matrix or TRS), cameras.

#[allow(clippy::wildcard_imports)]
use super::*;

impl Ctx<'_> {
    pub(super) fn meshes(&mut self) {
        let meshes = self.array("meshes").to_vec();
        for (m, mesh) in meshes.iter().enumerate() {
            let Some(prims) = mesh.get("primitives").and_then(Value::as_array) else {
                continue;
            };
            for (pi, prim) in prims.iter().enumerate() {
                let pp = format!("/meshes/{m}/primitives/{pi}");
                let attrs = prim
                    .get("attributes")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                for (name, a) in &attrs {
                    let Some(a) = a.as_u64().map(|a| a as usize) else {
                        continue;
                    };
                    let ap = format!("{pp}/attributes/{name}");
                    // Known semantics have their own formats (checked in primitives.rs); others may not be u32.
                    let known = matches!(
                        name.split('_').next(),
                        Some("POSITION" | "NORMAL" | "TANGENT" | "TEXCOORD" | "COLOR" | "JOINTS" | "WEIGHTS")
                    );
                    if !known && self.accessor_field(a, "componentType").and_then(Value::as_u64) == Some(5125) {
                        self.err(
                            "MESH_PRIMITIVE_ATTRIBUTES_ACCESSOR_UNSIGNED_INT",
                            ap.clone(),
                            "Mesh attributes cannot use UNSIGNED_INT component type.".into(),
                        );
                    }
                    if let Some(v) = self.accessor_field(a, "bufferView").and_then(Value::as_u64) {
                        let view = self.array("bufferViews").get(v as usize);
                        let total = self
                            .accessor_field(a, "byteOffset")
                            .and_then(Value::as_u64)
                            .unwrap_or(0)
                            + view
                                .and_then(|v| v.get("byteOffset"))
                                .and_then(Value::as_u64)
                                .unwrap_or(0);
                        let stride = view
                            .and_then(|v| v.get("byteStride"))
                            .and_then(Value::as_u64)
                            .unwrap_or(0);
                        if !total.is_multiple_of(4) || !stride.is_multiple_of(4) {
                            self.err(
                                "MESH_PRIMITIVE_ACCESSOR_UNALIGNED",
                                ap.clone(),
                                "Vertex attribute data must be aligned to 4-byte boundaries.".into(),
                            );
                        }
                    }
                    if name == "POSITION"
                        && self.array("accessors").get(a).is_some()
                        && (self.accessor_field(a, "min").is_none() || self.accessor_field(a, "max").is_none())
                    {
                        self.err(
                            "MESH_PRIMITIVE_POSITION_ACCESSOR_WITHOUT_BOUNDS",
                            ap.clone(),
                            "accessor.min and accessor.max must be defined for POSITION attribute accessor.".into(),
                        );
                    }
                }
                if let Some(ind) = prim.get("indices").and_then(Value::as_u64)
                    && let Some(v) = self.accessor_field(ind as usize, "bufferView").and_then(Value::as_u64)
                    && self
                        .array("bufferViews")
                        .get(v as usize)
                        .and_then(|v| v.get("byteStride"))
                        .is_some()
                {
                    self.err(
                        "MESH_PRIMITIVE_INDICES_ACCESSOR_WITH_BYTESTRIDE",
                        format!("{pp}/indices"),
                        "bufferView.byteStride must not be defined for indices accessor.".into(),
                    );
                }
            }
        }
    }

    pub(super) fn nodes(&mut self) {
        let nodes = self.array("nodes").to_vec();
        let n = nodes.len();
        let mut parent: Vec<Option<usize>> = vec![None; n];
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, node) in nodes.iter().enumerate() {
            let p = format!("/nodes/{i}");
            for (j, c) in items(node, "children").enumerate() {
                let Some(c) = c.as_u64().map(|c| c as usize).filter(|&c| c < n) else {
                    continue;
                };
                children[i].push(c);
                if parent[c].is_some() {
                    self.err(
                        "NODE_PARENT_OVERRIDE",
                        format!("{p}/children/{j}"),
                        format!("Value overrides parent of node {c}."),
                    );
                } else {
                    parent[c] = Some(i);
                }
            }
            let has_trs = ["translation", "rotation", "scale"]
                .iter()
                .any(|k| node.get(*k).is_some());
            if let Some(m) = node.get("matrix").and_then(Value::as_array) {
                if has_trs {
                    self.err(
                        "NODE_MATRIX_TRS",
                        format!("{p}/matrix"),
                        "A node can have either a matrix or any combination of translation/rotation/scale (TRS) properties.".into(),
                    );
                } else {
                    let m: Vec<f64> = m.iter().filter_map(Value::as_f64).collect();
                    if m.len() == 16 && !decomposable(&m) {
                        self.err(
                            "NODE_MATRIX_NON_TRS",
                            format!("{p}/matrix"),
                            "Matrix must be decomposable to TRS.".into(),
                        );
                    }
                }
            }
            if let Some(r) = node.get("rotation").and_then(Value::as_array) {
                let q: Vec<f64> = r.iter().filter_map(Value::as_f64).collect();
                if q.len() == 4 && (1.0 - q.iter().map(|x| x * x).sum::<f64>().sqrt()).abs() > 0.000_005 {
                    self.err(
                        "ROTATION_NON_UNIT",
                        format!("{p}/rotation"),
                        "Rotation quaternion must be unit.".into(),
                    );
                }
            }
        }
        // A node is in a loop when it belongs to a cycle of the children graph (Tarjan's SCC).
        for i in in_cycles(&children) {
            self.err(
                "NODE_LOOP",
                format!("/nodes/{i}"),
                "Node is a part of a node loop.".into(),
            );
        }
        let scenes = self.array("scenes").to_vec();
        for (s, scene) in scenes.iter().enumerate() {
            for (k, node) in items(scene, "nodes").enumerate() {
                if let Some(i) = node.as_u64().map(|i| i as usize).filter(|&i| i < n)
                    && parent[i].is_some()
                {
                    self.err(
                        "SCENE_NON_ROOT_NODE",
                        format!("/scenes/{s}/nodes/{k}"),
                        format!("Node {i} is not a root node."),
                    );
                }
            }
        }
    }

    pub(super) fn cameras(&mut self) {
        let cams = self.array("cameras").to_vec();
        for (i, c) in cams.iter().enumerate() {
            let p = format!("/cameras/{i}");
            if let Some(per) = c.get("perspective") {
                let znear = per.get("znear").and_then(Value::as_f64);
                let zfar = per.get("zfar").and_then(Value::as_f64);
                if let (Some(n), Some(f)) = (znear, zfar)
                    && f <= n
                {
                    self.err(
                        "CAMERA_ZFAR_LEQUAL_ZNEAR",
                        format!("{p}/perspective"),
                        "zfar must be greater than znear.".into(),
                    );
                }
            }
            if let Some(o) = c.get("orthographic") {
                for k in ["xmag", "ymag"] {
                    if o.get(k).and_then(Value::as_f64) == Some(0.0) {
                        self.err(
                            "CAMERA_XMAG_YMAG_ZERO",
                            format!("{p}/orthographic/{k}"),
                            "xmag and ymag must not be zero.".into(),
                        );
                    }
                }
                if let (Some(n), Some(f)) = (
                    o.get("znear").and_then(Value::as_f64),
                    o.get("zfar").and_then(Value::as_f64),
                ) && f <= n
                {
                    self.err(
                        "CAMERA_ZFAR_LEQUAL_ZNEAR",
                        format!("{p}/orthographic"),
                        "zfar must be greater than znear.".into(),
                    );
                }
            }
        }
    }
}

/// Whether a column-major 4×4 matrix is a translation × rotation × scale (no shear, no projection).
pub(super) fn decomposable(m: &[f64]) -> bool {
    if m[3] != 0.0 || m[7] != 0.0 || m[11] != 0.0 || m[15] != 1.0 {
        return false;
    }
    let col = |c: usize| [m[c * 4], m[c * 4 + 1], m[c * 4 + 2]];
    let (a, b, c) = (col(0), col(1), col(2));
    let len = |v: [f64; 3]| (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    let (sa, sb, sc) = (len(a), len(b), len(c));
    if sa == 0.0 || sb == 0.0 || sc == 0.0 {
        return false;
    }
    let dot = |u: [f64; 3], v: [f64; 3]| u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
    let tol = 1e-5;
    (dot(a, b) / (sa * sb)).abs() < tol && (dot(a, c) / (sa * sc)).abs() < tol && (dot(b, c) / (sb * sc)).abs() < tol
}

/// Nodes that lie on a cycle of the graph (iterative Tarjan).
pub(super) fn in_cycles(children: &[Vec<usize>]) -> Vec<usize> {
    let n = children.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut next = 0;
    let mut result = Vec::new();
    for start in 0..n {
        if index[start] != usize::MAX {
            continue;
        }
        let mut work = vec![(start, 0usize)];
        while let Some(&mut (v, ref mut ci)) = work.last_mut() {
            if *ci == 0 && index[v] == usize::MAX {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = children[v].get(*ci) {
                *ci += 1;
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut members = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    members.push(w);
                    if w == v {
                        break;
                    }
                }
                if members.len() > 1 || children[v].contains(&v) {
                    result.extend(members);
                }
            }
        }
    }
    result.sort_unstable();
    result
}
