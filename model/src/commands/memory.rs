//! MEMORY USAGE, STATS, DOCTOR, PURGE (`memoryCommand`, `kvobjComputeSize` / `kvobjAllocSize`,
//! `getMemoryOverheadData`, `getMemoryDoctorReport`; object.c @ f36ee257, off=32000–64000) and
//! the numbers INFO's `# Memory` shares with them. Every byte count comes from the allocator
//! model ([`crate::jemalloc`] through the ledger): `zmalloc_size` is jemalloc's usable size.
//! Main thread only; reads, except PURGE (which returns dirty pages).

use super::object::arg_ll_or_reply;
use super::{arg, Client, Server, SYNTAX_ERR};
use crate::jemalloc::usable_size;
use crate::ledger::{AllocKind, Tid};
use crate::networking::{
    add_reply_array_len, add_reply_bulk_cbuffer, add_reply_error, add_reply_integer, add_reply_len,
    add_reply_null, add_reply_status,
};
use crate::object::{lp_entry_size, Encoding, Payload, RObj};
use crate::util::cstr;

/// `sizeof(quicklist)` and `sizeof(quicklistNode)` (x86-64).
const QUICKLIST_SIZE: usize = 40;
const QUICKLIST_NODE_SIZE: usize = 32;

/// `kvobjAllocSize` (object.c @ f36ee257, off=32000): `zmalloc_size` of the kvobj's allocation
/// (metadata slots, header, key and an embedded value: one allocation), plus a RAW string's
/// `sdsAllocSize` (its sds allocation's usable size; INT and EMBSTR add nothing), plus a
/// list's `listTypeAllocSize`. The model's list nodes are not reallocated as they grow, so a
/// list is counted as jemalloc would size it: a listpack of `lpBytes` bytes, or a quicklist
/// struct plus per node a `quicklistNode` and its listpack (or PLAIN element). A hash likewise:
/// a listpack of its entries' `lpBytes`, or the dict's table and one allocation per field
/// (the model's own allocations for a dict hash; C sums the same parts).
pub fn kvobj_alloc_size(s: &Server, kv: &RObj) -> usize {
    let ledger = &s.env.ledger;
    let mut n = ledger.usable_size(kv.ptr());
    let h = kv.hdr();
    match &h.payload {
        Payload::Raw(x) => n += ledger.usable_size(x.ptr),
        Payload::List(nodes) if h.encoding == Encoding::Listpack => {
            n += nodes.iter().map(|x| usable_size(x.sz())).sum::<usize>();
        }
        Payload::List(nodes) => {
            n += usable_size(QUICKLIST_SIZE)
                + nodes
                    .iter()
                    .map(|x| usable_size(QUICKLIST_NODE_SIZE) + usable_size(x.sz()))
                    .sum::<usize>();
        }
        Payload::Hash(d) if h.encoding == Encoding::Listpack => {
            let lp = crate::object::LP_EMPTY_SIZE
                + d.entries
                    .iter()
                    .map(|e| lp_entry_size(e.field.len()) + lp_entry_size(e.value.len()))
                    .sum::<usize>();
            n += usable_size(lp);
        }
        Payload::Hash(d) => {
            n += ledger.usable_size(d.ptr)
                + d.entries
                    .iter()
                    .filter_map(|e| e.ptr)
                    .map(|p| ledger.usable_size(p))
                    .sum::<usize>();
        }
        Payload::Null | Payload::Int(_) | Payload::Emb(_) => {}
    }
    n
}

/// `memoryCommand` `USAGE` branch: `MEMORY USAGE key [SAMPLES count]`. `SAMPLES`
/// (C-string, case-insensitive) needs a following integer (`ERR value is not an integer or
/// out of range`) ≥ 0; anything else, or a negative count, is `ERR syntax error`. The key is
/// found without lazy expiry or LRU update (`dbFind`); missing: `$-1`. The number is
/// [`kvobj_alloc_size`] (8.x counts no dict entry and no separate key: the key is inside the
/// kvobj; sampling does not apply, the size is kept exactly).
pub(super) fn memory_usage(s: &mut Server, c: &mut Client) {
    let argc = c.argv.len();
    let mut j = 3;
    while j < argc {
        let raw = arg(s, c, j);
        if cstr(&raw).eq_ignore_ascii_case(b"samples") && j + 1 < argc {
            let Some(n) = arg_ll_or_reply(s, c, j + 1) else {
                return;
            };
            if n < 0 {
                add_reply_error(s, c, SYNTAX_ERR);
                return;
            }
            j += 2;
        } else {
            add_reply_error(s, c, SYNTAX_ERR);
            return;
        }
    }
    let key = arg(s, c, 2);
    let Some(kv) = s.db[c.db].dict.get(&key[..]).cloned() else {
        add_reply_null(s, c);
        return;
    };
    s.env
        .ledger
        .read(Tid::Main, kv.ptr(), "kvobj for MEMORY USAGE");
    let usage = kvobj_alloc_size(s, &kv);
    add_reply_len(s, c, usage);
}

