//! Small NetCDF-3 forcing files for tests, written with the pure-Rust `netcdf3` crate: a
//! current (or wind) field on a longitude/latitude grid or a polar-stereographic grid, packed
//! as `short` with `scale_factor`, `add_offset` and `_FillValue` when asked.
#![allow(dead_code)]

use std::path::Path;

use netcdf3::{DataSet, FileWriter, Version};

/// What to write.
pub struct Field<'a> {
    /// Names of the two components.
    pub u_name: &'a str,
    pub v_name: &'a str,
    /// `standard_name`s, if any.
    pub standard_names: Option<(&'a str, &'a str)>,
    /// Hours since 1970-01-01 00:00:00.
    pub times_h: Vec<f64>,
    /// x (longitude, or projected metres) and y (latitude or metres), increasing or not.
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    /// Packed as short with scale 0.001 and offset 0.5 (and fill -32767) when true; f32 otherwise.
    pub packed: bool,
    /// `Some(PROJ params)` writes a `polar_stereographic` grid mapping with these
    /// (lat_0, lon_0, lat_ts, earth radius) and x/y in metres.
    pub stereographic: Option<(f64, f64, f64, f64)>,
    /// A level dimension with these values (depth m) before y, x; the field is written at
    /// every level, scaled by (1 + level index) so a wrong level shows.
    pub levels: Option<Vec<f64>>,
}

