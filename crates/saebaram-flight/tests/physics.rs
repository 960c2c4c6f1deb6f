//! Flights checked against closed forms, tawhiri's model (an independent reference
//! integration on a tawhiri-layout field), the GTA 33-01-003 layer sum, the CUSF and
//! density-ratio formulas, and reproducibility across thread counts.

use saebaram_flight::ensemble::distance_km;
use saebaram_flight::flight::setup_balloon;
use saebaram_flight::*;
use saebaram_forecast::{Axis, Coverage, OutOfDomain, UniformWind, Wind, WindField, isa};

const T0: f64 = 1_559_692_800.0; // 2019-06-05T00:00Z
const PAJU: (f64, f64) = (37.89, 126.74);

fn launch() -> Point {
    Point {
        t_unix_s: T0,
        lat: PAJU.0,
        lon: PAJU.1,
        alt_m: 0.0,
    }
}

fn standard(ascent: f64, burst: f64, descent: f64) -> Profile {
    let mut p = Profile::preset("standard").unwrap();
    p.carrier = Carrier::Standard(Standard {
        ascent_m_s: ascent,
        burst_alt_m: burst,
        descent_m_s: descent,
    });
    p
}

/// Tawhiri's NASA density, written out again for the reference integration.
fn rho_ref(h: f64) -> f64 {
    let (t, p) = if h > 25000.0 {
        let t = -131.21 + 0.00299 * h;
        (t, 2.488 * ((t + 273.1) / 216.6).powf(-11.388))
    } else if h > 11000.0 {
        (-56.46, 22.65 * (1.73 - 0.000157 * h).exp())
    } else {
        let t = 15.04 - 0.00649 * h;
        (t, 101.29 * ((t + 273.1) / 288.08).powf(5.256))
    };
    p / (0.2869 * (t + 273.1))
}

#[test]
fn p0_in_zero_wind_lands_at_the_launch_point() {
    let pred = predict(
        &UniformWind {
            u_m_s: 0.0,
            v_m_s: 0.0,
        },
        &FlatEarth,
        &standard(5.0, 10_000.0, 5.0),
        launch(),
    )
    .unwrap();
    let l = pred.landings[pred.primary];
    assert!(distance_km(l.point.lat, l.point.lon, PAJU.0, PAJU.1) < 1e-6);
    assert_eq!(l.outcome, Outcome::Ground);
}

#[test]
fn p0_burst_and_descent_times_match_the_closed_forms() {
    let pred = predict(
        &UniformWind {
            u_m_s: 0.0,
            v_m_s: 0.0,
        },
        &FlatEarth,
        &standard(5.0, 10_000.0, 5.0),
        launch(),
    )
    .unwrap();
    let burst = pred
        .events
        .iter()
        .find(|e| e.kind == "burst")
        .unwrap()
        .point;
    assert!(
        (burst.t_unix_s - T0 - 2000.0).abs() < 0.01,
        "burst at {}",
        burst.t_unix_s - T0
    );
    assert!((burst.alt_m - 10_000.0).abs() < 0.01);
    // Descent time = ∫ dh / (1.1045·5/sqrt(ρ(h))) from 0 to 10 km (Simpson, 10 000 intervals).
    let n = 10_000;
    let f = |h: f64| rho_ref(h).sqrt() / (1.1045 * 5.0);
    let hstep = 10_000.0 / n as f64;
    let mut integral = f(0.0) + f(10_000.0);
    for i in 1..n {
        integral += if i % 2 == 1 { 4.0 } else { 2.0 } * f(i as f64 * hstep);
    }
    integral *= hstep / 3.0;
    let landing = pred.landings[pred.primary].point;
    let descent_s = landing.t_unix_s - burst.t_unix_s;
    assert!(
        (descent_s - integral).abs() < 0.5,
        "descent {descent_s} s vs closed form {integral} s"
    );
}

#[test]
fn p0_in_uniform_wind_drifts_by_wind_times_time() {
    let wind = UniformWind {
        u_m_s: 10.0,
        v_m_s: 0.0,
    };
    let pred = predict(&wind, &FlatEarth, &standard(5.0, 10_000.0, 5.0), launch()).unwrap();
    let l = pred.landings[pred.primary].point;
    let flight_s = l.t_unix_s - T0;
    let want_km = 10.0 * flight_s / 1000.0;
    let got_km = distance_km(PAJU.0, PAJU.1, l.lat, l.lon);
    // Tawhiri's R = 6371009 + alt makes the drift a little shorter than at the surface.
    assert!(
        (got_km - want_km).abs() / want_km < 0.002,
        "{got_km} km vs {want_km} km"
    );
    assert!((l.lat - PAJU.0).abs() < 1e-3 && l.lon > PAJU.1);
}

