//! Server configuration and the fault catalogue.
//!
//! A [`Fault`] is a named switch that puts one historical bug back into the model; all are off by
//! default. `REFRACE_FAULT=<name>[,<name>…]` switches them on for every lane
//! ([`FaultSet::from_env`]); an unknown name is an error, never a silent no-op.
//!
//! A [`Strategy`] picks how shared values are reclaimed (Redis's confinement, or one of two
//! alternatives that are not Redis); the decisions live in [`crate::reclaim`] and
//! [`crate::strategy`].
//!
//! Who may touch what: a [`Config`] is fixed for a run once the world is built
//! ([`crate::env::Env::cfg`]); main keeps a copy whose runtime knobs CONFIG SET and DEBUG
//! change ([`crate::server::Server::cfg`]). The knobs mirror src/config.c's `standardConfig`
//! entries of the same names. Leaf module: it uses only the sync shim's [`WordMode`].

use crate::sync::WordMode;
use std::fmt;

/// A historical bug that can be switched back on.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// redis#14738: `dbSetValue` defers the old value to an IO thread without `refcount == 1`.
    DeferSharedFree,
    /// redis#14934 review: the IO-thread release path leaves the `clients_reply_refs` entry.
    UntrackedIoRelease,
    /// redis#4601/#4323: `freeObjAsync` sends an object with refcount > 1 to BIO.
    BioFreeShared,
    /// redis#14608 review: client unlinked from `clients_with_pending_ref_reply` while refs remain.
    UnlinkPendingEarly,
    /// redis#13888: `decrRefCount` frees when it sees 1 without writing 0.
    DecrFreeAtOne,
    /// redis#14647: `incrRefCount` may step onto the STATIC value.
    IncrOffByOne,
    /// redis#14608 (the line that sets `ref.obj = NULL`): a sent bulk reference is released but
    /// left in the buffer, so `freeClient` releases it again.
    KeepSentRef,
    /// Not historical; the regression `kvobjSet`'s refcount check prevents: `kvobjSetExpire`
    /// reallocates a kvobj in place although a reply still references it.
    ReallocSharedKvobj,
    /// Not historical; the regression `freeStringObject`'s encoding check prevents: the
    /// embedded sds of an EMBSTR object is freed as if it were its own allocation.
    FreeEmbstrPayload,
    /// Didi's Redis 3.2.8 rax backport: CLUSTER GETKEYSINSLOT receives owned key objects and
    /// frees only the array.
    GetkeysinslotOwnedLeak,
    /// Not historical; a negative control of [`Strategy::Atomic`]: the atomic `decrRefCount`
    /// is an atomic load and a separate atomic store instead of one read-modify-write.
    AtomicSplitRmw,
    /// Not historical; a negative control of [`Strategy::Epoch`]: main drops a client's epoch
    /// pin when it hands the client to its IO thread, so the IO thread writes the referenced
    /// reply unprotected (the per-thread pinning that is unsound for references that travel).
    EpochUnpinnedWrite,
    /// redis#14934 branch (f36ee257): `replyRefsUntrackClient` *increments* a client's count
    /// when it is above 1, so the entry of an object a client referenced twice never empties.
    UntrackIncrements,
    /// Not historical; the regression `dbSetValue`'s refcount test on its swap fast path
    /// prevents: the swap is taken although a reply still references the old kvobj, so the
    /// reply's header now carries the new value's `ptr`.
    SwapReferencedPtr,
    /// Not historical; the regression `kvobjSet`'s refcount test prevents: the payload of a
    /// value a reply still references is stolen (its `ptr` set to NULL).
    StealSharedPtr,
    /// Not historical; a negative control of the header word: a BIO job rewrites a header
    /// bit-field (the LRU/encoding bits, as an object "touch" would) of an object main still
    /// uses, without a reference.
    BioHeaderWrite,
    /// Not historical; the regression `kvstoreMoveDict`'s move prevents: a background slot trim
    /// hands the slot's keys to BIO but leaves them in the keyspace (a copy, not a move).
    TrimKeepsDict,
    /// Not historical; the regression `unblockClientForAsyncFlush`'s lookup prevents: the
    /// completion of a blocking flush writes its reply to the client it was queued for without
    /// checking that the client still exists (it was killed while blocked).
    FlushDoneStaleClient,
    /// Not historical; the regression `freeClient`'s `freeClientIODeferredObjects` prevents: a
    /// client freed by main (killed, timed out, over its output limit) keeps the references its
    /// IO thread deferred, and nothing releases them.
    FreeClientKeepsIoDeferred,
    /// Not historical; the regression `dbGenericDelete`'s `decrRefCount` prevents: the expire
    /// cycle frees an expired value outright although a reply still references it.
    ExpireFreesShared,
    /// Not historical; a negative control of the holder registry (the reply-buffer place):
    /// `protectClientReplyObjects` unlinks a listed client without replacing its reply
    /// references by private copies.
    ProtectSkipsReply,
    /// Not historical; a negative control of the holder registry (the io-deferred place):
    /// `protectClientReplyObjects` unlinks a listed client without draining its
    /// `io_deferred_objects`.
    ProtectSkipsIoDeferred,
    /// Not historical; a negative control of the holder registry (the deferred place):
    /// `freeClient` forgets the client's `deferred_objects`.
    FreeClientSkipsDeferred,
    /// Not historical; a negative control of the holder registry (the argv place):
    /// `reclaimPendingCommand` releases an argv object with count > 1 on main but leaves it in
    /// the bundle (the slot is not NULLed), so the IO thread releases it again.
    ReclaimKeepsReleasedArgv,
    /// Not historical; a negative control of the holder registry (clients living on main):
    /// `protectClientReplyObjects` looks for listed clients in the IO threads' queues only.
    ProtectSkipsMainClients,
    /// Not historical; what zmalloc's use of the usable size prevents: `used_memory` adds the
    /// requested size of an allocation (and subtracts the usable size at its free).
    ForgetUsableRounding,
    /// Not historical; what eviction through `dbGenericDelete` prevents: an evicted value is
    /// freed outright (its refcount ignored) although a pending reply still references it.
    EvictFreesReferenced,
    /// Not historical; what evict.c's `dict = (policy & MAXMEMORY_FLAG_ALLKEYS) ? db->dict :
    /// db->expires` prevents: under a `volatile-*` policy eviction samples every key, so a key
    /// without an expire can be evicted.
    EvictSamplesAllKeys,
    /// Not historical; what `c->running_tid = c->tid` before main hands a client back to its IO
    /// thread provides: main keeps the client's ownership, and the IO thread then works on a
    /// client main still owns.
    MainKeepsOwnership,
    /// Not historical; what 8.x `queueMultiCommand`'s `popPendingCommandFromHead` +
    /// `current_pending_cmd = NULL` prevent: a queued command's argv is also left in the
    /// client's current pending command, so the reclaim after it releases (or hands the IO
    /// thread) objects EXEC will still use.
    MultiQueueKeepsArgv,
    /// Not historical; what `reclaimPendingCommand`'s `refcount > 1` clause prevents (#14440):
    /// argv objects someone else also holds (SET's stored kvobj) go to the IO thread with the
    /// rest of the command, which decrements them off main.
    ReclaimDefersSharedArgv,
}

