//! The command generator: one variant per command the model implements (DESIGN §7 plus RENAME,
//! CLUSTER GETKEYSINSLOT|KEYSLOT, MEMORY USAGE, CONFIG GET|SET, DEBUG REPLY-COPY-AVOIDANCE, INFO;
//! issue 12: CLIENT KILL|ID, SFLUSH, TRIMSLOTS, DEBUG SLEEP),
//! with options drawn as lists so that both valid combinations and conflicting ones (syntax
//! errors) occur, empty lists for arity errors, and [`Cmd::Raw`] for unknown commands and bad
//! argument counts of any command.

use arbitrary::Arbitrary;

/// A key from a four-key alphabet: collisions (and wrong-type errors) are the common case.
/// `{a}x` shares `a`'s hash slot (CLUSTER GETKEYSINSLOT).
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Key {
    A,
    B,
    C,
    TagA,
}

impl Key {
    /// The key's bytes.
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Key::A => b"a",
            Key::B => b"b",
            Key::C => b"c",
            Key::TagA => b"{a}x",
        }
    }
}

/// Length of the big values: at least `COPY_AVOID_MIN_STRING_SIZE` (16 KiB), so a reply
/// references a RAW value without IO threads; with 7 or more IO threads every RAW value is
/// referenced, with 2 to 6 only from 64 KiB (`COPY_AVOID_MIN_STRING_SIZE_THREADED`), which
/// callers that need it add themselves.
pub const BIG: usize = 20_000;

/// A value: integers (shared and not, overflowing, non-canonical), short words, binary bytes,
/// 50-byte RAW strings and 20 000-byte values for copy avoidance.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Val {
    /// An integer-looking string (index into a fixed list).
    Int(u8),
    /// A short word.
    Word(u8),
    /// Bytes with NUL, CR, LF and a high byte.
    Binary,
    /// 50 copies of one of three letters (RAW, above the EMBSTR limit of 44).
    Mid(u8),
    /// [`BIG`] copies of one of two letters.
    Big(u8),
}

const INTS: &[&[u8]] = &[
    b"1",
    b"-7",
    b"0",
    b"10000",
    b"12345678901",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"9223372036854775808",
    b"01",
    b"+1",
];

const WORDS: &[&[u8]] = &[b"x", b"", b"hello", b"a b", b"nx", b"GET"];

impl Val {
    /// The value's bytes.
    pub fn bytes(self) -> Vec<u8> {
        match self {
            Val::Int(i) => INTS[i as usize % INTS.len()].to_vec(),
            Val::Word(i) => WORDS[i as usize % WORDS.len()].to_vec(),
            Val::Binary => b"a\0b\r\nc\xff".to_vec(),
            Val::Mid(t) => vec![b'v' + t % 3; 50],
            Val::Big(t) => vec![b'B' + t % 2; BIG],
        }
    }
}

/// A numeric argument (counts, offsets, times, slots): valid, negative, out of range, not a
/// number.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Num(pub u8);

const NUMS: &[&[u8]] = &[
    b"0",
    b"1",
    b"2",
    b"5",
    b"100",
    b"-1",
    b"-3",
    b"x",
    b"",
    b"1.5",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"99999999999999999999",
    b"16383",
    b"16384",
    b"1000000000000",
];

impl Num {
    /// The argument's bytes.
    pub fn bytes(self) -> &'static [u8] {
        NUMS[self.0 as usize % NUMS.len()]
    }
}

/// SET's condition options.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum SetCond {
    Nx,
    Xx,
    Get,
    KeepTtl,
}

/// An expiry option (SET, GETEX) or PERSIST (GETEX only; a syntax error on SET).
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Expiry {
    Ex(Num),
    Px(Num),
    ExAt(Num),
    PxAt(Num),
    Persist,
}

/// A SET or GETEX option; `Bogus` is not an option (syntax error).
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum SetOpt {
    Cond(SetCond),
    Expire(Expiry),
    Bogus,
}

