//! Replies, writes and the release of references. Mirrors src/networking.c (@ f36ee257, the
//! #14934 branch; copy avoidance from #14608 @ 219a6bb5).
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

use crate::client::{Client, Deferred, ReplyChunk, CLIENT_MAX_DEFERRED_OBJECTS};
use crate::config::Fault;
use crate::ledger::{AllocKind, Holder, Tid};
use crate::object::{Cx, Encoding, RObj};
use crate::resp;
use crate::server::Server;
use crate::strategy;

/// `COPY_AVOID_MIN_IO_THREADS`.
pub const COPY_AVOID_MIN_IO_THREADS: usize = 7;
/// `COPY_AVOID_MIN_STRING_SIZE` (no IO threads).
pub const COPY_AVOID_MIN_STRING_SIZE: usize = 16 * 1024;
/// `COPY_AVOID_MIN_STRING_SIZE_THREADED` (2..6 IO threads).
pub const COPY_AVOID_MIN_STRING_SIZE_THREADED: usize = 64 * 1024;

/// Append plain bytes to the reply (`_addReplyToBufferOrList`).
pub fn add_reply_bytes(s: &mut Server, c: &mut Client, bytes: Vec<u8>) {
    if c.close_after_reply || bytes.is_empty() {
        return;
    }
    let env = s.env();
    let block = env.ledger.alloc(
        Tid::Main,
        AllocKind::ReplyBlock,
        bytes.len(),
        format!("reply block of client {}", c.id),
        None,
    );
    c.reply.push_back(ReplyChunk::Plain { block, bytes });
}

/// `addReplyError` with a full error line (`msg` starts with its code, e.g. `ERR …`).
pub fn add_reply_error(s: &mut Server, c: &mut Client, msg: &str) {
    let mut out = Vec::with_capacity(msg.len() + 3);
    out.push(b'-');
    out.extend_from_slice(msg.as_bytes());
    out.extend_from_slice(b"\r\n");
    add_reply_bytes(s, c, out);
}

/// `isCopyAvoidPreferred` (networking.c @ f36ee257).
pub fn is_copy_avoid_preferred(s: &Server, c: &Client, obj: &RObj, len: usize) -> bool {
    if c.fake || !s.cfg.reply_copy_avoidance {
        return false;
    }
    let cx = Cx {
        env: &s.env,
        tid: Tid::Main,
    };
    if obj.encoding() != Encoding::Raw || obj.refcount(cx) >= s.env.cfg.static_refcount() {
        return false;
    }
    let n = s.cfg.io_threads_num;
    if n >= COPY_AVOID_MIN_IO_THREADS {
        true
    } else if n == 1 {
        len >= COPY_AVOID_MIN_STRING_SIZE
    } else {
        len >= COPY_AVOID_MIN_STRING_SIZE_THREADED
    }
}

/// `addReplyBulk`: a reference to `obj` when copy avoidance applies (`_addBulkStrRefToBufferOrList`),
/// else a copy of its bytes.
pub fn add_reply_bulk(s: &mut Server, c: &mut Client, obj: &RObj) {
    let env = s.env();
    let cx = Cx::main(&env);
    let len = obj.string_len(cx);
    if is_copy_avoid_preferred(s, c, obj, len) {
        if c.close_after_reply {
            return;
        }
        strategy::take_reply_ref(s, c.id, obj);
        c.reply.push_back(ReplyChunk::BulkRef {
            obj: obj.clone(),
            len,
            sent: false,
        });
        c.reply_bytes_shared += len;
        s.stat_reply_refs += 1;
        s.link_pending_ref(c.id);
        s.reply_refs_track_client(c.id, obj);
        return;
    }
    let bytes = obj.string_bytes(cx, "string for a copied bulk reply");
    let mut out = Vec::with_capacity(bytes.len() + 16);
    resp::add_reply_bulk(&mut out, &bytes);
    add_reply_bytes(s, c, out);
}

/// Release one sent (or discarded) reference: on main untrack + `decrRefCount`; on an IO thread
/// `ioDeferFreeRobj` (other strategies: the IO thread releases it and main untracks later).
fn release_ref(cx: Cx<'_>, main: Option<&mut Server>, c: &mut Client, obj: RObj, len: usize) {
    c.reply_bytes_shared -= len;
    match main {
        Some(s) => {
            s.reply_refs_untrack_client(c.id, &obj);
            strategy::release_reply_ref(cx, c.id, &obj, true);
        }
        None if strategy::io_may_release(cx.env.cfg.strategy) => {
            strategy::release_reply_ref(cx, c.id, &obj, false);
            c.io_released.push(obj);
        }
        None => io_defer_free_robj(cx, c, obj),
    }
}

