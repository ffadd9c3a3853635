//! The command table and the commands, run on the main thread. Mirrors src/server.c
//! (`processCommand`: unknown command, arity), src/t_string.c, src/db.c, src/expire.c,
//! src/t_list.c (Redis 8.x; refcount paths @ 5a273e36 / f36ee257).
//!
//! What matters for lifetime: which commands reply with a *reference* (`add_reply_bulk` on a
//! stored value or an argv object), which replace a value (`set_key` → `dbSetValue`'s disposal),
//! and which delete (`dbGenericDelete`, per the lazyfree-lazy-* knob each command uses).
//!
//! Replies must be byte-identical to Redis for the same stream; each command documents the
//! texts it produces. Simplified: one database (SELECT not modelled), no keyspace
//! notifications, no WATCH, logical time.

use crate::client::Client;
use crate::db::{
    db_add, db_generic_delete, empty_db, lookup_key, remove_expire, set_expire, set_key,
};
use crate::ledger::{Holder, Tid};
use crate::networking::{add_reply_bulk, add_reply_bytes, add_reply_error};
use crate::object::{new_sds, Cx, ObjType, Payload, RObj};
use crate::resp;
use crate::server::Server;
use std::sync::Arc;

/// A command implementation.
pub type Handler = fn(&mut Server, &mut Client);

/// One command table entry (`redisCommand`: name, arity, handler).
pub struct Command {
    /// Lower-case name.
    pub name: &'static str,
    /// Redis arity: `n` exact, `-n` at least n.
    pub arity: i32,
    /// The implementation.
    pub handler: Handler,
}

/// `WRONGTYPE` error text.
pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
/// `shared.syntaxerr`.
pub const SYNTAX_ERR: &str = "ERR syntax error";
/// `shared.outofrangeerr` text used by integer parsing.
pub const NOT_INTEGER: &str = "ERR value is not an integer or out of range";

/// The command table.
pub static COMMANDS: &[Command] = &[
    Command {
        name: "ping",
        arity: -1,
        handler: ping,
    },
    Command {
        name: "echo",
        arity: 2,
        handler: echo,
    },
    Command {
        name: "get",
        arity: 2,
        handler: get,
    },
    Command {
        name: "set",
        arity: -3,
        handler: set,
    },
    Command {
        name: "getdel",
        arity: 2,
        handler: getdel,
    },
    Command {
        name: "getex",
        arity: -2,
        handler: getex,
    },
    Command {
        name: "mget",
        arity: -2,
        handler: mget,
    },
    Command {
        name: "del",
        arity: -2,
        handler: del,
    },
    Command {
        name: "unlink",
        arity: -2,
        handler: unlink,
    },
    Command {
        name: "exists",
        arity: -2,
        handler: exists,
    },
    Command {
        name: "dbsize",
        arity: 1,
        handler: dbsize,
    },
    Command {
        name: "flushall",
        arity: -1,
        handler: flushall,
    },
    Command {
        name: "flushdb",
        arity: -1,
        handler: flushall,
    },
    Command {
        name: "rpush",
        arity: -3,
        handler: rpush,
    },
    Command {
        name: "lpush",
        arity: -3,
        handler: lpush,
    },
    Command {
        name: "llen",
        arity: 2,
        handler: llen,
    },
    Command {
        name: "rename",
        arity: 3,
        handler: rename,
    },
    Command {
        name: "pexpire",
        arity: -3,
        handler: pexpire,
    },
    Command {
        name: "expire",
        arity: -3,
        handler: expire,
    },
    Command {
        name: "info",
        arity: -1,
        handler: info,
    },
];

/// Look up a command by name (case-insensitive).
pub fn lookup_command(name: &[u8]) -> Option<&'static Command> {
    COMMANDS
        .iter()
        .find(|c| c.name.as_bytes().eq_ignore_ascii_case(name))
}

/// The bytes of argv slot `i` (a checked read of the argv object).
pub fn arg(s: &Server, c: &Client, i: usize) -> Arc<[u8]> {
    let o = c.argv[i]
        .as_ref()
        .expect("argv slot released during the command");
    o.string_bytes(
        Cx {
            env: &s.env,
            tid: Tid::Main,
        },
        "argv",
    )
}

