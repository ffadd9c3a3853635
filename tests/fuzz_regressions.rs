//! Fuzz findings replayed without libFuzzer: each crash input saved under
//! `tests/fuzz-regressions/<target>/` runs through the same target body the fuzzer ran
//! (`refrace_sims::fuzz`), so `cargo test` guards it for good. Also: every committed seed is
//! current (written by `examples/fuzz_seeds.rs`) and clean on the fixed model.

use refrace_model::{Fault, FaultSet, Invariant};
use refrace_sims::fuzz;
use refrace_sims::quiet::quietly;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn input(target: &str, name: &str) -> Vec<u8> {
    let p = root()
        .join("tests/fuzz-regressions")
        .join(target)
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Run a target body on `data`; the panic message if it crashed.
fn run(target: &str, data: &[u8], faults: FaultSet) -> Result<(), String> {
    quietly(|| {
        catch_unwind(AssertUnwindSafe(|| match target {
            "resp_request" => fuzz::resp_request(data),
            "command_stream" => fuzz::command_stream(data, faults),
            "interleaving" => fuzz::interleaving(data, faults),
            other => panic!("no fuzz target {other}"),
        }))
    })
    .map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panic with a non-string payload".into())
    })
}

/// Found by `REFRACE_FAULT=defer-shared-free cargo fuzz run interleaving` (CI's fault run,
/// `-seed=1`) within its first 100 executions, re-found after each change of the world layout
/// (last: issue 12's memory, kill and trim families): a generated world in which one client's reply references a 64 KiB value while
/// another overwrites it, and schedule bytes that interleave the IO thread's deferred free with
/// main's release. With the fault, #14738 (a data race on the refcount word, or the lost update
/// it causes); without, clean.
#[test]
fn interleaving_defer_shared_free_14738() {
    let data = input("interleaving", "defer-shared-free-14738.bin");
    let err = run(
        "interleaving",
        &data,
        FaultSet::of(&[Fault::DeferSharedFree]),
    )
    .expect_err("the #14738 input must fail with defer-shared-free on");
    let inv = Invariant::of_message(&err);
    assert!(
        inv.is_some_and(|i| refrace_sims::scenarios::RACE.contains(&i)),
        "wrong invariant {inv:?}: {err}"
    );
    run("interleaving", &data, FaultSet::NONE).expect("the fixed model is clean");
}

/// Found by CI's `command_stream` smoke run once the IO thread parsed ahead (#14440's
/// lookahead): `GETEX` and an HTTP `POST` in one read to a client of IO thread 1. Main runs both
/// in one visit and `POST` closes the client before anything is written, so GETEX's reply is
/// dropped, as Redis drops it (`CLIENT_CLOSE_ASAP` clients are not written). The target still
/// expected the reply (it modelled that drop for main-thread clients only): the expectation was
/// the bug. The input must now run clean.
#[test]
fn command_stream_post_drops_the_replies_of_its_read_on_an_io_thread() {
    let data = input("command_stream", "post-after-pipelined-getex-io-thread.bin");
    run("command_stream", &data, FaultSet::NONE).expect("clean on the fixed model");
}

/// Found by the `interleaving` fuzz smoke after the kill family joined the generator: a client
/// left a transaction open (`MULTI; SELECT 0; COPY a a`) and its next steps were queued, among
/// them `CLIENT KILL`, which the sequential reference does not model. Fed to the reference it
/// was an unknown command that flagged the transaction (`EXECABORT`), where the model queued
/// and ran it: a false REPLY_BYTES. The reply check now keeps such commands from the reference
/// and leaves that EXEC uncompared. The input must run clean.
#[test]
fn interleaving_exec_queues_a_command_the_reference_lacks() {
    let data = input(
        "interleaving",
        "exec-queues-a-command-the-reference-lacks.bin",
    );
    run("interleaving", &data, FaultSet::NONE).expect("clean on the fixed model");
}

/// Found by the `interleaving` fuzz smoke: `SFLUSH 0 16383` (no option: SYNC) queued in a
/// transaction. The model ran it inside EXEC as a blocking flush, so its reply came after the
/// next queued command's; Redis's `sflushCommand` (like `flushCommandCommon`) never blocks a
/// client with `CLIENT_AVOID_BLOCKING_ASYNC_FLUSH` (in MULTI, or DENY_BLOCKING while EXEC runs)
/// and deletes the keys synchronously. A model bug, fixed; the input must run clean.
#[test]
fn interleaving_sflush_inside_exec_does_not_block() {
    let data = input("interleaving", "sflush-inside-exec-does-not-block.bin");
    run("interleaving", &data, FaultSet::NONE).expect("clean on the fixed model");
}

