//! A scripted world: one server, clients with request scripts on IO threads or on the main
//! thread, the threads that serve them, and the drive to quiescence where the ledger is
//! asserted.
//!
//! This is the only place that spawns model threads for scenarios, so every explorer runs the
//! same thread bodies: main (the calling thread), IO-1..IO-n and, when asked, BIO.

use refrace_model::client::{Client, Script};
use refrace_model::iothread::{io_thread_main, main_loop, run_main_client};
use refrace_model::ledger::{AllocKind, ClientPart, Label, Tid, TraceSink};
use refrace_model::object::Bytes;
use refrace_model::sync::{alone, backend, thread, Backend};
use refrace_model::{db, networking, resp, Config, Env, Server};
use std::sync::Arc;

/// One scripted client.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientSpec {
    /// The IO thread it lives on (1-based), or [`MAIN`]: the main thread serves it between
    /// hand-ins (`iothread::main_loop`).
    pub io: u8,
    /// Its requests, one command each.
    pub script: Vec<Vec<Vec<u8>>>,
    /// Bytes its socket accepts per write (`None` = unlimited).
    pub sndbuf: Option<usize>,
    /// Its peer hangs up after the last request without reading the replies still pending
    /// (the client is freed with them).
    pub hangup: bool,
    /// Its peer sends the whole script in one write: one read brings every request (the IO
    /// thread parses them ahead and main runs them in one visit, #14440's lookahead).
    pub pipeline: bool,
}

/// [`ClientSpec::io`] of a client living on the main thread.
pub const MAIN: u8 = 0;

/// A scripted run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    /// Server configuration (faults included).
    pub cfg: Config,
    /// Commands run on main before any thread starts (by a client without a connection).
    pub setup: Vec<Vec<Vec<u8>>>,
    /// The clients.
    pub clients: Vec<ClientSpec>,
    /// Spawn a BIO thread (otherwise BIO jobs run at quiescence).
    pub bio_thread: bool,
    /// Every run must take a reply reference (else the scenario tested nothing). Only for
    /// scenarios where that holds in every schedule; the racy ones rely on their negative
    /// controls, which fail unless the reference path engages.
    pub needs_reply_refs: bool,
}

impl Spec {
    /// Commands in the setup and every client script.
    pub fn commands(&self) -> usize {
        self.setup.len() + self.clients.iter().map(|c| c.script.len()).sum::<usize>()
    }
}

/// Build a command from string-ish parts.
pub fn cmd(parts: &[&[u8]]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.to_vec()).collect()
}

/// What a run produced (it panicked instead if an invariant broke).
#[derive(Clone, Debug, Default)]
pub struct RunReport {
    /// Bytes each client received, in spec order.
    pub replies: Vec<Vec<u8>>,
    /// The interesting events the run reached ([`refrace_model::coverage`]).
    pub coverage: refrace_model::coverage::Counts,
}

/// A connection living on IO thread `io` whose peer sends `script` (raw request bytes, one
/// read each) and whose socket takes `sndbuf` bytes per write; it has its `deferred_objects`
/// array, as every client assigned to an IO thread does.
pub fn connect(s: &mut Server, io: u8, script: Vec<Vec<u8>>, sndbuf: Option<usize>) -> Client {
    connect_with(s, io, script.into(), sndbuf)
}

/// [`connect`] with a [`Script`] (shared read buffers).
pub fn connect_with(s: &mut Server, io: u8, script: Script, sndbuf: Option<usize>) -> Client {
    let mut c = networking::create_client_with(s, Tid::Io(io), script);
    c.sndbuf = sndbuf;
    c.deferred_array = Some(s.env.ledger.alloc(
        Tid::Main,
        AllocKind::DeferredArray,
        32 * 16,
        Label::Client(ClientPart::DeferredObjects, c.id),
        None,
    ));
    c
}

/// Run `cmds` on main through a connection-less client (no reference replies).
pub fn run_fake(s: &mut Server, cmds: &[Vec<Vec<u8>>]) -> Vec<u8> {
    run_fake_script(s, cmds.iter().map(|a| resp::encode_request(a)).collect())
}

