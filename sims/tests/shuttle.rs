//! shuttle lane: every scenario under the random scheduler and PCT (depth from
//! `REFRACE_PCT_DEPTH`, default 3), `REFRACE_SHUTTLE_ITERS` schedules each, seeded by
//! `REFRACE_SEED`; faults from `REFRACE_FAULT`, strategy from `REFRACE_STRATEGY`. `negative::*`
//! are the negative controls; `strategies::*` run every scenario's expectations under every
//! reclamation strategy.
#![cfg(not(feature = "loom"))]

use refrace_sims::explore::{shuttle_run, Budget, ShuttleMode};
use refrace_sims::lanes::{self, check_caught, scenario};
use refrace_sims::scenarios::Opts;

fn shuttle_lane(name: &str) {
    let b = Budget::from_env();
    lanes::lane(name, |sc, opts| {
        [ShuttleMode::Random, ShuttleMode::Pct(b.pct_depth)]
            .into_iter()
            .map(|mode| shuttle_run(move || sc.run(&opts), mode, b.shuttle_iters, b.seed))
            .collect()
    });
}

refrace_sims::scenario_tests!(shuttle_lane);

mod negative {
    use super::*;

    /// Each catch of the scenario is found by PCT within the budget, named by its invariant.
    fn caught(name: &str) {
        let sc = scenario(name);
        let b = Budget::from_env();
        let redis = refrace_model::config::Strategy::Confinement;
        for catch in sc.catches.iter().filter(|c| c.applies_to(redis)) {
            let opts = Opts {
                faults: refrace_model::FaultSet::of(catch.faults),
                ..Opts::default()
            };
            let o = shuttle_run(
                move || sc.run(&opts),
                ShuttleMode::Pct(b.pct_depth),
                b.shuttle_iters,
                b.seed,
            );
            check_caught(sc, catch, &o);
        }
    }

    refrace_sims::scenario_tests!(caught);
}

/// shuttle's exhaustive DFS on the scenarios small enough for it (one IO thread).
mod dfs {
    use super::*;

    fn dfs(name: &str) {
        let iters = Budget::from_env().shuttle_iters;
        lanes::lane(name, |sc, opts| {
            vec![shuttle_run(
                move || sc.run(&opts),
                ShuttleMode::Dfs,
                iters,
                0,
            )]
        });
    }

    #[test]
    fn get_del_then_close() {
        dfs("get_del_then_close");
    }

    #[test]
    fn deferred_release_then_address_reuse() {
        dfs("deferred_release_then_address_reuse");
    }

    #[test]
    fn echo_argv_reference() {
        dfs("echo_argv_reference");
    }

    #[test]
    fn getex_ex_on_referenced_value() {
        dfs("getex_ex_on_referenced_value");
    }
}

/// A failure's schedule file replays the same violation, every time.
mod replay {
    use super::*;
    use refrace_sims::explore::{invariant_of, shuttle_replay};

    #[test]
    fn defer_shared_free_schedule_replays_deterministically() {
        let sc = scenario("get_reply_ref_vs_overwrite");
        let catch = &sc.catches[0];
        let opts = Opts {
            faults: refrace_model::FaultSet::of(catch.faults),
            ..Opts::default()
        };
        let b = Budget::from_env();
        let o = shuttle_run(
            move || sc.run(&opts),
            ShuttleMode::Pct(b.pct_depth),
            b.shuttle_iters,
            b.seed,
        );
        let first = o.first.expect("PCT must find the #14738 bug");
        let file = first.replay.expect("shuttle wrote a schedule file");
        for _ in 0..10 {
            let msg = shuttle_replay(move || sc.run(&opts), &file)
                .expect_err("the replayed schedule must fail again");
            assert_eq!(invariant_of(&msg), first.invariant, "{msg}");
            assert_eq!(
                msg.lines().next(),
                first.message.lines().next(),
                "the replay reports the same violation"
            );
        }
    }
}

/// The strategy dimension: each scenario's fixed model and every fault set it names, under each
/// strategy, checked against the scenario's data (`Scenario::expect`).
mod strategies {
    use super::*;
    use refrace_model::config::{Fault, Strategy};
    use refrace_model::FaultSet;
    use refrace_sims::lanes::check_expected;
    use refrace_sims::scenarios::{Expectation, Scenario};

    fn run(sc: &'static Scenario, faults: FaultSet, strategy: Strategy, mode: ShuttleMode) {
        let b = Budget::from_env();
        let opts = Opts {
            faults,
            strategy,
            ..Opts::default()
        };
        let o = shuttle_run(move || sc.run(&opts), mode, b.shuttle_iters, b.seed);
        check_expected(sc, faults, strategy, &o);
    }

    fn each_strategy(name: &str) {
        let sc = scenario(name);
        let pct = ShuttleMode::Pct(Budget::from_env().pct_depth);
        for strategy in [Strategy::Atomic, Strategy::Epoch] {
            run(sc, FaultSet::NONE, strategy, ShuttleMode::Random);
            run(sc, FaultSet::NONE, strategy, pct);
        }
        for strategy in Strategy::ALL {
            for faults in sc.listed_fault_sets() {
                if matches!(
                    sc.expect(faults, strategy),
                    Expectation::Caught(_) | Expectation::Immune(_)
                ) {
                    run(sc, faults, strategy, pct);
                }
            }
        }
    }

    refrace_sims::scenario_tests!(each_strategy);

    /// #14738's fault is a bug of confinement only: caught there, clean under atomic and epoch
    /// (under epoch main retires overwritten values itself, so the guarded hand-off the fault
    /// removes is never taken: `Fault::applies_to` says so, and the run is clean).
    #[test]
    fn defer_shared_free_needs_the_guard_only_under_confinement() {
        let sc = scenario("get_reply_ref_vs_overwrite");
        let b = Budget::from_env();
        let faults = FaultSet::of(&[Fault::DeferSharedFree]);
        let found = |strategy| {
            let opts = Opts {
                faults,
                strategy,
                ..Opts::default()
            };
            shuttle_run(
                move || sc.run(&opts),
                ShuttleMode::Pct(b.pct_depth),
                b.shuttle_iters,
                b.seed,
            )
            .first
            .and_then(|f| f.invariant)
        };
        let caught = found(Strategy::Confinement);
        assert!(
            caught
                .as_deref()
                .is_some_and(|i| ["DATA_RACE", "COUNT_CONSERVATION", "LEAK"].contains(&i)),
            "confinement without the guard must be caught, got {caught:?}"
        );
        assert_eq!(found(Strategy::Atomic), None, "atomic needs no guard");
        assert!(!Fault::DeferSharedFree.applies_to(Strategy::Epoch));
        assert_eq!(found(Strategy::Epoch), None, "epoch needs no guard");
    }
}
