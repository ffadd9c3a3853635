//! The command-side functions of src/object.c: `getLongLongFromObjectOrReply`,
//! `getPositiveLongFromObjectOrReply`, `tryObjectEncoding` on an argv slot, and the `USAGE`
//! branch of `memoryCommand`, and `OBJECT REFCOUNT|ENCODING` (reply paths read in 7.2/7.4
//! trees; refcount paths @ f36ee257, object.c not being stored at the pin; not #14934 code).
//! The object model itself (headers, refcounts) is [`crate::object`].
//!
//! Invariant protected: `tryObjectEncoding` never touches an object with `refcount > 1` (a
//! reply or the keyspace may hold it), and moves the argv holder exactly once when it replaces
//! the slot's object. Main thread only.

use super::{arg, argv_obj, Client, Server, NOT_INTEGER, NOT_POSITIVE, SYNTAX_ERR};
use crate::ledger::{Holder, Tid};
use crate::networking::{add_reply_error, add_reply_len, add_reply_null};
use crate::object::{free_payload, Cx, Encoding, ObjType, Payload, RObj, EMBSTR_SIZE_LIMIT};
use crate::util::{cstr, string2ll};

/// `getLongLongFromObjectOrReply(c, argv[i], ..., NULL)`.
pub(super) fn arg_ll_or_reply(s: &mut Server, c: &mut Client, i: usize) -> Option<i64> {
    let v = string2ll(&arg(s, c, i));
    if v.is_none() {
        add_reply_error(s, c, NOT_INTEGER);
    }
    v
}

/// `getPositiveLongFromObjectOrReply(c, argv[i], ..., NULL)`: it passes its range message down
/// to the integer parse, so a non-integer also gets `ERR value is out of range, must be
/// positive`.
pub(super) fn arg_positive_or_reply(s: &mut Server, c: &mut Client, i: usize) -> Option<i64> {
    match string2ll(&arg(s, c, i)) {
        Some(v) if v >= 0 => Some(v),
        _ => {
            add_reply_error(s, c, NOT_POSITIVE);
            None
        }
    }
}

/// `tryObjectEncoding(c->argv[i])` (`tryObjectEncodingEx`, object.c @ f36ee257, off=16000; not
/// part of #14934): an argv string of ≤ 20 bytes that parses as a `long` becomes INT — a RAW
/// one **in place** (its sds freed, the header's encoding and `ptr` rewritten), an EMBSTR one
/// by `createStringObjectFromLongLongForValue` (`shared.integers[v]` for 0..9999, else a new
/// INT object); a RAW string of ≤ 44 bytes becomes EMBSTR. Never touches an object with
/// `refcount > 1`. (`trimStringObjectIfNeeded` is not modelled: it only reallocates a large
/// sds smaller.)
pub(super) fn try_object_encoding(s: &mut Server, c: &mut Client, i: usize) {
    let o = argv_obj(c, i);
    let enc = o.encoding();
    if o.otype() != ObjType::String || !matches!(enc, Encoding::Raw | Encoding::Embstr) {
        return;
    }
    let env = s.env();
    let cx = Cx::main(&env);
    if o.refcount(cx) > 1 {
        return;
    }
    let bytes = o.string_bytes(cx, "value for tryObjectEncoding");
    let id = c.id;
    if bytes.len() <= 20 {
        if let Some(v) = string2ll(&bytes) {
            if enc == Encoding::Raw {
                o.write_ptr(cx, "tryObjectEncoding converting in place");
                let old = std::mem::replace(&mut o.hdr().payload, Payload::Int(v));
                o.set_encoding(cx, Encoding::Int, "tryObjectEncoding converting in place");
                free_payload(cx, old, o.ptr());
            } else {
                o.decr_ref_count(cx, Holder::Argv(id));
                c.argv[i] = Some(RObj::create_from_ll(cx, v, Holder::Argv(id)));
            }
            return;
        }
    }
    if bytes.len() <= EMBSTR_SIZE_LIMIT && enc == Encoding::Raw {
        let emb = RObj::create_embstr(cx, &bytes, Holder::Argv(id));
        o.decr_ref_count(cx, Holder::Argv(id));
        c.argv[i] = Some(emb);
    }
}

/// `memoryCommand` `USAGE` branch (object.c): `MEMORY USAGE key [SAMPLES count]`. `SAMPLES`
/// (C-string, case-insensitive) needs a following integer (`ERR value is not an integer or
/// out of range`) ≥ 0; anything else, or a negative count, is `ERR syntax error`. The key is
/// found without lazy expiry (`dbFind`); missing: `$-1`.
///
/// The number is the **model's**, not jemalloc's: the bytes the ledger allocates for the kvobj
/// (16-byte header + embedded key `3 + len + 1`, + 8 with an expire slot, + an embedded
/// EMBSTR `3 + len + 1`) plus its separate sds (`3 + len + 1`) or list nodes (each its `node->sz`). No
/// allocator rounding, dict overhead or sampling.
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
    let usage = {
        let h = kv.hdr();
        let sds = |len: usize| 3 + len + 1;
        let mut n = crate::object::HEADER_SIZE + sds(key.len());
        if h.has_expire_slot {
            n += 8;
        }
        match &h.payload {
            Payload::Emb(b) => n += sds(b.len()),
            Payload::Raw(x) => n += sds(x.data.len()),
            Payload::List(nodes) => n += nodes.iter().map(|x| x.sz()).sum::<usize>(),
            Payload::Null | Payload::Int(_) => {}
        }
        n
    };
    add_reply_len(s, c, usage);
}

/// `objectCommand` REFCOUNT (object.c): `OBJECT REFCOUNT key`, the value's count as main reads
/// it (a shared integer shows the SHARED sentinel); a missing key is a null bulk.
pub(super) fn object_refcount(s: &mut Server, c: &mut Client) {
    let key = arg(s, c, 2);
    let Some(o) = crate::db::lookup_key(s, c.db, &key) else {
        add_reply_null(s, c);
        return;
    };
    let env = s.env();
    let n = o.refcount(Cx::main(&env));
    crate::networking::add_reply_integer(s, c, i64::from(n));
}

/// `objectCommand` ENCODING (object.c, `strEncoding`): `int`, `embstr`, `raw`, `listpack` (a
/// small list) or `quicklist`; a missing key is a null bulk.
pub(super) fn object_encoding(s: &mut Server, c: &mut Client) {
    let key = arg(s, c, 2);
    let Some(o) = crate::db::lookup_key(s, c.db, &key) else {
        add_reply_null(s, c);
        return;
    };
    let name: &[u8] = match o.encoding() {
        Encoding::Int => b"int",
        Encoding::Embstr => b"embstr",
        Encoding::Raw => b"raw",
        Encoding::Listpack => b"listpack",
        Encoding::Quicklist => b"quicklist",
    };
    crate::networking::add_reply_bulk_cbuffer(s, c, name);
}
