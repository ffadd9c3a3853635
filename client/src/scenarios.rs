//! Client scenarios, written once: each builds its own world (a client heap, a peer, the client
//! with its loop thread), runs a few commands from one or two application threads, destroys the
//! client, shuts the peer down and asserts the oracle: the ledger finds no leak at quiescence
//! (and no double free or use after free on the way), the retention bound held, and every
//! future got its answer.
//!
//! The same function runs under shuttle (random, PCT), loom (feature `loom`) and real threads;
//! the tests in `client/tests/` pick the explorer. [`CATALOGUE`] says which fault each scenario
//! must catch, with which invariant.

use crate::client::{Client, Config, Future};
use crate::fault::{Fault, Faults};
use crate::heap::Heap;
use crate::peer::{Attempt, Peer, Plan, Responder};
use crate::retention::Mode;
use refrace_model::invariant::Invariant;
use refrace_model::ledger::Tid;
use refrace_model::resp::Reply;
use refrace_model::sync::{backend, thread, Arc, Backend};

/// What the client talks to in a scenario.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum PeerKind {
    /// The in-world responder ([`Responder`]), scripted by the scenario.
    #[default]
    Responder,
    /// refrace's server model on a thread of the world ([`crate::server_peer`]).
    ServerModel,
    /// A real redis-server at this loopback address (real threads only).
    Tcp(std::net::SocketAddr),
}

/// Options of one run.
#[derive(Clone, Debug)]
pub struct Opts {
    /// Faults switched on.
    pub faults: Faults,
    /// The peer.
    pub peer: PeerKind,
    /// What the loop does with the retention bound.
    pub retention: Mode,
    /// Commands of `pipelined_burst` (also its in-flight window).
    pub commands: usize,
    /// Value size of the SETs.
    pub payload: usize,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            faults: Faults::NONE,
            peer: PeerKind::Responder,
            retention: Mode::Enforce,
            commands: 3,
            payload: 16,
        }
    }
}

impl Opts {
    /// The fixed client with `faults` on.
    pub fn with_faults(faults: Faults) -> Opts {
        Opts {
            faults,
            ..Opts::default()
        }
    }
}

/// One scenario.
pub struct Scenario {
    /// Name (tests are named after it).
    pub name: &'static str,
    /// What it does.
    pub about: &'static str,
    /// The body.
    pub run: fn(&Opts) -> crate::LoopStats,
    /// Whether it scripts the peer (refusals, closing, batching): responder only.
    pub scripted: bool,
    /// The faults it must catch, with the invariant each must be caught as.
    pub catches: &'static [(Fault, Invariant)],
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// Every scenario.
pub const CATALOGUE: [Scenario; 8] = [
    Scenario {
        name: "send_and_wait",
        about: "SET then GET from one thread, each waited for; destroy",
        run: send_and_wait,
        scripted: false,
        catches: &[(Fault::KeepFormattedCmd, Invariant::RetentionBound)],
    },
    Scenario {
        name: "two_threads",
        about: "two application threads send and wait concurrently on one client; destroy",
        run: two_threads,
        scripted: false,
        catches: &[],
    },
    Scenario {
        name: "pipelined_burst",
        about: "N SETs sent without waiting, held in flight by a peer that answers in batches; then waited",
        run: pipelined_burst,
        scripted: true,
        catches: &[(Fault::KeepFormattedCmd, Invariant::RetentionBound)],
    },
    Scenario {
        name: "destroy_with_inflight",
        about: "two commands sent, the client destroyed without waiting",
        run: destroy_with_inflight,
        scripted: false,
        catches: &[(Fault::StopLoopBeforeCallbacks, Invariant::Leak)],
    },
    Scenario {
        name: "destroy_while_server_holds",
        about: "two commands the peer has received but not answered; the client destroyed",
        run: destroy_while_server_holds,
        scripted: true,
        catches: &[
            (Fault::DestroyWithCallbackPending, Invariant::UseAfterFree),
            (Fault::StopLoopBeforeCallbacks, Invariant::Leak),
        ],
    },
    Scenario {
        name: "server_closes_connection",
        about: "the peer closes after one reply; the next command reconnects or fails; destroy",
        run: server_closes_connection,
        scripted: true,
        catches: &[(Fault::FreeAfterDisconnectCallback, Invariant::DoubleFree)],
    },
    Scenario {
        name: "reconnect_after_refused",
        about: "two connects refused at once (context returned with err), the third accepted",
        run: reconnect_after_refused,
        scripted: true,
        catches: &[(Fault::LeakContextOnConnectFailure, Invariant::Leak)],
    },
    Scenario {
        name: "connect_refused_later",
        about: "a connect refused in the connect callback (hiredis frees the context), then a reconnect",
        run: connect_refused_later,
        scripted: true,
        catches: &[(Fault::FreeAfterDisconnectCallback, Invariant::DoubleFree)],
    },
];

/// The scenario called `name`.
pub fn by_name(name: &str) -> Result<&'static Scenario, String> {
    CATALOGUE.iter().find(|s| s.name == name).ok_or_else(|| {
        let names: Vec<&str> = CATALOGUE.iter().map(|s| s.name).collect();
        format!(
            "unknown client scenario '{name}'; known: {}",
            names.join(", ")
        )
    })
}

