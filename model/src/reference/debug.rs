//! DEBUG (src/debug.c): only `DEBUG REPLY-COPY-AVOIDANCE <n>`, accepted and changing nothing a
//! client sees, and `DEBUG SLEEP <seconds>` (`+OK`; the time it lets pass reaches the reference
//! through the clock of the commands that follow).

use super::reply::add_error_bytes;
use super::util::{arg, cstr, eq_ci, truncate};
use super::{Reference, ECHO_BUDGET};
use crate::resp::add_reply_status;

impl Reference {
    /// `DEBUG REPLY-COPY-AVOIDANCE <n>` and `DEBUG SLEEP <s>` only; any other form gets the
    /// subcommand error.
    pub(super) fn debug(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        if argv.len() == 3
            && (eq_ci(cstr(arg(argv, 1)), "reply-copy-avoidance")
                || eq_ci(cstr(arg(argv, 1)), "sleep"))
        {
            return add_reply_status(out, "OK");
        }
        let msg = [
            &b"ERR unknown subcommand or wrong number of arguments for '"[..],
            truncate(cstr(arg(argv, 1)), ECHO_BUDGET),
            b"'. Try ",
            &cstr(arg(argv, 0)).to_ascii_uppercase(),
            b" HELP.",
        ]
        .concat();
        add_error_bytes(out, &msg);
    }
}
