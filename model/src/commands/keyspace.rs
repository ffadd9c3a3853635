//! Keyspace commands. Mirrors the commands of src/db.c (`delGenericCommand`, `existsCommand`,
//! `dbsizeCommand`, `flushallCommand`/`flushdbCommand` with `getFlushCommandFlags`,
//! `renameGenericCommand`; reply paths read in 7.2/7.4 trees, RENAME's lifetime steps at the
//! pin 059f40da). The keyspace
//! primitives they call (`lookupKey`, `dbGenericDelete`, `emptyData`) are in [`crate::db`].
//!
//! What matters for lifetime: which lazyfree knob each deletion follows (DEL:
//! `lazyfree-lazy-user-del`, UNLINK: always lazy, FLUSH: `lazyfree-lazy-user-flush` or its
//! option, RENAME's implicit deletes: `lazyfree-lazy-server-del`), and RENAME's retain/delete
//! order, where #4601 sent an object with count 2 to BIO. Main thread only.

use super::{arg, Client, Server, NO_SUCH_KEY, SYNTAX_ERR};
use crate::coverage::Event;
use crate::db::{db_generic_delete, empty_data, kvobj_set, lookup_key};
use crate::ledger::Holder;
use crate::networking::{add_reply_error, add_reply_integer, add_reply_len, add_reply_status};
use crate::object::Cx;
use crate::util::cstr;

/// `delGenericCommand(c, lazy)` (db.c): keys that are missing or expired do not count.
fn del_generic(s: &mut Server, c: &mut Client, lazy: bool) {
    let mut n = 0;
    for i in 1..c.argv.len() {
        let key = arg(s, c, i);
        if lookup_key(s, c.db, &key).is_some() && db_generic_delete(s, c.db, &key, lazy) {
            n += 1;
        }
    }
    add_reply_integer(s, c, n);
}

/// `delCommand` (db.c): `delGenericCommand(c, lazyfree-lazy-user-del)`; replies the number of
/// keys removed (an expired key counts as missing).
pub(super) fn del(s: &mut Server, c: &mut Client) {
    let lazy = s.cfg.lazyfree_lazy_user_del;
    del_generic(s, c, lazy);
}

/// `unlinkCommand` (db.c): always lazy (`dbAsyncDelete`).
pub(super) fn unlink(s: &mut Server, c: &mut Client) {
    del_generic(s, c, true);
}

/// `existsCommand` (db.c): counts each argument, so a repeated key counts twice.
pub(super) fn exists(s: &mut Server, c: &mut Client) {
    let mut n = 0;
    for i in 1..c.argv.len() {
        let key = arg(s, c, i);
        if lookup_key(s, c.db, &key).is_some() {
            n += 1;
        }
    }
    add_reply_integer(s, c, n);
}

/// `dbsizeCommand` (db.c): the dict size, which (as in Redis) includes keys that are logically
/// expired but not yet reclaimed.
pub(super) fn dbsize(s: &mut Server, c: &mut Client) {
    let n = s.db[c.db].dict.len();
    add_reply_len(s, c, n);
}

/// `flushallCommand` / `flushdbCommand` + `getFlushCommandFlags` + `flushCommandCommon` (db.c @
/// 059f40da, off=32000–48000): `[SYNC|ASYNC]` (C-string, case-insensitive); no option follows
/// `lazyfree-lazy-user-flush`; anything else is `ERR syntax error`. FLUSHALL empties every
/// database (`emptyData(-1, …)`), FLUSHDB the client's (`emptyData(c->db->id, …)`).
///
/// A flush that is not ASYNC, from a client that may block (in C: none of
/// `CLIENT_AVOID_BLOCKING_ASYNC_FLUSH` = DENY_BLOCKING, MULTI, LUA_DEBUG, LUA_DEBUG_SYNC, MODULE;
/// in the model every connection-less client counts as DENY_BLOCKING, as the AOF client does),
/// is a **blocking async** flush: `emptyDbAsync` (detach, `protectClientReplyObjects`, one BIO
/// job frees the old keyspace), then `blockClientForAsyncFlush` (`BLOCKED_LAZYFREE`) and a BIO
/// completion request queued behind every earlier lazy-free job; `+OK` comes only when main
/// runs its callback (`unblockClientForAsyncFlush`, [`crate::iothread::unblock_client_for_async_flush`]).
/// A connection-less client's SYNC flush frees on main (`emptyData` sync).
pub(super) fn flushall(s: &mut Server, c: &mut Client) {
    flush_command_common(s, c, None);
}

