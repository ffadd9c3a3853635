//! Expire commands (src/expire.c): EXPIRE/PEXPIRE (`parseExtendedExpireArgumentsOrReply`,
//! `expireGenericCommand`), TTL/PTTL (`ttlGenericCommand`), PERSIST.

use super::reply::{add_error, add_error_bytes};
use super::util::{arg, cstr, eq_ci, parse_ll};
use super::{Reference, ERR_NOT_INTEGER};
use crate::resp::add_reply_integer;

impl Reference {
    pub(super) fn expire(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        self.expire_generic(argv, out, true);
    }

    pub(super) fn pexpire(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
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

    pub(super) fn ttl(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        self.ttl_generic(arg(argv, 1), false, out);
    }

    pub(super) fn pttl(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
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

    pub(super) fn persist(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        let key = arg(argv, 1);
        let removed = self.lookup(key).is_some() && self.expires.remove(key).is_some();
        add_reply_integer(out, i64::from(removed));
    }
}
