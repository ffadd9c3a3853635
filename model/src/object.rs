//! Objects (`robj` / `kvobj`) and their reference count. Mirrors src/object.c and src/object.h
//! (neither stored at the pin 059f40da: object.c read at f36ee257, whose only difference from
//! the pin here is #14934's notify call in `decrRefCount`, made under the 14934 variant only;
//! object.h at 0815ff29, whose header word is the pin's): creating objects, `incrRefCount`,
//! `decrRefCount` and freeing. The types themselves are declared in [`crate::robj`] (as
//! server.h declares them) and re-exported here.
//!
//! The header's refcount is a **plain word** ([`RacyWord`]), not an atomic: `incr_ref_count` and
//! `decr_ref_count` are an ordinary load and store, so two threads can interleave them. Redis keeps
//! that safe by confinement: only the main thread touches counts of objects anyone else can see;
//! another thread may decrement only an object it owns outright (count 1).
//!
//! Who holds references (each one is a [`Holder`] in the ledger, and the count must equal their
//! number — `COUNT_CONSERVATION`): the keyspace entry; a bulk reference in a client's reply; a
//! client's `io_deferred_objects` and `deferred_objects`; a client's argv; a BIO job; a temporary
//! on the stack.
//!
//! Under [`Strategy::Atomic`] (not Redis) the word is an [`AtomicWord`] and the count changes by
//! atomic read-modify-write ([`RObj::incr_ref_count`] and [`RObj::decr_ref_count`] dispatch);
//! under [`Strategy::Epoch`] (not Redis) a count reaching 0 may retire the object (hand it to
//! main through [`Env::limbo`]) instead of freeing it now.
//!
//! Who may touch what: only this module changes a refcount word; any thread may call
//! `decr_ref_count` on an object it owns outright, only main on others (confinement). The
//! shared integers are created here (`Env::shared_integer`), on main.
//!
//! Racy memory (see [`crate::robj`]): the header word, whose refcount changes are the loads and
//! stores above (scheduling points) and whose type/encoding writes are quiet read-modify-writes
//! of the same word ([`RObj::set_encoding`]); and the payload (`ptr` and its bytes), written by
//! main when it steals, swaps or edits a payload ([`RObj::write_ptr`]) and read by an IO thread
//! writing a reply reference or a thread freeing the object ([`RObj::read_ptr`]). Main's own
//! reads of objects only main writes are not checked (they cannot race). LRU/LFU bits and
//! module metadata are left out.

pub use crate::env::Cx;
pub use crate::robj::{
    lp_entry_size, Bytes, Encoding, Header, ListNode, ObjType, Payload, RObj, Sds,
    EMBSTR_SIZE_LIMIT, HEADER_SIZE, LP_EMPTY_SIZE, SHARED_INTEGERS,
};

use crate::config::{Fault, Strategy};
use crate::env::Env;
use crate::ledger::{AllocKind, Head, Holder, Label, Ptr};
use crate::robj::Word;
use crate::sync::{AtomicWord, Race, RacyWord};

fn race_panic(cx: Cx<'_>, obj: &RObj, r: Race, during: &str) -> ! {
    race_report(
        cx,
        obj,
        r,
        "the header word (type, encoding, refcount)",
        during,
    )
}

fn race_report(cx: Cx<'_>, obj: &RObj, r: Race, location: &str, during: &str) -> ! {
    cx.env.ledger.violation(
        cx.tid,
        crate::invariant::Invariant::DataRace,
        &format!(
            "unsynchronised accesses to {location} of {} by {} and {} (no happens-before edge orders them), {} in {during}",
            obj.ptr(),
            r.earlier,
            r.later,
            r.later
        ),
        Some(obj.ptr()),
    )
}

impl RObj {
    fn alloc(cx: Cx<'_>, hdr: Header, size: usize, label: Label, holder: Holder) -> RObj {
        let ptr = cx
            .env
            .ledger
            .alloc(cx.tid, AllocKind::Object, size, label, Some(holder));
        let refcount = match cx.env.cfg.strategy {
            Strategy::Atomic => Word::Atomic(AtomicWord::new(1)),
            _ => Word::Plain(RacyWord::new(1, cx.env.cfg.word_mode)),
        };
        RObj::from_parts(ptr, refcount, hdr)
    }

