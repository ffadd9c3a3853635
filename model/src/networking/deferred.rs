//! The deferred-free arrays (src/networking.c @ f36ee257, #13968/#14440 code that #14934 did
//! not change; the untrack in `freeClientIODeferredObjects` exists only under the 14934
//! variant): `io_deferred_objects` (sent
//! references an IO thread kept for main to release) and `deferred_objects` (objects main hands
//! an IO thread to free: only ones it owns outright), and the argv reclaim after a command.
//!
//! Who decrements what (the rule #14738 restored): main drops `io_deferred_objects` at every
//! hand-back, before running anything; an IO thread decrements only what main put in
//! `deferred_objects`, which must be exclusively owned (count 1). Invariants:
//! `COUNT_CONSERVATION`, `REPLY_REFS_ACCOUNTED` (the untrack on main), `CLIENT_OWNERSHIP`.

use crate::client::{Client, Deferred, CLIENT_MAX_DEFERRED_OBJECTS};
use crate::config::Fault;
use crate::ledger::{Holder, Tid};
use crate::object::{Cx, RObj};
use crate::server::Server;
use crate::strategy;

/// `freeClientIODeferredObjects(c, free_array)`: main drops the references an IO thread kept.
/// The untrack here is the natural fix of the #14934 review finding (`untracked-io-release`
/// leaves the entry behind).
pub fn free_client_io_deferred_objects(s: &mut Server, c: &mut Client) {
    let env = s.env();
    let cx = Cx::main(&env);
    for o in std::mem::take(&mut c.io_deferred_objects) {
        if !env.cfg.fault(Fault::UntrackedIoRelease) {
            s.reply_refs_untrack_client(c.id, &o);
        }
        o.decr_ref_count(cx, Holder::IoDeferred(c.id));
    }
    for o in std::mem::take(&mut c.io_released) {
        if !env.cfg.fault(Fault::UntrackedIoRelease) {
            s.reply_refs_untrack_client(c.id, &o);
        }
        strategy::main_saw_release(env.cfg.strategy, &o);
    }
    if env.cfg.fault(Fault::UnlinkPendingEarly) {
        // The precursor of `tryUnlinkClientFromPendingRefReply`: unlink unconditionally.
        s.unlink_pending_ref(c.id);
    }
}

/// `freeClientDeferredObjects(c, 0)`: the IO thread frees what main handed it.
pub fn free_client_deferred_objects(cx: Cx<'_>, c: &mut Client) {
    c.assert_owner(cx.tid);
    for d in std::mem::take(&mut c.deferred_objects) {
        match d {
            Deferred::Robj(o) => o.decr_ref_count(cx, Holder::Deferred(c.id)),
            Deferred::PendingCommand { argv, array } => {
                for o in argv {
                    o.decr_ref_count(cx, Holder::Argv(c.id));
                }
                cx.env.ledger.free(cx.tid, array);
            }
        }
    }
}

/// `tryDeferFreeClientObject(c, ROBJ, obj)`: hand `obj` (held by `holder`) to the client's IO
/// thread to free, or free it now on main.
pub fn try_defer_free_client_object(
    s: &mut Server,
    c: Option<&mut Client>,
    obj: RObj,
    holder: Holder,
) {
    let env = s.env();
    let cx = Cx::main(&env);
    match c {
        Some(c) if c.tid != Tid::Main && c.deferred_objects.len() < CLIENT_MAX_DEFERRED_OBJECTS => {
            env.ledger
                .transfer(Tid::Main, obj.ptr(), holder, Holder::Deferred(c.id));
            c.deferred_objects.push(Deferred::Robj(obj));
        }
        _ => obj.decr_ref_count(cx, holder),
    }
}

/// `freeClientArgv` / `reclaimPendingCommand` (networking.c @ f36ee257): after a command, main
/// drops every argv object with `refcount > 1` itself; the rest of the bundle goes to the
/// client's IO thread, or is freed now when the client lives on main.
pub fn reclaim_pending_command(s: &mut Server, c: &mut Client) {
    let env = s.env();
    let cx = Cx::main(&env);
    let argv: Vec<RObj> = c.argv.drain(..).flatten().collect();
    let Some(array) = c.argv_array.take() else {
        return;
    };
    let on_io = c.tid != Tid::Main && s.cfg.io_threads_num > 1;
    if on_io && c.deferred_objects.len() < CLIENT_MAX_DEFERRED_OBJECTS {
        let mut keep = Vec::new();
        for o in argv {
            if o.refcount(cx) > 1 {
                env.coverage
                    .hit(crate::coverage::Event::SharedArgvReleasedOnMain);
                o.decr_ref_count(cx, Holder::Argv(c.id));
                if env.cfg.fault(Fault::ReclaimKeepsReleasedArgv) {
                    keep.push(o);
                }
            } else {
                keep.push(o);
            }
        }
        c.deferred_objects
            .push(Deferred::PendingCommand { argv: keep, array });
    } else {
        for o in argv {
            o.decr_ref_count(cx, Holder::Argv(c.id));
        }
        env.ledger.free(Tid::Main, array);
    }
}
