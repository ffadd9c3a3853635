//! A shuttle scheduler whose choices are bytes of a fuzz input, so that libFuzzer's coverage
//! guidance searches schedules the way it searches data (the `interleaving` fuzz target).
//!
//! One execution per scheduler. At each point where more than one task can run, the next byte
//! picks `runnable[byte % len]`; points with a single runnable task consume nothing, so every
//! byte is a real choice. When the bytes run out the schedule goes on pseudo-randomly, from a
//! generator seeded by the caller (the fuzz target passes a hash of its whole input): still a
//! function of the input, but every input explores a whole random schedule instead of a fixed
//! tail, which is what finds races fast (uniformly random choices find #14738 in about one
//! schedule once the clients' commands have its shape). Random values asked of the scheduler
//! (`next_u64`) come from the same bytes, then from the generator.
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
    /// xorshift64 state for the choices after the bytes (never 0).
    rng: u64,
}

impl BytesScheduler {
    /// A scheduler that takes its choices from `bytes`, then from a generator seeded by `seed`.
    pub fn new(bytes: &[u8], seed: u64) -> Self {
        BytesScheduler {
            bytes: bytes.to_vec(),
            pos: 0,
            started: false,
            rng: seed | 1,
        }
    }

    /// The next byte of the input, else of the generator.
    fn next_byte(&mut self) -> u8 {
        if let Some(&b) = self.bytes.get(self.pos) {
            self.pos += 1;
            return b;
        }
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (self.rng >> 56) as u8
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
        _current: Option<TaskId>,
        _is_yielding: bool,
    ) -> Option<TaskId> {
        if runnable.len() == 1 {
            return Some(runnable[0].id());
        }
        Some(runnable[self.next_byte() as usize % runnable.len()].id())
    }

    fn next_u64(&mut self) -> u64 {
        (0..8).fold(0u64, |v, _| v << 8 | u64::from(self.next_byte()))
    }
}

/// FNV-1a of `bytes`: the generator seed a fuzz input gives its schedule's tail.
pub fn seed_of(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Run `f` once under shuttle with the schedule `bytes` encode (then `seed`'s generator). A
/// panic in any model thread
/// (an `INVARIANT` violation, a data race shuttle's vector clocks detect, a deadlock) is
/// re-raised here, on the calling thread.
pub fn run_with_schedule<F>(f: F, bytes: &[u8], seed: u64)
where
    F: Fn() + Send + Sync + 'static,
{
    let mut config = shuttle::Config::new();
    config.failure_persistence = shuttle::FailurePersistence::None;
    config.silence_warnings = true;
    shuttle::Runner::new(BytesScheduler::new(bytes, seed), config).run(f);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// Two threads append their id; the byte schedule decides the order, and the same bytes
    /// give the same order.
    fn order(bytes: &[u8], seed: u64) -> Vec<usize> {
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
            seed,
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
            let a = order(&bytes, 1);
            assert_eq!(a, order(&bytes, 1), "bytes {bytes:?} did not replay");
            assert_eq!(a.len(), 6);
            seen.insert(a);
        }
        assert!(seen.len() >= 10, "bytes reached only {} orders", seen.len());
    }

    /// Without bytes, the seed alone decides the schedule, and replays it.
    #[test]
    fn the_seed_decides_the_tail() {
        let orders: std::collections::BTreeSet<_> = (0..64u64)
            .map(|seed| {
                let a = order(&[], seed);
                assert_eq!(a, order(&[], seed));
                a
            })
            .collect();
        assert!(
            orders.len() >= 5,
            "seeds reached only {} orders",
            orders.len()
        );
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
            7,
        );
        assert_eq!(runs.load(Ordering::Relaxed), 1);
    }
}
