//! GRIB2 files -> wind cube, through the `grib` crate (pure-Rust decoders for templates 5.0,
//! 5.2, 5.3, 5.40, 5.41 and 5.42; repeated sections 4-7).
//!
//! Only u, v, geopotential height and temperature on isobaric surfaces (discipline 0,
//! surface type 100) are decoded, plus the model terrain (orography `orog`, model terrain
//! height `mterh`, or surface geopotential `z` divided by g0, on the ground surface, type 1)
//! when the input has one; every other field is listed in the inventory and skipped without
//! decoding, so a field the decoder cannot handle (e.g. bitmap indicator 254 on an AMSL
//! wind) does not stop a file whose isobaric winds are fine. The terrain is optional: when it
//! cannot be used (another grid, missing points, undecodable) the reason is kept in
//! `terrain_notes` and the winds are built without it.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};

use grib::{
    Code, Grib2SubmessageDecoder, GridDefinitionTemplateValues, codetables::grib2::Table4_4,
};
use serde::{Deserialize, Serialize};

use crate::cube::{Cube, Grid, NVAR};
use crate::error::{ForecastError, Result};
use crate::forecast::{MemberInfo, MemberKind};
use crate::isa;
use crate::region::Region;
use crate::terrain::{Terrain, TerrainInfo};
use crate::time;

/// One field of a GRIB2 file, as listed by `forecast info`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldInfo {
    /// The file it came from.
    pub file: String,
    /// Message number (1-based) and submessage number (0-based) in the file.
    pub message: usize,
    /// Submessage number within the message.
    pub submessage: usize,
    /// Short name: `u`, `v`, `gh`, `t`, `r`, ... or `d0.c2.n22` when unknown.
    pub name: String,
    /// Level: `850 hPa`, `10 m above ground`, ...
    pub level: String,
    /// Valid time, seconds since the epoch, when the template says.
    pub valid_unix_s: Option<i64>,
    /// Forecast step, hours after the run, when the template says.
    pub step_h: Option<f64>,
    /// Data representation template, e.g. `5.3`.
    pub packing: String,
    /// True if the cube uses this field.
    pub used: bool,
    /// Its ensemble member's perturbation number (product templates 4.1 and 4.11; `None`:
    /// a deterministic field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<u32>,
}

