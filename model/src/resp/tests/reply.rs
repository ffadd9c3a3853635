//! The reply encoders and the reply decoder.

use super::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

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
