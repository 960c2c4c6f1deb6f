//! `saebaram app`: the real binary, its security over raw HTTP, and its page in headless
//! Chromium through chromedriver (`support/webdriver.rs`; needs the Debian packages
//! `chromium` and `chromium-driver`, and fails saying so without them).
//!
//! Screenshots of every screen in both languages are saved under `target/tmp/app-e2e/`.

#[path = "support/webdriver.rs"]
mod webdriver;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use serde_json::Value;
use webdriver::Driver;

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("app-e2e");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ---------- the app as a process ----------

/// `saebaram app --no-browser` with its own home, data and cache directories.
struct App {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    link: String,
    /// `127.0.0.1:PORT`.
    host: String,
    _home: tempfile::TempDir,
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn app_command(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_saebaram"));
    cmd.env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env_remove("SAEBARAM_CACHE_DIR")
        .env_remove("SAEBARAM_RECORDS_PASSPHRASE")
        // New records databases get the cheap test key derivation (the CLI's knob).
        .env("SAEBARAM_RECORDS_KDF", "test")
        .env("LANG", "C.UTF-8");
    cmd
}

impl App {
    fn start() -> App {
        let app = App::start_with(&[]);
        assert!(app.host.starts_with("127.0.0.1:"), "{}", app.link);
        app
    }

    fn start_with(extra: &[&str]) -> App {
        App::start_env(extra, &[])
    }

    /// [`App::start_with`], with these environment variables too.
    fn start_env(extra: &[&str], envs: &[(&str, &str)]) -> App {
        let home = tempfile::tempdir().unwrap();
        let mut child = app_command(home.path())
            .envs(envs.iter().copied())
            .args(["app", "--no-browser"])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start saebaram app");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        // Owned at once, so that a failed assertion below still kills the process.
        let mut app = App {
            child,
            stdin,
            lines,
            link: String::new(),
            host: String::new(),
            _home: home,
        };
        app.link = app
            .lines
            .recv_timeout(Duration::from_secs(30))
            .expect("saebaram app printed its link");
        app.host = app
            .link
            .strip_prefix("http://")
            .and_then(|r| r.split('/').next())
            .unwrap_or_else(|| panic!("not a link: {}", app.link))
            .to_owned();
        app
    }

    /// Presses Enter in the terminal: a new one-time link.
    fn new_link(&mut self) -> String {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
        self.lines
            .recv_timeout(Duration::from_secs(10))
            .expect("a new link after Enter")
    }

    fn token_path(link: &str) -> String {
        format!(
            "/{}",
            link.split_once('/')
                .unwrap()
                .1
                .split_once('/')
                .unwrap()
                .1
                .split_once('/')
                .unwrap()
                .1
        )
    }

    /// Exchanges a new link for a session cookie, over raw HTTP.
    fn session_cookie(&mut self) -> String {
        let link = self.new_link();
        let r = self.raw("GET", &App::token_path(&link), &[], "");
        assert_eq!(r.status, 303, "{r:?}");
        let cookie = r.header("set-cookie").expect("a session cookie");
        cookie.split(';').next().unwrap().to_owned()
    }

    /// A request with our Host and the given extra headers.
    fn raw(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
        let mut all = vec![("Host", self.host.as_str())];
        all.extend_from_slice(headers);
        raw_request(&self.host, method, path, &all, body)
    }
}

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request with exactly these headers (none added), `Connection: close`.
fn raw_request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Reply {
        status,
        headers,
        body: body.to_owned(),
    }
}

// ---------- security over raw HTTP ----------

fn assert_refused(r: &Reply, status: u16, why: &str) {
    assert_eq!(r.status, status, "{r:?}");
    assert_eq!(r.header("x-saebaram-refusal"), Some(why), "{r:?}");
    assert!(
        r.header("content-security-policy")
            .is_some_and(|c| c.contains("default-src 'none'")),
        "{r:?}"
    );
    assert!(!r.body.contains("token="), "{r:?}");
}

#[test]
fn requests_without_the_token_or_session_are_refused() {
    let mut app = App::start();
    for path in [
        "/",
        "/api/session",
        "/api/jobs",
        "/assets/app.js",
        "/?token=",
        "/?token=00",
    ] {
        let r = app.raw("GET", path, &[], "");
        assert_refused(&r, 401, "no_session");
        assert!(
            r.body.contains("터미널") && r.body.contains("terminal"),
            "{r:?}"
        );
    }
    // A made-up cookie is no session.
    let r = app.raw(
        "GET",
        "/api/session",
        &[("Cookie", "saebaram_session=abc")],
        "",
    );
    assert_refused(&r, 401, "no_session");
    // The printed token works once, and only on the page itself.
    let link = app.link.clone();
    let path = App::token_path(&link);
    let api_with_token = path.replacen('/', "/api/session", 1);
    assert_refused(&app.raw("GET", &api_with_token, &[], ""), 401, "no_session");
    let r = app.raw("GET", &path, &[], "");
    assert_eq!(r.status, 303, "{r:?}");
    assert_eq!(r.header("location"), Some("/"));
    let cookie = r.header("set-cookie").unwrap().to_owned();
    for part in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert_refused(&app.raw("GET", &path, &[], ""), 401, "no_session");
    let session = cookie.split(';').next().unwrap();
    let r = app.raw("GET", "/api/session", &[("Cookie", session)], "");
    assert_eq!(r.status, 200, "{r:?}");
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert!(v["jobs"].is_array(), "{v}");
    // Enter in the terminal gives a fresh link, also good once.
    let cookie2 = app.session_cookie();
    assert_ne!(cookie2, session);
    let r = app.raw("GET", "/", &[("Cookie", &cookie2)], "");
    assert_eq!(r.status, 200);
    assert!(r.body.contains("<html lang=\"ko\">"), "{}", r.body);
}

#[test]
fn wrong_host_is_refused_even_with_a_session() {
    let mut app = App::start();
    let cookie = app.session_cookie();
    let port = app.host.rsplit(':').next().unwrap().to_owned();
    for host in [
        format!("evil.example:{port}"),
        format!("localhost:{port}"),
        "127.0.0.1".to_owned(),
        format!("127.0.0.1:{}", port.parse::<u32>().unwrap() + 1),
        format!("127.0.0.1.evil.example:{port}"),
    ] {
        let r = raw_request(
            &app.host,
            "GET",
            "/api/session",
            &[("Host", &host), ("Cookie", &cookie)],
            "",
        );
        assert_refused(&r, 421, "wrong_host");
    }
    // No Host at all (HTTP/1.1 requires it).
    let r = raw_request(&app.host, "GET", "/api/session", &[("Cookie", &cookie)], "");
    assert!(r.status == 421 || r.status == 400, "{r:?}");
    // A token link under a rebinding name is refused too, and the token stays unspent.
    let link = app.new_link();
    let path = App::token_path(&link);
    let r = raw_request(
        &app.host,
        "GET",
        &path,
        &[("Host", &format!("evil.example:{port}"))],
        "",
    );
    assert_refused(&r, 421, "wrong_host");
    assert_eq!(app.raw("GET", &path, &[], "").status, 303);
}

#[test]
fn state_changes_need_our_origin() {
    let mut app = App::start();
    let cookie = app.session_cookie();
    let ours = format!("http://{}", app.host);
    let json = ("Content-Type", "application/json");
    let port = app.host.rsplit(':').next().unwrap().to_owned();
    let cases: Vec<(Option<String>, Option<&str>)> = vec![
        (None, None),
        (Some("http://evil.example".into()), None),
        (Some("null".into()), None),
        (Some(format!("http://localhost:{port}")), None),
        (Some(format!("https://{}", app.host)), None),
        (Some(ours.clone()), Some("cross-site")),
    ];
    for (origin, site) in cases {
        let mut h = vec![("Cookie", cookie.as_str()), json];
        if let Some(o) = &origin {
            h.push(("Origin", o.as_str()));
        }
        if let Some(s) = site {
            h.push(("Sec-Fetch-Site", s));
        }
        let r = app.raw("POST", "/api/jobs/1/cancel", &h, "{}");
        assert_refused(&r, 403, "foreign_origin");
    }
    // Our own origin passes the guard (and there is no job 1).
    let r = app.raw(
        "POST",
        "/api/jobs/1/cancel",
        &[
            ("Cookie", &cookie),
            json,
            ("Origin", &ours),
            ("Sec-Fetch-Site", "same-origin"),
        ],
        "{}",
    );
    assert_eq!(r.status, 404, "{r:?}");
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["error"]["code"], "no_such_job");
}

