//! String commands (src/t_string.c).

use super::*;

#[test]
fn set_options_and_errors() {
    let exp_set = "ERR invalid expire time in 'set' command";
    check(
        &[
            &[b"SET", b"k", b"v", b"EX", b"10", b"PX", b"10"],
            &[b"SET", b"k", b"v", b"NX", b"XX"],
            &[b"SET", b"k", b"v", b"EX"],
            &[b"SET", b"k", b"v", b"KEEPTTL", b"EX", b"10"],
            &[b"SET", b"k", b"v", b"EX", b"10", b"KEEPTTL"],
            &[b"SET", b"k", b"v", b"PERSIST"],
            &[b"SET", b"k", b"v", b"FOO"],
            &[b"SET", b"k", b"v", b"EX", b"abc", b"FOO"],
            &[b"SET", b"k", b"v", b"EX", b"abc"],
            &[b"SET", b"k", b"v", b"EX", b"0"],
            &[b"SET", b"k", b"v", b"PX", b"-5"],
            &[b"SET", b"k", b"v", b"EX", b"9223372036854776"],
            &[b"SET", b"k", b"v", b"PX", b"9223372036854775807"],
            &[b"EXISTS", b"k"],
            &[b"SET", b"k", b"v", b"ex", b"10", b"EX", b"20"],
            &[b"TTL", b"k"],
            &[b"SET", b"k", b"v", b"nx\0junk"],
            &[b"SET", b"k", b"w", b"XX", b"GET"],
            &[b"SET", b"k2", b"w", b"XX", b"GET"],
            &[b"SET", b"k2", b"w", b"XX"],
            &[b"SET", b"k", b"z", b"NX", b"NX"],
            &[b"TTL", b"k"],
            &[b"SET", b"k", b"v", b"EX", b"30"],
            &[b"SET", b"k", b"z", b"KEEPTTL"],
            &[b"TTL", b"k"],
            &[b"SET", b"k", b"y"],
            &[b"TTL", b"k"],
            &[b"GET", b"k"],
        ],
        &[
            err(SYNTAX),
            err(SYNTAX),
            err(SYNTAX),
            err(SYNTAX),
            err(SYNTAX),
            err(SYNTAX),
            err(SYNTAX),
            err(SYNTAX),
            err(NOTINT),
            err(exp_set),
            err(exp_set),
            err(exp_set),
            err(exp_set),
            int(0),
            ok(),
            int(20),
            nil(),
            bulk(b"v"),
            nil(),
            nil(),
            nil(),
            int(-1),
            ok(),
            ok(),
            int(30),
            ok(),
            int(-1),
            bulk(b"y"),
        ],
    );
}

#[test]
fn set_exat_pxat_and_get() {
    // The clock starts at EPOCH_MS and advances 1 ms per command.
    let base = crate::server::EPOCH_MS;
    let pxat = (base + 1000).to_string();
    let exat = (base / 1000 + 100).to_string();
    check(
        &[
            &[b"SET", b"a", b"1", b"EXAT", b"1"],
            &[b"GET", b"a"],
            &[b"SET", b"b", b"1", b"PXAT", pxat.as_bytes()],
            &[b"PTTL", b"b"],
            &[b"SET", b"c", b"1", b"EXAT", exat.as_bytes()],
            &[b"TTL", b"c"],
            &[b"RPUSH", b"l", b"x"],
            &[b"SET", b"l", b"v", b"GET"],
            &[b"LLEN", b"l"],
            &[b"SET", b"n", b"v", b"GET"],
            &[b"SET", b"n", b"w", b"GET"],
            &[b"SET", b"b", b"v", b"EXAT", b"0"],
        ],
        &[
            ok(),
            nil(),
            ok(),
            int(996),
            ok(),
            int(100),
            int(1),
            err(WT),
            int(1),
            nil(),
            bulk(b"v"),
            err("ERR invalid expire time in 'set' command"),
        ],
    );
}

