//! The `refrace` binary: clear one-line errors with status 2, a found bug with status 1.

use std::process::Command;

fn refrace(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_refrace"))
        .args(args)
        .env_remove("REFRACE_FAULT")
        .output()
        .expect("run refrace");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn bad_usage_is_one_line_and_status_2() {
    for args in [
        &["explore", "--scenario", "nope"][..],
        &[
            "explore",
            "--scenario",
            "get_del_then_close",
            "--fault",
            "nope",
        ],
        &[
            "explore",
            "--scenario",
            "get_del_then_close",
            "--explorer",
            "nope",
        ],
        &["explore", "--budget", "x"],
        &["frobnicate"],
        &["diff"],
        &["diff", "--server", "127.0.0.1:1"],
        &["diff", "--server", "127.0.0.1:1", "--cases", "x"],
        &["diff", "--server", "no.such.host.invalid:6379"],
    ] {
        let (code, _, err) = refrace(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("refrace: "), "{err}");
    }
}

#[test]
fn explore_finds_the_14738_bug_and_the_fix_is_clean() {
    let (code, out, _) = refrace(&[
        "explore",
        "--scenario",
        "get_reply_ref_vs_overwrite",
        "--fault",
        "defer-shared-free",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("INVARIANT DATA_RACE"), "{out}");
    let (code, out, _) = refrace(&["explore", "--scenario", "get_reply_ref_vs_overwrite"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("clean after 1000 schedule(s)"), "{out}");
}

#[test]
fn list_names_every_fault() {
    let (code, out, _) = refrace(&["list"]);
    assert_eq!(code, 0);
    for f in refrace_model::Fault::ALL {
        assert!(out.contains(f.name()), "{out}");
    }
}
