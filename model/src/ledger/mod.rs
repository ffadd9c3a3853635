//! The ledger: a zmalloc-style allocator model that is also the oracle.
//!
//! Every allocation of the model (object headers, sds payloads, list nodes, reply blocks, argv
//! arrays, deferred arrays) takes an address from here. Freed addresses are **reused** (LIFO per
//! size class, like an allocator's thread cache) so stale-pointer bugs can manifest the way they
//! do in C (#14934). A [`Ptr`] carries the address *and* the allocation it came from (a shadow
//! tag, as ASan keeps), so a use through a stale pointer is caught even after the address was
//! reused.
//!
//! Invariants it protects (each violation panics with `INVARIANT <NAME>:`, the object, its
//! holders and the last events that touched it):
//! - `DOUBLE_FREE`, `FREE_UNKNOWN`, `USE_AFTER_FREE` (checked payload reads by any thread);
//! - `COUNT_CONSERVATION`: after every refcount step, refcount == number of live holders;
//! - `REFCOUNT_OVERFLOW`: a count never steps onto a special value (#14647);
//! - `LEAK`: nothing allocated after the baseline is live at quiescence.
//!
//! Strategies (see [`crate::strategy`]) share this oracle. An epoch *borrow* is an uncounted holder
//! ([`Ledger::borrow`]): it is listed in reports but not in `COUNT_CONSERVATION`; a value freed
//! while borrowed shows as `USE_AFTER_FREE` at the borrower's next read.
//!
//! `REFCOUNT_UNDERFLOW` is raised by the model itself (`decrRefCount`'s panic, #13888) and
//! `DATA_RACE` by the sync shim's race check; both are formatted here so reports look alike.
//!
//! Long-running use (`refrace serve`): [`Ledger::set_retention`] bounds the records of freed
//! allocations kept (oldest pruned first; a pruned id is still known to be freed, since ids are
//! never reused, so a stale use is still named, only without who freed it and when), and every
//! violation is counted and its report kept ([`Ledger::violations`], [`Ledger::live`]) before
//! the panic, so a server that catches the panic can report it live.
//!
//! Its bookkeeping takes a std lock on purpose: the explorers must not see it, so it adds no
//! scheduling point (loom and shuttle run model threads as coroutines on one OS thread, and the
//! lock is never held across a model step).

use crate::invariant::Invariant;
use crate::jemalloc::Heap;
pub use crate::jemalloc::HeapStats;
use crate::zmalloc::Zmalloc;
use memory::thread_slot;
use std::collections::VecDeque;
use std::fmt;
use std::sync::{Mutex, MutexGuard};

mod memory;

/// A model thread.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tid {
    /// The main thread (runs commands; owns the keyspace).
    Main,
    /// IO thread `n` (1-based, as Redis numbers them).
    Io(u8),
    /// The BIO lazy-free thread.
    Bio,
    /// Application thread `n` of the async client model (`refrace-client`), 1-based.
    App(u8),
    /// The async client's event-loop thread (`refrace-client`).
    Loop,
}

impl fmt::Display for Tid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tid::Main => write!(f, "main"),
            Tid::Io(n) => write!(f, "IO-{n}"),
            Tid::Bio => write!(f, "BIO"),
            Tid::App(n) => write!(f, "app-{n}"),
            Tid::Loop => write!(f, "loop"),
        }
    }
}

/// Identity of one allocation (never reused, unlike its address).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AllocId(pub u64);

/// A pointer: the address plus the allocation it was obtained from.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ptr {
    /// Address (reused after free).
    pub addr: u64,
    /// Allocation the pointer was made from.
    pub id: AllocId,
}

impl Ptr {
    /// No allocation (a violation that names no object).
    pub const NONE: Ptr = Ptr {
        addr: 0,
        id: AllocId(0),
    };
}

impl fmt::Display for Ptr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}@{:#x}", self.id.0, self.addr)
    }
}

