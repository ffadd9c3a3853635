//! Scenarios, written once and run by every explorer. Each scenario is one item: a `const`
//! [`Scenario`] under its doc comment (what it exercises, the invariant, how it breaks) holding
//! its world as data ([`Scenario::spec`], a [`Spec`] built under [`Opts`]) and its
//! expectations. [`Scenario::run`] builds the world, spawns at most 3 threads (IO-1, IO-2,
//! BIO), runs a few commands, joins, drives the server to quiescence and asserts the ledger.
//!
//! The items are grouped by theme, one file each ([`overwrite`], [`replies`], [`expire`],
//! [`limits`], [`cluster`], [`lazyfree`], [`memory`], [`transactions`], [`databases`], [`hashes`], [`trim`], [`clients`]); inside a theme file the `scenarios!` block collects
//! them into the theme's list, and [`SCENARIOS`] is the themes' lists in order. That one list
//! makes everything else: the tests of every lane (`sims/tests/*.rs` make one trial per
//! scenario, named after it, at run time: see [`crate::lanes`]), `refrace prove`'s rows, the
//! stress lane's expectations ([`Catch::timing`]) and which scenarios DFS runs
//! ([`Scenario::suits`]). Adding a scenario is one edit: a new item in a theme's block.
//!
//! Expectations are data ([`Scenario::fixed`], [`Scenario::catches`]): with no fault a scenario
//! is clean (or, where stated, ends in Redis's own deliberate panic); with a fault listed in
//! `catches` it must fail with one of the named [`Invariant`]s. That is the negative control of
//! each invariant. A misspelt invariant does not compile.
//!
//! Strategies ([`Strategy`]) add a dimension, also as data: a catch holds under every strategy
//! its faults apply to ([`Fault::applies_to`]) unless the scenario lists an [`Override`] for
//! that strategy and fault set, e.g. `defer-shared-free` must run **clean** under atomic and
//! epoch (the #14738 guard is needed by confinement only). [`Scenario::expect`] resolves it,
//! and [`crate::verdict`] judges an outcome against it.

use crate::explore::Explorer;
use crate::world::{run, ClientSpec, Spec};
use refrace_model::config::{Config, Fault, FaultSet, Fix, FixSet, Strategy, Variant};
use refrace_model::sync::WordMode;
use refrace_model::Invariant;

