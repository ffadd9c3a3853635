//! Overwriting a value that a reply still references (`dbSetValue`'s disposal of the old value,
//! db.c; redis#14738).

use super::{big, client, Catch, Expect, Override, Scenario, Timing, Want, RACE};
use crate::world::{cmd, Spec};
use refrace_model::config::{Fault, Strategy};
use refrace_model::Invariant;

scenarios! {
    /// #14738. Setup: `k` holds a 64 KiB RAW value V; two IO threads. A runs `GET k` (its reply
    /// references V: count 2) while B runs `SET k v2`, which disposes of V.
    /// INVARIANT: COUNT_CONSERVATION / LEAK / DATA_RACE: V's count is only ever changed by main.
    /// Breaks if `dbSetValue` defers V to B's IO thread without `refcount == 1`: IO-2's decrement
    /// races main's release of A's reference (both hand-back orders are explored).
    pub const GET_REPLY_REF_VS_OVERWRITE: Scenario = Scenario {
        name: "get_reply_ref_vs_overwrite",
        about: "#14738: GET's reply references V while SET disposes of V",
        spec: |o| Spec {
            cfg: o.cfg(2),
            setup: vec![cmd(&[b"SET", b"k", &big(b'a')])],
            clients: vec![
                client(1, vec![cmd(&[b"GET", b"k"])]),
                client(2, vec![cmd(&[b"SET", b"k", b"v2"])]),
            ],
            bio_thread: false,
            needs_reply_refs: false,
        },
        fixed: Expect::Clean,
        catches: &[
            Catch {
                faults: &[Fault::DeferSharedFree],
                invariants: RACE,
                timing: Timing::Racy,
            },
            Catch {
                faults: &[Fault::AtomicSplitRmw],
                invariants: &[Invariant::CountConservation, Invariant::Leak],
                timing: Timing::Racy,
            },
            Catch {
                faults: &[Fault::EpochUnpinnedWrite],
                invariants: &[Invariant::UseAfterFree],
                timing: Timing::Racy,
            },
        ],
        overrides: &[Override {
            strategy: Strategy::Atomic,
            faults: &[Fault::DeferSharedFree],
            want: Want::Clean,
            why: "the #14738 guard is not needed: atomic decrements lose no update",
        }],
    };

    /// A reply's reference under a RAW overwrite. Setup: `k` holds a 64 KiB RAW value V; A
    /// (IO-1) runs `GET k` (its reply references V: count 2) while B (IO-2) runs `SET k` with
    /// another 64 KiB RAW value W.
    /// INVARIANT: REPLY_BYTES: A receives V's bytes (or W's, if B's SET ran first), as the
    /// sequential reference says for the order main ran them; DATA_RACE on `ptr`: no thread
    /// rewrites the payload pointer of an object an IO thread is writing from.
    /// Breaks if `dbSetValue` takes its swap fast path although V is referenced
    /// (`swap-referenced-ptr`): V's header, still in the keyspace and in A's reply, gets W's
    /// payload, so A receives W's bytes under V's GET (when IO-1 writes after the swap), and
    /// main's write of V's `ptr` is unordered with IO-1's read of it (DATA_RACE) unless A was
    /// already back on main.
    pub const GET_REPLY_REF_VS_RAW_OVERWRITE: Scenario = Scenario {
        name: "get_reply_ref_vs_raw_overwrite",
        about: "a reply references V while SET overwrites V with a RAW value (swap path)",
        spec: |o| Spec {
            cfg: o.cfg(2),
            setup: vec![cmd(&[b"SET", b"k", &big(b'a')])],
            clients: vec![
                client(1, vec![cmd(&[b"GET", b"k"])]),
                client(2, vec![cmd(&[b"SET", b"k", &big(b'b')])]),
            ],
            bio_thread: false,
            needs_reply_refs: false,
        },
        fixed: Expect::Clean,
        catches: &[Catch {
            faults: &[Fault::SwapReferencedPtr],
            invariants: &[Invariant::ReplyBytes, Invariant::DataRace],
            timing: Timing::Racy,
        }],
        overrides: &[],
    };
}