/// A regional field in tawhiri's layout: f32 array (hour, level, var, lat, lon) with var 0 =
/// geopotential height, 1 = u, 2 = v; interpolated as tawhiri does (trilinear per level, then
/// linear in height between the bracketing levels, extrapolating outside).
struct TawhiriLayout {
    data: Vec<f32>,
    hours: usize,
    levels: usize,
    lats: usize,
    lons: usize,
    lat0: f64,
    lon0: f64,
    step_deg: f64,
    hour_s: f64,
}

impl TawhiriLayout {
    fn new() -> TawhiriLayout {
        let pressures = [
            1000.0, 975.0, 950.0, 925.0, 900.0, 850.0, 800.0, 750.0, 700.0, 650.0, 600.0, 550.0,
            500.0, 450.0, 400.0, 350.0, 300.0, 250.0, 200.0, 150.0, 100.0,
        ];
        let (hours, levels, lats, lons) = (9, pressures.len(), 17, 21);
        let (lat0, lon0, step_deg) = (34.0, 122.0, 0.5);
        let mut data = vec![0.0f32; hours * levels * 3 * lats * lons];
        for h in 0..hours {
            for (k, p) in pressures.iter().enumerate() {
                // ISA height of the pressure level (inverse of the troposphere formula).
                let z0 = 288.15 / 0.0065 * (1.0 - (p / 1013.25f64).powf(0.190263));
                for i in 0..lats {
                    for j in 0..lons {
                        let lat = lat0 + i as f64 * step_deg;
                        let lon = lon0 + j as f64 * step_deg;
                        let t = h as f64 * 3.0;
                        let z = z0 + 40.0 * ((lat - 38.0) * 0.5).sin() + 5.0 * t / 24.0;
                        let u = 3.0
                            + 0.0022 * z0
                            + 2.0 * ((lon - 126.0) * 0.4).sin()
                            + 1.5 * (t / 12.0).cos();
                        let v = 2.0 + 0.0009 * z0 * ((lat - 36.0) * 0.3).cos() - 0.2 * t
                            + 1.0 * ((lon - 124.0) * 0.7).cos();
                        let base = (((h * levels + k) * 3) * lats + i) * lons + j;
                        data[base] = z as f32;
                        data[base + lats * lons] = u as f32;
                        data[base + 2 * lats * lons] = v as f32;
                    }
                }
            }
        }
        TawhiriLayout {
            data,
            hours,
            levels,
            lats,
            lons,
            lat0,
            lon0,
            step_deg,
            hour_s: 3.0 * 3600.0,
        }
    }

    fn at(&self, h: usize, k: usize, var: usize, i: usize, j: usize) -> f64 {
        self.data[((((h * self.levels + k) * 3 + var) * self.lats + i) * self.lons) + j] as f64
    }
}

impl WindField for TawhiriLayout {
    fn wind(&self, t: f64, lat: f64, lon: f64, alt_m: f64) -> Result<Wind, OutOfDomain> {
        let ood = |axis| OutOfDomain {
            axis,
            t_unix_s: t,
            lat,
            lon,
            alt_m,
        };
        let fh = (t - T0) / self.hour_s;
        let fi = (lat - self.lat0) / self.step_deg;
        let fj = (lon - self.lon0) / self.step_deg;
        if !(fh >= 0.0 && fh < (self.hours - 1) as f64) {
            return Err(ood(Axis::Time));
        }
        if !(fi >= 0.0 && fi < (self.lats - 1) as f64) {
            return Err(ood(Axis::Latitude));
        }
        if !(fj >= 0.0 && fj < (self.lons - 1) as f64) {
            return Err(ood(Axis::Longitude));
        }
        let (h, i, j) = (fh as usize, fi as usize, fj as usize);
        let (wh, wi, wj) = (fh - h as f64, fi - i as f64, fj - j as f64);
        let tri = |k: usize, var: usize| {
            let mut s = 0.0;
            for (dh, ah) in [(0, 1.0 - wh), (1, wh)] {
                for (di, ai) in [(0, 1.0 - wi), (1, wi)] {
                    for (dj, aj) in [(0, 1.0 - wj), (1, wj)] {
                        s += ah * ai * aj * self.at(h + dh, k, var, i + di, j + dj);
                    }
                }
            }
            s
        };
        // Highest level whose height is below alt (clamped so that two levels bracket it).
        let mut k = 0;
        while k + 2 < self.levels && tri(k + 1, 0) <= alt_m {
            k += 1;
        }
        let (z_lo, z_hi) = (tri(k, 0), tri(k + 1, 0));
        let w = if z_hi == z_lo {
            0.5
        } else {
            (z_hi - alt_m) / (z_hi - z_lo)
        };
        let u = w * tri(k, 1) + (1.0 - w) * tri(k + 1, 1);
        let v = w * tri(k, 2) + (1.0 - w) * tri(k + 1, 2);
        Ok(Wind {
            u_m_s: u,
            v_m_s: v,
            density_kg_m3: isa::density_kg_m3(alt_m),
        })
    }

