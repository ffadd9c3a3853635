//! What application threads see: a client object they submit commands through (each returns a
//! future), shared by several threads, and destroyed by one of them, possibly while commands
//! are in flight.
//!
//! Twin: redis-plus-plus's `AsyncRedis` over one `AsyncConnection` and its `EventLoop`
//! (`src/sw/redis++/async_connection.{h,cpp}` at 03ff64d3 and 0679105c, `event_loop.cpp` at
//! 03ff64d3, read through the project's code index):
//!
//! | model | redis-plus-plus |
//! |---|---|
//! | [`Client::connect`] | `AsyncRedis` constructor: the connection object and the loop thread (`EventLoop::EventLoop` starts `uv_run` on a `std::thread`) |
//! | [`Handle::send`] | `AsyncConnection::send` → `redisFormatCommandArgv` into a `FormattedCommand`, a `CommandEvent` owning it, `EventLoop::add` (queue under a mutex + `uv_async_send`) |
//! | [`Future::wait`] | `std::future::get` on the event's `std::promise` |
//! | [`Client::destroy`] | `~AsyncRedis`: the pool unwatches the connection (`EventLoop::unwatch`), `~EventLoop` stops the loop (`_stop`) and joins its thread |
//!
//! Simplifications: one connection (no pool); commands are byte strings (no result parsing);
//! the promise's shared state and the queue's vectors are Rust values, not ledger allocations.

use crate::event_loop::{self, LoopStats};
use crate::fault::{Fault, Faults};
use crate::heap::{kind, Heap, SIZEOF_CONNECTION, SIZEOF_EVENT};
use crate::peer::Peer;
use crate::retention::Mode;
use crate::socket::Poller;
use refrace_model::ledger::{Ptr, Tid};
use refrace_model::resp::{self, Reply};
use refrace_model::sync::{thread, Arc, Condvar, Mutex};

/// How a client is built.
#[derive(Copy, Clone, Debug, Default)]
pub struct Config {
    /// Faults switched on.
    pub faults: Faults,
    /// What the loop does with the retention bound.
    pub retention: Mode,
}

/// A formatted command owned by its event (`FormattedCommand`).
#[derive(Debug)]
pub(crate) struct FormattedCommand {
    pub(crate) ptr: Ptr,
    pub(crate) bytes: Vec<u8>,
}

/// A command on its way: redis-plus-plus's `CommandEvent` (the callback's private data).
#[derive(Debug)]
pub(crate) struct CommandEvent {
    pub(crate) ptr: Ptr,
    pub(crate) cmd: Option<FormattedCommand>,
    pub(crate) promise: u64,
    pub(crate) conn: Ptr,
}

/// The loop's inbox (`EventLoop::_command_events`, `_disconnect_events`, the stop request).
#[derive(Default)]
pub(crate) struct Mailbox {
    pub(crate) commands: Vec<CommandEvent>,
    pub(crate) unwatch: bool,
    pub(crate) stop: bool,
    /// Set when the loop has stopped: later sends fail at once.
    pub(crate) closed: bool,
    next_promise: u64,
}

#[derive(Default)]
struct PromiseState {
    done: refrace_model::DetMap<u64, Result<Reply, String>>,
    dead: Option<String>,
}

/// What application threads and the loop thread share.
pub(crate) struct Shared {
    pub(crate) heap: Arc<Heap>,
    pub(crate) cfg: Config,
    pub(crate) poller: Arc<Poller>,
    pub(crate) mailbox: Mutex<Mailbox>,
    promises: Mutex<PromiseState>,
    promise_cv: Condvar,
    /// The `AsyncConnection` object.
    pub(crate) conn: Ptr,
    /// Fault `destroy-with-callback-pending` only: the events in flight, which the faulty
    /// destroy frees itself.
    pub(crate) in_flight: Mutex<Vec<Ptr>>,
}

impl Shared {
    /// `promise.set_value` / `set_exception`.
    pub(crate) fn complete(&self, promise: u64, r: Result<Reply, String>) {
        self.promises.lock().done.insert(promise, r);
        self.promise_cv.notify_all();
    }

    /// The loop thread died (real threads only): every waiting future gets an error.
    pub(crate) fn loop_died(&self, why: String) {
        self.promises.lock().dead = Some(why);
        self.promise_cv.notify_all();
    }
}

/// The result of one command, once its callback (or a failure) completed it.
pub struct Future {
    id: u64,
    sh: Arc<Shared>,
}

impl std::fmt::Debug for Future {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Future({})", self.id)
    }
}

impl Future {
    /// Block until the command completed: the reply, or the error that failed it (a reply
    /// `-ERR …` is an `Err` too, as redis-plus-plus throws it).
    pub fn wait(self) -> Result<Reply, String> {
        let mut g = self.sh.promises.lock();
        loop {
            if let Some(r) = g.done.remove(&self.id) {
                return r;
            }
            if let Some(why) = &g.dead {
                return Err(format!("the event loop died: {why}"));
            }
            g = self.sh.promise_cv.wait(g);
        }
    }

