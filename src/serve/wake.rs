//! Waiting for sockets: `poll(2)` over a thread's sockets plus its wake-up pipe (a Unix socket
//! pair). The other side of a hand-off queue writes one byte into the pipe (the queue's
//! [`Waker`](refrace_model::handoff::Waker)), and so does the signal handler for main.

use std::io::{ErrorKind, Read, Write};
use std::os::unix::io::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::Duration;

/// A thread's wake-up pipe.
pub struct Wake {
    rx: UnixStream,
    tx: Arc<UnixStream>,
}

impl Wake {
    /// A new pipe (both ends non-blocking).
    pub fn new() -> std::io::Result<Wake> {
        let (rx, tx) = UnixStream::pair()?;
        rx.set_nonblocking(true)?;
        tx.set_nonblocking(true)?;
        Ok(Wake {
            rx,
            tx: Arc::new(tx),
        })
    }

    /// The descriptor to poll.
    pub fn fd(&self) -> RawFd {
        self.rx.as_raw_fd()
    }

    /// The write end's descriptor (for the signal handler: `write(2)` is async-signal-safe).
    pub fn tx_fd(&self) -> RawFd {
        self.tx.as_raw_fd()
    }

    /// A waker for a hand-off queue: writes one byte (a full pipe already means "awake").
    pub fn waker(&self) -> refrace_model::handoff::Waker {
        let tx = self.tx.clone();
        Arc::new(move || {
            let _ = (&*tx).write(&[1]);
        })
    }

    /// Empty the pipe after a wake-up.
    pub fn drain(&self) {
        let mut buf = [0u8; 256];
        loop {
            match (&self.rx).read(&mut buf) {
                Ok(n) if n > 0 => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                _ => break,
            }
        }
    }
}

/// What to wait for on one descriptor.
#[derive(Copy, Clone, Debug)]
pub struct Want {
    /// The descriptor.
    pub fd: RawFd,
    /// Readable.
    pub read: bool,
    /// Writable.
    pub write: bool,
}

/// `poll(2)` on `wants` for at most `timeout`; returns, per entry, whether it is ready (readable,
/// writable as asked, or hung up / failed).
pub fn poll(wants: &[Want], timeout: Duration) -> Vec<bool> {
    let mut fds: Vec<libc::pollfd> = wants
        .iter()
        .map(|w| libc::pollfd {
            fd: w.fd,
            events: (if w.read { libc::POLLIN } else { 0 })
                | (if w.write { libc::POLLOUT } else { 0 }),
            revents: 0,
        })
        .collect();
    let ms = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
    // SAFETY: `fds` is a valid array of `fds.len()` pollfd structures for the call's duration.
    let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
    if n <= 0 {
        return vec![false; wants.len()];
    }
    fds.iter().map(|p| p.revents != 0).collect()
}
