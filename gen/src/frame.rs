//! Request framing: a command as a RESP multibulk or as an inline line, or a malformed frame
//! (each kind one of Redis's `Protocol error` paths, or an input Redis ignores).
//!
//! Consumers own what follows a protocol error: Redis replies with the error and closes the
//! connection, so later frames of the same stream get no reply.

use crate::Cmd;
use arbitrary::Arbitrary;

/// A malformed or degenerate request (networking.c `processMultibulkBuffer` /
/// `processInlineBuffer`).
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Malformed {
    /// `*x` → invalid multibulk length.
    BadMultibulkLen,
    /// `*2147483648` (above `INT_MAX`) → invalid multibulk length.
    MultibulkTooBig,
    /// `$x` → invalid bulk length.
    BadBulkLen,
    /// `$536870913` (above proto-max-bulk-len) → invalid bulk length.
    BulkTooBig,
    /// A bare word where `$` is expected → expected '$', got 'G'.
    ExpectedDollar,
    /// `GET "a` → unbalanced quotes in request.
    UnbalancedQuotes,
    /// 70 000 bytes without a newline → too big inline request.
    TooBigInline,
    /// `*` and 70 000 digits without a newline → too big mbulk count string.
    TooBigMbulkCount,
    /// An empty inline line: ignored, no reply.
    EmptyLine,
    /// `*-1` and `*0`: ignored, no reply.
    EmptyMultibulk,
    /// `POST / HTTP/1.1`: Redis's cross-protocol guard closes the connection, no reply.
    HttpPost,
}

impl Malformed {
    /// Every kind, in declaration order (the order `arbitrary` decodes them by).
    pub const ALL: [Malformed; 11] = [
        Malformed::BadMultibulkLen,
        Malformed::MultibulkTooBig,
        Malformed::BadBulkLen,
        Malformed::BulkTooBig,
        Malformed::ExpectedDollar,
        Malformed::UnbalancedQuotes,
        Malformed::TooBigInline,
        Malformed::TooBigMbulkCount,
        Malformed::EmptyLine,
        Malformed::EmptyMultibulk,
        Malformed::HttpPost,
    ];

    /// The frame's bytes.
    pub fn bytes(self) -> Vec<u8> {
        match self {
            Malformed::BadMultibulkLen => b"*x\r\n".to_vec(),
            Malformed::MultibulkTooBig => b"*2147483648\r\n".to_vec(),
            Malformed::BadBulkLen => b"*1\r\n$x\r\n".to_vec(),
            Malformed::BulkTooBig => b"*1\r\n$536870913\r\n".to_vec(),
            Malformed::ExpectedDollar => b"*1\r\nGET\r\n".to_vec(),
            Malformed::UnbalancedQuotes => b"GET \"a\r\n".to_vec(),
            Malformed::TooBigInline => vec![b'a'; 70_000],
            Malformed::TooBigMbulkCount => {
                let mut v = vec![b'1'; 70_001];
                v[0] = b'*';
                v
            }
            Malformed::EmptyLine => b"\r\n".to_vec(),
            Malformed::EmptyMultibulk => b"*-1\r\n*0\r\n".to_vec(),
            Malformed::HttpPost => b"POST / HTTP/1.1\r\n".to_vec(),
        }
    }

    /// Whether Redis answers with a protocol error and closes the connection.
    pub fn closes(self) -> bool {
        !matches!(self, Malformed::EmptyLine | Malformed::EmptyMultibulk)
    }
}

/// One request on the wire.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Frame {
    /// `*<n>\r\n$<len>\r\n<arg>\r\n…`.
    Multibulk(Cmd),
    /// The same command as an inline line (arguments quoted where needed).
    Inline(Cmd),
    /// A malformed or degenerate frame.
    Malformed(Malformed),
}