/// A world: the heap, the peer, the client.
struct World {
    heap: Arc<Heap>,
    peer: Arc<dyn Peer>,
    responder: Option<Arc<Responder>>,
    client: Option<Client>,
    guard: ShutdownOnPanic,
}

/// On real threads a failing run must not leave the peer's threads blocked forever.
struct ShutdownOnPanic(Arc<dyn Peer>);

impl Drop for ShutdownOnPanic {
    fn drop(&mut self) {
        // loom and shuttle tear a failing execution down themselves.
        if std::thread::panicking() && backend() == Backend::Std {
            self.0.shutdown_quietly();
        }
    }
}

const MAIN: Tid = Tid::App(1);

fn world(o: &Opts, plan: Plan) -> World {
    let heap = Heap::new(false);
    let mut responder = None;
    let peer: Arc<dyn Peer> = match &o.peer {
        PeerKind::Responder => {
            let r = Responder::new(plan);
            responder = Some(r.clone());
            r
        }
        PeerKind::ServerModel => crate::server_peer::ServerModelPeer::new(),
        PeerKind::Tcp(addr) => crate::tcp_peer::TcpPeer::new(*addr),
    };
    let cfg = Config {
        faults: o.faults,
        retention: o.retention,
    };
    let client = Client::connect(MAIN, heap.clone(), peer.clone(), cfg);
    World {
        heap,
        guard: ShutdownOnPanic(peer.clone()),
        peer,
        responder,
        client: Some(client),
    }
}

impl World {
    fn client(&self) -> &Client {
        self.client.as_ref().expect("client already destroyed")
    }

    /// Destroy the client, stop the peer, check quiescence.
    fn finish(mut self) -> crate::LoopStats {
        let stats = self
            .client
            .take()
            .expect("client already destroyed")
            .destroy(MAIN);
        if let Err(e) = self.peer.shutdown() {
            panic!("the peer failed: {e}");
        }
        self.heap.ledger().assert_quiescent();
        drop(self.guard);
        stats
    }
}

/// A command's result; when the loop died (real threads), its violation is re-raised here.
fn settle(r: Result<Reply, String>) -> Result<Reply, String> {
    match r {
        Err(e) if e.starts_with("the event loop died") => panic!("{e}"),
        r => r,
    }
}

fn ok(r: Result<Reply, String>, what: &str) -> Reply {
    settle(r).unwrap_or_else(|e| panic!("{what} failed: {e}"))
}

fn err(r: Result<Reply, String>, what: &str) -> String {
    match settle(r) {
        Ok(v) => panic!("{what}: expected an error, got {v:?}"),
        Err(e) => e,
    }
}

fn expect_ok_status(f: Future, what: &str) {
    let r = ok(f.wait(), what);
    assert_eq!(r, Reply::Status("OK".into()), "{what}");
}

fn payload(o: &Opts, seed: u8) -> Vec<u8> {
    (0..o.payload)
        .map(|i| b'a' + (i as u8 + seed) % 26)
        .collect()
}

