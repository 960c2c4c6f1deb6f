#!/usr/bin/env bash
# Instructions per wind lookup (callgrind: stable on a shared machine, unlike times), on the
# criterion benchmark's synthetic 5-day 0.25° cube mapped from a cache file, for the four
# query sets: along a balloon track or scattered, with density (`wind`) or without
# (`wind_uv`). Only the measured loop is counted (--toggle-collect).
#
# Run from the workspace root: bash bench/forecast/lookup_instructions.sh [N]  (N = 100000)
set -euo pipefail
cd "$(dirname "$0")/../.."
n="${1:-100000}"
cargo build -q --release -p saebaram-forecast --example lookup_cost
bin="${CARGO_TARGET_DIR:-target}/release/examples/lookup_cost"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for set in track track-uv scattered scattered-uv; do
    valgrind --tool=callgrind --toggle-collect='*run_lookups*' \
        --callgrind-out-file="$out/cg.$set" "$bin" "$set" "$n" >/dev/null 2>"$out/log.$set"
    refs=$(sed -n 's/.*I *refs: *//p' "$out/log.$set" | tr -d ,)
    echo "$set: $((refs / n)) instructions per lookup"
done
