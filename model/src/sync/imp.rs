//! The std and shuttle backends of the sync shim (see [`super`]): the primitive is chosen at run
//! time, shuttle's inside a shuttle execution, std's elsewhere.

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
            Mutex::Shuttle(m) => MutexGuard::Shuttle(m.lock().unwrap_or_else(|e| e.into_inner())),
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
