//! Explorer drivers: one [`Explorer`] type, a variant per explorer (shuttle random, PCT and
//! DFS, real threads, and loom in the `loom` build) with its parameters inside (PCT depth, loom's
//! preemption bound), and one [`Explorer::run`] that runs a scenario (or any closure:
//! [`Explorer::run_fn`]) and reports schedules explored and the first failure with its
//! [`Invariant`] as an [`Outcome`]. Runs are [`quietly`]: violations are reported through the
//! outcome, not printed. Replays: [`shuttle_replay`] (a shuttle schedule file) and
//! `loom_replay` (a loom checkpoint; the `loom` build).
//!
//! Budgets and parameters come from the environment (see [`Budget`]); every failure of a
//! replayable explorer leaves an artefact (a shuttle schedule file, a loom checkpoint) and its
//! path is in the outcome.

use crate::quiet::quietly;
use crate::schedule::{point, Decisions, Taken};
use crate::watchdog::{self, stuck_message, Progress, Stalled};
use refrace_model::Invariant;
use shuttle::scheduler::{Schedule, Scheduler};
use shuttle_engine::scheduler::serialization::serialize_schedule;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Budgets, seeds and explorer parameters of the lanes, from the environment with defaults
/// sized for 2 cores.
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
    /// `REFRACE_LOOM_BUDGET`: executions per loom exploration (default: none, exhaustive within
    /// the bound). With a budget a run that reaches it is reported as not exhaustive.
    pub loom_budget: usize,
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
            loom_budget: env_num("REFRACE_LOOM_BUDGET", UNBOUNDED),
        }
    }

    /// PCT at `REFRACE_PCT_DEPTH`.
    pub fn pct(&self) -> Explorer {
        Explorer::ShuttlePct {
            depth: self.pct_depth,
        }
    }

    /// loom at `LOOM_MAX_PREEMPTIONS`.
    #[cfg(feature = "loom")]
    pub fn loom(&self) -> Explorer {
        Explorer::Loom {
            preemptions: self.loom_preemptions,
        }
    }
}

/// The first failing schedule of a run.
#[derive(Clone, Debug)]
pub struct Failure {
    /// 1-based number of the schedule that failed.
    pub schedule: usize,
    /// The panic message.
    pub message: String,
    /// The invariant named in it (`INVARIANT <NAME>:`), if any.
    pub invariant: Option<Invariant>,
    /// A file that replays it, if the explorer wrote one.
    pub replay: Option<PathBuf>,
    /// The failing execution's choices in the model-level format (shuttle explorers only).
    pub decisions: Option<Decisions>,
}

impl Failure {
    fn from_panic(
        schedule: usize,
        p: &(dyn std::any::Any + Send),
        replay: Option<PathBuf>,
    ) -> Self {
        Failure::from_message(schedule, panic_message(p), replay)
    }

