//! String commands. Mirrors src/t_string.c (not stored for 2025–26: reply paths read in 7.2/7.4
//! trees, which 8.x keeps, checked byte for byte by the differential lane; SET's 8.x order of
//! `setKeyByLink`, `setExpireByLink`, `incrRefCount(*valref)` from secondary sources quoting
//! 8.x; the keyspace primitives at the pin 059f40da): `getGenericCommand`, `setGenericCommand` and
//! `parseExtendedStringArgumentsOrReply`, `getexCommand`, `getdelCommand`, `getsetCommand`,
//! `mgetCommand`, `msetGenericCommand`, `appendCommand`, `setrangeCommand`, `strlenCommand`,
//! `incrDecrCommand` and its four callers; `setnxCommand`, `setexCommand`, `psetexCommand`,
//! `msetnxCommand` and `getrangeCommand` (also SUBSTR), added for Redis's own Tcl units.
//!
//! What matters for lifetime: GET-like replies may take a *reference* to the stored value
//! (`add_reply_bulk`); SET-like commands store the argv object itself (`setKey` consumes the
//! argv reference, then the slot takes one to the installed kvobj) and dispose of the old value
//! through `dbSetValue`; APPEND and SETRANGE edit in place only after `dbUnshareStringValue`
//! made the value private; INCR edits a private INT in place. Main thread only.
//!
//! Invariant protected: `COUNT_CONSERVATION` (each path moves the argv, keyspace and reply
//! holders exactly once) and, through `dbSetValue`, the #14738 guard.

use super::object::{arg_ll_or_reply, try_object_encoding};
use super::{
    arg, Client, Server, DECR_OVERFLOW, INCR_OVERFLOW, NOT_INTEGER, OFFSET_OUT_OF_RANGE,
    PROTO_MAX_BULK_LEN, STRING_TOO_LONG, SYNTAX_ERR, WRONGTYPE,
};
use crate::db::{
    db_add, db_generic_delete, db_set_value, db_unshare_string_value, lookup_key, remove_expire,
    set_expire, set_key,
};
use crate::ledger::{AllocKind, Holder};
use crate::networking::{
    add_reply_array_len, add_reply_bulk, add_reply_bulk_cbuffer, add_reply_error,
    add_reply_error_arity, add_reply_error_expire_time, add_reply_integer, add_reply_len,
    add_reply_null, add_reply_status,
};
use crate::object::{free_payload, new_sds, Cx, Encoding, ObjType, Payload, RObj, SHARED_INTEGERS};
use crate::util::{cstr, string2ll};

/// `checkStringLength(c, size, append)`: the result must fit `proto-max-bulk-len`.
fn check_string_length(s: &mut Server, c: &mut Client, size: u64, append: u64) -> bool {
    match size.checked_add(append) {
        Some(total) if total <= PROTO_MAX_BULK_LEN => true,
        _ => {
            add_reply_error(s, c, STRING_TOO_LONG);
            false
        }
    }
}

/// `getGenericCommand` (t_string.c): null, WRONGTYPE, or the value via `addReplyBulk` (a
/// reference when copy avoidance applies). Returns `None` on WRONGTYPE, else whether the key
/// exists.
fn get_generic(s: &mut Server, c: &mut Client, key: &[u8]) -> Option<bool> {
    match lookup_key(s, c.db, key) {
        None => {
            add_reply_null(s, c);
            Some(false)
        }
        Some(kv) if kv.otype() != ObjType::String => {
            add_reply_error(s, c, WRONGTYPE);
            None
        }
        Some(kv) => {
            add_reply_bulk(s, c, &kv);
            Some(true)
        }
    }
}

