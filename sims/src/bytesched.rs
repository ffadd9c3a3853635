//! A shuttle scheduler whose choices are bytes of a fuzz input, so that libFuzzer's coverage
//! guidance searches schedules the way it searches data (the `interleaving` fuzz target).
//!
//! One execution per scheduler. At each point where more than one task can run, the next byte
//! picks `runnable[byte % len]`; points with a single runnable task consume nothing, so every
//! byte is a real choice. When the bytes run out the schedule goes on deterministically: the
//! current task keeps running while it can (round-robin when it yields). Random values asked
//! of the scheduler (`next_u64`) come from the same bytes, 0 once exhausted.
//!
//! The same bytes replay the same schedule, without libFuzzer: that is how a fuzz crash becomes
//! a regression test ([`run_with_schedule`]).

use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};

/// Schedules one execution from `bytes`.
#[derive(Clone, Debug)]
pub struct BytesScheduler {
    bytes: Vec<u8>,
    pos: usize,
    started: bool,
}

impl BytesScheduler {
    /// A scheduler that takes its choices from `bytes`.
    pub fn new(bytes: &[u8]) -> Self {
        BytesScheduler {
            bytes: bytes.to_vec(),
            pos: 0,
            started: false,
        }
    }

    fn next_byte(&mut self) -> Option<u8> {
        let b = self.bytes.get(self.pos).copied();
        self.pos += usize::from(b.is_some());
        b
    }
}

impl Scheduler for BytesScheduler {
    fn new_execution(&mut self) -> Option<Schedule> {
        if self.started {
            return None;
        }
        self.started = true;
        Some(Schedule::new(0))
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        if runnable.len() == 1 {
            return Some(runnable[0].id());
        }
        if let Some(b) = self.next_byte() {
            return Some(runnable[b as usize % runnable.len()].id());
        }
        let at = current.and_then(|c| runnable.iter().position(|t| t.id() == c));
        Some(match at {
            Some(i) if is_yielding => runnable[(i + 1) % runnable.len()].id(),
            Some(i) => runnable[i].id(),
            None => runnable[0].id(),
        })
    }

    fn next_u64(&mut self) -> u64 {
        let mut v = 0u64;
        for _ in 0..8 {
            v = v << 8 | u64::from(self.next_byte().unwrap_or(0));
        }
        v
    }
}

/// Run `f` once under shuttle with the schedule `bytes` encode. A panic in any model thread
/// (an `INVARIANT` violation, a data race shuttle's vector clocks detect, a deadlock) is
/// re-raised here, on the calling thread.
pub fn run_with_schedule<F>(f: F, bytes: &[u8])
where
    F: Fn() + Send + Sync + 'static,
{
    let mut config = shuttle::Config::new();
    config.failure_persistence = shuttle::FailurePersistence::None;
    config.silence_warnings = true;
    shuttle::Runner::new(BytesScheduler::new(bytes), config).run(f);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// Two threads append their id; the byte schedule decides the order, and the same bytes
    /// give the same order.
    fn order(bytes: &[u8]) -> Vec<usize> {
        let out = Arc::new(std::sync::Mutex::new(Vec::new()));
        let o = out.clone();
        run_with_schedule(
            move || {
                let log = Arc::new(shuttle::sync::Mutex::new(Vec::new()));
                let hs: Vec<_> = (0..2)
                    .map(|i| {
                        let log = log.clone();
                        shuttle::thread::spawn(move || {
                            for _ in 0..3 {
                                log.lock().unwrap().push(i);
                                shuttle::thread::yield_now();
                            }
                        })
                    })
                    .collect();
                for h in hs {
                    h.join().unwrap();
                }
                *o.lock().unwrap() = log.lock().unwrap().clone();
            },
            bytes,
        );
        let v = out.lock().unwrap().clone();
        v
    }

    #[test]
    fn bytes_decide_the_schedule_and_replay_it() {
        let mut seen = std::collections::BTreeSet::new();
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..256 {
            let bytes: Vec<u8> = (0..32)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            let a = order(&bytes);
            assert_eq!(a, order(&bytes), "bytes {bytes:?} did not replay");
            assert_eq!(a.len(), 6);
            seen.insert(a);
        }
        assert!(seen.len() >= 10, "bytes reached only {} orders", seen.len());
    }

    #[test]
    fn exhausted_bytes_give_one_execution_and_terminate() {
        let runs = Arc::new(AtomicUsize::new(0));
        let r = runs.clone();
        run_with_schedule(
            move || {
                r.fetch_add(1, Ordering::Relaxed);
                let h = shuttle::thread::spawn(shuttle::thread::yield_now);
                shuttle::thread::yield_now();
                h.join().unwrap();
            },
            &[],
        );
        assert_eq!(runs.load(Ordering::Relaxed), 1);
    }
}
