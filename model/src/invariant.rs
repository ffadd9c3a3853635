//! The invariants the harness checks, as one type: every raise site and every expectation names
//! an [`Invariant`], so a misspelt name is a compile error rather than a run that can never
//! match.
//!
//! A violation panics with the stable text `INVARIANT <NAME>: <message>` (then the object, its
//! holders and its last events when the ledger knows the object); [`Invariant::of_message`] reads
//! the name back from such a text, which is how an explorer's caught panic becomes a verdict.
//! Leaf module: it imports nothing from the model.

use std::fmt;

/// One invariant of the oracle.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Invariant {
    /// An allocation freed a second time.
    DoubleFree,
    /// A free (or read) of an address that is not the start of a live or freed allocation.
    FreeUnknown,
    /// A checked read of an allocation after its free.
    UseAfterFree,
    /// After a refcount step, the count differs from the number of live holders.
    CountConservation,
    /// `decrRefCount` of a count of 0 (Redis's own panic, #13888).
    RefcountUnderflow,
    /// A count stepped onto a special value (SHARED/STATIC), #14647.
    RefcountOverflow,
    /// Redis's own guard: `incrRefCount` refused to reach the first special value.
    RefcountLimit,
    /// An allocation made after the baseline is still live at quiescence.
    Leak,
    /// Two accesses to one plain memory word, at least one a write, unordered by any
    /// happens-before edge (what TSan reports).
    DataRace,
    /// #14934: `clients_reply_refs` disagrees with the clients' unreleased references.
    ReplyRefsAccounted,
    /// A client holding reply references is missing from `clients_with_pending_ref_reply` (or
    /// stays listed after it was freed).
    PendingRefRegistry,
    /// A client touched by a thread other than its `running_tid`.
    ClientOwnership,
    /// A run that does not end: a deadlock, a livelock past the explorer's step bound, or no
    /// progress for the watchdog's whole interval.
    Stuck,
    /// The model reached a state Redis itself panics on (`serverPanic`), e.g. kvobjSet's
    /// "Not implemented".
    ModelPanic,
    /// A client received bytes other than the sequential reference's replies to its commands,
    /// run in the order main ran them (a stolen, swapped or mutated payload under a reply).
    ReplyBytes,
    /// A reply reference is written through an object whose payload is NULL, not a string
    /// buffer, or shorter than the length the reference captured (a NULL dereference or an
    /// out-of-bounds read in C's `writev`).
    ReplyPayload,
    /// Fuzzing: the model's replies differ from the sequential reference's.
    FuzzReplyMismatch,
    /// Fuzzing: the request parser returned a command without consuming bytes.
    FuzzParserProgress,
    /// Fuzzing: the parser answered with an error text Redis never sends.
    FuzzProtocolErrorText,
    /// Fuzzing: a request parsed whole and in chunks gave different results.
    FuzzParserChunking,
    /// Fuzzing: a parsed command did not re-encode and parse back to itself.
    FuzzParserRoundTrip,
    /// Async client (`refrace-client`): bytes held on the client for one in-flight command
    /// exceed the stated bound once hiredis has copied the command.
    RetentionBound,
    /// zmalloc's `used_memory` differs from the sum of the live allocations' usable sizes at a
    /// quiescent point.
    UsedMemory,
    /// Eviction freed a value something still references, or a key was evicted that the policy
    /// may not pick.
    Eviction,
}

use Invariant::*;

impl Invariant {
    /// Every invariant, in report order.
    pub const ALL: [Invariant; 24] = [
        DoubleFree,
        FreeUnknown,
        UseAfterFree,
        CountConservation,
        RefcountUnderflow,
        RefcountOverflow,
        RefcountLimit,
        Leak,
        DataRace,
        ReplyRefsAccounted,
        PendingRefRegistry,
        ClientOwnership,
        Stuck,
        ModelPanic,
        ReplyBytes,
        ReplyPayload,
        FuzzReplyMismatch,
        FuzzParserProgress,
        FuzzProtocolErrorText,
        FuzzParserChunking,
        FuzzParserRoundTrip,
        RetentionBound,
        UsedMemory,
        Eviction,
    ];

