#!/usr/bin/env python3
"""Tawhiri (the CUSF predictor) as a peer for saebaram's P0 "standard" profile.

usage:
  tawhiri_peer.py make DATASET [HOURS]       write a sparse synthetic tawhiri dataset
  tawhiri_peer.py predict DATASET FLIGHTS    fly FLIGHTS with tawhiri's own solver
  tawhiri_peer.py bench DATASET FLIGHTS N    time tawhiri's solver, N runs per flight
  tawhiri_peer.py lookup DATASET N           time tawhiri's wind lookup, N passes of a track

DATASET is a file named YYYYMMDDHH (the run time), as tawhiri names its datasets.
FLIGHTS is a text file, one flight per line: `unix_seconds lat lon ascent burst descent`
(launch at altitude 0).

`make` needs only the standard library. `predict` and `bench` import tawhiri, installed by
.ci/setup.d/60-tawhiri.sh into its own venv (tawhiri is GPL: it is never copied into this
repository, only installed from PyPI and called).

The dataset has tawhiri's real shape (65 hours, 47 levels, {height, u, v}, 361 latitudes,
720 longitudes: 9,528,667,200 bytes) but is sparse: only the box BOX_LAT x BOX_LON below is written,
for every level of every hour index in HOURS (a comma-separated list of indices 0..64, each
3 hours apart; default all 65), plus the top level's heights at the first and last hour over
the whole globe (saebaram's reader takes the dataset's ceiling from those two planes).
Everything else is a hole that reads as zeros and takes no disk space. Each written
(hour, level, variable) plane costs about 96 KiB of disk (33 rows of 2,880 bytes, each row
in its own 4 KiB page or two), so all 65 hours take about 0.85 GB and the 14 hours the P0
test's flights use about 0.18 GB.
"""
import calendar
import datetime
import json
import math
import os
import struct
import sys
import time

SHAPE = (65, 47, 3, 361, 720)
SIZE = 4 * SHAPE[0] * SHAPE[1] * SHAPE[2] * SHAPE[3] * SHAPE[4]
LEVELS_HPA = [
    1000, 975, 950, 925, 900, 875, 850, 825, 800, 775, 750, 725, 700, 675, 650, 625, 600,
    575, 550, 525, 500, 475, 450, 425, 400, 375, 350, 325, 300, 275, 250, 225, 200, 175, 150,
    125, 100, 70, 50, 30, 20, 10, 7, 5, 3, 2, 1,
]
# The written box: latitude rows and longitude columns (0.5 degree grid, row 0 = 90S,
# column 0 = 0E), inclusive. 30..46N, 118..138E.
BOX_LAT = (30.0, 46.0)
BOX_LON = (118.0, 138.0)
ROWS = range(int((BOX_LAT[0] + 90) * 2), int((BOX_LAT[1] + 90) * 2) + 1)
COLS = range(int(BOX_LON[0] * 2), int(BOX_LON[1] * 2) + 1)

# ISA layers: (base geopotential height m, base temperature K, lapse K/m, base pressure hPa).
_ISA = [
    (0.0, 288.15, -0.0065, 1013.25),
    (11000.0, 216.65, 0.0, 226.32064),
    (20000.0, 216.65, 0.001, 54.748887),
    (32000.0, 228.65, 0.0028, 8.6801870),
    (47000.0, 270.65, 0.0, 1.1090631),
]
_R_G = 287.05287 / 9.80665


def isa_height_m(p_hpa):
    """Geopotential height of a pressure in the standard atmosphere."""
    base = [layer for layer in _ISA if layer[3] >= p_hpa][-1]
    h0, t0, lapse, p0 = base
    if lapse == 0.0:
        return h0 + t0 * _R_G * math.log(p0 / p_hpa)
    return h0 + t0 / lapse * ((p_hpa / p0) ** (-lapse * _R_G) - 1.0)


def lat_of(row):
    return -90.0 + 0.5 * row


def lon_of(col):
    return 0.5 * col


