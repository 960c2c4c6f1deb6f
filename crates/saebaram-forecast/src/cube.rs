//! The wind cube: time x pressure level x latitude x longitude, holding u, v, geopotential
//! height and (where present) temperature, and the 4-D interpolation over it.
//!
//! Storage is a flat `f32` array addressed by strides, so the same lookup code reads our
//! own layout (owned, or memory-mapped from the cache) and a tawhiri dataset in place.

use serde::{Deserialize, Serialize};

use crate::isa;
use crate::{Axis, OutOfDomain};

/// Lowest altitude a lookup accepts, metres (below the Dead Sea shore).
pub const MIN_ALT_M: f64 = -500.0;

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
    Mapped {
        map: memmap2::Mmap,
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
}

struct Corners {
    off: [usize; 8],
    w: [f64; 8],
    n: usize,
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
        Ok(Cube {
            times,
            levels_hpa,
            grid,
            layout,
            store: Store::Owned(values),
            alt_max_m: alt_max,
        })
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

    #[inline]
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
        // Time.
        let nt = self.times.len();
        let (it, ft) = if nt == 1 {
            (0, 0.0)
        } else {
            let first = self.times[0] as f64;
            let last = self.times[nt - 1] as f64;
            if !(t >= first && t <= last) {
                return Err(ood(Axis::Time));
            }
            let k = self
                .times
                .partition_point(|&x| (x as f64) <= t)
                .clamp(1, nt - 1)
                - 1;
            let t0 = self.times[k] as f64;
            let t1 = self.times[k + 1] as f64;
            (k, (t - t0) / (t1 - t0))
        };
        // Latitude.
        let y = (lat - g.lat0) / g.dlat;
        let ymax = (g.nlat - 1) as f64;
        if !(y >= -1e-9 && y <= ymax + 1e-9) {
            return Err(ood(Axis::Latitude));
        }
        let y = y.clamp(0.0, ymax);
        let j = (y.floor() as usize).min(g.nlat - 2);
        let fy = y - j as f64;
        // Longitude.
        if !lon.is_finite() {
            return Err(ood(Axis::Longitude));
        }
        let x = (lon - g.lon0).rem_euclid(360.0) / g.dlon;
        let (i0, i1, fx) = if g.wraps() {
            let i = (x.floor() as usize) % g.nlon;
            (i, (i + 1) % g.nlon, x - x.floor())
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
            let i = (x.floor() as usize).min(g.nlon - 2);
            (i, i + 1, x - i as f64)
        };
        let mut c = Corners {
            off: [0; 8],
            w: [0.0; 8],
            n: 0,
        };
        let ntimes = if nt == 1 { 1 } else { 2 };
        for dt in 0..ntimes {
            let wt = if dt == 0 { 1.0 - ft } else { ft };
            for (dj, wy) in [(0, 1.0 - fy), (1, fy)] {
                for (ii, wx) in [(i0, 1.0 - fx), (i1, fx)] {
                    c.off[c.n] = (it + dt) * l.t + (j + dj) * l.lat + ii * l.lon;
                    c.w[c.n] = wt * wy * wx;
                    c.n += 1;
                }
            }
        }
        Ok(c)
    }

    #[inline]
    fn at(&self, d: &[f32], c: &Corners, lev: usize, var: usize) -> f64 {
        let base = lev * self.layout.lev + var;
        let mut s = 0.0;
        for k in 0..c.n {
            s += c.w[k] * f64::from(d.get(c.off[k] + base).copied().unwrap_or(f32::NAN));
        }
        s
    }

    /// Interpolated values at a point: linear in time, latitude and longitude; linear in
    /// geopotential height between levels; the lowest level's wind held below it.
    pub fn sample_alt(&self, t: f64, lat: f64, lon: f64, alt: f64) -> Result<Sample, OutOfDomain> {
        let c = self.corners(t, lat, lon, alt)?;
        let d = self.values();
        let l = &self.layout;
        let nl = self.levels_hpa.len();
        let ood = OutOfDomain {
            axis: Axis::Altitude,
            t_unix_s: t,
            lat,
            lon,
            alt_m: alt,
        };
        let top = self.at(d, &c, nl - 1, l.gh);
        if !(alt <= top && alt >= MIN_ALT_M) {
            return Err(ood);
        }
        let h0 = self.at(d, &c, 0, l.gh);
        if alt <= h0 {
            let u = self.at(d, &c, 0, l.u);
            let v = self.at(d, &c, 0, l.v);
            let p0 = self.levels_hpa[0];
            let t0 = l
                .temp
                .map(|tv| self.at(d, &c, 0, tv))
                .filter(|x| x.is_finite());
            // Below the lowest level: temperature follows the standard lapse rate down from
            // the lowest level, pressure the matching polytrope.
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
            return Ok(Sample {
                u_m_s: u,
                v_m_s: v,
                height_m: alt,
                pressure_hpa: p,
                temperature_k: temp,
                density_kg_m3: rho,
                below_lowest_level: true,
            });
        }
        // Binary search for the layer [k, k+1] with h(k) < alt <= h(k+1).
        let (mut lo, mut hi) = (0usize, nl - 1);
        let (mut hlo, mut hhi) = (h0, top);
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            let hm = self.at(d, &c, mid, l.gh);
            if hm < alt {
                lo = mid;
                hlo = hm;
            } else {
                hi = mid;
                hhi = hm;
            }
        }
        let f = if hhi > hlo {
            (alt - hlo) / (hhi - hlo)
        } else {
            0.0
        };
        let mix = |a: f64, b: f64| a + (b - a) * f;
        let u = mix(self.at(d, &c, lo, l.u), self.at(d, &c, hi, l.u));
        let v = mix(self.at(d, &c, lo, l.v), self.at(d, &c, hi, l.v));
        let (plo, phi) = (self.levels_hpa[lo], self.levels_hpa[hi]);
        // ln p linear in height within the layer; p_lo^(1-f) * p_hi^f costs one ln + exp.
        let p = plo * ((phi / plo).ln() * f).exp();
        let temp = l
            .temp
            .map(|tv| mix(self.at(d, &c, lo, tv), self.at(d, &c, hi, tv)))
            .filter(|x| x.is_finite() && *x > 100.0);
        let rho = match temp {
            Some(tk) => p * 100.0 / (isa::R_DRY * tk),
            None => isa::density_kg_m3(alt),
        };
        if !(u.is_finite() && v.is_finite() && rho.is_finite()) {
            return Err(ood);
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
        let d = self.values();
        let l = &self.layout;
        let p = self.levels_hpa.get(level).copied().unwrap_or(f64::NAN);
        let h = self.at(d, &c, level, l.gh);
        let temp = l
            .temp
            .map(|tv| self.at(d, &c, level, tv))
            .filter(|x| x.is_finite() && *x > 100.0);
        let rho = match temp {
            Some(tk) => p * 100.0 / (isa::R_DRY * tk),
            None => isa::density_kg_m3(h),
        };
        Ok(Sample {
            u_m_s: self.at(d, &c, level, l.u),
            v_m_s: self.at(d, &c, level, l.v),
            height_m: h,
            pressure_hpa: p,
            temperature_k: temp,
            density_kg_m3: rho,
            below_lowest_level: false,
        })
    }
}
