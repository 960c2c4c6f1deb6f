#!/usr/bin/env bash
# One wind lookup: ours against tawhiri's own (0.2.0 from PyPI: the closure of
# interpolate.make_interpolator, which its solver calls), on the same sparse tawhiri dataset
# and the same 1024-point balloon track, in one run. Both print the median per call over N
# passes; tawhiri's includes the Python call its solver pays too, reported separately as the
# cost of calling an empty Python function in the same loop.
#
# Run from the workspace root: bash bench/forecast/tawhiri_lookup.sh [N]   (default N = 200)
# Installs tawhiri first if needed (.ci/setup.d/60-tawhiri.sh). The 9.5 GB dataset is
# sparse (about 0.85 GB on disk) and lives in a temporary directory removed at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
n="${1:-200}"
bash .ci/setup.d/60-tawhiri.sh
venv="${SAEBARAM_TAWHIRI_VENV:-target/peers/tawhiri-venv}"
driver=crates/saebaram/tests/data/tawhiri/tawhiri_peer.py
cargo build -q --release -p saebaram-forecast --example tawhiri_lookup
ours="${CARGO_TARGET_DIR:-target}/release/examples/tawhiri_lookup"

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
dataset="$dir/2025030106"
"$venv/bin/python" "$driver" make "$dataset"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
theirs=$("$venv/bin/python" "$driver" lookup "$dataset" "$n")
mine=$("$ours" "$dataset" "$n")
echo "tawhiri: $theirs"
echo "ours:    $mine"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$theirs" "$mine" <<'PY'
import json, sys
t, o = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"per lookup: tawhiri {t['median_ns']:.0f} ns ({t['empty_python_call_ns']:.0f} ns of it an "
      f"empty Python call), ours {o['median_ns_uv']:.1f} ns u/v ({t['median_ns'] / o['median_ns_uv']:.1f}x), "
      f"{o['median_ns']:.1f} ns with density ({t['median_ns'] / o['median_ns']:.1f}x)")
PY