/// What an allocation is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum AllocKind {
    /// `robj`/`kvobj` header (EMBSTR payload included).
    Object,
    /// A RAW string's separate sds buffer.
    Sds,
    /// A quicklist node of a list value.
    ListNode,
    /// A plain reply block of a client.
    ReplyBlock,
    /// A client's argv array.
    Argv,
    /// A deferred-object or io-deferred array.
    DeferredArray,
    /// The client struct itself.
    Client,
    /// An allocation of the async client model (`refrace-client`), named by its C type
    /// (`redisAsyncContext`, `redisCallback`, `CommandEvent`, …).
    AsyncClient(&'static str),
}

/// Who holds a counted reference to an object.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Holder {
    /// The keyspace entry of a database.
    Keyspace,
    /// A bulk-string reference in client `n`'s reply buffer.
    Reply(u64),
    /// Client `n`'s `io_deferred_objects` array (sent, not yet released).
    IoDeferred(u64),
    /// Client `n`'s `deferred_objects` array (to be freed by its IO thread).
    Deferred(u64),
    /// Client `n`'s argv.
    Argv(u64),
    /// A queued BIO lazy-free job (or a detached keyspace owned by one).
    Bio,
    /// A reference held on the stack for the duration of one function.
    Temp,
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Holder::Keyspace => write!(f, "keyspace"),
            Holder::Reply(c) => write!(f, "reply(client {c})"),
            Holder::IoDeferred(c) => write!(f, "io_deferred(client {c})"),
            Holder::Deferred(c) => write!(f, "deferred(client {c})"),
            Holder::Argv(c) => write!(f, "argv(client {c})"),
            Holder::Bio => write!(f, "bio job"),
            Holder::Temp => write!(f, "temporary"),
        }
    }
}

/// What an allocation is called in reports and traces. It is made into text only when shown:
/// formatting a name per allocation (`client 3`, `"aaaa…" (65536 B)`) was a measurable part of
/// every execution, most of which show nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Label {
    /// A fixed name.
    Name(&'static str),
    /// A text made by the caller.
    Text(String),
    /// A string value: its first 16 bytes and its length (`"abc"`, `"aaaaaaaaaaaaaaaa…" (65536 B)`).
    Bytes(Head),
    /// A kvobj: `kvobj ` and its key as [`Label::Bytes`] shows it.
    Kvobj(Head),
    /// An integer value, in decimal.
    Int(i64),
    /// One of client `n`'s own allocations.
    Client(ClientPart, u64),
}

/// The first 16 bytes of a string and its length (what a [`Label`] shows of it).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Head {
    bytes: [u8; 16],
    len: usize,
}

impl Head {
    /// What a label shows of `b`.
    pub fn of(b: &[u8]) -> Head {
        let mut bytes = [0; 16];
        let n = b.len().min(16);
        bytes[..n].copy_from_slice(&b[..n]);
        Head {
            bytes,
            len: b.len(),
        }
    }
}

impl fmt::Display for Head {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = String::from_utf8_lossy(&self.bytes[..self.len.min(16)]);
        if self.len > 16 {
            write!(f, "\"{shown}…\" ({} B)", self.len)
        } else {
            write!(f, "\"{shown}\"")
        }
    }
}

/// Which of a client's allocations a [`Label::Client`] names.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ClientPart {
    /// The client struct (`client 3`).
    Struct,
    /// A reply block (`reply block of client 3`).
    ReplyBlock,
    /// Its argv array (`argv of client 3`).
    Argv,
    /// Its deferred-objects array (`deferred_objects of client 3`).
    DeferredObjects,
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Label::Name(n) => f.write_str(n),
            Label::Text(t) => f.write_str(t),
            Label::Bytes(h) => write!(f, "{h}"),
            Label::Kvobj(h) => write!(f, "kvobj {h}"),
            Label::Int(v) => write!(f, "{v}"),
            Label::Client(ClientPart::Struct, c) => write!(f, "client {c}"),
            Label::Client(ClientPart::ReplyBlock, c) => write!(f, "reply block of client {c}"),
            Label::Client(ClientPart::Argv, c) => write!(f, "argv of client {c}"),
            Label::Client(ClientPart::DeferredObjects, c) => {
                write!(f, "deferred_objects of client {c}")
            }
        }
    }
}