fn argv_obj(c: &Client, i: usize) -> RObj {
    c.argv[i]
        .clone()
        .expect("argv slot released during the command")
}

/// `processCommand`'s lookup and arity check, then the call.
pub fn process_command(s: &mut Server, c: &mut Client) {
    let name = arg(s, c, 0);
    let Some(cmd) = lookup_command(&name) else {
        let mut args = String::new();
        for i in 1..c.argv.len() {
            if args.len() >= 128 {
                break;
            }
            let a = arg(s, c, i);
            let shown = String::from_utf8_lossy(&a[..a.len().min(128 - args.len())]).into_owned();
            args.push_str(&format!("'{shown}' "));
        }
        let shown_name = String::from_utf8_lossy(&name[..name.len().min(128)]).into_owned();
        let msg = format!("ERR unknown command '{shown_name}', with args beginning with: {args}");
        reply_error_format(s, c, &msg);
        return;
    };
    let argc = c.argv.len() as i32;
    if (cmd.arity > 0 && cmd.arity != argc) || argc < -cmd.arity {
        let msg = format!("ERR wrong number of arguments for '{}' command", cmd.name);
        reply_error_format(s, c, &msg);
        return;
    }
    (cmd.handler)(s, c);
}

/// `addReplyErrorFormat`: newlines become spaces.
fn reply_error_format(s: &mut Server, c: &mut Client, msg: &str) {
    let clean: String = msg
        .chars()
        .map(|ch| if ch == '\r' || ch == '\n' { ' ' } else { ch })
        .collect();
    add_reply_error(s, c, &clean);
}

fn reply_status(s: &mut Server, c: &mut Client, st: &str) {
    let mut out = Vec::new();
    resp::add_reply_status(&mut out, st);
    add_reply_bytes(s, c, out);
}

fn reply_integer(s: &mut Server, c: &mut Client, n: i64) {
    let mut out = Vec::new();
    resp::add_reply_integer(&mut out, n);
    add_reply_bytes(s, c, out);
}

fn reply_null(s: &mut Server, c: &mut Client) {
    let mut out = Vec::new();
    resp::add_reply_null(&mut out);
    add_reply_bytes(s, c, out);
}

fn reply_array_len(s: &mut Server, c: &mut Client, n: usize) {
    let mut out = Vec::new();
    resp::add_reply_array_len(&mut out, n);
    add_reply_bytes(s, c, out);
}

/// Parse a decimal `long long` like `string2ll`.
pub fn parse_ll(b: &[u8]) -> Option<i64> {
    resp::string2ll(b)
}

/// `getGenericCommand`: reply with the value (a reference when copy avoidance applies).
/// Returns `false` on WRONGTYPE (already replied).
fn get_generic(s: &mut Server, c: &mut Client, key: &[u8]) -> bool {
    match lookup_key(s, key) {
        None => {
            reply_null(s, c);
            true
        }
        Some(kv) if kv.otype() != ObjType::String => {
            add_reply_error(s, c, WRONGTYPE);
            false
        }
        Some(kv) => {
            add_reply_bulk(s, c, &kv);
            true
        }
    }
}

fn ping(s: &mut Server, c: &mut Client) {
    match c.argv.len() {
        1 => reply_status(s, c, "PONG"),
        2 => {
            let o = argv_obj(c, 1);
            add_reply_bulk(s, c, &o);
        }
        _ => reply_error_format(s, c, "ERR wrong number of arguments for 'ping' command"),
    }
}

/// ECHO: replies with the argv object itself (a reference when it is a big RAW string; the
/// argv slot then has count 2 and main drops its own reference in `reclaimPendingCommand`).
fn echo(s: &mut Server, c: &mut Client) {
    let o = argv_obj(c, 1);
    add_reply_bulk(s, c, &o);
}

fn get(s: &mut Server, c: &mut Client) {
    let key = arg(s, c, 1);
    get_generic(s, c, &key);
}

fn mget(s: &mut Server, c: &mut Client) {
    reply_array_len(s, c, c.argv.len() - 1);
    for i in 1..c.argv.len() {
        let key = arg(s, c, i);
        match lookup_key(s, &key) {
            Some(kv) if kv.otype() == ObjType::String => add_reply_bulk(s, c, &kv),
            _ => reply_null(s, c),
        }
    }
}

