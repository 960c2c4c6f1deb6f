//! What a flight aims at, and how well a landing hits it.

use serde::Serialize;

use crate::sites::{format_lat_lon, parse_lat_lon};
use crate::{Geo, GeoError, PlaceLookup, RegionClass, distance_km, names};

/// Radius used when a city or point target gives none, km.
pub const DEFAULT_RADIUS_KM: f64 = 25.0;
/// Reach of a city's population when weighting by population, km.
pub const DEFAULT_REACH_KM: f64 = 25.0;

/// The area a flight aims at.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TargetKind {
    /// Anywhere in North Korea (the DMZ does not count: leaflets there reach soldiers
    /// at most, and the South's half is not the North).
    North,
    /// One North Korean province (Natural Earth name).
    Province {
        /// Natural Earth name, e.g. `P'yŏngyang`.
        name: String,
    },
    /// Within a radius of a populated place.
    City {
        /// The place's name (GeoNames; Natural Earth for places outside the two Koreas).
        name: String,
        /// Its Korean name, where known.
        #[serde(skip_serializing_if = "Option::is_none")]
        name_ko: Option<String>,
        /// Its GeoNames id (None for a Natural Earth place abroad).
        #[serde(skip_serializing_if = "Option::is_none")]
        geonameid: Option<u32>,
        /// Place latitude.
        lat: f64,
        /// Place longitude.
        lon: f64,
        /// Radius, km.
        radius_km: f64,
    },
    /// Within a radius of a point.
    Point {
        /// Latitude.
        lat: f64,
        /// Longitude.
        lon: f64,
        /// Radius, km.
        radius_km: f64,
    },
}

/// How a hit is scored.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "weighting", rename_all = "snake_case")]
pub enum Weighting {
    /// Every hit scores 1.
    Uniform,
    /// A hit scores the North Korean population within reach, relative to the most
    /// populous place: `min(1, Σ POP_MAX·max(0, 1 − d/reach) / POP_MAX(largest))` over
    /// the North's places, `d` the distance from the landing. A landing on Pyongyang
    /// scores 1; one 10 km from a town of 150 000 with a 25 km reach scores about 0.03.
    Population {
        /// Distance at which a place's weight falls to 0, km.
        reach_km: f64,
    },
}

/// A target: an area and a weighting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Target {
    /// The area.
    #[serde(flatten)]
    pub kind: TargetKind,
    /// How a hit is scored.
    pub weighting: Weighting,
}

impl Target {
    /// Anywhere in the North, every hit scoring 1.
    pub fn north() -> Target {
        Target {
            kind: TargetKind::North,
            weighting: Weighting::Uniform,
        }
    }

    /// Reads a target with the embedded map. Forms (case-insensitive):
    /// - `north` (also `nk`, `anywhere`): anywhere in North Korea;
    /// - `province:NAME`: `province:P'yŏngyang`, `province:pyongyang`, `province:평안남도`,
    ///   `province:south-pyongan`;
    /// - `city:NAME[:RADIUS]`: `city:Pyongyang:30km`, `city:해주:20km` (radius default 25
    ///   km): any place of either Korea by GeoNames' or its Korean name
    ///   ([`Geo::find_place`]; `NAME/KP`, `NAME/KR` or a GeoNames id where a name is
    ///   shared), or a Natural Earth place abroad;
    /// - `LAT,LON[:RADIUS]`: `39.0,125.75:20km`;
    /// - any of them followed by `:pop` or `:pop=REACH` (`north:pop=40km`) to weight hits
    ///   by the population within reach (see [`Weighting::Population`]).
    pub fn parse(input: &str) -> Result<Target, GeoError> {
        Self::parse_with(Geo::try_embedded()?, input)
    }

