//! The client scenarios under loom (bounded exhaustive, `LOOM_MAX_PREEMPTIONS`, default 2):
//! `cargo test --release -p refrace-client --features loom --test loom`.
//!
//! loom explores every interleaving of the application thread, the loop thread and the peer's
//! thread within the preemption bound. loom models at most 5 threads (main included); the
//! scenarios use 3 or 4. The scripted peer's batches are kept small (2 commands) so the state
//! space stays within a few seconds per scenario.

mod common;

use refrace_client::scenarios::{by_name, Opts};
use refrace_client::{Fault, Faults};
use refrace_model::Invariant;
use refrace_sims::explore::{env_num, Explorer, UNBOUNDED};

fn loom() -> Explorer {
    Explorer::Loom {
        preemptions: env_num("LOOM_MAX_PREEMPTIONS", 2),
    }
}

fn opts(faults: Faults) -> Opts {
    Opts {
        commands: 2,
        payload: 8,
        ..Opts::with_faults(faults)
    }
}

fn clean(name: &str) {
    let sc = by_name(name).expect("scenario");
    let o = common::explore(loom(), sc, opts(Faults::NONE), UNBOUNDED);
    common::assert_clean(sc, &o);
    eprintln!("loom {name}: {} executions, {:?}", o.schedules, o.wall);
}

fn caught(name: &str, fault: Fault, invariant: Invariant) {
    let sc = by_name(name).expect("scenario");
    let o = common::explore(loom(), sc, opts(Faults::only(fault)), UNBOUNDED);
    common::assert_caught(sc, &o, invariant);
}

mod fixed {
    #[test]
    fn send_and_wait() {
        super::clean("send_and_wait");
    }
    #[test]
    fn two_threads() {
        super::clean("two_threads");
    }
    #[test]
    fn pipelined_burst() {
        super::clean("pipelined_burst");
    }
    #[test]
    fn destroy_with_inflight() {
        super::clean("destroy_with_inflight");
    }
    #[test]
    fn destroy_while_server_holds() {
        super::clean("destroy_while_server_holds");
    }
    #[test]
    fn server_closes_connection() {
        super::clean("server_closes_connection");
    }
    #[test]
    fn reconnect_after_refused() {
        super::clean("reconnect_after_refused");
    }
    #[test]
    fn connect_refused_later() {
        super::clean("connect_refused_later");
    }
}

/// The client against refrace's server model (application thread, loop thread, server main).
mod server_model {
    use refrace_client::scenarios::{by_name, PeerKind};
    use refrace_client::Faults;
    use refrace_sims::explore::UNBOUNDED;

    #[test]
    fn send_and_wait() {
        let sc = by_name("send_and_wait").expect("scenario");
        let opts = refrace_client::scenarios::Opts {
            peer: PeerKind::ServerModel,
            ..super::opts(Faults::NONE)
        };
        let o = super::common::explore(super::loom(), sc, opts, UNBOUNDED);
        super::common::assert_clean(sc, &o);
        eprintln!(
            "loom server_model::send_and_wait: {} executions, {:?}",
            o.schedules, o.wall
        );
    }
}

mod negative {
    use refrace_client::Fault;
    use refrace_model::Invariant;

    #[test]
    fn keep_formatted_cmd() {
        super::caught(
            "pipelined_burst",
            Fault::KeepFormattedCmd,
            Invariant::RetentionBound,
        );
    }
    #[test]
    fn leak_context_on_connect_failure() {
        super::caught(
            "reconnect_after_refused",
            Fault::LeakContextOnConnectFailure,
            Invariant::Leak,
        );
    }
    #[test]
    fn free_after_disconnect_callback() {
        super::caught(
            "server_closes_connection",
            Fault::FreeAfterDisconnectCallback,
            Invariant::DoubleFree,
        );
    }
    #[test]
    fn destroy_with_callback_pending() {
        super::caught(
            "destroy_while_server_holds",
            Fault::DestroyWithCallbackPending,
            Invariant::UseAfterFree,
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
