//! The cluster commands (src/cluster.c): `CLUSTER KEYSLOT` and `CLUSTER GETKEYSINSLOT` (what
//! the Didi leak needs; `getKeysInSlot`'s owned-keys contract @ 4.0.0), `SFLUSH`
//! (`sflushCommand` with `parseSlotRangesOrReply`, `slotRangeArrayNormalizeAndValidate` and
//! `replySlotsFlush`, read at the pin 059f40da, off=56706–72706) and, from cluster_asm.c's
//! `trimslotsCommand` (@ 059f40da, off=128000), `TRIMSLOTS` (its handler sits here, beside
//! SFLUSH's, and the trim itself in [`crate::cluster_asm`]). All need `cluster-enabled`. Main
//! thread only. (`keyHashSlot` is in [`crate::util`], where every layer can reach it.)
//!
//! Invariants protected: `LEAK` — every key object `getKeysInSlot` hands out is released by its
//! caller ([`crate::config::Fault::GetkeysinslotOwnedLeak`] forgets them); SFLUSH's background
//! trim is where the finding `bg-trim-unprotected` lives (see [`crate::cluster_asm`]).
//!
//! Simplified: the node serves all 16384 slots (a one-node cluster), so SFLUSH flushes every
//! slot it is given and TRIMSLOTS refuses every one; no `-MOVED`/`-TRYAGAIN` redirections.

use super::object::arg_ll_or_reply;
use super::{arg, Client, Server};
use crate::config::Fault;
use crate::ledger::{AllocKind, Holder, Tid};
use crate::networking::{
    add_reply_array_len, add_reply_bulk, add_reply_error, add_reply_error_arity,
    add_reply_error_format, add_reply_integer,
};
use crate::object::{Cx, RObj};

pub use crate::util::key_hash_slot;

fn cluster_disabled(s: &mut Server, c: &mut Client) -> bool {
    if !s.cfg.cluster_enabled {
        add_reply_error(s, c, "ERR This instance has cluster support disabled");
        return true;
    }
    false
}

/// `CLUSTER KEYSLOT key`.
pub(super) fn cluster_keyslot(s: &mut Server, c: &mut Client) {
    if cluster_disabled(s, c) {
        return;
    }
    let key = arg(s, c, 2);
    add_reply_integer(s, c, i64::from(key_hash_slot(&key)));
}

/// `CLUSTER GETKEYSINSLOT slot count` with the Redis 4.0 contract (`getKeysInSlot` @ 4.0.0):
/// the keys come back as **owned** objects in a temporary array; the caller replies with each,
/// releases each and frees the array. [`Fault::GetkeysinslotOwnedLeak`] frees only the array,
/// as a 3.2.8-style caller did after Didi's rax backport. Keys are returned in sorted order
/// (Redis: slot-dict order).
pub(super) fn cluster_getkeysinslot(s: &mut Server, c: &mut Client) {
    if cluster_disabled(s, c) {
        return;
    }
    let Some(slot) = arg_ll_or_reply(s, c, 2) else {
        return;
    };
    let Some(max) = arg_ll_or_reply(s, c, 3) else {
        return;
    };
    if !(0..16384).contains(&slot) || max < 0 {
        add_reply_error(s, c, "ERR Invalid slot or number of keys");
        return;
    }
    let mut keys: Vec<Vec<u8>> = s.db[c.db]
        .dict
        .keys()
        .filter(|k| i64::from(key_hash_slot(k)) == slot)
        .cloned()
        .collect();
    keys.sort();
    keys.truncate(usize::try_from(max).unwrap_or(usize::MAX));
    let env = s.env();
    let cx = Cx::main(&env);
    let array = env.ledger.alloc(
        Tid::Main,
        AllocKind::Argv,
        8 * keys.len().max(1),
        "getKeysInSlot array",
        None,
    );
    let objs: Vec<RObj> = keys
        .iter()
        .map(|k| RObj::create_string(cx, k, Holder::Temp))
        .collect();
    add_reply_array_len(s, c, objs.len());
    for o in &objs {
        add_reply_bulk(s, c, o);
        if !env.cfg.fault(Fault::GetkeysinslotOwnedLeak) {
            o.decr_ref_count(cx, Holder::Temp);
        }
    }
    env.ledger.free(Tid::Main, array);
}

