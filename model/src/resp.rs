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

/// `PROTO_INLINE_MAX_SIZE` (server.h): largest unterminated inline request, `*<count>`
/// line or `$<len>` line Redis buffers before giving up.
pub const PROTO_INLINE_MAX_SIZE: usize = 64 * 1024;
/// Default of the `proto-max-bulk-len` config (config.c): 512 MiB.
pub const DEFAULT_PROTO_MAX_BULK_LEN: u64 = 512 * 1024 * 1024;
/// `processMultibulkBuffer` rejects counts above `INT_MAX`.
pub const MAX_MULTIBULK_LEN: u64 = i32::MAX as u64;
/// Largest `*` count accepted while `authRequired(c)`.
pub const UNAUTH_MAX_MULTIBULK_LEN: u64 = 10;
/// Largest `$` length accepted while `authRequired(c)`.
pub const UNAUTH_MAX_BULK_LEN: u64 = 16 * 1024;

/// Reply for `CLIENT_READ_TOO_BIG_INLINE_REQUEST`.
pub const ERR_TOO_BIG_INLINE_REQUEST: &str = "ERR Protocol error: too big inline request";
/// Reply for `CLIENT_READ_UNBALANCED_QUOTES`.
pub const ERR_UNBALANCED_QUOTES: &str = "ERR Protocol error: unbalanced quotes in request";
/// Reply for `CLIENT_READ_TOO_BIG_MBULK_COUNT_STRING`.
pub const ERR_TOO_BIG_MBULK_COUNT: &str = "ERR Protocol error: too big mbulk count string";
/// Reply for `CLIENT_READ_TOO_BIG_BUCK_COUNT_STRING`.
pub const ERR_TOO_BIG_BULK_COUNT: &str = "ERR Protocol error: too big bulk count string";
/// Reply for `CLIENT_READ_INVALID_MULTIBUCK_LENGTH`.
pub const ERR_INVALID_MULTIBULK_LEN: &str = "ERR Protocol error: invalid multibulk length";
/// Reply for `CLIENT_READ_UNAUTH_MBUCK_COUNT`.
pub const ERR_UNAUTH_MULTIBULK_LEN: &str = "ERR Protocol error: unauthenticated multibulk length";
/// Reply for `CLIENT_READ_INVALID_BUCK_LENGTH`.
pub const ERR_INVALID_BULK_LEN: &str = "ERR Protocol error: invalid bulk length";
/// Reply for `CLIENT_READ_UNAUTH_BUCK_LENGTH`.
pub const ERR_UNAUTH_BULK_LEN: &str = "ERR Protocol error: unauthenticated bulk length";

/// Limits, defaults equal to Redis's.
///
/// `PROTO_MBULK_BIG_ARG` (32 KiB) is absent: in Redis it only decides when a big
/// argument may reuse the query buffer, which never changes the parse result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParserLimits {
    /// `PROTO_INLINE_MAX_SIZE`, applied to all three unterminated-line checks.
    pub inline_max_size: usize,
    /// `proto-max-bulk-len`: largest accepted `$<len>`.
    pub proto_max_bulk_len: u64,
    /// Largest accepted `*<count>` (`INT_MAX`, a constant in Redis).
    pub max_multibulk_len: u64,
    /// Largest `*<count>` while authentication is required.
    pub unauth_max_multibulk_len: u64,
    /// Largest `$<len>` while authentication is required.
    pub unauth_max_bulk_len: u64,
}

impl Default for ParserLimits {
    fn default() -> Self {
        ParserLimits {
            inline_max_size: PROTO_INLINE_MAX_SIZE,
            proto_max_bulk_len: DEFAULT_PROTO_MAX_BULK_LEN,
            max_multibulk_len: MAX_MULTIBULK_LEN,
            unauth_max_multibulk_len: UNAUTH_MAX_MULTIBULK_LEN,
            unauth_max_bulk_len: UNAUTH_MAX_BULK_LEN,
        }
    }
}

/// Incremental parser state for one client's query buffer (Redis keeps
/// `multibulklen`/`bulklen` in the client and the collected arguments in its
/// pending command).
///
/// Between calls the caller may only append to the unconsumed input; the parser
/// remembers how far it already searched the current line.
#[derive(Clone, Debug, Default)]
pub struct RequestParser {
    limits: ParserLimits,
    auth_required: bool,
    /// Arguments still to read for the current multibulk request; 0 outside one.
    multibulklen: u64,
    /// Length of the bulk being read, once its `$<len>` line was consumed.
    bulklen: Option<u64>,
    argv: Vec<Vec<u8>>,
    /// Bytes at the front of the unconsumed input already searched, without success,
    /// for the current line's terminator.
    scanned: usize,
    /// Set by the first protocol error; Redis closes the connection after it.
    failed: Option<Vec<u8>>,
    /// Bytes examined by line searches (tests check the parser stays linear).
    #[cfg(test)]
    examined: usize,
}

/// Outcome of one [`RequestParser::parse`] call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseResult {
    /// One complete command; the bytes it used were removed from the front of the buffer.
    Command(Vec<Vec<u8>>),
    /// Need more bytes. Lines and arguments already parsed were removed from the buffer
    /// (Redis trims its query buffer to `qb_pos` the same way) and live in the parser.
    Incomplete,
    /// Protocol error: the exact bytes of the error line Redis sends, without the leading
    /// '-' and the trailing CRLF, e.g. "ERR Protocol error: invalid multibulk length".
    /// After this Redis closes the connection; the parser keeps returning the same error.
    /// The only text built from input is `expected '$', got '<c>'`, where `<c>` is the raw
    /// byte, as Redis sends it.
    ProtocolError(Vec<u8>),
}

enum Step {
    /// A request was parsed; an empty argv is skipped like Redis skips it.
    Parsed(Vec<Vec<u8>>, usize),
    Incomplete(usize),
    Error(Vec<u8>, usize),
}

impl RequestParser {
    /// A parser with `limits`.
    pub fn new(limits: ParserLimits) -> Self {
        RequestParser {
            limits,
            ..RequestParser::default()
        }
    }

    /// Models `authRequired(c)`: while set, the unauthenticated count and length caps
    /// apply. Off by default (default user with `nopass`).
    pub fn set_auth_required(&mut self, required: bool) {
        self.auth_required = required;
    }

