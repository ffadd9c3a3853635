//! The lanes' tests, made from [`SCENARIOS`] at run time, and the checks they make. Each lane
//! (`sims/tests/shuttle.rs`, `stress.rs`, `loom.rs`) is a `harness = false` test binary: it
//! lists its tests as *families* ([`Family`]: a name prefix, which scenarios get one, and the
//! body), and `sims/tests/harness/mod.rs` makes one trial per scenario of each family, named
//! after the scenario (`get_reply_ref_vs_overwrite`, `negative::get_reply_ref_vs_overwrite`,
//! `dfs::…`, `strategies::…`, so one `cargo test … <filter>` selects a scenario in every lane),
//! adds the lane's one-off tests and runs them as libtest does (filters, `--exact`, `--skip`,
//! `--test-threads`, `--list`; via the `libtest-mimic` crate, a dev-dependency).
//!
//! The harness also adds `every_scenario_has_a_test`, which fails when a family lacks the
//! trial of a scenario it covers, or when a lane lacks the plain `<scenario>` trial of one
//! ([`covers`]).
//!
//! Every check goes through [`crate::verdict`]: the lanes assert what `refrace prove` reports.

use crate::explore::{Explorer, Outcome};
use crate::scenarios::{Catch, Expectation, Opts, Scenario, SCENARIOS};
use crate::verdict::{judge_expectation, run_label};
use refrace_model::config::{FaultSet, Strategy};

