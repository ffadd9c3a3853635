//! Expire commands and the active expire cycle. Mirrors src/expire.c (`activeExpireCycle`;
//! `expireGenericCommand` with
//! `parseExtendedExpireArgumentsOrReply`, `ttlGenericCommand`, `persistCommand`; expire.c is
//! not stored for 2025–26: reply paths read in 7.2/7.4 trees, which 8.x keeps, checked by the
//! differential lane; `setExpire` / `removeExpire` are db.c's, at the pin 059f40da).
//!
//! What matters for lifetime: a time at or before now deletes the key (per
//! `lazyfree-lazy-expire`); any other goes through `setExpire`, whose `kvobjSetExpire` may
//! duplicate a value a reply still references (see [`crate::db::set_expire`]). Main thread only.

use super::object::arg_ll_or_reply;
use super::{arg, Client, Server, EXPIRE_GT_LT_INCOMPATIBLE, EXPIRE_NX_INCOMPATIBLE};
use crate::config::Fault;
use crate::db::{db_generic_delete, lookup_key, set_expire};
use crate::networking::{
    add_reply_error, add_reply_error_expire_time, add_reply_error_format, add_reply_integer,
};
use crate::util::cstr;

/// `expireGenericCommand(c, now, unit)` + `parseExtendedExpireArgumentsOrReply` (expire.c).
///
/// Order: the options (C-string, case-insensitive NX|XX|GT|LT; anything else
/// `ERR Unsupported option <opt>`; then `ERR NX and XX, GT or LT options at the same time are
/// not compatible` and `ERR GT and LT options at the same time are not compatible`), then the
/// integer (`ERR value is not an integer or out of range`), then overflow of ×1000 or +now
/// (`ERR invalid expire time in '<name>' command`), then the key (`:0` if missing), then the
/// NX/XX/GT/LT gates (`:0`; no TTL counts as infinite), then: a time at or before now deletes
/// the key (`lazyfree-lazy-expire`), else `setExpire`; `:1`.
fn expire_generic(s: &mut Server, c: &mut Client, unit_ms: i64, name: &str) {
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for j in 3..c.argv.len() {
        let raw = arg(s, c, j);
        let opt = cstr(&raw);
        if opt.eq_ignore_ascii_case(b"nx") {
            nx = true;
        } else if opt.eq_ignore_ascii_case(b"xx") {
            xx = true;
        } else if opt.eq_ignore_ascii_case(b"gt") {
            gt = true;
        } else if opt.eq_ignore_ascii_case(b"lt") {
            lt = true;
        } else {
            let mut msg = b"Unsupported option ".to_vec();
            msg.extend_from_slice(opt);
            add_reply_error_format(s, c, &msg);
            return;
        }
    }
    if nx && (xx || gt || lt) {
        add_reply_error(s, c, EXPIRE_NX_INCOMPATIBLE);
        return;
    }
    if gt && lt {
        add_reply_error(s, c, EXPIRE_GT_LT_INCOMPATIBLE);
        return;
    }
    let Some(n) = arg_ll_or_reply(s, c, 2) else {
        return;
    };
    let Some(when) = n
        .checked_mul(unit_ms)
        .and_then(|ms| ms.checked_add(s.now_ms))
    else {
        add_reply_error_expire_time(s, c, name);
        return;
    };
    let key = arg(s, c, 1);
    let Some(kv) = lookup_key(s, c.db, &key) else {
        add_reply_integer(s, c, 0);
        return;
    };
    let current = kv.hdr().expire;
    let refused = (nx && current.is_some())
        || (xx && current.is_none())
        || (gt && current.is_none_or(|t| when <= t))
        || (lt && current.is_some_and(|t| when >= t));
    if refused {
        add_reply_integer(s, c, 0);
        return;
    }
    if when <= s.now_ms {
        let lazy = s.cfg.lazyfree_lazy_expire;
        db_generic_delete(s, c.db, &key, lazy);
    } else {
        set_expire(s, c.db, &key, when);
    }
    add_reply_integer(s, c, 1);
}

/// `expireCommand` (expire.c).
pub(super) fn expire(s: &mut Server, c: &mut Client) {
    expire_generic(s, c, 1000, "expire");
}

/// `pexpireCommand` (expire.c).
pub(super) fn pexpire(s: &mut Server, c: &mut Client) {
    expire_generic(s, c, 1, "pexpire");
}

/// `ttlGenericCommand(c, output_ms, 0)` (expire.c): `-2` missing key, `-1` no TTL, else the
/// remaining time (never below 0), in seconds rounded to nearest (`(ttl+500)/1000`) or ms.
fn ttl_generic(s: &mut Server, c: &mut Client, output_ms: bool) {
    let key = arg(s, c, 1);
    let Some(kv) = lookup_key(s, c.db, &key) else {
        add_reply_integer(s, c, -2);
        return;
    };
    let expire = kv.hdr().expire;
    match expire {
        None => add_reply_integer(s, c, -1),
        Some(t) => {
            let ttl = t.saturating_sub(s.now_ms).max(0);
            let v = if output_ms {
                ttl
            } else {
                ttl.saturating_add(500) / 1000
            };
            add_reply_integer(s, c, v);
        }
    }
}

/// `ttlCommand` (expire.c).
pub(super) fn ttl(s: &mut Server, c: &mut Client) {
    ttl_generic(s, c, false);
}

/// `pttlCommand` (expire.c).
pub(super) fn pttl(s: &mut Server, c: &mut Client) {
    ttl_generic(s, c, true);
}

/// `persistCommand` (expire.c): `:1` if a TTL was removed, else `:0` (also for a missing key).
pub(super) fn persist(s: &mut Server, c: &mut Client) {
    let key = arg(s, c, 1);
    let removed = lookup_key(s, c.db, &key).is_some_and(|kv| kv.hdr().expire.take().is_some());
    add_reply_integer(s, c, i64::from(removed));
}

/// `activeExpireCycle` + `activeExpireCycleTryExpire` (expire.c; stored only in a 6.x copy,
/// 8f9958dc, whose lifetime step 8.x keeps through `deleteExpiredKeyAndPropagate` → db.c's
/// `dbGenericDelete` at the pin): main's cron reclaims every key whose time has passed
/// (`now > when`), deleting it as `lazyfree-lazy-expire` says (`freeObjAsync`, else
/// `decrRefCount`, on main). A value a pending reply references keeps the reply's reference.
/// [`Fault::ExpireFreesShared`] frees such a value outright. Returns the keys reclaimed.
///
/// Simplified: Redis samples 20 keys per database loop with time and effort limits
/// (`CRON_DBS_PER_CALL` databases a call); the model's keyspaces are small, so one cycle checks
/// every key with an expire of every database (in key order).
pub fn active_expire_cycle(s: &mut Server) -> usize {
    let now = s.now_ms;
    let mut reclaimed = 0;
    for db in 0..s.db.len() {
        let mut due: Vec<Vec<u8>> = s.db[db]
            .dict
            .iter()
            .filter(|(_, kv)| kv.hdr().expire.is_some_and(|t| now > t))
            .map(|(k, _)| k.clone())
            .collect();
        due.sort();
        for key in &due {
            if s.env.cfg.fault(Fault::ExpireFreesShared) {
                // The fault: the expired value is freed whatever its count.
                if let Some(kv) = s.db[db].dict.remove(key) {
                    let env = s.env();
                    kv.free(crate::object::Cx::main(&env));
                }
                continue;
            }
            let lazy = s.cfg.lazyfree_lazy_expire;
            db_generic_delete(s, db, key, lazy);
        }
        reclaimed += due.len();
    }
    reclaimed
}
