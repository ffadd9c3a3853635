//! Pseudo-random request streams over every command: no panic, quiescent afterwards.

use super::*;

/// No argv makes the commands panic, and every path frees what it allocates.
#[test]
fn pseudo_random_streams_never_panic_and_stay_quiescent() {
    let names: &[&[u8]] = &[
        b"PING",
        b"ECHO",
        b"GET",
        b"SET",
        b"GETDEL",
        b"GETEX",
        b"GETSET",
        b"MGET",
        b"MSET",
        b"APPEND",
        b"SETRANGE",
        b"STRLEN",
        b"INCR",
        b"DECR",
        b"INCRBY",
        b"DECRBY",
        b"DEL",
        b"UNLINK",
        b"EXISTS",
        b"DBSIZE",
        b"FLUSHALL",
        b"FLUSHDB",
        b"RPUSH",
        b"LPUSH",
        b"LPOP",
        b"RPOP",
        b"LLEN",
        b"LRANGE",
        b"RENAME",
        b"EXPIRE",
        b"PEXPIRE",
        b"TTL",
        b"PTTL",
        b"PERSIST",
        b"INFO",
        b"CONFIG",
        b"DEBUG",
        b"MEMORY",
        b"NOPE",
    ];
    let words: &[&[u8]] = &[
        b"k",
        b"k2",
        b"l",
        b"0",
        b"1",
        b"-1",
        b"2",
        b"10",
        b"100",
        b"abc",
        b"",
        b"EX",
        b"PX",
        b"EXAT",
        b"PXAT",
        b"NX",
        b"XX",
        b"GT",
        b"LT",
        b"GET",
        b"KEEPTTL",
        b"PERSIST",
        b"SET",
        b"USAGE",
        b"SAMPLES",
        b"lazyfree-lazy-server-del",
        b"lazyfree-lazy-expire",
        b"lazyfree-lazy-user-del",
        b"yes",
        b"no",
        b"*",
        b"io-threads",
        b"ASYNC",
        b"SYNC",
        b"REPLY-COPY-AVOIDANCE",
        b"9223372036854775807",
        b"-9223372036854775808",
        b"1700000000",
        b"12345",
    ];
    let big = vec![b'v'; 17_000];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for round in 0..12 {
        let mut cmds: Vec<Vec<Vec<u8>>> = Vec::new();
        for _ in 0..250 {
            let mut argv = vec![names[next(names.len())].to_vec()];
            for _ in 0..next(6) {
                if next(20) == 0 {
                    argv.push(big.clone());
                } else {
                    argv.push(words[next(words.len())].to_vec());
                }
            }
            cmds.push(argv);
        }
        let refs: Vec<Vec<&[u8]>> = cmds
            .iter()
            .map(|a| a.iter().map(|x| &x[..]).collect())
            .collect();
        let refs2: Vec<&[&[u8]]> = refs.iter().map(|a| &a[..]).collect();
        let sndbuf = if round % 2 == 0 { None } else { Some(4096) };
        let cfg = Config {
            lazyfree_lazy_server_del: round % 3 == 0,
            lazyfree_lazy_expire: round % 4 == 0,
            // 7+ IO threads: every RAW string reply is a reference.
            io_threads_num: [1, 4, 7][round % 3],
            ..Config::default()
        };
        let got = run_full(cfg, sndbuf, &refs2, |_| {});
        let mut rest = &got[..];
        let mut n = 0;
        while let Ok(Some((_, used))) = crate::resp::decode_reply(rest) {
            rest = &rest[used..];
            n += 1;
        }
        assert!(rest.is_empty(), "round {round}: undecodable tail");
        assert_eq!(n, 250, "round {round}: one reply per command");
    }
}
