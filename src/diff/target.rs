//! What `refrace diff` does to a server it did not start, and how it undoes it.
//!
//! The comparison empties the server before every case (`FLUSHALL SYNC`), sets the `lazyfree-*`
//! parameters, turns active expiry off (`DEBUG SET-ACTIVE-EXPIRE 0`) and lets generated
//! requests change `lazyfree-*` and `DEBUG REPLY-COPY-AVOIDANCE` (8.6) too. So before anything
//! is sent a [`Guard`]:
//! - refuses an address that is not loopback (127.0.0.0/8, ::1; `localhost` resolves to one)
//!   unless [`Permit::remote`];
//! - refuses a server holding keys in any database (`INFO keyspace`), naming a few of them
//!   (`SCAN`, else `RANDOMKEY`) and their count, unless [`Permit::nonempty`];
//! - records every `lazyfree-*` parameter (`CONFIG GET lazyfree-*`).
//!
//! [`Guard::restore`] (also run when the guard drops: an error, a panic) puts those parameters
//! back with `CONFIG SET`, turns active expiry and reply copy avoidance back on (neither has a
//! getter; on is Redis's default, and a server without DEBUG cannot have had them changed),
//! and empties the server again if it was empty at the start, over a connection of its own.

use super::conn::Conn;
use super::show;
use redis_protocol::resp2::decode::decode;
use redis_protocol::resp2::types::OwnedFrame;
use std::fmt;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

/// Keys named in a refusal, at most.
const NAMED_KEYS: usize = 3;

/// What the caller explicitly allows.
#[derive(Clone, Copy, Debug, Default)]
pub struct Permit {
    /// A server not on a loopback address.
    pub remote: bool,
    /// A server that holds keys (they are deleted).
    pub nonempty: bool,
}

/// `addr` (`HOST:PORT`) resolved: the first address, the one [`Conn::connect`] would use.
pub fn resolve(addr: &str) -> Result<SocketAddr, String> {
    addr.to_socket_addrs()
        .map_err(|e| format!("cannot resolve '{addr}': {e}"))?
        .next()
        .ok_or_else(|| format!("cannot resolve '{addr}'"))
}

/// 127.0.0.0/8, ::1, or an IPv4-mapped loopback address.
pub fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// One decoded reply of `conn.call(argv)`.
fn call(conn: &mut Conn, argv: &[&[u8]]) -> Result<OwnedFrame, String> {
    let bytes = conn.call(argv)?;
    match decode(&bytes) {
        Ok(Some((f, _))) => Ok(f),
        _ => Err(format!("undecodable reply {}", show(&bytes))),
    }
}

/// A reply that must not be an error.
fn call_ok(conn: &mut Conn, argv: &[&[u8]]) -> Result<OwnedFrame, String> {
    match call(conn, argv)? {
        OwnedFrame::Error(e) => {
            let cmd: Vec<String> = argv
                .iter()
                .map(|a| String::from_utf8_lossy(a).into())
                .collect();
            Err(format!("'{}' failed: {e}", cmd.join(" ")))
        }
        f => Ok(f),
    }
}

/// Keys per database, from `INFO keyspace` (databases without keys are not listed).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keyspace {
    /// `(db, keys)` in the order INFO lists them.
    pub dbs: Vec<(u32, u64)>,
}

impl Keyspace {
    /// Read it.
    pub fn read(conn: &mut Conn) -> Result<Keyspace, String> {
        match call_ok(conn, &[b"INFO", b"keyspace"])? {
            OwnedFrame::BulkString(b) => Ok(Keyspace::parse(&String::from_utf8_lossy(&b))),
            f => Err(format!("INFO keyspace: unexpected reply {f:?}")),
        }
    }

    /// Parse `INFO keyspace` text (`db0:keys=1,expires=0,avg_ttl=0`).
    pub fn parse(info: &str) -> Keyspace {
        let dbs = info
            .lines()
            .filter_map(|l| {
                let (db, fields) = l.trim().strip_prefix("db")?.split_once(':')?;
                let keys = fields
                    .split(',')
                    .find_map(|f| f.strip_prefix("keys="))?
                    .parse()
                    .ok()?;
                Some((db.parse().ok()?, keys))
            })
            .filter(|&(_, n)| n > 0)
            .collect();
        Keyspace { dbs }
    }

