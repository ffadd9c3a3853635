//! Idle clients: `clientsCronHandleTimeout` (src/timeout.c; the newest stored copy is
//! 7fc9b94b, a 7.x tree: the idle rule it reads is the one 8.x's client cron still applies,
//! not verified at the pin), run by main's client cron (`clientsCronRunClient`, which
//! `processClientsFromIOThread` calls for a client an IO thread handed in, iothread.c @
//! 051a9359, off=0).
//!
//! What matters for lifetime: a client freed for idleness is freed on main (`freeClient`) with
//! whatever references its reply still holds: they are released there.
//!
//! Who may touch what: main, on a client it holds. Simplified: the model's clock is logical
//! (1 ms per command, `DEBUG SLEEP`, and a second per cron visit of a client whose peer took no
//! byte: see [`crate::iothread`]); blocked clients never time out (Redis's BLPOP rule).

use crate::client::Client;
use crate::server::Server;

/// `clientsCronHandleTimeout(c, now_ms)`: whether `c` has been idle longer than `timeout`
/// (`now - c->lastinteraction > server.maxidletime`, in whole seconds) and may be closed for it
/// (not blocked, not connection-less). The caller frees it.
pub fn clients_cron_handle_timeout(s: &Server, c: &Client) -> bool {
    let max = s.cfg.maxidletime;
    if max == 0 || c.blocked || c.fake {
        return false;
    }
    let now = s.now_ms / 1000;
    let last = c.lastinteraction_ms / 1000;
    now - last > max as i64
}
