//! The keyspace: kvobj entries and how an old value is disposed of. Mirrors src/db.c at the pin
//! (059f40da) and `kvobjSet` in src/object.c (@ f36ee257: object.c is not stored at the pin).
//!
//! Only the main thread touches the keyspace. It holds exactly one reference (`Keyspace`) to each
//! kvobj. The three-way disposal in [`db_set_value`] is where #14738 lives: an old RAW value may be
//! handed to the current client's IO thread to free **only if its count is 1**; otherwise
//! another holder (a reply reference) could be decremented concurrently by two threads.
//!
//! Databases: `server.db[0..databases)` ([`Server::db`]); every primitive takes the index of
//! the database it acts on (C passes `redisDb *`; commands pass `c->db`, here `c.db`).
//!
//! Simplified: the expire time lives in the kvobj (no separate expires dict);
//! keysizes histograms, module hooks and the incr/decr pair around module notifications are left
//! out (no modules: that pair is a main-thread no-op in effect).

use crate::client::Client;
use crate::config::Fault;
use crate::coverage::Event;
use crate::lazyfree::free_obj_async;
use crate::ledger::{Holder, Tid};
use crate::networking::try_defer_free_client_object;
use crate::object::{new_sds, new_sds_owned, Cx, Encoding, Header, Payload, RObj, HEADER_SIZE};
/// The database type is the server's data ([`crate::server`]).
pub use crate::server::Db;
use crate::server::Server;
use std::sync::Arc;

/// Keys of 128 bytes or more always reserve the expire metadata slot.
pub const KEY_EXPIRE_SLOT_MIN: usize = 128;
/// A kvobj whose header, key and value fit one cache line embeds the value.
pub const KVOBJ_EMBED_LIMIT: usize = 64;

/// `kvobjSet(key, val, metabits)` (object.c @ f36ee257, off=0; object.c is not stored at the
/// pin): build the stored object from `val`
/// (whose reference is held by `holder` and consumed here). Returns the new kvobj, holding
/// `Keyspace`. (Read at f36ee257 rather than the pin: `kvobjSet` is not part of #14934, whose
/// object.c change is the notify call in `decrRefCount`.) An EMBSTR value is embedded when `sizeof(kvobj) + (klen + 3) + (4 + vlen) <=
/// CACHE_LINE_SIZE` (metadata slots, the expire slot among them, are not counted).
pub fn kvobj_set(cx: Cx<'_>, key: &[u8], val: &RObj, holder: Holder, expire_slot: bool) -> RObj {
    let slot = expire_slot || key.len() >= KEY_EXPIRE_SLOT_MIN;
    // kvobj layout (object.c `kvobjCreate`): metadata slots before the header, then the header,
    // one byte for the key's sds header size, then the key sds (type 5 for short keys).
    let key_size = 1 + crate::object::sds_req_size(key.len(), true) + if slot { 8 } else { 0 };
    let (otype, enc) = (val.otype(), val.encoding());
    let (encoding, payload, extra) = match enc {
        Encoding::Embstr => {
            let bytes = val.string_bytes(cx, "EMBSTR value for kvobjSet");
            if HEADER_SIZE + (key.len() + 3) + (4 + bytes.len()) <= KVOBJ_EMBED_LIMIT {
                (
                    Encoding::Embstr,
                    Payload::Emb(bytes.clone()),
                    3 + bytes.len() + 1,
                )
            } else {
                let sds = new_sds(cx, &bytes, crate::ledger::AllocKind::Sds);
                (Encoding::Raw, Payload::Raw(sds), 0)
            }
        }
        _ if cx.env.cfg.fault(Fault::StealSharedPtr) || crate::reclaim::sole_owner(cx, val) => {
            // Steal the payload; `val` keeps a NULL ptr and is freed by the decr below.
            val.write_ptr(cx, "kvobjSet stealing ptr");
            let p = std::mem::replace(&mut val.hdr().payload, Payload::Null);
            (enc, p, 0)
        }
        Encoding::Int => (Encoding::Int, val.hdr().payload.clone(), 0),
        Encoding::Raw => {
            cx.env.coverage.hit(Event::KvobjDuplicatedShared);
            let bytes = val.string_bytes(cx, "shared RAW value duplicated by kvobjSet");
            // A new sds allocation; its (immutable) bytes are shared, not copied.
            let sds = new_sds_owned(cx, bytes, crate::ledger::AllocKind::Sds);
            (Encoding::Raw, Payload::Raw(sds), 0)
        }
        Encoding::Quicklist | Encoding::Listpack | Encoding::Ht => cx.env.ledger.violation(
            cx.tid,
            crate::invariant::Invariant::ModelPanic,
            "kvobjSet: \"Not implemented\" (a shared aggregate value)",
            Some(val.ptr()),
        ),
    };
    let hdr = Header {
        otype,
        encoding,
        payload,
        key: Some(Arc::from(key)),
        expire: None,
        has_expire_slot: slot,
        reply_borrows: 0,
        lru: val.hdr().lru,
    };
    let kv = RObj::create_with_header(cx, hdr, HEADER_SIZE + key_size + extra, Holder::Keyspace);
    val.decr_ref_count(cx, holder);
    kv
}

