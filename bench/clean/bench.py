#!/usr/bin/env python3
"""saebaram clean vs mat2 on the same generated corpus, in the same run.

usage: bench/clean/bench.py [--copies N] [--runs R] [--saebaram PATH]

Generates the test corpus (crates/saebaram/tests/data/clean/make_corpus.py), replicates it
N times (default 10), cleans it R times (default 3) with `saebaram clean` and with
`mat2 --inplace` (on a fresh copy each run), and prints a Markdown table: files/s, MB/s,
the median of R runs, and where mat2's output lost content (JPEG scan data re-encoded, PDF
size, files mat2 refused).
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


ours, theirs = [], []
mat2_fail = set()
for k in range(args.runs):
    out = os.path.join(tmp, f"ours{k}")
    dt, r = timed([args.saebaram, "clean", corpus, "--out", out])
    if r.returncode != 0:
        sys.exit(f"saebaram clean failed: {r.stdout.decode()}{r.stderr.decode()}")
    ours.append(dt)
    m = os.path.join(tmp, f"mat2_{k}")
    shutil.copytree(corpus, m)
    mfiles = sorted(os.path.join(r_, n) for r_, _, ns in os.walk(m) for n in ns)
    dt, r = timed(["mat2", "--inplace", *mfiles])
    theirs.append(dt)
    if k == 0:
        for line in (r.stdout + r.stderr).decode(errors="replace").splitlines():
            for f in mfiles:
                if os.path.basename(f) in line and ("not supported" in line.lower() or "error" in line.lower() or "unable" in line.lower()):
                    mat2_fail.add(os.path.relpath(f, m))


def jpeg_scan(data):
    i = data.find(b"\xff\xda")
    return data[i:data.rfind(b"\xff\xd9")]


def compare(rel):
    a = open(os.path.join(corpus, rel), "rb").read()
    o = open(os.path.join(tmp, "ours0", rel), "rb").read()
    t = open(os.path.join(tmp, "mat2_0", rel), "rb").read()
    return a, o, t


notes = []
a, o, t = compare("copy00/photo.jpg")
notes.append(f"JPEG scan data: saebaram {'identical' if jpeg_scan(a) == jpeg_scan(o) else 'CHANGED'}, "
             f"mat2 {'identical' if jpeg_scan(a) == jpeg_scan(t) else 're-encoded'} ({len(a)} -> {len(o)} / {len(t)} bytes)")
for pdf in ("copy00/docs/leaflet.pdf", "copy00/docs/leaflet-objstm.pdf"):
    a, o, t = compare(pdf)
    ta = subprocess.run(["pdftotext", os.path.join(corpus, pdf), "-"], capture_output=True).stdout
    tt = subprocess.run(["pdftotext", os.path.join(tmp, "mat2_0", pdf), "-"], capture_output=True).stdout
    notes.append(f"{os.path.basename(pdf)}: {len(a)} B -> saebaram {len(o)} B, mat2 {len(t)} B "
                 f"(mat2 text {'kept' if ta == tt else 'LOST (rasterised)'})")
for rel in ("copy00/image.webp", "copy00/media/clip.mkv", "copy00/media/clip.webm", "copy00/docs/book.epub", "copy00/docs/page.html"):
    a, o, t = compare(rel)
    notes.append(f"{rel.split('/', 1)[1]}: mat2 output {'unchanged (not cleaned)' if a == t else 'changed'}")

mo, mt = statistics.median(ours), statistics.median(theirs)
n, mb = len(files), total_bytes / 1e6
print(f"corpus: {n} files, {mb:.2f} MB ({args.copies} copies of the generated corpus), median of {args.runs} runs\n")
print("| what | saebaram clean | mat2 --inplace | ratio |")
print("|---|---|---|---|")
print(f"| wall time | {mo:.3f} s | {mt:.2f} s | {mt / mo:.1f}x |")
print(f"| files/s | {n / mo:.0f} | {n / mt:.1f} | {mt / mo:.1f}x |")
print(f"| MB/s | {mb / mo:.1f} | {mb / mt:.2f} | {mt / mo:.1f}x |")
print("\nContent:")
for line in notes:
    print(f"- {line}")
if mat2_fail:
    print(f"- mat2 reported errors or unsupported formats for {len(mat2_fail)} files, e.g. " + ", ".join(sorted(mat2_fail)[:6]))
shutil.rmtree(tmp)
