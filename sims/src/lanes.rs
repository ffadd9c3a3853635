//! What each explorer lane asserts for a scenario, shared by the three test binaries: the
//! fixed model meets the scenario's expectation, and each fault in its catalogue is caught with
//! one of the named invariants (the negative controls).

use crate::explore::{Failure, Outcome};
use crate::scenarios::{find, Catch, Expect, Expectation, Opts, Scenario};
use refrace_model::config::{FaultSet, Strategy};

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
        check_run(sc, opts.faults, opts.strategy, &o);
    }
}

/// Options for a lane run: faults from `REFRACE_FAULT`, strategy from `REFRACE_STRATEGY` (an
/// unknown name fails loudly).
pub fn env_opts() -> Opts {
    Opts::from_env().unwrap_or_else(|e| panic!("REFRACE_FAULT / REFRACE_STRATEGY: {e}"))
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

/// The invariants the fixed model may end in under `strategy` (Redis's own guard), if any.
fn guard(sc: &'static Scenario, strategy: Strategy) -> &'static [&'static str] {
    match (sc.expect(FaultSet::NONE, strategy), &sc.fixed) {
        (Expectation::Fixed(Expect::Guard(_)), Expect::Guard(g)) => std::slice::from_ref(g),
        _ => &[],
    }
}

fn fail_report(sc: &Scenario, faults: FaultSet, o: &Outcome, f: &Failure) -> ! {
    panic!("{} [faults: {faults}]: {}", sc.name, describe(o, f))
}

/// A lane run with the faults the user switched on (`REFRACE_FAULT`): the scenario must meet
/// its fixed expectation; any other violation fails the test with the full report (that is how
/// a switched-on bug shows up).
pub fn check_run(sc: &'static Scenario, faults: FaultSet, strategy: Strategy, o: &Outcome) {
    let allowed = guard(sc, strategy);
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
    check_caught_as(
        sc,
        catch,
        FaultSet::of(catch.faults),
        Strategy::Confinement,
        o,
    )
}

fn check_caught_as(
    sc: &Scenario,
    catch: &Catch,
    faults: FaultSet,
    strategy: Strategy,
    o: &Outcome,
) {
    let faults = match strategy {
        Strategy::Confinement => faults.to_string(),
        s => format!("{faults}, strategy {s}"),
    };
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

/// Check a run of `sc` with `faults` under `strategy` against what the scenario's data says
/// ([`Scenario::expect`]): caught with a listed invariant, clean where the strategy makes the
/// fault harmless, the fixed model's outcome. Unlisted and inapplicable pairs assert nothing.
pub fn check_expected(sc: &'static Scenario, faults: FaultSet, strategy: Strategy, o: &Outcome) {
    match sc.expect(faults, strategy) {
        Expectation::Caught(invariants) => {
            let catch = Catch {
                faults: &[],
                invariants,
            };
            check_caught_as(sc, &catch, faults, strategy, o)
        }
        Expectation::Fixed(_) => check_run(sc, faults, strategy, o),
        Expectation::Immune(why) => {
            if let Some(f) = &o.first {
                panic!(
                    "{} [faults: {faults}, strategy {strategy}]: expected clean ({why}), but:\n{}",
                    sc.name,
                    describe(o, f)
                )
            }
        }
        Expectation::NotApplicable | Expectation::NotListed => {}
    }
}
