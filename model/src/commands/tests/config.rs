//! CONFIG GET and CONFIG SET (src/config.c).

use super::*;

#[test]
fn config_get_set() {
    let failed = |name: &str, why: &str| {
        err(&format!(
            "ERR CONFIG SET failed (possibly related to argument '{name}') - {why}"
        ))
    };
    check(
        &[
            &[b"CONFIG", b"GET", b"lazyfree-lazy-user-del"],
            &[
                b"CONFIG",
                b"GET",
                b"LAZYFREE-lazy-user-DEL",
                b"lazyfree-lazy-user-del",
            ],
            &[b"CONFIG", b"GET", b"nope"],
            &[b"CONFIG", b"GET", b"io-threads"],
            &[b"CONFIG", b"GET", b"lazyfree-lazy-*-del"],
            &[
                b"CONFIG",
                b"GET",
                b"lazyfree-lazy-expire",
                b"*lazy-e[w-z]pire",
            ],
            &[b"CONFIG", b"GET", b"[^l]o-threads"],
            &[b"config", b"set", b"lazyfree-lazy-user-del", b"YES"],
            &[b"CONFIG", b"GET", b"lazyfree-lazy-user-del"],
            &[
                b"CONFIG",
                b"SET",
                b"lazyfree-lazy-expire",
                b"yes",
                b"Lazyfree-Lazy-Server-Del",
                b"yes",
            ],
            &[
                b"CONFIG",
                b"GET",
                b"lazyfree-lazy-e*",
                b"lazyfree-lazy-server-del",
            ],
            &[b"CONFIG", b"SET", b"lazyfree-lazy-expire", b"maybe"],
            &[
                b"CONFIG",
                b"SET",
                b"LAZYFREE-LAZY-EXPIRE",
                b"no",
                b"lazyfree-lazy-user-flush",
                b"2",
            ],
            &[b"CONFIG", b"GET", b"lazyfree-lazy-expire"],
            &[b"CONFIG", b"SET", b"IO-Threads", b"4"],
            &[b"CONFIG", b"SET", b"bogus\nx", b"1", b"io-threads", b"4"],
            &[b"CONFIG", b"SET", b"io-threads", b"4", b"bogus", b"1"],
            &[
                b"CONFIG",
                b"SET",
                b"lazyfree-lazy-expire",
                b"no",
                b"LAZYFREE-LAZY-EXPIRE",
                b"no",
            ],
        ],
        &[
            cat(&[arr(2), bulk(b"lazyfree-lazy-user-del"), bulk(b"no")]),
            cat(&[arr(2), bulk(b"LAZYFREE-lazy-user-DEL"), bulk(b"no")]),
            arr(0),
            cat(&[arr(2), bulk(b"io-threads"), bulk(b"1")]),
            cat(&[
                arr(4),
                bulk(b"lazyfree-lazy-server-del"),
                bulk(b"no"),
                bulk(b"lazyfree-lazy-user-del"),
                bulk(b"no"),
            ]),
            cat(&[arr(2), bulk(b"lazyfree-lazy-expire"), bulk(b"no")]),
            cat(&[arr(2), bulk(b"io-threads"), bulk(b"1")]),
            ok(),
            cat(&[arr(2), bulk(b"lazyfree-lazy-user-del"), bulk(b"yes")]),
            ok(),
            cat(&[
                arr(6),
                bulk(b"lazyfree-lazy-expire"),
                bulk(b"yes"),
                bulk(b"lazyfree-lazy-eviction"),
                bulk(b"no"),
                bulk(b"lazyfree-lazy-server-del"),
                bulk(b"yes"),
            ]),
            failed("lazyfree-lazy-expire", "argument must be 'yes' or 'no'"),
            failed("lazyfree-lazy-user-flush", "argument must be 'yes' or 'no'"),
            cat(&[arr(2), bulk(b"lazyfree-lazy-expire"), bulk(b"yes")]),
            failed("IO-Threads", "can't set immutable config"),
            err("ERR Unknown option or number of arguments for CONFIG SET - 'bogus x'"),
            failed("io-threads", "can't set immutable config"),
            failed("LAZYFREE-LAZY-EXPIRE", "duplicate parameter"),
        ],
    );
}

#[test]
fn config_set_changes_the_servers_knobs() {
    run_full(
        Config::default(),
        None,
        &[
            &[b"CONFIG", b"SET", b"lazyfree-lazy-server-del", b"yes"],
            &[b"CONFIG", b"SET", b"lazyfree-lazy-user-del", b"yes"],
            &[b"CONFIG", b"SET", b"lazyfree-lazy-user-flush", b"yes"],
            &[b"CONFIG", b"SET", b"lazyfree-lazy-expire", b"yes"],
            &[b"DEBUG", b"REPLY-COPY-AVOIDANCE", b"0"],
        ],
        |s| {
            assert!(s.cfg.lazyfree_lazy_server_del);
            assert!(s.cfg.lazyfree_lazy_user_del);
            assert!(s.cfg.lazyfree_lazy_user_flush);
            assert!(s.cfg.lazyfree_lazy_expire);
            assert!(!s.cfg.reply_copy_avoidance);
        },
    );
    let got = run_full(
        Config {
            reply_copy_avoidance: false,
            ..Config::default()
        },
        None,
        &[
            &[b"DEBUG", b"reply-copy-avoidance", b" 7x"],
            &[b"debug", b"reply-copy-avoidance", b"1", b"2"],
        ],
        |s| assert!(s.cfg.reply_copy_avoidance),
    );
    assert_eq!(
        show(&got),
        show(&cat(&[
            ok(),
            err("ERR unknown subcommand or wrong number of arguments for 'reply-copy-avoidance'. Try DEBUG HELP."),
        ]))
    );
}
