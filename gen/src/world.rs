//! Worlds: a whole concurrent run as data — IO threads, a BIO thread or none, server knobs,
//! the keys set before the threads start, and two to four clients (each on main or on an IO
//! thread, some with a small socket buffer or a peer that hangs up) with scripts of several
//! commands. The swarm phase of `refrace prove` draws them from seeds
//! ([`World::from_seed`]) and the `interleaving` fuzz target decodes them from its input
//! ([`World::arbitrary`]): one generator, so both search the same space.
//!
//! **Swarm testing** (Groce et al., ISSTA 2012): each world first draws a random *subset* of
//! command [`Family`]s and of [`Features`], and its scripts use only those. A world without
//! FLUSH lets GET and SET meet often; one without SET lets expiry and RENAME meet; rare
//! combinations are not drowned out by the common ones, as they are when every command is
//! always possible.
//!
//! Sizes are chosen for the reference paths: a big value ([`crate::Val::Big`]) is rendered as
//! [`HUGE`] bytes (64 KiB, the size from which a reply references a RAW value with 2..6 IO
//! threads), and setup lists are long enough for lazy free to hand them to BIO. The generator
//! knows nothing of the model: it produces argv vectors and flags.

use crate::{
    ClientRef, Cmd, CopyOpt, DbIdx, Field, FlushMode, HVal, Key, KillFilter, Num, SetCond, SetOpt,
    Val,
};
use arbitrary::{Arbitrary, Result, Unstructured};

/// A big value's length in a world: 64 KiB (`COPY_AVOID_MIN_STRING_SIZE_THREADED`).
pub const HUGE: usize = 64 * 1024;

/// Elements of a setup list: more than the lazy-free threshold (64) quicklist nodes, so
/// `freeObjAsync` hands the list to BIO (the free effort of a quicklist is its node count).
pub const LIST_LEN: usize = 66;

/// Bytes per element of a setup list: one more than a listpack node may hold with the default
/// `list-max-listpack-size` (-2: 8 KiB), so each element is a PLAIN quicklist node of its own.
pub const LIST_ELEM: usize = 8 * 1024 + 1;

/// IO threads per world at most (main, these and an optional BIO thread run).
pub const MAX_IO_THREADS: u8 = 4;
/// Clients per world at most.
pub const MAX_CLIENTS: usize = 4;
/// Commands per client script at most, not counting a final HTTP request (family
/// [`Family::Close`]).
pub const MAX_SCRIPT: usize = 5;
/// Keys set before the threads start, at most.
pub const MAX_SETUP: usize = 4;
/// Commands a transaction (family [`Family::Transactions`]) queues between `MULTI` and its
/// `EXEC` or `DISCARD`, at most; a script with one is at most `MAX_TX + 1` commands longer than
/// [`MAX_SCRIPT`].
pub const MAX_TX: usize = 2;

/// Fields of a setup hash: more than the lazy-free threshold (64), so `freeObjAsync` hands the
/// dict to BIO (the free effort of a dict hash is its number of fields).
pub const HASH_FIELDS: usize = 70;

/// A command family: what a world's scripts may draw from.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Family {
    /// GET, MGET (keys repeated), STRLEN, GETEX without options, EXISTS.
    Read,
    /// SET (NX/XX/GET/KEEPTTL), GETSET, MSET, APPEND, SETRANGE, INCR/INCRBY.
    Write,
    /// DEL, UNLINK, GETDEL.
    Delete,
    /// EXPIRE/PEXPIRE (short times: the clock advances 1 ms per command), TTL, PERSIST,
    /// SET PX, GETEX PX/PERSIST.
    Expire,
    /// FLUSHALL / FLUSHDB, SYNC, ASYNC or the default.
    Flush,
    /// RPUSH/LPUSH, LPOP/RPOP, LLEN, LRANGE.
    List,
    /// RENAME.
    Rename,
    /// CONFIG SET of the lazy-free knobs, DEBUG REPLY-COPY-AVOIDANCE.
    Config,
    /// ECHO and PING of big values (argv references), INFO, DBSIZE, MEMORY USAGE.
    Echo,
    /// CLUSTER KEYSLOT, CLUSTER GETKEYSINSLOT of a key's slot.
    Cluster,
    /// A request that looks like HTTP (`POST`): Redis frees the client at once
    /// (`securityWarningCommand`, `freeClientAsync`).
    Close,
    /// Databases: SELECT 0..3, MOVE and COPY (`DB`, `REPLACE`) of keys replies reference,
    /// SWAPDB 0 with 1..3, FLUSHDB (a swapped database flushed).
    Databases,
    /// Transactions: MULTI, one to [`MAX_TX`] commands of the world's other families queued,
    /// then EXEC (mostly), DISCARD, or neither (the client is freed with its queue).
    Transactions,
    /// Hashes: HSET (big values and 65-byte ones convert the listpack to a dict), HGET, HLEN,
    /// HGETALL, HDEL, UNLINK of a setup hash (a dict of [`HASH_FIELDS`] fields: BIO frees it).
    Hashes,
    /// Memory: `CONFIG SET maxmemory` to a tiny limit (or back to none) in a world whose
    /// `maxmemory-policy` evicts any key ([`Features::maxmemory_policy`]): the next command
    /// evicts keys pending replies reference (`performEvictions`).
    Memory,
    /// Kills: `CLIENT KILL ID` of one of the world's clients (its replies, their references,
    /// and a blocking flush's hold on it pending), in worlds that may also free clients for
    /// idleness or the output buffer limit ([`Features::idle_timeout`],
    /// [`Features::obuf_limit`]).
    Kill,
    /// Slot trims: `SFLUSH 0 16383` (SYNC, ASYNC or the default) and `TRIMSLOTS RANGES 1 0
    /// 16383`, in cluster mode. At the pin both end in upstream findings (bg-trim-unprotected,
    /// sflush-sync-never-unblocked), so worlds with this family run with their fixes
    /// (`refrace_sims::swarm::spec_of`).
    Trim,
}

