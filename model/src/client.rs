//! A client: its query buffer, argv, reply buffer (plain chunks and bulk-string references),
//! and the two deferred-free arrays. Mirrors `client` in src/server.h (at the pin 059f40da;
//! `reply_bytes_shared` is #14934's, f36ee257, used only under the 14934 variant).
//!
//! Ownership: a client is touched only by the thread named in `running_tid`. It moves between
//! threads by value through the mutex-protected hand-off queues in [`crate::handoff`]; that move is
//! the happens-before edge Redis gets from its lists + event notifier. The main thread may touch an
//! IO thread's clients only while that thread is paused.
//!
//! Holders it owns (see the ledger): `Reply(id)` for each unreleased bulk reference,
//! `IoDeferred(id)` for each sent reference awaiting release on main, `Deferred(id)` for each
//! object main handed over for the IO thread to free, `Argv(id)` for argv slots.
//!
//! Simplified: `c->buf` and the `c->reply` list are one sequence of chunks (the split matters
//! for memory accounting only); one plain chunk is one reply-block allocation.

use crate::ledger::{Ptr, Tid};
use crate::object::{Bytes, RObj};
use crate::resp::{ParserLimits, RequestParser};
use std::collections::VecDeque;

/// `CLIENT_MAX_DEFERRED_OBJECTS` (#13968).
pub const CLIENT_MAX_DEFERRED_OBJECTS: usize = 32;

/// One chunk of an encoded reply buffer (`payloadHeader` + body).
#[derive(Debug)]
pub enum ReplyChunk {
    /// `PLAIN_REPLY`: bytes copied into a reply block (its allocation in `block`).
    Plain {
        /// The reply block's allocation.
        block: Ptr,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// `BULK_STR_REF`: a counted reference to a RAW string (Reply Copy Avoidance, #14608).
    /// Released references leave the buffer, which is the model's `ref.obj = NULL`.
    BulkRef {
        /// `ref.obj`.
        obj: RObj,
        /// `sdslen(obj->ptr)` when the reference was taken.
        len: usize,
        /// Written and released but still in the buffer: only with `keep-sent-ref`, the fault
        /// that forgets the NULL.
        sent: bool,
    },
}

/// An entry of `deferred_objects` (`DEFERRED_OBJECT_TYPE_*`).
#[derive(Debug)]
pub enum Deferred {
    /// `DEFERRED_OBJECT_TYPE_ROBJ`: freed with `decrRefCount`.
    Robj(RObj),
    /// `DEFERRED_OBJECT_TYPE_PENDING_COMMAND`: an argv bundle (`freePendingCommand`).
    PendingCommand {
        /// The argv objects (each holds `Argv(id)`).
        argv: Vec<RObj>,
        /// The argv array allocation.
        array: Ptr,
    },
}

/// A parsed command waiting its turn (`pendingCommand`, networking.c @ f36ee257 off=224000): its
/// argv objects (each holds `Argv(id)`) and array, or the protocol error its parse found.
#[derive(Debug)]
pub enum PendingCmd {
    /// A command: its argv objects and the argv array's allocation.
    Argv {
        /// The argv objects.
        argv: Vec<RObj>,
        /// The argv array allocation.
        array: Ptr,
    },
    /// `pcmd->read_error`: the parse failed here (`Protocol error: …`).
    Error(Vec<u8>),
}

/// A command queued by MULTI (`multiState.commands[j]`, a `pendingCommand` moved out of the
/// client's pending list by `queueMultiCommand`).
#[derive(Debug)]
pub struct Queued {
    /// Its argv objects (each holds `Argv(id)` until `discardTransaction`).
    pub argv: Vec<RObj>,
    /// The argv array allocation.
    pub array: Ptr,
}

/// What the peer will send: its socket reads, in order. Each read is a shared buffer, so a
/// scenario's requests are encoded once per run and every execution reads them without a copy
/// (a read into an empty query buffer is parsed where it is: [`crate::iothread`]).
#[derive(Clone, Debug, Default)]
pub struct Script(VecDeque<Bytes>);

impl Script {
    /// Queue a read.
    pub fn push_back(&mut self, read: impl Into<Bytes>) {
        self.0.push_back(read.into());
    }

