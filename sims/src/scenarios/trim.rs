//! Slot trims (atomic slot migration's trim, cluster_asm.c, and SFLUSH, cluster.c, both at the
//! pin): the background trim hands a slot's keys to BIO, the active trim deletes them on main,
//! and SFLUSH without ASYNC runs either as a blocking flush.

use super::{big, client, Catch, Expect, Finding, Override, Scenario, Timing, Want};
use crate::world::{cmd, Spec};
use refrace_model::config::{Fault, Fix, Strategy};
use refrace_model::Invariant;

/// The hash slot of `k`, twice: SFLUSH's one-slot range.
fn slot_of_k() -> Vec<u8> {
    refrace_model::commands::key_hash_slot(b"k")
        .to_string()
        .into_bytes()
}

/// `SFLUSH <slot(k)> <slot(k)> [mode]`.
fn sflush_k(mode: Option<&[u8]>) -> Vec<Vec<u8>> {
    let s = slot_of_k();
    let mut v = cmd(&[b"SFLUSH", &s, &s]);
    v.extend(mode.map(<[u8]>::to_vec));
    v
}

/// What the background trim without `protectClientReplyObjects` shows: BIO's `decrRefCount`
/// of a value a reply still references, unordered with main's release of the reply's
/// reference (the race itself, or its lost update: a count that no longer matches its
/// holders, a leak).
const UNPROTECTED: &[Invariant] = &[
    Invariant::DataRace,
    Invariant::CountConservation,
    Invariant::Leak,
];

/// What keeping the trimmed keys in the keyspace shows: main later frees or reads what BIO
/// already freed.
const KEPT: &[Invariant] = &[
    Invariant::UseAfterFree,
    Invariant::DoubleFree,
    Invariant::RefcountUnderflow,
    Invariant::CountConservation,
    Invariant::DataRace,
];