/// EXPIRE / PEXPIRE flags; `Bogus` gets `Unsupported option`.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ExpireFlag {
    Nx,
    Xx,
    Gt,
    Lt,
    Bogus,
}

/// FLUSHALL / FLUSHDB mode argument.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum FlushMode {
    Sync,
    Async,
    Bogus,
}

/// A configuration parameter name (or pattern) for CONFIG GET|SET.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Knob {
    LazyServerDel,
    LazyUserDel,
    LazyUserFlush,
    LazyExpire,
    IoThreads,
    Pattern,
    Unknown,
    Maxmemory,
    MaxmemoryPolicy,
    MaxmemorySamples,
}

impl Knob {
    /// The parameter's bytes.
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Knob::LazyServerDel => b"lazyfree-lazy-server-del",
            Knob::LazyUserDel => b"lazyfree-lazy-user-del",
            Knob::LazyUserFlush => b"lazyfree-lazy-user-flush",
            Knob::LazyExpire => b"lazyfree-lazy-expire",
            Knob::IoThreads => b"io-threads",
            Knob::Pattern => b"lazyfree-lazy-*",
            Knob::Unknown => b"no-such-knob",
            Knob::Maxmemory => b"maxmemory",
            Knob::MaxmemoryPolicy => b"maxmemory-policy",
            Knob::MaxmemorySamples => b"maxmemory-samples",
        }
    }

    /// The values CONFIG SET tries for this knob: the lazyfree switches get yes/no and bad
    /// values; the memory knobs only valid values that never make a server evict (`maxmemory`
    /// 0 or above what a case uses, every policy, samples in range), so the stream's other
    /// replies stay comparable with a real server and the reference (eviction itself is tested
    /// by scenarios and deterministic tests, whose byte counts are the model's own).
    pub fn values(self) -> &'static [&'static [u8]] {
        match self {
            Knob::Maxmemory => &[b"0", b"1gb", b"2000mb", b"4294967296"],
            Knob::MaxmemoryPolicy => &[
                b"noeviction",
                b"allkeys-lru",
                b"volatile-lru",
                b"allkeys-lfu",
                b"volatile-lfu",
                b"allkeys-random",
                b"volatile-random",
                b"volatile-ttl",
                b"ALLKEYS-LRU",
            ],
            Knob::MaxmemorySamples => &[b"5", b"1", b"64", b"10"],
            _ => KNOB_VALUES,
        }
    }
}

const KNOB_VALUES: &[&[u8]] = &[b"yes", b"no", b"YES", b"7", b"maybe"];

/// Names for [`Cmd::Raw`]: unknown commands, known ones with whatever argument count, the
/// containers without or with a bad subcommand. No real Redis command the model lacks (that
/// difference would be the model's scope, not a bug).
const RAW_NAMES: &[&[u8]] = &[
    b"nosuch",
    b"GET",
    b"set",
    b"Del",
    b"config",
    b"cluster",
    b"memory",
    b"debug",
    b"flushall",
    b"lrange",
    b"getex",
    b"",
    b"ping",
    b"ECHO",
    b"ttl",
    b"pttl",
    b"persist",
    b"dbsize",
    b"strlen",
    b"llen",
];

/// A database index argument (SELECT, SWAPDB, MOVE, COPY DB): databases 0 to 3 mostly, else
/// out of range (16, -1, above `long`) or not an integer.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DbIdx(pub u8);

const DB_INDEXES: &[&[u8]] = &[
    b"0",
    b"1",
    b"2",
    b"3",
    b"0",
    b"1",
    b"2",
    b"3",
    b"1",
    b"0",
    b"16",
    b"-1",
    b"x",
    b"9223372036854775808",
];

impl DbIdx {
    /// The argument's bytes.
    pub fn bytes(self) -> &'static [u8] {
        DB_INDEXES[self.0 as usize % DB_INDEXES.len()]
    }
}

