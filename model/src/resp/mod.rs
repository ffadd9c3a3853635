//! RESP request parsing and RESP2 reply encoding, modelled on Redis 8.x.
//!
//! # What is modelled
//!
//! * The request side of `processInputBuffer` (src/networking.c): the first byte of a
//!   request picks the format (`*` = multibulk, anything else = inline), then
//!   [`RequestParser`] runs the twins of `processInlineBuffer` and
//!   `processMultibulkBuffer`, including Redis's limits, its error texts, the order in
//!   which it checks them, and its byte-level quirks (a NUL hides the terminator of
//!   inline and `*<count>` lines because Redis searches them with `strchr`; the two
//!   bytes after a `\r` and after bulk data are skipped without being checked).
//! * Inline argument splitting ([`sds_split_args`], twin of `sdssplitargs` in src/sds.c)
//!   and the strict integer parser used for counts and lengths (`string2ll`, src/util.c).
//! * The authentication-dependent limits (`*` count above 10, bulk above 16384 bytes
//!   while `authRequired(c)`), switched on with [`RequestParser::set_auth_required`].
//! * RESP2 reply encoding (`addReplyStatus`, `addReplyError`, `addReplyLongLong`,
//!   `addReplyBulk*`, `addReplyNull`, `addReplyNullArray`, `addReplyArrayLen`) and a
//!   RESP2 reply decoder for tests and for splitting a reply stream.
//!
//! # What is left out, and why
//!
//! * RESP3 reply types: the model speaks RESP2 only.
//! * Client-type-specific behaviour: master clients (no `proto-max-bulk-len` check,
//!   inline protocol closes the link without a reply, replication offsets) and the
//!   replica newline that refreshes the ACK time. Every client here is a normal client.
//! * Limits enforced outside the parser by closing the connection without a reply:
//!   `client-query-buffer-limit` and the 1 MiB query buffer cap for unauthenticated
//!   clients (both in `readQueryFromClient`).
//! * `PROTO_MBULK_BIG_ARG` buffer juggling, lookahead batching of parsed commands, and
//!   network byte accounting: they change memory use and timing, not what is parsed.
//!
//! # Invariant protected
//!
//! The parser never panics and always terminates: every returned command consumed at
//! least one byte, and no line is rescanned from its start when more bytes arrive.
//! Malformed input yields [`ParseResult::ProtocolError`] carrying the exact error line
//! Redis sends. While the buffered input stays below `inline_max_size`, feeding bytes
//! in any chunking gives the same commands and the same error as feeding them at once.
//!
//! # Differences from Redis 7.0 noticed while reading
//!
//! The model follows 8.x. Against a 7.0-era copy of networking.c:
//! * 7.0 searched the `$<len>` line with `strchr`, so a NUL in it hid the `\r` (the
//!   request stalled, then "too big bulk count string"); 8.x uses `memchr`, so the same
//!   bytes now give "invalid bulk length" or "expected '$'".
//! * 7.0 called `addReplyError` inside the parsers; 8.x records a read error on the
//!   pending command and `handleClientReadError` sends it. The reply texts are the same.
//! * The log tag for unbalanced quotes changed from "unbalanced quotes in inline
//!   request" to "unbalanced quotes in request" (log only; the reply is unchanged).
//!
//! Sources were read at redis/redis commit f36ee257c7fd30dc3368d8d6cd0c97635b26a818
//! (networking.c), 034241812f30 (sds.c) and 01f36192c8be (util.c, an older copy; the
//! current `string2ll` adds an early length cap, included here).

mod encode;
mod parse;
mod reply;
#[cfg(test)]
mod tests;

/// The strict integer parser of counts and lengths lives with the other util.c twins.
pub use crate::util::string2ll;
pub use encode::*;
pub use parse::*;
pub use reply::*;