/// Store argv slot `i` at `key` (`setKeyByLink(c, db, key, &c->argv[i], flags, &link)`): the
/// argv reference is consumed (`kvobjSet`) and `*valref` names the installed kvobj, uncounted;
/// with an expire, `*valref = setExpireByLink(…)` (which may build yet another kvobj: with the
/// slot missing, `kvobjSetExpire` → `kvobjSet` steals the payload of the count-1 kvobj); only
/// then `incrRefCount(*valref)` gives the argv slot its reference. (t_string.c 8.x order, as
/// quoted from `setGenericCommand` by three independent secondary sources; t_string.c is not
/// stored at the pin or near it.)
/// `exists` is the caller's own lookup (`SETKEY_ALREADY_EXIST` / `SETKEY_DOESNT_EXIST`).
fn set_key_from_argv(
    s: &mut Server,
    c: &mut Client,
    key: &[u8],
    i: usize,
    keep_ttl: bool,
    exists: bool,
    when: Option<i64>,
) -> RObj {
    let val = c.argv[i].take().expect("argv slot");
    let id = c.id;
    let mut kv = set_key(
        s,
        c.db,
        Some(c),
        key,
        &val,
        Holder::Argv(id),
        keep_ttl,
        exists,
    );
    if !keep_ttl {
        remove_expire(s, c.db, key);
    }
    if let Some(w) = when {
        kv = set_expire(s, c.db, key, w);
    }
    let env = s.env();
    kv.incr_ref_count(Cx::main(&env), Holder::Argv(id));
    c.argv[i] = Some(kv.clone());
    kv
}

/// `dbAdd(db, key, &c->argv[i]); incrRefCount(c->argv[i])` for a key known to be missing.
fn add_from_argv(s: &mut Server, c: &mut Client, key: &[u8], i: usize) -> RObj {
    let val = c.argv[i].take().expect("argv slot");
    let id = c.id;
    let kv = db_add(s, c.db, key, &val, Holder::Argv(id));
    let env = s.env();
    kv.incr_ref_count(Cx::main(&env), Holder::Argv(id));
    c.argv[i] = Some(kv.clone());
    kv
}

/// Replace the sds of a private RAW kvobj (count 1, after `dbUnshareStringValue`) by `bytes`:
/// the model's sds is immutable, so an in-place `sdscatlen`/`sdsgrowzero` is a new sds
/// allocation and a free of the old one.
fn replace_sds_in_place(cx: Cx<'_>, kv: &RObj, bytes: &[u8]) {
    let fresh = new_sds(cx, bytes, AllocKind::Sds);
    kv.write_ptr(
        cx,
        "an in-place edit of the string (sdscatlen / sdsgrowzero)",
    );
    let old = std::mem::replace(&mut kv.hdr().payload, Payload::Raw(fresh));
    match old {
        Payload::Raw(sds) => cx.env.ledger.free(cx.tid, sds.ptr),
        other => free_payload(cx, other, kv.ptr()),
    }
}

/// `getCommand` (t_string.c).
pub(super) fn get(s: &mut Server, c: &mut Client) {
    let key = arg(s, c, 1);
    get_generic(s, c, &key);
}

/// `mgetCommand` (t_string.c): an array; a missing key or a non-string is a null bulk.
pub(super) fn mget(s: &mut Server, c: &mut Client) {
    add_reply_array_len(s, c, c.argv.len() - 1);
    for i in 1..c.argv.len() {
        let key = arg(s, c, i);
        match lookup_key(s, c.db, &key) {
            Some(kv) if kv.otype() == ObjType::String => add_reply_bulk(s, c, &kv),
            _ => add_reply_null(s, c),
        }
    }
}

/// Which of GET-like (GETEX) or SET-like (SET) commands is parsing (`COMMAND_GET`/`_SET`).
#[derive(Copy, Clone, PartialEq, Eq)]
enum ExtCmd {
    Get,
    Set,
}

/// The expire options (`OBJ_EX`, `OBJ_PX`, `OBJ_EXAT`, `OBJ_PXAT`).
#[derive(Copy, Clone, PartialEq, Eq)]
enum ExpireKind {
    Ex,
    Px,
    ExAt,
    PxAt,
}

impl ExpireKind {
    fn parse(opt: &[u8]) -> Option<Self> {
        [
            (&b"EX"[..], ExpireKind::Ex),
            (b"PX", ExpireKind::Px),
            (b"EXAT", ExpireKind::ExAt),
            (b"PXAT", ExpireKind::PxAt),
        ]
        .into_iter()
        .find(|(name, _)| opt.eq_ignore_ascii_case(name))
        .map(|(_, kind)| kind)
    }

    fn seconds(self) -> bool {
        matches!(self, ExpireKind::Ex | ExpireKind::ExAt)
    }

    fn relative(self) -> bool {
        matches!(self, ExpireKind::Ex | ExpireKind::Px)
    }
}

