//! The hand-off queues between main and the IO threads, and the pause protocol. Mirrors the
//! pending-client lists, event notifiers and `pauseIOThread` / `resumeIOThread` of
//! src/iothread.c (not stored at the pin; read at 051a9359, later, which adds per-thread
//! allocator slots and changes no hand-off). The thread bodies that use them are in [`crate::iothread`].
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
//!
//! # The hook for a socket adapter
//!
//! The scripted worlds block in [`IoInbox::recv`] and [`MainInbox::recv`]. A server on real
//! sockets (`refrace serve`) waits in `poll(2)` on its sockets instead, so it needs three
//! additive pieces, unused by the worlds (no scheduling point is added: each runs under the
//! queue's existing lock):
//! - a [`Waker`] per queue ([`IoInbox::set_waker`], [`MainInbox::set_waker`]): called after
//!   every operation of the *other* side (main's send, pause request, put-back and shutdown
//!   for an IO queue; an IO thread's send for main's queue), so the waiting thread's `poll`
//!   returns;
//! - non-blocking receives ([`IoInbox::try_recv_all`], which parks like `recv` while main
//!   pauses the thread, and [`MainInbox::try_recv`]);
//! - [`IoInbox::keep`]: an IO thread puts back a client that waits for its socket, without
//!   waking itself. An idle client thus sits in its IO thread's queue, where main's pause
//!   ([`pause_and_take_all`]) reaches it, as Redis's main reaches an IO thread's clients.

use crate::client::Client;
use crate::sync::{Arc, Condvar, Mutex};
use std::collections::VecDeque;

/// Called after the other side changed a queue (see the module doc): wakes a thread that
/// waits in `poll(2)` rather than on the queue's condition variable.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

#[derive(Default)]
struct IoState {
    clients: VecDeque<Client>,
    pause_req: bool,
    paused: bool,
    shutdown: bool,
    threaded: bool,
    waker: Option<Waker>,
    dead: bool,
}

/// What [`IoInbox::try_recv_all`] found.
pub enum IoPoll {
    /// Every client queued (possibly none).
    Clients(Vec<Client>),
    /// Shut down and empty: the IO thread exits.
    Shutdown,
}

