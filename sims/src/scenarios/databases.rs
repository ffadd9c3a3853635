//! Databases: a referenced value moving or being duplicated between keyspaces (db.c @ 059f40da
//! `moveCommand`, `copyCommand`, `dbSwapDatabases`), and FLUSHDB of one database while a reply
//! references a value another client swapped into it.

use super::{big, client, Catch, Expect, Override, Scenario, Timing, Want, RACE};
use crate::world::{cmd, ClientSpec, Spec};
use refrace_model::config::{Fault, Strategy};
use refrace_model::Invariant;

scenarios! {
    /// MOVE of a referenced value. Setup: `k` holds a 64 KiB RAW value V in database 0. A
    /// (IO-1) runs `GET k` (a reply reference to V); B (IO-2) runs `MOVE k 1`, `SELECT 1`,
    /// `SET k x`. MOVE retains V (count +1), deletes it from database 0, and `kvobjSet` builds
    /// the kvobj of database 1 from it: with A's reference still there V's count is above 1, so
    /// the payload is duplicated, never stolen; B's SET then disposes of the copy.
    /// INVARIANT: REPLY_PAYLOAD / REPLY_BYTES: A writes V's bytes whatever ran first; DATA_RACE
    /// on `ptr`: main never rewrites the payload pointer of a value an IO thread writes from.
    /// Breaks if `kvobjSet` steals a referenced payload (`steal-shared-ptr`): A's reference is
    /// left with a NULL `ptr`.
    pub const MOVE_REFERENCED_VALUE: Scenario = Scenario {
        name: "move_referenced_value",
        about: "MOVE k 1 while GET k's reply references k's value",
        spec: |o| Spec {
            cfg: o.cfg(2),
            setup: vec![cmd(&[b"SET", b"k", &big(b'a')])],
            clients: vec![
                client(1, vec![cmd(&[b"GET", b"k"])]),
                client(
                    2,
                    vec![
                        cmd(&[b"MOVE", b"k", b"1"]),
                        cmd(&[b"SELECT", b"1"]),
                        cmd(&[b"SET", b"k", b"x"]),
                    ],
                ),
            ],
            bio_thread: false,
            needs_reply_refs: false,
        },
        fixed: Expect::Clean,
        catches: &[Catch {
            faults: &[Fault::StealSharedPtr],
            invariants: &[
                Invariant::ReplyPayload,
                Invariant::ReplyBytes,
                Invariant::DataRace,
            ],
            timing: Timing::Racy,
        }],
        overrides: &[],
    };

    /// COPY of a referenced value, then an overwrite of the original. Setup: `k` holds a 64
    /// KiB RAW value V. A (IO-1) runs `GET k` (a reply reference to V); B (IO-2) runs
    /// `COPY k k DB 1` (V's bytes read on main while IO-1 may be writing them: two reads),
    /// `SET k x` (V, referenced, is released by main: count 2 → 1), `SELECT 1`, `GET k` (the
    /// copy).
    /// INVARIANT: DATA_RACE / COUNT_CONSERVATION / LEAK: only main changes V's count while A
    /// references it; REPLY_BYTES.
    /// Breaks if `dbSetValue` defers V to B's IO thread without `refcount == 1`
    /// (`defer-shared-free`, #14738).
    pub const COPY_REFERENCED_VALUE: Scenario = Scenario {
        name: "copy_referenced_value",
        about: "COPY k k DB 1 and SET k while GET k's reply references k's value",
        spec: |o| Spec {
            cfg: o.cfg(2),
            setup: vec![cmd(&[b"SET", b"k", &big(b'a')])],
            clients: vec![
                client(1, vec![cmd(&[b"GET", b"k"])]),
                client(
                    2,
                    vec![
                        cmd(&[b"COPY", b"k", b"k", b"DB", b"1"]),
                        cmd(&[b"SET", b"k", b"x"]),
                        cmd(&[b"SELECT", b"1"]),
                        cmd(&[b"GET", b"k"]),
                    ],
                ),
            ],
            bio_thread: false,
            needs_reply_refs: false,
        },
        fixed: Expect::Clean,
        catches: &[Catch {
            faults: &[Fault::DeferSharedFree],
            invariants: RACE,
            timing: Timing::Racy,
        }],
        overrides: &[Override {
            strategy: Strategy::Atomic,
            faults: &[Fault::DeferSharedFree],
            want: Want::Clean,
            why: "the #14738 guard is not needed: atomic decrements lose no update",
        }],
    };

    /// SWAPDB, then FLUSHDB ASYNC of the database a referenced value now lives in. Setup: `k`
    /// holds a 64 KiB RAW value V in database 0. A (IO-1) runs `GET k` and drains slowly (48 KiB
    /// per write, so it returns to main on the IO cron with its reference unsent); B (IO-2)
    /// runs `SWAPDB 0 1` (V's keyspace is database 1 now, under every client), `SELECT 1`,
    /// `FLUSHDB ASYNC` (only database 1 is detached; BIO frees it).
    /// INVARIANT: PENDING_REF_REGISTRY: `protectClientReplyObjects` protects every listed client
    /// whatever database its reference came from, so A's reference is a private copy before
    /// BIO owns V.
    /// Breaks if a client holding references is unlisted early (`unlink-pending-early`).
    pub const SWAPDB_FLUSHDB_ASYNC_WITH_PENDING_REF: Scenario = Scenario {
        name: "swapdb_flushdb_async_with_pending_ref",
        about: "SWAPDB 0 1 then FLUSHDB ASYNC of db 1 while a slow client references a value",
        spec: |o| Spec {
            cfg: o.cfg(2),
            setup: vec![cmd(&[b"SET", b"k", &big(b'a')])],
            clients: vec![
                ClientSpec {
                    sndbuf: Some(48 * 1024),
                    ..client(1, vec![cmd(&[b"GET", b"k"])])
                },
                client(
                    2,
                    vec![
                        cmd(&[b"SWAPDB", b"0", b"1"]),
                        cmd(&[b"SELECT", b"1"]),
                        cmd(&[b"FLUSHDB", b"ASYNC"]),
                    ],
                ),
            ],
            bio_thread: true,
            needs_reply_refs: false,
        },
        fixed: Expect::Clean,
        catches: &[Catch {
            faults: &[Fault::UnlinkPendingEarly],
            invariants: &[
                Invariant::PendingRefRegistry,
                Invariant::DataRace,
                Invariant::CountConservation,
                Invariant::Leak,
            ],
            timing: Timing::Rare,
        }],
        overrides: &[],
    };
}
