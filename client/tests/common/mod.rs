//! Shared by the client's test binaries: budgets, and running a scenario under an explorer with
//! an expectation (clean, or caught with a named invariant).
#![allow(dead_code)] // each test binary uses part of it

use refrace_client::scenarios::{Opts, Scenario};
use refrace_model::Invariant;
use refrace_sims::explore::{env_num, Explorer, Outcome};

/// Schedules per shuttle scheduler per scenario: `REFRACE_CLIENT_SHUTTLE_ITERS` (default 300).
pub fn shuttle_iters() -> usize {
    env_num("REFRACE_CLIENT_SHUTTLE_ITERS", 300)
}

/// Real-thread runs per scenario: `REFRACE_CLIENT_STRESS_ITERS` (default 30).
pub fn stress_iters() -> usize {
    env_num("REFRACE_CLIENT_STRESS_ITERS", 30)
}

/// The options of the `fixed::` tests: the fixed client, unless `REFRACE_CLIENT_FAULT` switches
/// faults on (then those tests show the bug: see the README).
pub fn fixed_opts() -> Opts {
    let faults = refrace_client::Faults::from_env().unwrap_or_else(|e| panic!("{e}"));
    Opts::with_faults(faults)
}

/// Shuttle seed: `REFRACE_SEED` (default 0x5eed, as the other lanes).
pub fn seed() -> u64 {
    env_num("REFRACE_SEED", 0x5eed)
}

/// PCT depth: `REFRACE_PCT_DEPTH` (default 3).
pub fn pct_depth() -> usize {
    env_num("REFRACE_PCT_DEPTH", 3)
}

/// The explorer's outcome must be clean.
pub fn assert_clean(sc: &Scenario, o: &Outcome) {
    if let Some(f) = &o.first {
        panic!(
            "{} under {}: schedule {} of {} failed: {}{}",
            sc.name,
            o.explorer,
            f.schedule,
            o.schedules,
            f.message,
            f.replay
                .as_ref()
                .map(|p| format!("\n  replay: {}", p.display()))
                .unwrap_or_default()
        );
    }
    assert!(
        o.schedules > 0,
        "{} under {}: no schedule ran",
        sc.name,
        o.explorer
    );
}

/// The explorer must have found a failure naming `invariant`.
pub fn assert_caught(sc: &Scenario, o: &Outcome, invariant: Invariant) {
    let Some(f) = &o.first else {
        panic!(
            "{} under {}: the fault was not caught in {} schedules",
            sc.name, o.explorer, o.schedules
        );
    };
    assert_eq!(
        f.invariant,
        Some(invariant),
        "{} under {}: caught as something else at schedule {}: {}",
        sc.name,
        o.explorer,
        f.schedule,
        f.message
    );
}

/// Run `sc` with `opts` under explorer `e` for at most `budget` schedules (panics silenced;
/// violations come back in the outcome).
pub fn explore(e: Explorer, sc: &'static Scenario, opts: Opts, budget: usize) -> Outcome {
    e.run_fn(
        sc.name,
        move || {
            (sc.run)(&opts);
        },
        budget,
        seed(),
    )
}

/// The project's redis-server finder/installer and child-process guard (`src/diff/server.rs`
/// of the root package), compiled in by path: the client's tests reuse it without depending on
/// the CLI package (whose build the loom feature would change).
#[path = "../../../src/diff/server.rs"]
pub mod server;

/// A redis-server started for this test binary on a free loopback port (the binary found, or
/// installed, once per process; see `src/diff/server.rs`). Panics with the finder's one-line
/// reason when there is none.
pub fn redis_server() -> server::RedisServer {
    let bin = server::binary(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")))
        .unwrap_or_else(|e| panic!("refrace-client: no redis-server: {e}"));
    server::RedisServer::start(&bin).unwrap_or_else(|e| panic!("refrace-client: {e}"))
}

/// Whether installing packages is forbidden (`REFRACE_NO_INSTALL`, any value but `0` or empty).
pub fn no_install() -> bool {
    std::env::var_os("REFRACE_NO_INSTALL").is_some_and(|v| !v.is_empty() && v != "0")
}

/// `apt-get install -y <pkgs>` (noninteractive, `sudo -n` when not root, one installer at a
/// time through `<lock_dir>/client-install.lock`; `apt-get update` first when the package is
/// unknown). One line on stderr says what is being installed.
pub fn apt_install(pkgs: &[&str], lock_dir: &std::path::Path) -> Result<(), String> {
    use std::process::Command;
    if no_install() {
        return Err("REFRACE_NO_INSTALL forbids installing it".into());
    }
    let _ = std::fs::create_dir_all(lock_dir);
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock_dir.join("client-install.lock"))
        .map_err(|e| format!("lock file: {e}"))?;
    {
        use std::os::unix::io::AsRawFd;
        // SAFETY: flock on a descriptor this function owns; released when `lock` is closed.
        if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err("cannot lock the installer lock file".into());
        }
    }
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let run = |args: &[&str]| -> Result<(), String> {
        let mut cmd = if root {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.args(["-n", "apt-get"]);
            c
        };
        let out = cmd
            .args(["-o", "DPkg::Lock::Timeout=300"])
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .output()
            .map_err(|e| format!("apt-get: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            let err = String::from_utf8_lossy(&out.stderr);
            Err(err.lines().last().unwrap_or("apt-get failed").to_string())
        }
    };
    eprintln!(
        "refrace-client: installing {} (apt-get{}; REFRACE_NO_INSTALL=1 to refuse)",
        pkgs.join(" "),
        if root { "" } else { " via sudo -n" }
    );
    let mut args = vec!["install", "-y", "--no-install-recommends"];
    args.extend_from_slice(pkgs);
    if run(&args).is_err() {
        run(&["update"])?;
        run(&args)?;
    }
    Ok(())
}
