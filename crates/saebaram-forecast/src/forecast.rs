//! [`Forecast`]: a wind cube plus what it is (source, credit, run, inventory, what was
//! derived), opened from whatever the user has.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cube::{Cube, Grid, Sample};
use crate::error::{ForecastError, Result};
use crate::grib2::{Assembly, Derivation, FieldInfo};
use crate::region::Region;
use crate::terrain::{Terrain, TerrainInfo};
use crate::{Coverage, OutOfDomain, Wind, WindField, cache, tawhiri, time};

/// The embedded sample's bytes: JMA MEPS analysis of 2019-06-05 00Z (see `data/SOURCES.md`).
pub static EMBEDDED_GRIB2: &[u8] =
    include_bytes!("../data/jma_meps_rjp_pall_20190605T00Z_f000_sub20.grib2");
/// The name the embedded sample goes by in messages.
pub const EMBEDDED_NAME: &str = "embedded sample jma_meps_rjp_pall_20190605T00Z_f000_sub20.grib2";
/// One line for users of the embedded sample.
pub const EMBEDDED_CAVEAT: &str = "using the built-in JMA MEPS sample of 2019-06-05 00:00 UTC: a 2019 sample, NOT today's \
weather; one analysis time, so the wind is held steady at every hour. Fetch a real forecast with `saebaram forecast fetch gfs`.";

/// Where a forecast came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// The sample built into the binary.
    Embedded,
    /// One GRIB2 file or a directory of them.
    Grib2,
    /// A saebaram cache file.
    Cache,
    /// A tawhiri dataset file.
    Tawhiri,
}

/// Everything known about a forecast besides its values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastInfo {
    /// What kind of input it was read from.
    pub kind: SourceKind,
    /// The model, e.g. `JMA (centre 34)`, `NCEP GFS (centre 7)`.
    pub source: String,
    /// The credit line its licence asks for.
    pub credit: String,
    /// The file(s) or dataset it was read from.
    pub origin: String,
    /// Model run (reference time), seconds since the epoch.
    pub run_unix_s: i64,
    /// Valid times, seconds since the epoch.
    pub valid_unix_s: Vec<i64>,
    /// Pressure levels with winds, hPa, bottom up.
    pub levels_hpa: Vec<f64>,
    /// The grid after cropping.
    pub grid: Grid,
    /// The region it was cropped to (`None` for a tawhiri dataset: global).
    pub region: Option<Region>,
    /// True when the cube holds temperatures (density from T and p); false: ISA density.
    pub has_temperature: bool,
    /// Highest altitude the data reach everywhere, metres.
    pub alt_max_m: f64,
    /// Heights and densities that were derived, level by level.
    pub derived: Vec<Derivation>,
    /// Every field of the input (GRIB2 only), used or not.
    pub inventory: Vec<FieldInfo>,
    /// True for the built-in 2019 sample.
    pub embedded_sample: bool,
    /// The model terrain the forecast carries (`None`: none; the ground is then sea level
    /// unless the caller has an elevation model). Absent in caches of format version 1.
    #[serde(default)]
    pub terrain: Option<TerrainInfo>,
    /// Why a terrain field of the input was not used (another grid, missing points, ...).
    #[serde(default)]
    pub terrain_notes: Vec<String>,
    /// The members of an ensemble forecast, in the order of its cubes (empty: a
    /// deterministic forecast, one cube). Absent in caches of format versions 1 and 2.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<MemberInfo>,
    /// The number of forecasts in the ensemble as the GRIB2 product definition says
    /// (templates 4.1/4.11, octet 37): more than `members.len()` when a subset was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ensemble_size: Option<u32>,
    /// Fields of the input not listed in `inventory` (a cache keeps at most
    /// [`crate::cache::INVENTORY_KEPT`] of an ensemble's many fields).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub inventory_omitted: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// One member of an ensemble forecast, from the GRIB2 product definition (templates 4.1 and
