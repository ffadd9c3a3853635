//! The model's layers hold: no module imports a module of a later layer, the modules import
//! each other without a cycle, and the crate doc's table says what [`refrace_model::LAYERS`]
//! says. Also: only the files `model/src/sync.rs` lists name a `std::sync` primitive or a
//! `std::thread` item, and a type gets inherent methods outside its own module only where the
//! list below says why.
//!
//! How it reads the code: a small Rust lexer (comments, strings and char literals skipped) over
//! every `model/src/**/*.rs`; items under `#[cfg(test)]` and files under a `tests/` directory
//! are left out (unit tests may drive the server from any layer). Every path that starts with
//! `crate::` or `super::` (in a `use`, a group `use crate::{a, b::c}`, or inline in code) is
//! resolved to the top-level module it names. Naming an item through the crate root
//! (`crate::Env`) is refused: a root re-export would hide which layer the item lives in.
//!
//! What it cannot see: method calls. A method defined in a later layer on an earlier layer's
//! type (`impl RObj` in `object`) is callable from the earlier layer without any path; such
//! cross-module inherent impls are therefore listed, with their reason, in [`CROSS_IMPLS`].
//!
//! `cargo test -p refrace-model --test layers -- --nocapture` prints the import graph's
//! largest cycle.

mod check;
mod lex;
mod synthetic;

use check::{check, Source};
use std::collections::BTreeSet;
use std::path::Path;

/// Inherent impls of a type outside the module that defines it: (impl's module, type, why).
const CROSS_IMPLS: &[(&str, &str, &str)] = &[
    (
        "object",
        "RObj",
        "object.c's code on the type robj declares (robj is below env, object above it)",
    ),
    (
        "object",
        "Env",
        "Env::shared_integer creates objects, which env (below object) cannot",
    ),
    (
        "bio_thread",
        "Bio",
        "the BIO thread's loop is a thread body; bio.rs never calls it",
    ),
];

/// Files allowed to name `std::sync` primitives or `std::thread` items (the oracle-level
/// state `sync.rs` lists, and the shim itself).
const STD_SYNC_FILES: &[&str] = &[
    "sync.rs",
    "sync/imp.rs",
    "sync/loom_imp.rs",
    "ledger/mod.rs",
    "robj.rs",
    "env.rs",
    "epoch.rs",
    "coverage.rs",
];

fn read_sources(dir: &Path, rel: &str, out: &mut Vec<Source>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("model/src is readable")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        let name = p
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let rel_name = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        if p.is_dir() {
            read_sources(&p, &rel_name, out);
        } else if name.ends_with(".rs") {
            let text = std::fs::read_to_string(&p).expect("a source file is readable");
            out.push(Source {
                path: rel_name,
                text,
            });
        }
    }
}

fn model_sources() -> Vec<Source> {
    let mut out = Vec::new();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    read_sources(&src, "", &mut out);
    out
}

fn model_layers() -> Vec<(&'static str, &'static [&'static str])> {
    refrace_model::LAYERS
        .iter()
        .map(|l| (l.name, l.modules))
        .collect()
}

#[test]
fn lower_layers_import_no_higher_one_and_there_is_no_cycle() {
    let files = model_sources();
    let layers = model_layers();
    let r = check(&files, &layers, CROSS_IMPLS, STD_SYNC_FILES);
    println!("layers (lowest first), each module with what it imports:");
    for (i, (name, modules)) in layers.iter().enumerate() {
        println!("  {i} {name}");
        for m in *modules {
            let deps: Vec<&str> = r
                .edges
                .get(*m)
                .map(|e| e.iter().map(String::as_str).collect())
                .unwrap_or_default();
            println!("      {m:<11} -> {}", deps.join(", "));
        }
    }
    match r.largest_cycle.len() {
        1 => println!(
            "largest import cycle: none (every strongly connected component is one module)"
        ),
        n => println!(
            "largest import cycle: {n} modules ({})",
            r.largest_cycle.join(", ")
        ),
    }
    assert!(r.violations.is_empty(), "layer violations:\n{r}");
    assert_eq!(r.largest_cycle.len(), 1);
}

#[test]
fn every_module_is_in_one_layer_and_lib_rs_says_the_same() {
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs"))
        .expect("lib.rs");
    let declared: BTreeSet<String> = lib
        .lines()
        .filter_map(|l| {
            l.strip_prefix("pub mod ")
                .or_else(|| l.strip_prefix("mod "))
        })
        .map(|l| l.trim_end_matches(';').to_string())
        .collect();
    let mut listed = BTreeSet::new();
    for l in refrace_model::LAYERS {
        for m in l.modules {
            assert!(listed.insert(m.to_string()), "`{m}` is in two layers");
        }
    }
    assert_eq!(declared, listed, "lib.rs's modules and LAYERS differ");
    // The doc table: rows `//! | <n> | <name> | [`a`], [`b`] | …`.
    let rows: Vec<(String, Vec<String>)> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("//! | "))
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
        .map(|l| {
            let cols: Vec<&str> = l.split(" | ").collect();
            let modules = cols[2]
                .split(", ")
                .map(|m| m.split('`').nth(1).unwrap_or_default().to_string())
                .collect();
            (cols[1].to_string(), modules)
        })
        .collect();
    let code: Vec<(String, Vec<String>)> = refrace_model::LAYERS
        .iter()
        .map(|l| {
            (
                l.name.to_string(),
                l.modules.iter().map(|m| m.to_string()).collect(),
            )
        })
        .collect();
    assert_eq!(rows, code, "the crate doc's layer table and LAYERS differ");
}