impl Fault {
    /// Every fault, in catalogue order.
    pub const ALL: [Fault; 31] = [
        Fault::DeferSharedFree,
        Fault::UntrackedIoRelease,
        Fault::BioFreeShared,
        Fault::UnlinkPendingEarly,
        Fault::DecrFreeAtOne,
        Fault::IncrOffByOne,
        Fault::KeepSentRef,
        Fault::ReallocSharedKvobj,
        Fault::FreeEmbstrPayload,
        Fault::GetkeysinslotOwnedLeak,
        Fault::AtomicSplitRmw,
        Fault::EpochUnpinnedWrite,
        Fault::UntrackIncrements,
        Fault::SwapReferencedPtr,
        Fault::StealSharedPtr,
        Fault::BioHeaderWrite,
        Fault::TrimKeepsDict,
        Fault::FlushDoneStaleClient,
        Fault::FreeClientKeepsIoDeferred,
        Fault::ExpireFreesShared,
        Fault::ProtectSkipsReply,
        Fault::ProtectSkipsIoDeferred,
        Fault::FreeClientSkipsDeferred,
        Fault::ReclaimKeepsReleasedArgv,
        Fault::ProtectSkipsMainClients,
        Fault::ForgetUsableRounding,
        Fault::EvictFreesReferenced,
        Fault::EvictSamplesAllKeys,
        Fault::MainKeepsOwnership,
        Fault::MultiQueueKeepsArgv,
        Fault::ReclaimDefersSharedArgv,
    ];

