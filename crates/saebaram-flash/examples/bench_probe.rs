//! Probe cost: saebaram's probe against f3probe (Debian `f3`) on the same emulated
//! drives in the same run. Each drive is a fresh in-process fake served over FUSE and
//! attached as a loop device, so both tools see a real block device; bytes written and
//! read are counted by the emulated drive itself, identically for both tools.
//!
//! Run as root: `cargo run --release -p saebaram-flash --example bench_probe -- \
//!   --saebaram target/release/saebaram [--runs 3]` (see bench/flash/run.sh).

#[path = "../tests/support/fuse_fake.rs"]
mod fuse_fake;

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use fuse_fake::{Emulated, Loop};
use saebaram_flash::fakes::{FakeDrive, Mapping};

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

struct Case {
    name: &'static str,
    claimed: u64,
    real: u64,
    mapping: Mapping,
}

struct Run {
    written: u64,
    read: u64,
    seconds: f64,
    verdict: String,
}

fn run_tool(tool: &str, saebaram: &PathBuf, case: &Case, scratch: &std::path::Path) -> Run {
    let drive = FakeDrive::new(case.claimed, case.real, case.mapping);
    let emu = Emulated::mount(
        &scratch.join(format!("{}-{tool}", case.name)),
        Box::new(drive.clone()),
    )
    .expect("FUSE mount (run as root with /dev/fuse)");
    let lo = Loop::attach(&emu.file, &[]);
    let start = Instant::now();
    let out = match tool {
        "f3probe" => Command::new("f3probe")
            .arg("--time-ops")
            .arg(&lo.dev)
            .output(),
        _ => Command::new(saebaram)
            .arg("probe")
            .arg(&lo.dev)
            .arg("--json")
            .output(),
    }
    .expect("tool runs");
    let seconds = start.elapsed().as_secs_f64();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let verdict = if tool == "f3probe" {
        text.lines()
            .find(|l| {
                l.contains("Bad news") || l.contains("Good news") || l.contains("Usable size")
            })
            .map(|l| l.trim().to_string())
            .unwrap_or_else(|| {
                format!(
                    "exit {:?}: {}",
                    out.status.code(),
                    String::from_utf8_lossy(&out.stderr).trim()
                )
            })
            + &text
                .lines()
                .find(|l| l.trim_start().starts_with("*Usable* size"))
                .map(|l| format!(" / {}", l.trim()))
                .unwrap_or_default()
    } else {
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(v) => format!(
                "{} usable {} MiB; verdict after {:.2} MiB written; {} rounds",
                v["kind"].as_str().unwrap_or("?"),
                v["usable_bytes"].as_u64().unwrap_or(0) / MIB,
                v["bytes_written_to_detect"].as_u64().unwrap_or(0) as f64 / MIB as f64,
                v["rounds"]
            ),
            Err(_) => format!(
                "exit {:?}: {}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        }
    };
    let r = Run {
        written: drive.bytes_written(),
        read: drive.bytes_read(),
        seconds,
        verdict,
    };
    drop(lo);
    drop(emu);
    r
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let saebaram = args
        .iter()
        .position(|a| a == "--saebaram")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/release/saebaram"));
    let runs: usize = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let only: Option<&String> = args
        .iter()
        .position(|a| a == "--case")
        .and_then(|i| args.get(i + 1));
    let only_tool: Option<&String> = args
        .iter()
        .position(|a| a == "--tool")
        .and_then(|i| args.get(i + 1));
    let scratch = tempfile::tempdir().expect("scratch dir");
    let cases = [
        Case {
            name: "genuine-2G",
            claimed: 2 * GIB,
            real: 2 * GIB,
            mapping: Mapping::Genuine,
        },
        Case {
            name: "limbo-32G-2G",
            claimed: 32 * GIB,
            real: 2 * GIB,
            mapping: Mapping::Limbo { garbage: false },
        },
        Case {
            name: "wrap-32G-2G",
            claimed: 32 * GIB,
            real: 2 * GIB,
            mapping: Mapping::Wraparound,
        },
        Case {
            name: "chain-32G-2G",
            claimed: 32 * GIB,
            real: 2 * GIB,
            mapping: Mapping::Chain { base: 512 * MIB },
        },
    ];
    println!(
        "| drive (claimed-real) | tool | bytes written (median of {runs}) | bytes read | seconds | verdict |"
    );
    println!("|---|---|---|---|---|---|");
    for case in &cases {
        if only.is_some_and(|o| o != case.name) {
            continue;
        }
        for tool in ["f3probe", "saebaram"] {
            if only_tool.is_some_and(|t| t != tool) {
                continue;
            }
            let results: Vec<Run> = (0..runs)
                .map(|_| run_tool(tool, &saebaram, case, scratch.path()))
                .collect();
            let w = median(results.iter().map(|r| r.written as f64).collect());
            let rd = median(results.iter().map(|r| r.read as f64).collect());
            let s = median(results.iter().map(|r| r.seconds).collect());
            println!(
                "| {} | {tool} | {:.0} ({:.2} MiB) | {:.2} MiB | {s:.2} | {} |",
                case.name,
                w,
                w / MIB as f64,
                rd / MIB as f64,
                results[0].verdict
            );
        }
    }
}
