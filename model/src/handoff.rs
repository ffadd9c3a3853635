//! The hand-off queues between main and the IO threads, and the pause protocol. Mirrors the
//! pending-client lists, event notifiers and `pauseIOThread` / `resumeIOThread` of
//! src/iothread.c (@ 051a9359). The thread bodies that use them are in [`crate::iothread`].
//!
//! A client moves between threads **by value** through a shim mutex-protected queue
//! ([`IoInbox`], [`MainInbox`]); that move is the happens-before edge Redis gets from its
//! pending-client lists and event notifier, and Rust's ownership enforces `running_tid`.
//!
//! Who may touch what: main sends into an [`IoInbox`] and, after pausing the IO threads
//! ([`pause_and_take_all`]), may take every queued client and put them back; an IO thread
//! receives from its own inbox and sends to the [`MainInbox`]. Every queue operation is a
//! shim lock (a scheduling point the explorers see).
//!
//! Scheduling points: each one is a place where an explorer may switch threads, so each costs
//! exploration (loom's iterations grow with them, shuttle's schedules get longer), and the
//! queues make only those a hand-off needs (`reports/2026-12-01-loom-speed.md`):
//! - a condition variable is notified only when a thread waits on it (`waiters`, counted under
//!   the queue's lock). A notification nobody waits for wakes nobody and leaves nothing behind
//!   (a condition variable has no memory; a thread that starts waiting later first checks the
//!   state under the lock, and so sees the change it would have been told about). What the
//!   skipped notification still was, under loom and shuttle, is a point where another thread
//!   could run right after this queue's lock was released: the same states are reached by
//!   switching at the caller's next scheduling point instead, because every caller goes from
//!   here to its next queue operation (or, for main, to a state only it touches) without
//!   touching anything another thread reads;
//! - pausing an IO thread and taking its clients are one critical section, as are putting them
//!   back and resuming it: while it is paused nobody but main touches its queue, so the taking
//!   (and the putting back) cannot be observed between the two.
//!
//! Invariant protected: `CLIENT_OWNERSHIP` — a client is in exactly one place at a time (a
//! queue, or the hands of the thread its `running_tid` names).
//!
//! Simplified: one queue into main for all IO threads.

use crate::client::Client;
use crate::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::collections::VecDeque;

#[derive(Default)]
struct IoState {
    clients: VecDeque<Client>,
    pause_req: bool,
    paused: bool,
    shutdown: bool,
    threaded: bool,
    dead: bool,
    /// Threads blocked in `cv.wait` on this queue (its IO thread; main in a pause).
    waiters: usize,
}

impl IoState {
    /// Whether a notification would wake anyone (see the module doc).
    fn awaited(&self) -> bool {
        self.waiters > 0
    }
}

/// Main → IO thread hand-off queue, with the pause protocol.
pub struct IoInbox {
    st: Mutex<IoState>,
    cv: Condvar,
}

impl Default for IoInbox {
    fn default() -> Self {
        Self::new()
    }
}

impl IoInbox {
    /// An empty queue on the current backend.
    pub fn new() -> Self {
        IoInbox {
            st: Mutex::new(IoState::default()),
            cv: Condvar::new(),
        }
    }

    /// Block on the condition variable, counted in `waiters`.
    fn wait<'a>(&self, mut g: MutexGuard<'a, IoState>) -> MutexGuard<'a, IoState> {
        g.waiters += 1;
        let mut g = self.cv.wait(g);
        g.waiters -= 1;
        g
    }

    /// Hand `c` to the IO thread.
    pub fn send(&self, c: Client) {
        let mut g = self.st.lock();
        g.clients.push_back(c);
        let wake = g.awaited();
        drop(g);
        if wake {
            self.cv.notify_all();
        }
    }

    /// Mark that a real thread serves this queue (pausing must then wait for it to park).
    pub fn set_threaded(&self, on: bool) {
        self.st.lock().threaded = on;
    }

    /// [`IoInbox::send`] and, with `threaded`, [`IoInbox::set_threaded`], while the caller holds
    /// the only handle on the queue (before its thread starts): no lock, so no scheduling
    /// point, which could not change an outcome here, as no other thread can observe the queue.
    pub fn prepare(&mut self, clients: Vec<Client>, threaded: bool) {
        let st = self.st.get_mut();
        st.clients.extend(clients);
        st.threaded |= threaded;
    }

    /// The IO thread's wait: park while paused; `None` once shut down and empty.
    pub fn recv(&self) -> Option<Client> {
        let mut g = self.st.lock();
        loop {
            if g.pause_req {
                g.paused = true;
                if g.awaited() {
                    self.cv.notify_all();
                }
                while g.pause_req {
                    g = self.wait(g);
                }
                g.paused = false;
                continue;
            }
            if let Some(c) = g.clients.pop_front() {
                return Some(c);
            }
            if g.shutdown {
                return None;
            }
            g = self.wait(g);
        }
    }

    /// Ask the IO thread to exit once its queue is empty (also ends a pause).
    pub fn shutdown(&self) {
        let mut g = self.st.lock();
        g.shutdown = true;
        g.pause_req = false;
        let wake = g.awaited();
        drop(g);
        if wake {
            self.cv.notify_all();
        }
    }

    /// The serving thread is unwinding (an invariant broke on it): wake whoever waits for it,
    /// so a pause cannot wait forever for a thread that will never park.
    pub fn die(&self) {
        self.st.lock().dead = true;
        self.cv.notify_all();
    }

    /// `pauseIOThread`, then take every queued client: one critical section from the moment
    /// the thread is parked (see the module doc). `None` when no thread serves the queue (its
    /// clients are taken all the same).
    fn pause_and_take(&self) -> (bool, Vec<Client>) {
        let mut g = self.st.lock();
        if !g.threaded || g.shutdown {
            return (false, g.clients.drain(..).collect());
        }
        g.pause_req = true;
        if g.awaited() {
            self.cv.notify_all();
        }
        while !g.paused {
            if g.dead {
                drop(g);
                // The thread's own panic is the report; the world re-raises it at join.
                std::panic::panic_any(PeerDied);
            }
            g = self.wait(g);
        }
        (true, g.clients.drain(..).collect())
    }

    /// Put the clients back in front, in order, and `resumeIOThread` when `paused`: one
    /// critical section (see the module doc).
    fn put_back_and_resume(&self, cs: Vec<Client>, paused: bool) {
        let mut g = self.st.lock();
        for c in cs.into_iter().rev() {
            g.clients.push_front(c);
        }
        if paused {
            g.pause_req = false;
        }
        let wake = g.awaited();
        drop(g);
        if wake {
            self.cv.notify_all();
        }
    }
}

