//! One TCP connection to the real server: write request bytes, read replies split by the RESP2
//! decoder of `redis-protocol` (raw bytes kept for byte-for-byte comparison), and tell a closed
//! connection from a slow one.

use redis_protocol::resp2::decode::decode_range;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// How long to wait for a reply (or for EOF after a protocol error) before calling it missing.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Split off the first complete RESP2 reply of `buf`: its length, `None` when incomplete.
pub fn reply_len(buf: &[u8]) -> Result<Option<usize>, String> {
    match decode_range(buf) {
        Ok(Some((_, n))) => Ok(Some(n)),
        Ok(None) => Ok(None),
        Err(e) => Err(format!("undecodable RESP2: {e:?}")),
    }
}

/// Split a complete byte stream into replies (the model's output of one request).
pub fn split_replies(mut buf: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::new();
    while !buf.is_empty() {
        match reply_len(buf)? {
            Some(n) => {
                out.push(buf[..n].to_vec());
                buf = &buf[n..];
            }
            None => return Err(format!("incomplete reply: {}", super::show(buf))),
        }
    }
    Ok(out)
}

/// What reading from the server ended with.
#[derive(Debug, PartialEq, Eq)]
pub enum ReadEnd {
    /// Every reply asked for arrived.
    Complete,
    /// The server closed the connection (EOF or reset) first.
    Closed,
    /// Nothing more arrived within [`READ_TIMEOUT`].
    TimedOut,
}

/// Replies read, each with the instant it was complete.
pub type Replies = Vec<(Vec<u8>, Instant)>;

/// A connection to the server under comparison.
pub struct Conn {
    addr: SocketAddr,
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    /// Connect to `addr` (`HOST:PORT`).
    pub fn connect(addr: &str) -> Result<Conn, String> {
        let sa = addr
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve '{addr}': {e}"))?
            .next()
            .ok_or_else(|| format!("cannot resolve '{addr}'"))?;
        Self::connect_addr(sa)
    }

    /// Connect to a resolved address.
    pub fn connect_addr(addr: SocketAddr) -> Result<Conn, String> {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(3))
            .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        Ok(Conn {
            addr,
            stream,
            buf: Vec::new(),
        })
    }

    /// A fresh connection to the same server (after the server closed this one).
    pub fn reconnect(&mut self) -> Result<(), String> {
        *self = Self::connect_addr(self.addr)?;
        Ok(())
    }

    /// Write `bytes`. A reset while writing (the server closed on an earlier protocol error) is
    /// not an error here: the reads that follow see the close.
    pub fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        match self.stream.write_all(bytes) {
            Ok(()) => Ok(()),
            Err(e) if matches!(e.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset) => {
                Ok(())
            }
            Err(e) => Err(format!("write to {}: {e}", self.addr)),
        }
    }

    /// Read more bytes into the buffer; `Ok(false)` at EOF or reset.
    fn fill(&mut self, deadline: Instant) -> Result<Option<bool>, String> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(None);
        }
        self.stream
            .set_read_timeout(Some(left))
            .map_err(|e| e.to_string())?;
        let mut chunk = [0u8; 64 * 1024];
        match self.stream.read(&mut chunk) {
            Ok(0) => Ok(Some(false)),
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(Some(true))
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Ok(None),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => Ok(Some(false)),
            Err(e) if e.kind() == ErrorKind::Interrupted => Ok(Some(true)),
            Err(e) => Err(format!("read from {}: {e}", self.addr)),
        }
    }

    /// Read `n` replies, each with the instant it was complete (an upper bound of when the
    /// server ran the command).
    pub fn read_replies(&mut self, n: usize) -> Result<(Replies, ReadEnd), String> {
        let mut out = Vec::with_capacity(n);
        let deadline = Instant::now() + READ_TIMEOUT;
        while out.len() < n {
            if let Some(len) = reply_len(&self.buf)? {
                out.push((self.buf.drain(..len).collect(), Instant::now()));
                continue;
            }
            match self.fill(deadline)? {
                Some(true) => {}
                Some(false) => return Ok((out, ReadEnd::Closed)),
                None => return Ok((out, ReadEnd::TimedOut)),
            }
        }
        Ok((out, ReadEnd::Complete))
    }

    /// Wait for the server to close the connection: the bytes that came before EOF (`None` if it
    /// stayed open for [`READ_TIMEOUT`]).
    pub fn read_to_close(&mut self) -> Result<Option<Vec<u8>>, String> {
        let deadline = Instant::now() + READ_TIMEOUT;
        loop {
            match self.fill(deadline)? {
                Some(true) => {}
                Some(false) => return Ok(Some(std::mem::take(&mut self.buf))),
                None => return Ok(None),
            }
        }
    }

    /// Send one command and read its one reply (setup and sentinels).
    pub fn call(&mut self, argv: &[&[u8]]) -> Result<Vec<u8>, String> {
        let argv: Vec<Vec<u8>> = argv.iter().map(|a| a.to_vec()).collect();
        self.send(&refrace_gen::encode_multibulk(&argv))?;
        match self.read_replies(1)? {
            (mut r, ReadEnd::Complete) => Ok(r.remove(0).0),
            (_, end) => Err(format!(
                "{} to {}: no reply ({end:?})",
                String::from_utf8_lossy(&argv[0]),
                self.addr
            )),
        }
    }

    /// Bytes received but not yet claimed by a reply.
    pub fn leftover(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }
}
