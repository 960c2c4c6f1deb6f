#!/usr/bin/env bash
# saebaram-drift against OpenDrift (the peer, PyPI `opendrift` in its own venv, GPL: never
# copied) on OpenDrift's own NorKyst-800 current and AROME wind test files, taken from its
# PyPI source distribution at run time (never committed):
#   1. tracks of 10 points for 48 h, current only, and with 2 % windage: distances, also
#      with OpenDrift's own stepping re-implemented in the example (where they differ);
#   2. speed: 10,000 particles for 48 h at 15 min, RK4, with wind, both tools, same run.
# Results go to bench/RESULTS.md by hand, with this command.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
bash bench/drift/setup-opendrift.sh
py=target/peers/opendrift-venv/bin/python
data=target/peers/opendrift-sdist/opendrift-1.14.12/tests/test_data/16Nov2015_NorKyst_z_surface
cur=$data/norkyst800_subset_16Nov2015.nc
wind=$data/arome_subset_16Nov2015.nc
cargo build --release -q -p saebaram-drift --example tracks
tracks=target/release/examples/tracks
t0=1447632000 # 2015-11-16T00:00Z, the files' first time
points="3.2,59.9 3.6,59.9 4.0,59.9 3.2,60.3 3.6,60.3 4.0,60.3 3.2,60.7 3.6,60.7 4.0,60.7 3.0,61.2"
out=target/peers/drift-bench
mkdir -p "$out"
for case in "current - 0" "wind $wind 0.02"; do
    set -- $case
    echo "== $1 only / windage $3: 48 h, RK4, 15 min"
    $tracks "$cur" "$2" $t0 48 "$3" 900 rk4 1 $points > "$out/ours-$1.json"
    $py bench/drift/opendrift_peer.py "$cur" "$2" $t0 48 "$3" 900 rk4 1 $points > "$out/peer-$1.json" 2> "$out/peer-$1.err"
    $py bench/drift/compare.py "$out/ours-$1.json" "$out/peer-$1.json" 48
    echo "   ours with OpenDrift's stepping (RK4 variant, Euler windage, WGS 84 moves):"
    $tracks "$cur" "$2" $t0 48 "$3" 900 opendrift 1 $points > "$out/odlike-$1.json"
    $py bench/drift/compare.py "$out/odlike-$1.json" "$out/peer-$1.json" 48
done
echo "== speed: 10,000 particles, 48 h, RK4, 15 min, current + 2 % wind"
copies=1000
$tracks "$cur" "$wind" $t0 48 0.02 900 rk4 $copies $points > "$out/ours-speed.json"
$py bench/drift/opendrift_peer.py "$cur" "$wind" $t0 48 0.02 900 rk4 $copies $points > "$out/peer-speed.json" 2> "$out/peer-speed.err"
$py - "$out/ours-speed.json" "$out/peer-speed.json" <<'PY'
import json, sys
o, p = (json.load(open(f)) for f in sys.argv[1:3])
print(f"  ours:      {o['particles']} particles, {o['steps']} particle-steps in {o['seconds']:.3f} s = {o['particle_steps_per_s']:,.0f}/s ({o['threads']} threads)")
print(f"  OpenDrift: {p['particles']} particles, {p['steps']} particle-steps in {p['seconds']:.3f} s = {p['particle_steps_per_s']:,.0f}/s (run() only)")
print(f"  ratio: {o['particle_steps_per_s'] / p['particle_steps_per_s']:.1f}x")
PY
