//! The built-in launch sites and where any point is: its region, and the nearest North
//! Korean town.

use saebaram_geo::{Geo, LaunchPoint, Region, Site, sites as builtin};
use serde::Serialize;

use crate::Error;
use crate::files::round;

/// The nearest North Korean town of a site.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NearTown {
    /// English name.
    pub name: String,
    /// Korean name, when known.
    pub name_ko: Option<&'static str>,
    /// Distance, km (0.1).
    pub distance_km: f64,
    /// Distance, km, unrounded.
    #[serde(skip)]
    pub distance_exact_km: f64,
}

/// One built-in site: the `sites --json` schema (an array of these).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteRow {
    /// English name.
    pub name: &'static str,
    /// Korean name.
    pub name_ko: &'static str,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Ground elevation, m.
    pub elevation_m: f64,
    /// What is there.
    pub note: &'static str,
    /// Other names it answers to.
    pub aliases: &'static [&'static str],
    /// Where it is.
    pub region: Region,
    /// The nearest North Korean town.
    pub nearest_nk_city: Option<NearTown>,
}

/// Every built-in site, with its region and nearest North Korean town.
pub fn sites() -> Result<Vec<SiteRow>, Error> {
    let geo = Geo::try_embedded()?;
    Ok(builtin()
        .iter()
        .map(|s| SiteRow {
            name: s.name,
            name_ko: s.name_ko,
            lat: s.lat,
            lon: s.lon,
            elevation_m: s.elevation_m,
            note: s.note,
            aliases: s.aliases,
            region: geo.classify(s.lat, s.lon),
            nearest_nk_city: geo.nearest_nk_city(s.lat, s.lon).map(|(c, d)| NearTown {
                name: c.name.clone(),
                name_ko: c.name_ko,
                distance_km: round(d, 1),
                distance_exact_km: d,
            }),
        })
        .collect())
}

/// The nearest North Korean town of a point, with its position.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NearTownAt {
    /// English name.
    pub name: String,
    /// Korean name.
    pub name_ko: Option<&'static str>,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Distance, km (0.1).
    pub distance_km: f64,
    /// Distance, km, unrounded.
    #[serde(skip)]
    pub distance_exact_km: f64,
}

/// Where a site or coordinate is: the `sites SITE|LAT,LON --json` schema.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlaceReport {
    /// The built-in site, when a site was named.
    pub site: Option<&'static Site>,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Where it is.
    pub region: Region,
    /// `North Korea (P'yŏngyang)`, `DMZ`, `sea`...
    pub label: String,
    /// On land.
    pub is_land: bool,
    /// ISO country code of the land it is on.
    pub country: Option<&'static str>,
    /// The nearest North Korean town.
    pub nearest_nk_city: Option<NearTownAt>,
    /// How the point was written back (`Paju (37.889N, 126.740E)`).
    #[serde(skip)]
    pub point_label: String,
    /// In the DMZ: which side of the Military Demarcation Line (`north of the MDL, in
    /// Kaesŏng`, `south of the MDL`, `side unknown`).
    #[serde(skip)]
    pub dmz_side: Option<String>,
}

/// Where a site (English or Korean name) or `LAT,LON` is.
pub fn place(text: &str) -> Result<PlaceReport, Error> {
    let geo = Geo::try_embedded()?;
    let point = LaunchPoint::parse(text).map_err(|source| Error::Place {
        text: text.to_string(),
        source,
    })?;
    let region = geo.classify(point.lat, point.lon);
    let country = geo.country_code(point.lat, point.lon);
    let dmz_side =
        (region == Region::Dmz).then(|| match (country, geo.province_at(point.lat, point.lon)) {
            (Some("PRK"), Some(p)) => format!("north of the MDL, in {}", p.name),
            (Some("PRK"), None) => "north of the MDL".to_string(),
            (Some("KOR"), _) => "south of the MDL".to_string(),
            _ => "side unknown".to_string(),
        });
    Ok(PlaceReport {
        site: point
            .site
            .and_then(|name| builtin().iter().find(|s| s.name == name)),
        lat: point.lat,
        lon: point.lon,
        label: region.label(),
        region,
        is_land: geo.is_land(point.lat, point.lon),
        country,
        nearest_nk_city: geo
            .nearest_nk_city(point.lat, point.lon)
            .map(|(c, d)| NearTownAt {
                name: c.name.clone(),
                name_ko: c.name_ko,
                lat: c.lat,
                lon: c.lon,
                distance_km: round(d, 1),
                distance_exact_km: d,
            }),
        point_label: point.label(),
        dmz_side,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_site_is_in_south_korea_or_the_sea_with_a_town_across() {
        let rows = sites().unwrap();
        assert!(rows.len() >= 5);
        for r in &rows {
            assert!(
                matches!(r.region, Region::SouthKorea | Region::Sea | Region::Dmz),
                "{}: {:?}",
                r.name,
                r.region
            );
            assert!(r.nearest_nk_city.is_some(), "{}", r.name);
        }
    }

    #[test]
    fn a_point_in_pyongyang_and_one_in_the_dmz() {
        let p = place("39.02,125.75").unwrap();
        assert!(p.label.starts_with("North Korea"), "{}", p.label);
        assert!(p.site.is_none() && p.is_land && p.dmz_side.is_none());
        let dmz = place("38.3,127.5").unwrap();
        assert_eq!(dmz.region, Region::Dmz);
        assert!(dmz.dmz_side.is_some());
        assert_eq!(place("paju").unwrap().site.map(|s| s.name), Some("Paju"));
        assert_eq!(
            place("atlantis").unwrap_err().kind(),
            crate::ErrorKind::Place
        );
    }
}
