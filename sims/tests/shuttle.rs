//! shuttle lane: every scenario under the random scheduler and PCT (depth from
//! `REFRACE_PCT_DEPTH`, default 3), `REFRACE_SHUTTLE_ITERS` schedules each, seeded by
//! `REFRACE_SEED`; faults from `REFRACE_FAULT`, strategy from `REFRACE_STRATEGY`. Tests, one
//! per scenario and named after it (made from the scenario list: `refrace_sims::lanes`):
//!
//! - `<scenario>`: the fixed model's outcome (with `REFRACE_FAULT` set, the switched-on bug
//!   fails it, with the full report);
//! - `negative::<scenario>`: the negative controls: each fault the scenario lists is caught by
//!   PCT with one of its invariants;
//! - `dfs::<scenario>`: shuttle's exhaustive DFS, for the scenarios it suits (one IO thread, no
//!   BIO thread: `Explorer::suits`);
//! - `strategies::<scenario>`: every fault set the scenario names, under each reclamation
//!   strategy, checked against the scenario's data;
//!
//! and `replay::*` (a failure's schedule file replays it) and
//! `strategies::defer_shared_free_needs_the_guard_only_under_confinement`.

mod harness;

#[cfg(feature = "loom")]
fn main() {
    harness::skip()
}

#[cfg(not(feature = "loom"))]
fn main() {
    use harness::{run, trial};
    use lane::*;
    use refrace_sims::lanes::Family;
    run(
        &[
            Family::of("", fixed),
            Family::of("negative", negative),
            Family::only("dfs", |sc| sc.suits(Explorer::ShuttleDfs), dfs),
            Family::of("strategies", each_strategy),
        ],
        vec![
            trial(
                "replay::defer_shared_free_schedule_replays_deterministically",
                replays_deterministically,
            ),
            trial(
                "strategies::defer_shared_free_needs_the_guard_only_under_confinement",
                guard_only_under_confinement,
            ),
            trial(
                "variant_14934::an_io_thread_decrement_to_one_races_clients_reply_refs",
                notify_off_main_races_the_dict,
            ),
        ],
    )
}

#[cfg(not(feature = "loom"))]
mod lane {
    use refrace_model::config::{Fault, Strategy};
    use refrace_model::{FaultSet, Invariant};
    pub use refrace_sims::explore::Explorer;
    use refrace_sims::explore::{invariant_of, shuttle_replay, Budget};
    use refrace_sims::lanes::{self, decided, expected, run_catch, scenario};
    use refrace_sims::scenarios::{Opts, Scenario, RACE};

    /// Random and PCT, with the faults and strategy of the environment.
    pub fn fixed(sc: &'static Scenario) -> Result<(), String> {
        let b = Budget::from_env();
        lanes::fixed(
            sc,
            &[
                (Explorer::ShuttleRandom, b.shuttle_iters, b.seed),
                (b.pct(), b.shuttle_iters, b.seed),
            ],
        )
    }

    /// Each catch of the scenario is found by PCT within the budget, named by its invariant.
    pub fn negative(sc: &'static Scenario) -> Result<(), String> {
        let b = Budget::from_env();
        lanes::negatives(sc, b.pct(), b.shuttle_iters, b.seed)
    }

    /// shuttle's exhaustive DFS, up to the budget.
    pub fn dfs(sc: &'static Scenario) -> Result<(), String> {
        let iters = Budget::from_env().shuttle_iters;
        lanes::fixed(sc, &[(Explorer::ShuttleDfs, iters, 0)])
    }

    /// The strategy dimension: the fixed model under atomic and epoch (random and PCT), and
    /// every fault set the scenario names whose outcome a strategy decides (PCT).
    pub fn each_strategy(sc: &'static Scenario) -> Result<(), String> {
        let b = Budget::from_env();
        let (n, seed) = (b.shuttle_iters, b.seed);
        for strategy in [Strategy::Atomic, Strategy::Epoch] {
            expected(
                sc,
                FaultSet::NONE,
                strategy,
                Explorer::ShuttleRandom,
                n,
                seed,
            )?;
            expected(sc, FaultSet::NONE, strategy, b.pct(), n, seed)?;
        }
        for strategy in Strategy::ALL {
            for faults in decided(sc, strategy) {
                expected(sc, faults, strategy, b.pct(), n, seed)?;
            }
        }
        Ok(())
    }

