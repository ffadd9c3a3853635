//! List commands: the model's aggregate type, so that values with a free effort above
//! `LAZYFREE_THRESHOLD` exist and the BIO path runs. Mirrors src/t_list.c (`pushGenericCommand`,
//! `listTypeTryConvertListpack` / `listTypeTryConvertQuicklist`, `popGenericCommand` in its
//! 7.0+ form, `llenCommand`, `lrangeCommand` + `addListRangeReply`) and the node rules of
//! src/quicklist.c (`quicklistNodeExceedsLimit`, `isLargeElement`, `_quicklistNodeAllowInsert`).
//! t_list.c and quicklist.c were not stored at the pin (no 2025-26 copy in the index): the
//! conversion and node rules were read in 8.0-era copies quoted by secondary sources (t_list.c
//! with `quicklistNew(server.list_max_listpack_size, …)`; quicklist.c of 8.0.2); the pin's
//! `lazyfreeGetFreeEffort` (lazyfree.c @ 059f40da) is what depends on them, and it counts nodes.
//!
//! A list starts as one listpack (`OBJ_ENCODING_LISTPACK`, free effort 1) and becomes a
//! quicklist when a push would take the listpack over `list-max-listpack-size` (default -2: 8
//! KiB); then each node is a listpack of at most 8 KiB, or a PLAIN node holding one element
//! larger than 8 KiB, and the free effort is the number of nodes. A quicklist shrunk to one
//! listpack node of at most 4 KiB becomes a listpack again.
//!
//! Simplified: listpack sizes count every element as a string entry (`lp_entry_size`; Redis
//! stores integers more compactly); `list-max-listpack-size` is fixed at -2 and
//! `list-compress-depth` at 0. A popped element becomes a fresh string object, replied with
//! `addReplyBulk` (a reference when it is a big RAW string) and released; ranges are replied as
//! copies. A list left empty is deleted (`lazyfree-lazy-server-del`). Main thread only.

use super::object::{arg_ll_or_reply, arg_positive_or_reply};
use super::{arg, Client, Server, WRONGTYPE};
use crate::db::{db_add, db_generic_delete, lookup_key};
use crate::ledger::{Holder, Tid};
use crate::networking::{
    add_reply_array_len, add_reply_bulk, add_reply_bulk_cbuffer, add_reply_error,
    add_reply_error_arity, add_reply_integer, add_reply_len, add_reply_null, add_reply_null_array,
};
use crate::object::{new_list_node, Cx, Encoding, ListNode, ObjType, Payload, RObj, LP_EMPTY_SIZE};
use std::sync::Arc;

/// `optimization_level[1]`: the node size limit of `list-max-listpack-size -2` (the default).
pub const LIST_MAX_LISTPACK_BYTES: usize = 8192;

/// `SIZE_ESTIMATE_OVERHEAD` (quicklist.c): bytes added to an entry's length when estimating
/// whether it fits a node.
const SIZE_ESTIMATE_OVERHEAD: usize = 8;

/// `quicklistNodeExceedsLimit(-2, new_sz, _)`: the size limit alone applies to a negative fill.
fn exceeds_limit(new_sz: usize) -> bool {
    new_sz > LIST_MAX_LISTPACK_BYTES
}

/// `isLargeElement(sz, -2)`: an element larger than the node limit gets a PLAIN node.
fn is_large_element(sz: usize) -> bool {
    sz > LIST_MAX_LISTPACK_BYTES
}

/// `listTypeTryConvertListpack`: a listpack that would exceed the limit with `add_bytes` more
/// bytes becomes a quicklist; its listpack becomes the first node (freed when empty).
fn try_convert_listpack(cx: Cx<'_>, kv: &RObj, add_bytes: usize) {
    {
        let mut h = kv.hdr();
        if h.encoding != Encoding::Listpack {
            return;
        }
        let Payload::List(nodes) = &mut h.payload else {
            return;
        };
        let lp_bytes = nodes.front().map_or(LP_EMPTY_SIZE, ListNode::sz);
        if !exceeds_limit(lp_bytes + add_bytes) {
            return;
        }
        if nodes.front().is_some_and(|n| n.elems.is_empty()) {
            if let Some(n) = nodes.pop_front() {
                cx.env.ledger.free(cx.tid, n.ptr);
            }
        }
    }
    kv.write_ptr(cx, "listTypeTryConvertListpack (o->ptr = ql)");
    kv.set_encoding(
        cx,
        Encoding::Quicklist,
        "listTypeTryConvertListpack (o->encoding = QUICKLIST)",
    );
}

