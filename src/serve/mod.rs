//! `refrace serve`: the model as a RESP2 server on real sockets and real OS threads (the sync
//! shim's std backend).
//!
//! # Threads
//!
//! The threads of the explored worlds ([`refrace_sims::world::run`]), with the same bodies and
//! the same hand-off queues:
//! - **main** (the calling thread): accepts connections (`createClient`), runs every command
//!   ([`main_handle_client`](refrace_model::iothread::main_handle_client)), sends clients back
//!   to their IO thread ([`send_to_io`]); with `io-threads 1` it also owns every client and does
//!   their socket I/O itself ([`main_clients`]);
//! - **IO-1..IO-(n-1)** (`io-threads n`, as in Redis): write replies (reading referenced values,
//!   deferring their release to main), read and parse requests ([`io`]);
//! - **BIO**: the lazy-free thread ([`Bio::thread_main`](refrace_model::lazyfree::Bio)).
//!
//! Clients are assigned to IO threads round-robin when accepted. The socket adapter
//! ([`conn`]) travels with the client as its [`Attachment`](refrace_model::client::Attachment);
//! the model's queues got a wake-up hook and non-blocking receives for it (see
//! [`refrace_model::handoff`]); each thread waits in `poll(2)` ([`wake`]).
//!
//! # Violations, live
//!
//! The ledger raises a violation by panicking with its report (`INVARIANT <NAME>: …`, the
//! object, its holders, its last events). `serve` catches that panic around each unit of work
//! (one client's step on an IO thread, one hand-in on main, one BIO job loop), so the thread
//! that caught it goes on serving the others: the report is printed on stderr, counted by the
//! ledger (`ledger_violations` in `INFO ledger`; `DEBUG LEDGER` shows the latest reports), and
//! the client being served is closed (its half-done state is not trusted; what it held may
//! then show as a leak at shutdown, after the violation that caused it). With
//! `--abort-on-violation` the first violation stops the server: exit status 1 with the report.
//!
//! # Stopping
//!
//! SIGINT, SIGTERM or `SHUTDOWN`: stop accepting, hand every client to main to be freed
//! (`freeClient`), stop the IO and BIO threads, then quiesce as the explored worlds do
//! ([`quiesce`]: FLUSHALL, BIO drained, nothing listed or tracked, no allocation left: `LEAK`
//! otherwise) and print the ledger's final report. Exit status 0 only when no violation was
//! seen and nothing leaked. A second signal exits at once (status 130).

pub mod commands;
pub mod config;
pub mod conn;
pub mod io;
pub mod wake;

use conn::Conn;
use refrace_model::client::{Attachment, Client};
use refrace_model::env::Env;
use refrace_model::iothread::{execute, parse_query, send_to_io};
use refrace_model::ledger::Tid;
use refrace_model::networking::{create_client, free_client, reclaim_pending_command};
use refrace_model::object::Cx;
use refrace_model::sync::thread;
use refrace_model::Server;
use refrace_sims::explore::panic_message;
use refrace_sims::world::{connect, quiesce};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wake::{poll, Wake, Want};

pub use config::Settings;

/// Options of one server run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Address, port and the model's configuration.
    pub settings: Settings,
    /// Stop at the first violation (exit status 1).
    pub abort_on_violation: bool,
    /// Records of freed allocations the ledger keeps (see `Ledger::set_retention`).
    pub retention: usize,
}

/// Why the server stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// SIGINT or SIGTERM.
    Signal,
    /// A client sent SHUTDOWN.
    Shutdown,
    /// A violation, with `--abort-on-violation`.
    Violation,
}

/// What a run ended with.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Why it stopped.
    pub stop: Stop,
    /// Violations seen while serving (before the shutdown's quiescence check).
    pub violations: u64,
    /// The quiescence check's violation (a LEAK, …), if any.
    pub at_quiescence: Option<String>,
    /// The final report (text).
    pub report: String,
}

impl Outcome {
    /// Clean: no violation while serving, nothing left at quiescence.
    pub fn clean(&self) -> bool {
        self.violations == 0 && self.at_quiescence.is_none()
    }
}

/// Violations caught on any thread (see the module doc).
pub struct Violations {
    abort: bool,
    abort_now: AtomicBool,
    main_wake: refrace_model::handoff::Waker,
    log: Mutex<()>,
}

