//! The model's side of a comparison: a fresh model server per case (default [`Config`]: no IO
//! threads, lazyfree-lazy-* off, cluster disabled), one client on main fed one request at a
//! time, and the clock set from the wall clock before each request (see [`super::clock`]).
//! At the end of a case the ledger must be quiescent: the stream also runs the model's oracle.

use refrace_model::client::Client;
use refrace_model::iothread::run_main_client;
use refrace_model::ledger::Tid;
use refrace_model::{db, networking, Config, Env, Server};
use std::sync::Arc;

/// The model server and its current connection.
pub struct ModelSide {
    env: Arc<Env>,
    /// The model server (its keyspace is read by the clock guard).
    pub server: Server,
    client: Option<Client>,
}

/// What one request did on the model.
pub struct ModelReply {
    /// Bytes the client received.
    pub bytes: Vec<u8>,
    /// The connection closed after them.
    pub closed: bool,
}

impl ModelSide {
    /// A fresh model with the default configuration.
    pub fn new() -> ModelSide {
        let env = Env::new(Config::default(), false);
        let server = Server::new(env.clone());
        ModelSide {
            env,
            server,
            client: None,
        }
    }

    /// The connection's selected database (`c->db`; 0 before it connects).
    pub fn selected_db(&self) -> usize {
        self.client.as_ref().map_or(0, |c| c.db)
    }

    /// Run one request at wall-clock time `now_ms` (the model's clock steps 1 ms per command,
    /// so it is set to `now_ms - 1` first). A closed connection is freed and the next request
    /// opens a new one, as the harness reconnects to the real server.
    pub fn request(&mut self, bytes: &[u8], now_ms: i64) -> ModelReply {
        let s = &mut self.server;
        let mut c = self
            .client
            .take()
            .unwrap_or_else(|| networking::create_client(s, Tid::Main, Vec::new()));
        s.now_ms = now_ms - 1;
        let before = c.sent.len();
        c.script.push_back(bytes.to_vec());
        let open = run_main_client(s, &mut c);
        let out = c.sent[before..].to_vec();
        if open {
            self.client = Some(c);
        } else {
            networking::free_client(s, c);
        }
        ModelReply {
            bytes: out,
            closed: !open,
        }
    }

    /// Close the connection, empty the keyspace, drain BIO and assert the ledger quiescent
    /// (panics with `INVARIANT …` if the stream broke one).
    pub fn finish(mut self) {
        let s = &mut self.server;
        if let Some(c) = self.client.take() {
            networking::free_client(s, c);
        }
        let mut f = networking::create_client(s, Tid::Main, Vec::new());
        db::empty_db(s, &mut f, false);
        networking::free_client(s, f);
        while s.bio.step(&self.env) {}
        s.assert_reply_refs_empty();
        self.env.ledger.assert_quiescent();
    }
}

impl Default for ModelSide {
    fn default() -> Self {
        Self::new()
    }
}
