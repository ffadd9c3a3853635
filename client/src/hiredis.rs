//! hiredis's asynchronous context, modelled: the output buffer a command is copied into, the
//! callback list, the reply reader, connect / disconnect, `redisAsyncFree`, and the rule that
//! after the disconnect callback hiredis frees the context itself.
//!
//! Twin: hiredis `async.c` at redis/hiredis 005d7ede and `hiredis.c` at 00bbedf9 (read through
//! the project's code index); the C harness (`client/c/harness.c`) checks the rules below
//! against Debian's hiredis 0.14.1, the library the tests link. Function by function:
//!
//! | model | hiredis |
//! |---|---|
//! | [`Hiredis::redis_async_connect`] | `redisAsyncConnect` → `redisConnectWithOptions` (non-blocking) + `redisAsyncInitialize` |
//! | [`Hiredis::set_connect_callback`] | `redisAsyncSetConnectCallback` (also asks for a write event) |
//! | [`Hiredis::set_disconnect_callback`] | `redisAsyncSetDisconnectCallback` |
//! | [`Hiredis::set_data`] | `ac->data`, `ac->dataCleanup` |
//! | [`Hiredis::formatted_command`] | `redisAsyncFormattedCommand` → `__redisAsyncCommand` (`__redisPushCallback`, `__redisAppendCommand`: `sdscatlen` into `c->obuf`) |
//! | [`Hiredis::handle_write`] | `redisAsyncHandleWrite` → `redisBufferWrite` (obuf freed and replaced by `sdsempty()` once fully written, else `sdsrange`) |
//! | [`Hiredis::handle_read`] | `redisAsyncHandleRead` → `redisBufferRead` + `redisProcessCallbacks` (reply freed right after its callback) |
//! | `handle_connect` | `__redisAsyncHandleConnect` / `__redisAsyncHandleConnectFailure` |
//! | [`Hiredis::redis_async_disconnect`] | `redisAsyncDisconnect` (deferred while callbacks are pending or inside a callback) |
//! | [`Hiredis::redis_async_free`] | `redisAsyncFree` (deferred inside a callback) |
//! | `disconnect_now` | `__redisAsyncDisconnect` |
//! | `free_now` | `__redisAsyncFree` (pending callbacks with a NULL reply, the disconnect callback, `dataCleanup`, `redisFree`) |
//!
//! Left out: pub/sub and MONITOR bookkeeping (the dicts are allocated and freed, never used),
//! timeouts, push replies, TLS, `REDIS_OPT_NOAUTOFREE` (1.x only), OOM paths. A second
//! `redisAsyncFree` of a freed context is reported by the ledger as `DOUBLE_FREE` (the context
//! released twice); real hiredis first writes `c->flags` of the freed block and then frees its
//! parts again, which ASan reports as a crash inside `free` (see `docs/async-client.md`).

use crate::heap::{self, kind, Heap};
use crate::peer::{Connect, Peer};
use crate::socket::{ClientSock, Poller, Read};
use refrace_model::ledger::{AllocId, Ptr, Tid};
use refrace_model::resp::{self, Reply};
use refrace_model::sync::Arc;
use std::collections::VecDeque;

/// `REDIS_READER_MAX_BUF`: an empty reader buffer with more spare room than this is freed.
const READER_MAX_BUF: usize = 16 * 1024;

/// A callback's status argument: `REDIS_OK`, or `REDIS_ERR` with `ac->errstr`.
pub type Status = Result<(), String>;

/// The functions a context calls back (registered by its user: redis-plus-plus's event loop).
pub trait Callbacks {
    /// `redisConnectCallback`.
    fn on_connect(&mut self, hi: &mut Hiredis, ac: Ptr, status: Status);
    /// `redisDisconnectCallback`: the last call hiredis makes before it frees the context.
    fn on_disconnect(&mut self, hi: &mut Hiredis, ac: Ptr, status: Status);
    /// A command's `redisCallbackFn`; `reply` is `None` when the context goes away first. The
    /// reply is freed when this returns.
    fn on_reply(
        &mut self,
        hi: &mut Hiredis,
        ac: Ptr,
        reply: Option<&RedisReply>,
        privdata: Option<Ptr>,
    );
    /// `ac->dataCleanup(ac->data)`.
    fn data_cleanup(&mut self, hi: &mut Hiredis, data: Ptr);
}

