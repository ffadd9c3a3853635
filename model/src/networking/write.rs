//! `writeToClient` and the release of what it wrote (src/networking.c @ f36ee257, the #14934
//! branch: networking.c is not stored at the pin; the untrack steps are #14934's and run only
//! under the 14934 variant, the rest is the pin's #14608 code): a fully written reference is released on **main** directly (untrack +
//! `decrRefCount`), or on an **IO thread** by moving it to `io_deferred_objects` (no count
//! change) for main to drop at the next hand-back.
//!
//! Who may touch what: the thread named in the client's `running_tid` writes (checked by
//! `assert_owner`); only main touches `clients_reply_refs` and the pending-ref list. Invariants:
//! `COUNT_CONSERVATION`, `REPLY_REFS_ACCOUNTED` (`reply_bytes_shared` equals the bytes of
//! unreleased references after every write), `CLIENT_OWNERSHIP`.

use crate::client::{Client, ReplyChunk};
use crate::config::Fault;
use crate::coverage::Event;
use crate::ledger::{Holder, Tid};
use crate::object::{Cx, RObj};
use crate::reclaim;
use crate::resp;
use crate::server::Server;
use crate::strategy;

/// Release one sent (or discarded) reference: on main untrack + `decrRefCount`; on an IO thread
/// `ioDeferFreeRobj` (other strategies: the IO thread releases it and main untracks later).
fn release_ref(cx: Cx<'_>, main: Option<&mut Server>, c: &mut Client, obj: RObj, len: usize) {
    cx.env.coverage.hit(if main.is_some() {
        Event::RefReleasedOnMain
    } else {
        Event::RefReleasedOnIo
    });
    if cx.env.cfg.reply_refs_tracking() {
        c.reply_bytes_shared -= len;
    }
    match main {
        Some(s) => {
            s.reply_refs_untrack_client(c.id, &obj);
            strategy::release_reply_ref(cx, c.id, &obj, true);
        }
        None if reclaim::io_may_release(cx.env.cfg.strategy) => {
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
    // Room for what this write can send, at once (the socket log grew by doubling otherwise,
    // copying a 64 KiB reply several times).
    let pending: usize = c
        .reply
        .iter()
        .map(|ch| match ch {
            ReplyChunk::Plain { bytes, .. } => bytes.len(),
            ReplyChunk::BulkRef { sent: true, .. } => 0,
            ReplyChunk::BulkRef { len, .. } => len + 32,
        })
        .sum();
    c.sent.reserve(pending.min(budget));
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
                let data = obj.ref_bytes_for_writev(cx, *len);
                let header = resp::bulk_header(*len);
                let segments = [&header[..], &data[..], b"\r\n"];
                let n = write_window(&mut c.sent, segments, c.sentlen, budget);
                (n, header.len() + data.len() + 2)
            }
        };
        budget -= n;
        c.sentlen += n;
        if c.sentlen < total {
            cx.env.coverage.hit(Event::PartialWrite);
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
    if !cx.env.cfg.reply_refs_tracking() {
        return;
    }
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
                if !sent && env.cfg.reply_refs_tracking() {
                    c.reply_bytes_shared -= len;
                }
                s.reply_refs_untrack_client(c.id, &obj);
                strategy::release_reply_ref(cx, c.id, &obj, true);
            }
        }
    }
    c.sentlen = 0;
}
