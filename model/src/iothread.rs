//! The thread bodies of IO threads and of main's loop: what each side does with a client it
//! receives. Mirrors src/iothread.c (not stored at the pin; read at 051a9359, later, which adds
//! per-thread allocator slots and changes no hand-off) and the client hand-back in networking.c. The
//! queues themselves, and the pause protocol, are the server's data ([`crate::handoff`],
//! re-exported here).
//!
//! A client moves between threads **by value** through a shim mutex-protected queue
//! ([`IoInbox`], [`MainInbox`]); that move is the happens-before edge Redis gets from its
//! pending-client lists and event notifier, and Rust's ownership enforces `running_tid`
//! (`CLIENT_OWNERSHIP`). The main thread may take an IO thread's clients only after pausing it
//! (`pauseIOThread`).
//!
//! Order of work (the part that makes #14738 possible):
//! - IO side ([`io_handle_client`]): free what main deferred to it (`freeClientDeferredObjects`),
//!   write the reply (reading referenced strings, deferring their release), then read the next
//!   request and hand the client to main;
//! - main side ([`main_handle_client`]): drop what the IO thread kept
//!   (`freeClientIODeferredObjects`) *before* running anything, run the command, reclaim argv,
//!   hand the client back.
//!
//! Pipelined requests (#14440, lookahead): the IO thread parses up to [`LOOKAHEAD`] commands that
//! one read brought ([`parse_ahead`]: argv objects created on the IO thread); main runs the
//! first, then every other command parsed ahead, then parses and runs what is left in the query
//! buffer itself ([`process_input_on_main`]: `processPendingCommandAndInputBuffer` →
//! `processInputBuffer` on main), all in one visit, reclaiming each command's argv after it
//! ran (`reclaimPendingCommand`).
//!
//! Simplified: one queue into main for all IO threads; main parses what is left one command at
//! a time (C parses up to `lookahead` at a time on main too; only the order of allocations
//! differs); the socket is read once per visit, when no complete command is buffered.

pub use crate::handoff::{Completion, Event, IoInbox, MainInbox};

use crate::client::{Client, HandIn, PendingCmd};
use crate::commands::process_command;
use crate::config::Fault;
use crate::coverage::Event as Cov;
use crate::env::Env;
use crate::ledger::{AllocKind, ClientPart, Holder, Label, Tid};
use crate::networking::{
    free_client, free_client_deferred_objects, free_client_io_deferred_objects,
    reclaim_pending_command, try_unlink_client_from_pending_ref_reply, write_to_client,
};
use crate::object::{Bytes, Cx, RObj};
use crate::resp::ParseResult;
use crate::server::{Logged, Server};

/// Build argv objects for `args` on the reading thread (`Argv` holders) and the argv array:
/// `createStringObject` (EMBSTR up to 44 bytes, RAW above) for a multibulk request, always RAW
/// for an inline one (`processInlineBuffer`: `createObject(OBJ_STRING, sds)`; networking.c @
/// f36ee257 off=112000, not part of #14934).
fn set_argv(cx: Cx<'_>, c: &mut Client, args: Vec<Vec<u8>>, inline: bool) {
    let array = cx.env.ledger.alloc(
        cx.tid,
        AllocKind::Argv,
        8 * args.len().max(1),
        Label::Client(ClientPart::Argv, c.id),
        None,
    );
    c.argv = args
        .into_iter()
        .map(|a| {
            Some(if inline {
                RObj::create_raw_string_owned(cx, Bytes::from(a), Holder::Argv(c.id))
            } else {
                RObj::create_string_owned(cx, a, Holder::Argv(c.id))
            })
        })
        .collect();
    c.argv_array = Some(array);
}

/// `REDIS_DEFAULT_LOOKAHEAD` (server.h @ 059f40da off=0): how many commands
/// `processInputBuffer` parses ahead.
pub const LOOKAHEAD: usize = 16;