    /// [`Target::parse`] with a given map.
    pub fn parse_with(geo: &Geo, input: &str) -> Result<Target, GeoError> {
        let bad = |problem: String| GeoError::BadTarget {
            input: input.to_string(),
            problem,
        };
        let s = input.trim();
        if s.is_empty() {
            return Err(bad(
                "empty (expected north, province:NAME, city:NAME:30km or LAT,LON:20km)".into(),
            ));
        }
        let mut parts: Vec<&str> = s.split(':').map(str::trim).collect();
        // Weighting suffix.
        let mut weighting = Weighting::Uniform;
        if let Some(last) = parts.last().copied() {
            let l = last.to_ascii_lowercase();
            if l == "pop" || l.starts_with("pop=") {
                let reach_km = match l.strip_prefix("pop=") {
                    Some(r) => parse_km(r).map_err(|p| bad(format!("population reach: {p}")))?,
                    None => DEFAULT_REACH_KM,
                };
                weighting = Weighting::Population { reach_km };
                parts.pop();
            }
        }
        let head = parts.first().copied().unwrap_or("").to_ascii_lowercase();
        let kind = match head.as_str() {
            "north" | "nk" | "anywhere" | "dprk" if parts.len() == 1 => TargetKind::North,
            "province" => {
                let [_, name] = parts[..] else {
                    return Err(bad("expected province:NAME, e.g. province:pyongyang".into()));
                };
                match geo.find_province(name) {
                    Some(p) => TargetKind::Province {
                        name: p.name.clone(),
                    },
                    None => {
                        return Err(bad(format!(
                            "unknown province {name:?}; the provinces are {}",
                            geo.provinces()
                                .iter()
                                .map(|p| format!("{} ({})", p.name, p.name_en))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )));
                    }
                }
            }
            "city" => {
                let (name, radius) = match parts[..] {
                    [_, name] => (name, None),
                    [_, name, r] => (name, Some(r)),
                    _ => {
                        return Err(bad(
                            "expected city:NAME or city:NAME:RADIUS, e.g. city:Pyongyang:30km"
                                .into(),
                        ));
                    }
                };
                let (name, name_ko, geonameid, lat, lon) = resolve_city(geo, name).map_err(bad)?;
                let radius_km = match radius {
                    Some(r) => parse_km(r).map_err(|p| bad(format!("radius: {p}")))?,
                    None => DEFAULT_RADIUS_KM,
                };
                TargetKind::City {
                    name,
                    name_ko,
                    geonameid,
                    lat,
                    lon,
                    radius_km,
                }
            }
            _ if parts.first().is_some_and(|p| p.contains(',')) => {
                let (point, radius) = match parts[..] {
                    [p] => (p, None),
                    [p, r] => (p, Some(r)),
                    _ => return Err(bad("expected LAT,LON:RADIUS, e.g. 39.0,125.75:20km".into())),
                };
                let (lat, lon) = parse_lat_lon(point).map_err(|e| bad(e.to_string()))?;
                let radius_km = match radius {
                    Some(r) => parse_km(r).map_err(|p| bad(format!("radius: {p}")))?,
                    None => DEFAULT_RADIUS_KM,
                };
                TargetKind::Point {
                    lat,
                    lon,
                    radius_km,
                }
            }
            _ => {
                let name = parts.first().copied().unwrap_or("");
                let mut hint = String::new();
                if let Some(p) = geo.find_province(name) {
                    hint.push_str(&format!(
                        " (did you mean province:{}",
                        p.name_en.to_lowercase().replace(' ', "-")
                    ));
                }
                if let Ok((found, ..)) = resolve_city(geo, name) {
                    hint.push_str(if hint.is_empty() {
                        " (did you mean "
                    } else {
                        " or "
                    });
                    // The place's own spelling when it is plain ASCII and the same name.
                    let key = if found.is_ascii() && names::fold(&found) == names::fold(name) {
                        found.as_str()
                    } else {
                        name
                    };
                    hint.push_str(&format!("city:{key}:{DEFAULT_RADIUS_KM}km"));
                }
                if !hint.is_empty() {
                    hint.push_str("?)");
                }
                return Err(bad(format!(
                    "expected north, province:NAME, city:NAME:RADIUS or LAT,LON:RADIUS, optionally followed by :pop{hint}"
                )));
            }
        };
        Ok(Target { kind, weighting })
    }

    /// A human label: `North Korea`, `P'yŏngyang province`, `Pyongyang ≤ 30 km`...
    pub fn label(&self) -> String {
        let area = match &self.kind {
            TargetKind::North => "North Korea".to_string(),
            TargetKind::Province { name } => format!("{name} province"),
            TargetKind::City {
                name, radius_km, ..
            } => format!("{name} ≤ {radius_km} km"),
            TargetKind::Point {
                lat,
                lon,
                radius_km,
            } => format!("{} ≤ {radius_km} km", format_lat_lon(*lat, *lon)),
        };
        match self.weighting {
            Weighting::Uniform => area,
            Weighting::Population { reach_km } => {
                format!("{area}, population-weighted ({reach_km} km reach)")
            }
        }
    }

    /// The label in Korean (`ui-korean.md`): `북한`, `황해남도`, `해주 20 km 이내`; a name
    /// without a Korean form stays as it is.
    pub fn label_ko(&self) -> String {
        let area = match &self.kind {
            TargetKind::North => "북한".to_string(),
            TargetKind::Province { name } => crate::names::province_names(name)
                .map_or_else(|| name.clone(), |(_, ko, _)| ko.to_string()),
            TargetKind::City {
                name,
                name_ko,
                radius_km,
                ..
            } => format!("{} {radius_km} km 이내", name_ko.as_deref().unwrap_or(name)),
            TargetKind::Point {
                lat,
                lon,
                radius_km,
            } => format!("{} {radius_km} km 이내", format_lat_lon(*lat, *lon)),
        };
        match self.weighting {
            Weighting::Uniform => area,
            Weighting::Population { reach_km } => {
                format!("{area}, 인구 가중 ({reach_km} km 범위)")
            }
        }
    }

