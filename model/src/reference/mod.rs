//! Sequential reference model of the RESP2 replies Redis 8.6 gives one connection.
//!
//! This is the oracle for differential tests of the real model. It is intentionally independent
//! of it and deliberately simple: a `BTreeMap` keyspace of owned byte strings and lists, a map
//! of absolute expire times, a logical millisecond clock and a handful of config knobs. There are
//! no refcounts, shared objects, encodings, IO threads or lazy-free threads; the lazyfree knobs
//! and `DEBUG REPLY-COPY-AVOIDANCE` are accepted and reported but change nothing, exactly as
//! they change nothing a client can see in Redis.
//!
//! The reference is split the way the model's commands are, one room per Redis file:
//! `t_string` (strings), `keyspace` (db.c commands), `db` (SELECT, SWAPDB, MOVE, COPY and the
//! databases), `multi` (MULTI/EXEC/DISCARD), `expire`, `t_list`, `t_hash`, `config`
//! (CONFIG GET/SET), `debug` (REPLY-COPY-AVOIDANCE, SLEEP), `cluster` (SFLUSH, TRIMSLOTS); the
//! table, the dispatch, PING/ECHO and the keyspace helpers
//! are here; error replies in `reply`, small C-like helpers in `util`. Leaf module: it
//! uses only [`crate::resp`]'s encoders, never the model it checks.
//!
//! Connections: [`Reference::execute_as`] runs a command on one connection, which has its own
//! selected database and MULTI state; [`Reference::execute`] is connection 0.
//!
//! # Sources
//!
//! Reply texts, check order and edge cases follow Redis's own code (read, not copied):
//! `src/server.c` (`commandCheckExistence`, `commandCheckArity`, `pingCommand`),
//! `src/t_string.c` (`parseExtendedStringArgumentsOrReply`, `getExpireMillisecondsOrReply`,
//! `setGenericCommand`, `getexCommand`, `checkStringLength`, `incrDecrCommand`),
//! `src/expire.c` (`parseExtendedExpireArgumentsOrReply`, `expireGenericCommand`,
//! `ttlGenericCommand`), `src/db.c` (`getFlushCommandFlags`), `src/t_list.c`
//! (`popGenericCommand`, `addListRangeReply`), `src/object.c` (`get*FromObjectOrReply`),
//! `src/config.c` (`configSetCommand`, `configGetCommand`), `src/networking.c`
//! (`addReplyErrorFormat`, `addReplySubcommandSyntaxError`) and `src/util.c` (`string2ll`,
//! `stringmatchlen`). Read at redis/redis 00097bf4 (server.c), the 8.0 tree of fridayily/redis8
//! 1267d487 (server.c), and annotated 7.0 / 7.4.5 trees (CN-annotation-team 00723722,
//! Praying 23a931a6 / b22399fe) for the command files, whose reply paths 8.x keeps. Two 8.x
//! behaviours come from secondary sources: the unknown-command error drops the
//! `, with args beginning with:` suffix when there are no arguments (8.x `commandCheckExistence`
//! tests `argc >= 2`), and `DEBUG REPLY-COPY-AVOIDANCE <n>` replies `+OK` for any third
//! argument.
//!
//! # Deliberate simplifications
//!
//! * Only the commands in [`Reference::execute`]'s table exist; any other name, even a real
//!   Redis command, gets the unknown-command error. Only `CONFIG GET`/`CONFIG SET` exist as
//!   `CONFIG` subcommands, and only the five knobs below exist as configs.
//! * `SET`'s 8.4+ compare options (`IFEQ`, `IFNE`, `IFDEQ`, `IFDNE`) are not modelled: they get
//!   `ERR syntax error` here, as in Redis 7.x.
//! * `DBSIZE` counts live keys; Redis also counts expired keys not yet reclaimed.
//! * `CONFIG GET` lists several matches in a fixed order (exact names in request order, then
//!   globbed knobs sorted by name); Redis uses hash order, so compare such replies as maps.
//! * `DEBUG` is assumed enabled (`enable-debug-command yes`).

mod cluster;
mod config;
mod db;
mod debug;
mod evict;
mod expire;
mod keyspace;
mod multi;
mod reply;
mod t_hash;
mod t_list;
mod t_string;
#[cfg(test)]
mod tests;
mod util;

use crate::resp::{add_reply_bulk, add_reply_status};
use reply::{unknown_command, unknown_subcommand, wrong_arity};
use std::collections::{BTreeMap, VecDeque};
use util::{arg, arity_ok, cstr, eq_ci, find_command};