/// Install a parsed-ahead command as the current one (`c->argv = curcmd->argv`).
fn install(c: &mut Client, p: PendingCmd) {
    match p {
        PendingCmd::Argv { argv, array } => {
            c.argv = argv.into_iter().map(Some).collect();
            c.argv_array = Some(array);
        }
        PendingCmd::Error(msg) => c.protocol_error = Some(msg),
    }
}

/// Parse the next command (`processInputBuffer`, one step): the next one parsed ahead if any,
/// else one out of the query buffer; `true` when one is ready (or a protocol error), `false`
/// when the buffer holds no complete command.
pub fn parse_query(cx: Cx<'_>, c: &mut Client) -> bool {
    if let Some(p) = c.pending_cmds.pop_front() {
        install(c, p);
        return true;
    }
    let r = c.parser.parse(&mut c.querybuf);
    take_parsed(cx, c, r)
}

/// What a parse step gave: the command's argv built, or the protocol error kept (`true`), or
/// nothing yet (`false`).
fn take_parsed(cx: Cx<'_>, c: &mut Client, r: ParseResult) -> bool {
    match r {
        ParseResult::Command(args) => {
            let inline = c.parser.last_was_inline();
            set_argv(cx, c, args, inline);
            true
        }
        ParseResult::ProtocolError(msg) => {
            c.protocol_error = Some(msg);
            true
        }
        ParseResult::Incomplete => false,
    }
}

/// The lookahead of `processInputBuffer` (networking.c @ f36ee257 off=144000) once a command
/// is ready: parse up to [`LOOKAHEAD`] − 1 more out of what is already buffered (no new read)
/// into `pending_cmds`, stopping at an incomplete one or after a protocol error (kept as the
/// pending command's `read_error`).
pub fn parse_ahead(cx: Cx<'_>, c: &mut Client) {
    if c.protocol_error.is_some() {
        return;
    }
    while c.pending_cmds.len() + 1 < LOOKAHEAD && !c.querybuf.is_empty() {
        let cur = (std::mem::take(&mut c.argv), c.argv_array.take());
        let parsed = match c.parser.parse(&mut c.querybuf) {
            ParseResult::Command(args) => {
                let inline = c.parser.last_was_inline();
                set_argv(cx, c, args, inline);
                let argv = c.argv.drain(..).flatten().collect();
                let array = c.argv_array.take().expect("argv array just set");
                Some(PendingCmd::Argv { argv, array })
            }
            ParseResult::ProtocolError(msg) => Some(PendingCmd::Error(msg)),
            ParseResult::Incomplete => None,
        };
        (c.argv, c.argv_array) = cur;
        match parsed {
            Some(p @ PendingCmd::Error(_)) => {
                c.pending_cmds.push_back(p);
                return;
            }
            Some(p) => c.pending_cmds.push_back(p),
            None => return,
        }
    }
}

/// A socket read of `more`, then [`parse_query`]. When the query buffer is empty the read is
/// parsed where it is and only what the parser leaves becomes the query buffer: the same
/// bytes, the same parse (the parser is incremental), without copying a 64 KiB request into
/// the buffer first.
fn read_and_parse(cx: Cx<'_>, c: &mut Client, more: Bytes) -> bool {
    if c.querybuf.is_empty() {
        let (r, used) = c.parser.parse_from(&more);
        c.querybuf.extend_from_slice(&more[used..]);
        take_parsed(cx, c, r)
    } else {
        c.querybuf.extend_from_slice(&more);
        parse_query(cx, c)
    }
}

/// Read requests until one command is complete, then parse ahead what the same read brought;
/// `true` when one is ready (or a protocol error). Returns `false` when the peer has nothing
/// more to send (the connection closes).
pub fn read_query(cx: Cx<'_>, c: &mut Client) -> bool {
    while !parse_query(cx, c) {
        let Some(more) = c.script.pop_front() else {
            return false;
        };
        if read_and_parse(cx, c, more) {
            break;
        }
    }
    parse_ahead(cx, c);
    true
}

