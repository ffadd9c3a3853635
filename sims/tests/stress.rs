//! std stress lane: every scenario on real OS threads, `REFRACE_STRESS_ITERS` runs each (default
//! 200); faults from `REFRACE_FAULT`, strategy from `REFRACE_STRATEGY`. Real threads only show
//! what the hardware happens to do, so the scenario's data says what to demand of each fault
//! it lists (`Catch::timing`). Tests, made from the scenario list:
//!
//! - `<scenario>`: the fixed model's outcome on every run;
//! - `negative::<scenario>` (scenarios with a deterministic catch): the fault shows, with a
//!   listed invariant, on every one of 3 runs;
//! - `rate::<scenario>` (scenarios with a racy catch): how often the fault shows (printed; zero
//!   is allowed), and every failure that shows is named by one of its invariants.

mod harness;

#[cfg(feature = "loom")]
fn main() {
    harness::skip()
}

#[cfg(not(feature = "loom"))]
fn main() {
    use harness::run;
    use lane::*;
    use refrace_sims::lanes::Family;
    use refrace_sims::scenarios::Timing;
    run(
        &[
            Family::of("", fixed),
            Family::only(
                "negative",
                |sc| sc.catches_with(Timing::Deterministic).next().is_some(),
                deterministic,
            ),
            Family::only(
                "rate",
                |sc| sc.catches_with(Timing::Racy).next().is_some(),
                rate,
            ),
        ],
        Vec::new(),
    )
}

#[cfg(not(feature = "loom"))]
mod lane {
    use refrace_model::FaultSet;
    use refrace_sims::explore::{Budget, Explorer};
    use refrace_sims::lanes::{self, caught, run_catch};
    use refrace_sims::scenarios::{Expectation, Opts, Scenario, Timing};
    use refrace_sims::verdict::{judge_expectation, report};

    /// Real threads, with the faults and strategy of the environment.
    pub fn fixed(sc: &'static Scenario) -> Result<(), String> {
        let iters = Budget::from_env().stress_iters;
        lanes::fixed_in(sc, &[(Explorer::Stress, iters, 0)], false)
    }

    /// Faults whose consequence does not depend on the interleaving show on every run.
    pub fn deterministic(sc: &'static Scenario) -> Result<(), String> {
        for catch in sc.catches_with(Timing::Deterministic) {
            let o = run_catch(sc, catch, Opts::default(), Explorer::Stress, 3, 0);
            caught(sc, catch, &o)?;
            if o.failures != 3 {
                return Err(format!(
                    "{} [faults: {}]: a deterministic fault must show every time, it showed {} of 3 times{}",
                    sc.name,
                    FaultSet::of(catch.faults),
                    o.failures,
                    report(&o)
                ));
            }
        }
        Ok(())
    }

    /// How often a racy fault shows on real threads (it may be rare, so zero is allowed), and
    /// a failure that does show is named by one of the fault's invariants.
    pub fn rate(sc: &'static Scenario) -> Result<(), String> {
        let iters = Budget::from_env().stress_iters;
        for catch in sc.catches_with(Timing::Racy) {
            let o = run_catch(sc, catch, Opts::default(), Explorer::Stress, iters, 0);
            let faults = FaultSet::of(catch.faults);
            println!(
                "{} [{faults}] on real threads: {} of {} runs failed ({:?})",
                sc.name, o.failures, o.schedules, o.wall
            );
            let v = judge_expectation(Expectation::Caught(catch.invariants), false, &o);
            if o.first.is_some() && !v.caught() {
                return Err(format!(
                    "{} [faults: {faults}]: {}{}",
                    sc.name,
                    v.words,
                    report(&o)
                ));
            }
        }
        Ok(())
    }
}
