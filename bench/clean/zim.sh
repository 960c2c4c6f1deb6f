#!/usr/bin/env bash
# A multi-GB ZIM (Kiwix offline wiki): `saebaram clean` against `cp` of the same file, in
# the same run, alternating, and the peak RSS of `saebaram clean`.
#
# Writes the ZIM with bench/clean/make_big_zim.py (python-libzim): ZIM_MB of incompressible
# 1 MiB items and metadata a builder's machine can leave, so clean has to rewrite the
# metadata cluster and move every later position, not only copy. Then per round: `cp` + `sync`, and `saebaram clean` (which ends with one syncfs),
# each output deleted before the next step. Prints the medians, the median of the paired
# ratios and the peak RSS.
#
# Usage: bench/clean/zim.sh   (from the repository root, after `cargo build --release -p
#                              saebaram`; python-libzim from .ci/pip.d on PATH)
# Env:   RUNS (default 3)  ZIM_MB (default 2048)  WORK (default /tmp/saebaram-bench-zim;
#        about three times ZIM_MB while running)  SPLIT_MB (split the ZIM into parts of this
#        many MiB, `wiki.zimaa`, `wiki.zimab`... as `split -b` does, and clean and copy the
#        parts instead: the FAT32 case)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${BIN:-$PWD/target/release/saebaram}
WORK=${WORK:-/tmp/saebaram-bench-zim}
RUNS=${RUNS:-3}
ZIM_MB=${ZIM_MB:-2048}
python3 -c "import libzim" 2>/dev/null || { echo "needs python-libzim (pip install libzim)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time" >&2; exit 2; }
mkdir -p "$WORK/in"
cd "$WORK"
if [ ! -f in/wiki.zim ] || [ "$(cat zim.mb 2>/dev/null)" != "$ZIM_MB" ]; then
    rm -f in/wiki.zim
    python3 "$HERE/make_big_zim.py" "$ZIM_MB" in/wiki.zim
    echo "$ZIM_MB" > zim.mb
fi
src=in
if [ -n "${SPLIT_MB:-}" ]; then
    rm -rf in-split; mkdir in-split
    split -b "${SPLIT_MB}M" -a 2 in/wiki.zim in-split/wiki.zim
    src=in-split
    echo "split into $(ls in-split | wc -l) parts of ${SPLIT_MB} MiB: $(ls in-split | tr '\n' ' ')"
fi
bytes=$(cat "$src"/* | wc -c)
now() { date +%s.%N; }
: > cp.times; : > ours.times; : > rss.kib
cat "$src"/* > /dev/null
for _ in $(seq "$RUNS"); do
    rm -rf copy out; sync
    t0=$(now); mkdir copy && cp "$src"/* copy/ && sync; t1=$(now)
    echo "$t1 $t0" | awk '{printf "%.3f\n", $1 - $2}' >> cp.times
    rm -rf copy; sync
    t0=$(now)
    /usr/bin/time -f "%M" -o rss.one "$BIN" clean "$src" --out out --json > report.json
    t1=$(now)
    echo "$t1 $t0" | awk '{printf "%.3f\n", $1 - $2}' >> ours.times
    cat rss.one >> rss.kib
    rm -rf out; sync
done
python3 -c "
import json; r = json.load(open('report.json'))['files'][0]
print('clean:', r['status'], r['format'], 'parts:', ' '.join(r.get('parts', [])) or '-', 'removed:', '; '.join(r['removed']))"
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
c=$(median < cp.times); o=$(median < ours.times)
ratios=$(paste cp.times ours.times | awk '{printf "%.3f\n", $1/$2}')
echo "zim: $bytes bytes; $RUNS rounds"
echo "cp + sync        median ${c}s ($(echo "$bytes $c" | awk '{printf "%.0f", $1/$2/1e6}') MB/s; runs: $(tr '\n' ' ' < cp.times))"
echo "saebaram clean   median ${o}s ($(echo "$bytes $o" | awk '{printf "%.0f", $1/$2/1e6}') MB/s; runs: $(tr '\n' ' ' < ours.times))"
echo "ratio cp/ours (median of paired rounds): $(echo "$ratios" | median)"
echo "peak RSS of saebaram clean: $(sort -n rss.kib | tail -1) KiB"
