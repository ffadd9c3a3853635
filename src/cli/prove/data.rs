//! What a proof is as data: the JSON `prove` writes (`proof.json`, or one file per shard) and
//! `prove --merge` reads back, and the judgement that turns it into failures.

use refrace_model::{Fault, FaultSet};
use refrace_sims::swarm::HuntWorld;
pub use refrace_sims::verdict::Role;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The `format` of proof and shard files.
pub const FORMAT: &str = "refrace-proof/2";

/// Budgets of one run.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budgets {
    /// Schedules per shuttle random / PCT run of a scenario.
    pub shuttle: usize,
    /// Schedules per shuttle DFS run.
    pub dfs: usize,
    /// Runs per stress run.
    pub stress: usize,
    /// Swarm worlds explored on the fixed model.
    pub swarm_worlds: usize,
    /// Schedules per explorer (PCT, then random) per swarm world.
    pub swarm_schedules: usize,
    /// Worlds at most per hunt (each catalogued fault, the swarm alone).
    pub hunt_worlds: usize,
    /// Schedules per explorer per world in a hunt.
    pub hunt_schedules: usize,
}

/// Facts about the run for the report header.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Meta {
    /// The command line.
    pub command: String,
    /// `default` or `full`.
    pub mode: String,
    /// When it ran (UTC).
    pub date_utc: String,
    /// The commit (and whether the tree had changes).
    pub commit: String,
    /// Cores, CPU, OS.
    pub machine: String,
    /// `rustc --version`.
    pub rustc: String,
    /// shuttle's version.
    pub shuttle: String,
    /// loom's version.
    pub loom: String,
    /// Seed of the randomised explorers and base seed of the swarm's worlds.
    pub seed: u64,
    /// The budgets.
    pub budgets: Budgets,
    /// Wall time (a merged report: the sum over its shards).
    pub wall_s: f64,
    /// Only some scenarios ran (`--scenarios`): the catalogue check is skipped.
    pub partial: bool,
    /// The `--scenarios` list, when given.
    #[serde(default)]
    pub scenarios: Option<String>,
    /// Whether information-only pairs ran (`--info`).
    #[serde(default)]
    pub info: bool,
    /// The candidate fixes switched on in every run (`--fix`, `REFRACE_FIX`; `none`).
    #[serde(default = "none")]
    pub fixes: String,
    /// The phases that ran (`scenarios`, `swarm`, `hunt`).
    pub phases: Vec<String>,
    /// `K/N` for one shard's file; `None` for a whole run or a merged one.
    #[serde(default)]
    pub shard: Option<String>,
    /// Shards a merged report was joined from.
    #[serde(default)]
    pub merged_from: Option<usize>,
}

/// One scenario × faults × strategy × explorer run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Its index in the whole run's job list (shards take disjoint indexes).
    pub job: usize,
    /// Scenario.
    pub scenario: String,
    /// Faults (`none` = fixed).
    pub faults: String,
    /// Candidate fixes switched on (`none` = the pinned code).
    #[serde(default = "none")]
    pub fixes: String,
    /// Reclamation strategy.
    pub strategy: String,
    /// Explorer.
    pub explorer: String,
    /// What was expected.
    pub role: Role,
    /// What happened, in words.
    pub verdict: String,
    /// Whether the row meets its expectation (always true for `may-catch`/`not-expected`).
    pub ok: bool,
    /// Schedules (runs) explored.
    pub schedules: usize,
    /// Schedule of the first violation.
    pub to_first_bug: Option<usize>,
    /// Wall time in seconds.
    pub wall_s: f64,
    /// Invariant named by the violation.
    pub invariant: Option<String>,
    /// The invariants the expectation accepts.
    pub expected: Vec<String>,
    /// Counterexample written, if any.
    pub counterexample: Option<PathBuf>,
    /// Size before → after shrinking, if shrunk.
    pub shrink: Option<String>,
}

/// A violation on the fixed model found in a generated world: a finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The world's index.
    pub world: usize,
    /// The world's seed.
    pub seed: u64,
    /// The faults that were on (`none` in the swarm phase; a hunt's when the same schedule
    /// also fails without them).
    pub faults: String,
    /// The invariant.
    pub invariant: String,
    /// The violation's first line.
    pub message: String,
    /// The (shrunk) counterexample.
    pub counterexample: Option<PathBuf>,
    /// Size before → after shrinking.
    pub shrink: Option<String>,
}

/// One swarm world on the fixed model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorldRow {
    /// Index.
    pub index: usize,
    /// Seed.
    pub seed: u64,
    /// What it is, in one line.
    pub about: String,
    /// Schedules explored.
    pub schedules: usize,
    /// Runs completed.
    pub runs: usize,
    /// Explorations that ended in Redis's guard.
    pub guards: usize,
    /// The violation's invariant, if any.
    pub violation: Option<String>,
}

