//! Model terrain: the forecast model's own surface height (GFS `HGT:surface`/`orog`, ECMWF
//! surface geopotential `z` divided by g0) on the forecast's grid, for ground termination
//! where no finer elevation model is given.
//!
//! It is the model's orography: smoothed to the model's resolution (peaks lower, valleys and
//! coasts higher than the real ground) and, in spectral models, rippled over the sea (GFS has
//! values down to about -75 m there). It is kept as decoded; callers that use it as the
//! ground should clamp it at sea level.

use serde::{Deserialize, Serialize};

use crate::cube::Grid;

/// A terrain height grid on the forecast's grid: `values[lat * nlon + lon]`, rows south to
/// north, columns west to east, metres above mean sea level. Every value is finite.
#[derive(Debug, Clone, PartialEq)]
pub struct Terrain {
    grid: Grid,
    values: Vec<f32>,
    /// Whether columns go round the globe, and 1/dlat, 1/dlon (computed once for the lookup:
    /// it runs at every integrator step).
    wraps: bool,
    inv_dlat: f64,
    inv_dlon: f64,
}

/// What a forecast says about its terrain (in `ForecastInfo::terrain`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TerrainInfo {
    /// The field it came from: `orog surface (message 180, field 0)`, `z surface ...`.
    pub field: String,
    /// How it was turned into metres (`as decoded`, `geopotential / 9.80665`).
    pub conversion: String,
    /// Forecast step it was taken from, hours after the run (orography does not change).
    pub step_h: Option<f64>,
    /// Lowest value, metres.
    pub min_m: f64,
    /// Highest value, metres.
    pub max_m: f64,
}

impl Terrain {
    /// A terrain grid from values laid out `[lat][lon]` (south to north, west to east).
    /// Every value must be finite: a missing point would silently be no ground at all.
    pub fn new(grid: Grid, values: Vec<f32>) -> Result<Terrain, String> {
        grid.check()?;
        if values.len() != grid.nlat * grid.nlon {
            return Err(format!(
                "{} terrain values for a grid of {}x{} points",
                values.len(),
                grid.nlat,
                grid.nlon
            ));
        }
        let missing = values.iter().filter(|v| !v.is_finite()).count();
        if missing > 0 {
            return Err(format!(
                "{missing} of {} terrain values are missing (NaN)",
                values.len()
            ));
        }
        if let Some(v) = values.iter().find(|v| !(-1000.0..=9000.0).contains(*v)) {
            return Err(format!(
                "terrain value {v} m is outside -1000..9000 m (wrong units?)"
            ));
        }
        Ok(Terrain {
            wraps: grid.wraps(),
            inv_dlat: 1.0 / grid.dlat,
            inv_dlon: 1.0 / grid.dlon,
            grid,
            values,
        })
    }

    /// The grid.
    pub fn grid(&self) -> Grid {
        self.grid
    }

    /// The values, `[lat][lon]`, metres.
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// Lowest and highest value, metres.
    pub fn range_m(&self) -> (f64, f64) {
        self.values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(f64::from(v)), hi.max(f64::from(v)))
            })
    }

    /// Terrain height at a point, bilinear between the four grid points around it, metres
    /// above mean sea level; `None` outside the grid or for a non-finite coordinate.
    #[inline]
    pub fn terrain_m(&self, lat: f64, lon: f64) -> Option<f64> {
        let g = &self.grid;
        let y = (lat - g.lat0) * self.inv_dlat;
        let ymax = (g.nlat - 1) as f64;
        if !(y >= -1e-9 && y <= ymax + 1e-9) {
            return None;
        }
        let y = y.clamp(0.0, ymax);
        // SAFETY: `y` is finite (NaN failed the check above) and in 0..=ymax, a row count.
        // `as` would add saturation and NaN handling to a lookup made at every step.
        let j = (unsafe { y.to_int_unchecked::<u32>() } as usize).min(g.nlat - 2);
        let fy = y - j as f64;
        let mut x = lon - g.lon0;
        if !(0.0..360.0).contains(&x) {
            if !x.is_finite() {
                return None;
            }
            x = x.rem_euclid(360.0);
        }
        // Finite and in [0, 360 / dlon): a column count.
        let x = x * self.inv_dlon;
        let (i0, i1, fx) = if self.wraps {
            // SAFETY: `x` is finite and in [0, nlon + 1), see above.
            let xi = unsafe { x.to_int_unchecked::<u32>() };
            let i = xi as usize % g.nlon;
            (i, (i + 1) % g.nlon, x - f64::from(xi))
        } else {
            let xmax = (g.nlon - 1) as f64;
            let x = if x <= xmax {
                x
            } else if (x - 360.0 * self.inv_dlon).abs() < 1e-9 {
                // A hair west of lon0 comes back as ~360/dlon: that is column 0.
                0.0
            } else if x <= xmax + 1e-9 {
                xmax
            } else {
                return None;
            };
            // SAFETY: `x` is finite and in [0, xmax], a column count.
            let i = (unsafe { x.to_int_unchecked::<u32>() } as usize).min(g.nlon - 2);
            (i, i + 1, x - i as f64)
        };
        let at = |jj: usize, ii: usize| {
            f64::from(
                self.values
                    .get(jj * g.nlon + ii)
                    .copied()
                    .unwrap_or(f32::NAN),
            )
        };
        let south = at(j, i0) * (1.0 - fx) + at(j, i1) * fx;
        let north = at(j + 1, i0) * (1.0 - fx) + at(j + 1, i1) * fx;
        Some(south * (1.0 - fy) + north * fy)
    }
}

