//! No run can hang instead of being reported: a thread that dies wakes whoever waits for it,
//! the explorers' own deadlock detectors count as `STUCK`, and the watchdog turns every other
//! stuck run (a thread blocked outside the sync shim, a real-thread run waiting forever) into a
//! reported outcome, with the schedule so far where the explorer records one.
#![cfg(not(feature = "loom"))]

use refrace_model::handoff::{pause_and_take_all, IoInbox, MainInbox, PeerDied};
use refrace_model::sync::{Arc, Condvar, Mutex};
use refrace_model::Invariant;
use refrace_sims::explore::{Explorer, Outcome};
use std::time::{Duration, Instant};

const STALL: Duration = Duration::from_millis(300);

/// Blocks its thread for good, outside the view of every explorer.
fn block_forever() {
    let (_keep, rx) = std::sync::mpsc::channel::<()>();
    let _ = rx.recv();
}

fn assert_stuck(o: &Outcome) {
    let f = o.first.as_ref().expect("a stuck run must be reported");
    assert_eq!(f.invariant, Some(Invariant::Stuck), "{}", f.message);
}

#[test]
fn a_real_thread_run_waiting_forever_is_reported_stuck() {
    let t = Instant::now();
    let o = Explorer::Stress.run_watched("blocked", block_forever, 5, 0, STALL);
    assert_stuck(&o);
    assert_eq!(o.schedules, 1, "the first run is the stuck one");
    assert!(t.elapsed() < Duration::from_secs(20));
}

#[test]
fn a_shuttle_execution_blocked_outside_the_shim_is_reported_with_its_schedule() {
    let o = Explorer::ShuttleRandom.run_watched(
        "blocked",
        || {
            let h = refrace_model::sync::thread::spawn("IO-1", || {});
            refrace_model::sync::thread::yield_now();
            h.join();
            block_forever();
        },
        10,
        1,
        STALL,
    );
    assert_stuck(&o);
    let f = o.first.unwrap();
    assert!(f.replay.is_some(), "the schedule so far is written");
    assert!(f.decisions.is_some(), "the decisions so far are kept");
}

#[test]
fn a_deadlock_of_shim_primitives_is_stuck_as_shuttle_reports_it() {
    let o = Explorer::ShuttleRandom.run_watched(
        "deadlock",
        || {
            let pair = Arc::new((Mutex::new(false), Condvar::new()));
            let g = pair.0.lock();
            let _never_notified = pair.1.wait(g);
        },
        10,
        1,
        Duration::from_secs(30),
    );
    assert_stuck(&o);
    assert!(o.first.unwrap().message.contains("deadlock"));
}

/// The hang of issue 16: an IO thread dies (an invariant broke on it) while main waits for it
/// to pause; main must be woken, not wait forever.
#[test]
fn a_pause_does_not_wait_for_a_thread_that_died() {
    let io = std::sync::Arc::new(IoInbox::new());
    io.set_threaded(true);
    let main = MainInbox::new();
    let dying = io.clone();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        dying.die();
    });
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            refrace_sims::quiet::quietly(|| pause_and_take_all(&[io], &main))
        }));
        let _ = tx.send(
            r.err()
                .is_some_and(|p| p.downcast_ref::<PeerDied>().is_some()),
        );
    });
    let woken = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("main still waits for a dead IO thread");
    assert!(woken, "main must stop with PeerDied");
    t.join().unwrap();
}
