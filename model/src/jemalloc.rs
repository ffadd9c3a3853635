//! The allocator under zmalloc: jemalloc 5.3 as Redis vendors it (`deps/jemalloc`), enough of it
//! to give every allocation jemalloc's **usable size** and **address**, and the process a
//! **resident size**: size classes, slabs of small regions, page extents of large ones, one
//! thread cache per thread, dirty pages kept after a free and returned by a purge.
//!
//! # Source
//!
//! Size classes are computed the way `deps/jemalloc/src/sc.c` computes them (redis/redis, read
//! at `39d14ee351a7`: `size_classes`, `size_class`, `slab_size`, `reg_size_compute`) with the
//! x86-64 Linux parameters Redis builds with: `LG_SIZEOF_PTR` 3, `LG_QUANTUM` 4,
//! `SC_LG_TINY_MIN` 3, `LG_PAGE` 12, `SC_LG_NGROUP` 2. That gives one tiny class (8), the
//! pseudo group 16, 32, 48, 64, then four classes per doubling; a class is *small* (a bin,
//! served from slabs) while it is below `2^(LG_PAGE + SC_LG_NGROUP)` = 16 KiB, so the largest
//! small class is 14 KiB (14336) and the 36 bins end there; a slab of a bin is the fewest pages
//! that hold a whole number of regions (`slab_size`'s loop: 48-byte regions take 3 pages).
//! Classes from 16 KiB up are *large*: page multiples, each its own extent. [`size_classes`]'s
//! unit test rebuilds the table with that loop and checks it against the closed form
//! [`usable_size`] uses (jemalloc's `sz_s2u_compute`).
//!
//! Thread caches (`tcache.c`, jemalloc 5.3 defaults, not read in the vendored copy: documented):
//! classes up to 32 KiB (`opt_tcache_max`) are cached per thread; a small bin caches up to
//! twice its slab's region count clamped to 20..200 (`tcache_ncached_max_compute` with
//! `opt_lg_tcache_nslots_mul` 1), a large one 20; an empty bin is filled with half its capacity
//! from the arena, lowest addresses first; a full bin on free flushes its older half back to
//! the slabs. So a free goes to the *freeing* thread's cache and the next allocation of that
//! class **on that thread** gets the address back (last in, first out): a stale pointer sees
//! its address reused by the next allocation of the same class on the thread that freed it.
//!
//! # What is left out
//!
//! One arena (Redis's IO threads may use reserved arenas, iothread.c @ 051a9359; not at the
//! pin), no time-based decay (dirty pages stay resident until [`Heap::purge`], where jemalloc
//! would also return them after `dirty_decay_ms`, 10 s; `MEMORY PURGE` is how the model
//! returns them), no muzzy state (5.3 defaults `muzzy_decay_ms` to 0), no metadata pages
//! (`base`), no huge pages, no tcache garbage collection; the process's RSS is the allocator's
//! resident size (no binary, stack or library pages). Extents are reused first-fit by lowest
//! address and coalesced with free neighbours.
//!
//! Cheap on the hot path: an allocation or a free served by a thread cache is a few vector
//! operations; slab and extent operations are ordered-map look-ups (no scans, no formatting).

use std::collections::BTreeMap;

/// `LG_PAGE`.
pub const LG_PAGE: u32 = 12;
/// `PAGE`.
pub const PAGE: usize = 1 << LG_PAGE;
/// `LG_QUANTUM` (x86-64).
pub const LG_QUANTUM: u32 = 4;
/// `SC_LG_NGROUP`: four classes per doubling.
pub const LG_NGROUP: u32 = 2;
/// `SC_LG_TINY_MIN`.
pub const LG_TINY_MIN: u32 = 3;
/// `SC_SMALL_MAXCLASS`.
pub const SMALL_MAXCLASS: usize = 14336;
/// `SC_LARGE_MINCLASS`.
pub const LARGE_MINCLASS: usize = 16384;
/// `opt_tcache_max`: the largest class a thread cache holds.
pub const TCACHE_MAXCLASS: usize = 32768;
/// `SC_NBINS`: the small classes.
pub const NBINS: usize = 36;
/// Where the model's heap starts (an mmap-like address).
pub const HEAP_BASE: u64 = 0x7f00_0000_0000;

/// One size class.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct SizeClass {
    /// `szind`.
    pub index: usize,
    /// Its size (the usable size of every allocation in it).
    pub size: usize,
    /// Pages in one slab (small classes; 0 for large).
    pub slab_pages: usize,
    /// Regions in one slab (small classes; 0 for large).
    pub nregs: usize,
}

