//! The one sync shim: every thread, lock, condition variable and racy memory word the model uses
//! comes from here, so the same model code runs on real threads, under shuttle and under loom.
//!
//! Backends:
//! - **std** and **shuttle** are both compiled in; the backend is chosen at run time when a
//!   primitive is created: inside a shuttle execution (`shuttle::current::try_get_current_task`)
//!   the shuttle primitive, elsewhere the std one. So `cargo test` can run std stress and shuttle
//!   tests in one binary, and feature unification cannot flip a backend behind a test's back.
//! - **loom** replaces both at compile time (cargo feature `loom`, set only by the loom lane).
//!   Its [`Condvar`] is built from the mutex and thread park/unpark, so that only the mutex
//!   operations are scheduling points (see `loom_imp::Condvar`).
//!
//! Who may use what: only `model/` code, and only through this module, for everything the
//! explorers must see: every thread, every lock or condition variable that orders model
//! threads, every racy memory word. No other model file names loom or shuttle. Besides this
//! module, the model names `std` synchronisation only for oracle-level state the explorers must
//! *not* see (a std lock adds no scheduling point: loom and shuttle run model threads as
//! coroutines on one OS thread, and none of these locks is held across a model step):
//! - the ledger's bookkeeping (a `std::sync::Mutex` in [`crate::ledger`]);
//! - each object's field *values* (`type`, `encoding`, `ptr`, the payload: a `std::sync::Mutex`
//!   per object in [`crate::robj`]); the memory C can race on is modelled beside them, the
//!   header word as a [`RacyWord`] and `ptr` with its bytes as a [`RacyCell`];
//! - the #14934 variant's `clients_reply_refs` contents (a `std::sync::Mutex` in
//!   [`crate::env`]; the dict's memory is a [`RacyWord`] beside it);
//! - the shared-integer table of [`crate::env::Env`] (a `std::sync::Mutex`, filled on main);
//! - the epoch strategy's count of retired objects (a `std::sync::atomic::AtomicUsize` in
//!   [`crate::epoch`], main only);
//! - the event counters of [`crate::coverage`] (`std::sync::atomic` counters every thread adds
//!   to).
//!
//! If an explorer saw them (as a loom or shuttle mutex), they would add scheduling points the
//! real program does not have and change the schedules the proof counts. `std::sync::Arc` is
//! used freely (it is this module's [`Arc`] too: ownership of Rust values, not a modelled
//! word), and `std::thread::panicking` only to stay quiet while unwinding. `model/tests/layers/`
//! fails when another file names a `std::sync` primitive or `std::thread` item.
//!
//! [`RacyWord`] is the header word of a Redis object (refcount, type, encoding in one 32-bit
//! word; C writes any of them as a read-modify-write of it): a *plain* (non-atomic) word whose
//! read-modify-write two threads can interleave. Per backend:
//! - std: a relaxed `AtomicU32` load and a separate store (defined behaviour in Rust, same lost
//!   updates as C's plain RMW; no race detector — TSan would be one, rustc's is nightly-only);
//! - shuttle: an invisible word plus a scheduling point before each access, and a vector-clock
//!   check (shuttle's own clocks) that reports unordered accesses the way TSan would. A shuttle
//!   atomic would be wrong here: shuttle makes every atomic SeqCst and joins clocks on it, which
//!   would hide the race;
//! - loom: either a `loom::cell::UnsafeCell` (loom's causality check finds the race itself; its
//!   panic is caught at the access and returned as a [`Race`], so the report names the object as
//!   shuttle's does; loom does not preempt inside an RMW, so the lost update is never reached)
//!   or a relaxed loom atomic split into load and store (loom explores the lost update and the
//!   ledger reports its consequence). [`WordMode`] picks one per run.
//!
//! [`RacyCell`] is a plain location that is not a counter: an object's `ptr` and the bytes it
//! names. Its accesses are race-checked (shuttle: vector clocks of the last write and of the
//! reads since; loom: its cell check) but are not scheduling points, so they add nothing to
//! explore; [`RacyWord::load_quiet`] / [`RacyWord::store_quiet`] are the same for the header
//! word's other bit-fields (type, encoding), which share the refcount's 32-bit word.
//!
//! [`AtomicWord`] is the refcount word of the atomic strategy (not Redis): a real atomic of the
//! backend (std, shuttle or loom), so explorers interleave its operations but never report a race
//! on it. On real threads, [`AtomicWord::step`] makes an operation and the oracle's record of it
//! one critical section (the ledger would otherwise see two threads' records in the other order
//! than their RMWs); loom and shuttle need no such section, as they never switch tasks between
//! an atomic operation and the next scheduling point.
//!
//! Known gaps, where they apply: loom models at most 5 threads (scenarios spawn at most 3) and
//! treats SeqCst as AcqRel; shuttle treats atomics as SeqCst; std threads only show what the
//! hardware happens to do.