/// The rest of `processInputBuffer` on main after the handed-in command ran: run every command
/// parsed ahead, then parse (on main) and run what the query buffer still holds, until the
/// client blocks, must close, or no complete command is left. A command the socket adapter
/// answers itself ([`Server::adapter_command`]) is left for it, first in `pending_cmds`.
pub fn process_input_on_main(s: &mut Server, c: &mut Client) {
    let env = s.env();
    let cx = Cx::main(&env);
    let mut counted = false;
    loop {
        if c.blocked || c.close_after_reply || c.close_asap {
            return;
        }
        if c.pending_cmds.is_empty() && c.querybuf.is_empty() {
            return;
        }
        if !counted && !c.pending_cmds.is_empty() {
            // A command parsed ahead runs in this visit (coverage only).
            counted = true;
            env.coverage
                .hit(crate::coverage::Event::PipelineRunInOneVisit);
        }
        if !parse_query(cx, c) {
            return;
        }
        if let Some(is_adapters) = s.adapter_command {
            let name = c
                .argv
                .first()
                .and_then(|a| a.as_ref())
                .map(RObj::peek_bytes);
            if name.is_some_and(|n| is_adapters(&n)) {
                let argv = c.argv.drain(..).flatten().collect();
                let array = c.argv_array.take().expect("a parsed command's argv array");
                c.pending_cmds.push_front(PendingCmd::Argv { argv, array });
                return;
            }
        }
        execute(s, c);
        crate::strategy::collect(s);
    }
}

/// What an IO thread does with a client it received (see the module doc). Main handed it
/// over with `running_tid` set to this thread (`CLIENT_OWNERSHIP`).
pub fn io_handle_client(cx: Cx<'_>, c: &mut Client) {
    c.assert_owner(cx.tid);
    if !c.deferred_objects.is_empty() {
        cx.env.coverage.hit(Cov::DeferredFreedOnIo);
    }
    free_client_deferred_objects(cx, c);
    let before = c.sent.len();
    let done = write_to_client(cx, None, c);
    c.stalled = !done && c.sent.len() == before;
    c.hand_in = if !done && c.peer_gone() {
        // The read handler sees end-of-file although replies are pending: main frees the
        // client with them (`handleClientReadError`).
        HandIn::Close
    } else if !done {
        HandIn::Cron
    } else if c.close_after_reply || !read_query(cx, c) {
        HandIn::Close
    } else {
        HandIn::Command
    };
}

/// The IO thread's loop: serve clients until shut down.
pub fn io_thread_main(env: &Env, n: u8, inbox: &IoInbox, main: &MainInbox) {
    /// On a panic (an invariant broke on this thread), wake main wherever it waits for this
    /// thread (its hand-backs, a pause), so the run ends and the panic is re-raised at join.
    struct WakeMainOnPanic<'a>(&'a MainInbox, &'a IoInbox);
    impl Drop for WakeMainOnPanic<'_> {
        fn drop(&mut self) {
            if std::thread::panicking() {
                self.0.abort();
                self.1.die();
            }
        }
    }
    let _wake = WakeMainOnPanic(main, inbox);
    let cx = Cx {
        env,
        tid: Tid::Io(n),
    };
    while let Some(mut c) = inbox.recv() {
        // From taking the client to handing it back, this thread is "writing" for coverage
        // (BIO freeing meanwhile is an event).
        env.coverage.io_writing(true);
        io_handle_client(cx, &mut c);
        env.ledger.hand_off(cx.tid, c.ptr, Tid::Main);
        main.send(c);
        env.coverage.io_writing(false);
    }
}

