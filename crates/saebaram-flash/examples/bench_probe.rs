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
    /// Bytes written when the verdict was known (saebaram's first round); `None` for
    /// f3probe, which reports no such figure (its verdict comes at the end of its run).
    to_verdict: Option<u64>,
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
    let mut to_verdict = None;
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
        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!(
                "saebaram probe printed no JSON report ({e}); exit {:?}: {}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).trim()
            )
        });
        let field = |key: &str| {
            v[key]
                .as_u64()
                .unwrap_or_else(|| panic!("the probe report has no `{key}`: {v}"))
        };
        to_verdict = Some(field("bytes_written_to_detect"));
        assert_eq!(
            field("bytes_written"),
            drive.bytes_written(),
            "the report's total must be what the drive counted"
        );
        format!(
            "{} usable {} MiB; {} rounds",
            v["kind"]
                .as_str()
                .unwrap_or_else(|| panic!("the probe report has no `kind`: {v}")),
            field("usable_bytes") / MIB,
            field("rounds")
        )
    };
    let r = Run {
        to_verdict,
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

/// The value after `flag`, if the flag is given; a flag without a value is an error.
fn flag_value<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    let i = args.iter().position(|a| a == flag)?;
    Some(
        args.get(i + 1)
            .unwrap_or_else(|| panic!("{flag} needs a value"))
            .as_str(),
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let saebaram = PathBuf::from(
        flag_value(&args, "--saebaram")
            .unwrap_or_else(|| panic!("--saebaram PATH is required (the binary to measure)")),
    );
    assert!(
        saebaram.is_file(),
        "{}: no such binary (build it first: see bench/flash/run.sh)",
        saebaram.display()
    );
    let runs: usize = flag_value(&args, "--runs").map_or(3, |s| {
        s.parse()
            .ok()
            .filter(|&n| n > 0)
            .unwrap_or_else(|| panic!("--runs {s}: not a positive number"))
    });
    let only = flag_value(&args, "--case");
    let only_tool = flag_value(&args, "--tool");
    if let Some(tool) = only_tool {
        assert!(
            ["f3probe", "saebaram"].contains(&tool),
            "--tool {tool}: use f3probe or saebaram"
        );
    }
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
    if let Some(name) = only {
        assert!(
            cases.iter().any(|c| c.name == name),
            "--case {name}: no such case"
        );
    }
    println!(
        "| drive (claimed-real) | tool | bytes written to the verdict | bytes written in all (median of {runs}) | bytes read | seconds | verdict |"
    );
    println!("|---|---|---|---|---|---|---|");
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
            let to_verdict = if results.iter().all(|r| r.to_verdict.is_some()) {
                let v = median(
                    results
                        .iter()
                        .filter_map(|r| r.to_verdict)
                        .map(|b| b as f64)
                        .collect(),
                );
                format!("{v:.0} ({:.2} MiB)", v / MIB as f64)
            } else {
                "not reported".to_owned()
            };
            println!(
                "| {} | {tool} | {to_verdict} | {:.0} ({:.2} MiB) | {:.2} MiB | {s:.2} | {} |",
                case.name,
                w,
                w / MIB as f64,
                rd / MIB as f64,
                results[0].verdict
            );
        }
    }
}
