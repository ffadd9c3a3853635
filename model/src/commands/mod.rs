//! The command table and the commands, run on the main thread. This file mirrors src/server.c
//! (`processCommand`, `commandCheckExistence`, `commandCheckArity` @ f36ee257; server.c is not
//! stored at the pin, and these are not #14934 code:
//! the table, the lookup, the dispatch, PING and ECHO); the commands live in one room per C
//! file they mirror (reply paths read in 7.2/7.4 trees, which 8.x keeps; refcount paths at the
//! pin 059f40da where stored there, else @ f36ee257; see the crate doc's table):
//!
//! | room | mirrors |
//! |---|---|
//! | `t_string` | src/t_string.c: GET, SET, GETEX, GETDEL, GETSET, MGET, MSET, APPEND, SETRANGE, STRLEN, INCR/DECR/INCRBY/DECRBY; SETNX, SETEX, PSETEX, MSETNX, GETRANGE/SUBSTR (for Redis's Tcl units) |
//! | `keyspace` | the commands of src/db.c: DEL, UNLINK, EXISTS, DBSIZE, FLUSHALL/FLUSHDB, RENAME, SELECT, SWAPDB, MOVE, COPY |
//! | `expire` | src/expire.c: EXPIRE, PEXPIRE, TTL, PTTL, PERSIST; the active expire cycle |
//! | `t_list` | src/t_list.c: RPUSH, LPUSH, LPOP, RPOP, LLEN, LRANGE |
//! | `t_hash` | src/t_hash.c: HSET, HGET, HDEL, HLEN, HGETALL |
//! | `object` | src/object.c: `tryObjectEncoding`, `get*FromObjectOrReply`, OBJECT REFCOUNT/ENCODING |
//! | `memory` | src/object.c: MEMORY USAGE/STATS/DOCTOR/PURGE, `getMemoryOverheadData`; INFO's `# Memory` numbers |
//! | `config` | src/config.c: CONFIG GET, CONFIG SET |
//! | `info` | INFO (`genRedisInfoString`, src/server.c) |
//! | `debug` | src/debug.c: DEBUG REPLY-COPY-AVOIDANCE, DEBUG SLEEP |
//! | `cluster` | src/cluster.c: CLUSTER KEYSLOT, CLUSTER GETKEYSINSLOT, SFLUSH; TRIMSLOTS (cluster_asm.c's command; the trim is [`crate::cluster_asm`]) |
//!
//! `CLIENT KILL` and `CLIENT ID` are networking.c's `clientCommand`: their handlers are in
//! [`crate::networking`].
//!
//! The reply helpers (`add_reply_*`) are networking.c's and live in [`crate::networking`];
//! the keyspace primitives (`lookupKey`, `setKey`, `dbSetValue`, …) are in [`crate::db`].
//!
//! Who may touch what: every command runs on the main thread with the client it serves
//! (`running_tid == Main`); commands reach values only through the keyspace primitives and the
//! reply helpers, which move references (holders) as the ledger expects.
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
//! Simplified (documented differences from a real server):
//! no keyspace notifications, no WATCH/MULTI, no propagation, logical time (1 ms per command);
//! only the commands of [`COMMANDS`] exist (any other name, even a real Redis command, gets the
//! unknown-command error); only `CONFIG GET|SET`, `MEMORY USAGE|STATS|DOCTOR|PURGE`, `OBJECT REFCOUNT|ENCODING`,
//! `CLUSTER GETKEYSINSLOT|KEYSLOT`
//! (with `cluster-enabled`, for the Didi leak), `CLIENT KILL|ID`, `DEBUG SLEEP` and
//! `DEBUG REPLY-COPY-AVOIDANCE` exist as
//! subcommands (no `HELP`, `RESETSTAT`, `REWRITE`, `STATS`, …);
//! `DEBUG` is assumed enabled (`enable-debug-command yes`); `DEBUG LEDGER` is not Redis (the
//! oracle's live report).

