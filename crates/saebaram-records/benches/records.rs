//! Records benchmarks: open (Argon2id at the default cost), insert 100,000 launches in one
//! transaction encrypted and unencrypted (same code, same SQLite build), a yearly report.
//!
//! `nice -n 19 cargo bench -p saebaram-records --bench records`

use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use saebaram_records::report::ReportOptions;
use saebaram_records::{
    CellId, KdfParams, Launch, NewDatabase, Payload, Prediction, RecordId, Records,
};

const N: u64 = 100_000;
const PASS: &[u8] = b"benchmark passphrase";

fn launches(n: u64) -> Vec<(RecordId, Launch)> {
    let base = DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    (0..n)
        .map(|i| {
            let mut id = [0u8; 16];
            id[..8].copy_from_slice(&(i.wrapping_mul(0x9E37_79B9_7F4A_7C15)).to_le_bytes());
            id[8..].copy_from_slice(&i.to_le_bytes());
            let launch = Launch {
                // Spread over two years, so a yearly report covers half.
                time: base + chrono::Duration::seconds((i * 631) as i64),
                site: format!("site-{}", i % 7),
                preset: "1500g-latex".into(),
                parameters: serde_json::json!({"neck_lift_kg": 2.1, "burst_m": 30000}),
                payload: Payload {
                    leaflets: 1000 + i % 500,
                    usb: i % 5,
                    sd: i % 3,
                    other: 0,
                },
                prediction: Some(Prediction {
                    p_target: 0.5,
                    median_landing: Some((39.0, 125.7)),
                }),
                outcome: None,
            };
            (RecordId(id), launch)
        })
        .collect()
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2027-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn encrypted(dir: &std::path::Path, name: &str, kdf: KdfParams) -> Records {
    Records::create(&NewDatabase {
        path: &dir.join(name),
        passphrase: PASS,
        kdf,
        salt: [7; 12],
        cell: CellId([7; 16]),
    })
    .unwrap()
}

fn bench_open(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    encrypted(dir.path(), "open.db", KdfParams::DEFAULT)
        .close()
        .unwrap();
    let path = dir.path().join("open.db");
    let mut group = c.benchmark_group("records_open");
    group.sample_size(10);
    group.bench_function("open_argon2id_m64MiB_t3_p1", |b| {
        b.iter(|| black_box(Records::open(&path, PASS).unwrap()))
    });
    group.finish();
}

fn bench_insert(c: &mut Criterion) {
    let mut group = c.benchmark_group("records_insert_100k");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    let cheap = KdfParams::INSECURE_TEST;
    group.bench_function("sqlcipher", |b| {
        b.iter_batched(
            || (tempfile::tempdir().unwrap(), launches(N)),
            |(dir, items)| {
                let mut db = encrypted(dir.path(), "enc.db", cheap);
                db.add_launches(items, now()).unwrap();
                db.close().unwrap();
                dir
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("plain_sqlite", |b| {
        b.iter_batched(
            || (tempfile::tempdir().unwrap(), launches(N)),
            |(dir, items)| {
                let mut db = Records::unencrypted_for_benchmarks(
                    &dir.path().join("plain.db"),
                    CellId([7; 16]),
                )
                .unwrap();
                db.add_launches(items, now()).unwrap();
                db.close().unwrap();
                dir
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn bench_report(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut db = encrypted(dir.path(), "report.db", KdfParams::INSECURE_TEST);
    db.add_launches(launches(N), now()).unwrap();
    let options = ReportOptions {
        from: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
        reach_per_leaflet: 1.0,
        reach_per_device: 5.0,
    };
    let mut group = c.benchmark_group("records_report");
    group.sample_size(20);
    group.bench_function("yearly_report_over_100k", |b| {
        b.iter(|| black_box(db.report(&options).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, bench_open, bench_insert, bench_report);
criterion_main!(benches);
