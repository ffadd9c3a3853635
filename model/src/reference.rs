//! Sequential reference model of the RESP2 replies Redis 8.6 gives one connection.
//!
//! This is the oracle for differential tests of the real model. It is intentionally independent
//! of it and deliberately simple: a `BTreeMap` keyspace of owned byte strings and lists, a map
//! of absolute expire times, a logical millisecond clock and a handful of config knobs. There are
//! no refcounts, shared objects, encodings, IO threads or lazy-free threads; the lazyfree knobs
//! and `DEBUG REPLY-COPY-AVOIDANCE` are accepted and reported but change nothing, exactly as
//! they change nothing a client can see in Redis.
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

use crate::resp::{
    add_reply_array_len, add_reply_bulk, add_reply_integer, add_reply_null, add_reply_null_array,
    add_reply_status,
};
use std::collections::{BTreeMap, VecDeque};

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
    cmd("flushall", -1, Reference::flush),
    cmd("flushdb", -1, Reference::flush),
    cmd("dbsize", 1, Reference::dbsize_cmd),
    cmd("lpush", -3, Reference::lpush),
    cmd("rpush", -3, Reference::rpush),
    cmd("lpop", -2, Reference::lpop),
    cmd("rpop", -2, Reference::rpop),
    cmd("llen", 2, Reference::llen),
    cmd("lrange", 4, Reference::lrange),
    Command {
        name: "config",
        arity: -2,
        handler: None,
        subcommands: CONFIG_SUBCOMMANDS,
    },
    cmd("debug", -2, Reference::debug),
];

// Flags of `parseExtendedStringArgumentsOrReply`.
const NX: u16 = 1;
const XX: u16 = 1 << 1;
const GET: u16 = 1 << 2;
const KEEPTTL: u16 = 1 << 3;
const PERSIST: u16 = 1 << 4;
const EX: u16 = 1 << 5;
const PX: u16 = 1 << 6;
const EXAT: u16 = 1 << 7;
const PXAT: u16 = 1 << 8;
const TTL_FLAGS: u16 = EX | PX | EXAT | PXAT;

/// Parsed `SET`/`GETEX` options.
struct StringOptions<'a> {
    flags: u16,
    expire: Option<&'a [u8]>,
}

impl StringOptions<'_> {
    fn has(&self, flag: u16) -> bool {
        self.flags & flag != 0
    }
}

/// The sequential reference model: one database, one connection, RESP2.
pub struct Reference {
    keys: BTreeMap<Vec<u8>, Value>,
    /// Absolute unix-ms expire time per key (only keys present in `keys`).
    expires: BTreeMap<Vec<u8>, i64>,
    /// Logical clock of the command being executed.
    now_ms: i64,
    /// Knob name -> value as `CONFIG GET` renders it.
    config: BTreeMap<&'static str, String>,
}

