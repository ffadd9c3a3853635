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
use crate::holders;
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
        env.coverage.hit(crate::coverage::Event::LazyFreeToBio);
        if obj.otype() == ObjType::Hash {
            env.coverage.hit(crate::coverage::Event::DictHashToBio);
        }
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
/// A listed client is wherever clients are: the one running the flush (`current`), the IO
/// threads' queues and main's inbox (taken while the threads are paused), the clients living on
/// main ([`Server::parked`]: a socket adapter's, or a scripted world's) and the clients blocked
/// by a blocking flush ([`Server::blocked`]); C walks `clients_with_pending_ref_reply`, which
/// reaches them all. The registry of every place a client in hand holds a reference is checked
/// against the ledger first ([`holders::assert_agrees_with_ledger`]).
///
/// The oracle's check that no unlisted client still references a detached object
/// (`PENDING_REF_REGISTRY`) is [`check_detached_keyspace`], made from the ledger's holders after
/// this returns: it needs neither a pause nor any other happens-before edge C lacks.
pub fn protect_client_reply_objects(s: &mut Server, current: &mut Client) {
    let counted = reclaim::reply_ref_counts(s.env.cfg.strategy);
    holders::assert_agrees_with_ledger(&s.env, current, counted);
    if s.clients_with_pending_ref_reply.is_empty() {
        return;
    }
    let mut taken = pause_and_take_all(&s.io, &s.main_inbox);
    let mut parked = std::mem::take(&mut s.parked);
    let mut blocked = std::mem::take(&mut s.blocked);
    for c in taken
        .iter_mut()
        .map(|c| &*c)
        .chain(parked.iter())
        .chain(blocked.iter())
    {
        holders::assert_agrees_with_ledger(&s.env, c, counted);
    }
    let listed = s.clients_with_pending_ref_reply.clone();
    let env = s.env();
    let skip_main = env.cfg.fault(Fault::ProtectSkipsMainClients);
    for id in listed {
        let on_main = |c: &&mut Client| !skip_main && c.id == id;
        let c: &mut Client = if current.id == id {
            &mut *current
        } else if let Some(c) = taken.iter_mut().find(|c| c.id == id) {
            c
        } else if let Some(c) = parked.iter_mut().chain(blocked.iter_mut()).find(on_main) {
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
    s.blocked = blocked;
    put_back_and_resume(&s.io, &s.main_inbox, taken);
}

/// Oracle (not C), `PENDING_REF_REGISTRY`: once `protectClientReplyObjects` has run, no object of
/// the detached keyspace `kvs` may still be held in any place of a client (the holder registry,
/// [`holders::Place`]: reply buffer, io-deferred and deferred arrays, argv), nor borrowed by a
/// client that is not listed (epoch): BIO would free what the client still uses. Read from the
/// ledger's own records: no model step, no scheduling point, no happens-before edge.
pub fn check_detached_keyspace(s: &Server, kvs: &[RObj]) {
    holders::assert_bio_sole_owner(
        &s.env,
        kvs,
        &s.clients_with_pending_ref_reply,
        reclaim::reply_ref_counts(s.env.cfg.strategy),
        s.env.cfg.strategy == crate::config::Strategy::Atomic,
    );
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
    let skip_reply = env.cfg.fault(Fault::ProtectSkipsReply);
    for ch in c.reply.iter_mut().filter(|_| !skip_reply) {
        if let ReplyChunk::BulkRef {
            obj, sent: false, ..
        } = ch
        {
            env.coverage.hit(crate::coverage::Event::ProtectCopiedRef);
            s.reply_refs_untrack_client(id, obj);
            let dup = obj.dup_string(cx, Holder::Reply(id));
            obj.decr_ref_count(cx, Holder::Reply(id));
            s.reply_refs_track_client(id, &dup);
            *obj = dup;
        }
    }
    if !c.io_deferred_objects.is_empty() {
        env.coverage
            .hit(crate::coverage::Event::DeferredDrainedAtProtect);
    }
    if !env.cfg.fault(Fault::ProtectSkipsIoDeferred) {
        free_client_io_deferred_objects(s, c);
    }
    try_unlink_client_from_pending_ref_reply(s, c, true);
}
