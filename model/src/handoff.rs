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
//! Invariant protected: `CLIENT_OWNERSHIP` — a client is in exactly one place at a time (a
//! queue, or the hands of the thread its `running_tid` names).
//!
//! Simplified: one queue into main for all IO threads.

use crate::client::Client;
use crate::sync::{Arc, Condvar, Mutex};
use std::collections::VecDeque;

#[derive(Default)]
struct IoState {
    clients: VecDeque<Client>,
    pause_req: bool,
    paused: bool,
    shutdown: bool,
    threaded: bool,
    dead: bool,
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

    /// Hand `c` to the IO thread.
    pub fn send(&self, c: Client) {
        self.st.lock().clients.push_back(c);
        self.cv.notify_all();
    }

    /// Mark that a real thread serves this queue (pausing must then wait for it to park).
    pub fn set_threaded(&self, on: bool) {
        self.st.lock().threaded = on;
    }

    /// The IO thread's wait: park while paused; `None` once shut down and empty.
    pub fn recv(&self) -> Option<Client> {
        let mut g = self.st.lock();
        loop {
            if g.pause_req {
                g.paused = true;
                self.cv.notify_all();
                while g.pause_req {
                    g = self.cv.wait(g);
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
            g = self.cv.wait(g);
        }
    }

    /// Ask the IO thread to exit once its queue is empty (also ends a pause).
    pub fn shutdown(&self) {
        let mut g = self.st.lock();
        g.shutdown = true;
        g.pause_req = false;
        drop(g);
        self.cv.notify_all();
    }

    /// The serving thread is unwinding (an invariant broke on it): wake whoever waits for it,
    /// so a pause cannot wait forever for a thread that will never park.
    pub fn die(&self) {
        self.st.lock().dead = true;
        self.cv.notify_all();
    }

    fn pause(&self) -> bool {
        let mut g = self.st.lock();
        if !g.threaded || g.shutdown {
            return false;
        }
        g.pause_req = true;
        self.cv.notify_all();
        while !g.paused {
            if g.dead {
                drop(g);
                // The thread's own panic is the report; the world re-raises it at join.
                std::panic::panic_any(PeerDied);
            }
            g = self.cv.wait(g);
        }
        true
    }

    fn resume(&self) {
        self.st.lock().pause_req = false;
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
        drop(g);
        self.cv.notify_all();
    }
}

/// Panic payload of main when a thread it waits for died: not a finding of its own (the dead
/// thread's panic is), so the world reports the dead thread's panic instead.
#[derive(Debug)]
pub struct PeerDied;

/// IO threads → main hand-off queue.
pub struct MainInbox {
    st: Mutex<(VecDeque<Client>, bool)>,
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
            st: Mutex::new((VecDeque::new(), false)),
            cv: Condvar::new(),
        }
    }

    /// Hand `c` to main.
    pub fn send(&self, c: Client) {
        self.st.lock().0.push_back(c);
        self.cv.notify_all();
    }

    /// Block until a client arrives; `None` when an IO thread died (its panic is re-raised at
    /// join).
    pub fn recv(&self) -> Option<Client> {
        let mut g = self.st.lock();
        loop {
            if let Some(c) = g.0.pop_front() {
                return Some(c);
            }
            if g.1 {
                return None;
            }
            g = self.cv.wait(g);
        }
    }

    /// An IO thread is unwinding: wake main so the run ends instead of hanging.
    pub fn abort(&self) {
        self.st.lock().1 = true;
        self.cv.notify_all();
    }

    fn take_all(&self) -> Vec<Client> {
        self.st.lock().0.drain(..).collect()
    }

    fn put_back(&self, cs: Vec<Client>) {
        let mut g = self.st.lock();
        for c in cs.into_iter().rev() {
            g.0.push_front(c);
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

/// `pauseAllIOThreads` and take every queued client (main only).
pub fn pause_and_take_all(io: &[Arc<IoInbox>], main: &MainInbox) -> Taken {
    let paused = io.iter().map(|q| q.pause()).collect();
    Taken {
        io: io.iter().map(|q| q.take_all()).collect(),
        main: main.take_all(),
        paused,
    }
}

/// Put the clients back in their queues, in order, and `resumeAllIOThreads`.
pub fn put_back_and_resume(io: &[Arc<IoInbox>], main: &MainInbox, t: Taken) {
    for (q, cs) in io.iter().zip(t.io) {
        q.put_back(cs);
    }
    main.put_back(t.main);
    for (q, p) in io.iter().zip(t.paused) {
        if p {
            q.resume();
        }
    }
}
