//! Ascents that meet terrain, balloon searches that stay inside the forecast, and ensembles
//! that fill like a crew (the measured free lift perturbed, the fill derived from it).

use saebaram_flight::flight::setup_balloon;
use saebaram_flight::*;
use saebaram_forecast::{Axis, Coverage, Forecast, OutOfDomain, UniformWind, Wind, WindField, isa};

const T0: f64 = 1_559_692_800.0; // 2019-06-05T00:00Z

fn launch(alt_m: f64) -> Point {
    Point {
        t_unix_s: T0,
        lat: 37.89,
        lon: 126.74,
        alt_m,
    }
}

/// A ridge east of the launch: the ground rises linearly from 0 m at 2 km east to 3,000 m
/// at 6 km east (0.75 m per metre), then stays; land everywhere. `base_m` lifts it all.
struct Ridge {
    base_m: f64,
}

impl Ridge {
    fn east_m(lon: f64) -> f64 {
        (lon - 126.74).to_radians() * 6_371_009.0 * 37.89f64.to_radians().cos()
    }
}

impl Surface for Ridge {
    fn ground_m(&self, _lat: f64, lon: f64) -> f64 {
        self.base_m + (0.75 * (Self::east_m(lon) - 2_000.0)).clamp(0.0, 3_000.0)
    }
    fn is_sea(&self, _lat: f64, _lon: f64) -> Option<bool> {
        Some(false)
    }
}

const EAST_10: UniformWind = UniformWind {
    u_m_s: 10.0,
    v_m_s: 0.0,
};

fn standard(ascent: f64, burst: f64) -> Profile {
    let mut p = Profile::preset("standard").unwrap();
    p.carrier = Carrier::Standard(Standard {
        ascent_m_s: ascent,
        burst_alt_m: burst,
        descent_m_s: 5.0,
    });
    p
}

#[test]
fn an_ascent_into_a_ridge_ends_on_it() {
    // Rising 2 m/s while drifting 10 m/s east, the balloon meets the 0.75 slope where
    // 2t = 0.75·(10t − 2000): t = 272.7 s, 2,727 m east, 545 m up.
    let pred = predict(
        &EAST_10,
        &Ridge { base_m: 0.0 },
        &standard(2.0, 10_000.0),
        launch(0.0),
    )
    .unwrap();
    let l = pred.landings[pred.primary];
    assert_eq!(l.outcome, Outcome::HitTerrainAscending);
    assert_eq!(l.outcome.as_str(), "hit_terrain_during_ascent");
    assert_eq!(l.outcome.label(), "hit terrain during ascent");
    assert!(l.outcome.on_land() && l.outcome.came_down());
    let t = 1500.0 / 5.5;
    // (Within a second: the integrator's sphere grows with altitude, the ridge's is flat.)
    assert!(
        (l.point.t_unix_s - T0 - t).abs() < 1.0,
        "{}",
        l.point.t_unix_s - T0
    );
    assert!((l.point.alt_m - 2.0 * t).abs() < 2.0, "{}", l.point.alt_m);
    // On the ridge: its altitude is the ground's there.
    let ground = Ridge { base_m: 0.0 }.ground_m(l.point.lat, l.point.lon);
    assert!(
        (l.point.alt_m - ground).abs() < 1.5,
        "{} vs {ground}",
        l.point.alt_m
    );
    assert!((Ridge::east_m(l.point.lon) - 10.0 * t).abs() < 10.0);
    // No burst, no descent: it never got that high.
    assert!(pred.events.iter().all(|e| e.kind != "burst"));
    assert_eq!(pred.stages.len(), 1);
}