/// The 36 small classes (bins), computed at compile time by `sc.c`'s rules.
pub const BINS: [SizeClass; NBINS] = small_classes();

const fn small_classes() -> [SizeClass; NBINS] {
    let mut out = [SizeClass {
        index: 0,
        size: 0,
        slab_pages: 0,
        nregs: 0,
    }; NBINS];
    let mut i = 0;
    while i < NBINS {
        let size = class_size(i);
        let pages = slab_pages(size);
        out[i] = SizeClass {
            index: i,
            size,
            slab_pages: pages,
            nregs: pages * PAGE / size,
        };
        i += 1;
    }
    out
}

/// The size of class `index` (the closed form of `sc.c`'s loop: 8, 16, 32, 48, 64, then four
/// classes per doubling).
pub const fn class_size(index: usize) -> usize {
    match index {
        0 => 8,
        1 => 16,
        2..=4 => 16 * index,
        _ => {
            let g = (index - 5) / 4;
            let n = (index - 5) % 4 + 1;
            (64 << g) + n * (16 << g)
        }
    }
}

/// Class `index` as a [`SizeClass`] (large classes have no slab).
pub fn class(index: usize) -> SizeClass {
    if index < NBINS {
        return BINS[index];
    }
    SizeClass {
        index,
        size: class_size(index),
        slab_pages: 0,
        nregs: 0,
    }
}

/// The size classes below `2^lg_max`, computed as `sc.c`'s `size_classes` does (for the unit
/// test and the report's table).
pub fn size_classes(lg_max: u32) -> Vec<SizeClass> {
    compute_size_classes(lg_max)
}

/// `slab_size`: the fewest pages holding a whole number of `reg_size` regions.
const fn slab_pages(reg_size: usize) -> usize {
    let mut try_size = PAGE;
    while !try_size.is_multiple_of(reg_size) {
        try_size += PAGE;
    }
    try_size / PAGE
}

/// `size_classes(...)` of sc.c for classes below `2^lg_max`.
fn compute_size_classes(lg_max: u32) -> Vec<SizeClass> {
    let mut out = Vec::new();
    let mut push = |lg_base: u32, lg_delta: u32, ndelta: usize| {
        let size = (1usize << lg_base) + (ndelta << lg_delta);
        let bin = size < (1usize << (LG_PAGE + LG_NGROUP));
        let pgs = if bin { slab_pages(size) } else { 0 };
        let index = out.len();
        out.push(SizeClass {
            index,
            size,
            slab_pages: pgs,
            nregs: if bin { pgs * PAGE / size } else { 0 },
        });
    };
    // Tiny classes (below the quantum): 8.
    let mut lg_base = LG_TINY_MIN;
    let mut lg_delta = lg_base;
    while lg_base < LG_QUANTUM {
        push(lg_base, lg_delta, 0);
        lg_delta = lg_base;
        lg_base += 1;
    }
    // The first non-tiny (pseudo) group: 16, then 32, 48, 64.
    push(lg_base - 1, lg_delta, 1);
    lg_delta += 1;
    for ndelta in 1..(1usize << LG_NGROUP) {
        push(lg_base, lg_delta, ndelta);
    }
    // Every further group: four classes per doubling.
    lg_base += LG_NGROUP;
    while lg_base < lg_max {
        for ndelta in 1..=(1usize << LG_NGROUP) {
            push(lg_base, lg_delta, ndelta);
        }
        lg_base += 1;
        lg_delta += 1;
    }
    out
}

/// `sz_s2u`: the usable size jemalloc gives a request of `size` bytes (0 is served as 8, the
/// smallest class, as zmalloc asks for `sizeof(long)` then).
pub fn usable_size(size: usize) -> usize {
    if size <= 8 {
        return 8;
    }
    if size <= 16 {
        return 16;
    }
    // x = ceil(log2(size)); classes are spaced 2^(x - 3) apart above the pseudo group.
    let x = usize::BITS - (size - 1).leading_zeros();
    let lg_delta = if x < LG_QUANTUM + LG_NGROUP + 1 {
        LG_QUANTUM
    } else {
        x - LG_NGROUP - 1
    };
    let delta = 1usize << lg_delta;
    (size + delta - 1) & !(delta - 1)
}

