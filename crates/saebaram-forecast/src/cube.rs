//! The wind cube: time x pressure level x latitude x longitude, holding u, v, geopotential
//! height and (where present) temperature, and the 4-D interpolation over it.
//!
//! Storage is a flat `f32` array addressed by strides, so the same lookup code reads our
//! own layout (owned, or memory-mapped from the cache) and a tawhiri dataset in place.

use serde::{Deserialize, Serialize};
use wide::f32x4;

use crate::isa;
use crate::{Axis, OutOfDomain, Wind};

/// Lowest altitude a lookup accepts, metres (below the Dead Sea shore).
pub const MIN_ALT_M: f64 = -500.0;

/// Altitude step of the vertical search's starting table, metres.
const START_BUCKET_M: f64 = 100.0;
/// Highest altitude the starting table covers, metres (GFS's 0.4 hPa is ~55 km).
const START_TABLE_TOP_M: f64 = 100_000.0;

/// `floor(x)` as an index, for an `x` the caller has range-checked to `0..2^31`: through
/// `i32`, whose conversion is a single instruction where `usize`'s needs a dozen; NaN gives 0
/// and anything beyond saturates, as `as` does.
#[inline(always)]
fn floor_index(x: f64) -> usize {
    (x as i32).max(0) as usize
}

/// `e^x`, by its Taylor series to the x⁷ term where `|x| <= 0.8` (relative error below
/// 1e-5 there, 3e-6 at the 0.69 of a 2:1 pressure ratio), `f64::exp` beyond. The lookup uses
/// it for `(p_hi / p_lo)^f` within one layer, where `|x|` is the log-pressure step times a
/// fraction: about 0.03 between 25 hPa levels near the ground, 0.4 between 50 and 30 hPa. A
/// third of the cost of a libm call, on every lookup.
#[inline(always)]
fn exp_small(x: f64) -> f64 {
    if x.abs() <= 0.8 {
        let t = 1.0 + x * (1.0 / 6.0) * (1.0 + x * (1.0 / 7.0));
        let t = 1.0 + x * (1.0 / 3.0) * (1.0 + x * 0.25 * (1.0 + x * 0.2 * t));
        1.0 + x * (1.0 + x * 0.5 * t)
    } else {
        x.exp()
    }
}

/// A temperature, K, if it is one the forecast could hold (not NaN for "missing", not a
/// damaged value below 100 K).
#[inline(always)]
fn plausible_temperature(t_k: f64) -> Option<f64> {
    Some(t_k).filter(|x| x.is_finite() && *x > 100.0)
}

/// Air density, kg/m³: `p / (R·T)` where there is a temperature (the pressure, hPa, is only
/// computed then), the standard atmosphere's at `alt_m` where there is none.
#[inline(always)]
fn air_density(temp_k: Option<f64>, p_hpa: impl FnOnce() -> f64, alt_m: f64) -> f64 {
    match temp_k {
        Some(tk) => p_hpa() * 100.0 / (isa::R_DRY * tk),
        None => isa::density_kg_m3(alt_m),
    }
}

/// A regular latitude/longitude grid, south to north and west to east.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    /// Latitude of row 0 (the southernmost), degrees.
    pub lat0: f64,
    /// Row spacing, degrees (> 0).
    pub dlat: f64,
    /// Number of rows.
    pub nlat: usize,
    /// Longitude of column 0 (the westernmost), degrees in -180..180.
    pub lon0: f64,
    /// Column spacing, degrees (> 0).
    pub dlon: f64,
    /// Number of columns.
    pub nlon: usize,
}

impl Grid {
    /// Northernmost latitude.
    pub fn lat_max(&self) -> f64 {
        self.lat0 + (self.nlat.saturating_sub(1)) as f64 * self.dlat
    }
    /// Easternmost longitude (not normalised: may exceed 180).
    pub fn lon_max(&self) -> f64 {
        self.lon0 + (self.nlon.saturating_sub(1)) as f64 * self.dlon
    }
    /// True when the columns go all the way round the globe.
    pub fn wraps(&self) -> bool {
        (self.nlon as f64 * self.dlon - 360.0).abs() < 1e-6
    }
    pub(crate) fn check(&self) -> Result<(), String> {
        let ok = self.nlat >= 2
            && self.nlon >= 2
            && self.dlat.is_finite()
            && self.dlon.is_finite()
            && self.dlat > 0.0
            && self.dlon > 0.0
            && self.lat0.is_finite()
            && self.lon0.is_finite()
            && self.lat0 >= -90.0 - 1e-9
            && self.lat_max() <= 90.0 + 1e-9
            && (self.nlon as f64 - 1.0) * self.dlon < 360.0;
        if ok {
            Ok(())
        } else {
            Err(format!("invalid grid {self:?} (need at least 2x2 points)"))
        }
    }
}

impl std::fmt::Display for Grid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}x{} points, {:.4}..{:.4}N every {}, {:.4}..{:.4}E every {}",
            self.nlat,
            self.nlon,
            self.lat0,
            self.lat_max(),
            self.dlat,
            self.lon0,
            self.lon_max(),
            self.dlon
        )
    }
}

