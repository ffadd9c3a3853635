//! refrace-client: the other end of the socket. An executable model of an async Redis client
//! (redis-plus-plus's event loop over hiredis's async context) on refrace's sync shim and
//! ledger, so the same explorers that check the server's value lifetime check the client's
//! buffers and context: application threads submit commands through a queue to an event-loop
//! thread, which owns the hiredis context (output buffer, callback list, reply reader,
//! connect / disconnect / reconnect, `redisAsyncFree`, the disconnect callback after which
//! hiredis frees the context itself), and the client can be destroyed while commands are in
//! flight.
//!
//! | module | twin (version read) | simplifies |
//! |---|---|---|
//! | [`hiredis`] | hiredis `async.c` 005d7ede, `hiredis.c` 00bbedf9; checked on Debian 0.14.1 | no pub/sub, timeouts, push, TLS |
//! | [`event_loop`] | redis-plus-plus `event_loop.cpp` 03ff64d3, `async_connection.{h,cpp}` 03ff64d3 / 0679105c | one connection, no AUTH/SELECT |
//! | [`client`] | redis-plus-plus `AsyncRedis`, `AsyncConnection::send`, `CommandEvent` | no pool, no result parsing |
//! | [`socket`], [`peer`] | a socket and `epoll`/`uv_async_send` wake-ups; the server end | two byte queues under one lock |
//! | [`server_peer`] | refrace's server model as the peer (`sims/src/world.rs::serve_stream`) | main-thread client only |
//! | [`tcp_peer`] | a real redis-server over loopback | real threads only |
//! | [`heap`] | every malloc, through the ledger | sizes of hiredis 0.14.1 x86-64 |
//! | [`retention`] | the retention bound (`RETENTION_BOUND`) | — |
//! | [`fault`] | the client's faults (off by default) | — |
//! | [`scenarios`] | scenarios written once, run by every explorer | — |
//! | [`allocator`] | glibc-like and jemalloc-like resident-size models (burst retention) | see the module |
//!
//! Facts and sources: `docs/async-client.md`. Results: `reports/*-async-client.md`.
#![deny(missing_docs)]

pub mod allocator;
pub mod client;
pub mod event_loop;
pub mod fault;
pub mod heap;
pub mod hiredis;
pub mod peer;
pub mod retention;
pub mod scenarios;
pub mod server_peer;
pub mod socket;
pub mod tcp_peer;

pub use client::{Client, Config, Future, Handle};
pub use event_loop::LoopStats;
pub use fault::{Fault, Faults};
pub use heap::Heap;
