//! The event-loop thread: it owns the connection's hiredis context, hands queued commands to
//! hiredis, drives the socket, runs the callbacks, and tears everything down when told to stop.
//!
//! Twin: redis-plus-plus `event_loop.cpp` (03ff64d3) and `async_connection.{h,cpp}` (03ff64d3,
//! 0679105c), read through the project's code index:
//!
//! | model | redis-plus-plus |
//! |---|---|
//! | [`run`] | the loop thread: `uv_run` with `EventLoop::_event_callback` / `_stop_callback` |
//! | `EventLoop::send_commands` | `EventLoop::_send_commands` (by connection status: reconnect, keep pending, send, fail) |
//! | `EventLoop::handle` | `CommandEvent::handle` → `redisAsyncFormattedCommand`; the fix of #556 releases the `FormattedCommand` right after it |
//! | `EventLoop::reconnect` | `AsyncConnection::reconnect` / `_connect` (`AsyncContextUPtr`: a context with `err` set is freed by its `unique_ptr`) |
//! | `EventLoop::disconnect` | `EventLoop::_disconnect` (`redisAsyncDisconnect` of a healthy connection) |
//! | `EventLoop::clean_up` | `EventLoop::_stop_callback` / `_clean_up` (queued events fail; contexts still owned are `redisAsyncFree`d) |
//! | `Agent::on_reply` | `CommandEvent::_reply_callback` (sets the promise, `delete event`) |
//! | `Agent::on_connect` / `on_disconnect` | `EventLoop::_connect_callback` / `_disconnect_callback` (`connection->reset()`: drop the context pointer, hiredis frees the context) |
//! | `Agent::data_cleanup` | `AsyncConnection::_clean_async_context` |
//!
//! Simplifications: no AUTH/SELECT/READONLY preparation; a connection that failed reconnects
//! when the next command arrives (redis-plus-plus's pool replaces a broken connection); at stop
//! every context the loop still owns is freed (redis-plus-plus frees those of connections whose
//! unwatch is still queued).

use crate::client::{CommandEvent, Shared};
use crate::fault::Fault;
use crate::heap::kind;
use crate::hiredis::{Callbacks, Hiredis, RedisReply, Status};
use crate::peer::Peer;
use crate::retention::{InFlight, Peaks};
use refrace_model::ledger::{AllocId, Ptr, Tid};
use refrace_model::resp::Reply;
use refrace_model::sync::{backend, Arc, Backend};

/// What the loop measured, returned when it ends.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoopStats {
    /// Retention peaks.
    pub peaks: Peaks,
    /// Commands handed to hiredis.
    pub sent: u64,
    /// Connect attempts.
    pub connects: u64,
    /// Connect attempts that failed (at once or in the connect callback).
    pub connect_failures: u64,
}

/// redis-plus-plus's `AsyncConnectionStatus` (the states the model needs).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum ConnStatus {
    Uninitialized,
    Connecting,
    ConnectFailed,
    Ready,
    Disconnecting,
    Disconnected,
}

/// The callback side of the loop: everything the hiredis callbacks touch.
struct Agent {
    sh: Arc<Shared>,
    status: ConnStatus,
    /// `AsyncConnection::_ctx`.
    ctx: Option<Ptr>,
    /// `AsyncConnection::_err`.
    err: Option<String>,
    /// Events handed to hiredis, by their allocation (the memory behind `privdata`).
    events: refrace_model::DetMap<AllocId, CommandEvent>,
    /// Events waiting for the connection (`pending_events`).
    pending: Vec<CommandEvent>,
    stats: LoopStats,
}

struct EventLoop {
    hi: Hiredis,
    agent: Agent,
    peer: Arc<dyn Peer>,
}

const TID: Tid = Tid::Loop;

