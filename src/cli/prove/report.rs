//! `proof.md` and the summary `prove` prints.

use super::data::{first_catch, Proof, Role, Row};
use super::thousands;
use refrace_model::FixSet;
use refrace_sims::explore::Explorer;

/// The summary on stdout.
pub fn print_summary(p: &Proof) {
    let count = |role: Role| p.rows.iter().filter(|r| r.role == role).count();
    let m = &p.meta;
    let scope = match (&m.shard, m.merged_from) {
        (Some(s), _) => format!(" (shard {s})"),
        (None, Some(n)) => format!(" (merged from {n} shards)"),
        _ => String::new(),
    };
    println!(
        "{} mode{scope}, {:.1}s: {} scenario runs ({} upstream-bug reproductions, {} on the fixed model, {} must-catch, {} may-catch, {} must-be-clean, {} not expected)",
        m.mode,
        m.wall_s,
        p.rows.len(),
        count(Role::UpstreamBug),
        count(Role::Fixed),
        count(Role::MustCatch),
        count(Role::MayCatch),
        count(Role::MustBeClean),
        count(Role::NotExpected)
    );
    if let Some(s) = &p.swarm {
        let missing = s.coverage.values().filter(|n| **n == 0).count();
        println!(
            "swarm: {} worlds, {} schedules, {} violation(s) on the fixed model, {} of {} events reached",
            thousands(s.worlds.len()),
            thousands(s.schedules()),
            s.findings.len(),
            s.coverage.len() - missing,
            s.coverage.len()
        );
    }
    if !p.hunts.is_empty() {
        let caught = p.hunts.iter().filter(|h| first_catch(h).is_some()).count();
        println!(
            "hunts: {caught} of {} catalogued fault sets caught by the swarm alone",
            p.hunts.len()
        );
    }
    if p.meta.shard.is_some() {
        println!(
            "{}",
            if p.holds {
                "SHARD HOLDS (merge the shards with `refrace prove --merge DIR` for the whole proof)"
            } else {
                "SHARD FAILED:"
            }
        );
    } else if p.holds && p.meta.partial {
        println!(
            "PROOF HOLDS for the selected scenarios only (partial: whether every fault of the catalogue is caught was not checked)"
        );
    } else if p.holds {
        println!(
            "PROOF HOLDS: the fixed model is clean under every explorer and in every generated world, and every fault is caught"
        );
    } else {
        println!("PROOF FAILED:");
    }
    for f in &p.failures {
        println!("  {f}");
    }
}

/// A fixed-model row of an upstream-bug scenario run with its fix on.
fn is_finding_fix_run(r: &Row) -> bool {
    r.role == Role::Fixed
        && r.fixes != "none"
        && refrace_sims::scenarios::find(&r.scenario).is_some_and(|sc| {
            sc.finding()
                .is_some_and(|f| FixSet::parse(&r.fixes).is_ok_and(|x| x.has(f.fix)))
        })
}

fn table_row(r: &Row) -> String {
    format!(
        "| {} | {} | {} | {} | {} | {} | {} | {:.3}s | {} |\n",
        r.scenario,
        r.faults,
        r.strategy,
        r.explorer,
        r.verdict,
        r.schedules,
        r.to_first_bug.map_or("-".into(), |n| n.to_string()),
        r.wall_s,
        match (&r.invariant, r.expected.is_empty()) {
            (Some(i), _) => i.clone(),
            (None, false) => format!("({})", r.expected.join(" / ")),
            (None, true) => "-".into(),
        }
    )
}

const HEAD: &str = "| scenario | faults | strategy | explorer | verdict | schedules | to first bug | wall | invariant |\n|---|---|---|---|---|---:|---:|---:|---|\n";

fn path(p: &Option<std::path::PathBuf>) -> String {
    p.as_ref()
        .map_or("-".into(), |p| format!("`{}`", p.display()))
}

