//! `bench/app/run.sh`: the app in headless Chromium, timed. Not a test (no timed tests):
//! prints one JSON object per measurement.
//!
//! 1. First paint and time to interactive of every screen (the page's own
//!    `window.saebaramApp.ready[screen].ms`, plus navigation start to ready), `rounds` loads.
//! 2. Progress updates per second that reach the page during a plan (server-sent events).
//! 3. The same plan of two sites (Paju and Ganghwa, 6 hourly windows each, 200 flights per
//!    window) through the app and through `saebaram plan --site paju,ganghwa --json`, paired
//!    rounds: the app's wall time (click to result in the page) against the CLI's (process
//!    start to exit).
//! 4. The same clean and pack of a generated library (PNG images carrying an author) through
//!    the app's Drives screen (`Clean and make the disk image`, click to report in the page)
//!    and through `saebaram clean` then `saebaram pack --fit` (two processes), paired rounds,
//!    each round from scratch (the app alternates two copies of the library, so that it
//!    never reuses its incremental output, and the CLI's round starts once the app has
//!    deleted the previous library's output in the background); progress updates per
//!    second during it.
//! 5. The same flash of the last image to two file targets (offered to the app with its
//!    hidden `--file-drive`, to the CLI with `--to-files`): the Drives screen's write
//!    (confirm click to the summary in the page: probe, write, wipe, verify each target)
//!    against `saebaram flash IMAGE A B --to-files --json` with the app's own image and
//!    manifest, paired rounds; progress updates per second during it.
//!
//! Usage: `app_bench SAEBARAM_BINARY [ROUNDS] [LIBRARY_MB] [TARGET_MB]`.

#[path = "../tests/support/webdriver.rs"]
mod webdriver;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use webdriver::Driver;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A `side` x `side` RGB PNG of noise (deflate stored blocks) with an author in a tEXt chunk.
fn png(side: usize, seed: u64) -> Vec<u8> {
    let mut raw = Vec::with_capacity(side * (side * 3 + 1));
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    for _ in 0..side {
        // Filter type 0 (none), then the row's bytes.
        let row = std::iter::once(0u8).chain((0..side * 3).map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        }));
        raw.extend(row);
    }
    let mut z = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, b) in blocks.iter().enumerate() {
        z.push(u8::from(i + 1 == blocks.len()));
        let len = b.len() as u16;
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(b);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&(side as u32).to_be_bytes());
    ihdr.extend_from_slice(&(side as u32).to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"tEXt", b"Author\0Kim Bench");
    chunk(b"IDAT", &z);
    chunk(b"IEND", &[]);
    out
}

/// A library of about `mb` MB: 512 x 512 noise PNGs (768 kB each) in a few folders.
fn make_library(dir: &Path, mb: usize) -> (usize, u64) {
    let n = (mb * 1_000_000).div_ceil(786_432 + 2_048).max(1);
    let mut bytes = 0;
    for i in 0..n {
        let sub = dir.join(format!("album{:02}", i % 8));
        std::fs::create_dir_all(&sub).unwrap();
        let data = png(512, i as u64 + 1);
        bytes += data.len() as u64;
        std::fs::File::create(sub.join(format!("photo{i:04}.png")))
            .unwrap()
            .write_all(&data)
            .unwrap();
    }
    (n, bytes)
}

/// Writes every dirty page of the machine back before a timed run: `clean` ends with one
/// `syncfs` of its output filesystem, which would otherwise also pay for what the other
/// side of the pair left unwritten (the app keeps its output; the CLI's round deletes its
/// own before writeback), and made the app look up to 1.6x faster than the CLI.
fn settle() {
    let status = Command::new("sync").status().expect("run sync");
    assert!(status.success());
}

