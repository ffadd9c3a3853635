//! Every place a client can hold a counted reference, in one registry, and the checks that use
//! it. Not Redis: the oracle's view of `client` (src/server.h) and of the places Redis keeps
//! objects on a client's behalf.
//!
//! [`Place`] lists the places; [`client_refs`] visits every reference a client holds, place by
//! place; [`Place::holder`] is the ledger holder each place records. Every check about who holds
//! a reference goes through them:
//!
//! - **the pending-reference registry and protection before BIO** (`PENDING_REF_REGISTRY`):
//!   once `protectClientReplyObjects` ran, no object of the detached keyspace FLUSH ASYNC hands
//!   to BIO may have a client holder left in any place, whether the client was listed in
//!   `clients_with_pending_ref_reply` and protection missed a place, or was not listed at all
//!   (the ledger's holders find it wherever it is: the flushing client, the IO threads' queues,
//!   main's inbox, the clients living on main or blocked there) ([`assert_bio_sole_owner`]);
//! - **count conservation through the ledger's holders** (`COUNT_CONSERVATION`): the references
//!   the registry finds on a client are exactly the ledger's holders naming it
//!   ([`assert_agrees_with_ledger`], when the client is freed and when FLUSH ASYNC protects),
//!   and a freed client holds nothing any more ([`assert_released`]).
//!
//! A later path that keeps objects on a client (queued MULTI commands, a blocked client's
//! keys, …) adds a [`Place`] (with its ledger [`Holder`]) and visits it in [`client_refs`]; the
//! match in [`Place::of_holder`] does not compile until a new client holder has its place, and
//! the agreement check fails while a place holds references the registry does not visit.
//!
//! Each place has a negative control: a fault that makes the model forget it
//! (`protect-skips-reply`, `protect-skips-io-deferred`, `free-client-skips-deferred`,
//! `reclaim-keeps-released-argv`), and `protect-skips-main-clients` for a place a *client* can
//! be in.

use crate::client::{Client, Deferred, PendingCmd, ReplyChunk};
use crate::env::Env;
use crate::invariant::Invariant;
use crate::ledger::{Holder, Ptr, Tid};
use crate::robj::RObj;

/// A place where a client holds a counted reference.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Place {
    /// A bulk-string reference in the reply buffer (Reply Copy Avoidance), not yet released.
    Reply,
    /// `io_deferred_objects`: sent references an IO thread kept for main to release.
    IoDeferred,
    /// `deferred_objects` (`DEFERRED_OBJECT_TYPE_ROBJ`): objects main handed the IO thread to
    /// free.
    Deferred,
    /// `deferred_objects` (`DEFERRED_OBJECT_TYPE_PENDING_COMMAND`): a finished command's argv
    /// objects, for the IO thread to free.
    DeferredCommand,
    /// `argv` of the command being run (and, while EXEC runs the queued commands, EXEC's own).
    Argv,
    /// `mstate`: the argv of the commands a transaction queued, held until
    /// `discardTransaction` (while EXEC runs them too: a command run inside EXEC may leave a
    /// counted reference to a stored value there, as SET does).
    Queued,
}

impl Place {
    /// Every place, in report order.
    pub const ALL: [Place; 6] = [
        Place::Reply,
        Place::IoDeferred,
        Place::Deferred,
        Place::DeferredCommand,
        Place::Argv,
        Place::Queued,
    ];

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Place::Reply => "reply buffer",
            Place::IoDeferred => "io_deferred_objects",
            Place::Deferred => "deferred_objects",
            Place::DeferredCommand => "deferred pending command",
            Place::Argv => "argv",
            Place::Queued => "queued argv (mstate)",
        }
    }

    /// The ledger holder a reference in this place of client `id` records.
    pub fn holder(self, id: u64) -> Holder {
        match self {
            Place::Reply => Holder::Reply(id),
            Place::IoDeferred => Holder::IoDeferred(id),
            Place::Deferred => Holder::Deferred(id),
            Place::DeferredCommand | Place::Argv | Place::Queued => Holder::Argv(id),
        }
    }

    /// The client a ledger holder names, if it is a client's (its place, up to the argv
    /// ambiguity: a pending command's argv records the same holder as the current argv).
    pub fn of_holder(h: &Holder) -> Option<(Place, u64)> {
        // Exhaustive on purpose: a new holder must say whether it is a client's place.
        match h {
            Holder::Reply(c) => Some((Place::Reply, *c)),
            Holder::IoDeferred(c) => Some((Place::IoDeferred, *c)),
            Holder::Deferred(c) => Some((Place::Deferred, *c)),
            Holder::Argv(c) => Some((Place::Argv, *c)),
            Holder::Keyspace | Holder::Bio | Holder::Temp => None,
        }
    }
}

/// Visit every counted reference client `c` holds, with its place. `counted_replies`: whether
/// reply references are counted (under the epoch strategy, not Redis, they are uncounted
/// borrows, which the ledger does not list as holders).
pub fn client_refs(c: &Client, counted_replies: bool, mut f: impl FnMut(Place, &RObj)) {
    if counted_replies {
        for ch in &c.reply {
            // A reference written and released but left in the buffer (`keep-sent-ref`) is
            // no longer held.
            if let ReplyChunk::BulkRef {
                obj, sent: false, ..
            } = ch
            {
                f(Place::Reply, obj);
            }
        }
    }
    for o in &c.io_deferred_objects {
        f(Place::IoDeferred, o);
    }
    for d in &c.deferred_objects {
        match d {
            Deferred::Robj(o) => f(Place::Deferred, o),
            Deferred::PendingCommand { argv, .. } => {
                for o in argv {
                    f(Place::DeferredCommand, o);
                }
            }
        }
    }
    for o in c.argv.iter().chain(&c.exec_argv).flatten() {
        f(Place::Argv, o);
    }
    for o in c.mstate.iter().flat_map(|q| &q.argv) {
        f(Place::Queued, o);
    }
    // Commands parsed ahead (`pending_cmds`) hold their argv objects as argv too.
    for p in &c.pending_cmds {
        if let PendingCmd::Argv { argv, .. } = p {
            for o in argv {
                f(Place::Argv, o);
            }
        }
    }
}