/// [`run_fake`] of requests already encoded.
fn run_fake_script(s: &mut Server, script: Script) -> Vec<u8> {
    let mut c = networking::create_fake_client_with(s, script);
    run_main_client(s, &mut c);
    let out = std::mem::take(&mut c.sent);
    networking::free_client(s, c);
    out
}

/// The first words of a run's panic when its world could not be set up: not a finding about
/// the model but a broken scenario, and the verdict says so ([`crate::verdict`]).
pub const SETUP_FAILED: &str = "SETUP FAILED:";

/// A scenario whose setup failed would test nothing: every setup reply must be a success.
fn assert_setup_succeeded(mut replies: &[u8]) {
    while !replies.is_empty() {
        match resp::decode_reply(replies) {
            Ok(Some((resp::Reply::Error(e), _))) => {
                panic!("{SETUP_FAILED} a setup command was answered -{e}")
            }
            Ok(Some((_, n))) => replies = &replies[n..],
            other => panic!("{SETUP_FAILED} a setup reply is unreadable: {other:?}"),
        }
    }
}

/// Drive the server to quiescence and assert the oracle: BIO drained, FLUSHALL, nothing listed
/// or tracked, nothing live in the ledger.
pub fn quiesce(s: &mut Server) {
    let env = s.env();
    while s.bio.step(&env) {}
    let mut f = networking::create_fake_client(s, Vec::new());
    db::empty_db(s, &mut f, false);
    networking::free_client(s, f);
    while s.bio.step(&env) {}
    refrace_model::strategy::quiesce(s);
    if let Some(id) = s.clients_with_pending_ref_reply.first() {
        env.ledger.violation(
            Tid::Main,
            refrace_model::invariant::Invariant::PendingRefRegistry,
            &format!(
                "client {id} is still listed in clients_with_pending_ref_reply after it was freed"
            ),
            None,
        );
    }
    s.assert_reply_refs_empty();
    env.ledger.assert_quiescent();
}

struct StopThreadsOnPanic {
    io: Vec<std::sync::Arc<refrace_model::iothread::IoInbox>>,
    bio: std::sync::Arc<refrace_model::lazyfree::Bio>,
}

impl Drop for StopThreadsOnPanic {
    fn drop(&mut self) {
        // loom and shuttle tear a failing execution down themselves; touching their primitives
        // while unwinding would not be safe.
        if std::thread::panicking() && backend() == Backend::Std {
            for q in &self.io {
                q.shutdown();
            }
            self.bio.shutdown();
        }
    }
}

/// Where a traced run publishes the handle on its ledger's trace (readable after a panic).
pub type TraceSlot = std::sync::Arc<std::sync::Mutex<Option<TraceSink>>>;

/// Run `spec` on the current backend: setup, spawn IO (and BIO) threads, serve every client to
/// the end of its script, join, quiesce, assert.
pub fn run(spec: &Spec) -> RunReport {
    run_with(spec, None)
}

/// A spec with its requests encoded once, for running many times ([`run_prepared`]): every
/// execution of an explorer run reads the same (shared, immutable) request buffers instead of
/// encoding its own copy of the scenario's 64 KiB values.
#[derive(Clone, Debug)]
pub struct Prepared {
    spec: Spec,
    requests: Requests,
}

/// A spec's requests, encoded: the setup's and each client's.
#[derive(Clone, Debug)]
struct Requests {
    setup: Vec<Bytes>,
    clients: Vec<Vec<Bytes>>,
}

impl Requests {
    fn of(spec: &Spec) -> Requests {
        let encode = |cmds: &[Vec<Vec<u8>>]| -> Vec<Bytes> {
            cmds.iter()
                .map(|a| Bytes::from(resp::encode_request(a)))
                .collect()
        };
        Requests {
            setup: encode(&spec.setup),
            // A pipelining client sends its whole script in one read.
            clients: spec
                .clients
                .iter()
                .map(|c| {
                    let reads = encode(&c.script);
                    if c.pipeline {
                        vec![Bytes::from(reads.concat())]
                    } else {
                        reads
                    }
                })
                .collect(),
        }
    }
}

impl Prepared {
    /// Encode `spec`'s requests.
    pub fn new(spec: Spec) -> Prepared {
        let requests = Requests::of(&spec);
        Prepared { spec, requests }
    }

    /// The spec.
    pub fn spec(&self) -> &Spec {
        &self.spec
    }
}

