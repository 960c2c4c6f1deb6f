//! The library on real SQLCipher files: round trips, encryption at rest, bad input,
//! migrations, merges.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use saebaram_records::exchange::{
    decrypt_bundle, generate_identity, parse_identity, parse_recipient,
};
use saebaram_records::report::ReportOptions;
use saebaram_records::{
    Batch, CellId, DeviceCounts, Error, KdfParams, Launch, NewDatabase, Payload, Prediction,
    RecordId, Records, Shipment, ShipmentStatus,
};

const PASS: &[u8] = b"correct horse battery staple";
const ROUTE: &str = "ROUTE-HERON-7Q";
const SITE: &str = "Ganghwa-pier-XJ4";

fn t(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn id(n: u8) -> RecordId {
    RecordId([n; 16])
}

fn create(path: &Path, cell: u8) -> Records {
    Records::create(&NewDatabase {
        path,
        passphrase: PASS,
        kdf: KdfParams::INSECURE_TEST,
        salt: [cell; 12],
        cell: CellId([cell; 16]),
    })
    .unwrap()
}

fn launch() -> Launch {
    Launch {
        time: t("2026-03-14T21:30:00Z"),
        site: SITE.into(),
        preset: "1500g-latex".into(),
        parameters: serde_json::json!({"neck_lift_kg": 2.1, "burst_m": 30000}),
        payload: Payload {
            leaflets: 20_000,
            usb: 30,
            sd: 50,
            other: 2,
        },
        prediction: Some(Prediction {
            p_target: 0.62,
            median_landing: Some((39.03, 125.75)),
        }),
        outcome: None,
    }
}

fn batch() -> Batch {
    Batch {
        time: t("2026-03-10T08:00:00Z"),
        manifest_blake3: "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262".into(),
        content_version: Some("spring-2026".into()),
        written: 48,
        passed: 45,
        rejected_fake: 2,
        failed: 1,
    }
}

fn shipment() -> Shipment {
    Shipment {
        route: ROUTE.into(),
        devices: DeviceCounts {
            usb: 200,
            sd: 300,
            other: 5,
        },
        sent: NaiveDate::from_ymd_opt(2026, 4, 2).unwrap(),
        arrived: None,
        status: ShipmentStatus::InTransit,
    }
}

fn dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn every_record_type_round_trips_through_a_reopen() {
    let dir = dir();
    let path = dir.path().join("r.db");
    let mut db = create(&path, 1);
    let l = db
        .add_launch(id(1), launch(), t("2026-03-14T22:00:00Z"))
        .unwrap();
    let b = db
        .add_batch(id(2), batch(), t("2026-03-10T09:00:00Z"))
        .unwrap();
    let s = db
        .add_shipment(id(3), shipment(), t("2026-04-02T10:00:00Z"))
        .unwrap();
    db.close().unwrap();

    let mut db = Records::open(&path, PASS).unwrap();
    assert_eq!(db.launches().unwrap(), vec![l]);
    assert_eq!(db.batches().unwrap(), vec![b]);
    assert_eq!(db.shipments().unwrap(), vec![s]);

    let noted = db
        .note_launch_outcome(id(1), "landed near target", t("2026-03-20T00:00:00Z"))
        .unwrap();
    assert_eq!(noted.version.lamport, 4);
    let arrived = NaiveDate::from_ymd_opt(2026, 4, 9);
    db.update_shipment(
        id(3),
        ShipmentStatus::Delivered,
        arrived,
        t("2026-04-10T00:00:00Z"),
    )
    .unwrap();
    db.close().unwrap();

    let db = Records::open(&path, PASS).unwrap();
    let launches = db.launches().unwrap();
    assert_eq!(
        launches[0].data.outcome.as_ref().unwrap().note,
        "landed near target"
    );
    let shipments = db.shipments().unwrap();
    assert_eq!(shipments[0].data.status, ShipmentStatus::Delivered);
    assert_eq!(shipments[0].data.arrived, arrived);
    assert_eq!(db.resolve("0303").unwrap().1, id(3));
}

#[test]
fn nothing_recorded_is_readable_on_disk_or_in_the_journal() {
    let dir = dir();
    let path = dir.path().join("r.db");
    let mut db = create(&path, 1);
    db.add_launch(id(1), launch(), t("2026-03-14T22:00:00Z"))
        .unwrap();
    db.add_shipment(id(3), shipment(), t("2026-04-02T10:00:00Z"))
        .unwrap();
    db.close().unwrap();
    // (The journal of an interrupted write is checked by tests/crash.rs.)
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for needle in [
            ROUTE,
            SITE,
            "1500g-latex",
            "spring-2026",
            "neck_lift_kg",
            "SQLite format",
        ] {
            assert!(!contains(&bytes, needle), "`{needle}` readable on disk");
        }
    }
}

