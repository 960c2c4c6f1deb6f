//! Built-in launch sites and launch points given by name or `LAT,LON`.

use serde::Serialize;

use crate::{GeoError, check_coordinate, names};

/// A launch area that groups have used, as reported in the press (the reports are listed
/// in `docs/geo.md`, "Launch sites").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Site {
    /// English name, also the key for `--site`.
    pub name: &'static str,
    /// Korean name.
    pub name_ko: &'static str,
    /// Latitude, degrees north.
    pub lat: f64,
    /// Longitude, degrees east.
    pub lon: f64,
    /// Approximate ground elevation above sea level, metres.
    pub elevation_m: f64,
    /// Which spot the coordinates are, and what is known of launches there.
    pub note: &'static str,
    /// Other accepted names (English and Korean).
    pub aliases: &'static [&'static str],
}

impl Site {
    /// True if `query` names this site (case, spaces and hyphens do not matter).
    pub fn matches(&self, query: &str) -> bool {
        let q = names::fold(query);
        !q.is_empty()
            && std::iter::once(self.name)
                .chain(std::iter::once(self.name_ko))
                .chain(self.aliases.iter().copied())
                .any(|n| names::fold(n) == q)
    }
}

// Coordinates are of the named landmark or township office, read from public maps and
// rounded to 0.001 degree (about 100 m); groups launch anywhere within a few km of them.
// Elevations are approximate (±20 m). The tests check that each is on South Korean land.
static SITES: [Site; 7] = [
    Site {
        name: "Paju",
        name_ko: "파주",
        lat: 37.889,
        lon: 126.740,
        elevation_m: 15.0,
        note: "Imjingak park car park, Munsan-eup; groups also used the Odusan observatory car park and Tanhyeon",
        aliases: &["Imjingak", "임진각", "Paju-Imjingak"],
    },
    Site {
        name: "Gimpo",
        name_ko: "김포",
        lat: 37.713,
        lon: 126.555,
        elevation_m: 10.0,
        note: "Wolgot-myeon on the Han estuary; Haseong-myeon launches are a few km east",
        aliases: &["Wolgot", "월곶", "Haseong", "하성"],
    },
    Site {
        name: "Ganghwa",
        name_ko: "강화",
        lat: 37.776,
        lon: 126.415,
        elevation_m: 10.0,
        note: "Yangsa-myeon, north shore of Ganghwa island facing Kaepung; Gyosan-ri is on Gyodong island to the west",
        aliases: &["Yangsa", "양사", "Ganghwa-do", "강화도"],
    },
    Site {
        name: "Yeoncheon",
        name_ko: "연천",
        lat: 38.097,
        lon: 127.075,
        elevation_m: 60.0,
        note: "Yeoncheon-eup; reported launches at Hapsu-ri, Sinseo-myeon and near the Sintan-ri GOP are within about 10 km",
        aliases: &["연천군", "Sinseo", "신서"],
    },
    Site {
        name: "Pocheon",
        name_ko: "포천",
        lat: 37.895,
        lon: 127.200,
        elevation_m: 80.0,
        note: "Pocheon city centre",
        aliases: &["포천시"],
    },
    Site {
        name: "Cheorwon",
        name_ko: "철원",
        lat: 38.147,
        lon: 127.313,
        elevation_m: 200.0,
        note: "Galmal-eup (county office), on the Cheorwon plain about 15 km south of the DMZ",
        aliases: &["철원군", "Galmal", "갈말"],
    },
    Site {
        name: "Baengnyeong",
        name_ko: "백령도",
        lat: 37.966,
        lon: 124.717,
        elevation_m: 20.0,
        note: "Jinchon-ri, Baengnyeong island in the Yellow Sea, 15 km off the North's coast; one launch was attempted",
        aliases: &["Baengnyeongdo", "Baengnyeong-do", "백령"],
    },
];

/// The built-in launch sites.
pub fn sites() -> &'static [Site] {
    &SITES
}

/// Where a flight starts: a built-in site or any coordinate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LaunchPoint {
    /// The site's English name, or `None` for a bare coordinate.
    pub site: Option<&'static str>,
    /// Latitude, degrees north.
    pub lat: f64,
    /// Longitude, degrees east.
    pub lon: f64,
    /// Ground elevation in metres when known (built-in sites).
    pub elevation_m: Option<f64>,
}

impl LaunchPoint {
    /// Reads a site name (English or Korean, any case: `paju`, `Imjingak`, `파주`) or
    /// `LAT,LON` in decimal degrees (`37.889,126.740`).
    pub fn parse(input: &str) -> Result<LaunchPoint, GeoError> {
        let s = input.trim();
        let numeric = s
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.'));
        if s.contains(',') || numeric {
            let (lat, lon) = parse_lat_lon(s)?;
            return Ok(LaunchPoint {
                site: None,
                lat,
                lon,
                elevation_m: None,
            });
        }
        match SITES.iter().find(|site| site.matches(s)) {
            Some(site) => Ok(LaunchPoint {
                site: Some(site.name),
                lat: site.lat,
                lon: site.lon,
                elevation_m: Some(site.elevation_m),
            }),
            None => Err(GeoError::UnknownSite {
                name: input.to_string(),
                known: SITES
                    .iter()
                    .map(|s| format!("{} ({})", s.name, s.name_ko))
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// `Paju (37.8890N 126.7400E)` or `37.5000N 126.9000E`.
    pub fn label(&self) -> String {
        let coord = format_lat_lon(self.lat, self.lon);
        match self.site {
            Some(name) => format!("{name} ({coord})"),
            None => coord,
        }
    }
}

/// `37.8890N 126.7400E` (S and W for negative values).
pub fn format_lat_lon(lat: f64, lon: f64) -> String {
    let ns = if lat < 0.0 { 'S' } else { 'N' };
    let ew = if lon < 0.0 { 'W' } else { 'E' };
    format!("{:.4}{ns} {:.4}{ew}", lat.abs(), lon.abs())
}

/// Reads `LAT,LON` (decimal degrees, spaces allowed around the numbers).
pub(crate) fn parse_lat_lon(s: &str) -> Result<(f64, f64), GeoError> {
    let bad = |problem: String| GeoError::BadCoordinate {
        input: s.to_string(),
        problem,
    };
    let mut parts = s.split(',');
    let (Some(a), Some(b), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad(
            "expected LAT,LON in decimal degrees, e.g. 37.889,126.740".to_string(),
        ));
    };
    let num = |t: &str, what: &str| {
        t.trim().parse::<f64>().map_err(|_| {
            bad(format!(
                "{what} {:?} is not a decimal number (expected LAT,LON, e.g. 37.889,126.740)",
                t.trim()
            ))
        })
    };
    let lat = num(a, "latitude")?;
    let lon = num(b, "longitude")?;
    check_coordinate(lat, lon).map_err(|e| match e {
        GeoError::BadCoordinate { problem, .. } => bad(problem),
        other => other,
    })?;
    Ok((lat, lon))
}
