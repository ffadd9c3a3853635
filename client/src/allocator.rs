//! Why freed memory can stay resident: two small allocator models that replay the client's
//! allocation log ([`crate::heap::HeapEvent`]) and report resident bytes.
//!
//! Neither is the real allocator; each keeps the one property that decides what stays resident
//! after a burst, and says what it leaves out.
//!
//! [`GlibcLike`] (ptmalloc2's main arena, one arena for all threads):
//! - chunk = request + 8 bytes, rounded up to 16, at least 32; requests of 128 KiB or more
//!   (`M_MMAP_THRESHOLD`) get their own mapping, returned on free;
//! - the rest is carved from one contiguous heap: best fit among free chunks (split when the
//!   rest is at least 32 bytes), else from the top; a free chunk coalesces with free neighbours
//!   at once, and merges into the top when it borders it;
//! - the heap shrinks (`systrim`) only from the top, and only when the free top exceeds 128 KiB
//!   (`M_TRIM_THRESHOLD`), down to 128 KiB of slack (`M_TOP_PAD`). Free chunks below the
//!   highest live chunk stay resident (glibc's `free` does not return them; `malloc_trim` would).
//! - left out: tcache and fastbins (which delay coalescing: the model trims *more* than glibc),
//!   per-thread arenas, the dynamic mmap threshold.
//!
//! [`JemallocLike`] (jemalloc 5, one arena):
//! - small requests (≤ 14 KiB) round up to jemalloc's size classes (4 per doubling) and live in
//!   slabs of whole pages (the fewest pages that hold a whole number of regions); a region goes
//!   to the lowest non-full slab of its class, else to a new slab;
//! - larger requests get page-rounded extents of their size class;
//! - a slab or extent that becomes empty turns *dirty*: still resident until the decay purges it
//!   (`dirty_decay_ms`, 10 s by default); [`JemallocLike::resident_after_decay`] is the resident
//!   size once that happened. Dirty pages are reused first by new slabs and extents.
//! - left out: thread caches (tcache), muzzy pages, extent splitting and merging.

use crate::heap::HeapEvent;
use std::collections::{BTreeMap, BTreeSet, HashMap};

const PAGE: usize = 4096;

fn round_up(n: usize, to: usize) -> usize {
    n.div_ceil(to) * to
}

/// An allocator model fed with malloc and free.
pub trait Allocator {
    /// Its name in reports.
    fn name(&self) -> &'static str;
    /// `malloc(size)` for allocation `id`.
    fn malloc(&mut self, id: u64, size: usize);
    /// `free` of allocation `id` (unknown ids are ignored: allocations made before the log).
    fn free(&mut self, id: u64);
    /// Bytes resident now.
    fn resident(&self) -> usize;
}

/// glibc-like (see the module doc).
#[derive(Debug, Default)]
pub struct GlibcLike {
    /// Chunks below the top, by address: (size, free).
    chunks: BTreeMap<usize, (usize, bool)>,
    /// Free chunks by (size, address), for best fit.
    free_by_size: BTreeSet<(usize, usize)>,
    /// Live allocations: id → address (heap) or mapping size (mmap).
    live: HashMap<u64, Place>,
    /// Start of the top chunk (end of the used heap).
    top: usize,
    /// The program break: heap bytes obtained from the kernel.
    brk: usize,
    mmapped: usize,
}

#[derive(Debug, Clone, Copy)]
enum Place {
    Heap(usize),
    Mmap(usize),
}

impl GlibcLike {
    const MMAP_THRESHOLD: usize = 128 * 1024;
    const TRIM_THRESHOLD: usize = 128 * 1024;
    const TOP_PAD: usize = 128 * 1024;

    /// An empty heap.
    pub fn new() -> GlibcLike {
        GlibcLike::default()
    }

    fn chunk_size(size: usize) -> usize {
        round_up(size + 8, 16).max(32)
    }

    fn mark_free(&mut self, addr: usize, size: usize) {
        self.chunks.insert(addr, (size, true));
        self.free_by_size.insert((size, addr));
    }

    fn unmark_free(&mut self, addr: usize, size: usize) {
        self.free_by_size.remove(&(size, addr));
    }
}