/// `proof.md`.
pub fn markdown(p: &Proof) -> String {
    let m = &p.meta;
    let b = &m.budgets;
    let mut s = String::new();
    s.push_str("# Regression proof\n\n");
    s.push_str(&format!(
        "Made by `{}`, {} mode, in {:.1}s wall{}.\n\n",
        m.command,
        m.mode,
        m.wall_s,
        match m.merged_from {
            Some(n) => format!(" (summed over {n} shards, joined by `refrace prove --merge`)"),
            None => String::new(),
        }
    ));
    s.push_str(&format!(
        "- date: {} UTC\n- commit: {}\n- machine: {}\n- {}\n- shuttle {} (vector-clocks), loom {}\n- seed: {:#x} (randomised explorers; base seed of the generated worlds)\n- phases: {}{}\n- budgets: {} schedules per shuttle random/PCT run, {} per DFS run, {} real-thread runs per stress run; swarm: {} worlds × {} schedules per explorer (PCT, then random); hunts: up to {} worlds × {} schedules per explorer per fault set\n\n",
        m.date_utc, m.commit, m.machine, m.rustc, m.shuttle, m.loom, m.seed,
        m.phases.join(", "),
        if m.info { "; information-only pairs included (`--info`)" } else { "" },
        b.shuttle, b.dfs, b.stress, thousands(b.swarm_worlds), b.swarm_schedules, thousands(b.hunt_worlds), b.hunt_schedules
    ));
    s.push_str(if p.holds && m.partial {
        "**Verdict: the proof holds for the selected scenarios only** (`--scenarios`): their fixed-model runs are clean and their listed faults are caught; whether every fault of the catalogue is caught was not checked.\n\n"
    } else if p.holds {
        "**Verdict: the proof holds.** The fixed model is clean under every explorer (or ends in the scenario's stated Redis guard) and in every generated world, every upstream bug it reproduces at the pin is reproduced without its fix and gone with it, and every fault of the catalogue is caught, with a listed invariant, by every explorer expected to catch it.\n\n"
    } else {
        "**Verdict: the proof FAILED.**\n\n"
    });
    for f in &p.failures {
        s.push_str(&format!("- FAILED: {f}\n"));
    }
    if !p.failures.is_empty() {
        s.push('\n');
    }
    s.push_str("Regenerate the committed report with `cargo run --release -- prove --full --reports reports` (the default mode writes under `target/refrace/proof/`).\n\n");
    if m.phases.iter().any(|ph| ph == "scenarios") {
        scenario_sections(p, &mut s);
    }
    if let Some(sw) = &p.swarm {
        swarm_section(p, sw, &mut s);
    }
    if !p.hunts.is_empty() {
        hunt_section(p, &mut s);
    }
    s.push_str("\nEvery row, world and hunt, with counterexample paths, is in `proof.json`.\n");
    s
}

