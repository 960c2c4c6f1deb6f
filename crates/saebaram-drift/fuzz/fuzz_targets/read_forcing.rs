//! Any bytes as a currents file and as a wind file: an error or a field, never a panic or an
//! allocation the size a header declares; a field that loads samples without panicking and
//! gives finite values or a stated miss.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("saebaram-drift-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("input.nc");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    if let Ok((loaded, _, _)) = saebaram_drift::read_currents(&path) {
        check(&loaded);
    }
    if let Ok(loaded) = saebaram_drift::read_wind(&path) {
        check(&loaded);
    }
});

fn check(loaded: &saebaram_drift::Loaded) {
    let b = loaded.info.bounds;
    let t = loaded.info.first_time_s;
    for (lon, lat) in [(b.lon_min, b.lat_min), ((b.lon_min + b.lon_max) / 2.0, (b.lat_min + b.lat_max) / 2.0)] {
        if let saebaram_drift::Sample::Value(u, v) = loaded.field.sample(t, lon, lat) {
            assert!(u.is_finite() && v.is_finite(), "{u} {v}");
        }
    }
}
