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

/// Command streams from the generator shared with the fuzz targets and the differential lane
/// (`refrace-gen`): every command the model has, with options and error paths, but for what the
/// reference leaves out (`Cmd::in_reference_scope`); keys collide, values reach 20 000 bytes.
fn commands() -> impl Strategy<Value = Vec<Vec<Vec<u8>>>> {
    refrace_gen::strategy::commands(40)
        .prop_map(|cs| {
            cs.iter()
                .filter(|c| c.in_reference_scope())
                .map(|c| c.argv())
                .collect::<Vec<_>>()
        })
        .prop_filter("at least one command", |cs| !cs.is_empty())
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
    fn replies_match_the_reference_and_the_ledger_quiesces(cmds in commands()) {
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
    fn replies_match_through_an_io_thread(cmds in commands()) {
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
