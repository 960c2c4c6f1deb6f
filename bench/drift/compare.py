"""Distances between our tracks (examples/tracks.rs JSON) and OpenDrift's
(opendrift_peer.py JSON), hour by hour, for the points both still carry."""

import json
import math
import sys


def km(a, b):
    (lon1, lat1), (lon2, lat2) = a, b
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, h)))


ours = json.load(open(sys.argv[1]))
peer = json.load(open(sys.argv[2]))
hours = int(sys.argv[3])
worst = {}
for mine, theirs in zip(ours["tracks"], peer["tracks"]):
    pts = [(p["lon"], p["lat"]) for p in mine["points"]]
    for h in (6, 12, 24, 48):
        if h > hours or h >= len(pts) or h >= len(theirs) or theirs[h][0] is None:
            continue
        worst.setdefault(h, []).append(km(pts[h], theirs[h]))
for h, d in sorted(worst.items()):
    d.sort()
    print(f"  after {h:2d} h: {len(d):2d} tracks, median {d[len(d)//2]:.3f} km, max {d[-1]:.3f} km")
