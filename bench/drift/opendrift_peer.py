"""OpenDrift (PyPI `opendrift`, GPL-2.0; run from its own venv, never copied here) on the
same files, points and settings as `tracks` (crates/saebaram-drift/examples/tracks.rs).

    opendrift_peer.py CURRENTS WIND|- T0_UNIX_S HOURS WINDAGE STEP_S SCHEME N_COPIES LON,LAT...

OceanDrift with no diffusion, no Stokes drift, no coastline (`general:coastline_action`
none, no auto landmask): the same physics as ours, current + windage x 10 m wind. Prints
JSON: hourly positions of the first copy of each point and particle-steps per second of
`run()` (which includes OpenDrift's reader interpolation, as ours includes our lookups).
"""

import json
import sys
import time
from datetime import datetime, timedelta, timezone

import numpy as np
from opendrift.models.oceandrift import OceanDrift
from opendrift.readers import reader_netCDF_CF_generic


def main():
    a = sys.argv
    currents, wind = a[1], a[2]
    t0, hours, windage, step_s = float(a[3]), float(a[4]), float(a[5]), float(a[6])
    scheme = {"rk4": "runge-kutta4", "euler": "euler"}[a[7]]
    copies = int(a[8])
    points = [tuple(map(float, p.split(","))) for p in a[9:]]
    lons = np.array([p[0] for p in points] * copies)
    lats = np.array([p[1] for p in points] * copies)
    o = OceanDrift(loglevel=50)
    readers = [reader_netCDF_CF_generic.Reader(currents)]
    if wind != "-":
        readers.append(reader_netCDF_CF_generic.Reader(wind))
    o.add_reader(readers)
    o.set_config("general:use_auto_landmask", False)
    # No land: bottles are compared at sea only (ours runs with no coastline either).
    o.set_config("environment:constant:land_binary_mask", 0)
    o.set_config("general:coastline_action", "none")
    o.set_config("drift:advection_scheme", scheme)
    o.set_config("environment:fallback:horizontal_diffusivity", 0)
    o.set_config("drift:wind_uncertainty", 0)
    o.set_config("drift:relative_wind", False)
    o.set_config("drift:stokes_drift", False)
    o.set_config("drift:vertical_mixing", False)
    o.set_config("drift:vertical_advection", False)
    start = datetime.fromtimestamp(t0, tz=timezone.utc).replace(tzinfo=None)
    o.seed_elements(lon=lons, lat=lats, time=start, z=0, wind_drift_factor=windage)
    clock = time.perf_counter()
    o.run(duration=timedelta(hours=hours), time_step=step_s, time_step_output=3600)
    seconds = time.perf_counter() - clock
    lon = np.asarray(o.result.lon)
    lat = np.asarray(o.result.lat)
    n_steps = int(round(hours * 3600 / step_s))
    tracks = []
    for i in range(len(points)):
        tracks.append([[None if np.isnan(x) else float(x), None if np.isnan(y) else float(y)] for x, y in zip(lon[i], lat[i])])
    print(json.dumps({
        "particles": int(lons.size),
        "steps": int(lons.size) * n_steps,
        "seconds": seconds,
        "particle_steps_per_s": lons.size * n_steps / seconds,
        "opendrift": __import__("opendrift").__version__,
        "tracks": tracks,
    }))


if __name__ == "__main__":
    main()
