//! `refrace diff --server HOST:PORT [--cases N] [--seed S] [--skew-ms D] [--replay FILE]
//! [--errors]`: the differential comparison ([`refrace::diff`]) against any running server (it
//! must allow DEBUG). Prints the summary (`--errors`: every distinct server error reply by
//! command); exit status 0 clean, 1 a mismatch no allow-list entry accepts (its replay file is
//! printed), 2 bad usage or an unreachable server.

use refrace::diff::engine::load_replay;
use refrace::diff::{case_from_seed, AllowList, Differ, Options};
use std::path::PathBuf;
use std::process::ExitCode;

/// Most cases one run takes (each is generated when it runs).
const MAX_CASES: u64 = 100_000_000;

/// Options of `diff`.
#[derive(clap::Args)]
pub struct Args {
    /// The server to compare with, HOST:PORT. It is wiped and reconfigured (FLUSHALL, the
    /// lazyfree-* settings, DEBUG SET-ACTIVE-EXPIRE 0) and not restored: use a scratch server.
    #[arg(long)]
    server: String,
    /// Generated cases (command streams) to compare.
    #[arg(long, default_value_t = 1000)]
    cases: u64,
    /// Seed of the first case (case i uses seed + i).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Clock skew bound in ms between model and server (at least 2).
    #[arg(long, default_value_t = Options::default().skew_ms)]
    skew_ms: i64,
    /// Re-run the stream of a replay file written by an earlier mismatch.
    #[arg(long)]
    replay: Option<PathBuf>,
    /// Also list every distinct server error reply by command.
    #[arg(long)]
    errors: bool,
    /// Machine-readable output: the summary (and the mismatches' replay files) as JSON.
    #[arg(long)]
    json: bool,
}

/// Run it.
pub fn main(a: Args) -> super::Result {
    if !(2..=10_000).contains(&a.skew_ms) {
        return Err("--skew-ms must be between 2 and 10000".into());
    }
    if a.cases == 0 || a.cases > MAX_CASES {
        return Err(format!("--cases must be between 1 and {MAX_CASES}"));
    }
    let opts = Options {
        skew_ms: a.skew_ms,
        ..Options::default()
    };
    let mut d = Differ::connect(&a.server, AllowList::shipped()?, opts)?;
    if !a.json {
        println!(
            "refrace diff: server {} (redis {}), model: Redis 8.6 behaviour",
            a.server, d.server_version
        );
    }
    let replayed = match &a.replay {
        Some(p) => Some(load_replay(p)?.case),
        None => None,
    };
    let n = if replayed.is_some() { 1 } else { a.cases };
    let pb = super::progress(n, "cases");
    let mut mismatches = Vec::new();
    for i in 0..n {
        let case = match &replayed {
            Some(c) => c.clone(),
            None => case_from_seed(a.seed.wrapping_add(i)),
        };
        if let Some(m) = d.run_case(&case)? {
            if !a.json {
                pb.suspend(|| println!("{m}"));
            }
            mismatches.push(m.to_string());
        }
        pb.inc(1);
    }
    pb.finish_and_clear();
    let mismatch = !mismatches.is_empty();
    if a.json {
        super::print_json(&serde_json::json!({
            "server": a.server,
            "server_version": d.server_version,
            "summary": d.summary,
            "mismatches": mismatches,
        }))?;
        return Ok(if mismatch {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        });
    }
    print!("{}", d.summary);
    if a.errors {
        print!(
            "server error replies by command:\n{}",
            d.summary.error_kinds()
        );
    }
    Ok(if mismatch {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
