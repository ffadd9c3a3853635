//! Keyspace commands (src/db.c): DEL/UNLINK, EXISTS, FLUSHALL/FLUSHDB (`getFlushCommandFlags`),
//! DBSIZE, RENAME (`renameGenericCommand`: a missing source is `ERR no such key`, also when
//! source and destination are equal; equal names reply `+OK`; the value and its TTL move to the
//! new name, whose old value and TTL are dropped).

use super::reply::add_error;
use super::util::{cstr, eq_ci, len_i64};
use super::{Reference, ERR_SYNTAX};
use crate::resp::{add_reply_integer, add_reply_status};

impl Reference {
    /// DEL and UNLINK (they differ only in how Redis frees the value).
    pub(super) fn del(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        let mut deleted = 0;
        for key in argv.iter().skip(1) {
            if self.remove_key(key) {
                deleted += 1;
            }
        }
        add_reply_integer(out, deleted);
    }

    pub(super) fn exists(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        let mut count = 0;
        for key in argv.iter().skip(1) {
            if self.lookup(key).is_some() {
                count += 1;
            }
        }
        add_reply_integer(out, count);
    }

    /// FLUSHALL: every database.
    pub(super) fn flushall(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        if !flush_flags_ok(argv) {
            return add_error(out, ERR_SYNTAX);
        }
        self.clear_all();
        add_reply_status(out, "OK");
    }

    /// FLUSHDB: the connection's database.
    pub(super) fn flushdb(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        if !flush_flags_ok(argv) {
            return add_error(out, ERR_SYNTAX);
        }
        self.keys.clear();
        self.expires.clear();
        add_reply_status(out, "OK");
    }

    pub(super) fn rename(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        let (src, dst) = (&argv[1], &argv[2]);
        if self.lookup(src).is_none() {
            return add_error(out, "ERR no such key");
        }
        if src == dst {
            return add_reply_status(out, "OK");
        }
        let value = self.keys.remove(src).expect("looked up");
        let expire = self.expires.remove(src);
        self.remove_key(dst);
        self.keys.insert(dst.clone(), value);
        if let Some(when) = expire {
            self.expires.insert(dst.clone(), when);
        }
        add_reply_status(out, "OK");
    }

    pub(super) fn dbsize_cmd(&mut self, _argv: &[Vec<u8>], out: &mut Vec<u8>) {
        add_reply_integer(out, len_i64(self.dbsize(self.now_ms)));
    }
}

/// `getFlushCommandFlags` accepts one optional SYNC|ASYNC.
fn flush_flags_ok(argv: &[Vec<u8>]) -> bool {
    match argv {
        [_] => true,
        [_, mode] => eq_ci(cstr(mode), "sync") || eq_ci(cstr(mode), "async"),
        _ => false,
    }
}
