//! Scenarios that reproduce an upstream bug at the pin (a *finding*): the fixed model, which
//! follows the pinned C code, breaks an invariant in them. They are kept out of the lanes'
//! list ([`super::SCENARIOS`]) until the "upstream bug" expectation and the `--fix` catalogue
//! exist (`refrace explore --scenario` and `replay` reach them through [`super::find`]); each
//! names its write-up under `reports/findings/`.

use super::{big, client, pipelined, Catch, Expect, Scenario, Timing};
use crate::world::{cmd, Spec};
use refrace_model::config::Fault;
use refrace_model::Invariant;

scenarios! {
    /// A transaction that stores a value and flushes in the same EXEC. A (IO-1) sends `MULTI`,
    /// `SET k <64 KiB>`, `FLUSHALL ASYNC`, `EXEC`; a BIO thread runs. Inside EXEC, SET leaves a
    /// counted reference to the stored kvobj in its queued argv (`incrRefCount(*valref)`), held
    /// by `mstate` until EXEC returns; FLUSHALL ASYNC detaches the keyspace, protects reply
    /// references only (`protectClientReplyObjects`) and hands the keyspace to BIO, whose
    /// `decrRefCount` of that kvobj (2→1) is unordered with main's own release of the argv
    /// reference when EXEC ends (`freeClientMultiState`).
    /// INVARIANT: DATA_RACE / COUNT_CONSERVATION / LEAK: BIO only decrements objects no other
    /// thread uses.
    /// Breaks if queued argv is released twice (`multi-queue-keeps-argv`: the reclaim after
    /// SET was queued hands the argv to IO-1, which frees it before EXEC uses it).
    pub const EXEC_SET_THEN_FLUSHALL_ASYNC: Scenario = Scenario {
        name: "exec_set_then_flushall_async",
        about: "MULTI; SET k; FLUSHALL ASYNC; EXEC: BIO frees the keyspace while mstate holds k's kvobj",
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

    /// The transaction of [`EXEC_SET_THEN_FLUSHALL_ASYNC`] while another client's reply
    /// references k's old value. Setup: `k` holds a 64 KiB RAW value V. B (IO-2) runs `GET k`
    /// (a reply reference to V); A (IO-1) sends `MULTI`, `SET k <64 KiB>`, `FLUSHALL ASYNC`,
    /// `EXEC` as one pipeline (parsed ahead by IO-1, run by main in one visit); a BIO thread.
    /// INVARIANT: PENDING_REF_REGISTRY (B is listed, so the flush protects its reference to V),
    /// and as above for the kvobj A's `mstate` holds.
    /// Breaks if a client holding references is unlisted early (`unlink-pending-early`).
    pub const EXEC_FLUSHALL_ASYNC_WITH_PENDING_REF: Scenario = Scenario {
        name: "exec_flushall_async_with_pending_ref",
        about: "a pipelined MULTI/SET/FLUSHALL ASYNC/EXEC while another client's reply references k",
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
        fixed: Expect::Clean,
        catches: &[],
        overrides: &[],
    };

}

#[cfg(test)]
mod tests {
    use super::ALL;
    use crate::explore::Explorer;
    use crate::scenarios::{Opts, RACE};

    /// Finding `exec-flushall-async-argv` (reports/findings/exec-flushall-async-argv.md): at
    /// the pin, BIO's release of the flushed keyspace races main's release of the transaction's
    /// argv; shuttle PCT finds it in each scenario.
    #[test]
    fn the_pinned_code_shows_the_race() {
        for sc in ALL {
            let o = crate::quiet::quietly(|| Explorer::PCT.run(sc, Opts::default(), 2000, 1));
            let f = o
                .first
                .unwrap_or_else(|| panic!("{}: no violation in 2000 PCT schedules", sc.name));
            assert!(
                f.invariant.is_some_and(|i| RACE.contains(&i)),
                "{}: {:?}",
                sc.name,
                f.invariant
            );
        }
    }
}
