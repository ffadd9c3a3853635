//! Cluster commands that hand keys to their caller (cluster.c).

use super::{client, Catch, Expect, Scenario, Timing};
use crate::world::{cmd, Spec};
use refrace_model::config::Fault;
use refrace_model::Invariant;

scenarios! {
    /// Didi's leak: CLUSTER GETKEYSINSLOT on a slot holding two keys; the keys come back as owned
    /// objects that the caller must release.
    /// INVARIANT: LEAK: allocations made during a command are freed or reachable when it ends.
    /// Breaks if the caller frees only the array (`getkeysinslot-owned-leak`).
    pub const GETKEYSINSLOT_OWNED_KEYS: Scenario = Scenario {
        name: "getkeysinslot_owned_keys",
        about: "Didi: CLUSTER GETKEYSINSLOT returns owned keys",
        spec: |o| {
            let mut cfg = o.cfg(1);
            cfg.cluster_enabled = true;
            let slot = refrace_model::commands::key_hash_slot(b"{user}").to_string();
            Spec {
                cfg,
                setup: vec![
                    cmd(&[b"SET", b"{user}:1", b"a"]),
                    cmd(&[b"SET", b"{user}:2", b"b"]),
                    cmd(&[b"SET", b"other", b"c"]),
                ],
                clients: vec![client(
                    1,
                    vec![cmd(&[b"CLUSTER", b"GETKEYSINSLOT", slot.as_bytes(), b"10"])],
                )],
                bio_thread: false,
                needs_reply_refs: false,
            }
        },
        fixed: Expect::Clean,
        catches: &[Catch {
            faults: &[Fault::GetkeysinslotOwnedLeak],
            invariants: &[Invariant::Leak],
            timing: Timing::Deterministic,
        }],
        overrides: &[],
    };
}
