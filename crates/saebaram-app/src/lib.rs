//! The local web app of saebaram (`saebaram app`): a server on the loopback address that
//! serves a Korean-first page for people who never open a terminal, and runs the jobs of
//! `saebaram-jobs` (the same code the CLI runs) in the background.
//!
//! Owns: the HTTP server (axum on tokio), who may talk to it (`security`), the routes, the
//! job registry and its progress stream (server-sent events), the page and its words in
//! Korean and English (`web/`, embedded), the messages a job's errors become.
//! Must not know: how a plan, a clean, a pack or a flash is done (`saebaram-jobs` and the
//! library crates); clap and the terminal (the CLI's `commands/app.rs` prints the link and
//! opens the browser).
//!
//! It is a face, like the CLI: it reads the clock (a job's elapsed time, a forecast's age)
//! and draws its secrets from the operating system. It is the only crate that listens on a
//! socket, and it listens on the loopback address only: [`Server::start`] refuses any other
//! address before binding (`ARCHITECTURE.md`, invariants; `crates/saebaram/tests/architecture.rs`).
//!
//! # Security
//! Requests must name our exact `Host` (DNS rebinding), carry the session cookie obtained
//! by opening the printed one-time link, and, when they change anything, our `Origin`. Every
//! response carries a `Content-Security-Policy` that forbids any other origin. Passphrases
//! cross HTTP only sealed for a one-time server key (`sealed.rs`), are kept in [`zeroize`]d
//! buffers, never logged, written or sent back. The folder pickers list only the user's
//! home (`folders.rs`). See `security.rs` and `docs/app.md`.
//!
//! Crates do the server (axum, tokio) and the embedding (rust-embed). Hand-written: the page,
//! is plain JavaScript with no framework (`web/app.js`): a few screens of forms and tables
//! do not need one, and it keeps the first paint well under the 1 s goal.
#![deny(missing_docs)]
// FIXME: until every screen calls its job of saebaram-jobs, parts of the registry wait unused.
#![allow(dead_code)]
mod assets;
mod convert;
mod drives;
mod folders;
mod i18n;
mod records;
mod registry;
mod routes;
mod sealed;
mod security;
mod work;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;

pub use security::is_allowed_listen_address;

/// The Korean words of a job's warning, exactly as the app shows them (one wording for
/// every face: the command line prints it beside its English line). `None` for a warning
/// the app has no text for.
pub fn korean_warning(warning: &saebaram_jobs::Warning) -> Option<String> {
    i18n::korean_text(&work::warning_message(warning))
}

