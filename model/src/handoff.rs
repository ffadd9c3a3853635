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
use crate::sync::{Arc, Condvar, Mutex, MutexGuard};
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
    dead: bool,
    /// Threads blocked in `cv.wait` on this queue (its IO thread; main in a pause).
    waiters: usize,
    waker: Option<Waker>,
}

impl IoState {
    /// Whether a notification would wake anyone (see the module doc).
    fn awaited(&self) -> bool {
        self.waiters > 0
    }
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
        let notify = g.awaited();
        let w = g.waker.clone();
        drop(g);
        if notify {
            self.cv.notify_all();
        }
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
            if g.awaited() {
                self.cv.notify_all();
            }
            while g.pause_req {
                g = self.wait(g);
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
        let notify = g.awaited();
        let w = g.waker.clone();
        drop(g);
        if notify {
            self.cv.notify_all();
        }
        wake(w);
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
        let notify = g.awaited();
        let w = g.waker.clone();
        drop(g);
        if notify {
            self.cv.notify_all();
        }
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
    /// Whether main is blocked in `cv.wait` (a notification is sent only then: see the module
    /// doc).
    waiting: bool,
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

    /// Block on the condition variable, marked `waiting`.
    fn wait<'a>(&self, mut g: MutexGuard<'a, MainState>) -> MutexGuard<'a, MainState> {
        g.waiting = true;
        let mut g = self.cv.wait(g);
        g.waiting = false;
        g
    }

    /// Hand `c` to main.
    pub fn send(&self, c: Client) {
        let mut g = self.st.lock();
        g.clients.push_back(c);
        let notify = g.waiting;
        let w = g.waker.clone();
        drop(g);
        if notify {
            self.cv.notify_all();
        }
        wake(w);
    }

    /// BIO: a completion request ran (its callback runs on main when main takes it).
    pub fn flush_done(&self, done: Completion) {
        let mut g = self.st.lock();
        g.done.push_back(done);
        let notify = g.waiting;
        let w = g.waker.clone();
        drop(g);
        if notify {
            self.cv.notify_all();
        }
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
            g = self.wait(g);
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
            g = self.wait(g);
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
            g = self.wait(g);
        }
    }

    /// A flush completion already queued, if any (no wait).
    pub fn try_flush_done(&self) -> Option<Completion> {
        self.st.lock().done.pop_front()
    }

    /// Take an event if one is queued, without waiting (completions first): `Err(())` when an
    /// IO or the BIO thread died. What main polls between serving its own clients.
    #[allow(clippy::result_unit_err)]
    pub fn try_recv_event(&self) -> Result<Option<Event>, ()> {
        let mut g = self.st.lock();
        if let Some(id) = g.done.pop_front() {
            return Ok(Some(Event::FlushDone(id)));
        }
        match g.clients.pop_front() {
            Some(c) => Ok(Some(Event::Client(c))),
            None if g.aborted => Err(()),
            None => Ok(None),
        }
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

/// `fetchClientFromIOThread(c)` (iothread.c @ 051a9359, off=0), the hand-off part: main pauses
/// the client's IO thread `io` (which parks only between clients, so the client is in a queue
/// by then) and takes its queue, takes the client out of it or out of the queue into main (C
/// searches five lists), then puts the rest back and resumes the thread. `None` when neither
/// queue holds it.
pub fn fetch_client(io: &IoInbox, main: &MainInbox, id: u64) -> Option<Client> {
    let (paused, mut cs) = io.pause_and_take();
    let found = match cs.iter().position(|c| c.id == id) {
        Some(i) => Some(cs.remove(i)),
        None => main.take(id),
    };
    io.put_back_and_resume(cs, paused);
    found
}