/// Run the parsed command (or report the protocol error) on main.
pub fn execute(s: &mut Server, c: &mut Client) {
    if let Some(log) = s.cmd_log.as_mut() {
        // Oracle: the request as received, before the command edits its argv.
        if let Some(msg) = &c.protocol_error {
            log.push(Logged::ProtocolError {
                client: c.id,
                msg: msg.clone(),
            });
        } else if !c.argv.is_empty() {
            log.push(Logged::Command {
                client: c.id,
                argv: c
                    .argv
                    .iter()
                    .map(|a| a.as_ref().map(RObj::peek_bytes).unwrap_or_default())
                    .collect(),
                now_ms: s.now_ms + 1,
            });
        }
    }
    if let Some(msg) = c.protocol_error.take() {
        let mut out = Vec::with_capacity(msg.len() + 3);
        out.push(b'-');
        out.extend_from_slice(&msg);
        out.extend_from_slice(b"\r\n");
        crate::networking::add_reply_bytes(s, c, out);
        c.close_after_reply = true;
        return;
    }
    if !c.argv.is_empty() {
        s.now_ms += 1;
        process_command(s, c);
        // A quiescent point of main: `USED_MEMORY` (after the clients a kill asked for are freed).
        free_killed_clients(s);
        s.env.ledger.check_used_memory(Tid::Main);
    }
    if c.blocked {
        // `CLIENT_PENDING_COMMAND`: the argv stays until the client is unblocked.
        keep_client_in_main_thread(s, c);
        return;
    }
    reclaim_pending_command(s, c);
}

/// `keepClientInMainThread` (iothread.c @ 051a9359, off=0): a client that must stay on main (here:
/// blocked by a blocking flush) is rebound to main: `tid = main`, the objects main deferred to
/// its IO thread are freed **on main** and the array released (`freeClientDeferredObjects(c,
/// 1)`), then its io-deferred references, then the pending-ref unlink. Its IO thread is
/// remembered to reassign it later.
pub fn keep_client_in_main_thread(s: &mut Server, c: &mut Client) {
    if c.tid == Tid::Main {
        return;
    }
    let env = s.env();
    c.kept_from = Some(c.tid);
    c.tid = Tid::Main;
    s.set_client_tid(c.id, Tid::Main);
    free_client_deferred_objects(Cx::main(&env), c);
    if let Some(a) = c.deferred_array.take() {
        env.ledger.free(Tid::Main, a);
    }
    free_client_io_deferred_objects(s, c);
    try_unlink_client_from_pending_ref_reply(s, c, false);
}

/// `kvsAsyncFreeDoneCB` → `unblockClientForAsyncFlush(id, slots)` (db.c @ 059f40da, off=44000),
/// on main once BIO ran the completion request (or the active trim ended): the reply (`+OK`,
/// or an SFLUSH's flushed ranges), unblock, the pending command is done (`commandProcessed`:
/// argv reclaimed, on main), then (`beforeSleep` → `assignClientToIOThread`) a client kept
/// from an IO thread gets its `deferred_objects` array back and returns to that thread.
pub fn unblock_client_for_async_flush(
    s: &mut Server,
    c: &mut Client,
    slots: Option<&[(u16, u16)]>,
) {
    c.blocked = false;
    match slots {
        Some(r) => crate::commands::reply_slots_flush(s, c, r),
        None => crate::networking::add_reply_status(s, c, "OK"),
    }
    reclaim_pending_command(s, c);
    if let Some(t) = c.kept_from.take() {
        c.tid = t;
        s.set_client_tid(c.id, t);
        c.deferred_array = Some(s.env.ledger.alloc(
            Tid::Main,
            AllocKind::DeferredArray,
            32 * 16,
            format!("deferred_objects of client {}", c.id),
            None,
        ));
    }
}

/// The callback of a completion request main took (`kvsAsyncFreeDoneCB` /
/// `activeTrimJobFreeMethod` → `unblockClientForAsyncFlush`) for a client other than one main
/// holds: `lookupClientByID`; a client that no longer exists (freed while blocked) or is not
/// blocked is left alone. Returns the client when it was unblocked (the caller sends it
/// back). [`Fault::FlushDoneStaleClient`] skips the lookup and writes to the freed client.
pub fn complete_blocked(s: &mut Server, done: &Completion) -> Option<Client> {
    if done.client == 0 {
        return None;
    }
    let Some(i) = s.blocked.iter().position(|c| c.id == done.client) else {
        if s.env.cfg.fault(Fault::FlushDoneStaleClient) {
            if let Some(&(_, ptr)) = s.freed_ptrs.iter().find(|(id, _)| *id == done.client) {
                s.env.ledger.read(
                    Tid::Main,
                    ptr,
                    "unblockClientForAsyncFlush's reply to its client",
                );
            }
        }
        return None;
    };
    let mut c = s.blocked.remove(i);
    unblock_client_for_async_flush(s, &mut c, done.slots.as_deref());
    Some(c)
}