/// The loop thread's body.
pub(crate) fn run(sh: Arc<Shared>, peer: Arc<dyn Peer>) -> LoopStats {
    let std_threads = backend() == Backend::Std;
    let mut el = EventLoop {
        hi: Hiredis::new(sh.heap.clone(), TID),
        agent: Agent {
            sh: sh.clone(),
            status: ConnStatus::Uninitialized,
            ctx: None,
            err: None,
            events: Default::default(),
            pending: Vec::new(),
            stats: LoopStats::default(),
        },
        peer,
    };
    if !std_threads {
        // loom and shuttle end the whole execution at the first panic.
        return el.run();
    }
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| el.run())) {
        Ok(s) => s,
        Err(p) => {
            sh.loop_died(
                p.downcast_ref::<String>()
                    .cloned()
                    .unwrap_or_else(|| "panic".into()),
            );
            std::panic::resume_unwind(p)
        }
    }
}

impl EventLoop {
    fn run(&mut self) -> LoopStats {
        loop {
            let sh = self.agent.sh.clone();
            let seen = sh.poller.snapshot();
            let (commands, unwatch, stop) = {
                let mut m = sh.mailbox.lock();
                if m.stop {
                    m.closed = true;
                }
                (
                    std::mem::take(&mut m.commands),
                    std::mem::take(&mut m.unwatch),
                    m.stop,
                )
            };
            let mut progress = !commands.is_empty() || stop;
            self.agent.pending.extend(commands);
            self.send_commands();
            if unwatch
                && matches!(
                    self.agent.status,
                    ConnStatus::Connecting | ConnStatus::Ready
                )
            {
                self.disconnect();
                progress = true;
            }
            if stop {
                if sh.cfg.faults.has(Fault::StopLoopBeforeCallbacks) {
                    // FAULT stop-loop-before-callbacks: `uv_stop` and nothing else; the
                    // context, its callbacks and their events stay allocated forever.
                    return std::mem::take(&mut self.agent.stats);
                }
                self.clean_up();
                return std::mem::take(&mut self.agent.stats);
            }
            progress |= self.io();
            self.check_retention();
            if !progress {
                sh.poller.wait_past(seen);
            }
        }
    }

    /// `EventLoop::_send_commands`.
    fn send_commands(&mut self) {
        let events = std::mem::take(&mut self.agent.pending);
        for ev in events {
            // event->connection()->status()
            self.agent
                .sh
                .heap
                .read(TID, ev.conn, "AsyncConnection::status");
            if matches!(
                self.agent.status,
                ConnStatus::Uninitialized | ConnStatus::Disconnected | ConnStatus::ConnectFailed
            ) {
                self.reconnect();
            }
            match self.agent.status {
                ConnStatus::Ready => self.handle(ev),
                ConnStatus::Connecting => self.agent.pending.push(ev),
                ConnStatus::ConnectFailed | ConnStatus::Disconnected => {
                    let e = self
                        .agent
                        .err
                        .clone()
                        .unwrap_or_else(|| "failed to connect to server".into());
                    self.agent.fail(ev, e);
                }
                ConnStatus::Disconnecting | ConnStatus::Uninitialized => {
                    self.agent.fail(ev, "connection is closing".into());
                }
            }
        }
        self.check_retention();
    }

    /// `CommandEvent::handle`: hand the command to hiredis, which copies it.
    fn handle(&mut self, mut ev: CommandEvent) {
        let Some(ac) = self.agent.ctx else {
            self.agent.fail(ev, "not connected".into());
            return;
        };
        let bytes = ev.cmd.as_ref().map(|c| c.bytes.clone()).unwrap_or_default();
        if let Err(e) = self.hi.formatted_command(ac, Some(ev.ptr), &bytes) {
            self.agent.fail(ev, format!("failed to send command: {e}"));
            return;
        }
        if !self.agent.sh.cfg.faults.has(Fault::KeepFormattedCmd) {
            // The fix of redis-plus-plus #556: `FormattedCommand cmd = std::move(_cmd);` —
            // hiredis copied the bytes, release them now.
            if let Some(c) = ev.cmd.take() {
                self.agent.sh.heap.free(TID, c.ptr);
            }
        }
        // FAULT keep-formatted-cmd: otherwise the event keeps `_cmd` until the callback.
        if self
            .agent
            .sh
            .cfg
            .faults
            .has(Fault::DestroyWithCallbackPending)
        {
            self.agent.sh.in_flight.lock().push(ev.ptr);
        }
        self.agent.stats.sent += 1;
        self.agent.events.insert(ev.ptr.id, ev);
    }

