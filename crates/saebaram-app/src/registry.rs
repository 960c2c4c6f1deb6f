//! The server-side job registry: long jobs run on their own threads, independent of any
//! browser tab; the page watches them through snapshots streamed as server-sent events.
//!
//! One job of each kind runs at a time (two plans would halve each other's speed; two
//! flashes would fight over the drives): a second start gets [`Busy`] with the running
//! job's id, and the page attaches to that job instead. Finished jobs are kept (the last
//! [`KEEP_FINISHED`]) so that a reopened tab shows how they ended.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::Value;
use tokio::sync::watch;

use crate::i18n::Message;

/// Finished jobs kept for reopened tabs.
pub(crate) const KEEP_FINISHED: usize = 32;

/// What a job is; one of each kind runs at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    /// A ranked plan of launch windows.
    Plan,
    /// Fetching a forecast.
    ForecastFetch,
    /// Clean a library, then pack an image.
    Prepare,
    /// Probe, write, wipe and verify a batch of drives.
    Flash,
    /// Convert videos for old players (`saebaram convert`).
    Convert,
    /// Records: unlock, add, correct, report, export, import (short, but the database
    /// takes one writer at a time).
    Records,
    /// A job used by the registry's own tests.
    #[cfg(test)]
    Test,
}

impl Kind {
    /// Whether a job of this kind may not start while one of `other` runs: the same kind,
    /// and preparing an image while a flash reads the previous one (or the other way round).
    pub(crate) fn conflicts_with(self, other: Kind) -> bool {
        self == other
            || matches!(
                (self, other),
                (Kind::Prepare, Kind::Flash) | (Kind::Flash, Kind::Prepare)
            )
    }
}

/// How a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum JobState {
    Running,
    /// Finished with a report (which may still say "no": a drive failed, no window).
    Done,
    /// Stopped by an error before a report.
    Failed,
    /// Stopped at the user's request.
    Cancelled,
}

/// One item's progress (a drive of a flash).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Item {
    /// Stable key (the drive's device path).
    pub key: String,
    /// What the person recognises it by (vendor and model), when known.
    pub label: Option<String>,
    /// Its size in bytes, when known.
    pub size_bytes: Option<u64>,
    /// State code (`probing`, `writing`, `wiping`, `verifying`, `passed`, `fake`, `failed`).
    pub state: String,
    /// Bytes (or steps) done and total of the current state.
    pub done: u64,
    pub total: u64,
    /// Bytes per second over the last second, when known.
    pub speed: Option<f64>,
    /// A message for this item (why it failed, the real size of a fake).
    pub message: Option<Message>,
}

/// One part of a job made of several (a plan of three sites runs three plans).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Part {
    /// 0-based.
    pub index: usize,
    pub count: usize,
    /// What the part is about (a site's name).
    pub label: String,
}

/// What the page sees of a job.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Snapshot {
    pub id: u64,
    pub kind: Kind,
    pub state: JobState,
    /// When it started, ms since the Unix epoch (the page shows KST and UTC).
    pub started_ms: u64,
    pub elapsed_ms: u64,
    /// The current stage's code (`flying`, `cleaning`, `packing`, ...).
    pub stage: Option<String>,
    /// Steps done and total of the current stage, and their unit (`windows`, `files`, `bytes`).
    pub done: u64,
    pub total: u64,
    pub unit: Option<String>,
    /// Which part of a job of several (the second of three sites), when it has parts.
    pub part: Option<Part>,
    pub items: Vec<Item>,
    pub warnings: Vec<Message>,
    /// Set when the job failed.
    pub error: Option<Message>,
    /// Whether `/api/jobs/{id}/result` has the report.
    pub has_result: bool,
    /// Bumped on every change: the stream sends a snapshot when it moved.
    pub version: u64,
}

