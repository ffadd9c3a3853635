//! Scenarios, written once and run by every explorer. Each is a plain function that describes its
//! own world as data (a [`Spec`]); [`Scenario::run`] builds it, spawns at most 3 threads (IO-1,
//! IO-2, BIO), runs a few commands, joins, drives the server to quiescence and asserts the
//! ledger.
//!
//! Expectations are data ([`Scenario::fixed`], [`Scenario::catches`]): with no fault a scenario
//! is clean (or, where stated, ends in Redis's own deliberate panic); with a fault listed in
//! `catches` it must fail with one of the named invariants. That is the negative control of each
//! invariant.
//!
//! Strategies ([`Strategy`]) add a dimension, also as data: a catch holds under every strategy
//! its faults apply to ([`Fault::applies_to`]) unless the scenario lists an [`Override`] for
//! that strategy and fault set, e.g. `defer-shared-free` must run **clean** under atomic and
//! epoch (the #14738 guard is needed by confinement only). [`Scenario::expect`] resolves it.

use crate::world::{cmd, run, ClientSpec, Spec};
use refrace_model::config::{Config, Fault, FaultSet, Strategy};
use refrace_model::sync::WordMode;

/// Per-run options every scenario takes.
#[derive(Copy, Clone, Debug, Default)]
pub struct Opts {
    /// Faults switched on.
    pub faults: FaultSet,
    /// How loom models the refcount word.
    pub word_mode: WordMode,
    /// Reclamation strategy (Redis's confinement by default).
    pub strategy: Strategy,
}

impl Opts {
    /// Faults from `REFRACE_FAULT`; an unknown name is an error.
    pub fn from_env() -> Result<Opts, refrace_model::ConfigError> {
        Ok(Opts {
            faults: FaultSet::from_env()?,
            word_mode: WordMode::default(),
            strategy: match std::env::var("REFRACE_STRATEGY") {
                Ok(v) => Strategy::parse(&v)?,
                Err(_) => Strategy::default(),
            },
        })
    }

    fn cfg(&self, io_threads: usize) -> Config {
        Config {
            io_threads_num: io_threads + 1,
            faults: self.faults,
            word_mode: self.word_mode,
            strategy: self.strategy,
            ..Config::default()
        }
    }
}

/// What the fixed model must do in a scenario.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// No invariant breaks.
    Clean,
    /// Redis's own guard panics with this invariant (the intended outcome at a limit).
    Guard(&'static str),
}

/// With these faults on, the scenario must fail with one of these invariants.
#[derive(Copy, Clone, Debug)]
pub struct Catch {
    /// Faults switched on together.
    pub faults: &'static [Fault],
    /// Acceptable invariant names.
    pub invariants: &'static [&'static str],
}

impl Catch {
    /// Whether every fault of the catch changes code that `s` runs.
    pub fn applies_to(&self, s: Strategy) -> bool {
        self.faults.iter().all(|f| f.applies_to(s))
    }
}

/// What a strategy changes in a scenario: the outcome wanted for one fault set.
#[derive(Copy, Clone, Debug)]
pub struct Override {
    /// The strategy.
    pub strategy: Strategy,
    /// Faults switched on together (empty: the fixed model).
    pub faults: &'static [Fault],
    /// The outcome wanted.
    pub want: Want,
    /// Why, in one line.
    pub why: &'static str,
}

/// An outcome wanted under an [`Override`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Want {
    /// No invariant breaks (the strategy makes the fault harmless, or the fixed model clean).
    Clean,
    /// The fault must be caught with one of these invariants.
    Caught(&'static [&'static str]),
}

/// What one run (scenario × faults × strategy) must show, resolved by [`Scenario::expect`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Expectation {
    /// The fixed model's outcome.
    Fixed(Expect),
    /// Caught with one of these invariants.
    Caught(&'static [&'static str]),
    /// Clean: the strategy makes these faults harmless (with the reason).
    Immune(&'static str),
    /// A fault that does not change code this strategy runs (not run).
    NotApplicable,
    /// The scenario does not list these faults (run as information).
    NotListed,
}

