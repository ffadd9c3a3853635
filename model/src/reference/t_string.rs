//! Strings (src/t_string.c): GET, SET, GETEX, GETDEL, GETSET, MGET, MSET, APPEND, SETRANGE,
//! STRLEN, INCR/DECR/INCRBY/DECRBY, with `parseExtendedStringArgumentsOrReply` and
//! `getExpireMillisecondsOrReply`'s check order.

use super::reply::{add_error, wrong_arity};
use super::util::{arg, cstr, eq_ci, len_i64, parse_ll};
use super::{
    Reference, Value, WrongType, ERR_DECR_OVERFLOW, ERR_INCR_OVERFLOW, ERR_NOT_INTEGER, ERR_OFFSET,
    ERR_SYNTAX, ERR_TOO_LONG, ERR_WRONGTYPE, PROTO_MAX_BULK_LEN,
};
use crate::resp::{
    add_reply_array_len, add_reply_bulk, add_reply_integer, add_reply_null, add_reply_status,
};

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

impl Reference {
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

    pub(super) fn get(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        self.reply_get(arg(argv, 1), out);
    }

    pub(super) fn set(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
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

    pub(super) fn getex(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
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

    pub(super) fn getdel(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        let key = arg(argv, 1);
        if self.reply_get(key, out) {
            self.remove_key(key);
        }
    }

    pub(super) fn getset(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        let key = arg(argv, 1);
        if self.reply_get(key, out) {
            self.store(key, Value::Str(arg(argv, 2).to_vec()), false);
        }
    }

    pub(super) fn mget(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        add_reply_array_len(out, argv.len().saturating_sub(1));
        for key in argv.iter().skip(1) {
            match self.string_at(key) {
                Ok(Some(v)) => add_reply_bulk(out, v),
                _ => add_reply_null(out),
            }
        }
    }

    pub(super) fn mset(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
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

    pub(super) fn append(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
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

    pub(super) fn setrange(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
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

    pub(super) fn strlen(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        match self.string_at(arg(argv, 1)) {
            Ok(v) => add_reply_integer(out, len_i64(v.map_or(0, Vec::len))),
            Err(WrongType) => add_error(out, ERR_WRONGTYPE),
        }
    }

    pub(super) fn incr(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        self.incr_decr(arg(argv, 1), 1, out);
    }

    pub(super) fn decr(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        self.incr_decr(arg(argv, 1), -1, out);
    }

    pub(super) fn incrby(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        match parse_ll(arg(argv, 2)) {
            Some(by) => self.incr_decr(arg(argv, 1), by, out),
            None => add_error(out, ERR_NOT_INTEGER),
        }
    }

    pub(super) fn decrby(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
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
}