#[test]
fn getex_getdel_getset() {
    let exp_getex = "ERR invalid expire time in 'getex' command";
    check(
        &[
            &[b"GETEX", b"missing", b"EX", b"abc"],
            &[b"SET", b"k", b"v"],
            &[b"GETEX", b"k", b"EX", b"abc"],
            &[b"GETEX", b"k", b"EX", b"-1"],
            &[b"GETEX", b"k", b"NX"],
            &[b"GETEX", b"k", b"KEEPTTL"],
            &[b"GETEX", b"k", b"PERSIST", b"EX", b"1"],
            &[b"GETEX", b"k", b"PX", b"100"],
            &[b"PTTL", b"k"],
            &[b"GETEX", b"k", b"PERSIST"],
            &[b"TTL", b"k"],
            &[b"GETEX", b"k", b"EXAT", b"1"],
            &[b"EXISTS", b"k"],
            &[b"RPUSH", b"l", b"x"],
            &[b"GETEX", b"l"],
            &[b"GETDEL", b"l"],
            &[b"SET", b"k", b"v", b"EX", b"100"],
            &[b"GETDEL", b"k"],
            &[b"GETDEL", b"k"],
            &[b"GETSET", b"k", b"a"],
            &[b"SET", b"k", b"b", b"EX", b"100"],
            &[b"GETSET", b"k", b"c"],
            &[b"TTL", b"k"],
            &[b"GET", b"k"],
            &[b"GETSET", b"l", b"c"],
            &[b"LLEN", b"l"],
        ],
        &[
            nil(),
            ok(),
            err(NOTINT),
            err(exp_getex),
            err(SYNTAX),
            err(SYNTAX),
            err(SYNTAX),
            bulk(b"v"),
            int(99),
            bulk(b"v"),
            int(-1),
            bulk(b"v"),
            int(0),
            int(1),
            err(WT),
            err(WT),
            ok(),
            bulk(b"v"),
            nil(),
            nil(),
            ok(),
            bulk(b"b"),
            int(-1),
            bulk(b"c"),
            err(WT),
            int(1),
        ],
    );
}

#[test]
fn mset_mget_strlen() {
    check(
        &[
            &[b"MSET", b"a", b"1", b"b", b"hello", b"a", b"22"],
            &[b"MGET", b"a", b"b", b"c"],
            &[b"STRLEN", b"a"],
            &[b"STRLEN", b"b"],
            &[b"STRLEN", b"c"],
            &[b"RPUSH", b"l", b"x"],
            &[b"STRLEN", b"l"],
            &[b"MGET", b"l"],
            &[b"SET", b"t", b"v", b"EX", b"100"],
            &[b"MSET", b"t", b"w"],
            &[b"TTL", b"t"],
            &[b"MSET", b"l", b"v"],
            &[b"GET", b"l"],
        ],
        &[
            ok(),
            cat(&[arr(3), bulk(b"22"), bulk(b"hello"), nil()]),
            int(2),
            int(5),
            int(0),
            int(1),
            err(WT),
            cat(&[arr(1), nil()]),
            ok(),
            ok(),
            int(-1),
            ok(),
            bulk(b"v"),
        ],
    );
}

#[test]
fn append_and_setrange() {
    check(
        &[
            &[b"APPEND", b"a", b"12"],
            &[b"APPEND", b"a", b"34"],
            &[b"GET", b"a"],
            &[b"SET", b"n", b"7"],
            &[b"APPEND", b"n", b"8"],
            &[b"INCR", b"n"],
            &[b"RPUSH", b"l", b"x"],
            &[b"APPEND", b"l", b"x"],
            &[b"SETRANGE", b"l", b"0", b"x"],
            &[b"SETRANGE", b"s", b"-1", b"x"],
            &[b"SETRANGE", b"s", b"x", b"x"],
            &[b"SETRANGE", b"s", b"3", b""],
            &[b"EXISTS", b"s"],
            &[b"SETRANGE", b"s", b"3", b"ab"],
            &[b"GET", b"s"],
            &[b"SETRANGE", b"s", b"1", b"Z"],
            &[b"SETRANGE", b"s", b"7", b""],
            &[b"GET", b"s"],
            &[b"SETRANGE", b"n", b"0", b"9"],
            &[b"GET", b"n"],
            &[b"SETRANGE", b"s", b"536870912", b"x"],
            &[b"SET", b"t", b"v", b"EX", b"100"],
            &[b"APPEND", b"t", b"w"],
            &[b"SETRANGE", b"t", b"0", b"x"],
            &[b"TTL", b"t"],
            &[b"GET", b"t"],
        ],
        &[
            int(2),
            int(4),
            bulk(b"1234"),
            ok(),
            int(2),
            int(79),
            int(1),
            err(WT),
            err(WT),
            err("ERR offset is out of range"),
            err(NOTINT),
            int(0),
            int(0),
            int(5),
            bulk(b"\0\0\0ab"),
            int(5),
            int(5),
            bulk(b"\0Z\0ab"),
            int(2),
            bulk(b"99"),
            err("ERR string exceeds maximum allowed size (proto-max-bulk-len)"),
            ok(),
            int(2),
            int(2),
            int(100),
            bulk(b"xw"),
        ],
    );
}

