//! Who may talk to the server: the loopback check at bind time, and the guard every request
//! passes (Host, session cookie or one-time token, Origin on state changes, response headers).
//!
//! The threat model: the server listens on the loopback address, so only programs on this
//! computer reach it; among them, web pages the user opens elsewhere in the same browser
//! (cross-site requests, DNS rebinding) and other local users. Hence:
//! - `Host` must be exactly the address and port we print: a rebinding page's requests carry
//!   its own host name.
//! - Every request needs the session cookie (HttpOnly, SameSite=Strict), which only a browser
//!   that opened the printed link holds. The link's token works once and is swapped for the
//!   cookie by a redirect that removes it from the address bar.
//! - A request that changes anything (any method but GET and HEAD) must carry our own
//!   `Origin` (browsers always send it on such requests); `Sec-Fetch-Site`, when present,
//!   must be `same-origin`.
//! - Every response forbids other origins (`Content-Security-Policy`) and framing by them.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use zeroize::Zeroizing;

use crate::AppState;

/// The session cookie's name.
pub(crate) const COOKIE: &str = "saebaram_session";

/// The policy of the app's own pages: only this origin, no inline script or style.
pub(crate) const CSP_APP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; frame-src 'self'; form-action 'self'; \
     base-uri 'none'; frame-ancestors 'none'";

/// The policy of an embedded map page (saebaram-map's self-contained HTML, whose script and
/// style are inline): nothing may be loaded, and `sandbox` gives it an opaque origin, so its
/// script can neither read the app's cookie nor call the app's API. Only our own page may
/// frame it: `frame-ancestors` names our origin, since `'self'` would mean the sandbox's
/// opaque origin, which no page has.
pub(crate) fn csp_map(origin: &str) -> String {
    format!(
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
         img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors {origin}; \
         sandbox allow-scripts allow-downloads"
    )
}

/// Whether the server may listen on `ip`: loopback addresses only (127.0.0.0/8, ::1).
pub fn is_allowed_listen_address(ip: IpAddr) -> bool {
    ip.is_loopback()
}

/// Random secrets: the one-time link tokens and the session values.
fn random_secret() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Compares two secrets in time independent of where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The guard's state: the address it answers as, unused link tokens, live sessions.
pub(crate) struct Guard {
    /// `127.0.0.1:PORT` (or `[::1]:PORT`): the only `Host` accepted.
    host: String,
    /// `http://` + host: the only `Origin` accepted on state changes.
    origin: String,
    /// One-time link tokens not yet exchanged (zeroised when redeemed or dropped).
    tokens: Mutex<Vec<Zeroizing<String>>>,
    /// Session cookie values handed out (zeroised when dropped). They cross HTTP on every
    /// request, as any cookie does, and die with the process.
    sessions: Mutex<Vec<Zeroizing<String>>>,
}

impl Guard {
    pub(crate) fn new(addr: SocketAddr) -> Guard {
        let host = addr.to_string();
        Guard {
            origin: format!("http://{host}"),
            host,
            tokens: Mutex::new(Vec::new()),
            sessions: Mutex::new(Vec::new()),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn origin(&self) -> &str {
        &self.origin
    }

    /// A new one-time link: `http://HOST/?token=...`.
    pub(crate) fn new_link(&self) -> Result<String, getrandom::Error> {
        let token = random_secret()?;
        let link = format!("{}/?token={token}", self.origin);
        lock(&self.tokens).push(Zeroizing::new(token));
        Ok(link)
    }

    /// Takes a token out of the unused list if it is there.
    fn redeem(&self, token: &str) -> bool {
        let mut tokens = lock(&self.tokens);
        match tokens.iter().position(|t| same_secret(t, token)) {
            Some(i) => {
                tokens.swap_remove(i);
                true
            }
            None => false,
        }
    }

    fn has_session(&self, headers: &HeaderMap) -> bool {
        let sessions = lock(&self.sessions);
        cookie_values(headers, COOKIE).any(|v| sessions.iter().any(|s| same_secret(s, v)))
    }

    fn new_session(&self) -> Result<String, getrandom::Error> {
        let value = random_secret()?;
        lock(&self.sessions).push(Zeroizing::new(value.clone()));
        Ok(value)
    }
}

/// A poisoned lock means a thread panicked while holding it; the lists stay consistent
/// (each change is one push or one removal), so keep serving.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The values of cookie `name` in the request's `Cookie` headers.
fn cookie_values<'a>(headers: &'a HeaderMap, name: &'a str) -> impl Iterator<Item = &'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(move |pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

/// Why a request was refused; each has a bilingual text (the page of a refused request is
/// all the user sees, with no script to translate it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    Host,
    NoSession,
    Origin,
}

impl Refusal {
    fn code(self) -> &'static str {
        match self {
            Refusal::Host => "wrong_host",
            Refusal::NoSession => "no_session",
            Refusal::Origin => "foreign_origin",
        }
    }

    fn text(self) -> &'static str {
        match self {
            Refusal::Host => {
                "이 주소로는 새바람을 열 수 없습니다. 터미널에 표시된 주소(127.0.0.1)를 그대로 여십시오.\n\
                 saebaram cannot be opened under this address. Open the address printed in the terminal (127.0.0.1) as it is."
            }
            Refusal::NoSession => {
                "이 창은 아직 새바람에 연결되지 않았습니다. 터미널에 표시된 링크를 여십시오. \
                 링크는 한 번만 쓸 수 있습니다: 새 링크가 필요하면 터미널에서 Enter 키를 누르십시오.\n\
                 This window is not connected to saebaram yet. Open the link printed in the terminal. \
                 A link works once: press Enter in the terminal for a new one."
            }
            Refusal::Origin => {
                "다른 웹사이트에서 보낸 요청은 받지 않습니다.\n\
                 Requests sent by another website are refused."
            }
        }
    }