    /// The switch name (`REFRACE_FAULT` value).
    pub fn name(self) -> &'static str {
        match self {
            Fault::DeferSharedFree => "defer-shared-free",
            Fault::UntrackedIoRelease => "untracked-io-release",
            Fault::BioFreeShared => "bio-free-shared",
            Fault::UnlinkPendingEarly => "unlink-pending-early",
            Fault::DecrFreeAtOne => "decr-free-at-one",
            Fault::IncrOffByOne => "incr-off-by-one",
            Fault::KeepSentRef => "keep-sent-ref",
            Fault::ReallocSharedKvobj => "realloc-shared-kvobj",
            Fault::FreeEmbstrPayload => "free-embstr-payload",
            Fault::GetkeysinslotOwnedLeak => "getkeysinslot-owned-leak",
            Fault::AtomicSplitRmw => "atomic-split-rmw",
            Fault::EpochUnpinnedWrite => "epoch-unpinned-write",
            Fault::UntrackIncrements => "untrack-increments",
            Fault::SwapReferencedPtr => "swap-referenced-ptr",
            Fault::StealSharedPtr => "steal-shared-ptr",
            Fault::BioHeaderWrite => "bio-header-write",
            Fault::TrimKeepsDict => "trim-keeps-dict",
            Fault::FlushDoneStaleClient => "flush-done-stale-client",
            Fault::FreeClientKeepsIoDeferred => "free-client-keeps-io-deferred",
            Fault::ExpireFreesShared => "expire-frees-shared",
            Fault::ProtectSkipsReply => "protect-skips-reply",
            Fault::ProtectSkipsIoDeferred => "protect-skips-io-deferred",
            Fault::FreeClientSkipsDeferred => "free-client-skips-deferred",
            Fault::ReclaimKeepsReleasedArgv => "reclaim-keeps-released-argv",
            Fault::ProtectSkipsMainClients => "protect-skips-main-clients",
            Fault::ForgetUsableRounding => "forget-usable-rounding",
            Fault::EvictFreesReferenced => "evict-frees-referenced",
            Fault::EvictSamplesAllKeys => "evict-samples-all-keys",
            Fault::MainKeepsOwnership => "main-keeps-ownership",
            Fault::MultiQueueKeepsArgv => "multi-queue-keeps-argv",
            Fault::ReclaimDefersSharedArgv => "reclaim-defers-shared-argv",
        }
    }

    /// Where the bug comes from and what it re-introduces.
    pub fn description(self) -> &'static str {
        match self {
            Fault::DeferSharedFree => "redis#14738: dbSetValue hands the old value to an IO thread without the refcount == 1 guard",
            Fault::UntrackedIoRelease => "redis#14934 review: a reference released via the IO thread is never untracked from clients_reply_refs",
            Fault::BioFreeShared => "redis#4601/#4323: freeObjAsync queues an object with refcount > 1 to the BIO thread",
            Fault::UnlinkPendingEarly => "redis#14608 review: the client leaves clients_with_pending_ref_reply while it still holds references",
            Fault::DecrFreeAtOne => "redis#13888: decrRefCount frees when it sees 1 and never writes 0",
            Fault::IncrOffByOne => "redis#14647: incrRefCount steps onto the STATIC sentinel instead of panicking",
            Fault::KeepSentRef => "redis#14608: a fully sent bulk reference is released but not set to NULL",
            Fault::ReallocSharedKvobj => "not historical: kvobjSetExpire reallocates a kvobj that a reply still references",
            Fault::FreeEmbstrPayload => "not historical: freeStringObject frees the embedded sds of an EMBSTR object",
            Fault::GetkeysinslotOwnedLeak => "Didi, Redis 3.2.8 rax backport: CLUSTER GETKEYSINSLOT frees the key array but not the owned keys",
            Fault::AtomicSplitRmw => "not historical (strategy atomic): decrRefCount is an atomic load then a separate atomic store",
            Fault::EpochUnpinnedWrite => "not historical (strategy epoch): a client's pin is dropped when it goes to its IO thread, which writes the referenced reply unprotected",
            Fault::UntrackIncrements => "redis#14934 branch f36ee257 (variant 14934): replyRefsUntrackClient increments a count above 1, so the entry never empties",
            Fault::SwapReferencedPtr => "not historical: dbSetValue's swap fast path is taken although a reply references the old kvobj (its ptr is rewritten under the reply)",
            Fault::StealSharedPtr => "not historical: kvobjSet steals the payload (ptr = NULL) of a value a reply still references",
            Fault::BioHeaderWrite => "not historical: a BIO job writes a header bit-field of an object main still uses, without a reference",
            Fault::TrimKeepsDict => "not historical: a background slot trim gives BIO the slot's keys but leaves them in the keyspace",
            Fault::FlushDoneStaleClient => "not historical: a blocking flush's completion replies to its client without checking it still exists",
            Fault::FreeClientKeepsIoDeferred => "not historical: freeClient forgets the references the client's IO thread deferred",
            Fault::ExpireFreesShared => "not historical: the expire cycle frees an expired value a reply still references",
            Fault::ProtectSkipsReply => "not historical (holder registry, reply buffer): protectClientReplyObjects unlinks a client without copying its reply references",
            Fault::ProtectSkipsIoDeferred => "not historical (holder registry, io-deferred): protectClientReplyObjects unlinks a client without draining its io_deferred_objects",
            Fault::FreeClientSkipsDeferred => "not historical (holder registry, deferred): freeClient forgets the client's deferred_objects",
            Fault::ReclaimKeepsReleasedArgv => "not historical (holder registry, argv): reclaimPendingCommand releases a shared argv object on main and still hands it to the IO thread",
            Fault::ProtectSkipsMainClients => "not historical (holder registry, clients on main): protectClientReplyObjects looks for listed clients in the IO threads' queues only",
            Fault::ForgetUsableRounding => "not historical: zmalloc's used_memory adds the requested size of an allocation, not jemalloc's usable size",
            Fault::EvictFreesReferenced => "not historical: eviction frees the evicted value outright instead of releasing the keyspace's reference",
            Fault::EvictSamplesAllKeys => "not historical: under a volatile-* policy eviction samples every key, not only the keys with an expire",
            Fault::MainKeepsOwnership => "not historical: main hands a client back to its IO thread without setting running_tid to it",
            Fault::MultiQueueKeepsArgv => "not historical: queueMultiCommand leaves the queued argv in the current pending command too, so its reclaim frees what EXEC will use",
            Fault::ReclaimDefersSharedArgv => "not historical (#14440's rule): reclaimPendingCommand hands argv objects with refcount > 1 to the IO thread instead of releasing them on main",
        }
    }

    /// Whether the fault changes code that `s` runs (else switching it on is a no-op there).
    /// The strategies' own negative controls apply to their strategy only; `decr-free-at-one`
    /// alters the plain-word `decrRefCount`, which the atomic strategy replaces.
    pub fn applies_to(self, s: Strategy) -> bool {
        match self {
            Fault::AtomicSplitRmw => s == Strategy::Atomic,
            Fault::EpochUnpinnedWrite => s == Strategy::Epoch,
            // Atomic: fetch_sub returns the old count, so there is no "saw 1" to misread.
            // Epoch: the only second release a scenario makes is a reply borrow's
            // (`keep-sent-ref`), which the ledger names before any count reaches 1, so no
            // scenario could show this fault there; it is not run rather than shown vacuously.
            Fault::DecrFreeAtOne => s == Strategy::Confinement,
            // Epoch: main retires overwritten values; the guarded hand-off is not used.
            Fault::DeferSharedFree => s != Strategy::Epoch,
            // Atomic: the word is an atomic, not a racy header word.
            Fault::BioHeaderWrite => s != Strategy::Atomic,
            // Epoch: protection neither copies nor needs to (borrows wait for the pin).
            Fault::ProtectSkipsReply | Fault::ProtectSkipsMainClients => s != Strategy::Epoch,
            // Atomic and epoch: IO threads release sent references themselves; the
            // io-deferred list stays empty.
            Fault::ProtectSkipsIoDeferred => s == Strategy::Confinement,
            _ => true,
        }
    }

    /// Parse a switch name.
    pub fn parse(s: &str) -> Result<Fault, ConfigError> {
        Fault::ALL
            .into_iter()
            .find(|f| f.name() == s.trim())
            .ok_or_else(|| ConfigError::UnknownFault(s.trim().to_string()))
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A candidate fix of an upstream bug that the model reproduces at the pin (a *finding*,
/// `reports/findings/<name>.md`). Off by default: the model follows the pinned C code, bug and
/// all; `--fix <name>` (`refrace explore/replay/prove`), `REFRACE_FIX=<name>[,<name>…]` (the
/// lanes) or a replay file's `config.fixes` switch one on. A finding's scenario must reproduce
/// the bug with its fix off and run clean with it on, under every explorer.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fix {
    /// Finding `bg-trim-unprotected`: the background slot trim (SFLUSH, TRIMSLOTS, migration
    /// cleanup) calls `protectClientReplyObjects()` before BIO owns the moved dictionaries, as
    /// `emptyDbAsync` does (the smallest fix: move the call into `emptyDbDataAsync`).
    BgTrimProtects,
    /// Finding `sflush-sync-never-unblocked`: `asmTrimSlots` queues its completion request with
    /// the blocked SFLUSH client's id (what #14877 merged; the pin passes `CLIENT_ID_NONE`).
    SflushUnblocks,
    /// Finding `exec-flushall-async-argv`: a FLUSHALL / FLUSHDB ASYNC run inside EXEC (the
    /// client still has `CLIENT_MULTI`) frees the keyspace synchronously, on main, as a SYNC
    /// flush inside MULTI already does (`flushCommandCommon`): BIO then never receives a value
    /// the transaction's queued argv (`mstate`) still references.
    ExecFlushSync,
}

impl Fix {
    /// Every fix, in catalogue order.
    pub const ALL: [Fix; 3] = [Fix::BgTrimProtects, Fix::SflushUnblocks, Fix::ExecFlushSync];

    /// The switch name (`--fix`, `REFRACE_FIX`).
    pub fn name(self) -> &'static str {
        match self {
            Fix::BgTrimProtects => "bg-trim-protects",
            Fix::SflushUnblocks => "sflush-unblocks",
            Fix::ExecFlushSync => "exec-flush-sync",
        }
    }

    /// The finding it fixes (`reports/findings/<finding>.md`).
    pub fn finding(self) -> &'static str {
        match self {
            Fix::BgTrimProtects => "bg-trim-unprotected",
            Fix::SflushUnblocks => "sflush-sync-never-unblocked",
            Fix::ExecFlushSync => "exec-flushall-async-argv",
        }
    }

    /// What it changes, in one line.
    pub fn description(self) -> &'static str {
        match self {
            Fix::BgTrimProtects => "candidate fix of finding bg-trim-unprotected: protectClientReplyObjects() before a background slot trim hands the moved dictionaries to BIO",
            Fix::SflushUnblocks => "fix of finding sflush-sync-never-unblocked (#14877 as merged): asmTrimSlots queues its completion request with the blocked client's id",
            Fix::ExecFlushSync => "candidate fix of finding exec-flushall-async-argv: FLUSHALL/FLUSHDB ASYNC run inside EXEC (CLIENT_MULTI) frees synchronously, so BIO never gets a value the transaction's argv references",
        }
    }

    /// Parse a switch name.
    pub fn parse(s: &str) -> Result<Fix, ConfigError> {
        Fix::ALL
            .into_iter()
            .find(|f| f.name() == s.trim())
            .ok_or_else(|| ConfigError::UnknownFix(s.trim().to_string()))
    }
}

