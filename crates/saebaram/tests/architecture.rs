//! Invariants of the code map in ARCHITECTURE.md that a test can check.

use std::fs;
use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn crate_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(workspace_root().join("crates"))
        .expect("crates/ is readable")
        .map(|entry| entry.expect("crates/ entry").path())
        .filter(|path| path.join("Cargo.toml").exists())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn every_crate_says_what_it_owns_and_what_it_must_not_know() {
    let dirs = crate_dirs();
    assert!(dirs.len() >= 10, "expected the ten crates, found {dirs:?}");
    for dir in dirs {
        let root = ["src/lib.rs", "src/main.rs"]
            .iter()
            .map(|file| dir.join(file))
            .find(|path| path.exists())
            .unwrap_or_else(|| panic!("{} has no lib.rs or main.rs", dir.display()));
        let text = fs::read_to_string(&root).expect("crate root is readable");
        let doc: String = text
            .lines()
            .take_while(|line| line.starts_with("//!") || line.trim().is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            doc.contains("Owns:"),
            "{} does not open with `Owns:`",
            root.display()
        );
        assert!(
            doc.contains("Must not know:"),
            "{} does not open with `Must not know:`",
            root.display()
        );
    }
}

#[test]
fn only_the_forecast_crate_may_use_an_http_client() {
    let http_clients = [
        "ureq",
        "reqwest",
        "hyper",
        "curl",
        "attohttpc",
        "isahc",
        "surf",
    ];
    for dir in crate_dirs() {
        if dir.ends_with("saebaram-forecast") {
            continue;
        }
        let manifest = fs::read_to_string(dir.join("Cargo.toml")).expect("Cargo.toml readable");
        let in_dependencies = manifest
            .split("[dependencies]")
            .nth(1)
            .map(|rest| rest.split("\n[").next().unwrap_or(""))
            .unwrap_or("");
        for client in http_clients {
            let declared = in_dependencies.lines().any(|line| {
                line.trim_start().starts_with(&format!("{client} "))
                    || line.trim_start().starts_with(&format!("{client}="))
            });
            assert!(
                !declared,
                "{} depends on the HTTP client `{client}`",
                dir.display()
            );
        }
    }
}

/// Leaf crates every library may use: they depend on no saebaram crate and know nothing
/// of any concern (ARCHITECTURE.md, "Leaf crates").
const LEAF_CRATES: &[&str] = &["saebaram-atomic"];

#[test]
fn leaf_crates_depend_on_no_saebaram_crate() {
    for leaf in LEAF_CRATES {
        let manifest = fs::read_to_string(
            workspace_root()
                .join("crates")
                .join(leaf)
                .join("Cargo.toml"),
        )
        .expect("leaf Cargo.toml readable");
        let dependencies = manifest
            .split("\n[dependencies]")
            .nth(1)
            .map(|rest| rest.split("\n[").next().unwrap_or(""))
            .unwrap_or("");
        assert!(
            !dependencies
                .lines()
                .any(|line| line.trim_start().starts_with("saebaram")),
            "{leaf} is a leaf crate and must not depend on another saebaram crate"
        );
    }
}

#[test]
fn libraries_depend_on_each_other_only_as_the_code_map_says() {
    // saebaram-terrain (the user's DEM) depends on no other crate: the binary composes it
    // with the forecast's model terrain and the geo map into the flight crate's Surface.
    // saebaram-jobs composes the libraries into the jobs both faces run (the CLI, the app).
    let allowed: &[(&str, &[&str])] = &[
        ("saebaram-flight", &["saebaram-forecast"]),
        ("saebaram-terrain", &[]),
        // One forbidden-strings matcher for both (records must not depend on clean).
        ("saebaram-clean", &["saebaram-forbid"]),
        ("saebaram-records", &["saebaram-forbid"]),
        (
            "saebaram-jobs",
            &[
                "saebaram-forecast",
                "saebaram-flight",
                "saebaram-geo",
                "saebaram-terrain",
                "saebaram-map",
                "saebaram-clean",
                "saebaram-image",
                "saebaram-flash",
                "saebaram-records",
                "saebaram-forbid",
                "saebaram-convert",
                "saebaram-drift",
            ],
        ),
        // The app builds record values for the records job (the CLI does too).
        (
            "saebaram-app",
            &["saebaram-jobs", "saebaram-map", "saebaram-records"],
        ),
    ];
    for dir in crate_dirs() {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if name == "saebaram" {
            continue;
        }
        let manifest = fs::read_to_string(dir.join("Cargo.toml")).expect("Cargo.toml readable");
        let dependencies = manifest
            .split("\n[dependencies]")
            .nth(1)
            .map(|rest| rest.split("\n[").next().unwrap_or(""))
            .unwrap_or("");
        let used: Vec<&str> = dependencies
            .lines()
            .filter_map(|line| line.split(['=', ' ', '.']).next())
            .filter(|dep| dep.starts_with("saebaram-"))
            .collect();
        let permitted = allowed
            .iter()
            .find(|(crate_name, _)| *crate_name == name)
            .map(|(_, deps)| *deps)
            .unwrap_or(&[]);
        for dep in used {
            assert!(
                permitted.contains(&dep) || LEAF_CRATES.contains(&dep),
                "{name} depends on {dep}: update ARCHITECTURE.md's crate edges first"
            );
        }
    }
}