    fn from_message(schedule: usize, message: String, replay: Option<PathBuf>) -> Self {
        Failure {
            schedule,
            invariant: invariant_of(&message),
            message,
            replay,
            decisions: None,
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

/// The invariant a violation's text names: its `INVARIANT <NAME>:` ([`Invariant::of_message`]);
/// a bare loom causality report (a race loom found on a cell other than a refcount word, which
/// the sync shim reports itself) counts as [`Invariant::DataRace`].
///
/// The explorers' own reports of a run that cannot end count as [`Invariant::Stuck`]: shuttle's
/// deadlock and step bound, loom's deadlock and branch bound.
pub fn invariant_of(msg: &str) -> Option<Invariant> {
    Invariant::of_message(msg).or_else(|| {
        if msg.contains("Causality violation") {
            Some(Invariant::DataRace)
        } else if msg.starts_with("deadlock")
            || msg.starts_with("exceeded max_steps bound")
            || msg.starts_with("Model exceeded maximum number of branches")
        {
            Some(Invariant::Stuck)
        } else {
            None
        }
    })
}

/// The text of a panic payload.
pub fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
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

/// A budget that does not bound the run: loom explores every interleaving within its bound.
pub const UNBOUNDED: usize = usize::MAX;

/// An explorer, with its parameters.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Explorer {
    /// shuttle, uniformly random schedules.
    ShuttleRandom,
    /// shuttle, probabilistic concurrency testing.
    ShuttlePct {
        /// PCT depth (the bug depth it targets: d-1 priority change points).
        depth: usize,
    },
    /// shuttle, exhaustive depth-first search (bounded by the budget). Suits only small worlds
    /// ([`Explorer::suits`]).
    ShuttleDfs,
    /// Real OS threads, repeated runs.
    Stress,
    /// loom: every interleaving within the preemption bound (the `loom` build only: loom
    /// replaces the sync shim for the whole build, so it is the only explorer there).
    #[cfg(feature = "loom")]
    Loom {
        /// Preemptions per execution at most.
        preemptions: usize,
    },
}

impl Explorer {
    /// PCT with the depth the proof uses (3).
    pub const PCT: Explorer = Explorer::ShuttlePct { depth: 3 };

    /// Every explorer of this build, with default parameters.
    #[cfg(not(feature = "loom"))]
    pub const ALL: [Explorer; 4] = [
        Explorer::ShuttleRandom,
        Explorer::PCT,
        Explorer::ShuttleDfs,
        Explorer::Stress,
    ];

    /// Every explorer of this build, with default parameters.
    #[cfg(feature = "loom")]
    pub const ALL: [Explorer; 1] = [Explorer::Loom { preemptions: 2 }];

    /// Its name on the command line and in reports (parameters are not part of it).
    pub fn name(self) -> &'static str {
        match self {
            Explorer::ShuttleRandom => "shuttle-random",
            Explorer::ShuttlePct { .. } => "shuttle-pct",
            Explorer::ShuttleDfs => "shuttle-dfs",
            Explorer::Stress => "stress",
            #[cfg(feature = "loom")]
            Explorer::Loom { .. } => "loom",
        }
    }

    /// One line: what it does.
    pub fn about(self) -> String {
        match self {
            Explorer::ShuttleRandom => "shuttle, uniformly random scheduling choices, seeded".into(),
            Explorer::ShuttlePct { depth } => format!("shuttle PCT (depth {depth}): random priorities with d-1 priority changes, seeded"),
            Explorer::ShuttleDfs => "shuttle depth-first search over all schedules, up to the budget (one IO thread, no BIO thread)".into(),
            Explorer::Stress => "real OS threads, repeated runs (what the hardware happens to do; not replayable)".into(),
            #[cfg(feature = "loom")]
            Explorer::Loom { preemptions } => format!("loom, every interleaving with at most {preemptions} preemptions"),
        }
    }

    /// Parse a name (default parameters).
    pub fn parse(s: &str) -> Result<Explorer, String> {
        Explorer::ALL
            .into_iter()
            .find(|e| e.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Explorer::ALL.iter().map(|e| e.name()).collect();
                format!(
                    "unknown explorer '{s}'; known: {} (loom: its own build, `--features loom`)",
                    names.join(", ")
                )
            })
    }

    /// Whether it records a replayable schedule (a shuttle schedule or a loom checkpoint).
    pub fn replayable(self) -> bool {
        self != Explorer::Stress
    }

    /// Whether it must catch every fault a scenario lists within its budget: shuttle random
    /// and PCT, and loom (exhaustive within its bound). DFS (bounded, small worlds only) and
    /// real threads (no control over the interleaving) report what they see.
    pub fn must_catch(self) -> bool {
        match self {
            Explorer::ShuttleRandom | Explorer::ShuttlePct { .. } => true,
            Explorer::ShuttleDfs | Explorer::Stress => false,
            #[cfg(feature = "loom")]
            Explorer::Loom { .. } => true,
        }
    }

    /// Whether it is loom (exhaustive within its bound, or up to a budget).
    pub fn is_loom(self) -> bool {
        match self {
            #[cfg(feature = "loom")]
            Explorer::Loom { .. } => true,
            _ => false,
        }
    }