/// The passphrase never crosses HTTP in the clear: a plain unlock form is refused (and no
/// records file made), one-time keys are fresh P-256 points, and a sealed form that was
/// not made for a key the server holds is refused.
#[test]
fn a_plain_unlock_form_is_refused_and_one_time_keys_are_fresh() {
    let mut app = App::start();
    let cookie = app.session_cookie();
    let ours = format!("http://{}", app.host);
    let post = |path: &str, body: &str| {
        app.raw(
            "POST",
            path,
            &[
                ("Cookie", cookie.as_str()),
                ("Content-Type", "application/json"),
                ("Origin", ours.as_str()),
            ],
            body,
        )
    };
    let r = post(
        "/api/records/unlock",
        r#"{"passphrase": "p q r", "confirm": "p q r", "create": true}"#,
    );
    assert_eq!(r.status, 400, "{r:?}");
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["error"]["code"], "bad_request", "{v}");
    assert!(!r.body.contains("p q r"), "{}", r.body);
    let key = |app: &App| -> Value {
        let r = app.raw(
            "GET",
            "/api/records/key",
            &[("Cookie", cookie.as_str())],
            "",
        );
        assert_eq!(r.status, 200, "{r:?}");
        serde_json::from_str(&r.body).unwrap()
    };
    let (a, b) = (key(&app), key(&app));
    assert_ne!(a["id"], b["id"]);
    assert_ne!(a["public"], b["public"]);
    let public = a["public"].as_str().unwrap();
    assert!(public.len() == 130 && public.starts_with("04"), "{public}");
    // A form for an unknown key: refused, said as such.
    let r = post(
        "/api/records/unlock",
        r#"{"key_id": "00", "public": "04", "iv": "00", "sealed": "00"}"#,
    );
    assert_eq!(r.status, 400, "{r:?}");
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["error"]["code"], "unlock_expired", "{v}");
    let data = app._home.path().join("data");
    let made: Vec<_> = walk(&data)
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "records.db"))
        .collect();
    assert!(made.is_empty(), "{made:?}");
}

/// Every file under `dir` (recursively; none when it does not exist).
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn every_response_forbids_other_origins() {
    let mut app = App::start();
    let cookie = app.session_cookie();
    for path in [
        "/",
        "/assets/app.js",
        "/assets/app.css",
        "/api/session",
        "/no/such/page",
    ] {
        let r = app.raw("GET", path, &[("Cookie", &cookie)], "");
        let csp = r.header("content-security-policy").unwrap_or_default();
        for part in [
            "default-src 'none'",
            "script-src 'self'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(part), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe"), "{path}: {csp}");
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(r.header("referrer-policy"), Some("no-referrer"), "{path}");
    }
}

#[test]
fn refuses_to_listen_on_a_non_loopback_address() {
    for address in ["0.0.0.0", "::", "192.168.1.20", "10.0.0.1"] {
        let home = tempfile::tempdir().unwrap();
        let out = app_command(home.path())
            .args(["app", "--no-browser", "--address", address])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{address}: {out:?}");
        assert!(out.stdout.is_empty(), "{address}: printed a link");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("refusing to listen") && err.contains("loopback"),
            "{address}: {err}"
        );
    }
    // ::1 is loopback: it starts (and is stopped by the drop).
    let app = App::start_with(&["--address", "::1"]);
    assert!(app.link.starts_with("http://[::1]:"), "{}", app.link);
}

#[test]
fn a_port_in_use_is_a_clear_error() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let home = tempfile::tempdir().unwrap();
    let out = app_command(home.path())
        .args(["app", "--no-browser", "--port", &port])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{err}"
    );
}

// ---------- the page in Chromium ----------

/// Opens the app's link in a browser and waits for the first screen.
fn open(d: &Driver, link: &str) {
    d.log("browser");
    d.goto(link);
    d.wait_for(
        "window.saebaramApp && window.saebaramApp.firstPaintMs",
        Duration::from_secs(20),
        "the app never painted",
    );
}

fn screen_ready(d: &Driver, screen: &str) -> f64 {
    d.wait_for(
        &format!("window.saebaramApp.ready['{screen}'] && window.saebaramApp.ready['{screen}'].ms + 0.0001"),
        Duration::from_secs(30),
        &format!("screen {screen} never became interactive"),
    )
    .as_f64()
    .unwrap()
}

/// No console error, and every request the page made went to the app itself.
fn assert_local_and_clean(d: &Driver, host: &str) {
    let console = d.log("browser");
    let errors: Vec<_> = console.iter().filter(|e| e["level"] == "SEVERE").collect();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    let resources = d.js("return performance.getEntriesByType('resource').map(e => e.name);");
    for r in resources.as_array().unwrap() {
        let r = r.as_str().unwrap();
        assert!(
            r.starts_with(&format!("http://{host}/")),
            "the page loaded {r}"
        );
    }
}

#[test]
fn the_page_opens_in_korean_without_the_token_and_switches_to_english() {
    let app = App::start();
    let d = Driver::start();
    open(&d, &app.link);
    let url = d.url();
    assert_eq!(
        url,
        format!("http://{}/", app.host),
        "the token stayed in the address bar"
    );
    assert_eq!(d.js("return location.search;"), "");
    assert_eq!(
        d.js("return document.cookie;"),
        "",
        "the session cookie is readable by script"
    );
    assert_eq!(d.js("return document.documentElement.lang;"), "ko");
    let nav = d.js("return document.querySelector('nav').textContent;");
    for word in ["바람 예보", "띄우기 계획", "USB에 쓰기", "활동 기록"] {
        assert!(nav.as_str().unwrap().contains(word), "{nav}");
    }
    // Reloading keeps the session; the spent link does not open another browser.
    d.goto(&format!("http://{}/", app.host));
    screen_ready(&d, "forecast");
    let other = Driver::start();
    other.goto(&app.link);
    let body = other.js("return document.body.textContent;");
    assert!(body.as_str().unwrap().contains("한 번만"), "{body}");
    // Every screen, in both languages, by keyboard too.
    for lang in ["ko", "en"] {
        for screen in ["forecast", "plan", "convert", "drives", "records"] {
            d.goto(&format!("http://{}/#{screen}", app.host));
            screen_ready(&d, screen);
            assert_eq!(d.js("return document.documentElement.lang;"), lang);
            d.screenshot_to(&artifacts().join(format!("{screen}-{lang}.png")));
        }
        if lang == "ko" {
            d.click("button.lang");
            d.wait_for(
                "document.documentElement.lang === 'en'",
                Duration::from_secs(5),
                "switch to English",
            );
            let nav = d.js("return document.querySelector('nav').textContent;");
            assert!(nav.as_str().unwrap().contains("Launch plan"), "{nav}");
        }
    }
    assert_local_and_clean(&d, &app.host);
}

// ---------- the Plan screen against `saebaram plan --json` ----------

fn cli_json(home: &Path, args: &[&str]) -> Value {
    let out = app_command(home).args(args).output().unwrap();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("--json output")
}

/// Fetches a JSON document from inside the page (with its session).
fn page_fetch(d: &Driver, path: &str) -> Value {
    d.js_async(&format!(
        "var done = arguments[0]; fetch('{path}', {{credentials: 'same-origin'}}).then(r => r.json()).then(done, e => done({{fetchError: String(e)}}));"
    ))
}

/// Where two JSON values first differ (a path like `windows[3].p_north: 0.2 / 0.3`).
fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                let p = format!("{path}.{k}");
                match (x.get(k), y.get(k)) {
                    (Some(u), Some(v)) => {
                        if let Some(d) = first_difference(u, v, &p) {
                            return Some(d);
                        }
                    }
                    (u, v) => return Some(format!("{p}: {u:?} / {v:?}")),
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (u, v))| first_difference(u, v, &format!("{path}[{i}]"))),
        _ if a == b => None,
        // The browser's JSON has no 500.0, only 500.
        (Value::Number(x), Value::Number(y)) if x.as_f64() == y.as_f64() => None,
        _ => Some(format!("{path}: {a} / {b}")),
    }
}

fn set_value(d: &Driver, id: &str, value: &str) {
    d.js(&format!(
        "var e = document.getElementById('{id}'); e.value = {}; e.dispatchEvent(new Event('change'));",
        Value::from(value)
    ));
}

fn pct_text(p: f64) -> String {
    let v = p * 100.0;
    if v > 0.0 && v < 1.0 {
        format!("{v:.1}%")
    } else {
        format!("{}%", v.round())
    }
}

