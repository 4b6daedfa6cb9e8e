//! PLY from other tools (Blender, MeshLab's VCGLIB, assimp's test models; tests/data/models/ply/SOURCES.md),
//! in ASCII and in both binary byte orders, read against plyfile (PyPI), an independent reader: every corner
//! of every triangle has the position, normal, colour and texture coordinate the file gives it. Point clouds,
//! splats and lying headers are refused with a reason.

use std::path::{Path, PathBuf};

use disan_model::scene::Vertex;
use disan_model::{Limits, ModelFormat, Scene, read_scene};

fn ply_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/models/ply")
}

fn load(path: &Path) -> Result<Scene, String> {
    let bytes = std::fs::read(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy();
    let (report, scene) = read_scene(
        &bytes,
        ModelFormat::Ply,
        &name,
        path.parent().unwrap(),
        Limits::default(),
    );
    scene.ok_or_else(|| report.error_summary())
}

fn oracle(path: &Path) -> serde_json::Value {
    crate::python_oracle("ply_oracle.py", path, "plyfile")
}

/// The corners of `scene`'s triangles, in order.
fn corners(scene: &Scene) -> Vec<Vertex> {
    let p = &scene.meshes[0].primitives[0];
    p.indices.iter().map(|&i| p.vertices[i as usize]).collect()
}

/// Checks every triangle corner of `path` as Disan reads it against plyfile's reading of the same file, the
/// polygons cut into fans from their first corner.
fn matches_plyfile(path: &Path) -> Scene {
    let scene = load(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let want = oracle(path);
    let v = &want["vertices"];
    let num = |name: &str, i: usize| v[name].get(i).and_then(serde_json::Value::as_f64);
    let got = corners(&scene);
    let mut k = 0;
    for (f, face) in want["faces"].as_array().unwrap().iter().enumerate() {
        let face: Vec<usize> = face
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_u64().unwrap() as usize)
            .collect();
        for t in 1..face.len() - 1 {
            for c in [0, t, t + 1] {
                let (i, g) = (face[c], got[k]);
                let close = |a: f32, b: f64| (f64::from(a) - b).abs() < 1e-5;
                for (axis, name) in ["x", "y", "z"].iter().enumerate() {
                    assert!(
                        close(g.pos[axis], num(name, i).unwrap()),
                        "{}: face {f} corner {c}",
                        path.display()
                    );
                }
                if let Some(nx) = num("nx", i) {
                    let n = [nx, num("ny", i).unwrap(), num("nz", i).unwrap()];
                    assert!((0..3).all(|a| close(g.normal[a], n[a])), "{}: normal", path.display());
                }
                if let Some(red) = num("red", i) {
                    // Floats as written; integer channels over their full scale.
                    let scale = if v["red"].as_array().unwrap().iter().any(|x| x.as_f64().unwrap() > 1.0) {
                        255.0
                    } else {
                        1.0
                    };
                    let rgb = [red, num("green", i).unwrap(), num("blue", i).unwrap()];
                    assert!(
                        (0..3).all(|a| close(g.color[a], rgb[a] / scale)),
                        "{}: colour",
                        path.display()
                    );
                }
                if let Some(s) = num("s", i) {
                    // glTF's v runs downward.
                    assert!(
                        close(g.uv0[0], s) && close(g.uv0[1], 1.0 - num("t", i).unwrap()),
                        "{}: uv",
                        path.display()
                    );
                }
                if let Some(tc) = want["texcoords"].get(f).and_then(|t| t.as_array()) {
                    let (u, w) = (tc[2 * c].as_f64().unwrap(), tc[2 * c + 1].as_f64().unwrap());
                    assert!(
                        close(g.uv0[0], u) && close(g.uv0[1], 1.0 - w),
                        "{}: corner uv",
                        path.display()
                    );
                }
                k += 1;
            }
        }
    }
    assert_eq!(k, got.len(), "{}: triangle corners", path.display());
    scene
}

/// `cube_uv.ply` (Blender) written again as binary PLY in the given byte order.
fn cube_uv_binary(little: bool) -> Vec<u8> {
    let text = std::fs::read_to_string(ply_dir().join("cube_uv.ply")).unwrap();
    let (head, body) = text.split_once("end_header\n").unwrap();
    let mut out = head
        .replace(
            "format ascii 1.0",
            if little {
                "format binary_little_endian 1.0"
            } else {
                "format binary_big_endian 1.0"
            },
        )
        .into_bytes();
    out.extend_from_slice(b"end_header\n");
    for line in body.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() == 8 {
            for w in words {
                let f: f32 = w.parse().unwrap();
                out.extend(if little { f.to_le_bytes() } else { f.to_be_bytes() });
            }
        } else {
            out.push(words[0].parse().unwrap());
            for w in &words[1..] {
                let i: u32 = w.parse().unwrap();
                out.extend(if little { i.to_le_bytes() } else { i.to_be_bytes() });
            }
        }
    }
    out
}

