//! Transactions: MULTI, EXEC, DISCARD and the queueing step of `processCommand`. Mirrors
//! src/multi.c (`multiCommand`, `discardCommand`, `execCommand`, `queueMultiCommand`,
//! `discardTransaction`, `flagTransaction`, `execCommandAbort`) and the MULTI branch of
//! `processCommand` / `rejectCommand` (server.c @ f36ee257).
//!
//! Which C was read: multi.c's only upstream copy in the stored index is 867d63ca (a 6.x file
//! whose `queueMultiCommand` copies argv with `incrRefCount`); the 8.x queueing, after #14440's
//! pending-command redesign, was read from a secondary source quoting 8.x multi.c (`find_string`
//! id 53797240017): `queueMultiCommand` pops the current `pendingCommand` off the client's list
//! (`popPendingCommandFromHead`), clears `c->current_pending_cmd` and stores the pending command
//! itself in `c->mstate.commands` (no count change: the argv references move); EXEC points
//! `c->argv` at each queued command's argv in turn and calls it, and `discardTransaction` frees
//! the queued pending commands (`freeClientMultiState`: `decrRefCount` of every argv object, on
//! main, whatever their count). The reply paths were checked against redis-server 7.0.15
//! (nested MULTI, EXEC/DISCARD without MULTI, EXECABORT after a rejected command, `EXEC x`
//! aborting with the arity reason), as the differential lane does.
//!
//! What matters for lifetime: a queued command's argv objects stay alive, held by the client's
//! `mstate`, until EXEC (or DISCARD, or freeClient) ends; a command run inside EXEC may turn an
//! argv slot into a counted reference to a stored value (SET's `incrRefCount(*valref)`), which
//! `mstate` then holds until EXEC returns. A FLUSHALL ASYNC later in the same EXEC hands the
//! detached keyspace to BIO while that reference is still held: `protectClientReplyObjects`
//! only protects reply references.
//!
//! Simplified: WATCH/UNWATCH, `CLIENT_DIRTY_CAS`, ACL re-checks at EXEC, propagation of
//! MULTI/EXEC (no AOF or replicas: `alsoPropagate` keeps no copy of argv) and `MONITOR` are not
//! modelled. Main thread only.

use super::{lookup_command, lookup_command_argv, Client, Server};
use crate::client::Queued;
use crate::config::Fault;
use crate::networking::{
    add_reply_array_len, add_reply_bytes, add_reply_error, add_reply_status,
    free_client_multi_state,
};
use crate::object::RObj;

/// `flagTransaction`: a command rejected while a transaction is queued makes EXEC abort.
pub(super) fn flag_transaction(c: &mut Client) {
    if c.multi {
        c.dirty_exec = true;
    }
}

/// `queueMultiCommand(c, cmd_flags)` + `addReply(c, shared.queued)`: nothing is kept once the
/// transaction is dirty (`CLIENT_DIRTY_EXEC`); otherwise the command's argv objects and array
/// move into `mstate` (the client's argv is left empty, so the command's reclaim after it finds
/// nothing to release). `+QUEUED` either way.
pub(super) fn queue_multi_command(s: &mut Server, c: &mut Client) {
    if !c.dirty_exec {
        if s.env.cfg.fault(Fault::MultiQueueKeepsArgv) {
            // The fault: mstate points at the argv, which the pending command still owns.
            if let Some(array) = c.argv_array {
                let argv: Vec<RObj> = c.argv.iter().flatten().cloned().collect();
                c.mstate.push(Queued { argv, array });
            }
        } else if let Some(array) = c.argv_array.take() {
            let argv: Vec<RObj> = c.argv.drain(..).flatten().collect();
            c.mstate.push(Queued { argv, array });
        }
    }
    add_reply_status(s, c, "QUEUED");
}

/// `discardTransaction`: `freeClientMultiState` (every queued argv object released on main),
/// then the client leaves MULTI.
pub(super) fn discard_transaction(s: &mut Server, c: &mut Client) {
    free_client_multi_state(s, c);
    c.multi = false;
    c.dirty_exec = false;
}

/// `execCommandAbort(c, error)`: discard, then `-EXECABORT Transaction discarded because of:
/// <error>` (the rejection's text, without its `ERR `).
pub(super) fn exec_command_abort(s: &mut Server, c: &mut Client, error: &str) {
    discard_transaction(s, c);
    let mut out = b"-EXECABORT Transaction discarded because of: ".to_vec();
    out.extend_from_slice(error.as_bytes());
    out.extend_from_slice(b"\r\n");
    add_reply_bytes(s, c, out);
}

/// `multiCommand` (multi.c): `ERR MULTI calls can not be nested` (which does not flag the
/// transaction), else the client enters MULTI: `+OK`.
pub(super) fn multi(s: &mut Server, c: &mut Client) {
    if c.multi {
        add_reply_error(s, c, "ERR MULTI calls can not be nested");
        return;
    }
    c.multi = true;
    add_reply_status(s, c, "OK");
}

/// `discardCommand` (multi.c): `ERR DISCARD without MULTI`, else discard and `+OK`.
pub(super) fn discard(s: &mut Server, c: &mut Client) {
    if !c.multi {
        add_reply_error(s, c, "ERR DISCARD without MULTI");
        return;
    }
    discard_transaction(s, c);
    add_reply_status(s, c, "OK");
}

/// `execCommand` (multi.c): `ERR EXEC without MULTI`; a dirty transaction is
/// `-EXECABORT Transaction discarded because of previous errors.` and discarded. Otherwise,
/// with `CLIENT_DENY_BLOCKING` set (a flush in the transaction cannot block), the reply is an
/// array of the queued commands' replies: each runs with `c->argv` pointing at its queued argv
/// (`call`, no second lookup or arity check: they passed at queue time), and whatever the
/// command left in its argv (SET leaves a counted reference to the stored kvobj) goes back
/// into `mstate`. Then `discardTransaction` releases it all, on main.
pub(super) fn exec(s: &mut Server, c: &mut Client) {
    if !c.multi {
        add_reply_error(s, c, "ERR EXEC without MULTI");
        return;
    }
    if c.dirty_exec {
        add_reply_error(
            s,
            c,
            "EXECABORT Transaction discarded because of previous errors.",
        );
        discard_transaction(s, c);
        return;
    }
    let old_deny = c.deny_blocking;
    c.deny_blocking = true;
    // EXEC's own argv moves aside (`orig_argv`); the queued commands stay in `mstate`, each
    // lent to `c->argv` while it runs and given back with whatever it left there.
    c.exec_argv = std::mem::take(&mut c.argv);
    let orig_array = c.argv_array.take();
    if !c.mstate.is_empty() {
        s.env.coverage.hit(crate::coverage::Event::QueuedRunByExec);
    }
    add_reply_array_len(s, c, c.mstate.len());
    let mut j = 0;
    while j < c.mstate.len() {
        c.argv = std::mem::take(&mut c.mstate[j].argv)
            .into_iter()
            .map(Some)
            .collect();
        let name = super::arg(s, c, 0);
        let argv1 = (c.argv.len() >= 2).then(|| super::arg(s, c, 1));
        let cmd = lookup_command(&name).and_then(|b| lookup_command_argv(b, argv1.as_deref()));
        if let Some(cmd) = cmd {
            (cmd.handler)(s, c);
        }
        c.mstate[j].argv = c.argv.drain(..).flatten().collect();
        j += 1;
    }
    c.deny_blocking = old_deny;
    c.argv = std::mem::take(&mut c.exec_argv);
    c.argv_array = orig_array;
    discard_transaction(s, c);
}