/// Whether `kv` is logically expired at the server's clock: `now > when` (db.c
/// `keyIsExpired`, 7.0 and 8.x alike), so a key is still there in the millisecond it expires
/// (then PTTL is 0). Commands that set a time already past (`checkAlreadyExpired`) use
/// `when <= now` instead, in their own code.
fn is_expired(s: &Server, kv: &RObj) -> bool {
    kv.hdr().expire.is_some_and(|t| t < s.now_ms)
}

/// `lookupKey` with lazy expiry (`expireIfNeeded`, deleting per `lazyfree-lazy-expire`).
pub fn lookup_key(s: &mut Server, db: usize, key: &[u8]) -> Option<RObj> {
    let kv = lookup_key_notouch(s, db, key)?;
    crate::lru::touch(s, &kv);
    Some(kv)
}

/// `lookupKey` with `LOOKUP_NOTOUCH`: lazy expiry, no LRU/LFU update (OBJECT, TYPE-like reads).
pub fn lookup_key_notouch(s: &mut Server, db: usize, key: &[u8]) -> Option<RObj> {
    let kv = s.db[db].dict.get(key)?.clone();
    if is_expired(s, &kv) {
        if kv.refcount_peek() > 1 {
            s.env.coverage.hit(Event::ExpiredWhileReferenced);
        }
        let lazy = s.cfg.lazyfree_lazy_expire;
        db_generic_delete(s, db, key, lazy);
        return None;
    }
    Some(kv)
}

/// `dbAdd`: add a new key; `val`'s reference (held by `holder`) is consumed.
pub fn db_add(s: &mut Server, db: usize, key: &[u8], val: &RObj, holder: Holder) -> RObj {
    let env = s.env();
    let kv = kvobj_set(Cx::main(&env), key, val, holder, false);
    crate::lru::init_lru_or_lfu(s, &kv);
    s.db[db].dict.insert(key.to_vec(), kv.clone());
    kv
}

/// `dbSetValue(db, key, valref, link, overwrite, update_if_existing, keepTTL)` (db.c @ 059f40da,
/// off=16000):
/// replace the value of an existing key. `val`'s reference (held by `holder`) is consumed.
/// Returns the installed kvobj.
#[allow(clippy::too_many_arguments)]
pub fn db_set_value(
    s: &mut Server,
    db: usize,
    c: Option<&mut Client>,
    key: &[u8],
    val: &RObj,
    holder: Holder,
    keep_ttl: bool,
) -> RObj {
    let env = s.env();
    let cx = Cx::main(&env);
    let old = s.db[db]
        .dict
        .get(key)
        .expect("dbSetValue on a missing key")
        .clone();
    let old_expire = old.hdr().expire;
    if old.refcount_peek() > 1 {
        env.coverage.hit(Event::OverwrittenWhileReferenced);
    }
    let swap_ok = env.cfg.fault(Fault::SwapReferencedPtr) || crate::reclaim::sole_owner(cx, &old);
    let (installed, dispose, dispose_holder) = if swap_ok
        && old.encoding() != Encoding::Embstr
        && crate::reclaim::sole_owner(cx, val)
        && val.encoding() != Encoding::Embstr
    {
        // Swap fast path: keep `old`'s header (key, metadata); `val` leaves with the old payload.
        // Type and encoding are header-word bit-fields; `ptr` is the payload location.
        for o in [&old, val] {
            o.write_header_bits(cx, "dbSetValue's swap of type and encoding");
            o.write_ptr(cx, "dbSetValue's swap of ptr");
        }
        {
            let (mut a, mut b) = (old.hdr(), val.hdr());
            std::mem::swap(&mut a.otype, &mut b.otype);
            std::mem::swap(&mut a.encoding, &mut b.encoding);
            std::mem::swap(&mut a.payload, &mut b.payload);
            if !keep_ttl {
                a.expire = None;
            }
        }
        (old, val.clone(), holder)
    } else {
        // The expire bit of the new metabits survives only with KEEPTTL *and* an old expire.
        let slot = keep_ttl && old_expire.is_some();
        // `val->lru = old->lru`: the key keeps its access history.
        let lru = old.hdr().lru;
        val.hdr().lru = lru;
        let kv = kvobj_set(cx, key, val, holder, slot);
        if keep_ttl {
            kv.hdr().expire = old_expire;
        }
        s.db[db].dict.insert(key.to_vec(), kv.clone());
        // The keyspace's reference is transferred to `old`.
        (kv, old, Holder::Keyspace)
    };
    dispose_old_value(s, c, dispose, dispose_holder);
    installed
}

