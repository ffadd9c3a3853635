//! loom measurements: iterations and wall time per scenario at preemption bounds 2 and 3,
//! iterations to the #14738 bug, and iterations to every catalogued fault (the negative
//! controls). Prints Markdown. `MEASURE_LOOM_BOUNDS=2,3` (default) picks the bounds.
//!
//! `cargo run --release -p refrace-sims --features loom --example measure_loom`

use refrace_model::config::Strategy;
use refrace_model::sync::WordMode;
use refrace_model::{Fault, FaultSet};
use refrace_sims::explore::{Explorer, UNBOUNDED};
use refrace_sims::scenarios::{find, Opts, SCENARIOS};

fn main() {
    println!("## loom (fixed model)\n");
    println!("| scenario | bound | iterations | wall | verdict |");
    println!("|---|---:|---:|---:|---|");
    let bounds: Vec<usize> = std::env::var("MEASURE_LOOM_BOUNDS")
        .ok()
        .map(|v| v.split(',').filter_map(|b| b.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![2, 3]);
    for &bound in &bounds {
        let mut total = std::time::Duration::ZERO;
        for sc in SCENARIOS {
            let opts = Opts::default();
            let o = Explorer::Loom { preemptions: bound }.run(sc, opts, UNBOUNDED, 0);
            total += o.wall;
            let verdict = o
                .first
                .as_ref()
                .map(|f| format!("{:?}", f.invariant))
                .unwrap_or_else(|| "clean".into());
            println!(
                "| {} | {bound} | {} | {:.2?} | {verdict} |",
                sc.name, o.schedules, o.wall
            );
        }
        println!("| **all** | {bound} | | {total:.2?} | |");
    }
    println!("\n## loom: #14738 (`defer-shared-free`)\n");
    println!("| word model | bound | iterations to the bug | invariant | wall |");
    println!("|---|---:|---:|---|---:|");
    let sc = find("get_reply_ref_vs_overwrite").expect("scenario");
    for &bound in &bounds {
        for mode in [WordMode::DetectRace, WordMode::SplitRmw] {
            let opts = Opts {
                faults: FaultSet::of(&[Fault::DeferSharedFree]),
                word_mode: mode,
                ..Opts::default()
            };
            let o = Explorer::Loom { preemptions: bound }.run(sc, opts, UNBOUNDED, 0);
            let f = o.first.as_ref();
            println!(
                "| {mode:?} | {bound} | {} | {:?} | {:.2?} |",
                o.schedules,
                f.and_then(|f| f.invariant),
                o.wall
            );
        }
    }
    println!("\n## loom: every catalogued fault (negative controls, race-detecting word)\n");
    println!("| scenario | faults | bound | iterations to the bug | invariant | wall |");
    println!("|---|---|---:|---:|---|---:|");
    for &bound in &bounds {
        for sc in SCENARIOS {
            for catch in sc
                .catches
                .iter()
                .filter(|c| c.applies_to(Strategy::Confinement))
            {
                let opts = Opts {
                    faults: FaultSet::of(catch.faults),
                    ..Opts::default()
                };
                let o = Explorer::Loom { preemptions: bound }.run(sc, opts, UNBOUNDED, 0);
                let f = o.first.as_ref();
                let names: Vec<&str> = catch.faults.iter().map(|f| f.name()).collect();
                println!(
                    "| {} | {} | {bound} | {} | {:?} | {:.2?} |",
                    sc.name,
                    names.join("+"),
                    o.schedules,
                    f.and_then(|f| f.invariant),
                    o.wall
                );
            }
        }
    }
}