impl Family {
    /// Every family, in declaration order.
    pub const ALL: [Family; 17] = [
        Family::Read,
        Family::Write,
        Family::Delete,
        Family::Expire,
        Family::Flush,
        Family::List,
        Family::Rename,
        Family::Config,
        Family::Echo,
        Family::Cluster,
        Family::Close,
        Family::Databases,
        Family::Transactions,
        Family::Hashes,
        Family::Memory,
        Family::Kill,
        Family::Trim,
    ];

    /// How often a script step draws it among the world's families: reads three times and
    /// writes and expiry twice as often as the rest, so values are referenced before they are
    /// flushed or deleted (a flush early in every script would leave nothing to reference).
    pub fn weight(self) -> usize {
        match self {
            Family::Read => 3,
            Family::Write | Family::Expire => 2,
            Family::Close => 0,
            _ => 1,
        }
    }

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Family::Read => "read",
            Family::Write => "write",
            Family::Delete => "delete",
            Family::Expire => "expire",
            Family::Flush => "flush",
            Family::List => "list",
            Family::Rename => "rename",
            Family::Config => "config",
            Family::Echo => "echo",
            Family::Cluster => "cluster",
            Family::Close => "close",
            Family::Databases => "databases",
            Family::Transactions => "transactions",
            Family::Hashes => "hashes",
            Family::Memory => "memory",
            Family::Kill => "kill",
            Family::Trim => "trim",
        }
    }
}

/// The world's features: server knobs and client behaviours, each drawn on or off.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Features {
    /// `lazyfree-lazy-server-del` (RENAME's and SET's implicit deletes go through
    /// `freeObjAsync`).
    pub lazy_server_del: bool,
    /// `lazyfree-lazy-user-del` (DEL behaves like UNLINK).
    pub lazy_user_del: bool,
    /// `lazyfree-lazy-user-flush` (FLUSHALL without a mode is ASYNC).
    pub lazy_user_flush: bool,
    /// `lazyfree-lazy-expire`.
    pub lazy_expire: bool,
    /// A 3-bit refcount (usable counts up to 5), so the special values are reachable.
    pub small_refcount: bool,
    /// `cluster-enabled` (CLUSTER GETKEYSINSLOT answers).
    pub cluster: bool,
    /// Clients may live on the main thread.
    pub main_clients: bool,
    /// Clients may have a small socket buffer (replies drain over several writes).
    pub small_sndbuf: bool,
    /// Peers may hang up without reading their last replies (the client is freed with
    /// replies, and their references, pending).
    pub hangup: bool,
    /// Peers may send their whole script in one write (a pipeline: parsed ahead, run by main in
    /// one visit).
    pub pipeline: bool,
    /// `maxmemory-policy` (with [`Family::Memory`]): 0 `allkeys-lru`, 1 `allkeys-lfu`, 2
    /// `allkeys-random`, 3 `volatile-random` (only keys with an expire may go; `None`:
    /// `noeviction`, Redis's default).
    pub maxmemory_policy: Option<u8>,
    /// `timeout 1` (with [`Family::Kill`]): main's client cron frees idle clients, replies
    /// pending.
    pub idle_timeout: bool,
    /// `client-output-buffer-limit normal 1000 0 0` (with [`Family::Kill`]): a client whose
    /// copied reply bytes reach 1000 is closed asynchronously.
    pub obuf_limit: bool,
}