/// A `redisReply` tree: its allocations and the decoded value.
#[derive(Debug)]
pub struct RedisReply {
    ptrs: Vec<Ptr>,
    value: Reply,
}

impl RedisReply {
    /// Read the reply (a checked read of the `redisReply` object).
    pub fn value(&self, heap: &Heap, tid: Tid) -> &Reply {
        heap.read(tid, self.ptrs[0], "redisReply");
        &self.value
    }
}

struct Sds {
    ptr: Ptr,
    bytes: Vec<u8>,
    cap: usize,
}

struct Callback {
    ptr: Ptr,
    privdata: Option<Ptr>,
}

#[derive(Default, Clone, Copy)]
struct Flags {
    connected: bool,
    disconnecting: bool,
    freeing: bool,
    in_callback: bool,
}

struct Ctx {
    obuf: Sds,
    reader: Ptr,
    rbuf: Sds,
    dicts: [Ptr; 2],
    endpoint: Ptr,
    sock: Option<ClientSock>,
    connect_error: Option<String>,
    flags: Flags,
    err: Option<String>,
    replies: VecDeque<Callback>,
    want_read: bool,
    want_write: bool,
    on_connect: bool,
    on_disconnect: bool,
    data: Option<Ptr>,
}

/// The hiredis library state of one process: its live contexts (`redisAsyncContext *` are
/// [`Ptr`]s into the ledger, so a stale pointer is caught). Used by the loop thread only.
pub struct Hiredis {
    heap: Arc<Heap>,
    tid: Tid,
    ctxs: refrace_model::DetMap<AllocId, Ctx>,
}

impl std::fmt::Debug for Hiredis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Hiredis({} contexts)", self.ctxs.len())
    }
}

impl Hiredis {
    /// The library as seen by thread `tid`.
    pub fn new(heap: Arc<Heap>, tid: Tid) -> Hiredis {
        Hiredis {
            heap,
            tid,
            ctxs: Default::default(),
        }
    }

    fn alloc(&self, what: &'static str, size: usize) -> Ptr {
        self.heap.alloc(self.tid, what, size, what)
    }

    fn free(&self, p: Ptr) {
        self.heap.free(self.tid, p);
    }

    fn new_sds(&self, what: &'static str) -> Sds {
        Sds {
            ptr: self.alloc(what, heap::sds_size(0)),
            bytes: Vec::new(),
            cap: 0,
        }
    }

    /// `sdscatlen`: append, growing (realloc: a new block, the old one freed) when needed.
    fn sds_cat(&self, s: &mut Sds, what: &'static str, b: &[u8]) {
        let need = s.bytes.len() + b.len();
        if need > s.cap {
            let cap = heap::sds_grow(need);
            let p = self.alloc(what, heap::sds_size(cap));
            self.free(s.ptr);
            s.ptr = p;
            s.cap = cap;
        }
        s.bytes.extend_from_slice(b);
    }

    /// The context behind `ac`, after a checked read (`USE_AFTER_FREE` on a stale pointer).
    fn ctx(&mut self, ac: Ptr, what: &'static str) -> &mut Ctx {
        self.heap.read(self.tid, ac, what);
        match self.ctxs.get_mut(&ac.id) {
            Some(c) => c,
            None => panic!("model bug: {ac} is live in the ledger but not a hiredis context"),
        }
    }