    /// Parse the next command from the front of `querybuf`, draining what it consumed.
    /// This is the parsing half of `processInputBuffer` (src/networking.c @ f36ee257):
    /// the first byte picks inline or multibulk; empty inline lines and multibulk with
    /// count <= 0 produce no command and parsing goes on, as in Redis.
    pub fn parse(&mut self, querybuf: &mut Vec<u8>) -> ParseResult {
        let (result, consumed) = self.parse_slice(querybuf);
        querybuf.drain(..consumed.min(querybuf.len()));
        result
    }

    /// Like [`RequestParser::parse`] but leaves removal to the caller: returns the
    /// result and how many bytes from the front of `input` were consumed. The next
    /// call must pass the unconsumed rest, possibly extended.
    fn parse_slice(&mut self, input: &[u8]) -> (ParseResult, usize) {
        if let Some(reply) = &self.failed {
            return (ParseResult::ProtocolError(reply.clone()), 0);
        }
        let mut pos = 0usize;
        loop {
            let rest = input.get(pos..).unwrap_or_default();
            let Some(&first) = rest.first() else {
                return (ParseResult::Incomplete, pos);
            };
            let step = if self.multibulklen == 0 && first != b'*' {
                self.process_inline_buffer(rest)
            } else {
                self.process_multibulk_buffer(rest)
            };
            match step {
                Step::Parsed(argv, used) => {
                    pos = pos.saturating_add(used);
                    if !argv.is_empty() {
                        return (ParseResult::Command(argv), pos);
                    }
                }
                Step::Incomplete(used) => {
                    return (ParseResult::Incomplete, pos.saturating_add(used));
                }
                Step::Error(reply, used) => {
                    self.failed = Some(reply.clone());
                    return (ParseResult::ProtocolError(reply), pos.saturating_add(used));
                }
            }
        }
    }

    /// First byte of `input` matching `stop`, resuming where the previous search of
    /// the same line ended.
    fn find_stop(&mut self, input: &[u8], stop: impl Fn(u8) -> bool) -> Option<usize> {
        let from = self.scanned.min(input.len());
        let tail = input.get(from..).unwrap_or_default();
        let found = tail.iter().position(|&b| stop(b));
        #[cfg(test)]
        {
            self.examined += found.map_or(tail.len(), |i| i + 1);
        }
        match found {
            Some(i) => {
                self.scanned = from + i;
                Some(from + i)
            }
            None => {
                self.scanned = input.len();
                None
            }
        }
    }

    /// Mirrors `processInlineBuffer` (src/networking.c @ f36ee257).
    ///
    /// Simplified: the master-client and replica-ACK branches are omitted (normal
    /// clients only).
    fn process_inline_buffer(&mut self, input: &[u8]) -> Step {
        // strchr(): a NUL before the '\n' ends the search, so the line never completes.
        let newline = match self.find_stop(input, |b| b == b'\n' || b == 0) {
            Some(i) if input.get(i) == Some(&b'\n') => i,
            _ => {
                return if input.len() > self.limits.inline_max_size {
                    Step::Error(ERR_TOO_BIG_INLINE_REQUEST.into(), 0)
                } else {
                    Step::Incomplete(0)
                };
            }
        };
        let line_end = match newline.checked_sub(1) {
            Some(cr) if input.get(cr) == Some(&b'\r') => cr,
            _ => newline,
        };
        match sds_split_args(input.get(..line_end).unwrap_or_default()) {
            Some(argv) => {
                self.scanned = 0;
                Step::Parsed(argv, newline + 1)
            }
            None => Step::Error(ERR_UNBALANCED_QUOTES.into(), 0),
        }
    }

    /// Mirrors `processMultibulkBuffer` (src/networking.c @ f36ee257).
    ///
    /// Simplified: master clients are not modelled, so `proto-max-bulk-len` always
    /// applies; the big-argument buffer reuse is omitted (no effect on the result).
    fn process_multibulk_buffer(&mut self, input: &[u8]) -> Step {
        let mut pos = 0usize;
        if self.multibulklen == 0 {
            // strchr() again: a NUL hides the '\r' of the count line.
            let cr = match self.find_stop(input, |b| b == b'\r' || b == 0) {
                Some(i) if input.get(i) == Some(&b'\r') => i,
                _ => {
                    return if input.len() > self.limits.inline_max_size {
                        Step::Error(ERR_TOO_BIG_MBULK_COUNT.into(), 0)
                    } else {
                        Step::Incomplete(0)
                    };
                }
            };
            // Redis only checks that a byte follows the '\r', not that it is '\n'.
            if cr + 2 > input.len() {
                return Step::Incomplete(0);
            }
            let count = match string2ll(input.get(1..cr).unwrap_or_default()) {
                Some(ll) if ll <= 0 => {
                    self.scanned = 0;
                    return Step::Parsed(Vec::new(), cr + 2);
                }
                Some(ll) => ll.unsigned_abs(),
                None => return Step::Error(ERR_INVALID_MULTIBULK_LEN.into(), 0),
            };
            if count > self.limits.max_multibulk_len {
                return Step::Error(ERR_INVALID_MULTIBULK_LEN.into(), 0);
            }
            if self.auth_required && count > self.limits.unauth_max_multibulk_len {
                return Step::Error(ERR_UNAUTH_MULTIBULK_LEN.into(), 0);
            }
            pos = cr + 2;
            self.scanned = 0;
            self.multibulklen = count;
            self.bulklen = None;
            // Redis also caps the initial argv allocation at 1024 slots.
            self.argv = Vec::with_capacity(usize::try_from(count.min(1024)).unwrap_or(1024));
        }

        while self.multibulklen > 0 {
            let rest = input.get(pos..).unwrap_or_default();
            let bulklen = match self.bulklen {
                Some(len) => len,
                None => {
                    // memchr() in 8.x, so a NUL does not hide the '\r' (7.0: strchr()).
                    let Some(cr) = self.find_stop(rest, |b| b == b'\r') else {
                        return if rest.len() > self.limits.inline_max_size {
                            Step::Error(ERR_TOO_BIG_BULK_COUNT.into(), pos)
                        } else {
                            Step::Incomplete(pos)
                        };
                    };
                    if cr + 2 > rest.len() {
                        return Step::Incomplete(pos);
                    }
                    // `rest` holds at least the CR found above.
                    if let Some(&other) = rest.first().filter(|&&b| b != b'$') {
                        return Step::Error(expected_dollar_error(other), pos);
                    }
                    let len = match string2ll(rest.get(1..cr).unwrap_or_default()) {
                        Some(ll) if ll >= 0 => ll.unsigned_abs(),
                        _ => return Step::Error(ERR_INVALID_BULK_LEN.into(), pos),
                    };
                    if len > self.limits.proto_max_bulk_len {
                        return Step::Error(ERR_INVALID_BULK_LEN.into(), pos);
                    }
                    if self.auth_required && len > self.limits.unauth_max_bulk_len {
                        return Step::Error(ERR_UNAUTH_BULK_LEN.into(), pos);
                    }
                    pos += cr + 2;
                    self.scanned = 0;
                    self.bulklen = Some(len);
                    len
                }
            };
            let rest = input.get(pos..).unwrap_or_default();
            // The two bytes after the data are skipped unchecked, as in Redis.
            let arg = match usize::try_from(bulklen).ok().and_then(|n| n.checked_add(2)) {
                Some(end) if end <= rest.len() => rest.get(..end - 2),
                _ => None,
            };
            let Some(arg) = arg else {
                return Step::Incomplete(pos);
            };
            self.argv.push(arg.to_vec());
            pos += arg.len() + 2;
            self.bulklen = None;
            self.multibulklen -= 1;
        }
        Step::Parsed(std::mem::take(&mut self.argv), pos)
    }
}

