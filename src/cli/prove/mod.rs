//! `refrace prove`: the regression proof, in three phases.
//!
//! 1. **scenarios**: every scenario × {the fixed model, each fault set it lists} × each
//!    reclamation strategy × every explorer of this build that suits it. Expectations are data
//!    (`SCENARIOS`' `fixed`, `catches` and `overrides`, resolved by `Scenario::expect`); each run
//!    is judged by `refrace_sims::verdict::judge`, the judge the lanes assert on. With `--info`,
//!    also every fault a scenario does not list ("not expected": information, not a failure).
//!    An upstream bug the model reproduces at the pin (a scenario expecting "upstream bug
//!    <name>", `reports/findings/<name>.md`) runs twice: with the finding's fix off every
//!    must-catch explorer reproduces it (real threads are not run: they cannot be steered to
//!    it), and with the fix on (`--fix`, the `Fix` catalogue) every explorer is clean; these
//!    rows have their own section. A listed fault of such a scenario runs with the fix on.
//! 2. **swarm**: generated worlds (`refrace_sims::swarm`) explored with PCT and random
//!    schedules on the fixed model; any violation is a finding, written as a shrunk
//!    counterexample, and fails the proof. The events they reached are counted.
//! 3. **hunt**: each catalogued fault switched on, the swarm alone (no scenario): worlds and
//!    schedules to the first catch.
//!
//! Modes: the default fits a first run and CI (a few minutes on 2 cores); `--full` is the long
//! proof; `--quick` is an alias of the default; every budget has its own flag. Reports go to
//! `target/refrace/proof/` unless `--reports DIR`. `--shard K/N` runs one deterministic share
//! of every phase and writes `proof-shard-K-of-N.json`; `--merge DIR` joins such files into
//! one report ([`merge`]).
//!
//! Exit status 0 only when every expectation holds.

mod data;
mod merge;
mod progress;
mod report;
mod swarm;

use super::explore::default_path;
use data::{Budgets, Meta, Proof, Row, FORMAT};
use progress::Progress;
use refrace_model::config::Strategy;
use refrace_model::{Fault, FaultSet, FixSet};
use refrace_sims::counterexample::{from_failure, Counterexample};
use refrace_sims::explore::{artifact_dir, Explorer};
use refrace_sims::scenarios::{Expectation, Opts, Scenario, SCENARIOS};
use refrace_sims::shrink::{shrink, Limits};
use refrace_sims::swarm::Shard;
use refrace_sims::verdict::{judge_with, Role};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// The default mode (also `--quick`): a few minutes on 2 cores.
pub const DEFAULT: Budgets = Budgets {
    shuttle: 2000,
    dfs: 2000,
    stress: 100,
    swarm_worlds: 300,
    swarm_schedules: 50,
    hunt_worlds: 600,
    hunt_schedules: 50,
};

/// `--full`: the long proof.
pub const FULL: Budgets = Budgets {
    shuttle: 20_000,
    dfs: 20_000,
    stress: 1000,
    swarm_worlds: 2000,
    swarm_schedules: 100,
    hunt_worlds: 3000,
    hunt_schedules: 100,
};

/// The phases, in order.
pub const PHASES: [&str; 3] = ["scenarios", "swarm", "hunt"];

