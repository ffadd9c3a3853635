//! The client against refrace's own server model in the same world: one exploration
//! interleaves the application thread(s), the client's loop thread and the server's main
//! thread; both ledgers (client and server) are checked at quiescence. Only the scenarios that
//! do not script their peer run here (the server model cannot be told to refuse or hold).

mod common;

use refrace_client::scenarios::{by_name, Opts, PeerKind, CATALOGUE};
use refrace_client::{Fault, Faults};
use refrace_model::Invariant;
use refrace_sims::explore::Explorer;

fn opts(faults: Faults) -> Opts {
    Opts {
        peer: PeerKind::ServerModel,
        ..Opts::with_faults(faults)
    }
}

fn clean(name: &str) {
    let sc = by_name(name).expect("scenario");
    assert!(!sc.scripted, "{name} scripts its peer");
    let pct = Explorer::ShuttlePct {
        depth: common::pct_depth(),
    };
    for mode in [Explorer::ShuttleRandom, pct] {
        let o = common::explore(mode, sc, opts(Faults::NONE), common::shuttle_iters());
        common::assert_clean(sc, &o);
    }
    let o = common::explore(
        Explorer::Stress,
        sc,
        opts(Faults::NONE),
        common::stress_iters(),
    );
    common::assert_clean(sc, &o);
}

fn caught(name: &str, fault: Fault, invariant: Invariant) {
    let sc = by_name(name).expect("scenario");
    let o = common::explore(
        Explorer::ShuttleRandom,
        sc,
        opts(Faults::only(fault)),
        common::shuttle_iters(),
    );
    common::assert_caught(sc, &o, invariant);
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

#[test]
fn every_unscripted_scenario_runs_here() {
    let unscripted: Vec<&str> = CATALOGUE
        .iter()
        .filter(|s| !s.scripted)
        .map(|s| s.name)
        .collect();
    assert_eq!(
        unscripted,
        ["send_and_wait", "two_threads", "destroy_with_inflight"]
    );
}

mod negative {
    use refrace_client::Fault;
    use refrace_model::Invariant;

    #[test]
    fn keep_formatted_cmd() {
        super::caught(
            "send_and_wait",
            Fault::KeepFormattedCmd,
            Invariant::RetentionBound,
        );
    }

    #[test]
    fn stop_loop_before_callbacks() {
        super::caught(
            "destroy_with_inflight",
            Fault::StopLoopBeforeCallbacks,
            Invariant::Leak,
        );
    }
}
