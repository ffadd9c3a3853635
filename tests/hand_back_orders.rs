//! #14738's two hand-back orders, stepped by hand (no OS threads, so no interleaving *inside*
//! a read-modify-write): A's GET takes a reference to V, B's SET disposes of V, then either A's
//! reply is written and handed back before B's IO thread frees its deferred objects, or after.
//!
//! Fixed model: in both orders every decrement of V happens on main (confinement).
//! With `defer-shared-free`: in both orders IO-2 decrements V while A's reply still references
//! it — and the counts still come out right, because the two RMWs do not overlap. Only an
//! interleaving inside them loses the update: the explorers find that, real threads rarely do.

mod common;

use common::{client, quiesce};
use refrace_model::client::Client;
use refrace_model::iothread::{io_handle_client, main_handle_client, run_main_client};
use refrace_model::ledger::{Op, Tid};
use refrace_model::object::Cx;
use refrace_model::{resp, Config, Env, Fault, FaultSet, Server};
use std::sync::Arc;

fn io_client(s: &mut Server, tid: Tid, cmd: &[&[u8]]) -> Client {
    let mut c = client(s);
    c.tid = tid;
    c.running_tid = tid;
    c.script.push_back(resp::encode_request(cmd));
    c
}

/// Run both clients in the given order; returns the threads that decremented V.
fn run(faults: FaultSet, a_first: bool) -> Vec<Tid> {
    let env: Arc<Env> = Env::new(
        Config {
            io_threads_num: 3,
            faults,
            ..Config::default()
        },
        true,
    );
    let mut s = Server::new(env.clone());
    let mut setup = client(&mut s);
    setup.fake = true;
    setup
        .script
        .push_back(resp::encode_request(&[&b"SET"[..], b"k", &[b'v'; 70_000]]));
    run_main_client(&mut s, &mut setup);
    refrace_model::networking::free_client(&mut s, setup);
    let v = s.db[0].dict[&b"k"[..]].ptr();

    let (io1, io2) = (
        Cx {
            env: &env,
            tid: Tid::Io(1),
        },
        Cx {
            env: &env,
            tid: Tid::Io(2),
        },
    );
    let mut a = io_client(&mut s, Tid::Io(1), &[b"GET", b"k"]);
    let mut b = io_client(&mut s, Tid::Io(2), &[b"SET", b"k", b"v2"]);
    io_handle_client(io1, &mut a);
    io_handle_client(io2, &mut b);
    let a = main_handle_client(&mut s, a).expect("GET keeps A open");
    let b = main_handle_client(&mut s, b).expect("SET keeps B open");
    if a_first {
        write_and_close(io1, a, &mut s);
        write_and_close(io2, b, &mut s);
    } else {
        write_and_close(io2, b, &mut s);
        write_and_close(io1, a, &mut s);
    }
    quiesce(&env, &mut s);
    env.ledger
        .trace()
        .iter()
        .filter(|e| e.ptr == v && matches!(e.op, Op::Decr(..)))
        .map(|e| e.tid)
        .collect()
}

/// The IO thread frees what main deferred to it, writes the reply and hands the closing client
/// back; main drops what the IO thread kept and frees the client.
fn write_and_close(io: Cx<'_>, mut c: Client, s: &mut Server) {
    io_handle_client(io, &mut c);
    assert!(main_handle_client(s, c).is_none(), "the client closes");
}

#[test]
fn fixed_model_keeps_every_decrement_of_v_on_main_in_both_orders() {
    for a_first in [true, false] {
        let tids = run(FaultSet::NONE, a_first);
        assert!(!tids.is_empty());
        assert!(
            tids.iter().all(|t| *t == Tid::Main),
            "a_first={a_first}: {tids:?}"
        );
    }
}

#[test]
fn defer_shared_free_lets_io2_decrement_a_referenced_value_in_both_orders() {
    for a_first in [true, false] {
        let tids = run(FaultSet::of(&[Fault::DeferSharedFree]), a_first);
        assert!(tids.contains(&Tid::Io(2)), "a_first={a_first}: {tids:?}");
        assert!(tids.contains(&Tid::Main), "a_first={a_first}: {tids:?}");
    }
}
