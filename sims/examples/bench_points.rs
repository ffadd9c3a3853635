//! The harness's cost per scheduling point: for each scenario, its scheduling points per
//! execution and its schedules/s under shuttle random and PCT, beside an *empty* shuttle test
//! with the same threads (same number of tasks, spawned in the same order by main) making the
//! same number of scheduling points, spread the same way (per thread, and for main per phase
//! between spawns), and nothing else. The ratio (scenario / empty) is what the model and the
//! oracle cost per point: 1.0 would mean they are free. Prints Markdown.
//!
//! `cargo run --release -p refrace-sims --example bench_points`
//!
//! Knobs: `BENCH_SCHEDULES` (schedules per measurement, default 3000), `BENCH_REPEAT` (each
//! rate is the best of this many measurements, taken alternately for the scenario and its empty
//! test, default 3: the machine is shared, and the best is the least disturbed),
//! `BENCH_SCENARIOS` (comma-separated names, default all), `BENCH_SEED` (default 1).
//!
//! Both sides run through the same [`Explorer::run_fn`] (the lanes' path: quietly, under the
//! watchdog, with the schedule recorders), fixed model, Redis's strategy, race-detecting word.
//! Points are counted by a scheduler wrapper over 200 random executions (every `next_task`
//! call is one point, as the lanes' recorder sees them); the empty test's own structural
//! points (spawns, joins, thread exits) are measured the same way and subtracted, so its
//! total matches the scenario's (both are printed).

use refrace_model::sync::thread;
use refrace_sims::explore::{env_num, Explorer};
use refrace_sims::scenarios::{Expect, Opts, Scenario, SCENARIOS};
use shuttle::scheduler::{RandomScheduler, Schedule, Scheduler, Task, TaskId};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Scheduling points of one execution, by who was running: `main[k]` main's points while `k`
/// other tasks existed, `others[i]` task `i + 1`'s.
#[derive(Clone, Debug, Default, PartialEq)]
struct Spread {
    main: Vec<f64>,
    others: Vec<f64>,
    /// Decisions with no current task (the first one).
    none: f64,
}

impl Spread {
    fn total(&self) -> f64 {
        self.main.iter().sum::<f64>() + self.others.iter().sum::<f64>() + self.none
    }
}

/// Each execution's decisions: (the task running before it, tasks known so far).
type Decisions = Arc<Mutex<Vec<Vec<(Option<usize>, usize)>>>>;

/// Counts each execution's decisions by current task (and, for main, tasks known so far).
struct Counting<S> {
    inner: S,
    execs: Decisions,
}

impl<S: Scheduler> Scheduler for Counting<S> {
    fn new_execution(&mut self) -> Option<Schedule> {
        let s = self.inner.new_execution();
        if s.is_some() {
            self.execs.lock().unwrap().push(Vec::new());
        }
        s
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        let known = runnable
            .iter()
            .map(|t| usize::from(t.id()))
            .chain(current.map(usize::from))
            .max()
            .unwrap_or(0);
        if let Some(e) = self.execs.lock().unwrap().last_mut() {
            let seen = e.iter().map(|p| p.1).max().unwrap_or(0).max(known);
            e.push((current.map(usize::from), seen));
        }
        self.inner.next_task(runnable, current, is_yielding)
    }

    fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }
}

/// The average spread of `f`'s executions over `n` random schedules.
fn spread_of(f: impl Fn() + Send + Sync + 'static, n: usize) -> Spread {
    let execs = Arc::new(Mutex::new(Vec::new()));
    let sched = Counting {
        inner: RandomScheduler::new_from_seed(7, n),
        execs: execs.clone(),
    };
    let mut config = shuttle::Config::new();
    config.silence_warnings = true;
    shuttle::Runner::new(sched, config).run(f);
    let execs = execs.lock().unwrap();
    let mut s = Spread::default();
    for e in execs.iter() {
        for &(cur, known) in e {
            match cur {
                None => s.none += 1.0,
                Some(0) => {
                    if s.main.len() <= known {
                        s.main.resize(known + 1, 0.0);
                    }
                    s.main[known] += 1.0;
                }
                Some(t) => {
                    if s.others.len() < t {
                        s.others.resize(t, 0.0);
                    }
                    s.others[t - 1] += 1.0;
                }
            }
        }
    }
    let k = execs.len().max(1) as f64;
    s.main
        .iter_mut()
        .chain(s.others.iter_mut())
        .for_each(|v| *v /= k);
    s.none /= k;
    s
}

