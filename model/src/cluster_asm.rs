//! Trimming slots: atomic slot migration's trim (src/cluster_asm.c, read **at the pin**
//! 059f40da, off=112000–144000): `asmTrimSlots` chooses the background or the active trim,
//! `asmTriggerBackgroundTrim` moves the slots' dictionaries out of the keyspace and hands them to
//! BIO through `emptyDbDataAsync` (lazyfree.c at the pin: one `kvsLazyfreeFree` job, whose
//! `kvstoreRelease` drops every kvobj's reference **on BIO**), `asmTriggerActiveTrim` and
//! `asmActiveTrimCycle` delete the keys on main in the cron, and `trimslotsCommand`.
//!
//! What matters for lifetime: at the pin the background trim does **not** call
//! `protectClientReplyObjects()` (only `emptyDbAsync` does, before its own
//! `emptyDbDataAsync`), so a value a pending reply references is decremented by BIO while
//! main (or an IO thread's deferral, then main) still releases the reply's reference: two
//! unordered read-modify-writes of one header word. The model does what the C does; the
//! candidate fix is [`Fix::BgTrimProtects`] (finding `bg-trim-unprotected`). At the pin the
//! completion request of a background trim carries `CLIENT_ID_NONE` whatever client asked, so
//! an SFLUSH run as a blocking flush is never unblocked; #14877 as merged passes the client's
//! id ([`Fix::SflushUnblocks`], finding `sflush-sync-never-unblocked`).
//!
//! Who may touch what: main only; BIO then owns the moved values (holder `Bio`).
//!
//! Simplified: one node that serves every slot, so the triggers other than SFLUSH (a completed
//! migration's `asmTrimJobSchedule`, `asmTrimSlotsIfNotOwned` after a failover, `TRIMSLOTS`
//! from a master's stream) are not reached: [`trimslots`] refuses every slot, as Redis does for
//! slots it serves. The method is chosen by [`crate::config::Config::asm_active_trim`] (in
//! Redis: tracking clients, a module subscribed to key-trimmed events, or `DEBUG`). The active
//! trim deletes all its keys in the first cron after the command (Redis works 25 % of a cron
//! period at a time, and answers `-TRYAGAIN` to commands on a slot being trimmed meanwhile: no
//! command can run in between in the model). Histograms, module events, keyspace
//! notifications and propagation are not modelled.

use crate::client::Client;
use crate::config::{Fault, Fix};
use crate::coverage::Event;
use crate::db::db_generic_delete;
use crate::handoff::Completion;
use crate::lazyfree::{check_detached_keyspace, protect_client_reply_objects, Job};
use crate::ledger::{Holder, Tid};
use crate::object::RObj;
use crate::server::{ActiveTrimJob, Server};
use crate::util::key_hash_slot;

/// `ASM_TRIM_METHOD_*`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TrimMethod {
    /// `ASM_TRIM_METHOD_ACTIVE`: main deletes the keys in its cron.
    Active,
    /// `ASM_TRIM_METHOD_BG`: BIO frees the moved dictionaries.
    Background,
}

/// Whether `slot` is in one of `ranges`.
pub fn in_ranges(ranges: &[(u16, u16)], slot: u16) -> bool {
    ranges.iter().any(|&(a, b)| a <= slot && slot <= b)
}

/// The keys of database 0 (the only one in cluster mode) in `ranges`, in key order.
fn keys_in(s: &Server, ranges: &[(u16, u16)]) -> Vec<Vec<u8>> {
    let mut keys: Vec<Vec<u8>> = s.db[0]
        .dict
        .keys()
        .filter(|k| in_ranges(ranges, key_hash_slot(k)))
        .cloned()
        .collect();
    keys.sort();
    keys
}

