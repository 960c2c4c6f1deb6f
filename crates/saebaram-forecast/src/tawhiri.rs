//! tawhiri datasets: one raw little-endian `f32` array per GFS run, shape
//! (65, 47, 3, 361, 720) = (hour 0..192 every 3 h, pressure level, {height, u, v},
//! latitude -90..90 every 0.5 degrees, longitude 0..359.5 every 0.5 degrees), in a file
//! named `YYYYMMDDHH`. Memory-mapped and read in place (no copy).

use std::path::Path;

use crate::cube::{Cube, Grid, Layout, Store};
use crate::error::{ForecastError, Result};
use crate::forecast::{Forecast, ForecastInfo, SourceKind};
use crate::time;

/// tawhiri's pressure levels, hPa, bottom up.
pub const LEVELS_HPA: [f64; 47] = [
    1000.0, 975.0, 950.0, 925.0, 900.0, 875.0, 850.0, 825.0, 800.0, 775.0, 750.0, 725.0, 700.0,
    675.0, 650.0, 625.0, 600.0, 575.0, 550.0, 525.0, 500.0, 475.0, 450.0, 425.0, 400.0, 375.0,
    350.0, 325.0, 300.0, 275.0, 250.0, 225.0, 200.0, 175.0, 150.0, 125.0, 100.0, 70.0, 50.0, 30.0,
    20.0, 10.0, 7.0, 5.0, 3.0, 2.0, 1.0,
];

/// The shape of a dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    /// Number of hours (times).
    pub hours: usize,
    /// Hours between times.
    pub step_h: i64,
    /// Pressure levels, hPa, bottom up.
    pub levels_hpa: Vec<f64>,
    /// Latitude rows from -90 (row 0).
    pub nlat: usize,
    /// Longitude columns from 0E.
    pub nlon: usize,
}

impl Shape {
    /// The real tawhiri shape (65, 47, 3, 361, 720).
    pub fn tawhiri() -> Shape {
        Shape {
            hours: 65,
            step_h: 3,
            levels_hpa: LEVELS_HPA.to_vec(),
            nlat: 361,
            nlon: 720,
        }
    }
    /// Number of f32 values.
    pub fn values(&self) -> Option<usize> {
        self.hours
            .checked_mul(self.levels_hpa.len())?
            .checked_mul(3)?
            .checked_mul(self.nlat)?
            .checked_mul(self.nlon)
    }
}

/// Opens a real-size tawhiri dataset (name `YYYYMMDDHH`, exactly 9,528,667,200 bytes).
pub fn open(path: &Path) -> Result<Forecast> {
    open_with_shape(path, &Shape::tawhiri())
}

/// Opens a dataset of the tawhiri layout with another shape (small test files). The grid
/// spans -90..90 and 0..360 whatever the shape: spacing is 180/(nlat-1) and 360/nlon.
pub fn open_with_shape(path: &Path, shape: &Shape) -> Result<Forecast> {
    let err = |detail: String| ForecastError::Tawhiri {
        file: path.display().to_string(),
        detail,
    };
    if cfg!(target_endian = "big") {
        return Err(err(
            "datasets are little-endian; this big-endian machine cannot read them".into(),
        ));
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let run = time::parse_run(name)
        .ok_or_else(|| err(format!("file name {name:?} is not a run time YYYYMMDDHH")))?;
    let n = shape
        .values()
        .ok_or_else(|| err("shape overflows".into()))?;
    let want = n as u64 * 4;
    let file = std::fs::File::open(path)
        .map_err(|e| ForecastError::io(path.display(), "cannot open", e))?;
    let len = file
        .metadata()
        .map_err(|e| ForecastError::io(path.display(), "cannot stat", e))?
        .len();
    if len != want {
        return Err(err(format!(
            "{len} bytes, but shape ({}, {}, 3, {}, {}) of little-endian f32 needs exactly {want} bytes (truncated or not a \
             tawhiri dataset)",
            shape.hours,
            shape.levels_hpa.len(),
            shape.nlat,
            shape.nlon
        )));
    }
    if shape.nlat < 2 || shape.nlon < 2 || shape.hours == 0 || shape.levels_hpa.len() < 2 {
        return Err(err("shape too small".into()));
    }
    // SAFETY: read-only map of a dataset file that tawhiri's downloader replaces by rename
    // only; see the cache module for the same reasoning.
    let map = unsafe { memmap2::Mmap::map(&file) }
        .map_err(|e| ForecastError::io(path.display(), "cannot map", e))?;
    let plane = shape.nlat * shape.nlon;
    let var = plane;
    let lev = 3 * var;
    let t = shape.levels_hpa.len() * lev;
    let layout = Layout {
        t,
        lev,
        lat: shape.nlon,
        lon: 1,
        u: var,
        v: 2 * var,
        gh: 0,
        temp: None,
        len: n,
    };
    let grid = Grid {
        lat0: -90.0,
        dlat: 180.0 / (shape.nlat - 1) as f64,
        nlat: shape.nlat,
        lon0: 0.0,
        dlon: 360.0 / shape.nlon as f64,
        nlon: shape.nlon,
    };
    let times: Vec<i64> = (0..shape.hours as i64)
        .map(|k| run + k * shape.step_h * 3600)
        .collect();
    let mut cube = Cube::assemble(
        times.clone(),
        shape.levels_hpa.clone(),
        grid,
        layout,
        Store::Mapped {
            map: std::sync::Arc::new(map),
            offset: 0,
            len: n,
        },
        f64::NAN,
    );
    // Highest altitude reached everywhere: the lowest top-level height over the first and
    // last hours (scanning every hour would read the whole file).
    let top = shape.levels_hpa.len() - 1;
    let values = cube.values();
    let mut alt_max = f64::INFINITY;
    for h in [0, shape.hours - 1] {
        let base = h * t + top * lev;
        if let Some(p) = values.get(base..base + plane) {
            alt_max = p.iter().fold(alt_max, |m, &x| m.min(f64::from(x)));
        }
    }
    if !alt_max.is_finite() {
        return Err(err(
            "top-level heights are not finite: not a tawhiri dataset".into(),
        ));
    }
    cube.alt_max_m = alt_max;
    let info = ForecastInfo {
        kind: SourceKind::Tawhiri,
        source: "tawhiri dataset (NOAA NCEP GFS 0.5°)".into(),
        credit: "NOAA/NCEP GFS, public domain".into(),
        origin: path.display().to_string(),
        run_unix_s: run,
        valid_unix_s: times,
        levels_hpa: shape.levels_hpa.clone(),
        grid,
        region: None,
        has_temperature: false,
        alt_max_m: alt_max,
        derived: vec![crate::grib2::Derivation {
            level_hpa: None,
            note: "tawhiri datasets hold no temperature: air density from the ISA at every level"
                .into(),
        }],
        inventory: Vec::new(),
        embedded_sample: false,
        terrain: None,
        terrain_notes: Vec::new(),
        members: Vec::new(),
        ensemble_size: None,
        inventory_omitted: 0,
    };
    Ok(Forecast {
        cube,
        more: Vec::new(),
        checks: None,
        info,
        terrain: None,
    })
}
