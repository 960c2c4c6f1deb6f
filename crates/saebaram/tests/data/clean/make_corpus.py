#!/usr/bin/env python3
"""Generates the `saebaram clean` test corpus with real tools and planted identifying values.

usage: make_corpus.py OUTDIR

Writes OUTDIR/good/ (files that must come out cleaned), OUTDIR/bad/ (files that must be
blocked), OUTDIR/planted.txt (one planted string per line) and OUTDIR/forbid.txt.
Tools: Pillow, python-docx, exiftool, ffmpeg, qpdf.
"""
import io
import os
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib

from PIL import Image, ImageCms, PngImagePlugin
import docx
import numpy
import pillow_heif
import tifffile

OUT = sys.argv[1]
GOOD = os.path.join(OUT, "good")
BAD = os.path.join(OUT, "bad")
os.makedirs(GOOD, exist_ok=True)
os.makedirs(os.path.join(GOOD, "media"), exist_ok=True)
os.makedirs(os.path.join(GOOD, "docs"), exist_ok=True)
os.makedirs(BAD, exist_ok=True)

PLANTED = [
    "PlantedArtist", "CAMSERIAL7731", "PlantedSoftware", "PlantedXmpCreator", "PlantedJpegComment",
    "PlantedPngAuthor", "PlantedPngComment", "PlantedWebpArtist", "PlantedGifComment",
    "PlantedPdfAuthor", "PlantedPdfOldAuthor", "PlantedProducer", "PlantedXmpPdf",
    "PlantedDocxAuthor", "PlantedEditor", "PlantedDocxCompany",
    "PlantedOdtCreator", "PlantedOdtAnnotator", "PlantedPrinter",
    "PlantedEpubContributor", "PlantedEpubGenerator",
    "PlantedMp3Artist", "PlantedOggArtist", "PlantedOpusArtist", "PlantedFlacArtist", "PlantedWavArtist", "PlantedM4aArtist",
    "PlantedMp4Title", "PlantedMake", "PlantedModel", "PlantedMkvTitle", "PlantedWebmTitle",
    "PlantedAviTitle", "PlantedHtmlAuthor", "PlantedGenerator", "intranet.example",
    "PlantedIccDesc", "PlantedIccCopyright", "PlantedIccModel", "PlantedIccSerial", "PlantedTiffHost",
    "PlantedTiffDescription", "PlantedDngSerial", "PlantedDngRawName", "PlantedHeicArtist",
    "PlantedAvifArtist", "PlantedBmpTrailer", "PlantedIccLink", "PlantedAiffTitle", "PlantedAiffArtist",
    "PlantedAiffComment", "PlantedWmvTitle", "PlantedWmvAuthor", "PlantedWmvComment", "PlantedFlvTitle",
    "PlantedFlvArtist", "PlantedCopyright",
]
FORBIDDEN = "Pyongyang Cell Seven"