/// Where each value lives in the flat array: `offset = t*t + lev*lev + lat*lat + lon*lon +
/// var`, in `f32` elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    pub t: usize,
    pub lev: usize,
    pub lat: usize,
    pub lon: usize,
    pub u: usize,
    pub v: usize,
    pub gh: usize,
    pub temp: Option<usize>,
    pub len: usize,
}

/// Number of variables per point in our own layout: u, v, gh, t.
pub(crate) const NVAR: usize = 4;

impl Layout {
    /// Our layout: `[time][lat][lon][level][u, v, gh, t]`, so one column of one corner is
    /// contiguous (a vertical search touches few cache lines).
    /// `layout` with its variable offsets and level stride replaced by ours: equal to
    /// `layout` exactly when it is our layout.
    fn native_strides(layout: Layout) -> Self {
        Layout {
            lev: NVAR,
            u: 0,
            v: 1,
            gh: 2,
            temp: Some(3),
            ..layout
        }
    }

    pub fn native(nt: usize, nlev: usize, nlat: usize, nlon: usize) -> Option<Self> {
        let lev = NVAR;
        let lon = nlev.checked_mul(NVAR)?;
        let lat = nlon.checked_mul(lon)?;
        let t = nlat.checked_mul(lat)?;
        let len = nt.checked_mul(t)?;
        Some(Layout {
            t,
            lev,
            lat,
            lon,
            u: 0,
            v: 1,
            gh: 2,
            temp: Some(3),
            len,
        })
    }
}

pub(crate) enum Store {
    Owned(Vec<f32>),
    /// A slice of a memory-mapped file; the members of an ensemble cache share one map.
    Mapped {
        map: std::sync::Arc<memmap2::Mmap>,
        offset: usize,
        len: usize,
    },
}

impl Store {
    #[inline]
    fn data(&self) -> &[f32] {
        match self {
            Store::Owned(v) => v,
            Store::Mapped { map, offset, len } => map
                .get(*offset..offset.saturating_add(len.saturating_mul(4)))
                .and_then(|b| bytemuck::try_cast_slice(b).ok())
                .unwrap_or(&[]),
        }
    }
}

/// Interpolated values at one point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sample {
    /// Eastward wind, m/s.
    pub u_m_s: f64,
    /// Northward wind, m/s.
    pub v_m_s: f64,
    /// Geopotential height, metres.
    pub height_m: f64,
    /// Pressure, hPa (log-pressure interpolation between levels).
    pub pressure_hpa: f64,
    /// Temperature, K, when the forecast has it at the bracketing levels.
    pub temperature_k: Option<f64>,
    /// Air density, kg/m³ (from temperature and pressure, ISA where the forecast has no
    /// temperature).
    pub density_kg_m3: f64,
    /// True when the point is below the lowest level and the wind was held from it.
    pub below_lowest_level: bool,
}

/// The cube itself. Built by the GRIB2 reader, mapped from the cache, or wrapped around a
/// tawhiri dataset.
pub struct Cube {
    pub(crate) times: Vec<i64>,
    pub(crate) levels_hpa: Vec<f64>,
    pub(crate) grid: Grid,
    pub(crate) layout: Layout,
    pub(crate) store: Store,
    pub(crate) alt_max_m: f64,
    guide: Guide,
}

/// What the lookup precomputes when a cube is assembled, so that one lookup does no search it
/// can avoid: the time bracket by arithmetic when steps are uniform, the vertical bracket by
/// starting at the layer of a reference column (real heights are within a layer of it) and
/// walking, `ln p` per level for the pressure.
#[derive(Debug, Clone)]
struct Guide {
    /// Where the vertical search starts: for each 100 m of altitude from [`MIN_ALT_M`], the
    /// lower level of the layer the reference column puts it in.
    start_level: Vec<u16>,
    /// `ln` of each level's pressure in hPa.
    ln_p: Vec<f64>,
    /// First valid time, seconds.
    t0: f64,
    /// Last valid time, seconds.
    t1: f64,
    /// `1 / step` between valid times when they are evenly spaced, 1/s.
    inv_dt: Option<f64>,
    /// `1 / dlat` and `1 / dlon` of the grid.
    inv_dlat: f64,
    inv_dlon: f64,
    /// The grid's columns go all the way round.
    wraps: bool,
    /// The store is in our layout (`[time][lat][lon][level][u, v, gh, t]`), so two levels of
    /// one column are eight contiguous values.
    native: bool,
}

/// Typical heights of the levels, metres: the column at the middle of the grid at the first
/// time when its heights are finite and increasing (one read, even of a mapped file), the
/// standard atmosphere's otherwise.
fn reference_heights(levels_hpa: &[f64], grid: &Grid, l: &Layout, data: &[f32]) -> Vec<f64> {
    let base = (grid.nlat / 2) * l.lat + (grid.nlon / 2) * l.lon + l.gh;
    let column: Option<Vec<f64>> = (0..levels_hpa.len())
        .map(|k| data.get(base + k * l.lev).map(|&h| f64::from(h)))
        .collect();
    match column {
        Some(c) if c.iter().all(|h| h.is_finite()) && c.windows(2).all(|w| w[0] < w[1]) => c,
        _ => levels_hpa.iter().map(|&p| isa::altitude_m(p)).collect(),
    }
}

