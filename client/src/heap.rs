//! The client's allocations, all through the project's ledger (`refrace_model::ledger`).
//!
//! Every malloc of the modelled C and C++ code (hiredis's context, reader, output buffer,
//! callback entries and reply objects; redis-plus-plus's formatted commands, command events and
//! connection objects) is a [`Heap::alloc`] that names the C type, so a `LEAK`, `DOUBLE_FREE` or
//! `USE_AFTER_FREE` report names what was lost or touched. A client is another process than the
//! server it talks to, so it has a ledger of its own.
//!
//! Sizes are the x86-64 sizes of Debian's hiredis 0.14.1 where they can be measured
//! (`sizeof` in the C harness, and the blocks LeakSanitizer lists for a leaked context); the
//! redis-plus-plus objects are estimates from their members (stated at each constant).
//!
//! Besides the ledger the heap can keep a log of (allocation, size, free) in order, which the
//! allocator models of [`crate::allocator`] replay. The log, like the ledger, uses a std lock:
//! explorers must not see it.

use refrace_model::invariant::Invariant;
use refrace_model::ledger::{AllocKind, Ledger, Ptr, Tid};
use std::sync::{Arc, Mutex};

/// C type names of the client's allocations (the ledger's `AllocKind::AsyncClient(name)`).
pub mod kind {
    /// hiredis `redisAsyncContext` (embeds the `redisContext`).
    pub const ASYNC_CONTEXT: &str = "redisAsyncContext";
    /// hiredis `redisReader`.
    pub const READER: &str = "redisReader";
    /// The context's output buffer (`c->obuf`, an sds).
    pub const OBUF: &str = "sds obuf";
    /// The reader's input buffer (`reader->buf`, an sds).
    pub const READER_BUF: &str = "sds reader->buf";
    /// `ac->sub.channels` / `ac->sub.patterns` dicts.
    pub const DICT: &str = "dict";
    /// The endpoint string (`c->tcp.host` / `c->unix_sock.path`).
    pub const ENDPOINT: &str = "endpoint string";
    /// A `redisCallback` entry of `ac->replies`.
    pub const CALLBACK: &str = "redisCallback";
    /// A `redisReply` object.
    pub const REPLY: &str = "redisReply";
    /// A reply's string (`r->str`).
    pub const REPLY_STR: &str = "redisReply.str";
    /// An array reply's element vector (`r->element`).
    pub const REPLY_ELEMENTS: &str = "redisReply.element";
    /// A formatted command (`redisFormatCommandArgv`'s buffer, owned by `FormattedCommand`).
    pub const COMMAND: &str = "FormattedCommand";
    /// redis-plus-plus `CommandEvent` (the callback's private data).
    pub const EVENT: &str = "CommandEvent";
    /// redis-plus-plus `AsyncConnection`.
    pub const CONNECTION: &str = "AsyncConnection";
    /// redis-plus-plus's `ctx->data` (the `AsyncContext` holding the connection).
    pub const CTX_DATA: &str = "AsyncContext (ctx->data)";
    /// Something the application keeps (the burst measurement's cache entries).
    pub const APP: &str = "application object";
}

/// `sizeof(redisAsyncContext)`, hiredis 0.14.1 x86-64 (measured).
pub const SIZEOF_ASYNC_CONTEXT: usize = 344;
/// `sizeof(redisReader)`, hiredis 0.14.1 x86-64 (measured).
pub const SIZEOF_READER: usize = 560;
/// A dict of `ac->sub` (LeakSanitizer lists two 48-byte blocks per leaked context).
pub const SIZEOF_DICT: usize = 48;
/// `sizeof(redisCallback)`, hiredis 0.14.1 x86-64 (measured).
pub const SIZEOF_CALLBACK: usize = 32;
/// `sizeof(redisReply)`, hiredis 0.14.1 x86-64 (measured).
pub const SIZEOF_REPLY: usize = 48;
/// An sds header for the sizes the client uses (`sdshdr8`: len, alloc, flags), plus the NUL.
pub const SDS_OVERHEAD: usize = 4;
/// redis-plus-plus `CommandEvent` (estimate: vtable, connection pointer, `FormattedCommand`
/// {pointer, int}, `std::promise`).
pub const SIZEOF_EVENT: usize = 64;
/// redis-plus-plus `AsyncConnection` (estimate: options, strings, state).
pub const SIZEOF_CONNECTION: usize = 512;
/// redis-plus-plus `AsyncContext` stored in `ctx->data` (a `shared_ptr`).
pub const SIZEOF_CTX_DATA: usize = 16;