/// The flags `parseExtendedStringArgumentsOrReply` collects; `expire` is the kind and the
/// argv index of its value.
#[derive(Default)]
struct ExtArgs {
    nx: bool,
    xx: bool,
    get: bool,
    keepttl: bool,
    persist: bool,
    expire: Option<(ExpireKind, usize)>,
}

/// `parseExtendedStringArgumentsOrReply` (t_string.c): options start at argv[3] (SET) or
/// argv[2] (GETEX). An option is compared as a C string, case-insensitively. The same option
/// may repeat (the last expire value wins); NX/XX exclude each other; an expire kind excludes
/// the other kinds, KEEPTTL and PERSIST; NX, XX, GET, KEEPTTL are SET-only, PERSIST GETEX-only;
/// an expire option needs a following argument. Anything else: `ERR syntax error`.
fn parse_extended_string_args(s: &mut Server, c: &mut Client, ty: ExtCmd) -> Option<ExtArgs> {
    let mut f = ExtArgs::default();
    let argc = c.argv.len();
    let mut j = if ty == ExtCmd::Get { 2 } else { 3 };
    while j < argc {
        let raw = arg(s, c, j);
        let opt = cstr(&raw);
        let next = j + 1 < argc;
        let is = |name: &[u8]| opt.eq_ignore_ascii_case(name);
        let set = ty == ExtCmd::Set;
        if is(b"NX") && !f.xx && set {
            f.nx = true;
        } else if is(b"XX") && !f.nx && set {
            f.xx = true;
        } else if is(b"GET") && set {
            f.get = true;
        } else if is(b"KEEPTTL") && !f.persist && f.expire.is_none() && set {
            f.keepttl = true;
        } else if is(b"PERSIST") && !set && f.expire.is_none() && !f.keepttl {
            f.persist = true;
        } else if let Some(kind) = ExpireKind::parse(opt).filter(|k| {
            // The same kind may repeat (the last value wins); kinds exclude each other.
            !f.keepttl && !f.persist && next && f.expire.is_none_or(|(e, _)| e == *k)
        }) {
            f.expire = Some((kind, j + 1));
            j += 1;
        } else {
            add_reply_error(s, c, SYNTAX_ERR);
            return None;
        }
        j += 1;
    }
    Some(f)
}

/// `getExpireMillisecondsOrReply` (t_string.c): the expire argument as an absolute unix time
/// in ms. Not an integer: `ERR value is not an integer or out of range`; ≤ 0, a seconds value
/// whose ×1000 overflows, or a relative value whose sum with now overflows:
/// `ERR invalid expire time in '<fullname>' command`.
fn expire_ms_or_reply(
    s: &mut Server,
    c: &mut Client,
    (kind, idx): (ExpireKind, usize),
    fullname: &str,
) -> Option<i64> {
    let n = arg_ll_or_reply(s, c, idx)?;
    let (seconds, relative) = (kind.seconds(), kind.relative());
    let ms = if n <= 0 {
        None
    } else if seconds {
        n.checked_mul(1000)
    } else {
        Some(n)
    };
    let when = ms
        .and_then(|ms| {
            if relative {
                ms.checked_add(s.now_ms)
            } else {
                Some(ms)
            }
        })
        .filter(|&w| w > 0);
    if when.is_none() {
        add_reply_error_expire_time(s, c, fullname);
    }
    when
}

