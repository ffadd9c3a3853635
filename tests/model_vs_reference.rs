//! The model against the sequential reference model, one client, command by command: replies
//! must be byte-identical and the ledger quiescent afterwards (proptest, model-based).
//! Commands are drawn from small alphabets so keys collide, and values can be large enough for
//! copy avoidance (16 KiB with no IO threads), so reply references are taken and released.

mod common;

use common::{client, config, quiesce};
use proptest::prelude::*;
use refrace_model::iothread::run_main_client;
use refrace_model::iothread::{io_handle_client, main_handle_client};
use refrace_model::ledger::Tid;
use refrace_model::object::Cx;
use refrace_model::reference::Reference;
use refrace_model::server::EPOCH_MS;
use refrace_model::{networking, resp, Config, Env, Server};

fn key() -> impl Strategy<Value = Vec<u8>> {
    prop::sample::select(vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()])
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(vec![
            b"1".to_vec(),
            b"-7".to_vec(),
            b"x".to_vec(),
            b"".to_vec()
        ]),
        (0u8..3).prop_map(|t| vec![b'v' + t; 50]),
        (0u8..2).prop_map(|t| vec![b'B' + t; 20_000]),
    ]
}

fn c(parts: &[&[u8]]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.to_vec()).collect()
}

fn string_command() -> impl Strategy<Value = Vec<Vec<u8>>> {
    let opt = prop::sample::select(vec!["NX", "XX", "GET", "KEEPTTL"]);
    let num = prop::sample::select(vec!["0", "1", "5", "-3", "x", "9223372036854775807"]);
    prop_oneof![
        key().prop_map(|k| c(&[b"GET", &k])),
        (key(), value()).prop_map(|(k, v)| c(&[b"SET", &k, &v])),
        (key(), value(), opt).prop_map(|(k, v, o)| c(&[b"SET", &k, &v, o.as_bytes()])),
        (key(), value()).prop_map(|(k, v)| c(&[b"SET", &k, &v, b"PX", b"2"])),
        (key(), value(), key(), value()).prop_map(|(k, v, j, w)| c(&[b"MSET", &k, &v, &j, &w])),
        key().prop_map(|k| c(&[b"GETDEL", &k])),
        key().prop_map(|k| c(&[b"GETEX", &k, b"EX", b"100"])),
        key().prop_map(|k| c(&[b"GETEX", &k, b"PERSIST"])),
        (key(), value()).prop_map(|(k, v)| c(&[b"APPEND", &k, &v])),
        (key(), value()).prop_map(|(k, v)| c(&[b"SETRANGE", &k, b"3", &v])),
        (key(), value()).prop_map(|(k, v)| c(&[b"GETSET", &k, &v])),
        key().prop_map(|k| c(&[b"STRLEN", &k])),
        key().prop_map(|k| c(&[b"INCR", &k])),
        key().prop_map(|k| c(&[b"DECR", &k])),
        (key(), num.clone()).prop_map(|(k, n)| c(&[b"INCRBY", &k, n.as_bytes()])),
        (key(), num).prop_map(|(k, n)| c(&[b"DECRBY", &k, n.as_bytes()])),
        (key(), key()).prop_map(|(k, j)| c(&[b"MGET", &k, &j, &k])),
        value().prop_map(|v| c(&[b"ECHO", &v])),
        value().prop_map(|v| c(&[b"PING", &v])),
        Just(c(&[b"PING"])),
    ]
}

fn keyspace_command() -> impl Strategy<Value = Vec<Vec<u8>>> {
    let knob = prop::sample::select(vec![
        "lazyfree-lazy-server-del",
        "lazyfree-lazy-user-del",
        "lazyfree-lazy-user-flush",
        "lazyfree-lazy-expire",
        "io-threads",
    ]);
    prop_oneof![
        (key(), key()).prop_map(|(k, j)| c(&[b"DEL", &k, &j])),
        key().prop_map(|k| c(&[b"UNLINK", &k])),
        key().prop_map(|k| c(&[b"EXISTS", &k])),
        key().prop_map(|k| c(&[b"TTL", &k])),
        key().prop_map(|k| c(&[b"PTTL", &k])),
        key().prop_map(|k| c(&[b"PEXPIRE", &k, b"1"])),
        key().prop_map(|k| c(&[b"EXPIRE", &k, b"100"])),
        key().prop_map(|k| c(&[b"PERSIST", &k])),
        (key(), value()).prop_map(|(k, v)| c(&[b"RPUSH", &k, &v])),
        (key(), value()).prop_map(|(k, v)| c(&[b"LPUSH", &k, &v, &v])),
        key().prop_map(|k| c(&[b"LPOP", &k])),
        key().prop_map(|k| c(&[b"RPOP", &k, b"2"])),
        key().prop_map(|k| c(&[b"LLEN", &k])),
        key().prop_map(|k| c(&[b"LRANGE", &k, b"0", b"-1"])),
        knob.clone()
            .prop_map(|n| c(&[b"CONFIG", b"GET", n.as_bytes()])),
        (knob, prop::sample::select(vec!["yes", "no", "7"])).prop_map(|(n, v)| c(&[
            b"CONFIG",
            b"SET",
            n.as_bytes(),
            v.as_bytes()
        ])),
        prop::sample::select(vec!["0", "1"]).prop_map(|v| c(&[
            b"DEBUG",
            b"REPLY-COPY-AVOIDANCE",
            v.as_bytes()
        ])),
        Just(c(&[b"FLUSHALL", b"ASYNC"])),
        Just(c(&[b"FLUSHDB"])),
        Just(c(&[b"NOSUCH", b"x"])),
        Just(c(&[b"GET"])),
    ]
}

