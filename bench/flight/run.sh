#!/usr/bin/env bash
# Flight benchmarks: criterion times and callgrind instruction counts.
# Run from the workspace root: bash bench/flight/run.sh
# Tawhiri itself (0.2.0 from PyPI, in its own venv) is timed against P0 on the same tawhiri
# dataset and flights by bench/flight/tawhiri_peer.sh; see RESULTS.md.
set -euo pipefail
export RAYON_NUM_THREADS="${RAYON_NUM_THREADS:-2}"
nice -n 19 cargo bench -p saebaram-flight --bench flight -- --noplot "$@"
# The multi-site sweep (7 sites x 120 windows x 200 members = 168,000 flights).
nice -n 19 cargo bench -p saebaram-flight --bench sweep -- --noplot
cargo build --release -p saebaram-flight --example flight_cost
ex=target/release/examples/flight_cost
count() { # instructions of `flight_cost $1 $2`
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$ex" "$1" "$2" 2>&1 \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
a=$(count p0 1); b=$(count p0 101)
echo "p0: $(( (b - a) / 100 )) instructions per flight"
a=$(count member 1); b=$(count member 11)
echo "P1+timer+500 leaflets: $(( (b - a) / 10 )) instructions per member"
echo "plan with no arguments (release binary):"
cargo build --release -p saebaram
/usr/bin/time -f "%e s wall, %U s user" target/release/saebaram plan > /dev/null
