//! List commands: the model's aggregate type, so that values with a free effort above
//! `LAZYFREE_THRESHOLD` exist and the BIO path runs. Mirrors src/t_list.c (`pushGenericCommand`,
//! `popGenericCommand` in its 7.0+ form, `llenCommand`, `lrangeCommand` + `addListRangeReply`;
//! reply paths read in 7.2/7.4 trees).
//!
//! Simplified: one quicklist node per element (each a ledger allocation). A popped element
//! becomes a fresh string object, replied with `addReplyBulk` (a reference when it is a big
//! RAW string) and released; ranges are replied as copies. A list left empty is deleted
//! (`lazyfree-lazy-server-del`). Main thread only.

use super::object::{arg_ll_or_reply, arg_positive_or_reply};
use super::{arg, Client, Server, WRONGTYPE};
use crate::db::{db_add, db_generic_delete, lookup_key};
use crate::ledger::{AllocKind, Holder, Tid};
use crate::networking::{
    add_reply_array_len, add_reply_bulk, add_reply_bulk_cbuffer, add_reply_error,
    add_reply_error_arity, add_reply_integer, add_reply_len, add_reply_null, add_reply_null_array,
};
use crate::object::{new_sds, Cx, ObjType, Payload, RObj};

/// `pushGenericCommand` (t_list.c): WRONGTYPE, else create the list if missing (`dbAdd`) and
/// push each element; replies the new length.
fn push_generic(s: &mut Server, c: &mut Client, head: bool) {
    let key = arg(s, c, 1);
    let kv = match lookup_key(s, &key) {
        Some(kv) if kv.otype() != ObjType::List => {
            add_reply_error(s, c, WRONGTYPE);
            return;
        }
        Some(kv) => kv,
        None => {
            let env = s.env();
            let l = RObj::create_list(Cx::main(&env), &[], Holder::Temp);
            db_add(s, &key, &l, Holder::Temp)
        }
    };
    let env = s.env();
    let cx = Cx::main(&env);
    let mut len = 0;
    for i in 2..c.argv.len() {
        let e = arg(s, c, i);
        let node = new_sds(cx, &e, AllocKind::ListNode);
        if let Payload::List(nodes) = &mut kv.hdr().payload {
            if head {
                nodes.push_front(node);
            } else {
                nodes.push_back(node);
            }
            len = nodes.len();
        }
    }
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
    let kv = match lookup_key(s, &key) {
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
            let node = match &mut kv.hdr().payload {
                Payload::List(nodes) if head => nodes.pop_front(),
                Payload::List(nodes) => nodes.pop_back(),
                _ => None,
            };
            let Some(node) = node else {
                // An empty list is never stored (it is deleted when it empties).
                add_reply_null(s, c);
                return;
            };
            env.ledger.read(Tid::Main, node.ptr, "list element for POP");
            let value = RObj::create_string(cx, &node.data, Holder::Temp);
            env.ledger.free(Tid::Main, node.ptr);
            add_reply_bulk(s, c, &value);
            value.decr_ref_count(cx, Holder::Temp);
        }
        Some(n) => {
            let len = kv.list_len();
            let take = usize::try_from(n).map_or(len, |n| n.min(len));
            let popped: Vec<crate::object::Sds> = match &mut kv.hdr().payload {
                Payload::List(nodes) if head => nodes.drain(..take).collect(),
                Payload::List(nodes) => {
                    let mut tail: Vec<_> = nodes.drain(len - take..).collect();
                    tail.reverse();
                    tail
                }
                _ => Vec::new(),
            };
            add_reply_array_len(s, c, popped.len());
            for node in &popped {
                env.ledger.read(Tid::Main, node.ptr, "list element for POP");
                add_reply_bulk_cbuffer(s, c, &node.data);
            }
            for node in popped {
                env.ledger.free(Tid::Main, node.ptr);
            }
        }
    }
    if kv.list_len() == 0 {
        let lazy = s.cfg.lazyfree_lazy_server_del;
        db_generic_delete(s, &key, lazy);
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
    match lookup_key(s, &key) {
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
    let kv = match lookup_key(s, &key) {
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
    let elems: Vec<crate::object::Sds> = match &kv.hdr().payload {
        Payload::List(nodes) => nodes.range(from..=to).cloned().collect(),
        _ => Vec::new(),
    };
    let env = s.env();
    add_reply_array_len(s, c, elems.len());
    for node in &elems {
        env.ledger
            .read(Tid::Main, node.ptr, "list element for LRANGE");
        add_reply_bulk_cbuffer(s, c, &node.data);
    }
}
