//! Hash commands: the model's second aggregate type, so that a value whose free effort is
//! counted the way `lazyfreeGetFreeEffort` counts a dict (`dictSize`, lazyfree.c @ 059f40da
//! off=0) reaches BIO with Redis's own sizes. Mirrors src/t_hash.c: `hsetCommand`,
//! `hgetCommand`, `hdelCommand`, `hlenCommand`, `hgetallCommand`, `hashTypeLookupWriteOrCreate`,
//! `hashTypeTryConversion`, `hashTypeSet`'s listpack-entries check and `hashTypeConvert`.
//!
//! Which C was read: t_hash.c has no 2025–26 copy in the stored index (its only upstream copy
//! there is a 2.2-era file, `3a0fcd11`), so the commands' reply paths are 7.x ones that 8.x
//! keeps, checked byte for byte against redis-server 7.0 by the differential lane; the
//! conversion rule and its defaults (`hash-max-listpack-entries` 512, `hash-max-listpack-value`
//! 64, config.c's built-in defaults, not redis.conf's 128) come from 8.0-era copies quoted by
//! secondary sources; the free effort is the pin's (lazyfree.c @ 059f40da).
//!
//! Encodings: a new hash is one listpack (`OBJ_ENCODING_LISTPACK`, free effort 1). It becomes a
//! dict (`OBJ_ENCODING_HT`, free effort = its number of fields) when an HSET brings a field or
//! value longer than 64 bytes, more than 512 new fields at once, or leaves it with more than
//! 512 fields; a dict never goes back to a listpack. Each dict entry is one allocation
//! (entry.h's `Entry`: field and value together), so BIO's free of a dict walks them all.
//!
//! What matters for lifetime: hash fields and values are not objects (sds or listpack bytes), so
//! every reply copies them (`addReplyBulkCBuffer`): no reply ever references a hash. A hash is
//! deleted by DEL/UNLINK, by HDEL of its last field (`dbDelete` → `lazyfree-lazy-server-del`),
//! or replaced by `dbSetValue` (SET over it); with a free effort above 64 and count 1,
//! `freeObjAsync` hands it to BIO.
//!
//! Simplified: field expiry (HEXPIRE & co., `OBJ_ENCODING_LISTPACK_EX`) is not modelled; the
//! thresholds are fixed at their defaults (no CONFIG SET); the model keeps a dict's fields in
//! insertion order, where Redis iterates them in hash order (HGETALL of a dict-encoded hash
//! is compared as a map by the differential lane); `lpSafeToAdd`'s 1 GB bound is not checked.
//! Main thread only.

use super::{arg, Client, Server, WRONGTYPE};
use crate::db::{db_add, db_generic_delete, lookup_key};
use crate::ledger::{Holder, Tid};
use crate::networking::{
    add_reply_array_len, add_reply_bulk_cbuffer, add_reply_error, add_reply_error_arity,
    add_reply_integer, add_reply_len, add_reply_null,
};
use crate::object::{
    new_hash_entry, new_hash_table, Cx, Encoding, HashEntry, ObjType, Payload, RObj,
};
use crate::robj::Bytes;

/// `hash-max-listpack-entries` (config.c's default).
pub const HASH_MAX_LISTPACK_ENTRIES: usize = 512;

/// `hash-max-listpack-value` (config.c's default).
pub const HASH_MAX_LISTPACK_VALUE: usize = 64;

/// `hashTypeConvert(o, OBJ_ENCODING_HT)`: a listpack hash becomes a dict: the table and an
/// `Entry` per field are allocated, the listpack freed, then `o->ptr` and `o->encoding` are
/// written (header-word and `ptr` writes, race-checked).
fn hash_type_convert(cx: Cx<'_>, kv: &RObj) {
    {
        let mut h = kv.hdr();
        if h.encoding != Encoding::Listpack {
            return;
        }
        let Payload::Hash(d) = &mut h.payload else {
            return;
        };
        let lp = d.ptr;
        d.ptr = new_hash_table(cx);
        for e in d.entries.iter_mut() {
            e.ptr = Some(new_hash_entry(cx, &e.field, &e.value));
        }
        cx.env.ledger.free(cx.tid, lp);
    }
    cx.env.coverage.hit(crate::coverage::Event::HashConverted);
    kv.write_ptr(cx, "hashTypeConvert (o->ptr = dict)");
    kv.set_encoding(cx, Encoding::Ht, "hashTypeConvert (o->encoding = HT)");
}