    /// An object with a ready header (a kvobj built by `kvobjSet`), refcount 1 held by `holder`.
    pub fn create_with_header(cx: Cx<'_>, hdr: Header, size: usize, holder: Holder) -> RObj {
        let label = match (&hdr.key, &hdr.payload) {
            (Some(k), _) => Label::Kvobj(Head::of(k)),
            (None, Payload::Raw(s)) => label(&s.data),
            _ => Label::Name("object"),
        };
        RObj::alloc(cx, hdr, size, label, holder)
    }

    /// Read `o->refcount` (a model step: a load of the plain word).
    pub fn refcount(&self, cx: Cx<'_>) -> u32 {
        self.load_count(cx, "a refcount read")
    }

    /// Load the word on behalf of `during` (named in a race report).
    fn load_count(&self, cx: Cx<'_>, during: &str) -> u32 {
        match &self.word() {
            Word::Plain(w) => w.load().unwrap_or_else(|r| race_panic(cx, self, r, during)),
            Word::Atomic(w) => w.load(),
        }
    }

    fn store_count(&self, cx: Cx<'_>, v: u32, during: &str) {
        match &self.word() {
            Word::Plain(w) => w
                .store(v)
                .unwrap_or_else(|r| race_panic(cx, self, r, during)),
            Word::Atomic(w) => w.store(v),
        }
    }

    /// `createRawStringObject`: header + separate sds.
    pub fn create_raw_string(cx: Cx<'_>, bytes: &[u8], holder: Holder) -> RObj {
        RObj::create_raw_string_owned(cx, Bytes::copy_from_slice(bytes), holder)
    }

    /// [`RObj::create_raw_string`] of bytes the caller hands over (no copy).
    pub fn create_raw_string_owned(cx: Cx<'_>, bytes: Bytes, holder: Holder) -> RObj {
        let label = label(&bytes);
        let sds = new_sds_owned(cx, bytes, AllocKind::Sds);
        let hdr = Header::new(ObjType::String, Encoding::Raw, Payload::Raw(sds));
        RObj::alloc(cx, hdr, HEADER_SIZE, label, holder)
    }

    /// `createEmbeddedStringObject`.
    pub fn create_embstr(cx: Cx<'_>, bytes: &[u8], holder: Holder) -> RObj {
        let hdr = Header::new(
            ObjType::String,
            Encoding::Embstr,
            Payload::Emb(Bytes::copy_from_slice(bytes)),
        );
        RObj::alloc(
            cx,
            hdr,
            HEADER_SIZE + 3 + bytes.len() + 1,
            label(bytes),
            holder,
        )
    }

    /// `createStringObject`: EMBSTR up to 44 bytes, RAW above.
    pub fn create_string(cx: Cx<'_>, bytes: &[u8], holder: Holder) -> RObj {
        if bytes.len() <= EMBSTR_SIZE_LIMIT {
            RObj::create_embstr(cx, bytes, holder)
        } else {
            RObj::create_raw_string(cx, bytes, holder)
        }
    }

    /// [`RObj::create_string`] of bytes the caller hands over: a RAW string adopts them as its
    /// sds without a copy (a 64 KiB argument was copied once more per command otherwise).
    pub fn create_string_owned(cx: Cx<'_>, bytes: Vec<u8>, holder: Holder) -> RObj {
        if bytes.len() <= EMBSTR_SIZE_LIMIT {
            RObj::create_embstr(cx, &bytes, holder)
        } else {
            RObj::create_raw_string_owned(cx, Bytes::from(bytes), holder)
        }
    }

    /// `createStringObjectFromLongLongWithOptions` with `valueobj == 0`: a shared integer when in
    /// range (no reference is taken: shared objects ignore incr/decr), else an INT object.
    pub fn create_from_ll(cx: Cx<'_>, v: i64, holder: Holder) -> RObj {
        if (0..SHARED_INTEGERS).contains(&v) {
            return cx.env.shared_integer(v);
        }
        RObj::create_int(cx, v, holder)
    }

    /// An INT-encoded object that is never shared (`createStringObjectFromLongLongForValue`).
    pub fn create_int(cx: Cx<'_>, v: i64, holder: Holder) -> RObj {
        let hdr = Header::new(ObjType::String, Encoding::Int, Payload::Int(v));
        RObj::alloc(cx, hdr, HEADER_SIZE, Label::Int(v), holder)
    }

