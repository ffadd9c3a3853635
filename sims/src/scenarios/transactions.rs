//! Transactions and pipelines: argv objects that outlive their command. MULTI keeps each queued
//! command's argv in `mstate` until EXEC ends (multi.c); a pipeline's commands are parsed ahead
//! by the IO thread and run by main in one visit, each reclaimed after it ran (#14440,
//! networking.c `reclaimPendingCommand`).

use super::{big, client, pipelined, Catch, Expect, Override, Scenario, Timing, Want, RACE};
use crate::world::{cmd, Spec};
use refrace_model::config::{Fault, Strategy};
use refrace_model::Invariant;

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
            invariants: &[
                Invariant::UseAfterFree,
                Invariant::DoubleFree,
                Invariant::RefcountUnderflow,
            ],
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
}
