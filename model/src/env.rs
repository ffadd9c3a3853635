//! What every thread may read: the run's fixed configuration, the ledger (the oracle), the
//! shared integers and, under the epoch strategy, the limbo queue; and [`Cx`], the calling
//! thread together with that world, which every object operation takes.
//!
//! Mirrors the part of Redis's `server` globals that IO and BIO threads read (`shared`,
//! the config fixed at startup) and zmalloc (the ledger). The main thread's own state is
//! [`crate::server::Server`].
//!
//! Who may touch what: [`Env`] is shared by all threads behind an `Arc` and never changes
//! during a run, except through its own locks: the ledger's and the shared-integer table's
//! (both oracle-level std locks, invisible to the explorers, never held across a model step),
//! and the limbo queue (a shim mutex: the hand-off of an object whose count reached 0 on any
//! thread to main is a real happens-before edge). The shared-integer table is filled only by
//! [`crate::object`] (`Env::shared_integer`).
//!
//! It sits in the objects layer, not among the leaves, because it holds objects (the shared
//! integers, the limbo); it names only the object *types* ([`crate::robj`]), never the code
//! that acts on them.

use crate::config::{Config, Fault};
use crate::invariant::Invariant;
use crate::ledger::{Ledger, Ptr, Tid};
use crate::robj::{ObjType, RObj};
use crate::sync::RacyWord;
use crate::util::DetMap;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

/// What every thread shares.
pub struct Env {
    /// The allocator model and oracle.
    pub ledger: Ledger,
    /// Configuration fixed for the run (faults, refcount width, IO threads).
    pub cfg: Config,
    shared_ints: Mutex<DetMap<i64, RObj>>,
    /// Not Redis (epoch strategy only): objects whose count reached 0 on any thread, waiting
    /// for main to retire them (see [`crate::strategy`]).
    pub limbo: Option<crate::sync::Mutex<Vec<RObj>>>,
    /// Counters of the interesting events of this run (oracle-level, invisible to explorers).
    pub coverage: crate::coverage::Coverage,
    /// `server.clients_reply_refs` (#14934; only under [`crate::config::Variant::ReplyRefs14934`]):
    /// a global any thread reaches from `decrRefCount`, hence here rather than in
    /// [`crate::server::Server`].
    pub reply_refs: Option<ReplyRefs>,
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Env({:?}, {:?})", self.cfg, self.ledger)
    }
}

impl Env {
    /// A world with `cfg`; `trace` keeps every ledger event.
    pub fn new(cfg: Config, trace: bool) -> Arc<Env> {
        let epoch = cfg.strategy == crate::config::Strategy::Epoch;
        Arc::new(Env {
            ledger: Ledger::new(trace),
            limbo: epoch.then(|| crate::sync::Mutex::new(Vec::new())),
            reply_refs: cfg.reply_refs_tracking().then(ReplyRefs::new),
            cfg,
            shared_ints: Mutex::new(DetMap::default()),
            coverage: crate::coverage::Coverage::default(),
        })
    }

    /// The shared-integer table (`shared.integers`), for [`crate::object`] to fill and read.
    pub(crate) fn shared_ints(&self) -> MutexGuard<'_, DetMap<i64, RObj>> {
        self.shared_ints.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The calling thread and the world it acts on.
#[derive(Copy, Clone)]
pub struct Cx<'a> {
    /// Configuration, faults and the ledger.
    pub env: &'a Env,
    /// The thread making the call.
    pub tid: Tid,
}

impl<'a> Cx<'a> {
    /// The main thread's context.
    pub fn main(env: &'a Env) -> Self {
        Cx {
            env,
            tid: Tid::Main,
        }
    }
}

/// One `clients_reply_refs` entry: client id → count, plus the oracle's tag of the object it
/// was made for (C keys it by address alone).
#[derive(Clone, Debug)]
pub struct RefEntry {
    /// The allocation the entry was created for.
    pub obj: Ptr,
    /// Client id → number of its unreleased references.
    pub clients: BTreeMap<u64, usize>,
}

