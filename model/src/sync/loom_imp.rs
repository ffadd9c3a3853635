//! The loom backend of the sync shim (see [`super`]), compiled in by the `loom` feature only.

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
        let waiters = std::mem::take(&mut *self.waiters.lock().unwrap_or_else(|e| e.into_inner()));
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
