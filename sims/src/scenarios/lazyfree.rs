//! Lazy free: `freeObjAsync` handing a value to the BIO thread (lazyfree.c; redis#4601, #4323).

use super::{client, Catch, Expect, Override, Scenario, Timing, Want};
use crate::world::{cmd, Spec};
use refrace_model::config::{Fault, Strategy};
use refrace_model::Invariant;

/// A list element one byte over the listpack node limit (8 KiB with the default
/// `list-max-listpack-size -2`): quicklist.c's `isLargeElement` gives it a PLAIN node.
pub(super) fn big_element() -> Vec<u8> {
    vec![b'e'; refrace_model::commands::LIST_MAX_LISTPACK_BYTES + 1]
}

scenarios! {
    /// #4601: RENAME retains the value while deleting the old name with
    /// `lazyfree-lazy-server-del`, so `freeObjAsync` sees a 65-node list with count 2 (65
    /// elements of 8 KiB + 1: each larger than a listpack node may be, so each is a PLAIN
    /// quicklist node, and the free effort is 65 > 64); then `kvobjSet` moves it under the new
    /// name and A deletes the new name, which sends it to BIO.
    /// INVARIANT: DATA_RACE / COUNT_CONSERVATION / LEAK: BIO only frees what it owns outright.
    /// Breaks if `freeObjAsync` drops its `refcount == 1` clause (`bio-free-shared`): BIO's
    /// decrement races main's (or main's `kvobjSet` finds the list still shared and panics,
    /// "Not implemented", as Redis would: `MODEL_PANIC`). Also breaks if a BIO job writes a
    /// header bit-field of the list main is still using (`bio-header-write`): DATA_RACE on the
    /// header word, or USE_AFTER_FREE once main has freed it.
    pub const RENAME_BIG_LIST_LAZY_SERVER_DEL: Scenario = Scenario {
        name: "rename_big_list_lazy_server_del",
        about: "#4601: lazy free of a list RENAME still retains",
        spec: |o| {
            let mut cfg = o.cfg(1);
            cfg.lazyfree_lazy_server_del = true;
            let mut push: Vec<Vec<u8>> = vec![b"RPUSH".to_vec(), b"L".to_vec()];
            push.extend((0..65).map(|_| big_element()));
            Spec {
                cfg,
                setup: vec![push],
                clients: vec![client(
                    1,
                    vec![cmd(&[b"RENAME", b"L", b"L2"]), cmd(&[b"DEL", b"L2"])],
                )],
                bio_thread: true,
                needs_reply_refs: false,
            }
        },
        fixed: Expect::Clean,
        catches: &[Catch {
            faults: &[Fault::BioFreeShared],
            invariants: &[
                Invariant::DataRace,
                Invariant::CountConservation,
                Invariant::Leak,
                Invariant::ModelPanic,
                Invariant::UseAfterFree,
            ],
            timing: Timing::Racy,
        },
        Catch {
            faults: &[Fault::BioHeaderWrite],
            invariants: &[Invariant::DataRace, Invariant::UseAfterFree],
            timing: Timing::Racy,
        }],
        overrides: &[Override {
            strategy: Strategy::Atomic,
            faults: &[Fault::BioFreeShared],
            want: Want::Caught(&[Invariant::ModelPanic]),
            why: "atomic decrements lose no update, but RENAME's kvobjSet (8.x order) can still find the list shared before BIO's decrement: Redis's \"Not implemented\" panic",
        }],
    };
}