/// A COPY option; `Db` is `DB <index>`, `DbMissing` a `DB` without its index (a syntax
/// error), `Bogus` not an option.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum CopyOpt {
    Db(DbIdx),
    Replace,
    DbMissing,
    Bogus,
}

/// A hash field from a five-field alphabet (the empty field included).
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Field(pub u8);

const FIELDS: &[&[u8]] = &[b"f1", b"f2", b"f3", b"name", b""];

impl Field {
    /// The field's bytes.
    pub fn bytes(self) -> &'static [u8] {
        FIELDS[self.0 as usize % FIELDS.len()]
    }
}

/// `hash-max-listpack-value` (64): a hash value or field longer than this converts a listpack
/// hash to a dict.
pub const HASH_MAX_LISTPACK_VALUE: usize = 64;

/// A hash value: any [`Val`], or one just past (65 bytes) or at (64 bytes) the listpack value
/// limit, so the listpack→hashtable conversion happens, and does not, on its edge.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum HVal {
    Val(Val),
    /// 65 bytes: converts.
    Long,
    /// 64 bytes: stays a listpack.
    Edge,
}

impl HVal {
    /// The value's bytes.
    pub fn bytes(self) -> Vec<u8> {
        match self {
            HVal::Val(v) => v.bytes(),
            HVal::Long => vec![b'L'; HASH_MAX_LISTPACK_VALUE + 1],
            HVal::Edge => vec![b'E'; HASH_MAX_LISTPACK_VALUE],
        }
    }
}

/// A client id for CLIENT KILL ID: one of a world's own clients (the setup client is 1, then
/// the world's clients in order), one no server has, or not a valid id.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ClientRef {
    /// Client id 1 + (n % 4): a world's clients.
    Own(u8),
    /// An id no connection has (999999999).
    Far,
    /// `0` (refused: ids start at 1).
    Zero,
    /// Not an integer.
    Text,
}

impl ClientRef {
    /// The argument's bytes.
    pub fn bytes(self) -> Vec<u8> {
        match self {
            ClientRef::Own(n) => (1 + u64::from(n % 4)).to_string().into_bytes(),
            ClientRef::Far => b"999999999".to_vec(),
            ClientRef::Zero => b"0".to_vec(),
            ClientRef::Text => b"me".to_vec(),
        }
    }
}

/// What CLIENT KILL selects (networking.c `clientCommand`).
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum KillFilter {
    /// `ID <id> [SKIPME no]`.
    Id(ClientRef, bool),
    /// The old form `CLIENT KILL <addr>` with an address no client has.
    OldAddr,
    /// `TYPE normal SKIPME <yes|no>`: every normal client (but the caller, with `yes`).
    TypeNormal(bool),
    /// `TYPE master|replica|pubsub` (no such client) or an unknown type.
    OtherType(u8),
    /// `MAXAGE <n>` (7.4+).
    MaxAge(Num),
    /// `USER default` (every client) or `USER nosuch`.
    User(bool),
    /// An unknown option, or one without its value.
    Bogus(bool),
}

/// DEBUG SLEEP's argument: none at all, a millisecond, a second (the model's clock is logical:
/// it advances by the time; a real server sleeps it).
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Sleep {
    /// `0`.
    Zero,
    /// `0.001`.
    Milli,
    /// `1`.
    Second,
}

