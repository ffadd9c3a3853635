//! The check itself: resolve every `crate::`/`super::` path to a top-level module, compare
//! layers, find cycles (Tarjan), list cross-module inherent impls and `std::sync` uses.

use super::lex::{ident, is_ident, is_punct, lex, skip_group, strip_cfg_test, Tok, Token};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// One source file: its path under `model/src` and its text.
pub struct Source {
    pub path: String,
    pub text: String,
}

/// A layer table: (name, modules), lowest first.
pub type Layers<'a> = &'a [(&'a str, &'a [&'a str])];

#[derive(Default)]
pub struct Report {
    pub violations: Vec<String>,
    /// Module → modules it imports (other than itself).
    pub edges: BTreeMap<String, BTreeSet<String>>,
    pub largest_cycle: Vec<String>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for v in &self.violations {
            writeln!(f, "{v}")?;
        }
        Ok(())
    }
}

/// A file's module path (`commands/t_string.rs` → `[commands, t_string]`).
pub fn module_path(path: &str) -> Vec<String> {
    let mut parts: Vec<String> = path.split('/').map(str::to_string).collect();
    let file = parts.pop().unwrap_or_default();
    let stem = file.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    parts
}

pub fn is_test_file(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    parts[..parts.len() - 1].contains(&"tests") || parts.last() == Some(&"tests.rs")
}

/// A reference a path makes: the module path it resolves to (first segments), and the line.
pub struct PathRef {
    target: Vec<String>,
    line: usize,
    text: String,
}

/// Every `crate::…` and `super::…` path in `t` (tokens of the file at `module`).
pub fn paths(t: &[Token], module: &[String]) -> Vec<PathRef> {
    let mut out = Vec::new();
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < t.len() {
        match &t[i].tok {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            Tok::Ident(m) if m == "mod" => {
                if let (Some(name), true) = (ident(t.get(i + 1)), is_punct(t.get(i + 2), '{')) {
                    inline.push((name.to_string(), depth));
                }
            }
            _ => {}
        }
        let starts_path = i == 0 || !matches!(t[i - 1].tok, Tok::Sep | Tok::Punct('$'));
        let head = ident(t.get(i));
        if !starts_path
            || !matches!(head, Some("crate" | "super"))
            || t.get(i + 1).map(|x| &x.tok) != Some(&Tok::Sep)
        {
            i += 1;
            continue;
        }
        let line = t[i].line;
        let mut base: Vec<String> = Vec::new();
        let mut j = i;
        if head == Some("super") {
            base = module.to_vec();
            base.extend(inline.iter().map(|(n, _)| n.clone()));
            while is_ident(t.get(j), "super") && t.get(j + 1).map(|x| &x.tok) == Some(&Tok::Sep) {
                base.pop();
                j += 2;
            }
        } else {
            j += 2;
        }
        // The first segments the path names: one, or each entry of a `{…}` group.
        let mut firsts: Vec<String> = Vec::new();
        if is_punct(t.get(j), '{') {
            let end = skip_group(t, j, '{', '}');
            let mut level = 0;
            let mut expect = true;
            for tok in &t[j..end] {
                match &tok.tok {
                    Tok::Punct('{') => {
                        level += 1;
                        expect = level == 1;
                    }
                    Tok::Punct('}') => level -= 1,
                    Tok::Punct(',') if level == 1 => expect = true,
                    Tok::Ident(n) if level == 1 && expect => {
                        firsts.push(n.clone());
                        expect = false;
                    }
                    Tok::Punct('*') if level == 1 && expect => {
                        firsts.push("*".into());
                        expect = false;
                    }
                    _ => {}
                }
            }
        } else if let Some(n) = ident(t.get(j)) {
            firsts.push(n.to_string());
        } else if is_punct(t.get(j), '*') {
            firsts.push("*".into());
        }
        let text: String = t[i..(j + 1).min(t.len())]
            .iter()
            .map(|x| match &x.tok {
                Tok::Ident(n) => n.clone(),
                Tok::Sep => "::".into(),
                Tok::Punct(c) => c.to_string(),
            })
            .collect();
        for f in firsts {
            let mut target = base.clone();
            if f != "self" && f != "*" {
                target.push(f);
            }
            out.push(PathRef {
                target,
                line,
                text: text.clone(),
            });
        }
        i = j;
    }
    out
}

/// Inherent `impl Type` blocks (not `impl Trait for Type`): (type name, line).
pub fn inherent_impls(t: &[Token]) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for i in 0..t.len() {
        // An item (`impl X {`), not an `impl Trait` type (`-> impl Iterator`, `x: impl Fn()`).
        let item_start = i == 0
            || matches!(t[i - 1].tok, Tok::Punct('}' | ';' | ']' | '{'))
            || is_ident(t.get(i - 1), "unsafe");
        if !is_ident(t.get(i), "impl") || !item_start {
            continue;
        }
        let mut j = i + 1;
        if is_punct(t.get(j), '<') {
            j = skip_group(t, j, '<', '>');
        }
        let mut name = None;
        while let Some(n) = ident(t.get(j)) {
            if n == "for" || n == "where" {
                break;
            }
            name = Some((n.to_string(), t[j].line));
            j += 1;
            if is_punct(t.get(j), '<') {
                j = skip_group(t, j, '<', '>');
            }
            if t.get(j).map(|x| &x.tok) == Some(&Tok::Sep) {
                j += 1;
            } else {
                break;
            }
        }
        if is_ident(t.get(j), "for") {
            continue;
        }
        if let Some(n) = name {
            out.push(n);
        }
    }
    out
}

/// Type names each file defines.
pub fn defined_types(t: &[Token]) -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..t.len() {
        if let Some("struct" | "enum" | "union" | "type" | "trait") = ident(t.get(i)) {
            if let Some(n) = ident(t.get(i + 1)) {
                out.push(n.to_string());
            }
        }
    }
    out
}