#[test]
fn a_plan_from_the_plan_screen_matches_the_cli_table_and_map() {
    let app = App::start();
    let d = Driver::start();
    open(&d, &app.link);
    d.goto(&format!("http://{}/#plan", app.host));
    screen_ready(&d, "plan");
    // The built-in sample: the warning is on the Plan screen too.
    let warn = d.js("return document.querySelector('.notice-warning').textContent;");
    assert!(warn.as_str().unwrap().contains("내장 예시 예보"), "{warn}");
    d.screenshot_to(&artifacts().join("plan-form-ko.png"));
    set_value(&d, "plan-from", "2019-06-05T09:00");
    set_value(&d, "plan-to", "2019-06-05T14:00");
    set_value(&d, "plan-members", "50");
    set_value(&d, "plan-seed", "7");
    // Two sites: one plan whose windows are ranked together (`plan --site paju,ganghwa`).
    d.click("input[name=site][value=ganghwa]");
    d.click("#plan-run");
    d.wait_for(
        "window.saebaramApp.plan && window.saebaramApp.plan.rows",
        Duration::from_secs(300),
        "the plan never finished",
    );
    let job = d.js("return window.saebaramApp.plan.job;");
    let report = page_fetch(&d, &format!("/api/jobs/{job}/result"));
    let cli = cli_json(
        app._home.path(),
        &[
            "plan",
            "--site",
            "paju,ganghwa",
            "--members",
            "50",
            "--seed",
            "7",
            "--from",
            "2019-06-05T00:00Z",
            "--to",
            "2019-06-05T05:00Z",
            "--json",
        ],
    );
    if let Some(at) = first_difference(&report, &cli, "") {
        panic!("the app's plan differs from `saebaram plan --json` at {at}");
    }
    // The table: one row per window of both sites, best first, the CLI's probabilities.
    let windows = cli["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 12);
    let sites: std::collections::BTreeSet<&str> = windows
        .iter()
        .map(|w| w["site"].as_str().unwrap())
        .collect();
    assert_eq!(sites, ["Ganghwa", "Paju"].into_iter().collect());
    let rows = d.js(
        "return Array.from(document.querySelectorAll('#plan-table tbody tr')).map(r => \
         [Number(r.dataset.window), r.querySelector('.p-target').textContent, r.querySelector('.p-north').textContent, r.querySelector('.site').textContent]);",
    );
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), windows.len());
    let mut by_rank: Vec<&Value> = windows.iter().collect();
    by_rank.sort_by_key(|w| w["rank"].as_u64());
    for (row, w) in rows.iter().zip(&by_rank) {
        let i = row[0].as_u64().unwrap() as usize;
        assert_eq!(&windows[i], *w, "row order differs from the CLI's ranks");
        assert_eq!(row[1], pct_text(w["p_target"].as_f64().unwrap()));
        assert_eq!(row[2], pct_text(w["p_north"].as_f64().unwrap()));
        let korean = if w["site"] == "Paju" {
            "파주"
        } else {
            "강화"
        };
        assert_eq!(row[3], korean);
    }
    // The best window (or, with none recommended, the first ranked) is chosen at first.
    let first_ranked = rows[0][0].as_u64().unwrap();
    assert_eq!(
        d.js("return window.saebaramApp.plan.chosen;"),
        cli["best"].as_u64().unwrap_or(first_ranked)
    );
    // The map in its frame: the same windows and the chosen window's landings.
    let best = cli["best"].as_u64().unwrap_or(first_ranked) as usize;
    // Chromium pauses animation frames in a cross-origin frame out of view (the sandbox
    // makes the map's origin opaque): show it, as a person scrolling down would.
    d.js("document.getElementById('plan-mapframe').scrollIntoView();");
    d.frame(Some("#plan-mapframe"));
    d.wait_for(
        "window.saebaramMap && window.saebaramMap.readyMs",
        Duration::from_secs(30),
        "the map in the frame never became ready",
    );
    let c = d.js("return window.saebaramMap.counts();");
    assert_eq!(c["bars"], windows.len(), "{c}");
    assert_eq!(c["selected"], best, "{c}");
    assert_eq!(
        c["landings"],
        windows[best]["landings"].as_array().unwrap().len(),
        "{c}"
    );
    assert_eq!(d.js("return document.documentElement.lang;"), "ko");
    d.frame(None);
    // Choosing another launch time in the table shows it on the map.
    let second = rows[1][0].as_u64().unwrap();
    d.click("#plan-table tbody tr:nth-child(2) input[name=plan-pick]");
    d.js("document.getElementById('plan-mapframe').scrollIntoView();");
    d.frame(Some("#plan-mapframe"));
    d.wait_for(
        &format!("window.saebaramMap.counts().selected === {second}"),
        Duration::from_secs(10),
        "the map does not show the launch time chosen in the table",
    );
    d.frame(None);
    d.js("document.getElementById('plan-map').scrollIntoView();");
    d.screenshot_to(&artifacts().join("plan-map-ko.png"));
    d.js("document.getElementById('plan-table').scrollIntoView();");
    d.screenshot_to(&artifacts().join("plan-result-ko.png"));
    // The saved map is the same page, as an attachment.
    let save = d.js("return document.getElementById('plan-save').getAttribute('href');");
    let r = app.raw(
        "GET",
        save.as_str().unwrap(),
        &[("Cookie", "saebaram_session=none")],
        "",
    );
    assert_eq!(r.status, 401, "the map needs the session too");
    assert_local_and_clean(&d, &app.host);
}

#[test]
fn a_file_that_is_not_a_forecast_is_refused_in_the_page_and_the_app_goes_on() {
    let app = App::start();
    let d = Driver::start();
    open(&d, &app.link);
    screen_ready(&d, "forecast");
    let bad = app._home.path().join("not-a-forecast.grib2");
    std::fs::write(&bad, b"GRIB but not really, just some text").unwrap();
    d.type_into("#forecast-file", bad.to_str().unwrap());
    d.click("#forecast-import");
    let text = d.wait_for(
        "document.querySelector('.notice-error') && document.querySelector('.notice-error').textContent",
        Duration::from_secs(30),
        "no error shown for a bad forecast file",
    );
    assert!(
        text.as_str()
            .unwrap()
            .contains("바람 예보 파일을 읽을 수 없습니다"),
        "{text}"
    );
    d.screenshot_to(&artifacts().join("forecast-bad-file-ko.png"));
    // Still the sample, and the server still answers.
    let f = page_fetch(&d, "/api/forecast");
    assert_eq!(f["embedded_sample"], true, "{f}");
    let imported = app._home.path().join("cache/saebaram/forecasts/imported");
    let left: Vec<_> = std::fs::read_dir(&imported)
        .map(|r| r.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "a refused file was kept: {left:?}");
}

/// The GFS run of the repository's test data (2011-10-08 00 UTC, +72 h).
fn test_gfs() -> PathBuf {
    // Canonical: the browser's file input takes no `..`.
    std::fs::canonicalize(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/wind/ncep_gfs_2p5deg_20111008T00Z_f072.grib2"
    ))
    .expect("the test GFS file")
}

#[test]
fn the_forecast_screen_lists_saved_forecasts_switches_them_and_fails_plainly_offline() {
    // Offline: every forecast server is a closed port on this machine, as on an air-gapped
    // laptop whose network is gone (a refused connection, not a hang).
    let dead = "http://127.0.0.1:9";
    let app = App::start_env(
        &[],
        &[
            ("SAEBARAM_GFS_FILTER", ""),
            ("SAEBARAM_GFS_MIRRORS", dead),
            ("SAEBARAM_GEFS_MIRRORS", dead),
            ("SAEBARAM_ECMWF_ROOTS", dead),
        ],
    );
    let home = app._home.path();
    // A run put in the cache by the CLI, and a file brought in through the page.
    let gfs = test_gfs();
    let cached = cli_json(
        home,
        &["forecast", "import", gfs.to_str().unwrap(), "--json"],
    );
    let cache_file = cached["cache_file"]
        .as_str()
        .expect("cache_file")
        .to_owned();
    let d = Driver::start();
    open(&d, &app.link);
    screen_ready(&d, "forecast");
    d.type_into("#forecast-file", gfs.to_str().unwrap());
    d.click("#forecast-import");
    d.wait_for(
        "document.querySelector('.notice-ok') && document.querySelectorAll('#forecast-saved tbody tr').length === 3",
        Duration::from_secs(30),
        "the imported file never joined the saved list",
    );
    let rows = text_of(&d, "#forecast-saved tbody");
    assert!(rows.contains("새바람에 들어 있는 예시"), "{rows}");
    assert!(rows.contains("2011100800"), "{rows}");
    assert!(
        rows.contains("불러온 예보 파일 ncep_gfs_2p5deg_20111008T00Z_f072.grib2"),
        "{rows}"
    );
    // The page's list is the cache's: the run the CLI made, by its path.
    let saved = page_fetch(&d, "/api/forecast/saved");
    assert_eq!(saved["runs"][0]["name"], cache_file.as_str(), "{saved}");
    assert_eq!(saved["runs"].as_array().unwrap().len(), 1, "{saved}");
    // The imported file is in use; choose the built-in sample, then the cached run.
    assert!(
        saved["in_use"].as_str().unwrap().ends_with(".grib2"),
        "{saved}"
    );
    d.click("#forecast-saved tbody tr:nth-child(1) button.use-forecast");
    d.wait_for(
        "document.querySelector('#forecast-saved tbody tr:nth-child(1) .in-use') !== null",
        Duration::from_secs(20),
        "the sample was not chosen",
    );
    assert_eq!(page_fetch(&d, "/api/forecast")["embedded_sample"], true);
    assert!(text_of(&d, ".notice.loud").contains("내장 예시 예보"));
    d.click("#forecast-saved tbody tr:nth-child(2) button.use-forecast");
    d.wait_for(
        "document.querySelector('#forecast-saved tbody tr:nth-child(2) .in-use') !== null",
        Duration::from_secs(20),
        "the cached run was not chosen",
    );
    let f = page_fetch(&d, "/api/forecast");
    assert_eq!(f["embedded_sample"], false, "{f}");
    assert_eq!(f["name"], cache_file.as_str(), "{f}");
    assert_eq!(f["run_unix_s"], 1_318_032_000, "{f}");
    d.js("document.querySelector('#forecast-saved').scrollIntoView();");
    d.screenshot_to(&artifacts().join("forecast-saved-ko.png"));
    // Fetching with no network: a plain message in Korean, soon, the choice unchanged and
    // nothing new in the cache.
    let before: Vec<_> = walk(&home.join("cache/saebaram/forecasts"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "swc"))
        .collect();
    d.click("#forecast-fetch");
    let text = d.wait_for(
        "document.querySelector('#forecast-fetch-box .notice-error') && document.querySelector('#forecast-fetch-box .notice-error').textContent",
        Duration::from_secs(60),
        "no message for a fetch with no network",
    );
    assert!(
        text.as_str()
            .unwrap()
            .contains("이 컴퓨터가 인터넷에 연결되어 있지 않거나"),
        "{text}"
    );
    assert!(
        text_of(&d, "#forecast-fetch-box .progress-label").contains("예보를 받지 못했습니다"),
        "the panel still says it is downloading"
    );
    d.screenshot_to(&artifacts().join("forecast-fetch-offline-ko.png"));
    let f = page_fetch(&d, "/api/forecast");
    assert_eq!(f["name"], cache_file.as_str(), "{f}");
    let after: Vec<_> = walk(&home.join("cache/saebaram/forecasts"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "swc"))
        .collect();
    assert_eq!(before, after, "a failed fetch changed the cache");
    // In English too.
    d.click("button.lang");
    d.wait_for(
        "document.documentElement.lang === 'en' && document.querySelector('#forecast-saved tbody')",
        Duration::from_secs(10),
        "switch to English",
    );
    assert!(text_of(&d, "#forecast-saved").contains("Saved forecasts"));
    d.js("document.querySelector('#forecast-saved').scrollIntoView();");
    d.screenshot_to(&artifacts().join("forecast-saved-en.png"));
    assert_local_and_clean(&d, &app.host);
    // A request the page would never send is refused with the field named (after the
    // console check: the browser logs the 400).
    let bad = d.js_async(
        "var done = arguments[0]; fetch('/api/forecast/fetch', {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({model: 'gfs', hours: 100000})}).then(r => r.json().then(j => done([r.status, j])));",
    );
    assert_eq!(bad[0], 400, "{bad}");
    assert_eq!(bad[1]["error"]["params"]["field"], "hours", "{bad}");
}