    /// A shared object (`makeObjectShared`): refcount = `OBJ_SHARED_REFCOUNT`, permanent.
    pub fn create_shared_int(cx: Cx<'_>, v: i64) -> RObj {
        let o = RObj::create_int(cx, v, Holder::Temp);
        o.store_count(cx, cx.env.cfg.shared_refcount(), "makeObjectShared");
        cx.env.ledger.make_permanent(o.ptr());
        o
    }

    /// `createListListpackObject`: an empty list in one listpack (object.c @ f36ee257).
    pub fn create_list(cx: Cx<'_>, holder: Holder) -> RObj {
        let node = new_list_node(cx, false);
        let hdr = Header::new(
            ObjType::List,
            Encoding::Listpack,
            Payload::List(std::collections::VecDeque::from([node])),
        );
        RObj::alloc(cx, hdr, HEADER_SIZE, "list".into(), holder)
    }

    /// `dupStringObject`: a fresh object with a copy of the string (refcount 1).
    pub fn dup_string(&self, cx: Cx<'_>, holder: Holder) -> RObj {
        let bytes = self.string_bytes(cx, "string for dupStringObject");
        match self.encoding() {
            Encoding::Int => {
                let v = match self.hdr().payload {
                    Payload::Int(v) => v,
                    _ => 0,
                };
                RObj::create_int(cx, v, holder)
            }
            Encoding::Embstr => RObj::create_embstr(cx, &bytes, holder),
            // A new sds allocation; its (immutable) bytes are shared, not copied.
            _ => RObj::create_raw_string_owned(cx, bytes, holder),
        }
    }

    /// `incrRefCount` (object.c @ f36ee257, #14647; not #14934 code, so the pin's) on behalf of
    /// a new `holder`.
    pub fn incr_ref_count(&self, cx: Cx<'_>, holder: Holder) {
        let cfg = &cx.env.cfg;
        let (shared, first_special) = (cfg.shared_refcount(), cfg.static_refcount());
        let v = self.load_count(cx, "incrRefCount");
        // #14647 fixed the bound: `< FIRST_SPECIAL - 1`; the fault restores `< FIRST_SPECIAL`.
        let limit = if cfg.fault(Fault::IncrOffByOne) {
            first_special
        } else {
            first_special - 1
        };
        if v < limit {
            if !cx.env.ledger.is_live(self.ptr()) {
                cx.env
                    .ledger
                    .read(cx.tid, self.ptr(), "header for incrRefCount");
            }
            match &self.word() {
                Word::Plain(_) => {
                    self.store_count(cx, v + 1, "incrRefCount");
                    cx.env
                        .ledger
                        .on_incr(cx.tid, self.ptr(), v, v + 1, holder, first_special);
                }
                // Not Redis (the atomic strategy): only main increments, so the bound checked
                // on `v` still holds for the value the RMW sees.
                Word::Atomic(w) => w.step(|| {
                    let b = w.increment();
                    cx.env
                        .ledger
                        .on_incr(cx.tid, self.ptr(), b, b + 1, holder, first_special);
                }),
            }
        } else if v == shared {
            // Shared objects are immutable: nothing to count.
        } else if v == first_special {
            cx.env.ledger.violation(
cx.tid,
                crate::invariant::Invariant::RefcountOverflow,
                &format!("{}: incrRefCount of an object with the STATIC refcount ({v}): \"You tried to retain an object allocated in the stack\"", cx.tid),
                Some(self.ptr()),
            )
        } else {
            cx.env.ledger.violation(
cx.tid,
                crate::invariant::Invariant::RefcountLimit,
                &format!("{}: incrRefCount would reach the first special value from {v}: Redis panics \"You tried to retain an object with maximum refcount\" (its guard working)", cx.tid),
                Some(self.ptr()),
            )
        }
    }

