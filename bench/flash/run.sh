#!/usr/bin/env bash
# Flash benchmarks: probe cost against f3probe, and four throttled drives at once.
# Needs root, /dev/fuse, loop devices and Debian's f3 (`apt-get install f3`).
# Usage (from the repository root): bench/flash/run.sh [RUNS]
set -euo pipefail
runs="${1:-3}"
cargo build --release -p saebaram -p saebaram-flash --examples --bins
bin=target/release/saebaram
echo "## Probe cost (emulated drives: FUSE file + loop device; bytes counted by the drive)"
echo
echo "f3probe: $(f3probe --version 2>&1 | head -1)"
echo
nice -n 10 target/release/examples/bench_probe --saebaram "$bin" --runs "$runs"
echo
echo "## Four throttled drives at once (30 MB/s write, 35 MB/s read each)"
echo
target/release/examples/bench_flash --saebaram "$bin" --runs "$runs"
