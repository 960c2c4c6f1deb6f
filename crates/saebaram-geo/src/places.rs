//! Populated places of both Koreas from GeoNames: their populated discs (for the heavy-fall
//! flag), and finding a place by name in Korean or English (for targets).

use serde::Serialize;

use crate::names::fold;
use crate::place_rows::{self, PlaceRow};
use crate::{GeoError, distance_km};

/// The GeoNames place list (see `data/SOURCES.md`).
pub(crate) const PLACES_CSV: &str = include_str!("../data/geonames_places_kr_kp.csv");
/// Our corrections to it (Korean names that are wrong or missing), each with its reason.
pub(crate) const CORRECTIONS_CSV: &str = include_str!("../data/geonames_corrections.csv");

/// The credit line GeoNames' licence (CC BY 4.0) asks for, to show wherever place names or
/// positions are shown.
pub const PLACES_CREDIT: &str = "Place names and positions: GeoNames (geonames.org), CC BY 4.0";

/// People per km² at which a place's population is spread over its populated disc: 3,000,
/// about what Korea's large cities hold over their whole municipal area (Incheon and Daegu
/// about 2,800, Busan about 4,400; Seoul proper is denser, 16,000, so its disc reaches over
/// the neighbouring satellite cities, which are populated too).
pub const POPULATED_DENSITY_PER_KM2: f64 = 3_000.0;

/// Smallest radius of a populated disc, km: a town's built-up area and the villages at its
/// edge, and a margin for where GeoNames puts the point (the town hall or centre, not the
/// edge of the houses).
pub const POPULATED_MIN_RADIUS_KM: f64 = 5.0;

/// Radius of the disc of a place whose population GeoNames does not know (population 0 in
/// the file: "size unknown", never "empty"), km. Most of these 165 places are rural townships
/// (myeon) of a few thousand people, for which the smallest disc fits; a few are large
/// (Paju, about 500,000; Yuseong): for them 5 km is too small, but their built-up parts
/// carry places of their own in the list (Munsan, Tanhyeon, Gwangtan, Beobwon near Paju).
pub const POPULATED_UNKNOWN_RADIUS_KM: f64 = 5.0;

/// A populated place of South or North Korea from GeoNames (at least 500 inhabitants).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Place {
    /// GeoNames id (`city:1840862` names this place without ambiguity).
    pub geonameid: u32,
    /// GeoNames' name (McCune–Reischauer for the North: `Kaesŏng`, `Namp’o`).
    pub name: String,
    /// Korean name (Hangul), where known.
    pub name_ko: Option<String>,
    /// ISO 3166-1 alpha-3 of the country: `KOR` or `PRK`.
    pub country: &'static str,
    /// GeoNames admin-1 code.
    pub admin1: String,
    /// Latitude, degrees north.
    pub lat: f64,
    /// Longitude, degrees east.
    pub lon: f64,
    /// Inhabitants; `None` when GeoNames does not know (its 0).
    pub population: Option<u64>,
    /// Folded main names (English and Korean), for lookups.
    #[serde(skip)]
    keys: Vec<String>,
    /// Folded names without an administrative suffix (`Goyang-si` -> `goyang`, `강화군` ->
    /// `강화`), a second tier of lookups.
    #[serde(skip)]
    short_keys: Vec<String>,
}

impl Place {
    /// True for a South Korean place.
    pub fn is_south_korean(&self) -> bool {
        self.country == "KOR"
    }

    /// True for a North Korean place.
    pub fn is_north_korean(&self) -> bool {
        self.country == "PRK"
    }

    /// `KR` or `KP`, as a user qualifies a name (`city:순천/KP`).
    pub fn country_short(&self) -> &'static str {
        if self.is_south_korean() { "KR" } else { "KP" }
    }

    /// Radius of the disc this place's population would fill at
    /// [`POPULATED_DENSITY_PER_KM2`], never less than [`POPULATED_MIN_RADIUS_KM`]:
    /// `max(5, sqrt(population / (π · 3000)))` km; [`POPULATED_UNKNOWN_RADIUS_KM`] when the
    /// population is unknown. Seoul 33 km, Busan 18.7, Goyang 10.6, Munsan and smaller 5.
    pub fn populated_radius_km(&self) -> f64 {
        match self.population {
            Some(p) => (p as f64 / (std::f64::consts::PI * POPULATED_DENSITY_PER_KM2))
                .sqrt()
                .max(POPULATED_MIN_RADIUS_KM),
            None => POPULATED_UNKNOWN_RADIUS_KM,
        }
    }

    /// `Munsan (문산)`, or the name alone when there is no Korean one.
    pub fn label(&self) -> String {
        match &self.name_ko {
            Some(ko) => format!("{} ({ko})", self.name),
            None => self.name.clone(),
        }
    }

    /// One line telling this place apart from others of its name: `Gwangju 광주, KR,
    /// 35.155N 126.916E, 1,401,235 people (city:1841811)`.
    pub fn describe(&self) -> String {
        let people = match self.population {
            Some(p) => format!("{} people", thousands(p)),
            None => "population unknown".to_string(),
        };
        format!(
            "{}{}, {}, {:.3}N {:.3}E, {people} (city:{})",
            self.name,
            self.name_ko
                .as_deref()
                .map_or(String::new(), |k| format!(" {k}")),
            self.country_short(),
            self.lat,
            self.lon,
            self.geonameid
        )
    }
}

