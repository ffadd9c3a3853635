//! The socket adapter: one real, non-blocking TCP connection behind a model [`Client`].
//!
//! The model's client has a scripted input and an output log with a write budget
//! ([`Client::querybuf`], [`Client::sent`], [`Client::sndbuf`]); this file connects them to a
//! socket:
//! - **reads** append what the socket has (at most [`READ_MAX`] per step, in
//!   [`READ_CHUNK`]-byte reads, Redis's `PROTO_IOBUF_LEN`) to the query buffer, and the model's
//!   own parser ([`parse_query`]) takes commands out of it, so a request split over any number
//!   of reads, or many requests in one read (pipelining), parse as they do in Redis;
//! - **writes**: before the model writes, its budget (`sndbuf`) is set to the room left in this
//!   connection's send buffer (at most [`SNDBUF`] bytes staged, the size of a socket's kernel
//!   buffer); after it, what the model wrote is moved into that buffer and flushed to the
//!   socket as far as the socket takes it. So a slow reader makes the model's write partial
//!   and its references stay in the reply buffer until the peer reads, as in Redis;
//! - the peer closing (read of 0 bytes, reset, broken pipe) is noted and the owner hands the
//!   client in with `HandIn::Close`.
//!
//! The [`Conn`] travels with the client as its [`Attachment`], so whichever thread owns the
//! client owns the socket; it is closed when `freeClient` drops the client.

use refrace_model::client::{Attachment, Client};
use refrace_model::iothread::parse_query;
use refrace_model::networking::write_to_client;
use refrace_model::object::Cx;
use refrace_model::Server;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::unix::io::{AsRawFd, RawFd};
use std::time::Duration;

/// Bytes one connection's send buffer holds (what the model may write ahead of the peer).
pub const SNDBUF: usize = 64 * 1024;

/// One `read(2)`: `PROTO_IOBUF_LEN`.
pub const READ_CHUNK: usize = 16 * 1024;

/// At most this much is read from one socket per step (then other clients get their turn).
pub const READ_MAX: usize = 1024 * 1024;

/// How long a closing connection may take to flush its last replies (SO_LINGER-like).
pub const LINGER: Duration = Duration::from_secs(2);

/// One connection.
#[derive(Debug)]
pub struct Conn {
    sock: TcpStream,
    out: Vec<u8>,
    out_off: usize,
    /// The peer closed its side (a read returned 0): the commands already received still run
    /// and get their replies, as in Redis, then the client is closed.
    pub eof: bool,
    /// The connection failed (reset, broken pipe): nothing more can be written.
    pub broken: bool,
    /// A violation broke while this client was served: it is closed at the next step.
    pub poisoned: bool,
    /// Kept on its IO thread (or parked on main) waiting for the socket; cleared when main sends
    /// it back, so a client coming from main is always served at once.
    pub parked: bool,
    /// It waits for the socket to take more bytes (POLLOUT).
    pub want_write: bool,
    /// Bytes read from the socket so far.
    pub read_total: u64,
}

/// What one read step found.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Read_ {
    /// Read this many bytes (maybe 0: nothing there yet).
    Some(usize),
    /// The peer closed or the connection failed.
    Eof,
}

impl Conn {
    /// A connection on `sock` (made non-blocking, `TCP_NODELAY`).
    pub fn new(sock: TcpStream) -> std::io::Result<Conn> {
        sock.set_nonblocking(true)?;
        sock.set_nodelay(true)?;
        Ok(Conn {
            sock,
            out: Vec::new(),
            out_off: 0,
            eof: false,
            broken: false,
            poisoned: false,
            parked: false,
            want_write: false,
            read_total: 0,
        })
    }

