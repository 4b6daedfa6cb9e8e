use serde::{Deserialize, Serialize};

use crate::LangText;

/// A position on the WGS 84 ellipsoid, in decimal degrees (north and east positive) and metres.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt: Option<f64>,
}

impl GeoPoint {
    /// A plausible fix: finite, in range, and not "null island" (0, 0), which cameras write when
    /// they have no fix.
    pub fn is_plausible(&self) -> bool {
        self.lat.is_finite()
            && self.lon.is_finite()
            && (-90.0..=90.0).contains(&self.lat)
            && (-180.0..=180.0).contains(&self.lon)
            && !(self.lat == 0.0 && self.lon == 0.0)
    }

    /// Great-circle distance in metres (haversine, mean Earth radius).
    pub fn distance_m(&self, other: &GeoPoint) -> f64 {
        const R: f64 = 6_371_008.8;
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * R * a.sqrt().asin()
    }

    /// Initial great-circle bearing from here to `other`, in degrees clockwise from true north (0..360).
    pub fn bearing_deg(&self, other: &GeoPoint) -> f64 {
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dl = (other.lon - self.lon).to_radians();
        let y = dl.sin() * p2.cos();
        let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos();
        y.atan2(x).to_degrees().rem_euclid(360.0)
    }
}

/// Photo Sphere (GPano) facts about a panorama, from XMP.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PanoInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projection_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_pano_width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_pano_height: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cropped_width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cropped_height: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cropped_left: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cropped_top: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pose_heading_deg: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pose_pitch_deg: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pose_roll_deg: Option<f64>,
}

impl PanoInfo {
    pub fn is_equirectangular(&self) -> bool {
        self.projection_type
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case("equirectangular"))
    }
}

/// What the capture itself says about where, when and how it was taken (EXIF and XMP).
///
/// Field names are part of the `asset.json` and `disan show --json` contract (docs/cli.md).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CaptureMetadata {
    /// When the picture was taken, ISO 8601 local time without zone (`2008-10-22T16:29:49`): EXIF
    /// DateTimeOriginal, else XMP's capture time, else when it was digitised, else the file's last change
    /// (the order is `disan_exif::read_metadata`'s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_at: Option<String>,
    /// The offset from UTC of `taken_at` (`+07:00`), when its source gives one (EXIF OffsetTimeOriginal and
    /// its kin, the zone of an XMP date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_offset: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gps: Option<GeoPoint>,
    /// GPSImgDirection: compass direction of the camera, degrees from north.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heading_deg: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub make: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lens: Option<String>,
    /// Exposure time in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub f_number: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iso: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focal_length_mm: Option<f64>,
    /// EXIF Orientation (1–8) of the primary image, when valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orientation: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pano: Option<PanoInfo>,
    /// Title and description from XMP `dc:title` / `dc:description`, by language.
    #[serde(default, skip_serializing_if = "LangText::is_empty")]
    pub title: LangText,
    #[serde(default, skip_serializing_if = "LangText::is_empty")]
    pub description: LangText,
    /// Problems met while reading metadata that did not stop the ingest (broken EXIF, bad XMP).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearings_follow_the_compass() {
        let at = |lat, lon| GeoPoint { lat, lon, alt: None };
        let gate = at(21.1500, 106.7200);
        for (to, want) in [
            (at(21.1600, 106.7200), 0.0),
            (at(21.1500, 106.7300), 90.0),
            (at(21.1400, 106.7200), 180.0),
            (at(21.1500, 106.7100), 270.0),
        ] {
            let b = gate.bearing_deg(&to);
            assert!((b - want).abs() < 0.01, "{b} vs {want}");
        }
        // On the equator, equal steps north and east head north-east.
        let b = at(0.0, 0.0).bearing_deg(&at(0.001, 0.001));
        assert!((b - 45.0).abs() < 0.01, "{b}");
    }

    #[test]
    fn null_island_is_not_a_fix() {
        assert!(
            !GeoPoint {
                lat: 0.0,
                lon: 0.0,
                alt: None
            }
            .is_plausible()
        );
        assert!(
            !GeoPoint {
                lat: f64::NAN,
                lon: 1.0,
                alt: None
            }
            .is_plausible()
        );
        assert!(
            GeoPoint {
                lat: 20.91,
                lon: 107.18,
                alt: None
            }
            .is_plausible()
        );
    }

    #[test]
    fn distance_ha_long_to_yen_tu() {
        let ha_long = GeoPoint {
            lat: 20.9101,
            lon: 107.1839,
            alt: None,
        };
        let yen_tu = GeoPoint {
            lat: 21.1583,
            lon: 106.7167,
            alt: None,
        };
        let d = ha_long.distance_m(&yen_tu);
        assert!((d - 56_500.0).abs() < 1_500.0, "{d}");
    }
}