    /// The result if the command completed, without blocking.
    pub fn try_take(&self) -> Option<Result<Reply, String>> {
        self.sh.promises.lock().done.remove(&self.id)
    }
}

/// A cloneable sending handle (for other application threads).
#[derive(Clone)]
pub struct Handle {
    sh: Arc<Shared>,
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Handle")
    }
}

impl Handle {
    /// Submit a command from application thread `tid` (`AsyncConnection::send`): format it
    /// into a buffer the event owns, queue the event for the loop, wake the loop.
    pub fn send(&self, tid: Tid, args: &[&[u8]]) -> Future {
        let sh = &self.sh;
        let bytes = resp::encode_request(args);
        let name = String::from_utf8_lossy(args.first().copied().unwrap_or_default()).to_string();
        let cmd = sh
            .heap
            .alloc(tid, kind::COMMAND, bytes.len(), format!("formatted {name}"));
        let ev = sh
            .heap
            .alloc(tid, kind::EVENT, SIZEOF_EVENT, format!("event of {name}"));
        let mut event = CommandEvent {
            ptr: ev,
            cmd: Some(FormattedCommand { ptr: cmd, bytes }),
            promise: 0,
            conn: sh.conn,
        };
        let (id, queued) = {
            let mut m = sh.mailbox.lock();
            m.next_promise += 1;
            event.promise = m.next_promise;
            let open = !m.closed;
            if open {
                m.commands.push(event);
            }
            (m.next_promise, open)
        };
        if queued {
            sh.poller.notify();
        } else {
            // The loop is gone: fail the command here (this thread releases its memory).
            sh.heap.free(tid, cmd);
            sh.heap.free(tid, ev);
            sh.complete(id, Err("the client is closed".into()));
        }
        Future { id, sh: sh.clone() }
    }
}

/// An async client: a connection object and the event-loop thread that owns its hiredis
/// context.
pub struct Client {
    handle: Handle,
    loop_thread: thread::JoinHandle<LoopStats>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Client")
    }
}

impl Client {
    /// Create the client on thread `tid`: allocate the connection object and start the loop
    /// thread, which connects to `peer` when the first command arrives (redis-plus-plus
    /// connects lazily).
    pub fn connect(tid: Tid, heap: Arc<Heap>, peer: Arc<dyn Peer>, cfg: Config) -> Client {
        let conn = heap.alloc(tid, kind::CONNECTION, SIZEOF_CONNECTION, "connection");
        let sh = Arc::new(Shared {
            heap,
            cfg,
            poller: Poller::new(),
            mailbox: Mutex::new(Mailbox::default()),
            promises: Mutex::new(PromiseState::default()),
            promise_cv: Condvar::new(),
            conn,
            in_flight: Mutex::new(Vec::new()),
        });
        let loop_sh = sh.clone();
        let loop_thread = thread::spawn("event-loop", move || event_loop::run(loop_sh, peer));
        Client {
            handle: Handle { sh },
            loop_thread,
        }
    }

    /// A handle for other threads.
    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    /// [`Handle::send`] on this client.
    pub fn send(&self, tid: Tid, args: &[&[u8]]) -> Future {
        self.handle.send(tid, args)
    }

    /// Destroy the client from thread `tid` (`~AsyncRedis`): unwatch the connection and stop
    /// the loop, join it, free the connection object. Commands in flight complete with an
    /// error. Returns what the loop measured.
    pub fn destroy(self, tid: Tid) -> LoopStats {
        let sh = self.handle.sh.clone();
        let faults = sh.cfg.faults;
        if faults.has(Fault::DestroyWithCallbackPending) {
            // FAULT destroy-with-callback-pending: the destructor releases the events of the
            // commands in flight, which hiredis still holds as callbacks' private data.
            let mut f = sh.in_flight.lock();
            for ev in f.drain(..) {
                sh.heap.free(tid, ev);
            }
        }
        if faults.has(Fault::StopLoopBeforeCallbacks) {
            // FAULT stop-loop-before-callbacks (before redis-plus-plus PR #443): the loop is
            // stopped first; the connection is unwatched only after, when no loop runs.
            sh.mailbox.lock().stop = true;
            sh.poller.notify();
            let stats = self.loop_thread.join();
            sh.mailbox.lock().unwatch = true;
            sh.heap.free(tid, sh.conn);
            return stats;
        }
        {
            let mut m = sh.mailbox.lock();
            m.unwatch = true;
            m.stop = true;
        }
        sh.poller.notify();
        let stats = self.loop_thread.join();
        sh.heap.free(tid, sh.conn);
        stats
    }
}