/// SET then GET, each waited for.
pub fn send_and_wait(o: &Opts) -> crate::LoopStats {
    let w = world(o, Plan::default());
    let v = payload(o, 0);
    expect_ok_status(w.client().send(MAIN, &[b"SET", b"k", &v]), "SET k");
    let got = ok(w.client().send(MAIN, &[b"GET", b"k"]).wait(), "GET k");
    assert_eq!(got, Reply::Bulk(Some(v)), "GET k returns what SET stored");
    w.finish()
}

/// Two application threads on one client.
pub fn two_threads(o: &Opts) -> crate::LoopStats {
    let w = world(o, Plan::default());
    let h = w.client().handle();
    let other = thread::spawn("app-2", move || {
        let r = h.send(Tid::App(2), &[b"ECHO", b"from-2"]).wait();
        assert_eq!(ok(r, "ECHO"), Reply::Bulk(Some(b"from-2".to_vec())));
    });
    let v = payload(o, 1);
    expect_ok_status(w.client().send(MAIN, &[b"SET", b"k1", &v]), "SET k1");
    other.join();
    w.finish()
}

/// `commands` SETs in flight at once (the peer answers when all arrived), then waited for.
pub fn pipelined_burst(o: &Opts) -> crate::LoopStats {
    let w = world(
        o,
        Plan {
            batch: o.commands,
            ..Plan::default()
        },
    );
    let v = payload(o, 2);
    let futures: Vec<Future> = (0..o.commands)
        .map(|i| {
            let k = format!("k{i}");
            w.client().send(MAIN, &[b"SET", k.as_bytes(), &v])
        })
        .collect();
    for (i, f) in futures.into_iter().enumerate() {
        expect_ok_status(f, &format!("SET k{i}"));
    }
    w.finish()
}

/// Destroy while two commands are (probably) in flight; afterwards every future is complete.
pub fn destroy_with_inflight(o: &Opts) -> crate::LoopStats {
    let w = world(o, Plan::default());
    let a = w.client().send(MAIN, &[b"PING"]);
    let b = w.client().send(MAIN, &[b"ECHO", b"x"]);
    let stats = w.finish();
    for (f, what) in [(a, "PING"), (b, "ECHO")] {
        match f.try_take() {
            Some(Ok(r)) => assert!(
                matches!(r, Reply::Status(_) | Reply::Bulk(Some(_))),
                "{what}: unexpected reply {r:?}"
            ),
            Some(Err(_)) => {} // failed by the teardown: "connection is closing"
            None => panic!("{what}: the future was never completed after destroy"),
        }
    }
    stats
}

/// Destroy while the peer holds two received requests unanswered: both are in flight (their
/// callbacks pending in hiredis) when the client goes away, and must fail, not vanish.
pub fn destroy_while_server_holds(o: &Opts) -> crate::LoopStats {
    let w = world(
        o,
        Plan {
            batch: 3,
            ..Plan::default()
        },
    );
    let a = w.client().send(MAIN, &[b"PING"]);
    let b = w.client().send(MAIN, &[b"ECHO", b"x"]);
    if let Some(r) = &w.responder {
        r.wait_received(2);
    }
    let stats = w.finish();
    for (f, what) in [(a, "PING"), (b, "ECHO")] {
        match f.try_take() {
            Some(Err(e)) => assert!(e.contains("closing"), "{what}: failed with {e}"),
            Some(Ok(r)) => panic!("{what}: answered ({r:?}) although the peer held it"),
            None => panic!("{what}: the future was never completed after destroy"),
        }
    }
    stats
}

/// The peer closes after one reply.
pub fn server_closes_connection(o: &Opts) -> crate::LoopStats {
    let w = world(
        o,
        Plan {
            close_after: Some(1),
            ..Plan::default()
        },
    );
    expect_ok_status(w.client().send(MAIN, &[b"SET", b"k", b"v"]), "SET k");
    // On the closed connection (an error) or on a new one (the reply).
    match settle(w.client().send(MAIN, &[b"PING"]).wait()) {
        Ok(r) => assert_eq!(r, Reply::Status("PONG".into())),
        Err(e) => assert!(
            e.contains("connection") || e.contains("closing"),
            "PING failed with {e}"
        ),
    }
    w.finish()
}