/// Declares a theme's scenarios: each `pub const NAME: Scenario = …;` item as written, plus
/// `ALL`, the theme's list in order. A const's name must be its scenario's name in upper case
/// (checked at compile time).
macro_rules! scenarios {
    ($( $(#[$attr:meta])* pub const $item:ident: Scenario = $value:expr; )*) => {
        $(
            $(#[$attr])*
            pub const $item: Scenario = $value;
            const _: () = assert!(
                $crate::scenarios::same_name(stringify!($item), $item.name),
                "a scenario const must be named after its scenario, in upper case"
            );
        )*
        /// This theme's scenarios, in order.
        pub const ALL: &[Scenario] = &[$($item),*];
    };
}

pub mod clients;
pub mod cluster;
pub mod databases;
pub mod expire;
pub mod hashes;
pub mod lazyfree;
pub mod limits;
pub mod memory;
pub mod overwrite;
pub mod replies;
pub mod transactions;
pub mod trim;

/// The themes, in the order their scenarios are listed (and `refrace prove` reports them).
const THEMES: &[&[Scenario]] = &[
    overwrite::ALL,
    replies::ALL,
    expire::ALL,
    limits::ALL,
    cluster::ALL,
    lazyfree::ALL,
    memory::ALL,
    transactions::ALL,
    databases::ALL,
    hashes::ALL,
    trim::ALL,
    clients::ALL,
];

const fn count(themes: &[&[Scenario]]) -> usize {
    let (mut i, mut n) = (0, 0);
    while i < themes.len() {
        n += themes[i].len();
        i += 1;
    }
    n
}

const fn flatten<const N: usize>(themes: &[&[Scenario]]) -> [Scenario; N] {
    let mut out = [themes[0][0]; N];
    let (mut i, mut k) = (0, 0);
    while i < themes.len() {
        let mut j = 0;
        while j < themes[i].len() {
            out[k] = themes[i][j];
            k += 1;
            j += 1;
        }
        i += 1;
    }
    out
}

static LIST: [Scenario; count(THEMES)] = flatten(THEMES);

/// Every scenario, theme by theme.
pub static SCENARIOS: &[Scenario] = &LIST;

/// Whether a const's name is `name` in upper case (what `scenarios!` checks).
pub(crate) const fn same_name(item: &str, name: &str) -> bool {
    let (a, b) = (item.as_bytes(), name.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i].to_ascii_uppercase() {
            return false;
        }
        i += 1;
    }
    true
}

/// Per-run options every scenario takes.
#[derive(Copy, Clone, Debug, Default)]
pub struct Opts {
    /// Faults switched on.
    pub faults: FaultSet,
    /// How loom models the refcount word.
    pub word_mode: WordMode,
    /// Reclamation strategy (Redis's confinement by default).
    pub strategy: Strategy,
    /// The Redis variant every scenario runs under (`None`: the pin, except for the scenarios
    /// that need the #14934 branch and ask for it with [`Opts::cfg_14934`]).
    pub variant: Option<Variant>,
    /// Candidate fixes of upstream bugs switched on (none: the pinned code).
    pub fixes: FixSet,
}

impl Opts {
    /// Faults from `REFRACE_FAULT`; an unknown name is an error.
    pub fn from_env() -> Result<Opts, refrace_model::ConfigError> {
        Ok(Opts {
            faults: FaultSet::from_env()?,
            word_mode: WordMode::default(),
            strategy: match std::env::var("REFRACE_STRATEGY") {
                Ok(v) => Strategy::parse(&v)?,
                Err(_) => Strategy::default(),
            },
            variant: Variant::from_env()?,
            fixes: FixSet::from_env()?,
        })
    }

    fn cfg(&self, io_threads: usize) -> Config {
        Config {
            io_threads_num: io_threads + 1,
            faults: self.faults,
            word_mode: self.word_mode,
            strategy: self.strategy,
            variant: self.variant.unwrap_or_default(),
            fixes: self.fixes,
            ..Config::default()
        }
    }

    /// [`Opts::cfg`] under the #14934 variant, whatever was asked: for the scenarios whose
    /// invariant or faults exist only there (`REPLY_REFS_ACCOUNTED`, `untracked-io-release`).
    fn cfg_14934(&self, io_threads: usize) -> Config {
        Config {
            variant: Variant::ReplyRefs14934,
            ..self.cfg(io_threads)
        }
    }
}

/// What the fixed model must do in a scenario.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// No invariant breaks.
    Clean,
    /// Redis's own guard panics with this invariant (the intended outcome at a limit).
    Guard(Invariant),
    /// "upstream bug <name>": Redis at the pin really breaks one of the finding's invariants
    /// here (`reports/findings/<name>.md`). With the finding's fix off the explorers that must
    /// catch must reproduce it; with the fix on ([`Finding::fix`]) the scenario must be clean.
    UpstreamBug(Finding),
}

/// An upstream bug the model reproduces at the pin: its name (the report under
/// `reports/findings/`), the candidate fix that makes the model clean, and the invariants that
/// show it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// `reports/findings/<name>.md`.
    pub name: &'static str,
    /// The candidate fix (`--fix`, `REFRACE_FIX`).
    pub fix: Fix,
    /// The invariants a reproduction may name.
    pub invariants: &'static [Invariant],
}

/// Whether a caught fault shows on every run whatever the interleaving, or only in some
/// interleavings: the stress lane (real threads, no control over the schedule) demands the
/// first every time and measures the rate of the second.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Timing {
    /// Every run shows it.
    Deterministic,
    /// Only some interleavings show it.
    Racy,
    /// Only rare interleavings show it (a reply still being written while another command
    /// frees or evicts behind it): PCT and loom must catch it; uniform random scheduling
    /// reports what it sees within its budget (measured: one catch in 7,000 to 15,000 random
    /// schedules, or none in 50,000), and the stress lane leaves it out.
    Rare,
}

/// With these faults on, the scenario must fail with one of these invariants.
#[derive(Copy, Clone, Debug)]
pub struct Catch {
    /// Faults switched on together.
    pub faults: &'static [Fault],
    /// Acceptable invariants.
    pub invariants: &'static [Invariant],
    /// Whether every run shows it (see [`Timing`]).
    pub timing: Timing,
}

impl Catch {
    /// Whether every fault of the catch changes code that `s` runs.
    pub fn applies_to(&self, s: Strategy) -> bool {
        self.faults.iter().all(|f| f.applies_to(s))
    }
}

