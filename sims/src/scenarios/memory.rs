//! Memory as Redis counts it (zmalloc over jemalloc, maxmemory and eviction: evict.c).

use super::lazyfree::big_element;
use super::{big, client, Catch, Expect, Override, Scenario, Timing, Want};
use crate::world::{cmd, ClientSpec, Spec};
use refrace_model::config::{Fault, MaxmemoryPolicy, Strategy};
use refrace_model::Invariant;

scenarios! {
    /// Eviction of a value a pending reply references. Setup: `k` holds a 64 KiB RAW value V,
    /// `maxmemory-policy allkeys-lru`. A (IO-1) runs `GET k` (its reply references V: count 2)
    /// while B (IO-2) sets `maxmemory 1` and writes: `performEvictions` evicts every key, V's
    /// keyspace reference is released (2→1, nothing freed, so it goes on), and B's SET gets the
    /// OOM error; A's reply is written from V, which main frees when the reference comes back.
    /// In the other order A's GET evicts `k` itself and replies nil. The reference model checks
    /// each eviction and each OOM rejection (`EVICTION`, `REPLY_BYTES`).
    /// INVARIANT: USE_AFTER_FREE / DOUBLE_FREE: eviction only drops the keyspace's reference.
    /// Breaks if eviction frees the value outright (`evict-frees-referenced`).
    pub const EVICT_REFERENCED_VALUE: Scenario = Scenario {
        name: "evict_referenced_value",
        about: "eviction (maxmemory) of a value a pending reply on an IO thread references",
        spec: |o| {
            let mut cfg = o.cfg(2);
            cfg.maxmemory_policy = MaxmemoryPolicy::AllkeysLru;
            Spec {
                cfg,
                setup: vec![cmd(&[b"SET", b"k", &big(b'a')])],
                clients: vec![
                    client(1, vec![cmd(&[b"GET", b"k"])]),
                    client(
                        2,
                        vec![
                            cmd(&[b"CONFIG", b"SET", b"maxmemory", b"1"]),
                            cmd(&[b"SET", b"k2", b"v"]),
                        ],
                    ),
                ],
                bio_thread: false,
                needs_reply_refs: false,
            }
        },
        fixed: Expect::Clean,
        catches: &[Catch {
            faults: &[Fault::EvictFreesReferenced],
            invariants: &[
                Invariant::UseAfterFree,
                Invariant::DoubleFree,
                Invariant::DataRace,
                Invariant::ReplyPayload,
                Invariant::CountConservation,
            ],
            timing: Timing::Rare,
        }],
        overrides: &[Override {
            strategy: Strategy::Epoch,
            faults: &[Fault::EvictFreesReferenced],
            want: Want::Clean,
            why: "epoch: a reply's reference is an uncounted borrow, so the evicted value's count is 1 and it is retired, freed only after the reply's pin ends",
        }],
    };

    /// Lazy eviction with BIO: `lazyfree-lazy-eviction yes`, a list of 65 nodes (free effort
    /// above 64: `freeObjAsync` hands it to BIO) and a 64 KiB string a pending reply references
    /// are evicted together; BIO frees the list while A's reply is written from the string.
    /// INVARIANT: USE_AFTER_FREE / LEAK / REPLY_BYTES: lazily evicted values are released
    /// exactly once, the reply stays intact. (No fault listed: on one IO thread the sent
    /// reference is released before the next command, so the fault has nothing to free.)
    pub const EVICT_LAZY_WITH_BIO: Scenario = Scenario {
        name: "evict_lazy_with_bio",
        about: "lazyfree-lazy-eviction: a big list to BIO and a referenced string evicted together",
        spec: |o| {
            let mut cfg = o.cfg(1);
            cfg.maxmemory_policy = MaxmemoryPolicy::AllkeysRandom;
            cfg.lazyfree_lazy_eviction = true;
            let mut push: Vec<Vec<u8>> = vec![b"RPUSH".to_vec(), b"L".to_vec()];
            push.extend((0..65).map(|_| big_element()));
            Spec {
                cfg,
                setup: vec![push, cmd(&[b"SET", b"k", &big(b'a')])],
                clients: vec![ClientSpec {
                    io: 1,
                    script: vec![
                        cmd(&[b"GET", b"k"]),
                        cmd(&[b"CONFIG", b"SET", b"maxmemory", b"1"]),
                        cmd(&[b"SET", b"k2", b"v"]),
                    ],
                    // A slow reader: GET's reply is still being written when the next
                    // commands run, so its reference is pending at the eviction.
                    sndbuf: Some(16 * 1024),
                    ..ClientSpec::default()
                }],
                bio_thread: true,
                needs_reply_refs: false,
            }
        },
        fixed: Expect::Clean,
        catches: &[],
        overrides: &[],
    };

    /// A `volatile-*` policy evicts only keys with an expire. Setup: `a` and `b` without an
    /// expire; A (IO-1) sets `maxmemory-policy volatile-random` and `maxmemory 1`, then `SET c
    /// z`: nothing may be evicted, so SET gets the OOM error (the sequential reference agrees).
    /// INVARIANT: EVICTION: every eviction is one the reference accepts (a key of the policy's
    /// kind, in its database, with maxmemory set).
    /// Breaks if eviction samples every key under a volatile policy (`evict-samples-all-keys`:
    /// `a` or `b` is evicted).
    pub const VOLATILE_POLICY_SPARES_PERSISTENT_KEYS: Scenario = Scenario {
        name: "volatile_policy_spares_persistent_keys",
        about: "volatile-random under memory pressure evicts no key without an expire",
        spec: |o| Spec {
            cfg: o.cfg(1),
            setup: vec![cmd(&[b"SET", b"a", b"x"]), cmd(&[b"SET", b"b", b"y"])],
            clients: vec![client(
                1,
                vec![
                    cmd(&[b"CONFIG", b"SET", b"maxmemory-policy", b"volatile-random"]),
                    cmd(&[b"CONFIG", b"SET", b"maxmemory", b"1"]),
                    cmd(&[b"SET", b"c", b"z"]),
                    cmd(&[b"GET", b"a"]),
                ],
            )],
            bio_thread: false,
            needs_reply_refs: false,
        },
        fixed: Expect::Clean,
        catches: &[Catch {
            faults: &[Fault::EvictSamplesAllKeys],
            invariants: &[Invariant::Eviction],
            timing: Timing::Deterministic,
        }],
        overrides: &[],
    };

    /// zmalloc's accounting: a 3-byte value is stored in a 25-byte kvobj that jemalloc serves
    /// from its 32-byte class; `used_memory` must grow by 32, not 25.
    /// INVARIANT: USED_MEMORY: used_memory equals the sum of the live allocations' usable
    /// sizes after every command and at quiescence.
    /// Breaks if zmalloc counts the requested size (`forget-usable-rounding`).
    pub const USED_MEMORY_IS_USABLE_SIZES: Scenario = Scenario {
        name: "used_memory_is_usable_sizes",
        about: "used_memory counts jemalloc's usable sizes (size-class rounding)",
        spec: |o| Spec {
            cfg: o.cfg(1),
            setup: vec![],
            clients: vec![client(
                1,
                vec![cmd(&[b"SET", b"k", b"abc"]), cmd(&[b"GET", b"k"])],
            )],
            bio_thread: false,
            needs_reply_refs: false,
        },
        fixed: Expect::Clean,
        catches: &[Catch {
            faults: &[Fault::ForgetUsableRounding],
            invariants: &[Invariant::UsedMemory],
            timing: Timing::Deterministic,
        }],
        overrides: &[],
    };
}
