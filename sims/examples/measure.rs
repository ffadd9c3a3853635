//! Foundation measurements (std + shuttle): prints a Markdown report.
//!
//! `cargo run --release -p refrace-sims --example measure > reports/<date>-foundation-measurements.md`
//! Knobs: `MEASURE_ITERS` (schedules per scheduler for the clean runs, default 10000),
//! `MEASURE_SEEDS` (seeds for schedules-to-first-bug, default 20), `MEASURE_STRESS` (real-thread
//! runs, default 20000).

use refrace_model::sync::WordMode;
use refrace_model::{Fault, FaultSet};
use refrace_sims::explore::{env_num, Explorer};
use refrace_sims::scenarios::{find, Expect, Opts, SCENARIOS};
use std::time::Instant;

fn cmd_out(cmd: &str, args: &[&str]) -> String {
    std::process::Command::new(cmd)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|_| "?".into())
}

fn median(v: &mut [usize]) -> usize {
    v.sort_unstable();
    v[v.len() / 2]
}

fn main() {
    let iters = env_num("MEASURE_ITERS", 10_000);
    let seeds = env_num("MEASURE_SEEDS", 20);
    let stress_n = env_num("MEASURE_STRESS", 20_000);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "?".into());
    println!("# Foundation measurements\n");
    println!("Made by `cargo run --release -p refrace-sims --example measure` (MEASURE_ITERS={iters}, MEASURE_SEEDS={seeds}, MEASURE_STRESS={stress_n}).\n");
    println!("- machine: {} cores, {cpu}", cmd_out("nproc", &[]));
    println!("- {}", cmd_out("rustc", &["--version"]));
    println!(
        "- shuttle 0.9.9 (vector-clocks), loom 0.7.2, commit {}",
        cmd_out("git", &["rev-parse", "--short", "HEAD"])
    );
    println!(
        "- date: {}\n",
        cmd_out("date", &["-u", "+%Y-%m-%d %H:%M UTC"])
    );

    println!("## Fixed model under shuttle: {iters} schedules per scheduler\n");
    println!("| scenario | scheduler | schedules | verdict | wall | schedules/s |");
    println!("|---|---|---:|---|---:|---:|");
    for sc in SCENARIOS {
        let opts = Opts::default();
        for e in [Explorer::ShuttleRandom, Explorer::PCT] {
            let o = e.run(sc, opts, iters, 1);
            let verdict = match (&o.first, sc.fixed) {
                (None, Expect::Clean) => "clean".to_string(),
                (Some(f), Expect::Guard(g)) if f.invariant == Some(g) => {
                    format!("Redis's guard ({g}) at schedule {}", f.schedule)
                }
                (Some(f), Expect::UpstreamBug(b)) => {
                    format!(
                        "upstream bug {} ({:?}) at schedule {}",
                        b.name, f.invariant, f.schedule
                    )
                }
                (Some(f), _) => format!("VIOLATION {:?}", f.invariant),
                (None, Expect::Guard(g)) => format!("guard {g} NOT reached"),
                (None, Expect::UpstreamBug(b)) => format!("upstream bug {} not reproduced", b.name),
            };
            println!(
                "| {} | {} | {} | {} | {:.2?} | {:.0} |",
                sc.name,
                o.explorer,
                o.schedules,
                verdict,
                o.wall,
                o.schedules as f64 / o.wall.as_secs_f64()
            );
        }
    }

    let sc = find("get_reply_ref_vs_overwrite").expect("scenario");
    let opts = Opts {
        faults: FaultSet::of(&[Fault::DeferSharedFree]),
        ..Opts::default()
    };
    // Steps per execution (k) and threads (n), for the PCT bound 1/(n k^(d-1)).
    let steps = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let st = steps.clone();
    let fixed = Opts::default();
    Explorer::ShuttleRandom.run_fn(
        sc.name,
        move || {
            sc.run(&fixed);
            st.fetch_max(
                shuttle::current::context_switches(),
                std::sync::atomic::Ordering::Relaxed,
            );
        },
        200,
        1,
    );
    let k = steps.load(std::sync::atomic::Ordering::Relaxed);
    let n = 3usize;
    println!("\n## #14738 (`defer-shared-free`): schedules to the first bug over {seeds} seeds\n");
    println!("Scenario `get_reply_ref_vs_overwrite`: n = {n} threads, k = {k} scheduling steps per execution (max over 200 fixed runs).\n");
    println!("With the race check (vector clocks) the bug is reported as soon as both decrements run; without it (`WordMode::SplitRmw`) only the lost update itself counts.\n");
    println!("| check | scheduler | median | max | min | invariants seen | wall (all seeds) |");
    println!("|---|---|---:|---:|---:|---|---:|");
    let pct = |depth| Explorer::ShuttlePct { depth };
    for (check, mode) in [
        (WordMode::DetectRace, Explorer::ShuttleRandom),
        (WordMode::DetectRace, pct(2)),
        (WordMode::DetectRace, pct(3)),
        (WordMode::SplitRmw, Explorer::ShuttleRandom),
        (WordMode::SplitRmw, pct(2)),
        (WordMode::SplitRmw, pct(3)),
    ] {
        let opts = Opts {
            word_mode: check,
            ..opts
        };
        let t = Instant::now();
        let mut found = Vec::new();
        let mut names = std::collections::BTreeMap::new();
        for seed in 0..seeds as u64 {
            let o = mode.run(sc, opts, 100_000, seed + 1);
            let f = o
                .first
                .expect("the bug must be found within 100000 schedules");
            *names
                .entry(f.invariant.map_or("(none)", |i| i.name()))
                .or_insert(0) += 1;
            found.push(f.schedule);
        }
        let (max, min) = (
            *found.iter().max().unwrap_or(&0),
            *found.iter().min().unwrap_or(&0),
        );
        let label = match mode {
            Explorer::ShuttlePct { depth } => format!("PCT depth {depth}"),
            _ => "random".into(),
        };
        let check = match check {
            WordMode::DetectRace => "race",
            WordMode::SplitRmw => "lost update",
        };
        println!(
            "| {check} | {label} | {} | {max} | {min} | {names:?} | {:.2?} |",
            median(&mut found),
            t.elapsed()
        );
    }
    for d in [2u32, 3] {
        let p = 1.0 / (n as f64 * (k as f64).powi(d as i32 - 1));
        println!(
            "\nPCT bound for depth {d}: p >= 1/(n k^(d-1)) = 1/{:.0}; expected schedules <= {:.0}.",
            1.0 / p,
            1.0 / p
        );
    }

    println!("\n## Real threads (std stress): {stress_n} runs\n");
    println!("| scenario | faults | runs | failing runs | wall |");
    println!("|---|---|---:|---:|---:|");
    for (name, faults) in [
        ("get_reply_ref_vs_overwrite", FaultSet::NONE),
        (
            "get_reply_ref_vs_overwrite",
            FaultSet::of(&[Fault::DeferSharedFree]),
        ),
        (
            "rename_big_list_lazy_server_del",
            FaultSet::of(&[Fault::BioFreeShared]),
        ),
        (
            "flushall_async_with_pending_refs",
            FaultSet::of(&[Fault::UnlinkPendingEarly]),
        ),
    ] {
        let sc = find(name).expect("scenario");
        let o = Opts {
            faults,
            ..Opts::default()
        };
        let r = Explorer::Stress.run(sc, o, stress_n, 0);
        println!(
            "| {name} | {faults} | {} | {} | {:.2?} |",
            r.schedules, r.failures, r.wall
        );
    }
}
