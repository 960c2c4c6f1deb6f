//! A time series of horizontal vector fields (currents or 10 m wind) on one grid, east/north
//! components in m/s, sampled bilinearly in space and linearly in time.
//!
//! Masked values (land, fill) are NaN. A sample whose four corners are partly masked uses the
//! valid corners with their weights renormalised, the usual treatment of a coast in a gridded
//! current; one with all four masked is [`Sample::Masked`], never a zero velocity.

use crate::projection::Projection;

/// A strictly increasing coordinate axis (data along a decreasing one is flipped on load).
#[derive(Debug, Clone)]
pub struct Axis {
    values: Vec<f64>,
    // Some((first, 1 / mean step)) when every spacing is within 10 % of the mean: the index
    // is guessed from it and corrected by a step or two, so an axis stored as `f32` (whose
    // spacing wobbles in the last digits) is as fast as an exact one.
    uniform: Option<(f64, f64)>,
}

impl Axis {
    /// An axis from strictly increasing finite values (at least two), or `None`.
    pub fn new(values: Vec<f64>) -> Option<Axis> {
        if values.len() < 2
            || values.iter().any(|v| !v.is_finite())
            || values.windows(2).any(|w| w[1] <= w[0])
        {
            return None;
        }
        let step = (values[values.len() - 1] - values[0]) / (values.len() - 1) as f64;
        let uniform = values
            .windows(2)
            .all(|w| ((w[1] - w[0]) - step).abs() <= 0.1 * step)
            .then_some((values[0], 1.0 / step));
        Some(Axis { values, uniform })
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Never true (an axis has at least two points); here for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The values.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The smallest spacing between neighbours.
    pub fn min_step(&self) -> f64 {
        self.values
            .windows(2)
            .map(|w| w[1] - w[0])
            .fold(f64::INFINITY, f64::min)
    }

    /// First and last value.
    pub fn range(&self) -> (f64, f64) {
        (self.values[0], self.values[self.values.len() - 1])
    }

    /// The cell holding `v`: index `i` and fraction `f` in [0, 1] with
    /// `v = values[i] + f·(values[i+1] - values[i])`; `None` outside the axis.
    #[inline]
    pub fn locate(&self, v: f64) -> Option<(usize, f64)> {
        let n = self.values.len();
        let (first, last) = (self.values[0], self.values[n - 1]);
        if !(v >= first && v <= last) {
            return None;
        }
        let i = match self.uniform {
            Some((start, inv_step)) => {
                // values[i] <= v < values[i + 1] (or i = n - 2), as the search below gives.
                // Through i64: f64 to usize is a long instruction sequence without AVX-512.
                let mut i = (((v - start) * inv_step) as i64 as usize).min(n - 2);
                while i > 0 && v < self.values[i] {
                    i -= 1;
                }
                while i < n - 2 && v >= self.values[i + 1] {
                    i += 1;
                }
                i
            }
            None => self
                .values
                .partition_point(|x| *x <= v)
                .saturating_sub(1)
                .min(n - 2),
        };
        let (a, b) = (self.values[i], self.values[i + 1]);
        Some((i, ((v - a) / (b - a)).clamp(0.0, 1.0)))
    }
}

/// How grid x/y relate to longitude/latitude.
#[derive(Debug)]
pub enum Horizontal {
    /// x is longitude, y latitude (degrees); `lon_0_360` when the axis runs 0..360.
    LonLat {
        /// The longitude axis is in 0..360 rather than -180..180.
        lon_0_360: bool,
    },
    /// x/y are projected coordinates.
    Projected(Box<Projection>),
}

/// A horizontal grid: two axes and how they map to the earth.
#[derive(Debug)]
pub struct Grid {
    /// Along the last dimension (longitude or projected x).
    pub x: Axis,
    /// Along the second-to-last dimension (latitude or projected y).
    pub y: Axis,
    /// Their meaning.
    pub horizontal: Horizontal,
}

impl Grid {
    /// Grid coordinates of a longitude/latitude.
    #[inline]
    pub fn to_grid(&self, lon: f64, lat: f64) -> Option<(f64, f64)> {
        match &self.horizontal {
            Horizontal::LonLat { lon_0_360 } => {
                let lon = if *lon_0_360 {
                    lon.rem_euclid(360.0)
                } else {
                    lon
                };
                Some((lon, lat))
            }
            Horizontal::Projected(p) => p.forward(lon, lat),
        }
    }

