//! The request parser: chunking is invisible, round trips, and each protocol error.

use super::*;

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
    let expected = ParseResult::ProtocolError("ERR Protocol error: expected '$', got '+'".into());
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