/// Main's cron, run after every event of its loop (`serverCron` / `beforeSleep` parts):
/// the active expire cycle ([`crate::commands::active_expire_cycle`]) and the active slot trim
/// ([`crate::cluster_asm::asm_active_trim_cycle`]), whose finished jobs unblock their clients.
/// Returns the clients unblocked (the caller sends them back to their threads).
pub fn cron(s: &mut Server) -> Vec<Client> {
    crate::commands::active_expire_cycle(s);
    let done = crate::cluster_asm::asm_active_trim_cycle(s);
    done.iter().filter_map(|d| complete_blocked(s, d)).collect()
}

/// Main waits for client `c`'s blocking flush when no BIO thread serves the queue: it runs the
/// queued lazy-free jobs itself, as BIO, and the active trim, until a completion names `c`
/// (or, when a BIO thread took the jobs, waits for it), then unblocks `c`. Completions that
/// name other clients run their callbacks. Returns `false` when no completion can name `c`
/// any more: it stays blocked (as Redis leaves such a client).
pub fn finish_blocking_flush_inline(s: &mut Server, c: &mut Client) -> bool {
    let env = s.env();
    loop {
        let mut found = None;
        while let Some(d) = s.main_inbox.try_flush_done() {
            s.completions_pending -= 1;
            if d.client == c.id {
                found = Some(d);
                break;
            }
            if let Some(other) = complete_blocked(s, &d) {
                s.blocked.push(other);
            }
        }
        let active = crate::cluster_asm::asm_active_trim_cycle(s);
        for d in active {
            if d.client == c.id {
                found = Some(d);
            } else if let Some(other) = complete_blocked(s, &d) {
                s.blocked.push(other);
            }
        }
        if let Some(d) = found {
            unblock_client_for_async_flush(s, c, d.slots.as_deref());
            return true;
        }
        if !s.bio.step(&env) {
            if s.completions_pending == 0 {
                return false;
            }
            // A BIO thread took the queued jobs (a server that runs one without marking the
            // queue threaded): wait for its completion.
            s.main_inbox.wait_flush_done();
        }
    }
}

/// `freeClient` of the clients CLIENT KILL matched, right after the command: each is found
/// where it is (blocked or parked on main, else fetched from its IO thread with that thread
/// paused: `fetchClientFromIOThread`) and freed on main (`freeClient`: `unblockClient` first
/// for a blocked one). A client already gone is skipped.
pub fn free_killed_clients(s: &mut Server) {
    for id in std::mem::take(&mut s.kill_requests) {
        let Some(mut c) = take_client(s, id) else {
            continue;
        };
        c.running_tid = Tid::Main;
        c.blocked = false;
        // Main's loop counts the clients of IO threads it waits for (a blocked one is kept
        // from its thread); a client living on main is not among them.
        let of_io = matches!(c.kept_from.unwrap_or(c.tid), Tid::Io(_));
        crate::strategy::collect(s);
        free_client(s, c);
        if of_io {
            s.freed_elsewhere += 1;
        }
        if !s.closed_early.contains(&id) {
            s.closed_early.push(id);
        }
    }
}

/// Take client `id` out of wherever main can reach it: blocked or parked on main, or in its IO
/// thread's queues ([`crate::handoff::fetch_client`]).
fn take_client(s: &mut Server, id: u64) -> Option<Client> {
    if let Some(i) = s.blocked.iter().position(|c| c.id == id) {
        return Some(s.blocked.remove(i));
    }
    if let Some(i) = s.parked.iter().position(|c| c.id == id) {
        return Some(s.parked.remove(i));
    }
    match s.client_entry(id)?.tid {
        Tid::Io(n) => crate::handoff::fetch_client(&s.io[n as usize - 1], &s.main_inbox, id),
        _ => None,
    }
}