/// A job's shared state.
pub(crate) struct Job {
    id: u64,
    kind: Kind,
    started: Instant,
    snapshot: Mutex<Snapshot>,
    result: Mutex<Option<Arc<Value>>>,
    cancel: AtomicBool,
    changed: watch::Sender<u64>,
}

impl Job {
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    pub(crate) fn kind(&self) -> Kind {
        self.kind
    }

    /// The current snapshot, with the elapsed time of now.
    pub(crate) fn snapshot(&self) -> Snapshot {
        let mut s = lock(&self.snapshot).clone();
        if s.state == JobState::Running {
            s.elapsed_ms = self.started.elapsed().as_millis() as u64;
        }
        s
    }

    /// The report of a finished job.
    pub(crate) fn result(&self) -> Option<Arc<Value>> {
        lock(&self.result).clone()
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    pub(crate) fn request_cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    fn update(&self, f: impl FnOnce(&mut Snapshot)) {
        let version = {
            let mut s = lock(&self.snapshot);
            f(&mut s);
            s.version += 1;
            s.version
        };
        self.changed.send_replace(version);
    }
}

/// What a running job uses to report: the face side of `saebaram_jobs::Progress`.
#[derive(Clone)]
pub(crate) struct Reporter {
    job: Arc<Job>,
}

impl Reporter {
    /// A new stage starts: its steps restart at zero.
    pub(crate) fn stage(&self, code: &str, total: u64, unit: &str) {
        self.job.update(|s| {
            s.stage = Some(code.to_owned());
            s.done = 0;
            s.total = total;
            s.unit = Some(unit.to_owned());
        });
    }

    /// The job moves on to part `index` of `count`; the stage restarts.
    pub(crate) fn part(&self, index: usize, count: usize, label: &str) {
        self.job.update(|s| {
            s.part = Some(Part {
                index,
                count,
                label: label.to_owned(),
            });
            s.stage = None;
            s.done = 0;
            s.total = 0;
        });
    }

    /// Steps done in the current stage.
    pub(crate) fn step(&self, done: u64, total: u64) {
        self.job.update(|s| {
            s.done = done;
            s.total = total;
        });
    }

    /// One more step done.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn inc(&self) {
        self.job.update(|s| s.done += 1);
    }

    /// An item's new state (added if new).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn item(&self, item: Item) {
        self.job
            .update(|s| match s.items.iter_mut().find(|i| i.key == item.key) {
                Some(old) => *old = item,
                None => s.items.push(item),
            });
    }

    pub(crate) fn warn(&self, message: Message) {
        self.job.update(|s| s.warnings.push(message));
    }

    pub(crate) fn cancelled(&self) -> bool {
        self.job.cancel.load(Ordering::Relaxed)
    }

    /// The job's id (a job keeps typed results under it).
    pub(crate) fn job_id(&self) -> u64 {
        self.job.id
    }
}

/// A second job of a kind that is running.
#[derive(Debug)]
pub(crate) struct Busy {
    pub running: u64,
    /// The running job's kind (the same, or one that conflicts).
    pub kind: Kind,
}

/// Every job of this server.
#[derive(Default)]
pub(crate) struct Registry {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    next_id: u64,
    jobs: BTreeMap<u64, Arc<Job>>,
}

/// What a job's body returns: its report, or the message of why it stopped.
pub(crate) type Outcome = Result<Value, Message>;