/// Options of `prove`.
#[derive(clap::Args)]
pub struct Args {
    /// The long proof (see `FULL`); default: budgets that fit a first run and CI.
    #[arg(long, conflicts_with = "quick")]
    full: bool,
    /// The default budgets (kept for CI scripts; the same as giving no mode).
    #[arg(long)]
    quick: bool,
    /// Also run the information-only pairs: faults in scenarios that do not list them.
    #[arg(long)]
    info: bool,
    /// Schedules per shuttle random/PCT run of a scenario (overrides the mode).
    #[arg(long, env = "REFRACE_PROVE_SHUTTLE")]
    shuttle_budget: Option<usize>,
    /// Schedules per shuttle DFS run (overrides the mode).
    #[arg(long, env = "REFRACE_PROVE_DFS")]
    dfs_budget: Option<usize>,
    /// Runs per stress run (overrides the mode).
    #[arg(long, env = "REFRACE_PROVE_STRESS")]
    stress_budget: Option<usize>,
    /// Generated worlds explored on the fixed model (overrides the mode).
    #[arg(long, env = "REFRACE_PROVE_SWARM_WORLDS")]
    swarm_worlds: Option<usize>,
    /// Schedules per explorer (PCT, then random) per generated world (overrides the mode).
    #[arg(long, env = "REFRACE_PROVE_SWARM_SCHEDULES")]
    swarm_schedules: Option<usize>,
    /// Generated worlds at most per fault hunt (overrides the mode).
    #[arg(long, env = "REFRACE_PROVE_HUNT_WORLDS")]
    hunt_worlds: Option<usize>,
    /// Schedules per explorer per world in a hunt (overrides the mode).
    #[arg(long, env = "REFRACE_PROVE_HUNT_SCHEDULES")]
    hunt_schedules: Option<usize>,
    /// Phases to run, comma-separated: scenarios, swarm, hunt (default: all).
    #[arg(long, default_value = "scenarios,swarm,hunt")]
    phases: String,
    /// Seed of the randomised explorers and base seed of the generated worlds.
    #[arg(long, default_value_t = 0x5eed)]
    seed: u64,
    /// Where proof.md and proof.json go (default target/refrace/proof).
    #[arg(long)]
    reports: Option<PathBuf>,
    /// Where counterexamples go (default target/refrace/counterexamples/prove).
    #[arg(long)]
    counterexamples: Option<PathBuf>,
    /// Only these scenarios (comma-separated; default all).
    #[arg(long)]
    scenarios: Option<String>,
    /// Candidate fixes switched on in every run, comma-separated (`none`; also `REFRACE_FIX`):
    /// a finding whose fix is on is proved clean only.
    #[arg(long, default_value = "none")]
    fix: String,
    /// Run share K of N (1-based) of every phase: disjoint runs and worlds, deterministic;
    /// writes proof-shard-K-of-N.json for `--merge`.
    #[arg(long)]
    shard: Option<String>,
    /// Join the shard files in DIR (from `--shard`) into one report instead of running.
    #[arg(long, value_name = "DIR", conflicts_with = "shard")]
    merge: Option<PathBuf>,
    /// Print the proof as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// The variants of a scenario: fixed, each fault alone, and each listed combination.
fn variants(sc: &Scenario) -> Vec<FaultSet> {
    let mut v = vec![FaultSet::NONE];
    v.extend(Fault::ALL.iter().map(|f| FaultSet::of(&[*f])));
    for fs in sc.listed_fault_sets() {
        if !v.contains(&fs) {
            v.push(fs);
        }
    }
    v
}

fn budget(b: &Budgets, e: Explorer) -> usize {
    match e {
        Explorer::ShuttleRandom | Explorer::ShuttlePct { .. } => b.shuttle,
        Explorer::ShuttleDfs => b.dfs,
        Explorer::Stress => b.stress,
    }
}

fn command_output(cmd: &str, args: &[&str]) -> Option<String> {
    let o = std::process::Command::new(cmd).args(args).output().ok()?;
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).trim().to_string())
}

fn locked_version(name: &str) -> String {
    let lock = include_str!("../../../Cargo.lock");
    let needle = format!("name = \"{name}\"\nversion = \"");
    lock.find(&needle)
        .map(|i| {
            let rest = &lock[i + needle.len()..];
            rest[..rest.find('"').unwrap_or(0)].to_string()
        })
        .unwrap_or_else(|| "unknown".into())
}

fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!(
        "{cores} cores, {cpu}, {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

/// `YYYY-MM-DD HH:MM` UTC now (civil-from-days, no date crate).
pub fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60
    )
}

fn commit() -> String {
    let head = command_output("git", &["rev-parse", "--short", "HEAD"])
        .unwrap_or_else(|| "unknown".into());
    let dirty = command_output("git", &["status", "--porcelain", "--untracked-files=no"])
        .is_some_and(|s| !s.is_empty());
    if dirty {
        format!("{head} + uncommitted changes")
    } else {
        head
    }
}

/// Relative to the working directory when below it: reports name no machine's paths.
pub fn relative(path: &Path) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_default();
    path.strip_prefix(&cwd)
        .map_or(path.to_path_buf(), PathBuf::from)
}

/// `n` with thousands separators.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `, fix X` after a row's faults when candidate fixes were on (`none`: nothing).
pub fn fix_label(fixes: &str) -> String {
    if fixes == "none" {
        String::new()
    } else {
        format!(", fix {fixes}")
    }
}

