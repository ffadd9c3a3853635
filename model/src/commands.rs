//! The command table and the commands, run on the main thread. Mirrors src/server.c
//! (`processCommand`, `commandCheckExistence`, `commandCheckArity` @ f36ee257, Redis 8.6 era),
//! src/t_string.c, src/db.c, src/expire.c, src/t_list.c, src/config.c, src/debug.c and the
//! MEMORY command of src/object.c (reply paths read in 7.2/7.4 trees, which 8.x keeps; refcount
//! paths @ 5a273e36 / f36ee257).
//!
//! What matters for lifetime: which commands reply with a *reference* (`add_reply_bulk` on a
//! stored value, an argv object or a popped list element), which replace a value (`set_key` →
//! `dbSetValue`'s disposal), which edit a value in place (APPEND, SETRANGE after
//! `dbUnshareStringValue`; INCR on a private INT), and which delete (`dbGenericDelete`, per the
//! lazyfree-lazy-* knob each command uses).
//!
//! Replies must be byte-identical to Redis 8.x (RESP2) for the same stream; each command
//! documents the texts it produces. Error texts that echo user bytes are built as bytes (a C
//! `%s` stops at the first NUL, `%.128s` also at 128 bytes) and sanitised the way
//! `addReplyErrorFormat` / `rejectCommandSds` do.
//!
//! 7.x → 8.x differences that show in replies (the model follows 8.x):
//! - an unknown command with no arguments is `unknown command 'x'` (8.x); 7.x always appends
//!   `, with args beginning with: `;
//! - `SET` 8.4+ compare options (`IFEQ`/`IFNE`/`IFDEQ`/`IFDNE`) are **not** modelled: they get
//!   `ERR syntax error`, as in 7.x.
//!
//! Simplified (documented differences from a real server): one database (SELECT not modelled),
//! no keyspace notifications, no WATCH/MULTI, no propagation, logical time (1 ms per command);
//! only the commands of [`COMMANDS`] exist (any other name, even a real Redis command, gets the
//! unknown-command error); only `CONFIG GET|SET`, `MEMORY USAGE`, `CLUSTER GETKEYSINSLOT|KEYSLOT`
//! (with `cluster-enabled`, for the Didi leak) and `DEBUG REPLY-COPY-AVOIDANCE` exist as
//! subcommands (no `HELP`, `RESETSTAT`, `REWRITE`, `STATS`, …);
//! `DEBUG` is assumed enabled (`enable-debug-command yes`).

use crate::client::Client;
use crate::config::Fault;
use crate::db::{
    db_add, db_generic_delete, db_set_value, db_unshare_string_value, empty_db, lookup_key,
    remove_expire, set_expire, set_key,
};
use crate::ledger::{AllocKind, Holder, Tid};
use crate::networking::{add_reply_bulk, add_reply_bytes, add_reply_error};
use crate::object::{
    free_payload, new_sds, Cx, Encoding, ObjType, Payload, RObj, EMBSTR_SIZE_LIMIT, SHARED_INTEGERS,
};
use crate::resp;
use crate::server::Server;
use std::sync::Arc;

/// A command implementation.
pub type Handler = fn(&mut Server, &mut Client);

/// One command table entry (`redisCommand`: name, full name, arity, handler, subcommands).
pub struct Command {
    /// Lower-case name (a subcommand's own name, e.g. `get`).
    pub name: &'static str,
    /// `fullname`: the name in arity errors (`config|get` for a subcommand).
    pub fullname: &'static str,
    /// Redis arity: `n` exact, `-n` at least n (counting the command name, and for a
    /// subcommand the container's name too).
    pub arity: i32,
    /// The implementation (a container's is reached only if its arity lets one argument in,
    /// which none here does).
    pub handler: Handler,
    /// Subcommands of a container command (`subcommands_dict`); empty otherwise.
    pub subcommands: &'static [Command],
}

/// `WRONGTYPE` error text (`shared.wrongtypeerr`).
pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
/// `shared.syntaxerr`.
pub const SYNTAX_ERR: &str = "ERR syntax error";
/// The text `getLongLongFromObjectOrReply` / `getLongFromObjectOrReply` reply with.
pub const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
/// `getPositiveLongFromObjectOrReply`'s range error.
pub const NOT_POSITIVE: &str = "ERR value is out of range, must be positive";
/// `shared.nokeyerr`.
pub const NO_SUCH_KEY: &str = "ERR no such key";
/// `incrDecrCommand`'s overflow error.
pub const INCR_OVERFLOW: &str = "ERR increment or decrement would overflow";
/// `decrbyCommand`'s error for `LLONG_MIN`.
pub const DECR_OVERFLOW: &str = "ERR decrement would overflow";
/// `setrangeCommand`'s negative-offset error.
pub const OFFSET_OUT_OF_RANGE: &str = "ERR offset is out of range";
/// `checkStringLength`'s error.
pub const STRING_TOO_LONG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
/// `parseExtendedExpireArgumentsOrReply`: NX with XX, GT or LT.
pub const EXPIRE_NX_INCOMPATIBLE: &str =
    "ERR NX and XX, GT or LT options at the same time are not compatible";
/// `parseExtendedExpireArgumentsOrReply`: GT with LT.
pub const EXPIRE_GT_LT_INCOMPATIBLE: &str =
    "ERR GT and LT options at the same time are not compatible";

/// `proto-max-bulk-len` (default; not configurable in the model).
const PROTO_MAX_BULK_LEN: u64 = resp::DEFAULT_PROTO_MAX_BULK_LEN;

const fn command(name: &'static str, arity: i32, handler: Handler) -> Command {
    Command {
        name,
        fullname: name,
        arity,
        handler,
        subcommands: &[],
    }
}

const fn subcommand(
    name: &'static str,
    fullname: &'static str,
    arity: i32,
    handler: Handler,
) -> Command {
    Command {
        name,
        fullname,
        arity,
        handler,
        subcommands: &[],
    }
}

/// `CONFIG` subcommands (only the ones the model has).
static CONFIG_SUBCOMMANDS: &[Command] = &[
    subcommand("get", "config|get", -3, config_get),
    subcommand("set", "config|set", -4, config_set),
];

/// `CLUSTER` subcommands (only the two the model has).
static CLUSTER_SUBCOMMANDS: &[Command] = &[
    subcommand(
        "getkeysinslot",
        "cluster|getkeysinslot",
        4,
        cluster_getkeysinslot,
    ),
    subcommand("keyslot", "cluster|keyslot", 3, cluster_keyslot),
];

/// `MEMORY` subcommands (only `USAGE`).
static MEMORY_SUBCOMMANDS: &[Command] = &[subcommand("usage", "memory|usage", -3, memory_usage)];

/// The command table (arities from Redis's command JSON files).
pub static COMMANDS: &[Command] = &[
    command("ping", -1, ping),
    command("echo", 2, echo),
    command("get", 2, get),
    command("set", -3, set),
    command("getdel", 2, getdel),
    command("getex", -2, getex),
    command("getset", 3, getset),
    command("mget", -2, mget),
    command("mset", -3, mset),
    command("append", 3, append),
    command("setrange", 4, setrange),
    command("strlen", 2, strlen),
    command("incr", 2, incr),
    command("decr", 2, decr),
    command("incrby", 3, incrby),
    command("decrby", 3, decrby),
    command("del", -2, del),
    command("unlink", -2, unlink),
    command("exists", -2, exists),
    command("dbsize", 1, dbsize),
    command("flushall", -1, flushall),
    command("flushdb", -1, flushall),
    command("rpush", -3, rpush),
    command("lpush", -3, lpush),
    command("lpop", -2, lpop),
    command("rpop", -2, rpop),
    command("llen", 2, llen),
    command("lrange", 4, lrange),
    command("rename", 3, rename),
    command("expire", -3, expire),
    command("pexpire", -3, pexpire),
    command("ttl", 2, ttl),
    command("pttl", 2, pttl),
    command("persist", 2, persist),
    command("info", -1, info),
    command("debug", -2, debug),
    Command {
        name: "config",
        fullname: "config",
        arity: -2,
        handler: container_without_subcommand,
        subcommands: CONFIG_SUBCOMMANDS,
    },
    Command {
        name: "cluster",
        fullname: "cluster",
        arity: -2,
        handler: container_without_subcommand,
        subcommands: CLUSTER_SUBCOMMANDS,
    },
    Command {
        name: "memory",
        fullname: "memory",
        arity: -2,
        handler: container_without_subcommand,
        subcommands: MEMORY_SUBCOMMANDS,
    },
];

/// Look up a top-level command by name (case-insensitive; the whole name, so a name with an
/// embedded NUL matches nothing, as in Redis's sds-keyed command dict).
pub fn lookup_command(name: &[u8]) -> Option<&'static Command> {
    COMMANDS
        .iter()
        .find(|c| c.name.as_bytes().eq_ignore_ascii_case(name))
}