impl Reference {
    /// `now_ms` is the logical unix-ms clock at start.
    pub fn new(now_ms: i64) -> Self {
        let config = [
            ("lazyfree-lazy-server-del", "no"),
            ("lazyfree-lazy-user-del", "no"),
            ("lazyfree-lazy-user-flush", "no"),
            ("lazyfree-lazy-expire", "no"),
            (IO_THREADS, "1"),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect();
        Reference {
            keys: BTreeMap::new(),
            expires: BTreeMap::new(),
            now_ms,
            config,
        }
    }

    /// Sets the startup value of `io-threads` that `CONFIG GET` reports (Redis refuses to
    /// change it at runtime, so it cannot be set through [`Reference::execute`]).
    pub fn set_io_threads(&mut self, n: usize) {
        self.config.insert(IO_THREADS, n.to_string());
    }

    /// Execute one command (argv as received; command name case-insensitive) at logical time
    /// `now_ms` (keys whose expire <= now_ms are logically gone) and return the exact RESP2
    /// reply bytes. An empty reply means Redis sends nothing: for an empty `argv`, and for
    /// `HOST:`/`POST`, after which Redis closes the connection.
    pub fn execute(&mut self, argv: &[Vec<u8>], now_ms: i64) -> Vec<u8> {
        self.now_ms = now_ms;
        let mut out = Vec::new();
        let Some(name) = argv.first() else {
            return out;
        };
        let Some(base) = find_command(COMMANDS, name) else {
            let c = cstr(name);
            if !(eq_ci(c, "host:") || eq_ci(c, "post")) {
                unknown_command(&mut out, argv);
            }
            return out;
        };
        let (command, fullname) = match argv.get(1) {
            Some(sub) if !base.subcommands.is_empty() => {
                match find_command(base.subcommands, sub) {
                    Some(s) => (s, format!("{}|{}", base.name, s.name)),
                    None => {
                        unknown_subcommand(&mut out, name, sub);
                        return out;
                    }
                }
            }
            _ => (base, base.name.to_string()),
        };
        if !arity_ok(command.arity, argv.len()) {
            wrong_arity(&mut out, &fullname);
            return out;
        }
        if let Some(handler) = command.handler {
            handler(self, argv, &mut out);
        }
        out
    }

    /// Number of live (unexpired at `now_ms`) keys.
    pub fn dbsize(&self, now_ms: i64) -> usize {
        self.keys
            .keys()
            .filter(|k| self.expires.get(*k).is_none_or(|&when| when >= now_ms))
            .count()
    }

    // ----- keyspace -------------------------------------------------------------------------

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
            Some(Value::List(_)) => Err(WrongType),
        }
    }

    fn string_at_mut(&mut self, key: &[u8]) -> Result<Option<&mut Vec<u8>>, WrongType> {
        match self.lookup_mut(key) {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s)),
            Some(Value::List(_)) => Err(WrongType),
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

    /// `getGenericCommand`: replies with the string, null, or WRONGTYPE (then returns false).
    fn reply_get(&mut self, key: &[u8], out: &mut Vec<u8>) -> bool {
        match self.string_at(key) {
            Ok(Some(v)) => add_reply_bulk(out, v),
            Ok(None) => add_reply_null(out),
            Err(WrongType) => {
                add_error(out, ERR_WRONGTYPE);
                return false;
            }
        }
        true
    }

    /// `getExpireMillisecondsOrReply`: the absolute expire time given by a SET/GETEX option
    /// (`None` without one), or the error reply text.
    fn expire_option_ms(&self, opts: &StringOptions, cmd: &str) -> Result<Option<i64>, String> {
        let Some(raw) = opts.expire else {
            return Ok(None);
        };
        let invalid = || format!("ERR invalid expire time in '{cmd}' command");
        let v = parse_ll(raw).ok_or_else(|| ERR_NOT_INTEGER.to_string())?;
        let seconds = !opts.has(PX | PXAT);
        if v <= 0 || (seconds && v > i64::MAX / 1000) {
            return Err(invalid());
        }
        let mut ms = if seconds { v.saturating_mul(1000) } else { v };
        if opts.has(EX | PX) {
            ms = ms.checked_add(self.now_ms).ok_or_else(invalid)?;
        }
        if ms <= 0 {
            return Err(invalid());
        }
        Ok(Some(ms))
    }

    // ----- connection -----------------------------------------------------------------------

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

    // ----- strings --------------------------------------------------------------------------

    fn get(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        self.reply_get(arg(argv, 1), out);
    }

    fn set(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        let Some(opts) = parse_string_options(argv, true) else {
            add_error(out, ERR_SYNTAX);
            return;
        };
        let when = match self.expire_option_ms(&opts, "set") {
            Ok(when) => when,
            Err(msg) => return add_error(out, &msg),
        };
        let key = arg(argv, 1);
        if opts.has(GET) && !self.reply_get(key, out) {
            return;
        }
        let found = self.lookup(key).is_some();
        if (opts.has(NX) && found) || (opts.has(XX) && !found) {
            if !opts.has(GET) {
                add_reply_null(out);
            }
            return;
        }
        self.store(key, Value::Str(arg(argv, 2).to_vec()), opts.has(KEEPTTL));
        if let Some(when) = when {
            self.expires.insert(key.to_vec(), when);
        }
        if !opts.has(GET) {
            add_reply_status(out, "OK");
        }
    }

    fn getex(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        let Some(opts) = parse_string_options(argv, false) else {
            add_error(out, ERR_SYNTAX);
            return;
        };
        let key = arg(argv, 1);
        let value = match self.string_at(key) {
            Ok(Some(v)) => v.clone(),
            Ok(None) => return add_reply_null(out),
            Err(WrongType) => return add_error(out, ERR_WRONGTYPE),
        };
        let when = match self.expire_option_ms(&opts, "getex") {
            Ok(when) => when,
            Err(msg) => return add_error(out, &msg),
        };
        add_reply_bulk(out, &value);
        match when {
            Some(when) if opts.has(EXAT | PXAT) && when <= self.now_ms => {
                self.remove_key(key);
            }
            Some(when) => {
                self.expires.insert(key.to_vec(), when);
            }
            None if opts.has(PERSIST) => {
                self.expires.remove(key);
            }
            None => {}
        }
    }

    fn getdel(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        let key = arg(argv, 1);
        if self.reply_get(key, out) {
            self.remove_key(key);
        }
    }

    fn getset(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        let key = arg(argv, 1);
        if self.reply_get(key, out) {
            self.store(key, Value::Str(arg(argv, 2).to_vec()), false);
        }
    }

    fn mget(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        add_reply_array_len(out, argv.len().saturating_sub(1));
        for key in argv.iter().skip(1) {
            match self.string_at(key) {
                Ok(Some(v)) => add_reply_bulk(out, v),
                _ => add_reply_null(out),
            }
        }
    }

    fn mset(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        // Key/value pairs after the name: argc must be odd.
        if argv.len() % 2 != 1 {
            return wrong_arity(out, "mset");
        }
        for pair in argv.get(1..).unwrap_or_default().chunks(2) {
            if let [key, value] = pair {
                self.store(key, Value::Str(value.clone()), false);
            }
        }
        add_reply_status(out, "OK");
    }

    fn append(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        let (key, tail) = (arg(argv, 1), arg(argv, 2));
        let len = match self.string_at_mut(key) {
            Err(WrongType) => return add_error(out, ERR_WRONGTYPE),
            Ok(Some(s)) => {
                if too_long(s.len(), tail.len()) {
                    return add_error(out, ERR_TOO_LONG);
                }
                s.extend_from_slice(tail);
                s.len()
            }
            Ok(None) => {
                self.store(key, Value::Str(tail.to_vec()), false);
                tail.len()
            }
        };
        add_reply_integer(out, len_i64(len));
    }

    fn setrange(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        let (key, value) = (arg(argv, 1), arg(argv, 3));
        let Some(offset) = parse_ll(arg(argv, 2)) else {
            return add_error(out, ERR_NOT_INTEGER);
        };
        let Ok(offset) = usize::try_from(offset) else {
            return add_error(out, ERR_OFFSET);
        };
        let len = match self.string_at_mut(key) {
            Err(WrongType) => return add_error(out, ERR_WRONGTYPE),
            Ok(None) if value.is_empty() => 0,
            Ok(Some(s)) if value.is_empty() => s.len(),
            _ if too_long(offset, value.len()) => return add_error(out, ERR_TOO_LONG),
            Ok(Some(s)) => overwrite_at(s, offset, value),
            Ok(None) => {
                let mut s = Vec::new();
                let len = overwrite_at(&mut s, offset, value);
                self.store(key, Value::Str(s), false);
                len
            }
        };
        add_reply_integer(out, len_i64(len));
    }

    fn strlen(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        match self.string_at(arg(argv, 1)) {
            Ok(v) => add_reply_integer(out, len_i64(v.map_or(0, Vec::len))),
            Err(WrongType) => add_error(out, ERR_WRONGTYPE),
        }
    }

    fn incr(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        self.incr_decr(arg(argv, 1), 1, out);
    }

    fn decr(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        self.incr_decr(arg(argv, 1), -1, out);
    }

    fn incrby(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        match parse_ll(arg(argv, 2)) {
            Some(by) => self.incr_decr(arg(argv, 1), by, out),
            None => add_error(out, ERR_NOT_INTEGER),
        }
    }

    fn decrby(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        match parse_ll(arg(argv, 2)).map(i64::checked_neg) {
            Some(Some(by)) => self.incr_decr(arg(argv, 1), by, out),
            Some(None) => add_error(out, ERR_DECR_OVERFLOW),
            None => add_error(out, ERR_NOT_INTEGER),
        }
    }

    /// `incrDecrCommand`: the result is stored as a decimal string; an existing TTL is kept.
    fn incr_decr(&mut self, key: &[u8], by: i64, out: &mut Vec<u8>) {
        let current = match self.string_at(key) {
            Err(WrongType) => return add_error(out, ERR_WRONGTYPE),
            Ok(None) => Some(0),
            Ok(Some(v)) => parse_ll(v),
        };
        let Some(current) = current else {
            return add_error(out, ERR_NOT_INTEGER);
        };
        let Some(next) = current.checked_add(by) else {
            return add_error(out, ERR_INCR_OVERFLOW);
        };
        self.store(key, Value::Str(next.to_string().into_bytes()), true);
        add_reply_integer(out, next);
    }

    // ----- keyspace commands ----------------------------------------------------------------

    /// DEL and UNLINK (they differ only in how Redis frees the value).
    fn del(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        let mut deleted = 0;
        for key in argv.iter().skip(1) {
            if self.remove_key(key) {
                deleted += 1;
            }
        }
        add_reply_integer(out, deleted);
    }

    fn exists(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        let mut count = 0;
        for key in argv.iter().skip(1) {
            if self.lookup(key).is_some() {
                count += 1;
            }
        }
        add_reply_integer(out, count);
    }

    fn expire(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        self.expire_generic(argv, out, true);
    }

    fn pexpire(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        self.expire_generic(argv, out, false);
    }

    /// `expireGenericCommand` with the current time as base.
    fn expire_generic(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>, seconds: bool) {
        let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
        for opt in argv.iter().skip(3) {
            let o = cstr(opt);
            if eq_ci(o, "nx") {
                nx = true;
            } else if eq_ci(o, "xx") {
                xx = true;
            } else if eq_ci(o, "gt") {
                gt = true;
            } else if eq_ci(o, "lt") {
                lt = true;
            } else {
                return add_error_bytes(out, &[b"ERR Unsupported option ", o].concat());
            }
        }
        if nx && (xx || gt || lt) {
            return add_error(
                out,
                "ERR NX and XX, GT or LT options at the same time are not compatible",
            );
        }
        if gt && lt {
            return add_error(
                out,
                "ERR GT and LT options at the same time are not compatible",
            );
        }
        let Some(n) = parse_ll(arg(argv, 2)) else {
            return add_error(out, ERR_NOT_INTEGER);
        };
        let name = if seconds { "expire" } else { "pexpire" };
        let when = if seconds {
            n.checked_mul(1000)
        } else {
            Some(n)
        }
        .and_then(|ms| ms.checked_add(self.now_ms));
        let Some(when) = when else {
            return add_error(out, &format!("ERR invalid expire time in '{name}' command"));
        };
        let key = arg(argv, 1);
        if self.lookup(key).is_none() {
            return add_reply_integer(out, 0);
        }
        let current = self.expires.get(key).copied();
        let refused = (nx && current.is_some())
            || (xx && current.is_none())
            || (gt && current.is_none_or(|c| when <= c))
            || (lt && current.is_some_and(|c| when >= c));
        if refused {
            return add_reply_integer(out, 0);
        }
        if when <= self.now_ms {
            self.remove_key(key);
        } else {
            self.expires.insert(key.to_vec(), when);
        }
        add_reply_integer(out, 1);
    }

    fn ttl(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        self.ttl_generic(arg(argv, 1), false, out);
    }

    fn pttl(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        self.ttl_generic(arg(argv, 1), true, out);
    }

    /// `ttlGenericCommand`: -2 missing, -1 no TTL, else remaining time (seconds rounded).
    fn ttl_generic(&mut self, key: &[u8], ms: bool, out: &mut Vec<u8>) {
        if self.lookup(key).is_none() {
            return add_reply_integer(out, -2);
        }
        let Some(&when) = self.expires.get(key) else {
            return add_reply_integer(out, -1);
        };
        let ttl = (i128::from(when) - i128::from(self.now_ms)).max(0);
        let ttl = if ms { ttl } else { (ttl + 500) / 1000 };
        add_reply_integer(out, i64::try_from(ttl).unwrap_or(i64::MAX));
    }

    fn persist(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        let key = arg(argv, 1);
        let removed = self.lookup(key).is_some() && self.expires.remove(key).is_some();
        add_reply_integer(out, i64::from(removed));
    }

    /// FLUSHALL and FLUSHDB (`getFlushCommandFlags` accepts one optional SYNC|ASYNC).
    fn flush(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        let ok = match argv {
            [_] => true,
            [_, mode] => eq_ci(cstr(mode), "sync") || eq_ci(cstr(mode), "async"),
            _ => false,
        };
        if !ok {
            return add_error(out, ERR_SYNTAX);
        }
        self.keys.clear();
        self.expires.clear();
        add_reply_status(out, "OK");
    }

    fn dbsize_cmd(&mut self, _argv: &[Vec<u8>], out: &mut Vec<u8>) {
        add_reply_integer(out, len_i64(self.dbsize(self.now_ms)));
    }

    // ----- lists ----------------------------------------------------------------------------

    fn lpush(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        self.push(argv, true, out);
    }

    fn rpush(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        self.push(argv, false, out);
    }

    fn push(&mut self, argv: &[Vec<u8>], head: bool, out: &mut Vec<u8>) {
        let key = arg(argv, 1);
        if matches!(self.lookup(key), Some(Value::Str(_))) {
            return add_error(out, ERR_WRONGTYPE);
        }
        let entry = self.keys.entry(key.to_vec());
        let Value::List(list) = entry.or_insert_with(|| Value::List(VecDeque::new())) else {
            return add_error(out, ERR_WRONGTYPE);
        };
        for element in argv.iter().skip(2) {
            if head {
                list.push_front(element.clone());
            } else {
                list.push_back(element.clone());
            }
        }
        add_reply_integer(out, len_i64(list.len()));
    }

    fn lpop(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        self.pop(argv, true, out);
    }

    fn rpop(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        self.pop(argv, false, out);
    }

    /// `popGenericCommand`: without a count one bulk, with a count an array in pop order.
    fn pop(&mut self, argv: &[Vec<u8>], head: bool, out: &mut Vec<u8>) {
        if argv.len() > 3 {
            return wrong_arity(out, if head { "lpop" } else { "rpop" });
        }
        let count = match argv.get(2).map(|c| parse_ll(c).filter(|&n| n >= 0)) {
            Some(None) => return add_error(out, ERR_NOT_POSITIVE),
            Some(Some(n)) => Some(usize::try_from(n).unwrap_or(usize::MAX)),
            None => None,
        };
        let key = arg(argv, 1);
        let list = match self.lookup_mut(key) {
            None if count.is_some() => return add_reply_null_array(out),
            None => return add_reply_null(out),
            Some(Value::Str(_)) => return add_error(out, ERR_WRONGTYPE),
            Some(Value::List(list)) => list,
        };
        let take = |list: &mut VecDeque<Vec<u8>>| {
            if head {
                list.pop_front()
            } else {
                list.pop_back()
            }
        };
        match count {
            Some(0) => return add_reply_array_len(out, 0),
            Some(n) => {
                let n = n.min(list.len());
                add_reply_array_len(out, n);
                for _ in 0..n {
                    if let Some(v) = take(list) {
                        add_reply_bulk(out, &v);
                    }
                }
            }
            None => match take(list) {
                Some(v) => add_reply_bulk(out, &v),
                None => add_reply_null(out),
            },
        }
        if list.is_empty() {
            self.remove_key(key);
        }
    }

    fn llen(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        match self.lookup(arg(argv, 1)) {
            None => add_reply_integer(out, 0),
            Some(Value::List(list)) => add_reply_integer(out, len_i64(list.len())),
            Some(Value::Str(_)) => add_error(out, ERR_WRONGTYPE),
        }
    }

    /// `lrangeCommand` + `addListRangeReply`.
    fn lrange(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        let (Some(start), Some(end)) = (parse_ll(arg(argv, 2)), parse_ll(arg(argv, 3))) else {
            return add_error(out, ERR_NOT_INTEGER);
        };
        let list = match self.lookup(arg(argv, 1)) {
            None => return add_reply_array_len(out, 0),
            Some(Value::Str(_)) => return add_error(out, ERR_WRONGTYPE),
            Some(Value::List(list)) => list,
        };
        let len = i128::try_from(list.len()).unwrap_or(i128::MAX);
        let resolve = |i: i64| {
            let i = i128::from(i);
            if i < 0 {
                i + len
            } else {
                i
            }
        };
        let (start, end) = (resolve(start).max(0), resolve(end).min(len - 1));
        if start > end {
            return add_reply_array_len(out, 0);
        }
        let (Ok(start), Ok(end)) = (usize::try_from(start), usize::try_from(end)) else {
            return add_reply_array_len(out, 0);
        };
        add_reply_array_len(out, end - start + 1);
        for element in list.range(start..=end) {
            add_reply_bulk(out, element);
        }
    }

    // ----- CONFIG / DEBUG -------------------------------------------------------------------

    /// Canonical name of the knob `name` (case-insensitive, whole argument).
    fn knob(&self, name: &[u8]) -> Option<&'static str> {
        self.config
            .keys()
            .copied()
            .find(|k| name.eq_ignore_ascii_case(k.as_bytes()))
    }

    /// `configGetCommand`, RESP2: a flat array of name, value pairs.
    fn config_get(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        // (name as replied, canonical knob)
        let mut matches: Vec<(Vec<u8>, &'static str)> = Vec::new();
        let seen = |m: &[(Vec<u8>, &str)], name: &[u8]| {
            m.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
        };
        for pattern in argv.iter().skip(2) {
            let p = cstr(pattern);
            if !p.iter().any(|c| matches!(c, b'[' | b'*' | b'?')) {
                if !seen(&matches, p) {
                    if let Some(k) = self.knob(pattern) {
                        matches.push((p.to_vec(), k));
                    }
                }
                continue;
            }
            for k in self.config.keys().copied() {
                if !seen(&matches, k.as_bytes()) && glob_match(p, k.as_bytes(), true) {
                    matches.push((k.as_bytes().to_vec(), k));
                }
            }
        }
        add_reply_array_len(out, matches.len().saturating_mul(2));
        for (name, knob) in &matches {
            add_reply_bulk(out, name);
            add_reply_bulk(
                out,
                self.config.get(knob).map_or(&b""[..], |v| v.as_bytes()),
            );
        }
    }

    /// `configSetCommand`: all pairs are checked first; nothing changes unless all are valid.
    fn config_set(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        if argv.len() % 2 == 1 {
            return add_error(out, ERR_SYNTAX);
        }
        let pairs = argv.get(2..).unwrap_or_default();
        let mut chosen: Vec<(&'static str, bool)> = Vec::new();
        for pair in pairs.chunks(2) {
            let [name, value] = pair else { continue };
            let Some(knob) = self.knob(name) else {
                let msg = [
                    b"ERR Unknown option or number of arguments for CONFIG SET - '",
                    cstr(name),
                    b"'",
                ]
                .concat();
                return add_error_bytes(out, &msg);
            };
            let refusal = if knob == IO_THREADS {
                "can't set immutable config"
            } else if chosen.iter().any(|(k, _)| *k == knob) {
                "duplicate parameter"
            } else {
                chosen.push((knob, yes_no(cstr(value)).unwrap_or(false)));
                continue;
            };
            let msg = [
                b"ERR CONFIG SET failed (possibly related to argument '",
                cstr(name),
                b"') - ",
                refusal.as_bytes(),
            ]
            .concat();
            return add_error_bytes(out, &msg);
        }
        // Values are checked in order after every name passed (performInterfaceSet).
        for pair in pairs.chunks(2) {
            if let [name, value] = pair {
                if yes_no(cstr(value)).is_none() {
                    let knob = self.knob(name).unwrap_or_default();
                    return add_error(
                        out,
                        &format!(
                            "ERR CONFIG SET failed (possibly related to argument '{knob}') - \
                             argument must be 'yes' or 'no'"
                        ),
                    );
                }
            }
        }
        for (knob, on) in chosen {
            self.config
                .insert(knob, if on { "yes" } else { "no" }.to_string());
        }
        add_reply_status(out, "OK");
    }

    /// `DEBUG REPLY-COPY-AVOIDANCE <n>` only; any other form gets the subcommand error.
    fn debug(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        if argv.len() == 3 && eq_ci(cstr(arg(argv, 1)), "reply-copy-avoidance") {
            return add_reply_status(out, "OK");
        }
        let msg = [
            &b"ERR unknown subcommand or wrong number of arguments for '"[..],
            truncate(cstr(arg(argv, 1)), ECHO_BUDGET),
            b"'. Try ",
            &cstr(arg(argv, 0)).to_ascii_uppercase(),
            b" HELP.",
        ]
        .concat();
        add_error_bytes(out, &msg);
    }
}

// ----- helpers --------------------------------------------------------------------------------

fn arg(argv: &[Vec<u8>], i: usize) -> &[u8] {
    argv.get(i).map_or(&[], Vec::as_slice)
}

/// The argument as C code sees it: up to the first NUL.
fn cstr(b: &[u8]) -> &[u8] {
    b.iter().position(|&c| c == 0).map_or(b, |i| &b[..i])
}

fn truncate(b: &[u8], max: usize) -> &[u8] {
    &b[..b.len().min(max)]
}

fn eq_ci(b: &[u8], lit: &str) -> bool {
    b.eq_ignore_ascii_case(lit.as_bytes())
}

fn len_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn find_command(table: &'static [Command], name: &[u8]) -> Option<&'static Command> {
    table.iter().find(|c| eq_ci(name, c.name))
}

fn arity_ok(arity: i64, argc: usize) -> bool {
    let argc = len_i64(argc);
    if arity > 0 {
        argc == arity
    } else {
        argc >= -arity
    }
}

/// `checkStringLength`: whether `size + append` bytes exceed `proto-max-bulk-len`.
fn too_long(size: usize, append: usize) -> bool {
    let total = i128::try_from(size).unwrap_or(i128::MAX) + i128::try_from(append).unwrap_or(0);
    total > PROTO_MAX_BULK_LEN
}

/// Writes `value` at `offset`, zero-padding as needed; returns the new length.
fn overwrite_at(s: &mut Vec<u8>, offset: usize, value: &[u8]) -> usize {
    let end = offset.saturating_add(value.len());
    if s.len() < end {
        s.resize(end, 0);
    }
    if let Some(dst) = s.get_mut(offset..end) {
        dst.copy_from_slice(value);
    }
    s.len()
}

/// `string2ll`: strict decimal (no sign but '-', no leading zeros, no spaces), i64 range.
fn parse_ll(s: &[u8]) -> Option<i64> {
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    if !matches!(digits.first(), Some(b'1'..=b'9')) || digits.len() > 19 {
        return None;
    }
    let mut v: i128 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i128::from(d - b'0');
    }
    i64::try_from(if negative { -v } else { v }).ok()
}

/// `yesnotoi`.
fn yes_no(b: &[u8]) -> Option<bool> {
    if eq_ci(b, "yes") {
        Some(true)
    } else if eq_ci(b, "no") {
        Some(false)
    } else {
        None
    }
}

/// `parseExtendedStringArgumentsOrReply` for SET (`is_set`) or GETEX; `None` = syntax error.
fn parse_string_options(argv: &[Vec<u8>], is_set: bool) -> Option<StringOptions<'_>> {
    let mut opts = StringOptions {
        flags: 0,
        expire: None,
    };
    let mut j = if is_set { 3 } else { 2 };
    while let Some(raw) = argv.get(j) {
        let opt = cstr(raw);
        let f = opts.flags;
        let ttl_flag = [("ex", EX), ("px", PX), ("exat", EXAT), ("pxat", PXAT)]
            .into_iter()
            .find(|(name, _)| eq_ci(opt, name))
            .map(|(_, flag)| flag);
        if is_set && eq_ci(opt, "nx") && f & XX == 0 {
            opts.flags |= NX;
        } else if is_set && eq_ci(opt, "xx") && f & NX == 0 {
            opts.flags |= XX;
        } else if is_set && eq_ci(opt, "get") {
            opts.flags |= GET;
        } else if is_set && eq_ci(opt, "keepttl") && f & (PERSIST | TTL_FLAGS) == 0 {
            opts.flags |= KEEPTTL;
        } else if !is_set && eq_ci(opt, "persist") && f & (KEEPTTL | TTL_FLAGS) == 0 {
            opts.flags |= PERSIST;
        } else if let (Some(flag), Some(value)) = (ttl_flag, argv.get(j + 1)) {
            // A TTL option excludes KEEPTTL, PERSIST and every other TTL option (not itself).
            if f & (KEEPTTL | PERSIST | TTL_FLAGS) & !flag != 0 {
                return None;
            }
            opts.flags |= flag;
            opts.expire = Some(value);
            j += 1;
        } else {
            return None;
        }
        j += 1;
    }
    Some(opts)
}

