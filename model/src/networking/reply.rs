//! The `addReply*` family (src/networking.c @ f36ee257; the `reply_bytes_shared` and
//! `replyRefsTrackClient` steps are #14934's, made only under the 14934 variant): plain reply bytes go into a reply
//! block (one ledger allocation per chunk); `addReplyBulk` of a RAW string may instead take a
//! counted reference to the object (Reply Copy Avoidance, #14608 @ 219a6bb5) under
//! `isCopyAvoidPreferred`'s rules.
//!
//! Who may touch what: main only. Taking a reference is main's (`incrRefCount`, the
//! `clients_reply_refs` entry, linking the client in `clients_with_pending_ref_reply`); its
//! release is in [`super::write`]. Invariants: `COUNT_CONSERVATION`, `REPLY_REFS_ACCOUNTED`,
//! `PENDING_REF_REGISTRY` (a client holding a reference is listed).

use super::{
    arg, COPY_AVOID_MIN_IO_THREADS, COPY_AVOID_MIN_STRING_SIZE, COPY_AVOID_MIN_STRING_SIZE_THREADED,
};
use crate::client::{Client, ReplyChunk};
use crate::ledger::{AllocKind, ClientPart, Label, Tid};
use crate::object::{Cx, Encoding, RObj};
use crate::resp;
use crate::server::Server;
use crate::strategy;
use crate::util::{cstr, cstr_max};

/// Append plain bytes to the reply (`_addReplyToBufferOrList`), then check the output buffer
/// limit (`closeClientOnOutputBufferLimitReached(c, 1)`).
pub fn add_reply_bytes(s: &mut Server, c: &mut Client, bytes: Vec<u8>) {
    if c.close_after_reply || bytes.is_empty() {
        return;
    }
    let env = s.env();
    let block = env.ledger.alloc(
        Tid::Main,
        AllocKind::ReplyBlock,
        bytes.len(),
        Label::Client(ClientPart::ReplyBlock, c.id),
        None,
    );
    c.reply.push_back(ReplyChunk::Plain { block, bytes });
    super::close_client_on_output_buffer_limit_reached(s, c);
}

/// `addReplyError` with a full error line (`msg` starts with its code, e.g. `ERR …`).
pub fn add_reply_error(s: &mut Server, c: &mut Client, msg: &str) {
    let mut out = Vec::with_capacity(msg.len() + 3);
    out.push(b'-');
    out.extend_from_slice(msg.as_bytes());
    out.extend_from_slice(b"\r\n");
    add_reply_bytes(s, c, out);
}

/// `isCopyAvoidPreferred` (networking.c @ f36ee257; its constants in server.h at the pin).
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
        s.env.coverage.hit(crate::coverage::Event::RefTaken);
        strategy::take_reply_ref(s, c.id, obj);
        c.reply.push_back(ReplyChunk::BulkRef {
            obj: obj.clone(),
            len,
            sent: false,
        });
        if env.cfg.reply_refs_tracking() {
            c.reply_bytes_shared += len;
        }
        s.stat_reply_refs += 1;
        s.link_pending_ref(c.id);
        s.reply_refs_track_client(c.id, obj);
        if env.cfg.reply_refs_tracking() {
            // #14934 checks the limit when a reference is added (its bytes now count).
            super::close_client_on_output_buffer_limit_reached(s, c);
        }
        return;
    }
    let bytes = obj.string_bytes(cx, "string for a copied bulk reply");
    let mut out = Vec::with_capacity(bytes.len() + 16);
    resp::add_reply_bulk(&mut out, &bytes);
    add_reply_bytes(s, c, out);
}

/// `addReplyErrorFormat` on formatted bytes (see [`resp::add_reply_error_format`]).
pub fn add_reply_error_format(s: &mut Server, c: &mut Client, msg: &[u8]) {
    let mut out = Vec::with_capacity(msg.len() + 8);
    resp::add_reply_error_format(&mut out, msg);
    add_reply_bytes(s, c, out);
}

/// `addReplyErrorArity`: `wrong number of arguments for '<fullname>' command`.
pub fn add_reply_error_arity(s: &mut Server, c: &mut Client, fullname: &str) {
    let msg = format!("wrong number of arguments for '{fullname}' command");
    add_reply_error_format(s, c, msg.as_bytes());
}

/// `addReplySubcommandSyntaxError`:
/// `unknown subcommand or wrong number of arguments for '<argv1 %.128s>'. Try <ARGV0> HELP.`
pub fn add_reply_subcommand_syntax_error(s: &mut Server, c: &mut Client) {
    let name = arg(s, c, 0);
    let sub = if c.argv.len() >= 2 {
        arg(s, c, 1)
    } else {
        crate::robj::Bytes::new()
    };
    let mut msg = b"unknown subcommand or wrong number of arguments for '".to_vec();
    msg.extend_from_slice(cstr_max(&sub, 128));
    msg.extend_from_slice(b"'. Try ");
    msg.extend_from_slice(&cstr(&name).to_ascii_uppercase());
    msg.extend_from_slice(b" HELP.");
    add_reply_error_format(s, c, &msg);
}

/// `addReplyErrorExpireTime`: `invalid expire time in '<fullname>' command`.
pub fn add_reply_error_expire_time(s: &mut Server, c: &mut Client, fullname: &str) {
    let msg = format!("invalid expire time in '{fullname}' command");
    add_reply_error_format(s, c, msg.as_bytes());
}

/// `addReplyStatus`: `+<st>\r\n`.
pub fn add_reply_status(s: &mut Server, c: &mut Client, st: &str) {
    let mut out = Vec::new();
    resp::add_reply_status(&mut out, st);
    add_reply_bytes(s, c, out);
}

/// `addReplyLongLong`: `:<n>\r\n`.
pub fn add_reply_integer(s: &mut Server, c: &mut Client, n: i64) {
    let mut out = Vec::new();
    resp::add_reply_integer(&mut out, n);
    add_reply_bytes(s, c, out);
}

/// `addReplyLongLong` of a length (saturating at `i64::MAX`).
pub fn add_reply_len(s: &mut Server, c: &mut Client, n: usize) {
    add_reply_integer(s, c, i64::try_from(n).unwrap_or(i64::MAX));
}

/// `addReplyNull` (RESP2): `$-1\r\n`.
pub fn add_reply_null(s: &mut Server, c: &mut Client) {
    let mut out = Vec::new();
    resp::add_reply_null(&mut out);
    add_reply_bytes(s, c, out);
}

/// `addReplyNullArray` (RESP2): `*-1\r\n`.
pub fn add_reply_null_array(s: &mut Server, c: &mut Client) {
    let mut out = Vec::new();
    resp::add_reply_null_array(&mut out);
    add_reply_bytes(s, c, out);
}

/// `addReplyArrayLen`: `*<n>\r\n`.
pub fn add_reply_array_len(s: &mut Server, c: &mut Client, n: usize) {
    let mut out = Vec::new();
    resp::add_reply_array_len(&mut out, n);
    add_reply_bytes(s, c, out);
}

/// `addReplyBulkCBuffer`: a copy of `b`.
pub fn add_reply_bulk_cbuffer(s: &mut Server, c: &mut Client, b: &[u8]) {
    let mut out = Vec::with_capacity(b.len() + 16);
    resp::add_reply_bulk(&mut out, b);
    add_reply_bytes(s, c, out);
}