    /// A failure's schedule file replays the same violation, every time.
    pub fn replays_deterministically() -> Result<(), String> {
        let sc = scenario("get_reply_ref_vs_overwrite");
        let catch = &sc.catches[0];
        let b = Budget::from_env();
        let o = run_catch(sc, catch, Opts::default(), b.pct(), b.shuttle_iters, b.seed);
        let first = o.first.ok_or("PCT must find the #14738 bug")?;
        let file = first.replay.ok_or("shuttle wrote no schedule file")?;
        let opts = Opts {
            faults: FaultSet::of(catch.faults),
            ..Opts::default()
        };
        for _ in 0..10 {
            let Err(msg) = shuttle_replay(move || sc.run(&opts), &file) else {
                return Err("the replayed schedule must fail again".into());
            };
            if invariant_of(&msg) != first.invariant
                || msg.lines().next() != first.message.lines().next()
            {
                return Err(format!(
                    "the replay reports another violation:\n{msg}\nfirst:\n{}",
                    first.message
                ));
            }
        }
        Ok(())
    }

    /// Variant 14934: `decrRefCount` reaching 1 on an IO thread (#14738's fault) calls
    /// `replyRefsNotifyDecrRefCount`, whose lookup of `clients_reply_refs` is unordered with
    /// main's untrack: DATA_RACE on the dict. The header-word race is switched off
    /// (`split-rmw`) so that the dict's is the one reported in some schedule; random seeds are
    /// tried until one shows it.
    pub fn notify_off_main_races_the_dict() -> Result<(), String> {
        use refrace_model::config::Variant;
        use refrace_model::sync::WordMode;
        let sc = scenario("get_reply_ref_vs_overwrite");
        let opts = Opts {
            faults: FaultSet::of(&[Fault::DeferSharedFree]),
            word_mode: WordMode::SplitRmw,
            variant: Some(Variant::ReplyRefs14934),
            ..Opts::default()
        };
        let mut seen = Vec::new();
        for seed in 0..2000u64 {
            let o = Explorer::ShuttleRandom.run(sc, opts, 1, seed);
            if let Some(f) = o.first {
                if f.invariant == Some(Invariant::DataRace)
                    && f.message.contains("clients_reply_refs")
                {
                    return Ok(());
                }
                if seen.len() < 3 {
                    seen.push(f.message.lines().next().unwrap_or_default().to_string());
                }
            }
        }
        Err(format!(
            "no schedule of 2000 showed the race on clients_reply_refs; first failures: {seen:?}"
        ))
    }

    /// #14738's fault is a bug of confinement only: caught there, clean under atomic and epoch
    /// (under epoch main retires overwritten values itself, so the guarded hand-off the fault
    /// removes is never taken: `Fault::applies_to` says so, and the run is clean).
    pub fn guard_only_under_confinement() -> Result<(), String> {
        let sc = scenario("get_reply_ref_vs_overwrite");
        let b = Budget::from_env();
        let faults = FaultSet::of(&[Fault::DeferSharedFree]);
        let found = |strategy| -> Option<Invariant> {
            let opts = Opts {
                faults,
                strategy,
                ..Opts::default()
            };
            b.pct()
                .run(sc, opts, b.shuttle_iters, b.seed)
                .first
                .and_then(|f| f.invariant)
        };
        let caught = found(Strategy::Confinement);
        if !caught.is_some_and(|i| RACE.contains(&i)) {
            return Err(format!(
                "confinement without the guard must be caught, got {caught:?}"
            ));
        }
        if let Some(i) = found(Strategy::Atomic) {
            return Err(format!("atomic needs no guard, but {i}"));
        }
        if Fault::DeferSharedFree.applies_to(Strategy::Epoch) {
            return Err("defer-shared-free must not apply to epoch".into());
        }
        if let Some(i) = found(Strategy::Epoch) {
            return Err(format!("epoch needs no guard, but {i}"));
        }
        Ok(())
    }
}