/// What main does with a client handed in (`processClientsFromIOThread`). Returns the client
/// when it goes back to its IO thread (or, blocked by a flush while a BIO thread runs, when main
/// keeps it: `blocked` set), `None` when it was freed.
pub fn main_handle_client(s: &mut Server, mut c: Client) -> Option<Client> {
    c.running_tid = Tid::Main;
    if !c.io_deferred_objects.is_empty() {
        s.env.coverage.hit(Cov::IoDeferredDrainedAtHandBack);
    }
    free_client_io_deferred_objects(s, &mut c);
    try_unlink_client_from_pending_ref_reply(s, &c, false);
    crate::strategy::collect(s);
    if c.stalled {
        // The IO cron brings a client to main about once a second; its peer took nothing.
        s.now_ms += 1000;
    } else {
        c.lastinteraction_ms = s.now_ms;
    }
    if c.hand_in != HandIn::Close && crate::timeout::clients_cron_handle_timeout(s, &c) {
        if !s.closed_early.contains(&c.id) {
            s.closed_early.push(c.id);
        }
        free_client(s, c);
        return None;
    }
    match c.hand_in {
        HandIn::Close => {
            free_client(s, c);
            return None;
        }
        HandIn::Cron => {}
        HandIn::Command => {
            execute(s, &mut c);
            crate::strategy::collect(s);
            loop {
                if c.blocked && (s.bio.threaded() || !finish_blocking_flush_inline(s, &mut c)) {
                    // Kept on main until a completion names it in main's loop.
                    return Some(c);
                }
                process_input_on_main(s, &mut c);
                if !c.blocked {
                    break;
                }
            }
        }
    }
    if c.close_asap {
        free_client(s, c);
        return None;
    }
    if !s.env.cfg.fault(Fault::MainKeepsOwnership) {
        c.running_tid = c.tid;
    }
    crate::strategy::on_send_to_io(s, c.id);
    Some(c)
}

/// Send a client (back) to the IO thread it lives on.
pub fn send_to_io(s: &Server, c: Client) {
    match c.tid {
        Tid::Io(n) => {
            s.env.ledger.hand_off(Tid::Main, c.ptr, c.tid);
            s.io[n as usize - 1].send(c)
        }
        t => panic!("client {} lives on {t}, not an IO thread", c.id),
    }
}

/// Main's loop for a scripted run: serve hand-ins and completions until `open` clients of the
/// IO threads have closed (or an IO or the BIO thread died), and serve the clients living on
/// main ([`Server::parked`]) between them, one event each in turn, until they have closed too,
/// running the cron ([`cron`]) after each event. Main waits for an event only when none of its
/// own clients has work. A client blocked by a blocking flush waits in [`Server::blocked`] for
/// a completion that names it (an IO thread's client goes back to its thread, a client of
/// main's back among main's clients).
pub fn main_loop(s: &mut Server, mut open: usize) {
    loop {
        let waiting = open > 0 || !s.blocked.is_empty();
        if !waiting && s.parked.is_empty() {
            return;
        }
        if waiting {
            let ev = if s.parked.is_empty() {
                s.main_inbox.recv_event().map(Some).ok_or(())
            } else {
                s.main_inbox.try_recv_event()
            };
            match ev {
                Err(()) => return,
                Ok(Some(Event::Client(c))) => {
                    match main_handle_client(s, c) {
                        Some(c) if c.blocked => s.blocked.push(c),
                        Some(c) => send_to_io(s, c),
                        None => open -= 1,
                    }
                    after_event(s, &mut open);
                    continue;
                }
                Ok(Some(Event::FlushDone(d))) => {
                    s.completions_pending -= 1;
                    if let Some(c) = complete_blocked(s, &d) {
                        back_from_main(s, c);
                    }
                    after_event(s, &mut open);
                    continue;
                }
                Ok(None) => {}
            }
        }
        if s.parked.is_empty() {
            continue;
        }
        let mut c = s.parked.remove(0);
        if !serve_main_client_event(s, &mut c) {
            free_client(s, c);
        } else if c.blocked {
            s.blocked.push(c);
        } else {
            s.parked.push(c);
        }
        after_event(s, &mut open);
    }
}

