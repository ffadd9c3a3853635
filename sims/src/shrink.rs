//! Shrinking a counterexample while the same invariant still breaks.
//!
//! 1. **Commands**: drop a client, a client's command or a setup command. A candidate world is
//!    first replayed with the current schedule; if the violation is gone, shuttle PCT re-explores
//!    it briefly from a fixed seed. The first candidate that still breaks the invariant is kept
//!    and the pass restarts.
//! 2. **Schedule**: at each preemption (then at each other point where the recording differs
//!    from the lenient scheduler's default), replace the decision by the default; then try
//!    deleting single decisions. A change is kept when the replay still breaks the invariant;
//!    the schedule is re-normalised from the run it produced (trailing defaults dropped).
//!
//! Every step is a deterministic replay or a seeded exploration, so shrinking is reproducible.

use crate::counterexample::{replay, Counterexample, ShrinkReport, Size, SpecFile};
use crate::explore::Explorer;
use crate::quiet::quietly;
use crate::schedule::{Decisions, Taken};
use crate::world::{run, Spec};
use refrace_model::Invariant;

/// Limits of one shrink.
#[derive(Copy, Clone, Debug)]
pub struct Limits {
    /// Schedules per re-exploration of a smaller world.
    pub reexplore: usize,
    /// Seed of the re-explorations.
    pub seed: u64,
    /// Candidate replays and explorations at most.
    pub attempts: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            reexplore: 300,
            seed: 1,
            attempts: 3000,
        }
    }
}

struct Search {
    invariant: Invariant,
    limits: Limits,
    attempts: usize,
}

impl Search {
    fn budget_left(&self) -> bool {
        self.attempts < self.limits.attempts
    }

    /// The run of `spec` under `d` if it breaks the invariant.
    fn holds(&mut self, spec: &Spec, d: &Decisions) -> Option<Taken> {
        self.attempts += 1;
        let r = replay(spec, d);
        let v = r.violation?;
        (v.invariant == Some(self.invariant)).then_some(r.taken)
    }

    /// A schedule under which `spec` breaks the invariant: `d` itself, else one PCT finds.
    fn find(&mut self, spec: &Spec, d: &Decisions) -> Option<Taken> {
        if let Some(t) = self.holds(spec, d) {
            return Some(t);
        }
        self.attempts += 1;
        let s = spec.clone();
        let o = Explorer::PCT.run_fn(
            "shrink",
            move || {
                run(&s);
            },
            self.limits.reexplore,
            self.limits.seed,
        );
        let f = o.first?;
        if f.invariant != Some(self.invariant) {
            return None;
        }
        // Normalise through a replay (also proves the recorded schedule reproduces).
        self.holds(spec, &f.decisions?)
    }
}

fn smaller_worlds(spec: &Spec) -> Vec<Spec> {
    let mut out = Vec::new();
    if spec.clients.len() > 1 {
        for i in 0..spec.clients.len() {
            let mut s = spec.clone();
            s.clients.remove(i);
            out.push(s);
        }
    }
    for i in 0..spec.clients.len() {
        for j in 0..spec.clients[i].script.len() {
            if spec.clients[i].script.len() > 1 {
                let mut s = spec.clone();
                s.clients[i].script.remove(j);
                out.push(s);
            }
        }
    }
    for k in 0..spec.setup.len() {
        let mut s = spec.clone();
        s.setup.remove(k);
        out.push(s);
    }
    out
}

fn size(spec: &Spec, d: &Decisions, t: &Taken) -> Size {
    Size {
        commands: spec.commands(),
        clients: spec.clients.len(),
        decisions: d.tasks.len(),
        preemptions: t.preemptions(),
        switches: t.switches(),
    }
}

/// Schedule candidates for the current run: defaults at preemptions first, then at other
/// non-default points, then single deletions.
fn smaller_schedules(d: &Decisions, t: &Taken) -> Vec<Decisions> {
    let n = d.tasks.len().min(t.points.len());
    let mut idx: Vec<usize> = (0..n).filter(|&i| t.points[i].preemption).collect();
    idx.extend((0..n).filter(|&i| !t.points[i].preemption && d.tasks[i] != t.points[i].default));
    let mut out: Vec<Decisions> = idx
        .into_iter()
        .map(|i| {
            let mut c = d.clone();
            c.tasks[i] = t.points[i].default;
            c
        })
        .collect();
    out.extend((0..d.tasks.len()).rev().map(|i| {
        let mut c = d.clone();
        c.tasks.remove(i);
        c
    }));
    out
}

/// Shrink `cx` (see the module doc). Errors when the file does not reproduce its own violation.
pub fn shrink(cx: &Counterexample, limits: Limits) -> Result<Counterexample, String> {
    quietly(|| shrink_loud(cx, limits))
}

fn shrink_loud(cx: &Counterexample, limits: Limits) -> Result<Counterexample, String> {
    let mut search = Search {
        invariant: cx.invariant,
        limits,
        attempts: 0,
    };
    let mut spec = cx.spec(None)?;
    let first = search.holds(&spec, &cx.schedule).ok_or_else(|| {
        format!(
            "the counterexample does not reproduce {} under replay",
            cx.invariant
        )
    })?;
    let before = size(&spec, &cx.schedule, &first);
    let mut d = first.decisions();
    let mut taken = first;

    'commands: while search.budget_left() {
        for cand in smaller_worlds(&spec) {
            if !search.budget_left() {
                break 'commands;
            }
            if let Some(t) = search.find(&cand, &d) {
                spec = cand;
                d = t.decisions();
                taken = t;
                continue 'commands;
            }
        }
        break;
    }

    'schedule: while search.budget_left() {
        for cand in smaller_schedules(&d, &taken) {
            if !search.budget_left() {
                break 'schedule;
            }
            if let Some(t) = search.holds(&spec, &cand) {
                let nd = t.decisions();
                let (old, new) = (size(&spec, &d, &taken), size(&spec, &nd, &t));
                if (new.preemptions, new.decisions) < (old.preemptions, old.decisions) {
                    d = nd;
                    taken = t;
                    continue 'schedule;
                }
            }
        }
        break;
    }

    let last = replay(&spec, &d);
    let message = last
        .violation
        .map(|v| v.message.lines().next().unwrap_or("").to_string())
        .ok_or("the shrunk counterexample lost its violation (a bug in the shrinker)")?;
    Ok(Counterexample {
        spec: SpecFile::of(&spec),
        schedule: d.clone(),
        message,
        shrink: Some(ShrinkReport {
            before,
            after: size(&spec, &d, &taken),
            attempts: search.attempts,
        }),
        ..cx.clone()
    })
}