/// Writes `field` with values from `value(t_index, x, y) -> Option<(u, v)>` (None: masked).
pub fn write(
    path: &Path,
    field: &Field<'_>,
    value: impl Fn(usize, f64, f64) -> Option<(f64, f64)>,
) {
    let (nt, nx, ny) = (field.times_h.len(), field.x.len(), field.y.len());
    let projected = field.stereographic.is_some();
    let (xn, yn) = if projected {
        ("X", "Y")
    } else {
        ("lon", "lat")
    };
    let mut ds = DataSet::new();
    ds.set_unlimited_dim("time", nt).unwrap();
    ds.add_fixed_dim(yn, ny).unwrap();
    ds.add_fixed_dim(xn, nx).unwrap();
    let nz = field.levels.as_ref().map_or(1, |l| l.len());
    if field.levels.is_some() {
        ds.add_fixed_dim("depth", nz).unwrap();
        ds.add_var_f64("depth", &["depth"]).unwrap();
        ds.add_var_attr_string("depth", "units", "m").unwrap();
        ds.add_var_attr_string("depth", "positive", "down").unwrap();
    }
    ds.add_var_f64("time", &["time"]).unwrap();
    ds.add_var_attr_string("time", "units", "hours since 1970-01-01 00:00:00")
        .unwrap();
    ds.add_var_attr_string("time", "standard_name", "time")
        .unwrap();
    ds.add_var_f64(xn, &[xn]).unwrap();
    ds.add_var_f64(yn, &[yn]).unwrap();
    if projected {
        ds.add_var_attr_string(xn, "units", "m").unwrap();
        ds.add_var_attr_string(yn, "units", "m").unwrap();
        ds.add_var_attr_string(xn, "standard_name", "projection_x_coordinate")
            .unwrap();
        ds.add_var_attr_string(yn, "standard_name", "projection_y_coordinate")
            .unwrap();
        let (lat_0, lon_0, lat_ts, r) = field.stereographic.unwrap();
        ds.add_var_i32::<&str>("projection_stere", &[]).unwrap();
        ds.add_var_attr_string(
            "projection_stere",
            "grid_mapping_name",
            "polar_stereographic",
        )
        .unwrap();
        ds.add_var_attr_f64(
            "projection_stere",
            "latitude_of_projection_origin",
            vec![lat_0],
        )
        .unwrap();
        ds.add_var_attr_f64(
            "projection_stere",
            "straight_vertical_longitude_from_pole",
            vec![lon_0],
        )
        .unwrap();
        ds.add_var_attr_f64("projection_stere", "standard_parallel", vec![lat_ts])
            .unwrap();
        ds.add_var_attr_f64("projection_stere", "earth_radius", vec![r])
            .unwrap();
    } else {
        ds.add_var_attr_string(xn, "units", "degrees_east").unwrap();
        ds.add_var_attr_string(yn, "units", "degrees_north")
            .unwrap();
    }
    let dims: Vec<&str> = if field.levels.is_some() {
        vec!["time", "depth", yn, xn]
    } else {
        vec!["time", yn, xn]
    };
    for (name, standard) in [
        (field.u_name, field.standard_names.map(|s| s.0)),
        (field.v_name, field.standard_names.map(|s| s.1)),
    ] {
        if field.packed {
            ds.add_var_i16(name, &dims).unwrap();
            ds.add_var_attr_f32(name, "scale_factor", vec![0.001])
                .unwrap();
            ds.add_var_attr_f32(name, "add_offset", vec![0.5]).unwrap();
            ds.add_var_attr_i16(name, "_FillValue", vec![-32767])
                .unwrap();
        } else {
            ds.add_var_f32(name, &dims).unwrap();
            ds.add_var_attr_f32(name, "_FillValue", vec![1e20]).unwrap();
        }
        ds.add_var_attr_string(name, "units", "m s-1").unwrap();
        if let Some(s) = standard {
            ds.add_var_attr_string(name, "standard_name", s).unwrap();
        }
        if projected {
            ds.add_var_attr_string(name, "grid_mapping", "projection_stere")
                .unwrap();
        }
    }
    let mut us = Vec::with_capacity(nt * nz * ny * nx);
    let mut vs = Vec::with_capacity(nt * nz * ny * nx);
    for it in 0..nt {
        for iz in 0..nz {
            for y in &field.y {
                for x in &field.x {
                    let scale = 1.0 + iz as f64;
                    match value(it, *x, *y) {
                        Some((u, v)) => {
                            us.push(u * scale);
                            vs.push(v * scale);
                        }
                        None => {
                            us.push(f64::NAN);
                            vs.push(f64::NAN);
                        }
                    }
                }
            }
        }
    }
    let mut w = FileWriter::create_new(path).unwrap();
    w.set_def(&ds, Version::Classic, 0).unwrap();
    w.write_var_f64("time", &field.times_h).unwrap();
    w.write_var_f64(xn, &field.x).unwrap();
    w.write_var_f64(yn, &field.y).unwrap();
    if let Some(levels) = &field.levels {
        w.write_var_f64("depth", levels).unwrap();
    }
    if projected {
        w.write_var_i32("projection_stere", &[0]).unwrap();
    }
    for (name, data) in [(field.u_name, &us), (field.v_name, &vs)] {
        if field.packed {
            let packed: Vec<i16> = data
                .iter()
                .map(|x| {
                    if x.is_nan() {
                        -32767
                    } else {
                        ((x - 0.5) / 0.001).round() as i16
                    }
                })
                .collect();
            w.write_var_i16(name, &packed).unwrap();
        } else {
            let plain: Vec<f32> = data
                .iter()
                .map(|x| if x.is_nan() { 1e20 } else { *x as f32 })
                .collect();
            w.write_var_f32(name, &plain).unwrap();
        }
    }
    w.close().unwrap();
}

/// A regular longitude/latitude current file around Ganghwa (125.9-126.9E, 37.4-38.1N at
/// 0.05°), hours `0..n_hours` since the epoch plus `start_h`, CMEMS names `uo`/`vo`.
pub fn lonlat_field(start_h: f64, n_hours: usize) -> Field<'static> {
    Field {
        u_name: "uo",
        v_name: "vo",
        standard_names: Some((
            "eastward_sea_water_velocity",
            "northward_sea_water_velocity",
        )),
        times_h: (0..n_hours).map(|h| start_h + h as f64).collect(),
        x: (0..=20).map(|i| 125.9 + 0.05 * i as f64).collect(),
        y: (0..=14).map(|i| 37.4 + 0.05 * i as f64).collect(),
        packed: false,
        stereographic: None,
        levels: None,
    }
}
