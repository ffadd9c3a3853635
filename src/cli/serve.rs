//! `refrace serve [--port P] [--bind ADDR] [--io-threads N] [--config FILE] [CONFIG-ARGS…]`:
//! the model as a RESP2 server on real sockets and threads (see `refrace::serve`). Prints the
//! address it listens on, serves until SIGINT/SIGTERM or `SHUTDOWN`, then prints the ledger's
//! final report; exit status 0 when no violation was seen and nothing leaked, 1 otherwise.

use refrace::serve::{serve, Options, Settings};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `serve`.
#[derive(clap::Args)]
pub struct Args {
    /// TCP port (0: any free port; the address is printed).
    #[arg(long)]
    port: Option<u16>,
    /// Address to listen on (default 127.0.0.1).
    #[arg(long)]
    bind: Option<String>,
    /// Threads doing socket I/O, main included, as Redis's `io-threads` (4 = main + 3 IO threads).
    #[arg(long)]
    io_threads: Option<usize>,
    /// A redis.conf-style file (`name value` lines), applied before the command line.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Stop at the first violation, with its report (exit status 1).
    #[arg(long)]
    abort_on_violation: bool,
    /// Faults switched on (comma-separated; default: REFRACE_FAULT, else none).
    #[arg(long, env = "REFRACE_FAULT", default_value = "none")]
    fault: String,
    /// Records of freed allocations the ledger keeps (older ones are pruned; a stale use of
    /// one is still caught, without who freed it).
    #[arg(long, default_value_t = 1_000_000)]
    ledger_retention: usize,
    /// Configuration pairs, as redis-server takes them: `--lazyfree-lazy-user-del yes` or
    /// `lazyfree-lazy-user-del yes`.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CONFIG-ARGS"
    )]
    rest: Vec<String>,
}

/// Run it.
pub fn main(a: Args) -> super::Result {
    let mut st = Settings::default();
    if let Some(f) = &a.config {
        let text =
            std::fs::read_to_string(f).map_err(|e| format!("cannot read {}: {e}", f.display()))?;
        st.apply_file(&text, &f.display().to_string())?;
    }
    st.apply_args(&a.rest)?;
    if let Some(p) = a.port {
        st.port = p;
    }
    if let Some(b) = a.bind {
        st.bind = b;
    }
    if let Some(n) = a.io_threads {
        st.apply("io-threads", &n.to_string())?;
    }
    st.cfg.faults = super::faults(&a.fault)?;
    let faults = st.cfg.faults;
    let io = st.cfg.io_threads_num;
    let out = serve(
        Options {
            settings: st,
            abort_on_violation: a.abort_on_violation,
            retention: a.ledger_retention,
        },
        |addr| {
            println!(
                "refrace serve: listening on {addr} (io-threads {io}, faults: {})",
                if faults.is_empty() {
                    "none".to_string()
                } else {
                    faults.to_string()
                }
            );
            let _ = std::io::stdout().flush();
        },
    )?;
    print!("{}", out.report);
    let _ = std::io::stdout().flush();
    Ok(if out.clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
