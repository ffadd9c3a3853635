//! Helpers shared by the root integration tests.
// Each test binary compiles this module and uses a subset of it.
#![allow(dead_code)]

use refrace_model::client::Client;
use refrace_model::ledger::Tid;
use refrace_model::{db, networking, Config, Env, FaultSet, Server};

/// The configuration under test: faults from `REFRACE_FAULT` (an unknown name fails loudly).
pub fn config() -> Config {
    Config {
        faults: FaultSet::from_env().unwrap_or_else(|e| panic!("REFRACE_FAULT: {e}")),
        ..Config::default()
    }
}

/// A connection living on main.
pub fn client(s: &mut Server) -> Client {
    networking::create_client(s, Tid::Main, Vec::new())
}

/// FLUSHALL SYNC, drain BIO, and assert the oracle at quiescence.
pub fn quiesce(env: &Env, s: &mut Server) {
    let mut f = client(s);
    db::empty_db(s, &mut f, false);
    networking::free_client(s, f);
    while s.bio.step(env) {}
    s.assert_reply_refs_empty();
    env.ledger.assert_quiescent();
}

/// Proptest settings: `PROPTEST_CASES` cases when set (to scale a run up), else `default`. A run
/// with a fault switched on fails on purpose, so it persists no regression seed.
pub fn proptest_config(default: u32) -> proptest::test_runner::Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    let mut cfg = proptest::test_runner::Config::with_cases(cases);
    if !config().faults.is_empty() {
        cfg.failure_persistence = None;
    }
    cfg
}
