//! CONFIG GET and CONFIG SET (src/config.c `configGetCommand`, `configSetCommand`) over the
//! reference's five knobs.

use super::reply::{add_error, add_error_bytes};
use super::util::{cstr, glob_match, yes_no};
use super::{Reference, ERR_SYNTAX, IO_THREADS};
use crate::resp::{add_reply_array_len, add_reply_bulk, add_reply_status};

impl Reference {
    /// Canonical name of the knob `name` (case-insensitive, whole argument).
    fn knob(&self, name: &[u8]) -> Option<&'static str> {
        self.config
            .keys()
            .copied()
            .find(|k| name.eq_ignore_ascii_case(k.as_bytes()))
    }

    /// `configGetCommand`, RESP2: a flat array of name, value pairs.
    pub(super) fn config_get(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        // (name as replied, canonical knob)
        let mut matches: Vec<(Vec<u8>, &'static str)> = Vec::new();
        let seen = |m: &[(Vec<u8>, &str)], name: &[u8]| {
            m.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
        };
        for pattern in argv.iter().skip(2) {
            let p = cstr(pattern);
            if !p.iter().any(|c| matches!(c, b'[' | b'*' | b'?')) {
                if !seen(&matches, p) {
                    if let Some(k) = self.knob(pattern) {
                        matches.push((p.to_vec(), k));
                    }
                }
                continue;
            }
            for k in self.config.keys().copied() {
                if !seen(&matches, k.as_bytes()) && glob_match(p, k.as_bytes(), true) {
                    matches.push((k.as_bytes().to_vec(), k));
                }
            }
        }
        add_reply_array_len(out, matches.len().saturating_mul(2));
        for (name, knob) in &matches {
            add_reply_bulk(out, name);
            add_reply_bulk(
                out,
                self.config.get(knob).map_or(&b""[..], |v| v.as_bytes()),
            );
        }
    }

    /// `configSetCommand`: all pairs are checked first; nothing changes unless all are valid.
    pub(super) fn config_set(&mut self, argv: &[Vec<u8>], out: &mut Vec<u8>) {
        if argv.len() % 2 == 1 {
            return add_error(out, ERR_SYNTAX);
        }
        let pairs = argv.get(2..).unwrap_or_default();
        let mut chosen: Vec<(&'static str, bool)> = Vec::new();
        for pair in pairs.chunks(2) {
            let [name, value] = pair else { continue };
            let Some(knob) = self.knob(name) else {
                let msg = [
                    b"ERR Unknown option or number of arguments for CONFIG SET - '",
                    cstr(name),
                    b"'",
                ]
                .concat();
                return add_error_bytes(out, &msg);
            };
            let refusal = if knob == IO_THREADS {
                "can't set immutable config"
            } else if chosen.iter().any(|(k, _)| *k == knob) {
                "duplicate parameter"
            } else {
                chosen.push((knob, yes_no(cstr(value)).unwrap_or(false)));
                continue;
            };
            let msg = [
                b"ERR CONFIG SET failed (possibly related to argument '",
                cstr(name),
                b"') - ",
                refusal.as_bytes(),
            ]
            .concat();
            return add_error_bytes(out, &msg);
        }
        // Values are checked in order after every name passed (performInterfaceSet).
        for pair in pairs.chunks(2) {
            if let [name, value] = pair {
                if yes_no(cstr(value)).is_none() {
                    let knob = self.knob(name).unwrap_or_default();
                    return add_error(
                        out,
                        &format!(
                            "ERR CONFIG SET failed (possibly related to argument '{knob}') - \
                             argument must be 'yes' or 'no'"
                        ),
                    );
                }
            }
        }
        for (knob, on) in chosen {
            self.config
                .insert(knob, if on { "yes" } else { "no" }.to_string());
        }
        add_reply_status(out, "OK");
    }
}