    /// Keys in all databases.
    pub fn total(&self) -> u64 {
        self.dbs.iter().map(|&(_, n)| n).sum()
    }

    /// Up to `max` keys by database (`SCAN` pages, else `RANDOMKEY`); leaves db 0 selected.
    pub fn sample(&self, conn: &mut Conn, max: usize) -> Result<Vec<(u32, Vec<u8>)>, String> {
        let mut out = Vec::new();
        for &(db, _) in &self.dbs {
            if out.len() >= max {
                break;
            }
            call_ok(conn, &[b"SELECT", db.to_string().as_bytes()])?;
            let mut found = Vec::new();
            let mut cursor = b"0".to_vec();
            // A page can be empty with more to come; a few pages are enough for a sample.
            for _ in 0..32 {
                let page = call_ok(conn, &[b"SCAN", &cursor, b"COUNT", b"100"])?;
                let OwnedFrame::Array(mut parts) = page else {
                    return Err(format!("SCAN: unexpected reply {page:?}"));
                };
                if let (Some(OwnedFrame::Array(keys)), Some(OwnedFrame::BulkString(next))) =
                    (parts.pop(), parts.pop())
                {
                    found.extend(keys.into_iter().filter_map(|k| match k {
                        OwnedFrame::BulkString(k) => Some(k),
                        _ => None,
                    }));
                    cursor = next;
                }
                if found.len() >= max - out.len() || cursor == b"0" {
                    break;
                }
            }
            if found.is_empty() {
                if let OwnedFrame::BulkString(k) = call_ok(conn, &[b"RANDOMKEY"])? {
                    found.push(k);
                }
            }
            found.sort();
            out.extend(found.into_iter().take(max - out.len()).map(|k| (db, k)));
        }
        call_ok(conn, &[b"SELECT", b"0"])?;
        Ok(out)
    }
}

impl fmt::Display for Keyspace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.total();
        write!(f, "{total} key{}", if total == 1 { "" } else { "s" })?;
        let per: Vec<String> = self
            .dbs
            .iter()
            .map(|(db, n)| format!("db{db}: {n}"))
            .collect();
        write!(f, " ({})", per.join(", "))
    }
}

/// The parameters the comparison may change, as they were.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// `(name, value)` of every `lazyfree-*` and `maxmemory*` parameter.
    pub config: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Settings {
    /// `CONFIG GET lazyfree-* maxmemory*`.
    pub fn read(conn: &mut Conn) -> Result<Settings, String> {
        let f = call_ok(conn, &[b"CONFIG", b"GET", b"lazyfree-*", b"maxmemory*"])?;
        let OwnedFrame::Array(items) = f else {
            return Err(format!("CONFIG GET lazyfree-*: unexpected reply {f:?}"));
        };
        let mut bytes = items.into_iter().map(|i| match i {
            OwnedFrame::BulkString(b) | OwnedFrame::SimpleString(b) => Ok(b),
            other => Err(format!("CONFIG GET lazyfree-*: unexpected item {other:?}")),
        });
        let mut config = Vec::new();
        while let (Some(k), Some(v)) = (bytes.next(), bytes.next()) {
            config.push((k?, v?));
        }
        config.sort();
        Ok(Settings { config })
    }

    /// Put them back (`CONFIG SET` each), and active expiry and reply copy avoidance on.
    pub fn restore(&self, conn: &mut Conn) -> Result<(), String> {
        for (k, v) in &self.config {
            call_ok(conn, &[b"CONFIG", b"SET", k, v])?;
        }
        // An error reply means the server does not allow DEBUG (so it never ran the `0`) or
        // does not know the subcommand (7.0 has no REPLY-COPY-AVOIDANCE): nothing to undo.
        call(conn, &[b"DEBUG", b"SET-ACTIVE-EXPIRE", b"1"])?;
        call(conn, &[b"DEBUG", b"REPLY-COPY-AVOIDANCE", b"1"])?;
        Ok(())
    }
}

