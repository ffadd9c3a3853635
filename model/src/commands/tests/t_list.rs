//! List commands (src/t_list.c) and where an emptied or big list is freed.

use super::*;

#[test]
fn lists_pop_range() {
    let notpos = "ERR value is out of range, must be positive";
    check(
        &[
            &[b"LPOP", b"l"],
            &[b"LPOP", b"l", b"2"],
            &[b"LPOP", b"l", b"-1"],
            &[b"LPOP", b"l", b"x"],
            &[b"RPUSH", b"l", b"a", b"b", b"c", b"d"],
            &[b"LPUSH", b"l", b"z"],
            &[b"LRANGE", b"l", b"0", b"-1"],
            &[b"LPOP", b"l", b"0"],
            &[b"LPOP", b"l"],
            &[b"RPOP", b"l", b"2"],
            &[b"LRANGE", b"l", b"-100", b"100"],
            &[b"LRANGE", b"l", b"2", b"1"],
            &[b"LRANGE", b"l", b"x", b"1"],
            &[b"LRANGE", b"missing", b"0", b"1"],
            &[b"RPOP", b"l", b"10"],
            &[b"EXISTS", b"l"],
            &[b"RPOP", b"l", b"1"],
            &[b"RPUSH", b"l", b"only"],
            &[b"RPOP", b"l"],
            &[b"EXISTS", b"l"],
            &[b"SET", b"s", b"v"],
            &[b"LPOP", b"s"],
            &[b"LRANGE", b"s", b"0", b"1"],
            &[b"LPUSH", b"s", b"x"],
            &[b"LLEN", b"s"],
            &[b"LLEN", b"nope"],
            &[b"RPOP", b"s", b"-5"],
        ],
        &[
            nil(),
            b"*-1\r\n".to_vec(),
            err(notpos),
            err(notpos),
            int(4),
            int(5),
            cat(&[
                arr(5),
                bulk(b"z"),
                bulk(b"a"),
                bulk(b"b"),
                bulk(b"c"),
                bulk(b"d"),
            ]),
            arr(0),
            bulk(b"z"),
            cat(&[arr(2), bulk(b"d"), bulk(b"c")]),
            cat(&[arr(2), bulk(b"a"), bulk(b"b")]),
            arr(0),
            err(NOTINT),
            arr(0),
            cat(&[arr(2), bulk(b"b"), bulk(b"a")]),
            int(0),
            b"*-1\r\n".to_vec(),
            int(1),
            bulk(b"only"),
            int(0),
            ok(),
            err(WT),
            err(WT),
            err(WT),
            err(WT),
            int(0),
            err(notpos),
        ],
    );
}

#[test]
fn empty_list_goes_through_server_del_and_big_lists_through_bio() {
    let elems: Vec<Vec<u8>> = (0..100).map(|i| format!("e{i}").into_bytes()).collect();
    let mut push: Vec<&[u8]> = vec![b"RPUSH", b"l"];
    push.extend(elems.iter().map(|e| &e[..]));
    let cfg = Config {
        lazyfree_lazy_server_del: true,
        lazyfree_lazy_user_del: true,
        ..Config::default()
    };
    let got = run_cfg(
        cfg,
        &[
            &push,
            &[b"RPOP", b"l", b"99"],
            &[b"LPOP", b"l"],
            &[b"EXISTS", b"l"],
            &push,
            &[b"DEL", b"l"],
            &push,
            &[b"SET", b"l", b"x"],
        ],
    );
    let text = show(&got);
    assert!(text.starts_with(":100\r\n*99\r\n$3\r\ne99\r\n"), "{text}");
    assert!(
        text.ends_with("$2\r\ne0\r\n:0\r\n:100\r\n:1\r\n:100\r\n+OK\r\n"),
        "{text}"
    );
}
