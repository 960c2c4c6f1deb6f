//! `drift`: bottles thrown into the sea from a built-in site (or a coordinate) at a range of
//! times, moved by the user's currents (and wind) file, ended on the coastline of the map,
//! ranked by the chance of stranding on the North's coast within the time limit.
//!
//! The physics and the NetCDF reading are `saebaram-drift`'s; this job adds the sites,
//! the coastline (`saebaram-geo`'s Natural Earth land: `roaring-landmask`, OpenDrift's
//! GSHHG mask, downloads its data while building and so cannot be built offline), the
//! coverage checks, the classification of where bottles end, the ranking and GeoJSON.

use std::path::PathBuf;

use saebaram_drift::{
    Coast, Config, End, EnsembleSpec, FieldInfo, Forcing, Loaded, Scheme, Spread, Stokes,
    VectorField, read_currents, read_wind, run_window,
};
use saebaram_geo::{Geo, Region};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::files::{rfc3339, round};
use crate::progress::{Event, Progress, Stage, Unit, check};
use crate::{Env, Error};

/// Most throw windows one run drifts.
pub const MAX_WINDOWS: usize = 1000;

/// A built-in place to throw bottles from: a point in the sea just off a shore named in
/// issue 18 (the groups' reported throwing shores), checked to be sea on the Natural Earth
/// 1:10m coast the strandings use. The groups' exact spots are not published.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SeaSite {
    /// Name used on the command line.
    pub name: &'static str,
    /// Korean name.
    pub name_ko: &'static str,
    /// Other names it answers to.
    pub aliases: &'static [&'static str],
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// What is there and why this point.
    pub note: &'static str,
}

/// The built-in sea sites (docs/drift.md lists their sources).
pub const SEA_SITES: &[SeaSite] = &[
    SeaSite {
        name: "seokmo",
        name_ko: "석모도 서쪽 해안",
        aliases: &["seokmo-do", "seokmodo", "석모도", "석모"],
        lat: 37.69,
        lon: 126.27,
        note: "off the west shore of Seokmo-do (Samsan-myeon, Ganghwa-gun), facing the open estuary",
    },
    SeaSite {
        name: "gyodong",
        name_ko: "교동도 북쪽 해안",
        aliases: &["gyodong-do", "gyodongdo", "교동도", "교동"],
        lat: 37.815,
        lon: 126.27,
        note: "off the north shore of Gyodong-do, 3 km across the water from Yonbaek (Hwanghae-namdo)",
    },
    SeaSite {
        name: "ganghwa-north",
        name_ko: "강화도 북쪽 해안",
        aliases: &["ganghwa", "yangsa", "강화", "강화도", "양사"],
        lat: 37.80,
        lon: 126.47,
        note: "in the Han estuary off the north shore of Ganghwa-do (Yangsa-myeon), facing Kaepung",
    },
    SeaSite {
        name: "baengnyeong",
        name_ko: "백령도",
        aliases: &["baengnyeong-do", "baengnyeongdo", "백령도", "백령"],
        lat: 37.965,
        lon: 124.755,
        note: "off the east shore of Baengnyeong-do, 15 km from the Changsan cape (Hwanghae-namdo)",
    },
];

/// A drift to compute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DriftRequest {
    /// Surface currents (CF-NetCDF). Required: there is none in the binary.
    pub currents: Option<PathBuf>,
    /// 10 m wind (CF-NetCDF), for windage.
    pub wind: Option<PathBuf>,
    /// A sea site by name ([`SEA_SITES`]) or `LAT,LON`.
    pub site: String,
    /// First throw, UNIX s (default: the currents' first time).
    pub from_unix_s: Option<f64>,
    /// Last throw, UNIX s (default: 24 h after the first, within the currents).
    pub to_unix_s: Option<f64>,
    /// Time between throw windows, s.
    pub every_s: f64,
    /// Bottles per window.
    pub members: u32,
    /// Random seed.
    pub seed: u64,
    /// Integration step, s.
    pub step_s: f64,
    /// RK4 or Euler.
    pub scheme: Scheme,
    /// Time limit: a bottle counts for the North only if it strands there within this many
    /// hours of its throw; drifts stop then.
    pub limit_h: f64,
    /// How the bottles of a window differ.
    pub spread: Spread,
}

