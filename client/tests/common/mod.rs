//! Shared by the client's test binaries: budgets, and running a scenario under an explorer with
//! an expectation (clean, or caught with a named invariant).
#![allow(dead_code)] // each test binary uses part of it

use refrace_client::scenarios::{Opts, Scenario};
use refrace_sims::explore::{env_num, quietly, Outcome};

/// Schedules per shuttle scheduler per scenario: `REFRACE_CLIENT_SHUTTLE_ITERS` (default 300).
pub fn shuttle_iters() -> usize {
    env_num("REFRACE_CLIENT_SHUTTLE_ITERS", 300)
}

/// Real-thread runs per scenario: `REFRACE_CLIENT_STRESS_ITERS` (default 30).
pub fn stress_iters() -> usize {
    env_num("REFRACE_CLIENT_STRESS_ITERS", 30)
}

/// Shuttle seed: `REFRACE_SEED` (default 0x5eed, as the other lanes).
pub fn seed() -> u64 {
    env_num("REFRACE_SEED", 0x5eed)
}

/// PCT depth: `REFRACE_PCT_DEPTH` (default 3).
pub fn pct_depth() -> usize {
    env_num("REFRACE_PCT_DEPTH", 3)
}

/// The explorer's outcome must be clean.
pub fn assert_clean(sc: &Scenario, o: &Outcome) {
    if let Some(f) = &o.first {
        panic!(
            "{} under {}: schedule {} of {} failed: {}{}",
            sc.name,
            o.explorer,
            f.schedule,
            o.schedules,
            f.message,
            f.replay
                .as_ref()
                .map(|p| format!("\n  replay: {}", p.display()))
                .unwrap_or_default()
        );
    }
    assert!(
        o.schedules > 0,
        "{} under {}: no schedule ran",
        sc.name,
        o.explorer
    );
}

/// The explorer must have found a failure naming `invariant`.
pub fn assert_caught(sc: &Scenario, o: &Outcome, invariant: &str) {
    let Some(f) = &o.first else {
        panic!(
            "{} under {}: the fault was not caught in {} schedules",
            sc.name, o.explorer, o.schedules
        );
    };
    assert_eq!(
        f.invariant.as_deref(),
        Some(invariant),
        "{} under {}: caught as something else at schedule {}: {}",
        sc.name,
        o.explorer,
        f.schedule,
        f.message
    );
}

/// `sc` with `opts`, as a closure an explorer can run.
pub fn body(sc: &'static Scenario, opts: Opts) -> impl Fn() + Send + Sync + 'static {
    move || {
        (sc.run)(&opts);
    }
}

/// Run `f` with panics silenced (negative controls expect them). The panic hook is
/// process-wide, so silenced runs take turns (tests run in parallel).
pub fn silent<T>(f: impl FnOnce() -> T) -> T {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    quietly(f)
}
