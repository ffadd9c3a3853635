//! Keyspace commands.

use super::*;

#[test]
fn del_unlink_exists_flush_dbsize() {
    let r = fresh(&[
        ("MSET a 1 b 2 c 3", "+OK\r\n"),
        ("EXISTS a a nope b", ":3\r\n"),
        ("DEL a a nope", ":1\r\n"),
        ("UNLINK b c", ":2\r\n"),
        ("DBSIZE", ":0\r\n"),
        ("MSET a 1 b 2", "+OK\r\n"),
        ("FLUSHALL foo", SYNTAX),
        ("FLUSHDB sync async", SYNTAX),
        ("DBSIZE", ":2\r\n"),
        ("FLUSHALL ASYNC", "+OK\r\n"),
        ("SET a 1", "+OK\r\n"),
        ("FLUSHDB sync", "+OK\r\n"),
        ("SET a 1", "+OK\r\n"),
        ("FLUSHALL", "+OK\r\n"),
        ("DBSIZE", ":0\r\n"),
    ]);
    assert_eq!(r.dbsize(T0), 0);
}
