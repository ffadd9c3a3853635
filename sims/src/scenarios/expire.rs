//! Expiry on a referenced value (`kvobjSetExpire` growing a kvobj: object.c, expire.c).

use super::{big, client, Catch, Expect, Scenario, Timing};
use crate::world::{cmd, Spec};
use refrace_model::config::Fault;
use refrace_model::Invariant;

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
}
