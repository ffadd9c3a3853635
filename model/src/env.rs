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

use crate::config::Config;
use crate::ledger::{Ledger, Tid};
use crate::robj::RObj;
use crate::util::DetMap;
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
