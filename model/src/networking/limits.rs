//! Closing a client that must not go on: `freeClientAsync` and
//! `closeClientOnOutputBufferLimitReached` (src/networking.c @ f36ee257, off=84000 and
//! off=206000; neither is #14934 code except the shared bytes the branch adds to the limit,
//! counted here only under the 14934 variant).
//!
//! Who may touch what: main, on the client it is running (`running_tid == main`). A client
//! marked `CLIENT_CLOSE_ASAP` gets no more replies and is freed by main before anything of it
//! is written again ([`crate::iothread`]: after its command, or at its next hand-in).
//!
//! Simplified: only the `normal` class's hard limit ([`crate::config::Config::client_obuf_normal_hard`]);
//! soft limits need wall-clock seconds the model does not have. The bytes counted are the
//! plain reply chunks and the formatted prefix and CRLF of each reference (C counts the
//! reply list's block sizes; the split between `c->buf` and the list is not modelled).
//! `freeClientAsync`'s branch for a client running on an IO thread (main pauses that thread,
//! sets `CLIENT_IO_CLOSE_ASAP` and queues the client to itself) is reached in C from paths the
//! model has no command for (ACL user changes, replies main adds to *other* clients: pub/sub,
//! tracking); it is not modelled.

use crate::client::{Client, ReplyChunk};
use crate::server::Server;

/// `freeClientAsync(c)` for the client main is running: `CLIENT_CLOSE_ASAP` (no further reply
/// is queued, nothing pending is written; main frees it). A client already closing is left
/// alone.
pub fn free_client_async(s: &mut Server, c: &mut Client) {
    if c.close_asap {
        return;
    }
    c.close_asap = true;
    c.close_after_reply = true;
    if !s.closed_early.contains(&c.id) {
        s.closed_early.push(c.id);
    }
}

/// `getClientOutputBufferSize` at the pin: the pending plain bytes and the references'
/// prefixes and CRLFs; under variant 14934 also `reply_bytes_shared` (the referenced bytes).
fn output_buffer_size(s: &Server, c: &Client) -> u64 {
    let own: usize = c
        .reply
        .iter()
        .map(|ch| match ch {
            ReplyChunk::Plain { bytes, .. } => bytes.len(),
            ReplyChunk::BulkRef { len, sent, .. } if !sent => {
                crate::resp::bulk_header(*len).len() + 2
            }
            ReplyChunk::BulkRef { .. } => 0,
        })
        .sum();
    let shared = if s.env.cfg.reply_refs_tracking() {
        c.reply_bytes_shared
    } else {
        0
    };
    (own + shared) as u64
}

/// `closeClientOnOutputBufferLimitReached(c, 1)`, called by main after it queued a reply: a
/// client with a connection whose pending reply bytes reach the `normal` class's hard limit
/// is closed asynchronously ([`free_client_async`]). Returns whether it was.
pub fn close_client_on_output_buffer_limit_reached(s: &mut Server, c: &mut Client) -> bool {
    let limit = s.cfg.client_obuf_normal_hard;
    if c.fake || c.close_asap || limit == 0 {
        return false;
    }
    let used = output_buffer_size(s, c);
    if used == 0 || used < limit {
        return false;
    }
    free_client_async(s, c);
    true
}
