#!/usr/bin/env python3
"""Generates the legacy-office part of the `saebaram clean` corpus with real writers.

usage: make_office.py OUTDIR PHOTO_JPG

LibreOffice (headless) writes DOC, XLS, PPT and RTF from flat OpenDocument files that carry
planted values in every place it has for them: document properties (title, subject, author,
last author, keywords, comments, dates, company, manager, a custom property), a tracked
change (its author), a comment (its author) and, in the PowerPoint, the thumbnail LibreOffice
stores in the SummaryInformation stream. The Word-saved HTML page has the shape Word 2010
writes (document properties, custom properties and settings in conditional comments, VML, a
tracked change). Writes OUTDIR/good/, OUTDIR/bad/, OUTDIR/planted.txt, OUTDIR/forbid.txt.
"""
import base64
import os
import shutil
import subprocess
import sys
import tempfile

OUT = sys.argv[1]
GOOD = os.path.join(OUT, "good")
BAD = os.path.join(OUT, "bad")
os.makedirs(GOOD, exist_ok=True)
os.makedirs(BAD, exist_ok=True)
SRC = tempfile.mkdtemp(prefix="office-src-")

PLANTED = [
    "PlantedOleAuthor", "PlantedOleLastAuthor", "PlantedOleTitle", "PlantedOleSubject",
    "PlantedOleKeyword", "PlantedOleComment", "PlantedOleCompany", "PlantedOleManager",
    "PlantedOleCustom", "PlantedOleReviewer", "PlantedOleAnnotator", "LibreOffice/7",
    "PlantedHtmlAuthor", "PlantedHtmlLastAuthor", "PlantedHtmlCompany", "PlantedHtmlCustom",
    "PlantedHtmlTemplate", "PlantedHtmlReviewer", "PlantedHtmlPhoto", "Microsoft Word 14",
]
FORBIDDEN = "Pyongyang Cell Seven"

NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
      'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
      'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
      'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" '
      'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
      'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
      'xmlns:officeooo="http://openoffice.org/2009/office" '
      'xmlns:dc="http://purl.org/dc/elements/1.1/" '
      'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
      'xmlns:xlink="http://www.w3.org/1999/xlink" ')
META = ('<office:meta><meta:initial-creator>PlantedOleAuthor</meta:initial-creator>'
        '<dc:creator>PlantedOleLastAuthor</dc:creator><dc:title>PlantedOleTitle</dc:title>'
        '<dc:subject>PlantedOleSubject</dc:subject><meta:keyword>PlantedOleKeyword</meta:keyword>'
        '<dc:description>PlantedOleComment</dc:description>'
        '<meta:creation-date>2021-03-04T05:06:07</meta:creation-date><dc:date>2022-03-04T05:06:07</dc:date>'
        '<meta:user-defined meta:name="Company">PlantedOleCompany</meta:user-defined>'
        '<meta:user-defined meta:name="Manager">PlantedOleManager</meta:user-defined>'
        '<meta:user-defined meta:name="Department">PlantedOleCustom</meta:user-defined>'
        '</office:meta>')
NOTE = ('<office:annotation><dc:creator>PlantedOleAnnotator</dc:creator>'
        '<dc:date>2023-01-02T03:04:05</dc:date><text:p>a note</text:p></office:annotation>')


def flat(name, kind, mime, body):
    with open(os.path.join(SRC, name), "w", encoding="utf-8") as f:
        f.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document {NS} office:version="1.3" '
                f'office:mimetype="{mime}">{META}<office:body><office:{kind}>{body}'
                f'</office:{kind}></office:body></office:document>')


flat("letter.fodt", "text", "application/vnd.oasis.opendocument.text",
     '<text:tracked-changes><text:changed-region text:id="ct1"><text:insertion><office:change-info>'
     '<dc:creator>PlantedOleReviewer</dc:creator><dc:date>2023-01-02T03:04:05</dc:date></office:change-info>'
     '</text:insertion></text:changed-region></text:tracked-changes>'
     f'<text:p>The leaflet text stays the same.{NOTE}</text:p>'
     '<text:p>Second <text:change-start text:change-id="ct1"/>inserted<text:change-end text:change-id="ct1"/>'
     ' paragraph, 새바람.</text:p>')
