//! What the viewer does with an asset manifest from the catalogue: parse it, confine every path it names,
//! and plan tile pyramids only from sane numbers.
#![no_main]

use disan_core::AssetManifest;
use disan_fs::plain_relative as confined;
use disan_tiles::CubeLayout;
use disan_tiles::iiif::IiifLayout;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(m) = serde_json::from_slice::<AssetManifest>(data) else {
        return;
    };
    for d in m.derivatives.values() {
        if let Ok(p) = confined(&d.path) {
            assert!(p.is_relative());
        }
    }
    if let Some(t) = &m.pano_tiles {
        let _ = confined(&t.config);
        if let Some(layout) = CubeLayout::from_manifest(t) {
            for focal in [1.0, 500.0, 5000.0, 1e9] {
                let level = layout.level_for(focal);
                assert!((1..=layout.max_level).contains(&level));
                let _ = layout.tiles_per_side(level);
            }
        }
    }
    if let (Some(t), Some(w), Some(h)) = (&m.iiif, m.width, m.height) {
        let _ = confined(&t.info);
        if let Some(layout) = IiifLayout::from_manifest(w, h, t) {
            for &s in &layout.scale_factors {
                let _ = (layout.level_size(s), layout.grid(s));
            }
        }
    }
    // What the viewer sees survives a round trip.
    let again: AssetManifest = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
    assert_eq!(again, m);
});