fn scenario_sections(p: &Proof, s: &mut String) {
    s.push_str(&format!(
        "## The hand-written scenarios\n\nHow to read it: expectations are data (`sims/src/scenarios/`: each scenario's fixed-model outcome, the faults it must catch with which invariants, and what the atomic and epoch strategies change). Strategies: confinement (Redis 8.6), atomic and epoch (not Redis; see `refrace list`); a fault is run only under the strategies whose code it changes. Explorers of this build: {}. {} must catch each listed fault within the budget (uniform random scheduling only reports the catches a scenario marks rare: interleavings PCT and loom must reach, random meets about once in 10,000 schedules); shuttle DFS (bounded; only worlds with one IO thread and no BIO thread) and real threads (no control over the interleaving) report what they see. loom is not in this build: it runs in its own CI lane (`cargo test --release -p refrace-sims --features loom --test loom`). \"to first bug\" counts schedules up to the first failing one. Counterexamples of shuttle findings are replay files (`refrace replay FILE`); those of listed catches are shrunk (size: commands c / schedule decisions d / preemptions p, before -> after).\n\n",
        Explorer::ALL.iter().map(|e| e.name()).collect::<Vec<_>>().join(", "),
        Explorer::ALL
            .iter()
            .filter(|e| e.must_catch())
            .map(|e| e.name())
            .collect::<Vec<_>>()
            .join(" and "),
    ));
    s.push_str("### The fixed model\n\n");
    s.push_str(HEAD);
    for r in p
        .rows
        .iter()
        .filter(|r| r.role == Role::Fixed && !is_finding_fix_run(r))
    {
        s.push_str(&table_row(r));
    }
    let findings: Vec<&Row> = p
        .rows
        .iter()
        .filter(|r| r.role == Role::UpstreamBug || is_finding_fix_run(r))
        .collect();
    if !findings.is_empty() {
        s.push_str("\n### Upstream bugs (findings)\n\nScenarios whose expectation is \"upstream bug <name>\": Redis at the pin really does it (`reports/findings/<name>.md`). With the finding's candidate fix off, every must-catch explorer reproduces it; with the fix on (`--fix`), every explorer runs clean.\n\n| scenario | fix | strategy | explorer | verdict | schedules | to first bug | wall | invariant | shrunk |\n|---|---|---|---|---|---:|---:|---:|---|---|\n");
        for r in findings {
            let line = table_row(r);
            let line = line.replacen(&format!("| {} |", r.faults), &format!("| {} |", r.fixes), 1);
            s.push_str(&format!(
                "{} {} |\n",
                line.trim_end(),
                r.shrink.as_deref().unwrap_or("")
            ));
        }
    }
    s.push_str("\n### Each fault, in the scenarios that must catch it\n\n");
    s.push_str("| scenario | faults | strategy | explorer | verdict | schedules | to first bug | wall | invariant | shrunk |\n|---|---|---|---|---|---:|---:|---:|---|---|\n");
    for r in p
        .rows
        .iter()
        .filter(|r| matches!(r.role, Role::MustCatch | Role::MayCatch))
    {
        let line = table_row(r);
        s.push_str(&format!(
            "{} {} |\n",
            line.trim_end(),
            r.shrink.as_deref().unwrap_or("")
        ));
    }
    s.push_str("\n### Faults a strategy makes harmless (must run clean)\n\nThe scenario's `overrides` say why (e.g. the #14738 guard is not needed when decrements are atomic).\n\n");
    s.push_str(HEAD);
    for r in p.rows.iter().filter(|r| r.role == Role::MustBeClean) {
        s.push_str(&table_row(r));
    }
    let info: Vec<&Row> = p
        .rows
        .iter()
        .filter(|r| r.role == Role::NotExpected)
        .collect();
    if !p.meta.info {
        s.push_str("\n### Not expected: faults in scenarios that do not list them\n\nNot run (information only; `--info` runs them).\n");
        return;
    }
    let hits: Vec<&&Row> = info.iter().filter(|r| r.to_first_bug.is_some()).collect();
    s.push_str(&format!(
        "\n### Not expected: faults in scenarios that do not list them\n\n{} run(s); {} clean, {} with a violation (information, not a failure: the scenario was not written to catch that fault).\n\n",
        info.len(),
        info.len() - hits.len(),
        hits.len()
    ));
    if !hits.is_empty() {
        s.push_str(HEAD);
        for r in hits {
            s.push_str(&table_row(r));
        }
    }
}

