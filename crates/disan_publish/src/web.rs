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
