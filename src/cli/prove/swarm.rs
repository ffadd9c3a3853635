//! The swarm's two phases of `prove`: generated worlds on the fixed model, and the hunts (each
//! catalogued fault, the swarm alone). The worlds, their exploration and the hunts are
//! `refrace_sims::swarm`'s; this module runs the shard's share, writes counterexamples and
//! fills the report.

use super::data::{CatchRow, Finding, HuntReport, SwarmReport, WorldRow};
use super::progress::Progress;
use super::{brief_shrink, relative, thousands, Ctx};
use refrace_gen::world::{Family, World};
use refrace_model::config::Strategy;
use refrace_model::coverage::{Counts, Event};
use refrace_model::FaultSet;
use refrace_sims::counterexample::Counterexample;
use refrace_sims::shrink::{shrink, Limits};
use refrace_sims::swarm::{self, explore_world, hunt, world_seed, WorldRun};
use std::path::PathBuf;
use std::time::Instant;

/// Shrink `cx` (or keep it as found if shrinking fails) and write it into the counterexample
/// directory under `name`.
fn save(ctx: &Ctx, cx: Counterexample, name: &str) -> Result<(PathBuf, Option<String>), String> {
    let cx = refrace_sims::quiet::quietly(|| shrink(&cx, Limits::default())).unwrap_or(cx);
    let path = ctx.cx_dir.join(format!("{name}.json"));
    cx.save(&path)?;
    Ok((relative(&path), brief_shrink(&cx)))
}

fn finding(
    ctx: &Ctx,
    r: &WorldRun,
    faults: FaultSet,
    strategy: Strategy,
    cx: Option<Counterexample>,
) -> Result<Finding, String> {
    let (e, f) = r.failure.as_ref().ok_or("a finding without a failure")?;
    let saved = match cx.or_else(|| swarm::counterexample(r, faults, strategy)) {
        Some(cx) => Some(save(
            ctx,
            cx,
            &format!(
                "swarm-{}-world{}-{}",
                faults.to_string().replace(',', "+"),
                r.index,
                e.name()
            ),
        )?),
        None => None,
    };
    Ok(Finding {
        world: r.index,
        seed: r.seed,
        faults: faults.to_string(),
        invariant: f
            .invariant
            .map_or_else(|| "(no invariant)".to_string(), |i| i.name().to_string()),
        message: f.message.lines().next().unwrap_or("").to_string(),
        counterexample: saved.as_ref().map(|s| s.0.clone()),
        shrink: saved.and_then(|s| s.1),
    })
}

fn named(c: &Counts) -> std::collections::BTreeMap<String, u64> {
    c.iter().map(|(e, n)| (e.name().to_string(), n)).collect()
}

/// Generated worlds on the fixed model: the shard's share of `0..swarm_worlds`.
pub fn swarm_phase(ctx: &Ctx, p: &Progress) -> Result<SwarmReport, String> {
    let b = ctx.budgets;
    let t = Instant::now();
    let mine: Vec<usize> = (0..b.swarm_worlds).filter(|i| ctx.shard.owns(*i)).collect();
    let (mut coverage, mut reached) = (Counts::default(), Counts::default());
    let mut out = SwarmReport::default();
    let slice = mine.len().div_ceil(10).max(1);
    let mut last = Instant::now();
    for (k, i) in mine.iter().copied().enumerate() {
        let seed = world_seed(ctx.seed, i);
        let w = World::from_seed(seed);
        p.doing(format!("swarm world {i} ({})", swarm::describe(&w)));
        let r = refrace_sims::quiet::quietly(|| {
            explore_world(
                i,
                seed,
                FaultSet::NONE,
                Strategy::Confinement,
                b.swarm_schedules,
            )
        });
        coverage.add(&r.coverage);
        reached.add(&r.reached);
        for f in &w.families {
            *out.families.entry(f.name().to_string()).or_default() += 1;
        }
        if r.failure.is_some() {
            let f = finding(ctx, &r, FaultSet::NONE, Strategy::Confinement, None)?;
            p.line(format!(
                "[swarm] FINDING in world {i} (seed {seed}): {} {}",
                f.invariant,
                f.counterexample
                    .as_ref()
                    .map(|c| format!("(replay: refrace replay {})", c.display()))
                    .unwrap_or_default()
            ));
            out.findings.push(f);
        }
        out.worlds.push(WorldRow {
            index: i,
            seed,
            about: swarm::describe(&w),
            schedules: r.schedules,
            runs: r.runs,
            guards: r.guards,
            violation: r
                .failure
                .as_ref()
                .and_then(|(_, f)| f.invariant)
                .map(|i| i.name().to_string()),
        });
        p.advance(1);
        if (k + 1) % slice == 0 || k + 1 == mine.len() || last.elapsed().as_secs() >= 30 {
            last = Instant::now();
            p.line(format!(
                "[swarm] {}/{} worlds, {} schedules, {} violation(s) on the fixed model ({:.1} s)",
                k + 1,
                mine.len(),
                thousands(out.schedules()),
                out.findings.len(),
                t.elapsed().as_secs_f64()
            ));
        }
    }
    for f in Family::ALL {
        out.families.entry(f.name().to_string()).or_default();
    }
    out.coverage = named(&coverage);
    out.reached = named(&reached);
    out.wall_s = t.elapsed().as_secs_f64();
    let missing: Vec<&str> = coverage.missing().iter().map(|e| e.name()).collect();
    if !missing.is_empty() && !mine.is_empty() {
        p.line(format!(
            "[swarm] events never reached: {} (see the coverage table)",
            missing.join(", ")
        ));
    }
    Ok(out)
}

