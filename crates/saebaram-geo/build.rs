//! Checks the GeoNames place list and our corrections to it before the crate is built, so a
//! malformed row fails the build with the file, line and problem (the crate then reads the
//! same text at run time with the same reader, `src/place_rows.rs`).

#[path = "src/place_rows.rs"]
#[allow(dead_code)]
mod place_rows;

const PLACES: &str = "data/geonames_places_kr_kp.csv";
const CORRECTIONS: &str = "data/geonames_corrections.csv";

fn read(path: &str) -> String {
    println!("cargo::rerun-if-changed={path}");
    match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => fail(&format!("cannot read {path}: {e}")),
    }
}

fn fail(message: &str) -> ! {
    eprintln!("error: saebaram-geo: {message}");
    println!("cargo::warning=saebaram-geo: {message}");
    std::process::exit(1);
}

fn main() {
    println!("cargo::rerun-if-changed=src/place_rows.rs");
    let places = read(PLACES);
    let corrections = read(CORRECTIONS);
    let result =
        place_rows::parse_places("geonames_places_kr_kp.csv", &places).and_then(|mut rows| {
            let fixes = place_rows::parse_corrections("geonames_corrections.csv", &corrections)?;
            place_rows::apply_corrections("geonames_corrections.csv", &mut rows, &fixes)?;
            Ok(rows)
        });
    if let Err(e) = result {
        fail(&e.to_string());
    }
}