/// `sz_size2index` of a usable size (a class's own size).
pub fn class_index(usable: usize) -> usize {
    match usable {
        0..=8 => 0,
        9..=16 => 1,
        17..=64 => usable.div_ceil(16),
        _ => {
            // usable in (2^k, 2^(k+1)], k >= 6: four classes of 2^(k-2).
            let k = (usize::BITS - 1 - (usable - 1).leading_zeros()) as usize;
            5 + (k - 6) * 4 + (usable - (1 << k)) / (1 << (k - 2)) - 1
        }
    }
}

/// The class of a request.
pub fn class_of(size: usize) -> SizeClass {
    class(class_index(usable_size(size)))
}

/// How many a thread cache holds of class `c` (`tcache_ncached_max_compute`).
fn tcache_cap(c: &SizeClass) -> usize {
    if c.index >= NBINS {
        return 20;
    }
    (2 * c.nregs).clamp(20, 200)
}

/// One slab: a run of pages cut into regions of one small class.
struct Slab {
    class: usize,
    /// Free-region bitmap (bit set = free); regions are taken lowest index first.
    free: Vec<u64>,
    nfree: usize,
}

impl Slab {
    fn take_lowest(&mut self) -> Option<usize> {
        for (w, word) in self.free.iter_mut().enumerate() {
            if *word != 0 {
                let b = word.trailing_zeros() as usize;
                *word &= !(1u64 << b);
                self.nfree -= 1;
                return Some(w * 64 + b);
            }
        }
        None
    }
}

/// A small bin's arena-side state.
#[derive(Default, Clone)]
struct Bin {
    /// Slabs with a free region, by base address (the lowest is used first).
    nonfull: std::collections::BTreeSet<u64>,
    /// Slabs in use (`curslabs`).
    curslabs: usize,
    /// Regions handed out of the arena, thread caches included (`curregs`).
    curregs: usize,
}

/// Resident and active bytes of the allocator (`stats.allocated`, `stats.active`,
/// `stats.resident`), and the free space inside small slabs.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct HeapStats {
    /// Bytes of the regions and extents handed out by the arena (thread caches included).
    pub allocated: usize,
    /// Bytes of the pages of live slabs and extents.
    pub active: usize,
    /// Active pages plus dirty ones (freed, not yet purged).
    pub resident: usize,
    /// Dirty pages' bytes.
    pub dirty: usize,
    /// Purged pages kept mapped for reuse (`stats.retained`).
    pub retained: usize,
    /// Unused regions inside small slabs (`zmalloc_get_frag_smallbins`).
    pub frag_smallbins: usize,
    /// Bytes cached by thread caches (freed by the program, still allocated to the arena).
    pub tcached: usize,
}

/// The heap: one arena and one cache per thread.
#[derive(Default)]
pub struct Heap {
    bins: Vec<Bin>,
    slabs: BTreeMap<u64, Slab>,
    /// Live large extents: base → pages.
    large: BTreeMap<u64, usize>,
    /// Free extents still resident (dirty): base → pages.
    dirty: BTreeMap<u64, usize>,
    /// Free extents purged (not resident): base → pages.
    retained: BTreeMap<u64, usize>,
    next_page: u64,
    active_pages: usize,
    dirty_pages: usize,
    retained_pages: usize,
    allocated: usize,
    tcached: usize,
    /// Per thread slot, per class (up to 32 KiB): cached addresses, oldest first.
    tcaches: Vec<Vec<Vec<u64>>>,
}

impl Heap {
    /// An empty heap.
    pub fn new() -> Heap {
        Heap {
            next_page: HEAP_BASE,
            ..Heap::default()
        }
    }

    /// `malloc(size)` on thread slot `t`: (address, usable size).
    pub fn alloc(&mut self, t: usize, size: usize) -> (u64, usize) {
        let usable = usable_size(size);
        let ci = class_index(usable);
        let c = class(ci);
        if usable <= TCACHE_MAXCLASS {
            if let Some(a) = self.tcache(t, ci).pop() {
                self.tcached -= usable;
                return (a, usable);
            }
            // `tcache_alloc_*_hard`: fill half the bin from the arena, lowest addresses first
            // (the first one is returned, the rest cached so the next pops come in order).
            let n = (tcache_cap(&c) / 2).max(1);
            let mut got: Vec<u64> = (0..n).map(|_| self.arena_alloc(&c)).collect();
            let first = got.remove(0);
            got.reverse();
            self.tcached += usable * got.len();
            self.tcache(t, ci).extend(got);
            return (first, usable);
        }
        (self.arena_alloc(&c), usable)
    }