impl Violations {
    /// Log and count a panic caught on `tid` while serving client `client`.
    pub fn caught(&self, env: &Env, tid: Tid, client: u64, p: &(dyn std::any::Any + Send)) {
        let msg = panic_message(p);
        env.ledger.note_caught(&msg);
        let n = env.ledger.violations();
        {
            let _g = self.log.lock().unwrap_or_else(|e| e.into_inner());
            eprintln!(
                "refrace serve: violation #{n} on {tid} while serving client {client}:\n{msg}"
            );
        }
        if self.abort {
            self.abort_now.store(true, Ordering::Release);
            (self.main_wake)();
        }
    }
}

/// The fd signals write into, and how many arrived.
static SIGNAL_FD: AtomicI32 = AtomicI32::new(-1);
static SIGNALS: AtomicU32 = AtomicU32::new(0);

extern "C" fn on_signal(_: libc::c_int) {
    if SIGNALS.fetch_add(1, Ordering::SeqCst) >= 1 {
        // SAFETY: _exit is async-signal-safe.
        unsafe { libc::_exit(130) }
    }
    let fd = SIGNAL_FD.load(Ordering::SeqCst);
    if fd >= 0 {
        let b = [1u8];
        // SAFETY: write(2) is async-signal-safe; `b` is a valid one-byte buffer.
        unsafe { libc::write(fd, b.as_ptr().cast(), 1) };
    }
}

fn install_signals(fd: i32) {
    SIGNAL_FD.store(fd, Ordering::SeqCst);
    let h = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: installs a handler that only touches atomics and calls async-signal-safe
    // functions.
    unsafe {
        libc::signal(libc::SIGINT, h);
        libc::signal(libc::SIGTERM, h);
    }
}

/// Print panics other than the ledger's reports (those `serve` logs itself with context).
fn install_panic_hook() {
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = panic_message(info.payload());
        if !msg.starts_with("INVARIANT") {
            prev(info);
        }
    }));
}

/// Clients living on main (`io-threads 1`): their socket I/O is main's, with the model's
/// main-thread order of work ([`run_main_client`](refrace_model::iothread::run_main_client)):
/// run every command the query buffer holds, then write, then read.
pub mod main_clients {
    use super::*;

    /// Serve `c` (taken out of `s.parked`). Returns (keep it, stop the server).
    pub fn serve(s: &mut Server, c: &mut Client, conn: &mut Conn) -> (bool, bool) {
        let env = s.env();
        let cx = Cx::main(&env);
        c.running_tid = Tid::Main;
        if conn.poisoned {
            return (false, false);
        }
        loop {
            if !c.close_after_reply && parse_query(cx, c) {
                set_clock(s);
                match super::commands::lookup(s, c) {
                    Some(cmd) => {
                        let stop = super::commands::run(s, c, cmd);
                        reclaim_pending_command(s, c);
                        if stop {
                            return (false, true);
                        }
                    }
                    None => {
                        execute(s, c);
                        if c.blocked {
                            // A blocking FLUSHALL/FLUSHDB: +OK once BIO ran the flush.
                            refrace_model::iothread::finish_blocking_flush_inline(s, c);
                        }
                    }
                }
                continue;
            }
            let (done, _) = conn::write_step(cx, Some(s), c, conn);
            conn.want_write = !done || conn.staged() > 0;
            if conn.broken {
                return (false, false);
            }
            if c.close_after_reply {
                if done {
                    conn.linger();
                    return (false, false);
                }
                return (true, false);
            }
            if !done {
                return (true, false);
            }
            if conn.eof {
                // Everything received before the peer closed has run and been answered.
                conn.linger();
                return (false, false);
            }
            match conn.read_into(&mut c.querybuf) {
                conn::Read_::Eof => return (false, false),
                conn::Read_::Some(0) => return (true, false),
                conn::Read_::Some(_) => {}
            }
        }
    }
}

/// The model's clock is logical (1 ms per command); a server's is the wall clock (`EXAT`,
/// `PXAT`, TTLs against `clock seconds`): set it so the next command runs at the wall time
/// (`execute` adds its 1 ms first).
fn set_clock(s: &mut Server) {
    s.now_ms = crate::diff::clock::wall_ms() - 1;
}

struct Threads {
    io: Vec<thread::JoinHandle<()>>,
    io_wakers: Vec<refrace_model::handoff::Waker>,
    bio: Option<thread::JoinHandle<()>>,
}