/// Error reply for a fixed message (`msg` carries its code, e.g. "ERR ...").
fn add_error(out: &mut Vec<u8>, msg: &str) {
    error_line(out, msg.as_bytes());
}

/// `-<msg>\r\n`: `msg` carries its own code.
fn error_line(out: &mut Vec<u8>, msg: &[u8]) {
    out.push(b'-');
    out.extend_from_slice(msg);
    out.extend_from_slice(b"\r\n");
}

/// Error reply for a message that echoes user bytes, sanitized like `addReplyErrorFormat`
/// (CR/LF trimmed from the ends, inner CR/LF turned into spaces). Redis echoes raw bytes, so a
/// message that is not UTF-8 is written as it is.
fn add_error_bytes(out: &mut Vec<u8>, msg: &[u8]) {
    let edge = |c: &u8| matches!(c, b'\r' | b'\n');
    let start = msg.iter().position(|c| !edge(c)).unwrap_or(msg.len());
    let end = msg.iter().rposition(|c| !edge(c)).map_or(start, |i| i + 1);
    let clean: Vec<u8> = msg
        .get(start..end)
        .unwrap_or_default()
        .iter()
        .map(|&c| if edge(&c) { b' ' } else { c })
        .collect();
    error_line(out, &clean);
}

fn wrong_arity(out: &mut Vec<u8>, fullname: &str) {
    add_error(
        out,
        &format!("ERR wrong number of arguments for '{fullname}' command"),
    );
}

