//! `resp_request`: raw bytes into the request parser ([`refrace_model::resp::RequestParser`]).
//!
//! The first byte picks the parser's limits (Redis's defaults, or small ones so the size
//! checks are reachable with short inputs), whether authentication is required, and a chunk
//! size; the rest is the peer's byte stream. Checked (the parser's documented invariant):
//! - it never panics and terminates (libFuzzer's timeout catches a hang): every command
//!   consumes bytes;
//! - every protocol error is one of the lines Redis sends;
//! - fed whole or in chunks, the stream yields the same commands and the same error while the
//!   input stays within `inline_max_size`;
//! - each parsed command, re-encoded as a multibulk request, parses back to itself.

use refrace_model::resp::{self, ParseResult, ParserLimits, RequestParser};
use refrace_model::Invariant;

/// What a stream parsed to: its commands, then the protocol error that ended it, if any.
#[derive(Debug, PartialEq, Eq)]
struct Parsed {
    commands: Vec<Vec<Vec<u8>>>,
    error: Option<Vec<u8>>,
}

fn limits(small: bool) -> ParserLimits {
    if small {
        ParserLimits {
            inline_max_size: 64,
            proto_max_bulk_len: 32,
            max_multibulk_len: 8,
            unauth_max_multibulk_len: 3,
            unauth_max_bulk_len: 5,
        }
    } else {
        ParserLimits::default()
    }
}

fn parser(small: bool, auth: bool) -> RequestParser {
    let mut p = RequestParser::new(limits(small));
    p.set_auth_required(auth);
    p
}

/// Feed `chunks` in order, parsing after each until the parser needs more.
fn parse_stream<'a>(mut p: RequestParser, chunks: impl Iterator<Item = &'a [u8]>) -> Parsed {
    let mut out = Parsed {
        commands: Vec::new(),
        error: None,
    };
    let mut buf = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            let before = buf.len();
            match p.parse(&mut buf) {
                ParseResult::Command(argv) => {
                    assert!(
                        buf.len() < before,
                        "INVARIANT {}: a command consumed no bytes",
                        Invariant::FuzzParserProgress
                    );
                    out.commands.push(argv);
                }
                ParseResult::Incomplete => break,
                ParseResult::ProtocolError(e) => {
                    out.error = Some(e);
                    return out;
                }
            }
        }
    }
    out
}

/// Whether `e` is a protocol error line Redis sends (networking.c @ f36ee257).
fn is_redis_protocol_error(e: &[u8]) -> bool {
    const FIXED: &[&str] = &[
        resp::ERR_TOO_BIG_INLINE_REQUEST,
        resp::ERR_UNBALANCED_QUOTES,
        resp::ERR_TOO_BIG_MBULK_COUNT,
        resp::ERR_TOO_BIG_BULK_COUNT,
        resp::ERR_INVALID_MULTIBULK_LEN,
        resp::ERR_UNAUTH_MULTIBULK_LEN,
        resp::ERR_INVALID_BULK_LEN,
        resp::ERR_UNAUTH_BULK_LEN,
    ];
    if FIXED.iter().any(|f| f.as_bytes() == e) {
        return true;
    }
    // `expected '$', got '%c'` with CR and LF shown as spaces.
    let head = b"ERR Protocol error: expected '$', got '";
    e.len() == head.len() + 2
        && e.starts_with(head)
        && e[head.len()] != b'$'
        && e[head.len()] != b'\r'
        && e[head.len()] != b'\n'
        && e[head.len() + 1] == b'\''
}

/// The `resp_request` target.
pub fn resp_request(data: &[u8]) {
    let Some((&mode, input)) = data.split_first() else {
        return;
    };
    let (small, auth) = (mode & 1 != 0, mode & 2 != 0);
    let chunk = usize::from(mode >> 2) + 1;
    let whole = parse_stream(parser(small, auth), std::iter::once(input));
    let chunked = parse_stream(parser(small, auth), input.chunks(chunk));
    for e in whole.error.iter().chain(&chunked.error) {
        assert!(
            is_redis_protocol_error(e),
            "INVARIANT {}: {:?} is not a reply Redis sends",
            Invariant::FuzzProtocolErrorText,
            String::from_utf8_lossy(e)
        );
    }
    if input.len() <= limits(small).inline_max_size {
        assert!(
            whole == chunked,
            "INVARIANT {}: whole {whole:?} vs chunks of {chunk}: {chunked:?}",
            Invariant::FuzzParserChunking
        );
    }
    // Round trip (default limits, so an argument allowed by the small ones stays allowed).
    for argv in &whole.commands {
        let mut wire = resp::encode_request(argv);
        let back = parser(false, false).parse(&mut wire);
        assert!(
            back == ParseResult::Command(argv.clone()) && wire.is_empty(),
            "INVARIANT {}: {argv:?} re-encoded parsed as {back:?}",
            Invariant::FuzzParserRoundTrip
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Negative controls: the checks reject what Redis never sends.
    #[test]
    fn error_texts_are_checked() {
        assert!(is_redis_protocol_error(
            resp::ERR_INVALID_BULK_LEN.as_bytes()
        ));
        assert!(is_redis_protocol_error(
            b"ERR Protocol error: expected '$', got 'G'"
        ));
        assert!(!is_redis_protocol_error(
            b"ERR Protocol error: expected '$', got '$'"
        ));
        assert!(!is_redis_protocol_error(
            b"ERR Protocol error: invalid length"
        ));
    }

    #[test]
    fn streams_parse_alike_in_chunks() {
        for mode in 0u8..=255 {
            let mut data = vec![mode];
            data.extend_from_slice(
                b"*2\r\n$3\r\nGET\r\n$1\r\na\r\nPING x\r\n\r\n*-1\r\n*1\r\n$x\r\n",
            );
            resp_request(&data);
        }
        let p = parse_stream(parser(false, false), b"SET a b\r\n*1\r\nG\r\n".chunks(3));
        assert_eq!(
            p.commands,
            vec![vec![b"SET".to_vec(), b"a".to_vec(), b"b".to_vec()]]
        );
        assert_eq!(
            p.error.as_deref(),
            Some(&b"ERR Protocol error: expected '$', got 'G'"[..])
        );
    }
}