/// Whether an earlier library's cleaned folder, moved aside by the app, is still there.
fn old_cleaned_left(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| {
            let p = e.path();
            p.is_dir()
                && (e.file_name().to_string_lossy().starts_with("cleaned.old-")
                    || (e.file_name() != "cleaned" && old_cleaned_left(&p)))
        })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bin = args
        .get(1)
        .expect("usage: app_bench SAEBARAM_BINARY [ROUNDS]")
        .clone();
    let rounds: usize = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(5);
    let library_mb: usize = args.get(3).and_then(|r| r.parse().ok()).unwrap_or(200);
    let target_mb: u64 = args.get(4).and_then(|r| r.parse().ok()).unwrap_or(512);
    let home = tempfile::tempdir().unwrap();
    // Two "drives" for the flash rows: sparse files of TARGET_MB (the image must fit).
    let targets: Vec<std::path::PathBuf> = ["drive-a", "drive-b"]
        .iter()
        .map(|n| home.path().join(n))
        .collect();
    for t in &targets {
        std::fs::File::create(t)
            .unwrap()
            .set_len(target_mb << 20)
            .unwrap();
    }
    let env = |c: &mut Command| {
        c.env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_CACHE_HOME", home.path().join("cache"))
            .env_remove("SAEBARAM_CACHE_DIR");
    };
    let mut cmd = Command::new(&bin);
    env(&mut cmd);
    cmd.args(["app", "--no-browser"]);
    for t in &targets {
        cmd.arg("--file-drive").arg(t);
    }
    let mut app = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start saebaram app");
    let link = BufReader::new(app.stdout.take().unwrap())
        .lines()
        .next()
        .unwrap()
        .unwrap();
    let host = link
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let d = Driver::start();
    d.goto(&link);
    d.wait_for(
        "window.saebaramApp && window.saebaramApp.ready.forecast",
        Duration::from_secs(20),
        "first load",
    );

    // 1. Every screen, loaded fresh.
    for screen in ["forecast", "plan", "convert", "drives", "records"] {
        let mut ready = Vec::new();
        let mut nav = Vec::new();
        let mut paint = Vec::new();
        for _ in 0..rounds {
            d.goto("about:blank");
            d.goto(&format!("http://{host}/#{screen}"));
            d.wait_for(
                &format!("window.saebaramApp && window.saebaramApp.ready['{screen}']"),
                Duration::from_secs(20),
                "screen ready",
            );
            let v = d.js(&format!(
                "var r = window.saebaramApp.ready['{screen}']; var p = performance.getEntriesByName('first-contentful-paint')[0];\
                 return [r.ms, r.at, p ? p.startTime : null];"
            ));
            ready.push(v[0].as_f64().unwrap());
            nav.push(v[1].as_f64().unwrap());
            if let Some(p) = v[2].as_f64() {
                paint.push(p);
            }
        }
        println!(
            "{}",
            json!({"measure": "screen", "screen": screen, "rounds": rounds,
                   "render_ms_median": median(ready), "navigation_to_interactive_ms_median": median(nav),
                   "first_contentful_paint_ms_median": if paint.is_empty() { None } else { Some(median(paint)) }})
        );
    }

    // 2 and 3. The same plan, app and CLI, paired.
    // 2,000 flights per window (the page offers up to 400; the bench adds the option) so
    // that the job, not the page's fixed latencies, is what is timed.
    let (from, to, members) = ("2019-06-05T09:00", "2019-06-05T14:00", "2000");
    let mut app_s = Vec::new();
    let mut cli_s = Vec::new();
    let mut rates = Vec::new();
    for round in 0..rounds {
        d.goto(&format!("http://{host}/#plan"));
        d.wait_for(
            "window.saebaramApp.ready.plan",
            Duration::from_secs(20),
            "plan screen",
        );
        for (id, v) in [
            ("plan-from", from),
            ("plan-to", to),
            ("plan-members", members),
            ("plan-seed", "3"),
        ] {
            d.js(&format!(
                "document.getElementById('{id}').value = {};",
                json!(v)
            ));
        }
        d.js("var m = document.getElementById('plan-members'); var o = document.createElement('option'); o.value = o.textContent = '2000'; m.appendChild(o); m.value = '2000';");
        d.js("var g = document.querySelector('input[name=site][value=ganghwa]'); if (!g.checked) g.click();");
        d.js("window.saebaramApp.plan = null;");
        // Timed inside the page (click to the result table drawn), not by polling it.
        settle();
        d.js("window.benchT0 = performance.now(); document.getElementById('plan-run').click();");
        d.wait_for(
            "window.saebaramApp.plan && window.saebaramApp.plan.rows",
            Duration::from_secs(600),
            "plan done",
        );
        let ms = d.js("return window.saebaramApp.plan.at - window.benchT0;");
        app_s.push(ms.as_f64().unwrap() / 1000.0);
        let job = d.js("return window.saebaramApp.plan.job;");
        let u = d.js(&format!(
            "var u = window.saebaramApp.updates['{job}']; return [u.length, u[u.length-1].at - u[0].at];"
        ));
        let (n, span_ms) = (u[0].as_f64().unwrap(), u[1].as_f64().unwrap());
        rates.push((n - 1.0) / (span_ms / 1000.0));
        let mut cli = Command::new(&bin);
        env(&mut cli);
        settle();
        let t0 = Instant::now();
        let out = cli
            .args([
                "plan",
                "--site",
                "paju,ganghwa",
                "--members",
                members,
                "--seed",
                "3",
                "--from",
                "2019-06-05T00:00Z",
                "--to",
                "2019-06-05T05:00Z",
                "--json",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        cli_s.push(t0.elapsed().as_secs_f64());
        assert!(out.code().is_some_and(|c| c <= 1));
        eprintln!(
            "round {round}: app {:.2} s, cli {:.2} s",
            app_s[round], cli_s[round]
        );
    }
    let ratios: Vec<f64> = app_s.iter().zip(&cli_s).map(|(a, c)| a / c).collect();
    println!(
        "{}",
        json!({"measure": "plan", "sites": "paju,ganghwa", "windows": 12, "members": 2000, "rounds": rounds,
               "app_s_median": median(app_s.clone()), "cli_s_median": median(cli_s.clone()),
               "app_over_cli_median_of_paired_ratios": median(ratios),
               "progress_updates_per_s_median": median(rates)})
    );

    // 4. Clean and pack, app and CLI, paired.
    let libs = [home.path().join("library-a"), home.path().join("library-b")];
    let mut made = (0, 0);
    for lib in &libs {
        made = make_library(lib, library_mb);
    }
    let (mut app_s, mut cli_s, mut rates) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let lib = &libs[round % 2];
        d.goto(&format!("http://{host}/#drives"));
        d.wait_for(
            "window.saebaramApp.ready.drives",
            Duration::from_secs(20),
            "drives screen",
        );
        d.js(&format!(
            "document.getElementById('drives-folder').value = {};",
            json!(lib.display().to_string())
        ));
        d.js("if (window.saebaramApp.drives) window.saebaramApp.drives.prepared = null;");
        settle();
        d.js("window.benchT0 = performance.now(); document.getElementById('drives-prepare').click();");
        d.wait_for(
            "window.saebaramApp.drives && window.saebaramApp.drives.prepared",
            Duration::from_secs(900),
            "prepare done",
        );
        let ms = d.js("return window.saebaramApp.drives.prepared.at - window.benchT0;");
        app_s.push(ms.as_f64().unwrap() / 1000.0);
        let p = d.js("return window.saebaramApp.drives.prepared;");
        assert_eq!(p["image"], true, "the app made no image: {p}");
        let job = &p["job"];
        let u = d.js(&format!(
            "var u = window.saebaramApp.updates['{job}']; return [u.length, u[u.length-1].at - u[0].at];"
        ));
        let (n, span_ms) = (u[0].as_f64().unwrap(), u[1].as_f64().unwrap());
        rates.push((n - 1.0) / (span_ms / 1000.0));
        // The app deletes the previous library's output on a thread of its own: let it end,
        // so that it does not slow the CLI's round.
        let t_wait = Instant::now();
        while old_cleaned_left(&home.path().join("data")) {
            assert!(t_wait.elapsed() < Duration::from_secs(120));
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = tempfile::tempdir_in(home.path()).unwrap();
        let cleaned = out.path().join("cleaned");
        let image = out.path().join("drive.img");
        settle();
        let t0 = Instant::now();
        for args in [
            vec![
                "clean".to_owned(),
                lib.display().to_string(),
                "--out".into(),
                cleaned.display().to_string(),
            ],
            vec![
                "pack".to_owned(),
                cleaned.display().to_string(),
                "--out".into(),
                image.display().to_string(),
                "--fit".into(),
                "--quiet".into(),
            ],
        ] {
            let mut cli = Command::new(&bin);
            env(&mut cli);
            let status = cli
                .args(&args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            assert!(status.success(), "{args:?}");
        }
        cli_s.push(t0.elapsed().as_secs_f64());
        eprintln!(
            "prepare round {round}: app {:.2} s, cli {:.2} s",
            app_s[round], cli_s[round]
        );
    }
    let ratios: Vec<f64> = app_s.iter().zip(&cli_s).map(|(a, c)| a / c).collect();
    println!(
        "{}",
        json!({"measure": "prepare", "files": made.0, "bytes": made.1, "rounds": rounds,
               "app_s_median": median(app_s.clone()), "cli_s_median": median(cli_s.clone()),
               "app_over_cli_median_of_paired_ratios": median(ratios),
               "progress_updates_per_s_median": median(rates)})
    );
    // 5. The same flash, app and CLI, paired (the image of the last prepare round).
    let image = home.path().join("data/saebaram/app/drive.img");
    assert!(image.exists(), "no image at {}", image.display());
    let (mut app_s, mut cli_s, mut rates) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        d.js("document.getElementById('drives-refresh').click();");
        for t in &targets {
            d.wait_for(
                &format!(
                    "document.querySelector('#drives-table input[value=\"{}\"]')",
                    t.display()
                ),
                Duration::from_secs(20),
                "file drive listed",
            );
            d.js(&format!(
                "var c = document.querySelector('#drives-table input[value=\"{}\"]'); if (!c.checked) c.click();",
                t.display()
            ));
        }
        d.js("if (window.saebaramApp.drives) window.saebaramApp.drives.flashed = null;");
        d.js("document.getElementById('drives-write').click();");
        d.wait_for(
            "document.getElementById('drives-confirm-go')",
            Duration::from_secs(10),
            "confirmation",
        );
        settle();
        d.js("window.benchT0 = performance.now(); document.getElementById('drives-confirm-go').click();");
        d.wait_for(
            "window.saebaramApp.drives && window.saebaramApp.drives.flashed",
            Duration::from_secs(900),
            "flash done",
        );
        let f = d.js("return window.saebaramApp.drives.flashed;");
        assert_eq!(f["passed"], 2, "the app's flash did not pass: {f}");
        app_s.push(
            (f["at"].as_f64().unwrap() - d.js("return window.benchT0;").as_f64().unwrap()) / 1000.0,
        );
        let job = &f["job"];
        let u = d.js(&format!(
            "var u = window.saebaramApp.updates['{job}']; return [u.length, u[u.length-1].at - u[0].at];"
        ));
        let (n, span_ms) = (u[0].as_f64().unwrap(), u[1].as_f64().unwrap());
        rates.push((n - 1.0) / (span_ms / 1000.0));
        let mut cli = Command::new(&bin);
        env(&mut cli);
        cli.arg("flash")
            .arg(&image)
            .args(&targets)
            .args(["--to-files", "--json"]);
        settle();
        let t0 = Instant::now();
        let status = cli
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        cli_s.push(t0.elapsed().as_secs_f64());
        assert!(status.success(), "the CLI's flash failed");
        eprintln!(
            "flash round {round}: app {:.2} s, cli {:.2} s",
            app_s[round], cli_s[round]
        );
    }
    let ratios: Vec<f64> = app_s.iter().zip(&cli_s).map(|(a, c)| a / c).collect();
    println!(
        "{}",
        json!({"measure": "flash", "targets": 2, "target_mb": target_mb,
               "image_bytes": std::fs::metadata(&image).map(|m| m.len()).unwrap_or(0), "rounds": rounds,
               "app_s_median": median(app_s.clone()), "cli_s_median": median(cli_s.clone()),
               "app_over_cli_median_of_paired_ratios": median(ratios),
               "progress_updates_per_s_median": median(rates)})
    );
    let _ = app.kill();
    let _ = app.wait();
}
