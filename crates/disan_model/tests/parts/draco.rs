//! Draco (KHR_draco_mesh_compression) on real outside files: Google's own decoder (PyPI DracoPy, which
//! wraps google/draco) is the oracle for every decoded point, face, normal and texture coordinate, and the
//! Khronos Box and BoxMeta, which google/draco ships both plain and compressed, must be the same mesh
//! either way. Files are credited in tests/data/models/draco/SOURCES.md and ../shared/testdata/SOURCES.md.

use std::path::{Path, PathBuf};

use disan_model::{Limits, ModelFormat, Scene, read_scene};

fn draco_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/models/draco")
}

fn scene(path: &Path) -> Scene {
    let bytes = std::fs::read(path).unwrap();
    let format = ModelFormat::from_extension(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy();
    let (report, scene) = read_scene(&bytes, format, &name, path.parent().unwrap(), Limits::default());
    scene.unwrap_or_else(|| panic!("{}: {report:#?}", path.display()))
}

fn oracle(path: &Path) -> Vec<serde_json::Value> {
    serde_json::from_value(crate::python_oracle("draco_oracle.py", path, "DracoPy")).unwrap()
}

#[test]
fn draco_primitives_decode_as_googles_decoder_decodes_them() {
    let shared = disan_tests::testdata("models");
    let files = [
        shared.join("Box_Draco.glb"),
        shared.join("BoxMetaDraco_glTF/BoxMetaDraco.gltf"),
        draco_dir().join("DenseSphere.glb"),
        draco_dir().join("DracoSparseMesh.gltf"),
    ];
    let mut same_order = 0;
    for file in &files {
        let theirs = oracle(file);
        let ours: Vec<_> = scene(file).meshes.into_iter().flat_map(|m| m.primitives).collect();
        assert_eq!(ours.len(), theirs.len(), "{}", file.display());
        for (p, t) in ours.iter().zip(&theirs) {
            let points = t["points"].as_array().unwrap();
            assert_eq!(p.vertices.len(), points.len(), "{}", file.display());
            let f32s = |v: &serde_json::Value| -> Vec<u32> {
                v.as_array()
                    .unwrap()
                    .iter()
                    .map(|x| (x.as_f64().unwrap() as f32).to_bits())
                    .collect()
            };
            // A corner: its position, normal and texture coordinates, bit for bit (both decoders dequantise
            // the same integers the same way).
            let theirs_corner = |i: usize| -> Vec<u32> {
                let mut c = f32s(&points[i]);
                for key in ["normals", "tex_coord"] {
                    if let Some(list) = t.get(key).and_then(|n| n.as_array()) {
                        c.extend(f32s(&list[i]));
                    }
                }
                c
            };
            let ours_corner = |i: usize| -> Vec<u32> {
                let v = &p.vertices[i];
                let mut c: Vec<u32> = v.pos.iter().map(|x| x.to_bits()).collect();
                if t.get("normals").is_some() {
                    assert!(p.attributes.normal);
                    c.extend(v.normal.iter().map(|x| x.to_bits()));
                }
                if t.get("tex_coord").is_some() {
                    assert!(p.attributes.uv0);
                    c.extend(v.uv0.iter().map(|x| x.to_bits()));
                }
                c
            };
            // The same triangles with the same corners, in the same turning order; the order of faces and
            // points is the encoder's business (Google's decoder and draco-oxide may number them apart).
            // Positions and texture coordinates agree bit for bit; octahedral normals within a few ulp.
            let canonical = |mut tri: [Vec<u32>; 3]| {
                let r = (0..3).min_by(|&a, &b| tri[a][..3].cmp(&tri[b][..3])).unwrap();
                tri.rotate_left(r);
                tri
            };
            let key = |tri: &[Vec<u32>; 3]| -> [u32; 9] { std::array::from_fn(|i| tri[i / 3][i % 3]) };
            let mut pool: std::collections::HashMap<[u32; 9], Vec<[Vec<u32>; 3]>> = Default::default();
            let faces = t["faces"].as_array().unwrap();
            for f in faces {
                let f = f.as_array().unwrap();
                let tri = canonical([0, 1, 2].map(|k| theirs_corner(f[k].as_u64().unwrap() as usize)));
                pool.entry(key(&tri)).or_default().push(tri);
            }
            assert_eq!(p.indices.len(), faces.len() * 3, "{}: faces", file.display());
            let near = |a: &[u32], b: &[u32]| {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|(x, y)| (f32::from_bits(*x) - f32::from_bits(*y)).abs() <= 1e-6)
            };
            for (i, f) in p.indices.chunks_exact(3).enumerate() {
                let tri = canonical([0, 1, 2].map(|k| ours_corner(f[k] as usize)));
                let candidates = pool.get_mut(&key(&tri));
                let found = candidates.and_then(|c| {
                    let at = c.iter().position(|u| (0..3).all(|k| near(&tri[k], &u[k])))?;
                    Some(c.swap_remove(at))
                });
                assert!(
                    found.is_some(),
                    "{}: triangle {i} is not among Google's decoder's",
                    file.display()
                );
            }
            if p.indices
                .iter()
                .zip(
                    t["faces"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .flat_map(|f| f.as_array().unwrap()),
                )
                .all(|(a, b)| u64::from(*a) == b.as_u64().unwrap())
            {
                same_order += 1;
            }
        }
    }
    // Most streams even number their faces as Google's decoder does.
    assert!(same_order >= 3, "{same_order} primitives in Google's order");
}

/// Every triangle of the plain model has a triangle of the Draco model at the same place (corners in the
/// same turning order), within the quantisation step, and the counts agree.
fn same_mesh(plain: &Scene, draco: &Scene, tol: f32) {
    let tris = |s: &Scene| -> Vec<[[f32; 3]; 3]> {
        s.meshes
            .iter()
            .flat_map(|m| &m.primitives)
            .flat_map(|p| {
                p.indices
                    .chunks_exact(3)
                    .map(|t| [0, 1, 2].map(|k| p.vertices[t[k] as usize].pos))
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let (a, b) = (tris(plain), tris(draco));
    assert_eq!(a.len(), b.len());
    let near = |x: [f32; 3], y: [f32; 3]| x.iter().zip(y).all(|(p, q)| (p - q).abs() <= tol);
    for t in &a {
        let found = b
            .iter()
            .any(|u| (0..3).any(|r| (0..3).all(|k| near(t[k], u[(k + r) % 3]))));
        assert!(found, "triangle {t:?} of the plain model is not in the Draco one");
    }
}

#[test]
fn draco_variants_are_the_same_mesh_as_their_plain_originals() {
    let shared = disan_tests::testdata("models");
    same_mesh(
        &scene(&shared.join("Box.glb")),
        &scene(&shared.join("Box_Draco.glb")),
        1e-3,
    );
    same_mesh(
        &scene(&draco_dir().join("BoxMeta/BoxMeta.gltf")),
        &scene(&shared.join("BoxMetaDraco_glTF/BoxMetaDraco.gltf")),
        1e-3,
    );
}

#[test]
fn broken_draco_streams_are_refused_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let glb = std::fs::read(disan_tests::testdata("models/Box_Draco.glb")).unwrap();
    // Damage the Draco stream inside the BIN chunk (it starts with the magic "DRACO").
    let at = glb.windows(5).position(|w| w == b"DRACO").expect("a Draco stream");
    let mut cut = glb.clone();
    for b in &mut cut[at + 5..at + 60] {
        *b = 0xA5;
    }
    let path = tmp.path().join("damaged.glb");
    std::fs::write(&path, &cut).unwrap();
    let (report, scene) = read_scene(&cut, ModelFormat::Glb, "damaged.glb", tmp.path(), Limits::default());
    assert!(scene.is_none());
    let codes: Vec<&str> = report.issues.messages.iter().map(|m| m.code.as_str()).collect();
    assert!(codes.contains(&"DISAN_DRACO_DECODE_FAILED"), "{report:#?}");
}
