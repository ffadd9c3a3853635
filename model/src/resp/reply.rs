//! RESP2 reply values: a decoder ([`decode_reply`]) that splits a reply stream into values,
//! and its inverse ([`encode_reply`]). For tests, the differential lane and reports; the
//! server never decodes replies.

use super::encode::{
    add_reply_array_len, add_reply_bulk, add_reply_integer, add_reply_null, add_reply_null_array,
    add_reply_status,
};
use crate::util::string2ll;

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
