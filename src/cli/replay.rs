//! `refrace replay FILE`: re-run a counterexample under the lenient scheduler (see
//! `refrace_sims::schedule`), print its event trace, optionally draw it as SVG. `--fault`
//! replaces the file's faults (`--fault none`: the same decisions against the fixed model);
//! `--fix` its candidate fixes (`--fix bg-trim-protects`: the same decisions with a finding's fix).

use super::trace;
use refrace_sims::counterexample::{replay, Counterexample, Replay};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `replay`.
#[derive(clap::Args)]
pub struct Args {
    /// The counterexample file (JSON).
    file: PathBuf,
    /// Replace the file's faults (comma-separated; `none` = the fixed model).
    #[arg(long)]
    fault: Option<String>,
    /// Replace the file's reclamation strategy (confinement, atomic or epoch).
    #[arg(long)]
    strategy: Option<String>,
    /// Replace the file's candidate fixes (comma-separated; `none` = the pinned code).
    #[arg(long)]
    fix: Option<String>,
    /// Draw the interleaving as an SVG sequence diagram into this file.
    #[arg(long)]
    svg: Option<PathBuf>,
    /// Replay this many times and check every run is identical.
    #[arg(long, default_value_t = 1)]
    times: usize,
    /// Print only the steps on the violating object, hand-offs and the violation.
    #[arg(long)]
    focus: bool,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// Run it.
pub fn main(a: Args) -> super::Result {
    let cx = Counterexample::load(&a.file)?;
    let faults = match &a.fault {
        Some(f) => super::faults(f)?,
        None => cx.fault_set()?,
    };
    if a.times == 0 {
        return Err("--times must be at least 1".into());
    }
    let strategy = a.strategy.as_deref().map(super::strategy).transpose()?;
    let fixes = a
        .fix
        .as_deref()
        .map(|f| refrace_model::FixSet::parse(f).map_err(|e| e.to_string()))
        .transpose()?;
    let spec = cx.spec_fixed(Some(faults), strategy, fixes)?;
    let runs: Vec<Replay> = (0..a.times)
        .map(|_| refrace_sims::quiet::quietly(|| replay(&spec, &cx.schedule)))
        .collect();
    let r = &runs[0];
    let identical = runs
        .iter()
        .filter(|x| x.trace == r.trace && x.violation == r.violation)
        .count();
    let rows = trace::rows(&r.trace);
    if let Some(out) = &a.svg {
        let title = format!(
            "{} [{}] {} seed {}: {}",
            cx.scenario,
            faults,
            cx.explorer,
            cx.seed,
            r.violation
                .as_ref()
                .map_or("clean", |v| first_line(&v.message))
        );
        std::fs::write(out, super::svg::render(&title, &trace::focus(&rows)))
            .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    }
    let recorded = faults == cx.fault_set()?
        && strategy.is_none_or(|s| s.name() == cx.spec.config.strategy)
        && fixes.is_none_or(|x| Ok(x) == cx.fix_set());
    let reproduced = r
        .violation
        .as_ref()
        .is_some_and(|v| v.invariant == Some(cx.invariant) && first_line(&v.message) == cx.message);
    let guard = r.violation.as_ref().is_some_and(|v| {
        faults.is_empty()
            && cx.scenario().zip(v.invariant).is_some_and(|(sc, i)| {
                sc.fixed_allows_under(spec.cfg.strategy, i)
                    && sc.finding().is_none_or(|f| !spec.cfg.fixes.has(f.fix))
            })
    });
    if a.json {
        super::print_json(&json!({
            "file": a.file,
            "scenario": cx.scenario,
            "faults": faults.to_string(),
            "strategy": spec.cfg.strategy.name(),
            "fixes": spec.cfg.fixes.to_string(),
            "runs": a.times,
            "identical": identical,
            "violation": r.violation.as_ref().map(|v| json!({"invariant": v.invariant.map(|i| i.name()), "message": v.message})),
            "reproduces_recorded": reproduced,
            "preemptions": r.taken.preemptions(),
            "trace": if a.focus { trace::focus(&rows) } else { rows },
        }))?;
    } else {
        println!(
            "replay of {} (scenario {}, faults {faults}{}{}, {} decision(s), {} preemption(s))",
            a.file.display(),
            cx.scenario,
            match spec.cfg.strategy {
                refrace_model::config::Strategy::Confinement => String::new(),
                s => format!(", strategy {s}"),
            },
            if spec.cfg.fixes.is_empty() {
                String::new()
            } else {
                format!(", fixes {}", spec.cfg.fixes)
            },
            cx.schedule.tasks.len(),
            r.taken.preemptions()
        );
        trace::print(&if a.focus { trace::focus(&rows) } else { rows });
        match &r.violation {
            Some(v) => {
                println!("\n{}", v.message);
                if recorded {
                    println!(
                        "{}",
                        if reproduced {
                            "reproduces the recorded violation"
                        } else {
                            "DIFFERS from the recorded violation"
                        }
                    );
                }
            }
            None => {
                println!("\nclean: no invariant broke (faults: {faults})");
                if recorded {
                    println!("DOES NOT REPRODUCE the recorded violation");
                }
            }
        }
        if a.times > 1 {
            println!(
                "{identical}/{} replays identical (trace and outcome)",
                a.times
            );
        }
        if let Some(out) = &a.svg {
            println!("svg: {}", out.display());
        }
    }
    Ok(match &r.violation {
        _ if identical != a.times => ExitCode::from(1),
        // With its own faults and strategy, a file that no longer reproduces is a failure.
        _ if recorded && !reproduced => ExitCode::from(1),
        None => ExitCode::SUCCESS,
        Some(_) if guard => ExitCode::SUCCESS,
        Some(_) => ExitCode::from(1),
    })
}
