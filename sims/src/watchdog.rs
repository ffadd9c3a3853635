//! The watchdog: no run can hang instead of being reported.
//!
//! Every explorer run ([`crate::explore::Explorer::run_fn`]) and every replay runs on a thread
//! of its own while the calling thread watches a [`Progress`] counter that the explorer ticks
//! (shuttle at every scheduling decision, loom and real threads at every execution). When the
//! counter stands still for the stall interval (`REFRACE_WATCHDOG_SECS`, default 60 s) the run
//! is reported as [`Invariant::Stuck`](refrace_model::Invariant::Stuck) with what the explorer
//! had recorded so far (the schedule of the execution in progress, for shuttle), and the caller
//! goes on; the stuck thread is abandoned (it ends with the process).
//!
//! The explorers' own detectors come first where they exist: shuttle reports a deadlock of
//! shim primitives and an execution past its step bound, loom a deadlock and an execution past
//! its branch bound; the watchdog catches what none of them can see (a thread blocked outside
//! the shim, a loop without a scheduling point, a real-thread run waiting forever).

use crate::quiet::quietly;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A counter the watched run ticks whenever it makes progress.
#[derive(Clone, Debug, Default)]
pub struct Progress(Arc<AtomicU64>);

impl Progress {
    /// Record progress.
    pub fn tick(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    /// Ticks so far.
    pub fn count(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// The stall interval: `REFRACE_WATCHDOG_SECS` (default 60; fractions allowed).
pub fn stall_from_env() -> Duration {
    let secs: f64 = crate::explore::env_num("REFRACE_WATCHDOG_SECS", 60.0);
    Duration::from_secs_f64(secs.max(0.001))
}

/// How a watched run ended without a result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stalled {
    /// How long the progress counter had stood still.
    pub after: Duration,
}

/// Run `f` on a thread of its own (quietly, like every explorer run) and wait for its result,
/// unless `progress` stands still for `stall`: then `Err(Stalled)` and `f`'s thread is
/// abandoned. A panic escaping `f` is re-raised here.
pub fn watch<T, F>(name: &str, stall: Duration, progress: &Progress, f: F) -> Result<T, Stalled>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, rx) = channel();
    let handle = std::thread::Builder::new()
        .name(format!("refrace-run-{name}"))
        .spawn(move || {
            let _ = tx.send(quietly(f));
        })
        .expect("spawn the watched run's thread");
    let poll = (stall / 4).clamp(Duration::from_millis(1), Duration::from_secs(1));
    let (mut seen, mut since) = (progress.count(), Instant::now());
    loop {
        match rx.recv_timeout(poll) {
            Ok(v) => {
                let _ = handle.join();
                return Ok(v);
            }
            Err(RecvTimeoutError::Timeout) => {
                let now = progress.count();
                if now != seen {
                    (seen, since) = (now, Instant::now());
                } else if since.elapsed() >= stall {
                    return Err(Stalled {
                        after: since.elapsed(),
                    });
                }
            }
            Err(RecvTimeoutError::Disconnected) => match handle.join() {
                Err(p) => std::panic::resume_unwind(p),
                Ok(()) => unreachable!("the watched thread ended without sending its result"),
            },
        }
    }
}

/// The text of a stuck run's report (`INVARIANT STUCK: …`).
pub fn stuck_message(what: &str, s: Stalled) -> String {
    format!(
        "INVARIANT {}: {what} made no progress for {:.1} s (watchdog, REFRACE_WATCHDOG_SECS): a thread waits for one that will never answer, or loops without a scheduling point",
        refrace_model::Invariant::Stuck,
        s.after.as_secs_f64()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_that_ends_returns_its_result() {
        let p = Progress::default();
        assert_eq!(watch("ok", Duration::from_secs(5), &p, || 7), Ok(7));
    }

    #[test]
    fn a_run_that_keeps_ticking_is_not_stuck() {
        let p = Progress::default();
        let q = p.clone();
        let r = watch("ticking", Duration::from_millis(100), &p, move || {
            for _ in 0..30 {
                q.tick();
                std::thread::sleep(Duration::from_millis(10));
            }
            1
        });
        assert_eq!(r, Ok(1));
    }

    #[test]
    fn a_run_that_stops_ticking_is_reported_stuck() {
        let p = Progress::default();
        let t = Instant::now();
        let r = watch("stuck", Duration::from_millis(100), &p, || {
            // Blocked for good, outside any explorer's view.
            let (_tx, rx) = std::sync::mpsc::channel::<()>();
            let _ = rx.recv();
        });
        let s = r.expect_err("must be reported stuck");
        assert!(s.after >= Duration::from_millis(100), "{s:?}");
        assert!(t.elapsed() < Duration::from_secs(5));
        assert!(stuck_message("run 1", s).starts_with("INVARIANT STUCK: run 1 made no progress"));
    }

    #[test]
    fn a_panic_escaping_the_run_is_re_raised() {
        let p = Progress::default();
        let r = std::panic::catch_unwind(|| {
            watch("boom", Duration::from_secs(5), &p, || -> u8 {
                panic!("escaped")
            })
        });
        assert!(r.is_err());
    }
}