/// 4.11, octets 35-37).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct MemberInfo {
    /// Perturbation number: 0 for the control (GEFS `c00`, ECMWF `cf`), 1.. for the
    /// perturbed members (GEFS `p01`.., ECMWF `pf` number 1..).
    pub number: u32,
    /// Control or perturbed (code table 4.6).
    pub kind: MemberKind,
}

/// Code table 4.6, type of ensemble forecast, as far as a flight cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberKind {
    /// Unperturbed control forecast (code 0 high resolution, 1 low resolution).
    Control,
    /// Perturbed forecast (code 2 negatively, 3 positively perturbed, 4 multi-model, 192+
    /// local).
    Perturbed,
}

impl MemberInfo {
    /// `control` or `member N`.
    pub fn label(&self) -> String {
        match self.kind {
            MemberKind::Control => format!("control (member {})", self.number),
            MemberKind::Perturbed => format!("member {}", self.number),
        }
    }
}

impl ForecastInfo {
    /// True for the built-in 2019 sample (callers must say so to their users).
    pub fn is_embedded_sample(&self) -> bool {
        self.embedded_sample
    }
    /// True if there is one valid time only: the field is then steady (valid at any time).
    pub fn is_steady(&self) -> bool {
        self.valid_unix_s.len() == 1
    }
    /// Forecast steps, hours after the run.
    pub fn steps_h(&self) -> Vec<f64> {
        self.valid_unix_s
            .iter()
            .map(|t| (t - self.run_unix_s) as f64 / 3600.0)
            .collect()
    }
    /// The run as `YYYYMMDDHH`.
    pub fn run_name(&self) -> String {
        time::format_run(self.run_unix_s)
    }
    /// One line on the terrain: `model orography at 0.25°, smoothed (...)` or
    /// `none, sea level`.
    pub fn terrain_summary(&self) -> String {
        match &self.terrain {
            Some(t) => t.describe(&self.grid),
            None => "none, sea level".into(),
        }
    }
}

/// How to open a forecast.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OpenOptions {
    /// Region GRIB2 input is cropped to (cache files and tawhiri datasets are used as they are).
    pub region: Region,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            region: Region::KOREA,
        }
    }
}

/// A forecast: its cube, its model terrain if any, and its description. Implements
/// [`WindField`].
pub struct Forecast {
    /// The first member's cube (the only one of a deterministic forecast).
    pub(crate) cube: Cube,
    /// The other members' cubes, in the order of `info.members` after the first.
    pub(crate) more: Vec<Cube>,
    /// Body checksums still to check, per member (a cache opened without hashing every
    /// member: each is hashed the first time it is asked for, see [`Forecast::member`]).
    pub(crate) checks: Option<std::sync::Arc<cache::MemberChecks>>,
    pub(crate) info: ForecastInfo,
    pub(crate) terrain: Option<Terrain>,
}

/// One member of a forecast: a [`WindField`] over its own cube. A deterministic forecast has
/// one, the whole forecast.
#[derive(Clone, Copy)]
pub struct Member<'a> {
    cube: &'a Cube,
    index: usize,
    info: Option<&'a MemberInfo>,
}

impl std::fmt::Debug for Member<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Member")
            .field("index", &self.index)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl<'a> Member<'a> {
    /// Position among the forecast's members (0-based, the order of `info.members`).
    pub fn index(&self) -> usize {
        self.index
    }
    /// What the GRIB2 says of it (None for a deterministic forecast).
    pub fn info(&self) -> Option<&'a MemberInfo> {
        self.info
    }
    /// Its perturbation number (0 for a deterministic forecast).
    pub fn number(&self) -> u32 {
        self.info.map_or(0, |m| m.number)
    }
    /// Its cube.
    pub fn cube(&self) -> &'a Cube {
        self.cube
    }
}

impl WindField for Member<'_> {
    #[inline]
    fn wind(&self, t_unix_s: f64, lat: f64, lon: f64, alt_m: f64) -> Result<Wind, OutOfDomain> {
        self.cube.wind_at(t_unix_s, lat, lon, alt_m)
    }

    #[inline]
    fn wind_uv(
        &self,
        t_unix_s: f64,
        lat: f64,
        lon: f64,
        alt_m: f64,
    ) -> Result<(f64, f64), OutOfDomain> {
        self.cube.wind_uv_at(t_unix_s, lat, lon, alt_m)
    }

    fn coverage(&self) -> Coverage {
        self.cube.coverage()
    }
}