/// [`run`] of a [`Prepared`] spec.
pub fn run_prepared(p: &Prepared) -> RunReport {
    run_requests(&p.spec, &p.requests, None)
}

/// [`run`], with the ledger tracing every event into a sink published in `trace`.
pub fn run_with(spec: &Spec, trace: Option<&TraceSlot>) -> RunReport {
    run_requests(spec, &Requests::of(spec), trace)
}

fn run_requests(spec: &Spec, requests: &Requests, trace: Option<&TraceSlot>) -> RunReport {
    let env = Env::new(spec.cfg.clone(), trace.is_some());
    if let Some(slot) = trace {
        *slot.lock().unwrap_or_else(|e| e.into_inner()) = env.ledger.trace_sink();
    }
    // Until the first thread starts, main is the only model thread (see `sync::alone`).
    let alone = alone::begin();
    let mut s = Server::new(env.clone());
    s.cmd_log = Some(Vec::new());
    let setup = run_fake_script(&mut s, requests.setup.iter().cloned().collect());
    assert_setup_succeeded(&setup);
    let mut ids = Vec::new();
    let mut on_io = 0;
    let mut queued: Vec<Vec<Client>> = s.io.iter().map(|_| Vec::new()).collect();
    for (cs, script) in spec.clients.iter().zip(&requests.clients) {
        if cs.io == MAIN {
            let mut c =
                networking::create_client_with(&mut s, Tid::Main, script.iter().cloned().collect());
            c.sndbuf = cs.sndbuf;
            c.hangup = cs.hangup;
            ids.push(c.id);
            s.parked.push(c);
            continue;
        }
        let mut c = connect_with(&mut s, cs.io, script.iter().cloned().collect(), cs.sndbuf);
        c.hangup = cs.hangup;
        ids.push(c.id);
        on_io += 1;
        // `send_to_io`'s record; the queue takes the client below.
        s.env.ledger.hand_off(Tid::Main, c.ptr, c.tid);
        queued[usize::from(cs.io) - 1].push(c);
    }
    // Every queue gets its clients and is marked served before the first thread starts, while
    // main holds the only handle on it: without a lock (no scheduling point; no other thread
    // could observe the queue yet). Marking each queue with a lock just before its thread
    // started made the second mark a point where IO-1 could already run.
    for (q, clients) in s.io.iter_mut().zip(queued) {
        match Arc::get_mut(q) {
            Some(q) => q.prepare(clients, true),
            None => {
                for c in clients {
                    q.send(c);
                }
                q.set_threaded(true);
            }
        }
    }
    if spec.bio_thread {
        // Marked before any thread starts too (only main reads the mark).
        s.bio.set_threaded(true);
    }
    drop(alone);
    let mut handles = Vec::new();
    for (i, q) in s.io.iter().enumerate() {
        let (env, q, m) = (env.clone(), q.clone(), s.main_inbox.clone());
        let n = i as u8 + 1;
        handles.push(thread::spawn(&format!("IO-{n}"), move || {
            io_thread_main(&env, n, &q, &m)
        }));
    }
    // On real threads, a panic on main must not leave the IO and BIO threads waiting forever.
    let _stop = StopThreadsOnPanic {
        io: s.io.clone(),
        bio: s.bio.clone(),
    };
    let bio = spec.bio_thread.then(|| {
        let (env, bio) = (env.clone(), s.bio.clone());
        thread::spawn("BIO", move || bio.thread_main(&env))
    });
    // On real threads main's own panic is caught, so the threads are still stopped and joined:
    // when one of them died first, its panic is the report (main may only have noticed it,
    // e.g. `PeerDied` from a pause); loom and shuttle end a failing execution themselves.
    let main_panic = if backend() == Backend::Std {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| main_loop(&mut s, on_io))).err()
    } else {
        main_loop(&mut s, on_io);
        None
    };
    // Shut down, a queue counts as unserved for a pause (nothing needs unmarking after join).
    for q in &s.io {
        q.shutdown();
    }
    let mut died = None;
    for h in handles {
        if let Err(p) = h.try_join() {
            died.get_or_insert(p);
        }
    }
    if let Some(h) = bio {
        s.bio.shutdown();
        if let Err(p) = h.try_join() {
            died.get_or_insert(p);
        }
        s.bio.set_threaded(false);
    }
    if let Some(p) = died.or(main_panic) {
        std::panic::resume_unwind(p);
    }
    // Every thread is joined: main is the only model thread again.
    let _alone = alone::begin();
    assert!(
        !spec.needs_reply_refs || s.stat_reply_refs > 0,
        "scenario took no reply reference: copy avoidance never engaged, so it tested nothing"
    );
    let replies: Vec<Vec<u8>> = ids
        .iter()
        .map(|id| {
            s.closed
                .iter_mut()
                .find(|(c, _)| c == id)
                .map(|(_, b)| std::mem::take(b))
                .unwrap_or_default()
        })
        .collect();
    let hung_up: Vec<bool> = spec.clients.iter().map(|c| c.hangup).collect();
    check_reply_bytes(&mut s, &ids, &replies, &hung_up);
    quiesce(&mut s);
    RunReport {
        replies,
        coverage: env.coverage.snapshot(),
    }
}