/// The swarm phase.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SwarmReport {
    /// Every world explored, by index.
    pub worlds: Vec<WorldRow>,
    /// Event → count over all completed runs.
    pub coverage: BTreeMap<String, u64>,
    /// Event → completed runs that reached it.
    pub reached: BTreeMap<String, u64>,
    /// Family → worlds whose scripts could draw it.
    pub families: BTreeMap<String, usize>,
    /// Violations on the fixed model.
    pub findings: Vec<Finding>,
    /// Wall time (merged: summed over shards).
    pub wall_s: f64,
}

impl SwarmReport {
    /// Schedules explored.
    pub fn schedules(&self) -> usize {
        self.worlds.iter().map(|w| w.schedules).sum()
    }

    /// Runs completed.
    pub fn runs(&self) -> usize {
        self.worlds.iter().map(|w| w.runs).sum()
    }
}

/// The catch of a hunt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CatchRow {
    /// The world.
    pub world: usize,
    /// Its seed.
    pub seed: u64,
    /// The explorer that caught it.
    pub explorer: String,
    /// The invariant.
    pub invariant: String,
    /// The violation's first line.
    pub message: String,
    /// The counterexample (shrunk).
    pub counterexample: Option<PathBuf>,
    /// Size before → after shrinking.
    pub shrink: Option<String>,
}

/// One hunt: a catalogued fault set, the swarm alone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HuntReport {
    /// The faults.
    pub faults: String,
    /// The strategy they were hunted under.
    pub strategy: String,
    /// The Redis variant they were hunted under (`pin`, or `14934` for the faults of the #14934
    /// branch).
    #[serde(default = "pin")]
    pub variant: String,
    /// Worlds explored, in index order.
    pub worlds: Vec<HuntWorld>,
    /// The first catch of this file's worlds.
    pub catch: Option<CatchRow>,
    /// Violations that the same schedule also shows without the faults.
    pub fixed_findings: Vec<Finding>,
    /// Wall time (merged: summed over shards).
    pub wall_s: f64,
}

fn pin() -> String {
    "pin".into()
}

fn none() -> String {
    "none".into()
}

/// A proof (or one shard of one).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Proof {
    /// Always [`FORMAT`].
    pub format: String,
    /// Facts about the run.
    pub meta: Meta,
    /// Whether every expectation holds.
    pub holds: bool,
    /// What failed, one line each.
    pub failures: Vec<String>,
    /// The scenario runs.
    pub rows: Vec<Row>,
    /// The swarm phase (absent when it did not run).
    #[serde(default)]
    pub swarm: Option<SwarmReport>,
    /// The hunts.
    #[serde(default)]
    pub hunts: Vec<HuntReport>,
}

/// What failed: rows that miss their expectation, faults of the catalogue no listed scenario
/// caught (whole runs only), and every violation on the fixed model found in a generated world.
/// A hunt that does not catch its fault within its budget is reported, not a failure (the
/// scenarios' catches are the regression guarantee; the hunts measure the swarm).
pub fn failures(p: &Proof) -> Vec<String> {
    let mut out: Vec<String> = p
        .rows
        .iter()
        .filter(|r| !r.ok)
        .map(|r| {
            format!(
                "{} [{}{}] {} {}: {}",
                r.scenario,
                r.faults,
                super::fix_label(&r.fixes),
                r.strategy,
                r.explorer,
                r.verdict
            )
        })
        .collect();
    let whole = !p.meta.partial && p.meta.shard.is_none();
    if whole && p.meta.phases.iter().any(|ph| ph == "scenarios") {
        for f in Fault::ALL {
            let caught = p.rows.iter().any(|r| {
                r.role == Role::MustCatch
                    && r.ok
                    && FaultSet::parse(&r.faults).is_ok_and(|fs| fs.has(f))
            });
            if !caught {
                out.push(format!(
                    "fault {f}: no listed scenario caught it (the harness lost its teeth)"
                ));
            }
        }
    }
    let findings = p
        .swarm
        .iter()
        .flat_map(|s| s.findings.iter())
        .chain(p.hunts.iter().flat_map(|h| h.fixed_findings.iter()));
    for f in findings {
        out.push(format!(
            "swarm world {} (seed {}, faults {}): {} on the fixed model: {}{}",
            f.world,
            f.seed,
            f.faults,
            f.invariant,
            f.message,
            f.counterexample
                .as_ref()
                .map(|p| format!(" (replay: refrace replay {})", p.display()))
                .unwrap_or_default()
        ));
    }
    out
}

/// The first catch over a hunt's worlds: `(world index, worlds up to it, schedules up to it)`.
pub fn first_catch(h: &HuntReport) -> Option<(usize, usize, usize)> {
    refrace_sims::swarm::first_catch(&h.worlds)
}