/// The empty test: main makes `main[k]` points while `k` threads exist, spawning `threads`
/// threads in order; thread `i` makes `others[i]` points; main joins them all.
fn empty_test(main: Vec<usize>, others: Vec<usize>) -> impl Fn() + Send + Sync + 'static {
    fn points(n: usize) {
        for _ in 0..n {
            // A plain scheduling point (what the sync shim's racy word makes), not a yield.
            shuttle::thread::sleep(Duration::ZERO);
        }
    }
    move || {
        let mut handles = Vec::new();
        for (i, &n) in others.iter().enumerate() {
            points(main.get(i).copied().unwrap_or(0));
            handles.push(thread::spawn(&format!("T{}", i + 1), move || points(n)));
        }
        points(main.get(others.len()).copied().unwrap_or(0));
        for h in handles {
            h.join();
        }
    }
}

fn round(v: f64) -> usize {
    v.max(0.0).round() as usize
}

/// An empty test shaped like `want`: its own structural points measured and subtracted.
fn shaped_like(want: &Spread) -> (Vec<usize>, Vec<usize>) {
    let threads = want.others.len();
    let bare = spread_of(empty_test(vec![0; threads + 1], vec![0; threads]), 50);
    let at = |v: &[f64], i: usize| v.get(i).copied().unwrap_or(0.0);
    let main = (0..=threads)
        .map(|k| round(at(&want.main, k) - at(&bare.main, k)))
        .collect();
    let others = (0..threads)
        .map(|i| round(at(&want.others, i) - at(&bare.others, i)))
        .collect();
    (main, others)
}

/// CPU time of the process so far (all its threads). Rates are schedules per CPU second, not
/// per wall second: the machine is shared, and a run's CPU time depends far less on what else
/// runs than its wall time.
fn cpu() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

/// Schedules per CPU second of `run` (which returns the schedules it ran).
fn timed(run: impl FnOnce() -> usize) -> f64 {
    let t = cpu();
    let n = run();
    n as f64 / (cpu() - t)
}

/// Schedules/s of `f` under plain shuttle (its own runner and scheduler, no refrace wrapper).
fn plain_rate(e: Explorer, f: Arc<dyn Fn() + Send + Sync>, n: usize, seed: u64) -> f64 {
    use shuttle::scheduler::PctScheduler;
    let mut config = shuttle::Config::new();
    config.silence_warnings = true;
    timed(|| {
        match e {
            Explorer::ShuttlePct { depth } => {
                shuttle::Runner::new(PctScheduler::new_from_seed(seed, depth, n), config)
                    .run(move || f())
            }
            _ => shuttle::Runner::new(RandomScheduler::new_from_seed(seed, n), config)
                .run(move || f()),
        };
        n
    })
}

fn row(sc: &'static Scenario, n: usize, seed: u64, repeat: usize) {
    let opts = Opts::default();
    let want = spread_of(move || sc.run(&opts), 200);
    let (main, others) = shaped_like(&want);
    let empty = empty_test(main.clone(), others.clone());
    let got = spread_of(empty_test(main, others), 50);
    let empty = Arc::new(empty);
    for e in [Explorer::ShuttleRandom, Explorer::PCT] {
        let (mut best, mut best_empty, mut best_plain) = (0f64, 0f64, 0f64);
        for _ in 0..repeat {
            best = best.max(timed(|| {
                let o = e.run(sc, opts, n, seed);
                assert!(o.first.is_none(), "{}: {:?}", sc.name, o.first);
                o.schedules
            }));
            let em = empty.clone();
            best_empty =
                best_empty.max(timed(|| e.run_fn("empty", move || em(), n, seed).schedules));
            let em = empty.clone();
            best_plain = best_plain.max(plain_rate(e, Arc::new(move || em()), n, seed));
        }
        println!(
            "| {} | {} | {:.1} | {:.1} | {:.0} | {:.0} | {:.2} | {:.0} | {:.2} |",
            sc.name,
            e.name(),
            want.total(),
            got.total(),
            best,
            best_empty,
            best / best_empty,
            best_plain,
            best / best_plain
        );
    }
}

fn main() {
    let n: usize = env_num("BENCH_SCHEDULES", 3000);
    let seed: u64 = env_num("BENCH_SEED", 1);
    let repeat: usize = env_num("BENCH_REPEAT", 3);
    let only: Option<Vec<String>> = std::env::var("BENCH_SCENARIOS")
        .ok()
        .map(|v| v.split(',').map(|s| s.trim().to_string()).collect());
    println!("{n} schedules per measurement, best of {repeat}, seed {seed}, fixed model (confinement, race-detecting word); rates are schedules per CPU second of the process\n");
    println!("| scenario | explorer | points/execution | empty test's points/execution | schedules/s | empty test's schedules/s (same harness) | ratio | empty test's schedules/s (plain shuttle) | ratio to plain |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for sc in SCENARIOS {
        if only
            .as_ref()
            .is_some_and(|o| !o.iter().any(|s| s == sc.name))
        {
            continue;
        }
        if sc.fixed != Expect::Clean {
            // Its fixed model ends in Redis's own guard at the first schedule: no rate to take.
            continue;
        }
        row(sc, n, seed, repeat);
    }
}