/// Two connects refused at once, the third accepted.
pub fn reconnect_after_refused(o: &Opts) -> crate::LoopStats {
    let w = world(
        o,
        Plan {
            attempts: vec![Attempt::RefuseNow, Attempt::RefuseNow],
            ..Plan::default()
        },
    );
    for i in 0..2 {
        let e = err(w.client().send(MAIN, &[b"PING"]).wait(), "PING, refused");
        assert!(e.contains("refused"), "attempt {}: {e}", i + 1);
    }
    let r = ok(
        w.client().send(MAIN, &[b"PING"]).wait(),
        "PING after reconnect",
    );
    assert_eq!(r, Reply::Status("PONG".into()));
    w.finish()
}

/// A connect refused in the connect callback, then a reconnect.
pub fn connect_refused_later(o: &Opts) -> crate::LoopStats {
    let w = world(
        o,
        Plan {
            attempts: vec![Attempt::RefuseLater],
            ..Plan::default()
        },
    );
    let e = err(w.client().send(MAIN, &[b"PING"]).wait(), "PING, refused");
    assert!(e.contains("refused"), "{e}");
    let r = ok(
        w.client().send(MAIN, &[b"PING"]).wait(),
        "PING after reconnect",
    );
    assert_eq!(r, Reply::Status("PONG".into()));
    w.finish()
}

/// A burst for the measurements (`client/examples/measure.rs`; real threads): `commands` SETs of
/// `payload` bytes sent at once and held in flight by the peer until all arrived (the window
/// QPS × latency), then answered; the application keeps a 64-byte object for every
/// `keep_every`-th reply (0: none) until the client is idle.
#[derive(Clone, Debug)]
pub struct Burst {
    /// Commands in flight at once.
    pub commands: usize,
    /// Value bytes per SET.
    pub payload: usize,
    /// Faults switched on.
    pub faults: Faults,
    /// Keep an application object for every this-many replies (0: none).
    pub keep_every: usize,
}

/// What a [`Burst`] left.
#[derive(Clone, Debug)]
pub struct BurstResult {
    /// The loop's measurements (retention peaks).
    pub stats: crate::LoopStats,
    /// The client's allocation log, for the allocator models.
    pub log: Vec<crate::heap::HeapEvent>,
    /// Length of the log when the burst was over and the client idle (connected, a round trip
    /// after the last reply, the application's objects still kept).
    pub idle: usize,
}

/// Run a [`Burst`] on real threads against the responder; the retention bound is measured,
/// not enforced. The client is destroyed and the ledger checked at the end.
pub fn burst(b: &Burst) -> Result<BurstResult, String> {
    if backend() != Backend::Std {
        return Err("the burst measurement runs on real threads".into());
    }
    let heap = Heap::new(true);
    let peer = Responder::new(Plan {
        batch: b.commands,
        ..Plan::default()
    });
    let cfg = Config {
        faults: b.faults,
        retention: Mode::Measure,
    };
    let client = Client::connect(MAIN, heap.clone(), peer.clone(), cfg);
    let v = vec![b'v'; b.payload];
    let futures: Vec<Future> = (0..b.commands)
        .map(|i| {
            let k = format!("key:{i}");
            client.send(MAIN, &[b"SET", k.as_bytes(), &v])
        })
        .collect();
    let mut kept = Vec::new();
    for (i, f) in futures.into_iter().enumerate() {
        match f.wait() {
            Ok(Reply::Status(s)) if s == "OK" => {}
            other => return Err(format!("SET key:{i}: {other:?}")),
        }
        if b.keep_every > 0 && i % b.keep_every == 0 {
            kept.push(heap.alloc(MAIN, crate::heap::kind::APP, 64, "kept by the application"));
        }
    }
    // A round trip after the burst: once its reply is here, the loop has released every
    // command of the burst (callbacks run in order); at most the PING's own event is live.
    match client.send(MAIN, &[b"PING"]).wait() {
        Ok(Reply::Status(s)) if s == "PONG" => {}
        other => return Err(format!("PING after the burst: {other:?}")),
    }
    let idle = heap.log().len();
    for p in kept {
        heap.free(MAIN, p);
    }
    let stats = client.destroy(MAIN);
    peer.shutdown()?;
    heap.ledger().assert_quiescent();
    Ok(BurstResult {
        stats,
        log: heap.log(),
        idle,
    })
}