impl fmt::Display for Fix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of switched-on fixes.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FixSet(u32);

impl FixSet {
    /// No fix: the pinned code.
    pub const NONE: FixSet = FixSet(0);

    /// A set holding `fixes`.
    pub fn of(fixes: &[Fix]) -> Self {
        FixSet(fixes.iter().fold(0, |m, f| m | (1 << *f as u32)))
    }

    /// Whether `f` is on.
    pub fn has(self, f: Fix) -> bool {
        self.0 & (1 << f as u32) != 0
    }

    /// This set with `f` on.
    pub fn with(self, f: Fix) -> Self {
        FixSet(self.0 | (1 << f as u32))
    }

    /// The fixes on in either set.
    pub fn union(self, other: FixSet) -> Self {
        FixSet(self.0 | other.0)
    }

    /// The fixes on, in catalogue order.
    pub fn iter(self) -> impl Iterator<Item = Fix> {
        Fix::ALL.into_iter().filter(move |f| self.has(*f))
    }

    /// Whether no fix is on.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Parse `a,b` (empty string or `none` = no fix).
    pub fn parse(s: &str) -> Result<FixSet, ConfigError> {
        let s = s.trim();
        if s.is_empty() || s == "none" {
            return Ok(FixSet::NONE);
        }
        let fixes = s
            .split(',')
            .map(Fix::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(FixSet::of(&fixes))
    }

    /// The set named by `REFRACE_FIX` (unset = none).
    pub fn from_env() -> Result<FixSet, ConfigError> {
        match std::env::var("REFRACE_FIX") {
            Ok(v) => FixSet::parse(&v),
            Err(_) => Ok(FixSet::NONE),
        }
    }
}

impl fmt::Display for FixSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("none");
        }
        let names: Vec<&str> = self.iter().map(Fix::name).collect();
        f.write_str(&names.join(","))
    }
}