def run(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def g(*parts):
    return os.path.join(GOOD, *parts)


def picture(w=96, h=64):
    im = Image.new("RGB", (w, h))
    px = im.load()
    for y in range(h):
        for x in range(w):
            px[x, y] = ((x * 5) % 256, (y * 7) % 256, ((x + y) * 3) % 256)
    return im


# --- images -------------------------------------------------------------------------------
pic = picture()
pic.save(g("photo.jpg"), quality=92)
run("exiftool", "-q", "-overwrite_original", "-GPSLatitude=39.0392", "-GPSLatitudeRef=N",
    "-GPSLongitude=125.7625", "-GPSLongitudeRef=E", "-SerialNumber=CAMSERIAL7731",
    "-Artist=PlantedArtist", "-Software=PlantedSoftware", "-XMP-dc:Creator=PlantedXmpCreator",
    "-Comment=PlantedJpegComment", "-Orientation#=6", "-DateTimeOriginal=2024:05:06 07:08:09",
    g("photo.jpg"))

info = PngImagePlugin.PngInfo()
info.add_text("Author", "PlantedPngAuthor")
info.add_text("Comment", "PlantedPngComment", zip=True)
info.add_itxt("Software", "PlantedSoftware")
pic.save(g("drawing.png"), pnginfo=info)
run("exiftool", "-q", "-overwrite_original", "-GPSLatitude=39.0392", "-GPSLatitudeRef=N", g("drawing.png"))

exif = Image.Exif()
exif[0x013B] = "PlantedWebpArtist"  # Artist
exif[0x0131] = "PlantedSoftware"
pic.save(g("image.webp"), lossless=True, exif=exif.tobytes(), xmp=b"<x:xmpmeta>PlantedXmpCreator</x:xmpmeta>")

frames = [picture(32, 24), picture(32, 24).transpose(Image.FLIP_LEFT_RIGHT)]
frames[0].save(g("anim.gif"), save_all=True, append_images=frames[1:], loop=0, duration=100,
               comment=b"PlantedGifComment")

# --- PDF: text, Info, XMP, and an incremental update that still holds the old author -----
def pdf_bytes():
    xmp = (b'<?xpacket begin=""?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf='
           b'"http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description dc:creator="PlantedXmpPdf"/>'
           b'</rdf:RDF></x:xmpmeta><?xpacket end="w"?>')
    content = b"BT /F1 18 Tf 40 100 Td (Leaflet text stays exactly the same) Tj ET"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R /Metadata 6 0 R /PieceInfo << /Illustrator << /Private 7 0 R >> >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 200] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n" % len(xmp) + xmp + b"\nendstream",
        b"<< /CreatorTool (PlantedSoftware) >>",
        b"<< /Author (PlantedPdfOldAuthor) /Producer (PlantedProducer) /CreationDate (D:20240506070809+09'00') >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 8 0 R /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>] >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    # Incremental update: a new Info (the old one stays in the bytes).
    off9 = len(out)
    out += b"9 0 obj\n<< /Author (PlantedPdfAuthor) /Producer (PlantedProducer) >>\nendobj\n"
    xref2 = len(out)
    out += b"xref\n9 1\n%010d 00000 n \n" % off9
    out += b"trailer\n<< /Size 10 /Root 1 0 R /Info 9 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (xref, xref2)
    return bytes(out)


with open(g("docs", "leaflet.pdf"), "wb") as f:
    f.write(pdf_bytes())
run("qpdf", "--object-streams=generate", "--compress-streams=y", g("docs", "leaflet.pdf"), g("docs", "leaflet-objstm.pdf"))

# --- DOCX (python-docx) with a GPS-tagged picture -------------------------------------------
def make_docx(path, body):
    d = docx.Document()
    d.core_properties.author = "PlantedDocxAuthor"
    d.core_properties.last_modified_by = "PlantedEditor"
    d.core_properties.comments = "PlantedDocxCompany"
    d.add_paragraph(body)
    d.add_picture(g("photo.jpg"))
    d.save(path)


make_docx(g("docs", "report.docx"), "The meeting is on Tuesday near the river.")

# --- ODT (hand-built, as LibreOffice writes it) ---------------------------------------------
def make_odt(path):
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
          'xmlns:dc="http://purl.org/dc/elements/1.1/" '
          'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
          'xmlns:config="urn:oasis:names:tc:opendocument:xmlns:config:1.0"')
    content = (f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {ns} office:version="1.3">'
               '<office:body><office:text><text:p>Open document text body.'
               '<office:annotation><dc:creator>PlantedOdtAnnotator</dc:creator><dc:date>2024-05-06T07:08:09</dc:date>'
               '<text:p>note</text:p></office:annotation></text:p></office:text></office:body></office:document-content>')
    meta = (f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-meta {ns} office:version="1.3"><office:meta>'
            '<meta:initial-creator>PlantedOdtCreator</meta:initial-creator><meta:generator>PlantedGenerator</meta:generator>'
            '</office:meta></office:document-meta>')
    settings = (f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-settings {ns} office:version="1.3"><office:settings>'
                '<config:config-item config:name="PrinterName" config:type="string">PlantedPrinter</config:config-item>'
                '</office:settings></office:document-settings>')
    manifest = ('<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                '<manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>'
                '<manifest:file-entry manifest:full-path="settings.xml" manifest:media-type="text/xml"/>'
                '<manifest:file-entry manifest:full-path="Thumbnails/thumbnail.png" manifest:media-type="image/png"/>'
                '</manifest:manifest>')
    buf = io.BytesIO()
    picture(16, 16).save(buf, "PNG", pnginfo=info)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        z.writestr("meta.xml", meta, zipfile.ZIP_DEFLATED)
        z.writestr("settings.xml", settings, zipfile.ZIP_DEFLATED)
        z.writestr("Thumbnails/thumbnail.png", buf.getvalue())
        z.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)