#[test]
fn incr_family() {
    check(
        &[
            &[b"INCR", b"n"],
            &[b"INCRBY", b"n", b"20000"],
            &[b"INCRBY", b"n", b"5"],
            &[b"DECRBY", b"n", b"20006"],
            &[b"DECR", b"n"],
            &[b"GET", b"n"],
            &[b"INCRBY", b"n", b"abc"],
            &[b"DECRBY", b"n", b"-9223372036854775808"],
            &[b"DECRBY", b"missing", b"-9223372036854775808"],
            &[b"SET", b"m", b"9223372036854775807"],
            &[b"INCR", b"m"],
            &[b"SET", b"m", b"-9223372036854775808"],
            &[b"DECR", b"m"],
            &[b"SET", b"s", b"abc"],
            &[b"INCR", b"s"],
            &[b"SET", b"s", b" 1"],
            &[b"INCR", b"s"],
            &[b"RPUSH", b"l", b"x"],
            &[b"INCR", b"l"],
            &[b"SET", b"t", b"5", b"EX", b"100"],
            &[b"INCR", b"t"],
            &[b"INCRBY", b"t", b"100000"],
            &[b"TTL", b"t"],
            &[b"SET", b"e", b"-5"],
            &[b"INCR", b"e"],
            &[b"APPEND", b"e", b"0"],
            &[b"INCR", b"e"],
        ],
        &[
            int(1),
            int(20001),
            int(20006),
            int(0),
            int(-1),
            bulk(b"-1"),
            err(NOTINT),
            err("ERR decrement would overflow"),
            err("ERR decrement would overflow"),
            ok(),
            err("ERR increment or decrement would overflow"),
            ok(),
            err("ERR increment or decrement would overflow"),
            ok(),
            err(NOTINT),
            ok(),
            err(NOTINT),
            int(1),
            err(WT),
            ok(),
            int(6),
            int(100006),
            int(100),
            ok(),
            int(-4),
            int(3),
            int(-39),
        ],
    );
}

/// A big value (≥ 16 KiB, RAW) is replied by reference; a 1-byte socket keeps every
/// reference alive while the next commands overwrite or edit the value in place.
#[test]
fn edits_under_a_live_reply_reference_copy_first() {
    let big = vec![b'x'; 20_000];
    let mut big1 = big.clone();
    big1.push(b'y');
    let mut big2 = big1.clone();
    big2[0] = b'Z';
    let cmds: &[&[&[u8]]] = &[
        &[b"SET", b"k", &big],
        &[b"GET", b"k"],
        &[b"APPEND", b"k", b"y"],
        &[b"GET", b"k"],
        &[b"SETRANGE", b"k", b"0", b"Z"],
        &[b"GET", b"k"],
        &[b"GETSET", b"k", b"small"],
        &[b"SET", b"k", &big, b"GET"],
        &[b"GETEX", b"k", b"EX", b"100"],
        &[b"GETDEL", b"k"],
        &[b"ECHO", &big],
        &[b"RPUSH", b"l", &big],
        &[b"LPOP", b"l"],
        &[b"EXISTS", b"l"],
    ];
    let want = cat(&[
        ok(),
        bulk(&big),
        int(20_001),
        bulk(&big1),
        int(20_001),
        bulk(&big2),
        bulk(&big2),
        bulk(b"small"),
        bulk(&big),
        bulk(&big),
        bulk(&big),
        int(1),
        bulk(&big),
        int(0),
    ]);
    for sndbuf in [None, Some(1), Some(7000)] {
        for lazy in [false, true] {
            let cfg = Config {
                lazyfree_lazy_server_del: lazy,
                lazyfree_lazy_expire: lazy,
                ..Config::default()
            };
            let got = run_full(cfg, sndbuf, cmds, |_| {});
            assert_eq!(got.len(), want.len(), "sndbuf {sndbuf:?} lazy {lazy}");
            assert!(got == want, "sndbuf {sndbuf:?} lazy {lazy}");
        }
    }
}
