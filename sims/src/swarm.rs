//! The swarm: worlds nobody wrote. Each world is drawn from a seed by the shared generator
//! ([`refrace_gen::world`]: IO threads, BIO on or off, server knobs, two to four clients on main
//! or on IO threads with scripts from a random subset of the command families) and explored
//! like a scenario, with PCT and then uniformly random schedules, on the fixed model or with
//! faults switched on. The hand-written scenarios say what must happen in nine worlds; the
//! swarm says that nothing breaks in thousands of others, and that each catalogued fault is
//! caught there too without anybody writing the world that shows it.
//!
//! Seeds: world `i` of a run with base seed `b` is `World::from_seed(b + i)`; its PCT and
//! random explorations are seeded with the world's seed. A shard `K/N` ([`Shard`]) takes the
//! worlds whose index is `K-1` modulo `N`, so shards are disjoint and together are the unsharded
//! run, world for world and schedule for schedule.
//!
//! What counts as a finding on the fixed model: any violation except Redis's own guard
//! (`REFCOUNT_LIMIT`, which worlds with a 3-bit refcount may reach by design). A fault is
//! *caught* in a world when a violation occurs with it on (not the guard) and the same schedule
//! replayed on the fixed model is clean (or ends in the guard): the fault, not the world, made
//! the difference.

use crate::counterexample::{replay, Counterexample, SpecFile, FORMAT, SEMANTICS};
use crate::explore::{Explorer, Failure};
use crate::scenarios::SCENARIOS;
use crate::world::{run, ClientSpec, Spec, MAIN};
use refrace_gen::world::{Family, Home, Step, World};
use refrace_model::config::{
    Config, Fault, FaultSet, Fix, FixSet, MaxmemoryPolicy, Strategy, Variant,
};
use refrace_model::coverage::Counts;
use refrace_model::Invariant;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The swarm lane's budgets (`sims/tests/shuttle.rs`, `swarm::*`), from the environment.
#[derive(Copy, Clone, Debug)]
pub struct LaneBudget {
    /// `REFRACE_SWARM_WORLDS`: worlds on the fixed model (default 300).
    pub worlds: usize,
    /// `REFRACE_SWARM_SCHEDULES`: schedules per explorer per world (default 25).
    pub schedules: usize,
    /// `REFRACE_SWARM_HUNT_WORLDS`: worlds at most per hunt (default 600, as `prove`).
    pub hunt_worlds: usize,
    /// `REFRACE_SWARM_HUNT_SCHEDULES`: schedules per explorer per hunt world (default 50, as
    /// `prove`).
    pub hunt_schedules: usize,
    /// `REFRACE_SEED`: the base seed (default 0x5eed, as `prove`).
    pub seed: u64,
}

impl LaneBudget {
    /// Read the environment.
    pub fn from_env() -> LaneBudget {
        use crate::explore::env_num;
        LaneBudget {
            worlds: env_num("REFRACE_SWARM_WORLDS", 300),
            schedules: env_num("REFRACE_SWARM_SCHEDULES", 25),
            hunt_worlds: env_num("REFRACE_SWARM_HUNT_WORLDS", 600),
            hunt_schedules: env_num("REFRACE_SWARM_HUNT_SCHEDULES", 50),
            seed: env_num("REFRACE_SEED", 0x5eed),
        }
    }
}

/// The name counterexamples of swarm worlds carry as their scenario.
pub const NAME: &str = "swarm";

/// The explorers a world is explored with, in order (each with the per-explorer budget).
pub const EXPLORERS: [Explorer; 2] = [Explorer::PCT, Explorer::ShuttleRandom];

/// A shard of a run: `index` (1-based) of `count`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This shard, 1..=count.
    pub index: usize,
    /// Shards in all.
    pub count: usize,
}

impl Shard {
    /// The whole run.
    pub const ALL: Shard = Shard { index: 1, count: 1 };

