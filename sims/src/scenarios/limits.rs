//! The refcount's limits: the special values SHARED and STATIC and Redis's guard before them
//! (object.c, redis#14647).

use super::{big, client, Catch, Expect, Override, Scenario, Timing, Want};
use crate::world::{cmd, Spec};
use refrace_model::config::{Fault, Strategy};
use refrace_model::Invariant;

scenarios! {
    /// #14647 with a 3-bit refcount (usable counts up to 5): MGET of one key five times takes
    /// five references on top of the keyspace's.
    /// INVARIANT: REFCOUNT_OVERFLOW: a count never steps onto the STATIC sentinel. The fixed
    /// model hits Redis's own guard instead (`REFCOUNT_LIMIT`: "retain an object with maximum
    /// refcount").
    /// Breaks if `incrRefCount` compares with `< FIRST_SPECIAL` (`incr-off-by-one`).
    pub const MGET_SATURATES_REFCOUNT: Scenario = Scenario {
        name: "mget_saturates_refcount",
        about: "#14647: five references with a 3-bit refcount",
        spec: |o| {
            let mut cfg = o.cfg(1);
            cfg.refcount_bits = 3;
            Spec {
                cfg,
                setup: vec![cmd(&[b"SET", b"k", &big(b'a')])],
                clients: vec![client(
                    1,
                    vec![cmd(&[b"MGET", b"k", b"k", b"k", b"k", b"k"])],
                )],
                bio_thread: false,
                needs_reply_refs: true,
            }
        },
        fixed: Expect::Guard(Invariant::RefcountLimit),
        catches: &[Catch {
            faults: &[Fault::IncrOffByOne],
            invariants: &[Invariant::RefcountOverflow],
            timing: Timing::Deterministic,
        }],
        overrides: &[
            Override {
                strategy: Strategy::Epoch,
                faults: &[],
                want: Want::Clean,
                why: "reply borrows are not counted, so five of them never approach the limit",
            },
            Override {
                strategy: Strategy::Epoch,
                faults: &[Fault::IncrOffByOne],
                want: Want::Clean,
                why: "reply borrows are not counted, so the off-by-one bound is never reached",
            },
        ],
    };
}