/// One command.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Cmd {
    Ping(Option<Val>),
    Echo(Val),
    Get(Key),
    Set(Key, Val, Vec<SetOpt>),
    GetDel(Key),
    GetEx(Key, Vec<SetOpt>),
    GetSet(Key, Val),
    MGet(Vec<Key>),
    MSet(Vec<(Key, Val)>),
    Append(Key, Val),
    SetRange(Key, Num, Val),
    StrLen(Key),
    Incr(Key),
    Decr(Key),
    IncrBy(Key, Num),
    DecrBy(Key, Num),
    Del(Vec<Key>),
    Unlink(Vec<Key>),
    Exists(Vec<Key>),
    DbSize,
    FlushAll(Option<FlushMode>),
    FlushDb(Option<FlushMode>),
    RPush(Key, Vec<Val>),
    LPush(Key, Vec<Val>),
    LPop(Key, Option<Num>),
    RPop(Key, Option<Num>),
    LLen(Key),
    LRange(Key, Num, Num),
    Rename(Key, Key),
    Expire(Key, Num, Option<ExpireFlag>),
    PExpire(Key, Num, Option<ExpireFlag>),
    Ttl(Key),
    PTtl(Key),
    Persist(Key),
    ConfigGet(Vec<Knob>),
    ConfigSet(Vec<(Knob, u8)>),
    DebugReplyCopyAvoidance(Num),
    MemoryUsage(Key, Option<Num>),
    /// `MEMORY DOCTOR` (below 5 MB both servers give the same "empty" report) or `MEMORY PURGE`.
    MemoryDoctorOrPurge(bool),
    /// `MEMORY STATS` (the numbers are each server's own).
    MemoryStats,
    ClusterKeySlot(Key),
    ClusterGetKeysInSlot(Num, Num),
    /// `CLIENT KILL …`.
    ClientKill(KillFilter),
    /// `CLIENT ID`.
    ClientId,
    /// `SFLUSH <start> <end> [...] [SYNC|ASYNC]` (8.x; slot ranges from numbers).
    Sflush(Vec<(Num, Num)>, Option<FlushMode>),
    /// `TRIMSLOTS RANGES <n> <start> <end> ...` (8.x).
    TrimSlots(Num, Vec<(Num, Num)>),
    /// `DEBUG SLEEP <s>`.
    DebugSleep(Sleep),
    Info,
    /// A command name from a fixed list with arbitrary arguments.
    Raw(u8, Vec<Val>),
    // Issue 12's paths (databases, transactions, hashes): appended after `Raw`, one block, so
    // other branches' additions merge beside them.
    /// `SELECT <db>`.
    Select(DbIdx),
    /// `SWAPDB <db> <db>`.
    SwapDb(DbIdx, DbIdx),
    /// `MOVE <key> <db>`.
    Move(Key, DbIdx),
    /// `COPY <key> <key> [DB <db>] [REPLACE]` (options as a list: repeated, bogus, missing DB
    /// index).
    Copy(Key, Key, Vec<CopyOpt>),
    /// `MULTI`.
    Multi,
    /// `EXEC`.
    Exec,
    /// `DISCARD`.
    Discard,
    /// `HSET <key> [<field> <value>]…` (an empty list is an arity error).
    HSet(Key, Vec<(Field, HVal)>),
    /// `HGET <key> <field>`.
    HGet(Key, Field),
    /// `HDEL <key> [<field>]…`.
    HDel(Key, Vec<Field>),
    /// `HLEN <key>`.
    HLen(Key),
    /// `HGETALL <key>`.
    HGetAll(Key),
}

fn set_opts(out: &mut Vec<Vec<u8>>, opts: &[SetOpt]) {
    for o in opts {
        match *o {
            SetOpt::Cond(c) => out.push(
                match c {
                    SetCond::Nx => &b"NX"[..],
                    SetCond::Xx => b"xx",
                    SetCond::Get => b"GET",
                    SetCond::KeepTtl => b"KEEPTTL",
                }
                .to_vec(),
            ),
            SetOpt::Expire(e) => match e {
                Expiry::Ex(n) => out.extend([b"EX".to_vec(), n.bytes().to_vec()]),
                Expiry::Px(n) => out.extend([b"px".to_vec(), n.bytes().to_vec()]),
                Expiry::ExAt(n) => out.extend([b"EXAT".to_vec(), n.bytes().to_vec()]),
                Expiry::PxAt(n) => out.extend([b"PXAT".to_vec(), n.bytes().to_vec()]),
                Expiry::Persist => out.push(b"PERSIST".to_vec()),
            },
            SetOpt::Bogus => out.push(b"BOGUS".to_vec()),
        }
    }
}