/// Protection before BIO (`PENDING_REF_REGISTRY`): no object of a detached keyspace handed to
/// BIO has a client holder left in any [`Place`] (`protectClientReplyObjects` replaced or
/// released them all, for every client in `listed`), and, with uncounted reply borrows (epoch),
/// none is borrowed by a client that is not listed. Read from the ledger's records, which know
/// every holder wherever its client is (the flushing client, an IO thread's queue, main's
/// inbox, a client living on main or blocked there), so an unlisted client is found without
/// pausing anything.
///
/// A command's argv (or a transaction's queued argv) holds a *counted* reference, which BIO's
/// release does not break when the count is an atomic read-modify-write (`atomic_count`: the
/// atomic strategy, not Redis): the last of the two decrements frees. With Redis's plain count
/// word it is a race (finding `exec-flushall-async-argv`).
pub fn assert_bio_sole_owner(
    env: &Env,
    objects: &[RObj],
    listed: &[u64],
    counted_replies: bool,
    atomic_count: bool,
) {
    for o in objects {
        let (holders, borrowers) = env.ledger.holders(o.ptr());
        let held = holders
            .iter()
            .find_map(Place::of_holder)
            .filter(|(p, _)| !(atomic_count && *p == Place::Argv));
        let borrowed = borrowers
            .iter()
            .filter(|_| !counted_replies)
            .find_map(Place::of_holder)
            .filter(|(_, id)| !listed.contains(id));
        if let Some((place, id)) = held.or(borrowed) {
            let why = if place == Place::Argv {
                "protectClientReplyObjects protects reply references only, not a command's argv nor a transaction's queued argv (mstate)"
            } else if listed.contains(&id) {
                "protectClientReplyObjects left it"
            } else {
                "the client was not in clients_with_pending_ref_reply, so it was not protected"
            };
            env.ledger.violation(
                Tid::Main,
                Invariant::PendingRefRegistry,
                &format!(
                    "FLUSH ASYNC hands {} to BIO while client {id} still holds it in its {} ({why}): BIO would free it under the client",
                    o.ptr(),
                    place.name()
                ),
                Some(o.ptr()),
            );
        }
    }
}

/// `COUNT_CONSERVATION`: the references the registry finds on `c` are exactly the ledger's
/// holders naming `c` (as multisets of holder and object).
pub fn assert_agrees_with_ledger(env: &Env, c: &Client, counted_replies: bool) {
    let mut mine: Vec<(Ptr, Holder)> = Vec::new();
    client_refs(c, counted_replies, |p, o| {
        mine.push((o.ptr(), p.holder(c.id)))
    });
    let mut ledger = env
        .ledger
        .holders_where(|h| Place::of_holder(h).is_some_and(|(_, id)| id == c.id));
    if !counted_replies {
        ledger.retain(|(_, h)| !matches!(h, Holder::Reply(_)));
    }
    let key = |x: &(Ptr, Holder)| (x.0.id, format!("{}", x.1));
    mine.sort_by_key(key);
    ledger.sort_by_key(key);
    if mine == ledger {
        return;
    }
    let extra = ledger.iter().find(|x| !mine.contains(x));
    let (what, (ptr, h)) = match extra {
        Some(x) => ("the ledger records", *x),
        None => (
            "the client holds, the ledger does not record,",
            mine.iter()
                .find(|x| !ledger.contains(x))
                .cloned()
                .unwrap_or((Ptr::NONE, Holder::Temp)),
        ),
    };
    env.ledger.violation(
        Tid::Main,
        Invariant::CountConservation,
        &format!(
            "client {}: {what} a reference to {ptr} by {h} that the other side does not (registry: {} reference(s), ledger: {})",
            c.id,
            mine.len(),
            ledger.len()
        ),
        Some(ptr),
    );
}

/// `COUNT_CONSERVATION`: once client `id` is freed, no object counts a holder of it.
pub fn assert_released(env: &Env, id: u64) {
    let left = env
        .ledger
        .holders_where(|h| Place::of_holder(h).is_some_and(|(_, c)| c == id));
    if let Some((ptr, h)) = left.first() {
        env.ledger.violation(
            Tid::Main,
            Invariant::CountConservation,
            &format!(
                "client {id} was freed but {ptr} still counts {h} among its holders: the count can never reach 0"
            ),
            Some(*ptr),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_client_holder_has_a_place_and_back() {
        for p in Place::ALL {
            let h = p.holder(7);
            let (q, id) = Place::of_holder(&h).expect("a client's holder");
            assert_eq!(id, 7);
            // The argv of a pending command records the current argv's holder.
            assert_eq!(q.holder(7), h);
        }
        for h in [Holder::Keyspace, Holder::Bio, Holder::Temp] {
            assert!(Place::of_holder(&h).is_none());
        }
    }
}