const ERR_WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

const ERR_SYNTAX: &str = "ERR syntax error";

const ERR_NOT_INTEGER: &str = "ERR value is not an integer or out of range";

const ERR_NOT_POSITIVE: &str = "ERR value is out of range, must be positive";

const ERR_INCR_OVERFLOW: &str = "ERR increment or decrement would overflow";

const ERR_DECR_OVERFLOW: &str = "ERR decrement would overflow";

const ERR_OFFSET: &str = "ERR offset is out of range";

const ERR_TOO_LONG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

/// Default `proto-max-bulk-len`, the longest string `APPEND`/`SETRANGE` may build.
const PROTO_MAX_BULK_LEN: i128 = 512 * 1024 * 1024;

/// How much of a user argument the unknown-command error echoes (`%.128s`, 128-byte budget).
const ECHO_BUDGET: usize = 128;

/// The one immutable knob.
const IO_THREADS: &str = "io-threads";

/// A stored value.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Value {
    Str(Vec<u8>),
    List(VecDeque<Vec<u8>>),
    /// Fields and values in insertion order (a listpack's; Redis iterates a dict-encoded hash
    /// in hash order, which a comparison with a server must treat as a map).
    Hash(Vec<(Vec<u8>, Vec<u8>)>),
}

/// A database: its keys and their absolute unix-ms expire times.
type Db = (BTreeMap<Vec<u8>, Value>, BTreeMap<Vec<u8>, i64>);

/// `server.dbnum` (`databases`, 16).
const DBNUM: usize = 16;

/// One connection's state.
#[derive(Clone, Debug, Default)]
struct Conn {
    /// The selected database.
    db: usize,
    /// In MULTI: the queued commands.
    multi: Option<Vec<Vec<Vec<u8>>>>,
    /// `CLIENT_DIRTY_EXEC`.
    dirty: bool,
}

/// The key holds a value of the other type.
struct WrongType;

type Handler = fn(&mut Reference, &[Vec<u8>], &mut Vec<u8>);

/// One command-table entry (`redisCommand`): `name` is the lowercase table name, `arity` follows
/// Redis (`n` = exactly `n` arguments including the name, `-n` = at least `n`).
struct Command {
    name: &'static str,
    arity: i64,
    handler: Option<Handler>,
    subcommands: &'static [Command],
}

const fn cmd(name: &'static str, arity: i64, handler: Handler) -> Command {
    Command {
        name,
        arity,
        handler: Some(handler),
        subcommands: &[],
    }
}

const CONFIG_SUBCOMMANDS: &[Command] = &[
    cmd("get", -3, Reference::config_get),
    cmd("set", -4, Reference::config_set),
];

const COMMANDS: &[Command] = &[
    cmd("ping", -1, Reference::ping),
    cmd("echo", 2, Reference::echo),
    cmd("get", 2, Reference::get),
    cmd("set", -3, Reference::set),
    cmd("getex", -2, Reference::getex),
    cmd("getdel", 2, Reference::getdel),
    cmd("getset", 3, Reference::getset),
    cmd("mget", -2, Reference::mget),
    cmd("mset", -3, Reference::mset),
    cmd("append", 3, Reference::append),
    cmd("setrange", 4, Reference::setrange),
    cmd("strlen", 2, Reference::strlen),
    cmd("incr", 2, Reference::incr),
    cmd("decr", 2, Reference::decr),
    cmd("incrby", 3, Reference::incrby),
    cmd("decrby", 3, Reference::decrby),
    cmd("del", -2, Reference::del),
    cmd("unlink", -2, Reference::del),
    cmd("exists", -2, Reference::exists),
    cmd("expire", -3, Reference::expire),
    cmd("pexpire", -3, Reference::pexpire),
    cmd("ttl", 2, Reference::ttl),
    cmd("pttl", 2, Reference::pttl),
    cmd("persist", 2, Reference::persist),
    cmd("flushall", -1, Reference::flushall),
    cmd("flushdb", -1, Reference::flushdb),
    cmd("dbsize", 1, Reference::dbsize_cmd),
    cmd("rename", 3, Reference::rename),
    cmd("lpush", -3, Reference::lpush),
    cmd("rpush", -3, Reference::rpush),
    cmd("lpop", -2, Reference::lpop),
    cmd("rpop", -2, Reference::rpop),
    cmd("llen", 2, Reference::llen),
    cmd("lrange", 4, Reference::lrange),
    cmd("hset", -4, Reference::hset),
    cmd("hget", 3, Reference::hget),
    cmd("hdel", -3, Reference::hdel),
    cmd("hlen", 2, Reference::hlen),
    cmd("hgetall", 2, Reference::hgetall),
    cmd("select", 2, Reference::select),
    cmd("swapdb", 3, Reference::swapdb),
    cmd("move", 3, Reference::move_key),
    cmd("copy", -3, Reference::copy),
    cmd("multi", 1, Reference::multi),
    cmd("exec", 1, Reference::exec),
    cmd("discard", 1, Reference::discard),
    Command {
        name: "config",
        arity: -2,
        handler: None,
        subcommands: CONFIG_SUBCOMMANDS,
    },
    cmd("debug", -2, Reference::debug),
    cmd("sflush", -3, Reference::sflush),
    cmd("trimslots", -2, Reference::trimslots),
];

