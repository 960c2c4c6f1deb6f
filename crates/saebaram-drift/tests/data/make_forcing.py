"""Writes small NetCDF-4/HDF5 forcing files for saebaram-drift's tests (netCDF4, numpy:
pinned in .ci/pip.d/drift.txt).

    python3 make_forcing.py OUT KIND [START_HOURS N_HOURS]

KIND:
  currents   CMEMS-like `utotal`/`vtotal` (float32, zlib, _FillValue, land west of
             126.0E) on 125.9-126.9E x 37.4-38.1N at 0.05 deg, hourly, latitude descending,
             a `depth` level; u = 0.2 + 0.1*sin(2 pi h / 12.42), v = 0.3 m/s (northward
             flood for the tests' closed forms).
  packed     the same field as int16 with scale_factor/add_offset, names uo/vo.
  wind       ERA5-like u10/v10 float32: u10 = 5, v10 = -2 m/s everywhere.
  stere      NorKyst-like: x_sea_water_velocity/y_sea_water_velocity on a polar
             stereographic grid (proj4 and CF attributes) around 37.7N 126.3E, grid-relative
             values of a true 0.5 m/s eastward current.
  huge       a variable declaring 10000 x 2000 x 2000 values and holding none.
  nomapping  u/v on x/y in metres without a grid_mapping.
"""

import math
import sys

import netCDF4
import numpy as np


def times(nc, start_h, n):
    nc.createDimension("time", None)
    t = nc.createVariable("time", "f8", ("time",))
    t.units = "hours since 1970-01-01 00:00:00"
    t.standard_name = "time"
    t.calendar = "standard"
    t[:] = np.arange(n, dtype="f8") + start_h
    return np.arange(n) + start_h


def lonlat(nc):
    lon = np.round(125.9 + 0.05 * np.arange(21), 6)
    lat = np.round(38.1 - 0.05 * np.arange(15), 6)  # descending, as many files are
    nc.createDimension("longitude", lon.size)
    nc.createDimension("latitude", lat.size)
    x = nc.createVariable("longitude", "f4", ("longitude",))
    x.units = "degrees_east"
    x[:] = lon
    y = nc.createVariable("latitude", "f4", ("latitude",))
    y.units = "degrees_north"
    y[:] = lat
    return lon, lat


def current(hours, lon, lat):
    u = np.empty((hours.size, lat.size, lon.size), "f8")
    v = np.empty_like(u)
    for i, h in enumerate(hours):
        u[i] = 0.2 + 0.1 * math.sin(2 * math.pi * h / 12.42)
        v[i] = 0.3
    land = np.broadcast_to(lon[None, None, :] < 126.0 - 1e-9, u.shape)
    return u, v, land


