//! Reading CF-NetCDF forcing files: grids, packing, masks, projections, and every bad input
//! an error naming the file and variable.

mod support {
    pub mod write_nc;
}

use saebaram_drift::{Error, Sample, Stokes, read_currents, read_wind};
use support::write_nc::{Field, lonlat_field, write};

#[test]
fn regular_lonlat_currents_with_packing_and_a_mask() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cur.nc");
    let field = Field {
        packed: true,
        y: lonlat_field(0.0, 3).y.into_iter().rev().collect(),
        ..lonlat_field(0.0, 3)
    };
    // u = 0.1·hour + (lon - 126), v = lat - 37.5; land west of 126.0E.
    write(&path, &field, |it, lon, lat| {
        (lon >= 126.0 - 1e-9).then_some((0.1 * it as f64 + (lon - 126.0), lat - 37.5))
    });
    let (loaded, stokes, extra) = read_currents(&path).unwrap();
    assert_eq!(stokes, Stokes::Absent);
    assert!(extra.is_none());
    assert_eq!(loaded.info.u_variable, "uo");
    assert_eq!(
        (loaded.info.nx, loaded.info.ny, loaded.info.n_times),
        (21, 15, 3)
    );
    assert!(!loaded.info.rotated);
    let f = &loaded.field;
    // Packed to 0.001 m/s.
    let Sample::Value(u, v) = f.sample(1800.0, 126.3, 37.8) else {
        panic!()
    };
    assert!((u - (0.05 + 0.3)).abs() < 2e-3, "{u}");
    assert!((v - 0.3).abs() < 2e-3, "{v}");
    // The masked column: the cell west of 126.0 has two valid corners.
    let Sample::Value(u, _) = f.sample(0.0, 125.97, 37.8) else {
        panic!()
    };
    assert!((u - 0.0).abs() < 2e-3 || (u - 0.05).abs() < 2e-3, "{u}");
    assert_eq!(f.sample(0.0, 125.92, 37.8), Sample::Masked);
    assert_eq!(f.sample(0.0, 127.0, 37.8), Sample::OutsideArea);
    assert_eq!(f.sample(3.0 * 3600.0, 126.3, 37.8), Sample::OutsideTime);
    assert!(loaded.info.masked_fraction > 0.0);
}

#[test]
fn the_level_nearest_the_surface_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("levels.nc");
    let field = Field {
        levels: Some(vec![10.0, 0.494, 30.0]),
        ..lonlat_field(0.0, 2)
    };
    write(&path, &field, |_, _, _| Some((0.2, -0.1)));
    let (loaded, ..) = read_currents(&path).unwrap();
    assert_eq!(loaded.info.level, Some(0.494));
    // Level index 1 holds the values times 2.
    assert_eq!(
        loaded.field.sample(0.0, 126.3, 37.8),
        Sample::Value(0.4000000059604645, -0.20000000298023224)
    );
}

#[test]
fn polar_stereographic_grid_relative_currents_are_rotated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stere.nc");
    // A grid around 60N 160E on a pole-centred stereographic projection with lon_0 = 70E: at
    // 160E grid +x points south and grid +y east.
    let r = 6_371_000.0;
    let proj = saebaram_drift::Projection::from_proj4(
        &format!("+proj=stere +lat_0=90 +lon_0=70 +lat_ts=60 +R={r}"),
        1.0,
    )
    .unwrap();
    let (x0, y0) = proj.forward(160.0, 60.0).unwrap();
    let field = Field {
        u_name: "u",
        v_name: "v",
        standard_names: Some(("x_sea_water_velocity", "y_sea_water_velocity")),
        times_h: vec![0.0, 1.0],
        x: (-5..=5).map(|i| x0 + 800.0 * i as f64).collect(),
        y: (-5..=5).map(|i| y0 + 800.0 * i as f64).collect(),
        packed: false,
        stereographic: Some((90.0, 70.0, 60.0, r)),
        levels: None,
    };
    write(&path, &field, |_, _, _| Some((1.0, 0.0)));
    let (loaded, ..) = read_currents(&path).unwrap();
    assert!(loaded.info.rotated);
    let Sample::Value(e, n) = loaded.field.sample(0.0, 160.0, 60.0) else {
        panic!()
    };
    assert!(
        e.abs() < 1e-3 && (n + 1.0).abs() < 1e-3,
        "east {e} north {n}"
    );
}