#[test]
fn ply_from_other_tools_reads_as_plyfile_reads_it() {
    let dir = ply_dir();
    let cube = matches_plyfile(&dir.join("cube.ply"));
    assert_eq!(corners(&cube).len(), 36, "six quads, twelve triangles");

    let blender = matches_plyfile(&dir.join("cube_uv.ply"));
    let attrs = blender.meshes[0].primitives[0].attributes;
    assert!(attrs.normal && attrs.uv0 && !attrs.color, "{attrs:?}");

    let meshlab = matches_plyfile(&dir.join("float-color.ply"));
    assert!(meshlab.meshes[0].primitives[0].attributes.color);
    assert_eq!(corners(&meshlab)[0].color, [0.0, 0.0, 1.0, 1.0]);

    // The same Blender cube in binary, both byte orders: plyfile agrees, and so does the ASCII reading.
    let tmp = tempfile::tempdir().unwrap();
    for little in [true, false] {
        let path = tmp.path().join(if little { "le.ply" } else { "be.ply" });
        std::fs::write(&path, cube_uv_binary(little)).unwrap();
        let binary = matches_plyfile(&path);
        assert_eq!(corners(&binary), corners(&blender));
    }
}

/// MeshLab and Metashape write a texture as `comment TextureFile NAME` and its coordinates per face corner
/// (`property list uchar float texcoord`): the texture is read from the model's folder and every corner gets
/// its own coordinates.
#[test]
fn a_textured_ply_with_per_corner_coordinates() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/models/stele_obj/stone.png"),
        tmp.path().join("stone texture.png"),
    )
    .unwrap();
    let text = "ply\nformat ascii 1.0\ncomment TextureFile stone texture.png\nelement vertex 4\nproperty float x\n\
                property float y\nproperty float z\nelement face 2\nproperty list uchar int vertex_indices\n\
                property list uchar float texcoord\nend_header\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n\
                3 0 1 2 6 0 0 1 0 1 1\n3 0 2 3 6 0 0 1 1 0 1\n";
    let path = tmp.path().join("tablet.ply");
    std::fs::write(&path, text).unwrap();
    let scene = matches_plyfile(&path);
    assert_eq!(scene.textures.len(), 1);
    assert!(scene.materials[0].base_color_texture.is_some());
    let info = disan_model::read_model(&path).unwrap().1;
    assert_eq!(info.summary.resources, ["stone texture.png"]);

    // The texture outside the model's folder is refused, as an OBJ's is; a missing one is named.
    std::fs::write(&path, text.replace("stone texture.png", "../stone texture.png")).unwrap();
    let err = load(&path).unwrap_err();
    assert!(
        err.contains("DISAN_URI_OUTSIDE_FOLDER") || err.contains("outside"),
        "{err}"
    );
    std::fs::write(&path, text.replace("stone texture.png", "gone.png")).unwrap();
    assert!(disan_model::read_model(&path).is_err());
}

