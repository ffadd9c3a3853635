//! Time on both sides. The real server reads the wall clock; the model's clock is set to the
//! wall clock read just before each request is sent, so a relative expiry (`PX 5`) means the
//! same instant on both sides up to the *skew* ε: the time between that read and the moment the
//! server ran the command, bounded above by when its reply arrived. The harness measures ε for
//! every request and a case whose ε exceeded the bound δ is run again (never compared loosely).
//!
//! With ε ≤ δ a reply can only depend on the skew near a boundary, and the harness keeps every
//! request away from boundaries by waiting (never by skipping a command):
//! - a key expires (`now > when`, db.c `keyIsExpired`) on both sides alike unless its `when` is
//!   within δ of the request's time: such a request waits until `when + δ` has passed;
//! - `EXPIRE … GT|LT` compares a new expiry with the old one; both move with ε, so the request
//!   waits until the two are more than δ apart.
//!
//! - `TTL` rounds the remaining time to seconds (`(ttl + 500) / 1000`, `ttlGenericCommand`):
//!   a request waits while the remaining time is within δ of a rounding boundary, so TTL is
//!   compared exactly (a model that truncated instead of rounding would be caught).
//!
//! What remains clock-dependent is the PTTL value (the remaining milliseconds themselves): the
//! allow-list compares it within δ.

use refrace_gen::{Cmd, Frame};
use refrace_model::Server;
use std::time::{SystemTime, UNIX_EPOCH};

/// Wall-clock unix time in ms (what `mstime()` returns on the server, same machine).
pub fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// How long (ms) `frame` must wait, sent at `now`, so that no reply depends on the skew (≤
/// `skew` ms); 0 when it may go now. `db` is the connection's selected database (the one
/// the frame's keys name); expiring keys of every database count.
pub fn wait_ms(s: &Server, db: usize, frame: &Frame, now: i64, skew: i64) -> i64 {
    let mut wait = 0;
    for kv in s.db.iter().flat_map(|d| d.dict.values()) {
        if let Some(when) = kv.hdr().expire {
            if (now - skew..=now + skew).contains(&when) {
                wait = wait.max(when + skew + 1 - now);
            }
        }
    }
    if let Some(Cmd::Ttl(key)) = frame.command() {
        if let Some(when) = s.db[db]
            .dict
            .get(key.bytes())
            .and_then(|kv| kv.hdr().expire)
        {
            // Distance from `now` to the next instant where the rounded TTL steps down.
            let r = (when - now - 500).rem_euclid(1000);
            if when > now && r <= skew {
                wait = wait.max(r + skew + 1);
            } else if when > now && 1000 - r <= skew {
                wait = wait.max(skew + 1 - (1000 - r));
            }
        }
    }
    if let Some(Cmd::Expire(key, n, Some(flag)) | Cmd::PExpire(key, n, Some(flag))) =
        frame.command()
    {
        use refrace_gen::ExpireFlag::{Gt, Lt};
        let unit = if matches!(frame.command(), Some(Cmd::Expire(..))) {
            1000
        } else {
            1
        };
        let old = s.db[db]
            .dict
            .get(key.bytes())
            .and_then(|kv| kv.hdr().expire);
        let n = std::str::from_utf8(n.bytes())
            .ok()
            .and_then(|t| t.parse::<i64>().ok());
        if let (Some(old), Some(n), Gt | Lt) = (old, n, flag) {
            if let Some(new) = n.checked_mul(unit).and_then(|d| d.checked_add(now)) {
                if (new - old).abs() <= skew {
                    wait = wait.max(old + skew + 1 - new);
                }
            }
        }
    }
    wait
}
