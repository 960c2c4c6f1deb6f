"""Peer for `cargo bench -p saebaram-geo --bench classify`: classify the same 100,000
points with shapely 2 / GEOS, doing the same work as Geo::classify: the country (first
polygon that holds the point), then the DMZ for points on land, then the province for
North Korean points outside the DMZ. Prints, per method, the median of N runs and the
class counts (which must equal ours: CHN 17,580, KOR 11,581, PRK 32,386, DMZ 617, sea
37,836).

Two indexed methods, each asking a layer only about the points still in question (as
ours does: no province test for a point in China):
- `prepared`: prepared geometries (GEOS builds an edge index per polygon and rejects by
  bounding box first) with vectorised `contains_xy` on coordinate arrays.
- `strtree`: an STRtree over each layer's polygons, `query(points, predicate="within")`
  (bounding-box tree, then the predicate on prepared polygons). The Point objects are
  built once before timing (their cost is printed separately): ours takes raw (lat, lon).

Usage: python3 bench/geo/peer_shapely.py [RUNS]   (from the repository root;
pip install shapely numpy)
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


def first_hit_prepared(geoms, lon, lat, idx):
    """For the points `idx`, the index of the first geometry holding each, or -1."""
    out = np.full(len(idx), -1)
    left = np.arange(len(idx))
    for i, g in enumerate(geoms):
        if len(left) == 0:
            break
        hit = shapely.contains_xy(g, lon[idx[left]], lat[idx[left]])
        out[left[hit]] = i
        left = left[~hit]
    return out


def first_hit_strtree(tree, pts, idx):
    """For the points `idx`, the index of the first geometry (lowest index) holding each."""
    out = np.full(len(idx), -1)
    if len(idx) == 0:
        return out
    p, g = tree.query(pts[idx], predicate="within")
    # Lowest geometry index per point, as the prepared loop's "first polygon wins".
    order = np.lexsort((g, p))
    p, g = p[order], g[order]
    first = np.ones(len(p), dtype=bool)
    first[1:] = p[1:] != p[:-1]
    out[p[first]] = g[first]
    return out


def classify(first_hit, layers, prk):
    countries, dmz, provinces = layers
    all_idx = np.arange(N)
    country = first_hit(countries, all_idx)
    land = np.nonzero(country >= 0)[0]
    in_dmz = np.zeros(N, dtype=bool)
    in_dmz[land[first_hit(dmz, land) >= 0]] = True
    nk = np.nonzero((country == prk) & ~in_dmz)[0]
    province = np.full(N, -1)
    province[nk] = first_hit(provinces, nk)
    return country, in_dmz, province


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    pts = points(N)
    lat, lon = pts[:, 0].copy(), pts[:, 1].copy()
    feats, countries = layer("admin0_korea_region.geojson")
    _, dmz = layer("korean_dmz.geojson")
    _, provinces = layer("nk_admin1_provinces.geojson")
    prk = [i for i, f in enumerate(feats) if f["properties"]["ADM0_A3"] == "PRK"][0]

    t0 = time.perf_counter()
    point_geoms = shapely.points(lon, lat)
    t_points = time.perf_counter() - t0
    trees = [shapely.STRtree(g) for g in (countries, dmz, provinces)]

    methods = {
        "prepared": (lambda geoms, idx: first_hit_prepared(geoms, lon, lat, idx),
                     (countries, dmz, provinces)),
        "strtree": (lambda tree, idx: first_hit_strtree(tree, point_geoms, idx), trees),
    }
    print(f"shapely {shapely.__version__} (GEOS {shapely.geos_version_string}), {N} points")
    for name, (first_hit, layers) in methods.items():
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            country, in_dmz, province = classify(first_hit, layers, prk)
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        counts = {f["properties"]["ADM0_A3"]: int(((country == i) & ~in_dmz).sum())
                  for i, f in enumerate(feats)}
        counts["DMZ"] = int(in_dmz.sum())
        counts["sea"] = int((country < 0).sum())
        counts["with province"] = int((province >= 0).sum())
        print(f"{name}: {med * 1e3:.1f} ms median of {runs} = {N / med / 1e6:.2f} M points/s; "
              f"counts {counts}")
    print(f"(strtree: building the {N} Point objects took {t_points * 1e3:.1f} ms, not counted)")


if __name__ == "__main__":
    main()