def fields(hour, level, rows, cols):
    """Height, u and v for one hour and level over rows x cols: lists of rows.

    Smooth in every dimension on scales of a few grid steps, so a flight's track depends
    on the interpolation in time, latitude, longitude and height. Heights follow the
    standard atmosphere, scaled by a factor near 1 that varies with position and time
    (so heights still increase with level everywhere); a westerly jet near 11.5 km.
    """
    th = 2.0 * math.pi * (3.0 * hour)  # times hours, divided by periods below
    hz = isa_height_m(LEVELS_HPA[level])
    jet = 45.0 * math.exp(-(((hz - 11500.0) / 4500.0) ** 2))
    u_lev = 6.0 + 3.0 * math.cos(2.0 * math.pi * hz / 7000.0)
    v_lev = 1.0 - hz / 30000.0
    k_lat = [0.010 * (38.0 - lat_of(r)) / 8.0 for r in rows]
    k_lon = [0.004 * math.sin(2.0 * math.pi * (lon_of(c) - 118.0) / 20.0 + th / 60.0) for c in cols]
    u_lat = [jet * (1.0 + 0.25 * math.sin(2.0 * math.pi * (lat_of(r) - 30.0) / 12.0)) for r in rows]
    u_lon = [4.0 * math.sin(2.0 * math.pi * (lon_of(c) - 118.0) / 15.0 + th / 40.0) for c in cols]
    v_lat = [3.0 * math.cos(2.0 * math.pi * (lat_of(r) - 30.0) / 10.0 + hz / 4000.0) for r in rows]
    v_lon = [5.0 * v_lev * math.sin(2.0 * math.pi * (lon_of(c) - 118.0) / 18.0 - th / 55.0) for c in cols]
    height = [[hz * (1.0 + kl + kc) for kc in k_lon] for kl in k_lat]
    u = [[u_lev + ul + uc for uc in u_lon] for ul in u_lat]
    v = [[vl + vc for vc in v_lon] for vl in v_lat]
    return height, u, v


def offset(hour, level, var, row, col):
    return 4 * ((((hour * SHAPE[1] + level) * 3 + var) * SHAPE[3] + row) * SHAPE[4] + col)


def make(path, hours=range(SHAPE[0])):
    name = os.path.basename(path)
    datetime.datetime.strptime(name, "%Y%m%d%H")  # tawhiri's file name: the run time
    tmp = path + ".part"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.ftruncate(fd, SIZE)
        row_of = struct.Struct("<%df" % len(COLS))
        for hour in hours:
            for level in range(SHAPE[1]):
                for var, values in enumerate(fields(hour, level, ROWS, COLS)):
                    for row, line in zip(ROWS, values):
                        os.pwrite(fd, row_of.pack(*line), offset(hour, level, var, row, COLS[0]))
        # The top level's heights over the globe at the first and last hour.
        top = SHAPE[1] - 1
        globe_row = struct.Struct("<%df" % SHAPE[4])
        for hour in (0, SHAPE[0] - 1):
            heights = fields(hour, top, range(SHAPE[3]), range(SHAPE[4]))[0]
            for row, line in enumerate(heights):  # the box's values again, and the rest
                os.pwrite(fd, globe_row.pack(*line), offset(hour, top, 0, row, 0))
    finally:
        os.close(fd)
    os.rename(tmp, path)


class SeaLevel:
    """An elevation "dataset" of sea level everywhere, in place of ruaumoko's terrain:
    tawhiri's own elevation termination then ends the descent at altitude 0."""

    def get(self, lat, lng):
        return 0.0


def read_flights(path):
    flights = []
    with open(path) as f:
        for line in f:
            line = line.split("#")[0].split()
            if line:
                t, lat, lon, ascent, burst, descent = map(float, line)
                flights.append((t, lat, lon, ascent, burst, descent))
    return flights


def open_dataset(path):
    from tawhiri.dataset import Dataset

    directory, name = os.path.split(os.path.abspath(path))
    run = datetime.datetime.strptime(name, "%Y%m%d%H")
    return Dataset(run, directory=directory)


def chain(ds, flight):
    from tawhiri import models

    _, _, _, ascent, burst, descent = flight
    # tawhiri's standard profile exactly as its API builds it, with sea-level ground.
    return models.standard_profile(ascent, burst, descent, ds, SeaLevel())