/// `1,401,235`.
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// English administrative suffixes of GeoNames names (`Goyang-si`, `Paech’ŏn-ŭp`), folded.
const EN_SUFFIXES: [&str; 12] = [
    "si", "gun", "eup", "up", "myeon", "ri", "ni", "li", "dong", "gu", "city", "do",
];
/// Korean ones (`고양시`, `강화군`, `배천읍`).
const KO_SUFFIXES: [char; 6] = ['시', '군', '읍', '면', '리', '동'];

/// The names a place answers to without its administrative suffix.
fn short_names(name: &str, name_ko: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    // Only a suffix set off by a hyphen or a space counts in English ("Dongmyeon" keeps its
    // "myeon": it is the whole name).
    if let Some((stem, suffix)) = name.rsplit_once(['-', ' '])
        && EN_SUFFIXES.contains(&fold(suffix).as_str())
        && !fold(stem).is_empty()
    {
        out.push(fold(stem));
    }
    if let Some(ko) = name_ko {
        let chars: Vec<char> = ko.chars().filter(|c| !c.is_whitespace()).collect();
        // Keep at least two syllables: 동면 stays 동면.
        if chars.len() >= 3 && chars.last().is_some_and(|c| KO_SUFFIXES.contains(c)) {
            out.push(fold(&chars[..chars.len() - 1].iter().collect::<String>()));
        }
    }
    out.retain(|k| !k.is_empty());
    out.dedup();
    out
}

fn place_from_row(r: PlaceRow) -> Place {
    let name_ko = (!r.name_ko.is_empty()).then_some(r.name_ko);
    let mut keys = vec![fold(&r.name)];
    if let Some(ko) = &name_ko {
        keys.push(fold(ko));
    }
    keys.dedup();
    let short_keys = short_names(&r.name, name_ko.as_deref())
        .into_iter()
        .filter(|k| !keys.contains(k))
        .collect();
    Place {
        geonameid: r.geonameid,
        name: r.name,
        name_ko,
        country: if r.country == "KR" { "KOR" } else { "PRK" },
        admin1: r.admin1,
        lat: r.lat,
        lon: r.lon,
        population: (r.population > 0).then_some(r.population),
        keys,
        short_keys,
    }
}

/// Reads the embedded place list with its corrections (checked at build time by the same
/// reader, so an error here means the binary was built from other data).
pub(crate) fn load() -> Result<Vec<Place>, GeoError> {
    let data = |e: place_rows::RowError| GeoError::Data {
        layer: e.file,
        problem: e.to_string(),
    };
    let mut rows =
        place_rows::parse_places("geonames_places_kr_kp.csv", PLACES_CSV).map_err(data)?;
    let fixes =
        place_rows::parse_corrections("geonames_corrections.csv", CORRECTIONS_CSV).map_err(data)?;
    place_rows::apply_corrections("geonames_corrections.csv", &mut rows, &fixes).map_err(data)?;
    Ok(rows.into_iter().map(place_from_row).collect())
}

/// Grid cell of the disc index, degrees (about 5.5 km north-south).
const DISC_CELL_DEG: f64 = 0.05;
/// Kilometres per degree of latitude on the mean sphere (`distance_km`'s radius).
const KM_PER_DEG: f64 = 6371.0088 * std::f64::consts::PI / 180.0;

/// A grid over the discs' bounding box: each cell lists the places whose disc may reach into
/// it, so a query computes a handful of distances instead of 438.
#[derive(Debug)]
pub(crate) struct DiscIndex {
    min_lat: f64,
    min_lon: f64,
    n_lat: usize,
    n_lon: usize,
    /// Cell `k`'s places are `ids[start[k]..start[k + 1]]`.
    start: Vec<u32>,
    ids: Vec<u16>,
    radius_km: Vec<f64>,
}