/// One entry of the allocation log.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum HeapEvent {
    /// `malloc(size)` returned allocation `id`.
    Alloc {
        /// Allocation identity (the ledger's).
        id: u64,
        /// Bytes requested.
        size: usize,
        /// C type name.
        what: &'static str,
    },
    /// `free` of allocation `id`.
    Free {
        /// Allocation identity.
        id: u64,
    },
}

/// The client's heap: the ledger plus an optional allocation log.
pub struct Heap {
    ledger: Ledger,
    log: Option<Mutex<Vec<HeapEvent>>>,
    sizes: Mutex<refrace_model::DetMap<u64, usize>>,
}

impl std::fmt::Debug for Heap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Heap({:?})", self.ledger)
    }
}

impl Heap {
    /// A fresh heap; `log` keeps the allocation log for the allocator models.
    pub fn new(log: bool) -> Arc<Heap> {
        Arc::new(Heap {
            ledger: Ledger::new(false),
            log: log.then(|| Mutex::new(Vec::new())),
            sizes: Mutex::new(Default::default()),
        })
    }

    /// The ledger (the oracle).
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// `malloc(size)` by `tid` of a `what` (a [`kind`] name), labelled for reports.
    pub fn alloc(
        &self,
        tid: Tid,
        what: &'static str,
        size: usize,
        label: impl Into<String>,
    ) -> Ptr {
        let p = self
            .ledger
            .alloc(tid, AllocKind::AsyncClient(what), size, label.into(), None);
        lock(&self.sizes).insert(p.id.0, size);
        if let Some(log) = &self.log {
            lock(log).push(HeapEvent::Alloc {
                id: p.id.0,
                size,
                what,
            });
        }
        p
    }

    /// `free(ptr)` by `tid` (the ledger reports a second free or an unknown pointer).
    pub fn free(&self, tid: Tid, ptr: Ptr) {
        self.ledger.free(tid, ptr);
        lock(&self.sizes).remove(&ptr.id.0);
        if let Some(log) = &self.log {
            lock(log).push(HeapEvent::Free { id: ptr.id.0 });
        }
    }

    /// A checked read of `ptr`'s memory by `tid` (`what` names the access).
    pub fn read(&self, tid: Tid, ptr: Ptr, what: &'static str) {
        self.ledger.read(tid, ptr, what);
    }

    /// Whether `ptr`'s allocation is live.
    pub fn is_live(&self, ptr: Ptr) -> bool {
        self.ledger.is_live(ptr)
    }

    /// Bytes of `ptr`'s allocation if it is live.
    pub fn size_of(&self, ptr: Ptr) -> Option<usize> {
        lock(&self.sizes).get(&ptr.id.0).copied()
    }

    /// Bytes live now.
    pub fn used(&self) -> usize {
        self.ledger.used_memory()
    }

    /// Panic with the ledger's report format for `name`, found by `tid`.
    pub fn violation(&self, tid: Tid, name: Invariant, msg: &str, ptr: Option<Ptr>) -> ! {
        self.ledger.violation(tid, name, msg, ptr)
    }

    /// The allocation log so far (empty unless created with `log`).
    pub fn log(&self) -> Vec<HeapEvent> {
        self.log
            .as_ref()
            .map(|l| lock(l).clone())
            .unwrap_or_default()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The allocation size of an sds holding `len` bytes in a buffer of capacity `cap`.
pub fn sds_size(cap: usize) -> usize {
    cap + SDS_OVERHEAD
}

/// sds's growth rule (`sdsMakeRoomFor`): the new capacity when `len` bytes must fit.
pub fn sds_grow(len: usize) -> usize {
    const SDS_MAX_PREALLOC: usize = 1024 * 1024;
    if len < SDS_MAX_PREALLOC {
        len * 2
    } else {
        len + SDS_MAX_PREALLOC
    }
}
