//! `refrace prove [--quick]`: the regression proof. Every scenario × {the fixed model, each
//! fault, each fault combination a scenario lists} × each reclamation strategy × every explorer
//! of this build that suits the scenario, with budgets per mode. Expectations are data
//! (`SCENARIOS`' `fixed`, `catches` and `overrides`, resolved by `Scenario::expect`), and each
//! run is judged by `refrace_sims::verdict::judge`, the judge the lanes assert on (which
//! explorers must catch: `Explorer::must_catch`):
//!
//! - fixed model: every explorer is clean (or ends in the scenario's stated Redis guard);
//! - each listed catch: every must-catch explorer (shuttle random and PCT) finds it with a
//!   listed invariant;
//! - a fault a strategy makes harmless (an override wanting clean): every explorer is clean;
//! - every fault of the catalogue is in at least one catch that holds (else the harness lost
//!   its teeth for it).
//!
//! - an upstream bug the model reproduces at the pin (a scenario expecting "upstream bug
//!   <name>", `reports/findings/<name>.md`): with the finding's fix off every must-catch
//!   explorer reproduces it (real threads are not run: they cannot be steered to it), and with
//!   the fix on (`--fix`, the `Fix` catalogue) every explorer is clean; these rows have their
//!   own section. A listed fault of such a scenario runs with the fix on.
//!
//! A fault that does not change code a strategy runs (`Fault::applies_to`) is not run under it;
//! `--quick` runs unlisted faults (information only) under confinement only.
//!
//! Pairs a scenario does not list are run too and reported as "not expected": a violation there
//! is information, not a failure of the proof. Writes `proof.md` and `proof.json` into
//! `--reports` (default `reports/`) and one counterexample per caught bug (shuttle explorers)
//! into `--counterexamples` (default `target/refrace/counterexamples/prove/`); those of listed
//! catches are shrunk. Exit 0 only when every expectation holds.

use super::explore::default_path;
use refrace_model::config::Strategy;
use refrace_model::{Fault, FaultSet, FixSet};
use refrace_sims::counterexample::{from_failure, Counterexample};
use refrace_sims::explore::{artifact_dir, Explorer};
use refrace_sims::scenarios::{Expectation, Opts, Scenario, SCENARIOS};
use refrace_sims::shrink::{shrink, Limits};
use refrace_sims::verdict::judge_with;
pub use refrace_sims::verdict::Role;
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Budgets of one mode: schedules per shuttle run and real-thread runs per stress run.
#[derive(Copy, Clone, Debug, Serialize)]
pub struct Budgets {
    /// Schedules per shuttle random / PCT run.
    pub shuttle: usize,
    /// Schedules per shuttle DFS run.
    pub dfs: usize,
    /// Runs per stress run.
    pub stress: usize,
}

/// `--quick` (CI: well under 5 minutes on 2 cores).
pub const QUICK: Budgets = Budgets {
    shuttle: 2000,
    dfs: 2000,
    stress: 100,
};

/// The default mode.
pub const FULL: Budgets = Budgets {
    shuttle: 20_000,
    dfs: 20_000,
    stress: 1000,
};