impl std::fmt::Debug for Forecast {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forecast")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

pub(crate) fn source_of(centre: Option<u16>) -> (String, String) {
    match centre {
        Some(34) => (
            "JMA (centre 34, rjtd)".into(),
            "Source: Japan Meteorological Agency".into(),
        ),
        Some(7) => (
            "NOAA NCEP GFS (centre 7, kwbc)".into(),
            "NOAA/NCEP GFS, public domain".into(),
        ),
        Some(98) => ("ECMWF (centre 98)".into(), "© ECMWF, CC BY 4.0".into()),
        Some(c) => (
            format!("GRIB2 centre {c}"),
            format!("data of GRIB2 originating centre {c}: check its licence"),
        ),
        None => ("unknown".into(), "unknown source: check its licence".into()),
    }
}

impl Forecast {
    /// The JMA MEPS sample of 2019-06-05 00Z built into the binary, cropped to the Korea box.
    /// A single time: its coverage is `steady`. Not today's weather: tell the user
    /// ([`EMBEDDED_CAVEAT`]).
    pub fn embedded() -> Result<Forecast> {
        let mut f = Self::from_grib2_bytes(EMBEDDED_GRIB2, EMBEDDED_NAME, Region::KOREA)?;
        f.info.kind = SourceKind::Embedded;
        f.info.embedded_sample = true;
        Ok(f)
    }

    /// A forecast from the bytes of one GRIB2 file; `label` names it in messages.
    pub fn from_grib2_bytes(bytes: &[u8], label: &str, region: Region) -> Result<Forecast> {
        let mut a = Assembly::new(label, region);
        a.add(bytes, label)?;
        Self::from_assembly(a, label.to_string(), region)
    }

    /// A forecast from several GRIB2 files (e.g. one per step) of one run.
    pub fn from_grib2_files(files: &[PathBuf], region: Region) -> Result<Forecast> {
        let origin = files
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let mut a = Assembly::new(origin.clone(), region);
        for p in files {
            let bytes =
                std::fs::read(p).map_err(|e| ForecastError::io(p.display(), "cannot read", e))?;
            a.add(&bytes, &p.display().to_string())?;
        }
        Self::from_assembly(a, origin, region)
    }

    fn from_assembly(a: Assembly, origin: String, region: Region) -> Result<Forecast> {
        let built = a.finish()?;
        let (source, credit) = source_of(built.centre);
        let info = ForecastInfo {
            kind: SourceKind::Grib2,
            source,
            credit,
            origin,
            run_unix_s: built.run_unix_s,
            valid_unix_s: built.cube.times().to_vec(),
            levels_hpa: built.cube.levels_hpa().to_vec(),
            grid: built.cube.grid(),
            region: Some(region),
            has_temperature: built
                .derived
                .iter()
                .all(|d| !d.note.starts_with("no temperature")),
            // The lowest top of any member: every member reaches it.
            alt_max_m: built
                .more
                .iter()
                .map(Cube::alt_max_m)
                .fold(built.cube.alt_max_m(), f64::min),
            derived: built.derived,
            inventory: built.inventory,
            embedded_sample: false,
            terrain: built.terrain.as_ref().map(|t| t.1.clone()),
            terrain_notes: built.terrain_notes,
            members: built.members,
            ensemble_size: built.ensemble_size,
            inventory_omitted: 0,
        };
        Ok(Forecast {
            cube: built.cube,
            more: built.more,
            checks: None,
            info,
            terrain: built.terrain.map(|t| t.0),
        })
    }

