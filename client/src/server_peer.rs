//! Adapter: refrace's own server model as the client's peer, on a thread of the same world, so
//! one exploration interleaves application threads, the client's loop thread and the server's
//! main thread.
//!
//! Kept to this one file and to five items of the model's API (`Env::new`, `Server::new`,
//! `networking::{create_client, free_client}`, `iothread::run_main_client`, and the quiescence
//! steps of `sims/src/world.rs::quiesce`), so it is easy to fix up when the model's modules move.
//! Each accepted connection gets a server of its own (its own ledger, checked at quiescence when
//! the peer shuts down); the client is served on main (no IO threads), the way
//! `sims/src/world.rs::serve_stream` feeds a stream through the model.

use crate::peer::{join_all, Connect, Peer};
use crate::socket::{pair, Poller, Read, ServerSock};
use refrace_model::ledger::Tid;
use refrace_model::sync::{thread, Arc, Mutex};
use refrace_model::{db, iothread, networking, Config, Env, Server};

/// refrace's server model behind the socket.
pub struct ServerModelPeer {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    threads: Vec<thread::JoinHandle<()>>,
    socks: Vec<(Arc<ServerSock>, Arc<Poller>)>,
}

impl ServerModelPeer {
    /// A peer whose connections are served by fresh server models (default configuration).
    pub fn new() -> Arc<ServerModelPeer> {
        Arc::new(ServerModelPeer {
            inner: Mutex::new(Inner::default()),
        })
    }
}

impl Peer for ServerModelPeer {
    fn connect(&self, client: Arc<Poller>) -> Connect {
        let server = Poller::new();
        let (c, s) = pair(client, server.clone(), 0);
        let s = Arc::new(s);
        let (sock, poller) = (s.clone(), server.clone());
        let h = thread::spawn("server-main", move || serve(&sock, &poller));
        let mut g = self.inner.lock();
        g.threads.push(h);
        g.socks.push((s, server));
        Connect::Accepted(c)
    }

    fn shutdown(&self) -> Result<(), String> {
        let (threads, socks) = {
            let mut g = self.inner.lock();
            (std::mem::take(&mut g.threads), std::mem::take(&mut g.socks))
        };
        for (s, p) in &socks {
            s.client_gone();
            p.notify();
        }
        join_all(threads)
    }

    fn name(&self) -> &'static str {
        "server-model"
    }
}

/// The server's main thread for one connection: feed what arrives through the model, send
/// the replies, and at the end free the client, drive the server to quiescence and assert its
/// ledger (a server-side violation panics with its invariant here).
fn serve(sock: &ServerSock, poller: &Poller) {
    let env = Env::new(Config::default(), false);
    let mut s = Server::new(env.clone());
    let mut c = networking::create_client(&mut s, Tid::Main, Vec::new());
    loop {
        let seen = poller.snapshot();
        match sock.read() {
            Read::Data(d) => {
                c.script.push_back(d);
                let open = iothread::run_main_client(&mut s, &mut c);
                let out = std::mem::take(&mut c.sent);
                if !sock.write(&out) || !open {
                    sock.close();
                    break;
                }
            }
            Read::WouldBlock => poller.wait_past(seen),
            Read::Eof => break,
        }
    }
    networking::free_client(&mut s, c);
    // sims/src/world.rs::quiesce, minus the checks of IO-thread registries a main-only client
    // never touches.
    while s.bio.step(&env) {}
    let mut f = networking::create_client(&mut s, Tid::Main, Vec::new());
    f.fake = true;
    db::empty_db(&mut s, &mut f, false);
    networking::free_client(&mut s, f);
    while s.bio.step(&env) {}
    refrace_model::strategy::quiesce(&mut s);
    s.assert_reply_refs_empty();
    env.ledger.assert_quiescent();
}
