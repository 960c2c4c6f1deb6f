#!/usr/bin/env python3
"""Independent check of `saebaram clean` on the legacy-office corpus (shares no code with the
cleaner).

usage: verify_office.py INDIR OUTDIR PLANTED_TXT

For every file of INDIR, the cleaned OUTDIR file must: contain no planted string (byte search,
ASCII case-insensitive, UTF-8 and UTF-16LE); show none to exiftool or to olefile's property
reader; keep every OLE stream that is not metadata byte for byte; and keep its content: the
text LibreOffice extracts (DOC, RTF: plain text; XLS: CSV; PPT: PDF text via pdftotext) and
the text of HTML pages are the same before and after. Prints one line per problem; exit
status 1 if any.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import olefile

IN, OUT, PLANTED_FILE = sys.argv[1:4]
planted = [l.strip() for l in open(PLANTED_FILE, encoding="utf-8") if l.strip()]
problems = []
# Streams the cleaner edits (metadata inside): compared through their text instead.
EDITED = {"WordDocument", "1Table", "0Table", "Workbook", "Current User", "PowerPoint Document"}


def problem(path, msg):
    problems.append(f"{path}: {msg}")


def search(rel, data):
    low = data.lower()
    for s in planted:
        for n in (s.lower().encode(), s.lower().encode("utf-16-le")):
            if n in low:
                problem(rel, f"planted {s!r} still present")
                break


files = sorted(os.listdir(IN))
for rel in files:
    src, dst = os.path.join(IN, rel), os.path.join(OUT, rel)
    if not os.path.exists(dst):
        problem(rel, "missing from the output")
        continue
    b = open(dst, "rb").read()
    search(rel, b)
    if olefile.isOleFile(dst):
        a_ole, b_ole = olefile.OleFileIO(src), olefile.OleFileIO(dst)
        meta = b_ole.get_metadata()
        for attr in meta.SUMMARY_ATTRIBS + meta.DOCSUM_ATTRIBS:
            value = getattr(meta, attr)
            if value not in (None, b"", 0) and attr not in ("codepage", "codepage_doc"):
                problem(rel, f"olefile still reads property {attr} = {value!r}")
        a_streams = {"/".join(p) for p in a_ole.listdir()}
        b_streams = {"/".join(p) for p in b_ole.listdir()}
        if a_streams != b_streams:
            problem(rel, f"streams differ: {sorted(a_streams ^ b_streams)}")
        for s in sorted(a_streams & b_streams):
            if s.startswith("\x05") or s in EDITED:
                continue
            if a_ole.openstream(s).read() != b_ole.openstream(s).read():
                problem(rel, f"stream {s!r} changed")
        for s in a_streams & b_streams & EDITED:
            if a_ole.get_size(s) != b_ole.get_size(s) and s != "Current User":
                problem(rel, f"stream {s!r} changed size (it is edited in place)")
    if rel.endswith((".htm", ".html")):
        def visible(t):
            t = re.sub(rb"<!--.*?-->", b"", t, flags=re.S)
            t = re.sub(rb"<(script|style)\b.*?</\1>", b"", t, flags=re.S | re.I)
            return re.sub(rb"\s+", b" ", re.sub(rb"<[^>]*>", b"", t)).strip()
        if visible(open(src, "rb").read()) != visible(b):
            problem(rel, "the visible text changed")

# LibreOffice's own reading of every document, before and after, in one run per filter.
work = tempfile.mkdtemp(prefix="office-verify-")
groups = {"txt:Text": (".doc", ".rtf"), "csv": (".xls",), "pdf": (".ppt",)}
for target, exts in groups.items():
    names = [f for f in files if f.endswith(exts)]
    if not names:
        continue
    stage = os.path.join(work, target.split(":")[0])
    os.makedirs(stage)
    for f in names:
        shutil.copy(os.path.join(IN, f), os.path.join(stage, "before-" + f))
        shutil.copy(os.path.join(OUT, f), os.path.join(stage, "after-" + f))
    subprocess.run(["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{work}/profile",
                    "--convert-to", target, "--outdir", os.path.join(stage, "out"),
                    *[os.path.join(stage, p + f) for f in names for p in ("before-", "after-")]],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ext = target.split(":")[0]
    for f in names:
        base = os.path.splitext(f)[0]
        texts = []
        for p in ("before-", "after-"):
            path = os.path.join(stage, "out", f"{p}{base}.{ext}")
            if not os.path.exists(path):
                texts.append(None)
            elif ext == "pdf":
                texts.append(subprocess.run(["pdftotext", path, "-"], capture_output=True).stdout)
            else:
                texts.append(open(path, "rb").read())
        if texts[1] is None:
            problem(f, "LibreOffice cannot read the cleaned file")
        elif texts[0] != texts[1] or not texts[0].strip():
            problem(f, f"the text LibreOffice reads changed: {texts[0][:200]!r} -> {texts[1][:200]!r}")
shutil.rmtree(work, ignore_errors=True)

r = subprocess.run(["exiftool", "-j", "-a", "-G1", "-u", "-ee", OUT], capture_output=True)
for entry in json.loads(r.stdout or b"[]"):
    name = os.path.relpath(entry.get("SourceFile", "?"), OUT)
    for key, value in entry.items():
        if key.startswith(("System:", "File:", "ExifTool:")) or key == "SourceFile":
            continue
        text = json.dumps(value, ensure_ascii=False).lower()
        for s in planted:
            if s.lower() in text:
                problem(name, f"exiftool still shows {key} = {value}")
        if "gps" in key.lower() and "gpsversion" not in key.lower():
            problem(name, f"exiftool still shows GPS tag {key}")

for p in problems:
    print(p)
print(f"checked {len(files)} files, {len(problems)} problems")
sys.exit(1 if problems else 0)
