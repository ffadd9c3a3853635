//! shuttle lane: every scenario under the random scheduler and PCT (depth from
//! `REFRACE_PCT_DEPTH`, default 3), `REFRACE_SHUTTLE_ITERS` schedules each, seeded by
//! `REFRACE_SEED`; faults from `REFRACE_FAULT`. `negative::*` are the negative controls.
#![cfg(not(feature = "loom"))]

use refrace_sims::explore::{shuttle_run, Budget, ShuttleMode};
use refrace_sims::lanes::{check_caught, check_run, env_opts, scenario};
use refrace_sims::scenarios::Opts;

fn lane(name: &str) {
    let sc = scenario(name);
    let opts = env_opts();
    let b = Budget::from_env();
    for mode in [ShuttleMode::Random, ShuttleMode::Pct(b.pct_depth)] {
        let o = shuttle_run(move || (sc.run)(&opts), mode, b.shuttle_iters, b.seed);
        check_run(sc, opts.faults, &o);
    }
}

macro_rules! lane {
    ($name:ident) => {
        #[test]
        fn $name() {
            lane(stringify!($name));
        }
    };
}
refrace_sims::for_each_scenario!(lane);

mod negative {
    use super::*;

    /// Each catch of the scenario is found by PCT within the budget, named by its invariant.
    fn caught(name: &str) {
        let sc = scenario(name);
        let b = Budget::from_env();
        for catch in sc.catches {
            let opts = Opts {
                faults: refrace_model::FaultSet::of(catch.faults),
                ..Opts::default()
            };
            let o = shuttle_run(
                move || (sc.run)(&opts),
                ShuttleMode::Pct(b.pct_depth),
                b.shuttle_iters,
                b.seed,
            );
            check_caught(sc, catch, &o);
        }
    }

    macro_rules! neg {
        ($name:ident) => {
            #[test]
            fn $name() {
                caught(stringify!($name));
            }
        };
    }
    refrace_sims::for_each_scenario!(neg);
}