/// `setCommand` + `setGenericCommand` (t_string.c):
/// `SET key value [NX|XX] [GET] [EX s|PX ms|EXAT unix-s|PXAT unix-ms|KEEPTTL]`.
///
/// Order: option syntax (`ERR syntax error`), `tryObjectEncoding` of the value, the expire
/// value (see [`expire_ms_or_reply`]), then GET's reply (null / WRONGTYPE, which aborts / a
/// reference to the old value taken **before** the overwrite), then NX/XX (`$-1` unless GET),
/// then `setKeyByLink` (KEEPTTL when an expire follows), `setExpireByLink`, and only then the
/// argv slot's `incrRefCount` (see [`set_key_from_argv`]); `+OK` unless GET. An EXAT/PXAT in the past still stores the key with that expire (it is reclaimed
/// lazily); Redis does the same.
pub(super) fn set(s: &mut Server, c: &mut Client) {
    let Some(f) = parse_extended_string_args(s, c, ExtCmd::Set) else {
        return;
    };
    try_object_encoding(s, c, 2);
    let key = arg(s, c, 1);
    let when = match f.expire {
        Some(e) => match expire_ms_or_reply(s, c, e, "set") {
            Some(w) => Some(w),
            None => return,
        },
        None => None,
    };
    let found = if f.get {
        match get_generic(s, c, &key) {
            Some(found) => found,
            None => return,
        }
    } else {
        lookup_key(s, c.db, &key).is_some()
    };
    if (f.nx && found) || (f.xx && !found) {
        if !f.get {
            add_reply_null(s, c);
        }
        return;
    }
    set_key_from_argv(s, c, &key, 2, f.keepttl || when.is_some(), found, when);
    if !f.get {
        add_reply_status(s, c, "OK");
    }
}

/// `getdelCommand` (t_string.c): reply (maybe a reference), then `dbSyncDelete` — always
/// synchronous, whatever the lazyfree knobs say.
pub(super) fn getdel(s: &mut Server, c: &mut Client) {
    let key = arg(s, c, 1);
    if get_generic(s, c, &key) == Some(true) {
        db_generic_delete(s, c.db, &key, false);
    }
}

/// `getexCommand` (t_string.c): `GETEX key [EX s|PX ms|EXAT unix-s|PXAT unix-ms|PERSIST]`.
///
/// Order: option syntax, then the key (null / WRONGTYPE), then the expire value (so a missing
/// key with a bad expire replies null), then the reply (a reference taken before the expire
/// change), then: EXAT/PXAT at or before now deletes the key (`lazyfree-lazy-expire`); another
/// expire goes through `setExpire` (`kvobjSetExpire` may duplicate a value a reply references);
/// PERSIST removes the TTL.
pub(super) fn getex(s: &mut Server, c: &mut Client) {
    let Some(f) = parse_extended_string_args(s, c, ExtCmd::Get) else {
        return;
    };
    let key = arg(s, c, 1);
    let Some(kv) = lookup_key(s, c.db, &key) else {
        add_reply_null(s, c);
        return;
    };
    if kv.otype() != ObjType::String {
        add_reply_error(s, c, WRONGTYPE);
        return;
    }
    let when = match f.expire {
        Some(e) => match expire_ms_or_reply(s, c, e, "getex") {
            Some(w) => Some(w),
            None => return,
        },
        None => None,
    };
    add_reply_bulk(s, c, &kv);
    match when {
        Some(w) if f.expire.is_some_and(|(k, _)| !k.relative()) && w <= s.now_ms => {
            let lazy = s.cfg.lazyfree_lazy_expire;
            db_generic_delete(s, c.db, &key, lazy);
        }
        Some(w) => {
            set_expire(s, c.db, &key, w);
        }
        None if f.persist => {
            remove_expire(s, c.db, &key);
        }
        None => {}
    }
}

/// `getsetCommand` (t_string.c): GET's reply first — it may take a reference to the old value
/// — then `tryObjectEncoding` and `setKey` without KEEPTTL (the TTL is dropped). The order
/// matters: the overwrite then sees the old value with count 2 and must not hand it to an IO
/// thread (#14738).
pub(super) fn getset(s: &mut Server, c: &mut Client) {
    let key = arg(s, c, 1);
    let Some(found) = get_generic(s, c, &key) else {
        return;
    };
    try_object_encoding(s, c, 2);
    set_key_from_argv(s, c, &key, 2, false, found, None);
}

/// `msetCommand` / `msetGenericCommand(c, 0)` (t_string.c): an even argc is
/// `wrong number of arguments for 'mset' command`; each pair is `tryObjectEncoding` +
/// `setKey` (TTL dropped), in order, so a repeated key keeps the last value; `+OK`.
pub(super) fn mset(s: &mut Server, c: &mut Client) {
    let argc = c.argv.len();
    if (argc & 1) == 0 {
        add_reply_error_arity(s, c, "mset");
        return;
    }
    let mut j = 1;
    while j + 1 < argc {
        try_object_encoding(s, c, j + 1);
        let key = arg(s, c, j);
        let exists = lookup_key(s, c.db, &key).is_some();
        set_key_from_argv(s, c, &key, j + 1, false, exists, None);
        j += 2;
    }
    add_reply_status(s, c, "OK");
}