/// `hashTypeTryConversion(db, o, argv, start, end)`: a listpack hash converts before the
/// insertion when more than `hash-max-listpack-entries` new fields come at once, or when any
/// field or value is longer than `hash-max-listpack-value`.
fn hash_type_try_conversion(cx: Cx<'_>, kv: &RObj, args: &[Bytes]) {
    if kv.encoding() != Encoding::Listpack {
        return;
    }
    if args.len() / 2 > HASH_MAX_LISTPACK_ENTRIES
        || args.iter().any(|a| a.len() > HASH_MAX_LISTPACK_VALUE)
    {
        hash_type_convert(cx, kv);
    }
}

/// `hashTypeSet(db, o, field, value, HASH_SET_COPY)`: update the value of an existing field or
/// append a new one (a new `Entry` under a dict); a listpack left with more than
/// `hash-max-listpack-entries` fields converts. Returns whether the field was new.
fn hash_type_set(cx: Cx<'_>, kv: &RObj, field: &Bytes, value: &Bytes) -> bool {
    let (created, convert) = {
        let mut h = kv.hdr();
        let dict = h.encoding == Encoding::Ht;
        let Payload::Hash(d) = &mut h.payload else {
            return false;
        };
        cx.env.ledger.read(cx.tid, d.ptr, "hash for hashTypeSet");
        let created = match d.entries.iter_mut().find(|e| e.field == *field) {
            Some(e) => {
                if let Some(p) = e.ptr.take() {
                    // `entrySetValue`: the entry is rebuilt around the new value.
                    cx.env.ledger.free(cx.tid, p);
                    e.ptr = Some(new_hash_entry(cx, field, value));
                }
                e.value = value.clone();
                false
            }
            None => {
                d.entries.push(HashEntry {
                    ptr: dict.then(|| new_hash_entry(cx, field, value)),
                    field: field.clone(),
                    value: value.clone(),
                });
                true
            }
        };
        (
            created,
            !dict && d.entries.len() > HASH_MAX_LISTPACK_ENTRIES,
        )
    };
    if convert {
        hash_type_convert(cx, kv);
    }
    created
}

/// `hashTypeDelete`: remove `field` (freeing its `Entry` under a dict). Returns whether it was
/// there.
fn hash_type_delete(cx: Cx<'_>, kv: &RObj, field: &[u8]) -> bool {
    let mut h = kv.hdr();
    let Payload::Hash(d) = &mut h.payload else {
        return false;
    };
    let Some(i) = d.entries.iter().position(|e| &*e.field == field) else {
        return false;
    };
    let e = d.entries.remove(i);
    if let Some(p) = e.ptr {
        cx.env.ledger.free(cx.tid, p);
    }
    true
}

/// A field and its value.
type Pair = (Bytes, Bytes);

/// The fields and values of a hash, read through the ledger (main only).
fn hash_entries(s: &Server, kv: &RObj, what: &'static str) -> Vec<Pair> {
    let h = kv.hdr();
    let Payload::Hash(d) = &h.payload else {
        return Vec::new();
    };
    s.env.ledger.read(Tid::Main, d.ptr, what);
    d.entries
        .iter()
        .map(|e| (e.field.clone(), e.value.clone()))
        .collect()
}

/// `hashTypeLookupWriteOrCreate`: the hash at `key`, created (a listpack, `dbAdd`) when
/// missing; `None` after a WRONGTYPE reply.
fn lookup_write_or_create(s: &mut Server, c: &mut Client, key: &[u8]) -> Option<RObj> {
    match lookup_key(s, c.db, key) {
        Some(kv) if kv.otype() != ObjType::Hash => {
            add_reply_error(s, c, WRONGTYPE);
            None
        }
        Some(kv) => Some(kv),
        None => {
            let env = s.env();
            let h = RObj::create_hash(Cx::main(&env), Holder::Temp);
            Some(db_add(s, c.db, key, &h, Holder::Temp))
        }
    }
}