    /// `redisAsyncConnect`: allocate a context and start connecting to `peer`. A refusal that
    /// happens at once leaves `err` set (the caller must `redisAsyncFree` the context); one that
    /// happens later is reported to the connect callback.
    pub fn redis_async_connect(&mut self, peer: &dyn Peer, poller: Arc<Poller>) -> Ptr {
        // In hiredis's order: redisContextInit (context, obuf, reader), the endpoint string,
        // then redisAsyncInitialize (the two dicts; the context grows into the async one).
        let ac = self.alloc(kind::ASYNC_CONTEXT, heap::SIZEOF_ASYNC_CONTEXT);
        let obuf = self.new_sds(kind::OBUF);
        let reader = self.alloc(kind::READER, heap::SIZEOF_READER);
        let rbuf = self.new_sds(kind::READER_BUF);
        let endpoint = self.alloc(kind::ENDPOINT, 16);
        let dicts = [
            self.alloc(kind::DICT, heap::SIZEOF_DICT),
            self.alloc(kind::DICT, heap::SIZEOF_DICT),
        ];
        let (sock, err, connect_error) = match peer.connect(poller) {
            Connect::Accepted(s) => (Some(s), None, None),
            Connect::RefusedNow(e) => (None, Some(e), None),
            Connect::RefusedLater(e) => (None, None, Some(e)),
        };
        self.ctxs.insert(
            ac.id,
            Ctx {
                obuf,
                reader,
                rbuf,
                dicts,
                endpoint,
                sock,
                connect_error,
                flags: Flags::default(),
                err,
                replies: VecDeque::new(),
                want_read: false,
                want_write: false,
                on_connect: false,
                on_disconnect: false,
                data: None,
            },
        );
        ac
    }

    /// `ac->err` / `ac->errstr`.
    pub fn err(&mut self, ac: Ptr) -> Option<String> {
        self.ctx(ac, "ac->err").err.clone()
    }

    /// `redisAsyncSetConnectCallback` (also schedules a write event: the first one completes
    /// the connect).
    pub fn set_connect_callback(&mut self, ac: Ptr) {
        let c = self.ctx(ac, "ac->onConnect");
        if !c.on_connect {
            c.on_connect = true;
            c.want_write = true;
        }
    }

    /// `redisAsyncSetDisconnectCallback`.
    pub fn set_disconnect_callback(&mut self, ac: Ptr) {
        self.ctx(ac, "ac->onDisconnect").on_disconnect = true;
    }

    /// `ac->data = data; ac->dataCleanup = …` (cleanup through [`Callbacks::data_cleanup`]).
    pub fn set_data(&mut self, ac: Ptr, data: Ptr) {
        self.ctx(ac, "ac->data").data = Some(data);
    }

    /// `redisAsyncFormattedCommand`: register the callback (a `redisCallback` entry holding
    /// `privdata`) and **copy** `cmd` into the output buffer; the caller's buffer is not kept.
    pub fn formatted_command(&mut self, ac: Ptr, privdata: Option<Ptr>, cmd: &[u8]) -> Status {
        let flags = self.ctx(ac, "c->flags").flags;
        if flags.disconnecting || flags.freeing {
            return Err("the context is disconnecting".into());
        }
        let cb = self.alloc(kind::CALLBACK, heap::SIZEOF_CALLBACK);
        let mut obuf = {
            let c = self.ctx(ac, "c->obuf");
            c.replies.push_back(Callback { ptr: cb, privdata });
            std::mem::replace(
                &mut c.obuf,
                Sds {
                    ptr: Ptr::NONE,
                    bytes: Vec::new(),
                    cap: 0,
                },
            )
        };
        self.sds_cat(&mut obuf, kind::OBUF, cmd);
        let c = self.ctx(ac, "c->obuf");
        c.obuf = obuf;
        c.want_write = true;
        Ok(())
    }

    /// Whether the context is live (no ledger event; the loop's readiness bookkeeping).
    pub fn is_live(&self, ac: Ptr) -> bool {
        self.ctxs.contains_key(&ac.id) && self.heap.is_live(ac)
    }

    /// Whether the context asked for write events (`_EL_ADD_WRITE` without `_EL_DEL_WRITE`).
    pub fn wants_write(&self, ac: Ptr) -> bool {
        self.ctxs.get(&ac.id).is_some_and(|c| c.want_write)
    }