    /// True if a landing at `(lat, lon)` is in the target area.
    pub fn hits(&self, geo: &Geo, lat: f64, lon: f64) -> bool {
        match &self.kind {
            TargetKind::North => geo.class_of(lat, lon) == RegionClass::NorthKorea,
            TargetKind::Province { name } => {
                geo.class_of(lat, lon) == RegionClass::NorthKorea
                    && geo.province_at(lat, lon).is_some_and(|p| p.name == *name)
            }
            TargetKind::City {
                lat: clat,
                lon: clon,
                radius_km,
                ..
            }
            | TargetKind::Point {
                lat: clat,
                lon: clon,
                radius_km,
            } => distance_km(lat, lon, *clat, *clon) <= *radius_km,
        }
    }

    /// The landing's score in [0, 1]: 0 outside the area; inside it 1, or with
    /// population weighting the population within reach (see [`Weighting::Population`]).
    /// A non-finite landing scores 0.
    pub fn score(&self, geo: &Geo, lat: f64, lon: f64) -> f64 {
        if !lat.is_finite() || !lon.is_finite() || !self.hits(geo, lat, lon) {
            return 0.0;
        }
        match self.weighting {
            Weighting::Uniform => 1.0,
            Weighting::Population { reach_km } => population_weight(geo, lat, lon, reach_km),
        }
    }
}

/// A city target's place: (name, Korean name, GeoNames id, lat, lon).
type CityPlace = (String, Option<String>, Option<u32>, f64, f64);

/// A city target's place: GeoNames' places of both Koreas by any of their names (see
/// [`Geo::find_place`]), else a Natural Earth place (for towns abroad, and spellings only
/// Natural Earth has, such as `Kimchaek`). Returns (name, Korean name, GeoNames id, lat, lon)
/// or the problem: an unknown name with the closest spellings, or a name several places
/// share with how to name each one.
fn resolve_city(geo: &Geo, name: &str) -> Result<CityPlace, String> {
    match geo.find_place(name) {
        PlaceLookup::One(p) => Ok((
            p.name.clone(),
            p.name_ko.clone(),
            Some(p.geonameid),
            p.lat,
            p.lon,
        )),
        PlaceLookup::Ambiguous(all) => Err(format!(
            "{name:?} names {} places; say which: {}",
            all.len(),
            all.iter()
                .map(|p| p.describe())
                .collect::<Vec<_>>()
                .join("; ")
        )),
        PlaceLookup::Unknown(close) => {
            // A number is a GeoNames id and nothing else.
            let numeric = name.trim().chars().all(|c| c.is_ascii_digit());
            if let Some(c) = geo.find_city(name).filter(|_| !numeric) {
                return Ok((
                    c.name.clone(),
                    c.name_ko.map(str::to_string),
                    None,
                    c.lat,
                    c.lon,
                ));
            }
            let hint = if close.is_empty() {
                "no place of that name or close to it; give the point instead (LAT,LON:RADIUS, e.g. 38.04,125.71:20km)".to_string()
            } else {
                format!(
                    "did you mean {}?",
                    close
                        .iter()
                        .map(|p| p.describe())
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            };
            Err(format!(
                "unknown place {name:?} among the {} places of both Koreas: {hint}",
                geo.places().len()
            ))
        }
    }
}

/// `min(1, Σ POP_MAX·max(0, 1 − d/reach) / POP_MAX(largest))` over North Korean places.
pub(crate) fn population_weight(geo: &Geo, lat: f64, lon: f64, reach_km: f64) -> f64 {
    let largest = geo.nk_cities().map(|c| c.pop_max).max().unwrap_or(0);
    if largest == 0 || reach_km <= 0.0 {
        return 0.0;
    }
    let sum: f64 = geo
        .nk_cities()
        .map(|c| {
            let d = distance_km(lat, lon, c.lat, c.lon);
            c.pop_max as f64 * (1.0 - d / reach_km).max(0.0)
        })
        .sum();
    (sum / largest as f64).clamp(0.0, 1.0)
}

/// Reads `30km`, `30 km` or `30` (km); must be finite and > 0.
fn parse_km(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let n = t
        .strip_suffix("km")
        .or_else(|| t.strip_suffix("KM"))
        .unwrap_or(t)
        .trim();
    let v: f64 = n
        .parse()
        .map_err(|_| format!("{t:?} is not a distance (expected e.g. 30km)"))?;
    if !v.is_finite() || v <= 0.0 {
        return Err(format!("{t:?} must be more than 0 km"));
    }
    if v > 2000.0 {
        return Err(format!("{t:?} is more than 2000 km"));
    }
    Ok(v)
}
