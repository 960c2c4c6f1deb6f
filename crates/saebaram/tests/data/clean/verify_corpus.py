#!/usr/bin/env python3
"""Independent check of a `saebaram clean` run (shares no code with the cleaner).

usage: verify_corpus.py INDIR OUTDIR PLANTED_TXT

For every file of INDIR, the cleaned OUTDIR file must: contain no planted string (byte search,
ASCII case-insensitive, UTF-8 and UTF-16, inside zip members and inflated PDF streams too);
show no planted value and no GPS tag to exiftool; keep its content: JPEG scan data, PNG IDAT,
decoded pixels (Pillow), audio/video packets (ffmpeg framemd5), PDF text (pdftotext), DOCX
paragraphs (python-docx), TIFF/DNG pages (tifffile arrays), HEIC/AVIF/BMP pixels (Pillow,
pillow-heif); embedded ICC profiles name nothing planted and convert colours exactly as before
(lcms via Pillow's ImageCms); and still open (ffprobe, qpdf --check, zip test, EPUB mimetype
first and stored). Prints one line per problem; exit status 1 if any.
"""
import io
import json
import os
import re
import subprocess
import sys
import zipfile
import zlib

from PIL import Image, ImageCms
import docx
import numpy
import pillow_heif
import tifffile

pillow_heif.register_heif_opener()

IN, OUT, PLANTED_FILE = sys.argv[1:4]
planted = [l.strip() for l in open(PLANTED_FILE, encoding="utf-8") if l.strip()]
problems = []


def problem(path, msg):
    problems.append(f"{path}: {msg}")


def needles(s):
    return [s.lower().encode(), s.lower().encode("utf-16-le"), s.lower().encode("utf-16-be")]


def search(path, data, where=""):
    low = data.lower()
    for s in planted:
        for n in needles(s):
            if n in low:
                problem(path, f"planted {s!r} still present{where}")
                break


def pdf_streams(data):
    for m in re.finditer(rb"stream\r?\n", data):
        start = m.end()
        end = data.find(b"endstream", start)
        if end < 0:
            continue
        try:
            yield zlib.decompressobj().decompress(data[start:end], 64 << 20)
        except zlib.error:
            pass


def jpeg_scan(data):
    i = data.find(b"\xff\xda")
    return data[i:data.rfind(b"\xff\xd9")] if i >= 0 else None


def png_idat(data):
    out, i = b"", 8
    while i + 8 <= len(data):
        n = int.from_bytes(data[i:i + 4], "big")
        if data[i + 4:i + 8] == b"IDAT":
            out += data[i + 8:i + 8 + n]
        i += n + 12
    return out


def framemd5(path, audio_only):
    # Cover art (an attached picture) is metadata: compare the audio and real video streams.
    maps = ["-map", "0:a"] if audio_only else ["-map", "0:V", "-map", "0:a?"]
    r = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", path, *maps, "-c", "copy",
                        "-f", "framemd5", "-"], capture_output=True)
    if r.returncode != 0:
        return None
    # Stream index, size and hash of every packet (the demuxer may shift an MP3's start time
    # by a microsecond when the cover art before it disappears).
    rows = [l.split(",") for l in r.stdout.decode().splitlines() if not l.startswith("#")]
    return [(row[0].strip(), row[4].strip(), row[5].strip()) for row in rows if len(row) >= 6]


def icc_of(path):
    try:
        return Image.open(path).info.get("icc_profile")
    except Exception:  # noqa: BLE001 - no profile to check
        return None


# A fixed test image with every corner of the RGB cube and a ramp.
ICC_PROBE = Image.frombytes("RGB", (256, 9), bytes(
    c for i in range(256) for c in (i, (i * 7) % 256, 255 - i)) + bytes(
    c for v in range(256 * 8) for c in ((v & 1) * 255, (v >> 1 & 1) * 255, (v >> 2 & 1) * 255)))
SRGB = ImageCms.createProfile("sRGB")


def to_srgb(profile):
    p = ImageCms.ImageCmsProfile(io.BytesIO(profile))
    return ImageCms.profileToProfile(ICC_PROBE, p, SRGB, outputMode="RGB").tobytes()


def tool(*cmd):
    return subprocess.run(cmd, capture_output=True)


files = []
for root, _, names in os.walk(IN):
    for n in names:
        files.append(os.path.relpath(os.path.join(root, n), IN))

