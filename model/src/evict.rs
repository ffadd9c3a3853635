//! maxmemory and eviction: src/evict.c (`performEvictions`, `evictionPoolPopulate`,
//! `getMaxmemoryState`, `freeMemoryGetNotCountedMemory`, the LRU clock and the LFU counter)
//! and the parts of object.c / db.c that feed it (`initObjectLRUOrLFU`, `updateLFU` in
//! `lookupKey`). Main thread only.
//!
//! Read at: evict.c is not stored for 2025–26; its logic was read in the stored default copy
//! (redis/redis `03813b2c`, 6.x era) and a 6.2-era annotated copy (id 45477462517), and the 8.x
//! shape (`kvobj` in `evictionPoolPopulate`, LRM) from secondary sources quoting 8.x; the
//! parts used here (the pool, the scores, the loop measuring `zmalloc_used_memory()` around
//! each delete, the 16-key check under lazy eviction) are the same in all of them. object.c
//! (MEMORY, `createStringObjectFromLongLongForValue`) at f36ee257.
//!
//! # What Redis does when the evicted value is referenced by a pending reply
//!
//! `performEvictions` deletes the key with `dbGenericDelete` (sync, or `freeObjAsync` under
//! `lazyfree-lazy-eviction`), which only releases the keyspace's reference: a value a reply
//! buffer still references (count 2) drops to 1 and **nothing is freed**. The loop measures
//! what the delete freed as the change of `zmalloc_used_memory()` (`delta`), so it counts ~0
//! for that key and goes on evicting other keys until the bytes it measured reach
//! `mem_tofree` or no key is left (then `EVICT_FAIL`: denyoom commands get the OOM error). The
//! referenced bytes are freed later, on main, when the reply is written (main: `decrRefCount`;
//! an IO thread: `ioDeferFreeRobj`, released by main at its next visit). The model does the
//! same; [`crate::config::Fault::EvictFreesReferenced`] frees the value outright instead
//! (caught: `USE_AFTER_FREE` when the reply is written).
//!
//! # Left out
//!
//! The eviction time limit (`maxmemory-eviction-tenacity`, the eviction timer proc): the model
//! has no wall clock inside a command, so one `performEvictions` runs until done; the short
//! wait for BIO at `cant_free` (nondeterministic in C: it is a 500 µs poll); replication and AOF
//! buffers (`freeMemoryGetNotCountedMemory` is 0: no replicas, no AOF);  keyspace notifications and propagation. Sampling
//! (`dictGetSomeKeys`, `dictGetRandomKey`) draws from the model's fixed-seed `rand()` over the
//! keys in the db's iteration order.

use crate::config::{Fault, MaxmemoryPolicy};
use crate::ledger::Holder;
use crate::lru::{estimate_idle_time, lfu_decr_and_return};
use crate::object::{Cx, RObj};
use crate::server::{Logged, Server};

/// `EVPOOL_SIZE`.
pub const EVPOOL_SIZE: usize = 16;
/// What `performEvictions` returns.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum EvictResult {
    /// Memory is within the limit (or evicting is not possible now).
    Ok,
    /// Over the limit and nothing (more) can be evicted.
    Fail,
}

/// `server.maxmemory && maxmemory_policy & MAXMEMORY_FLAG_NO_SHARED_INTEGERS`: values are not
/// shared integers (each key needs its own LRU/LFU field), as `createStringObjectFromLongLongForValue`
/// and `tryObjectEncoding` decide.
pub fn no_shared_integers(s: &Server) -> bool {
    s.cfg.maxmemory > 0 && (s.cfg.maxmemory_policy.lru() || s.cfg.maxmemory_policy.lfu())
}

/// `freeMemoryGetNotCountedMemory`: replication and AOF buffers (none in the model).
pub fn not_counted_memory(_s: &Server) -> usize {
    0
}

/// `getMaxmemoryState`: `None` when within the limit, else the bytes to free.
pub fn over_maxmemory(s: &Server) -> Option<usize> {
    let max = usize::try_from(s.cfg.maxmemory).unwrap_or(usize::MAX);
    let reported = s.env.ledger.used_memory();
    if max == 0 || reported <= max {
        return None;
    }
    let used = reported.saturating_sub(not_counted_memory(s));
    (used > max).then(|| used - max)
}