/// `lookupCommandLogic(server.commands, argv, argc, 0)`: the base command when it has no
/// subcommands or when argc is 1, else the subcommand named by argv[1] (or none).
fn lookup_command_argv(base: &'static Command, argv1: Option<&[u8]>) -> Option<&'static Command> {
    match argv1 {
        Some(sub) if !base.subcommands.is_empty() => base
            .subcommands
            .iter()
            .find(|c| c.name.as_bytes().eq_ignore_ascii_case(sub)),
        _ => Some(base),
    }
}

/// The bytes of argv slot `i` (a checked read of the argv object).
pub fn arg(s: &Server, c: &Client, i: usize) -> Arc<[u8]> {
    let o = c.argv[i]
        .as_ref()
        .expect("argv slot released during the command");
    o.string_bytes(Cx::main(&s.env), "argv")
}

fn argv_obj(c: &Client, i: usize) -> RObj {
    c.argv[i]
        .clone()
        .expect("argv slot released during the command")
}

/// What a C `%s` prints of an sds: the bytes before the first NUL.
fn cstr(b: &[u8]) -> &[u8] {
    match b.iter().position(|&x| x == 0) {
        Some(n) => &b[..n],
        None => b,
    }
}

/// What a C `%.Ns` prints: at most `n` bytes, stopping at a NUL.
fn cstr_max(b: &[u8], n: usize) -> &[u8] {
    let b = cstr(b);
    &b[..b.len().min(n)]
}

/// `processCommand` (server.c @ f36ee257): the `POST`/`Host:` guard, `lookupCommand`,
/// `commandCheckExistence`, `commandCheckArity`, then the call.
///
/// Texts: `unknown command '<argv0 %.128s>'` plus, when there are arguments,
/// `, with args beginning with: ` and each argument as `'<arg>' ` while the list is under 128
/// bytes (each one cut to what is left of the 128); for a container (`CONFIG`, `MEMORY`)
/// `unknown subcommand '<argv1 %.128s>'. Try <ARGV0> HELP.`; arity:
/// `wrong number of arguments for '<fullname>' command` (`config|get` for a subcommand).
/// CR/LF in these become spaces (`sdsmapchars`).
pub fn process_command(s: &mut Server, c: &mut Client) {
    let argc = c.argv.len();
    let name = arg(s, c, 0);
    let base = lookup_command(&name);
    let container = base.is_some_and(|b| !b.subcommands.is_empty());
    // Like `lookupCommandLogic`, argv[1] matters only to a container command.
    let argv1 = if container && argc >= 2 {
        Some(arg(s, c, 1))
    } else {
        None
    };
    let cmd = base.and_then(|b| lookup_command_argv(b, argv1.as_deref()));
    let Some(cmd) = cmd else {
        let n0 = cstr(&name);
        if n0.eq_ignore_ascii_case(b"host:") || n0.eq_ignore_ascii_case(b"post") {
            security_warning(c);
            return;
        }
        let mut err: Vec<u8> = Vec::new();
        if container {
            let upper = n0.to_ascii_uppercase();
            match &argv1 {
                None => {
                    err.extend_from_slice(b"missing subcommand. Try ");
                    err.extend_from_slice(&upper);
                    err.extend_from_slice(b" HELP.");
                }
                Some(sub) => {
                    err.extend_from_slice(b"unknown subcommand '");
                    err.extend_from_slice(cstr_max(sub, 128));
                    err.extend_from_slice(b"'. Try ");
                    err.extend_from_slice(&upper);
                    err.extend_from_slice(b" HELP.");
                }
            }
        } else {
            err.extend_from_slice(b"unknown command '");
            err.extend_from_slice(cstr_max(&name, 128));
            err.push(b'\'');
            if argc >= 2 {
                let mut args: Vec<u8> = Vec::new();
                let mut i = 1;
                while i < argc && args.len() < 128 {
                    let a = arg(s, c, i);
                    let room = 128 - args.len();
                    args.push(b'\'');
                    args.extend_from_slice(cstr_max(&a, room));
                    args.extend_from_slice(b"' ");
                    i += 1;
                }
                err.extend_from_slice(b", with args beginning with: ");
                err.extend_from_slice(&args);
            }
        }
        // `rejectCommandSds` maps CR/LF only; these messages have no CR/LF at either end,
        // so the trimming of `addReplyErrorFormat` changes nothing.
        reply_error_format(s, c, &err);
        return;
    };
    let argc = argc as i64;
    let arity = i64::from(cmd.arity);
    if (arity > 0 && arity != argc) || argc < -arity {
        reply_error_arity_of(s, c, cmd.fullname);
        return;
    }
    (cmd.handler)(s, c);
}

/// `securityWarningCommand`: a request that looks like HTTP (`POST`, `Host:`) frees the client
/// asynchronously (`freeClientAsync`, `CLIENT_CLOSE_ASAP`): no reply, nothing after it in the
/// query buffer runs, and replies still queued from the same read are dropped
/// (`handleClientsWithPendingWrites` skips `CLOSE_ASAP` clients), their references released.
fn security_warning(c: &mut Client) {
    c.close_after_reply = true;
    c.close_asap = true;
}

/// The container's own handler: unreachable through `process_command` (arity -2 always
/// selects a subcommand or fails); answers like `addReplySubcommandSyntaxError`.
fn container_without_subcommand(s: &mut Server, c: &mut Client) {
    reply_subcommand_syntax_error(s, c);
}

/// `addReplyErrorFormat` on formatted bytes (see [`resp::add_reply_error_format`]).
fn reply_error_format(s: &mut Server, c: &mut Client, msg: &[u8]) {
    let mut out = Vec::with_capacity(msg.len() + 8);
    resp::add_reply_error_format(&mut out, msg);
    add_reply_bytes(s, c, out);
}

/// `addReplyErrorArity`: `wrong number of arguments for '<fullname>' command`.
fn reply_error_arity_of(s: &mut Server, c: &mut Client, fullname: &str) {
    let msg = format!("wrong number of arguments for '{fullname}' command");
    reply_error_format(s, c, msg.as_bytes());
}

/// `addReplySubcommandSyntaxError`:
/// `unknown subcommand or wrong number of arguments for '<argv1 %.128s>'. Try <ARGV0> HELP.`
fn reply_subcommand_syntax_error(s: &mut Server, c: &mut Client) {
    let name = arg(s, c, 0);
    let sub = if c.argv.len() >= 2 {
        arg(s, c, 1)
    } else {
        Arc::from(&b""[..])
    };
    let mut msg = b"unknown subcommand or wrong number of arguments for '".to_vec();
    msg.extend_from_slice(cstr_max(&sub, 128));
    msg.extend_from_slice(b"'. Try ");
    msg.extend_from_slice(&cstr(&name).to_ascii_uppercase());
    msg.extend_from_slice(b" HELP.");
    reply_error_format(s, c, &msg);
}

/// `addReplyErrorExpireTime`: `invalid expire time in '<fullname>' command`.
fn reply_error_expire_time(s: &mut Server, c: &mut Client, fullname: &str) {
    let msg = format!("invalid expire time in '{fullname}' command");
    reply_error_format(s, c, msg.as_bytes());
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

fn reply_len(s: &mut Server, c: &mut Client, n: usize) {
    reply_integer(s, c, i64::try_from(n).unwrap_or(i64::MAX));
}

fn reply_null(s: &mut Server, c: &mut Client) {
    let mut out = Vec::new();
    resp::add_reply_null(&mut out);
    add_reply_bytes(s, c, out);
}

fn reply_null_array(s: &mut Server, c: &mut Client) {
    let mut out = Vec::new();
    resp::add_reply_null_array(&mut out);
    add_reply_bytes(s, c, out);
}

fn reply_array_len(s: &mut Server, c: &mut Client, n: usize) {
    let mut out = Vec::new();
    resp::add_reply_array_len(&mut out, n);
    add_reply_bytes(s, c, out);
}

/// `addReplyBulkCBuffer`: a copy of `b`.
fn reply_bulk_bytes(s: &mut Server, c: &mut Client, b: &[u8]) {
    let mut out = Vec::with_capacity(b.len() + 16);
    resp::add_reply_bulk(&mut out, b);
    add_reply_bytes(s, c, out);
}

/// `getLongLongFromObjectOrReply(c, argv[i], ..., NULL)`.
fn arg_ll_or_reply(s: &mut Server, c: &mut Client, i: usize) -> Option<i64> {
    let v = resp::string2ll(&arg(s, c, i));
    if v.is_none() {
        add_reply_error(s, c, NOT_INTEGER);
    }
    v
}

/// `getPositiveLongFromObjectOrReply(c, argv[i], ..., NULL)`: it passes its range message down
/// to the integer parse, so a non-integer also gets `ERR value is out of range, must be
/// positive`.
fn arg_positive_or_reply(s: &mut Server, c: &mut Client, i: usize) -> Option<i64> {
    match resp::string2ll(&arg(s, c, i)) {
        Some(v) if v >= 0 => Some(v),
        _ => {
            add_reply_error(s, c, NOT_POSITIVE);
            None
        }
    }
}

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
    match lookup_key(s, key) {
        None => {
            reply_null(s, c);
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

/// `tryObjectEncoding(c->argv[i])` (object.c): an argv string of ≤ 20 bytes that parses as a
/// `long` becomes `shared.integers[v]` (0..9999) or an INT object (RAW: in place; EMBSTR:
/// freed and replaced by a new INT object); a RAW string of ≤ 44 bytes becomes EMBSTR.
/// Never touches an object with `refcount > 1`.
fn try_object_encoding(s: &mut Server, c: &mut Client, i: usize) {
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
        if let Some(v) = resp::string2ll(&bytes) {
            if (0..SHARED_INTEGERS).contains(&v) {
                o.decr_ref_count(cx, Holder::Argv(id));
                c.argv[i] = Some(env.shared_integer(v));
            } else if enc == Encoding::Raw {
                let old = std::mem::replace(&mut o.hdr().payload, Payload::Int(v));
                o.hdr().encoding = Encoding::Int;
                free_payload(cx, old, o.ptr());
            } else {
                o.decr_ref_count(cx, Holder::Argv(id));
                c.argv[i] = Some(RObj::create_int(cx, v, Holder::Argv(id)));
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

/// Store argv slot `i` at `key` (`setKey(c, db, key, &c->argv[i], flags)`): the argv reference
/// is consumed and the slot then points at the installed kvobj, with its own reference
/// (`incrRefCount(*valref)`).
/// `exists` is the caller's own lookup (`SETKEY_ALREADY_EXIST` / `SETKEY_DOESNT_EXIST`).
fn set_key_from_argv(
    s: &mut Server,
    c: &mut Client,
    key: &[u8],
    i: usize,
    keep_ttl: bool,
    exists: bool,
) -> RObj {
    let val = c.argv[i].take().expect("argv slot");
    let id = c.id;
    let kv = set_key(s, Some(c), key, &val, Holder::Argv(id), keep_ttl, exists);
    let env = s.env();
    kv.incr_ref_count(Cx::main(&env), Holder::Argv(id));
    c.argv[i] = Some(kv.clone());
    if !keep_ttl {
        remove_expire(s, key);
    }
    kv
}

/// `dbAdd(db, key, &c->argv[i]); incrRefCount(c->argv[i])` for a key known to be missing.
fn add_from_argv(s: &mut Server, c: &mut Client, key: &[u8], i: usize) -> RObj {
    let val = c.argv[i].take().expect("argv slot");
    let id = c.id;
    let kv = db_add(s, key, &val, Holder::Argv(id));
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
    let old = std::mem::replace(&mut kv.hdr().payload, Payload::Raw(fresh));
    match old {
        Payload::Raw(sds) => cx.env.ledger.free(cx.tid, sds.ptr),
        other => free_payload(cx, other, kv.ptr()),
    }
}

// ---------------------------------------------------------------------------------------------
// Connection
// ---------------------------------------------------------------------------------------------

/// `pingCommand` (server.c): `+PONG`, or the argument as a bulk (`addReplyBulk` on the argv
/// object); more than one argument is an arity error.
fn ping(s: &mut Server, c: &mut Client) {
    match c.argv.len() {
        1 => reply_status(s, c, "PONG"),
        2 => {
            let o = argv_obj(c, 1);
            add_reply_bulk(s, c, &o);
        }
        _ => reply_error_arity_of(s, c, "ping"),
    }
}

/// `echoCommand` (server.c): replies with the argv object itself (a reference when it is a big
/// RAW string; the argv slot then has count 2 and main drops its own reference in
/// `reclaimPendingCommand`).
fn echo(s: &mut Server, c: &mut Client) {
    let o = argv_obj(c, 1);
    add_reply_bulk(s, c, &o);
}

// ---------------------------------------------------------------------------------------------
// Strings (t_string.c)
// ---------------------------------------------------------------------------------------------

/// `getCommand` (t_string.c).
fn get(s: &mut Server, c: &mut Client) {
    let key = arg(s, c, 1);
    get_generic(s, c, &key);
}

/// `mgetCommand` (t_string.c): an array; a missing key or a non-string is a null bulk.
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
        reply_error_expire_time(s, c, fullname);
    }
    when
}

/// `setCommand` + `setGenericCommand` (t_string.c):
/// `SET key value [NX|XX] [GET] [EX s|PX ms|EXAT unix-s|PXAT unix-ms|KEEPTTL]`.
///
/// Order: option syntax (`ERR syntax error`), `tryObjectEncoding` of the value, the expire
/// value (see [`expire_ms_or_reply`]), then GET's reply (null / WRONGTYPE, which aborts / a
/// reference to the old value taken **before** the overwrite), then NX/XX (`$-1` unless GET),
/// then `setKey` (keeps the TTL slot when an expire follows) and `setExpire`; `+OK` unless
/// GET. An EXAT/PXAT in the past still stores the key with that expire (it is reclaimed
/// lazily); Redis does the same.
fn set(s: &mut Server, c: &mut Client) {
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
        lookup_key(s, &key).is_some()
    };
    if (f.nx && found) || (f.xx && !found) {
        if !f.get {
            reply_null(s, c);
        }
        return;
    }
    set_key_from_argv(s, c, &key, 2, f.keepttl || when.is_some(), found);
    if let Some(w) = when {
        set_expire(s, &key, w);
    }
    if !f.get {
        reply_status(s, c, "OK");
    }
}

/// `getdelCommand` (t_string.c): reply (maybe a reference), then `dbSyncDelete` — always
/// synchronous, whatever the lazyfree knobs say.
fn getdel(s: &mut Server, c: &mut Client) {
    let key = arg(s, c, 1);
    if get_generic(s, c, &key) == Some(true) {
        db_generic_delete(s, &key, false);
    }
}

/// `getexCommand` (t_string.c): `GETEX key [EX s|PX ms|EXAT unix-s|PXAT unix-ms|PERSIST]`.
///
/// Order: option syntax, then the key (null / WRONGTYPE), then the expire value (so a missing
/// key with a bad expire replies null), then the reply (a reference taken before the expire
/// change), then: EXAT/PXAT at or before now deletes the key (`lazyfree-lazy-expire`); another
/// expire goes through `setExpire` (`kvobjSetExpire` may duplicate a value a reply references);
/// PERSIST removes the TTL.
fn getex(s: &mut Server, c: &mut Client) {
    let Some(f) = parse_extended_string_args(s, c, ExtCmd::Get) else {
        return;
    };
    let key = arg(s, c, 1);
    let Some(kv) = lookup_key(s, &key) else {
        reply_null(s, c);
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
            db_generic_delete(s, &key, lazy);
        }
        Some(w) => {
            set_expire(s, &key, w);
        }
        None if f.persist => {
            remove_expire(s, &key);
        }
        None => {}
    }
}

/// `getsetCommand` (t_string.c): GET's reply first — it may take a reference to the old value
/// — then `tryObjectEncoding` and `setKey` without KEEPTTL (the TTL is dropped). The order
/// matters: the overwrite then sees the old value with count 2 and must not hand it to an IO
/// thread (#14738).
fn getset(s: &mut Server, c: &mut Client) {
    let key = arg(s, c, 1);
    let Some(found) = get_generic(s, c, &key) else {
        return;
    };
    try_object_encoding(s, c, 2);
    set_key_from_argv(s, c, &key, 2, false, found);
}

/// `msetCommand` / `msetGenericCommand(c, 0)` (t_string.c): an even argc is
/// `wrong number of arguments for 'mset' command`; each pair is `tryObjectEncoding` +
/// `setKey` (TTL dropped), in order, so a repeated key keeps the last value; `+OK`.
fn mset(s: &mut Server, c: &mut Client) {
    let argc = c.argv.len();
    if (argc & 1) == 0 {
        reply_error_arity_of(s, c, "mset");
        return;
    }
    let mut j = 1;
    while j + 1 < argc {
        try_object_encoding(s, c, j + 1);
        let key = arg(s, c, j);
        let exists = lookup_key(s, &key).is_some();
        set_key_from_argv(s, c, &key, j + 1, false, exists);
        j += 2;
    }
    reply_status(s, c, "OK");
}

/// `appendCommand` (t_string.c): a missing key is added from argv[2] (`tryObjectEncoding`,
/// `dbAdd`, the argv slot takes a reference to the kvobj); an existing string is checked
/// against `proto-max-bulk-len` (`ERR string exceeds maximum allowed size
/// (proto-max-bulk-len)`), made private RAW by `dbUnshareStringValue` (a referenced, shared,
/// INT or EMBSTR value is replaced by a fresh RAW copy), then grown in place. Replies the new
/// length; WRONGTYPE for a non-string.
fn append(s: &mut Server, c: &mut Client) {
    let key = arg(s, c, 1);
    let env = s.env();
    let cx = Cx::main(&env);
    let totlen = match lookup_key(s, &key) {
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
            let kv = db_unshare_string_value(s, Some(c), &key, kv);
            let old = kv.string_bytes(cx, "string for APPEND");
            let mut bytes = Vec::with_capacity(old.len() + tail.len());
            bytes.extend_from_slice(&old);
            bytes.extend_from_slice(&tail);
            replace_sds_in_place(cx, &kv, &bytes);
            bytes.len()
        }
    };
    reply_len(s, c, totlen);
}

/// `setrangeCommand` (t_string.c): the offset must be an integer (`ERR value is not an integer
/// or out of range`) and ≥ 0 (`ERR offset is out of range`). Missing key: an empty value
/// replies `:0`, else the zero-padded string is added. Existing string: an empty value
/// replies the current length; otherwise the length check, `dbUnshareStringValue`, then the
/// in-place overwrite (growing with zeros). Replies the new length; WRONGTYPE for a non-string.
fn setrange(s: &mut Server, c: &mut Client) {
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
    let newlen = match lookup_key(s, &key) {
        None => {
            if value.is_empty() {
                reply_integer(s, c, 0);
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
            db_add(s, &key, &o, Holder::Temp);
            bytes.len()
        }
        Some(kv) if kv.otype() != ObjType::String => {
            add_reply_error(s, c, WRONGTYPE);
            return;
        }
        Some(kv) => {
            let olen = kv.string_len(cx);
            if value.is_empty() {
                reply_len(s, c, olen);
                return;
            }
            if !check_string_length(s, c, offset_u, value.len() as u64) {
                return;
            }
            let Ok(off) = usize::try_from(offset_u) else {
                add_reply_error(s, c, STRING_TOO_LONG);
                return;
            };
            let kv = db_unshare_string_value(s, Some(c), &key, kv);
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
    reply_len(s, c, newlen);
}

/// `strlenCommand` (t_string.c): `:0` for a missing key, WRONGTYPE, else the length (the digit
/// count for an INT value).
fn strlen(s: &mut Server, c: &mut Client) {
    let key = arg(s, c, 1);
    match lookup_key(s, &key) {
        None => reply_integer(s, c, 0),
        Some(kv) if kv.otype() != ObjType::String => add_reply_error(s, c, WRONGTYPE),
        Some(kv) => {
            let env = s.env();
            let n = kv.string_len(Cx::main(&env));
            reply_len(s, c, n);
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
    let o = lookup_key(s, &key);
    if o.as_ref().is_some_and(|kv| kv.otype() != ObjType::String) {
        add_reply_error(s, c, WRONGTYPE);
        return;
    }
    let env = s.env();
    let cx = Cx::main(&env);
    let old = match &o {
        None => Some(0),
        Some(kv) => resp::string2ll(&kv.string_bytes(cx, "value for incrDecrCommand")),
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
            kv.hdr().payload = Payload::Int(value);
        }
        Some(_) => {
            let new = RObj::create_from_ll(cx, value, Holder::Temp);
            db_set_value(s, Some(c), &key, &new, Holder::Temp, true);
        }
        None => {
            let new = RObj::create_from_ll(cx, value, Holder::Temp);
            db_add(s, &key, &new, Holder::Temp);
        }
    }
    reply_integer(s, c, value);
}

/// `incrCommand` (t_string.c).
fn incr(s: &mut Server, c: &mut Client) {
    incr_decr(s, c, 1);
}

/// `decrCommand` (t_string.c).
fn decr(s: &mut Server, c: &mut Client) {
    incr_decr(s, c, -1);
}

/// `incrbyCommand` (t_string.c): the increment is parsed before the key is looked up.
fn incrby(s: &mut Server, c: &mut Client) {
    if let Some(n) = arg_ll_or_reply(s, c, 2) {
        incr_decr(s, c, n);
    }
}

/// `decrbyCommand` (t_string.c): `LLONG_MIN` cannot be negated: `ERR decrement would
/// overflow` (before the key is looked up).
fn decrby(s: &mut Server, c: &mut Client) {
    let Some(n) = arg_ll_or_reply(s, c, 2) else {
        return;
    };
    match n.checked_neg() {
        Some(neg) => incr_decr(s, c, neg),
        None => add_reply_error(s, c, DECR_OVERFLOW),
    }
}

// ---------------------------------------------------------------------------------------------
// Keyspace (db.c)
// ---------------------------------------------------------------------------------------------

/// `delGenericCommand(c, lazy)` (db.c): keys that are missing or expired do not count.
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

/// `delCommand` (db.c): `delGenericCommand(c, lazyfree-lazy-user-del)`; replies the number of
/// keys removed (an expired key counts as missing).
fn del(s: &mut Server, c: &mut Client) {
    let lazy = s.cfg.lazyfree_lazy_user_del;
    del_generic(s, c, lazy);
}

/// `unlinkCommand` (db.c): always lazy (`dbAsyncDelete`).
fn unlink(s: &mut Server, c: &mut Client) {
    del_generic(s, c, true);
}

/// `existsCommand` (db.c): counts each argument, so a repeated key counts twice.
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

/// `dbsizeCommand` (db.c): the dict size, which (as in Redis) includes keys that are logically
/// expired but not yet reclaimed.
fn dbsize(s: &mut Server, c: &mut Client) {
    let n = s.db.dict.len();
    reply_len(s, c, n);
}

/// `flushallCommand` / `flushdbCommand` + `getFlushCommandFlags` (db.c):
/// `[SYNC|ASYNC]` (C-string, case-insensitive); no option follows `lazyfree-lazy-user-flush`;
/// anything else is `ERR syntax error`. One database, so FLUSHDB = FLUSHALL. Simplified: 8.x
/// runs a SYNC flush of a client in the background and blocks the client; the reply is the
/// same `+OK`.
fn flushall(s: &mut Server, c: &mut Client) {
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
    reply_status(s, c, "OK");
}

/// `renameCommand` / `renameGenericCommand(c, 0)` (db.c): `ERR no such key` for a missing
/// source (also when source == destination); same key: `+OK`. Follows the 7.x order
/// (@ 4f8cdc2a): retain the value, delete dst, add the value under dst, delete src (`dbDelete`
/// → `lazyfree-lazy-server-del`). That is the path where #4601 sent an object with count 2 to
/// BIO. Simplified: the 8.x kvobj rewrite of RENAME was not read; here the dict holds the same
/// object under the new name (its embedded key and expire travel with it).
fn rename(s: &mut Server, c: &mut Client) {
    let (src, dst) = (arg(s, c, 1), arg(s, c, 2));
    let Some(o) = lookup_key(s, &src) else {
        add_reply_error(s, c, NO_SUCH_KEY);
        return;
    };
    if src == dst {
        reply_status(s, c, "OK");
        return;
    }
    let env = s.env();
    let cx = Cx::main(&env);
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

// ---------------------------------------------------------------------------------------------
// Expire (expire.c)
// ---------------------------------------------------------------------------------------------

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
            reply_error_format(s, c, &msg);
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
        reply_error_expire_time(s, c, name);
        return;
    };
    let key = arg(s, c, 1);
    let Some(kv) = lookup_key(s, &key) else {
        reply_integer(s, c, 0);
        return;
    };
    let current = kv.hdr().expire;
    let refused = (nx && current.is_some())
        || (xx && current.is_none())
        || (gt && current.is_none_or(|t| when <= t))
        || (lt && current.is_some_and(|t| when >= t));
    if refused {
        reply_integer(s, c, 0);
        return;
    }
    if when <= s.now_ms {
        let lazy = s.cfg.lazyfree_lazy_expire;
        db_generic_delete(s, &key, lazy);
    } else {
        set_expire(s, &key, when);
    }
    reply_integer(s, c, 1);
}

/// `expireCommand` (expire.c).
fn expire(s: &mut Server, c: &mut Client) {
    expire_generic(s, c, 1000, "expire");
}

/// `pexpireCommand` (expire.c).
fn pexpire(s: &mut Server, c: &mut Client) {
    expire_generic(s, c, 1, "pexpire");
}

/// `ttlGenericCommand(c, output_ms, 0)` (expire.c): `-2` missing key, `-1` no TTL, else the
/// remaining time (never below 0), in seconds rounded to nearest (`(ttl+500)/1000`) or ms.
fn ttl_generic(s: &mut Server, c: &mut Client, output_ms: bool) {
    let key = arg(s, c, 1);
    let Some(kv) = lookup_key(s, &key) else {
        reply_integer(s, c, -2);
        return;
    };
    let expire = kv.hdr().expire;
    match expire {
        None => reply_integer(s, c, -1),
        Some(t) => {
            let ttl = t.saturating_sub(s.now_ms).max(0);
            let v = if output_ms {
                ttl
            } else {
                ttl.saturating_add(500) / 1000
            };
            reply_integer(s, c, v);
        }
    }
}

/// `ttlCommand` (expire.c).
fn ttl(s: &mut Server, c: &mut Client) {
    ttl_generic(s, c, false);
}

/// `pttlCommand` (expire.c).
fn pttl(s: &mut Server, c: &mut Client) {
    ttl_generic(s, c, true);
}

/// `persistCommand` (expire.c): `:1` if a TTL was removed, else `:0` (also for a missing key).
fn persist(s: &mut Server, c: &mut Client) {
    let key = arg(s, c, 1);
    let removed = lookup_key(s, &key).is_some_and(|kv| kv.hdr().expire.take().is_some());
    reply_integer(s, c, i64::from(removed));
}

// ---------------------------------------------------------------------------------------------
// Lists (t_list.c). One quicklist node per element is the model's simplification.
// ---------------------------------------------------------------------------------------------

/// `pushGenericCommand` (t_list.c): WRONGTYPE, else create the list if missing (`dbAdd`) and
/// push each element; replies the new length.
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
            let l = RObj::create_list(Cx::main(&env), &[], Holder::Temp);
            db_add(s, &key, &l, Holder::Temp)
        }
    };
    let env = s.env();
    let cx = Cx::main(&env);
    let mut len = 0;
    for i in 2..c.argv.len() {
        let e = arg(s, c, i);
        let node = new_sds(cx, &e, AllocKind::ListNode);
        if let Payload::List(nodes) = &mut kv.hdr().payload {
            if head {
                nodes.push_front(node);
            } else {
                nodes.push_back(node);
            }
            len = nodes.len();
        }
    }
    reply_len(s, c, len);
}

/// `rpushCommand` (t_list.c).
fn rpush(s: &mut Server, c: &mut Client) {
    push_generic(s, c, false);
}

/// `lpushCommand` (t_list.c).
fn lpush(s: &mut Server, c: &mut Client) {
    push_generic(s, c, true);
}

/// `popGenericCommand` (t_list.c, 7.0+ form): more than one count argument is
/// `wrong number of arguments for 'lpop' command`; the count must be an integer ≥ 0, else
/// `ERR value is out of range, must be positive` (also for a non-integer), and is parsed
/// before the key. Missing key: `$-1` without a count, `*-1` with
/// one; WRONGTYPE; count 0: `*0`.
///
/// Without a count one element is popped into a fresh string object (`listTypePop`), replied
/// with `addReplyBulk` (a reference when it is a big RAW string) and released. With a count,
/// up to `count` elements are replied as copies (`addListRangeReply`; RPOP in pop order, last
/// first), then removed. A list left empty is deleted (`dbDelete` → `lazyfree-lazy-server-del`).
///
/// 6.2 differed (count 0 → `*-1` before the lookup; missing key with count → `$-1`).
fn pop_generic(s: &mut Server, c: &mut Client, head: bool, name: &str) {
    let argc = c.argv.len();
    if argc > 3 {
        reply_error_arity_of(s, c, name);
        return;
    }
    let count = if argc == 3 {
        match arg_positive_or_reply(s, c, 2) {
            Some(n) => Some(n),
            None => return,
        }
    } else {
        None
    };
    let key = arg(s, c, 1);
    let kv = match lookup_key(s, &key) {
        None => {
            if count.is_some() {
                reply_null_array(s, c);
            } else {
                reply_null(s, c);
            }
            return;
        }
        Some(kv) if kv.otype() != ObjType::List => {
            add_reply_error(s, c, WRONGTYPE);
            return;
        }
        Some(kv) => kv,
    };
    let env = s.env();
    let cx = Cx::main(&env);
    match count {
        Some(0) => {
            reply_array_len(s, c, 0);
            return;
        }
        None => {
            let node = match &mut kv.hdr().payload {
                Payload::List(nodes) if head => nodes.pop_front(),
                Payload::List(nodes) => nodes.pop_back(),
                _ => None,
            };
            let Some(node) = node else {
                // An empty list is never stored (it is deleted when it empties).
                reply_null(s, c);
                return;
            };
            env.ledger.read(Tid::Main, node.ptr, "list element for POP");
            let value = RObj::create_string(cx, &node.data, Holder::Temp);
            env.ledger.free(Tid::Main, node.ptr);
            add_reply_bulk(s, c, &value);
            value.decr_ref_count(cx, Holder::Temp);
        }
        Some(n) => {
            let len = kv.list_len();
            let take = usize::try_from(n).map_or(len, |n| n.min(len));
            let popped: Vec<crate::object::Sds> = match &mut kv.hdr().payload {
                Payload::List(nodes) if head => nodes.drain(..take).collect(),
                Payload::List(nodes) => {
                    let mut tail: Vec<_> = nodes.drain(len - take..).collect();
                    tail.reverse();
                    tail
                }
                _ => Vec::new(),
            };
            reply_array_len(s, c, popped.len());
            for node in &popped {
                env.ledger.read(Tid::Main, node.ptr, "list element for POP");
                reply_bulk_bytes(s, c, &node.data);
            }
            for node in popped {
                env.ledger.free(Tid::Main, node.ptr);
            }
        }
    }
    if kv.list_len() == 0 {
        let lazy = s.cfg.lazyfree_lazy_server_del;
        db_generic_delete(s, &key, lazy);
    }
}

/// `lpopCommand` (t_list.c).
fn lpop(s: &mut Server, c: &mut Client) {
    pop_generic(s, c, true, "lpop");
}

/// `rpopCommand` (t_list.c).
fn rpop(s: &mut Server, c: &mut Client) {
    pop_generic(s, c, false, "rpop");
}

/// `llenCommand` (t_list.c): `:0` for a missing key, WRONGTYPE, else the length.
fn llen(s: &mut Server, c: &mut Client) {
    let key = arg(s, c, 1);
    match lookup_key(s, &key) {
        None => reply_integer(s, c, 0),
        Some(kv) if kv.otype() != ObjType::List => add_reply_error(s, c, WRONGTYPE),
        Some(kv) => reply_len(s, c, kv.list_len()),
    }
}

/// `lrangeCommand` + `addListRangeReply` (t_list.c): start and end are parsed first
/// (`ERR value is not an integer or out of range`), then the key (`*0` if missing,
/// WRONGTYPE). Negative indexes count from the end; an empty range is `*0`; elements are
/// copies.
fn lrange(s: &mut Server, c: &mut Client) {
    let Some(start) = arg_ll_or_reply(s, c, 2) else {
        return;
    };
    let Some(end) = arg_ll_or_reply(s, c, 3) else {
        return;
    };
    let key = arg(s, c, 1);
    let kv = match lookup_key(s, &key) {
        None => {
            reply_array_len(s, c, 0);
            return;
        }
        Some(kv) if kv.otype() != ObjType::List => {
            add_reply_error(s, c, WRONGTYPE);
            return;
        }
        Some(kv) => kv,
    };
    let llen = i64::try_from(kv.list_len()).unwrap_or(i64::MAX);
    let mut start = if start < 0 { llen + start } else { start };
    let mut end = if end < 0 { llen + end } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= llen {
        reply_array_len(s, c, 0);
        return;
    }
    if end >= llen {
        end = llen - 1;
    }
    let (from, to) = (start as usize, end as usize);
    let elems: Vec<crate::object::Sds> = match &kv.hdr().payload {
        Payload::List(nodes) => nodes.range(from..=to).cloned().collect(),
        _ => Vec::new(),
    };
    let env = s.env();
    reply_array_len(s, c, elems.len());
    for node in &elems {
        env.ledger
            .read(Tid::Main, node.ptr, "list element for LRANGE");
        reply_bulk_bytes(s, c, &node.data);
    }
}

// ---------------------------------------------------------------------------------------------
// Server: INFO, CONFIG, DEBUG, MEMORY
// ---------------------------------------------------------------------------------------------

/// `infoCommand` + `genRedisInfoString` (server.c), RESP2 (`addReplyVerbatim` is a bulk).
/// `INFO [section ...]`: sections are case-insensitive; `memory`, `default`, `all` and
/// `everything` (and no argument) give the model's `# Memory` section, anything else adds
/// nothing (an unknown-only request is an empty bulk, as in Redis).
///
/// Left out (documented difference): every other section (`server`, `clients`, `stats`, …)
/// and every other Memory field; `used_memory` is the ledger's byte count of live model
/// allocations, not zmalloc's; `lazyfree_pending_objects` is the BIO queue's count.
fn info(s: &mut Server, c: &mut Client) {
    let mut memory = c.argv.len() == 1;
    for i in 1..c.argv.len() {
        let a = arg(s, c, i);
        let sec = a.to_ascii_lowercase();
        if matches!(&sec[..], b"memory" | b"default" | b"all" | b"everything") {
            memory = true;
        }
    }
    let body = if memory {
        format!(
            "# Memory\r\nused_memory:{}\r\nlazyfree_pending_objects:{}\r\n",
            s.env.ledger.used_memory(),
            s.bio.pending_objects()
        )
    } else {
        String::new()
    };
    reply_bulk_bytes(s, c, body.as_bytes());
}

/// The configs the model has (`standardConfig` entries of config.c), in table order.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Knob {
    LazyServerDel,
    LazyUserDel,
    LazyUserFlush,
    LazyExpire,
    LazyEviction,
    IoThreads,
}

const KNOBS: [Knob; 6] = [
    Knob::LazyServerDel,
    Knob::LazyUserDel,
    Knob::LazyUserFlush,
    Knob::LazyExpire,
    Knob::LazyEviction,
    Knob::IoThreads,
];

impl Knob {
    fn name(self) -> &'static str {
        match self {
            Knob::LazyServerDel => "lazyfree-lazy-server-del",
            Knob::LazyUserDel => "lazyfree-lazy-user-del",
            Knob::LazyUserFlush => "lazyfree-lazy-user-flush",
            Knob::LazyExpire => "lazyfree-lazy-expire",
            Knob::LazyEviction => "lazyfree-lazy-eviction",
            Knob::IoThreads => "io-threads",
        }
    }

    /// `lookupConfig`: the whole name, case-insensitively.
    fn lookup(name: &[u8]) -> Option<Knob> {
        KNOBS
            .into_iter()
            .find(|k| k.name().as_bytes().eq_ignore_ascii_case(name))
    }

    fn immutable(self) -> bool {
        self == Knob::IoThreads
    }

    fn get(self, s: &Server) -> String {
        let yes_no = |b: bool| if b { "yes" } else { "no" }.to_string();
        match self {
            Knob::LazyServerDel => yes_no(s.cfg.lazyfree_lazy_server_del),
            Knob::LazyUserDel => yes_no(s.cfg.lazyfree_lazy_user_del),
            Knob::LazyUserFlush => yes_no(s.cfg.lazyfree_lazy_user_flush),
            Knob::LazyExpire => yes_no(s.cfg.lazyfree_lazy_expire),
            Knob::LazyEviction => yes_no(s.cfg.lazyfree_lazy_eviction),
            Knob::IoThreads => s.cfg.io_threads_num.to_string(),
        }
    }

    fn set_bool(self, s: &mut Server, v: bool) {
        match self {
            Knob::LazyServerDel => s.cfg.lazyfree_lazy_server_del = v,
            Knob::LazyUserDel => s.cfg.lazyfree_lazy_user_del = v,
            Knob::LazyUserFlush => s.cfg.lazyfree_lazy_user_flush = v,
            Knob::LazyExpire => s.cfg.lazyfree_lazy_expire = v,
            Knob::LazyEviction => s.cfg.lazyfree_lazy_eviction = v,
            Knob::IoThreads => {}
        }
    }
}