#[test]
fn a_sealed_tube_that_meets_a_ridge_lands_there_with_its_sack() {
    // The ffnk tube rises ~3.5 m/s: 2t·... it meets the slope well below its 4.5 km ceiling
    // and its 3 h timer, so it comes down there whole: a heavy intact fall.
    let profile = Profile::preset("ffnk-tube").unwrap();
    let pred = predict(&EAST_10, &Ridge { base_m: 0.0 }, &profile, launch(0.0)).unwrap();
    let l = pred.landings[pred.primary];
    assert_eq!(l.outcome, Outcome::HitTerrainAscending);
    assert_eq!(l.payload, PayloadClass::Envelope);
    assert_eq!(l.fraction, 1.0);
    let heavy = l
        .heavy
        .expect("the envelope with its 10 kg is a heavy intact fall");
    assert_eq!(heavy.why, HeavyWhy::Tied);
    let ground = Ridge { base_m: 0.0 }.ground_m(l.point.lat, l.point.lon);
    assert!((l.point.alt_m - ground).abs() < 1.5);
    assert!(
        l.point.alt_m > 100.0 && l.point.alt_m < 3_000.0,
        "{}",
        l.point.alt_m
    );
}

#[test]
fn a_launch_a_little_below_the_terrain_model_still_rises() {
    // The site's elevation says 15 m, the terrain model 40 m: the ascent starts, and a
    // balloon over flat ground climbs to its burst.
    let flat_40 = FlatAt(40.0);
    let pred = predict(
        &UniformWind {
            u_m_s: 0.0,
            v_m_s: 0.0,
        },
        &flat_40,
        &standard(5.0, 3_000.0),
        launch(15.0),
    )
    .unwrap();
    assert!(pred.events.iter().any(|e| e.kind == "burst"));
    assert_eq!(pred.landings[pred.primary].outcome, Outcome::Ground);
    assert!((pred.landings[pred.primary].point.alt_m - 40.0).abs() < 0.01);
}

struct FlatAt(f64);
impl Surface for FlatAt {
    fn ground_m(&self, _lat: f64, _lon: f64) -> f64 {
        self.0
    }
}

/// ISA densities and calm air up to `top_m`, nothing above; nothing after `t_end`.
struct Capped {
    top_m: f64,
    t_end: f64,
}

impl WindField for Capped {
    fn wind(&self, t: f64, lat: f64, lon: f64, alt_m: f64) -> Result<Wind, OutOfDomain> {
        let axis = if alt_m > self.top_m {
            Some(Axis::Altitude)
        } else if t > self.t_end {
            Some(Axis::Time)
        } else {
            None
        };
        match axis {
            Some(axis) => Err(OutOfDomain {
                axis,
                t_unix_s: t,
                lat,
                lon,
                alt_m,
            }),
            None => Ok(Wind {
                u_m_s: 0.0,
                v_m_s: 0.0,
                density_kg_m3: isa::density_kg_m3(alt_m),
            }),
        }
    }
    fn coverage(&self) -> Coverage {
        Coverage {
            time_start_unix_s: f64::NEG_INFINITY,
            time_end_unix_s: self.t_end,
            steady: false,
            lat_min: -90.0,
            lat_max: 90.0,
            lon_min: -180.0,
            lon_max: 180.0,
            alt_max_m: self.top_m,
        }
    }
}

#[test]
fn a_ceiling_or_float_above_the_forecast_is_an_error_not_the_standard_atmosphere() {
    // The ffnk tube's ceiling is near 4.4 km; the slack tube's gas fills it there too and it
    // floats near 5.5 km.
    for (preset, what, top) in [
        ("ffnk-tube", "ceiling", 3_000.0),
        ("slack-tube", "ceiling", 3_000.0),
        ("slack-tube", "float altitude", 5_000.0),
    ] {
        let profile = Profile::preset(preset).unwrap();
        let Carrier::Balloon(b) = profile.carrier else {
            unreachable!()
        };
        let low = Capped {
            top_m: top,
            t_end: f64::INFINITY,
        };
        let err = setup_balloon(&low, &b, &Draw::nominal(&profile, launch(0.0))).unwrap_err();
        assert_eq!(
            err,
            FlightError::AboveForecast {
                what,
                top_m: match err {
                    FlightError::AboveForecast { top_m, .. } => top_m,
                    _ => f64::NAN,
                }
            },
            "{preset}"
        );
        let text = err.to_string();
        assert!(
            text.contains(&format!("balloon's {what} is above the forecast's top")),
            "{text}"
        );
        // The top is found to a metre.
        assert!(
            text.contains(&format!("({top:.0} m over the launch)")),
            "{text}"
        );
        assert!(predict(&low, &FlatEarth, &profile, launch(0.0)).is_err());
        // With the column high enough, the same balloon is fine.
        let high = Capped {
            top_m: 9_000.0,
            t_end: f64::INFINITY,
        };
        assert!(setup_balloon(&high, &b, &Draw::nominal(&profile, launch(0.0))).is_ok());
        // A launch after the forecast's end is an error too (time).
        let ended = Capped {
            top_m: 9_000.0,
            t_end: T0 - 1.0,
        };
        let err = setup_balloon(&ended, &b, &Draw::nominal(&profile, launch(0.0))).unwrap_err();
        assert!(matches!(err, FlightError::LaunchOutside(_)), "{err}");
    }
}

