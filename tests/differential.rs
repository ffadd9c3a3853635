//! The differential lane: generated request streams (the shared `refrace-gen` strategies, the
//! fuzz targets' generators) against a real redis-server started by the test, replies compared
//! byte for byte with the model's (`refrace::diff`). A difference the allow-list
//! (`tests/differential/allow-list.json`) does not accept fails with the request, both replies
//! and a replay file (`refrace diff --server HOST:PORT --replay FILE` runs it again).
//!
//! The server: `REFRACE_REDIS_SERVER=/path/to/redis-server`, else `redis-server` on PATH, else
//! Debian's package installed by the first test that needs it (not with `REFRACE_NO_INSTALL=1`).
//! A server that cannot be had fails every test here with one line saying how to get one (a
//! returned error: no backtrace). Cases: `REFRACE_DIFF_CASES` (else `PROPTEST_CASES`, else
//! 2000); clock-skew bound: `REFRACE_DIFF_SKEW_MS` (25).
//!
//! Also here: what `refrace diff` does to a server it did not start (refusals, settings
//! restored at the end and on SIGINT/SIGTERM).

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use refrace::diff::conn::Conn;
use refrace::diff::server::{Finder, RedisServer};
use refrace::diff::target::{Guard, Keyspace, Permit, Settings};
use refrace::diff::{AllowList, Case, Differ, Options, MAX_FRAMES, PIPELINES};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The harness could not set up (no server and none installable, a server that does not
/// start or answer): the test returns it, so it fails with this one message and no panic
/// backtrace.
struct SetupError(String);

impl std::fmt::Debug for SetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "differential lane: {}", self.0)
    }
}

/// What a test that needs a server returns.
type Setup = Result<(), SetupError>;

/// A server of the test's own (the guard stops it when the test ends, also on a panic). The
/// binary is found, or installed, once per test binary (lock file under target/tmp).
fn start() -> Result<RedisServer, SetupError> {
    let bin = refrace::diff::server::binary(Path::new(env!("CARGO_TARGET_TMPDIR")))
        .map_err(SetupError)?;
    RedisServer::start(&bin).map_err(SetupError)
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

fn differ(srv: &RedisServer) -> Result<Differ, SetupError> {
    Differ::connect(
        &srv.addr.to_string(),
        AllowList::shipped().expect("allow-list"),
        options(),
    )
    .map_err(SetupError)
}

fn case() -> impl Strategy<Value = Case> {
    (
        refrace_gen::strategy::frames(MAX_FRAMES),
        prop::sample::select(PIPELINES.to_vec()),
    )
        .prop_map(|(mut frames, pipeline)| {
            frames.retain(refrace_gen::Frame::in_differential_scope);
            Case::of(pipeline, frames)
        })
}

/// Why the property failed.
#[derive(Debug)]
enum Failure {
    /// The harness could not run a case (server gone, setup refused): not a model difference,
    /// not shrunk.
    Setup(String),
    /// A difference, shrunk to a minimal case.
    Differs(String),
}

/// The differential property over `cases` generated cases. A harness error aborts the run: it
/// is recorded, and every later call (the shrinker's candidates) returns at once without
/// touching the server, so it is reported as what it is instead of being shrunk. `calls`
/// counts the cases that ran.
fn property(d: &Mutex<Differ>, cases: u32, calls: &AtomicUsize) -> Result<(), Failure> {
    let setup: Mutex<Option<String>> = Mutex::new(None);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&case(), |case| {
        if setup.lock().unwrap_or_else(|e| e.into_inner()).is_some() {
            return Ok(());
        }
        calls.fetch_add(1, Ordering::SeqCst);
        let mut d = d.lock().unwrap_or_else(|e| e.into_inner());
        match d.run_case(&case) {
            Ok(None) => Ok(()),
            Ok(Some(m)) => Err(TestCaseError::fail(m.to_string())),
            Err(e) => {
                *setup.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
                Err(TestCaseError::fail("setup failure (see above)"))
            }
        }
    });
    if let Some(e) = setup.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(Failure::Setup(e));
    }
    result.map_err(|e| Failure::Differs(e.to_string()))
}