def main():
    out, kind = sys.argv[1], sys.argv[2]
    start_h = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 6
    nc = netCDF4.Dataset(out, "w", format="NETCDF4")
    nc.Conventions = "CF-1.8"
    if kind in ("currents", "packed"):
        hours = times(nc, start_h, n)
        lon, lat = lonlat(nc)
        nc.createDimension("depth", 1)
        d = nc.createVariable("depth", "f4", ("depth",))
        d.units = "m"
        d.positive = "down"
        d[:] = [0.494]
        u, v, land = current(hours, lon, lat)
        names = ("utotal", "vtotal") if kind == "currents" else ("uo", "vo")
        for name, data, std in ((names[0], u, "eastward_sea_water_velocity"), (names[1], v, "northward_sea_water_velocity")):
            if kind == "currents":
                var = nc.createVariable(name, "f4", ("time", "depth", "latitude", "longitude"), zlib=True, fill_value=np.float32(-999.0))
            else:
                var = nc.createVariable(name, "i2", ("time", "depth", "latitude", "longitude"), zlib=True, fill_value=np.int16(-32767))
                var.scale_factor = np.float32(0.001)
                var.add_offset = np.float32(0.0)
            var.standard_name = std
            var.units = "m s-1"
            var[:] = np.ma.masked_array(data, land)[:, None, :, :]
    elif kind == "wind":
        hours = times(nc, start_h, n)
        lon, lat = lonlat(nc)
        for name, value in (("u10", 5.0), ("v10", -2.0)):
            var = nc.createVariable(name, "f4", ("time", "latitude", "longitude"), zlib=True)
            var.units = "m s-1"
            var[:] = np.full((hours.size, lat.size, lon.size), value)
    elif kind == "stere":
        hours = times(nc, start_h, n)
        # NorKyst-800's projection, centred differently: stere, lat_0 90, lon_0 70, lat_ts 60.
        import numpy as _np  # noqa: F401
        r = 6371000.0
        lat0, lon0, lat_ts = 90.0, 70.0, 60.0
        k = (1 + math.sin(math.radians(lat_ts))) / 2  # sphere: scale at the pole for lat_ts

        def fwd(lon, lat):
            rho = 2 * r * k * math.tan(math.radians(45 - lat / 2))
            lam = math.radians(lon - lon0)
            return rho * math.sin(lam), -rho * math.cos(lam)

        cx, cy = fwd(126.3, 37.7)
        xs = cx + 4000.0 * np.arange(-15, 16)
        ys = cy + 4000.0 * np.arange(-12, 13)
        nc.createDimension("X", xs.size)
        nc.createDimension("Y", ys.size)
        x = nc.createVariable("X", "f8", ("X",))
        x.units = "meter"
        x.standard_name = "projection_x_coordinate"
        x[:] = xs
        y = nc.createVariable("Y", "f8", ("Y",))
        y.units = "meter"
        y.standard_name = "projection_y_coordinate"
        y[:] = ys
        gm = nc.createVariable("projection_stere", "i4")
        gm.grid_mapping_name = "polar_stereographic"
        gm.latitude_of_projection_origin = lat0
        gm.straight_vertical_longitude_from_pole = lon0
        gm.standard_parallel = lat_ts
        gm.earth_radius = r
        gm.proj4 = f"+proj=stere +lat_0={lat0} +lon_0={lon0} +lat_ts={lat_ts} +R={r}"
        # A true eastward 0.5 m/s current in grid components: east in grid coordinates is
        # (cos lam, sin lam) for this projection (lam = lon - lon0).
        u = np.empty((hours.size, ys.size, xs.size))
        v = np.empty_like(u)
        for j, yy in enumerate(ys):
            for i, xx in enumerate(xs):
                lam = math.atan2(xx, -yy)
                u[:, j, i] = 0.5 * math.cos(lam)
                v[:, j, i] = 0.5 * math.sin(lam)
        for name, data, std in (("u", u, "x_sea_water_velocity"), ("v", v, "y_sea_water_velocity")):
            var = nc.createVariable(name, "f4", ("time", "Y", "X"), zlib=True, fill_value=np.float32(1e37))
            var.standard_name = std
            var.grid_mapping = "projection_stere"
            var.units = "m s-1"
            var[:] = data
    elif kind == "huge":
        times(nc, start_h, 10000)
        nc.createDimension("latitude", 2000)
        nc.createDimension("longitude", 2000)
        x = nc.createVariable("longitude", "f4", ("longitude",))
        x.units = "degrees_east"
        x[:] = 120 + 0.01 * np.arange(2000)
        y = nc.createVariable("latitude", "f4", ("latitude",))
        y.units = "degrees_north"
        y[:] = 30 + 0.01 * np.arange(2000)
        for name in ("uo", "vo"):
            nc.createVariable(name, "f4", ("time", "latitude", "longitude"), zlib=True, chunksizes=(1, 500, 500))
    elif kind == "nomapping":
        times(nc, start_h, n)
        nc.createDimension("x", 4)
        nc.createDimension("y", 3)
        x = nc.createVariable("x", "f8", ("x",))
        x.units = "m"
        x[:] = np.arange(4) * 800.0
        y = nc.createVariable("y", "f8", ("y",))
        y.units = "m"
        y[:] = np.arange(3) * 800.0
        for name in ("u", "v"):
            var = nc.createVariable(name, "f4", ("time", "y", "x"))
            var[:] = np.zeros((n, 3, 4))
    else:
        sys.exit(f"unknown kind {kind}")
    nc.close()


if __name__ == "__main__":
    main()
