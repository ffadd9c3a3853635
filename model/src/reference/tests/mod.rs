//! Unit tests of the reference, one file per room: each runs `(command, expected reply)` steps
//! against a fresh [`Reference`].

use super::util::*;
use super::*;

mod config;
mod db_multi;
mod expire;
mod keyspace;
mod server;
mod t_list;
mod t_string;
mod util;

const T0: i64 = 1_700_000_000_000;

fn args(cmd: &str) -> Vec<Vec<u8>> {
    cmd.split(' ').map(|a| a.as_bytes().to_vec()).collect()
}

/// Runs `(command, expected reply)` steps at time `now`; arguments are split on spaces.
fn script(r: &mut Reference, now: i64, steps: &[(&str, &str)]) {
    for (cmd, want) in steps {
        let got = r.execute(&args(cmd), now);
        assert_eq!(String::from_utf8_lossy(&got), *want, "command: {cmd}");
    }
}

fn fresh(steps: &[(&str, &str)]) -> Reference {
    let mut r = Reference::new(T0);
    script(&mut r, T0, steps);
    r
}

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

const SYNTAX: &str = "-ERR syntax error\r\n";

const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";

const BAD_SET_TTL: &str = "-ERR invalid expire time in 'set' command\r\n";

const TOO_LONG: &str = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n";
