//! The three flight workloads, shared by the criterion benches (`flight.rs`) and the
//! `flight_cost` example (instruction counts), so both measure the same flights: on the NCEP
//! GFS 2.5° sample of the repository's test data (`testdata/wind`: it reaches 30 km, so a
//! 10 km burst stays inside). A missing or unreadable sample stops the bench: it never
//! measures another forecast in its place.
#![allow(dead_code)]

use saebaram_flight::*;
use saebaram_forecast::Forecast;

const GFS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../testdata/wind/ncep_gfs_2p5deg_20111008T00Z_f072.grib2"
);

/// The forecast, its run time and the P0 burst altitude it allows.
pub fn field() -> (Forecast, f64, f64) {
    let f = Forecast::open(std::path::Path::new(GFS))
        .unwrap_or_else(|err| panic!("the bench forecast `{GFS}`: {err}"));
    let t = f.info().run_unix_s as f64;
    (f, t, 10_000.0)
}

/// The launch: Paju at time `t`.
pub fn paju(t: f64) -> Point {
    Point {
        t_unix_s: t,
        lat: 37.89,
        lon: 126.74,
        alt_m: 15.0,
    }
}

/// P0: 5 m/s up, burst at `burst_m`, 5 m/s down.
pub fn p0(burst_m: f64) -> Profile {
    let mut p = Profile::preset("standard").expect("preset");
    p.carrier = Carrier::Standard(Standard {
        ascent_m_s: 5.0,
        burst_alt_m: burst_m,
        descent_m_s: 5.0,
    });
    p
}

/// P1 sealed tube whose timer fires during the ascent (15 min), so that the leaflets or the
/// bundle really fall: with the 3 h timer of `ffnk-tube` the tube bursts first.
pub fn p1_timer(payload: Payload) -> Profile {
    let mut p = Profile::preset("ffnk-tube").expect("preset");
    p.release = Release::Timer {
        stages: vec![TimerStage {
            after_h: 0.25,
            fraction: 1.0,
        }],
        jitter: 0.1,
        p_fail: 0.1,
    };
    p.payload = payload;
    p
}

/// The leaflet ensemble's profile: P1 + timer + vinyl leaflets.
pub fn leaflets() -> Profile {
    p1_timer(Payload::vinyl_leaflets())
}

/// The sweep's profile: P1 + timer + a bundle falling at 12 m/s.
pub fn bundle() -> Profile {
    p1_timer(Payload::Bundle { v0_m_s: 12.0 })
}

/// `n` hourly launches from Paju starting at `t0`.
pub fn hourly_launches(t0: f64, n: usize) -> Vec<Point> {
    (0..n).map(|i| paju(t0 + i as f64 * 3600.0)).collect()
}
