//! Lazy free: what main hands to the BIO thread, and when. Mirrors src/lazyfree.c (@ 059f40da,
//! the pin; the #14934 variant's untrack/track in `protectClientReplyObjects` @ f36ee257):
//! `lazyfreeGetFreeEffort`, `freeObjAsync` and `protectClientReplyObjects`. The BIO queue and
//! its job bodies are in [`crate::bio`] (re-exported here), the BIO thread's loop in
//! [`crate::bio_thread`].
//!
//! `free_obj_async` may hand an object to BIO only when the effort is above
//! [`LAZYFREE_THRESHOLD`] **and** its count is 1 (#4601/#4323): BIO then owns it outright. A
//! detached keyspace (FLUSH ASYNC) goes to BIO whole, after `protectClientReplyObjects` made sure
//! no client still references its objects.
//!
//! Who may touch what: main only (it pauses every IO thread before it touches their clients in
//! `protectClientReplyObjects`, when any client is listed). Invariants protected:
//! `PENDING_REF_REGISTRY` (a client holding references is listed, so FLUSH ASYNC protects it;
//! checked on the ledger's holders, [`check_detached_keyspace`]), and through the count gate
//! `LEAK` / `DOUBLE_FREE` / `COUNT_CONSERVATION` (BIO never decrements an object someone else
//! holds).

pub use crate::bio::{Bio, Job};

use crate::client::{Client, ReplyChunk};
use crate::config::Fault;
use crate::env::Env;
use crate::handoff::{pause_and_take_all, put_back_and_resume};
use crate::ledger::{Holder, Tid};
use crate::networking::{
    free_client_io_deferred_objects, try_unlink_client_from_pending_ref_reply,
};
use crate::object::{Cx, Encoding, ObjType, RObj};
use crate::reclaim;
use crate::server::Server;

/// `LAZYFREE_THRESHOLD`.
pub const LAZYFREE_THRESHOLD: usize = 64;

/// `lazyfreeGetFreeEffort` (lazyfree.c @ 059f40da, off=0): a QUICKLIST list → its number of
/// nodes (`ql->len`); an HT hash → its number of fields (`dictSize`); everything else here,
/// a LISTPACK list or hash included, → 1.
pub fn lazyfree_get_free_effort(o: &RObj) -> usize {
    match (o.otype(), o.encoding()) {
        (ObjType::List, Encoding::Quicklist) => o.list_nodes(),
        (ObjType::Hash, Encoding::Ht) => o.hash_len(),
        _ => 1,
    }
}

/// `freeObjAsync(key, obj, dbid)`: queue to BIO when the effort is high and `obj` is owned
/// outright (count 1; [`Fault::BioFreeShared`] drops that clause), else `decrRefCount` now.
pub fn free_obj_async(s: &mut Server, obj: RObj, holder: Holder) {
    let env = s.env();
    let cx = Cx::main(&env);
    let effort = lazyfree_get_free_effort(&obj);
    let owned = env.cfg.fault(Fault::BioFreeShared) || obj.refcount(cx) == 1;
    if effort > LAZYFREE_THRESHOLD && owned {
        env.ledger
            .transfer(Tid::Main, obj.ptr(), holder, Holder::Bio);
        s.bio.submit(Job::FreeObject(obj));
    } else {
        if env.cfg.fault(Fault::BioHeaderWrite) {
            // The fault: BIO is told to touch the header of an object main keeps using (and
            // may free) without a reference.
            s.bio.submit(Job::Touch(obj.clone()));
        }
        obj.decr_ref_count(cx, holder);
    }
}

