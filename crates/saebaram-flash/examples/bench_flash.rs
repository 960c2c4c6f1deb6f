//! Four throttled drives at once versus one: `saebaram flash` (the real binary) on
//! emulated USB 2.0 drives (FUSE file + loop device, throttled to 30 MB/s write and
//! 35 MB/s read per drive by a deadline-based bus model in the FUSE server, each drive
//! on its own FUSE threads, as separate USB sticks would be). Aggregate throughput = bytes written and verified on all drives / wall
//! time; the goal is at least 95 % of four times the single-drive throughput, taken as the
//! median of per-round ratios (each round runs one drive, then four). Run it on an idle
//! machine: under load the single drive suffers most and the ratio measures the scheduler.
//!
//! Run as root: `cargo run --release -p saebaram-flash --example bench_flash -- \
//!   --saebaram target/release/saebaram [--runs 3] [--only engine|fuse]` (see bench/flash/run.sh);
//! `--only engine` needs neither root nor the binary. `BENCH_PHASES=1` prints when each
//! in-process drive entered each phase.

#[path = "../tests/support/fuse_fake.rs"]
mod fuse_fake;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use fuse_fake::{Emulated, Loop};
use saebaram_flash::device::Device;
use saebaram_flash::engine::{FlashOptions, ImageSpec, Outcome, Phase, Target, flash_all};
use saebaram_flash::fakes::{FakeDrive, Throttled};
use saebaram_flash::probe::ProbeOptions;

const MIB: u64 = 1 << 20;
const DRIVE: u64 = 128 * MIB;
const IMAGE: usize = 32 << 20;
const WRITE_BPS: u64 = 30_000_000;
const READ_BPS: u64 = 35_000_000;

fn make_image(dir: &Path) -> PathBuf {
    let data: Vec<u8> = (0..IMAGE)
        .map(|i| ((i * 131 + i / 4096) % 251) as u8)
        .collect();
    let path = dir.join("bench.img");
    std::fs::write(&path, &data).expect("write image");
    let manifest = serde_json::json!({
        "version": 1,
        "image": { "size": data.len(), "blake3": blake3::hash(&data).to_hex().to_string() },
        "partition": { "start_bytes": 1048576, "size_bytes": data.len() - 1048576, "type_code": 12 },
        "filesystem": { "kind": "FAT32", "cluster_size": 4096, "cluster_count": 1, "reserved_sectors": 32,
                        "fat_sectors": 1, "data_start_bytes": 8192, "used_bytes": 0, "free_bytes": 0 },
        "policy": { "volume_serial": "0000-0000", "disk_signature": "00000000", "label": null, "oem_name": "MSWIN4.1",
                    "timestamps": "bench", "randomness": "bench", "entry_order": "bench" },
        "files": []
    });
    std::fs::write(
        dir.join("bench.img.manifest.json"),
        serde_json::to_vec(&manifest).expect("json"),
    )
    .expect("manifest");
    path
}

/// Flashes `n` fresh throttled drives at once; returns (seconds, bytes moved).
fn flash(n: usize, saebaram: &Path, image: &Path, scratch: &Path, round: usize) -> (f64, u64) {
    let emus: Vec<Emulated> = (0..n)
        .map(|i| {
            let d = FakeDrive::genuine(DRIVE);
            let dir = scratch.join(format!("r{round}-n{n}-d{i}"));
            Emulated::mount_throttled(&dir, Box::new(d), WRITE_BPS, READ_BPS).expect("FUSE mount")
        })
        .collect();
    let loops: Vec<Loop> = emus.iter().map(|e| Loop::attach(&e.file, &[])).collect();
    let cpu_self = cpu_secs(libc::RUSAGE_SELF);
    let cpu_children = cpu_secs(libc::RUSAGE_CHILDREN);
    let start = Instant::now();
    let out = Command::new(saebaram)
        .arg("flash")
        .arg(image)
        .args(loops.iter().map(|l| &l.dev))
        .arg("--json")
        .output()
        .expect("saebaram runs");
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "  {n} drive(s): CPU {:.2} s in `saebaram flash`, {:.2} s in the emulated drives (FUSE server)",
        cpu_secs(libc::RUSAGE_CHILDREN) - cpu_children,
        cpu_secs(libc::RUSAGE_SELF) - cpu_self
    );
    assert!(
        out.status.success(),
        "flash failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    let moved: u64 = report["drives"]
        .as_array()
        .expect("drives")
        .iter()
        .map(|d| {
            let bytes = |key: &str| {
                d[key]
                    .as_u64()
                    .unwrap_or_else(|| panic!("the flash report has no `{key}` for a drive: {d}"))
            };
            bytes("image_bytes") + bytes("wiped_bytes") + bytes("verified_bytes")
        })
        .sum();
    assert_eq!(
        report["drives"].as_array().map(Vec::len),
        Some(n),
        "the report must name every drive"
    );
    drop(loops);
    drop(emus);
    (secs, moved)
}

