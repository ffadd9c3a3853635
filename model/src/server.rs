//! The main thread's state: [`Server`] (Redis's `server` globals that matter here) and [`Db`]
//! (`redisDb`), as src/server.h declares them. What every thread may read is
//! [`crate::env::Env`].
//!
//! Who may touch what: [`Server`] belongs to the main thread alone: the keyspace,
//! `clients_with_pending_ref_reply`, `clients_reply_refs`, the runtime config knobs. IO threads
//! and BIO reach main only through the queues it owns ([`crate::handoff`], [`crate::bio`]).
//!
//! Invariant protected here: `REPLY_REFS_ACCOUNTED` (#14934): `clients_reply_refs[o][c]` equals
//! c's unreleased references to o, and no entry outlives its object (address reuse would make a
//! stale entry name the wrong object).

use crate::bio::Bio;
use crate::config::Config;
use crate::env::Env;
use crate::epoch::EpochState;
use crate::handoff::{IoInbox, MainInbox};
use crate::ledger::Ptr;
use crate::robj::RObj;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One `clients_reply_refs` entry: client id → count, plus the oracle's tag of the object it
/// was made for (C keys it by address alone).
#[derive(Clone, Debug)]
pub struct RefEntry {
    /// The allocation the entry was created for.
    pub obj: Ptr,
    /// Client id → number of its unreleased references.
    pub clients: BTreeMap<u64, usize>,
}

/// One database.
#[derive(Default)]
pub struct Db {
    /// key → kvobj (each holds `Keyspace`).
    pub dict: crate::util::DetMap<Vec<u8>, RObj>,
}

/// The main thread's state.
pub struct Server {
    /// Shared world.
    pub env: Arc<Env>,
    /// Runtime knobs (CONFIG SET changes these; main reads them).
    pub cfg: Config,
    /// Database 0.
    pub db: Db,
    /// `server.clients_with_pending_ref_reply`.
    pub clients_with_pending_ref_reply: Vec<u64>,
    /// `server.clients_reply_refs`, keyed by object address.
    pub clients_reply_refs: crate::util::DetMap<u64, RefEntry>,
    /// The BIO lazy-free queue.
    pub bio: Arc<Bio>,
    /// Hand-off queues to IO thread n (index n-1).
    pub io: Vec<Arc<IoInbox>>,
    /// Hand-off queue to main.
    pub main_inbox: Arc<MainInbox>,
    /// Logical clock (unix ms); advances 1 ms per command.
    pub now_ms: i64,
    /// What each freed client had received: (id, bytes). For reports and differential checks.
    pub closed: Vec<(u64, Vec<u8>)>,
    /// Bulk references taken by replies so far (scenarios use it to prove they exercised them).
    pub stat_reply_refs: u64,
    /// Not Redis (epoch strategy only): main's crossbeam-epoch state.
    pub epoch: Option<EpochState>,
    /// Clients living on main that wait for their socket (`refrace serve` with no IO threads
    /// parks them here between reads; the scripted worlds never do). Redis's main reaches every
    /// client through `server.clients`; here `protectClientReplyObjects` reaches these.
    pub parked: Vec<crate::client::Client>,
    next_client_id: u64,
}

/// The logical clock's start (2023-11-14T22:13:20Z).
pub const EPOCH_MS: i64 = 1_700_000_000_000;

impl Server {
    /// A server with `io_threads` hand-off queues (`cfg.io_threads_num - 1` of them).
    pub fn new(env: Arc<Env>) -> Server {
        let n = env.cfg.io_threads_num.saturating_sub(1);
        Server {
            cfg: env.cfg.clone(),
            db: Db::default(),
            clients_with_pending_ref_reply: Vec::new(),
            clients_reply_refs: crate::util::DetMap::default(),
            bio: Arc::new(Bio::new()),
            io: (0..n).map(|_| Arc::new(IoInbox::new())).collect(),
            main_inbox: Arc::new(MainInbox::new()),
            now_ms: EPOCH_MS,
            closed: Vec::new(),
            stat_reply_refs: 0,
            epoch: (env.cfg.strategy == crate::config::Strategy::Epoch).then(EpochState::new),
            parked: Vec::new(),
            next_client_id: 1,
            env,
        }
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

    /// `replyRefsTrackClient` (#14934, networking.c @ f36ee257).
    pub fn reply_refs_track_client(&mut self, client: u64, obj: &RObj) {
        let p = obj.ptr();
        let e = self.clients_reply_refs.entry(p.addr).or_insert(RefEntry {
            obj: p,
            clients: BTreeMap::new(),
        });
        if e.obj != p {
            let stale = e.clone();
            self.stale_entry(&stale, p);
        }
        *e.clients.entry(client).or_insert(0) += 1;
    }

    /// `replyRefsUntrackClient` (decrements; the branch's increment typo is not modelled).
    pub fn reply_refs_untrack_client(&mut self, client: u64, obj: &RObj) {
        let p = obj.ptr();
        let Some(e) = self.clients_reply_refs.get_mut(&p.addr) else {
            self.env.ledger.violation(
                crate::ledger::Tid::Main,
                crate::invariant::Invariant::ReplyRefsAccounted,
                &format!(
                    "untrack of client {client} for {p}, which has no clients_reply_refs entry"
                ),
                Some(p),
            );
        };
        if e.obj != p {
            let stale = e.clone();
            self.stale_entry(&stale, p);
        }
        match e.clients.get_mut(&client) {
            Some(n) if *n > 1 => *n -= 1,
            Some(_) => {
                e.clients.remove(&client);
                if e.clients.is_empty() {
                    self.clients_reply_refs.remove(&p.addr);
                }
            }
            None => self.env.ledger.violation(
                crate::ledger::Tid::Main,
                crate::invariant::Invariant::ReplyRefsAccounted,
                &format!("untrack of client {client} for {p}, not tracked for it"),
                Some(p),
            ),
        }
    }

    fn stale_entry(&self, e: &RefEntry, now: Ptr) -> ! {
        let clients: Vec<String> = e.clients.keys().map(|c| c.to_string()).collect();
        self.env.ledger.violation(
crate::ledger::Tid::Main,
            crate::invariant::Invariant::ReplyRefsAccounted,
            &format!(
                "clients_reply_refs entry for address {:#x} was made for {} (now freed) and still names client(s) {}; the address was reused by {}, so the entry marks the wrong object",
                now.addr,
                e.obj,
                clients.join(","),
                now
            ),
            Some(e.obj),
        )
    }

    /// At quiescence the registry must be empty: every entry's object was released.
    pub fn assert_reply_refs_empty(&self) {
        if let Some(e) = self.clients_reply_refs.values().next() {
            let clients: Vec<String> = e.clients.keys().map(|c| c.to_string()).collect();
            self.env.ledger.violation(
crate::ledger::Tid::Main,
                crate::invariant::Invariant::ReplyRefsAccounted,
                &format!(
                    "clients_reply_refs still has an entry for {} (client(s) {}) after every reference was released",
                    e.obj,
                    clients.join(",")
                ),
                Some(e.obj),
            );
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