/// The sequential reference model: 16 databases, any number of connections, RESP2.
pub struct Reference {
    /// The checked-out database's keys (database `db_out`; see [`Reference::check_out`]).
    keys: BTreeMap<Vec<u8>, Value>,
    /// Absolute unix-ms expire time per key of the checked-out database (only keys present in
    /// `keys`).
    expires: BTreeMap<Vec<u8>, i64>,
    /// Every database; the checked-out one's slot is empty while it is out.
    dbs: Vec<Db>,
    /// Which database `keys` and `expires` are.
    db_out: usize,
    /// The connections seen so far.
    conns: BTreeMap<u64, Conn>,
    /// The connection executing.
    cur: u64,
    /// Logical clock of the command being executed.
    now_ms: i64,
    /// Knob name -> value as `CONFIG GET` renders it.
    config: BTreeMap<&'static str, String>,
    /// `cluster-enabled` (SFLUSH and TRIMSLOTS need it).
    cluster_enabled: bool,
}

impl Reference {
    /// `now_ms` is the logical unix-ms clock at start.
    pub fn new(now_ms: i64) -> Self {
        let config = [
            ("lazyfree-lazy-server-del", "no"),
            ("lazyfree-lazy-user-del", "no"),
            ("lazyfree-lazy-user-flush", "no"),
            ("lazyfree-lazy-expire", "no"),
            ("lazyfree-lazy-eviction", "no"),
            (IO_THREADS, "1"),
            ("maxmemory", "0"),
            ("maxmemory-policy", "noeviction"),
            ("maxmemory-samples", "5"),
            ("lfu-log-factor", "10"),
            ("lfu-decay-time", "1"),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect();
        Reference {
            keys: BTreeMap::new(),
            expires: BTreeMap::new(),
            dbs: vec![Db::default(); DBNUM],
            db_out: 0,
            conns: BTreeMap::new(),
            cur: 0,
            now_ms,
            config,
            cluster_enabled: false,
        }
    }

    /// Sets `cluster-enabled` (a startup config).
    pub fn set_cluster_enabled(&mut self, on: bool) {
        self.cluster_enabled = on;
    }

    /// Sets the startup value of `io-threads` that `CONFIG GET` reports (Redis refuses to
    /// change it at runtime, so it cannot be set through [`Reference::execute`]).
    pub fn set_io_threads(&mut self, n: usize) {
        self.config.insert(IO_THREADS, n.to_string());
    }

    /// Execute one command (argv as received; command name case-insensitive) at logical time
    /// `now_ms` (keys whose expire <= now_ms are logically gone) on connection 0 and return the
    /// exact RESP2 reply bytes. An empty reply means Redis sends nothing: for an empty `argv`,
    /// and for `HOST:`/`POST`, after which Redis closes the connection.
    pub fn execute(&mut self, argv: &[Vec<u8>], now_ms: i64) -> Vec<u8> {
        self.execute_as(0, argv, now_ms)
    }

    /// [`Reference::execute`] on connection `conn`: each connection has its own selected
    /// database and its own MULTI state (a connection first seen here is on database 0).
    pub fn execute_as(&mut self, conn: u64, argv: &[Vec<u8>], now_ms: i64) -> Vec<u8> {
        self.now_ms = now_ms;
        self.cur = conn;
        let db = self.conns.entry(conn).or_default().db;
        self.check_out(db);
        let mut out = Vec::new();
        self.dispatch(argv, &mut out);
        out
    }

    /// `processCommand`'s checks, the MULTI queueing, then the handler.
    fn dispatch(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        let Some(name) = argv.first() else {
            return;
        };
        let Some(base) = find_command(COMMANDS, name) else {
            let c = cstr(name);
            if !(eq_ci(c, "host:") || eq_ci(c, "post")) {
                self.flag_transaction();
                unknown_command(out, argv);
            }
            return;
        };
        let (command, fullname) = match argv.get(1) {
            Some(sub) if !base.subcommands.is_empty() => {
                match find_command(base.subcommands, sub) {
                    Some(s) => (s, format!("{}|{}", base.name, s.name)),
                    None => {
                        self.flag_transaction();
                        unknown_subcommand(out, name, sub);
                        return;
                    }
                }
            }
            _ => (base, base.name.to_string()),
        };
        if !arity_ok(command.arity, argv.len()) {
            self.flag_transaction();
            if command.name == "exec" {
                let why = format!("wrong number of arguments for '{fullname}' command");
                return self.exec_abort(&why, out);
            }
            return wrong_arity(out, &fullname);
        }
        if self.conn().multi.is_some() && !matches!(command.name, "exec" | "discard" | "multi") {
            return self.queue(argv, out);
        }
        if let Some(handler) = command.handler {
            handler(self, argv, out);
        }
    }

    /// Run `argv`'s handler with no checks (EXEC's `call`: the checks passed at queue time).
    fn call(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        let Some(base) = argv.first().and_then(|n| find_command(COMMANDS, n)) else {
            return;
        };
        let command = match argv.get(1) {
            Some(sub) if !base.subcommands.is_empty() => {
                match find_command(base.subcommands, sub) {
                    Some(s) => s,
                    None => return,
                }
            }
            _ => base,
        };
        if let Some(handler) = command.handler {
            handler(self, argv, out);
        }
    }

    /// Whether the reference models the command named `name` (case-insensitive). Commands it
    /// does not know get the unknown-command error here; a caller comparing with a server that
    /// does know them must skip their replies.
    pub fn knows(name: &[u8]) -> bool {
        find_command(COMMANDS, name).is_some()
    }

    /// Number of live (unexpired at `now_ms`) keys.
    pub fn dbsize(&self, now_ms: i64) -> usize {
        self.keys
            .keys()
            .filter(|k| self.expires.get(*k).is_none_or(|&when| when >= now_ms))
            .count()
    }

    /// Lazy expiry: a key whose time has passed (`now > when`, db.c `keyIsExpired`) is
    /// deleted on access.
    fn expire_if_needed(&mut self, key: &[u8]) {
        if self
            .expires
            .get(key)
            .is_some_and(|&when| when < self.now_ms)
        {
            self.expires.remove(key);
            self.keys.remove(key);
        }
    }

    fn lookup(&mut self, key: &[u8]) -> Option<&Value> {
        self.expire_if_needed(key);
        self.keys.get(key)
    }

    fn lookup_mut(&mut self, key: &[u8]) -> Option<&mut Value> {
        self.expire_if_needed(key);
        self.keys.get_mut(key)
    }

    fn string_at(&mut self, key: &[u8]) -> Result<Option<&Vec<u8>>, WrongType> {
        match self.lookup(key) {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s)),
            Some(_) => Err(WrongType),
        }
    }

    fn string_at_mut(&mut self, key: &[u8]) -> Result<Option<&mut Vec<u8>>, WrongType> {
        match self.lookup_mut(key) {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s)),
            Some(_) => Err(WrongType),
        }
    }

    /// Deletes a live key; returns whether it existed.
    fn remove_key(&mut self, key: &[u8]) -> bool {
        self.expire_if_needed(key);
        self.expires.remove(key);
        self.keys.remove(key).is_some()
    }

    /// `setKey`: stores `value`, dropping the TTL unless `keep_ttl`.
    fn store(&mut self, key: &[u8], value: Value, keep_ttl: bool) {
        if !keep_ttl {
            self.expires.remove(key);
        }
        self.keys.insert(key.to_vec(), value);
    }

    fn ping(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        match argv.len() {
            1 => add_reply_status(out, "PONG"),
            2 => add_reply_bulk(out, arg(argv, 1)),
            _ => wrong_arity(out, "ping"),
        }
    }

    fn echo(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        add_reply_bulk(out, arg(argv, 1));
    }
}