/// The engine alone (no FUSE, loop or kernel): `flash_all` on `n` in-process throttled
/// fakes. Shows whether the writers are independent when the CPU is not the limit.
fn flash_in_process(n: usize, image: &[u8]) -> (f64, u64) {
    let source = image.to_vec();
    let spec = ImageSpec {
        size: image.len() as u64,
        data_end: image.len() as u64,
        data_blake3: *blake3::hash(image).as_bytes(),
        partition_end: None,
    };
    let mut drives: Vec<Throttled<FakeDrive>> = (0..n)
        .map(|_| Throttled::new(FakeDrive::genuine(DRIVE), WRITE_BPS, READ_BPS))
        .collect();
    let targets = drives
        .iter_mut()
        .enumerate()
        .map(|(i, d)| Target {
            label: format!("d{i}"),
            serial: None,
            device: d as &mut dyn Device,
        })
        .collect();
    let opts = FlashOptions {
        probe: Some(ProbeOptions::new([9; 32], 9)),
        shrink: false,
    };
    let cpu = cpu_secs(libc::RUSAGE_SELF);
    let start = Instant::now();
    // When each drive entered each phase (seconds since start), for the phase table.
    let phases: std::sync::Mutex<Vec<(usize, Phase, f64)>> = std::sync::Mutex::new(Vec::new());
    let reports = flash_all(&source, &spec, targets, &opts, &|p| {
        if p.done == 0 || p.phase == Phase::Finished {
            let t = start.elapsed().as_secs_f64();
            if let Ok(mut v) = phases.lock() {
                v.push((p.drive, p.phase, t));
            }
        }
    });
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "  {n} drive(s), engine only: CPU {:.2} s",
        cpu_secs(libc::RUSAGE_SELF) - cpu
    );
    if std::env::var_os("BENCH_PHASES").is_some() {
        let v = phases.into_inner().unwrap_or_else(|e| e.into_inner());
        for d in 0..n {
            let line: Vec<String> = v
                .iter()
                .filter(|e| e.0 == d)
                .map(|e| format!("{:?}@{:.3}", e.1, e.2))
                .collect();
            eprintln!("  drive {d}: {}", line.join(" "));
        }
    }
    assert!(
        reports.iter().all(|r| r.outcome == Outcome::Passed),
        "{reports:?}"
    );
    (
        secs,
        reports
            .iter()
            .map(|r| r.image_bytes + r.wiped_bytes + r.verified_bytes)
            .sum(),
    )
}

/// CPU seconds (user + system) used so far by `who` (RUSAGE_SELF or RUSAGE_CHILDREN).
fn cpu_secs(who: libc::c_int) -> f64 {
    // SAFETY: getrusage fills the struct we pass; zeroed is a valid initial value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    let rc = unsafe { libc::getrusage(who, &mut usage) };
    assert_eq!(rc, 0, "getrusage failed");
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// The value after `flag`, if the flag is given; a flag without a value is an error.
fn flag_value<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    let i = args.iter().position(|a| a == flag)?;
    Some(
        args.get(i + 1)
            .unwrap_or_else(|| panic!("{flag} needs a value"))
            .as_str(),
    )
}

