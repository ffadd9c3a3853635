//! The main thread's state: [`Server`] (Redis's `server` globals that matter here) and [`Db`]
//! (`redisDb`), as src/server.h declares them. What every thread may read is
//! [`crate::env::Env`].
//!
//! Who may touch what: [`Server`] belongs to the main thread alone: the keyspace,
//! `clients_with_pending_ref_reply`, the runtime config knobs. IO threads and BIO reach main
//! only through the queues it owns ([`crate::handoff`], [`crate::bio`]). (`clients_reply_refs`,
//! #14934, is a global every thread can reach from `decrRefCount`: [`crate::env::ReplyRefs`].)
//!
//! Mirrors `struct redisServer` at the pin (server.h @ 059f40da); the #14934 accounting exists
//! only under [`crate::config::Variant::ReplyRefs14934`] (server.h @ f36ee257).

use crate::bio::Bio;
use crate::config::Config;
use crate::env::Env;
use crate::epoch::EpochState;
use crate::handoff::{IoInbox, MainInbox};
use crate::robj::RObj;
use std::sync::Arc;

/// One entry of the order in which main ran requests (the world feeds it to the sequential
/// reference model to check every client's bytes: `REPLY_BYTES`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Logged {
    /// Client `client` ran `argv` at logical time `now_ms`.
    Command {
        /// The client id.
        client: u64,
        /// The request as received.
        argv: Vec<Vec<u8>>,
        /// The logical clock for the command.
        now_ms: i64,
    },
    /// Main evicted `key` (`performEvictions`) before running the command logged next.
    Evicted {
        /// The database it was in (`performEvictions` samples every database).
        db: usize,
        /// The key.
        key: Vec<u8>,
    },
    /// Client `client`'s `argv` was rejected with the OOM error (`processCommand`): the
    /// reference checks the command is one Redis rejects (`CMD_DENYOOM`).
    Oom {
        /// The client id.
        client: u64,
        /// The request as received.
        argv: Vec<Vec<u8>>,
    },
    /// Client `client`'s request was a protocol error (its reply is `-<msg>`, then close).
    ProtocolError {
        /// The client id.
        client: u64,
        /// The error text.
        msg: Vec<u8>,
    },
}

/// A connected client as main knows it (`server.clients` and `clients_index`): what CLIENT KILL
/// iterates and what a completion callback looks a client up by (`lookupClientByID`).
/// Connection-less clients are not listed, as in Redis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientEntry {
    /// `c->id`.
    pub id: u64,
    /// The client struct's allocation.
    pub ptr: crate::ledger::Ptr,
    /// `c->tid`: the thread it lives on (main while kept there).
    pub tid: crate::ledger::Tid,
    /// `c->ctime` (unix ms of the logical clock).
    pub ctime_ms: i64,
}

/// An active trim job (`activeTrimJob`, cluster_asm.c): slots main deletes in its cron, and the
/// client to unblock when they are done (0: none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActiveTrimJob {
    /// The slot ranges (sorted, merged).
    pub slots: Vec<(u16, u16)>,
    /// `client_id` (an SFLUSH run as a blocking flush), 0 for none.
    pub client: u64,
}

/// One database (`redisDb`): its index and its keyspace. The expire times live in the kvobjs
/// (no separate `expires` dict; see [`crate::db`]).
#[derive(Default)]
pub struct Db {
    /// `db->id`: its index in `server.db`.
    pub id: usize,
    /// key → kvobj (each holds `Keyspace`).
    pub dict: crate::util::DetMap<Vec<u8>, RObj>,
    /// A SWAPDB has swapped this database's keyspace (coverage only: no Redis field, read by
    /// nothing but the `swapped-db-flushed-while-referenced` hit).
    pub swapped: bool,
}

impl Db {
    /// An empty database with index `id`.
    pub fn new(id: usize) -> Db {
        Db {
            id,
            dict: crate::util::DetMap::default(),
            swapped: false,
        }
    }
}