/// A scenario and its expectations.
#[derive(Copy, Clone, Debug)]
pub struct Scenario {
    /// Name (equal to the test names in every explorer lane).
    pub name: &'static str,
    /// One line: what it exercises.
    pub about: &'static str,
    /// The scenario as data: the world to run under `Opts` (a counterexample carries, and may
    /// shrink, this spec).
    pub spec: fn(&Opts) -> Spec,
    /// Outcome on the fixed model.
    pub fixed: Expect,
    /// Faults it must catch.
    pub catches: &'static [Catch],
    /// What the atomic and epoch strategies change (none: as under confinement).
    pub overrides: &'static [Override],
}

/// A value big enough for copy avoidance with 2..6 IO threads (64 KiB).
pub fn big(tag: u8) -> Vec<u8> {
    vec![tag; 64 * 1024]
}

fn client(io: u8, script: Vec<Vec<Vec<u8>>>) -> ClientSpec {
    ClientSpec {
        io,
        script,
        sndbuf: None,
    }
}

/// #14738. Setup: `k` holds a 64 KiB RAW value V; two IO threads. A runs `GET k` (its reply
/// references V: count 2) while B runs `SET k v2`, which disposes of V.
/// INVARIANT: COUNT_CONSERVATION / LEAK / DATA_RACE: V's count is only ever changed by main.
/// Breaks if `dbSetValue` defers V to B's IO thread without `refcount == 1`: IO-2's decrement
/// races main's release of A's reference (both hand-back orders are explored).
pub fn get_reply_ref_vs_overwrite(o: &Opts) -> Spec {
    Spec {
        cfg: o.cfg(2),
        setup: vec![cmd(&[b"SET", b"k", &big(b'a')])],
        clients: vec![
            client(1, vec![cmd(&[b"GET", b"k"])]),
            client(2, vec![cmd(&[b"SET", b"k", b"v2"])]),
        ],
        bio_thread: false,
        needs_reply_refs: false,
    }
}

/// GET then DEL then close: A's reply references V, A deletes `k` (V's last holder is A's
/// io-deferred reference), then A closes (`releaseAllBufReferences`).
/// INVARIANT: REFCOUNT_UNDERFLOW / DOUBLE_FREE: each reference is released exactly once;
/// FREE_UNKNOWN: only allocation starts are freed.
/// Breaks if a sent reference is not set to NULL (`keep-sent-ref`): `freeClient` releases it
/// again. Redis's #13888 panic names that; with `decr-free-at-one` only the ledger does. Also
/// breaks if an EMBSTR's embedded sds is freed on its own (`free-embstr-payload`).
pub fn get_del_then_close(o: &Opts) -> Spec {
    Spec {
        cfg: o.cfg(1),
        setup: vec![cmd(&[b"SET", b"k", &big(b'a')])],
        clients: vec![client(1, vec![cmd(&[b"GET", b"k"]), cmd(&[b"DEL", b"k"])])],
        bio_thread: false,
        needs_reply_refs: true,
    }
}

/// Several clients, then FLUSHALL ASYNC: A's reply references V and drains slowly (48 KiB per
/// write, so A returns to main on the IO cron with its reference unsent); B, on the same IO
/// thread, pings and then flushes asynchronously (so the flush can land after A's cron
/// hand-back); BIO frees the detached keyspace concurrently.
/// INVARIANT: PENDING_REF_REGISTRY: every client holding a reference is listed, so
/// `protectClientReplyObjects` copies it before BIO owns the old keyspace.
/// Breaks if A is unlinked while references remain (`unlink-pending-early`).
pub fn flushall_async_with_pending_refs(o: &Opts) -> Spec {
    Spec {
        cfg: o.cfg(1),
        setup: vec![cmd(&[b"SET", b"k", &big(b'a')])],
        clients: vec![
            ClientSpec {
                io: 1,
                script: vec![cmd(&[b"GET", b"k"])],
                sndbuf: Some(48 * 1024),
            },
            client(1, vec![cmd(&[b"PING"]), cmd(&[b"FLUSHALL", b"ASYNC"])]),
        ],
        bio_thread: true,
        needs_reply_refs: false,
    }
}

/// #14934 review. A's reply references V; the key is deleted; the IO thread writes the reply
/// (deferred release), main drains and frees V; then a new kvobj reuses V's address and A's
/// next reply references it.
/// INVARIANT: REPLY_REFS_ACCOUNTED: no `clients_reply_refs` entry outlives its object.
/// Breaks if the deferred release never untracks (`untracked-io-release`).
pub fn deferred_release_then_address_reuse(o: &Opts) -> Spec {
    Spec {
        cfg: o.cfg(1),
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
    }
}

