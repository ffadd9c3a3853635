//! Clients that change threads or die while their replies reference values: CLIENT KILL from
//! another client (`freeClient` fetching the victim from its IO thread), a client killed while
//! a blocking FLUSH keeps it on main, the idle timeout and the output buffer limit (networking.c,
//! iothread.c, timeout.c).

use super::{big, client, Catch, Expect, Override, Scenario, Timing, Want};
use crate::world::{cmd, ClientSpec, Spec};
use refrace_model::config::{Fault, Strategy};
use refrace_model::Invariant;

/// Client ids in a world: the setup client is 1, then the spec's clients in order.
const A: &[u8] = b"2";

scenarios! {
    /// A (IO-1) GETs a 64 KiB value and drains it slowly (16 KiB per write, so its reference
    /// stays pending over several visits, and once written sits in `io_deferred_objects`); B
    /// (IO-1 too) sends `CLIENT KILL ID 2`: main fetches A from IO-1 (`fetchClientFromIOThread`,
    /// pausing it), keeps it on main (`keepClientInMainThread`: its deferred objects released on
    /// main) and frees it, releasing what its reply still references.
    /// INVARIANT: COUNT_CONSERVATION / LEAK / USE_AFTER_FREE / CLIENT_OWNERSHIP: every reference
    /// is released once, on main, from a client main owns.
    /// Breaks if `freeClient` forgets the io-deferred references (`free-client-keeps-io-deferred`:
    /// LEAK, when the kill catches A between its last write and its hand-in).
    pub const CLIENT_KILL_WITH_PENDING_REFERENCE: Scenario = Scenario {
        name: "client_kill_with_pending_reference",
        about: "CLIENT KILL of a client whose reply references a value",
        spec: |o| Spec {
            cfg: o.cfg(2),
            setup: vec![cmd(&[b"SET", b"k", &big(b'a')])],
            clients: vec![
                ClientSpec {
                    io: 1,
                    script: vec![cmd(&[b"GET", b"k"])],
                    sndbuf: Some(16 * 1024),
                    ..ClientSpec::default()
                },
                client(2, vec![cmd(&[b"CLIENT", b"KILL", b"ID", A])]),
            ],
            bio_thread: false,
            needs_reply_refs: false,
        },
        fixed: Expect::Clean,
        catches: &[Catch {
            faults: &[Fault::FreeClientKeepsIoDeferred],
            invariants: &[Invariant::Leak, Invariant::CountConservation],
            timing: Timing::Rare,
        }],
        overrides: &[
            Override {
                strategy: Strategy::Atomic,
                faults: &[Fault::FreeClientKeepsIoDeferred],
                want: Want::Clean,
                why: "IO threads release their sent references themselves: io_deferred_objects stays empty",
            },
            Override {
                strategy: Strategy::Epoch,
                faults: &[Fault::FreeClientKeepsIoDeferred],
                want: Want::Clean,
                why: "IO threads end their borrows themselves: io_deferred_objects stays empty",
            },
        ],
    };

    /// A (IO-1) sends FLUSHALL (a blocking async flush: A is blocked and kept on main until
    /// BIO's completion request runs); B (also on IO-1) kills A. When the kill comes first, the
    /// completion finds no client (`unblockClientForAsyncFlush`'s lookup) and does nothing.
    /// INVARIANT: USE_AFTER_FREE: a completion never touches a freed client; STUCK: main's loop
    /// ends with every client gone.
    /// Breaks if the completion skips the lookup (`flush-done-stale-client`).
    pub const CLIENT_KILL_WHILE_BLOCKED_BY_FLUSH: Scenario = Scenario {
        name: "client_kill_while_blocked_by_flush",
        about: "CLIENT KILL of a client a blocking FLUSHALL keeps on main",
        spec: |o| Spec {
            cfg: o.cfg(1),
            setup: vec![cmd(&[b"SET", b"k", b"v"])],
            clients: vec![
                client(1, vec![cmd(&[b"FLUSHALL"])]),
                client(1, vec![cmd(&[b"CLIENT", b"KILL", b"ID", A])]),
            ],
            bio_thread: true,
            needs_reply_refs: false,
        },
        fixed: Expect::Clean,
        catches: &[Catch {
            faults: &[Fault::FlushDoneStaleClient],
            invariants: &[Invariant::UseAfterFree],
            timing: Timing::Racy,
        }],
        overrides: &[],
    };

    /// `timeout 1`: A (IO-1) GETs a 64 KiB value but its peer reads nothing (each visit of the
    /// IO cron is a second on the model's clock), so main's client cron frees it for idleness
    /// with the reference unsent; meanwhile B (also on IO-1) overwrites the key.
    /// INVARIANT: COUNT_CONSERVATION / LEAK / DATA_RACE: the idle client's references are
    /// released on main, once.
    pub const CLIENT_TIMEOUT_WITH_PENDING_REFERENCE: Scenario = Scenario {
        name: "client_timeout_with_pending_reference",
        about: "idle timeout of a client whose unsent reply references a value",
        spec: |o| {
            let mut cfg = o.cfg(1);
            cfg.maxidletime = 1;
            Spec {
                cfg,
                setup: vec![cmd(&[b"SET", b"k", &big(b'a')])],
                clients: vec![
                    ClientSpec {
                        io: 1,
                        script: vec![cmd(&[b"GET", b"k"])],
                        sndbuf: Some(0),
                        ..ClientSpec::default()
                    },
                    client(1, vec![cmd(&[b"SET", b"k", &big(b'b')])]),
                ],
                bio_thread: false,
                needs_reply_refs: false,
            }
        },
        fixed: Expect::Clean,
        catches: &[],
        overrides: &[],
    };

    /// `client-output-buffer-limit normal 1000 0 0`: A's MGET replies with a reference to a
    /// 64 KiB value (at the pin referenced bytes do not count) and then a 2,000-byte copy,
    /// which reaches the limit: `freeClientAsync` (CLOSE_ASAP), and main frees A with its
    /// reference unsent.
    /// INVARIANT: COUNT_CONSERVATION / LEAK: the reference is released once, on main.
    pub const OUTPUT_LIMIT_WITH_PENDING_REFERENCE: Scenario = Scenario {
        name: "output_limit_with_pending_reference",
        about: "the output buffer limit closes a client whose reply references a value",
        spec: |o| {
            let mut cfg = o.cfg(1);
            cfg.client_obuf_normal_hard = 1000;
            Spec {
                cfg,
                setup: vec![
                    cmd(&[b"SET", b"k", &big(b'a')]),
                    cmd(&[b"SET", b"small", &[b's'; 2000]]),
                ],
                clients: vec![client(1, vec![cmd(&[b"MGET", b"k", b"small"])])],
                bio_thread: false,
                needs_reply_refs: true,
            }
        },
        fixed: Expect::Clean,
        catches: &[],
        overrides: &[],
    };
}
