//! Wind forecasts: GRIB2 files and tawhiri datasets in, a wind cube out, sampled at any
//! (time, latitude, longitude, altitude) inside it.
//!
//! Owns: decoding GRIB2, fetching forecast subsets, the cache file format, interpolation,
//! air density, and the model terrain that comes with a forecast ([`terrain`]: GFS
//! orography, ECMWF surface geopotential; decoded, fetched and cached with the winds because
//! it is a field of the same files). Elevation models the user brings (SRTM tiles) are
//! `saebaram-terrain`'s.
//! Must not know: balloons, stages or ensembles (`saebaram-flight`); borders and places
//! (`saebaram-geo`); terminals (it never prints).
//!
//! Units: SI inside. Times are seconds since the UNIX epoch (UTC) as `f64`; latitude and
//! longitude in degrees, longitude in -180..180; altitude in metres above mean sea level
//! (geopotential metres); wind components in m/s (u towards east, v towards north); density
//! in kg/m³. A point outside the data is [`OutOfDomain`], never a zero wind.
//!
//! Entry points: [`Forecast::embedded`] (the JMA MEPS sample of 2019-06-05 00Z built into
//! the binary), [`Forecast::open`] (a GRIB2 file, a directory of GRIB2 step files, a cache
//! file, or a tawhiri dataset), both implementing [`WindField`].
//!
//! Hand-written parts, and why: UTC calendar arithmetic ([`time`], a few lines instead of a
//! date crate), the hypsometric height derivation and the 4-D interpolation (the point of
//! this crate; `grib` has no interpolation), the cache layout (a flat `f32` body behind a
//! JSON header so that `memmap2` can serve lookups in place), the tawhiri reader (a raw
//! array; only the shape is knowledge) and the `.idx`/`.index` parsers (a few lines each).
//! GRIB2 decoding is the `grib` crate's, with its pure-Rust decoders only.
#![deny(missing_docs)]
// `!(x <= max)` is deliberate throughout: a NaN must fail every range check.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use serde::Serialize;

pub mod cache;
pub mod cube;
mod error;
pub mod fetch;
pub mod forecast;
pub mod grib2;
pub mod region;
pub mod tawhiri;
pub mod terrain;
pub mod time;

#[cfg(test)]
mod tests;

pub use cube::{Cube, Grid, Sample};
pub use error::{ForecastError, Result};
pub use forecast::{
    Forecast, ForecastInfo, Member, MemberInfo, MemberKind, OpenOptions, SourceKind,
    describe_numbers, parse_numbers,
};
pub use grib2::{Derivation, FieldInfo, SurfaceWind, surface_wind_10m};
pub use region::Region;
pub use terrain::{Terrain, TerrainInfo};

/// The wind and air at one point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Wind {
    /// Eastward wind, m/s.
    pub u_m_s: f64,
    /// Northward wind, m/s.
    pub v_m_s: f64,
    /// Air density, kg/m³ (from the forecast's temperature where present, ISA otherwise).
    pub density_kg_m3: f64,
}

/// Which axis a query left the data on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Axis {
    /// Before the first or after the last valid time.
    Time,
    /// South or north of the grid.
    Latitude,
    /// West or east of the grid.
    Longitude,
    /// Above the highest level.
    Altitude,
}

/// A query outside the forecast in space or time.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("({lat:.3}, {lon:.3}) at {alt_m:.0} m, t={t_unix_s:.0} is outside the forecast ({axis:?})")]
pub struct OutOfDomain {
    /// The axis the point left the data on.
    pub axis: Axis,
    /// Query time, seconds since the UNIX epoch.
    pub t_unix_s: f64,
    /// Query latitude, degrees.
    pub lat: f64,
    /// Query longitude, degrees.
    pub lon: f64,
    /// Query altitude, metres above mean sea level.
    pub alt_m: f64,
}

/// What a wind field covers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    /// First valid time, seconds since the UNIX epoch.
    pub time_start_unix_s: f64,
    /// Last valid time, seconds since the UNIX epoch.
    pub time_end_unix_s: f64,
    /// True for a single-time field that callers may use at any time (the embedded 2019
    /// sample). Callers must tell their users when they rely on this.
    pub steady: bool,
    /// Southern edge, degrees.
    pub lat_min: f64,
    /// Northern edge, degrees.
    pub lat_max: f64,
    /// Western edge, degrees (-180..180).
    pub lon_min: f64,
    /// Eastern edge, degrees (-180..180; may be less than `lon_min` across the antimeridian).
    pub lon_max: f64,
    /// Highest altitude with data, metres above mean sea level.
    pub alt_max_m: f64,
}

