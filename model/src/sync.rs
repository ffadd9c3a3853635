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
mod imp {
    use super::{Backend, Race, WordMode};
    use std::sync::atomic::{
        AtomicU32,
        Ordering::{AcqRel, Acquire, Relaxed, Release},
    };

    /// The backend of the calling code.
    pub fn backend() -> Backend {
        if shuttle::current::try_get_current_task().is_some() {
            Backend::Shuttle
        } else {
            Backend::Std
        }
    }

    /// Mutual exclusion; `lock` never reports poisoning (a panic already fails the run).
    // A handful of these exist per world; boxing the shuttle variant would only add a pointer
    // chase to every lock.
    #[allow(clippy::large_enum_variant)]
    pub enum Mutex<T> {
        #[doc(hidden)]
        Std(std::sync::Mutex<T>),
        #[doc(hidden)]
        Shuttle(shuttle::sync::Mutex<T>),
    }

    /// Guard of [`Mutex`].
    pub enum MutexGuard<'a, T> {
        #[doc(hidden)]
        Std(std::sync::MutexGuard<'a, T>),
        #[doc(hidden)]
        Shuttle(shuttle::sync::MutexGuard<'a, T>),
    }

    impl<T> Mutex<T> {
        /// A mutex on the current backend.
        pub fn new(v: T) -> Self {
            match backend() {
                Backend::Shuttle => Mutex::Shuttle(shuttle::sync::Mutex::new(v)),
                _ => Mutex::Std(std::sync::Mutex::new(v)),
            }
        }

        /// The value, through exclusive access: no lock is taken (and so no scheduling point
        /// made), as no other thread can hold one.
        pub fn get_mut(&mut self) -> &mut T {
            match self {
                Mutex::Std(m) => m.get_mut().unwrap_or_else(|e| e.into_inner()),
                Mutex::Shuttle(m) => m.get_mut().unwrap_or_else(|e| e.into_inner()),
            }
        }

        /// Lock it.
        pub fn lock(&self) -> MutexGuard<'_, T> {
            match self {
                Mutex::Std(m) => MutexGuard::Std(m.lock().unwrap_or_else(|e| e.into_inner())),
                Mutex::Shuttle(m) => {
                    MutexGuard::Shuttle(m.lock().unwrap_or_else(|e| e.into_inner()))
                }
            }
        }
    }