impl Allocator for GlibcLike {
    fn name(&self) -> &'static str {
        "glibc-like"
    }

    fn malloc(&mut self, id: u64, size: usize) {
        if size >= Self::MMAP_THRESHOLD {
            let m = round_up(size + 16, PAGE);
            self.mmapped += m;
            self.live.insert(id, Place::Mmap(m));
            return;
        }
        let need = Self::chunk_size(size);
        let fit = self.free_by_size.range((need, 0)..).next().copied();
        let addr = match fit {
            Some((have, addr)) => {
                self.unmark_free(addr, have);
                if have - need >= 32 {
                    self.mark_free(addr + need, have - need);
                    self.chunks.insert(addr, (need, false));
                } else {
                    self.chunks.insert(addr, (have, false));
                }
                addr
            }
            None => {
                let addr = self.top;
                self.top += need;
                self.chunks.insert(addr, (need, false));
                if self.top > self.brk {
                    self.brk = round_up(self.top, PAGE);
                }
                addr
            }
        };
        self.live.insert(id, Place::Heap(addr));
    }

    fn free(&mut self, id: u64) {
        let Some(place) = self.live.remove(&id) else {
            return;
        };
        let mut addr = match place {
            Place::Mmap(m) => {
                self.mmapped -= m;
                return;
            }
            Place::Heap(a) => a,
        };
        let Some(&(mut size, _)) = self.chunks.get(&addr) else {
            return;
        };
        self.chunks.remove(&addr);
        // Coalesce with the free chunk before and after.
        if let Some((&pa, &(ps, pfree))) = self.chunks.range(..addr).next_back() {
            if pfree && pa + ps == addr {
                self.unmark_free(pa, ps);
                self.chunks.remove(&pa);
                addr = pa;
                size += ps;
            }
        }
        if let Some(&(ns, nfree)) = self.chunks.get(&(addr + size)) {
            if nfree {
                self.unmark_free(addr + size, ns);
                self.chunks.remove(&(addr + size));
                size += ns;
            }
        }
        if addr + size == self.top {
            self.top = addr;
            if self.brk - self.top > Self::TRIM_THRESHOLD {
                self.brk = round_up(self.top + Self::TOP_PAD, PAGE);
            }
        } else {
            self.mark_free(addr, size);
        }
    }

    fn resident(&self) -> usize {
        self.brk + self.mmapped
    }
}

/// jemalloc-like (see the module doc).
#[derive(Debug, Default)]
pub struct JemallocLike {
    /// Per small class: its slabs (regions, live).
    slabs: BTreeMap<usize, Vec<Slab>>,
    live: HashMap<u64, Loc>,
    /// Pages of non-empty slabs and live large extents.
    active_pages: usize,
    /// Pages freed and not yet purged.
    dirty_pages: usize,
    next_slab: u64,
}

#[derive(Debug, Clone)]
struct Slab {
    id: u64,
    pages: usize,
    regions: usize,
    live: usize,
}

#[derive(Debug, Clone, Copy)]
enum Loc {
    Small { class: usize, slab: u64 },
    Large { pages: usize },
}

impl JemallocLike {
    const SMALL_MAX: usize = 14 * 1024;

    /// An empty arena.
    pub fn new() -> JemallocLike {
        JemallocLike::default()
    }

    /// jemalloc's size class of `size`: 8 and 16, then 4 classes per doubling.
    pub fn size_class(size: usize) -> usize {
        if size <= 8 {
            return 8;
        }
        if size <= 16 {
            return 16;
        }
        if size <= 64 {
            return round_up(size, 16);
        }
        // Between 2^k and 2^(k+1): steps of 2^(k-2).
        let k = usize::BITS - 1 - (size - 1).leading_zeros();
        let step = 1usize << (k - 2);
        round_up(size, step)
    }

    /// Pages of a slab of `class`: the fewest that hold a whole number of regions.
    pub fn slab_pages(class: usize) -> usize {
        (1..=64)
            .find(|p| (p * PAGE / class) * class == p * PAGE)
            .unwrap_or(64)
    }

    fn take_pages(&mut self, n: usize) {
        let reuse = n.min(self.dirty_pages);
        self.dirty_pages -= reuse;
        self.active_pages += n;
    }

    fn release_pages(&mut self, n: usize) {
        self.active_pages -= n;
        self.dirty_pages += n;
    }

    /// Bytes resident once the decay purged the dirty pages.
    pub fn resident_after_decay(&self) -> usize {
        self.active_pages * PAGE
    }
}

