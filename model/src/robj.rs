//! The object types: `robj` / `kvobj` as src/server.h and src/object.h declare them (server.h
//! at the pin 059f40da; object.h, not stored at the pin, at 0815ff29, whose header layout is
//! the 8.0+ kvobj one the pin has): the header's type, encoding and payload, the embedded
//! key and expire of a kvobj, and the header word. No behaviour lives here: creating objects,
//! `incrRefCount` and `decrRefCount` are object.c's, in [`crate::object`].
//!
//! The racy memory of an object, as C lays it out: the **header word** (`Word`: the first 32
//! bits, `type:4 encoding:4 refcount:23 iskvobj:1`; a write of any of these bit-fields is a
//! read-modify-write of the whole word, so the refcount word *is* the header word and type or
//! encoding writes go through it), and the **payload** (`ptr` and the bytes it names, the
//! embedded value and key included: one [`RacyCell`]). The field values themselves sit behind
//! an oracle-level std lock (invisible to the explorers, held for one field access). LRU/LFU
//! and `metabits` (the second word) are not modelled.
//!
//! Who may touch what: any thread may hold an [`RObj`] (cloning one copies the pointer and
//! takes no reference). The header word and the payload cell are accessed only by
//! [`crate::object`] (the crate-visible accessors exist for it alone), so every count change
//! goes through `incr_ref_count` / `decr_ref_count` and the ledger sees it, and every header
//! or `ptr` write that can race is checked.
//!
//! Simplified: LRU/LFU bits and module metadata are left out. A list is a listpack (one node,
//! `OBJ_ENCODING_LISTPACK`) or a quicklist of listpack and PLAIN nodes
//! (`OBJ_ENCODING_QUICKLIST`); each node is one allocation.

use crate::ledger::Ptr;
use crate::sync::{AtomicWord, RacyCell, RacyWord};
use std::sync::{Arc, Mutex, MutexGuard};

/// `OBJ_ENCODING_EMBSTR_SIZE_LIMIT`.
pub const EMBSTR_SIZE_LIMIT: usize = 44;

/// `OBJ_SHARED_INTEGERS`.
pub const SHARED_INTEGERS: i64 = 10000;

/// Size of an object header (`sizeof(robj)`).
pub const HEADER_SIZE: usize = 16;

/// `OBJ_STRING`, `OBJ_LIST`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ObjType {
    /// A string.
    String,
    /// A list.
    List,
}

/// `OBJ_ENCODING_*`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// Integer stored in the pointer.
    Int,
    /// sds in the header's allocation.
    Embstr,
    /// Separate sds allocation.
    Raw,
    /// A list in one listpack (`OBJ_ENCODING_LISTPACK`: small lists).
    Listpack,
    /// Quicklist of nodes.
    Quicklist,
}

/// A string's bytes: a shared, immutable buffer (cloning it shares it). `bytes::Bytes`, so a
/// value parsed out of a request becomes its sds without a copy (see [`crate::object`]).
pub type Bytes = bytes::Bytes;

/// A list's node: a listpack holding several elements, or a PLAIN node holding one element
/// larger than the node size limit (quicklist.c `isLargeElement`). One allocation.
#[derive(Clone, Debug)]
pub struct ListNode {
    /// Its allocation.
    pub ptr: Ptr,
    /// The elements, in order.
    pub elems: std::collections::VecDeque<Arc<[u8]>>,
    /// `QUICKLIST_NODE_CONTAINER_PLAIN`.
    pub plain: bool,
}

/// Bytes a listpack entry of an `len`-byte string takes (encoding header, data, back-length;
/// listpack.c's string encodings; integers are counted as strings).
pub fn lp_entry_size(len: usize) -> usize {
    let enc = if len < 64 {
        1
    } else if len < 4096 {
        2
    } else {
        5
    };
    let body = enc + len;
    let back = match body {
        0..=127 => 1,
        128..=16383 => 2,
        16384..=2_097_151 => 3,
        2_097_152..=268_435_455 => 4,
        _ => 5,
    };
    body + back
}

/// `LP_HDR_SIZE` + the end byte: an empty listpack's size.
pub const LP_EMPTY_SIZE: usize = 7;

impl ListNode {
    /// `node->sz`: the listpack's bytes (`lpBytes`), or a PLAIN node's element size.
    pub fn sz(&self) -> usize {
        if self.plain {
            self.elems.front().map_or(0, |e| e.len())
        } else {
            LP_EMPTY_SIZE
                + self
                    .elems
                    .iter()
                    .map(|e| lp_entry_size(e.len()))
                    .sum::<usize>()
        }
    }
}

/// A separately allocated byte buffer (sds or quicklist node).
#[derive(Clone, Debug)]
pub struct Sds {
    /// Its allocation.
    pub ptr: Ptr,
    /// Its bytes.
    pub data: Bytes,
}