    impl<T> std::ops::Deref for MutexGuard<'_, T> {
        type Target = T;
        fn deref(&self) -> &T {
            match self {
                MutexGuard::Std(g) => g,
                MutexGuard::Shuttle(g) => g,
            }
        }
    }

    impl<T> std::ops::DerefMut for MutexGuard<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            match self {
                MutexGuard::Std(g) => &mut *g,
                MutexGuard::Shuttle(g) => &mut *g,
            }
        }
    }

    /// Condition variable paired with [`Mutex`].
    pub enum Condvar {
        #[doc(hidden)]
        Std(std::sync::Condvar),
        #[doc(hidden)]
        Shuttle(shuttle::sync::Condvar),
    }

    impl Default for Condvar {
        fn default() -> Self {
            Self::new()
        }
    }

    impl Condvar {
        /// A condition variable on the current backend.
        pub fn new() -> Self {
            match backend() {
                Backend::Shuttle => Condvar::Shuttle(shuttle::sync::Condvar::new()),
                _ => Condvar::Std(std::sync::Condvar::new()),
            }
        }

        /// Block until notified (spurious wake-ups possible: callers loop).
        pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
            match (self, guard) {
                (Condvar::Std(c), MutexGuard::Std(g)) => {
                    MutexGuard::Std(c.wait(g).unwrap_or_else(|e| e.into_inner()))
                }
                (Condvar::Shuttle(c), MutexGuard::Shuttle(g)) => {
                    MutexGuard::Shuttle(c.wait(g).unwrap_or_else(|e| e.into_inner()))
                }
                _ => panic!("sync shim: a condvar and a mutex from different backends"),
            }
        }

        /// Wake every waiter.
        pub fn notify_all(&self) {
            match self {
                Condvar::Std(c) => c.notify_all(),
                Condvar::Shuttle(c) => c.notify_all(),
            }
        }
    }

    /// Threads of the model.
    pub mod thread {
        use super::{backend, Backend};

        /// Handle to join a model thread.
        pub enum JoinHandle<T> {
            #[doc(hidden)]
            Std(std::thread::JoinHandle<T>),
            #[doc(hidden)]
            Shuttle(shuttle::thread::JoinHandle<T>),
        }

        /// Spawn a named model thread on the current backend (a real thread inherits the
        /// spawning thread's [`quiet`](crate::sync::quiet) flag).
        pub fn spawn<F, T>(name: &str, f: F) -> JoinHandle<T>
        where
            F: FnOnce() -> T + Send + 'static,
            T: Send + 'static,
        {
            let quiet = crate::sync::quiet::get();
            match backend() {
                Backend::Shuttle => JoinHandle::Shuttle(
                    shuttle::thread::Builder::new()
                        .name(name.to_string())
                        .spawn(f)
                        .expect("shuttle spawn"),
                ),
                _ => JoinHandle::Std(
                    std::thread::Builder::new()
                        .name(name.to_string())
                        .spawn(move || {
                            crate::sync::quiet::set(quiet);
                            f()
                        })
                        .expect("thread spawn"),
                ),
            }
        }

        impl<T> JoinHandle<T> {
            /// Wait for the thread; a panic in it is re-raised here with its message intact.
            pub fn join(self) -> T {
                self.try_join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p))
            }

            /// Wait for the thread; its panic, if any, is returned.
            pub fn try_join(self) -> std::thread::Result<T> {
                match self {
                    JoinHandle::Std(h) => h.join(),
                    JoinHandle::Shuttle(h) => h.join(),
                }
            }
        }

        /// Offer the scheduler a switch.
        pub fn yield_now() {
            match backend() {
                Backend::Shuttle => shuttle::thread::yield_now(),
                _ => std::thread::yield_now(),
            }
        }
    }

    /// A plain memory word (see the module doc). Under shuttle, `WordMode::SplitRmw` keeps the
    /// scheduling points but skips the race check, so only the consequence (a lost update) shows.
    pub struct RacyWord {
        word: AtomicU32,
        shuttle: bool,
        detect: bool,
        last_write: std::sync::Mutex<Option<(usize, Vec<u32>)>>,
    }

    impl RacyWord {
        /// A word holding `v`.
        pub fn new(v: u32, mode: WordMode) -> Self {
            RacyWord {
                word: AtomicU32::new(v),
                shuttle: backend() == Backend::Shuttle,
                detect: mode == WordMode::DetectRace,
                last_write: std::sync::Mutex::new(None),
            }
        }

        fn check(&self, is_write: bool) -> Result<(), Race> {
            if !self.shuttle {
                return Ok(());
            }
            // A pure scheduling point: no clock is joined, unlike a shuttle atomic. None while
            // this is the only model thread (see `alone`).
            if !super::alone::get() {
                shuttle::thread::sleep(std::time::Duration::ZERO);
            }
            self.check_clocks(is_write)
        }

        /// The race check alone, without the scheduling point.
        fn check_clocks(&self, is_write: bool) -> Result<(), Race> {
            if !self.shuttle || !self.detect {
                return Ok(());
            }
            let me = shuttle::current::me();
            let mut last = self.last_write.lock().unwrap_or_else(|e| e.into_inner());
            let mine_needed = is_write || last.as_ref().is_some_and(|(w, _)| *w != usize::from(me));
            if !mine_needed {
                // A read with no write before it, or of this task's own last write: ordered,
                // and nothing to record (the clock is not even fetched).
                return Ok(());
            }
            let mine = shuttle::current::clock();
            if let Some((writer, clock)) = last.as_ref() {
                let ordered = *writer == usize::from(me)
                    || clock
                        .iter()
                        .enumerate()
                        .all(|(i, t)| *t <= mine[..].get(i).copied().unwrap_or(0));
                if !ordered {
                    return Err(Race {
                        earlier: task_name(*writer),
                        later: task_name(usize::from(me)),
                    });
                }
            }
            if is_write {
                // The last write's clock, in the buffer of the one before when there is one.
                match last.as_mut() {
                    Some((writer, clock)) => {
                        *writer = usize::from(me);
                        clock.clear();
                        clock.extend_from_slice(&mine[..]);
                    }
                    None => *last = Some((usize::from(me), mine[..].to_vec())),
                }
            }
            Ok(())
        }

        /// Read the word.
        pub fn load(&self) -> Result<u32, Race> {
            self.check(false)?;
            Ok(self.word.load(Relaxed))
        }

        /// Write the word.
        pub fn store(&self, v: u32) -> Result<(), Race> {
            self.check(true)?;
            self.word.store(v, Relaxed);
            Ok(())
        }

        /// Read the word as part of a read-modify-write of one of the other bit-fields that
        /// share it (type, encoding): race-checked like [`RacyWord::load`], but no scheduling
        /// point (main's rare in-place header edits must not add interleavings; a race with
        /// them is found by the clocks whatever the interleaving).
        pub fn load_quiet(&self) -> Result<u32, Race> {
            self.check_clocks(false)?;
            Ok(self.word.load(Relaxed))
        }

        /// Write the word back after [`RacyWord::load_quiet`]: race-checked, no scheduling point.
        pub fn store_quiet(&self, v: u32) -> Result<(), Race> {
            self.check_clocks(true)?;
            self.word.store(v, Relaxed);
            Ok(())
        }

        /// Read without a scheduling point or race check (oracle and reports only).
        pub fn peek(&self) -> u32 {
            self.word.load(Relaxed)
        }
    }

    /// Vector-clock bookkeeping of a [`RacyCell`] under shuttle: the last write and every read
    /// since, each with the accessing task's clock.
    #[derive(Default)]
    struct CellClocks {
        write: Option<(usize, Vec<u32>)>,
        reads: Vec<(usize, Vec<u32>)>,
    }

    fn ordered(task: usize, clock: &[u32], me: usize, mine: &[u32]) -> bool {
        task == me
            || clock
                .iter()
                .enumerate()
                .all(|(i, t)| *t <= mine.get(i).copied().unwrap_or(0))
    }

    /// A plain memory location that is never read-modified-written as a counter: an object's
    /// `ptr` and the bytes it names. Accesses are race-checked (shuttle: vector clocks of the
    /// last write and of every read since; loom: its cell check) but are **not** scheduling
    /// points: a happens-before race is found from the clocks whatever the interleaving, so
    /// these checks add no schedule to explore. On real threads it checks nothing.
    pub struct RacyCell {
        shuttle: bool,
        clocks: std::sync::Mutex<CellClocks>,
    }

    impl Default for RacyCell {
        fn default() -> Self {
            Self::new()
        }
    }

    impl RacyCell {
        /// A location on the current backend.
        pub fn new() -> Self {
            RacyCell {
                shuttle: backend() == Backend::Shuttle,
                clocks: std::sync::Mutex::default(),
            }
        }

        fn access(&self, is_write: bool) -> Result<(), Race> {
            if !self.shuttle {
                return Ok(());
            }
            let me = usize::from(shuttle::current::me());
            let mine = shuttle::current::clock();
            let mine = &mine[..];
            let mut g = self.clocks.lock().unwrap_or_else(|e| e.into_inner());
            let unordered = |(t, c): &(usize, Vec<u32>)| (!ordered(*t, c, me, mine)).then_some(*t);
            let earlier = g.write.as_ref().and_then(unordered).or_else(|| {
                if is_write {
                    g.reads.iter().find_map(unordered)
                } else {
                    None
                }
            });
            if let Some(t) = earlier {
                return Err(Race {
                    earlier: task_name(t),
                    later: task_name(me),
                });
            }
            if is_write {
                g.write = Some((me, mine.to_vec()));
                g.reads.clear();
            } else {
                g.reads.retain(|(t, _)| *t != me);
                g.reads.push((me, mine.to_vec()));
            }
            Ok(())
        }

        /// A read of the location.
        pub fn read(&self) -> Result<(), Race> {
            self.access(false)
        }

        /// A write of the location.
        pub fn write(&self) -> Result<(), Race> {
            self.access(true)
        }
    }

    enum AtomicImp {
        Std(AtomicU32),
        Shuttle(shuttle::sync::atomic::AtomicU32),
    }

    /// An atomic `u32` on the current backend (see the module doc).
    pub struct AtomicWord {
        word: AtomicImp,
        shadow: AtomicU32,
        step: std::sync::Mutex<()>,
    }

    impl AtomicWord {
        /// A word holding `v`.
        pub fn new(v: u32) -> Self {
            let word = match backend() {
                Backend::Shuttle => AtomicImp::Shuttle(shuttle::sync::atomic::AtomicU32::new(v)),
                _ => AtomicImp::Std(AtomicU32::new(v)),
            };
            AtomicWord {
                word,
                shadow: AtomicU32::new(v),
                step: std::sync::Mutex::new(()),
            }
        }

        /// Run `f` (operations on this word and their oracle records) as one step.
        pub fn step<R>(&self, f: impl FnOnce() -> R) -> R {
            match self.word {
                AtomicImp::Std(_) => {
                    let _g = self.step.lock().unwrap_or_else(|e| e.into_inner());
                    f()
                }
                AtomicImp::Shuttle(_) => f(),
            }
        }

        /// Acquire load.
        pub fn load(&self) -> u32 {
            match &self.word {
                AtomicImp::Std(a) => a.load(Acquire),
                AtomicImp::Shuttle(a) => a.load(Acquire),
            }
        }

        /// Release store.
        pub fn store(&self, v: u32) {
            match &self.word {
                AtomicImp::Std(a) => a.store(v, Release),
                AtomicImp::Shuttle(a) => a.store(v, Release),
            }
            self.shadow.store(v, Relaxed);
        }

        /// AcqRel `fetch_add(1)`; returns the value before.
        pub fn increment(&self) -> u32 {
            let b = match &self.word {
                AtomicImp::Std(a) => a.fetch_add(1, AcqRel),
                AtomicImp::Shuttle(a) => a.fetch_add(1, AcqRel),
            };
            self.shadow.store(b.wrapping_add(1), Relaxed);
            b
        }

        /// AcqRel `fetch_sub(1)`; returns the value before.
        pub fn decrement(&self) -> u32 {
            let b = match &self.word {
                AtomicImp::Std(a) => a.fetch_sub(1, AcqRel),
                AtomicImp::Shuttle(a) => a.fetch_sub(1, AcqRel),
            };
            self.shadow.store(b.wrapping_sub(1), Relaxed);
            b
        }

        /// Read without a scheduling point (oracle and reports only).
        pub fn peek(&self) -> u32 {
            self.shadow.load(Relaxed)
        }
    }

    fn task_name(id: usize) -> String {
        shuttle::current::get_name_for_task(id.into())
            .map(|n| format!("{n:?}").trim_matches('"').to_string())
            .unwrap_or_else(|| format!("task {id}"))
    }
}