/// The main thread's state.
pub struct Server {
    /// Shared world.
    pub env: Arc<Env>,
    /// Runtime knobs (CONFIG SET changes these; main reads them).
    pub cfg: Config,
    /// `server.db[0..server.dbnum)`: the databases (`databases`, 16 by default). A client's
    /// commands reach the one its `db` index names (`c->db`).
    pub db: Vec<Db>,
    /// `server.clients_with_pending_ref_reply`.
    pub clients_with_pending_ref_reply: Vec<u64>,
    /// The BIO lazy-free queue.
    pub bio: Arc<Bio>,
    /// Hand-off queues to IO thread n (index n-1).
    pub io: Vec<Arc<IoInbox>>,
    /// Hand-off queue to main.
    pub main_inbox: Arc<MainInbox>,
    /// Clients blocked by a blocking flush (`BLOCKED_LAZYFREE`), kept on main until BIO's
    /// completion request unblocks them.
    pub blocked: Vec<crate::client::Client>,
    /// Logical clock (unix ms); advances 1 ms per command (the LRU clock and the LFU minutes
    /// are derived from it).
    pub now_ms: i64,
    /// What each freed client had received: (id, bytes). For reports and differential checks.
    pub closed: Vec<(u64, Vec<u8>)>,
    /// When set, every request main runs is appended here, in order (see [`Logged`]).
    pub cmd_log: Option<Vec<Logged>>,
    /// Bulk references taken by replies so far (scenarios use it to prove they exercised them).
    pub stat_reply_refs: u64,
    /// Not Redis (epoch strategy only): main's crossbeam-epoch state.
    pub epoch: Option<EpochState>,
    /// Clients living on main that wait for their socket (`refrace serve` with no IO threads
    /// parks them here between reads; a scripted world's main-thread clients wait here between
    /// their events). Redis's main reaches every
    /// client through `server.clients`; here `protectClientReplyObjects` reaches these.
    pub parked: Vec<crate::client::Client>,
    /// `EvictionPoolLRU` (evict.c): up to 16 candidates (score, db, key), best last.
    pub evict_pool: Vec<(u64, usize, Vec<u8>)>,
    /// `performEvictions`' static `next_db` (random policies visit the databases in turn).
    pub evict_next_db: usize,
    /// The state of the model's `rand()` (eviction sampling, `LFULogIncr`): a fixed-seed
    /// xorshift, so a run is deterministic.
    pub rand_state: u64,
    /// `stat_evictedkeys`.
    pub stat_evictedkeys: u64,
    /// `initial_memory_usage`: `used_memory` when the server was built.
    pub initial_memory_usage: usize,
    /// A socket adapter's own commands (`refrace serve`'s SHUTDOWN, QUIT, FUNCTION): when main
    /// runs a pipeline in one visit it stops before one of these and leaves it first in the
    /// client's `pending_cmds` for the adapter. `None` in scripted worlds.
    pub adapter_command: Option<fn(&[u8]) -> bool>,
    /// `server.clients`: every connected client (see [`ClientEntry`]).
    pub clients: Vec<ClientEntry>,
    /// Clients CLIENT KILL matched: main frees each (`freeClient`, fetching it from its IO
    /// thread) as soon as the command returns.
    pub kill_requests: Vec<u64>,
    /// Clients of IO threads main freed outside their own hand-in (killed by another client):
    /// main's loop counts them as closed.
    pub freed_elsewhere: usize,
    /// Clients freed before their peer finished (killed, timed out, over the output limit):
    /// they received a prefix of their replies (`REPLY_BYTES` accepts any prefix for them).
    pub closed_early: Vec<u64>,
    /// Freed clients' last allocations, recorded only under the fault
    /// `flush-done-stale-client` (whose callback then touches the stale one).
    pub freed_ptrs: Vec<(u64, crate::ledger::Ptr)>,
    /// `asmManager->active_trim_jobs`.
    pub active_trim_jobs: std::collections::VecDeque<ActiveTrimJob>,
    /// Completion requests main queued to BIO and has not yet taken back (a blocked client
    /// waits for one only while this is above 0).
    pub completions_pending: usize,
    next_client_id: u64,
}

/// The logical clock's start (2023-11-14T22:13:20Z).
pub const EPOCH_MS: i64 = 1_700_000_000_000;