#[test]
fn generated_streams_match_a_real_redis_server() -> Setup {
    let srv = start()?;
    let cases = env_num("REFRACE_DIFF_CASES")
        .or_else(|| env_num("PROPTEST_CASES"))
        .unwrap_or(2000) as u32;
    let mut d = differ(&srv)?;
    // The server must be usable before the property runs.
    d.reset()
        .map_err(|e| SetupError(format!("before the first case: {e}")))?;
    let d = Mutex::new(d);
    let result = property(&d, cases, &AtomicUsize::new(0));
    let d = d.into_inner().unwrap_or_else(|e| e.into_inner());
    println!("{} vs model:\n{}", srv.version, d.summary);
    match result {
        Ok(()) => {}
        Err(Failure::Setup(e)) => {
            return Err(SetupError(format!(
                "setup failure (the harness could not run a case; not a model difference, not \
                 shrunk): {e}"
            )))
        }
        Err(Failure::Differs(e)) => {
            panic!("the model and the real server differ (minimal case after shrinking):\n{e}")
        }
    }
    // The comparison did compare: every case sent requests and most replies were identical.
    assert!(d.summary.commands > cases as usize, "{}", d.summary);
    assert!(
        d.summary.identical * 10 > d.summary.commands * 8,
        "{}",
        d.summary
    );
    Ok(())
}

