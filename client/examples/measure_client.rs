//! Measurements of the async client model for `reports/*-async-client.md`:
//! `cargo run --release -p refrace-client --example measure_client [-- --quick]`.
//!
//! 1. Schedules: every scenario clean under shuttle random and PCT (`REFRACE_CLIENT_SCHEDULES`
//!    each, default 10,000), real threads (`REFRACE_CLIENT_STRESS`, default 1,000 runs), and
//!    each fault caught, with the schedule that caught it.
//! 2. Retention per in-flight command with and without `keep-formatted-cmd`, by window and
//!    payload size.
//! 3. Resident size after a burst for the glibc-like and jemalloc-like allocator models.
//!
//! Prints Markdown tables on stdout. loom is measured by its own lane
//! (`cargo test --release -p refrace-client --features loom --test loom -- --nocapture`).

use refrace_client::allocator::{replay, Allocator, GlibcLike, JemallocLike};
use refrace_client::heap::HeapEvent;
use refrace_client::retention::BOUND_PER_COMMAND;
use refrace_client::scenarios::{burst, Burst, Opts, Scenario, CATALOGUE};
use refrace_client::{Fault, Faults};
use refrace_sims::explore::{env_num, Explorer, Outcome};
use std::time::Instant;

fn run(e: Explorer, sc: &'static Scenario, opts: Opts, budget: usize) -> Outcome {
    e.run_fn(
        sc.name,
        move || {
            (sc.run)(&opts);
        },
        budget,
        0x5eed,
    )
}

fn verdict(o: &Outcome) -> String {
    match &o.first {
        None => format!("clean ({} in {:.1} s)", o.schedules, o.wall.as_secs_f64()),
        Some(f) => format!(
            "**{}** at {} ({} failed of {})",
            f.invariant.map(|i| i.name()).unwrap_or("no invariant"),
            f.schedule,
            o.failures,
            o.schedules
        ),
    }
}

fn schedules(quick: bool) {
    let n: usize = env_num("REFRACE_CLIENT_SCHEDULES", if quick { 500 } else { 10_000 });
    let stress: usize = env_num("REFRACE_CLIENT_STRESS", if quick { 50 } else { 1_000 });
    let pct = Explorer::ShuttlePct { depth: 3 };
    println!("### Fixed client: every scenario, every explorer\n");
    println!("| scenario | shuttle random | shuttle PCT (depth 3) | real threads |");
    println!("|---|---|---|---|");
    for sc in CATALOGUE.iter() {
        let r = run(Explorer::ShuttleRandom, sc, Opts::default(), n);
        let p = run(pct, sc, Opts::default(), n);
        let s = run(Explorer::Stress, sc, Opts::default(), stress);
        println!(
            "| `{}` | {} | {} | {} |",
            sc.name,
            verdict(&r),
            verdict(&p),
            verdict(&s)
        );
    }
    println!("\n### Each fault, in the scenarios that list it\n");
    println!("| fault | scenario | expected | shuttle random | shuttle PCT | real threads |");
    println!("|---|---|---|---|---|---|");
    let mut messages = Vec::new();
    for f in Fault::ALL {
        for sc in CATALOGUE.iter() {
            for (g, inv) in sc.catches {
                if *g != f {
                    continue;
                }
                let o = Opts::with_faults(Faults::only(f));
                let r = run(Explorer::ShuttleRandom, sc, o.clone(), n);
                let p = run(pct, sc, o.clone(), n);
                let s = run(Explorer::Stress, sc, o, stress);
                if let Some(first) = &r.first {
                    messages.push((f, sc.name, first.message.clone()));
                }
                println!(
                    "| `{f}` | `{}` | {} | {} | {} | {} |",
                    sc.name,
                    inv.name(),
                    verdict(&r),
                    verdict(&p),
                    verdict(&s)
                );
            }
        }
    }
    // Not in the catalogue: the same fault where its window is a race (destroy right after
    // sending, the commands maybe not yet handed to hiredis).
    let sc = CATALOGUE
        .iter()
        .find(|s| s.name == "destroy_with_inflight")
        .expect("scenario");
    let o = Opts::with_faults(Faults::only(Fault::DestroyWithCallbackPending));
    let r = run(Explorer::ShuttleRandom, sc, o.clone(), n);
    let p = run(pct, sc, o.clone(), n);
    let s = run(Explorer::Stress, sc, o, stress);
    println!(
        "| `destroy-with-callback-pending` | `destroy_with_inflight` (racy window, not listed) | USE_AFTER_FREE | {} | {} | {} |",
        verdict(&r),
        verdict(&p),
        verdict(&s)
    );
    println!("\n### What the oracle says (first failure under shuttle random, first lines)\n");
    for (f, sc, m) in messages {
        println!("`{f}` in `{sc}`:\n```");
        for l in m.lines().take(9) {
            println!("{l}");
        }
        println!("```");
    }
    println!();
}