    /// Longitude/latitude of grid coordinates.
    pub fn to_lonlat(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        match &self.horizontal {
            Horizontal::LonLat { .. } => {
                let lon = if x > 180.0 { x - 360.0 } else { x };
                Some((lon, y))
            }
            Horizontal::Projected(p) => p.inverse(x, y),
        }
    }

    /// The four corners and weights around a longitude/latitude.
    #[inline]
    fn cell(&self, lon: f64, lat: f64) -> Option<(usize, usize, f64, f64)> {
        let (x, y) = self.to_grid(lon, lat)?;
        let (ix, fx) = self.x.locate(x)?;
        let (iy, fy) = self.y.locate(y)?;
        Some((ix, iy, fx, fy))
    }

    /// Speeds up [`Grid::to_grid`] on a projected grid with a lookup table over the grid's
    /// longitude/latitude box ([`Projection::tabulate`]); returns the table's largest error
    /// in grid cells, or `None` when the grid keeps the exact transform.
    pub fn tabulate(&mut self) -> Option<f64> {
        let bounds = self.bounds();
        let cell = self.x.min_step().min(self.y.min_step());
        match &mut self.horizontal {
            Horizontal::LonLat { .. } => None,
            Horizontal::Projected(p) => p.tabulate(
                bounds.lon_min,
                bounds.lon_max,
                bounds.lat_min,
                bounds.lat_max,
                cell,
            ),
        }
    }

    /// Longitude/latitude bounds of the grid (from its edge points), for messages and
    /// coverage checks.
    pub fn bounds(&self) -> Bounds {
        let mut b = Bounds::empty();
        let (nx, ny) = (self.x.len(), self.y.len());
        let mut add = |ix: usize, iy: usize| {
            if let Some((lon, lat)) = self.to_lonlat(self.x.values()[ix], self.y.values()[iy]) {
                b.include(lon, lat);
            }
        };
        for ix in 0..nx {
            add(ix, 0);
            add(ix, ny - 1);
        }
        for iy in 0..ny {
            add(0, iy);
            add(nx - 1, iy);
        }
        b
    }
}

/// A longitude/latitude box.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Bounds {
    /// West edge, degrees.
    pub lon_min: f64,
    /// East edge.
    pub lon_max: f64,
    /// South edge.
    pub lat_min: f64,
    /// North edge.
    pub lat_max: f64,
}

impl Bounds {
    fn empty() -> Bounds {
        Bounds {
            lon_min: f64::INFINITY,
            lon_max: f64::NEG_INFINITY,
            lat_min: f64::INFINITY,
            lat_max: f64::NEG_INFINITY,
        }
    }

    fn include(&mut self, lon: f64, lat: f64) {
        self.lon_min = self.lon_min.min(lon);
        self.lon_max = self.lon_max.max(lon);
        self.lat_min = self.lat_min.min(lat);
        self.lat_max = self.lat_max.max(lat);
    }
}

/// What a lookup found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sample {
    /// East and north components, m/s.
    Value(f64, f64),
    /// Outside the grid.
    OutsideArea,
    /// Before the first or after the last time.
    OutsideTime,
    /// All four corners masked (land in the forcing's own mask).
    Masked,
}

/// A vector field on a grid over time. Invariant: `u` and `v` hold
/// `times.len() × y.len() × x.len()` values, east/north, m/s, NaN where masked.
#[derive(Debug)]
pub struct VectorField {
    grid: Grid,
    times_s: Vec<f64>,
    // The times as an axis when there are two or more (a single time is held steady).
    time_axis: Option<Axis>,
    u: Vec<f32>,
    v: Vec<f32>,
}

