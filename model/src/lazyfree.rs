//! Lazy free: what main hands to the BIO thread, and when. Mirrors src/lazyfree.c (@ f36ee257):
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
//! `protectClientReplyObjects`). Invariants protected: `PENDING_REF_REGISTRY` (a client holding
//! references is listed, so FLUSH ASYNC protects it), and through the count gate `LEAK` /
//! `DOUBLE_FREE` / `COUNT_CONSERVATION` (BIO never decrements an object someone else holds).

pub use crate::bio::{Bio, Job};

use crate::client::{Client, ReplyChunk};
use crate::config::Fault;
use crate::env::Env;
use crate::handoff::{pause_and_take_all, put_back_and_resume};
use crate::ledger::{Holder, Tid};
use crate::networking::{
    free_client_io_deferred_objects, try_unlink_client_from_pending_ref_reply,
};
use crate::object::{Cx, ObjType, RObj};
use crate::reclaim;
use crate::server::Server;

/// `LAZYFREE_THRESHOLD`.
pub const LAZYFREE_THRESHOLD: usize = 64;

/// `lazyfreeGetFreeEffort`: list → node count; everything else here is one allocation.
pub fn lazyfree_get_free_effort(o: &RObj) -> usize {
    match o.otype() {
        ObjType::List => o.list_len(),
        ObjType::String => 1,
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
        obj.decr_ref_count(cx, holder);
    }
}

/// `protectClientReplyObjects` (lazyfree.c @ f36ee257), run by main with every IO thread
/// paused: replace each listed client's references by private copies, drain its io-deferred
/// references on main, and unlink it. Afterwards nothing outside the detached keyspace
/// references its objects, so BIO is their sole owner (`PENDING_REF_REGISTRY`).
///
/// Deviation: Redis returns at once when the list is empty; the model always pauses, so that the
/// oracle can check that no unlisted client holds a reference.
pub fn protect_client_reply_objects(s: &mut Server, current: &mut Client) {
    let mut taken = pause_and_take_all(&s.io, &s.main_inbox);
    // Clients parked on main by a socket adapter (`Server::parked`; none in scripted worlds).
    let mut parked = std::mem::take(&mut s.parked);
    let listed = s.clients_with_pending_ref_reply.clone();
    // A client protected by an earlier FLUSHALL ASYNC is unlisted while it still references
    // its private duplicates (count 1, nobody else holds them): only a reference to an object
    // someone else also holds needs the registry. Under epoch every reply reference is an
    // uncounted borrow, so any reference does.
    let counted = reclaim::reply_ref_counts(s.env.cfg.strategy);
    let unlisted = std::iter::once(&mut *current)
        .chain(taken.iter_mut())
        .chain(parked.iter_mut())
        .find(|c| !listed.contains(&c.id) && c.has_shared_refs(counted))
        .map(|c| c.id);
    if let Some(id) = unlisted {
        s.env.ledger.violation(
            Tid::Main,
            crate::invariant::Invariant::PendingRefRegistry,
            &format!("FLUSHALL ASYNC: client {id} holds reply references but is not in clients_with_pending_ref_reply, so they are not protected and BIO would release objects it still uses"),
            None,
        );
    }
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