fn spawn_threads(
    s: &Server,
    env: &Arc<Env>,
    closing: &Arc<AtomicBool>,
    violations: &Arc<Violations>,
) -> Result<Threads, String> {
    let mut io = Vec::new();
    let mut io_wakers = Vec::new();
    for (i, q) in s.io.iter().enumerate() {
        let w = Wake::new().map_err(|e| format!("cannot make a wake-up pipe: {e}"))?;
        q.set_threaded(true);
        q.set_waker(Some(w.waker()));
        io_wakers.push(w.waker());
        let (env, q, m) = (env.clone(), q.clone(), s.main_inbox.clone());
        let (closing, violations) = (closing.clone(), violations.clone());
        let n = i as u8 + 1;
        io.push(thread::spawn(&format!("IO-{n}"), move || {
            io::io_thread(&env, n, &q, &m, &w, &closing, &violations)
        }));
    }
    let (benv, bio, bviol) = (env.clone(), s.bio.clone(), violations.clone());
    let bio = Some(thread::spawn("BIO", move || loop {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| bio.thread_main(&benv)));
        match r {
            Ok(()) => return,
            Err(p) => bviol.caught(&benv, Tid::Bio, 0, &*p),
        }
    }));
    Ok(Threads { io, io_wakers, bio })
}

/// Accept `sock`: `createClient` on main, assigned round-robin to an IO thread (or to main
/// with `io-threads 1`).
fn accept(s: &mut Server, sock: TcpStream, next: &mut usize) -> Result<(), String> {
    let conn = Conn::new(sock).map_err(|e| format!("accept: {e}"))?;
    let nio = s.io.len();
    let mut c = if nio == 0 {
        create_client(s, Tid::Main, Vec::new())
    } else {
        let io = (*next % nio) as u8 + 1;
        *next += 1;
        connect(s, io, Vec::new(), None)
    };
    c.conn = Some(Attachment(Box::new(conn)));
    if nio == 0 {
        s.parked.push(c);
    } else {
        send_to_io(s, c);
    }
    Ok(())
}

/// The live counters line for the final report.
fn ledger_line(env: &Env) -> String {
    let l = env.ledger.live();
    format!(
        "ledger: {} allocation(s), {} freed, {} live ({} permanent: the shared integers), used_memory {} bytes; violations: {}",
        l.summary.allocations,
        l.summary.frees,
        l.summary.live,
        l.permanent,
        l.summary.used_memory,
        l.violations
    )
}