#[test]
fn wrong_empty_passphrase_and_foreign_files_are_refused_without_change() {
    let dir = dir();
    let path = dir.path().join("r.db");
    create(&path, 1).close().unwrap();
    let before = std::fs::read(&path).unwrap();

    let err = Records::open(&path, b"wrong").unwrap_err();
    assert!(matches!(err, Error::WrongPassphrase { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with(&format!("wrong passphrase for `{}`", path.display()))
    );
    assert!(matches!(
        Records::open(&path, b"").unwrap_err(),
        Error::EmptyPassphrase
    ));
    assert_eq!(std::fs::read(&path).unwrap(), before);

    let plain = dir.path().join("plain.db");
    rusqlite::Connection::open(&plain)
        .unwrap()
        .execute_batch("CREATE TABLE t(x);")
        .unwrap();
    let err = Records::open(&plain, PASS).unwrap_err();
    assert!(
        err.to_string().contains("plain, unencrypted SQLite"),
        "{err}"
    );

    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"hello, this is not a database at all").unwrap();
    let err = Records::open(&junk, PASS).unwrap_err();
    assert!(matches!(err, Error::NotRecords { .. }), "{err}");

    let short = dir.path().join("short.db");
    std::fs::write(&short, b"abc").unwrap();
    assert!(
        Records::open(&short, PASS)
            .unwrap_err()
            .to_string()
            .contains("only 3 bytes")
    );

    let missing = dir.path().join("missing.db");
    assert!(matches!(
        Records::open(&missing, PASS).unwrap_err(),
        Error::Missing { .. }
    ));
    assert!(!missing.exists());

    // Creating over an existing file is refused.
    let err = Records::create(&NewDatabase {
        path: &path,
        passphrase: PASS,
        kdf: KdfParams::INSECURE_TEST,
        salt: [9; 12],
        cell: CellId([9; 16]),
    })
    .unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }));
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

/// Builds a schema-v1 database with the v1 SQL, as the first release wrote it.
fn v1_database(path: &Path) {
    Records::create_with_schema(
        &NewDatabase {
            path,
            passphrase: PASS,
            kdf: KdfParams::INSECURE_TEST,
            salt: [4; 12],
            cell: CellId([4; 16]),
        },
        1,
    )
    .unwrap();
}

#[test]
fn a_first_version_database_migrates_and_keeps_its_records() {
    let dir = dir();
    let path = dir.path().join("v1.db");
    v1_database(&path);
    // Write a v1 row with raw SQL, the way v1 stored it (no outcome columns).
    {
        let header = saebaram_records::Header::read(&path).unwrap();
        let key = header.derive_key(PASS).unwrap();
        let hex: String = key
            .iter()
            .chain(header.to_bytes().iter())
            .map(|b| format!("{b:02x}"))
            .collect();
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(&format!("PRAGMA key = \"x'{hex}'\";"))
            .unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, 1);
        conn.execute(
            "INSERT INTO launches VALUES (?1, 1, ?2, '2026-01-01T00:00:00Z', ?3,
             '2026-01-05T20:00:00Z', 'v1-site', 'preset', '{}', 100, 1, 2, 3, NULL, NULL, NULL)",
            [
                id(7).to_string(),
                CellId([4; 16]).to_string(),
                format!("{{\"{}\":1}}", CellId([4; 16])),
            ],
        )
        .unwrap();
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'lamport'", [])
            .unwrap();
    }
    let mut db = Records::open(&path, PASS).unwrap();
    assert_eq!(db.migrated_from(), Some(1));
    assert_eq!(
        db.schema_version().unwrap(),
        saebaram_records::CURRENT_SCHEMA
    );
    let launches = db.launches().unwrap();
    assert_eq!(launches.len(), 1);
    assert_eq!(launches[0].data.site, "v1-site");
    assert_eq!(
        launches[0].data.payload,
        Payload {
            leaflets: 100,
            usb: 1,
            sd: 2,
            other: 3
        }
    );
    // The v2 column works on the migrated row.
    db.note_launch_outcome(id(7), "ok", t("2026-02-01T00:00:00Z"))
        .unwrap();
    db.close().unwrap();
    assert_eq!(Records::open(&path, PASS).unwrap().migrated_from(), None);
}