/// `server.clients_reply_refs` of the #14934 branch (networking.c @ f36ee257, off=64000): a
/// dict from object address to a dict of clients and their reference counts, with
/// `replyRefsTrackClient`, `replyRefsUntrackClient` and `replyRefsNotifyDecrRefCount`.
///
/// The dict's memory is a **racy location** ([`RacyWord`]): a lookup is a load, a change a
/// store, as in C where it is a plain global. Main tracks and untracks; `decrRefCount` looks it
/// up on whatever thread takes a string's count to 1, so an IO or BIO thread doing that
/// unordered with main's last change is a `DATA_RACE` on `clients_reply_refs`. The contents
/// (and the set of clients marked `CLIENT_UNSHARED_MEM_DIRTY`) sit behind an oracle-level lock.
///
/// Like C, untracking an entry or client that is not there does nothing; the oracle
/// (`REPLY_REFS_ACCOUNTED`) checks instead that no entry names an object that was freed or
/// whose address another allocation now has, and that the dict is empty at quiescence.
///
/// Not modelled: the `sole->flags |= CLIENT_UNSHARED_MEM_DIRTY` write is recorded here, not
/// made to a racy client `flags` word (main may make it for a client its IO thread owns; the
/// model's clients have no shared `flags` word), and `reply_bytes_unshared` is not computed.
pub struct ReplyRefs {
    word: RacyWord,
    map: Mutex<DetMap<u64, RefEntry>>,
    dirty: Mutex<BTreeSet<u64>>,
}

impl ReplyRefs {
    /// The dict is not a counter whose lost update an explorer should reach, so its word is
    /// always race-checked (whatever the run's [`crate::sync::WordMode`]).
    fn new() -> Self {
        ReplyRefs {
            word: RacyWord::new(0, crate::sync::WordMode::DetectRace),
            map: Mutex::new(DetMap::default()),
            dirty: Mutex::new(BTreeSet::new()),
        }
    }

    fn map(&self) -> MutexGuard<'_, DetMap<u64, RefEntry>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A lookup of the dict (`dictFind`): a load of its memory.
    fn find(&self, env: &Env, tid: Tid, obj: Ptr, during: &str) {
        if let Err(r) = self.word.load() {
            race(env, tid, r, obj, during);
        }
    }

    /// A change of the dict (`dictAdd`, `dictDelete`, a count update): a store.
    fn change(&self, env: &Env, tid: Tid, obj: Ptr, during: &str) {
        let v = self.word.peek().wrapping_add(1);
        if let Err(r) = self.word.store(v) {
            race(env, tid, r, obj, during);
        }
    }

    /// `replyRefsTrackClient(c, obj)` (main).
    pub fn track(&self, env: &Env, client: u64, obj: &RObj) {
        let p = obj.ptr();
        self.find(env, Tid::Main, p, "replyRefsTrackClient");
        let stale = {
            let mut m = self.map();
            let e = m.entry(p.addr).or_insert(RefEntry {
                obj: p,
                clients: BTreeMap::new(),
            });
            if e.obj != p {
                Some(e.clone())
            } else {
                *e.clients.entry(client).or_insert(0) += 1;
                None
            }
        };
        if let Some(e) = stale {
            stale_entry(env, &e, p);
        }
        self.change(env, Tid::Main, p, "replyRefsTrackClient");
    }

    /// `replyRefsUntrackClient(c, obj)` (main): a missing entry or client is ignored, as in C.
    /// A count above 1 is decremented ([`Fault::UntrackIncrements`]: incremented, as the
    /// branch's code does). When clients remain, a sole one is marked dirty.
    pub fn untrack(&self, env: &Env, client: u64, obj: &RObj) {
        let p = obj.ptr();
        self.find(env, Tid::Main, p, "replyRefsUntrackClient");
        let (changed, stale) = {
            let mut m = self.map();
            match m.get_mut(&p.addr) {
                None => (false, None),
                Some(e) if e.obj != p => (false, Some(e.clone())),
                Some(e) => {
                    match e.clients.get_mut(&client) {
                        Some(n) if *n > 1 => {
                            if env.cfg.fault(Fault::UntrackIncrements) {
                                *n += 1;
                            } else {
                                *n -= 1;
                            }
                        }
                        Some(_) => {
                            e.clients.remove(&client);
                        }
                        None => {}
                    }
                    let sole =
                        (e.clients.len() == 1).then(|| *e.clients.keys().next().unwrap_or(&0));
                    if e.clients.is_empty() {
                        m.remove(&p.addr);
                    }
                    if let Some(c) = sole {
                        self.mark_dirty(c);
                    }
                    (true, None)
                }
            }
        };
        if let Some(e) = stale {
            stale_entry(env, &e, p);
        }
        if changed {
            self.change(env, Tid::Main, p, "replyRefsUntrackClient");
        }
    }