    /// `decrRefCount` (object.c @ f36ee257, #13888: decrement, then test for 0; the pin's minus
    /// the #14934 notify, which runs only under the variant) releasing `holder`. With [`Fault::DecrFreeAtOne`] it frees when it *sees* 1 and never writes 0.
    pub fn decr_ref_count(&self, cx: Cx<'_>, holder: Holder) {
        let shared = cx.env.cfg.shared_refcount();
        let v = self.load_count(cx, "decrRefCount");
        if v == shared {
            return;
        }
        if let Word::Atomic(w) = &self.word() {
            return self.atomic_decr(cx, w, holder);
        }
        if cx.env.cfg.fault(Fault::DecrFreeAtOne) {
            if v == 1 {
                at_zero(cx, self);
                cx.env.ledger.on_decr(cx.tid, self.ptr(), 1, 0, holder);
                return;
            }
            if v == 0 {
                self.underflow(cx, v);
            }
            self.store_count(cx, v - 1, "decrRefCount");
            cx.env.ledger.on_decr(cx.tid, self.ptr(), v, v - 1, holder);
            return;
        }
        if v == 0 {
            self.underflow(cx, v);
        }
        self.store_count(cx, v - 1, "decrRefCount");
        if v - 1 == 0 {
            at_zero(cx, self);
        }
        cx.env.ledger.on_decr(cx.tid, self.ptr(), v, v - 1, holder);
        if v - 1 == 1 {
            // #14934 (variant only): `else if (o->refcount == 1 && o->type == OBJ_STRING)
            // replyRefsNotifyDecrRefCount(o)`, on whatever thread decremented.
            if let Some(r) = &cx.env.reply_refs {
                r.notify_decr_ref_count(cx.env, cx.tid, self);
            }
        }
    }

    /// Not Redis: `decrRefCount` of the atomic strategy (the #14608-review design): one AcqRel
    /// `fetch_sub`; the thread that takes the count from 1 to 0 frees. (The shared-object test
    /// before it needs no RMW: shared counts never change.) With [`Fault::AtomicSplitRmw`] the
    /// RMW is a load and a separate store: two threads can both write `v - 1` (a lost update,
    /// with no data race to report).
    fn atomic_decr(&self, cx: Cx<'_>, w: &AtomicWord, holder: Holder) {
        let split = cx.env.cfg.fault(Fault::AtomicSplitRmw);
        let seen = split.then(|| w.step(|| w.load()));
        w.step(|| {
            let before = match seen {
                Some(b) => {
                    if b != 0 {
                        w.store(b - 1);
                    }
                    b
                }
                None => w.decrement(),
            };
            if before == 0 {
                self.underflow(cx, before);
            }
            if before == 1 {
                at_zero(cx, self);
            }
            cx.env
                .ledger
                .on_decr(cx.tid, self.ptr(), before, before - 1, holder);
        })
    }

    fn underflow(&self, cx: Cx<'_>, v: u32) -> ! {
        let h = self.hdr().clone();
        cx.env.ledger.violation(
cx.tid,
            crate::invariant::Invariant::RefcountUnderflow,
            &format!(
                "{}: illegal decrRefCount for object with: type {:?}, encoding {:?}, refcount {v} (Redis panics here)",
                cx.tid, h.otype, h.encoding
            ),
            Some(self.ptr()),
        )
    }

    /// Free the payload and the header (`decrRefCount` reaching 0).
    pub(crate) fn free(&self, cx: Cx<'_>) {
        if let Some(r) = &cx.env.reply_refs {
            r.check_freed(cx.env, cx.tid, self.ptr());
        }
        // `freeStringObject` & co. read `o->ptr` to free the payload.
        if cx.tid != crate::ledger::Tid::Main {
            self.read_ptr(cx, "decrRefCount freeing the payload");
        }
        let payload = std::mem::replace(&mut self.hdr().payload, Payload::Null);
        free_payload(cx, payload, self.ptr());
        cx.env.ledger.free(cx.tid, self.ptr());
    }

    /// A write of `o->ptr` or of the bytes it names (a payload steal, a swap, an in-place
    /// edit), race-checked against other threads' reads and writes of it (no scheduling point).
    pub fn write_ptr(&self, cx: Cx<'_>, during: &str) {
        if let Err(r) = self.payload_cell().write() {
            race_report(cx, self, r, "ptr (and the bytes it names)", during)
        }
    }

    /// A read of `o->ptr` and the bytes it names by a thread that does not own the object (an IO
    /// thread writing a reply reference; a thread freeing it), race-checked.
    pub fn read_ptr(&self, cx: Cx<'_>, during: &str) {
        if let Err(r) = self.payload_cell().read() {
            race_report(cx, self, r, "ptr (and the bytes it names)", during)
        }
    }