    /// The next read, if any.
    pub fn pop_front(&mut self) -> Option<Bytes> {
        self.0.pop_front()
    }

    /// Reads left.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no read is left.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<T: Into<Bytes>> FromIterator<T> for Script {
    fn from_iter<I: IntoIterator<Item = T>>(reads: I) -> Self {
        Script(reads.into_iter().map(Into::into).collect())
    }
}

impl<T: Into<Bytes>> From<Vec<T>> for Script {
    fn from(reads: Vec<T>) -> Self {
        reads.into_iter().collect()
    }
}

/// Why a client is handed to the main thread.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum HandIn {
    /// A complete command was parsed.
    Command,
    /// The IO thread's cron sends it (`CLIENT_IO_PENDING_CRON`) with its reply still unsent.
    Cron,
    /// The connection is closing.
    Close,
}

/// A socket adapter's state for one connection (`refrace serve` keeps the socket here), carried
/// with the client through every hand-off so whichever thread owns the client owns its socket.
/// The model never reads it; the scripted worlds leave it `None`. Dropped with the client (in
/// `freeClient`), which closes the connection.
pub struct Attachment(pub Box<dyn std::any::Any + Send>);

impl std::fmt::Debug for Attachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Attachment")
    }
}

/// A client connection.
#[derive(Debug)]
pub struct Client {
    /// `c->id`.
    pub id: u64,
    /// The client struct's allocation.
    pub ptr: Ptr,
    /// `c->tid`: the thread the client lives on (main when it has no IO thread).
    pub tid: Tid,
    /// `c->running_tid`: the thread touching it now.
    pub running_tid: Tid,
    /// No connection (setup/AOF-like client): never gets reference replies.
    pub fake: bool,
    /// `c->db`: the index of the selected database in `server.db` (0 for a new client).
    pub db: usize,
    /// Requests the peer will send, one per command.
    pub script: Script,
    /// `c->querybuf`.
    pub querybuf: Vec<u8>,
    /// Incremental request parser state.
    pub parser: RequestParser,
    /// `c->argv` (each slot holds `Argv(id)`).
    pub argv: Vec<Option<RObj>>,
    /// The argv array allocation.
    pub argv_array: Option<Ptr>,
    /// Reply chunks not yet written.
    pub reply: VecDeque<ReplyChunk>,
    /// Bytes of the first chunk already written (`sentlen`).
    pub sentlen: usize,
    /// Bytes the socket accepts per write (`None` = all).
    pub sndbuf: Option<usize>,
    /// Everything written to the socket so far.
    pub sent: Vec<u8>,
    /// `reply_bytes_shared` (#14934): bytes of unreleased references.
    pub reply_bytes_shared: usize,
    /// `c->deferred_objects` (exists while the client is assigned to an IO thread).
    pub deferred_objects: Vec<Deferred>,
    /// Allocation of the `deferred_objects` array.
    pub deferred_array: Option<Ptr>,
    /// `c->io_deferred_objects`.
    pub io_deferred_objects: Vec<RObj>,
    /// Not Redis (atomic and epoch strategies): references the IO thread released itself,
    /// for main to untrack (no reference is held: main-only bookkeeping only).
    pub io_released: Vec<RObj>,
    /// `CLIENT_CLOSE_AFTER_REPLY`.
    pub close_after_reply: bool,
    /// `CLIENT_CLOSE_ASAP` (`freeClientAsync`): freed before any pending reply is written.
    pub close_asap: bool,
    /// The peer closes its end after its last request without reading the replies: once the
    /// script is sent, a read sees end-of-file even while replies are pending, and the client is
    /// freed with them (`handleClientReadError` → `freeClient`).
    pub hangup: bool,
    /// Why it was last handed to main.
    pub hand_in: HandIn,
    /// A protocol error the reader found (`handleClientReadError` sends it, then closes).
    pub protocol_error: Option<Vec<u8>>,
    /// `BLOCKED_LAZYFREE`: blocked by a blocking flush until BIO's completion request runs.
    pub blocked: bool,
    /// The IO thread a client kept on main (`keepClientInMainThread`) came from, to be
    /// reassigned to after it is unblocked.
    pub kept_from: Option<Tid>,
    /// A socket adapter's connection state (see [`Attachment`]); `None` in scripted worlds.
    pub conn: Option<Attachment>,
    /// `c->pending_cmds` after the current command: commands parsed ahead (lookahead, #14440),
    /// run by main in the same visit.
    pub pending_cmds: VecDeque<PendingCmd>,
    /// `CLIENT_MULTI`: commands are queued until EXEC.
    pub multi: bool,
    /// `CLIENT_DIRTY_EXEC`: a command was rejected while queueing; EXEC aborts.
    pub dirty_exec: bool,
    /// `c->mstate.commands`: the queued commands (they stay here while EXEC runs them: the one
    /// running has its argv in [`Client::argv`]).
    pub mstate: Vec<Queued>,
    /// `execCommand`'s `orig_argv`: EXEC's own argv while the queued commands run (empty
    /// otherwise).
    pub exec_argv: Vec<Option<RObj>>,
    /// `CLIENT_DENY_BLOCKING`, set while EXEC runs the queued commands.
    pub deny_blocking: bool,
    /// `c->lastinteraction` (unix ms of the logical clock): when the client last sent a
    /// command or took reply bytes (what the idle `timeout` measures from).
    pub lastinteraction_ms: i64,
    /// The peer took no byte at the last write although replies were pending (its IO thread
    /// handed it in by the cron: about a second passes, in the model's clock).
    pub stalled: bool,
}