/// Panic payload of main when a thread it waits for died: not a finding of its own (the dead
/// thread's panic is), so the world reports the dead thread's panic instead.
#[derive(Debug)]
pub struct PeerDied;

#[derive(Default)]
struct MainState {
    clients: VecDeque<Client>,
    /// An IO thread is unwinding.
    aborted: bool,
    /// Whether main is blocked in `cv.wait` (see the module doc).
    waiting: bool,
}

/// IO threads → main hand-off queue.
pub struct MainInbox {
    st: Mutex<MainState>,
    cv: Condvar,
}

impl Default for MainInbox {
    fn default() -> Self {
        Self::new()
    }
}

impl MainInbox {
    /// An empty queue on the current backend.
    pub fn new() -> Self {
        MainInbox {
            st: Mutex::new(MainState::default()),
            cv: Condvar::new(),
        }
    }

    /// Hand `c` to main.
    pub fn send(&self, c: Client) {
        let mut g = self.st.lock();
        g.clients.push_back(c);
        let wake = g.waiting;
        drop(g);
        if wake {
            self.cv.notify_all();
        }
    }

    /// Block until a client arrives; `None` when an IO thread died (its panic is re-raised at
    /// join).
    pub fn recv(&self) -> Option<Client> {
        let mut g = self.st.lock();
        loop {
            if let Some(c) = g.clients.pop_front() {
                return Some(c);
            }
            if g.aborted {
                return None;
            }
            g.waiting = true;
            g = self.cv.wait(g);
            g.waiting = false;
        }
    }

    /// An IO thread is unwinding: wake main so the run ends instead of hanging.
    pub fn abort(&self) {
        self.st.lock().aborted = true;
        self.cv.notify_all();
    }

    fn take_all(&self) -> Vec<Client> {
        self.st.lock().clients.drain(..).collect()
    }

    fn put_back(&self, cs: Vec<Client>) {
        let mut g = self.st.lock();
        for c in cs.into_iter().rev() {
            g.clients.push_front(c);
        }
    }
}

/// Clients main took from every queue while the IO threads are paused.
pub struct Taken {
    io: Vec<Vec<Client>>,
    main: Vec<Client>,
    paused: Vec<bool>,
}

impl Taken {
    /// Every taken client.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Client> {
        self.io.iter_mut().flatten().chain(self.main.iter_mut())
    }
}

/// `pauseAllIOThreads` and take every queued client (main only). Each IO thread's clients are
/// taken as soon as it is parked (only main sends into an IO thread's queue), main's after
/// every IO thread is parked (until then they may still hand clients in).
pub fn pause_and_take_all(io: &[Arc<IoInbox>], main: &MainInbox) -> Taken {
    let (paused, io) = io.iter().map(|q| q.pause_and_take()).unzip();
    Taken {
        io,
        main: main.take_all(),
        paused,
    }
}

/// Put the clients back in their queues, in order, and `resumeAllIOThreads`. Main's queue is
/// refilled first, so a resumed IO thread's next hand-in lands behind the clients taken from
/// it, as when every queue was refilled before any thread resumed.
pub fn put_back_and_resume(io: &[Arc<IoInbox>], main: &MainInbox, t: Taken) {
    main.put_back(t.main);
    for ((q, cs), p) in io.iter().zip(t.io).zip(t.paused) {
        q.put_back_and_resume(cs, p);
    }
}
