//! The verdict on one run: scenario × faults × strategy × explorer × [`Outcome`] → what was
//! expected of it ([`Role`]), whether it holds, the words that say so, and the invariants the
//! expectation accepts. The one judge of outcomes: the lanes assert on it
//! ([`Verdict::check`]), and `refrace prove` renders it as its report's rows.
//!
//! The expectation comes from the scenario's data ([`Scenario::expect`]); [`judge`] resolves it
//! for the run's faults and strategy, and [`judge_expectation`] judges an outcome against any
//! expectation (the lanes use it to demand the fixed model's outcome of a run with
//! `REFRACE_FAULT` switched on: that is how a switched-on bug fails a lane test).

use crate::explore::{Explorer, Failure, Outcome};
use crate::scenarios::{Expect, Expectation, Scenario, Timing};
use refrace_model::config::{FaultSet, FixSet, Strategy};
use refrace_model::Invariant;
use serde::{Deserialize, Serialize};

/// What a run was expected to show.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The fixed model: clean (or the stated guard).
    Fixed,
    /// A listed catch, and this explorer must find it.
    MustCatch,
    /// A listed catch; this explorer reports what it sees.
    MayCatch,
    /// A fault the strategy makes harmless: every explorer must run clean.
    MustBeClean,
    /// Not listed for this scenario (or a fault that changes no code the strategy runs).
    NotExpected,
    /// An upstream bug at the pin (its fix off): the explorers that must catch reproduce it.
    UpstreamBug,
}

/// The verdict on one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// What was expected.
    pub role: Role,
    /// Whether the run meets its expectation (always true for `may-catch`/`not-expected`).
    pub ok: bool,
    /// What happened, in words (`clean`, `caught (DATA_RACE)`, `FAILED: missed`, …).
    pub words: String,
    /// The invariants the expectation accepts (the guard of a fixed model; a catch's list).
    pub accepted: Vec<Invariant>,
    /// The invariant the run's first violation named, if it had one.
    pub found: Option<Invariant>,
}

impl Verdict {
    /// Whether the run failed with an accepted invariant.
    pub fn caught(&self) -> bool {
        self.found.is_some_and(|i| self.accepted.contains(&i))
    }

    /// For the lanes: `Err` with the verdict, the scenario, the faults and the outcome's full
    /// report (the violation with its object, holders and last events, and the file that
    /// replays it) unless the run meets its expectation.
    pub fn check(&self, sc: &Scenario, what: &str, o: &Outcome) -> Result<(), String> {
        if self.ok {
            return Ok(());
        }
        Err(format!("{} [{what}]: {}{}", sc.name, self.words, report(o)))
    }
}

/// The run's faults, and its strategy when it is not Redis's: how the lanes name a run.
pub fn run_label(faults: FaultSet, strategy: Strategy) -> String {
    match strategy {
        Strategy::Confinement => format!("faults: {faults}"),
        s => format!("faults: {faults}, strategy {s}"),
    }
}