    fn coverage(&self) -> Coverage {
        Coverage {
            time_start_unix_s: T0,
            time_end_unix_s: T0 + (self.hours - 1) as f64 * self.hour_s,
            steady: false,
            lat_min: self.lat0,
            lat_max: self.lat0 + (self.lats - 1) as f64 * self.step_deg,
            lon_min: self.lon0,
            lon_max: self.lon0 + (self.lons - 1) as f64 * self.step_deg,
            alt_max_m: 16_000.0,
        }
    }
}

/// Tawhiri's solver as tawhiri.md §1-2 describes it, written independently: fixed 60 s RK4,
/// termination tested at each step's end, then bisection on the straight line between the
/// two states to 1 % of a step, keeping the first point where the terminator is true.
fn tawhiri_reference(field: &TawhiriLayout, ascent: f64, burst: f64, descent: f64) -> [f64; 4] {
    let f = |y: [f64; 4], up: bool| -> [f64; 4] {
        let w = field
            .wind(y[0], y[1], y[2], y[3])
            .expect("reference stays in the field");
        let r = 6_371_009.0 + y[3];
        let dlat = 180.0 / std::f64::consts::PI * w.v_m_s / r;
        let dlng = 180.0 / std::f64::consts::PI * w.u_m_s / (r * y[1].to_radians().cos());
        let dalt = if up {
            ascent
        } else {
            -(1.1045 * descent) / rho_ref(y[3]).sqrt()
        };
        [1.0, dlat, dlng, dalt]
    };
    let add = |y: [f64; 4], k: [f64; 4], s: f64| {
        [
            y[0] + s * k[0],
            y[1] + s * k[1],
            y[2] + s * k[2],
            y[3] + s * k[3],
        ]
    };
    let mut y = [T0, PAJU.0, PAJU.1, 0.0];
    for up in [true, false] {
        let done = |y: [f64; 4]| if up { y[3] >= burst } else { y[3] <= 0.0 };
        let dt = 60.0;
        loop {
            let k1 = f(y, up);
            let k2 = f(add(y, k1, dt / 2.0), up);
            let k3 = f(add(y, k2, dt / 2.0), up);
            let k4 = f(add(y, k3, dt), up);
            let mut k = [0.0; 4];
            for i in 0..4 {
                k[i] = (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]) / 6.0;
            }
            let y2 = add(y, k, dt);
            if done(y2) {
                let (mut lo, mut hi) = (0.0, 1.0);
                while hi - lo > 0.01 {
                    let mid = 0.5 * (lo + hi);
                    let ym = [0, 1, 2, 3].map(|i| (1.0 - mid) * y[i] + mid * y2[i]);
                    if done(ym) { hi = mid } else { lo = mid }
                }
                y = [0, 1, 2, 3].map(|i| (1.0 - hi) * y[i] + hi * y2[i]);
                break;
            }
            y = y2;
        }
    }
    y
}

#[test]
fn p0_lands_where_tawhiris_model_lands_on_a_tawhiri_layout_field() {
    let field = TawhiriLayout::new();
    for (ascent, burst, descent) in [
        (5.0, 10_000.0, 5.0),
        (3.0, 6_000.0, 7.0),
        (6.0, 14_000.0, 4.0),
    ] {
        let reference = tawhiri_reference(&field, ascent, burst, descent);
        let pred = predict(
            &field,
            &FlatEarth,
            &standard(ascent, burst, descent),
            launch(),
        )
        .unwrap();
        let l = pred.landings[pred.primary];
        assert_eq!(l.outcome, Outcome::Ground);
        let miss = distance_km(reference[1], reference[2], l.point.lat, l.point.lon);
        let travel = distance_km(PAJU.0, PAJU.1, reference[1], reference[2]);
        assert!(
            travel > 20.0,
            "the test field should move the balloon ({travel} km)"
        );
        assert!(
            miss < 1.0,
            "{ascent}/{burst}/{descent}: {miss} km from tawhiri's model (travel {travel} km)"
        );
        assert!((l.point.t_unix_s - reference[0]).abs() < 60.0);
    }
}

