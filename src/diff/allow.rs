//! The allow-list: known differences between the real server (Debian's 7.0) and the 8.6
//! behaviour the model follows, or replies that are the model's own by design (INFO, MEMORY
//! USAGE). Loaded from `tests/differential/allow-list.json` (compiled into the binary, so the
//! test and `refrace diff` read the same file). Each entry names the command, the difference, a
//! matcher precise enough not to hide other bugs, and the reason with its Redis PR or commit.
//!
//! A difference no entry accepts is a mismatch. Matchers:
//! - `regex`: the server's reply matches `server` (whole reply, bytes) and the model's matches
//!   `model`, in which `${1}`/`${name}` stand for the server match's captures (matched literally);
//! - `int-within`: both replies are non-negative integers at most `tolerance` apart (`"skew"` =
//!   the run's clock-skew bound δ, see [`super::clock`]);
//! - `same-map`: both are flat arrays of name/value pairs with the same pairs in another order.

use redis_protocol::resp2::decode::decode_range;
use redis_protocol::resp2::types::RangeFrame;
use regex::bytes::Regex;
use serde::Deserialize;

/// The allow-list file, as shipped.
pub const ALLOW_LIST_JSON: &str = include_str!("../../tests/differential/allow-list.json");

/// How an entry recognises its difference.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Matcher {
    /// Regexes over the whole replies.
    Regex {
        /// Regex the server's reply must match.
        server: String,
        /// Regex the model's reply must match (`${n}` = the server's capture n).
        model: String,
    },
    /// Non-negative integers within a tolerance.
    IntWithin {
        /// Milliseconds or seconds, or `"skew"`.
        tolerance: Tolerance,
    },
    /// The same name/value pairs in another order.
    SameMap,
}

/// An `int-within` tolerance.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Tolerance {
    /// A fixed amount.
    Fixed(i64),
    /// `"skew"`: the clock-skew bound of the run.
    Named(String),
}

/// One known difference.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Short stable name (summaries count by it).
    pub id: String,
    /// Command name as sent, upper-case (`*` = any).
    pub command: String,
    /// Regex the arguments after the name (joined by spaces, lossy UTF-8) must match.
    #[serde(default)]
    pub args: Option<String>,
    /// The matcher.
    #[serde(rename = "match")]
    pub matcher: Matcher,
    /// The difference, in words.
    pub difference: String,
    /// Why it is accepted.
    pub reason: String,
    /// Redis PR, commit or source line that establishes it.
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(rename = "about")]
    _about: String,
    entries: Vec<Entry>,
}

struct Compiled {
    entry: Entry,
    args: Option<Regex>,
    server: Option<Regex>,
}

/// The loaded allow-list.
pub struct AllowList {
    entries: Vec<Compiled>,
}

fn compile(re: &str, id: &str) -> Result<Regex, String> {
    Regex::new(re).map_err(|e| format!("allow-list entry '{id}': bad regex {re:?}: {e}"))
}

/// A regex matching exactly `bytes`.
fn escape_bytes(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("(?-u:\\x{b:02X})")
            }
        })
        .collect()
}

fn int_reply(r: &[u8]) -> Option<i64> {
    let body = r.strip_prefix(b":")?.strip_suffix(b"\r\n")?;
    std::str::from_utf8(body).ok()?.parse().ok()
}

/// The pairs of a flat array of bulk strings, sorted.
fn pairs(r: &[u8]) -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
    let (RangeFrame::Array(items), n) = decode_range(r).ok()?? else {
        return None;
    };
    if n != r.len() || items.len() % 2 != 0 {
        return None;
    }
    let bulk = |f: &RangeFrame| match f {
        RangeFrame::BulkString((a, b)) => Some(r[*a..*b].to_vec()),
        _ => None,
    };
    let mut out = items
        .chunks(2)
        .map(|p| Some((bulk(&p[0])?, bulk(&p[1])?)))
        .collect::<Option<Vec<_>>>()?;
    out.sort();
    Some(out)
}

impl AllowList {
    /// Parse and compile an allow-list.
    pub fn parse(json: &str) -> Result<AllowList, String> {
        let f: File = serde_json::from_str(json).map_err(|e| format!("allow-list: {e}"))?;
        let mut entries = Vec::new();
        for entry in f.entries {
            let args = entry
                .args
                .as_deref()
                .map(|a| compile(a, &entry.id))
                .transpose()?;
            let server = match &entry.matcher {
                Matcher::Regex { server, .. } => Some(compile(server, &entry.id)?),
                Matcher::IntWithin {
                    tolerance: Tolerance::Named(n),
                } if n != "skew" => {
                    return Err(format!(
                        "allow-list entry '{}': tolerance must be a number or \"skew\"",
                        entry.id
                    ))
                }
                _ => None,
            };
            entries.push(Compiled {
                entry,
                args,
                server,
            });
        }
        Ok(AllowList { entries })
    }

    /// The shipped allow-list.
    pub fn shipped() -> Result<AllowList, String> {
        Self::parse(ALLOW_LIST_JSON)
    }