impl From<&'static str> for Label {
    fn from(n: &'static str) -> Label {
        Label::Name(n)
    }
}

impl From<String> for Label {
    fn from(t: String) -> Label {
        Label::Text(t)
    }
}

/// What happened in one ledger event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Allocation of a kind, with its label.
    Alloc(AllocKind, Label),
    /// Free.
    Free,
    /// `incrRefCount` (before → after), on behalf of a new holder.
    Incr(u32, u32, Holder),
    /// `decrRefCount` (before → after), releasing a holder.
    Decr(u32, u32, Holder),
    /// A reference moved from one holder to another without a count change.
    Transfer(Holder, Holder),
    /// A checked read of the payload.
    Read(&'static str),
    /// A client (this allocation) handed from the acting thread to another thread through a
    /// hand-off queue: the happens-before edge between them.
    HandOff(Tid),
    /// An uncounted reference taken (epoch strategy).
    Borrow(Holder),
    /// An uncounted reference released (epoch strategy).
    Unborrow(Holder),
    /// Retired: to be freed after the epoch grace period (epoch strategy).
    Retire,
    /// An invariant broke here (trace only: recorded just before the panic). The pointer is the
    /// object the report names, or [`Ptr::NONE`].
    Violation {
        /// The invariant.
        invariant: Invariant,
        /// The report's first line.
        message: String,
    },
}

/// One ledger event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Global step number (order of ledger events).
    pub step: u64,
    /// Acting thread.
    pub tid: Tid,
    /// Allocation touched.
    pub ptr: Ptr,
    /// What happened.
    pub op: Op,
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "step {:>4}  {:<5} {} ", self.step, self.tid, self.ptr)?;
        match &self.op {
            Op::Alloc(k, l) => write!(f, "alloc {k:?} {l}"),
            Op::Free => write!(f, "free"),
            Op::Incr(a, b, h) => write!(f, "incrRefCount {a}->{b} (+{h})"),
            Op::Decr(a, b, h) => write!(f, "decrRefCount {a}->{b} (-{h})"),
            Op::Transfer(a, b) => write!(f, "hand-over {a} -> {b}"),
            Op::Read(w) => write!(f, "read {w}"),
            Op::HandOff(t) => write!(f, "hand-off of the client to {t}"),
            Op::Borrow(h) => write!(f, "borrow (+{h}, uncounted)"),
            Op::Unborrow(h) => write!(f, "end of borrow (-{h})"),
            Op::Retire => write!(f, "retire (freed after the grace period)"),
            Op::Violation { message, .. } => write!(f, "INVARIANT {message}"),
        }
    }
}

const HISTORY: usize = 12;

struct Rec {
    ptr: Ptr,
    kind: AllocKind,
    size: usize,
    /// jemalloc's usable size (`zmalloc_size`).
    usable: usize,
    /// The command main was running when it was allocated (`""` elsewhere).
    site: &'static str,
    label: Label,
    by: (Tid, u64),
    freed: Option<(Tid, u64)>,
    permanent: bool,
    holders: Vec<Holder>,
    borrowers: Vec<Holder>,
    history: VecDeque<Event>,
}

#[derive(Default)]
struct Inner {
    step: u64,
    next_id: u64,
    recs: IdMap<AllocId, Rec>,
    live_by_addr: IdMap<u64, AllocId>,
    /// The allocator under zmalloc (addresses, usable sizes, pages).
    heap: Heap,
    /// zmalloc's `used_memory[MAX_THREADS]` counters.
    zmalloc: Zmalloc,
    /// The oracle's own sum of the live allocations' usable sizes (`USED_MEMORY`).
    live_usable: usize,
    /// [`crate::config::Fault::ForgetUsableRounding`]: zmalloc counts the requested size.
    forget_usable: bool,
    /// `stat_peak_memory`: the highest `used_memory` seen.
    peak: usize,
    /// The command main is running (the allocation site recorded for main's allocations).
    site: &'static str,
    allocations: u64,
    frees: u64,
    trace: Option<TraceSink>,
    retention: Option<usize>,
    freed_order: VecDeque<AllocId>,
    violations: u64,
    recent_violations: VecDeque<String>,
}