fn wake(w: Option<Waker>) {
    if let Some(w) = w {
        w();
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

    /// Hand `c` to the IO thread.
    pub fn send(&self, c: Client) {
        let mut g = self.st.lock();
        g.clients.push_back(c);
        let w = g.waker.clone();
        drop(g);
        self.cv.notify_all();
        wake(w);
    }

    /// Install (or remove) the [`Waker`] main's operations call (socket adapters only).
    pub fn set_waker(&self, w: Option<Waker>) {
        self.st.lock().waker = w;
    }

    /// The IO thread keeps `c` queued while it waits for its socket (no wake-up: see the
    /// module doc).
    pub fn keep(&self, c: Client) {
        self.st.lock().clients.push_back(c);
    }

    /// The IO thread's non-blocking receive: park while paused (as [`IoInbox::recv`] does),
    /// then take every queued client; [`IoPoll::Shutdown`] once shut down and empty.
    pub fn try_recv_all(&self) -> IoPoll {
        let mut g = self.st.lock();
        while g.pause_req {
            g.paused = true;
            self.cv.notify_all();
            while g.pause_req {
                g = self.cv.wait(g);
            }
            g.paused = false;
        }
        if g.clients.is_empty() && g.shutdown {
            return IoPoll::Shutdown;
        }
        IoPoll::Clients(g.clients.drain(..).collect())
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
        let w = g.waker.clone();
        drop(g);
        self.cv.notify_all();
        wake(w);
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
        if let Some(w) = g.waker.clone() {
            // Under the lock: the IO thread cannot park before the lock is released anyway.
            w();
        }
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

    fn take(&self, id: u64) -> Option<Client> {
        let mut g = self.st.lock();
        let i = g.clients.iter().position(|c| c.id == id)?;
        g.clients.remove(i)
    }

    fn put_back(&self, cs: Vec<Client>) {
        let mut g = self.st.lock();
        for c in cs.into_iter().rev() {
            g.clients.push_front(c);
        }
        let w = g.waker.clone();
        drop(g);
        self.cv.notify_all();
        wake(w);
    }
}

/// Panic payload of main when a thread it waits for died: not a finding of its own (the dead
/// thread's panic is), so the world reports the dead thread's panic instead.
#[derive(Debug)]
pub struct PeerDied;

/// A BIO completion request that ran (`bioCreateCompRq(BIO_WORKER_LAZY_FREE,
/// kvsAsyncFreeDoneCB, client_id, ctx)`): main runs its callback, which unblocks `client` if it
/// still exists and is blocked, replying `+OK` (a blocking FLUSH) or the slot ranges of an
/// SFLUSH (`slots`, the trim context's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    /// `client_id` (0 = `CLIENT_ID_NONE`: nobody to unblock).
    pub client: u64,
    /// The trim context's slot ranges (a background slot trim), if any.
    pub slots: Option<Vec<(u16, u16)>>,
}

/// What main's loop receives: a client from an IO thread, or the completion of a blocking
/// flush from BIO (`bioCreateCompRq` → `kvsAsyncFreeDoneCB`, run on main).
// One event per hand-off; boxing the client would add an allocation to every hand-in.
#[allow(clippy::large_enum_variant)]
pub enum Event {
    /// A client handed in by an IO thread.
    Client(Client),
    /// BIO finished every lazy-free job queued before this completion request.
    FlushDone(Completion),
}

#[derive(Default)]
struct MainState {
    clients: VecDeque<Client>,
    done: VecDeque<Completion>,
    aborted: bool,
    waker: Option<Waker>,
}

/// IO threads → main hand-off queue (and BIO → main completions): the clients, the flush
/// completions, the abort flag, the [`Waker`].
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
        let w = g.waker.clone();
        drop(g);
        self.cv.notify_all();
        wake(w);
    }

    /// BIO: a completion request ran (its callback runs on main when main takes it).
    pub fn flush_done(&self, done: Completion) {
        let mut g = self.st.lock();
        g.done.push_back(done);
        let w = g.waker.clone();
        drop(g);
        self.cv.notify_all();
        wake(w);
    }

    /// Install (or remove) the [`Waker`] an IO thread's send calls (socket adapters only).
    pub fn set_waker(&self, w: Option<Waker>) {
        self.st.lock().waker = w;
    }

    /// Main's non-blocking receive: the next client handed in, if any.
    pub fn try_recv(&self) -> Option<Client> {
        self.st.lock().clients.pop_front()
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
            g = self.cv.wait(g);
        }
    }

    /// Block until a client or a flush completion arrives (completions first); `None` when an
    /// IO or the BIO thread died.
    pub fn recv_event(&self) -> Option<Event> {
        let mut g = self.st.lock();
        loop {
            if let Some(d) = g.done.pop_front() {
                return Some(Event::FlushDone(d));
            }
            if let Some(c) = g.clients.pop_front() {
                return Some(Event::Client(c));
            }
            if g.aborted {
                return None;
            }
            g = self.cv.wait(g);
        }
    }

    /// Wait until a flush completion is queued; a thread that died instead ends the wait with
    /// [`PeerDied`] (its own panic is the report).
    pub fn wait_flush_done(&self) {
        let mut g = self.st.lock();
        while g.done.is_empty() {
            if g.aborted {
                drop(g);
                std::panic::panic_any(PeerDied);
            }
            g = self.cv.wait(g);
        }
    }

    /// A flush completion already queued, if any (no wait).
    pub fn try_flush_done(&self) -> Option<Completion> {
        self.st.lock().done.pop_front()
    }

    /// An IO thread is unwinding: wake main so the run ends instead of hanging.
    pub fn abort(&self) {
        let mut g = self.st.lock();
        g.aborted = true;
        let w = g.waker.clone();
        drop(g);
        self.cv.notify_all();
        wake(w);
    }

    fn take_all(&self) -> Vec<Client> {
        self.st.lock().clients.drain(..).collect()
    }

    fn take(&self, id: u64) -> Option<Client> {
        let mut g = self.st.lock();
        let i = g.clients.iter().position(|c| c.id == id)?;
        g.clients.remove(i)
    }

    fn put_back(&self, cs: Vec<Client>) {
        let mut g = self.st.lock();
        for c in cs.into_iter().rev() {
            g.clients.push_front(c);
        }
    }
}

/// `fetchClientFromIOThread(c)` (iothread.c @ 051a9359, off=0), the hand-off part: main pauses
/// the client's IO thread `io` (which parks only between clients, so the client is in a queue
/// by then), takes the client out of whichever queue holds it (the IO thread's, or the one
/// into main: C searches five lists), and resumes the thread. `None` when neither holds it.
pub fn fetch_client(io: &IoInbox, main: &MainInbox, id: u64) -> Option<Client> {
    let paused = io.pause();
    let c = io.take(id).or_else(|| main.take(id));
    if paused {
        io.resume();
    }
    c
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
