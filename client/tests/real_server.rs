//! The client model against a real redis-server over loopback (real threads): the same
//! scenarios, hiredis model and oracle, with the peer's bytes coming from Redis itself.
//! The server is the project's (`src/diff/server.rs`: `REFRACE_REDIS_SERVER`, `PATH`, or
//! Debian's package installed by the test unless `REFRACE_NO_INSTALL=1`).

mod common;

use refrace_client::scenarios::{by_name, Opts, PeerKind};
use refrace_client::{Fault, Faults};
use refrace_model::Invariant;
use refrace_sims::explore::Explorer;

// Each test starts its own server: `src/diff/server.rs` ties the child's life to the thread
// that started it (PR_SET_PDEATHSIG), and test threads end with their test.
fn opts(server: &common::server::RedisServer, faults: Faults) -> Opts {
    Opts {
        peer: PeerKind::Tcp(server.addr),
        payload: 1024,
        ..Opts::with_faults(faults)
    }
}

fn clean(name: &str) {
    let sc = by_name(name).expect("scenario");
    let srv = common::redis_server();
    let o = common::explore(
        Explorer::Stress,
        sc,
        opts(&srv, Faults::NONE),
        common::stress_iters(),
    );
    common::assert_clean(sc, &o);
}

#[test]
fn send_and_wait() {
    clean("send_and_wait");
}

#[test]
fn two_threads() {
    clean("two_threads");
}

#[test]
fn destroy_with_inflight() {
    clean("destroy_with_inflight");
}

mod negative {
    use super::*;

    #[test]
    fn keep_formatted_cmd() {
        let sc = by_name("send_and_wait").expect("scenario");
        let srv = common::redis_server();
        let f = Faults::only(Fault::KeepFormattedCmd);
        let o = common::explore(Explorer::Stress, sc, opts(&srv, f), common::stress_iters());
        common::assert_caught(sc, &o, Invariant::RetentionBound);
        assert_eq!(o.failures, o.schedules, "caught in every run");
    }

    #[test]
    fn stop_loop_before_callbacks() {
        let sc = by_name("destroy_with_inflight").expect("scenario");
        let srv = common::redis_server();
        let f = Faults::only(Fault::StopLoopBeforeCallbacks);
        let o = common::explore(Explorer::Stress, sc, opts(&srv, f), common::stress_iters());
        common::assert_caught(sc, &o, Invariant::Leak);
    }
}
