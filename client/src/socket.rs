//! An in-memory socket between the client's event loop and a peer in the same world, and the
//! readiness notification a thread blocks on (what `epoll_wait` / `uv_run` do for the loop).
//!
//! Everything here goes through the sync shim, so explorers interleave the loop thread, the
//! application threads and the peer's threads at every send, receive and wake-up.
//!
//! Simplifications: one socket is two byte queues under one lock; a write moves at most
//! `max_write` bytes (a small send buffer, so hiredis's partial-write path runs); closing one end
//! is seen by the other as EOF after the bytes already queued, and writes to a closed peer fail
//! (EPIPE). No TCP states beyond that.

use refrace_model::sync::{Arc, Condvar, Mutex};
use std::collections::VecDeque;

/// A readiness counter a thread blocks on: any event that may give it work bumps the counter.
/// A waiter takes a [`Poller::snapshot`] before looking for work and, finding none, waits until
/// the counter moved past it, so no wake-up between the look and the wait is lost.
pub struct Poller {
    gen: Mutex<u64>,
    cv: Condvar,
}

impl std::fmt::Debug for Poller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Poller")
    }
}

impl Default for Poller {
    fn default() -> Self {
        Poller {
            gen: Mutex::new(0),
            cv: Condvar::new(),
        }
    }
}

impl Poller {
    /// A new poller (on the current backend).
    pub fn new() -> Arc<Poller> {
        Arc::new(Poller::default())
    }

    /// Something happened (`uv_async_send`, a socket became readable).
    pub fn notify(&self) {
        *self.gen.lock() += 1;
        self.cv.notify_all();
    }

    /// The counter now.
    pub fn snapshot(&self) -> u64 {
        *self.gen.lock()
    }

    /// Block until the counter moved past `seen`.
    pub fn wait_past(&self, seen: u64) {
        let mut g = self.gen.lock();
        while *g == seen {
            g = self.cv.wait(g);
        }
    }
}

#[derive(Default)]
struct Pipes {
    to_server: VecDeque<u8>,
    to_client: VecDeque<u8>,
    client_closed: bool,
    server_closed: bool,
}

struct Pair {
    pipes: Mutex<Pipes>,
    client: Arc<Poller>,
    server: Arc<Poller>,
    max_write: usize,
}

/// What a read found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Read {
    /// Bytes (at least one).
    Data(Vec<u8>),
    /// Nothing queued, the other end open (EAGAIN).
    WouldBlock,
    /// The other end closed and everything it sent was read.
    Eof,
}

/// The client's end (the loop thread's file descriptor).
pub struct ClientSock(Arc<Pair>);

/// The peer's end.
pub struct ServerSock(Arc<Pair>);

impl std::fmt::Debug for ClientSock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientSock")
    }
}

impl std::fmt::Debug for ServerSock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerSock")
    }
}

/// A connected pair: the client end wakes `client` when the peer sends or closes, the server
/// end wakes `server`. A write moves at most `max_write` bytes (0: no limit).
pub fn pair(
    client: Arc<Poller>,
    server: Arc<Poller>,
    max_write: usize,
) -> (ClientSock, ServerSock) {
    let p = Arc::new(Pair {
        pipes: Mutex::new(Pipes::default()),
        client,
        server,
        max_write: if max_write == 0 {
            usize::MAX
        } else {
            max_write
        },
    });
    (ClientSock(p.clone()), ServerSock(p))
}

fn take(q: &mut VecDeque<u8>) -> Vec<u8> {
    q.drain(..).collect()
}

impl ClientSock {
    /// `write(2)`: queue up to `max_write` bytes of `buf` for the peer; `Err` when the peer
    /// closed (EPIPE) or this end was closed.
    pub fn write(&self, buf: &[u8]) -> Result<usize, String> {
        let n = {
            let mut p = self.0.pipes.lock();
            if p.client_closed {
                return Err("write on a closed socket".into());
            }
            if p.server_closed {
                return Err("Broken pipe".into());
            }
            let n = buf.len().min(self.0.max_write);
            p.to_server.extend(&buf[..n]);
            n
        };
        if n > 0 {
            self.0.server.notify();
        }
        Ok(n)
    }

    /// `read(2)`: everything the peer sent so far.
    pub fn read(&self) -> Read {
        let mut p = self.0.pipes.lock();
        if !p.to_client.is_empty() {
            Read::Data(take(&mut p.to_client))
        } else if p.server_closed {
            Read::Eof
        } else {
            Read::WouldBlock
        }
    }

    /// Whether a read would not block (bytes queued, or EOF).
    pub fn readable(&self) -> bool {
        let p = self.0.pipes.lock();
        !p.to_client.is_empty() || p.server_closed
    }

    /// `close(2)`.
    pub fn close(&self) {
        self.0.pipes.lock().client_closed = true;
        self.0.server.notify();
    }
}

impl ServerSock {
    /// Send `buf` to the client (a peer's writes are not limited); `false` when the client
    /// closed (the bytes are dropped, as on a reset connection).
    pub fn write(&self, buf: &[u8]) -> bool {
        let ok = {
            let mut p = self.0.pipes.lock();
            if p.client_closed || p.server_closed {
                false
            } else {
                p.to_client.extend(buf);
                true
            }
        };
        if ok && !buf.is_empty() {
            self.0.client.notify();
        }
        ok
    }

    /// Everything the client sent so far.
    pub fn read(&self) -> Read {
        let mut p = self.0.pipes.lock();
        if !p.to_server.is_empty() {
            Read::Data(take(&mut p.to_server))
        } else if p.client_closed {
            Read::Eof
        } else {
            Read::WouldBlock
        }
    }

    /// `close(2)` on the server side: the client sees EOF after the queued bytes.
    pub fn close(&self) {
        self.0.pipes.lock().server_closed = true;
        self.0.client.notify();
    }

    /// The client's process is gone (its descriptors closed by the kernel): this end reads EOF
    /// even if the client never closed its socket.
    pub fn client_gone(&self) {
        self.0.pipes.lock().client_closed = true;
        self.0.server.notify();
    }
}