/// `flushdbCommand` (db.c @ 059f40da, off=48000): [`flushall`]'s steps on the client's database
/// only.
pub(super) fn flushdb(s: &mut Server, c: &mut Client) {
    let db = c.db;
    flush_command_common(s, c, Some(db));
}

/// `flushCommandCommon(c, type, flags)` for `dbnum` (`None`: every database).
fn flush_command_common(s: &mut Server, c: &mut Client, dbnum: Option<usize>) {
    let lazy = match c.argv.len() {
        1 => s.cfg.lazyfree_lazy_user_flush,
        2 => {
            let a = arg(s, c, 1);
            let opt = cstr(&a);
            if opt.eq_ignore_ascii_case(b"sync") {
                false
            } else if opt.eq_ignore_ascii_case(b"async") {
                true
            } else {
                add_reply_error(s, c, SYNTAX_ERR);
                return;
            }
        }
        _ => {
            add_reply_error(s, c, SYNTAX_ERR);
            return;
        }
    };
    let blocking = !lazy && !c.fake;
    empty_data(s, c, dbnum, lazy || blocking);
    if blocking {
        // `blockClientForAsyncFlush` + `bioCreateCompRq(…, kvsAsyncFreeDoneCB, c->id)`.
        c.blocked = true;
        s.submit_completion(crate::handoff::Completion {
            client: c.id,
            slots: None,
        });
        return;
    }
    add_reply_status(s, c, "OK");
}

/// `renameCommand` / `renameGenericCommand(c, 0)` (db.c @ 059f40da, off=80000): `ERR no such
/// key` for a missing source (also when source == destination); same key: `+OK`. The 8.x
/// order: retain the value (`incrRefCount`, 1→2), delete dst if it exists, **delete src**
/// (`dbDelete` → `lazyfree-lazy-server-del`; `freeObjAsync` sees count 2 and only decrements,
/// the #4601 guard), then `dbAddInternal(dst)`: `kvobjSet` builds a **new** kvobj under the new
/// name from the value (its payload stolen at count 1; a RAW value a reply also references is
/// duplicated) and releases the retained reference; the source's expire goes with it.
pub(super) fn rename(s: &mut Server, c: &mut Client) {
    let (src, dst) = (arg(s, c, 1), arg(s, c, 2));
    let Some(o) = lookup_key(s, c.db, &src) else {
        add_reply_error(s, c, NO_SUCH_KEY);
        return;
    };
    if src == dst {
        add_reply_status(s, c, "OK");
        return;
    }
    let env = s.env();
    let cx = Cx::main(&env);
    if o.refcount_peek() > 1 {
        env.coverage.hit(Event::RenamedWhileReferenced);
    }
    let expire = o.hdr().expire;
    o.incr_ref_count(cx, Holder::Temp);
    let lazy = s.cfg.lazyfree_lazy_server_del;
    if lookup_key(s, c.db, &dst).is_some() {
        db_generic_delete(s, c.db, &dst, lazy);
    }
    db_generic_delete(s, c.db, &src, lazy);
    let kv = kvobj_set(cx, &dst, &o, Holder::Temp, expire.is_some());
    kv.hdr().expire = expire;
    s.db[c.db].dict.insert(dst.to_vec(), kv);
    add_reply_status(s, c, "OK");
}
