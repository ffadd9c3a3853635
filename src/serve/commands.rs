//! Commands that belong to the server process rather than to the model, answered by `serve`
//! on main before the model's dispatch (the model's command table is untouched):
//!
//! | command | reply |
//! |---|---|
//! | `FUNCTION FLUSH [ASYNC\|SYNC]` | `+OK` (the model has no functions; Redis's test runner sends it before each server block) |
//! | `QUIT` | `+OK`, then the connection closes |
//! | `SHUTDOWN [NOSAVE\|SAVE\|NOW\|FORCE]…` | no reply: the connection closes and the server stops cleanly (the ledger's final report, leak check at quiescence) |
//!
//! Each runs with main's usual steps around it (drop the IO thread's deferred references
//! first, reclaim argv after), the steps [`main_handle_client`] takes around a model command.
//! (SELECT was answered here until the model had databases; it is the model's now.) When main
//! runs a client's pipeline in one visit, it stops before one of these and leaves it for `serve`
//! ([`is_serve_command`], installed as `Server::adapter_command`).

use refrace_model::client::{Client, HandIn};
use refrace_model::iothread::main_handle_client;
use refrace_model::ledger::Tid;
use refrace_model::networking::{
    add_reply_error, add_reply_status, arg, free_client, free_client_io_deferred_objects,
    reclaim_pending_command, try_unlink_client_from_pending_ref_reply,
};
use refrace_model::{strategy, Server};

/// A server-level command.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ServeCmd {
    /// `FUNCTION`.
    Function,
    /// `QUIT`.
    Quit,
    /// `SHUTDOWN`.
    Shutdown,
}

/// Whether `name` is a server-level command (case-insensitive).
pub fn is_serve_command(name: &[u8]) -> bool {
    let n = name.to_ascii_lowercase();
    matches!(&n[..], b"function" | b"quit" | b"shutdown")
}

/// The server-level command `c` carries, if any.
pub fn lookup(s: &Server, c: &Client) -> Option<ServeCmd> {
    if c.protocol_error.is_some() || c.argv.is_empty() {
        return None;
    }
    let name = arg(s, c, 0).to_ascii_lowercase();
    match &name[..] {
        b"function" => Some(ServeCmd::Function),
        b"quit" => Some(ServeCmd::Quit),
        b"shutdown" => Some(ServeCmd::Shutdown),
        _ => None,
    }
}

/// Run `cmd` for `c` (on main; argv still set). Returns whether the server must stop.
pub fn run(s: &mut Server, c: &mut Client, cmd: ServeCmd) -> bool {
    s.now_ms += 1;
    let argc = c.argv.len();
    match cmd {
        ServeCmd::Function => {
            let sub = if argc >= 2 {
                arg(s, c, 1).to_ascii_lowercase()
            } else {
                Vec::new()
            };
            let mode_ok = argc == 2
                || (argc == 3 && {
                    let m = arg(s, c, 2).to_ascii_lowercase();
                    m == b"async" || m == b"sync"
                });
            if sub == b"flush" && mode_ok {
                add_reply_status(s, c, "OK");
            } else if argc < 2 {
                add_reply_error(s, c, "ERR wrong number of arguments for 'function' command");
            } else {
                let shown = String::from_utf8_lossy(&arg(s, c, 1)).into_owned();
                add_reply_error(
                    s,
                    c,
                    &format!(
                        "ERR unknown subcommand or wrong number of arguments for '{shown}'. Try FUNCTION HELP."
                    ),
                );
            }
        }
        ServeCmd::Quit => {
            add_reply_status(s, c, "OK");
            c.close_after_reply = true;
        }
        ServeCmd::Shutdown => return true,
    }
    false
}

/// Main's handling of a client an IO thread handed in: a server-level command as
/// [`main_handle_client`] would run a model command, anything else through
/// [`main_handle_client`] itself. Returns the client when it goes back to its IO thread and
/// whether the server must stop.
pub fn main_handle(s: &mut Server, mut c: Client) -> (Option<Client>, bool) {
    let cmd = if c.hand_in == HandIn::Command {
        lookup(s, &c)
    } else {
        None
    };
    let Some(cmd) = cmd else {
        return (main_handle_client(s, c), false);
    };
    c.running_tid = Tid::Main;
    free_client_io_deferred_objects(s, &mut c);
    try_unlink_client_from_pending_ref_reply(s, &c, false);
    strategy::collect(s);
    let stop = run(s, &mut c, cmd);
    reclaim_pending_command(s, &mut c);
    strategy::collect(s);
    if stop || c.close_asap {
        free_client(s, c);
        return (None, stop);
    }
    c.running_tid = c.tid;
    strategy::on_send_to_io(s, c.id);
    (Some(c), false)
}