/// `listTypePush`: `lpAppend`/`lpPrepend` on a listpack; on a quicklist `quicklistPushHead` /
/// `quicklistPushTail` (a PLAIN node for a large element; the end node when
/// `_quicklistNodeAllowInsert` lets it grow; else a new listpack node).
fn list_type_push(cx: Cx<'_>, kv: &RObj, elem: &[u8], head: bool) {
    let mut h = kv.hdr();
    let quicklist = h.encoding == Encoding::Quicklist;
    let Payload::List(nodes) = &mut h.payload else {
        return;
    };
    let e: Arc<[u8]> = Arc::from(elem);
    let end = if head {
        nodes.front_mut()
    } else {
        nodes.back_mut()
    };
    let fits = |n: &ListNode| {
        !n.plain
            && !is_large_element(e.len())
            && !exceeds_limit(n.sz() + e.len() + SIZE_ESTIMATE_OVERHEAD)
    };
    match end {
        Some(n) if !quicklist || fits(n) => {
            if head {
                n.elems.push_front(e);
            } else {
                n.elems.push_back(e);
            }
        }
        _ => {
            let mut n = new_list_node(cx, is_large_element(e.len()));
            n.elems.push_back(e);
            if head {
                nodes.push_front(n);
            } else {
                nodes.push_back(n);
            }
        }
    }
}

/// Pop one element from the head or tail (`listTypePop`), freeing a node it empties.
fn list_type_pop(cx: Cx<'_>, kv: &RObj, head: bool) -> Option<Arc<[u8]>> {
    let mut h = kv.hdr();
    let quicklist = h.encoding == Encoding::Quicklist;
    let Payload::List(nodes) = &mut h.payload else {
        return None;
    };
    let node = if head {
        nodes.front_mut()
    } else {
        nodes.back_mut()
    }?;
    cx.env.ledger.read(cx.tid, node.ptr, "list element for POP");
    let e = if head {
        node.elems.pop_front()
    } else {
        node.elems.pop_back()
    };
    if quicklist && node.elems.is_empty() {
        let n = if head {
            nodes.pop_front()
        } else {
            nodes.pop_back()
        };
        if let Some(n) = n {
            cx.env.ledger.free(cx.tid, n.ptr);
        }
    }
    e
}

/// `listTypeTryConvertQuicklist(o, shrinking=1)`: a quicklist left with one listpack node of
/// at most half the limit becomes a listpack again (the node's listpack is kept).
fn try_convert_quicklist(cx: Cx<'_>, kv: &RObj) {
    let small = {
        let h = kv.hdr();
        h.encoding == Encoding::Quicklist
            && match &h.payload {
                Payload::List(nodes) => {
                    nodes.len() == 1
                        && !nodes[0].plain
                        && nodes[0].sz() <= LIST_MAX_LISTPACK_BYTES / 2
                }
                _ => false,
            }
    };
    if small {
        kv.write_ptr(
            cx,
            "listTypeTryConvertQuicklist (o->ptr = the node's listpack)",
        );
        kv.set_encoding(
            cx,
            Encoding::Listpack,
            "listTypeTryConvertQuicklist (o->encoding = LISTPACK)",
        );
    }
}

/// `pushGenericCommand` (t_list.c): WRONGTYPE, else create the list if missing (a listpack,
/// `dbAdd`), convert it to a quicklist if the new elements would take it over the limit
/// (`listTypeTryConversionAppend`), and push each element; replies the new length.
fn push_generic(s: &mut Server, c: &mut Client, head: bool) {
    let key = arg(s, c, 1);
    let kv = match lookup_key(s, c.db, &key) {
        Some(kv) if kv.otype() != ObjType::List => {
            add_reply_error(s, c, WRONGTYPE);
            return;
        }
        Some(kv) => kv,
        None => {
            let env = s.env();
            let l = RObj::create_list(Cx::main(&env), Holder::Temp);
            db_add(s, c.db, &key, &l, Holder::Temp)
        }
    };
    let env = s.env();
    let cx = Cx::main(&env);
    let elems: Vec<crate::robj::Bytes> = (2..c.argv.len()).map(|i| arg(s, c, i)).collect();
    let add_bytes = elems.iter().map(|e| e.len()).sum();
    try_convert_listpack(cx, &kv, add_bytes);
    for e in &elems {
        list_type_push(cx, &kv, e, head);
    }
    let len = kv.list_len();
    add_reply_len(s, c, len);
}

/// `rpushCommand` (t_list.c).
pub(super) fn rpush(s: &mut Server, c: &mut Client) {
    push_generic(s, c, false);
}

/// `lpushCommand` (t_list.c).
pub(super) fn lpush(s: &mut Server, c: &mut Client) {
    push_generic(s, c, true);
}