    /// The socket's descriptor (for `poll(2)`).
    pub fn fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }

    /// Bytes staged and not yet taken by the socket.
    pub fn staged(&self) -> usize {
        self.out.len() - self.out_off
    }

    /// Room left in the send buffer: the model's write budget.
    pub fn room(&self) -> usize {
        SNDBUF.saturating_sub(self.staged())
    }

    /// Write staged bytes until the socket takes no more.
    pub fn flush(&mut self) {
        while self.out_off < self.out.len() && !self.broken {
            match self.sock.write(&self.out[self.out_off..]) {
                Ok(0) => self.broken = true,
                Ok(n) => self.out_off += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => self.broken = true,
            }
        }
        if self.broken {
            self.out.clear();
            self.out_off = 0;
        }
        if self.out_off == self.out.len() {
            self.out.clear();
            self.out_off = 0;
        }
    }

    /// Flush everything staged, waiting at most [`LINGER`] (before the connection closes).
    pub fn linger(&mut self) {
        if self.staged() == 0 || self.broken {
            return;
        }
        if self.sock.set_nonblocking(false).is_ok()
            && self.sock.set_write_timeout(Some(LINGER)).is_ok()
        {
            let _ = self.sock.write_all(&self.out[self.out_off..]);
        }
        self.out.clear();
        self.out_off = 0;
    }

    /// Read what the socket has into `buf` (at most [`READ_MAX`]).
    pub fn read_into(&mut self, buf: &mut Vec<u8>) -> Read_ {
        let mut total = 0;
        let mut chunk = [0u8; READ_CHUNK];
        if self.eof || self.broken {
            return Read_::Eof;
        }
        while total < READ_MAX {
            match self.sock.read(&mut chunk) {
                Ok(0) => {
                    self.eof = true;
                    return if total > 0 {
                        Read_::Some(total)
                    } else {
                        Read_::Eof
                    };
                }
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    total += n;
                    self.read_total += n as u64;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => {
                    self.eof = true;
                    self.broken = true;
                    return Read_::Eof;
                }
            }
        }
        Read_::Some(total)
    }

    fn stage(&mut self, bytes: Vec<u8>) {
        if self.out.is_empty() {
            self.out = bytes;
        } else {
            self.out.extend_from_slice(&bytes);
        }
    }
}

/// The connection of `c` (taken out while the caller works on both; see [`put`]).
pub fn take(c: &mut Client) -> Box<Conn> {
    let a = c
        .conn
        .take()
        .expect("a served client carries its connection");
    a.0.downcast::<Conn>()
        .expect("the attachment of a served client is its Conn")
}

/// Put the connection back into `c`.
pub fn put(c: &mut Client, conn: Box<Conn>) {
    c.conn = Some(Attachment(conn));
}

/// Read `c`'s connection.
pub fn with_ref<R>(c: &Client, f: impl FnOnce(&Conn) -> R) -> R {
    let a = c
        .conn
        .as_ref()
        .expect("a served client carries its connection");
    f(a.0
        .downcast_ref::<Conn>()
        .expect("the attachment of a served client is its Conn"))
}

/// Run `f` on `c`'s connection in place.
pub fn with<R>(c: &mut Client, f: impl FnOnce(&mut Conn) -> R) -> R {
    let a = c
        .conn
        .as_mut()
        .expect("a served client carries its connection");
    f(a.0
        .downcast_mut::<Conn>()
        .expect("the attachment of a served client is its Conn"))
}

/// One model write into the socket: flush, budget = room, `writeToClient` (on the thread that
/// owns the client: `main` is main's state there, `None` on an IO thread), stage what it wrote,
/// flush. Returns (whole reply written, bytes the model wrote).
pub fn write_step(
    cx: Cx<'_>,
    main: Option<&mut Server>,
    c: &mut Client,
    conn: &mut Conn,
) -> (bool, usize) {
    conn.flush();
    c.sndbuf = Some(conn.room());
    let done = write_to_client(cx, main, c);
    let wrote = std::mem::take(&mut c.sent);
    let n = wrote.len();
    if n > 0 {
        conn.stage(wrote);
    }
    conn.flush();
    (done, n)
}

/// Parse the next command from the query buffer, reading the socket when it holds none.
/// `Some(true)`: a command (or a protocol error) is ready; `Some(false)`: wait for the socket;
/// `None`: the peer closed with no complete command left (its half frame is dropped).
pub fn next_command(cx: Cx<'_>, c: &mut Client, conn: &mut Conn) -> Option<bool> {
    if parse_query(cx, c) {
        return Some(true);
    }
    match conn.read_into(&mut c.querybuf) {
        Read_::Eof => None,
        Read_::Some(n) if n > 0 && parse_query(cx, c) => Some(true),
        Read_::Some(_) if conn.eof => None,
        Read_::Some(_) => Some(false),
    }
}