impl Guide {
    fn new(times: &[i64], levels_hpa: &[f64], grid: &Grid, layout: &Layout, data: &[f32]) -> Guide {
        let t0 = times.first().copied().unwrap_or(0) as f64;
        let t1 = times.last().copied().unwrap_or(0) as f64;
        let inv_dt = match times {
            [a, b, ..] => {
                let step = b.checked_sub(*a);
                (step.is_some_and(|s| s > 0)
                    && times.windows(2).all(|w| w[1].checked_sub(w[0]) == step))
                .then(|| 1.0 / step.unwrap_or(1) as f64)
            }
            _ => None,
        };
        Guide {
            start_level: {
                let heights = reference_heights(levels_hpa, grid, layout, data);
                // Capped: a damaged cache (opened without hashing its body) may claim any
                // height; above the cap a lookup starts at the table's last entry and walks.
                let top = heights
                    .last()
                    .copied()
                    .unwrap_or(0.0)
                    .clamp(0.0, START_TABLE_TOP_M);
                let n = ((top - MIN_ALT_M) / START_BUCKET_M) as usize + 2;
                (0..n)
                    .map(|b| {
                        let h = MIN_ALT_M + (b as f64 + 0.5) * START_BUCKET_M;
                        let k = heights.partition_point(|&x| x < h);
                        k.clamp(1, levels_hpa.len().max(2) - 1) as u16 - 1
                    })
                    .collect()
            },
            ln_p: levels_hpa.iter().map(|p| p.ln()).collect(),
            t0,
            t1,
            inv_dt,
            inv_dlat: 1.0 / grid.dlat,
            inv_dlon: 1.0 / grid.dlon,
            wraps: grid.wraps(),
            native: *layout == Layout::native_strides(*layout),
        }
    }
}

/// The (up to) eight grid columns around a point and their weights.
struct Corners {
    off: [usize; 8],
    /// Weights of the four columns at the earlier time, then at the later one.
    w: [f32x4; 2],
    /// The largest of `off`.
    max_off: usize,
}

/// Two adjacent levels `k`, `k + 1` of the interpolated column: `[u, v, gh, t]` of each.
type Pair = [f32; 8];

/// A point found in the cube: the interpolated layer around it and where in it.
struct Located {
    pr: Pair,
    /// Lower level of the layer.
    k: usize,
    /// Fraction of the way up the layer (0 below the lowest level).
    f: f64,
    /// Below the lowest level (its values held).
    below: bool,
    /// The error to return if the values turn out not to be finite.
    ood: OutOfDomain,
}

impl Located {
    /// Variable `i` interpolated in height.
    #[inline(always)]
    fn mix(&self, i: usize) -> f64 {
        let (a, b) = (f64::from(self.pr[i]), f64::from(self.pr[NVAR + i]));
        a + (b - a) * self.f
    }

    #[inline(always)]
    fn uv(&self) -> (f64, f64) {
        (self.mix(0), self.mix(1))
    }
}

impl Cube {
    /// A cube in our layout from its values (`[time][lat][lon][level][u, v, gh, t]`, NaN for
    /// a missing temperature). Checks sizes, finiteness of u/v/gh and that heights increase
    /// with level index at every point.
    pub(crate) fn from_native(
        times: Vec<i64>,
        levels_hpa: Vec<f64>,
        grid: Grid,
        values: Vec<f32>,
    ) -> Result<Self, String> {
        grid.check()?;
        if times.is_empty() || levels_hpa.len() < 2 {
            return Err(format!(
                "need at least one time and two levels with winds, got {} time(s) and {} level(s)",
                times.len(),
                levels_hpa.len()
            ));
        }
        if times.windows(2).any(|w| w[0] >= w[1]) {
            return Err("valid times are not strictly increasing".into());
        }
        if levels_hpa.windows(2).any(|w| w[0] <= w[1]) || levels_hpa.iter().any(|p| !(*p > 0.0)) {
            return Err("pressure levels are not strictly decreasing and positive".into());
        }
        let layout = Layout::native(times.len(), levels_hpa.len(), grid.nlat, grid.nlon)
            .ok_or("cube too large")?;
        if values.len() != layout.len {
            return Err(format!(
                "{} values for a cube of {}",
                values.len(),
                layout.len
            ));
        }
        let nl = levels_hpa.len();
        let mut alt_max = f64::INFINITY;
        for column in values.chunks_exact(nl * NVAR) {
            let mut prev = f64::NEG_INFINITY;
            for lev in column.chunks_exact(NVAR) {
                if !(lev[0].is_finite() && lev[1].is_finite() && lev[2].is_finite()) {
                    return Err("u, v or height missing (NaN) at a point of the region".into());
                }
                let h = f64::from(lev[2]);
                if h <= prev {
                    return Err(format!(
                        "geopotential height does not increase with level ({prev:.1} m then {h:.1} m)"
                    ));
                }
                prev = h;
            }
            alt_max = alt_max.min(prev);
        }
        Ok(Cube::assemble(
            times,
            levels_hpa,
            grid,
            layout,
            Store::Owned(values),
            alt_max,
        ))
    }

