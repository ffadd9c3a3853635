//! Replays a corpus directory through a fuzz target body without libFuzzer, `passes` times,
//! printing inputs/s and the process RSS after each pass (a flat RSS over passes means the
//! target keeps nothing from one input to the next).
//!
//! `cargo run --release -p refrace-sims --example fuzz_replay -- <target> <dir> [passes]`
//! (faults from `REFRACE_FAULT`; a crash panics with the input's path).

use refrace_model::FaultSet;
use std::time::Instant;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(target), Some(dir)) = (args.get(1), args.get(2)) else {
        eprintln!(
            "refrace: usage: fuzz_replay <resp_request|command_stream|interleaving> <dir> [passes]"
        );
        std::process::exit(2);
    };
    let passes: usize = match args.get(3).map(|p| p.parse()) {
        None => 1,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            eprintln!("refrace: passes must be a number");
            std::process::exit(2);
        }
    };
    let faults = FaultSet::from_env().unwrap_or_else(|e| {
        eprintln!("refrace: REFRACE_FAULT: {e}");
        std::process::exit(2);
    });
    let run: fn(&[u8], FaultSet) = match target.as_str() {
        "resp_request" => |d, _| refrace_sims::fuzz::resp_request(d),
        "command_stream" => refrace_sims::fuzz::command_stream,
        "interleaving" => refrace_sims::fuzz::interleaving,
        other => {
            eprintln!("refrace: no fuzz target {other}");
            std::process::exit(2);
        }
    };
    let mut inputs = Vec::new();
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| {
        eprintln!("refrace: {dir}: {e}");
        std::process::exit(2);
    });
    for e in entries.flatten() {
        if let Ok(b) = std::fs::read(e.path()) {
            inputs.push((e.path(), b));
        }
    }
    for pass in 1..=passes {
        let t = Instant::now();
        for (path, data) in &inputs {
            let r = std::panic::catch_unwind(|| run(data, faults));
            if r.is_err() {
                panic!("{} crashed", path.display());
            }
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "pass {pass}: {} inputs in {secs:.2} s ({:.0}/s), RSS {} KiB",
            inputs.len(),
            inputs.len() as f64 / secs,
            rss_kib()
        );
    }
}
