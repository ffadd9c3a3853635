//! The command-side functions of src/object.c: `getLongLongFromObjectOrReply`,
//! `getPositiveLongFromObjectOrReply`, `tryObjectEncoding` on an argv slot, and `OBJECT
//! REFCOUNT|ENCODING` (MEMORY is in `memory`) (reply paths read in 7.2/7.4
//! trees; refcount paths @ f36ee257, object.c not being stored at the pin; not #14934 code).
//! The object model itself (headers, refcounts) is [`crate::object`].
//!
//! Invariant protected: `tryObjectEncoding` never touches an object with `refcount > 1` (a
//! reply or the keyspace may hold it), and moves the argv holder exactly once when it replaces
//! the slot's object. Main thread only.

use super::{arg, argv_obj, Client, Server, NOT_INTEGER, NOT_POSITIVE};
use crate::ledger::Holder;
use crate::networking::{add_reply_error, add_reply_null};
use crate::object::{free_payload, Cx, Encoding, ObjType, Payload, RObj, EMBSTR_SIZE_LIMIT};
use crate::util::string2ll;

/// `getLongLongFromObjectOrReply(c, argv[i], ..., NULL)`.
pub(super) fn arg_ll_or_reply(s: &mut Server, c: &mut Client, i: usize) -> Option<i64> {
    let v = string2ll(&arg(s, c, i));
    if v.is_none() {
        add_reply_error(s, c, NOT_INTEGER);
    }
    v
}

/// `getIntFromObjectOrReply(c, argv[i], &v, msg)` (`getRangeLongFromObjectOrReply` with
/// `INT_MIN..INT_MAX`): with `msg`, both a non-integer and an out-of-range value reply `msg`;
/// without, `ERR value is not an integer or out of range` and `ERR value is out of range,
/// value must between -2147483648 and 2147483647` (sic).
pub(super) fn arg_int_or_reply(
    s: &mut Server,
    c: &mut Client,
    i: usize,
    msg: Option<&str>,
) -> Option<i64> {
    let v = string2ll(&arg(s, c, i));
    let err = match v {
        None => msg.unwrap_or(NOT_INTEGER).to_string(),
        Some(v) if i32::try_from(v).is_ok() => return Some(v),
        Some(_) => msg.map_or_else(
            || {
                format!(
                    "ERR value is out of range, value must between {} and {}",
                    i32::MIN,
                    i32::MAX
                )
            },
            str::to_string,
        ),
    };
    add_reply_error(s, c, &err);
    None
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
                let no_shared = crate::evict::no_shared_integers(s);
                c.argv[i] = Some(RObj::create_from_ll_for_value(
                    cx,
                    v,
                    Holder::Argv(id),
                    no_shared,
                ));
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

/// `objectCommand` REFCOUNT (object.c): `OBJECT REFCOUNT key`, the value's count as main reads
/// it (a shared integer shows the SHARED sentinel); a missing key is a null bulk.
pub(super) fn object_refcount(s: &mut Server, c: &mut Client) {
    let key = arg(s, c, 2);
    let Some(o) = crate::db::lookup_key_notouch(s, c.db, &key) else {
        add_reply_null(s, c);
        return;
    };
    let env = s.env();
    let n = o.refcount(Cx::main(&env));
    crate::networking::add_reply_integer(s, c, i64::from(n));
}

/// `objectCommand` ENCODING (object.c, `strEncoding`): `int`, `embstr`, `raw`, `listpack` (a
/// small list or hash), `quicklist` or `hashtable`; a missing key is a null bulk.
pub(super) fn object_encoding(s: &mut Server, c: &mut Client) {
    let key = arg(s, c, 2);
    let Some(o) = crate::db::lookup_key_notouch(s, c.db, &key) else {
        add_reply_null(s, c);
        return;
    };
    let name: &[u8] = match o.encoding() {
        Encoding::Int => b"int",
        Encoding::Embstr => b"embstr",
        Encoding::Raw => b"raw",
        Encoding::Listpack => b"listpack",
        Encoding::Quicklist => b"quicklist",
        Encoding::Ht => b"hashtable",
    };
    crate::networking::add_reply_bulk_cbuffer(s, c, name);
}
