#!/usr/bin/env bash
# Build the same FAT32 disk image (MBR + one 0x0C partition at 1 MiB, same cluster size)
# from the same clean content with `saebaram pack` and with `mkfs.fat` + `mcopy`, in the
# same run, alternating, and print the median wall time of each.
#
# Usage: bench/image/run.sh            (from the repository root, after
#                                       `cargo build --release -p saebaram`)
# Env:   CONTENT_MB (default 1100)  RUNS (default 5)  IMG_BYTES (default 2 GiB)
#        WORK (default /tmp/saebaram-bench-image; the content is generated there, not in git)
set -euo pipefail
BIN=${BIN:-$PWD/target/release/saebaram}
WORK=${WORK:-/tmp/saebaram-bench-image}
CONTENT_MB=${CONTENT_MB:-1100}
RUNS=${RUNS:-5}
IMG_BYTES=${IMG_BYTES:-2147483648}
export MTOOLS_SKIP_CHECK=1
command -v mkfs.fat >/dev/null && command -v mcopy >/dev/null || {
    echo "needs dosfstools and mtools" >&2; exit 2; }
mkdir -p "$WORK"
cd "$WORK"

# Content: 60% in 10 MB files, 40% in 100 KB files across Hangul-named folders. Text, so
# that `saebaram clean` passes it unchanged (generation and cleaning are not timed).
if [ ! -f clean/.saebaram-clean.json ] || [ "$(cat content.mb 2>/dev/null)" != "$CONTENT_MB" ]; then
    rm -rf raw clean
    mkdir -p raw/videos
    big=$(( CONTENT_MB * 6 / 100 ))
    for i in $(seq -w 1 "$big"); do
        head -c 7500000 /dev/urandom | base64 -w 76 > "raw/videos/영상 $i.txt"
    done
    small=$(( CONTENT_MB * 4 ))
    for i in $(seq -w 1 "$small"); do
        d="raw/문서/폴더 $(( 10#$i % 20 ))"
        mkdir -p "$d"
        head -c 75000 /dev/urandom | base64 -w 76 > "$d/document number $i.txt"
    done
    "$BIN" clean raw --out clean --json > /dev/null
    echo "$CONTENT_MB" > content.mb
fi
content_bytes=$(du -sb --exclude=.saebaram-clean.json --exclude=.saebaram-clean-state.json clean | cut -f1)
files=$(find clean -type f ! -name .saebaram-clean.json ! -name .saebaram-clean-state.json | wc -l)

# Cluster size saebaram picks for this size (the peer is given the same).
"$BIN" pack clean --out probe.img --size "$IMG_BYTES" --seed 1 -q --json > probe.json
cluster=$(grep -o '"cluster_size": [0-9]*' probe.json | grep -o '[0-9]*$')
spc=$(( cluster / 512 ))
rm -f probe.img probe.img.manifest.json probe.json

now() { date +%s.%N; }

ours() {
    rm -f ours.img ours.img.manifest.json
    local t0; t0=$(now)
    "$BIN" pack clean --out ours.img --size "$IMG_BYTES" --seed 1 -q > /dev/null
    echo "$(now) $t0" | awk '{printf "%.3f\n", $1 - $2}'
}

peer() {
    rm -f peer.img
    local t0; t0=$(now)
    truncate -s "$IMG_BYTES" peer.img
    # MBR partition entry: status 0, CHS (ignored), type 0x0C, LBA 2048, sector count.
    local count=$(( IMG_BYTES / 512 - 2048 ))
    printf "\\x00\\x20\\x21\\x00\\x0c\\xfe\\xff\\xff\\x00\\x08\\x00\\x00$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $((count & 255)) $(((count >> 8) & 255)) $(((count >> 16) & 255)) $(((count >> 24) & 255)))" \
        | dd of=peer.img bs=1 seek=446 conv=notrunc status=none
    printf '\x55\xaa' | dd of=peer.img bs=1 seek=510 conv=notrunc status=none
    mkfs.fat -F 32 -S 512 -s "$spc" --offset 2048 -h 2048 peer.img $(( count / 2 )) > /dev/null
    mcopy -s -m -i peer.img@@1M clean/* ::/
    sync peer.img
    echo "$(now) $t0" | awk '{printf "%.3f\n", $1 - $2}'
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# Warm the page cache for both.
cat clean/videos/* > /dev/null
: > ours.times; : > peer.times
for _ in $(seq "$RUNS"); do
    ours >> ours.times
    peer >> peer.times
done
fsck_peer=$(dd if=peer.img bs=1M skip=1 status=none conv=sparse of=peer.part && fsck.fat -n peer.part > /dev/null && echo ok || echo FAIL)
rm -f peer.part
fsck_ours=$(dd if=ours.img bs=1M skip=1 status=none conv=sparse of=ours.part && fsck.fat -n ours.part > /dev/null && echo ok || echo FAIL)
rm -f ours.part
o=$(median < ours.times); p=$(median < peer.times)
echo "content: $files files, $content_bytes bytes; image $IMG_BYTES bytes, cluster $cluster bytes; $RUNS runs"
echo "saebaram pack      median ${o}s  (runs: $(tr '\n' ' ' < ours.times)) fsck: $fsck_ours"
echo "mkfs.fat + mcopy   median ${p}s  (runs: $(tr '\n' ' ' < peer.times)) fsck: $fsck_peer"
echo "ratio (peer/ours): $(echo "$p $o" | awk '{printf "%.2f", $1/$2}')"
echo "disk use: ours $(du -k ours.img | cut -f1) KiB, peer $(du -k peer.img | cut -f1) KiB"
# The images are sparse but large: never leave them behind.
rm -f ours.img ours.img.manifest.json peer.img