/// The shrink sizes of a counterexample, `before -> after`.
pub fn brief_shrink(cx: &Counterexample) -> Option<String> {
    let b = |s: &refrace_sims::counterexample::Size| {
        format!("{}c/{}d/{}p", s.commands, s.decisions, s.preemptions)
    };
    cx.shrink
        .as_ref()
        .map(|r| format!("{} -> {}", b(&r.before), b(&r.after)))
}

/// One planned run of the scenario phase.
struct Job {
    index: usize,
    sc: &'static Scenario,
    faults: FaultSet,
    strategy: Strategy,
    explorer: Explorer,
    fixes: FixSet,
}

/// Every run of the scenario phase, scenario by scenario, in a fixed order (shards pick by
/// index). `asked`: the fixes switched on in every run (`--fix`); an upstream-bug scenario's
/// fixed model runs without and with its finding's fix, its listed faults with the fix.
fn plan(scenarios: &[&'static Scenario], info: bool, asked: FixSet) -> Vec<Job> {
    let mut jobs = Vec::new();
    for sc in scenarios {
        let spec = (sc.spec)(&Opts::default());
        for strategy in Strategy::ALL {
            for fs in variants(sc) {
                let runs: Vec<FixSet> = if fs.is_empty() {
                    sc.fix_runs(asked)
                } else {
                    vec![asked.union(sc.fixes_for(fs))]
                };
                for fixes in runs {
                    let want = sc.expect_with(fs, strategy, fixes);
                    if want == Expectation::NotApplicable
                        || (want == Expectation::NotListed && !info)
                    {
                        continue;
                    }
                    for e in Explorer::ALL.into_iter().filter(|e| e.suits(&spec)) {
                        // Real threads cannot be steered to an upstream bug (and one that
                        // blocks a client forever would wait for the watchdog).
                        if want.finding().is_some() && e == Explorer::Stress {
                            continue;
                        }
                        jobs.push(Job {
                            index: jobs.len(),
                            sc,
                            faults: fs,
                            strategy,
                            explorer: e,
                            fixes,
                        });
                    }
                }
            }
        }
    }
    jobs
}

/// Where things go and what to do.
pub struct Ctx {
    budgets: Budgets,
    seed: u64,
    cx_dir: PathBuf,
    shard: Shard,
}

/// Run one job and judge it; shrink and write its counterexample when it has one.
fn run_job(ctx: &Ctx, j: &Job, rows: &[Row]) -> Result<Row, String> {
    let opts = Opts {
        faults: j.faults,
        strategy: j.strategy,
        fixes: j.fixes,
        ..Opts::default()
    };
    let e = j.explorer;
    let o = refrace_sims::quiet::quietly(|| e.run(j.sc, opts, budget(&ctx.budgets, e), ctx.seed));
    let v = judge_with(j.sc, j.faults, j.strategy, j.fixes, e, &o);
    let role = v.role;
    let mut row = Row {
        job: j.index,
        scenario: j.sc.name.to_string(),
        faults: j.faults.to_string(),
        fixes: j.fixes.to_string(),
        strategy: j.strategy.name().to_string(),
        explorer: e.name().to_string(),
        role,
        verdict: v.words,
        ok: v.ok,
        schedules: o.schedules,
        to_first_bug: o.first.as_ref().map(|f| f.schedule),
        wall_s: o.wall.as_secs_f64(),
        invariant: v.found.map(|i| i.name().to_string()),
        expected: v.accepted.iter().map(|i| i.name().to_string()).collect(),
        counterexample: None,
        shrink: None,
    };
    let guard = matches!(role, Role::Fixed | Role::MustBeClean) && row.ok;
    if let Some(cx) = o
        .first
        .as_ref()
        .filter(|_| !guard)
        .and_then(|f| from_failure(j.sc, &opts, e.name(), ctx.seed, f))
    {
        let path = default_path(&ctx.cx_dir, j.sc, &opts, e.name(), ctx.seed);
        // Listed catches and upstream-bug reproductions are shrunk once per scenario, fault
        // set, fixes and strategy (the first must-catch explorer's finding); the rest are
        // written as found.
        let first_of_pair = !rows.iter().any(|r| {
            r.scenario == row.scenario
                && r.faults == row.faults
                && r.fixes == row.fixes
                && r.strategy == row.strategy
                && r.shrink.is_some()
        });
        let listed = matches!(role, Role::MustCatch | Role::UpstreamBug);
        let cx = if listed && row.ok && first_of_pair {
            refrace_sims::quiet::quietly(|| shrink(&cx, Limits::default()))?
        } else {
            cx
        };
        cx.save(&path)?;
        row.shrink = brief_shrink(&cx);
        row.counterexample = Some(relative(&path));
    }
    Ok(row)
}

/// The scenario phase: every owned job, a line per scenario.
fn scenarios_phase(ctx: &Ctx, jobs: &[Job], p: &Progress) -> Result<Vec<Row>, String> {
    let mine: Vec<&Job> = jobs.iter().filter(|j| ctx.shard.owns(j.index)).collect();
    let names: Vec<&str> = {
        let mut v: Vec<&str> = Vec::new();
        for j in &mine {
            if !v.contains(&j.sc.name) {
                v.push(j.sc.name);
            }
        }
        v
    };
    let mut rows: Vec<Row> = Vec::new();
    for (k, name) in names.iter().enumerate() {
        let t = Instant::now();
        let start = rows.len();
        for j in mine.iter().filter(|j| j.sc.name == *name) {
            p.doing(format!(
                "{} [{}{}] {} {}",
                name,
                j.faults,
                fix_label(&j.fixes.to_string()),
                j.strategy,
                j.explorer.name()
            ));
            let row = run_job(ctx, j, &rows)?;
            rows.push(row);
            p.advance(1);
        }
        let done = &rows[start..];
        let fixed_bad = done
            .iter()
            .filter(|r| r.role == Role::Fixed && !r.ok)
            .count();
        let mut catches: Vec<(&str, &str)> = Vec::new();
        let mut caught = 0;
        for r in done.iter().filter(|r| r.role == Role::MustCatch) {
            let key = (r.faults.as_str(), r.strategy.as_str());
            if catches.contains(&key) {
                continue;
            }
            catches.push(key);
            let all = done
                .iter()
                .filter(|x| {
                    x.role == Role::MustCatch && (x.faults.as_str(), x.strategy.as_str()) == key
                })
                .all(|x| x.ok);
            caught += usize::from(all);
        }
        let other_bad = done
            .iter()
            .filter(|r| {
                !r.ok && !matches!(r.role, Role::Fixed | Role::MustCatch | Role::UpstreamBug)
            })
            .count();
        let bug_runs: Vec<&Row> = done
            .iter()
            .filter(|r| r.role == Role::UpstreamBug)
            .collect();
        let reproduced = if bug_runs.is_empty() {
            String::new()
        } else {
            format!(
                ", upstream bug reproduced in {}/{} runs",
                bug_runs.iter().filter(|r| r.ok).count(),
                bug_runs.len()
            )
        };
        p.line(format!(
            "[{}/{}] {name}: {} runs, {fixed_bad} violation(s) on the fixed model{reproduced}, {caught}/{} listed catches caught{} ({:.1} s)",
            k + 1,
            names.len(),
            done.len(),
            catches.len(),
            if other_bad > 0 {
                format!(", {other_bad} other run(s) FAILED")
            } else {
                String::new()
            },
            t.elapsed().as_secs_f64()
        ));
    }
    Ok(rows)
}

/// Run it.
pub fn main(a: Args) -> super::Result {
    if let Some(dir) = &a.merge {
        return merge::main(dir, &a);
    }
    let base = if a.full { FULL } else { DEFAULT };
    let b = Budgets {
        shuttle: a.shuttle_budget.unwrap_or(base.shuttle),
        dfs: a.dfs_budget.unwrap_or(base.dfs),
        stress: a.stress_budget.unwrap_or(base.stress),
        swarm_worlds: a.swarm_worlds.unwrap_or(base.swarm_worlds),
        swarm_schedules: a.swarm_schedules.unwrap_or(base.swarm_schedules),
        hunt_worlds: a.hunt_worlds.unwrap_or(base.hunt_worlds),
        hunt_schedules: a.hunt_schedules.unwrap_or(base.hunt_schedules),
    };
    if b.shuttle == 0
        || b.dfs == 0
        || b.stress == 0
        || b.swarm_schedules == 0
        || b.hunt_schedules == 0
    {
        return Err("budgets must be at least 1 (a budget of 0 explores nothing)".into());
    }
    let phases: Vec<String> = a
        .phases
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if let Some(bad) = phases.iter().find(|p| !PHASES.contains(&p.as_str())) {
        return Err(format!(
            "unknown phase '{bad}'; phases: {}",
            PHASES.join(", ")
        ));
    }
    if phases.is_empty() {
        return Err("--phases names no phase".into());
    }
    let shard = match &a.shard {
        Some(s) => Shard::parse(s)?,
        None => Shard::ALL,
    };
    let scenarios: Vec<&'static Scenario> = match &a.scenarios {
        None => SCENARIOS.iter().collect(),
        Some(list) => list
            .split(',')
            .map(|n| super::scenario(n.trim()))
            .collect::<Result<_, _>>()?,
    };
    let reports = a.reports.clone().unwrap_or_else(|| artifact_dir("proof"));
    let cx_dir = a
        .counterexamples
        .clone()
        .unwrap_or_else(|| artifact_dir("counterexamples").join("prove"));
    for d in [&cx_dir, &reports] {
        std::fs::create_dir_all(d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
    }
    let ctx = Ctx {
        budgets: b,
        seed: a.seed,
        cx_dir,
        shard,
    };
    let asked = super::fixes(&a.fix)?;
    let has = |p: &str| phases.iter().any(|x| x == p);
    let jobs = if has("scenarios") {
        plan(&scenarios, a.info, asked)
    } else {
        Vec::new()
    };
    let hunts = refrace_sims::swarm::catalogue();
    let units = jobs.iter().filter(|j| shard.owns(j.index)).count()
        + if has("swarm") {
            b.swarm_worlds / shard.count
        } else {
            0
        }
        + if has("hunt") { hunts.len() } else { 0 };
    let t0 = Instant::now();
    let p = Progress::new(units as u64);
    let rows = scenarios_phase(&ctx, &jobs, &p)?;
    let swarm = if has("swarm") {
        Some(swarm::swarm_phase(&ctx, &p)?)
    } else {
        None
    };
    let hunt_reports = if has("hunt") {
        swarm::hunt_phase(&ctx, &hunts, &p)?
    } else {
        Vec::new()
    };
    p.finish();
    let meta = Meta {
        command: format!(
            "refrace prove{}",
            std::env::args()
                .skip(2)
                .map(|a| format!(" {a}"))
                .collect::<String>()
        ),
        mode: if a.full { "full" } else { "default" }.to_string(),
        date_utc: now_utc(),
        commit: commit(),
        machine: machine(),
        rustc: command_output("rustc", &["--version"]).unwrap_or_else(|| "unknown".into()),
        shuttle: locked_version("shuttle"),
        loom: locked_version("loom"),
        seed: a.seed,
        budgets: b,
        wall_s: t0.elapsed().as_secs_f64(),
        partial: a.scenarios.is_some(),
        scenarios: a.scenarios.clone(),
        info: a.info,
        fixes: asked.to_string(),
        phases,
        shard: a.shard.as_ref().map(|_| shard.to_string()),
        merged_from: None,
    };
    let mut proof = Proof {
        format: FORMAT.to_string(),
        meta,
        holds: false,
        failures: Vec::new(),
        rows,
        swarm,
        hunts: hunt_reports,
    };
    proof.failures = data::failures(&proof);
    proof.holds = proof.failures.is_empty();
    write(&proof, &reports, a.json, shard)
}

/// Write the proof's files into `reports` (a shard: its JSON only) and print the summary.
pub fn write(proof: &Proof, reports: &Path, json: bool, shard: Shard) -> super::Result {
    let text = serde_json::to_string_pretty(proof).map_err(|e| e.to_string())? + "\n";
    let written = if shard == Shard::ALL {
        let (md, js) = (reports.join("proof.md"), reports.join("proof.json"));
        std::fs::write(&js, &text).map_err(|e| format!("cannot write {}: {e}", js.display()))?;
        std::fs::write(&md, report::markdown(proof))
            .map_err(|e| format!("cannot write {}: {e}", md.display()))?;
        format!("{} and {}", md.display(), js.display())
    } else {
        let js = reports.join(merge::shard_file(shard));
        std::fs::write(&js, &text).map_err(|e| format!("cannot write {}: {e}", js.display()))?;
        js.display().to_string()
    };
    if json {
        print!("{text}");
    } else {
        report::print_summary(proof);
        println!("wrote {written}");
    }
    Ok(if proof.holds {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
