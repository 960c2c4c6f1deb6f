//! Reading surface currents and 10 m winds from CF-NetCDF files (NetCDF-3 classic and
//! NetCDF-4/HDF5, through the pure-Rust `netcdf-reader`).
//!
//! A velocity variable is `[time, (level,) y, x]`: one time axis first (CF `units since
//! date`), at most one other axis (depth or height: the level nearest the surface for
//! currents, nearest 10 m for winds), then a 1-D y and x coordinate each. The grid is
//! regular longitude/latitude when the coordinates are in degrees, or projected through the
//! variable's `grid_mapping` ([`crate::projection`]). `scale_factor`/`add_offset` are
//! applied, `_FillValue`, `missing_value` and `valid_*` mask values, as do values beyond
//! ±1000 m/s (an undeclared default fill). Grid-relative components (`x_sea_water_velocity`,
//! `x_wind`, or `u`/`v` on a projected grid) are rotated to east/north on load.

use std::path::{Path, PathBuf};

use netcdf_reader::{NcAttrValue, NcFile, NcOpenOptions, NcSliceInfo, NcSliceInfoElem, NcVariable};

use crate::Error;
use crate::field::{Axis, Grid, Horizontal, VectorField};
use crate::projection::{self, Projection};

/// Largest `time × y × x` a velocity variable may declare: 40 million values is 320 MB of
/// east and north `f32`s, far above a cropped CMEMS file for the Han estuary (a few
/// thousand values per hour).
pub const MAX_VALUES: u64 = 40_000_000;

/// Which field a file is read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Surface ocean currents.
    Currents,
    /// Wind 10 m above the surface.
    Wind,
}

/// What the currents file says about Stokes drift (the wave-driven surface transport).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stokes {
    /// The currents already contain it (CMEMS `utotal`/`vtotal`: currents + tides + Stokes).
    InCurrents,
    /// The file has separate Stokes variables (`vsdx`/`vsdy`), added to the currents.
    Added,
    /// Neither: the drift has no Stokes term (windage then stands in for it).
    Absent,
}

/// A velocity field read from a file, with what was read.
#[derive(Debug)]
pub struct Loaded {
    /// The field, east/north m/s.
    pub field: VectorField,
    /// What was read.
    pub info: FieldInfo,
}

/// A description of a loaded field for reports.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FieldInfo {
    /// The file.
    pub path: PathBuf,
    /// Eastward (or grid-x) variable.
    pub u_variable: String,
    /// Northward (or grid-y) variable.
    pub v_variable: String,
    /// `longitude/latitude` or the PROJ.4 string of the projection.
    pub grid: String,
    /// Vectors were grid-relative and rotated to east/north.
    pub rotated: bool,
    /// Grid size.
    pub nx: usize,
    /// Grid size.
    pub ny: usize,
    /// Times (UNIX seconds): first.
    pub first_time_s: f64,
    /// Last.
    pub last_time_s: f64,
    /// Number of times.
    pub n_times: usize,
    /// The level read, if the variable has one (its coordinate value).
    pub level: Option<f64>,
    /// Share of masked nodes at the first time.
    pub masked_fraction: f64,
    /// Longitude/latitude box of the grid.
    pub bounds: crate::field::Bounds,
}