/// A configuration error, with a message that says how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// A fault name that is not in the catalogue.
    UnknownFault(String),
    /// A strategy name that does not exist.
    UnknownStrategy(String),
    /// A variant name that does not exist.
    UnknownVariant(String),
    /// A fix name that is not in the catalogue.
    UnknownFix(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::UnknownFault(s) => {
                let names: Vec<&str> = Fault::ALL.iter().map(|f| f.name()).collect();
                write!(f, "unknown fault '{s}'; known faults: {}", names.join(", "))
            }
            ConfigError::UnknownStrategy(s) => {
                let names: Vec<&str> = Strategy::ALL.iter().map(|x| x.name()).collect();
                write!(
                    f,
                    "unknown strategy '{s}'; known strategies: {}",
                    names.join(", ")
                )
            }
            ConfigError::UnknownFix(s) => {
                let names: Vec<&str> = Fix::ALL.iter().map(|x| x.name()).collect();
                write!(f, "unknown fix '{s}'; known fixes: {}", names.join(", "))
            }
            ConfigError::UnknownVariant(s) => {
                let names: Vec<&str> = Variant::ALL.iter().map(|x| x.name()).collect();
                write!(
                    f,
                    "unknown variant '{s}'; known variants: {}",
                    names.join(", ")
                )
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// A set of switched-on faults.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FaultSet(u32);

impl FaultSet {
    /// No fault: the fixed model.
    pub const NONE: FaultSet = FaultSet(0);

    /// A set holding `faults`.
    pub fn of(faults: &[Fault]) -> Self {
        FaultSet(faults.iter().fold(0, |m, f| m | (1 << *f as u32)))
    }

    /// Whether `f` is on.
    pub fn has(self, f: Fault) -> bool {
        self.0 & (1 << f as u32) != 0
    }

    /// The faults on, in catalogue order.
    pub fn iter(self) -> impl Iterator<Item = Fault> {
        Fault::ALL.into_iter().filter(move |f| self.has(*f))
    }

    /// Whether no fault is on.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Parse `a,b,c` (empty string or `none` = no fault).
    pub fn parse(s: &str) -> Result<FaultSet, ConfigError> {
        let s = s.trim();
        if s.is_empty() || s == "none" {
            return Ok(FaultSet::NONE);
        }
        let faults = s
            .split(',')
            .map(Fault::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(FaultSet::of(&faults))
    }

    /// The set named by `REFRACE_FAULT` (unset = none).
    pub fn from_env() -> Result<FaultSet, ConfigError> {
        match std::env::var("REFRACE_FAULT") {
            Ok(v) => FaultSet::parse(&v),
            Err(_) => Ok(FaultSet::NONE),
        }
    }
}

impl fmt::Display for FaultSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("none");
        }
        let names: Vec<&str> = self.iter().map(Fault::name).collect();
        f.write_str(&names.join(","))
    }
}