    /// `free(addr)` of an allocation of `usable` bytes on thread slot `t`.
    pub fn free(&mut self, t: usize, addr: u64, usable: usize) {
        let ci = class_index(usable);
        if usable <= TCACHE_MAXCLASS {
            let cap = tcache_cap(&class(ci));
            let bin = self.tcache(t, ci);
            if bin.len() >= cap {
                // `tcache_bin_flush_*`: the older half goes back to the arena.
                let flushed: Vec<u64> = bin.drain(..cap / 2).collect();
                self.tcached -= usable * flushed.len();
                for a in flushed {
                    self.arena_free(ci, a);
                }
            }
            self.tcache(t, ci).push(addr);
            self.tcached += usable;
            return;
        }
        self.arena_free(ci, addr);
    }

    fn tcache(&mut self, t: usize, ci: usize) -> &mut Vec<u64> {
        if self.tcaches.len() <= t {
            self.tcaches.resize_with(t + 1, Vec::new);
        }
        let tc = &mut self.tcaches[t];
        if tc.len() <= ci {
            tc.resize_with(ci + 1, Vec::new);
        }
        &mut tc[ci]
    }

    fn bin(&mut self, ci: usize) -> &mut Bin {
        if self.bins.len() <= ci {
            self.bins.resize_with(ci + 1, Bin::default);
        }
        &mut self.bins[ci]
    }

    /// A region or extent from the arena.
    fn arena_alloc(&mut self, c: &SizeClass) -> u64 {
        self.allocated += c.size;
        if c.index >= NBINS {
            let pages = c.size / PAGE;
            let base = self.extent_alloc(pages);
            self.large.insert(base, pages);
            return base;
        }
        let ci = c.index;
        let base = match self.bin(ci).nonfull.first().copied() {
            Some(b) => b,
            None => {
                let base = self.extent_alloc(c.slab_pages);
                let words = c.nregs.div_ceil(64);
                let mut free = vec![u64::MAX; words];
                if !c.nregs.is_multiple_of(64) {
                    free[words - 1] = (1u64 << (c.nregs % 64)) - 1;
                }
                self.slabs.insert(
                    base,
                    Slab {
                        class: ci,
                        free,
                        nfree: c.nregs,
                    },
                );
                let bin = self.bin(ci);
                bin.nonfull.insert(base);
                bin.curslabs += 1;
                base
            }
        };
        let slab = self.slabs.get_mut(&base).expect("nonfull slab exists");
        let reg = slab.take_lowest().expect("nonfull slab has a free region");
        let full = slab.nfree == 0;
        let bin = self.bin(ci);
        bin.curregs += 1;
        if full {
            bin.nonfull.remove(&base);
        }
        base + (reg * c.size) as u64
    }

    /// A region or extent back to the arena; an emptied slab's pages become dirty.
    fn arena_free(&mut self, ci: usize, addr: u64) {
        let c = class(ci);
        self.allocated -= c.size;
        if ci >= NBINS {
            let pages = self.large.remove(&addr).expect("large extent is live");
            self.extent_free(addr, pages);
            return;
        }
        let (&base, slab) = self
            .slabs
            .range_mut(..=addr)
            .next_back()
            .expect("region belongs to a slab");
        let reg = ((addr - base) as usize) / c.size;
        slab.free[reg / 64] |= 1u64 << (reg % 64);
        slab.nfree += 1;
        let (nfree, class) = (slab.nfree, slab.class);
        debug_assert_eq!(class, ci);
        let bin = self.bin(ci);
        bin.curregs -= 1;
        if nfree == c.nregs {
            bin.nonfull.remove(&base);
            bin.curslabs -= 1;
            self.slabs.remove(&base);
            self.extent_free(base, c.slab_pages);
        } else {
            bin.nonfull.insert(base);
        }
    }

    /// Pages for a slab or a large extent: a dirty extent first (lowest address that fits),
    /// then a retained one, else fresh pages.
    fn extent_alloc(&mut self, pages: usize) -> u64 {
        self.active_pages += pages;
        if let Some(base) = take_fit(&mut self.dirty, pages) {
            self.dirty_pages -= pages;
            return base;
        }
        if let Some(base) = take_fit(&mut self.retained, pages) {
            self.retained_pages -= pages;
            return base;
        }
        let base = self.next_page;
        self.next_page += (pages * PAGE) as u64;
        base
    }

    fn extent_free(&mut self, base: u64, pages: usize) {
        self.active_pages -= pages;
        self.dirty_pages += pages;
        insert_coalesced(&mut self.dirty, base, pages);
    }

