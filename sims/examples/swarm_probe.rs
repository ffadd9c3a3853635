//! Explore swarm worlds on the fixed model (or with REFRACE_FAULT) and print throughput,
//! coverage and violations (shrunk counterexamples under target/refrace/swarm-probe/): `cargo run --release -p refrace-sims --example swarm_probe -- WORLDS BUDGET [BASE]`.
use refrace_model::config::Strategy;
use refrace_model::coverage::{Counts, Event};
use refrace_model::FaultSet;
use refrace_sims::swarm::{explore_world, world_seed};

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let worlds: usize = a.get(1).and_then(|s| s.parse().ok()).unwrap_or(20);
    let budget: usize = a.get(2).and_then(|s| s.parse().ok()).unwrap_or(50);
    let base: u64 = a.get(3).and_then(|s| s.parse().ok()).unwrap_or(0x5eed);
    let faults = FaultSet::from_env().expect("REFRACE_FAULT");
    let t = std::time::Instant::now();
    let (mut sched, mut runs, mut cov) = (0, 0, Counts::default());
    for i in 0..worlds {
        let seed = world_seed(base, i);
        let r = explore_world(i, seed, faults, Strategy::Confinement, budget);
        sched += r.schedules;
        runs += r.runs;
        cov.add(&r.coverage);
        if let Some((e, f)) = &r.failure {
            println!(
                "world {i} seed {seed}: {} at schedule {}: {}",
                e.name(),
                f.schedule,
                f.message.lines().next().unwrap_or("")
            );
            if let Some(cx) = refrace_sims::swarm::counterexample(&r, faults, Strategy::Confinement)
            {
                let out = refrace_sims::explore::artifact_dir("swarm-probe")
                    .join(format!("cx-{seed}.json"))
                    .display()
                    .to_string();
                match refrace_sims::shrink::shrink(&cx, Default::default()) {
                    Ok(s) => {
                        s.save(std::path::Path::new(&out)).unwrap();
                        println!("  shrunk -> {out}: {:?}", s.shrink.map(|r| r.after));
                    }
                    Err(e) => {
                        cx.save(std::path::Path::new(&out)).unwrap();
                        println!("  not shrunk ({e}) -> {out}");
                    }
                }
            }
        }
    }
    let s = t.elapsed().as_secs_f64();
    println!("{worlds} worlds, {sched} schedules, {runs} runs in {s:.1}s: {:.1} worlds/s, {:.0} schedules/s", worlds as f64 / s, sched as f64 / s);
    for e in Event::ALL {
        println!("{:>8} {}", cov.get(*e), e.name());
    }
}
