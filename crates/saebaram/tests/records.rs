//! `saebaram records` end to end: the real binary on real encrypted files.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_saebaram");
const ROUTE: &str = "ROUTE-KINGFISHER-Z8";
const SITE: &str = "site-PELICAN-Q3";

struct Cell {
    db: PathBuf,
    pass: &'static str,
}

fn saebaram(args: &[&str], pass: Option<&str>, stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env("SAEBARAM_RECORDS_KDF", "test")
        .env_remove("SAEBARAM_RECORDS_PASSPHRASE");
    if let Some(pass) = pass {
        cmd.env("SAEBARAM_RECORDS_PASSPHRASE", pass);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("saebaram runs");
    if let Some(input) = stdin {
        child
            .stdin
            .as_mut()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

impl Cell {
    fn new(dir: &Path, name: &str, pass: &'static str) -> Cell {
        let cell = Cell {
            db: dir.join(format!("{name}.db")),
            pass,
        };
        let out = cell.run(&["init"]);
        assert!(out.status.success(), "init: {}", stderr(&out));
        // The test binary has the cheap key derivation (the CLI's dev-dependencies turn on
        // `insecure-test-kdf`): header marker, log2(KiB) = 3, one pass, one lane. Without
        // it every open would silently cost the real 64 MiB Argon2id.
        let header = std::fs::read(&cell.db).unwrap();
        assert_eq!(
            &header[..4],
            &[0xEB, 3, 1, 1],
            "the test KDF did not reach the binary"
        );
        cell
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut full = vec!["records", "--db", self.db.to_str().unwrap()];
        full.extend_from_slice(args);
        saebaram(&full, Some(self.pass), None)
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?} failed: {}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    }

    fn list(&self) -> serde_json::Value {
        let mut json: serde_json::Value =
            serde_json::from_str(&self.ok(&["list", "--json"])).unwrap();
        json.as_object_mut().unwrap().remove("database");
        json.as_object_mut().unwrap().remove("cell");
        json
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn add_some(cell: &Cell) {
    cell.ok(&[
        "add",
        "launch",
        "--time",
        "2026-03-14T21:30:00Z",
        "--site",
        SITE,
        "--preset",
        "1500g",
        "--parameters",
        r#"{"neck_lift_kg":2.1}"#,
        "--leaflets",
        "20000",
        "--usb",
        "30",
        "--p-target",
        "0.62",
        "--median-landing",
        "39.03,125.75",
    ]);
    cell.ok(&[
        "add",
        "batch",
        "--manifest-blake3",
        "ab12",
        "--content-version",
        "spring",
        "--written",
        "48",
        "--passed",
        "45",
        "--rejected-fake",
        "2",
        "--failed",
        "1",
        "--time",
        "2026-03-10",
    ]);
    cell.ok(&[
        "add",
        "shipment",
        "--route",
        ROUTE,
        "--sent",
        "2026-04-02",
        "--usb",
        "200",
        "--sd",
        "300",
    ]);
}

fn keygen(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let key = dir.join(name);
    let out = saebaram(
        &["records", "keygen", "--out", key.to_str().unwrap()],
        None,
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let public = dir.join(format!("{name}.pub"));
    (key, public)
}

fn id_of(cell: &Cell, kind: &str) -> String {
    cell.list()[kind][0]["id"].as_str().unwrap().to_string()
}

#[test]
fn records_round_trip_report_and_move_to_a_second_cell() {
    let dir = tempfile::tempdir().unwrap();
    let a = Cell::new(dir.path(), "a", "alpha passphrase");
    add_some(&a);

    let list = a.list();
    let launch = &list["launches"][0];
    assert_eq!(launch["site"], SITE);
    assert_eq!(launch["payload"]["leaflets"], 20000);
    assert_eq!(launch["prediction"]["p_target"], 0.62);
    assert_eq!(launch["parameters"]["neck_lift_kg"], 2.1);
    assert_eq!(list["batches"][0]["rejected_fake"], 2);
    assert_eq!(list["shipments"][0]["route"], ROUTE);
    assert_eq!(list["shipments"][0]["status"], "in-transit");

    // Outcome noted later, and the launch's payload corrected.
    let launch_id = id_of(&a, "launches");
    a.ok(&[
        "note-outcome",
        &launch_id[..10],
        "--note",
        "landed 12 km short",
        "--leaflets",
        "21000",
    ]);
    let list = a.list();
    assert_eq!(list["launches"][0]["outcome"]["note"], "landed 12 km short");
    assert_eq!(list["launches"][0]["payload"]["leaflets"], 21000);

    let report: serde_json::Value = serde_json::from_str(&a.ok(&[
        "report",
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
        "--json",
        "--reach-per-leaflet",
        "0.5",
        "--reach-per-device",
        "10",
    ]))
    .unwrap();
    let totals = report["totals"].as_array().unwrap();
    assert_eq!(totals[0]["channel"], "balloon");
    assert_eq!(totals[0]["leaflets"], 21000);
    assert_eq!(totals[0]["estimated_reach"], 21000.0 * 0.5 + 30.0 * 10.0);
    assert_eq!(totals[1]["channel"], "shipment");
    assert_eq!(totals[1]["devices"], 500);
    assert_eq!(report["batch_total"]["passed"], 45);
    let csv = a.ok(&[
        "report",
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
        "--csv",
    ]);
    assert!(
        csv.lines()
            .any(|l| l.starts_with("2026-04,shipment,1,0,200,300,0,500,")),
        "{csv}"
    );
    let table = a.ok(&["report", "--from", "2026-01-01", "--to", "2026-12-31"]);
    assert!(table.contains("2026-03  balloon"), "{table}");

    // Move everything to cell B.
    let (key, public) = keygen(dir.path(), "b.key");
    let export = dir.path().join("to-b.age");
    a.ok(&[
        "export",
        "--to",
        public.to_str().unwrap(),
        "--out",
        export.to_str().unwrap(),
    ]);
    let b = Cell::new(dir.path(), "b", "bravo passphrase");
    let first = b.ok(&[
        "import",
        export.to_str().unwrap(),
        "--identity",
        key.to_str().unwrap(),
        "--json",
    ]);
    let first: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(first["new"], 3);
    let second = b.ok(&[
        "import",
        export.to_str().unwrap(),
        "--identity",
        key.to_str().unwrap(),
        "--json",
    ]);
    let second: serde_json::Value = serde_json::from_str(&second).unwrap();
    assert_eq!(
        (second["new"].as_u64(), second["unchanged"].as_u64()),
        (Some(0), Some(3))
    );
    assert_eq!(a.list(), b.list());

    // Nothing recorded is readable in the databases, journals or the export.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        for needle in [ROUTE, SITE, "landed 12 km short", "neck_lift_kg"] {
            assert!(
                !contains(&bytes, needle),
                "`{needle}` readable in {}",
                path.display()
            );
        }
    }
}

#[test]
fn two_cells_editing_the_same_shipment_converge() {
    let dir = tempfile::tempdir().unwrap();
    let a = Cell::new(dir.path(), "a", "alpha");
    let b = Cell::new(dir.path(), "b", "bravo");
    let (a_key, a_pub) = keygen(dir.path(), "a.key");
    let (b_key, b_pub) = keygen(dir.path(), "b.key");
    a.ok(&[
        "add",
        "shipment",
        "--route",
        ROUTE,
        "--sent",
        "2026-04-02",
        "--usb",
        "5",
    ]);
    let to_b = dir.path().join("to-b.age");
    let to_a = dir.path().join("to-a.age");
    a.ok(&[
        "export",
        "--to",
        b_pub.to_str().unwrap(),
        "--out",
        to_b.to_str().unwrap(),
    ]);
    b.ok(&[
        "import",
        to_b.to_str().unwrap(),
        "--identity",
        b_key.to_str().unwrap(),
    ]);

    let id = id_of(&a, "shipments");
    a.ok(&["note-outcome", &id, "--status", "lost"]);
    b.ok(&[
        "note-outcome",
        &id,
        "--status",
        "delivered",
        "--arrived",
        "2026-04-09",
    ]);
    a.ok(&[
        "export",
        "--to",
        b_pub.to_str().unwrap(),
        "--out",
        to_b.to_str().unwrap(),
    ]);
    b.ok(&[
        "export",
        "--to",
        a_pub.to_str().unwrap(),
        "--out",
        to_a.to_str().unwrap(),
    ]);
    let at_b = b.ok(&[
        "import",
        to_b.to_str().unwrap(),
        "--identity",
        b_key.to_str().unwrap(),
    ]);
    let at_a = a.ok(&[
        "import",
        to_a.to_str().unwrap(),
        "--identity",
        a_key.to_str().unwrap(),
    ]);
    assert!(
        at_a.contains("1 conflicts") && at_a.contains("conflict: shipment"),
        "{at_a}"
    );
    assert!(at_b.contains("1 conflicts"), "{at_b}");
    assert_eq!(a.list(), b.list());
}

#[test]
fn wrong_or_empty_passphrases_and_foreign_files_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let a = Cell::new(dir.path(), "a", "alpha");
    add_some(&a);
    let before = std::fs::read(&a.db).unwrap();
    let db = a.db.to_str().unwrap();

    let out = saebaram(&["records", "--db", db, "list"], Some("not alpha"), None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!("wrong passphrase for `{db}`")),
        "{}",
        stderr(&out)
    );

    let out = saebaram(&["records", "--db", db, "list"], Some(""), None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("passphrase is empty"),
        "{}",
        stderr(&out)
    );

    // --passphrase-file: the right one works, an empty one is refused.
    let pass_file = dir.path().join("pass.txt");
    std::fs::write(&pass_file, "alpha\n").unwrap();
    let out = saebaram(
        &[
            "records",
            "--db",
            db,
            "--passphrase-file",
            pass_file.to_str().unwrap(),
            "list",
        ],
        None,
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::write(&pass_file, "").unwrap();
    let new_db = dir.path().join("new.db");
    let out = saebaram(
        &[
            "records",
            "--db",
            new_db.to_str().unwrap(),
            "--passphrase-file",
            pass_file.to_str().unwrap(),
            "init",
        ],
        None,
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("passphrase is empty"));
    assert!(!new_db.exists());
    assert_eq!(std::fs::read(&a.db).unwrap(), before);

    // Not a records database.
    let junk = dir.path().join("notes.db");
    std::fs::write(&junk, "shopping list: rice, batteries, tape\n").unwrap();
    let out = saebaram(
        &["records", "--db", junk.to_str().unwrap(), "list"],
        Some("alpha"),
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let msg = stderr(&out);
    assert!(
        msg.contains("notes.db") && msg.contains("is not a saebaram records database"),
        "{msg}"
    );

    // init refuses to overwrite an existing database.
    let out = saebaram(&["records", "--db", db, "init"], Some("alpha"), None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("already exists"));
    assert_eq!(std::fs::read(&a.db).unwrap(), before);

    // A missing database is named, not created.
    let missing = dir.path().join("missing.db");
    let out = saebaram(
        &["records", "--db", missing.to_str().unwrap(), "list"],
        Some("alpha"),
        None,
    );
    assert!(stderr(&out).contains("records init"));
    assert!(!missing.exists());
}

#[test]
fn tampered_truncated_and_misaddressed_exports_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let a = Cell::new(dir.path(), "a", "alpha");
    add_some(&a);
    let (b_key, b_pub) = keygen(dir.path(), "b.key");
    let (c_key, _) = keygen(dir.path(), "c.key");
    let export = dir.path().join("x.age");
    a.ok(&[
        "export",
        "--to",
        b_pub.to_str().unwrap(),
        "--out",
        export.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&export).unwrap();
    let b = Cell::new(dir.path(), "b", "bravo");
    let before = std::fs::read(&b.db).unwrap();

    let mut tampered = bytes.clone();
    let at = tampered.len() - 40;
    tampered[at] ^= 0x20;
    let bad = dir.path().join("tampered.age");
    std::fs::write(&bad, &tampered).unwrap();
    let out = b.run(&[
        "import",
        bad.to_str().unwrap(),
        "--identity",
        b_key.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("tampered.age") && stderr(&out).contains("modified"),
        "{}",
        stderr(&out)
    );

    let short = dir.path().join("short.age");
    std::fs::write(&short, &bytes[..bytes.len() - 25]).unwrap();
    let out = b.run(&[
        "import",
        short.to_str().unwrap(),
        "--identity",
        b_key.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("truncated"), "{}", stderr(&out));

    let out = b.run(&[
        "import",
        export.to_str().unwrap(),
        "--identity",
        c_key.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("another cell's key"),
        "{}",
        stderr(&out)
    );

    // A public key given as identity, and a secret key given as recipient.
    let out = b.run(&[
        "import",
        export.to_str().unwrap(),
        "--identity",
        b_pub.to_str().unwrap(),
    ]);
    assert!(
        stderr(&out).contains("not a usable age identity"),
        "{}",
        stderr(&out)
    );
    let out = a.run(&[
        "export",
        "--to",
        b_key.to_str().unwrap(),
        "--out",
        "/nonexistent/x",
    ]);
    assert!(
        stderr(&out).contains("this is a secret key"),
        "{}",
        stderr(&out)
    );

    assert_eq!(std::fs::read(&b.db).unwrap(), before);
    assert_eq!(b.list()["launches"].as_array().unwrap().len(), 0);
}

#[test]
fn keygen_writes_a_private_secret_key_and_never_overwrites() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (key, public) = keygen(dir.path(), "cell.key");
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let secret = std::fs::read_to_string(&key).unwrap();
    assert!(secret.contains("AGE-SECRET-KEY-1"));
    assert!(
        std::fs::read_to_string(&public)
            .unwrap()
            .starts_with("age1")
    );
    let out = saebaram(
        &["records", "keygen", "--out", key.to_str().unwrap()],
        None,
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&key).unwrap(), secret);
}

#[test]
fn forbidden_strings_in_free_text_are_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let a = Cell::new(dir.path(), "a", "alpha");
    let list = dir.path().join("forbid.txt");
    std::fs::write(&list, "# people\nPak Myong\n").unwrap();
    let args = [
        "add",
        "shipment",
        "--route",
        "boat of pak myong",
        "--sent",
        "2026-04-02",
        "--forbid",
        list.to_str().unwrap(),
    ];
    let out = a.run(&args);
    assert_eq!(out.status.code(), Some(2));
    let msg = stderr(&out);
    assert!(
        msg.contains("route code name contains the string on line 2"),
        "{msg}"
    );
    assert!(
        !msg.to_lowercase().contains("pak myong"),
        "the warning must not echo the name"
    );
    assert_eq!(a.list()["shipments"].as_array().unwrap().len(), 0);
    let mut allowed = args.to_vec();
    allowed.push("--allow-forbidden");
    a.ok(&allowed);
    assert_eq!(a.list()["shipments"].as_array().unwrap().len(), 1);
}

#[test]
fn destroy_asks_then_overwrites_and_removes() {
    let dir = tempfile::tempdir().unwrap();
    let a = Cell::new(dir.path(), "a", "alpha");
    add_some(&a);
    let db = a.db.to_str().unwrap();
    let out = saebaram(&["records", "--db", db, "destroy"], None, Some("no\n"));
    assert_eq!(out.status.code(), Some(1));
    assert!(a.db.exists());
    let out = saebaram(&["records", "--db", db, "destroy"], None, Some("destroy\n"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!a.db.exists());

    let b = Cell::new(dir.path(), "b", "bravo");
    let out = saebaram(
        &[
            "records",
            "--db",
            b.db.to_str().unwrap(),
            "destroy",
            "--yes",
        ],
        None,
        None,
    );
    assert!(out.status.success());
    assert!(!b.db.exists());

    let other = dir.path().join("thesis.txt");
    std::fs::write(&other, "not a database").unwrap();
    let out = saebaram(
        &[
            "records",
            "--db",
            other.to_str().unwrap(),
            "destroy",
            "--yes",
        ],
        None,
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&other).unwrap(), "not a database");
}

/// Runs a small `plan --record` from `site` on the built-in sample into a new cell's
/// database; returns the cell (its temporary folder kept alive) and the run.
fn plan_with_record(site: &str) -> (tempfile::TempDir, Cell, std::process::Output) {
    let dir = tempfile::tempdir().unwrap();
    let a = Cell::new(dir.path(), "a", "alpha");
    let pass_file = dir.path().join("pass.txt");
    std::fs::write(&pass_file, "alpha\n").unwrap();
    let out = saebaram(
        &[
            "plan",
            "--site",
            site,
            "--members",
            "8",
            "--particles",
            "2",
            "--from",
            "2019-06-05T00:00Z",
            "--to",
            "2019-06-05T01:00Z",
            "--every",
            "1h",
            "--seed",
            "3",
            "--json",
            "--record",
            "--records-db",
            a.db.to_str().unwrap(),
            "--passphrase-file",
            pass_file.to_str().unwrap(),
        ],
        None,
        None,
    );
    (dir, a, out)
}

#[test]
fn plan_record_stores_the_recommended_launch_and_it_shows_in_the_report() {
    // Baengnyeong: on the sample, no window there drops a heavy load on a town, so one
    // is recommended (from Paju none is; see the next test).
    let (_dir, a, out) = plan_with_record("baengnyeong");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "plan failed: {}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("recorded launch"), "{}", stderr(&out));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    let list = a.list();
    let launches = list["launches"].as_array().unwrap();
    assert_eq!(launches.len(), 1);
    let launch = &launches[0];
    assert!(launch["time"].as_str().unwrap().starts_with("2019-06-05T0"));
    assert_eq!(launch["site"], "Baengnyeong");
    let p = launch["prediction"]["p_target"].as_f64().unwrap();
    let windows = plan["windows"].as_array().unwrap();
    assert!(
        windows.iter().any(|w| w["p_target"].as_f64() == Some(p)),
        "{p} not in {windows:?}"
    );

    let report: serde_json::Value = serde_json::from_str(&a.ok(&[
        "report",
        "--from",
        "2019-01-01",
        "--to",
        "2019-12-31",
        "--json",
    ]))
    .unwrap();
    assert_eq!(report["totals"][0]["events"], 1);
    assert_eq!(report["months"][0]["month"], "2019-06");
}

#[test]
fn plan_record_with_no_safe_window_records_nothing_and_says_so() {
    // From Paju on the sample every window drops a heavy load on a town: none recommended.
    let (_dir, a, out) = plan_with_record("paju");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("no launch window is safe"), "{table}");
    assert!(
        err.contains("기록하지 않음") && err.contains("nothing recorded"),
        "{err}"
    );
    assert!(a.list()["launches"].as_array().unwrap().is_empty());
}

#[test]
fn flash_record_stores_the_batch_and_it_shows_in_the_report() {
    const MIB: usize = 1 << 20;
    let dir = tempfile::tempdir().unwrap();
    let a = Cell::new(dir.path(), "a", "alpha");
    // An image and a manifest in the format `saebaram pack` writes (version 1).
    let data: Vec<u8> = (0..MIB + 4096)
        .map(|i| ((i * 131 + i / 4096) % 251) as u8 | 1)
        .collect();
    let image = dir.path().join("payload.img");
    std::fs::write(&image, &data).unwrap();
    let manifest = serde_json::json!({
        "version": 1,
        "image": { "size": data.len(), "blake3": blake3::hash(&data).to_hex().to_string() },
        "partition": { "start_bytes": 4096, "size_bytes": data.len() - 4096, "type_code": 12 },
        "filesystem": { "kind": "FAT32", "cluster_size": 4096, "cluster_count": 1,
                        "reserved_sectors": 32, "fat_sectors": 1, "data_start_bytes": 8192,
                        "used_bytes": 0, "free_bytes": 0 },
        "policy": { "volume_serial": "1A2B-3C4D", "disk_signature": "89abcdef", "label": null,
                    "oem_name": "MSWIN4.1", "timestamps": "fixed", "randomness": "test",
                    "entry_order": "test" },
        "files": []
    });
    let manifest_bytes = serde_json::to_vec_pretty(&manifest).unwrap();
    std::fs::write(
        dir.path().join("payload.img.manifest.json"),
        &manifest_bytes,
    )
    .unwrap();
    let drives: Vec<PathBuf> = (0..2)
        .map(|i| dir.path().join(format!("drive{i}.bin")))
        .collect();
    for drive in &drives {
        std::fs::write(drive, vec![0xa5u8; 4 * MIB]).unwrap();
    }
    let mut args = vec!["flash", image.to_str().unwrap()];
    args.extend(drives.iter().map(|d| d.to_str().unwrap()));
    args.extend([
        "--to-files",
        "--json",
        "--record",
        "--records-db",
        a.db.to_str().unwrap(),
    ]);
    let out = saebaram(&args, Some("alpha"), None);
    assert_eq!(out.status.code(), Some(0), "flash failed: {}", stderr(&out));
    assert!(stderr(&out).contains("recorded batch"), "{}", stderr(&out));

    let list = a.list();
    let batch = &list["batches"][0];
    assert_eq!(batch["passed"], 2);
    assert_eq!(batch["written"], 2);
    assert_eq!(batch["rejected_fake"], 0);
    assert_eq!(
        batch["manifest_blake3"],
        blake3::hash(&manifest_bytes).to_hex().to_string()
    );
    let today = a.ok(&["report", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&today).unwrap();
    assert_eq!(report["batch_total"]["passed"], 2);
}

#[test]
fn init_uses_the_real_argon2id_cost_unless_the_test_knob_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("real.db");
    let out = Command::new(BIN)
        .args(["records", "--db", db.to_str().unwrap(), "init"])
        .env_remove("SAEBARAM_RECORDS_KDF")
        .env("SAEBARAM_RECORDS_PASSPHRASE", "real cost")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Argon2id m=64 MiB, t=3, p=1"));
    // The clear header: marker, log2(memory KiB) = 16, passes 3, lanes 1.
    let bytes = std::fs::read(&db).unwrap();
    assert_eq!(&bytes[..4], &[0xEB, 16, 3, 1]);

    let other = dir.path().join("other.db");
    let out = Command::new(BIN)
        .args(["records", "--db", other.to_str().unwrap(), "init"])
        .env("SAEBARAM_RECORDS_KDF", "cheap")
        .env("SAEBARAM_RECORDS_PASSPHRASE", "x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("only accepted value is `test`"));
    assert!(!other.exists());
}
