//! The numbers of `reports/2026-12-01-memory.md`: `used_memory` after N `CLUSTER
//! GETKEYSINSLOT` calls on the fixed model and with `getkeysinslot-owned-leak` (and the live
//! allocations by site), and RSS vs `used_memory` after a burst of allocations and frees,
//! before and after `MEMORY PURGE`. `cargo run --release -p refrace-sims --example memory_growth`.

use refrace_model::config::Fault;
use refrace_model::iothread::run_main_client;
use refrace_model::ledger::Tid;
use refrace_model::{networking, Config, Env, FaultSet, Server};

fn cmd(s: &mut Server, argv: &[&[u8]]) -> Vec<u8> {
    let req = refrace_model::resp::encode_request(argv);
    let mut c = networking::create_client(s, Tid::Main, vec![req]);
    run_main_client(s, &mut c);
    let env = s.env();
    networking::write_to_client(refrace_model::object::Cx::main(&env), Some(s), &mut c);
    let out = c.sent.clone();
    networking::free_client(s, c);
    out
}

fn growth(faults: FaultSet) {
    let cfg = Config {
        cluster_enabled: true,
        faults,
        ..Config::default()
    };
    let env = Env::new(cfg, false);
    let mut s = Server::new(env.clone());
    for i in 0..10 {
        cmd(&mut s, &[b"SET", format!("{{user}}:{i}").as_bytes(), b"v"]);
    }
    let slot = refrace_model::commands::key_hash_slot(b"{user}").to_string();
    let mut row = vec![env.ledger.used_memory()];
    for _ in 0..5 {
        for _ in 0..200 {
            cmd(
                &mut s,
                &[b"CLUSTER", b"GETKEYSINSLOT", slot.as_bytes(), b"10"],
            );
        }
        row.push(env.ledger.used_memory());
    }
    let name = if faults.is_empty() {
        "fixed"
    } else {
        "getkeysinslot-owned-leak"
    };
    let cells: Vec<String> = row.iter().map(|n| n.to_string()).collect();
    println!("| {name} | {} |", cells.join(" | "));
    for (site, kind, n, bytes) in env.ledger.live_by_site().iter().take(3) {
        println!("|   live: site `{site}` {kind:?} | {n} allocations, {bytes} B | | | | | |");
    }
}

fn retention() {
    let env = Env::new(Config::default(), false);
    let mut s = Server::new(env.clone());
    let show = |s: &Server, what: &str| {
        let h = s.env.ledger.heap_stats();
        let used = s.env.ledger.used_memory();
        println!(
            "| {what} | {used} | {} | {} | {} | {} | {:.2} |",
            h.allocated,
            h.active,
            h.resident,
            h.retained,
            h.resident as f64 / used as f64
        );
    };
    show(&s, "start");
    let v = vec![b'x'; 100];
    for i in 0..20_000 {
        cmd(&mut s, &[b"SET", format!("key:{i}").as_bytes(), &v]);
    }
    show(&s, "after 20,000 SETs of 100 B");
    cmd(&mut s, &[b"FLUSHALL", b"SYNC"]);
    show(&s, "after FLUSHALL SYNC");
    cmd(&mut s, &[b"MEMORY", b"PURGE"]);
    show(&s, "after MEMORY PURGE");
}

fn main() {
    println!("| model | 0 calls | 200 | 400 | 600 | 800 | 1000 |");
    println!("|---|---|---|---|---|---|---|");
    growth(FaultSet::NONE);
    growth(FaultSet::of(&[Fault::GetkeysinslotOwnedLeak]));
    println!();
    println!("| moment | used_memory | allocator_allocated | allocator_active | RSS (resident) | retained (purged) | RSS / used |");
    println!("|---|---|---|---|---|---|---|");
    retention();
}
