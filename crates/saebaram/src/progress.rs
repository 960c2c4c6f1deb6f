//! The jobs' progress events on the terminal: a progress bar per stage that takes longer
//! than a moment, `note:` and `warning:` lines on stderr.

use std::collections::HashMap;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};
use saebaram_jobs::{Event, Level, Progress, Stage, Warning};

/// Renders events on stderr (bars are hidden when stderr is not a terminal).
#[derive(Default)]
pub struct Terminal {
    bars: Mutex<HashMap<Stage, ProgressBar>>,
    messages: HashMap<Stage, String>,
    quiet: bool,
}

impl Terminal {
    /// Bars and notes.
    pub fn new() -> Terminal {
        Terminal::default()
    }

    /// Shows `message` beside the bar of `stage` (e.g. "200 members each").
    pub fn with_message(mut self, stage: Stage, message: String) -> Terminal {
        self.messages.insert(stage, message);
        self
    }

    /// No bars and no notes (warnings still print).
    pub fn quiet(mut self, quiet: bool) -> Terminal {
        self.quiet = quiet;
        self
    }

    fn template(stage: Stage) -> Option<&'static str> {
        match stage {
            Stage::Flights => Some("{spinner} {msg} [{bar:30}] {pos}/{len} windows {elapsed}"),
            Stage::Cleaning => {
                Some("{bar:30} {bytes}/{total_bytes} {bytes_per_sec} eta {eta} {wide_msg}")
            }
            Stage::Packing => {
                Some("{msg} {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
            }
            _ => None,
        }
    }

    /// Prints a warning or note line, above any bar.
    pub fn line(&self, warning: &Warning) {
        if self.quiet && warning.level() == Level::Note {
            return;
        }
        let text = match warning.level() {
            Level::Note => both_languages("note", warning),
            Level::Warning => both_languages("warning", warning),
        };
        let bars = self.bars.lock().ok();
        match bars.as_ref().and_then(|b| b.values().next()) {
            Some(bar) => bar.suspend(|| eprintln!("{text}")),
            None => eprintln!("{text}"),
        }
    }
}

/// `label: <Korean>` and the English words under it (`label: <English>` alone when the app
/// has no Korean text for the warning): the same Korean the app shows.
pub fn both_languages(label: &str, warning: &Warning) -> String {
    match saebaram_app::korean_warning(warning) {
        Some(ko) => format!(
            "{label}: {ko}\n{:width$}  {warning}",
            "",
            width = label.len()
        ),
        None => format!("{label}: {warning}"),
    }
}

impl Progress for Terminal {
    /// Ctrl-C, for the commands that installed [`crate::interrupt::catch`].
    fn cancelled(&self) -> bool {
        crate::interrupt::requested()
    }

    fn event(&self, event: Event) {
        match event {
            Event::StageStarted { stage, total, .. } => {
                let Some(template) = Terminal::template(stage).filter(|_| !self.quiet) else {
                    return;
                };
                let bar = ProgressBar::new(total.unwrap_or(0));
                bar.set_style(
                    ProgressStyle::with_template(template)
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                if let Some(m) = self.messages.get(&stage) {
                    bar.set_message(m.clone());
                }
                if let Ok(mut bars) = self.bars.lock() {
                    bars.insert(stage, bar);
                }
            }
            Event::Step {
                stage, done, total, ..
            } => {
                if let Some(bar) = self.bars.lock().ok().and_then(|b| b.get(&stage).cloned()) {
                    if let Some(total) = total {
                        bar.set_length(total);
                    }
                    bar.set_position(done);
                }
            }
            Event::StageFinished { stage } => {
                if let Some(bar) = self.bars.lock().ok().and_then(|mut b| b.remove(&stage)) {
                    bar.finish_and_clear();
                }
            }
            Event::Item {
                stage,
                done,
                total,
                name,
            } => {
                if let Some(bar) = self.bars.lock().ok().and_then(|b| b.get(&stage).cloned()) {
                    bar.set_message(format!("{done}/{total} files  {name}"));
                }
            }
            Event::Warning { warning } => self.line(&warning),
            _ => {}
        }
    }
}
