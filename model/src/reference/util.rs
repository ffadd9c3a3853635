//! The reference's own small helpers: argument access, C-string views, its own `string2ll` and
//! `stringmatchlen` twins. Written separately from the model's [`crate::util`] on purpose: the
//! reference stays independent of the code it checks.

use super::Command;

pub(super) fn arg(argv: &[Vec<u8>], i: usize) -> &[u8] {
    argv.get(i).map_or(&[], Vec::as_slice)
}

/// The argument as C code sees it: up to the first NUL.
pub(super) fn cstr(b: &[u8]) -> &[u8] {
    b.iter().position(|&c| c == 0).map_or(b, |i| &b[..i])
}

pub(super) fn truncate(b: &[u8], max: usize) -> &[u8] {
    &b[..b.len().min(max)]
}

pub(super) fn eq_ci(b: &[u8], lit: &str) -> bool {
    b.eq_ignore_ascii_case(lit.as_bytes())
}

pub(super) fn len_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(super) fn find_command(table: &'static [Command], name: &[u8]) -> Option<&'static Command> {
    table.iter().find(|c| eq_ci(name, c.name))
}

pub(super) fn arity_ok(arity: i64, argc: usize) -> bool {
    let argc = len_i64(argc);
    if arity > 0 {
        argc == arity
    } else {
        argc >= -arity
    }
}

/// `string2ll`: strict decimal (no sign but '-', no leading zeros, no spaces), i64 range.
pub(super) fn parse_ll(s: &[u8]) -> Option<i64> {
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    if !matches!(digits.first(), Some(b'1'..=b'9')) || digits.len() > 19 {
        return None;
    }
    let mut v: i128 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i128::from(d - b'0');
    }
    i64::try_from(if negative { -v } else { v }).ok()
}

/// `yesnotoi`.
pub(super) fn yes_no(b: &[u8]) -> Option<bool> {
    if eq_ci(b, "yes") {
        Some(true)
    } else if eq_ci(b, "no") {
        Some(false)
    } else {
        None
    }
}

/// `stringmatchlen`: glob with `*`, `?`, `[...]` (`^` negates, `a-z` ranges, `\` escapes).
pub(super) fn glob_match(pattern: &[u8], s: &[u8], nocase: bool) -> bool {
    let mut give_up = false;
    glob_at(pattern, s, nocase, &mut give_up, 0)
}

fn glob_at(mut p: &[u8], mut s: &[u8], nocase: bool, give_up: &mut bool, depth: u32) -> bool {
    if depth > 1000 {
        return false;
    }
    let same = |a: u8, b: u8| {
        if nocase {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    while let (Some(&pc), Some(&sc)) = (p.first(), s.first()) {
        match pc {
            b'*' => {
                let rest = trim_stars(p);
                if rest.is_empty() {
                    return true;
                }
                while !s.is_empty() {
                    if glob_at(rest, s, nocase, give_up, depth + 1) {
                        return true;
                    }
                    if *give_up {
                        return false;
                    }
                    s = &s[1..];
                }
                // No suffix matches the rest: longer matches for earlier stars cannot help.
                *give_up = true;
                return false;
            }
            b'?' => p = &p[1..],
            b'[' => {
                let (matched, rest) = match_class(&p[1..], sc, nocase);
                if !matched {
                    return false;
                }
                p = rest;
            }
            b'\\' if p.len() >= 2 => {
                if !same(p[1], sc) {
                    return false;
                }
                p = &p[2..];
            }
            _ => {
                if !same(pc, sc) {
                    return false;
                }
                p = &p[1..];
            }
        }
        s = &s[1..];
        if s.is_empty() {
            p = trim_stars(p);
            break;
        }
    }
    p.is_empty() && s.is_empty()
}

fn trim_stars(mut p: &[u8]) -> &[u8] {
    while let [b'*', rest @ ..] = p {
        p = rest;
    }
    p
}

/// One `[...]` class (after the `[`) against byte `c`; returns the verdict and the pattern
/// after the class. An unterminated class runs to the end of the pattern. Range bounds compare
/// as C `char` (signed), like Redis.
fn match_class(mut p: &[u8], c: u8, nocase: bool) -> (bool, &[u8]) {
    let lower = |x: i32| {
        if nocase && (i32::from(b'A')..=i32::from(b'Z')).contains(&x) {
            x + 32
        } else {
            x
        }
    };
    let signed = |x: u8| i32::from(x as i8);
    let negate = p.first() == Some(&b'^');
    if negate {
        p = &p[1..];
    }
    let mut matched = false;
    loop {
        match p {
            [b'\\', escaped, rest @ ..] => {
                matched |= *escaped == c;
                p = rest;
            }
            [b']', rest @ ..] => {
                p = rest;
                break;
            }
            [] => break,
            [lo, b'-', hi, rest @ ..] => {
                let (mut lo, mut hi) = (signed(*lo), signed(*hi));
                if lo > hi {
                    std::mem::swap(&mut lo, &mut hi);
                }
                let x = lower(signed(c));
                matched |= (lower(lo)..=lower(hi)).contains(&x);
                p = rest;
            }
            [x, rest @ ..] => {
                matched |= lower(signed(*x)) == lower(signed(c));
                p = rest;
            }
        }
    }
    (matched != negate, p)
}
