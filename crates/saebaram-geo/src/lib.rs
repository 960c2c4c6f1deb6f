//! Geography of the Korean peninsula: borders, provinces, the DMZ, coast, cities, launch
//! sites, and which of them a point falls in.
//!
//! Owns: the embedded Natural Earth layers (see `data/SOURCES.md`; "Made with Natural
//! Earth") and GeoNames places (CC BY 4.0), landing classification, launch sites, targets,
//! populated discs, distances to cities.
//! Must not know: winds (`saebaram-forecast`), balloons and flights (`saebaram-flight`),
//! terminals and file formats of the command line.
//!
//! # API
//! - [`Geo::embedded`] parses the embedded layers once; [`Geo::classify`] says where a
//!   point is ([`Region`]), [`Geo::is_land`], [`Geo::nearest_nk_city`], [`Geo::cities`],
//!   [`Geo::provinces`].
//! - [`sites`] and [`LaunchPoint::parse`] for launch places; [`Target::parse`] and
//!   [`Target::score`] for what a flight aims at.
//! - [`Geo::places`]: the 438 GeoNames places of both Koreas (CC BY 4.0, [`PLACES_CREDIT`]),
//!   checked at build time by `build.rs`; [`Geo::find_place`] by name in Korean or English,
//!   [`Geo::populated_rok_place`] for the heavy-fall flag (a disc per place, found through a
//!   grid index of the discs).
//! - [`layer_geojson`] hands the raw layers to the map.
//!
//! # Conventions
//! Latitude and longitude in decimal degrees (WGS84, north and east positive); every
//! function takes `(lat, lon)` in that order. Distances are great-circle (haversine, mean
//! Earth radius 6371.0088 km, the `geo` crate) in kilometres.
//!
//! # What is hand-written, and why
//! Point-in-polygon uses a small grid-and-band index (`index.rs`) instead of `geo`'s
//! `Contains`: the flight planner classifies about 100 000 landings per plan, and a
//! linear scan of a 3 000-vertex country per point is some 100x slower than one grid
//! read. The tests check the index against `geo`'s `Contains` on many points. Name
//! folding (`P'yŏngyang` = `pyongyang`) is a few lines and has no crate made for it.
//!
//! # Outside the map, and bad coordinates
//! The layers cover lon 120–135E, lat 32–45N. A point outside that box, or a non-finite
//! one, is [`Region::OutsideMap`] from [`Geo::classify`] (never guessed to be sea);
//! [`Geo::try_classify`] turns a non-finite or out-of-range coordinate into an error.
#![deny(missing_docs)]

mod index;
mod names;
mod place_rows;
mod places;
mod sites;
mod target;

use std::sync::OnceLock;

use geo::{Distance, Haversine, Point};
use serde::Serialize;

use index::PolygonIndex;
use places::DiscIndex;
pub use places::{
    PLACES_CREDIT, POPULATED_DENSITY_PER_KM2, POPULATED_MIN_RADIUS_KM, POPULATED_UNKNOWN_RADIUS_KM,
    Place, PlaceLookup,
};
pub use sites::{LaunchPoint, Site, sites};
pub use target::{Target, TargetKind, Weighting};

/// Where a point on the ground is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "class", rename_all = "snake_case")]
pub enum Region {
    /// Inside North Korea, outside the DMZ, with the province's Natural Earth name
    /// (McCune–Reischauer, e.g. `P'yŏngyang`) when known.
    NorthKorea {
        /// Province (Natural Earth name, e.g. `P'yŏngan-bukto`), if the point is inside one.
        province: Option<String>,
    },
    /// Inside South Korea, outside the DMZ.
    SouthKorea,
    /// On land inside the Korean Demilitarized Zone (either side of the Military
    /// Demarcation Line).
    Dmz,
    /// China.
    China,
    /// Russia.
    Russia,
    /// Japan.
    Japan,
    /// Inside the map but on no land polygon.
    Sea,
    /// Outside the embedded map (lon 120–135E, lat 32–45N) or not a finite coordinate:
    /// the map cannot say whether this is land or sea.
    OutsideMap,
}

