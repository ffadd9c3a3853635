//! std stress lane: every scenario on real OS threads, `REFRACE_STRESS_ITERS` runs each (default
//! 200); faults from `REFRACE_FAULT`. Real threads only show what the hardware happens to do:
//! `negative::*` checks the faults whose detection does not depend on timing, and
//! `rate::*` reports how often the racy ones show.
#![cfg(not(feature = "loom"))]

use refrace_sims::explore::{stress, Budget};
use refrace_sims::lanes::{self, check_caught, scenario};
use refrace_sims::scenarios::Opts;

fn stress_lane(name: &str) {
    let iters = Budget::from_env().stress_iters;
    lanes::lane(name, |sc, opts| vec![stress(|| sc.run(&opts), iters)]);
}

refrace_sims::scenario_tests!(stress_lane);

fn with_faults(name: &str, i: usize) -> (&'static refrace_sims::scenarios::Scenario, Opts) {
    let sc = scenario(name);
    let opts = Opts {
        faults: refrace_model::FaultSet::of(sc.catches[i].faults),
        ..Opts::default()
    };
    (sc, opts)
}

mod negative {
    use super::*;

    /// Faults whose consequence does not depend on the interleaving are caught on real threads.
    #[test]
    fn deterministic_faults_are_caught_on_real_threads() {
        for (name, i) in [
            ("get_del_then_close", 0),
            ("get_del_then_close", 1),
            ("get_del_then_close", 2),
            ("deferred_release_then_address_reuse", 0),
            ("getex_ex_on_referenced_value", 0),
            ("mget_saturates_refcount", 0),
            ("getkeysinslot_owned_keys", 0),
        ] {
            let (sc, opts) = with_faults(name, i);
            let o = stress(|| sc.run(&opts), 3);
            check_caught(sc, &sc.catches[i], &o);
            assert_eq!(
                o.failures, 3,
                "{name}: a deterministic fault must show every time"
            );
        }
    }
}

mod rate {
    use super::*;

    /// How often #14738 shows on real threads (printed; it may be rare, so a count of zero is
    /// allowed), and every failure that does show is named by one of the fault's invariants.
    #[test]
    fn defer_shared_free_on_real_threads() {
        let (sc, opts) = with_faults("get_reply_ref_vs_overwrite", 0);
        let iters = Budget::from_env().stress_iters;
        let o = stress(|| sc.run(&opts), iters);
        println!(
            "defer-shared-free on real threads: {} of {} runs failed ({:?})",
            o.failures, o.schedules, o.wall
        );
        if let Some(f) = &o.first {
            check_caught(sc, &sc.catches[0], &o);
            assert!(f.invariant.is_some(), "{}", f.message);
        }
    }
}
