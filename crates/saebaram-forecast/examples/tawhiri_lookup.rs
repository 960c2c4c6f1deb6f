//! Times our wind lookup on a tawhiri dataset along the lookup benchmark's balloon track, for
//! `bench/forecast/tawhiri_lookup.sh`, which runs tawhiri's own lookup on the same file and
//! track in the same run:
//!
//! ```text
//! cargo run --release -p saebaram-forecast --example tawhiri_lookup -- DATASET N
//! ```
//!
//! Prints one JSON line: the median ns per lookup over N passes of the 1024-point track, with
//! density (`wind`) and without (`wind_uv`, what tawhiri's lookup returns).

#[path = "../benches/support/synthetic.rs"]
mod synthetic;

use std::hint::black_box;
use std::time::Instant;

use saebaram_forecast::{Forecast, WindField};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(n)) = (
        args.next(),
        args.next().and_then(|s| s.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: tawhiri_lookup DATASET N");
        std::process::exit(2);
    };
    let f = match Forecast::open(std::path::Path::new(&path)) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("tawhiri_lookup: {e}");
            std::process::exit(1);
        }
    };
    let run = f.info().run_unix_s as f64;
    let pts = synthetic::track(run);
    let per_call = |uv: bool| {
        let mut out = Vec::with_capacity(n);
        for pass in 0..=n {
            let t0 = Instant::now();
            let mut sum = 0.0;
            for &(t, lat, lon, alt) in &pts {
                let (t, lat, lon, alt) =
                    (black_box(t), black_box(lat), black_box(lon), black_box(alt));
                sum += if uv {
                    let (u, v) = f.wind_uv(t, lat, lon, alt).expect("inside the dataset");
                    u + v
                } else {
                    let w = f.wind(t, lat, lon, alt).expect("inside the dataset");
                    w.u_m_s + w.v_m_s + w.density_kg_m3
                };
            }
            black_box(sum);
            if pass > 0 {
                out.push(t0.elapsed().as_secs_f64() / pts.len() as f64);
            }
        }
        out.sort_by(f64::total_cmp);
        (out[out.len() / 2] * 1e10).round() / 10.0
    };
    println!(
        "{{\"calls\": {}, \"median_ns\": {}, \"median_ns_uv\": {}}}",
        n * pts.len(),
        per_call(false),
        per_call(true)
    );
}