/// `addReplyErrorFormat(c, "Protocol error: expected '$', got '%c'", byte)`, including
/// its CR/LF-to-space mapping. A NUL byte stays in the text, as `sdscatvprintf` keeps it.
fn expected_dollar_error(got: u8) -> Vec<u8> {
    let shown = match got {
        b'\r' | b'\n' => b' ',
        other => other,
    };
    let mut e = b"ERR Protocol error: expected '$', got '".to_vec();
    e.extend_from_slice(&[shown, b'\'']);
    e
}

/// Mirrors `string2ll` (src/util.c @ 01f36192, plus the current `LONG_STR_SIZE`
/// early reject): optional '-', no '+', no spaces, no leading zeros, no "-0".
pub fn string2ll(s: &[u8]) -> Option<i64> {
    const LONG_STR_SIZE: usize = 21;
    if s.is_empty() || s.len() >= LONG_STR_SIZE {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    if !matches!(digits.first(), Some(b'1'..=b'9')) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    if negative {
        0i64.checked_sub_unsigned(v)
    } else {
        i64::try_from(v).ok()
    }
}

/// C `isspace()` in the "C" locale; bytes of 0x80 and above are not spaces.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Double,
    Single,
}

/// Mirrors `sdssplitargs` (src/sds.c @ 034241812f30): split an inline line into
/// arguments, REPL style. Returns `None` for unbalanced quotes or a closing quote
/// followed by something other than a space.
///
/// Like the C function, `line` is read as a C string: a NUL ends it. (Inline request
/// lines never contain one; see [`RequestParser`].) Blanks between arguments are any
/// `isspace()` byte, but only space, `\t`, `\r`, `\n` end an unquoted argument, so
/// `\v` and `\f` inside an argument are kept. A quote may open mid-argument (`a"b c"`
/// is the single argument `ab c`).
pub fn sds_split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let line = match line.iter().position(|&b| b == 0) {
        Some(nul) => line.get(..nul).unwrap_or_default(),
        None => line,
    };
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let mut args = Vec::new();
    let mut p = 0usize;
    loop {
        while is_c_space(at(p)) {
            p += 1;
        }
        if at(p) == 0 {
            return Some(args);
        }
        let mut current = Vec::new();
        let mut quote = Quote::None;
        loop {
            let c = at(p);
            let mut done = false;
            match quote {
                Quote::Double => {
                    let hex = (c == b'\\' && at(p + 1) == b'x')
                        .then(|| Some(hex_value(at(p + 2))? * 16 + hex_value(at(p + 3))?))
                        .flatten();
                    if let Some(byte) = hex {
                        current.push(byte);
                        p += 3;
                    } else if c == b'\\' && at(p + 1) != 0 {
                        p += 1;
                        current.push(match at(p) {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            b'b' => 0x08,
                            b'a' => 0x07,
                            other => other,
                        });
                    } else if c == b'"' {
                        if at(p + 1) != 0 && !is_c_space(at(p + 1)) {
                            return None;
                        }
                        done = true;
                    } else if c == 0 {
                        return None;
                    } else {
                        current.push(c);
                    }
                }
                Quote::Single => {
                    if c == b'\\' && at(p + 1) == b'\'' {
                        p += 1;
                        current.push(b'\'');
                    } else if c == b'\'' {
                        if at(p + 1) != 0 && !is_c_space(at(p + 1)) {
                            return None;
                        }
                        done = true;
                    } else if c == 0 {
                        return None;
                    } else {
                        current.push(c);
                    }
                }
                Quote::None => match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => done = true,
                    b'"' => quote = Quote::Double,
                    b'\'' => quote = Quote::Single,
                    _ => current.push(c),
                },
            }
            if at(p) != 0 {
                p += 1;
            }
            if done {
                break;
            }
        }
        args.push(current);
    }
}

/// Encode a command as a RESP multibulk request.
pub fn encode_request(args: &[impl AsRef<[u8]>]) -> Vec<u8> {
    let size = args.iter().fold(16usize, |acc, a| {
        acc.saturating_add(a.as_ref().len()).saturating_add(16)
    });
    let mut out = Vec::with_capacity(size);
    add_reply_array_len(&mut out, args.len());
    for arg in args {
        add_reply_bulk(&mut out, arg.as_ref());
    }
    out
}

fn push_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    for slot in digits.iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
        start -= 1;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(start..).unwrap_or_default());
}

fn push_i64(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    push_u64(out, n.unsigned_abs());
}

fn push_usize(out: &mut Vec<u8>, n: usize) {
    push_u64(out, u64::try_from(n).unwrap_or(u64::MAX));
}