/// `CLUSTER_SLOTS`.
const CLUSTER_SLOTS: i64 = 16384;

/// `getSlotOrReply`: an integer in 0..16384, else `ERR Invalid or out of range slot`.
fn slot_or_reply(s: &mut Server, c: &mut Client, i: usize) -> Option<u16> {
    let raw = arg(s, c, i);
    match crate::util::string2ll(crate::util::cstr(&raw)) {
        Some(v) if (0..CLUSTER_SLOTS).contains(&v) => Some(v as u16),
        _ => {
            add_reply_error(s, c, "ERR Invalid or out of range slot");
            None
        }
    }
}

/// `parseSlotRangesOrReply(c, argc, pos)` + `slotRangeArrayNormalizeAndValidate` (cluster.c @
/// 059f40da, off=72706 and 56706): pairs from `pos` to `argc` (none or an odd count: the
/// arity error), each slot by [`slot_or_reply`]; then sorted by start, adjacent ranges merged;
/// `ERR start slot number <a> is greater than end slot number <b>`, `ERR Slot <n> specified
/// multiple times`.
fn parse_slot_ranges_or_reply(
    s: &mut Server,
    c: &mut Client,
    argc: usize,
    pos: usize,
    fullname: &str,
) -> Option<Vec<(u16, u16)>> {
    if pos >= argc || argc - pos < 2 || !(argc - pos).is_multiple_of(2) {
        add_reply_error_arity(s, c, fullname);
        return None;
    }
    let mut ranges = Vec::new();
    let mut j = pos;
    while j < argc {
        let start = slot_or_reply(s, c, j)?;
        let end = slot_or_reply(s, c, j + 1)?;
        ranges.push((start, end));
        j += 2;
    }
    if ranges.len() as i64 >= CLUSTER_SLOTS {
        let msg = format!("invalid number of slot ranges: {}", ranges.len());
        add_reply_error_format(s, c, msg.as_bytes());
        return None;
    }
    ranges.sort_by_key(|r| r.0);
    let mut merged: Vec<(u16, u16)> = Vec::new();
    for r in ranges {
        match merged.last_mut() {
            Some(last) if u32::from(last.1) + 1 == u32::from(r.0) => last.1 = r.1,
            _ => merged.push(r),
        }
    }
    let mut used = vec![false; CLUSTER_SLOTS as usize];
    for &(a, b) in &merged {
        if a > b {
            let msg = format!("start slot number {a} is greater than end slot number {b}");
            add_reply_error_format(s, c, msg.as_bytes());
            return None;
        }
        for slot in a..=b {
            if std::mem::replace(&mut used[slot as usize], true) {
                let msg = format!("Slot {slot} specified multiple times");
                add_reply_error_format(s, c, msg.as_bytes());
                return None;
            }
        }
    }
    Some(merged)
}

/// `replySlotsFlush`: an array of `[start, end]` pairs.
pub fn reply_slots_flush(s: &mut Server, c: &mut Client, slots: &[(u16, u16)]) {
    add_reply_array_len(s, c, slots.len());
    for &(a, b) in slots {
        add_reply_array_len(s, c, 2);
        add_reply_integer(s, c, i64::from(a));
        add_reply_integer(s, c, i64::from(b));
    }
}

