"""Reference tracks from OpenDrift (PyPI `opendrift`, GPL-2.0; run from its own venv, never
copied here) for the CI test `crates/saebaram-drift/tests/opendrift.rs`, on OpenDrift's own
NorKyst-800 current and AROME wind test files (from its source distribution, never
committed). Writes JSON to stdout:

    opendrift_reference.py NORKYST_NC AROME_NC > crates/saebaram-drift/tests/data/opendrift/reference.json

Run by `bash bench/drift/make_reference.sh`. Three cases, 12 points, 48 h from the files'
first hour, OceanDrift with no diffusion, no Stokes drift, no wind uncertainty:
  currents   current only, open sea (no coastline)
  windage    current + 2 % of the 10 m wind, open sea
  stranding  current + 2 % wind against a synthetic coast: land east of 4.4E or north of
             61.0N (a shapely polygon through OpenDrift's shape reader), so both tools strand
             on exactly the same line; OpenDrift's coastline_approximation_precision puts the
             end point on the coast, its time is the end of the step that crossed it.
OpenDrift steps 60 s here (not 15 min): its RK4 variant and Euler windage are first-order
accurate, and at 60 s its tracks are within metres of the solution of the same equations
(bench/drift/RESULTS.md); the test runs saebaram at its default 15 min.
"""

import json
import sys
from datetime import datetime, timedelta, timezone

import numpy as np
import opendrift
import shapely.geometry
from opendrift.models.oceandrift import OceanDrift
from opendrift.readers import reader_netCDF_CF_generic, reader_shape

T0 = 1447632000  # 2015-11-16T00:00Z, the files' first hour
HOURS = 48
STEP_S = 60
WINDAGE = 0.02
COAST_EAST_OF = 4.4
COAST_NORTH_OF = 61.0
POINTS = [(lon, lat) for lat in (59.9, 60.2, 60.5, 60.8) for lon in (3.5, 3.8, 4.1)]


def run(currents, wind, coast, windage):
    o = OceanDrift(loglevel=50)
    readers = [reader_netCDF_CF_generic.Reader(currents)]
    if wind:
        readers.append(reader_netCDF_CF_generic.Reader(wind))
    o.add_reader(readers)
    o.set_config("general:use_auto_landmask", False)
    if coast:
        land = shapely.geometry.box(COAST_EAST_OF, 50.0, 20.0, 70.0).union(
            shapely.geometry.box(-10.0, COAST_NORTH_OF, 20.0, 70.0))
        o.add_reader(reader_shape.Reader([land]))
        o.set_config("general:coastline_action", "stranding")
        # Every throw point is at sea; OpenDrift's search for the nearest sea point of a seed
        # on a shape reader's land needs a buffer distance this reader does not have.
        o.set_config("seed:ocean_only", False)
    else:
        o.set_config("environment:constant:land_binary_mask", 0)
        o.set_config("general:coastline_action", "none")
    o.set_config("drift:advection_scheme", "runge-kutta4")
    o.set_config("environment:fallback:horizontal_diffusivity", 0)
    o.set_config("drift:wind_uncertainty", 0)
    o.set_config("drift:relative_wind", False)
    o.set_config("drift:stokes_drift", False)
    o.set_config("drift:vertical_mixing", False)
    o.set_config("drift:vertical_advection", False)
    start = datetime.fromtimestamp(T0, tz=timezone.utc).replace(tzinfo=None)
    o.seed_elements(lon=np.array([p[0] for p in POINTS]), lat=np.array([p[1] for p in POINTS]),
                    time=start, z=0, wind_drift_factor=windage)
    o.run(duration=timedelta(hours=HOURS), time_step=STEP_S, time_step_output=STEP_S)
    lon = np.asarray(o.result.lon)
    lat = np.asarray(o.result.lat)
    status = np.asarray(o.result.status)
    meanings = o.result.status.attrs["flag_meanings"].split()
    per_hour = 3600 // STEP_S
    out = []
    for i in range(len(POINTS)):
        ok = np.where(np.isfinite(lon[i]))[0]
        last = int(ok[-1])
        track = [[float(lon[i][k]), float(lat[i][k])] if np.isfinite(lon[i][k]) else None
                 for k in range(0, lon.shape[1], per_hour)]
        code = int(status[i][last])
        out.append({
            "hourly": track,
            "end": meanings[code] if code < len(meanings) else str(code),
            "end_t_s": T0 + last * STEP_S,
            "end_lon": float(lon[i][last]),
            "end_lat": float(lat[i][last]),
        })
    return out


def main():
    currents, wind = sys.argv[1], sys.argv[2]
    print(json.dumps({
        "opendrift": opendrift.__version__,
        "t0_s": T0,
        "hours": HOURS,
        "opendrift_step_s": STEP_S,
        "windage": WINDAGE,
        "coast": {"land_east_of": COAST_EAST_OF, "land_north_of": COAST_NORTH_OF},
        "points": POINTS,
        "cases": {
            "currents": run(currents, None, False, 0.0),
            "windage": run(currents, wind, False, WINDAGE),
            "stranding": run(currents, wind, True, WINDAGE),
        },
    }, indent=1))


if __name__ == "__main__":
    main()
