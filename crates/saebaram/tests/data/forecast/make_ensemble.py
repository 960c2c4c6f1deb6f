#!/usr/bin/env python3
"""Writes a multi-member GRIB2 ensemble (product template 4.1) from the shipped GFS sample.

Used by crates/saebaram/tests/forecast.rs and flight.rs (plan on a forecast's own members).
Reads the isobaric u, v, gh and t of `testdata/wind/ncep_gfs_2p5deg_20111008T00Z_f072.grib2`
(NCEP GFS, public domain) and writes, for each member and step, those fields with:

- product definition template 4.1: type of ensemble forecast (code table 4.6: 1 = control
  for member 0, 3 = positively perturbed otherwise), perturbation number, number of forecasts
  in the ensemble;
- the winds of members listed in --north turned to blow towards the north (u = 0, v = the
  original speed), and of every other member towards the south (u = 0, v = -speed), so that
  where each member's balloons go is known in advance; with --keep-winds every member keeps
  the original winds.

Bad inputs on request, each naming what it breaks:
  --drop M:STEP     member M has no fields at step STEP
  --shift-grid M    member M's grid starts 2.5 degrees further east (another grid)
  --drop-level M:HPA member M has no fields on level HPA
  --mixed           the deterministic (template 4.0) fields are written too
  --per-member      one file per member (member-NN.grib2 in OUT, a directory), as GEFS ships

Usage: make_ensemble.py SOURCE OUT --members N [--north 2,3] [--steps 72,75] [...]
Needs ecCodes' Python bindings (pip `eccodes`, .ci/pip.d/forecast.txt).
"""

import argparse
import math
import os
import sys

import eccodes as ec

VARS = ("u", "v", "gh", "t")
# Levels enough for flights to 9 km (300 hPa), few enough to keep the file small.
LEVELS = (1000, 925, 850, 700, 600, 500, 400, 300)


def pairs(text, what):
    out = []
    for item in filter(None, (text or "").split(",")):
        a, _, b = item.partition(":")
        if not b:
            sys.exit(f"{what}: `{item}` is not M:VALUE")
        out.append((int(a), int(b)))
    return out


def numbers(text):
    return [int(x) for x in filter(None, (text or "").split(","))]


def read_source(path):
    """The isobaric u, v, gh, t fields: {(var, level): (handle, values)}."""
    ec.codes_grib_multi_support_on()
    fields = {}
    with open(path, "rb") as f:
        while True:
            h = ec.codes_grib_new_from_file(f)
            if h is None:
                break
            name = ec.codes_get(h, "shortName")
            if (
                ec.codes_get(h, "typeOfLevel") == "isobaricInhPa"
                and name in VARS
                and ec.codes_get(h, "level") in LEVELS
            ):
                fields[(name, ec.codes_get(h, "level"))] = h
            else:
                ec.codes_release(h)
    ec.codes_grib_multi_support_off()
    missing = [(v, l) for v in VARS for l in LEVELS if (v, l) not in fields]
    if missing:
        sys.exit(f"{path}: missing fields {missing}")
    return fields


def main():
    p = argparse.ArgumentParser()
    p.add_argument("source")
    p.add_argument("out")
    p.add_argument("--members", type=int, required=True)
    p.add_argument("--north", default="")
    p.add_argument("--keep-winds", action="store_true")
    p.add_argument("--steps", default="72")
    p.add_argument("--drop", default="")
    p.add_argument("--shift-grid", default="")
    p.add_argument("--drop-level", default="")
    p.add_argument("--mixed", action="store_true")
    p.add_argument("--per-member", action="store_true")
    a = p.parse_args()

    north = set(numbers(a.north))
    steps = numbers(a.steps)
    drop = set(pairs(a.drop, "--drop"))
    drop_level = set(pairs(a.drop_level, "--drop-level"))
    shift = set(numbers(a.shift_grid))
    src = read_source(a.source)

    values = {k: ec.codes_get_values(h) for k, h in src.items()}
    speed = {l: [math.hypot(u, v) for u, v in zip(values[("u", l)], values[("v", l)])] for l in LEVELS}

    outs = {}

    def out_for(member):
        key = member if a.per_member else None
        if key not in outs:
            if a.per_member:
                os.makedirs(a.out, exist_ok=True)
                path = os.path.join(a.out, "member-%02d.grib2" % member)
            else:
                path = a.out
            outs[key] = open(path + ".part", "wb"), path
        return outs[key][0]

    for step in steps:
        for m in range(a.members):
            if (m, step) in drop:
                continue
            for var in VARS:
                for level in LEVELS:
                    if (m, level) in drop_level:
                        continue
                    h = ec.codes_clone(src[(var, level)])
                    ec.codes_set(h, "productDefinitionTemplateNumber", 1)
                    ec.codes_set(h, "typeOfEnsembleForecast", 1 if m == 0 else 3)
                    ec.codes_set(h, "perturbationNumber", m)
                    ec.codes_set(h, "numberOfForecastsInEnsemble", a.members)
                    ec.codes_set(h, "forecastTime", step)
                    vals = values[(var, level)]
                    if var in ("u", "v") and not a.keep_winds:
                        sign = 1.0 if m in north else -1.0
                        vals = [0.0] * len(vals) if var == "u" else [sign * s for s in speed[level]]
                    ec.codes_set_values(h, vals)
                    if m in shift:
                        lo1 = ec.codes_get(h, "longitudeOfFirstGridPointInDegrees")
                        lo2 = ec.codes_get(h, "longitudeOfLastGridPointInDegrees")
                        ec.codes_set(h, "longitudeOfFirstGridPointInDegrees", lo1 + 2.5)
                        ec.codes_set(h, "longitudeOfLastGridPointInDegrees", (lo2 + 2.5) % 360.0)
                    ec.codes_write(h, out_for(m))
                    ec.codes_release(h)
        if a.mixed:
            for var in VARS:
                for level in LEVELS:
                    h = ec.codes_clone(src[(var, level)])
                    ec.codes_set(h, "forecastTime", step)
                    ec.codes_write(h, out_for(0))
                    ec.codes_release(h)
    for f, path in outs.values():
        f.close()
        os.replace(path + ".part", path)


if __name__ == "__main__":
    main()
