//! The event trace of a replay as rows: per step, thread, operation, object, refcount before →
//! after and the ledger event; hand-offs between threads name their target thread. Shared by the
//! text output of `replay` and the SVG sequence diagram.

use refrace_model::ledger::{AllocId, AllocKind, Event, Holder, Op, Ptr, Tid};
use std::collections::HashMap;

/// One step of the trace.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Row {
    /// Ledger step.
    pub step: u64,
    /// Acting thread.
    pub thread: String,
    /// The thread something was handed to (a client or an object to free), if any.
    pub to: Option<String>,
    /// Short operation name.
    pub op: String,
    /// The object (pointer and label).
    pub object: String,
    /// Refcount before → after (`"2->1"`), or the count an access saw.
    pub refcount: Option<String>,
    /// The ledger event as the ledger prints it (without step, thread and pointer).
    pub event: String,
    /// Whether this step broke an invariant.
    pub violation: bool,
    /// Whether it touches the object the violation names.
    pub focus: bool,
}

/// Turn `trace` into rows (all of them; see [`focus`] for the diagram's selection).
pub fn rows(trace: &[Event]) -> Vec<Row> {
    let mut labels: HashMap<AllocId, (AllocKind, String)> = HashMap::new();
    let mut counts: HashMap<AllocId, u32> = HashMap::new();
    // Client label ("client 3") -> the IO thread it was handed to.
    let mut home: HashMap<String, Tid> = HashMap::new();
    let target = trace
        .iter()
        .rev()
        .find(|e| matches!(e.op, Op::Violation { .. }))
        .map(|e| e.ptr)
        .filter(|p| *p != Ptr::NONE);
    let mut out = Vec::with_capacity(trace.len());
    for e in trace {
        let label = |labels: &HashMap<AllocId, (AllocKind, String)>| {
            labels
                .get(&e.ptr.id)
                .map(|(_, l)| l.clone())
                .unwrap_or_default()
        };
        let mut to = None;
        let mut refcount = None;
        let op = match &e.op {
            Op::Alloc(k, l) => {
                labels.insert(e.ptr.id, (*k, l.to_string()));
                if *k == AllocKind::Object {
                    counts.insert(e.ptr.id, 1);
                    refcount = Some("1".to_string());
                }
                "alloc".to_string()
            }
            Op::Free => "free".to_string(),
            Op::Incr(a, b, _) => {
                counts.insert(e.ptr.id, *b);
                refcount = Some(format!("{a}->{b}"));
                "incrRefCount".to_string()
            }
            Op::Decr(a, b, _) => {
                counts.insert(e.ptr.id, *b);
                refcount = Some(format!("{a}->{b}"));
                "decrRefCount".to_string()
            }
            Op::Transfer(_, h) => {
                to = match h {
                    Holder::Deferred(c) => home.get(&format!("client {c}")).copied(),
                    Holder::Bio => Some(Tid::Bio),
                    _ => None,
                };
                refcount = counts.get(&e.ptr.id).map(|c| c.to_string());
                "hand-over".to_string()
            }
            Op::Read(_) => {
                refcount = counts.get(&e.ptr.id).map(|c| c.to_string());
                "read".to_string()
            }
            Op::Borrow(_) | Op::Unborrow(_) | Op::Retire => {
                refcount = counts.get(&e.ptr.id).map(|c| c.to_string());
                match e.op {
                    Op::Borrow(_) => "borrow",
                    Op::Unborrow(_) => "end of borrow",
                    _ => "retire",
                }
                .to_string()
            }
            Op::HandOff(t) => {
                if matches!(t, Tid::Io(_)) {
                    home.entry(label(&labels)).or_insert(*t);
                }
                to = Some(*t);
                "hand-off".to_string()
            }
            Op::Violation { invariant, message } => {
                refcount = counts.get(&e.ptr.id).map(|c| format!("sees {c}"));
                let during = ["decrRefCount", "incrRefCount"]
                    .into_iter()
                    .find(|w| message.ends_with(&format!("in {w}")));
                match during {
                    Some(w) => format!("{w}: {invariant}"),
                    None => invariant.to_string(),
                }
            }
        };
        let object = if e.ptr == Ptr::NONE {
            "-".to_string()
        } else {
            format!("{} {}", e.ptr, label(&labels))
        };
        out.push(Row {
            step: e.step,
            thread: e.tid.to_string(),
            to: to.map(|t| t.to_string()),
            op,
            object,
            refcount,
            event: {
                let full = e.to_string();
                let ptr = format!("{} ", e.ptr);
                full.split_once(&ptr)
                    .map_or(full.clone(), |(_, op)| op.to_string())
            },
            violation: matches!(e.op, Op::Violation { .. }),
            focus: target.is_some_and(|p| p.id == e.ptr.id),
        });
    }
    out
}

/// The rows a reader needs to see the interleaving: steps on the violating object, client
/// hand-offs between threads, and the violation.
pub fn focus(rows: &[Row]) -> Vec<Row> {
    rows.iter()
        .filter(|r| r.focus || r.violation || r.op == "hand-off")
        .cloned()
        .collect()
}

/// Print rows as a table.
pub fn print(rows: &[Row]) {
    println!(
        "{:>5}  {:<5} {:<26} {:<44} {:<9} event",
        "step", "thread", "operation", "object", "refcount"
    );
    for r in rows {
        let op = match &r.to {
            Some(t) => format!("{} -> {t}", r.op),
            None => r.op.clone(),
        };
        let mut object = r.object.clone();
        if object.chars().count() > 44 {
            object = object.chars().take(41).collect::<String>() + "...";
        }
        println!(
            "{:>5}  {:<5} {:<26} {:<44} {:<9} {}{}",
            r.step,
            r.thread,
            op,
            object,
            r.refcount.as_deref().unwrap_or(""),
            if r.violation { "<<< " } else { "" },
            r.event
        );
    }
}