pub use std::sync::Arc;

/// Which explorer runs the current code.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Real OS threads.
    Std,
    /// shuttle's controlled scheduler (random, PCT, DFS, replay).
    Shuttle,
    /// loom's exhaustive model checker.
    Loom,
}

/// How a [`RacyWord`] is checked under loom and shuttle (std has no race detector).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum WordMode {
    /// Report unordered accesses (the race itself): loom's cell check, shuttle's vector clocks.
    #[default]
    DetectRace,
    /// No race check; load and store are separate steps, so explorers reach the lost update
    /// and the ledger reports its consequence.
    SplitRmw,
}

/// An unordered pair of accesses to one racy word (a data race, as TSan would report it).
#[derive(Clone, Debug)]
pub struct Race {
    /// Thread that made the earlier access.
    pub earlier: String,
    /// Thread making this access.
    pub later: String,
}

/// Whether the calling thread's panics are expected, and reported by whoever runs it rather
/// than printed (`refrace_sims::quiet::quietly` sets it): one flag per OS thread. Under loom and
/// shuttle, model threads are coroutines on the calling OS thread and share its flag; on real
/// threads [`thread::spawn`] hands the spawning thread's flag to the new thread.
pub mod quiet {
    use std::cell::Cell;

    thread_local! {
        static QUIET: Cell<bool> = const { Cell::new(false) };
    }

    /// The calling thread's flag.
    pub fn get() -> bool {
        QUIET.with(Cell::get)
    }

    /// Set the calling thread's flag; returns the one it replaces.
    pub fn set(on: bool) -> bool {
        QUIET.with(|q| q.replace(on))
    }
}

/// Phases in which the calling code's model thread is the only one (before the first spawn,
/// after the last join): its racy-word accesses need no scheduling point, since a point with
/// one task to run has exactly one choice and cannot change an outcome. Under shuttle such a
/// point still costs a scheduler decision (the world's setup and quiescence made a fifth of a
/// scenario's points); the race check itself still runs. Whoever spawns the model threads says
/// when this holds (`refrace_sims::world`); nothing else needs to, and the flag is off by
/// default (every access a point). One flag per OS thread: under shuttle every task of an
/// execution runs on the calling OS thread.
pub mod alone {
    use std::cell::Cell;

    thread_local! {
        static ALONE: Cell<bool> = const { Cell::new(false) };
    }

    /// Whether the calling model thread is declared the only one.
    pub fn get() -> bool {
        ALONE.with(Cell::get)
    }

    /// Declare that the calling model thread is the only one until the guard is dropped (also
    /// when unwinding).
    pub fn begin() -> Alone {
        ALONE.with(|a| a.set(true));
        Alone(())
    }

    /// See [`begin`].
    #[must_use = "the phase ends when the guard is dropped"]
    pub struct Alone(());

    impl Drop for Alone {
        fn drop(&mut self) {
            ALONE.with(|a| a.set(false));
        }
    }
}

#[cfg(not(feature = "loom"))]
pub use imp::*;
#[cfg(feature = "loom")]
pub use loom_imp::*;

#[cfg(not(feature = "loom"))]
mod imp;

#[cfg(feature = "loom")]
mod loom_imp;
