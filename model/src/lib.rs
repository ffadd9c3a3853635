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
//! | 0 | leaves | [`sync`], [`invariant`], [`util`], [`config`], [`ledger`], [`coverage`], [`resp`], [`reference`](mod@reference) | the sync shim, the invariants, C-like helpers, configuration and faults, the allocator model (oracle), the event counters, RESP, the sequential reference model | std and external crates; other leaves |
//! | 1 | objects | [`robj`], [`env`](mod@env), [`object`], [`reclaim`] | the object types; what every thread reads ([`env::Env`], [`env::Cx`]); object.c (create, incr/decr, free); the pure reclamation rules of each strategy | layers 0–1 |
//! | 2 | server data | [`server`], [`client`], [`holders`], [`handoff`], [`bio`], [`epoch`] | what server.h declares: [`Server`], [`server::Db`], [`client::Client`]; the registry of every place a client holds a reference; the hand-off queues to IO threads and the BIO queue; main's epoch state | layers 0–2 |
//! | 3 | acting | [`db`], [`lazyfree`], [`networking`], [`strategy`], [`commands`] | the code that acts on the server: keyspace, lazy free, replies and writes, the strategies' actions, the commands | layers 0–3 |
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
//! | module | mirrors (Redis source, commit) |
//! |---|---|
//! | [`robj`], [`object`] | src/server.h and src/object.h (types), src/object.c (f36ee257, 0815ff29) |
//! | [`env`](mod@env) | the `server` globals every thread reads (`shared`, startup config), zmalloc via [`ledger`] |
//! | [`coverage`] | not Redis: counters of the interesting events (which paths a run reached) |
//! | [`server`], [`client`] | src/server.h (f36ee257) |
//! | [`holders`] | not Redis: the oracle's registry of the places a client holds references (client in server.h) |
//! | [`db`] | src/db.c (5a273e36) |
//! | [`lazyfree`], [`bio`], [`bio_thread`] | src/lazyfree.c (f36ee257), src/bio.c |
//! | [`networking`] | src/networking.c (f36ee257; copy avoidance 219a6bb5) |
//! | [`handoff`], [`iothread`] | src/iothread.c (051a9359) |
//! | [`resp`] | processInlineBuffer / processMultibulkBuffer (f36ee257), sdssplitargs |
//! | [`util`] | src/util.c (`string2ll`, `stringmatchlen`) |
//! | [`commands`] | src/server.c (dispatch), t_string.c, t_list.c, db.c, expire.c, object.c, config.c, debug.c, cluster.c — one room each |
//! | [`strategy`], [`reclaim`], [`epoch`] | not Redis: the atomic and epoch reclamation strategies |
//! | [`reference`](mod@reference) | not the model: a sequential oracle of the replies, per Redis file like [`commands`] |
//!
//! The Redis facts the model relies on, the commits they were read at and where the model
//! departs from the C code are written up in the repository's `docs/`: `docs/redis-facts.md`,
//! `docs/redis-pinned.md` and `docs/model-vs-c.md`.
#![deny(missing_docs)]

pub mod bio;
pub mod bio_thread;
pub mod client;
pub mod commands;
pub mod config;
pub mod coverage;
pub mod db;
pub mod env;
pub mod epoch;
pub mod handoff;
pub mod holders;
pub mod invariant;
pub mod iothread;
pub mod lazyfree;
pub mod ledger;
pub mod networking;
pub mod object;
pub mod reclaim;
pub mod reference;
pub mod resp;
pub mod robj;
pub mod server;
pub mod strategy;
pub mod sync;
pub mod util;

pub use config::{Config, ConfigError, Fault, FaultSet};
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
        modules: &["db", "lazyfree", "networking", "strategy", "commands"],
    },
    Layer {
        name: "threads",
        modules: &["iothread", "bio_thread"],
    },
];
