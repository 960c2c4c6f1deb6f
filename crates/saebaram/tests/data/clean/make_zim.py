#!/usr/bin/env python3
"""Writes a ZIM (Kiwix offline wiki) with python-libzim, the openZIM project's own writer,
with planted values in the metadata a builder's name or machine could end up in.

usage: make_zim.py OUT.zim

Pages and a picture go into content clusters (zstd-compressed text, an uncompressed PNG);
the metadata (Title, Creator, Publisher, Date, Source, Scraper, a custom entry and a
48x48 illustration PNG carrying a tEXt author chunk) go where libzim puts them.
"""
import struct
import sys
import zlib

from libzim.writer import Creator, Hint, Item, StringProvider


def png(text_chunks):
    """A 48x48 grey PNG with the given tEXt chunks (key, value)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\0" + bytes([128]) * 48 for _ in range(48))
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 48, 48, 8, 0, 0, 0, 0))
    for k, v in text_chunks:
        out += chunk(b"tEXt", k.encode() + b"\0" + v.encode())
    return out + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


class Page(Item):
    def __init__(self, path, title, content, mime="text/html"):
        super().__init__()
        self.path, self.title, self.content, self.mime = path, title, content, mime

    def get_path(self):
        return self.path

    def get_title(self):
        return self.title

    def get_mimetype(self):
        return self.mime

    def get_contentprovider(self):
        return StringProvider(self.content)

    def get_hints(self):
        return {Hint.FRONT_ARTICLE: self.mime == "text/html"}


with Creator(sys.argv[1]).config_indexing(False, "kor") as c:
    c.set_mainpath("대문")
    c.add_item(Page("대문", "대문", "<html><body><h1>자유</h1><a href='평양'>평양</a></body></html>"))
    for i in range(40):
        c.add_item(Page(f"글{i}", f"글 {i}", f"<html><body><p>글 {i}: " + "바람 " * 200 + "</p></body></html>"))
    c.add_item(Page("평양", "평양", "<html><body>평양은 북한의 수도입니다.</body></html>"))
    c.add_item(Page("그림.png", "", png([]), "image/png"))
    c.add_metadata("Title", "시험 위키")
    c.add_metadata("Description", "오프라인 위키 시험")
    c.add_metadata("Language", "kor")
    c.add_metadata("Name", "test_ko_all")
    c.add_metadata("Creator", "Wikipedia")
    c.add_metadata("Publisher", "openZIM")
    c.add_metadata("Date", "2026-01-01")
    c.add_metadata("Source", "http://kim-laptop.local/wiki")
    c.add_metadata("Scraper", "scraper 1.0 run by PlantedZimBuilder")
    c.add_metadata("X-Builder-Host", "PlantedZimHost")
    c.add_metadata("Illustration_48x48@1", png([("Author", "PlantedZimIconAuthor")]), mimetype="image/png")
    c.add_redirection("Pyongyang", "Pyongyang", "평양", {})
