//! Replies, writes and the release of references. Mirrors src/networking.c (not stored at the
//! pin 059f40da; read at f36ee257, the #14934 branch: its #14934 parts run only under the 14934
//! variant, the rest is the pin's #14608/#14440 code; copy avoidance's rules as merged, checked
//! against #14608 @ 219a6bb5), in three rooms and this file:
//!
//! | room | mirrors |
//! |---|---|
//! | `reply` | the `addReply*` family: plain bytes into reply blocks, and `addReplyBulk`'s bulk-string references (copy avoidance) |
//! | `write` | `writeToClient` and what it releases: `ioDeferFreeRobj`, `releaseAllBufReferences`, `tryUnlinkClientFromPendingRefReply` |
//! | `deferred` | the deferred-free arrays: `freeClientIODeferredObjects`, `freeClientDeferredObjects`, `tryDeferFreeClientObject`, `reclaimPendingCommand` |
//! | `limits` | `freeClientAsync` and `closeClientOnOutputBufferLimitReached` (the normal class's hard limit) |
//! | `client_cmd` | `clientCommand`'s KILL and ID |
//! | this file | `createClient` (linked into `server.clients`), `freeClient`, the argv accessor |
//!
//! Who decrements what, and where (the rule #14738 restored):
//! - the main thread increments when a reply takes a reference (`add_reply_bulk`);
//! - a fully written reference is released on **main** directly (untrack + `decrRefCount`), or
//!   on an **IO thread** by moving it to `io_deferred_objects` (no count change) for main to drop
//!   at the next hand-back (`free_client_io_deferred_objects`);
//! - an IO thread decrements only objects main handed it in `deferred_objects`, which must be
//!   exclusively owned (count 1).
//!
//! Invariants protected: `COUNT_CONSERVATION` (each path moves a holder exactly once),
//! `REPLY_REFS_ACCOUNTED`, `PENDING_REF_REGISTRY` (a client holding a reference is linked in
//! `clients_with_pending_ref_reply`, so FLUSH ASYNC can protect it), `CLIENT_OWNERSHIP`.
//!
//! Under the atomic and epoch strategies (not Redis, see [`crate::strategy`]) an IO thread
//! releases a sent reference itself and lists it in `io_released` for main to untrack; under
//! epoch a reply reference is an uncounted borrow.
//!
//! Simplified: a write moves whole chunks until the socket budget (`sndbuf`) is used; the
//! length prefix is formatted when the reference is taken (#14844 formats it lazily: same bytes).

mod client_cmd;
mod deferred;
mod limits;
mod reply;
mod write;

pub use client_cmd::{client_id, client_kill};

pub use deferred::{
    free_client_deferred_objects, free_client_io_deferred_objects, free_client_multi_state,
    free_pending_commands, reclaim_pending_command, try_defer_free_client_object,
};
pub use limits::{close_client_on_output_buffer_limit_reached, free_client_async};
pub use reply::*;
pub use write::{
    io_defer_free_robj, release_all_buf_references, try_unlink_client_from_pending_ref_reply,
    write_to_client,
};

use crate::client::{Client, Script};
use crate::ledger::{AllocKind, ClientPart, Label, Tid};
use crate::object::Cx;
use crate::server::Server;

/// `COPY_AVOID_MIN_IO_THREADS`.
pub const COPY_AVOID_MIN_IO_THREADS: usize = 7;

/// `COPY_AVOID_MIN_STRING_SIZE` (no IO threads).
pub const COPY_AVOID_MIN_STRING_SIZE: usize = 16 * 1024;

/// `COPY_AVOID_MIN_STRING_SIZE_THREADED` (2..6 IO threads).
pub const COPY_AVOID_MIN_STRING_SIZE_THREADED: usize = 64 * 1024;

/// The bytes of argv slot `i` (a checked read of the argv object).
pub fn arg(s: &Server, c: &Client, i: usize) -> crate::robj::Bytes {
    let o = c.argv[i]
        .as_ref()
        .expect("argv slot released during the command");
    o.string_bytes(Cx::main(&s.env), "argv")
}

/// `createClient` (networking.c) of a connection: accepted by main, assigned to thread `tid`,
/// with the request bytes it will send (one element per socket read), and linked into
/// `server.clients` ([`Server::clients`]). The client struct is one ledger allocation (1 KiB;
/// the real size is irrelevant to the invariants).
pub fn create_client(s: &mut Server, tid: Tid, script: Vec<Vec<u8>>) -> Client {
    create_client_with(s, tid, script.into())
}

