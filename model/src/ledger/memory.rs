//! The ledger's live report and memory accounting: zmalloc's `used_memory` and peak, jemalloc's usable sizes
//! and statistics, purge, the `USED_MEMORY` check, the allocation sites (see the parent module).

use super::{fail, AllocKind, Holder, Ledger, Live, Ptr, Summary, Tid};
use crate::invariant::Invariant;
use crate::jemalloc::HeapStats;

/// A model thread's thread-cache slot (and zmalloc counter owner).
pub(super) fn thread_slot(tid: Tid) -> usize {
    match tid {
        Tid::Main => 0,
        Tid::Io(n) => usize::from(n),
        Tid::Bio => 16,
        Tid::App(n) => 17 + usize::from(n),
        Tid::Loop => 17,
    }
}

impl Ledger {
    /// `zmalloc_used_memory()`: the sum of zmalloc's per-thread counters.
    pub fn used_memory(&self) -> usize {
        self.lock().zmalloc.used_memory()
    }

    /// Usable bytes of the live allocations, by kind (O(live allocations): INFO and MEMORY
    /// only).
    pub fn usable_by_kind(&self) -> Vec<(AllocKind, usize)> {
        let g = self.lock();
        let mut out: Vec<(AllocKind, usize)> = Vec::new();
        for id in g.live_by_addr.values() {
            let Some(r) = g.recs.get(id) else { continue };
            match out.iter_mut().find(|(k, _)| *k == r.kind) {
                Some(e) => e.1 += r.usable,
                None => out.push((r.kind, r.usable)),
            }
        }
        out
    }

    /// Main starts (`Some(fullname)`) or ends (`None`) running a command: its allocations are
    /// recorded with that site.
    pub fn set_site(&self, site: Option<&'static str>) {
        self.lock().site = site.unwrap_or("");
    }

    /// The live, non-permanent allocations grouped by (site, kind): count and usable bytes.
    pub fn live_by_site(&self) -> Vec<(&'static str, AllocKind, usize, usize)> {
        let g = self.lock();
        let mut out: Vec<(&'static str, AllocKind, usize, usize)> = Vec::new();
        for id in g.live_by_addr.values() {
            let Some(r) = g.recs.get(id) else { continue };
            if r.permanent {
                continue;
            }
            match out.iter_mut().find(|e| e.0 == r.site && e.1 == r.kind) {
                Some(e) => {
                    e.2 += 1;
                    e.3 += r.usable;
                }
                None => out.push((r.site, r.kind, 1, r.usable)),
            }
        }
        out.sort_by_key(|b| std::cmp::Reverse(b.3));
        out
    }

    /// `stat_peak_memory`: the highest `used_memory` so far.
    pub fn peak_memory(&self) -> usize {
        self.lock().peak
    }

    /// `zmalloc_size(ptr)`: the usable size of a live allocation (0 if it is not live).
    pub fn usable_size(&self, ptr: Ptr) -> usize {
        match self.lock().recs.get(&ptr.id) {
            Some(r) if r.freed.is_none() => r.usable,
            _ => 0,
        }
    }

    /// The allocator's statistics (`stats.allocated`, `active`, `resident`, …).
    pub fn heap_stats(&self) -> HeapStats {
        self.lock().heap.stats()
    }

    /// `jemalloc_purge()` (`MEMORY PURGE`): return dirty pages; the bytes purged.
    pub fn purge(&self) -> usize {
        self.lock().heap.purge()
    }

    /// [`crate::config::Fault::ForgetUsableRounding`]: zmalloc adds the requested size of an
    /// allocation instead of its usable size (and still subtracts the usable size on free).
    pub fn set_forget_usable_rounding(&self, on: bool) {
        self.lock().forget_usable = on;
    }

    /// `USED_MEMORY`, checked at quiescent points (after each command main runs, and at the
    /// world's quiescence): zmalloc's `used_memory` equals the sum of the live allocations'
    /// usable sizes that the oracle keeps itself.
    pub fn check_used_memory(&self, tid: Tid) {
        let g = self.lock();
        let (used, live) = (g.zmalloc.used_memory(), g.live_usable);
        if used != live {
            let msg = format!(
                "zmalloc's used_memory is {used} but the live allocations' usable sizes sum to {live} ({} live allocations)",
                g.live_by_addr.len()
            );
            fail(g, tid, Invariant::UsedMemory, &msg, Ptr::NONE)
        }
    }

    /// The live report: counters, live allocations by kind, references by holder, violations.
    pub fn live(&self) -> Live {
        let g = self.lock();
        const KINDS: [AllocKind; 7] = [
            AllocKind::Object,
            AllocKind::Sds,
            AllocKind::ListNode,
            AllocKind::ReplyBlock,
            AllocKind::Argv,
            AllocKind::DeferredArray,
            AllocKind::Client,
        ];
        const HOLDERS: [&str; 7] = [
            "keyspace",
            "reply",
            "io_deferred",
            "deferred",
            "argv",
            "bio",
            "temporary",
        ];
        let mut kinds = [(0usize, 0usize); 7];
        let mut holders = [0usize; 7];
        let mut permanent = 0;
        for id in g.live_by_addr.values() {
            let Some(r) = g.recs.get(id) else { continue };
            permanent += usize::from(r.permanent);
            if let Some(k) = KINDS.iter().position(|k| *k == r.kind) {
                kinds[k].0 += 1;
                kinds[k].1 += r.size;
            }
            for h in &r.holders {
                let i = match h {
                    Holder::Keyspace => 0,
                    Holder::Reply(_) => 1,
                    Holder::IoDeferred(_) => 2,
                    Holder::Deferred(_) => 3,
                    Holder::Argv(_) => 4,
                    Holder::Bio => 5,
                    Holder::Temp => 6,
                };
                holders[i] += 1;
            }
        }
        Live {
            summary: Summary {
                allocations: g.allocations,
                frees: g.frees,
                used_memory: g.zmalloc.used_memory(),
                live: g.live_by_addr.len(),
            },
            by_kind: KINDS
                .iter()
                .zip(kinds)
                .filter(|(_, (n, _))| *n > 0)
                .map(|(k, (n, b))| (*k, n, b))
                .collect(),
            by_holder: HOLDERS
                .iter()
                .zip(holders)
                .filter(|(_, n)| *n > 0)
                .map(|(h, n)| (*h, n))
                .collect(),
            permanent,
            violations: g.violations,
            recent: g.recent_violations.iter().cloned().collect(),
        }
    }
}