#[test]
fn a_crew_fills_to_the_measured_free_lift_whatever_the_masses() {
    let calm = UniformWind {
        u_m_s: 0.0,
        v_m_s: 0.0,
    };
    let profile = Profile::preset("ffnk-tube").unwrap();
    let Carrier::Balloon(b) = profile.carrier else {
        unreachable!()
    };
    for (mass_factor, ascent_factor) in [(1.0, 1.0), (1.15, 1.0), (0.85, 0.8), (1.2, 1.25)] {
        let draw = Draw {
            mass_factor,
            ascent_factor,
            // A fill factor belongs to fills given as volumes: it changes nothing here.
            fill_factor: 0.8,
            ..Draw::nominal(&profile, launch(0.0))
        };
        let s = setup_balloon(&calm, &b, &draw).unwrap();
        assert!((s.free_lift_kg - 1.5 * ascent_factor).abs() < 1e-9, "{s:?}");
        let gas_air_kg = (13.0 * mass_factor + 1.5 * ascent_factor) / Gas::Hydrogen.buoyancy();
        assert!((s.fill_m3 - gas_air_kg / s.rho_launch).abs() < 1e-9);
    }
    // A fill given as a volume is what the user said: heavier payloads may not rise.
    // 11.8 m³ of H2 at 1.225 kg/m³ lifts 13.44 kg: 0.44 kg of free lift on 13 kg.
    let given = Balloon {
        lift: Lift::FillM3(11.8),
        ..b
    };
    let nominal = setup_balloon(&calm, &given, &Draw::nominal(&profile, launch(0.0))).unwrap();
    assert!(
        nominal.free_lift_kg > 0.0 && nominal.free_lift_kg < 1.0,
        "{nominal:?}"
    );
    let heavier = Draw {
        mass_factor: 1.1,
        ..Draw::nominal(&profile, launch(0.0))
    };
    assert!(matches!(
        setup_balloon(&calm, &given, &heavier),
        Err(FlightError::WillNotRise { .. })
    ));
}

fn balloon_presets() -> Vec<Profile> {
    PRESETS
        .iter()
        .map(|(name, _)| Profile::preset(name).unwrap())
        .filter(|p| matches!(p.carrier, Carrier::Balloon(_)))
        .collect()
}

#[test]
fn with_the_built_in_presets_almost_no_member_cannot_fly() {
    // Every balloon preset, 5,000 members' draws each (launch time ±30 min, 500 m, masses
    // and volume ±5 %, measured free lift ×lognormal 0.10), set up on the embedded sample.
    let forecast = Forecast::embedded().unwrap();
    let presets = balloon_presets();
    assert_eq!(presets.len(), 6);
    let spec = EnsembleSpec::new(5_000, 7, forecast.info().run_unix_s as f64);
    let site = Point {
        t_unix_s: forecast.info().run_unix_s as f64,
        ..launch(15.0)
    };
    for profile in &presets {
        let Carrier::Balloon(b) = &profile.carrier else {
            unreachable!()
        };
        let (mut cannot_fly, mut above) = (0, 0);
        for m in 0..spec.members {
            let draw = member_draw(profile, &spec, 0, m, site);
            match setup_balloon(&forecast, b, &draw) {
                Ok(_) => {}
                Err(FlightError::WillNotRise { .. } | FlightError::Overfilled { .. }) => {
                    cannot_fly += 1
                }
                // The light crok dispenser floats near 7.8 km; a light, big member floats
                // above the sample's 9.5 km top: it flies, but the forecast cannot follow
                // it (unresolved in a plan, not "cannot fly").
                Err(FlightError::AboveForecast { .. }) => above += 1,
                Err(e) => panic!("{}: member {m}: {e}", profile.name),
            }
        }
        eprintln!(
            "{}: {cannot_fly} of {} cannot fly, {above} above the forecast",
            profile.name, spec.members
        );
        let share = f64::from(cannot_fly) / f64::from(spec.members);
        assert!(
            share < 0.005,
            "{}: {:.2} % cannot fly",
            profile.name,
            share * 100.0
        );
        assert!(
            f64::from(above) / f64::from(spec.members) < 0.01,
            "{}: {above} above the forecast",
            profile.name
        );
    }
}

