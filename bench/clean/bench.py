#!/usr/bin/env python3
"""saebaram clean vs mat2 on the same generated corpus, in the same run.

usage: bench/clean/bench.py [--copies N] [--runs R] [--jobs J] [--saebaram PATH]

Generates the test corpus (crates/saebaram/tests/data/clean/make_corpus.py), replicates it
N times (default 10), cleans it R times (default 3) with `saebaram clean --jobs J` and with
mat2 in J worker processes (the files dealt round-robin to J `mat2 --inplace` processes
running at once; mat2 has no worker option), both in mat2's default mode and with
`--lightweight`, each on a fresh copy; rounds alternate the three tools. Prints a Markdown
table (files/s, MB/s, median of R runs, median of per-round ratios) and what each mat2
mode did to the content (JPEG scan data re-encoded, PDF size and text, files refused).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ap = argparse.ArgumentParser()
ap.add_argument("--copies", type=int, default=10)
ap.add_argument("--runs", type=int, default=3)
ap.add_argument("--jobs", type=int, default=2)
ap.add_argument("--saebaram", default=os.path.join(ROOT, "target/release/saebaram"))
args = ap.parse_args()

tmp = tempfile.mkdtemp(prefix="clean-bench-")
gen = os.path.join(tmp, "gen")
subprocess.run([sys.executable, os.path.join(ROOT, "crates/saebaram/tests/data/clean/make_corpus.py"), gen], check=True)
corpus = os.path.join(tmp, "corpus")
for i in range(args.copies):
    shutil.copytree(os.path.join(gen, "good"), os.path.join(corpus, f"copy{i:02d}"))
files = [os.path.join(r, n) for r, _, ns in os.walk(corpus) for n in ns]
total_bytes = sum(os.path.getsize(f) for f in files)


def timed(cmd, **kw):
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, **kw)
    return time.perf_counter() - t, r


def mat2_parallel(tree, extra):
    """mat2 --inplace on every file of `tree`, in args.jobs processes at once."""
    mfiles = sorted(os.path.join(r_, n) for r_, _, ns in os.walk(tree) for n in ns)
    groups = [mfiles[i::args.jobs] for i in range(args.jobs)]
    t = time.perf_counter()
    procs = [subprocess.Popen(["mat2", *extra, "--inplace", *g], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT) for g in groups if g]
    outs = [p.communicate()[0] for p in procs]
    dt = time.perf_counter() - t
    return dt, b"".join(outs).decode(errors="replace"), mfiles


MODES = {"mat2": [], "mat2_light": ["--lightweight"]}
ours = []
theirs = {m: [] for m in MODES}
failed = {m: set() for m in MODES}
for k in range(args.runs):
    out = os.path.join(tmp, f"ours{k}")
    dt, r = timed([args.saebaram, "clean", "--jobs", str(args.jobs), corpus, "--out", out])
    if r.returncode != 0:
        sys.exit(f"saebaram clean failed: {r.stdout.decode()}{r.stderr.decode()}")
    ours.append(dt)
    for mode, extra in MODES.items():
        m = os.path.join(tmp, f"{mode}_{k}")
        shutil.copytree(corpus, m)
        dt, text, mfiles = mat2_parallel(m, extra)
        theirs[mode].append(dt)
        if k == 0:
            for line in text.splitlines():
                low = line.lower()
                if "not supported" in low or "error" in low or "unable" in low:
                    for f in mfiles:
                        if os.path.basename(f) in line:
                            failed[mode].add(os.path.relpath(f, m))

def jpeg_scan(data):
    i = data.find(b"\xff\xda")
    return data[i:data.rfind(b"\xff\xd9")]


def read(*parts):
    return open(os.path.join(*parts), "rb").read()


notes = []
for mode in MODES:
    label = "mat2" if mode == "mat2" else "mat2 --lightweight"
    a, o, t = (read(corpus, "copy00/photo.jpg"), read(tmp, "ours0", "copy00/photo.jpg"),
               read(tmp, f"{mode}_0", "copy00/photo.jpg"))
    notes.append(f"{label}: JPEG scan data {'identical' if jpeg_scan(a) == jpeg_scan(t) else 're-encoded'}"
                 f" ({len(a)} B -> {len(t)} B; saebaram {len(o)} B, scan "
                 f"{'identical' if jpeg_scan(a) == jpeg_scan(o) else 'CHANGED'})")
    for pdf in ("copy00/docs/leaflet.pdf", "copy00/docs/leaflet-objstm.pdf"):
        a, o, t = read(corpus, pdf), read(tmp, "ours0", pdf), read(tmp, f"{mode}_0", pdf)
        ta = subprocess.run(["pdftotext", os.path.join(corpus, pdf), "-"], capture_output=True).stdout
        tt = subprocess.run(["pdftotext", os.path.join(tmp, f"{mode}_0", pdf), "-"], capture_output=True).stdout
        notes.append(f"{label}: {os.path.basename(pdf)} {len(a)} B -> {len(t)} B, text "
                     f"{'kept' if ta == tt else 'LOST (rasterised)'} (saebaram {len(o)} B, text kept)")
    unchanged = [rel.split('/', 1)[1] for rel in
                 ("copy00/image.webp", "copy00/media/clip.mkv", "copy00/media/clip.webm",
                  "copy00/media/clip.mov", "copy00/media/song.m4a", "copy00/docs/page.html")
                 if read(corpus, rel) == read(tmp, f"{mode}_0", rel)]
    if unchanged:
        notes.append(f"{label}: left unchanged (not cleaned): {', '.join(unchanged)}")
    if failed[mode]:
        notes.append(f"{label}: reported errors or unsupported formats for {len(failed[mode]) // args.copies} "
                     f"files per copy of the corpus, e.g. " + ", ".join(sorted(failed[mode])[:5]))

n, mb = len(files), total_bytes / 1e6
mo = statistics.median(ours)
print(f"corpus: {n} files, {mb:.2f} MB ({args.copies} copies of the generated corpus), "
      f"{args.jobs} workers each, median of {args.runs} rounds\n")
print("| what | saebaram clean | mat2 (default) | mat2 --lightweight |")
print("|---|---|---|---|")
mt = {m: statistics.median(v) for m, v in theirs.items()}
print(f"| wall time | {mo:.3f} s | {mt['mat2']:.2f} s | {mt['mat2_light']:.2f} s |")
print(f"| files/s | {n / mo:.0f} | {n / mt['mat2']:.1f} | {n / mt['mat2_light']:.1f} |")
print(f"| MB/s | {mb / mo:.1f} | {mb / mt['mat2']:.2f} | {mb / mt['mat2_light']:.2f} |")
ratio = {m: statistics.median(t / o for t, o in zip(v, ours)) for m, v in theirs.items()}
print(f"| saebaram faster by (median of per-round ratios) | - | {ratio['mat2']:.1f}x | {ratio['mat2_light']:.1f}x |")
print("\nContent:")
for line in notes:
    print(f"- {line}")
shutil.rmtree(tmp)
