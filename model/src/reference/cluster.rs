//! The cluster commands the reference knows (src/cluster.c `sflushCommand`,
//! `parseSlotRangesOrReply`, `replySlotsFlush`; cluster_asm.c `trimslotsCommand`; both at the
//! pin 059f40da): SFLUSH deletes the keys of the given slots (a one-node cluster serves every
//! slot) and replies the normalised ranges; TRIMSLOTS refuses every slot (served by this node).
//! Whether the trim runs on main, in BIO or as a blocking flush changes nothing a client sees
//! (only when its reply comes). Written separately from the model: its own CRC16.

use super::reply::{add_error, wrong_arity};
use super::util::{arg, cstr, eq_ci, parse_ll};
use super::Reference;
use crate::resp::{add_reply_array_len, add_reply_integer};

const CLUSTER_SLOTS: i64 = 16384;
const DISABLED: &str = "ERR This instance has cluster support disabled";

/// CRC16/XMODEM of the key or of its first non-empty `{tag}`, modulo 16384.
pub(super) fn slot_of(key: &[u8]) -> u16 {
    let mut hashed = key;
    if let Some(open) = key.iter().position(|&b| b == b'{') {
        if let Some(len) = key[open + 1..].iter().position(|&b| b == b'}') {
            if len > 0 {
                hashed = &key[open + 1..open + 1 + len];
            }
        }
    }
    let mut crc: u16 = 0;
    for &b in hashed {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc & 0x3fff
}

/// Slot ranges from `argv[pos..argc]`, sorted and merged, or the error reply.
fn ranges(
    argv: &[Vec<u8>],
    argc: usize,
    pos: usize,
    name: &str,
    out: &mut Vec<u8>,
) -> Option<Vec<(i64, i64)>> {
    if pos >= argc || argc - pos < 2 || (argc - pos) % 2 == 1 {
        wrong_arity(out, name);
        return None;
    }
    let mut v = Vec::new();
    for pair in argv[pos..argc].chunks(2) {
        let mut r = [0i64; 2];
        for (i, a) in pair.iter().enumerate() {
            match parse_ll(cstr(a)) {
                Some(n) if (0..CLUSTER_SLOTS).contains(&n) => r[i] = n,
                _ => {
                    add_error(out, "ERR Invalid or out of range slot");
                    return None;
                }
            }
        }
        v.push((r[0], r[1]));
    }
    if v.len() as i64 >= CLUSTER_SLOTS {
        add_error(
            out,
            &format!("ERR invalid number of slot ranges: {}", v.len()),
        );
        return None;
    }
    v.sort_by_key(|r| r.0);
    let mut merged: Vec<(i64, i64)> = Vec::new();
    for r in v {
        match merged.last_mut() {
            Some(last) if last.1 + 1 == r.0 => last.1 = r.1,
            _ => merged.push(r),
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for &(a, b) in &merged {
        if a > b {
            add_error(
                out,
                &format!("ERR start slot number {a} is greater than end slot number {b}"),
            );
            return None;
        }
        for slot in a..=b {
            if !seen.insert(slot) {
                add_error(out, &format!("ERR Slot {slot} specified multiple times"));
                return None;
            }
        }
    }
    Some(merged)
}

impl Reference {
    /// `SFLUSH <start> <end> [...] [SYNC|ASYNC]`.
    pub(super) fn sflush(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        if !self.cluster_enabled {
            return add_error(out, DISABLED);
        }
        let mut argc = argv.len();
        let last = cstr(arg(argv, argc - 1));
        if eq_ci(last, "sync") || eq_ci(last, "async") {
            argc -= 1;
        }
        if argc.is_multiple_of(2) {
            return wrong_arity(out, "sflush");
        }
        let Some(rs) = ranges(argv, argc, 1, "sflush", out) else {
            return;
        };
        let gone: Vec<Vec<u8>> = self
            .keys
            .keys()
            .filter(|k| {
                let s = i64::from(slot_of(k));
                rs.iter().any(|&(a, b)| a <= s && s <= b)
            })
            .cloned()
            .collect();
        for k in gone {
            self.keys.remove(&k);
            self.expires.remove(&k);
        }
        add_reply_array_len(out, rs.len());
        for (a, b) in rs {
            add_reply_array_len(out, 2);
            add_reply_integer(out, a);
            add_reply_integer(out, b);
        }
    }

    /// `TRIMSLOTS RANGES <n> <start> <end> ...`: every slot is served here.
    pub(super) fn trimslots(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        if !self.cluster_enabled {
            return add_error(out, DISABLED);
        }
        if !eq_ci(cstr(arg(argv, 1)), "ranges") {
            return add_error(out, "ERR missing ranges argument");
        }
        let Some(n) = parse_ll(cstr(arg(argv, 2))) else {
            return add_error(out, super::ERR_NOT_INTEGER);
        };
        if !(1..=CLUSTER_SLOTS).contains(&n) || argv.len() as i64 != 3 + n * 2 {
            return add_error(out, "ERR invalid number of ranges");
        }
        let argc = argv.len();
        let Some(rs) = ranges(argv, argc, 3, "trimslots", out) else {
            return;
        };
        add_error(
            out,
            &format!("ERR the slot {} is served by this node", rs[0].0),
        );
    }
}
