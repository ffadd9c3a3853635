//! The retention bound: what a client may hold per in-flight command once hiredis has copied
//! the command into its output buffer.
//!
//! Statement. Let a command be *in flight* from the moment `redisAsyncFormattedCommand` returned
//! (hiredis holds its callback and has the bytes in its own buffer) until its callback ran. For
//! each in-flight command the client may hold only its metadata: the command event (the
//! callback's private data, [`SIZEOF_EVENT`](crate::heap::SIZEOF_EVENT) bytes) and hiredis's
//! callback entry ([`SIZEOF_CALLBACK`](crate::heap::SIZEOF_CALLBACK) bytes):
//!
//! > bytes held for one in-flight command ≤ [`BOUND_PER_COMMAND`] = 64 + 32 = 96 bytes,
//!
//! independent of the command's size. Hiredis's own copy (the output buffer, until written)
//! and commands still queued for the loop (which legitimately hold their formatted bytes) are
//! outside the bound. So total client retention is at most
//! `context + obuf + queued + in_flight × 96`, and in flight ≈ QPS × latency (Little's law):
//! with the bound, retention grows with QPS × latency × 96 bytes; without it (redis-plus-plus
//! #556) with QPS × latency × (96 + command size).
//!
//! The loop thread checks the bound after each hand-off to hiredis and after each round of I/O
//! ([`Mode::Enforce`]: `INVARIANT RETENTION_BOUND:` via the ledger), and records the peaks
//! ([`Peaks`]) in every mode.

use crate::heap::{Heap, SIZEOF_CALLBACK, SIZEOF_EVENT};
use refrace_model::invariant::Invariant;
use refrace_model::ledger::{Ptr, Tid};

/// Bytes a client may hold per in-flight command (see the module doc).
pub const BOUND_PER_COMMAND: usize = SIZEOF_EVENT + SIZEOF_CALLBACK;

/// What the loop does with the bound.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Check it: a command over the bound is an `INVARIANT RETENTION_BOUND` violation.
    #[default]
    Enforce,
    /// Only record the peaks (measurements of the faulty client).
    Measure,
}

/// Peaks seen by the loop thread.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Peaks {
    /// Most commands in flight at one check.
    pub in_flight: usize,
    /// Most bytes held for one in-flight command.
    pub per_command: usize,
    /// Most bytes held for all in-flight commands at one check.
    pub total: usize,
    /// Most bytes live in the client's heap at one check (everything: context, buffers, …).
    pub heap: usize,
    /// Checks made.
    pub checks: u64,
}

/// One in-flight command as the check sees it: its event and, if still held, its formatted
/// command.
#[derive(Copy, Clone, Debug)]
pub struct InFlight {
    /// The command event (the callback's private data).
    pub event: Ptr,
    /// The formatted command the event still holds, if any.
    pub command: Option<Ptr>,
}

impl Peaks {
    /// Check `in_flight` (bytes from the ledger's live sizes) and record the peaks.
    pub fn check(&mut self, heap: &Heap, tid: Tid, mode: Mode, in_flight: &[InFlight]) {
        self.checks += 1;
        let mut total = 0;
        for c in in_flight {
            let held = heap.size_of(c.event).unwrap_or(0)
                + SIZEOF_CALLBACK
                + c.command.and_then(|p| heap.size_of(p)).unwrap_or(0);
            total += held;
            self.per_command = self.per_command.max(held);
            if mode == Mode::Enforce && held > BOUND_PER_COMMAND {
                let cmd = c.command.and_then(|p| heap.size_of(p)).unwrap_or(0);
                heap.violation(
                    tid,
                    Invariant::RetentionBound,
                    &format!(
                        "{} bytes held for the in-flight command of event {} (bound {} = event {} + redisCallback {}): its formatted command ({} bytes) is still held although redisAsyncFormattedCommand copied it; {} command(s) in flight hold {} bytes",
                        held,
                        c.event,
                        BOUND_PER_COMMAND,
                        SIZEOF_EVENT,
                        SIZEOF_CALLBACK,
                        cmd,
                        in_flight.len(),
                        in_flight
                            .iter()
                            .map(|c| SIZEOF_EVENT
                                + SIZEOF_CALLBACK
                                + c.command.and_then(|p| heap.size_of(p)).unwrap_or(0))
                            .sum::<usize>()
                    ),
                    c.command.or(Some(c.event)),
                );
            }
        }
        self.in_flight = self.in_flight.max(in_flight.len());
        self.total = self.total.max(total);
        self.heap = self.heap.max(heap.used());
    }
}