#[test]
fn two_tabs_starting_a_plan_share_one_job_and_closing_a_tab_does_not_stop_it() {
    let app = App::start();
    let d = Driver::start();
    open(&d, &app.link);
    d.goto(&format!("http://{}/#plan", app.host));
    screen_ready(&d, "plan");
    set_value(&d, "plan-members", "400");
    d.click("#plan-run");
    d.wait_for(
        "document.querySelector('#plan-job progress')",
        Duration::from_secs(10),
        "no progress bar",
    );
    let first = d.wait_for(
        "Object.keys(window.saebaramApp.updates)[0]",
        Duration::from_secs(10),
        "no job followed",
    );
    // Another tab starts the same job: it is told so and follows the running one.
    let tab_a = d.window_handle();
    let tab_b = d.new_window();
    d.switch_window(&tab_b);
    d.goto(&format!("http://{}/#plan", app.host));
    screen_ready(&d, "plan");
    d.click("#plan-run");
    d.wait_for(
        "Array.from(document.querySelectorAll('#plan-job .notice')).map(n => n.textContent).join(' ').includes('이미 다른 창에서')",
        Duration::from_secs(10),
        "no `already running` message in the second tab",
    );
    d.screenshot_to(&artifacts().join("plan-two-tabs-ko.png"));
    // Close the first tab: the job runs on.
    d.switch_window(&tab_a);
    d.close_window();
    d.switch_window(&tab_b);
    let snap = page_fetch(&d, &format!("/api/jobs/{}", first.as_str().unwrap()));
    assert_eq!(snap["state"], "running", "{snap}");
    // A fresh tab shows it; stop it from there.
    let tab_c = d.new_window();
    d.switch_window(&tab_c);
    d.goto(&format!("http://{}/#plan", app.host));
    screen_ready(&d, "plan");
    d.wait_for(
        "document.querySelector('#plan-job progress')",
        Duration::from_secs(10),
        "a reopened tab does not show the running plan",
    );
    d.click("#plan-job button.secondary");
    d.wait_for(
        "Array.from(document.querySelectorAll('#plan-job .notice')).map(n => n.textContent).join(' ').includes('작업을 중지했습니다')",
        Duration::from_secs(120),
        "the stop was never confirmed in the page",
    );
    let snap = page_fetch(&d, &format!("/api/jobs/{}", first.as_str().unwrap()));
    assert_eq!(snap["state"], "cancelled", "{snap}");
}

// ---------- the Drives screen: library -> clean report -> drives -> flash ----------

#[path = "../../saebaram-flash/tests/support/fuse_fake.rs"]
mod fuse_fake;

const MIB: u64 = 1 << 20;

/// A fake sysfs/udev/mountinfo tree: the system disk `vda` (holding `/`) and a USB stick
/// `sdb` that is mounted. Neither may be chosen.
fn fake_system(root: &Path) -> Vec<String> {
    use std::fs;
    let disk = |name: &str, devnum: &str, bytes: u64, removable: bool, model: &str| {
        let dir = root.join("sys/block").join(name);
        fs::create_dir_all(dir.join("device")).unwrap();
        fs::write(dir.join("dev"), format!("{devnum}\n")).unwrap();
        fs::write(dir.join("size"), format!("{}\n", bytes / 512)).unwrap();
        fs::write(dir.join("removable"), if removable { "1\n" } else { "0\n" }).unwrap();
        fs::write(dir.join("ro"), "0\n").unwrap();
        fs::write(dir.join("device/vendor"), "Test\n").unwrap();
        fs::write(dir.join("device/model"), format!("{model}\n")).unwrap();
    };
    fs::create_dir_all(root.join("udev")).unwrap();
    disk("vda", "254:0", 64 << 30, false, "Disk");
    disk("sdb", "8:16", 32_000_000_000, true, "Stick");
    fs::write(
        root.join("udev/b8:16"),
        "E:ID_BUS=usb\nE:ID_SERIAL_SHORT=AA11\n",
    )
    .unwrap();
    fs::write(
        root.join("mountinfo"),
        "30 1 254:0 / / rw - ext4 /dev/vda rw\n31 1 8:16 / /media/stick rw - vfat /dev/sdb rw\n",
    )
    .unwrap();
    fs::write(root.join("swaps"), "Filename Type Size Used Priority\n").unwrap();
    let arg = |flag: &str, p: &str| [flag.to_owned(), root.join(p).display().to_string()];
    [
        arg("--sysfs-root", "sys"),
        arg("--udev-root", "udev"),
        arg("--mountinfo", "mountinfo"),
        arg("--swaps", "swaps"),
    ]
    .concat()
}

/// A 1x1 grey PNG carrying an author and a comment in tEXt chunks (the cleaner removes them).
fn png_with_author() -> Vec<u8> {
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
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    };
    chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
    chunk(b"tEXt", b"Author\0Kim Cheolsu");
    chunk(b"tEXt", b"Comment\0Made at the Seoul office");
    // zlib stored block of the one row: filter 0, pixel 0x80.
    chunk(
        b"IDAT",
        &[
            0x78, 0x01, 0x01, 0x02, 0x00, 0xfd, 0xff, 0x00, 0x80, 0x00, 0x83, 0x00, 0x81,
        ],
    );
    chunk(b"IEND", &[]);
    out
}

