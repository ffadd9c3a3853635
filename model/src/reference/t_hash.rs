//! Hashes (src/t_hash.c): HSET (`hsetCommand`: an odd argument count is the arity error, then
//! WRONGTYPE; replies the number of new fields), HGET, HDEL (a hash left empty is deleted),
//! HLEN, HGETALL (fields and values in insertion order: a listpack's order; a server iterates a
//! dict-encoded hash in hash order).

use super::reply::{add_error, wrong_arity};
use super::util::{arg, len_i64};
use super::{Reference, Value, ERR_WRONGTYPE};
use crate::resp::{add_reply_array_len, add_reply_bulk, add_reply_integer, add_reply_null};

impl Reference {
    pub(super) fn hset(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        if argv.len() % 2 == 1 {
            return wrong_arity(out, "hset");
        }
        let key = arg(argv, 1);
        let fields = match self.lookup(key) {
            Some(Value::Hash(_)) | None => self
                .keys
                .entry(key.to_vec())
                .or_insert_with(|| Value::Hash(Vec::new())),
            Some(_) => return add_error(out, ERR_WRONGTYPE),
        };
        let Value::Hash(fields) = fields else {
            return add_error(out, ERR_WRONGTYPE);
        };
        let mut created = 0;
        for pair in argv[2..].chunks(2) {
            match fields.iter_mut().find(|(f, _)| *f == pair[0]) {
                Some((_, v)) => *v = pair[1].clone(),
                None => {
                    fields.push((pair[0].clone(), pair[1].clone()));
                    created += 1;
                }
            }
        }
        add_reply_integer(out, created);
    }

    pub(super) fn hget(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        match self.lookup(arg(argv, 1)) {
            None => add_reply_null(out),
            Some(Value::Hash(fields)) => {
                match fields.iter().find(|(f, _)| f.as_slice() == arg(argv, 2)) {
                    Some((_, v)) => add_reply_bulk(out, v),
                    None => add_reply_null(out),
                }
            }
            Some(_) => add_error(out, ERR_WRONGTYPE),
        }
    }

    pub(super) fn hdel(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        let key = arg(argv, 1);
        let fields = match self.lookup_mut(key) {
            None => return add_reply_integer(out, 0),
            Some(Value::Hash(fields)) => fields,
            Some(_) => return add_error(out, ERR_WRONGTYPE),
        };
        let mut deleted = 0;
        for f in &argv[2..] {
            if let Some(i) = fields.iter().position(|(g, _)| g == f) {
                fields.remove(i);
                deleted += 1;
                if fields.is_empty() {
                    break;
                }
            }
        }
        if fields.is_empty() {
            self.remove_key(key);
        }
        add_reply_integer(out, deleted);
    }

    pub(super) fn hlen(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        match self.lookup(arg(argv, 1)) {
            None => add_reply_integer(out, 0),
            Some(Value::Hash(fields)) => add_reply_integer(out, len_i64(fields.len())),
            Some(_) => add_error(out, ERR_WRONGTYPE),
        }
    }

    pub(super) fn hgetall(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        match self.lookup(arg(argv, 1)) {
            None => add_reply_array_len(out, 0),
            Some(Value::Hash(fields)) => {
                add_reply_array_len(out, fields.len() * 2);
                for (f, v) in fields {
                    add_reply_bulk(out, f);
                    add_reply_bulk(out, v);
                }
            }
            Some(_) => add_error(out, ERR_WRONGTYPE),
        }
    }
}