    /// A write of the header word's type or encoding bit-fields: a read-modify-write of the
    /// word the refcount shares (race-checked, no scheduling point; the atomic strategy's word
    /// is not checked).
    pub fn write_header_bits(&self, cx: Cx<'_>, during: &str) {
        if let Word::Plain(w) = self.word() {
            let v = w
                .load_quiet()
                .unwrap_or_else(|r| race_panic(cx, self, r, during));
            w.store_quiet(v)
                .unwrap_or_else(|r| race_panic(cx, self, r, during));
        }
    }

    /// `o->encoding = enc` (a header-word RMW).
    pub fn set_encoding(&self, cx: Cx<'_>, enc: Encoding, during: &str) {
        self.write_header_bits(cx, during);
        self.hdr().encoding = enc;
    }

    /// [`Fault::BioHeaderWrite`]: BIO rewrites a header bit-field (an LRU/encoding "touch") of
    /// an object it holds no reference to: a header-word read-modify-write with scheduling
    /// points, after a checked read of the header (a freed one is a use after free).
    pub fn touch_header(&self, cx: Cx<'_>) {
        if !cx.env.ledger.is_live(self.ptr()) {
            cx.env
                .ledger
                .read(cx.tid, self.ptr(), "header touched by a BIO job");
        }
        if let Word::Plain(w) = self.word() {
            let v = w
                .load()
                .unwrap_or_else(|r| race_panic(cx, self, r, "a BIO header touch"));
            w.store(v)
                .unwrap_or_else(|r| race_panic(cx, self, r, "a BIO header touch"));
        }
    }

    /// The string value (checked read of the payload; INT renders as digits).
    pub fn string_bytes(&self, cx: Cx<'_>, what: &'static str) -> Bytes {
        let payload = self.hdr().payload.clone();
        match payload {
            Payload::Raw(s) => {
                cx.env.ledger.read(cx.tid, s.ptr, what);
                s.data
            }
            Payload::Emb(b) => {
                cx.env.ledger.read(cx.tid, self.ptr(), what);
                b
            }
            Payload::Int(v) => {
                cx.env.ledger.read(cx.tid, self.ptr(), what);
                Bytes::from(v.to_string().into_bytes())
            }
            Payload::Null | Payload::List(_) => {
                cx.env.ledger.read(cx.tid, self.ptr(), what);
                Bytes::new()
            }
        }
    }

    /// The bytes `writev` sends for a reply reference to this object that captured `len`
    /// (`_writevToClient`: the iovec is `o->ptr`, `len` bytes, read when the reply is written):
    /// a checked read of the sds `ptr` names now. A NULL `ptr` (stolen), a `ptr` that is not a
    /// string buffer, or one shorter than `len` is `REPLY_PAYLOAD` (a NULL dereference or an
    /// out-of-bounds read in C); a freed sds is `USE_AFTER_FREE` (the ledger's read).
    pub fn ref_bytes_for_writev(&self, cx: Cx<'_>, len: usize) -> Bytes {
        if !cx.env.ledger.is_live(self.ptr()) {
            // `o->ptr` is read from the header first: a freed header is a use after free.
            cx.env
                .ledger
                .read(cx.tid, self.ptr(), "ptr of a referenced object for writev");
        }
        self.read_ptr(cx, "writev of a reply reference");
        let payload = self.hdr().payload.clone();
        let bad = |what: String| -> ! {
            cx.env.ledger.violation(
                cx.tid,
                crate::invariant::Invariant::ReplyPayload,
                &format!(
                    "{} writes a reply reference to {} that captured {len} bytes, but {what}",
                    cx.tid,
                    self.ptr()
                ),
                Some(self.ptr()),
            )
        };
        let bytes = match payload {
            Payload::Raw(s) => {
                cx.env
                    .ledger
                    .read(cx.tid, s.ptr, "referenced string for writev");
                s.data
            }
            Payload::Emb(b) => {
                cx.env
                    .ledger
                    .read(cx.tid, self.ptr(), "referenced string for writev");
                b
            }
            Payload::Null => bad("its ptr is NULL (a NULL dereference)".into()),
            Payload::Int(v) => bad(format!(
                "its ptr holds the integer {v}, not a string buffer"
            )),
            Payload::List(_) => bad("its ptr is a list, not a string buffer".into()),
        };
        if bytes.len() < len {
            bad(format!(
                "its string has {} bytes now (an out-of-bounds read)",
                bytes.len()
            ));
        }
        if bytes.len() == len {
            bytes
        } else {
            bytes.slice(..len)
        }
    }

