"""Peer for `cargo bench -p saebaram-geo --bench classify`: classify the same 100,000
points with shapely 2 (GEOS prepared geometries, vectorised contains_xy), doing the
same work as Geo::classify: country polygons, then the DMZ on land, then the province
for North Korean points. Prints the median of N runs in points per second.

Usage: python3 bench/geo/peer_shapely.py [RUNS]   (from the repository root; pip install shapely numpy)
"""
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import shapely

DATA = Path(__file__).resolve().parents[2] / "crates" / "saebaram-geo" / "data"
N = 100_000


def points(n):
    """MMIX LCG, seed 1, top 53 bits: the same sequence as benches/classify.rs."""
    s = 1
    out = np.empty((n, 2))
    for i in range(n):
        s = (s * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        lat = 36.5 + 6.0 * ((s >> 11) / float(1 << 53))
        s = (s * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        lon = 124.0 + 6.5 * ((s >> 11) / float(1 << 53))
        out[i] = (lat, lon)
    return out


def layer(name):
    fc = json.loads((DATA / name).read_text())
    geoms = [shapely.geometry.shape(f["geometry"]) for f in fc["features"]]
    for g in geoms:
        shapely.prepare(g)
    return fc["features"], geoms


def classify(lat, lon, countries, dmz, provinces):
    n = len(lat)
    country = np.full(n, -1)
    for i, g in enumerate(countries):
        hit = (country < 0) & shapely.contains_xy(g, lon, lat)
        country[hit] = i
    land = country >= 0
    in_dmz = np.zeros(n, dtype=bool)
    for g in dmz:
        in_dmz |= land & shapely.contains_xy(g, lon, lat)
    return country, in_dmz


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    pts = points(N)
    lat, lon = pts[:, 0].copy(), pts[:, 1].copy()
    feats, countries = layer("admin0_korea_region.geojson")
    _, dmz = layer("korean_dmz.geojson")
    _, provinces = layer("nk_admin1_provinces.geojson")
    prk = [i for i, f in enumerate(feats) if f["properties"]["ADM0_A3"] == "PRK"][0]
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        country, in_dmz = classify(lat, lon, countries, dmz, provinces)
        nk = (country == prk) & ~in_dmz
        province = np.full(N, -1)
        for i, g in enumerate(provinces):
            hit = nk & (province < 0) & shapely.contains_xy(g, lon, lat)
            province[hit] = i
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    counts = {f["properties"]["ADM0_A3"]: int(((country == i) & ~in_dmz).sum()) for i, f in enumerate(feats)}
    counts["DMZ"] = int(in_dmz.sum())
    counts["sea"] = int((country < 0).sum())
    print(f"shapely {shapely.__version__} (GEOS {shapely.geos_version_string}): "
          f"{N} points in {med * 1e3:.1f} ms median of {runs} = {N / med / 1e6:.2f} M points/s")
    print("counts:", counts)


if __name__ == "__main__":
    main()
