//! `refrace list`: scenarios, faults, fixes, explorers and strategies, one line each.

use refrace_model::config::{Strategy, Variant, PIN, PIN_VERSION, VARIANT_14934_COMMIT};
use refrace_model::{Fault, Fix};
use refrace_sims::explore::Explorer;
use refrace_sims::scenarios::SCENARIOS;
use serde_json::json;
use std::process::ExitCode;

/// Options of `list`.
#[derive(clap::Args)]
pub struct Args {
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

/// Run it.
pub fn main(a: Args) -> super::Result {
    if a.json {
        super::print_json(&json!({
            "pin": {"repository": "redis/redis", "commit": PIN, "content": PIN_VERSION},
            "variants": Variant::ALL.iter().map(|v| json!({
                "name": v.name(),
                "about": v.description(),
                "commit": match v { Variant::Pin => PIN, Variant::ReplyRefs14934 => VARIANT_14934_COMMIT },
            })).collect::<Vec<_>>(),
            "scenarios": SCENARIOS.iter().map(|s| json!({"name": s.name, "about": s.about})).collect::<Vec<_>>(),
            "faults": Fault::ALL.iter().map(|f| json!({"name": f.name(), "about": f.description()})).collect::<Vec<_>>(),
            "fixes": Fix::ALL.iter().map(|f| json!({"name": f.name(), "finding": f.finding(), "about": f.description()})).collect::<Vec<_>>(),
            "explorers": Explorer::ALL.iter().map(|e| json!({"name": e.name(), "about": e.about()})).collect::<Vec<_>>(),
            "strategies": Strategy::ALL.iter().map(|s| json!({"name": s.name(), "about": s.description()})).collect::<Vec<_>>(),
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    println!("model: Redis {PIN_VERSION} content, pinned at redis/redis@{PIN}");
    println!("variants (--variant, REFRACE_VARIANT):");
    for v in Variant::ALL {
        println!("  {:<38} {}", v.name(), v.description());
    }
    println!("scenarios:");
    for s in SCENARIOS {
        println!("  {:<38} {}", s.name, s.about);
    }
    println!("faults (--fault, REFRACE_FAULT):");
    for f in Fault::ALL {
        println!("  {:<38} {}", f.name(), f.description());
    }
    println!("fixes of upstream bugs found at the pin (--fix, REFRACE_FIX; reports/findings/):");
    for f in Fix::ALL {
        println!("  {:<38} {}", f.name(), f.description());
    }
    println!("explorers (--explorer):");
    for e in Explorer::ALL {
        println!("  {:<38} {}", e.name(), e.about());
    }
    println!(
        "  {:<38} exhaustive within a preemption bound: its own build (cargo test --release -p refrace-sims --features loom --test loom)",
        "loom"
    );
    println!("strategies (--strategy, REFRACE_STRATEGY):");
    for s in Strategy::ALL {
        println!("  {:<38} {}", s.name(), s.description());
    }
    Ok(ExitCode::SUCCESS)
}