/// Reports of the latest violations kept for [`Ledger::live`].
const RECENT_VIOLATIONS: usize = 8;

/// The ledger's maps, keyed by allocation id or address: deterministic (no per-map seed, so a
/// replay is the same run) and cheap to hash. Every allocation, free, read and refcount step of
/// every execution looks a record up, and SipHash (the model's `DetMap`) was a measurable part
/// of an execution (`reports/2026-12-01-cost-per-point.md`). Their iteration order never shows:
/// the leak report sorts, the live report sums.
type IdMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<IdHasher>>;

/// FxHash's multiply-rotate over the key's integers (rustc's own map hash), no seed.
#[derive(Clone, Copy, Default)]
struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

/// Where a tracing ledger appends every event; a handle outlives the ledger (and the explorer
/// execution it ran in), so a failing run's trace can be read after the panic.
pub type TraceSink = std::sync::Arc<Mutex<Vec<Event>>>;

/// Counters for reports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Allocations made.
    pub allocations: u64,
    /// Frees made.
    pub frees: u64,
    /// Bytes live now (zmalloc's `used_memory`).
    pub used_memory: usize,
    /// Allocations live now.
    pub live: usize,
}

/// The ledger now, for a live report (`INFO ledger`, `DEBUG LEDGER`).
#[derive(Clone, Debug, Default)]
pub struct Live {
    /// The counters.
    pub summary: Summary,
    /// Live allocations by kind (kinds with none left out), in [`AllocKind`] order.
    pub by_kind: Vec<(AllocKind, usize, usize)>,
    /// Counted references by holder kind: keyspace, reply, io_deferred, deferred, argv, bio,
    /// temporary (those with none left out).
    pub by_holder: Vec<(&'static str, usize)>,
    /// Live allocations that are process-lifetime globals (the shared integers): never a leak.
    pub permanent: usize,
    /// Violations detected so far.
    pub violations: u64,
    /// Reports of the latest violations (at most 8), oldest first.
    pub recent: Vec<String>,
}

/// The allocator model and oracle. Shared by all model threads.
pub struct Ledger {
    inner: Mutex<Inner>,
}

impl Default for Ledger {
    fn default() -> Self {
        Self::new(false)
    }
}

impl fmt::Debug for Ledger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ledger({:?})", self.summary())
    }
}

