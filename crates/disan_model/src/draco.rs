//! `KHR_draco_mesh_compression`: each compressed primitive is decoded (with `draco-oxide-decoder`, pure Rust)
//! into plain accessors before loading, so everything after sees an ordinary glTF and writes ordinary,
//! uncompressed GLBs. Validation does not decode (the Khronos validator does not either); the loader does.
//!
//! Draco stores each attribute's unique values and a map from points to values; glTF wants one value per
//! point (vertex). Every attribute named in the extension is expanded to one value per point, in the
//! component type its accessor declares, and the faces become the primitive's indices.

use std::collections::HashSet;

use draco_oxide_core::attribute::{Attribute, ComponentDataType};
use serde_json::{Value, json};

use crate::validate::{Document, component_count, component_size, items};

const EXT: &str = "KHR_draco_mesh_compression";

/// Decodes every Draco primitive of `doc` in place. Returns how many were decoded. `max_bytes` bounds the
/// decoded size of any one attribute (a stream's counts are claims).
pub fn expand(doc: &mut Document, max_bytes: u64) -> Result<usize, String> {
    let mut jobs = Vec::new();
    for (m, mesh) in items(&doc.json, "meshes").enumerate() {
        for (p, prim) in items(mesh, "primitives").enumerate() {
            if prim.pointer(&format!("/extensions/{EXT}")).is_some() {
                jobs.push((m, p));
            }
        }
    }
    let mut claimed: HashSet<usize> = HashSet::new();
    for &(m, p) in &jobs {
        decode_primitive(doc, m, p, max_bytes, &mut claimed)
            .map_err(|e| format!("meshes[{m}].primitives[{p}]: {e}"))?;
    }
    if !jobs.is_empty() {
        for key in ["extensionsUsed", "extensionsRequired"] {
            if let Some(list) = doc.json.get_mut(key).and_then(Value::as_array_mut) {
                list.retain(|e| e.as_str() != Some(EXT));
                if list.is_empty() {
                    doc.json.as_object_mut().map(|o| o.remove(key));
                }
            }
        }
    }
    Ok(jobs.len())
}