/// A value set before the threads start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum SetupVal {
    /// A shared integer (0..9999: one object shared by every holder).
    SharedInt(u16),
    /// A short string (EMBSTR).
    Word,
    /// A 50-byte RAW string (copied into replies).
    Mid,
    /// A [`HUGE`] RAW string of one of two letters (referenced by replies).
    Huge(bool),
    /// A list of [`LIST_LEN`] elements of [`LIST_ELEM`] bytes (lazy free hands it to BIO).
    BigList,
    /// A hash of [`HASH_FIELDS`] fields with 65-byte values: a dict (converted from a listpack
    /// by its first HSET), which lazy free hands to BIO.
    BigHash,
}

/// Where a client lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Home {
    /// The main thread serves it between hand-ins from the IO threads.
    Main,
    /// IO thread `n` (1-based).
    Io(u8),
}

/// One step of a client's script.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Step {
    /// A command of the shared generator.
    Cmd(Cmd),
    /// `CLUSTER GETKEYSINSLOT <slot of key> <count>`.
    KeysInSlotOf(Key, u8),
    /// `POST / HTTP/1.1` (multibulk): Redis closes the connection at once.
    HttpPost,
    /// `CONFIG SET maxmemory <n>` (bytes; the generator's CONFIG values stay realistic for the
    /// differential lane, this one is the swarm's tiny limit).
    Maxmemory(u32),
}

/// One client.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ClientPlan {
    /// Where it lives.
    pub home: Home,
    /// Bytes its socket accepts per write (`None`: all).
    pub sndbuf: Option<usize>,
    /// Its peer closes the connection after its last request without reading the replies.
    pub hangup: bool,
    /// Its peer sends the whole script in one write (`ClientSpec::pipeline`).
    pub pipeline: bool,
    /// Its requests, one command each.
    pub script: Vec<Step>,
}

/// A generated world (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct World {
    /// IO threads (1..=[`MAX_IO_THREADS`]).
    pub io_threads: u8,
    /// Whether a BIO thread frees lazily in parallel (else BIO jobs run at quiescence).
    pub bio_thread: bool,
    /// The families its scripts draw from (never empty).
    pub families: Vec<Family>,
    /// Its features.
    pub features: Features,
    /// Keys set on main before the threads start (distinct keys).
    pub setup: Vec<(Key, SetupVal)>,
    /// The clients (2..=[`MAX_CLIENTS`]).
    pub clients: Vec<ClientPlan>,
}

/// splitmix64: the bytes a seed stands for.
fn splitmix(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed;
    let mut out = Vec::with_capacity(n + 8);
    while out.len() < n {
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(n);
    out
}

/// Bytes a world decodes from at most (more than any world consumes).
const SEED_BYTES: usize = 2048;

fn key(u: &mut Unstructured<'_>) -> Result<Key> {
    // Mostly `a` and `b`: worlds are small, collisions are the point.
    Ok(match u.int_in_range(0..=7u8)? {
        0..=3 => Key::A,
        4..=5 => Key::B,
        6 => Key::C,
        _ => Key::TagA,
    })
}

fn value(u: &mut Unstructured<'_>) -> Result<Val> {
    Ok(match u.int_in_range(0..=7u8)? {
        0 => Val::Int(u.int_in_range(0..=3)?),
        1 => Val::Word(0),
        2 => Val::Mid(u.arbitrary()?),
        _ => Val::Big(u.int_in_range(0..=1)?),
    })
}

fn num(u: &mut Unstructured<'_>, choices: &[u8]) -> Result<Num> {
    Ok(Num(*u.choose(choices)?))
}

// Indexes into the generator's number table (`Num`): 0 "0", 1 "1", 2 "2", 3 "5", 4 "100",
// 5 "-1", 13 "16383".
const N_ONE: u8 = 1;
const N_TWO: u8 = 2;
const N_FIVE: u8 = 3;
const N_HUNDRED: u8 = 4;
const N_MINUS_ONE: u8 = 5;

/// What a script step may know about its world: the keys set before the threads start (a
/// RENAME moves one of them, often a list) and whether counts are small (MGET then repeats a
/// key enough to reach the special values).
struct Ctx<'w> {
    setup: &'w [(Key, SetupVal)],
    small_refcount: bool,
    /// Clients in the world (ids 2..=clients+1).
    clients: usize,
}

