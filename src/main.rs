//! `refrace`: the regression proof and its tools.
//!
//! ```text
//! refrace prove [--quick]                       every scenario x {fixed, each fault} x explorer
//! refrace explore --scenario S [--fault F] ...  one scenario under one explorer
//! refrace replay FILE [--fault F] [--svg OUT]   re-run a counterexample, print its trace
//! refrace run [FILE|-] [--raw]                  a RESP stream through the model as one client
//! refrace list                                  scenarios, faults, explorers, strategies
//! refrace diff --server HOST:PORT [--cases N]   the model against a real redis-server
//! refrace serve [--port P] [--io-threads N]     the model as a RESP2 server, the ledger live
//! ```
//! Exit status: 0 clean / proof holds, 1 a violation (or a failed proof), 2 bad input (one line
//! on stderr, never a panic). One module per subcommand under `cli/`.

mod cli;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "refrace",
    version,
    about = "Proves or refutes memory safety of refcounted deferred free in a Redis-shaped server"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the regression proof and write reports/proof.md and reports/proof.json.
    Prove(cli::prove::Args),
    /// Explore one scenario with one explorer.
    Explore(cli::explore::Args),
    /// Replay a counterexample file and print (or draw) its event trace.
    Replay(cli::replay::Args),
    /// Feed a RESP stream through the model as one client.
    Run(cli::run::Args),
    /// List scenarios, faults, explorers and strategies.
    List(cli::list::Args),
    /// Compare the model's replies byte for byte with a running redis-server.
    Diff(cli::diff::Args),
    /// Serve the model as a RESP2 server on real sockets and threads, the ledger live.
    #[cfg(unix)]
    Serve(cli::serve::Args),
}

fn main() -> ExitCode {
    // `refrace … | head` ends quietly when the reader goes away, as shell tools do, instead of
    // panicking in `println!` on EPIPE.
    #[cfg(unix)]
    // SAFETY: restores the default disposition of one signal before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // shuttle prints a line for every failing execution it explores, expected ones included;
    // a filter process drops those lines and passes everything else (an abort's message too).
    refrace_sims::quiet::filter_stderr();
    let parsed = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                return cli::usage_error(
                    "a subcommand is required: prove, explore, replay, run, list, diff or serve (see --help)",
                );
            }
            return cli::usage_error(&e.to_string());
        }
    };
    let r = match parsed.cmd {
        Cmd::Prove(a) => cli::prove::main(a),
        Cmd::Explore(a) => cli::explore::main(a),
        Cmd::Replay(a) => cli::replay::main(a),
        Cmd::Run(a) => cli::run::main(a),
        Cmd::List(a) => cli::list::main(a),
        Cmd::Diff(a) => cli::diff::main(a),
        #[cfg(unix)]
        Cmd::Serve(a) => cli::serve::main(a),
    };
    r.unwrap_or_else(|e| cli::usage_error(&e))
}