// (u name, v name, rotate-if-projected?) in priority order. Grid-relative standard names
// are always rotated on projected grids; the eastward ones never are.
const CURRENT_NAMES: &[(&str, &str)] = &[
    ("utotal", "vtotal"),
    ("uo", "vo"),
    ("u_eastward", "v_northward"),
    ("water_u", "water_v"),
    ("u", "v"),
    ("U", "V"),
];
const CURRENT_STANDARD: &[(&str, &str, bool)] = &[
    (
        "eastward_sea_water_velocity",
        "northward_sea_water_velocity",
        false,
    ),
    (
        "surface_eastward_sea_water_velocity",
        "surface_northward_sea_water_velocity",
        false,
    ),
    ("x_sea_water_velocity", "y_sea_water_velocity", true),
    ("sea_water_x_velocity", "sea_water_y_velocity", true),
];
const WIND_NAMES: &[(&str, &str)] = &[
    ("x_wind_10m", "y_wind_10m"),
    ("u10", "v10"),
    ("U10", "V10"),
    ("u10m", "v10m"),
    ("Uwind", "Vwind"),
    ("eastward_wind", "northward_wind"),
];
const WIND_STANDARD: &[(&str, &str, bool)] = &[
    ("eastward_wind", "northward_wind", false),
    ("x_wind", "y_wind", true),
];
const STOKES_NAMES: &[(&str, &str)] = &[("vsdx", "vsdy"), ("VSDX", "VSDY")];
const STOKES_STANDARD: &[(&str, &str, bool)] = &[(
    "sea_surface_wave_stokes_drift_eastward_velocity",
    "sea_surface_wave_stokes_drift_northward_velocity",
    false,
)];

