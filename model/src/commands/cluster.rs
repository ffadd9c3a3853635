//! CLUSTER, only what the Didi leak needs: `keyHashSlot`, `CLUSTER KEYSLOT` and `CLUSTER
//! GETKEYSINSLOT` (src/cluster.c; `getKeysInSlot`'s owned-keys contract @ 4.0.0). Both need
//! `cluster-enabled`. Main thread only.
//!
//! Invariant protected: `LEAK` — every key object `getKeysInSlot` hands out is released by its
//! caller ([`crate::config::Fault::GetkeysinslotOwnedLeak`] forgets them).

use super::object::arg_ll_or_reply;
use super::{arg, Client, Server};
use crate::config::Fault;
use crate::ledger::{AllocKind, Holder, Tid};
use crate::networking::{add_reply_array_len, add_reply_bulk, add_reply_error, add_reply_integer};
use crate::object::{Cx, RObj};

/// `keyHashSlot` (cluster.c): CRC16 (XMODEM) of the key, or of its first non-empty `{tag}`,
/// modulo 16384.
pub fn key_hash_slot(key: &[u8]) -> u16 {
    let tagged = key.iter().position(|&b| b == b'{').and_then(|open| {
        let rest = &key[open + 1..];
        let close = rest.iter().position(|&b| b == b'}')?;
        (close > 0).then(|| &rest[..close])
    });
    let mut crc: u16 = 0;
    for &b in tagged.unwrap_or(key) {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc & 16383
}

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