    /// `AsyncConnection::reconnect` / `_connect`.
    fn reconnect(&mut self) {
        if let Some(old) = self.agent.ctx.take() {
            // Only reachable with FAULT free-after-disconnect-callback: the callbacks kept a
            // pointer to a context hiredis freed after calling them.
            self.hi.redis_async_free(old, &mut self.agent);
        }
        self.agent.stats.connects += 1;
        let ac = self
            .hi
            .redis_async_connect(&*self.peer, self.agent.sh.poller.clone());
        if let Some(e) = self.hi.err(ac) {
            self.agent.stats.connect_failures += 1;
            if !self
                .agent
                .sh
                .cfg
                .faults
                .has(Fault::LeakContextOnConnectFailure)
            {
                // AsyncContextUPtr's deleter: a context returned with err set is ours to free.
                self.hi.redis_async_free(ac, &mut self.agent);
            }
            // FAULT leak-context-on-connect-failure: the pointer is dropped instead.
            self.agent.err = Some(format!("failed to connect to server: {e}"));
            self.agent.status = ConnStatus::ConnectFailed;
            return;
        }
        let data = self.agent.sh.heap.alloc(
            TID,
            kind::CTX_DATA,
            crate::heap::SIZEOF_CTX_DATA,
            "ctx->data",
        );
        self.hi.set_data(ac, data);
        self.hi.set_connect_callback(ac);
        self.hi.set_disconnect_callback(ac);
        self.agent.ctx = Some(ac);
        self.agent.status = ConnStatus::Connecting;
    }

    /// `EventLoop::_disconnect`: a graceful `redisAsyncDisconnect` (hiredis frees the context
    /// once the pending replies arrived).
    fn disconnect(&mut self) {
        if let Some(ac) = self.agent.ctx {
            self.hi.redis_async_disconnect(ac, &mut self.agent);
            if self.agent.ctx.is_some() {
                self.agent.status = ConnStatus::Disconnecting;
            }
        }
    }

    /// `EventLoop::_stop_callback` / `_clean_up`: fail what is queued, free the context the
    /// loop still owns (its pending callbacks run with a NULL reply).
    fn clean_up(&mut self) {
        for ev in std::mem::take(&mut self.agent.pending) {
            self.agent.fail(ev, "event loop is closing".into());
        }
        if let Some(ac) = self.agent.ctx.take() {
            self.agent
                .err
                .get_or_insert_with(|| "event loop is closing".into());
            self.hi.redis_async_free(ac, &mut self.agent);
        }
        // Commands queued after the stop was taken (from other threads) fail here too.
        let late = {
            let mut m = self.agent.sh.mailbox.lock();
            m.closed = true;
            std::mem::take(&mut m.commands)
        };
        for ev in late {
            self.agent.fail(ev, "event loop is closing".into());
        }
    }

    /// One round of I/O on the context; whether anything happened.
    fn io(&mut self) -> bool {
        let Some(ac) = self.agent.ctx else {
            return false;
        };
        if !self.hi.is_live(ac) {
            return false;
        }
        let mut progress = false;
        if self.hi.wants_write(ac) {
            self.hi.handle_write(ac, &mut self.agent);
            progress = true;
        }
        if self.hi.is_live(ac) && self.hi.wants_read(ac) {
            self.hi.handle_read(ac, &mut self.agent);
            progress = true;
        }
        progress
    }

    fn check_retention(&mut self) {
        let Some(ac) = self.agent.ctx.filter(|ac| self.hi.is_live(*ac)) else {
            let heap = self.agent.sh.heap.clone();
            self.agent
                .stats
                .peaks
                .check(&heap, TID, self.agent.sh.cfg.retention, &[]);
            return;
        };
        let in_flight: Vec<InFlight> = self
            .hi
            .pending_privdata(ac)
            .into_iter()
            .flatten()
            .filter_map(|p| self.agent.events.get(&p.id))
            .map(|ev| InFlight {
                event: ev.ptr,
                command: ev.cmd.as_ref().map(|c| c.ptr),
            })
            .collect();
        let heap = self.agent.sh.heap.clone();
        self.agent
            .stats
            .peaks
            .check(&heap, TID, self.agent.sh.cfg.retention, &in_flight);
    }
}

