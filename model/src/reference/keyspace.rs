//! Keyspace commands (src/db.c): DEL/UNLINK, EXISTS, FLUSHALL/FLUSHDB (`getFlushCommandFlags`),
//! DBSIZE.

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

    /// FLUSHALL and FLUSHDB (`getFlushCommandFlags` accepts one optional SYNC|ASYNC).
    pub(super) fn flush(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
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

    pub(super) fn dbsize_cmd(&mut self, _argv: &[Vec<u8>], out: &mut Vec<u8>) {
        add_reply_integer(out, len_i64(self.dbsize(self.now_ms)));
    }
}
