//! Small helpers with C twins that every layer may use: Redis's `string2ll`, `keyHashSlot` and
//! `stringmatchlen` (src/util.c), libc's `atoi`, what a C `%s` prints of an sds, and the
//! deterministic map type the model iterates.
//!
//! Leaf module: it imports nothing from the model. Pure functions only (no allocation the
//! ledger sees, no shared state), so any thread may call them.

/// A `HashMap` whose iteration order depends only on its insertions: SipHash with fixed keys
/// instead of std's per-map random seed. The model iterates maps (FLUSHALL frees keys in dict
/// order, which decides address reuse; reports name an entry), and a replay must be the same
/// run every time.
pub type DetMap<K, V> =
    std::collections::HashMap<K, V, std::hash::BuildHasherDefault<std::hash::DefaultHasher>>;

/// What a C `%s` prints of an sds: the bytes before the first NUL.
pub fn cstr(b: &[u8]) -> &[u8] {
    match b.iter().position(|&x| x == 0) {
        Some(n) => &b[..n],
        None => b,
    }
}

/// What a C `%.Ns` prints: at most `n` bytes, stopping at a NUL.
pub fn cstr_max(b: &[u8], n: usize) -> &[u8] {
    let b = cstr(b);
    &b[..b.len().min(n)]
}

/// Mirrors `string2ll` (src/util.c @ 01f36192, plus the current `LONG_STR_SIZE`
/// early reject): optional '-', no '+', no spaces, no leading zeros, no "-0".
pub fn string2ll(s: &[u8]) -> Option<i64> {
    const LONG_STR_SIZE: usize = 21;
    if s.is_empty() || s.len() >= LONG_STR_SIZE {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    if !matches!(digits.first(), Some(b'1'..=b'9')) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    if negative {
        0i64.checked_sub_unsigned(v)
    } else {
        i64::try_from(v).ok()
    }
}

/// `stringmatchlen(pattern, string, nocase)` (util.c) semantics, written for the model: `*`,
/// `?`, `[...]` with `^`, ranges (either order; bytes compared as signed `char`), `\` escapes
/// (an escaped byte in a class is compared case-sensitively), a class left open at the end of
/// the pattern, and the recursion guard (depth 1000, "skip longer matches").
pub fn string_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    glob(pattern, string, nocase, &mut skip_longer, 0)
}

fn glob_lower(b: u8, nocase: bool) -> i32 {
    let v = i32::from(b as i8);
    if nocase && (i32::from(b'A')..=i32::from(b'Z')).contains(&v) {
        v + 32
    } else {
        v
    }
}

