//! `refrace explore`: one scenario under one explorer. A shuttle failure is written as a
//! (shrunk) counterexample file: `--write FILE`, else under `target/refrace/counterexamples/`.

use refrace_sims::counterexample::{from_failure, parse_word_mode, Counterexample};
use refrace_sims::explore::{artifact_dir, Outcome};
use refrace_sims::scenarios::{Opts, Scenario};
use refrace_sims::shrink::{shrink, Limits};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Options of `explore`.
#[derive(clap::Args)]
pub struct Args {
    /// Scenario name (see `refrace list`).
    #[arg(long)]
    scenario: String,
    /// Faults switched on, comma-separated (`none` = the fixed model).
    #[arg(long, default_value = "none")]
    fault: String,
    /// Explorer (see `refrace list`).
    #[arg(long, default_value = "shuttle-pct")]
    explorer: String,
    /// Schedules (stress: runs) at most.
    #[arg(long, default_value_t = 1000)]
    budget: usize,
    /// Seed of the randomised explorers.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How the refcount word is checked: detect-race or split-rmw (no race check: the lost
    /// update itself must show).
    #[arg(long, default_value = "detect-race")]
    word_mode: String,
    /// Reclamation strategy: confinement (Redis), atomic or epoch (see `refrace list`).
    #[arg(long, default_value = "confinement")]
    strategy: String,
    /// Redis variant: pin (the pinned 8.6.0 commit) or 14934 (the #14934 branch); unset: the
    /// pin, except for scenarios that need the #14934 branch (see `refrace list`).
    #[arg(long)]
    variant: Option<String>,
    /// Candidate fixes of upstream bugs switched on, comma-separated (`none`; also
    /// `REFRACE_FIX`; see `refrace list`).
    #[arg(long, default_value = "none")]
    fix: String,
    /// Write the counterexample of a failure to this file.
    #[arg(long)]
    write: Option<PathBuf>,
    /// Write the counterexample as found, without shrinking it.
    #[arg(long)]
    no_shrink: bool,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

/// Shrink (unless `raw`) and write `cx` to `path`; prints the sizes unless `quiet`.
pub fn write_counterexample(
    cx: Counterexample,
    path: &Path,
    raw: bool,
    quiet: bool,
) -> Result<Counterexample, String> {
    let cx = if raw {
        cx
    } else {
        refrace_sims::quiet::quietly(|| shrink(&cx, Limits::default()))?
    };
    cx.save(path)?;
    if !quiet {
        if let Some(r) = &cx.shrink {
            println!("shrunk: before {}\n        after  {}", r.before, r.after);
        }
        println!("counterexample: {}", path.display());
    }
    Ok(cx)
}

/// The default file for a counterexample.
pub fn default_path(dir: &Path, sc: &Scenario, opts: &Opts, explorer: &str, seed: u64) -> PathBuf {
    let faults = opts.faults.to_string().replace(',', "+");
    let strategy = match opts.strategy {
        refrace_model::config::Strategy::Confinement => String::new(),
        s => format!("--{s}"),
    };
    let fixes = if opts.fixes.is_empty() {
        String::new()
    } else {
        format!("--fix-{}", opts.fixes.to_string().replace(',', "+"))
    };
    dir.join(format!(
        "{}--{faults}{strategy}{fixes}--{explorer}-seed{seed}.json",
        sc.name
    ))
}

/// One line about an outcome.
pub fn describe(o: &Outcome) -> String {
    match &o.first {
        None => format!(
            "{}: clean after {} schedule(s) in {:.2?}",
            o.explorer, o.schedules, o.wall
        ),
        Some(f) => format!(
            "{}: violation at schedule {} of {} ({} failing) in {:.2?}",
            o.explorer, f.schedule, o.schedules, o.failures, o.wall
        ),
    }
}

/// Run it.
pub fn main(a: Args) -> super::Result {
    let sc = super::scenario(&a.scenario)?;
    let explorer = super::explorer(&a.explorer)?;
    let opts = Opts {
        faults: super::faults(&a.fault)?,
        word_mode: parse_word_mode(&a.word_mode)?,
        strategy: super::strategy(&a.strategy)?,
        variant: a.variant.as_deref().map(super::variant).transpose()?,
        fixes: super::fixes(&a.fix)?,
    };
    if let Some(p) = &a.write {
        if p.is_dir() {
            return Err(format!("--write {} is a directory", p.display()));
        }
    }
    if let Some(f) = opts.faults.iter().find(|f| !f.applies_to(opts.strategy)) {
        return Err(format!(
            "fault {f} changes no code the {} strategy runs (see `refrace list`)",
            opts.strategy
        ));
    }
    if a.budget == 0 {
        return Err("--budget must be at least 1 (a budget of 0 explores nothing)".into());
    }
    let o = refrace_sims::quiet::quietly(|| explorer.run(sc, opts, a.budget, a.seed));
    if !a.json {
        println!("{}", describe(&o));
        if let Some(f) = &o.first {
            println!("{}", f.message);
            if !explorer.replayable() {
                println!("(real threads record no schedule: re-run with a shuttle explorer for a counterexample)");
            }
        }
    }
    let cx = o
        .first
        .as_ref()
        .and_then(|f| from_failure(sc, &opts, explorer.name(), a.seed, f));
    let written = match cx {
        Some(cx) => {
            let path = a.write.clone().unwrap_or_else(|| {
                default_path(
                    &artifact_dir("counterexamples"),
                    sc,
                    &opts,
                    explorer.name(),
                    a.seed,
                )
            });
            Some((write_counterexample(cx, &path, a.no_shrink, a.json)?, path))
        }
        None => None,
    };
    if a.json {
        super::print_json(&json!({
            "scenario": sc.name,
            "faults": opts.faults.to_string(),
            "strategy": opts.strategy.name(),
            "variant": (sc.spec)(&opts).cfg.variant.name(),
            "fixes": opts.fixes.to_string(),
            "explorer": o.explorer,
            "seed": a.seed,
            "schedules": o.schedules,
            "failures": o.failures,
            "wall_s": o.wall.as_secs_f64(),
            "violation": o.first.as_ref().map(|f| json!({
                "schedule": f.schedule,
                "invariant": f.invariant.map(|i| i.name()),
                "message": f.message,
            })),
            "counterexample": written.as_ref().map(|(cx, p)| json!({
                "path": p,
                "shrink": cx.shrink,
            })),
        }))?;
    }
    Ok(if o.first.is_some() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
