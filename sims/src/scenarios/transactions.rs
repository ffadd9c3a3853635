//! Transactions and pipelines: argv objects that outlive their command. MULTI keeps each queued
//! command's argv in `mstate` until EXEC ends (multi.c); a pipeline's commands are parsed ahead
//! by the IO thread and run by main in one visit, each reclaimed after it ran (#14440,
//! networking.c `reclaimPendingCommand`). A FLUSHALL ASYNC inside EXEC hands BIO values the
//! queued argv still references: upstream bug `exec-flushall-async-argv`.

use super::{
    big, client, pipelined, Catch, Expect, Finding, Override, Scenario, Timing, Want, RACE,
};
use crate::world::{cmd, Spec};
use refrace_model::config::{Fault, Fix, Strategy};
use refrace_model::Invariant;

/// Finding `exec-flushall-async-argv` (reports/findings/exec-flushall-async-argv.md): the
/// flush hands BIO a kvobj the transaction's argv still references (the oracle's
/// `PENDING_REF_REGISTRY`, at the hand-off), and BIO's `decrRefCount` of it is unordered with
/// main's release of that reference when EXEC ends (the race itself, or its lost update).
const EXEC_FLUSH_ASYNC: Finding = Finding {
    name: "exec-flushall-async-argv",
    fix: Fix::ExecFlushSync,
    invariants: &[
        Invariant::PendingRefRegistry,
        Invariant::DataRace,
        Invariant::CountConservation,
        Invariant::Leak,
    ],
};

/// Under the atomic strategy BIO's decrement and main's release of the argv reference are one
/// atomic RMW each: the last frees, nothing races.
const ATOMIC_CLEAN: Override = Override {
    strategy: Strategy::Atomic,
    faults: &[],
    want: Want::Clean,
    why: "an atomic refcount: BIO's decrement and main's release of the argv reference are one RMW each",
};

/// What a queued argv released twice shows (`multi-queue-keeps-argv`: the reclaim after the
/// command was queued released what EXEC then uses and releases again).
const ARGV_RELEASED_TWICE: &[Invariant] = &[
    Invariant::UseAfterFree,
    Invariant::DoubleFree,
    Invariant::RefcountUnderflow,
];

