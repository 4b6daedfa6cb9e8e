//! The web viewers Disan bundles into its exports, with their licences: every export works offline and
//! loads nothing from a CDN.

/// Pannellum 2.5.7 (MIT): `(path inside an export, bytes)`.
pub const PANNELLUM: [(&str, &[u8]); 3] = [
    (
        "pannellum/pannellum.js",
        include_bytes!("../../../assets/web/pannellum/pannellum.js"),
    ),
    (
        "pannellum/pannellum.css",
        include_bytes!("../../../assets/web/pannellum/pannellum.css"),
    ),
    (
        "pannellum/COPYING",
        include_bytes!("../../../assets/web/pannellum/COPYING"),
    ),
];

/// Marzipano 0.10.2 (Apache-2.0): `(path inside an export, bytes)`.
pub const MARZIPANO: [(&str, &[u8]); 2] = [
    (
        "marzipano/marzipano.js",
        include_bytes!("../../../assets/web/marzipano/marzipano.js"),
    ),
    (
        "marzipano/LICENSE.txt",
        include_bytes!("../../../assets/web/marzipano/LICENSE.txt"),
    ),
];

/// OpenSeadragon 6.1.1 (BSD-3-Clause) with the images of its default controls: `(path, bytes)`.
pub const OPENSEADRAGON: [(&str, &[u8]); 22] = [
    (
        "openseadragon/openseadragon.min.js",
        include_bytes!("../../../assets/web/openseadragon/openseadragon.min.js"),
    ),
    (
        "openseadragon/LICENSE.txt",
        include_bytes!("../../../assets/web/openseadragon/LICENSE.txt"),
    ),
    (
        "openseadragon/images/zoomin_rest.png",
        include_bytes!("../../../assets/web/openseadragon/images/zoomin_rest.png"),
    ),
    (
        "openseadragon/images/zoomin_grouphover.png",
        include_bytes!("../../../assets/web/openseadragon/images/zoomin_grouphover.png"),
    ),
    (
        "openseadragon/images/zoomin_hover.png",
        include_bytes!("../../../assets/web/openseadragon/images/zoomin_hover.png"),
    ),
    (
        "openseadragon/images/zoomin_pressed.png",
        include_bytes!("../../../assets/web/openseadragon/images/zoomin_pressed.png"),
    ),
    (
        "openseadragon/images/zoomout_rest.png",
        include_bytes!("../../../assets/web/openseadragon/images/zoomout_rest.png"),
    ),
    (
        "openseadragon/images/zoomout_grouphover.png",
        include_bytes!("../../../assets/web/openseadragon/images/zoomout_grouphover.png"),
    ),
    (
        "openseadragon/images/zoomout_hover.png",
        include_bytes!("../../../assets/web/openseadragon/images/zoomout_hover.png"),
    ),
    (
        "openseadragon/images/zoomout_pressed.png",
        include_bytes!("../../../assets/web/openseadragon/images/zoomout_pressed.png"),
    ),
    (
        "openseadragon/images/home_rest.png",
        include_bytes!("../../../assets/web/openseadragon/images/home_rest.png"),
    ),
    (
        "openseadragon/images/home_grouphover.png",
        include_bytes!("../../../assets/web/openseadragon/images/home_grouphover.png"),
    ),
    (
        "openseadragon/images/home_hover.png",
        include_bytes!("../../../assets/web/openseadragon/images/home_hover.png"),
    ),
    (
        "openseadragon/images/home_pressed.png",
        include_bytes!("../../../assets/web/openseadragon/images/home_pressed.png"),
    ),
    (
        "openseadragon/images/fullpage_rest.png",
        include_bytes!("../../../assets/web/openseadragon/images/fullpage_rest.png"),
    ),
    (
        "openseadragon/images/fullpage_grouphover.png",
        include_bytes!("../../../assets/web/openseadragon/images/fullpage_grouphover.png"),
    ),
    (
        "openseadragon/images/fullpage_hover.png",
        include_bytes!("../../../assets/web/openseadragon/images/fullpage_hover.png"),
    ),
    (
        "openseadragon/images/fullpage_pressed.png",
        include_bytes!("../../../assets/web/openseadragon/images/fullpage_pressed.png"),
    ),
    (
        "openseadragon/images/button_rest.png",
        include_bytes!("../../../assets/web/openseadragon/images/button_rest.png"),
    ),
    (
        "openseadragon/images/button_grouphover.png",
        include_bytes!("../../../assets/web/openseadragon/images/button_grouphover.png"),
    ),
    (
        "openseadragon/images/button_hover.png",
        include_bytes!("../../../assets/web/openseadragon/images/button_hover.png"),
    ),
    (
        "openseadragon/images/button_pressed.png",
        include_bytes!("../../../assets/web/openseadragon/images/button_pressed.png"),
    ),
];

/// `<model-viewer>` 4.4.0 (Apache-2.0, three.js inside, MIT) and the Draco decoder from three.js 0.183
/// (Apache-2.0), which model-viewer would otherwise fetch from a CDN: `(path, bytes)`.
pub const MODEL_VIEWER: [(&str, &[u8]); 5] = [
    (
        "model-viewer/model-viewer.min.js",
        include_bytes!("../../../assets/web/model-viewer/model-viewer.min.js"),
    ),
    (
        "model-viewer/LICENSE",
        include_bytes!("../../../assets/web/model-viewer/LICENSE"),
    ),
    (
        "draco/draco_decoder.wasm",
        include_bytes!("../../../assets/web/draco/draco_decoder.wasm"),
    ),
    (
        "draco/draco_wasm_wrapper.js",
        include_bytes!("../../../assets/web/draco/draco_wasm_wrapper.js"),
    ),
    (
        "draco/three-LICENSE",
        include_bytes!("../../../assets/web/draco/three-LICENSE"),
    ),
];

/// Land outlines for the maps (Natural Earth, public domain; `assets/web/land/SOURCES.md`).
pub const LAND: [(&str, &[u8]); 3] = [
    (
        "land/land-vn.json",
        include_bytes!("../../../assets/web/land/land-vn.json"),
    ),
    (
        "land/land-world.json",
        include_bytes!("../../../assets/web/land/land-world.json"),
    ),
    ("land/SOURCES.md", include_bytes!("../../../assets/web/land/SOURCES.md")),
];

/// The land outlines as text, for the desktop viewer's map: (Vietnam at 1:10m, the world at 1:110m).
pub fn land_json() -> (&'static str, &'static str) {
    (
        include_str!("../../../assets/web/land/land-vn.json"),
        include_str!("../../../assets/web/land/land-world.json"),
    )
}

/// What the website bundles, with each licence, for `static/LICENSES.txt`.
pub const LICENSES_TXT: &str = include_str!("../../../assets/web/LICENSES.txt");
