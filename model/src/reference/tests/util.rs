//! The reference's own glob matcher.

use super::*;

#[test]
fn glob_semantics() {
    let cases: &[(&str, &str, bool)] = &[
        ("*", "io-threads", true),
        ("*", "", false),
        ("io-*", "IO-threads", true),
        ("i?-threads", "io-threads", true),
        ("[a-j]o-threads", "io-threads", true),
        ("[^i]o-threads", "io-threads", false),
        ("[z-a]o-threads", "io-threads", true),
        ("\\io-threads", "io-threads", true),
        ("io-threads*", "io-threads", true),
        ("io-thread", "io-threads", false),
        ("*-*-*-del", "lazyfree-lazy-user-del", true),
        ("*x*", "lazyfree-lazy-user-del", false),
        ("[io", "i", true),
    ];
    for &(pattern, s, want) in cases {
        assert_eq!(
            glob_match(pattern.as_bytes(), s.as_bytes(), true),
            want,
            "{pattern} vs {s}"
        );
    }
    assert!(!glob_match(b"IO", b"io", false));
}