impl Ctx<'_> {
    /// A key set up before the threads start two times in three, one holding a big value
    /// (which replies reference) when there is one; else any key.
    fn any_key(&self, u: &mut Unstructured<'_>) -> Result<Key> {
        let huge: Vec<Key> = self
            .setup
            .iter()
            .filter(|(_, v)| matches!(v, SetupVal::Huge(_)))
            .map(|(k, _)| *k)
            .collect();
        if self.setup.is_empty() || u.ratio(1, 3)? {
            key(u)
        } else if !huge.is_empty() && u.ratio(3, 4)? {
            Ok(*u.choose(&huge)?)
        } else {
            Ok(u.choose(self.setup)?.0)
        }
    }

    /// A setup hash (a dict of [`HASH_FIELDS`] fields) half of the time when there is one, else
    /// any key.
    fn hash_key(&self, u: &mut Unstructured<'_>) -> Result<Key> {
        let hashes: Vec<Key> = self
            .setup
            .iter()
            .filter(|(_, v)| *v == SetupVal::BigHash)
            .map(|(k, _)| *k)
            .collect();
        if !hashes.is_empty() && u.arbitrary()? {
            return Ok(*u.choose(&hashes)?);
        }
        key(u)
    }

    /// A key set up before the threads start (a list when there is one, mostly), else any.
    fn setup_key(&self, u: &mut Unstructured<'_>) -> Result<Key> {
        let lists: Vec<Key> = self
            .setup
            .iter()
            .filter(|(_, v)| *v == SetupVal::BigList)
            .map(|(k, _)| *k)
            .collect();
        if !lists.is_empty() && u.ratio(3, 4)? {
            return Ok(*u.choose(&lists)?);
        }
        match self.setup.len() {
            0 => key(u),
            _ => Ok(u.choose(self.setup)?.0),
        }
    }
}