/// What a strategy changes in a scenario: the outcome wanted for one fault set.
#[derive(Copy, Clone, Debug)]
pub struct Override {
    /// The strategy.
    pub strategy: Strategy,
    /// Faults switched on together (empty: the fixed model).
    pub faults: &'static [Fault],
    /// The outcome wanted.
    pub want: Want,
    /// Why, in one line.
    pub why: &'static str,
}

/// An outcome wanted under an [`Override`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Want {
    /// No invariant breaks (the strategy makes the fault harmless, or the fixed model clean).
    Clean,
    /// The fault must be caught with one of these invariants.
    Caught(&'static [Invariant]),
}

/// What one run (scenario × faults × strategy) must show, resolved by [`Scenario::expect`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Expectation {
    /// The fixed model's outcome.
    Fixed(Expect),
    /// Caught with one of these invariants.
    Caught(&'static [Invariant]),
    /// Clean: the strategy makes these faults harmless (with the reason).
    Immune(&'static str),
    /// A fault that does not change code this strategy runs (not run).
    NotApplicable,
    /// The scenario does not list these faults (run as information).
    NotListed,
}

impl Expectation {
    /// The finding this run must reproduce (an upstream-bug scenario with its fix off).
    pub fn finding(&self) -> Option<Finding> {
        match self {
            Expectation::Fixed(Expect::UpstreamBug(f)) => Some(*f),
            _ => None,
        }
    }
}

/// A scenario and its expectations.
#[derive(Copy, Clone, Debug)]
pub struct Scenario {
    /// Name (equal to the test names in every explorer lane; its const is this in upper case).
    pub name: &'static str,
    /// One line: what it exercises.
    pub about: &'static str,
    /// The scenario as data: the world to run under `Opts` (a counterexample carries, and may
    /// shrink, this spec). Usually a closure: `spec: |o| Spec { cfg: o.cfg(1), … }`.
    pub spec: fn(&Opts) -> Spec,
    /// Outcome on the fixed model.
    pub fixed: Expect,
    /// Faults it must catch.
    pub catches: &'static [Catch],
    /// What the atomic and epoch strategies change (none: as under confinement).
    pub overrides: &'static [Override],
}

impl Scenario {
    /// The upstream bug this scenario reproduces, if any.
    pub fn finding(&self) -> Option<Finding> {
        match self.fixed {
            Expect::UpstreamBug(f) => Some(f),
            _ => None,
        }
    }

    /// The fixes a run with `faults` gets besides those asked for: a negative control of an
    /// upstream-bug scenario runs with the finding's fix on, so that the fault, not the
    /// finding, is what it catches.
    pub fn fixes_for(&self, faults: FaultSet) -> FixSet {
        match self.finding() {
            Some(f) if !faults.is_empty() => FixSet::of(&[f.fix]),
            _ => FixSet::NONE,
        }
    }

    /// The fix sets of the scenario's fixed-model runs, given those asked for: just `asked`,
    /// and for an upstream-bug scenario without its fix also `asked` plus the fix (the bug
    /// must show without it and be gone with it).
    pub fn fix_runs(&self, asked: FixSet) -> Vec<FixSet> {
        match self.finding() {
            Some(f) if !asked.has(f.fix) => vec![asked, asked.with(f.fix)],
            _ => vec![asked],
        }
    }

    /// What a run with `faults` under `strategy`, with the candidate fixes `fixes` on, must show:
    /// as [`Scenario::expect`], except that an upstream-bug scenario whose fix is on must be
    /// clean.
    pub fn expect_with(&self, faults: FaultSet, strategy: Strategy, fixes: FixSet) -> Expectation {
        match self.expect(faults, strategy) {
            Expectation::Fixed(Expect::UpstreamBug(f)) if fixes.has(f.fix) => {
                Expectation::Fixed(Expect::Clean)
            }
            e => e,
        }
    }

    /// What a run with `faults` under `strategy` must show (the candidate fixes off; see
    /// [`Scenario::expect_with`]).
    pub fn expect(&self, faults: FaultSet, strategy: Strategy) -> Expectation {
        if faults.iter().any(|f| !f.applies_to(strategy)) {
            return Expectation::NotApplicable;
        }
        let listed = |fs: &[Fault]| FaultSet::of(fs) == faults;
        if let Some(o) = self
            .overrides
            .iter()
            .find(|o| o.strategy == strategy && listed(o.faults))
        {
            return match o.want {
                Want::Clean if faults.is_empty() => Expectation::Fixed(Expect::Clean),
                Want::Clean => Expectation::Immune(o.why),
                Want::Caught(i) => Expectation::Caught(i),
            };
        }
        if faults.is_empty() {
            return Expectation::Fixed(self.fixed);
        }
        match self.catches.iter().find(|c| listed(c.faults)) {
            Some(c) => Expectation::Caught(c.invariants),
            None => Expectation::NotListed,
        }
    }

    /// Every fault set this scenario names (catches and overrides), fixed model excluded.
    pub fn listed_fault_sets(&self) -> Vec<FaultSet> {
        let mut v: Vec<FaultSet> = Vec::new();
        let sets = self
            .catches
            .iter()
            .map(|c| c.faults)
            .chain(self.overrides.iter().map(|o| o.faults));
        for fs in sets.map(FaultSet::of).filter(|f| !f.is_empty()) {
            if !v.contains(&fs) {
                v.push(fs);
            }
        }
        v
    }

    /// Run the scenario once on the current backend (panics when an invariant breaks).
    pub fn run(&self, o: &Opts) {
        run(&(self.spec)(o));
    }

    /// Whether the fixed model may end in `invariant` under `strategy` (Redis's own guard).
    pub fn fixed_allows_under(&self, strategy: Strategy, invariant: Invariant) -> bool {
        matches!(self.expect(FaultSet::NONE, strategy), Expectation::Fixed(Expect::Guard(g)) if g == invariant)
    }

    /// Whether explorer `e` suits this scenario's world ([`Explorer::suits`]: DFS only for one
    /// IO thread and no BIO thread).
    pub fn suits(&self, e: Explorer) -> bool {
        e.suits(&(self.spec)(&Opts::default()))
    }

    /// Its catches that apply to Redis's own strategy (confinement), with the given timing.
    pub fn catches_with(&self, timing: Timing) -> impl Iterator<Item = &'static Catch> {
        self.catches
            .iter()
            .filter(move |c| c.timing == timing && c.applies_to(Strategy::Confinement))
    }
}

