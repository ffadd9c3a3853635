//! An IO thread of `refrace serve`: the model's IO-thread body ([`io_handle_client`]'s order of
//! work) with the socket adapter in place of the script.
//!
//! Every client of the thread is in its [`IoInbox`] unless the thread is serving it: a client
//! waiting for its socket is put back with [`IoInbox::keep`], so main's pause
//! (`pauseAllIOThreads` in FLUSHALL ASYNC's `protectClientReplyObjects`) reaches it there, as
//! Redis's main reaches an IO thread's clients. The loop:
//!
//! 1. take every queued client ([`IoInbox::try_recv_all`]: parks while main pauses the thread);
//! 2. serve each that came from main or whose socket is ready, as [`io_handle_client`] does:
//!    free what main deferred to it (`freeClientDeferredObjects`), write the reply (references
//!    read on this thread, released into `io_deferred_objects`), then read and parse the next
//!    command; hand it to main with `Command`, with `Cron` when the write is not complete and
//!    sent references wait in `io_deferred_objects` (main then drops them, as Redis's IO cron
//!    makes it do), with
//!    `Close` when the peer closed or a reply ends the connection; else keep it;
//! 3. `poll(2)` the kept clients' sockets and the wake-up pipe (main's sends and pause
//!    requests write into it).
//!
//! A panic while serving one client (an `INVARIANT` the ledger or the model raised) is caught:
//! it is logged with its report, counted, the client is handed to main to be closed, and the
//! thread goes on with the others (see [`super::Violations`]).

use super::conn::{self, Conn};
use super::wake::{poll, Wake, Want};
use super::Violations;
use refrace_model::client::{Client, HandIn};
use refrace_model::env::Env;
use refrace_model::handoff::{IoInbox, IoPoll, MainInbox};
use refrace_model::ledger::Tid;
use refrace_model::networking::free_client_deferred_objects;
use refrace_model::object::Cx;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// What one service step decided.
enum Next {
    /// To main, with this reason.
    Main(HandIn),
    /// Keep on this thread, waiting for the socket.
    Keep,
}

/// Serve `c` once (see the module doc, step 2).
fn serve_one(cx: Cx<'_>, c: &mut Client, conn: &mut Conn, closing: bool) -> Next {
    c.running_tid = cx.tid;
    free_client_deferred_objects(cx, c);
    if conn.poisoned || closing {
        return Next::Main(HandIn::Close);
    }
    // Write while the socket takes it; sent references kept for main (`io_deferred_objects`)
    // send the client to main (`Cron`) to have them dropped, as Redis's IO cron does.
    let mut done;
    loop {
        let (d, wrote) = conn::write_step(cx, None, c, conn);
        done = d;
        if done || wrote == 0 || conn.broken || !c.io_deferred_objects.is_empty() {
            break;
        }
    }
    conn.want_write = conn.staged() > 0;
    if conn.broken {
        return Next::Main(HandIn::Close);
    }
    if !done {
        conn.want_write = true;
        return if c.io_deferred_objects.is_empty() {
            Next::Keep
        } else {
            Next::Main(HandIn::Cron)
        };
    }
    if c.close_after_reply {
        conn.linger();
        return Next::Main(HandIn::Close);
    }
    match conn::next_command(cx, c, conn) {
        Some(true) => Next::Main(HandIn::Command),
        Some(false) => Next::Keep,
        None => {
            conn.linger();
            Next::Main(HandIn::Close)
        }
    }
}

/// The IO thread's loop (see the module doc) until its queue is shut down.
pub fn io_thread(
    env: &Env,
    n: u8,
    inbox: &IoInbox,
    main: &MainInbox,
    wake: &Wake,
    closing: &AtomicBool,
    violations: &Violations,
) {
    /// A panic outside one client's step (none is expected) kills the thread: wake main
    /// wherever it waits for it (a hand-in, a pause), as the model's own IO thread body does.
    struct DieLoudly<'a>(&'a MainInbox, &'a IoInbox);
    impl Drop for DieLoudly<'_> {
        fn drop(&mut self) {
            if std::thread::panicking() {
                self.0.abort();
                self.1.die();
            }
        }
    }
    let _die = DieLoudly(main, inbox);
    let cx = Cx {
        env,
        tid: Tid::Io(n),
    };
    let mut ready: Vec<u64> = Vec::new();
    loop {
        let batch = match inbox.try_recv_all() {
            IoPoll::Shutdown => return,
            IoPoll::Clients(v) => v,
        };
        let closing_now = closing.load(Ordering::Acquire);
        let mut kept: Vec<Want> = Vec::new();
        let mut kept_ids: Vec<u64> = Vec::new();
        for mut c in batch {
            let mut cn = conn::take(&mut c);
            let due = !cn.parked || closing_now || ready.contains(&c.id) || cn.poisoned;
            let next = if due {
                let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    serve_one(cx, &mut c, &mut cn, closing_now)
                }));
                match caught {
                    Ok(next) => next,
                    Err(p) => {
                        violations.caught(env, Tid::Io(n), c.id, &*p);
                        cn.poisoned = true;
                        Next::Main(HandIn::Close)
                    }
                }
            } else {
                Next::Keep
            };
            match next {
                Next::Main(why) => {
                    cn.parked = false;
                    conn::put(&mut c, cn);
                    c.hand_in = why;
                    env.ledger.hand_off(cx.tid, c.ptr, Tid::Main);
                    main.send(c);
                }
                Next::Keep => {
                    cn.parked = true;
                    kept.push(Want {
                        fd: cn.fd(),
                        read: !cn.want_write,
                        write: cn.want_write,
                    });
                    kept_ids.push(c.id);
                    conn::put(&mut c, cn);
                    inbox.keep(c);
                }
            }
        }
        kept.push(Want {
            fd: wake.fd(),
            read: true,
            write: false,
        });
        let r = poll(&kept, Duration::from_millis(200));
        wake.drain();
        ready.clear();
        ready.extend(
            kept_ids
                .iter()
                .zip(&r)
                .filter(|(_, ok)| **ok)
                .map(|(id, _)| *id),
        );
    }
}