/// What was derived while building the cube, level by level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Derivation {
    /// Pressure level, hPa (`None`: every level).
    pub level_hpa: Option<f64>,
    /// What was derived and how.
    pub note: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Var {
    U = 0,
    V = 1,
    Gh = 2,
    T = 3,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct SrcGrid {
    ni: usize,
    nj: usize,
    la1: f64,
    lo1: f64,
    dlat: f64,
    dlon: f64,
}

/// The crop of one source grid: the output grid and which source row/column feeds each
/// output row/column.
struct Crop {
    src: SrcGrid,
    grid: Grid,
    rows: Vec<usize>,
    cols: Vec<usize>,
}

/// The best terrain field seen so far: the earliest step, then the preferred kind.
struct TerrainField {
    /// (valid time, kind rank): lower is better.
    key: (i64, u8),
    src: SrcGrid,
    grid: Grid,
    values: Vec<f32>,
    /// Index into the inventory.
    inventory: usize,
    info: TerrainInfo,
}

/// Collects fields from one or more GRIB2 files, then builds the cube.
pub(crate) struct Assembly {
    label: String,
    region: Region,
    run: Option<i64>,
    centre: Option<u16>,
    crop: Option<Crop>,
    /// Decoded, cropped fields of the deterministic forecast (or, while [`Assembly::finish`]
    /// builds one member's cube, that member's), keyed by (valid time, level in centi-Pa,
    /// variable).
    fields: Fields,
    /// Decoded, cropped fields per ensemble member (perturbation number).
    member_fields: BTreeMap<u32, Fields>,
    /// Per ensemble member: its kind and the files it came from.
    members: BTreeMap<u32, (MemberKind, BTreeSet<String>)>,
    /// The first deterministic field (file, field), to name in a mix with members.
    first_deterministic: Option<(String, String)>,
    /// The first ensemble field (file, field).
    first_member: Option<(String, String)>,
    /// Number of forecasts in the ensemble (octet 37) and the field that said so first.
    ensemble_size: Option<(u32, String, String)>,
    terrain: Option<TerrainField>,
    terrain_notes: Vec<String>,
    pub inventory: Vec<FieldInfo>,
}

type Fields = BTreeMap<(i64, i64, Var), Vec<f32>>;

/// What product definition templates 4.1 and 4.11 say of a field's ensemble (octets 35-37:
/// type of ensemble forecast, code table 4.6; perturbation number; number of forecasts in
/// the ensemble). `Ok(None)` for a deterministic template (4.0, 4.8); an error for a derived
/// ensemble product (4.2 and 4.12: ensemble mean, spread, ...), which no balloon meets.
fn ensemble_of(
    pd: &grib::ProdDefinition,
) -> std::result::Result<Option<(MemberInfo, u32)>, String> {
    let template = pd.prod_tmpl_num();
    match template {
        1 | 11 => {
            // The payload starts at octet 6 of section 4.
            let payload: Vec<u8> = pd.iter().take(32).copied().collect();
            let (Some(&kind), Some(&number), Some(&size)) =
                (payload.get(29), payload.get(30), payload.get(31))
            else {
                return Err(format!(
                    "앙상블 정보가 잘렸습니다 (product template 4.{template} is too short for its ensemble octets 35-37)"
                ));
            };
            let kind = match kind {
                0 | 1 => MemberKind::Control,
                2..=4 | 192..=254 => MemberKind::Perturbed,
                k => {
                    return Err(format!(
                        "앙상블 멤버의 종류를 알 수 없습니다 (product template 4.{template}: type of ensemble forecast {k} (code table 4.6) is not a control or perturbed member)"
                    ));
                }
            };
            if number == 255 {
                return Err(format!(
                    "앙상블 멤버 번호가 없습니다 (product template 4.{template}: the perturbation number is missing (255))"
                ));
            }
            Ok(Some((
                MemberInfo {
                    number: u32::from(number),
                    kind,
                },
                u32::from(size),
            )))
        }
        2 | 12 => Err(format!(
            "앙상블 평균이나 분산은 쓸 수 없습니다. 각 멤버를 주십시오 (product template 4.{template} is a product derived from all members (mean, spread, ...), not a forecast a balloon meets: use the members themselves)"
        )),
        _ => Ok(None),
    }
}

/// The result of [`Assembly::finish`].
pub(crate) struct Built {
    /// The first member's cube (the deterministic forecast's, if not an ensemble).
    pub cube: Cube,
    /// The other members' cubes, in the order of `members` after the first.
    pub more: Vec<Cube>,
    /// The ensemble's members, by perturbation number (empty: deterministic).
    pub members: Vec<MemberInfo>,
    /// The number of forecasts in the ensemble, as its fields say.
    pub ensemble_size: Option<u32>,
    pub run_unix_s: i64,
    pub centre: Option<u16>,
    pub derived: Vec<Derivation>,
    pub inventory: Vec<FieldInfo>,
    /// The model terrain on the cube's grid, when the input had a usable one.
    pub terrain: Option<(Terrain, TerrainInfo)>,
    /// Why a terrain field of the input was not used.
    pub terrain_notes: Vec<String>,
}

/// Which terrain field a (discipline, category, number) on the ground surface is, its rank
/// (lower preferred), the factor to metres and how that is described.
fn terrain_kind(
    discipline: u8,
    cat: Option<u8>,
    num: Option<u8>,
) -> Option<(u8, f32, &'static str)> {
    match (discipline, cat, num) {
        (0, Some(3), Some(5)) => Some((0, 1.0, "metres as decoded")),
        (2, Some(0), Some(7)) => Some((1, 1.0, "metres as decoded")),
        (0, Some(3), Some(4)) => Some((
            2,
            (1.0 / isa::G0) as f32,
            "geopotential divided by g0 = 9.80665 m/s²",
        )),
        _ => None,
    }
}

fn short_name(
    discipline: u8,
    cat: Option<u8>,
    num: Option<u8>,
    surface_type: Option<u8>,
) -> String {
    match (discipline, cat, num) {
        (0, Some(3), Some(5)) if surface_type == Some(1) => "orog".into(),
        (0, Some(3), Some(4)) => "z".into(),
        (2, Some(0), Some(7)) => "mterh".into(),
        (0, Some(0), Some(0)) => "t".into(),
        (0, Some(1), Some(0)) => "q".into(),
        (0, Some(1), Some(1)) => "r".into(),
        (0, Some(2), Some(2)) => "u".into(),
        (0, Some(2), Some(3)) => "v".into(),
        (0, Some(2), Some(8)) => "w".into(),
        (0, Some(2), Some(10)) => "absv".into(),
        (0, Some(3), Some(0)) => "pres".into(),
        (0, Some(3), Some(1)) => "prmsl".into(),
        (0, Some(3), Some(5)) => "gh".into(),
        (d, c, n) => format!(
            "d{d}.c{}.n{}",
            c.map_or("?".into(), |c| c.to_string()),
            n.map_or("?".into(), |n| n.to_string())
        ),
    }
}

fn level_name(surface_type: u8, value: f64) -> String {
    match surface_type {
        1 => "surface".into(),
        100 => format!("{} hPa", value / 100.0),
        101 => "mean sea level".into(),
        102 => format!("{value} m above mean sea level"),
        103 => format!("{value} m above ground"),
        7 => "tropopause".into(),
        6 => "max wind".into(),
        t => format!("surface type {t} = {value}"),
    }
}

fn unit_seconds(unit: &Code<Table4_4, u8>) -> Option<i64> {
    match unit {
        Code::Name(Table4_4::Second) => Some(1),
        Code::Name(Table4_4::Minute) => Some(60),
        Code::Name(Table4_4::Hour) => Some(3600),
        Code::Name(Table4_4::ThreeHours) => Some(3 * 3600),
        Code::Name(Table4_4::SixHours) => Some(6 * 3600),
        Code::Name(Table4_4::TwelveHours) => Some(12 * 3600),
        Code::Name(Table4_4::Day) => Some(86_400),
        _ => None,
    }
}

/// Largest source grid decoded (200 MB of f32 per field; a global 0.05° grid is 26 M points).
const MAX_GRID_POINTS: usize = 50_000_000;

fn src_grid(gd: &grib::GridDefinition) -> std::result::Result<SrcGrid, String> {
    let values = GridDefinitionTemplateValues::try_from(gd).map_err(|e| {
        format!(
            "grid template 3.{} is not supported ({e}); only regular lat/lon (3.0) is",
            gd.grid_tmpl_num()
        )
    })?;
    let t = match values {
        GridDefinitionTemplateValues::Template0(t) => t,
        _ => {
            return Err(format!(
                "grid template 3.{} is not supported; only regular latitude/longitude grids (3.0) are",
                gd.grid_tmpl_num()
            ));
        }
    };
    let g = &t.lat_lon.grid;
    let scan = t.lat_lon.scanning_mode;
    if !scan.is_consecutive_for_i() || scan.scans_alternating_rows() || scan.0 & 0x0f != 0 {
        return Err(format!(
            "scanning mode {:#010b} is not supported (only row by row, not alternating)",
            scan.0
        ));
    }
    let basic = g.initial_production_domain_basic_angle;
    let sub = g.basic_angle_subdivisions;
    let unit = if basic == 0 || basic == u32::MAX || sub == 0 || sub == u32::MAX {
        1e-6
    } else {
        f64::from(basic) / f64::from(sub)
    };
    let (ni, nj) = (g.ni as usize, g.nj as usize);
    if ni < 2 || nj < 2 || g.ni == u32::MAX || g.nj == u32::MAX {
        return Err(format!(
            "grid of {ni}x{nj} points is too small or undefined"
        ));
    }
    // Every field is decoded whole before the crop: a corrupt Ni or Nj must not make us
    // allocate gigabytes (found by fuzzing: Nj = 50331721 in an otherwise valid file).
    let points = ni.saturating_mul(nj);
    if points != gd.num_points() as usize {
        return Err(format!(
            "grid of {ni}x{nj} points, but section 3 says {} data points (corrupt)",
            gd.num_points()
        ));
    }
    if points > MAX_GRID_POINTS {
        return Err(format!(
            "grid of {ni}x{nj} points is larger than the {MAX_GRID_POINTS} this reader accepts"
        ));
    }
    let la1 = f64::from(g.first_point_lat) * unit;
    let la2 = f64::from(g.last_point_lat) * unit;
    let lo1 = f64::from(g.first_point_lon) * unit;
    let lo2 = f64::from(g.last_point_lon) * unit;
    if !(-90.0..=90.0).contains(&la1) || !(-90.0..=90.0).contains(&la2) || la1 == la2 {
        return Err(format!(
            "invalid latitudes of first/last grid points: {la1} and {la2}"
        ));
    }
    if (la2 > la1) != scan.scans_positively_for_j() {
        return Err(format!(
            "first/last latitudes {la1}, {la2} contradict the scanning mode"
        ));
    }
    // Snap spacings to 1e-9 degree: GRIB2 stores micro-degrees, division leaves noise.
    let snap = |x: f64| (x * 1e9).round() / 1e9;
    let dlat = snap((la2 - la1) / (nj - 1) as f64);
    let span = if scan.scans_positively_for_i() {
        (lo2 - lo1).rem_euclid(360.0)
    } else {
        (lo1 - lo2).rem_euclid(360.0)
    };
    if !(span > 0.0) {
        return Err(format!(
            "invalid longitudes of first/last grid points: {lo1} and {lo2}"
        ));
    }
    let dlon_abs = snap(span / (ni - 1) as f64);
    if (ni - 1) as f64 * dlon_abs >= 360.0 || ni as f64 * dlon_abs > 360.0 + 1e-6 {
        return Err(format!(
            "longitudes overlap: {ni} points every {dlon_abs} degrees"
        ));
    }
    let dlon = if scan.scans_positively_for_i() {
        dlon_abs
    } else {
        -dlon_abs
    };
    Ok(SrcGrid {
        ni,
        nj,
        la1,
        lo1,
        dlat,
        dlon,
    })
}

fn norm_lon(x: f64) -> f64 {
    let y = (x + 180.0).rem_euclid(360.0) - 180.0;
    // Snap to micro-degrees to undo accumulated rounding.
    (y * 1e6).round() / 1e6
}

fn crop(src: SrcGrid, region: &Region) -> Option<Crop> {
    const EPS: f64 = 1e-6;
    let adlat = src.dlat.abs();
    let lat_south = if src.dlat > 0.0 {
        src.la1
    } else {
        src.la1 + src.dlat * (src.nj - 1) as f64
    };
    let k0 = ((region.lat_min - lat_south) / adlat + EPS).floor();
    let k1 = ((region.lat_max - lat_south) / adlat - EPS).ceil();
    if k0 < 0.0 || k1 > (src.nj - 1) as f64 || k1 <= k0 {
        return None;
    }
    let (k0, k1) = (k0 as usize, k1 as usize);
    let rows = (k0..=k1)
        .map(|k| if src.dlat > 0.0 { k } else { src.nj - 1 - k })
        .collect();
    let d = src.dlon.abs();
    let west = if src.dlon > 0.0 {
        src.lo1
    } else {
        src.lo1 - d * (src.ni - 1) as f64
    };
    let wraps = (src.ni as f64 * d - 360.0).abs() < EPS;
    let off_min = (region.lon_min - west).rem_euclid(360.0);
    let c0 = {
        let c = (off_min / d + EPS).floor();
        // Just west of `west` on a non-wrapping grid comes back as ~360: not covered.
        if c * d >= 360.0 - EPS { 0.0 } else { c }
    };
    let c1 = ((off_min + (region.lon_max - region.lon_min)) / d - EPS).ceil();
    let ncols = c1 - c0 + 1.0;
    if c1 <= c0 || ncols > src.ni as f64 || (!wraps && c1 > (src.ni - 1) as f64) {
        return None;
    }
    let (c0, c1) = (c0 as usize, c1 as usize);
    let cols = (c0..=c1)
        .map(|c| {
            let c = c % src.ni;
            if src.dlon > 0.0 { c } else { src.ni - 1 - c }
        })
        .collect::<Vec<_>>();
    let grid = Grid {
        lat0: ((lat_south + k0 as f64 * adlat) * 1e6).round() / 1e6,
        dlat: adlat,
        nlat: k1 - k0 + 1,
        lon0: norm_lon(west + c0 as f64 * d),
        dlon: d,
        nlon: cols.len(),
    };
    Some(Crop {
        src,
        grid,
        rows,
        cols,
    })
}

fn grib_err(file: &str, field: impl Into<String>, detail: impl std::fmt::Display) -> ForecastError {
    ForecastError::Grib {
        file: file.to_string(),
        field: field.into(),
        detail: detail.to_string(),
    }
}

impl Assembly {
    pub fn new(label: impl Into<String>, region: Region) -> Self {
        Assembly {
            label: label.into(),
            region,
            run: None,
            centre: None,
            crop: None,
            fields: BTreeMap::new(),
            member_fields: BTreeMap::new(),
            members: BTreeMap::new(),
            first_deterministic: None,
            first_member: None,
            ensemble_size: None,
            terrain: None,
            terrain_notes: Vec::new(),
            inventory: Vec::new(),
        }
    }

    /// Adds the fields of one GRIB2 file (one or many messages).
    pub fn add(&mut self, bytes: &[u8], file: &str) -> Result<()> {
        if bytes.len() < 16 || bytes.get(0..4) != Some(b"GRIB") {
            return Err(grib_err(
                file,
                "section 0",
                "not a GRIB file (no \"GRIB\" at the start)",
            ));
        }
        if bytes.get(7) != Some(&2) {
            return Err(grib_err(
                file,
                "section 0",
                format!(
                    "GRIB edition {} is not supported (only GRIB2)",
                    bytes.get(7).copied().unwrap_or(0)
                ),
            ));
        }
        check_structure(bytes).map_err(|e| grib_err(file, "message structure", e))?;
        match catch_unwind(AssertUnwindSafe(|| self.add_inner(bytes, file))) {
            Ok(r) => r,
            Err(_) => Err(grib_err(
                file,
                "message structure",
                "the GRIB2 decoder failed on malformed data",
            )),
        }
    }

    fn add_inner(&mut self, bytes: &[u8], file: &str) -> Result<()> {
        let grib2 = grib::from_bytes(bytes).map_err(|e| {
            grib_err(
                file,
                "message structure",
                format!("corrupt or truncated GRIB2: {e}"),
            )
        })?;
        if grib2.is_empty() {
            return Err(grib_err(
                file,
                "message structure",
                "no GRIB2 message found",
            ));
        }
        for ((msg, sub), sm) in grib2.iter() {
            let discipline = sm.indicator().discipline;
            let pd = sm.prod_def();
            let (cat, num) = (pd.parameter_category(), pd.parameter_number());
            let surface = pd
                .fixed_surfaces()
                .map(|(a, _)| (a.surface_type, a.value()));
            let name = short_name(discipline, cat, num, surface.map(|s| s.0));
            let level =
                surface.map_or_else(|| "unknown level".to_string(), |(t, v)| level_name(t, v));
            let rt = sm.identification().ref_time_unchecked();
            let run = time::unix_from_civil(
                i64::from(rt.year),
                u32::from(rt.month),
                u32::from(rt.day),
                u32::from(rt.hour),
                u32::from(rt.minute),
                u32::from(rt.second),
            );
            let step_s = pd
                .forecast_time()
                .and_then(|ft| unit_seconds(&ft.unit).map(|u| u * i64::from(ft.value)));
            let valid = run.zip(step_s).map(|(r, s)| r + s);
            let packing = format!("5.{}", sm.repr_def().repr_tmpl_num());
            let ensemble = ensemble_of(pd);
            let member = ensemble
                .as_ref()
                .ok()
                .and_then(|e| e.as_ref().map(|e| e.0.clone()));
            let field_name = format!(
                "{name} {level}{}{} (message {}, field {})",
                step_s.map_or(String::new(), |s| format!(" step +{} h", s as f64 / 3600.0)),
                member
                    .as_ref()
                    .map_or(String::new(), |m| format!(", {}", m.label())),
                msg + 1,
                sub
            );

            let var = match (discipline, cat, num, surface) {
                (0, Some(2), Some(2), Some((100, _))) => Some(Var::U),
                (0, Some(2), Some(3), Some((100, _))) => Some(Var::V),
                (0, Some(3), Some(5), Some((100, _))) => Some(Var::Gh),
                (0, Some(0), Some(0), Some((100, _))) => Some(Var::T),
                _ => None,
            };
            self.inventory.push(FieldInfo {
                file: file.to_string(),
                message: msg + 1,
                submessage: sub,
                name: name.clone(),
                level: level.clone(),
                valid_unix_s: valid,
                step_h: step_s.map(|s| s as f64 / 3600.0),
                packing: packing.clone(),
                used: var.is_some(),
                member: member.as_ref().map(|m| m.number),
            });
            let Some(var) = var else {
                let kind = match surface {
                    Some((1, _)) => terrain_kind(discipline, cat, num),
                    _ => None,
                };
                if let (Some(kind), Some(valid)) = (kind, valid) {
                    let key = (valid, kind.0);
                    if self.terrain.as_ref().is_none_or(|t| key < t.key) {
                        let field = format!("{name} {level} (message {}, field {sub})", msg + 1);
                        match decode_terrain(sm, &self.region, kind, &field) {
                            Ok((src, grid, values)) => {
                                let (lo, hi) = values
                                    .iter()
                                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                                        (lo.min(f64::from(v)), hi.max(f64::from(v)))
                                    });
                                self.terrain = Some(TerrainField {
                                    key,
                                    src,
                                    grid,
                                    values,
                                    inventory: self.inventory.len() - 1,
                                    info: TerrainInfo {
                                        field: format!("{field} of {file}"),
                                        conversion: kind.2.to_string(),
                                        step_h: step_s.map(|s| s as f64 / 3600.0),
                                        min_m: lo,
                                        max_m: hi,
                                    },
                                });
                            }
                            Err(e) => self.terrain_notes.push(format!("{field} of {file}: {e}")),
                        }
                    }
                }
                continue;
            };
            let ensemble = ensemble.map_err(|e| grib_err(file, &field_name, e))?;
            self.note_member(file, &field_name, ensemble)?;
            let level_pa = surface.map_or(f64::NAN, |(_, v)| v);
            if !(level_pa.is_finite() && level_pa > 0.0) {
                return Err(grib_err(
                    file,
                    &field_name,
                    "missing or invalid pressure level",
                ));
            }
            let run = run.ok_or_else(|| grib_err(file, &field_name, "invalid reference time"))?;
            let valid = valid.ok_or_else(|| {
                grib_err(
                    file,
                    &field_name,
                    format!(
                        "product template 4.{} has no forecast time this reader understands",
                        pd.prod_tmpl_num()
                    ),
                )
            })?;
            match self.run {
                None => self.run = Some(run),
                Some(r) if r != run => {
                    return Err(ForecastError::Cube {
                        file: file.to_string(),
                        field: field_name,
                        detail: format!(
                            "run {} differs from run {} of earlier fields: one cube holds one run",
                            time::format_rfc3339(run),
                            time::format_rfc3339(r)
                        ),
                    });
                }
                Some(_) => {}
            }
            self.centre.get_or_insert(sm.identification().centre_id());
            let src = src_grid(sm.grid_def()).map_err(|e| grib_err(file, &field_name, e))?;
            match &self.crop {
                Some(c) if c.src != src => {
                    return Err(ForecastError::Cube {
                        file: file.to_string(),
                        field: field_name,
                        detail: format!(
                            "격자가 앞의 자료와 다릅니다 (its grid ({}) differs from the grid of earlier fields ({}): every field and member must share one grid)",
                            describe_src(&src),
                            describe_src(&c.src)
                        ),
                    });
                }
                Some(_) => {}
                None => {
                    let c = crop(src, &self.region).ok_or_else(|| ForecastError::NotCovered {
                        file: file.to_string(),
                        grid: describe_src(&src),
                        region: self.region.to_string(),
                    })?;
                    self.crop = Some(c);
                }
            }
            let key = (valid, (level_pa * 100.0).round() as i64, var);
            let member_key = member.as_ref().map(|m| m.number);
            let seen = match member_key {
                None => self.fields.contains_key(&key),
                Some(n) => self
                    .member_fields
                    .get(&n)
                    .is_some_and(|f| f.contains_key(&key)),
            };
            if seen {
                return Err(ForecastError::Cube {
                    file: file.to_string(),
                    field: field_name,
                    detail: "appears twice (the same file given twice, or two runs in one input?)"
                        .into(),
                });
            }
            let decoder = Grib2SubmessageDecoder::from(sm)
                .map_err(|e| grib_err(file, &field_name, format!("cannot decode: {e}")))?;
            let values = decoder
                .dispatch()
                .map_err(|e| grib_err(file, &field_name, format!("cannot decode: {e}")))?;
            let Some(c) = &self.crop else { continue };
            let n = c.src.ni * c.src.nj;
            let mut all = Vec::with_capacity(n);
            all.extend(values.take(n + 1));
            if all.len() != n {
                return Err(grib_err(
                    file,
                    &field_name,
                    format!("decoded {} values for a grid of {n} points", all.len()),
                ));
            }
            let mut out = Vec::with_capacity(c.rows.len() * c.cols.len());
            for &r in &c.rows {
                for &col in &c.cols {
                    out.push(all.get(r * c.src.ni + col).copied().unwrap_or(f32::NAN));
                }
            }
            match member_key {
                None => self.fields.insert(key, out),
                Some(n) => self.member_fields.entry(n).or_default().insert(key, out),
            };
        }
        Ok(())
    }

    /// Records which member (or the deterministic forecast) a used field belongs to, and
    /// refuses a mix of the two, a member whose kind changes, and ensembles of different
    /// sizes: never a silent mix.
    fn note_member(
        &mut self,
        file: &str,
        field: &str,
        ensemble: Option<(MemberInfo, u32)>,
    ) -> Result<()> {
        let mixed = |this: String, other: &(String, String)| ForecastError::Cube {
            file: file.to_string(),
            field: field.to_string(),
            detail: format!(
                "단일 예보와 앙상블 멤버가 섞여 있습니다 ({this}, but {} of `{}` is {}: one forecast is either a deterministic run or an ensemble's members, never a mix)",
                other.1,
                other.0,
                if this.starts_with("deterministic") {
                    "an ensemble member (product template 4.1/4.11)"
                } else {
                    "deterministic (product template 4.0/4.8)"
                }
            ),
        };
        let Some((member, size)) = ensemble else {
            if let Some(other) = &self.first_member {
                return Err(mixed(
                    "deterministic (product template 4.0/4.8)".into(),
                    other,
                ));
            }
            self.first_deterministic
                .get_or_insert_with(|| (file.to_string(), field.to_string()));
            return Ok(());
        };
        if let Some(other) = &self.first_deterministic {
            return Err(mixed(
                format!(
                    "{} of an ensemble (product template 4.1/4.11)",
                    member.label()
                ),
                other,
            ));
        }
        self.first_member
            .get_or_insert_with(|| (file.to_string(), field.to_string()));
        match &self.ensemble_size {
            Some((n, f, fld)) if *n != size => {
                return Err(ForecastError::Cube {
                    file: file.to_string(),
                    field: field.to_string(),
                    detail: format!(
                        "앙상블 크기가 서로 다릅니다 (says the ensemble has {size} members, but {fld} of `{f}` says {n}: two different ensembles?)"
                    ),
                });
            }
            Some(_) => {}
            None => self.ensemble_size = Some((size, file.to_string(), field.to_string())),
        }
        let entry = self
            .members
            .entry(member.number)
            .or_insert_with(|| (member.kind, BTreeSet::new()));
        if entry.0 != member.kind {
            return Err(ForecastError::Cube {
                file: file.to_string(),
                field: field.to_string(),
                detail: format!(
                    "멤버의 종류(대조/섭동)가 자료마다 다릅니다 (member {} is {:?} here but {:?} in other fields of {})",
                    member.number,
                    member.kind,
                    entry.0,
                    entry.1.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
            });
        }
        entry.1.insert(file.to_string());
        Ok(())
    }

    /// Builds the cube: checks U/V pairs and levels, derives missing heights, lays out.
    pub fn finish(mut self) -> Result<Built> {
        let (Some((grid, src)), Some(run)) =
            (self.crop.as_ref().map(|c| (c.grid, c.src)), self.run)
        else {
            return Err(self.cube_err(
                "u/v".into(),
                "no u or v wind on isobaric (pressure) levels found".into(),
            ));
        };
        let mut cubes = Vec::new();
        let mut derived = Vec::new();
        if self.member_fields.is_empty() {
            let (cube, d) = self.build_cube(run, grid)?;
            cubes.push(cube);
            derived = d;
        } else {
            check_members_alike(&self.member_fields, &self.members, run, &self.label)?;
            // Each member's cube is built from its own fields, by the same code as a
            // deterministic forecast's; errors name the member.
            let label = self.label.clone();
            for (k, (n, fields)) in std::mem::take(&mut self.member_fields)
                .into_iter()
                .enumerate()
            {
                self.fields = fields;
                self.label = format!("{label}: member {n}");
                let (cube, d) = self.build_cube(run, grid)?;
                if k == 0 {
                    derived = d;
                }
                cubes.push(cube);
            }
            self.label = label;
            self.fields = BTreeMap::new();
        }
        let members: Vec<MemberInfo> = self
            .members
            .iter()
            .map(|(&number, (kind, _))| MemberInfo {
                number,
                kind: *kind,
            })
            .collect();
        let mut cubes = cubes.into_iter();
        let Some(cube) = cubes.next() else {
            return Err(self.cube_err(
                "u/v".into(),
                "no u or v wind on isobaric (pressure) levels found".into(),
            ));
        };
        let more: Vec<Cube> = cubes.collect();
        let ensemble_size = self.ensemble_size.as_ref().map(|e| e.0);
        let Assembly {
            centre,
            terrain,
            terrain_notes,
            inventory,
            ..
        } = self;
        let (terrain, terrain_notes, inventory) =
            attach_terrain(terrain, src, terrain_notes, inventory);
        Ok(Built {
            cube,
            more,
            members,
            ensemble_size,
            run_unix_s: run,
            centre,
            derived,
            inventory,
            terrain,
            terrain_notes,
        })
    }

    /// One cube from `self.fields` (the deterministic forecast's, or one member's): checks
    /// U/V pairs and levels, derives missing heights and temperatures, lays out.
    fn build_cube(&self, run: i64, grid: Grid) -> Result<(Cube, Vec<Derivation>)> {
        let axes = self.axes(run);
        self.check_winds(&axes)?;
        self.check_steps_agree(&axes)?;
        let mut derived = self.height_notes(&axes);
        let thick = self.thickness_temperatures(&axes, &mut derived);
        let (values, stand_ins) = self.columns(&axes, grid, &thick);
        derived.extend(stand_in_notes(&axes, grid, &stand_ins));
        let levels_hpa: Vec<f64> = axes.wind_levels.iter().map(|&l| hpa(l)).collect();
        let cube = Cube::from_native(axes.times, levels_hpa, grid, values)
            .map_err(|e| self.cube_err("u/v/gh".into(), e))?;
        Ok((cube, derived))
    }

    fn cube_err(&self, field: String, detail: String) -> ForecastError {
        ForecastError::Cube {
            file: self.label.clone(),
            field,
            detail,
        }
    }

    /// The valid times and the pressure levels (wind levels, and every level with any
    /// field), bottom (highest pressure) first, as centi-Pa keys.
    fn axes(&self, run: i64) -> Axes {
        let distinct = |keep: &dyn Fn(&(i64, i64, Var)) -> bool,
                        pick: fn(&(i64, i64, Var)) -> i64| {
            self.fields
                .keys()
                .filter(|k| keep(k))
                .map(pick)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<i64>>()
        };
        let times = distinct(&|_| true, |k| k.0);
        let mut wind_levels = distinct(&|k| matches!(k.2, Var::U | Var::V), |k| k.1);
        wind_levels.reverse();
        let mut all_levels = distinct(&|_| true, |k| k.1);
        all_levels.reverse();
        Axes {
            run,
            times,
            wind_levels,
            all_levels,
        }
    }

    /// At least two wind levels, and U with V on every level at every step.
    fn check_winds(&self, axes: &Axes) -> Result<()> {
        if axes.wind_levels.len() < 2 {
            return Err(self.cube_err(
                "u/v".into(),
                format!(
                    "winds on {} pressure level(s); need at least 2",
                    axes.wind_levels.len()
                ),
            ));
        }
        for &t in &axes.times {
            for &l in &axes.wind_levels {
                let has_u = self.fields.contains_key(&(t, l, Var::U));
                let has_v = self.fields.contains_key(&(t, l, Var::V));
                let (field, detail) = match (has_u, has_v) {
                    (true, true) => continue,
                    (true, false) => ("u", "U without V: no v wind on that level and step"),
                    (false, true) => ("v", "V without U: no u wind on that level and step"),
                    (false, false) => (
                        "u/v",
                        "missing level: other steps have winds on it, this one does not",
                    ),
                };
                return Err(self.cube_err(
                    format!("{field} {} hPa step {}", hpa(l), axes.step(t)),
                    detail.into(),
                ));
            }
        }
        Ok(())
    }

    /// Which levels' heights and temperatures exist must be the same for every step, or the
    /// derivation notes would lie.
    fn check_steps_agree(&self, axes: &Axes) -> Result<()> {
        for &l in &axes.all_levels {
            for (var, name) in [(Var::Gh, "gh"), (Var::T, "t")] {
                let steps = axes
                    .times
                    .iter()
                    .filter(|&&t| self.fields.contains_key(&(t, l, var)))
                    .count();
                if steps != 0 && steps != axes.times.len() {
                    return Err(self.cube_err(
                        format!("{name} {} hPa", hpa(l)),
                        format!("present at {steps} of {} steps", axes.times.len()),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Whether level `l` has field `v` (at every step: [`Self::check_steps_agree`]).
    fn has(&self, axes: &Axes, l: i64, v: Var) -> bool {
        axes.times
            .first()
            .is_some_and(|&t| self.fields.contains_key(&(t, l, v)))
    }

    /// A note for every wind level whose geopotential height is derived.
    fn height_notes(&self, axes: &Axes) -> Vec<Derivation> {
        let all_levels = &axes.all_levels;
        let mut derived = Vec::new();
        for (k, &l) in all_levels.iter().enumerate() {
            if self.has(axes, l, Var::Gh) || !axes.wind_levels.contains(&l) {
                continue;
            }
            // Mirror the sweep in `columns`: from the nearest level below with a height,
            // else above.
            let anchor_below = all_levels[..k]
                .iter()
                .rev()
                .find(|&&a| self.has(axes, a, Var::Gh));
            let anchor_above = all_levels[k + 1..]
                .iter()
                .find(|&&a| self.has(axes, a, Var::Gh));
            let anchor = match (anchor_below, anchor_above) {
                (Some(a), _) | (None, Some(a)) => format!("anchored on gh {} hPa", hpa(*a)),
                (None, None) => format!("anchored on the ISA height of {} hPa", hpa(all_levels[0])),
            };
            let temp = if self.has(axes, l, Var::T) {
                "forecast temperature"
            } else {
                "ISA temperature where the forecast has none"
            };
            derived.push(Derivation {
                level_hpa: Some(hpa(l)),
                note: format!("geopotential height derived hypsometrically from {temp}, {anchor}"),
            });
        }
        derived
    }

    /// A wind level without temperature but with a real gh next to a level with real gh
    /// and t: the layer's mean temperature follows from its thickness (hypsometric
    /// equation), and the level's temperature from that mean and the neighbour's. Returns
    /// level -> index (in `all_levels`) of that neighbour; notes every level's source.
    fn thickness_temperatures(
        &self,
        axes: &Axes,
        derived: &mut Vec<Derivation>,
    ) -> BTreeMap<i64, usize> {
        let all_levels = &axes.all_levels;
        let mut thick = BTreeMap::new();
        for &l in &axes.wind_levels {
            if self.has(axes, l, Var::T) {
                continue;
            }
            let k = all_levels.iter().position(|&a| a == l).unwrap_or(0);
            let neighbour = [k.checked_sub(1), Some(k + 1)]
                .into_iter()
                .flatten()
                .filter(|&j| j < all_levels.len())
                .find(|&j| {
                    self.has(axes, l, Var::Gh)
                        && self.has(axes, all_levels[j], Var::Gh)
                        && self.has(axes, all_levels[j], Var::T)
                });
            match neighbour {
                Some(j) => {
                    thick.insert(l, j);
                    derived.push(Derivation {
                        level_hpa: Some(hpa(l)),
                        note: format!(
                            "temperature derived from the thickness between gh {} and gh {} hPa and t {} hPa",
                            hpa(l),
                            hpa(all_levels[j]),
                            hpa(all_levels[j])
                        ),
                    });
                }
                None => derived.push(Derivation {
                    level_hpa: Some(hpa(l)),
                    note: "no temperature: air density from the ISA".into(),
                }),
            }
        }
        thick
    }

    /// The cube's values (u, v, height, temperature per wind level, point and step), and
    /// where a forecast temperature was missing or implausible so that the standard
    /// atmosphere's stood in.
    fn columns(
        &self,
        axes: &Axes,
        grid: Grid,
        thick: &BTreeMap<i64, usize>,
    ) -> (Vec<f32>, StandIns) {
        let all_levels = &axes.all_levels;
        let npts = grid.nlat * grid.nlon;
        let nl = axes.wind_levels.len();
        let m = all_levels.len();
        let any_gh = all_levels.iter().any(|&l| self.has(axes, l, Var::Gh));
        let p_pa: Vec<f64> = all_levels.iter().map(|&l| l as f64 / 100.0).collect();
        let mut values = vec![f32::NAN; axes.times.len() * npts * nl * NVAR];
        let mut stand_ins = StandIns::default();
        let mut z = vec![f64::NAN; m];
        let mut tk = vec![f64::NAN; m];
        let mut forecast_t = vec![false; m];
        let rg = isa::R_DRY / isa::G0;
        for (it, &t) in axes.times.iter().enumerate() {
            let col_of = |l: i64, v: Var| self.fields.get(&(t, l, v));
            let gh_f: Vec<Option<&Vec<f32>>> =
                all_levels.iter().map(|&l| col_of(l, Var::Gh)).collect();
            let t_f: Vec<Option<&Vec<f32>>> =
                all_levels.iter().map(|&l| col_of(l, Var::T)).collect();
            for p in 0..npts {
                for k in 0..m {
                    let isa_t = isa::temperature_k(isa::altitude_m(p_pa[k] / 100.0));
                    let tv = t_f[k]
                        .and_then(|f| f.get(p))
                        .map(|&x| f64::from(x))
                        .filter(|&x| plausible_temperature_k(x));
                    forecast_t[k] = tv.is_some();
                    if t_f[k].is_some() && tv.is_none() {
                        stand_ins.count(all_levels[k], it, p);
                    }
                    tk[k] = tv.unwrap_or(isa_t);
                    z[k] = gh_f[k]
                        .and_then(|f| f.get(p))
                        .map_or(f64::NAN, |&x| f64::from(x));
                }
                if !any_gh {
                    z[0] = isa::altitude_m(p_pa[0] / 100.0);
                }
                for k in 1..m {
                    if z[k].is_nan() && z[k - 1].is_finite() {
                        z[k] = z[k - 1]
                            + rg * 0.5 * (tk[k] + tk[k - 1]) * (p_pa[k - 1] / p_pa[k]).ln();
                    }
                }
                for k in (0..m.saturating_sub(1)).rev() {
                    if z[k].is_nan() && z[k + 1].is_finite() {
                        z[k] = z[k + 1]
                            - rg * 0.5 * (tk[k] + tk[k + 1]) * (p_pa[k] / p_pa[k + 1]).ln();
                    }
                }
                for (il, &l) in axes.wind_levels.iter().enumerate() {
                    let k = all_levels.iter().position(|&a| a == l).unwrap_or(0);
                    let base = ((it * npts) + p) * nl * NVAR + il * NVAR;
                    let get = |v: Var| {
                        col_of(l, v)
                            .and_then(|f| f.get(p))
                            .copied()
                            .unwrap_or(f32::NAN)
                    };
                    let temperature = if forecast_t[k] {
                        tk[k] as f32
                    } else if let Some(&j) = thick.get(&l).filter(|&&j| forecast_t[j]) {
                        // z_k - z_j = (R/g) * Tmean * ln(p_j / p_k), Tmean = (T_k + T_j) / 2.
                        let tmean = (z[k] - z[j]) / (rg * (p_pa[j] / p_pa[k]).ln());
                        let t_k = 2.0 * tmean - tk[j];
                        if plausible_temperature_k(t_k) {
                            t_k as f32
                        } else {
                            stand_ins.count(l, it, p);
                            f32::NAN
                        }
                    } else {
                        if thick.contains_key(&l) {
                            // The neighbour's temperature is missing here: nothing to
                            // derive this level's from.
                            stand_ins.count(l, it, p);
                        }
                        // Else the level has no temperature at all (noted as such).
                        f32::NAN
                    };
                    if let Some(slot) = values.get_mut(base..base + NVAR) {
                        slot[0] = get(Var::U);
                        slot[1] = get(Var::V);
                        slot[2] = z[k] as f32;
                        slot[3] = temperature;
                    }
                }
            }
        }
        (values, stand_ins)
    }
}

/// A temperature the atmosphere can hold, K: finite, 150-350 K. Anything else in a field
/// that has temperatures is a missing or damaged value.
fn plausible_temperature_k(t_k: f64) -> bool {
    t_k.is_finite() && (150.0..350.0).contains(&t_k)
}

fn hpa(level: i64) -> f64 {
    level as f64 / 10_000.0
}

/// The time and level axes of an assembly (levels as centi-Pa keys, bottom first).
struct Axes {
    run: i64,
    times: Vec<i64>,
    wind_levels: Vec<i64>,
    all_levels: Vec<i64>,
}

impl Axes {
    fn step(&self, t: i64) -> String {
        format!("+{} h", (t - self.run) as f64 / 3600.0)
    }
}

/// Per level: how many (point, step) values of a temperature field were missing or
/// implausible, and the first (step index, point index).
#[derive(Default)]
struct StandIns {
    by_level: BTreeMap<i64, (usize, (usize, usize))>,
}

impl StandIns {
    fn count(&mut self, level: i64, step: usize, point: usize) {
        self.by_level
            .entry(level)
            .and_modify(|(n, _)| *n += 1)
            .or_insert((1, (step, point)));
    }
}

/// `forecast info` lines for the temperatures the standard atmosphere stood in for.
fn stand_in_notes(axes: &Axes, grid: Grid, stand_ins: &StandIns) -> Vec<Derivation> {
    let total = grid.nlat * grid.nlon * axes.times.len();
    stand_ins
        .by_level
        .iter()
        .map(|(&level, &(n, (step, point)))| {
            let lat = grid.lat0 + (point / grid.nlon.max(1)) as f64 * grid.dlat;
            let lon = grid.lon0 + (point % grid.nlon.max(1)) as f64 * grid.dlon;
            let when = axes
                .times
                .get(step)
                .map_or(String::new(), |&t| axes.step(t));
            Derivation {
                level_hpa: Some(hpa(level)),
                note: format!(
                    "temperature missing or implausible at {n} of {total} grid values (first at \
                     step {when}, {lat:.3}N {lon:.3}E): the standard atmosphere's stands in \
                     there, for heights derived through this level and for air density"
                ),
            }
        })
        .collect()
}

/// The terrain field on the winds' grid, or a note saying why it is not used.
fn attach_terrain(
    terrain: Option<TerrainField>,
    winds: SrcGrid,
    mut notes: Vec<String>,
    mut inventory: Vec<FieldInfo>,
) -> (Option<(Terrain, TerrainInfo)>, Vec<String>, Vec<FieldInfo>) {
    let terrain = match terrain {
        Some(t) if t.src != winds => {
            notes.push(format!(
                "{}: on another grid ({}) than the winds ({}): not used",
                t.info.field,
                describe_src(&t.src),
                describe_src(&winds)
            ));
            None
        }
        Some(t) => match Terrain::new(t.grid, t.values) {
            Ok(terrain) => {
                if let Some(f) = inventory.get_mut(t.inventory) {
                    f.used = true;
                }
                Some((terrain, t.info))
            }
            Err(e) => {
                notes.push(format!("{}: {e}: not used", t.info.field));
                None
            }
        },
        None => None,
    };
    (terrain, notes, inventory)
}

/// Every member must hold the same fields (steps, levels, variables): a member missing a
/// step or a level is an error naming it and the files it came from, never a member that
/// silently flies another's air.
fn check_members_alike(
    fields: &BTreeMap<u32, Fields>,
    members: &BTreeMap<u32, (MemberKind, BTreeSet<String>)>,
    run: i64,
    label: &str,
) -> Result<()> {
    let all: BTreeSet<(i64, i64, Var)> = fields.values().flat_map(|f| f.keys().copied()).collect();
    let files_of = |n: u32| {
        members.get(&n).map_or_else(
            || label.to_string(),
            |m| m.1.iter().cloned().collect::<Vec<_>>().join(", "),
        )
    };
    for &n in members.keys() {
        let have = fields.get(&n);
        let missing: Vec<&(i64, i64, Var)> = all
            .iter()
            .filter(|k| !have.is_some_and(|f| f.contains_key(k)))
            .collect();
        let Some(first) = missing.first() else {
            continue;
        };
        let steps: BTreeSet<i64> = missing.iter().map(|k| k.0).collect();
        let whole_steps: Vec<i64> = steps
            .iter()
            .copied()
            .filter(|&t| !have.is_some_and(|f| f.keys().any(|k| k.0 == t)))
            .collect();
        let other = members
            .keys()
            .copied()
            .find(|&m| m != n && fields.get(&m).is_some_and(|f| f.contains_key(first)))
            .map_or_else(|| "other members".to_string(), |m| format!("member {m}"));
        let var = match first.2 {
            Var::U => "u",
            Var::V => "v",
            Var::Gh => "gh",
            Var::T => "t",
        };
        let when = |t: i64| {
            format!(
                "+{} h (valid {})",
                (t - run) as f64 / 3600.0,
                time::format_rfc3339(t)
            )
        };
        let detail = if !whole_steps.is_empty() {
            format!(
                "이 멤버에는 일부 예보 시각이 없습니다 (missing at step {}, which {other} has: every member must cover the same steps)",
                whole_steps
                    .iter()
                    .map(|&t| when(t))
                    .collect::<Vec<_>>()
                    .join(", step ")
            )
        } else {
            format!(
                "이 멤버에는 일부 기압면이나 변수가 없습니다 (has no {var} at {} hPa at step {} ({} field(s) missing in all), which {other} has: every member must have the same levels and fields)",
                first.1 as f64 / 10_000.0,
                when(first.0),
                missing.len()
            )
        };
        return Err(ForecastError::Cube {
            file: files_of(n),
            field: format!("member {n}"),
            detail,
        });
    }
    Ok(())
}

/// Decodes a terrain field and crops it to the region, in metres. The grid is checked
/// against the winds' in [`Assembly::finish`].
fn decode_terrain<R: grib::Grib2Read>(
    sm: grib::SubMessage<'_, R>,
    region: &Region,
    kind: (u8, f32, &'static str),
    field: &str,
) -> std::result::Result<(SrcGrid, Grid, Vec<f32>), String> {
    let src = src_grid(sm.grid_def())?;
    let c = crop(src, region).ok_or_else(|| {
        format!(
            "its grid ({}) does not cover the region {region}",
            describe_src(&src)
        )
    })?;
    let decoder =
        Grib2SubmessageDecoder::from(sm).map_err(|e| format!("cannot decode {field}: {e}"))?;
    let values = decoder
        .dispatch()
        .map_err(|e| format!("cannot decode {field}: {e}"))?;
    let n = src.ni * src.nj;
    let all: Vec<f32> = values.take(n + 1).collect();
    if all.len() != n {
        return Err(format!(
            "decoded {} values for a grid of {n} points",
            all.len()
        ));
    }
    let mut out = Vec::with_capacity(c.rows.len() * c.cols.len());
    for &r in &c.rows {
        for &col in &c.cols {
            out.push(all.get(r * src.ni + col).copied().unwrap_or(f32::NAN) * kind.1);
        }
    }
    Ok((src, c.grid, out))
}

/// The 10 m wind of GRIB2 files (u and v, discipline 0, category 2, parameters 2 and 3, on
/// the surface "10 m above ground", type 103), cropped to a region, one field per valid
/// time: the windage input of sea drift. Deterministic fields and ensemble controls are
/// read; perturbed members are skipped (a drift draws its own windage spread).
#[derive(Debug, Clone, PartialEq)]
pub struct SurfaceWind {
    /// The cropped grid (rows south to north, columns west to east).
    pub grid: Grid,
    /// Valid times, seconds since the epoch, increasing.
    pub times_unix_s: Vec<i64>,
    /// Eastward wind, m/s, `[time][row][column]`.
    pub u: Vec<f32>,
    /// Northward wind, m/s, same layout.
    pub v: Vec<f32>,
}

/// Reads the 10 m wind of GRIB2 files (`(bytes, file name)`) over `region`. Every file must
/// be GRIB2; the u and v of each valid time must both be there, on one grid that covers the
/// region; an error names the file and field otherwise.
pub fn surface_wind_10m(files: &[(&[u8], &str)], region: &Region) -> Result<SurfaceWind> {
    let mut fields: BTreeMap<i64, [Option<Vec<f32>>; 2]> = BTreeMap::new();
    let mut grid: Option<(Grid, String)> = None;
    for &(bytes, file) in files {
        if bytes.len() < 16 || bytes.get(0..4) != Some(b"GRIB") || bytes.get(7) != Some(&2) {
            return Err(grib_err(file, "section 0", "not a GRIB2 file"));
        }
        check_structure(bytes).map_err(|e| grib_err(file, "message structure", e))?;
        let read = catch_unwind(AssertUnwindSafe(|| -> Result<()> {
            let grib2 = grib::from_bytes(bytes).map_err(|e| {
                grib_err(
                    file,
                    "message structure",
                    format!("corrupt or truncated GRIB2: {e}"),
                )
            })?;
            for ((msg, sub), sm) in grib2.iter() {
                let pd = sm.prod_def();
                let which = match (
                    sm.indicator().discipline,
                    pd.parameter_category(),
                    pd.parameter_number(),
                ) {
                    (0, Some(2), Some(2)) => 0,
                    (0, Some(2), Some(3)) => 1,
                    _ => continue,
                };
                let at_10m = pd
                    .fixed_surfaces()
                    .is_some_and(|(a, _)| a.surface_type == 103 && (a.value() - 10.0).abs() < 1e-6);
                if !at_10m {
                    continue;
                }
                if matches!(ensemble_of(pd), Ok(Some((_, n))) if n > 0) {
                    continue;
                }
                let field = format!(
                    "{} 10 m above ground (message {}, field {sub})",
                    ["u", "v"][which],
                    msg + 1
                );
                let rt = sm.identification().ref_time_unchecked();
                let run = time::unix_from_civil(
                    i64::from(rt.year),
                    u32::from(rt.month),
                    u32::from(rt.day),
                    u32::from(rt.hour),
                    u32::from(rt.minute),
                    u32::from(rt.second),
                );
                let step = pd
                    .forecast_time()
                    .and_then(|ft| unit_seconds(&ft.unit).map(|u| u * i64::from(ft.value)));
                let valid = run.zip(step).map(|(r, s)| r + s).ok_or_else(|| {
                    grib_err(file, &field, "no valid time this reader understands")
                })?;
                let (_, g, values) = decode_terrain(sm, region, (0, 1.0, ""), &field)
                    .map_err(|e| grib_err(file, &field, e))?;
                match &grid {
                    None => grid = Some((g, field.clone())),
                    Some((first, from)) if *first != g => {
                        return Err(grib_err(
                            file,
                            &field,
                            format!(
                                "its grid differs from that of {from}: one wind field holds one grid"
                            ),
                        ));
                    }
                    Some(_) => {}
                }
                let slot = &mut fields.entry(valid).or_default()[which];
                if slot.is_none() {
                    *slot = Some(values);
                }
            }
            Ok(())
        }));
        match read {
            Ok(r) => r?,
            Err(_) => {
                return Err(grib_err(
                    file,
                    "message structure",
                    "the GRIB2 decoder failed on malformed data",
                ));
            }
        }
    }
    let names = files.iter().map(|f| f.1).collect::<Vec<_>>().join(", ");
    let Some((grid, _)) = grid else {
        return Err(grib_err(
            &names,
            "10 m wind",
            "no u or v wind 10 m above ground (UGRD/VGRD at 10 m) in the file",
        ));
    };
    let (mut times, mut u, mut v) = (Vec::new(), Vec::new(), Vec::new());
    for (t, [fu, fv]) in fields {
        let (Some(fu), Some(fv)) = (fu, fv) else {
            return Err(grib_err(
                &names,
                "10 m wind",
                format!("{} has u or v but not both", time::format_rfc3339(t)),
            ));
        };
        times.push(t);
        u.extend(fu);
        v.extend(fv);
    }
    Ok(SurfaceWind {
        grid,
        times_unix_s: times,
        u,
        v,
    })
}

/// Walks messages and sections before the `grib` crate sees them: every length must fit in
/// the file, so a corrupt length can neither make it allocate gigabytes nor overflow
/// (grib 0.20.2 panics with "capacity overflow" on such input; found by fuzzing).
fn check_structure(bytes: &[u8]) -> std::result::Result<(), String> {
    let be = |a: usize, n: usize| -> Option<u64> {
        bytes
            .get(a..a + n)
            .map(|b| b.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x)))
    };
    let mut msg = 0usize;
    let mut count = 0;
    while msg < bytes.len() {
        if bytes.get(msg..msg + 4) != Some(b"GRIB") {
            if count > 0
                && bytes[msg..]
                    .iter()
                    .all(|&b| b == 0 || b == b'\n' || b == b'\r')
            {
                return Ok(()); // trailing padding
            }
            return Err(format!(
                "no GRIB message at byte {msg} (corrupt or truncated)"
            ));
        }
        let total = be(msg + 8, 8).ok_or_else(|| format!("message at byte {msg} is truncated"))?;
        let end = (msg as u64)
            .checked_add(total)
            .filter(|&e| e <= bytes.len() as u64 && total >= 16 + 4);
        let Some(end) = end.map(|e| e as usize) else {
            return Err(format!(
                "message at byte {msg} claims {total} bytes but the file has {} from there (truncated?)",
                bytes.len() - msg
            ));
        };
        if bytes.get(end - 4..end) != Some(b"7777") {
            return Err(format!(
                "message at byte {msg} does not end with 7777 (corrupt or truncated)"
            ));
        }
        let mut pos = msg + 16;
        while pos < end - 4 {
            let len =
                be(pos, 4).ok_or_else(|| format!("section at byte {pos} is truncated"))? as usize;
            if len < 5 || pos + len > end - 4 {
                return Err(format!(
                    "section at byte {pos} has an impossible length {len}"
                ));
            }
            pos += len;
        }
        if pos != end - 4 {
            return Err(format!(
                "sections of the message at byte {msg} do not add up to its length"
            ));
        }
        msg = end;
        count += 1;
    }
    if count == 0 {
        Err("no GRIB message found".into())
    } else {
        Ok(())
    }
}

fn describe_src(s: &SrcGrid) -> String {
    let la2 = s.la1 + s.dlat * (s.nj - 1) as f64;
    let lo2 = s.lo1 + s.dlon * (s.ni - 1) as f64;
    format!(
        "{}x{} points, latitude {} to {}, longitude {} to {}",
        s.nj, s.ni, s.la1, la2, s.lo1, lo2
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded sample with temperature values knocked out on its lowest
    /// temperature level.
    fn sample_with_bad_temperatures(bad: &[(usize, f32)]) -> (Built, f64) {
        let mut a = Assembly::new("sample", Region::KOREA);
        a.add(crate::forecast::EMBEDDED_GRIB2, "sample").unwrap();
        // The sample is the MEPS control, an ensemble member (template 4.1).
        let (&key, field) = a
            .fields
            .iter_mut()
            .chain(a.member_fields.values_mut().flat_map(|f| f.iter_mut()))
            .filter(|(k, _)| k.2 == Var::T)
            .max_by_key(|(k, _)| k.1)
            .expect("the sample has temperatures");
        for &(point, value) in bad {
            field[point] = value;
        }
        (a.finish().unwrap(), hpa(key.1))
    }

    #[test]
    fn missing_temperatures_are_counted_and_located_issue_15() {
        let (clean, level) = sample_with_bad_temperatures(&[]);
        assert!(
            !clean.derived.iter().any(|d| d.note.contains("implausible")),
            "{:?}",
            clean.derived
        );
        let (built, _) = sample_with_bad_temperatures(&[(3, f32::NAN), (7, 40.0), (8, 900.0)]);
        let notes: Vec<&Derivation> = built
            .derived
            .iter()
            .filter(|d| d.note.contains("missing or implausible"))
            .collect();
        assert_eq!(notes.len(), 1, "{:?}", built.derived);
        assert_eq!(notes[0].level_hpa, Some(level));
        assert!(notes[0].note.contains("at 3 of "), "{}", notes[0].note);
        assert!(notes[0].note.contains("step +0 h"), "{}", notes[0].note);
        assert!(
            notes[0].note.contains("standard atmosphere"),
            "{}",
            notes[0].note
        );
        // The damaged values never reach the cube as temperatures; their neighbours do.
        let cube = &built.cube;
        let il = cube
            .levels_hpa()
            .iter()
            .position(|&p| (p - level).abs() < 1e-9)
            .expect("the level is a wind level");
        let nlon = cube.grid().nlon;
        let t = |point: usize| {
            cube.raw(0, il, point / nlon, point % nlon, 3)
                .expect("in the cube")
        };
        for point in [3usize, 7, 8] {
            assert!(t(point).is_nan(), "point {point}: {}", t(point));
        }
        assert!(plausible_temperature_k(f64::from(t(4))), "{}", t(4));
    }

    #[test]
    fn the_10_m_wind_of_the_gfs_sample_is_read_and_other_files_refused() {
        let bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/wind/ncep_gfs_2p5deg_20111008T00Z_f072.grib2"
        ))
        .unwrap();
        let w = surface_wind_10m(&[(&bytes, "gfs.grib2")], &Region::KOREA).unwrap();
        // One field, +72 h from 2011-10-08T00Z, on the 2.5° grid cropped to 32-45N 120-135E.
        assert_eq!(w.times_unix_s, vec![1_318_032_000 + 72 * 3600]);
        assert_eq!((w.grid.dlat, w.grid.dlon), (2.5, 2.5));
        assert!(
            w.grid.lat0 <= 32.0 && w.grid.lat_max() >= 45.0,
            "{:?}",
            w.grid
        );
        let n = w.grid.nlat * w.grid.nlon;
        assert_eq!((w.u.len(), w.v.len()), (n, n));
        assert!(
            w.u.iter()
                .chain(&w.v)
                .all(|x| x.is_finite() && x.abs() < 60.0)
        );
        assert!(w.u.iter().any(|x| x.abs() > 0.5), "a real wind, not zeros");
        let err = surface_wind_10m(&[(b"GRIB\0\0\0\x01 not grib2", "old.grb")], &Region::KOREA)
            .unwrap_err()
            .to_string();
        assert!(err.contains("old.grb") && err.contains("GRIB2"), "{err}");
        // The embedded sample has isobaric winds only.
        let err = surface_wind_10m(
            &[(crate::forecast::EMBEDDED_GRIB2, "sample")],
            &Region::KOREA,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("10 m"), "{err}");
    }

    #[test]
    fn crop_handles_both_longitude_conventions_and_scan_orders() {
        // Global 2.5 degree grid, 0..357.5E, north to south.
        let g = SrcGrid {
            ni: 144,
            nj: 73,
            la1: 90.0,
            lo1: 0.0,
            dlat: -2.5,
            dlon: 2.5,
        };
        let c = crop(g, &Region::KOREA).expect("covered");
        assert_eq!(
            (c.grid.lat0, c.grid.nlat, c.grid.lon0, c.grid.nlon),
            (30.0, 7, 120.0, 7)
        );
        // Row 0 of the output is the southernmost: 30N = source row (90-30)/2.5 = 24.
        assert_eq!(c.rows[0], 24);
        assert_eq!(c.cols[0], 48);
        // The same grid in -180..180, south to north.
        let g2 = SrcGrid {
            ni: 144,
            nj: 73,
            la1: -90.0,
            lo1: -180.0,
            dlat: 2.5,
            dlon: 2.5,
        };
        let c2 = crop(g2, &Region::KOREA).expect("covered");
        assert_eq!(c2.grid, c.grid);
        assert_eq!(c2.rows[0], 48);
        assert_eq!(c2.cols[0], 120);
        // A region across 0E on a 0..360 grid wraps.
        let c3 = crop(g, &Region::new(40.0, 50.0, -10.0, 10.0).expect("region")).expect("covered");
        assert_eq!(c3.grid.lon0, -10.0);
        assert_eq!(c3.cols[0], 140);
        assert_eq!(c3.cols[4], 0);
        // A regional grid that misses the box.
        let r = SrcGrid {
            ni: 241,
            nj: 253,
            la1: 47.6,
            lo1: 130.0,
            dlat: -0.1,
            dlon: 0.125,
        };
        assert!(crop(r, &Region::KOREA).is_none());
    }
}