/// Encode an argument vector as a RESP multibulk request.
pub fn encode_multibulk(argv: &[Vec<u8>]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", argv.len()).into_bytes();
    for a in argv {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Quote an inline argument the way `sdssplitargs` reads it back: plain when it is non-empty
/// printable ASCII without space or quotes, else `"…"` with `\xHH` escapes.
fn inline_arg(a: &[u8], out: &mut Vec<u8>) {
    let plain = !a.is_empty()
        && a.iter()
            .all(|&b| b.is_ascii_graphic() && b != b'"' && b != b'\'' && b != b'\\');
    if plain {
        out.extend_from_slice(a);
        return;
    }
    out.push(b'"');
    for &b in a {
        if b.is_ascii_graphic() && b != b'"' && b != b'\\' || b == b' ' {
            out.push(b);
        } else {
            out.extend_from_slice(format!("\\x{b:02x}").as_bytes());
        }
    }
    out.push(b'"');
}

impl Frame {
    /// The command the frame carries (`None` for a malformed frame).
    pub fn command(&self) -> Option<&Cmd> {
        match self {
            Frame::Multibulk(c) | Frame::Inline(c) => Some(c),
            Frame::Malformed(_) => None,
        }
    }

    /// The frame's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Frame::Multibulk(c) => encode_multibulk(&c.argv()),
            Frame::Inline(c) => {
                let mut out = Vec::new();
                for (i, a) in c.argv().iter().enumerate() {
                    if i > 0 {
                        out.push(b' ');
                    }
                    inline_arg(a, &mut out);
                }
                out.extend_from_slice(b"\r\n");
                out
            }
            Frame::Malformed(m) => m.bytes(),
        }
    }

    /// Whether the differential lane may send it ([`Cmd::in_differential_scope`]; malformed
    /// frames always).
    pub fn in_differential_scope(&self) -> bool {
        self.command().is_none_or(Cmd::in_differential_scope)
    }

    /// Whether Redis closes the connection after this frame (protocol error or guard).
    pub fn closes(&self) -> bool {
        matches!(self, Frame::Malformed(m) if m.closes())
    }
}

/// The frames of a differential case as sent: inside a transaction (after a `MULTI`, up to the
/// `EXEC` or `DISCARD` that ends it, or a frame that closes the connection) the commands whose
/// replies cannot be compared inside EXEC's array ([`Cmd::comparable_in_exec`]) are left out;
/// every other frame is kept, in order. (A nested `MULTI` is an error that leaves the
/// transaction open; `EXEC` after a rejected command ends it with `EXECABORT`.)
pub fn comparable_in_transactions(frames: Vec<Frame>) -> Vec<Frame> {
    let mut in_tx = false;
    let mut out = Vec::with_capacity(frames.len());
    for f in frames {
        match f.command() {
            Some(c) if in_tx && !c.comparable_in_exec() => continue,
            Some(Cmd::Multi) => in_tx = true,
            Some(Cmd::Exec | Cmd::Discard) => in_tx = false,
            _ if f.closes() => in_tx = false,
            _ => {}
        }
        out.push(f);
    }
    out
}

#[cfg(test)]
mod tx_tests {
    use super::*;
    use crate::{Key, Num};

    #[test]
    fn uncomparable_commands_leave_transactions_only() {
        let m = Frame::Multibulk;
        let frames = vec![
            m(Cmd::Ttl(Key::A)),
            m(Cmd::Multi),
            m(Cmd::Ttl(Key::A)),
            m(Cmd::HGetAll(Key::A)),
            m(Cmd::Get(Key::A)),
            m(Cmd::Multi),
            Frame::Inline(Cmd::Info),
            m(Cmd::Exec),
            m(Cmd::PTtl(Key::A)),
            m(Cmd::Multi),
            Frame::Malformed(Malformed::BadBulkLen),
            m(Cmd::Expire(Key::A, Num(1), Some(crate::ExpireFlag::Gt))),
        ];
        let kept = comparable_in_transactions(frames);
        assert_eq!(
            kept,
            vec![
                m(Cmd::Ttl(Key::A)),
                m(Cmd::Multi),
                m(Cmd::Get(Key::A)),
                m(Cmd::Multi),
                m(Cmd::Exec),
                m(Cmd::PTtl(Key::A)),
                m(Cmd::Multi),
                Frame::Malformed(Malformed::BadBulkLen),
                m(Cmd::Expire(Key::A, Num(1), Some(crate::ExpireFlag::Gt))),
            ]
        );
    }
}
