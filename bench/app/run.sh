#!/usr/bin/env bash
# The app's speed in headless Chromium (needs chromium and chromium-driver):
# first paint and time to interactive per screen, progress updates per second during a plan,
# and the same 12-window x 200-member plan through the app and through the CLI (paired rounds).
# Usage: bench/app/run.sh [ROUNDS]   (prints JSON lines; results in bench/app/RESULTS.md)
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -p saebaram --bin saebaram --example app_bench
./target/release/examples/app_bench ./target/release/saebaram "${1:-5}"