make_odt(g("docs", "notes.odt"))

# --- EPUB (hand-built EPUB 3 with a picture) ------------------------------------------------
def make_epub(path):
    opf = ('<?xml version="1.0" encoding="UTF-8"?>\n<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="bookid">'
           '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="bookid">urn:uuid:12345678-1234-1234-1234-123456789abc</dc:identifier>'
           '<dc:title>새바람 Test Book</dc:title><dc:language>ko</dc:language><dc:contributor>PlantedEpubContributor</dc:contributor>'
           '<dc:date>2024-05-06</dc:date><meta property="dcterms:modified">2024-05-06T07:08:09Z</meta>'
           '<meta name="calibre:user_metadata" content="PlantedEpubContributor"/><meta name="generator" content="PlantedEpubGenerator"/></metadata>'
           '<manifest><item id="c1" href="c1.xhtml" media-type="application/xhtml+xml"/><item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>'
           '<item id="img" href="photo.jpg" media-type="image/jpeg"/></manifest><spine><itemref idref="c1"/></spine></package>')
    c1 = ('<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><head><title>One</title>'
          '<meta name="generator" content="PlantedEpubGenerator"/></head><body><p>Chapter one text.</p><img src="photo.jpg" alt=""/></body></html>')
    nav = ('<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"><head><title>Nav</title></head>'
           '<body><nav epub:type="toc"><ol><li><a href="c1.xhtml">One</a></li></ol></nav></body></html>')
    container = ('<?xml version="1.0"?>\n<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
                 '<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>')
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")
        z.writestr("META-INF/container.xml", container, zipfile.ZIP_DEFLATED)
        z.writestr("OEBPS/content.opf", opf, zipfile.ZIP_DEFLATED)
        z.writestr("OEBPS/c1.xhtml", c1, zipfile.ZIP_DEFLATED)
        z.writestr("OEBPS/nav.xhtml", nav, zipfile.ZIP_DEFLATED)
        z.write(g("photo.jpg"), "OEBPS/photo.jpg")


make_epub(g("docs", "book.epub"))

# --- audio and video (ffmpeg) ----------------------------------------------------------------
FF = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y"]
SINE = ["-f", "lavfi", "-i", "sine=frequency=440:duration=0.5"]
VID = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=0.5"]
run(*FF, *SINE, "-i", g("drawing.png"), "-map", "0", "-map", "1", "-c:v", "copy", "-id3v2_version", "3",
    "-write_id3v1", "1", "-metadata", "artist=PlantedMp3Artist", "-metadata", "comment=CAMSERIAL7731",
    g("media", "song.mp3"))
run(*FF, *SINE, "-metadata", "artist=PlantedFlacArtist", "-metadata", "encoder=PlantedSoftware", g("media", "song.flac"))
run(*FF, *SINE, "-metadata", "artist=PlantedWavArtist", g("media", "song.wav"))
run(*FF, *SINE, "-c:a", "aac", "-metadata", "artist=PlantedM4aArtist", g("media", "song.m4a"))
run(*FF, *SINE, "-c:a", "libvorbis", "-metadata", "artist=PlantedOggArtist", g("media", "song.ogg"))
run(*FF, *SINE, "-c:a", "libopus", "-metadata", "artist=PlantedOpusArtist", g("media", "song.opus"))
run(*FF, *VID, *SINE, "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-metadata", "title=PlantedMp4Title",
    "-metadata", "location=+39.0392+125.7625/", "-metadata", "make=PlantedMake", "-metadata", "model=PlantedModel",
    "-movflags", "+use_metadata_tags", g("media", "clip.mp4"))
run(*FF, "-i", g("media", "clip.mp4"), "-map", "0", "-c", "copy", "-metadata", "title=PlantedMp4Title",
    "-metadata", "location=+39.0392+125.7625/", "-metadata", "make=PlantedMake", "-metadata", "model=PlantedModel",
    g("media", "clip.mov"))
run(*FF, "-i", g("media", "clip.mp4"), "-map", "0", "-c", "copy", "-metadata", "title=PlantedMkvTitle",
    "-metadata", "artist=PlantedArtist", g("media", "clip.mkv"))
run(*FF, *VID, "-c:v", "libvpx", "-b:v", "100k", "-metadata", "title=PlantedWebmTitle", g("media", "clip.webm"))
run(*FF, *VID, "-c:v", "mpeg4", "-metadata", "title=PlantedAviTitle", "-metadata", "artist=PlantedArtist", g("media", "clip.avi"))

