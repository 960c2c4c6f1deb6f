//! A minimal WebDriver client for headless Chromium through chromedriver: a small HTTP
//! client over a `TcpStream` (a dozen endpoints do not need a browser automation crate).
//! Shared by the map tests (`map.rs`) and the app tests (`app.rs`).
//!
//! Needs the Debian packages `chromium` and `chromium-driver` (CI installs them from
//! `.ci/apt.d/map.txt`). Without them the tests FAIL with that instruction: a page that was
//! never opened in a browser is not tested.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

pub struct Driver {
    child: Child,
    port: u16,
    session: String,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = http(
            self.port,
            "DELETE",
            &format!("/session/{}", self.session),
            None,
        );
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(180)))
        .map_err(|e| e.to_string())?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    // chromedriver keeps the connection open: read the header, then Content-Length bytes.
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    let header_end = loop {
        let n = s.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed before the header".into());
        }
        raw.extend_from_slice(&buf[..n]);
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&raw[..header_end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    match length {
        Some(len) => {
            while raw.len() < header_end + len {
                let n = s.read(&mut buf).map_err(|e| e.to_string())?;
                if n == 0 {
                    break;
                }
                raw.extend_from_slice(&buf[..n]);
            }
        }
        None => {
            s.read_to_end(&mut raw).map_err(|e| e.to_string())?;
        }
    }
    let rest = String::from_utf8_lossy(&raw[header_end..]).into_owned();
    let text = if head.contains("transfer-encoding: chunked") {
        dechunk(&rest)
    } else {
        rest
    };
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))?;
    let value = v.get("value").cloned().unwrap_or(Value::Null);
    // A WebDriver error is `{"error": "<code>", "message": ...}`; a script's own value may
    // carry an `error` key of another type.
    if value.get("error").is_some_and(Value::is_string) && value.get("message").is_some() {
        return Err(format!("{method} {path}: {value}"));
    }
    Ok(value)
}

pub fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

impl Driver {
    /// A headless Chromium at 1366x768 (a small laptop), English UI language.
    pub fn start() -> Driver {
        Driver::start_with(1366, 768)
    }

    pub fn start_with(width: u32, height: u32) -> Driver {
        for (path, pkg) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
            assert!(
                Path::new(path).exists(),
                "{path} is missing: pages are tested in a real browser. Install it with \
                 `apt-get install chromium chromium-driver` (Debian package {pkg}; CI installs \
                 it from .ci/apt.d/map.txt)"
            );
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let t0 = Instant::now();
        while http(port, "GET", "/status", None).is_err() {
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                         "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync",
                         format!("--window-size={width},{height}"), "--lang=en-US",
                         format!("--user-data-dir={}", profile.path().display())],
            },
            "goog:loggingPrefs": {"browser": "ALL", "performance": "ALL"},
        }}});
        let session = match http(port, "POST", "/session", Some(&caps)) {
            Ok(v) => v["sessionId"].as_str().unwrap().to_owned(),
            Err(e) => panic!("chromedriver could not start Chromium: {e}"),
        };
        Driver {
            child,
            port,
            session,
            _profile: profile,
        }
    }

    pub fn try_cmd(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let p = format!("/session/{}{path}", self.session);
        http(self.port, method, &p, body.as_ref())
    }

    pub fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.try_cmd(method, path, body)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn js(&self, script: &str) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    /// Runs an async script: `arguments[0]` is the callback.
    pub fn js_async(&self, script: &str) -> Value {
        self.cmd(
            "POST",
            "/execute/async",
            Some(json!({"script": script, "args": []})),
        )
    }

    pub fn goto(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({"url": url})));
    }

    pub fn url(&self) -> String {
        self.cmd("GET", "/url", None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits until `expr` (a JS expression) is truthy; panics with `what` and the browser
    /// log after `timeout`.
    pub fn wait_for(&self, expr: &str, timeout: Duration, what: &str) -> Value {
        let t0 = Instant::now();
        loop {
            let v = self.js(&format!(
                "try {{ return ({expr}) || null; }} catch (e) {{ return null; }}"
            ));
            if !v.is_null() && v != json!(false) {
                return v;
            }
            if t0.elapsed() > timeout {
                panic!(
                    "{what}: still not true after {timeout:?}: `{expr}`; browser log: {:?}",
                    self.log("browser")
                );
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    pub fn log(&self, kind: &str) -> Vec<Value> {
        let v = self.cmd("POST", "/se/log", Some(json!({"type": kind})));
        v.as_array().cloned().unwrap_or_default()
    }

    pub fn element(&self, css: &str) -> String {
        let e = self.cmd(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        e.as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no element {css}"))
            .to_owned()
    }

    pub fn click(&self, css: &str) {
        let id = self.element(css);
        self.cmd("POST", &format!("/element/{id}/click"), Some(json!({})));
    }

    /// Types into an element (WebDriver key codes: "\u{E007}" is Enter, "\u{E004}" Tab).
    pub fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css);
        self.cmd(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({"text": text})),
        );
    }

    /// Keys sent to whatever has the focus.
    pub fn keys(&self, text: &str) {
        let actions: Vec<Value> = text
            .chars()
            .flat_map(|c| {
                [
                    json!({"type": "keyDown", "value": c.to_string()}),
                    json!({"type": "keyUp", "value": c.to_string()}),
                ]
            })
            .collect();
        self.cmd(
            "POST",
            "/actions",
            Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})),
        );
        self.cmd("DELETE", "/actions", None);
    }

    /// Switches into the iframe matched by `css` (by its index among the page's frames,
    /// which chromedriver takes in every mode), or back to the top with `None`.
    pub fn frame(&self, css: Option<&str>) {
        let id = match css {
            Some(css) => {
                let i = self.js(&format!(
                    "return Array.from(document.querySelectorAll('iframe')).indexOf(document.querySelector({}));",
                    Value::from(css)
                ));
                assert!(i.as_i64().is_some_and(|i| i >= 0), "no frame {css}");
                i
            }
            None => Value::Null,
        };
        self.cmd("POST", "/frame", Some(json!({"id": id})));
    }

    pub fn new_window(&self) -> String {
        let v = self.cmd("POST", "/window/new", Some(json!({"type": "tab"})));
        v["handle"].as_str().unwrap_or_default().to_owned()
    }

    pub fn window_handle(&self) -> String {
        self.cmd("GET", "/window", None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn switch_window(&self, handle: &str) {
        self.cmd("POST", "/window", Some(json!({"handle": handle})));
    }

    pub fn close_window(&self) {
        self.cmd("DELETE", "/window", None);
    }

    /// Saves a PNG of the viewport to `path`.
    pub fn screenshot_to(&self, path: &Path) -> PathBuf {
        let b64 = self.cmd("GET", "/screenshot", None);
        let png = base64_decode(b64.as_str().unwrap());
        assert_eq!(&png[..4], b"\x89PNG");
        std::fs::write(path, png).unwrap();
        path.to_path_buf()
    }
}

pub fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let bytes: Vec<u8> = s
        .bytes()
        .filter(|&c| c != b'=' && !c.is_ascii_whitespace())
        .collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= u32::from(val(c)) << (18 - 6 * i);
        }
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}