#[test]
fn a_launch_outside_the_field_is_an_error_and_leaving_it_is_an_outcome() {
    let field = TawhiriLayout::new();
    let mut l = launch();
    l.lat = 50.0;
    let err = predict(&field, &FlatEarth, &standard(5.0, 10_000.0, 5.0), l).unwrap_err();
    assert!(err.to_string().contains("outside the forecast"), "{err}");
    // A slow, high flight drifts east out of the 10° field.
    let pred = predict(&field, &FlatEarth, &standard(1.0, 15_000.0, 1.0), launch()).unwrap();
    let outcome = pred.landings[pred.primary].outcome;
    assert!(
        matches!(outcome, Outcome::LeftDomain | Outcome::ForecastEnded),
        "{outcome:?}"
    );
}

/// Wind constant within 1,000-ft layers, turning with height.
struct Layered;

const LAYER_M: f64 = 304.8;

fn layer_wind(alt_m: f64) -> (f64, f64) {
    let k = (alt_m.max(0.0) / LAYER_M).floor();
    let speed = 4.0 + 1.5 * k;
    let dir = (20.0 * k).to_radians();
    (speed * dir.cos(), speed * dir.sin())
}

impl WindField for Layered {
    fn wind(&self, _t: f64, _lat: f64, _lon: f64, alt_m: f64) -> Result<Wind, OutOfDomain> {
        let (u, v) = layer_wind(alt_m);
        Ok(Wind {
            u_m_s: u,
            v_m_s: v,
            density_kg_m3: isa::density_kg_m3(alt_m),
        })
    }
    fn coverage(&self) -> Coverage {
        UniformWind {
            u_m_s: 0.0,
            v_m_s: 0.0,
        }
        .coverage()
    }
}

#[test]
fn leaflet_drift_matches_the_gta_33_01_003_layer_sum() {
    // Leaflets released at 9,000 ft (the top of the autorotating tables) at 0.76 m/s.
    let release_m = 9.0 * LAYER_M;
    let v0 = 0.76;
    // GTA method: per layer, drift = layer wind × time in layer; time from the layer's fall
    // speed (v0 scaled by sqrt(ρ0/ρ) at mid-layer, as the table factors shrink with height).
    let (mut east, mut north) = (0.0, 0.0);
    for k in 0..9 {
        let mid = (k as f64 + 0.5) * LAYER_M;
        let v = v0 * (isa::RHO0_KG_M3 / isa::density_kg_m3(mid)).sqrt();
        let hours_factor = LAYER_M / v;
        let (u, w) = layer_wind(mid);
        east += u * hours_factor;
        north += w * hours_factor;
    }
    let want_km = (east * east + north * north).sqrt() / 1000.0;
    let mut profile = Profile::preset("slack-tube").unwrap();
    profile.payload = Payload::Leaflets {
        v0_m_s: v0,
        sigma_ln: 0.0,
        particles: 1,
        turbulence_m_s: 0.0,
        turbulence_tau_s: 600.0,
    };
    profile.particle_step_s = 60.0;
    // Fly the fall alone: a standard profile would add the ascent, so use the fall directly.
    let from = Point {
        t_unix_s: T0,
        lat: PAJU.0,
        lon: PAJU.1,
        alt_m: release_m,
    };
    let model = saebaram_flight::models::Motion {
        field: &Layered,
        vertical: saebaram_flight::models::Vertical::Fall(v0),
        noise: None,
        turbulence: None,
        floating: false,
    };
    let end = saebaram_flight::integrate::fly_stage(
        &model,
        &[saebaram_flight::integrate::Term::Ground],
        from,
        60.0,
        &FlatEarth,
        None,
    )
    .point();
    let got_km = distance_km(PAJU.0, PAJU.1, end.lat, end.lon);
    assert!(want_km > 15.0, "layer sum {want_km} km");
    assert!(
        (got_km - want_km).abs() / want_km < 0.05,
        "model {got_km} km vs layer sum {want_km} km"
    );
    // Direction too: compare the bearing of the drift vector.
    let dn = (end.lat - PAJU.0).to_radians() * 6_371_009.0;
    let de = (end.lon - PAJU.1).to_radians() * 6_371_009.0 * PAJU.0.to_radians().cos();
    let angle = (dn.atan2(de) - north.atan2(east)).abs();
    assert!(angle < 0.05, "direction off by {angle} rad");
}

