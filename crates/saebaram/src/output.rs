//! Rendering shared by every command: error chains and the exit status.

use std::process::ExitCode;

/// How a command that ran to the end went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Done, and the answer is yes (every file clean, every drive passed).
    Done,
    /// Ran, but the answer is no (a blocked file, a failed drive): exit code 1.
    Negative,
    /// Stopped by Ctrl-C or SIGTERM after cleaning up: exit with this code (130).
    Interrupted(u8),
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> Self {
        match status {
            Status::Done => ExitCode::SUCCESS,
            Status::Negative => ExitCode::from(1),
            Status::Interrupted(code) => ExitCode::from(code),
        }
    }
}

/// Prints `error: ...` and each cause on its own `Caused by:` line, to stderr.
pub fn print_error_chain(err: &anyhow::Error) {
    let mut message = format!("error: {err}");
    let mut causes = err.chain().skip(1).peekable();
    if causes.peek().is_some() {
        message.push_str("\n\nCaused by:");
        for cause in causes {
            message.push_str(&format!("\n  {cause}"));
        }
    }
    eprintln!("{message}");
}
