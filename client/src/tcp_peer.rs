//! A real redis-server over loopback as the client's peer (real threads only).
//!
//! The client's loop still drives the in-memory socket of [`crate::socket`]; two pump threads per
//! connection move its bytes to and from a `TcpStream`, so the hiredis model, the event loop
//! and the oracle are exactly those of the other lanes. Used by `client/tests/real_server.rs`,
//! which starts the server (the project's finder/installer, `src/diff/server.rs`).

use crate::peer::{join_all, Connect, Peer};
use crate::socket::{pair, Poller, Read};
use refrace_model::sync::{backend, thread, Arc, Backend, Mutex};
use std::io::{Read as _, Write as _};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};

/// A redis-server at a loopback address.
pub struct TcpPeer {
    addr: SocketAddr,
    inner: Mutex<Vec<Conn>>,
}

struct Conn {
    tcp: TcpStream,
    stop: Arc<AtomicBool>,
    poller: Arc<Poller>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl TcpPeer {
    /// A peer for the server at `addr`.
    pub fn new(addr: SocketAddr) -> Arc<TcpPeer> {
        Arc::new(TcpPeer {
            addr,
            inner: Mutex::new(Vec::new()),
        })
    }
}

impl Peer for TcpPeer {
    fn connect(&self, client: Arc<Poller>) -> Connect {
        if backend() != Backend::Std {
            return Connect::RefusedNow("a TCP peer needs real threads (the std backend)".into());
        }
        let tcp = match TcpStream::connect(self.addr) {
            Ok(t) => t,
            Err(e) => return Connect::RefusedNow(format!("{}: {e}", self.addr)),
        };
        let (Ok(mut from_server), Ok(mut to_server)) = (tcp.try_clone(), tcp.try_clone()) else {
            return Connect::RefusedNow("cannot clone the TCP stream".into());
        };
        let server = Poller::new();
        let (c, s) = pair(client, server.clone(), 0);
        let s = Arc::new(s);
        let stop = Arc::new(AtomicBool::new(false));
        let down = s.clone();
        let pump_in = thread::spawn("tcp-in", move || {
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                match from_server.read(&mut buf) {
                    Ok(0) | Err(_) => {
                        down.close();
                        return;
                    }
                    Ok(n) => {
                        if !down.write(&buf[..n]) {
                            return;
                        }
                    }
                }
            }
        });
        let (up, poller, halt) = (s, server.clone(), stop.clone());
        let pump_out = thread::spawn("tcp-out", move || loop {
            let seen = poller.snapshot();
            if halt.load(Ordering::SeqCst) {
                return;
            }
            match up.read() {
                Read::Data(d) => {
                    if to_server.write_all(&d).is_err() {
                        return;
                    }
                }
                Read::WouldBlock => poller.wait_past(seen),
                Read::Eof => {
                    let _ = to_server.shutdown(Shutdown::Write);
                    return;
                }
            }
        });
        self.inner.lock().push(Conn {
            tcp,
            stop,
            poller: server,
            threads: vec![pump_in, pump_out],
        });
        Connect::Accepted(c)
    }

    fn shutdown(&self) -> Result<(), String> {
        let conns = std::mem::take(&mut *self.inner.lock());
        let mut threads = Vec::new();
        for c in conns {
            c.stop.store(true, Ordering::SeqCst);
            c.poller.notify();
            let _ = c.tcp.shutdown(Shutdown::Both);
            threads.extend(c.threads);
        }
        join_all(threads)
    }

    fn name(&self) -> &'static str {
        "redis-server"
    }
}