impl Server {
    /// A server with `io_threads` hand-off queues (`cfg.io_threads_num - 1` of them).
    pub fn new(env: Arc<Env>) -> Server {
        let n = env.cfg.io_threads_num.saturating_sub(1);
        let main_inbox = Arc::new(MainInbox::new());
        Server {
            cfg: env.cfg.clone(),
            db: (0..env.cfg.databases).map(Db::new).collect(),
            clients_with_pending_ref_reply: Vec::new(),
            bio: Arc::new(Bio::with_main(main_inbox.clone())),
            io: (0..n).map(|_| Arc::new(IoInbox::new())).collect(),
            main_inbox,
            blocked: Vec::new(),
            now_ms: EPOCH_MS,
            closed: Vec::new(),
            cmd_log: None,
            stat_reply_refs: 0,
            epoch: (env.cfg.strategy == crate::config::Strategy::Epoch).then(EpochState::new),
            parked: Vec::new(),
            evict_pool: Vec::new(),
            evict_next_db: 0,
            rand_state: 0x2545_f491_4f6c_dd1d,
            stat_evictedkeys: 0,
            initial_memory_usage: env.ledger.used_memory(),
            adapter_command: None,
            clients: Vec::new(),
            kill_requests: Vec::new(),
            freed_elsewhere: 0,
            closed_early: Vec::new(),
            freed_ptrs: Vec::new(),
            active_trim_jobs: std::collections::VecDeque::new(),
            completions_pending: 0,
            next_client_id: 1,
            env,
        }
    }

    /// The model's `rand()`: the next value of a fixed-seed xorshift64*.
    pub fn rand(&mut self) -> u64 {
        let mut x = self.rand_state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rand_state = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// The main thread's context.
    pub fn env(&self) -> Arc<Env> {
        self.env.clone()
    }

    /// A fresh client id.
    pub fn next_client_id(&mut self) -> u64 {
        let id = self.next_client_id;
        self.next_client_id += 1;
        id
    }

    /// `bioCreateCompRq(BIO_WORKER_LAZY_FREE, kvsAsyncFreeDoneCB, …)`: queue `done` behind
    /// every lazy-free job queued so far.
    pub fn submit_completion(&mut self, done: crate::handoff::Completion) {
        self.completions_pending += 1;
        self.bio.submit(crate::bio::Job::Completion(done));
    }

    /// `lookupClientByID` over the connected clients.
    pub fn client_entry(&self, id: u64) -> Option<&ClientEntry> {
        self.clients.iter().find(|e| e.id == id)
    }

    /// Record that client `id` now lives on `tid` (`keepClientInMainThread`, reassignment).
    pub fn set_client_tid(&mut self, id: u64, tid: crate::ledger::Tid) {
        if let Some(e) = self.clients.iter_mut().find(|e| e.id == id) {
            e.tid = tid;
        }
    }

    /// `replyRefsTrackClient` (#14934 variant only; a no-op at the pin).
    pub fn reply_refs_track_client(&mut self, client: u64, obj: &RObj) {
        if let Some(r) = &self.env.reply_refs {
            r.track(&self.env, client, obj);
        }
    }

    /// `replyRefsUntrackClient` (#14934 variant only; a no-op at the pin).
    pub fn reply_refs_untrack_client(&mut self, client: u64, obj: &RObj) {
        if let Some(r) = &self.env.reply_refs {
            r.untrack(&self.env, client, obj);
        }
    }

    /// At quiescence `clients_reply_refs` must be empty (#14934 variant; nothing at the pin).
    pub fn assert_reply_refs_empty(&self) {
        if let Some(r) = &self.env.reply_refs {
            r.assert_empty(&self.env);
        }
    }

    /// Link `c` into `clients_with_pending_ref_reply` if not linked.
    pub fn link_pending_ref(&mut self, id: u64) {
        if !self.clients_with_pending_ref_reply.contains(&id) {
            self.clients_with_pending_ref_reply.push(id);
        }
    }

    /// Unlink `c` from `clients_with_pending_ref_reply`.
    pub fn unlink_pending_ref(&mut self, id: u64) {
        self.clients_with_pending_ref_reply.retain(|c| *c != id);
    }
}