#[test]
fn an_ensemble_of_a_preset_flies_every_member_and_a_thin_user_fill_does_not() {
    let forecast = Forecast::embedded().unwrap();
    let t = forecast.info().run_unix_s as f64;
    let site = Point {
        t_unix_s: t,
        ..launch(15.0)
    };
    let mut profile = Profile::preset("ffnk-tube").unwrap();
    if let Payload::Leaflets {
        ref mut particles, ..
    } = profile.payload
    {
        *particles = 1;
    }
    profile.max_flight_h = 4.0;
    let spec = EnsembleSpec::new(200, 3, t);
    let run = run_window(&forecast, &FlatEarth, &profile, &spec, 0, site).unwrap();
    assert_eq!(
        run.members.iter().filter(|m| m.failure.is_some()).count(),
        0
    );
    // The user's own fill with 0.3 kg of margin: ±5 % on fill and masses ground many.
    let Carrier::Balloon(b) = profile.carrier else {
        unreachable!()
    };
    let rho = forecast
        .wind(t, site.lat, site.lon, site.alt_m)
        .unwrap()
        .density_kg_m3;
    let fill = (13.0 + 0.3) / (Gas::Hydrogen.buoyancy() * rho);
    profile.carrier = Carrier::Balloon(Balloon {
        lift: Lift::FillM3(fill),
        ..b
    });
    let run = run_window(&forecast, &FlatEarth, &profile, &spec, 0, site).unwrap();
    let failed = run.members.iter().filter(|m| m.failure.is_some()).count();
    assert!(failed > 20, "{failed}");
    let m = run.members.iter().find(|m| m.failure.is_some()).unwrap();
    assert!(m.failure.as_deref().unwrap().contains("will not rise"));
}

#[test]
fn day_superheat_is_perturbed_in_ensembles() {
    let mut profile = Profile::preset("slack-tube").unwrap();
    if let Carrier::Balloon(b) = &mut profile.carrier {
        b.superheat_k = 8.0;
    }
    let Carrier::Balloon(b) = profile.carrier else {
        unreachable!()
    };
    let spec = EnsembleSpec::new(4_000, 5, T0);
    let calm = UniformWind {
        u_m_s: 0.0,
        v_m_s: 0.0,
    };
    let ks: Vec<f64> = (0..spec.members)
        .map(|m| {
            let d = member_draw(&profile, &spec, 0, m, launch(0.0));
            setup_balloon(&calm, &b, &d).unwrap().superheat_k
        })
        .collect();
    // Uniform on 8 K × (0.5 .. 1.5): 4-12 K, mean 8, sd 8/√12.
    assert!(ks.iter().all(|&k| (4.0..=12.0).contains(&k)));
    let n = ks.len() as f64;
    let mean = ks.iter().sum::<f64>() / n;
    let sd = (ks.iter().map(|k| (k - mean).powi(2)).sum::<f64>() / n).sqrt();
    assert!((mean - 8.0).abs() < 0.1, "{mean}");
    assert!((sd - 8.0 / 12f64.sqrt()).abs() < 0.08, "{sd}");
    // The nominal flight keeps the profile's value.
    let nominal = setup_balloon(&calm, &b, &Draw::nominal(&profile, launch(0.0))).unwrap();
    assert_eq!(nominal.superheat_k, 8.0);
}