    /// `replyRefsNotifyDecrRefCount(obj)`: called by `decrRefCount` on the thread that took a
    /// string's count to 1; looks the object up and marks a sole referencing client dirty.
    pub fn notify_decr_ref_count(&self, env: &Env, tid: Tid, obj: &RObj) {
        if obj.otype() != ObjType::String {
            return;
        }
        let p = obj.ptr();
        self.find(env, tid, p, "replyRefsNotifyDecrRefCount");
        let sole = {
            let m = self.map();
            m.get(&p.addr)
                .filter(|e| e.clients.len() == 1)
                .and_then(|e| e.clients.keys().next().copied())
        };
        if let Some(c) = sole {
            self.mark_dirty(c);
        }
    }

    fn mark_dirty(&self, client: u64) {
        self.dirty
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(client);
    }

    /// Clients marked `CLIENT_UNSHARED_MEM_DIRTY` so far (oracle record, for tests).
    pub fn dirty_clients(&self) -> Vec<u64> {
        self.dirty
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .copied()
            .collect()
    }

    /// The references the dict counts now, over every object and client.
    pub fn tracked(&self) -> usize {
        self.map()
            .values()
            .map(|e| e.clients.values().sum::<usize>())
            .sum()
    }

    /// Whether an entry exists for `obj` (made for that allocation) naming `client`.
    pub fn is_tracked(&self, client: u64, obj: &RObj) -> bool {
        let p = obj.ptr();
        self.map()
            .get(&p.addr)
            .is_some_and(|e| e.obj == p && e.clients.contains_key(&client))
    }

    /// Oracle (not C): `obj` is being freed; no entry may still name it.
    pub fn check_freed(&self, env: &Env, tid: Tid, obj: Ptr) {
        let e = self.map().get(&obj.addr).filter(|e| e.obj == obj).cloned();
        if let Some(e) = e {
            let clients: Vec<String> = e.clients.keys().map(|c| c.to_string()).collect();
            env.ledger.violation(
                tid,
                Invariant::ReplyRefsAccounted,
                &format!(
                    "{obj} is freed while clients_reply_refs still has its entry (client(s) {}): the entry outlives its object and will name whatever reuses the address",
                    clients.join(",")
                ),
                Some(obj),
            );
        }
    }

    /// At quiescence the dict must be empty: every entry's object was released.
    pub fn assert_empty(&self, env: &Env) {
        let e = self.map().values().next().cloned();
        if let Some(e) = e {
            let clients: Vec<String> = e.clients.keys().map(|c| c.to_string()).collect();
            env.ledger.violation(
                Tid::Main,
                Invariant::ReplyRefsAccounted,
                &format!(
                    "clients_reply_refs still has an entry for {} (client(s) {}) after every reference was released",
                    e.obj,
                    clients.join(",")
                ),
                Some(e.obj),
            );
        }
    }
}

fn stale_entry(env: &Env, e: &RefEntry, now: Ptr) -> ! {
    let clients: Vec<String> = e.clients.keys().map(|c| c.to_string()).collect();
    env.ledger.violation(
        Tid::Main,
        Invariant::ReplyRefsAccounted,
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

fn race(env: &Env, tid: Tid, r: crate::sync::Race, obj: Ptr, during: &str) -> ! {
    env.ledger.violation(
        tid,
        Invariant::DataRace,
        &format!(
            "unsynchronised accesses to clients_reply_refs by {} and {} (no happens-before edge orders them), {} in {during} for {obj}",
            r.earlier, r.later, r.later
        ),
        Some(obj),
    )
}
