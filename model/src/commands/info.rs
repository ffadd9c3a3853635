//! INFO. Mirrors `infoCommand` + `genRedisInfoString` (src/server.c), the `# Memory` section
//! only, with the fields that have a model meaning ([`super::memory::info_memory`]: zmalloc's
//! `used_memory` of usable sizes, the allocator model's resident and active bytes, the
//! maxmemory knobs, the BIO queue's counts). Not Redis: a `# Ledger` section with the
//! oracle's live counts (see [`ledger_fields`]). Main thread only; reads, never changes, state.

use super::{arg, Client, Server};
use crate::networking::add_reply_bulk_cbuffer;

/// `infoCommand` + `genRedisInfoString` (server.c), RESP2 (`addReplyVerbatim` is a bulk).
/// `INFO [section ...]`: sections are case-insensitive; `memory`, `default`, `all` and
/// `everything` (and no argument) give the model's `# Memory` section; `ledger` and the same
/// four give `# Ledger` (not Redis); anything else adds nothing (an unknown-only request is an
/// empty bulk, as in Redis).
///
/// Left out (documented difference): every other section (`server`, `clients`, `stats`, …)
/// and the Memory fields with no model meaning (scripts, replication, AOF, system memory).
pub(super) fn info(s: &mut Server, c: &mut Client) {
    let (mut memory, mut ledger) = (c.argv.len() == 1, c.argv.len() == 1);
    for i in 1..c.argv.len() {
        let a = arg(s, c, i);
        let sec = a.to_ascii_lowercase();
        if matches!(&sec[..], b"memory" | b"default" | b"all" | b"everything") {
            memory = true;
        }
        if matches!(&sec[..], b"ledger" | b"default" | b"all" | b"everything") {
            ledger = true;
        }
    }
    let mut body = String::new();
    if memory {
        body.push_str(&super::memory::info_memory(s));
    }
    if ledger {
        if !body.is_empty() {
            body.push_str("\r\n");
        }
        for (k, v) in ledger_fields(s) {
            if k.starts_with('#') {
                body.push_str(&format!("{k}\r\n"));
            } else {
                body.push_str(&format!("{k}:{v}\r\n"));
            }
        }
    }
    add_reply_bulk_cbuffer(s, c, body.as_bytes());
}

/// The `# Ledger` section (not Redis: the oracle's live counts), as `(field, value)` pairs.
/// `ledger_refs_<holder>` counts the counted references each kind of holder has now
/// (`reply` = unsent bulk references in reply buffers, `io_deferred` = sent ones an IO thread
/// kept for main, `deferred` = objects main handed an IO thread to free, `bio` = queued lazy
/// frees); `ledger_violations` counts every invariant violation detected since start.
pub(crate) fn ledger_fields(s: &Server) -> Vec<(String, String)> {
    let live = s.env.ledger.live();
    let refs_tracked: usize = s.env.reply_refs.as_ref().map_or(0, |r| r.tracked());
    let mut v: Vec<(String, String)> = vec![
        ("# Ledger".into(), String::new()),
        (
            "ledger_allocations".into(),
            live.summary.allocations.to_string(),
        ),
        ("ledger_frees".into(), live.summary.frees.to_string()),
        (
            "ledger_live_allocations".into(),
            live.summary.live.to_string(),
        ),
        (
            "ledger_permanent_allocations".into(),
            live.permanent.to_string(),
        ),
        (
            "ledger_used_memory".into(),
            live.summary.used_memory.to_string(),
        ),
    ];
    for (h, n) in [
        "keyspace",
        "reply",
        "io_deferred",
        "deferred",
        "argv",
        "bio",
        "temporary",
    ]
    .iter()
    .map(|h| {
        let n = live
            .by_holder
            .iter()
            .find(|(k, _)| k == h)
            .map_or(0, |(_, n)| *n);
        (h, n)
    }) {
        v.push((format!("ledger_refs_{h}"), n.to_string()));
    }
    v.extend([
        (
            "clients_with_pending_ref_reply".into(),
            s.clients_with_pending_ref_reply.len().to_string(),
        ),
        ("clients_reply_refs".into(), refs_tracked.to_string()),
        ("reply_refs_taken".into(), s.stat_reply_refs.to_string()),
        ("ledger_violations".into(), live.violations.to_string()),
    ]);
    v
}