fn flag(f: ExpireFlag) -> Vec<u8> {
    match f {
        ExpireFlag::Nx => b"NX".to_vec(),
        ExpireFlag::Xx => b"xx".to_vec(),
        ExpireFlag::Gt => b"GT".to_vec(),
        ExpireFlag::Lt => b"LT".to_vec(),
        ExpireFlag::Bogus => b"SOON".to_vec(),
    }
}

fn keys(name: &[u8], ks: &[Key]) -> Vec<Vec<u8>> {
    let mut out = vec![name.to_vec()];
    out.extend(ks.iter().map(|k| k.bytes().to_vec()));
    out
}

impl Cmd {
    /// The command's argument vector (name first), as a client would send it.
    pub fn argv(&self) -> Vec<Vec<u8>> {
        let w = |s: &[u8]| s.to_vec();
        let k = |k: &Key| k.bytes().to_vec();
        match self {
            Cmd::Ping(None) => vec![w(b"PING")],
            Cmd::Ping(Some(v)) => vec![w(b"PING"), v.bytes()],
            Cmd::Echo(v) => vec![w(b"ECHO"), v.bytes()],
            Cmd::Get(key) => vec![w(b"GET"), k(key)],
            Cmd::Set(key, v, opts) => {
                let mut out = vec![w(b"SET"), k(key), v.bytes()];
                set_opts(&mut out, opts);
                out
            }
            Cmd::GetDel(key) => vec![w(b"GETDEL"), k(key)],
            Cmd::GetEx(key, opts) => {
                let mut out = vec![w(b"GETEX"), k(key)];
                set_opts(&mut out, opts);
                out
            }
            Cmd::GetSet(key, v) => vec![w(b"GETSET"), k(key), v.bytes()],
            Cmd::MGet(ks) => keys(b"MGET", ks),
            Cmd::MSet(kvs) => {
                let mut out = vec![w(b"MSET")];
                for (key, v) in kvs {
                    out.extend([k(key), v.bytes()]);
                }
                out
            }
            Cmd::Append(key, v) => vec![w(b"APPEND"), k(key), v.bytes()],
            Cmd::SetRange(key, n, v) => vec![w(b"SETRANGE"), k(key), w(n.bytes()), v.bytes()],
            Cmd::StrLen(key) => vec![w(b"STRLEN"), k(key)],
            Cmd::Incr(key) => vec![w(b"INCR"), k(key)],
            Cmd::Decr(key) => vec![w(b"DECR"), k(key)],
            Cmd::IncrBy(key, n) => vec![w(b"INCRBY"), k(key), w(n.bytes())],
            Cmd::DecrBy(key, n) => vec![w(b"DECRBY"), k(key), w(n.bytes())],
            Cmd::Del(ks) => keys(b"DEL", ks),
            Cmd::Unlink(ks) => keys(b"UNLINK", ks),
            Cmd::Exists(ks) => keys(b"EXISTS", ks),
            Cmd::DbSize => vec![w(b"DBSIZE")],
            Cmd::FlushAll(m) | Cmd::FlushDb(m) => {
                let name = if matches!(self, Cmd::FlushAll(_)) {
                    &b"FLUSHALL"[..]
                } else {
                    b"FLUSHDB"
                };
                let mut out = vec![w(name)];
                match m {
                    Some(FlushMode::Sync) => out.push(w(b"SYNC")),
                    Some(FlushMode::Async) => out.push(w(b"async")),
                    Some(FlushMode::Bogus) => out.push(w(b"LATER")),
                    None => {}
                }
                out
            }
            Cmd::RPush(key, vs) | Cmd::LPush(key, vs) => {
                let name = if matches!(self, Cmd::RPush(..)) {
                    &b"RPUSH"[..]
                } else {
                    b"LPUSH"
                };
                let mut out = vec![w(name), k(key)];
                out.extend(vs.iter().map(|v| v.bytes()));
                out
            }
            Cmd::LPop(key, n) | Cmd::RPop(key, n) => {
                let name = if matches!(self, Cmd::LPop(..)) {
                    &b"LPOP"[..]
                } else {
                    b"RPOP"
                };
                let mut out = vec![w(name), k(key)];
                out.extend(n.map(|n| w(n.bytes())));
                out
            }
            Cmd::LLen(key) => vec![w(b"LLEN"), k(key)],
            Cmd::LRange(key, a, b) => vec![w(b"LRANGE"), k(key), w(a.bytes()), w(b.bytes())],
            Cmd::Rename(a, b) => vec![w(b"RENAME"), k(a), k(b)],
            Cmd::Expire(key, n, f) | Cmd::PExpire(key, n, f) => {
                let name = if matches!(self, Cmd::Expire(..)) {
                    &b"EXPIRE"[..]
                } else {
                    b"PEXPIRE"
                };
                let mut out = vec![w(name), k(key), w(n.bytes())];
                out.extend(f.map(flag));
                out
            }
            Cmd::Ttl(key) => vec![w(b"TTL"), k(key)],
            Cmd::PTtl(key) => vec![w(b"PTTL"), k(key)],
            Cmd::Persist(key) => vec![w(b"PERSIST"), k(key)],
            Cmd::ConfigGet(ks) => {
                let mut out = vec![w(b"CONFIG"), w(b"GET")];
                out.extend(ks.iter().map(|k| w(k.bytes())));
                out
            }
            Cmd::ConfigSet(kvs) => {
                let mut out = vec![w(b"CONFIG"), w(b"SET")];
                for (knob, v) in kvs {
                    let vals = knob.values();
                    out.extend([w(knob.bytes()), w(vals[*v as usize % vals.len()])]);
                }
                out
            }
            Cmd::DebugReplyCopyAvoidance(n) => {
                vec![w(b"DEBUG"), w(b"REPLY-COPY-AVOIDANCE"), w(n.bytes())]
            }
            Cmd::MemoryUsage(key, n) => {
                let mut out = vec![w(b"MEMORY"), w(b"USAGE"), k(key)];
                if let Some(n) = n {
                    out.extend([w(b"SAMPLES"), w(n.bytes())]);
                }
                out
            }
            Cmd::MemoryDoctorOrPurge(purge) => {
                vec![w(b"MEMORY"), w(if *purge { b"PURGE" } else { b"doctor" })]
            }
            Cmd::MemoryStats => vec![w(b"MEMORY"), w(b"STATS")],
            Cmd::ClusterKeySlot(key) => vec![w(b"CLUSTER"), w(b"KEYSLOT"), k(key)],
            Cmd::ClusterGetKeysInSlot(a, b) => {
                vec![
                    w(b"CLUSTER"),
                    w(b"GETKEYSINSLOT"),
                    w(a.bytes()),
                    w(b.bytes()),
                ]
            }
            Cmd::Info => vec![w(b"INFO")],
            Cmd::ClientKill(f) => {
                let mut out = vec![w(b"CLIENT"), w(b"KILL")];
                match *f {
                    KillFilter::Id(id, skipme) => {
                        out.extend([w(b"ID"), id.bytes()]);
                        if !skipme {
                            out.extend([w(b"SKIPME"), w(b"no")]);
                        }
                    }
                    KillFilter::OldAddr => out.push(w(b"10.0.0.1:1")),
                    KillFilter::TypeNormal(skipme) => out.extend([
                        w(b"TYPE"),
                        w(b"normal"),
                        w(b"SKIPME"),
                        w(if skipme { b"yes" } else { b"no" }),
                    ]),
                    KillFilter::OtherType(t) => out.extend([
                        w(b"TYPE"),
                        w([&b"master"[..], b"replica", b"pubsub", b"nosuch"][usize::from(t % 4)]),
                    ]),
                    KillFilter::MaxAge(n) => out.extend([w(b"MAXAGE"), w(n.bytes())]),
                    KillFilter::User(default) => {
                        out.extend([w(b"USER"), w(if default { b"default" } else { b"nosuch" })])
                    }
                    KillFilter::Bogus(with_value) => {
                        out.push(w(b"ID"));
                        if with_value {
                            out.extend([w(b"999999999"), w(b"LATER"), w(b"1")]);
                        }
                    }
                }
                out
            }
            Cmd::ClientId => vec![w(b"CLIENT"), w(b"ID")],
            Cmd::Sflush(ranges, mode) => {
                let mut out = vec![w(b"SFLUSH")];
                for (a, b) in ranges {
                    out.extend([w(a.bytes()), w(b.bytes())]);
                }
                match mode {
                    Some(FlushMode::Sync) => out.push(w(b"SYNC")),
                    Some(FlushMode::Async) => out.push(w(b"async")),
                    Some(FlushMode::Bogus) => out.push(w(b"LATER")),
                    None => {}
                }
                out
            }
            Cmd::TrimSlots(n, ranges) => {
                let mut out = vec![w(b"TRIMSLOTS"), w(b"RANGES"), w(n.bytes())];
                for (a, b) in ranges {
                    out.extend([w(a.bytes()), w(b.bytes())]);
                }
                out
            }
            Cmd::DebugSleep(t) => vec![
                w(b"DEBUG"),
                w(b"SLEEP"),
                w(match t {
                    Sleep::Zero => b"0",
                    Sleep::Milli => b"0.001",
                    Sleep::Second => b"1",
                }),
            ],
            Cmd::Raw(name, args) => {
                let mut out = vec![w(RAW_NAMES[*name as usize % RAW_NAMES.len()])];
                out.extend(args.iter().map(|v| v.bytes()));
                out
            }
            cmd => cmd.argv_paths(),
        }
    }