#[test]
fn jobs_read_the_clock_the_environment_and_the_os_generator_only_in_host() {
    // The jobs take time, randomness and directories from the face's `Env`; `host.rs` (the
    // `host` feature, for faces) is the one module that reads them.
    let src = workspace_root().join("crates/saebaram-jobs/src");
    let forbidden = [
        "SystemTime",
        "Instant::now",
        "std::env::var",
        "env::var_os",
        "getrandom",
        "directories::",
        "thread_rng",
        "println!",
        "eprintln!",
    ];
    let mut checked = 0;
    let mut stack = vec![src];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("jobs sources are readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.file_name().is_some_and(|n| n == "host.rs")
                || path.extension().is_none_or(|e| e != "rs")
            {
                continue;
            }
            let text = fs::read_to_string(&path).expect("source is readable");
            // Unit tests may print; the code above them may not.
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            for word in forbidden {
                assert!(
                    !code.contains(word),
                    "{} uses `{word}`: jobs never print, and take the clock, randomness and directories from the face's Env",
                    path.display()
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 5, "only {checked} jobs sources found");
}

/// Sources of a crate's library or binary (not its tests, benches or fuzz targets).
fn source_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.join("src")];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("src entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out
}

/// Only `saebaram-app` listens on a socket, and only where it checked the address is a
/// loopback address (`Server::start`; `tests/app.rs` starts the real binary on 0.0.0.0 and
/// a LAN address and sees both refused).
#[test]
fn only_the_app_listens_and_only_on_loopback() {
    let servers = [
        "axum",
        "tokio",
        "hyper",
        "actix-web",
        "warp",
        "tiny_http",
        "rouille",
    ];
    for dir in crate_dirs() {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if name == "saebaram-app" {
            continue;
        }
        let manifest = fs::read_to_string(dir.join("Cargo.toml")).expect("Cargo.toml readable");
        let dependencies = manifest
            .split("\n[dependencies]")
            .nth(1)
            .map(|rest| rest.split("\n[").next().unwrap_or(""))
            .unwrap_or("");
        for server in servers {
            assert!(
                !dependencies
                    .lines()
                    .any(|l| l.trim_start().starts_with(&format!("{server} "))
                        || l.trim_start().starts_with(&format!("{server}="))),
                "{name} depends on `{server}`: only saebaram-app may serve"
            );
        }
        for file in source_files(&dir) {
            let text = fs::read_to_string(&file).expect("source readable");
            for listener in ["TcpListener", "UdpSocket", "UnixListener"] {
                assert!(
                    !text.contains(listener),
                    "{} uses {listener}: only saebaram-app listens (ARCHITECTURE.md)",
                    file.display()
                );
            }
        }
    }
    let app = workspace_root().join("crates/saebaram-app");
    let mut binds = Vec::new();
    for file in source_files(&app) {
        let text = fs::read_to_string(&file).expect("source readable");
        for (i, line) in text.lines().enumerate() {
            if line.contains("TcpListener::bind") || line.contains("UdpSocket") {
                binds.push((file.clone(), i, text.clone()));
            }
        }
    }
    assert_eq!(
        binds.len(),
        1,
        "saebaram-app binds in one place only: {binds:?}"
    );
    let (file, line, text) = &binds[0];
    let before: Vec<&str> = text.lines().take(*line).collect();
    let check = before
        .iter()
        .rposition(|l| l.contains("is_allowed_listen_address(config.address)"));
    let start = before.iter().rposition(|l| l.contains("pub fn start("));
    assert!(
        matches!((check, start), (Some(c), Some(s)) if c > s),
        "{}: the bind at line {} is not preceded by the loopback check in Server::start",
        file.display(),
        line + 1
    );
}

/// `cargo tree` on the workspace, offline, inverted on `package`; `edges` as `cargo tree -e`.
fn cargo_tree(package: &str, edges: &str) -> String {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = std::process::Command::new(cargo)
        .current_dir(workspace_root())
        .args([
            "tree",
            "--offline",
            "--workspace",
            "--target",
            "all",
            "-e",
            edges,
        ])
        .args(["-i", package])
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree -e {edges} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("cargo tree prints UTF-8")
}

/// Issue 15: `SAEBARAM_RECORDS_KDF=test` works only where `records::Kdf::InsecureTest`
/// exists, i.e. with saebaram-jobs' `insecure-test-kdf` feature. That feature must be on
/// when tests are built (they depend on it) and off in every build without dev-dependencies,
/// which is what `cargo build --release` makes.
#[test]
fn the_insecure_test_kdf_is_only_in_test_builds() {
    let normal = cargo_tree("saebaram-jobs", "features,normal,build");
    assert!(
        normal.contains("saebaram-jobs feature \"host\""),
        "the query does not show saebaram-jobs' features:\n{normal}"
    );
    assert!(
        !normal.contains("insecure-test-kdf"),
        "a release build would have the cheap key derivation:\n{normal}"
    );
    let with_dev = cargo_tree("saebaram-jobs", "features");
    assert!(
        with_dev.contains("saebaram-jobs feature \"insecure-test-kdf\""),
        "test builds lack the cheap key derivation the records tests need:\n{with_dev}"
    );
}

/// Issue 15: the unencrypted store is not API: its feature is on only for the records
/// crate's own benchmark, in no build without dev-dependencies.
#[test]
fn the_unencrypted_store_is_only_in_the_records_benchmark() {
    let normal = cargo_tree("saebaram-records", "features,normal,build");
    assert!(
        normal.contains("saebaram-records feature \"default\""),
        "the query does not show saebaram-records' features:\n{normal}"
    );
    assert!(
        !normal.contains("unencrypted-for-benchmarks"),
        "a build without dev-dependencies would have the unencrypted store:\n{normal}"
    );
}
