//! Writes the schema-v1 records fixture the migration test opens
//! (`tests/data/schema-v1.records`). Run once, by hand, only when it is missing:
//! `cargo run -p saebaram-records --example write_schema_v1_fixture -- crates/saebaram-records/tests/data/schema-v1.records`.
//! Never regenerate it with a newer schema: it stands for databases already in the field.

use std::path::Path;

use saebaram_records::{CellId, KdfParams, NewDatabase, RecordId, Records};

const FIXTURE_PASS: &[u8] = b"fixture passphrase";

fn main() {
    let Some(arg) = std::env::args_os().nth(1) else {
        eprintln!("usage: write_schema_v1_fixture OUTPUT.records");
        std::process::exit(2);
    };
    let path = Path::new(&arg);
    if path.exists() {
        eprintln!("{}: already exists; not overwritten", path.display());
        std::process::exit(1);
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    Records::create_with_schema(
        &NewDatabase {
            path,
            passphrase: FIXTURE_PASS,
            kdf: KdfParams::INSECURE_TEST,
            salt: [0x11; 12],
            cell: CellId([0x11; 16]),
        },
        1,
    )
    .unwrap();
    let header = saebaram_records::Header::read(path).unwrap();
    let key = header.derive_key(FIXTURE_PASS).unwrap();
    let hex: String = key
        .iter()
        .chain(header.to_bytes().iter())
        .map(|b| format!("{b:02x}"))
        .collect();
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(&format!(
        "PRAGMA key = \"x'{hex}'\"; PRAGMA journal_mode = DELETE;"
    ))
    .unwrap();
    let cell = CellId([0x11; 16]).to_string();
    let vv = |n: u64| format!("{{\"{cell}\":{n}}}");
    conn.execute(
        "INSERT INTO launches VALUES (?1, 1, ?2, '2025-06-01T00:00:00Z', ?3,
         '2025-06-01T20:00:00Z', 'fixture-site', 'fixture-preset', '{\"burst_m\":29000}',
         1000, 10, 20, 1, 0.4, 38.9, 125.6)",
        rusqlite::params![RecordId([1; 16]).to_string(), cell, vv(1)],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO batches VALUES (?1, 2, ?2, '2025-06-02T00:00:00Z', ?3,
         '2025-06-02T10:00:00Z', 'beef', 'v1-content', 12, 10, 1, 1)",
        rusqlite::params![RecordId([2; 16]).to_string(), cell, vv(2)],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO shipments VALUES (?1, 3, ?2, '2025-06-03T00:00:00Z', ?3,
         'fixture-route', 5, 6, 7, '2025-06-03', NULL, 'in-transit')",
        rusqlite::params![RecordId([3; 16]).to_string(), cell, vv(3)],
    )
    .unwrap();
    conn.execute("UPDATE meta SET value = '3' WHERE key = 'lamport'", [])
        .unwrap();
}
