#!/usr/bin/env bash
# The map benchmark: a plan with 120 launch windows x 200 members, from the real
# `saebaram plan` on the embedded forecast and from a synthetic plan of the same size,
# then file size and time-to-interactive in headless Chromium (medians of RUNS loads).
#
# usage: bench/map/run.sh [RUNS]    (from the repository root; needs chromium, chromium-driver)
# PROFILE=dev uses the debug build (the page is the same; only `plan` itself is slower).
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-7}
out=target/bench-map
mkdir -p "$out"
profile=${PROFILE:-release}
dir=$([ "$profile" = dev ] && echo debug || echo "$profile")
cargo build --profile "$profile" -q -p saebaram -p saebaram-map --example render
bin=target/$dir/saebaram
# 120 hourly windows x 200 members on the embedded JMA sample, from one site (`plan`
# without --site compares all seven sites: 840 windows).
/usr/bin/time -f "plan: %e s, %M KB max RSS" \
    "$bin" plan --site paju --members 200 --from 2019-06-05T00:00Z --to 2019-06-09T23:00Z \
    --json --html "$out/plan-120x200.html" > "$out/plan-120x200.json" || [ $? -eq 1 ]
# The same hours from all seven sites (840 windows), the page `plan --site all` writes.
/usr/bin/time -f "plan (7 sites): %e s, %M KB max RSS" \
    "$bin" plan --site all --members 200 --from 2019-06-05T00:00Z --to 2019-06-09T23:00Z \
    --json --html "$out/plan-7x120x200.html" > "$out/plan-7x120x200.json" || [ $? -eq 1 ]
python3 bench/map/synth_plan.py 120 200 "$out/synth-120x200.json"
target/$dir/examples/render plan "$out/synth-120x200.json" "$out/synth-120x200.html" en \
    crates/saebaram-geo/data
ls -l "$out"/*.html "$out"/*.json
python3 bench/map/measure.py "$runs" "$out/plan-120x200.html" "$out/synth-120x200.html" \
    "$out/plan-7x120x200.html"