impl Region {
    /// A short English label: `North Korea (P'yŏngyang)`, `South Korea`, `DMZ`, `sea`...
    pub fn label(&self) -> String {
        match self {
            Region::NorthKorea { province: Some(p) } => format!("North Korea ({p})"),
            Region::NorthKorea { province: None } => "North Korea".to_string(),
            Region::SouthKorea => "South Korea".to_string(),
            Region::Dmz => "DMZ".to_string(),
            Region::China => "China".to_string(),
            Region::Russia => "Russia".to_string(),
            Region::Japan => "Japan".to_string(),
            Region::Sea => "sea".to_string(),
            Region::OutsideMap => "outside the map".to_string(),
        }
    }

    /// True for North Korea (any province), not counting the DMZ.
    pub fn is_north(&self) -> bool {
        matches!(self, Region::NorthKorea { .. })
    }
}

/// The class of a point without the province: [`Region`] for hot loops (it is `Copy` and
/// never allocates). [`Geo::class_of`] gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionClass {
    /// North Korea, outside the DMZ.
    NorthKorea,
    /// South Korea, outside the DMZ.
    SouthKorea,
    /// On land in the DMZ.
    Dmz,
    /// China.
    China,
    /// Russia.
    Russia,
    /// Japan.
    Japan,
    /// Inside the map, on no land polygon.
    Sea,
    /// Off the map or not finite.
    OutsideMap,
}

/// Errors of this crate. Each names the input and what is wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum GeoError {
    /// An embedded layer could not be read (a build problem, caught by the tests).
    #[error("embedded layer {layer}: {problem}")]
    Data {
        /// The layer's file name.
        layer: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// A coordinate that is not a number, or out of range.
    #[error("bad coordinate {input:?}: {problem}")]
    BadCoordinate {
        /// The input as given.
        input: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A launch site name that is not built in.
    #[error(
        "unknown launch site {name:?}: known sites are {known} (or give LAT,LON, e.g. 37.889,126.740)"
    )]
    UnknownSite {
        /// The name as given.
        name: String,
        /// The built-in sites, comma-separated.
        known: String,
    },
    /// A target that cannot be read.
    #[error("bad target {input:?}: {problem}")]
    BadTarget {
        /// The input as given.
        input: String,
        /// What is wrong with it.
        problem: String,
    },
}

/// The embedded layers, for the map and anyone who wants the raw GeoJSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// Country polygons (CHN, KOR, PRK, RUS, JPN), NE 1:10m Admin-0 v5.1.1.
    Countries,
    /// The 11 North Korean provinces (derived from NE 1:10m, see `data/SOURCES.md`).
    Provinces,
    /// The two halves of the Korean DMZ.
    Dmz,
    /// Land borders of North Korea: the MDL approximation, China and Russia borders, the
    /// DMZ's north edge (`kind` property).
    Borders,
    /// The coastline.
    Coastline,
    /// Populated places (125 points with population estimates).
    Cities,
}

impl Layer {
    /// Every layer.
    pub const ALL: [Layer; 6] = [
        Layer::Countries,
        Layer::Provinces,
        Layer::Dmz,
        Layer::Borders,
        Layer::Coastline,
        Layer::Cities,
    ];

    /// The embedded file's name.
    pub fn file_name(self) -> &'static str {
        match self {
            Layer::Countries => "admin0_korea_region.geojson",
            Layer::Provinces => "nk_admin1_provinces.geojson",
            Layer::Dmz => "korean_dmz.geojson",
            Layer::Borders => "nk_land_borders.geojson",
            Layer::Coastline => "coastline_korea_region.geojson",
            Layer::Cities => "populated_places_korea_region.geojson",
        }
    }
}

/// The embedded GeoJSON text of a layer (WGS84, `[lon, lat]`, 4 decimals).
pub fn layer_geojson(layer: Layer) -> &'static str {
    match layer {
        Layer::Countries => include_str!("../data/admin0_korea_region.geojson"),
        Layer::Provinces => include_str!("../data/nk_admin1_provinces.geojson"),
        Layer::Dmz => include_str!("../data/korean_dmz.geojson"),
        Layer::Borders => include_str!("../data/nk_land_borders.geojson"),
        Layer::Coastline => include_str!("../data/coastline_korea_region.geojson"),
        Layer::Cities => include_str!("../data/populated_places_korea_region.geojson"),
    }
}