impl Default for DriftRequest {
    fn default() -> Self {
        DriftRequest {
            currents: None,
            wind: None,
            site: "seokmo".into(),
            from_unix_s: None,
            to_unix_s: None,
            every_s: 1800.0,
            members: 100,
            seed: 1,
            step_s: 900.0,
            scheme: Scheme::Rk4,
            limit_h: 24.0,
            spread: Spread::default(),
        }
    }
}

/// The throw site.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftSite {
    /// Built-in name, or `None` for a coordinate.
    pub name: Option<&'static str>,
    /// Korean name.
    pub name_ko: Option<&'static str>,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

/// Where and how one bottle ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BottleEnd {
    /// Latitude (1e-4°).
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Hours after its throw (0.01).
    pub hours: f64,
    /// How the drift ended.
    #[serde(flatten)]
    pub end: End,
    /// Where it stranded (`north_korea`, `south_korea`, `dmz`, ...) or `sea` while afloat or
    /// stopped at the forcing's edge.
    pub region: &'static str,
    /// The North Korean province, when it stranded there.
    pub province: Option<String>,
    /// The North Korean town nearest to where it stranded there (GeoNames; mostly county
    /// seats, `-ŭp`): the stand-in for its county, which the map data does not outline.
    pub near_town: Option<NearTown>,
    /// Windage drawn for it.
    pub windage: f64,
}

/// A North Korean town near a stranding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NearTown {
    /// GeoNames' name (`Ongjin`, `Paech’ŏn-ŭp`).
    pub name: String,
    /// Korean name, where known (`옹진`).
    pub name_ko: Option<String>,
    /// Distance from the stranding, km (0.1).
    pub km: f64,
}

/// Share of a window's bottles stranded nearest one North Korean town (its county, roughly).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TownShare {
    /// GeoNames' name.
    pub town: String,
    /// Korean name, where known.
    pub town_ko: Option<String>,
    /// Share of the window's bottles.
    pub p: f64,
}

/// Share of a window's bottles stranded in one North Korean province.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProvinceShare {
    /// Natural Earth name.
    pub province: String,
    /// Korean name (`황해남도`), where the map knows it.
    pub province_ko: Option<&'static str>,
    /// Share of the window's bottles.
    pub p: f64,
}

/// One throw window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftWindow {
    /// RFC 3339.
    pub throw_time: String,
    /// UNIX s.
    pub throw_unix_s: f64,
    /// 1 = best.
    pub rank: usize,
    /// Stranded on the North's coast within the limit.
    pub p_north: f64,
    /// Stranded in South Korea.
    pub p_south: f64,
    /// Stranded on land in the DMZ or elsewhere (China...).
    pub p_other_land: f64,
    /// Still afloat at the limit.
    pub p_afloat: f64,
    /// Stopped by the forcing (its land mask, its edge, its last hour) before the limit.
    pub p_forcing_stop: f64,
    /// By province, largest first.
    pub north_by_province: Vec<ProvinceShare>,
    /// By nearest North Korean town (county seat), largest first: where on the coast, finer
    /// than the province (the map has no county borders; a stranding counts for the town
    /// nearest to it, a Voronoi stand-in for the county).
    pub north_by_town: Vec<TownShare>,
    /// Median hours from throw to stranding in the North, of those that did.
    pub median_hours_to_north: Option<f64>,
    /// Every bottle's end.
    pub ends: Vec<BottleEnd>,
    /// Up to ten bottles' tracks, hourly, `[lat, lon]`.
    pub tracks: Vec<Vec<(f64, f64)>>,
}