    /// Whether it suits `spec`: DFS only for worlds with one IO thread and no BIO thread (its
    /// tree grows too fast otherwise to say anything within a budget).
    pub fn suits(self, spec: &crate::world::Spec) -> bool {
        self != Explorer::ShuttleDfs || (spec.cfg.io_threads_num == 2 && !spec.bio_thread)
    }

    /// Run scenario `sc` under `opts` for at most `budget` schedules (panics silenced).
    pub fn run(
        self,
        sc: &'static crate::scenarios::Scenario,
        opts: crate::scenarios::Opts,
        budget: usize,
        seed: u64,
    ) -> Outcome {
        // The world is data: built and its requests encoded once, run by every execution
        // (its 64 KiB values were built, copied and encoded again per execution otherwise).
        let world = crate::world::Prepared::new((sc.spec)(&opts));
        self.run_fn(
            sc.name,
            move || {
                crate::world::run_prepared(&world);
            },
            budget,
            seed,
        )
    }

    /// Run `f` (named `name` in artefacts) for at most `budget` schedules, stopping at the
    /// first failure (real threads run all `budget` and count the failures), quietly and under
    /// the [`watchdog`] (stall interval from `REFRACE_WATCHDOG_SECS`). `seed` seeds the
    /// randomised shuttle schedulers; loom and DFS ignore it.
    pub fn run_fn<F>(self, name: &str, f: F, budget: usize, seed: u64) -> Outcome
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.run_watched(name, f, budget, seed, watchdog::stall_from_env())
    }

    /// [`Explorer::run_fn`] with the watchdog's stall interval given: a run whose progress
    /// stands still that long ends as [`Invariant::Stuck`], with what was recorded so far.
    pub fn run_watched<F>(
        self,
        name: &str,
        f: F,
        budget: usize,
        seed: u64,
        stall: Duration,
    ) -> Outcome
    where
        F: Fn() + Send + Sync + 'static,
    {
        keep_freed_memory();
        match self {
            Explorer::Stress => stress(f, budget, stall),
            #[cfg(feature = "loom")]
            Explorer::Loom { preemptions } => loom_run(name, f, preemptions, budget, stall),
            shuttle => shuttle_run(name, f, shuttle, budget, seed, stall),
        }
    }
}

/// Tell the allocator to keep freed memory instead of returning it to the system (once per
/// process; glibc only).
///
/// An explorer runs the same short execution thousands of times, and each one allocates and
/// frees the scenario's values (64 KiB each) and its threads' buffers. With glibc's default
/// (dynamic) thresholds the heap's top was trimmed after every execution and grown again in
/// the next, so every execution faulted its memory in afresh: page faults and `brk`/`munmap`
/// were the largest item of a loom or shuttle run's profile (`reports/2026-12-01-loom-speed.md`,
/// `reports/2026-12-01-cost-per-point.md`). Fixed thresholds (trim above 256 MiB, mmap only
/// above 32 MiB) keep the pages of one execution for the next. This changes no behaviour of
/// the model: only where the allocator takes its memory from.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            // SAFETY: mallopt only changes the allocator's thresholds; it is safe to call at
            // any time (glibc serialises it with allocations).
            unsafe {
                libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
                libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
            }
        });
    }
}

/// Run `f` `iters` times on real OS threads; count the failing runs. A run the watchdog finds
/// stuck ends the count there.
fn stress<F>(f: F, iters: usize, stall: Duration) -> Outcome
where
    F: Fn() + Send + Sync + 'static,
{
    let t = Instant::now();
    let progress = Progress::default();
    let seen: Arc<Mutex<(Option<Failure>, usize)>> = Arc::default();
    let (tick, record) = (progress.clone(), seen.clone());
    let ended = watchdog::watch("stress", stall, &progress, move || {
        for i in 0..iters {
            if let Err(p) = catch_unwind(AssertUnwindSafe(&f)) {
                let mut g = lock(&record);
                g.1 += 1;
                if g.0.is_none() {
                    g.0 = Some(Failure::from_panic(i + 1, &*p, None));
                }
            }
            tick.tick();
        }
    });
    let (mut first, mut failures) = lock(&seen).clone();
    let mut runs = iters;
    if let Err(stalled) = ended {
        runs = progress.count() as usize + 1;
        failures += 1;
        let what = format!("real-thread run {runs}");
        first.get_or_insert_with(|| stuck(runs, &what, stalled, None, None));
    }
    let mut o = outcome("stress", runs, first, t);
    o.failures = failures;
    o
}

