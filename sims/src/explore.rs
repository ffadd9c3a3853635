//! Explorer drivers: run one scenario function under loom, shuttle (random, PCT, DFS, replay)
//! or real threads, and report schedules explored, the first failure and its invariant.
//!
//! Budgets come from the environment (see [`Budget`]); every failure leaves a replayable
//! artefact (a shuttle schedule file, a loom checkpoint) and its path is in the outcome.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Budgets and seeds, from the environment with defaults sized for 2 cores.
#[derive(Clone, Debug)]
pub struct Budget {
    /// `REFRACE_SHUTTLE_ITERS`: schedules per shuttle scheduler (default 1000).
    pub shuttle_iters: usize,
    /// `REFRACE_SEED`: shuttle seed (default 0x5eed).
    pub seed: u64,
    /// `REFRACE_PCT_DEPTH`: PCT depth (default 3).
    pub pct_depth: usize,
    /// `REFRACE_STRESS_ITERS`: real-thread iterations (default 200).
    pub stress_iters: usize,
    /// `LOOM_MAX_PREEMPTIONS`: loom preemption bound (default 2).
    pub loom_preemptions: usize,
}

/// A number from the environment variable `name`, `default` when unset; a value that does not
/// parse is an error, not silently the default.
pub fn env_num<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) => default,
    }
}

impl Budget {
    /// Read the environment.
    pub fn from_env() -> Budget {
        Budget {
            shuttle_iters: env_num("REFRACE_SHUTTLE_ITERS", 1000),
            seed: env_num("REFRACE_SEED", 0x5eed),
            pct_depth: env_num("REFRACE_PCT_DEPTH", 3),
            stress_iters: env_num("REFRACE_STRESS_ITERS", 200),
            loom_preemptions: env_num("LOOM_MAX_PREEMPTIONS", 2),
        }
    }
}

/// Run `f` with panic messages silenced: for runs whose violations are expected and reported
/// through the returned [`Outcome`] instead.
pub fn quietly<T>(f: impl FnOnce() -> T) -> T {
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = f();
    std::panic::set_hook(prev);
    r
}

/// The first failing schedule of a run.
#[derive(Clone, Debug)]
pub struct Failure {
    /// 1-based number of the schedule that failed.
    pub schedule: usize,
    /// The panic message.
    pub message: String,
    /// The invariant named in it (`INVARIANT <NAME>:`), if any.
    pub invariant: Option<String>,
    /// A file that replays it, if the explorer wrote one.
    pub replay: Option<PathBuf>,
}

impl Failure {
    fn from_panic(
        schedule: usize,
        p: &(dyn std::any::Any + Send),
        replay: Option<PathBuf>,
    ) -> Self {
        let message = panic_message(p);
        Failure {
            schedule,
            invariant: invariant_of(&message),
            message,
            replay,
        }
    }
}

/// What one explorer run found.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Explorer name (`loom`, `shuttle-random`, `shuttle-pct`, `shuttle-dfs`, `stress`).
    pub explorer: String,
    /// Schedules (executions) run.
    pub schedules: usize,
    /// Schedules that failed (stress counts all; the others stop at the first).
    pub failures: usize,
    /// The first failure.
    pub first: Option<Failure>,
    /// Wall time.
    pub wall: Duration,
}

/// Extract `NAME` from the first `INVARIANT NAME:` in a message; loom's causality report
/// counts as `DATA_RACE`.
pub fn invariant_of(msg: &str) -> Option<String> {
    if let Some(i) = msg.find("INVARIANT ") {
        let rest = &msg[i + "INVARIANT ".len()..];
        let end = rest.find(':').unwrap_or(rest.len());
        return Some(rest[..end].to_string());
    }
    if msg.contains("Causality violation") {
        return Some("DATA_RACE".to_string());
    }
    None
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else {
        "panic with a non-string payload".to_string()
    }
}

fn outcome(explorer: &str, schedules: usize, first: Option<Failure>, t: Instant) -> Outcome {
    Outcome {
        explorer: explorer.to_string(),
        schedules,
        failures: usize::from(first.is_some()),
        first,
        wall: t.elapsed(),
    }
}

/// Run `f` `iters` times on real OS threads; count the failing runs.
pub fn stress(f: impl Fn(), iters: usize) -> Outcome {
    let t = Instant::now();
    let mut first = None;
    let mut failures = 0;
    for i in 0..iters {
        if let Err(p) = catch_unwind(AssertUnwindSafe(&f)) {
            failures += 1;
            if first.is_none() {
                first = Some(Failure::from_panic(i + 1, &*p, None));
            }
        }
    }
    let mut o = outcome("stress", iters, first, t);
    o.failures = failures;
    o
}

/// Which shuttle scheduler.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ShuttleMode {
    /// Uniformly random choices.
    Random,
    /// Probabilistic concurrency testing with the given depth.
    Pct(usize),
    /// Exhaustive depth-first search (small scenarios only).
    Dfs,
}

struct Counting<S> {
    inner: S,
    n: Arc<AtomicUsize>,
}