    /// A forecast from values already laid out as the cache body:
    /// `values[(((time * nlat + lat) * nlon + lon) * levels + level) * 4 + var]` with var
    /// 0=u, 1=v (m/s), 2=geopotential height (m), 3=temperature (K, NaN if unknown); rows
    /// south to north, columns west to east, levels bottom up (pressure decreasing). For
    /// generated fields (benchmarks, tests) and tools that decode elsewhere.
    pub fn from_values(
        source: &str,
        run_unix_s: i64,
        valid_unix_s: Vec<i64>,
        levels_hpa: Vec<f64>,
        grid: Grid,
        values: Vec<f32>,
    ) -> Result<Forecast> {
        Self::from_member_values(
            source,
            run_unix_s,
            valid_unix_s,
            levels_hpa,
            grid,
            vec![(None, values)],
        )
    }

    /// Like [`Forecast::from_values`] for an ensemble: one array of values per member, each
    /// laid out as there, with what the member is (`None` for the one member of a
    /// deterministic forecast; every member must say what it is when there are several, and
    /// no perturbation number may repeat).
    pub fn from_member_values(
        source: &str,
        run_unix_s: i64,
        valid_unix_s: Vec<i64>,
        levels_hpa: Vec<f64>,
        grid: Grid,
        members: Vec<(Option<MemberInfo>, Vec<f32>)>,
    ) -> Result<Forecast> {
        let err = |field: String, detail: String| ForecastError::Cube {
            file: source.to_string(),
            field,
            detail,
        };
        if members.is_empty() {
            return Err(err(
                "members".into(),
                "앙상블 멤버가 없습니다 (no member)".into(),
            ));
        }
        let infos: Vec<Option<MemberInfo>> = members.iter().map(|m| m.0.clone()).collect();
        let ensemble = infos.iter().any(Option::is_some);
        if ensemble && infos.iter().any(Option::is_none) {
            return Err(err(
                "members".into(),
                "단일 예보와 앙상블 멤버가 섞여 있습니다 (a mix of ensemble members and a deterministic field: one forecast is one or the other)".into(),
            ));
        }
        if members.len() > 1 && !ensemble {
            return Err(err(
                "members".into(),
                "멤버 번호가 없는 자료가 여럿 있습니다 (several fields without member numbers)"
                    .into(),
            ));
        }
        let infos: Vec<MemberInfo> = infos.into_iter().flatten().collect();
        let mut seen = std::collections::BTreeSet::new();
        if let Some(m) = infos.iter().find(|m| !seen.insert(m.number)) {
            return Err(err(format!("member {}", m.number), "appears twice".into()));
        }
        let has_temperature = members
            .iter()
            .any(|m| m.1.chunks_exact(4).any(|c| c[3].is_finite()));
        let mut cubes = Vec::with_capacity(members.len());
        for (k, (_, values)) in members.into_iter().enumerate() {
            let what = infos
                .get(k)
                .map_or_else(|| "values".to_string(), |m| m.label());
            let cube = Cube::from_native(valid_unix_s.clone(), levels_hpa.clone(), grid, values)
                .map_err(|detail| err(what, detail))?;
            cubes.push(cube);
        }
        let alt_max_m = cubes
            .iter()
            .map(Cube::alt_max_m)
            .fold(f64::INFINITY, f64::min);
        let mut cubes = cubes.into_iter();
        let cube = cubes.next().ok_or_else(|| {
            err(
                "members".into(),
                "앙상블 멤버가 없습니다 (no member)".into(),
            )
        })?;
        let info = ForecastInfo {
            kind: SourceKind::Grib2,
            source: source.to_string(),
            credit: String::new(),
            origin: source.to_string(),
            run_unix_s,
            valid_unix_s: cube.times().to_vec(),
            levels_hpa: cube.levels_hpa().to_vec(),
            grid,
            region: None,
            has_temperature,
            alt_max_m,
            derived: Vec::new(),
            inventory: Vec::new(),
            embedded_sample: false,
            terrain: None,
            terrain_notes: Vec::new(),
            ensemble_size: ensemble.then_some(infos.len() as u32),
            members: infos,
            inventory_omitted: 0,
        };
        Ok(Forecast {
            cube,
            more: cubes.collect(),
            checks: None,
            info,
            terrain: None,
        })
    }

    /// How many members the forecast holds (1 for a deterministic forecast).
    pub fn member_count(&self) -> usize {
        1 + self.more.len()
    }

