//! A reply's references to values (Reply Copy Avoidance, redis#14608): taken by main, carried
//! to the client's IO thread, released after the write (or at close), accounted in
//! `clients_reply_refs`, and protected when FLUSHALL ASYNC hands the keyspace to BIO.

use super::{big, client, Catch, Expect, Override, Scenario, Timing, Want};
use crate::world::{cmd, ClientSpec, Spec};
use refrace_model::config::{Fault, Strategy};
use refrace_model::Invariant;

scenarios! {
    /// GET then DEL then close: A's reply references V, A deletes `k` (V's last holder is A's
    /// io-deferred reference), then A closes (`releaseAllBufReferences`).
    /// INVARIANT: REFCOUNT_UNDERFLOW / DOUBLE_FREE: each reference is released exactly once;
    /// FREE_UNKNOWN: only allocation starts are freed; CLIENT_OWNERSHIP: only the thread a
    /// client runs on touches it.
    /// Breaks if a sent reference is not set to NULL (`keep-sent-ref`): `freeClient` releases it
    /// again. Redis's #13888 panic names that; with `decr-free-at-one` only the ledger does. Also
    /// breaks if an EMBSTR's embedded sds is freed on its own (`free-embstr-payload`), and if
    /// main hands A back without its ownership (`main-keeps-ownership`: CLIENT_OWNERSHIP).
    pub const GET_DEL_THEN_CLOSE: Scenario = Scenario {
        name: "get_del_then_close",
        about: "GET, DEL, close: each reference released exactly once",
        spec: |o| Spec {
            cfg: o.cfg(1),
            setup: vec![cmd(&[b"SET", b"k", &big(b'a')])],
            clients: vec![client(1, vec![cmd(&[b"GET", b"k"]), cmd(&[b"DEL", b"k"])])],
            bio_thread: false,
            needs_reply_refs: true,
        },
        fixed: Expect::Clean,
        catches: &[
            Catch {
                faults: &[Fault::KeepSentRef],
                invariants: &[Invariant::RefcountUnderflow],
                timing: Timing::Deterministic,
            },
            Catch {
                faults: &[Fault::KeepSentRef, Fault::DecrFreeAtOne],
                invariants: &[Invariant::DoubleFree],
                timing: Timing::Deterministic,
            },
            Catch {
                faults: &[Fault::FreeEmbstrPayload],
                invariants: &[Invariant::FreeUnknown],
                timing: Timing::Deterministic,
            },
            Catch {
                faults: &[Fault::MainKeepsOwnership],
                invariants: &[Invariant::ClientOwnership],
                timing: Timing::Deterministic,
            },
        ],
        overrides: &[Override {
            strategy: Strategy::Epoch,
            faults: &[Fault::KeepSentRef],
            want: Want::Caught(&[Invariant::CountConservation]),
            why: "the second release ends a borrow that already ended (no count to underflow)",
        }],
    };

    /// Several clients, then FLUSHALL ASYNC: A's reply references V and drains slowly (48 KiB per
    /// write, so A returns to main on the IO cron with its reference unsent); B, on the same IO
    /// thread, pings and then flushes asynchronously (so the flush can land after A's cron
    /// hand-back); BIO frees the detached keyspace concurrently.
    /// INVARIANT: PENDING_REF_REGISTRY: every client holding a reference is listed, so
    /// `protectClientReplyObjects` copies it before BIO owns the old keyspace.
    /// Breaks if A is unlinked while references remain (`unlink-pending-early`), or if
    /// protection unlinks A without copying its reference (`protect-skips-reply`, the holder
    /// registry's reply-buffer control: BIO would own V while A's reply still holds it).
    pub const FLUSHALL_ASYNC_WITH_PENDING_REFS: Scenario = Scenario {
        name: "flushall_async_with_pending_refs",
        about: "FLUSHALL ASYNC while a slow client still references a value",
        spec: |o| Spec {
            cfg: o.cfg(1),
            setup: vec![cmd(&[b"SET", b"k", &big(b'a')])],
            clients: vec![
                ClientSpec {
                    io: 1,
                    script: vec![cmd(&[b"GET", b"k"])],
                    sndbuf: Some(48 * 1024),
                    hangup: false,
                    pipeline: false,
                },
                client(1, vec![cmd(&[b"PING"]), cmd(&[b"FLUSHALL", b"ASYNC"])]),
            ],
            bio_thread: true,
            needs_reply_refs: false,
        },
        fixed: Expect::Clean,
        catches: &[Catch {
            faults: &[Fault::UnlinkPendingEarly],
            invariants: &[
                Invariant::PendingRefRegistry,
                Invariant::DataRace,
                Invariant::CountConservation,
                Invariant::Leak,
            ],
            timing: Timing::Racy,
        }, Catch {
            faults: &[Fault::ProtectSkipsReply],
            invariants: &[Invariant::PendingRefRegistry],
            timing: Timing::Racy,
        }],
        overrides: &[],
    };

    /// #14934 review (variant 14934). A's reply references V; the key is deleted; the IO
    /// thread writes the reply (deferred release), main drains and frees V; then a new kvobj
    /// reuses V's address and A's next reply references it.
    /// INVARIANT: REPLY_REFS_ACCOUNTED: no `clients_reply_refs` entry outlives its object.
    /// Breaks if the deferred release never untracks (`untracked-io-release`).
    pub const DEFERRED_RELEASE_THEN_ADDRESS_REUSE: Scenario = Scenario {
        name: "deferred_release_then_address_reuse",
        about: "#14934: deferred release, free, then address reuse",
        spec: |o| Spec {
            cfg: o.cfg_14934(1),
            setup: vec![cmd(&[b"SET", b"k", &big(b'a')])],
            clients: vec![client(
                1,
                vec![
                    cmd(&[b"GET", b"k"]),
                    cmd(&[b"DEL", b"k"]),
                    cmd(&[b"SET", b"k3", &big(b'c')]),
                    cmd(&[b"GET", b"k3"]),
                ],
            )],
            bio_thread: false,
            needs_reply_refs: true,
        },
        fixed: Expect::Clean,
        catches: &[Catch {
            faults: &[Fault::UntrackedIoRelease],
            invariants: &[Invariant::ReplyRefsAccounted],
            timing: Timing::Deterministic,
        }],
        overrides: &[],
    };

    /// #14934 branch (variant 14934). MGET of one key twice: A's reply holds two references to
    /// V, so `clients_reply_refs[V][A]` counts 2; both are released on main after the IO
    /// thread wrote them (`freeClientIODeferredObjects`).
    /// INVARIANT: REPLY_REFS_ACCOUNTED: the entry empties when the last reference goes.
    /// Breaks if `replyRefsUntrackClient` increments a count above 1 (`untrack-increments`, the
    /// branch's code at f36ee257): the entry outlives V.
    pub const MGET_SAME_KEY_TWICE: Scenario = Scenario {
        name: "mget_same_key_twice",
        about: "#14934: two references of one client to one value, untracked one by one",
        spec: |o| Spec {
            cfg: o.cfg_14934(1),
            setup: vec![cmd(&[b"SET", b"k", &big(b'a')])],
            clients: vec![client(1, vec![cmd(&[b"MGET", b"k", b"k"])])],
            bio_thread: false,
            needs_reply_refs: true,
        },
        fixed: Expect::Clean,
        catches: &[Catch {
            faults: &[Fault::UntrackIncrements],
            invariants: &[Invariant::ReplyRefsAccounted],
            timing: Timing::Deterministic,
        }],
        overrides: &[],
    };

    /// ECHO of a 64 KiB argument: the reply references the argv object itself (count 2); main
    /// drops the argv reference in `reclaimPendingCommand` instead of shipping it to the IO
    /// thread.
    /// INVARIANT: COUNT_CONSERVATION / LEAK.
    pub const ECHO_ARGV_REFERENCE: Scenario = Scenario {
        name: "echo_argv_reference",
        about: "ECHO's reply references its own argv object",
        spec: |o| Spec {
            cfg: o.cfg(1),
            setup: vec![],
            clients: vec![client(1, vec![cmd(&[b"ECHO", &big(b'e')])])],
            bio_thread: false,
            needs_reply_refs: true,
        },
        fixed: Expect::Clean,
        catches: &[Catch {
            faults: &[Fault::ReclaimKeepsReleasedArgv],
            invariants: &[Invariant::CountConservation],
            timing: Timing::Deterministic,
        }],
        overrides: &[Override {
            strategy: Strategy::Epoch,
            faults: &[Fault::ReclaimKeepsReleasedArgv],
            want: Want::Clean,
            why: "the reply borrows the argument without counting it: it is not shared, so main releases nothing early",
        }],
    };

    /// FLUSHALL ASYNC while a client's sent reference waits in `io_deferred_objects`: A (IO-1)
    /// GETs V (its reply references V), IO-1 writes it and keeps the reference for main; B
    /// (IO-2) flushes asynchronously. In the schedules where B's flush runs while A waits in
    /// main's inbox, A is listed with V in its io-deferred list.
    /// INVARIANT: PENDING_REF_REGISTRY: `protectClientReplyObjects` drains A's io-deferred
    /// references on main before BIO owns the old keyspace.
    /// Breaks if protection unlinks A without draining them (`protect-skips-io-deferred`, the
    /// holder registry's io-deferred control).
    pub const FLUSHALL_ASYNC_WITH_IO_DEFERRED_REFS: Scenario = Scenario {
        name: "flushall_async_with_io_deferred_refs",
        about: "FLUSHALL ASYNC while a sent reference waits for main in io_deferred_objects",
        spec: |o| Spec {
            cfg: o.cfg(2),
            setup: vec![cmd(&[b"SET", b"k", &big(b'a')])],
            clients: vec![
                client(1, vec![cmd(&[b"GET", b"k"]), cmd(&[b"PING"])]),
                client(2, vec![cmd(&[b"FLUSHALL", b"ASYNC"])]),
            ],
            bio_thread: false,
            needs_reply_refs: false,
        },
        fixed: Expect::Clean,
        catches: &[Catch {
            faults: &[Fault::ProtectSkipsIoDeferred],
            invariants: &[Invariant::PendingRefRegistry],
            timing: Timing::Racy,
        }],
        overrides: &[],
    };

    /// FLUSHALL ASYNC while a client living on the main thread still references a value: A
    /// (main) GETs V through a 48 KiB socket buffer, so its reference stays in the reply while
    /// main goes on serving; B (IO-1) flushes asynchronously.
    /// INVARIANT: PENDING_REF_REGISTRY: protection reaches listed clients wherever they are,
    /// including the ones living on main.
    /// Breaks if protection looks in the IO threads' queues only (`protect-skips-main-clients`,
    /// the holder registry's control for clients on main).
    pub const FLUSHALL_ASYNC_WITH_MAIN_CLIENT_REFS: Scenario = Scenario {
        name: "flushall_async_with_main_client_refs",
        about: "FLUSHALL ASYNC while a client on the main thread still references a value",
        spec: |o| Spec {
            cfg: o.cfg(1),
            setup: vec![cmd(&[b"SET", b"k", &big(b'a')])],
            clients: vec![
                ClientSpec {
                    io: crate::world::MAIN,
                    script: vec![cmd(&[b"GET", b"k"])],
                    sndbuf: Some(48 * 1024),
                    ..ClientSpec::default()
                },
                client(1, vec![cmd(&[b"PING"]), cmd(&[b"FLUSHALL", b"ASYNC"])]),
            ],
            bio_thread: true,
            needs_reply_refs: false,
        },
        fixed: Expect::Clean,
        catches: &[Catch {
            faults: &[Fault::ProtectSkipsMainClients],
            invariants: &[Invariant::PendingRefRegistry],
            timing: Timing::Racy,
        }],
        overrides: &[],
    };

    /// A client that sends what looks like HTTP is freed at once (`securityWarningCommand`,
    /// `freeClientAsync`): A (IO-1) overwrites a 64 KiB value (the old value goes to IO-1 to
    /// free) and then sends `POST / HTTP/1.1`; main frees A right after the command, with that
    /// command's argv bundle still in A's `deferred_objects`.
    /// INVARIANT: COUNT_CONSERVATION (through the ledger's holders): a freed client holds
    /// nothing any more.
    /// Breaks if `freeClient` forgets the deferred objects (`free-client-skips-deferred`, the
    /// holder registry's deferred control).
    pub const HTTP_POST_FREES_CLIENT_WITH_DEFERRED: Scenario = Scenario {
        name: "http_post_frees_client_with_deferred",
        about: "a client freed at once (POST) while its deferred_objects hold its last argv",
        spec: |o| Spec {
            cfg: o.cfg(1),
            setup: vec![cmd(&[b"SET", b"k", &big(b'a')])],
            clients: vec![client(
                1,
                vec![
                    cmd(&[b"SET", b"k", &big(b'b')]),
                    cmd(&[b"POST", b"/", b"HTTP/1.1"]),
                ],
            )],
            bio_thread: false,
            needs_reply_refs: false,
        },
        fixed: Expect::Clean,
        catches: &[Catch {
            faults: &[Fault::FreeClientSkipsDeferred],
            invariants: &[Invariant::CountConservation],
            timing: Timing::Deterministic,
        }],
        overrides: &[],
    };
}
