//! Strategy measurements: per reclamation strategy, the fixed model under shuttle (random and
//! PCT) or loom, and what each strategy's negative control takes to be found. Prints Markdown.
//!
//! shuttle + real threads: `cargo run --release -p refrace-sims --example measure_strategies`
//! loom: `cargo run --release -p refrace-sims --features loom --example measure_strategies`
//! Knobs: `MEASURE_ITERS` (shuttle schedules per scheduler, default 2000), `MEASURE_SEEDS`
//! (seeds for schedules-to-first-bug, default 20), `MEASURE_STRESS` (real-thread runs, default
//! 2000), `MEASURE_LOOM_BOUNDS` (default 2,3; bound 3 only for get_reply_ref_vs_overwrite).

use refrace_model::config::{Fault, Strategy};
use refrace_model::FaultSet;
use refrace_sims::explore::Explorer;
use refrace_sims::scenarios::{find, Opts, SCENARIOS};

/// The negative controls of the strategies, and #14738's fault under each strategy it applies to.
const CONTROLS: &[(Strategy, Fault)] = &[
    (Strategy::Confinement, Fault::DeferSharedFree),
    (Strategy::Atomic, Fault::DeferSharedFree),
    (Strategy::Atomic, Fault::AtomicSplitRmw),
    (Strategy::Epoch, Fault::EpochUnpinnedWrite),
];

fn opts(faults: FaultSet, strategy: Strategy) -> Opts {
    Opts {
        faults,
        strategy,
        ..Opts::default()
    }
}

#[cfg(not(feature = "loom"))]
fn main() {
    use refrace_sims::explore::env_num;
    use refrace_sims::scenarios::{Expect, Expectation};
    let iters = env_num("MEASURE_ITERS", 2000);
    let seeds: u64 = env_num("MEASURE_SEEDS", 20);
    let stress_n = env_num("MEASURE_STRESS", 2000);
    println!("## Fixed model under shuttle: {iters} schedules per scheduler, seed 1\n");
    println!("| strategy | scheduler | scenarios as expected | schedules | wall |");
    println!("|---|---|---:|---:|---:|");
    for strategy in Strategy::ALL {
        for mode in [Explorer::ShuttleRandom, Explorer::PCT] {
            let (mut ok, mut n, mut wall) = (0, 0, std::time::Duration::ZERO);
            for sc in SCENARIOS {
                let o = opts(FaultSet::NONE, strategy);
                let out = mode.run(sc, o, iters, 1);
                let want = sc.expect(FaultSet::NONE, strategy);
                let fine = match (&out.first, want) {
                    (None, Expectation::Fixed(Expect::Clean)) => true,
                    (Some(f), Expectation::Fixed(Expect::Guard(g))) => f.invariant == Some(g),
                    _ => false,
                };
                ok += usize::from(fine);
                n += out.schedules;
                wall += out.wall;
            }
            println!(
                "| {strategy} | {} | {ok}/{} | {n} | {wall:.2?} |",
                mode.name(),
                SCENARIOS.len()
            );
        }
    }
    println!(
        "\n## Negative controls: schedules to the first bug over {seeds} seeds (budget {iters})\n"
    );
    println!("| strategy | fault | scheduler | found | median | max | invariants |");
    println!("|---|---|---|---:|---:|---:|---|");
    let sc = find("get_reply_ref_vs_overwrite").expect("scenario");
    for &(strategy, fault) in CONTROLS {
        for mode in [Explorer::ShuttleRandom, Explorer::PCT] {
            let mut to_bug = Vec::new();
            let mut invs = std::collections::BTreeSet::new();
            for seed in 1..=seeds {
                let o = opts(FaultSet::of(&[fault]), strategy);
                let out = mode.run(sc, o, iters, seed);
                if let Some(f) = out.first {
                    to_bug.push(f.schedule);
                    invs.insert(f.invariant.map_or("(none)", |i| i.name()));
                }
            }
            to_bug.sort_unstable();
            let (med, max) = match to_bug.len() {
                0 => ("-".to_string(), "-".to_string()),
                n => (to_bug[n / 2].to_string(), to_bug[n - 1].to_string()),
            };
            println!(
                "| {strategy} | {fault} | {} | {}/{seeds} | {med} | {max} | {} |",
                mode.name(),
                to_bug.len(),
                invs.into_iter().collect::<Vec<_>>().join(", ")
            );
        }
    }
    println!("\n## Real threads: {stress_n} runs each\n");
    println!("| strategy | faults | failing runs | wall |");
    println!("|---|---|---:|---:|");
    for &(strategy, fault) in CONTROLS {
        for faults in [FaultSet::NONE, FaultSet::of(&[fault])] {
            let o = opts(faults, strategy);
            let out = Explorer::Stress.run(sc, o, stress_n, 0);
            println!(
                "| {strategy} | {faults} | {} | {:.2?} |",
                out.failures, out.wall
            );
        }
    }
}

#[cfg(feature = "loom")]
fn main() {
    use refrace_sims::explore::UNBOUNDED;
    let bounds: Vec<usize> = std::env::var("MEASURE_LOOM_BOUNDS")
        .ok()
        .map(|v| v.split(',').filter_map(|b| b.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![2, 3]);
    println!("## loom: fixed model per strategy\n");
    println!("| strategy | scenario | bound | iterations | wall | verdict |");
    println!("|---|---|---:|---:|---:|---|");
    for strategy in Strategy::ALL {
        for &bound in &bounds {
            let mut total = std::time::Duration::ZERO;
            for sc in SCENARIOS {
                if bound > 2 && sc.name != "get_reply_ref_vs_overwrite" {
                    continue;
                }
                let o = opts(FaultSet::NONE, strategy);
                let out = Explorer::Loom { preemptions: bound }.run(sc, o, UNBOUNDED, 0);
                total += out.wall;
                let verdict = out
                    .first
                    .as_ref()
                    .map(|f| f.invariant.map_or("(none)", |i| i.name()))
                    .unwrap_or("clean");
                println!(
                    "| {strategy} | {} | {bound} | {} | {:.2?} | {verdict} |",
                    sc.name, out.schedules, out.wall
                );
            }
            println!("| {strategy} | **all above** | {bound} | | {total:.2?} | |");
        }
    }
    println!("\n## loom: negative controls (get_reply_ref_vs_overwrite)\n");
    println!("| strategy | fault | bound | iterations | invariant | wall |");
    println!("|---|---|---:|---:|---|---:|");
    let sc = find("get_reply_ref_vs_overwrite").expect("scenario");
    for &bound in &bounds {
        for &(strategy, fault) in CONTROLS {
            let o = opts(FaultSet::of(&[fault]), strategy);
            let out = Explorer::Loom { preemptions: bound }.run(sc, o, UNBOUNDED, 0);
            println!(
                "| {strategy} | {fault} | {bound} | {} | {} | {:.2?} |",
                out.schedules,
                out.first
                    .as_ref()
                    .and_then(|f| f.invariant)
                    .map_or("clean", |i| i.name()),
                out.wall
            );
        }
    }
}
