//! The other end of the socket: what the client connects to.
//!
//! The client needs only [`Peer`]: a connect attempt that is accepted (a socket whose other end
//! some thread serves), refused at once (`redisAsyncConnect` returns a context with `err` set),
//! or refused later (the connect callback reports the error), and a shutdown that stops and
//! joins the serving threads. Three implementations:
//!
//! - [`Responder`] (here): an in-world thread per connection that parses requests with the
//!   model's own parser (`refrace_model::resp::RequestParser`) and answers a handful of commands;
//!   enough for the client's ownership rules, and scriptable (refusals, closing after N replies,
//!   answering in batches to hold commands in flight);
//! - [`crate::server_peer::ServerModelPeer`]: refrace's server model on a thread of the world;
//! - [`crate::tcp_peer::TcpPeer`]: a real redis-server over loopback (real threads only).

use crate::socket::{pair, ClientSock, Poller, Read, ServerSock};
use refrace_model::resp::{self, ParseResult, ParserLimits, RequestParser};
use refrace_model::sync::{thread, Arc, Mutex};
use std::collections::VecDeque;

/// The outcome of a connect attempt.
#[derive(Debug)]
pub enum Connect {
    /// Connected: the client's end of the socket.
    Accepted(ClientSock),
    /// Refused before `redisAsyncConnect` returned (its context has `err` set).
    RefusedNow(String),
    /// Refused after `redisAsyncConnect` returned (hiredis reports it in the connect callback).
    RefusedLater(String),
}

/// What the client talks to.
pub trait Peer: Send + Sync {
    /// A connect attempt from the client's loop thread; `client` is the loop's poller (woken
    /// when the peer sends or closes).
    fn connect(&self, client: Arc<Poller>) -> Connect;
    /// Stop serving (the client process is gone: its sockets are closed), join the serving
    /// threads and check the peer's own invariants; `Err` names what went wrong on its side.
    fn shutdown(&self) -> Result<(), String>;
    /// [`Peer::shutdown`] for a run that already failed: errors and panics are dropped.
    fn shutdown_quietly(&self) {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.shutdown()));
    }
    /// A short name for reports.
    fn name(&self) -> &'static str;
}

/// How one connect attempt of a [`Responder`] ends.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// Accept and serve.
    Accept,
    /// Refuse at once.
    RefuseNow,
    /// Refuse in the connect callback.
    RefuseLater,
}

/// A [`Responder`]'s script.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// How the first connect attempts end, in order; attempts after these are accepted.
    pub attempts: Vec<Attempt>,
    /// Per connection: after sending this many replies, close it (later requests unanswered).
    pub close_after: Option<usize>,
    /// Per connection, answer nothing until this many requests arrived (or the client closed),
    /// then answer each as it comes: holds the first `batch` commands in flight at once, the
    /// model's stand-in for latency. 0 or 1: answer each at once.
    pub batch: usize,
    /// The client socket's send buffer: bytes per write (0: unlimited).
    pub max_write: usize,
}

/// Requests received so far, over all connections (what a test may wait for).
struct Gauge {
    n: Mutex<usize>,
    cv: refrace_model::sync::Condvar,
}

impl Default for Gauge {
    fn default() -> Self {
        Gauge {
            n: Mutex::new(0),
            cv: refrace_model::sync::Condvar::new(),
        }
    }
}

impl Gauge {
    fn add(&self, k: usize) {
        *self.n.lock() += k;
        self.cv.notify_all();
    }
}

struct Shared {
    plan: Plan,
    attempts: usize,
    threads: Vec<thread::JoinHandle<()>>,
    socks: Vec<Arc<ServerSock>>,
    stopping: bool,
    pollers: Vec<Arc<Poller>>,
}

/// An in-world RESP responder (see the module doc). Commands: PING, ECHO, SET, GET, DEL, QUIT;
/// anything else gets `-ERR unknown command`.
pub struct Responder {
    shared: Mutex<Shared>,
    received: Arc<Gauge>,
}

impl Responder {
    /// A responder following `plan` (create it inside the execution that uses it).
    pub fn new(plan: Plan) -> Arc<Responder> {
        Arc::new(Responder {
            shared: Mutex::new(Shared {
                plan,
                attempts: 0,
                threads: Vec::new(),
                socks: Vec::new(),
                stopping: false,
                pollers: Vec::new(),
            }),
            received: Arc::new(Gauge::default()),
        })
    }

    /// Block until the responder has received at least `n` requests (over all connections).
    pub fn wait_received(&self, n: usize) {
        let mut g = self.received.n.lock();
        while *g < n {
            g = self.received.cv.wait(g);
        }
    }
}

