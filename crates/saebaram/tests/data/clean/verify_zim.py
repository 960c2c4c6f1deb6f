#!/usr/bin/env python3
"""Checks a cleaned ZIM against its original with python-libzim's reader (independent of
saebaram's parser).

usage: verify_zim.py ORIGINAL.zim CLEANED.zim   (CLEANED.zim may be a split set: CLEANED.zimaa...)

The cleaned archive passes libzim's own integrity checks (checksum, pointers, dirents,
clusters...); every entry of the original is there with the same path, title, MIME type
and content, except the metadata the documented rule empties (Source, Scraper and unknown
entries) and the illustration (its text chunk gone, its pixels the same); kept metadata is
unchanged; no planted value is left anywhere in the file's bytes.
"""
import sys
import zlib

from libzim.reader import Archive

orig, clean = Archive(sys.argv[1]), Archive(sys.argv[2])
assert clean.check(), "libzim's integrity check fails on the cleaned archive"
assert orig.check()
assert orig.all_entry_count == clean.all_entry_count, (orig.all_entry_count, clean.all_entry_count)
# The reader gives entry paths without their namespace: metadata entries are the ones
# named like a metadata key (the test's pages have other names); they are compared below.
META = set(orig.metadata_keys)
assert META == set(clean.metadata_keys)
for i in range(orig.all_entry_count):
    a, b = orig._get_entry_by_id(i), clean._get_entry_by_id(i)
    assert (a.path, a.title, a.is_redirect) == (b.path, b.title, b.is_redirect), (a.path, b.path)
    if not a.is_redirect:
        ia, ib = a.get_item(), b.get_item()
        assert ia.mimetype == ib.mimetype, a.path
        if a.path not in META:
            assert bytes(ia.content) == bytes(ib.content), a.path

EMPTIED = {"Source", "Scraper", "X-Builder-Host"}
for key in orig.metadata_keys:
    old, new = bytes(orig.get_metadata(key)), bytes(clean.get_metadata(key))
    if key in EMPTIED:
        assert new == b"", (key, new)
    elif key.startswith("Illustration_"):
        assert b"PlantedZimIconAuthor" not in new and new.startswith(b"\x89PNG"), key

        def idat(p):
            out, pos = b"", 8
            while pos < len(p):
                n = int.from_bytes(p[pos:pos + 4], "big")
                if p[pos + 4:pos + 8] == b"IDAT":
                    out += p[pos + 8:pos + 8 + n]
                pos += 12 + n
            return zlib.decompress(out)
        assert idat(old) == idat(new), "the illustration's pixels changed"
    else:
        assert old == new, key
assert clean.main_entry.get_item().path == orig.main_entry.get_item().path

def read_all(path):
    """The archive's bytes: the file, or its parts (NAME.zimaa, NAME.zimab...) joined, which
    is what libzim reads when NAME.zim is not there."""
    try:
        return open(path, "rb").read()
    except FileNotFoundError:
        import itertools
        import string
        out = b""
        for a, b in itertools.product(string.ascii_lowercase, repeat=2):
            try:
                out += open(path + a + b, "rb").read()
            except FileNotFoundError:
                break
        assert out, f"neither {path} nor its parts"
        return out


data = read_all(sys.argv[2])
for planted in [b"kim-laptop", b"PlantedZimBuilder", b"PlantedZimHost", b"PlantedZimIconAuthor"]:
    assert planted not in data, planted
print("ok", orig.entry_count, "entries")
