#!/usr/bin/env python3
"""Peer timing for `saebaram-forecast`'s decode benchmark: ecCodes (Python `eccodes`,
binary wheel) decoding the same fields of the same shipped GRIB2 files: u, v, gh and t on
isobaric levels (what saebaram decodes; other fields are skipped by both).

Prints one line per file: median wall time of N in-process runs (file bytes already in
memory, interpreter start excluded). Usage: eccodes_decode.py [N]
"""
import statistics
import sys
import time
from pathlib import Path

import eccodes

ROOT = Path(__file__).resolve().parents[2]
FILES = {
    "meps": ROOT / "crates/saebaram-forecast/data/jma_meps_rjp_pall_20190605T00Z_f000_sub20.grib2",
    "gfs": ROOT / "testdata/wind/ncep_gfs_2p5deg_20111008T00Z_f072.grib2",
}
WANTED = {"u", "v", "gh", "t"}


def decode_multi(path: Path) -> int:
    """Decodes every wanted field of `path` (multi-field messages such as MEPS's 20 fields
    in one message are split); returns the number of values decoded."""
    n = 0
    eccodes.codes_grib_multi_support_on()
    with open(path, "rb") as f:
        while True:
            h = eccodes.codes_grib_new_from_file(f)
            if h is None:
                break
            try:
                if eccodes.codes_get(h, "typeOfLevel") == "isobaricInhPa" and eccodes.codes_get(h, "shortName") in WANTED:
                    n += len(eccodes.codes_get_values(h))
            finally:
                eccodes.codes_release(h)
    eccodes.codes_grib_multi_support_off()
    return n


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    print(f"ecCodes {eccodes.codes_get_api_version()} (Python eccodes), median of {runs}")
    missing = [f"{name}: {path}" for name, path in FILES.items() if not path.exists()]
    if missing:
        # A missing input is an error, never a shorter table that looks complete.
        sys.exit("input missing (see testdata/wind/SOURCES.md): " + "; ".join(missing))
    for name, path in FILES.items():
        times = []
        values = 0
        for _ in range(runs):
            t0 = time.perf_counter()
            values = decode_multi(path)
            times.append(time.perf_counter() - t0)
        print(f"{name}: {statistics.median(times) * 1e3:.2f} ms median ({values} values decoded, wanted fields only)")


if __name__ == "__main__":
    main()