/// Options of `prove`.
#[derive(clap::Args)]
pub struct Args {
    /// CI budgets (see `QUICK`); default: the full budgets.
    #[arg(long)]
    quick: bool,
    /// Schedules per shuttle random/PCT run (overrides the mode).
    #[arg(long, env = "REFRACE_PROVE_SHUTTLE")]
    shuttle_budget: Option<usize>,
    /// Schedules per shuttle DFS run (overrides the mode).
    #[arg(long, env = "REFRACE_PROVE_DFS")]
    dfs_budget: Option<usize>,
    /// Runs per stress run (overrides the mode).
    #[arg(long, env = "REFRACE_PROVE_STRESS")]
    stress_budget: Option<usize>,
    /// Seed of the randomised explorers.
    #[arg(long, default_value_t = 0x5eed)]
    seed: u64,
    /// Where proof.md and proof.json go.
    #[arg(long, default_value = "reports")]
    reports: PathBuf,
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
    /// Print the proof as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// One scenario × variant × explorer run.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// Scenario.
    pub scenario: &'static str,
    /// Faults (`none` = fixed).
    pub faults: String,
    /// Candidate fixes switched on (`none` = the pinned code).
    pub fixes: String,
    /// Reclamation strategy.
    pub strategy: &'static str,
    /// Explorer.
    pub explorer: &'static str,
    /// What was expected.
    pub role: Role,
    /// What happened, in words.
    pub verdict: String,
    /// Whether the row meets its expectation (always true for `may-catch`/`not-expected`).
    pub ok: bool,
    /// Schedules (runs) explored.
    pub schedules: usize,
    /// Schedule of the first violation.
    pub to_first_bug: Option<usize>,
    /// Wall time in seconds.
    pub wall_s: f64,
    /// Invariant named by the violation.
    pub invariant: Option<String>,
    /// The invariants the expectation accepts.
    pub expected: Vec<&'static str>,
    /// Counterexample written, if any.
    pub counterexample: Option<PathBuf>,
    /// Size before → after shrinking, if shrunk.
    pub shrink: Option<String>,
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

/// Facts about the run for the report header.
#[derive(Clone, Debug, Serialize)]
struct Meta {
    command: String,
    mode: &'static str,
    date_utc: String,
    commit: String,
    machine: String,
    rustc: String,
    shuttle: String,
    loom: String,
    seed: u64,
    budgets: Budgets,
    wall_s: f64,
    /// Only some scenarios ran (`--scenarios`): the catalogue check was skipped.
    partial: bool,
}

fn command_output(cmd: &str, args: &[&str]) -> Option<String> {
    let o = std::process::Command::new(cmd).args(args).output().ok()?;
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).trim().to_string())
}

