//! The ownership rules the client model relies on, checked on the real library: a small C
//! harness (`client/c/harness.c`) built here with the system C compiler against Debian's
//! libhiredis under AddressSanitizer (LeakSanitizer included), run against a real
//! redis-server on loopback started by this test.
//!
//! Set-up the test does itself: `libhiredis-dev` is installed when `hiredis/async.h` is
//! missing (apt-get, `sudo -n` when not root; `REFRACE_NO_INSTALL=1` forbids it), and
//! `libasan8` when the compiler cannot link the ASan runtime. Each sequence's output is kept in
//! `target/refrace/client-harness/<sequence>.log`.
//!
//! What must hold (the model's rules):
//! - `copy-then-free`: the formatted command may be released as soon as
//!   `redisAsyncFormattedCommand` returns (scribbled over and freed before the loop ran, the
//!   server still stores the original bytes; ASan silent);
//! - `server-close`, `client-disconnect`: after the disconnect callback hiredis frees the
//!   context itself (ASan describes it as freed, from inside `redisAsyncHandleRead`), and the
//!   program that never calls `redisAsyncFree` is LeakSanitizer-clean;
//! - the fixed sequences are ASan/LSan-clean, each faulty one is reported.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

const HEADER: &str = "/usr/include/hiredis/async.h";

fn out_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/refrace/client-harness");
    let _ = std::fs::create_dir_all(&d);
    d
}

fn tmp() -> &'static Path {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
}

/// Build the harness (installing what is missing), once per test binary.
fn harness() -> PathBuf {
    static BIN: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    BIN.get_or_init(build)
        .clone()
        .unwrap_or_else(|e| panic!("refrace-client C harness: {e}"))
}