impl Peer for Responder {
    fn connect(&self, client: Arc<Poller>) -> Connect {
        let mut sh = self.shared.lock();
        let n = sh.attempts;
        sh.attempts += 1;
        match sh.plan.attempts.get(n).copied().unwrap_or(Attempt::Accept) {
            Attempt::RefuseNow => return Connect::RefusedNow("Connection refused".into()),
            Attempt::RefuseLater => return Connect::RefusedLater("Connection refused".into()),
            Attempt::Accept => {}
        }
        let server = Poller::new();
        let (c, s) = pair(client, server.clone(), sh.plan.max_write);
        let s = Arc::new(s);
        let plan = sh.plan.clone();
        let (sock, poller, gauge) = (s.clone(), server.clone(), self.received.clone());
        let h = thread::spawn(&format!("responder-{}", n + 1), move || {
            serve(&sock, &poller, &plan, &gauge)
        });
        sh.threads.push(h);
        sh.socks.push(s);
        sh.pollers.push(server);
        Connect::Accepted(c)
    }

    fn shutdown(&self) -> Result<(), String> {
        let (threads, socks, pollers) = {
            let mut sh = self.shared.lock();
            sh.stopping = true;
            (
                std::mem::take(&mut sh.threads),
                std::mem::take(&mut sh.socks),
                std::mem::take(&mut sh.pollers),
            )
        };
        // The client's sockets close with its process: each serving thread sees EOF.
        for s in &socks {
            s.client_gone();
        }
        for p in &pollers {
            p.notify();
        }
        join_all(threads)
    }

    fn name(&self) -> &'static str {
        "responder"
    }
}

/// Join `threads`; the first one that panicked is the error.
pub(crate) fn join_all(threads: Vec<thread::JoinHandle<()>>) -> Result<(), String> {
    let mut first = Ok(());
    for t in threads {
        if let Err(p) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| t.join())) {
            if first.is_ok() {
                first = Err(p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "a serving thread panicked".into()));
            }
        }
    }
    first
}

/// Serve one connection until either end closes.
fn serve(sock: &ServerSock, poller: &Poller, plan: &Plan, gauge: &Gauge) {
    let mut parser = RequestParser::new(ParserLimits::default());
    let mut inbuf = Vec::new();
    let mut waiting: VecDeque<Vec<Vec<u8>>> = VecDeque::new();
    let mut store: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut replied = 0usize;
    let mut received = 0usize;
    loop {
        let seen = poller.snapshot();
        let eof = match sock.read() {
            Read::Data(d) => {
                inbuf.extend_from_slice(&d);
                false
            }
            Read::WouldBlock => false,
            Read::Eof => true,
        };
        let before = waiting.len();
        loop {
            match parser.parse(&mut inbuf) {
                ParseResult::Command(argv) => waiting.push_back(argv),
                ParseResult::Incomplete => break,
                ParseResult::ProtocolError(e) => {
                    let mut out = b"-".to_vec();
                    out.extend_from_slice(&e);
                    out.extend_from_slice(b"\r\n");
                    sock.write(&out);
                    sock.close();
                    return;
                }
            }
        }
        if waiting.len() > before {
            received += waiting.len() - before;
            gauge.add(waiting.len() - before);
        }
        let ready = eof || received >= plan.batch.max(1);
        let mut out = Vec::new();
        let mut close = false;
        while ready && !close {
            let Some(argv) = waiting.pop_front() else {
                break;
            };
            if plan.close_after.is_some_and(|n| replied >= n) {
                close = true;
                break;
            }
            close = answer(&argv, &mut store, &mut out);
            replied += 1;
            close |= plan.close_after.is_some_and(|n| replied >= n);
        }
        if !out.is_empty() && !sock.write(&out) {
            return;
        }
        if close || eof {
            sock.close();
            return;
        }
        poller.wait_past(seen);
    }
}

/// One command's reply; `true` when the connection closes after it (QUIT).
fn answer(argv: &[Vec<u8>], store: &mut Vec<(Vec<u8>, Vec<u8>)>, out: &mut Vec<u8>) -> bool {
    let name = argv[0].to_ascii_uppercase();
    let arg = |i: usize| argv.get(i).cloned().unwrap_or_default();
    match (name.as_slice(), argv.len()) {
        (b"PING", 1) => resp::add_reply_status(out, "PONG"),
        (b"PING", 2) | (b"ECHO", 2) => resp::add_reply_bulk(out, &argv[1]),
        (b"SET", 3) => {
            store.retain(|(k, _)| *k != argv[1]);
            store.push((arg(1), arg(2)));
            resp::add_reply_status(out, "OK");
        }
        (b"GET", 2) => match store.iter().find(|(k, _)| *k == argv[1]) {
            Some((_, v)) => resp::add_reply_bulk(out, v),
            None => resp::add_reply_null(out),
        },
        (b"DEL", 2) => {
            let before = store.len();
            store.retain(|(k, _)| *k != argv[1]);
            resp::add_reply_integer(out, (before - store.len()) as i64);
        }
        (b"QUIT", 1) => {
            resp::add_reply_status(out, "OK");
            return true;
        }
        _ => {
            let msg = format!("unknown command '{}'", String::from_utf8_lossy(&argv[0]));
            resp::add_reply_error(out, msg.as_bytes());
        }
    }
    false
}
