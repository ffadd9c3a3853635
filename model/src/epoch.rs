//! Not Redis (the epoch strategy only): main's crossbeam-epoch state. What the strategy does
//! with it, and why pins are per client, is in [`crate::strategy`].
//!
//! Who may touch what: main alone (it lives in [`crate::server::Server::epoch`]); all
//! crossbeam-epoch calls are made by main, so its internal atomics never run concurrently.
//! Other threads hand objects whose count reached 0 to main through [`Env::limbo`]; main
//! retires them here and frees them after the grace period.
//!
//! Its `pending` counter is a std atomic on purpose: oracle-level bookkeeping for reports and
//! quiescence, touched by main only, invisible to the explorers.

use crate::env::{Cx, Env};
use crate::ledger::Tid;
use crate::robj::RObj;
use crossbeam_epoch::{Collector, Guard, LocalHandle};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;

/// Main's crossbeam-epoch state (epoch strategy only).
pub struct EpochState {
    collector: Collector,
    main: LocalHandle,
    pins: crate::util::DetMap<u64, (Guard, LocalHandle)>,
    pending: Arc<AtomicUsize>,
}

impl std::fmt::Debug for EpochState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "EpochState({} pinned, {} pending)",
            self.pins.len(),
            self.pending()
        )
    }
}

impl Default for EpochState {
    fn default() -> Self {
        Self::new()
    }
}

impl EpochState {
    /// A fresh collector with main registered.
    pub fn new() -> Self {
        let collector = Collector::new();
        let main = collector.register();
        EpochState {
            collector,
            main,
            pins: crate::util::DetMap::default(),
            pending: Arc::default(),
        }
    }

    /// Retired objects not yet freed.
    pub fn pending(&self) -> usize {
        self.pending.load(Relaxed)
    }

    pub(crate) fn pin(&mut self, client: u64) {
        if !self.pins.contains_key(&client) {
            let h = self.collector.register();
            self.pins.insert(client, (h.pin(), h));
        }
    }

    pub(crate) fn unpin(&mut self, client: u64) {
        self.pins.remove(&client);
    }

    pub(crate) fn collect(&mut self, env: &Arc<Env>) {
        let retired: Vec<RObj> = match env.limbo.as_ref() {
            Some(l) => std::mem::take(&mut *l.lock()),
            None => return,
        };
        let guard = self.main.pin();
        for obj in retired {
            env.ledger.retire(Tid::Main, obj.ptr());
            self.pending.fetch_add(1, Relaxed);
            let (env, pending) = (env.clone(), self.pending.clone());
            guard.defer(move || {
                // Dropping a failed run's collector must not report (or panic) again.
                if !std::thread::panicking() {
                    obj.free(Cx::main(&env));
                    pending.fetch_sub(1, Relaxed);
                }
            });
        }
        drop(guard);
        // A flush advances the global epoch at most once, and only past participants pinned in
        // the current epoch (main's own guard included, hence a fresh pin each time); garbage is
        // freed two epochs after it was sealed. Three flushes free what was retired now when no
        // client is pinned.
        for _ in 0..3 {
            self.main.pin().flush();
        }
    }
}
