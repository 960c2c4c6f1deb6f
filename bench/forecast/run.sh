#!/usr/bin/env bash
# Runs the forecast benchmarks and the ecCodes peers on the same files in the same run.
# Needs: Debian's libeccodes-dev (the C peer, bench/forecast/eccodes_decode.c) and, for the
# Python peer, a Python with `eccodes` (pip install eccodes: binary wheel with the library).
# Usage: bench/forecast/run.sh [python]   (from anywhere; results on stdout)
set -euo pipefail
cd "$(dirname "$0")/../.."
PY="${1:-python3}"
target="${CARGO_TARGET_DIR:-target}"
mkdir -p "$target"
cc -O2 -Wall -o "$target/eccodes_decode" bench/forecast/eccodes_decode.c \
  $(pkg-config --cflags --libs eccodes)
cargo bench -p saebaram-forecast --bench forecast -- --noplot 2>&1 \
  | grep -E '^[a-z_0-9/]+ *$|time:' | sed 's/^ *//'
for f in crates/saebaram-forecast/data/jma_meps_rjp_pall_20190605T00Z_f000_sub20.grib2 \
         testdata/wind/ncep_gfs_2p5deg_20111008T00Z_f072.grib2; do
  echo "$(basename "$f"): $("$target/eccodes_decode" "$f" 20)"
done
"$PY" bench/forecast/eccodes_decode.py 20