    /// Every entry.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().map(|c| &c.entry)
    }

    /// The entry that accepts this difference, if any. `name` is the command name as sent
    /// (upper-case), `args` its arguments.
    pub fn accepts(
        &self,
        name: &str,
        args: &[Vec<u8>],
        server: &[u8],
        model: &[u8],
        skew_ms: i64,
    ) -> Option<&Entry> {
        let joined = args.join(&b' ');
        self.entries
            .iter()
            .find(|c| {
                (c.entry.command == "*" || c.entry.command == name)
                    && c.args.as_ref().is_none_or(|re| re.is_match(&joined))
                    && c.matches(server, model, skew_ms)
            })
            .map(|c| &c.entry)
    }
}

impl Compiled {
    fn matches(&self, server: &[u8], model: &[u8], skew_ms: i64) -> bool {
        match &self.entry.matcher {
            Matcher::Regex { model: m, .. } => {
                let Some(caps) = self.server.as_ref().and_then(|re| re.captures(server)) else {
                    return false;
                };
                if caps.get(0).is_none_or(|g| g.len() != server.len()) {
                    return false;
                }
                let mut pattern = m.clone();
                for (i, name) in self
                    .server
                    .as_ref()
                    .map(|re| re.capture_names().collect::<Vec<_>>())
                    .unwrap_or_default()
                    .into_iter()
                    .enumerate()
                {
                    let text = caps.get(i).map(|g| g.as_bytes()).unwrap_or_default();
                    pattern = pattern.replace(&format!("${{{i}}}"), &escape_bytes(text));
                    if let Some(n) = name {
                        pattern = pattern.replace(&format!("${{{n}}}"), &escape_bytes(text));
                    }
                }
                Regex::new(&format!("^(?:{pattern})$")).is_ok_and(|re| re.is_match(model))
            }
            Matcher::IntWithin { tolerance } => {
                let tol = match tolerance {
                    Tolerance::Fixed(n) => *n,
                    Tolerance::Named(_) => skew_ms,
                };
                matches!((int_reply(server), int_reply(model)),
                    (Some(a), Some(b)) if a >= 0 && b >= 0 && (a - b).abs() <= tol)
            }
            Matcher::SameMap => pairs(server).is_some_and(|p| Some(p) == pairs(model)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_list_parses_and_every_entry_has_a_reason_and_a_source() {
        let l = AllowList::shipped().unwrap();
        for e in l.entries() {
            assert!(!e.reason.trim().is_empty(), "{}", e.id);
            assert!(!e.source.trim().is_empty(), "{}", e.id);
            assert!(!e.difference.trim().is_empty(), "{}", e.id);
        }
    }

    const LIST: &str = r#"{"about": "t", "entries": [
      {"id": "unknown", "command": "*", "match": {"kind": "regex",
        "server": "^-ERR unknown command '(.*)', with args beginning with: \r\n$",
        "model": "-ERR unknown command '${1}'\r\n"},
       "difference": "d", "reason": "r", "source": "s"},
      {"id": "pttl", "command": "PTTL", "match": {"kind": "int-within", "tolerance": "skew"},
       "difference": "d", "reason": "r", "source": "s"},
      {"id": "map", "command": "CONFIG", "args": "^GET ", "match": {"kind": "same-map"},
       "difference": "d", "reason": "r", "source": "s"}
    ]}"#;

    #[test]
    fn regex_entries_tie_the_model_reply_to_the_server_captures() {
        let l = AllowList::parse(LIST).unwrap();
        let srv = b"-ERR unknown command 'a.b', with args beginning with: \r\n";
        let ok = l.accepts("A.B", &[], srv, b"-ERR unknown command 'a.b'\r\n", 5);
        assert_eq!(ok.map(|e| e.id.as_str()), Some("unknown"));
        // A capture is matched literally ('.' is not a wildcard) and must be the same text.
        assert!(l
            .accepts("A.B", &[], srv, b"-ERR unknown command 'axb'\r\n", 5)
            .is_none());
        assert!(l
            .accepts("A.B", &[], srv, b"-ERR unknown command 'a.b' \r\n", 5)
            .is_none());
    }

    #[test]
    fn tolerances_and_maps_accept_only_their_difference() {
        let l = AllowList::parse(LIST).unwrap();
        assert!(l.accepts("PTTL", &[], b":100\r\n", b":97\r\n", 5).is_some());
        assert!(l.accepts("PTTL", &[], b":100\r\n", b":94\r\n", 5).is_none());
        assert!(l.accepts("PTTL", &[], b":-1\r\n", b":1\r\n", 5).is_none());
        assert!(l.accepts("TTL", &[], b":100\r\n", b":99\r\n", 5).is_none());
        let a = b"*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n";
        let b = b"*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n";
        let c = b"*4\r\n$1\r\nb\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n2\r\n";
        let get = [b"GET".to_vec(), b"*".to_vec()];
        assert!(l.accepts("CONFIG", &get, a, b, 5).is_some());
        assert!(l.accepts("CONFIG", &get, a, c, 5).is_none());
        assert!(l.accepts("CONFIG", &[b"SET".to_vec()], a, b, 5).is_none());
    }
}