impl VectorField {
    /// A field from its parts; `None` if the sizes do not agree or the times do not increase.
    pub fn new(grid: Grid, times_s: Vec<f64>, u: Vec<f32>, v: Vec<f32>) -> Option<VectorField> {
        let n = times_s
            .len()
            .checked_mul(grid.x.len())?
            .checked_mul(grid.y.len())?;
        if times_s.is_empty()
            || u.len() != n
            || v.len() != n
            || times_s.iter().any(|t| !t.is_finite())
            || times_s.windows(2).any(|w| w[1] <= w[0])
        {
            return None;
        }
        Some(VectorField {
            grid,
            time_axis: Axis::new(times_s.clone()),
            times_s,
            u,
            v,
        })
    }

    /// A field that is the same everywhere and always: for tests and for "no wind".
    pub fn uniform(u_m_s: f64, v_m_s: f64) -> VectorField {
        let axis = || Axis::new(vec![-1e9, 1e9]).expect("two increasing values");
        let grid = Grid {
            x: axis(),
            y: axis(),
            horizontal: Horizontal::LonLat { lon_0_360: false },
        };
        VectorField {
            grid,
            time_axis: None,
            times_s: vec![0.0],
            u: vec![u_m_s as f32; 4],
            v: vec![v_m_s as f32; 4],
        }
    }

    /// The grid.
    pub fn grid(&self) -> &Grid {
        &self.grid
    }

    /// The times, UNIX seconds.
    pub fn times_s(&self) -> &[f64] {
        &self.times_s
    }

    /// One time only: held steady at every hour.
    pub fn is_steady(&self) -> bool {
        self.times_s.len() == 1
    }

    /// Eastward and northward values at time index `it`, row `iy`, column `ix`.
    pub fn node(&self, it: usize, iy: usize, ix: usize) -> (f32, f32) {
        let k = (it * self.grid.y.len() + iy) * self.grid.x.len() + ix;
        (self.u[k], self.v[k])
    }

    /// The share of the first time's nodes that are masked.
    pub fn masked_fraction(&self) -> f64 {
        let n = self.grid.x.len() * self.grid.y.len();
        self.u[..n].iter().filter(|x| x.is_nan()).count() as f64 / n as f64
    }

    /// Bilinear in space, linear in time (steady when there is one time).
    #[inline]
    pub fn sample(&self, t_s: f64, lon: f64, lat: f64) -> Sample {
        let (t0, wt) = match &self.time_axis {
            None => (0, 0.0),
            Some(axis) => match axis.locate(t_s) {
                Some(found) => found,
                None => return Sample::OutsideTime,
            },
        };
        let Some((ix, iy, fx, fy)) = self.grid.cell(lon, lat) else {
            return Sample::OutsideArea;
        };
        let a = self.bilinear(t0, ix, iy, fx, fy);
        if wt == 0.0 {
            return a.map_or(Sample::Masked, |(u, v)| Sample::Value(u, v));
        }
        let b = self.bilinear(t0 + 1, ix, iy, fx, fy);
        match (a, b) {
            (Some((ua, va)), Some((ub, vb))) => {
                Sample::Value(ua + (ub - ua) * wt, va + (vb - va) * wt)
            }
            _ => Sample::Masked,
        }
    }