/// The three-way disposal of an old value at the end of `dbSetValue`. (Epoch strategy, not
/// Redis: main releases the old value itself, so a count reaching 0 is retired by main at once;
/// the guarded hand-off to an IO thread is not used.)
fn dispose_old_value(s: &mut Server, c: Option<&mut Client>, old: RObj, holder: Holder) {
    let env = s.env();
    let cx = Cx::main(&env);
    let guard = env.cfg.fault(Fault::DeferSharedFree) || old.refcount(cx) == 1;
    let to_io = !crate::reclaim::main_retires(env.cfg.strategy);
    let threaded_raw = s.cfg.io_threads_num > 1 && old.encoding() == Encoding::Raw && to_io;
    if threaded_raw && !guard {
        env.coverage.hit(Event::OldValueKeptOnMain);
    }
    if threaded_raw && guard {
        if c.as_ref().is_some_and(|c| c.tid != Tid::Main) {
            env.coverage.hit(Event::OldValueDeferredToIo);
        }
        try_defer_free_client_object(s, c, old, holder);
    } else if s.cfg.lazyfree_lazy_server_del {
        free_obj_async(s, old, holder);
    } else {
        old.decr_ref_count(cx, holder);
    }
}

/// `setKey` with `SETKEY_ALREADY_EXIST` / `SETKEY_DOESNT_EXIST` from the caller's own lookup
/// (`exists`): overwrite or add; `val`'s reference (held by `holder`) is consumed; the expire
/// is dropped unless `keep_ttl`. Returns the installed kvobj.
#[allow(clippy::too_many_arguments)]
pub fn set_key(
    s: &mut Server,
    db: usize,
    c: Option<&mut Client>,
    key: &[u8],
    val: &RObj,
    holder: Holder,
    keep_ttl: bool,
    exists: bool,
) -> RObj {
    if exists {
        db_set_value(s, db, c, key, val, holder, keep_ttl)
    } else {
        db_add(s, db, key, val, holder)
    }
}

/// `dbGenericDelete(db, key, async, flags)` (db.c @ 059f40da, off=32000). Returns whether the
/// key existed.
pub fn db_generic_delete(s: &mut Server, db: usize, key: &[u8], async_free: bool) -> bool {
    let Some(kv) = s.db[db].dict.remove(key) else {
        return false;
    };
    if kv.refcount_peek() > 1 {
        s.env.coverage.hit(Event::DeletedWhileReferenced);
    }
    if async_free {
        free_obj_async(s, kv, Holder::Keyspace);
    } else {
        let env = s.env();
        kv.decr_ref_count(Cx::main(&env), Holder::Keyspace);
    }
    true
}

/// `setExpire`: give `kv` an expire time, growing it through `kvobjSet` when it has no expire
/// slot (`kvobjSetExpire`). Returns the (possibly new) kvobj.
pub fn set_expire(s: &mut Server, db: usize, key: &[u8], when: i64) -> RObj {
    let env = s.env();
    let cx = Cx::main(&env);
    let kv = s.db[db]
        .dict
        .get(key)
        .expect("setExpire on a missing key")
        .clone();
    if kv.hdr().has_expire_slot {
        kv.hdr().expire = Some(when);
        return kv;
    }
    if env.cfg.fault(Fault::ReallocSharedKvobj) {
        // zrealloc of the kvobj whatever its count: the payload moves to the new block and the
        // old block is freed under every other holder's feet.
        let mut hdr = kv.hdr().clone();
        kv.write_ptr(cx, "a zrealloc of the kvobj");
        kv.hdr().payload = Payload::Null;
        hdr.has_expire_slot = true;
        hdr.expire = Some(when);
        let size = HEADER_SIZE + 1 + crate::object::sds_req_size(key.len(), true) + 8;
        let new = RObj::create_with_header(cx, hdr, size, Holder::Keyspace);
        env.ledger.free(Tid::Main, kv.ptr());
        s.db[db].dict.insert(key.to_vec(), new.clone());
        return new;
    }
    // kvobjSetExpire → kvobjSet: the keyspace's own reference is consumed, so a private value's
    // payload is taken over and a shared one (a reply references it) is duplicated.
    let new = kvobj_set(cx, key, &kv, Holder::Keyspace, true);
    new.hdr().expire = Some(when);
    s.db[db].dict.insert(key.to_vec(), new.clone());
    new
}