/// How values that other threads can reach are reclaimed. Only [`Strategy::Confinement`] is
/// Redis; see [`crate::strategy`] for what each changes.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Strategy {
    /// Redis 8.6: a plain refcount word that only main changes for shared objects; IO threads
    /// defer their releases to main; the #14738 `refcount == 1` guard.
    #[default]
    Confinement,
    /// Not Redis: the design tried and dropped in #14608's review. The refcount word is an
    /// atomic read-modify-write and IO threads release their reply references themselves.
    Atomic,
    /// Not Redis: refrace's alternative. Replies reference values without counting; a value
    /// whose count reaches 0 is retired into crossbeam-epoch and freed once no client that
    /// could reference it is still pinned.
    Epoch,
}

impl Strategy {
    /// Every strategy, Redis's first.
    pub const ALL: [Strategy; 3] = [Strategy::Confinement, Strategy::Atomic, Strategy::Epoch];

    /// Its name on the command line and in files.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Confinement => "confinement",
            Strategy::Atomic => "atomic",
            Strategy::Epoch => "epoch",
        }
    }

    /// One line about it.
    pub fn description(self) -> &'static str {
        match self {
            Strategy::Confinement => "Redis 8.6: plain refcount word changed by main only for shared objects; IO threads defer releases to main; the #14738 refcount == 1 guard",
            Strategy::Atomic => "not Redis (#14608 review, dropped): atomic refcount read-modify-write; IO threads release their reply references themselves",
            Strategy::Epoch => "not Redis (refrace): uncounted reply references protected by per-client crossbeam-epoch pins; values reaching 0 are retired and freed after the grace period",
        }
    }

    /// Parse a name.
    pub fn parse(s: &str) -> Result<Strategy, ConfigError> {
        Strategy::ALL
            .into_iter()
            .find(|x| x.name() == s.trim())
            .ok_or_else(|| ConfigError::UnknownStrategy(s.trim().to_string()))
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The upstream commit the model follows: redis/redis at this commit holds the Redis 8.6.0
/// content (#14608, #14738 and #14739 in; #14934 out). Every model function that mirrors C
/// names this commit, or the commit it was read at and why the difference cannot matter
/// (`docs/model-vs-c.md`).
pub const PIN: &str = "059f40da979bbf178c9d9eeee0cb098a4b158a7d";

/// The Redis release whose content [`PIN`] holds.
pub const PIN_VERSION: &str = "8.6.0";

/// The #14934 branch commit [`Variant::ReplyRefs14934`] follows.
pub const VARIANT_14934_COMMIT: &str = "f36ee257c7fd30dc3368d8d6cd0c97635b26a818";

/// Which Redis code the model follows. The default is the pinned commit; the other variant is a
/// branch the pin lacks, kept complete so that the scenarios and faults that need it still run.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variant {
    /// Redis 8.6.0 as at the pinned commit ([`PIN`]): no reply-reference accounting.
    #[default]
    Pin,
    /// The #14934 branch (reply-reference accounting, read at f36ee257): `clients_reply_refs`,
    /// `reply_bytes_shared`, `replyRefsTrackClient` / `replyRefsUntrackClient`, and the
    /// `replyRefsNotifyDecrRefCount` call inside `decrRefCount`. Shipped in 8.6.4, after the pin.
    /// The two defects the branch's review found are faults, not part of the variant:
    /// [`Fault::UntrackedIoRelease`] and [`Fault::UntrackIncrements`].
    ReplyRefs14934,
}

impl Variant {
    /// Every variant, the pin first.
    pub const ALL: [Variant; 2] = [Variant::Pin, Variant::ReplyRefs14934];