fn states_text(d: &Driver, table: &str) -> String {
    d.js(&format!(
        "return Array.from(document.querySelectorAll('{table} tbody tr')).map(r => r.textContent).join(' | ');"
    ))
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

/// The issue's Drives flow: a library folder is cleaned (its report in words) and packed;
/// the system disk and a mounted stick are listed but cannot be chosen; two file targets
/// are confirmed and written at once: an emulated 4 GB fake with 64 MiB of real flash is
/// rejected with its real size, one pulled out while written fails and says so, a genuine
/// one passes (with its speeds); the progress streams at least twice
/// a second; a second tab is refused and shown the running flash; a reopened tab shows the
/// result. Bad folders (missing, uncleanable) give a clear message and the app goes on.
#[test]
fn the_drives_screen_cleans_packs_and_writes_two_drives_rejecting_a_fake() {
    use saebaram_flash::fakes::{FakeDrive, Fault, Faulty, Mapping};
    assert!(
        Path::new("/dev/fuse").exists(),
        "FUSE UNAVAILABLE: /dev/fuse is missing; this test cannot run (it does not pass silently)"
    );
    let dir = tempfile::tempdir().unwrap();
    // The drives: a genuine 48 MiB one at USB 2.0-like speeds (so the flash lasts long
    // enough to watch), and a fake claiming 4 GB with 64 MiB of real flash.
    let good = fuse_fake::Emulated::mount_throttled(
        &dir.path().join("good"),
        Box::new(FakeDrive::genuine(48 * MIB)),
        12_000_000,
        20_000_000,
    )
    .unwrap();
    let fake = fuse_fake::Emulated::mount(
        &dir.path().join("fake"),
        Box::new(FakeDrive::new(4 << 30, 64 * MIB, Mapping::Wraparound)),
    )
    .unwrap();
    // A third drive is pulled out while it is written (it vanishes at its 20th MiB).
    let pulled = fuse_fake::Emulated::mount(
        &dir.path().join("pulled"),
        Box::new(Faulty::new(
            FakeDrive::genuine(48 * MIB),
            Fault::VanishAt(20 * MIB),
        )),
    )
    .unwrap();
    let mut args = fake_system(&dir.path().join("sys"));
    for f in [&good.file, &fake.file, &pulled.file] {
        args.push("--file-drive".into());
        args.push(f.display().to_string());
    }
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let app = App::start_with(&arg_refs);
    let d = Driver::start();
    open(&d, &app.link);
    d.goto(&format!("http://{}/#drives", app.host));
    let ready_ms = screen_ready(&d, "drives");
    assert!(ready_ms < 1000.0, "the Drives screen took {ready_ms} ms");
    d.screenshot_to(&artifacts().join("drives-empty-ko.png"));

    // The system disk and the mounted stick are listed, never selectable; the files are.
    let rows = states_text(&d, "#drives-table");
    assert!(
        rows.contains("시스템 디스크") && rows.contains("열려 있는 드라이브"),
        "{rows}"
    );
    let disabled = d.js("return Array.from(document.querySelectorAll('#drives-table input[name=drive]')).map(c => [c.value, c.disabled]).sort();");
    let mut expected = vec![
        serde_json::json!(["/dev/sdb", true]),
        serde_json::json!(["/dev/vda", true]),
        serde_json::json!([good.file.display().to_string(), false]),
        serde_json::json!([fake.file.display().to_string(), false]),
        serde_json::json!([pulled.file.display().to_string(), false]),
    ];
    expected.sort_by_key(|v| v[0].as_str().unwrap().to_owned());
    assert_eq!(disabled, Value::Array(expected), "{rows}");

    // A folder that does not exist: a clear message, and the app goes on.
    d.type_into("#drives-folder", "/nonexistent/library");
    d.click("#drives-prepare");
    let text = d.wait_for(
        "document.querySelector('#drives-prepare-job .notice-error') && document.querySelector('#drives-prepare-job .notice-error').textContent",
        Duration::from_secs(30),
        "no message for a missing library",
    );
    assert!(
        text.as_str()
            .unwrap()
            .contains("자료 폴더를 찾을 수 없습니다: /nonexistent/library"),
        "{text}"
    );

    // A library that cannot be cleaned: the report names the file and why; no image.
    let bad = dir.path().join("bad-library");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("readme.txt"), "새바람\n").unwrap();
    std::fs::write(bad.join("mystery.bin"), [0u8, 159, 146, 150, 7, 1, 255]).unwrap();
    set_value(&d, "drives-folder", bad.to_str().unwrap());
    d.click("#drives-prepare");
    d.wait_for(
        "window.saebaramApp.drives && window.saebaramApp.drives.prepared && document.querySelector('#drives-blocked')",
        Duration::from_secs(60),
        "no clean report for the uncleanable library",
    );
    let blocked = states_text(&d, "#drives-blocked");
    assert!(
        blocked.contains("mystery.bin") && blocked.contains("새바람이 모르는 파일 형식"),
        "{blocked}"
    );
    assert_eq!(
        d.js("return window.saebaramApp.drives.prepared.image;"),
        false
    );
    d.screenshot_to(&artifacts().join("drives-blocked-ko.png"));
    // Writing with no drive chosen, or without an image, is refused in words.
    d.click("#drives-write");
    let text = d.js("return document.querySelector('#drives-write-error').textContent;");
    assert!(
        text.as_str().unwrap().contains("쓸 USB를 하나 이상"),
        "{text}"
    );
    let good_box = format!(
        "document.querySelector('#drives-table input[value=\"{}\"]').click();",
        good.file.display()
    );
    d.js(&good_box);
    d.click("#drives-write");
    let text = d.js("return document.querySelector('#drives-write-error').textContent;");
    assert!(
        text.as_str()
            .unwrap()
            .contains("먼저 1·2단계에서 이미지 파일을 만드십시오"),
        "{text}"
    );
    d.js(&good_box);

    // The real library: a text file and a PNG with an author in it.
    let lib = dir.path().join("library");
    std::fs::create_dir_all(lib.join("책")).unwrap();
    std::fs::write(lib.join("책/읽어 보십시오.txt"), "새바람 test payload\n").unwrap();
    std::fs::write(lib.join("picture.png"), png_with_author()).unwrap();
    d.js("window.saebaramApp.drives.prepared = null;");
    set_value(&d, "drives-folder", lib.to_str().unwrap());
    d.click("#drives-prepare");
    d.wait_for(
        "window.saebaramApp.drives.prepared && document.querySelector('#drives-counts')",
        Duration::from_secs(120),
        "the library was never prepared",
    );
    let prepared = d.js("return window.saebaramApp.drives.prepared;");
    assert_eq!(prepared["image"], true, "{prepared}");
    let counts = d.js("return document.querySelector('#drives-report').textContent;");
    let counts = counts.as_str().unwrap();
    assert!(counts.contains("흔적을 지운 파일 1개"), "{counts}");
    assert!(counts.contains("이미지 파일이 준비되었습니다"), "{counts}");
    d.screenshot_to(&artifacts().join("drives-prepared-ko.png"));

    // Choose the three drives, confirm with the list written out, write.
    for f in [&good.file, &fake.file, &pulled.file] {
        d.js(&format!(
            "document.querySelector('#drives-table input[value=\"{}\"]').click();",
            f.display()
        ));
    }
    d.click("#drives-write");
    let confirm = d.wait_for(
        "document.querySelector('#drives-confirm-list') && document.querySelector('#drives-confirm-list').textContent",
        Duration::from_secs(5),
        "no confirmation",
    );
    for f in [&good.file, &fake.file] {
        assert!(
            confirm.as_str().unwrap().contains(&f.display().to_string()),
            "{confirm}"
        );
    }
    d.screenshot_to(&artifacts().join("drives-confirm-ko.png"));
    d.click("#drives-confirm-go");
    let job = d.wait_for(
        "document.querySelector('#drives-flash-table tbody tr') && Object.keys(window.saebaramApp.updates).slice(-1)[0]",
        Duration::from_secs(10),
        "no per-drive table",
    );
    let job = job.as_str().unwrap().to_owned();

    // A second tab starting a flash is told one runs and shown it.
    let tab_a = d.window_handle();
    let tab_b = d.new_window();
    d.switch_window(&tab_b);
    d.goto(&format!("http://{}/#drives", app.host));
    screen_ready(&d, "drives");
    set_value(&d, "drives-folder", lib.to_str().unwrap());
    let refused = d.js_async(&format!(
        "var done = arguments[0]; fetch('/api/flash', {{method: 'POST', credentials: 'same-origin', headers: {{'Content-Type': 'application/json'}}, body: JSON.stringify({{devices: ['{}']}})}}).then(r => r.json().then(j => done([r.status, j])));",
        good.file.display()
    ));
    assert_eq!(refused[0], 409, "{refused}");
    assert_eq!(refused[1]["error"]["code"], "busy", "{refused}");
    assert_eq!(
        refused[1]["error"]["params"]["job"].to_string(),
        job,
        "{refused}"
    );
    // ... and preparing an image meanwhile is refused too (the flash reads the image).
    d.click("#drives-prepare");
    d.wait_for(
        "document.querySelector('#drives-prepare-job .notice-error') && document.querySelector('#drives-prepare-job .notice-error').textContent.includes('USB에 쓰는 중에는')",
        Duration::from_secs(10),
        "no refusal of a prepare during a flash",
    );
    d.wait_for(
        "document.querySelector('#drives-flash-table tbody tr')",
        Duration::from_secs(10),
        "the second tab does not show the running flash",
    );
    // The browser logs the two refusals (409) as failed loads; nothing else may be there.
    let refusals: Vec<Value> = d
        .log("browser")
        .into_iter()
        .filter(|e| e["level"] == "SEVERE")
        .collect();
    assert!(
        refusals.len() == 2
            && refusals.iter().all(|e| e["message"]
                .as_str()
                .unwrap_or_default()
                .contains("409 (Conflict)")),
        "{refusals:#?}"
    );
    d.close_window();
    d.switch_window(&tab_a);

    let summary = d.wait_for(
        "document.querySelector('#drives-result') && document.querySelector('#drives-result').textContent",
        Duration::from_secs(240),
        "the flash never ended",
    );
    d.js("document.querySelector('#drives-flash-table').scrollIntoView();");
    d.screenshot_to(&artifacts().join("drives-flashed-ko.png"));
    assert!(
        summary
            .as_str()
            .unwrap()
            .contains("완료 1개, 가짜 용량 USB 1개, 실패 1개"),
        "{summary}"
    );
    let rows = states_text(&d, "#drives-flash-table");
    assert!(
        rows.contains("가짜 용량 USB: 실제 용량 67.1 MB (표시 4.3 GB): 사용하지 마십시오"),
        "{rows}"
    );
    let states = d.js("return Array.from(document.querySelectorAll('#drives-flash-table tbody tr')).map(r => [r.dataset.path, r.dataset.state]);");
    assert_eq!(
        states,
        serde_json::json!([
            [good.file.display().to_string(), "passed"],
            [fake.file.display().to_string(), "fake"],
            [pulled.file.display().to_string(), "failed"]
        ])
    );
    assert!(
        rows.contains(&format!(
            "이 USB에 쓰지 못했습니다: {}",
            pulled.file.display()
        )),
        "{rows}"
    );
    let speeds = text_of(&d, "#drives-flash-table tbody tr td.speed");
    assert!(
        speeds.starts_with("쓰기 ") && speeds.contains("/초 · 검증 "),
        "{speeds}"
    );
    // The states the page saw, and the rate of updates while it ran.
    let updates = d.js(&format!(
        "var u = window.saebaramApp.updates['{job}']; return [u.length, u[u.length - 1].at - u[0].at];"
    ));
    let (n, span_ms) = (updates[0].as_f64().unwrap(), updates[1].as_f64().unwrap());
    assert!(
        span_ms > 1000.0,
        "the flash lasted only {span_ms} ms: {updates}"
    );
    let rate = (n - 1.0) / (span_ms / 1000.0);
    assert!(rate >= 2.0, "{rate:.1} updates/s ({updates})");

    // Keeping the batch needs the records open: the page says so.
    d.click("#drives-record");
    d.wait_for(
        "document.querySelector('#drives-record-box .notice-error') && document.querySelector('#drives-record-box .notice-error').textContent.includes('활동 기록이 잠겨 있습니다')",
        Duration::from_secs(10),
        "no message for recording a batch with the records locked",
    );
    expect_refusals(&d, 1, "422 (Unprocessable Entity)");
    // With the records open, the batch is kept with its counts.
    let opened = d.js_async(
        "var done = arguments[0]; window.saebaramApp.lib.unlockRecords({passphrase: 'p q r', confirm: 'p q r', create: true}).then(r => done(r.unlocked !== false), e => done(String(e)));",
    );
    assert_eq!(opened, true);
    d.click("#drives-record");
    d.wait_for(
        "document.querySelector('#drives-record-box .notice-ok')",
        Duration::from_secs(20),
        "the batch was not recorded",
    );
    let listed = page_fetch(&d, "/api/records/list");
    let batch = &listed["batches"][0];
    assert_eq!(
        (
            batch["written"].clone(),
            batch["passed"].clone(),
            batch["rejected_fake"].clone(),
            batch["failed"].clone()
        ),
        // Written: drives that received image bytes (the pulled one vanished while probed).
        (
            Value::from(1),
            Value::from(1),
            Value::from(1),
            Value::from(1)
        ),
        "{listed}"
    );

    // The written drive holds the image the app built, byte for byte.
    let result = page_fetch(&d, &format!("/api/jobs/{job}/result"));
    let image = std::fs::read(result["image"].as_str().unwrap()).unwrap();
    let written = std::fs::read(&good.file).unwrap();
    assert_eq!(
        &written[..image.len()],
        &image[..],
        "the drive differs from the image"
    );
    assert!(
        written[image.len()..].iter().all(|&b| b == 0),
        "the rest was not wiped"
    );
    assert_eq!(result["drives"][1]["outcome"], "rejected-fake", "{result}");

    // A reopened tab shows how the flash ended; English too.
    let tab_c = d.new_window();
    d.switch_window(&tab_c);
    d.goto(&format!("http://{}/#drives", app.host));
    screen_ready(&d, "drives");
    d.wait_for(
        "document.querySelector('#drives-result')",
        Duration::from_secs(10),
        "a reopened tab does not show the flash",
    );
    d.click("button.lang");
    d.wait_for(
        "document.querySelector('#drives-result') && document.querySelector('#drives-result').textContent.includes('1 done, 1 fake-capacity, 1 failed')",
        Duration::from_secs(10),
        "no English summary",
    );
    let rows = states_text(&d, "#drives-flash-table");
    assert!(rows.contains("real size 67.1 MB (claims 4.3 GB)"), "{rows}");
    d.js("document.querySelector('#drives-flash-table').scrollIntoView();");
    d.screenshot_to(&artifacts().join("drives-flashed-en.png"));
    d.click("button.lang");
    assert_local_and_clean(&d, &app.host);
    drop(app);
    drop(pulled);
    drop(fake);
    drop(good);
}

