//! Bad input never panics and never corrupts: any byte string through the request parser and
//! the command layer yields replies (Redis's `Protocol error: …` for malformed frames), leaves
//! the keyspace as it was, and the ledger quiesces afterwards.

mod common;

use common::{client, config, quiesce};
use proptest::prelude::*;
use refrace_model::iothread::run_main_client;
use refrace_model::{networking, resp, Env, Server};

fn server() -> (std::sync::Arc<Env>, Server) {
    let env = Env::new(config(), false);
    let mut s = Server::new(env.clone());
    let mut c = client(&mut s);
    c.script
        .push_back(resp::encode_request(&[&b"SET"[..], b"k", &[b'v'; 20_000]]));
    c.script
        .push_back(resp::encode_request(&[&b"RPUSH"[..], b"l", b"a", b"b"]));
    run_main_client(&mut s, &mut c);
    networking::free_client(&mut s, c);
    (env, s)
}

fn keyspace(s: &Server) -> Vec<(Vec<u8>, usize)> {
    let mut v: Vec<(Vec<u8>, usize)> = s.db[0]
        .dict
        .iter()
        .map(|(k, o)| (k.clone(), o.list_len() + o.refcount_peek() as usize))
        .collect();
    v.sort();
    v
}

/// Feed `bytes` as one connection; returns what it received.
fn feed(s: &mut Server, bytes: &[u8]) -> Vec<u8> {
    let mut c = client(s);
    c.script.push_back(bytes.to_vec());
    run_main_client(s, &mut c);
    let out = c.sent.clone();
    networking::free_client(s, c);
    out
}

#[test]
fn malformed_frames_get_redis_errors_and_change_nothing() {
    let cases: &[(&[u8], &[u8])] = &[
        (
            b"*abc\r\n",
            b"-ERR Protocol error: invalid multibulk length\r\n",
        ),
        (
            b"*1\r\n+x\r\n",
            b"-ERR Protocol error: expected '$', got '+'\r\n",
        ),
        (
            b"*1\r\n$-5\r\n",
            b"-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"*1\r\n$\xff\r\n",
            b"-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"*2\r\n$3\r\nGET\r\n!\r\n",
            b"-ERR Protocol error: expected '$', got '!'\r\n",
        ),
        (
            b"*1\r\n\xe9\r\n",
            b"-ERR Protocol error: expected '$', got '\xe9'\r\n",
        ),
        (
            b"SET k \"unbalanced\r\n",
            b"-ERR Protocol error: unbalanced quotes in request\r\n",
        ),
    ];
    let (env, mut s) = server();
    let before = keyspace(&s);
    let mem = env.ledger.used_memory();
    for (input, want) in cases {
        let got = feed(&mut s, input);
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(want),
            "input {:?}",
            String::from_utf8_lossy(input)
        );
        assert_eq!(keyspace(&s), before, "keyspace changed by {input:?}");
        assert_eq!(env.ledger.used_memory(), mem, "memory changed by {input:?}");
    }
    // An unterminated line is incomplete (Redis looks for CR first): no reply, nothing runs.
    assert_eq!(feed(&mut s, b"*2\r\n$3\r\nGET\r\n!"), b"");
    // A frame after a protocol error is never executed: Redis closes the connection.
    let got = feed(&mut s, b"*x\r\n*1\r\n$8\r\nFLUSHALL\r\n");
    assert_eq!(got, b"-ERR Protocol error: invalid multibulk length\r\n");
    assert_eq!(keyspace(&s), before);
    quiesce(&env, &mut s);
}

fn fragment() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..40),
        prop::sample::select(vec![
            b"*".to_vec(),
            b"$".to_vec(),
            b"\r\n".to_vec(),
            b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n".to_vec(),
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nx\r\n".to_vec(),
            b"*1\r\n$8\r\nFLUSHALL\r\n".to_vec(),
            b"GET k\r\n".to_vec(),
            b"DEL k l\n".to_vec(),
            b"\"a\\x4".to_vec(),
            b"-1".to_vec(),
            b"99999999999999999999".to_vec(),
        ]),
    ]
}

fn argv() -> impl Strategy<Value = Vec<Vec<u8>>> {
    let names: Vec<Vec<u8>> = refrace_model::commands::COMMANDS
        .iter()
        .map(|c| c.name.as_bytes().to_vec())
        .chain([b"config".to_vec(), b"memory".to_vec(), b"debug".to_vec()])
        .collect();
    let word = prop_oneof![
        prop::sample::select(vec![
            b"k".to_vec(),
            b"l".to_vec(),
            b"-1".to_vec(),
            b"0".to_vec(),
            b"9223372036854775807".to_vec(),
            b"-9223372036854775808".to_vec(),
            b"EX".to_vec(),
            b"PX".to_vec(),
            b"NX".to_vec(),
            b"GET".to_vec(),
            b"KEEPTTL".to_vec(),
            b"get".to_vec(),
            b"set".to_vec(),
            b"usage".to_vec(),
            b"lazyfree-lazy-server-del".to_vec(),
            b"yes".to_vec(),
            b"ASYNC".to_vec(),
        ]),
        prop::collection::vec(any::<u8>(), 0..12),
    ];
    (
        prop::sample::select(names),
        prop::collection::vec(word, 0..6),
    )
        .prop_map(|(n, mut rest)| {
            rest.insert(0, n);
            rest
        })
}

proptest! {
    #![proptest_config(common::proptest_config(300))]

    /// Any byte string through parser + commands: no panic, ledger quiescent afterwards.
    #[test]
    fn any_bytes_never_panic(parts in prop::collection::vec(fragment(), 0..12)) {
        let (env, mut s) = server();
        let bytes: Vec<u8> = parts.concat();
        feed(&mut s, &bytes);
        quiesce(&env, &mut s);
    }

    /// Any argv of known command names with hostile arguments: a reply, never a panic.
    #[test]
    fn any_argv_never_panics(cmds in prop::collection::vec(argv(), 1..16)) {
        let (env, mut s) = server();
        for a in &cmds {
            let got = feed(&mut s, &resp::encode_request(a));
            prop_assert!(!got.is_empty() || a[0].eq_ignore_ascii_case(b"post"), "no reply to {:?}", a);
        }
        quiesce(&env, &mut s);
    }
}