/// Abbreviate bytes for a report: the first 24 and, when longer, the length.
fn abbrev(b: &[u8]) -> String {
    let head = String::from_utf8_lossy(&b[..b.len().min(24)]).into_owned();
    if b.len() > 24 {
        format!("{head:?}… ({} B)", b.len())
    } else {
        format!("{head:?}")
    }
}

/// Requests whose reply the reference gives differently by design (its documented
/// simplifications): DBSIZE (it counts live keys only) and CONFIG GET of several knobs or a
/// pattern (its order is fixed, Redis's is the hash order).
fn reference_differs(argv: &[Vec<u8>]) -> bool {
    let is = |i: usize, w: &str| {
        argv.get(i)
            .is_some_and(|a| a.eq_ignore_ascii_case(w.as_bytes()))
    };
    is(0, "dbsize")
        || (is(0, "config")
            && is(1, "get")
            && (argv.len() > 3
                || argv
                    .get(2)
                    .is_some_and(|a| a.iter().any(|b| b"*?[".contains(b)))))
}

/// `REPLY_BYTES`: feed the requests in the order main ran them (`Server::cmd_log`) to the
/// sequential reference model and require every client's received bytes to be the reference's
/// replies to its commands, in order, and nothing more. Replies to commands the model has and
/// the reference does not (INFO, MEMORY, CLUSTER: the model's own numbers) or gives
/// differently by design ([`reference_differs`]) are skipped, one reply each. A stolen, swapped or edited payload under a reply shows here even when every
/// count is right. A client whose peer hung up (`hung_up`, in `ids` order) read only part of its
/// replies: its bytes must be a prefix of what the reference wants, cut anywhere.
pub fn check_reply_bytes(s: &mut Server, ids: &[u64], replies: &[Vec<u8>], hung_up: &[bool]) {
    use refrace_model::reference::Reference;
    use refrace_model::server::{Logged, EPOCH_MS};
    let Some(log) = s.cmd_log.take() else { return };
    let cfg = s.env.cfg.clone();
    let mut r = Reference::new(EPOCH_MS);
    r.set_io_threads(cfg.io_threads_num);
    r.set_cluster_enabled(cfg.cluster_enabled);
    for (knob, on) in [
        ("lazyfree-lazy-server-del", cfg.lazyfree_lazy_server_del),
        ("lazyfree-lazy-user-del", cfg.lazyfree_lazy_user_del),
        ("lazyfree-lazy-user-flush", cfg.lazyfree_lazy_user_flush),
        ("lazyfree-lazy-expire", cfg.lazyfree_lazy_expire),
        ("lazyfree-lazy-eviction", cfg.lazyfree_lazy_eviction),
    ] {
        if on {
            let set = cmd(&[b"CONFIG", b"SET", knob.as_bytes(), b"yes"]);
            r.execute_as(u64::MAX, &set, EPOCH_MS);
        }
    }
    let (max, samples) = (cfg.maxmemory.to_string(), cfg.maxmemory_samples.to_string());
    let set = cmd(&[
        b"CONFIG",
        b"SET",
        b"maxmemory",
        max.as_bytes(),
        b"maxmemory-policy",
        cfg.maxmemory_policy.name().as_bytes(),
        b"maxmemory-samples",
        samples.as_bytes(),
    ]);
    r.execute_as(u64::MAX, &set, EPOCH_MS);
    // Per client: (the command's name, the reply wanted; None: not modelled by the reference).
    // (Only the command's name is kept for a report: cloning the whole request copied every
    // 64 KiB value once more per execution.)
    type Wanted = (Vec<u8>, Option<Vec<u8>>);
    let mut want: std::collections::BTreeMap<u64, Vec<Wanted>> = Default::default();
    // Per client: (in a transaction, which queued a command the reference does not model).
    let mut tx: std::collections::BTreeMap<u64, (bool, bool)> = Default::default();
    for e in &log {
        match e {
            Logged::Command {
                client,
                argv,
                now_ms,
            } => {
                let name = &argv[0];
                let known = Reference::knows(name)
                    || refrace_model::commands::lookup_command(name).is_none();
                let mut modelled = known && !reference_differs(argv);
                // A command the reference does not model is not fed to it: inside a
                // transaction the reference would reject it (flagging the transaction) where
                // the model queues it. EXEC's array then holds a reply the reference cannot
                // give, so that EXEC is not compared either.
                let reply = known.then(|| r.execute_as(*client, argv, *now_ms));
                let t = tx.entry(*client).or_default();
                if name.eq_ignore_ascii_case(b"multi") {
                    if !t.0 {
                        *t = (true, false);
                    }
                } else if name.eq_ignore_ascii_case(b"exec")
                    || name.eq_ignore_ascii_case(b"discard")
                {
                    modelled &= !(t.0 && t.1);
                    *t = (false, false);
                } else if t.0 && !modelled {
                    t.1 = true;
                }
                want.entry(*client)
                    .or_default()
                    .push((name.clone(), reply.filter(|_| modelled)));
            }
            Logged::Evicted { db, key } => {
                if let Err(why) = r.evict(*db, key) {
                    s.env.ledger.violation(
                        refrace_model::ledger::Tid::Main,
                        refrace_model::Invariant::Eviction,
                        &format!("the reference refuses an eviction: {why}"),
                        None,
                    );
                }
            }
            Logged::Oom { client, argv } => {
                let now = s.now_ms;
                let reply = r.oom(argv, now);
                want.entry(*client)
                    .or_default()
                    .push((argv[0].clone(), Some(reply)));
            }
            Logged::ProtocolError { client, msg } => {
                let mut reply = b"-".to_vec();
                reply.extend_from_slice(msg);
                reply.extend_from_slice(b"\r\n");
                want.entry(*client)
                    .or_default()
                    .push((Vec::new(), Some(reply)));
            }
        }
    }
    let order = || {
        let shown: Vec<String> = log
            .iter()
            .map(|e| match e {
                Logged::Command { client, argv, .. } => {
                    let words: Vec<String> = argv.iter().map(|a| abbrev(a)).collect();
                    format!("c{client}: {}", words.join(" "))
                }
                Logged::ProtocolError { client, .. } => format!("c{client}: protocol error"),
                Logged::Evicted { db, key } => format!("evicted {} (db {db})", abbrev(key)),
                Logged::Oom { client, argv } => {
                    let words: Vec<String> = argv.iter().map(|a| abbrev(a)).collect();
                    format!("c{client}: {} (OOM)", words.join(" "))
                }
            })
            .collect();
        shown.join("; ")
    };
    for (k, (id, got)) in ids.iter().zip(replies).enumerate() {
        if s.closed_early.contains(id) {
            check_prefix(
                s,
                *id,
                got,
                want.get(id).map(Vec::as_slice).unwrap_or(&[]),
                &order,
            );
            continue;
        }
        let partial = hung_up.get(k).copied().unwrap_or(false);
        let mut pos = 0;
        for (i, (argv, wanted)) in want.get(id).into_iter().flatten().enumerate() {
            if wanted.as_ref().is_some_and(|w| w.is_empty()) {
                continue; // Redis sends nothing (HOST:/POST)
            }
            let rest = &got[pos..];
            if partial && rest.is_empty() {
                break; // the peer hung up before reading the rest
            }
            let n = match resp::decode_reply(rest) {
                Ok(Some((_, n))) => n,
                _ => rest.len(),
            };
            let reply = &rest[..n];
            if let Some(w) = wanted {
                let cut = partial && pos + n == got.len() && w.starts_with(reply);
                if reply != &w[..] && !cut {
                    let name = if argv.is_empty() {
                        String::new()
                    } else {
                        abbrev(argv)
                    };
                    let at = reply
                        .iter()
                        .zip(w.iter())
                        .position(|(a, b)| a != b)
                        .unwrap_or(reply.len().min(w.len()));
                    s.env.ledger.violation(
                        refrace_model::ledger::Tid::Main,
                        refrace_model::Invariant::ReplyBytes,
                        &format!(
                            "client {id}'s reply to its command #{} ({name}) differs from the sequential reference's at byte {at} of {}: got {}, want {} (main ran: {})",
                            i + 1,
                            w.len(),
                            abbrev(&reply[at..]),
                            abbrev(&w[at..]),
                            order()
                        ),
                        None,
                    );
                }
            }
            pos += n;
        }
        if pos != got.len() {
            s.env.ledger.violation(
                refrace_model::ledger::Tid::Main,
                refrace_model::Invariant::ReplyBytes,
                &format!(
                    "client {id} received {} bytes after its last reply: {} (main ran: {})",
                    got.len() - pos,
                    abbrev(&got[pos..]),
                    order()
                ),
                None,
            );
        }
    }
}