// ---------- the Records screen ----------

/// The Drives screen's first two steps in English: the library folder and a forbidden-words
/// list chosen with the folder browser (only inside home), a file holding a forbidden name
/// blocked and explained in English without the name, then the image made without the list.
#[test]
fn the_drives_steps_in_english_browse_for_folders_and_block_a_forbidden_name() {
    let app = App::start();
    let home = std::fs::canonicalize(app._home.path()).unwrap();
    let library = home.join("library");
    std::fs::create_dir_all(library.join("photos")).unwrap();
    std::fs::create_dir_all(library.join("notes")).unwrap();
    std::fs::write(library.join("photos/a.png"), png_with_author()).unwrap();
    const NAME: &str = "Kim Cheol-su";
    std::fs::write(
        library.join("notes/hello.txt"),
        format!("Greetings from {NAME}\n"),
    )
    .unwrap();
    std::fs::write(home.join("names.txt"), format!("# our names\n{NAME}\n")).unwrap();
    let d = Driver::start();
    open(&d, &app.link);
    d.click("button.lang");
    d.wait_for(
        "document.documentElement.lang === 'en'",
        Duration::from_secs(5),
        "switch to English",
    );
    d.goto(&format!("http://{}/#drives", app.host));
    screen_ready(&d, "drives");
    assert_eq!(d.js("return document.documentElement.lang;"), "en");

    // The library: browse from home into `library`, use it.
    d.click("#drives-folder-browse");
    d.wait_for(
        "window.saebaramApp.folders && document.querySelector('#drives-folder-browser button.folder')",
        Duration::from_secs(10),
        "the folder browser never listed home",
    );
    let listed = text_of(&d, "#drives-folder-browser");
    assert!(
        listed.contains("Choose inside your home folder"),
        "{listed}"
    );
    assert!(
        !listed.contains("names.txt"),
        "files listed when choosing a folder: {listed}"
    );
    d.click("#drives-folder-browser button.folder[data-name=library]");
    d.wait_for(
        &format!(
            "window.saebaramApp.folders.path === {}",
            Value::from(library.display().to_string())
        ),
        Duration::from_secs(10),
        "the browser never opened `library`",
    );
    d.screenshot_to(&artifacts().join("drives-browser-en.png"));
    d.click("#drives-folder-browser-use");
    assert_eq!(
        d.js("return document.getElementById('drives-folder').value;"),
        library.display().to_string()
    );
    // The forbidden-words list: a file, chosen the same way.
    d.click("#drives-forbid-browse");
    d.wait_for(
        "document.querySelector('#drives-forbid-browser button.file[data-name=\"names.txt\"]')",
        Duration::from_secs(10),
        "the file browser never listed names.txt",
    );
    d.click("#drives-forbid-browser button.file[data-name=\"names.txt\"]");
    assert_eq!(
        d.js("return document.getElementById('drives-forbid').value;"),
        home.join("names.txt").display().to_string()
    );
    // Nothing outside home is listed, however it is asked for.
    for outside in ["/etc", "/", "../..", &format!("{}/..", home.display())] {
        let r = page_fetch(
            &d,
            &format!(
                "/api/folders?path={}",
                outside.replace('/', "%2F").replace('.', "%2E")
            ),
        );
        assert_eq!(r["error"]["code"], "outside_home", "{outside}: {r}");
    }
    expect_refusals(&d, 4, "422");

    // Step 2: the note holding the name is blocked, said in English, the name never shown.
    d.click("#drives-prepare");
    d.wait_for(
        "window.saebaramApp.drives && window.saebaramApp.drives.prepared",
        Duration::from_secs(120),
        "the clean never finished",
    );
    assert_eq!(
        d.js("return window.saebaramApp.drives.prepared;")["blocked"],
        1
    );
    let blocked = text_of(&d, "#drives-blocked");
    assert!(blocked.contains("notes/hello.txt"), "{blocked}");
    assert!(
        blocked.contains("it contains a forbidden string"),
        "{blocked}"
    );
    let report = text_of(&d, "#drives-report");
    assert!(
        report.contains("Some files cannot be processed, so no disk image was made"),
        "{report}"
    );
    assert!(
        !report.contains(NAME),
        "the report shows the forbidden name"
    );
    d.js("document.getElementById('drives-report').scrollIntoView();");
    d.screenshot_to(&artifacts().join("drives-blocked-en.png"));

    // "Leave them out": the blocked file's exact path joins the list the person sees, the
    // same step runs again, the image is made without it and the report says so.
    d.js("window.saebaramApp.drives.prepared = null;");
    d.click("#drives-exclude-blocked");
    d.wait_for(
        "window.saebaramApp.drives.prepared",
        Duration::from_secs(120),
        "the clean without the blocked file never finished",
    );
    let prepared = d.js("return window.saebaramApp.drives.prepared;");
    assert_eq!(prepared["image"], true, "{prepared}");
    assert_eq!(prepared["blocked"], 0, "{prepared}");
    assert_eq!(
        d.js("return document.getElementById('drives-exclude').value;"),
        "/notes/hello.txt"
    );
    let report = text_of(&d, "#drives-report");
    assert!(
        report.contains("Files and folders left off the drive (1)"),
        "{report}"
    );
    assert!(report.contains("notes/hello.txt"), "{report}");
    assert!(report.contains("The disk image is ready"), "{report}");
    d.js("document.getElementById('drives-report').scrollIntoView();");
    d.screenshot_to(&artifacts().join("drives-excluded-en.png"));
    d.js("document.getElementById('drives-exclude').value = '';");

    // Without the list: both files go through, the PNG's author removed, an image made.
    d.js("document.getElementById('drives-forbid').value = '';");
    d.js("window.saebaramApp.drives.prepared = null;");
    d.click("#drives-prepare");
    d.wait_for(
        "window.saebaramApp.drives.prepared",
        Duration::from_secs(120),
        "the second clean never finished",
    );
    assert_eq!(
        d.js("return window.saebaramApp.drives.prepared.image;"),
        true
    );
    let report = text_of(&d, "#drives-report");
    assert!(report.contains("1 files had traces removed"), "{report}");
    assert!(report.contains("The disk image is ready"), "{report}");
    // The shrink choice is there, off by default.
    assert_eq!(
        d.js("return document.getElementById('drives-shrink').checked;"),
        false
    );
    assert_local_and_clean(&d, &app.host);
}

