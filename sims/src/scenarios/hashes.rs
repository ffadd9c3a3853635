//! Hashes: a value whose free effort is a dict's size (`lazyfreeGetFreeEffort`, lazyfree.c @
//! 059f40da), handed to BIO with Redis's own sizes: a hash becomes a dict when a value is longer
//! than `hash-max-listpack-value` (64), and a dict of more than `LAZYFREE_THRESHOLD` (64) fields
//! is freed by BIO when it is owned outright.

use super::{client, Catch, Expect, Override, Scenario, Timing, Want};
use crate::world::{cmd, Spec};
use refrace_model::config::{Fault, Strategy};
use refrace_model::Invariant;

/// `HSET h` with 65 fields, the first value 65 bytes long: a dict of 65 fields (effort 65).
fn big_hash() -> Vec<Vec<u8>> {
    let mut c = vec![b"HSET".to_vec(), b"h".to_vec()];
    for i in 0..65 {
        c.push(format!("f{i}").into_bytes());
        c.push(if i == 0 {
            vec![b'x'; 65]
        } else {
            b"v".to_vec()
        });
    }
    c
}

scenarios! {
    /// #4601 across databases: MOVE retains the hash (count 2) while deleting it from database
    /// 0 with `lazyfree-lazy-server-del`, so `freeObjAsync` sees a 65-field dict (effort 65)
    /// with count 2 and only decrements; `kvobjSet` then moves it into database 1 (payload
    /// stolen at count 1), and A's DEL there (`lazyfree-lazy-user-del`) sends it, owned
    /// outright, to BIO.
    /// INVARIANT: DATA_RACE / COUNT_CONSERVATION / LEAK: BIO only frees what it owns.
    /// Breaks if `freeObjAsync` drops its `refcount == 1` clause (`bio-free-shared`): BIO's
    /// decrement races main's `kvobjSet` (or `kvobjSet` finds the hash still shared: Redis's
    /// "Not implemented" panic, `MODEL_PANIC`).
    pub const MOVE_BIG_HASH_LAZY_SERVER_DEL: Scenario = Scenario {
        name: "move_big_hash_lazy_server_del",
        about: "#4601 with MOVE: lazy free of a 65-field dict hash MOVE still retains",
        spec: |o| {
            let mut cfg = o.cfg(1);
            cfg.lazyfree_lazy_server_del = true;
            cfg.lazyfree_lazy_user_del = true;
            Spec {
                cfg,
                setup: vec![big_hash()],
                clients: vec![client(
                    1,
                    vec![
                        cmd(&[b"MOVE", b"h", b"1"]),
                        cmd(&[b"SELECT", b"1"]),
                        cmd(&[b"DEL", b"h"]),
                    ],
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
        }],
        overrides: &[Override {
            strategy: Strategy::Atomic,
            faults: &[Fault::BioFreeShared],
            want: Want::Caught(&[Invariant::ModelPanic]),
            why: "atomic decrements lose no update, but kvobjSet can still find the hash shared before BIO's decrement: Redis's \"Not implemented\" panic",
        }],
    };

    /// A big hash overwritten while BIO runs: `SET h x` replaces the 65-field dict, and
    /// `dbSetValue` disposes of it with `lazyfree-lazy-server-del` (effort 65, count 1: to BIO),
    /// while B keeps writing other hashes and reading `h`.
    /// INVARIANT: USE_AFTER_FREE / DATA_RACE: BIO frees the dict's table and its 65 entries
    /// while main never touches them again; LEAK: every entry is freed.
    pub const OVERWRITE_BIG_HASH_LAZY_SERVER_DEL: Scenario = Scenario {
        name: "overwrite_big_hash_lazy_server_del",
        about: "SET over a 65-field dict hash with lazyfree-lazy-server-del: BIO frees it",
        spec: |o| {
            let mut cfg = o.cfg(2);
            cfg.lazyfree_lazy_server_del = true;
            Spec {
                cfg,
                setup: vec![big_hash()],
                clients: vec![
                    client(1, vec![cmd(&[b"SET", b"h", b"x"]), cmd(&[b"GET", b"h"])]),
                    client(
                        2,
                        vec![
                            cmd(&[b"HSET", b"g", b"f", b"v"]),
                            cmd(&[b"HGETALL", b"h"]),
                            cmd(&[b"HDEL", b"g", b"f"]),
                        ],
                    ),
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