fn command() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop_oneof![string_command(), keyspace_command()]
}

/// Run `cmds` for a client living on IO thread 1, stepping IO and main by hand (no OS thread):
/// the IO side reads and writes (releasing references via `io_deferred_objects`), main
/// executes. Returns everything the client received.
fn run_on_io_thread(s: &mut Server, env: &Env, cmds: &[Vec<Vec<u8>>]) -> Vec<u8> {
    let mut c = client(s);
    c.tid = Tid::Io(1);
    c.running_tid = Tid::Io(1);
    c.script = cmds.iter().map(|a| resp::encode_request(a)).collect();
    let id = c.id;
    let io = Cx {
        env,
        tid: Tid::Io(1),
    };
    loop {
        io_handle_client(io, &mut c);
        match main_handle_client(s, c) {
            Some(back) => c = back,
            None => break,
        }
    }
    s.closed
        .iter()
        .find(|(c, _)| *c == id)
        .map(|(_, b)| b.clone())
        .unwrap_or_default()
}

proptest! {
    #![proptest_config(common::proptest_config(200))]

    #[test]
    fn replies_match_the_reference_and_the_ledger_quiesces(cmds in prop::collection::vec(command(), 1..40)) {
        let env = Env::new(config(), false);
        let mut s = Server::new(env.clone());
        let mut c = client(&mut s);
        let mut r = Reference::new(EPOCH_MS);
        for (i, argv) in cmds.iter().enumerate() {
            let before = c.sent.len();
            c.script.push_back(resp::encode_request(argv));
            run_main_client(&mut s, &mut c);
            let got = c.sent[before..].to_vec();
            let want = r.execute(argv, EPOCH_MS + i as i64 + 1);
            prop_assert_eq!(
                String::from_utf8_lossy(&got[..got.len().min(200)]),
                String::from_utf8_lossy(&want[..want.len().min(200)]),
                "command {} {:?}", i, String::from_utf8_lossy(&argv[0])
            );
            prop_assert_eq!(got, want);
        }
        networking::free_client(&mut s, c);
        quiesce(&env, &mut s);
    }
}

proptest! {
    #![proptest_config(common::proptest_config(100))]

    /// The same streams through an IO thread with copy avoidance for every RAW value
    /// (`io-threads 7`): replies still match, and every reference is released exactly once.
    #[test]
    fn replies_match_through_an_io_thread(cmds in prop::collection::vec(command(), 1..40)) {
        let env = Env::new(Config { io_threads_num: 7, ..config() }, false);
        let mut s = Server::new(env.clone());
        let got = run_on_io_thread(&mut s, &env, &cmds);
        let mut r = Reference::new(EPOCH_MS);
        r.set_io_threads(7);
        let want: Vec<u8> = cmds
            .iter()
            .enumerate()
            .flat_map(|(i, argv)| r.execute(argv, EPOCH_MS + i as i64 + 1))
            .collect();
        let at = got.iter().zip(&want).position(|(a, b)| a != b).unwrap_or(got.len().min(want.len()));
        prop_assert!(
            got == want,
            "streams differ at byte {}: model {:?} vs reference {:?}",
            at,
            String::from_utf8_lossy(&got[at..got.len().min(at + 80)]),
            String::from_utf8_lossy(&want[at..want.len().min(at + 80)])
        );
        quiesce(&env, &mut s);
    }
}

proptest! {
    #![proptest_config(common::proptest_config(200))]

    /// The generator shared with the fuzz targets and the differential lane (`refrace-gen`):
    /// every command the model has, with options and error paths, against the reference, but
    /// for what the reference leaves out (`Cmd::in_reference_scope`).
    #[test]
    fn shared_generator_streams_match_the_reference(cmds in refrace_gen::strategy::commands(40)) {
        let cmds: Vec<_> = cmds.into_iter().filter(refrace_gen::Cmd::in_reference_scope).collect();
        let env = Env::new(config(), false);
        let mut s = Server::new(env.clone());
        let mut c = client(&mut s);
        let mut r = Reference::new(EPOCH_MS);
        for (i, cmd) in cmds.iter().enumerate() {
            let argv = cmd.argv();
            let before = c.sent.len();
            c.script.push_back(resp::encode_request(&argv));
            run_main_client(&mut s, &mut c);
            let got = c.sent[before..].to_vec();
            let want = r.execute(&argv, EPOCH_MS + i as i64 + 1);
            prop_assert_eq!(
                String::from_utf8_lossy(&got[..got.len().min(300)]),
                String::from_utf8_lossy(&want[..want.len().min(300)]),
                "command {} {:?}", i, cmd
            );
            prop_assert_eq!(got, want);
        }
        networking::free_client(&mut s, c);
        quiesce(&env, &mut s);
    }
}