/// The Convert screen runs `saebaram convert` (the jobs' convert, the same as the CLI's) on a
/// short clip: converted for the Notel with the report in Korean, the text file beside it
/// passed on, and the result folder handed to the Drives screen; a missing folder refused.
#[test]
fn the_convert_screen_converts_a_clip_and_hands_the_folder_to_the_drives_screen() {
    let app = App::start();
    let home = std::fs::canonicalize(app._home.path()).unwrap();
    let videos = home.join("videos");
    std::fs::create_dir_all(&videos).unwrap();
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-f", "lavfi", "-i"])
        .arg("testsrc2=size=320x240:rate=25:duration=2")
        .args(["-f", "lavfi", "-i"])
        .arg("sine=frequency=440:duration=2:sample_rate=48000")
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-c:a",
            "aac",
            "-shortest",
        ])
        .arg(videos.join("clip.mp4"))
        .status()
        .expect("ffmpeg (Debian package `ffmpeg`) is needed");
    assert!(made.success());
    std::fs::write(videos.join("읽어보기.txt"), "안녕하십니까\n").unwrap();
    let out = home.join("for-notel");
    let d = Driver::start();
    open(&d, &app.link);
    d.goto(&format!("http://{}/#convert", app.host));
    screen_ready(&d, "convert");
    // A folder that is not there: said in Korean, nothing started.
    set_value(&d, "convert-input", &format!("{}/nope", home.display()));
    set_value(&d, "convert-out", out.to_str().unwrap());
    d.click("#convert-run");
    wait_text(
        &d,
        "#convert-job",
        "영상 폴더를 찾을 수 없습니다",
        "no message for a missing folder",
    );
    expect_refusals(&d, 1, "422");
    set_value(&d, "convert-input", videos.to_str().unwrap());
    d.click("#convert-run");
    let done = d.wait_for(
        "window.saebaramApp.convert",
        Duration::from_secs(180),
        "the conversion never finished",
    );
    assert_eq!(
        (
            done["converted"].clone(),
            done["failed"].clone(),
            done["passed"].clone(),
            done["blocked"].clone()
        ),
        (1.into(), 0.into(), 1.into(), 0.into()),
        "{done}"
    );
    let counts = text_of(&d, "#convert-counts");
    assert!(counts.contains("변환한 영상 1개"), "{counts}");
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    assert!(
        names.iter().any(|n| n.ends_with(".avi")) && names.iter().any(|n| n == "읽어보기.txt"),
        "{names:?}"
    );
    d.screenshot_to(&artifacts().join("convert-done-ko.png"));

    // Advanced: a profile file of the group's own (the Notel profile at 160x128), the
    // ffmpeg program named, ASCII names. The output follows the file, not the menu.
    let toml = home.join("tiny-player.toml");
    let notel = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../saebaram-convert/profiles/notel.toml"
    ))
    .unwrap();
    let tiny = notel
        .replace("name = \"notel\"", "name = \"tiny\"")
        .replace("max_width = 720", "max_width = 160")
        .replace("max_height = 576", "max_height = 128");
    assert_ne!(tiny, notel);
    std::fs::write(&toml, tiny).unwrap();
    let ffmpeg = String::from_utf8(
        Command::new("sh")
            .args(["-c", "command -v ffmpeg"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let small = home.join("for-tiny");
    d.js("document.getElementById('convert-advanced').open = true;");
    set_value(&d, "convert-out", small.to_str().unwrap());
    set_value(&d, "convert-ffmpeg", &format!("{}/nope", home.display()));
    d.click("#convert-run");
    wait_text(
        &d,
        "#convert-job",
        "그런 파일이나 폴더가 없습니다",
        "no message for a missing ffmpeg",
    );
    expect_refusals(&d, 1, "422");
    set_value(&d, "convert-ffmpeg", ffmpeg.trim());
    set_value(&d, "convert-profile-file", toml.to_str().unwrap());
    d.click("#convert-ascii");
    d.js("window.saebaramApp.convert = null;");
    d.click("#convert-run");
    let done = d.wait_for(
        "window.saebaramApp.convert",
        Duration::from_secs(180),
        "the conversion with a profile file never finished",
    );
    assert_eq!(done["converted"], 1, "{done}");
    let avi: Vec<PathBuf> = std::fs::read_dir(&small)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "avi"))
        .collect();
    assert_eq!(avi.len(), 1, "{avi:?}");
    let name = avi[0].file_name().unwrap().to_str().unwrap();
    assert!(name.is_ascii(), "{name}");
    let probe = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries"])
        .args(["stream=width,height", "-of", "csv=p=0"])
        .arg(&avi[0])
        .output()
        .unwrap();
    let size = String::from_utf8_lossy(&probe.stdout).trim().to_owned();
    assert_eq!(size, "160,128", "the profile file was not used");
    d.screenshot_to(&artifacts().join("convert-advanced-ko.png"));

    // The result goes to the Drives screen as its library folder.
    d.click("#convert-use");
    screen_ready(&d, "drives");
    assert_eq!(
        d.js("return document.getElementById('drives-folder').value;"),
        small.display().to_string()
    );
    assert_local_and_clean(&d, &app.host);
}

fn text_of(d: &Driver, css: &str) -> String {
    d.js(&format!(
        "var e = document.querySelector('{css}'); return e ? e.textContent : '';"
    ))
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

fn wait_text(d: &Driver, css: &str, needle: &str, what: &str) -> String {
    d.wait_for(
        &format!(
            "(function () {{ var e = document.querySelector('{css}'); return e && e.textContent.includes({}) && e.textContent; }})()",
            Value::from(needle)
        ),
        Duration::from_secs(30),
        what,
    )
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

/// Drains the browser's log: exactly `n` severe entries, each a refused request (`status`),
/// which the browser logs as failed loads.
fn expect_refusals(d: &Driver, n: usize, status: &str) {
    let severe: Vec<Value> = d
        .log("browser")
        .into_iter()
        .filter(|e| e["level"] == "SEVERE")
        .collect();
    assert!(
        severe.len() == n
            && severe
                .iter()
                .all(|e| e["message"].as_str().unwrap_or_default().contains(status)),
        "{severe:#?}"
    );
}

/// Files under `dir` (recursively) whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if std::fs::read(&p).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle))
            {
                hits.push(p);
            }
        }
    }
    hits
}

