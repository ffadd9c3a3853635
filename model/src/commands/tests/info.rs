//! INFO memory (src/server.c) and MEMORY USAGE (src/object.c).

use super::*;

#[test]
fn info_and_memory_usage() {
    let got = run(&[&[b"INFO", b"bogus"], &[b"info", b"MEMORY"], &[b"INFO"]]);
    let text = show(&got);
    assert!(text.starts_with("$0\r\n\r\n$"), "{text}");
    assert_eq!(
        text.matches("# Memory\r\nused_memory:").count(),
        2,
        "{text}"
    );
    assert_eq!(
        text.matches("\r\nlazyfree_pending_objects:0\r\n").count(),
        2
    );
    // Not Redis: the oracle's section, in plain INFO and on its own.
    assert_eq!(text.matches("# Ledger\r\n").count(), 1, "{text}");
    let ledger = show(&run(&[&[b"INFO", b"ledger"]]));
    assert!(
        ledger.contains("# Ledger\r\nledger_allocations:")
            && ledger.contains("\r\nledger_violations:0\r\n")
            && !ledger.contains("# Memory"),
        "{ledger}"
    );
    check(
        &[
            &[b"MEMORY", b"USAGE", b"k"],
            &[b"SET", b"k", b"v"],
            &[b"MEMORY", b"USAGE", b"k"],
            &[b"memory", b"usage", b"k", b"SAMPLES", b"0"],
            &[b"MEMORY", b"USAGE", b"k", b"SAMPLES", b"-1"],
            &[b"MEMORY", b"USAGE", b"k", b"SAMPLES", b"x"],
            &[b"MEMORY", b"USAGE", b"k", b"SAMPLES"],
            &[b"MEMORY", b"USAGE", b"k", b"FOO", b"1"],
            &[b"RPUSH", b"l", b"ab", b"c"],
            &[b"MEMORY", b"USAGE", b"l"],
        ],
        &[
            nil(),
            ok(),
            // one allocation: header 16 + key (1 + sdshdr5 1 + 1 + NUL 1) + embedded value
            // (sdshdr8 3 + 1 + NUL 1) = 25 bytes, jemalloc's 32-byte class
            int(32),
            int(32),
            err(SYNTAX),
            err(NOTINT),
            err(SYNTAX),
            err(SYNTAX),
            int(2),
            // kvobj 16 + key 4 = 20 bytes (class 32) + one listpack of 7 + "ab" (1+2+1) +
            // "c" (1+1+1) = 14 bytes (class 16)
            int(48),
        ],
    );
}