fn locked_version(name: &str) -> String {
    let lock = include_str!("../../Cargo.lock");
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
fn now_utc() -> String {
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

/// Run it.
pub fn main(a: Args) -> super::Result {
    let base = if a.quick { QUICK } else { FULL };
    let b = Budgets {
        shuttle: a.shuttle_budget.unwrap_or(base.shuttle),
        dfs: a.dfs_budget.unwrap_or(base.dfs),
        stress: a.stress_budget.unwrap_or(base.stress),
    };
    if b.shuttle == 0 || b.dfs == 0 || b.stress == 0 {
        return Err("budgets must be at least 1 (a budget of 0 explores nothing)".into());
    }
    let scenarios: Vec<&'static Scenario> = match &a.scenarios {
        None => SCENARIOS.iter().collect(),
        Some(list) => list
            .split(',')
            .map(|n| super::scenario(n.trim()))
            .collect::<Result<_, _>>()?,
    };
    let cx_dir = a
        .counterexamples
        .clone()
        .unwrap_or_else(|| artifact_dir("counterexamples").join("prove"));
    std::fs::create_dir_all(&cx_dir)
        .map_err(|e| format!("cannot create {}: {e}", cx_dir.display()))?;
    std::fs::create_dir_all(&a.reports)
        .map_err(|e| format!("cannot create {}: {e}", a.reports.display()))?;
    let asked = super::fixes(&a.fix)?;
    let mut jobs = Vec::new();
    for strategy in Strategy::ALL {
        for sc in &scenarios {
            let spec = (sc.spec)(&Opts::default());
            for fs in variants(sc) {
                let runs: Vec<FixSet> = if fs.is_empty() {
                    sc.fix_runs(asked)
                } else {
                    vec![asked.union(sc.fixes_for(fs))]
                };
                for fixes in runs {
                    let want = sc.expect_with(fs, strategy, fixes);
                    // `--quick` keeps CI's budget: under the strategies that are not Redis it
                    // runs only what the scenarios decide (fixed, caught, harmless), not the
                    // information-only rows.
                    let info_only = a.quick
                        && strategy != Strategy::Confinement
                        && want == Expectation::NotListed;
                    if want == Expectation::NotApplicable || info_only {
                        continue;
                    }
                    for e in Explorer::ALL.into_iter().filter(|e| e.suits(&spec)) {
                        // Real threads cannot be steered to an upstream bug (and one that
                        // blocks a client forever would wait for the watchdog).
                        if want.finding().is_some() && e == Explorer::Stress {
                            continue;
                        }
                        jobs.push((*sc, fs, strategy, e, fixes));
                    }
                }
            }
        }
    }
    let t0 = Instant::now();
    let pb = super::progress(jobs.len() as u64, "prove");
    let mut rows: Vec<Row> = Vec::new();
    for (sc, faults, strategy, e, fixes) in jobs {
        pb.set_message(format!("{} [{faults}] {strategy} {}", sc.name, e.name()));
        let opts = Opts {
            faults,
            strategy,
            fixes,
            ..Opts::default()
        };
        let o = refrace_sims::quiet::quietly(|| e.run(sc, opts, budget(&b, e), a.seed));
        let v = judge_with(sc, faults, strategy, fixes, e, &o);
        let role = v.role;
        let mut row = Row {
            scenario: sc.name,
            faults: faults.to_string(),
            fixes: fixes.to_string(),
            strategy: strategy.name(),
            explorer: e.name(),
            role,
            verdict: v.words,
            ok: v.ok,
            schedules: o.schedules,
            to_first_bug: o.first.as_ref().map(|f| f.schedule),
            wall_s: o.wall.as_secs_f64(),
            invariant: v.found.map(|i| i.name().to_string()),
            expected: v.accepted.iter().map(|i| i.name()).collect(),
            counterexample: None,
            shrink: None,
        };
        let guard = matches!(role, Role::Fixed | Role::MustBeClean) && row.ok;
        if let Some(cx) = o
            .first
            .as_ref()
            .filter(|_| !guard)
            .and_then(|f| from_failure(sc, &opts, e.name(), a.seed, f))
        {
            let path = default_path(&cx_dir, sc, &opts, e.name(), a.seed);
            // Listed catches are shrunk once per scenario and fault set (the first must-catch
            // explorer's finding); the rest are written as found.
            let first_of_pair = !rows.iter().any(|r| {
                r.scenario == sc.name
                    && r.faults == row.faults
                    && r.fixes == row.fixes
                    && r.strategy == row.strategy
                    && r.shrink.is_some()
            });
            let listed = matches!(role, Role::MustCatch | Role::UpstreamBug);
            let shrunk: Result<Counterexample, String> = if listed && row.ok && first_of_pair {
                refrace_sims::quiet::quietly(|| shrink(&cx, Limits::default()))
            } else {
                Ok(cx)
            };
            let cx = shrunk?;
            cx.save(&path)?;
            row.shrink = cx
                .shrink
                .as_ref()
                .map(|r| format!("{} -> {}", brief(&r.before), brief(&r.after)));
            // Relative to the working directory when below it: reports name no machine's paths.
            let cwd = std::env::current_dir().unwrap_or_default();
            row.counterexample = Some(path.strip_prefix(&cwd).map_or(path.clone(), PathBuf::from));
        }
        rows.push(row);
        pb.inc(1);
    }
    pb.finish_and_clear();
    let mut failures: Vec<String> = rows
        .iter()
        .filter(|r| !r.ok)
        .map(|r| {
            format!(
                "{} [{}{}] {} {}: {}",
                r.scenario,
                r.faults,
                if r.fixes == "none" {
                    String::new()
                } else {
                    format!(", fix {}", r.fixes)
                },
                r.strategy,
                r.explorer,
                r.verdict
            )
        })
        .collect();
    if a.scenarios.is_none() {
        for f in Fault::ALL {
            let caught = rows.iter().any(|r| {
                r.role == Role::MustCatch
                    && r.ok
                    && FaultSet::parse(&r.faults).is_ok_and(|fs| fs.has(f))
            });
            if !caught {
                failures.push(format!(
                    "fault {f}: no listed scenario caught it (the harness lost its teeth)"
                ));
            }
        }
    }
    let meta = Meta {
        command: format!(
            "refrace prove{}",
            std::env::args()
                .skip(2)
                .map(|a| format!(" {a}"))
                .collect::<String>()
        ),
        mode: if a.quick { "quick" } else { "full" },
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
    };
    let proof = serde_json::json!({
        "meta": meta,
        "holds": failures.is_empty(),
        "failures": failures,
        "rows": rows,
    });
    let json = serde_json::to_string_pretty(&proof).map_err(|e| e.to_string())?;
    let (md_path, json_path) = (a.reports.join("proof.md"), a.reports.join("proof.json"));
    std::fs::write(&json_path, json.clone() + "\n")
        .map_err(|e| format!("cannot write {}: {e}", json_path.display()))?;
    std::fs::write(&md_path, markdown(&meta, &rows, &failures))
        .map_err(|e| format!("cannot write {}: {e}", md_path.display()))?;
    if a.json {
        println!("{json}");
    } else {
        print_summary(&rows, &failures, &meta);
        println!(
            "wrote {} and {}; counterexamples in {}",
            md_path.display(),
            json_path.display(),
            cx_dir.display()
        );
    }
    Ok(if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A fixed-model row of an upstream-bug scenario run with its fix on.
fn is_finding_fix_run(r: &Row) -> bool {
    r.role == Role::Fixed
        && r.fixes != "none"
        && refrace_sims::scenarios::find(r.scenario).is_some_and(|sc| {
            sc.finding()
                .is_some_and(|f| FixSet::parse(&r.fixes).is_ok_and(|x| x.has(f.fix)))
        })
}

fn brief(s: &refrace_sims::counterexample::Size) -> String {
    format!("{}c/{}d/{}p", s.commands, s.decisions, s.preemptions)
}

fn print_summary(rows: &[Row], failures: &[String], meta: &Meta) {
    let count = |role: Role| rows.iter().filter(|r| r.role == role).count();
    println!(
        "{} runs in {:.1}s: {} upstream-bug reproductions, {} on the fixed model, {} must-catch, {} may-catch, {} must-be-clean, {} not expected",
        rows.len(),
        meta.wall_s,
        count(Role::UpstreamBug),
        count(Role::Fixed),
        count(Role::MustCatch),
        count(Role::MayCatch),
        count(Role::MustBeClean),
        count(Role::NotExpected)
    );
    if failures.is_empty() && meta.partial {
        println!(
            "PROOF HOLDS for the selected scenarios only (partial: whether every fault of the catalogue is caught was not checked)"
        );
    } else if failures.is_empty() {
        println!(
            "PROOF HOLDS: the fixed model is clean under every explorer and every fault is caught"
        );
    } else {
        println!("PROOF FAILED:");
        for f in failures {
            println!("  {f}");
        }
    }
}

fn table_row(r: &Row) -> String {
    format!(
        "| {} | {} | {} | {} | {} | {} | {} | {:.3}s | {} |\n",
        r.scenario,
        r.faults,
        r.strategy,
        r.explorer,
        r.verdict,
        r.schedules,
        r.to_first_bug.map_or("-".into(), |n| n.to_string()),
        r.wall_s,
        match (&r.invariant, r.expected.is_empty()) {
            (Some(i), _) => i.clone(),
            (None, false) => format!("({})", r.expected.join(" / ")),
            (None, true) => "-".into(),
        }
    )
}

const HEAD: &str = "| scenario | faults | strategy | explorer | verdict | schedules | to first bug | wall | invariant |\n|---|---|---|---|---|---:|---:|---:|---|\n";

fn markdown(meta: &Meta, rows: &[Row], failures: &[String]) -> String {
    let mut s = String::new();
    s.push_str("# Regression proof\n\n");
    s.push_str(&format!(
        "Made by `{}` (`cargo run --release -- prove{}`), {} mode, in {:.1}s wall.\n\n",
        meta.command,
        if meta.mode == "quick" { " --quick" } else { "" },
        meta.mode,
        meta.wall_s
    ));
    s.push_str(&format!(
        "- date: {} UTC\n- commit: {}\n- machine: {}\n- {}\n- shuttle {} (vector-clocks), loom {}\n- seed: {:#x}; budgets: {} schedules per shuttle random/PCT run, {} per DFS run, {} real-thread runs per stress run\n\n",
        meta.date_utc, meta.commit, meta.machine, meta.rustc, meta.shuttle, meta.loom, meta.seed,
        meta.budgets.shuttle, meta.budgets.dfs, meta.budgets.stress
    ));
    s.push_str(if failures.is_empty() && meta.partial {
        "**Verdict: the proof holds for the selected scenarios only** (`--scenarios`): their fixed-model runs are clean and their listed faults are caught; whether every fault of the catalogue is caught was not checked.\n\n"
    } else if failures.is_empty() {
        "**Verdict: the proof holds.** The fixed model is clean under every explorer (or ends in the scenario's stated Redis guard), every upstream bug it reproduces at the pin is reproduced without its fix and gone with it, and every fault of the catalogue is caught, with a listed invariant, by every explorer expected to catch it.\n\n"
    } else {
        "**Verdict: the proof FAILED.**\n\n"
    });
    for f in failures {
        s.push_str(&format!("- FAILED: {f}\n"));
    }
    s.push_str(&format!(
        "How to read it: expectations are data (`sims/src/scenarios/`: each scenario's fixed-model outcome, the faults it must catch with which invariants, and what the atomic and epoch strategies change). Strategies: confinement (Redis 8.6), atomic and epoch (not Redis; see `refrace list`); a fault is run only under the strategies whose code it changes, and `--quick` runs the faults a scenario does not list under confinement only. Explorers of this build: {}. {} must catch each listed fault within the budget; shuttle DFS (bounded; only worlds with one IO thread and no BIO thread) and real threads (no control over the interleaving) report what they see. loom is not in this build: it runs in its own CI lane (`cargo test --release -p refrace-sims --features loom --test loom`). \"to first bug\" counts schedules up to the first failing one. Counterexamples of shuttle findings are replay files (`refrace replay FILE`); those of listed catches are shrunk (size: commands c / schedule decisions d / preemptions p, before -> after).\n\n",
        Explorer::ALL.iter().map(|e| e.name()).collect::<Vec<_>>().join(", "),
        Explorer::ALL
            .iter()
            .filter(|e| e.must_catch())
            .map(|e| e.name())
            .collect::<Vec<_>>()
            .join(" and "),
    ));
    s.push_str("## The fixed model\n\n");
    s.push_str(HEAD);
    for r in rows
        .iter()
        .filter(|r| r.role == Role::Fixed && !is_finding_fix_run(r))
    {
        s.push_str(&table_row(r));
    }
    let findings: Vec<&Row> = rows
        .iter()
        .filter(|r| r.role == Role::UpstreamBug || is_finding_fix_run(r))
        .collect();
    if !findings.is_empty() {
        s.push_str("\n## Upstream bugs (findings)\n\nScenarios whose expectation is \"upstream bug <name>\": Redis at the pin really does it (`reports/findings/<name>.md`). With the finding's candidate fix off, every must-catch explorer reproduces it; with the fix on (`--fix`), every explorer runs clean.\n\n| scenario | fix | strategy | explorer | verdict | schedules | to first bug | wall | invariant | shrunk |\n|---|---|---|---|---|---:|---:|---:|---|---|\n");
        for r in findings {
            let line = table_row(r);
            let line = line.replacen(&format!("| {} |", r.faults), &format!("| {} |", r.fixes), 1);
            s.push_str(&format!(
                "{} {} |\n",
                line.trim_end(),
                r.shrink.as_deref().unwrap_or("")
            ));
        }
    }
    s.push_str("\n## Each fault, in the scenarios that must catch it\n\n");
    s.push_str("| scenario | faults | strategy | explorer | verdict | schedules | to first bug | wall | invariant | shrunk |\n|---|---|---|---|---|---:|---:|---:|---|---|\n");
    for r in rows
        .iter()
        .filter(|r| matches!(r.role, Role::MustCatch | Role::MayCatch))
    {
        let line = table_row(r);
        s.push_str(&format!(
            "{} {} |\n",
            line.trim_end(),
            r.shrink.as_deref().unwrap_or("")
        ));
    }
    s.push_str("\n## Faults a strategy makes harmless (must run clean)\n\nThe scenario's `overrides` say why (e.g. the #14738 guard is not needed when decrements are atomic).\n\n");
    s.push_str(HEAD);
    for r in rows.iter().filter(|r| r.role == Role::MustBeClean) {
        s.push_str(&table_row(r));
    }
    let info: Vec<&Row> = rows
        .iter()
        .filter(|r| r.role == Role::NotExpected)
        .collect();
    let hits: Vec<&&Row> = info.iter().filter(|r| r.to_first_bug.is_some()).collect();
    s.push_str(&format!(
        "\n## Not expected: faults in scenarios that do not list them\n\n{} run(s); {} clean, {} with a violation (information, not a failure: the scenario was not written to catch that fault).\n\n",
        info.len(),
        info.len() - hits.len(),
        hits.len()
    ));
    if !hits.is_empty() {
        s.push_str(HEAD);
        for r in hits {
            s.push_str(&table_row(r));
        }
    }
    s.push_str("\nEvery row, with counterexample paths, is in `proof.json`.\n");
    s
}