/// Records from the page: a new file (the passphrase typed twice; a mismatch is refused),
/// lock, a wrong passphrase refused in Korean with the app going on, unlock, add a launch
/// and a shipment, correct both, the donor report, a batch with nothing flashed refused,
/// export to another team and import it back, a plan's best launch recorded from the Plan
/// screen. The passphrase is in no response and in no
/// file.
#[test]
fn records_are_unlocked_added_corrected_reported_and_exchanged() {
    const PASS: &str = "바람 부는 날 correct horse 7";
    let app = App::start();
    let d = Driver::start();
    open(&d, &app.link);
    d.goto(&format!("http://{}/#records", app.host));
    screen_ready(&d, "records");
    assert!(
        !text_of(&d, "#records-lock-form").is_empty(),
        "no lock form"
    );

    // A new file: the two typings must agree.
    d.type_into("#records-pass", PASS);
    d.type_into("#records-pass2", "something else");
    d.click("#records-unlock");
    wait_text(
        &d,
        "#records-error",
        "두 번 입력한 암호 문구가 다릅니다",
        "no mismatch message",
    );
    assert_eq!(
        d.js("return document.querySelector('#records-pass').value;"),
        "",
        "the field kept the passphrase"
    );
    d.type_into("#records-pass", PASS);
    d.type_into("#records-pass2", PASS);
    d.click("#records-unlock");
    d.wait_for(
        "document.querySelector('#records-lock')",
        Duration::from_secs(60),
        "the new records never opened",
    );
    d.screenshot_to(&artifacts().join("records-empty-ko.png"));

    // Lock, then a wrong passphrase: a clear message, and the app goes on.
    d.click("#records-lock");
    d.wait_for(
        "document.querySelector('#records-pass') && !document.querySelector('#records-pass2')",
        Duration::from_secs(10),
        "not locked",
    );
    d.type_into("#records-pass", "wrong horse");
    d.click("#records-unlock");
    wait_text(
        &d,
        "#records-error",
        "암호 문구가 맞지 않습니다",
        "no wrong-passphrase message",
    );
    d.screenshot_to(&artifacts().join("records-wrong-passphrase-ko.png"));
    expect_refusals(&d, 2, "422 (Unprocessable Entity)");
    let st = page_fetch(&d, "/api/records");
    assert_eq!(
        (st["exists"].clone(), st["unlocked"].clone()),
        (Value::Bool(true), Value::Bool(false)),
        "{st}"
    );
    d.type_into("#records-pass", PASS);
    d.click("#records-unlock");
    d.wait_for(
        "document.querySelector('#records-lock')",
        Duration::from_secs(60),
        "the records never opened",
    );

    // A launch.
    d.js("document.querySelector('#records-add-launch').open = true;");
    set_value(&d, "rl-time", "2026-11-20T23:00");
    set_value(&d, "rl-site", "gimpo");
    set_value(&d, "rl-leaflets", "5000");
    set_value(&d, "rl-usb", "10");
    d.click("#records-launch-save");
    let row = wait_text(
        &d,
        "#records-launches tbody",
        "2026-11-20 23:00 (KST) · 14:00 UTC",
        "the launch is not listed",
    );
    assert!(row.contains("김포") && row.contains("5000"), "{row}");
    // A shipment.
    d.js("document.querySelector('#records-add-shipment').open = true;");
    set_value(&d, "rs-route", "단둥 상인");
    set_value(&d, "rs-sent", "2026-11-21");
    set_value(&d, "rs-status", "in-transit");
    set_value(&d, "rs-usb", "20");
    d.click("#records-shipment-save");
    let row = wait_text(
        &d,
        "#records-shipments tbody",
        "단둥 상인",
        "the shipment is not listed",
    );
    assert!(row.contains("가는 중") && row.contains("20"), "{row}");

    // Correct the launch's outcome and the shipment's status.
    d.click("#records-launches tbody tr button.secondary");
    d.js("document.querySelector('#records-launches tr.editing input[type=text]').value = '개성 근처에 떨어졌다는 소식';");
    d.click("#records-launches tr.editing button.records-save");
    wait_text(
        &d,
        "#records-launches tbody",
        "개성 근처에 떨어졌다는 소식",
        "the correction is not shown",
    );
    d.click("#records-shipments tbody tr button.secondary");
    d.js("var s = document.querySelector('#records-shipments tr.editing select'); s.value = 'delivered'; document.querySelector('#records-shipments tr.editing input[type=date]').value = '2026-11-29';");
    d.click("#records-shipments tr.editing button.records-save");
    let row = wait_text(
        &d,
        "#records-shipments tbody",
        "2026-11-29",
        "the shipment's arrival is not shown",
    );
    assert!(row.contains("도착"), "{row}");

    // The donor report.
    // The records screen re-renders after each save and after a language switch: wait for
    // the button of the new render before clicking it.
    d.wait_for(
        "!!document.querySelector('#records-report')",
        Duration::from_secs(30),
        "the donor report button",
    );
    d.click("#records-report");
    let report = wait_text(&d, "#records-report-table", "합계", "no donor report");
    assert!(
        report.contains("풍선") && report.contains("5000") && report.contains("20"),
        "{report}"
    );
    d.screenshot_to(&artifacts().join("records-ko.png"));

    // Nothing was flashed: recording a batch says so.
    d.click("#records-add-batch");
    wait_text(
        &d,
        "#records-status",
        "USB에 쓴 묶음이 없습니다",
        "no message for a batch with no flash",
    );
    expect_refusals(&d, 1, "422 (Unprocessable Entity)");

    // Another team: export to its public key, and import what it would send back.
    let keys = app._home.path().join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    let secret = keys.join("team-b.key");
    // The key pair is made from the page (`records keygen`); it needs no passphrase.
    set_value(&d, "rk-out", secret.to_str().unwrap());
    d.click("#records-keygen");
    wait_text(
        &d,
        "#records-keygen-box",
        "열쇠를 만들었습니다",
        "the keys were not made",
    );
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the secret key is readable by others");
        let public = std::fs::read_to_string(format!("{}.pub", secret.display())).unwrap();
        assert!(public.starts_with("age1"), "{public}");
    }
    // Again on the same file: refused, the key kept.
    let before = std::fs::read(&secret).unwrap();
    d.click("#records-keygen");
    wait_text(
        &d,
        "#records-keygen-box .notice-error",
        "team-b.key",
        "no message for an existing key file",
    );
    assert_eq!(std::fs::read(&secret).unwrap(), before);
    expect_refusals(&d, 1, "422 (Unprocessable Entity)");
    let exported = keys.join("for-team-b.age");
    set_value(&d, "rx-to", &format!("{}.pub", secret.display()));
    set_value(&d, "rx-out", exported.to_str().unwrap());
    d.click("#records-export");
    wait_text(
        &d,
        "#records-exchange-box",
        "보낼 파일을 만들었습니다",
        "the export failed",
    );
    assert!(exported.exists());
    set_value(&d, "rx-file", exported.to_str().unwrap());
    set_value(&d, "rx-identity", secret.to_str().unwrap());
    d.click("#records-import");
    wait_text(
        &d,
        "#records-status",
        "다른 팀의 기록을 합쳤습니다",
        "the import failed",
    );
    assert_eq!(
        d.js("return [window.saebaramApp.records.launches, window.saebaramApp.records.shipments];"),
        serde_json::json!([1, 1])
    );

    // A launch time chosen from the Plan screen's ranked table (not the best one), recorded.
    d.goto(&format!("http://{}/#plan", app.host));
    screen_ready(&d, "plan");
    set_value(&d, "plan-preset", "ffnk-3stage");
    set_value(&d, "plan-members", "50");
    set_value(&d, "plan-every", "10800");
    d.click("#plan-run");
    d.wait_for(
        "document.querySelector('#plan-record')",
        Duration::from_secs(240),
        "the plan never finished",
    );
    let second =
        d.js("return Number(document.querySelectorAll('#plan-table tbody tr')[1].dataset.window);");
    d.click("#plan-table tbody tr:nth-child(2) input[name=plan-pick]");
    assert_eq!(d.js("return window.saebaramApp.plan.chosen;"), second);
    d.click("#plan-record");
    wait_text(
        &d,
        "#plan-record-box",
        "활동 기록에 남겼습니다",
        "the plan's launch was not recorded",
    );
    let job = d.js("return window.saebaramApp.plan.job;");
    let plan = page_fetch(&d, &format!("/api/jobs/{job}/result"));
    let chosen = &plan["windows"][second.as_u64().unwrap() as usize];
    let recorded = d.js("return window.saebaramApp.plan.recorded;");
    assert_eq!(recorded["launch_time"], chosen["launch_time"], "{recorded}");
    assert_eq!(recorded["site"], chosen["site"], "{recorded}");
    assert_ne!(
        Some(second.as_u64().unwrap()),
        plan["best"].as_u64(),
        "the test meant to record a window other than the best"
    );
    d.goto(&format!("http://{}/#records", app.host));
    screen_ready(&d, "records");
    let row = wait_text(
        &d,
        "#records-launches tbody",
        "타이머 투하 3번",
        "the planned launch is not listed",
    );
    assert_eq!(
        d.js("return window.saebaramApp.records.launches;"),
        2,
        "{row}"
    );
    // English.
    d.click("button.lang");
    d.wait_for(
        "document.documentElement.lang === 'en'",
        Duration::from_secs(5),
        "switch to English",
    );
    // The records screen re-renders after each save and after a language switch: wait for
    // the button of the new render before clicking it.
    d.wait_for(
        "!!document.querySelector('#records-report')",
        Duration::from_secs(30),
        "the donor report button",
    );
    d.click("#records-report");
    wait_text(&d, "#records-report-table", "Total", "no English report");
    d.screenshot_to(&artifacts().join("records-en.png"));
    d.click("button.lang");

    // The passphrase went nowhere: not in a response, not in a file.
    for path in ["/api/records", "/api/records/list", "/api/session"] {
        let body = page_fetch(&d, path).to_string();
        assert!(!body.contains(PASS), "{path} returned the passphrase");
    }
    let leaked = files_containing(app._home.path(), PASS.as_bytes());
    assert!(leaked.is_empty(), "the passphrase is in {leaked:?}");

    // Destroying the records: the wrong word deletes nothing; `삭제` overwrites and removes
    // the database, locks the screen and offers to make a new one.
    let databases = || {
        let mut found = Vec::new();
        let mut stack = vec![app._home.path().join("data")];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.file_name().is_some_and(|n| n == "records.db") {
                    found.push(p);
                }
            }
        }
        found
    };
    assert_eq!(databases().len(), 1);
    d.goto(&format!("http://{}/#records", app.host));
    screen_ready(&d, "records");
    set_value(&d, "rd-confirm", "지워");
    d.click("#records-destroy");
    wait_text(
        &d,
        "#records-destroy-box",
        "아무것도 지우지 않았습니다",
        "no message for a wrong confirmation",
    );
    assert_eq!(databases().len(), 1, "destroyed without the word");
    set_value(&d, "rd-confirm", "삭제");
    d.click("#records-destroy");
    wait_text(
        &d,
        "#records-destroy-box",
        "활동 기록을 덮어쓰고 지웠습니다",
        "the records were not destroyed",
    );
    assert!(databases().is_empty(), "{:?}", databases());
    d.wait_for(
        "!!document.getElementById('records-pass2')",
        Duration::from_secs(10),
        "the screen does not offer a new records file",
    );
    let st = page_fetch(&d, "/api/records");
    assert_eq!(st, serde_json::json!({"exists": false, "unlocked": false}));
    d.js("document.getElementById('records-destroy-card').scrollIntoView();");
    d.screenshot_to(&artifacts().join("records-destroyed-ko.png"));
    assert_local_and_clean(&d, &app.host);
}
