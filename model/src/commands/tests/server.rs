//! Dispatch (src/server.c): unknown-command and arity texts, PING, ECHO, the HTTP guard.

use super::*;

#[test]
fn unknown_command_texts_follow_8x() {
    let long = vec![b'a'; 200];
    let a60 = vec![b'b'; 60];
    let got = run(&[
        &[b"FOO"],
        &[b"foo", b"a", b"b c"],
        &[b"foo", &long],
        &[&long],
        &[b"foo", &a60, &a60, &a60, b"zzz"],
        &[b"foo", b"x\r\ny", b"p\0q"],
        &[b"f\no\r"],
    ]);
    let a128 = "a".repeat(128);
    let b60 = "b".repeat(60);
    let want = [
        err("ERR unknown command 'FOO'"),
        err("ERR unknown command 'foo', with args beginning with: 'a' 'b c' "),
        err(&format!(
            "ERR unknown command 'foo', with args beginning with: '{a128}' "
        )),
        err(&format!("ERR unknown command '{a128}'")),
        err(&format!(
            "ERR unknown command 'foo', with args beginning with: '{b60}' '{b60}' 'bb' "
        )),
        err("ERR unknown command 'foo', with args beginning with: 'x  y' 'p' "),
        err("ERR unknown command 'f o '"),
    ];
    assert_eq!(show(&got), show(&cat(&want)));
}

#[test]
fn arity_and_subcommand_texts() {
    check(
        &[
            &[b"GET"],
            &[b"get", b"a", b"b"],
            &[b"CONFIG"],
            &[b"config", b"get"],
            &[b"CONFIG", b"SET", b"a"],
            &[b"config", b"nope"],
            &[b"Config", b"h\nelp", b"x"],
            &[b"MEMORY"],
            &[b"memory", b"usage"],
            &[b"memory", b"stats", b"x"],
            &[b"DEBUG"],
            &[b"debug", b"help"],
            &[b"debug", b"reply-copy-avoidance"],
            &[b"PING", b"a", b"b"],
            &[b"lpop", b"k", b"1", b"2"],
            &[b"mset", b"a", b"1", b"b"],
            &[b"config", b"set", b"a", b"b", b"c"],
            &[b"dbsize", b"x"],
        ],
        &[
            err("ERR wrong number of arguments for 'get' command"),
            err("ERR wrong number of arguments for 'get' command"),
            err("ERR wrong number of arguments for 'config' command"),
            err("ERR wrong number of arguments for 'config|get' command"),
            err("ERR wrong number of arguments for 'config|set' command"),
            err("ERR unknown subcommand 'nope'. Try CONFIG HELP."),
            err("ERR unknown subcommand 'h elp'. Try CONFIG HELP."),
            err("ERR wrong number of arguments for 'memory' command"),
            err("ERR wrong number of arguments for 'memory|usage' command"),
            err("ERR wrong number of arguments for 'memory|stats' command"),
            err("ERR wrong number of arguments for 'debug' command"),
            err("ERR unknown subcommand or wrong number of arguments for 'help'. Try DEBUG HELP."),
            err("ERR unknown subcommand or wrong number of arguments for 'reply-copy-avoidance'. Try DEBUG HELP."),
            err("ERR wrong number of arguments for 'ping' command"),
            err("ERR wrong number of arguments for 'lpop' command"),
            err("ERR wrong number of arguments for 'mset' command"),
            err(SYNTAX),
            err("ERR wrong number of arguments for 'dbsize' command"),
        ],
    );
}

#[test]
fn ping_echo() {
    check(
        &[
            &[b"PING"],
            &[b"ping", b"hi"],
            &[b"ECHO", b""],
            &[b"echo", b"x y"],
        ],
        &[b"+PONG\r\n".to_vec(), bulk(b"hi"), bulk(b""), bulk(b"x y")],
    );
}

#[test]
fn security_guard_closes_without_reply() {
    let got = run(&[&[b"SET", b"k", b"v"], &[b"POST", b"/"], &[b"GET", b"k"]]);
    assert_eq!(show(&got), "+OK\r\n");
    let got = run(&[&[b"Host:", b"x"], &[b"PING"]]);
    assert_eq!(show(&got), "");
}

/// A reply queued in the same read as `POST` is never written (`CLIENT_CLOSE_ASAP`), and a
/// reply reference it held is released when the client is freed.
#[test]
fn security_guard_drops_replies_of_the_same_read() {
    let env = Env::new(Config::default(), false);
    let mut s = Server::new(env.clone());
    let big = vec![b'x'; 20_000];
    let mut batch = crate::resp::encode_request(&[b"SET".to_vec(), b"k".to_vec(), big]);
    batch.extend(crate::resp::encode_request(&[
        b"GET".to_vec(),
        b"k".to_vec(),
    ]));
    batch.extend(crate::resp::encode_request(&[
        b"POST".to_vec(),
        b"/".to_vec(),
    ]));
    let mut c = crate::networking::create_client(&mut s, Tid::Main, vec![batch]);
    assert!(!run_main_client(&mut s, &mut c));
    assert!(c.sent.is_empty(), "{:?}", String::from_utf8_lossy(&c.sent));
    assert_eq!(
        s.stat_reply_refs, 1,
        "GET's reply must have referenced the value"
    );
    crate::networking::free_client(&mut s, c);
    let mut f = crate::networking::create_client(&mut s, Tid::Main, vec![]);
    crate::db::empty_db(&mut s, &mut f, false);
    crate::networking::free_client(&mut s, f);
    while s.bio.step(&env) {}
    env.ledger.assert_quiescent();
}
