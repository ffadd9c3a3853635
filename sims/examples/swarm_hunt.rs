//! Hunt each catalogued fault in swarm worlds and print worlds and schedules to the first catch:
//! `cargo run --release -p refrace-sims --example swarm_hunt -- [MAX_WORLDS] [BUDGET] [BASE]`
//! (`REFRACE_HUNT_ONLY=name,name` hunts only the fault sets naming one of them).
use refrace_sims::swarm::{catalogue, first_catch, hunt, Shard};

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let max: usize = a.get(1).and_then(|s| s.parse().ok()).unwrap_or(200);
    let budget: usize = a.get(2).and_then(|s| s.parse().ok()).unwrap_or(50);
    let base: u64 = a.get(3).and_then(|s| s.parse().ok()).unwrap_or(0x5eed);
    // REFRACE_HUNT_ONLY=a,b: only the fault sets whose name contains one of these.
    let only: Vec<String> = std::env::var("REFRACE_HUNT_ONLY")
        .map(|v| v.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    for fs in catalogue() {
        let name = fs.to_string();
        if !only.is_empty() && !only.iter().any(|o| name.contains(o.as_str())) {
            continue;
        }
        let h = refrace_sims::quiet::quietly(|| hunt(fs, base, max, budget, Shard::ALL));
        match (first_catch(&h.worlds), &h.catch) {
            (Some((i, w, s)), Some((_, cx))) => println!(
                "{fs} ({}): world {i}: {w} worlds, {s} schedules, {:.1}s: {}",
                h.strategy,
                h.wall.as_secs_f64(),
                cx.message
            ),
            _ => println!(
                "{fs} ({}): NOT CAUGHT in {} worlds ({:.1}s)",
                h.strategy,
                h.worlds.len(),
                h.wall.as_secs_f64()
            ),
        }
        for (r, cx) in &h.fixed_findings {
            println!(
                "  FIXED-MODEL FINDING in world {} seed {}: {}",
                r.index, r.seed, cx.message
            );
        }
    }
}
