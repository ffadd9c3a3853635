//! loom lane (`cargo test --release -p refrace-sims --features loom --test loom`): every
//! scenario explored exhaustively within the preemption bound `LOOM_MAX_PREEMPTIONS` (default
//! 2); faults from `REFRACE_FAULT`. A failure leaves a checkpoint under `target/refrace/loom/`.
//! `negative::*` are the negative controls: #14738 is reported both as the race itself (the
//! refcount word as a plain cell) and as its consequence (load and store split, so loom reaches
//! the lost update). `strategies::*` run the atomic and epoch strategies: every scenario's fixed
//! model, and every fault set a scenario names whose outcome the strategy decides (caught or
//! clean).
#![cfg(feature = "loom")]

use refrace_model::sync::WordMode;
use refrace_model::FaultSet;
use refrace_sims::explore::{loom_run, Budget};
use refrace_sims::lanes::{self, check_caught, scenario};
use refrace_sims::scenarios::{Catch, Opts};

fn loom_lane(name: &str) {
    let bound = Budget::from_env().loom_preemptions;
    lanes::lane(name, |sc, opts| {
        let o = loom_run(sc.name, move || sc.run(&opts), bound);
        println!(
            "loom {}: {} iterations in {:?}",
            sc.name, o.schedules, o.wall
        );
        vec![o]
    });
}

refrace_sims::scenario_tests!(loom_lane);

mod negative {
    use super::*;

    fn caught(name: &str, mode: WordMode, catch: &Catch) {
        let sc = scenario(name);
        let opts = Opts {
            faults: FaultSet::of(catch.faults),
            word_mode: mode,
            ..Opts::default()
        };
        let o = loom_run(
            name,
            move || sc.run(&opts),
            Budget::from_env().loom_preemptions,
        );
        println!(
            "loom {name} {mode:?} [{}]: {} iterations to {:?}",
            opts.faults,
            o.schedules,
            o.first.as_ref().and_then(|f| f.invariant.clone())
        );
        check_caught(sc, catch, &o);
    }

    /// The unsynchronised RMW on the refcount word, as TSan would report it.
    #[test]
    fn defer_shared_free_race() {
        let catch = Catch {
            faults: &[refrace_model::Fault::DeferSharedFree],
            invariants: &["DATA_RACE"],
        };
        caught("get_reply_ref_vs_overwrite", WordMode::DetectRace, &catch);
    }

    /// The checkpoint a failure leaves replays that failing execution first.
    #[test]
    fn defer_shared_free_checkpoint_replays() {
        let sc = scenario("get_reply_ref_vs_overwrite");
        let opts = Opts {
            faults: FaultSet::of(&[refrace_model::Fault::DeferSharedFree]),
            word_mode: WordMode::SplitRmw,
            ..Opts::default()
        };
        let bound = Budget::from_env().loom_preemptions;
        let o = loom_run("replay_probe", move || sc.run(&opts), bound);
        let first = o.first.expect("loom must find the lost update");
        let checkpoint = first.replay.expect("loom left a checkpoint");
        let msg = refrace_sims::explore::loom_replay(move || sc.run(&opts), &checkpoint, bound)
            .expect_err("replaying the checkpoint must fail again");
        assert_eq!(
            refrace_sims::explore::invariant_of(&msg),
            first.invariant,
            "{msg}"
        );
        assert_eq!(msg.lines().next(), first.message.lines().next());
    }

    /// The lost update the race allows: the count stays 1 with no holder (a leak).
    #[test]
    fn defer_shared_free_lost_update() {
        let catch = Catch {
            faults: &[refrace_model::Fault::DeferSharedFree],
            invariants: &["COUNT_CONSERVATION", "LEAK"],
        };
        caught("get_reply_ref_vs_overwrite", WordMode::SplitRmw, &catch);
    }

    /// Every other catch of every scenario, with the race-detecting word.
    #[test]
    fn every_catalogued_fault() {
        for sc in refrace_sims::scenarios::SCENARIOS {
            let redis = refrace_model::config::Strategy::Confinement;
            for catch in sc.catches.iter().filter(|c| c.applies_to(redis)) {
                caught(sc.name, WordMode::DetectRace, catch);
            }
        }
    }
}

mod strategies {
    use super::*;
    use refrace_model::config::Strategy;
    use refrace_sims::lanes::check_expected;
    use refrace_sims::scenarios::Expectation;

    fn each_strategy(name: &str) {
        let sc = scenario(name);
        let bound = Budget::from_env().loom_preemptions;
        for strategy in [Strategy::Atomic, Strategy::Epoch] {
            let mut sets = vec![FaultSet::NONE];
            sets.extend(sc.listed_fault_sets().into_iter().filter(|fs| {
                matches!(
                    sc.expect(*fs, strategy),
                    Expectation::Caught(_) | Expectation::Immune(_)
                )
            }));
            for faults in sets {
                let opts = Opts {
                    faults,
                    strategy,
                    ..Opts::default()
                };
                let o = loom_run(sc.name, move || sc.run(&opts), bound);
                println!(
                    "loom {} {strategy} [{faults}]: {} iterations in {:?}, {:?}",
                    sc.name,
                    o.schedules,
                    o.wall,
                    o.first.as_ref().and_then(|f| f.invariant.clone())
                );
                check_expected(sc, faults, strategy, &o);
            }
        }
    }

    refrace_sims::scenario_tests!(each_strategy);
}