impl Registry {
    /// Starts `body` on a thread of its own unless a job of the same kind runs.
    pub(crate) fn start<F>(&self, kind: Kind, body: F) -> Result<Arc<Job>, Busy>
    where
        F: FnOnce(&Reporter) -> Outcome + Send + 'static,
    {
        let job = {
            let mut inner = lock(&self.inner);
            if let Some(running) = inner.jobs.values().find(|j| {
                kind.conflicts_with(j.kind) && lock(&j.snapshot).state == JobState::Running
            }) {
                return Err(Busy {
                    running: running.id,
                    kind: running.kind,
                });
            }
            inner.next_id += 1;
            let id = inner.next_id;
            let started_ms = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or(Duration::ZERO)
                .as_millis() as u64;
            let job = Arc::new(Job {
                id,
                kind,
                started: Instant::now(),
                snapshot: Mutex::new(Snapshot {
                    id,
                    kind,
                    state: JobState::Running,
                    started_ms,
                    elapsed_ms: 0,
                    stage: None,
                    done: 0,
                    total: 0,
                    unit: None,
                    part: None,
                    items: Vec::new(),
                    warnings: Vec::new(),
                    error: None,
                    has_result: false,
                    version: 0,
                }),
                result: Mutex::new(None),
                cancel: AtomicBool::new(false),
                changed: watch::channel(0).0,
            });
            inner.jobs.insert(id, job.clone());
            // Forget the oldest finished jobs beyond the kept number.
            let finished: Vec<u64> = inner
                .jobs
                .values()
                .filter(|j| lock(&j.snapshot).state != JobState::Running)
                .map(|j| j.id)
                .collect();
            for id in finished
                .iter()
                .take(finished.len().saturating_sub(KEEP_FINISHED))
            {
                inner.jobs.remove(id);
            }
            job
        };
        let reporter = Reporter { job: job.clone() };
        let spawned = std::thread::Builder::new()
            .name(format!("saebaram-job-{}", job.id))
            .spawn(move || {
                // A panic in a job must not take the server down: it becomes the job's error.
                let outcome =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(&reporter)))
                        .unwrap_or_else(|_| Err(Message::internal("the job stopped unexpectedly")));
                finish(&reporter.job, outcome);
            });
        if spawned.is_err() {
            finish(
                &job,
                Err(Message::internal("no thread could be started for the job")),
            );
        }
        Ok(job)
    }

    pub(crate) fn get(&self, id: u64) -> Option<Arc<Job>> {
        lock(&self.inner).jobs.get(&id).cloned()
    }

    /// Every kept job, oldest first.
    pub(crate) fn all(&self) -> Vec<Arc<Job>> {
        lock(&self.inner).jobs.values().cloned().collect()
    }

    /// Whether any job is running (the terminal asks before stopping the server).
    pub(crate) fn any_running(&self) -> bool {
        self.all()
            .iter()
            .any(|j| lock(&j.snapshot).state == JobState::Running)
    }
}