/// What `o->ptr` points at.
#[derive(Clone, Debug)]
pub enum Payload {
    /// NULL (stolen by `kvobjSet`).
    Null,
    /// An integer (INT encoding).
    Int(i64),
    /// Bytes embedded in the header allocation.
    Emb(Bytes),
    /// A separate sds.
    Raw(Sds),
    /// A list's nodes (one listpack under `Listpack`; listpack and PLAIN nodes under
    /// `Quicklist`).
    List(std::collections::VecDeque<ListNode>),
}

/// The non-refcount part of the header.
#[derive(Clone, Debug)]
pub struct Header {
    /// `type`.
    pub otype: ObjType,
    /// `encoding`.
    pub encoding: Encoding,
    /// `ptr`.
    pub payload: Payload,
    /// The embedded key of a kvobj.
    pub key: Option<Arc<[u8]>>,
    /// Expire time (unix ms) when the kvobj has an expire slot filled.
    pub expire: Option<i64>,
    /// Whether the kvobj has the expire metadata slot.
    pub has_expire_slot: bool,
    /// Not Redis (epoch strategy): uncounted reply references main knows of (main only).
    pub reply_borrows: u32,
}

impl Header {
    /// A header that is not (yet) a kvobj.
    pub fn new(otype: ObjType, encoding: Encoding, payload: Payload) -> Self {
        Header {
            otype,
            encoding,
            payload,
            key: None,
            expire: None,
            has_expire_slot: false,
            reply_borrows: 0,
        }
    }
}

/// The header word (refcount, type, encoding, iskvobj): plain (Redis) or, for the refcount's
/// changes, atomic (the atomic strategy). Only [`crate::object`] loads and stores it.
pub(crate) enum Word {
    /// Redis's plain word: a load and a separate store, which two threads can interleave.
    Plain(RacyWord),
    /// Not Redis (the atomic strategy): atomic read-modify-writes.
    Atomic(AtomicWord),
}

struct Slot {
    ptr: Ptr,
    refcount: Word,
    payload: RacyCell,
    hdr: Mutex<Header>,
}

/// A pointer to an object. Cloning copies the pointer; it takes no reference.
#[derive(Clone)]
pub struct RObj(Arc<Slot>);

impl std::fmt::Debug for RObj {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "robj{}", self.0.ptr)
    }
}

impl PartialEq for RObj {
    fn eq(&self, o: &RObj) -> bool {
        self.0.ptr == o.0.ptr
    }
}

impl Eq for RObj {}

impl RObj {
    /// An object at `ptr` with refcount word `refcount` and header `hdr` (object.c's
    /// allocation; see [`crate::object`]).
    pub(crate) fn from_parts(ptr: Ptr, refcount: Word, hdr: Header) -> RObj {
        RObj(Arc::new(Slot {
            ptr,
            refcount,
            payload: RacyCell::new(),
            hdr: Mutex::new(hdr),
        }))
    }

    /// The header word (for [`crate::object`]'s `incrRefCount` / `decrRefCount` and header
    /// edits).
    pub(crate) fn word(&self) -> &Word {
        &self.0.refcount
    }

    /// The payload location, `ptr` and the bytes it names (for [`crate::object`]).
    pub(crate) fn payload_cell(&self) -> &RacyCell {
        &self.0.payload
    }

    /// The object's address and allocation.
    pub fn ptr(&self) -> Ptr {
        self.0.ptr
    }

    /// The header (oracle-level lock; held only for the duration of one field access).
    pub fn hdr(&self) -> MutexGuard<'_, Header> {
        self.0.hdr.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `o->type`.
    pub fn otype(&self) -> ObjType {
        self.hdr().otype
    }

    /// `o->encoding`.
    pub fn encoding(&self) -> Encoding {
        self.hdr().encoding
    }

    /// The count as the oracle sees it (no model step).
    pub fn refcount_peek(&self) -> u32 {
        match &self.0.refcount {
            Word::Plain(w) => w.peek(),
            Word::Atomic(w) => w.peek(),
        }
    }

    /// A string's bytes as the oracle sees them (no model step, no ledger event); empty for
    /// other payloads.
    pub fn peek_bytes(&self) -> Vec<u8> {
        match &self.hdr().payload {
            Payload::Raw(s) => s.data.to_vec(),
            Payload::Emb(b) => b.to_vec(),
            Payload::Int(v) => v.to_string().into_bytes(),
            Payload::Null | Payload::List(_) => Vec::new(),
        }
    }

    /// `listTypeLength`: the number of elements of a list.
    pub fn list_len(&self) -> usize {
        match &self.hdr().payload {
            Payload::List(n) => n.iter().map(|x| x.elems.len()).sum(),
            _ => 0,
        }
    }

    /// `ql->len`: the number of nodes of a list (1 for a listpack).
    pub fn list_nodes(&self) -> usize {
        match &self.hdr().payload {
            Payload::List(n) => n.len(),
            _ => 0,
        }
    }
}