/// The hash at `key` for a read: `None` when missing (the caller replies), `Err` after a
/// WRONGTYPE reply.
fn lookup_read(s: &mut Server, c: &mut Client, key: &[u8]) -> Result<Option<RObj>, ()> {
    match lookup_key(s, c.db, key) {
        Some(kv) if kv.otype() != ObjType::Hash => {
            add_reply_error(s, c, WRONGTYPE);
            Err(())
        }
        found => Ok(found),
    }
}

/// `hsetCommand` (t_hash.c): an odd argument count is the arity error (`wrong number of
/// arguments for 'hset' command`), then WRONGTYPE, then conversion, then each pair is set;
/// replies the number of new fields.
pub(super) fn hset(s: &mut Server, c: &mut Client) {
    if c.argv.len() % 2 == 1 {
        add_reply_error_arity(s, c, "hset");
        return;
    }
    let key = arg(s, c, 1);
    let Some(kv) = lookup_write_or_create(s, c, &key) else {
        return;
    };
    let args: Vec<Bytes> = (2..c.argv.len()).map(|i| arg(s, c, i)).collect();
    let env = s.env();
    let cx = Cx::main(&env);
    hash_type_try_conversion(cx, &kv, &args);
    let mut created = 0;
    for pair in args.chunks(2) {
        if hash_type_set(cx, &kv, &pair[0], &pair[1]) {
            created += 1;
        }
    }
    add_reply_integer(s, c, created);
}

/// `hgetCommand` (t_hash.c): a null bulk for a missing key or field, WRONGTYPE, else a copy
/// of the value (`addReplyBulkCBuffer`: never a reference).
pub(super) fn hget(s: &mut Server, c: &mut Client) {
    let key = arg(s, c, 1);
    let Ok(found) = lookup_read(s, c, &key) else {
        return;
    };
    let field = arg(s, c, 2);
    let value = found.and_then(|kv| {
        hash_entries(s, &kv, "hash field for HGET")
            .into_iter()
            .find(|(f, _)| *f == field)
            .map(|(_, v)| v)
    });
    match value {
        Some(v) => add_reply_bulk_cbuffer(s, c, &v),
        None => add_reply_null(s, c),
    }
}

/// `hdelCommand` (t_hash.c): `:0` for a missing key, WRONGTYPE, else each field is deleted;
/// a hash left empty is deleted (`dbDelete` → `lazyfree-lazy-server-del`); replies the number
/// deleted.
pub(super) fn hdel(s: &mut Server, c: &mut Client) {
    let key = arg(s, c, 1);
    let kv = match lookup_read(s, c, &key) {
        Err(()) => return,
        Ok(None) => {
            add_reply_integer(s, c, 0);
            return;
        }
        Ok(Some(kv)) => kv,
    };
    let env = s.env();
    let cx = Cx::main(&env);
    let mut deleted = 0;
    for i in 2..c.argv.len() {
        let field = arg(s, c, i);
        if hash_type_delete(cx, &kv, &field) {
            deleted += 1;
            if kv.hash_len() == 0 {
                let lazy = s.cfg.lazyfree_lazy_server_del;
                db_generic_delete(s, c.db, &key, lazy);
                break;
            }
        }
    }
    add_reply_integer(s, c, deleted);
}

/// `hlenCommand` (t_hash.c): `:0` for a missing key, WRONGTYPE, else the number of fields.
pub(super) fn hlen(s: &mut Server, c: &mut Client) {
    let key = arg(s, c, 1);
    match lookup_read(s, c, &key) {
        Err(()) => {}
        Ok(None) => add_reply_integer(s, c, 0),
        Ok(Some(kv)) => add_reply_len(s, c, kv.hash_len()),
    }
}

/// `hgetallCommand` (t_hash.c, `genericHgetallCommand`): `*0` for a missing key (RESP2's empty
/// map), WRONGTYPE, else every field and value as copies.
pub(super) fn hgetall(s: &mut Server, c: &mut Client) {
    let key = arg(s, c, 1);
    let kv = match lookup_read(s, c, &key) {
        Err(()) => return,
        Ok(None) => {
            add_reply_array_len(s, c, 0);
            return;
        }
        Ok(Some(kv)) => kv,
    };
    let entries = hash_entries(s, &kv, "hash for HGETALL");
    add_reply_array_len(s, c, entries.len() * 2);
    for (f, v) in &entries {
        add_reply_bulk_cbuffer(s, c, f);
        add_reply_bulk_cbuffer(s, c, v);
    }
}
