//! Strings.

use super::*;

#[test]
fn set_and_get_options() {
    fresh(&[
        ("SET k v", "+OK\r\n"),
        ("GET k", "$1\r\nv\r\n"),
        ("GET nope", "$-1\r\n"),
        ("SET k v2 NX", "$-1\r\n"),
        ("SET k v2 XX", "+OK\r\n"),
        ("SET n v XX", "$-1\r\n"),
        ("SET k v3 nx GET", "$2\r\nv2\r\n"),
        ("SET k v3 GET", "$2\r\nv2\r\n"),
        ("SET n v GET", "$-1\r\n"),
        ("GET n", "$1\r\nv\r\n"),
        ("SET k v NX XX", SYNTAX),
        ("SET k v EX", SYNTAX),
        ("SET k v FOO", SYNTAX),
        ("SET k v PERSIST", SYNTAX),
        ("SET k v KEEPTTL EX 1", SYNTAX),
        ("SET k v EX 1 PX 1", SYNTAX),
        ("SET k v PXAT 1 EXAT 1", SYNTAX),
        ("SET k v IFEQ x", SYNTAX),
        ("SET k v EX 1 EX 2", "+OK\r\n"),
        ("SET k v EX abc", NOT_INT),
        ("SET k v EX 0", BAD_SET_TTL),
        ("SET k v PX -5", BAD_SET_TTL),
        ("SET k v EX 9223372036854776", BAD_SET_TTL),
        ("SET k v PX 9223372036854775807", BAD_SET_TTL),
        ("LPUSH l a", ":1\r\n"),
        ("SET l v GET", WRONGTYPE),
        ("LLEN l", ":1\r\n"),
        ("GET l", WRONGTYPE),
        ("SET l v", "+OK\r\n"),
        ("GET l", "$1\r\nv\r\n"),
    ]);
    // C-string option matching: "nx\0junk" is NX.
    let mut r = Reference::new(T0);
    script(&mut r, T0, &[("SET k v", "+OK\r\n")]);
    let argv = vec![
        b"SET".to_vec(),
        b"k".to_vec(),
        b"w".to_vec(),
        b"nx\0junk".to_vec(),
    ];
    assert_eq!(r.execute(&argv, T0), b"$-1\r\n");
}

#[test]
fn set_expiry_and_ttl_rounding() {
    let mut r = fresh(&[
        ("SET k v EX 10", "+OK\r\n"),
        ("TTL k", ":10\r\n"),
        ("PTTL k", ":10000\r\n"),
        ("SET p v PX 1500", "+OK\r\n"),
        ("SET a v EXAT 1", "+OK\r\n"),
        ("GET a", "$-1\r\n"),
    ]);
    script(
        &mut r,
        T0 + 1_499,
        &[("GET p", "$1\r\nv\r\n"), ("TTL p", ":0\r\n")],
    );
    assert_eq!(r.dbsize(T0 + 1_500), 2);
    assert_eq!(r.dbsize(T0 + 1_501), 1);
    script(
        &mut r,
        T0 + 9_499,
        &[("TTL k", ":1\r\n"), ("PTTL k", ":501\r\n")],
    );
    // `now > when` (db.c keyIsExpired): gone 1 ms after the 10 s.
    script(
        &mut r,
        T0 + 10_001,
        &[
            ("GET k", "$-1\r\n"),
            ("TTL k", ":-2\r\n"),
            ("EXISTS k p", ":0\r\n"),
            ("DBSIZE", ":0\r\n"),
            ("SET k v PXAT 1700000020000", "+OK\r\n"),
            ("SET k w KEEPTTL", "+OK\r\n"),
            ("PTTL k", ":9999\r\n"),
            ("SET k w", "+OK\r\n"),
            ("TTL k", ":-1\r\n"),
        ],
    );
}

#[test]
fn getex_getdel_getset() {
    let mut r = fresh(&[
        ("SET k v", "+OK\r\n"),
        ("GETEX k", "$1\r\nv\r\n"),
        ("GETEX k EX 100", "$1\r\nv\r\n"),
        ("TTL k", ":100\r\n"),
        ("GETEX k PERSIST", "$1\r\nv\r\n"),
        ("TTL k", ":-1\r\n"),
        ("GETEX k NX", SYNTAX),
        ("GETEX k KEEPTTL", SYNTAX),
        ("GETEX k PERSIST EX 1", SYNTAX),
        ("GETEX nope EX abc", "$-1\r\n"),
        ("GETEX k EX abc", NOT_INT),
        (
            "GETEX k EX 0",
            "-ERR invalid expire time in 'getex' command\r\n",
        ),
        ("GETEX k PXAT 1", "$1\r\nv\r\n"),
        ("EXISTS k", ":0\r\n"),
        ("RPUSH l a", ":1\r\n"),
        ("GETEX l", WRONGTYPE),
        ("GETDEL l", WRONGTYPE),
        ("GETSET l x", WRONGTYPE),
        ("SET k v EX 50", "+OK\r\n"),
        ("GETSET k w", "$1\r\nv\r\n"),
        ("TTL k", ":-1\r\n"),
        ("GETSET n w", "$-1\r\n"),
        ("GETDEL k", "$1\r\nw\r\n"),
        ("GETDEL k", "$-1\r\n"),
    ]);
    script(
        &mut r,
        T0 + 1,
        &[("GETEX n PX 10", "$1\r\nw\r\n"), ("PTTL n", ":10\r\n")],
    );
}