/// `appendCommand` (t_string.c): a missing key is added from argv[2] (`tryObjectEncoding`,
/// `dbAdd`, the argv slot takes a reference to the kvobj); an existing string is checked
/// against `proto-max-bulk-len` (`ERR string exceeds maximum allowed size
/// (proto-max-bulk-len)`), made private RAW by `dbUnshareStringValue` (a referenced, shared,
/// INT or EMBSTR value is replaced by a fresh RAW copy), then grown in place. Replies the new
/// length; WRONGTYPE for a non-string.
pub(super) fn append(s: &mut Server, c: &mut Client) {
    let key = arg(s, c, 1);
    let env = s.env();
    let cx = Cx::main(&env);
    let totlen = match lookup_key(s, c.db, &key) {
        None => {
            try_object_encoding(s, c, 2);
            let kv = add_from_argv(s, c, &key, 2);
            kv.string_len(cx)
        }
        Some(kv) if kv.otype() != ObjType::String => {
            add_reply_error(s, c, WRONGTYPE);
            return;
        }
        Some(kv) => {
            let tail = arg(s, c, 2);
            let olen = kv.string_len(cx) as u64;
            if !check_string_length(s, c, olen, tail.len() as u64) {
                return;
            }
            let kv = db_unshare_string_value(s, c.db, Some(c), &key, kv);
            let old = kv.string_bytes(cx, "string for APPEND");
            let mut bytes = Vec::with_capacity(old.len() + tail.len());
            bytes.extend_from_slice(&old);
            bytes.extend_from_slice(&tail);
            replace_sds_in_place(cx, &kv, &bytes);
            bytes.len()
        }
    };
    add_reply_len(s, c, totlen);
}

/// `setrangeCommand` (t_string.c): the offset must be an integer (`ERR value is not an integer
/// or out of range`) and ≥ 0 (`ERR offset is out of range`). Missing key: an empty value
/// replies `:0`, else the zero-padded string is added. Existing string: an empty value
/// replies the current length; otherwise the length check, `dbUnshareStringValue`, then the
/// in-place overwrite (growing with zeros). Replies the new length; WRONGTYPE for a non-string.
pub(super) fn setrange(s: &mut Server, c: &mut Client) {
    let Some(offset) = arg_ll_or_reply(s, c, 2) else {
        return;
    };
    if offset < 0 {
        add_reply_error(s, c, OFFSET_OUT_OF_RANGE);
        return;
    }
    let offset_u = offset as u64;
    let value = arg(s, c, 3);
    let key = arg(s, c, 1);
    let env = s.env();
    let cx = Cx::main(&env);
    let newlen = match lookup_key(s, c.db, &key) {
        None => {
            if value.is_empty() {
                add_reply_integer(s, c, 0);
                return;
            }
            if !check_string_length(s, c, offset_u, value.len() as u64) {
                return;
            }
            let Ok(off) = usize::try_from(offset_u) else {
                add_reply_error(s, c, STRING_TOO_LONG);
                return;
            };
            let mut bytes = vec![0u8; off];
            bytes.extend_from_slice(&value);
            let o = RObj::create_raw_string(cx, &bytes, Holder::Temp);
            db_add(s, c.db, &key, &o, Holder::Temp);
            bytes.len()
        }
        Some(kv) if kv.otype() != ObjType::String => {
            add_reply_error(s, c, WRONGTYPE);
            return;
        }
        Some(kv) => {
            let olen = kv.string_len(cx);
            if value.is_empty() {
                add_reply_len(s, c, olen);
                return;
            }
            if !check_string_length(s, c, offset_u, value.len() as u64) {
                return;
            }
            let Ok(off) = usize::try_from(offset_u) else {
                add_reply_error(s, c, STRING_TOO_LONG);
                return;
            };
            let kv = db_unshare_string_value(s, c.db, Some(c), &key, kv);
            let mut bytes = kv.string_bytes(cx, "string for SETRANGE").to_vec();
            let end = off + value.len();
            if bytes.len() < end {
                bytes.resize(end, 0);
            }
            bytes[off..end].copy_from_slice(&value);
            replace_sds_in_place(cx, &kv, &bytes);
            bytes.len()
        }
    };
    add_reply_len(s, c, newlen);
}