/// The data's credit line, to show wherever the layers are shown.
pub const CREDIT: &str = "Made with Natural Earth (public domain)";

/// The box the layers cover, degrees: `(min_lat, min_lon, max_lat, max_lon)`.
pub const EXTENT: (f64, f64, f64, f64) = (32.0, 120.0, 45.0, 135.0);

/// A populated place from Natural Earth.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct City {
    /// Natural Earth `NAME` (e.g. `Pyongyang`).
    pub name: String,
    /// Korean name (Hangul) for North Korean places, where known.
    pub name_ko: Option<&'static str>,
    /// Other spellings (`NAMEALT`, `NAME_EN`), as Natural Earth gives them.
    pub other_names: Vec<String>,
    /// ISO 3166-1 alpha-3 of the country (`PRK`, `KOR`, `CHN`, `RUS`, `JPN`).
    pub country: String,
    /// First-level division as Natural Earth names it, if given.
    pub admin1: Option<String>,
    /// Latitude, degrees north.
    pub lat: f64,
    /// Longitude, degrees east.
    pub lon: f64,
    /// Natural Earth `POP_MAX` (urban-area estimate, circa 2010s).
    pub pop_max: u64,
}

impl City {
    /// True for a North Korean place.
    pub fn is_north_korean(&self) -> bool {
        self.country == "PRK"
    }

    /// True for a South Korean place.
    pub fn is_south_korean(&self) -> bool {
        self.country == "KOR"
    }
}

/// A North Korean province.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Province {
    /// Natural Earth name, McCune–Reischauer (`P'yŏngan-bukto`).
    pub name: String,
    /// English name (`North Pyongan`).
    pub name_en: &'static str,
    /// Korean name (`평안북도`).
    pub name_ko: &'static str,
    /// Natural Earth admin-1 code (`PRK-3312`).
    pub code: String,
    /// Approximate area, km².
    pub area_km2: f64,
    #[serde(skip)]
    aliases: Vec<String>,
}

impl Province {
    /// True if `query` names this province in any accepted spelling (case, apostrophes,
    /// breves, hyphens and spaces do not matter).
    pub fn matches(&self, query: &str) -> bool {
        let q = names::fold(query);
        !q.is_empty() && self.aliases.contains(&q)
    }
}

/// Which country an admin-0 polygon is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Country {
    China,
    South,
    North,
    Russia,
    Japan,
}

/// The parsed layers and their indexes.
#[derive(Debug)]
pub struct Geo {
    countries: Vec<Country>,
    admin0: PolygonIndex,
    provinces: Vec<Province>,
    province_index: PolygonIndex,
    dmz: PolygonIndex,
    cities: Vec<City>,
    nk_cities: Vec<usize>,
    places: Vec<Place>,
    discs: DiscIndex,
}

/// Grid cell size and band height of the indexes, degrees (about 1.1 km).
const CELL_DEG: f64 = 0.01;
const BAND_DEG: f64 = 0.01;

type Rings = Vec<Vec<(f64, f64)>>;

fn data_err(layer: Layer, problem: impl Into<String>) -> GeoError {
    GeoError::Data {
        layer: layer.file_name(),
        problem: problem.into(),
    }
}

fn features(layer: Layer) -> Result<Vec<geojson::Feature>, GeoError> {
    let fc: geojson::FeatureCollection = layer_geojson(layer)
        .parse::<geojson::GeoJson>()
        .map_err(|e| data_err(layer, e.to_string()))?
        .try_into()
        .map_err(|e: geojson::Error| data_err(layer, e.to_string()))?;
    Ok(fc.features)
}

fn prop_str(layer: Layer, f: &geojson::Feature, key: &str) -> Result<String, GeoError> {
    opt_str(f, key).ok_or_else(|| data_err(layer, format!("a feature has no string {key}")))
}

fn opt_str(f: &geojson::Feature, key: &str) -> Option<String> {
    f.property(key).and_then(|v| v.as_str()).map(str::to_string)
}

