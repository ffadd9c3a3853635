//! CONFIG GET and CONFIG SET. Mirrors `configGetCommand` and `configSetCommand` (src/config.c,
//! reply paths read in 7.2/7.4 trees) over the configs the model has: the five
//! `lazyfree-lazy-*` knobs (runtime state in [`Server::cfg`], read by the commands that delete),
//! the immutable `io-threads`, and the memory knobs `maxmemory`, `maxmemory-policy`,
//! `maxmemory-samples`, `lfu-log-factor`, `lfu-decay-time` (read by [`crate::evict`]).
//!
//! Who may touch what: only main changes the runtime knobs, and only here (and DEBUG
//! REPLY-COPY-AVOIDANCE); the run's fixed configuration ([`crate::env::Env::cfg`]) never changes.

use super::{arg, Client, Server, SYNTAX_ERR};
use crate::config::MaxmemoryPolicy;
use crate::networking::{
    add_reply_array_len, add_reply_bulk_cbuffer, add_reply_error, add_reply_error_format,
    add_reply_status,
};
use crate::util::{cstr, string_match};

/// The configs the model has (`standardConfig` entries of config.c), in table order.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Knob {
    LazyServerDel,
    LazyUserDel,
    LazyUserFlush,
    LazyExpire,
    LazyEviction,
    IoThreads,
    Maxmemory,
    MaxmemoryPolicy,
    MaxmemorySamples,
    LfuLogFactor,
    LfuDecayTime,
}

const KNOBS: [Knob; 11] = [
    Knob::LazyServerDel,
    Knob::LazyUserDel,
    Knob::LazyUserFlush,
    Knob::LazyExpire,
    Knob::LazyEviction,
    Knob::IoThreads,
    Knob::Maxmemory,
    Knob::MaxmemoryPolicy,
    Knob::MaxmemorySamples,
    Knob::LfuLogFactor,
    Knob::LfuDecayTime,
];

/// A parsed `CONFIG SET` value.
#[derive(Copy, Clone, Debug)]
enum Value {
    Bool(bool),
    Num(u64),
    Policy(MaxmemoryPolicy),
}

/// `memtoull` (util.c): digits with an optional unit `b`, `k` (1000), `kb` (1024), `m`, `mb`,
/// `g`, `gb`, case-insensitive.
fn memtoull(v: &[u8]) -> Option<u64> {
    let digits = v.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let (num, unit) = v.split_at(digits);
    let mul: u64 = match unit.to_ascii_lowercase().as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    std::str::from_utf8(num)
        .ok()?
        .parse::<u64>()
        .ok()?
        .checked_mul(mul)
}

impl Knob {
    fn name(self) -> &'static str {
        match self {
            Knob::LazyServerDel => "lazyfree-lazy-server-del",
            Knob::LazyUserDel => "lazyfree-lazy-user-del",
            Knob::LazyUserFlush => "lazyfree-lazy-user-flush",
            Knob::LazyExpire => "lazyfree-lazy-expire",
            Knob::LazyEviction => "lazyfree-lazy-eviction",
            Knob::IoThreads => "io-threads",
            Knob::Maxmemory => "maxmemory",
            Knob::MaxmemoryPolicy => "maxmemory-policy",
            Knob::MaxmemorySamples => "maxmemory-samples",
            Knob::LfuLogFactor => "lfu-log-factor",
            Knob::LfuDecayTime => "lfu-decay-time",
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
            Knob::Maxmemory => s.cfg.maxmemory.to_string(),
            Knob::MaxmemoryPolicy => s.cfg.maxmemory_policy.name().to_string(),
            Knob::MaxmemorySamples => s.cfg.maxmemory_samples.to_string(),
            Knob::LfuLogFactor => s.cfg.lfu_log_factor.to_string(),
            Knob::LfuDecayTime => s.cfg.lfu_decay_time.to_string(),
        }
    }

    /// Parse a value (`yesnotoi`, `memtoull`, the enum's names, `string2ll` with bounds), or
    /// config.c's error text.
    fn parse(self, v: &[u8]) -> Result<Value, String> {
        let int = |lo: u64, hi: u64| -> Result<Value, String> {
            let n = crate::util::string2ll(v)
                .ok_or_else(|| "argument couldn't be parsed into an integer".to_string())?;
            if n < lo as i64 || n > hi as i64 {
                return Err(format!("argument must be between {lo} and {hi} inclusive"));
            }
            Ok(Value::Num(n as u64))
        };
        match self {
            Knob::Maxmemory => memtoull(v)
                .map(Value::Num)
                .ok_or_else(|| "argument must be a memory value".to_string()),
            Knob::MaxmemoryPolicy => {
                MaxmemoryPolicy::parse(v).map(Value::Policy).ok_or_else(|| {
                    let names: Vec<&str> = MaxmemoryPolicy::ALL.iter().map(|p| p.name()).collect();
                    format!(
                        "argument(s) must be one of the following: {}",
                        names.join(", ")
                    )
                })
            }
            Knob::MaxmemorySamples => int(1, 64),
            Knob::LfuLogFactor | Knob::LfuDecayTime => int(0, i32::MAX as u64),
            _ if v.eq_ignore_ascii_case(b"yes") => Ok(Value::Bool(true)),
            _ if v.eq_ignore_ascii_case(b"no") => Ok(Value::Bool(false)),
            _ => Err("argument must be 'yes' or 'no'".to_string()),
        }
    }

    fn set(self, s: &mut Server, v: Value) {
        match (self, v) {
            (Knob::LazyServerDel, Value::Bool(v)) => s.cfg.lazyfree_lazy_server_del = v,
            (Knob::LazyUserDel, Value::Bool(v)) => s.cfg.lazyfree_lazy_user_del = v,
            (Knob::LazyUserFlush, Value::Bool(v)) => s.cfg.lazyfree_lazy_user_flush = v,
            (Knob::LazyExpire, Value::Bool(v)) => s.cfg.lazyfree_lazy_expire = v,
            (Knob::LazyEviction, Value::Bool(v)) => s.cfg.lazyfree_lazy_eviction = v,
            (Knob::Maxmemory, Value::Num(n)) => s.cfg.maxmemory = n,
            (Knob::MaxmemoryPolicy, Value::Policy(p)) => s.cfg.maxmemory_policy = p,
            (Knob::MaxmemorySamples, Value::Num(n)) => s.cfg.maxmemory_samples = n as usize,
            (Knob::LfuLogFactor, Value::Num(n)) => s.cfg.lfu_log_factor = n as u32,
            (Knob::LfuDecayTime, Value::Num(n)) => s.cfg.lfu_decay_time = n as u32,
            _ => {}
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
pub(super) fn config_get(s: &mut Server, c: &mut Client) {
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
    add_reply_array_len(s, c, matches.len() * 2);
    for (name, k) in matches {
        add_reply_bulk_cbuffer(s, c, &name);
        let v = k.get(s);
        add_reply_bulk_cbuffer(s, c, v.as_bytes());
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
pub(super) fn config_set(s: &mut Server, c: &mut Client) {
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
        add_reply_error_format(s, c, &m);
        return;
    }
    let mut values = Vec::with_capacity(chosen.len());
    for (knob, vi) in &chosen {
        let raw = arg(s, c, *vi);
        match knob.parse(cstr(&raw)) {
            Ok(v) => values.push((*knob, v)),
            Err(why) => {
                let m = failed(knob.name().as_bytes(), &why);
                add_reply_error_format(s, c, &m);
                return;
            }
        }
    }
    for (knob, v) in values {
        knob.set(s, v);
    }
    add_reply_status(s, c, "OK");
}