/// A drift: the `drift --json` schema.
#[derive(Debug, Clone, Serialize)]
pub struct DriftReport {
    /// The throw site.
    pub site: DriftSite,
    /// The currents read.
    pub currents: FieldInfo,
    /// The wind read, if any.
    pub wind: Option<FieldInfo>,
    /// Whether Stokes drift is in the velocity.
    pub stokes: Stokes,
    /// The same in words (English; faces translate [`Stokes`]).
    pub stokes_note: &'static str,
    /// Where strandings are judged.
    pub coastline: &'static str,
    /// The ensemble and the integration.
    pub spec: EnsembleSpec,
    /// The time limit, hours.
    pub limit_h: f64,
    /// Windows in throw order.
    pub windows: Vec<DriftWindow>,
    /// Window indices, best first.
    pub order: Vec<usize>,
    /// Bottles drifted and steps integrated (for speed accounting).
    pub bottles: u64,
    /// Integration steps, all bottles.
    pub steps: u64,
    /// Notes for the user (English).
    pub notes: Vec<String>,
}

impl DriftReport {
    /// The best window, if any bottle of it reached the North.
    pub fn best_window(&self) -> Option<&DriftWindow> {
        self.order
            .first()
            .and_then(|&i| self.windows.get(i))
            .filter(|w| w.p_north > 0.0)
    }
}

/// The coastline of the embedded map: land is any country polygon.
struct GeoCoast<'a>(&'a Geo);

impl Coast for GeoCoast<'_> {
    fn is_land(&self, lon: f64, lat: f64) -> bool {
        self.0.is_land(lat, lon)
    }
}

