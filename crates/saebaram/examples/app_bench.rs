//! `bench/app/run.sh`: the app in headless Chromium, timed. Not a test (no timed tests):
//! prints one JSON object per measurement.
//!
//! 1. First paint and time to interactive of every screen (the page's own
//!    `window.saebaramApp.ready[screen].ms`, plus navigation start to ready), `rounds` loads.
//! 2. Progress updates per second that reach the page during a plan (server-sent events).
//! 3. The same plan through the app and through `saebaram plan --json`, paired rounds: the
//!    app's wall time (click to result in the page) against the CLI's (process start to exit).
//!
//! Usage: `app_bench SAEBARAM_BINARY [ROUNDS]`.

#[path = "../tests/support/webdriver.rs"]
mod webdriver;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use webdriver::Driver;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bin = args
        .get(1)
        .expect("usage: app_bench SAEBARAM_BINARY [ROUNDS]")
        .clone();
    let rounds: usize = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(5);
    let home = tempfile::tempdir().unwrap();
    let env = |c: &mut Command| {
        c.env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_CACHE_HOME", home.path().join("cache"))
            .env_remove("SAEBARAM_CACHE_DIR");
    };
    let mut cmd = Command::new(&bin);
    env(&mut cmd);
    let mut app = cmd
        .args(["app", "--no-browser"])
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
    for screen in ["forecast", "plan", "drives", "records"] {
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
    let (from, to, members) = ("2019-06-05T09:00", "2019-06-05T20:00", "200");
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
        d.js("window.saebaramApp.plan = null;");
        let t0 = Instant::now();
        d.click("#plan-run");
        d.wait_for(
            "window.saebaramApp.plan && window.saebaramApp.plan.rows",
            Duration::from_secs(600),
            "plan done",
        );
        app_s.push(t0.elapsed().as_secs_f64());
        let job = d.js("return window.saebaramApp.plan.job;");
        let u = d.js(&format!(
            "var u = window.saebaramApp.updates['{job}']; return [u.length, u[u.length-1].at - u[0].at];"
        ));
        let (n, span_ms) = (u[0].as_f64().unwrap(), u[1].as_f64().unwrap());
        rates.push((n - 1.0) / (span_ms / 1000.0));
        let mut cli = Command::new(&bin);
        env(&mut cli);
        let t0 = Instant::now();
        let out = cli
            .args([
                "plan",
                "--members",
                members,
                "--seed",
                "3",
                "--from",
                "2019-06-05T00:00Z",
                "--to",
                "2019-06-05T11:00Z",
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
        json!({"measure": "plan", "windows": 12, "members": 200, "rounds": rounds,
               "app_s_median": median(app_s.clone()), "cli_s_median": median(cli_s.clone()),
               "app_over_cli_median_of_paired_ratios": median(ratios),
               "progress_updates_per_s_median": median(rates)})
    );
    let _ = app.kill();
    let _ = app.wait();
}
