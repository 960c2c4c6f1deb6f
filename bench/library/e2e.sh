#!/usr/bin/env bash
# A real library end to end (issue 12's "done when"), on one machine, in one run:
#   films up to FILM_GB (raw 1080p video in MOV with a planted title and GPS location), a
#   multi-GB Kiwix ZIM as a split set (ZIM_MB, in SPLIT_MB parts, with a builder's host and
#   scraper options planted), and every format of the test corpora (the planted-value corpus
#   of make_corpus.py and the legacy-office corpus of make_office.py, real writers);
#   -> `saebaram clean` (time, peak RSS), checked by the independent verifiers
#      (verify_corpus.py, verify_office.py, libzim for the ZIM, byte search and ffmpeg's
#      stream hash for the film);
#   -> cleaned again after one file is added and one deleted (time: only those are redone);
#   -> `saebaram pack` into 16 GB and 64 GB images (a film over 4 GiB is refused by name
#      first, then left out with --exclude), `fsck.fat -n` and `saebaram verify` on each.
# Prints one line per step; exits non-zero at the first failed check.
#
# Usage: bench/library/e2e.sh   (repository root, after `cargo build --release -p saebaram`;
#                                the CI venv on PATH for the corpus tools: .ci/run makes it)
# Env:   WORK (default /tmp/saebaram-e2e; needs about 2 x FILM_GB + 3 x ZIM_MB free)
#        FILM_GB (default 8)  ZIM_MB (default 2048)  SPLIT_MB (default 1000)
#        COLD=1 (drop the page cache before cleaning, so the library is read from the disk;
#        needs root: /proc/sys/vm/drop_caches)
set -euo pipefail
BIN=${BIN:-$PWD/target/release/saebaram}
ROOT=$PWD
DATA=$ROOT/crates/saebaram/tests/data/clean
WORK=${WORK:-/tmp/saebaram-e2e}
FILM_GB=${FILM_GB:-8}
ZIM_MB=${ZIM_MB:-2048}
SPLIT_MB=${SPLIT_MB:-1000}
for t in ffmpeg ffprobe python3 fsck.fat /usr/bin/time; do
    command -v "$t" >/dev/null || { echo "needs $t" >&2; exit 2; }
done
rm -rf "$WORK"; mkdir -p "$WORK"/lib/{films,wiki} "$WORK"/src
cd "$WORK"
now() { date +%s.%N; }
step() { echo "== $*"; }

step "library"
python3 "$DATA/make_corpus.py" src/corpus > /dev/null
cp -r src/corpus/good lib/corpus
python3 "$DATA/make_office.py" src/office src/corpus/good/photo.jpg > /dev/null
cp -r src/office/good lib/office
# Raw 1080p video (UYVY, what QuickTime stores raw): 4.1 MB a frame, so FILM_GB takes
# FILM_GB * 1e9 / 4.1e6 frames at 25/s.
secs=$(python3 -c "print(round($FILM_GB * 1e9 / (1920 * 1080 * 2) / 25))")
ffmpeg -v error -y -f lavfi -i "testsrc2=size=1920x1080:rate=25:duration=$secs" \
    -f lavfi -i "sine=frequency=440:duration=$secs" -c:v rawvideo -pix_fmt uyvy422 -c:a pcm_s16le \
    -metadata title=PlantedFilmTitle -metadata artist=PlantedFilmArtist \
    -metadata location=+37.5665+126.9780/ -metadata creation_time=2020-01-01T00:00:00Z \
    lib/films/film.mov
python3 "$ROOT/bench/clean/make_big_zim.py" "$ZIM_MB" src/wiki.zim
split -b "${SPLIT_MB}M" -a 2 src/wiki.zim lib/wiki/위키.zim
film_bytes=$(stat -c %s lib/films/film.mov)
echo "film $film_bytes bytes; ZIM $(stat -c %s src/wiki.zim) bytes in $(ls lib/wiki | wc -l) parts;" \
    "$(find lib -type f | wc -l) files, $(du -sb lib | cut -f1) bytes"

step "clean"
sync
if [ "${COLD:-0}" = 1 ]; then
    echo 3 > /proc/sys/vm/drop_caches || { echo "COLD=1 needs root" >&2; exit 2; }
    echo "page cache dropped: the library is read from the disk"
