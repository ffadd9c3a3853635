//! Lazy free: `freeObjAsync` handing a value to the BIO thread (lazyfree.c; redis#4601, #4323).

use super::{client, Catch, Expect, Override, Scenario, Timing, Want, RACE};
use crate::world::{cmd, Spec};
use refrace_model::config::{Fault, Strategy};

scenarios! {
    /// #4601: RENAME retains the value while deleting the old name with
    /// `lazyfree-lazy-server-del`, so `freeObjAsync` sees a 65-node list with count 2; then A
    /// deletes the new name on main.
    /// INVARIANT: DATA_RACE / COUNT_CONSERVATION / LEAK: BIO only frees what it owns outright.
    /// Breaks if `freeObjAsync` drops its `refcount == 1` clause (`bio-free-shared`).
    pub const RENAME_BIG_LIST_LAZY_SERVER_DEL: Scenario = Scenario {
        name: "rename_big_list_lazy_server_del",
        about: "#4601: lazy free of a list RENAME still retains",
        spec: |o| {
            let mut cfg = o.cfg(1);
            cfg.lazyfree_lazy_server_del = true;
            let mut push: Vec<Vec<u8>> = vec![b"RPUSH".to_vec(), b"L".to_vec()];
            push.extend((0..65).map(|i| format!("e{i}").into_bytes()));
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
            invariants: RACE,
            timing: Timing::Racy,
        }],
        overrides: &[Override {
            strategy: Strategy::Atomic,
            faults: &[Fault::BioFreeShared],
            want: Want::Clean,
            why: "BIO's and main's decrements are atomic: no lost update, the last one frees",
        }],
    };
}