    #[inline]
    fn bilinear(&self, it: usize, ix: usize, iy: usize, fx: f64, fy: f64) -> Option<(f64, f64)> {
        let nx = self.grid.x.len();
        let base = (it * self.grid.y.len() + iy) * nx + ix;
        let corners = [
            (base, (1.0 - fx) * (1.0 - fy)),
            (base + 1, fx * (1.0 - fy)),
            (base + nx, (1.0 - fx) * fy),
            (base + nx + 1, fx * fy),
        ];
        // Most cells have no masked corner: one pass, and NaN (which spreads through the
        // sums) sends the few others to the renormalising pass.
        let (mut su, mut sv) = (0.0, 0.0);
        for (k, w) in corners {
            su += w * f64::from(self.u[k]);
            sv += w * f64::from(self.v[k]);
        }
        if !su.is_nan() && !sv.is_nan() {
            return Some((su, sv));
        }
        let (mut su, mut sv, mut sw) = (0.0, 0.0, 0.0);
        for (k, w) in corners {
            let (u, v) = (self.u[k], self.v[k]);
            if !u.is_nan() && !v.is_nan() {
                su += w * f64::from(u);
                sv += w * f64::from(v);
                sw += w;
            }
        }
        // A point exactly on a masked node's edge has weight only on masked corners.
        (sw > 1e-12).then(|| (su / sw, sv / sw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(u: impl Fn(usize, usize, usize) -> f32) -> VectorField {
        let grid = Grid {
            x: Axis::new(vec![126.0, 126.1, 126.2]).unwrap(),
            y: Axis::new(vec![37.0, 37.1]).unwrap(),
            horizontal: Horizontal::LonLat { lon_0_360: false },
        };
        let mut us = Vec::new();
        for it in 0..2 {
            for iy in 0..2 {
                for ix in 0..3 {
                    us.push(u(it, iy, ix));
                }
            }
        }
        let vs = us.iter().map(|x| -x).collect();
        VectorField::new(grid, vec![0.0, 3600.0], us, vs).unwrap()
    }

    #[test]
    fn at_a_node_gives_the_node() {
        let f = field(|it, iy, ix| (it * 100 + iy * 10 + ix) as f32);
        assert_eq!(f.sample(0.0, 126.1, 37.1), Sample::Value(11.0, -11.0));
        assert_eq!(f.sample(3600.0, 126.2, 37.0), Sample::Value(102.0, -102.0));
    }

    #[test]
    fn bilinear_in_space_linear_in_time() {
        let f = field(|it, iy, ix| (it * 100 + iy * 10 + ix) as f32);
        let Sample::Value(u, _) = f.sample(1800.0, 126.05, 37.05) else {
            panic!()
        };
        assert!((u - (50.0 + 5.0 + 0.5)).abs() < 1e-9, "{u}");
    }

    #[test]
    fn outside_is_said_never_zero() {
        let f = field(|_, _, _| 1.0);
        assert_eq!(f.sample(0.0, 125.9, 37.05), Sample::OutsideArea);
        assert_eq!(f.sample(0.0, 126.1, 37.2), Sample::OutsideArea);
        assert_eq!(f.sample(-1.0, 126.1, 37.05), Sample::OutsideTime);
        assert_eq!(f.sample(3601.0, 126.1, 37.05), Sample::OutsideTime);
    }

    #[test]
    fn masked_corners_renormalise_and_all_masked_is_masked() {
        let f = field(|_, _, ix| if ix == 0 { f32::NAN } else { 2.0 });
        assert_eq!(f.sample(0.0, 126.05, 37.05), Sample::Value(2.0, -2.0));
        assert_eq!(f.sample(0.0, 126.0, 37.05), Sample::Masked);
    }

    #[test]
    fn descending_or_short_axes_are_refused() {
        assert!(Axis::new(vec![1.0]).is_none());
        assert!(Axis::new(vec![2.0, 1.0]).is_none());
        assert!(Axis::new(vec![1.0, f64::NAN]).is_none());
        let irregular = Axis::new(vec![0.0, 1.0, 3.0]).unwrap();
        assert_eq!(irregular.locate(2.0), Some((1, 0.5)));
    }

    #[test]
    fn a_nearly_uniform_axis_finds_the_same_cell_as_a_search() {
        // Coordinates stored as f32 (AROME's x, in metres) are uniform only to a few mm.
        let values: Vec<f64> = (0..200)
            .map(|i| {
                f64::from((-1_000_000.0 + 2500.0 * f64::from(i) + 0.3 * f64::from(i % 3)) as f32)
            })
            .collect();
        let axis = Axis::new(values.clone()).unwrap();
        assert!(axis.uniform.is_some());
        let (first, last) = axis.range();
        for k in 0..=4000 {
            let v = first + (last - first) * f64::from(k) / 4000.0;
            let i = values
                .partition_point(|x| *x <= v)
                .saturating_sub(1)
                .min(values.len() - 2);
            let (j, f) = axis.locate(v).unwrap();
            assert_eq!(j, i, "{v}");
            assert!((values[j] + f * (values[j + 1] - values[j]) - v).abs() < 1e-6);
        }
        for v in values.iter().copied() {
            let (j, f) = axis.locate(v).unwrap();
            assert!(values[j] + f * (values[j + 1] - values[j]) == v);
        }
    }
}
