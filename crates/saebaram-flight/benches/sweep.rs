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

criterion_group!(sweep_benches, benches);
criterion_main!(sweep_benches);