    /// Whether a read event would fire: read interest and a readable socket.
    pub fn wants_read(&self, ac: Ptr) -> bool {
        self.ctxs
            .get(&ac.id)
            .is_some_and(|c| c.want_read && c.sock.as_ref().is_some_and(ClientSock::readable))
    }

    /// The private data of the callbacks waiting for replies, oldest first.
    pub fn pending_privdata(&self, ac: Ptr) -> Vec<Option<Ptr>> {
        self.ctxs
            .get(&ac.id)
            .map(|c| c.replies.iter().map(|cb| cb.privdata).collect())
            .unwrap_or_default()
    }

    /// Bytes in the output buffer (hiredis's copy of commands not yet written).
    pub fn obuf_len(&self, ac: Ptr) -> usize {
        self.ctxs.get(&ac.id).map_or(0, |c| c.obuf.bytes.len())
    }

    fn cleanup_events(&mut self, ac: Ptr) {
        if let Some(c) = self.ctxs.get_mut(&ac.id) {
            c.want_read = false;
            c.want_write = false;
        }
    }

    /// `__redisAsyncHandleConnect`; `false` when the context is gone or not usable.
    fn handle_connect(&mut self, ac: Ptr, cb: &mut dyn Callbacks) -> bool {
        let c = self.ctx(ac, "c->flags");
        if let Some(e) = c.connect_error.take() {
            c.err = Some(e);
            // __redisAsyncHandleConnectFailure: the callback, then the context is freed.
            self.run_connect_callback(ac, cb, false);
            self.disconnect_now(ac, cb);
            return false;
        }
        c.flags.connected = true;
        self.run_connect_callback(ac, cb, true);
        let flags = self.ctx(ac, "c->flags").flags;
        if flags.disconnecting {
            self.redis_async_disconnect(ac, cb);
            return false;
        }
        if flags.freeing {
            self.redis_async_free(ac, cb);
            return false;
        }
        true
    }

    fn run_connect_callback(&mut self, ac: Ptr, cb: &mut dyn Callbacks, ok: bool) {
        let c = self.ctx(ac, "ac->onConnect");
        if !c.on_connect {
            return;
        }
        let status = if ok {
            Ok(())
        } else {
            Err(c.err.clone().unwrap_or_default())
        };
        c.flags.in_callback = true;
        cb.on_connect(self, ac, status);
        self.ctx(ac, "c->flags").flags.in_callback = false;
    }

    /// `redisAsyncHandleWrite`: complete the connect, or write the output buffer.
    pub fn handle_write(&mut self, ac: Ptr, cb: &mut dyn Callbacks) {
        assert!(
            !self.ctx(ac, "c->flags").flags.in_callback,
            "redisAsyncHandleWrite called from a callback"
        );
        if !self.ctx(ac, "c->flags").flags.connected && !self.handle_connect(ac, cb) {
            return;
        }
        let c = self.ctx(ac, "c->obuf");
        let mut done = c.obuf.bytes.is_empty();
        if !done {
            let written = match &c.sock {
                Some(s) => s.write(&c.obuf.bytes),
                None => Err("not connected".into()),
            };
            match written {
                Err(e) => {
                    c.err = Some(e);
                    self.disconnect_now(ac, cb);
                    return;
                }
                Ok(n) if n == c.obuf.bytes.len() => {
                    // sdsfree(c->obuf); c->obuf = sdsempty();
                    let old = c.obuf.ptr;
                    self.free(old);
                    let fresh = self.new_sds(kind::OBUF);
                    self.ctx(ac, "c->obuf").obuf = fresh;
                    done = true;
                }
                Ok(n) => {
                    c.obuf.bytes.drain(..n); // sdsrange: the block stays
                }
            }
        }
        let c = self.ctx(ac, "c->flags");
        c.want_write = !done;
        c.want_read = true;
    }