/// `struct redisMemOverhead` (the fields with a model meaning) and the allocator's numbers
/// (`cron_malloc_stats`, read now rather than by the cron).
#[derive(Clone, Debug, Default)]
pub struct MemOverhead {
    /// `total_allocated` = `used_memory`.
    pub total_allocated: usize,
    /// `startup_allocated` = `initial_memory_usage`.
    pub startup_allocated: usize,
    /// `peak_allocated` = `stat_peak_memory`.
    pub peak_allocated: usize,
    /// `clients_normal`: the clients' structs, reply blocks, argv and deferred arrays.
    pub clients_normal: usize,
    /// `overhead_ht_main` per non-empty database: `keys * sizeof(robj)` (the model's dicts
    /// allocate nothing).
    pub per_db: Vec<(usize, usize)>,
    /// Their sum.
    pub overhead_ht_main: usize,
    /// `overhead_total`.
    pub overhead_total: usize,
    /// Keys in db 0.
    pub total_keys: usize,
    /// `dataset` = used − overhead.
    pub dataset: usize,
    /// `allocator_allocated`, `_active`, `_resident`, dirty, retained, small-bin fragmentation.
    pub heap: crate::jemalloc::HeapStats,
    /// `process_rss`: the allocator's resident size (the model has no other pages).
    pub process_rss: usize,
}

impl MemOverhead {
    /// `peak_perc`.
    pub fn peak_perc(&self) -> f32 {
        self.total_allocated as f32 * 100.0 / self.peak_allocated.max(1) as f32
    }
    /// `dataset_perc` (of the memory used beyond startup).
    pub fn dataset_perc(&self) -> f32 {
        let net = self
            .total_allocated
            .checked_sub(self.startup_allocated)
            .filter(|n| *n > 0)
            .unwrap_or(1);
        self.dataset as f32 * 100.0 / net as f32
    }
    /// `allocator_frag` = small-bin fragmentation / allocated + 1.
    pub fn allocator_frag(&self) -> f32 {
        self.heap.frag_smallbins as f32 / self.heap.allocated.max(1) as f32 + 1.0
    }
    /// `allocator_rss` = resident / active.
    pub fn allocator_rss(&self) -> f32 {
        self.heap.resident as f32 / self.heap.active.max(1) as f32
    }
    /// `total_frag` = `mem_fragmentation_ratio` = RSS / used_memory.
    pub fn total_frag(&self) -> f32 {
        self.process_rss as f32 / self.total_allocated.max(1) as f32
    }
}

/// `getMemoryOverheadData` over the model's state.
pub fn memory_overhead(s: &Server) -> MemOverhead {
    let ledger = &s.env.ledger;
    let total_allocated = ledger.used_memory();
    let clients_normal = ledger
        .usable_by_kind()
        .iter()
        .filter(|(k, _)| {
            matches!(
                k,
                AllocKind::Client
                    | AllocKind::ReplyBlock
                    | AllocKind::Argv
                    | AllocKind::DeferredArray
            )
        })
        .map(|(_, b)| *b)
        .sum();
    let per_db: Vec<(usize, usize)> =
        s.db.iter()
            .enumerate()
            .filter(|(_, d)| !d.dict.is_empty())
            .map(|(i, d)| (i, d.dict.len()))
            .collect();
    let total_keys = per_db.iter().map(|(_, n)| n).sum::<usize>();
    let overhead_ht_main = total_keys * crate::object::HEADER_SIZE;
    let startup_allocated = s.initial_memory_usage;
    let overhead_total = startup_allocated + clients_normal + overhead_ht_main;
    let heap = ledger.heap_stats();
    MemOverhead {
        total_allocated,
        startup_allocated,
        peak_allocated: ledger.peak_memory(),
        clients_normal,
        per_db: per_db
            .iter()
            .map(|(i, n)| (*i, n * crate::object::HEADER_SIZE))
            .collect(),
        overhead_ht_main,
        overhead_total,
        total_keys,
        dataset: total_allocated.saturating_sub(overhead_total),
        heap,
        process_rss: heap.resident,
    }
}

/// `addReplyDouble` (RESP2: a bulk of the shortest decimal that reads back the double; the C
/// fields are `float`s widened to `double`).
fn reply_double(s: &mut Server, c: &mut Client, v: f32) {
    let t = format!("{}", f64::from(v));
    add_reply_bulk_cbuffer(s, c, t.as_bytes());
}

