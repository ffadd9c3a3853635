//! Request parsing: the twins of `processInlineBuffer` and `processMultibulkBuffer`
//! (src/networking.c @ f36ee257) and of `sdssplitargs` (src/sds.c @ 034241812f30), with
//! Redis's limits and its exact `Protocol error: …` texts. What is modelled and left out:
//! [the module doc](super).
//!
//! Invariant protected: the parser never panics and always terminates; any chunking of the
//! input gives the same commands and the same error as feeding it at once.

use crate::util::string2ll;

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
    /// Whether the last command returned came from an inline request (Redis makes inline
    /// arguments RAW strings, multibulk ones EMBSTR up to 44 bytes).
    last_inline: bool,
    /// Bytes examined by line searches (tests check the parser stays linear).
    #[cfg(test)]
    pub(super) examined: usize,
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

    /// Whether the last [`ParseResult::Command`] came from an inline request
    /// (`processInlineBuffer`, whose arguments are always `createObject(OBJ_STRING, sds)`: RAW).
    pub fn last_was_inline(&self) -> bool {
        self.last_inline
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

    /// [`RequestParser::parse`] of `input` without a buffer: the result and how many bytes
    /// from the front of `input` it consumed. The next call must pass the unconsumed rest,
    /// possibly extended (as `parse` leaves it in its buffer).
    pub fn parse_from(&mut self, input: &[u8]) -> (ParseResult, usize) {
        self.parse_slice(input)
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
            let inline = self.multibulklen == 0 && first != b'*';
            let step = if inline {
                self.process_inline_buffer(rest)
            } else {
                self.process_multibulk_buffer(rest)
            };
            match step {
                Step::Parsed(argv, used) => {
                    pos = pos.saturating_add(used);
                    if !argv.is_empty() {
                        self.last_inline = inline;
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
