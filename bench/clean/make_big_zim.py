#!/usr/bin/env python3
"""Writes a large ZIM for the benchmarks with python-libzim (the openZIM project's own writer).

usage: make_big_zim.py MB OUT.zim

MB incompressible 1 MiB items (the pictures and videos of a real dump do not compress
either) plus a small page, and the metadata a builder's machine can leave (Source with a
host name, Scraper with an e-mail address: planted values `PlantedZimHost` and
`PlantedZimBuilder`), so `saebaram clean` has to rewrite the metadata cluster and move every
later position, not only copy.
"""
import os
import sys

from libzim.writer import Creator, Hint, Item, StringProvider


class Blob(Item):
    def __init__(self, path, data, mime):
        super().__init__()
        self.path, self.data, self.mime = path, data, mime

    def get_path(self):
        return self.path

    def get_title(self):
        return self.path

    def get_mimetype(self):
        return self.mime

    def get_contentprovider(self):
        return StringProvider(self.data)

    def get_hints(self):
        return {Hint.FRONT_ARTICLE: self.mime == "text/html", Hint.COMPRESS: False}


mb, out = int(sys.argv[1]), sys.argv[2]
with Creator(out).config_indexing(False, "kor") as c:
    c.set_mainpath("대문")
    c.add_item(Blob("대문", "<html><body><h1>자유</h1></body></html>", "text/html"))
    for i in range(mb):
        c.add_item(Blob(f"영상/{i:05d}.webm", os.urandom(1 << 20), "video/webm"))
    for k, v in [("Title", "큰 위키"), ("Language", "kor"), ("Name", "bench_ko"),
                 ("Creator", "Wikipedia"), ("Publisher", "openZIM"), ("Date", "2026-12-01"),
                 ("Description", "bench"), ("Source", "http://PlantedZimHost.local/wiki"),
                 ("Scraper", "mwoffliner 1.13 --adminEmail=PlantedZimBuilder@example.org")]:
        c.add_metadata(k, v)