    /// A cube from checked parts (the caller has validated axes, layout and store size).
    pub(crate) fn assemble(
        times: Vec<i64>,
        levels_hpa: Vec<f64>,
        grid: Grid,
        layout: Layout,
        store: Store,
        alt_max_m: f64,
    ) -> Cube {
        let guide = Guide::new(&times, &levels_hpa, &grid, &layout, store.data());
        Cube {
            times,
            levels_hpa,
            grid,
            layout,
            store,
            alt_max_m,
            guide,
        }
    }

    /// Valid times, seconds since the epoch.
    pub fn times(&self) -> &[i64] {
        &self.times
    }
    /// Pressure levels, hPa, from the bottom (highest pressure) up.
    pub fn levels_hpa(&self) -> &[f64] {
        &self.levels_hpa
    }
    /// The horizontal grid.
    pub fn grid(&self) -> Grid {
        self.grid
    }
    /// Highest altitude every point of the grid reaches at every time, metres.
    pub fn alt_max_m(&self) -> f64 {
        self.alt_max_m
    }
    /// True if the cube holds a temperature field.
    pub fn has_temperature(&self) -> bool {
        self.layout.temp.is_some()
    }
    pub(crate) fn values(&self) -> &[f32] {
        self.store.data()
    }

    /// What the cube covers (a single-time cube is steady: valid at any time).
    pub fn coverage(&self) -> crate::Coverage {
        let g = self.grid;
        let (t0, t1) = (
            self.times.first().copied().unwrap_or(0) as f64,
            self.times.last().copied().unwrap_or(0) as f64,
        );
        let norm = |x: f64| (x + 180.0).rem_euclid(360.0) - 180.0;
        let (lon_min, lon_max) = if g.wraps() {
            (-180.0, 180.0)
        } else {
            (norm(g.lon0), norm(g.lon_max()))
        };
        crate::Coverage {
            time_start_unix_s: t0,
            time_end_unix_s: t1,
            steady: self.times.len() == 1,
            lat_min: g.lat0,
            lat_max: g.lat_max(),
            lon_min,
            lon_max,
            alt_max_m: self.alt_max_m,
        }
    }

    /// One raw value: (time index, level index, lat index, lon index) of variable 0=u,
    /// 1=v, 2=gh, 3=t. `None` outside the cube or for a variable it lacks.
    pub fn raw(&self, it: usize, il: usize, ij: usize, ii: usize, var: usize) -> Option<f32> {
        if it >= self.times.len()
            || il >= self.levels_hpa.len()
            || ij >= self.grid.nlat
            || ii >= self.grid.nlon
        {
            return None;
        }
        let l = &self.layout;
        let v = match var {
            0 => l.u,
            1 => l.v,
            2 => l.gh,
            3 => l.temp?,
            _ => return None,
        };
        self.values()
            .get(it * l.t + il * l.lev + ij * l.lat + ii * l.lon + v)
            .copied()
    }

