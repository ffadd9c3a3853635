//! Transactions (src/multi.c): MULTI, EXEC, DISCARD, the queueing of `processCommand` and
//! `flagTransaction` / `execCommandAbort`. Texts checked against redis-server 7.0.15: a nested
//! MULTI is an error that does not flag the transaction; a command rejected while queueing
//! (unknown, wrong arity) flags it; a rejected EXEC aborts with the rejection's reason, in
//! MULTI or not. Inside EXEC every command sees the same clock (the command's).

use super::reply::add_error;
use super::Reference;
use crate::resp::{add_reply_array_len, add_reply_status};

impl Reference {
    /// `flagTransaction`.
    pub(super) fn flag_transaction(&mut self) {
        let c = self.conn();
        if c.multi.is_some() {
            c.dirty = true;
        }
    }

    /// `queueMultiCommand` + `+QUEUED` (nothing kept once dirty).
    pub(super) fn queue(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        let c = self.conn();
        if !c.dirty {
            if let Some(q) = c.multi.as_mut() {
                q.push(argv.to_vec());
            }
        }
        add_reply_status(out, "QUEUED");
    }

    /// `execCommandAbort`.
    pub(super) fn exec_abort(&mut self, why: &str, out: &mut Vec<u8>) {
        let c = self.conn();
        c.multi = None;
        c.dirty = false;
        out.extend_from_slice(b"-EXECABORT Transaction discarded because of: ");
        out.extend_from_slice(why.as_bytes());
        out.extend_from_slice(b"\r\n");
    }

    pub(super) fn multi(&mut self, _argv: &[Vec<u8>], out: &mut Vec<u8>) {
        let c = self.conn();
        if c.multi.is_some() {
            return add_error(out, "ERR MULTI calls can not be nested");
        }
        c.multi = Some(Vec::new());
        add_reply_status(out, "OK");
    }

    pub(super) fn discard(&mut self, _argv: &[Vec<u8>], out: &mut Vec<u8>) {
        let c = self.conn();
        if c.multi.take().is_none() {
            return add_error(out, "ERR DISCARD without MULTI");
        }
        c.dirty = false;
        add_reply_status(out, "OK");
    }

    pub(super) fn exec(&mut self, _argv: &[Vec<u8>], out: &mut Vec<u8>) {
        let c = self.conn();
        let Some(queued) = c.multi.take() else {
            return add_error(out, "ERR EXEC without MULTI");
        };
        if std::mem::take(&mut c.dirty) {
            return add_error(
                out,
                "EXECABORT Transaction discarded because of previous errors.",
            );
        }
        // The queued commands run outside MULTI's queueing (they are `call`ed), but the
        // connection is still in MULTI while they run: a nested MULTI is still an error.
        self.conn().multi = Some(Vec::new());
        add_reply_array_len(out, queued.len());
        for argv in &queued {
            self.call(argv, out);
        }
        let c = self.conn();
        c.multi = None;
        c.dirty = false;
    }
}
