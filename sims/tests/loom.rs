//! loom lane (`cargo test --release -p refrace-sims --features loom --test loom`): every
//! scenario explored exhaustively within the preemption bound `LOOM_MAX_PREEMPTIONS` (default
//! 2); faults from `REFRACE_FAULT`, strategy from `REFRACE_STRATEGY`. A failure leaves a
//! checkpoint under `target/refrace/loom/`. Tests, one per scenario and named after it (made
//! from the scenario list: `refrace_sims::lanes`):
//!
//! - `<scenario>`: the fixed model's outcome (with `REFRACE_FAULT` set, the switched-on bug
//!   fails it: #14738 as `DATA_RACE` naming the object, its holders and its last events);
//! - `negative::<scenario>`: every fault the scenario lists is caught with one of its
//!   invariants (the header word and `ptr` as race-checked cells);
//! - `strategies::<scenario>`: the atomic and epoch strategies: the fixed model, and every
//!   fault set the scenario names whose outcome the strategy decides (caught or clean);
//!
//! and five about #14738: reported as the race itself (`negative::defer_shared_free_race`,
//! with the object, holders and last events, as the shuttle lane reports it), as its
//! consequence (`negative::defer_shared_free_lost_update`: load and store split, so loom
//! reaches the lost update), both again at preemption bound 3 whatever the lane's bound
//! (`negative::defer_shared_free_race_at_bound_3`, `…_lost_update_at_bound_3`: removing a
//! scheduling point must not hide the bug at either bound), and the checkpoint of a failure
//! replays it (`negative::defer_shared_free_checkpoint_replays`).

mod harness;

#[cfg(not(feature = "loom"))]
fn main() {
    harness::skip()
}

#[cfg(feature = "loom")]
fn main() {
    use harness::{run, trial};
    use lane::*;
    use refrace_sims::lanes::Family;
    run(
        &[
            Family::of("", fixed),
            Family::of("negative", negative),
            Family::of("strategies", each_strategy),
        ],
        vec![
            trial("negative::defer_shared_free_race", race),
            trial(
                "negative::defer_shared_free_checkpoint_replays",
                checkpoint_replays,
            ),
            trial("negative::defer_shared_free_lost_update", lost_update),
            trial("negative::defer_shared_free_race_at_bound_3", || race_at(3)),
            trial("negative::defer_shared_free_lost_update_at_bound_3", || {
                lost_update_at(3)
            }),
        ],
    )
}

#[cfg(feature = "loom")]
mod lane {
    use refrace_model::config::{Fault, Strategy};
    use refrace_model::sync::WordMode;
    use refrace_model::{FaultSet, Invariant};
    use refrace_sims::explore::{invariant_of, loom_replay, Budget, Explorer, UNBOUNDED};
    use refrace_sims::lanes::{self, caught, decided, expected, run_catch, scenario};
    use refrace_sims::scenarios::{Catch, Opts, Scenario, Timing};

    /// Every interleaving within the bound (or the first `REFRACE_LOOM_BUDGET` executions), with
    /// the faults and strategy of the environment.
    pub fn fixed(sc: &'static Scenario) -> Result<(), String> {
        let b = Budget::from_env();
        lanes::fixed(sc, &[(b.loom(), b.loom_budget, 0)])
    }

    /// Every catch of the scenario, with the race-detecting word (within `REFRACE_LOOM_BUDGET`
    /// executions when set: a catch not made by then fails).
    pub fn negative(sc: &'static Scenario) -> Result<(), String> {
        let b = Budget::from_env();
        lanes::negatives(sc, b.loom(), b.loom_budget, 0)
    }

    /// The atomic and epoch strategies.
    pub fn each_strategy(sc: &'static Scenario) -> Result<(), String> {
        let b = Budget::from_env();
        let loom = b.loom();
        for strategy in [Strategy::Atomic, Strategy::Epoch] {
            let mut sets = vec![FaultSet::NONE];
            sets.extend(decided(sc, strategy));
            for faults in sets {
                expected(sc, faults, strategy, loom, b.loom_budget, 0)?;
            }
        }
        Ok(())
    }

    fn defer_shared_free(
        mode: WordMode,
        invariants: &'static [Invariant],
        bound: usize,
    ) -> Result<String, String> {
        let sc = scenario("get_reply_ref_vs_overwrite");
        let catch = Catch {
            faults: &[Fault::DeferSharedFree],
            invariants,
            timing: Timing::Racy,
        };
        let opts = Opts {
            word_mode: mode,
            ..Opts::default()
        };
        let loom = Explorer::Loom { preemptions: bound };
        let o = run_catch(sc, &catch, opts, loom, UNBOUNDED, 0);
        caught(sc, &catch, &o)?;
        Ok(o.first.map(|f| f.message).unwrap_or_default())
    }

    /// The unsynchronised RMW on the header word (the refcount's), as TSan would report it, in the shuttle
    /// lane's shape: the invariant, the object, the two threads, its holders and last events.
    pub fn race() -> Result<(), String> {
        race_at(Budget::from_env().loom_preemptions)
    }

    /// [`race`] at preemption bound `bound`.
    pub fn race_at(bound: usize) -> Result<(), String> {
        let msg = defer_shared_free(WordMode::DetectRace, &[Invariant::DataRace], bound)?;
        let shape = [
            "INVARIANT DATA_RACE: unsynchronised accesses to the header word (type, encoding, refcount) of #",
            " (no happens-before edge orders them), ",
            "\n  object #",
            "\n  holders: [",
            "\n  last events:\n    step ",
        ];
        match shape.iter().find(|part| !msg.contains(*part)) {
            None => Ok(()),
            Some(part) => Err(format!(
                "loom's race report lacks {part:?}; the report:\n{msg}"
            )),
        }
    }

    /// The lost update the race allows: the count stays 1 with no holder (a leak).
    pub fn lost_update() -> Result<(), String> {
        lost_update_at(Budget::from_env().loom_preemptions)
    }

    /// [`lost_update`] at preemption bound `bound`.
    pub fn lost_update_at(bound: usize) -> Result<(), String> {
        defer_shared_free(
            WordMode::SplitRmw,
            &[Invariant::CountConservation, Invariant::Leak],
            bound,
        )
        .map(drop)
    }

    /// The checkpoint a failure leaves replays that failing execution first.
    pub fn checkpoint_replays() -> Result<(), String> {
        let sc = scenario("get_reply_ref_vs_overwrite");
        let opts = Opts {
            faults: FaultSet::of(&[Fault::DeferSharedFree]),
            word_mode: WordMode::SplitRmw,
            ..Opts::default()
        };
        let b = Budget::from_env();
        let o = b
            .loom()
            .run_fn("replay_probe", move || sc.run(&opts), UNBOUNDED, 0);
        let first = o.first.ok_or("loom must find the lost update")?;
        let checkpoint = first.replay.ok_or("loom left no checkpoint")?;
        let Err(msg) = loom_replay(move || sc.run(&opts), &checkpoint, b.loom_preemptions) else {
            return Err("replaying the checkpoint must fail again".into());
        };
        if invariant_of(&msg) != first.invariant
            || msg.lines().next() != first.message.lines().next()
        {
            return Err(format!(
                "the replay reports another violation:\n{msg}\nfirst:\n{}",
                first.message
            ));
        }
        Ok(())
    }
}
