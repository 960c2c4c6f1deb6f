#!/usr/bin/env python3
"""Writes a synthetic `saebaram plan --json` value: WINDOWS hourly launch windows x MEMBERS
members, landings drifting north-east from Paju with the hour, a few tracks per window and a
0.05 degree leaflet density. Deterministic (fixed seed). For the map benchmark and for
looking at the page; not a flight model.

usage: synth_plan.py WINDOWS MEMBERS OUT.json
"""
import json
import math
import random
import sys


def main():
    windows, members, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    rng = random.Random(42)
    site = (37.7599, 126.7770)
    ws = []
    for i in range(windows):
        hour = i % 24
        # The mean landing swings with the hour; spread grows with it.
        ang = math.radians(20 + 50 * math.sin(i / 9.0))
        dist = 0.55 + 0.35 * math.cos(i / 7.0)
        clat, clon = site[0] + dist * math.cos(ang), site[1] + dist * math.sin(ang) * 1.2
        spread = 0.12 + 0.08 * (hour / 23)
        landings, cells, tracks = [], {}, []
        counts = {"north_korea": 0, "south_korea": 0, "dmz": 0, "sea": 0}
        for m in range(members):
            lat = rng.gauss(clat, spread)
            lon = rng.gauss(clon, spread * 1.3)
            if lon < 125.9 or (lat < 37.9 and lon < 126.5):
                cls = "sea"
            elif lat > 38.0 + 0.1 * (lon - 126.7):
                cls = "north_korea"
            elif lat > 37.9 + 0.1 * (lon - 126.7):
                cls = "dmz"
            else:
                cls = "south_korea"
            counts[cls] += 1
            payload = 1.0
            landings.append({"lat": round(lat, 5), "lon": round(lon, 5), "class": cls, "payload": payload})
            key = (math.floor(lat / 0.05), math.floor(lon / 0.05))
            cells[key] = cells.get(key, 0) + payload / members
            if m < 12:
                n = 80
                tracks.append([[round(site[0] + (lat - site[0]) * k / n + 0.02 * math.sin(k / 9), 5),
                                round(site[1] + (lon - site[1]) * k / n, 5), round(9000 * math.sin(math.pi * k / n), 1)]
                               for k in range(n + 1)])
        p = {k: v / members for k, v in counts.items()}
        dists = sorted(math.hypot((l["lat"] - 38.3) * 111, (l["lon"] - 126.9) * 88) for l in landings)
        ws.append({
            "launch_time": f"2019-06-{5 + i // 24:02d}T{hour:02d}:00:00Z",
            "p_north": p["north_korea"], "p_south": p["south_korea"], "p_dmz": p["dmz"], "p_sea": p["sea"], "p_other": 0.0,
            "p_target": sum(1 for d in dists if d < 25) / members,
            "median_distance_km": dists[len(dists) // 2], "p90_distance_km": dists[int(len(dists) * 0.9)],
            "landings": landings,
            "leaflet_density": {"cell_deg": 0.05, "cells": [[k[0] * 0.05, k[1] * 0.05, v] for k, v in sorted(cells.items())]},
            "tracks": tracks,
        })
    best = max(range(windows), key=lambda i: ws[i]["p_target"])
    plan = {
        "forecast": {"source": "Japan Meteorological Agency MEPS (synthetic test plan)", "credit": "JMA", "run_time": "2019-06-05T00:00:00Z", "steady_sample": True},
        "site": {"name": "Paju", "lat": site[0], "lon": site[1]},
        "target": {"label": "Kaesong", "lat": 38.3, "lon": 126.9, "radius_km": 25},
        "profile": {"balloon": "latex 100 g", "ascent_rate_m_s": 2.5, "burst_altitude_m": 9000},
        "members": members, "seed": 42, "windows": ws, "best": best,
        "warnings": [],
    }
    with open(out, "w") as f:
        json.dump(plan, f)


if __name__ == "__main__":
    main()