    #[inline(always)]
    fn corners(&self, t: f64, lat: f64, lon: f64, alt: f64) -> Result<Corners, OutOfDomain> {
        let ood = |axis| OutOfDomain {
            axis,
            t_unix_s: t,
            lat,
            lon,
            alt_m: alt,
        };
        let g = &self.grid;
        let l = &self.layout;
        let gd = &self.guide;
        // Time.
        let nt = self.times.len();
        let (it, ft) = if nt == 1 {
            (0, 0.0)
        } else {
            if !(t >= gd.t0 && t <= gd.t1) {
                return Err(ood(Axis::Time));
            }
            match gd.inv_dt {
                // Evenly spaced: the bracket is arithmetic (`min` keeps the last time inside
                // the last interval).
                Some(inv_dt) => {
                    let x = (t - gd.t0) * inv_dt;
                    let k = floor_index(x).min(nt - 2);
                    (k, (x - k as f64).clamp(0.0, 1.0))
                }
                None => {
                    let k = self
                        .times
                        .partition_point(|&x| (x as f64) <= t)
                        .clamp(1, nt - 1)
                        - 1;
                    let t0 = self.times[k] as f64;
                    let t1 = self.times[k + 1] as f64;
                    (k, ((t - t0) / (t1 - t0)).clamp(0.0, 1.0))
                }
            }
        };
        // Latitude.
        let y = (lat - g.lat0) * gd.inv_dlat;
        let ymax = (g.nlat - 1) as f64;
        if !(y >= -1e-9 && y <= ymax + 1e-9) {
            return Err(ood(Axis::Latitude));
        }
        let y = y.clamp(0.0, ymax);
        let j = floor_index(y).min(g.nlat - 2);
        let fy = y - j as f64;
        // Longitude: degrees east of the first column, in 0..360 (one add or subtract for
        // any longitude in -360..720; the remainder only beyond).
        if !lon.is_finite() {
            return Err(ood(Axis::Longitude));
        }
        let mut dx = lon - g.lon0;
        if dx < 0.0 {
            dx += 360.0;
        } else if dx >= 360.0 {
            dx -= 360.0;
        }
        if !(0.0..360.0).contains(&dx) {
            dx = dx.rem_euclid(360.0);
        }
        let x = dx * gd.inv_dlon;
        let (i0, i1, fx) = if gd.wraps {
            // x is in 0..nlon (dx < 360), so no division: the last column's neighbour is the
            // first, and a rounding up to nlon itself is column 0.
            let i = floor_index(x);
            let fx = x - i as f64;
            let i = if i >= g.nlon { i - g.nlon } else { i };
            (i, if i + 1 == g.nlon { 0 } else { i + 1 }, fx)
        } else {
            let xmax = (g.nlon - 1) as f64;
            // Points a hair west of lon0 come back as ~360/dlon: treat as 0.
            let x = if x > xmax && (x - 360.0 / g.dlon).abs() < 1e-9 {
                0.0
            } else {
                x
            };
            if !(x <= xmax + 1e-9) {
                return Err(ood(Axis::Longitude));
            }
            let x = x.min(xmax);
            let i = floor_index(x).min(g.nlon - 2);
            (i, i + 1, x - i as f64)
        };
        // The four columns around the point at the earlier time, then the same four at the
        // later one. A single-time cube reads its one time twice with zero weight on the
        // second: a fixed count of eight keeps `pair` branch-free and vectorised.
        let b = it * l.t + j * l.lat;
        let s = [
            b + i0 * l.lon,
            b + i1 * l.lon,
            b + l.lat + i0 * l.lon,
            b + l.lat + i1 * l.lon,
        ];
        let (fx, fy, ft) = (fx as f32, fy as f32, ft as f32);
        let sw =
            f32x4::new([1.0 - fy, 1.0 - fy, fy, fy]) * f32x4::new([1.0 - fx, fx, 1.0 - fx, fx]);
        let (tn, wt0, wt1) = if nt == 1 {
            (0, 1.0, 0.0)
        } else {
            (l.t, 1.0 - ft, ft)
        };
        let c = Corners {
            off: [
                s[0],
                s[1],
                s[2],
                s[3],
                s[0] + tn,
                s[1] + tn,
                s[2] + tn,
                s[3] + tn,
            ],
            max_off: s[0].max(s[1]).max(s[2]).max(s[3]) + tn,
            w: [sw * f32x4::splat(wt0), sw * f32x4::splat(wt1)],
        };
        Ok(c)
    }

    /// Levels `k` and `k + 1` of the interpolated column, every variable (NaN for a missing
    /// one). In our layout these are eight contiguous values per corner: one bounds check and
    /// eight multiply-adds, which the compiler vectorises.
    #[inline(always)]
    fn pair<const NATIVE: bool>(&self, d: &[f32], c: &Corners, k: usize) -> Pair {
        let mut acc = [0.0f32; 8];
        if NATIVE {
            let base = k * NVAR;
            // Two 4-lane sums (level k, level k + 1): one SSE multiply and add each.
            // One bounds check for all eight columns instead of one each.
            if c.max_off + base + 2 * NVAR > d.len() {
                return [f32::NAN; 8];
            }
            let term = |i: usize| {
                let o = c.off[i] + base;
                // SAFETY: `o + 8 <= max_off + base + 8 <= d.len()`, checked just above, so the
                // eight values read are inside `d`; `read_unaligned` needs no alignment.
                let (a, b) = unsafe {
                    let p = d.as_ptr().add(o).cast::<f32x4>();
                    (p.read_unaligned(), p.add(1).read_unaligned())
                };
                let w = f32x4::splat(c.w[i / 4].as_array()[i % 4]);
                (a * w, b * w)
            };
            // Summed as a tree, not a chain: three additions deep instead of eight.
            let add = |x: (f32x4, f32x4), y: (f32x4, f32x4)| (x.0 + y.0, x.1 + y.1);
            let (lo, hi) = add(
                add(add(term(0), term(1)), add(term(2), term(3))),
                add(add(term(4), term(5)), add(term(6), term(7))),
            );
            acc[..NVAR].copy_from_slice(&lo.to_array());
            acc[NVAR..].copy_from_slice(&hi.to_array());
        } else {
            // Another layout (a tawhiri dataset: one plane per variable): eight scattered
            // values per variable and level, again with one bounds check for all of them.
            let l = &self.layout;
            let var_max = l.u.max(l.v).max(l.gh).max(l.temp.unwrap_or(0));
            if c.max_off + (k + 1) * l.lev + var_max >= d.len() {
                return [f32::NAN; 8];
            }
            for (h, lev) in [(0, k), (NVAR, k + 1)] {
                let base = lev * l.lev;
                let (mut u, mut v, mut g, mut tk) = (0.0f32, 0.0f32, 0.0f32, 0.0f32);
                for i in 0..8 {
                    let o = c.off[i] + base;
                    let w = c.w[i / 4].as_array()[i % 4];
                    // SAFETY: `o + var <= max_off + (k + 1) * lev + var_max < d.len()` for every
                    // variable offset `var`, checked above.
                    unsafe {
                        u += w * *d.get_unchecked(o + l.u);
                        v += w * *d.get_unchecked(o + l.v);
                        g += w * *d.get_unchecked(o + l.gh);
                        if let Some(tv) = l.temp {
                            tk += w * *d.get_unchecked(o + tv);
                        }
                    }
                }
                acc[h] = u;
                acc[h + 1] = v;
                acc[h + 2] = g;
                acc[h + 3] = if l.temp.is_some() { tk } else { f32::NAN };
            }
        }
        acc
    }

