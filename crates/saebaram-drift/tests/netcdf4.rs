//! NetCDF-4/HDF5 forcing files written by netCDF4-python (`tests/data/make_forcing.py`;
//! python3 with netCDF4 and numpy, pinned in `.ci/pip.d/drift.txt`, must be on PATH: the
//! test fails, never skips, without it).

use std::path::{Path, PathBuf};
use std::process::Command;

use saebaram_drift::{Error, Sample, Stokes, read_currents, read_wind};

fn make(dir: &Path, kind: &str) -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/make_forcing.py");
    let out = dir.join(format!("{kind}.nc"));
    let status = Command::new("python3")
        .arg(&script)
        .arg(&out)
        .arg(kind)
        .args(["0", "6"])
        .status()
        .expect("python3 runs (the CI venv of .ci/pip.d puts it on PATH)");
    assert!(
        status.success(),
        "{} {kind} failed: is netCDF4 installed (.ci/pip.d/drift.txt)?",
        script.display()
    );
    out
}

#[test]
fn cmems_like_utotal_includes_stokes_and_reads_the_surface_level() {
    let dir = tempfile::tempdir().unwrap();
    let (loaded, stokes, extra) = read_currents(&make(dir.path(), "currents")).unwrap();
    assert_eq!(stokes, Stokes::InCurrents);
    assert!(extra.is_none());
    assert_eq!(loaded.info.u_variable, "utotal");
    assert_eq!(loaded.info.level, Some(0.49399998784065247));
    // Latitude was descending in the file; v is 0.3 everywhere at sea, u follows the tide.
    let Sample::Value(u, v) = loaded.field.sample(3.0 * 3600.0, 126.42, 37.71) else {
        panic!()
    };
    let expected_u = 0.2 + 0.1 * (2.0 * std::f64::consts::PI * 3.0 / 12.42).sin();
    assert!(
        (u - expected_u).abs() < 1e-6 && (v - 0.3).abs() < 1e-6,
        "{u} {v}"
    );
    assert_eq!(loaded.field.sample(0.0, 125.92, 37.71), Sample::Masked);
}

#[test]
fn packed_int16_is_unpacked() {
    let dir = tempfile::tempdir().unwrap();
    let (loaded, stokes, _) = read_currents(&make(dir.path(), "packed")).unwrap();
    assert_eq!(stokes, Stokes::Absent);
    let Sample::Value(_, v) = loaded.field.sample(0.0, 126.42, 37.71) else {
        panic!()
    };
    assert!((v - 0.3).abs() < 1e-3, "{v}");
}

#[test]
fn wind_u10_v10() {
    let dir = tempfile::tempdir().unwrap();
    let loaded = read_wind(&make(dir.path(), "wind")).unwrap();
    assert_eq!(
        loaded.field.sample(100.0, 126.3, 37.8),
        Sample::Value(5.0, -2.0)
    );
}

#[test]
fn norkyst_like_stereographic_vectors_become_eastward() {
    let dir = tempfile::tempdir().unwrap();
    let (loaded, ..) = read_currents(&make(dir.path(), "stere")).unwrap();
    assert!(loaded.info.rotated, "{:?}", loaded.info);
    for (lon, lat) in [(126.3, 37.7), (126.0, 37.5), (126.6, 37.9)] {
        let Sample::Value(e, n) = loaded.field.sample(0.0, lon, lat) else {
            panic!("{lon} {lat}")
        };
        assert!(
            (e - 0.5).abs() < 2e-3 && n.abs() < 2e-3,
            "at {lon} {lat}: east {e} north {n}"
        );
    }
}

#[test]
fn huge_declared_dimensions_are_refused_naming_file_and_variable() {
    let dir = tempfile::tempdir().unwrap();
    let err = read_currents(&make(dir.path(), "huge")).unwrap_err();
    assert!(
        matches!(&err, Error::TooLarge { variable, .. } if variable == "uo"),
        "{err:?}"
    );
    assert!(err.to_string().contains("huge.nc"), "{err}");
}

#[test]
fn projected_grid_without_grid_mapping_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = read_currents(&make(dir.path(), "nomapping")).unwrap_err();
    assert!(matches!(err, Error::Grid { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("nomapping.nc") && text.contains("grid_mapping"),
        "{text}"
    );
}
