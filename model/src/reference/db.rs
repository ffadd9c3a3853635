//! The databases (src/db.c): which one a connection has checked out, SELECT
//! (`selectCommand`), SWAPDB (`swapdbCommand`), MOVE (`moveCommand`), COPY (`copyCommand`).
//! Error texts and their order as read at redis/redis 059f40da (db.c) and checked against
//! redis-server 7.0.15 (`getIntFromObjectOrReply`'s two texts included).

use super::reply::add_error;
use super::util::{arg, cstr, eq_ci, parse_ll};
use super::{Conn, Reference, DBNUM, ERR_NOT_INTEGER, ERR_SYNTAX};
use crate::resp::{add_reply_integer, add_reply_status};

const ERR_DB_RANGE: &str = "ERR DB index is out of range";

const ERR_SAME: &str = "ERR source and destination objects are the same";

/// `getIntFromObjectOrReply`: with `msg`, a non-integer and an out-of-range value both reply
/// `msg`; without, the two generic texts.
fn parse_int(b: &[u8], msg: Option<&str>, out: &mut Vec<u8>) -> Option<i64> {
    match parse_ll(b) {
        Some(v) if i32::try_from(v).is_ok() => Some(v),
        Some(_) => {
            let text = msg.map_or_else(
                || {
                    format!(
                        "ERR value is out of range, value must between {} and {}",
                        i32::MIN,
                        i32::MAX
                    )
                },
                str::to_string,
            );
            add_error(out, &text);
            None
        }
        None => {
            add_error(out, msg.unwrap_or(ERR_NOT_INTEGER));
            None
        }
    }
}

/// `selectDb`'s range test.
fn index(id: i64) -> Option<usize> {
    usize::try_from(id).ok().filter(|&i| i < DBNUM)
}

impl Reference {
    /// The executing connection's state.
    pub(super) fn conn(&mut self) -> &mut Conn {
        self.conns.entry(self.cur).or_default()
    }

    /// Put database `db` in `keys`/`expires` (putting the one out back first).
    pub(super) fn check_out(&mut self, db: usize) {
        if db == self.db_out {
            return;
        }
        self.check_in();
        let (k, e) = std::mem::take(&mut self.dbs[db]);
        self.keys = k;
        self.expires = e;
        self.db_out = db;
    }

    /// Put the checked-out database back in `dbs` (it stays "out" by index: `keys` is empty
    /// until [`Reference::check_out`] takes one again).
    fn check_in(&mut self) {
        let k = std::mem::take(&mut self.keys);
        let e = std::mem::take(&mut self.expires);
        self.dbs[self.db_out] = (k, e);
    }

    /// Run `f` with database `db` checked out, then check the connection's own back out.
    pub(super) fn with_db<T>(&mut self, db: usize, f: impl FnOnce(&mut Reference) -> T) -> T {
        let own = self.db_out;
        self.check_out(db);
        let t = f(self);
        self.check_out(own);
        t
    }

    /// Every database, checked in (FLUSHALL).
    pub(super) fn clear_all(&mut self) {
        self.keys.clear();
        self.expires.clear();
        for d in &mut self.dbs {
            *d = Default::default();
        }
    }

    pub(super) fn select(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        let Some(id) = parse_int(arg(argv, 1), None, out) else {
            return;
        };
        if self.cluster_enabled && id != 0 {
            return add_error(out, "ERR SELECT is not allowed in cluster mode");
        }
        match index(id) {
            Some(db) => {
                self.conn().db = db;
                self.check_out(db);
                add_reply_status(out, "OK");
            }
            None => add_error(out, ERR_DB_RANGE),
        }
    }

    pub(super) fn swapdb(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        if self.cluster_enabled {
            return add_error(out, "ERR SWAPDB is not allowed in cluster mode");
        }
        let Some(a) = parse_int(arg(argv, 1), Some("ERR invalid first DB index"), out) else {
            return;
        };
        let Some(b) = parse_int(arg(argv, 2), Some("ERR invalid second DB index"), out) else {
            return;
        };
        let (Some(a), Some(b)) = (index(a), index(b)) else {
            return add_error(out, ERR_DB_RANGE);
        };
        let own = self.db_out;
        self.check_in();
        self.dbs.swap(a, b);
        let (k, e) = std::mem::take(&mut self.dbs[own]);
        self.keys = k;
        self.expires = e;
        add_reply_status(out, "OK");
    }