/// Per-round ratios of 4 drives against 4x the single drive of the same round (both saw
/// the same machine load), and their median.
fn paired(single: &[f64], quad: &[f64]) -> (f64, Vec<f64>) {
    let ratios: Vec<f64> = single
        .iter()
        .zip(quad)
        .map(|(s, q)| q / (4.0 * s))
        .collect();
    (median(ratios.clone()), ratios)
}

fn list(r: &[f64]) -> String {
    r.iter()
        .map(|x| format!("{x:.3}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Prints the two rows (1 drive, 4 drives) of one path.
fn rows(what: &str, runs: usize, single: Vec<f64>, quad: Vec<f64>) {
    let (ratio, rounds) = paired(&single, &quad);
    let s = median(single);
    let q = median(quad);
    println!(
        "| {what}: 1 drive, write+wipe+verify | {:.1} MB/s | - | - | median of {runs} |",
        s / 1e6
    );
    println!(
        "| {what}: 4 drives at once, aggregate | {:.1} MB/s | {:.1} MB/s (95 % of 4x single) | {ratio:.3} of 4x single (median of paired per-round ratios: {}) | median of {runs} |",
        q / 1e6,
        0.95 * 4.0 * s / 1e6,
        list(&rounds)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let only = flag_value(&args, "--only");
    if let Some(o) = only {
        assert!(
            o == "engine" || o == "fuse",
            "--only {o}: expected `engine` or `fuse`"
        );
    }
    let runs: usize = flag_value(&args, "--runs").map_or(3, |s| {
        s.parse()
            .ok()
            .filter(|&n| n > 0)
            .unwrap_or_else(|| panic!("--runs {s}: not a positive number"))
    });
    let scratch = tempfile::tempdir().expect("scratch");
    let image = make_image(scratch.path());
    println!("| what | ours | target | ratio | runs |");
    println!("|---|---|---|---|---|");
    if only != Some("engine") {
        let saebaram = PathBuf::from(flag_value(&args, "--saebaram").unwrap_or_else(|| {
            panic!("--saebaram PATH is required (the binary to measure), or --only engine")
        }));
        assert!(
            saebaram.is_file(),
            "{}: no such binary (build it first: see bench/flash/run.sh)",
            saebaram.display()
        );
        let mut single = Vec::new();
        let mut quad = Vec::new();
        for round in 0..runs {
            let (s1, b1) = flash(1, &saebaram, &image, scratch.path(), round);
            let (s4, b4) = flash(4, &saebaram, &image, scratch.path(), round);
            eprintln!(
                "round {round}: 1 drive {:.1} MB/s ({s1:.2} s), 4 drives {:.1} MB/s ({s4:.2} s)",
                b1 as f64 / s1 / 1e6,
                b4 as f64 / s4 / 1e6
            );
            single.push(b1 as f64 / s1);
            quad.push(b4 as f64 / s4);
        }
        rows(
            "`saebaram flash` (FUSE + loop, 30 MB/s w, 35 MB/s r)",
            runs,
            single,
            quad,
        );
    }
    if only != Some("fuse") {
        let image_bytes = std::fs::read(&image).expect("image");
        let mut single = Vec::new();
        let mut quad = Vec::new();
        for round in 0..runs {
            let (s1, b1) = flash_in_process(1, &image_bytes);
            let (s4, b4) = flash_in_process(4, &image_bytes);
            eprintln!(
                "in-process round {round}: 1 drive {:.1} MB/s ({s1:.2} s), 4 drives {:.1} MB/s ({s4:.2} s)",
                b1 as f64 / s1 / 1e6,
                b4 as f64 / s4 / 1e6
            );
            single.push(b1 as f64 / s1);
            quad.push(b4 as f64 / s4);
        }
        rows(
            "engine only (flash_all, in-process throttled fakes)",
            runs,
            single,
            quad,
        );
    }
}