impl<S: shuttle::scheduler::Scheduler> shuttle::scheduler::Scheduler for Counting<S> {
    fn new_execution(&mut self) -> Option<shuttle::scheduler::Schedule> {
        let s = self.inner.new_execution();
        if s.is_some() {
            self.n.fetch_add(1, Ordering::Relaxed);
        }
        s
    }
    fn next_task(
        &mut self,
        runnable: &[&shuttle::scheduler::Task],
        current: Option<shuttle::scheduler::TaskId>,
        is_yielding: bool,
    ) -> Option<shuttle::scheduler::TaskId> {
        self.inner.next_task(runnable, current, is_yielding)
    }
    fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }
}

/// Directory where shuttle writes failing schedules (`target/refrace/shuttle`).
pub fn schedule_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/refrace/shuttle");
    let _ = std::fs::create_dir_all(&d);
    d
}

fn schedule_files(dir: &std::path::Path) -> std::collections::BTreeSet<PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

/// Run `f` under shuttle for at most `iters` schedules; stop at the first failure.
pub fn shuttle_run<F>(f: F, mode: ShuttleMode, iters: usize, seed: u64) -> Outcome
where
    F: Fn() + Send + Sync + 'static,
{
    use shuttle::scheduler::{DfsScheduler, PctScheduler, RandomScheduler};
    let t = Instant::now();
    let before = schedule_files(&schedule_dir());
    let n = Arc::new(AtomicUsize::new(0));
    let mut config = shuttle::Config::new();
    config.failure_persistence = shuttle::FailurePersistence::File(Some(schedule_dir()));
    config.silence_warnings = true;
    let counter = n.clone();
    let res = catch_unwind(AssertUnwindSafe(move || match mode {
        ShuttleMode::Random => shuttle::Runner::new(
            Counting {
                inner: RandomScheduler::new_from_seed(seed, iters),
                n: counter,
            },
            config,
        )
        .run(f),
        ShuttleMode::Pct(d) => shuttle::Runner::new(
            Counting {
                inner: PctScheduler::new_from_seed(seed, d, iters),
                n: counter,
            },
            config,
        )
        .run(f),
        ShuttleMode::Dfs => shuttle::Runner::new(
            Counting {
                inner: DfsScheduler::new(Some(iters), false),
                n: counter,
            },
            config,
        )
        .run(f),
    }));
    let name = match mode {
        ShuttleMode::Random => "shuttle-random",
        ShuttleMode::Pct(_) => "shuttle-pct",
        ShuttleMode::Dfs => "shuttle-dfs",
    };
    let schedules = n.load(Ordering::Relaxed);
    let first = res.err().map(|p| {
        // File timestamps are coarse: take the file that appeared during this run.
        let file = schedule_files(&schedule_dir())
            .difference(&before)
            .last()
            .cloned();
        Failure::from_panic(schedules, &*p, file)
    });
    outcome(name, schedules, first, t)
}

/// Replay a shuttle schedule file against `f`; `Err` carries the panic message.
pub fn shuttle_replay<F>(f: F, path: &std::path::Path) -> Result<(), String>
where
    F: Fn() + Send + Sync + 'static,
{
    let p = path.to_path_buf();
    catch_unwind(AssertUnwindSafe(move || {
        shuttle::replay_from_file(f, p.to_str().expect("utf-8 path"))
    }))
    .map_err(|p| panic_message(&*p))
}

/// Run `f` under loom with the preemption bound `bound`; stop at the first failure.
#[cfg(feature = "loom")]
pub fn loom_run<F>(name: &str, f: F, bound: usize) -> Outcome
where
    F: Fn() + Send + Sync + 'static,
{
    let t = Instant::now();
    static ITERS: AtomicUsize = AtomicUsize::new(0);
    ITERS.store(0, Ordering::Relaxed);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/refrace/loom");
    let _ = std::fs::create_dir_all(&dir);
    let checkpoint = dir.join(format!("{name}.json"));
    // loom resumes from an existing checkpoint: start every exploration fresh. With interval 1
    // the file holds the path of the last execution, i.e. the failing one (see `loom_replay`).
    let _ = std::fs::remove_file(&checkpoint);
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(bound);
    b.checkpoint_file = Some(checkpoint.clone());
    b.checkpoint_interval = 1;
    let res = catch_unwind(AssertUnwindSafe(|| {
        b.check(move || {
            ITERS.fetch_add(1, Ordering::Relaxed);
            f()
        })
    }));
    let schedules = ITERS.load(Ordering::Relaxed);
    let first = res
        .err()
        .map(|p| Failure::from_panic(schedules, &*p, Some(checkpoint)));
    outcome("loom", schedules, first, t)
}

/// Re-run the execution stored in a loom checkpoint (the failing one, when a run failed).
#[cfg(feature = "loom")]
pub fn loom_replay<F>(f: F, checkpoint: &std::path::Path, bound: usize) -> Result<(), String>
where
    F: Fn() + Send + Sync + 'static,
{
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(bound);
    b.checkpoint_file = Some(checkpoint.to_path_buf());
    b.max_permutations = Some(1);
    catch_unwind(AssertUnwindSafe(|| b.check(f))).map_err(|p| panic_message(&*p))
}
