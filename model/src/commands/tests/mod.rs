//! Unit tests of the commands, one file per room of [`crate::commands`], driven through a
//! client on the main thread: each test sends requests, compares the reply bytes with
//! Redis's, then flushes, frees the client and asserts the ledger quiescent (no leak, no
//! registry entry left).

use crate::iothread::run_main_client;
use crate::networking::write_to_client;
use crate::object::Cx;
use crate::{Config, Env, Server, Tid};

mod cluster;
mod config;
mod evict;
mod expire;
mod info;
mod keyspace;
mod paths;
mod pin;
mod server;
mod streams;
mod t_list;
mod t_string;

/// Drive one client on main through `cmds`, with the socket accepting `sndbuf` bytes per
/// write (so reply references stay alive across later commands), then flush, close, check
/// `inspect`, flush the keyspace synchronously, drain BIO and assert the ledger quiescent.
fn run_full(
    cfg: Config,
    sndbuf: Option<usize>,
    cmds: &[&[&[u8]]],
    inspect: impl FnOnce(&Server),
) -> Vec<u8> {
    let env = Env::new(cfg, false);
    let mut s = Server::new(env.clone());
    let script = cmds
        .iter()
        .map(|a| crate::resp::encode_request(a))
        .collect();
    let mut c = crate::networking::create_client(&mut s, Tid::Main, script);
    c.sndbuf = sndbuf;
    run_main_client(&mut s, &mut c);
    c.sndbuf = None;
    let cx = Cx::main(&env);
    write_to_client(cx, Some(&mut s), &mut c);
    let out = c.sent.clone();
    crate::networking::free_client(&mut s, c);
    inspect(&s);
    let mut f = crate::networking::create_client(&mut s, Tid::Main, vec![]);
    crate::db::empty_db(&mut s, &mut f, false);
    crate::networking::free_client(&mut s, f);
    while s.bio.step(&env) {}
    s.assert_reply_refs_empty();
    env.ledger.assert_quiescent();
    out
}

fn run(cmds: &[&[&[u8]]]) -> Vec<u8> {
    run_full(Config::default(), None, cmds, |_| {})
}

fn run_cfg(cfg: Config, cmds: &[&[&[u8]]]) -> Vec<u8> {
    run_full(cfg, None, cmds, |_| {})
}

fn ok() -> Vec<u8> {
    b"+OK\r\n".to_vec()
}

fn nil() -> Vec<u8> {
    b"$-1\r\n".to_vec()
}

fn int(n: i64) -> Vec<u8> {
    format!(":{n}\r\n").into_bytes()
}

fn bulk(b: &[u8]) -> Vec<u8> {
    let mut v = format!("${}\r\n", b.len()).into_bytes();
    v.extend_from_slice(b);
    v.extend_from_slice(b"\r\n");
    v
}

fn err(m: &str) -> Vec<u8> {
    format!("-{m}\r\n").into_bytes()
}

fn arr(n: usize) -> Vec<u8> {
    format!("*{n}\r\n").into_bytes()
}

fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Assert one reply per command, in order.
fn check(cmds: &[&[&[u8]]], want: &[Vec<u8>]) {
    assert_eq!(cmds.len(), want.len(), "one expected reply per command");
    let got = run(cmds);
    assert_eq!(show(&got), show(&cat(want)));
}

const WT: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

const NOTINT: &str = "ERR value is not an integer or out of range";

const SYNTAX: &str = "ERR syntax error";