    pub(super) fn move_key(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        if self.cluster_enabled {
            return add_error(out, "ERR MOVE is not allowed in cluster mode");
        }
        let Some(id) = parse_int(arg(argv, 2), None, out) else {
            return;
        };
        let Some(dst) = index(id) else {
            return add_error(out, ERR_DB_RANGE);
        };
        if dst == self.db_out {
            return add_error(out, ERR_SAME);
        }
        let key = arg(argv, 1).to_vec();
        if self.lookup(&key).is_none() {
            return add_reply_integer(out, 0);
        }
        if self.with_db(dst, |r| r.lookup(&key).is_some()) {
            return add_reply_integer(out, 0);
        }
        let value = self.keys.remove(&key).expect("looked up");
        let expire = self.expires.remove(&key);
        self.with_db(dst, |r| {
            r.keys.insert(key.clone(), value);
            if let Some(when) = expire {
                r.expires.insert(key.clone(), when);
            }
        });
        add_reply_integer(out, 1);
    }

    pub(super) fn copy(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        let src = self.db_out;
        let mut dst = src;
        let mut replace = false;
        let mut j = 3;
        while j < argv.len() {
            let opt = cstr(&argv[j]);
            if eq_ci(opt, "replace") {
                replace = true;
            } else if eq_ci(opt, "db") && j + 1 < argv.len() {
                let Some(id) = parse_int(&argv[j + 1], None, out) else {
                    return;
                };
                let Some(d) = index(id) else {
                    return add_error(out, ERR_DB_RANGE);
                };
                dst = d;
                j += 1;
            } else {
                return add_error(out, ERR_SYNTAX);
            }
            j += 1;
        }
        if self.cluster_enabled && (src != 0 || dst != 0) {
            return add_error(
                out,
                "ERR Copying to another database is not allowed in cluster mode",
            );
        }
        let (key, newkey) = (arg(argv, 1).to_vec(), arg(argv, 2).to_vec());
        if src == dst && key == newkey {
            return add_error(out, ERR_SAME);
        }
        let Some(value) = self.lookup(&key).cloned() else {
            return add_reply_integer(out, 0);
        };
        let expire = self.expires.get(&key).copied();
        let copied = self.with_db(dst, |r| {
            if r.lookup(&newkey).is_some() {
                if !replace {
                    return false;
                }
                r.remove_key(&newkey);
            }
            r.keys.insert(newkey.clone(), value);
            if let Some(when) = expire {
                r.expires.insert(newkey.clone(), when);
            }
            true
        });
        add_reply_integer(out, i64::from(copied));
    }
}

#[cfg(test)]
mod cluster_tests {
    use super::super::Reference;

    fn cmd(a: &[&str]) -> Vec<Vec<u8>> {
        a.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    /// Swarm world 226 (seed 24527, before efb2c6b): in a cluster-mode world the model (as
    /// Redis) refused `SELECT 1`, the reference did not, so the two ran the next COPY in
    /// different databases (model :1, reference :0). Redis 8.x (db.c selectCommand,
    /// swapdbCommand, moveCommand, copyCommand) refuses all four in cluster mode; the reference
    /// now does too.
    #[test]
    fn cluster_mode_keeps_every_client_in_database_0() {
        let mut r = Reference::new(0);
        r.set_cluster_enabled(true);
        r.execute(&cmd(&["SET", "a", "v"]), 0);
        let err = |m: &str| format!("-ERR {m} is not allowed in cluster mode\r\n").into_bytes();
        assert_eq!(r.execute(&cmd(&["SELECT", "1"]), 0), err("SELECT"));
        assert_eq!(r.execute(&cmd(&["SELECT", "0"]), 0), b"+OK\r\n");
        // Still in database 0: COPY in the same database copies.
        assert_eq!(r.execute(&cmd(&["COPY", "a", "b"]), 0), b":1\r\n");
        assert_eq!(r.execute(&cmd(&["COPY", "a", "b"]), 0), b":0\r\n");
        assert_eq!(r.execute(&cmd(&["SWAPDB", "0", "1"]), 0), err("SWAPDB"));
        assert_eq!(r.execute(&cmd(&["MOVE", "a", "1"]), 0), err("MOVE"));
        assert_eq!(
            r.execute(&cmd(&["COPY", "a", "c", "DB", "1"]), 0),
            b"-ERR Copying to another database is not allowed in cluster mode\r\n"
        );
        assert_eq!(r.execute(&cmd(&["EXISTS", "a", "b", "c"]), 0), b":2\r\n");
    }
}
