//! Coverage of the model's interesting events: where references meet frees, counted per run,
//! so a report can say which paths a set of generated worlds reached and which never happened.
//!
//! Each [`Event`] is hit at the one place in the model where it happens (the module that
//! hits it is named in its doc). A hit is one relaxed `std` atomic add on a counter of the run's
//! [`crate::env::Env`]: oracle-level state, invisible to the explorers (no scheduling point, no
//! race check; see [`crate::sync`]), so counting changes no schedule. The tests that decide a
//! hit read only what the model already read, or the oracle's view of a count
//! (`refcount_peek`, never the shim's racy load). [`Coverage::snapshot`]
//! reads the counts as [`Counts`], which add up across runs.
//!
//! Leaf module: it names no other module of the model.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

macro_rules! events {
    ($( $(#[$doc:meta])* $name:ident = $text:literal, )*) => {
        /// An interesting event of the model.
        #[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Event {
            $( $(#[$doc])* $name, )*
        }

        impl Event {
            /// Every event, in report order.
            pub const ALL: &'static [Event] = &[$(Event::$name),*];

            /// Its name in reports (stable: reports and merged shards key counts by it).
            pub fn name(self) -> &'static str {
                match self {
                    $( Event::$name => $text, )*
                }
            }
        }
    };
}

events! {
    /// A reply took a counted reference to a value (`_addBulkStrRefToBufferOrList`, main;
    /// networking/reply.rs).
    RefTaken = "ref-taken",
    /// A fully written reference was released by main itself (a main-thread client's write;
    /// networking/write.rs).
    RefReleasedOnMain = "ref-released-on-main",
    /// A reference taken on main was released on an IO thread (`ioDeferFreeRobj`;
    /// networking/write.rs).
    RefReleasedOnIo = "ref-released-on-io-thread",
    /// A write stopped inside a reply (the socket took part of it; networking/write.rs).
    PartialWrite = "reply-drained-over-several-writes",
    /// Main dropped the references an IO thread kept, at the client's hand-back
    /// (`freeClientIODeferredObjects` with at least one; iothread.rs).
    IoDeferredDrainedAtHandBack = "io-deferred-drained-at-hand-back",
    /// An IO thread freed what main deferred to it (`freeClientDeferredObjects` with at least
    /// one; iothread.rs).
    DeferredFreedOnIo = "deferred-freed-on-io-thread",
    /// `freeClient` found deferred or io-deferred objects to drain (networking/mod.rs).
    DeferredDrainedAtFreeClient = "deferred-drained-at-free-client",
    /// `protectClientReplyObjects` drained a client's io-deferred references (lazyfree.rs).
    DeferredDrainedAtProtect = "io-deferred-drained-at-protect",
    /// `protectClientReplyObjects` replaced a reference by a private copy (lazyfree.rs).
    ProtectCopiedRef = "protect-copied-a-reference",
    /// A value was overwritten while someone else held it (`dbSetValue`; db.rs).
    OverwrittenWhileReferenced = "overwritten-while-referenced",
    /// A value was deleted while someone else held it (`dbGenericDelete`; db.rs).
    DeletedWhileReferenced = "deleted-while-referenced",
    /// A keyspace holding a referenced value was flushed (`emptyData`, SYNC or ASYNC; db.rs), or
    /// a background slot trim detached such a value (`asmTriggerBackgroundTrim`;
    /// cluster_asm.rs).
    FlushedWhileReferenced = "flushed-while-referenced",
    /// A value was renamed while someone else held it (RENAME; commands/keyspace.rs).
    RenamedWhileReferenced = "renamed-while-referenced",
    /// Lazy expiry deleted a value someone else held (`expireIfNeeded`; db.rs).
    ExpiredWhileReferenced = "expired-while-referenced",
    /// A client was freed with reply references never written (networking/mod.rs).
    ClientFreedWithRefsPending = "client-freed-with-references-pending",
    /// #14738's decision one way: the old value (count 1) went to the client's IO thread to
    /// free (`dbSetValue` → `tryDeferFreeClientObject`; db.rs).
    OldValueDeferredToIo = "old-value-deferred-to-io-thread",
    /// #14738's decision the other way: the old value stayed on main because its count was
    /// above 1 (db.rs).
    OldValueKeptOnMain = "old-value-kept-on-main-count-above-1",
    /// `reclaimPendingCommand` released an argv object with count > 1 on main (a reply
    /// references the argument; networking/deferred.rs).
    SharedArgvReleasedOnMain = "shared-argv-released-on-main",
    /// `freeObjAsync` handed an object to BIO (lazyfree.rs).
    LazyFreeToBio = "lazy-free-object-to-bio",
    /// FLUSH ASYNC, or a background slot trim, handed a detached keyspace to BIO
    /// (`emptyDbDataAsync`; db.rs, cluster_asm.rs).
    FlushAsyncToBio = "flush-async-keyspace-to-bio",
    /// BIO freed an object while an IO thread was writing a reply (bio.rs).
    BioFreedWhileIoWrites = "bio-freed-while-io-thread-writes",
    /// `kvobjSet` duplicated a value someone else holds instead of taking it over (db.rs).
    KvobjDuplicatedShared = "kvobj-duplicated-shared-value",
    /// Main served a client living on the main thread between hand-ins (iothread.rs).
    MainClientServed = "main-thread-client-served",
    /// A client was freed with replies not yet written: its peer hung up, or it asked to be
    /// closed at once (networking/mod.rs).
    ClientClosedEarly = "client-freed-with-replies-unwritten",
    // Issue 12's paths: databases, transactions, pipelined lookahead, hashes.
    /// MOVE took a value someone else held to another database (`moveCommand`;
    /// commands/keyspace.rs).
    MovedWhileReferenced = "moved-while-referenced",
    /// COPY duplicated a value someone else held (`copyCommand`; commands/keyspace.rs).
    CopiedWhileReferenced = "copied-while-referenced",
    /// A database a SWAPDB had swapped was flushed while someone else held one of its values
    /// (`emptyData` after `dbSwapDatabases`; db.rs).
    SwappedDbFlushedWhileReferenced = "swapped-db-flushed-while-referenced",
    /// EXEC ran commands MULTI had queued, their argv kept in `mstate` until then
    /// (`execCommand`; commands/multi.rs).
    QueuedRunByExec = "queued-commands-run-by-exec",
    /// Main ran a command parsed ahead (`pending_cmds`) in the same visit as the one before it:
    /// a pipeline served in one visit (`processInputBuffer`'s lookahead; iothread.rs).
    PipelineRunInOneVisit = "pipeline-run-in-one-visit-on-main",
    /// `freeObjAsync` handed a dict-encoded hash to BIO by its free effort (lazyfree.rs).
    DictHashToBio = "dict-hash-to-bio",
    /// A listpack hash was converted to a dict (`hashTypeConvert`; commands/t_hash.rs).
    HashConverted = "hash-converted-listpack-to-dict",
}

/// Number of events.
pub const N: usize = Event::ALL.len();

/// The counters of one run (in [`crate::env::Env`]).
#[derive(Debug)]
pub struct Coverage {
    hits: [AtomicU64; N],
    io_writing: AtomicUsize,
}

impl Default for Coverage {
    fn default() -> Self {
        Coverage {
            hits: std::array::from_fn(|_| AtomicU64::new(0)),
            io_writing: AtomicUsize::new(0),
        }
    }
}

impl Coverage {
    /// Count one `e`.
    pub fn hit(&self, e: Event) {
        self.hits[e as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// An IO thread starts (`true`) or ends (`false`) writing a reply.
    pub fn io_writing(&self, on: bool) {
        if on {
            self.io_writing.fetch_add(1, Ordering::Relaxed);
        } else {
            self.io_writing.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Whether an IO thread is writing a reply now.
    pub fn any_io_writing(&self) -> bool {
        self.io_writing.load(Ordering::Relaxed) > 0
    }

    /// The counts now.
    pub fn snapshot(&self) -> Counts {
        Counts(std::array::from_fn(|i| {
            self.hits[i].load(Ordering::Relaxed)
        }))
    }
}

/// Counts of every event (one run's, or a sum of runs').
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Counts(pub [u64; N]);

impl Default for Counts {
    fn default() -> Self {
        Counts([0; N])
    }
}

impl Counts {
    /// The count of `e`.
    pub fn get(&self, e: Event) -> u64 {
        self.0[e as usize]
    }

    /// Add `other` into these.
    pub fn add(&mut self, other: &Counts) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
    }

    /// `(event, count)` in report order.
    pub fn iter(&self) -> impl Iterator<Item = (Event, u64)> + '_ {
        Event::ALL.iter().map(|e| (*e, self.get(*e)))
    }

    /// 1 for every event seen at least once, else 0 (summed over runs: runs reaching each).
    pub fn reached(&self) -> Counts {
        Counts(self.0.map(|n| u64::from(n > 0)))
    }

    /// The events never seen.
    pub fn missing(&self) -> Vec<Event> {
        self.iter()
            .filter(|(_, n)| *n == 0)
            .map(|(e, _)| e)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_counts_add() {
        for (i, e) in Event::ALL.iter().enumerate() {
            assert_eq!(*e as usize, i);
            assert!(Event::ALL[..i].iter().all(|o| o.name() != e.name()));
        }
        let c = Coverage::default();
        c.hit(Event::RefTaken);
        c.hit(Event::RefTaken);
        let mut sum = c.snapshot();
        sum.add(&c.snapshot());
        assert_eq!(sum.get(Event::RefTaken), 4);
        assert_eq!(sum.missing().len(), N - 1);
    }
}