impl Agent {
    /// `event->set_exception(err)` and the event's destruction.
    fn fail(&mut self, ev: CommandEvent, err: String) {
        self.sh.complete(ev.promise, Err(err));
        self.delete_event(ev);
    }

    /// `delete event`: the formatted command (if still held) and the event.
    fn delete_event(&mut self, mut ev: CommandEvent) {
        if let Some(c) = ev.cmd.take() {
            self.sh.heap.free(TID, c.ptr);
        }
        self.sh.heap.free(TID, ev.ptr);
    }

    fn connection(&self, what: &'static str) {
        // ctx->data → the connection object.
        self.sh.heap.read(TID, self.sh.conn, what);
    }
}

impl Callbacks for Agent {
    fn on_connect(&mut self, _hi: &mut Hiredis, _ac: Ptr, status: Status) {
        self.connection("AsyncConnection (connect callback)");
        match status {
            Ok(()) => {
                self.status = ConnStatus::Ready;
                self.err = None;
            }
            Err(e) => {
                self.stats.connect_failures += 1;
                if !self.sh.cfg.faults.has(Fault::FreeAfterDisconnectCallback) {
                    // connection->reset(): hiredis frees the context after this callback.
                    self.ctx = None;
                }
                self.err = Some(format!("failed to connect to server: {e}"));
                self.status = ConnStatus::ConnectFailed;
                for ev in std::mem::take(&mut self.pending) {
                    let e = self.err.clone().unwrap_or_default();
                    self.fail(ev, e);
                }
            }
        }
    }

    fn on_disconnect(&mut self, _hi: &mut Hiredis, _ac: Ptr, status: Status) {
        self.connection("AsyncConnection (disconnect callback)");
        if let Err(e) = status {
            self.err = Some(format!("connection lost: {e}"));
        }
        if !self.sh.cfg.faults.has(Fault::FreeAfterDisconnectCallback) {
            // connection->reset(): the context is hiredis's to free, right after this returns.
            self.ctx = None;
        }
        // FAULT free-after-disconnect-callback: `_ctx` keeps pointing at it.
        self.status = ConnStatus::Disconnected;
    }

    fn on_reply(
        &mut self,
        _hi: &mut Hiredis,
        _ac: Ptr,
        reply: Option<&RedisReply>,
        privdata: Option<Ptr>,
    ) {
        let Some(p) = privdata else {
            return;
        };
        if self.sh.cfg.faults.has(Fault::DestroyWithCallbackPending) {
            self.sh.in_flight.lock().retain(|e| *e != p);
        }
        // static_cast<CommandEvent *>(privdata)
        self.sh
            .heap
            .read(TID, p, "CommandEvent (callback privdata)");
        let Some(ev) = self.events.remove(&p.id) else {
            panic!("model bug: callback privdata {p} is live but no command event");
        };
        let result = match reply {
            None => {
                // connection->error()
                self.connection("AsyncConnection::error");
                Err(self
                    .err
                    .clone()
                    .unwrap_or_else(|| "connection is closing".into()))
            }
            Some(r) => match r.value(&self.sh.heap, TID) {
                Reply::Error(e) => Err(e.clone()),
                v => Ok(v.clone()),
            },
        };
        self.sh.complete(ev.promise, result);
        self.delete_event(ev);
    }

    fn data_cleanup(&mut self, _hi: &mut Hiredis, data: Ptr) {
        // `delete ctx` of the AsyncContext: the last call before hiredis frees the context (the
        // only one when the context goes away before it connected).
        self.sh.heap.free(TID, data);
        if !self.sh.cfg.faults.has(Fault::FreeAfterDisconnectCallback) {
            self.ctx = None;
        }
        if matches!(
            self.status,
            ConnStatus::Connecting | ConnStatus::Disconnecting
        ) {
            self.status = ConnStatus::Disconnected;
        }
    }
}