/// ECHO of a 64 KiB argument: the reply references the argv object itself (count 2); main
/// drops the argv reference in `reclaimPendingCommand` instead of shipping it to the IO thread.
/// INVARIANT: COUNT_CONSERVATION / LEAK.
pub fn echo_argv_reference(o: &Opts) -> Spec {
    Spec {
        cfg: o.cfg(1),
        setup: vec![],
        clients: vec![client(1, vec![cmd(&[b"ECHO", &big(b'e')])])],
        bio_thread: false,
        needs_reply_refs: true,
    }
}

/// GETEX EX on a referenced value: the reply references V, then `kvobjSetExpire` must grow the
/// kvobj; with count 2 `kvobjSet` duplicates the string and the reply keeps the old one.
/// INVARIANT: USE_AFTER_FREE: the IO thread only reads live objects.
/// Breaks if the kvobj is reallocated in place although referenced (`realloc-shared-kvobj`).
pub fn getex_ex_on_referenced_value(o: &Opts) -> Spec {
    Spec {
        cfg: o.cfg(1),
        setup: vec![cmd(&[b"SET", b"k", &big(b'a')])],
        clients: vec![client(
            1,
            vec![cmd(&[b"GETEX", b"k", b"EX", b"100"]), cmd(&[b"GET", b"k"])],
        )],
        bio_thread: false,
        needs_reply_refs: true,
    }
}

/// #14647 with a 3-bit refcount (usable counts up to 5): MGET of one key five times takes five
/// references on top of the keyspace's.
/// INVARIANT: REFCOUNT_OVERFLOW: a count never steps onto the STATIC sentinel. The fixed model
/// hits Redis's own guard instead (`REFCOUNT_LIMIT`: "retain an object with maximum refcount").
/// Breaks if `incrRefCount` compares with `< FIRST_SPECIAL` (`incr-off-by-one`).
pub fn mget_saturates_refcount(o: &Opts) -> Spec {
    let mut cfg = o.cfg(1);
    cfg.refcount_bits = 3;
    Spec {
        cfg,
        setup: vec![cmd(&[b"SET", b"k", &big(b'a')])],
        clients: vec![client(
            1,
            vec![cmd(&[b"MGET", b"k", b"k", b"k", b"k", b"k"])],
        )],
        bio_thread: false,
        needs_reply_refs: true,
    }
}

/// Didi's leak: CLUSTER GETKEYSINSLOT on a slot holding two keys; the keys come back as owned
/// objects that the caller must release.
/// INVARIANT: LEAK: allocations made during a command are freed or reachable when it ends.
/// Breaks if the caller frees only the array (`getkeysinslot-owned-leak`).
pub fn getkeysinslot_owned_keys(o: &Opts) -> Spec {
    let mut cfg = o.cfg(1);
    cfg.cluster_enabled = true;
    let slot = refrace_model::commands::key_hash_slot(b"{user}").to_string();
    Spec {
        cfg,
        setup: vec![
            cmd(&[b"SET", b"{user}:1", b"a"]),
            cmd(&[b"SET", b"{user}:2", b"b"]),
            cmd(&[b"SET", b"other", b"c"]),
        ],
        clients: vec![client(
            1,
            vec![cmd(&[b"CLUSTER", b"GETKEYSINSLOT", slot.as_bytes(), b"10"])],
        )],
        bio_thread: false,
        needs_reply_refs: false,
    }
}

/// #4601: RENAME retains the value while deleting the old name with `lazyfree-lazy-server-del`,
/// so `freeObjAsync` sees a 65-node list with count 2; then A deletes the new name on main.
/// INVARIANT: DATA_RACE / COUNT_CONSERVATION / LEAK: BIO only frees what it owns outright.
/// Breaks if `freeObjAsync` drops its `refcount == 1` clause (`bio-free-shared`).
pub fn rename_big_list_lazy_server_del(o: &Opts) -> Spec {
    let mut cfg = o.cfg(1);
    cfg.lazyfree_lazy_server_del = true;
    let mut push: Vec<Vec<u8>> = vec![b"RPUSH".to_vec(), b"L".to_vec()];
    push.extend((0..65).map(|i| format!("e{i}").into_bytes()));
    Spec {
        cfg,
        setup: vec![push],
        clients: vec![client(
            1,
            vec![cmd(&[b"RENAME", b"L", b"L2"]), cmd(&[b"DEL", b"L2"])],
        )],
        bio_thread: true,
        needs_reply_refs: false,
    }
}