/// `ioDeferFreeRobj`: keep a sent reference for main to release (no count change).
pub fn io_defer_free_robj(cx: Cx<'_>, c: &mut Client, obj: RObj) {
    cx.env.ledger.transfer(
        cx.tid,
        obj.ptr(),
        Holder::Reply(c.id),
        Holder::IoDeferred(c.id),
    );
    c.io_deferred_objects.push(obj);
}

/// `writeToClient` / `_writevToClient` + `processSentDataInEncodedBuffer`, run by the thread that
/// owns the client. `main` is the main thread's state when run there, `None` on an IO thread.
/// Returns whether the whole reply was written.
pub fn write_to_client(cx: Cx<'_>, mut main: Option<&mut Server>, c: &mut Client) -> bool {
    c.assert_owner(cx.tid);
    if c.close_asap {
        return true;
    }
    let mut budget = c.sndbuf.unwrap_or(usize::MAX);
    let mut i = 0;
    while budget > 0 && i < c.reply.len() {
        let (n, total) = match &c.reply[i] {
            ReplyChunk::BulkRef { sent: true, .. } => {
                i += 1;
                continue;
            }
            ReplyChunk::Plain { bytes, block } => {
                cx.env.ledger.read(cx.tid, *block, "reply block for writev");
                let n = write_window(&mut c.sent, [bytes, &[], &[]], c.sentlen, budget);
                (n, bytes.len())
            }
            ReplyChunk::BulkRef { obj, len, .. } => {
                // The IO thread reads an object it does not own: safe only while the reply's
                // reference keeps it alive (checked read).
                let data = obj.string_bytes(cx, "referenced string for writev");
                let header = resp::bulk_header(*len);
                let segments = [&header[..], &data[..], b"\r\n"];
                let n = write_window(&mut c.sent, segments, c.sentlen, budget);
                (n, header.len() + data.len() + 2)
            }
        };
        budget -= n;
        c.sentlen += n;
        if c.sentlen < total {
            break;
        }
        c.sentlen = 0;
        match &mut c.reply[i] {
            ReplyChunk::BulkRef { obj, len, sent } if cx.env.cfg.fault(Fault::KeepSentRef) => {
                // Released below, but `ref.obj` is not set to NULL.
                *sent = true;
                let (o, len) = (obj.clone(), *len);
                release_ref(cx, main.as_deref_mut(), c, o, len);
                i += 1;
            }
            _ => match c.reply.remove(i).expect("index in range") {
                ReplyChunk::Plain { block, .. } => cx.env.ledger.free(cx.tid, block),
                ReplyChunk::BulkRef { obj, len, .. } => {
                    release_ref(cx, main.as_deref_mut(), c, obj, len);
                }
            },
        }
    }
    let done = !c.has_pending_replies();
    check_reply_bytes(cx, c);
    if done {
        if let Some(s) = main {
            try_unlink_client_from_pending_ref_reply(s, c, false);
        }
    }
    done
}

/// `writev` of one chunk's iovec (`segments`, in order) from byte `from`, at most `max` bytes,
/// appended to the socket log `out`. Returns the bytes written.
fn write_window(out: &mut Vec<u8>, segments: [&[u8]; 3], from: usize, max: usize) -> usize {
    let (mut skip, mut left) = (from, max);
    for seg in segments {
        if skip >= seg.len() {
            skip -= seg.len();
            continue;
        }
        let take = (seg.len() - skip).min(left);
        out.extend_from_slice(&seg[skip..skip + take]);
        left -= take;
        skip = 0;
        if left == 0 {
            break;
        }
    }
    max - left
}

fn check_reply_bytes(cx: Cx<'_>, c: &Client) {
    let expect: usize = c
        .reply
        .iter()
        .map(|ch| match ch {
            ReplyChunk::BulkRef {
                len, sent: false, ..
            } => *len,
            _ => 0,
        })
        .sum();
    if c.reply_bytes_shared != expect {
        cx.env.ledger.violation(
            cx.tid,
            crate::invariant::Invariant::ReplyRefsAccounted,
            &format!(
                "client {}: reply_bytes_shared is {} but its unreleased references hold {} bytes",
                c.id, c.reply_bytes_shared, expect
            ),
            None,
        );
    }
}

/// `tryUnlinkClientFromPendingRefReply(c, force)`: unlink only when no reference remains.
/// (Epoch strategy, not Redis: unlinking is where main knows the client's borrows are gone,
/// so its pin is dropped too.)
pub fn try_unlink_client_from_pending_ref_reply(s: &mut Server, c: &Client, force: bool) {
    if force || !c.has_refs() {
        s.unlink_pending_ref(c.id);
        strategy::unpin(s, c.id);
    }
}