fn step(u: &mut Unstructured<'_>, f: Family, ctx: &Ctx<'_>) -> Result<Step> {
    let cmd = match f {
        Family::Read => match u.int_in_range(0..=5u8)? {
            // With a 3-bit refcount, MGET (several references at once) half of the time.
            0..=1 if ctx.small_refcount && u.arbitrary()? => {
                let k = ctx.any_key(u)?;
                Cmd::MGet(vec![k; u.int_in_range(4..=6)?])
            }
            0..=1 => Cmd::Get(ctx.any_key(u)?),
            2 => {
                let k = ctx.any_key(u)?;
                // With a 3-bit refcount (usable counts up to 5), five references on top of
                // the keyspace's reach Redis's guard.
                let n = if ctx.small_refcount {
                    u.int_in_range(4..=6)?
                } else {
                    u.int_in_range(2..=6)?
                };
                Cmd::MGet(vec![k; n])
            }
            3 => Cmd::StrLen(key(u)?),
            4 => Cmd::GetEx(key(u)?, vec![]),
            _ => Cmd::Exists(vec![key(u)?]),
        },
        Family::Write => match u.int_in_range(0..=7u8)? {
            0..=2 => {
                let opts = match u.int_in_range(0..=5u8)? {
                    0 => vec![SetOpt::Cond(SetCond::Nx)],
                    1 => vec![SetOpt::Cond(SetCond::Xx)],
                    2 => vec![SetOpt::Cond(SetCond::Get)],
                    3 => vec![SetOpt::Cond(SetCond::KeepTtl)],
                    _ => vec![],
                };
                Cmd::Set(key(u)?, value(u)?, opts)
            }
            3 => Cmd::GetSet(key(u)?, value(u)?),
            4 => Cmd::MSet(vec![(key(u)?, value(u)?), (key(u)?, value(u)?)]),
            5 => Cmd::Append(key(u)?, value(u)?),
            6 => Cmd::SetRange(key(u)?, num(u, &[0, N_FIVE])?, Val::Word(2)),
            _ => {
                if u.arbitrary()? {
                    Cmd::Incr(key(u)?)
                } else {
                    Cmd::IncrBy(key(u)?, num(u, &[N_FIVE, N_HUNDRED])?)
                }
            }
        },
        Family::Delete => match u.int_in_range(0..=2u8)? {
            0 => Cmd::Del(vec![key(u)?]),
            1 => Cmd::Unlink(vec![key(u)?]),
            _ => Cmd::GetDel(key(u)?),
        },
        Family::Expire => match u.int_in_range(0..=6u8)? {
            0 => Cmd::PExpire(ctx.any_key(u)?, num(u, &[N_ONE, N_TWO, N_FIVE])?, None),
            1 => Cmd::Expire(key(u)?, num(u, &[N_HUNDRED, N_MINUS_ONE])?, None),
            2 => Cmd::Ttl(key(u)?),
            3 => Cmd::Persist(key(u)?),
            4 => Cmd::Set(
                key(u)?,
                value(u)?,
                vec![SetOpt::Expire(crate::Expiry::Px(num(u, &[N_ONE, N_TWO])?))],
            ),
            5 => Cmd::GetEx(
                ctx.any_key(u)?,
                vec![SetOpt::Expire(crate::Expiry::Px(num(
                    u,
                    &[N_ONE, N_HUNDRED],
                )?))],
            ),
            _ => Cmd::GetEx(key(u)?, vec![SetOpt::Expire(crate::Expiry::Persist)]),
        },
        Family::Flush => {
            let mode = match u.int_in_range(0..=4u8)? {
                0 => None,
                1 => Some(FlushMode::Sync),
                _ => Some(FlushMode::Async),
            };
            if u.arbitrary()? {
                Cmd::FlushAll(mode)
            } else {
                Cmd::FlushDb(mode)
            }
        }
        Family::List => match u.int_in_range(0..=5u8)? {
            0..=1 => {
                let vs = vec![value(u)?; u.int_in_range(1..=3)?];
                if u.arbitrary()? {
                    Cmd::RPush(key(u)?, vs)
                } else {
                    Cmd::LPush(key(u)?, vs)
                }
            }
            2 => Cmd::LPop(key(u)?, None),
            3 => Cmd::RPop(key(u)?, Some(num(u, &[N_TWO])?)),
            4 => Cmd::LLen(key(u)?),
            _ => Cmd::LRange(key(u)?, Num(0), Num(N_MINUS_ONE)),
        },
        Family::Rename => Cmd::Rename(ctx.setup_key(u)?, key(u)?),
        Family::Config => match u.int_in_range(0..=2u8)? {
            0 => Cmd::DebugReplyCopyAvoidance(num(u, &[0, N_ONE])?),
            _ => {
                use crate::Knob::*;
                let knob = *u.choose(&[LazyServerDel, LazyUserDel, LazyUserFlush, LazyExpire])?;
                // KNOB_VALUES: 0 "yes", 1 "no".
                Cmd::ConfigSet(vec![(knob, u.int_in_range(0..=1)?)])
            }
        },
        Family::Echo => match u.int_in_range(0..=5u8)? {
            0..=1 => Cmd::Echo(Val::Big(u.int_in_range(0..=1)?)),
            2 => Cmd::Ping(Some(Val::Big(0))),
            3 => Cmd::Info,
            4 => Cmd::DbSize,
            _ => Cmd::MemoryUsage(key(u)?, None),
        },
        Family::Cluster => {
            if u.ratio(1, 4)? {
                Cmd::ClusterKeySlot(key(u)?)
            } else {
                return Ok(Step::KeysInSlotOf(key(u)?, u.int_in_range(1..=10)?));
            }
        }
        Family::Close => return Ok(Step::HttpPost),
        Family::Databases => database_step(u, ctx)?,
        // Scripts expand this family into a whole transaction ([`transaction`]).
        Family::Transactions => Cmd::Multi,
        Family::Hashes => hash_step(u, ctx)?,
        Family::Memory => match u.int_in_range(0..=4u8)? {
            0..=2 => return Ok(Step::Maxmemory(1)),
            3 => return Ok(Step::Maxmemory(0)),
            _ => Cmd::MemoryUsage(ctx.any_key(u)?, None),
        },
        // A world's clients are ids 2.. (`ClientRef::Own(n)` is id 1 + n).
        Family::Kill => Cmd::ClientKill(KillFilter::Id(
            ClientRef::Own(u.int_in_range(1..=ctx.clients.max(1) as u8)?),
            false,
        )),
        Family::Trim => {
            // Slots 0..16383 (Num table: 0 "0", 13 "16383"): every key.
            let all = vec![(Num(0), Num(13))];
            match u.int_in_range(0..=5u8)? {
                0..=1 => Cmd::Sflush(all, Some(FlushMode::Async)),
                2 => Cmd::Sflush(all, Some(FlushMode::Sync)),
                3..=4 => Cmd::Sflush(all, None),
                _ => Cmd::TrimSlots(Num(N_ONE), all),
            }
        }
    };
    Ok(Step::Cmd(cmd))
}

/// A database index in range (0..=3: `DbIdx`'s first entries).
fn db(u: &mut Unstructured<'_>, from: u8) -> Result<DbIdx> {
    Ok(DbIdx(u.int_in_range(from..=3)?))
}

/// A step of [`Family::Databases`]: values replies reference moved, copied and swapped away
/// under them, and the swapped databases flushed.
fn database_step(u: &mut Unstructured<'_>, ctx: &Ctx<'_>) -> Result<Cmd> {
    Ok(match u.int_in_range(0..=7u8)? {
        0 => Cmd::Select(db(u, 0)?),
        1..=2 => Cmd::Move(ctx.any_key(u)?, db(u, 1)?),
        3..=4 => {
            let opts = match u.int_in_range(0..=3u8)? {
                0 => vec![],
                1 => vec![CopyOpt::Replace],
                2 => vec![CopyOpt::Db(db(u, 1)?)],
                _ => vec![CopyOpt::Db(db(u, 0)?), CopyOpt::Replace],
            };
            Cmd::Copy(ctx.any_key(u)?, key(u)?, opts)
        }
        5..=6 => Cmd::SwapDb(DbIdx(0), db(u, 1)?),
        _ => Cmd::FlushDb(Some(if u.arbitrary()? {
            FlushMode::Async
        } else {
            FlushMode::Sync
        })),
    })
}