/// After each event of main's loop: the cron ([`cron`]), whose unblocked clients go back where
/// they live, and the count of IO threads' clients CLIENT KILL freed meanwhile.
fn after_event(s: &mut Server, open: &mut usize) {
    for c in cron(s) {
        back_from_main(s, c);
    }
    *open -= std::mem::take(&mut s.freed_elsewhere);
}

/// A client main unblocked goes back where it lives: to its IO thread (after running what its
/// pipeline left, on main), or among main's own
/// clients ([`Server::parked`]).
fn back_from_main(s: &mut Server, mut c: Client) {
    if c.tid == Tid::Main {
        // Its next event runs what it has left.
        s.parked.push(c);
        return;
    }
    // `unblockClient` queues it to run what it has left (its pipeline).
    process_input_on_main(s, &mut c);
    if c.blocked {
        s.blocked.push(c);
        return;
    }
    if c.close_asap {
        free_client(s, c);
        s.freed_elsewhere += 1;
        return;
    }
    c.running_tid = c.tid;
    crate::strategy::on_send_to_io(s, c.id);
    send_to_io(s, c);
}

/// One event of a client living on main (`readQueryFromClient`, then the write of
/// `handleClientsWithPendingWrites` in `beforeSleep`; or a writable event while replies are
/// pending). Returns `false` when the client must be freed: its peer closed the connection
/// (end of script, or hung up with replies pending), or it asked to be closed. A blocking flush
/// blocks it (`blocked`: the caller keeps it until a completion names it) when a BIO thread
/// runs, else main finishes the flush at once, or, when no completion can name it any more,
/// leaves it blocked.
pub fn serve_main_client_event(s: &mut Server, c: &mut Client) -> bool {
    let env = s.env();
    let cx = Cx::main(&env);
    c.running_tid = Tid::Main;
    env.coverage.hit(Cov::MainClientServed);
    if c.has_pending_replies() && !c.peer_gone() {
        let done = write_to_client(cx, Some(s), c);
        return !(done && c.close_after_reply);
    }
    if c.close_after_reply {
        return false;
    }
    match c.script.pop_front() {
        Some(more) => c.querybuf.extend_from_slice(&more),
        None if c.querybuf.is_empty() && c.pending_cmds.is_empty() => return false,
        // Leftovers of an earlier read (the client was blocked in the middle of them).
        None => {}
    }
    let mut ran = 0;
    while !c.close_after_reply && parse_query(cx, c) {
        execute(s, c);
        ran += 1;
        if c.blocked && (s.bio.threaded() || !finish_blocking_flush_inline(s, c)) {
            return true;
        }
    }
    if c.close_asap || (ran == 0 && c.script.is_empty()) {
        // Freed at once, or a partial request and nothing more will come: end of file.
        return false;
    }
    let done = write_to_client(cx, Some(s), c);
    !(done && c.close_after_reply)
}

/// Run everything a client living on main has in its query buffer and script, writing replies
/// on main (no IO threads): each read's commands run first (`processInputBuffer`), then the
/// replies they queued are written (`handleClientsWithPendingWrites` in `beforeSleep`), then
/// the next read. Returns `false` once the connection must close.
pub fn run_main_client(s: &mut Server, c: &mut Client) -> bool {
    let env = s.env();
    let cx = Cx::main(&env);
    c.running_tid = Tid::Main;
    // Whether the last read already made a command ready.
    let mut ready = false;
    loop {
        if c.blocked && !finish_blocking_flush_inline(s, c) {
            // Blocked for good (no completion can name it): its input waits, as in Redis.
            return true;
        }
        if !c.close_after_reply && (std::mem::take(&mut ready) || parse_query(cx, c)) {
            execute(s, c);
            continue;
        }
        write_to_client(cx, Some(s), c);
        if c.close_after_reply {
            return false;
        }
        match c.script.pop_front() {
            Some(more) => ready = read_and_parse(cx, c, more),
            None => return true,
        }
    }
}
