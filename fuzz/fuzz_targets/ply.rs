//! PLY reading, ASCII and binary (with texture lookups in an empty folder).
#![no_main]

use disan_model::{Limits, ModelFormat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join("disan-fuzz-empty");
    let _ = std::fs::create_dir_all(&dir);
    let (_report, scene) = disan_model::read_scene(data, ModelFormat::Ply, "fuzz.ply", &dir, Limits::default());
    if let Some(scene) = scene {
        let _ = (scene.bounds(), scene.triangles());
    }
});
