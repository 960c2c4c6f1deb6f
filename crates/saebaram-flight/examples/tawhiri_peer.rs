//! P0 flights on a tawhiri dataset, timed in-process: the Rust half of
//! `bench/flight/tawhiri_peer.sh`, which times tawhiri's own solver on the same dataset and
//! flights (`crates/saebaram/tests/data/tawhiri/tawhiri_peer.py bench`).
//!
//! `tawhiri_peer DATASET FLIGHTS N`: DATASET is a tawhiri dataset file named `YYYYMMDDHH`;
//! FLIGHTS has one flight per line, `unix_seconds lat lon ascent burst descent` (launch at
//! altitude 0). Each flight is flown once to warm up, then N times per flight, each
//! prediction timed alone. Prints one JSON object: the landings and the median, mean, p10
//! and p90 time per prediction, without the track (`record: false`, as `flight_cost p0`)
//! and with it (as `saebaram predict`, and as tawhiri's solver, which always keeps it).

use std::path::Path;
use std::time::Instant;

use saebaram_flight::*;
use saebaram_forecast::Forecast;

struct Flight {
    profile: Profile,
    launch: Point,
}

fn read_flights(path: &Path) -> Vec<Flight> {
    let text = std::fs::read_to_string(path).expect("read the flights file");
    text.lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Vec<f64> = l
                .split_whitespace()
                .map(|x| x.parse().expect("a number"))
                .collect();
            assert_eq!(
                v.len(),
                6,
                "`unix_seconds lat lon ascent burst descent`: {l}"
            );
            let mut profile = Profile::preset("standard").expect("preset");
            profile.carrier = Carrier::Standard(Standard {
                ascent_m_s: v[3],
                burst_alt_m: v[4],
                descent_m_s: v[5],
            });
            Flight {
                profile,
                launch: Point {
                    t_unix_s: v[0],
                    lat: v[1],
                    lon: v[2],
                    alt_m: 0.0,
                },
            }
        })
        .collect()
}

fn fly(f: &Forecast, flight: &Flight, record: bool) -> Landing {
    let c = flight::fly_carrier(
        f,
        &FlatEarth,
        &flight.profile,
        &Draw::nominal(&flight.profile, flight.launch),
        None,
        record,
    )
    .expect("flies");
    c.landing.expect("lands")
}

/// Median, mean, p10, p90 of per-prediction times, microseconds, as JSON.
fn stats(mut us: Vec<f64>) -> String {
    us.sort_by(f64::total_cmp);
    let n = us.len();
    let mean = us.iter().sum::<f64>() / n as f64;
    format!(
        "{{\"predictions\": {n}, \"median_us\": {:.2}, \"mean_us\": {mean:.2}, \"p10_us\": {:.2}, \"p90_us\": {:.2}}}",
        us[n / 2],
        us[n / 10],
        us[n * 9 / 10]
    )
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dataset, flights, n] = args.as_slice() else {
        panic!("usage: tawhiri_peer DATASET FLIGHTS N");
    };
    let n: usize = n.parse().expect("N");
    let f = Forecast::open(Path::new(dataset)).expect("open the tawhiri dataset");
    let flights = read_flights(Path::new(flights));
    assert!(!flights.is_empty(), "no flights");
    let landings: Vec<String> = flights
        .iter()
        .map(|fl| {
            let l = fly(&f, fl, false);
            format!(
                "{{\"t\": {:.3}, \"lat\": {:.6}, \"lon\": {:.6}}}",
                l.point.t_unix_s, l.point.lat, l.point.lon
            )
        })
        .collect();
    let mut sink = 0.0;
    let mut time = |record: bool| {
        let mut us = Vec::with_capacity(n * flights.len());
        for _ in 0..n {
            for fl in &flights {
                let t0 = Instant::now();
                let l = fly(&f, fl, record);
                us.push(t0.elapsed().as_secs_f64() * 1e6);
                sink += l.point.lat;
            }
        }
        stats(us)
    };
    let no_track = time(false);
    let track = time(true);
    println!(
        "{{\"landings\": [{}], \"no_track\": {no_track}, \"track\": {track}, \"sink\": {sink}}}",
        landings.join(", ")
    );
}
