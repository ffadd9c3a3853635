//! The differential lane: generated request streams (the shared `refrace-gen` strategies, the
//! fuzz targets' generators) against a real redis-server started by the test, replies compared
//! byte for byte with the model's (`refrace::diff`). A difference the allow-list
//! (`tests/differential/allow-list.json`) does not accept fails with the request, both replies
//! and a replay file (`refrace diff --server HOST:PORT --replay FILE` runs it again).
//!
//! The server: `redis-server` on PATH (Debian's 7.0; `.ci/run` installs it) or
//! `REFRACE_REDIS_SERVER=/path/to/redis-server`. Missing, the lane fails and says how to install
//! it. Cases: `REFRACE_DIFF_CASES` (else `PROPTEST_CASES`, else 2000); clock-skew bound:
//! `REFRACE_DIFF_SKEW_MS` (25).

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use refrace::diff::server::RedisServer;
use refrace::diff::{AllowList, Case, Differ, Options, MAX_FRAMES, PIPELINES};
use std::path::PathBuf;
use std::sync::Mutex;

/// A server of the test's own (the guard stops it when the test ends, also on a panic).
fn start() -> RedisServer {
    RedisServer::start().unwrap_or_else(|e| panic!("differential lane: {e}"))
}

fn env_num(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number"))
    })
}

fn options() -> Options {
    Options {
        skew_ms: env_num("REFRACE_DIFF_SKEW_MS").map_or(Options::default().skew_ms, |v| v as i64),
        replay_dir: PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("refrace-diff"),
        ..Options::default()
    }
}

fn differ(srv: &RedisServer) -> Differ {
    Differ::connect(
        &srv.addr.to_string(),
        AllowList::shipped().expect("allow-list"),
        options(),
    )
    .unwrap_or_else(|e| panic!("differential lane: {e}"))
}

fn case() -> impl Strategy<Value = Case> {
    (
        refrace_gen::strategy::frames(MAX_FRAMES),
        prop::sample::select(PIPELINES.to_vec()),
    )
        .prop_map(|(frames, pipeline)| Case { pipeline, frames })
}

#[test]
fn generated_streams_match_a_real_redis_server() {
    let srv = start();
    let cases = env_num("REFRACE_DIFF_CASES")
        .or_else(|| env_num("PROPTEST_CASES"))
        .unwrap_or(2000) as u32;
    let d = Mutex::new(differ(&srv));
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&case(), |case| {
        let mut d = d.lock().unwrap_or_else(|e| e.into_inner());
        match d.run_case(&case) {
            Ok(None) => Ok(()),
            Ok(Some(m)) => Err(TestCaseError::fail(m.to_string())),
            Err(e) => panic!("differential lane: {e}"),
        }
    });
    let d = d.into_inner().unwrap_or_else(|e| e.into_inner());
    println!("{} vs model:\n{}", srv.version, d.summary);
    if let Err(e) = result {
        panic!("the model and the real server differ (minimal case after shrinking):\n{e}");
    }
    // The comparison did compare: every case sent requests and most replies were identical.
    assert!(d.summary.commands > cases as usize, "{}", d.summary);
    assert!(
        d.summary.identical * 10 > d.summary.commands * 8,
        "{}",
        d.summary
    );
}

/// Negative control: with an empty allow-list the INFO difference (allow-listed in the shipped
/// list) must fail the case, name the request and both replies, and leave a replay file that
/// reproduces it; with the shipped list the same case passes.
#[test]
fn a_difference_off_the_allow_list_fails_with_a_replay_file() {
    let srv = start();
    let frames: Vec<refrace_gen::Frame> = serde_json::from_str(
        r#"[{"Multibulk": {"Set": ["A", {"Big": 0}, []]}},
            {"Inline": "Info"},
            {"Multibulk": {"Get": "A"}}]"#,
    )
    .unwrap();
    let case = Case {
        pipeline: 2,
        frames,
    };
    assert!(differ(&srv).run_case(&case).unwrap().is_none());

    let empty = AllowList::parse(r#"{"about": "nothing", "entries": []}"#).unwrap();
    let mut d = Differ::connect(&srv.addr.to_string(), empty, options()).unwrap();
    let m = d.run_case(&case).unwrap().expect("INFO differs");
    assert_eq!(m.index, 1);
    let text = m.to_string();
    assert!(text.contains("Inline(Info)"), "{text}");
    assert!(
        text.contains("redis_version:") && text.contains("used_memory:"),
        "{text}"
    );
    let path = m.replay.clone().expect("replay file written");
    let replay = refrace::diff::engine::load_replay(&path).unwrap();
    assert_eq!(replay.case.frames, case.frames);
    let again = d
        .run_case(&replay.case)
        .unwrap()
        .expect("the replay reproduces it");
    assert_eq!((again.index, &again.request), (m.index, &m.request));
    assert_eq!(d.summary.mismatches, 2);
    let _ = std::fs::remove_file(path);
}

/// A missing server binary is an error that says how to get one, never a silent pass.
#[test]
fn a_missing_server_binary_is_a_clear_error() {
    use refrace::diff::server::binary_in;
    let e = binary_in(Some("/nonexistent/redis-server".into()), None).unwrap_err();
    assert!(e.contains("REFRACE_REDIS_SERVER"), "{e}");
    let e = binary_in(None, Some("/nonexistent".into())).unwrap_err();
    assert!(e.contains("apt-get install -y redis-server"), "{e}");
}

/// `refrace diff` against a running server: a clean run prints the summary with status 0.
#[test]
fn the_cli_compares_against_a_running_server() {
    let srv = start();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_refrace"))
        .args(["diff", "--server", &srv.addr.to_string(), "--cases", "20"])
        .args(["--seed", "7"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("cases 20, commands compared "), "{stdout}");
    assert!(stdout.contains("mismatches 0"), "{stdout}");

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_refrace"))
        .args(["diff", "--server", &srv.addr.to_string(), "--cases", "20"])
        .args(["--seed", "7", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("--json prints JSON");
    assert_eq!(v["summary"]["cases"], 20);
    assert!(v["summary"]["commands"].as_u64().unwrap() > 20, "{v}");
    assert_eq!(v["mismatches"].as_array().map(Vec::len), Some(0));
}