# --- HTML and text ---------------------------------------------------------------------------
with open(g("docs", "page.html"), "w", encoding="utf-8") as f:
    f.write('<!-- saved from url=(0030)http://intranet.example/page -->\n<!DOCTYPE html><html><head><meta charset="utf-8">'
            '<meta name="author" content="PlantedHtmlAuthor"><meta name="generator" content="PlantedGenerator">'
            '<title>Page</title></head><body><p>새바람 news page text.</p></body></html>\n')
with open(g("docs", "readme.txt"), "w", encoding="utf-8") as f:
    f.write("Plain text has no metadata. 새바람\n")

# --- colour profiles, TIFF/DNG, HEIC/AVIF, BMP, AIFF, WMV, FLV ------------------------------
def icc_tag_text(v4, text):
    if v4:
        u = text.encode("utf-16-be")
        return b"mluc" + b"\0" * 4 + struct.pack(">II", 1, 12) + b"enUS" + struct.pack(">II", len(u), 28) + u
    return b"text" + b"\0" * 4 + text.encode() + b"\0"


def icc_tag_desc(v4, text):
    if v4:
        return icc_tag_text(True, text)
    return b"desc" + b"\0" * 4 + struct.pack(">I", len(text) + 1) + text.encode() + b"\0" + b"\0" * 78


def calibrated_icc():
    """lcms's sRGB colour tags under a calibrated monitor's names, device and private tags."""
    base = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    v4 = base[8] >= 4
    count = struct.unpack(">I", base[128:132])[0]
    tags = []
    for i in range(count):
        sig, off, size = struct.unpack(">4sII", base[132 + 12 * i:144 + 12 * i])
        if sig not in (b"desc", b"cprt", b"dmnd", b"dmdd"):
            tags.append((sig, base[off:off + size]))
    tags += [(b"desc", icc_tag_desc(v4, "PlantedIccDesc #1 2024-05-06")),
             (b"cprt", icc_tag_text(v4, "PlantedIccCopyright")),
             (b"dmdd", icc_tag_desc(v4, "PlantedIccModel")),
             (b"vcgt", b"vcgt\0\0\0\0" + bytes(range(64))),
             (b"meta", b"dict\0\0\0\0PlantedIccSerial")]
    header = bytearray(base[:128])
    header[48:56] = b"DELL\0\0\xa0\xf3"
    header[24:36] = struct.pack(">6H", 2024, 5, 6, 7, 8, 9)
    out = bytearray(header) + struct.pack(">I", len(tags)) + bytes(12 * len(tags))
    for i, (sig, data) in enumerate(tags):
        at = len(out)
        out += data + b"\0" * (-len(data) % 4)
        out[132 + 12 * i:144 + 12 * i] = struct.pack(">4sII", sig, at, len(data))
    out[0:4] = struct.pack(">I", len(out))
    out[84:100] = bytes(16)
    return bytes(out)


ICC = calibrated_icc()
ImageCms.ImageCmsProfile(io.BytesIO(ICC))  # lcms must accept it, or the colour check means nothing
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
os.makedirs(g("scans"), exist_ok=True)
TIFF_TAGS = ["-Artist=PlantedArtist", "-Make=PlantedMake", "-Model=PlantedModel", "-SerialNumber=CAMSERIAL7731",
             "-GPSLatitude=39.0392", "-GPSLatitudeRef=N", "-XMP-dc:Creator=PlantedXmpCreator",
             "-IPTC:By-line=PlantedArtist", "-HostComputer=PlantedTiffHost", "-Software=PlantedSoftware",
             "-DateTime=2024:05:06 07:08:09", "-ImageDescription=PlantedTiffDescription",
             "-Copyright=PlantedCopyright"]

# Colour profiles in the formats cleaned before: a calibrated (scrubbed) and a standard (kept) one.
pic.save(g("photo-icc.jpg"), quality=90, icc_profile=ICC)
pic.save(g("drawing-icc.png"), icc_profile=ICC)
pic.save(g("image-icc.webp"), lossless=True, icc_profile=ICC)
pic.save(g("photo-srgb.jpg"), quality=90, icc_profile=SRGB)