scenarios! {
    /// Upstream bug `bg-trim-unprotected` (reports/findings/bg-trim-unprotected.md). A (IO-1)
    /// GETs a 64 KiB value: its reply references the kvobj (count 2). B (also on IO-1) runs
    /// `SFLUSH <slot> <slot> ASYNC`: `asmTrimSlots` picks the background trim, which moves the
    /// slot's dictionary out of the keyspace and queues it to BIO (`emptyDbDataAsync`) without
    /// `protectClientReplyObjects()`; BIO's `kvsLazyfreeFree` decrements the kvobj while A's
    /// reference is released by main (after A's IO thread wrote it and deferred the release).
    /// INVARIANT: DATA_RACE (or its lost update: COUNT_CONSERVATION / LEAK): two threads' RMWs of
    /// one header word with no happens-before edge. Clean with the candidate fix
    /// `bg-trim-protects` (protect before BIO owns the dictionaries, as `emptyDbAsync` does).
    /// Negative control (with the fix on): `trim-keeps-dict` leaves the keys in the keyspace too.
    pub const SFLUSH_ASYNC_VS_PENDING_REPLY: Scenario = Scenario {
        name: "sflush_async_vs_pending_reply",
        about: "bg-trim-unprotected: SFLUSH ASYNC's BIO free races a reply's reference",
        spec: |o| {
            let mut cfg = o.cfg(1);
            cfg.cluster_enabled = true;
            Spec {
                cfg,
                setup: vec![cmd(&[b"SET", b"k", &big(b'a')])],
                clients: vec![
                    client(1, vec![cmd(&[b"GET", b"k"])]),
                    client(1, vec![sflush_k(Some(b"ASYNC"))]),
                ],
                bio_thread: true,
                needs_reply_refs: false,
            }
        },
        fixed: Expect::UpstreamBug(Finding {
            name: "bg-trim-unprotected",
            fix: Fix::BgTrimProtects,
            invariants: UNPROTECTED,
        }),
        catches: &[Catch {
            faults: &[Fault::TrimKeepsDict],
            invariants: KEPT,
            timing: Timing::Deterministic,
        }],
        overrides: &[
            Override {
                strategy: Strategy::Atomic,
                faults: &[],
                want: Want::Clean,
                why: "an atomic refcount: BIO's decrement and main's are one RMW each, ordered by the word itself",
            },
            Override {
                strategy: Strategy::Epoch,
                faults: &[],
                want: Want::Clean,
                why: "reply references are uncounted borrows: BIO's free is retired until A's pin is dropped",
            },
        ],
    };

    /// Upstream bug `sflush-sync-never-unblocked` (reports/findings/sflush-sync-never-unblocked.md).
    /// A sends `SFLUSH <slot> <slot>` (no option, `lazyfree-lazy-user-flush no`) and then PING:
    /// from a client that may block, SFLUSH runs as a blocking flush (`blockClientForAsyncFlush`);
    /// the background trim's completion request carries `CLIENT_ID_NONE` at the pin, so nothing
    /// ever unblocks A: its PING is never read, its connection never ends.
    /// INVARIANT: STUCK. Clean with the fix `sflush-unblocks` (#14877 as merged: the completion
    /// names A, which gets the flushed ranges, then PONG). Negative control (fix on):
    /// `trim-keeps-dict`.
    pub const SFLUSH_SYNC_BLOCKS_UNTIL_TRIMMED: Scenario = Scenario {
        name: "sflush_sync_blocks_until_trimmed",
        about: "sflush-sync-never-unblocked: SFLUSH run as a blocking flush with the background trim",
        spec: |o| {
            let mut cfg = o.cfg(1);
            cfg.cluster_enabled = true;
            Spec {
                cfg,
                setup: vec![
                    cmd(&[b"SET", b"k", b"v"]),
                    cmd(&[b"SET", b"other", b"w"]),
                ],
                clients: vec![client(1, vec![sflush_k(None), cmd(&[b"GET", b"other"])])],
                bio_thread: true,
                needs_reply_refs: false,
            }
        },
        fixed: Expect::UpstreamBug(Finding {
            name: "sflush-sync-never-unblocked",
            fix: Fix::SflushUnblocks,
            invariants: &[Invariant::Stuck],
        }),
        catches: &[Catch {
            faults: &[Fault::TrimKeepsDict],
            invariants: KEPT,
            timing: Timing::Deterministic,
        }],
        overrides: &[],
    };

    /// SFLUSH's other route: with the active trim (in Redis: a client uses tracking or a module
    /// subscribes to key-trimmed events) A's `SFLUSH <slot> <slot>` is a blocking flush that
    /// main's cron completes (`asmActiveTrimCycle` deletes the keys on main, then the job's end
    /// unblocks A with the ranges: the active route passes A's id at the pin); meanwhile B (also on IO-1)
    /// GETs the 64 KiB value and its reply references it.
    /// INVARIANT: COUNT_CONSERVATION / DATA_RACE / USE_AFTER_FREE: the deletions are main's
    /// `decrRefCount`s, ordered with every release of B's reference.
    pub const SFLUSH_ACTIVE_TRIM_VS_PENDING_REPLY: Scenario = Scenario {
        name: "sflush_active_trim_vs_pending_reply",
        about: "SFLUSH as a blocking flush with the active trim, a reply referencing a trimmed value",
        spec: |o| {
            let mut cfg = o.cfg(1);
            cfg.cluster_enabled = true;
            cfg.asm_active_trim = true;
            Spec {
                cfg,
                setup: vec![cmd(&[b"SET", b"k", &big(b'a')])],
                clients: vec![
                    client(1, vec![sflush_k(None), cmd(&[b"PING"])]),
                    client(1, vec![cmd(&[b"GET", b"k"])]),
                ],
                bio_thread: true,
                needs_reply_refs: false,
            }
        },
        fixed: Expect::Clean,
        catches: &[],
        overrides: &[],
    };
}