/// `MEMORY STATS`: the pin's 33 fields plus one map per non-empty db (`clients.normal.shared`
/// and `.unshared` come with #14934: only under that variant). Fields with no model meaning
/// (replication, AOF, scripts, cluster links) are 0.
pub(super) fn memory_stats(s: &mut Server, c: &mut Client) {
    let mh = memory_overhead(s);
    let variant = s.cfg.reply_refs_tracking();
    let dbs = mh.per_db.len();
    add_reply_array_len(s, c, 2 * (33 + 2 * usize::from(variant) + dbs));
    let int = |s: &mut Server, c: &mut Client, k: &str, v: i64| {
        add_reply_bulk_cbuffer(s, c, k.as_bytes());
        add_reply_integer(s, c, v);
    };
    int(s, c, "peak.allocated", mh.peak_allocated as i64);
    int(s, c, "total.allocated", mh.total_allocated as i64);
    int(s, c, "startup.allocated", mh.startup_allocated as i64);
    int(s, c, "replication.backlog", 0);
    int(s, c, "replica.fullsync.buffer", 0);
    int(s, c, "clients.slaves", 0);
    int(s, c, "clients.normal", mh.clients_normal as i64);
    if variant {
        int(s, c, "clients.normal.shared", 0);
        int(s, c, "clients.normal.unshared", mh.clients_normal as i64);
    }
    for k in [
        "cluster.links",
        "aof.buffer",
        "lua.caches",
        "functions.caches",
        "script.VMs",
    ] {
        int(s, c, k, 0);
    }
    for (i, main) in &mh.per_db {
        add_reply_bulk_cbuffer(s, c, format!("db.{i}").as_bytes());
        add_reply_array_len(s, c, 4);
        int(s, c, "overhead.hashtable.main", *main as i64);
        int(s, c, "overhead.hashtable.expires", 0);
    }
    int(s, c, "overhead.db.hashtable.lut", 0);
    int(s, c, "overhead.db.hashtable.rehashing", 0);
    int(s, c, "overhead.total", mh.overhead_total as i64);
    int(s, c, "db.dict.rehashing.count", 0);
    int(s, c, "keys.count", mh.total_keys as i64);
    let per_key = mh.dataset.checked_div(mh.total_keys).unwrap_or(0);
    int(s, c, "keys.bytes-per-key", per_key as i64);
    int(s, c, "dataset.bytes", mh.dataset as i64);
    add_reply_bulk_cbuffer(s, c, b"dataset.percentage");
    reply_double(s, c, mh.dataset_perc());
    add_reply_bulk_cbuffer(s, c, b"peak.percentage");
    reply_double(s, c, mh.peak_perc());
    int(s, c, "allocator.allocated", mh.heap.allocated as i64);
    int(s, c, "allocator.active", mh.heap.active as i64);
    int(s, c, "allocator.resident", mh.heap.resident as i64);
    int(s, c, "allocator.muzzy", 0);
    add_reply_bulk_cbuffer(s, c, b"allocator-fragmentation.ratio");
    reply_double(s, c, mh.allocator_frag());
    int(
        s,
        c,
        "allocator-fragmentation.bytes",
        mh.heap.frag_smallbins as i64,
    );
    add_reply_bulk_cbuffer(s, c, b"allocator-rss.ratio");
    reply_double(s, c, mh.allocator_rss());
    int(
        s,
        c,
        "allocator-rss.bytes",
        mh.heap.resident as i64 - mh.heap.active as i64,
    );
    add_reply_bulk_cbuffer(s, c, b"rss-overhead.ratio");
    reply_double(s, c, 1.0);
    int(s, c, "rss-overhead.bytes", 0);
    add_reply_bulk_cbuffer(s, c, b"fragmentation");
    reply_double(s, c, mh.total_frag());
    int(
        s,
        c,
        "fragmentation.bytes",
        mh.process_rss as i64 - mh.total_allocated as i64,
    );
}

