//! CONFIG GET and CONFIG SET (src/config.c `configGetCommand`, `configSetCommand`) over the
//! reference's knobs (the lazyfree switches, `io-threads`, the memory knobs).

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
        let mut chosen: Vec<(&'static str, String)> = Vec::new();
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
                chosen.push((knob, parse_value(knob, cstr(value)).unwrap_or_default()));
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
                let knob = self.knob(name).unwrap_or_default();
                if let Err(why) = parse_value(knob, cstr(value)) {
                    return add_error(
                        out,
                        &format!(
                            "ERR CONFIG SET failed (possibly related to argument '{knob}') - {why}"
                        ),
                    );
                }
            }
        }
        for (knob, v) in chosen {
            self.config.insert(knob, v);
        }
        add_reply_status(out, "OK");
    }
}

/// The maxmemory policies, in config.c's order.
pub(super) const POLICIES: [&str; 8] = [
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
];

/// A knob's value as `CONFIG GET` shows it, or config.c's error text: `yes`/`no` knobs,
/// `maxmemory` (digits with an optional `b`/`k`/`kb`/`m`/`mb`/`g`/`gb` unit), the policy
/// names, `maxmemory-samples` 1..64, `lfu-log-factor` and `lfu-decay-time` 0..INT_MAX.
fn parse_value(knob: &str, v: &[u8]) -> Result<String, String> {
    let int = |lo: i64, hi: i64| -> Result<String, String> {
        let t =
            std::str::from_utf8(v).map_err(|_| "argument couldn't be parsed into an integer")?;
        let n: i64 = (!(t.starts_with('+') || t.len() > 1 && t.starts_with('0')))
            .then(|| t.parse().ok())
            .flatten()
            .ok_or("argument couldn't be parsed into an integer")?;
        if n < lo || n > hi {
            return Err(format!("argument must be between {lo} and {hi} inclusive"));
        }
        Ok(n.to_string())
    };
    match knob {
        "maxmemory" => {
            let l = v.to_ascii_lowercase();
            let d = l.iter().take_while(|b| b.is_ascii_digit()).count();
            let mul: u64 = match &l[d..] {
                b"" | b"b" => 1,
                b"k" => 1000,
                b"kb" => 1024,
                b"m" => 1_000_000,
                b"mb" => 1 << 20,
                b"g" => 1_000_000_000,
                b"gb" => 1 << 30,
                _ => 0,
            };
            let n: Option<u64> = std::str::from_utf8(&l[..d])
                .ok()
                .and_then(|t| t.parse().ok());
            match n
                .and_then(|n| n.checked_mul(mul))
                .filter(|_| d > 0 && mul > 0)
            {
                Some(b) => Ok(b.to_string()),
                None => Err("argument must be a memory value".into()),
            }
        }
        "maxmemory-policy" => POLICIES
            .iter()
            .find(|p| p.as_bytes().eq_ignore_ascii_case(v))
            .map(|p| p.to_string())
            .ok_or_else(|| {
                format!(
                    "argument(s) must be one of the following: {}",
                    POLICIES.join(", ")
                )
            }),
        "maxmemory-samples" => int(1, 64),
        "lfu-log-factor" | "lfu-decay-time" => int(0, i64::from(i32::MAX)),
        _ => yes_no(v)
            .map(|b| if b { "yes" } else { "no" }.to_string())
            .ok_or_else(|| "argument must be 'yes' or 'no'".into()),
    }
}
