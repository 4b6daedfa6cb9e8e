//! glTF and GLB validation and loading. Relative URIs resolve in an empty folder; the input's first byte
//! picks GLB or glTF JSON so both paths are reached from one corpus.
#![no_main]

use disan_model::{Limits, ModelFormat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join("disan-fuzz-empty");
    let _ = std::fs::create_dir_all(&dir);
    let limits = Limits {
        max_resource_bytes: 64 << 20,
    };
    let format = if data.starts_with(b"glTF") {
        ModelFormat::Glb
    } else {
        ModelFormat::Gltf
    };
    let (_report, scene) = disan_model::read_scene(data, format, "fuzz.gltf", &dir, limits);
    if let Some(scene) = scene {
        let _ = (scene.bounds(), scene.triangles());
    }
});