/// `removeExpire`.
pub fn remove_expire(s: &mut Server, db: usize, key: &[u8]) -> bool {
    match s.db[db].dict.get(key) {
        Some(kv) => kv.hdr().expire.take().is_some(),
        None => false,
    }
}

/// `dbUnshareStringValue`: make the value at `key` a private RAW string before an in-place edit.
pub fn db_unshare_string_value(
    s: &mut Server,
    db: usize,
    c: Option<&mut Client>,
    key: &[u8],
    kv: RObj,
) -> RObj {
    let env = s.env();
    let cx = Cx::main(&env);
    if crate::reclaim::sole_owner(cx, &kv) && kv.encoding() == Encoding::Raw {
        return kv;
    }
    let bytes = kv.string_bytes(cx, "value for dbUnshareStringValue");
    let fresh = RObj::create_raw_string(cx, &bytes, Holder::Temp);
    db_set_value(s, db, c, key, &fresh, Holder::Temp, true)
}

/// `emptyData(dbnum, flags)` → `emptyDbStructure` (db.c @ 059f40da, off=32000): empty
/// database `dbnum` (`Some`) or every database (`None`, C's -1), one after the other. Each
/// database goes synchronously (every kvobj's reference dropped on main) or (`async_free`)
/// through [`empty_db_async`]. Returns the number of keys removed.
pub fn empty_data(
    s: &mut Server,
    current: &mut Client,
    dbnum: Option<usize>,
    async_free: bool,
) -> usize {
    let dbs = match dbnum {
        Some(j) => j..j + 1,
        None => 0..s.db.len(),
    };
    let mut removed = 0;
    for j in dbs {
        removed += s.db[j].dict.len();
        if async_free {
            empty_db_async(s, current, j);
        } else {
            let env = s.env();
            let cx = Cx::main(&env);
            let kvs: Vec<RObj> = s.db[j].dict.drain().map(|(_, v)| v).collect();
            if kvs.iter().any(|kv| kv.refcount_peek() > 1) {
                env.coverage.hit(Event::FlushedWhileReferenced);
                if s.db[j].swapped {
                    env.coverage.hit(Event::SwappedDbFlushedWhileReferenced);
                }
            }
            for kv in kvs {
                kv.decr_ref_count(cx, Holder::Keyspace);
            }
        }
    }
    removed
}

/// `emptyData(-1, …)`: every database (FLUSHALL; the worlds' quiescence). See [`empty_data`].
pub fn empty_db(s: &mut Server, current: &mut Client, async_free: bool) {
    empty_data(s, current, None, async_free);
}

/// `emptyDbAsync(db)` (lazyfree.c @ 059f40da, off=0): detach database `db`'s keyspace,
/// `protectClientReplyObjects` (which returns at once when no client is listed: after the
/// first database of a FLUSHALL it finds the list empty), then one BIO job frees the detached
/// keyspace (`emptyDbDataAsync` → `kvsLazyfreeFree`). Simplified: C queues the job even for
/// an empty database; the model queues none (the job would free nothing).
pub fn empty_db_async(s: &mut Server, current: &mut Client, db: usize) {
    let env = s.env();
    let kvs: Vec<RObj> = s.db[db].dict.drain().map(|(_, v)| v).collect();
    if kvs.iter().any(|kv| kv.refcount_peek() > 1) {
        env.coverage.hit(Event::FlushedWhileReferenced);
        if s.db[db].swapped {
            env.coverage.hit(Event::SwappedDbFlushedWhileReferenced);
        }
    }
    crate::lazyfree::protect_client_reply_objects(s, current);
    crate::lazyfree::check_detached_keyspace(s, &kvs);
    for kv in &kvs {
        env.ledger
            .transfer(Tid::Main, kv.ptr(), Holder::Keyspace, Holder::Bio);
    }
    if !kvs.is_empty() {
        env.coverage.hit(Event::FlushAsyncToBio);
        s.bio.submit(crate::lazyfree::Job::FreeKeyspace(kvs));
    }
}
