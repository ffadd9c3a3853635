//! Expire commands (src/expire.c) and lazy expiry.

use super::*;

/// Regression (found reading db.c while building the differential lane): a key expires
/// when `now > when`, so in the millisecond of its expiry it is still there with PTTL 0.
/// The model and the reference both had `now >= when`.
#[test]
fn a_key_lives_through_the_millisecond_it_expires() {
    // The clock steps 1 ms per command: SET at T+1 (when = T+3), GET at T+2, PTTL at T+3.
    let out = run(&[
        &[b"SET", b"a", b"v", b"PX", b"2"],
        &[b"GET", b"a"],
        &[b"PTTL", b"a"],
        &[b"GET", b"a"],
    ]);
    assert_eq!(out, cat(&[ok(), bulk(b"v"), int(0), nil()]));
}

#[test]
fn expire_ttl_persist() {
    check(
        &[
            &[b"TTL", b"k"],
            &[b"PTTL", b"k"],
            &[b"EXPIRE", b"k", b"10"],
            &[b"SET", b"k", b"v"],
            &[b"TTL", b"k"],
            &[b"PERSIST", b"k"],
            &[b"EXPIRE", b"k", b"10", b"XX"],
            &[b"EXPIRE", b"k", b"10", b"GT"],
            &[b"EXPIRE", b"k", b"10", b"LT"],
            &[b"TTL", b"k"],
            &[b"EXPIRE", b"k", b"20", b"NX"],
            &[b"EXPIRE", b"k", b"20", b"LT"],
            &[b"EXPIRE", b"k", b"20", b"gt"],
            &[b"TTL", b"k"],
            &[b"PEXPIRE", b"k", b"5000", b"xx", b"lt"],
            &[b"PTTL", b"k"],
            &[b"PERSIST", b"k"],
            &[b"PERSIST", b"k"],
            &[b"EXPIRE", b"k", b"10", b"NX", b"XX"],
            &[b"EXPIRE", b"k", b"10", b"NX", b"GT"],
            &[b"EXPIRE", b"k", b"10", b"GT", b"LT"],
            &[b"EXPIRE", b"k", b"10", b"FOO"],
            &[b"EXPIRE", b"k", b"abc", b"f\r\noo\n"],
            &[b"EXPIRE", b"k", b"abc"],
            &[b"EXPIRE", b"k", b"9223372036854776"],
            &[b"PEXPIRE", b"k", b"9223372036854775807"],
            &[b"EXPIRE", b"k", b"-9223372036854775"],
            &[b"EXISTS", b"k"],
            &[b"SET", b"k", b"v"],
            &[b"PEXPIRE", b"k", b"0"],
            &[b"EXISTS", b"k"],
            &[b"SET", b"k", b"v"],
            &[b"PEXPIRE", b"k", b"2"],
            &[b"PTTL", b"k"],
            &[b"GET", b"k"],
            &[b"SET", b"k", b"v", b"PX", b"1500"],
            &[b"TTL", b"k"],
        ],
        &[
            int(-2),
            int(-2),
            int(0),
            ok(),
            int(-1),
            int(0),
            int(0),
            int(0),
            int(1),
            int(10),
            int(0),
            int(0),
            int(1),
            int(20),
            int(1),
            int(4999),
            int(1),
            int(0),
            err("ERR NX and XX, GT or LT options at the same time are not compatible"),
            err("ERR NX and XX, GT or LT options at the same time are not compatible"),
            err("ERR GT and LT options at the same time are not compatible"),
            err("ERR Unsupported option FOO"),
            err("ERR Unsupported option f  oo"),
            err(NOTINT),
            err("ERR invalid expire time in 'expire' command"),
            err("ERR invalid expire time in 'pexpire' command"),
            int(1),
            int(0),
            ok(),
            int(1),
            int(0),
            ok(),
            int(1),
            int(1),
            // PEXPIRE 2, then PTTL 1 ms later, then GET in the expiry's own ms: still
            // there (db.c keyIsExpired: `now > when`).
            bulk(b"v"),
            ok(),
            int(1),
        ],
    );
}

/// EXPIRE on a list without an expire slot (the stopgap around `db::set_expire`).
#[test]
fn expire_on_a_list() {
    check(
        &[
            &[b"RPUSH", b"l", b"a", b"b"],
            &[b"EXPIRE", b"l", b"100"],
            &[b"TTL", b"l"],
            &[b"PEXPIRE", b"l", b"50000", b"LT"],
            &[b"PTTL", b"l"],
            &[b"LRANGE", b"l", b"0", b"-1"],
            &[b"PERSIST", b"l"],
            &[b"EXPIRE", b"l", b"-1"],
            &[b"EXISTS", b"l"],
        ],
        &[
            int(2),
            int(1),
            int(100),
            int(1),
            int(49_999),
            cat(&[arr(2), bulk(b"a"), bulk(b"b")]),
            int(1),
            int(1),
            int(0),
        ],
    );
}