mod cluster;
mod config;
mod debug;
mod expire;
mod info;
mod keyspace;
pub mod memory;
mod multi;
mod object;
mod t_hash;
mod t_list;
mod t_string;
#[cfg(test)]
mod tests;

/// The bytes of an argv slot: networking.c's (kept here under its old path).
pub use crate::networking::arg;
pub use cluster::key_hash_slot;
pub use cluster::reply_slots_flush;
pub use expire::active_expire_cycle;
pub use t_hash::{HASH_MAX_LISTPACK_ENTRIES, HASH_MAX_LISTPACK_VALUE};
pub use t_list::LIST_MAX_LISTPACK_BYTES;

use crate::client::Client;
use crate::networking::{
    add_reply_bulk, add_reply_error_arity, add_reply_error_format, add_reply_status,
    add_reply_subcommand_syntax_error,
};
use crate::networking::{client_id, client_kill};
use crate::object::RObj;
use crate::resp;
use crate::server::Server;
use crate::util::{cstr, cstr_max};
use cluster::{cluster_getkeysinslot, cluster_keyslot, sflush, trimslots};
use config::{config_get, config_set};
use debug::debug;
use expire::{expire, persist, pexpire, pttl, ttl};
use info::info;
use keyspace::{
    copy, dbsize, del, exists, flushall, flushdb, move_cmd, rename, select, swapdb, unlink,
};
use memory::{memory_doctor, memory_purge, memory_stats, memory_usage};
use multi::{discard, exec, exec_command_abort, flag_transaction, multi, queue_multi_command};
use object::{object_encoding, object_refcount};
use t_hash::{hdel, hget, hgetall, hlen, hset};
use t_list::{llen, lpop, lpush, lrange, rpop, rpush};
use t_string::{
    append, decr, decrby, get, getdel, getex, getrange, getset, incr, incrby, mget, mset, msetnx,
    psetex, set, setex, setnx, setrange, strlen,
};

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
pub(crate) const PROTO_MAX_BULK_LEN: u64 = resp::DEFAULT_PROTO_MAX_BULK_LEN;

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

/// `CLIENT` subcommands (only `KILL` and `ID`: networking.c's `clientCommand`).
static CLIENT_SUBCOMMANDS: &[Command] = &[
    subcommand("kill", "client|kill", -3, client_kill),
    subcommand("id", "client|id", 2, client_id),
];

/// `OBJECT` subcommands (only `REFCOUNT` and `ENCODING`).
static OBJECT_SUBCOMMANDS: &[Command] = &[
    subcommand("refcount", "object|refcount", 3, object_refcount),
    subcommand("encoding", "object|encoding", 3, object_encoding),
];

/// `MEMORY` subcommands (`USAGE`, `STATS`, `DOCTOR`, `PURGE`; not `MALLOC-STATS`, `HELP`).
static MEMORY_SUBCOMMANDS: &[Command] = &[
    subcommand("usage", "memory|usage", -3, memory_usage),
    subcommand("stats", "memory|stats", 2, memory_stats),
    subcommand("doctor", "memory|doctor", 2, memory_doctor),
    subcommand("purge", "memory|purge", 2, memory_purge),
];

