//! refrace-model: an executable model of how Redis 8.6 keeps values alive across the main
//! thread, IO threads and the BIO lazy-free thread, with an allocator model ([`ledger`]) that
//! checks every allocation for leaks, double frees and uses after free.
//!
//! The model names no explorer except in [`sync`], the one shim through which every thread,
//! lock and racy memory word is created. Faults ([`config::Fault`]) put historical bugs back.
//!
//! # Layers
//!
//! The modules form layers. A module may use modules of its own layer and of the layers above
//! it in this table, never of a later one, and the modules import each other without a cycle.
//! [`LAYERS`] is this table in code; `model/tests/layers/` reads every source file and fails,
//! naming file, line and path, when an import goes to a later layer, when a cycle appears, or
//! when this table and [`LAYERS`] disagree. (Unit tests, `#[cfg(test)]`, may use any layer:
//! they drive the server through its entry points.)
//!
//! | # | layer | modules | what lives there | may use |
//! |---|---|---|---|---|
//! | 0 | leaves | [`sync`], [`invariant`], [`util`], [`config`], [`ledger`], [`jemalloc`], [`zmalloc`], [`coverage`], [`resp`], [`reference`](mod@reference) | the sync shim, the invariants, C-like helpers, configuration and faults, the oracle and the allocator it uses (jemalloc's classes, slabs, thread caches and pages; zmalloc's counters), the event counters, RESP, the sequential reference model | std and external crates; other leaves |
//! | 1 | objects | [`robj`], [`env`](mod@env), [`object`], [`reclaim`] | the object types; what every thread reads ([`env::Env`], [`env::Cx`]); object.c (create, incr/decr, free); the pure reclamation rules of each strategy | layers 0–1 |
//! | 2 | server data | [`server`], [`client`], [`holders`], [`handoff`], [`bio`], [`epoch`] | what server.h declares: [`Server`], [`server::Db`], [`client::Client`]; the registry of every place a client holds a reference; the hand-off queues to IO threads and the BIO queue; main's epoch state | layers 0–2 |
//! | 3 | acting | [`lru`], [`db`], [`lazyfree`], [`evict`], [`networking`], [`strategy`], [`cluster_asm`], [`timeout`], [`commands`] | the code that acts on the server: keyspace, lazy free, maxmemory and eviction, replies and writes, the strategies' actions, slot trims, idle clients, the commands | layers 0–3 |
//! | 4 | threads | [`iothread`], [`bio_thread`] | thread bodies: the IO threads' and main's loops, the BIO thread's loop | every layer |
//!
//! Why these cuts: [`env::Env`] holds objects (the shared integers, the epoch limbo) and every
//! object operation takes it, so the object *types* ([`robj`]) sit below it and object.c's
//! code ([`object`]) above; the queue *types* ([`handoff`], [`bio`]) belong to the server's
//! data while the loops that drain them are thread bodies; the strategy *predicates* are pure
//! ([`reclaim`]) while its *actions* need `&mut Server` ([`strategy`]).
//!
//! # What each module mirrors
//!
//! **Pin: redis/redis `059f40da979bbf178c9d9eeee0cb098a4b158a7d`** ([`config::PIN`]), the
//! Redis 8.6.0 content: #14608 (Reply Copy Avoidance), #14738 (the `refcount == 1` guard) and
//! #14739 (embedded pending-ref node) in, #14934 (reply-reference accounting) out. The model
//! follows the pin by default ([`config::Variant::Pin`]); the #14934 branch is the named
//! variant [`config::Variant::ReplyRefs14934`] (read at f36ee257). The stored-source index
//! keeps a file only at the commits that changed it, so only db.c, lazyfree.c and server.h
//! are readable at the pin itself; every other file was read at the nearest stored commit,
//! and the table says why that commit stands in for the pin (`docs/redis-pinned.md` §1.3 has
//! the list; `docs/model-vs-c.md` has the function-by-function table).
//!
//! | module | mirrors | read at | why that commit stands in for the pin |
//! |---|---|---|---|
//! | [`db`] | src/db.c | **059f40da** (pin) | — |
//! | [`lazyfree`], [`bio`], [`bio_thread`] | src/lazyfree.c; the BIO queue of src/bio.c | **059f40da** (pin); bio.c not stored for 2025–26 | bio.c: only the job queue's happens-before edge (mutex + condition variable) and FIFO order are used, unchanged since 6.x |
//! | [`cluster_asm`] | src/cluster_asm.c (`asmTrimSlots`, the background and active trims) | **059f40da** (pin) | — |
//! | [`timeout`] | src/timeout.c (`clientsCronHandleTimeout`) | 7fc9b94b (older, 7.x) | the idle rule (`timeout` seconds since the last interaction, blocked clients exempt) is the one the 8.x client cron applies; not verified at the pin |
//! | [`server`], [`client`] | src/server.h | **059f40da** (pin) | — (the #14934 fields, f36ee257, exist only under the variant) |
//! | [`robj`], [`object`] | src/object.h (layout), src/object.c | object.h 0815ff29 (later); object.c f36ee257 (later) | object.c: f36ee257 differs from the pin by #14934's notify call in `decrRefCount`, which the model makes only under the variant; the constructors, `incr/decrRefCount`, `tryObjectEncoding`, `kvobjSet` are not #14934 code. object.h: the header word (type:4, encoding:4, refcount:23, iskvobj:1) is the 8.0+ kvobj layout; 0815ff29 adds encodings that fit the same field |
//! | [`networking`] | src/networking.c | f36ee257 (the #14934 branch, later) | the #14934 parts (`clients_reply_refs`, `reply_bytes_shared`, `replyRefs*`) are modelled only under the variant; the rest is #14608/#14440 code. Changes between the pin and f36ee257 outside #14934, if any, are not known; the 8.6.1–8.6.3 notes list only #14824 there (module strings: no modules in the model) |
//! | [`handoff`], [`iothread`] | src/iothread.c | 051a9359 (later) | 051a9359 adds per-IO-thread allocator slots (`zmalloc_register_reserved_slot`): no hand-off edge, order or release changes |
//! | [`resp`] | `processInlineBuffer` / `processMultibulkBuffer` (networking.c), `sdssplitargs` (sds.c) | f36ee257; sds.c 034241812f30 | request parsing is not #14934 code; the differential lane compares every reply byte with a real server |
//! | [`util`] | src/util.c (`string2ll`, `stringmatchlen`) | 01f36192 (older) | unchanged helpers (the differential lane checks their effects) |
//! | [`commands`] | src/server.c (dispatch), t_string.c, t_list.c, db.c, expire.c, object.c, config.c, debug.c, cluster.c — one room each | db.c at the pin; t_string.c, t_list.c, expire.c not stored for 2025–26 | reply paths from 7.2/7.4 trees that 8.x keeps, checked byte for byte by the differential lane; SET EX's order from three secondary sources quoting 8.x `setGenericCommand`; list node rules from 8.0-era quicklist.c quoted by secondary sources (each room's doc says which) |
//! | [`coverage`] | not Redis: counters of the interesting events (which paths a run reached) | — | — |
//! | [`holders`] | not Redis: the oracle's registry of the places a client holds references (the client struct of server.h) | — | — |
//! | [`env`](mod@env) | the `server` globals every thread reads (`shared`, startup config; `clients_reply_refs` under the variant), zmalloc via [`ledger`] | as the owning files | — |
//! | [`strategy`], [`reclaim`], [`epoch`] | not Redis: the atomic and epoch reclamation strategies | — | — |
//! | [`reference`](mod@reference) | not the model: a sequential oracle of the replies, per Redis file like [`commands`] | — | — |
//!
//! The Redis facts the model relies on, the commits they were read at and where the model
//! departs from the C code are written up in the repository's `docs/`: `docs/redis-facts.md`,
//! `docs/redis-pinned.md` and `docs/model-vs-c.md`.
#![deny(missing_docs)]