/// `configGetCommand` (config.c): each argument without `[`, `*` or `?` is an exact,
/// case-insensitive name, replied under the spelling the client sent; a pattern is matched
/// (`stringmatch`, nocase) against every config name. Duplicates are dropped. RESP2 map = flat
/// array of name, value. An unknown name adds nothing (`*0` if nothing matched).
///
/// Difference: Redis replies in its dict's (seeded hash) order, the model in request order for
/// exact names and table order for pattern matches; and a pattern only sees the model's six
/// configs (`lazyfree-lazy-server-del`, `-user-del`, `-user-flush`, `-expire`, `-eviction`,
/// `io-threads`): every `lazyfree-lazy-*` config Redis has (the differential lane found
/// `-eviction` missing from the pattern's matches).
fn config_get(s: &mut Server, c: &mut Client) {
    let mut matches: Vec<(Vec<u8>, Knob)> = Vec::new();
    let seen =
        |m: &Vec<(Vec<u8>, Knob)>, n: &[u8]| m.iter().any(|(k, _)| k.eq_ignore_ascii_case(n));
    for i in 2..c.argv.len() {
        let name = arg(s, c, i);
        let pat = cstr(&name);
        if !pat.iter().any(|b| matches!(b, b'[' | b'*' | b'?')) {
            if seen(&matches, &name) {
                continue;
            }
            if let Some(k) = Knob::lookup(&name) {
                matches.push((cstr(&name).to_vec(), k));
            }
            continue;
        }
        for k in KNOBS {
            if seen(&matches, k.name().as_bytes()) {
                continue;
            }
            if string_match(pat, k.name().as_bytes(), true) {
                matches.push((k.name().as_bytes().to_vec(), k));
            }
        }
    }
    reply_array_len(s, c, matches.len() * 2);
    for (name, k) in matches {
        reply_bulk_bytes(s, c, &name);
        let v = k.get(s);
        reply_bulk_bytes(s, c, v.as_bytes());
    }
}