/// `tryObjectEncoding` for a SET value: small integers become shared integers or INT.
fn try_object_encoding(s: &mut Server, c: &mut Client, i: usize) {
    let o = argv_obj(c, i);
    if o.otype() != ObjType::String || o.encoding() == crate::object::Encoding::Int {
        return;
    }
    let env = s.env();
    let cx = Cx {
        env: &env,
        tid: Tid::Main,
    };
    let bytes = o.string_bytes(cx, "value for tryObjectEncoding");
    if bytes.len() > 20 {
        return;
    }
    let Some(v) = parse_ll(&bytes) else { return };
    if o.refcount(cx) > 1 {
        return;
    }
    if (0..crate::object::SHARED_INTEGERS).contains(&v) {
        o.decr_ref_count(cx, Holder::Argv(c.id));
        c.argv[i] = Some(env.shared_integer(v));
    } else {
        let payload = std::mem::replace(&mut o.hdr().payload, Payload::Int(v));
        o.hdr().encoding = crate::object::Encoding::Int;
        crate::object::free_payload(cx, payload);
    }
}

/// Store argv slot `i` at `key` (`setKey` with `valref = &c->argv[i]`): the argv reference is
/// consumed and the slot then points at the installed kvobj with its own reference.
fn set_key_from_argv(s: &mut Server, c: &mut Client, key: &[u8], i: usize, keep_ttl: bool) -> RObj {
    let val = c.argv[i].take().expect("argv slot");
    let id = c.id;
    let kv = set_key(s, Some(c), key, &val, Holder::Argv(id), keep_ttl);
    let env = s.env();
    kv.incr_ref_count(
        Cx {
            env: &env,
            tid: Tid::Main,
        },
        Holder::Argv(id),
    );
    c.argv[i] = Some(kv.clone());
    kv
}

/// SET key value [NX|XX] [GET] [EX s|PX ms|KEEPTTL] (`setCommand` + `setGenericCommand`).
fn set(s: &mut Server, c: &mut Client) {
    let mut nx = false;
    let mut xx = false;
    let mut get_flag = false;
    let mut keep_ttl = false;
    let mut expire: Option<(i64, bool)> = None;
    let mut j = 3;
    while j < c.argv.len() {
        let a = arg(s, c, j).to_ascii_uppercase();
        let has_next = j + 1 < c.argv.len();
        match &a[..] {
            b"NX" if !xx => nx = true,
            b"XX" if !nx => xx = true,
            b"GET" => get_flag = true,
            b"KEEPTTL" if expire.is_none() => keep_ttl = true,
            b"EX" | b"PX" if !keep_ttl && expire.is_none() && has_next => {
                let v = arg(s, c, j + 1);
                let Some(n) = parse_ll(&v) else {
                    add_reply_error(s, c, NOT_INTEGER);
                    return;
                };
                expire = Some((n, &a[..] == b"EX"));
                j += 1;
            }
            _ => {
                add_reply_error(s, c, SYNTAX_ERR);
                return;
            }
        }
        j += 1;
    }
    let mut when = None;
    if let Some((n, secs)) = expire {
        let ms = if secs { n.checked_mul(1000) } else { Some(n) };
        match ms.and_then(|ms| {
            if ms > 0 {
                ms.checked_add(s.now_ms)
            } else {
                None
            }
        }) {
            Some(w) => when = Some(w),
            None => {
                add_reply_error(s, c, "ERR invalid expire time in 'set' command");
                return;
            }
        }
    }
    let key = arg(s, c, 1);
    if get_flag && !get_generic(s, c, &key) {
        return;
    }
    let found = lookup_key(s, &key).is_some();
    if (nx && found) || (xx && !found) {
        if !get_flag {
            reply_null(s, c);
        }
        return;
    }
    try_object_encoding(s, c, 2);
    set_key_from_argv(s, c, &key, 2, keep_ttl || when.is_some());
    if let Some(w) = when {
        set_expire(s, Some(c), &key, w);
    } else if !keep_ttl {
        remove_expire(s, &key);
    }
    if !get_flag {
        reply_status(s, c, "OK");
    }
}

