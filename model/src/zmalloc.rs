//! zmalloc's accounting (src/zmalloc.c, read at redis/redis `007b8bc7`, the 8.x zmalloc built
//! with `HAVE_ALLOC_WITH_USIZE`: `je_malloc_with_usize` / `je_free_with_usize` give the usable
//! size, which is what `update_zmalloc_stat_alloc` / `_free` add and subtract). The allocator
//! itself is [`crate::jemalloc`]; the ledger ([`crate::ledger`]) calls both.
//!
//! Leaf module.

/// zmalloc.c's per-thread counters (read at redis/redis `007b8bc7`, the 8.x zmalloc with
/// `HAVE_ALLOC_WITH_USIZE`): `used_memory[MAX_THREADS]` (16 cache-line padded slots), a
/// thread's slot assigned at its first allocation or free (`num_active_threads++ &
/// THREAD_MASK`); an allocation adds its usable size to the allocating thread's slot, a free
/// subtracts it from the freeing thread's (so one slot may go negative);
/// `zmalloc_used_memory()` sums the slots in use.
#[derive(Default)]
pub(crate) struct Zmalloc {
    /// Per model thread (indexed like the thread caches): its counter slot, once assigned.
    slot_of: Vec<Option<usize>>,
    used: [i64; 16],
    num_active_threads: usize,
}

impl Zmalloc {
    pub(crate) fn update(&mut self, t: usize, delta: i64) {
        if self.slot_of.len() <= t {
            self.slot_of.resize(t + 1, None);
        }
        let slot = *self.slot_of[t].get_or_insert_with(|| {
            let i = self.num_active_threads & 15;
            self.num_active_threads += 1;
            i
        });
        self.used[slot] += delta;
    }

    pub(crate) fn used_memory(&self) -> usize {
        let n = self.num_active_threads.min(16);
        self.used[..n].iter().sum::<i64>().max(0) as usize
    }
}