/// Opens a NetCDF file with the reader's size limits.
fn open(path: &Path) -> Result<NcFile, Error> {
    let options = NcOpenOptions {
        max_read_bytes: 1 << 30,
        ..NcOpenOptions::default()
    };
    NcFile::open_with_options(path, options).map_err(|source| Error::Open {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads the currents of a file, and its Stokes drift when it has one separately.
pub fn read_currents(path: &Path) -> Result<(Loaded, Stokes, Option<Loaded>), Error> {
    let file = open(path)?;
    let (u, v, grid_relative) = find_pair(
        &file,
        CURRENT_NAMES,
        CURRENT_STANDARD,
    )
    .ok_or_else(|| Error::NoVelocity {
        path: path.to_path_buf(),
        what: "surface currents",
        looked_for: "utotal/vtotal, uo/vo, u/v, water_u/water_v or standard names eastward_sea_water_velocity, x_sea_water_velocity",
        found: variable_list(&file),
    })?;
    let currents = read_pair(&file, path, &u, &v, grid_relative, 0.0)?;
    if u == "utotal" {
        return Ok((currents, Stokes::InCurrents, None));
    }
    match find_pair(&file, STOKES_NAMES, STOKES_STANDARD) {
        Some((su, sv, rel)) => {
            let stokes = read_pair(&file, path, &su, &sv, rel, 0.0)?;
            Ok((currents, Stokes::Added, Some(stokes)))
        }
        None => Ok((currents, Stokes::Absent, None)),
    }
}

/// Reads the 10 m wind of a file.
pub fn read_wind(path: &Path) -> Result<Loaded, Error> {
    let file = open(path)?;
    let (u, v, grid_relative) = find_pair(&file, WIND_NAMES, WIND_STANDARD).ok_or_else(|| Error::NoVelocity {
        path: path.to_path_buf(),
        what: "10 m wind",
        looked_for: "x_wind_10m/y_wind_10m, u10/v10, Uwind/Vwind or standard names eastward_wind, x_wind",
        found: variable_list(&file),
    })?;
    read_pair(&file, path, &u, &v, grid_relative, 10.0)
}

/// Reads a named pair (for files whose names this reader does not guess).
pub fn read_named(
    path: &Path,
    kind: Kind,
    u: &str,
    v: &str,
    grid_relative: bool,
) -> Result<Loaded, Error> {
    let file = open(path)?;
    let level = if kind == Kind::Wind { 10.0 } else { 0.0 };
    read_pair(&file, path, u, v, grid_relative, level)
}

fn variable_list(file: &NcFile) -> String {
    match file.variables() {
        Ok(vars) if !vars.is_empty() => vars
            .iter()
            .map(|v| v.name().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        _ => "no variables".to_string(),
    }
}

fn text_attr(var: &NcVariable, name: &str) -> Option<String> {
    var.attribute(name)
        .and_then(|a| a.value.as_string())
        .map(|s| s.trim_end_matches('\0').trim().to_string())
}

fn number_attr(var: &NcVariable, name: &str) -> Option<Vec<f64>> {
    let a = var.attribute(name)?;
    match &a.value {
        NcAttrValue::Chars(s) => s.trim().parse::<f64>().ok().map(|x| vec![x]),
        other => other.as_f64_vec(),
    }
}

/// The first pair present: by name first, then by standard name. The flag says whether the
/// components are grid-relative.
fn find_pair(
    file: &NcFile,
    names: &[(&str, &str)],
    standard: &[(&str, &str, bool)],
) -> Option<(String, String, bool)> {
    let vars = file.variables().ok()?;
    let has = |n: &str| vars.iter().any(|v| v.name() == n);
    let standard_of = |n: &str| {
        vars.iter()
            .find(|v| v.name() == n)
            .and_then(|v| text_attr(v, "standard_name"))
    };
    for (u, v) in names {
        if has(u) && has(v) {
            // A name's standard name decides whether it is grid-relative; plain `u`/`v`
            // without one are taken as grid-relative (ROMS), which only matters on a
            // projected grid.
            let relative = match standard_of(u) {
                Some(s) => {
                    s.starts_with("x_")
                        || s.contains("_x_")
                        || s == "grid_eastward_sea_water_velocity"
                }
                None => matches!(*u, "u" | "U" | "x_wind_10m"),
            };
            return Some((u.to_string(), v.to_string(), relative));
        }
    }
    for (su, sv, relative) in standard {
        let find = |s: &str| {
            vars.iter()
                .find(|v| text_attr(v, "standard_name").as_deref() == Some(s))
                .map(|v| v.name().to_string())
        };
        if let (Some(u), Some(v)) = (find(su), find(sv)) {
            return Some((u, v, *relative));
        }
    }
    None
}

fn grid_err(path: &Path, variable: &str, problem: impl Into<String>) -> Error {
    Error::Grid {
        path: path.to_path_buf(),
        variable: variable.to_string(),
        problem: problem.into(),
    }
}

fn read_axis<'f>(
    file: &'f NcFile,
    path: &Path,
    name: &str,
) -> Result<(Vec<f64>, Option<&'f NcVariable>), Error> {
    let var = file.variable(name).map_err(|_| {
        grid_err(
            path,
            name,
            format!("dimension `{name}` has no coordinate variable"),
        )
    })?;
    if var.ndim() != 1 {
        return Err(grid_err(
            path,
            name,
            format!("coordinate `{name}` is not one-dimensional"),
        ));
    }
    let n = var.shape()[0];
    if n > 1_000_000 {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            variable: name.to_string(),
            values: n,
            limit: 1_000_000,
        });
    }
    let values = file
        .read_variable_unpacked(name)
        .map_err(|source| Error::ReadVariable {
            path: path.to_path_buf(),
            variable: name.to_string(),
            source,
        })?;
    Ok((values.iter().copied().collect(), Some(var)))
}

fn is_time_coordinate(var: &NcVariable) -> bool {
    text_attr(var, "units").is_some_and(|u| u.contains(" since "))
        || text_attr(var, "standard_name").as_deref() == Some("time")
        || text_attr(var, "axis").as_deref() == Some("T")
}

fn read_pair(
    file: &NcFile,
    path: &Path,
    u: &str,
    v: &str,
    grid_relative: bool,
    level_target: f64,
) -> Result<Loaded, Error> {
    let var_u = file.variable(u).map_err(|source| Error::ReadVariable {
        path: path.to_path_buf(),
        variable: u.into(),
        source,
    })?;
    let var_v = file.variable(v).map_err(|source| Error::ReadVariable {
        path: path.to_path_buf(),
        variable: v.into(),
        source,
    })?;
    let dims: Vec<&str> = var_u.dimensions().iter().map(|d| d.name.as_str()).collect();
    if dims
        != var_v
            .dimensions()
            .iter()
            .map(|d| d.name.as_str())
            .collect::<Vec<_>>()
    {
        return Err(Error::Mismatch {
            path: path.to_path_buf(),
            u: u.into(),
            v: v.into(),
        });
    }
    if !(3..=4).contains(&dims.len()) {
        return Err(grid_err(
            path,
            u,
            format!(
                "has {} dimensions ({}); expected time, [level,] y, x",
                dims.len(),
                dims.join(", ")
            ),
        ));
    }
    let shape = var_u.shape();
    let (nt, ny, nx) = (shape[0], shape[dims.len() - 2], shape[dims.len() - 1]);
    let values = nt.saturating_mul(ny).saturating_mul(nx);
    if values > MAX_VALUES {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            variable: u.into(),
            values,
            limit: MAX_VALUES,
        });
    }
    if nx < 2 || ny < 2 {
        return Err(grid_err(
            path,
            u,
            format!("the grid is {nx} x {ny} points; at least 2 x 2 are needed"),
        ));
    }

    // Time: the first dimension.
    let time_name = dims[0];
    let time_var = file.variable(time_name).map_err(|_| Error::TimeAxis {
        path: path.to_path_buf(),
        variable: u.into(),
        problem: format!("first dimension `{time_name}` has no coordinate variable"),
    })?;
    if !is_time_coordinate(time_var) {
        return Err(Error::TimeAxis {
            path: path.to_path_buf(),
            variable: u.into(),
            problem: format!(
                "first dimension `{time_name}` is not a CF time (no `units = \"... since ...\"`)"
            ),
        });
    }
    let units = text_attr(time_var, "units").unwrap_or_default();
    if let Some(cal) = text_attr(time_var, "calendar")
        && !matches!(
            cal.to_ascii_lowercase().as_str(),
            "standard" | "gregorian" | "proleptic_gregorian"
        )
    {
        return Err(Error::TimeAxis {
            path: path.to_path_buf(),
            variable: time_name.into(),
            problem: format!("calendar `{cal}` is not the standard calendar"),
        });
    }
    let (per_unit, epoch) =
        crate::time::parse_units(&units).map_err(|problem| Error::TimeAxis {
            path: path.to_path_buf(),
            variable: time_name.into(),
            problem,
        })?;
    let (raw_times, _) = read_axis(file, path, time_name)?;
    if raw_times.len() as u64 != nt {
        return Err(Error::TimeAxis {
            path: path.to_path_buf(),
            variable: time_name.into(),
            problem: "length differs from its dimension".into(),
        });
    }
    let times_s: Vec<f64> = raw_times.iter().map(|t| epoch + t * per_unit).collect();
    if times_s.iter().any(|t| !t.is_finite()) || times_s.windows(2).any(|w| w[1] <= w[0]) {
        return Err(Error::TimeAxis {
            path: path.to_path_buf(),
            variable: time_name.into(),
            problem: "times are missing or not strictly increasing".into(),
        });
    }

    // Level: the value nearest the target (0 m for currents, 10 m for winds); index 0 when
    // the level has no coordinate.
    let (level_index, level) = if dims.len() == 4 {
        match file.variable(dims[1]) {
            Ok(_) => {
                let (levels, _) = read_axis(file, path, dims[1])?;
                let best = levels
                    .iter()
                    .enumerate()
                    .filter(|(_, z)| z.is_finite())
                    .min_by(|a, b| {
                        (a.1.abs() - level_target)
                            .abs()
                            .total_cmp(&(b.1.abs() - level_target).abs())
                    })
                    .map(|(i, z)| (i as u64, Some(*z)));
                best.ok_or_else(|| grid_err(path, dims[1], "the level axis has no valid value"))?
            }
            Err(_) => (0, None),
        }
    } else {
        (0, None)
    };

    // Horizontal axes.
    let (y_name, x_name) = (dims[dims.len() - 2], dims[dims.len() - 1]);
    let (x_values, x_var) = read_axis(file, path, x_name)?;
    let (y_values, y_var) = read_axis(file, path, y_name)?;
    let units_of = |v: Option<&NcVariable>| {
        v.and_then(|v| text_attr(v, "units"))
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    let (x_units, y_units) = (units_of(x_var), units_of(y_var));
    let is_degrees = |u: &str| u.starts_with("degree");
    let mapping = text_attr(var_u, "grid_mapping");
    let horizontal = if is_degrees(&x_units) && is_degrees(&y_units) {
        let lon_0_360 = x_values.iter().any(|x| *x > 180.0);
        Horizontal::LonLat { lon_0_360 }
    } else {
        let Some(mapping) = mapping else {
            return Err(grid_err(
                path,
                u,
                format!(
                    "coordinates `{x_name}`/`{y_name}` are not in degrees (units `{x_units}`/`{y_units}`) and the variable has no `grid_mapping`"
                ),
            ));
        };
        let metres_per_unit = match x_units.as_str() {
            "m" | "meter" | "meters" | "metre" | "metres" => 1.0,
            "km" | "kilometer" | "kilometers" | "kilometre" | "kilometres" => 1000.0,
            "100 km" | "100  km" | "100km" => 100_000.0,
            other => {
                return Err(grid_err(
                    path,
                    x_name,
                    format!("projected coordinate units `{other}` are not m or km"),
                ));
            }
        };
        let mapping_var = file.variable(&mapping).map_err(|_| Error::Projection {
            path: path.to_path_buf(),
            variable: mapping.clone(),
            problem: "the grid-mapping variable named by `grid_mapping` is not in the file".into(),
        })?;
        let name = text_attr(mapping_var, "grid_mapping_name").unwrap_or_default();
        let proj4 = ["proj4", "proj4string", "proj4_string", "proj4text"]
            .iter()
            .find_map(|a| text_attr(mapping_var, a));
        let definition = projection::cf_to_proj4(&name, &|a| number_attr(mapping_var, a), proj4)
            .map_err(|problem| Error::Projection {
                path: path.to_path_buf(),
                variable: mapping.clone(),
                problem,
            })?;
        match definition {
            None => Horizontal::LonLat {
                lon_0_360: x_values.iter().any(|x| *x > 180.0),
            },
            Some(def) => Horizontal::Projected(Box::new(
                Projection::from_proj4(&def, metres_per_unit).map_err(|problem| {
                    Error::Projection {
                        path: path.to_path_buf(),
                        variable: mapping.clone(),
                        problem,
                    }
                })?,
            )),
        }
    };
    let flip_x = x_values.len() >= 2 && x_values[1] < x_values[0];
    let flip_y = y_values.len() >= 2 && y_values[1] < y_values[0];
    let sorted = |mut v: Vec<f64>, flip: bool| {
        if flip {
            v.reverse();
        }
        v
    };
    let x_axis = Axis::new(sorted(x_values, flip_x)).ok_or_else(|| {
        grid_err(
            path,
            x_name,
            "the axis is not strictly monotonic and finite",
        )
    })?;
    let y_axis = Axis::new(sorted(y_values, flip_y)).ok_or_else(|| {
        grid_err(
            path,
            y_name,
            "the axis is not strictly monotonic and finite",
        )
    })?;
    if x_axis.len() as u64 != nx || y_axis.len() as u64 != ny {
        return Err(grid_err(
            path,
            u,
            "coordinate lengths differ from the dimensions",
        ));
    }
    let mut grid = Grid {
        x: x_axis,
        y: y_axis,
        horizontal,
    };
    // Every drift stage projects its position: a checked lookup table instead of proj4rs.
    grid.tabulate();
    let rotate = grid_relative && matches!(grid.horizontal, Horizontal::Projected(_));
    let (nx, ny, nt) = (nx as usize, ny as usize, nt as usize);

    // North at every node, once, for the rotation.
    let north: Vec<(f64, f64)> = if rotate {
        let Horizontal::Projected(p) = &grid.horizontal else {
            unreachable!("rotate implies projected")
        };
        let mut north = Vec::with_capacity(nx * ny);
        for iy in 0..ny {
            for ix in 0..nx {
                let n = p
                    .north_in_grid(grid.x.values()[ix], grid.y.values()[iy])
                    .ok_or_else(|| Error::Projection {
                        path: path.to_path_buf(),
                        variable: mapping_name(var_u),
                        problem: "the projection has no inverse at a grid point".into(),
                    })?;
                north.push(n);
            }
        }
        north
    } else {
        Vec::new()
    };

    let mut us = Vec::with_capacity(nt * nx * ny);
    let mut vs = Vec::with_capacity(nt * nx * ny);
    let mut any_valid = false;
    for it in 0..nt as u64 {
        let mut selections = vec![NcSliceInfoElem::Index(it)];
        if dims.len() == 4 {
            selections.push(NcSliceInfoElem::Index(level_index));
        }
        let all = NcSliceInfoElem::Slice {
            start: 0,
            end: u64::MAX,
            step: 1,
        };
        selections.push(all.clone());
        selections.push(all);
        let selection = NcSliceInfo { selections };
        let read = |name: &str| {
            file.read_variable_slice_unpacked_masked(name, &selection)
                .map_err(|source| Error::ReadVariable {
                    path: path.to_path_buf(),
                    variable: name.into(),
                    source,
                })
        };
        let (a, b) = (read(u)?, read(v)?);
        if a.len() != nx * ny || b.len() != nx * ny {
            return Err(grid_err(
                path,
                u,
                "a time step read back with the wrong number of values",
            ));
        }
        let (a, b): (Vec<f64>, Vec<f64>) =
            (a.iter().copied().collect(), b.iter().copied().collect());
        for iy in 0..ny {
            let sy = if flip_y { ny - 1 - iy } else { iy };
            for ix in 0..nx {
                let sx = if flip_x { nx - 1 - ix } else { ix };
                let k = sy * nx + sx;
                let (mut e, mut n) = (a[k], b[k]);
                if !(e.abs() <= 1000.0 && n.abs() <= 1000.0) {
                    (e, n) = (f64::NAN, f64::NAN);
                } else if rotate {
                    // Components point along increasing x and y whatever the order of the
                    // nodes, so a flipped axis moves the node, not the sign.
                    (e, n) = projection::grid_to_east_north(e, n, north[iy * nx + ix]);
                }
                any_valid |= !e.is_nan();
                us.push(e as f32);
                vs.push(n as f32);
            }
        }
    }
    if !any_valid {
        return Err(Error::AllMasked {
            path: path.to_path_buf(),
            variable: u.into(),
        });
    }
    let grid_text = match &grid.horizontal {
        Horizontal::LonLat { .. } => "longitude/latitude".to_string(),
        Horizontal::Projected(p) => p.definition().to_string(),
    };
    let field = VectorField::new(grid, times_s, us, vs)
        .ok_or_else(|| grid_err(path, u, "sizes do not agree"))?;
    let info = FieldInfo {
        path: path.to_path_buf(),
        u_variable: u.into(),
        v_variable: v.into(),
        grid: grid_text,
        rotated: rotate,
        nx,
        ny,
        first_time_s: field.times_s()[0],
        last_time_s: field.times_s()[field.times_s().len() - 1],
        n_times: nt,
        level,
        masked_fraction: field.masked_fraction(),
        bounds: field.grid().bounds(),
    };
    Ok(Loaded { field, info })
}

fn mapping_name(var: &NcVariable) -> String {
    text_attr(var, "grid_mapping").unwrap_or_else(|| "grid_mapping".into())
}