impl TerrainInfo {
    /// A few words for users: `model orography at 0.25°, smoothed (-16..2391 m)`.
    pub fn describe(&self, grid: &Grid) -> String {
        let res = if (grid.dlat - grid.dlon).abs() < 1e-9 {
            format!("{}°", grid.dlat)
        } else {
            format!("{}°x{}°", grid.dlat, grid.dlon)
        };
        format!(
            "model orography at {res}, smoothed ({:.0}..{:.0} m)",
            self.min_m, self.max_m
        )
    }

    /// Where it came from: `orog surface (message 180, field 0) of FILE, metres as decoded`.
    pub fn source_line(&self) -> String {
        format!("{}, {}", self.field, self.conversion)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(nlat: usize, nlon: usize, dlon: f64, lon0: f64) -> Grid {
        Grid {
            lat0: 30.0,
            dlat: 1.0,
            nlat,
            lon0,
            dlon,
            nlon,
        }
    }

    #[test]
    fn bilinear_at_points_and_between() {
        // h = 100 * row + 10 * column: bilinear reproduces a plane exactly.
        let g = grid(3, 4, 1.0, 120.0);
        let v: Vec<f32> = (0..3)
            .flat_map(|j| (0..4).map(move |i| (100 * j + 10 * i) as f32))
            .collect();
        let t = Terrain::new(g, v).expect("terrain");
        assert_eq!(t.terrain_m(30.0, 120.0), Some(0.0));
        assert_eq!(t.terrain_m(32.0, 123.0), Some(230.0));
        let h = t.terrain_m(31.25, 121.5).expect("inside");
        assert!((h - (125.0 + 15.0)).abs() < 1e-9, "{h}");
        assert_eq!(t.terrain_m(29.9, 121.0), None);
        assert_eq!(t.terrain_m(32.1, 121.0), None);
        assert_eq!(t.terrain_m(31.0, 123.5), None);
        assert_eq!(t.terrain_m(31.0, 119.5), None);
        assert_eq!(t.terrain_m(f64::NAN, 121.0), None);
        assert_eq!(t.terrain_m(31.0, f64::NAN), None);
        assert_eq!(t.range_m(), (0.0, 230.0));
    }

    #[test]
    fn a_global_grid_wraps_in_longitude() {
        // 4 columns every 90 degrees from 0E: between 270E (-90) and 360E = column 0.
        let g = grid(2, 4, 90.0, 0.0);
        let v = vec![0.0, 90.0, 180.0, 270.0, 0.0, 90.0, 180.0, 270.0];
        let t = Terrain::new(g, v).expect("terrain");
        let h = t.terrain_m(30.5, -45.0).expect("wraps");
        assert!((h - 135.0).abs() < 1e-9, "{h}");
        let h = t.terrain_m(30.5, 45.0).expect("inside");
        assert!((h - 45.0).abs() < 1e-9, "{h}");
    }

    #[test]
    fn missing_or_absurd_values_are_refused() {
        let g = grid(2, 2, 1.0, 120.0);
        assert!(
            Terrain::new(g, vec![0.0, f32::NAN, 0.0, 0.0])
                .unwrap_err()
                .contains("missing")
        );
        assert!(
            Terrain::new(g, vec![0.0, 98_000.0, 0.0, 0.0])
                .unwrap_err()
                .contains("units")
        );
        assert!(Terrain::new(g, vec![0.0; 3]).is_err());
    }
}