const RACE: &[&str] = &["DATA_RACE", "COUNT_CONSERVATION", "LEAK"];

const NO_GUARD_NEEDED: &str = "the #14738 guard is not needed: atomic decrements lose no update";

/// Every scenario.
pub static SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "get_reply_ref_vs_overwrite",
        about: "#14738: GET's reply references V while SET disposes of V",
        spec: get_reply_ref_vs_overwrite,
        fixed: Expect::Clean,
        catches: &[
            Catch {
                faults: &[Fault::DeferSharedFree],
                invariants: RACE,
            },
            Catch {
                faults: &[Fault::AtomicSplitRmw],
                invariants: &["COUNT_CONSERVATION", "LEAK"],
            },
            Catch {
                faults: &[Fault::EpochUnpinnedWrite],
                invariants: &["USE_AFTER_FREE"],
            },
        ],
        overrides: &[Override {
            strategy: Strategy::Atomic,
            faults: &[Fault::DeferSharedFree],
            want: Want::Clean,
            why: NO_GUARD_NEEDED,
        }],
    },
    Scenario {
        name: "get_del_then_close",
        about: "GET, DEL, close: each reference released exactly once",
        spec: get_del_then_close,
        fixed: Expect::Clean,
        catches: &[
            Catch {
                faults: &[Fault::KeepSentRef],
                invariants: &["REFCOUNT_UNDERFLOW"],
            },
            Catch {
                faults: &[Fault::KeepSentRef, Fault::DecrFreeAtOne],
                invariants: &["DOUBLE_FREE"],
            },
            Catch {
                faults: &[Fault::FreeEmbstrPayload],
                invariants: &["FREE_UNKNOWN"],
            },
        ],
        overrides: &[Override {
            strategy: Strategy::Epoch,
            faults: &[Fault::KeepSentRef],
            want: Want::Caught(&["COUNT_CONSERVATION"]),
            why: "the second release ends a borrow that already ended (no count to underflow)",
        }],
    },
    Scenario {
        name: "flushall_async_with_pending_refs",
        about: "FLUSHALL ASYNC while a slow client still references a value",
        spec: flushall_async_with_pending_refs,
        fixed: Expect::Clean,
        catches: &[Catch {
            faults: &[Fault::UnlinkPendingEarly],
            invariants: &[
                "PENDING_REF_REGISTRY",
                "DATA_RACE",
                "COUNT_CONSERVATION",
                "LEAK",
            ],
        }],
        overrides: &[],
    },
    Scenario {
        name: "deferred_release_then_address_reuse",
        about: "#14934: deferred release, free, then address reuse",
        spec: deferred_release_then_address_reuse,
        fixed: Expect::Clean,
        catches: &[Catch {
            faults: &[Fault::UntrackedIoRelease],
            invariants: &["REPLY_REFS_ACCOUNTED"],
        }],
        overrides: &[],
    },
    Scenario {
        name: "echo_argv_reference",
        about: "ECHO's reply references its own argv object",
        spec: echo_argv_reference,
        fixed: Expect::Clean,
        catches: &[],
        overrides: &[],
    },
    Scenario {
        name: "getex_ex_on_referenced_value",
        about: "GETEX EX duplicates a value its own reply references",
        spec: getex_ex_on_referenced_value,
        fixed: Expect::Clean,
        catches: &[Catch {
            faults: &[Fault::ReallocSharedKvobj],
            invariants: &["USE_AFTER_FREE"],
        }],
        overrides: &[],
    },
    Scenario {
        name: "mget_saturates_refcount",
        about: "#14647: five references with a 3-bit refcount",
        spec: mget_saturates_refcount,
        fixed: Expect::Guard("REFCOUNT_LIMIT"),
        catches: &[Catch {
            faults: &[Fault::IncrOffByOne],
            invariants: &["REFCOUNT_OVERFLOW"],
        }],
        overrides: &[
            Override {
                strategy: Strategy::Epoch,
                faults: &[],
                want: Want::Clean,
                why: "reply borrows are not counted, so five of them never approach the limit",
            },
            Override {
                strategy: Strategy::Epoch,
                faults: &[Fault::IncrOffByOne],
                want: Want::Clean,
                why: "reply borrows are not counted, so the off-by-one bound is never reached",
            },
        ],
    },
    Scenario {
        name: "getkeysinslot_owned_keys",
        about: "Didi: CLUSTER GETKEYSINSLOT returns owned keys",
        spec: getkeysinslot_owned_keys,
        fixed: Expect::Clean,
        catches: &[Catch {
            faults: &[Fault::GetkeysinslotOwnedLeak],
            invariants: &["LEAK"],
        }],
        overrides: &[],
    },
    Scenario {
        name: "rename_big_list_lazy_server_del",
        about: "#4601: lazy free of a list RENAME still retains",
        spec: rename_big_list_lazy_server_del,
        fixed: Expect::Clean,
        catches: &[Catch {
            faults: &[Fault::BioFreeShared],
            invariants: RACE,
        }],
        overrides: &[Override {
            strategy: Strategy::Atomic,
            faults: &[Fault::BioFreeShared],
            want: Want::Clean,
            why: "BIO's and main's decrements are atomic: no lost update, the last one frees",
        }],
    },
];