impl Client {
    /// A client living on `tid` whose peer will send `script`.
    pub fn new(id: u64, ptr: Ptr, tid: Tid, script: Script) -> Self {
        Client {
            id,
            ptr,
            tid,
            running_tid: tid,
            fake: false,
            db: 0,
            script,
            querybuf: Vec::new(),
            parser: RequestParser::new(ParserLimits::default()),
            argv: Vec::new(),
            argv_array: None,
            reply: VecDeque::new(),
            sentlen: 0,
            sndbuf: None,
            sent: Vec::new(),
            reply_bytes_shared: 0,
            deferred_objects: Vec::new(),
            deferred_array: None,
            io_deferred_objects: Vec::new(),
            io_released: Vec::new(),
            close_after_reply: false,
            close_asap: false,
            hangup: false,
            hand_in: HandIn::Command,
            protocol_error: None,
            blocked: false,
            kept_from: None,
            conn: None,
            pending_cmds: VecDeque::new(),
            multi: false,
            dirty_exec: false,
            mstate: Vec::new(),
            exec_argv: Vec::new(),
            deny_blocking: false,
            lastinteraction_ms: 0,
            stalled: false,
        }
    }

    /// Whether any reply bytes are still unwritten.
    pub fn has_pending_replies(&self) -> bool {
        self.reply
            .iter()
            .any(|ch| !matches!(ch, ReplyChunk::BulkRef { sent: true, .. }))
    }

    /// Whether the peer has hung up and sent everything: a read returns end-of-file.
    pub fn peer_gone(&self) -> bool {
        self.hangup && self.script.is_empty()
    }

    /// Whether any bulk reference in the buffers is still set (`obj != NULL`).
    pub fn has_refs(&self) -> bool {
        self.reply
            .iter()
            .any(|ch| matches!(ch, ReplyChunk::BulkRef { .. }))
    }

    /// Whether a bulk reference in the buffers points at an object someone else also holds
    /// (count above 1, as the oracle sees it); with `counted == false` (uncounted borrows),
    /// whether any is set.
    pub fn has_shared_refs(&self, counted: bool) -> bool {
        self.reply.iter().any(|ch| {
            matches!(ch, ReplyChunk::BulkRef { obj, .. } if !counted || obj.refcount_peek() > 1)
        })
    }

    /// Assert that `tid` may touch this client (`running_tid`).
    pub fn assert_owner(&self, tid: Tid) {
        assert!(
            self.running_tid == tid,
            "INVARIANT {}: client {} touched by {tid} while running on {}",
            crate::invariant::Invariant::ClientOwnership,
            self.id,
            self.running_tid
        );
    }
}