flat("budget.fods", "spreadsheet", "application/vnd.oasis.opendocument.spreadsheet",
     '<table:table table:name="Sheet1"><table:table-row><table:table-cell office:value-type="string">'
     f'<text:p>Cell text stays</text:p>{NOTE}</table:table-cell>'
     '<table:table-cell office:value-type="float" office:value="42"><text:p>42</text:p></table:table-cell>'
     '</table:table-row></table:table>')
flat("slides.fodp", "presentation", "application/vnd.oasis.opendocument.presentation",
     '<draw:page draw:name="page1"><draw:frame svg:width="20cm" svg:height="3cm" svg:x="2cm" svg:y="2cm">'
     '<draw:text-box><text:p>Slide text stays</text:p></draw:text-box></draw:frame>'
     '<officeooo:annotation svg:x="1cm" svg:y="1cm"><dc:creator>PlantedOleAnnotator</dc:creator>'
     '<dc:date>2023-01-02T03:04:05</dc:date><text:p>slide note</text:p></officeooo:annotation></draw:page>')


def soffice(target, *files):
    subprocess.run(["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{SRC}/profile",
                    "--convert-to", target, "--outdir", GOOD, *[os.path.join(SRC, f) for f in files]],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


soffice("doc", "letter.fodt")
soffice("xls", "budget.fods")
soffice("ppt", "slides.fodp")
soffice("rtf", "letter.fodt")
for name in ("letter.doc", "budget.xls", "slides.ppt", "letter.rtf"):
    if not os.path.exists(os.path.join(GOOD, name)):
        sys.exit(f"LibreOffice did not write {name}")

# An RTF with a camera picture (EXIF) inside, as Word embeds one: \pict\jpegblip + hex.
photo = sys.argv[2]
if True:
    rtf = open(os.path.join(GOOD, "letter.rtf"), "rb").read()
    pict = b"{\\pict\\jpegblip\\picw96\\pich64\n" + open(photo, "rb").read().hex().encode() + b"}"
    end = rtf.rstrip().rfind(b"}")
    with open(os.path.join(GOOD, "picture.rtf"), "wb") as f:
        f.write(rtf[:end] + b"\\par " + pict + b"\n\\par}\n")

# --- the shape of a page Word 2010 saves as "Web Page" -----------------------------------------
WORD_PAGE = """<html xmlns:v="urn:schemas-microsoft-com:vml"
xmlns:o="urn:schemas-microsoft-com:office:office"
xmlns:w="urn:schemas-microsoft-com:office:word"
xmlns:m="http://schemas.microsoft.com/office/2004/12/omml"
xmlns="http://www.w3.org/TR/REC-html40">
<head>
<meta http-equiv=Content-Type content="text/html; charset=utf-8">
<meta name=ProgId content=Word.Document>
<meta name=Generator content="Microsoft Word 14">
<meta name=Originator content="Microsoft Word 14">
<link rel=File-List href="memo_files/filelist.xml">
<!--[if !mso]>
<style>
v\\:* {behavior:url(#default#VML);}
o\\:* {behavior:url(#default#VML);}
w\\:* {behavior:url(#default#VML);}
.shape {behavior:url(#default#VML);}
</style>
<![endif]--><!--[if gte mso 9]><xml>
 <o:DocumentProperties>
  <o:Author>PlantedHtmlAuthor</o:Author>
  <o:LastAuthor>PlantedHtmlLastAuthor</o:LastAuthor>
  <o:Revision>2</o:Revision>
  <o:TotalTime>44</o:TotalTime>
  <o:Created>2014-07-01T23:31:00Z</o:Created>
  <o:LastSaved>2014-07-02T08:15:00Z</o:LastSaved>
  <o:Pages>1</o:Pages>
  <o:Company>PlantedHtmlCompany</o:Company>
  <o:Version>14.00</o:Version>
 </o:DocumentProperties>
 <o:CustomDocumentProperties>
  <o:Department dt:dt="string">PlantedHtmlCustom</o:Department>
 </o:CustomDocumentProperties>
 <o:OfficeDocumentSettings>
  <o:AllowPNG/>
 </o:OfficeDocumentSettings>
</xml><![endif]-->
<!--[if gte mso 9]><xml>
 <w:WordDocument>
  <w:View>Print</w:View>
  <w:AttachedTemplate HRef="C:\\Users\\PlantedHtmlTemplate\\Memo.dotm"></w:AttachedTemplate>
 </w:WordDocument>
</xml><![endif]-->
<style>
<!--
p.MsoNormal {margin:0cm; font-family:"Calibri","sans-serif";}
-->
</style>
</head>
<body lang=KO style='tab-interval:40.0pt'>
<div class=WordSection1>
<p class=MsoNormal>새바람 memo text stays.<o:p></o:p></p>
<p class=MsoNormal><!--[if gte vml 1]><v:shape id="Picture_x0020_1" o:spid="_x0000_i1025"
 type="#_x0000_t75" style='width:100pt;height:50pt'><v:imagedata src="memo_files/image001.png"
 o:title="PlantedHtmlPhoto"/></v:shape><![endif]--><![if !vml]><img width=133 height=67
src="memo_files/image002.jpg" v:shapes="Picture_x0020_1"><![endif]><o:p></o:p></p>
<p class=MsoNormal><span class=msoIns><ins cite="mailto:PlantedHtmlReviewer" datetime="2024-03-05T10:30">added words</ins></span><o:p></o:p></p>
</div>
</body>
</html>
"""
with open(os.path.join(GOOD, "memo.htm"), "w", encoding="utf-8") as f:
    f.write(WORD_PAGE)

# --- bad inputs -------------------------------------------------------------------------------
def bad(name, data):
    with open(os.path.join(BAD, name), "wb") as f:
        f.write(data)


doc = open(os.path.join(GOOD, "letter.doc"), "rb").read()
bad("truncated.doc", doc[: len(doc) // 2])
# A sector chain that loops: the FAT entry of the first directory sector points to itself.
first_dir = int.from_bytes(doc[48:52], "little")
fat0 = int.from_bytes(doc[76:80], "little")
loop = bytearray(doc)
at = 512 + fat0 * 512 + 4 * first_dir
loop[at:at + 4] = first_dir.to_bytes(4, "little")
bad("loop.doc", bytes(loop))
# A directory entry that declares a 2 GiB stream.
huge = bytearray(doc)
dir_at = 512 + first_dir * 512
for k in range(1, 4):
    e = dir_at + 128 * k
    if huge[e + 66] == 2:  # a stream
        huge[e + 120:e + 124] = (0x7FFFFFF0).to_bytes(4, "little")
        break
bad("huge-stream.doc", bytes(huge))
rtf = open(os.path.join(GOOD, "letter.rtf"), "rb").read()
bad("truncated.rtf", rtf[: len(rtf) // 2])
bad("object.rtf", b"{\\rtf1\\ansi {\\object\\objemb{\\*\\objdata 01050000020000000b000000}}}")
bad("forbidden.rtf", b"{\\rtf1\\ansi\\ansicpg949 Meeting of the " + FORBIDDEN.encode() + b".\\par}")
bad("comment.htm", b"<p>Some <a style='mso-comment-reference:KS_1;mso-comment-date:20240305T1030'>noted</a></p>")
bad("island.htm", b"<!--[if IE]><o:Author>PlantedHtmlAuthor</o:Author><![endif]--><p>x</p>")
with open(os.path.join(OUT, "planted.txt"), "w") as f:
    f.write("\n".join(PLANTED) + "\n")
with open(os.path.join(OUT, "forbid.txt"), "w") as f:
    f.write("# the group's own strings\n" + FORBIDDEN + "\n")
shutil.rmtree(SRC, ignore_errors=True)
