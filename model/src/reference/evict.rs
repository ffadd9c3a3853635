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
    "rpush",
];

impl Reference {
    /// The model evicted `key` under the current `maxmemory-policy`: the key must exist (an
    /// expired key not yet reclaimed still does), a limit must be set, the policy must evict,
    /// and a `volatile-*` policy may only pick a key with an expire. The key is then deleted.
    pub fn evict(&mut self, key: &[u8]) -> Result<(), String> {
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
