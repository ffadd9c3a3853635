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
//!
//! The swarm (`refrace_sims::swarm`: worlds nobody wrote, drawn from seeds by the shared
//! generator) has its own family: `swarm::fixed_model` (`REFRACE_SWARM_WORLDS` worlds, each
//! explored with PCT and random schedules, `REFRACE_SWARM_SCHEDULES` each: no violation, and
//! every coverage event reached), `swarm::hunt::<faults>` (each catalogued fault, the swarm
//! alone, caught within `REFRACE_SWARM_HUNT_WORLDS` worlds) and
//! `swarm::counterexample_replays_10_of_10`.

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
        ]
        .into_iter()
        .chain(swarm_trials())
        .collect(),
    )
}

#[cfg(not(feature = "loom"))]
mod lane {
    use refrace_model::config::{Fault, Strategy};
    use refrace_model::{FaultSet, Invariant};
    use refrace_sims::counterexample::replay;
    use refrace_sims::explore::artifact_dir;
    pub use refrace_sims::explore::Explorer;
    use refrace_sims::explore::{invariant_of, shuttle_replay, Budget};
    use refrace_sims::lanes::{self, decided, expected, run_catch, scenario};
    use refrace_sims::quiet::quietly;
    use refrace_sims::scenarios::{Opts, Scenario, RACE};
    use refrace_sims::shrink::{shrink, Limits};
    use refrace_sims::swarm;

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

    /// The swarm's trials: the fixed model in generated worlds, one hunt per catalogued fault
    /// set, and a counterexample's replay.
    pub fn swarm_trials() -> Vec<libtest_mimic::Trial> {
        use crate::harness::trial;
        let mut v = vec![
            trial("swarm::fixed_model", swarm_fixed),
            trial(
                "swarm::counterexample_replays_10_of_10",
                swarm_counterexample_replays,
            ),
        ];
        for fs in swarm::catalogue() {
            let name = format!("swarm::hunt::{}", fs.to_string().replace(',', "+"));
            v.push(trial(name, move || swarm_hunt(fs)));
        }
        v
    }

    /// Generated worlds on the fixed model: no violation but Redis's guard, and every event of
    /// the coverage table reached.
    fn swarm_fixed() -> Result<(), String> {
        let b = swarm::LaneBudget::from_env();
        let mut cov = refrace_model::coverage::Counts::default();
        for i in 0..b.worlds {
            let seed = swarm::world_seed(b.seed, i);
            let r = quietly(|| {
                swarm::explore_world(i, seed, FaultSet::NONE, Strategy::Confinement, b.schedules)
            });
            cov.add(&r.coverage);
            if let Some((e, f)) = &r.failure {
                let file = swarm::counterexample(&r, FaultSet::NONE, Strategy::Confinement)
                    .map(|cx| shrink(&cx, Limits::default()).unwrap_or(cx))
                    .and_then(|cx| {
                        let p = artifact_dir("shuttle").join(format!("swarm-world-{i}.json"));
                        cx.save(&p).ok().map(|_| p)
                    });
                return Err(format!(
                    "swarm world {i} (seed {seed}, {}): {} found a violation on the fixed model at schedule {}:\n{}\ncounterexample: {} (refrace replay FILE)",
                    swarm::describe(&refrace_gen::World::from_seed(seed)),
                    e.name(),
                    f.schedule,
                    f.message,
                    file.map_or("not written".into(), |p| p.display().to_string())
                ));
            }
        }
        let missing: Vec<&str> = cov.missing().iter().map(|e| e.name()).collect();
        if !missing.is_empty() {
            return Err(format!(
                "{} worlds never reached: {} (steer the generator, gen/src/world.rs)",
                b.worlds,
                missing.join(", ")
            ));
        }
        Ok(())
    }

    /// One catalogued fault set, the swarm alone: caught within the hunt's budget, and the
    /// catch is the fault's (its schedule is clean without it).
    fn swarm_hunt(fs: FaultSet) -> Result<(), String> {
        let b = swarm::LaneBudget::from_env();
        let h = quietly(|| {
            swarm::hunt(
                fs,
                b.seed,
                b.hunt_worlds,
                b.hunt_schedules,
                swarm::Shard::ALL,
            )
        });
        if let Some((r, cx)) = h.fixed_findings.first() {
            return Err(format!(
                "hunting {fs}: world {} (seed {}) fails the same way without the fault: {}",
                r.index, r.seed, cx.message
            ));
        }
        match swarm::first_catch(&h.worlds) {
            Some(_) => Ok(()),
            None => Err(format!(
                "the swarm did not catch {fs} in {} worlds ({} schedules per explorer each)",
                h.worlds.len(),
                b.hunt_schedules
            )),
        }
    }

    /// A swarm catch, shrunk, replays its violation 10 times out of 10 with identical traces,
    /// and the same decisions run clean on the fixed model.
    fn swarm_counterexample_replays() -> Result<(), String> {
        let b = swarm::LaneBudget::from_env();
        let fs = FaultSet::of(&[Fault::DeferSharedFree]);
        let h = quietly(|| {
            swarm::hunt(
                fs,
                b.seed,
                b.hunt_worlds,
                b.hunt_schedules,
                swarm::Shard::ALL,
            )
        });
        let (_, cx) = h.catch.ok_or("the swarm must catch #14738")?;
        let cx = shrink(&cx, Limits::default())?;
        let spec = cx.spec(None)?;
        let first = quietly(|| replay(&spec, &cx.schedule));
        for _ in 0..10 {
            let r = quietly(|| replay(&spec, &cx.schedule));
            if r.trace != first.trace || r.violation != first.violation {
                return Err("a replay differs from the first".into());
            }
        }
        let v = first.violation.ok_or("the replay lost the violation")?;
        if v.invariant != Some(cx.invariant) {
            return Err(format!(
                "replayed {:?}, recorded {}",
                v.invariant, cx.invariant
            ));
        }
        if !swarm::clean_without_faults(&cx)? {
            return Err("the same decisions fail on the fixed model".into());
        }
        Ok(())
    }
}
