//! The multi-site sweep of issue 16: every built-in launch site x 120 hourly launch times x
//! 200 members (168,000 flights) of the default `plan` preset (`slack-tube`, 50 leaflet
//! particles per member), as `plan --site all` flies them over a 5-day forecast. Goal: under
//! 10 s on 2 cores (5 s stretch).
//!
//! The forecast is the forecast benches' synthetic 5-day hourly cube at 0.25° over Korea
//! (`saebaram-forecast/benches/support/synthetic.rs`: 20 levels, u/v/gh/t, a realistic size
//! and layout; westerlies of 5-35 m/s varying in time and space), 130 steps so that the
//! last launches' flights stay inside it. The flights end on a flat earth: the plan's
//! ground lookups (terrain, land/sea) are benchmarked in bench/terrain and bench/geo.

use criterion::{Criterion, criterion_group, criterion_main};
use saebaram_flight::*;

#[path = "../../saebaram-forecast/benches/support/synthetic.rs"]
mod synthetic;

/// Launch windows as `plan --site all` makes them: site by site, each window keyed by its
/// time's index.
fn launches(t0: f64, hours: usize) -> Vec<(u64, Point)> {
    saebaram_geo::sites()
        .iter()
        .flat_map(|s| {
            (0..hours).map(move |i| {
                (
                    i as u64,
                    Point {
                        t_unix_s: t0 + 3600.0 * (i as f64 + 1.0),
                        lat: s.lat,
                        lon: s.lon,
                        alt_m: s.elevation_m,
                    },
                )
            })
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let f = synthetic::cube_with_steps(130);
    let t0 = synthetic::T0;
    let mut profile = Profile::preset("slack-tube").expect("preset");
    // `plan`'s default --particles.
    let Payload::Leaflets { particles, .. } = &mut profile.payload else {
        panic!("slack-tube carries leaflets");
    };
    *particles = 50;
    let spec = EnsembleSpec::new(200, 1, t0);
    let windows = launches(t0, 120);
    assert_eq!(windows.len(), 7 * 120);
    let mut g = c.benchmark_group("sweep");
    g.sample_size(10);
    g.bench_function("sites_7x120x200_slack_tube", |b| {
        b.iter(|| {
            let runs = run_indexed_windows(&f, &FlatEarth, &profile, &spec, &windows, &|| {})
                .expect("runs");
            // A fast wrong answer fails: every window flew every member, and they landed.
            assert_eq!(runs.len(), 840);
            let landed = runs
                .iter()
                .flat_map(|r| &r.members)
                .filter(|m| m.landings.iter().any(|l| l.outcome <= Outcome::Sea))
                .count();
            assert!(landed > 840 * 200 * 9 / 10, "{landed} members landed");
            runs
        })
    });
    g.finish();
}

/// Issue 16's "the ensemble plan against the synthetic-error plan on the same windows": one
/// site (Paju), 24 hourly windows x 200 members of `slack-tube` (50 leaflets), (a) over a
/// 51-member ensemble, each Monte-Carlo member flying forecast member `k % 51` with the
/// sub-grid noise only, and (b) over a one-member cube of the same shape with the default
/// synthetic wind error (what `plan` does with a deterministic forecast).
fn ensemble_vs_synthetic(c: &mut Criterion) {
    // +0..+132 h every 3 h: the last windows' flights stay inside.
    let ens = synthetic::ensemble(51, 45, 3);
    let one = synthetic::ensemble(1, 45, 3);
    let members = ens.members().expect("members");
    let fields: Vec<&saebaram_forecast::Member<'_>> = members.iter().collect();
    let t0 = synthetic::T0;
    let mut profile = Profile::preset("slack-tube").expect("preset");
    let Payload::Leaflets { particles, .. } = &mut profile.payload else {
        panic!("slack-tube carries leaflets");
    };
    *particles = 50;
    let paju = saebaram_geo::sites()
        .iter()
        .find(|s| s.name == "Paju")
        .expect("paju");
    let windows: Vec<(u64, Point)> = (0..24)
        .map(|i| {
            (
                i as u64,
                Point {
                    t_unix_s: t0 + 3600.0 * (i as f64 + 1.0),
                    lat: paju.lat,
                    lon: paju.lon,
                    alt_m: paju.elevation_m,
                },
            )
        })
        .collect();
    let synthetic_spec = EnsembleSpec::new(200, 1, t0);
    let mut ensemble_spec = EnsembleSpec::new(200, 1, t0);
    ensemble_spec.noise = saebaram_flight::models::NoiseSpec::sub_grid();
    let mut g = c.benchmark_group("plan_24x200_paju");
    g.sample_size(10);
    let check = |runs: &[WindowRun]| {
        assert_eq!(runs.len(), 24);
        assert!(runs.iter().all(|r| r.members.len() == 200));
    };
    g.bench_function("ensemble_51_members_sub_grid_noise", |b| {
        b.iter(|| {
            let runs = run_indexed_windows_members(
                &fields,
                &FlatEarth,
                &profile,
                &ensemble_spec,
                &windows,
                &|| {},
            )
            .expect("runs");
            check(&runs);
            runs
        })
    });
    g.bench_function("one_member_synthetic_error", |b| {
        b.iter(|| {
            let runs = run_indexed_windows(
                &one,
                &FlatEarth,
                &profile,
                &synthetic_spec,
                &windows,
                &|| {},
            )
            .expect("runs");
            check(&runs);
            runs
        })
    });
    g.finish();
}

criterion_group!(sweep_benches, benches, ensemble_vs_synthetic);
criterion_main!(sweep_benches);