    /// `sdslen(o->ptr)` / digits for INT, via a checked read.
    pub fn string_len(&self, cx: Cx<'_>) -> usize {
        self.string_bytes(cx, "length").len()
    }
}

/// A string's label: its first 16 bytes and its length (formatted only when shown).
fn label(bytes: &[u8]) -> Label {
    Label::Bytes(Head::of(bytes))
}

/// `decrRefCount` reached 0 on `obj`: free it now, or under epoch retire a RAW string (the only
/// values a reply borrows) by handing it to main.
///
/// The one reclamation decision the object layer makes itself (the others are in
/// [`crate::reclaim`]): the limbo exists only under [`Strategy::Epoch`] (not Redis).
fn at_zero(cx: Cx<'_>, obj: &RObj) {
    match cx.env.limbo.as_ref() {
        Some(limbo) if obj.encoding() == Encoding::Raw => limbo.lock().push(obj.clone()),
        _ => obj.free(cx),
    }
}

impl Env {
    /// `shared.integers[v]` (created on first use: equivalent to creation at startup, since
    /// shared objects are immutable and never counted).
    pub fn shared_integer(&self, v: i64) -> RObj {
        let mut m = self.shared_ints();
        if let Some(o) = m.get(&v) {
            return o.clone();
        }
        let o = RObj::create_shared_int(Cx::main(self), v);
        m.insert(v, o.clone());
        o
    }
}

/// Allocate an sds-like buffer (`sdsnewlen`: 3-byte header + data + NUL).
pub fn new_sds(cx: Cx<'_>, bytes: &[u8], kind: AllocKind) -> Sds {
    new_sds_owned(cx, Bytes::copy_from_slice(bytes), kind)
}

/// [`new_sds`] of bytes the caller hands over (no copy: e.g. an argument just parsed).
pub fn new_sds_owned(cx: Cx<'_>, bytes: Bytes, kind: AllocKind) -> Sds {
    let ptr = cx
        .env
        .ledger
        .alloc(cx.tid, kind, 3 + bytes.len() + 1, label(&bytes), None);
    Sds { ptr, data: bytes }
}

/// Allocate a list node: an empty listpack (`lpNew`), or a PLAIN node (`plain`) whose element
/// the caller adds. The allocation's size is the node's size at creation (the model does not
/// track `lpAppend`'s reallocations; `MEMORY USAGE` counts the elements instead).
pub fn new_list_node(cx: Cx<'_>, plain: bool) -> ListNode {
    let ptr = cx.env.ledger.alloc(
        cx.tid,
        AllocKind::ListNode,
        LP_EMPTY_SIZE,
        if plain { "plain node" } else { "listpack" },
        None,
    );
    ListNode {
        ptr,
        elems: std::collections::VecDeque::new(),
        plain,
    }
}

/// Free a payload's separate allocations (`freeStringObject` & co.). `owner` is the header the
/// payload belonged to: an EMBSTR's sds lives inside it and is never freed on its own (with
/// [`Fault::FreeEmbstrPayload`] it is, at an address inside the header's allocation).
pub fn free_payload(cx: Cx<'_>, payload: Payload, owner: Ptr) {
    if matches!(payload, Payload::Emb(_)) && cx.env.cfg.fault(Fault::FreeEmbstrPayload) {
        let inner = Ptr {
            addr: owner.addr + HEADER_SIZE as u64,
            id: owner.id,
        };
        cx.env.ledger.free(cx.tid, inner);
    }
    match payload {
        Payload::Raw(s) => cx.env.ledger.free(cx.tid, s.ptr),
        Payload::List(nodes) => {
            for n in nodes {
                cx.env.ledger.free(cx.tid, n.ptr);
            }
        }
        Payload::Null | Payload::Int(_) | Payload::Emb(_) => {}
    }
}
