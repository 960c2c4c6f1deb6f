//! Geographic boxes: the region a cube is cropped to.

use serde::{Deserialize, Serialize};

/// A latitude/longitude box, degrees. Longitudes in -180..180 with `lon_min < lon_max`
/// (boxes across the antimeridian are not supported).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Region {
    /// Southern edge.
    pub lat_min: f64,
    /// Northern edge.
    pub lat_max: f64,
    /// Western edge.
    pub lon_min: f64,
    /// Eastern edge.
    pub lon_max: f64,
}

impl Region {
    /// The default: the Korean peninsula and its approaches, 32-45N, 120-135E.
    pub const KOREA: Region = Region {
        lat_min: 32.0,
        lat_max: 45.0,
        lon_min: 120.0,
        lon_max: 135.0,
    };

    /// A checked box.
    pub fn new(lat_min: f64, lat_max: f64, lon_min: f64, lon_max: f64) -> Result<Self, String> {
        let ok = lat_min.is_finite()
            && lat_max.is_finite()
            && lon_min.is_finite()
            && lon_max.is_finite()
            && (-90.0..=90.0).contains(&lat_min)
            && (-90.0..=90.0).contains(&lat_max)
            && (-180.0..=180.0).contains(&lon_min)
            && (-180.0..=180.0).contains(&lon_max)
            && lat_min < lat_max
            && lon_min < lon_max;
        if ok {
            Ok(Region {
                lat_min,
                lat_max,
                lon_min,
                lon_max,
            })
        } else {
            Err(format!(
                "invalid region {lat_min},{lat_max},{lon_min},{lon_max}: want LAT_MIN,LAT_MAX,LON_MIN,LON_MAX \
                 with -90 <= LAT_MIN < LAT_MAX <= 90 and -180 <= LON_MIN < LON_MAX <= 180"
            ))
        }
    }

    /// Parses `LAT_MIN,LAT_MAX,LON_MIN,LON_MAX` (e.g. `32,45,120,135`) or `korea`.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.trim().eq_ignore_ascii_case("korea") {
            return Ok(Self::KOREA);
        }
        let parts: Vec<f64> = s
            .split(',')
            .map(|p| p.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| {
                format!(
                    "invalid region {s:?}: want LAT_MIN,LAT_MAX,LON_MIN,LON_MAX, e.g. 32,45,120,135"
                )
            })?;
        match parts.as_slice() {
            [a, b, c, d] => Self::new(*a, *b, *c, *d),
            _ => Err(format!(
                "invalid region {s:?}: want four numbers LAT_MIN,LAT_MAX,LON_MIN,LON_MAX"
            )),
        }
    }
}

impl std::fmt::Display for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}..{}N {}..{}E",
            self.lat_min, self.lat_max, self.lon_min, self.lon_max
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_boxes_and_rejects_nonsense() {
        assert_eq!(Region::parse("korea"), Ok(Region::KOREA));
        assert_eq!(Region::parse("32,45,120,135"), Ok(Region::KOREA));
        assert!(Region::parse("45,32,120,135").is_err());
        assert!(Region::parse("32,45,120").is_err());
        assert!(Region::parse("32,45,120,x").is_err());
        assert!(Region::parse("32,45,170,190").is_err());
    }
}
