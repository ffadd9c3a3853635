//! What the reference checks of maxmemory (src/evict.c, src/server.c `processCommand`): an
//! eviction the model reports must name a key the policy may pick, and a command the model
//! rejected with the OOM error must be one Redis flags `CMD_DENYOOM`. Which key and when
//! depend on byte counts the reference does not keep, so the model says when and which; the
//! reference says whether that was allowed.

use super::util::find_command;
use super::{Reference, COMMANDS};

/// The commands of the reference's table that Redis flags `DENYOOM` (each command's JSON file in
/// src/commands/): the writes that can grow memory.
const DENYOOM: &[&str] = &[
    "set", "getset", "mset", "append", "setrange", "incr", "decr", "incrby", "decrby", "lpush",
    "rpush", "copy", "hset",
];

impl Reference {
    /// The model evicted `key` under the current `maxmemory-policy`: the key must exist (an
    /// expired key not yet reclaimed still does), a limit must be set, the policy must evict,
    /// and a `volatile-*` policy may only pick a key with an expire. The key is then deleted.
    /// `db` is the database it was evicted from (`performEvictions` samples every database,
    /// not the clients' selected ones).
    pub fn evict(&mut self, db: usize, key: &[u8]) -> Result<(), String> {
        if db >= self.dbs.len() {
            return Err(format!(
                "an eviction from database {db}, which does not exist"
            ));
        }
        self.with_db(db, |r| r.evict_here(key))
    }

    fn evict_here(&mut self, key: &[u8]) -> Result<(), String> {
        let policy = self
            .config
            .get("maxmemory-policy")
            .cloned()
            .unwrap_or_default();
        let shown = String::from_utf8_lossy(key);
        if self.config.get("maxmemory").is_none_or(|m| m == "0") {
            return Err(format!("key '{shown}' evicted with no maxmemory set"));
        }
        if policy == "noeviction" {
            return Err(format!("key '{shown}' evicted under noeviction"));
        }
        if !self.keys.contains_key(key) {
            return Err(format!("key '{shown}' evicted but it does not exist"));
        }
        if policy.starts_with("volatile-") && !self.expires.contains_key(key) {
            return Err(format!(
                "key '{shown}' evicted under {policy} but it has no expire"
            ));
        }
        self.expires.remove(key);
        self.keys.remove(key);
        Ok(())
    }

    /// The reply to `argv` when the model rejected it for memory: Redis's OOM error when the
    /// command exists, has a valid arity and is `DENYOOM` (the unknown-command and arity errors
    /// come first); otherwise the command's own reply (which then differs from the model's).
    pub fn oom(&mut self, argv: &[Vec<u8>], now_ms: i64) -> Vec<u8> {
        let denyoom = argv.first().is_some_and(|n| {
            find_command(COMMANDS, n).is_some_and(|c| {
                DENYOOM.contains(&c.name) && super::util::arity_ok(c.arity, argv.len())
            })
        });
        if denyoom && self.config.get("maxmemory").is_some_and(|m| m != "0") {
            return b"-OOM command not allowed when used memory > 'maxmemory'.\r\n".to_vec();
        }
        self.execute(argv, now_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(a: &[&str]) -> Vec<Vec<u8>> {
        a.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    fn with_limit() -> Reference {
        let mut r = Reference::new(0);
        r.execute(
            &cmd(&[
                "CONFIG",
                "SET",
                "maxmemory",
                "1",
                "maxmemory-policy",
                "allkeys-lru",
            ]),
            0,
        );
        r
    }

    /// Swarm world 17 (seed 24318, `genpaths`): a key MOVEd to database 3, then evicted there.
    /// Eviction samples every database; the reference looked in the connection's own.
    #[test]
    fn an_eviction_names_the_database_it_came_from() {
        let mut r = with_limit();
        r.execute(&cmd(&["SET", "a", "v"]), 0);
        assert_eq!(r.execute(&cmd(&["MOVE", "a", "3"]), 0), b":1\r\n");
        assert!(r.evict(0, b"a").is_err());
        assert_eq!(r.evict(3, b"a"), Ok(()));
        assert!(r.evict(3, b"a").is_err());
        assert!(r.evict(16, b"a").is_err());
        // The connection's own database is still checked out.
        r.execute(&cmd(&["SET", "b", "v"]), 0);
        assert_eq!(r.evict(0, b"b"), Ok(()));
    }

    /// Swarm worlds 32, 36, 44: COPY and HSET are `DENYOOM` (copy.json, hset.json).
    #[test]
    fn copy_and_hset_are_denied_for_memory() {
        let mut r = with_limit();
        r.execute(&cmd(&["SET", "a", "v"]), 0);
        for argv in [cmd(&["COPY", "a", "b"]), cmd(&["HSET", "h", "f", "v"])] {
            assert!(r.oom(&argv, 0).starts_with(b"-OOM "), "{argv:?}");
        }
        assert_eq!(r.oom(&cmd(&["GET", "a"]), 0), b"$1\r\nv\r\n");
    }
}