/// Every ring of a Polygon or MultiPolygon feature, as (lon, lat).
fn rings(layer: Layer, f: &geojson::Feature) -> Result<Rings, GeoError> {
    let geom = f
        .geometry
        .as_ref()
        .ok_or_else(|| data_err(layer, "a feature has no geometry"))?;
    let mp: geo::MultiPolygon<f64> =
        match geo::Geometry::<f64>::try_from(geom).map_err(|e| data_err(layer, e.to_string()))? {
            geo::Geometry::Polygon(p) => geo::MultiPolygon(vec![p]),
            geo::Geometry::MultiPolygon(mp) => mp,
            _ => return Err(data_err(layer, "a feature is not a polygon")),
        };
    let mut out = Vec::new();
    for p in &mp {
        for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
            out.push(ring.coords().map(|c| (c.x, c.y)).collect());
        }
    }
    Ok(out)
}

impl Geo {
    /// The embedded layers, parsed and indexed on first use (about 40 ms in release), then shared.
    ///
    /// # Panics
    /// Only if the embedded data is broken, which the crate's tests rule out; use
    /// [`Geo::try_embedded`] to get the error instead.
    pub fn embedded() -> &'static Geo {
        match Self::try_embedded() {
            Ok(g) => g,
            Err(e) => panic!("saebaram-geo: {e}"),
        }
    }

    /// Like [`Geo::embedded`], but returns a broken embedded layer as an error.
    pub fn try_embedded() -> Result<&'static Geo, GeoError> {
        static GEO: OnceLock<Result<Geo, String>> = OnceLock::new();
        let r = GEO.get_or_init(|| Geo::parse_embedded().map_err(|e| e.to_string()));
        r.as_ref().map_err(|p| GeoError::Data {
            layer: "embedded layers",
            problem: p.clone(),
        })
    }

    /// Parses and indexes the embedded layers anew (what [`Geo::embedded`] does once).
    /// For benchmarks and for callers that want their own copy.
    pub fn parse_embedded() -> Result<Geo, GeoError> {
        // Countries.
        let mut countries = Vec::new();
        let mut polys = Vec::new();
        for f in features(Layer::Countries)? {
            let code = prop_str(Layer::Countries, &f, "ADM0_A3")?;
            let c = match code.as_str() {
                "CHN" => Country::China,
                "KOR" => Country::South,
                "PRK" => Country::North,
                "RUS" => Country::Russia,
                "JPN" => Country::Japan,
                other => {
                    return Err(data_err(
                        Layer::Countries,
                        format!("unexpected ADM0_A3 {other:?}"),
                    ));
                }
            };
            countries.push(c);
            polys.push(rings(Layer::Countries, &f)?);
        }
        let admin0 = PolygonIndex::new(&polys, CELL_DEG, BAND_DEG);

        // Provinces.
        let mut provinces = Vec::new();
        let mut polys = Vec::new();
        for f in features(Layer::Provinces)? {
            let name = prop_str(Layer::Provinces, &f, "name")?;
            let (name_en, name_ko, extra) = names::province_names(&name).ok_or_else(|| {
                data_err(Layer::Provinces, format!("unknown province name {name:?}"))
            })?;
            let mut aliases: Vec<String> = [name.as_str(), name_en, name_ko]
                .into_iter()
                .chain(extra.iter().copied())
                .map(names::fold)
                .collect();
            // "P'yŏngan-bukto" is also written "pyongan-bukdo".
            if let Some(stem) = names::fold(&name).strip_suffix("bukto") {
                aliases.push(format!("{stem}bukdo"));
            }
            let code = prop_str(Layer::Provinces, &f, "ne_adm1_code")?;
            let area_km2 = f
                .property("area_km2_approx")
                .and_then(|v| v.as_f64())
                .unwrap_or(f64::NAN);
            provinces.push(Province {
                name,
                name_en,
                name_ko,
                code,
                area_km2,
                aliases,
            });
            polys.push(rings(Layer::Provinces, &f)?);
        }
        let province_index = PolygonIndex::new(&polys, CELL_DEG, BAND_DEG);

        // DMZ halves (both mean "DMZ").
        let mut polys = Vec::new();
        for f in features(Layer::Dmz)? {
            polys.push(rings(Layer::Dmz, &f)?);
        }
        let dmz = PolygonIndex::new(&polys, CELL_DEG / 4.0, BAND_DEG / 4.0);

        // Cities.
        let mut cities = Vec::new();
        for f in features(Layer::Cities)? {
            let name = prop_str(Layer::Cities, &f, "NAME")?;
            let name_ascii = opt_str(&f, "NAMEASCII").unwrap_or_else(|| name.clone());
            let country = prop_str(Layer::Cities, &f, "ADM0_A3")?;
            let (lon, lat) = match f.geometry.as_ref().map(|g| &g.value) {
                Some(geojson::GeometryValue::Point { coordinates }) => {
                    match (
                        coordinates.as_slice().first(),
                        coordinates.as_slice().get(1),
                    ) {
                        (Some(&x), Some(&y)) => (x, y),
                        _ => return Err(data_err(Layer::Cities, format!("{name}: bad point"))),
                    }
                }
                _ => return Err(data_err(Layer::Cities, format!("{name}: not a point"))),
            };
            let pop_max = f
                .property("POP_MAX")
                .and_then(|v| v.as_u64())
                .ok_or_else(|| data_err(Layer::Cities, format!("{name}: no POP_MAX")))?;
            let mut other_names = Vec::new();
            for key in ["NAMEASCII", "NAMEALT", "NAME_EN"] {
                if let Some(n) = opt_str(&f, key)
                    && n != name
                    && !other_names.contains(&n)
                {
                    other_names.push(n);
                }
            }
            let name_ko = if country == "PRK" {
                names::nk_city_korean(&name_ascii)
            } else {
                None
            };
            cities.push(City {
                name,
                name_ko,
                other_names,
                country,
                admin1: opt_str(&f, "ADM1NAME"),
                lat,
                lon,
                pop_max,
            });
        }
        let nk_cities = (0..cities.len())
            .filter(|&i| cities[i].is_north_korean())
            .collect();
        let places = places::load()?;
        let discs = DiscIndex::new(&places);
        Ok(Geo {
            countries,
            admin0,
            provinces,
            province_index,
            dmz,
            cities,
            nk_cities,
            places,
            discs,
        })
    }

    /// Where `(lat, lon)` is. DMZ (on land) comes first, then the country polygons; in
    /// North Korea the province is added. West of the MDL's end in the Han estuary
    /// (about 126.67E) there is no land line: the country polygons decide, and water is
    /// [`Region::Sea`]. Non-finite or off-map points are [`Region::OutsideMap`].
    pub fn classify(&self, lat: f64, lon: f64) -> Region {
        match self.class_of(lat, lon) {
            RegionClass::NorthKorea => Region::NorthKorea {
                province: self.province_at(lat, lon).map(|p| p.name.clone()),
            },
            RegionClass::SouthKorea => Region::SouthKorea,
            RegionClass::Dmz => Region::Dmz,
            RegionClass::China => Region::China,
            RegionClass::Russia => Region::Russia,
            RegionClass::Japan => Region::Japan,
            RegionClass::Sea => Region::Sea,
            RegionClass::OutsideMap => Region::OutsideMap,
        }
    }

    /// [`Geo::classify`] without the province: no allocation, for hot loops.
    #[inline]
    pub fn class_of(&self, lat: f64, lon: f64) -> RegionClass {
        if !in_extent(lat, lon) {
            return RegionClass::OutsideMap;
        }
        let Some(id) = self.admin0.locate(lon, lat) else {
            return RegionClass::Sea;
        };
        if self.dmz.locate(lon, lat).is_some() {
            return RegionClass::Dmz;
        }
        match self.countries.get(id as usize) {
            Some(Country::North) => RegionClass::NorthKorea,
            Some(Country::South) => RegionClass::SouthKorea,
            Some(Country::China) => RegionClass::China,
            Some(Country::Russia) => RegionClass::Russia,
            Some(Country::Japan) => RegionClass::Japan,
            None => RegionClass::Sea,
        }
    }

    /// `Some(true)` at sea, `Some(false)` on land, `None` off the map or for a
    /// non-finite point (the map cannot say): for an integrator's ground test.
    #[inline]
    pub fn is_sea(&self, lat: f64, lon: f64) -> Option<bool> {
        if !in_extent(lat, lon) {
            return None;
        }
        Some(self.admin0.locate(lon, lat).is_none())
    }

    /// Like [`Geo::classify`], but a coordinate that is not finite, or a latitude
    /// outside ±90 or a longitude outside ±180, is an error.
    pub fn try_classify(&self, lat: f64, lon: f64) -> Result<Region, GeoError> {
        check_coordinate(lat, lon)?;
        Ok(self.classify(lat, lon))
    }

    /// The ISO 3166-1 alpha-3 code (`PRK`, `KOR`, `CHN`, `RUS`, `JPN`) of the country
    /// polygon containing the point, ignoring the DMZ: inside the DMZ it tells the side of
    /// the Military Demarcation Line. `None` at sea and off the map.
    pub fn country_code(&self, lat: f64, lon: f64) -> Option<&'static str> {
        let id = self.admin0.locate(lon, lat)?;
        Some(match self.countries.get(id as usize)? {
            Country::China => "CHN",
            Country::South => "KOR",
            Country::North => "PRK",
            Country::Russia => "RUS",
            Country::Japan => "JPN",
        })
    }

    /// True if the point is on a land polygon of the map (false at sea and off the map).
    pub fn is_land(&self, lat: f64, lon: f64) -> bool {
        self.admin0.locate(lon, lat).is_some()
    }

    /// The North Korean province containing the point, if any.
    pub fn province_at(&self, lat: f64, lon: f64) -> Option<&Province> {
        self.province_index
            .locate(lon, lat)
            .and_then(|i| self.provinces.get(i as usize))
    }

    /// The 11 North Korean provinces.
    pub fn provinces(&self) -> &[Province] {
        &self.provinces
    }

    /// The province named `query` in any accepted spelling (`P'yŏngyang`, `pyongyang`,
    /// `평양`, `North Pyongan`, `pyongan-bukto`...).
    pub fn find_province(&self, query: &str) -> Option<&Province> {
        self.provinces.iter().find(|p| p.matches(query))
    }

    /// Every populated place (North Korean ones first, then by population).
    pub fn cities(&self) -> &[City] {
        &self.cities
    }

    /// North Korean populated places.
    pub fn nk_cities(&self) -> impl Iterator<Item = &City> {
        self.nk_cities.iter().filter_map(|&i| self.cities.get(i))
    }

    /// The place named `query` (case and apostrophes do not matter; Korean names work
    /// for North Korean places). North Korean places win over others of the same name;
    /// Natural Earth's main name wins over alternative names.
    pub fn find_city(&self, query: &str) -> Option<&City> {
        let q = names::fold(query);
        if q.is_empty() {
            return None;
        }
        let by_main =
            |c: &&City| names::fold(&c.name) == q || c.name_ko.is_some_and(|k| names::fold(k) == q);
        let by_other = |c: &&City| c.other_names.iter().any(|n| names::fold(n) == q);
        let nk = || self.cities.iter().filter(|c| c.is_north_korean());
        nk().find(by_main)
            .or_else(|| self.cities.iter().find(by_main))
            .or_else(|| nk().find(by_other))
            .or_else(|| self.cities.iter().find(by_other))
    }

    /// The populated places of both Koreas from GeoNames (South Korea first, each country
    /// by population). Indexes into this slice are what [`Geo::populated_rok_place`] returns.
    pub fn places(&self) -> &[Place] {
        &self.places
    }

    /// Finds a place of either Korea by name (see [`PlaceLookup`]): GeoNames' name or its
    /// Korean one, any case, breves and apostrophes optional (`Kaesŏng`, `kaesong`, `개성`),
    /// then the name without `-si`/`-gun`/`시`/`군`... (`Goyang`, `강화`). `NAME/KR` or
    /// `NAME/KP` keeps one country; a number is a GeoNames id (`1840862`). A name that
    /// several places share is [`PlaceLookup::Ambiguous`], never a guess; an unknown one
    /// comes with the closest spellings.
    pub fn find_place(&self, query: &str) -> PlaceLookup<'_> {
        places::lookup(&self.places, query)
    }

    /// The South Korean place whose populated disc ([`Place::populated_radius_km`]) holds
    /// the point, when the point is on South Korean land (not the DMZ, not the sea): its index
    /// in [`Geo::places`], the place and the distance in km. Where discs overlap, the place
    /// the point is deepest inside (smallest distance / radius) wins. The list has 311 South
    /// Korean places of 500 or more people, border towns included; `None` still does not mean
    /// nobody lives there (see `docs/flight.md`).
    pub fn populated_rok_place(&self, lat: f64, lon: f64) -> Option<(usize, &Place, f64)> {
        let (i, d) = self.landing_place(lat, lon).1?;
        Some((i, self.places.get(i)?, d))
    }

    /// Where a landing is and, on South Korean land, the populated place it falls in: the
    /// class ([`Geo::class_of`]) and the index in [`Geo::places`] with the distance in km
    /// (as [`Geo::populated_rok_place`]), from one classification. The heavy-fall flag's
    /// lookup: no allocation.
    #[inline]
    pub fn landing_place(&self, lat: f64, lon: f64) -> (RegionClass, Option<(usize, f64)>) {
        let class = self.class_of(lat, lon);
        if class != RegionClass::SouthKorea {
            return (class, None);
        }
        let place = self
            .discs
            .deepest(&self.places, lat, lon, Place::is_south_korean);
        (class, place)
    }

    /// The place of either Korea whose populated disc holds the point most deeply, wherever
    /// the point is (land, sea or DMZ): index, place, distance in km.
    pub fn populated_place(&self, lat: f64, lon: f64) -> Option<(usize, &Place, f64)> {
        let (i, d) = self.discs.deepest(&self.places, lat, lon, |_| true)?;
        Some((i, self.places.get(i)?, d))
    }

    /// Walking from `(lat, lon)` along the great circle that starts towards `bearing_deg`
    /// (clockwise from north) in steps of 1 km, the distance in km of the first point in
    /// North Korea (outside the DMZ), or `None` within `max_km`. For the launch-window
    /// pre-filter: does the wind point into the North?
    pub fn north_along(&self, lat: f64, lon: f64, bearing_deg: f64, max_km: f64) -> Option<f64> {
        const R_KM: f64 = 6371.0088;
        if !(lat.is_finite() && lon.is_finite() && bearing_deg.is_finite()) {
            return None;
        }
        let (p1, l1, b) = (lat.to_radians(), lon.to_radians(), bearing_deg.to_radians());
        let steps = max_km.max(0.0).floor() as usize;
        (1..=steps).map(|k| k as f64).find(|&d| {
            let a = d / R_KM;
            let p2 = (p1.sin() * a.cos() + p1.cos() * a.sin() * b.cos()).asin();
            let l2 = l1 + (b.sin() * a.sin() * p1.cos()).atan2(a.cos() - p1.sin() * p2.sin());
            self.class_of(p2.to_degrees(), l2.to_degrees()) == RegionClass::NorthKorea
        })
    }

    /// The nearest North Korean populated place and its distance in km, or `None` for a
    /// point that is not a coordinate (non-finite, latitude beyond ±90 or longitude
    /// beyond ±180).
    pub fn nearest_nk_city(&self, lat: f64, lon: f64) -> Option<(&City, f64)> {
        check_coordinate(lat, lon).ok()?;
        self.nk_cities()
            .map(|c| (c, distance_km(lat, lon, c.lat, c.lon)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }
}

/// Great-circle distance in km (haversine, mean Earth radius).
pub fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    Haversine.distance(Point::new(lon1, lat1), Point::new(lon2, lat2)) / 1000.0
}

/// True if the point is finite and inside [`EXTENT`].
pub fn in_extent(lat: f64, lon: f64) -> bool {
    let (a, b, c, d) = EXTENT;
    lat >= a && lat <= c && lon >= b && lon <= d
}

/// Checks that a coordinate is a finite latitude in [-90, 90] and longitude in [-180, 180].
pub fn check_coordinate(lat: f64, lon: f64) -> Result<(), GeoError> {
    let input = format!("{lat},{lon}");
    if !lat.is_finite() || !lon.is_finite() {
        return Err(GeoError::BadCoordinate {
            input,
            problem: "not a finite number".to_string(),
        });
    }
    if !(-90.0..=90.0).contains(&lat) {
        return Err(GeoError::BadCoordinate {
            input,
            problem: format!("latitude {lat} is outside -90..90"),
        });
    }
    if !(-180.0..=180.0).contains(&lon) {
        return Err(GeoError::BadCoordinate {
            input,
            problem: format!("longitude {lon} is outside -180..180"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