/// `std::sync::X` (X other than `Arc`) and `std::thread::X` (X other than `panicking`).
pub fn std_sync_uses(t: &[Token]) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for i in 0..t.len() {
        if !(is_ident(t.get(i), "std") && t.get(i + 1).map(|x| &x.tok) == Some(&Tok::Sep)) {
            continue;
        }
        let Some(m @ ("sync" | "thread")) = ident(t.get(i + 2)) else {
            continue;
        };
        if t.get(i + 3).map(|x| &x.tok) != Some(&Tok::Sep) {
            continue;
        }
        let allowed = if m == "sync" { "Arc" } else { "panicking" };
        let names: Vec<String> = if is_punct(t.get(i + 4), '{') {
            let end = skip_group(t, i + 4, '{', '}');
            t[i + 4..end]
                .iter()
                .filter_map(|x| ident(Some(x)).map(str::to_string))
                .collect()
        } else {
            ident(t.get(i + 4))
                .map(str::to_string)
                .into_iter()
                .collect()
        };
        for n in names.into_iter().filter(|n| n != allowed) {
            out.push((format!("std::{m}::{n}"), t[i].line));
        }
    }
    out
}

pub fn check(
    files: &[Source],
    layers: Layers<'_>,
    cross_impls: &[(&str, &str, &str)],
    std_sync_files: &[&str],
) -> Report {
    let mut r = Report::default();
    let layer_of: BTreeMap<&str, usize> = layers
        .iter()
        .enumerate()
        .flat_map(|(i, (_, ms))| ms.iter().map(move |m| (*m, i)))
        .collect();
    let code: Vec<(&Source, Vec<String>, Vec<Token>)> = files
        .iter()
        .filter(|f| !is_test_file(&f.path) && f.path != "lib.rs")
        .map(|f| (f, module_path(&f.path), strip_cfg_test(&lex(&f.text))))
        .collect();
    let mut types: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (_, m, t) in &code {
        for ty in defined_types(t) {
            types.entry(ty).or_default().insert(m[0].clone());
        }
    }
    for (f, m, t) in &code {
        let from = m[0].as_str();
        let Some(&from_layer) = layer_of.get(from) else {
            r.violations.push(format!(
                "{}: module `{from}` is in no layer of LAYERS",
                f.path
            ));
            continue;
        };
        r.edges.entry(from.to_string()).or_default();
        for p in paths(t, m) {
            let Some(to) = p.target.first().map(String::as_str) else {
                continue;
            };
            if to == from {
                continue;
            }
            match layer_of.get(to) {
                None => r.violations.push(format!(
                    "{}:{}: `{}…` names `{to}` through the crate root; name the module that defines it",
                    f.path, p.line, p.text
                )),
                Some(&to_layer) => {
                    r.edges.entry(from.to_string()).or_default().insert(to.to_string());
                    if to_layer > from_layer {
                        r.violations.push(format!(
                            "{}:{}: `{}…`: `{from}` (layer {from_layer}, {}) imports `{to}` (layer {to_layer}, {})",
                            f.path, p.line, p.text, layers[from_layer].0, layers[to_layer].0
                        ));
                    }
                }
            }
        }
        for (ty, line) in inherent_impls(t) {
            let Some(defs) = types.get(&ty) else { continue };
            if defs.contains(from) {
                continue;
            }
            if !cross_impls.iter().any(|(m, t, _)| *m == from && *t == ty) {
                r.violations.push(format!(
                    "{}:{line}: `impl {ty}` outside the module that defines it ({}): its methods are callable from lower layers without an import; move them, or list the impl in CROSS_IMPLS with its reason",
                    f.path,
                    defs.iter().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
        }
        let file = f.path.rsplit('/').next().unwrap_or_default();
        let listed = std_sync_files.contains(&file) || std_sync_files.contains(&f.path.as_str());
        // A listed file counts as itself only (not its submodules), except the shim's own
        // backend files (`sync/imp.rs`, `sync/loom_imp.rs`).
        if !(listed && (m.len() == 1 || f.path.starts_with("sync/"))) {
            for (what, line) in std_sync_uses(t) {
                r.violations.push(format!(
                    "{}:{line}: `{what}` outside the sync shim: use crate::sync, or list the file as oracle-level state in sync.rs's doc and STD_SYNC_FILES",
                    f.path
                ));
            }
        }
    }
    r.largest_cycle = largest_scc(&r.edges);
    if r.largest_cycle.len() > 1 {
        r.violations.push(format!(
            "import cycle among {} modules: {}",
            r.largest_cycle.len(),
            r.largest_cycle.join(", ")
        ));
    }
    r
}

/// Tarjan's strongly connected components; the largest one (sorted).
pub fn largest_scc(g: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    struct St<'a> {
        g: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        best: Vec<String>,
    }
    fn visit<'a>(s: &mut St<'a>, v: &'a str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on.insert(v);
        let succ: Vec<&'a str> =
            s.g.get(v)
                .map(|e| e.iter().map(String::as_str).collect())
                .unwrap_or_default();
        for w in succ {
            if !s.g.contains_key(w) {
                continue;
            }
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if s.on.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > s.best.len() {
                comp.sort();
                s.best = comp;
            }
        }
    }
    let mut s = St {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        best: Vec::new(),
    };
    for v in g.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.best
}