/// A setup failure inside the property (here: the server is gone) ends the run at once as a
/// setup failure: one case ran, nothing was shrunk, and the message is the harness's.
#[test]
fn a_setup_failure_is_reported_as_such_and_not_shrunk() -> Setup {
    let srv = start()?;
    let d = Mutex::new(differ(&srv)?);
    drop(srv);
    let calls = AtomicUsize::new(0);
    match property(&d, 50, &calls) {
        Err(Failure::Setup(e)) => assert!(e.contains("cannot connect"), "{e}"),
        other => panic!("expected a setup failure, got {other:?}"),
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    Ok(())
}

/// Each case starts on a fresh connection to a verified-empty server: a case that died half
/// way (replies unread, half a request sent) cannot shift the next case's replies or make its
/// setup fail. Before, `FLUSHALL SYNC` read the stale `+OK` and `CONFIG SET` the stale value.
#[test]
fn a_case_left_half_done_does_not_leak_into_the_next() -> Setup {
    let srv = start()?;
    let mut d = differ(&srv)?;
    d.conn_mut()
        .send(b"SET a leftover\r\nGET a\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n")
        .unwrap();
    let frames: Vec<refrace_gen::Frame> = serde_json::from_str(
        r#"[{"Multibulk": {"Get": "A"}}, {"Multibulk": {"Get": "B"}}, {"Multibulk": "DbSize"}]"#,
    )
    .unwrap();
    let case = Case {
        pipeline: 1,
        frames,
    };
    assert_eq!(
        d.run_case(&case).map(|m| m.map(|m| m.to_string())),
        Ok(None)
    );
    Ok(())
}

/// The keyspace check after `FLUSHALL SYNC` fails when something else keeps writing to the
/// server: a case never starts on a server that is not empty.
#[test]
fn a_case_does_not_start_on_a_server_that_is_not_empty() -> Setup {
    let srv = start()?;
    let mut d = differ(&srv)?;
    let stop = AtomicBool::new(false);
    let addr = srv.addr;
    let err = std::thread::scope(|s| {
        s.spawn(|| {
            let mut c = Conn::connect_addr(addr).unwrap();
            c.call(&[b"SELECT", b"9"]).unwrap();
            while !stop.load(Ordering::SeqCst) {
                c.call(&[b"SET", b"intruder", b"x"]).unwrap();
            }
        });
        let empty = Case {
            pipeline: 1,
            frames: Vec::new(),
        };
        let err = (0..200).find_map(|_| d.run_case(&empty).err());
        stop.store(true, Ordering::SeqCst);
        err
    });
    let err = err.expect("a case started while another client kept writing");
    assert!(err.contains("still holds") && err.contains("db9"), "{err}");
    Ok(())
}

/// Negative control: with an empty allow-list the INFO difference (allow-listed in the shipped
/// list) must fail the case, name the request and both replies, and leave a replay file that
/// reproduces it; with the shipped list the same case passes.
#[test]
fn a_difference_off_the_allow_list_fails_with_a_replay_file() -> Setup {
    let srv = start()?;
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
    assert!(differ(&srv)?.run_case(&case).unwrap().is_none());

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
    Ok(())
}

/// A missing server binary is an error that says how to get one, never a silent pass: a bad
/// `REFRACE_REDIS_SERVER`, no server with `REFRACE_NO_INSTALL`, and no way to install one.
#[test]
fn a_missing_server_binary_is_a_clear_error() {
    let lock = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let finder = |env: Option<&str>, path: &str, no_install| Finder {
        env: env.map(Into::into),
        path: Some(path.into()),
        no_install,
    };
    let e = finder(Some("/nonexistent/redis-server"), "/nonexistent", false)
        .find_or_install(lock)
        .unwrap_err();
    assert!(
        e.contains("REFRACE_REDIS_SERVER=/nonexistent/redis-server is not a file"),
        "{e}"
    );
    let e = finder(None, "/nonexistent", true)
        .find_or_install(lock)
        .unwrap_err();
    assert!(e.contains("REFRACE_NO_INSTALL"), "{e}");
    assert!(
        e.contains("apt-get install -y redis-server redis-tools"),
        "{e}"
    );
    assert!(
        e.contains("REFRACE_REDIS_SERVER=/path/to/redis-server"),
        "{e}"
    );
    // Installing needs apt-get on PATH; without it the attempt fails with a reason.
    let e = finder(None, "/nonexistent", false)
        .find_or_install(lock)
        .unwrap_err();
    assert!(
        e.contains("installing it failed: apt-get is not on PATH"),
        "{e}"
    );
    assert!(
        e.contains("REFRACE_REDIS_SERVER=/path/to/redis-server"),
        "{e}"
    );
    assert_eq!(e.lines().count(), 1, "{e}");
}

/// `refrace diff` against a running server: a clean run prints the summary with status 0.
#[test]
fn the_cli_compares_against_a_running_server() -> Setup {
    let srv = start()?;
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
    Ok(())
}

/// A connection of the test's own to `srv`.
fn client(srv: &RedisServer) -> Conn {
    Conn::connect_addr(srv.addr).expect("connect")
}

/// `refrace diff ARGS…`: status, stdout, stderr.
fn refrace_diff(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_refrace"))
        .arg("diff")
        .args(args)
        .output()
        .expect("run refrace");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// Settings a run changes, set to non-default values so that "restored" cannot be confused
/// with "set to the defaults".
fn unusual_settings(c: &mut Conn) -> Settings {
    let unusual: &[(&str, &str)] = &[
        ("lazyfree-lazy-server-del", "yes"),
        ("lazyfree-lazy-user-del", "yes"),
        ("lazyfree-lazy-user-flush", "yes"),
        ("lazyfree-lazy-expire", "yes"),
        ("lazyfree-lazy-eviction", "yes"),
        // Far above what a run stores, so the policy never evicts the test's own keys.
        ("maxmemory", "1073741824"),
        ("maxmemory-policy", "allkeys-lru"),
        ("maxmemory-samples", "7"),
        ("maxmemory-eviction-tenacity", "20"),
    ];
    for (k, v) in unusual {
        assert_eq!(
            c.call(&[b"CONFIG", b"SET", k.as_bytes(), v.as_bytes()])
                .unwrap(),
            b"+OK\r\n"
        );
    }
    let s = Settings::read(c).unwrap();
    for (k, v) in unusual {
        assert!(
            s.config
                .iter()
                .any(|(n, got)| n.as_slice() == k.as_bytes() && got.as_slice() == v.as_bytes()),
            "{k} not {v}: {s}"
        );
    }
    s
}

/// Whether the server expires keys nobody touches (active expiry on): a key with a 20 ms TTL
/// leaves DBSIZE within 3 s. With `DEBUG SET-ACTIVE-EXPIRE 0` it stays.
fn active_expiry_on(c: &mut Conn) -> bool {
    c.call(&[b"SET", b"refrace-probe", b"x", b"PX", b"20"])
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        if c.call(&[b"DBSIZE"]).unwrap() == b":0\r\n" {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    c.call(&[b"DEL", b"refrace-probe"]).unwrap();
    false
}

/// After a run the settings are as they were, active expiry is on and the server is empty.
fn assert_restored(c: &mut Conn, before: &Settings) {
    assert_eq!(&Settings::read(c).unwrap(), before);
    assert_eq!(Keyspace::read(c).unwrap().total(), 0);
    assert!(active_expiry_on(c), "active expiry was left off");
}

/// `refrace diff` refuses a server holding keys, in any database: exit 2, one line naming the
/// key, and the key is still there. `--allow-nonempty` lets it run (and delete them).
#[test]
fn diff_refuses_a_server_holding_keys() -> Setup {
    let srv = start()?;
    let addr = srv.addr.to_string();
    let mut c = client(&srv);
    c.call(&[b"SET", b"precious", b"data"]).unwrap();
    let (code, out, err) = refrace_diff(&["--server", &addr, "--cases", "3"]);
    assert_eq!(code, Some(2), "{out}{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("1 key (db0: 1)"), "{err}");
    assert!(err.contains("db0 \"precious\""), "{err}");
    assert!(err.contains("--allow-nonempty"), "{err}");
    assert!(out.is_empty(), "{out}");
    assert_eq!(c.call(&[b"GET", b"precious"]).unwrap(), b"$4\r\ndata\r\n");

    // Only in another database: still found.
    assert_eq!(c.call(&[b"MOVE", b"precious", b"5"]).unwrap(), b":1\r\n");
    let (code, _, err) = refrace_diff(&["--server", &addr, "--cases", "3"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("db5 \"precious\""), "{err}");
    c.call(&[b"SELECT", b"5"]).unwrap();
    assert_eq!(c.call(&[b"GET", b"precious"]).unwrap(), b"$4\r\ndata\r\n");

    let (code, out, err) = refrace_diff(&["--server", &addr, "--cases", "3", "--allow-nonempty"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert_eq!(c.call(&[b"DBSIZE"]).unwrap(), b":0\r\n");
    Ok(())
}

/// A server that is not on loopback is refused before anything is sent to it.
#[test]
fn diff_refuses_a_remote_server() {
    let t = Instant::now();
    // TEST-NET-1: nothing answers there; a connection attempt would time out, not refuse.
    let (code, _, err) = refrace_diff(&["--server", "192.0.2.1:6379", "--cases", "3"]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("not a loopback address"), "{err}");
    assert!(err.contains("--allow-remote"), "{err}");
    assert!(t.elapsed() < Duration::from_secs(2), "it tried to connect");
}

/// After a run every setting it changed is back: the lazyfree-* parameters (CONFIG GET before
/// and after), active expiry, and the keyspace empty as it was.
#[test]
fn diff_restores_the_settings_it_changed() -> Setup {
    let srv = start()?;
    let mut c = client(&srv);
    let before = unusual_settings(&mut c);
    let (code, out, err) = refrace_diff(&["--server", &srv.addr.to_string(), "--cases", "30"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("server settings restored: "), "{out}");
    assert!(out.contains("lazyfree-lazy-user-del=yes"), "{out}");
    assert_restored(&mut c, &before);
    Ok(())
}

/// The guard restores when it is dropped without `restore` (an error or a panic in the run).
#[test]
fn the_guard_restores_when_dropped() -> Setup {
    let srv = start()?;
    let mut c = client(&srv);
    let before = unusual_settings(&mut c);
    let guard = Guard::open(&srv.addr.to_string(), Permit::default()).unwrap();
    let mut d = differ(&srv)?;
    let case = refrace::diff::case_from_seed(3);
    assert!(d.run_case(&case).unwrap().is_none());
    assert_ne!(
        Settings::read(&mut c).unwrap(),
        before,
        "the run changed nothing"
    );
    drop(guard);
    assert_restored(&mut c, &before);
    Ok(())
}

/// SIGINT (and SIGTERM) during a run: exit 130 with one line, and the settings are restored.
#[cfg(unix)]
#[test]
fn diff_restores_the_settings_on_sigint_and_sigterm() -> Setup {
    let srv = start()?;
    let mut c = client(&srv);
    for sig in [libc::SIGINT, libc::SIGTERM] {
        let before = unusual_settings(&mut c);
        let mut child = Command::new(env!("CARGO_BIN_EXE_refrace"))
            .args(["diff", "--server", &srv.addr.to_string()])
            .args(["--cases", "100000000"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Wait until the run has changed a setting (its first case resets lazyfree-* to no).
        let deadline = Instant::now() + Duration::from_secs(30);
        while Settings::read(&mut c).unwrap() == before {
            assert!(Instant::now() < deadline, "the run never started");
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(200));
        // SAFETY: kill has no memory-safety preconditions; the pid is our running child.
        assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, sig) }, 0);
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("refrace diff did not stop on signal {sig}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        assert_eq!(status.code(), Some(130), "signal {sig}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("interrupted after") && err.contains("restored"),
            "{err}"
        );
        assert_restored(&mut c, &before);
    }
    Ok(())
}