def predict(path, flights_path):
    from tawhiri import solver

    ds = open_dataset(path)
    for flight in read_flights(flights_path):
        t, lat, lon = flight[:3]
        stages = solver.solve(t, lat, lon % 360.0, 0.0, chain(ds, flight))
        burst = stages[0][-1]
        land = stages[-1][-1]
        lng = land[2] if land[2] <= 180.0 else land[2] - 360.0
        points = [p for s in stages for p in s]
        print(json.dumps({
            "burst": {"t": burst[0], "lat": burst[1], "lon": burst[2], "alt": burst[3]},
            "landing": {"t": land[0], "lat": land[1], "lon": lng, "alt": land[3]},
            "points": len(points),
            # Every interpolation corner was written: the track stays inside the box.
            "inside_box": all(
                BOX_LAT[0] < p[1] < BOX_LAT[1] - 0.5 and BOX_LON[0] < p[2] < BOX_LON[1] - 0.5
                for p in points
            ),
        }))


def bench(path, flights_path, n):
    from tawhiri import solver

    ds = open_dataset(path)
    flights = read_flights(flights_path)
    chains = [chain(ds, f) for f in flights]
    for f, c in zip(flights, chains):  # warm the page cache and the code
        solver.solve(f[0], f[1], f[2] % 360.0, 0.0, c)
    times = []
    for _ in range(n):
        for f, c in zip(flights, chains):
            t0 = time.perf_counter()
            solver.solve(f[0], f[1], f[2] % 360.0, 0.0, c)
            times.append(time.perf_counter() - t0)
    times.sort()
    median = times[len(times) // 2]
    us = lambda s: round(s * 1e6, 2)
    print(json.dumps({
        "predictions": len(times),
        "median_us": us(median),
        "mean_us": us(sum(times) / len(times)),
        "p10_us": us(times[len(times) // 10]),
        "p90_us": us(times[len(times) * 9 // 10]),
    }))


def track(run_unix):
    """The lookup benchmark's balloon track (as saebaram-forecast's benches/synthetic.rs):
    60 s steps from an hour after the run, 5 m/s up to 11.7 km and down again, ~15 m/s
    east, from Paju: 1024 (unix seconds, lat, lon, alt) inside the written box."""
    return [
        (run_unix + 3600.0 + 60.0 * k, 37.8 + 0.0005 * k, 126.75 + 0.005 * k,
         10.0 + 300.0 * (k % 40))
        for k in range(1024)
    ]


def lookup(path, n):
    """Times tawhiri's own wind lookup (interpolate.make_interpolator's closure, the one
    its solver calls) on the track, n passes of 1024 calls; prints the median ns per call,
    and the same loop calling an empty Python function (the share that is Python's)."""
    from tawhiri import interpolate

    ds = open_dataset(path)
    get_wind = interpolate.make_interpolator(ds)
    run_unix = calendar.timegm(ds.ds_time.timetuple())
    pts = [((t - run_unix) / 3600.0, lat, lon % 360.0, alt) for t, lat, lon, alt in track(run_unix)]

    def nothing(hour, lat, lng, alt):
        return (0.0, 0.0)

    def per_call(fn):
        for h, la, lo, al in pts:  # warm
            fn(h, la, lo, al)
        out = []
        for _ in range(n):
            t0 = time.perf_counter()
            for h, la, lo, al in pts:
                fn(h, la, lo, al)
            out.append((time.perf_counter() - t0) / len(pts))
        out.sort()
        return round(out[len(out) // 2] * 1e9, 1)

    print(json.dumps({"calls": n * len(pts), "median_ns": per_call(get_wind),
                      "empty_python_call_ns": per_call(nothing)}))


def main(argv):
    if len(argv) == 3 and argv[1] == "make":
        make(argv[2])
    elif len(argv) == 4 and argv[1] == "make":
        hours = sorted({int(h) for h in argv[3].split(",")})
        if not hours or hours[0] < 0 or hours[-1] >= SHAPE[0]:
            sys.exit("HOURS: indices 0..%d, comma-separated" % (SHAPE[0] - 1))
        make(argv[2], hours)
    elif len(argv) == 4 and argv[1] == "predict":
        predict(argv[2], argv[3])
    elif len(argv) == 5 and argv[1] == "bench":
        bench(argv[2], argv[3], int(argv[4]))
    elif len(argv) == 4 and argv[1] == "lookup":
        lookup(argv[2], int(argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