fn glob(mut p: &[u8], mut s: &[u8], nocase: bool, skip_longer: &mut bool, depth: u32) -> bool {
    if depth > 1000 {
        return false;
    }
    while let (Some(&pc), Some(&sc)) = (p.first(), s.first()) {
        match pc {
            b'*' => {
                while p.len() > 1 && p[1] == b'*' {
                    p = &p[1..];
                }
                if p.len() == 1 {
                    return true;
                }
                while !s.is_empty() {
                    if glob(&p[1..], s, nocase, skip_longer, depth + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    s = &s[1..];
                }
                *skip_longer = true;
                return false;
            }
            b'?' => {
                s = &s[1..];
                p = &p[1..];
            }
            b'[' => {
                p = &p[1..];
                let not = p.first() == Some(&b'^');
                if not {
                    p = &p[1..];
                }
                let mut matched = false;
                let mut closed = false;
                loop {
                    match p {
                        [b'\\', esc, ..] => {
                            if *esc == sc {
                                matched = true;
                            }
                            p = &p[2..];
                        }
                        [b']', ..] => {
                            closed = true;
                            break;
                        }
                        [] => break,
                        [lo, b'-', hi, ..] => {
                            let (mut a, mut b) = (i32::from(*lo as i8), i32::from(*hi as i8));
                            if a > b {
                                std::mem::swap(&mut a, &mut b);
                            }
                            let (a, b, x) = if nocase {
                                (
                                    glob_lower(a as u8, true),
                                    glob_lower(b as u8, true),
                                    glob_lower(sc, true),
                                )
                            } else {
                                (a, b, i32::from(sc as i8))
                            };
                            if x >= a && x <= b {
                                matched = true;
                            }
                            p = &p[3..];
                        }
                        [one, ..] => {
                            if glob_lower(*one, nocase) == glob_lower(sc, nocase) {
                                matched = true;
                            }
                            p = &p[1..];
                        }
                    }
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                s = &s[1..];
                if closed {
                    p = &p[1..];
                }
            }
            b'\\' if p.len() >= 2 => {
                if glob_lower(p[1], nocase) != glob_lower(sc, nocase) {
                    return false;
                }
                s = &s[1..];
                p = &p[2..];
            }
            _ => {
                if glob_lower(pc, nocase) != glob_lower(sc, nocase) {
                    return false;
                }
                s = &s[1..];
                p = &p[1..];
            }
        }
        if s.is_empty() {
            while p.first() == Some(&b'*') {
                p = &p[1..];
            }
            break;
        }
    }
    p.is_empty() && s.is_empty()
}

/// C `atoi` (glibc: `(int)strtol(s, NULL, 10)`): leading whitespace, a sign, digits; stops at
/// the first other byte; `strtol` saturates, the cast keeps the low 32 bits.
pub fn atoi(b: &[u8]) -> i32 {
    let b = cstr(b);
    let mut i = 0;
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let mut neg = false;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        neg = b[i] == b'-';
        i += 1;
    }
    let mut v: i64 = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        let d = i64::from(b[i] - b'0');
        v = if neg {
            v.saturating_mul(10).saturating_sub(d)
        } else {
            v.saturating_mul(10).saturating_add(d)
        };
        i += 1;
    }
    v as i32
}

/// `keyHashSlot` (cluster.c): CRC16 (XMODEM) of the key, or of its first non-empty `{tag}`,
/// modulo 16384.
pub fn key_hash_slot(key: &[u8]) -> u16 {
    let tagged = key.iter().position(|&b| b == b'{').and_then(|open| {
        let rest = &key[open + 1..];
        let close = rest.iter().position(|&b| b == b'}')?;
        (close > 0).then(|| &rest[..close])
    });
    let mut crc: u16 = 0;
    for &b in tagged.unwrap_or(key) {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc & 16383
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string2ll_is_strict() {
        assert_eq!(string2ll(b"0"), Some(0));
        assert_eq!(string2ll(b"-1"), Some(-1));
        assert_eq!(string2ll(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(string2ll(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"+1",
            b" 1",
            b"1 ",
            b"01",
            b"-0",
            b"00",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"99999999999999999999",
            b"1x",
        ] {
            assert_eq!(string2ll(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn glob_matches_like_stringmatchlen() {
        let m = |p: &str, s: &str| string_match(p.as_bytes(), s.as_bytes(), true);
        assert!(m("*", "io-threads"));
        assert!(m("IO-*", "io-threads"));
        assert!(m("io-thread?", "io-threads"));
        assert!(!m("io-thread?", "io-thread"));
        assert!(m("[a-j]o-threads", "io-threads"));
        assert!(m("[j-a]o-threads", "io-threads"));
        assert!(!m("[^i]o-threads", "io-threads"));
        assert!(m("io\\-threads", "io-threads"));
        assert!(m("io-threads*", "io-threads"));
        assert!(!m("io-threads[", "io-threads"));
        assert!(!m("io-threads[", "io-threadsx"));
        assert!(m("io-t[x", "io-tx"));
        assert!(m("io-t[\\X]", "io-tX"));
        assert!(!m("io-t[\\X]", "io-tx"));
        assert!(!m(
            "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*s",
            "lazyfree-lazy-server-del"
        ));
        assert!(m("l*-del", "lazyfree-lazy-server-del"));
        assert!(!m("l*-del", "lazyfree-lazy-expire"));
    }
}
