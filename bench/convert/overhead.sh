#!/usr/bin/env bash
# The cost of the orchestration: `saebaram convert` against the very ffmpeg command it runs,
# typed by hand, on the same clip, in the same run, alternating (paired rounds).
#
# Makes a 1080p30 H.264 High clip with B-frames and 5.1 AAC (SECONDS long) with ffmpeg's
# lavfi sources, converts it once to read the exact ffmpeg arguments from the `--json`
# report (`ffmpeg_args`), then per round and per profile: `saebaram convert` into a fresh
# output (probe, hash, encode, clean, state) and the same ffmpeg arguments run by hand in an
# empty folder. Prints the median wall times, the median per-round ratio and seconds of
# output per second of wall time, and the same for CPU seconds (user + system of the whole
# process tree, from /usr/bin/time: steadier than wall time on a loaded machine, and what
# the orchestration really costs). Then the speedup of `--jobs 2` over `--jobs 1` on four
# shorter clips (ffmpeg threads 1 each).
#
# Usage: bench/convert/overhead.sh   (from the repository root, after
#                                     `cargo build --release -p saebaram`)
# Env:   RUNS (default 3)  SECONDS_LONG (default 60)  PROFILES (default "notel dvd pc audio")
#        WORK (default /tmp/saebaram-bench-convert)  JOBS_BENCH (default 1; 0 skips the
#        parallel-jobs part)  SRC (an existing clip made by the command below, reused instead
#        of encoding it again; it must last SECONDS_LONG)
set -euo pipefail
BIN=${BIN:-$PWD/target/release/saebaram}
WORK=${WORK:-/tmp/saebaram-bench-convert}
RUNS=${RUNS:-3}
LEN=${SECONDS_LONG:-60}
PROFILES=${PROFILES:-notel dvd pc audio}
command -v ffmpeg >/dev/null && command -v python3 >/dev/null && [ -x /usr/bin/time ] || { echo "needs ffmpeg, python3 and /usr/bin/time" >&2; exit 2; }
rm -rf "$WORK"; mkdir -p "$WORK/src" "$WORK/four"
cd "$WORK"
if [ -n "${SRC:-}" ]; then cp "$SRC" src/clip.mp4; else
ffmpeg -v error -y -f lavfi -i "testsrc2=size=1920x1080:rate=30:duration=$LEN" \
    -f lavfi -i "sine=frequency=440:duration=$LEN:sample_rate=48000" \
    -filter_complex "[1:a]pan=5.1|c0=c0|c1=c0|c2=c0|c3=c0|c4=c0|c5=c0[a]" -map 0:v -map "[a]" \
    -c:v libx264 -preset veryfast -profile:v high -bf 3 -c:a aac src/clip.mp4
fi
now() { date +%s.%N; }
median() { python3 -c "import sys,statistics; print(statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }
for profile in $PROFILES; do
    rm -rf o .o.saebaram-convert
    "$BIN" convert src/clip.mp4 --out o --profile "$profile" --subtitles none --jobs 1 --json > report.json
    python3 -c "import json; [print(a) for a in json.load(open('report.json'))['files'][0]['ffmpeg_args']]" > args.txt
    mapfile -t ARGS < args.txt
    # A two-pass profile (notel): the report gives the second pass; the first is the same
    # command with `-pass 1`, no audio and no output file (what `args::build` makes for
    # pass 1), run before it in the same folder, exactly as saebaram runs them.
    python3 - <<'PY' > args1.txt
a = open("args.txt").read().split("\n")[:-1]
if "-pass" in a:
    a[a.index("-pass") + 1] = "1"
    i = a.index("-c:a") - 2
    a[i:i + 10] = ["-an"]
    a = a[:a.index("encoder= ") + 1] + ["-f", "null", "-"]
    print("\n".join(a))
PY
    mapfile -t ARGS1 < args1.txt
    { if [ ${#ARGS1[@]} -gt 0 ]; then printf '%q ' ffmpeg "${ARGS1[@]}"; echo '&&'; fi
      printf '%q ' ffmpeg "${ARGS[@]}"; echo; } > "hand-$profile.sh"
    ours=(); hand=(); ratios=(); cours=(); chand=(); cratios=()
    for r in $(seq "$RUNS"); do
        rm -rf o .o.saebaram-convert h; mkdir h
        # Each side starts with nothing dirty in the page cache: saebaram's clean ends with
        # a syncfs, which would otherwise pay to write back the other side's output.
        sync
        /usr/bin/time -f "%e %U %S" -o t.ours "$BIN" convert src/clip.mp4 --out o --profile "$profile" --subtitles none --jobs 1 >/dev/null 2>&1
        sync
        ( cd h && /usr/bin/time -f "%e %U %S" -o ../t.hand bash "../hand-$profile.sh" >/dev/null 2>&1 )
        read -r a ua sa < t.ours; read -r b ub sb < t.hand
        ca=$(python3 -c "print($ua+$sa)"); cb=$(python3 -c "print($ub+$sb)")
        ours+=("$a"); hand+=("$b"); ratios+=("$(python3 -c "print($a/$b)")")
        cours+=("$ca"); chand+=("$cb"); cratios+=("$(python3 -c "print($ca/$cb)")")
        echo "  $profile round $r: wall $a s vs $b s, cpu $ca s vs $cb s"
    done
    mo=$(median "${ours[@]}"); mh=$(median "${hand[@]}"); mr=$(median "${ratios[@]}")
    co=$(median "${cours[@]}"); ch=$(median "${chand[@]}"); cr=$(median "${cratios[@]}")
    printf '%s: wall: saebaram convert %.2f s (%.1f s of output per s), ffmpeg by hand %.2f s (%.1f), median ratio %.3f; cpu: %.2f s vs %.2f s, median ratio %.3f\n' \
        "$profile" "$mo" "$(python3 -c "print($LEN/$mo)")" "$mh" "$(python3 -c "print($LEN/$mh)")" "$mr" "$co" "$ch" "$cr"
done
for profile in $PROFILES; do echo "ffmpeg by hand, $profile (run in an empty folder):"; cat "hand-$profile.sh"; done
[ "${JOBS_BENCH:-1}" = 0 ] && exit 0
# Parallel jobs: four clips of LEN/4 s.
q=$((LEN / 4))
for i in 1 2 3 4; do
    ffmpeg -v error -y -ss $(( (i - 1) * q )) -t "$q" -i src/clip.mp4 -c copy "four/clip$i.mp4"
done
j1=(); j2=()
for r in $(seq "$RUNS"); do
    rm -rf p .p.saebaram-convert; t0=$(now)
    "$BIN" convert four --out p --subtitles none --jobs 1 --threads 1 >/dev/null 2>&1; t1=$(now)
    rm -rf p .p.saebaram-convert
    "$BIN" convert four --out p --subtitles none --jobs 2 --threads 1 >/dev/null 2>&1; t2=$(now)
    j1+=("$(python3 -c "print($t1-$t0)")"); j2+=("$(python3 -c "print($t2-$t1)")")
done
m1=$(median "${j1[@]}"); m2=$(median "${j2[@]}")
printf 'notel, 4 clips, ffmpeg threads 1: --jobs 1 %.2f s, --jobs 2 %.2f s, speedup %.2fx\n' "$m1" "$m2" "$(python3 -c "print($m1/$m2)")"
