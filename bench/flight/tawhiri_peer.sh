#!/usr/bin/env bash
# P0 against the real tawhiri (0.2.0 from PyPI, its Cython interpolator and solver), both
# in-process on the same sparse tawhiri dataset and the same five P0 flights (5 m/s up,
# burst 10 km, 5 m/s sea-level down) in one run:
#   tawhiri: tests/data/tawhiri/tawhiri_peer.py bench (dataset open and the profile built
#            once; each solver.solve(...) timed alone with perf_counter)
#   ours:    the saebaram-flight example tawhiri_peer (Forecast opened once; each
#            fly_carrier timed alone with Instant), without and with the track
# Each prints the median, mean, p10 and p90 per prediction over N runs of each flight. The
# two alternate for ROUNDS rounds (so both see the same machine load); the ratio is taken
# from the median of the rounds' medians.
#
# Run from the workspace root: bash bench/flight/tawhiri_peer.sh [N]   (default N = 200)
# Installs tawhiri first if needed (.ci/setup.d/60-tawhiri.sh). The 9.5 GB dataset is
# sparse (about 0.85 GB on disk) and lives in a temporary directory removed at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
n="${1:-200}"
rounds="${ROUNDS:-3}"
bash .ci/setup.d/60-tawhiri.sh
venv="${SAEBARAM_TAWHIRI_VENV:-target/peers/tawhiri-venv}"
driver=crates/saebaram/tests/data/tawhiri/tawhiri_peer.py
cargo build -q --release -p saebaram-flight --example tawhiri_peer
ours="${CARGO_TARGET_DIR:-target}/release/examples/tawhiri_peer"

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
dataset="$dir/2025030106" # run 2025-03-01 06Z = 1740808800
"$venv/bin/python" "$driver" make "$dataset"
cat > "$dir/flights.txt" <<'EOF'
# unix_seconds lat lon ascent burst descent: +0, +37.5, +100.25, +150, +188.1 h
1740808800 37.89 126.74 5 10000 5
1740943800 37.5 124.6 5 10000 5
1741169700 38.6 128.3 5 10000 5
1741348800 36.2 126.1 5 10000 5
1741485960 39.0 125.2 5 10000 5
EOF

echo "machine: $(nproc) CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "tawhiri: $("$venv/bin/python" -c 'import sys, Cython, tawhiri; print("tawhiri", tawhiri.__version__, "Cython", Cython.__version__, "Python", sys.version.split()[0])')"
: > "$dir/tawhiri.jsonl"
: > "$dir/ours.jsonl"
for r in $(seq "$rounds"); do
    "$venv/bin/python" "$driver" bench "$dataset" "$dir/flights.txt" "$n" | tee -a "$dir/tawhiri.jsonl" | sed "s/^/round $r tawhiri: /"
    "$ours" "$dataset" "$dir/flights.txt" "$n" | tee -a "$dir/ours.jsonl" | sed "s/^/round $r ours:    /"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$dir/tawhiri.jsonl" "$dir/ours.jsonl" <<'EOF'
import json, statistics, sys
theirs = [json.loads(l) for l in open(sys.argv[1])]
ours = [json.loads(l) for l in open(sys.argv[2])]
t = statistics.median(x["median_us"] for x in theirs)
o = statistics.median(x["no_track"]["median_us"] for x in ours)
ot = statistics.median(x["track"]["median_us"] for x in ours)
print(f"median per P0 prediction: tawhiri {t:.1f} us, ours {o:.1f} us without the track "
      f"({t / o:.1f}x faster), {ot:.1f} us with it ({t / ot:.1f}x)")
EOF
