//! Keyspace commands. Mirrors the commands of src/db.c (`delGenericCommand`, `existsCommand`,
//! `dbsizeCommand`, `flushallCommand`/`flushdbCommand` with `getFlushCommandFlags`,
//! `renameGenericCommand`; reply paths read in 7.2/7.4 trees, RENAME's lifetime steps at the
//! pin 059f40da) and the database commands (`selectCommand`, `swapdbCommand` /
//! `dbSwapDatabases`, `moveCommand`, `copyCommand`, all read at the pin 059f40da). The keyspace
//! primitives they call (`lookupKey`, `dbGenericDelete`, `emptyData`) are in [`crate::db`].
//!
//! What matters for lifetime: which lazyfree knob each deletion follows (DEL:
//! `lazyfree-lazy-user-del`, UNLINK: always lazy, FLUSH: `lazyfree-lazy-user-flush` or its
//! option, RENAME's implicit deletes: `lazyfree-lazy-server-del`), and RENAME's retain/delete
//! order, where #4601 sent an object with count 2 to BIO. Main thread only.

use super::object::arg_int_or_reply;
use super::{arg, Client, Server, NO_SUCH_KEY, SYNTAX_ERR};
use crate::config::Fix;
use crate::coverage::Event;
use crate::db::{db_generic_delete, empty_data, kvobj_set, lookup_key};
use crate::ledger::Holder;
use crate::networking::{add_reply_error, add_reply_integer, add_reply_len, add_reply_status};
use crate::object::{Cx, ObjType};
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
/// A connection-less client's SYNC flush frees on main (`emptyData` sync). An ASYNC flush always
/// goes to BIO at the pin, also inside EXEC (finding `exec-flushall-async-argv`; with the
/// candidate fix [`Fix::ExecFlushSync`] a flush run inside EXEC frees on main).
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
    // Finding `exec-flushall-async-argv` (reports/findings/exec-flushall-async-argv.md): at the
    // pin an ASYNC flush run inside EXEC (the client still has `CLIENT_MULTI`) hands BIO the
    // keyspace while the transaction's queued argv (`mstate`) may still hold counted references
    // to its values (SET's `incrRefCount(*valref)`), released by main when EXEC ends. The
    // candidate fix [`Fix::ExecFlushSync`] frees it synchronously on main instead
    // (`if (c->flags & CLIENT_MULTI) flags &= ~EMPTYDB_ASYNC;` in `flushCommandCommon`).
    let lazy = lazy && !(c.multi && s.env.cfg.fix(Fix::ExecFlushSync));
    // `CLIENT_AVOID_BLOCKING_ASYNC_FLUSH`: a connection-less client (DENY_BLOCKING here), a
    // client in MULTI, or one running EXEC (DENY_BLOCKING) flushes synchronously.
    let blocking = !lazy && !c.fake && !c.multi && !c.deny_blocking;
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

/// `shared.sameobjecterr`.
const SAME_OBJECT: &str = "ERR source and destination objects are the same";

/// `selectDb(c, id)`'s range test: `0 <= id < server.dbnum`.
fn db_index(s: &Server, id: i64) -> Option<usize> {
    usize::try_from(id).ok().filter(|&i| i < s.db.len())
}

/// `selectCommand` (db.c @ 059f40da, off=48000): `getIntFromObjectOrReply`, then in cluster
/// mode only database 0 (`ERR SELECT is not allowed in cluster mode`), then `selectDb`
/// (`ERR DB index is out of range`); `+OK`. Only `c->db` changes: no value is touched.
pub(super) fn select(s: &mut Server, c: &mut Client) {
    let Some(id) = arg_int_or_reply(s, c, 1, None) else {
        return;
    };
    if s.cfg.cluster_enabled && id != 0 {
        add_reply_error(s, c, "ERR SELECT is not allowed in cluster mode");
        return;
    }
    match db_index(s, id) {
        Some(db) => {
            c.db = db;
            add_reply_status(s, c, "OK");
        }
        None => add_reply_error(s, c, "ERR DB index is out of range"),
    }
}

/// `swapdbCommand` + `dbSwapDatabases` (db.c @ 059f40da, off=80000–96000): not in cluster mode
/// (`ERR SWAPDB is not allowed in cluster mode`); each index through `getIntFromObjectOrReply`
/// with its own message (`ERR invalid first DB index` / `second`); an index out of range is
/// `ERR DB index is out of range`; the same index twice is `+OK` with nothing done. The two
/// databases' keyspaces change places under the clients (`c->db` keeps pointing at the same
/// `server.db[i]`): no count changes, a value a reply references is now reached through the
/// other index. (WATCH, blocked-client and XREADGROUP signalling are not modelled.)
pub(super) fn swapdb(s: &mut Server, c: &mut Client) {
    if s.cfg.cluster_enabled {
        add_reply_error(s, c, "ERR SWAPDB is not allowed in cluster mode");
        return;
    }
    let Some(id1) = arg_int_or_reply(s, c, 1, Some("ERR invalid first DB index")) else {
        return;
    };
    let Some(id2) = arg_int_or_reply(s, c, 2, Some("ERR invalid second DB index")) else {
        return;
    };
    let (Some(a), Some(b)) = (db_index(s, id1), db_index(s, id2)) else {
        add_reply_error(s, c, "ERR DB index is out of range");
        return;
    };
    if a != b {
        let da = std::mem::take(&mut s.db[a].dict);
        let db = std::mem::replace(&mut s.db[b].dict, da);
        s.db[a].dict = db;
        s.db[a].swapped = true;
        s.db[b].swapped = true;
    }
    add_reply_status(s, c, "OK");
}