/// `configSetCommand` (config.c): `CONFIG SET name value [name value ...]`, all or nothing.
///
/// An odd argc: `ERR syntax error`. The first problem found
/// while scanning the names wins: an unknown name `ERR Unknown option or number of arguments
/// for CONFIG SET - '<name>'`; `io-threads` `ERR CONFIG SET failed (possibly related to
/// argument '<name as sent>') - can't set immutable config`; a repeated config `... - duplicate
/// parameter`. Then each value is parsed (`yesnotoi`): `ERR CONFIG SET failed (possibly
/// related to argument '<canonical name>') - argument must be 'yes' or 'no'`, and nothing is
/// applied. `+OK`.
fn config_set(s: &mut Server, c: &mut Client) {
    let argc = c.argv.len();
    if (argc & 1) == 1 {
        add_reply_error(s, c, SYNTAX_ERR);
        return;
    }
    let mut chosen: Vec<(Knob, usize)> = Vec::new();
    let mut err: Option<Vec<u8>> = None;
    let failed = |name: &[u8], why: &str| {
        let mut m = b"CONFIG SET failed (possibly related to argument '".to_vec();
        m.extend_from_slice(cstr(name));
        m.extend_from_slice(b"') - ");
        m.extend_from_slice(why.as_bytes());
        m
    };
    let mut i = 2;
    while i + 1 < argc {
        let name = arg(s, c, i);
        let Some(knob) = Knob::lookup(&name) else {
            if err.is_none() {
                let mut m = b"Unknown option or number of arguments for CONFIG SET - '".to_vec();
                m.extend_from_slice(cstr(&name));
                m.push(b'\'');
                err = Some(m);
            }
            i += 2;
            continue;
        };
        if err.is_some() {
            i += 2;
            continue;
        }
        if knob.immutable() {
            err = Some(failed(&name, "can't set immutable config"));
        } else if chosen.iter().any(|(k, _)| *k == knob) {
            err = Some(failed(&name, "duplicate parameter"));
        }
        chosen.push((knob, i + 1));
        i += 2;
    }
    if let Some(m) = err {
        reply_error_format(s, c, &m);
        return;
    }
    let mut values = Vec::with_capacity(chosen.len());
    for (knob, vi) in &chosen {
        let raw = arg(s, c, *vi);
        let v = cstr(&raw);
        if v.eq_ignore_ascii_case(b"yes") {
            values.push((*knob, true));
        } else if v.eq_ignore_ascii_case(b"no") {
            values.push((*knob, false));
        } else {
            let m = failed(knob.name().as_bytes(), "argument must be 'yes' or 'no'");
            reply_error_format(s, c, &m);
            return;
        }
    }
    for (knob, v) in values {
        knob.set_bool(s, v);
    }
    reply_status(s, c, "OK");
}

/// `stringmatchlen(pattern, string, nocase)` (util.c) semantics, written for the model: `*`,
/// `?`, `[...]` with `^`, ranges (either order; bytes compared as signed `char`), `\` escapes
/// (an escaped byte in a class is compared case-sensitively), a class left open at the end of
/// the pattern, and the recursion guard (depth 1000, "skip longer matches").
fn string_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    glob(pattern, string, nocase, &mut skip_longer, 0)
}

fn glob_lower(b: u8, nocase: bool) -> i32 {
    let v = i32::from(b as i8);
    if nocase && (i32::from(b'A')..=i32::from(b'Z')).contains(&v) {
        v + 32
    } else {
        v
    }
}