    fn response(self) -> Response {
        let status = match self {
            Refusal::Host => StatusCode::MISDIRECTED_REQUEST,
            Refusal::NoSession => StatusCode::UNAUTHORIZED,
            Refusal::Origin => StatusCode::FORBIDDEN,
        };
        let mut res = (status, self.text()).into_response();
        res.headers_mut()
            .insert("x-saebaram-refusal", HeaderValue::from_static(self.code()));
        res
    }
}

/// Decides whether a request may proceed; `Err` is the refusal (or the redirect of a
/// token exchange, which ends the request too).
fn check(guard: &Guard, req: &Request) -> Result<(), Box<Response>> {
    let headers = req.headers();
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    if host != Some(guard.host.as_str()) {
        return Err(Box::new(Refusal::Host.response()));
    }
    let changes_state = !matches!(*req.method(), Method::GET | Method::HEAD);
    if changes_state {
        let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
        if origin != Some(guard.origin.as_str()) {
            return Err(Box::new(Refusal::Origin.response()));
        }
        let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
        if site.is_some_and(|s| s != "same-origin") {
            return Err(Box::new(Refusal::Origin.response()));
        }
    }
    if guard.has_session(headers) {
        return Ok(());
    }
    if !changes_state && req.uri().path() == "/" {
        let token = req.uri().query().and_then(|q| {
            q.split('&')
                .filter_map(|kv| kv.split_once('='))
                .find(|(k, _)| *k == "token")
                .map(|(_, v)| v)
        });
        if let Some(token) = token.filter(|t| guard.redeem(t)) {
            let _ = token;
            let session = guard
                .new_session()
                .map_err(|_| Box::new(StatusCode::INTERNAL_SERVER_ERROR.into_response()))?;
            // 303 to `/`: the address bar (and the history entry) no longer hold the token,
            // which is spent anyway.
            let cookie = format!("{COOKIE}={session}; HttpOnly; SameSite=Strict; Path=/");
            let res = Response::builder()
                .status(StatusCode::SEE_OTHER)
                .header(header::LOCATION, "/")
                .header(header::SET_COOKIE, cookie)
                .body(Body::empty())
                .map_err(|_| Box::new(StatusCode::INTERNAL_SERVER_ERROR.into_response()))?;
            return Err(Box::new(res));
        }
    }
    Err(Box::new(Refusal::NoSession.response()))
}

/// The middleware in front of every route.
pub(crate) async fn guard(State(app): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let mut res = match check(&app.guard, &req) {
        Ok(()) => next.run(req).await,
        Err(res) => *res,
    };
    add_headers(res.headers_mut());
    res
}

/// Headers on every response; a route that serves something else (the map page) sets its
/// own `Content-Security-Policy` first.
fn add_headers(h: &mut HeaderMap) {
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP_APP),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_addresses_may_listen() {
        for ok in ["127.0.0.1", "127.0.0.2", "::1"] {
            assert!(is_allowed_listen_address(ok.parse().unwrap()), "{ok}");
        }
        for bad in [
            "0.0.0.0",
            "::",
            "192.168.1.10",
            "10.0.0.1",
            "8.8.8.8",
            "fe80::1",
        ] {
            assert!(!is_allowed_listen_address(bad.parse().unwrap()), "{bad}");
        }
    }

    #[test]
    fn a_token_works_once() {
        let g = Guard::new("127.0.0.1:4000".parse().unwrap());
        let link = g.new_link().unwrap();
        let token = link.split_once("token=").unwrap().1.to_owned();
        assert_eq!(token.len(), 64);
        assert!(!g.redeem("0"));
        assert!(!g.redeem(&token[..63]));
        assert!(g.redeem(&token));
        assert!(!g.redeem(&token), "a spent token worked again");
    }

    #[test]
    fn cookies_are_read_from_every_header_and_pair() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; saebaram_session=x"),
        );
        h.append(
            header::COOKIE,
            HeaderValue::from_static("saebaram_session=y"),
        );
        let v: Vec<_> = cookie_values(&h, COOKIE).collect();
        assert_eq!(v, ["x", "y"]);
    }

    #[test]
    fn secrets_compare_exactly() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
        assert!(!same_secret("", "a"));
    }
}
