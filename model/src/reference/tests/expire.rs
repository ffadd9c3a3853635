//! Expire commands.

use super::*;

#[test]
fn expire_family() {
    let mut r = fresh(&[
        ("EXPIRE nope 10", ":0\r\n"),
        ("SET k v", "+OK\r\n"),
        ("EXPIRE k 10 XX", ":0\r\n"),
        ("EXPIRE k 10 GT", ":0\r\n"),
        ("EXPIRE k 100 LT", ":1\r\n"),
        ("TTL k", ":100\r\n"),
        ("EXPIRE k 10 NX", ":0\r\n"),
        ("EXPIRE k 200 gt", ":1\r\n"),
        ("EXPIRE k 50 LT", ":1\r\n"),
        ("EXPIRE k 60 LT", ":0\r\n"),
        ("PEXPIRE k 1500 xx", ":1\r\n"),
        ("PTTL k", ":1500\r\n"),
        ("EXPIRE k 10 foo", "-ERR Unsupported option foo\r\n"),
        ("EXPIRE k abc foo", "-ERR Unsupported option foo\r\n"),
        (
            "EXPIRE k 10 NX XX",
            "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n",
        ),
        (
            "EXPIRE k 10 GT LT",
            "-ERR GT and LT options at the same time are not compatible\r\n",
        ),
        ("EXPIRE k abc", NOT_INT),
        (
            "EXPIRE k 9223372036854776",
            "-ERR invalid expire time in 'expire' command\r\n",
        ),
        (
            "EXPIRE k -9223372036854776",
            "-ERR invalid expire time in 'expire' command\r\n",
        ),
        (
            "PEXPIRE k 9223372036854775807",
            "-ERR invalid expire time in 'pexpire' command\r\n",
        ),
        ("PERSIST k", ":1\r\n"),
        ("PERSIST k", ":0\r\n"),
        ("PERSIST nope", ":0\r\n"),
        ("TTL k", ":-1\r\n"),
        ("PTTL nope", ":-2\r\n"),
        ("EXPIRE k 0", ":1\r\n"),
        ("EXISTS k", ":0\r\n"),
        ("SET k v", "+OK\r\n"),
        ("PEXPIRE k -1 NX", ":1\r\n"),
        ("GET k", "$-1\r\n"),
        ("SET k v EX 10", "+OK\r\n"),
    ]);
    let bad = vec![
        b"EXPIRE".to_vec(),
        b"k".to_vec(),
        b"1".to_vec(),
        b"\r\nx\n".to_vec(),
    ];
    // Like addReplyErrorFormat: trailing CR/LF trimmed, inner ones turned into spaces.
    assert_eq!(r.execute(&bad, T0), b"-ERR Unsupported option   x\r\n");
    // Expired once `now > when` (db.c keyIsExpired): 1 ms after the 10 s.
    script(
        &mut r,
        T0 + 10_001,
        &[("PERSIST k", ":0\r\n"), ("EXPIRE k 5", ":0\r\n")],
    );
}