fn finish(job: &Job, outcome: Outcome) {
    let cancelled = job.cancel.load(Ordering::Relaxed);
    let elapsed_ms = job.started.elapsed().as_millis() as u64;
    match outcome {
        Ok(report) => {
            *lock(&job.result) = Some(Arc::new(report));
            job.update(|s| {
                s.state = JobState::Done;
                s.has_result = true;
                s.elapsed_ms = elapsed_ms;
            });
        }
        Err(message) => job.update(|s| {
            s.state = if cancelled {
                JobState::Cancelled
            } else {
                JobState::Failed
            };
            s.error = Some(message);
            s.elapsed_ms = elapsed_ms;
        }),
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    fn wait_finished(job: &Job) -> Snapshot {
        let t0 = Instant::now();
        loop {
            let s = job.snapshot();
            if s.state != JobState::Running {
                return s;
            }
            assert!(t0.elapsed() < Duration::from_secs(10), "job never finished");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn a_job_reports_progress_and_its_result() {
        let r = Registry::default();
        let job = r
            .start(Kind::Test, |p| {
                p.stage("counting", 3, "steps");
                for _ in 0..3 {
                    p.inc();
                }
                Ok(serde_json::json!({"answer": 42}))
            })
            .unwrap();
        let s = wait_finished(&job);
        assert_eq!(s.state, JobState::Done);
        assert_eq!((s.done, s.total), (3, 3));
        assert_eq!(s.stage.as_deref(), Some("counting"));
        assert!(s.has_result);
        assert_eq!(job.result().unwrap()["answer"], 42);
    }

    #[test]
    fn a_second_job_of_a_kind_is_refused_while_the_first_runs() {
        let r = Registry::default();
        let (tx, rx) = mpsc::channel::<()>();
        let first = r
            .start(Kind::Test, move |_| {
                rx.recv().ok();
                Ok(Value::Null)
            })
            .unwrap();
        let Err(busy) = r.start(Kind::Test, |_| Ok(Value::Null)) else {
            panic!("a second job started while the first ran");
        };
        assert_eq!(busy.running, first.id());
        assert!(r.any_running());
        tx.send(()).unwrap();
        wait_finished(&first);
        let second = r.start(Kind::Test, |_| Ok(Value::Null)).unwrap();
        assert_ne!(second.id(), first.id());
    }

    #[test]
    fn preparing_and_flashing_exclude_each_other() {
        let r = Registry::default();
        let (tx, rx) = mpsc::channel::<()>();
        let flash = r
            .start(Kind::Flash, move |_| {
                rx.recv().ok();
                Ok(Value::Null)
            })
            .unwrap();
        let Err(busy) = r.start(Kind::Prepare, |_| Ok(Value::Null)) else {
            panic!("an image was prepared while a flash read the last one");
        };
        assert_eq!((busy.running, busy.kind), (flash.id(), Kind::Flash));
        // Other kinds go on.
        let plan = r.start(Kind::Plan, |_| Ok(Value::Null)).unwrap();
        wait_finished(&plan);
        tx.send(()).unwrap();
        wait_finished(&flash);
        assert!(
            Kind::Flash.conflicts_with(Kind::Prepare) && !Kind::Plan.conflicts_with(Kind::Flash)
        );
    }

    #[test]
    fn a_panicking_job_fails_and_the_registry_goes_on() {
        let r = Registry::default();
        let job = r
            .start(Kind::Test, |_| -> Outcome { panic!("boom") })
            .unwrap();
        let s = wait_finished(&job);
        assert_eq!(s.state, JobState::Failed);
        assert_eq!(s.error.unwrap().code, "internal");
        let again = r.start(Kind::Test, |_| Ok(Value::Null)).unwrap();
        assert_eq!(wait_finished(&again).state, JobState::Done);
    }

    #[test]
    fn a_cancelled_job_says_so() {
        let r = Registry::default();
        let (tx, rx) = mpsc::channel::<()>();
        let job = r
            .start(Kind::Test, move |p| {
                rx.recv().ok();
                if p.cancelled() {
                    return Err(Message::new("cancelled", "stopped at the user's request"));
                }
                Ok(Value::Null)
            })
            .unwrap();
        job.request_cancel();
        tx.send(()).unwrap();
        assert_eq!(wait_finished(&job).state, JobState::Cancelled);
    }

    #[test]
    fn items_are_updated_in_place() {
        let r = Registry::default();
        let job = r
            .start(Kind::Test, |p| {
                for state in ["probing", "writing", "passed"] {
                    p.item(Item {
                        key: "sdb".into(),
                        label: None,
                        size_bytes: None,
                        state: state.into(),
                        done: 1,
                        total: 2,
                        speed: None,
                        message: None,
                    });
                }
                Ok(Value::Null)
            })
            .unwrap();
        let s = wait_finished(&job);
        assert_eq!(s.items.len(), 1);
        assert_eq!(s.items[0].state, "passed");
    }

    #[test]
    fn old_finished_jobs_are_forgotten() {
        let r = Registry::default();
        let mut last = None;
        for _ in 0..KEEP_FINISHED + 5 {
            let job = r.start(Kind::Test, |_| Ok(Value::Null)).unwrap();
            wait_finished(&job);
            last = Some(job.id());
        }
        assert!(r.all().len() <= KEEP_FINISHED + 1);
        assert!(r.get(last.unwrap()).is_some());
        assert!(r.get(1).is_none());
    }
}