/// Look up a scenario by name.
pub fn find(name: &str) -> Option<&'static Scenario> {
    SCENARIOS.iter().find(|s| s.name == name)
}

/// A value big enough for copy avoidance with 2..6 IO threads (64 KiB).
pub fn big(tag: u8) -> Vec<u8> {
    vec![tag; 64 * 1024]
}

/// A client on IO thread `io` running `script`, its socket unlimited.
fn client(io: u8, script: Vec<Vec<Vec<u8>>>) -> ClientSpec {
    ClientSpec {
        io,
        script,
        ..ClientSpec::default()
    }
}

/// A client on IO thread `io` whose peer sends all of `script` in one write (a pipeline).
fn pipelined(io: u8, script: Vec<Vec<Vec<u8>>>) -> ClientSpec {
    ClientSpec {
        pipeline: true,
        ..client(io, script)
    }
}

/// The invariants of a race on a refcount word: the race itself, or its consequence (a lost
/// update: the count no longer matches its holders, or the value leaks).
pub const RACE: &[Invariant] = &[
    Invariant::DataRace,
    Invariant::CountConservation,
    Invariant::Leak,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_test_names() {
        for (i, s) in SCENARIOS.iter().enumerate() {
            assert!(
                s.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{} is not a test name",
                s.name
            );
            assert!(
                SCENARIOS[..i].iter().all(|o| o.name != s.name),
                "{} twice",
                s.name
            );
            assert_eq!(find(s.name).map(|f| f.name), Some(s.name));
        }
        assert!(same_name("GET_X", "get_x") && !same_name("GET_X", "get_y"));
    }

    /// The list keeps the order `refrace prove` reports in (theme by theme).
    #[test]
    fn the_list_is_the_themes_in_order() {
        let names: Vec<&str> = SCENARIOS.iter().map(|s| s.name).collect();
        let themes: Vec<&str> = THEMES
            .iter()
            .flat_map(|t| t.iter().map(|s| s.name))
            .collect();
        assert_eq!(names, themes);
        assert_eq!(names[0], "get_reply_ref_vs_overwrite");
    }
}