/// `popGenericCommand` (t_list.c, 7.0+ form): more than one count argument is
/// `wrong number of arguments for 'lpop' command`; the count must be an integer ≥ 0, else
/// `ERR value is out of range, must be positive` (also for a non-integer), and is parsed
/// before the key. Missing key: `$-1` without a count, `*-1` with
/// one; WRONGTYPE; count 0: `*0`.
///
/// Without a count one element is popped into a fresh string object (`listTypePop`), replied
/// with `addReplyBulk` (a reference when it is a big RAW string) and released. With a count,
/// up to `count` elements are replied as copies (`addListRangeReply`; RPOP in pop order, last
/// first), then removed. A list left empty is deleted (`dbDelete` → `lazyfree-lazy-server-del`).
///
/// 6.2 differed (count 0 → `*-1` before the lookup; missing key with count → `$-1`).
fn pop_generic(s: &mut Server, c: &mut Client, head: bool, name: &str) {
    let argc = c.argv.len();
    if argc > 3 {
        add_reply_error_arity(s, c, name);
        return;
    }
    let count = if argc == 3 {
        match arg_positive_or_reply(s, c, 2) {
            Some(n) => Some(n),
            None => return,
        }
    } else {
        None
    };
    let key = arg(s, c, 1);
    let kv = match lookup_key(s, c.db, &key) {
        None => {
            if count.is_some() {
                add_reply_null_array(s, c);
            } else {
                add_reply_null(s, c);
            }
            return;
        }
        Some(kv) if kv.otype() != ObjType::List => {
            add_reply_error(s, c, WRONGTYPE);
            return;
        }
        Some(kv) => kv,
    };
    let env = s.env();
    let cx = Cx::main(&env);
    match count {
        Some(0) => {
            add_reply_array_len(s, c, 0);
            return;
        }
        None => {
            let Some(e) = list_type_pop(cx, &kv, head) else {
                // An empty list is never stored (it is deleted when it empties).
                add_reply_null(s, c);
                return;
            };
            let value = RObj::create_string(cx, &e, Holder::Temp);
            add_reply_bulk(s, c, &value);
            value.decr_ref_count(cx, Holder::Temp);
        }
        Some(n) => {
            let len = kv.list_len();
            let take = usize::try_from(n).map_or(len, |n| n.min(len));
            add_reply_array_len(s, c, take);
            for _ in 0..take {
                if let Some(e) = list_type_pop(cx, &kv, head) {
                    add_reply_bulk_cbuffer(s, c, &e);
                }
            }
        }
    }
    try_convert_quicklist(cx, &kv);
    if kv.list_len() == 0 {
        let lazy = s.cfg.lazyfree_lazy_server_del;
        db_generic_delete(s, c.db, &key, lazy);
    }
}

/// `lpopCommand` (t_list.c).
pub(super) fn lpop(s: &mut Server, c: &mut Client) {
    pop_generic(s, c, true, "lpop");
}

/// `rpopCommand` (t_list.c).
pub(super) fn rpop(s: &mut Server, c: &mut Client) {
    pop_generic(s, c, false, "rpop");
}

/// `llenCommand` (t_list.c): `:0` for a missing key, WRONGTYPE, else the length.
pub(super) fn llen(s: &mut Server, c: &mut Client) {
    let key = arg(s, c, 1);
    match lookup_key(s, c.db, &key) {
        None => add_reply_integer(s, c, 0),
        Some(kv) if kv.otype() != ObjType::List => add_reply_error(s, c, WRONGTYPE),
        Some(kv) => add_reply_len(s, c, kv.list_len()),
    }
}

/// `lrangeCommand` + `addListRangeReply` (t_list.c): start and end are parsed first
/// (`ERR value is not an integer or out of range`), then the key (`*0` if missing,
/// WRONGTYPE). Negative indexes count from the end; an empty range is `*0`; elements are
/// copies.
pub(super) fn lrange(s: &mut Server, c: &mut Client) {
    let Some(start) = arg_ll_or_reply(s, c, 2) else {
        return;
    };
    let Some(end) = arg_ll_or_reply(s, c, 3) else {
        return;
    };
    let key = arg(s, c, 1);
    let kv = match lookup_key(s, c.db, &key) {
        None => {
            add_reply_array_len(s, c, 0);
            return;
        }
        Some(kv) if kv.otype() != ObjType::List => {
            add_reply_error(s, c, WRONGTYPE);
            return;
        }
        Some(kv) => kv,
    };
    let llen = i64::try_from(kv.list_len()).unwrap_or(i64::MAX);
    let mut start = if start < 0 { llen + start } else { start };
    let mut end = if end < 0 { llen + end } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= llen {
        add_reply_array_len(s, c, 0);
        return;
    }
    if end >= llen {
        end = llen - 1;
    }
    let (from, to) = (start as usize, end as usize);
    let elems: Vec<(crate::ledger::Ptr, Arc<[u8]>)> = match &kv.hdr().payload {
        Payload::List(nodes) => nodes
            .iter()
            .flat_map(|n| n.elems.iter().map(move |e| (n.ptr, e.clone())))
            .skip(from)
            .take(to - from + 1)
            .collect(),
        _ => Vec::new(),
    };
    let env = s.env();
    add_reply_array_len(s, c, elems.len());
    for (ptr, e) in &elems {
        env.ledger.read(Tid::Main, *ptr, "list element for LRANGE");
        add_reply_bulk_cbuffer(s, c, e);
    }
}