/// `moveCommand` (db.c @ 059f40da, off=80000): not in cluster mode; the target index through
/// `getIntFromObjectOrReply` and `selectDb` (`ERR DB index is out of range`); the same
/// database is `ERR source and destination objects are the same` (before the key is looked
/// up); a missing key or a key already in the target is `:0`. Then the RENAME pattern across
/// databases: `incrRefCount(kv)` (1→2), `dbDelete(src)` (`lazyfree-lazy-server-del`:
/// `freeObjAsync` sees 2 and only decrements, the #4601 guard), `dbAddInternal(dst)`: `kvobjSet`
/// builds a new kvobj in the target from the value (its payload stolen at count 1; a RAW value a
/// reply also references is duplicated; a shared aggregate is Redis's "Not implemented" panic)
/// and releases the retained reference. The expire goes with it (key metadata).
pub(super) fn move_cmd(s: &mut Server, c: &mut Client) {
    if s.cfg.cluster_enabled {
        add_reply_error(s, c, "ERR MOVE is not allowed in cluster mode");
        return;
    }
    let Some(id) = arg_int_or_reply(s, c, 2, None) else {
        return;
    };
    let Some(dst) = db_index(s, id) else {
        add_reply_error(s, c, "ERR DB index is out of range");
        return;
    };
    let src = c.db;
    if src == dst {
        add_reply_error(s, c, SAME_OBJECT);
        return;
    }
    let key = arg(s, c, 1);
    let Some(kv) = lookup_key(s, src, &key) else {
        add_reply_integer(s, c, 0);
        return;
    };
    if lookup_key(s, dst, &key).is_some() {
        add_reply_integer(s, c, 0);
        return;
    }
    let env = s.env();
    let cx = Cx::main(&env);
    let expire = kv.hdr().expire;
    if kv.refcount_peek() > 1 {
        env.coverage.hit(Event::MovedWhileReferenced);
    }
    kv.incr_ref_count(cx, Holder::Temp);
    let lazy = s.cfg.lazyfree_lazy_server_del;
    db_generic_delete(s, src, &key, lazy);
    let moved = kvobj_set(cx, &key, &kv, Holder::Temp, expire.is_some());
    moved.hdr().expire = expire;
    s.db[dst].dict.insert(key.to_vec(), moved);
    add_reply_integer(s, c, 1);
}

/// `copyCommand` (db.c @ 059f40da, off=80000): options from the fourth argument: `REPLACE`,
/// `DB <index>` (`getIntFromObjectOrReply`, then `ERR DB index is out of range`), anything else
/// `ERR syntax error`; in cluster mode only database 0 (`ERR Copying to another database is not
/// allowed in cluster mode`); the same key in the same database is `ERR source and destination
/// objects are the same`; a missing source, or an existing destination without `REPLACE`, is
/// `:0`. The value is duplicated by type (`dupStringObject` reads the source's payload on main,
/// alongside any IO thread writing a reply that references it: two reads; `listTypeDup`,
/// `hashTypeDup`), an existing destination is deleted (`dbDelete`, `lazyfree-lazy-server-del`),
/// and `dbAddInternal` stores the copy (`kvobjSet` steals the fresh copy's payload); the expire
/// is copied (key metadata). The source is never retained or released.
pub(super) fn copy(s: &mut Server, c: &mut Client) {
    let src = c.db;
    let mut dst = c.db;
    let mut replace = false;
    let argc = c.argv.len();
    let mut j = 3;
    while j < argc {
        let opt = arg(s, c, j);
        let opt = cstr(&opt);
        if opt.eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else if opt.eq_ignore_ascii_case(b"db") && j + 1 < argc {
            let Some(id) = arg_int_or_reply(s, c, j + 1, None) else {
                return;
            };
            let Some(d) = db_index(s, id) else {
                add_reply_error(s, c, "ERR DB index is out of range");
                return;
            };
            dst = d;
            j += 1;
        } else {
            add_reply_error(s, c, SYNTAX_ERR);
            return;
        }
        j += 1;
    }
    if s.cfg.cluster_enabled && (src != 0 || dst != 0) {
        add_reply_error(
            s,
            c,
            "ERR Copying to another database is not allowed in cluster mode",
        );
        return;
    }
    let (key, newkey) = (arg(s, c, 1), arg(s, c, 2));
    if src == dst && key == newkey {
        add_reply_error(s, c, SAME_OBJECT);
        return;
    }
    let Some(o) = lookup_key(s, src, &key) else {
        add_reply_integer(s, c, 0);
        return;
    };
    let exists = lookup_key(s, dst, &newkey).is_some();
    if exists && !replace {
        add_reply_integer(s, c, 0);
        return;
    }
    let env = s.env();
    let cx = Cx::main(&env);
    let expire = o.hdr().expire;
    if o.refcount_peek() > 1 {
        env.coverage.hit(Event::CopiedWhileReferenced);
    }
    let newobj = match o.otype() {
        ObjType::String => o.dup_string(cx, Holder::Temp),
        ObjType::List => o.dup_list(cx, Holder::Temp),
        ObjType::Hash => o.dup_hash(cx, Holder::Temp),
    };
    if exists {
        let lazy = s.cfg.lazyfree_lazy_server_del;
        db_generic_delete(s, dst, &newkey, lazy);
    }
    let kv = kvobj_set(cx, &newkey, &newobj, Holder::Temp, expire.is_some());
    kv.hdr().expire = expire;
    s.db[dst].dict.insert(newkey.to_vec(), kv);
    add_reply_integer(s, c, 1);
}
