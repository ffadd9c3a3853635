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

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
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
const STD_SYNC_FILES: &[&str] = &["sync.rs", "ledger.rs", "robj.rs", "env.rs", "epoch.rs"];

// ---------------------------------------------------------------------------------------------
// Lexer

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Ident(String),
    /// `::`
    Sep,
    Punct(char),
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    line: usize,
}

fn lex(src: &str) -> Vec<Token> {
    let s: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    let at = |k: usize| s.get(k).copied().unwrap_or('\0');
    while i < s.len() {
        let c = s[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < s.len() && s[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < s.len() {
                if s[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if s[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    line += usize::from(s[i] == '\n');
                    i += 1;
                }
            }
        } else if let Some(skip) = string_start(&s, i) {
            i = skip_string(&s, i + skip, &mut line);
        } else if c == '\'' {
            if at(i + 1) == '\\' {
                // An escaped char literal: skip to its closing quote.
                i += 3;
                while i < s.len() && s[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == '\'' {
                i += 3;
            } else {
                // A lifetime or label.
                i += 1;
                while i < s.len() && (s[i].is_alphanumeric() || s[i] == '_') {
                    i += 1;
                }
            }
        } else if c.is_alphabetic() || c == '_' {
            let start = if c == 'r' && at(i + 1) == '#' {
                i + 2
            } else {
                i
            };
            let mut j = start;
            while j < s.len() && (s[j].is_alphanumeric() || s[j] == '_') {
                j += 1;
            }
            let tok = Tok::Ident(s[start..j].iter().collect());
            out.push(Token { tok, line });
            i = j;
        } else if c.is_ascii_digit() {
            while i < s.len() && (s[i].is_alphanumeric() || s[i] == '_') {
                i += 1;
            }
        } else if c == ':' && at(i + 1) == ':' {
            out.push(Token {
                tok: Tok::Sep,
                line,
            });
            i += 2;
        } else {
            out.push(Token {
                tok: Tok::Punct(c),
                line,
            });
            i += 1;
        }
    }
    out
}

/// If a string literal starts at `i` (`"`, `b"`, `c"`, `r"`, `r#"`, `br#"`, …), the length of
/// its prefix up to and including any `#`s (not the quote).
fn string_start(s: &[char], i: usize) -> Option<usize> {
    let prev_ident = i > 0 && (s[i - 1].is_alphanumeric() || s[i - 1] == '_');
    if s[i] == '"' {
        return Some(0);
    }
    if prev_ident {
        return None;
    }
    let mut j = i;
    if matches!(s[j], 'b' | 'c') {
        j += 1;
    }
    if s.get(j) == Some(&'r') {
        j += 1;
        while s.get(j) == Some(&'#') {
            j += 1;
        }
    }
    (j > i && s.get(j) == Some(&'"')).then_some(j - i)
}

/// Skip the string literal whose prefix ends at `i` (at its opening quote); returns the index
/// after it.
fn skip_string(s: &[char], i: usize, line: &mut usize) -> usize {
    let hashes = s[..i].iter().rev().take_while(|&&c| c == '#').count();
    let raw = hashes > 0 || (i > 0 && s[i - 1] == 'r');
    let mut j = i + 1;
    while j < s.len() {
        match s[j] {
            '\n' => *line += 1,
            '\\' if !raw => {
                *line += usize::from(s.get(j + 1) == Some(&'\n'));
                j += 1;
            }
            '"' if (0..hashes).all(|k| s.get(j + 1 + k) == Some(&'#')) => {
                return j + 1 + hashes;
            }
            _ => {}
        }
        j += 1;
    }
    j
}

fn is_ident(t: Option<&Token>, name: &str) -> bool {
    matches!(t, Some(Token { tok: Tok::Ident(n), .. }) if n == name)
}

fn is_punct(t: Option<&Token>, c: char) -> bool {
    matches!(t, Some(Token { tok: Tok::Punct(p), .. }) if *p == c)
}

fn ident(t: Option<&Token>) -> Option<&str> {
    match t {
        Some(Token {
            tok: Tok::Ident(n), ..
        }) => Some(n),
        _ => None,
    }
}

/// Index after the bracket group opening at `i` (`open`/`close` nest).
fn skip_group(t: &[Token], i: usize, open: char, close: char) -> usize {
    let mut depth = 0usize;
    let mut j = i;
    while j < t.len() {
        if is_punct(t.get(j), open) {
            depth += 1;
        } else if is_punct(t.get(j), close) {
            depth -= 1;
            if depth == 0 {
                return j + 1;
            }
        }
        j += 1;
    }
    j
}

/// The tokens without the items `#[cfg(test)]` gates.
fn strip_cfg_test(t: &[Token]) -> Vec<Token> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < t.len() {
        let cfg_test = is_punct(t.get(i), '#')
            && is_punct(t.get(i + 1), '[')
            && is_ident(t.get(i + 2), "cfg")
            && is_punct(t.get(i + 3), '(')
            && is_ident(t.get(i + 4), "test")
            && is_punct(t.get(i + 5), ')')
            && is_punct(t.get(i + 6), ']');
        if !cfg_test {
            out.push(t[i].clone());
            i += 1;
            continue;
        }
        let mut j = i + 7;
        while is_punct(t.get(j), '#') && is_punct(t.get(j + 1), '[') {
            j = skip_group(t, j + 1, '[', ']');
        }
        // The gated item: up to `;` or `,` at depth 0, through a `{ … }` body, or up to an
        // unmatched closer (a gated field or statement at the end of its block).
        let mut depth = 0i32;
        while j < t.len() {
            match &t[j].tok {
                Tok::Punct('(' | '[') => depth += 1,
                Tok::Punct(')' | ']') => depth -= 1,
                Tok::Punct('{') if depth == 0 => {
                    j = skip_group(t, j, '{', '}');
                    break;
                }
                Tok::Punct('}') if depth == 0 => break,
                Tok::Punct(';' | ',') if depth == 0 => {
                    j += 1;
                    break;
                }
                _ => {}
            }
            j += 1;
        }
        i = j;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The check

/// One source file: its path under `model/src` and its text.
struct Source {
    path: String,
    text: String,
}

/// A layer table: (name, modules), lowest first.
type Layers<'a> = &'a [(&'a str, &'a [&'a str])];

#[derive(Default)]
struct Report {
    violations: Vec<String>,
    /// Module → modules it imports (other than itself).
    edges: BTreeMap<String, BTreeSet<String>>,
    largest_cycle: Vec<String>,
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
fn module_path(path: &str) -> Vec<String> {
    let mut parts: Vec<String> = path.split('/').map(str::to_string).collect();
    let file = parts.pop().unwrap_or_default();
    let stem = file.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    parts
}

fn is_test_file(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    parts[..parts.len() - 1].contains(&"tests") || parts.last() == Some(&"tests.rs")
}

/// A reference a path makes: the module path it resolves to (first segments), and the line.
struct PathRef {
    target: Vec<String>,
    line: usize,
    text: String,
}

/// Every `crate::…` and `super::…` path in `t` (tokens of the file at `module`).
fn paths(t: &[Token], module: &[String]) -> Vec<PathRef> {
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
            for k in j..end {
                match &t[k].tok {
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
fn inherent_impls(t: &[Token]) -> Vec<(String, usize)> {
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
fn defined_types(t: &[Token]) -> Vec<String> {
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
fn std_sync_uses(t: &[Token]) -> Vec<(String, usize)> {
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

fn check(files: &[Source], layers: Layers<'_>, cross_impls: &[(&str, &str, &str)]) -> Report {
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
        if !(m.len() == 1 && STD_SYNC_FILES.contains(&file)) {
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
fn largest_scc(g: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
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

// ---------------------------------------------------------------------------------------------
// The model

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
    let r = check(&files, &layers, CROSS_IMPLS);
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
                .map(|m| m.trim_matches(|c| matches!(c, '[' | ']' | '`')).to_string())
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

// ---------------------------------------------------------------------------------------------
// The checker on synthetic trees: it must fail where it should.

fn src(path: &str, text: &str) -> Source {
    Source {
        path: path.into(),
        text: text.into(),
    }
}

const TOY: Layers<'static> = &[("low", &["a", "c"]), ("high", &["b"])];

#[test]
fn checker_reports_an_upward_use_with_file_and_line() {
    let files = [
        src("a.rs", "//! doc\nuse crate::c::X;\n\nuse crate::b::Y;\n"),
        src("b.rs", "use crate::c::Z;\n"),
        src("c.rs", ""),
    ];
    let r = check(&files, TOY, &[]);
    assert_eq!(r.violations.len(), 1, "{r}");
    assert!(
        r.violations[0]
            .starts_with("a.rs:4: `crate::b…`: `a` (layer 0, low) imports `b` (layer 1, high)"),
        "{r}"
    );
}

#[test]
fn checker_sees_groups_inline_paths_and_super() {
    let files = [
        src("a.rs", "use crate::{c::{X, Y}, b::Z};\n"),
        src(
            "c/mod.rs",
            "mod inner;\nfn f() { let _ = crate::b::g(); }\n",
        ),
        src("c/inner.rs", "use super::super::b::W;\nuse super::Local;\n"),
        src("b.rs", ""),
    ];
    let r = check(&files, TOY, &[]);
    let lines: Vec<&str> = r
        .violations
        .iter()
        .map(|v| v.split(' ').next().unwrap_or_default())
        .collect();
    assert_eq!(lines, ["a.rs:1:", "c/mod.rs:2:", "c/inner.rs:1:"], "{r}");
}

#[test]
fn checker_ignores_comments_strings_and_test_code() {
    let files = [
        src(
            "a.rs",
            "// use crate::b::X;\n/* crate::b::Y /* nested */ */\nconst S: &str = \"crate::b::Z\";\nconst R: &str = r#\"crate::b\"#;\nconst C: char = '\"';\nfn f<'a>(x: &'a u8) {}\n#[cfg(test)]\nmod tests {\n    use crate::b::T;\n}\n",
        ),
        src("a/tests/mod.rs", "use crate::b::T;\n"),
        src("b.rs", ""),
    ];
    let r = check(&files, TOY, &[]);
    assert!(r.violations.is_empty(), "{r}");
}

#[test]
fn checker_refuses_root_reexports_cycles_and_unlisted_impls() {
    let files = [
        src("a.rs", "use crate::Thing;\nuse crate::c::K;\n"),
        src("c.rs", "use crate::a::J;\npub struct K;\n"),
        src("b.rs", "impl crate::c::K {}\nimpl Clone for K {}\n"),
    ];
    let r = check(&files, TOY, &[]);
    assert!(
        r.violations
            .iter()
            .any(|v| v.starts_with("a.rs:1:") && v.contains("crate root")),
        "{r}"
    );
    assert!(
        r.violations
            .iter()
            .any(|v| v.starts_with("b.rs:1:") && v.contains("impl K")),
        "{r}"
    );
    assert_eq!(r.largest_cycle, ["a", "c"], "{r}");
    assert!(
        r.violations
            .iter()
            .any(|v| v.starts_with("import cycle among 2 modules")),
        "{r}"
    );
    let allowed = check(&files, TOY, &[("b", "K", "test")]);
    assert!(
        !allowed.violations.iter().any(|v| v.contains("impl K")),
        "{allowed}"
    );
}

#[test]
fn checker_confines_std_sync_to_the_listed_files() {
    let files = [
        src("a.rs", "use std::sync::{Arc, Mutex};\nfn f() { std::thread::panicking(); std::thread::spawn(|| ()); }\n"),
        src("ledger.rs", "use std::sync::Mutex;\n"),
    ];
    let layers: Layers<'_> = &[("all", &["a", "ledger"])];
    let r = check(&files, layers, &[]);
    let got: Vec<&str> = r.violations.iter().map(String::as_str).collect();
    assert_eq!(got.len(), 2, "{r}");
    assert!(got[0].starts_with("a.rs:1: `std::sync::Mutex`"), "{r}");
    assert!(got[1].starts_with("a.rs:2: `std::thread::spawn`"), "{r}");
}