/// `strlenCommand` (t_string.c): `:0` for a missing key, WRONGTYPE, else the length (the digit
/// count for an INT value).
pub(super) fn strlen(s: &mut Server, c: &mut Client) {
    let key = arg(s, c, 1);
    match lookup_key(s, c.db, &key) {
        None => add_reply_integer(s, c, 0),
        Some(kv) if kv.otype() != ObjType::String => add_reply_error(s, c, WRONGTYPE),
        Some(kv) => {
            let env = s.env();
            let n = kv.string_len(Cx::main(&env));
            add_reply_len(s, c, n);
        }
    }
}

/// `incrDecrCommand` (t_string.c): WRONGTYPE; a value that is not a `long long`:
/// `ERR value is not an integer or out of range`; overflow: `ERR increment or decrement would
/// overflow`. The value is edited in place only when the kvobj is private (count 1), INT
/// encoded and the result is outside the shared-integer range; otherwise a new object
/// (`createStringObjectFromLongLongForValue`: a shared integer for 0..9999) replaces it with
/// `dbReplaceValue` (TTL kept) or is added with `dbAdd`. Replies the new value.
fn incr_decr(s: &mut Server, c: &mut Client, incr: i64) {
    let key = arg(s, c, 1);
    let o = lookup_key(s, c.db, &key);
    if o.as_ref().is_some_and(|kv| kv.otype() != ObjType::String) {
        add_reply_error(s, c, WRONGTYPE);
        return;
    }
    let env = s.env();
    let cx = Cx::main(&env);
    let old = match &o {
        None => Some(0),
        Some(kv) => string2ll(&kv.string_bytes(cx, "value for incrDecrCommand")),
    };
    let Some(old) = old else {
        add_reply_error(s, c, NOT_INTEGER);
        return;
    };
    let Some(value) = old.checked_add(incr) else {
        add_reply_error(s, c, INCR_OVERFLOW);
        return;
    };
    match o {
        Some(kv)
            if kv.refcount(cx) == 1
                && kv.encoding() == Encoding::Int
                && !(0..SHARED_INTEGERS).contains(&value) =>
        {
            kv.write_ptr(cx, "INCR editing the INT in place");
            kv.hdr().payload = Payload::Int(value);
        }
        Some(_) => {
            let new = RObj::create_from_ll(cx, value, Holder::Temp);
            db_set_value(s, c.db, Some(c), &key, &new, Holder::Temp, true);
        }
        None => {
            let new = RObj::create_from_ll(cx, value, Holder::Temp);
            db_add(s, c.db, &key, &new, Holder::Temp);
        }
    }
    add_reply_integer(s, c, value);
}

/// `incrCommand` (t_string.c).
pub(super) fn incr(s: &mut Server, c: &mut Client) {
    incr_decr(s, c, 1);
}

/// `decrCommand` (t_string.c).
pub(super) fn decr(s: &mut Server, c: &mut Client) {
    incr_decr(s, c, -1);
}

/// `incrbyCommand` (t_string.c): the increment is parsed before the key is looked up.
pub(super) fn incrby(s: &mut Server, c: &mut Client) {
    if let Some(n) = arg_ll_or_reply(s, c, 2) {
        incr_decr(s, c, n);
    }
}

/// `decrbyCommand` (t_string.c): `LLONG_MIN` cannot be negated: `ERR decrement would
/// overflow` (before the key is looked up).
pub(super) fn decrby(s: &mut Server, c: &mut Client) {
    let Some(n) = arg_ll_or_reply(s, c, 2) else {
        return;
    };
    match n.checked_neg() {
        Some(neg) => incr_decr(s, c, neg),
        None => add_reply_error(s, c, DECR_OVERFLOW),
    }
}

/// `setnxCommand` (t_string.c): `tryObjectEncoding`, then `setGenericCommand` with NX and the
/// replies `:1` (set) / `:0` (the key exists; nothing changes).
pub(super) fn setnx(s: &mut Server, c: &mut Client) {
    try_object_encoding(s, c, 2);
    let key = arg(s, c, 1);
    if lookup_key(s, c.db, &key).is_some() {
        add_reply_integer(s, c, 0);
        return;
    }
    set_key_from_argv(s, c, &key, 2, false, false, None);
    add_reply_integer(s, c, 1);
}

