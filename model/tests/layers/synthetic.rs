//! The checker on synthetic trees: it must fail where it should, naming file and line.

use super::check::{check, Layers, Source};

/// The oracle-level files of the synthetic trees.
const STD: &[&str] = &["ledger.rs"];

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
    let r = check(&files, TOY, &[], STD);
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
    let r = check(&files, TOY, &[], STD);
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
    let r = check(&files, TOY, &[], STD);
    assert!(r.violations.is_empty(), "{r}");
}

#[test]
fn checker_refuses_root_reexports_cycles_and_unlisted_impls() {
    let files = [
        src("a.rs", "use crate::Thing;\nuse crate::c::K;\n"),
        src("c.rs", "use crate::a::J;\npub struct K;\n"),
        src("b.rs", "impl crate::c::K {}\nimpl Clone for K {}\n"),
    ];
    let r = check(&files, TOY, &[], STD);
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
    let allowed = check(&files, TOY, &[("b", "K", "test")], STD);
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
    let r = check(&files, layers, &[], STD);
    let got: Vec<&str> = r.violations.iter().map(String::as_str).collect();
    assert_eq!(got.len(), 2, "{r}");
    assert!(got[0].starts_with("a.rs:1: `std::sync::Mutex`"), "{r}");
    assert!(got[1].starts_with("a.rs:2: `std::thread::spawn`"), "{r}");
}