fn decode_primitive(
    doc: &mut Document,
    m: usize,
    p: usize,
    max_bytes: u64,
    claimed: &mut HashSet<usize>,
) -> Result<(), String> {
    let prim_ptr = format!("/meshes/{m}/primitives/{p}");
    let prim = doc.json.pointer(&prim_ptr).cloned().unwrap_or(Value::Null);
    let ext = &prim["extensions"][EXT];
    let view = ext["bufferView"]
        .as_u64()
        .ok_or("the Draco extension names no bufferView")? as usize;
    let stream = doc
        .view(view)
        .ok_or_else(|| format!("bufferView {view} of the Draco stream cannot be read"))?;
    let mesh =
        draco_oxide_decoder::decode_mesh(stream).map_err(|e| format!("the Draco stream does not decode: {e}"))?;

    let mut new_views: Vec<(String, Vec<u8>)> = Vec::new();
    let mut points = None;
    for (name, id) in ext["attributes"].as_object().into_iter().flatten() {
        let id = id
            .as_u64()
            .ok_or_else(|| format!("Draco attribute id of {name} is not a number"))? as usize;
        let attr = mesh
            .attributes
            .iter()
            .find(|a| a.get_id().as_usize() == id)
            .ok_or_else(|| format!("the Draco stream has no attribute {id} (for {name})"))?;
        let acc = prim["attributes"][name]
            .as_u64()
            .ok_or_else(|| format!("attribute {name} is compressed but has no accessor"))? as usize;
        let n = point_count(attr);
        if *points.get_or_insert(n) != n {
            return Err(format!(
                "Draco attributes disagree on the number of points ({n} for {name})"
            ));
        }
        let bytes = expand_attribute(&doc.json["accessors"][acc], attr, n, max_bytes)
            .map_err(|e| format!("attribute {name}: {e}"))?;
        new_views.push((name.clone(), bytes));
    }
    let points = points.ok_or("the Draco extension compresses no attribute")?;

    // Faces → indices, in the index accessor's component type (u32 when the primitive had none).
    let faces = &mesh.faces;
    let index_acc = prim["indices"].as_u64().map(|i| i as usize);
    let ct = index_acc
        .and_then(|i| doc.json["accessors"][i]["componentType"].as_u64())
        .unwrap_or(5125);
    let max_index = match ct {
        5121 => u64::from(u8::MAX),
        5123 => u64::from(u16::MAX),
        5125 => u64::from(u32::MAX),
        _ => return Err(format!("index accessor componentType {ct} is not an unsigned integer")),
    };
    if (points as u64).saturating_sub(1) > max_index {
        return Err(format!("{points} points do not fit index type {ct}"));
    }
    let size = component_size(ct).unwrap_or(4);
    let mut index_bytes = Vec::new();
    index_bytes
        .try_reserve_exact(faces.len() * 3 * size)
        .map_err(|_| "too many faces".to_string())?;
    for face in faces {
        for &pt in face {
            let v = usize::from(pt) as u64;
            if v >= points as u64 {
                return Err(format!("a face names point {v} of {points}"));
            }
            match size {
                1 => index_bytes.push(v as u8),
                2 => index_bytes.extend_from_slice(&(v as u16).to_le_bytes()),
                _ => index_bytes.extend_from_slice(&(v as u32).to_le_bytes()),
            }
        }
    }

    // Attach: one new bufferView per decoded accessor, its bytes among the decoded views.
    let mut attach = |doc: &mut Document, acc_ptr_in_prim: &str, acc: Option<usize>, bytes: Vec<u8>, count: usize| {
        let views = doc.json["bufferViews"].as_array().map_or(0, Vec::len);
        let view_json = json!({"buffer": 0, "byteLength": bytes.len()});
        match doc.json.get_mut("bufferViews").and_then(Value::as_array_mut) {
            Some(a) => a.push(view_json),
            None => doc.json["bufferViews"] = json!([view_json]),
        }
        doc.decoded_views.insert(views, bytes);
        let accessors = doc.json["accessors"].as_array().map_or(0, Vec::len);
        let index = match acc {
            // An accessor shared with another Draco primitive gets a copy of its own.
            Some(a) if claimed.insert(a) => a,
            Some(a) => {
                let copy = doc.json["accessors"][a].clone();
                if let Some(list) = doc.json["accessors"].as_array_mut() {
                    list.push(copy);
                }
                accessors
            }
            None => {
                let new = json!({"componentType": 5125, "type": "SCALAR", "count": count});
                match doc.json.get_mut("accessors").and_then(Value::as_array_mut) {
                    Some(list) => list.push(new),
                    None => doc.json["accessors"] = json!([new]),
                }
                accessors
            }
        };
        let a = &mut doc.json["accessors"][index];
        a["bufferView"] = json!(views);
        if let Some(o) = a.as_object_mut() {
            o.remove("byteOffset");
            o.remove("sparse");
        }
        if let Some(slot) = doc.json.pointer_mut(&format!("{prim_ptr}/{acc_ptr_in_prim}")) {
            *slot = json!(index);
        } else if let Some(o) = doc.json.pointer_mut(&prim_ptr).and_then(Value::as_object_mut) {
            o.insert("indices".into(), json!(index));
        }
    };
    for (name, bytes) in new_views {
        let acc = prim["attributes"][&name].as_u64().map(|a| a as usize);
        attach(doc, &format!("attributes/{name}"), acc, bytes, points);
    }
    attach(doc, "indices", index_acc, index_bytes, faces.len() * 3);
    if let Some(exts) = doc
        .json
        .pointer_mut(&format!("{prim_ptr}/extensions"))
        .and_then(Value::as_object_mut)
    {
        exts.remove(EXT);
    }
    Ok(())
}

/// Points the attribute covers: the length of its point map, or of its values when it has none.
fn point_count(attr: &Attribute) -> usize {
    attr.point_map_as_slice().map_or(attr.num_unique_values(), <[_]>::len)
}