    /// Parse `K/N` (1 ≤ K ≤ N); the error is one line.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let bad = || format!("--shard '{s}' must be K/N with 1 <= K <= N (e.g. 2/4)");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (usize, usize) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 || index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Whether unit `i` (a world index, a job index) belongs to this shard.
    pub fn owns(self, i: usize) -> bool {
        i % self.count == self.index - 1
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The seed of world `i` of a run with base seed `base`.
pub fn world_seed(base: u64, i: usize) -> u64 {
    base.wrapping_add(i as u64)
}

/// The spec of world `w` with `faults` under `strategy`, at the pinned Redis.
pub fn spec(w: &World, faults: FaultSet, strategy: Strategy) -> Spec {
    spec_of(w, faults, strategy, Variant::Pin)
}

/// The spec of world `w` with `faults` under `strategy` and Redis `variant`.
pub fn spec_of(w: &World, faults: FaultSet, strategy: Strategy, variant: Variant) -> Spec {
    let f = &w.features;
    let cfg = Config {
        io_threads_num: usize::from(w.io_threads) + 1,
        lazyfree_lazy_server_del: f.lazy_server_del,
        lazyfree_lazy_user_del: f.lazy_user_del,
        lazyfree_lazy_user_flush: f.lazy_user_flush,
        lazyfree_lazy_expire: f.lazy_expire,
        refcount_bits: if f.small_refcount {
            3
        } else {
            Config::default().refcount_bits
        },
        cluster_enabled: f.cluster,
        maxmemory_policy: match f.maxmemory_policy {
            None => MaxmemoryPolicy::NoEviction,
            Some(0) => MaxmemoryPolicy::AllkeysLru,
            Some(1) => MaxmemoryPolicy::AllkeysLfu,
            Some(2) => MaxmemoryPolicy::AllkeysRandom,
            Some(_) => MaxmemoryPolicy::VolatileRandom,
        },
        maxidletime: u64::from(f.idle_timeout),
        client_obuf_normal_hard: if f.obuf_limit { 1000 } else { 0 },
        fixes: fixes_for(w),
        faults,
        strategy,
        variant,
        ..Config::default()
    };
    let clients = w
        .clients
        .iter()
        .map(|c| ClientSpec {
            io: match c.home {
                Home::Main => MAIN,
                Home::Io(n) => n,
            },
            script: c.script.iter().map(Step::argv).collect(),
            sndbuf: c.sndbuf,
            hangup: c.hangup,
            pipeline: c.pipeline,
        })
        .collect();
    Spec {
        cfg,
        setup: w.setup_argv(),
        clients,
        bio_thread: w.bio_thread,
        needs_reply_refs: false,
    }
}

/// The fixes a world runs with: every [`Fix`] when it uses the trim family (SFLUSH,
/// TRIMSLOTS) or the transactions family, none otherwise. At the pin a background slot trim
/// with a pending reply is the upstream finding `bg-trim-unprotected`, a blocking SFLUSH the
/// finding `sflush-sync-never-unblocked`, and a FLUSH ASYNC inside EXEC after a SET the finding
/// `exec-flushall-async-argv` (reports/findings/): the scripted scenarios show those at the
/// pin and clean with their fixes; the swarm looks for anything *else* in such worlds, on the
/// fixed model and in the hunts alike (a fault's catch is replayed on the same fixed model).
pub fn fixes_for(w: &World) -> FixSet {
    if w.uses(Family::Trim) || w.uses(Family::Transactions) {
        FixSet::of(&Fix::ALL)
    } else {
        FixSet::NONE
    }
}

/// One line about a world (for reports).
pub fn describe(w: &World) -> String {
    let fams: Vec<&str> = w.families.iter().map(|f| f.name()).collect();
    let main = w.clients.iter().filter(|c| c.home == Home::Main).count();
    let piped = w.clients.iter().filter(|c| c.pipeline).count();
    format!(
        "{} IO thread(s){}, {} client(s) ({} on main, {} pipelined), families {}",
        w.io_threads,
        if w.bio_thread { " + BIO" } else { "" },
        w.clients.len(),
        main,
        piped,
        fams.join("+")
    )
}

/// Whether `i` is Redis's own guard: an accepted end of a world with a 3-bit refcount.
pub fn is_guard(i: Option<Invariant>) -> bool {
    i == Some(Invariant::RefcountLimit)
}

/// What exploring one world found.
#[derive(Clone, Debug)]
pub struct WorldRun {
    /// Its index in the run.
    pub index: usize,
    /// Its seed.
    pub seed: u64,
    /// Schedules explored (every explorer).
    pub schedules: usize,
    /// Runs that completed (their events are in `coverage`).
    pub runs: usize,
    /// Events of the completed runs.
    pub coverage: Counts,
    /// For each event, the completed runs that reached it at least once.
    pub reached: Counts,
    /// Explorations that ended in Redis's guard (`REFCOUNT_LIMIT`).
    pub guards: usize,
    /// The first violation that is not the guard, with the explorer that found it.
    pub failure: Option<(Explorer, Failure)>,
    /// Schedules up to and including the failing one (all of them when there is none).
    pub to_failure: usize,
    /// Wall time.
    pub wall: Duration,
}

/// Explore world `index` (seed `seed`) with `faults` under `strategy`, at the pinned Redis: each
/// of [`EXPLORERS`] for `budget` schedules, stopping at the first violation that is not the
/// guard.
pub fn explore_world(
    index: usize,
    seed: u64,
    faults: FaultSet,
    strategy: Strategy,
    budget: usize,
) -> WorldRun {
    explore_world_of(index, seed, faults, strategy, Variant::Pin, budget)
}

/// [`explore_world`] under Redis `variant`.
pub fn explore_world_of(
    index: usize,
    seed: u64,
    faults: FaultSet,
    strategy: Strategy,
    variant: Variant,
    budget: usize,
) -> WorldRun {
    let t = Instant::now();
    let w = World::from_seed(seed);
    let spec = spec_of(&w, faults, strategy, variant);
    let sink = Arc::new(Mutex::new((Counts::default(), Counts::default(), 0usize)));
    let mut out = WorldRun {
        index,
        seed,
        schedules: 0,
        runs: 0,
        coverage: Counts::default(),
        reached: Counts::default(),
        guards: 0,
        failure: None,
        to_failure: 0,
        wall: Duration::ZERO,
    };
    for e in EXPLORERS {
        let (s, k) = (spec.clone(), sink.clone());
        let o = e.run_fn(
            NAME,
            move || {
                let r = run(&s);
                let mut g = k.lock().unwrap_or_else(|e| e.into_inner());
                g.0.add(&r.coverage);
                g.1.add(&r.coverage.reached());
                g.2 += 1;
            },
            budget,
            seed,
        );
        match o.first {
            Some(f) if !is_guard(f.invariant) => {
                out.to_failure = out.schedules + f.schedule;
                out.schedules += o.schedules;
                out.failure = Some((e, f));
                break;
            }
            Some(_) => out.guards += 1,
            None => {}
        }
        out.schedules += o.schedules;
    }
    if out.failure.is_none() {
        out.to_failure = out.schedules;
    }
    let g = sink.lock().unwrap_or_else(|e| e.into_inner());
    out.coverage = g.0;
    out.reached = g.1;
    out.runs = g.2;
    out.wall = t.elapsed();
    out
}

/// The counterexample of a world's failure (`None` when the explorer recorded no schedule or
/// the failure names no invariant), at the pinned Redis.
pub fn counterexample(
    r: &WorldRun,
    faults: FaultSet,
    strategy: Strategy,
) -> Option<Counterexample> {
    counterexample_of(r, faults, strategy, Variant::Pin)
}

/// [`counterexample`] of a world explored under Redis `variant`.
pub fn counterexample_of(
    r: &WorldRun,
    faults: FaultSet,
    strategy: Strategy,
    variant: Variant,
) -> Option<Counterexample> {
    let (e, f) = r.failure.as_ref()?;
    let w = World::from_seed(r.seed);
    Some(Counterexample {
        format: FORMAT.to_string(),
        scenario: format!("{NAME}:{}", r.seed),
        faults: faults.iter().map(|f| f.name().to_string()).collect(),
        word_mode: crate::counterexample::word_mode_name(Default::default()).to_string(),
        explorer: e.name().to_string(),
        seed: r.seed,
        schedules_to_bug: f.schedule,
        invariant: f.invariant?,
        message: f.message.lines().next().unwrap_or("").to_string(),
        spec: SpecFile::of(&spec_of(&w, faults, strategy, variant)),
        schedule: f.decisions.clone()?,
        schedule_semantics: SEMANTICS.to_string(),
        shrink: None,
    })
}

/// Whether the failing schedule of `cx`, replayed with no fault, is clean (or ends in the
/// guard): the faults made the difference.
pub fn clean_without_faults(cx: &Counterexample) -> Result<bool, String> {
    let spec = cx.spec(Some(FaultSet::NONE))?;
    let r = crate::quiet::quietly(|| replay(&spec, &cx.schedule));
    Ok(r.violation.is_none_or(|v| is_guard(v.invariant)))
}

/// The fault sets the catalogue catches: for each fault, the smallest set a scenario lists
/// with it (a fault caught only in combination, like `decr-free-at-one` with `keep-sent-ref`,
/// is hunted in that combination).
pub fn catalogue() -> Vec<FaultSet> {
    catalogue_with_variants()
        .into_iter()
        .map(|(fs, _)| fs)
        .collect()
}

/// [`catalogue`], each set with the Redis variant the scenario that catches it runs under
/// (faults of the #14934 branch, `untracked-io-release` and `untrack-increments`, exist only
/// under that variant, so they are hunted there).
pub fn catalogue_with_variants() -> Vec<(FaultSet, Variant)> {
    let mut out: Vec<(FaultSet, Variant)> = Vec::new();
    for f in Fault::ALL {
        let best = SCENARIOS
            .iter()
            .flat_map(|sc| sc.catches.iter().map(move |c| (sc, c)))
            .filter(|(_, c)| c.faults.contains(&f))
            .min_by_key(|(_, c)| c.faults.len())
            .map(|(sc, c)| {
                let variant = (sc.spec)(&crate::scenarios::Opts::default()).cfg.variant;
                (FaultSet::of(c.faults), variant)
            })
            .unwrap_or_else(|| (FaultSet::of(&[f]), Variant::Pin));
        if !out.iter().any(|(fs, _)| *fs == best.0) {
            out.push(best);
        }
    }
    out
}

/// The strategy a fault set is hunted under: Redis's own when every fault applies to it, else
/// the first strategy they all apply to (the atomic and epoch strategies' own controls).
pub fn strategy_for(fs: FaultSet) -> Strategy {
    Strategy::ALL
        .into_iter()
        .find(|s| fs.iter().all(|f| f.applies_to(*s)))
        .unwrap_or_default()
}

/// One world of a hunt for a fault (see [`hunt`]).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HuntWorld {
    /// The world's index.
    pub index: usize,
    /// Schedules explored in it (up to and including the catch, if it caught).
    pub schedules: usize,
    /// Whether it caught the fault (a violation the fault made: clean without it).
    pub caught: bool,
}

/// A hunt for one fault set: worlds explored in index order until the first catch.
#[derive(Clone, Debug)]
pub struct Hunt {
    /// The faults switched on.
    pub faults: FaultSet,
    /// The strategy they were hunted under ([`strategy_for`]).
    pub strategy: Strategy,
    /// The Redis variant they were hunted under ([`catalogue_with_variants`]).
    pub variant: Variant,
    /// The worlds explored, in index order.
    pub worlds: Vec<HuntWorld>,
    /// The catch: its world run and counterexample (unshrunk).
    pub catch: Option<(WorldRun, Counterexample)>,
    /// Violations with the faults on that the same schedule also shows without them: findings
    /// on the fixed model (world run and counterexample).
    pub fixed_findings: Vec<(WorldRun, Counterexample)>,
    /// Wall time.
    pub wall: Duration,
}

/// Hunt `faults` in worlds `0..max_worlds` of base seed `base` that `shard` owns, each explored
/// with `budget` schedules per explorer, until the first catch (under the Redis variant the
/// catalogue gives the faults).
pub fn hunt(faults: FaultSet, base: u64, max_worlds: usize, budget: usize, shard: Shard) -> Hunt {
    let t = Instant::now();
    let strategy = strategy_for(faults);
    let variant = catalogue_with_variants()
        .into_iter()
        .find(|(fs, _)| *fs == faults)
        .map_or(Variant::Pin, |(_, v)| v);
    let mut h = Hunt {
        faults,
        strategy,
        variant,
        worlds: Vec::new(),
        catch: None,
        fixed_findings: Vec::new(),
        wall: Duration::ZERO,
    };
    for i in (0..max_worlds).filter(|i| shard.owns(*i)) {
        let r = explore_world_of(i, world_seed(base, i), faults, strategy, variant, budget);
        let cx = r
            .failure
            .as_ref()
            .and_then(|_| counterexample_of(&r, faults, strategy, variant));
        let caught = match &cx {
            Some(cx) => match clean_without_faults(cx) {
                Ok(true) => true,
                _ => {
                    h.fixed_findings.push((r.clone(), cx.clone()));
                    false
                }
            },
            None => false,
        };
        h.worlds.push(HuntWorld {
            index: i,
            schedules: r.to_failure,
            caught,
        });
        if caught {
            h.catch = cx.map(|cx| (r, cx));
            break;
        }
    }
    h.wall = t.elapsed();
    h
}

/// The first catch over the worlds of one or several shards' hunts of the same fault set:
/// `(world index, worlds explored up to it in index order, schedules up to it)`. The shards
/// together explored every world below the first catch (each stops only at its own first
/// catch), so this is what one unsharded hunt finds.
pub fn first_catch(worlds: &[HuntWorld]) -> Option<(usize, usize, usize)> {
    let first = worlds.iter().filter(|w| w.caught).map(|w| w.index).min()?;
    let schedules = worlds
        .iter()
        .filter(|w| w.index <= first)
        .map(|w| w.schedules)
        .sum();
    Some((first, first + 1, schedules))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_and_parse() {
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 2, count: 4 }));
        for bad in ["3/2", "0/2", "1/0", "x", "1/", "/2", "1/2/3"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        let shards: Vec<Shard> = (1..=3).map(|k| Shard { index: k, count: 3 }).collect();
        for i in 0..30 {
            assert_eq!(shards.iter().filter(|s| s.owns(i)).count(), 1);
        }
        assert!((0..30).all(|i| Shard::ALL.owns(i)));
    }

    #[test]
    fn every_fault_is_hunted_under_a_strategy_it_applies_to() {
        let sets = catalogue();
        for f in Fault::ALL {
            assert!(sets.iter().any(|s| s.has(f)), "{f}");
        }
        for s in sets {
            let st = strategy_for(s);
            assert!(s.iter().all(|f| f.applies_to(st)), "{s} under {st}");
        }
    }

    #[test]
    fn worlds_make_valid_specs() {
        for seed in 0..100 {
            let w = World::from_seed(seed);
            let s = spec(&w, FaultSet::NONE, Strategy::Confinement);
            assert_eq!(s.clients.len(), w.clients.len());
            let threads = s.cfg.io_threads_num - 1;
            assert!(s.clients.iter().all(|c| usize::from(c.io) <= threads));
            // The spec survives the counterexample format.
            let back = SpecFile::of(&s)
                .spec(FaultSet::NONE, Default::default())
                .expect("a world's spec is valid as data");
            assert_eq!(back, s);
        }
    }
}
