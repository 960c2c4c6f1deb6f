//! The synthetic forecast and query points shared by the criterion benchmark and the
//! `lookup_cost` (instruction counts under callgrind) and `tawhiri_lookup` examples.
#![allow(dead_code)]

use saebaram_forecast::{Forecast, Grid};

/// First valid time of the synthetic cube, seconds since the epoch (2025-11-29 00Z).
pub const T0: f64 = 1_764_374_400.0;

/// GFS-like levels, hPa, and standard heights, m.
const LEVELS: [(f64, f32); 20] = [
    (1000.0, 110.0),
    (975.0, 320.0),
    (950.0, 540.0),
    (925.0, 760.0),
    (900.0, 990.0),
    (850.0, 1460.0),
    (800.0, 1950.0),
    (750.0, 2470.0),
    (700.0, 3010.0),
    (650.0, 3590.0),
    (600.0, 4210.0),
    (550.0, 4870.0),
    (500.0, 5570.0),
    (450.0, 6330.0),
    (400.0, 7180.0),
    (350.0, 8110.0),
    (300.0, 9160.0),
    (250.0, 10_360.0),
    (200.0, 11_790.0),
    (150.0, 13_610.0),
];

/// A realistic-size cube: 121 hourly steps (5 days), 0.25 degree over 32-45N 120-135E
/// (53 x 61 points), 20 levels, u/v/gh/t: 125 MB.
pub fn five_day_cube() -> Forecast {
    cube_with_steps(121)
}

/// The same cube with `nt` hourly steps (fewer for instruction counting under callgrind,
/// where the cost of one lookup does not depend on the cube's length).
pub fn cube_with_steps(nt: usize) -> Forecast {
    let grid = Grid {
        lat0: 32.0,
        dlat: 0.25,
        nlat: 53,
        lon0: 120.0,
        dlon: 0.25,
        nlon: 61,
    };
    let mut values = Vec::with_capacity(nt * grid.nlat * grid.nlon * LEVELS.len() * 4);
    for t in 0..nt {
        for j in 0..grid.nlat {
            for i in 0..grid.nlon {
                for (k, (_, h)) in LEVELS.iter().enumerate() {
                    let phase = (t as f32 * 0.1 + j as f32 * 0.05 + i as f32 * 0.03).sin();
                    values.extend([
                        5.0 + k as f32 * 1.5 + 3.0 * phase,
                        -2.0 + 2.0 * phase,
                        h + 20.0 * phase,
                        288.0 - 0.0065 * h,
                    ]);
                }
            }
        }
    }
    let times = (0..nt as i64).map(|k| T0 as i64 + k * 3600).collect();
    Forecast::from_values(
        "bench",
        T0 as i64,
        times,
        LEVELS.iter().map(|l| l.0).collect(),
        grid,
        values,
    )
    .expect("valid cube")
}

/// An ensemble shaped like GEFS over Korea: `members` members (0 the control), `nt` steps
/// every `step_h` hours from [`T0`], 0.5 degree over 32-45N 120-135E (27 x 31 points), the
/// 20 levels above, u/v/gh/t; each member's winds shifted in phase so that they differ.
pub fn ensemble(members: u32, nt: usize, step_h: i64) -> Forecast {
    use saebaram_forecast::{MemberInfo, MemberKind};
    let grid = Grid {
        lat0: 32.0,
        dlat: 0.5,
        nlat: 27,
        lon0: 120.0,
        dlon: 0.5,
        nlon: 31,
    };
    let all = (0..members)
        .map(|m| {
            let mut values = Vec::with_capacity(nt * grid.nlat * grid.nlon * LEVELS.len() * 4);
            for t in 0..nt {
                for j in 0..grid.nlat {
                    for i in 0..grid.nlon {
                        for (k, (_, h)) in LEVELS.iter().enumerate() {
                            let phase = (t as f32 * 0.3
                                + j as f32 * 0.1
                                + i as f32 * 0.06
                                + m as f32 * 0.37)
                                .sin();
                            values.extend([
                                5.0 + k as f32 * 1.5 + 3.0 * phase,
                                -2.0 + 2.0 * phase,
                                h + 20.0 * phase,
                                288.0 - 0.0065 * h,
                            ]);
                        }
                    }
                }
            }
            let kind = if m == 0 {
                MemberKind::Control
            } else {
                MemberKind::Perturbed
            };
            (Some(MemberInfo { number: m, kind }), values)
        })
        .collect();
    let times = (0..nt as i64)
        .map(|k| T0 as i64 + k * step_h * 3600)
        .collect();
    Forecast::from_member_values(
        "bench-ensemble",
        T0 as i64,
        times,
        LEVELS.iter().map(|l| l.0).collect(),
        grid,
        all,
    )
    .expect("valid ensemble")
}

/// Queries far apart in time, space and altitude from one call to the next (cache-hostile).
pub fn scattered(t0: f64) -> Vec<(f64, f64, f64, f64)> {
    (0..1024)
        .map(|k| {
            let k = k as f64;
            (
                t0 + 60.0 * k * 7.3 % 400_000.0,
                33.0 + (k * 0.37) % 11.0,
                121.0 + (k * 0.61) % 13.0,
                50.0 + (k * 131.0) % 13_000.0,
            )
        })
        .collect()
}

/// A balloon's track: 60 s steps, 5 m/s up, ~15 m/s east (what the integrator asks).
pub fn track(t0: f64) -> Vec<(f64, f64, f64, f64)> {
    (0..1024)
        .map(|k| {
            let k = k as f64;
            (
                t0 + 3600.0 + 60.0 * k,
                37.8 + 0.0005 * k,
                126.75 + 0.005 * k,
                10.0 + 300.0 * (k % 40.0),
            )
        })
        .collect()
}