/// Serve until stopped; `announce` is told the address once listening.
pub fn serve(opts: Options, announce: impl FnOnce(SocketAddr)) -> Result<Outcome, String> {
    let st = &opts.settings;
    let listener = TcpListener::bind((st.bind.as_str(), st.port))
        .map_err(|e| format!("cannot listen on {}:{}: {e}", st.bind, st.port))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("cannot make the listener non-blocking: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("listener address: {e}"))?;
    let env = Env::new(st.cfg.clone(), false);
    env.ledger.set_retention(Some(opts.retention));
    let mut s = Server::new(env.clone());
    s.adapter_command = Some(commands::is_serve_command);
    let wake = Wake::new().map_err(|e| format!("cannot make a wake-up pipe: {e}"))?;
    s.main_inbox.set_waker(Some(wake.waker()));
    install_panic_hook();
    install_signals(wake.tx_fd());
    let violations = Arc::new(Violations {
        abort: opts.abort_on_violation,
        abort_now: AtomicBool::new(false),
        main_wake: wake.waker(),
        log: Mutex::new(()),
    });
    let closing = Arc::new(AtomicBool::new(false));
    let threads = spawn_threads(&s, &env, &closing, &violations)?;
    announce(addr);

    let mut listener = Some(listener);
    let mut next_io = 0usize;
    let mut stop: Option<Stop> = None;
    let mut ready: Vec<u64> = Vec::new();
    let started = Instant::now();
    let mut accepted = 0u64;
    // Clients accepted and not yet freed (or lost to a violation).
    let mut open = 0usize;
    loop {
        if stop.is_none() {
            if SIGNALS.load(Ordering::SeqCst) > 0 {
                stop = Some(Stop::Signal);
            } else if violations.abort_now.load(Ordering::Acquire) {
                stop = Some(Stop::Violation);
            }
        }
        if stop.is_some() && listener.is_some() {
            listener = None;
            closing.store(true, Ordering::Release);
            for w in &threads.io_wakers {
                w();
            }
        }
        if let Some(l) = &listener {
            loop {
                match l.accept() {
                    Ok((sock, _)) => {
                        if let Err(e) = accept(&mut s, sock, &mut next_io) {
                            eprintln!("refrace serve: {e}");
                        } else {
                            accepted += 1;
                            open += 1;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        eprintln!("refrace serve: accept: {e}");
                        break;
                    }
                }
            }
        }
        // Hand-ins from the IO threads.
        while let Some(c) = s.main_inbox.try_recv() {
            let id = c.id;
            set_clock(&mut s);
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                commands::main_handle(&mut s, c)
            }));
            match r {
                Ok((back, halt)) => {
                    if halt && stop.is_none() {
                        stop = Some(Stop::Shutdown);
                    }
                    match back {
                        Some(c) => send_to_io(&s, c),
                        None => open -= 1,
                    }
                }
                Err(p) => {
                    open -= 1;
                    violations.caught(&env, Tid::Main, id, &*p)
                }
            }
        }
        // Clients living on main: serve each that is due once, then park the kept ones again.
        let closing_now = stop.is_some();
        let (due, idle): (Vec<Client>, Vec<Client>) =
            std::mem::take(&mut s.parked).into_iter().partition(|c| {
                closing_now || ready.contains(&c.id) || conn::with_ref(c, |cn| !cn.parked)
            });
        s.parked = idle;
        for mut c in due {
            let mut cn = conn::take(&mut c);
            let id = c.id;
            let r = if closing_now {
                Ok((false, false))
            } else {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    main_clients::serve(&mut s, &mut c, &mut cn)
                }))
            };
            let (keep, halt) = match r {
                Ok(x) => x,
                Err(p) => {
                    violations.caught(&env, Tid::Main, id, &*p);
                    (false, false)
                }
            };
            if halt && stop.is_none() {
                stop = Some(Stop::Shutdown);
            }
            cn.parked = true;
            conn::put(&mut c, cn);
            if keep {
                s.parked.push(c);
            } else {
                open -= 1;
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    free_client(&mut s, c)
                }));
                if let Err(p) = r {
                    violations.caught(&env, Tid::Main, id, &*p);
                }
            }
        }
        s.closed.clear();
        if stop.is_some() && open == 0 {
            break;
        }
        // Wait.
        let mut wants: Vec<Want> = Vec::new();
        let mut ids: Vec<u64> = Vec::new();
        for c in &mut s.parked {
            let (fd, ww) = conn::with(c, |cn| (cn.fd(), cn.want_write));
            wants.push(Want {
                fd,
                read: !ww,
                write: ww,
            });
            ids.push(c.id);
        }
        wants.push(Want {
            fd: wake.fd(),
            read: true,
            write: false,
        });
        if let Some(l) = &listener {
            use std::os::unix::io::AsRawFd;
            wants.push(Want {
                fd: l.as_raw_fd(),
                read: true,
                write: false,
            });
        }
        let r = poll(&wants, Duration::from_millis(200));
        wake.drain();
        ready.clear();
        ready.extend(ids.iter().zip(&r).filter(|(_, ok)| **ok).map(|(id, _)| *id));
    }

    // Stop the threads, then quiesce.
    for q in &s.io {
        q.shutdown();
    }
    for h in threads.io {
        h.join();
    }
    for q in &s.io {
        q.set_threaded(false);
        q.set_waker(None);
    }
    s.bio.shutdown();
    if let Some(h) = threads.bio {
        h.join();
    }
    let violations_seen = env.ledger.violations();
    let at_quiescence = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| quiesce(&mut s)))
        .err()
        .map(|p| panic_message(&*p));
    let stop = stop.unwrap_or(Stop::Signal);
    let mut report = format!(
        "refrace serve: stopped ({}) after {:.1} s, {} connection(s) served\n{}\n",
        match stop {
            Stop::Signal => "signal",
            Stop::Shutdown => "SHUTDOWN",
            Stop::Violation => "violation, --abort-on-violation",
        },
        started.elapsed().as_secs_f64(),
        accepted,
        ledger_line(&env),
    );
    match &at_quiescence {
        None => report.push_str(
            "quiescence: clean (FLUSHALL, BIO drained, no reference listed or tracked, no allocation left)\n",
        ),
        Some(v) => report.push_str(&format!("quiescence: {v}\n")),
    }
    let live = env.ledger.live();
    if violations_seen > 0 {
        report.push_str(&format!(
            "violations while serving: {violations_seen}; latest reports:\n"
        ));
        for r in live.recent.iter().take(live.recent.len()) {
            report.push_str(r);
            report.push('\n');
        }
    }
    Ok(Outcome {
        stop,
        violations: violations_seen,
        at_quiescence,
        report,
    })
}