    /// `arena.<all>.purge` (`MEMORY PURGE`, `jemalloc_purge`): every dirty page is returned to
    /// the OS (`MADV_DONTNEED`) and kept mapped for reuse. Thread caches are not flushed.
    /// Returns the bytes purged.
    pub fn purge(&mut self) -> usize {
        let purged = self.dirty_pages * PAGE;
        for (b, p) in std::mem::take(&mut self.dirty) {
            insert_coalesced(&mut self.retained, b, p);
        }
        self.retained_pages += self.dirty_pages;
        self.dirty_pages = 0;
        purged
    }

    /// The allocator's statistics now.
    pub fn stats(&self) -> HeapStats {
        let frag_smallbins = self
            .bins
            .iter()
            .enumerate()
            .map(|(i, b)| (BINS[i].nregs * b.curslabs - b.curregs) * BINS[i].size)
            .sum();
        HeapStats {
            allocated: self.allocated,
            active: self.active_pages * PAGE,
            resident: (self.active_pages + self.dirty_pages) * PAGE,
            dirty: self.dirty_pages * PAGE,
            retained: self.retained_pages * PAGE,
            frag_smallbins,
            tcached: self.tcached,
        }
    }
}

/// Take `pages` from the lowest-addressed extent of `set` that has that many (splitting it).
fn take_fit(set: &mut BTreeMap<u64, usize>, pages: usize) -> Option<u64> {
    let (&base, &have) = set.iter().find(|(_, &p)| p >= pages)?;
    set.remove(&base);
    if have > pages {
        set.insert(base + (pages * PAGE) as u64, have - pages);
    }
    Some(base)
}

/// Insert a free extent, merged with free neighbours.
fn insert_coalesced(set: &mut BTreeMap<u64, usize>, mut base: u64, mut pages: usize) {
    if let Some((&pb, &pp)) = set.range(..base).next_back() {
        if pb + (pp * PAGE) as u64 == base {
            set.remove(&pb);
            base = pb;
            pages += pp;
        }
    }
    let end = base + (pages * PAGE) as u64;
    if let Some(np) = set.remove(&end) {
        pages += np;
    }
    set.insert(base, pages);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sc_c_and_matches_the_closed_form() {
        let t = &size_classes(32);
        let sizes: Vec<usize> = t.iter().take(20).map(|c| c.size).collect();
        assert_eq!(
            sizes,
            [
                8, 16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 640,
                768, 896
            ]
        );
        let small: Vec<&SizeClass> = t.iter().filter(|c| c.slab_pages > 0).collect();
        assert_eq!(small.len(), NBINS);
        assert_eq!(small.last().unwrap().size, SMALL_MAXCLASS);
        assert_eq!(t[NBINS].size, LARGE_MINCLASS);
        // Slab sizes of a few bins (sc.c's slab_size loop).
        let pages = |s: usize| t.iter().find(|c| c.size == s).unwrap().slab_pages;
        assert_eq!(
            [pages(8), pages(48), pages(80), pages(160), pages(14336)],
            [1, 3, 5, 5, 7]
        );
        assert_eq!(&t[..NBINS], &BINS[..]);
        for c in t.iter() {
            assert_eq!(class_size(c.index), c.size);
            assert_eq!(class_index(c.size), c.index);
            assert_eq!(usable_size(c.size), c.size);
            assert_eq!(usable_size(c.size - 1).max(c.size), c.size);
            if c.index > 0 {
                assert_eq!(usable_size(t[c.index - 1].size + 1), c.size);
            }
        }
    }

    #[test]
    fn thread_caches_reuse_per_thread_and_purge_returns_empty_slabs() {
        let mut h = Heap::new();
        let (a, u) = h.alloc(0, 20);
        assert_eq!(u, 32);
        h.free(0, a, u);
        // Another thread does not get main's freed address; main does.
        let (b, _) = h.alloc(1, 20);
        assert_ne!(a, b);
        let (c, _) = h.alloc(0, 30);
        assert_eq!(a, c);
        // A burst: resident grows, stays after the frees (dirty), falls after a purge.
        let ptrs: Vec<(u64, usize)> = (0..5000).map(|_| h.alloc(0, 100)).collect();
        let peak = h.stats().resident;
        for (p, u) in ptrs {
            h.free(0, p, u);
        }
        let after = h.stats();
        assert_eq!(after.resident, peak);
        assert!(after.dirty > 0);
        h.purge();
        assert!(h.stats().resident < peak / 2, "{:?}", h.stats());
        // Large: a 20 000-byte request is a 20 KiB extent of 5 pages.
        assert_eq!(usable_size(20_000), 20_480);
    }
}