/// GETDEL: reply (maybe a reference), then a synchronous delete.
fn getdel(s: &mut Server, c: &mut Client) {
    let key = arg(s, c, 1);
    if get_generic(s, c, &key) && s.db.dict.contains_key(&key[..]) {
        db_generic_delete(s, &key, false);
    }
}

/// GETEX key [EX s|PX ms|PERSIST]: reply, then (re)set the expire (`kvobjSetExpire` may
/// duplicate a value a reply references).
fn getex(s: &mut Server, c: &mut Client) {
    let key = arg(s, c, 1);
    let mut when = None;
    let mut persist = false;
    let mut j = 2;
    while j < c.argv.len() {
        let a = arg(s, c, j).to_ascii_uppercase();
        let has_next = j + 1 < c.argv.len();
        match &a[..] {
            b"PERSIST" if when.is_none() && !persist => persist = true,
            b"EX" | b"PX" if when.is_none() && !persist && has_next => {
                let v = arg(s, c, j + 1);
                let Some(n) = parse_ll(&v) else {
                    add_reply_error(s, c, NOT_INTEGER);
                    return;
                };
                let ms = if &a[..] == b"EX" {
                    n.checked_mul(1000)
                } else {
                    Some(n)
                };
                match ms.and_then(|ms| {
                    if ms > 0 {
                        ms.checked_add(s.now_ms)
                    } else {
                        None
                    }
                }) {
                    Some(w) => when = Some(w),
                    None => {
                        add_reply_error(s, c, "ERR invalid expire time in 'getex' command");
                        return;
                    }
                }
                j += 1;
            }
            _ => {
                add_reply_error(s, c, SYNTAX_ERR);
                return;
            }
        }
        j += 1;
    }
    let Some(kv) = lookup_key(s, &key) else {
        reply_null(s, c);
        return;
    };
    if kv.otype() != ObjType::String {
        add_reply_error(s, c, WRONGTYPE);
        return;
    }
    add_reply_bulk(s, c, &kv);
    if let Some(w) = when {
        set_expire(s, Some(c), &key, w);
    } else if persist {
        remove_expire(s, &key);
    }
}

fn del_generic(s: &mut Server, c: &mut Client, lazy: bool) {
    let mut n = 0;
    for i in 1..c.argv.len() {
        let key = arg(s, c, i);
        if lookup_key(s, &key).is_some() && db_generic_delete(s, &key, lazy) {
            n += 1;
        }
    }
    reply_integer(s, c, n);
}

/// DEL (per `lazyfree-lazy-user-del`).
fn del(s: &mut Server, c: &mut Client) {
    let lazy = s.cfg.lazyfree_lazy_user_del;
    del_generic(s, c, lazy);
}

/// UNLINK (always lazy).
fn unlink(s: &mut Server, c: &mut Client) {
    del_generic(s, c, true);
}

fn exists(s: &mut Server, c: &mut Client) {
    let mut n = 0;
    for i in 1..c.argv.len() {
        let key = arg(s, c, i);
        if lookup_key(s, &key).is_some() {
            n += 1;
        }
    }
    reply_integer(s, c, n);
}

fn dbsize(s: &mut Server, c: &mut Client) {
    let n = s.db.dict.len() as i64;
    reply_integer(s, c, n);
}

/// FLUSHALL/FLUSHDB [SYNC|ASYNC] (`lazyfree-lazy-user-flush` when neither is given).
fn flushall(s: &mut Server, c: &mut Client) {
    let lazy = match c.argv.len() {
        1 => s.cfg.lazyfree_lazy_user_flush,
        2 => match &arg(s, c, 1).to_ascii_uppercase()[..] {
            b"ASYNC" => true,
            b"SYNC" => false,
            _ => {
                add_reply_error(s, c, SYNTAX_ERR);
                return;
            }
        },
        _ => {
            add_reply_error(s, c, SYNTAX_ERR);
            return;
        }
    };
    empty_db(s, c, lazy);
    reply_status(s, c, "OK");
}