impl Ledger {
    /// A new, empty ledger; with `trace` it keeps every event for replay output.
    pub fn new(trace: bool) -> Self {
        Ledger {
            inner: Mutex::new(Inner {
                heap: Heap::new(),
                trace: trace.then(TraceSink::default),
                ..Inner::default()
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Allocate `size` bytes. `holder` is the first reference for objects (refcount 1).
    pub fn alloc(
        &self,
        tid: Tid,
        kind: AllocKind,
        size: usize,
        label: impl Into<Label>,
        holder: Option<Holder>,
    ) -> Ptr {
        let mut g = self.lock();
        let t = thread_slot(tid);
        let (addr, usable) = g.heap.alloc(t, size);
        g.next_id += 1;
        let ptr = Ptr {
            addr,
            id: AllocId(g.next_id),
        };
        g.live_usable += usable;
        let counted = if g.forget_usable { size } else { usable };
        g.zmalloc.update(t, counted as i64);
        let used = g.zmalloc.used_memory();
        g.peak = g.peak.max(used);
        g.allocations += 1;
        g.live_by_addr.insert(addr, ptr.id);
        let step = g.step + 1; // the step `record` is about to number
        let label = label.into();
        let site = if tid == Tid::Main { g.site } else { "" };
        let op = Op::Alloc(kind, label.clone());
        g.recs.insert(
            ptr.id,
            Rec {
                ptr,
                kind,
                size,
                usable,
                site,
                label,
                by: (tid, step),
                freed: None,
                permanent: false,
                holders: holder.into_iter().collect(),
                borrowers: Vec::new(),
                history: VecDeque::with_capacity(HISTORY),
            },
        );
        record(&mut g, tid, ptr, op);
        ptr
    }

    /// Mark an allocation as a process-lifetime global (shared integers): never a leak.
    pub fn make_permanent(&self, ptr: Ptr) {
        if let Some(r) = self.lock().recs.get_mut(&ptr.id) {
            r.permanent = true;
            r.holders.clear();
        }
    }

    /// Free an allocation (zfree).
    pub fn free(&self, tid: Tid, ptr: Ptr) {
        let mut g = self.lock();
        let msg = match g.recs.get(&ptr.id) {
            None if pruned(&g, ptr) => Some((
                Invariant::DoubleFree,
                format!("{tid} freed {ptr} a second time (first freed long ago; record pruned)"),
            )),
            None => Some((
                Invariant::FreeUnknown,
                format!("{tid} freed {ptr}, an address the allocator never returned"),
            )),
            Some(r) if r.ptr.addr != ptr.addr => Some((
                Invariant::FreeUnknown,
                format!("{tid} freed {ptr}, which is not the start of an allocation"),
            )),
            Some(r) => r.freed.map(|(t, s)| {
                (
                    Invariant::DoubleFree,
                    format!("{tid} freed {ptr} a second time (first freed by {t} at step {s})"),
                )
            }),
        };
        if let Some((name, msg)) = msg {
            fail(g, tid, name, &msg, ptr)
        }
        let step = g.step + 1; // the step `record` is about to number
        let r = g.recs.get_mut(&ptr.id).expect("checked above");
        r.freed = Some((tid, step));
        let (usable, addr) = (r.usable, r.ptr.addr);
        let t = thread_slot(tid);
        g.live_usable -= usable;
        g.zmalloc.update(t, -(usable as i64));
        g.frees += 1;
        g.live_by_addr.remove(&addr);
        g.heap.free(t, addr, usable);
        record(&mut g, tid, ptr, Op::Free);
        if let Some(keep) = g.retention {
            g.freed_order.push_back(ptr.id);
            while g.freed_order.len() > keep {
                if let Some(old) = g.freed_order.pop_front() {
                    g.recs.remove(&old);
                }
            }
        }
    }

    /// Keep the records of at most `n` freed allocations (see the module doc); `None` (the
    /// default) keeps every record.
    pub fn set_retention(&self, n: Option<usize>) {
        self.lock().retention = n;
    }

    /// A checked read of an allocation's contents by `tid` (`what` names the access).
    pub fn read(&self, tid: Tid, ptr: Ptr, what: &'static str) {
        let mut g = self.lock();
        let freed = g.recs.get(&ptr.id).map(|r| r.freed);
        match freed {
            Some(None) => record(&mut g, tid, ptr, Op::Read(what)),
            Some(Some((t, s))) => {
                let reused = g
                    .live_by_addr
                    .get(&ptr.addr)
                    .map(|id| format!(" (address now reused by #{})", id.0))
                    .unwrap_or_default();
                let msg = format!("{tid} read {what} of {ptr}, freed by {t} at step {s}{reused}");
                fail(g, tid, Invariant::UseAfterFree, &msg, ptr)
            }
            None if pruned(&g, ptr) => {
                let msg = format!("{tid} read {what} of {ptr}, freed long ago (record pruned)");
                fail(g, tid, Invariant::UseAfterFree, &msg, ptr)
            }
            None => fail(
                g,
                tid,
                Invariant::FreeUnknown,
                &format!("{tid} read {what} through {ptr}, never allocated"),
                ptr,
            ),
        }
    }

    /// The counted holders and the uncounted borrowers of `ptr` now (oracle only: no event).
    pub fn holders(&self, ptr: Ptr) -> (Vec<Holder>, Vec<Holder>) {
        match self.lock().recs.get(&ptr.id) {
            Some(r) => (r.holders.clone(), r.borrowers.clone()),
            None => (Vec::new(), Vec::new()),
        }
    }

    /// `(object, holder)` for every counted holder of a live allocation that `keep` accepts
    /// (oracle only; a scan of every allocation).
    pub fn holders_where(&self, keep: impl Fn(&Holder) -> bool) -> Vec<(Ptr, Holder)> {
        let g = self.lock();
        g.recs
            .values()
            .filter(|r| r.freed.is_none())
            .flat_map(|r| {
                r.holders
                    .iter()
                    .filter(|h| keep(h))
                    .map(move |h| (r.ptr, *h))
            })
            .collect()
    }

    /// Whether `ptr`'s allocation is still live (no event recorded).
    pub fn is_live(&self, ptr: Ptr) -> bool {
        matches!(self.lock().recs.get(&ptr.id), Some(r) if r.freed.is_none())
    }

    /// Record an `incrRefCount` that added `holder`; checks conservation and the special values.
    pub fn on_incr(
        &self,
        tid: Tid,
        ptr: Ptr,
        before: u32,
        after: u32,
        holder: Holder,
        first_special: u32,
    ) {
        let mut g = self.lock();
        if let Some(r) = g.recs.get_mut(&ptr.id) {
            r.holders.push(holder);
        }
        record(&mut g, tid, ptr, Op::Incr(before, after, holder));
        if after >= first_special {
            let msg = format!(
                "{tid} incremented {ptr} from {before} onto {after}, a special value (first special is {first_special})"
            );
            fail(g, tid, Invariant::RefcountOverflow, &msg, ptr)
        }
        conserve(g, tid, ptr, after);
    }

    /// Record a `decrRefCount` that released `holder`; checks conservation.
    pub fn on_decr(&self, tid: Tid, ptr: Ptr, before: u32, after: u32, holder: Holder) {
        let mut g = self.lock();
        let step = g.step;
        let missing = match g.recs.get_mut(&ptr.id) {
            Some(r) => match r.holders.iter().position(|h| *h == holder) {
                Some(i) => {
                    r.holders.remove(i);
                    false
                }
                // Live, or freed by this very decrement (the free is the last event, by
                // this thread): the release names a holder that holds nothing.
                None => r.freed.is_none_or(|(t, s)| t == tid && s == step),
            },
            None => false,
        };
        record(&mut g, tid, ptr, Op::Decr(before, after, holder));
        if missing {
            let msg = format!(
                "{tid} released {ptr} on behalf of {holder}, which holds no reference to it"
            );
            fail(g, tid, Invariant::CountConservation, &msg, ptr)
        }
        conserve(g, tid, ptr, after);
    }

    /// Record an uncounted reference taken by `holder` (epoch strategy).
    pub fn borrow(&self, tid: Tid, ptr: Ptr, holder: Holder) {
        let mut g = self.lock();
        if let Some(r) = g.recs.get_mut(&ptr.id) {
            r.borrowers.push(holder);
        }
        record(&mut g, tid, ptr, Op::Borrow(holder));
    }

    /// Record the end of `holder`'s uncounted reference (epoch strategy).
    pub fn unborrow(&self, tid: Tid, ptr: Ptr, holder: Holder) {
        let mut g = self.lock();
        let ok = match g.recs.get_mut(&ptr.id) {
            Some(r) => match r.borrowers.iter().position(|h| *h == holder) {
                Some(i) => {
                    r.borrowers.remove(i);
                    true
                }
                None => false,
            },
            None => true,
        };
        record(&mut g, tid, ptr, Op::Unborrow(holder));
        if !ok {
            let msg = format!("{tid} ended a borrow of {ptr} by {holder}, which has none");
            fail(g, tid, Invariant::CountConservation, &msg, ptr)
        }
    }

    /// Record that `ptr` was retired (epoch strategy); its free comes later.
    pub fn retire(&self, tid: Tid, ptr: Ptr) {
        record(&mut self.lock(), tid, ptr, Op::Retire);
    }

    /// Record that a reference moved between holders (no count change).
    pub fn transfer(&self, tid: Tid, ptr: Ptr, from: Holder, to: Holder) {
        let mut g = self.lock();
        let ok = match g.recs.get_mut(&ptr.id) {
            Some(r) => match r.holders.iter().position(|h| *h == from) {
                Some(i) => {
                    r.holders[i] = to;
                    true
                }
                None => false,
            },
            None => true,
        };
        record(&mut g, tid, ptr, Op::Transfer(from, to));
        if !ok {
            let msg =
                format!("{tid} handed over {ptr} from {from}, which holds no reference to it");
            fail(g, tid, Invariant::CountConservation, &msg, ptr)
        }
    }

    /// Panic with a formatted report for an invariant `tid` detected outside the ledger.
    pub fn violation(&self, tid: Tid, name: Invariant, msg: &str, ptr: Option<Ptr>) -> ! {
        fail(self.lock(), tid, name, msg, ptr.unwrap_or(Ptr::NONE))
    }

    /// At quiescence: every non-permanent allocation must have been freed (`LEAK`).
    pub fn assert_quiescent(&self) {
        self.check_used_memory(Tid::Main);
        let g = self.lock();
        let mut leaked: Vec<Ptr> = g
            .recs
            .values()
            .filter(|r| r.freed.is_none() && !r.permanent)
            .map(|r| r.ptr)
            .collect();
        if leaked.is_empty() {
            return;
        }
        leaked.sort_by_key(|p| p.id);
        // Name the root: an object header if one leaked, else the first allocation.
        let root = leaked
            .iter()
            .copied()
            .find(|p| g.recs[&p.id].kind == AllocKind::Object)
            .unwrap_or(leaked[0]);
        let bytes: usize = leaked.iter().map(|p| g.recs[&p.id].size).sum();
        let others: Vec<String> = leaked
            .iter()
            .filter(|p| **p != root)
            .take(6)
            .map(|p| {
                let r = &g.recs[&p.id];
                let site = if r.site.is_empty() { "" } else { " in " };
                format!("{} {:?} {}{site}{}", p, r.kind, r.label, r.site)
            })
            .collect();
        let msg = format!(
            "{} allocation(s), {} bytes still live at quiescence; root {} ({} holders){}",
            leaked.len(),
            bytes,
            root,
            g.recs[&root.id].holders.len(),
            if others.is_empty() {
                String::new()
            } else {
                format!("; also {}", others.join(", "))
            }
        );
        fail(g, Tid::Main, Invariant::Leak, &msg, root)
    }

    /// Counters now.
    pub fn summary(&self) -> Summary {
        let g = self.lock();
        Summary {
            allocations: g.allocations,
            frees: g.frees,
            used_memory: g.zmalloc.used_memory(),
            live: g.live_by_addr.len(),
        }
    }

    /// Violations detected so far (each also panicked).
    pub fn violations(&self) -> u64 {
        self.lock().violations
    }

    /// A caller caught a panic with `report`: when it is not the violation this ledger raised
    /// last (a model `assert!`, e.g. `CLIENT_OWNERSHIP`, or a bug), count and keep it like one.
    /// Returns whether it was new.
    pub fn note_caught(&self, report: &str) -> bool {
        let mut g = self.lock();
        if g.recent_violations.back().is_some_and(|r| r == report) {
            return false;
        }
        g.violations += 1;
        if g.recent_violations.len() == RECENT_VIOLATIONS {
            g.recent_violations.pop_front();
        }
        g.recent_violations.push_back(report.to_string());
        true
    }

    /// The full event trace (empty unless created with `trace`).
    pub fn trace(&self) -> Vec<Event> {
        self.trace_sink()
            .map(|t| t.lock().unwrap_or_else(|e| e.into_inner()).clone())
            .unwrap_or_default()
    }

    /// A handle on the trace (`None` unless created with `trace`).
    pub fn trace_sink(&self) -> Option<TraceSink> {
        self.lock().trace.clone()
    }

    /// Record that `from` handed the client allocated at `client` to thread `to`.
    pub fn hand_off(&self, from: Tid, client: Ptr, to: Tid) {
        record(&mut self.lock(), from, client, Op::HandOff(to));
    }
}

/// An allocation this ledger made whose record was pruned after its free (see
/// [`Ledger::set_retention`]).
fn pruned(g: &Inner, ptr: Ptr) -> bool {
    g.retention.is_some() && ptr.id.0 >= 1 && ptr.id.0 <= g.next_id
}

fn record(g: &mut Inner, tid: Tid, ptr: Ptr, op: Op) {
    g.step += 1;
    let ev = Event {
        step: g.step,
        tid,
        ptr,
        op,
    };
    if let Some(t) = &g.trace {
        t.lock().unwrap_or_else(|e| e.into_inner()).push(ev.clone());
    }
    if let Some(r) = g.recs.get_mut(&ptr.id) {
        if r.history.len() == HISTORY {
            r.history.pop_front();
        }
        r.history.push_back(ev);
    }
}

/// `COUNT_CONSERVATION` after a refcount step: the count equals the number of live holders.
fn conserve(g: MutexGuard<'_, Inner>, tid: Tid, ptr: Ptr, count: u32) {
    let Some(r) = g.recs.get(&ptr.id) else { return };
    if r.freed.is_some() || r.permanent || r.holders.len() == count as usize {
        return;
    }
    let n = r.holders.len();
    let what = if (count as usize) > n {
        "an update was lost: the object can never reach 0 and will leak"
    } else {
        "the object will be freed while still referenced"
    };
    let msg = format!("after {tid}'s step {ptr} has refcount {count} but {n} live holders; {what}");
    fail(g, tid, Invariant::CountConservation, &msg, ptr)
}

/// Report a violation of `name` about `ptr` found by `tid`: format the report, append the
/// violation to the trace (not to the object's history), release the ledger, panic.
fn fail(mut g: MutexGuard<'_, Inner>, tid: Tid, name: Invariant, msg: &str, ptr: Ptr) -> ! {
    let report = report(&mut g, name, msg, ptr);
    g.violations += 1;
    if g.recent_violations.len() == RECENT_VIOLATIONS {
        g.recent_violations.pop_front();
    }
    g.recent_violations.push_back(report.clone());
    if let Some(t) = &g.trace {
        let ev = Event {
            step: g.step + 1,
            tid,
            ptr,
            op: Op::Violation {
                invariant: name,
                message: format!("{name}: {msg}"),
            },
        };
        t.lock().unwrap_or_else(|e| e.into_inner()).push(ev);
    }
    drop(g);
    panic!("{report}");
}

fn report(g: &mut Inner, name: Invariant, msg: &str, ptr: Ptr) -> String {
    let mut s = format!("INVARIANT {name}: {msg}");
    if let Some(r) = g.recs.get(&ptr.id) {
        s.push_str(&format!(
            "\n  object {} {:?} {:?} size {} (usable {}), allocated by {}{}{} at step {}",
            r.ptr,
            r.kind,
            r.label.to_string(),
            r.size,
            r.usable,
            r.by.0,
            if r.site.is_empty() { "" } else { " in " },
            r.site,
            r.by.1
        ));
        if let Some((t, st)) = r.freed {
            s.push_str(&format!(", freed by {t} at step {st}"));
        }
        let holders: Vec<String> = r.holders.iter().map(|h| h.to_string()).collect();
        s.push_str(&format!("\n  holders: [{}]", holders.join(", ")));
        if !r.borrowers.is_empty() {
            let b: Vec<String> = r.borrowers.iter().map(|h| h.to_string()).collect();
            s.push_str(&format!("\n  borrowers (uncounted): [{}]", b.join(", ")));
        }
        s.push_str("\n  last events:");
        for e in &r.history {
            s.push_str(&format!("\n    {e}"));
        }
    }
    s
}

#[cfg(test)]
mod tests;
