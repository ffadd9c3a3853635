//! `CLIENT KILL` and `CLIENT ID` of `clientCommand` (src/networking.c @ f36ee257, off=176000;
//! not #14934 code). Main thread only.
//!
//! What matters for lifetime: a killed client other than the caller is freed by main at once
//! (`freeClient`: fetched from its IO thread with that thread paused, its deferred objects and
//! reply references released on main). The model's handler records the victims
//! ([`Server::kill_requests`]) and main frees them as soon as the command returns
//! ([`crate::iothread`]); nothing runs in between, so the effect is the same. The caller itself
//! (old syntax, or `SKIPME no`) is closed after its reply (`CLIENT_CLOSE_AFTER_REPLY`).
//!
//! Simplified: the model's clients have no addresses, so `CLIENT KILL <addr>`, `ADDR` and
//! `LADDR` match no client; every client is of type `normal` and authenticated as `default`
//! (the only user: `USER <other>` is `No such user`).

use super::{add_reply_error, add_reply_error_format, add_reply_integer, add_reply_status, arg};
use crate::client::Client;
use crate::server::Server;
use crate::util::cstr;

/// `shared.syntaxerr`.
const SYNTAX_ERR: &str = "ERR syntax error";

/// `getLongLongFromObject` (C-string, `string2ll`).
fn parse_ll(b: &[u8]) -> Option<i64> {
    crate::util::string2ll(cstr(b))
}

/// `getClientTypeByName`.
fn client_type(name: &[u8]) -> Option<&'static str> {
    let n = cstr(name);
    ["normal", "slave", "replica", "pubsub", "master"]
        .into_iter()
        .find(|t| n.eq_ignore_ascii_case(t.as_bytes()))
        .map(|t| if t == "replica" { "slave" } else { t })
}

/// `CLIENT KILL <addr>` / `CLIENT KILL <option> <value> [...]` (options `ID`, `MAXAGE`, `TYPE`,
/// `ADDR`, `LADDR`, `USER`, `SKIPME`). Errors, in C's order while parsing: `ID` not an integer
/// in 1..LONG_MAX: `ERR client-id should be greater than 0`; `MAXAGE` not an integer: `ERR
/// maxage is not an integer or out of range`, ≤ 0: `ERR maxage should be greater than 0`;
/// `TYPE`: `ERR Unknown client type '<t>'`; `USER`: `ERR No such user '<u>'`; `SKIPME` not
/// yes/no, an unknown option or one without its value: `ERR syntax error`. Then every matching
/// client is killed; the reply is `+OK` / `ERR No such client` (old syntax) or the count.
pub fn client_kill(s: &mut Server, c: &mut Client) {
    let argc = c.argv.len();
    let (mut id, mut max_age, mut skipme) = (0u64, 0i64, true);
    let (mut by_addr, mut type_normal) = (false, true);
    if argc == 3 {
        by_addr = true;
        skipme = false;
    } else {
        let mut i = 2;
        while i < argc {
            let opt = arg(s, c, i);
            let opt = cstr(&opt).to_ascii_lowercase();
            if i + 1 >= argc {
                add_reply_error(s, c, SYNTAX_ERR);
                return;
            }
            let val = arg(s, c, i + 1);
            match &opt[..] {
                b"id" => match parse_ll(&val) {
                    Some(v) if v >= 1 => id = v as u64,
                    _ => {
                        add_reply_error(s, c, "ERR client-id should be greater than 0");
                        return;
                    }
                },
                b"maxage" => match parse_ll(&val) {
                    Some(v) if v > 0 => max_age = v,
                    Some(_) => {
                        add_reply_error(s, c, "ERR maxage should be greater than 0");
                        return;
                    }
                    None => {
                        add_reply_error(s, c, "ERR maxage is not an integer or out of range");
                        return;
                    }
                },
                b"type" => match client_type(&val) {
                    Some(t) => type_normal = t == "normal",
                    None => {
                        let mut m = b"Unknown client type '".to_vec();
                        m.extend_from_slice(cstr(&val));
                        m.push(b'\'');
                        add_reply_error_format(s, c, &m);
                        return;
                    }
                },
                b"addr" | b"laddr" => by_addr = true,
                b"user" => {
                    if &val[..] != b"default" {
                        let mut m = b"No such user '".to_vec();
                        m.extend_from_slice(cstr(&val));
                        m.push(b'\'');
                        add_reply_error_format(s, c, &m);
                        return;
                    }
                }
                b"skipme" => {
                    let v = cstr(&val);
                    if v.eq_ignore_ascii_case(b"yes") {
                        skipme = true;
                    } else if v.eq_ignore_ascii_case(b"no") {
                        skipme = false;
                    } else {
                        add_reply_error(s, c, SYNTAX_ERR);
                        return;
                    }
                }
                _ => {
                    add_reply_error(s, c, SYNTAX_ERR);
                    return;
                }
            }
            i += 2;
        }
    }
    let now_s = s.now_ms / 1000;
    let mut killed = 0;
    let mut close_this_client = false;
    let victims: Vec<u64> = s
        .clients
        .iter()
        .filter(|_| !by_addr && type_normal)
        .filter(|e| id == 0 || e.id == id)
        .filter(|e| !(e.id == c.id && skipme))
        .filter(|e| max_age == 0 || now_s - e.ctime_ms / 1000 >= max_age)
        .map(|e| e.id)
        .collect();
    for v in victims {
        if v == c.id {
            close_this_client = true;
        } else {
            s.kill_requests.push(v);
        }
        killed += 1;
    }
    if argc == 3 {
        if killed == 0 {
            add_reply_error(s, c, "ERR No such client");
        } else {
            add_reply_status(s, c, "OK");
        }
    } else {
        add_reply_integer(s, c, killed);
    }
    if close_this_client {
        c.close_after_reply = true;
    }
}

/// `CLIENT ID`: `:<id>`.
pub fn client_id(s: &mut Server, c: &mut Client) {
    add_reply_integer(s, c, c.id as i64);
}