    /// Its name on the command line and in files.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Pin => "pin",
            Variant::ReplyRefs14934 => "14934",
        }
    }

    /// One line about it.
    pub fn description(self) -> &'static str {
        match self {
            Variant::Pin => "Redis 8.6.0 content at redis/redis@059f40da (the pin): no reply-reference accounting",
            Variant::ReplyRefs14934 => "the pin plus redis#14934 as on its branch (f36ee257; shipped in 8.6.4): clients_reply_refs, reply_bytes_shared, replyRefsNotifyDecrRefCount in decrRefCount",
        }
    }

    /// Parse a name (`8.6.0` is accepted for the pin).
    pub fn parse(s: &str) -> Result<Variant, ConfigError> {
        let s = s.trim();
        if s == "8.6.0" {
            return Ok(Variant::Pin);
        }
        Variant::ALL
            .into_iter()
            .find(|v| v.name() == s)
            .ok_or_else(|| ConfigError::UnknownVariant(s.to_string()))
    }

    /// The variant named by `REFRACE_VARIANT` (unset: none asked for).
    pub fn from_env() -> Result<Option<Variant>, ConfigError> {
        match std::env::var("REFRACE_VARIANT") {
            Ok(v) => Variant::parse(&v).map(Some),
            Err(_) => Ok(None),
        }
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `maxmemory-policy` (server.h's `MAXMEMORY_*`; config.c's `maxmemory_policy_enum` names).
/// The 8.6 LRM policies (`allkeys-lrm`, `volatile-lrm`) are not modelled.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum MaxmemoryPolicy {
    /// `volatile-lru`.
    VolatileLru,
    /// `volatile-lfu`.
    VolatileLfu,
    /// `volatile-random`.
    VolatileRandom,
    /// `volatile-ttl`.
    VolatileTtl,
    /// `allkeys-lru`.
    AllkeysLru,
    /// `allkeys-lfu`.
    AllkeysLfu,
    /// `allkeys-random`.
    AllkeysRandom,
    /// `noeviction` (the default).
    NoEviction,
}

impl MaxmemoryPolicy {
    /// Every policy, in config.c's order.
    pub const ALL: [MaxmemoryPolicy; 8] = [
        MaxmemoryPolicy::VolatileLru,
        MaxmemoryPolicy::VolatileLfu,
        MaxmemoryPolicy::VolatileRandom,
        MaxmemoryPolicy::VolatileTtl,
        MaxmemoryPolicy::AllkeysLru,
        MaxmemoryPolicy::AllkeysLfu,
        MaxmemoryPolicy::AllkeysRandom,
        MaxmemoryPolicy::NoEviction,
    ];

    /// Its config name.
    pub fn name(self) -> &'static str {
        match self {
            MaxmemoryPolicy::VolatileLru => "volatile-lru",
            MaxmemoryPolicy::VolatileLfu => "volatile-lfu",
            MaxmemoryPolicy::VolatileRandom => "volatile-random",
            MaxmemoryPolicy::VolatileTtl => "volatile-ttl",
            MaxmemoryPolicy::AllkeysLru => "allkeys-lru",
            MaxmemoryPolicy::AllkeysLfu => "allkeys-lfu",
            MaxmemoryPolicy::AllkeysRandom => "allkeys-random",
            MaxmemoryPolicy::NoEviction => "noeviction",
        }
    }

    /// Parse a config value (case-insensitive, as config.c's enum configs are).
    pub fn parse(v: &[u8]) -> Option<MaxmemoryPolicy> {
        MaxmemoryPolicy::ALL
            .into_iter()
            .find(|p| p.name().as_bytes().eq_ignore_ascii_case(v))
    }

    /// `MAXMEMORY_FLAG_LRU`.
    pub fn lru(self) -> bool {
        matches!(
            self,
            MaxmemoryPolicy::VolatileLru | MaxmemoryPolicy::AllkeysLru
        )
    }

    /// `MAXMEMORY_FLAG_LFU`.
    pub fn lfu(self) -> bool {
        matches!(
            self,
            MaxmemoryPolicy::VolatileLfu | MaxmemoryPolicy::AllkeysLfu
        )
    }

    /// `MAXMEMORY_FLAG_ALLKEYS`.
    pub fn allkeys(self) -> bool {
        matches!(
            self,
            MaxmemoryPolicy::AllkeysLru
                | MaxmemoryPolicy::AllkeysLfu
                | MaxmemoryPolicy::AllkeysRandom
        )
    }
}

