//! Unit tests of [`crate::resp`]: the parser (`parse`) and the reply values (`reply`), with the
//! shared drivers and proptest strategies below.

use super::*;
use proptest::collection::vec;
use proptest::prelude::*;

mod parse;
mod reply;

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