/// Each catalogued fault set, the swarm alone: the shard's share of `0..hunt_worlds` until the
/// first catch.
pub fn hunt_phase(ctx: &Ctx, sets: &[FaultSet], p: &Progress) -> Result<Vec<HuntReport>, String> {
    let b = ctx.budgets;
    let mut out = Vec::new();
    for (k, fs) in sets.iter().copied().enumerate() {
        p.doing(format!("hunt {fs}"));
        let h = refrace_sims::quiet::quietly(|| {
            hunt(fs, ctx.seed, b.hunt_worlds, b.hunt_schedules, ctx.shard)
        });
        let catch = match &h.catch {
            Some((r, cx)) => {
                let (e, f) = r.failure.as_ref().ok_or("a catch without a failure")?;
                let (path, shrunk) = save(
                    ctx,
                    cx.clone(),
                    &format!(
                        "hunt-{}-world{}-{}",
                        fs.to_string().replace(',', "+"),
                        r.index,
                        e.name()
                    ),
                )?;
                Some(CatchRow {
                    world: r.index,
                    seed: r.seed,
                    explorer: e.name().to_string(),
                    invariant: f
                        .invariant
                        .map_or_else(|| "(no invariant)".to_string(), |i| i.name().to_string()),
                    message: f.message.lines().next().unwrap_or("").to_string(),
                    counterexample: Some(path),
                    shrink: shrunk,
                })
            }
            None => None,
        };
        let mut fixed_findings = Vec::new();
        for (r, cx) in &h.fixed_findings {
            fixed_findings.push(finding(ctx, r, fs, h.strategy, Some(cx.clone()))?);
        }
        let report = HuntReport {
            faults: fs.to_string(),
            strategy: h.strategy.name().to_string(),
            variant: h.variant.name().to_string(),
            worlds: h.worlds.clone(),
            catch,
            fixed_findings,
            wall_s: h.wall.as_secs_f64(),
        };
        let under = match h.variant {
            refrace_model::config::Variant::Pin => h.strategy.name().to_string(),
            v => format!("{}, variant {}", h.strategy, v.name()),
        };
        p.line(match (super::data::first_catch(&report), &report.catch) {
            (Some((i, worlds, schedules)), Some(c)) => format!(
                "[hunt {}/{}] {fs} ({under}): caught in world {i}: {worlds} world(s), {} schedules to the first catch, {} ({:.1} s)",
                k + 1,
                sets.len(),
                thousands(schedules),
                c.invariant,
                h.wall.as_secs_f64()
            ),
            _ => format!(
                "[hunt {}/{}] {fs} ({under}): not caught in {} world(s) ({:.1} s)",
                k + 1,
                sets.len(),
                report.worlds.len(),
                h.wall.as_secs_f64()
            ),
        });
        out.push(report);
        p.advance(1);
    }
    Ok(out)
}

/// Every event, for reports that list them even when a shard saw none.
pub fn events() -> impl Iterator<Item = &'static str> {
    Event::ALL.iter().map(|e| e.name())
}