impl Allocator for JemallocLike {
    fn name(&self) -> &'static str {
        "jemalloc-like"
    }

    fn malloc(&mut self, id: u64, size: usize) {
        let class = Self::size_class(size.max(1));
        if class > Self::SMALL_MAX {
            let pages = class.div_ceil(PAGE);
            self.take_pages(pages);
            self.live.insert(id, Loc::Large { pages });
            return;
        }
        let list = self.slabs.entry(class).or_default();
        let slab = match list.iter_mut().find(|s| s.live < s.regions) {
            Some(s) => {
                s.live += 1;
                s.id
            }
            None => {
                let pages = Self::slab_pages(class);
                self.next_slab += 1;
                let s = Slab {
                    id: self.next_slab,
                    pages,
                    regions: pages * PAGE / class,
                    live: 1,
                };
                let sid = s.id;
                self.slabs.entry(class).or_default().push(s);
                self.take_pages(pages);
                sid
            }
        };
        self.live.insert(id, Loc::Small { class, slab });
    }

    fn free(&mut self, id: u64) {
        match self.live.remove(&id) {
            None => {}
            Some(Loc::Large { pages }) => self.release_pages(pages),
            Some(Loc::Small { class, slab }) => {
                let list = self.slabs.entry(class).or_default();
                let Some(i) = list.iter().position(|s| s.id == slab) else {
                    return;
                };
                list[i].live -= 1;
                if list[i].live == 0 {
                    let pages = list.remove(i).pages;
                    self.release_pages(pages);
                }
            }
        }
    }

    fn resident(&self) -> usize {
        (self.active_pages + self.dirty_pages) * PAGE
    }
}

/// Resident sizes along a replay.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Replay {
    /// Most bytes resident at any point.
    pub peak: usize,
    /// Bytes resident at the end of the replayed log.
    pub end: usize,
}

/// Feed `log` to `a`.
pub fn replay(log: &[HeapEvent], a: &mut dyn Allocator) -> Replay {
    let mut r = Replay::default();
    for e in log {
        match *e {
            HeapEvent::Alloc { id, size, .. } => a.malloc(id, size),
            HeapEvent::Free { id } => a.free(id),
        }
        r.peak = r.peak.max(a.resident());
    }
    r.end = a.resident();
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn burst(n: u64, size: usize, pin_every: u64) -> Vec<HeapEvent> {
        // n buffers, with a small long-lived allocation after every `pin_every`-th; then the
        // buffers are freed, the long-lived ones stay.
        let mut log = Vec::new();
        for i in 0..n {
            log.push(HeapEvent::Alloc {
                id: i,
                size,
                what: "buffer",
            });
            if pin_every > 0 && i % pin_every == pin_every - 1 {
                log.push(HeapEvent::Alloc {
                    id: 1_000_000 + i,
                    size: 64,
                    what: "pin",
                });
            }
        }
        for i in 0..n {
            log.push(HeapEvent::Free { id: i });
        }
        log
    }

    #[test]
    fn glibc_like_trims_a_free_top_but_keeps_holes_below_a_live_chunk() {
        let mut g = GlibcLike::new();
        let r = replay(&burst(1000, 1000, 0), &mut g);
        assert!(r.peak >= 1000 * 1008, "{r:?}");
        assert!(
            r.end <= GlibcLike::TOP_PAD + PAGE,
            "free top trimmed: {r:?}"
        );
        let mut g = GlibcLike::new();
        let r = replay(&burst(1000, 1000, 100), &mut g);
        assert!(r.end >= 990 * 1008, "pinned below the top: {r:?}");
        // Freed holes are reused: a second burst of the same size does not grow the heap.
        let before = g.resident();
        for e in burst(900, 1000, 0) {
            match e {
                HeapEvent::Alloc { id, size, .. } => g.malloc(id + 5_000_000, size),
                HeapEvent::Free { id } => g.free(id + 5_000_000),
            }
        }
        assert_eq!(g.resident(), before);
        // Large requests are mappings of their own.
        g.malloc(9, 200_000);
        assert_eq!(g.resident(), before + round_up(200_016, PAGE));
        g.free(9);
        assert_eq!(g.resident(), before);
    }

    #[test]
    fn jemalloc_like_returns_empty_slabs_after_decay() {
        assert_eq!(JemallocLike::size_class(1000), 1024);
        assert_eq!(JemallocLike::size_class(1025), 1280);
        assert_eq!(JemallocLike::size_class(48), 48);
        assert_eq!(JemallocLike::size_class(100), 112);
        assert_eq!(JemallocLike::slab_pages(48), 3);
        assert_eq!(JemallocLike::slab_pages(1280), 5);
        let mut j = JemallocLike::new();
        let r = replay(&burst(1000, 1000, 100), &mut j);
        assert_eq!(r.peak, 1000 * 1024 + PAGE, "{r:?}");
        assert_eq!(r.end, r.peak, "dirty pages stay until the decay");
        assert_eq!(j.resident_after_decay(), PAGE, "only the pins' slab stays");
        // Dirty pages are reused before new ones are taken.
        j.malloc(7, 1000);
        assert_eq!(j.resident(), r.end);
    }
}