/// The failure of a run the watchdog found stuck at schedule `schedule`.
fn stuck(
    schedule: usize,
    what: &str,
    s: Stalled,
    replay: Option<PathBuf>,
    decisions: Option<Decisions>,
) -> Failure {
    Failure {
        schedule,
        message: stuck_message(what, s),
        invariant: Some(Invariant::Stuck),
        replay,
        decisions,
    }
}

/// Wraps a shuttle scheduler: counts executions and records the current execution's
/// schedule twice, as shuttle's own [`Schedule`] (so a failure is written to a file of its own:
/// shuttle's own persistence goes through a process-wide panic hook configured by the first
/// run only) and as model-level [`Taken`] points (the counterexample's decisions), and ticks
/// the watchdog's [`Progress`].
///
/// This runs at every scheduling decision of every execution, so it is kept cheap: one lock
/// per decision for both records (they are read from another thread, after a failure or by
/// the watchdog while the run is stuck), and the progress counter, which the watchdog polls
/// across threads, is ticked every [`TICK_EVERY`] decisions and at every execution rather than
/// at every decision (a run stuck for the stall interval makes no decision at all).
struct Recording<S> {
    inner: S,
    n: Arc<AtomicUsize>,
    recorded: Arc<Mutex<Recorded>>,
    progress: Progress,
    /// Decisions since the last tick.
    decisions: usize,
}

/// What [`Recording`] keeps of the current execution.
struct Recorded {
    schedule: Schedule,
    taken: Taken,
}

/// Decisions between two ticks of the watchdog's progress counter.
const TICK_EVERY: usize = 64;

impl<S: Scheduler> Scheduler for Recording<S> {
    fn new_execution(&mut self) -> Option<Schedule> {
        let s = self.inner.new_execution();
        if let Some(s) = &s {
            self.n.fetch_add(1, Ordering::Relaxed);
            let mut r = lock(&self.recorded);
            r.schedule = s.clone();
            r.taken.clear();
        }
        self.progress.tick();
        s
    }

    fn next_task(
        &mut self,
        runnable: &[&shuttle::scheduler::Task],
        current: Option<shuttle::scheduler::TaskId>,
        is_yielding: bool,
    ) -> Option<shuttle::scheduler::TaskId> {
        let t = self.inner.next_task(runnable, current, is_yielding);
        if let Some(t) = t {
            let mut r = lock(&self.recorded);
            r.schedule.push_task(t);
            r.taken
                .points
                .push(point(usize::from(t), runnable, current, is_yielding));
        }
        self.decisions += 1;
        if self.decisions == TICK_EVERY {
            self.decisions = 0;
            self.progress.tick();
        }
        t
    }