/// `getMemoryDoctorReport` (object.c @ f36ee257, off=48000): below 5 MB the "empty" report;
/// else peak > 150 % of used, RSS/used > 1.4 and > 10 MB, allocator fragmentation > 1.1 and
/// > 10 MB, allocator RSS overhead > 1.1 and > 10 MB, clients above 200 KB each on average.
/// > (No replicas, scripts or non-allocator RSS in the model.) RESP2: a bulk.
pub(super) fn memory_doctor(s: &mut Server, c: &mut Client) {
    let mh = memory_overhead(s);
    let mut issues: Vec<&str> = Vec::new();
    let empty = mh.total_allocated < 5 * 1024 * 1024;
    if !empty {
        if mh.peak_allocated as f32 / mh.total_allocated as f32 > 1.5 {
            issues.push(" * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n");
        }
        let frag_bytes = mh.process_rss.saturating_sub(mh.total_allocated);
        if mh.total_frag() > 1.4 && frag_bytes > 10 << 20 {
            issues.push(" * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"jemalloc-5.3.0\".\n\n");
        }
        if mh.allocator_frag() > 1.1 && mh.heap.frag_smallbins > 10 << 20 {
            issues.push(" * High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling 'activedefrag' config option.\n\n");
        }
        if mh.allocator_rss() > 1.1 && mh.heap.resident - mh.heap.active > 10 << 20 {
            issues.push(" * High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n");
        }
    }
    let text = if empty {
        "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n".to_string()
    } else if issues.is_empty() {
        "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n".to_string()
    } else {
        let mut t =
            "Sam, I detected a few issues in this Redis instance memory implants:\n\n".to_string();
        for i in issues {
            t.push_str(i);
        }
        t.push_str("I'm here to keep you safe, Sam. I want to help you.\n");
        t
    };
    add_reply_bulk_cbuffer(s, c, text.as_bytes());
}

/// `MEMORY PURGE`: `jemalloc_purge()` returns every dirty page; `+OK`.
pub(super) fn memory_purge(s: &mut Server, c: &mut Client) {
    s.env.ledger.purge();
    add_reply_status(s, c, "OK");
}

/// `bytesToHuman` (util.c): `B` below 1 KiB, then `K`, `M`, `G`, … with two decimals.
pub fn bytes_to_human(n: u64) -> String {
    let units = ["K", "M", "G", "T", "P", "E"];
    if n < 1024 {
        return format!("{n}B");
    }
    let mut d = n as f64 / 1024.0;
    for u in units {
        if d < 1024.0 {
            return format!("{d:.2}{u}");
        }
        d /= 1024.0;
    }
    format!("{n}B")
}

/// The `# Memory` section of INFO: the fields with a model meaning, in `genRedisInfoString`'s
/// order.
pub fn info_memory(s: &Server) -> String {
    let mh = memory_overhead(s);
    let used = mh.total_allocated as u64;
    let rss = mh.process_rss as u64;
    let h = &mh.heap;
    let lines = [
        format!("used_memory:{used}"),
        format!("used_memory_human:{}", bytes_to_human(used)),
        format!("used_memory_rss:{rss}"),
        format!("used_memory_rss_human:{}", bytes_to_human(rss)),
        format!("used_memory_peak:{}", mh.peak_allocated),
        format!(
            "used_memory_peak_human:{}",
            bytes_to_human(mh.peak_allocated as u64)
        ),
        format!("used_memory_peak_perc:{:.2}%", mh.peak_perc()),
        format!("used_memory_overhead:{}", mh.overhead_total),
        format!("used_memory_startup:{}", mh.startup_allocated),
        format!("used_memory_dataset:{}", mh.dataset),
        format!("used_memory_dataset_perc:{:.2}%", mh.dataset_perc()),
        format!("allocator_allocated:{}", h.allocated),
        format!("allocator_active:{}", h.active),
        format!("allocator_resident:{}", h.resident),
        "allocator_muzzy:0".to_string(),
        format!("maxmemory:{}", s.cfg.maxmemory),
        format!("maxmemory_human:{}", bytes_to_human(s.cfg.maxmemory)),
        format!("maxmemory_policy:{}", s.cfg.maxmemory_policy.name()),
        format!("allocator_frag_ratio:{:.2}", mh.allocator_frag()),
        format!("allocator_frag_bytes:{}", h.frag_smallbins),
        format!("allocator_rss_ratio:{:.2}", mh.allocator_rss()),
        format!(
            "allocator_rss_bytes:{}",
            h.resident as i64 - h.active as i64
        ),
        "rss_overhead_ratio:1.00".to_string(),
        "rss_overhead_bytes:0".to_string(),
        format!("mem_fragmentation_ratio:{:.2}", mh.total_frag()),
        format!("mem_fragmentation_bytes:{}", rss as i64 - used as i64),
        format!(
            "mem_not_counted_for_evict:{}",
            crate::evict::not_counted_memory(s)
        ),
        format!("mem_clients_normal:{}", mh.clients_normal),
        "mem_allocator:jemalloc-5.3.0".to_string(),
        format!("lazyfree_pending_objects:{}", s.bio.pending_objects()),
        format!("lazyfreed_objects:{}", s.bio.freed_objects()),
    ];
    let mut out = "# Memory\r\n".to_string();
    for l in lines {
        out.push_str(&l);
        out.push_str("\r\n");
    }
    out
}