/// `releaseAllBufReferences` (main, e.g. from `freeClient`): drop every unreleased reference.
pub fn release_all_buf_references(s: &mut Server, c: &mut Client) {
    let env = s.env();
    let cx = Cx::main(&env);
    while let Some(ch) = c.reply.pop_front() {
        match ch {
            ReplyChunk::Plain { block, .. } => env.ledger.free(Tid::Main, block),
            ReplyChunk::BulkRef { obj, len, sent } => {
                if !sent {
                    c.reply_bytes_shared -= len;
                }
                s.reply_refs_untrack_client_lenient(c.id, &obj);
                strategy::release_reply_ref(cx, c.id, &obj, true);
            }
        }
    }
    c.sentlen = 0;
}

impl Server {
    /// Untrack when an entry exists (a fault may already have released and untracked it).
    fn reply_refs_untrack_client_lenient(&mut self, client: u64, obj: &RObj) {
        let tracked = self
            .clients_reply_refs
            .get(&obj.ptr().addr)
            .is_some_and(|e| e.obj == obj.ptr() && e.clients.contains_key(&client));
        if tracked {
            self.reply_refs_untrack_client(client, obj);
        }
    }
}

/// `freeClientIODeferredObjects(c, free_array)`: main drops the references an IO thread kept.
/// The untrack here is the natural fix of the #14934 review finding (`untracked-io-release`
/// leaves the entry behind).
pub fn free_client_io_deferred_objects(s: &mut Server, c: &mut Client) {
    let env = s.env();
    let cx = Cx::main(&env);
    for o in std::mem::take(&mut c.io_deferred_objects) {
        if !env.cfg.fault(Fault::UntrackedIoRelease) {
            s.reply_refs_untrack_client(c.id, &o);
        }
        o.decr_ref_count(cx, Holder::IoDeferred(c.id));
    }
    for o in std::mem::take(&mut c.io_released) {
        if !env.cfg.fault(Fault::UntrackedIoRelease) {
            s.reply_refs_untrack_client(c.id, &o);
        }
        strategy::main_saw_release(env.cfg.strategy, &o);
    }
    if env.cfg.fault(Fault::UnlinkPendingEarly) {
        // The precursor of `tryUnlinkClientFromPendingRefReply`: unlink unconditionally.
        s.unlink_pending_ref(c.id);
    }
}

/// `freeClientDeferredObjects(c, 0)`: the IO thread frees what main handed it.
pub fn free_client_deferred_objects(cx: Cx<'_>, c: &mut Client) {
    c.assert_owner(cx.tid);
    for d in std::mem::take(&mut c.deferred_objects) {
        match d {
            Deferred::Robj(o) => o.decr_ref_count(cx, Holder::Deferred(c.id)),
            Deferred::PendingCommand { argv, array } => {
                for o in argv {
                    o.decr_ref_count(cx, Holder::Argv(c.id));
                }
                cx.env.ledger.free(cx.tid, array);
            }
        }
    }
}

/// `tryDeferFreeClientObject(c, ROBJ, obj)`: hand `obj` (held by `holder`) to the client's IO
/// thread to free, or free it now on main.
pub fn try_defer_free_client_object(
    s: &mut Server,
    c: Option<&mut Client>,
    obj: RObj,
    holder: Holder,
) {
    let env = s.env();
    let cx = Cx::main(&env);
    match c {
        Some(c) if c.tid != Tid::Main && c.deferred_objects.len() < CLIENT_MAX_DEFERRED_OBJECTS => {
            env.ledger
                .transfer(Tid::Main, obj.ptr(), holder, Holder::Deferred(c.id));
            c.deferred_objects.push(Deferred::Robj(obj));
        }
        _ => obj.decr_ref_count(cx, holder),
    }
}

/// `freeClientArgv` / `reclaimPendingCommand` (networking.c @ f36ee257): after a command, main
/// drops every argv object with `refcount > 1` itself; the rest of the bundle goes to the
/// client's IO thread, or is freed now when the client lives on main.
pub fn reclaim_pending_command(s: &mut Server, c: &mut Client) {
    let env = s.env();
    let cx = Cx::main(&env);
    let argv: Vec<RObj> = c.argv.drain(..).flatten().collect();
    let Some(array) = c.argv_array.take() else {
        return;
    };
    let on_io = c.tid != Tid::Main && s.cfg.io_threads_num > 1;
    if on_io && c.deferred_objects.len() < CLIENT_MAX_DEFERRED_OBJECTS {
        let mut keep = Vec::new();
        for o in argv {
            if o.refcount(cx) > 1 {
                o.decr_ref_count(cx, Holder::Argv(c.id));
            } else {
                keep.push(o);
            }
        }
        c.deferred_objects
            .push(Deferred::PendingCommand { argv: keep, array });
    } else {
        for o in argv {
            o.decr_ref_count(cx, Holder::Argv(c.id));
        }
        env.ledger.free(Tid::Main, array);
    }
}