    /// [`Cmd::argv`] of issue 12's commands (databases, transactions, hashes).
    fn argv_paths(&self) -> Vec<Vec<u8>> {
        let w = |s: &[u8]| s.to_vec();
        let k = |k: &Key| k.bytes().to_vec();
        match self {
            Cmd::Select(d) => vec![w(b"SELECT"), w(d.bytes())],
            Cmd::SwapDb(a, b) => vec![w(b"SWAPDB"), w(a.bytes()), w(b.bytes())],
            Cmd::Move(key, d) => vec![w(b"MOVE"), k(key), w(d.bytes())],
            Cmd::Copy(a, b, opts) => {
                let mut out = vec![w(b"COPY"), k(a), k(b)];
                for o in opts {
                    match o {
                        CopyOpt::Db(d) => out.extend([w(b"DB"), w(d.bytes())]),
                        CopyOpt::Replace => out.push(w(b"replace")),
                        CopyOpt::DbMissing => out.push(w(b"db")),
                        CopyOpt::Bogus => out.push(w(b"NOW")),
                    }
                }
                out
            }
            Cmd::Multi => vec![w(b"MULTI")],
            Cmd::Exec => vec![w(b"EXEC")],
            Cmd::Discard => vec![w(b"DISCARD")],
            Cmd::HSet(key, fvs) => {
                let mut out = vec![w(b"HSET"), k(key)];
                for (f, v) in fvs {
                    out.extend([w(f.bytes()), v.bytes()]);
                }
                out
            }
            Cmd::HGet(key, f) => vec![w(b"HGET"), k(key), w(f.bytes())],
            Cmd::HDel(key, fs) => {
                let mut out = vec![w(b"HDEL"), k(key)];
                out.extend(fs.iter().map(|f| w(f.bytes())));
                out
            }
            Cmd::HLen(key) => vec![w(b"HLEN"), k(key)],
            Cmd::HGetAll(key) => vec![w(b"HGETALL"), k(key)],
            other => unreachable!("{other:?} is rendered by Cmd::argv"),
        }
    }