/// A value the client's own reply references while a database command works on it: `MULTI`,
/// `GET k` (a big value: the reply references it until EXEC's replies are written), then
/// `MOVE k n`, `COPY k …` to another database, or `SWAPDB 0 n` and `FLUSHALL SYNC` (a swapped
/// database flushed), then `EXEC`. Scattered over scripts these meet too rarely for the swarm's
/// budget (`copied-while-referenced`, `swapped-db-flushed-while-referenced` stayed at 0 in 300
/// worlds).
fn database_combo(u: &mut Unstructured<'_>, ctx: &Ctx<'_>) -> Result<Vec<Step>> {
    let k = ctx.any_key(u)?;
    let mut out = vec![Step::Cmd(Cmd::Multi), Step::Cmd(Cmd::Get(k))];
    let pick = u.int_in_range(0..=2u8)?;
    if pick == 2 {
        out.push(Step::Cmd(Cmd::Move(k, db(u, 1)?)));
    } else if pick == 1 {
        let dst = key(u)?;
        let opts = if u.arbitrary()? {
            vec![CopyOpt::Db(db(u, 1)?)]
        } else {
            vec![CopyOpt::Db(db(u, 1)?), CopyOpt::Replace]
        };
        out.push(Step::Cmd(Cmd::Copy(k, dst, opts)));
    } else {
        out.push(Step::Cmd(Cmd::SwapDb(DbIdx(0), db(u, 1)?)));
        out.push(Step::Cmd(Cmd::FlushAll(Some(FlushMode::Sync))));
    }
    out.push(Step::Cmd(Cmd::Exec));
    Ok(out)
}

/// A hash value: mostly big (a 64 KiB value converts the hash) or 65 bytes (converts), else
/// short (stays a listpack).
fn hash_value(u: &mut Unstructured<'_>) -> Result<HVal> {
    Ok(match u.int_in_range(0..=5u8)? {
        0..=1 => HVal::Val(Val::Big(u.int_in_range(0..=1)?)),
        2 => HVal::Long,
        3 => HVal::Edge,
        4 => HVal::Val(Val::Mid(0)),
        _ => HVal::Val(Val::Word(0)),
    })
}

fn field(u: &mut Unstructured<'_>) -> Result<Field> {
    Ok(Field(u.int_in_range(0..=3)?))
}

/// A step of [`Family::Hashes`].
fn hash_step(u: &mut Unstructured<'_>, ctx: &Ctx<'_>) -> Result<Cmd> {
    Ok(match u.int_in_range(0..=8u8)? {
        0..=1 => Cmd::HSet(ctx.hash_key(u)?, vec![(field(u)?, hash_value(u)?)]),
        2 => {
            let n = u.int_in_range(2..=3)?;
            let mut fvs = Vec::with_capacity(n);
            for _ in 0..n {
                fvs.push((field(u)?, hash_value(u)?));
            }
            Cmd::HSet(ctx.hash_key(u)?, fvs)
        }
        3 => Cmd::HGet(ctx.hash_key(u)?, field(u)?),
        4 => Cmd::HLen(ctx.hash_key(u)?),
        5 => Cmd::HGetAll(ctx.hash_key(u)?),
        6 => Cmd::HDel(ctx.hash_key(u)?, vec![field(u)?]),
        _ => Cmd::Unlink(vec![ctx.hash_key(u)?]),
    })
}

/// A whole transaction: `MULTI`, one to [`MAX_TX`] steps of the world's other families
/// (reads, writes, flushes, …, those the sequential reference answers: their argv stay queued
/// in `mstate`), then `EXEC` seven times in
/// ten, `DISCARD` twice, or nothing (the client ends with the transaction open).
fn transaction(u: &mut Unstructured<'_>, families: &[Family], ctx: &Ctx<'_>) -> Result<Vec<Step>> {
    let inner: Vec<Family> = families
        .iter()
        .copied()
        // Only families whose commands the sequential reference answers (no RENAME, INFO,
        // DBSIZE, MEMORY, CLUSTER: outside EXEC the runs' reply check skips them, inside it
        // cannot), and no HTTP request.
        .filter(|f| {
            !matches!(
                f,
                Family::Close
                    | Family::Transactions
                    | Family::Rename
                    | Family::Echo
                    | Family::Cluster
                    | Family::Memory
                    | Family::Kill
                    | Family::Trim
            )
        })
        .flat_map(|f| std::iter::repeat_n(f, f.weight()))
        .collect();
    let mut out = vec![Step::Cmd(Cmd::Multi)];
    for _ in 0..u.int_in_range(1..=MAX_TX)? {
        let f = if inner.is_empty() {
            *u.choose(&[Family::Read, Family::Write])?
        } else {
            *u.choose(&inner)?
        };
        out.push(step(u, f, ctx)?);
    }
    match u.int_in_range(0..=9u8)? {
        0..=6 => out.push(Step::Cmd(Cmd::Exec)),
        7..=8 => out.push(Step::Cmd(Cmd::Discard)),
        _ => {}
    }
    Ok(out)
}