# A scanned book: three pages, Deflate, the first with the calibrated profile; exiftool plants tags.
pages = [picture(), picture().transpose(Image.FLIP_LEFT_RIGHT), picture().convert("L")]
pages[0].save(g("scans", "book.tif"), save_all=True, append_images=pages[1:], compression="tiff_adobe_deflate",
              icc_profile=ICC)
run("exiftool", "-q", "-overwrite_original", *TIFF_TAGS, g("scans", "book.tif"))
arr = numpy.asarray(picture(128, 96))
tifffile.imwrite(g("scans", "tiled.tif"), arr, tile=(32, 32), compression="zlib", photometric="rgb",
                 byteorder=">")
run("exiftool", "-q", "-overwrite_original", *TIFF_TAGS, g("scans", "tiled.tif"))
tifffile.imwrite(g("scans", "big.tif"), arr, bigtiff=True, photometric="rgb", description="PlantedTiffDescription",
                 software="PlantedSoftware",
                 extratags=[(315, "s", 0, "PlantedArtist", True), (271, "s", 0, "PlantedMake", True),
                            (272, "s", 0, "PlantedModel", True), (316, "s", 0, "PlantedTiffHost", True),
                            (700, "B", 0, b"<x:xmpmeta>PlantedXmpCreator</x:xmpmeta>", True),
                            (34675, "B", 0, ICC, True)])
# A DNG: a 16-bit colour-filter-array image with the DNG tags and planted camera identity.
cfa = (numpy.arange(64 * 96, dtype=numpy.uint16).reshape(64, 96) * 7) % 4096
tifffile.imwrite(g("scans", "raw.dng"), cfa, photometric=32803, subfiletype=0, software="PlantedSoftware",
                 extratags=[(50706, "B", 4, (1, 4, 0, 0), True), (50707, "B", 4, (1, 1, 0, 0), True),
                            (50708, "s", 0, "PlantedModel", True), (271, "s", 0, "PlantedMake", True),
                            (272, "s", 0, "PlantedModel", True), (50735, "s", 0, "PlantedDngSerial", True),
                            (50827, "s", 0, "PlantedDngRawName.NEF", True),
                            (50740, "B", 0, b"Adobe\0MakN" + b"PlantedDngSerial", True),
                            (33421, "H", 2, (2, 2), True), (33422, "B", 4, (0, 1, 1, 2), True),
                            (50717, "I", 1, 4095, True),
                            (50721, "i", 18, (1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1), True),
                            (50778, "H", 1, 21, True)])

