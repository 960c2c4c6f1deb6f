//! `saebaram app`: starts the local web app (`saebaram-app`), prints its one-time link and
//! opens it in the browser. The server, its security and every screen live in the app
//! crate; this module only parses the flags, prints and opens the browser.

use std::io::BufRead as _;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::output::Status;

/// Arguments of `saebaram app`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  saebaram app                      start the app and open it in the default browser
  saebaram app --no-browser         only print the link (open it in any browser on this computer)
  saebaram app --port 8700          listen on port 8700 instead of a free one

The app listens on this computer only (127.0.0.1): no other computer can reach it, and it
needs no internet. The printed link holds a one-time token: opening it connects that browser,
and the link stops working. Press Enter in this terminal for a new link (for another browser,
or after closing the browser); press Ctrl-C to stop the app. A flash or plan running in the
app keeps running when its browser tab is closed; reopen the app to see it.

새바람 앱은 이 컴퓨터 안에서만 열립니다 (127.0.0.1). 다른 컴퓨터는 접속할 수 없고 인터넷도
필요 없습니다. 표시된 링크는 한 번만 쓸 수 있습니다. 새 링크가 필요하면 Enter 키를, 앱을
끄려면 Ctrl-C를 누르십시오.")]
pub struct AppArgs {
    /// Do not open the browser; only print the link.
    #[arg(long)]
    pub no_browser: bool,
    /// Port to listen on (default: any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The loopback address to listen on: 127.0.0.1 or ::1. Any other address is refused:
    /// the app never listens where another computer could reach it.
    #[arg(long, value_name = "IP", default_value = "127.0.0.1")]
    pub address: IpAddr,
    /// A regular file offered as a drive on the Drives screen (hidden: for tests and
    /// demonstrations; the flash job writes files only when they are named here).
    #[arg(long, hide = true, value_name = "FILE")]
    pub file_drive: Vec<std::path::PathBuf>,
    #[command(flatten)]
    pub system: crate::commands::drives::SystemArgs,
}

/// Runs `saebaram app` until Ctrl-C.
pub fn run(args: AppArgs, env: &saebaram_jobs::Env) -> anyhow::Result<Status> {
    let home = directories::BaseDirs::new()
        .map(|d| d.home_dir().to_path_buf())
        .context("cannot find the home directory")?;
    let config = saebaram_app::Config {
        address: args.address,
        port: args.port,
        env: env.clone(),
        home_dir: home,
        system: args.system.roots(),
        file_drives: args.file_drive.clone(),
        // The same test-only knob as `records init` (`SAEBARAM_RECORDS_KDF=test`).
        records_test_kdf: std::env::var("SAEBARAM_RECORDS_KDF").as_deref() == Ok("test"),
    };
    let server = saebaram_app::Server::start(config).context("cannot start the app")?;
    let link = server.new_link()?;
    // The link alone on stdout (scripts and tests read it); the words for people on stderr.
    println!("{link}");
    eprintln!(
        "새바람 앱이 켜졌습니다: 브라우저에서 위 링크를 여십시오 (한 번만 쓸 수 있음).\n\
         saebaram app is running: open the link above in a browser (it works once).\n\
         Enter: 새 링크 / a new link    Ctrl-C: 끄기 / stop"
    );
    if !args.no_browser {
        open_browser(&link);
    }
    // Each Enter prints (and opens) a new one-time link. The thread ends with stdin.
    let links = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            if line.is_err() || links.0.send(()).is_err() {
                break;
            }
        }
    });
    let new_links = links.1;
    let server = std::sync::Arc::new(server);
    let waiter = server.clone();
    let interrupts = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        while waiter.wait_for_interrupt() {
            if interrupts.0.send(()).is_err() {
                break;
            }
        }
    });
    let mut warned: Option<Instant> = None;
    loop {
        if new_links.try_recv().is_ok() {
            let link = server.new_link()?;
            println!("{link}");
            if !args.no_browser {
                open_browser(&link);
            }
        }
        match interrupts.1.recv_timeout(Duration::from_millis(100)) {
            Ok(()) => {
                let again = warned.is_some_and(|t| t.elapsed() < Duration::from_secs(10));
                if server.jobs_running() && !again {
                    eprintln!(
                        "작업이 아직 진행 중입니다 (USB에 쓰는 중이면 USB가 망가질 수 있습니다). \
                         그래도 끄려면 10초 안에 Ctrl-C를 한 번 더 누르십시오.\n\
                         A job is still running (stopping a drive write leaves the drive unusable). \
                         Press Ctrl-C again within 10 s to stop anyway."
                    );
                    warned = Some(Instant::now());
                    continue;
                }
                break;
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    eprintln!("새바람 앱을 껐습니다. / saebaram app stopped.");
    Ok(Status::Done)
}

/// Opens the link in the default browser; if that fails, the printed link is enough.
fn open_browser(link: &str) {
    if let Err(e) = open::that_detached(link) {
        eprintln!(
            "브라우저를 열 수 없습니다: 위 링크를 직접 여십시오. / Cannot open a browser ({e}): open the link above yourself."
        );
    }
}
