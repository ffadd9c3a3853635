//! RESP2 encoding: requests (what a client sends) and the reply encoders (`addReplyStatus`,
//! `addReplyError`, `addReplyErrorFormat`'s sanitising, `addReplyLongLong`, `addReplyBulk*`,
//! `addReplyNull`, `addReplyNullArray`, `addReplyArrayLen` of src/networking.c @ f36ee257)
//! writing into a byte buffer. Pure functions: the model's networking layer decides where the
//! bytes go (a reply block the ledger tracks).

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