/// How to start the server.
#[derive(Clone)]
pub struct Config {
    /// The address to listen on: a loopback address (127.0.0.1, ::1), anything else is
    /// refused.
    pub address: IpAddr,
    /// The port; 0 picks a free one.
    pub port: u16,
    /// The jobs' context from the face: clock, random generator, directories
    /// (`saebaram_jobs::host::env()`, the same as the CLI's).
    pub env: saebaram_jobs::Env,
    /// Where the library-folder chooser starts (the user's home).
    pub home_dir: PathBuf,
    /// Where the system describes its drives (the drives job's; tests give a fake tree).
    pub system: saebaram_jobs::flash::SystemRoots,
    /// Regular files offered as drives besides the real ones (tests and demonstrations:
    /// the flash job writes files only when they are named here).
    pub file_drives: Vec<PathBuf>,
    /// Create new records databases with the cheap, insecure key derivation (tests only:
    /// the CLI's `SAEBARAM_RECORDS_KDF=test`).
    pub records_test_kdf: bool,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The address is not a loopback address.
    #[error(
        "refusing to listen on {address}: the app listens on the loopback address only \
         (127.0.0.1 or ::1), so that no other computer can reach it"
    )]
    NotLoopback {
        /// The address asked for.
        address: IpAddr,
    },
    /// The socket could not be bound (port in use, no permission).
    #[error("cannot listen on {address}")]
    Bind {
        /// The address and port.
        address: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The runtime or its thread could not be started.
    #[error("cannot start the server")]
    Start(#[source] std::io::Error),
    /// The operating system gave no random bytes for the link's token.
    #[error("cannot draw a random token: {0}")]
    Random(String),
}

/// What the routes share.
pub(crate) struct AppState {
    pub(crate) guard: security::Guard,
    pub(crate) registry: registry::Registry,
    pub(crate) config: Config,
    pub(crate) forecast: work::ForecastChoice,
    /// The last flash's report, for recording the batch.
    pub(crate) last_flash: std::sync::Mutex<Option<saebaram_jobs::flash::FlashReport>>,
    /// The last plan's typed reports (recording its best launch).
    pub(crate) last_plan: std::sync::Mutex<Option<work::LastPlan>>,
    /// The unlocked records (the passphrase, in memory only).
    pub(crate) records: records::Session,
    /// One-time keys for sealing the passphrase on its way from the page.
    pub(crate) sealer: sealed::Sealer,
}

/// A running server. Dropping it (or [`Server::stop`]) stops it; running jobs stop with the
/// process.
pub struct Server {
    address: SocketAddr,
    state: Arc<AppState>,
    runtime: tokio::runtime::Handle,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds the loopback address and starts serving on threads of its own.
    pub fn start(config: Config) -> Result<Server, Error> {
        if !is_allowed_listen_address(config.address) {
            return Err(Error::NotLoopback {
                address: config.address,
            });
        }
        let wanted = SocketAddr::new(config.address, config.port);
        let listener = std::net::TcpListener::bind(wanted).map_err(|source| Error::Bind {
            address: wanted,
            source,
        })?;
        let address = listener.local_addr().map_err(|source| Error::Bind {
            address: wanted,
            source,
        })?;
        // Belt and braces: what the OS bound is what we checked.
        if !is_allowed_listen_address(address.ip()) {
            return Err(Error::NotLoopback {
                address: address.ip(),
            });
        }
        listener.set_nonblocking(true).map_err(Error::Start)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("saebaram-app")
            .enable_all()
            .build()
            .map_err(Error::Start)?;
        let handle = runtime.handle().clone();
        let state = Arc::new(AppState {
            guard: security::Guard::new(address),
            registry: registry::Registry::default(),
            config,
            forecast: work::ForecastChoice::default(),
            last_flash: std::sync::Mutex::new(None),
            last_plan: std::sync::Mutex::new(None),
            records: records::Session::default(),
            sealer: sealed::Sealer::default(),
        });
        let router = routes::router(state.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let listener = {
            let _enter = runtime.enter();
            tokio::net::TcpListener::from_std(listener).map_err(Error::Start)?
        };
        let thread = std::thread::Builder::new()
            .name("saebaram-app-server".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let serve = axum::serve(listener, router).with_graceful_shutdown(async {
                        let _ = rx.await;
                    });
                    // An accept error on a bound socket ends the server; there is no
                    // one to tell but the terminal, which sees the process go on.
                    let _ = serve.await;
                });
                // Jobs are threads of their own; the runtime only serves.
                runtime.shutdown_background();
            })
            .map_err(Error::Start)?;
        Ok(Server {
            address,
            state,
            runtime: handle,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// The address and port the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// A new one-time link to open the app (`http://127.0.0.1:PORT/?token=...`). Each works
    /// once: opening it swaps the token for a session cookie.
    pub fn new_link(&self) -> Result<String, Error> {
        self.state
            .guard
            .new_link()
            .map_err(|e| Error::Random(e.to_string()))
    }

    /// Whether a job (a plan, a flash...) is running.
    pub fn jobs_running(&self) -> bool {
        self.state.registry.any_running()
    }

    /// Waits until the user presses Ctrl-C (SIGINT). Returns `false` if the signal could
    /// not be waited for.
    pub fn wait_for_interrupt(&self) -> bool {
        self.runtime.block_on(tokio::signal::ctrl_c()).is_ok()
    }

    /// Stops serving and waits for the server thread.
    pub fn stop(mut self) {
        self.shutdown_now();
    }

    fn shutdown_now(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown_now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(address: &str) -> Config {
        Config {
            address: address.parse().unwrap(),
            port: 0,
            env: saebaram_jobs::Env::fixed(0, 1),
            home_dir: PathBuf::from("home"),
            system: saebaram_jobs::flash::SystemRoots::default(),
            file_drives: Vec::new(),
            records_test_kdf: true,
        }
    }

    #[test]
    fn refuses_to_listen_on_any_other_address() {
        for bad in ["0.0.0.0", "::", "192.168.0.2", "10.1.2.3"] {
            match Server::start(config(bad)) {
                Err(Error::NotLoopback { address }) => assert_eq!(address.to_string(), bad),
                Err(e) => panic!("{bad}: {e}"),
                Ok(s) => panic!("{bad}: started on {}", s.address()),
            }
        }
    }

    #[test]
    fn starts_on_a_free_loopback_port_and_stops() {
        let s = Server::start(config("127.0.0.1")).unwrap();
        assert!(s.address().ip().is_loopback());
        assert_ne!(s.address().port(), 0);
        let link = s.new_link().unwrap();
        assert!(link.starts_with(&format!("http://{}/?token=", s.address())));
        s.stop();
    }
}
