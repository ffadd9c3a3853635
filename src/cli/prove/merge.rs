//! `refrace prove --merge DIR`: join the files of `prove --shard K/N` runs into one report, as
//! if one machine had run them all. Shards take disjoint runs and worlds by index
//! (`refrace_sims::swarm::Shard`), so the join is a union: rows by job index, swarm worlds by
//! index, event counts summed, and each hunt's first catch recomputed over every shard's worlds
//! (`refrace_sims::swarm::first_catch`). The judgement is recomputed on the whole, including the
//! catalogue check no single shard can make.
//!
//! Refused with one line: a directory without shard files, a missing or duplicated shard, shards
//! of different splits, or shards that ran with different seeds, budgets, phases, scenarios or
//! fixes.

use super::data::{failures, first_catch, HuntReport, Proof, SwarmReport, FORMAT};
use refrace_sims::swarm::Shard;
use std::path::{Path, PathBuf};

/// The file a shard writes into its `--reports` directory.
pub fn shard_file(s: Shard) -> String {
    format!("proof-shard-{}-of-{}.json", s.index, s.count)
}

fn is_shard_file(name: &str) -> bool {
    name.starts_with("proof-shard-") && name.ends_with(".json")
}

/// Read the shard files in `dir`, in shard order.
pub fn read(dir: &Path) -> Result<Vec<(Shard, Proof)>, String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read the shard directory {}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_shard_file)
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!(
            "no shard files (proof-shard-K-of-N.json, written by `refrace prove --shard K/N --reports DIR`) in {}",
            dir.display()
        ));
    }
    let mut out: Vec<(Shard, Proof)> = Vec::new();
    for f in &files {
        let text =
            std::fs::read_to_string(f).map_err(|e| format!("cannot read {}: {e}", f.display()))?;
        let p: Proof = serde_json::from_str(&text)
            .map_err(|e| format!("malformed shard file {}: {e}", f.display()))?;
        if p.format != FORMAT {
            return Err(format!(
                "shard file {} has format '{}', expected '{FORMAT}'",
                f.display(),
                p.format
            ));
        }
        let s = p
            .meta
            .shard
            .as_deref()
            .ok_or_else(|| format!("{} is not a shard's file (no meta.shard)", f.display()))
            .and_then(|s| Shard::parse(s).map_err(|e| format!("{}: {e}", f.display())))?;
        if let Some((_, q)) = out.iter().find(|(o, _)| *o == s) {
            return Err(format!(
                "shard {s} appears twice in {} (and {})",
                dir.display(),
                q.meta.command
            ));
        }
        out.push((s, p));
    }
    out.sort_by_key(|(s, _)| s.index);
    let n = out[0].0.count;
    if let Some((s, _)) = out.iter().find(|(s, _)| s.count != n) {
        return Err(format!(
            "shard {s} belongs to a split into {} shards, shard {} to one into {n}",
            s.count, out[0].0
        ));
    }
    let missing: Vec<String> = (1..=n)
        .filter(|k| !out.iter().any(|(s, _)| s.index == *k))
        .map(|k| format!("{k}/{n}"))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "shard(s) {} missing from {}",
            missing.join(", "),
            dir.display()
        ));
    }
    let (s0, p0) = &out[0];
    for (s, p) in &out[1..] {
        let (a, b) = (&p0.meta, &p.meta);
        let differs = [
            ("seed", a.seed != b.seed),
            ("budgets", a.budgets != b.budgets),
            ("phases", a.phases != b.phases),
            ("scenarios", a.scenarios != b.scenarios),
            ("--info", a.info != b.info),
            ("fixes", a.fixes != b.fixes),
            ("mode", a.mode != b.mode),
        ];
        if let Some((what, _)) = differs.iter().find(|(_, d)| *d) {
            return Err(format!(
                "shards {s0} and {s} ran with different {what}: they are not shares of one proof"
            ));
        }
    }
    Ok(out)
}

/// Join shards into one proof.
pub fn join(shards: Vec<(Shard, Proof)>, dir: &Path) -> Proof {
    let n = shards.len();
    let mut meta = shards[0].1.meta.clone();
    meta.command = format!("refrace prove --merge {}", dir.display());
    meta.shard = None;
    meta.merged_from = Some(n);
    meta.wall_s = shards.iter().map(|(_, p)| p.meta.wall_s).sum();
    let mut rows: Vec<_> = shards.iter().flat_map(|(_, p)| p.rows.clone()).collect();
    rows.sort_by_key(|r| r.job);
    let swarm = shards[0].1.swarm.as_ref().map(|_| {
        let mut out = SwarmReport::default();
        for (_, p) in &shards {
            let Some(s) = &p.swarm else { continue };
            out.worlds.extend(s.worlds.iter().cloned());
            out.findings.extend(s.findings.iter().cloned());
            for (k, v) in &s.coverage {
                *out.coverage.entry(k.clone()).or_default() += v;
            }
            for (k, v) in &s.reached {
                *out.reached.entry(k.clone()).or_default() += v;
            }
            for (k, v) in &s.families {
                *out.families.entry(k.clone()).or_default() += v;
            }
            out.wall_s += s.wall_s;
        }
        out.worlds.sort_by_key(|w| w.index);
        out.findings.sort_by_key(|f| f.world);
        out
    });
    let mut hunts: Vec<HuntReport> = Vec::new();
    for h0 in &shards[0].1.hunts {
        let same: Vec<&HuntReport> = shards
            .iter()
            .filter_map(|(_, p)| p.hunts.iter().find(|h| h.faults == h0.faults))
            .collect();
        let mut h = HuntReport {
            faults: h0.faults.clone(),
            strategy: h0.strategy.clone(),
            variant: h0.variant.clone(),
            worlds: same.iter().flat_map(|h| h.worlds.iter().cloned()).collect(),
            catch: None,
            fixed_findings: {
                let mut v: Vec<_> = same
                    .iter()
                    .flat_map(|h| h.fixed_findings.iter().cloned())
                    .collect();
                v.sort_by_key(|f| f.world);
                v
            },
            wall_s: same.iter().map(|h| h.wall_s).sum(),
        };
        h.worlds.sort_by_key(|w| w.index);
        if let Some((i, _, _)) = first_catch(&h) {
            h.catch = same
                .iter()
                .filter_map(|h| h.catch.clone())
                .find(|c| c.world == i);
            // Worlds past the first catch were explored only because their shard had not seen
            // it: one machine would have stopped there.
            h.worlds.retain(|w| w.index <= i);
            h.fixed_findings.retain(|f| f.world <= i);
        }
        hunts.push(h);
    }
    let mut proof = Proof {
        format: FORMAT.to_string(),
        meta,
        holds: false,
        failures: Vec::new(),
        rows,
        swarm,
        hunts,
    };
    proof.failures = failures(&proof);
    proof.holds = proof.failures.is_empty();
    proof
}

/// Run `--merge DIR`.
pub fn main(dir: &Path, a: &super::Args) -> super::super::Result {
    let shards = read(dir)?;
    let proof = join(shards, dir);
    let reports = a
        .reports
        .clone()
        .unwrap_or_else(|| refrace_sims::explore::artifact_dir("proof"));
    std::fs::create_dir_all(&reports)
        .map_err(|e| format!("cannot create {}: {e}", reports.display()))?;
    super::write(&proof, &reports, a.json, Shard::ALL)
}