/// Mirrors `addReplyStatus`: `+<s>\r\n`, emitted verbatim.
pub fn add_reply_status(out: &mut Vec<u8>, s: &str) {
    out.push(b'+');
    out.extend_from_slice(s.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Mirrors `addReplyError` / `addReplyErrorLength`: prefixes `-ERR ` unless `msg`
/// starts with '-' (then `msg` carries its own error code), and appends CRLF. Like
/// Redis, CR/LF inside `msg` are not sanitized here; see [`add_reply_error_format`].
pub fn add_reply_error(out: &mut Vec<u8>, msg: &[u8]) {
    if msg.first() != Some(&b'-') {
        out.extend_from_slice(b"-ERR ");
    }
    out.extend_from_slice(msg);
    out.extend_from_slice(b"\r\n");
}

/// Mirrors the sanitizing of `addReplyErrorFormat`: trims CR/LF from both ends
/// (`sdstrim`, which also strips NULs because `strchr` matches the set's terminator),
/// turns inner CR/LF into spaces, then calls [`add_reply_error`].
pub fn add_reply_error_format(out: &mut Vec<u8>, msg: &[u8]) {
    let trim = |b: &u8| matches!(*b, b'\r' | b'\n' | 0);
    let start = msg.iter().position(|b| !trim(b)).unwrap_or(msg.len());
    let end = msg.iter().rposition(|b| !trim(b)).map_or(start, |e| e + 1);
    let mapped: Vec<u8> = msg[start..end]
        .iter()
        .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
        .collect();
    add_reply_error(out, &mapped);
}

/// Mirrors `addReplyLongLong`: `:<n>\r\n`.
pub fn add_reply_integer(out: &mut Vec<u8>, n: i64) {
    out.push(b':');
    push_i64(out, n);
    out.extend_from_slice(b"\r\n");
}

/// Mirrors `addReplyBulkCBuffer`: `$<len>\r\n<bytes>\r\n`.
pub fn add_reply_bulk(out: &mut Vec<u8>, b: &[u8]) {
    out.push(b'$');
    push_usize(out, b.len());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(b);
    out.extend_from_slice(b"\r\n");
}

/// Mirrors `addReplyNull` for RESP2: `$-1\r\n`.
pub fn add_reply_null(out: &mut Vec<u8>) {
    out.extend_from_slice(b"$-1\r\n");
}

/// Mirrors `addReplyNullArray` for RESP2: `*-1\r\n`.
pub fn add_reply_null_array(out: &mut Vec<u8>) {
    out.extend_from_slice(b"*-1\r\n");
}

/// Mirrors `addReplyArrayLen`: `*<n>\r\n`.
pub fn add_reply_array_len(out: &mut Vec<u8>, n: usize) {
    out.push(b'*');
    push_usize(out, n);
    out.extend_from_slice(b"\r\n");
}

/// `$<len>\r\n`, the header `addReplyBulkLen` emits.
pub fn bulk_header(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(24);
    out.push(b'$');
    push_usize(&mut out, len);
    out.extend_from_slice(b"\r\n");
    out
}

/// A RESP2 reply value decoded from bytes (for tests and for splitting a byte stream
/// into replies). `Error` holds the line without its '-', e.g. "ERR unknown command".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// `+status`
    Status(String),
    /// `-error`
    Error(String),
    /// `:integer`
    Integer(i64),
    /// `$bulk` (`None` = null bulk)
    Bulk(Option<Vec<u8>>),
    /// `*array` (`None` = null array)
    Array(Option<Vec<Reply>>),
}

/// Deepest array nesting [`decode_reply`] accepts; bounds the work of dropping the
/// decoded value, whose destructor recurses.
pub const MAX_REPLY_DEPTH: usize = 512;

/// Index of the first "\r\n" in `buf` at or after `from`.
fn find_crlf(buf: &[u8], from: usize) -> Option<usize> {
    let tail = buf.get(from..)?;
    tail.windows(2).position(|w| w == b"\r\n").map(|i| from + i)
}

/// Simple-string text: UTF-8 when valid, otherwise one char per byte (Latin-1), so a
/// raw byte Redis echoes in an error line maps to the same char as in
/// [`ParseResult::ProtocolError`].
fn line_text(line: &[u8]) -> String {
    match std::str::from_utf8(line) {
        Ok(s) => s.to_owned(),
        Err(_) => line.iter().map(|&b| char::from(b)).collect(),
    }
}

/// Decode exactly one reply from the front of `buf`: `Ok(Some((reply, consumed)))`,
/// `Ok(None)` when incomplete, `Err(msg)` when malformed. Lines end at the first
/// "\r\n" (a lone '\r' is part of the text), integers and lengths follow `string2ll`,
/// and -1 is the only negative length (null bulk / null array).
pub fn decode_reply(buf: &[u8]) -> Result<Option<(Reply, usize)>, String> {
    // Open arrays: items so far and the count announced.
    let mut stack: Vec<(Vec<Reply>, usize)> = Vec::new();
    let mut pos = 0usize;
    loop {
        let rest = buf.get(pos..).unwrap_or_default();
        let Some(&tag) = rest.first() else {
            return Ok(None);
        };
        if !matches!(tag, b'+' | b'-' | b':' | b'$' | b'*') {
            return Err(format!(
                "unknown reply type byte 0x{tag:02x} at offset {pos}"
            ));
        }
        let Some(cr) = find_crlf(rest, 1) else {
            return Ok(None);
        };
        let line = rest.get(1..cr).unwrap_or_default();
        let mut next = pos + cr + 2;
        let mut value = match tag {
            b'+' => Reply::Status(line_text(line)),
            b'-' => Reply::Error(line_text(line)),
            b':' => Reply::Integer(
                string2ll(line).ok_or_else(|| format!("invalid integer at offset {pos}"))?,
            ),
            b'$' => match string2ll(line) {
                Some(-1) => Reply::Bulk(None),
                Some(n) if n >= 0 => {
                    let data = buf.get(next..).unwrap_or_default();
                    let n = usize::try_from(n).map_err(|_| "bulk length too large".to_owned())?;
                    let Some(end) = n.checked_add(2).filter(|&e| e <= data.len()) else {
                        return Ok(None);
                    };
                    if data.get(n..end) != Some(b"\r\n".as_slice()) {
                        return Err(format!("bulk data not followed by CRLF at offset {pos}"));
                    }
                    next += end;
                    Reply::Bulk(Some(data.get(..n).unwrap_or_default().to_vec()))
                }
                _ => return Err(format!("invalid bulk length at offset {pos}")),
            },
            _ => match string2ll(line) {
                Some(-1) => Reply::Array(None),
                Some(0) => Reply::Array(Some(Vec::new())),
                Some(n) if n > 0 => {
                    if stack.len() >= MAX_REPLY_DEPTH {
                        return Err(format!("arrays nested deeper than {MAX_REPLY_DEPTH}"));
                    }
                    let n = usize::try_from(n).map_err(|_| "array length too large".to_owned())?;
                    stack.push((Vec::with_capacity(n.min(1024)), n));
                    pos = next;
                    continue;
                }
                _ => return Err(format!("invalid array length at offset {pos}")),
            },
        };
        pos = next;
        loop {
            let Some((items, expected)) = stack.last_mut() else {
                return Ok(Some((value, pos)));
            };
            items.push(value);
            if items.len() < *expected {
                break;
            }
            match stack.pop() {
                Some((items, _)) => value = Reply::Array(Some(items)),
                None => return Err("internal: array stack underflow".to_owned()),
            }
        }
    }
}

/// Encode a Reply back into bytes (inverse of [`decode_reply`] for values whose
/// status/error text has no CR or LF; such text is written verbatim, like Redis does).
/// `Error` text is written after a bare '-', with no `ERR ` added.
pub fn encode_reply(r: &Reply, out: &mut Vec<u8>) {
    let mut pending: Vec<std::slice::Iter<'_, Reply>> = Vec::new();
    let mut current = Some(r);
    loop {
        if let Some(reply) = current.take() {
            match reply {
                Reply::Status(s) => add_reply_status(out, s),
                Reply::Error(s) => {
                    out.push(b'-');
                    out.extend_from_slice(s.as_bytes());
                    out.extend_from_slice(b"\r\n");
                }
                Reply::Integer(n) => add_reply_integer(out, *n),
                Reply::Bulk(None) => add_reply_null(out),
                Reply::Bulk(Some(b)) => add_reply_bulk(out, b),
                Reply::Array(None) => add_reply_null_array(out),
                Reply::Array(Some(items)) => {
                    add_reply_array_len(out, items.len());
                    pending.push(items.iter());
                }
            }
        }
        let Some(top) = pending.last_mut() else {
            return;
        };
        match top.next() {
            Some(item) => current = Some(item),
            None => {
                pending.pop();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;

    type Outcome = (Vec<Vec<Vec<u8>>>, Option<Vec<u8>>);

    /// Parse everything in `buf`, asserting progress on every command.
    fn drain_commands(p: &mut RequestParser, buf: &mut Vec<u8>, out: &mut Outcome) -> bool {
        loop {
            let before = buf.len();
            match p.parse(buf) {
                ParseResult::Command(argv) => {
                    assert!(buf.len() < before, "command without progress");
                    out.0.push(argv);
                }
                ParseResult::Incomplete => return true,
                ParseResult::ProtocolError(e) => {
                    out.1 = Some(e);
                    return false;
                }
            }
        }
    }

    fn run_chunked(limits: ParserLimits, input: &[u8], cuts: &[usize]) -> Outcome {
        run_parser(RequestParser::new(limits), input, cuts)
    }

    /// Feed `input` in chunks whose sizes cycle through `cuts`, parsing after each.
    fn run_parser(mut p: RequestParser, input: &[u8], cuts: &[usize]) -> Outcome {
        let mut buf = Vec::new();
        let mut out = (Vec::new(), None);
        let mut rest = input;
        let mut cuts = cuts.iter().cycle();
        while !rest.is_empty() {
            let n = cuts
                .next()
                .copied()
                .unwrap_or(rest.len())
                .clamp(1, rest.len());
            let (chunk, tail) = rest.split_at(n);
            rest = tail;
            buf.extend_from_slice(chunk);
            if !drain_commands(&mut p, &mut buf, &mut out) {
                break;
            }
        }
        out
    }

    fn run_whole(limits: ParserLimits, input: &[u8]) -> Outcome {
        run_chunked(limits, input, &[input.len().max(1)])
    }

    fn parse_all(input: &[u8]) -> Outcome {
        run_whole(ParserLimits::default(), input)
    }

    fn first_result(input: &[u8]) -> ParseResult {
        RequestParser::default().parse(&mut input.to_vec())
    }

    fn first_error(input: &[u8]) -> Option<String> {
        parse_all(input)
            .1
            .map(|e| String::from_utf8_lossy(&e).into_owned())
    }

    fn args(list: &[&str]) -> Vec<Vec<u8>> {
        list.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    /// Bytes that look like protocol, to reach deep parser states: protocol tokens and
    /// valid requests, concatenated, then a few bytes overwritten.
    fn protocolish() -> impl Strategy<Value = Vec<u8>> {
        let token = prop_oneof![
            6 => vec(vec(any::<u8>(), 0..5), 0..4).prop_map(|a| encode_request(&a)),
            3 => Just(b"*".to_vec()),
            3 => Just(b"$".to_vec()),
            4 => "[0-9]{1,3}".prop_map(String::into_bytes),
            4 => Just(b"\r\n".to_vec()),
            1 => Just(b"\r".to_vec()),
            1 => Just(b"\n".to_vec()),
            1 => Just(b"-1".to_vec()),
            1 => Just(b"+".to_vec()),
            1 => Just(b"\"".to_vec()),
            1 => Just(b"'".to_vec()),
            1 => Just(b"\\x4".to_vec()),
            1 => Just(b" ".to_vec()),
            1 => Just(vec![0u8]),
            1 => vec(any::<u8>(), 0..6),
        ];
        let edits = vec((any::<prop::sample::Index>(), any::<u8>()), 0..3);
        (vec(token, 0..60), edits).prop_map(|(tokens, edits)| {
            let mut bytes = tokens.concat();
            for (at, b) in edits {
                if !bytes.is_empty() {
                    let i = at.index(bytes.len());
                    bytes[i] = b;
                }
            }
            bytes
        })
    }

    fn reply_strategy() -> impl Strategy<Value = Reply> {
        let leaf = prop_oneof![
            "[^\r\n]{0,16}".prop_map(Reply::Status),
            "[^\r\n]{0,16}".prop_map(Reply::Error),
            any::<i64>().prop_map(Reply::Integer),
            proptest::option::of(vec(any::<u8>(), 0..32)).prop_map(Reply::Bulk),
            Just(Reply::Array(None)),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            vec(inner, 0..6).prop_map(|v| Reply::Array(Some(v)))
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn never_panics_and_chunking_is_invisible(
            input in vec(any::<u8>(), 0..4096),
            cuts in vec(1usize..64, 1..16),
        ) {
            let whole = run_whole(ParserLimits::default(), &input);
            let chunked = run_chunked(ParserLimits::default(), &input, &cuts);
            prop_assert_eq!(whole, chunked);
        }

        #[test]
        fn protocolish_input_chunking_is_invisible(
            input in protocolish(),
            cuts in vec(1usize..16, 1..16),
            auth in any::<bool>(),
        ) {
            let run = |cuts: &[usize]| {
                let mut p = RequestParser::default();
                p.set_auth_required(auth);
                run_parser(p, &input, cuts)
            };
            prop_assert_eq!(run(&[input.len().max(1)]), run(&cuts));
        }

        #[test]
        fn never_panics_with_tiny_limits(
            input in protocolish(),
            cuts in vec(1usize..16, 1..8),
            inline_max_size in 0usize..24,
            proto_max_bulk_len in 0u64..8,
        ) {
            let limits = ParserLimits {
                inline_max_size,
                proto_max_bulk_len,
                max_multibulk_len: 3,
                ..ParserLimits::default()
            };
            run_chunked(limits.clone(), &input, &cuts);
            run_whole(limits, &input);
        }

        #[test]
        fn request_round_trip(
            argv in vec(vec(any::<u8>(), 0..300), 1..8),
            cuts in vec(1usize..40, 1..16),
        ) {
            let wire = encode_request(&argv);
            prop_assert_eq!(first_result(&wire), ParseResult::Command(argv.clone()));
            let chunked = run_chunked(ParserLimits::default(), &wire, &cuts);
            prop_assert_eq!(chunked, (vec![argv], None));
        }

        #[test]
        fn pipelined_requests_parse_in_order(
            reqs in vec(vec(vec(any::<u8>(), 0..40), 1..5), 1..6),
            cuts in vec(1usize..30, 1..8),
        ) {
            let wire: Vec<u8> = reqs.iter().flat_map(|r| encode_request(r)).collect();
            prop_assert_eq!(parse_all(&wire), (reqs.clone(), None));
            prop_assert_eq!(run_chunked(ParserLimits::default(), &wire, &cuts), (reqs, None));
        }

        #[test]
        fn reply_round_trip(reply in reply_strategy()) {
            let mut wire = Vec::new();
            encode_reply(&reply, &mut wire);
            prop_assert_eq!(decode_reply(&wire), Ok(Some((reply, wire.len()))));
            for cut in 0..wire.len() {
                prop_assert_eq!(decode_reply(&wire[..cut]), Ok(None));
            }
        }

        #[test]
        /// Damaged encodings never panic the decoder; whatever still decodes re-encodes to
        /// exactly the bytes it was decoded from.
        #[test]
        fn damaged_replies_decode_or_fail_cleanly(
            reply in reply_strategy(),
            damage in vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        ) {
            let mut wire = Vec::new();
            encode_reply(&reply, &mut wire);
            for (at, byte) in damage {
                let i = at.index(wire.len());
                wire[i] = byte;
            }
            if let Ok(Some((decoded, used))) = decode_reply(&wire) {
                prop_assert!(used <= wire.len());
                let mut again = Vec::new();
                encode_reply(&decoded, &mut again);
                prop_assert_eq!(decode_reply(&again), Ok(Some((decoded, again.len()))));
            }
        }
    }

    #[test]
    fn inline_commands() {
        assert_eq!(
            first_result(b"SET k v\r\n"),
            ParseResult::Command(args(&["SET", "k", "v"]))
        );
        assert_eq!(
            first_result(b"SET k v\n"),
            ParseResult::Command(args(&["SET", "k", "v"]))
        );
        assert_eq!(
            first_result(b"SET \"a b\" 'x' \"\\x41\"\r\n"),
            ParseResult::Command(args(&["SET", "a b", "x", "A"]))
        );
        assert_eq!(first_result(b"SET k v"), ParseResult::Incomplete);
        assert_eq!(
            first_result(b"  GET\tk  \r\n"),
            ParseResult::Command(args(&["GET", "k"]))
        );
    }

    #[test]
    fn inline_lone_cr_splits_arguments() {
        assert_eq!(
            first_result(b"a\rb\n"),
            ParseResult::Command(args(&["a", "b"]))
        );
    }

    #[test]
    fn empty_lines_and_non_positive_counts_are_skipped() {
        let (cmds, err) = parse_all(b"\r\n\n   \r\n*0\r\n*-1\r\n*-7\r\nPING\r\n");
        assert_eq!(cmds, vec![args(&["PING"])]);
        assert_eq!(err, None);
    }

    #[test]
    fn mixed_inline_and_multibulk_pipeline() {
        let mut wire = b"PING\r\n".to_vec();
        wire.extend(encode_request(&["SET", "k", "v"]));
        wire.extend_from_slice(b"GET k\n");
        let (cmds, err) = parse_all(&wire);
        assert_eq!(
            cmds,
            vec![
                args(&["PING"]),
                args(&["SET", "k", "v"]),
                args(&["GET", "k"])
            ]
        );
        assert_eq!(err, None);
    }

    #[test]
    fn split_args_like_sdssplitargs() {
        let split = |s: &[u8]| sds_split_args(s);
        assert_eq!(split(b""), Some(vec![]));
        assert_eq!(split(b"   "), Some(vec![]));
        assert_eq!(split(b"foo bar"), Some(args(&["foo", "bar"])));
        assert_eq!(
            split(b"\"a\\nb\\t\\r\\a\\b\\q\""),
            Some(vec![b"a\nb\t\r\x07\x08q".to_vec()])
        );
        assert_eq!(split(b"\"\\xff\\x00z\""), Some(vec![vec![0xff, 0, b'z']]));
        assert_eq!(split(b"\"\\x4\""), Some(args(&["x4"])));
        assert_eq!(split(b"'it\\'s' '\\n'"), Some(args(&["it's", "\\n"])));
        assert_eq!(split(b"a\"b c\"d"), None);
        assert_eq!(split(b"a\"b c\" d"), Some(args(&["ab c", "d"])));
        assert_eq!(split(b"\"foo\"bar"), None);
        assert_eq!(split(b"'foo'bar"), None);
        assert_eq!(split(b"\"foo\"\x0bbar"), Some(args(&["foo", "bar"])));
        assert_eq!(split(b"a\x0bb"), Some(vec![b"a\x0bb".to_vec()]));
        assert_eq!(split(b"\"unbalanced"), None);
        assert_eq!(split(b"'unbalanced"), None);
        assert_eq!(split(b"\"ends with backslash\\"), None);
        assert_eq!(split(b"\"\""), Some(vec![vec![]]));
        assert_eq!(split(b"abc\0def"), Some(args(&["abc"])));
    }

    #[test]
    fn string2ll_is_strict() {
        assert_eq!(string2ll(b"0"), Some(0));
        assert_eq!(string2ll(b"-1"), Some(-1));
        assert_eq!(string2ll(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(string2ll(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"+1",
            b" 1",
            b"1 ",
            b"01",
            b"-0",
            b"00",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"99999999999999999999",
            b"1x",
        ] {
            assert_eq!(string2ll(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn error_unbalanced_quotes() {
        assert_eq!(
            first_error(b"\"unbalanced\r\n").as_deref(),
            Some(ERR_UNBALANCED_QUOTES)
        );
        assert_eq!(
            first_error(b"SET 'a'b\r\n").as_deref(),
            Some(ERR_UNBALANCED_QUOTES)
        );
    }

    #[test]
    fn error_too_big_inline_request() {
        let mut input = vec![b'a'; PROTO_INLINE_MAX_SIZE];
        assert_eq!(first_result(&input), ParseResult::Incomplete);
        input.push(b'a');
        assert_eq!(
            first_result(&input),
            ParseResult::ProtocolError(ERR_TOO_BIG_INLINE_REQUEST.into())
        );
    }

    #[test]
    fn inline_nul_hides_newline_until_too_big() {
        let mut input = b"GET\0k\r\n".to_vec();
        assert_eq!(first_result(&input), ParseResult::Incomplete);
        input.resize(PROTO_INLINE_MAX_SIZE + 1, b'\n');
        assert_eq!(
            first_result(&input),
            ParseResult::ProtocolError(ERR_TOO_BIG_INLINE_REQUEST.into())
        );
    }

    #[test]
    fn error_too_big_mbulk_count_string() {
        let mut input = b"*".to_vec();
        input.resize(PROTO_INLINE_MAX_SIZE, b'1');
        assert_eq!(first_result(&input), ParseResult::Incomplete);
        input.push(b'1');
        assert_eq!(
            first_result(&input),
            ParseResult::ProtocolError(ERR_TOO_BIG_MBULK_COUNT.into())
        );
        // strchr(): a NUL hides a later '\r'.
        let mut hidden = b"*1\0\r\n".to_vec();
        assert_eq!(first_result(&hidden), ParseResult::Incomplete);
        hidden.resize(PROTO_INLINE_MAX_SIZE + 1, b'x');
        assert_eq!(
            first_result(&hidden),
            ParseResult::ProtocolError(ERR_TOO_BIG_MBULK_COUNT.into())
        );
    }

    #[test]
    fn error_too_big_bulk_count_string() {
        let mut input = b"*1\r\n$".to_vec();
        input.resize(4 + PROTO_INLINE_MAX_SIZE, b'1');
        assert_eq!(first_result(&input), ParseResult::Incomplete);
        input.push(b'1');
        assert_eq!(
            first_result(&input),
            ParseResult::ProtocolError(ERR_TOO_BIG_BULK_COUNT.into())
        );
    }

    #[test]
    fn error_invalid_multibulk_length() {
        for input in [
            &b"*abc\r\n"[..],
            b"*\r\n",
            b"*+1\r\n",
            b"*01\r\n",
            b"* 1\r\n",
            b"*2147483648\r\n",
            b"*9223372036854775808\r\n",
        ] {
            assert_eq!(
                first_error(input).as_deref(),
                Some(ERR_INVALID_MULTIBULK_LEN),
                "{input:?}"
            );
        }
        assert_eq!(first_result(b"*2147483647\r\n"), ParseResult::Incomplete);
    }

    #[test]
    fn error_expected_dollar() {
        assert_eq!(
            first_error(b"*1\r\n+x\r\n").as_deref(),
            Some("ERR Protocol error: expected '$', got '+'")
        );
        assert_eq!(
            first_error(b"*1\r\n\r\n").as_deref(),
            Some("ERR Protocol error: expected '$', got ' '")
        );
        assert_eq!(
            first_error(b"*1\r\n\n\r\n").as_deref(),
            Some("ERR Protocol error: expected '$', got ' '")
        );
        assert_eq!(
            first_error(b"*1\r\n\0\r\n").as_deref(),
            Some("ERR Protocol error: expected '$', got '\0'")
        );
        assert_eq!(
            parse_all(b"*1\r\n\xff\r\n").1.as_deref(),
            Some(&b"ERR Protocol error: expected '$', got '\xff'"[..])
        );
        // The check waits for a complete line.
        assert_eq!(first_result(b"*1\r\n+x"), ParseResult::Incomplete);
    }

    #[test]
    fn error_invalid_bulk_length() {
        for input in [
            &b"*1\r\n$-5\r\n"[..],
            b"*1\r\n$-1\r\n",
            b"*1\r\n$\r\n",
            b"*1\r\n$x\r\n",
            b"*1\r\n$1\0\r\n",
            b"*1\r\n$536870913\r\n",
        ] {
            assert_eq!(
                first_error(input).as_deref(),
                Some(ERR_INVALID_BULK_LEN),
                "{input:?}"
            );
        }
        assert_eq!(
            first_result(b"*1\r\n$536870912\r\n"),
            ParseResult::Incomplete
        );
    }

    #[test]
    fn error_unauthenticated_lengths() {
        let run = |input: &[u8]| {
            let mut p = RequestParser::default();
            p.set_auth_required(true);
            p.parse(&mut input.to_vec())
        };
        assert_eq!(
            run(b"*11\r\n"),
            ParseResult::ProtocolError(ERR_UNAUTH_MULTIBULK_LEN.into())
        );
        assert_eq!(run(b"*10\r\n"), ParseResult::Incomplete);
        assert_eq!(
            run(b"*3000000000\r\n"),
            ParseResult::ProtocolError(ERR_INVALID_MULTIBULK_LEN.into())
        );
        assert_eq!(
            run(b"*1\r\n$16385\r\n"),
            ParseResult::ProtocolError(ERR_UNAUTH_BULK_LEN.into())
        );
        assert_eq!(run(b"*1\r\n$16384\r\n"), ParseResult::Incomplete);
        assert_eq!(
            run(b"*1\r\n$-2\r\n"),
            ParseResult::ProtocolError(ERR_INVALID_BULK_LEN.into())
        );
        assert_eq!(first_result(b"*11\r\n"), ParseResult::Incomplete);
    }

    #[test]
    fn error_is_sticky_and_keeps_redis_buffer_position() {
        let mut p = RequestParser::default();
        let mut buf = b"*2\r\n$1\r\na\r\n+x\r\nPING\r\n".to_vec();
        let expected =
            ParseResult::ProtocolError("ERR Protocol error: expected '$', got '+'".into());
        assert_eq!(p.parse(&mut buf), expected);
        assert_eq!(buf, b"+x\r\nPING\r\n");
        assert_eq!(p.parse(&mut buf), expected);
        assert_eq!(buf, b"+x\r\nPING\r\n");
    }

    #[test]
    fn bytes_after_cr_and_after_data_are_not_checked() {
        assert_eq!(
            first_result(b"*1\rX$1\r\naXY"),
            ParseResult::Command(args(&["a"]))
        );
        assert_eq!(
            first_result(b"*1\r\n$1\rZaXY"),
            ParseResult::Command(args(&["a"]))
        );
    }

    #[test]
    fn incomplete_drains_completed_arguments() {
        let mut p = RequestParser::default();
        let mut buf = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r".to_vec();
        assert_eq!(p.parse(&mut buf), ParseResult::Incomplete);
        assert_eq!(buf, b"$1\r");
        buf.extend_from_slice(b"\nv\r\n");
        assert_eq!(
            p.parse(&mut buf),
            ParseResult::Command(args(&["SET", "k", "v"]))
        );
        assert!(buf.is_empty());
    }

    #[test]
    fn byte_at_a_time_long_lines_stay_linear() {
        let mut p = RequestParser::default();
        let mut buf = Vec::new();
        for _ in 0..PROTO_INLINE_MAX_SIZE - 8 {
            buf.push(b'a');
            assert_eq!(p.parse(&mut buf), ParseResult::Incomplete);
        }
        buf.push(b'\n');
        assert!(matches!(p.parse(&mut buf), ParseResult::Command(a) if a.len() == 1));
        // Each byte is searched once: re-searching the line from its start would be quadratic.
        assert!(
            p.examined <= 2 * PROTO_INLINE_MAX_SIZE,
            "examined {}",
            p.examined
        );

        let mut input = b"*1\r\n$".to_vec();
        input.extend(std::iter::repeat_n(b'1', PROTO_INLINE_MAX_SIZE - 8));
        input.extend_from_slice(b"\r\n");
        let mut buf = Vec::new();
        let mut last = ParseResult::Incomplete;
        for &b in &input {
            buf.push(b);
            last = p.parse(&mut buf);
        }
        assert_eq!(
            last,
            ParseResult::ProtocolError(ERR_INVALID_BULK_LEN.into())
        );
    }

    #[test]
    fn reply_encoders() {
        let mut out = Vec::new();
        add_reply_status(&mut out, "OK");
        add_reply_error(&mut out, b"unknown command");
        add_reply_error(&mut out, b"-WRONGTYPE Operation against a key");
        add_reply_error(&mut out, b"");
        add_reply_error_format(&mut out, b"\r\nbad\r\nthing\n");
        add_reply_integer(&mut out, 0);
        add_reply_integer(&mut out, i64::MIN);
        add_reply_bulk(&mut out, b"hi");
        add_reply_bulk(&mut out, b"");
        add_reply_null(&mut out);
        add_reply_null_array(&mut out);
        add_reply_array_len(&mut out, 12);
        assert_eq!(
            out,
            b"+OK\r\n-ERR unknown command\r\n-WRONGTYPE Operation against a key\r\n-ERR \r\n\
              -ERR bad  thing\r\n:0\r\n:-9223372036854775808\r\n$2\r\nhi\r\n$0\r\n\r\n\
              $-1\r\n*-1\r\n*12\r\n"
        );
        assert_eq!(bulk_header(1234), b"$1234\r\n");
        assert_eq!(
            encode_request(&["SET", "k", ""]),
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"
        );
    }

    #[test]
    fn protocol_error_matches_decoded_wire_line() {
        let mut wire = Vec::new();
        add_reply_error(&mut wire, b"Protocol error: invalid multibulk length");
        assert_eq!(
            decode_reply(&wire),
            Ok(Some((
                Reply::Error(ERR_INVALID_MULTIBULK_LEN.into()),
                wire.len()
            )))
        );
        // A byte >= 0x80 goes out raw, as Redis sends it.
        let raw = b"-ERR Protocol error: expected '$', got '\xff'\r\n";
        let ParseResult::ProtocolError(text) = first_result(b"*1\r\n\xff\r\n") else {
            panic!("expected a protocol error");
        };
        assert_eq!([&b"-"[..], &text, b"\r\n"].concat(), raw);
    }

    #[test]
    fn decode_reply_rejects_malformed() {
        for bad in [
            &b"?x\r\n"[..],
            b":1.5\r\n",
            b"$-2\r\n",
            b"*-2\r\n",
            b"$1\r\nab\r\n",
            b"*1\r\n!\r\n",
        ] {
            assert!(decode_reply(bad).is_err(), "{bad:?}");
        }
        let deep = b"*1\r\n".repeat(MAX_REPLY_DEPTH + 1);
        assert!(decode_reply(&deep).is_err());
        assert_eq!(decode_reply(&b"*1\r\n".repeat(MAX_REPLY_DEPTH)), Ok(None));
    }

    #[test]
    fn decode_reply_consumes_one_reply() {
        let wire = b"*2\r\n$3\r\nfoo\r\n*0\r\n:7\r\n";
        assert_eq!(
            decode_reply(wire),
            Ok(Some((
                Reply::Array(Some(vec![
                    Reply::Bulk(Some(b"foo".to_vec())),
                    Reply::Array(Some(vec![]))
                ])),
                wire.len() - 4
            )))
        );
        assert_eq!(
            decode_reply(b"+a\rb\r\n"),
            Ok(Some((Reply::Status("a\rb".into()), 6)))
        );
    }
}