/// `REPLY_BYTES` for a client freed before its peer finished (killed, timed out, over its output
/// limit): what it received must be a prefix of the reference's replies to the commands main
/// ran for it (its last reply may be cut anywhere). Replies the reference does not model end
/// the comparison (their length is unknown).
fn check_prefix(
    s: &Server,
    id: u64,
    got: &[u8],
    want: &[(Vec<u8>, Option<Vec<u8>>)],
    order: &dyn Fn() -> String,
) {
    let mut expected: Vec<u8> = Vec::new();
    for (_, w) in want {
        match w {
            Some(w) => expected.extend_from_slice(w),
            None => break,
        }
    }
    let n = got.len().min(expected.len());
    if got[..n] != expected[..n]
        || (got.len() > expected.len() && want.iter().all(|(_, w)| w.is_some()))
    {
        let at = got
            .iter()
            .zip(&expected)
            .position(|(a, b)| a != b)
            .unwrap_or(n);
        s.env.ledger.violation(
            refrace_model::ledger::Tid::Main,
            refrace_model::Invariant::ReplyBytes,
            &format!(
                "client {id} (closed early) received {} that are not a prefix of the sequential reference's replies at byte {at}: got {}, want {} (main ran: {})",
                got.len(),
                abbrev(&got[at.min(got.len())..]),
                abbrev(&expected[at.min(expected.len())..]),
                order()
            ),
            None,
        );
    }
}

