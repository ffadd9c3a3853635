//! INFO. Mirrors `infoCommand` + `genRedisInfoString` (src/server.c), the `# Memory` section
//! only: `used_memory` is the ledger's count of live model bytes and
//! `lazyfree_pending_objects` the BIO queue's. Main thread only; reads, never changes, state.

use super::{arg, Client, Server};
use crate::networking::add_reply_bulk_cbuffer;

/// `infoCommand` + `genRedisInfoString` (server.c), RESP2 (`addReplyVerbatim` is a bulk).
/// `INFO [section ...]`: sections are case-insensitive; `memory`, `default`, `all` and
/// `everything` (and no argument) give the model's `# Memory` section, anything else adds
/// nothing (an unknown-only request is an empty bulk, as in Redis).
///
/// Left out (documented difference): every other section (`server`, `clients`, `stats`, …)
/// and every other Memory field; `used_memory` is the ledger's byte count of live model
/// allocations, not zmalloc's; `lazyfree_pending_objects` is the BIO queue's count.
pub(super) fn info(s: &mut Server, c: &mut Client) {
    let mut memory = c.argv.len() == 1;
    for i in 1..c.argv.len() {
        let a = arg(s, c, i);
        let sec = a.to_ascii_lowercase();
        if matches!(&sec[..], b"memory" | b"default" | b"all" | b"everything") {
            memory = true;
        }
    }
    let body = if memory {
        format!(
            "# Memory\r\nused_memory:{}\r\nlazyfree_pending_objects:{}\r\n",
            s.env.ledger.used_memory(),
            s.bio.pending_objects()
        )
    } else {
        String::new()
    };
    add_reply_bulk_cbuffer(s, c, body.as_bytes());
}