/// The outcome in full, for a failing check: the explorer, where the violation was found and
/// the violation's own report (empty for a clean outcome).
pub fn report(o: &Outcome) -> String {
    match &o.first {
        None => format!(
            "\n{} ran {} schedule(s) without a violation",
            o.explorer, o.schedules
        ),
        Some(f) => format!("\n{}", describe(o, f)),
    }
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

/// Judge a run of `sc` with `faults` under `strategy` by explorer `e` against what the
/// scenario's data says.
pub fn judge(
    sc: &Scenario,
    faults: FaultSet,
    strategy: Strategy,
    e: Explorer,
    o: &Outcome,
) -> Verdict {
    judge_with(sc, faults, strategy, FixSet::NONE, e, o)
}

/// [`judge`], with the candidate fixes `fixes` on (an upstream-bug scenario with its fix on
/// must be clean).
pub fn judge_with(
    sc: &Scenario,
    faults: FaultSet,
    strategy: Strategy,
    fixes: FixSet,
    e: Explorer,
    o: &Outcome,
) -> Verdict {
    // A rare catch (`Timing::Rare`) binds PCT and loom; uniform random scheduling reports it.
    let rare = sc
        .catches
        .iter()
        .any(|c| c.timing == Timing::Rare && FaultSet::of(c.faults) == faults);
    let must = e.must_catch() && !(rare && e == Explorer::ShuttleRandom);
    judge_expectation(sc.expect_with(faults, strategy, fixes), must, o)
}

/// Judge `o` against `want`; `must_catch`: whether a listed catch missed (or named another
/// invariant) fails the run, or is reported as information. A run whose world could not be set
/// up fails whatever was expected, and says so: it tested nothing.
pub fn judge_expectation(want: Expectation, must_catch: bool, o: &Outcome) -> Verdict {
    let mut v = judge_run(want, must_catch, o);
    let setup = o.first.as_ref().map(|f| f.message.as_str());
    if let Some(msg) = setup.filter(|m| m.starts_with(crate::world::SETUP_FAILED)) {
        v.ok = false;
        v.words = format!("FAILED: {}", msg.lines().next().unwrap_or(msg));
    }
    v
}

fn judge_run(want: Expectation, must_catch: bool, o: &Outcome) -> Verdict {
    let found = o.first.as_ref().and_then(|f| f.invariant);
    let inv = o.first.as_ref().map(|f| {
        f.invariant
            .map_or_else(|| "(no invariant)".to_string(), |i| i.to_string())
    });
    let verdict = |role, ok, words: String, accepted: Vec<Invariant>| Verdict {
        role,
        ok,
        words,
        accepted,
        found,
    };
    match want {
        Expectation::Fixed(Expect::UpstreamBug(f)) => {
            let caught = found.is_some_and(|i| f.invariants.contains(&i));
            let (ok, words) = match (&inv, caught) {
                (Some(i), true) => (true, format!("upstream bug {} reproduced ({i})", f.name)),
                (Some(i), false) => (
                    false,
                    format!("FAILED: {i} on the fixed model (upstream bug {} expects another invariant)", f.name),
                ),
                (None, _) if must_catch => (
                    false,
                    format!("FAILED: upstream bug {} not reproduced", f.name),
                ),
                (None, _) => (true, format!("upstream bug {} not reproduced here", f.name)),
            };
            verdict(Role::UpstreamBug, ok, words, f.invariants.to_vec())
        }
        Expectation::Fixed(fixed) => {
            let accepted = match fixed {
                Expect::Clean | Expect::UpstreamBug(_) => vec![],
                Expect::Guard(g) => vec![g],
            };
            let (ok, words) = match (&inv, fixed) {
                (None, Expect::Clean) => (true, "clean".to_string()),
                (Some(_), Expect::Guard(g)) if found == Some(g) => {
                    (true, format!("Redis's guard ({g})"))
                }
                (None, Expect::Guard(g)) => (
                    false,
                    format!("FAILED: expected Redis's guard ({g}), ran clean"),
                ),
                (Some(i), _) => (false, format!("FAILED: violation {i} on the fixed model")),
                (None, Expect::UpstreamBug(_)) => unreachable!("judged above"),
            };
            verdict(Role::Fixed, ok, words, accepted)
        }
        Expectation::Immune(why) => {
            let (ok, words) = match &inv {
                None => (true, "clean (harmless here)".to_string()),
                Some(i) => (false, format!("FAILED: {i}, expected clean: {why}")),
            };
            verdict(Role::MustBeClean, ok, words, vec![])
        }
        Expectation::Caught(invariants) => {
            let role = if must_catch {
                Role::MustCatch
            } else {
                Role::MayCatch
            };
            let caught = found.is_some_and(|i| invariants.contains(&i));
            let words = match (&inv, caught) {
                (Some(i), true) => format!("caught ({i})"),
                (Some(i), false) => format!(
                    "{}: {i}, not a listed invariant",
                    if must_catch { "FAILED" } else { "other" }
                ),
                (None, _) => (if must_catch {
                    "FAILED: missed"
                } else {
                    "missed"
                })
                .to_string(),
            };
            verdict(role, caught || !must_catch, words, invariants.to_vec())
        }
        Expectation::NotApplicable | Expectation::NotListed => {
            let words = match &inv {
                Some(i) => format!("not expected: {i}"),
                None => "not expected: clean".to_string(),
            };
            verdict(Role::NotExpected, true, words, vec![])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn outcome(invariant: Option<Option<Invariant>>) -> Outcome {
        Outcome {
            explorer: "shuttle-pct".into(),
            schedules: 7,
            failures: usize::from(invariant.is_some()),
            first: invariant.map(|invariant| Failure {
                schedule: 7,
                message: "boom".into(),
                invariant,
                replay: None,
                decisions: None,
            }),
            wall: Duration::ZERO,
        }
    }

    const RACE: &[Invariant] = crate::scenarios::RACE;

    #[test]
    fn the_words_of_every_role() {
        let v = |want, must, inv| {
            let v = judge_expectation(want, must, &outcome(inv));
            (v.role, v.ok, v.words)
        };
        let fixed = Expectation::Fixed(Expect::Clean);
        assert_eq!(v(fixed, true, None), (Role::Fixed, true, "clean".into()));
        assert_eq!(
            v(fixed, true, Some(Some(Invariant::Leak))),
            (
                Role::Fixed,
                false,
                "FAILED: violation LEAK on the fixed model".into()
            )
        );
        let guard = Expectation::Fixed(Expect::Guard(Invariant::RefcountLimit));
        assert_eq!(
            v(guard, true, Some(Some(Invariant::RefcountLimit))),
            (Role::Fixed, true, "Redis's guard (REFCOUNT_LIMIT)".into())
        );
        assert_eq!(
            v(guard, true, None),
            (
                Role::Fixed,
                false,
                "FAILED: expected Redis's guard (REFCOUNT_LIMIT), ran clean".into()
            )
        );
        let caught = Expectation::Caught(RACE);
        assert_eq!(
            v(caught, true, Some(Some(Invariant::DataRace))),
            (Role::MustCatch, true, "caught (DATA_RACE)".into())
        );
        assert_eq!(
            v(caught, true, None),
            (Role::MustCatch, false, "FAILED: missed".into())
        );
        assert_eq!(
            v(caught, false, None),
            (Role::MayCatch, true, "missed".into())
        );
        assert_eq!(
            v(caught, true, Some(None)),
            (
                Role::MustCatch,
                false,
                "FAILED: (no invariant), not a listed invariant".into()
            )
        );
        assert_eq!(
            v(caught, false, Some(Some(Invariant::DoubleFree))),
            (
                Role::MayCatch,
                true,
                "other: DOUBLE_FREE, not a listed invariant".into()
            )
        );
        let immune = Expectation::Immune("why");
        assert_eq!(
            v(immune, true, Some(Some(Invariant::Leak))),
            (
                Role::MustBeClean,
                false,
                "FAILED: LEAK, expected clean: why".into()
            )
        );
        assert_eq!(
            v(Expectation::NotListed, true, Some(Some(Invariant::Leak))),
            (Role::NotExpected, true, "not expected: LEAK".into())
        );
    }
}

#[cfg(all(test, not(feature = "loom")))]
mod setup_tests {
    use super::*;
    use crate::world::{cmd, run, ClientSpec, Spec};
    use refrace_model::Config;

    /// A world whose setup command fails is reported as a broken setup, whatever was expected
    /// of the run (even where a violation would have counted as information).
    #[test]
    fn a_failed_setup_is_reported_as_such() {
        let spec = Spec {
            cfg: Config {
                io_threads_num: 2,
                ..Config::default()
            },
            setup: vec![cmd(&[b"SET", b"k"])],
            clients: vec![ClientSpec {
                io: 1,
                script: vec![cmd(&[b"PING"])],
                ..ClientSpec::default()
            }],
            bio_thread: false,
            needs_reply_refs: false,
        };
        let o = Explorer::ShuttleRandom.run_fn("setup", move || drop(run(&spec)), 3, 1);
        for want in [Expectation::NotListed, Expectation::Fixed(Expect::Clean)] {
            let v = judge_expectation(want, false, &o);
            assert!(!v.ok, "{v:?}");
            assert!(
                v.words
                    .starts_with("FAILED: SETUP FAILED: a setup command was answered -ERR"),
                "{}",
                v.words
            );
        }
    }
}