    /// Whether the sequential reference model (`refrace_model::reference`) answers this
    /// command as Redis does: it has no RENAME, INFO, MEMORY, CLUSTER or CLIENT (the middle
    /// three reply with the server's own memory accounting and cluster state, CLIENT with the
    /// connections the server has), counts DBSIZE without expired-unreaped keys, and orders a
    /// multi-match CONFIG GET differently from Redis's hash order; a DEBUG SLEEP that lets time
    /// pass is left out too (see the match arm). Every lane that compares against the reference filters with this one rule.
    pub fn in_reference_scope(&self) -> bool {
        let multi_match = |ks: &[Knob]| ks.len() > 1 || ks.contains(&Knob::Pattern);
        match self {
            Cmd::ConfigGet(ks) => !multi_match(ks),
            // The lanes that filter with this rule give the reference its clock by position
            // (1 ms per command): a sleep that moves the model's clock would put them apart.
            Cmd::DebugSleep(t) => *t == Sleep::Zero,
            _ => !matches!(
                self.name().as_str(),
                "INFO" | "MEMORY" | "CLUSTER" | "DBSIZE" | "RENAME" | "CLIENT"
            ),
        }
    }

    /// Whether a real server's reply to this command, run inside EXEC, compares byte for byte
    /// with the model's. Not: the commands whose standalone replies the differential lane
    /// accepts through the allow-list (PTTL within the clock skew, INFO, MEMORY, DEBUG, CONFIG
    /// GET in hash order, HGETALL of a dict-encoded hash in hash order), nor those it compares
    /// only after waiting for the clock (TTL near a rounding step, EXPIRE/PEXPIRE GT|LT near
    /// the old expiry): EXEC answers with one array of their replies, which neither an entry
    /// nor a wait can reach. CONFIG SET is comparable.
    pub fn comparable_in_exec(&self) -> bool {
        use ExpireFlag::{Gt, Lt};
        match self {
            Cmd::ConfigSet(_) => true,
            Cmd::Expire(_, _, Some(Gt | Lt)) | Cmd::PExpire(_, _, Some(Gt | Lt)) => false,
            _ => !matches!(
                self.name().as_str(),
                "PTTL"
                    | "TTL"
                    | "INFO"
                    | "MEMORY"
                    | "DEBUG"
                    | "CONFIG"
                    | "HGETALL"
                    | "SFLUSH"
                    | "TRIMSLOTS"
            ),
        }
    }

    /// Whether the differential lane may send this command to a real server on a connection
    /// of its own: not one whose reply depends on which connections the server has, or that
    /// could close other connections (CLIENT ID, CLIENT KILL of a small id, of every normal
    /// client or every `default` user's), nor `MAXAGE` (7.4+: Debian's 7.0 calls it a syntax
    /// error), nor a DEBUG SLEEP longer than a millisecond (it would hold the lane up). SFLUSH
    /// and TRIMSLOTS are sent: 7.0 does not know them (an allow-list entry says so).
    pub fn in_differential_scope(&self) -> bool {
        !matches!(
            self,
            Cmd::ClientId
                | Cmd::ClientKill(
                    KillFilter::Id(ClientRef::Own(_), _)
                        | KillFilter::TypeNormal(_)
                        | KillFilter::MaxAge(_)
                        | KillFilter::User(true)
                )
                | Cmd::DebugSleep(Sleep::Second)
        )
    }

    /// The command's name as sent (for reports and allow-lists), upper-cased.
    pub fn name(&self) -> String {
        let argv = self.argv();
        String::from_utf8_lossy(&argv[0]).to_ascii_uppercase()
    }
}
