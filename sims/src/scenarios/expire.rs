//! Expiry on a referenced value: `kvobjSetExpire` growing a kvobj (object.c, expire.c), the active
//! expire cycle (expire.c) and lazy expiry on access (db.c), with `lazyfree-lazy-expire` off and on.

use super::{big, client, Catch, Expect, Scenario, Timing};
use crate::world::{cmd, Spec};
use refrace_model::config::Fault;
use refrace_model::Invariant;

/// The key is set with a 5 ms expiry; A (IO-1) GETs it and drains the 64 KiB reply slowly (8 KiB
/// per write), while B (also on IO-1) lets time pass (a command is 1 ms), so the value expires
/// with A's reference pending: B's fifth command finds it expired (`access`: a GET, lazy
/// expiry on access; else a PING, after which main's cron reclaims it). (An expiry set *after*
/// the reply took its reference would not do: `kvobjSetExpire` then builds a new kvobj and the
/// reply keeps the old one.)
fn expiring_spec(o: &super::Opts, lazy: bool, access: bool) -> Spec {
    let mut cfg = o.cfg(1);
    cfg.lazyfree_lazy_expire = lazy;
    let last = if access {
        cmd(&[b"GET", b"k"])
    } else {
        cmd(&[b"PING"])
    };
    let mut b = vec![cmd(&[b"PING"]); 4];
    b.push(last);
    Spec {
        cfg,
        setup: vec![cmd(&[b"SET", b"k", &big(b'a'), b"PX", b"5"])],
        clients: vec![
            crate::world::ClientSpec {
                io: 1,
                script: vec![cmd(&[b"GET", b"k"])],
                sndbuf: Some(8 * 1024),
                ..crate::world::ClientSpec::default()
            },
            client(1, b),
        ],
        bio_thread: lazy,
        needs_reply_refs: false,
    }
}

/// What freeing a referenced value outright shows: the IO thread's `writev` of it, or the
/// reply's release, touches freed memory.
const FREED_UNDER_REPLY: &[Invariant] = &[
    Invariant::UseAfterFree,
    Invariant::ReplyPayload,
    Invariant::DoubleFree,
    Invariant::CountConservation,
    Invariant::DataRace,
];

scenarios! {
    /// GETEX EX on a referenced value: the reply references V, then `kvobjSetExpire` must grow
    /// the kvobj; with count 2 `kvobjSet` duplicates the string and the reply keeps the old one.
    /// INVARIANT: USE_AFTER_FREE: the IO thread only reads live objects.
    /// Breaks if the kvobj is reallocated in place although referenced (`realloc-shared-kvobj`),
    /// or if `kvobjSet` steals the referenced value's payload (`steal-shared-ptr`): the reply is
    /// then written through a NULL `ptr` (REPLY_PAYLOAD).
    pub const GETEX_EX_ON_REFERENCED_VALUE: Scenario = Scenario {
        name: "getex_ex_on_referenced_value",
        about: "GETEX EX duplicates a value its own reply references",
        spec: |o| Spec {
            cfg: o.cfg(1),
            setup: vec![cmd(&[b"SET", b"k", &big(b'a')])],
            clients: vec![client(
                1,
                vec![cmd(&[b"GETEX", b"k", b"EX", b"100"]), cmd(&[b"GET", b"k"])],
            )],
            bio_thread: false,
            needs_reply_refs: true,
        },
        fixed: Expect::Clean,
        catches: &[
            Catch {
                faults: &[Fault::ReallocSharedKvobj],
                invariants: &[Invariant::UseAfterFree],
                timing: Timing::Deterministic,
            },
            Catch {
                faults: &[Fault::StealSharedPtr],
                invariants: &[Invariant::ReplyPayload],
                timing: Timing::Deterministic,
            },
        ],
        overrides: &[],
    };

    /// The active expire cycle (main's cron, `lazyfree-lazy-expire no`) reclaims a value whose
    /// reply reference A has not finished writing: `dbGenericDelete` → `decrRefCount` on main
    /// (2 → 1), A's reference keeps it alive until released.
    /// INVARIANT: USE_AFTER_FREE / COUNT_CONSERVATION: an expired value lives as long as a reply
    /// references it.
    /// Breaks if the cycle frees it outright (`expire-frees-shared`).
    pub const EXPIRE_CYCLE_VS_PENDING_REFERENCE: Scenario = Scenario {
        name: "expire_cycle_vs_pending_reference",
        about: "the active expire cycle reclaims a value a reply references",
        spec: |o| expiring_spec(o, false, false),
        fixed: Expect::Clean,
        catches: &[Catch {
            faults: &[Fault::ExpireFreesShared],
            invariants: FREED_UNDER_REPLY,
            timing: Timing::Racy,
        }],
        overrides: &[],
    };

    /// As [`EXPIRE_CYCLE_VS_PENDING_REFERENCE`] with `lazyfree-lazy-expire yes` (a BIO thread
    /// runs): `freeObjAsync` sees count 2 (and a string's effort 1) and decrements on main.
    /// INVARIANT: DATA_RACE / COUNT_CONSERVATION: BIO never receives a value a reply references.
    pub const EXPIRE_CYCLE_LAZY_VS_PENDING_REFERENCE: Scenario = Scenario {
        name: "expire_cycle_lazy_vs_pending_reference",
        about: "the lazy active expire reclaims a value a reply references",
        spec: |o| expiring_spec(o, true, false),
        fixed: Expect::Clean,
        catches: &[Catch {
            faults: &[Fault::ExpireFreesShared],
            invariants: FREED_UNDER_REPLY,
            timing: Timing::Racy,
        }],
        overrides: &[],
    };

    /// Lazy expiry on access: B's GET finds the key expired (`expireIfNeeded` in `lookupKey`)
    /// and deletes it while A's reply still references the value (whichever of the cron and the
    /// access comes first reclaims it).
    /// INVARIANT: USE_AFTER_FREE / COUNT_CONSERVATION: the deletion is one release on main.
    pub const EXPIRE_ON_ACCESS_VS_PENDING_REFERENCE: Scenario = Scenario {
        name: "expire_on_access_vs_pending_reference",
        about: "lazy expiry on access deletes a value a reply references",
        spec: |o| expiring_spec(o, false, true),
        fixed: Expect::Clean,
        catches: &[],
        overrides: &[],
    };
}