fn sealed(lift: Lift) -> Balloon {
    Balloon {
        lift,
        ..Balloon::default()
    }
}

#[test]
fn a_sealed_tube_bursts_at_the_density_ratio_ceiling_plus_overshoot() {
    let calm = UniformWind {
        u_m_s: 0.0,
        v_m_s: 0.0,
    };
    let b = Balloon {
        area_m2: None,
        ..sealed(Lift::FreeLiftKg(1.5))
    };
    let mut profile = Profile::preset("ffnk-tube").unwrap();
    profile.carrier = Carrier::Balloon(b);
    let setup = setup_balloon(&calm, &b, &Draw::nominal(&profile, launch())).unwrap();
    // ρ(ceiling)/ρ0 = V_launch/V_max.
    let ratio = isa::density_kg_m3(setup.ceiling_m) / isa::density_kg_m3(0.0);
    assert!((ratio - setup.fill_m3 / b.v_max_m3).abs() < 1e-6, "{ratio}");
    // 14.5 kg gross lift of H2 at 1.225 kg/m³ is 12.7 m³: ratio 0.64, about 4.5 km.
    assert!((setup.fill_m3 - 14.5 / (1.225 * Gas::Hydrogen.buoyancy())).abs() < 0.01);
    assert!(
        (4_000.0..5_000.0).contains(&setup.ceiling_m),
        "{}",
        setup.ceiling_m
    );
    let pred = predict(&calm, &FlatEarth, &profile, launch()).unwrap();
    let burst = pred.events.iter().find(|e| e.kind == "burst").unwrap();
    assert!((burst.point.alt_m - setup.ceiling_m - 150.0).abs() < 0.1);
    // The 3 h timer never fires: the sack falls whole with the envelope.
    assert!(pred.events.iter().all(|e| e.kind != "release"));
    assert!(
        pred.warnings.iter().any(|w| w.contains("lands with it")),
        "{:?}",
        pred.warnings
    );
    assert_eq!(pred.landings[pred.primary].payload, PayloadClass::Envelope);
}

#[test]
fn a_vented_tube_floats_where_the_spec_says() {
    let calm = UniformWind {
        u_m_s: 0.0,
        v_m_s: 0.0,
    };
    // Spec: V_max 20 m³ and 12 kg total → 6.2 km; 14 m³/12 kg → 2.9 km.
    for (v_max, payload, want) in [(20.0, 9.0, 6_200.0), (14.0, 9.0, 2_900.0)] {
        let b = Balloon {
            envelope: Envelope::Vented,
            v_max_m3: v_max,
            payload_kg: payload,
            lift: Lift::FreeLiftKg(1.0),
            ..Balloon::default()
        };
        let mut profile = Profile::preset("slack-tube").unwrap();
        profile.carrier = Carrier::Balloon(b);
        let setup = setup_balloon(&calm, &b, &Draw::nominal(&profile, launch())).unwrap();
        assert!(
            (setup.top_m - want).abs() < 150.0,
            "{v_max} m³: float at {} m",
            setup.top_m
        );
        let pred = predict(&calm, &FlatEarth, &profile, launch()).unwrap();
        let start = pred
            .events
            .iter()
            .find(|e| e.kind == "float_start")
            .unwrap();
        assert!((start.point.alt_m - setup.top_m).abs() < 40.0);
        match pred.events.iter().find(|e| e.kind == "release") {
            Some(release) => {
                assert!((release.point.t_unix_s - T0 - 3.0 * 3600.0).abs() < 0.01);
                // Leaking, it has sunk below the float altitude by the time the timer fires.
                assert!(release.point.alt_m < start.point.alt_m - 100.0);
            }
            // The low float leaks to the ground before 3 h: the payload lands with it.
            None => {
                assert_eq!(v_max, 14.0);
                assert_eq!(pred.landings[pred.primary].payload, PayloadClass::Envelope);
                assert!(pred.landings[pred.primary].point.t_unix_s < T0 + 3.0 * 3600.0);
            }
        }
    }
}

