//! The client's faults: each puts one known client-side bug back, off by default.
//!
//! A fault is a switch beside the code it breaks (search for `Fault::` in this crate). These are
//! the client's own, not the server model's `refrace_model::Fault`, so that the two catalogues
//! can change independently. `REFRACE_CLIENT_FAULT=<name>[,<name>…]` switches faults on for the
//! client lanes ([`Faults::from_env`]); an unknown name is an error.
//!
//! | fault | source | what it puts back | caught as |
//! |---|---|---|---|
//! | `keep-formatted-cmd` | redis-plus-plus #556 | the command event keeps its formatted command until the reply, although hiredis copied it | `RETENTION_BOUND` |
//! | `leak-context-on-connect-failure` | redis-plus-plus / hiredis rule | a context returned with `err` set is dropped without `redisAsyncFree` | `LEAK` (one context per failed reconnect) |
//! | `free-after-disconnect-callback` | hiredis rule, redis-plus-plus #442 | the client keeps the context pointer through the disconnect (or failed-connect) callback and frees it again later | `DOUBLE_FREE` |
//! | `destroy-with-callback-pending` | redis-plus-plus #442 family | destroying the client frees the events hiredis still holds as callback private data | `USE_AFTER_FREE` |
//! | `stop-loop-before-callbacks` | redis-plus-plus #442 / PR #443 | the loop is stopped before the connection is torn down | `LEAK` |

use std::fmt;

/// One client-side bug that can be switched back on.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// redis-plus-plus #556: `CommandEvent` keeps its `FormattedCommand` until
    /// `_reply_callback` deletes the event, although `redisAsyncFormattedCommand` has copied the
    /// bytes into hiredis's output buffer.
    KeepFormattedCmd,
    /// The context returned by `redisAsyncConnect` with `err` set (the caller's to free) is
    /// dropped: one leaked context per failed reconnect.
    LeakContextOnConnectFailure,
    /// The client's disconnect / connect callbacks keep the context pointer; its teardown (or the
    /// next reconnect) calls `redisAsyncFree` on a context hiredis already freed.
    FreeAfterDisconnectCallback,
    /// Destroying the client frees the command events of commands still in flight, which hiredis
    /// holds as callback private data: the callbacks hiredis runs afterwards read freed memory.
    DestroyWithCallbackPending,
    /// Destroying the client stops the event loop first (`uv_stop` before the connection was
    /// unwatched): the context, its callbacks and their private data are never released.
    StopLoopBeforeCallbacks,
}

impl Fault {
    /// Every fault, in catalogue order.
    pub const ALL: [Fault; 5] = [
        Fault::KeepFormattedCmd,
        Fault::LeakContextOnConnectFailure,
        Fault::FreeAfterDisconnectCallback,
        Fault::DestroyWithCallbackPending,
        Fault::StopLoopBeforeCallbacks,
    ];

    /// The switch name (kebab-case).
    pub fn name(self) -> &'static str {
        match self {
            Fault::KeepFormattedCmd => "keep-formatted-cmd",
            Fault::LeakContextOnConnectFailure => "leak-context-on-connect-failure",
            Fault::FreeAfterDisconnectCallback => "free-after-disconnect-callback",
            Fault::DestroyWithCallbackPending => "destroy-with-callback-pending",
            Fault::StopLoopBeforeCallbacks => "stop-loop-before-callbacks",
        }
    }

    /// Where the bug comes from.
    pub fn source(self) -> &'static str {
        match self {
            Fault::KeepFormattedCmd => "redis-plus-plus #556",
            Fault::LeakContextOnConnectFailure => "hiredis rule (err set: the caller frees)",
            Fault::FreeAfterDisconnectCallback => {
                "hiredis rule (freed by hiredis after the disconnect callback), redis-plus-plus #442"
            }
            Fault::DestroyWithCallbackPending => {
                "hiredis rule (privdata outlives the callback), redis-plus-plus #442 family"
            }
            Fault::StopLoopBeforeCallbacks => "redis-plus-plus #442 / PR #443",
        }
    }

    /// Parse a switch name.
    pub fn parse(s: &str) -> Result<Fault, String> {
        Fault::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Fault::ALL.iter().map(|f| f.name()).collect();
                format!("unknown client fault '{s}'; known: {}", names.join(", "))
            })
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of faults (bit set; `Copy`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Faults(u8);

impl Faults {
    /// No fault: the fixed client.
    pub const NONE: Faults = Faults(0);

    /// Exactly `f`.
    pub fn only(f: Fault) -> Faults {
        Faults::NONE.with(f)
    }

    /// This set plus `f`.
    pub fn with(self, f: Fault) -> Faults {
        Faults(self.0 | 1 << (f as u8))
    }

    /// Whether `f` is on.
    pub fn has(self, f: Fault) -> bool {
        self.0 & (1 << (f as u8)) != 0
    }

    /// Whether no fault is on.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Parse a comma-separated list (empty: none).
    pub fn parse(list: &str) -> Result<Faults, String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .try_fold(Faults::NONE, |acc, s| Ok(acc.with(Fault::parse(s)?)))
    }

    /// `REFRACE_CLIENT_FAULT`, or an error naming the bad entry.
    pub fn from_env() -> Result<Faults, String> {
        match std::env::var("REFRACE_CLIENT_FAULT") {
            Ok(v) => Faults::parse(&v).map_err(|e| format!("REFRACE_CLIENT_FAULT: {e}")),
            Err(_) => Ok(Faults::NONE),
        }
    }
}

impl fmt::Display for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let on: Vec<&str> = Fault::ALL
            .iter()
            .filter(|x| self.has(**x))
            .map(|x| x.name())
            .collect();
        if on.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&on.join(","))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_and_unknown_names_are_errors() {
        for f in Fault::ALL {
            assert_eq!(Fault::parse(f.name()), Ok(f));
            assert!(Faults::only(f).has(f));
        }
        let both = Faults::parse("keep-formatted-cmd, stop-loop-before-callbacks").unwrap();
        assert!(both.has(Fault::KeepFormattedCmd) && both.has(Fault::StopLoopBeforeCallbacks));
        assert!(!both.has(Fault::LeakContextOnConnectFailure));
        assert_eq!(
            both.to_string(),
            "keep-formatted-cmd,stop-loop-before-callbacks"
        );
        assert_eq!(Faults::parse("").unwrap(), Faults::NONE);
        let e = Faults::parse("keep-formatted-cmds").unwrap_err();
        assert!(
            e.contains("unknown client fault 'keep-formatted-cmds'"),
            "{e}"
        );
    }
}