for rel in sorted(files):
    src, dst = os.path.join(IN, rel), os.path.join(OUT, rel)
    if not os.path.exists(dst):
        problem(rel, "missing from the output")
        continue
    a, b = open(src, "rb").read(), open(dst, "rb").read()
    ext = rel.rsplit(".", 1)[-1].lower()
    search(rel, b)
    if b[:4] == b"PK\x03\x04":
        try:
            z = zipfile.ZipFile(dst)
            bad = z.testzip()
            if bad:
                problem(rel, f"zip member {bad} is corrupt")
            for info in z.infolist():
                search(rel, z.read(info), f" in member {info.filename}")
                search(rel, info.filename.encode(), " in a member name")
                if info.date_time != (1980, 1, 1, 0, 0, 0):
                    problem(rel, f"member {info.filename} has time {info.date_time}")
            if ext in ("epub", "odt"):
                first = z.infolist()[0]
                if first.filename != "mimetype" or first.compress_type != zipfile.ZIP_STORED:
                    problem(rel, "mimetype is not the first, stored member")
        except zipfile.BadZipFile as e:
            problem(rel, f"not a valid zip: {e}")
    if ext == "pdf":
        for s in pdf_streams(b):
            search(rel, s, " in a PDF stream")
        t1 = tool("pdftotext", src, "-").stdout
        t2 = tool("pdftotext", dst, "-")
        if t2.returncode != 0 or t2.stdout != t1 or not t1.strip():
            problem(rel, "pdftotext text differs or fails")
        if tool("qpdf", "--check", dst).returncode not in (0, 3):
            problem(rel, "qpdf --check fails")
    if ext in ("jpg", "jpeg"):
        if jpeg_scan(a) != jpeg_scan(b):
            problem(rel, "JPEG scan data changed")
    if ext == "png":
        if png_idat(a) != png_idat(b):
            problem(rel, "PNG IDAT changed")
    if ext in ("tif", "tiff", "dng"):
        try:
            ta, tb = tifffile.TiffFile(src), tifffile.TiffFile(dst)
            if len(ta.pages) != len(tb.pages):
                problem(rel, "TIFF page count changed")
            for k, (pa, pb) in enumerate(zip(ta.pages, tb.pages)):
                if not numpy.array_equal(pa.asarray(), pb.asarray()):
                    problem(rel, f"TIFF page {k} decodes differently")
                # Tags a decoder or raw converter needs must survive with their values.
                for code in (256, 257, 258, 259, 262, 277, 284, 317, 33421, 33422, 50706, 50717, 50721,
                             50778):
                    ta_tag, tb_tag = pa.tags.get(code), pb.tags.get(code)
                    if ta_tag is not None and (tb_tag is None or tb_tag.value != ta_tag.value):
                        problem(rel, f"TIFF page {k} lost or changed tag {code}")
        except Exception as e:  # noqa: BLE001
            problem(rel, f"tifffile cannot read it: {e}")
    ia_icc, ib_icc = icc_of(src), icc_of(dst)
    if ib_icc:
        search(rel, ib_icc, " in its ICC profile")
    if ia_icc and ib_icc:
        try:
            if to_srgb(ia_icc) != to_srgb(ib_icc):
                problem(rel, "the cleaned ICC profile converts colours differently")
        except Exception as e:  # noqa: BLE001
            problem(rel, f"lcms cannot use the ICC profile: {e}")
    elif ia_icc and not ib_icc:
        problem(rel, "the ICC profile was dropped")
    if ext in ("jpg", "jpeg", "png", "gif", "webp", "tif", "tiff", "heic", "avif", "bmp"):
        try:
            ia, ib = Image.open(src), Image.open(dst)
            n = getattr(ia, "n_frames", 1)
            if n != getattr(ib, "n_frames", 1):
                problem(rel, "frame count changed")
            for k in range(n):
                ia.seek(k)
                ib.seek(k)
                if ia.convert("RGBA").tobytes() != ib.convert("RGBA").tobytes():
                    problem(rel, f"pixels of frame {k} changed")
        except Exception as e:  # noqa: BLE001 - any decoder failure is a problem
            problem(rel, f"does not decode: {e}")
    if ext in ("mp3", "flac", "wav", "m4a", "ogg", "opus", "mp4", "mov", "mkv", "webm", "avi", "aiff", "wmv",
               "flv"):
        audio = ext in ("mp3", "flac", "wav", "m4a", "ogg", "opus", "aiff")
        fa, fb = framemd5(src, audio), framemd5(dst, audio)
        if fb is None:
            problem(rel, "ffmpeg cannot read the output")
        elif fa != fb:
            problem(rel, "audio/video packets changed")
        if tool("ffprobe", "-v", "error", dst).returncode != 0:
            problem(rel, "ffprobe fails")
    if ext == "docx":
        try:
            pa = [p.text for p in docx.Document(src).paragraphs]
            pb = [p.text for p in docx.Document(dst).paragraphs]
            if pa != pb:
                problem(rel, "DOCX paragraphs changed")
        except Exception as e:  # noqa: BLE001
            problem(rel, f"python-docx cannot open it: {e}")

# exiftool over the whole output, one process.
r = tool("exiftool", "-j", "-a", "-G1", "-u", "-ee", "-r", OUT)
try:
    tags = json.loads(r.stdout or b"[]")
except json.JSONDecodeError:
    tags = []
    problem(OUT, "exiftool output unreadable")
for entry in tags:
    name = os.path.relpath(entry.get("SourceFile", "?"), OUT)
    for key, value in entry.items():
        if key.startswith("System:") or key.startswith("File:") or key == "SourceFile" or key.startswith("ExifTool:"):
            continue
        text = json.dumps(value).lower()
        for s in planted:
            if s.lower() in text:
                problem(name, f"exiftool still shows {key} = {value}")
        if "gps" in key.lower() and "gpsversion" not in key.lower():
            problem(name, f"exiftool still shows GPS tag {key}")

for p in problems:
    print(p)
print(f"checked {len(files)} files, {len(problems)} problems")
sys.exit(1 if problems else 0)