/// One value per point, in the accessor's component type and element size, tightly packed.
fn expand_attribute(accessor: &Value, attr: &Attribute, points: usize, max_bytes: u64) -> Result<Vec<u8>, String> {
    let ct = accessor["componentType"]
        .as_u64()
        .ok_or("its accessor has no componentType")?;
    let ty = accessor["type"].as_str().ok_or("its accessor has no type")?;
    let count = accessor["count"].as_u64().ok_or("its accessor has no count")? as usize;
    if count != points {
        return Err(format!(
            "the Draco stream has {points} points, the accessor says {count}"
        ));
    }
    let n = component_count(ty).ok_or_else(|| format!("accessor type {ty}"))?;
    let out_size = component_size(ct).ok_or_else(|| format!("accessor componentType {ct}"))?;
    let src_n = attr.get_num_components();
    if src_n != n {
        return Err(format!(
            "{src_n} components in the Draco stream, {n} in the accessor ({ty})"
        ));
    }
    let src_type = attr.get_component_type();
    let src_size = src_type.size();
    let total = points as u64 * n as u64 * out_size as u64;
    if total > max_bytes {
        return Err(format!("{total} bytes decoded, more than the {max_bytes}-byte limit"));
    }
    let values = attr.get_data_as_bytes();
    let map = attr.point_map_as_slice();
    let normalized = accessor["normalized"].as_bool() == Some(true);
    let mut out = Vec::new();
    out.try_reserve_exact(total as usize)
        .map_err(|_| "out of memory".to_string())?;
    let stride = src_size * n;
    for p in 0..points {
        let v = map.map_or(p, |m| usize::from(m[p]));
        let start = v * stride;
        let element = values
            .get(start..start + stride)
            .ok_or_else(|| format!("point {p} maps to value {v}, past the stream's values"))?;
        for c in 0..n {
            let raw = &element[c * src_size..(c + 1) * src_size];
            write_component(&mut out, read(raw, src_type), src_type, ct, normalized, raw);
        }
    }
    Ok(out)
}

fn read(b: &[u8], t: ComponentDataType) -> f64 {
    let a = |n: usize| {
        let mut x = [0u8; 8];
        x[..n].copy_from_slice(&b[..n]);
        x
    };
    match t {
        ComponentDataType::I8 => f64::from(b[0] as i8),
        ComponentDataType::U8 => f64::from(b[0]),
        ComponentDataType::I16 => f64::from(i16::from_le_bytes([b[0], b[1]])),
        ComponentDataType::U16 => f64::from(u16::from_le_bytes([b[0], b[1]])),
        ComponentDataType::I32 => f64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        ComponentDataType::U32 => f64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        ComponentDataType::I64 => i64::from_le_bytes(a(8)) as f64,
        ComponentDataType::U64 => u64::from_le_bytes(a(8)) as f64,
        ComponentDataType::F32 => f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        ComponentDataType::F64 => f64::from_le_bytes(a(8)),
        #[allow(unreachable_patterns)]
        _ => 0.0,
    }
}

/// The same type is copied bit for bit; otherwise the value is converted (floats into normalised integers
/// by scaling, integers into floats as they are).
fn write_component(out: &mut Vec<u8>, v: f64, src: ComponentDataType, ct: u64, normalized: bool, raw: &[u8]) {
    let same = matches!(
        (src, ct),
        (ComponentDataType::I8, 5120)
            | (ComponentDataType::U8, 5121)
            | (ComponentDataType::I16, 5122)
            | (ComponentDataType::U16, 5123)
            | (ComponentDataType::U32, 5125)
            | (ComponentDataType::F32, 5126)
    );
    if same {
        out.extend_from_slice(raw);
        return;
    }
    let float_src = matches!(src, ComponentDataType::F32 | ComponentDataType::F64);
    let int = |max: f64, min: f64| {
        let x = if float_src && normalized { v * max } else { v };
        x.round().clamp(min, max)
    };
    match ct {
        5120 => out.push(int(127.0, -128.0) as i8 as u8),
        5121 => out.push(int(255.0, 0.0) as u8),
        5122 => out.extend_from_slice(&(int(32767.0, -32768.0) as i16).to_le_bytes()),
        5123 => out.extend_from_slice(&(int(65535.0, 0.0) as u16).to_le_bytes()),
        5125 => out.extend_from_slice(&(int(4_294_967_295.0, 0.0) as u32).to_le_bytes()),
        _ => out.extend_from_slice(&(v as f32).to_le_bytes()),
    }
}