impl DiscIndex {
    pub(crate) fn new(places: &[Place]) -> DiscIndex {
        let radius_km: Vec<f64> = places.iter().map(Place::populated_radius_km).collect();
        // Each disc's bounding box in degrees, a little generous (the sphere's curvature
        // over 30 km is far below the margin).
        let boxes: Vec<(f64, f64, f64, f64)> = places
            .iter()
            .zip(&radius_km)
            .map(|(p, &r)| {
                let dlat = r / KM_PER_DEG * 1.01 + 1e-6;
                let cos = (p.lat + dlat.copysign(p.lat)).to_radians().cos().max(0.1);
                let dlon = r / (KM_PER_DEG * cos) * 1.01 + 1e-6;
                (p.lat - dlat, p.lon - dlon, p.lat + dlat, p.lon + dlon)
            })
            .collect();
        let min_lat = boxes.iter().map(|b| b.0).fold(f64::INFINITY, f64::min);
        let min_lon = boxes.iter().map(|b| b.1).fold(f64::INFINITY, f64::min);
        let max_lat = boxes.iter().map(|b| b.2).fold(f64::NEG_INFINITY, f64::max);
        let max_lon = boxes.iter().map(|b| b.3).fold(f64::NEG_INFINITY, f64::max);
        if places.is_empty() || !(max_lat > min_lat && max_lon > min_lon) {
            return DiscIndex {
                min_lat: 0.0,
                min_lon: 0.0,
                n_lat: 0,
                n_lon: 0,
                start: vec![0],
                ids: Vec::new(),
                radius_km,
            };
        }
        let n_lat = ((max_lat - min_lat) / DISC_CELL_DEG).ceil() as usize + 1;
        let n_lon = ((max_lon - min_lon) / DISC_CELL_DEG).ceil() as usize + 1;
        let cell = |x: f64, min: f64, n: usize| (((x - min) / DISC_CELL_DEG) as usize).min(n - 1);
        let mut lists: Vec<Vec<u16>> = vec![Vec::new(); n_lat * n_lon];
        for (id, b) in boxes.iter().enumerate() {
            for i in cell(b.0, min_lat, n_lat)..=cell(b.2, min_lat, n_lat) {
                for j in cell(b.1, min_lon, n_lon)..=cell(b.3, min_lon, n_lon) {
                    lists[i * n_lon + j].push(id as u16);
                }
            }
        }
        let mut start = Vec::with_capacity(lists.len() + 1);
        let mut ids = Vec::new();
        start.push(0);
        for l in &lists {
            ids.extend_from_slice(l);
            start.push(ids.len() as u32);
        }
        DiscIndex {
            min_lat,
            min_lon,
            n_lat,
            n_lon,
            start,
            ids,
            radius_km,
        }
    }

