//! The lanes' test harness (each lane is a `harness = false` binary that includes this module):
//! the trials of a lane's families, one per scenario, made at run time from the scenario list
//! (`refrace_sims::lanes`), plus the lane's one-off tests and `every_scenario_has_a_test`, run
//! as libtest runs tests (filters, `--exact`, `--skip`, `--list`, `--test-threads`) by the
//! `libtest-mimic` crate. Output is not captured.
#![allow(dead_code)] // each lane uses part of it

use libtest_mimic::{Arguments, Failed, Trial};
use refrace_sims::lanes::{covers, Family};

/// A trial running `body`; `Err` carries the failure's report.
pub fn trial(
    name: impl Into<String>,
    body: impl FnOnce() -> Result<(), String> + Send + 'static,
) -> Trial {
    Trial::test(name, move || body().map_err(Failed::from))
}

/// Run a lane: one trial per scenario of each family, the `extra` ones, and
/// `every_scenario_has_a_test`, under the command line's filters. Exits with libtest's status.
pub fn run(families: &[Family], extra: Vec<Trial>) -> ! {
    refrace_sims::quiet::filter_stderr();
    let args = Arguments::from_args();
    let mut trials: Vec<Trial> = families
        .iter()
        .flat_map(|f| {
            let body = f.body;
            f.members()
                .map(move |(name, sc)| trial(name, move || body(sc)))
                .collect::<Vec<_>>()
        })
        .collect();
    trials.extend(extra);
    let names: Vec<String> = trials.iter().map(|t| t.name().to_string()).collect();
    let families = families.to_vec();
    trials.push(trial("every_scenario_has_a_test", move || {
        match covers(&names, &families)[..] {
            [] => Ok(()),
            ref missing => Err(format!(
                "the lane has no test for: {} (tests are made from SCENARIOS: see sims/src/lanes.rs)",
                missing.join(", ")
            )),
        }
    }));
    libtest_mimic::run(&args, trials).exit()
}

/// A lane with no tests in this build (the shuttle and stress lanes in the `loom` build, the
/// loom lane in the default one): runs nothing, successfully.
pub fn skip() -> ! {
    libtest_mimic::run(&Arguments::from_args(), Vec::new()).exit()
}
