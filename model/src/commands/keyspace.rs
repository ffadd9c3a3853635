//! Keyspace commands. Mirrors the commands of src/db.c (`delGenericCommand`, `existsCommand`,
//! `dbsizeCommand`, `flushallCommand`/`flushdbCommand` with `getFlushCommandFlags`,
//! `renameGenericCommand`; reply paths read in 7.2/7.4 trees, RENAME at 4f8cdc2a). The keyspace
//! primitives they call (`lookupKey`, `dbGenericDelete`, `emptyData`) are in [`crate::db`].
//!
//! What matters for lifetime: which lazyfree knob each deletion follows (DEL:
//! `lazyfree-lazy-user-del`, UNLINK: always lazy, FLUSH: `lazyfree-lazy-user-flush` or its
//! option, RENAME's implicit deletes: `lazyfree-lazy-server-del`), and RENAME's retain/delete
//! order, where #4601 sent an object with count 2 to BIO. Main thread only.

use super::{arg, Client, Server, NO_SUCH_KEY, SYNTAX_ERR};
use crate::coverage::Event;
use crate::db::{db_generic_delete, empty_db, lookup_key};
use crate::ledger::{Holder, Tid};
use crate::networking::{add_reply_error, add_reply_integer, add_reply_len, add_reply_status};
use crate::object::Cx;
use crate::util::cstr;

/// `delGenericCommand(c, lazy)` (db.c): keys that are missing or expired do not count.
fn del_generic(s: &mut Server, c: &mut Client, lazy: bool) {
    let mut n = 0;
    for i in 1..c.argv.len() {
        let key = arg(s, c, i);
        if lookup_key(s, &key).is_some() && db_generic_delete(s, &key, lazy) {
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
        if lookup_key(s, &key).is_some() {
            n += 1;
        }
    }
    add_reply_integer(s, c, n);
}

/// `dbsizeCommand` (db.c): the dict size, which (as in Redis) includes keys that are logically
/// expired but not yet reclaimed.
pub(super) fn dbsize(s: &mut Server, c: &mut Client) {
    let n = s.db.dict.len();
    add_reply_len(s, c, n);
}

/// `flushallCommand` / `flushdbCommand` + `getFlushCommandFlags` (db.c):
/// `[SYNC|ASYNC]` (C-string, case-insensitive); no option follows `lazyfree-lazy-user-flush`;
/// anything else is `ERR syntax error`. One database, so FLUSHDB = FLUSHALL. Simplified: 8.x
/// runs a SYNC flush of a client in the background and blocks the client; the reply is the
/// same `+OK`.
pub(super) fn flushall(s: &mut Server, c: &mut Client) {
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
    empty_db(s, c, lazy);
    add_reply_status(s, c, "OK");
}

/// `renameCommand` / `renameGenericCommand(c, 0)` (db.c): `ERR no such key` for a missing
/// source (also when source == destination); same key: `+OK`. Follows the 7.x order
/// (@ 4f8cdc2a): retain the value, delete dst, add the value under dst, delete src (`dbDelete`
/// → `lazyfree-lazy-server-del`). That is the path where #4601 sent an object with count 2 to
/// BIO. Simplified: the 8.x kvobj rewrite of RENAME was not read; here the dict holds the same
/// object under the new name (its embedded key and expire travel with it).
pub(super) fn rename(s: &mut Server, c: &mut Client) {
    let (src, dst) = (arg(s, c, 1), arg(s, c, 2));
    let Some(o) = lookup_key(s, &src) else {
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
    o.incr_ref_count(cx, Holder::Temp);
    if lookup_key(s, &dst).is_some() {
        let lazy = s.cfg.lazyfree_lazy_server_del;
        db_generic_delete(s, &dst, lazy);
    }
    env.ledger
        .transfer(Tid::Main, o.ptr(), Holder::Temp, Holder::Keyspace);
    s.db.dict.insert(dst.to_vec(), o);
    let lazy = s.cfg.lazyfree_lazy_server_del;
    db_generic_delete(s, &src, lazy);
    add_reply_status(s, c, "OK");
}