/// Found by CI's `command_stream` smoke run after the differential lane moved
/// `Malformed::MultibulkTooBig` from `*1048577` (which Redis accepts, up to INT_MAX, and then
/// waits on) to `*2147483648`: the model rightly answered `invalid multibulk length` while the
/// target still expected silence. The expectation was the bug; the input must now run clean and
/// the model's reply must be that error.
#[test]
fn command_stream_multibulk_count_above_int_max() {
    let data = input("command_stream", "multibulk-count-above-int-max.bin");
    run("command_stream", &data, FaultSet::NONE).expect("clean on the fixed model");
    let mut p = refrace_model::resp::RequestParser::default();
    let mut buf = refrace_gen::Malformed::MultibulkTooBig.bytes();
    assert!(matches!(
        p.parse(&mut buf),
        refrace_model::resp::ParseResult::ProtocolError(e)
            if e == refrace_model::resp::ERR_INVALID_MULTIBULK_LEN.as_bytes()
    ));
}

/// Found by CI's `command_stream` smoke run after the model learnt `CLIENT_CLOSE_ASAP`: `PING`
/// and `POST` in one read on a client living on main. Redis runs both, then frees the client
/// before `beforeSleep` writes, so `+PONG` is never sent; the target still expected it. The
/// model must send nothing, and the input run clean.
#[test]
fn command_stream_post_drops_the_replies_of_its_read() {
    let data = input("command_stream", "post-drops-replies-of-its-read.bin");
    run("command_stream", &data, FaultSet::NONE).expect("clean on the fixed model");
}

/// Found by `command_stream` once a client on main writes once per read: `PING <20 000 bytes>`
/// (its reply references the argument) and two `FLUSHALL ASYNC` in one read. The first
/// protects the reference (a private duplicate) and unlinks the client, as
/// `protectClientReplyObjects` does; the second found a client holding a reference outside
/// `clients_with_pending_ref_reply` and the oracle called it PENDING_REF_REGISTRY. The check
/// was too strict: a private duplicate needs no protection. It now flags only references to
/// objects someone else also holds (the `unlink-pending-early` control still trips it).
#[test]
fn command_stream_second_flushall_async_after_protection() {
    let data = input(
        "command_stream",
        "second-flushall-async-after-protection.bin",
    );
    run("command_stream", &data, FaultSet::NONE).expect("clean on the fixed model");
}

/// Every saved crash input of every target is clean on the fixed model.
#[test]
fn every_saved_input_is_clean_on_the_fixed_model() {
    let mut n = 0;
    for target in ["resp_request", "command_stream", "interleaving"] {
        let dir = root().join("tests/fuzz-regressions").join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            let p = e.expect("dir entry").path();
            let data = std::fs::read(&p).expect("readable input");
            run(target, &data, FaultSet::NONE).unwrap_or_else(|m| panic!("{}: {m}", p.display()));
            n += 1;
        }
    }
    assert!(n >= 1, "no saved inputs found");
}

/// The committed seeds are what `examples/fuzz_seeds.rs` writes, and none crashes the fixed
/// model; none of the `interleaving` seeds already holds the #14738 bug (the fuzzer must find
/// it, not be handed it).
#[test]
fn seeds_are_current_and_clean() {
    let seeds = fuzz::seeds::seeds();
    assert!(seeds.len() >= 15);
    for s in &seeds {
        let p = root().join("fuzz/seeds").join(s.target).join(s.name);
        let committed = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert!(
            committed == s.bytes,
            "{} is stale: run `cargo run -p refrace-sims --example fuzz_seeds`",
            p.display()
        );
        run(s.target, &s.bytes, FaultSet::NONE)
            .unwrap_or_else(|m| panic!("seed {}/{}: {m}", s.target, s.name));
        if s.target == "interleaving" {
            run(s.target, &s.bytes, FaultSet::of(&[Fault::DeferSharedFree]))
                .unwrap_or_else(|m| panic!("seed {} already crashes: {m}", s.name));
        }
    }
}