/// Anything that gives the wind at a point: a decoded forecast, a tawhiri dataset, or a
/// synthetic field in tests.
pub trait WindField: Send + Sync {
    /// The wind and air density at `(t_unix_s, lat, lon, alt_m)`.
    fn wind(&self, t_unix_s: f64, lat: f64, lon: f64, alt_m: f64) -> Result<Wind, OutOfDomain>;
    /// The wind alone, (u, v) in m/s, for callers that do not need the air density (which
    /// costs a pressure and a density per lookup). Same domain and errors as
    /// [`WindField::wind`].
    fn wind_uv(
        &self,
        t_unix_s: f64,
        lat: f64,
        lon: f64,
        alt_m: f64,
    ) -> Result<(f64, f64), OutOfDomain> {
        self.wind(t_unix_s, lat, lon, alt_m)
            .map(|w| (w.u_m_s, w.v_m_s))
    }
    /// What this field covers.
    fn coverage(&self) -> Coverage;
}

/// A wind that is the same everywhere, with ISA density: for tests and closed-form checks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UniformWind {
    /// Eastward wind, m/s.
    pub u_m_s: f64,
    /// Northward wind, m/s.
    pub v_m_s: f64,
}

impl WindField for UniformWind {
    fn wind(&self, _t: f64, _lat: f64, _lon: f64, alt_m: f64) -> Result<Wind, OutOfDomain> {
        Ok(Wind {
            u_m_s: self.u_m_s,
            v_m_s: self.v_m_s,
            density_kg_m3: isa::density_kg_m3(alt_m),
        })
    }

    fn coverage(&self) -> Coverage {
        Coverage {
            time_start_unix_s: f64::NEG_INFINITY,
            time_end_unix_s: f64::INFINITY,
            steady: true,
            lat_min: -90.0,
            lat_max: 90.0,
            lon_min: -180.0,
            lon_max: 180.0,
            alt_max_m: 80_000.0,
        }
    }
}

pub mod isa {
    //! The International Standard Atmosphere (ICAO Doc 7488), troposphere and lower
    //! stratosphere: the fallback wherever a forecast has no temperature.

    /// Sea-level pressure, hPa.
    pub const P0_HPA: f64 = 1013.25;
    /// Sea-level temperature, K.
    pub const T0_K: f64 = 288.15;
    /// Sea-level density, kg/m³.
    pub const RHO0_KG_M3: f64 = 1.225;
    /// Specific gas constant of dry air, J/(kg·K).
    pub const R_DRY: f64 = 287.052_87;
    /// Standard gravity, m/s².
    pub const G0: f64 = 9.806_65;
    const LAPSE_K_M: f64 = 0.0065;
    const TROPOPAUSE_M: f64 = 11_000.0;

    /// ISA temperature at a geopotential altitude, K (isothermal above 11 km, up to 20 km).
    pub fn temperature_k(alt_m: f64) -> f64 {
        T0_K - LAPSE_K_M * alt_m.min(TROPOPAUSE_M)
    }

    /// ISA pressure at a geopotential altitude, hPa.
    pub fn pressure_hpa(alt_m: f64) -> f64 {
        let exponent = G0 / (R_DRY * LAPSE_K_M);
        if alt_m <= TROPOPAUSE_M {
            P0_HPA * (temperature_k(alt_m) / T0_K).powf(exponent)
        } else {
            let p11 = P0_HPA * (temperature_k(TROPOPAUSE_M) / T0_K).powf(exponent);
            p11 * (-G0 * (alt_m - TROPOPAUSE_M) / (R_DRY * temperature_k(TROPOPAUSE_M))).exp()
        }
    }

    /// ISA geopotential altitude of a pressure, metres (the inverse of [`pressure_hpa`]).
    pub fn altitude_m(p_hpa: f64) -> f64 {
        let exponent = G0 / (R_DRY * LAPSE_K_M);
        let p11 = pressure_hpa(TROPOPAUSE_M);
        if p_hpa >= p11 {
            T0_K / LAPSE_K_M * (1.0 - (p_hpa / P0_HPA).powf(1.0 / exponent))
        } else {
            TROPOPAUSE_M + R_DRY * temperature_k(TROPOPAUSE_M) / G0 * (p11 / p_hpa).ln()
        }
    }

    /// ISA density at a geopotential altitude, kg/m³.
    pub fn density_kg_m3(alt_m: f64) -> f64 {
        pressure_hpa(alt_m) * 100.0 / (R_DRY * temperature_k(alt_m))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn sea_level_density_is_standard() {
            assert!((density_kg_m3(0.0) - RHO0_KG_M3).abs() < 1e-3);
        }

        #[test]
        fn density_at_3_and_5_km_matches_tables() {
            // ICAO tables: 0.9093 kg/m³ at 3 km, 0.7364 at 5 km.
            assert!((density_kg_m3(3000.0) - 0.9093).abs() < 1e-3);
            assert!((density_kg_m3(5000.0) - 0.7364).abs() < 1e-3);
        }

        #[test]
        fn altitude_inverts_pressure() {
            for alt in [-300.0, 0.0, 1500.0, 5500.0, 11_000.0, 16_000.0] {
                assert!((altitude_m(pressure_hpa(alt)) - alt).abs() < 1e-6, "{alt}");
            }
            // ICAO: 500 hPa is at 5574 m.
            assert!((altitude_m(500.0) - 5574.0).abs() < 2.0);
        }
    }
}
