//! `refrace diff --server HOST:PORT [--cases N] [--seed S] [--skew-ms D] [--replay FILE]
//! [--errors]`: the differential comparison against any running server (it must allow DEBUG).
//! Prints the summary (`--errors`: every distinct server error reply by command); exit status 0 clean, 1 a mismatch no allow-list entry accepts (its replay file is
//! printed), 2 bad usage or an unreachable server (one line on stderr).

use super::engine::load_replay;
use super::{case_from_seed, AllowList, Differ, Options};
use std::path::PathBuf;
use std::process::ExitCode;

/// Usage line.
pub const USAGE: &str =
    "refrace diff --server HOST:PORT [--cases N] [--seed S] [--skew-ms D] [--replay FILE] [--errors]";

struct Args {
    server: String,
    cases: u64,
    seed: u64,
    skew_ms: i64,
    replay: Option<PathBuf>,
    errors: bool,
}

fn num<T: std::str::FromStr>(flag: &str, v: String) -> Result<T, String> {
    v.parse()
        .map_err(|_| format!("{flag} takes a number, got '{v}'"))
}

fn parse(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut a = Args {
        server: String::new(),
        cases: 1000,
        seed: 1,
        skew_ms: Options::default().skew_ms,
        replay: None,
        errors: false,
    };
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--server" => a.server = value()?,
            "--cases" => a.cases = num(&flag, value()?)?,
            "--seed" => a.seed = num(&flag, value()?)?,
            "--skew-ms" => a.skew_ms = num(&flag, value()?)?,
            "--replay" => a.replay = Some(PathBuf::from(value()?)),
            "--errors" => a.errors = true,
            other => return Err(format!("unknown argument '{other}' (usage: {USAGE})")),
        }
    }
    if a.server.is_empty() {
        return Err(format!("--server is required (usage: {USAGE})"));
    }
    if a.skew_ms < 2 {
        return Err("--skew-ms must be at least 2".into());
    }
    Ok(a)
}

/// Run the `diff` subcommand with the arguments after `diff`.
pub fn main(args: impl Iterator<Item = String>) -> ExitCode {
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("refrace: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: impl Iterator<Item = String>) -> Result<ExitCode, String> {
    let a = parse(args)?;
    let opts = Options {
        skew_ms: a.skew_ms,
        ..Options::default()
    };
    let mut d = Differ::connect(&a.server, AllowList::shipped()?, opts)?;
    println!(
        "refrace diff: server {} (redis {}), model: Redis 8.6 behaviour",
        a.server, d.server_version
    );
    let cases: Vec<_> = match &a.replay {
        Some(p) => vec![load_replay(p)?.case],
        None => (0..a.cases)
            .map(|i| case_from_seed(a.seed.wrapping_add(i)))
            .collect(),
    };
    let mut first = None;
    for case in &cases {
        if let Some(m) = d.run_case(case)? {
            println!("{m}");
            first.get_or_insert(m);
        }
    }
    print!("{}", d.summary);
    if a.errors {
        print!(
            "server error replies by command:\n{}",
            d.summary.error_kinds()
        );
    }
    Ok(if first.is_some() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