#[test]
fn an_impossible_balloon_says_why() {
    let calm = UniformWind {
        u_m_s: 0.0,
        v_m_s: 0.0,
    };
    let mut profile = Profile::preset("ffnk-tube").unwrap();
    // 10 m³ of H2 lifts 11.4 kg; envelope and payload weigh 13 kg.
    profile.carrier = Carrier::Balloon(sealed(Lift::FillM3(10.0)));
    let err = predict(&calm, &FlatEarth, &profile, launch())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("free lift is -1.6 kg: this balloon will not rise"),
        "{err}"
    );
    profile.carrier = Carrier::Balloon(sealed(Lift::FillM3(25.0)));
    let err = predict(&calm, &FlatEarth, &profile, launch())
        .unwrap_err()
        .to_string();
    assert!(err.contains("envelope holds 20.0"), "{err}");
}

#[test]
fn ascent_rate_input_gives_that_ascent_rate() {
    let calm = UniformWind {
        u_m_s: 0.0,
        v_m_s: 0.0,
    };
    let b = sealed(Lift::AscentMS(3.5));
    let profile = Profile {
        carrier: Carrier::Balloon(b),
        ..Profile::preset("ffnk-tube").unwrap()
    };
    let setup = setup_balloon(&calm, &b, &Draw::nominal(&profile, launch())).unwrap();
    assert!((setup.ascent_m_s - 3.5).abs() < 1e-6);
    assert!(
        setup.free_lift_kg > 0.5 && setup.free_lift_kg < 3.0,
        "{}",
        setup.free_lift_kg
    );
}

fn run_json(threads: usize) -> String {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let field = TawhiriLayout::new();
        let mut profile = Profile::preset("slack-tube").unwrap();
        if let Payload::Leaflets {
            ref mut particles, ..
        } = profile.payload
        {
            *particles = 20;
        }
        let spec = EnsembleSpec::new(24, 42, T0);
        let launches = [
            launch(),
            Point {
                t_unix_s: T0 + 3600.0,
                ..launch()
            },
        ];
        let runs = run_windows(&field, &FlatEarth, &profile, &spec, &launches, &|| {}).unwrap();
        format!("{runs:?}")
    })
}

#[test]
fn the_same_seed_gives_identical_ensembles_on_one_and_two_threads() {
    let one = run_json(1);
    assert_eq!(one, run_json(2));
    assert!(one.contains("Leaflets"));
}

#[test]
fn ensemble_statistics_add_up_and_members_zero_is_refused() {
    let wind = UniformWind {
        u_m_s: 0.0,
        v_m_s: 5.0,
    };
    let profile = Profile::preset("usb-packets").unwrap();
    let spec = EnsembleSpec::new(400, 1, T0);
    let run = run_window(&wind, &FlatEarth, &profile, &spec, 0, launch()).unwrap();
    let stats = window_stats(
        &run,
        &|lat, _| {
            if lat > 38.3 {
                LandClass::North
            } else {
                LandClass::South
            }
        },
        &|lat, _| f64::from(u8::from(lat > 38.5)),
    );
    let total = stats.p_north + stats.p_south + stats.p_dmz + stats.p_sea + stats.p_other;
    assert!((total - 1.0).abs() < 1e-9);
    // A 5 m/s southerly for 3 h carries the packets ~55 km north of Paju (38.4°N+); members
    // that sink early (leaks up to 3 %/h) or whose timer fails land short: about half get
    // past 38.3°N. 400 members keep the share's noise to ±2.5 %.
    assert!(stats.p_north > 0.4, "{stats:?}");
    assert!(stats.median_distance_km > 30.0 && stats.p90_distance_km >= stats.median_distance_km);
    let err = run_window(
        &wind,
        &FlatEarth,
        &profile,
        &EnsembleSpec::new(0, 1, T0),
        0,
        launch(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("members = 0"));
}

/// A vented tube that neither leaks nor drops anything, launched in calm air at `t`.
fn floater(superheat_k: f64) -> (Profile, Balloon) {
    let b = Balloon {
        envelope: Envelope::Vented,
        leak_pct_h: 0.0,
        superheat_k,
        ..Balloon::default()
    };
    let mut p = Profile::preset("slack-tube").unwrap();
    p.carrier = Carrier::Balloon(b);
    p.release = Release::None;
    p.max_flight_h = 20.0;
    (p, b)
}

/// Where a vented envelope of `m` kg floats in full sun with `dt_k` of superheat (ISA):
/// V_max·ρ·(s + b)/(1 + s) = m, s = ΔT/T(h).
fn day_float_m(b: &Balloon, m: f64, dt_k: f64) -> f64 {
    let buoy = b.gas.buoyancy();
    let lift = |h: f64| {
        let s = dt_k / isa::temperature_k(h);
        b.v_max_m3 * isa::density_kg_m3(h) * (s + buoy) / (1.0 + s) - m
    };
    let (mut lo, mut hi) = (0.0, 15_000.0);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if lift(mid) > 0.0 { lo = mid } else { hi = mid }
    }
    0.5 * (lo + hi)
}