fn glob(mut p: &[u8], mut s: &[u8], nocase: bool, skip_longer: &mut bool, depth: u32) -> bool {
    if depth > 1000 {
        return false;
    }
    while let (Some(&pc), Some(&sc)) = (p.first(), s.first()) {
        match pc {
            b'*' => {
                while p.len() > 1 && p[1] == b'*' {
                    p = &p[1..];
                }
                if p.len() == 1 {
                    return true;
                }
                while !s.is_empty() {
                    if glob(&p[1..], s, nocase, skip_longer, depth + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    s = &s[1..];
                }
                *skip_longer = true;
                return false;
            }
            b'?' => {
                s = &s[1..];
                p = &p[1..];
            }
            b'[' => {
                p = &p[1..];
                let not = p.first() == Some(&b'^');
                if not {
                    p = &p[1..];
                }
                let mut matched = false;
                let mut closed = false;
                loop {
                    match p {
                        [b'\\', esc, ..] => {
                            if *esc == sc {
                                matched = true;
                            }
                            p = &p[2..];
                        }
                        [b']', ..] => {
                            closed = true;
                            break;
                        }
                        [] => break,
                        [lo, b'-', hi, ..] => {
                            let (mut a, mut b) = (i32::from(*lo as i8), i32::from(*hi as i8));
                            if a > b {
                                std::mem::swap(&mut a, &mut b);
                            }
                            let (a, b, x) = if nocase {
                                (
                                    glob_lower(a as u8, true),
                                    glob_lower(b as u8, true),
                                    glob_lower(sc, true),
                                )
                            } else {
                                (a, b, i32::from(sc as i8))
                            };
                            if x >= a && x <= b {
                                matched = true;
                            }
                            p = &p[3..];
                        }
                        [one, ..] => {
                            if glob_lower(*one, nocase) == glob_lower(sc, nocase) {
                                matched = true;
                            }
                            p = &p[1..];
                        }
                    }
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                s = &s[1..];
                if closed {
                    p = &p[1..];
                }
            }
            b'\\' if p.len() >= 2 => {
                if glob_lower(p[1], nocase) != glob_lower(sc, nocase) {
                    return false;
                }
                s = &s[1..];
                p = &p[2..];
            }
            _ => {
                if glob_lower(pc, nocase) != glob_lower(sc, nocase) {
                    return false;
                }
                s = &s[1..];
                p = &p[1..];
            }
        }
        if s.is_empty() {
            while p.first() == Some(&b'*') {
                p = &p[1..];
            }
            break;
        }
    }
    p.is_empty() && s.is_empty()
}

/// C `atoi` (glibc: `(int)strtol(s, NULL, 10)`): leading whitespace, a sign, digits; stops at
/// the first other byte; `strtol` saturates, the cast keeps the low 32 bits.
fn atoi(b: &[u8]) -> i32 {
    let b = cstr(b);
    let mut i = 0;
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let mut neg = false;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        neg = b[i] == b'-';
        i += 1;
    }
    let mut v: i64 = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        let d = i64::from(b[i] - b'0');
        v = if neg {
            v.saturating_mul(10).saturating_sub(d)
        } else {
            v.saturating_mul(10).saturating_add(d)
        };
        i += 1;
    }
    v as i32
}

/// `debugCommand` (debug.c), only `DEBUG REPLY-COPY-AVOIDANCE <n>` (8.6, #14608): sets
/// `reply_copy_avoidance` to `atoi(n) != 0` and replies `+OK` (so any third argument is
/// accepted; the model follows debug.c's `atoi` convention, not verified against 8.6's text).
/// Anything else, including other real DEBUG subcommands and `HELP`: `ERR unknown subcommand or
/// wrong number of arguments for '<sub>'. Try DEBUG HELP.`
fn debug(s: &mut Server, c: &mut Client) {
    let sub = arg(s, c, 1);
    if c.argv.len() == 3 && cstr(&sub).eq_ignore_ascii_case(b"reply-copy-avoidance") {
        let v = arg(s, c, 2);
        s.cfg.reply_copy_avoidance = atoi(&v) != 0;
        reply_status(s, c, "OK");
        return;
    }
    reply_subcommand_syntax_error(s, c);
}

/// `memoryCommand` `USAGE` branch (object.c): `MEMORY USAGE key [SAMPLES count]`. `SAMPLES`
/// (C-string, case-insensitive) needs a following integer (`ERR value is not an integer or
/// out of range`) ≥ 0; anything else, or a negative count, is `ERR syntax error`. The key is
/// found without lazy expiry (`dbFind`); missing: `$-1`.
///
/// The number is the **model's**, not jemalloc's: the bytes the ledger allocates for the kvobj
/// (16-byte header + embedded key `3 + len + 1`, + 8 with an expire slot, + an embedded
/// EMBSTR `3 + len + 1`) plus its separate sds or list nodes (`3 + len + 1` each). No
/// allocator rounding, dict overhead or sampling.
fn memory_usage(s: &mut Server, c: &mut Client) {
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
    let Some(kv) = s.db.dict.get(&key[..]).cloned() else {
        reply_null(s, c);
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
            Payload::List(nodes) => n += nodes.iter().map(|x| sds(x.data.len())).sum::<usize>(),
            Payload::Null | Payload::Int(_) => {}
        }
        n
    };
    reply_len(s, c, usage);
}

// ---------------------------------------------------------------------------------------------
// Cluster (only what the Didi leak needs)

