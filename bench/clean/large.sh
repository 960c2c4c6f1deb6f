#!/usr/bin/env bash
# Large films: `saebaram clean` against `cp` of the same files, in the same run, alternating,
# and the peak RSS of `saebaram clean`.
#
# Makes two raw-video films with ffmpeg (by default a 4.5 GB MOV, over the 32-bit box limit,
# and a 1.1 GB MKV; MOV_FRAMES and MKV_FRAMES make them smaller when the disk is short) in $WORK, then per round: `cp -r` of the folder followed by `sync`, and
# `saebaram clean --jobs 2` of the same folder (which ends with one syncfs of its output);
# each output is deleted before the next step. Prints the median wall times, the median of
# the per-round ratios and the peak RSS (from /usr/bin/time).
#
# Usage: bench/clean/large.sh   (from the repository root, after
#                                `cargo build --release -p saebaram`)
# Env:   RUNS (default 3)  WORK (default /tmp/saebaram-bench-large; twice the films' size
#        while running)  MOV_FRAMES (270)  MKV_FRAMES (340)
set -euo pipefail
BIN=${BIN:-$PWD/target/release/saebaram}
WORK=${WORK:-/tmp/saebaram-bench-large}
RUNS=${RUNS:-3}
MOV_FRAMES=${MOV_FRAMES:-270}   # 16.6 MB each
MKV_FRAMES=${MKV_FRAMES:-340}   # 3.1 MB each
command -v ffmpeg >/dev/null && [ -x /usr/bin/time ] || { echo "needs ffmpeg and /usr/bin/time" >&2; exit 2; }
mkdir -p "$WORK/films"
cd "$WORK"
if [ ! -f films/film.mov ]; then
    ffmpeg -v error -y -f lavfi -i "color=c=gray:size=3840x2160:rate=25" -frames:v "$MOV_FRAMES" \
        -c:v rawvideo -pix_fmt uyvy422 -metadata title="Kim Chol home video" films/film.mov
    ffmpeg -v error -y -f lavfi -i "color=c=gray:size=1920x1080:rate=25" -frames:v "$MKV_FRAMES" \
        -c:v rawvideo -pix_fmt yuv420p -metadata title="Kim Chol home video" films/film.mkv
fi
bytes=$(du -sb films | cut -f1)
now() { date +%s.%N; }
: > cp.times; : > ours.times; : > rss.kib
cat films/* > /dev/null
for _ in $(seq "$RUNS"); do
    rm -rf copy out; sync
    t0=$(now); cp -r films copy && sync; t1=$(now)
    echo "$t1 $t0" | awk '{printf "%.3f\n", $1 - $2}' >> cp.times
    rm -rf copy; sync
    t0=$(now)
    /usr/bin/time -f "%M" -o rss.one "$BIN" clean --jobs 2 films --out out > /dev/null
    t1=$(now)
    echo "$t1 $t0" | awk '{printf "%.3f\n", $1 - $2}' >> ours.times
    cat rss.one >> rss.kib
    rm -rf out; sync
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
c=$(median < cp.times); o=$(median < ours.times)
ratios=$(paste cp.times ours.times | awk '{printf "%.3f\n", $1/$2}')
echo "films: 2 files, $bytes bytes; $RUNS rounds"
echo "cp -r + sync          median ${c}s ($(echo "$bytes $c" | awk '{printf "%.0f", $1/$2/1e6}') MB/s; runs: $(tr '\n' ' ' < cp.times))"
echo "saebaram clean -j 2   median ${o}s ($(echo "$bytes $o" | awk '{printf "%.0f", $1/$2/1e6}') MB/s; runs: $(tr '\n' ' ' < ours.times))"
echo "throughput ratio ours/cp, median of rounds: $(echo "$ratios" | median)  (rounds: $(echo $ratios))"
echo "peak RSS of saebaram clean: $(sort -n rss.kib | tail -1) KiB (runs: $(tr '\n' ' ' < rss.kib))"
rm -rf films
