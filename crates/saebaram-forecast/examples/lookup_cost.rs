//! Runs N wind lookups on the benchmark's synthetic 5-day cube, memory-mapped from a cache
//! file, so that `valgrind --tool=callgrind` can count instructions per lookup (stable on a
//! shared machine, unlike times):
//!
//! ```text
//! cargo build --release -p saebaram-forecast --example lookup_cost
//! valgrind --tool=callgrind --toggle-collect='*run_lookups*' \
//!     target/release/examples/lookup_cost track 100000
//! ```
//!
//! The total divided by 100 000 is the cost of one lookup (`track-uv`, `scattered-uv`: the
//! wind alone, without pressure and density; count with `--toggle-collect='*run_lookups*'`,
//! which matches both loops).
//! `bench/forecast/lookup_instructions.sh` does exactly that.

#[path = "../benches/support/synthetic.rs"]
mod synthetic;

use std::hint::black_box;

use saebaram_forecast::{WindField, cache};

fn main() {
    let mut args = std::env::args().skip(1);
    let kind = args.next().unwrap_or_else(|| "track".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let (set, uv_only) = match kind.strip_suffix("-uv") {
        Some(set) => (set, true),
        None => (kind.as_str(), false),
    };
    let pts = match set {
        "track" => synthetic::track(synthetic::T0),
        "scattered" => synthetic::scattered(synthetic::T0),
        other => {
            eprintln!(
                "lookup_cost: unknown query set {other:?} (track, scattered, track-uv or scattered-uv)"
            );
            std::process::exit(2);
        }
    };
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = synthetic::five_day_cube()
        .write_cache(dir.path())
        .expect("cache written");
    let f = cache::open(&path, false).expect("cache opens");
    let sum = if uv_only {
        run_lookups_uv(&f, &pts, n)
    } else {
        run_lookups(&f, &pts, n)
    };
    println!("{kind}: {n} lookups, checksum {sum:.6}");
}

/// The measured loop, alone in its function so that callgrind can count only it
/// (`--toggle-collect=*run_lookups*`).
#[inline(never)]
fn run_lookups(f: &dyn WindField, pts: &[(f64, f64, f64, f64)], n: usize) -> f64 {
    let mut sum = 0.0;
    for k in 0..n {
        let (t, lat, lon, alt) = pts[k & 1023];
        let w = f
            .wind(black_box(t), black_box(lat), black_box(lon), black_box(alt))
            .expect("inside the cube");
        sum += w.u_m_s + w.v_m_s + w.density_kg_m3;
    }
    sum
}

/// The same with the wind alone (no pressure or density), as P0 flights ask.
#[inline(never)]
fn run_lookups_uv(f: &dyn WindField, pts: &[(f64, f64, f64, f64)], n: usize) -> f64 {
    let mut sum = 0.0;
    for k in 0..n {
        let (t, lat, lon, alt) = pts[k & 1023];
        let (u, v) = f
            .wind_uv(black_box(t), black_box(lat), black_box(lon), black_box(alt))
            .expect("inside the cube");
        sum += u + v;
    }
    sum
}