    /// Its stable name (`INVARIANT <NAME>:` in reports, and in replay files).
    pub fn name(self) -> &'static str {
        match self {
            DoubleFree => "DOUBLE_FREE",
            FreeUnknown => "FREE_UNKNOWN",
            UseAfterFree => "USE_AFTER_FREE",
            CountConservation => "COUNT_CONSERVATION",
            RefcountUnderflow => "REFCOUNT_UNDERFLOW",
            RefcountOverflow => "REFCOUNT_OVERFLOW",
            RefcountLimit => "REFCOUNT_LIMIT",
            Leak => "LEAK",
            DataRace => "DATA_RACE",
            ReplyRefsAccounted => "REPLY_REFS_ACCOUNTED",
            PendingRefRegistry => "PENDING_REF_REGISTRY",
            ClientOwnership => "CLIENT_OWNERSHIP",
            Stuck => "STUCK",
            ModelPanic => "MODEL_PANIC",
            ReplyBytes => "REPLY_BYTES",
            ReplyPayload => "REPLY_PAYLOAD",
            FuzzReplyMismatch => "FUZZ_REPLY_MISMATCH",
            FuzzParserProgress => "FUZZ_PARSER_PROGRESS",
            FuzzProtocolErrorText => "FUZZ_PROTOCOL_ERROR_TEXT",
            FuzzParserChunking => "FUZZ_PARSER_CHUNKING",
            FuzzParserRoundTrip => "FUZZ_PARSER_ROUND_TRIP",
            RetentionBound => "RETENTION_BOUND",
            UsedMemory => "USED_MEMORY",
            Eviction => "EVICTION",
        }
    }

    /// What it means, in one line (for `refrace list` and reports).
    pub fn meaning(self) -> &'static str {
        match self {
            DoubleFree => "every allocation is freed at most once",
            FreeUnknown => {
                "only the start of an allocation the allocator returned is freed or read"
            }
            UseAfterFree => "no thread reads an allocation after its free",
            CountConservation => "after every refcount step, refcount == number of live holders",
            RefcountUnderflow => "decrRefCount never sees a count of 0 (Redis panics, #13888)",
            RefcountOverflow => "a count never steps onto the SHARED or STATIC value (#14647)",
            RefcountLimit => "Redis's own guard: incrRefCount refuses the maximum refcount",
            Leak => "nothing allocated after the baseline is live at quiescence",
            DataRace => "no two unordered accesses to one plain word, one of them a write",
            ReplyRefsAccounted => {
                "clients_reply_refs matches every client's unreleased references (#14934)"
            }
            PendingRefRegistry => {
                "every client holding reply references is in clients_with_pending_ref_reply"
            }
            ClientOwnership => "only a client's running thread touches it",
            Stuck => "every run ends: no deadlock, no livelock, no thread waiting on one that died",
            ModelPanic => "the model never reaches a state where Redis calls serverPanic",
            ReplyBytes => {
                "every client receives the sequential reference's replies to its commands, in main's order"
            }
            ReplyPayload => {
                "a reply reference is written from a live string buffer at least as long as it captured"
            }
            FuzzReplyMismatch => "replies equal the sequential reference model's, byte for byte",
            FuzzParserProgress => "the request parser consumes bytes for every command it returns",
            FuzzProtocolErrorText => "protocol errors use Redis's exact texts",
            FuzzParserChunking => "a request parses the same whole and in chunks",
            FuzzParserRoundTrip => "a parsed command re-encodes and parses back to itself",
            RetentionBound => {
                "an async client holds at most a stated number of bytes per in-flight command once hiredis copied it"
            }
            UsedMemory => {
                "used_memory equals the sum of the live allocations' usable sizes at every quiescent point"
            }
            Eviction => "eviction only releases the keyspace's reference, of a key the policy may pick",
        }
    }

    /// Which part of the harness raises it.
    pub fn raised_by(self) -> &'static str {
        match self {
            DoubleFree | FreeUnknown | UseAfterFree | CountConservation | RefcountOverflow
            | Leak => "ledger",
            RefcountUnderflow | RefcountLimit => "object (decrRefCount / incrRefCount)",
            DataRace => "sync shim race check (shuttle vector clocks, loom causality)",
            ReplyRefsAccounted => "server (clients_reply_refs)",
            PendingRefRegistry => {
                "lazyfree (protectClientReplyObjects) and the world's quiescence check"
            }
            ClientOwnership => "client (running_tid)",
            Stuck => {
                "explorers (shuttle's deadlock and step bound, loom's branch bound, the watchdog)"
            }
            ModelPanic => "the model where Redis panics",
            ReplyBytes => "the world, after a run (sims/src/world.rs)",
            ReplyPayload => "networking (writev of a reply reference)",
            FuzzReplyMismatch
            | FuzzParserProgress
            | FuzzProtocolErrorText
            | FuzzParserChunking
            | FuzzParserRoundTrip => "fuzz targets",
            RetentionBound => "async client model (refrace-client)",
            UsedMemory => "ledger (zmalloc's counters against its own sum)",
            Eviction => "evict (performEvictions) and the world's reference check",
        }
    }

    /// Parse a name (`DATA_RACE`).
    pub fn parse(s: &str) -> Option<Invariant> {
        Invariant::ALL.into_iter().find(|i| i.name() == s)
    }

    /// The invariant named by the first `INVARIANT <NAME>:` in a violation's text, if any.
    pub fn of_message(msg: &str) -> Option<Invariant> {
        let rest = &msg[msg.find("INVARIANT ")? + "INVARIANT ".len()..];
        Invariant::parse(&rest[..rest.find(':')?])
    }
}

impl fmt::Display for Invariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for i in Invariant::ALL {
            assert_eq!(Invariant::parse(i.name()), Some(i));
            let text = format!("INVARIANT {i}: something\n  holders: []");
            assert_eq!(Invariant::of_message(&text), Some(i));
        }
        assert_eq!(Invariant::parse("DATA_RACES"), None);
        assert_eq!(Invariant::of_message("INVARIANT NOPE: x"), None);
        assert_eq!(Invariant::of_message("no invariant here"), None);
    }
}