    /// The places whose disc may hold `(lat, lon)` (a superset; empty off the grid or for a
    /// non-finite point).
    #[inline]
    pub(crate) fn candidates(&self, lat: f64, lon: f64) -> &[u16] {
        let (fi, fj) = (
            (lat - self.min_lat) / DISC_CELL_DEG,
            (lon - self.min_lon) / DISC_CELL_DEG,
        );
        // NaN fails both comparisons.
        if !(fi >= 0.0 && fj >= 0.0 && fi < self.n_lat as f64 && fj < self.n_lon as f64) {
            return &[];
        }
        let k = fi as usize * self.n_lon + fj as usize;
        match (self.start.get(k), self.start.get(k + 1)) {
            (Some(&a), Some(&b)) => self.ids.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// Among the places that `keep` accepts, the one whose disc holds `(lat, lon)` most
    /// deeply (smallest distance / radius; ties to the lower index): its index and the
    /// distance in km.
    #[inline]
    pub(crate) fn deepest(
        &self,
        places: &[Place],
        lat: f64,
        lon: f64,
        keep: impl Fn(&Place) -> bool,
    ) -> Option<(usize, f64)> {
        let mut best: Option<(usize, f64, f64)> = None;
        let candidates = self.candidates(lat, lon);
        if candidates.is_empty() {
            return None;
        }
        let km_per_deg_lon = KM_PER_DEG * lat.to_radians().cos();
        for &id in candidates {
            let i = id as usize;
            let (Some(p), Some(&r)) = (places.get(i), self.radius_km.get(i)) else {
                continue;
            };
            // A flat-earth distance first: within 40 km of a place it is within 0.5 % of the
            // great circle, so anything 2 % beyond the radius is out.
            let (dy, dx) = ((lat - p.lat) * KM_PER_DEG, (lon - p.lon) * km_per_deg_lon);
            let reach = r * 1.02 + 0.05;
            if dx * dx + dy * dy > reach * reach || !keep(p) {
                continue;
            }
            let d = distance_km(lat, lon, p.lat, p.lon);
            if d <= r && best.is_none_or(|b| d / r < b.2) {
                best = Some((i, d, d / r));
            }
        }
        best.map(|(i, d, _)| (i, d))
    }
}

/// What a name given by a user names among the places.
#[derive(Debug, Clone, PartialEq)]
pub enum PlaceLookup<'a> {
    /// Exactly one place.
    One(&'a Place),
    /// Several places answer to it (the most populous first): the user must choose.
    Ambiguous(Vec<&'a Place>),
    /// None does; the closest spellings (at most five, best first).
    Unknown(Vec<&'a Place>),
}

/// Finds a place by name: GeoNames' name or the Korean name, any case, with or without
/// breves and apostrophes (`Kaesŏng`, `kaesong`, `개성`); then without an administrative
/// suffix (`Goyang` for `Goyang-si`, `강화` for `강화군`). `NAME/KR` or `NAME/KP` (also
/// `/남한`, `/북한`) keeps one country; a number is a GeoNames id.
pub(crate) fn lookup<'a>(places: &'a [Place], query: &str) -> PlaceLookup<'a> {
    let q = query.trim();
    if !q.is_empty() && q.chars().all(|c| c.is_ascii_digit()) {
        return match q
            .parse::<u32>()
            .ok()
            .and_then(|id| places.iter().find(|p| p.geonameid == id))
        {
            Some(p) => PlaceLookup::One(p),
            None => PlaceLookup::Unknown(Vec::new()),
        };
    }
    let (name, country) = match q.rsplit_once('/') {
        Some((n, c)) => match fold(c).as_str() {
            "kr" | "kor" | "south" | "남한" | "한국" => (n, Some("KOR")),
            "kp" | "prk" | "north" | "북한" => (n, Some("PRK")),
            _ => (q, None),
        },
        None => (q, None),
    };
    let key = fold(name);
    if key.is_empty() {
        return PlaceLookup::Unknown(Vec::new());
    }
    let in_country = |p: &&Place| country.is_none_or(|c| p.country == c);
    // The query without its own suffix (`고양시`, `Goyang-si` typed for a place GeoNames
    // names without one).
    let short_query: Vec<String> = short_names(name, Some(name))
        .into_iter()
        .filter(|k| *k != key)
        .collect();
    for tier in 0..3 {
        let mut found: Vec<&Place> = places
            .iter()
            .filter(in_country)
            .filter(|p| match tier {
                0 => p.keys.contains(&key),
                1 => p.short_keys.contains(&key),
                _ => short_query
                    .iter()
                    .any(|q| p.keys.contains(q) || p.short_keys.contains(q)),
            })
            .collect();
        match found.len() {
            0 => continue,
            1 => return PlaceLookup::One(found[0]),
            _ => {
                found.sort_by_key(|p| std::cmp::Reverse(p.population));
                return PlaceLookup::Ambiguous(found);
            }
        }
    }
    PlaceLookup::Unknown(suggestions(places.iter().filter(in_country), &key))
}

/// The places whose names are closest to `key` (folded): within an edit distance of a
/// third of its length (at least 1), or containing it or contained in it (from 3 letters).
fn suggestions<'a>(places: impl Iterator<Item = &'a Place>, key: &str) -> Vec<&'a Place> {
    let n = key.chars().count();
    let limit = (n / 3).max(1);
    let mut scored: Vec<(usize, &Place)> = places
        .filter_map(|p| {
            p.keys
                .iter()
                .chain(&p.short_keys)
                .filter_map(|k| {
                    let m = k.chars().count();
                    // Lengths further apart than the limit cannot be within it.
                    if m.abs_diff(n) <= limit {
                        let d = strsim::damerau_levenshtein(key, k);
                        if d <= limit {
                            return Some(d);
                        }
                    }
                    let contains = k.contains(key) || (m >= 3 && key.contains(k.as_str()));
                    (n >= 3 && contains).then_some(limit + 1)
                })
                .min()
                .map(|d| (d, p))
        })
        .collect();
    scored.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.population.cmp(&a.1.population)));
    let mut out: Vec<&Place> = Vec::new();
    for (_, p) in scored {
        if !out.iter().any(|o| o.geonameid == p.geonameid) {
            out.push(p);
        }
        if out.len() == 5 {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_401_235), "1,401,235");
    }

    #[test]
    fn short_names_drop_set_off_suffixes_only() {
        assert_eq!(short_names("Goyang-si", Some("고양")), vec!["goyang"]);
        assert_eq!(
            short_names("Ganghwa-gun", Some("강화군")),
            vec!["ganghwa", "강화"]
        );
        assert_eq!(short_names("Dongmyeon", Some("동면")), Vec::<String>::new());
        assert_eq!(
            short_names("Paech’ŏn-ŭp", Some("배천읍")),
            vec!["paechon", "배천"]
        );
        assert_eq!(short_names("Donghae City", None), vec!["donghae"]);
    }
}