/// The keys database `db` offers the policy: every key (`allkeys-*`), or the keys with an expire
/// (`volatile-*`: C samples `db->expires`). [`Fault::EvictSamplesAllKeys`] offers every key.
fn candidates(s: &Server, db: usize) -> Vec<(Vec<u8>, RObj)> {
    let all = s.cfg.maxmemory_policy.allkeys() || s.env.cfg.fault(Fault::EvictSamplesAllKeys);
    s.db[db]
        .dict
        .iter()
        .filter(|(_, v)| all || v.hdr().expire.is_some())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// `dictGetSomeKeys(dict, samples, count)`: up to `count` distinct keys from a random start.
fn some_keys(s: &mut Server, keys: &[(Vec<u8>, RObj)], count: usize) -> Vec<usize> {
    let n = keys.len();
    if n == 0 {
        return Vec::new();
    }
    let start = (s.rand() % n as u64) as usize;
    (0..count.min(n)).map(|i| (start + i) % n).collect()
}

/// `evictionPoolPopulate`: score `count` sampled keys and insert the better ones in the pool
/// (ascending score; a full pool drops its worst to make room, or skips a worse key).
fn pool_populate(s: &mut Server, db: usize, keys: &[(Vec<u8>, RObj)]) {
    let policy = s.cfg.maxmemory_policy;
    for i in some_keys(s, keys, s.cfg.maxmemory_samples) {
        let (key, o) = &keys[i];
        let idle = if policy.lru() {
            estimate_idle_time(s, o)
        } else if policy.lfu() {
            255 - u64::from(lfu_decr_and_return(s, o))
        } else {
            u64::MAX - o.hdr().expire.unwrap_or(0) as u64
        };
        let pool = &mut s.evict_pool;
        if pool.iter().any(|(_, d, k)| *d == db && k == key) {
            continue; // Redis may hold a key twice; the model keeps one entry per key.
        }
        let k = pool.iter().take_while(|(sc, _, _)| *sc < idle).count();
        if k == 0 && pool.len() == EVPOOL_SIZE {
            continue;
        }
        if pool.len() == EVPOOL_SIZE {
            pool.remove(0);
            pool.insert(k - 1, (idle, db, key.clone()));
        } else {
            pool.insert(k, (idle, db, key.clone()));
        }
    }
}

/// Pick the key to evict under the policy, with its database (`None`: nothing left).
fn select_key(s: &mut Server) -> Option<(usize, Vec<u8>)> {
    let policy = s.cfg.maxmemory_policy;
    let ndb = s.db.len();
    match policy {
        MaxmemoryPolicy::AllkeysRandom | MaxmemoryPolicy::VolatileRandom => {
            // One key per call, visiting the databases in turn from `next_db`.
            for _ in 0..ndb {
                s.evict_next_db = (s.evict_next_db + 1) % ndb;
                let db = s.evict_next_db;
                let keys = candidates(s, db);
                if let Some(&i) = some_keys(s, &keys, 1).first() {
                    return Some((db, keys[i].0.clone()));
                }
            }
            None
        }
        MaxmemoryPolicy::NoEviction => None,
        _ => loop {
            // Sample every database into the one pool (`evictionPoolPopulate` per db).
            let mut total = 0;
            for db in 0..ndb {
                let keys = candidates(s, db);
                if !keys.is_empty() {
                    total += keys.len();
                    pool_populate(s, db, &keys);
                }
            }
            if total == 0 {
                return None;
            }
            // Best last; a ghost (deleted, or no longer volatile) is dropped and the next tried.
            while let Some((_, db, key)) = s.evict_pool.pop() {
                let live = s.db[db]
                    .dict
                    .get(&key[..])
                    .is_some_and(|o| policy.allkeys() || o.hdr().expire.is_some());
                if live {
                    return Some((db, key));
                }
            }
        },
    }
}

/// `performEvictions` (evict.c): while `used_memory` (less what is not counted) is over
/// `maxmemory`, evict the policy's best key and count the bytes that delete freed; returns
/// [`EvictResult::Fail`] when nothing more can be evicted (or the policy is `noeviction`).
pub fn perform_evictions(s: &mut Server) -> EvictResult {
    let Some(mem_tofree) = over_maxmemory(s) else {
        return EvictResult::Ok;
    };
    if s.cfg.maxmemory_policy == MaxmemoryPolicy::NoEviction {
        return EvictResult::Fail;
    }
    let mut mem_freed: i64 = 0;
    let mut keys_freed = 0u64;
    while mem_freed < mem_tofree as i64 {
        let Some((db, key)) = select_key(s) else {
            return EvictResult::Fail;
        };
        let before = s.env.ledger.used_memory() as i64;
        delete_evicted_key(s, db, &key);
        mem_freed += before - s.env.ledger.used_memory() as i64;
        s.stat_evictedkeys += 1;
        keys_freed += 1;
        if keys_freed.is_multiple_of(16)
            && s.cfg.lazyfree_lazy_eviction
            && over_maxmemory(s).is_none()
        {
            break;
        }
    }
    EvictResult::Ok
}

/// `deleteEvictedKeyAndPropagate` → `dbGenericDelete(db, key, lazyfree_lazy_eviction, …)`:
/// the keyspace's reference is released (a referenced value stays alive). The oracle log gets
/// the key, before the command that triggered the eviction.
fn delete_evicted_key(s: &mut Server, db: usize, key: &[u8]) {
    if let Some(log) = s.cmd_log.as_mut() {
        let at = log.len().saturating_sub(1);
        log.insert(
            at,
            Logged::Evicted {
                db,
                key: key.to_vec(),
            },
        );
    }
    if s.env.cfg.fault(Fault::EvictFreesReferenced) {
        if let Some(kv) = s.db[db].dict.remove(key) {
            let env = s.env();
            let cx = Cx::main(&env);
            // The bug: free whatever the count says (the keyspace's holder is dropped).
            let n = kv.refcount(cx);
            if n == 1 {
                kv.decr_ref_count(cx, Holder::Keyspace);
            } else {
                env.ledger
                    .on_decr(cx.tid, kv.ptr(), n, n - 1, Holder::Keyspace);
                kv.free(cx);
            }
        }
        return;
    }
    let lazy = s.cfg.lazyfree_lazy_eviction;
    crate::db::db_generic_delete(s, db, key, lazy);
}

/// `shared.oomerr`.
pub const OOM_ERR: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// The commands flagged `CMD_DENYOOM` in Redis's command table (the `DENYOOM` flag of each
/// command's JSON file, src/commands/*.json): rejected with the OOM error when eviction cannot
/// bring memory under `maxmemory`. Commands the model does not have are listed too, so a
/// command added later is right from the start. Names are `fullname`s.
pub const DENYOOM: &[&str] = &[
    "append",
    "bitfield",
    "blmove",
    "brpoplpush",
    "copy",
    "geoadd",
    "getset",
    "hincrby",
    "hincrbyfloat",
    "hmset",
    "hset",
    "hsetnx",
    "incr",
    "incrby",
    "incrbyfloat",
    "decr",
    "decrby",
    "linsert",
    "lmove",
    "lpush",
    "lpushx",
    "lset",
    "mset",
    "msetnx",
    "pfadd",
    "psetex",
    "restore",
    "rpoplpush",
    "rpush",
    "rpushx",
    "sadd",
    "set",
    "setbit",
    "setex",
    "setnx",
    "setrange",
    "sinterstore",
    "sdiffstore",
    "sunionstore",
    "sort",
    "xadd",
    "zadd",
    "zincrby",
    "zunionstore",
    "zinterstore",
    "zrangestore",
];

/// Whether `fullname` is flagged `CMD_DENYOOM`.
pub fn is_denyoom(fullname: &str) -> bool {
    DENYOOM.contains(&fullname)
}

/// `processCommand`'s memory check (server.c): with `maxmemory` set, run `performEvictions`;
/// when it fails and the command is `CMD_DENYOOM`, reject it with the OOM error (returns
/// `true`; the oracle log records the rejection).
pub fn reject_if_oom(s: &mut Server, client: u64, fullname: &str) -> bool {
    if s.cfg.maxmemory == 0 {
        return false;
    }
    let oom = perform_evictions(s) == EvictResult::Fail;
    if !(oom && is_denyoom(fullname)) {
        return false;
    }
    if let Some(log) = s.cmd_log.as_mut() {
        if let Some(Logged::Command {
            client: id, argv, ..
        }) = log.last()
        {
            if *id == client {
                let argv = argv.clone();
                log.pop();
                log.push(Logged::Oom { client, argv });
            }
        }
    }
    true
}