/// `setexCommand` / `psetexCommand` (t_string.c): `tryObjectEncoding` of the value, the expire
/// (`ERR value is not an integer or out of range`, `ERR invalid expire time in '<name>'
/// command`), then `setGenericCommand`'s order: `setKey` keeping the TTL, `setExpire`, then
/// the argv slot's reference ([`set_key_from_argv`]); `+OK`.
fn setex_generic(s: &mut Server, c: &mut Client, seconds: bool, fullname: &str) {
    try_object_encoding(s, c, 3);
    let kind = if seconds {
        ExpireKind::Ex
    } else {
        ExpireKind::Px
    };
    let Some(when) = expire_ms_or_reply(s, c, (kind, 2), fullname) else {
        return;
    };
    let key = arg(s, c, 1);
    let found = lookup_key(s, c.db, &key).is_some();
    set_key_from_argv(s, c, &key, 3, true, found, Some(when));
    add_reply_status(s, c, "OK");
}

/// `setexCommand`: `SETEX key seconds value`.
pub(super) fn setex(s: &mut Server, c: &mut Client) {
    setex_generic(s, c, true, "setex");
}

/// `psetexCommand`: `PSETEX key milliseconds value`.
pub(super) fn psetex(s: &mut Server, c: &mut Client) {
    setex_generic(s, c, false, "psetex");
}

/// `msetnxCommand` / `msetGenericCommand(c, 1)` (t_string.c): an even argc is
/// `wrong number of arguments for 'msetnx' command`; `:0` when any key exists (nothing is
/// set), else every pair is stored as MSET does (a repeated key keeps the last value) and `:1`.
pub(super) fn msetnx(s: &mut Server, c: &mut Client) {
    let argc = c.argv.len();
    if (argc & 1) == 0 {
        add_reply_error_arity(s, c, "msetnx");
        return;
    }
    let mut j = 1;
    while j < argc {
        let key = arg(s, c, j);
        if lookup_key(s, c.db, &key).is_some() {
            add_reply_integer(s, c, 0);
            return;
        }
        j += 2;
    }
    let mut j = 1;
    while j + 1 < argc {
        try_object_encoding(s, c, j + 1);
        let key = arg(s, c, j);
        let exists = lookup_key(s, c.db, &key).is_some();
        set_key_from_argv(s, c, &key, j + 1, false, exists, None);
        j += 2;
    }
    add_reply_integer(s, c, 1);
}

/// `getrangeCommand` (t_string.c), also SUBSTR: `GETRANGE key start end`. The indexes first
/// (`ERR value is not an integer or out of range`), then the key (missing: an empty bulk;
/// WRONGTYPE), then Redis's clamping: both negative with start > end is empty; negatives count
/// from the end and stop at 0; end stops at the last byte; start > end or an empty string is
/// empty. The reply is a copy (`addReplyBulkCBuffer`), never a reference.
pub(super) fn getrange(s: &mut Server, c: &mut Client) {
    let Some(mut start) = arg_ll_or_reply(s, c, 2) else {
        return;
    };
    let Some(mut end) = arg_ll_or_reply(s, c, 3) else {
        return;
    };
    let key = arg(s, c, 1);
    let Some(kv) = lookup_key(s, c.db, &key) else {
        add_reply_empty_bulk(s, c);
        return;
    };
    if kv.otype() != ObjType::String {
        add_reply_error(s, c, WRONGTYPE);
        return;
    }
    let env = s.env();
    let bytes = kv.string_bytes(Cx::main(&env), "string for GETRANGE");
    let len = bytes.len() as i64;
    if start < 0 && end < 0 && start > end {
        add_reply_empty_bulk(s, c);
        return;
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        add_reply_empty_bulk(s, c);
    } else {
        add_reply_bulk_cbuffer(s, c, &bytes[start as usize..=end as usize]);
    }
}

/// `shared.emptybulk`: `$0\r\n\r\n`.
fn add_reply_empty_bulk(s: &mut Server, c: &mut Client) {
    add_reply_bulk_cbuffer(s, c, b"");
}
