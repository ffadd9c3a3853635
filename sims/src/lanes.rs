//! What each explorer lane asserts for a scenario, shared by the three test binaries: the
//! fixed model meets the scenario's expectation, and each fault in its catalogue is caught with
//! one of the named invariants (the negative controls).

use crate::explore::{Failure, Outcome};
use crate::scenarios::{find, Catch, Expect, Opts, Scenario};
use refrace_model::config::FaultSet;

/// The scenario called `name` (panics with the known names if there is none).
pub fn scenario(name: &str) -> &'static Scenario {
    find(name).unwrap_or_else(|| {
        let names: Vec<&str> = crate::scenarios::SCENARIOS.iter().map(|s| s.name).collect();
        panic!("unknown scenario '{name}'; known: {}", names.join(", "))
    })
}

/// Fail unless `names` lists every scenario exactly once (see `scenario_tests!`).
pub fn assert_covers(names: &[&str]) {
    let mut have: Vec<&str> = names.to_vec();
    let mut want: Vec<&str> = crate::scenarios::SCENARIOS.iter().map(|s| s.name).collect();
    have.sort_unstable();
    want.sort_unstable();
    assert_eq!(have, want, "the lane's scenario tests and SCENARIOS differ");
}

/// One lane test: run scenario `name` with the faults from `REFRACE_FAULT` through `explore`
/// (one or more explorer runs) and check every outcome with [`check_run`].
pub fn lane(name: &str, explore: impl Fn(&'static Scenario, Opts) -> Vec<Outcome>) {
    let sc = scenario(name);
    let opts = env_opts();
    for o in explore(sc, opts) {
        check_run(sc, opts.faults, &o);
    }
}

/// Options for a lane run: faults from `REFRACE_FAULT` (an unknown name fails loudly).
pub fn env_opts() -> Opts {
    Opts::from_env().unwrap_or_else(|e| panic!("REFRACE_FAULT: {e}"))
}

fn describe(o: &Outcome, f: &Failure) -> String {
    let replay = f
        .replay
        .as_ref()
        .map(|p| {
            format!(
                "\nreplay: {} (same scenario and faults; shuttle: explore::shuttle_replay, loom: explore::loom_replay)",
                p.display()
            )
        })
        .unwrap_or_default();
    format!(
        "{} found a violation at schedule {} ({} schedule(s) run):\n{}{replay}",
        o.explorer, f.schedule, o.schedules, f.message
    )
}

/// The invariants the fixed model may end in (Redis's own guard), if any.
fn guard(sc: &'static Scenario) -> &'static [&'static str] {
    match &sc.fixed {
        Expect::Clean => &[],
        Expect::Guard(g) => std::slice::from_ref(g),
    }
}

fn fail_report(sc: &Scenario, faults: FaultSet, o: &Outcome, f: &Failure) -> ! {
    panic!("{} [faults: {faults}]: {}", sc.name, describe(o, f))
}

/// A lane run with the faults the user switched on (`REFRACE_FAULT`): the scenario must meet
/// its fixed expectation; any other violation fails the test with the full report (that is how
/// a switched-on bug shows up).
pub fn check_run(sc: &'static Scenario, faults: FaultSet, o: &Outcome) {
    let allowed = guard(sc);
    match &o.first {
        None if allowed.is_empty() => {}
        None => panic!(
            "{} [faults: {faults}]: expected Redis's guard ({}) but {} ran {} schedule(s) without it",
            sc.name,
            allowed.join(" or "),
            o.explorer,
            o.schedules
        ),
        Some(f) if f.invariant.as_deref().is_some_and(|i| allowed.contains(&i)) => {}
        Some(f) => fail_report(sc, faults, o, f),
    }
}

/// A negative control: with `catch`'s faults on, the explorer must find a violation named by
/// one of its invariants. Passes when the harness catches the bug.
pub fn check_caught(sc: &Scenario, catch: &Catch, o: &Outcome) {
    let faults = FaultSet::of(catch.faults);
    match &o.first {
        None => panic!(
            "{} [faults: {faults}]: expected {} but {} ran {} schedule(s) without a violation: the harness lost its teeth",
            sc.name,
            catch.invariants.join(" or "),
            o.explorer,
            o.schedules
        ),
        Some(f) => {
            let got = f.invariant.as_deref().unwrap_or("(no invariant)");
            assert!(
                catch.invariants.contains(&got),
                "{} [faults: {faults}]: expected {} but got {got}:\n{}",
                sc.name,
                catch.invariants.join(" or "),
                describe(o, f)
            );
        }
    }
}