fn build() -> Result<PathBuf, String> {
    if !Path::new(HEADER).exists() {
        common::apt_install(&["libhiredis-dev"], tmp()).map_err(|e| {
            format!(
                "{HEADER} is missing and installing libhiredis-dev failed: {e} \
                 (sudo apt-get install -y libhiredis-dev)"
            )
        })?;
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("c/harness.c");
    let bin = tmp().join("refrace-client-harness");
    let compile = || {
        Command::new("cc")
            .args(["-std=c11", "-g", "-O0", "-Wall", "-Wextra", "-Werror"])
            .args(["-fsanitize=address", "-fno-omit-frame-pointer"])
            .arg(&src)
            .args(["-lhiredis", "-lpthread", "-o"])
            .arg(&bin)
            .output()
            .map_err(|e| format!("cannot run cc (install gcc): {e}"))
    };
    let mut out = compile()?;
    if !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("asan") {
        common::apt_install(&["libasan8"], tmp())
            .map_err(|e| format!("the ASan runtime is missing and installing it failed: {e}"))?;
        out = compile()?;
    }
    if !out.status.success() {
        return Err(format!(
            "cc failed to build {}: {}",
            src.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(bin)
}

/// What one run printed.
struct Run {
    ok: bool,
    out: String,
}

fn run(seq: &str, port: u16) -> Run {
    let o = Command::new(harness())
        .args([seq, &port.to_string()])
        .env("ASAN_OPTIONS", "detect_leaks=1")
        .output()
        .unwrap_or_else(|e| panic!("running the harness: {e}"));
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let _ = std::fs::write(out_dir().join(format!("{seq}.log")), &out);
    Run {
        ok: o.status.success(),
        out,
    }
}

fn sanitizer_silent(seq: &str, r: &Run) {
    assert!(
        r.ok && !r.out.contains("ERROR: AddressSanitizer")
            && !r.out.contains("ERROR: LeakSanitizer"),
        "{seq}: expected a clean run (exit 0, no sanitizer report):\n{}",
        r.out
    );
}

fn has(seq: &str, r: &Run, needle: &str) {
    assert!(
        r.out.contains(needle),
        "{seq}: missing {needle:?} in:\n{}",
        r.out
    );
}

/// The block at the context's address was freed inside hiredis, from its read handler: the
/// free's stack shows a libhiredis frame (`redisProcessCallbacks`) or, where ASan's
/// frame-pointer unwinder skips the library's frames, the harness's `hiredis_handle_read`.
fn freed_by_hiredis(seq: &str, r: &Run) {
    has(seq, r, "harness: context freed: yes");
    let freed = r
        .out
        .split("freed by thread")
        .nth(1)
        .and_then(|s| s.split("previously allocated").next())
        .unwrap_or("");
    assert!(
        freed.contains("hiredis_handle_read") || freed.contains("libhiredis"),
        "{seq}: the context was not freed from inside hiredis:\n{}",
        r.out
    );
}

fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind");
    l.local_addr().expect("addr").port()
}

#[test]
fn command_buffer_may_be_freed_once_formatted_command_returns() {
    let srv = common::redis_server();
    let r = run("copy-then-free", srv.addr.port());
    sanitizer_silent("copy-then-free", &r);
    has(
        "copy-then-free",
        &r,
        "harness: 2 replies after freeing the formatted commands",
    );
    has(
        "copy-then-free",
        &r,
        "harness: stored value is the original payload",
    );
}

#[test]
fn hiredis_frees_the_context_after_the_disconnect_callback() {
    let srv = common::redis_server();
    for seq in ["server-close", "client-disconnect"] {
        let r = run(seq, srv.addr.port());
        sanitizer_silent(seq, &r);
        has(
            seq,
            &r,
            "harness: disconnect callback ran, cleanup hook ran",
        );
        freed_by_hiredis(seq, &r);
    }
}

#[test]
fn freeing_again_after_the_disconnect_callback_is_reported() {
    let srv = common::redis_server();
    for seq in [
        "server-close+free-after-disconnect-callback",
        "client-disconnect+free-after-disconnect-callback",
    ] {
        let r = run(seq, srv.addr.port());
        assert!(
            !r.ok,
            "{seq}: a second release of the context ran clean:\n{}",
            r.out
        );
        freed_by_hiredis(seq, &r);
        has(seq, &r, "ERROR: AddressSanitizer");
        // The report's stack runs from the harness's redisAsyncFree call into libhiredis.
        has(seq, &r, "libhiredis");
    }
}

#[test]
fn connect_failures_the_caller_frees_and_hiredis_frees() {
    let port = closed_port();
    let r = run("connect-refused", port);
    sanitizer_silent("connect-refused", &r);
    has("connect-refused", &r, "unix connect err=1 at once");
    has(
        "connect-refused",
        &r,
        "tcp connect failed in the callback: yes; cleanup hook ran",
    );

    let seq = "connect-refused+leak-context-on-connect-failure";
    let r = run(seq, port);
    has(seq, &r, "ERROR: LeakSanitizer: detected memory leaks");
    // One redisAsyncContext (344 bytes on x86-64) per failed reconnect.
    has(seq, &r, "Direct leak of 1032 byte(s) in 3 object(s)");

    let seq = "connect-refused+free-after-disconnect-callback";
    let r = run(seq, port);
    assert!(!r.ok, "{seq} ran clean:\n{}", r.out);
    has(seq, &r, "harness: context freed: yes");
    has(seq, &r, "ERROR: AddressSanitizer");
}

#[test]
fn private_data_must_outlive_pending_callbacks() {
    let srv = common::redis_server();
    let r = run("destroy", srv.addr.port());
    sanitizer_silent("destroy", &r);
    has("destroy", &r, "harness: callback with NULL reply");

    let seq = "destroy+destroy-with-callback-pending";
    let r = run(seq, srv.addr.port());
    has(seq, &r, "ERROR: AddressSanitizer: heap-use-after-free");
    has(seq, &r, "in on_reply");
}

#[test]
fn the_loop_must_tear_the_connection_down_before_it_stops() {
    let srv = common::redis_server();
    let r = run("stop-loop", srv.addr.port());
    sanitizer_silent("stop-loop", &r);

    let seq = "stop-loop+stop-loop-before-callbacks";
    let r = run(seq, srv.addr.port());
    has(seq, &r, "ERROR: LeakSanitizer: detected memory leaks");
    // The context and the command's event (the callback's private data) are among the leaks.
    has(seq, &r, "Direct leak of 344 byte(s) in 1 object(s)");
    has(seq, &r, "new_event");
}
