//! The client scenarios under shuttle, random and PCT schedulers
//! (`REFRACE_CLIENT_SHUTTLE_ITERS` schedules each, default 300; `REFRACE_SEED`,
//! `REFRACE_PCT_DEPTH`). `fixed::<scenario>` must run clean; `negative::<fault>` must be caught
//! by the scenario the catalogue names, with the invariant it names.

mod common;

use refrace_client::scenarios::{by_name, Opts, CATALOGUE};
use refrace_client::{Fault, Faults};
use refrace_sims::explore::Explorer;

fn modes() -> [Explorer; 2] {
    [
        Explorer::ShuttleRandom,
        Explorer::ShuttlePct {
            depth: common::pct_depth(),
        },
    ]
}

fn clean(name: &str) {
    let sc = by_name(name).expect("scenario");
    for mode in modes() {
        let o = common::explore(mode, sc, common::fixed_opts(), common::shuttle_iters());
        common::assert_clean(sc, &o);
        assert_eq!(
            o.schedules,
            common::shuttle_iters(),
            "{name}: budget not used"
        );
    }
}

/// Every scenario listing `fault` must catch it, under both schedulers.
fn caught(fault: Fault) {
    let mut n = 0;
    for sc in CATALOGUE.iter() {
        for (f, inv) in sc.catches {
            if *f != fault {
                continue;
            }
            n += 1;
            for mode in modes() {
                let opts = Opts::with_faults(Faults::only(fault));
                let o = common::explore(mode, sc, opts, common::shuttle_iters());
                common::assert_caught(sc, &o, *inv);
            }
        }
    }
    assert!(n > 0, "no scenario catches {fault}");
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

/// Every fault is listed by a scenario, and every scenario test above exists (the catalogue
/// and these tests cannot drift apart silently).
#[test]
fn catalogue_covers_every_fault() {
    for f in Fault::ALL {
        assert!(
            CATALOGUE
                .iter()
                .any(|sc| sc.catches.iter().any(|(g, _)| *g == f)),
            "fault {f} has no scenario that catches it"
        );
    }
    let names: Vec<&str> = CATALOGUE.iter().map(|s| s.name).collect();
    assert_eq!(
        names,
        [
            "send_and_wait",
            "two_threads",
            "pipelined_burst",
            "destroy_with_inflight",
            "destroy_while_server_holds",
            "server_closes_connection",
            "reconnect_after_refused",
            "connect_refused_later"
        ],
        "a scenario was added or renamed: add its tests to every lane"
    );
}