/// The knobs of one model server. Names follow redis.conf.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// `io-threads` (counts the main thread: 1 = no IO threads).
    pub io_threads_num: usize,
    /// `lazyfree-lazy-server-del`.
    pub lazyfree_lazy_server_del: bool,
    /// `lazyfree-lazy-user-del`.
    pub lazyfree_lazy_user_del: bool,
    /// `lazyfree-lazy-user-flush`.
    pub lazyfree_lazy_user_flush: bool,
    /// `lazyfree-lazy-expire`.
    pub lazyfree_lazy_expire: bool,
    /// `lazyfree-lazy-eviction`: evicted keys are deleted with `dbAsyncDelete`.
    pub lazyfree_lazy_eviction: bool,
    /// `maxmemory` in bytes (0: no limit).
    pub maxmemory: u64,
    /// `maxmemory-policy`.
    pub maxmemory_policy: MaxmemoryPolicy,
    /// `maxmemory-samples` (keys sampled per eviction pool refill; 1..=64).
    pub maxmemory_samples: usize,
    /// `lfu-log-factor`.
    pub lfu_log_factor: u32,
    /// `lfu-decay-time` (minutes).
    pub lfu_decay_time: u32,
    /// `DEBUG REPLY-COPY-AVOIDANCE` (on by default in 8.6).
    pub reply_copy_avoidance: bool,
    /// Width of the refcount bit-field (`OBJ_REFCOUNT_BITS`, 23 in 8.6; tiny widths let explorers
    /// reach the special values).
    pub refcount_bits: u32,
    /// Historical bugs switched on.
    pub faults: FaultSet,
    /// How loom models the refcount word.
    pub word_mode: WordMode,
    /// `cluster-enabled` (only CLUSTER GETKEYSINSLOT depends on it).
    pub cluster_enabled: bool,
    /// The reclamation strategy (Redis's confinement unless a run asks for another).
    pub strategy: Strategy,
    /// Which Redis code the model follows (the pin, or the #14934 branch).
    pub variant: Variant,
    /// Candidate fixes of upstream bugs switched on (none: the pinned code).
    pub fixes: FixSet,
    /// `timeout` (seconds; 0 = never): main frees a client idle longer than this when its
    /// client cron runs (`clientsCronHandleTimeout`).
    pub maxidletime: u64,
    /// The hard limit of `client-output-buffer-limit normal` (bytes; 0 = none, Redis's
    /// default): a client whose pending reply bytes reach it is closed
    /// (`closeClientOnOutputBufferLimitReached`). Soft limits are not modelled.
    pub client_obuf_normal_hard: u64,
    /// Whether `asmTrimSlots` chooses the *active* trim (on main, in the cron) over the
    /// background trim (BIO): in Redis when a client uses tracking, a module subscribes to
    /// key-trimmed events or `DEBUG` sets the method; none of those exists in the model, so a
    /// world states it here.
    pub asm_active_trim: bool,
    /// `databases` (`server.dbnum`, 16 by default; a startup setting).
    pub databases: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            io_threads_num: 1,
            lazyfree_lazy_server_del: false,
            lazyfree_lazy_user_del: false,
            lazyfree_lazy_user_flush: false,
            lazyfree_lazy_expire: false,
            lazyfree_lazy_eviction: false,
            maxmemory: 0,
            maxmemory_policy: MaxmemoryPolicy::NoEviction,
            maxmemory_samples: 5,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            reply_copy_avoidance: true,
            refcount_bits: 23,
            faults: FaultSet::NONE,
            word_mode: WordMode::DetectRace,
            cluster_enabled: false,
            strategy: Strategy::Confinement,
            variant: Variant::Pin,
            fixes: FixSet::NONE,
            maxidletime: 0,
            client_obuf_normal_hard: 0,
            asm_active_trim: false,
            databases: 16,
        }
    }
}

impl Config {
    /// `OBJ_SHARED_REFCOUNT`.
    pub fn shared_refcount(&self) -> u32 {
        (1u32 << self.refcount_bits) - 1
    }
    /// `OBJ_STATIC_REFCOUNT` (= `OBJ_FIRST_SPECIAL_REFCOUNT`).
    pub fn static_refcount(&self) -> u32 {
        self.shared_refcount() - 1
    }
    /// Whether `f` is switched on.
    pub fn fault(&self, f: Fault) -> bool {
        self.faults.has(f)
    }
    /// Whether the candidate fix `f` is switched on.
    pub fn fix(&self, f: Fix) -> bool {
        self.fixes.has(f)
    }
    /// Whether the #14934 reply-reference accounting exists ([`Variant::ReplyRefs14934`]).
    pub fn reply_refs_tracking(&self) -> bool {
        self.variant == Variant::ReplyRefs14934
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_names_round_trip_and_unknown_is_an_error() {
        for f in Fault::ALL {
            assert_eq!(Fault::parse(f.name()), Ok(f));
        }
        let all = Fault::ALL
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(
            FaultSet::parse(&all).unwrap().iter().count(),
            Fault::ALL.len()
        );
        let err = FaultSet::parse("defer-shared-free,nope").unwrap_err();
        assert!(err.to_string().contains("unknown fault 'nope'"), "{err}");
        assert_eq!(FaultSet::parse("none"), Ok(FaultSet::NONE));
    }

    #[test]
    fn fix_names_round_trip_and_unknown_is_an_error() {
        for f in Fix::ALL {
            assert_eq!(Fix::parse(f.name()), Ok(f));
            assert!(FixSet::NONE.with(f).has(f));
        }
        let err = FixSet::parse("bg-trim-protects,nope").unwrap_err();
        assert!(err.to_string().contains("unknown fix 'nope'"), "{err}");
        assert_eq!(FixSet::parse("none"), Ok(FixSet::NONE));
    }

    #[test]
    fn strategy_names_round_trip_and_unknown_is_an_error() {
        for s in Strategy::ALL {
            assert_eq!(Strategy::parse(s.name()), Ok(s));
        }
        let err = Strategy::parse("rcu").unwrap_err();
        assert!(err.to_string().contains("unknown strategy 'rcu'"), "{err}");
        assert_eq!(Strategy::default(), Strategy::Confinement);
    }

    #[test]
    fn special_refcounts_follow_the_width() {
        let c = Config::default();
        assert_eq!(c.shared_refcount(), (1 << 23) - 1);
        assert_eq!(c.static_refcount(), (1 << 23) - 2);
    }
}