fn setup_val(u: &mut Unstructured<'_>) -> Result<SetupVal> {
    Ok(match u.int_in_range(0..=10u8)? {
        0 => SetupVal::SharedInt(u.int_in_range(0..=9999)?),
        1 => SetupVal::Word,
        2 => SetupVal::Mid,
        3..=7 => SetupVal::Huge(u.arbitrary()?),
        8..=9 => SetupVal::BigList,
        _ => SetupVal::BigHash,
    })
}

impl<'a> Arbitrary<'a> for World {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let io_threads = u.int_in_range(1..=MAX_IO_THREADS)?;
        let bio_thread = u.arbitrary()?;
        // The swarm subset: each family on with probability 1/2, at least one.
        let mut families: Vec<Family> = Vec::new();
        for f in Family::ALL {
            if u.arbitrary()? {
                families.push(f);
            }
        }
        if families.is_empty() {
            families.push(*u.choose(&Family::ALL)?);
        }
        let features = Features {
            lazy_server_del: u.arbitrary()?,
            lazy_user_del: u.arbitrary()?,
            lazy_user_flush: u.arbitrary()?,
            lazy_expire: u.arbitrary()?,
            small_refcount: u.ratio(1, 5)?,
            // Not with the databases family: cluster mode refuses SELECT, SWAPDB, MOVE and COPY
            // to another database, which the runs' sequential reference does not model.
            cluster: (families.contains(&Family::Cluster) || families.contains(&Family::Trim))
                && !families.contains(&Family::Databases)
                && u.ratio(3, 4)?,
            main_clients: u.ratio(1, 2)?,
            small_sndbuf: u.arbitrary()?,
            hangup: u.ratio(1, 3)?,
            pipeline: u.ratio(1, 2)?,
            maxmemory_policy: if families.contains(&Family::Memory) {
                Some(u.int_in_range(0..=3)?)
            } else {
                None
            },
            idle_timeout: families.contains(&Family::Kill) && u.ratio(1, 3)?,
            obuf_limit: families.contains(&Family::Kill) && u.ratio(1, 3)?,
        };
        let mut setup: Vec<(Key, SetupVal)> = Vec::new();
        for _ in 0..u.int_in_range(1..=MAX_SETUP)? {
            let k = key(u)?;
            let v = setup_val(u)?;
            if !setup.iter().any(|(s, _)| *s == k) {
                setup.push((k, v));
            }
        }
        let n_clients = u.int_in_range(2..=MAX_CLIENTS)?;
        let ctx = Ctx {
            setup: &setup,
            small_refcount: features.small_refcount,
            clients: n_clients,
        };
        let mut clients = Vec::new();
        for _ in 0..n_clients {
            let home = if features.main_clients && u.ratio(1, 2)? {
                Home::Main
            } else {
                Home::Io(u.int_in_range(1..=io_threads)?)
            };
            // Clients on main write right after each command: only a small socket buffer
            // keeps their references pending while main serves others.
            let small = if home == Home::Main {
                u.ratio(2, 3)?
            } else {
                u.arbitrary()?
            };
            let sndbuf = if features.small_sndbuf && small {
                Some(*u.choose(&[16 * 1024, 48 * 1024])?)
            } else {
                None
            };
            // A hang-up matters when replies are pending: mostly on slow sockets.
            let hangup = features.hangup && u.ratio(if sndbuf.is_some() { 3 } else { 1 }, 4)?;
            let pipeline = features.pipeline && u.ratio(1, 2)?;
            // Weighted; a client that sends HTTP is closed at once: it can only be the last
            // request (weight 0 here, appended below).
            let steps: Vec<Family> = families
                .iter()
                .flat_map(|f| std::iter::repeat_n(*f, f.weight()))
                .collect();
            let mut script = Vec::new();
            if !steps.is_empty() {
                let n = u.int_in_range(2..=MAX_SCRIPT)?;
                while script.len() < n {
                    let f = *u.choose(&steps)?;
                    if f == Family::Transactions {
                        script.extend(transaction(u, &families, &ctx)?);
                    } else if f == Family::Databases && u.ratio(1, 4)? {
                        script.extend(database_combo(u, &ctx)?);
                    } else {
                        script.push(step(u, f, &ctx)?);
                    }
                }
            }
            if script.is_empty() || (families.contains(&Family::Close) && u.ratio(1, 2)?) {
                script.push(Step::HttpPost);
            }
            // A pipeline that ends in HTTP: Redis frees the client before writing the replies
            // of the commands sharing that read, which the run's per-command reply check
            // (REPLY_BYTES) does not model; such a client sends one request per read.
            let pipeline = pipeline && !script.contains(&Step::HttpPost);
            clients.push(ClientPlan {
                home,
                sndbuf,
                hangup,
                pipeline,
                script,
            });
        }
        Ok(World {
            io_threads,
            bio_thread,
            families,
            features,
            setup,
            clients,
        })
    }
}