impl fmt::Display for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, v) in &self.config {
            write!(
                f,
                "{}={}, ",
                String::from_utf8_lossy(k),
                String::from_utf8_lossy(v)
            )?;
        }
        write!(f, "active expiry on")
    }
}

/// A checked server, its settings recorded; restores them when dropped unless
/// [`Guard::restore`] ran.
pub struct Guard {
    addr: SocketAddr,
    saved: Settings,
    was_empty: bool,
    restored: bool,
}

impl Guard {
    /// Check the server at `addr` (see the module docs) and record its settings. Nothing is
    /// changed on it; a refusal is an error naming what was found and the flag that allows it.
    pub fn open(addr: &str, permit: Permit) -> Result<Guard, String> {
        let sa = resolve(addr)?;
        if !permit.remote && !is_loopback(sa.ip()) {
            let resolved = if addr.parse::<SocketAddr>().is_ok() {
                String::new()
            } else {
                format!(" ({})", sa.ip())
            };
            return Err(format!(
                "refusing {addr}{resolved}: not a loopback address (127.0.0.0/8, ::1, \
                 localhost), and refrace diff empties and reconfigures the server it compares \
                 with; pass --allow-remote if it is a scratch server"
            ));
        }
        let mut conn = Conn::connect_addr(sa)?;
        let ks = Keyspace::read(&mut conn)?;
        if ks.total() > 0 && !permit.nonempty {
            let named: Vec<String> = ks
                .sample(&mut conn, NAMED_KEYS)?
                .iter()
                .map(|(db, k)| format!("db{db} {}", show(k)))
                .collect();
            return Err(format!(
                "refusing {addr}: it holds {ks}{}, and refrace diff deletes every key \
                 (FLUSHALL before each case); use an empty scratch server, or pass \
                 --allow-nonempty to delete them",
                if named.is_empty() {
                    String::new()
                } else {
                    format!(", e.g. {}", named.join(", "))
                }
            ));
        }
        let saved = Settings::read(&mut conn)?;
        Ok(Guard {
            addr: sa,
            saved,
            was_empty: ks.total() == 0,
            restored: false,
        })
    }

    /// The checked address (connect to this one, not to a fresh resolution of the name).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The settings as they were.
    pub fn saved(&self) -> &Settings {
        &self.saved
    }

    /// Put the settings back over a new connection (and empty the server if it was empty at
    /// the start). Runs once; the guard's drop does nothing afterwards.
    pub fn restore(&mut self) -> Result<(), String> {
        self.restored = true;
        let mut conn = Conn::connect_addr(self.addr)?;
        if self.was_empty {
            call_ok(&mut conn, &[b"FLUSHALL", b"SYNC"])?;
        }
        self.saved.restore(&mut conn).map_err(|e| {
            format!(
                "restoring the settings of {} failed ({e}); they were: {}",
                self.addr, self.saved
            )
        })
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if !self.restored {
            if let Err(e) = self.restore() {
                eprintln!("refrace: {e}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_addresses() {
        for a in ["127.0.0.1", "127.3.2.1", "::1", "::ffff:127.0.0.1"] {
            assert!(is_loopback(a.parse().unwrap()), "{a}");
        }
        for a in [
            "10.0.0.1",
            "192.0.2.1",
            "0.0.0.0",
            "::",
            "::ffff:10.0.0.1",
            "fe80::1",
        ] {
            assert!(!is_loopback(a.parse().unwrap()), "{a}");
        }
        assert!(is_loopback(resolve("localhost:6379").unwrap().ip()));
    }

    #[test]
    fn info_keyspace_is_parsed_per_db() {
        let info = "# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=0\r\ndb5:keys=1,expires=0,avg_ttl=0,subexpiry=0\r\n";
        let ks = Keyspace::parse(info);
        assert_eq!(ks.dbs, vec![(0, 2), (5, 1)]);
        assert_eq!(ks.total(), 3);
        assert_eq!(ks.to_string(), "3 keys (db0: 2, db5: 1)");
        assert_eq!(Keyspace::parse("# Keyspace\r\n").total(), 0);
    }
}
