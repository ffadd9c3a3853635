//! DEBUG. Mirrors `debugCommand` (src/debug.c), only `DEBUG REPLY-COPY-AVOIDANCE <n>`
//! (8.6, #14608), the switch of Reply Copy Avoidance. Main thread only.

use super::{arg, Client, Server};
use crate::networking::{add_reply_status, add_reply_subcommand_syntax_error};
use crate::util::{atoi, cstr};

/// `debugCommand` (debug.c), only `DEBUG REPLY-COPY-AVOIDANCE <n>` (8.6, #14608): sets
/// `reply_copy_avoidance` to `atoi(n) != 0` and replies `+OK` (so any third argument is
/// accepted; the model follows debug.c's `atoi` convention, not verified against 8.6's text).
/// Anything else, including other real DEBUG subcommands and `HELP`: `ERR unknown subcommand or
/// wrong number of arguments for '<sub>'. Try DEBUG HELP.`
pub(super) fn debug(s: &mut Server, c: &mut Client) {
    let sub = arg(s, c, 1);
    if c.argv.len() == 3 && cstr(&sub).eq_ignore_ascii_case(b"reply-copy-avoidance") {
        let v = arg(s, c, 2);
        s.cfg.reply_copy_avoidance = atoi(&v) != 0;
        add_reply_status(s, c, "OK");
        return;
    }
    add_reply_subcommand_syntax_error(s, c);
}