/// `keyHashSlot` (cluster.c): CRC16 (XMODEM) of the key, or of its first non-empty `{tag}`,
/// modulo 16384.
pub fn key_hash_slot(key: &[u8]) -> u16 {
    let tagged = key.iter().position(|&b| b == b'{').and_then(|open| {
        let rest = &key[open + 1..];
        let close = rest.iter().position(|&b| b == b'}')?;
        (close > 0).then(|| &rest[..close])
    });
    let mut crc: u16 = 0;
    for &b in tagged.unwrap_or(key) {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc & 16383
}

fn cluster_disabled(s: &mut Server, c: &mut Client) -> bool {
    if !s.cfg.cluster_enabled {
        add_reply_error(s, c, "ERR This instance has cluster support disabled");
        return true;
    }
    false
}

/// `CLUSTER KEYSLOT key`.
fn cluster_keyslot(s: &mut Server, c: &mut Client) {
    if cluster_disabled(s, c) {
        return;
    }
    let key = arg(s, c, 2);
    reply_integer(s, c, i64::from(key_hash_slot(&key)));
}

/// `CLUSTER GETKEYSINSLOT slot count` with the Redis 4.0 contract (`getKeysInSlot` @ 4.0.0):
/// the keys come back as **owned** objects in a temporary array; the caller replies with each,
/// releases each and frees the array. [`Fault::GetkeysinslotOwnedLeak`] frees only the array,
/// as a 3.2.8-style caller did after Didi's rax backport. Keys are returned in sorted order
/// (Redis: slot-dict order).
fn cluster_getkeysinslot(s: &mut Server, c: &mut Client) {
    if cluster_disabled(s, c) {
        return;
    }
    let Some(slot) = arg_ll_or_reply(s, c, 2) else {
        return;
    };
    let Some(max) = arg_ll_or_reply(s, c, 3) else {
        return;
    };
    if !(0..16384).contains(&slot) || max < 0 {
        add_reply_error(s, c, "ERR Invalid slot or number of keys");
        return;
    }
    let mut keys: Vec<Vec<u8>> =
        s.db.dict
            .keys()
            .filter(|k| i64::from(key_hash_slot(k)) == slot)
            .cloned()
            .collect();
    keys.sort();
    keys.truncate(usize::try_from(max).unwrap_or(usize::MAX));
    let env = s.env();
    let cx = Cx::main(&env);
    let array = env.ledger.alloc(
        Tid::Main,
        AllocKind::Argv,
        8 * keys.len().max(1),
        "getKeysInSlot array",
        None,
    );
    let objs: Vec<RObj> = keys
        .iter()
        .map(|k| RObj::create_string(cx, k, Holder::Temp))
        .collect();
    reply_array_len(s, c, objs.len());
    for o in &objs {
        add_reply_bulk(s, c, o);
        if !env.cfg.fault(Fault::GetkeysinslotOwnedLeak) {
            o.decr_ref_count(cx, Holder::Temp);
        }
    }
    env.ledger.free(Tid::Main, array);
}

#[cfg(test)]
mod tests {

    #[test]
    fn key_hash_slot_matches_redis_documented_values() {
        assert_eq!(super::key_hash_slot(b"somekey"), 11058);
        assert_eq!(super::key_hash_slot(b"foo"), 12182);
        assert_eq!(
            super::key_hash_slot(b"{user1000}.following"),
            super::key_hash_slot(b"{user1000}.followers")
        );
        // Only the first `{` counts, and an empty tag hashes the whole key.
        assert_ne!(
            super::key_hash_slot(b"foo{}{bar}"),
            super::key_hash_slot(b"bar")
        );
        assert_ne!(super::key_hash_slot(b"{}a"), super::key_hash_slot(b"{}b"));
    }

    use crate::iothread::run_main_client;
    use crate::networking::write_to_client;
    use crate::object::Cx;
    use crate::{Config, Env, Server, Tid};

    /// Drive one client on main through `cmds`, with the socket accepting `sndbuf` bytes per
    /// write (so reply references stay alive across later commands), then flush, close, check
    /// `inspect`, flush the keyspace synchronously, drain BIO and assert the ledger quiescent.
    fn run_full(
        cfg: Config,
        sndbuf: Option<usize>,
        cmds: &[&[&[u8]]],
        inspect: impl FnOnce(&Server),
    ) -> Vec<u8> {
        let env = Env::new(cfg, false);
        let mut s = Server::new(env.clone());
        let script = cmds
            .iter()
            .map(|a| crate::resp::encode_request(a))
            .collect();
        let mut c = crate::networking::create_client(&mut s, Tid::Main, script);
        c.sndbuf = sndbuf;
        run_main_client(&mut s, &mut c);
        c.sndbuf = None;
        let cx = Cx::main(&env);
        write_to_client(cx, Some(&mut s), &mut c);
        let out = c.sent.clone();
        crate::networking::free_client(&mut s, c);
        inspect(&s);
        let mut f = crate::networking::create_client(&mut s, Tid::Main, vec![]);
        crate::db::empty_db(&mut s, &mut f, false);
        crate::networking::free_client(&mut s, f);
        while s.bio.step(&env) {}
        s.assert_reply_refs_empty();
        env.ledger.assert_quiescent();
        out
    }

    fn run(cmds: &[&[&[u8]]]) -> Vec<u8> {
        run_full(Config::default(), None, cmds, |_| {})
    }

    /// Regression (found reading db.c while building the differential lane): a key expires
    /// when `now > when`, so in the millisecond of its expiry it is still there with PTTL 0.
    /// The model and the reference both had `now >= when`.
    #[test]
    fn a_key_lives_through_the_millisecond_it_expires() {
        // The clock steps 1 ms per command: SET at T+1 (when = T+3), GET at T+2, PTTL at T+3.
        let out = run(&[
            &[b"SET", b"a", b"v", b"PX", b"2"],
            &[b"GET", b"a"],
            &[b"PTTL", b"a"],
            &[b"GET", b"a"],
        ]);
        assert_eq!(out, cat(&[ok(), bulk(b"v"), int(0), nil()]));
    }

    fn run_cfg(cfg: Config, cmds: &[&[&[u8]]]) -> Vec<u8> {
        run_full(cfg, None, cmds, |_| {})
    }

    fn ok() -> Vec<u8> {
        b"+OK\r\n".to_vec()
    }
    fn nil() -> Vec<u8> {
        b"$-1\r\n".to_vec()
    }
    fn int(n: i64) -> Vec<u8> {
        format!(":{n}\r\n").into_bytes()
    }
    fn bulk(b: &[u8]) -> Vec<u8> {
        let mut v = format!("${}\r\n", b.len()).into_bytes();
        v.extend_from_slice(b);
        v.extend_from_slice(b"\r\n");
        v
    }
    fn err(m: &str) -> Vec<u8> {
        format!("-{m}\r\n").into_bytes()
    }
    fn arr(n: usize) -> Vec<u8> {
        format!("*{n}\r\n").into_bytes()
    }
    fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
        parts.concat()
    }
    fn show(b: &[u8]) -> String {
        String::from_utf8_lossy(b).into_owned()
    }

    /// Assert one reply per command, in order.
    fn check(cmds: &[&[&[u8]]], want: &[Vec<u8>]) {
        assert_eq!(cmds.len(), want.len(), "one expected reply per command");
        let got = run(cmds);
        assert_eq!(show(&got), show(&cat(want)));
    }

    const WT: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
    const NOTINT: &str = "ERR value is not an integer or out of range";
    const SYNTAX: &str = "ERR syntax error";

    #[test]
    fn unknown_command_texts_follow_8x() {
        let long = vec![b'a'; 200];
        let a60 = vec![b'b'; 60];
        let got = run(&[
            &[b"FOO"],
            &[b"foo", b"a", b"b c"],
            &[b"foo", &long],
            &[&long],
            &[b"foo", &a60, &a60, &a60, b"zzz"],
            &[b"foo", b"x\r\ny", b"p\0q"],
            &[b"f\no\r"],
        ]);
        let a128 = "a".repeat(128);
        let b60 = "b".repeat(60);
        let want = [
            err("ERR unknown command 'FOO'"),
            err("ERR unknown command 'foo', with args beginning with: 'a' 'b c' "),
            err(&format!(
                "ERR unknown command 'foo', with args beginning with: '{a128}' "
            )),
            err(&format!("ERR unknown command '{a128}'")),
            err(&format!(
                "ERR unknown command 'foo', with args beginning with: '{b60}' '{b60}' 'bb' "
            )),
            err("ERR unknown command 'foo', with args beginning with: 'x  y' 'p' "),
            err("ERR unknown command 'f o '"),
        ];
        assert_eq!(show(&got), show(&cat(&want)));
    }

    #[test]
    fn arity_and_subcommand_texts() {
        check(
            &[
                &[b"GET"],
                &[b"get", b"a", b"b"],
                &[b"CONFIG"],
                &[b"config", b"get"],
                &[b"CONFIG", b"SET", b"a"],
                &[b"config", b"nope"],
                &[b"Config", b"h\nelp", b"x"],
                &[b"MEMORY"],
                &[b"memory", b"usage"],
                &[b"memory", b"stats"],
                &[b"DEBUG"],
                &[b"debug", b"help"],
                &[b"debug", b"reply-copy-avoidance"],
                &[b"PING", b"a", b"b"],
                &[b"lpop", b"k", b"1", b"2"],
                &[b"mset", b"a", b"1", b"b"],
                &[b"config", b"set", b"a", b"b", b"c"],
                &[b"dbsize", b"x"],
            ],
            &[
                err("ERR wrong number of arguments for 'get' command"),
                err("ERR wrong number of arguments for 'get' command"),
                err("ERR wrong number of arguments for 'config' command"),
                err("ERR wrong number of arguments for 'config|get' command"),
                err("ERR wrong number of arguments for 'config|set' command"),
                err("ERR unknown subcommand 'nope'. Try CONFIG HELP."),
                err("ERR unknown subcommand 'h elp'. Try CONFIG HELP."),
                err("ERR wrong number of arguments for 'memory' command"),
                err("ERR wrong number of arguments for 'memory|usage' command"),
                err("ERR unknown subcommand 'stats'. Try MEMORY HELP."),
                err("ERR wrong number of arguments for 'debug' command"),
                err("ERR unknown subcommand or wrong number of arguments for 'help'. Try DEBUG HELP."),
                err("ERR unknown subcommand or wrong number of arguments for 'reply-copy-avoidance'. Try DEBUG HELP."),
                err("ERR wrong number of arguments for 'ping' command"),
                err("ERR wrong number of arguments for 'lpop' command"),
                err("ERR wrong number of arguments for 'mset' command"),
                err(SYNTAX),
                err("ERR wrong number of arguments for 'dbsize' command"),
            ],
        );
    }

    #[test]
    fn ping_echo() {
        check(
            &[
                &[b"PING"],
                &[b"ping", b"hi"],
                &[b"ECHO", b""],
                &[b"echo", b"x y"],
            ],
            &[b"+PONG\r\n".to_vec(), bulk(b"hi"), bulk(b""), bulk(b"x y")],
        );
    }

    #[test]
    fn security_guard_closes_without_reply() {
        let got = run(&[&[b"SET", b"k", b"v"], &[b"POST", b"/"], &[b"GET", b"k"]]);
        assert_eq!(show(&got), "+OK\r\n");
        let got = run(&[&[b"Host:", b"x"], &[b"PING"]]);
        assert_eq!(show(&got), "");
    }

    /// A reply queued in the same read as `POST` is never written (`CLIENT_CLOSE_ASAP`), and a
    /// reply reference it held is released when the client is freed.
    #[test]
    fn security_guard_drops_replies_of_the_same_read() {
        let env = Env::new(Config::default(), false);
        let mut s = Server::new(env.clone());
        let big = vec![b'x'; 20_000];
        let mut batch = crate::resp::encode_request(&[b"SET".to_vec(), b"k".to_vec(), big]);
        batch.extend(crate::resp::encode_request(&[
            b"GET".to_vec(),
            b"k".to_vec(),
        ]));
        batch.extend(crate::resp::encode_request(&[
            b"POST".to_vec(),
            b"/".to_vec(),
        ]));
        let mut c = crate::networking::create_client(&mut s, Tid::Main, vec![batch]);
        assert!(!run_main_client(&mut s, &mut c));
        assert!(c.sent.is_empty(), "{:?}", String::from_utf8_lossy(&c.sent));
        assert_eq!(
            s.stat_reply_refs, 1,
            "GET's reply must have referenced the value"
        );
        crate::networking::free_client(&mut s, c);
        let mut f = crate::networking::create_client(&mut s, Tid::Main, vec![]);
        crate::db::empty_db(&mut s, &mut f, false);
        crate::networking::free_client(&mut s, f);
        while s.bio.step(&env) {}
        env.ledger.assert_quiescent();
    }

    #[test]
    fn set_options_and_errors() {
        let exp_set = "ERR invalid expire time in 'set' command";
        check(
            &[
                &[b"SET", b"k", b"v", b"EX", b"10", b"PX", b"10"],
                &[b"SET", b"k", b"v", b"NX", b"XX"],
                &[b"SET", b"k", b"v", b"EX"],
                &[b"SET", b"k", b"v", b"KEEPTTL", b"EX", b"10"],
                &[b"SET", b"k", b"v", b"EX", b"10", b"KEEPTTL"],
                &[b"SET", b"k", b"v", b"PERSIST"],
                &[b"SET", b"k", b"v", b"FOO"],
                &[b"SET", b"k", b"v", b"EX", b"abc", b"FOO"],
                &[b"SET", b"k", b"v", b"EX", b"abc"],
                &[b"SET", b"k", b"v", b"EX", b"0"],
                &[b"SET", b"k", b"v", b"PX", b"-5"],
                &[b"SET", b"k", b"v", b"EX", b"9223372036854776"],
                &[b"SET", b"k", b"v", b"PX", b"9223372036854775807"],
                &[b"EXISTS", b"k"],
                &[b"SET", b"k", b"v", b"ex", b"10", b"EX", b"20"],
                &[b"TTL", b"k"],
                &[b"SET", b"k", b"v", b"nx\0junk"],
                &[b"SET", b"k", b"w", b"XX", b"GET"],
                &[b"SET", b"k2", b"w", b"XX", b"GET"],
                &[b"SET", b"k2", b"w", b"XX"],
                &[b"SET", b"k", b"z", b"NX", b"NX"],
                &[b"TTL", b"k"],
                &[b"SET", b"k", b"v", b"EX", b"30"],
                &[b"SET", b"k", b"z", b"KEEPTTL"],
                &[b"TTL", b"k"],
                &[b"SET", b"k", b"y"],
                &[b"TTL", b"k"],
                &[b"GET", b"k"],
            ],
            &[
                err(SYNTAX),
                err(SYNTAX),
                err(SYNTAX),
                err(SYNTAX),
                err(SYNTAX),
                err(SYNTAX),
                err(SYNTAX),
                err(SYNTAX),
                err(NOTINT),
                err(exp_set),
                err(exp_set),
                err(exp_set),
                err(exp_set),
                int(0),
                ok(),
                int(20),
                nil(),
                bulk(b"v"),
                nil(),
                nil(),
                nil(),
                int(-1),
                ok(),
                ok(),
                int(30),
                ok(),
                int(-1),
                bulk(b"y"),
            ],
        );
    }

    #[test]
    fn set_exat_pxat_and_get() {
        // The clock starts at EPOCH_MS and advances 1 ms per command.
        let base = crate::server::EPOCH_MS;
        let pxat = (base + 1000).to_string();
        let exat = (base / 1000 + 100).to_string();
        check(
            &[
                &[b"SET", b"a", b"1", b"EXAT", b"1"],
                &[b"GET", b"a"],
                &[b"SET", b"b", b"1", b"PXAT", pxat.as_bytes()],
                &[b"PTTL", b"b"],
                &[b"SET", b"c", b"1", b"EXAT", exat.as_bytes()],
                &[b"TTL", b"c"],
                &[b"RPUSH", b"l", b"x"],
                &[b"SET", b"l", b"v", b"GET"],
                &[b"LLEN", b"l"],
                &[b"SET", b"n", b"v", b"GET"],
                &[b"SET", b"n", b"w", b"GET"],
                &[b"SET", b"b", b"v", b"EXAT", b"0"],
            ],
            &[
                ok(),
                nil(),
                ok(),
                int(996),
                ok(),
                int(100),
                int(1),
                err(WT),
                int(1),
                nil(),
                bulk(b"v"),
                err("ERR invalid expire time in 'set' command"),
            ],
        );
    }

    #[test]
    fn getex_getdel_getset() {
        let exp_getex = "ERR invalid expire time in 'getex' command";
        check(
            &[
                &[b"GETEX", b"missing", b"EX", b"abc"],
                &[b"SET", b"k", b"v"],
                &[b"GETEX", b"k", b"EX", b"abc"],
                &[b"GETEX", b"k", b"EX", b"-1"],
                &[b"GETEX", b"k", b"NX"],
                &[b"GETEX", b"k", b"KEEPTTL"],
                &[b"GETEX", b"k", b"PERSIST", b"EX", b"1"],
                &[b"GETEX", b"k", b"PX", b"100"],
                &[b"PTTL", b"k"],
                &[b"GETEX", b"k", b"PERSIST"],
                &[b"TTL", b"k"],
                &[b"GETEX", b"k", b"EXAT", b"1"],
                &[b"EXISTS", b"k"],
                &[b"RPUSH", b"l", b"x"],
                &[b"GETEX", b"l"],
                &[b"GETDEL", b"l"],
                &[b"SET", b"k", b"v", b"EX", b"100"],
                &[b"GETDEL", b"k"],
                &[b"GETDEL", b"k"],
                &[b"GETSET", b"k", b"a"],
                &[b"SET", b"k", b"b", b"EX", b"100"],
                &[b"GETSET", b"k", b"c"],
                &[b"TTL", b"k"],
                &[b"GET", b"k"],
                &[b"GETSET", b"l", b"c"],
                &[b"LLEN", b"l"],
            ],
            &[
                nil(),
                ok(),
                err(NOTINT),
                err(exp_getex),
                err(SYNTAX),
                err(SYNTAX),
                err(SYNTAX),
                bulk(b"v"),
                int(99),
                bulk(b"v"),
                int(-1),
                bulk(b"v"),
                int(0),
                int(1),
                err(WT),
                err(WT),
                ok(),
                bulk(b"v"),
                nil(),
                nil(),
                ok(),
                bulk(b"b"),
                int(-1),
                bulk(b"c"),
                err(WT),
                int(1),
            ],
        );
    }

    #[test]
    fn mset_mget_strlen() {
        check(
            &[
                &[b"MSET", b"a", b"1", b"b", b"hello", b"a", b"22"],
                &[b"MGET", b"a", b"b", b"c"],
                &[b"STRLEN", b"a"],
                &[b"STRLEN", b"b"],
                &[b"STRLEN", b"c"],
                &[b"RPUSH", b"l", b"x"],
                &[b"STRLEN", b"l"],
                &[b"MGET", b"l"],
                &[b"SET", b"t", b"v", b"EX", b"100"],
                &[b"MSET", b"t", b"w"],
                &[b"TTL", b"t"],
                &[b"MSET", b"l", b"v"],
                &[b"GET", b"l"],
            ],
            &[
                ok(),
                cat(&[arr(3), bulk(b"22"), bulk(b"hello"), nil()]),
                int(2),
                int(5),
                int(0),
                int(1),
                err(WT),
                cat(&[arr(1), nil()]),
                ok(),
                ok(),
                int(-1),
                ok(),
                bulk(b"v"),
            ],
        );
    }

    #[test]
    fn append_and_setrange() {
        check(
            &[
                &[b"APPEND", b"a", b"12"],
                &[b"APPEND", b"a", b"34"],
                &[b"GET", b"a"],
                &[b"SET", b"n", b"7"],
                &[b"APPEND", b"n", b"8"],
                &[b"INCR", b"n"],
                &[b"RPUSH", b"l", b"x"],
                &[b"APPEND", b"l", b"x"],
                &[b"SETRANGE", b"l", b"0", b"x"],
                &[b"SETRANGE", b"s", b"-1", b"x"],
                &[b"SETRANGE", b"s", b"x", b"x"],
                &[b"SETRANGE", b"s", b"3", b""],
                &[b"EXISTS", b"s"],
                &[b"SETRANGE", b"s", b"3", b"ab"],
                &[b"GET", b"s"],
                &[b"SETRANGE", b"s", b"1", b"Z"],
                &[b"SETRANGE", b"s", b"7", b""],
                &[b"GET", b"s"],
                &[b"SETRANGE", b"n", b"0", b"9"],
                &[b"GET", b"n"],
                &[b"SETRANGE", b"s", b"536870912", b"x"],
                &[b"SET", b"t", b"v", b"EX", b"100"],
                &[b"APPEND", b"t", b"w"],
                &[b"SETRANGE", b"t", b"0", b"x"],
                &[b"TTL", b"t"],
                &[b"GET", b"t"],
            ],
            &[
                int(2),
                int(4),
                bulk(b"1234"),
                ok(),
                int(2),
                int(79),
                int(1),
                err(WT),
                err(WT),
                err("ERR offset is out of range"),
                err(NOTINT),
                int(0),
                int(0),
                int(5),
                bulk(b"\0\0\0ab"),
                int(5),
                int(5),
                bulk(b"\0Z\0ab"),
                int(2),
                bulk(b"99"),
                err("ERR string exceeds maximum allowed size (proto-max-bulk-len)"),
                ok(),
                int(2),
                int(2),
                int(100),
                bulk(b"xw"),
            ],
        );
    }

    #[test]
    fn incr_family() {
        check(
            &[
                &[b"INCR", b"n"],
                &[b"INCRBY", b"n", b"20000"],
                &[b"INCRBY", b"n", b"5"],
                &[b"DECRBY", b"n", b"20006"],
                &[b"DECR", b"n"],
                &[b"GET", b"n"],
                &[b"INCRBY", b"n", b"abc"],
                &[b"DECRBY", b"n", b"-9223372036854775808"],
                &[b"DECRBY", b"missing", b"-9223372036854775808"],
                &[b"SET", b"m", b"9223372036854775807"],
                &[b"INCR", b"m"],
                &[b"SET", b"m", b"-9223372036854775808"],
                &[b"DECR", b"m"],
                &[b"SET", b"s", b"abc"],
                &[b"INCR", b"s"],
                &[b"SET", b"s", b" 1"],
                &[b"INCR", b"s"],
                &[b"RPUSH", b"l", b"x"],
                &[b"INCR", b"l"],
                &[b"SET", b"t", b"5", b"EX", b"100"],
                &[b"INCR", b"t"],
                &[b"INCRBY", b"t", b"100000"],
                &[b"TTL", b"t"],
                &[b"SET", b"e", b"-5"],
                &[b"INCR", b"e"],
                &[b"APPEND", b"e", b"0"],
                &[b"INCR", b"e"],
            ],
            &[
                int(1),
                int(20001),
                int(20006),
                int(0),
                int(-1),
                bulk(b"-1"),
                err(NOTINT),
                err("ERR decrement would overflow"),
                err("ERR decrement would overflow"),
                ok(),
                err("ERR increment or decrement would overflow"),
                ok(),
                err("ERR increment or decrement would overflow"),
                ok(),
                err(NOTINT),
                ok(),
                err(NOTINT),
                int(1),
                err(WT),
                ok(),
                int(6),
                int(100006),
                int(100),
                ok(),
                int(-4),
                int(3),
                int(-39),
            ],
        );
    }

    #[test]
    fn expire_ttl_persist() {
        check(
            &[
                &[b"TTL", b"k"],
                &[b"PTTL", b"k"],
                &[b"EXPIRE", b"k", b"10"],
                &[b"SET", b"k", b"v"],
                &[b"TTL", b"k"],
                &[b"PERSIST", b"k"],
                &[b"EXPIRE", b"k", b"10", b"XX"],
                &[b"EXPIRE", b"k", b"10", b"GT"],
                &[b"EXPIRE", b"k", b"10", b"LT"],
                &[b"TTL", b"k"],
                &[b"EXPIRE", b"k", b"20", b"NX"],
                &[b"EXPIRE", b"k", b"20", b"LT"],
                &[b"EXPIRE", b"k", b"20", b"gt"],
                &[b"TTL", b"k"],
                &[b"PEXPIRE", b"k", b"5000", b"xx", b"lt"],
                &[b"PTTL", b"k"],
                &[b"PERSIST", b"k"],
                &[b"PERSIST", b"k"],
                &[b"EXPIRE", b"k", b"10", b"NX", b"XX"],
                &[b"EXPIRE", b"k", b"10", b"NX", b"GT"],
                &[b"EXPIRE", b"k", b"10", b"GT", b"LT"],
                &[b"EXPIRE", b"k", b"10", b"FOO"],
                &[b"EXPIRE", b"k", b"abc", b"f\r\noo\n"],
                &[b"EXPIRE", b"k", b"abc"],
                &[b"EXPIRE", b"k", b"9223372036854776"],
                &[b"PEXPIRE", b"k", b"9223372036854775807"],
                &[b"EXPIRE", b"k", b"-9223372036854775"],
                &[b"EXISTS", b"k"],
                &[b"SET", b"k", b"v"],
                &[b"PEXPIRE", b"k", b"0"],
                &[b"EXISTS", b"k"],
                &[b"SET", b"k", b"v"],
                &[b"PEXPIRE", b"k", b"2"],
                &[b"PTTL", b"k"],
                &[b"GET", b"k"],
                &[b"SET", b"k", b"v", b"PX", b"1500"],
                &[b"TTL", b"k"],
            ],
            &[
                int(-2),
                int(-2),
                int(0),
                ok(),
                int(-1),
                int(0),
                int(0),
                int(0),
                int(1),
                int(10),
                int(0),
                int(0),
                int(1),
                int(20),
                int(1),
                int(4999),
                int(1),
                int(0),
                err("ERR NX and XX, GT or LT options at the same time are not compatible"),
                err("ERR NX and XX, GT or LT options at the same time are not compatible"),
                err("ERR GT and LT options at the same time are not compatible"),
                err("ERR Unsupported option FOO"),
                err("ERR Unsupported option f  oo"),
                err(NOTINT),
                err("ERR invalid expire time in 'expire' command"),
                err("ERR invalid expire time in 'pexpire' command"),
                int(1),
                int(0),
                ok(),
                int(1),
                int(0),
                ok(),
                int(1),
                int(1),
                // PEXPIRE 2, then PTTL 1 ms later, then GET in the expiry's own ms: still
                // there (db.c keyIsExpired: `now > when`).
                bulk(b"v"),
                ok(),
                int(1),
            ],
        );
    }

    /// EXPIRE on a list without an expire slot (the stopgap around `db::set_expire`).
    #[test]
    fn expire_on_a_list() {
        check(
            &[
                &[b"RPUSH", b"l", b"a", b"b"],
                &[b"EXPIRE", b"l", b"100"],
                &[b"TTL", b"l"],
                &[b"PEXPIRE", b"l", b"50000", b"LT"],
                &[b"PTTL", b"l"],
                &[b"LRANGE", b"l", b"0", b"-1"],
                &[b"PERSIST", b"l"],
                &[b"EXPIRE", b"l", b"-1"],
                &[b"EXISTS", b"l"],
            ],
            &[
                int(2),
                int(1),
                int(100),
                int(1),
                int(49_999),
                cat(&[arr(2), bulk(b"a"), bulk(b"b")]),
                int(1),
                int(1),
                int(0),
            ],
        );
    }

    #[test]
    fn lists_pop_range() {
        let notpos = "ERR value is out of range, must be positive";
        check(
            &[
                &[b"LPOP", b"l"],
                &[b"LPOP", b"l", b"2"],
                &[b"LPOP", b"l", b"-1"],
                &[b"LPOP", b"l", b"x"],
                &[b"RPUSH", b"l", b"a", b"b", b"c", b"d"],
                &[b"LPUSH", b"l", b"z"],
                &[b"LRANGE", b"l", b"0", b"-1"],
                &[b"LPOP", b"l", b"0"],
                &[b"LPOP", b"l"],
                &[b"RPOP", b"l", b"2"],
                &[b"LRANGE", b"l", b"-100", b"100"],
                &[b"LRANGE", b"l", b"2", b"1"],
                &[b"LRANGE", b"l", b"x", b"1"],
                &[b"LRANGE", b"missing", b"0", b"1"],
                &[b"RPOP", b"l", b"10"],
                &[b"EXISTS", b"l"],
                &[b"RPOP", b"l", b"1"],
                &[b"RPUSH", b"l", b"only"],
                &[b"RPOP", b"l"],
                &[b"EXISTS", b"l"],
                &[b"SET", b"s", b"v"],
                &[b"LPOP", b"s"],
                &[b"LRANGE", b"s", b"0", b"1"],
                &[b"LPUSH", b"s", b"x"],
                &[b"LLEN", b"s"],
                &[b"LLEN", b"nope"],
                &[b"RPOP", b"s", b"-5"],
            ],
            &[
                nil(),
                b"*-1\r\n".to_vec(),
                err(notpos),
                err(notpos),
                int(4),
                int(5),
                cat(&[
                    arr(5),
                    bulk(b"z"),
                    bulk(b"a"),
                    bulk(b"b"),
                    bulk(b"c"),
                    bulk(b"d"),
                ]),
                arr(0),
                bulk(b"z"),
                cat(&[arr(2), bulk(b"d"), bulk(b"c")]),
                cat(&[arr(2), bulk(b"a"), bulk(b"b")]),
                arr(0),
                err(NOTINT),
                arr(0),
                cat(&[arr(2), bulk(b"b"), bulk(b"a")]),
                int(0),
                b"*-1\r\n".to_vec(),
                int(1),
                bulk(b"only"),
                int(0),
                ok(),
                err(WT),
                err(WT),
                err(WT),
                err(WT),
                int(0),
                err(notpos),
            ],
        );
    }

    #[test]
    fn keyspace_commands() {
        check(
            &[
                &[b"MSET", b"a", b"1", b"b", b"2"],
                &[b"EXISTS", b"a", b"a", b"c"],
                &[b"DBSIZE"],
                &[b"DEL", b"a", b"c"],
                &[b"UNLINK", b"b", b"b"],
                &[b"DBSIZE"],
                &[b"RENAME", b"x", b"y"],
                &[b"RENAME", b"x", b"x"],
                &[b"SET", b"x", b"1", b"EX", b"100"],
                &[b"SET", b"y", b"2"],
                &[b"RENAME", b"x", b"y"],
                &[b"GET", b"y"],
                &[b"TTL", b"y"],
                &[b"EXISTS", b"x"],
                &[b"RENAME", b"y", b"y"],
                &[b"FLUSHALL", b"bogus"],
                &[b"FLUSHALL", b"sync", b"async"],
                &[b"FLUSHDB", b"ASYNC"],
                &[b"DBSIZE"],
                &[b"SET", b"a", b"1"],
                &[b"FLUSHALL", b"SYNC"],
                &[b"SET", b"a", b"1"],
                &[b"FLUSHDB"],
                &[b"DBSIZE"],
            ],
            &[
                ok(),
                int(2),
                int(2),
                int(1),
                int(1),
                int(0),
                err("ERR no such key"),
                err("ERR no such key"),
                ok(),
                ok(),
                ok(),
                bulk(b"1"),
                int(100),
                int(0),
                ok(),
                err(SYNTAX),
                err(SYNTAX),
                ok(),
                int(0),
                ok(),
                ok(),
                ok(),
                ok(),
                int(0),
            ],
        );
    }

    #[test]
    fn config_get_set() {
        let failed = |name: &str, why: &str| {
            err(&format!(
                "ERR CONFIG SET failed (possibly related to argument '{name}') - {why}"
            ))
        };
        check(
            &[
                &[b"CONFIG", b"GET", b"lazyfree-lazy-user-del"],
                &[
                    b"CONFIG",
                    b"GET",
                    b"LAZYFREE-lazy-user-DEL",
                    b"lazyfree-lazy-user-del",
                ],
                &[b"CONFIG", b"GET", b"nope"],
                &[b"CONFIG", b"GET", b"io-threads"],
                &[b"CONFIG", b"GET", b"lazyfree-lazy-*-del"],
                &[
                    b"CONFIG",
                    b"GET",
                    b"lazyfree-lazy-expire",
                    b"*lazy-e[w-z]pire",
                ],
                &[b"CONFIG", b"GET", b"[^l]o-threads"],
                &[b"config", b"set", b"lazyfree-lazy-user-del", b"YES"],
                &[b"CONFIG", b"GET", b"lazyfree-lazy-user-del"],
                &[
                    b"CONFIG",
                    b"SET",
                    b"lazyfree-lazy-expire",
                    b"yes",
                    b"Lazyfree-Lazy-Server-Del",
                    b"yes",
                ],
                &[
                    b"CONFIG",
                    b"GET",
                    b"lazyfree-lazy-e*",
                    b"lazyfree-lazy-server-del",
                ],
                &[b"CONFIG", b"SET", b"lazyfree-lazy-expire", b"maybe"],
                &[
                    b"CONFIG",
                    b"SET",
                    b"LAZYFREE-LAZY-EXPIRE",
                    b"no",
                    b"lazyfree-lazy-user-flush",
                    b"2",
                ],
                &[b"CONFIG", b"GET", b"lazyfree-lazy-expire"],
                &[b"CONFIG", b"SET", b"IO-Threads", b"4"],
                &[b"CONFIG", b"SET", b"bogus\nx", b"1", b"io-threads", b"4"],
                &[b"CONFIG", b"SET", b"io-threads", b"4", b"bogus", b"1"],
                &[
                    b"CONFIG",
                    b"SET",
                    b"lazyfree-lazy-expire",
                    b"no",
                    b"LAZYFREE-LAZY-EXPIRE",
                    b"no",
                ],
            ],
            &[
                cat(&[arr(2), bulk(b"lazyfree-lazy-user-del"), bulk(b"no")]),
                cat(&[arr(2), bulk(b"LAZYFREE-lazy-user-DEL"), bulk(b"no")]),
                arr(0),
                cat(&[arr(2), bulk(b"io-threads"), bulk(b"1")]),
                cat(&[
                    arr(4),
                    bulk(b"lazyfree-lazy-server-del"),
                    bulk(b"no"),
                    bulk(b"lazyfree-lazy-user-del"),
                    bulk(b"no"),
                ]),
                cat(&[arr(2), bulk(b"lazyfree-lazy-expire"), bulk(b"no")]),
                cat(&[arr(2), bulk(b"io-threads"), bulk(b"1")]),
                ok(),
                cat(&[arr(2), bulk(b"lazyfree-lazy-user-del"), bulk(b"yes")]),
                ok(),
                cat(&[
                    arr(6),
                    bulk(b"lazyfree-lazy-expire"),
                    bulk(b"yes"),
                    bulk(b"lazyfree-lazy-eviction"),
                    bulk(b"no"),
                    bulk(b"lazyfree-lazy-server-del"),
                    bulk(b"yes"),
                ]),
                failed("lazyfree-lazy-expire", "argument must be 'yes' or 'no'"),
                failed("lazyfree-lazy-user-flush", "argument must be 'yes' or 'no'"),
                cat(&[arr(2), bulk(b"lazyfree-lazy-expire"), bulk(b"yes")]),
                failed("IO-Threads", "can't set immutable config"),
                err("ERR Unknown option or number of arguments for CONFIG SET - 'bogus x'"),
                failed("io-threads", "can't set immutable config"),
                failed("LAZYFREE-LAZY-EXPIRE", "duplicate parameter"),
            ],
        );
    }

    #[test]
    fn config_set_changes_the_servers_knobs() {
        run_full(
            Config::default(),
            None,
            &[
                &[b"CONFIG", b"SET", b"lazyfree-lazy-server-del", b"yes"],
                &[b"CONFIG", b"SET", b"lazyfree-lazy-user-del", b"yes"],
                &[b"CONFIG", b"SET", b"lazyfree-lazy-user-flush", b"yes"],
                &[b"CONFIG", b"SET", b"lazyfree-lazy-expire", b"yes"],
                &[b"DEBUG", b"REPLY-COPY-AVOIDANCE", b"0"],
            ],
            |s| {
                assert!(s.cfg.lazyfree_lazy_server_del);
                assert!(s.cfg.lazyfree_lazy_user_del);
                assert!(s.cfg.lazyfree_lazy_user_flush);
                assert!(s.cfg.lazyfree_lazy_expire);
                assert!(!s.cfg.reply_copy_avoidance);
            },
        );
        let got = run_full(
            Config {
                reply_copy_avoidance: false,
                ..Config::default()
            },
            None,
            &[
                &[b"DEBUG", b"reply-copy-avoidance", b" 7x"],
                &[b"debug", b"reply-copy-avoidance", b"1", b"2"],
            ],
            |s| assert!(s.cfg.reply_copy_avoidance),
        );
        assert_eq!(
            show(&got),
            show(&cat(&[
                ok(),
                err("ERR unknown subcommand or wrong number of arguments for 'reply-copy-avoidance'. Try DEBUG HELP."),
            ]))
        );
    }

    #[test]
    fn glob_matches_like_stringmatchlen() {
        use super::string_match;
        let m = |p: &str, s: &str| string_match(p.as_bytes(), s.as_bytes(), true);
        assert!(m("*", "io-threads"));
        assert!(m("IO-*", "io-threads"));
        assert!(m("io-thread?", "io-threads"));
        assert!(!m("io-thread?", "io-thread"));
        assert!(m("[a-j]o-threads", "io-threads"));
        assert!(m("[j-a]o-threads", "io-threads"));
        assert!(!m("[^i]o-threads", "io-threads"));
        assert!(m("io\\-threads", "io-threads"));
        assert!(m("io-threads*", "io-threads"));
        assert!(!m("io-threads[", "io-threads"));
        assert!(!m("io-threads[", "io-threadsx"));
        assert!(m("io-t[x", "io-tx"));
        assert!(m("io-t[\\X]", "io-tX"));
        assert!(!m("io-t[\\X]", "io-tx"));
        assert!(!m(
            "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*s",
            "lazyfree-lazy-server-del"
        ));
        assert!(m("l*-del", "lazyfree-lazy-server-del"));
        assert!(!m("l*-del", "lazyfree-lazy-expire"));
    }

    #[test]
    fn info_and_memory_usage() {
        let got = run(&[&[b"INFO", b"bogus"], &[b"info", b"MEMORY"], &[b"INFO"]]);
        let text = show(&got);
        assert!(text.starts_with("$0\r\n\r\n$"), "{text}");
        assert_eq!(
            text.matches("# Memory\r\nused_memory:").count(),
            2,
            "{text}"
        );
        assert_eq!(
            text.matches("\r\nlazyfree_pending_objects:0\r\n").count(),
            2
        );
        check(
            &[
                &[b"MEMORY", b"USAGE", b"k"],
                &[b"SET", b"k", b"v"],
                &[b"MEMORY", b"USAGE", b"k"],
                &[b"memory", b"usage", b"k", b"SAMPLES", b"0"],
                &[b"MEMORY", b"USAGE", b"k", b"SAMPLES", b"-1"],
                &[b"MEMORY", b"USAGE", b"k", b"SAMPLES", b"x"],
                &[b"MEMORY", b"USAGE", b"k", b"SAMPLES"],
                &[b"MEMORY", b"USAGE", b"k", b"FOO", b"1"],
                &[b"RPUSH", b"l", b"ab", b"c"],
                &[b"MEMORY", b"USAGE", b"l"],
            ],
            &[
                nil(),
                ok(),
                // header 16 + key (3+1+1) + embedded value (3+1+1)
                int(26),
                int(26),
                err(SYNTAX),
                err(NOTINT),
                err(SYNTAX),
                err(SYNTAX),
                int(2),
                // header 16 + key 5 + nodes (3+2+1) + (3+1+1)
                int(32),
            ],
        );
    }

    /// A big value (≥ 16 KiB, RAW) is replied by reference; a 1-byte socket keeps every
    /// reference alive while the next commands overwrite or edit the value in place.
    #[test]
    fn edits_under_a_live_reply_reference_copy_first() {
        let big = vec![b'x'; 20_000];
        let mut big1 = big.clone();
        big1.push(b'y');
        let mut big2 = big1.clone();
        big2[0] = b'Z';
        let cmds: &[&[&[u8]]] = &[
            &[b"SET", b"k", &big],
            &[b"GET", b"k"],
            &[b"APPEND", b"k", b"y"],
            &[b"GET", b"k"],
            &[b"SETRANGE", b"k", b"0", b"Z"],
            &[b"GET", b"k"],
            &[b"GETSET", b"k", b"small"],
            &[b"SET", b"k", &big, b"GET"],
            &[b"GETEX", b"k", b"EX", b"100"],
            &[b"GETDEL", b"k"],
            &[b"ECHO", &big],
            &[b"RPUSH", b"l", &big],
            &[b"LPOP", b"l"],
            &[b"EXISTS", b"l"],
        ];
        let want = cat(&[
            ok(),
            bulk(&big),
            int(20_001),
            bulk(&big1),
            int(20_001),
            bulk(&big2),
            bulk(&big2),
            bulk(b"small"),
            bulk(&big),
            bulk(&big),
            bulk(&big),
            int(1),
            bulk(&big),
            int(0),
        ]);
        for sndbuf in [None, Some(1), Some(7000)] {
            for lazy in [false, true] {
                let cfg = Config {
                    lazyfree_lazy_server_del: lazy,
                    lazyfree_lazy_expire: lazy,
                    ..Config::default()
                };
                let got = run_full(cfg, sndbuf, cmds, |_| {});
                assert_eq!(got.len(), want.len(), "sndbuf {sndbuf:?} lazy {lazy}");
                assert!(got == want, "sndbuf {sndbuf:?} lazy {lazy}");
            }
        }
    }

    #[test]
    fn empty_list_goes_through_server_del_and_big_lists_through_bio() {
        let elems: Vec<Vec<u8>> = (0..100).map(|i| format!("e{i}").into_bytes()).collect();
        let mut push: Vec<&[u8]> = vec![b"RPUSH", b"l"];
        push.extend(elems.iter().map(|e| &e[..]));
        let cfg = Config {
            lazyfree_lazy_server_del: true,
            lazyfree_lazy_user_del: true,
            ..Config::default()
        };
        let got = run_cfg(
            cfg,
            &[
                &push,
                &[b"RPOP", b"l", b"99"],
                &[b"LPOP", b"l"],
                &[b"EXISTS", b"l"],
                &push,
                &[b"DEL", b"l"],
                &push,
                &[b"SET", b"l", b"x"],
            ],
        );
        let text = show(&got);
        assert!(text.starts_with(":100\r\n*99\r\n$3\r\ne99\r\n"), "{text}");
        assert!(
            text.ends_with("$2\r\ne0\r\n:0\r\n:100\r\n:1\r\n:100\r\n+OK\r\n"),
            "{text}"
        );
    }

    /// No argv makes the commands panic, and every path frees what it allocates.
    #[test]
    fn pseudo_random_streams_never_panic_and_stay_quiescent() {
        let names: &[&[u8]] = &[
            b"PING",
            b"ECHO",
            b"GET",
            b"SET",
            b"GETDEL",
            b"GETEX",
            b"GETSET",
            b"MGET",
            b"MSET",
            b"APPEND",
            b"SETRANGE",
            b"STRLEN",
            b"INCR",
            b"DECR",
            b"INCRBY",
            b"DECRBY",
            b"DEL",
            b"UNLINK",
            b"EXISTS",
            b"DBSIZE",
            b"FLUSHALL",
            b"FLUSHDB",
            b"RPUSH",
            b"LPUSH",
            b"LPOP",
            b"RPOP",
            b"LLEN",
            b"LRANGE",
            b"RENAME",
            b"EXPIRE",
            b"PEXPIRE",
            b"TTL",
            b"PTTL",
            b"PERSIST",
            b"INFO",
            b"CONFIG",
            b"DEBUG",
            b"MEMORY",
            b"NOPE",
        ];
        let words: &[&[u8]] = &[
            b"k",
            b"k2",
            b"l",
            b"0",
            b"1",
            b"-1",
            b"2",
            b"10",
            b"100",
            b"abc",
            b"",
            b"EX",
            b"PX",
            b"EXAT",
            b"PXAT",
            b"NX",
            b"XX",
            b"GT",
            b"LT",
            b"GET",
            b"KEEPTTL",
            b"PERSIST",
            b"SET",
            b"USAGE",
            b"SAMPLES",
            b"lazyfree-lazy-server-del",
            b"lazyfree-lazy-expire",
            b"lazyfree-lazy-user-del",
            b"yes",
            b"no",
            b"*",
            b"io-threads",
            b"ASYNC",
            b"SYNC",
            b"REPLY-COPY-AVOIDANCE",
            b"9223372036854775807",
            b"-9223372036854775808",
            b"1700000000",
            b"12345",
        ];
        let big = vec![b'v'; 17_000];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for round in 0..12 {
            let mut cmds: Vec<Vec<Vec<u8>>> = Vec::new();
            for _ in 0..250 {
                let mut argv = vec![names[next(names.len())].to_vec()];
                for _ in 0..next(6) {
                    if next(20) == 0 {
                        argv.push(big.clone());
                    } else {
                        argv.push(words[next(words.len())].to_vec());
                    }
                }
                cmds.push(argv);
            }
            let refs: Vec<Vec<&[u8]>> = cmds
                .iter()
                .map(|a| a.iter().map(|x| &x[..]).collect())
                .collect();
            let refs2: Vec<&[&[u8]]> = refs.iter().map(|a| &a[..]).collect();
            let sndbuf = if round % 2 == 0 { None } else { Some(4096) };
            let cfg = Config {
                lazyfree_lazy_server_del: round % 3 == 0,
                lazyfree_lazy_expire: round % 4 == 0,
                // 7+ IO threads: every RAW string reply is a reference.
                io_threads_num: [1, 4, 7][round % 3],
                ..Config::default()
            };
            let got = run_full(cfg, sndbuf, &refs2, |_| {});
            let mut rest = &got[..];
            let mut n = 0;
            while let Ok(Some((_, used))) = crate::resp::decode_reply(rest) {
                rest = &rest[used..];
                n += 1;
            }
            assert!(rest.is_empty(), "round {round}: undecodable tail");
            assert_eq!(n, 250, "round {round}: one reply per command");
        }
    }
}