/// What cannot be shown as a mesh is refused with a reason, before anything large is allocated.
#[test]
fn point_clouds_splats_and_lying_plys_are_refused_with_a_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let cube = std::fs::read_to_string(ply_dir().join("cube.ply")).unwrap();
    let cases = [
        (
            "points.ply",
            cube.replace("element face 6", "element face 0")
                .split("4 0 1 2 3")
                .next()
                .unwrap()
                .to_owned(),
            "point cloud (8 points",
        ),
        (
            "splat.ply",
            "ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\n\
             property float f_dc_0\nproperty float opacity\nend_header\n0 0 0 0.5 0.9\n"
                .to_owned(),
            "Gaussian splat",
        ),
        (
            "huge.ply",
            cube.replace("element vertex 8", "element vertex 4000000000000"),
            "more data",
        ),
        (
            "index.ply",
            cube.replace("4 3 7 4 0", "4 3 7 4 80"),
            "refers to vertex 80 of 8",
        ),
        ("short.ply", cube[..cube.len() - 20].to_owned(), "ends before"),
        ("not.ply", "solid cube\nfacet normal 0 0 1\n".to_owned(), "end_header"),
        (
            "words.ply",
            cube.replace("0 1 1\n", "0 one 1\n"),
            "\"one\" is not a number",
        ),
    ];
    for (name, text, reason) in cases {
        let path = tmp.path().join(name);
        std::fs::write(&path, text).unwrap();
        let err = load(&path).unwrap_err();
        assert!(err.contains(reason), "{name}: {err}");
    }
}

/// Thousands of mutated copies of the real PLYs, ASCII and binary: header bytes flipped, counts and types
/// changed, data overwritten, cut short. Each is read or refused; none panics (the fuzz target `ply` does the
/// same without end).
#[test]
fn mutated_plys_are_read_or_refused_never_a_panic() {
    let dir = ply_dir();
    let mut originals: Vec<Vec<u8>> = ["cube.ply", "cube_uv.ply", "float-color.ply"]
        .iter()
        .map(|f| std::fs::read(dir.join(f)).unwrap())
        .collect();
    originals.push(cube_uv_binary(true));
    originals.push(cube_uv_binary(false));
    let empty = tempfile::tempdir().unwrap();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n.max(1) as u64) as usize
    };
    let swaps: [(&[u8], &[u8]); 6] = [
        (b"float", b"uchar"),
        (b"uchar", b"double"),
        (b"vertex 24", b"vertex 2400"),
        (b"face 6", b"face 60"),
        (b"list uchar", b"list uint"),
        (b"end_header", b"end_headex"),
    ];
    let (mut read, mut total) = (0, 0);
    for original in &originals {
        for copy in 0..600 {
            let mut data = original.clone();
            match copy % 4 {
                0 => {
                    for _ in 0..1 + next(3) {
                        let at = next(data.len());
                        data[at] = next(256) as u8;
                    }
                }
                1 => {
                    let (from, to) = swaps[next(swaps.len())];
                    if let Some(at) = data.windows(from.len()).position(|w| w == from) {
                        data.splice(at..at + from.len(), to.iter().copied());
                    }
                }
                2 => data.truncate(next(data.len())),
                _ => {
                    let at = next(data.len());
                    let len = next(16).min(data.len() - at);
                    data.drain(at..at + len);
                }
            }
            total += 1;
            let outcome = std::panic::catch_unwind(|| {
                read_scene(&data, ModelFormat::Ply, "mutated.ply", empty.path(), Limits::default())
                    .1
                    .is_some()
            });
            read += usize::from(outcome.expect("reading a mutated PLY panicked"));
        }
    }
    eprintln!("{total} mutated PLYs: {read} read, the rest refused");
    assert!(read > 0 && read < total);
}