    /// The column around a point and the layer holding its altitude: everything a lookup
    /// shares before it decides what to compute.
    #[inline(always)]
    fn locate(&self, t: f64, lat: f64, lon: f64, alt: f64) -> Result<Located, OutOfDomain> {
        // One copy of the search per layout, each with its own column reader inlined.
        if self.guide.native {
            self.locate_in::<true>(t, lat, lon, alt)
        } else {
            self.locate_in::<false>(t, lat, lon, alt)
        }
    }

    #[inline(always)]
    fn locate_in<const NATIVE: bool>(
        &self,
        t: f64,
        lat: f64,
        lon: f64,
        alt: f64,
    ) -> Result<Located, OutOfDomain> {
        let c = self.corners(t, lat, lon, alt)?;
        let d = self.values();
        let nl = self.levels_hpa.len();
        let ood = OutOfDomain {
            axis: Axis::Altitude,
            t_unix_s: t,
            lat,
            lon,
            alt_m: alt,
        };
        if !(alt >= MIN_ALT_M) {
            return Err(ood);
        }
        // The layer [k, k+1] with h(k) < alt <= h(k+1): start where the reference column
        // puts it, walk down then up. Each direction only moves one way, so this ends after
        // at most `nl` steps even on a damaged cube whose heights do not increase.
        let starts = &self.guide.start_level;
        let bucket = floor_index((alt - MIN_ALT_M) / START_BUCKET_M).min(starts.len() - 1);
        let mut k = usize::from(starts[bucket]).min(nl - 2);
        let mut pr = self.pair::<NATIVE>(d, &c, k);
        while k > 0 && alt <= f64::from(pr[2]) {
            k -= 1;
            pr = self.pair::<NATIVE>(d, &c, k);
        }
        while k < nl - 2 && alt > f64::from(pr[NVAR + 2]) {
            k += 1;
            pr = self.pair::<NATIVE>(d, &c, k);
        }
        let (hlo, hhi) = (f64::from(pr[2]), f64::from(pr[NVAR + 2]));
        if !(alt <= hhi) {
            // Above the top level (or a NaN height).
            return Err(ood);
        }
        let below = k == 0 && alt <= hlo;
        let f = if below {
            0.0
        } else if hhi > hlo {
            (alt - hlo) / (hhi - hlo)
        } else {
            0.0
        };
        Ok(Located {
            pr,
            k,
            f,
            below,
            ood,
        })
    }

    /// Interpolated values at a point: linear in time, latitude and longitude; linear in
    /// geopotential height between levels; the lowest level's wind held below it.
    pub fn sample_alt(&self, t: f64, lat: f64, lon: f64, alt: f64) -> Result<Sample, OutOfDomain> {
        let at = self.locate(t, lat, lon, alt)?;
        if at.below {
            return Ok(self.below_lowest(&at.pr, alt));
        }
        let (u, v) = at.uv();
        let p = self.pressure_hpa(&at);
        let temp = plausible_temperature(at.mix(3));
        let rho = air_density(temp, || p, alt);
        // One test for all three: a NaN or infinity in any makes the sum non-finite.
        if !(u + v + rho).is_finite() {
            return Err(at.ood);
        }
        Ok(Sample {
            u_m_s: u,
            v_m_s: v,
            height_m: alt,
            pressure_hpa: p,
            temperature_k: temp,
            density_kg_m3: rho,
            below_lowest_level: false,
        })
    }

    /// The wind and air density at a point: [`Cube::sample_alt`] without the fields a flight
    /// does not need.
    #[inline]
    pub fn wind_at(&self, t: f64, lat: f64, lon: f64, alt: f64) -> Result<Wind, OutOfDomain> {
        let at = self.locate(t, lat, lon, alt)?;
        if at.below {
            let s = self.below_lowest(&at.pr, alt);
            return Ok(Wind {
                u_m_s: s.u_m_s,
                v_m_s: s.v_m_s,
                density_kg_m3: s.density_kg_m3,
            });
        }
        let (u, v) = at.uv();
        let rho = air_density(
            plausible_temperature(at.mix(3)),
            || self.pressure_hpa(&at),
            alt,
        );
        if !(u + v + rho).is_finite() {
            return Err(at.ood);
        }
        Ok(Wind {
            u_m_s: u,
            v_m_s: v,
            density_kg_m3: rho,
        })
    }

