//! `refrace`: list what the harness knows and explore one scenario from the command line.
//!
//! ```text
//! refrace list
//! refrace diff --server HOST:PORT [--cases N] [--seed S]
//! refrace explore --scenario S [--fault F[,F…]] [--explorer E] [--budget N] [--seed X]
//! ```
//! Explorers: `shuttle-pct` (default), `shuttle-random`, `shuttle-dfs`, `stress`. Exit status:
//! 0 clean, 1 a violation was found, 2 bad usage (one line on stderr, never a panic).

use refrace_model::{Fault, FaultSet};
use refrace_sims::explore::{quietly, shuttle_run, stress, Outcome, ShuttleMode};
use refrace_sims::scenarios::{find, Opts, SCENARIOS};
use std::process::ExitCode;

const USAGE: &str = "usage: refrace list | refrace diff --server HOST:PORT [--cases N] [--seed S] | refrace explore --scenario S [--fault F[,F...]] [--explorer shuttle-pct|shuttle-random|shuttle-dfs|stress] [--budget N] [--seed X]";

fn list() {
    println!("scenarios:");
    for s in SCENARIOS {
        println!("  {:<38} {}", s.name, s.about);
    }
    println!("faults (REFRACE_FAULT or --fault):");
    for f in Fault::ALL {
        println!("  {:<38} {}", f.name(), f.description());
    }
    println!("explorers: shuttle-pct, shuttle-random, shuttle-dfs, stress (loom: cargo test --release -p refrace-sims --features loom --test loom)");
}

struct Args {
    scenario: String,
    faults: FaultSet,
    explorer: String,
    budget: usize,
    seed: u64,
}

fn parse(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut a = Args {
        scenario: String::new(),
        faults: FaultSet::NONE,
        explorer: "shuttle-pct".into(),
        budget: 1000,
        seed: 1,
    };
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--scenario" => a.scenario = value()?,
            "--fault" => a.faults = FaultSet::parse(&value()?).map_err(|e| e.to_string())?,
            "--explorer" => a.explorer = value()?,
            "--budget" => {
                a.budget = value()?
                    .parse()
                    .map_err(|_| "--budget takes a number".to_string())?
            }
            "--seed" => {
                a.seed = value()?
                    .parse()
                    .map_err(|_| "--seed takes a number".to_string())?
            }
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    if a.scenario.is_empty() {
        return Err("--scenario is required (see `refrace list`)".into());
    }
    Ok(a)
}

fn explore(a: Args) -> Result<Outcome, String> {
    let sc = find(&a.scenario)
        .ok_or_else(|| format!("unknown scenario '{}' (see `refrace list`)", a.scenario))?;
    let opts = Opts {
        faults: a.faults,
        ..Opts::default()
    };
    let f = move || (sc.run)(&opts);
    let mode = match a.explorer.as_str() {
        "shuttle-pct" => ShuttleMode::Pct(3),
        "shuttle-random" => ShuttleMode::Random,
        "shuttle-dfs" => ShuttleMode::Dfs,
        "stress" => return Ok(quietly(|| stress(f, a.budget))),
        e => return Err(format!("unknown explorer '{e}' (see `refrace list`)")),
    };
    Ok(quietly(|| shuttle_run(f, mode, a.budget, a.seed)))
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let outcome = match args.next().as_deref() {
        Some("list") => {
            list();
            return ExitCode::SUCCESS;
        }
        Some("explore") => parse(args).and_then(explore),
        Some("diff") => return refrace::diff::cli::main(args),
        _ => Err(USAGE.to_string()),
    };
    match outcome {
        Err(e) => {
            eprintln!("refrace: {e}");
            ExitCode::from(2)
        }
        Ok(o) => match &o.first {
            None => {
                println!(
                    "{}: clean after {} schedule(s) in {:.2?}",
                    o.explorer, o.schedules, o.wall
                );
                ExitCode::SUCCESS
            }
            Some(f) => {
                println!(
                    "{}: violation at schedule {} of {} ({} failing) in {:.2?}\n{}",
                    o.explorer, f.schedule, o.schedules, o.failures, o.wall, f.message
                );
                if let Some(p) = &f.replay {
                    println!("replay: {}", p.display());
                }
                ExitCode::from(1)
            }
        },
    }
}
