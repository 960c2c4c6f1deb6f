#!/usr/bin/env bash
# Does the CLI pay for going through saebaram-jobs? Runs the same command with two builds
# of `saebaram` (BEFORE: the commit before the move, AFTER: the commit with it), alternating
# in pairs so both see the same load, and prints the median wall time of each and the median
# of the per-pair ratios. It first checks that both print the same bytes.
#
#   bench/jobs/cli_overhead.sh BEFORE_BIN AFTER_BIN [ROUNDS] -- plan --json
#
# Build the two binaries with `git worktree add /tmp/before <commit>` and
# `cargo build --release -p saebaram` in each (same toolchain, same profile).
set -euo pipefail
before=$1 after=$2 rounds=${3:-15}
shift 3
[ "${1:-}" = "--" ] && shift
cmd=("$@")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$before" "${cmd[@]}" >"$tmp/b" 2>/dev/null || true
"$after" "${cmd[@]}" >"$tmp/a" 2>/dev/null || true
if ! cmp -s "$tmp/b" "$tmp/a"; then
  echo "the two builds print different bytes for: ${cmd[*]}" >&2
  exit 2
fi
now() { date +%s.%N; }
for ((i = 0; i < rounds; i++)); do
  # Alternate which build goes first so a warming cache favours neither.
  if ((i % 2)); then order=("$after" "$before"); else order=("$before" "$after"); fi
  for bin in "${order[@]}"; do
    t0=$(now); "$bin" "${cmd[@]}" >/dev/null 2>&1 || true; t1=$(now)
    echo "$bin $(echo "$t1 - $t0" | bc -l)"
  done
done >"$tmp/times"
python3 - "$tmp/times" "$before" "$after" "$rounds" "${cmd[*]}" <<'PY'
import statistics, sys
path, before, after, rounds, cmd = sys.argv[1:]
b = [float(l.split()[1]) for l in open(path) if l.split()[0] == before]
a = [float(l.split()[1]) for l in open(path) if l.split()[0] == after]
ratios = [y / x for x, y in zip(b, a)]
print(f"saebaram {cmd}: {rounds} paired rounds, same bytes out")
print(f"  before  median {statistics.median(b)*1000:8.1f} ms  (min {min(b)*1000:.1f})")
print(f"  after   median {statistics.median(a)*1000:8.1f} ms  (min {min(a)*1000:.1f})")
print(f"  after/before: median of paired ratios {statistics.median(ratios):.3f}")
PY
# Instruction counts do not depend on the load (callgrind serialises the threads).
if command -v valgrind >/dev/null && [ "${CALLGRIND:-1}" = 1 ]; then
  for bin in "$before" "$after"; do
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" "$bin" "${cmd[@]}" >/dev/null 2>"$tmp/cg.err" || true
    echo "  $(basename "$bin"): $(grep -o 'Collected : [0-9]*' "$tmp/cg.err" | tr -dc 0-9) instructions (callgrind)"
  done
fi