/// `protectClientReplyObjects` (lazyfree.c @ 059f40da, off=0), run by main: when no client is
/// in `clients_with_pending_ref_reply` it returns at once (no pause); otherwise, with IO
/// threads, it pauses them all, replaces each listed client's references by private copies,
/// drains its io-deferred references on main and unlinks it, then resumes. Afterwards nothing
/// outside the detached keyspace references its objects, so BIO is their sole owner.
///
/// The oracle's check that no unlisted client still references a detached object
/// (`PENDING_REF_REGISTRY`) is [`check_detached_keyspace`], made from the ledger's holders after
/// this returns: it needs neither a pause nor any other happens-before edge C lacks.
pub fn protect_client_reply_objects(s: &mut Server, current: &mut Client) {
    if s.clients_with_pending_ref_reply.is_empty() {
        return;
    }
    let mut taken = pause_and_take_all(&s.io, &s.main_inbox);
    // Clients parked on main by a socket adapter (`Server::parked`; none in scripted worlds).
    let mut parked = std::mem::take(&mut s.parked);
    let listed = s.clients_with_pending_ref_reply.clone();
    let env = s.env();
    for id in listed {
        let c: &mut Client = if current.id == id {
            &mut *current
        } else if let Some(c) = taken
            .iter_mut()
            .chain(parked.iter_mut())
            .find(|c| c.id == id)
        {
            c
        } else {
            continue;
        };
        let saved = c.running_tid;
        c.running_tid = Tid::Main;
        protect_one(s, &env, c);
        c.running_tid = saved;
    }
    s.parked = parked;
    put_back_and_resume(&s.io, &s.main_inbox, taken);
}

/// Oracle (not C), `PENDING_REF_REGISTRY`: once `protectClientReplyObjects` has run, no object of
/// the detached keyspace `kvs` may still be held by a reply or an io-deferred array (counted
/// strategies) or borrowed by a client that is not listed (epoch): such a client was not in
/// `clients_with_pending_ref_reply`, so BIO would free what it still uses. Read from the
/// ledger's own records: no model step, no scheduling point, no happens-before edge.
pub fn check_detached_keyspace(s: &Server, kvs: &[RObj]) {
    let counted = reclaim::reply_ref_counts(s.env.cfg.strategy);
    for kv in kvs {
        let (holders, borrowers) = s.env.ledger.holders(kv.ptr());
        let unprotected = holders
            .iter()
            .filter(|h| counted && matches!(h, Holder::Reply(_) | Holder::IoDeferred(_)))
            .chain(borrowers.iter().filter(
                |h| matches!(h, Holder::Reply(c) if !s.clients_with_pending_ref_reply.contains(c)),
            ))
            .find_map(|h| match h {
                Holder::Reply(c) | Holder::IoDeferred(c) => Some(*c),
                _ => None,
            });
        if let Some(id) = unprotected {
            s.env.ledger.violation(
                Tid::Main,
                crate::invariant::Invariant::PendingRefRegistry,
                &format!("FLUSHALL/FLUSHDB ASYNC: client {id} holds a reply reference to {} of the detached keyspace but was not in clients_with_pending_ref_reply, so it was not protected and BIO would release an object it still uses", kv.ptr()),
                Some(kv.ptr()),
            );
        }
    }
}

fn protect_one(s: &mut Server, env: &std::sync::Arc<Env>, c: &mut Client) {
    if !reclaim::reply_ref_counts(env.cfg.strategy) {
        // Epoch (not Redis): a borrow needs no copy; BIO's frees are retired and wait for the
        // client's pin, which stays (the client stays listed).
        free_client_io_deferred_objects(s, c);
        return;
    }
    let cx = Cx::main(env);
    let id = c.id;
    for ch in c.reply.iter_mut() {
        if let ReplyChunk::BulkRef {
            obj, sent: false, ..
        } = ch
        {
            s.reply_refs_untrack_client(id, obj);
            let dup = obj.dup_string(cx, Holder::Reply(id));
            obj.decr_ref_count(cx, Holder::Reply(id));
            s.reply_refs_track_client(id, &dup);
            *obj = dup;
        }
    }
    free_client_io_deferred_objects(s, c);
    try_unlink_client_from_pending_ref_reply(s, c, true);
}