    /// `redisAsyncHandleRead`: complete the connect, read what the socket has, run the
    /// callbacks of the complete replies.
    pub fn handle_read(&mut self, ac: Ptr, cb: &mut dyn Callbacks) {
        assert!(
            !self.ctx(ac, "c->flags").flags.in_callback,
            "redisAsyncHandleRead called from a callback"
        );
        if !self.ctx(ac, "c->flags").flags.connected && !self.handle_connect(ac, cb) {
            return;
        }
        let c = self.ctx(ac, "c->reader");
        let read = match &c.sock {
            Some(s) => s.read(),
            None => Read::Eof,
        };
        match read {
            Read::Eof => {
                c.err = Some("Server closed the connection".into());
                self.disconnect_now(ac, cb);
                return;
            }
            Read::WouldBlock => {}
            Read::Data(d) => {
                let mut rbuf = std::mem::replace(
                    &mut c.rbuf,
                    Sds {
                        ptr: Ptr::NONE,
                        bytes: Vec::new(),
                        cap: 0,
                    },
                );
                if rbuf.bytes.is_empty() && rbuf.cap > READER_MAX_BUF {
                    // redisReaderFeed: an empty buffer with more than maxbuf spare is replaced.
                    self.free(rbuf.ptr);
                    rbuf = self.new_sds(kind::READER_BUF);
                }
                self.sds_cat(&mut rbuf, kind::READER_BUF, &d);
                self.ctx(ac, "reader->buf").rbuf = rbuf;
            }
        }
        self.ctx(ac, "c->flags").want_read = true;
        self.process_callbacks(ac, cb);
    }

    /// The reader's next complete reply, allocated as hiredis's reply functions do.
    fn next_reply(&mut self, ac: Ptr) -> Result<Option<RedisReply>, String> {
        let c = self.ctx(ac, "reader->buf");
        let Some((value, n)) = resp::decode_reply(&c.rbuf.bytes)? else {
            return Ok(None);
        };
        c.rbuf.bytes.drain(..n);
        let mut ptrs = Vec::new();
        self.alloc_reply(&value, &mut ptrs);
        Ok(Some(RedisReply { ptrs, value }))
    }

    fn alloc_reply(&self, r: &Reply, out: &mut Vec<Ptr>) {
        out.push(self.alloc(kind::REPLY, heap::SIZEOF_REPLY));
        match r {
            Reply::Status(s) | Reply::Error(s) => {
                out.push(self.alloc(kind::REPLY_STR, s.len() + 1));
            }
            Reply::Bulk(Some(b)) => out.push(self.alloc(kind::REPLY_STR, b.len() + 1)),
            Reply::Array(Some(items)) => {
                if !items.is_empty() {
                    out.push(self.alloc(kind::REPLY_ELEMENTS, 8 * items.len()));
                }
                for i in items {
                    self.alloc_reply(i, out);
                }
            }
            Reply::Integer(_) | Reply::Bulk(None) | Reply::Array(None) => {}
        }
    }

    fn free_reply(&self, r: RedisReply) {
        for p in r.ptrs.into_iter().rev() {
            self.free(p);
        }
    }

    /// `redisProcessCallbacks`.
    fn process_callbacks(&mut self, ac: Ptr, cb: &mut dyn Callbacks) {
        loop {
            let reply = match self.next_reply(ac) {
                Ok(r) => r,
                Err(e) => {
                    self.ctx(ac, "c->err").err = Some(format!("Protocol error: {e}"));
                    self.disconnect_now(ac, cb);
                    return;
                }
            };
            let Some(reply) = reply else {
                let c = self.ctx(ac, "c->flags");
                if c.flags.disconnecting && c.obuf.bytes.is_empty() && c.replies.is_empty() {
                    self.disconnect_now(ac, cb);
                }
                return;
            };
            let c = self.ctx(ac, "ac->replies");
            let Some(callback) = c.replies.pop_front() else {
                // A reply nobody asked for: an error closes the connection (e.g. max clients).
                let err = match &reply.value {
                    Reply::Error(e) => Some(e.clone()),
                    _ => None,
                };
                self.free_reply(reply);
                if let Some(e) = err {
                    self.ctx(ac, "c->err").err = Some(e);
                    self.disconnect_now(ac, cb);
                    return;
                }
                continue;
            };
            self.free(callback.ptr);
            self.ctx(ac, "c->flags").flags.in_callback = true;
            cb.on_reply(self, ac, Some(&reply), callback.privdata);
            self.ctx(ac, "c->flags").flags.in_callback = false;
            self.free_reply(reply);
            if self.ctx(ac, "c->flags").flags.freeing {
                self.free_now(ac, cb);
                return;
            }
        }
    }

