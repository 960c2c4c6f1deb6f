#!/usr/bin/env bash
# Ground lookups (called at every integrator step of a falling stage): criterion times of a
# DEM lookup (SRTM 3" tiles) and a model-terrain lookup (0.25° grid), and the callgrind
# instruction count of a DEM lookup, which does not depend on how busy the machine is.
# Run from the workspace root: bash bench/terrain/run.sh
set -euo pipefail
nice -n 19 cargo bench -p saebaram-terrain --bench lookup -- --noplot "$@"
nice -n 19 cargo bench -p saebaram-forecast --bench terrain -- --noplot "$@"
cargo build --release -p saebaram-terrain --example lookup_loop
ex=target/release/examples/lookup_loop
count() { # instructions of `lookup_loop $1`
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$ex" "$1" 2>&1 \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
a=$(count 1); b=$(count 1000001)
echo "DEM: $(( (b - a) / 1000000 )) instructions per lookup (the driving loop included)"