/// `commandCheckExistence`, 8.x form: the argument list appears only when there are arguments;
/// each is quoted and cut at NUL, within a 128-byte budget that the quotes count against.
fn unknown_command(out: &mut Vec<u8>, argv: &[Vec<u8>]) {
    let mut msg = b"ERR unknown command '".to_vec();
    msg.extend_from_slice(truncate(cstr(arg(argv, 0)), ECHO_BUDGET));
    msg.push(b'\'');
    if argv.len() >= 2 {
        let mut args = Vec::new();
        for a in argv.iter().skip(1) {
            if args.len() >= ECHO_BUDGET {
                break;
            }
            let room = ECHO_BUDGET - args.len();
            args.push(b'\'');
            args.extend_from_slice(truncate(cstr(a), room));
            args.extend_from_slice(b"' ");
        }
        msg.extend_from_slice(b", with args beginning with: ");
        msg.extend_from_slice(&args);
    }
    add_error_bytes(out, &msg);
}

/// `commandCheckExistence` for a container command with an unknown subcommand.
fn unknown_subcommand(out: &mut Vec<u8>, name: &[u8], sub: &[u8]) {
    let msg = [
        &b"ERR unknown subcommand '"[..],
        truncate(cstr(sub), ECHO_BUDGET),
        b"'. Try ",
        &cstr(name).to_ascii_uppercase(),
        b" HELP.",
    ]
    .concat();
    add_error_bytes(out, &msg);
}

