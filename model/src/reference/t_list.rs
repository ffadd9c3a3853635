//! Lists (src/t_list.c): LPUSH/RPUSH, LPOP/RPOP (`popGenericCommand`, 7.0+ form), LLEN,
//! LRANGE (`addListRangeReply`).

use super::reply::{add_error, wrong_arity};
use super::util::{arg, len_i64, parse_ll};
use super::{Reference, Value, ERR_NOT_INTEGER, ERR_NOT_POSITIVE, ERR_WRONGTYPE};
use crate::resp::{
    add_reply_array_len, add_reply_bulk, add_reply_integer, add_reply_null, add_reply_null_array,
};
use std::collections::VecDeque;

impl Reference {
    pub(super) fn lpush(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        self.push(argv, true, out);
    }

    pub(super) fn rpush(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        self.push(argv, false, out);
    }

    fn push(&mut self, argv: &[Vec<u8>], head: bool, out: &mut Vec<u8>) {
        let key = arg(argv, 1);
        if matches!(self.lookup(key), Some(v) if !matches!(v, Value::List(_))) {
            return add_error(out, ERR_WRONGTYPE);
        }
        let entry = self.keys.entry(key.to_vec());
        let Value::List(list) = entry.or_insert_with(|| Value::List(VecDeque::new())) else {
            return add_error(out, ERR_WRONGTYPE);
        };
        for element in argv.iter().skip(2) {
            if head {
                list.push_front(element.clone());
            } else {
                list.push_back(element.clone());
            }
        }
        add_reply_integer(out, len_i64(list.len()));
    }

    pub(super) fn lpop(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        self.pop(argv, true, out);
    }

    pub(super) fn rpop(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        self.pop(argv, false, out);
    }

    /// `popGenericCommand`: without a count one bulk, with a count an array in pop order.
    fn pop(&mut self, argv: &[Vec<u8>], head: bool, out: &mut Vec<u8>) {
        if argv.len() > 3 {
            return wrong_arity(out, if head { "lpop" } else { "rpop" });
        }
        let count = match argv.get(2).map(|c| parse_ll(c).filter(|&n| n >= 0)) {
            Some(None) => return add_error(out, ERR_NOT_POSITIVE),
            Some(Some(n)) => Some(usize::try_from(n).unwrap_or(usize::MAX)),
            None => None,
        };
        let key = arg(argv, 1);
        let list = match self.lookup_mut(key) {
            None if count.is_some() => return add_reply_null_array(out),
            None => return add_reply_null(out),
            Some(Value::List(list)) => list,
            Some(_) => return add_error(out, ERR_WRONGTYPE),
        };
        let take = |list: &mut VecDeque<Vec<u8>>| {
            if head {
                list.pop_front()
            } else {
                list.pop_back()
            }
        };
        match count {
            Some(0) => return add_reply_array_len(out, 0),
            Some(n) => {
                let n = n.min(list.len());
                add_reply_array_len(out, n);
                for _ in 0..n {
                    if let Some(v) = take(list) {
                        add_reply_bulk(out, &v);
                    }
                }
            }
            None => match take(list) {
                Some(v) => add_reply_bulk(out, &v),
                None => add_reply_null(out),
            },
        }
        if list.is_empty() {
            self.remove_key(key);
        }
    }

    pub(super) fn llen(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        match self.lookup(arg(argv, 1)) {
            None => add_reply_integer(out, 0),
            Some(Value::List(list)) => add_reply_integer(out, len_i64(list.len())),
            Some(_) => add_error(out, ERR_WRONGTYPE),
        }
    }

    /// `lrangeCommand` + `addListRangeReply`.
    pub(super) fn lrange(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        let (Some(start), Some(end)) = (parse_ll(arg(argv, 2)), parse_ll(arg(argv, 3))) else {
            return add_error(out, ERR_NOT_INTEGER);
        };
        let list = match self.lookup(arg(argv, 1)) {
            None => return add_reply_array_len(out, 0),
            Some(Value::List(list)) => list,
            Some(_) => return add_error(out, ERR_WRONGTYPE),
        };
        let len = i128::try_from(list.len()).unwrap_or(i128::MAX);
        let resolve = |i: i64| {
            let i = i128::from(i);
            if i < 0 {
                i + len
            } else {
                i
            }
        };
        let (start, end) = (resolve(start).max(0), resolve(end).min(len - 1));
        if start > end {
            return add_reply_array_len(out, 0);
        }
        let (Ok(start), Ok(end)) = (usize::try_from(start), usize::try_from(end)) else {
            return add_reply_array_len(out, 0);
        };
        add_reply_array_len(out, end - start + 1);
        for element in list.range(start..=end) {
            add_reply_bulk(out, element);
        }
    }
}
