//! The client scenarios on real OS threads (`REFRACE_CLIENT_STRESS_ITERS` runs each, default
//! 30): what the hardware happens to do. The negative controls count failing runs; a fault
//! that needs a narrow window (destroy-with-callback-pending) is given more runs.

mod common;

use refrace_client::scenarios::{by_name, Opts, CATALOGUE};
use refrace_client::{Fault, Faults};
use refrace_sims::explore::Explorer;

fn clean(name: &str) {
    let sc = by_name(name).expect("scenario");
    let o = common::explore(
        Explorer::Stress,
        sc,
        common::fixed_opts(),
        common::stress_iters(),
    );
    common::assert_clean(sc, &o);
}

fn caught(fault: Fault) {
    for sc in CATALOGUE.iter() {
        for (f, inv) in sc.catches {
            if *f != fault {
                continue;
            }
            let opts = Opts::with_faults(Faults::only(fault));
            let o = common::explore(Explorer::Stress, sc, opts, common::stress_iters() * 10);
            common::assert_caught(sc, &o, *inv);
            eprintln!(
                "stress {} with {fault}: {}/{} runs failed",
                sc.name, o.failures, o.schedules
            );
        }
    }
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

mod negative {
    use refrace_client::Fault;

    #[test]
    fn keep_formatted_cmd() {
        super::caught(Fault::KeepFormattedCmd);
    }
    #[test]
    fn leak_context_on_connect_failure() {
        super::caught(Fault::LeakContextOnConnectFailure);
    }
    #[test]
    fn free_after_disconnect_callback() {
        super::caught(Fault::FreeAfterDisconnectCallback);
    }
    #[test]
    fn destroy_with_callback_pending() {
        super::caught(Fault::DestroyWithCallbackPending);
    }
    #[test]
    fn stop_loop_before_callbacks() {
        super::caught(Fault::StopLoopBeforeCallbacks);
    }
}
