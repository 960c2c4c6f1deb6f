#!/usr/bin/env bash
# Runs the forecast benchmarks and the ecCodes peer on the same files in the same run.
# Needs: Python with `eccodes` (pip install eccodes: binary wheel with the library).
# Usage: bench/forecast/run.sh [python]   (from anywhere; results on stdout)
set -euo pipefail
cd "$(dirname "$0")/../.."
PY="${1:-python3}"
nice -n 19 cargo bench -p saebaram-forecast --bench forecast -- --noplot 2>&1 \
  | grep -E '^[a-z_0-9/]+ *$|time:' | sed 's/^ *//'
nice -n 19 "$PY" bench/forecast/eccodes_decode.py 20