/// What [`serve_stream`] produced.
#[derive(Clone, Debug)]
pub struct StreamReport {
    /// The exact bytes the client received.
    pub replies: Vec<u8>,
    /// The ledger when the connection closed (the keyspace still live).
    pub at_close: refrace_model::ledger::Summary,
    /// The violation at quiescence (FLUSHALL + leak check), if any.
    pub violation: Option<String>,
}

/// Feed `stream` through a server configured by `cfg` as one client living on main (no IO
/// threads), the way a connection would send it; a protocol error closes the connection after
/// its error reply, as in Redis. Then quiesce and assert the oracle. Run on the std backend.
pub fn serve_stream(cfg: Config, stream: &[u8]) -> StreamReport {
    let env = Env::new(cfg, false);
    let mut s = Server::new(env.clone());
    let mut c = networking::create_client(&mut s, Tid::Main, vec![stream.to_vec()]);
    let served = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run_main_client(&mut s, &mut c);
        let replies = std::mem::take(&mut c.sent);
        networking::free_client(&mut s, c);
        replies
    }));
    let replies = match served {
        Ok(r) => r,
        Err(p) => {
            return StreamReport {
                replies: Vec::new(),
                at_close: env.ledger.summary(),
                violation: Some(crate::explore::panic_message(&*p)),
            }
        }
    };
    let at_close = env.ledger.summary();
    let violation = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| quiesce(&mut s)))
        .err()
        .map(|p| crate::explore::panic_message(&*p));
    StreamReport {
        replies,
        at_close,
        violation,
    }
}