impl Scenario {
    /// What a run with `faults` under `strategy` must show.
    pub fn expect(&self, faults: FaultSet, strategy: Strategy) -> Expectation {
        if faults.iter().any(|f| !f.applies_to(strategy)) {
            return Expectation::NotApplicable;
        }
        let listed = |fs: &[Fault]| FaultSet::of(fs) == faults;
        if let Some(o) = self
            .overrides
            .iter()
            .find(|o| o.strategy == strategy && listed(o.faults))
        {
            return match o.want {
                Want::Clean if faults.is_empty() => Expectation::Fixed(Expect::Clean),
                Want::Clean => Expectation::Immune(o.why),
                Want::Caught(i) => Expectation::Caught(i),
            };
        }
        if faults.is_empty() {
            return Expectation::Fixed(self.fixed);
        }
        match self.catches.iter().find(|c| listed(c.faults)) {
            Some(c) => Expectation::Caught(c.invariants),
            None => Expectation::NotListed,
        }
    }

    /// Every fault set this scenario names (catches and overrides), fixed model excluded.
    pub fn listed_fault_sets(&self) -> Vec<FaultSet> {
        let mut v: Vec<FaultSet> = Vec::new();
        let sets = self
            .catches
            .iter()
            .map(|c| c.faults)
            .chain(self.overrides.iter().map(|o| o.faults));
        for fs in sets.map(FaultSet::of).filter(|f| !f.is_empty()) {
            if !v.contains(&fs) {
                v.push(fs);
            }
        }
        v
    }

    /// Run the scenario once on the current backend (panics when an invariant breaks).
    pub fn run(&self, o: &Opts) {
        run(&(self.spec)(o));
    }

    /// [`Scenario::fixed_allows`] under `strategy`.
    pub fn fixed_allows_under(&self, strategy: Strategy, invariant: &str) -> bool {
        matches!(self.expect(FaultSet::NONE, strategy), Expectation::Fixed(Expect::Guard(g)) if g == invariant)
    }
}

/// Look up a scenario by name.
pub fn find(name: &str) -> Option<&'static Scenario> {
    SCENARIOS.iter().find(|s| s.name == name)
}

/// One `#[test]` per scenario, named after it, calling `$runner("<name>")`; plus a test that
/// fails if a scenario in [`SCENARIOS`] has no test here. This macro holds the only list of
/// scenario names the lanes use.
#[macro_export]
macro_rules! scenario_tests {
    ($runner:path) => {
        $crate::scenario_tests!(@each $runner;
            get_reply_ref_vs_overwrite,
            get_del_then_close,
            flushall_async_with_pending_refs,
            deferred_release_then_address_reuse,
            echo_argv_reference,
            getex_ex_on_referenced_value,
            mget_saturates_refcount,
            getkeysinslot_owned_keys,
            rename_big_list_lazy_server_del
        );
    };
    (@each $runner:path; $($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                $runner(stringify!($name));
            }
        )*

        #[test]
        fn every_scenario_has_a_test() {
            $crate::lanes::assert_covers(&[$(stringify!($name)),*]);
        }
    };
}