/// Finds a sea site by name or alias (case-insensitive), or reads `LAT,LON`.
pub fn sea_site(text: &str) -> Result<DriftSite, Error> {
    let t = text.trim();
    let lower = t.to_lowercase();
    if let Some(s) = SEA_SITES.iter().find(|s| {
        s.name == lower || s.name_ko == t || s.aliases.iter().any(|a| a.to_lowercase() == lower)
    }) {
        return Ok(DriftSite {
            name: Some(s.name),
            name_ko: Some(s.name_ko),
            lat: s.lat,
            lon: s.lon,
        });
    }
    let parsed = t
        .split_once(',')
        .and_then(|(a, b)| Some((a.trim().parse::<f64>().ok()?, b.trim().parse::<f64>().ok()?)));
    match parsed {
        Some((lat, lon)) if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) => {
            Ok(DriftSite {
                name: None,
                name_ko: None,
                lat,
                lon,
            })
        }
        _ => Err(Error::invalid(
            "site",
            format!(
                "--site: `{text}` is neither a sea site ({}) nor LAT,LON",
                SEA_SITES
                    .iter()
                    .map(|s| s.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

fn load_error(what: &str, path: &std::path::Path, source: saebaram_drift::Error) -> Error {
    Error::Drift {
        context: format!("cannot use the {what} file `{}`", path.display()),
        source: Box::new(source),
    }
}

/// True when the file starts as a GRIB message does (a NetCDF file starts `CDF` or `\x89HDF`).
fn is_grib(path: &std::path::Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| &head == b"GRIB")
}

/// A GRIB2 file's 10 m wind (`UGRD`/`VGRD` 10 m above ground, decoded by `saebaram-forecast`)
/// over the currents' area, as a drift wind field on its regular latitude/longitude grid.
fn read_grib_wind(path: &std::path::Path, currents: &FieldInfo) -> Result<Loaded, Error> {
    let context = || format!("cannot use the wind file `{}`", path.display());
    let bytes = std::fs::read(path).map_err(|e| Error::Forecast {
        context: context(),
        source: saebaram_forecast::ForecastError::Grib {
            file: path.display().to_string(),
            field: "file".into(),
            detail: e.to_string(),
        },
    })?;
    // The bottles never leave the currents: the wind is needed over their box (a cell more).
    let b = currents.bounds;
    let region = saebaram_forecast::Region {
        lat_min: b.lat_min,
        lat_max: b.lat_max,
        lon_min: b.lon_min,
        lon_max: b.lon_max,
    };
    let name = path.display().to_string();
    let w = saebaram_forecast::surface_wind_10m(&[(&bytes, &name)], &region).map_err(|source| {
        Error::Forecast {
            context: format!(
                "{}: its 10 m wind must cover the currents' area {:.3}..{:.3}N {:.3}..{:.3}E",
                context(),
                b.lat_min,
                b.lat_max,
                b.lon_min,
                b.lon_max
            ),
            source,
        }
    })?;
    let g = w.grid;
    let axis = |first: f64, step: f64, n: usize| {
        saebaram_drift::Axis::new((0..n).map(|i| first + step * i as f64).collect())
    };
    let bad = |problem: &str| Error::Forecast {
        context: context(),
        source: saebaram_forecast::ForecastError::Grib {
            file: name.clone(),
            field: "10 m wind".into(),
            detail: problem.to_string(),
        },
    };
    let (Some(x), Some(y)) = (axis(g.lon0, g.dlon, g.nlon), axis(g.lat0, g.dlat, g.nlat)) else {
        return Err(bad(
            "its grid has fewer than two points across the currents' area",
        ));
    };
    let grid = saebaram_drift::Grid {
        x,
        y,
        horizontal: saebaram_drift::Horizontal::LonLat { lon_0_360: false },
    };
    let times: Vec<f64> = w.times_unix_s.iter().map(|&t| t as f64).collect();
    let (first, last, n_times) = (times[0], times[times.len() - 1], times.len());
    let field = VectorField::new(grid, times, w.u, w.v)
        .ok_or_else(|| bad("its fields do not make one grid over time"))?;
    let info = FieldInfo {
        path: path.to_path_buf(),
        u_variable: "UGRD 10 m above ground (GRIB2)".into(),
        v_variable: "VGRD 10 m above ground (GRIB2)".into(),
        grid: "longitude/latitude".into(),
        rotated: false,
        nx: g.nlon,
        ny: g.nlat,
        first_time_s: first,
        last_time_s: last,
        n_times,
        level: Some(10.0),
        masked_fraction: field.masked_fraction(),
        bounds: field.grid().bounds(),
    };
    Ok(Loaded { field, info })
}

fn covers(info: &FieldInfo, lat: f64, lon: f64) -> bool {
    let b = info.bounds;
    lat >= b.lat_min && lat <= b.lat_max && lon >= b.lon_min && lon <= b.lon_max
}

fn coverage_check(
    what: &str,
    loaded: &Loaded,
    site: &DriftSite,
    from: f64,
    to: f64,
) -> Result<(), Error> {
    let info = &loaded.info;
    if !covers(info, site.lat, site.lon) {
        let b = info.bounds;
        return Err(Error::ForcingCoverage {
            message: format!(
                "the {what} file `{}` covers {:.3}..{:.3}N {:.3}..{:.3}E, not the throw site {:.4}N {:.4}E: get a file that covers it",
                info.path.display(),
                b.lat_min,
                b.lat_max,
                b.lon_min,
                b.lon_max,
                site.lat,
                site.lon
            ),
        });
    }
    if !loaded.field.is_steady() && (from < info.first_time_s || to > info.last_time_s) {
        return Err(Error::ForcingCoverage {
            message: format!(
                "the {what} file `{}` covers {} to {}, not the throws {} to {} (with the throw-time spread): get a file for those hours",
                info.path.display(),
                rfc3339(info.first_time_s),
                rfc3339(info.last_time_s),
                rfc3339(from),
                rfc3339(to)
            ),
        });
    }
    Ok(())
}

/// Runs a drift.
pub fn run(req: DriftRequest, env: &Env, progress: &dyn Progress) -> Result<DriftReport, Error> {
    let _ = env;
    let Some(currents_path) = req.currents.clone() else {
        return Err(Error::NoCurrents);
    };
    if req.members == 0 {
        return Err(Error::invalid("members", "-n/--members must be at least 1"));
    }
    if req.every_s.is_nan() || req.every_s < 60.0 {
        return Err(Error::invalid(
            "every_s",
            "--every must be at least 1 minute",
        ));
    }
    if !(req.limit_h > 0.0 && req.limit_h <= 240.0) {
        return Err(Error::invalid(
            "limit_h",
            format!(
                "--limit must be above 0 and at most 240 h (got {} h)",
                req.limit_h
            ),
        ));
    }
    let config = Config {
        step_s: req.step_s,
        duration_s: req.limit_h * 3600.0,
        scheme: req.scheme,
        record_every_s: 3600.0,
    };
    config
        .check()
        .map_err(|e| Error::invalid("step_s", e.to_string()))?;
    req.spread
        .check()
        .map_err(|e| Error::invalid("spread", e.to_string()))?;
    let site = sea_site(&req.site)?;
    let geo = Geo::try_embedded()?;
    if geo.is_land(site.lat, site.lon) {
        return Err(Error::invalid(
            "site",
            format!(
                "--site {:.4},{:.4} is on land on the map's coastline: throw points must be in the sea",
                site.lat, site.lon
            ),
        ));
    }
    check(progress)?;
    progress.event(Event::StageStarted {
        stage: Stage::OpenForcing,
        total: None,
        unit: Unit::Forecasts,
    });
    let (currents, stokes, stokes_field) =
        read_currents(&currents_path).map_err(|e| load_error("currents", &currents_path, e))?;
    let wind = match &req.wind {
        Some(path) if is_grib(path) => Some(read_grib_wind(path, &currents.info)?),
        Some(path) => Some(read_wind(path).map_err(|e| load_error("wind", path, e))?),
        None => None,
    };
    progress.event(Event::StageFinished {
        stage: Stage::OpenForcing,
    });

    // Throw times are jittered by ±spread.time_s: the forcing must cover that too.
    let jitter_s = req.spread.time_s;
    let from = req
        .from_unix_s
        .unwrap_or(currents.info.first_time_s + jitter_s);
    let to = req.to_unix_s.unwrap_or_else(|| {
        (from + 24.0 * 3600.0)
            .min(currents.info.last_time_s)
            .max(from)
    });
    if to < from {
        return Err(Error::invalid("to_unix_s", "--to is before --from"));
    }
    let n_windows = ((to - from) / req.every_s).floor() as usize + 1;
    if n_windows > MAX_WINDOWS {
        return Err(Error::invalid(
            "every_s",
            format!(
                "{n_windows} throw windows: at most {MAX_WINDOWS} (use a larger --every or a shorter --from/--to)"
            ),
        ));
    }
    coverage_check("currents", &currents, &site, from - jitter_s, to + jitter_s)?;
    if let Some(w) = &wind {
        coverage_check("wind", w, &site, from - jitter_s, to + jitter_s)?;
    }

    let mut notes = Vec::new();
    if currents.field.is_steady() {
        notes.push(format!(
            "the currents file `{}` has one time, held steady: tides are missing",
            currents.info.path.display()
        ));
    }
    if wind.is_none() {
        notes.push(
            "no --wind file: windage left out, bottles move with the current only".to_string(),
        );
    }
    let stokes_note = match stokes {
        Stokes::InCurrents => {
            "Stokes drift is already in the currents (utotal/vtotal): not added again"
        }
        Stokes::Added => "Stokes drift from the currents file's own Stokes variables is added",
        Stokes::Absent => {
            "the currents carry no Stokes drift and the file has none: left out (windage stands in for it)"
        }
    };
    let no_wind = VectorField::uniform(0.0, 0.0);
    let forcing = Forcing {
        currents: &currents.field,
        stokes: stokes_field.as_ref().map(|s| &s.field),
        wind: Some(wind.as_ref().map_or(&no_wind, |w| &w.field)),
    };
    let mut spread = req.spread;
    if wind.is_none() {
        spread.windage_min = 0.0;
        spread.windage_max = 0.0;
    }
    let spec = EnsembleSpec {
        seed: req.seed,
        n_members: req.members as usize,
        spread,
        config,
    };
    let coast = GeoCoast(geo);

    progress.event(Event::StageStarted {
        stage: Stage::Drifting,
        total: Some(n_windows as u64),
        unit: Unit::Windows,
    });
    let mut windows = Vec::with_capacity(n_windows);
    let (mut bottles, mut steps) = (0u64, 0u64);
    for wi in 0..n_windows {
        check(progress)?;
        let t = from + wi as f64 * req.every_s;
        let members = run_window(&forcing, &coast, &spec, wi as u64, t, site.lon, site.lat);
        bottles += members.len() as u64;
        steps += members.iter().map(|m| m.track.steps).sum::<u64>();
        windows.push(window_report(geo, t, &members, req.limit_h));
        progress.event(Event::Step {
            stage: Stage::Drifting,
            done: wi as u64 + 1,
            total: Some(n_windows as u64),
            unit: Unit::Windows,
        });
    }
    progress.event(Event::StageFinished {
        stage: Stage::Drifting,
    });

    let mut order: Vec<usize> = (0..windows.len()).collect();
    order.sort_by(|&a, &b| {
        let (wa, wb) = (&windows[a], &windows[b]);
        wb.p_north
            .total_cmp(&wa.p_north)
            .then(
                wa.median_hours_to_north
                    .unwrap_or(f64::INFINITY)
                    .total_cmp(&wb.median_hours_to_north.unwrap_or(f64::INFINITY)),
            )
            .then(a.cmp(&b))
    });
    for (rank, &i) in order.iter().enumerate() {
        windows[i].rank = rank + 1;
    }
    if windows.iter().all(|w| w.p_forcing_stop > 0.5) {
        notes.push("most bottles stopped at the forcing's own coast or edge before the limit: its grid may be too coarse for the estuary, or the file too small".to_string());
    }
    Ok(DriftReport {
        site,
        currents: currents.info,
        wind: wind.map(|w| w.info),
        stokes,
        stokes_note,
        coastline: "Natural Earth 1:10m land (embedded; roaring-landmask's GSHHG cannot be built offline)",
        spec,
        limit_h: req.limit_h,
        windows,
        order,
        bottles,
        steps,
        notes,
    })
}

/// The North Korean GeoNames place nearest to a point: its index in [`Geo::places`] and the
/// distance in km. 127 places: a scan is quicker than any index to build.
fn nearest_nk_town(geo: &Geo, lat: f64, lon: f64) -> Option<(usize, f64)> {
    geo.places()
        .iter()
        .enumerate()
        .filter(|(_, p)| p.is_north_korean())
        .map(|(i, p)| (i, saebaram_geo::distance_km(lat, lon, p.lat, p.lon)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

fn region_code(r: &Region) -> &'static str {
    match r {
        Region::NorthKorea { .. } => "north_korea",
        Region::SouthKorea => "south_korea",
        Region::Dmz => "dmz",
        Region::China => "china",
        Region::Russia => "russia",
        Region::Japan => "japan",
        Region::Sea => "sea",
        Region::OutsideMap => "outside_map",
    }
}

fn window_report(
    geo: &Geo,
    t: f64,
    members: &[saebaram_drift::Member],
    limit_h: f64,
) -> DriftWindow {
    let n = members.len().max(1) as f64;
    let (mut north, mut south, mut other, mut afloat, mut stop) =
        (0usize, 0usize, 0usize, 0usize, 0usize);
    let mut provinces: Vec<(String, usize)> = Vec::new();
    let mut towns: Vec<(usize, usize)> = Vec::new();
    let mut hours_north = Vec::new();
    let mut ends = Vec::with_capacity(members.len());
    for m in members {
        let e = m.track.end_point;
        let throw = m.track.points[0].t_s;
        let hours = (e.t_s - throw) / 3600.0;
        // A bottle stopped by the forcing's land mask where the map has land too has
        // reached that coast; elsewhere the forcing's stop leaves it unresolved.
        let region = match m.track.end {
            End::Stranded | End::ForcingLand { .. } => geo.classify(e.lat, e.lon),
            _ => Region::Sea,
        };
        let on_land = !matches!(region, Region::Sea | Region::OutsideMap);
        match (&region, m.track.end) {
            (Region::NorthKorea { province }, _) if hours <= limit_h + 1e-9 => {
                north += 1;
                hours_north.push(hours);
                let name = province
                    .clone()
                    .unwrap_or_else(|| "North Korea".to_string());
                match provinces.iter_mut().find(|(p, _)| *p == name) {
                    Some((_, c)) => *c += 1,
                    None => provinces.push((name, 1)),
                }
                if let Some((i, _)) = nearest_nk_town(geo, e.lat, e.lon) {
                    match towns.iter_mut().find(|(t, _)| *t == i) {
                        Some((_, c)) => *c += 1,
                        None => towns.push((i, 1)),
                    }
                }
            }
            (Region::SouthKorea, _) => south += 1,
            _ if on_land => other += 1,
            (_, End::Afloat) => afloat += 1,
            _ => stop += 1,
        }
        let (province, near_town) = match &region {
            Region::NorthKorea { province } => (
                province.clone(),
                nearest_nk_town(geo, e.lat, e.lon).map(|(i, km)| {
                    let place = &geo.places()[i];
                    NearTown {
                        name: place.name.clone(),
                        name_ko: place.name_ko.clone(),
                        km: round(km, 1),
                    }
                }),
            ),
            _ => (None, None),
        };
        ends.push(BottleEnd {
            lat: round(e.lat, 4),
            lon: round(e.lon, 4),
            hours: round(hours, 2),
            end: m.track.end,
            region: region_code(&region),
            province,
            near_town,
            windage: round(m.params.windage, 4),
        });
    }
    provinces.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    towns.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    hours_north.sort_by(f64::total_cmp);
    let median = (!hours_north.is_empty()).then(|| round(hours_north[hours_north.len() / 2], 2));
    let tracks = members
        .iter()
        .take(10)
        .map(|m| {
            m.track
                .points
                .iter()
                .map(|p| (round(p.lat, 4), round(p.lon, 4)))
                .collect()
        })
        .collect();
    DriftWindow {
        throw_time: rfc3339(t),
        throw_unix_s: t,
        rank: 0,
        p_north: north as f64 / n,
        p_south: south as f64 / n,
        p_other_land: other as f64 / n,
        p_afloat: afloat as f64 / n,
        p_forcing_stop: stop as f64 / n,
        north_by_province: provinces
            .into_iter()
            .map(|(province, c)| ProvinceShare {
                province_ko: geo
                    .provinces()
                    .iter()
                    .find(|p| p.name == province)
                    .map(|p| p.name_ko),
                province,
                p: c as f64 / n,
            })
            .collect(),
        north_by_town: towns
            .into_iter()
            .map(|(i, c)| {
                let place = &geo.places()[i];
                TownShare {
                    town: place.name.clone(),
                    town_ko: place.name_ko.clone(),
                    p: c as f64 / n,
                }
            })
            .collect(),
        median_hours_to_north: median,
        ends,
        tracks,
    }
}

/// The ends of every bottle and the tracks of the best window, as GeoJSON.
pub fn geojson(report: &DriftReport) -> Value {
    let mut features = Vec::new();
    for w in &report.windows {
        for (i, e) in w.ends.iter().enumerate() {
            features.push(json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [e.lon, e.lat]},
                "properties": {
                    "throw_time": w.throw_time, "rank": w.rank, "member": i, "hours": e.hours,
                    "end": e.end, "region": e.region, "province": e.province,
                    "near_town": e.near_town.as_ref().map(|t| &t.name),
                },
            }));
        }
    }
    if let Some(&best) = report.order.first() {
        let w = &report.windows[best];
        for (i, track) in w.tracks.iter().enumerate() {
            let coordinates: Vec<[f64; 2]> = track.iter().map(|(lat, lon)| [*lon, *lat]).collect();
            features.push(json!({
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": coordinates},
                "properties": {"throw_time": w.throw_time, "rank": w.rank, "member": i, "kind": "track"},
            }));
        }
    }
    json!({"type": "FeatureCollection", "features": features})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_sea_sites_are_in_the_sea_on_the_map() {
        let geo = Geo::embedded();
        for s in SEA_SITES {
            assert_eq!(geo.classify(s.lat, s.lon), Region::Sea, "{}", s.name);
            assert_eq!(sea_site(s.name).unwrap().lat, s.lat);
            assert_eq!(sea_site(s.name_ko).unwrap().lon, s.lon);
        }
        assert_eq!(sea_site("석모도").unwrap().name, Some("seokmo"));
        assert!(sea_site("37.7,126.2").unwrap().name.is_none());
        assert!(sea_site("atlantis").is_err());
    }

    #[test]
    fn no_currents_is_its_own_error() {
        let err = run(DriftRequest::default(), &Env::fixed(0, 1), &crate::Silent).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::NoCurrents);
        assert!(err.to_string().contains("copernicusmarine subset"), "{err}");
    }
}