    fn next_u64(&mut self) -> u64 {
        let v = self.inner.next_u64();
        let mut r = lock(&self.recorded);
        r.schedule.push_random();
        r.taken.random.push(v);
        v
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// `target/refrace/<sub>` in the workspace, created if missing: where explorers leave the
/// files that replay their failures.
pub fn artifact_dir(sub: &str) -> PathBuf {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let d = manifest
        .parent()
        .unwrap_or(manifest)
        .join("target/refrace")
        .join(sub);
    let _ = std::fs::create_dir_all(&d);
    d
}

/// Write `schedule` of run `name` to a file of this process and run; `None` if it cannot be
/// written.
fn persist(schedule: &Schedule, name: &str, explorer: &str, seed: u64) -> Option<PathBuf> {
    static RUN: AtomicUsize = AtomicUsize::new(0);
    let run = RUN.fetch_add(1, Ordering::Relaxed);
    let file = artifact_dir("shuttle").join(format!(
        "{name}-{explorer}-seed{seed}-{}-{run}.txt",
        std::process::id()
    ));
    std::fs::write(&file, serialize_schedule(schedule)).ok()?;
    Some(file)
}

/// Run `f` under the shuttle explorer `e` for at most `iters` schedules; stop at the first
/// failure.
fn shuttle_run<F>(
    name: &str,
    f: F,
    e: Explorer,
    iters: usize,
    seed: u64,
    stall: Duration,
) -> Outcome
where
    F: Fn() + Send + Sync + 'static,
{
    use shuttle::scheduler::{DfsScheduler, PctScheduler, RandomScheduler};
    let t = Instant::now();
    let n = Arc::new(AtomicUsize::new(0));
    let mut config = shuttle::Config::new();
    config.failure_persistence = shuttle::FailurePersistence::None;
    config.silence_warnings = true;
    let recorded = Arc::new(Mutex::new(Recorded {
        schedule: Schedule::new(seed),
        taken: Taken::default(),
    }));
    let (counter, record) = (n.clone(), recorded.clone());
    let inner: Box<dyn Scheduler + Send> = match e {
        Explorer::ShuttleRandom => Box::new(RandomScheduler::new_from_seed(seed, iters)),
        Explorer::ShuttlePct { depth } => Box::new(PctScheduler::new_from_seed(seed, depth, iters)),
        Explorer::ShuttleDfs => Box::new(DfsScheduler::new(Some(iters), false)),
        other => unreachable!("{} is not a shuttle explorer", other.name()),
    };
    let progress = Progress::default();
    let tick = progress.clone();
    let ended = watchdog::watch(name, stall, &progress, move || {
        catch_unwind(AssertUnwindSafe(move || {
            let sched = Recording {
                inner,
                n: counter,
                recorded: record,
                progress: tick,
                decisions: 0,
            };
            shuttle::Runner::new(sched, config).run(f)
        }))
        .err()
        .map(|p| panic_message(&*p))
    });
    let schedules = n.load(Ordering::Relaxed);
    let first = match ended {
        Ok(None) => None,
        Ok(Some(message)) => {
            let r = lock(&recorded);
            let file = persist(&r.schedule, name, e.name(), seed);
            let mut f = Failure::from_message(schedules, message, file);
            f.decisions = Some(r.taken.decisions());
            Some(f)
        }
        // The execution in progress is the stuck one: its schedule so far replays it.
        Err(s) => {
            let r = lock(&recorded);
            Some(stuck(
                schedules,
                &format!("{} execution {schedules}", e.name()),
                s,
                persist(&r.schedule, name, e.name(), seed),
                Some(r.taken.decisions()),
            ))
        }
    };
    outcome(e.name(), schedules, first, t)
}

/// Replay a shuttle schedule file against `f`; `Err` carries the panic message.
pub fn shuttle_replay<F>(f: F, path: &std::path::Path) -> Result<(), String>
where
    F: Fn() + Send + Sync + 'static,
{
    let p = path.to_path_buf();
    quietly(|| {
        catch_unwind(AssertUnwindSafe(move || {
            shuttle::replay_from_file(f, p.to_str().expect("utf-8 path"))
        }))
    })
    .map_err(|p| panic_message(&*p))
}

/// Run `f` under loom with the preemption bound `bound`, at most `budget` executions
/// ([`UNBOUNDED`]: all of them); stop at the first failure.
///
/// loom can write the path of an execution to a checkpoint file only every
/// `checkpoint_interval` iterations (before running it), and it offers no other way to read the
/// path of a failing execution. Writing it every iteration costs an open/truncate/write/close per
/// iteration, which was most of the lane's time (a blocking `openat` of ~0.3 ms per iteration,
/// measured: `reports/2026-12-01-loom-speed.md`). So the exploration runs without writing, and
/// when execution `N` fails the checkpoint is *re-derived*: loom runs again with
/// `checkpoint_interval = N`, which writes exactly the path of execution `N` before running it,
/// and execution `N` fails again (loom's exploration and the model are deterministic; the
/// re-run is checked to fail at the same execution with the same violation). A failure costs
/// its exploration twice; a clean run (the expensive case) writes nothing.
#[cfg(feature = "loom")]
fn loom_run<F>(name: &str, f: F, bound: usize, budget: usize, stall: Duration) -> Outcome
where
    F: Fn() + Send + Sync + 'static,
{
    let t = Instant::now();
    // A file of this run's own: loom resumes from whatever checkpoint it finds, and tests run
    // in parallel (the lane test and the negative controls explore the same scenario).
    static RUN: AtomicUsize = AtomicUsize::new(0);
    let run = RUN.fetch_add(1, Ordering::Relaxed);
    let checkpoint = artifact_dir("loom").join(format!("{name}-{}-{run}.json", std::process::id()));
    let _ = std::fs::remove_file(&checkpoint);
    let f = Arc::new(f);
    let explore = |interval: usize| {
        loom_explore(name, f.clone(), bound, budget, interval, &checkpoint, stall)
    };
    let (schedules, ended) = explore(if budget == UNBOUNDED {
        usize::MAX
    } else {
        budget
    });
    let first = match ended {
        Ok(None) => {
            let _ = std::fs::remove_file(&checkpoint);
            None
        }
        Ok(Some(message)) => {
            let mut first = Failure::from_message(schedules, message, None);
            let _ = std::fs::remove_file(&checkpoint);
            let (again, ended) = explore(schedules);
            match ended {
                Ok(Some(m))
                    if again == schedules
                        && m.lines().next() == first.message.lines().next()
                        && checkpoint.exists() =>
                {
                    first.replay = Some(checkpoint)
                }
                other => first.message.push_str(&format!(
                    "\n(no checkpoint: re-running loom to record execution {schedules} {})",
                    match other {
                        Ok(None) => "ran clean".to_string(),
                        Ok(Some(_)) if again != schedules => format!("failed at execution {again}"),
                        Ok(Some(m)) => format!("failed otherwise: {m}"),
                        Err(_) => format!("got stuck at execution {again}"),
                    }
                )),
            }
            Some(first)
        }
        // The execution in progress is the stuck one: re-derive its checkpoint the same way
        // (the second run stalls at the same execution, after writing its path).
        Err(s) => {
            let _ = std::fs::remove_file(&checkpoint);
            let (again, ended) = explore(schedules);
            let replay = (again == schedules && ended.is_err() && checkpoint.exists())
                .then(|| checkpoint.clone());
            Some(stuck(
                schedules,
                &format!("loom execution {schedules}"),
                s,
                replay,
                None,
            ))
        }
    };
    outcome("loom", schedules, first, t)
}

/// One loom exploration for [`loom_run`] under the watchdog, writing the checkpoint every
/// `interval` executions: the executions run and how it ended.
#[cfg(feature = "loom")]
fn loom_explore<F>(
    name: &str,
    f: Arc<F>,
    bound: usize,
    budget: usize,
    interval: usize,
    checkpoint: &std::path::Path,
    stall: Duration,
) -> (usize, Result<Option<String>, Stalled>)
where
    F: Fn() + Send + Sync + 'static,
{
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(bound);
    b.checkpoint_file = Some(checkpoint.to_path_buf());
    // loom checks `max_permutations` only at checkpoint intervals: with a budget, the interval
    // is the budget (one write, of a path never run, removed by the caller).
    b.checkpoint_interval = interval;
    if budget != UNBOUNDED {
        b.max_permutations = Some(budget);
    }
    let iters = Arc::new(AtomicUsize::new(0));
    let (counter, progress) = (iters.clone(), Progress::default());
    let tick = progress.clone();
    let ended = watchdog::watch(name, stall, &progress, move || {
        catch_unwind(AssertUnwindSafe(|| {
            b.check(move || {
                counter.fetch_add(1, Ordering::Relaxed);
                tick.tick();
                f()
            })
        }))
        .err()
        .map(|p| panic_message(&*p))
    });
    (iters.load(Ordering::Relaxed), ended)
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
    quietly(|| catch_unwind(AssertUnwindSafe(|| b.check(f)))).map_err(|p| panic_message(&*p))
}
