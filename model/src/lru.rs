//! The LRU clock and the LFU counter of a value (src/evict.c `getLRUClock`,
//! `estimateObjectIdleTime`, `LFUGetTimeInMinutes`, `LFUTimeElapsed`, `LFULogIncr`,
//! `LFUDecrAndReturn`; object.c `initObjectLRUOrLFU`; db.c `lookupKey`'s `updateLFU`), kept in
//! the header's `lru` field, derived from the server's clock. Read as [`crate::evict`] says.
//! Main thread only.

use crate::object::RObj;
use crate::server::Server;

/// `LRU_CLOCK_RESOLUTION` (ms).
pub const LRU_CLOCK_RESOLUTION: i64 = 1000;
/// `LRU_CLOCK_MAX`.
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
/// `LFU_INIT_VAL`.
pub const LFU_INIT_VAL: u32 = 5;

/// `getLRUClock` / `LRU_CLOCK()` from the server's clock.
pub fn lru_clock(s: &Server) -> u32 {
    ((s.now_ms / LRU_CLOCK_RESOLUTION) as u32) & LRU_CLOCK_MAX
}

/// `estimateObjectIdleTime` (ms).
pub fn estimate_idle_time(s: &Server, o: &RObj) -> u64 {
    let clock = u64::from(lru_clock(s));
    let lru = u64::from(o.hdr().lru);
    let res = LRU_CLOCK_RESOLUTION as u64;
    if clock >= lru {
        (clock - lru) * res
    } else {
        (clock + (u64::from(LRU_CLOCK_MAX) - lru)) * res
    }
}

/// `LFUGetTimeInMinutes`.
pub fn lfu_minutes(s: &Server) -> u32 {
    ((s.now_ms / 1000 / 60) as u32) & 65535
}

/// `LFUTimeElapsed`.
fn lfu_elapsed(s: &Server, ldt: u32) -> u32 {
    let now = lfu_minutes(s);
    if now >= ldt {
        now - ldt
    } else {
        65535 - ldt + now
    }
}

/// `LFUDecrAndReturn`: the counter, decayed by one per `lfu-decay-time` minutes elapsed.
pub fn lfu_decr_and_return(s: &Server, o: &RObj) -> u32 {
    let lru = o.hdr().lru;
    let (ldt, counter) = (lru >> 8, lru & 255);
    let periods = lfu_elapsed(s, ldt)
        .checked_div(s.cfg.lfu_decay_time)
        .unwrap_or(0);
    counter.saturating_sub(periods)
}

/// `LFULogIncr`: increment with probability `1 / ((counter - LFU_INIT_VAL) * lfu-log-factor + 1)`.
fn lfu_log_incr(s: &mut Server, counter: u32) -> u32 {
    if counter == 255 {
        return 255;
    }
    let r = (s.rand() >> 11) as f64 / (1u64 << 53) as f64;
    let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
    let p = 1.0 / (base * f64::from(s.cfg.lfu_log_factor) + 1.0);
    if r < p {
        counter + 1
    } else {
        counter
    }
}

/// `initObjectLRUOrLFU` (object.c): a new key's LRU clock, or LFU `(minutes << 8) | 5`.
pub fn init_lru_or_lfu(s: &Server, o: &RObj) {
    let v = if s.cfg.maxmemory_policy.lfu() {
        (lfu_minutes(s) << 8) | LFU_INIT_VAL
    } else {
        lru_clock(s)
    };
    o.hdr().lru = v;
}

/// `lookupKey`'s access update (unless `LOOKUP_NOTOUCH`): `updateLFU` under an LFU policy, the
/// LRU clock otherwise.
pub fn touch(s: &mut Server, o: &RObj) {
    if s.cfg.maxmemory_policy.lfu() {
        let c = lfu_decr_and_return(s, o);
        let c = lfu_log_incr(s, c);
        o.hdr().lru = (lfu_minutes(s) << 8) | c;
    } else {
        o.hdr().lru = lru_clock(s);
    }
}