fn swarm_section(p: &Proof, sw: &super::data::SwarmReport, s: &mut String) {
    let (worlds, schedules, runs) = (sw.worlds.len(), sw.schedules(), sw.runs());
    let rate = |n: usize| {
        if sw.wall_s > 0.0 {
            format!("{:.1}", n as f64 / sw.wall_s)
        } else {
            "-".into()
        }
    };
    let guards: usize = sw.worlds.iter().map(|w| w.guards).sum();
    s.push_str("\n## The swarm: generated worlds on the fixed model\n\n");
    s.push_str(&format!(
        "Worlds nobody wrote (`refrace_gen::world`, explored by `refrace_sims::swarm`): world *i* is `World::from_seed({:#x} + i)`: 1–4 IO threads, BIO on or off, lazy-free knobs, sometimes a 3-bit refcount or cluster mode, 2–4 clients on main or on IO threads (some with a 16 or 48 KiB socket buffer, some whose peer hangs up, some that pipeline their whole script), keys set to shared integers, short strings, 64 KiB strings, lists of 66 PLAIN nodes or 70-field dict hashes, and scripts of 2–5 commands (a transaction up to 3 more) drawn from a random *subset* of the command families listed below (swarm testing); worlds with the trim family run with every candidate fix on (at the pin their SFLUSH is a known upstream bug, reproduced by its own scenarios). Each world is explored with PCT (depth 3), then uniformly random schedules, {} schedules each, seeded by the world's seed. A violation other than Redis's own guard (`REFCOUNT_LIMIT`, reachable by design with a 3-bit refcount) is a finding: it fails the proof and is written as a shrunk counterexample.\n\n",
        p.meta.seed, p.meta.budgets.swarm_schedules
    ));
    s.push_str(&format!(
        "| worlds | schedules | runs completed | violations on the fixed model | ended in Redis's guard | wall | worlds/s | schedules/s |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n| {} | {} | {} | {} | {} | {:.1}s | {} | {} |\n\n",
        thousands(worlds),
        thousands(schedules),
        thousands(runs),
        sw.findings.len(),
        guards,
        sw.wall_s,
        rate(worlds),
        rate(schedules)
    ));
    if !sw.findings.is_empty() {
        s.push_str("### Findings\n\n| world | seed | invariant | violation | counterexample | shrunk |\n|---:|---:|---|---|---|---|\n");
        for f in &sw.findings {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                f.world,
                f.seed,
                f.invariant,
                f.message.replace('|', "\\|"),
                path(&f.counterexample),
                f.shrink.as_deref().unwrap_or("")
            ));
        }
        s.push('\n');
    }
    s.push_str("Worlds whose scripts could draw each family: ");
    s.push_str(
        &sw.families
            .iter()
            .map(|(f, n)| format!("{f} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    s.push_str(".\n\n### Event coverage\n\nThe model's interesting events (`model/src/coverage.rs`), counted in every completed run of the swarm on the fixed model: how often each happened, and in how many runs.\n\n| event | count | runs reaching it |\n|---|---:|---:|\n");
    for e in super::swarm::events() {
        let n = sw.coverage.get(e).copied().unwrap_or(0);
        let r = sw.reached.get(e).copied().unwrap_or(0);
        s.push_str(&format!(
            "| {e} | {} | {} |\n",
            if n == 0 {
                "**0 (never reached)**".to_string()
            } else {
                thousands(n as usize)
            },
            thousands(r as usize)
        ));
    }
}

fn hunt_section(p: &Proof, s: &mut String) {
    s.push_str(&format!(
        "\n## The swarm alone catches each fault\n\nEach catalogued fault (for a fault caught only in combination, the smallest combination a scenario lists) switched on, no hand-written scenario: worlds 0, 1, 2, … of the same generator, each explored like the swarm's ({} schedules per explorer), until the first world where a violation occurs with the faults on and the same schedule replayed on the fixed model is clean. Faults of the atomic and epoch strategies are hunted under their strategy, and the faults of the #14934 branch under that variant (`14934`; every other hunt at the pin). \"worlds\" and \"schedules\" count everything explored up to and including the catch.\n\n| faults | strategy, variant | caught in world | worlds to first catch | schedules to first catch | invariant | counterexample | shrunk | wall |\n|---|---|---:|---:|---:|---|---|---|---:|\n",
        p.meta.budgets.hunt_schedules
    ));
    for h in &p.hunts {
        match (first_catch(h), &h.catch) {
            (Some((i, w, sch)), Some(c)) => s.push_str(&format!(
                "| {} | {}, {} | {i} | {w} | {} | {} | {} | {} | {:.1}s |\n",
                h.faults,
                h.strategy,
                h.variant,
                thousands(sch),
                c.invariant,
                path(&c.counterexample),
                c.shrink.as_deref().unwrap_or(""),
                h.wall_s
            )),
            _ => s.push_str(&format!(
                "| {} | {}, {} | **not caught** | > {} | {} | - | - | - | {:.1}s |\n",
                h.faults,
                h.strategy,
                h.variant,
                h.worlds.len(),
                thousands(h.worlds.iter().map(|w| w.schedules).sum()),
                h.wall_s
            )),
        }
    }
}