#[test]
fn mget_mset_append_strlen_setrange() {
    fresh(&[
        ("MSET a 1 b 2 a 3", "+OK\r\n"),
        ("RPUSH l x", ":1\r\n"),
        (
            "MGET a b l nope",
            "*4\r\n$1\r\n3\r\n$1\r\n2\r\n$-1\r\n$-1\r\n",
        ),
        ("APPEND a xy", ":3\r\n"),
        ("APPEND new xy", ":2\r\n"),
        ("APPEND l x", WRONGTYPE),
        ("STRLEN a", ":3\r\n"),
        ("STRLEN nope", ":0\r\n"),
        ("STRLEN l", WRONGTYPE),
        ("SETRANGE s 2 ab", ":4\r\n"),
        ("GET s", "$4\r\n\0\0ab\r\n"),
        ("SETRANGE s 1 Z", ":4\r\n"),
        ("SETRANGE s 6 Q", ":7\r\n"),
        ("GET s", "$7\r\n\0Zab\0\0Q\r\n"),
        ("SETRANGE s -1 x", "-ERR offset is out of range\r\n"),
        ("SETRANGE s x1 x", NOT_INT),
        ("SETRANGE l 0 x", WRONGTYPE),
        ("SETRANGE l -1 x", "-ERR offset is out of range\r\n"),
        ("SETRANGE s 536870912 x", TOO_LONG),
        ("SETRANGE q 9223372036854775807 x", TOO_LONG),
        ("SETRANGE q 536870912 ", ":0\r\n"),
        ("SETRANGE s 99999 ", ":7\r\n"),
        ("EXISTS q", ":0\r\n"),
    ]);
    let mut r = Reference::new(T0);
    let argv = vec![b"SET".to_vec(), vec![0, 0xff], vec![b'\r', 0, b'\n']];
    assert_eq!(r.execute(&argv, T0), b"+OK\r\n");
    let argv = vec![b"GET".to_vec(), vec![0, 0xff]];
    assert_eq!(r.execute(&argv, T0), b"$3\r\n\r\0\n\r\n");
}

#[test]
fn incr_decr_family() {
    fresh(&[
        ("INCR n", ":1\r\n"),
        ("INCRBY n 10", ":11\r\n"),
        ("DECR n", ":10\r\n"),
        ("DECRBY n 15", ":-5\r\n"),
        ("GET n", "$2\r\n-5\r\n"),
        ("SET n 10", "+OK\r\n"),
        ("INCR n", ":11\r\n"),
        ("INCRBY n x", NOT_INT),
        ("DECRBY n 1.5", NOT_INT),
        ("SET s abc", "+OK\r\n"),
        ("INCR s", NOT_INT),
        ("SET s 01", "+OK\r\n"),
        ("INCR s", NOT_INT),
        ("SET s +1", "+OK\r\n"),
        ("INCR s", NOT_INT),
        ("SET s -0", "+OK\r\n"),
        ("INCR s", NOT_INT),
        ("SET s 9223372036854775808", "+OK\r\n"),
        ("INCR s", NOT_INT),
        ("SET m 9223372036854775807", "+OK\r\n"),
        ("INCR m", "-ERR increment or decrement would overflow\r\n"),
        ("SET m -9223372036854775808", "+OK\r\n"),
        ("DECR m", "-ERR increment or decrement would overflow\r\n"),
        ("INCRBY m 9223372036854775807", ":-1\r\n"),
        (
            "DECRBY m -9223372036854775808",
            "-ERR decrement would overflow\r\n",
        ),
        ("SET t 5 EX 100", "+OK\r\n"),
        ("INCR t", ":6\r\n"),
        ("TTL t", ":100\r\n"),
        ("LPUSH l a", ":1\r\n"),
        ("INCR l", WRONGTYPE),
    ]);
    assert_eq!(parse_ll(b"-9223372036854775808"), Some(i64::MIN));
    assert_eq!(parse_ll(b""), None);
    assert_eq!(parse_ll(b"-"), None);
    assert_eq!(parse_ll(b" 1"), None);
    assert_eq!(parse_ll(b"1\0"), None);
}