fi
t0=$(now)
/usr/bin/time -f "%M" -o rss1 "$BIN" clean lib --out out --json > r1.json || true
t1=$(now)
python3 - r1.json <<'PY'
import json, sys, collections
r = json.load(open(sys.argv[1]))
c = collections.Counter(f["status"] for f in r["files"])
print("files:", dict(c), "manifest:", r["manifest_written"])
for f in r["files"]:
    if f["status"] == "blocked":
        print("  blocked:", f["path"], f.get("reason_code"), f.get("reason"))
PY
echo "clean: $(echo "$t1 $t0" | awk '{printf "%.1f", $1 - $2}') s, peak RSS $(( $(cat rss1) / 1024 )) MiB"

step "independent checks"
python3 "$DATA/verify_corpus.py" lib/corpus out/corpus src/corpus/planted.txt
python3 "$DATA/verify_office.py" lib/office out/office src/office/planted.txt
for p in PlantedFilmTitle PlantedFilmArtist 37.5665 PlantedZimHost PlantedZimBuilder; do
    if grep -rl --binary-files=binary -F "$p" out > /dev/null; then echo "FAIL: $p left in out/"; exit 1; fi
done
echo "no planted film or ZIM value in out/ (byte search)"
a=$(ffmpeg -v error -i lib/films/film.mov -map 0 -c copy -f md5 -)
b=$(ffmpeg -v error -i out/films/film.mov -map 0 -c copy -f md5 -)
[ "$a" = "$b" ] || { echo "FAIL: the film's streams changed"; exit 1; }
echo "film streams identical ($a)"
python3 - src/wiki.zim out/wiki/위키.zim <<'PY'
import sys
from libzim.reader import Archive
a, b = Archive(sys.argv[1]), Archive(sys.argv[2])
assert b.check(), "libzim's integrity check fails on the cleaned set"
assert a.all_entry_count == b.all_entry_count
assert bytes(b.get_metadata("Source")) == b"" and bytes(b.get_metadata("Scraper")) == b""
for i in range(0, a.all_entry_count, 97):
    x, y = a._get_entry_by_id(i), b._get_entry_by_id(i)
    assert x.path == y.path
    if not x.is_redirect and x.path not in a.metadata_keys:
        assert bytes(x.get_item().content) == bytes(y.get_item().content), x.path
print("ZIM: libzim opens the cleaned parts as one archive, check() passes, Source/Scraper empty, sampled items identical")
PY

step "clean again after adding one file and deleting one"
echo "새 소식 / new notes" > lib/corpus/added.txt
gone=$(cd lib/corpus && find . -name '*.png' | head -1)
rm "lib/corpus/$gone"
sync
t0=$(now)
"$BIN" clean lib --out out --json > r2.json || true
t1=$(now)
python3 - r2.json "corpus/${gone#./}" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
redone = [f["path"] for f in r["files"] if not f["reused"] and f["status"] != "blocked"]
print("redone:", redone, "deleted:", r["deleted"])
assert redone == ["corpus/added.txt"], redone
assert r["deleted"] == [sys.argv[2]], r["deleted"]
PY
[ ! -e "out/corpus/${gone#./}" ] || { echo "FAIL: deleted input still in out"; exit 1; }
echo "re-clean: $(echo "$t1 $t0" | awk '{printf "%.2f", $1 - $2}') s"

step "pack"
leave_out=()
if [ "$film_bytes" -gt 4294967295 ]; then
    if "$BIN" pack out --out refused.img --size 16GB -q 2> refused.err; then
        echo "FAIL: a film over 4 GiB was packed"; exit 1
    fi
    grep -q "film.mov" refused.err && grep -q "saebaram convert" refused.err ||
        { echo "FAIL: the refusal does not name the film and the way out"; cat refused.err; exit 1; }
    echo "refused as it should: $(head -c 200 refused.err)"
    leave_out=(--exclude films/film.mov)
fi
for size in 16GB 64GB; do
    rm -f "drive-$size.img"*; sync
    t0=$(now)
    "$BIN" pack out --out "drive-$size.img" --size "$size" "${leave_out[@]}" -q --json > "pack-$size.json"
    t1=$(now)
    dd if="drive-$size.img" bs=1M skip=1 status=none conv=sparse of=part.img
    fsck.fat -n part.img > /dev/null && rm -f part.img
    "$BIN" verify "drive-$size.img" -q > /dev/null
    echo "pack $size: $(echo "$t1 $t0" | awk '{printf "%.2f", $1 - $2}') s, fsck.fat ok, saebaram verify ok, $(du -k "drive-$size.img" | cut -f1) KiB on disk"
    rm -f "drive-$size.img"*
done
echo "== all checks passed"