scenarios! {
    /// Queued argv lives until EXEC. A (IO-1) sends `MULTI`, `SET k <64 KiB>`, `ECHO <64 KiB>`,
    /// `GET k`, `EXEC`, one request per read (each queued command goes back to IO-1 before EXEC);
    /// B (IO-2) runs `GET k` and `SET k x`.
    /// INVARIANT: USE_AFTER_FREE / DOUBLE_FREE: the queued argv objects are owned by `mstate`
    /// alone from queueing until `discardTransaction`; REPLY_BYTES for both clients.
    /// Breaks if queueing leaves them to the pending command's reclaim as well
    /// (`multi-queue-keeps-argv`): IO-1 frees them, and EXEC reads freed objects.
    pub const EXEC_QUEUED_ARGV_LIVES_UNTIL_EXEC: Scenario = Scenario {
        name: "exec_queued_argv_lives_until_exec",
        about: "queued argv (and the kvobj SET leaves in it) is held by mstate until EXEC ends",
        spec: |o| Spec {
            cfg: o.cfg(2),
            setup: vec![],
            clients: vec![
                client(
                    1,
                    vec![
                        cmd(&[b"MULTI"]),
                        cmd(&[b"SET", b"k", &big(b'a')]),
                        cmd(&[b"ECHO", &big(b'e')]),
                        cmd(&[b"GET", b"k"]),
                        cmd(&[b"EXEC"]),
                    ],
                ),
                client(2, vec![cmd(&[b"GET", b"k"]), cmd(&[b"SET", b"k", b"x"])]),
            ],
            bio_thread: false,
            needs_reply_refs: true,
        },
        fixed: Expect::Clean,
        catches: &[Catch {
            faults: &[Fault::MultiQueueKeepsArgv],
            invariants: ARGV_RELEASED_TWICE,
            timing: Timing::Deterministic,
        }],
        overrides: &[],
    };

    /// Pipelined GET and SET of one key in one visit to main. Setup: `k` holds a 64 KiB RAW
    /// value V. A (IO-1) sends `GET k`, `SET k <64 KiB W>`, `GET k` in one write: IO-1 parses all
    /// three ahead (argv created on IO-1), main runs them in one visit: a reference to V, the
    /// overwrite (V has count 2: the keyspace's reference goes, main releases it itself), a
    /// reference to W; SET's reclaim releases the argv reference to W's kvobj on main (count 2),
    /// the rest of its argv goes to IO-1. B (IO-2) runs `GET k` twice.
    /// INVARIANT: DATA_RACE / COUNT_CONSERVATION / LEAK: only main changes the count of an
    /// object others hold; REPLY_BYTES.
    /// Breaks if the reclaim hands argv objects with refcount > 1 to the IO thread
    /// (`reclaim-defers-shared-argv`): IO-1 decrements W's kvobj while main serves B.
    pub const PIPELINED_GET_SET_SAME_KEY: Scenario = Scenario {
        name: "pipelined_get_set_same_key",
        about: "a pipeline GET k; SET k; GET k run in one visit while another client reads k",
        spec: |o| Spec {
            cfg: o.cfg(2),
            setup: vec![cmd(&[b"SET", b"k", &big(b'a')])],
            clients: vec![
                pipelined(
                    1,
                    vec![
                        cmd(&[b"GET", b"k"]),
                        cmd(&[b"SET", b"k", &big(b'b')]),
                        cmd(&[b"GET", b"k"]),
                    ],
                ),
                client(2, vec![cmd(&[b"GET", b"k"]), cmd(&[b"GET", b"k"])]),
            ],
            bio_thread: false,
            needs_reply_refs: true,
        },
        fixed: Expect::Clean,
        catches: &[Catch {
            faults: &[Fault::ReclaimDefersSharedArgv],
            invariants: RACE,
            timing: Timing::Racy,
        }],
        overrides: &[Override {
            strategy: Strategy::Atomic,
            faults: &[Fault::ReclaimDefersSharedArgv],
            want: Want::Clean,
            why: "the IO thread's decrement is an atomic read-modify-write: no update is lost",
        }],
    };

    /// Upstream bug `exec-flushall-async-argv` (reports/findings/exec-flushall-async-argv.md).
    /// A (IO-1) sends `MULTI`, `SET k <64 KiB>`, `FLUSHALL ASYNC`, `EXEC`; a BIO thread runs.
    /// Inside EXEC, SET leaves a counted reference to the stored kvobj in its queued argv
    /// (`incrRefCount(*valref)`: count 2), held by `mstate` until EXEC returns; FLUSHALL ASYNC
    /// detaches the keyspace, protects reply references only (`protectClientReplyObjects`) and
    /// hands the keyspace to BIO, whose `decrRefCount` of that kvobj is unordered with main's
    /// own release of the argv reference when EXEC ends (`freeClientMultiState`).
    /// INVARIANT: DATA_RACE (or its lost update: COUNT_CONSERVATION / LEAK): BIO only decrements
    /// objects no other thread uses. Clean with the candidate fix `exec-flush-sync` (a flush
    /// inside EXEC frees on main).
    /// Negative control (fix on): queued argv released twice (`multi-queue-keeps-argv`: the
    /// reclaim after SET was queued hands the argv to IO-1, which frees it before EXEC uses it).
    pub const EXEC_SET_THEN_FLUSHALL_ASYNC: Scenario = Scenario {
        name: "exec_set_then_flushall_async",
        about: "exec-flushall-async-argv: MULTI; SET k; FLUSHALL ASYNC; EXEC: BIO frees the kvobj mstate holds",
        spec: |o| Spec {
            cfg: o.cfg(1),
            setup: vec![],
            clients: vec![client(
                1,
                vec![
                    cmd(&[b"MULTI"]),
                    cmd(&[b"SET", b"k", &big(b'a')]),
                    cmd(&[b"FLUSHALL", b"ASYNC"]),
                    cmd(&[b"EXEC"]),
                ],
            )],
            bio_thread: true,
            needs_reply_refs: false,
        },
        fixed: Expect::UpstreamBug(EXEC_FLUSH_ASYNC),
        catches: &[Catch {
            faults: &[Fault::MultiQueueKeepsArgv],
            invariants: ARGV_RELEASED_TWICE,
            timing: Timing::Deterministic,
        }],
        overrides: &[ATOMIC_CLEAN],
    };

    /// Upstream bug `exec-flushall-async-argv`, while another client's reply references k's old
    /// value. Setup: `k` holds a 64 KiB RAW value V. B (IO-2) runs `GET k` (a reply reference
    /// to V); A (IO-1) sends `MULTI`, `SET k <64 KiB>`, `FLUSHALL ASYNC`, `EXEC` as one pipeline
    /// (parsed ahead by IO-1, run by main in one visit); a BIO thread.
    /// INVARIANT: as [`EXEC_SET_THEN_FLUSHALL_ASYNC`] for the kvobj A's `mstate` holds, and
    /// PENDING_REF_REGISTRY (B is listed, so the flush protects its reference to V). Clean with
    /// `exec-flush-sync`.
    pub const EXEC_FLUSHALL_ASYNC_WITH_PENDING_REF: Scenario = Scenario {
        name: "exec_flushall_async_with_pending_ref",
        about: "exec-flushall-async-argv: a pipelined MULTI/SET/FLUSHALL ASYNC/EXEC while another client's reply references k",
        spec: |o| Spec {
            cfg: o.cfg(2),
            setup: vec![cmd(&[b"SET", b"k", &big(b'a')])],
            clients: vec![
                pipelined(
                    1,
                    vec![
                        cmd(&[b"MULTI"]),
                        cmd(&[b"SET", b"k", &big(b'b')]),
                        cmd(&[b"FLUSHALL", b"ASYNC"]),
                        cmd(&[b"EXEC"]),
                    ],
                ),
                client(2, vec![cmd(&[b"GET", b"k"])]),
            ],
            bio_thread: true,
            needs_reply_refs: false,
        },
        fixed: Expect::UpstreamBug(EXEC_FLUSH_ASYNC),
        catches: &[],
        overrides: &[ATOMIC_CLEAN],
    };

    /// A FLUSHALL ASYNC inside EXEC whose queued argv holds no stored value. Setup: `k` holds a
    /// 64 KiB value. A (IO-1) sends `MULTI`, `ECHO <64 KiB>`, `FLUSHALL ASYNC`, `EXEC`; a BIO
    /// thread. While EXEC runs, `mstate` holds ECHO's argv and EXEC's own argv is set aside
    /// (`orig_argv`); `protectClientReplyObjects` checks the running client's references
    /// against the ledger, and the detached keyspace (k's value only) is BIO's alone.
    /// INVARIANT: COUNT_CONSERVATION (the holder registry visits the queued argv and EXEC's
    /// own: regression of a model bug that reported them as unaccounted references) and
    /// PENDING_REF_REGISTRY (nothing of A's references the flushed value).
    /// Breaks if queued argv is released twice (`multi-queue-keeps-argv`).
    pub const EXEC_FLUSHALL_ASYNC_WITHOUT_STORED_ARGV: Scenario = Scenario {
        name: "exec_flushall_async_without_stored_argv",
        about: "MULTI; ECHO; FLUSHALL ASYNC; EXEC: the registry sees mstate and EXEC's argv, BIO owns k alone",
        spec: |o| Spec {
            cfg: o.cfg(1),
            setup: vec![cmd(&[b"SET", b"k", &big(b'a')])],
            clients: vec![client(
                1,
                vec![
                    cmd(&[b"MULTI"]),
                    cmd(&[b"ECHO", &big(b'e')]),
                    cmd(&[b"FLUSHALL", b"ASYNC"]),
                    cmd(&[b"EXEC"]),
                ],
            )],
            bio_thread: true,
            needs_reply_refs: false,
        },
        fixed: Expect::Clean,
        catches: &[Catch {
            faults: &[Fault::MultiQueueKeepsArgv],
            invariants: ARGV_RELEASED_TWICE,
            timing: Timing::Deterministic,
        }],
        overrides: &[],
    };
}

