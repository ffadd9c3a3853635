//! refrace-model: an executable model of how Redis 8.6 keeps values alive across the main
//! thread, IO threads and the BIO lazy-free thread, with an allocator model ([`ledger`]) that
//! checks every allocation for leaks, double frees and uses after free.
//!
//! The model names no explorer except in [`sync`], the one shim through which every thread,
//! lock and racy memory word is created. Faults ([`config::Fault`]) put historical bugs back.
//!
//! | module | mirrors (Redis source, commit) |
//! |---|---|
//! | [`object`] | src/object.c, src/object.h (f36ee257, 0815ff29) |
//! | [`db`] | src/db.c (5a273e36) |
//! | [`lazyfree`] | src/lazyfree.c (f36ee257), src/bio.c |
//! | [`networking`], [`client`] | src/networking.c, src/server.h (f36ee257, 219a6bb5) |
//! | [`iothread`] | src/iothread.c (051a9359) |
//! | [`resp`] | processInlineBuffer / processMultibulkBuffer (f36ee257) |
//! | [`commands`] | src/server.c, t_string.c, t_list.c, expire.c |
//! | [`strategy`] | not Redis: the atomic and epoch reclamation strategies |
//!
//! Facts and their sources: `shared/research/redis-lifecycle.md`.
#![deny(missing_docs)]

pub mod client;
pub mod commands;
pub mod config;
pub mod db;
pub mod invariant;
pub mod iothread;
pub mod lazyfree;
pub mod ledger;
pub mod networking;
pub mod object;
pub mod reference;
pub mod resp;
pub mod server;
pub mod strategy;
pub mod sync;
pub mod util;

pub use config::{Config, ConfigError, Fault, FaultSet};
pub use invariant::Invariant;

pub use ledger::{Ledger, Tid};
pub use server::{Env, Server};
pub use util::DetMap;
