//! A model-level schedule format and the lenient scheduler that replays it.
//!
//! A [`Decisions`] list is what a shuttle run chose: the task run at each scheduling point (task
//! ids: 0 = main, then model threads in spawn order, IO-1, IO-2, …, BIO) and the random values it
//! handed out. It is recorded by a wrapper around any shuttle scheduler ([`Recorder`]) and
//! replayed by [`Lenient`], which — unlike shuttle's `ReplayScheduler` — never panics when the run
//! diverges from the recording (a different fault set changes the scheduling points):
//!
//! - at scheduling point *i* it runs `tasks[i]` when that task is runnable;
//! - otherwise, and at every point after the list ends, the **default**: keep the current task
//!   when it is runnable and not yielding, else the runnable task with the lowest id other than
//!   the current one (the current one if it is alone);
//! - random value *j* is `random[j]`, then 0.
//!
//! So with the same spec and faults a replay is the recorded run, decision for decision; with
//! other faults it is still one deterministic run. A **preemption** is a point where the current
//! task was runnable, not yielding, and another task was chosen.

use serde::{Deserialize, Serialize};
use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};
use std::sync::{Arc, Mutex};

/// The recorded choices of one execution.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decisions {
    /// Task id chosen at each scheduling point.
    pub tasks: Vec<usize>,
    /// Random values handed out, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub random: Vec<u64>,
}

/// One scheduling point as it happened.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Point {
    /// The task that ran.
    pub chosen: usize,
    /// What the default rule would have chosen.
    pub default: usize,
    /// Whether the choice preempted a runnable, non-yielding current task.
    pub preemption: bool,
    /// Whether the choice differs from the task that ran before (a context switch).
    pub switch: bool,
}

/// The default rule (see the module doc).
fn default_choice(runnable: &[&Task], current: Option<TaskId>, is_yielding: bool) -> usize {
    let ids = runnable.iter().map(|t| usize::from(t.id()));
    let cur = current.map(usize::from);
    if let Some(c) = cur {
        if !is_yielding && ids.clone().any(|i| i == c) {
            return c;
        }
    }
    ids.clone()
        .filter(|i| Some(*i) != cur)
        .min()
        .or_else(|| ids.min())
        .expect("shuttle passes a non-empty runnable list")
}

/// The point of a decision: `chosen` among `runnable`, `current` running before.
pub fn point(
    chosen: usize,
    runnable: &[&Task],
    current: Option<TaskId>,
    is_yielding: bool,
) -> Point {
    let cur = current.map(usize::from);
    let cur_runnable = cur.is_some_and(|c| runnable.iter().any(|t| usize::from(t.id()) == c));
    Point {
        chosen,
        default: default_choice(runnable, current, is_yielding),
        preemption: cur_runnable && !is_yielding && cur != Some(chosen),
        switch: cur.is_some_and(|c| c != chosen),
    }
}

/// What an execution did: its points and random values (shared with the caller, which reads it
/// after the run, also when the run panicked).
#[derive(Clone, Debug, Default)]
pub struct Taken {
    /// Every scheduling point.
    pub points: Vec<Point>,
    /// Random values handed out.
    pub random: Vec<u64>,
}

impl Taken {
    /// Empty it for the next execution (keeping its buffers' room).
    pub fn clear(&mut self) {
        self.points.clear();
        self.random.clear();
    }

    /// The shortest [`Decisions`] that the lenient scheduler turns into this same execution:
    /// every choice, with the trailing ones the default rule makes anyway dropped.
    pub fn decisions(&self) -> Decisions {
        let keep = self
            .points
            .iter()
            .rposition(|p| p.chosen != p.default)
            .map_or(0, |i| i + 1);
        Decisions {
            tasks: self.points[..keep].iter().map(|p| p.chosen).collect(),
            random: self.random.clone(),
        }
    }

    /// Preemptions in the execution.
    pub fn preemptions(&self) -> usize {
        self.points.iter().filter(|p| p.preemption).count()
    }

    /// Context switches in the execution.
    pub fn switches(&self) -> usize {
        self.points.iter().filter(|p| p.switch).count()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Wraps a shuttle scheduler and records each execution's points (the current one in `taken`).
pub struct Recorder<S> {
    inner: S,
    /// The current execution's points.
    pub taken: Arc<Mutex<Taken>>,
}

impl<S> Recorder<S> {
    /// Record what `inner` chooses into `taken`.
    pub fn new(inner: S, taken: Arc<Mutex<Taken>>) -> Self {
        Recorder { inner, taken }
    }
}

impl<S: Scheduler> Scheduler for Recorder<S> {
    fn new_execution(&mut self) -> Option<Schedule> {
        let s = self.inner.new_execution();
        *lock(&self.taken) = Taken::default();
        s
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        let t = self.inner.next_task(runnable, current, is_yielding)?;
        lock(&self.taken)
            .points
            .push(point(usize::from(t), runnable, current, is_yielding));
        Some(t)
    }

    fn next_u64(&mut self) -> u64 {
        let v = self.inner.next_u64();
        lock(&self.taken).random.push(v);
        v
    }
}

/// The lenient replay scheduler (see the module doc): one execution.
pub struct Lenient {
    want: Decisions,
    started: bool,
    /// What the execution did.
    pub taken: Arc<Mutex<Taken>>,
}

impl Lenient {
    /// Replay `want`; the execution's points go to `taken`.
    pub fn new(want: Decisions, taken: Arc<Mutex<Taken>>) -> Self {
        Lenient {
            want,
            started: false,
            taken,
        }
    }
}

impl Scheduler for Lenient {
    fn new_execution(&mut self) -> Option<Schedule> {
        if std::mem::replace(&mut self.started, true) {
            return None;
        }
        *lock(&self.taken) = Taken::default();
        Some(Schedule::new(0))
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        let mut taken = lock(&self.taken);
        let i = taken.points.len();
        let chosen = match self.want.tasks.get(i) {
            Some(&t) if runnable.iter().any(|r| usize::from(r.id()) == t) => t,
            _ => default_choice(runnable, current, is_yielding),
        };
        taken
            .points
            .push(point(chosen, runnable, current, is_yielding));
        Some(TaskId::from(chosen))
    }

    fn next_u64(&mut self) -> u64 {
        let mut taken = lock(&self.taken);
        let v = self
            .want
            .random
            .get(taken.random.len())
            .copied()
            .unwrap_or(0);
        taken.random.push(v);
        v
    }
}