/// A test body: `Err` carries the failure's report.
pub type Body = fn(&'static Scenario) -> Result<(), String>;

/// A family of per-scenario tests of a lane.
#[derive(Copy, Clone)]
pub struct Family {
    /// Name prefix (`""`: the plain `<scenario>` test; `"negative"`: `negative::<scenario>`).
    pub prefix: &'static str,
    /// Which scenarios get one.
    pub covers: fn(&Scenario) -> bool,
    /// The test.
    pub body: Body,
}

impl Family {
    /// The family's tests for every scenario.
    pub fn of(prefix: &'static str, body: Body) -> Family {
        Family {
            prefix,
            covers: |_| true,
            body,
        }
    }

    /// The family's tests for the scenarios `covers` accepts.
    pub fn only(prefix: &'static str, covers: fn(&Scenario) -> bool, body: Body) -> Family {
        Family {
            prefix,
            covers,
            body,
        }
    }

    /// The test name of `sc` in this family.
    pub fn test_name(&self, sc: &Scenario) -> String {
        if self.prefix.is_empty() {
            sc.name.to_string()
        } else {
            format!("{}::{}", self.prefix, sc.name)
        }
    }

    /// The test name and scenario of every scenario the family covers.
    pub fn members(&self) -> impl Iterator<Item = (String, &'static Scenario)> + '_ {
        SCENARIOS
            .iter()
            .filter(|sc| (self.covers)(sc))
            .map(|sc| (self.test_name(sc), sc))
    }
}

/// The names `families` must have among `names` that are missing, with every scenario's plain
/// test required whatever the families say. Empty when the lane covers every scenario.
pub fn covers(names: &[String], families: &[Family]) -> Vec<String> {
    let plain = Family::of("", |_| Ok(()));
    let mut missing = Vec::new();
    for f in std::iter::once(&plain).chain(families) {
        for (want, _) in f.members() {
            if !names.contains(&want) && !missing.contains(&want) {
                missing.push(want);
            }
        }
    }
    missing
}

/// The scenario called `name` (panics with the known names if there is none).
pub fn scenario(name: &str) -> &'static Scenario {
    crate::scenarios::find(name).unwrap_or_else(|| {
        let names: Vec<&str> = SCENARIOS.iter().map(|s| s.name).collect();
        panic!("unknown scenario '{name}'; known: {}", names.join(", "))
    })
}

/// Options for a lane run: faults from `REFRACE_FAULT`, strategy from `REFRACE_STRATEGY` (an
/// unknown name fails loudly).
pub fn env_opts() -> Opts {
    Opts::from_env().unwrap_or_else(|e| panic!("REFRACE_FAULT / REFRACE_STRATEGY: {e}"))
}

/// The lane test of `sc`: run it with the faults, strategy and fixes of the environment under
/// each of `explorers` and demand the fixed model's outcome (clean, or the stated guard). With
/// `REFRACE_FAULT` set, that is how a switched-on bug fails the test: with the full report. An
/// upstream-bug scenario runs twice ([`Scenario::fix_runs`]): without its fix the explorers
/// that must catch reproduce the bug, with it the scenario is clean.
pub fn fixed(sc: &'static Scenario, explorers: &[(Explorer, usize, u64)]) -> Result<(), String> {
    fixed_in(sc, explorers, true)
}

/// [`fixed`], running an upstream-bug scenario without its fix only when `bug_runs` (the
/// stress lane skips those: real threads cannot be steered to the bug, and a bug that blocks a
/// client forever would wait for the watchdog).
pub fn fixed_in(
    sc: &'static Scenario,
    explorers: &[(Explorer, usize, u64)],
    bug_runs: bool,
) -> Result<(), String> {
    let env = env_opts();
    for fixes in sc.fix_runs(env.fixes) {
        let opts = Opts { fixes, ..env };
        let want = sc.expect_with(FaultSet::NONE, opts.strategy, fixes);
        if want.finding().is_some() && !bug_runs {
            continue;
        }
        for &(e, budget, seed) in explorers {
            let o = e.run(sc, opts, budget, seed);
            if budget == crate::explore::UNBOUNDED {
                // An exhaustive run (loom): its size is worth a line, as the bound changes it.
                println!(
                    "{}: {}: {} iterations in {:.2?} ({})",
                    sc.name,
                    o.explorer,
                    o.schedules,
                    o.wall,
                    fix_label(opts)
                );
            }
            let must = want.finding().is_none() || e.must_catch();
            judge_expectation(want, must, &o).check(sc, &fix_label(opts), &o)?;
        }
    }
    Ok(())
}

/// How a lane names a run: its faults, its strategy when not Redis's, its fixes when any.
pub fn fix_label(opts: Opts) -> String {
    let base = run_label(opts.faults, opts.strategy);
    if opts.fixes.is_empty() {
        base
    } else {
        format!("{base}, fixes: {}", opts.fixes)
    }
}

/// Run `sc` with `catch`'s faults under Redis's strategy (and `opts`' word mode).
pub fn run_catch(
    sc: &'static Scenario,
    catch: &Catch,
    opts: Opts,
    e: Explorer,
    budget: usize,
    seed: u64,
) -> Outcome {
    let faults = FaultSet::of(catch.faults);
    let opts = Opts {
        faults,
        strategy: Strategy::Confinement,
        fixes: sc.fixes_for(faults),
        ..opts
    };
    e.run(sc, opts, budget, seed)
}

/// A negative control: with `catch`'s faults on, `o` must show one of its invariants (passes
/// when the harness catches the bug).
pub fn caught(sc: &Scenario, catch: &Catch, o: &Outcome) -> Result<(), String> {
    judge_expectation(Expectation::Caught(catch.invariants), true, o).check(
        sc,
        &run_label(FaultSet::of(catch.faults), Strategy::Confinement),
        o,
    )
}

/// The negative controls of `sc` under explorer `e`: every catch that applies to Redis's own
/// strategy is caught with a listed invariant.
pub fn negatives(
    sc: &'static Scenario,
    e: Explorer,
    budget: usize,
    seed: u64,
) -> Result<(), String> {
    for catch in sc
        .catches
        .iter()
        .filter(|c| c.applies_to(Strategy::Confinement))
    {
        let o = run_catch(sc, catch, Opts::default(), e, budget, seed);
        caught(sc, catch, &o)?;
    }
    Ok(())
}

/// Run `sc` with `faults` under `strategy` by `e` and check it against the scenario's data
/// ([`crate::verdict::judge`]): caught with a listed invariant, clean where the strategy makes
/// the fault harmless, the fixed model's outcome.
pub fn expected(
    sc: &'static Scenario,
    faults: FaultSet,
    strategy: Strategy,
    e: Explorer,
    budget: usize,
    seed: u64,
) -> Result<(), String> {
    let opts = Opts {
        faults,
        strategy,
        fixes: sc.fixes_for(faults),
        ..Opts::default()
    };
    let o = e.run(sc, opts, budget, seed);
    crate::verdict::judge_with(sc, faults, strategy, opts.fixes, e, &o).check(
        sc,
        &fix_label(opts),
        &o,
    )
}

/// The fault sets `sc` names whose outcome `strategy` decides (caught or harmless).
pub fn decided(sc: &Scenario, strategy: Strategy) -> Vec<FaultSet> {
    sc.listed_fault_sets()
        .into_iter()
        .filter(|fs| {
            matches!(
                sc.expect(*fs, strategy),
                Expectation::Caught(_) | Expectation::Immune(_)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(families: &[Family]) -> Vec<String> {
        families
            .iter()
            .flat_map(|f| f.members().map(|(n, _)| n))
            .collect()
    }

    /// The coverage check fails on a lane whose list misses one scenario's test.
    #[test]
    fn the_coverage_check_fails_when_a_scenario_lacks_a_test() {
        let families = [
            Family::of("", |_| Ok(())),
            Family::of("negative", |_| Ok(())),
            Family::only("dfs", |sc| sc.suits(Explorer::ShuttleDfs), |_| Ok(())),
        ];
        let all = names(&families);
        assert!(covers(&all, &families).is_empty());
        for drop in ["negative::get_del_then_close", "echo_argv_reference"] {
            let fewer: Vec<String> = all.iter().filter(|n| *n != drop).cloned().collect();
            assert_eq!(covers(&fewer, &families), vec![drop.to_string()]);
        }
        // A lane with only prefixed families still needs the plain test of every scenario.
        let only_negative = names(&families[1..2]);
        assert_eq!(
            covers(&only_negative, &families[1..2]).len(),
            SCENARIOS.len()
        );
    }
}