/// `createClient` (networking.c): a connection accepted by main and assigned to thread `tid`,
/// with the request bytes it will send (one element per socket read). The client struct is one
/// ledger allocation (1 KiB; the real size is irrelevant to the invariants).
pub fn create_client(s: &mut Server, tid: Tid, script: Vec<Vec<u8>>) -> Client {
    let id = s.next_client_id();
    let ptr = s.env.ledger.alloc(
        Tid::Main,
        AllocKind::Client,
        1024,
        format!("client {id}"),
        None,
    );
    Client::new(id, ptr, tid, script)
}

/// `freeClient` on main: drain deferred arrays, release buffers and argv, free the struct.
pub fn free_client(s: &mut Server, mut c: Client) {
    let env = s.env();
    c.running_tid = Tid::Main;
    free_client_io_deferred_objects(s, &mut c);
    // Objects handed to the IO thread that it never freed: main frees them (the client is
    // main's now).
    free_client_deferred_objects(Cx::main(&env), &mut c);
    release_all_buf_references(s, &mut c);
    reclaim_pending_command(s, &mut c);
    if c.reply_bytes_shared != 0 {
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
    s.closed.push((c.id, std::mem::take(&mut c.sent)));
}

/// `protectClientReplyObjects` (lazyfree.c @ f36ee257), run by main with every IO thread
/// paused: replace each listed client's references by private copies, drain its io-deferred
/// references on main, and unlink it. Afterwards nothing outside the detached keyspace
/// references its objects, so BIO is their sole owner (`PENDING_REF_REGISTRY`).
///
/// Deviation: Redis returns at once when the list is empty; the model always pauses, so that the
/// oracle can check that no unlisted client holds a reference.
pub fn protect_client_reply_objects(s: &mut Server, current: &mut Client) {
    let mut taken = crate::iothread::pause_and_take_all(s);
    let listed = s.clients_with_pending_ref_reply.clone();
    // A client protected by an earlier FLUSHALL ASYNC is unlisted while it still references
    // its private duplicates (count 1, nobody else holds them): only a reference to an object
    // someone else also holds needs the registry. Under epoch every reply reference is an
    // uncounted borrow, so any reference does.
    let counted = strategy::reply_ref_counts(s.env.cfg.strategy);
    let unlisted = std::iter::once(&mut *current)
        .chain(taken.iter_mut())
        .find(|c| !listed.contains(&c.id) && c.has_shared_refs(counted))
        .map(|c| c.id);
    if let Some(id) = unlisted {
        s.env.ledger.violation(
            Tid::Main,
            crate::invariant::Invariant::PendingRefRegistry,
            &format!("FLUSHALL ASYNC: client {id} holds reply references but is not in clients_with_pending_ref_reply, so they are not protected and BIO would release objects it still uses"),
            None,
        );
    }
    let env = s.env();
    for id in listed {
        let c: &mut Client = if current.id == id {
            &mut *current
        } else if let Some(c) = taken.iter_mut().find(|c| c.id == id) {
            c
        } else {
            continue;
        };
        let saved = c.running_tid;
        c.running_tid = Tid::Main;
        protect_one(s, &env, c);
        c.running_tid = saved;
    }
    crate::iothread::put_back_and_resume(s, taken);
}

fn protect_one(s: &mut Server, env: &std::sync::Arc<crate::server::Env>, c: &mut Client) {
    if !strategy::reply_ref_counts(env.cfg.strategy) {
        // Epoch (not Redis): a borrow needs no copy; BIO's frees are retired and wait for the
        // client's pin, which stays (the client stays listed).
        free_client_io_deferred_objects(s, c);
        return;
    }
    let cx = Cx::main(env);
    let id = c.id;
    for ch in c.reply.iter_mut() {
        if let ReplyChunk::BulkRef {
            obj, sent: false, ..
        } = ch
        {
            s.reply_refs_untrack_client(id, obj);
            let dup = obj.dup_string(cx, Holder::Reply(id));
            obj.decr_ref_count(cx, Holder::Reply(id));
            s.reply_refs_track_client(id, &dup);
            *obj = dup;
        }
    }
    free_client_io_deferred_objects(s, c);
    try_unlink_client_from_pending_ref_reply(s, c, true);
}
