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

from PIL import Image, PngImagePlugin
import docx

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
