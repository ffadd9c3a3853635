//! The object types: `robj` / `kvobj` as src/server.h and src/object.h declare them (read at
//! f36ee257 and 0815ff29; Redis 8.6 era): the header's type, encoding and payload, the embedded
//! key and expire of a kvobj, and the refcount word. No behaviour lives here: creating objects,
//! `incrRefCount` and `decrRefCount` are object.c's, in [`crate::object`].
//!
//! Who may touch what: any thread may hold an [`RObj`] (cloning one copies the pointer and
//! takes no reference). The refcount word (`Word`) is read and written only by
//! [`crate::object`] (the crate-visible accessors exist for it alone), so every count change
//! goes through `incr_ref_count` / `decr_ref_count` and the ledger sees it. The header sits
//! behind an oracle-level std lock (invisible to the explorers, held for one field access):
//! only the refcount word is a modelled memory location.
//!
//! Simplified: LRU/LFU bits and module metadata are left out; a quicklist node is one list
//! element.

use crate::ledger::Ptr;
use crate::sync::{AtomicWord, RacyWord};
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
    /// Quicklist of nodes.
    Quicklist,
}

/// A string's bytes: a shared, immutable buffer (cloning it shares it). `bytes::Bytes`, so a
/// value parsed out of a request becomes its sds without a copy (see [`crate::object`]).
pub type Bytes = bytes::Bytes;

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
    /// Quicklist nodes.
    List(std::collections::VecDeque<Sds>),
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

/// The refcount word: plain (Redis) or atomic (the atomic strategy). Only [`crate::object`]
/// loads and stores it.
pub(crate) enum Word {
    /// Redis's plain word: a load and a separate store, which two threads can interleave.
    Plain(RacyWord),
    /// Not Redis (the atomic strategy): atomic read-modify-writes.
    Atomic(AtomicWord),
}

struct Slot {
    ptr: Ptr,
    refcount: Word,
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
            hdr: Mutex::new(hdr),
        }))
    }

    /// The refcount word (for [`crate::object`]'s `incrRefCount` / `decrRefCount`).
    pub(crate) fn word(&self) -> &Word {
        &self.0.refcount
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

    /// `getObjectLength`-style count of quicklist nodes (lazyfree effort of a list).
    pub fn list_len(&self) -> usize {
        match &self.hdr().payload {
            Payload::List(n) => n.len(),
            _ => 0,
        }
    }
}