#[cfg(test)]
mod tests {
    use crate::explore::Explorer;
    use crate::scenarios::{find, Opts};
    use refrace_model::config::{Fix, FixSet};

    /// Finding `exec-flushall-async-argv` (reports/findings/exec-flushall-async-argv.md): at
    /// the pin the flush hands BIO a kvobj the transaction's argv still holds, and shuttle PCT
    /// finds it in each scenario; with the candidate fix `exec-flush-sync` the same 2000
    /// schedules are clean.
    #[test]
    fn the_pinned_code_shows_the_race_and_the_fix_removes_it() {
        for name in [
            "exec_set_then_flushall_async",
            "exec_flushall_async_with_pending_ref",
        ] {
            let sc = find(name).expect("a listed scenario");
            let o = crate::quiet::quietly(|| Explorer::PCT.run(sc, Opts::default(), 2000, 1));
            let f = o
                .first
                .unwrap_or_else(|| panic!("{}: no violation in 2000 PCT schedules", sc.name));
            let want = sc.finding().expect("an upstream-bug scenario").invariants;
            assert!(
                f.invariant.is_some_and(|i| want.contains(&i)),
                "{}: {:?}",
                sc.name,
                f.invariant
            );
            let fixed = Opts {
                fixes: FixSet::of(&[Fix::ExecFlushSync]),
                ..Opts::default()
            };
            let o = crate::quiet::quietly(|| Explorer::PCT.run(sc, fixed, 2000, 1));
            assert!(o.first.is_none(), "{}: {:?}", sc.name, o.first);
        }
    }
}