#[cfg(feature = "loom")]
mod loom_imp {
    use super::{Backend, Race, WordMode};

    /// The backend of the calling code.
    pub fn backend() -> Backend {
        Backend::Loom
    }

    /// Mutual exclusion; `lock` never reports poisoning.
    pub struct Mutex<T>(loom::sync::Mutex<T>);

    /// Guard of [`Mutex`] (it knows its mutex, so [`Condvar::wait`] can lock it again).
    pub struct MutexGuard<'a, T> {
        mutex: &'a Mutex<T>,
        guard: Option<loom::sync::MutexGuard<'a, T>>,
    }

    impl<T> Mutex<T> {
        /// A loom mutex.
        pub fn new(v: T) -> Self {
            Mutex(loom::sync::Mutex::new(v))
        }
        /// The value, through exclusive access: no lock is taken (and so no branch point made),
        /// as no other thread can hold one.
        pub fn get_mut(&mut self) -> &mut T {
            self.0.get_mut().unwrap_or_else(|e| e.into_inner())
        }

        /// Lock it.
        pub fn lock(&self) -> MutexGuard<'_, T> {
            MutexGuard {
                mutex: self,
                guard: Some(self.0.lock().unwrap_or_else(|e| e.into_inner())),
            }
        }
    }

    impl<T> std::ops::Deref for MutexGuard<'_, T> {
        type Target = T;
        fn deref(&self) -> &T {
            self.guard
                .as_ref()
                .expect("a guard holds its lock until dropped")
        }
    }

    impl<T> std::ops::DerefMut for MutexGuard<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            self.guard
                .as_mut()
                .expect("a guard holds its lock until dropped")
        }
    }

    /// Condition variable paired with [`Mutex`], built from the mutex and loom's thread
    /// park/unpark rather than `loom::sync::Condvar`.
    ///
    /// `wait` registers the calling thread (an oracle-level std list: loom does not see it),
    /// releases the mutex, parks, and locks the mutex again; `notify_all` unparks every
    /// registered thread. loom's own condition variable makes `wait` and `notify_all` opaque
    /// operations of their own, all dependent on each other, so its DPOR explores every order
    /// of every notification against every wait (and spends a scheduling point on each). Here
    /// only the mutex operations are visible, and they already decide everything a thread can
    /// observe: a waiter registers while it holds the mutex, and every notifier changes the
    /// state it notifies about, and notifies, after locking that mutex (`crate::handoff`,
    /// `crate::bio`), so a notification can never miss a registered waiter and a thread that
    /// starts waiting later sees the change under the mutex first. Between its registration and
    /// its park a waiter does nothing another thread can see, and parking is not a branch
    /// point of loom's (when the unpark came first, loom does not even switch). The happens-
    /// before edge loom adds at an unpark is no more than the waiter gets from locking the
    /// mutex again right after. (Measured: `reports/2026-12-01-loom-speed.md`; the #14738 race
    /// and lost update and every catalogued fault are still caught at bounds 2 and 3.)
    ///
    /// The precondition is every caller's duty (the model's queues and `refrace-client`'s
    /// promises, socket and gauges keep it): the condition a thread waits for is changed under
    /// the mutex. A program that notifies about state the mutex does not protect can lose a
    /// wake-up between a waiter's check and its wait; loom's own condition variable would show
    /// that at its wait point, this one does not.
    #[derive(Default)]
    pub struct Condvar {
        waiters: std::sync::Mutex<Vec<loom::thread::Thread>>,
    }

    impl Condvar {
        /// A condition variable.
        pub fn new() -> Self {
            Condvar::default()
        }

        /// Block until notified (callers loop on their condition).
        pub fn wait<'a, T>(&self, mut guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
            self.waiters
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(loom::thread::current());
            let mutex = guard.mutex;
            drop(guard.guard.take());
            loom::thread::park();
            mutex.lock()
        }

        /// Wake every waiter.
        pub fn notify_all(&self) {
            let waiters =
                std::mem::take(&mut *self.waiters.lock().unwrap_or_else(|e| e.into_inner()));
            for t in waiters {
                t.unpark();
            }
        }
    }

    /// Threads of the model.
    pub mod thread {
        /// Handle to join a model thread.
        pub struct JoinHandle<T>(loom::thread::JoinHandle<T>);

        /// Spawn a named model thread.
        pub fn spawn<F, T>(name: &str, f: F) -> JoinHandle<T>
        where
            F: FnOnce() -> T + Send + 'static,
            T: Send + 'static,
        {
            JoinHandle(
                loom::thread::Builder::new()
                    .name(name.to_string())
                    .spawn(f)
                    .expect("loom spawn"),
            )
        }

        impl<T> JoinHandle<T> {
            /// Wait for the thread; its panic is re-raised here.
            pub fn join(self) -> T {
                self.try_join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p))
            }

            /// Wait for the thread; its panic, if any, is returned.
            pub fn try_join(self) -> std::thread::Result<T> {
                self.0.join()
            }
        }

        /// Offer the scheduler a switch.
        pub fn yield_now() {
            loom::thread::yield_now()
        }
    }

    enum Word {
        Cell(loom::cell::UnsafeCell<u32>),
        Split(loom::sync::atomic::AtomicU32),
    }

    /// Who touched a cell word, by thread name, for the race report (bookkeeping loom does
    /// not see).
    #[derive(Default)]
    struct Seen {
        writer: Option<String>,
        readers_since: Vec<String>,
    }

    /// A plain memory word (see the module doc).
    ///
    /// In `DetectRace` mode loom's causality check panics inside the cell access ("Causality
    /// violation: Concurrent read and write accesses"), naming no object. The access catches
    /// that panic on the spot and returns it as a [`Race`] (the thread that made the unordered
    /// earlier access, and this one), so the caller reports it the way the shuttle backend's
    /// race check does: `DATA_RACE` with the object, its holders and its last events. The
    /// execution fails right after (the caller panics with the report), so loom's cell state,
    /// left mid-access by its own panic, is never used again.
    pub struct RacyWord {
        word: Word,
        shadow: std::sync::atomic::AtomicU32,
        seen: std::sync::Mutex<Seen>,
    }

    // SAFETY: the word is shared across model threads on purpose: it models a plain C word that
    // two threads may race on. loom checks every access to the cell for causality and reports a
    // race instead of letting it happen.
    unsafe impl Sync for RacyWord {}
    // SAFETY: as above; the value is a plain u32.
    unsafe impl Send for RacyWord {}

    /// The calling model thread's name (loom's bootstrap thread is unnamed: it is main).
    fn me() -> String {
        loom::thread::current()
            .name()
            .unwrap_or("main-thread")
            .to_string()
    }

    /// Run one cell access; loom's causality panic becomes `Err(text)`, any other panic goes on.
    fn checked<R>(access: impl FnOnce() -> R) -> Result<R, String> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(access)).map_err(|p| {
            let text = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()));
            match text {
                Some(t) if t.contains("Causality violation") => t,
                _ => std::panic::resume_unwind(p),
            }
        })
    }

    impl RacyWord {
        /// A word holding `v`, modelled as `mode` says.
        pub fn new(v: u32, mode: WordMode) -> Self {
            let word = match mode {
                WordMode::DetectRace => Word::Cell(loom::cell::UnsafeCell::new(v)),
                WordMode::SplitRmw => Word::Split(loom::sync::atomic::AtomicU32::new(v)),
            };
            RacyWord {
                word,
                shadow: std::sync::atomic::AtomicU32::new(v),
                seen: std::sync::Mutex::default(),
            }
        }

        fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
            self.seen.lock().unwrap_or_else(|e| e.into_inner())
        }

        /// The race loom reported (`text`) at an access by `me`: the other side is the last
        /// writer, or, for a write that races a read, a reader since that write.
        fn race(&self, me: String, write: bool, text: &str) -> Race {
            let seen = self.seen();
            let reader = seen.readers_since.iter().find(|r| **r != me).cloned();
            let earlier = match reader {
                Some(r) if write && !text.contains("Concurrent write accesses") => Some(r),
                _ => seen.writer.clone(),
            }
            .unwrap_or_else(|| "another thread".to_string());
            Race { earlier, later: me }
        }

        /// Read the word (a causality violation is returned as the [`Race`]).
        pub fn load(&self) -> Result<u32, Race> {
            Ok(match &self.word {
                Word::Cell(c) => {
                    let me = me();
                    // SAFETY: loom's cell checks that no unordered access exists (and panics,
                    // caught here, when one does).
                    match checked(|| c.with(|p| unsafe { *p })) {
                        Ok(v) => {
                            let mut seen = self.seen();
                            if !seen.readers_since.contains(&me) {
                                seen.readers_since.push(me);
                            }
                            v
                        }
                        Err(text) => return Err(self.race(me, false, &text)),
                    }
                }
                Word::Split(a) => a.load(std::sync::atomic::Ordering::Relaxed),
            })
        }

        /// Write the word (a causality violation is returned as the [`Race`]).
        pub fn store(&self, v: u32) -> Result<(), Race> {
            match &self.word {
                Word::Cell(c) => {
                    let me = me();
                    // SAFETY: as in `load`.
                    match checked(|| c.with_mut(|p| unsafe { *p = v })) {
                        Ok(()) => {
                            let mut seen = self.seen();
                            seen.writer = Some(me);
                            seen.readers_since.clear();
                        }
                        Err(text) => return Err(self.race(me, true, &text)),
                    }
                }
                Word::Split(a) => a.store(v, std::sync::atomic::Ordering::Relaxed),
            }
            self.shadow.store(v, std::sync::atomic::Ordering::Relaxed);
            Ok(())
        }

        /// Read the word as part of an RMW of another bit-field sharing it (loom: as
        /// [`RacyWord::load`]; a cell access is no branch point of loom's).
        pub fn load_quiet(&self) -> Result<u32, Race> {
            self.load()
        }

        /// Write the word back after [`RacyWord::load_quiet`].
        pub fn store_quiet(&self, v: u32) -> Result<(), Race> {
            self.store(v)
        }

        /// Read without a scheduling point or race check (oracle and reports only).
        pub fn peek(&self) -> u32 {
            self.shadow.load(std::sync::atomic::Ordering::Relaxed)
        }
    }

    /// A plain memory location that is never read-modified-written as a counter (an object's
    /// `ptr` and the bytes it names): a `loom::cell::UnsafeCell` whose accesses loom checks for
    /// causality (no branch point); a violation is returned as a [`Race`].
    pub struct RacyCell {
        cell: loom::cell::UnsafeCell<()>,
        seen: std::sync::Mutex<Seen>,
    }

    // SAFETY: as for `RacyWord`: a plain C location two threads may race on, every access
    // checked by loom.
    unsafe impl Sync for RacyCell {}
    // SAFETY: as above; it holds no data.
    unsafe impl Send for RacyCell {}

    impl Default for RacyCell {
        fn default() -> Self {
            Self::new()
        }
    }

    impl RacyCell {
        /// A location loom checks.
        pub fn new() -> Self {
            RacyCell {
                cell: loom::cell::UnsafeCell::new(()),
                seen: std::sync::Mutex::default(),
            }
        }

        fn race(&self, me: String, write: bool, text: &str) -> Race {
            let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            let reader = seen.readers_since.iter().find(|r| **r != me).cloned();
            let earlier = match reader {
                Some(r) if write && !text.contains("Concurrent write accesses") => Some(r),
                _ => seen.writer.clone(),
            }
            .unwrap_or_else(|| "another thread".to_string());
            Race { earlier, later: me }
        }

        /// A read of the location.
        pub fn read(&self) -> Result<(), Race> {
            let me = me();
            // SAFETY: nothing is dereferenced; loom checks the access's causality.
            match checked(|| self.cell.with(|_| ())) {
                Ok(()) => {
                    let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
                    if !seen.readers_since.contains(&me) {
                        seen.readers_since.push(me);
                    }
                    Ok(())
                }
                Err(text) => Err(self.race(me, false, &text)),
            }
        }

        /// A write of the location.
        pub fn write(&self) -> Result<(), Race> {
            let me = me();
            match checked(|| self.cell.with_mut(|_| ())) {
                Ok(()) => {
                    let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
                    seen.writer = Some(me);
                    seen.readers_since.clear();
                    Ok(())
                }
                Err(text) => Err(self.race(me, true, &text)),
            }
        }
    }

    /// An atomic `u32` modelled by loom (see the module doc).
    pub struct AtomicWord {
        word: loom::sync::atomic::AtomicU32,
        shadow: std::sync::atomic::AtomicU32,
    }

    impl AtomicWord {
        /// A word holding `v`.
        pub fn new(v: u32) -> Self {
            AtomicWord {
                word: loom::sync::atomic::AtomicU32::new(v),
                shadow: std::sync::atomic::AtomicU32::new(v),
            }
        }

        /// Run `f` as one step (loom switches only at its own operations).
        pub fn step<R>(&self, f: impl FnOnce() -> R) -> R {
            f()
        }

        /// Acquire load.
        pub fn load(&self) -> u32 {
            self.word.load(std::sync::atomic::Ordering::Acquire)
        }

        /// Release store.
        pub fn store(&self, v: u32) {
            self.word.store(v, std::sync::atomic::Ordering::Release);
            self.shadow.store(v, std::sync::atomic::Ordering::Relaxed);
        }

        /// AcqRel `fetch_add(1)`; returns the value before.
        pub fn increment(&self) -> u32 {
            let b = self.word.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            self.shadow
                .store(b.wrapping_add(1), std::sync::atomic::Ordering::Relaxed);
            b
        }

        /// AcqRel `fetch_sub(1)`; returns the value before.
        pub fn decrement(&self) -> u32 {
            let b = self.word.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
            self.shadow
                .store(b.wrapping_sub(1), std::sync::atomic::Ordering::Relaxed);
            b
        }

        /// Read without a scheduling point (oracle and reports only).
        pub fn peek(&self) -> u32 {
            self.shadow.load(std::sync::atomic::Ordering::Relaxed)
        }
    }
}
