//! The subcommands, one module each, and what they share: name lookups that turn bad input into
//! one-line errors, the progress bar, and the description of the machine for reports.

pub mod diff;
pub mod explore;
pub mod list;
pub mod prove;
pub mod replay;
pub mod run;
#[cfg(unix)]
pub mod serve;
pub mod svg;
pub mod trace;

use refrace_model::FaultSet;
use refrace_sims::explore::Explorer;
use refrace_sims::scenarios::{find, Scenario};
use std::process::ExitCode;

/// A subcommand's result: its exit status, or a one-line error (status 2).
pub type Result = std::result::Result<ExitCode, String>;

/// Print `refrace: <first line of msg>` on stderr; status 2.
pub fn usage_error(msg: &str) -> ExitCode {
    let mut lines = msg.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or(msg).trim_start_matches("error: ");
    // clap puts what is missing on the line after "…were not provided:".
    match lines.next().filter(|_| first.ends_with(':')) {
        Some(what) => eprintln!("refrace: {first} {what}"),
        None => eprintln!("refrace: {first}"),
    }
    ExitCode::from(2)
}

/// The scenario called `name`.
pub fn scenario(name: &str) -> std::result::Result<&'static Scenario, String> {
    find(name).ok_or_else(|| format!("unknown scenario '{name}' (see `refrace list`)"))
}

/// A comma-separated fault list (`none` = the fixed model).
pub fn faults(s: &str) -> std::result::Result<FaultSet, String> {
    FaultSet::parse(s).map_err(|e| e.to_string())
}

/// A comma-separated list of candidate fixes (`none` = the pinned code), added to those of
/// `REFRACE_FIX`.
pub fn fixes(s: &str) -> std::result::Result<refrace_model::FixSet, String> {
    let mut set = refrace_model::FixSet::from_env().map_err(|e| format!("REFRACE_FIX: {e}"))?;
    for f in refrace_model::FixSet::parse(s)
        .map_err(|e| e.to_string())?
        .iter()
    {
        set = set.with(f);
    }
    Ok(set)
}

/// A reclamation strategy by name.
pub fn strategy(s: &str) -> std::result::Result<refrace_model::config::Strategy, String> {
    refrace_model::config::Strategy::parse(s).map_err(|e| e.to_string())
}

/// A Redis variant by name (`pin`, `14934`).
pub fn variant(s: &str) -> std::result::Result<refrace_model::config::Variant, String> {
    refrace_model::config::Variant::parse(s).map_err(|e| e.to_string())
}

/// An explorer of this build.
pub fn explorer(s: &str) -> std::result::Result<Explorer, String> {
    Explorer::parse(s)
}

/// A progress bar on stderr, drawn only when stderr is a terminal.
pub fn progress(len: u64, what: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new(len);
    pb.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    pb.set_message(what.to_string());
    pb
}

/// Print `v` as pretty JSON on stdout.
pub fn print_json(v: &impl serde::Serialize) -> std::result::Result<(), String> {
    let s = serde_json::to_string_pretty(v).map_err(|e| e.to_string())?;
    println!("{s}");
    Ok(())
}