/// The command table (arities from Redis's command JSON files).
pub static COMMANDS: &[Command] = &[
    command("ping", -1, ping),
    command("echo", 2, echo),
    command("get", 2, get),
    command("set", -3, set),
    command("getdel", 2, getdel),
    command("getex", -2, getex),
    command("getset", 3, getset),
    command("setnx", 3, setnx),
    command("setex", 4, setex),
    command("psetex", 4, psetex),
    command("msetnx", -3, msetnx),
    command("getrange", 4, getrange),
    command("substr", 4, getrange),
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
    command("flushdb", -1, flushdb),
    command("rpush", -3, rpush),
    command("lpush", -3, lpush),
    command("lpop", -2, lpop),
    command("rpop", -2, rpop),
    command("llen", 2, llen),
    command("lrange", 4, lrange),
    command("hset", -4, hset),
    command("hget", 3, hget),
    command("hdel", -3, hdel),
    command("hlen", 2, hlen),
    command("hgetall", 2, hgetall),
    command("rename", 3, rename),
    command("select", 2, select),
    command("swapdb", 3, swapdb),
    command("move", 3, move_cmd),
    command("copy", -3, copy),
    command("expire", -3, expire),
    command("pexpire", -3, pexpire),
    command("ttl", 2, ttl),
    command("pttl", 2, pttl),
    command("persist", 2, persist),
    command("info", -1, info),
    command("multi", 1, multi),
    command("exec", 1, exec),
    command("discard", 1, discard),
    command("debug", -2, debug),
    command("sflush", -3, sflush),
    command("trimslots", -2, trimslots),
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
        name: "client",
        fullname: "client",
        arity: -2,
        handler: container_without_subcommand,
        subcommands: CLIENT_SUBCOMMANDS,
    },
    Command {
        name: "object",
        fullname: "object",
        arity: -2,
        handler: container_without_subcommand,
        subcommands: OBJECT_SUBCOMMANDS,
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
pub(crate) fn lookup_command_argv(
    base: &'static Command,
    argv1: Option<&[u8]>,
) -> Option<&'static Command> {
    match argv1 {
        Some(sub) if !base.subcommands.is_empty() => base
            .subcommands
            .iter()
            .find(|c| c.name.as_bytes().eq_ignore_ascii_case(sub)),
        _ => Some(base),
    }
}

fn argv_obj(c: &Client, i: usize) -> RObj {
    c.argv[i]
        .clone()
        .expect("argv slot released during the command")
}

/// `processCommand` (server.c @ f36ee257): the `POST`/`Host:` guard, `lookupCommand`,
/// `commandCheckExistence`, `commandCheckArity`, the memory check (`performEvictions`, the
/// OOM error for `CMD_DENYOOM` commands: [`crate::evict::reject_if_oom`]), then the call.
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
        flag_transaction(c);
        add_reply_error_format(s, c, &err);
        return;
    };
    let argc = argc as i64;
    let arity = i64::from(cmd.arity);
    if (arity > 0 && arity != argc) || argc < -arity {
        // `rejectCommand`: flag the transaction; a rejected EXEC aborts it (in MULTI or not:
        // `rejectCommandSds` tests the command only).
        flag_transaction(c);
        if cmd.name == "exec" {
            let why = format!("wrong number of arguments for '{}' command", cmd.fullname);
            exec_command_abort(s, c, &why);
        } else {
            add_reply_error_arity(s, c, cmd.fullname);
        }
        return;
    }
    if c.multi && !matches!(cmd.name, "exec" | "discard" | "multi") {
        queue_multi_command(s, c);
        return;
    }
    if crate::evict::reject_if_oom(s, c.id, cmd.fullname) {
        crate::networking::add_reply_error(s, c, crate::evict::OOM_ERR);
        return;
    }
    s.env.ledger.set_site(Some(cmd.fullname));
    (cmd.handler)(s, c);
    s.env.ledger.set_site(None);
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
    add_reply_subcommand_syntax_error(s, c);
}

/// `pingCommand` (server.c): `+PONG`, or the argument as a bulk (`addReplyBulk` on the argv
/// object); more than one argument is an arity error.
fn ping(s: &mut Server, c: &mut Client) {
    match c.argv.len() {
        1 => add_reply_status(s, c, "PONG"),
        2 => {
            let o = argv_obj(c, 1);
            add_reply_bulk(s, c, &o);
        }
        _ => add_reply_error_arity(s, c, "ping"),
    }
}

/// `echoCommand` (server.c): replies with the argv object itself (a reference when it is a big
/// RAW string; the argv slot then has count 2 and main drops its own reference in
/// `reclaimPendingCommand`).
fn echo(s: &mut Server, c: &mut Client) {
    let o = argv_obj(c, 1);
    add_reply_bulk(s, c, &o);
}