/// `stringmatchlen`: glob with `*`, `?`, `[...]` (`^` negates, `a-z` ranges, `\` escapes).
fn glob_match(pattern: &[u8], s: &[u8], nocase: bool) -> bool {
    let mut give_up = false;
    glob_at(pattern, s, nocase, &mut give_up, 0)
}

fn glob_at(mut p: &[u8], mut s: &[u8], nocase: bool, give_up: &mut bool, depth: u32) -> bool {
    if depth > 1000 {
        return false;
    }
    let same = |a: u8, b: u8| {
        if nocase {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    while let (Some(&pc), Some(&sc)) = (p.first(), s.first()) {
        match pc {
            b'*' => {
                let rest = trim_stars(p);
                if rest.is_empty() {
                    return true;
                }
                while !s.is_empty() {
                    if glob_at(rest, s, nocase, give_up, depth + 1) {
                        return true;
                    }
                    if *give_up {
                        return false;
                    }
                    s = &s[1..];
                }
                // No suffix matches the rest: longer matches for earlier stars cannot help.
                *give_up = true;
                return false;
            }
            b'?' => p = &p[1..],
            b'[' => {
                let (matched, rest) = match_class(&p[1..], sc, nocase);
                if !matched {
                    return false;
                }
                p = rest;
            }
            b'\\' if p.len() >= 2 => {
                if !same(p[1], sc) {
                    return false;
                }
                p = &p[2..];
            }
            _ => {
                if !same(pc, sc) {
                    return false;
                }
                p = &p[1..];
            }
        }
        s = &s[1..];
        if s.is_empty() {
            p = trim_stars(p);
            break;
        }
    }
    p.is_empty() && s.is_empty()
}

fn trim_stars(mut p: &[u8]) -> &[u8] {
    while let [b'*', rest @ ..] = p {
        p = rest;
    }
    p
}

/// One `[...]` class (after the `[`) against byte `c`; returns the verdict and the pattern
/// after the class. An unterminated class runs to the end of the pattern. Range bounds compare
/// as C `char` (signed), like Redis.
fn match_class(mut p: &[u8], c: u8, nocase: bool) -> (bool, &[u8]) {
    let lower = |x: i32| {
        if nocase && (i32::from(b'A')..=i32::from(b'Z')).contains(&x) {
            x + 32
        } else {
            x
        }
    };
    let signed = |x: u8| i32::from(x as i8);
    let negate = p.first() == Some(&b'^');
    if negate {
        p = &p[1..];
    }
    let mut matched = false;
    loop {
        match p {
            [b'\\', escaped, rest @ ..] => {
                matched |= *escaped == c;
                p = rest;
            }
            [b']', rest @ ..] => {
                p = rest;
                break;
            }
            [] => break,
            [lo, b'-', hi, rest @ ..] => {
                let (mut lo, mut hi) = (signed(*lo), signed(*hi));
                if lo > hi {
                    std::mem::swap(&mut lo, &mut hi);
                }
                let x = lower(signed(c));
                matched |= (lower(lo)..=lower(hi)).contains(&x);
                p = rest;
            }
            [x, rest @ ..] => {
                matched |= lower(signed(*x)) == lower(signed(c));
                p = rest;
            }
        }
    }
    (matched != negate, p)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_700_000_000_000;

    fn args(cmd: &str) -> Vec<Vec<u8>> {
        cmd.split(' ').map(|a| a.as_bytes().to_vec()).collect()
    }

    /// Runs `(command, expected reply)` steps at time `now`; arguments are split on spaces.
    fn script(r: &mut Reference, now: i64, steps: &[(&str, &str)]) {
        for (cmd, want) in steps {
            let got = r.execute(&args(cmd), now);
            assert_eq!(String::from_utf8_lossy(&got), *want, "command: {cmd}");
        }
    }

    fn fresh(steps: &[(&str, &str)]) -> Reference {
        let mut r = Reference::new(T0);
        script(&mut r, T0, steps);
        r
    }

    const WRONGTYPE: &str =
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    const SYNTAX: &str = "-ERR syntax error\r\n";
    const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";
    const BAD_SET_TTL: &str = "-ERR invalid expire time in 'set' command\r\n";
    const TOO_LONG: &str = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n";

    #[test]
    fn ping_and_echo() {
        fresh(&[
            ("PING", "+PONG\r\n"),
            ("ping hello", "$5\r\nhello\r\n"),
            (
                "PING a b",
                "-ERR wrong number of arguments for 'ping' command\r\n",
            ),
            ("ECHO hi", "$2\r\nhi\r\n"),
            (
                "ECHO",
                "-ERR wrong number of arguments for 'echo' command\r\n",
            ),
        ]);
    }

    #[test]
    fn unknown_command_and_arity_texts() {
        fresh(&[
            ("NoSuch", "-ERR unknown command 'NoSuch'\r\n"),
            (
                "nosuch a b",
                "-ERR unknown command 'nosuch', with args beginning with: 'a' 'b' \r\n",
            ),
            (
                "GET",
                "-ERR wrong number of arguments for 'get' command\r\n",
            ),
            (
                "Get a b",
                "-ERR wrong number of arguments for 'get' command\r\n",
            ),
            (
                "CONFIG",
                "-ERR wrong number of arguments for 'config' command\r\n",
            ),
            (
                "config GET",
                "-ERR wrong number of arguments for 'config|get' command\r\n",
            ),
            (
                "CONFIG set x",
                "-ERR wrong number of arguments for 'config|set' command\r\n",
            ),
            (
                "config foo bar",
                "-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n",
            ),
            (
                "DEBUG",
                "-ERR wrong number of arguments for 'debug' command\r\n",
            ),
            (
                "MSET a b c",
                "-ERR wrong number of arguments for 'mset' command\r\n",
            ),
            (
                "DBSIZE x",
                "-ERR wrong number of arguments for 'dbsize' command\r\n",
            ),
        ]);
    }

    #[test]
    fn unknown_command_echo_is_truncated_and_sanitized() {
        let mut r = Reference::new(T0);
        let a100 = vec![b'a'; 100];
        let b100 = vec![b'b'; 100];
        let argv = vec![b"x".to_vec(), a100.clone(), b100, b"c".to_vec()];
        let want = [
            &b"-ERR unknown command 'x', with args beginning with: '"[..],
            &a100,
            b"' '",
            &[b'b'; 25],
            b"' \r\n",
        ]
        .concat();
        assert_eq!(r.execute(&argv, T0), want);
        // Name cut at 128 bytes and at NUL; CR/LF become spaces; raw bytes are echoed.
        let argv = vec![vec![b'n'; 200], b"x\r\ny\0z".to_vec(), vec![0xff]];
        let want = [
            &b"-ERR unknown command '"[..],
            &[b'n'; 128],
            b"', with args beginning with: 'x  y' '\xff' \r\n",
        ]
        .concat();
        assert_eq!(r.execute(&argv, T0), want);
        assert_eq!(r.execute(&[], T0), b"");
        assert_eq!(r.execute(&args("HOST: x"), T0), b"");
        assert_eq!(r.execute(&args("post"), T0), b"");
    }

    #[test]
    fn set_and_get_options() {
        fresh(&[
            ("SET k v", "+OK\r\n"),
            ("GET k", "$1\r\nv\r\n"),
            ("GET nope", "$-1\r\n"),
            ("SET k v2 NX", "$-1\r\n"),
            ("SET k v2 XX", "+OK\r\n"),
            ("SET n v XX", "$-1\r\n"),
            ("SET k v3 nx GET", "$2\r\nv2\r\n"),
            ("SET k v3 GET", "$2\r\nv2\r\n"),
            ("SET n v GET", "$-1\r\n"),
            ("GET n", "$1\r\nv\r\n"),
            ("SET k v NX XX", SYNTAX),
            ("SET k v EX", SYNTAX),
            ("SET k v FOO", SYNTAX),
            ("SET k v PERSIST", SYNTAX),
            ("SET k v KEEPTTL EX 1", SYNTAX),
            ("SET k v EX 1 PX 1", SYNTAX),
            ("SET k v PXAT 1 EXAT 1", SYNTAX),
            ("SET k v IFEQ x", SYNTAX),
            ("SET k v EX 1 EX 2", "+OK\r\n"),
            ("SET k v EX abc", NOT_INT),
            ("SET k v EX 0", BAD_SET_TTL),
            ("SET k v PX -5", BAD_SET_TTL),
            ("SET k v EX 9223372036854776", BAD_SET_TTL),
            ("SET k v PX 9223372036854775807", BAD_SET_TTL),
            ("LPUSH l a", ":1\r\n"),
            ("SET l v GET", WRONGTYPE),
            ("LLEN l", ":1\r\n"),
            ("GET l", WRONGTYPE),
            ("SET l v", "+OK\r\n"),
            ("GET l", "$1\r\nv\r\n"),
        ]);
        // C-string option matching: "nx\0junk" is NX.
        let mut r = Reference::new(T0);
        script(&mut r, T0, &[("SET k v", "+OK\r\n")]);
        let argv = vec![
            b"SET".to_vec(),
            b"k".to_vec(),
            b"w".to_vec(),
            b"nx\0junk".to_vec(),
        ];
        assert_eq!(r.execute(&argv, T0), b"$-1\r\n");
    }

    #[test]
    fn set_expiry_and_ttl_rounding() {
        let mut r = fresh(&[
            ("SET k v EX 10", "+OK\r\n"),
            ("TTL k", ":10\r\n"),
            ("PTTL k", ":10000\r\n"),
            ("SET p v PX 1500", "+OK\r\n"),
            ("SET a v EXAT 1", "+OK\r\n"),
            ("GET a", "$-1\r\n"),
        ]);
        script(
            &mut r,
            T0 + 1_499,
            &[("GET p", "$1\r\nv\r\n"), ("TTL p", ":0\r\n")],
        );
        assert_eq!(r.dbsize(T0 + 1_500), 2);
        assert_eq!(r.dbsize(T0 + 1_501), 1);
        script(
            &mut r,
            T0 + 9_499,
            &[("TTL k", ":1\r\n"), ("PTTL k", ":501\r\n")],
        );
        // `now > when` (db.c keyIsExpired): gone 1 ms after the 10 s.
        script(
            &mut r,
            T0 + 10_001,
            &[
                ("GET k", "$-1\r\n"),
                ("TTL k", ":-2\r\n"),
                ("EXISTS k p", ":0\r\n"),
                ("DBSIZE", ":0\r\n"),
                ("SET k v PXAT 1700000020000", "+OK\r\n"),
                ("SET k w KEEPTTL", "+OK\r\n"),
                ("PTTL k", ":9999\r\n"),
                ("SET k w", "+OK\r\n"),
                ("TTL k", ":-1\r\n"),
            ],
        );
    }

    #[test]
    fn getex_getdel_getset() {
        let mut r = fresh(&[
            ("SET k v", "+OK\r\n"),
            ("GETEX k", "$1\r\nv\r\n"),
            ("GETEX k EX 100", "$1\r\nv\r\n"),
            ("TTL k", ":100\r\n"),
            ("GETEX k PERSIST", "$1\r\nv\r\n"),
            ("TTL k", ":-1\r\n"),
            ("GETEX k NX", SYNTAX),
            ("GETEX k KEEPTTL", SYNTAX),
            ("GETEX k PERSIST EX 1", SYNTAX),
            ("GETEX nope EX abc", "$-1\r\n"),
            ("GETEX k EX abc", NOT_INT),
            (
                "GETEX k EX 0",
                "-ERR invalid expire time in 'getex' command\r\n",
            ),
            ("GETEX k PXAT 1", "$1\r\nv\r\n"),
            ("EXISTS k", ":0\r\n"),
            ("RPUSH l a", ":1\r\n"),
            ("GETEX l", WRONGTYPE),
            ("GETDEL l", WRONGTYPE),
            ("GETSET l x", WRONGTYPE),
            ("SET k v EX 50", "+OK\r\n"),
            ("GETSET k w", "$1\r\nv\r\n"),
            ("TTL k", ":-1\r\n"),
            ("GETSET n w", "$-1\r\n"),
            ("GETDEL k", "$1\r\nw\r\n"),
            ("GETDEL k", "$-1\r\n"),
        ]);
        script(
            &mut r,
            T0 + 1,
            &[("GETEX n PX 10", "$1\r\nw\r\n"), ("PTTL n", ":10\r\n")],
        );
    }

    #[test]
    fn mget_mset_append_strlen_setrange() {
        fresh(&[
            ("MSET a 1 b 2 a 3", "+OK\r\n"),
            ("RPUSH l x", ":1\r\n"),
            (
                "MGET a b l nope",
                "*4\r\n$1\r\n3\r\n$1\r\n2\r\n$-1\r\n$-1\r\n",
            ),
            ("APPEND a xy", ":3\r\n"),
            ("APPEND new xy", ":2\r\n"),
            ("APPEND l x", WRONGTYPE),
            ("STRLEN a", ":3\r\n"),
            ("STRLEN nope", ":0\r\n"),
            ("STRLEN l", WRONGTYPE),
            ("SETRANGE s 2 ab", ":4\r\n"),
            ("GET s", "$4\r\n\0\0ab\r\n"),
            ("SETRANGE s 1 Z", ":4\r\n"),
            ("SETRANGE s 6 Q", ":7\r\n"),
            ("GET s", "$7\r\n\0Zab\0\0Q\r\n"),
            ("SETRANGE s -1 x", "-ERR offset is out of range\r\n"),
            ("SETRANGE s x1 x", NOT_INT),
            ("SETRANGE l 0 x", WRONGTYPE),
            ("SETRANGE l -1 x", "-ERR offset is out of range\r\n"),
            ("SETRANGE s 536870912 x", TOO_LONG),
            ("SETRANGE q 9223372036854775807 x", TOO_LONG),
            ("SETRANGE q 536870912 ", ":0\r\n"),
            ("SETRANGE s 99999 ", ":7\r\n"),
            ("EXISTS q", ":0\r\n"),
        ]);
        let mut r = Reference::new(T0);
        let argv = vec![b"SET".to_vec(), vec![0, 0xff], vec![b'\r', 0, b'\n']];
        assert_eq!(r.execute(&argv, T0), b"+OK\r\n");
        let argv = vec![b"GET".to_vec(), vec![0, 0xff]];
        assert_eq!(r.execute(&argv, T0), b"$3\r\n\r\0\n\r\n");
    }

    #[test]
    fn incr_decr_family() {
        fresh(&[
            ("INCR n", ":1\r\n"),
            ("INCRBY n 10", ":11\r\n"),
            ("DECR n", ":10\r\n"),
            ("DECRBY n 15", ":-5\r\n"),
            ("GET n", "$2\r\n-5\r\n"),
            ("SET n 10", "+OK\r\n"),
            ("INCR n", ":11\r\n"),
            ("INCRBY n x", NOT_INT),
            ("DECRBY n 1.5", NOT_INT),
            ("SET s abc", "+OK\r\n"),
            ("INCR s", NOT_INT),
            ("SET s 01", "+OK\r\n"),
            ("INCR s", NOT_INT),
            ("SET s +1", "+OK\r\n"),
            ("INCR s", NOT_INT),
            ("SET s -0", "+OK\r\n"),
            ("INCR s", NOT_INT),
            ("SET s 9223372036854775808", "+OK\r\n"),
            ("INCR s", NOT_INT),
            ("SET m 9223372036854775807", "+OK\r\n"),
            ("INCR m", "-ERR increment or decrement would overflow\r\n"),
            ("SET m -9223372036854775808", "+OK\r\n"),
            ("DECR m", "-ERR increment or decrement would overflow\r\n"),
            ("INCRBY m 9223372036854775807", ":-1\r\n"),
            (
                "DECRBY m -9223372036854775808",
                "-ERR decrement would overflow\r\n",
            ),
            ("SET t 5 EX 100", "+OK\r\n"),
            ("INCR t", ":6\r\n"),
            ("TTL t", ":100\r\n"),
            ("LPUSH l a", ":1\r\n"),
            ("INCR l", WRONGTYPE),
        ]);
        assert_eq!(parse_ll(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_ll(b""), None);
        assert_eq!(parse_ll(b"-"), None);
        assert_eq!(parse_ll(b" 1"), None);
        assert_eq!(parse_ll(b"1\0"), None);
    }

    #[test]
    fn del_unlink_exists_flush_dbsize() {
        let r = fresh(&[
            ("MSET a 1 b 2 c 3", "+OK\r\n"),
            ("EXISTS a a nope b", ":3\r\n"),
            ("DEL a a nope", ":1\r\n"),
            ("UNLINK b c", ":2\r\n"),
            ("DBSIZE", ":0\r\n"),
            ("MSET a 1 b 2", "+OK\r\n"),
            ("FLUSHALL foo", SYNTAX),
            ("FLUSHDB sync async", SYNTAX),
            ("DBSIZE", ":2\r\n"),
            ("FLUSHALL ASYNC", "+OK\r\n"),
            ("SET a 1", "+OK\r\n"),
            ("FLUSHDB sync", "+OK\r\n"),
            ("SET a 1", "+OK\r\n"),
            ("FLUSHALL", "+OK\r\n"),
            ("DBSIZE", ":0\r\n"),
        ]);
        assert_eq!(r.dbsize(T0), 0);
    }

    #[test]
    fn expire_family() {
        let mut r = fresh(&[
            ("EXPIRE nope 10", ":0\r\n"),
            ("SET k v", "+OK\r\n"),
            ("EXPIRE k 10 XX", ":0\r\n"),
            ("EXPIRE k 10 GT", ":0\r\n"),
            ("EXPIRE k 100 LT", ":1\r\n"),
            ("TTL k", ":100\r\n"),
            ("EXPIRE k 10 NX", ":0\r\n"),
            ("EXPIRE k 200 gt", ":1\r\n"),
            ("EXPIRE k 50 LT", ":1\r\n"),
            ("EXPIRE k 60 LT", ":0\r\n"),
            ("PEXPIRE k 1500 xx", ":1\r\n"),
            ("PTTL k", ":1500\r\n"),
            ("EXPIRE k 10 foo", "-ERR Unsupported option foo\r\n"),
            ("EXPIRE k abc foo", "-ERR Unsupported option foo\r\n"),
            (
                "EXPIRE k 10 NX XX",
                "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n",
            ),
            (
                "EXPIRE k 10 GT LT",
                "-ERR GT and LT options at the same time are not compatible\r\n",
            ),
            ("EXPIRE k abc", NOT_INT),
            (
                "EXPIRE k 9223372036854776",
                "-ERR invalid expire time in 'expire' command\r\n",
            ),
            (
                "EXPIRE k -9223372036854776",
                "-ERR invalid expire time in 'expire' command\r\n",
            ),
            (
                "PEXPIRE k 9223372036854775807",
                "-ERR invalid expire time in 'pexpire' command\r\n",
            ),
            ("PERSIST k", ":1\r\n"),
            ("PERSIST k", ":0\r\n"),
            ("PERSIST nope", ":0\r\n"),
            ("TTL k", ":-1\r\n"),
            ("PTTL nope", ":-2\r\n"),
            ("EXPIRE k 0", ":1\r\n"),
            ("EXISTS k", ":0\r\n"),
            ("SET k v", "+OK\r\n"),
            ("PEXPIRE k -1 NX", ":1\r\n"),
            ("GET k", "$-1\r\n"),
            ("SET k v EX 10", "+OK\r\n"),
        ]);
        let bad = vec![
            b"EXPIRE".to_vec(),
            b"k".to_vec(),
            b"1".to_vec(),
            b"\r\nx\n".to_vec(),
        ];
        // Like addReplyErrorFormat: trailing CR/LF trimmed, inner ones turned into spaces.
        assert_eq!(r.execute(&bad, T0), b"-ERR Unsupported option   x\r\n");
        // Expired once `now > when` (db.c keyIsExpired): 1 ms after the 10 s.
        script(
            &mut r,
            T0 + 10_001,
            &[("PERSIST k", ":0\r\n"), ("EXPIRE k 5", ":0\r\n")],
        );
    }

    #[test]
    fn list_commands() {
        fresh(&[
            ("LPUSH l a b c", ":3\r\n"),
            ("RPUSH l d", ":4\r\n"),
            (
                "LRANGE l 0 -1",
                "*4\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nd\r\n",
            ),
            ("LRANGE l -100 1", "*2\r\n$1\r\nc\r\n$1\r\nb\r\n"),
            ("LRANGE l 2 100", "*2\r\n$1\r\na\r\n$1\r\nd\r\n"),
            ("LRANGE l 3 1", "*0\r\n"),
            ("LRANGE l 4 9", "*0\r\n"),
            ("LRANGE l -9223372036854775808 -5", "*0\r\n"),
            ("LRANGE l x 1", NOT_INT),
            ("LRANGE l 0 y", NOT_INT),
            ("LRANGE nope 0 -1", "*0\r\n"),
            ("LLEN l", ":4\r\n"),
            ("LLEN nope", ":0\r\n"),
            ("LPOP l", "$1\r\nc\r\n"),
            ("RPOP l", "$1\r\nd\r\n"),
            ("LPOP l 0", "*0\r\n"),
            (
                "LPOP l -1",
                "-ERR value is out of range, must be positive\r\n",
            ),
            (
                "LPOP l x",
                "-ERR value is out of range, must be positive\r\n",
            ),
            (
                "LPOP l 1 2",
                "-ERR wrong number of arguments for 'lpop' command\r\n",
            ),
            (
                "RPOP l 1 2",
                "-ERR wrong number of arguments for 'rpop' command\r\n",
            ),
            ("RPUSH l x y", ":4\r\n"),
            ("RPOP l 3", "*3\r\n$1\r\ny\r\n$1\r\nx\r\n$1\r\na\r\n"),
            ("LPOP l 9", "*1\r\n$1\r\nb\r\n"),
            ("EXISTS l", ":0\r\n"),
            ("LPOP l", "$-1\r\n"),
            ("LPOP l 1", "*-1\r\n"),
            ("RPOP l 0", "*-1\r\n"),
            ("SET s v", "+OK\r\n"),
            ("LPUSH s a", WRONGTYPE),
            ("RPUSH s a", WRONGTYPE),
            ("LPOP s", WRONGTYPE),
            ("LLEN s", WRONGTYPE),
            ("LRANGE s 0 1", WRONGTYPE),
            (
                "LPUSH",
                "-ERR wrong number of arguments for 'lpush' command\r\n",
            ),
            (
                "LPUSH l",
                "-ERR wrong number of arguments for 'lpush' command\r\n",
            ),
        ]);
    }

    #[test]
    fn list_ttl_survives_push_and_expires() {
        let mut r = fresh(&[("RPUSH l a", ":1\r\n"), ("PEXPIRE l 100", ":1\r\n")]);
        script(
            &mut r,
            T0 + 50,
            &[("RPUSH l b", ":2\r\n"), ("PTTL l", ":50\r\n")],
        );
        script(
            &mut r,
            T0 + 101,
            &[
                ("LLEN l", ":0\r\n"),
                ("RPUSH l c", ":1\r\n"),
                ("TTL l", ":-1\r\n"),
            ],
        );
    }

    #[test]
    fn config_get_and_set() {
        let mut r = fresh(&[
            (
                "CONFIG GET io-threads",
                "*2\r\n$10\r\nio-threads\r\n$1\r\n1\r\n",
            ),
            (
                "CONFIG GET IO-THREADS",
                "*2\r\n$10\r\nIO-THREADS\r\n$1\r\n1\r\n",
            ),
            (
                "CONFIG GET ?o-thread*",
                "*2\r\n$10\r\nio-threads\r\n$1\r\n1\r\n",
            ),
            ("CONFIG GET maxmemory", "*0\r\n"),
            (
                "CONFIG GET lazyfree-lazy-user-[df]* io-threads LAZYFREE-LAZY-USER-DEL",
                "*6\r\n$22\r\nlazyfree-lazy-user-del\r\n$2\r\nno\r\n\
                 $24\r\nlazyfree-lazy-user-flush\r\n$2\r\nno\r\n\
                 $10\r\nio-threads\r\n$1\r\n1\r\n",
            ),
            ("CONFIG SET lazyfree-lazy-user-del YES", "+OK\r\n"),
            (
                "config get lazyfree-lazy-user-del",
                "*2\r\n$22\r\nlazyfree-lazy-user-del\r\n$3\r\nyes\r\n",
            ),
            (
                "CONFIG SET IO-threads 4",
                "-ERR CONFIG SET failed (possibly related to argument 'IO-threads') - \
                 can't set immutable config\r\n",
            ),
            (
                "CONFIG SET nope 1 io-threads 4",
                "-ERR Unknown option or number of arguments for CONFIG SET - 'nope'\r\n",
            ),
            (
                "CONFIG SET lazyfree-lazy-expire yes LAZYFREE-LAZY-EXPIRE no",
                "-ERR CONFIG SET failed (possibly related to argument 'LAZYFREE-LAZY-EXPIRE') - \
                 duplicate parameter\r\n",
            ),
            (
                "CONFIG SET lazyfree-lazy-user-del no LAZYFREE-lazy-expire maybe",
                "-ERR CONFIG SET failed (possibly related to argument 'lazyfree-lazy-expire') - \
                 argument must be 'yes' or 'no'\r\n",
            ),
            ("CONFIG SET lazyfree-lazy-user-del no extra", SYNTAX),
            (
                "CONFIG SET lazyfree-lazy-server-del yes lazyfree-lazy-user-flush yes",
                "+OK\r\n",
            ),
        ]);
        // The failed multi-set above left lazyfree-lazy-user-del at yes.
        script(
            &mut r,
            T0,
            &[(
                "CONFIG GET lazyfree-lazy-*",
                "*8\r\n$20\r\nlazyfree-lazy-expire\r\n$2\r\nno\r\n\
                 $24\r\nlazyfree-lazy-server-del\r\n$3\r\nyes\r\n\
                 $22\r\nlazyfree-lazy-user-del\r\n$3\r\nyes\r\n\
                 $24\r\nlazyfree-lazy-user-flush\r\n$3\r\nyes\r\n",
            )],
        );
        r.set_io_threads(8);
        script(
            &mut r,
            T0,
            &[(
                "CONFIG GET *threads",
                "*2\r\n$10\r\nio-threads\r\n$1\r\n8\r\n",
            )],
        );
    }

    #[test]
    fn debug_reply_copy_avoidance() {
        fresh(&[
            ("DEBUG REPLY-COPY-AVOIDANCE 0", "+OK\r\n"),
            ("debug reply-copy-avoidance 1", "+OK\r\n"),
            (
                "debug REPLY-COPY-AVOIDANCE",
                "-ERR unknown subcommand or wrong number of arguments for \
                 'REPLY-COPY-AVOIDANCE'. Try DEBUG HELP.\r\n",
            ),
            (
                "DEBUG nope 1 2",
                "-ERR unknown subcommand or wrong number of arguments for 'nope'. \
                 Try DEBUG HELP.\r\n",
            ),
        ]);
    }

    #[test]
    fn glob_semantics() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "io-threads", true),
            ("*", "", false),
            ("io-*", "IO-threads", true),
            ("i?-threads", "io-threads", true),
            ("[a-j]o-threads", "io-threads", true),
            ("[^i]o-threads", "io-threads", false),
            ("[z-a]o-threads", "io-threads", true),
            ("\\io-threads", "io-threads", true),
            ("io-threads*", "io-threads", true),
            ("io-thread", "io-threads", false),
            ("*-*-*-del", "lazyfree-lazy-user-del", true),
            ("*x*", "lazyfree-lazy-user-del", false),
            ("[io", "i", true),
        ];
        for &(pattern, s, want) in cases {
            assert_eq!(
                glob_match(pattern.as_bytes(), s.as_bytes(), true),
                want,
                "{pattern} vs {s}"
            );
        }
        assert!(!glob_match(b"IO", b"io", false));
    }
}