/// `sflushCommand` (cluster.c @ 059f40da, off=72706): `SFLUSH <start> <end> [<start> <end>]*
/// [SYNC|ASYNC]`; no option follows `lazyfree-lazy-user-flush`. Errors: cluster disabled; an
/// even argc (after the option) is the arity error; the ranges as
/// [`parse_slot_ranges_or_reply`]. The node serves every slot, so all given slots are flushed:
/// ASYNC → `asmTrimSlots` ([`crate::cluster_asm::asm_trim_slots`]) and the reply now; no option
/// or SYNC from a client that may block (one with a connection, not in MULTI or EXEC) → the same
/// trim, run as a *blocking* flush: the client is blocked (`blockClientForAsyncFlush`) until
/// the trim's completion unblocks it with the reply (at the pin the background trim's completion
/// names no client: finding `sflush-sync-never-unblocked`); SYNC from any other client →
/// the keys are deleted now on main (`clusterDelKeysInSlotRangeArray`). The reply is the
/// flushed ranges ([`reply_slots_flush`]).
pub(super) fn sflush(s: &mut Server, c: &mut Client) {
    if cluster_disabled(s, c) {
        return;
    }
    let mut argc = c.argv.len();
    let last = arg(s, c, argc - 1);
    let last = crate::util::cstr(&last);
    let mut async_flush = s.cfg.lazyfree_lazy_user_flush;
    if last.eq_ignore_ascii_case(b"sync") {
        async_flush = false;
        argc -= 1;
    } else if last.eq_ignore_ascii_case(b"async") {
        async_flush = true;
        argc -= 1;
    }
    if argc.is_multiple_of(2) {
        add_reply_error_arity(s, c, "sflush");
        return;
    }
    let Some(slots) = parse_slot_ranges_or_reply(s, c, argc, 1, "sflush") else {
        return;
    };
    // `CLIENT_AVOID_BLOCKING_ASYNC_FLUSH` as in `flushCommandCommon`: a connection-less client,
    // one in MULTI or one running EXEC (DENY_BLOCKING) deletes the keys synchronously.
    let blocking = !async_flush && !c.fake && !c.multi && !c.deny_blocking;
    if async_flush || blocking {
        let client = if blocking { c.id } else { 0 };
        crate::cluster_asm::asm_trim_slots(s, c, &slots, client);
    } else {
        crate::cluster_asm::cluster_del_keys_in_slot_range_array(s, &slots);
    }
    if blocking {
        c.blocked = true;
        return;
    }
    reply_slots_flush(s, c, &slots);
}

/// `trimslotsCommand` (cluster_asm.c @ 059f40da, off=128000): `TRIMSLOTS RANGES <n> <start>
/// <end> ...`. Errors in C's order: cluster disabled; `ERR missing ranges argument`; `<n>` not
/// an integer; `ERR invalid number of ranges` (n < 1, n > 16384, or not 3 + 2n arguments); the
/// ranges as [`parse_slot_ranges_or_reply`]; then, on a master, `ERR the slot <s> is served by
/// this node` for the first slot it serves: every slot, in the model's one-node cluster, so
/// TRIMSLOTS never reaches `asmTrimSlots` here (see [`crate::cluster_asm`]).
pub(super) fn trimslots(s: &mut Server, c: &mut Client) {
    if cluster_disabled(s, c) {
        return;
    }
    let argc = c.argv.len();
    let ranges = arg(s, c, 1);
    if !crate::util::cstr(&ranges).eq_ignore_ascii_case(b"ranges") {
        add_reply_error(s, c, "ERR missing ranges argument");
        return;
    }
    let Some(n) = arg_ll_or_reply(s, c, 2) else {
        return;
    };
    if !(1..=CLUSTER_SLOTS).contains(&n) || argc as i64 != 3 + n * 2 {
        add_reply_error(s, c, "ERR invalid number of ranges");
        return;
    }
    let Some(slots) = parse_slot_ranges_or_reply(s, c, argc, 3, "trimslots") else {
        return;
    };
    let first = slots[0].0;
    let msg = format!("the slot {first} is served by this node");
    add_reply_error_format(s, c, msg.as_bytes());
}