fn push_generic(s: &mut Server, c: &mut Client, head: bool) {
    let key = arg(s, c, 1);
    let kv = match lookup_key(s, &key) {
        Some(kv) if kv.otype() != ObjType::List => {
            add_reply_error(s, c, WRONGTYPE);
            return;
        }
        Some(kv) => kv,
        None => {
            let env = s.env();
            let l = RObj::create_list(
                Cx {
                    env: &env,
                    tid: Tid::Main,
                },
                &[],
                Holder::Temp,
            );
            db_add(s, &key, &l, Holder::Temp);
            s.db.dict[&key[..]].clone()
        }
    };
    let env = s.env();
    let cx = Cx {
        env: &env,
        tid: Tid::Main,
    };
    let mut len = 0;
    for i in 2..c.argv.len() {
        let e = arg(s, c, i);
        let node = new_sds(cx, &e, crate::ledger::AllocKind::ListNode);
        if let Payload::List(nodes) = &mut kv.hdr().payload {
            if head {
                nodes.push_front(node);
            } else {
                nodes.push_back(node);
            }
            len = nodes.len();
        }
    }
    reply_integer(s, c, len as i64);
}

fn rpush(s: &mut Server, c: &mut Client) {
    push_generic(s, c, false);
}

fn lpush(s: &mut Server, c: &mut Client) {
    push_generic(s, c, true);
}

fn llen(s: &mut Server, c: &mut Client) {
    let key = arg(s, c, 1);
    match lookup_key(s, &key) {
        None => reply_integer(s, c, 0),
        Some(kv) if kv.otype() != ObjType::List => add_reply_error(s, c, WRONGTYPE),
        Some(kv) => reply_integer(s, c, kv.list_len() as i64),
    }
}

/// RENAME src dst. Follows the 7.x order (`renameGenericCommand` @ 4f8cdc2a): retain the value,
/// delete dst, add the value under dst, delete src (`dbDelete` → `lazyfree-lazy-server-del`).
/// That is the path where #4601 sent an object with count 2 to BIO. Simplified: the 8.x kvobj
/// rewrite of RENAME was not read; here the dict holds the same object under the new name.
fn rename(s: &mut Server, c: &mut Client) {
    let (src, dst) = (arg(s, c, 1), arg(s, c, 2));
    let Some(o) = lookup_key(s, &src) else {
        add_reply_error(s, c, "ERR no such key");
        return;
    };
    if src == dst {
        reply_status(s, c, "OK");
        return;
    }
    let env = s.env();
    let cx = Cx {
        env: &env,
        tid: Tid::Main,
    };
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
    reply_status(s, c, "OK");
}

fn expire_generic(s: &mut Server, c: &mut Client, unit_ms: i64, name: &str) {
    let key = arg(s, c, 1);
    let v = arg(s, c, 2);
    let Some(n) = parse_ll(&v) else {
        add_reply_error(s, c, NOT_INTEGER);
        return;
    };
    let Some(when) = n
        .checked_mul(unit_ms)
        .and_then(|ms| ms.checked_add(s.now_ms))
    else {
        add_reply_error(
            s,
            c,
            &format!("ERR invalid expire time in '{name}' command"),
        );
        return;
    };
    if lookup_key(s, &key).is_none() {
        reply_integer(s, c, 0);
        return;
    }
    if when <= s.now_ms {
        let lazy = s.cfg.lazyfree_lazy_expire;
        db_generic_delete(s, &key, lazy);
    } else {
        set_expire(s, Some(c), &key, when);
    }
    reply_integer(s, c, 1);
}

fn expire(s: &mut Server, c: &mut Client) {
    expire_generic(s, c, 1000, "expire");
}

fn pexpire(s: &mut Server, c: &mut Client) {
    expire_generic(s, c, 1, "pexpire");
}

/// INFO [memory]: `used_memory` from the ledger and `lazyfree_pending_objects`.
fn info(s: &mut Server, c: &mut Client) {
    let body = format!(
        "# Memory\r\nused_memory:{}\r\nlazyfree_pending_objects:{}\r\n",
        s.env.ledger.used_memory(),
        s.bio.pending_objects()
    );
    let mut out = Vec::new();
    resp::add_reply_bulk(&mut out, body.as_bytes());
    add_reply_bytes(s, c, out);
}