impl World {
    /// The world seed `seed` stands for (deterministic: the same seed, the same world).
    pub fn from_seed(seed: u64) -> World {
        World::seed_bytes(seed).0
    }

    /// The world seed `seed` stands for, and the bytes it decodes from: exactly the ones
    /// [`World::arbitrary`] consumes, so the bytes alone (a fuzz input) decode to it too.
    pub fn seed_bytes(seed: u64) -> (World, Vec<u8>) {
        let bytes = splitmix(seed, SEED_BYTES);
        let mut u = Unstructured::new(&bytes);
        // Decoding never fails: exhausted bytes read as zeros, which still make a world.
        let w = World::arbitrary(&mut u).expect("a world decodes from any bytes");
        let used = SEED_BYTES - u.len();
        (w, bytes[..used].to_vec())
    }

    /// The setup commands (SET or RPUSH per key).
    pub fn setup_argv(&self) -> Vec<Vec<Vec<u8>>> {
        self.setup
            .iter()
            .map(|(k, v)| {
                let key = k.bytes().to_vec();
                match v {
                    SetupVal::SharedInt(n) => {
                        vec![b"SET".to_vec(), key, n.to_string().into_bytes()]
                    }
                    SetupVal::Word => vec![b"SET".to_vec(), key, b"hello".to_vec()],
                    SetupVal::Mid => vec![b"SET".to_vec(), key, vec![b'm'; 50]],
                    SetupVal::Huge(t) => {
                        vec![b"SET".to_vec(), key, vec![b'H' + u8::from(*t); HUGE]]
                    }
                    SetupVal::BigList => {
                        let mut a = vec![b"RPUSH".to_vec(), key];
                        a.extend((0..LIST_LEN).map(|i| vec![b'0' + (i % 10) as u8; LIST_ELEM]));
                        a
                    }
                    SetupVal::BigHash => {
                        let mut a = vec![b"HSET".to_vec(), key];
                        for i in 0..HASH_FIELDS {
                            a.push(format!("field{i}").into_bytes());
                            a.push(vec![
                                b'a' + (i % 26) as u8;
                                crate::HASH_MAX_LISTPACK_VALUE + 1
                            ]);
                        }
                        a
                    }
                }
            })
            .collect()
    }

    /// Whether any client uses a family.
    pub fn uses(&self, f: Family) -> bool {
        self.families.contains(&f)
    }
}

impl Step {
    /// The step's argument vector, with big values rendered as [`HUGE`] bytes.
    pub fn argv(&self) -> Vec<Vec<u8>> {
        match self {
            Step::Cmd(c) => c.argv().into_iter().map(hugify).collect(),
            Step::KeysInSlotOf(k, n) => vec![
                b"CLUSTER".to_vec(),
                b"GETKEYSINSLOT".to_vec(),
                key_hash_slot(k.bytes()).to_string().into_bytes(),
                n.to_string().into_bytes(),
            ],
            Step::HttpPost => vec![b"POST".to_vec(), b"/".to_vec(), b"HTTP/1.1".to_vec()],
            Step::Maxmemory(n) => vec![
                b"CONFIG".to_vec(),
                b"SET".to_vec(),
                b"maxmemory".to_vec(),
                n.to_string().into_bytes(),
            ],
        }
    }
}

/// A generator big value ([`crate::BIG`] copies of one byte) becomes [`HUGE`] copies.
fn hugify(a: Vec<u8>) -> Vec<u8> {
    if a.len() == crate::BIG && a.iter().all(|b| *b == a[0]) {
        vec![a[0]; HUGE]
    } else {
        a
    }
}

/// CRC16 (XMODEM), Redis's `crc16` for cluster slots.
fn crc16(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in bytes {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// `keyHashSlot`: the slot of a key, honouring a non-empty `{hash tag}`.
pub fn key_hash_slot(key: &[u8]) -> u16 {
    let tagged = key.iter().position(|&b| b == b'{').and_then(|s| {
        key[s + 1..]
            .iter()
            .position(|&b| b == b'}')
            .filter(|&len| len > 0)
            .map(|len| &key[s + 1..s + 1 + len])
    });
    crc16(tagged.unwrap_or(key)) & 0x3fff
}

#[cfg(test)]
mod tests;