pub mod bio;
pub mod bio_thread;
pub mod client;
pub mod cluster_asm;
pub mod commands;
pub mod config;
pub mod coverage;
pub mod db;
pub mod env;
pub mod epoch;
pub mod evict;
pub mod handoff;
pub mod holders;
pub mod invariant;
pub mod iothread;
pub mod jemalloc;
pub mod lazyfree;
pub mod ledger;
pub mod lru;
pub mod networking;
pub mod object;
pub mod reclaim;
pub mod reference;
pub mod resp;
pub mod robj;
pub mod server;
pub mod strategy;
pub mod sync;
pub mod timeout;
pub mod util;
pub mod zmalloc;

pub use config::{Config, ConfigError, Fault, FaultSet, Fix, FixSet};
pub use env::Env;
pub use invariant::Invariant;
pub use ledger::{Ledger, Tid};
pub use server::Server;
pub use util::DetMap;

/// One layer of the model (a row of the table in the crate doc).
#[derive(Debug)]
pub struct Layer {
    /// Its name in the table.
    pub name: &'static str,
    /// Its top-level modules.
    pub modules: &'static [&'static str],
}

/// The layers, lowest first. A module may use modules of its own layer and of earlier ones
/// only; `model/tests/layers/` enforces it (and that the crate doc's table says the same).
pub const LAYERS: &[Layer] = &[
    Layer {
        name: "leaves",
        modules: &[
            "sync",
            "invariant",
            "util",
            "config",
            "ledger",
            "jemalloc",
            "zmalloc",
            "coverage",
            "resp",
            "reference",
        ],
    },
    Layer {
        name: "objects",
        modules: &["robj", "env", "object", "reclaim"],
    },
    Layer {
        name: "server data",
        modules: &["server", "client", "holders", "handoff", "bio", "epoch"],
    },
    Layer {
        name: "acting",
        modules: &[
            "lru",
            "db",
            "lazyfree",
            "evict",
            "networking",
            "strategy",
            "cluster_asm",
            "timeout",
            "commands",
        ],
    },
    Layer {
        name: "threads",
        modules: &["iothread", "bio_thread"],
    },
];
