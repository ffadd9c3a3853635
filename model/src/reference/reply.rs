//! Error replies as Redis formats them: `addReplyError`, `addReplyErrorFormat`'s sanitising,
//! `addReplyErrorArity`, the unknown-command and unknown-subcommand texts (src/networking.c,
//! src/server.c).

use super::util::{arg, cstr, truncate};
use super::ECHO_BUDGET;

/// Error reply for a fixed message (`msg` carries its code, e.g. "ERR ...").
pub(super) fn add_error(out: &mut Vec<u8>, msg: &str) {
    error_line(out, msg.as_bytes());
}

/// `-<msg>\r\n`: `msg` carries its own code.
fn error_line(out: &mut Vec<u8>, msg: &[u8]) {
    out.push(b'-');
    out.extend_from_slice(msg);
    out.extend_from_slice(b"\r\n");
}

/// Error reply for a message that echoes user bytes, sanitized like `addReplyErrorFormat`
/// (CR/LF trimmed from the ends, inner CR/LF turned into spaces). Redis echoes raw bytes, so a
/// message that is not UTF-8 is written as it is.
pub(super) fn add_error_bytes(out: &mut Vec<u8>, msg: &[u8]) {
    let edge = |c: &u8| matches!(c, b'\r' | b'\n');
    let start = msg.iter().position(|c| !edge(c)).unwrap_or(msg.len());
    let end = msg.iter().rposition(|c| !edge(c)).map_or(start, |i| i + 1);
    let clean: Vec<u8> = msg
        .get(start..end)
        .unwrap_or_default()
        .iter()
        .map(|&c| if edge(&c) { b' ' } else { c })
        .collect();
    error_line(out, &clean);
}

pub(super) fn wrong_arity(out: &mut Vec<u8>, fullname: &str) {
    add_error(
        out,
        &format!("ERR wrong number of arguments for '{fullname}' command"),
    );
}

/// `commandCheckExistence`, 8.x form: the argument list appears only when there are arguments;
/// each is quoted and cut at NUL, within a 128-byte budget that the quotes count against.
pub(super) fn unknown_command(out: &mut Vec<u8>, argv: &[Vec<u8>]) {
    let mut msg = b"ERR unknown command '".to_vec();
    msg.extend_from_slice(truncate(cstr(arg(argv, 0)), ECHO_BUDGET));
    msg.push(b'\'');
    if argv.len() >= 2 {
        let mut args = Vec::new();
        for a in argv.iter().skip(1) {
            if args.len() >= ECHO_BUDGET {
                break;
            }
            let room = ECHO_BUDGET - args.len();
            args.push(b'\'');
            args.extend_from_slice(truncate(cstr(a), room));
            args.extend_from_slice(b"' ");
        }
        msg.extend_from_slice(b", with args beginning with: ");
        msg.extend_from_slice(&args);
    }
    add_error_bytes(out, &msg);
}

/// `commandCheckExistence` for a container command with an unknown subcommand.
pub(super) fn unknown_subcommand(out: &mut Vec<u8>, name: &[u8], sub: &[u8]) {
    let msg = [
        &b"ERR unknown subcommand '"[..],
        truncate(cstr(sub), ECHO_BUDGET),
        b"'. Try ",
        &cstr(name).to_ascii_uppercase(),
        b" HELP.",
    ]
    .concat();
    add_error_bytes(out, &msg);
}