    /// True for an ensemble forecast (its members are listed in `info().members`), even
    /// when only one member was kept.
    pub fn is_ensemble(&self) -> bool {
        !self.info.members.is_empty()
    }

    fn member_cube(&self, index: usize) -> Option<&Cube> {
        match index {
            0 => Some(&self.cube),
            k => self.more.get(k - 1),
        }
    }

    /// Member `index` (0-based, the order of `info().members`) as a wind field. A member of
    /// a cache file is checked against its BLAKE3 the first time it is asked for (a damaged
    /// member is an error naming the file and the member, never wind).
    pub fn member(&self, index: usize) -> Result<Member<'_>> {
        let cube = self
            .member_cube(index)
            .ok_or_else(|| ForecastError::Query {
                file: self.info.origin.clone(),
                detail: format!(
                    "그런 멤버가 없습니다 (no member at position {index}: the forecast holds {})",
                    self.member_count()
                ),
            })?;
        let info = self.info.members.get(index);
        if let Some(checks) = &self.checks {
            checks.check(index, cube, info)?;
        }
        Ok(Member { cube, index, info })
    }

    /// Every member, checked (see [`Forecast::member`]).
    pub fn members(&self) -> Result<Vec<Member<'_>>> {
        (0..self.member_count()).map(|i| self.member(i)).collect()
    }

    /// Keeps only the members with these perturbation numbers, in that order (0 is the
    /// control). An error names a number the forecast does not hold. A deterministic forecast
    /// accepts only `[0]`.
    pub fn select_members(self, numbers: &[u32]) -> Result<Forecast> {
        if numbers.is_empty() {
            return Err(ForecastError::Query {
                file: self.info.origin.clone(),
                detail: "고른 앙상블 멤버가 없습니다 (no member selected)".into(),
            });
        }
        let available = || {
            if self.info.members.is_empty() {
                "it is deterministic (one forecast, member 0)".to_string()
            } else {
                format!(
                    "it holds members {}",
                    describe_numbers(
                        &self
                            .info
                            .members
                            .iter()
                            .map(|m| m.number)
                            .collect::<Vec<_>>()
                    )
                )
            }
        };
        let mut picks = Vec::with_capacity(numbers.len());
        for (k, &n) in numbers.iter().enumerate() {
            if numbers[..k].contains(&n) {
                return Err(ForecastError::Query {
                    file: self.info.origin.clone(),
                    detail: format!("같은 멤버를 두 번 골랐습니다 (member {n} is selected twice)"),
                });
            }
            let pos = if self.info.members.is_empty() {
                (n == 0).then_some(0)
            } else {
                self.info.members.iter().position(|m| m.number == n)
            };
            match pos {
                Some(p) => picks.push(p),
                None => {
                    return Err(ForecastError::Query {
                        file: self.info.origin.clone(),
                        detail: format!(
                            "앙상블 멤버 {n}이(가) 없습니다 (there is no member {n}: {})",
                            available()
                        ),
                    });
                }
            }
        }
        if self.info.members.is_empty() {
            return Ok(self);
        }
        let Forecast {
            cube,
            more,
            checks,
            mut info,
            terrain,
        } = self;
        let mut all: Vec<Option<Cube>> = std::iter::once(cube).chain(more).map(Some).collect();
        let mut cubes = Vec::with_capacity(picks.len());
        for &p in &picks {
            cubes.push(all.get_mut(p).and_then(Option::take).ok_or_else(|| {
                ForecastError::Query {
                    file: info.origin.clone(),
                    detail: "internal: member picked twice".into(),
                }
            })?);
        }
        info.members = picks.iter().map(|&p| info.members[p].clone()).collect();
        let checks = checks.map(|c| std::sync::Arc::new(c.select(&picks)));
        let mut cubes = cubes.into_iter();
        let Some(cube) = cubes.next() else {
            return Err(ForecastError::Query {
                file: info.origin.clone(),
                detail: "고른 앙상블 멤버가 없습니다 (no member selected)".into(),
            });
        };
        Ok(Forecast {
            cube,
            more: cubes.collect(),
            checks,
            info,
            terrain,
        })
    }

    /// This forecast with a model terrain on its grid (generated fields, tests); `field`
    /// says where it came from.
    pub fn with_terrain(mut self, terrain: Terrain, field: &str) -> Result<Forecast> {
        if terrain.grid() != self.cube.grid() {
            return Err(ForecastError::Cube {
                file: self.info.origin.clone(),
                field: "terrain".into(),
                detail: format!(
                    "terrain grid {} differs from the wind grid {}",
                    terrain.grid(),
                    self.cube.grid()
                ),
            });
        }
        let (min_m, max_m) = terrain.range_m();
        self.info.terrain = Some(TerrainInfo {
            field: field.to_string(),
            conversion: "metres as given".into(),
            step_h: None,
            min_m,
            max_m,
        });
        self.terrain = Some(terrain);
        Ok(self)
    }

    /// Opens a GRIB2 file, a directory of GRIB2 files, a cache file or a tawhiri dataset
    /// (file named `YYYYMMDDHH`), cropping GRIB2 input to the Korea box.
    pub fn open(path: &Path) -> Result<Forecast> {
        Self::open_with(path, &OpenOptions::default())
    }

    /// [`Forecast::open`] with options.
    pub fn open_with(path: &Path, opts: &OpenOptions) -> Result<Forecast> {
        let meta = std::fs::metadata(path)
            .map_err(|e| ForecastError::io(path.display(), "cannot open", e))?;
        if meta.is_dir() {
            let mut files = Vec::new();
            let rd = std::fs::read_dir(path)
                .map_err(|e| ForecastError::io(path.display(), "cannot list", e))?;
            for entry in rd {
                let entry =
                    entry.map_err(|e| ForecastError::io(path.display(), "cannot list", e))?;
                let p = entry.path();
                if p.is_file() && sniff(&p)? == Sniff::Grib {
                    files.push(p);
                }
            }
            files.sort();
            if files.is_empty() {
                return Err(ForecastError::Grib {
                    file: path.display().to_string(),
                    field: "directory".into(),
                    detail: "holds no GRIB2 file".into(),
                });
            }
            return Self::from_grib2_files(&files, opts.region);
        }
        match sniff(path)? {
            Sniff::Grib => Self::from_grib2_files(&[path.to_path_buf()], opts.region),
            Sniff::Cache => cache::open(path, true),
            Sniff::Other => {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if time::parse_run(name).is_some() {
                    tawhiri::open(path)
                } else {
                    Err(ForecastError::Grib {
                        file: path.display().to_string(),
                        field: "file type".into(),
                        detail: "neither GRIB2 (no \"GRIB\" at the start), a saebaram cache file, nor a tawhiri dataset \
                                 (a file named YYYYMMDDHH)"
                            .into(),
                    })
                }
            }
        }
    }

    /// What this forecast is.
    pub fn info(&self) -> &ForecastInfo {
        &self.info
    }

    /// The wind cube.
    pub fn cube(&self) -> &Cube {
        &self.cube
    }

    /// The model terrain, if the forecast carries one.
    pub fn terrain(&self) -> Option<&Terrain> {
        self.terrain.as_ref()
    }

    /// Model terrain height at a point, bilinear, metres above mean sea level (as the model
    /// has it: smoothed, and possibly below 0 over the sea); `None` without terrain or
    /// outside the grid.
    pub fn terrain_m(&self, lat: f64, lon: f64) -> Option<f64> {
        self.terrain.as_ref()?.terrain_m(lat, lon)
    }

    /// Interpolated values at an altitude (metres above mean sea level).
    pub fn sample_alt(
        &self,
        t_unix_s: f64,
        lat: f64,
        lon: f64,
        alt_m: f64,
    ) -> Result<Sample, OutOfDomain> {
        self.cube.sample_alt(t_unix_s, lat, lon, alt_m)
    }

    /// Interpolated values on a pressure level the forecast holds (hPa).
    pub fn sample_level(
        &self,
        t_unix_s: f64,
        lat: f64,
        lon: f64,
        level_hpa: f64,
    ) -> Result<Sample> {
        let idx = self.cube.levels_hpa().iter().position(|p| (p - level_hpa).abs() < 1e-6).ok_or_else(|| {
            ForecastError::Query {
                file: self.info.origin.clone(),
                detail: format!(
                    "no winds on {level_hpa} hPa; levels with winds: {} hPa (use --alt for heights in between)",
                    self.cube.levels_hpa().iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ")
                ),
            }
        })?;
        self.cube
            .sample_level(t_unix_s, lat, lon, idx)
            .map_err(|e| ForecastError::Query {
                file: self.info.origin.clone(),
                detail: e.to_string(),
            })
    }

    /// The cache file name of this run: `<source>-<YYYYMMDDHH>.swc`.
    pub fn cache_file_name(&self) -> String {
        let slug: String = self
            .info
            .source
            .split_whitespace()
            .take(if self.info.source.starts_with("NOAA") {
                3
            } else {
                1
            })
            .last()
            .unwrap_or("forecast")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        format!("{slug}-{}.swc", self.info.run_name())
    }

    /// Writes this forecast into `dir` (created if needed) as a cache file, atomically;
    /// returns its path.
    pub fn write_cache(&self, dir: &Path) -> Result<PathBuf> {
        let path = dir.join(self.cache_file_name());
        cache::write(self, &path)?;
        Ok(path)
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Sniff {
    Grib,
    Cache,
    Other,
}

fn sniff(path: &Path) -> Result<Sniff> {
    use std::io::Read;
    let mut head = [0u8; 8];
    let mut f = std::fs::File::open(path)
        .map_err(|e| ForecastError::io(path.display(), "cannot open", e))?;
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ForecastError::io(path.display(), "cannot read", e)),
        }
    }
    Ok(if head.starts_with(b"GRIB") {
        Sniff::Grib
    } else if head == *cache::MAGIC {
        Sniff::Cache
    } else {
        Sniff::Other
    })
}