#[test]
fn day_superheat_lifts_the_float_and_the_balloon_sinks_after_sunset() {
    let calm = UniformWind {
        u_m_s: 0.0,
        v_m_s: 0.0,
    };
    // 2019-06-21 01:00 UTC (10:00 at Paju): sun up until about 11:00 UTC.
    let t = 1_561_075_200.0 + 3600.0;
    let start = Point {
        t_unix_s: t,
        ..launch()
    };
    let (cold, _) = floater(0.0);
    let (warm, b) = floater(10.0);
    let m = b.envelope_kg + b.payload_kg;
    let pred_cold = predict(&calm, &FlatEarth, &cold, start).unwrap();
    let pred_warm = predict(&calm, &FlatEarth, &warm, start).unwrap();
    let alt_at = |pred: &Prediction, when: f64| {
        pred.stages
            .iter()
            .flat_map(|s| s.points.iter())
            .rfind(|p| p.t_unix_s <= when)
            .unwrap()
            .alt_m
    };
    // Without superheat or leak it floats at the §2 altitude all day and night.
    let cold_float = pred_cold.balloon.unwrap().top_m;
    let cold_alt = alt_at(&pred_cold, t + 5.0 * 3600.0);
    assert!(
        (cold_alt - cold_float).abs() < 35.0,
        "{cold_alt} vs {cold_float}"
    );
    assert_eq!(pred_cold.landings[0].outcome, Outcome::MaxTime);
    // In full sun (14:00 local) it floats where V_max·ρ·(s+b)/(1+s) = m.
    let want = day_float_m(&b, m, 10.0);
    let noon = alt_at(&pred_warm, t + 4.0 * 3600.0);
    assert!(want > cold_float + 10.0, "{want} vs {cold_float}");
    assert!((noon - want).abs() < 10.0, "{noon} vs {want}");
    // As the sun sets the gas cools and what the sun vented is missing: with the gas left
    // at the full-sun float, A = V_max·ρ_f/(1+s_f), the lift is A·(b + s) − m (s the
    // superheat left, 0 after dark) and the balloon sinks at sqrt(2·g·|L|/(ρ·Cd·A)) until it
    // lands, in the evening. After dark that deficit is m·s_f/(s_f+b).
    // The gas was last vented at the last point in full sun (metres from `want`).
    let h_vent = pred_warm
        .stages
        .iter()
        .flat_map(|st| st.points.iter())
        .rfind(|p| sun::superheat_share(p.t_unix_s, p.lat, p.lon) == 1.0)
        .unwrap()
        .alt_m;
    assert!((h_vent - want).abs() < 10.0, "{h_vent} vs {want}");
    let s_f = 10.0 / isa::temperature_k(h_vent);
    let gas = b.v_max_m3 * isa::density_kg_m3(h_vent) / (1.0 + s_f);
    let pts: Vec<&Point> = pred_warm
        .stages
        .iter()
        .flat_map(|st| st.points.iter())
        .filter(|p| p.t_unix_s > t + 6.0 * 3600.0 && p.alt_m < want - 300.0 && p.alt_m > 300.0)
        .collect();
    assert!(pts.len() > 10, "sinks in the evening");
    let mut checked = 0;
    for w in pts.windows(2) {
        let (a, c) = (w[0], w[1]);
        let v = (a.alt_m - c.alt_m) / (c.t_unix_s - a.t_unix_s);
        let h = 0.5 * (a.alt_m + c.alt_m);
        let tm = 0.5 * (a.t_unix_s + c.t_unix_s);
        let s = 10.0 * sun::superheat_share(tm, a.lat, a.lon) / isa::temperature_k(h);
        let lift = gas * (b.gas.buoyancy() + s) - m;
        if lift > -0.2 {
            continue; // a small difference of large numbers: metres of venting matter
        }
        let rho = isa::density_kg_m3(h);
        let v_want = (2.0 * 9.806_65 * -lift / (rho * b.cd * b.area_m2.unwrap())).sqrt();
        assert!((v - v_want).abs() < 0.01 * v_want, "{h} m: {v} vs {v_want}");
        checked += 1;
    }
    assert!(checked > 10);
    let night_deficit = m * s_f / (s_f + b.gas.buoyancy());
    assert!((gas * b.gas.buoyancy() - m + night_deficit).abs() < 0.02);
    let landing = pred_warm.landings[pred_warm.primary];
    assert_eq!(landing.outcome, Outcome::Ground);
    assert!(
        landing.point.t_unix_s > t + 9.5 * 3600.0 && landing.point.t_unix_s < t + 13.0 * 3600.0
    );
    // It lands with its payload: a heavy intact fall.
    assert_eq!(landing.heavy.unwrap().why, HeavyWhy::Tied);
}