#[test]
fn a_future_schema_is_refused_and_left_untouched() {
    let dir = dir();
    let path = dir.path().join("future.db");
    create(&path, 1).close().unwrap();
    {
        let header = saebaram_records::Header::read(&path).unwrap();
        let key = header.derive_key(PASS).unwrap();
        let hex: String = key
            .iter()
            .chain(header.to_bytes().iter())
            .map(|b| format!("{b:02x}"))
            .collect();
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(&format!(
            "PRAGMA key = \"x'{hex}'\"; PRAGMA user_version = 99;"
        ))
        .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Records::open(&path, PASS).unwrap_err();
    assert!(
        matches!(err, Error::FutureSchema { found: 99, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade saebaram"));
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

fn keys(dir: &Path) -> (age::x25519::Identity, age::x25519::Recipient) {
    let pair = generate_identity();
    let text = saebaram_records::exchange::identity_text(&pair, t("2026-01-01T00:00:00Z"));
    let identity = parse_identity(&dir.join("k"), &text).unwrap();
    let recipient = parse_recipient(&dir.join("k.pub"), &pair.recipient).unwrap();
    (identity, recipient)
}

#[test]
fn export_import_merges_once_and_refuses_tampering_truncation_and_other_keys() {
    let dir = dir();
    let (identity, recipient) = keys(dir.path());
    let mut a = create(&dir.path().join("a.db"), 1);
    a.add_launch(id(1), launch(), t("2026-03-14T22:00:00Z"))
        .unwrap();
    a.add_batch(id(2), batch(), t("2026-03-10T09:00:00Z"))
        .unwrap();
    a.add_shipment(id(3), shipment(), t("2026-04-02T10:00:00Z"))
        .unwrap();
    let export = a.export(&recipient, t("2026-04-03T00:00:00Z")).unwrap();
    for needle in [ROUTE, SITE, "spring-2026"] {
        assert!(!contains(&export, needle));
    }

    let mut b = create(&dir.path().join("b.db"), 2);
    let first = b.import(Path::new("x.age"), &export, &identity).unwrap();
    assert_eq!((first.new, first.updated, first.unchanged), (3, 0, 0));
    let second = b.import(Path::new("x.age"), &export, &identity).unwrap();
    assert_eq!((second.new, second.updated, second.unchanged), (0, 0, 3));
    assert_eq!(b.launches().unwrap(), a.launches().unwrap());
    assert_eq!(b.shipments().unwrap(), a.shipments().unwrap());
    assert_eq!(b.batches().unwrap(), a.batches().unwrap());

    let (other_identity, _) = keys(dir.path());
    let err = decrypt_bundle(Path::new("x.age"), &export, &other_identity).unwrap_err();
    assert!(err.to_string().contains("another cell's key"), "{err}");

    let mut tampered = export.clone();
    let last = tampered.len() - 20;
    tampered[last] ^= 1;
    let err = decrypt_bundle(Path::new("x.age"), &tampered, &identity).unwrap_err();
    assert!(err.to_string().contains("modified or truncated"), "{err}");

    let truncated = &export[..export.len() - 10];
    let err = decrypt_bundle(Path::new("x.age"), truncated, &identity).unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");

    let err = decrypt_bundle(Path::new("x.age"), b"not age at all", &identity).unwrap_err();
    assert!(err.to_string().contains("not a saebaram export"), "{err}");
    assert!(decrypt_bundle(Path::new("x.age"), b"", &identity).is_err());
}

#[test]
fn two_cells_editing_one_record_converge() {
    let dir = dir();
    let (id_a, rec_a) = keys(dir.path());
    let (id_b, rec_b) = keys(dir.path());
    let mut a = create(&dir.path().join("a.db"), 1);
    let mut b = create(&dir.path().join("b.db"), 2);
    a.add_shipment(id(3), shipment(), t("2026-04-02T10:00:00Z"))
        .unwrap();
    b.import(
        Path::new("a"),
        &a.export(&rec_b, t("2026-04-02T11:00:00Z")).unwrap(),
        &id_b,
    )
    .unwrap();

    // Both edit the same shipment without seeing each other's edit.
    a.update_shipment(id(3), ShipmentStatus::Lost, None, t("2026-04-05T00:00:00Z"))
        .unwrap();
    b.update_shipment(
        id(3),
        ShipmentStatus::Delivered,
        NaiveDate::from_ymd_opt(2026, 4, 6),
        t("2026-04-06T00:00:00Z"),
    )
    .unwrap();
    b.update_shipment(
        id(3),
        ShipmentStatus::Delivered,
        NaiveDate::from_ymd_opt(2026, 4, 7),
        t("2026-04-07T00:00:00Z"),
    )
    .unwrap();

    let to_b = a.export(&rec_b, t("2026-04-08T00:00:00Z")).unwrap();
    let to_a = b.export(&rec_a, t("2026-04-08T00:00:00Z")).unwrap();
    let at_b = b.import(Path::new("a"), &to_b, &id_b).unwrap();
    let at_a = a.import(Path::new("b"), &to_a, &id_a).unwrap();
    assert_eq!(at_a.conflicts.len(), 1);
    assert_eq!(at_b.conflicts.len(), 1);
    assert_eq!(a.shipments().unwrap(), b.shipments().unwrap());
    // B's edit has the higher Lamport time (3 > 2), so it wins on both sides.
    assert_eq!(
        a.shipments().unwrap()[0].data.status,
        ShipmentStatus::Delivered
    );

    // A later edit on A after the merge is a plain update at B.
    a.update_shipment(id(3), ShipmentStatus::Lost, None, t("2026-04-09T00:00:00Z"))
        .unwrap();
    let again = b
        .import(
            Path::new("a"),
            &a.export(&rec_b, t("2026-04-10T00:00:00Z")).unwrap(),
            &id_b,
        )
        .unwrap();
    assert_eq!((again.updated, again.conflicts.len()), (1, 0));
    assert_eq!(a.shipments().unwrap(), b.shipments().unwrap());
}

#[test]
fn report_totals_by_channel_and_month() {
    let dir = dir();
    let mut db = create(&dir.path().join("r.db"), 1);
    let mut l2 = launch();
    l2.time = t("2026-03-30T20:00:00Z");
    l2.payload = Payload {
        leaflets: 5_000,
        usb: 0,
        sd: 10,
        other: 0,
    };
    let mut l3 = launch();
    l3.time = t("2026-05-01T00:00:00Z");
    let mut planned = shipment();
    planned.status = ShipmentStatus::Planned;
    db.add_launch(id(1), launch(), t("2026-03-14T22:00:00Z"))
        .unwrap();
    db.add_launch(id(2), l2, t("2026-03-30T22:00:00Z")).unwrap();
    db.add_launch(id(5), l3, t("2026-05-01T22:00:00Z")).unwrap();
    db.add_shipment(id(3), shipment(), t("2026-04-02T10:00:00Z"))
        .unwrap();
    db.add_shipment(id(4), planned, t("2026-04-02T10:00:00Z"))
        .unwrap();
    db.add_batch(id(6), batch(), t("2026-03-10T09:00:00Z"))
        .unwrap();
    let report = db
        .report(&ReportOptions {
            from: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 4, 30).unwrap(),
            reach_per_leaflet: 0.5,
            reach_per_device: 10.0,
        })
        .unwrap();
    let months: Vec<(&str, &str, u64, u64, u64)> = report
        .months
        .iter()
        .map(|r| (r.month.as_str(), r.channel, r.events, r.leaflets, r.devices))
        .collect();
    assert_eq!(
        months,
        vec![
            ("2026-03", "balloon", 2, 25_000, 92),
            ("2026-04", "shipment", 1, 0, 505)
        ]
    );
    assert_eq!(
        report.totals[0].estimated_reach,
        25_000.0 * 0.5 + 92.0 * 10.0
    );
    assert_eq!(report.batch_total.passed, 45);
    let bad = db.report(&ReportOptions {
        from: NaiveDate::from_ymd_opt(2026, 5, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
        reach_per_leaflet: 1.0,
        reach_per_device: 1.0,
    });
    assert!(bad.unwrap_err().to_string().contains("before"));
}

#[test]
fn destroy_overwrites_and_removes_and_refuses_foreign_files() {
    let dir = dir();
    let path: PathBuf = dir.path().join("r.db");
    let mut db = create(&path, 1);
    db.add_launch(id(1), launch(), t("2026-03-14T22:00:00Z"))
        .unwrap();
    db.close().unwrap();
    let gone = saebaram_records::destroy::destroy(&path).unwrap();
    assert_eq!(gone.removed, vec![path.clone()]);
    assert!(!path.exists());

    let other = dir.path().join("notes.txt");
    std::fs::write(&other, b"precious notes, not a database").unwrap();
    assert!(saebaram_records::destroy::destroy(&other).is_err());
    assert_eq!(
        std::fs::read(&other).unwrap(),
        b"precious notes, not a database"
    );
}

const FIXTURE_V1: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/schema-v1.records");
const FIXTURE_PASS: &[u8] = b"fixture passphrase";

#[test]
fn the_committed_schema_v1_fixture_opens_and_migrates() {
    let dir = dir();
    let path = dir.path().join("v1.records");
    std::fs::copy(FIXTURE_V1, &path).unwrap();
    let mut db = Records::open(&path, FIXTURE_PASS).unwrap();
    assert_eq!(db.migrated_from(), Some(1));
    let launches = db.launches().unwrap();
    assert_eq!(launches.len(), 1);
    assert_eq!(launches[0].data.site, "fixture-site");
    assert_eq!(launches[0].data.parameters["burst_m"], 29000);
    assert_eq!(
        launches[0].data.prediction.unwrap().median_landing,
        Some((38.9, 125.6))
    );
    assert_eq!(launches[0].data.outcome, None);
    assert_eq!(
        db.batches().unwrap()[0].data.content_version.as_deref(),
        Some("v1-content")
    );
    assert_eq!(
        db.shipments().unwrap()[0].data.devices,
        DeviceCounts {
            usb: 5,
            sd: 6,
            other: 7
        }
    );
    // New edits continue the Lamport clock of the old database.
    let noted = db
        .note_launch_outcome(RecordId([1; 16]), "fine", t("2025-07-01T00:00:00Z"))
        .unwrap();
    assert_eq!(noted.version.lamport, 4);
    assert!(db.integrity_check().unwrap().is_empty());
}

#[test]
fn forged_bundles_are_refused_whole() {
    let dir = dir();
    let (identity, recipient) = keys(dir.path());
    let mut a = create(&dir.path().join("a.db"), 1);
    a.add_launch(id(5), launch(), t("2026-03-14T22:00:00Z"))
        .unwrap();
    a.add_shipment(id(6), shipment(), t("2026-04-02T10:00:00Z"))
        .unwrap();
    let good = serde_json::to_value(a.bundle(t("2026-04-03T00:00:00Z")).unwrap()).unwrap();
    let parse = |value: &serde_json::Value| {
        saebaram_records::exchange::parse_bundle(Path::new("f.age"), value.to_string().as_bytes())
    };
    assert!(parse(&good).is_ok());

    let mut huge = good.clone();
    huge["launches"][0]["version"]["lamport"] = serde_json::json!(u64::MAX);
    assert!(
        parse(&huge)
            .unwrap_err()
            .to_string()
            .contains("out of range")
    );

    let mut duplicate = good.clone();
    duplicate["shipments"][0]["id"] = good["launches"][0]["id"].clone();
    assert!(
        parse(&duplicate)
            .unwrap_err()
            .to_string()
            .contains("appears twice")
    );

    let mut invalid = good.clone();
    invalid["shipments"][0]["route"] = serde_json::json!("");
    assert!(
        parse(&invalid)
            .unwrap_err()
            .to_string()
            .contains("route code name")
    );

    let mut newer = good.clone();
    newer["version"] = serde_json::json!(2);
    assert!(parse(&newer).unwrap_err().to_string().contains("newer"));

    // A record id that is a launch there but a batch here: the whole import is refused.
    let path_b = dir.path().join("b.db");
    let mut b = create(&path_b, 2);
    b.add_batch(id(5), batch(), t("2026-03-10T09:00:00Z"))
        .unwrap();
    let export = a.export(&recipient, t("2026-04-03T00:00:00Z")).unwrap();
    let err = b
        .import(Path::new("x.age"), &export, &identity)
        .unwrap_err();
    assert!(err.to_string().contains("refusing the whole file"), "{err}");
    assert!(b.launches().unwrap().is_empty());
    assert!(b.shipments().unwrap().is_empty());
}
