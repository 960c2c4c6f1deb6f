#!/usr/bin/env bash
# The app's speed in headless Chromium (needs chromium and chromium-driver):
# first paint and time to interactive per screen, progress updates per second during a plan,
# the same plan of two sites (12 windows x 200 members) through the app and through the CLI
# (paired rounds), the same clean + pack of a generated library, and the same flash of its image to
# two file targets of TARGET_MB, through the app and through the CLI.
# Usage: bench/app/run.sh [ROUNDS] [LIBRARY_MB] [TARGET_MB]   (prints JSON lines; results in bench/app/RESULTS.md)
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -p saebaram --bin saebaram --example app_bench
./target/release/examples/app_bench ./target/release/saebaram "${1:-5}" "${2:-200}" "${3:-512}"