/// `0-30`, `0,2,5-9`: member numbers, ranges joined.
pub fn describe_numbers(numbers: &[u32]) -> String {
    let mut sorted = numbers.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts: Vec<String> = Vec::new();
    let mut k = 0;
    while k < sorted.len() {
        let start = sorted[k];
        let mut end = start;
        while k + 1 < sorted.len() && sorted[k + 1] == end + 1 {
            k += 1;
            end = sorted[k];
        }
        parts.push(if end == start {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        k += 1;
    }
    parts.join(",")
}

/// Parses member numbers: `0-9`, `0,2,5-9`, `all` (None).
pub fn parse_numbers(s: &str) -> std::result::Result<Option<Vec<u32>>, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("all") {
        return Ok(None);
    }
    let mut out = Vec::new();
    for part in t.split(',') {
        let part = part.trim();
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (part, part),
        };
        let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) else {
            return Err(format!(
                "`{s}` is not a list of member numbers (e.g. `0-10`, `0,3,7-9`, `all`)"
            ));
        };
        if a > b || b > 999 {
            return Err(format!(
                "`{part}`: want FROM-TO with 0 <= FROM <= TO <= 999"
            ));
        }
        for n in a..=b {
            if !out.contains(&n) {
                out.push(n);
            }
        }
    }
    if out.is_empty() {
        return Err(format!("`{s}`: 고른 멤버가 없습니다 (selects no member)"));
    }
    Ok(Some(out))
}

impl WindField for Forecast {
    #[inline]
    fn wind(&self, t_unix_s: f64, lat: f64, lon: f64, alt_m: f64) -> Result<Wind, OutOfDomain> {
        self.cube.wind_at(t_unix_s, lat, lon, alt_m)
    }

    #[inline]
    fn wind_uv(
        &self,
        t_unix_s: f64,
        lat: f64,
        lon: f64,
        alt_m: f64,
    ) -> Result<(f64, f64), OutOfDomain> {
        self.cube.wind_uv_at(t_unix_s, lat, lon, alt_m)
    }

    fn coverage(&self) -> Coverage {
        self.cube.coverage()
    }
}