/// [`create_client`] with a [`Script`] (shared read buffers).
pub fn create_client_with(s: &mut Server, tid: Tid, script: Script) -> Client {
    let c = new_client(s, tid, script);
    s.clients.push(crate::server::ClientEntry {
        id: c.id,
        ptr: c.ptr,
        tid,
        ctime_ms: s.now_ms,
    });
    c
}

/// `createClient(NULL)`: a client without a connection (setup, AOF-like), living on main; it
/// never gets reference replies, may not block, and is not in `server.clients`.
pub fn create_fake_client(s: &mut Server, script: Vec<Vec<u8>>) -> Client {
    create_fake_client_with(s, script.into())
}

/// [`create_fake_client`] with a [`Script`] (shared read buffers).
pub fn create_fake_client_with(s: &mut Server, script: Script) -> Client {
    let mut c = new_client(s, Tid::Main, script);
    c.fake = true;
    c
}

fn new_client(s: &mut Server, tid: Tid, script: Script) -> Client {
    let id = s.next_client_id();
    let ptr = s.env.ledger.alloc(
        Tid::Main,
        AllocKind::Client,
        1024,
        Label::Client(ClientPart::Struct, id),
        None,
    );
    let mut c = Client::new(id, ptr, tid, script);
    c.lastinteraction_ms = s.now_ms;
    c
}

/// `freeClient` (networking.c @ f36ee257, off=80000; its order is not #14934's) on main, for a
/// client already handed to main: first `keepClientInMainThread` (`tid = main`; the objects main
/// deferred to the IO thread freed on main, then the io-deferred references, then the
/// pending-ref unlink), then `releaseAllBufReferences`, `freeClientMultiState` (queued MULTI
/// commands), then `unlinkClient`'s reclaim of every pending command (with `tid` main: freed
/// on main), then the struct.
pub fn free_client(s: &mut Server, mut c: Client) {
    let env = s.env();
    c.running_tid = Tid::Main;
    if !c.io_deferred_objects.is_empty() || !c.deferred_objects.is_empty() {
        env.coverage
            .hit(crate::coverage::Event::DeferredDrainedAtFreeClient);
    }
    if c.has_pending_replies() {
        env.coverage.hit(crate::coverage::Event::ClientClosedEarly);
    }
    if c.has_refs() {
        env.coverage
            .hit(crate::coverage::Event::ClientFreedWithRefsPending);
    }
    let counted = crate::reclaim::reply_ref_counts(env.cfg.strategy);
    crate::holders::assert_agrees_with_ledger(&env, &c, counted);
    c.tid = Tid::Main;
    // Objects handed to the IO thread that it never freed: main frees them (the client is
    // main's now).
    if !env.cfg.fault(crate::config::Fault::FreeClientSkipsDeferred) {
        free_client_deferred_objects(Cx::main(&env), &mut c);
    }
    if env
        .cfg
        .fault(crate::config::Fault::FreeClientKeepsIoDeferred)
    {
        // The fault: the io-deferred references are dropped on the floor (never released).
        c.io_deferred_objects.clear();
    }
    free_client_io_deferred_objects(s, &mut c);
    try_unlink_client_from_pending_ref_reply(s, &c, false);
    release_all_buf_references(s, &mut c);
    free_client_multi_state(s, &mut c);
    reclaim_pending_command(s, &mut c);
    free_pending_commands(s, &mut c);
    if env.cfg.reply_refs_tracking() && c.reply_bytes_shared != 0 {
        env.ledger.violation(
            Tid::Main,
            crate::invariant::Invariant::ReplyRefsAccounted,
            &format!(
                "client {} freed with reply_bytes_shared = {}",
                c.id, c.reply_bytes_shared
            ),
            None,
        );
    }
    try_unlink_client_from_pending_ref_reply(s, &c, true);
    if let Some(a) = c.deferred_array.take() {
        env.ledger.free(Tid::Main, a);
    }
    env.ledger.free(Tid::Main, c.ptr);
    crate::holders::assert_released(&env, c.id);
    s.clients.retain(|e| e.id != c.id);
    if env.cfg.fault(crate::config::Fault::FlushDoneStaleClient) {
        s.freed_ptrs.push((c.id, c.ptr));
    }
    s.closed.push((c.id, std::mem::take(&mut c.sent)));
}