pillow_heif.register_heif_opener()
heic_exif = Image.Exif()
heic_exif[0x013B] = "PlantedHeicArtist"
heic_exif[0x0131] = "PlantedSoftware"
pic.save(g("photo.heic"), quality=90, exif=heic_exif.tobytes(), icc_profile=ICC,
         xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">PlantedXmpCreator</x:xmpmeta>')
avif_exif = Image.Exif()
avif_exif[0x013B] = "PlantedAvifArtist"
pic.save(g("photo.avif"), exif=avif_exif.tobytes(), xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">PlantedXmpCreator</x:xmpmeta>')
for f in ("photo.heic", "photo.avif"):
    run("exiftool", "-q", "-overwrite_original", "-GPSLatitude=39.0392", "-GPSLatitudeRef=N",
        "-SerialNumber=CAMSERIAL7731", "-Make=PlantedMake", g(f))

# BMP: Pillow's plain BMP (nothing to remove: unchanged) and a v5 BMP with the calibrated
# profile embedded and bytes after the pixels.
picture().save(g("plain.bmp"))


def bmp_v5(im, profile, trailer):
    w, h = im.size
    row = (w * 3 + 3) & ~3
    px = b"".join(im.transpose(Image.FLIP_TOP_BOTTOM).tobytes("raw", "BGR")[y * w * 3:(y + 1) * w * 3].ljust(row, b"\0")
                  for y in range(h))
    off = 14 + 124
    info = bytearray(124)
    struct.pack_into("<IiiHHIIiiII", info, 0, 124, w, h, 1, 24, 0, len(px), 2835, 2835, 0, 0)
    struct.pack_into("<I", info, 56, 0x4D424544)  # PROFILE_EMBEDDED
    struct.pack_into("<II", info, 112, 124 + len(px), len(profile))
    total = off + len(px) + len(profile) + len(trailer)
    return b"BM" + struct.pack("<IHHI", total, 0, 0, off) + bytes(info) + px + profile + trailer


with open(g("profile.bmp"), "wb") as f:
    f.write(bmp_v5(picture(), ICC, b"PlantedBmpTrailer"))

run(*FF, *SINE, "-metadata", "title=PlantedAiffTitle", "-metadata", "artist=PlantedAiffArtist",
    "-metadata", "comment=PlantedAiffComment", "-metadata", "copyright=PlantedCopyright", "-write_id3v2", "1",
    g("media", "song.aiff"))
run(*FF, *VID, *SINE, "-c:v", "wmv2", "-c:a", "wmav2", "-metadata", "title=PlantedWmvTitle",
    "-metadata", "author=PlantedWmvAuthor", "-metadata", "copyright=PlantedCopyright",
    "-metadata", "comment=PlantedWmvComment", g("media", "clip.wmv"))
run(*FF, *VID, *SINE, "-c:v", "flv1", "-c:a", "mp3", "-metadata", "title=PlantedFlvTitle",
    "-metadata", "artist=PlantedFlvArtist", "-metadata", "comment=PlantedCopyright", g("media", "clip.flv"))

# --- bad inputs --------------------------------------------------------------------------------
def b(name, data):
    with open(os.path.join(BAD, name), "wb") as f:
        f.write(data)


jpg = open(g("photo.jpg"), "rb").read()
png = open(g("drawing.png"), "rb").read()
b("truncated.jpg", jpg[: len(jpg) // 2])
b("corrupt.png", png[:40] + bytes([png[40] ^ 0xFF]) + png[41:])
b("truncated.pdf", pdf_bytes()[:300])
b("truncated.mp4", open(g("media", "clip.mp4"), "rb").read()[:2000])
b("truncated.docx", open(g("docs", "report.docx"), "rb").read()[:3000])
b("unknown.bin", bytes(range(256)) * 4)
tif = open(g("scans", "book.tif"), "rb").read()
b("truncated.tif", tif[: len(tif) // 2])
loop = bytearray(tif)
first = struct.unpack("<I", loop[4:8])[0]
n = struct.unpack("<H", loop[first:first + 2])[0]
loop[first + 2 + 12 * n:first + 6 + 12 * n] = struct.pack("<I", first)  # IFD0's next IFD is itself
b("loop.tif", bytes(loop))
huge = bytearray(tif)
for i in range(n):
    e = first + 2 + 12 * i
    if struct.unpack("<H", huge[e:e + 2])[0] == 273:  # StripOffsets: 2^31 values
        huge[e + 4:e + 8] = struct.pack("<I", 1 << 31)
b("huge-count.tif", bytes(huge))
b("camera.nef", tif)
heic = open(g("photo.heic"), "rb").read()
b("truncated.heic", heic[: len(heic) - 100])
b("truncated.wmv", open(g("media", "clip.wmv"), "rb").read()[:3000])
b("truncated.flv", open(g("media", "clip.flv"), "rb").read()[:3000])
aiff = open(g("media", "song.aiff"), "rb").read()
b("truncated.aiff", aiff[: len(aiff) // 2])
bmp = open(g("plain.bmp"), "rb").read()
b("truncated.bmp", bmp[: len(bmp) // 2])
b("bad-icc.jpg", jpg[:2] + b"\xff\xe2" + struct.pack(">H", 2 + 14 + 200) + b"ICC_PROFILE\0\x01\x01" + ICC[:200] + jpg[2:])
make_docx(os.path.join(BAD, "forbidden.docx"), "Meeting of the " + FORBIDDEN + " at noon.")
with zipfile.ZipFile(os.path.join(BAD, "bomb.docx"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("[Content_Types].xml", "<Types/>")
    z.writestr("word/document.xml", b"\0" * (40 << 20))
with zipfile.ZipFile(os.path.join(BAD, "unknown-member.docx"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("[Content_Types].xml", "<Types/>")
    z.writestr("word/document.xml", "<w:document/>")
    z.writestr("secret/extra.dat", "x")
# A nested container: a DOCX whose picture is itself... a DOCX named .png (unknown image).
b("plain.zip", open(g("docs", "report.docx"), "rb").read().replace(b"[Content_Types].xml", b"[Content_Types].xmX"))

with open(os.path.join(OUT, "planted.txt"), "w") as f:
    f.write("\n".join(PLANTED) + "\n")
with open(os.path.join(OUT, "forbid.txt"), "w") as f:
    f.write("# the group's own strings\n" + FORBIDDEN + "\n")