#[test]
fn superheat_does_nothing_at_night() {
    let calm = UniformWind {
        u_m_s: 0.0,
        v_m_s: 0.0,
    };
    // 2019-06-05 12:00 UTC is 21:00 at Paju: six hours of night.
    let start = Point {
        t_unix_s: T0 + 12.0 * 3600.0,
        ..launch()
    };
    let (mut cold, _) = floater(0.0);
    let (mut warm, _) = floater(10.0);
    cold.max_flight_h = 6.0;
    warm.max_flight_h = 6.0;
    let a = predict(&calm, &FlatEarth, &cold, start).unwrap();
    let b = predict(&calm, &FlatEarth, &warm, start).unwrap();
    let last = |p: &Prediction| *p.stages.last().unwrap().points.last().unwrap();
    // The same flight: the 10-minute segments only restart the steps and vent what a
    // restart's overshoot carried above the float (metres).
    assert!(
        (last(&a).alt_m - last(&b).alt_m).abs() < 5.0,
        "{:?} vs {:?}",
        last(&a),
        last(&b)
    );
    assert_eq!(last(&a).t_unix_s, last(&b).t_unix_s);
}

#[test]
fn heavy_intact_falls_are_classified_by_mass_and_speed() {
    let calm = UniformWind {
        u_m_s: 0.0,
        v_m_s: 0.0,
    };
    // The sealed tube bursts before its timer: 13 kg fall whole at ~14.6 m/s.
    let p = Profile::preset("ffnk-tube").unwrap();
    let pred = predict(&calm, &FlatEarth, &p, launch()).unwrap();
    let h = pred.landings[pred.primary].heavy.unwrap();
    assert_eq!(h.why, HeavyWhy::Tied);
    assert!((h.mass_kg.unwrap() - 13.0).abs() < 1e-9);
    assert!((h.fall_m_s.unwrap() - (2.0 * 13.0 * 9.806_65 / 1.225f64).sqrt()).abs() < 1e-9);
    // The vented sack preset releases its 10 kg sack at 12 m/s: heavy; packets at 7 m/s and
    // leaflets are not.
    let mut sack = Profile::preset("usb-packets").unwrap();
    sack.payload = Payload::Bundle { v0_m_s: 12.0 };
    for (profile, heavy) in [
        (sack, true),
        (Profile::preset("usb-packets").unwrap(), false),
        (Profile::preset("slack-tube").unwrap(), false),
    ] {
        let pred = predict(&calm, &FlatEarth, &profile, launch()).unwrap();
        let released: Vec<&Landing> = pred
            .landings
            .iter()
            .filter(|l| l.payload != PayloadClass::Envelope)
            .collect();
        assert!(!released.is_empty(), "{}", profile.name);
        for l in released {
            assert_eq!(l.heavy.is_some(), heavy, "{}: {l:?}", profile.name);
            if let Some(h) = l.heavy {
                assert_eq!(h.why, HeavyWhy::Fast);
                assert!((h.mass_kg.unwrap() - 10.0).abs() < 1e-9);
            }
        }
    }
    // Thresholds: 1 kg and 10 m/s.
    assert!(HeavyFall::released(Some(0.99), 20.0).is_none());
    assert!(HeavyFall::released(Some(1.0), 9.99).is_none());
    assert!(HeavyFall::released(Some(1.0), 10.0).is_some());
    assert!(HeavyFall::released(None, 10.0).is_some());
    assert!(HeavyFall::tied(0.99, 4.0, None).is_none());
    assert!(HeavyFall::tied(1.0, 4.0, None).is_some());
    // A P0 payload on a parachute is not heavy; without one it is.
    let pred = predict(&calm, &FlatEarth, &standard(5.0, 3000.0, 5.0), launch()).unwrap();
    assert!(pred.landings[0].heavy.is_none());
    let pred = predict(&calm, &FlatEarth, &standard(5.0, 3000.0, 12.0), launch()).unwrap();
    assert!(pred.landings[0].heavy.is_some());
}
