//! `refrace diff --server HOST:PORT [--cases N] [--seed S] [--skew-ms D] [--replay FILE]
//! [--errors] [--allow-remote] [--allow-nonempty]`: the differential comparison
//! ([`refrace::diff`]) against any running server (it must allow DEBUG). Prints the summary
//! (`--errors`: every distinct server error reply by command); exit status 0 clean, 1 a
//! mismatch no allow-list entry accepts (its replay file is printed), 2 bad usage, an
//! unreachable server or a refused one, 130 interrupted (SIGINT, SIGTERM).
//!
//! Before anything is sent the server is checked and its settings recorded
//! ([`refrace::diff::target::Guard`]): a non-loopback address or a server holding keys is
//! refused unless allowed by a flag. When the run ends (clean, mismatch, error, interrupted) the
//! settings are put back and the server is emptied again if it was empty. Ctrl-C sets a flag
//! checked between cases; a second one exits at once (130) without restoring.

use refrace::diff::engine::load_replay;
use refrace::diff::target::{Guard, Permit};
use refrace::diff::{case_from_seed, AllowList, Differ, Options, Summary};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

/// Most cases one run takes (each is generated when it runs).
const MAX_CASES: u64 = 100_000_000;

/// Options of `diff`.
#[derive(clap::Args)]
pub struct Args {
    /// The server to compare with, HOST:PORT: a scratch server on loopback with no keys. It is
    /// emptied before every case and reconfigured (lazyfree-*, DEBUG SET-ACTIVE-EXPIRE 0);
    /// the settings are restored at the end.
    #[arg(long)]
    server: String,
    /// Accept a server that is not on a loopback address.
    #[arg(long)]
    allow_remote: bool,
    /// Accept a server that holds keys: they are deleted.
    #[arg(long)]
    allow_nonempty: bool,
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

/// Set by SIGINT or SIGTERM; the run stops before its next case.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

#[cfg(unix)]
extern "C" fn on_signal(_: libc::c_int) {
    // Async-signal-safe: an atomic swap, and `_exit` on the second signal.
    if INTERRUPTED.swap(true, Ordering::SeqCst) {
        // SAFETY: `_exit` is async-signal-safe and ends the process.
        unsafe { libc::_exit(130) }
    }
}

/// SIGINT and SIGTERM set [`INTERRUPTED`] (without `SA_RESTART`: a blocking read returns).
fn catch_signals() {
    #[cfg(unix)]
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: a zeroed sigaction with an empty mask and a handler that only touches an
        // atomic (or calls `_exit`) is valid; the previous action is not needed.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

/// How the run loop ended.
enum End {
    Done,
    Interrupted,
}

/// Run it.
pub fn main(a: Args) -> super::Result {
    if !(2..=10_000).contains(&a.skew_ms) {
        return Err("--skew-ms must be between 2 and 10000".into());
    }
    if a.cases == 0 || a.cases > MAX_CASES {
        return Err(format!("--cases must be between 1 and {MAX_CASES}"));
    }
    let replayed = match &a.replay {
        Some(p) => Some(load_replay(p)?.case),
        None => None,
    };
    let permit = Permit {
        remote: a.allow_remote,
        nonempty: a.allow_nonempty,
    };
    // Checks the server and records its settings; nothing on it has changed yet.
    let mut guard = Guard::open(&a.server, permit)?;
    catch_signals();
    let mut mismatches = Vec::new();
    let mut summary = Summary::default();
    let mut version = String::new();
    let run = compare(
        &a,
        &guard,
        replayed,
        &mut mismatches,
        &mut summary,
        &mut version,
    );
    let restored = guard.restore();
    let end = match (run, restored) {
        (Ok(end), Ok(())) => end,
        (Err(e), Ok(())) => return Err(format!("{e} (server settings restored)")),
        (Ok(_), Err(r)) => return Err(r),
        (Err(e), Err(r)) => return Err(format!("{e}; then {r}")),
    };
    if let End::Interrupted = end {
        eprintln!(
            "refrace: interrupted after {} cases; server settings restored ({})",
            summary.cases,
            guard.saved()
        );
        return Ok(ExitCode::from(130));
    }
    let mismatch = !mismatches.is_empty();
    if a.json {
        super::print_json(&serde_json::json!({
            "server": a.server,
            "server_version": version,
            "summary": summary,
            "mismatches": mismatches,
            "restored": guard.saved().to_string(),
        }))?;
    } else {
        print!("{summary}");
        if a.errors {
            print!(
                "server error replies by command:\n{}",
                summary.error_kinds()
            );
        }
        println!("server settings restored: {}", guard.saved());
    }
    Ok(if mismatch {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The run loop: cases until done or interrupted.
fn compare(
    a: &Args,
    guard: &Guard,
    replayed: Option<refrace::diff::Case>,
    mismatches: &mut Vec<String>,
    summary: &mut Summary,
    version: &mut String,
) -> std::result::Result<End, String> {
    let opts = Options {
        skew_ms: a.skew_ms,
        ..Options::default()
    };
    let mut d = Differ::connect(&guard.addr().to_string(), AllowList::shipped()?, opts)?;
    version.clone_from(&d.server_version);
    if !a.json {
        println!(
            "refrace diff: server {} (redis {}), model: Redis 8.6 behaviour",
            a.server, d.server_version
        );
    }
    let n = if replayed.is_some() { 1 } else { a.cases };
    let pb = super::progress(n, "cases");
    let mut end = End::Done;
    for i in 0..n {
        if INTERRUPTED.load(Ordering::SeqCst) {
            end = End::Interrupted;
            break;
        }
        let case = match &replayed {
            Some(c) => c.clone(),
            None => case_from_seed(a.seed.wrapping_add(i)),
        };
        let r = d.run_case(&case);
        summary.clone_from(&d.summary);
        if let Some(m) = r? {
            if !a.json {
                pb.suspend(|| println!("{m}"));
            }
            mismatches.push(m.to_string());
        }
        pb.inc(1);
    }
    pb.finish_and_clear();
    if INTERRUPTED.load(Ordering::SeqCst) {
        end = End::Interrupted;
    }
    Ok(end)
}