    /// `redisAsyncDisconnect`: no new commands; disconnect once the pending replies arrived
    /// (at once when none is pending and this is not a callback). The context is then freed
    /// by hiredis.
    pub fn redis_async_disconnect(&mut self, ac: Ptr, cb: &mut dyn Callbacks) {
        let c = self.ctx(ac, "c->flags");
        c.flags.disconnecting = true;
        if !c.flags.in_callback && c.replies.is_empty() {
            self.disconnect_now(ac, cb);
        }
    }

    /// `redisAsyncFree`: free the context now (or, inside a callback, when it returns); the
    /// pending callbacks run with a NULL reply. A context hiredis already freed is a second
    /// release: the ledger reports `DOUBLE_FREE`.
    pub fn redis_async_free(&mut self, ac: Ptr, cb: &mut dyn Callbacks) {
        if !self.is_live(ac) {
            // What the caller meant is a release of `ac`; it was released before.
            self.free(ac);
            panic!("model bug: the ledger accepted a second free of {ac}");
        }
        let c = self.ctx(ac, "c->flags");
        c.flags.freeing = true;
        if !c.flags.in_callback {
            self.free_now(ac, cb);
        }
    }

    /// `__redisAsyncDisconnect`.
    fn disconnect_now(&mut self, ac: Ptr, cb: &mut dyn Callbacks) {
        let c = self.ctx(ac, "c->err");
        if c.err.is_none() {
            assert!(
                c.replies.is_empty(),
                "hiredis asserts: a clean disconnect with callbacks pending"
            );
        } else {
            c.flags.disconnecting = true;
        }
        self.cleanup_events(ac);
        self.free_now(ac, cb);
    }

    /// `__redisAsyncFree`.
    fn free_now(&mut self, ac: Ptr, cb: &mut dyn Callbacks) {
        while let Some(callback) = self.ctx(ac, "ac->replies").replies.pop_front() {
            self.free(callback.ptr);
            self.ctx(ac, "c->flags").flags.in_callback = true;
            cb.on_reply(self, ac, None, callback.privdata);
            self.ctx(ac, "c->flags").flags.in_callback = false;
        }
        self.cleanup_events(ac);
        let c = self.ctx(ac, "c->flags");
        if c.flags.connected && c.on_disconnect {
            let status = match (&c.err, c.flags.freeing) {
                (Some(e), false) => Err(e.clone()),
                _ => Ok(()),
            };
            c.flags.in_callback = true;
            cb.on_disconnect(self, ac, status);
            self.ctx(ac, "c->flags").flags.in_callback = false;
        }
        if let Some(data) = self.ctx(ac, "ac->data").data.take() {
            cb.data_cleanup(self, data);
        }
        // redisFree: close the socket, free the buffers, the reader and the context.
        self.heap.read(self.tid, ac, "redisFree");
        let Some(c) = self.ctxs.remove(&ac.id) else {
            panic!("model bug: {ac} vanished while being freed");
        };
        if let Some(s) = &c.sock {
            s.close();
        }
        for p in [
            c.obuf.ptr, c.rbuf.ptr, c.reader, c.dicts[0], c.dicts[1], c.endpoint,
        ] {
            self.free(p);
        }
        self.free(ac);
    }
}