    /// The wind alone at a point, (u, v) in m/s: the lookup of [`Cube::wind_at`] without
    /// the pressure and density, for callers whose vertical motion does not depend on the air.
    #[inline]
    pub fn wind_uv_at(
        &self,
        t: f64,
        lat: f64,
        lon: f64,
        alt: f64,
    ) -> Result<(f64, f64), OutOfDomain> {
        let at = self.locate(t, lat, lon, alt)?;
        let (u, v) = at.uv();
        if !(u + v).is_finite() {
            return Err(at.ood);
        }
        Ok((u, v))
    }

    /// Pressure within the located layer, hPa: `ln p` linear in height.
    #[inline(always)]
    fn pressure_hpa(&self, at: &Located) -> f64 {
        let (lp0, lp1) = (self.guide.ln_p[at.k], self.guide.ln_p[at.k + 1]);
        self.levels_hpa[at.k] * exp_small((lp1 - lp0) * at.f)
    }

    /// Below the lowest level: its wind held; temperature following the standard lapse rate
    /// down from it, pressure the matching polytrope (ISA where there is no temperature).
    #[cold]
    fn below_lowest(&self, pr: &Pair, alt: f64) -> Sample {
        let h0 = f64::from(pr[2]);
        let p0 = self.levels_hpa[0];
        let t0 = plausible_temperature(f64::from(pr[3]));
        let (p, temp, rho) = match t0 {
            Some(t0) => {
                let temp = t0 + 0.0065 * (h0 - alt);
                let p = p0 * (temp / t0).powf(isa::G0 / (isa::R_DRY * 0.0065));
                (p, Some(temp), p * 100.0 / (isa::R_DRY * temp))
            }
            None => {
                let p = p0 * isa::pressure_hpa(alt) / isa::pressure_hpa(h0);
                (p, None, isa::density_kg_m3(alt))
            }
        };
        Sample {
            u_m_s: f64::from(pr[0]),
            v_m_s: f64::from(pr[1]),
            height_m: alt,
            pressure_hpa: p,
            temperature_k: temp,
            density_kg_m3: rho,
            below_lowest_level: true,
        }
    }