fn retention() {
    println!("### Retention per in-flight command (bound {BOUND_PER_COMMAND} bytes)\n");
    println!("In flight = the peer holds the whole window (QPS × latency). Bytes the client holds for the in-flight commands, peak over the run:\n");
    println!("| window | payload | fixed: per command | fixed: all in flight | `keep-formatted-cmd`: per command | `keep-formatted-cmd`: all in flight |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for window in [1usize, 10, 100, 1000] {
        for payload in [100usize, 1024, 16 * 1024] {
            let mut row = Vec::new();
            for faults in [Faults::NONE, Faults::only(Fault::KeepFormattedCmd)] {
                let r = burst(&Burst {
                    commands: window,
                    payload,
                    faults,
                    keep_every: 0,
                })
                .unwrap_or_else(|e| panic!("burst: {e}"));
                row.push(r.stats.peaks);
            }
            println!(
                "| {window} | {payload} | {} | {} | {} | {} |",
                row[0].per_command, row[0].total, row[1].per_command, row[1].total
            );
        }
    }
    println!();
}

fn live_peak(log: &[HeapEvent]) -> usize {
    let mut sizes = std::collections::HashMap::new();
    let (mut live, mut peak) = (0usize, 0usize);
    for e in log {
        match *e {
            HeapEvent::Alloc { id, size, .. } => {
                sizes.insert(id, size);
                live += size;
            }
            HeapEvent::Free { id } => live -= sizes.remove(&id).unwrap_or(0),
        }
        peak = peak.max(live);
    }
    peak
}

fn live_at(log: &[HeapEvent]) -> (usize, std::collections::BTreeMap<&'static str, usize>) {
    let mut sizes = std::collections::HashMap::new();
    for e in log {
        match *e {
            HeapEvent::Alloc { id, size, what } => {
                sizes.insert(id, (size, what));
            }
            HeapEvent::Free { id } => {
                sizes.remove(&id);
            }
        }
    }
    let mut by_kind = std::collections::BTreeMap::new();
    for (size, what) in sizes.values() {
        *by_kind.entry(*what).or_default() += size;
    }
    (sizes.values().map(|(s, _)| s).sum(), by_kind)
}

/// "a" or "a–b" over the runs.
fn range(v: &[usize]) -> String {
    let (lo, hi) = (v.iter().min().copied(), v.iter().max().copied());
    match (lo, hi) {
        (Some(l), Some(h)) if l == h => kib(l),
        (Some(l), Some(h)) => format!("{}–{}", kib(l), kib(h)),
        _ => "–".into(),
    }
}

fn rss() {
    const RUNS: usize = 5;
    println!("### Resident size after a burst (allocator models)\n");
    println!("1,000 SETs in flight at once, then answered; the application keeps one 64-byte object per 50 replies. *Idle*: the burst is over, the client connected and idle. jemalloc's dirty pages are purged after `dirty_decay_ms` (10 s by default); both columns are shown. Real threads: each cell is the range over {RUNS} runs (how far the application thread gets ahead of the loop varies).\n");
    println!("| client | payload | live bytes peak | live bytes idle | glibc-like peak RSS | glibc-like idle RSS | jemalloc-like peak RSS | jemalloc-like idle RSS (before decay) | jemalloc-like idle RSS (after decay) |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut idle_kinds = Vec::new();
    for payload in [1024usize, 16 * 1024] {
        for (name, faults) in [
            ("fixed", Faults::NONE),
            (
                "`keep-formatted-cmd`",
                Faults::only(Fault::KeepFormattedCmd),
            ),
        ] {
            let mut cols: Vec<Vec<usize>> = vec![Vec::new(); 7];
            for _ in 0..RUNS {
                let r = burst(&Burst {
                    commands: 1000,
                    payload,
                    faults,
                    keep_every: 50,
                })
                .unwrap_or_else(|e| panic!("burst: {e}"));
                let idle_log = &r.log[..r.idle];
                let mut g = GlibcLike::new();
                let gr = replay(idle_log, &mut g);
                let mut j = JemallocLike::new();
                let jr = replay(idle_log, &mut j);
                let (live_idle, kinds) = live_at(idle_log);
                idle_kinds.push((name, payload, kinds));
                for (c, v) in cols.iter_mut().zip([
                    live_peak(idle_log),
                    live_idle,
                    gr.peak,
                    g.resident(),
                    jr.peak,
                    j.resident(),
                    j.resident_after_decay(),
                ]) {
                    c.push(v);
                }
                let _ = (g.name(), j.name());
            }
            let cells: Vec<String> = cols.iter().map(|c| range(c)).collect();
            println!("| {name} | {payload} | {} |", cells.join(" | "));
        }
    }
    println!("\nLive at idle, by allocation (last run of each row):\n");
    let mut seen = std::collections::BTreeSet::new();
    for (name, payload, kinds) in idle_kinds.into_iter().rev() {
        if !seen.insert((name, payload)) {
            continue;
        }
        let parts: Vec<String> = kinds.iter().map(|(k, b)| format!("{k} {b}")).collect();
        println!("- {name}, {payload}: {}", parts.join(", "));
    }
    println!();
}

fn kib(b: usize) -> String {
    format!("{:.1} KiB", b as f64 / 1024.0)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let t = Instant::now();
    schedules(quick);
    retention();
    rss();
    println!("(measured in {:.1} s)", t.elapsed().as_secs_f64());
}