#[test]
fn wind_by_standard_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wind.nc");
    let field = Field {
        u_name: "U",
        v_name: "V",
        standard_names: Some(("eastward_wind", "northward_wind")),
        ..lonlat_field(0.0, 2)
    };
    write(&path, &field, |_, _, _| Some((5.0, 2.0)));
    let loaded = read_wind(&path).unwrap();
    assert_eq!(loaded.info.u_variable, "U");
    assert_eq!(
        loaded.field.sample(600.0, 126.3, 37.8),
        Sample::Value(5.0, 2.0)
    );
}

fn message(e: &Error) -> String {
    e.to_string()
}

#[test]
fn not_netcdf_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.nc");
    std::fs::write(&path, b"hello, this is not a NetCDF file").unwrap();
    let err = read_currents(&path).unwrap_err();
    assert!(matches!(err, Error::Open { .. }), "{err:?}");
    assert!(message(&err).contains("notes.nc"), "{err}");
}

#[test]
fn no_velocity_lists_what_the_file_has() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("temp.nc");
    let field = Field {
        u_name: "thetao",
        v_name: "so",
        standard_names: None,
        ..lonlat_field(0.0, 2)
    };
    write(&path, &field, |_, _, _| Some((10.0, 33.0)));
    let err = read_currents(&path).unwrap_err();
    let text = message(&err);
    assert!(
        matches!(err, Error::NoVelocity { .. })
            && text.contains("thetao")
            && text.contains("temp.nc"),
        "{text}"
    );
}

#[test]
fn all_masked_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("land.nc");
    write(&path, &lonlat_field(0.0, 2), |_, _, _| None);
    let err = read_currents(&path).unwrap_err();
    assert!(
        matches!(&err, Error::AllMasked { variable, .. } if variable == "uo"),
        "{err:?}"
    );
    assert!(message(&err).contains("land.nc"));
}

#[test]
fn huge_declared_record_count_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.nc");
    write(&path, &lonlat_field(0.0, 2), |_, _, _| Some((0.1, 0.1)));
    // CDF-1: bytes 4..8 are numrecs, the length of the record (time) dimension.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[4..8].copy_from_slice(&0x7fff_fff0u32.to_be_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let err = read_currents(&path).unwrap_err();
    let text = message(&err);
    assert!(text.contains("huge.nc"), "{text}");
    // The reader itself refuses a header that declares more records than the file holds.
    assert!(
        matches!(&err, Error::Open { source, .. } if source.to_string().contains("declares")),
        "{err:?}"
    );
}

#[test]
fn missing_time_units_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notime.nc");
    write(&path, &lonlat_field(0.0, 2), |_, _, _| Some((0.1, 0.1)));
    // Rename the attribute `units` of `time` to `unitz` in the header (same length).
    let mut bytes = std::fs::read(&path).unwrap();
    let needle = b"hours since 1970";
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap();
    let units_at = bytes[..at].windows(5).rposition(|w| w == b"units").unwrap();
    bytes[units_at + 4] = b'z';
    // `standard_name = time` would still mark it; break that too.
    let sn = b"standard_name";
    let sn_at = bytes.windows(sn.len()).position(|w| w == sn).unwrap();
    bytes[sn_at] = b'x';
    std::fs::write(&path, &bytes).unwrap();
    let err = read_currents(&path).unwrap_err();
    assert!(matches!(err, Error::TimeAxis { .. }), "{err:?}");
    assert!(message(&err).contains("notime.nc"), "{err}");
}

#[test]
fn truncated_data_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.nc");
    write(&path, &lonlat_field(0.0, 4), |_, _, _| Some((0.1, 0.1)));
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let err = read_currents(&path).unwrap_err();
    assert!(message(&err).contains("cut.nc"), "{err}");
}
