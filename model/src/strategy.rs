//! Reclamation strategies: the few decisions where the model departs from Redis when
//! `Config::strategy` is not [`Strategy::Confinement`].
//! Only confinement is Redis; the other two are run through the same scenarios, explorers and
//! oracle (the ledger) to say which are safe.
//!
//! This module holds the actions main takes (`&mut Server`): taking and releasing a reply
//! reference, pinning, collecting. The pure decisions are in [`crate::reclaim`] (re-exported
//! here), the epoch state in [`crate::epoch`], and what happens when a count reaches 0 in
//! [`crate::object`].
//!
//! | | Confinement (Redis 8.6) | Atomic (not Redis: #14608 review, dropped) | Epoch (not Redis: refrace) |
//! |---|---|---|---|
//! | refcount word | plain ([`crate::sync::RacyWord`]) | atomic RMW ([`crate::sync::AtomicWord`]) | plain |
//! | a reply reference | counted (main increments) | counted | **not counted**: a borrow, protected by the client's epoch pin |
//! | sent reference, on an IO thread | deferred to main (`ioDeferFreeRobj`) | released by the IO thread itself | borrow ends on the IO thread |
//! | count reaching 0 | freed now | freed now by whichever thread reached 0 | RAW strings retired; freed after the grace period |
//!
//! Who may touch what: the epoch state ([`EpochState`]) is main's alone (in `Server`): main pins
//! a client when its reply first borrows a value and unpins it once main knows the borrows are
//! gone (at hand-back, `freeClient`); main retires and collects. Other threads only hand an
//! object whose count reached 0 to main through [`crate::env::Env`]'s limbo queue (a shim mutex: the
//! happens-before edge a real hand-off needs). The clients' `io_released` lists carry IO-thread
//! releases back to main so that main-only bookkeeping (`clients_reply_refs`, the borrow count
//! in the header) is updated on main, late but never early.
//!
//! Why pins are per client and not per thread: a reply's reference is created by main and
//! travels with the client through the hand-off queues to its IO thread. A thread-level pin
//! taken by the IO thread when it starts writing does not cover the time in between, so a value
//! retired meanwhile could be collected before the write (`epoch-unpinned-write` puts that
//! design back and the harness reports USE_AFTER_FREE). So each client with borrows owns a
//! crossbeam-epoch participant (`LocalHandle`) pinned from its first borrow until main learns it
//! has none left; the global epoch cannot advance twice past a pinned participant, so nothing
//! retired while a client holds a borrow is freed before the borrow ends.
//!
//! crossbeam-epoch is used for real under every backend. All its calls are made by main, so its
//! internal atomics never run concurrently; what explorers interleave is main's retire/collect
//! steps against IO threads' reads of borrowed values (every read is a checked ledger access).
//! The gap, stated: crossbeam-epoch's own lock-free protocol is not explored by loom or shuttle
//! here (its internals are invisible to both); it is crossbeam's to verify (it has a
//! `crossbeam_loom` build for that).
//!
//! Invariants: the same oracle for every strategy. An epoch borrow is an uncounted holder in the
//! ledger (`Ledger::borrow`): `COUNT_CONSERVATION` counts only counted holders; a value freed
//! while borrowed is `USE_AFTER_FREE` at the borrower's next read; garbage never collected is a
//! `LEAK` at quiescence ([`quiesce`] collects all that can be collected first).

pub use crate::epoch::EpochState;
pub use crate::reclaim::{io_may_release, main_retires, reply_ref_counts, sole_owner};

use crate::config::{Fault, Strategy};
use crate::ledger::{Holder, Tid};
use crate::object::{Cx, RObj};
use crate::server::Server;

/// A reply of client `client` takes a reference to `obj` (main): `incrRefCount`, or under epoch
/// an uncounted borrow covered by the client's pin.
pub fn take_reply_ref(s: &mut Server, client: u64, obj: &RObj) {
    let env = s.env();
    let cx = Cx::main(&env);
    if reply_ref_counts(env.cfg.strategy) {
        obj.incr_ref_count(cx, Holder::Reply(client));
        return;
    }
    if let Some(e) = s.epoch.as_mut() {
        e.pin(client);
    }
    obj.hdr().reply_borrows += 1;
    env.ledger
        .borrow(Tid::Main, obj.ptr(), Holder::Reply(client));
}

/// Release one reply reference of `client` to `obj` on the calling thread: `decrRefCount`, or
/// under epoch the end of the borrow (main adjusts the header's borrow count: `on_main`).
pub fn release_reply_ref(cx: Cx<'_>, client: u64, obj: &RObj, on_main: bool) {
    if reply_ref_counts(cx.env.cfg.strategy) {
        obj.decr_ref_count(cx, Holder::Reply(client));
        return;
    }
    cx.env
        .ledger
        .unborrow(cx.tid, obj.ptr(), Holder::Reply(client));
    if on_main {
        main_saw_release(cx.env.cfg.strategy, obj);
    }
}

/// Main learns that a borrow of `obj` ended (directly, or at hand-back from `io_released`).
pub fn main_saw_release(s: Strategy, obj: &RObj) {
    if !reply_ref_counts(s) {
        let mut h = obj.hdr();
        h.reply_borrows = h.reply_borrows.saturating_sub(1);
    }
}

/// Main hands a client to its IO thread. With [`Fault::EpochUnpinnedWrite`] its pin is dropped
/// here, as if protection were per thread and lasted only while main holds the client.
pub fn on_send_to_io(s: &mut Server, client: u64) {
    if s.env.cfg.fault(Fault::EpochUnpinnedWrite) {
        if let Some(e) = s.epoch.as_mut() {
            e.unpin(client);
        }
    }
}

/// Main knows client `client` holds no borrow any more: unpin it.
pub fn unpin(s: &mut Server, client: u64) {
    if let Some(e) = s.epoch.as_mut() {
        e.unpin(client);
    }
}

/// Main's quiescent point: retire what reached 0, then try to advance and collect.
pub fn collect(s: &mut Server) {
    let env = s.env();
    if let Some(e) = s.epoch.as_mut() {
        e.collect(&env);
    }
}

/// At quiescence: collect until nothing retired is left, or until no progress is possible
/// (a pin never dropped: the garbage stays live and the ledger reports it as a LEAK).
pub fn quiesce(s: &mut Server) {
    for _ in 0..16 {
        collect(s);
        if s.epoch.as_ref().is_none_or(|e| e.pending() == 0) {
            return;
        }
    }
}