    /// Interpolated values on one of the cube's pressure levels (`level` is an index into
    /// [`Cube::levels_hpa`]): linear in time, latitude and longitude.
    pub fn sample_level(
        &self,
        t: f64,
        lat: f64,
        lon: f64,
        level: usize,
    ) -> Result<Sample, OutOfDomain> {
        let c = self.corners(t, lat, lon, f64::NAN)?;
        let nl = self.levels_hpa.len();
        let p = self.levels_hpa.get(level).copied().unwrap_or(f64::NAN);
        // The same arithmetic as `sample_alt`, so a level's own height gives back its values.
        let k = level.min(nl - 2);
        let pr = if self.guide.native {
            self.pair::<true>(self.values(), &c, k)
        } else {
            self.pair::<false>(self.values(), &c, k)
        };
        let at = |var: usize| f64::from(if level > k { pr[NVAR + var] } else { pr[var] });
        let h = at(2);
        let temp = plausible_temperature(at(3));
        let rho = air_density(temp, || p, h);
        Ok(Sample {
            u_m_s: at(0),
            v_m_s: at(1),
            height_m: h,
            pressure_hpa: p,
            temperature_k: temp,
            density_kg_m3: rho,
            below_lowest_level: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_small_matches_exp() {
        for i in -200..=200 {
            let x = f64::from(i) * 0.01;
            let rel = (exp_small(x) - x.exp()).abs() / x.exp();
            assert!(rel < 1e-5, "x={x}: {rel}");
        }
        assert_eq!(exp_small(0.0), 1.0);
    }

    #[test]
    fn floor_index_floors_and_saturates() {
        assert_eq!(floor_index(0.0), 0);
        assert_eq!(floor_index(2.999), 2);
        assert_eq!(floor_index(3.0), 3);
        assert_eq!(floor_index(-0.5), 0);
        assert_eq!(floor_index(f64::NAN), 0);
        assert_eq!(floor_index(1e300), i32::MAX as usize);
    }

    /// A cube whose heights are far from the standard atmosphere (so the vertical search has
    /// to walk several layers from where it starts) and vary in time and space.
    fn skewed_cube() -> Cube {
        let levels = vec![1000.0, 925.0, 850.0, 700.0, 500.0, 300.0, 200.0];
        let grid = Grid {
            lat0: 36.0,
            dlat: 0.5,
            nlat: 5,
            lon0: 125.0,
            dlon: 0.5,
            nlon: 6,
        };
        let times: Vec<i64> = (0..4).map(|k| 1_000_000 + k * 10_800).collect();
        let mut values = Vec::new();
        for t in 0..times.len() {
            for j in 0..grid.nlat {
                for i in 0..grid.nlon {
                    for (k, p) in levels.iter().enumerate() {
                        let skew = 900.0 * ((t + j + 2 * i) % 3) as f64 - 900.0;
                        let h = isa::altitude_m(*p) + skew + 40.0 * k as f64;
                        values.extend([
                            (3.0 + k as f64 * 2.0 + j as f64 - i as f64 + t as f64) as f32,
                            (-1.0 + 0.5 * k as f64 * i as f64 - t as f64) as f32,
                            h as f32,
                            (288.0 - 0.0065 * h) as f32,
                        ]);
                    }
                }
            }
        }
        Cube::from_native(times, levels, grid, values).expect("valid cube")
    }

    /// The interpolation written the plain way, in f64: every level's height interpolated,
    /// the bracket by a linear scan.
    fn reference(c: &Cube, t: f64, lat: f64, lon: f64, alt: f64) -> Option<(f64, f64)> {
        let g = c.grid();
        let ts = c.times();
        let k = ts.iter().rposition(|&x| x as f64 <= t)?.min(ts.len() - 2);
        let ft = (t - ts[k] as f64) / (ts[k + 1] - ts[k]) as f64;
        let y = (lat - g.lat0) / g.dlat;
        let x = (lon - g.lon0) / g.dlon;
        let (j, i) = (
            (y.floor() as usize).min(g.nlat - 2),
            (x.floor() as usize).min(g.nlon - 2),
        );
        let (fy, fx) = (y - j as f64, x - i as f64);
        let val = |lev: usize, var: usize| {
            let mut s = 0.0;
            for (dt, wt) in [(0, 1.0 - ft), (1, ft)] {
                for (dj, wy) in [(0, 1.0 - fy), (1, fy)] {
                    for (di, wx) in [(0, 1.0 - fx), (1, fx)] {
                        let r = c.raw(k + dt, lev, j + dj, i + di, var)?;
                        s += wt * wy * wx * f64::from(r);
                    }
                }
            }
            Some(s)
        };
        let nl = c.levels_hpa().len();
        let hs: Vec<f64> = (0..nl).map(|l| val(l, 2)).collect::<Option<_>>()?;
        if alt <= hs[0] {
            return Some((val(0, 0)?, val(0, 1)?));
        }
        let l = (0..nl - 1).find(|&l| hs[l] < alt && alt <= hs[l + 1])?;
        let f = (alt - hs[l]) / (hs[l + 1] - hs[l]);
        let mix = |var| Some(val(l, var)? + (val(l + 1, var)? - val(l, var)?) * f);
        Some((mix(0)?, mix(1)?))
    }

    /// What a damaged cache opened without hashing its body can hold: heights of 1e30 or
    /// NaN, times whose differences overflow. Found by the `lookup` fuzz target (an overflow
    /// sizing the start table). Lookups must answer or refuse, never panic.
    #[test]
    fn damaged_values_never_panic() {
        let grid = Grid {
            lat0: 37.0,
            dlat: 1.0,
            nlat: 2,
            lon0: 127.0,
            dlon: 1.0,
            nlon: 2,
        };
        let times = vec![-(1i64 << 62), 1i64 << 62];
        let levels = vec![1000.0, 500.0];
        let layout = Layout::native(2, 2, 2, 2).expect("small");
        for (h0, h1) in [
            (0.0, 1e30),
            (f32::NAN, 5000.0),
            (9000.0, 10.0),
            (1e30, f32::INFINITY),
        ] {
            let mut values = Vec::new();
            for _ in 0..2 * 2 * 2 {
                values.extend([1.0, 2.0, h0, 280.0, 3.0, 4.0, h1, f32::NAN]);
            }
            let c = Cube::assemble(
                times.clone(),
                levels.clone(),
                grid,
                layout,
                Store::Owned(values),
                1e4,
            );
            for alt in [-600.0, 0.0, 3000.0, 1e29, f64::NAN, f64::INFINITY] {
                for t in [0.0, -4e18, 4e18, f64::NAN] {
                    let _ = c.sample_alt(t, 37.5, 127.5, alt);
                    let _ = c.wind_uv_at(t, 37.5, 127.5, alt);
                    let _ = c.sample_level(t, 37.5, 127.5, 1);
                }
            }
        }
    }

    #[test]
    fn guided_search_agrees_with_a_plain_scan() {
        let c = skewed_cube();
        let mut n = 0;
        for q in 0..4000 {
            let q = f64::from(q);
            let t = 1_000_000.0 + (q * 37.0) % 32_400.0;
            let lat = 36.0 + (q * 0.013) % 2.0;
            let lon = 125.0 + (q * 0.029) % 2.5;
            let alt = -400.0 + (q * 7.7) % 13_000.0;
            match (
                c.sample_alt(t, lat, lon, alt),
                reference(&c, t, lat, lon, alt),
            ) {
                (Ok(s), Some((u, v))) => {
                    assert!(
                        (s.u_m_s - u).abs() < 1e-4 && (s.v_m_s - v).abs() < 1e-4,
                        "{t} {lat} {lon} {alt}: {s:?} vs {u} {v}"
                    );
                    n += 1;
                }
                (Err(e), None) => assert_eq!(e.axis, Axis::Altitude),
                (a, b) => panic!("{t} {lat} {lon} {alt}: {a:?} vs {b:?}"),
            }
        }
        assert!(n > 3000, "{n} points inside");
    }
}