/// `asmTrimSlots(ctx, client_id, migration_cleanup)` (cluster_asm.c @ 059f40da): the active
/// trim when [`crate::config::Config::asm_active_trim`], else the background trim followed by
/// `bioCreateCompRq(…, kvsAsyncFreeDoneCB, CLIENT_ID_NONE, ctx)` (the client's id with
/// [`Fix::SflushUnblocks`]). `current` is the client running the command (main holds it, so
/// `protectClientReplyObjects` reaches it there).
pub fn asm_trim_slots(
    s: &mut Server,
    current: &mut Client,
    slots: &[(u16, u16)],
    client_id: u64,
) -> TrimMethod {
    if s.cfg.asm_active_trim {
        s.active_trim_jobs.push_back(ActiveTrimJob {
            slots: slots.to_vec(),
            client: client_id,
        });
        return TrimMethod::Active;
    }
    asm_trigger_background_trim(s, current, slots);
    let client = if s.env.cfg.fix(Fix::SflushUnblocks) {
        client_id
    } else {
        0
    };
    s.submit_completion(Completion {
        client,
        slots: Some(slots.to_vec()),
    });
    TrimMethod::Background
}

/// `asmTriggerBackgroundTrim` (cluster_asm.c @ 059f40da, off=112000): move every key of
/// `slots` out of the keyspace (`kvstoreMoveDict`, O(1) per slot in C) and queue them to BIO
/// as one job (`emptyDbDataAsync` → `kvsLazyfreeFree`). At the pin nothing protects the replies
/// that reference them; with [`Fix::BgTrimProtects`] `protectClientReplyObjects()` runs first,
/// as in `emptyDbAsync`. [`Fault::TrimKeepsDict`] leaves the keys in the keyspace as well.
pub fn asm_trigger_background_trim(s: &mut Server, current: &mut Client, slots: &[(u16, u16)]) {
    let keys = keys_in(s, slots);
    let keep = s.env.cfg.fault(Fault::TrimKeepsDict);
    let kvs: Vec<RObj> = keys
        .iter()
        .filter_map(|k| {
            if keep {
                s.db[0].dict.get(k).cloned()
            } else {
                s.db[0].dict.remove(k)
            }
        })
        .collect();
    if kvs.iter().any(|kv| kv.refcount_peek() > 1) {
        s.env.coverage.hit(Event::FlushedWhileReferenced);
    }
    if s.env.cfg.fix(Fix::BgTrimProtects) {
        protect_client_reply_objects(s, current);
        check_detached_keyspace(s, &kvs);
    }
    let env = s.env();
    for kv in &kvs {
        env.ledger
            .transfer(Tid::Main, kv.ptr(), Holder::Keyspace, Holder::Bio);
    }
    if !kvs.is_empty() {
        env.coverage.hit(Event::FlushAsyncToBio);
    }
    s.bio.submit(Job::FreeKeyspace(kvs));
}

/// `asmActiveTrimCycle` (cluster_asm.c @ 059f40da, off=144000), run by main's cron: delete every
/// key of each queued job (`dbDelete`, which follows `lazyfree-lazy-server-del`), then end the
/// job (`asmActiveTrimEnd` → `activeTrimJobFreeMethod`). Returns the jobs' unblock requests
/// (`unblockClientForAsyncFlush(client_id, slots)`) for main to run.
pub fn asm_active_trim_cycle(s: &mut Server) -> Vec<Completion> {
    let mut done = Vec::new();
    while let Some(job) = s.active_trim_jobs.pop_front() {
        let lazy = s.cfg.lazyfree_lazy_server_del;
        for k in keys_in(s, &job.slots) {
            db_generic_delete(s, 0, &k, lazy);
        }
        if job.client != 0 {
            done.push(Completion {
                client: job.client,
                slots: Some(job.slots),
            });
        }
    }
    done
}

/// `clusterDelKeysInSlotRangeArray(slots, 1)` (cluster.c @ 059f40da, off=56706): delete every
/// key of `slots` now, on main (`dbDelete`).
pub fn cluster_del_keys_in_slot_range_array(s: &mut Server, slots: &[(u16, u16)]) -> usize {
    let lazy = s.cfg.lazyfree_lazy_server_del;
    let keys = keys_in(s, slots);
    for k in &keys {
        db_generic_delete(s, 0, k, lazy);
    }
    keys.len()
}
